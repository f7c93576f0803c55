//! The one registry of IdP products: how each is recognised from its metadata (SAML) or its
//! issuer URL (OIDC, [`guess_oidc`]), its label, the mapping presets made for the claims it
//! sends by default in each protocol, and the demo IdP style that imitates it. Import applies the detected vendor's preset (in the CLI and the app alike),
//! the connections list shows the label, the demo IdP sends each style's claims.

use serde::Serialize;

use crate::connection::{Endpoint, Protocol};
use crate::demo::DemoStyle;
use crate::provision::{MappingDocument, MatchRule, presets};

/// One IdP product.
#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct Vendor {
    /// Stable id: `okta`, `entra`...; `generic` for anything unrecognised.
    pub id: &'static str,
    pub label: &'static str,
    /// Substrings of the entityID or an SSO URL that give the product away.
    #[serde(skip)]
    marks: &'static [&'static str],
    /// Has a SAML mapping preset (named by `id`).
    pub preset: bool,
    /// Has an OIDC mapping preset (named by `id`, [`presets::oidc_preset`]).
    pub oidc_preset: bool,
}

impl Vendor {
    /// The demo IdP style that imitates this product, if there is one.
    pub fn demo_style(&self) -> Option<DemoStyle> {
        DemoStyle::parse(self.id)
    }

    /// The mapping made for the claims this product sends by default.
    pub fn mapping(&self) -> Option<MappingDocument> {
        if !self.preset {
            return None;
        }
        if self.id == GENERIC.id { Some(presets::generic()) } else { presets::preset(self.id) }
    }

    /// The OIDC mapping made for the ID-token claims this product sends by default.
    pub fn oidc_mapping(&self) -> Option<MappingDocument> {
        if !self.oidc_preset {
            return None;
        }
        presets::oidc_preset(self.id)
    }

    /// Which SCIM attribute carries the subject this product's logins are keyed by (the
    /// preset's `subject`), README "SCIM": Entra ID's `externalId` once mapped to the objectId
    /// (SAML `objectidentifier`, OIDC `oid`), Okta's `externalId` = the user id (`sub`) in
    /// OIDC, and `userName` = the NameID everywhere else (Okta's SAML included).
    pub fn scim_match_rule(&self, protocol: Protocol) -> MatchRule {
        match (self.id, protocol) {
            ("entra", _) | ("okta", Protocol::Oidc) => MatchRule::ExternalId,
            _ => MatchRule::UserName,
        }
    }

    /// The OIDC scopes this product's preset asks for beyond `openid email profile`: Okta
    /// (and the demo OP, which imitates it) send `groups` only when asked; Entra, Google,
    /// Keycloak and Auth0 send theirs (or have no such scope), so they add none.
    pub fn oidc_scopes(&self) -> &'static [&'static str] {
        match self.id {
            "okta" | "demo" => &["groups"],
            _ => &[],
        }
    }

    /// The mapping made for this product in a protocol.
    pub fn mapping_for(&self, protocol: Protocol) -> Option<MappingDocument> {
        match protocol {
            Protocol::Saml => self.mapping(),
            Protocol::Oidc => self.oidc_mapping(),
        }
    }
}

const fn vendor(id: &'static str, label: &'static str, marks: &'static [&'static str], preset: bool) -> Vendor {
    Vendor { id, label, marks, preset, oidc_preset: false }
}

/// A product with an OIDC preset too.
const fn with_oidc(v: Vendor) -> Vendor {
    Vendor { oidc_preset: true, ..v }
}

/// An IdP nothing in the registry recognises.
pub const GENERIC: Vendor = with_oidc(vendor("generic", "Generic SAML 2.0", &[], true));

