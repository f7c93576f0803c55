//! The encrypted path: authenticate the Response before decrypting when it is signed,
//! decrypt (every failure reading the same while nothing is authenticated), read the
//! plaintext in its namespace context, and verify the inner assertion.

use openssl::pkey::{PKey, Private};
use roxmltree::{Document, Node};

use super::checks::{CheckId, Recorder};
use super::facts::{self, AssertionFacts};
use super::signed::{
    ENCRYPTED_ID_DECRYPTED, ENCRYPTED_ID_EXPECTED, Signed, reparse, require_signatures, signed_element, signed_parts,
    signer_note,
};
use super::violation::Violation;
use super::{Context, Found, Stop, cost, decrypt, guard, identity, shape, signature};
use crate::sensitive::Sensitive;
use crate::xml::{self, NS_SAML, NS_SAMLP};

/// The SP private key, from the connection's key source.
pub(super) fn sp_key(ctx: &Context<'_>) -> Result<Sensitive<PKey<Private>>, Violation> {
    match ctx.decryption_key {
        Some(source) => source().map_err(|detail| Violation::NoDecryptionKey { detail }),
        None => Err(Violation::NoDecryptionKey { detail: "no SP key is configured for this connection".into() }),
    }
}

/// The text to parse for a decrypted assertion, parsed once: the plaintext itself when it
/// declares every prefix it uses (so an inclusive-C14N signature sees no foreign
/// declarations), otherwise inside a wrapper that declares the few it inherits.
///
/// Declarations outside the ciphertext (on the EncryptedAssertion or the Response) are
/// protected by neither the encryption nor the inner signature, and exclusive C14N leaves
/// the unused ones out of the Response's digest. So they may only supply a well-known
/// prefix bound to its standard URI (what .NET encrypters rely on for xs and xsi): nothing
/// an attacker could rebind to change what the assertion says.
pub(super) fn decrypted_document(plaintext: &str, context: Node<'_, '_>) -> Result<String, Violation> {
    let body = plaintext.trim_start_matches('\u{feff}').trim_start();
    let body =
        if body.starts_with("<?xml") { body.find("?>").and_then(|i| body.get(i + 2..)).unwrap_or(body) } else { body };
    let mut declarations = String::new();
    for prefix in xml::unbound_prefixes(body) {
        let declared = context.lookup_namespace_uri(Some(&prefix));
        match xml::standard_namespace(&prefix) {
            Some(standard) if declared == Some(standard) => {
                declarations.push_str(&format!(r#" xmlns:{prefix}="{standard}""#));
            }
            _ => return Err(Violation::DecryptedUnboundPrefix { prefix, declared: declared.map(str::to_owned) }),
        }
    }
    if declarations.is_empty() {
        return Ok(body.to_owned());
    }
    Ok(format!("<hs-decrypted{declarations}>{body}</hs-decrypted>"))
}

/// The decrypted assertion, its signature checked: what the encrypted path produces.
struct Opened {
    facts: AssertionFacts,
    assertion_xml: String,
    assertion_signed: bool,
    algorithms: Option<String>,
    signer: String,
}

/// Decrypts, parses and verifies the inner assertion. No recording: the caller decides how
/// much of a failure it may reveal.
fn open_encrypted(
    encrypted_node: Node<'_, '_>,
    context: Node<'_, '_>,
    outer: &[signature::SignatureInfo],
    response_signed: bool,
    ctx: &Context<'_>,
    allowance: &mut cost::Allowance,
) -> Result<Opened, Violation> {
    let key = sp_key(ctx)?;
    let plaintext = decrypt::decrypt_assertion(encrypted_node, key.expose())?;
    let text = decrypted_document(&plaintext, context)?;
    let inner = xml::parse_signed(&text).map_err(|e| Violation::DecryptedNotAnAssertion { detail: e.to_string() })?;
    let root = inner.root_element();
    let assertion = if xml::is(root, NS_SAML, "Assertion") {
        root
    } else {
        let elements: Vec<Node<'_, '_>> = root.children().filter(|n| n.is_element()).collect();
        match elements.as_slice() {
            [a] if xml::is(*a, NS_SAML, "Assertion") => *a,
            _ => {
                return Err(Violation::DecryptedNotAnAssertion {
                    detail: format!("{} element(s), expected one saml:Assertion", elements.len()),
                });
            }
        }
    };
    if shape::stray_assertions(root, assertion) > 0 {
        return Err(Violation::DecryptedNotAnAssertion {
            detail: "the decrypted Assertion contains further assertions (outside its Advice)".into(),
        });
    }
    let assertion_id = assertion.attribute("ID").unwrap_or_default().to_owned();
    if assertion_id.is_empty() {
        return Err(Violation::DecryptedNotAnAssertion { detail: "the decrypted Assertion has no ID".into() });
    }
    let inner_sigs = signature::locate(&inner, &[assertion.id()])?;
    let assertion_signed = !inner_sigs.is_empty();
    let all: Vec<signature::SignatureInfo> = outer.iter().chain(inner_sigs.iter()).cloned().collect();
    let algorithms =
        if all.is_empty() { None } else { Some(signature::check_algorithms(&all, ctx.policy.allow_sha1)?) };
    require_signatures(ctx.policy, response_signed, assertion_signed)?;
    signature::reject_comments(&inner, &inner_sigs)?;
    let (facts, assertion_xml) = if assertion_signed {
        let reduced = signature::verify_and_reduce(
            &inner,
            ctx.signing_certificates,
            ctx.policy.allow_sha1,
            &inner_sigs,
            allowance,
        )?;
        let reduced_doc = reparse(&reduced)?;
        let a = signed_element(&reduced_doc, NS_SAML, "Assertion", &assertion_id)?;
        (identity::read_assertion(a, ctx)?, xml::source(&reduced_doc, a).to_owned())
    } else {
        // Covered by the Response signature over the ciphertext.
        (identity::read_assertion(assertion, ctx)?, xml::source(&inner, assertion).to_owned())
    };
    Ok(Opened { facts, assertion_xml, assertion_signed, algorithms, signer: signer_note(ctx, &all) })
}

pub(super) fn encrypted_path(
    doc: &Document<'_>,
    encrypted: Node<'_, '_>,
    ctx: &Context<'_>,
    rec: &mut Recorder,
    found: &mut Found,
) -> Result<Signed, Stop> {
    let root = doc.root_element();
    let response_id = root.attribute("ID").unwrap_or_default();
    let outer = guard(rec, signature::locate(doc, &[root.id()]))?;
    // One allowance for the Response signature and the decrypted Assertion's.
    let mut allowance = cost::Allowance::default();
    let response_signed = !outer.is_empty();
    found.response_signed = response_signed;

    // Authenticate before decrypting when we can: no decryption oracle for forged ciphertext.
    let signed_response_text = if response_signed {
        guard(rec, signature::check_algorithms(&outer, ctx.policy.allow_sha1))?;
        guard(rec, signature::reject_comments(doc, &outer))?;
        let reduced =
            signature::verify_and_reduce(doc, ctx.signing_certificates, ctx.policy.allow_sha1, &outer, &mut allowance);
        if reduced.is_err() {
            rec.skip(
                CheckId::Decrypt,
                "not attempted: ciphertext is only decrypted after the Response signature verifies",
            );
        }
        Some(guard(rec, reduced)?)
    } else {
        None
    };
    let signed_response_doc = match &signed_response_text {
        Some(t) => Some(guard(rec, reparse(t))?),
        None => None,
    };
    let (response, encrypted_node) = match &signed_response_doc {
        Some(d) => {
            let r = guard(rec, signed_element(d, NS_SAMLP, "Response", response_id))?;
            let e = r.children().find(|n| xml::is(*n, NS_SAML, "EncryptedAssertion"));
            let e = guard(
                rec,
                e.ok_or(Violation::SignedContentMismatch {
                    detail: "the signed Response holds no EncryptedAssertion".into(),
                }),
            )?;
            (facts::response_facts(r), e)
        }
        None => (facts::response_facts(root), encrypted),
    };

    // CBC ciphertext nobody has authenticated yet: every failure after the key unwrap reads
    // the same, or the differences would be a padding/parse oracle on the assertion.
    let opaque = !response_signed && !decrypt::is_authenticated(encrypted_node);
    // Namespace context from the original document (canonical output drops unused declarations).
    let opened = match open_encrypted(encrypted_node, encrypted, &outer, response_signed, ctx, &mut allowance) {
        Ok(o) => o,
        Err(v) => {
            let before_content = matches!(
                v,
                Violation::NoDecryptionKey { .. }
                    | Violation::WeakKeyTransport { .. }
                    | Violation::UnsupportedKeyTransport { .. }
                    | Violation::UnsupportedDataEncryption { .. }
                    | Violation::MalformedEncryptedAssertion { .. }
                    | Violation::KeyUnwrapFailed
            );
            // An EncryptedID is opened only inside verified content: nothing to hide there.
            let after_verification =
                matches!(v, Violation::EncryptedIdUndecryptable { .. } | Violation::DecryptedNotANameId { .. });
            if opaque && !before_content && !after_verification {
                rec.fail(Violation::UnauthenticatedDecryptionFailed);
            } else {
                if v.check() > CheckId::Decrypt {
                    rec.pass(CheckId::Decrypt, "EncryptedAssertion decrypting to one Assertion", "decrypted");
                }
                rec.fail(v);
            }
            return Err(Stop);
        }
    };
    found.assertion_signed = opened.assertion_signed;
    rec.pass(
        CheckId::Decrypt,
        "EncryptedAssertion decrypting to one Assertion",
        format!("decrypted Assertion ID={}", opened.facts.id),
    );
    if opened.facts.name_id_encrypted {
        rec.pass(CheckId::Decrypt, ENCRYPTED_ID_EXPECTED, ENCRYPTED_ID_DECRYPTED);
    }
    match &opened.algorithms {
        Some(summary) => rec.pass(CheckId::Algorithm, "RSA/ECDSA with SHA-256 or stronger", summary.clone()),
        None => rec.skip(CheckId::Algorithm, "no signature to check"),
    }
    rec.pass(
        CheckId::Signature,
        "a valid signature covering the Assertion",
        format!("{}, {}", signed_parts(response_signed, opened.assertion_signed), opened.signer),
    );
    found.assertion_xml = Some(opened.assertion_xml);
    Ok(Signed { response, assertion: opened.facts })
}
