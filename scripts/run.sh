#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine, builds Handshake, and runs it: an example
# session that imports the bundled test IdP and verifies captured responses.
# Any arguments are passed to the `handshake` CLI instead.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup-core.sh
source scripts/ensure-rust.sh
cargo build --release --locked --bin handshake >&2
hs="$PWD/target/release/handshake"
if [ "$#" -gt 0 ]; then exec "$hs" "$@"; fi

# The example session keeps its state in a scratch directory.
demo="$(mktemp -d)"
export HANDSHAKE_DB="$demo/handshake.db" HANDSHAKE_SECRET_STORE="file:$demo/secrets"
run() { printf '\n$ handshake %s\n' "$*"; "$hs" "$@"; }
run connection import --name acme --metadata tests/fixtures/idp/metadata.xml \
  --sp-entity-id https://app.example.com/saml/metadata --acs-url https://app.example.com/saml/acs
run connection sp-metadata --name acme | head -c 400; echo " ..."
run verify --connection acme --response tests/fixtures/responses/okta_valid.b64 --at 2026-01-15T10:01:00Z || true
run verify --connection acme --response tests/fixtures/responses/xsw3_evil_sibling_first.b64 --at 2026-01-15T10:01:00Z || true
run mapping preset --connection acme --preset okta
run provision --connection acme --response tests/fixtures/responses/okta_valid.b64 --at 2026-01-15T10:01:00Z || true
run users list
printf '\nNext: `%s serve` runs the embedded SP on http://127.0.0.1:7777 for test logins from a browser.\n' "$hs"
printf '\nState is in %s; the binary is %s.\n' "$demo" "$hs"
