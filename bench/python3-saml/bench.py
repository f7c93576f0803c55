#!/usr/bin/env python3
"""Throughput of python3-saml (OneLogin's toolkit) validating one SAML Response.

The reference point for Handshake's own Response validation, run side by side
on the same fixture. Set up the interpreter with scripts/setup-python3-saml.sh
and run this file with target/python3-saml-venv/bin/python.

    bench.py --response FILE --idp-cert CERT.pem --idp-entity-id ID \
             --sp-entity-id ID --acs-url URL --at RFC3339 \
             [--in-response-to ID] --iterations N [--json]

FILE holds the base64 SAMLResponse form field as the browser POSTs it (line
breaks are ignored; a whole urlencoded body starting with "SAMLResponse=" is
accepted too). One validation is what an SP does per POST:
OneLogin_Saml2_Response(settings, b64) (base64 decode + parse) followed by
is_valid(request_data, request_id) in strict mode, with both the Response and
the Assertion signature required and checked, and SHA-1 rejected. The settings
object is built once, as an application would.

python3-saml reads the clock only through OneLogin_Saml2_Utils.now() on the
Response path (Conditions, SubjectConfirmationData, SessionNotOnOrAfter);
it is frozen to --at so a fixed fixture stays valid. xmlsec is asked not to
verify the certificate (python3-saml's default), so its validity period does
not matter.

The response is validated once first: if it is not valid the error is printed
and the exit status is 1, so a failing path is never timed.
"""

import argparse
import base64
import calendar
import datetime as dt
import json
import sys
import time
import urllib.parse

try:
    from onelogin.saml2.constants import OneLogin_Saml2_Constants
    from onelogin.saml2.response import OneLogin_Saml2_Response
    from onelogin.saml2.settings import OneLogin_Saml2_Settings
    from onelogin.saml2.utils import OneLogin_Saml2_Utils
    import onelogin.saml2.utils as saml2_utils
except ImportError as err:
    sys.exit("bench.py: %s; run it with target/python3-saml-venv/bin/python "
             "(created by scripts/setup-python3-saml.sh)" % err)


