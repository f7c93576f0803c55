#!/usr/bin/env bash
# Desktop end-to-end tests: the release app (UI embedded) in a real window on Xvfb, driven
# over WebDriver (ui/e2e/desktop/run.mjs -> tauri-driver -> WebKitWebDriver -> the webview),
# with a real OS keyring and a real IdP:
#
#   bash scripts/test-desktop.sh [FILTER...]     # FILTER: substrings of "file › test"
#
# - Sets up and builds the app (scripts/setup-app.sh; TEST_DESKTOP_SKIP_SETUP=1 skips it
#   when the caller just did, as scripts/test.sh does).
# - Installs tauri-driver (pinned, cargo install --locked) into target/tools/tauri-driver.
# - State in a temporary directory: HANDSHAKE_DB, XDG dirs (WebKit's caches), the IdP's.
# - Secrets: the real Secret Service. scripts/with-keyring.sh starts a throwaway, unlocked
#   gnome-keyring in a private D-Bus session (it works under Xvfb: the keyring is unlocked
#   up front, so nothing ever prompts), and the app runs inside that session with
#   HANDSHAKE_SECRET_STORE=keyring.
# - HANDSHAKE_PORT (the embedded SP) on a free loopback port; SimpleSAMLphp on another,
#   with our SP registered for connection "ssp": entityID
#   http://127.0.0.1:PORT/saml/ssp/metadata, ACS .../saml/ssp/acs (src/connection.rs
#   derives exactly these), users from a users.json (E2E_IDP_USER / E2E_IDP_PASSWORD).
# Every process started here is stopped on exit (trap), and every wait is bounded.
# Prints `desktop: N passed, N failed`; writes target/desktop-measurements.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
me="test-desktop"
TAURI_DRIVER_VERSION=2.1.0

# ---- stage 3 (internal): inside Xvfb and the keyring's D-Bus session ---------------------------
if [ "${1:-}" = "__in-session" ]; then
  shift
  # with-keyring.sh unsets DISPLAY for its bus (so the keyring can never prompt); the app
  # needs the Xvfb display back.
  export DISPLAY="$E2E_XDISPLAY"
  unset E2E_XDISPLAY
  if { true >&3; } 2>/dev/null; then exec 2>&3 3>&-; fi # our stderr back (see stage 2)
  driver_log="$E2E_WORK/tauri-driver.log"
  # tauri-driver starts WebKitWebDriver, which starts the app: own process group (setsid),
  # so that cleanup can end all three by the group id of the one process we started.
  setsid "$E2E_TAURI_DRIVER" --port "$TAURI_DRIVER_PORT" --native-port "$E2E_NATIVE_PORT" \
    </dev/null >"$driver_log" 2>&1 &
  driver=$!
  cleanup_driver() {
    kill -TERM -- "-$driver" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$driver" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$driver" 2>/dev/null || true
  }
  trap cleanup_driver EXIT
  trap 'exit 143' TERM INT # so that the EXIT trap runs on timeout(1)'s signal too
  for i in $(seq 1 100); do
    if ! kill -0 "$driver" 2>/dev/null; then
      echo "$me: tauri-driver exited:" >&2; cat "$driver_log" >&2; exit 1
    fi
    (exec 3<>"/dev/tcp/127.0.0.1/$TAURI_DRIVER_PORT") 2>/dev/null && break
    [ "$i" -lt 100 ] || { echo "$me: tauri-driver did not listen within 10 s" >&2; exit 1; }
    sleep 0.1
  done
  status=0
  (cd ui && node e2e/desktop/run.mjs "$@") || status=$?
  if [ "$status" -ne 0 ]; then
    echo "$me: tauri-driver / WebKitWebDriver / app output (last 40 lines):" >&2
    tail -n 40 "$driver_log" >&2 || true
  fi
  exit "$status"
fi

# ---- stage 2 (internal): inside Xvfb ------------------------------------------------------------
if [ "${1:-}" = "__in-xvfb" ]; then
  shift
  export E2E_XDISPLAY="$DISPLAY"
  # The session's D-Bus daemon logs every service it activates (the app's GTK brings up
  # accessibility and desktop-portal services) on stderr: keep that in a file, and hand the
  # real stderr to stage 3 as fd 3.
  exec 3>&2
  exec bash scripts/with-keyring.sh bash "$root/scripts/test-desktop.sh" __in-session "$@" \
    2>"$E2E_WORK/session.log"
fi

# ---- stage 1: set up, start the IdP, run stage 2 under xvfb-run --------------------------------
t0=$SECONDS
if [ "${TEST_DESKTOP_SKIP_SETUP:-0}" != 1 ]; then
  bash scripts/setup-app.sh
