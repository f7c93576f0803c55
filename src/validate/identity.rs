//! The Subject's identifier as mapping sees it: the NameID as sent, or an EncryptedID
//! decrypted with the SP key (the same machinery and key as an EncryptedAssertion).
//!
//! Only verified content comes here (an EncryptedID sits inside the signed assertion), so
//! its failures are reported precisely: a forged ciphertext never reaches the decrypter.

use roxmltree::Node;

use super::facts::{self, AssertionFacts, NameId};
use super::violation::Violation;
use super::{Context, decrypt};
use crate::xml::{self, NS_SAML};

/// The facts of a verified assertion, with its EncryptedID (if it has one instead of a
/// NameID) decrypted.
pub(super) fn read_assertion(assertion: Node<'_, '_>, ctx: &Context<'_>) -> Result<AssertionFacts, Violation> {
    let mut facts = facts::assertion_facts(assertion);
    let encrypted_id = xml::child(assertion, NS_SAML, "Subject").and_then(|s| xml::child(s, NS_SAML, "EncryptedID"));
    if let Some(encrypted_id) = encrypted_id.filter(|_| facts.name_id.is_none()) {
        let name_id =
            decrypt_name_id(encrypted_id, ctx, &mut facts.whitespace_trimmed).map_err(|reason| match reason {
                plaintext @ Violation::DecryptedNotANameId { .. } => plaintext,
                other => Violation::EncryptedIdUndecryptable { reason: Box::new(other) },
            })?;
        facts.name_id = Some(name_id);
        facts.name_id_encrypted = true;
    }
    Ok(facts)
}

fn decrypt_name_id(
    encrypted_id: Node<'_, '_>,
    ctx: &Context<'_>,
    trimmed: &mut Vec<&'static str>,
) -> Result<NameId, Violation> {
    let key = super::encrypted::sp_key(ctx)?;
    let plaintext = decrypt::decrypt_element(encrypted_id, key.expose())?;
    let text = super::encrypted::decrypted_document(&plaintext, encrypted_id)?;
    let not_a_name_id = |detail: String| Violation::DecryptedNotANameId { detail };
    let doc = xml::parse(&text).map_err(|e| not_a_name_id(e.to_string()))?;
    let root = doc.root_element();
    let name_id = if xml::is(root, NS_SAML, "NameID") {
        root
    } else {
        let elements: Vec<Node<'_, '_>> = root.children().filter(|n| n.is_element()).collect();
        match elements.as_slice() {
            [n] if xml::is(*n, NS_SAML, "NameID") => *n,
            [n] => return Err(not_a_name_id(format!("a {} element, not a saml:NameID", n.tag_name().name()))),
            [] => return Err(not_a_name_id(format!("a {} element, not a saml:NameID", root.tag_name().name()))),
            _ => return Err(not_a_name_id(format!("{} elements, expected one saml:NameID", elements.len()))),
        }
    };
    Ok(facts::name_id_of(name_id, trimmed))
}
