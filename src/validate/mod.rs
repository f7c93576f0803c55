//! SAML Response validation: decides whether a response proves who the user is, and
//! explains every check it made.
//!
//! The checks run as a flat sequence of guards. Structure and signature guards stop at
//! the first failure (nothing after them can be trusted); once the signature holds, every
//! remaining guard runs so that an admin sees all misconfigurations at once. The instant
//! to judge time against is a parameter: nothing here reads the wall clock.
//!
//! This module holds the entry points and the order of the guards; `signed` (plain
//! assertions) and `encrypted` hold the two ways from the located signatures to the
//! signed assertion, and `rules` the checks that run once the signature held.

mod checks;
mod cost;
mod decrypt;
mod encrypted;
mod facts;
mod identity;
mod judging;
mod rules;
mod shape;
mod signature;
mod signed;
mod violation;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use openssl::pkey::{PKey, Private};
use roxmltree::{Document, Node};
use serde::{Deserialize, Serialize};

pub use checks::{CheckId, CheckResult, CheckStatus, Problem};
pub use facts::{AssertionFacts, Attribute, NameId, ResponseFacts};
pub use judging::{Addressing, Capture, CaptureAt, CaptureSp, Judging, OtherIdp, OtherMatch, peek_addressing};
pub use violation::Violation;

use crate::certs::Certificate;
use crate::connection::{SecurityPolicy, SpEndpoints};
use crate::sensitive::Sensitive;
use crate::xml::{self, NS_SAML, NS_SAMLP};
use checks::Recorder;
use encrypted::encrypted_path;
use signed::{plain_path, reparse, signed_element, signer_note};

/// Largest SAMLResponse accepted, in bytes of base64 (real ones are a few KB; big group
/// lists reach a few hundred KB).
pub const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// Produces the SP decryption key on demand.
pub type KeySource<'a> = dyn Fn() -> Result<Sensitive<PKey<Private>>, String> + 'a;

/// What a response is judged against.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub idp_entity_id: &'a str,
    /// Every signing certificate from the IdP metadata. Keys in the message are never used.
    pub signing_certificates: &'a [Certificate],
    pub sp: &'a SpEndpoints,
    pub policy: &'a SecurityPolicy,
    /// Supplies the SP private key, called only when the assertion is encrypted (so a
    /// plain response never touches the secret store). `Err` says why there is no key.
    pub decryption_key: Option<&'a KeySource<'a>>,
    /// The instant to judge time against.
    pub now: DateTime<Utc>,
    /// The ID of the one outstanding AuthnRequest; `None` means the response must be unsolicited.
    pub in_response_to: Option<&'a str>,
    /// An AuthnRequest ID this SP issued but that has expired: a response to it gets its
    /// own violation instead of "unknown request".
    pub expired_request: Option<&'a str>,
    /// Who judges (the ACS, or an admin with a capture): words the fix hints, never the checks.
    pub judging: Judging<'a>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum Verdict {
    Accepted,
    Rejected,
}

/// The first failure, for callers that want one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub check: CheckId,
    pub violation: &'static str,
    pub message: String,
    pub hint: String,
}

impl Failure {
    fn of(v: &Violation, judging: &Judging<'_>) -> Self {
        Failure { check: v.check(), violation: v.name(), message: v.to_string(), hint: v.hint_in(judging) }
    }
}

impl From<&Violation> for Failure {
    fn from(v: &Violation) -> Self {
        Failure::of(v, &Judging::default())
    }
}

/// The outcome of validating one response.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub verdict: Verdict,
    pub checks: Vec<CheckResult>,
    /// Subject and attributes are reported once the signature held (they are then what
    /// the IdP said), even if a later check failed.
    pub name_id: Option<NameId>,
    pub attributes: Vec<Attribute>,
    pub assertion_id: Option<String>,
    pub session_index: Option<String>,
    pub authn_context_class: Option<String>,
    pub encrypted: bool,
    pub response_signed: bool,
    pub assertion_signed: bool,
    pub error: Option<Failure>,
    /// Things an admin should know that are not failures (e.g. whitespace removed from an
    /// identifier by the identifier rule).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The latest NotOnOrAfter of the signed assertion (Conditions or the bearer
    /// confirmation): after it plus the clock skew, the assertion can never be accepted
    /// again, so its ID need not be remembered for replay detection any longer.
    #[serde(skip)]
    pub not_on_or_after: Option<DateTime<Utc>>,
    /// The decoded Response XML, kept for inspection.
    #[serde(skip)]
    pub response_xml: Option<String>,
    /// The assertion as verified (signed content, or the decrypted plaintext).
    #[serde(skip)]
    pub assertion_xml: Option<String>,
}

impl Report {
    pub fn accepted(&self) -> bool {
        self.verdict == Verdict::Accepted
    }
    pub fn failed_check(&self) -> Option<CheckId> {
        self.error.as_ref().map(|e| e.check)
    }
    /// A signature from the IdP's metadata verified: what the response says comes from the
    /// IdP (even if a later check refused it). Otherwise anyone could have sent it.
    pub fn authenticated(&self) -> bool {
        self.check(CheckId::Signature).is_some_and(|c| c.status == CheckStatus::Pass)
    }
    pub fn check(&self, id: CheckId) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.id == id)
    }
}