/// Every product, in the order they are tried (the first match wins).
pub const VENDORS: [Vendor; 12] = [
    with_oidc(vendor("demo", "Handshake demo IdP", &["urn:handshake:demo-idp"], false)),
    with_oidc(vendor(
        "entra",
        "Microsoft Entra ID",
        &["login.microsoftonline.com", "sts.windows.net", "login.windows.net"],
        true,
    )),
    vendor("adfs", "AD FS", &["/adfs/"], true),
    with_oidc(vendor("okta", "Okta", &[".okta.com", ".oktapreview.com", "okta-emea.com"], true)),
    with_oidc(vendor("google", "Google Workspace", &["accounts.google.com"], true)),
    vendor("onelogin", "OneLogin", &[".onelogin.com"], true),
    vendor("jumpcloud", "JumpCloud", &["jumpcloud.com"], true),
    with_oidc(vendor("keycloak", "Keycloak", &["/realms/"], true)),
    vendor("shibboleth", "Shibboleth", &["/idp/shibboleth", "/idp/profile/saml2"], true),
    vendor("simplesamlphp", "SimpleSAMLphp", &["simplesaml", "saml2/idp/"], false),
    vendor("pingidentity", "PingFederate", &["pingidentity.com", "pingone.com", "/idp/sso.saml2"], false),
    // Recognised by its OIDC issuer only: SAML detection is unchanged (no marks).
    with_oidc(vendor("auth0", "Auth0", &[], false)),
];

/// The demo OP's issuer path (`{base}/demo-idp/oidc`).
const DEMO_OP_PATH: &str = "/demo-idp/oidc";

/// The product of the OP with this issuer, by its host and path:
/// `login.microsoftonline.com` (or `sts.windows.net`) is Entra ID, `*.okta.com` /
/// `*.oktapreview.com` Okta, `accounts.google.com` Google (its `iss` may come without a
/// scheme), a `/realms/` path Keycloak, `*.auth0.com` Auth0, the demo OP's path the demo;
/// anything else generic.
pub fn guess_oidc(issuer: &str) -> &'static Vendor {
    let with_scheme = if issuer.contains("://") { issuer.to_owned() } else { format!("https://{issuer}") };
    let Ok(url) = url::Url::parse(&with_scheme) else { return &GENERIC };
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let path = url.path().to_ascii_lowercase();
    let under = |domain: &str| host.strip_suffix(domain).is_some_and(|rest| rest.ends_with('.'));
    let id = if host == "login.microsoftonline.com" || host == "sts.windows.net" {
        "entra"
    } else if under("okta.com") || under("oktapreview.com") || under("okta-emea.com") {
        "okta"
    } else if host == "accounts.google.com" {
        "google"
    } else if path.contains("/realms/") {
        "keycloak"
    } else if under("auth0.com") {
        "auth0"
    } else if path.trim_end_matches('/').ends_with(DEMO_OP_PATH) {
        "demo"
    } else {
        return &GENERIC;
    };
    by_id(id).unwrap_or(&GENERIC)
}

/// The product of the IdP with this entityID and these SSO endpoints.
pub fn guess(entity_id: &str, sso: &[Endpoint]) -> &'static Vendor {
    let haystacks: Vec<String> = std::iter::once(entity_id.to_ascii_lowercase())
        .chain(sso.iter().map(|e| e.location.to_ascii_lowercase()))
        .collect();
    VENDORS.iter().find(|v| v.marks.iter().any(|m| haystacks.iter().any(|h| h.contains(m)))).unwrap_or(&GENERIC)
}

/// The product with this id (`generic` included).
pub fn by_id(id: &str) -> Option<&'static Vendor> {
    std::iter::once(&GENERIC).chain(VENDORS.iter()).find(|v| v.id == id)
}

/// The products that have a mapping preset, generic first: what the preset picker offers.
pub fn with_presets() -> impl Iterator<Item = &'static Vendor> {
    std::iter::once(&GENERIC).chain(VENDORS.iter().filter(|v| v.preset))
}

/// The products that have an OIDC mapping preset, generic first.
pub fn with_oidc_presets() -> impl Iterator<Item = &'static Vendor> {
    std::iter::once(&GENERIC).chain(VENDORS.iter().filter(|v| v.oidc_preset))
}

