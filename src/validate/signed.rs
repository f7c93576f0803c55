//! What the signatures cover: the plain (unencrypted) path from the located signatures to
//! the signed assertion, and the helpers every path uses to read only signed content.

use roxmltree::{Document, Node};

use super::checks::{CheckId, Recorder};
use super::facts::{self, AssertionFacts, ResponseFacts};
use super::violation::Violation;
use super::{Context, Found, Stop, cost, guard, identity, signature};
use crate::connection::{SecurityPolicy, SignatureRequirement};
use crate::xml::{self, NS_SAML, NS_SAMLP};

/// What the signature checks let through.
pub(super) struct Signed {
    pub(super) response: ResponseFacts,
    pub(super) assertion: AssertionFacts,
}

pub(super) fn require_signatures(policy: &SecurityPolicy, response: bool, assertion: bool) -> Result<(), Violation> {
    if !response && !assertion {
        return Err(Violation::Unsigned);
    }
    match policy.signature {
        SignatureRequirement::AssertionOrResponse => Ok(()),
        SignatureRequirement::Assertion | SignatureRequirement::Both if !assertion => {
            Err(Violation::AssertionSignatureRequired)
        }
        SignatureRequirement::Response | SignatureRequirement::Both if !response => {
            Err(Violation::ResponseSignatureRequired)
        }
        _ => Ok(()),
    }
}

pub(super) fn signed_parts(response: bool, assertion: bool) -> &'static str {
    match (response, assertion) {
        (true, true) => "Response and Assertion signed",
        (true, false) => "Response signed (covers the Assertion)",
        (false, true) => "Assertion signed",
        (false, false) => "nothing signed",
    }
}

pub(super) fn signer_note(ctx: &Context<'_>, sigs: &[signature::SignatureInfo]) -> String {
    let carried = signature::carried_certificate(sigs);
    match carried.and_then(|c| ctx.signing_certificates.iter().find(|m| m.der_base64 == c)) {
        Some(m) => format!("verified with metadata certificate {}", m.sha256_fingerprint),
        None => format!("verified with one of {} metadata certificate(s)", ctx.signing_certificates.len()),
    }
}

/// Parses samael's reduced (signed-only) output and finds `local` with the given ID in it.
pub(super) fn signed_element<'a, 'i>(
    doc: &'a Document<'i>,
    ns: &str,
    local: &str,
    id: &str,
) -> Result<Node<'a, 'i>, Violation> {
    let root = doc.root_element();
    let candidate =
        if xml::is(root, ns, local) { Some(root) } else { root.children().find(|n| xml::is(*n, ns, local)) };
    match candidate {
        Some(n) if n.attribute("ID") == Some(id) => Ok(n),
        Some(n) => Err(Violation::SignedContentMismatch {
            detail: format!(
                "the signed {local} has ID {:?}, the one in the response has ID {id:?}",
                n.attribute("ID").unwrap_or_default()
            ),
        }),
        None => Err(Violation::SignedContentMismatch {
            detail: format!("the signed content holds no {local} with ID {id:?}"),
        }),
    }
}

pub(super) fn reparse(text: &str) -> Result<Document<'_>, Violation> {
    xml::parse(text).map_err(|e| Violation::SignedContentMismatch { detail: format!("signed content unreadable: {e}") })
}

pub(super) fn plain_path(
    doc: &Document<'_>,
    assertion: Node<'_, '_>,
    ctx: &Context<'_>,
    rec: &mut Recorder,
    found: &mut Found,
) -> Result<Signed, Stop> {
    let root = doc.root_element();
    if ctx.policy.require_encrypted_assertion {
        rec.fail(Violation::EncryptionRequired);
        return Err(Stop);
    }
    rec.skip(CheckId::Decrypt, "the assertion is not encrypted (encryption not required by the connection)");
    let sigs = guard(rec, signature::locate(doc, &[root.id(), assertion.id()]))?;
    let response_signed = sigs.iter().any(|s| s.parent == root.id());
    let assertion_signed = sigs.iter().any(|s| s.parent == assertion.id());
    found.response_signed = response_signed;
    found.assertion_signed = assertion_signed;
    if !sigs.is_empty() {
        let summary = guard(rec, signature::check_algorithms(&sigs, ctx.policy.allow_sha1))?;
        rec.pass(CheckId::Algorithm, "RSA/ECDSA with SHA-256 or stronger", summary);
    } else {
        rec.skip(CheckId::Algorithm, "no signature to check");
    }
    guard(rec, require_signatures(ctx.policy, response_signed, assertion_signed))?;
    guard(rec, signature::reject_comments(doc, &sigs))?;
    let mut allowance = cost::Allowance::default();
    let reduced = guard(
        rec,
        signature::verify_and_reduce(doc, ctx.signing_certificates, ctx.policy.allow_sha1, &sigs, &mut allowance),
    )?;
    let reduced_doc = guard(rec, reparse(&reduced))?;
    let assertion_id = assertion.attribute("ID").unwrap_or_default();
    let response_id = root.attribute("ID").unwrap_or_default();
    let response = if response_signed {
        let r = guard(rec, signed_element(&reduced_doc, NS_SAMLP, "Response", response_id))?;
        facts::response_facts(r)
    } else {
        facts::response_facts(root)
    };
    let signed_assertion = if response_signed {
        let r = guard(rec, signed_element(&reduced_doc, NS_SAMLP, "Response", response_id))?;
        let a = r.children().find(|n| xml::is(*n, NS_SAML, "Assertion"));
        guard(
            rec,
            a.filter(|a| a.attribute("ID") == Some(assertion_id)).ok_or(Violation::SignedContentMismatch {
                detail: "the signed Response does not contain the Assertion".into(),
            }),
        )?
    } else {
        guard(rec, signed_element(&reduced_doc, NS_SAML, "Assertion", assertion_id))?
    };
    found.assertion_xml = Some(xml::source(&reduced_doc, signed_assertion).to_owned());
    rec.pass(
        CheckId::Signature,
        "a valid signature covering the Assertion",
        format!("{}, {}", signed_parts(response_signed, assertion_signed), signer_note(ctx, &sigs)),
    );
    let assertion = guard(rec, identity::read_assertion(signed_assertion, ctx))?;
    if assertion.name_id_encrypted {
        rec.pass(CheckId::Decrypt, ENCRYPTED_ID_EXPECTED, ENCRYPTED_ID_DECRYPTED);
    }
    Ok(Signed { response, assertion })
}

pub(super) const ENCRYPTED_ID_EXPECTED: &str = "EncryptedID decrypting to one NameID";
pub(super) const ENCRYPTED_ID_DECRYPTED: &str = "EncryptedID decrypted to a NameID";
