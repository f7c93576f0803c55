//! Who judges a response, which words its fix hints need: the ACS judging a response
//! delivered to it, or an admin judging a captured one (as this connection's SP or as the SP
//! it was addressed to, now or at another instant). The checks are the same in every case;
//! only what an admin should change differs. Also: what a response says about itself before
//! anything is verified (to prefill the SP it was addressed to, and its own instant), and
//! which other connection of the catalog its IdP is.

use chrono::{DateTime, Utc};
use roxmltree::Node;

use super::Violation;
use super::facts;
use crate::xml::{self, NS_SAML, NS_SAMLP};

/// How a response reached the judge. The default is a response delivered to the ACS.
#[derive(Debug, Clone, Copy, Default)]
pub struct Judging<'a> {
    /// `None`: delivered to this SP's ACS (a test login, `verify`, `provision`).
    pub capture: Option<Capture>,
    /// The other connections' IdPs, to say when a response comes from one of them.
    pub others: &'a [OtherIdp],
}

/// A captured response judged offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capture {
    pub sp: CaptureSp,
    pub at: CaptureAt,
}

/// Which SP a capture is judged as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureSp {
    /// This connection's own SP values.
    Connection,
    /// The SP it was addressed to; each value either read from the response or given.
    Addressed { entity_id_from_response: bool, acs_url_from_response: bool },
}

/// Which instant a capture is judged at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureAt {
    /// The clock: now.
    Clock,
    /// The response's own IssueInstant.
    Response,
    /// An instant the admin gave.
    Given,
}

/// Another connection's IdP, as the catalog holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherIdp {
    pub connection: String,
    pub entity_id: String,
    /// Its signing certificates: DER in base64 (no whitespace), with their fingerprints.
    pub certificates: Vec<(String, String)>,
}

/// What a response claims about its signer before anything is verified.
#[derive(Debug, Clone, Default)]
pub(super) struct Claimed {
    pub issuers: Vec<String>,
    /// The first KeyInfo certificate of a signature on the Response or the Assertion.
    pub certificate: Option<String>,
}

impl Claimed {
    pub(super) fn read(root: Node<'_, '_>) -> Claimed {
        let assertion = root.children().find(|n| xml::is(*n, NS_SAML, "Assertion"));
        let issuer = |n: Node<'_, '_>| {
            n.children().find(|c| xml::is(*c, NS_SAML, "Issuer")).map(|i| crate::identity::read(&xml::text(i)).value)
        };
        let issuers = [Some(root), assertion].into_iter().flatten().filter_map(issuer).collect();
        let certificate = [Some(root), assertion]
            .into_iter()
            .flatten()
            .flat_map(|n| n.children().filter(|c| xml::is(*c, xml::NS_DS, "Signature")))
            .flat_map(|s| s.descendants().filter(|c| xml::is(*c, xml::NS_DS, "X509Certificate")))
            .find_map(|c| c.text())
            .map(|t| t.chars().filter(|ch| !ch.is_whitespace()).collect());
        Claimed { issuers, certificate }
    }
}

/// How a violation shows that the response comes from another connection's IdP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OtherMatch {
    /// The Issuer, exactly as sent, is that connection's IdP entityID.
    Issuer(String),
    /// The signature's certificate (this fingerprint) is in that connection's IdP metadata.
    Certificate(String),
}

