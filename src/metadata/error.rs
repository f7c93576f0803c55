//! Why metadata could not be imported: [`MetadataError`], its stable codes, its messages
//! (which name the entity and what was found) and the hint for each.

use std::fmt;

use super::text::{aggregate_label, clip, id_list, list_or_none, plural, quote};
use crate::connection::{BINDING_HTTP_POST, BINDING_HTTP_REDIRECT};
use crate::xml::{NS_MD, XmlError};
use crate::{Error, ErrorCode};

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
        /// SAML 2.0 IdPs of the document (at most [`LISTED_IDS`](super::text::LISTED_IDS)).
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
