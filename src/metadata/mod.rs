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

use std::borrow::Cow;
use std::fmt;

use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use roxmltree::{Document, Node};
use serde::Serialize;

use crate::certs::Certificate;
use crate::connection::{BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, Endpoint, IdpDescriptor};
use crate::xml::{self, NS_DS, NS_MD, NS_SAMLP, XmlError};
use crate::{Error, ErrorCode};

/// Largest metadata document [`fetch`] accepts.
pub const MAX_METADATA_BYTES: usize = 16 * 1024 * 1024;
/// Total time [`fetch`] allows for connecting, the response and the whole body.
pub const FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// A signing certificate expiring within this many days gets a `certificate_expiring` warning.
pub const EXPIRY_WARNING_DAYS: i64 = 30;
/// How many entityIDs an error message lists before it says "and N more".
const LISTED_IDS: usize = 10;
/// Longest stretch of an untrusted value (entityID, attribute) echoed in a message.
const ECHO_CHARS: usize = 200;

const NS_MDUI: &str = "urn:oasis:names:tc:SAML:metadata:ui";
const NS_XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
const NS_XML: &str = "http://www.w3.org/XML/1998/namespace";
const SAML2_BINDING_PREFIX: &str = "urn:oasis:names:tc:SAML:2.0:bindings:";
/// SAML specifies entityIDs of at most 1024 characters.
const MAX_ENTITY_ID_CHARS: usize = 1024;
/// Signing certificates kept per IdP. Each is parsed on import (about 0.1 ms) and may be
/// tried against every forged response (a full parse and canonicalization each), so a
/// document listing thousands must not cost seconds; real IdPs publish two or three.
const MAX_SIGNING_CERTIFICATES: usize = 16;

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

/// Something suspicious that does not prevent the import.
///
/// Codes: `certificate_expired`, `certificate_expiring`, `certificate_not_yet_valid`,
/// `valid_until_passed`, `valid_until_invalid`, `entity_id_not_uri`, `entity_id_too_long`,
/// `no_browser_sso_binding`, `no_redirect_binding`, `duplicate_certificate`,
/// `unknown_key_use`, `key_without_certificate`, `certificate_pem_armored`, `certificate_base64_pem`,
/// `slo_endpoint_skipped`, `too_many_certificates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct MetadataWarning {
    pub code: &'static str,
    pub message: String,
}

impl MetadataWarning {
    fn new(code: &'static str, message: String) -> Self {
        MetadataWarning { code, message }
    }
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

/// Why metadata could not be imported. [`MetadataError::code`] is stable; the
/// `Display` message names the entity and what was found; [`MetadataError::hint`] says
/// what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataError {
    /// Nothing but whitespace (or a byte-order mark).
    Empty,
    /// A `<!DOCTYPE`: refused, SAML never needs one and entity attacks do.
    Doctype,
    /// Refused before parsing: so many attributes or nested namespace declarations that
    /// parsing would take very long (a crafted document, not real metadata).
    TooComplex { line: u32, attributes: u64, namespaces_in_scope: u64 },
    /// Not well-formed XML; `detail` comes from the parser and names the position.
    Malformed { detail: String },
    /// The root element is not `md:EntityDescriptor` / `md:EntitiesDescriptor`.
    NotMetadata { local_name: String, namespace: Option<String> },
    /// An `EntityDescriptor` without (or with an empty) `entityID`.
    MissingEntityId { line: u32 },
    /// An aggregate without any entity that has an `IDPSSODescriptor`.
    NoIdp { aggregate: Option<String>, entity_count: usize, roles: String },
    /// The (selected) entity has no `IDPSSODescriptor`; `roles` says what it is instead.
    NotAnIdp { entity_id: String, roles: Vec<String> },
    /// The entity's `IDPSSODescriptor`s do not list SAML 2.0 (SAML 1 / Shibboleth 1 only).
    NotSaml2 { entity_id: String, protocols: Vec<String>, sso_bindings: Vec<String> },
    /// An aggregate whose IdPs all lack SAML 2.0 support.
    NoSaml2Idp { aggregate: Option<String>, idp_count: usize, entity_ids: Vec<String> },
    /// A SAML 2.0 IdP without any SAML 2.0 `SingleSignOnService`.
    NoSaml2Sso { entity_id: String, sso_bindings: Vec<String> },
    /// A SAML 2.0 `SingleSignOnService` without a `Location`.
    InvalidEndpoint { entity_id: String, binding: String, line: u32 },
    /// An aggregate with several SAML 2.0 IdPs and no entityID chosen.
    SeveralIdps { aggregate: Option<String>, count: usize, entity_ids: Vec<String> },
    /// The requested entityID is not in the document.
    UnknownEntityId {
        requested: String,
        /// SAML 2.0 IdPs of the document (at most [`LISTED_IDS`]).
        available: Vec<String>,
        available_count: usize,
        did_you_mean: Option<String>,
    },
    /// A signing certificate that is not a base64 DER X.509 certificate.
    InvalidCertificate { entity_id: String, index: usize, line: u32, detail: String },
    /// No usable signing certificate: nothing could verify this IdP's logins.
    NoSigningCertificate {
        entity_id: String,
        encryption_keys: usize,
        /// Signing `KeyDescriptor`s without a certificate, described (`KeyName "x"`, ...).
        keys_without_certificate: Vec<String>,
    },
}

