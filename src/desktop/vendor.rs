//! Which product an IdP is, guessed from its entityID and endpoints: the connections list
//! shows it, and the import screen suggests the matching mapping preset.

use crate::connection::Endpoint;

/// (vendor id, label, substrings of the entityID or an SSO URL that give it away).
const VENDORS: [(&str, &str, &[&str]); 11] = [
    ("demo", "Handshake demo IdP", &["urn:handshake:demo-idp"]),
    ("entra", "Microsoft Entra ID", &["login.microsoftonline.com", "sts.windows.net", "login.windows.net"]),
    ("adfs", "AD FS", &["/adfs/"]),
    ("okta", "Okta", &[".okta.com", ".oktapreview.com", "okta-emea.com"]),
    ("google", "Google Workspace", &["accounts.google.com"]),
    ("onelogin", "OneLogin", &[".onelogin.com"]),
    ("jumpcloud", "JumpCloud", &["jumpcloud.com"]),
    ("keycloak", "Keycloak", &["/realms/"]),
    ("shibboleth", "Shibboleth", &["/idp/shibboleth", "/idp/profile/saml2"]),
    ("simplesamlphp", "SimpleSAMLphp", &["simplesaml", "saml2/idp/"]),
    ("pingidentity", "PingFederate", &["pingidentity.com", "pingone.com", "/idp/sso.saml2"]),
];

/// The vendor of the IdP with this entityID and these SSO endpoints.
pub fn guess(entity_id: &str, sso: &[Endpoint]) -> &'static str {
    let haystacks: Vec<String> = std::iter::once(entity_id.to_ascii_lowercase())
        .chain(sso.iter().map(|e| e.location.to_ascii_lowercase()))
        .collect();
    VENDORS
        .iter()
        .find(|(_, _, marks)| marks.iter().any(|m| haystacks.iter().any(|h| h.contains(m))))
        .map_or("generic", |(id, _, _)| id)
}

pub fn label(vendor: &str) -> &'static str {
    VENDORS.iter().find(|(id, _, _)| *id == vendor).map_or("SAML 2.0 IdP", |(_, label, _)| label)
}

/// The mapping preset for a vendor, if there is one.
pub fn preset(vendor: &str) -> Option<&'static str> {
    crate::provision::presets::PRESETS.iter().copied().find(|p| *p == vendor)
}
