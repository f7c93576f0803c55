//! The document's shape, checked before anything is trusted: one assertion, where the
//! profile puts it, and IDs a signature can only ever resolve one way.

use roxmltree::{Document, Node};

use super::violation::Violation;
use super::{is_assertion, signature};
use crate::xml::{self, NS_SAML};

/// The `single_assertion` guard: one Assertion or EncryptedAssertion, a direct child of the
/// Response, and no other assertion anywhere but inside that assertion's Advice; every ID
/// unique and an XML name.
pub(super) fn single_assertion<'a, 'i>(doc: &'a Document<'i>) -> Result<Node<'a, 'i>, Violation> {
    let root = doc.root_element();
    let direct: Vec<Node<'a, 'i>> = root.children().filter(|n| is_assertion(*n)).collect();
    let assertion = match direct.as_slice() {
        [one] => *one,
        [] => {
            let elsewhere: Vec<Node<'a, 'i>> = root.descendants().filter(|n| is_assertion(*n)).take(2).collect();
            return Err(match elsewhere.as_slice() {
                [] => Violation::NoAssertion,
                [only] => Violation::AssertionOutOfPlace { location: signature::path(*only) },
                _ => Violation::TooManyAssertions { count: root.descendants().filter(|n| is_assertion(*n)).count() },
            });
        }
        many => return Err(Violation::TooManyAssertions { count: many.len() }),
    };
    let stray = stray_assertions(root, assertion);
    if stray > 0 {
        return Err(Violation::TooManyAssertions { count: stray + 1 });
    }
    let mut ids = std::collections::HashSet::new();
    for id in root.descendants().filter_map(|n| n.attribute("ID")) {
        if !is_ncname(id) {
            return Err(Violation::InvalidId { id: id.to_owned() });
        }
        if !ids.insert(id) {
            return Err(Violation::DuplicateId { id: id.to_owned() });
        }
    }
    Ok(assertion)
}

/// How many assertions under `root` are neither `assertion` nor inside its Advice. Advice
/// (SAML core 2.6.1) may carry other assertions as evidence; nothing reads them (facts come
/// from the assertion's own children in the signed content), signatures inside Advice are
/// refused, and IDs stay unique document-wide, so a signed assertion hidden there can
/// neither be taken for the assertion nor lend it its signature. Anywhere else, an extra
/// assertion is the shape of a signature-wrapping attack.
pub(super) fn stray_assertions(root: Node<'_, '_>, assertion: Node<'_, '_>) -> usize {
    // An Assertion has at most one Advice (the schema's minOccurs 0, maxOccurs 1).
    let advice = xml::child(assertion, NS_SAML, "Advice").map(|a| a.range());
    let in_advice = |n: Node<'_, '_>| advice.as_ref().is_some_and(|r| r.contains(&n.range().start));
    root.descendants().filter(|n| is_assertion(*n) && n.id() != assertion.id() && !in_advice(*n)).count()
}

/// An xs:ID is an NCName: a letter or `_` first, then letters, digits, `.`, `-`, `_`.
fn is_ncname(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'))
}
