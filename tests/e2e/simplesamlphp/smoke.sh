#!/usr/bin/env bash
# curl-only smoke test of the throwaway SimpleSAMLphp IdP (scripts/simplesamlphp.sh).
# No SP runs: the ACS URL points at a closed port, the SAMLResponse is taken from the IdP's
# auto-POST page. Usage: tests/e2e/simplesamlphp/smoke.sh [PORT]   (set VERBOSE=1 for more)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
ssp="$root/scripts/simplesamlphp.sh"
tool="python3 $here/saml_tool.py"
PORT=${1:-$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')}
B="http://127.0.0.1:$PORT"
SP_ID="https://sp.example.test/handshake"
ACS="http://127.0.0.1:9/acs"
W=$(mktemp -d)
DIR="$W/idp"
pass=0
fail=0
trap '"$ssp" stop --dir "$DIR" >/dev/null 2>&1 || true' EXIT

check() { # DESCRIPTION COMMAND...
    local d=$1
    shift
    if "$@"; then pass=$((pass + 1)); echo "ok   - $d"; else fail=$((fail + 1)); echo "FAIL - $d"; fi
}
has() { grep -q -- "$2" "$1"; }

urlenc() { python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1],safe=""))' "$1"; }

# login JAR URL USER PASSWORD OUT: follows the IdP from URL (SSOService) to the auto-POST page.
# Writes OUT.html (the page with the SAMLResponse form) and OUT.xml (decoded Response).
# Sets LOGIN_FORM_SEEN=1 when the username/password form had to be filled in.
login() {
    local jar=$1 url=$2 user=$3 pw=$4 out=$5 loc authstate action
    LOGIN_FORM_SEEN=0
    curl -s -c "$jar" -b "$jar" -D "$out.h1" -o "$out.html" "$url"
    loc=$(sed -n 's/^[Ll]ocation: *//p' "$out.h1" | tr -d '\r')
    if [ -n "$loc" ]; then
        # 302 to /module.php/core/loginuserpass.php?AuthState=...
        curl -s -c "$jar" -b "$jar" -o "$out.form.html" "$loc"
        authstate=$($tool form AuthState "$out.form.html")
        action=$($tool form action "$out.form.html")   # "?" = same path, no query
        [ "$action" = "?" ] && action="${loc%%\?*}"
        curl -s -c "$jar" -b "$jar" -D "$out.h2" -o "$out.html" "$action" \
            --data-urlencode "username=$user" --data-urlencode "password=$pw" \
            --data-urlencode "AuthState=$authstate"
        LOGIN_FORM_SEEN=1
    fi
    $tool decode "$out.html" "$out.xml"
}

echo "# install"
t0=$(date +%s.%N)
"$ssp" install
echo "install took $(python3 -c "print(round($(date +%s.%N)-$t0,2))") s"

cat >"$W/users.json" <<'JSON'
{"ada": {"password": "pw", "email": ["ada@example.com"], "givenName": ["Ada"], "sn": ["Lovelace"], "groups": ["Engineering", "Admins"]}}
JSON

echo "# start (plain)"
t0=$(date +%s.%N)
md_url=$("$ssp" start --dir "$DIR" --port "$PORT" --sp-entity-id "$SP_ID" --acs-url "$ACS" --users "$W/users.json")
echo "start took $(python3 -c "print(round($(date +%s.%N)-$t0,2))") s; metadata URL: $md_url"
check "metadata URL" [ "$md_url" = "$B/saml2/idp/metadata.php" ]
curl -s -o "$W/md.xml" "$md_url"
check "metadata has IDPSSODescriptor" has "$W/md.xml" "IDPSSODescriptor"
check "metadata entityID" has "$W/md.xml" "entityID=\"$B/saml2/idp/metadata.php\""

echo "# IdP-initiated login"
login "$W/jar1" "$B/saml2/idp/SSOService.php?spentityid=$(urlenc "$SP_ID")&RelayState=idp-rs" ada pw "$W/idpinit"
$tool summary "$W/idpinit.xml" | tee "$W/idpinit.txt"
check "login form was shown" [ "$LOGIN_FORM_SEEN" = 1 ]
check "auto-POST form targets ACS" [ "$($tool form action "$W/idpinit.html")" = "$ACS" ]
check "RelayState echoed" [ "$($tool form RelayState "$W/idpinit.html")" = "idp-rs" ]
check "Response signed rsa-sha256" has "$W/idpinit.txt" "Response signed: http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
check "Assertion signed" has "$W/idpinit.txt" "Assertion ID=.* signed:"
check "NameID email" has "$W/idpinit.txt" "nameid-format:emailAddress .* value=ada@example.com"
check "groups attribute" has "$W/idpinit.txt" "Attribute groups (basic) = \['Engineering', 'Admins'\]"
check "no InResponseTo (unsolicited)" has "$W/idpinit.txt" "InResponseTo=None"
if command -v xmlsec1 >/dev/null; then
    check "xmlsec1 verifies Response signature" xmlsec1 --verify --pubkey-cert-pem "$DIR/cert/idp.crt" \
        --id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:Response "$W/idpinit.xml"
    check "xmlsec1 verifies Assertion signature" xmlsec1 --verify --pubkey-cert-pem "$DIR/cert/idp.crt" \
        --id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion \
        --node-xpath "//*[local-name()='Assertion']/*[local-name()='Signature']" "$W/idpinit.xml"
fi 2>/dev/null

