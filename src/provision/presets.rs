//! Mapping presets for the claims each IdP sends by default. Applying one fills the
//! mapping document; the admin edits from there. SAML presets read assertion attributes;
//! OIDC presets ([`oidc_preset`]) read ID-token claims as `oidc::claims` flattens them
//! (`realm_access.roles`, namespaced `https://…/roles`).

use super::mapping::{FieldRule, Source, Transform};
use super::rules::{Access, MappingDocument, Provisioning, Roles};
use crate::connection::Protocol;

const WS: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims";
const MS: &str = "http://schemas.microsoft.com/identity/claims";

fn attr(name: &str) -> Source {
    Source::attribute(name)
}

fn display_from_names() -> Source {
    Source::Template { template: "{given_name} {family_name}".into() }
}

fn doc(subject: Source, fields: Vec<FieldRule>) -> MappingDocument {
    MappingDocument {
        subject,
        fields,
        roles: Roles { default_role: Some("member".into()), ..Roles::default() },
        access: Access::default(),
        provisioning: Provisioning::default(),
    }
}

fn email(source: Source) -> FieldRule {
    FieldRule::new("email", source).with(Transform::Trim).with(Transform::Lowercase).required()
}

fn first_of(names: &[&str]) -> Source {
    Source::FirstOf { names: names.iter().map(|n| (*n).to_owned()).collect(), name_id_email: false, otherwise: None }
}

/// The names the default mapping tries for each field, in order: the plain names (Okta,
/// OneLogin, JumpCloud, Google), the LDAP names SimpleSAMLphp and Shibboleth send (`mail`,
/// `givenName`, `sn`) as Name or FriendlyName, the claim URIs of Entra ID and AD FS, and the
/// `urn:oid:` names of the eduPerson/SAML2 attribute profile.
pub const EMAIL_NAMES: [&str; 6] = [
    "email",
    "mail",
    "emailAddress",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    "urn:oid:0.9.2342.19200300.100.1.3",
    "User.email",
];
pub const GIVEN_NAME_NAMES: [&str; 7] = [
    "firstName",
    "givenName",
    "given_name",
    "first_name",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
    "urn:oid:2.5.4.42",
    "User.FirstName",
];
pub const FAMILY_NAME_NAMES: [&str; 8] = [
    "lastName",
    "sn",
    "surname",
    "family_name",
    "last_name",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
    "urn:oid:2.5.4.4",
    "User.LastName",
];
pub const DISPLAY_NAME_NAMES: [&str; 7] = [
    "displayName",
    "display_name",
    "name",
    "cn",
    "http://schemas.microsoft.com/identity/claims/displayname",
    "urn:oid:2.16.840.1.113730.3.1.241",
    "urn:oid:2.5.4.3",
];
/// The username candidates of the OIDC default mapping (OIDC Core §5.1 `preferred_username`).
/// Not part of the SAML default, which maps no username.
pub const USERNAME_NAMES: [&str; 2] = ["preferred_username", "username"];
/// Where an OP puts the roles it grants: Entra app roles and plain `roles`, Keycloak realm
/// roles, and any namespaced `https://…/roles` claim (Auth0 Actions, see [`Source::FirstOf`]).
pub const ROLES_NAMES: [&str; 3] = ["roles", "realm_access.roles", "*/roles"];
/// The custom field OIDC presets fill with the roles the OP sent (all of them), for role rules
/// to read as `field idp_roles`.
pub const IDP_ROLES: &str = "idp_roles";
pub const GROUPS_NAMES: [&str; 6] = [
    "groups",
    "memberOf",
    "isMemberOf",
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
    "http://schemas.xmlsoap.org/claims/Group",
    "urn:oid:1.3.6.1.4.1.5923.1.5.1.1",
];

/// The default mapping, for any IdP: NameID subject, and each field from the first of its
/// usual names that arrived (the trace says which); email also from an email-format NameID,
/// the display name also from the given and family names.
pub fn generic() -> MappingDocument {
    doc(
        Source::NameId,
        vec![
            email(Source::FirstOf {
                names: EMAIL_NAMES.iter().map(|n| (*n).to_owned()).collect(),
                name_id_email: true,
                otherwise: None,
            }),
            FieldRule::new("given_name", first_of(&GIVEN_NAME_NAMES)),
            FieldRule::new("family_name", first_of(&FAMILY_NAME_NAMES)),
            FieldRule::new(
                "display_name",
                Source::FirstOf {
                    names: DISPLAY_NAME_NAMES.iter().map(|n| (*n).to_owned()).collect(),
                    name_id_email: false,
                    otherwise: Some("{given_name} {family_name}".into()),
                },
            ),
            FieldRule::new("groups", first_of(&GROUPS_NAMES)),
        ],
    )
}

