#!/usr/bin/env bash
# The whole compliance run, as scripts/test.sh and tests/integration/e2e_scim.rs do it:
#   compliance.sh HANDSHAKE_BIN LOG
# A fresh catalog and file secret store in a temporary directory, one connection
# (`compliance`, the fixture IdP's metadata) with its SCIM endpoint on (policy scim),
# `handshake serve` on a free loopback port, then run.sh (scim2-tester). The server is
# stopped (by its pid) and the directory removed however the run ends. The last line is
# run.sh's `scim2-tester: N passed, N failed`, also appended to LOG.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
[ $# -eq 2 ] || { echo "usage: compliance.sh HANDSHAKE_BIN LOG" >&2; exit 2; }
hs=$1 log=$2
dir="$(mktemp -d)"
serve_pid=
cleanup() {
  if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
port="$("$here/.venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export HANDSHAKE_DB="$dir/scim.db" HANDSHAKE_SECRET_STORE="file:$dir/secrets" HANDSHAKE_PORT="$port"
"$hs" connection import --name compliance --metadata "$root/tests/fixtures/idp/metadata.xml" >/dev/null
(
  umask 077
  "$hs" scim enable --connection compliance --policy scim --json |
    "$here/.venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["token"])' >"$dir/token"
)
"$hs" serve 2>"$dir/serve.log" &
serve_pid=$!
up=
for _ in $(seq 100); do
  if "$here/.venv/bin/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
    "http://127.0.0.1:$port/" 2>/dev/null; then up=1; break; fi
  sleep 0.1
done
[ -n "$up" ] || { echo "handshake serve did not come up:" >&2; cat "$dir/serve.log" >&2; exit 1; }
st=0
bash "$here/run.sh" "$port" compliance "$dir/token" "$log" || st=$?
if [ "$st" -ne 0 ]; then
  echo "--- handshake serve (stderr) ---" >&2
  tail -n 40 "$dir/serve.log" >&2
fi
exit "$st"
