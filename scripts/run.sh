#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine, builds the Handshake desktop app and launches it.
#
#   bash scripts/run.sh             # set up, build, open the app window
#   bash scripts/run.sh ARGS...     # set up, build and run the `handshake` CLI with ARGS instead
#
# The app needs a graphical session ($DISPLAY or $WAYLAND_DISPLAY). Without one (a server,
# CI, an ssh session) it is started for a few seconds on a virtual display (Xvfb) to show
# that it comes up, a screenshot is saved, and the script says how to run it for real.
# Its state: HANDSHAKE_DB (default: the user data directory), HANDSHAKE_SECRET_STORE
# (default: the OS keyring; without one the app says so in its window), HANDSHAKE_PORT
# (the embedded SP, default 7777).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ "$#" -gt 0 ]; then
  # The CLI needs only the core packages, not WebKit or the UI.
  bash scripts/setup-core.sh
  # shellcheck source=scripts/ensure-rust.sh
  source scripts/ensure-rust.sh
  cargo build --release --locked --bin handshake >&2
  exec "$PWD/target/release/handshake" "$@"
fi

bash scripts/setup-app.sh
app="$PWD/target/release/handshake-app"

if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  echo "run: starting $app" >&2
  exec "$app"
fi

# No desktop session: a bounded look under Xvfb instead of a window nobody can see.
shot="$PWD/target/run-screenshot.png"
cat >&2 <<EOF

run: Handshake is a desktop app and needs a graphical session, but neither DISPLAY nor
run: WAYLAND_DISPLAY is set. Run this script from a desktop session to use it, or start the
run: binary yourself:   $app
run: Starting it for 10 s on a virtual display (Xvfb) instead, to take a screenshot...
EOF
log="${shot%.png}.log"
rm -f "$shot"
: >"$log"
# The inner script runs on Xvfb's display inside its own D-Bus session; every wait is bounded.
# Xvfb's and the session bus's chatter (stdout and stderr) goes to the log with the app's
# output; the inner script's own messages go to our stderr (fd 3).
status=0
exec 3>&2
# shellcheck disable=SC2016 # expanded by the inner shell
timeout -k 5 60 xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash -c '
  app=$1 shot=$2 log=$3
  "$app" >>"$log" 2>&1 &
  pid=$!
  sleep 10
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "run: the app exited early; its output is in $log:" >&3
    tail -n 20 "$log" >&3
    exit 1
  fi
  import -window root "$shot" || true
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  exit 0
' run "$app" "$shot" "$log" >>"$log" 2>&1 || status=$?
exec 3>&-
if [ "$status" -eq 0 ] && [ -s "$shot" ]; then
  echo "run: it came up; screenshot of the window: $shot (output: $log)" >&2
elif [ "$status" -ne 0 ]; then
  echo "run: the app did not stay up (status $status); see $log" >&2
fi
cat >&2 <<EOF
run: For a longer look without a desktop (display :99, screenshots whenever you like):
run:   xvfb-run -n 99 -s "-screen 0 1280x800x24" dbus-run-session -- $app &
run:   DISPLAY=:99 import -window root shot.png
EOF
exit "$status"
