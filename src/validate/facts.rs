//! What a Response and its Assertion say, read into owned values.

use roxmltree::Node;
use serde::{Deserialize, Serialize};

use crate::xml::{self, NS_SAML, NS_SAMLP};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseFacts {
    pub id: String,
    pub issuer: Option<String>,
    pub destination: Option<String>,
    pub in_response_to: Option<String>,
    pub status_code: Option<String>,
    pub status_sub_code: Option<String>,
    pub status_message: Option<String>,
    /// As [`AssertionFacts::whitespace_trimmed`]: "Response Issuer".
    pub whitespace_trimmed: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct NameId {
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_qualifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp_name_qualifier: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    pub method: String,
    pub recipient: Option<String>,
    pub not_on_or_after: Option<String>,
    pub not_before: Option<String>,
    pub in_response_to: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConditionFacts {
    pub not_before: Option<String>,
    pub not_on_or_after: Option<String>,
    /// One list per AudienceRestriction; each must name the SP.
    pub audience_restrictions: Vec<Vec<String>>,
}

/// A SAML attribute as received: keyed by Name, every value in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct Attribute {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssertionFacts {
    pub id: String,
    pub issuer: Option<String>,
    pub issue_instant: Option<String>,
    pub name_id: Option<NameId>,
    /// The NameID arrived as an EncryptedID and was decrypted with the SP key.
    pub name_id_encrypted: bool,
    pub confirmations: Vec<Confirmation>,
    pub conditions: Option<ConditionFacts>,
    pub session_index: Option<String>,
    pub authn_context_class: Option<String>,
    pub attributes: Vec<Attribute>,
    /// Identifiers that had XML whitespace around them, removed by the identifier rule
    /// (`crate::identity`): "NameID", "Assertion Issuer", "Audience".
    pub whitespace_trimmed: Vec<&'static str>,
}

fn attr(node: Node<'_, '_>, name: &str) -> Option<String> {
    node.attribute(name).map(str::to_owned)
}

fn child_text(node: Node<'_, '_>, ns: &str, local: &str) -> Option<String> {
    xml::child(node, ns, local).map(xml::trimmed_text)
}

/// An identifier's text by the identifier rule, noting `field` when whitespace was removed.
fn identifier(node: Node<'_, '_>, field: &'static str, trimmed: &mut Vec<&'static str>) -> String {
    let read = crate::identity::read(&xml::text(node));
    if read.trimmed && !trimmed.contains(&field) {
        trimmed.push(field);
    }
    read.value
}

pub fn response_facts(response: Node<'_, '_>) -> ResponseFacts {
    let status = xml::child(response, NS_SAMLP, "Status");
    let code = status.and_then(|s| xml::child(s, NS_SAMLP, "StatusCode"));
    let mut whitespace_trimmed = Vec::new();
    let issuer =
        xml::child(response, NS_SAML, "Issuer").map(|i| identifier(i, "Response Issuer", &mut whitespace_trimmed));
    ResponseFacts {
        id: attr(response, "ID").unwrap_or_default(),
        issuer,
        destination: attr(response, "Destination"),
        in_response_to: attr(response, "InResponseTo"),
        status_code: code.and_then(|c| attr(c, "Value")),
        status_sub_code: code.and_then(|c| xml::child(c, NS_SAMLP, "StatusCode")).and_then(|c| attr(c, "Value")),
        status_message: status.and_then(|s| child_text(s, NS_SAMLP, "StatusMessage")),
        whitespace_trimmed,
    }
}

/// A saml:NameID element (sent as such, or decrypted from an EncryptedID), its value read
/// by the identifier rule (`trimmed` gets "NameID" when XML whitespace was removed).
pub fn name_id_of(n: Node<'_, '_>, trimmed: &mut Vec<&'static str>) -> NameId {
    NameId {
        // The whole text with comments removed: what the signer signed.
        value: identifier(n, "NameID", trimmed),
        format: attr(n, "Format"),
        name_qualifier: attr(n, "NameQualifier"),
        sp_name_qualifier: attr(n, "SPNameQualifier"),
    }
}

pub fn assertion_facts(assertion: Node<'_, '_>) -> AssertionFacts {
    let mut trimmed = Vec::new();
    let issuer = xml::child(assertion, NS_SAML, "Issuer").map(|i| identifier(i, "Assertion Issuer", &mut trimmed));
    let subject = xml::child(assertion, NS_SAML, "Subject");
    let name_id = subject.and_then(|s| xml::child(s, NS_SAML, "NameID")).map(|n| name_id_of(n, &mut trimmed));
    let confirmations = subject
        .into_iter()
        .flat_map(|s| xml::children(s, NS_SAML, "SubjectConfirmation"))
        .map(|sc| {
            let data = xml::child(sc, NS_SAML, "SubjectConfirmationData");
            Confirmation {
                method: attr(sc, "Method").unwrap_or_default(),
                recipient: data.and_then(|d| attr(d, "Recipient")),
                not_on_or_after: data.and_then(|d| attr(d, "NotOnOrAfter")),
                not_before: data.and_then(|d| attr(d, "NotBefore")),
                in_response_to: data.and_then(|d| attr(d, "InResponseTo")),
            }
        })
        .collect();
    let conditions = xml::child(assertion, NS_SAML, "Conditions").map(|c| ConditionFacts {
        not_before: attr(c, "NotBefore"),
        not_on_or_after: attr(c, "NotOnOrAfter"),
        audience_restrictions: xml::children(c, NS_SAML, "AudienceRestriction")
            .map(|r| xml::children(r, NS_SAML, "Audience").map(|a| identifier(a, "Audience", &mut trimmed)).collect())
            .collect(),
    });
    let authn = xml::child(assertion, NS_SAML, "AuthnStatement");
    let attributes = xml::children(assertion, NS_SAML, "AttributeStatement")
        .flat_map(|s| xml::children(s, NS_SAML, "Attribute"))
        .map(|a| Attribute {
            name: attr(a, "Name").unwrap_or_default(),
            name_format: attr(a, "NameFormat"),
            friendly_name: attr(a, "FriendlyName"),
            values: xml::children(a, NS_SAML, "AttributeValue").map(xml::text).collect(),
        })
        .collect();
    AssertionFacts {
        id: attr(assertion, "ID").unwrap_or_default(),
        issuer,
        issue_instant: attr(assertion, "IssueInstant"),
        name_id,
        name_id_encrypted: false,
        confirmations,
        conditions,
        session_index: authn.and_then(|a| attr(a, "SessionIndex")),
        authn_context_class: authn
            .and_then(|a| xml::child(a, NS_SAML, "AuthnContext"))
            .and_then(|c| child_text(c, NS_SAML, "AuthnContextClassRef")),
        attributes,
        whitespace_trimmed: trimmed,
    }
}
