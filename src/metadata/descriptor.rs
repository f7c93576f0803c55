//! One entity → [`IdpDescriptor`]: its SAML 2.0 endpoints, NameID formats, signing
//! certificates and `validUntil`, with a warning for everything merely suspicious.

use chrono::{DateTime, Utc};
use roxmltree::Node;

use super::certificates::{certificate_warnings, signing_certificates};
use super::document::Src;
use super::entities::{entity_id_of, missing_entity_id};
use super::roles::{role_description, saml2_idp_role};
use super::text::{date, dedup, quote};
use super::warnings::Warnings;
use super::{MetadataError, MetadataWarning};
use crate::connection::{BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, Endpoint, IdpDescriptor};
use crate::xml::{self, NS_MD};

const SAML2_BINDING_PREFIX: &str = "urn:oasis:names:tc:SAML:2.0:bindings:";
/// SAML specifies entityIDs of at most 1024 characters.
const MAX_ENTITY_ID_CHARS: usize = 1024;

pub(super) fn build(
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

fn short_binding(binding: &str) -> &str {
    binding.strip_prefix(SAML2_BINDING_PREFIX).unwrap_or(binding)
}