impl MetadataError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            MetadataError::Empty => "empty",
            MetadataError::Doctype => "doctype",
            MetadataError::TooComplex { .. } => "too_complex",
            MetadataError::Malformed { .. } => "malformed_xml",
            MetadataError::NotMetadata { .. } => "not_metadata",
            MetadataError::MissingEntityId { .. } => "missing_entity_id",
            MetadataError::NoIdp { .. } => "no_idp",
            MetadataError::NotAnIdp { .. } => "not_an_idp",
            MetadataError::NotSaml2 { .. } => "not_saml2",
            MetadataError::NoSaml2Idp { .. } => "no_saml2_idp",
            MetadataError::NoSaml2Sso { .. } => "no_saml2_sso",
            MetadataError::InvalidEndpoint { .. } => "invalid_endpoint",
            MetadataError::SeveralIdps { .. } => "several_idps",
            MetadataError::UnknownEntityId { .. } => "unknown_entity_id",
            MetadataError::InvalidCertificate { .. } => "invalid_certificate",
            MetadataError::NoSigningCertificate { .. } => "no_signing_certificate",
        }
    }

    /// What the user can do about it.
    pub fn hint(&self) -> String {
        match self {
            MetadataError::Empty => {
                "the file or URL gave no content; export or download the IdP's metadata XML again".into()
            }
            MetadataError::Doctype => {
                "SAML metadata never needs a DTD; remove the <!DOCTYPE ...> declaration if you trust the document"
                    .into()
            }
            MetadataError::TooComplex { .. } => "real metadata has a handful of attributes and namespace \
                 declarations per element; this document looks crafted to exhaust the XML parser"
                .into(),
            MetadataError::Malformed { .. } => "the document is truncated or is not XML; if it came from a URL, \
                 check that the URL serves the metadata XML itself and not an HTML page"
                .into(),
            MetadataError::NotMetadata { local_name, namespace } => {
                let local = local_name.to_ascii_lowercase();
                if local == "html" || local == "body" || local == "head" {
                    "this is an HTML page (a login or error page?), not metadata: use the IdP's metadata URL, \
                     or download the metadata XML from the IdP's admin console"
                        .into()
                } else if local == "response" || local == "assertion" {
                    "this is a SAML message, not metadata: import the IdP's metadata instead".into()
                } else if (local == "entitydescriptor" || local == "entitiesdescriptor")
                    && namespace.as_deref() != Some(NS_MD)
                {
                    format!(
                        "SAML 2.0 metadata elements must be in the namespace {NS_MD}; this may be SAML 1 \
                         (Shibboleth 1.x) metadata or a hand-edited file with a missing xmlns declaration"
                    )
                } else {
                    "export the IdP's SAML 2.0 metadata: an XML document whose root is md:EntityDescriptor".into()
                }
            }
            MetadataError::MissingEntityId { .. } => {
                "every SAML entity needs an entityID; export the metadata again from the IdP".into()
            }
            MetadataError::NoIdp { .. } => {
                "this aggregate lists no identity provider; import a document that contains the IdP's metadata".into()
            }
            MetadataError::NotAnIdp { roles, .. } => {
                if roles.iter().any(|r| r.contains("SPSSODescriptor")) {
                    "this is service-provider (SP) metadata; import the metadata of the identity provider (IdP) \
                     instead: the IdP's admin console offers it as 'IdP metadata' or 'Federation metadata'"
                        .into()
                } else {
                    "import the metadata of a SAML 2.0 identity provider (an entity with an IDPSSODescriptor)".into()
                }
            }
            MetadataError::NotSaml2 { .. } | MetadataError::NoSaml2Idp { .. } => {
                "Handshake speaks SAML 2.0 only; enable SAML 2.0 on the IdP or ask its operator for SAML 2.0 \
                 metadata"
                    .into()
            }
            MetadataError::NoSaml2Sso { .. } => format!(
                "Handshake needs a SingleSignOnService with a SAML 2.0 binding ({BINDING_HTTP_REDIRECT} or \
                 {BINDING_HTTP_POST}); check the IdP's SAML 2.0 configuration"
            ),
            MetadataError::InvalidEndpoint { .. } => {
                "a SingleSignOnService needs both Binding and Location; fix or export the metadata again".into()
            }
            MetadataError::SeveralIdps { .. } => {
                "choose the identity provider to import by its entityID (listing the document's IdPs shows them all)"
                    .into()
            }
            MetadataError::UnknownEntityId { did_you_mean, .. } => match did_you_mean {
                Some(id) => format!("did you mean {}? entityIDs must match exactly", quote(id)),
                None => "entityIDs must match exactly; list the document's IdPs to see the available ones".into(),
            },
            MetadataError::InvalidCertificate { .. } => {
                "a ds:X509Certificate holds the base64 of a DER X.509 certificate (no -----BEGIN----- lines); \
                 export the metadata again or fix the certificate text"
                    .into()
            }
            MetadataError::NoSigningCertificate { .. } => {
                "a connection without the IdP's signing certificate cannot be saved, since nothing could verify \
                 its logins; get metadata that includes the signing (token-signing) certificate in a \
                 KeyDescriptor with use=\"signing\" or no use"
                    .into()
            }
        }
    }
}