/// Stops the structural phase after a failure has been recorded.
struct Stop;

#[derive(Default)]
struct Found {
    notes: Vec<String>,
    response_xml: Option<String>,
    assertion_xml: Option<String>,
    assertion: Option<AssertionFacts>,
    encrypted: bool,
    response_signed: bool,
    assertion_signed: bool,
}

/// Validates `saml_response`, the base64 form value exactly as posted.
pub fn validate(saml_response: &str, ctx: &Context<'_>) -> Report {
    let mut rec = Recorder::new(ctx.judging, ctx.idp_entity_id);
    let mut found = Found::default();
    let _ = run(saml_response, ctx, &mut rec, &mut found);
    let judging = *rec.judging();
    let (checks, first_failure) = rec.finish();
    let assertion = found.assertion.unwrap_or_default();
    let not_on_or_after = latest_expiry(&assertion);
    Report {
        verdict: if first_failure.is_none() { Verdict::Accepted } else { Verdict::Rejected },
        checks,
        name_id: assertion.name_id,
        attributes: assertion.attributes,
        assertion_id: Some(assertion.id).filter(|s| !s.is_empty()),
        session_index: assertion.session_index,
        authn_context_class: assertion.authn_context_class,
        encrypted: found.encrypted,
        response_signed: found.response_signed,
        assertion_signed: found.assertion_signed,
        error: first_failure.as_ref().map(|v| Failure::of(v, &judging)),
        notes: found.notes,
        not_on_or_after,
        response_xml: found.response_xml,
        assertion_xml: found.assertion_xml,
    }
}

/// The latest instant any NotOnOrAfter of the assertion names (unparseable ones ignored).
fn latest_expiry(a: &AssertionFacts) -> Option<DateTime<Utc>> {
    let conditions = a.conditions.as_ref().and_then(|c| c.not_on_or_after.as_deref());
    let confirmations = a.confirmations.iter().filter_map(|c| c.not_on_or_after.as_deref());
    conditions.into_iter().chain(confirmations).filter_map(|t| crate::xs_datetime::parse(t).ok()).max()
}

/// The Response's InResponseTo, read without validating anything: only to look up which
/// outstanding request the response claims to answer. Takes what validation takes (the
/// base64 form value, or the decoded XML a SAML tracer shows). `None` for anything unreadable.
pub fn peek_in_response_to(saml_response: &str) -> Option<String> {
    let text = decode(&crate::workbench::normalise_response_input(saml_response)).ok()?;
    let doc = xml::parse(&text).ok()?;
    doc.root_element().attribute("InResponseTo").map(str::to_owned)
}

/// Records a guard's failure and stops.
fn guard<T>(rec: &mut Recorder, result: Result<T, Violation>) -> Result<T, Stop> {
    result.map_err(|v| {
        rec.fail(v);
        Stop
    })
}

/// Base64 → UTF-8 text. Whitespace (line breaks from form encoders, pasting) is tolerated.
fn decode(input: &str) -> Result<String, Violation> {
    if input.len() > MAX_RESPONSE_BYTES {
        return Err(Violation::TooLarge { bytes: input.len(), limit: MAX_RESPONSE_BYTES });
    }
    let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Err(Violation::Empty);
    }
    let engine = base64::engine::general_purpose::STANDARD;
    let bytes = engine
        .decode(compact.as_bytes())
        .or_else(|e| {
            base64::engine::general_purpose::STANDARD_NO_PAD.decode(compact.trim_end_matches('=')).map_err(|_| e)
        })
        .map_err(|e| Violation::NotBase64 { detail: e.to_string() })?;
    String::from_utf8(bytes).map_err(|_| Violation::NotUtf8)
}

fn parse_document(text: &str) -> Result<Document<'_>, Violation> {
    xml::parse_signed(text).map_err(|e| match e {
        xml::XmlError::Doctype => Violation::Doctype,
        xml::XmlError::Malformed(detail) => Violation::NotXml { detail },
        too_complex @ xml::XmlError::TooComplex { .. } => Violation::NotXml { detail: too_complex.to_string() },
    })
}

fn is_assertion(n: Node<'_, '_>) -> bool {
    xml::is(n, NS_SAML, "Assertion") || xml::is(n, NS_SAML, "EncryptedAssertion")
}

