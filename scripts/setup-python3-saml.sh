#!/usr/bin/env bash
# Creates target/python3-saml-venv with python3-saml 1.16.0 (pins in
# bench/python3-saml/requirements.txt) for the comparison benchmark
# bench/python3-saml/bench.py. Idempotent: a venv whose stamp matches the pins,
# the mode and the interpreter, and that imports cleanly, is left alone.
# Prints the venv's python on stdout; progress goes to stderr.
#
#   scripts/setup-python3-saml.sh [--force]
#
# Environment:
#   PYTHON=python3                 interpreter to base the venv on
#   PYTHON3_SAML_VENV=DIR          default: target/python3-saml-venv
#   PYTHON3_SAML_FROM_WHEELS=1     install lxml and xmlsec from PyPI wheels
#                                  (seconds) instead of compiling them against
#                                  Debian's libxml2/libxmlsec1 (minutes)
#
# Why compile: python-xmlsec refuses to load ("lxml & xmlsec libxml2 library
# version mismatch") unless lxml and xmlsec use the same libxml2, and their
# wheels each bundle their own. Building both with --no-binary links both to
# Debian's libxml2 2.9.14 and libxmlsec1 1.2.37 (OpenSSL backend) - the same
# C libraries the Rust side's xmlsec bindings link - so the comparison is
# toolkit against toolkit on the same crypto/XML C code. The pinned wheels
# (lxml 6.1.3 + xmlsec 1.3.17, both with libxml2 2.14.6) load together too.
set -euo pipefail

started=$SECONDS
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${PYTHON3_SAML_VENV:-$root/target/python3-saml-venv}"
req="$root/bench/python3-saml/requirements.txt"
build_req="$root/bench/python3-saml/requirements-build.txt"
python="${PYTHON:-python3}"
mode=source
[ "${PYTHON3_SAML_FROM_WHEELS:-0}" = 1 ] && mode=wheels
force=0
[ "${1:-}" = "--force" ] && force=1

log() { echo "setup-python3-saml: $*" >&2; }

# Checks the venv imports and that lxml and xmlsec share one libxml2.
check_py='
import sys, importlib.metadata as md
pins = {}
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if line:
        name, version = line.split("==")
        pins[name] = version
for name, version in pins.items():
    got = md.version(name)
    if got != version:
        sys.exit("%s %s installed, %s pinned" % (name, got, version))
import lxml.etree, xmlsec
from onelogin.saml2.response import OneLogin_Saml2_Response
lxml_libxml = lxml.etree.LIBXML_VERSION
xmlsec_libxml = xmlsec.get_libxml_version()
if tuple(lxml_libxml) != tuple(xmlsec_libxml):
    sys.exit("lxml uses libxml2 %s, xmlsec %s" % (lxml_libxml, xmlsec_libxml))
print("python3-saml %s, lxml %s, xmlsec %s; libxml2 %s, libxmlsec1 %s" % (
    md.version("python3-saml"), md.version("lxml"), md.version("xmlsec"),
    ".".join(map(str, lxml_libxml)), ".".join(map(str, xmlsec.get_libxmlsec_version()))))
'

py_version="$("$python" -c 'import sys; print(sys.version.split()[0])')"
want_stamp="$(cat "$req" "$build_req" | sha256sum | cut -d' ' -f1) mode=$mode python=$py_version"
if [ "$force" = 0 ] && [ -f "$venv/.setup-stamp" ] && [ "$(cat "$venv/.setup-stamp")" = "$want_stamp" ] \
   && versions="$("$venv/bin/python" -c "$check_py" "$req" 2>/dev/null)"; then
  log "up to date: $versions"
  echo "$venv/bin/python"
  exit 0
fi

# System packages. Source builds need a C compiler, pkg-config and the -dev
# packages of libxml2, libxslt (lxml) and libxmlsec1 with its OpenSSL engine
# (xmlsec); the interpreter needs its headers and venv (pyenv's Python has
# both; Debian's needs python3-dev and python3-venv).
packages=()
if [ "$mode" = source ]; then
  packages+=(gcc libc6-dev pkg-config libxml2-dev libxslt1-dev libxmlsec1-dev libxmlsec1-openssl)
  "$python" -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
    || packages+=(python3-dev)
fi
"$python" -c 'import venv, ensurepip' 2>/dev/null || packages+=(python3-venv)
missing=()
for p in ${packages[@]+"${packages[@]}"}; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

log "creating $venv ($mode build, Python $py_version)"
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
"$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip --disable-pip-version-check)
if [ "$mode" = source ]; then
  "${pip[@]}" install -q -r "$build_req"
  # lxml first: xmlsec's build imports it for its headers (lxml.get_include()).
  log "compiling lxml (a few minutes on 2 cores)"
  "${pip[@]}" install -q --no-build-isolation --no-binary lxml,xmlsec -c "$req" lxml
  log "compiling xmlsec, installing python3-saml"
  "${pip[@]}" install -q --no-build-isolation --no-binary lxml,xmlsec -r "$req"
else
  "${pip[@]}" install -q --only-binary lxml,xmlsec -r "$req"
fi
"${pip[@]}" check >&2
versions="$("$venv/bin/python" -c "$check_py" "$req")"
echo "$want_stamp" > "$venv/.setup-stamp"
log "ready in $((SECONDS - started)) s: $versions"
echo "$venv/bin/python"