impl fmt::Display for MetadataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetadataError::Empty => f.write_str("the metadata is empty"),
            MetadataError::Doctype => f.write_str(
                "the metadata contains a DOCTYPE declaration, which is refused (XML entity attacks rely on it)",
            ),
            MetadataError::Malformed { detail } => write!(f, "the metadata is not well-formed XML: {detail}"),
            MetadataError::TooComplex { line, attributes, namespaces_in_scope } => write!(
                f,
                "the metadata is refused before parsing: its attributes and nested namespace declarations would \
                 make parsing take very long (at line {line}, an element with {attributes} {} and \
                 {namespaces_in_scope} namespace {} in scope)",
                plural(usize::try_from(*attributes).unwrap_or(usize::MAX), "attribute", "attributes"),
                plural(usize::try_from(*namespaces_in_scope).unwrap_or(usize::MAX), "declaration", "declarations")
            ),
            MetadataError::NotMetadata { local_name, namespace } => {
                let found = match namespace {
                    Some(ns) => format!("<{}> in namespace {}", clip(local_name), quote(ns)),
                    None => format!("<{}> in no namespace", clip(local_name)),
                };
                write!(
                    f,
                    "the root element is {found}, not a SAML 2.0 md:EntityDescriptor or md:EntitiesDescriptor \
                     (namespace {NS_MD})"
                )
            }
            MetadataError::MissingEntityId { line } => {
                write!(f, "the EntityDescriptor at line {line} has no entityID (or an empty one)")
            }
            MetadataError::NoIdp { aggregate, entity_count, roles } => write!(
                f,
                "{} lists {entity_count} {} but no identity provider (no IDPSSODescriptor){}",
                aggregate_label(aggregate.as_deref()),
                plural(*entity_count, "entity", "entities"),
                if roles.is_empty() { String::new() } else { format!("; it has: {roles}") }
            ),
            MetadataError::NotAnIdp { entity_id, roles } => {
                let what = if roles.is_empty() {
                    "it declares no role at all".to_owned()
                } else {
                    format!("it is {}", roles.join(" and "))
                };
                write!(
                    f,
                    "entity {} has no IDPSSODescriptor, so it is not an identity provider: {what}",
                    quote(entity_id)
                )
            }
            MetadataError::NotSaml2 { entity_id, protocols, sso_bindings } => write!(
                f,
                "the identity provider {} does not support SAML 2.0: its IDPSSODescriptor lists the protocols {} \
                 and the SingleSignOnService bindings {}",
                quote(entity_id),
                list_or_none(protocols),
                list_or_none(sso_bindings)
            ),
            MetadataError::NoSaml2Idp { aggregate, idp_count, entity_ids } => write!(
                f,
                "{} lists {idp_count} identity {} but none supports SAML 2.0: {}",
                aggregate_label(aggregate.as_deref()),
                plural(*idp_count, "provider", "providers"),
                id_list(entity_ids, *idp_count)
            ),
            MetadataError::NoSaml2Sso { entity_id, sso_bindings } => {
                let found = if sso_bindings.is_empty() {
                    "it has no SingleSignOnService at all".to_owned()
                } else {
                    format!("its SingleSignOnService bindings are {}", list_or_none(sso_bindings))
                };
                write!(
                    f,
                    "the identity provider {} lists SAML 2.0 support but no SAML 2.0 SingleSignOnService endpoint: \
                     {found}",
                    quote(entity_id)
                )
            }
            MetadataError::InvalidEndpoint { entity_id, binding, line } => write!(
                f,
                "the identity provider {} has a SingleSignOnService with binding {} but no Location (line {line})",
                quote(entity_id),
                quote(binding)
            ),
            MetadataError::SeveralIdps { aggregate, count, entity_ids } => write!(
                f,
                "{} lists {count} SAML 2.0 identity providers; choose one by entityID: {}",
                aggregate_label(aggregate.as_deref()),
                id_list(entity_ids, *count)
            ),
            MetadataError::UnknownEntityId { requested, available, available_count, .. } => {
                write!(f, "the metadata has no entity with entityID {}", quote(requested))?;
                match available_count {
                    0 => write!(f, ", and no SAML 2.0 identity provider at all"),
                    1 => write!(f, "; its only SAML 2.0 identity provider is {}", id_list(available, 1)),
                    n => write!(f, "; its {n} SAML 2.0 identity providers are {}", id_list(available, *n)),
                }
            }
            MetadataError::InvalidCertificate { entity_id, index, line, detail } => write!(
                f,
                "signing certificate #{index} of the identity provider {} (ds:X509Certificate at line {line}) \
                 cannot be read: {detail}",
                quote(entity_id)
            ),
            MetadataError::NoSigningCertificate { entity_id, encryption_keys, keys_without_certificate } => {
                let mut found = Vec::new();
                if !keys_without_certificate.is_empty() {
                    found.push(format!(
                        "its signing KeyDescriptor names a key without an X509Certificate ({})",
                        list_or_none(keys_without_certificate)
                    ));
                }
                if *encryption_keys > 0 {
                    found.push(format!(
                        "it has {encryption_keys} encryption-only {} (use=\"encryption\"), which cannot verify signatures",
                        plural(*encryption_keys, "key", "keys")
                    ));
                }
                if found.is_empty() {
                    found.push("its IDPSSODescriptor has no KeyDescriptor at all".to_owned());
                }
                write!(
                    f,
                    "the identity provider {} publishes no signing certificate: {}",
                    quote(entity_id),
                    found.join("; ")
                )
            }
        }
    }
}

impl std::error::Error for MetadataError {}

impl From<MetadataError> for Error {
    fn from(e: MetadataError) -> Self {
        Error::new(ErrorCode::InvalidMetadata, e.to_string()).detail(e.code()).hint(e.hint())
    }
}

impl From<XmlError> for MetadataError {
    fn from(e: XmlError) -> Self {
        match e {
            XmlError::Doctype => MetadataError::Doctype,
            XmlError::Malformed(detail) => MetadataError::Malformed { detail },
            XmlError::TooComplex { line, attributes, namespaces_in_scope } => {
                MetadataError::TooComplex { line, attributes, namespaces_in_scope }
            }
        }
    }
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

fn parse(xml_text: &str) -> Result<Document<'_>, MetadataError> {
    if xml_text.trim_start_matches('\u{feff}').trim().is_empty() {
        return Err(MetadataError::Empty);
    }
    xml::parse(xml_text).map_err(|e| match e {
        // roxmltree names no position for these: say where the document stops.
        XmlError::Malformed(detail)
            if detail == "the root node was opened but never closed" || detail == "unexpected end of stream" =>
        {
            let body = xml_text.strip_prefix('\u{feff}').unwrap_or(xml_text);
            let line = body.matches('\n').count() + 1;
            let column = body.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            MetadataError::Malformed {
                detail: format!("{detail} (the document ends at {line}:{column}; is it truncated?)"),
            }
        }
        XmlError::Malformed(detail) if detail == "nodes limit reached" => MetadataError::Malformed {
            detail: "the document has more XML nodes than Handshake parses (2,000,000)".to_owned(),
        },
        other => other.into(),
    })
}

// ---------------------------------------------------------------------------------------
// Entities of a document and the choice among them

struct EntitySet<'a, 'input> {
    /// Every EntityDescriptor reachable through EntitiesDescriptors, in document order.
    entities: Vec<Node<'a, 'input>>,
    /// Some for an EntitiesDescriptor root: its Name.
    aggregate: Option<Option<String>>,
}