fn saml_preset(name: &str) -> Option<MappingDocument> {
    Some(match name {
        // Entra ID: transient-safe subject is the immutable object ID.
        "entra" => doc(
            attr(&format!("{MS}/objectidentifier")),
            vec![
                email(attr(&format!("{WS}/emailaddress"))),
                FieldRule::new("username", attr(&format!("{WS}/name"))),
                FieldRule::new("given_name", attr(&format!("{WS}/givenname"))),
                FieldRule::new("family_name", attr(&format!("{WS}/surname"))),
                FieldRule::new("display_name", attr(&format!("{MS}/displayname"))),
                FieldRule::new("groups", attr("http://schemas.microsoft.com/ws/2008/06/identity/claims/groups")),
            ],
        ),
        "adfs" => doc(
            Source::NameId,
            vec![
                email(attr(&format!("{WS}/emailaddress"))),
                FieldRule::new("username", attr(&format!("{WS}/upn"))),
                FieldRule::new("given_name", attr(&format!("{WS}/givenname"))),
                FieldRule::new("family_name", attr(&format!("{WS}/surname"))),
                FieldRule::new("display_name", display_from_names()),
                FieldRule::new("groups", attr("http://schemas.xmlsoap.org/claims/Group")),
            ],
        ),
        "okta" => generic(),
        // Google Workspace: the NameID is the primary email unless changed.
        "google" => doc(
            Source::NameId,
            vec![
                email(Source::NameId),
                FieldRule::new("given_name", attr("firstName")),
                FieldRule::new("family_name", attr("lastName")),
                FieldRule::new("display_name", display_from_names()),
                FieldRule::new("groups", attr("groups")),
            ],
        ),
        // OneLogin sends roles/groups as one semicolon-separated string in memberOf.
        "onelogin" => doc(
            Source::NameId,
            vec![
                email(attr("User.email")),
                FieldRule::new("given_name", attr("User.FirstName")),
                FieldRule::new("family_name", attr("User.LastName")),
                FieldRule::new("display_name", display_from_names()),
                FieldRule::new("groups", attr("memberOf")).with(Transform::Split { delimiter: ";".into() }),
            ],
        ),
        "jumpcloud" => doc(
            Source::NameId,
            vec![
                email(attr("email")),
                FieldRule::new("given_name", attr("firstname")),
                FieldRule::new("family_name", attr("lastname")),
                FieldRule::new("display_name", display_from_names()),
                FieldRule::new("groups", attr("memberOf")),
            ],
        ),
        // Keycloak's default SAML mappers: X500 email/givenName/surname (urn:oid names with
        // FriendlyNames) and the role list in "Role".
        "keycloak" => doc(
            Source::NameId,
            vec![
                email(attr("email")),
                FieldRule::new("given_name", attr("givenName")),
                FieldRule::new("family_name", attr("surname")),
                FieldRule::new("display_name", display_from_names()),
                FieldRule::new("groups", attr("Role")),
            ],
        ),
        // Shibboleth / eduPerson: urn:oid attribute names.
        "shibboleth" => doc(
            Source::NameId,
            vec![
                email(attr("urn:oid:0.9.2342.19200300.100.1.3")),
                FieldRule::new("username", attr("urn:oid:1.3.6.1.4.1.5923.1.1.1.6")),
                FieldRule::new("given_name", attr("urn:oid:2.5.4.42")),
                FieldRule::new("family_name", attr("urn:oid:2.5.4.4")),
                FieldRule::new("display_name", attr("urn:oid:2.16.840.1.113730.3.1.241")),
                FieldRule::new("groups", attr("urn:oid:1.3.6.1.4.1.5923.1.1.1.7")),
            ],
        ),
        _ => return None,
    })
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|n| (*n).to_owned()).collect()
}

/// The roles the OP sent, kept whole in a custom field: role rules grant from it.
fn idp_roles(source: Source) -> FieldRule {
    FieldRule::new(IDP_ROLES, source).with(Transform::All)
}

/// An OIDC mapping: `sub` (or `subject`) keys users, the standard claims of OIDC Core §5.1
/// fill the fields, and `require_email_verified` as the OP is known to send `email_verified`.
fn oidc_doc(subject: Source, fields: Vec<FieldRule>, require_email_verified: bool) -> MappingDocument {
    let mut d = doc(subject, fields);
    d.access.require_email_verified = require_email_verified;
    d
}

