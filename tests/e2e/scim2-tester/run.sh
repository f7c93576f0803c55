#!/usr/bin/env bash
# Runs the SCIM compliance suite against a running `handshake serve`:
#   run.sh PORT CONNECTION TOKEN_FILE [LOG]
# scim2-cli's `scim test` (scim2-tester) with status-code and content-type checks on, against
# http://127.0.0.1:PORT/scim/CONNECTION/v2, the bearer token read from TOKEN_FILE and passed
# in the environment (never in argv). Every result line is kept in LOG (default
# scim2-tester.log in a temporary directory); the last line printed is
#   scim2-tester: N passed, N failed
# where "passed" counts SUCCESS lines and "failed" every other status (SKIPPED, COMPLIANT,
# ACCEPTABLE, DEVIATION, ERROR, CRITICAL), as `scim test` itself does for its exit status.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ $# -ge 3 ] || { echo "usage: run.sh PORT CONNECTION TOKEN_FILE [LOG]" >&2; exit 2; }
port=$1 connection=$2 token_file=$3
log=${4:-"$(mktemp -d)/scim2-tester.log"}
[ -x "$here/.venv/bin/scim" ] || { echo "scim2-tester is not installed: run bash $here/install.sh" >&2; exit 2; }
token="$(tr -d '\r\n' <"$token_file")"
st=0
SCIM_CLI_URL="http://127.0.0.1:$port/scim/$connection/v2" \
SCIM_CLI_HEADERS="Authorization: Bearer $token" \
  "$here/.venv/bin/scim" test >"$log" 2>&1 || st=$?
cat "$log"
passed=$(grep -c '^SUCCESS ' "$log" || true)
failed=$(grep -cE '^(COMPLIANT|ACCEPTABLE|DEVIATION|ERROR|CRITICAL|SKIPPED) ' "$log" || true)
# The CLI failed without a single result line (discovery refused, a crash): one failure.
if [ "$st" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "scim2-tester: $passed passed, $failed failed" | tee -a "$log"
[ "$st" -eq 0 ] && [ "$failed" -eq 0 ]
