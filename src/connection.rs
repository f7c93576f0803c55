//! A connection: one IdP, the SP side Handshake presents to it, and the security policy.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::certs::Certificate;
use crate::oidc::OidcSettings;

pub use crate::saml::{BINDING_HTTP_POST, BINDING_HTTP_REDIRECT};

/// A protocol endpoint from metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct Endpoint {
    pub binding: String,
    pub location: String,
}

/// What the IdP's metadata says about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct IdpDescriptor {
    pub entity_id: String,
    /// SAML 2.0 SingleSignOnService endpoints, in document order.
    pub sso: Vec<Endpoint>,
    pub slo: Vec<Endpoint>,
    pub name_id_formats: Vec<String>,
    /// Every certificate usable for signing (`use="signing"` or no `use`), deduplicated,
    /// in document order. A rollover set has several: any of them may sign.
    pub signing_certificates: Vec<Certificate>,
    pub want_authn_requests_signed: bool,
    pub valid_until: Option<DateTime<Utc>>,
}

impl IdpDescriptor {
    /// The SSO endpoint for a binding, if the IdP offers it.
    pub fn sso_for(&self, binding: &str) -> Option<&Endpoint> {
        self.sso.iter().find(|e| e.binding == binding)
    }
}

/// Which XML signatures must be present on an accepted response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum SignatureRequirement {
    /// The assertion is covered by its own signature or by the Response's (the SAML profile's rule).
    #[default]
    AssertionOrResponse,
    /// The Assertion itself must carry a signature.
    Assertion,
    /// The Response must carry a signature.
    Response,
    /// Both the Response and the Assertion must be signed.
    Both,
}

/// The connection's security policy. Defaults are the strict, standard ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct SecurityPolicy {
    pub signature: SignatureRequirement,
    /// Refuse responses whose assertion is not encrypted.
    pub require_encrypted_assertion: bool,
    /// Tolerance for clock differences between IdP and SP, in seconds.
    pub clock_skew_seconds: u32,
    /// Accept unsolicited (IdP-initiated) responses.
    pub allow_idp_initiated: bool,
    /// Accept RSA-SHA1 signatures and SHA-1 digests (broken; only for legacy IdPs).
    pub allow_sha1: bool,
    /// Sign AuthnRequests even when the IdP does not ask for it.
    pub sign_authn_requests: bool,
    /// Accept a signed Response without a Destination (SAML bindings 3.5.5.2 require one;
    /// only for an IdP that cannot send it).
    pub allow_missing_destination: bool,
}

/// The largest clock skew a connection may allow (10 minutes). Consumed assertion IDs are
/// remembered until their NotOnOrAfter plus this, so no skew can revive a pruned one.
pub const MAX_CLOCK_SKEW_SECONDS: u32 = 600;

impl SecurityPolicy {
    /// Refuses settings no connection may have.
    pub fn check(&self) -> Result<(), String> {
        if self.clock_skew_seconds > MAX_CLOCK_SKEW_SECONDS {
            return Err(format!(
                "a clock skew of {} s is too large: at most {MAX_CLOCK_SKEW_SECONDS} s (IdP and SP clocks that differ by \
                 more need fixing, not tolerating)",
                self.clock_skew_seconds
            ));
        }
        Ok(())
    }
}

impl Default for SecurityPolicy {
    fn default() -> Self {
        SecurityPolicy {
            signature: SignatureRequirement::AssertionOrResponse,
            require_encrypted_assertion: false,
            clock_skew_seconds: 120,
            allow_idp_initiated: true,
            allow_sha1: false,
            sign_authn_requests: false,
            allow_missing_destination: false,
        }
    }
}

/// The SP side of a connection as configured. `None` means "derive from the
/// embedded SP's base URL", so a connection follows the port Handshake serves on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SpConfig {
    pub entity_id: Option<String>,
    pub acs_url: Option<String>,
    /// The SP certificate (public part). Its private key lives only in the secret store.
    pub certificate: Option<Certificate>,
}

/// The SP values in effect for one connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpEndpoints {
    pub entity_id: String,
    pub acs_url: String,
}

/// Default port of the embedded SP.
pub const DEFAULT_PORT: u16 = 7777;

/// Base URL of the embedded SP on a port.
pub fn base_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

impl SpConfig {
    /// Explicit values win; otherwise they derive from the embedded SP's base URL.
    pub fn resolve(&self, connection_name: &str, base_url: &str) -> SpEndpoints {
        let base = base_url.trim_end_matches('/');
        let name = url_segment(connection_name);
        SpEndpoints {
            entity_id: self.entity_id.clone().unwrap_or_else(|| format!("{base}/saml/{name}/metadata")),
            acs_url: self.acs_url.clone().unwrap_or_else(|| format!("{base}/saml/{name}/acs")),
        }
    }
}

/// Percent-encodes a connection name for use as one URL path segment.
pub fn url_segment(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A stored connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    pub id: i64,
    pub name: String,
    pub idp: IdpDescriptor,
    pub sp: SpConfig,
    pub policy: SecurityPolicy,
    /// The metadata document exactly as imported.
    pub metadata_xml: String,
    /// Where it came from: a file path, a URL, or "stdin".
    pub metadata_source: String,
    pub metadata_imported_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The OpenID Connect side; `None` for a SAML connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<OidcSettings>,
}

/// The protocol a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum Protocol {
    #[default]
    Saml,
    Oidc,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Saml => "saml",
            Protocol::Oidc => "oidc",
        }
    }
}

impl Connection {
    pub fn protocol(&self) -> Protocol {
        if self.oidc.is_some() { Protocol::Oidc } else { Protocol::Saml }
    }
}

/// The longest connection name, in characters (ASCII only, so also bytes).
pub const NAME_MAX_LEN: usize = 64;
/// Which connection names are allowed: a letter or digit, then letters, digits, `-`, `_`,
/// `.`. The UI reads this and [`NAME_MAX_LEN`] from the generated bindings.
pub const NAME_PATTERN: &str = "^[A-Za-z0-9][A-Za-z0-9._-]*$";

/// Validates a connection name: it names files, URLs and keyring entries, so keep it plain.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > NAME_MAX_LEN {
        return Err(format!("a connection name has 1 to {NAME_MAX_LEN} characters"));
    }
    // NAME_PATTERN, spelled out: a regex here would be one more thing that can fail to build.
    let starts_plain = name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if !starts_plain || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        return Err(format!(
            "connection name {name:?} must start with a letter or digit and contain only letters, digits, '-', '_' and '.'"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The UI checks names with NAME_PATTERN before asking; both must agree.
    #[test]
    fn the_name_pattern_is_the_name_rule() {
        let pattern = regex::Regex::new(NAME_PATTERN).unwrap();
        let long = "a".repeat(NAME_MAX_LEN);
        for name in ["okta-prod_1.x", "", "-okta", ".x", "okta prod", "okta/prod", "é", "a\n", "9", long.as_str()] {
            assert_eq!(check_name(name).is_ok(), pattern.is_match(name), "{name:?}");
        }
        assert!(check_name(&format!("{long}a")).is_err());
    }
}