impl<'a, 'input> EntitySet<'a, 'input> {
    fn collect(doc: &'a Document<'input>) -> Result<Self, MetadataError> {
        let root = doc.root_element();
        if xml::is(root, NS_MD, "EntityDescriptor") {
            return Ok(EntitySet { entities: vec![root], aggregate: None });
        }
        if !xml::is(root, NS_MD, "EntitiesDescriptor") {
            return Err(MetadataError::NotMetadata {
                local_name: root.tag_name().name().to_owned(),
                namespace: root.tag_name().namespace().map(str::to_owned),
            });
        }
        // Pre-order walk with an explicit stack: document order, linear, no recursion
        // however deeply EntitiesDescriptors nest.
        let mut entities = Vec::new();
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            if xml::is(node, NS_MD, "EntityDescriptor") {
                entities.push(node);
                continue;
            }
            let start = stack.len();
            stack.extend(
                node.children()
                    .filter(|c| xml::is(*c, NS_MD, "EntityDescriptor") || xml::is(*c, NS_MD, "EntitiesDescriptor")),
            );
            if let Some(pushed) = stack.get_mut(start..) {
                pushed.reverse();
            }
        }
        Ok(EntitySet { entities, aggregate: Some(root.attribute("Name").map(str::to_owned)) })
    }

    fn aggregate_name(&self) -> Option<String> {
        self.aggregate.clone().flatten()
    }

    fn aggregate_info(&self) -> Option<AggregateInfo> {
        let name = self.aggregate.clone()?;
        Some(AggregateInfo {
            name,
            idp_count: self.entities.iter().filter(|e| first_idp_role(**e).is_some()).count(),
            entity_count: self.entities.len(),
        })
    }

    fn saml2_idps(&self) -> impl Iterator<Item = (Node<'a, 'input>, &'a str)> + '_ {
        self.entities
            .iter()
            .filter(|e| saml2_idp_role(**e).is_some())
            .filter_map(|e| entity_id_of(*e).map(|id| (*e, id)))
    }

    fn select(&self, src: &Src<'_, '_>, wanted: Option<&str>) -> Result<Node<'a, 'input>, MetadataError> {
        if let Some(wanted) = wanted {
            if let Some(found) = self.entities.iter().find(|e| entity_id_of(**e) == Some(wanted)) {
                return Ok(*found);
            }
            let available: Vec<&str> = self.saml2_idps().map(|(_, id)| id).collect();
            let normalize = |s: &str| s.trim().trim_end_matches('/').to_lowercase();
            let did_you_mean =
                available.iter().find(|id| normalize(id) == normalize(wanted)).map(|id| (*id).to_owned());
            return Err(MetadataError::UnknownEntityId {
                requested: wanted.to_owned(),
                available_count: available.len(),
                available: available.iter().take(LISTED_IDS).map(|s| (*s).to_owned()).collect(),
                did_you_mean,
            });
        }
        if self.aggregate.is_none() {
            // A lone EntityDescriptor: it is the one, and `build` says what is wrong with it.
            return self.entities.first().copied().ok_or(MetadataError::NoIdp {
                aggregate: None,
                entity_count: 0,
                roles: String::new(),
            });
        }
        let saml2: Vec<(Node<'a, 'input>, &str)> = self.saml2_idps().collect();
        match saml2.as_slice() {
            [(only, _)] => return Ok(*only),
            [] => {}
            several => {
                return Err(MetadataError::SeveralIdps {
                    aggregate: self.aggregate_name(),
                    count: several.len(),
                    entity_ids: several.iter().take(LISTED_IDS).map(|(_, id)| (*id).to_owned()).collect(),
                });
            }
        }
        // No SAML 2.0 IdP with an entityID. Explain with what there is.
        let idps: Vec<Node<'a, 'input>> =
            self.entities.iter().copied().filter(|e| first_idp_role(*e).is_some()).collect();
        match idps.as_slice() {
            // One IdP (SAML 1 only, or without entityID): `build` reports precisely.
            [only] => Ok(*only),
            [] => Err(MetadataError::NoIdp {
                aggregate: self.aggregate_name(),
                entity_count: self.entities.len(),
                roles: roles_summary(&self.entities),
            }),
            several => {
                if let Some(unnamed) = several.iter().find(|e| entity_id_of(**e).is_none()) {
                    return Err(missing_entity_id(src, *unnamed));
                }
                Err(MetadataError::NoSaml2Idp {
                    aggregate: self.aggregate_name(),
                    idp_count: several.len(),
                    entity_ids: several
                        .iter()
                        .filter_map(|e| entity_id_of(*e))
                        .take(LISTED_IDS)
                        .map(str::to_owned)
                        .collect(),
                })
            }
        }
    }
}

/// The entityID by the identifier rule (crate::identity): XML whitespace around it is
/// formatting, anything else is part of it (and compared exactly with the Issuer).
fn entity_id_of<'a>(entity: Node<'a, '_>) -> Option<&'a str> {
    entity.attribute("entityID").map(crate::identity::xml_trim).filter(|id| !id.is_empty())
}

fn missing_entity_id(src: &Src<'_, '_>, entity: Node<'_, '_>) -> MetadataError {
    MetadataError::MissingEntityId { line: src.line(entity) }
}

/// The parsed document and a line index built on first use, so that naming the line of
/// many nodes stays linear (roxmltree's `text_pos_at` rescans from the start each time).
struct Src<'d, 'input> {
    doc: &'d Document<'input>,
    line_starts: std::cell::OnceCell<Vec<usize>>,
}

impl<'d, 'input> Src<'d, 'input> {
    fn new(doc: &'d Document<'input>) -> Self {
        Src { doc, line_starts: std::cell::OnceCell::new() }
    }

    /// 1-based line of the node's start.
    fn line(&self, node: Node<'_, '_>) -> u32 {
        let starts = self.line_starts.get_or_init(|| {
            let text = self.doc.input_text();
            text.match_indices('\n').map(|(i, _)| i + 1).collect()
        });
        let line = starts.partition_point(|s| *s <= node.range().start) + 1;
        u32::try_from(line).unwrap_or(u32::MAX)
    }
}

/// Collects warnings, keeping at most [`MAX_WARNINGS_PER_CODE`] of each code so that a
/// hostile document cannot produce millions of them.
#[derive(Default)]
struct Warnings {
    list: Vec<MetadataWarning>,
    suppressed: std::collections::HashMap<&'static str, usize>,
    counts: std::collections::HashMap<&'static str, usize>,
}