/// The ids of [`with_presets`], then those with an OIDC preset only, for a command line's
/// choices.
pub fn preset_ids() -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = with_presets().map(|v| v.id).collect();
    for v in with_oidc_presets() {
        if !ids.contains(&v.id) {
            ids.push(v.id);
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vendor_with_a_preset_has_one_and_ids_are_unique() {
        let mut ids = std::collections::HashSet::new();
        for v in std::iter::once(&GENERIC).chain(VENDORS.iter()) {
            assert!(ids.insert(v.id), "{} twice", v.id);
            assert_eq!(v.mapping().is_some(), v.preset, "{}", v.id);
        }
        assert_eq!(preset_ids()[..3], ["generic", "entra", "adfs"]);
        for v in VENDORS {
            assert_eq!(
                presets::preset(v.id).is_some(),
                v.preset,
                "{}: a preset exactly when the registry says so",
                v.id
            );
        }
        for v in std::iter::once(&GENERIC).chain(VENDORS.iter()) {
            assert_eq!(presets::oidc_preset(v.id).is_some(), v.oidc_preset, "{}: OIDC preset", v.id);
            if let Some(doc) = v.oidc_mapping() {
                assert_eq!(doc.check(), Ok(()), "{}", v.id);
            }
        }
        assert!(preset_ids().contains(&"auth0"));
    }

    #[test]
    fn scim_match_rule_presets_pair_the_scim_attribute_with_the_presets_subject() {
        let rule = |id: &str, p: Protocol| by_id(id).unwrap().scim_match_rule(p);
        assert_eq!(rule("entra", Protocol::Saml), MatchRule::ExternalId);
        assert_eq!(rule("entra", Protocol::Oidc), MatchRule::ExternalId);
        assert_eq!(rule("okta", Protocol::Oidc), MatchRule::ExternalId);
        assert_eq!(rule("okta", Protocol::Saml), MatchRule::UserName);
        assert_eq!(rule("generic", Protocol::Saml), MatchRule::UserName);
        assert_eq!(rule("onelogin", Protocol::Saml), MatchRule::UserName);
        let entra = by_id("entra").unwrap().mapping_for(Protocol::Saml).unwrap();
        assert_eq!(entra.provisioning.lifecycle.match_rule, MatchRule::ExternalId);
        assert_eq!(by_id("okta").unwrap().mapping().unwrap().provisioning.lifecycle.match_rule, MatchRule::UserName);
    }

    #[test]
    fn oidc_vendor_by_issuer_host_and_path() {
        let cases = [
            ("https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0", "entra"),
            ("https://sts.windows.net/9188040d-6c67-4c5b-b112-36a304b66dad/", "entra"),
            ("https://acme.okta.com", "okta"),
            ("https://acme.okta.com/oauth2/default", "okta"),
            ("https://acme.oktapreview.com/oauth2/aus1", "okta"),
            ("https://accounts.google.com", "google"),
            ("accounts.google.com", "google"),
            ("https://sso.acme.test/realms/staff", "keycloak"),
            ("https://acme.eu.auth0.com/", "auth0"),
            ("http://127.0.0.1:7777/demo-idp/oidc", "demo"),
            // Look-alikes and unknowns are generic.
            ("https://okta.com.evil.test", "generic"),
            ("https://evilokta.com", "generic"),
            ("https://auth0.com.evil.test/", "generic"),
            ("https://idp.example.com", "generic"),
            ("not a url", "generic"),
            ("", "generic"),
        ];
        for (issuer, id) in cases {
            assert_eq!(guess_oidc(issuer).id, id, "{issuer}");
        }
    }

    #[test]
    fn saml_detection_is_unchanged_by_the_oidc_only_vendor() {
        assert_eq!(guess("urn:acme.auth0.com", &[]).id, "generic");
        assert_eq!(guess("https://acme.okta.com/exk1", &[]).id, "okta");
    }
}
