#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine and runs every test:
# formatting, lints (panics on input are denied), and the whole test suite, with the
# real OS keyring (gnome-keyring's Secret Service in a private D-Bus session) and a real
# IdP (SimpleSAMLphp) for the end-to-end test of the embedded SP.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

bash scripts/setup-core.sh
# A real IdP for the end-to-end test (Debian's SimpleSAMLphp under php -S, on loopback).
bash scripts/simplesamlphp.sh install
export HANDSHAKE_E2E=1
source scripts/ensure-rust.sh

step() { printf '\n== %s ==\n' "$*"; }

step "format"
cargo fmt --all --check

step "lint (clippy, warnings are errors)"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings

step "tests (core library, CLI, fixtures; real Secret Service)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
bash scripts/with-keyring.sh cargo test --workspace --all-features --locked 2>&1 | tee "$log"

# One closing line for the whole run, summed over every test binary.
awk '/^test result:/ { p += $4; f += $6 } END { printf "\ntests: %d passed, %d failed\n", p, f; exit (p == 0 || f > 0) }' "$log"
