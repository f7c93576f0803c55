#!/usr/bin/env bash
# Installs the real OpenID Provider of the OIDC end-to-end tests (npm oidc-provider, pinned by
# package-lock.json) into tests/e2e/oidc-provider/node_modules. Its own node_modules, not the
# UI's. Skips `npm ci` when node_modules was installed from exactly this lock and Node version
# (the stamp is written only after a successful `npm ci`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
command -v npm >/dev/null || { echo "oidc-provider/install.sh: npm (Node.js) is needed" >&2; exit 1; }
stamp=node_modules/.handshake-npm-ci.stamp
want="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1) node-$(node --version)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "oidc-provider/install.sh: node_modules matches package-lock.json; npm ci skipped" >&2
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
printf '%s\n' "$want" >"$stamp"
