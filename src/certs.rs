//! X.509 certificates as they appear in SAML metadata and signatures.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use openssl::x509::X509;
use serde::{Deserialize, Serialize};

/// A parsed certificate. The DER bytes are what signature checks use; the rest is for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct Certificate {
    /// Base64 of the DER encoding, on one line.
    pub der_base64: String,
    /// SHA-256 over the DER, upper-case hex pairs joined by colons (how IdP consoles show it).
    pub sha256_fingerprint: String,
    pub subject: String,
    pub issuer: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    /// "RSA 2048", "EC P-256", ...
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    #[error("the certificate is not valid base64: {0}")]
    Base64(String),
    #[error("the certificate is not a valid X.509 DER structure: {0}")]
    Der(String),
    #[error("the certificate is not valid PEM: {0}")]
    Pem(String),
}

impl Certificate {
    /// Parses the content of a `ds:X509Certificate` element: base64 with any whitespace
    /// (line breaks, indentation, padding spaces) inside it.
    pub fn from_base64(text: &str) -> Result<Self, CertError> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map_err(|e| CertError::Base64(e.to_string()))?;
        Self::from_der(&der)
    }

    pub fn from_pem(pem: &[u8]) -> Result<Self, CertError> {
        let x = X509::from_pem(pem).map_err(|e| CertError::Pem(first_openssl_reason(&e)))?;
        let der = x.to_der().map_err(|e| CertError::Der(first_openssl_reason(&e)))?;
        Self::from_der(&der)
    }

    pub fn from_der(der: &[u8]) -> Result<Self, CertError> {
        let sha = openssl::sha::sha256(der);
        if let Some(hit) = cache::get(&sha) {
            return Ok(hit);
        }
        let parsed = Self::parse_der(der, &sha)?;
        cache::put(sha, &parsed);
        Ok(parsed)
    }

    fn parse_der(der: &[u8], sha: &[u8; 32]) -> Result<Self, CertError> {
        let x = X509::from_der(der).map_err(|e| CertError::Der(first_openssl_reason(&e)))?;
        let sha256_fingerprint = sha.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":");
        Ok(Certificate {
            der_base64: base64::engine::general_purpose::STANDARD.encode(der),
            sha256_fingerprint,
            subject: name_to_string(x.subject_name()),
            issuer: name_to_string(x.issuer_name()),
            not_before: asn1_to_utc(x.not_before()).map_err(CertError::Der)?,
            not_after: asn1_to_utc(x.not_after()).map_err(CertError::Der)?,
            key: describe_key(&x),
        })
    }

    pub fn der(&self) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD.decode(self.der_base64.as_bytes()).unwrap_or_default()
    }

    pub fn pem(&self) -> String {
        let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
        for chunk in self.der_base64.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(chunk));
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
        out
    }

    pub fn is_expired(&self, at: DateTime<Utc>) -> bool {
        self.not_after <= at
    }
}

/// Parsed certificates by SHA-256 of their DER. Parsing costs about a tenth of a millisecond
/// (OpenSSL 3 decodes the public key through its provider machinery), and the catalog hands
/// out the same few certificates for every login.
mod cache {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};

    use super::Certificate;

    const CAPACITY: usize = 4096;

    fn map() -> &'static Mutex<HashMap<[u8; 32], Certificate>> {
        static MAP: OnceLock<Mutex<HashMap<[u8; 32], Certificate>>> = OnceLock::new();
        MAP.get_or_init(|| Mutex::new(HashMap::new()))
    }

    pub fn get(sha: &[u8; 32]) -> Option<Certificate> {
        map().lock().ok()?.get(sha).cloned()
    }

    pub fn put(sha: [u8; 32], cert: &Certificate) {
        if let Ok(mut m) = map().lock() {
            if m.len() >= CAPACITY {
                m.clear();
            }
            m.insert(sha, cert.clone());
        }
    }
}

fn first_openssl_reason(e: &openssl::error::ErrorStack) -> String {
    e.errors().first().and_then(|e| e.reason().map(str::to_owned)).unwrap_or_else(|| "unrecognised encoding".to_owned())
}

fn name_to_string(name: &openssl::x509::X509NameRef) -> String {
    name.entries()
        .map(|e| {
            let key = e.object().nid().short_name().unwrap_or("?");
            let value = e.data().to_string().unwrap_or_default();
            format!("{key}={value}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn asn1_to_utc(t: &openssl::asn1::Asn1TimeRef) -> Result<DateTime<Utc>, String> {
    let epoch = openssl::asn1::Asn1Time::from_unix(0).map_err(|e| first_openssl_reason(&e))?;
    let diff = epoch.diff(t).map_err(|e| first_openssl_reason(&e))?;
    let secs = i64::from(diff.days) * 86_400 + i64::from(diff.secs);
    DateTime::from_timestamp(secs, 0).ok_or_else(|| format!("certificate time out of range: {t}"))
}

fn describe_key(x: &X509) -> String {
    let Ok(key) = x.public_key() else { return "unknown".to_owned() };
    if let Ok(rsa) = key.rsa() {
        return format!("RSA {}", rsa.size() * 8);
    }
    if let Ok(ec) = key.ec_key() {
        let curve = ec.group().curve_name().and_then(|nid| nid.short_name().ok()).unwrap_or("unknown curve");
        return format!("EC {curve}");
    }
    format!("{:?}", key.id())
}
