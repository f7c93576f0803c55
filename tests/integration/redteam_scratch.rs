//! TEMPORARY red-team scratch tests. Remove before finishing.
#![allow(dead_code, unused_imports, unused_variables, clippy::all)]

use std::time::Instant;

use chrono::Duration;
use handshake::connection::{SecurityPolicy, SignatureRequirement};
use handshake::idp::encrypt::{DataEncryption, EncryptOptions, KeyTransport, encrypt_assertion};
use handshake::idp::response::IssueOptions;
use handshake::idp::sign::{sign_first_template, signature_template, to_post_form_value};
use handshake::idp::{AttributeSpec, ResponseSpec, SamlStyle, SignatureAlgorithm, SigningKey};
use handshake::validate::{Context, Report, validate};

use crate::validation::{fixtures_dir, generator, idp_certs, sp, sp_key};

pub fn keys() -> generator::Keys {
    generator::keys(&fixtures_dir())
}

pub fn spec(name_id: &str) -> ResponseSpec {
    let mut s = ResponseSpec::new(
        generator::IDP_ENTITY_ID,
        generator::SP_ENTITY_ID,
        generator::ACS_URL,
        name_id,
        generator::issued(),
    );
    s.attributes = vec![AttributeSpec::new("groups", &["Engineering"])];
    s
}

pub fn opts(resp: bool, assertion: bool) -> IssueOptions<'static> {
    IssueOptions {
        sign_assertion: assertion,
        sign_response: resp,
        algorithm: SignatureAlgorithm::RsaSha256,
        encrypt_to: None,
    }
}

pub fn run_policy(xml: &str, policy: &SecurityPolicy) -> Report {
    let certs = idp_certs();
    let sp = sp();
    let key = sp_key();
    let key_source = move || Ok(key.clone());
    let ctx = Context {
        idp_entity_id: generator::IDP_ENTITY_ID,
        signing_certificates: &certs,
        sp: &sp,
        policy,
        decryption_key: Some(&key_source),
        now: generator::judged_at(),
        in_response_to: None,
    };
    validate(&to_post_form_value(xml), &ctx)
}

pub fn run(xml: &str) -> Report {
    run_policy(xml, &SecurityPolicy::default())
}

pub fn show(label: &str, r: &Report) {
    println!(
        "### {label}: {:?} name_id={:?} err={:?}",
        r.verdict,
        r.name_id.as_ref().map(|n| n.value.clone()),
        r.error.as_ref().map(|e| format!("{}/{}: {}", e.check, e.violation, e.message))
    );
}

#[test]
fn redteam_00_baseline() {
    let k = keys();
    for (l, o) in [("both", opts(true, true)), ("assertion", opts(false, true)), ("response", opts(true, false))] {
        let xml = spec("ada@example.com").issue(&k.idp, &o).unwrap();
        show(l, &run(&xml));
    }
    let xml = spec("ada@example.com").issue(&k.idp, &opts(true, true)).unwrap();
    println!("{xml}");
}

fn signed_assertion_only(name: &str) -> String {
    spec(name).issue(&keys().idp, &opts(false, true)).unwrap()
}

const AID: &str = "_a0000000000000000000000000000001";
const RID: &str = "_r0000000000000000000000000000001";

