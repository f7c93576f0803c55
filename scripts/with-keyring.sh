#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked gnome-keyring Secret
# Service, and HANDSHAKE_TEST_SECRET_SERVICE=1 so the keyring tests really run:
#
#   scripts/with-keyring.sh cargo test --test integration secrets -- --nocapture
#
# The keyring is throwaway: its files live in a temporary directory that is removed
# afterwards, so it never touches (or needs the password of) your own login keyring.
# No prompt can block: DISPLAY and WAYLAND_DISPLAY are unset for the D-Bus session,
# so gnome-keyring's prompter fails at once instead of waiting for a person.
# The exit status is the command's (127/126 if it cannot be run; 1 if the keyring
# cannot be set up). Needs dbus-run-session and gnome-keyring-daemon
# (packages dbus, dbus-x11, gnome-keyring; scripts/setup-core.sh installs them).
set -euo pipefail

me="with-keyring"
if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 2
fi
for tool in dbus-run-session gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "$me: $tool not found; install dbus and gnome-keyring (scripts/setup-core.sh)" >&2
    exit 1
  fi
done

tmp="$(mktemp -d "${TMPDIR:-/tmp}/handshake-keyring.XXXXXX")"
cleanup() {
  # A GTK app in the session (the desktop tests) gets xdg-desktop-portal activated, which
  # starts xdg-document-portal, which mounts a FUSE file system at $XDG_RUNTIME_DIR/doc and
  # may still be going away when the bus ends: unmount what is left under $tmp first, and
  # never let the clean-up change the command's exit status.
  local m
  for m in $(awk -v d="$tmp/" 'index($2, d) == 1 { print $2 }' /proc/mounts 2>/dev/null); do
    fusermount3 -u -z "$m" 2>/dev/null || fusermount -u -z "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  rm -rf "$tmp" 2>/dev/null || { sleep 1; rm -rf "$tmp" 2>/dev/null; } ||
    echo "$me: could not remove $tmp" >&2
  return 0
}
trap cleanup EXIT
mkdir -m 700 "$tmp/data" "$tmp/runtime"

# gnome-keyring keeps its keyrings in $XDG_DATA_HOME/keyrings and its control socket
# in $XDG_RUNTIME_DIR: point both into $tmp for the bus and the daemons it activates,
# and give the command back the caller's values.
saved_env=""
for name in XDG_DATA_HOME XDG_RUNTIME_DIR; do
  if [ -n "${!name+set}" ]; then
    saved_env+="export $name=$(printf '%q' "${!name}"); "
  else
    saved_env+="unset $name; "
  fi
done

# The inner (bash) script runs under dbus-run-session, which ends the bus (and with it the
# keyring daemon) when the script exits, and exits with the script's status.
# shellcheck disable=SC2016 # expanded by the inner shell
inner='
set -u
me=with-keyring
# Create (first run) and unlock the login keyring with a throwaway password; the
# daemon reads the password from stdin. Then start the secrets component so that
# org.freedesktop.secrets is owned before the command runs.
# Both are bounded by timeout(1), so a daemon that waits for something cannot hang us.
log="$XDG_RUNTIME_DIR/gnome-keyring-daemon.log"
if ! out="$(printf "%s" handshake-test \
    | timeout -k 5 30 gnome-keyring-daemon --unlock --components=secrets 2>"$log")"; then
  echo "$me: gnome-keyring-daemon --unlock failed:" >&2
  cat "$log" >&2
  exit 1
fi
export_vars() { # the daemon prints NAME=VALUE lines (GNOME_KEYRING_CONTROL...)
  local line
  while IFS= read -r line; do
    case "$line" in [A-Z_]*=*) export "$line" ;; esac
  done <<<"$1"
}
export_vars "$out"
if ! out="$(timeout -k 5 30 gnome-keyring-daemon --start --components=secrets 2>"$log")"; then
  echo "$me: gnome-keyring-daemon --start failed:" >&2
  cat "$log" >&2
  exit 1
fi
export_vars "$out"
if command -v dbus-send >/dev/null 2>&1; then
  tries=0
  until dbus-send --session --print-reply --dest=org.freedesktop.DBus / \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null \
      | grep -q "boolean true"; do
    tries=$((tries + 1))
    if [ "$tries" -ge 50 ]; then
      echo "$me: no Secret Service appeared on the private D-Bus session" >&2
      exit 1
    fi
    sleep 0.1
  done
fi
eval "$HANDSHAKE_WITH_KEYRING_SAVED_ENV"
unset HANDSHAKE_WITH_KEYRING_SAVED_ENV
export HANDSHAKE_TEST_SECRET_SERVICE=1
exec "$@"
'

status=0
env -u DISPLAY -u WAYLAND_DISPLAY \
  XDG_DATA_HOME="$tmp/data" XDG_RUNTIME_DIR="$tmp/runtime" \
  HANDSHAKE_WITH_KEYRING_SAVED_ENV="$saved_env" \
  dbus-run-session -- bash -c "$inner" "$me" "$@" || status=$?
exit "$status"
