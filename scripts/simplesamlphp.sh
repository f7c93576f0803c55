#!/usr/bin/env bash
# Throwaway SimpleSAMLphp IdP for end-to-end tests (Debian's `simplesamlphp` package, 1.19.x
# on bookworm), served by `php -S` on loopback with a config directory generated per run.
#
#   scripts/simplesamlphp.sh install
#   scripts/simplesamlphp.sh start --dir DIR --port PORT --sp-entity-id ID --acs-url URL \
#        [--sp-cert PEM_FILE] [--encrypt] [--users FILE] [--slo-url URL] [--force-authn]
#        [--nameid-attribute ATTR]   # the attribute sent as the email-format NameID (default email)
#   scripts/simplesamlphp.sh users --dir DIR --users FILE    # swap the user list of a running IdP
#   scripts/simplesamlphp.sh stop --dir DIR
#
# `start` prints the IdP metadata URL on stdout (everything else goes to stderr). See
# tests/e2e/simplesamlphp/README.md for the flows, URLs, form fields and algorithms.
set -euo pipefail

PKGS=(simplesamlphp php-cli php-xml php-mbstring php-curl openssl curl)
SSP_ROOT=${SSP_ROOT:-/usr/share/simplesamlphp}

die() { echo "simplesamlphp.sh: $*" >&2; exit 1; }
log() { echo "simplesamlphp.sh: $*" >&2; }

usage() {
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# ---------------------------------------------------------------------------------------------
cmd_install() {
    local missing=() p
    for p in "${PKGS[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        log "already installed: ${PKGS[*]}"
        return 0
    fi
    [ "$(id -u)" -eq 0 ] || die "install needs root (apt-get)"
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # simplesamlphp depends on `apache2 | httpd`, which pulls in apache2. Make sure its postinst
    # does not start a daemon on port 80: if the image has no policy-rc.d, add one for the
    # duration of the install.
    local added_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        added_policy=1
    fi
    local rc=0 aptlog
    aptlog=$(mktemp)
    {
        apt-get update -qq &&
        apt-get install -y -qq --no-install-recommends \
            -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
    } >"$aptlog" 2>&1 || rc=$?
    [ "$added_policy" -eq 1 ] && rm -f /usr/sbin/policy-rc.d
    if [ "$rc" -ne 0 ]; then
        tail -n 40 "$aptlog" >&2
        rm -f "$aptlog"
        die "apt-get failed ($rc)"
    fi
    rm -f "$aptlog"
    [ -f "$SSP_ROOT/www/saml2/idp/SSOService.php" ] || die "unexpected layout: $SSP_ROOT/www missing"
    log "installed simplesamlphp $(dpkg-query -W -f='${Version}' simplesamlphp)"
}

# ---------------------------------------------------------------------------------------------
pid_alive() { # DIR -> 0 if DIR/php.pid names our running php -S
    local dir=$1 pid
    [ -f "$dir/php.pid" ] || return 1
    pid=$(cat "$dir/php.pid")
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "-S 127.0.0.1:" || return 1
}

running() { # PID -> 0 if the process exists and is not a zombie
    local state
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$state" ] && [ "$state" != Z ]
}

cmd_stop() {
    local dir=""
    while [ $# -gt 0 ]; do
        case $1 in
            --dir) dir=$2; shift 2 ;;
            *) die "stop: unknown argument $1" ;;
        esac
    done
    [ -n "$dir" ] || die "stop: --dir is required"
    if ! pid_alive "$dir"; then
        rm -f "$dir/php.pid"
        log "not running ($dir)"
        return 0
    fi
    local pid i
    pid=$(cat "$dir/php.pid")
    # php -S was started with setsid, so it leads its own process group (workers included).
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    # A zombie (exited, not yet reaped by its parent/init) counts as stopped: its port is free.
    for i in $(seq 1 50); do
        running "$pid" || break
        sleep 0.1
    done
    if running "$pid"; then
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/php.pid"
    log "stopped pid $pid"
}

# ---------------------------------------------------------------------------------------------
install_users() { # SRC DIR: validate the JSON user list and atomically put it at DIR/users.json
    local src=$1 dir=$2
    [ -r "$src" ] || die "users file not readable: $src"
    php -r '
        $u = json_decode(file_get_contents($argv[1]), true);
        if (!is_array($u) || $u === []) { fwrite(STDERR, "users file: not a non-empty JSON object\n"); exit(1); }
        foreach ($u as $name => $a) {
            if (!is_string($name) || $name === "" || strpos($name, ":") !== false) { fwrite(STDERR, "users file: bad user name ".var_export($name, true)."\n"); exit(1); }
            if (!is_array($a) || !isset($a["password"]) || !is_string($a["password"])) { fwrite(STDERR, "users file: user $name needs a string \"password\"\n"); exit(1); }
            if (!isset($a["email"])) { fwrite(STDERR, "users file: warning: user $name has no email, NameID falls back to transient\n"); }
        }' "$src" || die "invalid users file $src"
    cp "$src" "$dir/users.json.tmp.$$"
    mv -f "$dir/users.json.tmp.$$" "$dir/users.json"
}

