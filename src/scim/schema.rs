//! The schemas we publish (RFC 7643 §8.7.1: User, Enterprise User extension, Group) and
//! attribute lookup by path: type, multiValued, mutability, returned, caseExact, uniqueness
//! (helper proto owns this file).
//!
//! The schema documents are JSON files (`schemas/*.json`) served as they are by discovery; the
//! same documents drive filtering, projection, PATCH and create/replace, so what we publish is
//! what we enforce. Attribute names compare without regard to case (RFC 7643 §2.1).

use std::sync::OnceLock;

use serde_json::Value;

use super::{ENTERPRISE_USER_URN, GROUP_URN, ResourceKind, USER_URN};

pub const SERVICE_PROVIDER_CONFIG_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
pub const RESOURCE_TYPE_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
pub const SCHEMA_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Reference,
    Binary,
    Complex,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    Always,
    Never,
    Default,
    Request,
}

/// One attribute definition, as published.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub kind: AttrType,
    pub multi_valued: bool,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    /// `uniqueness: server|global`.
    pub unique: bool,
    pub sub_attributes: Vec<Attribute>,
}

impl Attribute {
    pub fn sub(&self, name: &str) -> Option<&Attribute> {
        self.sub_attributes.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }

    fn from_json(v: &Value) -> Attribute {
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default();
        let b = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
        let kind = match s("type") {
            "boolean" => AttrType::Boolean,
            "decimal" => AttrType::Decimal,
            "integer" => AttrType::Integer,
            "dateTime" => AttrType::DateTime,
            "reference" => AttrType::Reference,
            "binary" => AttrType::Binary,
            "complex" => AttrType::Complex,
            _ => AttrType::String,
        };
        let mutability = match s("mutability") {
            "readOnly" => Mutability::ReadOnly,
            "immutable" => Mutability::Immutable,
            "writeOnly" => Mutability::WriteOnly,
            _ => Mutability::ReadWrite,
        };
        let returned = match s("returned") {
            "always" => Returned::Always,
            "never" => Returned::Never,
            "request" => Returned::Request,
            _ => Returned::Default,
        };
        let sub_attributes =
            v.get("subAttributes").and_then(Value::as_array).map(|a| a.iter().map(Self::from_json).collect());
        Attribute {
            name: s("name").to_owned(),
            kind,
            multi_valued: b("multiValued"),
            required: b("required"),
            case_exact: b("caseExact"),
            mutability,
            returned,
            unique: matches!(s("uniqueness"), "server" | "global"),
            sub_attributes: sub_attributes.unwrap_or_default(),
        }
    }

    fn simple(name: &str, kind: AttrType, case_exact: bool, mutability: Mutability, returned: Returned) -> Attribute {
        Attribute {
            name: name.to_owned(),
            kind,
            multi_valued: false,
            required: false,
            case_exact,
            mutability,
            returned,
            unique: false,
            sub_attributes: Vec::new(),
        }
    }
}

/// One schema: its URN, its published document, and its attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub urn: &'static str,
    pub document: Value,
    pub attributes: Vec<Attribute>,
}

impl Schema {
    fn load(text: &str) -> Schema {
        // The files are ours and checked by a test; a broken one would serve as an empty schema.
        let document: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        let attributes = document
            .get("attributes")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(Attribute::from_json).collect())
            .unwrap_or_default();
        let urn = match document.get("id").and_then(Value::as_str) {
            Some(USER_URN) => USER_URN,
            Some(ENTERPRISE_USER_URN) => ENTERPRISE_USER_URN,
            Some(GROUP_URN) => GROUP_URN,
            Some(SERVICE_PROVIDER_CONFIG_URN) => SERVICE_PROVIDER_CONFIG_URN,
            Some(RESOURCE_TYPE_URN) => RESOURCE_TYPE_URN,
            _ => SCHEMA_URN,
        };
        Schema { urn, document, attributes }
    }

    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

struct Registry {
    user: Schema,
    enterprise: Schema,
    group: Schema,
    service_provider_config: Schema,
    resource_type: Schema,
    schema: Schema,
    /// `id`, `externalId`, `meta` (RFC 7643 §3.1), common to every resource.
    common: Vec<Attribute>,
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        use AttrType::{Complex, DateTime, Reference, String};
        use Mutability::{ReadOnly, ReadWrite};
        let ro = |name: &str, kind| Attribute::simple(name, kind, true, ReadOnly, Returned::Default);
        let mut meta = Attribute::simple("meta", Complex, false, ReadOnly, Returned::Default);
        meta.sub_attributes = vec![
            ro("resourceType", String),
            ro("created", DateTime),
            ro("lastModified", DateTime),
            ro("location", Reference),
            ro("version", String),
        ];
        let mut id = Attribute::simple("id", String, true, ReadOnly, Returned::Always);
        id.unique = true;
        Registry {
            user: Schema::load(include_str!("schemas/user.json")),
            enterprise: Schema::load(include_str!("schemas/enterprise_user.json")),
            group: Schema::load(include_str!("schemas/group.json")),
            service_provider_config: Schema::load(include_str!("schemas/service_provider_config.json")),
            resource_type: Schema::load(include_str!("schemas/resource_type.json")),
            schema: Schema::load(include_str!("schemas/schema.json")),
            common: vec![id, Attribute::simple("externalId", String, true, ReadWrite, Returned::Default), meta],
        }
    })
}

