#!/usr/bin/env python3
"""Tiny stdlib-only helper for the curl smoke test of the SimpleSAMLphp IdP.

  saml_tool.py authnrequest --issuer ID --acs URL --dest URL [--id ID] [--relay-state RS]
               [--force-authn]                -> prints the query string for HTTP-Redirect
  saml_tool.py form FIELD HTML_FILE           -> prints a form field value ("action" = form action)
  saml_tool.py decode HTML_FILE OUT_XML       -> base64-decodes the SAMLResponse of an auto-POST page
  saml_tool.py summary XML_FILE               -> prints what the Response contains
  saml_tool.py decrypt XML_FILE SP_KEY OUT    -> decrypts an EncryptedAssertion (openssl CLI)
"""
import argparse
import base64
import datetime
import html
import re
import subprocess
import sys
import tempfile
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
import zlib

NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "xenc": "http://www.w3.org/2001/04/xmlenc#",
}


def authnrequest(a):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    rid = a.id or "_" + uuid.uuid4().hex
    force = ' ForceAuthn="true"' if a.force_authn else ""
    req = (
        '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="{rid}" Version="2.0" IssueInstant="{now}" Destination="{html.escape(a.dest)}"{force} '
        'ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
        f'AssertionConsumerServiceURL="{html.escape(a.acs)}">'
        f"<saml:Issuer>{html.escape(a.issuer)}</saml:Issuer>"
        '<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" '
        'AllowCreate="true"/></samlp:AuthnRequest>'
    )
    c = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw DEFLATE, no zlib header
    deflated = c.compress(req.encode()) + c.flush()
    params = {"SAMLRequest": base64.b64encode(deflated).decode()}
    if a.relay_state:
        params["RelayState"] = a.relay_state
    print(urllib.parse.urlencode(params))


def form(a):
    page = open(a.html_file, encoding="utf-8").read()
    if a.field == "action":
        m = re.search(r'<form\b[^>]*\baction="([^"]*)"', page, re.S)
    else:
        m = re.search(r'<input\b[^>]*\bname="' + re.escape(a.field) + r'"[^>]*\bvalue="([^"]*)"', page, re.S)
    if not m:
        sys.exit(f"no {a.field} in {a.html_file}")
    print(html.unescape(m.group(1)))


def decode(a):
    page = open(a.html_file, encoding="utf-8").read()
    m = re.search(r'name="SAMLResponse" value="([^"]*)"', page)
    if not m:
        sys.exit(f"no SAMLResponse in {a.html_file}")
    open(a.out, "wb").write(base64.b64decode(html.unescape(m.group(1))))


def _sig(el):
    s = el.find("ds:Signature", NS)
    if s is None:
        return "UNSIGNED"
    return "signed: %s / digest %s / c14n %s" % (
        s.find("ds:SignedInfo/ds:SignatureMethod", NS).get("Algorithm"),
        s.find("ds:SignedInfo/ds:Reference/ds:DigestMethod", NS).get("Algorithm"),
        s.find("ds:SignedInfo/ds:CanonicalizationMethod", NS).get("Algorithm"),
    )


def summarize_assertion(asrt):
    print("  Assertion ID=%s %s" % (asrt.get("ID"), _sig(asrt)))
    nid = asrt.find("saml:Subject/saml:NameID", NS)
    print("  NameID Format=%s SPNameQualifier=%s value=%s" % (nid.get("Format"), nid.get("SPNameQualifier"), nid.text))
    scd = asrt.find("saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", NS)
    print("  SubjectConfirmationData %s" % dict(scd.attrib))
    aud = [x.text for x in asrt.findall("saml:Conditions/saml:AudienceRestriction/saml:Audience", NS)]
    print("  Audience %s" % aud)
    for at in asrt.findall("saml:AttributeStatement/saml:Attribute", NS):
        vals = [v.text for v in at.findall("saml:AttributeValue", NS)]
        print("  Attribute %s (%s) = %s" % (at.get("Name"), at.get("NameFormat").rsplit(":", 1)[-1], vals))