const MAX_WARNINGS_PER_CODE: usize = 20;

impl Warnings {
    fn push(&mut self, code: &'static str, message: String) {
        let count = self.counts.entry(code).or_insert(0);
        *count += 1;
        if *count > MAX_WARNINGS_PER_CODE {
            *self.suppressed.entry(code).or_insert(0) += 1;
        } else {
            self.list.push(MetadataWarning::new(code, message));
        }
    }

    fn finish(mut self) -> Vec<MetadataWarning> {
        let mut suppressed: Vec<(&'static str, usize)> = self.suppressed.into_iter().collect();
        suppressed.sort_unstable();
        for (code, n) in suppressed {
            self.list.push(MetadataWarning::new(code, format!("... and {n} more {code} warnings like the ones above")));
        }
        self.list
    }
}

fn supports_saml2(role: Node<'_, '_>) -> bool {
    role.attribute("protocolSupportEnumeration").is_some_and(|p| p.split_whitespace().any(|t| t == NS_SAMLP))
}

fn saml2_idp_role<'a, 'input>(entity: Node<'a, 'input>) -> Option<Node<'a, 'input>> {
    xml::children(entity, NS_MD, "IDPSSODescriptor").find(|r| supports_saml2(*r))
}

fn first_idp_role<'a, 'input>(entity: Node<'a, 'input>) -> Option<Node<'a, 'input>> {
    xml::child(entity, NS_MD, "IDPSSODescriptor")
}

/// What a role element makes an entity, for messages ("an SP (SPSSODescriptor)").
fn role_description(node: Node<'_, '_>) -> Option<String> {
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
fn roles_summary(entities: &[Node<'_, '_>]) -> String {
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

// ---------------------------------------------------------------------------------------
// One entity → IdpDescriptor

fn build(
    src: &Src<'_, '_>,
    entity: Node<'_, '_>,
    now: DateTime<Utc>,
) -> Result<(IdpDescriptor, Vec<MetadataWarning>), MetadataError> {
    let Some(entity_id) = entity_id_of(entity) else {
        return Err(missing_entity_id(src, entity));
    };
    let Some(role) = saml2_idp_role(entity) else {
        return Err(not_an_idp(entity, entity_id));
    };
    let mut warnings = Warnings::default();

    // --- SingleSignOnService: every SAML 2.0 endpoint, document order.
    let mut sso = Vec::new();
    let mut all_sso_bindings = Vec::new();
    for service in xml::children(role, NS_MD, "SingleSignOnService") {
        let binding = service.attribute("Binding").unwrap_or_default().trim();
        all_sso_bindings.push(binding.to_owned());
        if !binding.starts_with(SAML2_BINDING_PREFIX) {
            continue;
        }
        let location = service.attribute("Location").unwrap_or_default().trim();
        if location.is_empty() {
            return Err(MetadataError::InvalidEndpoint {
                entity_id: entity_id.to_owned(),
                binding: binding.to_owned(),
                line: src.line(service),
            });
        }
        sso.push(Endpoint { binding: binding.to_owned(), location: location.to_owned() });
    }
    if sso.is_empty() {
        return Err(MetadataError::NoSaml2Sso {
            entity_id: entity_id.to_owned(),
            sso_bindings: dedup(all_sso_bindings),
        });
    }
    // An IdP offering only SOAP (ECP), Artifact or PAOS for SSO is a warning, not an error:
    // Handshake cannot start a browser login with it (AuthnRequests go out by HTTP-Redirect,
    // HTTP-POST being the fallback), but the connection is still useful: the IdP can post
    // IdP-initiated responses to the ACS, and pasted responses validate against its
    // signing certificate, which is what the connection stores.
    let has_redirect = sso.iter().any(|e| e.binding == BINDING_HTTP_REDIRECT);
    let has_post = sso.iter().any(|e| e.binding == BINDING_HTTP_POST);
    if !has_redirect && !has_post {
        warnings.push(
            "no_browser_sso_binding",
            format!(
                "the identity provider offers no HTTP-Redirect or HTTP-POST SingleSignOnService (only {}): \
                 Handshake cannot send it an AuthnRequest, so only IdP-initiated logins will work",
                dedup(sso.iter().map(|e| short_binding(&e.binding))).join(", ")
            ),
        );
    } else if !has_redirect {
        warnings.push(
            "no_redirect_binding",
            "the identity provider offers no HTTP-Redirect SingleSignOnService, only HTTP-POST: AuthnRequests \
             must be sent with the HTTP-POST binding"
                .to_owned(),
        );
    }

    // --- SingleLogoutService: SAML 2.0 bindings with a Location.
    let mut slo = Vec::new();
    for service in xml::children(role, NS_MD, "SingleLogoutService") {
        let binding = service.attribute("Binding").unwrap_or_default().trim();
        if !binding.starts_with(SAML2_BINDING_PREFIX) {
            continue;
        }
        let location = service.attribute("Location").unwrap_or_default().trim();
        if location.is_empty() {
            warnings.push(
                "slo_endpoint_skipped",
                format!(
                    "a SingleLogoutService with binding {} has no Location (line {}); it was skipped",
                    quote(binding),
                    src.line(service)
                ),
            );
            continue;
        }
        slo.push(Endpoint { binding: binding.to_owned(), location: location.to_owned() });
    }

    let name_id_formats =
        dedup(xml::children(role, NS_MD, "NameIDFormat").map(xml::trimmed_text).filter(|f| !f.is_empty()));
    let want_authn_requests_signed =
        role.attribute("WantAuthnRequestsSigned").is_some_and(|v| matches!(v.trim(), "true" | "1"));

    // --- Signing certificates.
    let signing_certificates = signing_certificates(src, role, entity_id, &mut warnings)?;
    for cert in &signing_certificates {
        certificate_warnings(cert, now, &mut warnings);
    }

    // --- validUntil: the earliest of the entity's and its enclosing EntitiesDescriptors'.
    let valid_until = valid_until(entity, now, &mut warnings);

    // --- entityID sanity.
    if !looks_like_uri(entity_id) {
        warnings.push(
            "entity_id_not_uri",
            format!(
                "the entityID {} is not a URI (SAML expects one); it is imported as is, but it may be a \
                 placeholder left in the IdP's configuration, and the IdP's responses must carry exactly this Issuer",
                quote(entity_id)
            ),
        );
    }
    let id_chars = entity_id.chars().count();
    if id_chars > MAX_ENTITY_ID_CHARS {
        warnings.push(
            "entity_id_too_long",
            format!("the entityID has {id_chars} characters; SAML allows at most {MAX_ENTITY_ID_CHARS}"),
        );
    }

    Ok((
        IdpDescriptor {
            entity_id: entity_id.to_owned(),
            sso,
            slo,
            name_id_formats,
            signing_certificates,
            want_authn_requests_signed,
            valid_until,
        },
        warnings.finish(),
    ))
}

fn not_an_idp(entity: Node<'_, '_>, entity_id: &str) -> MetadataError {
    let idp_roles: Vec<Node<'_, '_>> = xml::children(entity, NS_MD, "IDPSSODescriptor").collect();
    if idp_roles.is_empty() {
        return MetadataError::NotAnIdp {
            entity_id: entity_id.to_owned(),
            roles: dedup(entity.children().filter_map(role_description)),
        };
    }
    MetadataError::NotSaml2 {
        entity_id: entity_id.to_owned(),
        protocols: dedup(idp_roles.iter().flat_map(|r| {
            r.attribute("protocolSupportEnumeration").unwrap_or_default().split_whitespace().map(str::to_owned)
        })),
        sso_bindings: dedup(idp_roles.iter().flat_map(|r| {
            xml::children(*r, NS_MD, "SingleSignOnService")
                .filter_map(|s| s.attribute("Binding").map(|b| b.trim().to_owned()))
        })),
    }
}

fn signing_certificates(
    src: &Src<'_, '_>,
    role: Node<'_, '_>,
    entity_id: &str,
    warnings: &mut Warnings,
) -> Result<Vec<Certificate>, MetadataError> {
    let mut certs: Vec<Certificate> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut seen_text: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut index = 0usize;
    let mut encryption_keys = 0usize;
    let mut keys_without_certificate = Vec::new();
    let mut beyond_limit = 0usize;
    for descriptor in xml::children(role, NS_MD, "KeyDescriptor") {
        // No `use` means the key serves both signing and encryption.
        match descriptor.attribute("use").map(str::trim) {
            None | Some("" | "signing") => {}
            Some("encryption") => {
                encryption_keys += 1;
                continue;
            }
            Some(other) => {
                warnings.push(
                    "unknown_key_use",
                    format!(
                        "a KeyDescriptor has use={} (line {}), neither \"signing\" nor \"encryption\"; its key is \
                         not used to verify signatures",
                        quote(other),
                        src.line(descriptor)
                    ),
                );
                continue;
            }
        }
        let key_info = xml::child(descriptor, NS_DS, "KeyInfo");
        let cert_nodes: Vec<Node<'_, '_>> =
            key_info.map(|k| xml::descendants(k, NS_DS, "X509Certificate").collect()).unwrap_or_default();
        if cert_nodes.is_empty() {
            let description = describe_certless_key(key_info);
            warnings.push(
                "key_without_certificate",
                format!(
                    "a signing KeyDescriptor (line {}) has no X509Certificate ({description}); Handshake can only \
                     verify signatures with certificates published in the metadata",
                    src.line(descriptor)
                ),
            );
            keys_without_certificate.push(description);
            continue;
        }
        for node in cert_nodes {
            index += 1;
            if certs.len() >= MAX_SIGNING_CERTIFICATES {
                beyond_limit += 1;
                continue;
            }
            let raw = xml::text(node);
            let (text, armored) = strip_pem_armor(&raw);
            let line = src.line(node);
            // The same text again (a copy-pasted KeyDescriptor): no need to parse it twice.
            let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            if let Some(fingerprint) = seen_text.get(&compact) {
                warnings.push(
                    "duplicate_certificate",
                    format!(
                        "signing certificate #{index} (line {line}, SHA-256 {fingerprint}) repeats an earlier one; \
                         it is kept once"
                    ),
                );
                continue;
            }
            let (cert, pem_inside) = read_certificate(text).map_err(|e| MetadataError::InvalidCertificate {
                entity_id: entity_id.to_owned(),
                index,
                line,
                detail: if text.trim().is_empty() { "the element is empty".to_owned() } else { e.to_string() },
            })?;
            if pem_inside {
                warnings.push(
                    "certificate_base64_pem",
                    format!(
                        "signing certificate #{index} (line {line}) holds the base64 of PEM text (-----BEGIN \
                         CERTIFICATE----- lines encoded again) instead of the base64 of the certificate itself; it \
                         was decoded (SHA-256 {}), but other SPs may refuse this metadata: the IdP's export is broken",
                        cert.sha256_fingerprint
                    ),
                );
            }
            if armored {
                warnings.push(
                    "certificate_pem_armored",
                    format!(
                        "signing certificate #{index} (line {line}) is wrapped in -----BEGIN/END CERTIFICATE----- \
                         lines, which a ds:X509Certificate should not contain; they were ignored"
                    ),
                );
            }
            seen_text.insert(compact, cert.sha256_fingerprint.clone());
            if !seen.insert(cert.der_base64.clone()) {
                warnings.push(
                    "duplicate_certificate",
                    format!(
                        "signing certificate #{index} (line {line}, SHA-256 {}) repeats an earlier one; it is kept once",
                        cert.sha256_fingerprint
                    ),
                );
                continue;
            }
            certs.push(cert);
        }
    }
    if beyond_limit > 0 {
        warnings.push(
            "too_many_certificates",
            format!(
                "the IdP lists {beyond_limit} more signing certificate(s) after the first {MAX_SIGNING_CERTIFICATES}; only \
                 those are kept (IdPs publish two or three during a rollover)"
            ),
        );
    }
    if certs.is_empty() {
        return Err(MetadataError::NoSigningCertificate {
            entity_id: entity_id.to_owned(),
            encryption_keys,
            keys_without_certificate,
        });
    }
    Ok(certs)
}

fn describe_certless_key(key_info: Option<Node<'_, '_>>) -> String {
    let Some(key_info) = key_info else { return "no ds:KeyInfo".to_owned() };
    let names = dedup(xml::descendants(key_info, NS_DS, "KeyName").map(xml::trimmed_text));
    if let Some(name) = names.first() {
        return format!("KeyName {}", quote(name));
    }
    if xml::descendants(key_info, NS_DS, "KeyValue").next().is_some() {
        return "a bare public key (ds:KeyValue)".to_owned();
    }
    "an empty ds:KeyInfo".to_owned()
}

/// The certificate in a ds:X509Certificate's text: base64 of the DER, as the standard says.
/// Some exports encode the PEM text instead (the certificate base64-encoded twice, armor
/// and all): when the decoded bytes are not a certificate but text holding one, that one is
/// read, once (no further nesting). Returns whether that happened.
fn read_certificate(text: &str) -> Result<(Certificate, bool), crate::certs::CertError> {
    let direct = match Certificate::from_base64(text) {
        Ok(cert) => return Ok((cert, false)),
        Err(e) => e,
    };
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let decoded = base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()).ok();
    let Some(inner) = decoded.and_then(|bytes| String::from_utf8(bytes).ok()) else { return Err(direct) };
    let (body, _) = strip_pem_armor(&inner);
    Certificate::from_base64(body).map(|cert| (cert, true)).map_err(|_| direct)
}

/// Tolerates certificates pasted with their PEM armor. Returns the base64 and whether armor was found.
fn strip_pem_armor(text: &str) -> (&str, bool) {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let Some((_, after_begin)) = text.split_once(BEGIN) else { return (text, false) };
    let body = after_begin.split_once(END).map_or(after_begin, |(body, _)| body);
    (body, true)
}

fn certificate_warnings(cert: &Certificate, now: DateTime<Utc>, warnings: &mut Warnings) {
    let subject = clip(&cert.subject);
    if cert.is_expired(now) {
        warnings.push(
            "certificate_expired",
            format!(
                "signing certificate SHA-256 {} ({subject}) expired on {}",
                cert.sha256_fingerprint,
                date(cert.not_after)
            ),
        );
    } else if cert.not_after <= now + chrono::Duration::days(EXPIRY_WARNING_DAYS) {
        let days = (cert.not_after - now).num_days();
        warnings.push(
            "certificate_expiring",
            format!(
                "signing certificate SHA-256 {} ({subject}) expires on {} (in {days} {})",
                cert.sha256_fingerprint,
                date(cert.not_after),
                plural(usize::try_from(days).unwrap_or(0), "day", "days")
            ),
        );
    }
    if cert.not_before > now {
        warnings.push(
            "certificate_not_yet_valid",
            format!(
                "signing certificate SHA-256 {} ({subject}) is not valid before {}",
                cert.sha256_fingerprint,
                date(cert.not_before)
            ),
        );
    }
}

fn valid_until(entity: Node<'_, '_>, now: DateTime<Utc>, warnings: &mut Warnings) -> Option<DateTime<Utc>> {
    let mut earliest: Option<(DateTime<Utc>, String)> = None;
    // ancestors() starts at the entity itself; one linear walk up.
    for node in entity.ancestors() {
        let where_ = if xml::is(node, NS_MD, "EntityDescriptor") {
            "the EntityDescriptor".to_owned()
        } else if xml::is(node, NS_MD, "EntitiesDescriptor") {
            match node.attribute("Name") {
                Some(name) => format!("the EntitiesDescriptor {}", quote(name)),
                None => "an enclosing EntitiesDescriptor".to_owned(),
            }
        } else {
            continue;
        };
        let Some(raw) = node.attribute("validUntil") else { continue };
        match crate::xs_datetime::parse(raw) {
            Ok(t) => {
                if earliest.as_ref().is_none_or(|(e, _)| t < *e) {
                    earliest = Some((t, where_));
                }
            }
            Err(why) => warnings.push(
                "valid_until_invalid",
                format!("the validUntil {} on {where_} is not an xs:dateTime ({why}); it was ignored", quote(raw)),
            ),
        }
    }
    let (t, where_) = earliest?;
    if t <= now {
        warnings.push(
            "valid_until_passed",
            format!(
                "the metadata expired: validUntil {} on {where_} has passed; the IdP may have published newer \
                 metadata (and certificates)",
                date(t)
            ),
        );
    }
    Some(t)
}

/// An absolute URI (URL or URN) without whitespace.
fn looks_like_uri(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control()) && url::Url::parse(s).is_ok()
}

fn display_name(entity: Node<'_, '_>, role: Node<'_, '_>) -> Option<String> {
    let from_mdui = xml::child(role, NS_MD, "Extensions")
        .and_then(|ext| xml::child(ext, NS_MDUI, "UIInfo"))
        .and_then(|ui| pick_lang(xml::children(ui, NS_MDUI, "DisplayName")));
    from_mdui.or_else(|| {
        xml::child(entity, NS_MD, "Organization")
            .and_then(|org| pick_lang(xml::children(org, NS_MD, "OrganizationDisplayName")))
    })
}

/// The English one if there is one, else the first; whitespace collapsed.
fn pick_lang<'a, 'input: 'a>(nodes: impl Iterator<Item = Node<'a, 'input>>) -> Option<String> {
    let mut first = None;
    for node in nodes {
        let text = xml::text(node).split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            continue;
        }
        if node.attribute((NS_XML, "lang")).is_some_and(|l| l.eq_ignore_ascii_case("en")) {
            return Some(text);
        }
        first.get_or_insert(text);
    }
    first
}

