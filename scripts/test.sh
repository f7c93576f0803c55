#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine and runs every test:
# formatting, lints (panics on input are denied), and the whole Rust test suite, with the
# real OS keyring (gnome-keyring's Secret Service in a private D-Bus session), a real
# IdP (SimpleSAMLphp) and a real OpenID Provider (npm oidc-provider) for the end-to-end tests
# of the embedded SP and RP; the SCIM compliance suite (PyPI scim2-tester) against
# `handshake serve`; then the desktop app:
# svelte-check, the UI's unit tests (Vitest), the browser tests (Chromium, faked IPC), the
# release app in a real window driven over WebDriver (scripts/test-desktop.sh), and its
# .deb package.
#
# Every step runs even if an earlier one failed (unless it needs that one's output), and
# the run ends with one line per suite and a closing `tests: N passed, N failed` summed
# over all suites; a failed gate (fmt, clippy, svelte-check, the .deb) or a suite that
# crashed before counting adds one to `failed`. The exit status is 1 if anything failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
t_start=$SECONDS

# Debian packages (core, WebKit, Xvfb, Chromium...), Rust, the UI's npm packages and ui/dist,
# which the app crate embeds at compile time (so clippy and cargo test need it too).
# The release build of the app comes later, after the Rust tests.
SETUP_APP_SKIP_BUILD=1 bash scripts/setup-app.sh
# A real IdP for the end-to-end tests (Debian's SimpleSAMLphp under php -S, on loopback).
bash scripts/simplesamlphp.sh install
# A real OpenID Provider for the OIDC end-to-end tests (npm oidc-provider under Node, on loopback;
# `npm ci --prefix tests/e2e/oidc-provider`, skipped when node_modules matches the lock).
bash tests/e2e/oidc-provider/install.sh
# The SCIM compliance suite (PyPI scim2-cli + scim2-tester, pinned in its requirements.txt) in
# its own Python 3.11 venv; pip is skipped when the venv matches the pins.
bash tests/e2e/scim2-tester/install.sh
export HANDSHAKE_E2E=1
# shellcheck source=scripts/ensure-rust.sh
source scripts/ensure-rust.sh

logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
step() { printf '\n== %s ==\n' "$*"; t_step=$SECONDS; }
timings=()
done_step() { timings+=("$(printf '%-34s %5ds' "$1" "$((SECONDS - t_step))")"); }

passed=0 failed=0
suites=() gates=()
gate() { # NAME STATUS: a check without a test count
  if [ "$2" -eq 0 ]; then gates+=("$1 ok"); else gates+=("$1 FAILED"); failed=$((failed + 1)); fi
}
suite() { # NAME STATUS PASSED FAILED: a suite that counted its tests
  local name=$1 status=$2 p=${3:-0} f=${4:-0}
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi # crashed or refused to count
  if [ "$status" -eq 0 ] && [ "$p" -eq 0 ]; then f=1; fi # ran no test: that is a failure too
  suites+=("$(printf '%-8s %d passed, %d failed' "$name:" "$p" "$f")")
  passed=$((passed + p)) failed=$((failed + f))
}
last_count() { # LOG LABEL -> "P F" from the runner's last `LABEL: P passed, F failed` line
  sed -n "s/^$2: \([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p" "$1" | tail -n 1
}

step "format"
st=0; cargo fmt --all --check || st=$?
gate fmt "$st"; done_step "cargo fmt --check"

step "lint (clippy, warnings are errors)"
st=0; cargo clippy --workspace --all-targets --all-features --locked -- -D warnings || st=$?
gate clippy "$st"; done_step "cargo clippy"

step "tests (core library, CLI, fixtures, desktop commands; real Secret Service)"
st=0
bash scripts/with-keyring.sh cargo test --workspace --all-features --locked 2>&1 | tee "$logs/rust.log" || st=$?
read -r p f < <(awk '/^test result:/ { p += $4; f += $6 } END { print p + 0, f + 0 }' "$logs/rust.log")
suite rust "$st" "$p" "$f"; done_step "cargo test"