def summary(a):
    root = ET.parse(a.xml_file).getroot()
    print("Response ID=%s InResponseTo=%s Destination=%s" % (root.get("ID"), root.get("InResponseTo"), root.get("Destination")))
    print("  Issuer %s" % root.find("saml:Issuer", NS).text)
    print("  Response %s" % _sig(root))
    print("  Status %s" % root.find("samlp:Status/samlp:StatusCode", NS).get("Value"))
    asrt = root.find("saml:Assertion", NS)
    if asrt is not None:
        summarize_assertion(asrt)
    enc = root.find("saml:EncryptedAssertion", NS)
    if enc is not None:
        ed = enc.find("xenc:EncryptedData", NS)
        print("  EncryptedAssertion: EncryptedData Type=%s" % ed.get("Type"))
        print("    data EncryptionMethod %s" % ed.find("xenc:EncryptionMethod", NS).get("Algorithm"))
        for ek in enc.iter("{%s}EncryptedKey" % NS["xenc"]):
            em = ek.find("xenc:EncryptionMethod", NS)
            kids = [c.tag.split("}")[1] + "=" + (c.get("Algorithm") or "") for c in em]
            print("    key transport EncryptionMethod %s children=%s" % (em.get("Algorithm"), kids or "none"))


def decrypt(a):
    root = ET.parse(a.xml_file).getroot()
    enc = root.find("saml:EncryptedAssertion", NS)
    ed = enc.find("xenc:EncryptedData", NS)
    ek = next(enc.iter("{%s}EncryptedKey" % NS["xenc"]))
    assert ek.find("xenc:EncryptionMethod", NS).get("Algorithm") == "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
    assert ed.find("xenc:EncryptionMethod", NS).get("Algorithm") == "http://www.w3.org/2001/04/xmlenc#aes128-cbc"
    wrapped = base64.b64decode(ek.find("xenc:CipherData/xenc:CipherValue", NS).text)
    with tempfile.NamedTemporaryFile() as f:
        f.write(wrapped)
        f.flush()
        key = subprocess.run(
            ["openssl", "pkeyutl", "-decrypt", "-inkey", a.sp_key, "-in", f.name,
             "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha1", "-pkeyopt", "rsa_mgf1_md:sha1"],
            check=True, capture_output=True).stdout
    data = base64.b64decode(ed.find("xenc:CipherData/xenc:CipherValue", NS).text)
    iv, ct = data[:16], data[16:]
    plain = subprocess.run(
        ["openssl", "enc", "-d", "-aes-128-cbc", "-nopad", "-K", key.hex(), "-iv", iv.hex()],
        input=ct, check=True, capture_output=True).stdout
    plain = plain[: -plain[-1]]  # XML Encryption padding: last byte = pad length
    open(a.out, "wb").write(plain)
    print("decrypted: %d-byte AES key, %d bytes of assertion" % (len(key), len(plain)))
    # Re-parse with the namespace declarations the assertion inherited from the Response.
    wrapped_doc = ('<w xmlns:saml="%s" xmlns:xs="http://www.w3.org/2001/XMLSchema" '
                   'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' % NS["saml"])
    asrt = ET.fromstring(wrapped_doc + plain.decode() + "</w>").find("saml:Assertion", NS)
    summarize_assertion(asrt)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("authnrequest")
    s.add_argument("--issuer", required=True)
    s.add_argument("--acs", required=True)
    s.add_argument("--dest", required=True)
    s.add_argument("--id")
    s.add_argument("--relay-state")
    s.add_argument("--force-authn", action="store_true")
    s.set_defaults(f=authnrequest)
    s = sub.add_parser("form")
    s.add_argument("field")
    s.add_argument("html_file")
    s.set_defaults(f=form)
    s = sub.add_parser("decode")
    s.add_argument("html_file")
    s.add_argument("out")
    s.set_defaults(f=decode)
    s = sub.add_parser("summary")
    s.add_argument("xml_file")
    s.set_defaults(f=summary)
    s = sub.add_parser("decrypt")
    s.add_argument("xml_file")
    s.add_argument("sp_key")
    s.add_argument("out")
    s.set_defaults(f=decrypt)
    a = p.parse_args()
    a.f(a)


if __name__ == "__main__":
    main()