// ---------------------------------------------------------------------------------------
// Small helpers for messages

/// Removes duplicates, keeping the first occurrence's position. Linear: a hostile
/// document may list a million NameIDFormats.
fn dedup<T: Eq + std::hash::Hash + Clone>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut seen = std::collections::HashSet::new();
    items.into_iter().filter(|item| seen.insert(item.clone())).collect()
}

/// At most [`ECHO_CHARS`] characters of an untrusted value.
fn clip(s: &str) -> Cow<'_, str> {
    match s.char_indices().nth(ECHO_CHARS) {
        None => Cow::Borrowed(s),
        Some((cut, _)) => {
            let head = s.get(..cut).unwrap_or_default();
            Cow::Owned(format!("{head}… ({} characters in all)", s.chars().count()))
        }
    }
}

/// A clipped value in double quotes, control characters escaped.
fn quote(s: &str) -> String {
    format!("{:?}", clip(s))
}

/// "a, b, c" (each clipped), "(none)", or the first [`LISTED_IDS`] and "and N more".
fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        return "(none)".to_owned();
    }
    let mut out = items.iter().take(LISTED_IDS).map(|s| clip(s).into_owned()).collect::<Vec<_>>().join(", ");
    if items.len() > LISTED_IDS {
        out.push_str(&format!(" and {} more", items.len() - LISTED_IDS));
    }
    out
}