echo "# SP-initiated login (HTTP-Redirect AuthnRequest)"
q=$($tool authnrequest --issuer "$SP_ID" --acs "$ACS" --dest "$B/saml2/idp/SSOService.php" --id _req1 --relay-state sp-rs)
login "$W/jar2" "$B/saml2/idp/SSOService.php?$q" ada pw "$W/spinit"
$tool summary "$W/spinit.xml" | tee "$W/spinit.txt"
check "InResponseTo echoed on Response" has "$W/spinit.txt" "InResponseTo=_req1 "
check "InResponseTo echoed on SubjectConfirmationData" has "$W/spinit.txt" "'InResponseTo': '_req1'"
check "RelayState echoed" [ "$($tool form RelayState "$W/spinit.html")" = "sp-rs" ]
q=$($tool authnrequest --issuer "$SP_ID" --acs "$ACS" --dest "$B/saml2/idp/SSOService.php" --id _req2)
login "$W/jar2" "$B/saml2/idp/SSOService.php?$q" ada pw "$W/spinit2"
check "second SP-initiated login reuses IdP session (no form)" [ "$LOGIN_FORM_SEEN" = 0 ]

echo "# wrong password"
q=$($tool authnrequest --issuer "$SP_ID" --acs "$ACS" --dest "$B/saml2/idp/SSOService.php")
curl -s -c "$W/jar3" -b "$W/jar3" -D "$W/bad.h" -o /dev/null "$B/saml2/idp/SSOService.php?$q"
loc=$(sed -n 's/^[Ll]ocation: *//p' "$W/bad.h" | tr -d '\r')
curl -s -c "$W/jar3" -b "$W/jar3" -o "$W/bad.form.html" "$loc"
curl -s -c "$W/jar3" -b "$W/jar3" -o "$W/bad.html" "${loc%%\?*}" --data-urlencode username=ada \
    --data-urlencode password=nope --data-urlencode "AuthState=$($tool form AuthState "$W/bad.form.html")"
check "wrong password re-shows the form, no SAMLResponse" bash -c "grep -q 'name=\"password\"' '$W/bad.html' && ! grep -q SAMLResponse '$W/bad.html'"

echo "# change the user's attributes at the IdP"
cat >"$W/users2.json" <<'JSON'
{"ada": {"password": "pw2", "email": ["ada@example.com"], "givenName": ["Augusta Ada"], "sn": ["King"], "groups": ["Engineering"]}}
JSON
"$ssp" users --dir "$DIR" --users "$W/users2.json"
q=$($tool authnrequest --issuer "$SP_ID" --acs "$ACS" --dest "$B/saml2/idp/SSOService.php")
login "$W/jar2" "$B/saml2/idp/SSOService.php?$q" ada pw2 "$W/same-session"
$tool summary "$W/same-session.xml" >"$W/same-session.txt"
check "existing IdP session keeps OLD attributes (no form)" bash -c "[ $LOGIN_FORM_SEEN = 0 ] && grep -q \"groups (basic) = \['Engineering', 'Admins'\]\" '$W/same-session.txt'"
q=$($tool authnrequest --issuer "$SP_ID" --acs "$ACS" --dest "$B/saml2/idp/SSOService.php" --force-authn)
login "$W/jar2" "$B/saml2/idp/SSOService.php?$q" ada pw2 "$W/forced"
$tool summary "$W/forced.xml" >"$W/forced.txt"
check "ForceAuthn re-authenticates and gets NEW attributes" bash -c "[ $LOGIN_FORM_SEEN = 1 ] && grep -q \"groups (basic) = \['Engineering'\]\" '$W/forced.txt' && grep -q \"givenName (basic) = \['Augusta Ada'\]\" '$W/forced.txt'"
login "$W/jar4" "$B/saml2/idp/SSOService.php?spentityid=$(urlenc "$SP_ID")" ada pw2 "$W/fresh"
$tool summary "$W/fresh.xml" >"$W/fresh.txt"
check "fresh browser session gets NEW attributes" has "$W/fresh.txt" "sn (basic) = \['King'\]"

echo "# --encrypt"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=handshake-test-sp \
    -keyout "$W/sp.key" -out "$W/sp.crt" >/dev/null 2>&1
t0=$(date +%s.%N)
"$ssp" start --dir "$DIR" --port "$PORT" --sp-entity-id "$SP_ID" --acs-url "$ACS" \
    --users "$W/users.json" --sp-cert "$W/sp.crt" --encrypt >/dev/null
echo "restart with --encrypt took $(python3 -c "print(round($(date +%s.%N)-$t0,2))") s"
q=$($tool authnrequest --issuer "$SP_ID" --acs "$ACS" --dest "$B/saml2/idp/SSOService.php" --id _req3)
login "$W/jar5" "$B/saml2/idp/SSOService.php?$q" ada pw "$W/enc"
$tool summary "$W/enc.xml" | tee "$W/enc.txt"
check "EncryptedAssertion present" has "$W/enc.txt" "EncryptedAssertion"
check "data: aes128-cbc" has "$W/enc.txt" "data EncryptionMethod http://www.w3.org/2001/04/xmlenc#aes128-cbc"
check "key transport: rsa-oaep-mgf1p" has "$W/enc.txt" "key transport EncryptionMethod http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
check "Response still signed" has "$W/enc.txt" "Response signed: "
$tool decrypt "$W/enc.xml" "$W/sp.key" "$W/enc-assertion.xml" | tee "$W/dec.txt"
check "decrypted assertion is signed and has NameID" bash -c "grep -q 'Assertion ID=.* signed:' '$W/dec.txt' && grep -q 'value=ada@example.com' '$W/dec.txt'"

echo "# stop"
"$ssp" stop --dir "$DIR"
check "port closed after stop" bash -c "! curl -s -o /dev/null --max-time 2 '$B/'"
[ "${KEEP:-0}" = 1 ] && echo "artifacts kept in $W" || rm -rf "$W"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
