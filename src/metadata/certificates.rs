//! The IdP's signing certificates: which `KeyDescriptor`s sign, reading each
//! ds:X509Certificate (tolerating PEM armor and base64-encoded PEM), duplicates, the cap
//! on how many are kept, and the expiry warnings.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use roxmltree::Node;

use super::MetadataError;
use super::document::Src;
use super::text::{clip, date, dedup, plural, quote};
use super::warnings::Warnings;
use crate::certs::Certificate;
use crate::xml::{self, NS_DS, NS_MD};

/// A signing certificate expiring within this many days gets a `certificate_expiring` warning.
pub const EXPIRY_WARNING_DAYS: i64 = 30;
/// Signing certificates kept per IdP. Each is parsed on import (about 0.1 ms) and may be
/// tried against every forged response (a full parse and canonicalization each), so a
/// document listing thousands must not cost seconds; real IdPs publish two or three.
const MAX_SIGNING_CERTIFICATES: usize = 16;

pub(super) fn signing_certificates(
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

pub(super) fn certificate_warnings(cert: &Certificate, now: DateTime<Utc>, warnings: &mut Warnings) {
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
