//! XML-DSig: where signatures may sit, what they may reference, which algorithms they may
//! use (our guards), and whether they verify (samael + xmlsec, keys from metadata only).

use roxmltree::{Document, Node};
use samael::crypto::{AllowedSignatureAlgorithm, CertificateDer, CryptoProvider, ReduceMode, XmlSec};

use super::cost::{self, C14n};
use super::violation::Violation;
use crate::certs::Certificate;
use crate::xml::{self, NS_DS, NS_EXC_C14N, NS_SAML};

const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const C14N_TRANSFORMS: [&str; 4] = [
    "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
];

const SHA1_SIGNATURES: [&str; 2] =
    ["http://www.w3.org/2000/09/xmldsig#rsa-sha1", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1"];
const SHA1_DIGEST: &str = "http://www.w3.org/2000/09/xmldsig#sha1";

/// Signature algorithms allowed by default, as samael names them.
const STRONG: [AllowedSignatureAlgorithm; 6] = [
    AllowedSignatureAlgorithm::RsaSha256,
    AllowedSignatureAlgorithm::RsaSha384,
    AllowedSignatureAlgorithm::RsaSha512,
    AllowedSignatureAlgorithm::EcdsaSha256,
    AllowedSignatureAlgorithm::EcdsaSha384,
    AllowedSignatureAlgorithm::EcdsaSha512,
];

const STRONG_DIGESTS: [&str; 3] = [
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
];

/// A signature found where one may be, with what it claims.
#[derive(Debug, Clone)]
pub struct SignatureInfo {
    /// The element the signature is a direct child of (and so must sign).
    pub parent: roxmltree::NodeId,
    pub signature_method: String,
    pub digest_methods: Vec<String>,
    pub transforms: Vec<String>,
    /// The certificate carried in KeyInfo, if any: never trusted, only used to explain a failure.
    pub key_info_certificate: Option<String>,
    /// Why the transform chain is not the plain enveloped + canonicalization chain, if it is not.
    pub chain_problem: Option<String>,
    /// How xmlsec canonicalizes: the referenced element, then SignedInfo.
    pub passes: [C14n; 2],
}

/// Enough for real IdPs (a handful of prefixes); xmlsec's cost grows with the list.
const MAX_INCLUSIVE_PREFIXES: usize = 16;

/// xmlsec runs the reference transforms before it checks the signature value, so a forged
/// signature with a thousand transforms, or a PrefixList of fifty thousand prefixes, costs
/// the verifier seconds to hours. SAML needs exactly: enveloped-signature, then at most one
/// canonicalization, each without content except a short InclusiveNamespaces.
fn transform_chain_problem(transforms: &[Node<'_, '_>], canonicalization: Option<Node<'_, '_>>) -> Option<String> {
    let algorithms: Vec<&str> = transforms.iter().map(|t| t.attribute("Algorithm").unwrap_or_default()).collect();
    let shape_ok = match algorithms.as_slice() {
        [e] => *e == ENVELOPED,
        [a, b] => (*a == ENVELOPED && C14N_TRANSFORMS.contains(b)) || (C14N_TRANSFORMS.contains(a) && *b == ENVELOPED),
        _ => false,
    };
    if !shape_ok {
        return Some(format!(
            "{} transform(s) [{}]; expected enveloped-signature and at most one canonicalization",
            algorithms.len(),
            algorithms.iter().map(|a| short_name(a)).collect::<Vec<_>>().join(", ")
        ));
    }
    for node in transforms.iter().copied().chain(canonicalization) {
        for child in node.children().filter(|c| c.is_element()) {
            if !xml::is(child, NS_EXC_C14N, "InclusiveNamespaces") {
                return Some(format!("unexpected {} inside {}", child.tag_name().name(), node.tag_name().name()));
            }
            let prefixes = child.attribute("PrefixList").unwrap_or_default().split_whitespace().count();
            if prefixes > MAX_INCLUSIVE_PREFIXES {
                return Some(format!(
                    "InclusiveNamespaces lists {prefixes} prefixes (at most {MAX_INCLUSIVE_PREFIXES})"
                ));
            }
        }
    }
    None
}

/// A readable location for error messages: `/Response/Extensions/Assertion`.
pub fn path(node: Node<'_, '_>) -> String {
    let mut parts: Vec<&str> = node.ancestors().filter(|n| n.is_element()).map(|n| n.tag_name().name()).collect();
    parts.reverse();
    format!("/{}", parts.join("/"))
}

/// Every ds:Signature in `doc` must be a direct child of one of `allowed_parents`, carry
/// exactly one Reference, and that Reference must point at its own parent's ID (not at the
/// whole document with `URI=""`). Signatures inside Advice are refused as such.
pub fn locate(doc: &Document<'_>, allowed_parents: &[roxmltree::NodeId]) -> Result<Vec<SignatureInfo>, Violation> {
    let mut found = Vec::new();
    for sig in xml::descendants(doc.root_element(), NS_DS, "Signature") {
        let parent = sig.parent_element().filter(|p| allowed_parents.contains(&p.id()));
        let Some(parent) = parent else {
            let in_advice = sig.parent_element().is_some_and(|p| xml::is(p, NS_SAML, "Assertion"))
                && sig.ancestors().skip(2).any(|a| xml::is(a, NS_SAML, "Advice"));
            if in_advice {
                return Err(Violation::SignedAdvice { location: path(sig) });
            }
            return Err(Violation::SignatureOutOfPlace { location: path(sig) });
        };
        if found.iter().any(|s: &SignatureInfo| s.parent == parent.id()) {
            return Err(Violation::SignatureOutOfPlace { location: format!("{} (a second signature)", path(sig)) });
        }
        let signed_info = xml::child(sig, NS_DS, "SignedInfo");
        let references: Vec<Node<'_, '_>> =
            signed_info.into_iter().flat_map(|si| xml::children(si, NS_DS, "Reference")).collect();
        let [reference] = references.as_slice() else {
            return Err(Violation::SignatureReferenceCount { count: references.len() });
        };
        let parent_id = parent.attribute("ID").unwrap_or_default();
        let expected = format!("#{parent_id}");
        let uri = reference.attribute("URI").unwrap_or_default();
        if uri.is_empty() && !parent_id.is_empty() {
            return Err(Violation::WholeDocumentReference { expected });
        }
        if parent_id.is_empty() || uri != expected {
            return Err(Violation::ReferenceMismatch { uri: uri.to_owned(), expected });
        }
        let algorithm_of =
            |n: Option<Node<'_, '_>>| n.and_then(|n| n.attribute("Algorithm")).unwrap_or_default().to_owned();
        let transform_nodes: Vec<Node<'_, '_>> = xml::child(*reference, NS_DS, "Transforms")
            .map(|t| t.children().filter(|c| c.is_element()).collect())
            .unwrap_or_default();
        let canonicalization = signed_info.and_then(|si| xml::child(si, NS_DS, "CanonicalizationMethod"));
        let chain_problem = transform_chain_problem(&transform_nodes, canonicalization);
        let reference_c14n = transform_nodes
            .iter()
            .copied()
            .find(|t| C14N_TRANSFORMS.contains(&t.attribute("Algorithm").unwrap_or_default()));
        let passes = [c14n_of(reference_c14n), c14n_of(canonicalization)];
        let mut transforms: Vec<String> = transform_nodes.iter().map(|t| algorithm_of(Some(*t))).collect();
        transforms.push(algorithm_of(canonicalization));
        found.push(SignatureInfo {
            parent: parent.id(),
            signature_method: algorithm_of(signed_info.and_then(|si| xml::child(si, NS_DS, "SignatureMethod"))),
            digest_methods: vec![algorithm_of(xml::child(*reference, NS_DS, "DigestMethod"))],
            transforms,
            key_info_certificate: xml::child(sig, NS_DS, "KeyInfo")
                .and_then(|k| xml::child(k, NS_DS, "X509Data"))
                .and_then(|d| xml::child(d, NS_DS, "X509Certificate"))
                .map(xml::text),
            chain_problem,
            passes,
        });
    }
    Ok(found)
}

/// The canonicalization a transform or CanonicalizationMethod element asks for.
fn c14n_of(node: Option<Node<'_, '_>>) -> C14n {
    let prefixes = node
        .and_then(|n| xml::child(n, NS_EXC_C14N, "InclusiveNamespaces"))
        .map_or(0, |i| i.attribute("PrefixList").unwrap_or_default().split_whitespace().count());
    C14n::from_uri(node.and_then(|n| n.attribute("Algorithm")), prefixes)
}

/// The `algorithm` guard: strong signature and digest algorithms, known transforms only.
pub fn check_algorithms(signatures: &[SignatureInfo], allow_sha1: bool) -> Result<String, Violation> {
    let mut seen = Vec::new();
    for s in signatures {
        let method = s.signature_method.as_str();
        let strong = STRONG.iter().any(|a| a.signature_uri() == method);
        if SHA1_SIGNATURES.contains(&method) {
            if !allow_sha1 {
                return Err(Violation::WeakSignatureAlgorithm { algorithm: method.to_owned() });
            }
        } else if !strong {
            return Err(Violation::UnsupportedSignatureAlgorithm { algorithm: method.to_owned() });
        }
        for digest in &s.digest_methods {
            if digest == SHA1_DIGEST {
                if !allow_sha1 {
                    return Err(Violation::WeakDigestAlgorithm { algorithm: digest.clone() });
                }
            } else if !STRONG_DIGESTS.contains(&digest.as_str()) {
                return Err(Violation::UnsupportedDigestAlgorithm { algorithm: digest.clone() });
            }
        }
        if let Some(problem) = &s.chain_problem {
            return Err(Violation::UnsupportedTransform { algorithm: problem.clone() });
        }
        for t in &s.transforms {
            if t != ENVELOPED && !C14N_TRANSFORMS.contains(&t.as_str()) {
                return Err(Violation::UnsupportedTransform { algorithm: t.clone() });
            }
        }
        let short = format!(
            "{} / {}",
            short_name(method),
            s.digest_methods.iter().map(|d| short_name(d)).collect::<Vec<_>>().join(",")
        );
        if !seen.contains(&short) {
            seen.push(short);
        }
    }
    Ok(seen.join("; "))
}

/// An algorithm URI's readable name: the fragment when it names the algorithm (`rsa-sha256`
/// from `.../xmldsig-more#rsa-sha256`), else the last path segment (`xml-exc-c14n` from
/// `.../xml-exc-c14n#`, `REC-xml-c14n-20010315`), with a `#WithComments` variant kept whole.
pub fn short_name(uri: &str) -> &str {
    let segment = uri.rsplit('/').next().unwrap_or(uri);
    match segment.split_once('#') {
        Some((_, "WithComments")) => segment,
        Some((algorithm, "")) => algorithm,
        Some((_, fragment)) => fragment,
        None => segment,
    }
}

/// Verifies every signature in `doc` against the metadata certificates (never a key from
/// the message) and returns samael's reduction of the document to its signed content.
/// What xmlsec would spend is estimated first and refused over budget (see [`cost`]).
pub fn verify_and_reduce(
    doc: &Document<'_>,
    certificates: &[Certificate],
    allow_sha1: bool,
    signatures: &[SignatureInfo],
    allowance: &mut cost::Allowance,
) -> Result<String, Violation> {
    // Our own guard enforced the policy already; samael's allow-list is defence in depth.
    // It has no SHA-1 entries, so a connection that allows SHA-1 passes no list.
    let allowed = if allow_sha1 { None } else { Some(&STRONG[..]) };
    let (candidates, tried) = certificates_to_try(certificates, signatures);
    let passes: Vec<C14n> = signatures.iter().flat_map(|s| s.passes).collect();
    allowance.spend(doc, &passes, candidates.len())?;
    let mut last_error = String::from("no certificate");
    // samael stops at the first certificate that errors (an RSA certificate against an
    // ECDSA signature errors rather than failing), so try each certificate on its own.
    for cert in candidates {
        let der = [CertificateDer::from(cert.der())];
        // samael's errors are not Send: turn them into text right here.
        // PreDigest: the exact canonical bytes the digest covered, the strictest reduction.
        match XmlSec::reduce_xml_to_signed_with_allowed_algorithms(
            doc.input_text(),
            &der,
            ReduceMode::PreDigest,
            allowed,
        ) {
            Ok(reduced) => return Ok(reduced),
            Err(e) => last_error = error_chain(&e),
        }
    }
    Err(Violation::SignatureInvalid {
        detail: format!("the signature does not verify with {tried} ({last_error})"),
        key_hint: key_hint(certificates, signatures),
    })
}

/// The metadata certificates worth trying, in order, and how to name them in an error.
/// Every one tried costs xmlsec a full parse and canonicalization. When the message's
/// KeyInfo names one of them, only that one: a signer names its own certificate, so a
/// signature that fails with it was not made by this IdP as sent. Otherwise each
/// certificate whose key type fits the signature algorithm.
fn certificates_to_try<'c>(
    certificates: &'c [Certificate],
    signatures: &[SignatureInfo],
) -> (Vec<&'c Certificate>, String) {
    let carried = carried_certificate(signatures);
    if let Some(named) = certificates.iter().find(|c| carried.as_deref() == Some(c.der_base64.as_str())) {
        return (vec![named], format!("the metadata certificate the response names ({})", named.sha256_fingerprint));
    }
    let fits = |c: &Certificate| {
        signatures.iter().any(|s| {
            let method = short_name(&s.signature_method);
            (method.starts_with("rsa-") && c.key.starts_with("RSA"))
                || (method.starts_with("ecdsa-") && c.key.starts_with("EC "))
        })
    };
    let fitting: Vec<&Certificate> = certificates.iter().filter(|c| fits(c)).collect();
    if fitting.is_empty() {
        let all: Vec<&Certificate> = certificates.iter().collect();
        return (all, format!("any of the {} certificate(s) from the IdP metadata", certificates.len()));
    }
    let tried = format!(
        "any of the {} certificate(s) from the IdP metadata whose key type fits the signature algorithm (of {})",
        fitting.len(),
        certificates.len()
    );
    (fitting, tried)
}

