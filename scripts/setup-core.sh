#!/usr/bin/env bash
# Installs the system packages the core library, its tests and benchmarks need
# on Debian/Ubuntu. Idempotent: skips apt when everything is already there.
set -euo pipefail

packages=(
  # samael's xmlsec feature: libxmlsec1 + libxml2 bindings generated with bindgen
  libxmlsec1-dev libxml2-dev pkg-config libclang-dev
  # openssl crate, build tools
  libssl-dev build-essential
  # the real Secret Service for keyring tests (scripts/with-keyring.sh)
  dbus dbus-x11 gnome-keyring
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
