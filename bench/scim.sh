#!/usr/bin/env bash
# SCIM requests per second for the README: `handshake serve` on a temporary catalog (default
# durable commits: WAL with the store's `synchronous` setting), one client on one keep-alive
# connection, first SECONDS of POST /Users (a new user each), then SECONDS of PATCH
# (replace displayName on the users just created, round robin). Prints requests/s and the
# median latency of each phase. Loopback only; the loops are bounded by time.
#   bench/scim.sh [SECONDS]        (default 10)
#   HANDSHAKE_BIN=path             the binary to measure (default: a release build, made here)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds=${1:-10}
python=${PYTHON:-python3}
if [ -z "${HANDSHAKE_BIN:-}" ]; then
  cargo build -q --release --locked -p handshake --bin handshake --manifest-path "$root/Cargo.toml"
  HANDSHAKE_BIN="${CARGO_TARGET_DIR:-$root/target}/release/handshake"
fi
dir="$(mktemp -d)"
serve_pid=
cleanup() {
  if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export HANDSHAKE_DB="$dir/bench.db" HANDSHAKE_SECRET_STORE="file:$dir/secrets" HANDSHAKE_PORT="$port"
"$HANDSHAKE_BIN" connection import --name bench --metadata "$root/tests/fixtures/idp/metadata.xml" >/dev/null
(umask 077; "$HANDSHAKE_BIN" scim enable --connection bench --policy scim --json |
  "$python" -c 'import json, sys; print(json.load(sys.stdin)["token"])' >"$dir/token")
"$HANDSHAKE_BIN" serve 2>"$dir/serve.log" &
serve_pid=$!
"$python" - "$port" "$dir/token" "$seconds" "$HANDSHAKE_BIN" <<'PY'
import http.client, json, statistics, sys, time

port, token_file, seconds, binary = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4]
token = open(token_file).read().strip()
deadline = time.monotonic() + 20
while True:
    try:
        http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/")
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("handshake serve did not come up")
        time.sleep(0.05)
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
headers = {"Authorization": "Bearer " + token, "Content-Type": "application/scim+json"}
base = "/scim/bench/v2"

def call(method, path, body, want):
    t = time.perf_counter()
    conn.request(method, base + path, body=json.dumps(body), headers=headers)
    r = conn.getresponse()
    data = r.read()
    if r.status != want:
        sys.exit(f"{method} {path}: {r.status} {data[:300]!r}")
    return time.perf_counter() - t, data

def phase(name, step):
    lat, n, end = [], 0, time.monotonic() + seconds
    start = time.monotonic()
    while time.monotonic() < end:
        lat.append(step(n))
        n += 1
    took = time.monotonic() - start
    print(f"{name}: {n} requests in {took:.1f} s: {n / took:.0f} requests/s, median {statistics.median(lat) * 1000:.2f} ms")
    return n / took

ids = []
def create(i):
    user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": f"user{i}@bench.example",
            "externalId": f"ext-{i}", "name": {"givenName": "Bench", "familyName": f"User{i}"},
            "emails": [{"value": f"user{i}@bench.example", "type": "work", "primary": True}], "active": True}
    took, data = call("POST", "/Users", user, 201)
    ids.append(json.loads(data)["id"])
    return took

def patch(i):
    op = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
          "Operations": [{"op": "replace", "path": "displayName", "value": f"Bench {i}"}]}
    return call("PATCH", f"/Users/{ids[i % len(ids)]}", op, 200)[0]

print(f"SCIM requests/s, one client, durable commits ({binary})")
post = phase("POST /Users", create)
patched = phase("PATCH /Users/{id}", patch)
print(f"scim: {(post + patched) / 2:.0f} requests/s (mean of POST {post:.0f} and PATCH {patched:.0f})")
PY