/// The KeyInfo certificate's base64 without whitespace, to compare with metadata
/// certificates cheaply (parsing X.509 on every validation is measurable).
pub fn carried_certificate(signatures: &[SignatureInfo]) -> Option<String> {
    signatures
        .iter()
        .find_map(|s| s.key_info_certificate.as_deref())
        .map(|c| c.chars().filter(|ch| !ch.is_whitespace()).collect())
}

/// Comments inside signed content are outside the signature (canonicalization drops them)
/// and are how NameID-truncation attacks split a value; real IdPs never send them.
pub fn reject_comments(doc: &Document<'_>, signatures: &[SignatureInfo]) -> Result<(), Violation> {
    for s in signatures {
        let Some(parent) = doc.get_node(s.parent) else { continue };
        if let Some(comment) = parent.descendants().find(|n| n.is_comment()) {
            let location = comment.parent_element().map(path).unwrap_or_default();
            return Err(Violation::CommentInSignedContent { location });
        }
    }
    Ok(())
}

/// Explains a failed verification by the certificate the message says it was signed with.
fn key_hint(certificates: &[Certificate], signatures: &[SignatureInfo]) -> Option<String> {
    let carried = signatures.iter().find_map(|s| s.key_info_certificate.as_deref())?;
    let cert = Certificate::from_base64(carried).ok()?;
    if certificates.iter().any(|c| c.der_base64 == cert.der_base64) {
        return Some(format!(
            "The response names the metadata certificate {} but its digest or signature value does not match: the content was changed after the IdP signed it.",
            cert.sha256_fingerprint
        ));
    }
    Some(format!(
        "The response was signed with a certificate that is not in this connection's IdP metadata (SHA-256 {}, subject {}, expires {}). If the IdP rotated its certificate, re-import its metadata; otherwise this response did not come from the IdP.",
        cert.sha256_fingerprint,
        cert.subject,
        cert.not_after.format("%Y-%m-%d")
    ))
}

/// samael wraps xmlsec's reason in a source error; show the whole chain.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.join(": ")
}