step "SCIM compliance (scim2-tester against handshake serve)"
# A fresh catalog and secret store, one connection with its SCIM endpoint on (policy scim),
# `handshake serve` on a free loopback port, then `scim test`: every result must be SUCCESS
# (SKIPPED and the other statuses count as failures, as the tool's own exit status does).
st=0
cargo build -q --locked -p handshake --bin handshake || st=$?
if [ "$st" -eq 0 ]; then
  bash tests/e2e/scim2-tester/compliance.sh "${CARGO_TARGET_DIR:-target}/debug/handshake" "$logs/scim2-tester.log" ||
    st=$?
fi
read -r p f < <(last_count "$logs/scim2-tester.log" scim2-tester 2>/dev/null; echo "0 0")
suite scim2 "$st" "$p" "$f"; done_step "scim2-tester"

step "UI: fake-backend snapshots are what the core returns"
# The browser tests answer from ui/src/lib/testdata/, written by this example from the real
# core; a change to the core's output without a new snapshot fails here.
st=0; cargo run -q --locked --example ui-snapshots -- --check || st=$?
gate snapshots "$st"; done_step "ui-snapshots --check"

step "UI: svelte-check (warnings are errors)"
st=0; npm --prefix ui run --silent check || st=$?
gate svelte-check "$st"; done_step "svelte-check"

step "UI: unit tests (Vitest, jsdom)"
st=0
npm --prefix ui test -- --reporter=default --reporter=json --outputFile.json="$logs/vitest.json" || st=$?
read -r p f < <(node -e '
  try { const r = require(process.argv[1]); console.log(r.numPassedTests, r.numFailedTests); }
  catch { console.log(0, 0); }' "$logs/vitest.json")
suite ui-unit "$st" "$p" "$f"; done_step "vitest"

step "UI: browser tests (Chromium, faked IPC)"
st=0
npm --prefix ui run --silent e2e:browser 2>&1 | tee "$logs/browser.log" || st=$?
read -r p f < <(last_count "$logs/browser.log" browser; echo "0 0")
suite browser "$st" "$p" "$f"; done_step "browser tests"

step "desktop app: release build (UI embedded)"
st=0; cargo build --release --locked -p handshake-app --features custom-protocol || st=$?
gate "app build" "$st"; done_step "cargo build --release (app)"

if [ "$st" -eq 0 ]; then
  step "desktop app: WebDriver tests (Xvfb, real keyring, SimpleSAMLphp)"
  st=0
  TEST_DESKTOP_SKIP_SETUP=1 bash scripts/test-desktop.sh 2>&1 | tee "$logs/desktop.log" || st=$?
  read -r p f < <(last_count "$logs/desktop.log" desktop; echo "0 0")
  suite desktop "$st" "$p" "$f"; done_step "desktop tests"

  step "desktop app: .deb package"
  # `tauri bundle` packages the binary just built and tested. (`tauri build` would run the
  # UI build again and, with its own environment, recompile the app crate: ~45 s for the
  # same bytes.) Then check the package really holds the app.
  st=0
  rm -rf target/release/bundle/deb
  ui/node_modules/.bin/tauri bundle --bundles deb --ci || st=$?
  deb="$(find target/release/bundle/deb -maxdepth 1 -name '*.deb' 2>/dev/null | head -n 1)"
  if [ "$st" -eq 0 ]; then
    if [ -z "$deb" ]; then
      echo "no .deb in target/release/bundle/deb" >&2; st=1
    elif ! dpkg-deb -c "$deb" | grep -Eq '(^| )(\./)?usr/bin/handshake-app$'; then
      echo "$deb has no usr/bin/handshake-app:" >&2; dpkg-deb -c "$deb" >&2; st=1
    else
      echo "deb: $deb ($(du -h "$deb" | cut -f1)) holds usr/bin/handshake-app"
    fi
  fi
  gate deb "$st"; done_step "tauri bundle (deb)"
else
  suite desktop 1 0 1
  gate deb 1
fi

printf '\n== summary (%d s) ==\n' "$((SECONDS - t_start))"
printf '%s\n' "${timings[@]}"
printf '%s\n' "${suites[@]}"
gate_list="$(IFS=,; echo "${gates[*]}")"
printf 'gates:   %s\n' "${gate_list//,/, }"
# The closing line (CI reads it): every suite's tests, plus one failure per failed gate.
printf 'tests: %d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