def parse_rfc3339(value):
    """RFC 3339 instant -> whole seconds since the epoch (python3-saml's own resolution)."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        instant = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("not an RFC 3339 date-time: %r" % value)
    if instant.tzinfo is None:
        raise argparse.ArgumentTypeError("RFC 3339 date-time needs a Z or an offset: %r" % value)
    return calendar.timegm(instant.astimezone(dt.timezone.utc).utctimetuple())


def freeze_clock(epoch_seconds):
    """Make every clock read python3-saml does on this path return the given instant."""
    OneLogin_Saml2_Utils.now = staticmethod(lambda: epoch_seconds)

    # Belt and braces for the other helpers in utils that call datetime.utcnow()
    # (parse_duration without a timestamp, get_expire_time): not on the Response
    # path in 1.16.0, but cheap to cover should a later version use them.
    frozen = dt.datetime.utcfromtimestamp(epoch_seconds)

    class FrozenDatetime(dt.datetime):
        @classmethod
        def utcnow(cls):
            return frozen

        @classmethod
        def now(cls, tz=None):
            return frozen if tz is None else frozen.replace(tzinfo=dt.timezone.utc).astimezone(tz)

    saml2_utils.datetime = FrozenDatetime


def read_saml_response(path):
    with open(path, "r", encoding="ascii") as f:
        text = f.read().strip()
    if text.startswith("SAMLResponse="):
        fields = urllib.parse.parse_qs(text, keep_blank_values=True, strict_parsing=False)
        text = fields["SAMLResponse"][0]
    # Fail early on something that is not base64 at all (python3-saml itself
    # decodes leniently, skipping line breaks).
    try:
        base64.b64decode(text)
    except Exception as err:  # binascii.Error
        sys.exit("bench.py: %s does not hold base64: %s" % (path, err))
    return text


def request_data_for(acs_url):
    """The request dict python3-saml expects, for a POST received at acs_url."""
    parts = urllib.parse.urlsplit(acs_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        sys.exit("bench.py: --acs-url must be an absolute http(s) URL: %r" % acs_url)
    request_data = {
        "https": "on" if parts.scheme == "https" else "off",
        "http_host": parts.netloc,
        "script_name": parts.path,
        "get_data": {},
        "post_data": {},
    }
    current = OneLogin_Saml2_Utils.get_self_url_no_query(request_data)
    expected = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    if current != expected:
        sys.exit("bench.py: request data gives current URL %r, not %r" % (current, expected))
    return request_data


def build_settings(args, idp_cert_pem):
    return OneLogin_Saml2_Settings(
        {
            "strict": True,
            "debug": False,
            "sp": {
                "entityId": args.sp_entity_id,
                "assertionConsumerService": {
                    "url": args.acs_url,
                    "binding": OneLogin_Saml2_Constants.BINDING_HTTP_POST,
                },
                "NameIDFormat": OneLogin_Saml2_Constants.NAMEID_UNSPECIFIED,
            },
            "idp": {
                "entityId": args.idp_entity_id,
                # Required by the settings checker, never contacted here.
                "singleSignOnService": {
                    "url": "https://idp.invalid/sso",
                    "binding": OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT,
                },
                "x509cert": idp_cert_pem,
            },
            "security": {
                "wantAssertionsSigned": True,
                "wantMessagesSigned": True,
                "rejectDeprecatedAlgorithm": True,
                # Defaults, spelled out: NameID required, AttributeStatement required.
                "wantNameId": True,
                "wantAttributeStatement": True,
                "wantAssertionsEncrypted": False,
                "wantNameIdEncrypted": False,
            },
        },
        sp_validation_only=False,
    )


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--response", required=True, help="file with the base64 SAMLResponse")
    p.add_argument("--idp-cert", required=True, help="IdP signing certificate, PEM")
    p.add_argument("--idp-entity-id", required=True)
    p.add_argument("--sp-entity-id", required=True)
    p.add_argument("--acs-url", required=True, help="URL the response is POSTed to (= Destination, Recipient)")
    p.add_argument("--at", required=True, type=parse_rfc3339, help="RFC 3339 instant to freeze the clock at")
    p.add_argument("--in-response-to", default=None, help="ID of the AuthnRequest the SP sent")
    p.add_argument("--iterations", required=True, type=int)
    p.add_argument("--warmup", type=int, default=None,
                   help="untimed validations before timing (default: iterations/10, 1..200)")
    p.add_argument("--extract", action="store_true",
                   help="also read NameID, attributes and session index after validating, "
                        "as OneLogin_Saml2_Auth.process_response does")
    p.add_argument("--json", action="store_true", help='print {"iterations","seconds","validations_per_sec"}')
    args = p.parse_args(argv)
    if args.iterations < 1:
        p.error("--iterations must be at least 1")
    warmup = args.warmup if args.warmup is not None else max(1, min(200, args.iterations // 10))

    b64 = read_saml_response(args.response)
    with open(args.idp_cert, "r", encoding="ascii") as f:
        idp_cert_pem = f.read()
    freeze_clock(args.at)
    request_data = request_data_for(args.acs_url)
    settings = build_settings(args, idp_cert_pem)
    request_id = args.in_response_to
    extract = args.extract

    def validate():
        response = OneLogin_Saml2_Response(settings, b64)
        ok = response.is_valid(request_data, request_id)
        if ok and extract:
            response.get_nameid_data()
            response.get_attributes()
            response.get_session_index()
            response.get_session_not_on_or_after()
        return ok, response

    # One checked validation: never time a rejection path.
    try:
        ok, response = validate()
    except Exception as err:  # constructor errors (bad base64, XML) are raised, not returned
        print("python3-saml rejected the response: %s" % err, file=sys.stderr)
        return 1
    if not ok:
        print("python3-saml rejected the response: %s" % response.get_error(), file=sys.stderr)
        return 1
    if extract:
        # get_nameid_data raises in strict mode on a missing/empty NameID.
        response.get_nameid_data()

    for _ in range(warmup):
        validate()

    invalid = 0
    start = time.perf_counter()
    for _ in range(args.iterations):
        ok, _response = validate()
        if not ok:
            invalid += 1
    seconds = time.perf_counter() - start
    if invalid:
        print("python3-saml rejected the response in %d of %d timed validations" % (invalid, args.iterations),
              file=sys.stderr)
        return 1

    rate = args.iterations / seconds
    if args.json:
        print(json.dumps({"iterations": args.iterations, "seconds": seconds, "validations_per_sec": rate}))
    else:
        print("python3-saml: %d validations in %.3f s: %.1f validations/s" % (args.iterations, seconds, rate))
    return 0


if __name__ == "__main__":
    sys.exit(main())