/// The OIDC fields every preset shares after email: username, names, groups, roles.
fn oidc_fields(email_source: Source, groups: Source, roles: Source) -> Vec<FieldRule> {
    vec![
        email(email_source),
        FieldRule::new("username", first_of(&USERNAME_NAMES)),
        FieldRule::new("given_name", first_of(&GIVEN_NAME_NAMES)),
        FieldRule::new("family_name", first_of(&FAMILY_NAME_NAMES)),
        FieldRule::new(
            "display_name",
            Source::FirstOf {
                names: names(&DISPLAY_NAME_NAMES),
                name_id_email: false,
                otherwise: Some("{given_name} {family_name}".into()),
            },
        ),
        FieldRule::new("groups", groups),
        idp_roles(roles),
    ]
}

/// The default OIDC mapping, for any OP: `sub` keys users, each field from the first of its
/// usual names (the SAML lists, which start with or include the OIDC standard claim names),
/// the roles from `roles`, `realm_access.roles` or a namespaced `…/roles`. `email_verified`
/// is not required: not every OP sends it.
pub fn oidc_generic() -> MappingDocument {
    oidc_doc(
        Source::NameId,
        oidc_fields(first_of(&EMAIL_NAMES), first_of(&GROUPS_NAMES), first_of(&ROLES_NAMES)),
        false,
    )
}

/// The OIDC mapping preset made for a product (`generic` included), or `None`.
pub fn oidc_preset(name: &str) -> Option<MappingDocument> {
    oidc_preset_doc(name).map(|d| with_scim_match_rule(d, name, Protocol::Oidc))
}

/// The SAML mapping preset made for a product, or `None` (`generic` is [`generic`]).
pub fn preset(name: &str) -> Option<MappingDocument> {
    saml_preset(name).map(|d| with_scim_match_rule(d, name, Protocol::Saml))
}

/// A preset pairs the SCIM attribute with the subject it keys logins by (the vendor registry's
/// rule, `Vendor::scim_match_rule`).
fn with_scim_match_rule(mut doc: MappingDocument, name: &str, protocol: Protocol) -> MappingDocument {
    if let Some(v) = crate::vendor::by_id(name) {
        doc.provisioning.lifecycle.match_rule = v.scim_match_rule(protocol);
    }
    doc
}

fn oidc_preset_doc(name: &str) -> Option<MappingDocument> {
    Some(match name {
        "generic" => oidc_generic(),
        // Entra ID: `sub` is pairwise (per application), `oid` is the user's immutable object
        // ID in the tenant. `email` is an optional claim and often absent; the UPN in
        // `preferred_username` is the usual address. No `email_verified` is sent.
        "entra" => oidc_doc(
            attr("oid"),
            oidc_fields(first_of(&["email", "preferred_username"]), attr("groups"), attr("roles")),
            false,
        ),
        // Okta: `groups` arrives with a groups claim filter on the app (scope `groups`).
        "okta" => oidc_doc(Source::NameId, oidc_fields(attr("email"), attr("groups"), first_of(&ROLES_NAMES)), true),
        // Google: no groups or roles in the ID token; `hd` is the Workspace domain (kept in a
        // custom field, for an access rule on the domain).
        "google" => {
            let mut fields = oidc_fields(attr("email"), attr("groups"), first_of(&ROLES_NAMES));
            fields.push(FieldRule::new("hosted_domain", attr("hd")));
            oidc_doc(Source::NameId, fields, true)
        }
        // Keycloak: realm roles (with the realm-roles mapper's "Add to ID token") and groups
        // (with a Group Membership mapper, as paths like `/admins`).
        "keycloak" => oidc_doc(
            Source::NameId,
            oidc_fields(attr("email"), attr("groups"), first_of(&["realm_access.roles", "roles"])),
            true,
        ),
        // Auth0: custom claims must be namespaced URLs set by an Action
        // (`https://example.com/roles`); any namespace is read.
        "auth0" => oidc_doc(
            Source::NameId,
            oidc_fields(attr("email"), first_of(&["*/groups", "groups"]), first_of(&["*/roles", "roles"])),
            true,
        ),
        // The demo OP sends the standard claims and `email_verified`.
        "demo" => {
            let mut d = oidc_generic();
            d.access.require_email_verified = true;
            d
        }
        _ => return None,
    })
}