cmd_users() {
    local dir="" users=""
    while [ $# -gt 0 ]; do
        case $1 in
            --dir) dir=$2; shift 2 ;;
            --users) users=$2; shift 2 ;;
            *) die "users: unknown argument $1" ;;
        esac
    done
    [ -n "$dir" ] && [ -n "$users" ] || die "users: --dir and --users are required"
    [ -f "$dir/config.php" ] || die "users: $dir has no generated config (run start first)"
    install_users "$users" "$dir"
    log "users updated ($dir/users.json); read on the next login (new IdP session or ForceAuthn)"
}

# ---------------------------------------------------------------------------------------------
cmd_start() {
    local dir="" port="" sp_entity_id="" acs_url="" sp_cert="" encrypt=0 users="" slo_url=""
    local force_authn=0 timeout=${SSP_START_TIMEOUT:-30} nameid_attribute=email
    while [ $# -gt 0 ]; do
        case $1 in
            --dir) dir=$2; shift 2 ;;
            --port) port=$2; shift 2 ;;
            --sp-entity-id) sp_entity_id=$2; shift 2 ;;
            --acs-url) acs_url=$2; shift 2 ;;
            --sp-cert) sp_cert=$2; shift 2 ;;
            --encrypt) encrypt=1; shift ;;
            --users) users=$2; shift 2 ;;
            --slo-url) slo_url=$2; shift 2 ;;
            --force-authn) force_authn=1; shift ;;
            --nameid-attribute) nameid_attribute=$2; shift 2 ;;
            --timeout) timeout=$2; shift 2 ;;
            *) die "start: unknown argument $1" ;;
        esac
    done
    [ -n "$dir" ] && [ -n "$port" ] && [ -n "$sp_entity_id" ] && [ -n "$acs_url" ] ||
        die "start: --dir, --port, --sp-entity-id and --acs-url are required"
    [[ $port =~ ^[0-9]+$ ]] || die "start: bad --port $port"
    if [ "$encrypt" -eq 1 ] && [ -z "$sp_cert" ]; then
        die "start: --encrypt needs --sp-cert"
    fi
    [ -z "$sp_cert" ] || [ -r "$sp_cert" ] || die "start: cannot read --sp-cert $sp_cert"
    [ -f "$SSP_ROOT/www/saml2/idp/SSOService.php" ] || die "simplesamlphp not installed (run: $0 install)"
    command -v php >/dev/null || die "php not installed (run: $0 install)"

    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    # Re-running start on the same DIR restarts the server with the new settings.
    pid_alive "$dir" && cmd_stop --dir "$dir"

    mkdir -p "$dir/metadata" "$dir/cert" "$dir/log" "$dir/data" "$dir/tmp" "$dir/sessions"

    # IdP signing key+certificate: generated once per DIR, kept across restarts of the same DIR
    # so that an SP which cached the metadata keeps verifying after a restart.
    if [ ! -s "$dir/cert/idp.key" ] || [ ! -s "$dir/cert/idp.crt" ]; then
        openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days 3650 \
            -subj "/CN=SimpleSAMLphp test IdP 127.0.0.1:$port" \
            -keyout "$dir/cert/idp.key" -out "$dir/cert/idp.crt" >/dev/null 2>&1 ||
            die "openssl req failed"
        chmod 600 "$dir/cert/idp.key"
    fi
    if [ ! -s "$dir/secrets.json" ]; then
        printf '{"secretsalt":"%s","adminpassword":"%s"}\n' \
            "$(openssl rand -hex 32)" "$(openssl rand -hex 16)" >"$dir/secrets.json"
        chmod 600 "$dir/secrets.json"
    fi

    if [ -n "$users" ]; then
        install_users "$users" "$dir"
    elif [ ! -f "$dir/users.json" ]; then
        cat >"$dir/users.json" <<'JSON'
{
  "ada": {"password": "pw", "email": ["ada@example.com"], "givenName": ["Ada"], "sn": ["Lovelace"], "groups": ["Engineering", "Admins"]}
}
JSON
    fi

    local sp_cert_b64=""
    if [ -n "$sp_cert" ]; then
        sp_cert_b64=$(openssl x509 -in "$sp_cert" -outform DER 2>/dev/null | base64 -w0) ||
            die "start: --sp-cert is not a PEM certificate"
        [ -n "$sp_cert_b64" ] || die "start: --sp-cert is not a PEM certificate"
    fi

    # Generate the PHP config files; values go through var_export so any string is safe.
    SSP_DIR=$dir SSP_PORT=$port SSP_SP_ENTITY_ID=$sp_entity_id SSP_ACS_URL=$acs_url \
    SSP_SP_CERT_B64=$sp_cert_b64 SSP_ENCRYPT=$encrypt SSP_SLO_URL=$slo_url \
    SSP_FORCE_AUTHN=$force_authn SSP_NAMEID_ATTRIBUTE=$nameid_attribute php <<'PHP' || die "config generation failed"
