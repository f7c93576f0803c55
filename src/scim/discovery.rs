//! The discovery documents (RFC 7644 §4): ServiceProviderConfig, ResourceTypes and Schemas,
//! with `meta.location` under the endpoint's base URL (helper proto owns this file).

use serde_json::Value;

#[allow(clippy::unimplemented, unused_variables)]
pub fn service_provider_config(base_url: &str) -> Value {
    unimplemented!("issue #15: helper proto")
}

/// The ListResponse of resource types, or one by id (`User`, `Group`).
#[allow(clippy::unimplemented, unused_variables)]
pub fn resource_types(base_url: &str, id: Option<&str>) -> Option<Value> {
    unimplemented!("issue #15: helper proto")
}

/// The ListResponse of schemas, or one by its URN.
#[allow(clippy::unimplemented, unused_variables)]
pub fn schemas(base_url: &str, id: Option<&str>) -> Option<Value> {
    unimplemented!("issue #15: helper proto")
}
