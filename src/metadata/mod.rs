//! Import of SAML 2.0 IdP metadata as real identity providers publish it.
//!
//! Accepts an `md:EntityDescriptor` or an `md:EntitiesDescriptor` aggregate (nested ones
//! too), picks the identity provider (the only SAML 2.0 IdP, or the one named by
//! entityID), and turns its `IDPSSODescriptor` into an [`IdpDescriptor`]. Everything that
//! would make the connection useless is an [`MetadataError`] that names what was found;
//! everything merely suspicious (expired certificates, a past `validUntil`, a placeholder
//! entityID) is a [`MetadataWarning`].
//!
//! The metadata signature is not verified: the document is trusted as the user's choice,
//! the way IdP consoles hand it out.
//!
//! Robustness: parsing goes through [`crate::xml::parse`] (no DTD, node limit), and every
//! walk over the tree is iterative and linear, so hostile nesting cannot overflow the
//! stack or go quadratic. Values echoed into messages are clipped and quoted.
//!
//! Here live the entry points ([`import`], [`list_idps`]) and what they return; the
//! submodules hold one concern each: `document` (parsing, line numbers), `entities` (which
//! entity to import), `roles`, `descriptor` (an entity into an [`IdpDescriptor`]),
//! `certificates`, `error`, `warnings`, `http` ([`fetch`]) and `text` (message wording).

mod certificates;
mod descriptor;
mod document;
mod entities;
mod error;
pub mod http;
mod roles;
mod text;
mod warnings;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use certificates::EXPIRY_WARNING_DAYS;
pub use error::MetadataError;
pub use http::{FETCH_TIMEOUT, FetchLimits, MAX_METADATA_BYTES, fetch, fetch_with, shown_source};
pub use warnings::MetadataWarning;

use crate::connection::IdpDescriptor;
use crate::xml::{self, NS_MD};
use descriptor::build;
use document::{Src, parse};
use entities::{EntitySet, display_name, entity_id_of};
use roles::{first_idp_role, saml2_idp_role, supports_saml2};
use text::dedup;

/// The result of a successful import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Imported {
    pub idp: IdpDescriptor,
    /// Problems that do not prevent saving the connection, in the order found.
    pub warnings: Vec<MetadataWarning>,
    /// Set when the document was an `EntitiesDescriptor` aggregate.
    pub aggregate: Option<AggregateInfo>,
}

/// What an aggregate (`EntitiesDescriptor`) document contained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct AggregateInfo {
    /// The outermost `EntitiesDescriptor`'s `Name`.
    pub name: Option<String>,
    /// Entities with an `IDPSSODescriptor` of any protocol (SAML 1-only ones included).
    pub idp_count: usize,
    /// Every `EntityDescriptor`, whatever its roles.
    pub entity_count: usize,
}

/// One identity provider of a document, as [`list_idps`] shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct IdpSummary {
    pub entity_id: String,
    /// `mdui:DisplayName` (English preferred), else the `OrganizationDisplayName`.
    pub display_name: Option<String>,
    /// Every `SingleSignOnService` binding as written, any protocol, document order, no duplicates.
    pub sso_bindings: Vec<String>,
    /// The IdP role lists `urn:oasis:names:tc:SAML:2.0:protocol`: only those can be imported.
    pub saml2: bool,
}

/// Imports the IdP of a metadata document.
///
/// With `entity_id`, that entity is imported (it must be a SAML 2.0 IdP). Without it, the
/// document's only SAML 2.0 IdP is. `now` judges certificate expiry and `validUntil`.
pub fn import(xml_text: &str, entity_id: Option<&str>, now: DateTime<Utc>) -> Result<Imported, MetadataError> {
    let doc = parse(xml_text)?;
    let src = Src::new(&doc);
    let set = EntitySet::collect(&doc)?;
    let entity = set.select(&src, entity_id)?;
    let (idp, warnings) = build(&src, entity, now)?;
    Ok(Imported { idp, warnings, aggregate: set.aggregate_info() })
}

/// Every identity provider of a document (of any protocol: see [`IdpSummary::saml2`]), in
/// document order. An `EntityDescriptor` gives one, or none if it is not an IdP.
/// Entities without an entityID are skipped.
pub fn list_idps(xml_text: &str) -> Result<Vec<IdpSummary>, MetadataError> {
    let doc = parse(xml_text)?;
    let set = EntitySet::collect(&doc)?;
    Ok(set
        .entities
        .iter()
        .filter_map(|e| {
            let entity_id = entity_id_of(*e)?;
            let role = saml2_idp_role(*e).or_else(|| first_idp_role(*e))?;
            Some(IdpSummary {
                entity_id: entity_id.to_owned(),
                display_name: display_name(*e, role),
                sso_bindings: dedup(
                    xml::children(role, NS_MD, "SingleSignOnService")
                        .filter_map(|s| s.attribute("Binding").map(|b| b.trim().to_owned())),
                ),
                saml2: supports_saml2(role),
            })
        })
        .collect())
}