fi
# shellcheck source=scripts/ensure-rust.sh
source scripts/ensure-rust.sh
bash scripts/simplesamlphp.sh install
bash tests/e2e/oidc-provider/install.sh
app="$root/target/release/handshake-app"
[ -x "$app" ] || { echo "$me: $app not built (run scripts/setup-app.sh)" >&2; exit 1; }

tools="$root/target/tools/tauri-driver"
if ! "$tools/bin/tauri-driver" --help 2>&1 | grep -q -- --native-port; then
  echo "$me: installing tauri-driver $TAURI_DRIVER_VERSION into $tools" >&2
  cargo install tauri-driver --version "$TAURI_DRIVER_VERSION" --locked --root "$tools" >&2
fi
command -v WebKitWebDriver >/dev/null || { echo "$me: WebKitWebDriver missing (apt-get install webkit2gtk-driver)" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/handshake-desktop.XXXXXX")"
cleanup() {
  bash scripts/simplesamlphp.sh stop --dir "$work/idp" >/dev/null 2>&1 || true
  # TEST_DESKTOP_KEEP=1 keeps the state and logs (tauri-driver.log, session.log) to look at.
  if [ "${TEST_DESKTOP_KEEP:-0}" = 1 ]; then echo "$me: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# Four distinct free loopback ports (held open together so they differ): the SP, the IdP,
# tauri-driver and WebKitWebDriver.
read -r sp_port idp_port driver_port native_port < <(node -e '
  const net = require("net"); const srvs = [];
  const next = () => { const s = net.createServer(); s.listen(0, "127.0.0.1", () => { srvs.push(s);
    if (srvs.length < 4) next(); else { console.log(srvs.map((x) => x.address().port).join(" ")); srvs.forEach((x) => x.close()); } }); };
  next();')
[ -n "$native_port" ] || { echo "$me: could not pick free ports" >&2; exit 1; }

export E2E_CONNECTION=ssp E2E_IDP_USER=ada E2E_IDP_PASSWORD="correct horse"
# flow.test.mjs maps department (a custom field) and checks these values in the app.
export E2E_IDP_EMAIL=ada@example.com E2E_IDP_DEPARTMENT="Analytical Engines"
cat >"$work/users.json" <<EOF
{"$E2E_IDP_USER": {"password": "$E2E_IDP_PASSWORD", "email": ["$E2E_IDP_EMAIL"], "givenName": ["Ada"], "sn": ["Lovelace"],
 "groups": ["Engineering", "Admins"], "department": ["$E2E_IDP_DEPARTMENT"]}}
EOF
sp="http://127.0.0.1:$sp_port/saml/$E2E_CONNECTION"
E2E_IDP_METADATA_URL="$(bash scripts/simplesamlphp.sh start --dir "$work/idp" --port "$idp_port" \
  --sp-entity-id "$sp/metadata" --acs-url "$sp/acs" --users "$work/users.json")"
export E2E_IDP_METADATA_URL

mkdir -p "$work/xdg/data" "$work/xdg/config" "$work/xdg/cache"
export HANDSHAKE_DB="$work/handshake.db" HANDSHAKE_SECRET_STORE=keyring HANDSHAKE_PORT="$sp_port"
export XDG_DATA_HOME="$work/xdg/data" XDG_CONFIG_HOME="$work/xdg/config" XDG_CACHE_HOME="$work/xdg/cache"
export APP="$app" TAURI_DRIVER_PORT="$driver_port" E2E_NATIVE_PORT="$native_port"
export E2E_TAURI_DRIVER="$tools/bin/tauri-driver" E2E_WORK="$work"
# WebKit's rendering defaults work on Xvfb; note WEBKIT_DISABLE_DMABUF_RENDERER=1 (a common
# tip for blank windows) makes WebKitWebDriver's screenshots hang here, so it is not set.
echo "$me: SP port $sp_port, IdP $E2E_IDP_METADATA_URL, state in $work" >&2

status=0
timeout -k 10 "${TEST_DESKTOP_TIMEOUT:-900}" \
  xvfb-run -a -s "-screen 0 1920x1080x24" bash "$root/scripts/test-desktop.sh" __in-xvfb "$@" || status=$?
[ "$status" -ne 124 ] || echo "$me: timed out after ${TEST_DESKTOP_TIMEOUT:-900} s" >&2
if [ "$status" -ne 0 ] && [ -s "$work/session.log" ]; then
  echo "$me: keyring / D-Bus session log (last 20 lines):" >&2
  tail -n 20 "$work/session.log" >&2
fi
echo "$me: finished in $((SECONDS - t0)) s (status $status)" >&2
exit "$status"
