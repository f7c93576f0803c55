//! The claim names the demo IdP sends, per IdP style. Each style sends exactly what the
//! matching mapping preset (`provision::presets`) reads, so applying the preset just works.

use serde::{Deserialize, Serialize};

use super::personas::Persona;
use crate::idp::response::{ATTRNAME_UNSPECIFIED, ATTRNAME_URI, NAMEID_EMAIL};
use crate::idp::{AttributeSpec, SamlStyle};
use crate::provision::{self, MappingDocument};
use crate::vendor::{self, Vendor};

const WS: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims";
const MS: &str = "http://schemas.microsoft.com/identity/claims";
const MS_GROUPS: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups";
/// What Entra ID sends instead of the groups when a user is in too many of them.
pub const GROUPS_LINK: &str = "http://schemas.microsoft.com/claims/groups.link";

/// Whose claim names (and XML shape) the demo IdP imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum DemoStyle {
    Entra,
    /// Okta's default attribute statements (the most common demo).
    #[default]
    Okta,
    Google,
    Generic,
}

/// The subject and attributes of one persona, as a style sends them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StyledClaims {
    pub name_id: String,
    pub name_id_format: String,
    pub attributes: Vec<AttributeSpec>,
}

impl DemoStyle {
    pub const ALL: [DemoStyle; 4] = [DemoStyle::Entra, DemoStyle::Okta, DemoStyle::Google, DemoStyle::Generic];

    pub fn as_str(self) -> &'static str {
        match self {
            DemoStyle::Entra => "entra",
            DemoStyle::Okta => "okta",
            DemoStyle::Google => "google",
            DemoStyle::Generic => "generic",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }

    pub fn names() -> Vec<&'static str> {
        Self::ALL.into_iter().map(Self::as_str).collect()
    }

    /// The product this style imitates, in the one vendor registry.
    pub fn vendor(self) -> &'static Vendor {
        vendor::by_id(self.as_str()).unwrap_or(&vendor::GENERIC)
    }

    pub fn label(self) -> &'static str {
        self.vendor().label
    }

    /// The mapping preset this style's claims are made for: the imitated product's.
    pub fn preset(self) -> MappingDocument {
        self.vendor().mapping().unwrap_or_else(provision::presets::generic)
    }

    /// The SCIM payload shapes of the imitated IdP's provisioning client (Google Workspace
    /// has none for custom apps: the demo sends RFC shapes then).
    pub fn scim_dialect(self) -> super::scim_client::Dialect {
        use super::scim_client::Dialect;
        match self {
            DemoStyle::Entra => Dialect::EntraCompliant,
            DemoStyle::Okta => Dialect::Okta,
            DemoStyle::Google | DemoStyle::Generic => Dialect::Rfc,
        }
    }

    /// Which SCIM attribute carries this style's login subject: Entra's preset keys users by
    /// objectidentifier (the persona's id, SCIM `externalId`); the others by the NameID, the
    /// email (SCIM `userName`). Plan §4.2.
    pub fn scim_match_rule(self) -> provision::MatchRule {
        match self {
            DemoStyle::Entra => provision::MatchRule::ExternalId,
            DemoStyle::Okta | DemoStyle::Google | DemoStyle::Generic => provision::MatchRule::UserName,
        }
    }

    /// Namespace prefixes and timestamp precision of the imitated IdP.
    pub fn saml_style(self) -> SamlStyle {
        match self {
            DemoStyle::Entra => SamlStyle::MICROSOFT,
            DemoStyle::Okta | DemoStyle::Google => SamlStyle::OKTA,
            DemoStyle::Generic => SamlStyle::GENERIC,
        }
    }

    /// The claim carrying the groups (what `delimited-groups` squashes into one value).
    pub fn groups_claim(self) -> &'static str {
        match self {
            DemoStyle::Entra => MS_GROUPS,
            _ => "groups",
        }
    }

    /// The claim carrying the email, if the style sends one as an attribute (Google sends
    /// it only as the NameID).
    pub fn email_claim(self) -> Option<String> {
        match self {
            DemoStyle::Entra => Some(format!("{WS}/emailaddress")),
            DemoStyle::Okta | DemoStyle::Generic => Some("email".into()),
            DemoStyle::Google => None,
        }
    }

    pub fn department_claim(self) -> String {
        match self {
            DemoStyle::Entra => format!("{WS}/department"),
            _ => "department".into(),
        }
    }

    pub fn title_claim(self) -> String {
        match self {
            DemoStyle::Entra => format!("{WS}/jobtitle"),
            _ => "title".into(),
        }
    }

    /// How this style sends `p`: NameID (the email, as all four do by default) and attributes.
    pub fn claims(self, p: &Persona) -> StyledClaims {
        let one = |name: &str, value: &str| AttributeSpec::new(name, &[value]);
        let groups: Vec<&str> = p.groups.iter().map(String::as_str).collect();
        let mut attributes = match self {
            DemoStyle::Entra => vec![
                one(&format!("{MS}/tenantid"), "8f3e2a10-demo-4c1b-9a55-handshake000"),
                one(&format!("{MS}/objectidentifier"), &p.id),
                one(&format!("{MS}/displayname"), &p.display_name),
                one(&format!("{WS}/givenname"), &p.given_name),
                one(&format!("{WS}/surname"), &p.family_name),
                one(&format!("{WS}/emailaddress"), &p.email),
                one(&format!("{WS}/name"), &p.email),
                AttributeSpec::new(MS_GROUPS, &groups),
            ],
            DemoStyle::Okta | DemoStyle::Generic => vec![
                one("email", &p.email).with_format(ATTRNAME_UNSPECIFIED),
                one("firstName", &p.given_name).with_format(ATTRNAME_UNSPECIFIED),
                one("lastName", &p.family_name).with_format(ATTRNAME_UNSPECIFIED),
                AttributeSpec::new("groups", &groups).with_format(ATTRNAME_UNSPECIFIED),
            ],
            DemoStyle::Google => vec![
                one("firstName", &p.given_name),
                one("lastName", &p.family_name),
                AttributeSpec::new("groups", &groups),
            ],
        };
        let format = if self == DemoStyle::Entra { ATTRNAME_URI } else { ATTRNAME_UNSPECIFIED };
        attributes.push(one(&self.department_claim(), &p.department).with_format(format));
        attributes.push(one(&self.title_claim(), &p.title).with_format(format));
        for extra in &p.extra {
            let values: Vec<&str> = extra.values.iter().map(String::as_str).collect();
            attributes.push(AttributeSpec::new(&extra.name, &values));
        }
        StyledClaims { name_id: p.email.clone(), name_id_format: NAMEID_EMAIL.into(), attributes }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provision::Source;

    /// Every attribute a preset reads is one the style sends.
    #[test]
    fn styles_send_what_their_presets_read() {
        let p = super::super::personas::defaults().into_iter().next().unwrap_or_else(|| unreachable!());
        for style in DemoStyle::ALL {
            let sent = style.claims(&p);
            let names: Vec<&str> = sent.attributes.iter().map(|a| a.name.as_str()).collect();
            let doc = style.preset();
            for rule in doc.fields.iter().map(|f| &f.source).chain(std::iter::once(&doc.subject)) {
                if let Source::Attribute { name, .. } = rule {
                    assert!(names.contains(&name.as_str()), "{style:?} does not send {name}");
                }
            }
        }
    }
}