<?php
$dir = getenv('SSP_DIR');
$port = (int) getenv('SSP_PORT');
$base = "http://127.0.0.1:$port/";
$secrets = json_decode(file_get_contents("$dir/secrets.json"), true);
$x = function ($v) { return var_export($v, true); };
$put = function ($name, $body) use ($dir) {
    $tmp = "$dir/$name.tmp";
    file_put_contents($tmp, $body);
    rename($tmp, "$dir/$name");
};

// ---- config.php -------------------------------------------------------------------------
$config = [
    'baseurlpath' => $base,
    'certdir' => "$dir/cert/",
    'loggingdir' => "$dir/log/",
    'datadir' => "$dir/data/",
    'tempdir' => "$dir/tmp",
    'metadatadir' => "$dir/metadata/",
    'attributenamemapdir' => '/etc/simplesamlphp/attributemap/',
    'technicalcontact_name' => 'Handshake e2e',
    'technicalcontact_email' => 'na@example.org',
    'timezone' => 'UTC',
    'secretsalt' => $secrets['secretsalt'],
    'auth.adminpassword' => $secrets['adminpassword'],
    'admin.protectindexpage' => false,
    'admin.protectmetadata' => false,
    'admin.checkforupdates' => false,     // would phone home otherwise
    'trusted.url.domains' => [],
    'enable.http_post' => false,
    'assertion.allowed_clock_skew' => 180,
    'debug' => ['saml' => false, 'backtraces' => true, 'validatexml' => false],
    'showerrors' => true,
    'errorreporting' => false,
    'logging.level' => 6, // SimpleSAML\Logger::INFO
    'logging.handler' => 'file',
    'logging.logfile' => 'simplesamlphp.log',
    'statistics.out' => [],
    'enable.saml20-idp' => true,
    'enable.shib13-idp' => false,
    'enable.adfs-idp' => false,
    'module.enable' => ['exampleauth' => true, 'core' => true, 'saml' => true, 'admin' => true],
    'store.type' => 'phpsession',
    'session.duration' => 8 * 3600,
    'session.datastore.timeout' => 4 * 3600,
    'session.state.timeout' => 3600,
    'session.cookie.name' => 'SimpleSAMLSessionID',
    'session.cookie.lifetime' => 0,
    'session.cookie.path' => '/',
    'session.cookie.domain' => null,
    'session.cookie.secure' => false,     // plain HTTP on loopback
    'session.cookie.samesite' => null,    // "None" without Secure would be dropped by browsers
    'session.phpsession.cookiename' => 'SimpleSAML',
    'session.phpsession.savepath' => "$dir/sessions",
    'session.phpsession.httponly' => true,
    'session.authtoken.cookiename' => 'SimpleSAMLAuthToken',
    'session.rememberme.enable' => false,
    'language.default' => 'en',
    'language.cookie.secure' => false,
    'language.cookie.samesite' => null,
    'theme.use' => 'default',
    'usenewui' => false,
    'template.auto_reload' => true,
    'production' => false,
    'authproc.idp' => [
        // No consent, no attribute maps: attributes go out with their plain (basic) names.
        50 => 'core:AttributeLimit',
    ],
    'authproc.sp' => [],
    'metadata.sources' => [['type' => 'flatfile']],
    'metadata.sign.enable' => false,
];
$put('config.php', "<?php\n// Generated by scripts/simplesamlphp.sh; throwaway test configuration.\n\$config = " . $x($config) . ";\n");

