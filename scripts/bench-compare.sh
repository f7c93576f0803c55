#!/usr/bin/env bash
# Validations per second, Handshake vs python3-saml 1.16 (strict, both signatures
# checked), on the same committed fixtures, side by side in one run. Prints a
# Markdown table for the README. Not part of CI (python3-saml builds for ~3 min).
#
#   scripts/bench-compare.sh [ITERATIONS]     (default 3000)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
n="${1:-3000}"
at="2026-01-15T10:01:00Z"
idp="https://idp.handshake.test/saml/metadata"
sp="https://app.example.com/saml/metadata"
acs="https://app.example.com/saml/acs"

bash scripts/setup-core.sh
py="$(bash scripts/setup-python3-saml.sh)"
cargo build --release --bin handshake >&2
hs=target/release/handshake
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export HANDSHAKE_DB="$tmp/bench.db" HANDSHAKE_SECRET_STORE="file:$tmp/secrets"
"$hs" connection import --name bench --metadata tests/fixtures/idp/metadata.xml \
  --sp-entity-id "$sp" --acs-url "$acs" >/dev/null
# The fixture SP key, so the encrypted fixture decrypts.
"$hs" connection set-sp-key --name bench --key tests/fixtures/keys/sp.key --cert tests/fixtures/keys/sp.crt >/dev/null

rate() { sed -E 's/.*"validations_per_sec": *([0-9.]+).*/\1/' | tr -d '\n'; }
handshake_rate() {
  "$hs" bench --connection bench --response "tests/fixtures/responses/$1.b64" --at "$at" \
    --iterations "$n" --json | tr -d '\n' | rate
}
python_rate() {
  "$py" bench/python3-saml/bench.py --response "tests/fixtures/responses/$1.b64" \
    --idp-cert tests/fixtures/keys/idp.crt --idp-entity-id "$idp" --sp-entity-id "$sp" \
    --acs-url "$acs" --at "$at" --iterations "$n" --json | rate
}

# Interleaved, two rounds each; the best round counts (least disturbed by other load).
best() { printf '%s\n' "$@" | sort -g | tail -1; }
h1=$(handshake_rate okta_valid); p1=$(python_rate okta_valid)
h2=$(handshake_rate okta_valid); p2=$(python_rate okta_valid)
a1=$(handshake_rate entra_valid); a2=$(handshake_rate entra_valid)
e1=$(handshake_rate encrypted_gcm_oaep_sha1); e2=$(handshake_rate encrypted_gcm_oaep_sha1)
hb=$(best "$h1" "$h2"); pb=$(best "$p1" "$p2"); ab=$(best "$a1" "$a2"); eb=$(best "$e1" "$e2")
ratio=$(python3 -c "print(f'{$hb/$pb:.1f}')")

echo "| response (fixture) | Handshake validations/s | python3-saml 1.16 validations/s | ratio |"
echo "|---|---:|---:|---:|"
printf '| Response + Assertion signed (`okta_valid`) | %.0f | %.0f | %sx |\n' "$hb" "$pb" "$ratio"
printf '| Assertion signed only (`entra_valid`) | %.0f | n/a (its strict settings need both signatures) | |\n' "$ab"
printf '| Assertion signed, then encrypted AES-256-GCM (`encrypted_gcm_oaep_sha1`) | %.0f | n/a | |\n' "$eb"
echo
echo "$(nproc) cores, $n validations per run, best of two interleaved runs; $(date -u +%Y-%m-%d)."
