//! The one-click fix for a login denied for a missing attribute: when an attribute that did
//! arrive is named for the missing field (for email, also holding an address), map the field
//! from it. Computed from the login's own attributes, never guessed from words on a screen.
//! An email keys account linking, so the fix never offers an address that is not the user's
//! own primary one: not an unnamed attribute that happens to hold an address (`manager`), not
//! a secondary, personal or recovery address the user may edit at the IdP (`secondEmail`).

use serde::{Deserialize, Serialize};

use super::mapping::Claims;
use crate::identity::email;

/// Map `field` from `attribute`, which arrived in this login carrying `value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct MappingFix {
    pub field: String,
    pub attribute: String,
    /// The first value it carried, for the button's explanation.
    pub value: String,
}

/// Words an attribute's name (its last segment, lower case, letters and digits only) holds
/// when it carries the field. Short words must be the whole name (`sn`, `cn`).
fn words(field: &str) -> &'static [&'static str] {
    match field {
        "email" => &["mail", "email", "emailaddress"],
        "given_name" => &["givenname", "firstname", "given", "first"],
        "family_name" => &["sn", "surname", "familyname", "lastname", "family", "last"],
        "display_name" => &["displayname", "cn", "fullname", "commonname"],
        "username" => &["uid", "username", "userid", "login", "upn", "principal"],
        "groups" => &["groups", "group", "memberof", "roles", "role"],
        _ => &[],
    }
}

/// The last segment of a name (`.../claims/emailaddress`, `User.email`), folded for comparing.
fn folded_tail(name: &str) -> String {
    let tail = name.rsplit(['/', ':', '.']).next().unwrap_or(name);
    tail.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// Parts of a name that say it holds someone else's, or not the primary, value.
const NOT_THE_USERS_OWN: &[&str] = &[
    "second",
    "other",
    "alternat",
    "personal",
    "private",
    "recovery",
    "backup",
    "manager",
    "assistant",
    "secretary",
    "delegate",
    "sponsor",
    "owner",
    "parent",
    "emergency",
    "forward",
    "previous",
    "former",
];

fn names_field(field: &str, name: &str) -> bool {
    let folded = folded_tail(name);
    if NOT_THE_USERS_OWN.iter().any(|w| folded.contains(w)) {
        return false;
    }
    let own: String = field.chars().filter(char::is_ascii_alphanumeric).collect();
    folded == own || words(field).iter().any(|w| folded == *w || (w.len() >= 4 && folded.contains(w)))
}

/// The attribute to map `field` from, when one that arrived fits: the first whose Name or
/// FriendlyName names the field and that has a value (for email, a value that is an address).
pub fn suggest(field: &str, claims: &Claims) -> Option<MappingFix> {
    let with_value = claims.attributes.iter().filter_map(|a| {
        let v = a.values.iter().find(|v| !crate::identity::xml_trim(v).is_empty())?;
        Some((a, v))
    });
    let named = |a: &crate::validate::Attribute| {
        names_field(field, &a.name) || a.friendly_name.as_deref().is_some_and(|f| names_field(field, f))
    };
    let pick = if field == "email" {
        with_value.filter(|(_, v)| email::canonical(crate::identity::xml_trim(v)).is_ok()).find(|(a, _)| named(a))
    } else {
        with_value.into_iter().find(|(a, _)| named(a))
    };
    pick.map(|(a, v)| MappingFix { field: field.to_owned(), attribute: a.name.clone(), value: v.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Attribute;

    fn claims(attrs: &[(&str, &str)]) -> Claims {
        Claims {
            name_id: None,
            attributes: attrs
                .iter()
                .map(|(n, v)| Attribute {
                    name: (*n).into(),
                    name_format: None,
                    friendly_name: None,
                    values: vec![(*v).into()],
                })
                .collect(),
            notes: Vec::new(),
        }
    }

    #[test]
    fn email_comes_from_an_attribute_holding_an_address_named_mail_first() {
        let c = claims(&[("uid", "ada"), ("contact", "ada@example.com"), ("Mail-Primary", "ada@example.org")]);
        let fix = suggest("email", &c).unwrap();
        assert_eq!((fix.attribute.as_str(), fix.value.as_str()), ("Mail-Primary", "ada@example.org"));
        assert_eq!(
            suggest("email", &claims(&[("contactEmail", "ada@example.com")])).unwrap().attribute,
            "contactEmail"
        );
        assert_eq!(suggest("email", &claims(&[("mail", "not an address")])), None);
    }

    /// regression: the fix offered `manager` (any attribute holding an address) or Okta's
    /// user-editable `secondEmail`; saved, a login would carry someone else's address, and
    /// with linking by email on, land in that person's account.
    #[test]
    fn regression_the_email_fix_never_offers_an_unnamed_or_secondary_address() {
        for name in ["manager", "contact", "secondEmail", "personalEmail", "otherMails", "recoveryEmail", "managerMail"]
        {
            assert_eq!(suggest("email", &claims(&[(name, "boss@example.com")])), None, "{name}");
        }
        let c =
            claims(&[("manager", "boss@example.com"), ("secondEmail", "x@example.com"), ("mail", "ada@example.com")]);
        assert_eq!(suggest("email", &c).unwrap().attribute, "mail");
    }

    #[test]
    fn names_come_from_an_attribute_named_for_them() {
        let c = claims(&[("urn:oid:2.5.4.4", "x"), ("SN", "Lovelace"), ("User.GivenName", "Ada")]);
        assert_eq!(suggest("family_name", &c).unwrap().attribute, "SN");
        assert_eq!(suggest("given_name", &c).unwrap().attribute, "User.GivenName");
        assert_eq!(suggest("department", &claims(&[("Department", "R&D")])).unwrap().attribute, "Department");
        assert_eq!(suggest("display_name", &claims(&[("snack", "tea")])), None);
    }
}