// ---- authsources.php (users read from users.json on every request) -------------------------
$put('authsources.php', <<<'SRC'
<?php
// Generated by scripts/simplesamlphp.sh. Users come from users.json next to this file, read on
// every request, so rewriting users.json changes what the next login (new IdP session) gets.
$users = json_decode((string) file_get_contents(__DIR__ . '/users.json'), true);
if (!is_array($users)) {
    throw new \Exception('users.json is not a JSON object');
}
$userpass = ['exampleauth:UserPass'];
foreach ($users as $name => $attrs) {
    $password = (string) $attrs['password'];
    unset($attrs['password']);
    foreach ($attrs as $k => $v) {
        $attrs[$k] = array_values(array_map('strval', is_array($v) ? $v : [$v]));
    }
    $userpass[$name . ':' . $password] = $attrs;
}
$config = [
    'admin' => ['core:AdminPassword'],
    'example-userpass' => $userpass,
];

SRC
);

// ---- metadata/saml20-idp-hosted.php --------------------------------------------------------
$idp = [
    'host' => '__DEFAULT__',
    'privatekey' => 'idp.key',
    'certificate' => 'idp.crt',
    'auth' => 'example-userpass',
    'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
    'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    'saml20.sign.assertion' => true,
    'saml20.sign.response' => true,
    'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    // SSOService.php accepts both; advertise both (the default metadata lists only Redirect).
    'SingleSignOnServiceBinding' => [
        'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
        'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
    ],
    'SingleLogoutServiceBinding' => [
        'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
        'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
    ],
];
$put('metadata/saml20-idp-hosted.php', "<?php\n\$metadata[" . $x($base . 'saml2/idp/metadata.php') . "] = " . $x($idp) . ";\n");

// ---- metadata/saml20-sp-remote.php -------------------------------------------------------
$spId = getenv('SSP_SP_ENTITY_ID');
$sp = [
    'AssertionConsumerService' => [[
        'Binding' => 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
        'Location' => getenv('SSP_ACS_URL'),
        'index' => 0,
        'isDefault' => true,
    ]],
    'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    'simplesaml.nameidattribute' => getenv('SSP_NAMEID_ATTRIBUTE'),
    'simplesaml.attributes' => true,
    'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
    'saml20.sign.assertion' => true,
    'saml20.sign.response' => true,
    'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    'assertion.encryption' => getenv('SSP_ENCRYPT') === '1',
    'nameid.encryption' => false,
    'validate.authnrequest' => false,
    'ForceAuthn' => getenv('SSP_FORCE_AUTHN') === '1',
];
if (getenv('SSP_SLO_URL') !== '' && getenv('SSP_SLO_URL') !== false) {
    $sp['SingleLogoutService'] = [[
        'Binding' => 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
        'Location' => getenv('SSP_SLO_URL'),
    ]];
}
$cert = getenv('SSP_SP_CERT_B64');
if ($cert !== '' && $cert !== false) {
    $sp['keys'] = [[
        'type' => 'X509Certificate',
        'signing' => true,
        'encryption' => true,
        'X509Certificate' => $cert,
    ]];
}
$put('metadata/saml20-sp-remote.php', "<?php\n\$metadata[" . $x($spId) . "] = " . $x($sp) . ";\n");
PHP

    # Start php -S in its own session (process group) so stop can end it and any workers.
    : >"$dir/php.log"
    (
        cd "$dir"
        SIMPLESAMLPHP_CONFIG_DIR="$dir" exec setsid php -S "127.0.0.1:$port" -t "$SSP_ROOT/www" \
            </dev/null >>"$dir/php.log" 2>&1
    ) &
    local pid=$!
    echo "$pid" >"$dir/php.pid"

    local url="http://127.0.0.1:$port/saml2/idp/metadata.php" deadline=$((SECONDS + timeout)) code
    while :; do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 20 "$dir/php.log" >&2
            rm -f "$dir/php.pid"
            die "php -S exited (port $port in use?)"
        fi
        code=$(curl -s -o "$dir/tmp/metadata.xml" -w '%{http_code}' --max-time 5 "$url" 2>/dev/null || true)
        if [ "$code" = 200 ] && grep -q 'IDPSSODescriptor' "$dir/tmp/metadata.xml"; then
            break
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            tail -n 20 "$dir/php.log" >&2
            [ -f "$dir/log/simplesamlphp.log" ] && tail -n 20 "$dir/log/simplesamlphp.log" >&2
            cmd_stop --dir "$dir"
            die "IdP did not answer at $url within ${timeout}s (last HTTP code: ${code:-none})"
        fi
        sleep 0.2
    done
    log "IdP up on http://127.0.0.1:$port/ (pid $pid, config $dir)"
    echo "$url"
}

# ---------------------------------------------------------------------------------------------
[ $# -ge 1 ] || usage
sub=$1
shift
case $sub in
    install) cmd_install "$@" ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    users) cmd_users "$@" ;;
    -h|--help|help) usage ;;
    *) usage ;;
esac
