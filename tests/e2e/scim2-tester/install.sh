#!/usr/bin/env bash
# Installs the SCIM compliance suite (PyPI scim2-cli + scim2-tester, every distribution pinned
# in requirements.txt) into tests/e2e/scim2-tester/.venv, a Python 3.11 venv of its own.
# Skips pip when the venv was installed from exactly this requirements.txt and Python (the
# stamp is written only after a successful install), so a kept machine runs it offline.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || { echo "scim2-tester/install.sh: $python is needed (scim2-tester requires Python >= 3.11)" >&2; exit 1; }
stamp=.venv/.handshake-pip.stamp
want="$(sha256sum requirements.txt | cut -d' ' -f1) $("$python" -V 2>&1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x .venv/bin/scim ]; then
  echo "scim2-tester/install.sh: .venv matches requirements.txt; pip install skipped" >&2
  exit 0
fi
rm -rf .venv
"$python" -m venv .venv
.venv/bin/pip install --quiet --no-input --disable-pip-version-check --no-deps -r requirements.txt
# --no-deps above installs exactly the pinned list; this fails if the list lacks a dependency.
.venv/bin/pip check >/dev/null
printf '%s\n' "$want" >"$stamp"
