//! The demo IdP's directory: a few realistic people, editable, stored in the catalog.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The domain of every default persona (`.example` is reserved: it never reaches anyone).
pub const DEMO_DOMAIN: &str = "northwind.example";

/// An attribute beyond the standard ones (employee type, cost centre...), sent as is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ExtraAttribute {
    pub name: String,
    pub values: Vec<String>,
}

/// One person at the demo IdP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct Persona {
    /// Immutable object ID (Entra's objectidentifier); stays when the email changes.
    pub id: String,
    pub email: String,
    pub given_name: String,
    pub family_name: String,
    pub display_name: String,
    pub department: String,
    pub title: String,
    pub groups: Vec<String>,
    #[serde(default)]
    pub extra: Vec<ExtraAttribute>,
    /// Who this is in the demo story ("New hire"), for the picker.
    #[serde(default)]
    pub label: String,
    /// A deactivated person cannot sign in at the IdP (which answers RequestDenied).
    pub active: bool,
}

impl Persona {
    /// Guard clauses on an edited persona: what a directory would refuse.
    pub fn check(&self) -> Result<()> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 64
            && self.id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !id_ok {
            return Err(Error::invalid("a persona's id is 1 to 64 letters, digits, '-', '_' or '.'"));
        }
        let email = self.email.trim();
        let Some((local, domain)) = email.split_once('@') else {
            return Err(Error::invalid(format!("{:?} is not an email address", self.email)));
        };
        if local.is_empty() || !domain.contains('.') || email.chars().any(char::is_whitespace) {
            return Err(Error::invalid(format!("{:?} is not an email address", self.email)));
        }
        if self.given_name.trim().is_empty() || self.family_name.trim().is_empty() {
            return Err(Error::invalid("a persona needs a given name and a family name"));
        }
        if self.groups.iter().any(|g| g.trim().is_empty()) {
            return Err(Error::invalid("a group name cannot be empty"));
        }
        if self.extra.iter().any(|a| a.name.trim().is_empty()) {
            return Err(Error::invalid("an extra attribute needs a name"));
        }
        Ok(())
    }
}

fn person(
    n: u32,
    label: &str,
    (given, family): (&str, &str),
    (department, title): (&str, &str),
    groups: &[&str],
    extra: &[(&str, &str)],
) -> Persona {
    let local = format!("{}.{}", given.to_lowercase(), family.to_lowercase());
    Persona {
        id: format!("5b0e7c1d-4f2a-4e8b-9c61-{n:012}"),
        email: format!("{local}@{DEMO_DOMAIN}"),
        given_name: given.into(),
        family_name: family.into(),
        display_name: format!("{given} {family}"),
        department: department.into(),
        title: title.into(),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        extra: extra
            .iter()
            .map(|(name, value)| ExtraAttribute { name: (*name).into(), values: vec![(*value).into()] })
            .collect(),
        label: label.into(),
        active: true,
    }
}

/// The default directory: a new hire, an engineer, an IT admin, a contractor, a manager,
/// and a support lead, across departments.
pub fn defaults() -> Vec<Persona> {
    vec![
        person(
            1,
            "New hire (first day)",
            ("Priya", "Shah"),
            ("Sales", "Account Executive"),
            &["everyone", "sales"],
            &[("employeeType", "employee"), ("costCenter", "CC-4100")],
        ),
        person(
            2,
            "Engineer",
            ("Marcus", "Chen"),
            ("Engineering", "Senior Software Engineer"),
            &["everyone", "engineering"],
            &[("employeeType", "employee"), ("costCenter", "CC-2200")],
        ),
        person(
            3,
            "IT admin",
            ("Alex", "Kim"),
            ("IT", "IT Administrator"),
            &["everyone", "it", "admins"],
            &[("employeeType", "employee"), ("costCenter", "CC-1000")],
        ),
        person(
            4,
            "Contractor",
            ("Sofia", "Rossi"),
            ("Marketing", "Contract Designer"),
            &["contractors"],
            &[("employeeType", "contractor")],
        ),
        person(
            5,
            "Finance manager",
            ("Jordan", "Lee"),
            ("Finance", "Finance Manager"),
            &["everyone", "finance", "managers"],
            &[("employeeType", "employee"), ("costCenter", "CC-3000")],
        ),
        person(
            6,
            "Support lead",
            ("Amara", "Okafor"),
            ("Support", "Support Team Lead"),
            &["everyone", "support", "managers"],
            &[("employeeType", "employee"), ("costCenter", "CC-5100")],
        ),
    ]
}