fn run(input: &str, ctx: &Context<'_>, rec: &mut Recorder, found: &mut Found) -> Result<(), Stop> {
    // parse + doctype
    let text = guard(rec, decode(input))?;
    found.response_xml = Some(text.clone());
    let doc = match parse_document(&text) {
        Err(Violation::Doctype) => {
            rec.pass(CheckId::Parse, "base64 of UTF-8 XML", format!("{} bytes of XML", text.len()));
            rec.fail(Violation::Doctype);
            return Err(Stop);
        }
        other => guard(rec, other)?,
    };
    let root = doc.root_element();
    guard(rec, check_root(root))?;
    if !ctx.judging.others.is_empty() {
        // Only to name another connection's IdP when a signature or Issuer check fails.
        rec.claimed(judging::Claimed::read(root));
    }
    rec.pass(
        CheckId::Parse,
        "samlp:Response, Version 2.0",
        format!("samlp:Response ID={}", root.attribute("ID").unwrap_or_default()),
    );
    rec.pass(CheckId::Doctype, "no DOCTYPE", "none");

    // An IdP error carries a Status and no assertion: the Status is the real reason.
    let status = facts::response_facts(root);
    if !root.descendants().any(is_assertion) && status.status_code.as_deref() != Some(crate::saml::STATUS_SUCCESS) {
        rec.skip(CheckId::SingleAssertion, "no assertion: the IdP answered with an error status");
        let (status, authenticated) = error_status(&doc, ctx, rec);
        rec.fail(Violation::StatusNotSuccess {
            code: status.status_code.unwrap_or_else(|| "(no StatusCode)".into()),
            sub_code: status.status_sub_code,
            message: status.status_message,
            authenticated,
        });
        return Err(Stop);
    }

    // single_assertion
    let assertion_node = guard(rec, shape::single_assertion(&doc))?;
    let encrypted = xml::is(assertion_node, NS_SAML, "EncryptedAssertion");
    found.encrypted = encrypted;
    rec.pass(
        CheckId::SingleAssertion,
        "one Assertion, child of Response",
        if encrypted { "one EncryptedAssertion" } else { "one Assertion" },
    );
    if ctx.signing_certificates.is_empty() {
        rec.fail(Violation::NoTrustedCertificates);
        return Err(Stop);
    }

    let signed = if encrypted {
        encrypted_path(&doc, assertion_node, ctx, rec, found)?
    } else {
        plain_path(&doc, assertion_node, ctx, rec, found)?
    };

    // Everything below reads only what the signature covered.
    for field in signed.response.whitespace_trimmed.iter().chain(&signed.assertion.whitespace_trimmed) {
        found.notes.push(format!(
            "{field}: XML whitespace (spaces, tabs, line breaks) around the value was removed before comparing; \
             any other character, such as a no-break space, would be part of the value"
        ));
    }
    found.assertion = Some(signed.assertion.clone());
    let judged = rules::Judged {
        response: &signed.response,
        response_signed: found.response_signed,
        assertion: &signed.assertion,
    };
    rules::run_all(&judged, ctx, rec);
    Ok(())
}

/// An error Response's Status: read from the signed Response when a signature on it
/// verifies (then it is what the IdP said), else as received and marked unauthenticated
/// (anyone can post an unsigned error to the ACS). Records what the signature checks found.
fn error_status(doc: &Document<'_>, ctx: &Context<'_>, rec: &mut Recorder) -> (ResponseFacts, bool) {
    let root = doc.root_element();
    let verified = || -> Result<(ResponseFacts, String), Violation> {
        let sigs = signature::locate(doc, &[root.id()])?;
        if sigs.is_empty() {
            return Err(Violation::Unsigned);
        }
        let algorithms = signature::check_algorithms(&sigs, ctx.policy.allow_sha1)?;
        signature::reject_comments(doc, &sigs)?;
        let mut allowance = cost::Allowance::default();
        let reduced =
            signature::verify_and_reduce(doc, ctx.signing_certificates, ctx.policy.allow_sha1, &sigs, &mut allowance)?;
        let reduced_doc = reparse(&reduced)?;
        let response = signed_element(&reduced_doc, NS_SAMLP, "Response", root.attribute("ID").unwrap_or_default())?;
        Ok((facts::response_facts(response), format!("{algorithms}; {}", signer_note(ctx, &sigs))))
    };
    match verified() {
        Ok((facts, note)) => {
            rec.pass(
                CheckId::Signature,
                "a valid signature covering the error Response",
                format!("Response signed ({note})"),
            );
            (facts, true)
        }
        Err(why) => {
            let reason = match why {
                Violation::Unsigned => "the error Response is not signed: its status is unauthenticated".to_owned(),
                other => format!(
                    "the error Response's signature does not hold ({}): its status is unauthenticated",
                    other.actual()
                ),
            };
            rec.skip(CheckId::Signature, reason);
            (facts::response_facts(root), false)
        }
    }
}

fn check_root(root: Node<'_, '_>) -> Result<(), Violation> {
    if !xml::is(root, NS_SAMLP, "Response") {
        let ns = root.tag_name().namespace().unwrap_or("no namespace");
        return Err(Violation::NotAResponse { root: format!("{{{ns}}}{}", root.tag_name().name()) });
    }
    match root.attribute("Version") {
        Some("2.0") => {}
        other => return Err(Violation::WrongVersion { found: other.unwrap_or("(none)").to_owned() }),
    }
    if root.attribute("ID").is_none_or(str::is_empty) {
        return Err(Violation::MissingId { element: "Response" });
    }
    Ok(())
}