#[test]
fn redteam_01_differentials() {
    let xml = signed_assertion_only("ada@example.com");
    // xml:id shadowing the assertion ID (libxml registers xml:id automatically)
    let x = xml.replace(
        "<samlp:Status>",
        &format!(r#"<samlp:Extensions><foo xmlns="urn:x" xml:id="{AID}"/></samlp:Extensions><samlp:Status>"#),
    );
    show("xml:id duplicate of assertion ID", &run(&x));
    // namespaced ID on another element
    let x = xml.replace(
        "<samlp:Status>",
        &format!(
            r#"<samlp:Extensions><foo xmlns="urn:x" xmlns:q="urn:q" q:ID="{AID}"/></samlp:Extensions><samlp:Status>"#
        ),
    );
    show("q:ID duplicate of assertion ID", &run(&x));
    // depth > 256 after the assertion (libxml halts in recover mode)
    let deep = format!("{}{}", "<x>".repeat(300), "</x>".repeat(300));
    let x = xml.replace("</samlp:Response>", &format!("{deep}</samlp:Response>"));
    show("deep nest after assertion (benign)", &run(&x));
    // policy Both: the 'response signature' lives after the truncation point (copy of the assertion sig with Reference -> response)
    let sig_start = xml.find("<ds:Signature").unwrap();
    let sig_end = xml.find("</ds:Signature>").unwrap() + 15;
    let fake = xml[sig_start..sig_end].replace(&format!("#{AID}"), &format!("#{RID}"));
    let x = xml
        .replace("</samlp:Response>", &format!("<samlp:Extensions>{deep}</samlp:Extensions>{fake}</samlp:Response>"));
    let both = SecurityPolicy { signature: SignatureRequirement::Both, ..SecurityPolicy::default() };
    show("policy Both, fake response sig hidden from libxml by depth", &run_policy(&x, &both));
    let resp = SecurityPolicy { signature: SignatureRequirement::Response, ..SecurityPolicy::default() };
    show("policy Response, fake response sig hidden from libxml by depth", &run_policy(&x, &resp));
    // long name > 50000 (libxml name length limit)
    let long = format!("<{n}/>", n = "y".repeat(60000));
    let x = xml
        .replace("</samlp:Response>", &format!("<samlp:Extensions>{long}</samlp:Extensions>{fake}</samlp:Response>"));
    show("policy Both, fake response sig after long name", &run_policy(&x, &both));
    // CDATA split of NameID (c14n turns CDATA to text) -> must read whole value
    let xml2 = signed_assertion_only("ada@example.com.evil.example");
    let x = xml2.replace(">ada@example.com.evil.example<", "><![CDATA[ada@example.com]]>.evil.example<");
    show("CDATA split nameid", &run(&x));
    let x = xml2.replace(">ada@example.com.evil.example<", ">ada@example.com&#46;evil.example<");
    show("charref nameid", &run(&x));
    let x = xml2.replace(">ada@example.com.evil.example<", ">ada@example.com<?pi x?>.evil.example<");
    show("PI split nameid", &run(&x));
    // XML 1.1 declaration
    show("xml 1.1 decl", &run(&format!(r#"<?xml version="1.1"?>{xml}"#)));
    show("latin1 decl ascii", &run(&format!(r#"<?xml version="1.0" encoding="ISO-8859-1"?>{xml}"#)));
    let xml3 = signed_assertion_only("josé@example.com");
    show("utf8 decl non-ascii", &run(&format!(r#"<?xml version="1.0" encoding="UTF-8"?>{xml3}"#)));
    show("latin1 decl non-ascii utf8 bytes", &run(&format!(r#"<?xml version="1.0" encoding="ISO-8859-1"?>{xml3}"#)));
    show("leading newline before decl", &run(&format!("\n<?xml version=\"1.0\"?>{xml}")));
    show("leading newline no decl", &run(&format!("\r\n{xml}")));
    show("CRLF after decl", &run(&format!("<?xml version=\"1.0\"?>\r\n{xml}\r\n")));
}

fn timed(label: &str, xml: &str) -> Report {
    let t = Instant::now();
    let r = run(xml);
    println!("### {label}: {} bytes xml, {:?}", xml.len(), t.elapsed());
    show(label, &r);
    r
}

#[test]
fn redteam_02_dos_encrypted_keys() {
    let mut body = String::new();
    let one = r#"<e:EncryptedKey><e:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"/><e:CipherData><e:CipherValue>AA==</e:CipherValue></e:CipherData></e:EncryptedKey>"#;
    let n = 3_000_000 / one.len();
    for _ in 0..n {
        body.push_str(one);
    }
    let xml = format!(
        r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r1" Version="2.0"><saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:e="http://www.w3.org/2001/04/xmlenc#"><e:EncryptedData><e:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes128-gcm"/><e:CipherData><e:CipherValue>AAAA</e:CipherValue></e:CipherData></e:EncryptedData>{body}</saml:EncryptedAssertion></samlp:Response>"#
    );
    println!(
        "{n} EncryptedKeys, base64 {} bytes (limit {})",
        to_post_form_value(&xml).len(),
        handshake::validate::MAX_RESPONSE_BYTES
    );
    timed("many EncryptedKeys, unsigned response", &xml);
}

#[test]
fn redteam_03_dos_deep() {
    let n = 400_000;
    let xml = format!(
        r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r1" Version="2.0">{}{}</samlp:Response>"#,
        "<a>".repeat(n),
        "</a>".repeat(n)
    );
    timed("deep nesting 400k", &xml);
    // deep nesting inside a signed-assertion response's extensions
    let base = signed_assertion_only("ada@example.com");
    let n = 380_000;
    let x = base.replace("</samlp:Response>", &format!("{}{}</samlp:Response>", "<a>".repeat(n), "</a>".repeat(n)));
    timed("deep nesting 380k after signed assertion", &x);
}

#[test]
fn redteam_04_dos_big_flat() {
    let base = signed_assertion_only("ada@example.com");
    let n = 700_000;
    let x = base.replace("</samlp:Response>", &format!("{}</samlp:Response>", "<a/>".repeat(n)));
    timed("700k empty elements after signed assertion", &x);
    let n = 290_000;
    let ids: String = (0..n).map(|i| format!("<a ID=\"i{i}\"/>")).collect();
    let x = base.replace("</samlp:Response>", &format!("{ids}</samlp:Response>"));
    timed("many IDs", &x);
}

const INCL: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
const EXC: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

fn inclusive_template(id: &str, k: &SigningKey) -> String {
    signature_template(id, SignatureAlgorithm::RsaSha256, &k.certificate).replace(EXC, INCL)
}

fn enc_opts(data: DataEncryption) -> EncryptOptions {
    EncryptOptions { key_transport: KeyTransport::RsaOaepSha1, data }
}

#[test]
fn redteam_05_false_rejections() {
    let k = keys();
    let s = spec("ada@example.com");
    // control: inclusive c14n, plain
    let a = sign_first_template(&s.assertion_xml(Some(&inclusive_template(AID, &k.idp))), &k.idp).unwrap();
    show("inclusive c14n plain (control)", &run(&s.response_xml(&a, None)));
    // inclusive c14n signed assertion, then encrypted (IdP signs standalone assertion, then encrypts)
    let enc = encrypt_assertion(&a, &k.sp.certificate, enc_opts(DataEncryption::Aes256Gcm), Some("saml")).unwrap();
    show("inclusive c14n, encrypted", &run(&s.response_xml(&enc, None)));
    // exclusive + encrypted, Response with a default namespace + xmlns:x declared on root
    let a = sign_first_template(
        &s.assertion_xml(Some(&signature_template(AID, SignatureAlgorithm::RsaSha256, &k.idp.certificate))),
        &k.idp,
    )
    .unwrap();
    let enc = encrypt_assertion(&a, &k.sp.certificate, enc_opts(DataEncryption::Aes256Gcm), None).unwrap();
    let resp = s.response_xml(&enc, None).replacen(
        "<samlp:Response ",
        r#"<samlp:Response xmlns="urn:oasis:names:tc:SAML:2.0:protocol" "#,
        1,
    );
    show("encrypted, Response default ns + EncryptedAssertion default ns", &run(&resp));
    // plaintext relying on Response-level namespace (xsi/xs): remove decls from the assertion *before signing*,
    // as an IdP that serialises the assertion in the Response's context would.
    let raw = s.assertion_xml(Some(&signature_template(AID, SignatureAlgorithm::RsaSha256, &k.idp.certificate)));
    let raw = raw.replace(
        r#" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance""#,
        "",
    );
    // sign it in context: wrap in a dummy element declaring xs/xsi, sign, unwrap
    let ctxdoc = format!(
        r#"<w xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">{raw}</w>"#
    );
    let signed = sign_first_template(&ctxdoc, &k.idp).unwrap();
    let inner = &signed[signed.find("<saml:Assertion").unwrap()..signed.rfind("</w>").unwrap()];
    let enc = encrypt_assertion(inner, &k.sp.certificate, enc_opts(DataEncryption::Aes256Gcm), Some("saml")).unwrap();
    let unsigned_resp = s.response_xml(&enc, None).replacen("<samlp:Response ", r#"<samlp:Response xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" "#, 1);
    show("ctx-ns plaintext, response unsigned", &run(&unsigned_resp));
    let tmpl = signature_template(RID, SignatureAlgorithm::RsaSha256, &k.idp.certificate);
    let signed_resp = sign_first_template(&s.response_xml(&enc, Some(&tmpl)).replacen("<samlp:Response ", r#"<samlp:Response xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" "#, 1), &k.idp).unwrap();
    show("ctx-ns plaintext, response signed", &run(&signed_resp));
}
