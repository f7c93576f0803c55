//! The roles an entity plays: whether it is a (SAML 2.0) identity provider, and what its
//! role elements make it, in words for messages.

use roxmltree::Node;

use super::text::{dedup, quote};
use crate::xml::{self, NS_MD, NS_SAMLP};

const NS_XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

pub(super) fn supports_saml2(role: Node<'_, '_>) -> bool {
    role.attribute("protocolSupportEnumeration").is_some_and(|p| p.split_whitespace().any(|t| t == NS_SAMLP))
}

pub(super) fn saml2_idp_role<'a, 'input>(entity: Node<'a, 'input>) -> Option<Node<'a, 'input>> {
    xml::children(entity, NS_MD, "IDPSSODescriptor").find(|r| supports_saml2(*r))
}

pub(super) fn first_idp_role<'a, 'input>(entity: Node<'a, 'input>) -> Option<Node<'a, 'input>> {
    xml::child(entity, NS_MD, "IDPSSODescriptor")
}

/// What a role element makes an entity, for messages ("an SP (SPSSODescriptor)").
pub(super) fn role_description(node: Node<'_, '_>) -> Option<String> {
    if !node.is_element() || node.tag_name().namespace() != Some(NS_MD) {
        return None;
    }
    let described = match node.tag_name().name() {
        "IDPSSODescriptor" => "an IdP (IDPSSODescriptor)",
        "SPSSODescriptor" => "an SP (SPSSODescriptor)",
        "AuthnAuthorityDescriptor" => "an authentication authority (AuthnAuthorityDescriptor)",
        "AttributeAuthorityDescriptor" => "an attribute authority (AttributeAuthorityDescriptor)",
        "PDPDescriptor" => "a policy decision point (PDPDescriptor)",
        "AffiliationDescriptor" => "an affiliation (AffiliationDescriptor)",
        "RoleDescriptor" => {
            let ty = node.attribute((NS_XSI, "type")).unwrap_or("unspecified");
            let local = ty.rsplit(':').next().unwrap_or(ty);
            let what = match local {
                "SecurityTokenServiceType" => "a WS-Federation security token service",
                "ApplicationServiceType" => "a WS-Federation application",
                _ => "a custom role",
            };
            return Some(format!("{what} (RoleDescriptor xsi:type={})", quote(ty)));
        }
        _ => return None,
    };
    Some(described.to_owned())
}

fn role_short(node: Node<'_, '_>) -> Option<&'static str> {
    if !node.is_element() || node.tag_name().namespace() != Some(NS_MD) {
        return None;
    }
    Some(match node.tag_name().name() {
        "IDPSSODescriptor" => "IdP",
        "SPSSODescriptor" => "SP",
        "AuthnAuthorityDescriptor" => "authentication authority",
        "AttributeAuthorityDescriptor" => "attribute authority",
        "PDPDescriptor" => "policy decision point",
        "AffiliationDescriptor" => "affiliation",
        "RoleDescriptor" => "other role (RoleDescriptor)",
        _ => return None,
    })
}

/// "SP ×3, attribute authority ×1" over all entities (each role kind counted once per entity).
pub(super) fn roles_summary(entities: &[Node<'_, '_>]) -> String {
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    let mut roleless = 0usize;
    for entity in entities {
        let kinds = dedup(entity.children().filter_map(role_short));
        if kinds.is_empty() {
            roleless += 1;
        }
        for kind in kinds {
            match counts.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, n)) => *n += 1,
                None => counts.push((kind, 1)),
            }
        }
    }
    if roleless > 0 {
        counts.push(("no role", roleless));
    }
    counts.iter().map(|(k, n)| format!("{k} ×{n}")).collect::<Vec<_>>().join(", ")
}
