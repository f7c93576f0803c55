//! SCIM 2.0 (RFC 7643 resources and schemas, RFC 7644 protocol): the service provider's
//! protocol room. It works on plain JSON documents (`serde_json::Value`) driven by the
//! schemas we publish, because real clients send shapes no strict model accepts (Entra ID's
//! `"op":"Replace"` and `"active":"False"`, path-less PATCH with path keys, ...). Nothing here
//! touches SQL or the clock: `workbench::scim` turns a request into one write transaction.
//!
//! - [`filter`]: the §3.4.2.2 filter grammar (`userName eq "x" and emails[type eq "work"]`),
//!   parsed with positions and evaluated over documents;
//! - [`path`]: the §3.5.2 PATCH path grammar (`members[value eq "x"]`, URN-prefixed paths);
//! - [`patch`]: the PATCH engine with its documented tolerance rules;
//! - [`schema`]: the User, Enterprise User and Group schemas and attribute lookup;
//! - [`resource`]: create/replace validation (required, mutability, write-only dropped);
//! - [`project`]: `attributes` / `excludedAttributes` by `returned`;
//! - [`list`]: list query parameters (`filter`, `startIndex`, `count`, `sortBy`...) and paging;
//! - [`discovery`]: ServiceProviderConfig, ResourceTypes and Schemas documents.

pub mod discovery;
pub mod filter;
pub mod list;
pub mod patch;
pub mod path;
pub mod project;
pub mod resource;
pub mod schema;

use serde::{Deserialize, Serialize};

use crate::directory::FieldChange;

/// The SCIM error response's URN (RFC 7644 §3.12).
pub const ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const LIST_URN: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const SEARCH_URN: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_USER_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The two resource types we serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum ResourceKind {
    User,
    Group,
}

impl ResourceKind {
    /// The resource type's name, as in `meta.resourceType` and the stored row.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::User => "User",
            ResourceKind::Group => "Group",
        }
    }

    /// The collection's path segment (`Users`, `Groups`).
    pub fn endpoint(self) -> &'static str {
        match self {
            ResourceKind::User => "Users",
            ResourceKind::Group => "Groups",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "User" => Some(ResourceKind::User),
            "Group" => Some(ResourceKind::Group),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

/// One authenticated request, as the server hands it to `Workbench::scim_request`: the path
/// below `/scim/{connection}/v2` (`/Users/2819c223...`), the query pairs as sent (decoded),
/// and the body bytes (already bounded by the server's size limit; not yet parsed, so that a
/// malformed body becomes a SCIM `invalidSyntax` error in the log).
#[derive(Debug, Clone)]
pub struct ScimRequest {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// `If-Match`, for versioned writes (412 when it does not match `meta.version`).
    pub if_match: Option<String>,
    /// The client's `User-Agent`, for the request log.
    pub client: Option<String>,
    /// The endpoint's absolute base (`http://127.0.0.1:8080/scim/acme/v2`), for `meta.location`
    /// and `Location`.
    pub base_url: String,
}

/// What the server sends back: the status, the JSON body (`application/scim+json`), and the
/// `Location` and `ETag` headers when they apply.
#[derive(Debug, Clone, PartialEq)]
pub struct ScimResponse {
    pub status: u16,
    pub body: Option<serde_json::Value>,
    pub location: Option<String>,
    pub etag: Option<String>,
}

/// RFC 7644 §3.12 `scimType` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum ScimType {
    InvalidFilter,
    TooMany,
    Uniqueness,
    Mutability,
    InvalidSyntax,
    InvalidPath,
    NoTarget,
    InvalidValue,
    InvalidVers,
    Sensitive,
}

impl ScimType {
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
        }
    }
}

/// A SCIM error: its HTTP status, `scimType` when one applies, and a detail that names the
/// attribute or the position at fault (never a secret or a whole body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<ScimType>,
    pub detail: String,
}

impl ScimError {
    pub fn new(status: u16, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        ScimError { status, scim_type, detail: detail.into() }
    }

    pub fn bad_request(scim_type: ScimType, detail: impl Into<String>) -> Self {
        Self::new(400, Some(scim_type), detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, None, detail)
    }

    /// The §3.12 body; `status` is a string there.
    pub fn body(&self) -> serde_json::Value {
        let mut body = serde_json::json!({
            "schemas": [ERROR_URN],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let (Some(t), Some(obj)) = (self.scim_type, body.as_object_mut()) {
            obj.insert("scimType".into(), t.as_str().into());
        }
        body
    }

    pub fn into_response(self) -> ScimResponse {
        ScimResponse { status: self.status, body: Some(self.body()), location: None, etag: None }
    }
}

impl std::fmt::Display for ScimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.scim_type {
            Some(t) => write!(f, "{} {}: {}", self.status, t.as_str(), self.detail),
            None => write!(f, "{}: {}", self.status, self.detail),
        }
    }
}

/// One row of the live request log (`scim_requests`), as the app, CLI and events show it.
/// Bodies are redacted (password, secret and token values replaced) and cut at 16 KiB.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ScimRequestSummary {
    #[cfg_attr(feature = "typescript", ts(type = "number"))]
    pub id: i64,
    pub connection: String,
    pub at: chrono::DateTime<chrono::Utc>,
    pub method: Method,
    pub path: String,
    pub status: u16,
    pub scim_type: Option<ScimType>,
    pub resource_type: Option<ResourceKind>,
    pub resource_id: Option<String>,
    #[cfg_attr(feature = "typescript", ts(type = "number | null"))]
    pub user_id: Option<i64>,
    /// The parsed change, one line per operation (`replace active = false`).
    pub change: Vec<String>,
    /// What the directory account changed, field by field.
    pub diff: Vec<FieldChange>,
    /// Quirks tolerated on the way (`capitalised op "Replace"`, `boolean string "False"`).
    pub notes: Vec<String>,
    pub request_body: Option<String>,
    pub response_body: Option<String>,
    pub client: Option<String>,
    #[cfg_attr(feature = "typescript", ts(type = "number"))]
    pub duration_ms: i64,
}