/// "a, b, c" or "a, b, c and 22 more" when `total` exceeds what is listed.
fn id_list(listed: &[String], total: usize) -> String {
    let mut out = listed.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ");
    if total > listed.len() {
        out.push_str(&format!(" and {} more", total - listed.len()));
    }
    out
}

fn aggregate_label(name: Option<&str>) -> String {
    match name {
        Some(name) => format!("the aggregate {}", quote(name)),
        None => "the aggregate (EntitiesDescriptor)".to_owned(),
    }
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

fn short_binding(binding: &str) -> &str {
    binding.strip_prefix(SAML2_BINDING_PREFIX).unwrap_or(binding)
}

fn date(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

// ---------------------------------------------------------------------------------------
// Fetching metadata over HTTP(S)

/// Limits for [`fetch_with`]. [`fetch`] uses the defaults: 16 MiB, 30 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchLimits {
    pub max_bytes: usize,
    pub timeout: std::time::Duration,
}

impl Default for FetchLimits {
    fn default() -> Self {
        FetchLimits { max_bytes: MAX_METADATA_BYTES, timeout: FETCH_TIMEOUT }
    }
}

/// Downloads a metadata document: http/https only, 30 s in all, at most 16 MiB, UTF-8.
pub async fn fetch(url: &str) -> crate::Result<String> {
    fetch_with(url, FetchLimits::default()).await
}

/// [`fetch`] with explicit limits.
pub async fn fetch_with(url: &str, limits: FetchLimits) -> crate::Result<String> {
    let parsed =
        url::Url::parse(url.trim()).map_err(|e| Error::invalid(format!("{} is not a valid URL: {e}", quote(url))))?;
    let shown = redacted(&parsed);
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::invalid(format!(
            "cannot fetch {shown}: only http and https URLs are supported, not {}:",
            parsed.scheme()
        )));
    }
    let network = |what: String| Error::new(ErrorCode::Network, format!("fetching {shown} failed: {what}"));
    let describe = |e: &reqwest::Error| {
        if e.is_timeout() {
            format!("no complete answer within {} s", limits.timeout.as_secs_f64())
        } else {
            cause_chain(e)
        }
    };

    let client = reqwest::Client::builder()
        .timeout(limits.timeout)
        .user_agent(concat!("Handshake/", env!("CARGO_PKG_VERSION"), " (SAML metadata import)"))
        .build()
        .map_err(|e| Error::new(ErrorCode::Internal, format!("cannot set up the HTTP client: {}", cause_chain(&e))))?;
    let mut response = client
        .get(parsed.clone())
        .header(
            reqwest::header::ACCEPT,
            "application/samlmetadata+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1",
        )
        .send()
        .await
        .map_err(|e| network(describe(&e)))?;

    let status = response.status();
    if !status.is_success() {
        return Err(network(format!(
            "the server answered HTTP {}{}",
            status.as_u16(),
            status.canonical_reason().map(|r| format!(" {r}")).unwrap_or_default()
        )));
    }
    let limit_mib = limits.max_bytes as f64 / (1024.0 * 1024.0);
    if let Some(announced) = response.content_length()
        && usize::try_from(announced).map_or(true, |n| n > limits.max_bytes)
    {
        return Err(network(format!(
            "the server announces {announced} bytes, more than the {limit_mib} MiB limit for metadata"
        )));
    }
    let mut body: Vec<u8> = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| network(describe(&e)))? {
        if body.len() + chunk.len() > limits.max_bytes {
            return Err(network(format!(
                "the body is larger than the {limit_mib} MiB limit for metadata (stopped after {} bytes)",
                body.len() + chunk.len()
            )));
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|e| {
        let bytes = e.as_bytes();
        let utf16 = bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
        network(format!(
            "the body is not UTF-8 text (invalid byte at offset {}){}",
            e.utf8_error().valid_up_to(),
            if utf16 { "; it starts with a UTF-16 byte-order mark: save it as UTF-8 and import the file" } else { "" }
        ))
    })
}