impl Judging<'_> {
    /// Another connection whose IdP this response names (by Issuer, exactly as sent, when
    /// it is not this connection's) or whose certificate signed it. Only for failures that
    /// such a response causes: the signature, and the Issuer.
    pub(super) fn other_idp(
        &self,
        v: &Violation,
        claimed: &Claimed,
        own_entity_id: &str,
    ) -> Option<(String, OtherMatch)> {
        if self.others.is_empty() {
            return None;
        }
        let issuers: Vec<&str> = match v {
            Violation::IssuerMismatch { found, .. } => vec![found.as_str()],
            Violation::SignatureInvalid { .. } | Violation::UnauthenticatedDecryptionFailed => {
                claimed.issuers.iter().map(String::as_str).collect()
            }
            _ => return None,
        };
        let by_issuer = issuers.iter().filter(|i| **i != own_entity_id).find_map(|i| {
            self.others
                .iter()
                .find(|o| o.entity_id == *i)
                .map(|o| (o.connection.clone(), OtherMatch::Issuer((*i).to_owned())))
        });
        let by_certificate = || {
            let carried = claimed.certificate.as_deref()?;
            // A connection to this same IdP with a newer certificate means a rotation: the
            // rotation hint is the true one then.
            self.others.iter().filter(|o| o.entity_id != own_entity_id).find_map(|o| {
                o.certificates
                    .iter()
                    .find(|(der, _)| der == carried)
                    .map(|(_, fp)| (o.connection.clone(), OtherMatch::Certificate(fp.clone())))
            })
        };
        match v {
            Violation::IssuerMismatch { .. } => by_issuer,
            _ => by_issuer.or_else(by_certificate),
        }
    }
}

/// What a response says about where it was sent and when, read without verifying anything:
/// to prefill the SP it was addressed to, and to find its own instant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Addressing {
    /// The first Audience of the first AudienceRestriction (plain Assertion only).
    pub audience: Option<String>,
    /// The Response's Destination.
    pub destination: Option<String>,
    /// The first bearer SubjectConfirmationData Recipient (plain Assertion only).
    pub recipient: Option<String>,
    pub issuer: Option<String>,
    /// The Assertion's IssueInstant, else the Response's, when it is a valid xs:dateTime.
    pub issue_instant: Option<DateTime<Utc>>,
    /// Whose IssueInstant `issue_instant` is: "Assertion's" or "Response's".
    pub issue_instant_of: Option<String>,
    pub in_response_to: Option<String>,
    /// The assertion is encrypted: its Audience and Recipient cannot be read without the key.
    pub encrypted: bool,
}

/// Reads [`Addressing`] from the base64 form value or the decoded XML; `None` when it is not
/// a readable SAML Response.
pub fn peek_addressing(saml_response: &str) -> Option<Addressing> {
    let text = super::decode(&crate::workbench::normalise_response_input(saml_response)).ok()?;
    let doc = xml::parse(&text).ok()?;
    let root = doc.root_element();
    if !xml::is(root, NS_SAMLP, "Response") {
        return None;
    }
    let response = facts::response_facts(root);
    let assertion = root.children().find(|n| xml::is(*n, NS_SAML, "Assertion")).map(facts::assertion_facts);
    let instant = |t: Option<&str>| t.and_then(|t| crate::xs_datetime::parse(t).ok());
    let assertion_instant = instant(assertion.as_ref().and_then(|a| a.issue_instant.as_deref()));
    let (issue_instant, issue_instant_of) = match assertion_instant {
        Some(t) => (Some(t), Some("Assertion's".to_owned())),
        None => match instant(root.attribute("IssueInstant")) {
            Some(t) => (Some(t), Some("Response's".to_owned())),
            None => (None, None),
        },
    };
    let a = assertion.as_ref();
    Some(Addressing {
        audience: a
            .and_then(|a| a.conditions.as_ref())
            .and_then(|c| c.audience_restrictions.first())
            .and_then(|r| r.first())
            .cloned(),
        destination: response.destination,
        recipient: a.and_then(|a| {
            a.confirmations.iter().filter(|c| c.method == crate::saml::CM_BEARER).find_map(|c| c.recipient.clone())
        }),
        issuer: response.issuer.or_else(|| a.and_then(|a| a.issuer.clone())),
        issue_instant,
        issue_instant_of,
        in_response_to: response.in_response_to,
        encrypted: root.children().any(|n| xml::is(n, NS_SAML, "EncryptedAssertion")),
    })
}