/// Every schema we publish, in the order `/Schemas` lists them.
pub fn all() -> [&'static Schema; 6] {
    let r = registry();
    [&r.user, &r.enterprise, &r.group, &r.service_provider_config, &r.resource_type, &r.schema]
}

/// The core schema of a resource type.
pub fn core(kind: ResourceKind) -> &'static Schema {
    match kind {
        ResourceKind::User => &registry().user,
        ResourceKind::Group => &registry().group,
    }
}

/// The extension schemas a resource type accepts.
pub fn extensions(kind: ResourceKind) -> &'static [Schema] {
    match kind {
        ResourceKind::User => std::slice::from_ref(&registry().enterprise),
        ResourceKind::Group => &[],
    }
}

/// `id`, `externalId` and `meta`.
pub fn common() -> &'static [Attribute] {
    &registry().common
}

/// The extension of `kind` whose URN is `urn` (without regard to case).
pub fn extension(kind: ResourceKind, urn: &str) -> Option<&'static Schema> {
    extensions(kind).iter().find(|s| s.urn.eq_ignore_ascii_case(urn))
}

/// Where an attribute lives in a stored document: at the top level (core and common
/// attributes) or under its extension's URN key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Located {
    /// `None` for the core schema and the common attributes.
    pub extension: Option<&'static str>,
    pub attribute: &'static Attribute,
}

/// Finds a top-level attribute of `kind` by name, with an optional schema URN. Without a URN,
/// the core schema and the common attributes come first, then the extensions.
pub fn locate(kind: ResourceKind, urn: Option<&str>, name: &str) -> Option<Located> {
    let core = core(kind);
    let in_core = || {
        core.attribute(name)
            .or_else(|| common().iter().find(|a| a.name.eq_ignore_ascii_case(name)))
            .map(|attribute| Located { extension: None, attribute })
    };
    match urn {
        Some(u) if u.eq_ignore_ascii_case(core.urn) => in_core(),
        Some(u) => extension(kind, u)
            .and_then(|s| s.attribute(name))
            .map(|attribute| Located { extension: Some(s_urn(kind, u)), attribute }),
        None => in_core().or_else(|| {
            extensions(kind)
                .iter()
                .find_map(|s| s.attribute(name).map(|attribute| Located { extension: Some(s.urn), attribute }))
        }),
    }
}

fn s_urn(kind: ResourceKind, urn: &str) -> &'static str {
    extension(kind, urn).map(|s| s.urn).unwrap_or_default()
}

/// Whether `urn` is a schema URN `kind` knows (its core or one of its extensions).
pub fn is_known_urn(kind: ResourceKind, urn: &str) -> bool {
    core(kind).urn.eq_ignore_ascii_case(urn) || extension(kind, urn).is_some()
}

/// The key of `name` in a JSON object, matched without regard to case.
pub fn key_of<'a>(object: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a String> {
    object.keys().find(|k| k.eq_ignore_ascii_case(name))
}

/// The value of `name` in a JSON object, matched without regard to case.
pub fn get_ci<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    let object = value.as_object()?;
    object.get(name).or_else(|| key_of(object, name).and_then(|k| object.get(k)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_file_parses_with_its_attributes() {
        for s in all() {
            assert!(s.document.is_object(), "{}", s.urn);
            assert!(!s.attributes.is_empty(), "{}", s.urn);
        }
        let user = core(ResourceKind::User);
        assert_eq!(user.urn, USER_URN);
        let user_name = user.attribute("USERNAME").unwrap();
        assert!(user_name.required && user_name.unique && !user_name.case_exact);
        assert_eq!(user.attribute("password").unwrap().mutability, Mutability::WriteOnly);
        assert_eq!(user.attribute("emails").unwrap().sub("primary").unwrap().kind, AttrType::Boolean);
    }

    #[test]
    fn locate_finds_core_common_and_extension_attributes() {
        let k = ResourceKind::User;
        assert!(locate(k, None, "id").unwrap().attribute.case_exact);
        assert!(locate(k, None, "externalId").unwrap().attribute.case_exact);
        assert_eq!(locate(k, None, "employeeNumber").unwrap().extension, Some(ENTERPRISE_USER_URN));
        assert!(locate(k, Some(USER_URN), "employeeNumber").is_none());
        let manager = locate(k, Some(&ENTERPRISE_USER_URN.to_ascii_lowercase()), "manager").unwrap();
        assert_eq!(manager.extension, Some(ENTERPRISE_USER_URN));
        assert!(locate(ResourceKind::Group, None, "members").is_some());
    }
}