/// The URL for messages, without a password.
fn redacted(url: &url::Url) -> String {
    if url.password().is_some() {
        let mut shown = url.clone();
        if shown.set_password(Some("***")).is_ok() {
            return shown.to_string();
        }
    }
    url.to_string()
}

/// The kind of failure and its causes: "cannot connect: client error (Connect): tcp connect
/// error: Connection refused (os error 111)". reqwest's own message would repeat the URL.
fn cause_chain(e: &reqwest::Error) -> String {
    let kind = if e.is_connect() {
        "cannot connect"
    } else if e.is_redirect() {
        "redirect failed"
    } else if e.is_body() || e.is_decode() {
        "reading the response failed"
    } else if e.is_builder() {
        "invalid request"
    } else {
        "the request failed"
    };
    let mut parts: Vec<String> = vec![kind.to_owned()];
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    if parts.len() == 1 {
        parts.push(e.to_string());
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_keeps_char_boundaries() {
        let long = "é".repeat(ECHO_CHARS + 5);
        let clipped = clip(&long);
        assert!(clipped.starts_with(&"é".repeat(ECHO_CHARS)));
        assert!(clipped.ends_with(&format!("({} characters in all)", ECHO_CHARS + 5)));
        assert_eq!(clip("short"), "short");
    }
}
