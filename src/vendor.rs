//! The one registry of IdP products: how each is recognised from its metadata, its label, the
//! mapping preset made for the claims it sends by default, and the demo IdP style that
//! imitates it. Import applies the detected vendor's preset (in the CLI and the app alike),
//! the connections list shows the label, the demo IdP sends each style's claims.

use serde::Serialize;

use crate::connection::Endpoint;
use crate::demo::DemoStyle;
use crate::provision::{MappingDocument, presets};

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
    /// Has a mapping preset (named by `id`).
    pub preset: bool,
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
}

const fn vendor(id: &'static str, label: &'static str, marks: &'static [&'static str], preset: bool) -> Vendor {
    Vendor { id, label, marks, preset }
}

/// An IdP nothing in the registry recognises.
pub const GENERIC: Vendor = vendor("generic", "Generic SAML 2.0", &[], true);

/// Every product, in the order they are tried (the first match wins).
pub const VENDORS: [Vendor; 11] = [
    vendor("demo", "Handshake demo IdP", &["urn:handshake:demo-idp"], false),
    vendor("entra", "Microsoft Entra ID", &["login.microsoftonline.com", "sts.windows.net", "login.windows.net"], true),
    vendor("adfs", "AD FS", &["/adfs/"], true),
    vendor("okta", "Okta", &[".okta.com", ".oktapreview.com", "okta-emea.com"], true),
    vendor("google", "Google Workspace", &["accounts.google.com"], true),
    vendor("onelogin", "OneLogin", &[".onelogin.com"], true),
    vendor("jumpcloud", "JumpCloud", &["jumpcloud.com"], true),
    vendor("keycloak", "Keycloak", &["/realms/"], true),
    vendor("shibboleth", "Shibboleth", &["/idp/shibboleth", "/idp/profile/saml2"], true),
    vendor("simplesamlphp", "SimpleSAMLphp", &["simplesaml", "saml2/idp/"], false),
    vendor("pingidentity", "PingFederate", &["pingidentity.com", "pingone.com", "/idp/sso.saml2"], false),
];

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

/// The ids of [`with_presets`], for a command line's choices.
pub fn preset_ids() -> Vec<&'static str> {
    with_presets().map(|v| v.id).collect()
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
    }
}
