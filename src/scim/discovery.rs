//! The discovery documents (RFC 7644 §4): ServiceProviderConfig, ResourceTypes and Schemas,
//! with `meta.location` under the endpoint's base URL (helper proto owns this file).
//!
//! What we publish steers compliance suites (scim2-tester builds its models from `/Schemas`
//! and skips PATCH unless `patch.supported`), so these say exactly what the room does:
//! PATCH, filter (200 results at most), sort and ETags yes; bulk and changePassword no.

use serde_json::{Value, json};

use super::list::MAX_COUNT;
use super::schema::{self, RESOURCE_TYPE_URN, SCHEMA_URN, SERVICE_PROVIDER_CONFIG_URN};
use super::{ENTERPRISE_USER_URN, GROUP_URN, LIST_URN, USER_URN};

fn base(base_url: &str) -> &str {
    base_url.trim_end_matches('/')
}

pub fn service_provider_config(base_url: &str) -> Value {
    json!({
        "schemas": [SERVICE_PROVIDER_CONFIG_URN],
        "documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_COUNT},
        "changePassword": {"supported": false},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "The per-connection bearer token Handshake generates (handshake scim enable / rotate-token).",
            "specUri": "https://datatracker.ietf.org/doc/html/rfc6750",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{}/ServiceProviderConfig", base(base_url)),
        },
    })
}

fn resource_type(base_url: &str, id: &str) -> Option<Value> {
    let (endpoint, description, urn, extensions) = match id {
        "User" => ("/Users", "User Account", USER_URN, json!([{"schema": ENTERPRISE_USER_URN, "required": false}])),
        "Group" => ("/Groups", "Group", GROUP_URN, json!([])),
        _ => return None,
    };
    Some(json!({
        "schemas": [RESOURCE_TYPE_URN],
        "id": id,
        "name": id,
        "endpoint": endpoint,
        "description": description,
        "schema": urn,
        "schemaExtensions": extensions,
        "meta": {"resourceType": "ResourceType", "location": format!("{}/ResourceTypes/{id}", base(base_url))},
    }))
}

fn list(resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_URN],
        "totalResults": resources.len(),
        "itemsPerPage": resources.len(),
        "startIndex": 1,
        "Resources": resources,
    })
}

/// The ListResponse of resource types, or one by id (`User`, `Group`).
pub fn resource_types(base_url: &str, id: Option<&str>) -> Option<Value> {
    match id {
        Some(id) => resource_type(base_url, id),
        None => Some(list(["User", "Group"].iter().filter_map(|id| resource_type(base_url, id)).collect())),
    }
}

fn schema_document(base_url: &str, s: &schema::Schema) -> Value {
    let mut doc = s.document.clone();
    if let Some(o) = doc.as_object_mut() {
        o.insert("schemas".into(), json!([SCHEMA_URN]));
        o.insert(
            "meta".into(),
            json!({"resourceType": "Schema", "location": format!("{}/Schemas/{}", base(base_url), s.urn)}),
        );
    }
    doc
}

/// The ListResponse of schemas, or one by its URN.
pub fn schemas(base_url: &str, id: Option<&str>) -> Option<Value> {
    match id {
        Some(id) => schema::all().into_iter().find(|s| s.urn == id).map(|s| schema_document(base_url, s)),
        None => Some(list(schema::all().into_iter().map(|s| schema_document(base_url, s)).collect())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_documents_name_every_schema_and_link_under_the_base() {
        let base = "http://127.0.0.1:1/scim/acme/v2/";
        let spc = service_provider_config(base);
        assert_eq!(spc["patch"]["supported"], true);
        assert_eq!(spc["filter"]["maxResults"], 200);
        assert_eq!(spc["meta"]["location"], "http://127.0.0.1:1/scim/acme/v2/ServiceProviderConfig");
        let all = schemas(base, None).unwrap();
        assert_eq!(all["totalResults"], 6);
        let user = schemas(base, Some(USER_URN)).unwrap();
        assert_eq!(user["name"], "User");
        assert_eq!(user["meta"]["location"], format!("http://127.0.0.1:1/scim/acme/v2/Schemas/{USER_URN}"));
        assert!(schemas(base, Some("nope")).is_none());
        assert_eq!(resource_types(base, None).unwrap()["totalResults"], 2);
        assert_eq!(resource_types(base, Some("Group")).unwrap()["endpoint"], "/Groups");
        assert!(resource_types(base, Some("Bulk")).is_none());
    }
}
