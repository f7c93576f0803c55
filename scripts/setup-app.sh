#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine for the desktop app and builds it:
#   1. Debian packages: the core's (scripts/setup-core.sh) plus WebKitGTK/GTK for Tauri,
#      Xvfb/D-Bus/ImageMagick for headless runs and screenshots, WebKitWebDriver, GTK's
#      Python bindings (the clipboard) and xdg-utils for the desktop tests, Debian's
#      Chromium for the browser tests;
#   2. the Rust toolchain (scripts/ensure-rust.sh);
#   3. the UI's npm packages (`npm ci`, skipped when node_modules matches the lock);
#   4. the UI (ui/dist, replaced only when its content changed, so cargo does not
#      recompile the app for nothing);
#   5. the release app with the UI embedded: target/release/handshake-app.
# Idempotent; prints how long each step took. `SETUP_APP_SKIP_BUILD=1` stops after step 4.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

t_all=$SECONDS
t_step=$SECONDS
timing() { # prints the time since the previous call, for the step just done
  printf 'setup-app: %-28s %4ds\n' "$1" "$((SECONDS - t_step))" >&2
  t_step=$SECONDS
}

# 1. Debian packages ---------------------------------------------------------------------------
bash scripts/setup-core.sh
packages=(
  # Tauri 2 on Linux: WebKitGTK 4.1 (+GTK 3), TLS, icons; `file` is used by the deb bundler
  libwebkit2gtk-4.1-dev build-essential pkg-config libssl-dev file librsvg2-dev
  # a display and a session bus for headless runs (tests, screenshots)
  xvfb xauth dbus imagemagick
  # the WebDriver server tauri-driver talks to (/usr/bin/WebKitWebDriver)
  webkit2gtk-driver
  # the desktop tests read the X clipboard back through GTK (ui/e2e/desktop/shell.test.mjs),
  # and find xdg-open (the system browser's opener) where a user has it
  python3-gi gir1.2-gtk-3.0 xdg-utils
  # the browser tests drive Debian's Chromium (the npm registry has no browser builds)
  chromium
  # the SCIM compliance suite's venv (tests/e2e/scim2-tester/install.sh; Python >= 3.11)
  python3-venv
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup-app: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
timing "apt packages"

# 2. Rust --------------------------------------------------------------------------------------
# shellcheck source=scripts/ensure-rust.sh
source scripts/ensure-rust.sh
timing "rust toolchain"

# 3. npm packages ------------------------------------------------------------------------------
# The machine image ships Node.js 20 with npm; Vite 8 needs Node >= 20.19 (Debian's own
# nodejs 18 is too old, so there is nothing sensible to install from apt).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "setup-app: Node.js (>= 20.19) and npm are needed for the UI and were not found" >&2
  exit 1
fi
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "setup-app: Node.js $(node --version) is too old for Vite 8; need >= 20.19" >&2
  exit 1
fi
# `npm ci` wipes and reinstalls node_modules (about 10 s even from the cache). Skip it when
# node_modules was installed by `npm ci` from exactly this lock, manifest and Node version:
# the stamp is written only after a successful `npm ci`, inside node_modules, so a wiped or
# half-installed node_modules never has it.
stamp="ui/node_modules/.handshake-npm-ci.stamp"
want="$(cat ui/package.json ui/package-lock.json ui/.npmrc 2>/dev/null | sha256sum | cut -d' ' -f1) node-$(node --version)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "setup-app: ui/node_modules matches package-lock.json; npm ci skipped" >&2
else
  npm --prefix ui ci --no-audit --no-fund --loglevel=error
  printf '%s\n' "$want" >"$stamp"
fi
timing "npm ci"

# 4. UI ----------------------------------------------------------------------------------------
# Build into a scratch directory and swap it in only if something changed: cargo watches
# ui/dist (the app embeds it) and would recompile the app after every rebuild otherwise.
# (The scratch directory is under target/ so that the swap is a rename on one filesystem.)
mkdir -p target
tmp="$(mktemp -d "$root/target/.ui-dist.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
(cd ui && node_modules/.bin/vite build --logLevel warn --outDir "$tmp/dist" --emptyOutDir)
if [ -d ui/dist ] && diff -rq "$tmp/dist" ui/dist >/dev/null 2>&1; then
  echo "setup-app: ui/dist unchanged" >&2
else
  rm -rf ui/dist
  mv "$tmp/dist" ui/dist
  echo "setup-app: ui/dist updated" >&2
fi
timing "ui build"

# 5. The app -----------------------------------------------------------------------------------
if [ "${SETUP_APP_SKIP_BUILD:-0}" != 1 ]; then
  # custom-protocol embeds ui/dist and serves it from tauri:// (what `tauri build` does);
  # without it the binary would load the dev server URL. scripts/test.sh's `tauri build`
  # passes the same feature, so it finds this build up to date.
  cargo build --release --locked -p handshake-app --features custom-protocol
  timing "cargo build (release app)"
fi
printf 'setup-app: done in %ds; app: %s\n' "$((SECONDS - t_all))" "$root/target/release/handshake-app" >&2
