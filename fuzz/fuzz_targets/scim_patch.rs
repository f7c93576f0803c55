//! SCIM request bodies: a PatchOp against a User and a Group, and the same JSON as a POST and a
//! PUT body. Nothing may panic; whatever is accepted holds no `password`, `id` or `meta`, and
//! its `schemas` starts with the core URN.
#![no_main]

use handshake::scim::{ResourceKind, patch, resource};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

fn stored(kind: ResourceKind) -> Value {
    match kind {
        ResourceKind::User => json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bjensen",
            "active": true, "emails": [{"value": "b@example.com", "type": "work"}], "name": {"givenName": "B"}}),
        ResourceKind::Group => json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Sales",
            "members": [{"value": "u1"}, {"value": "u2"}]}),
    }
}

fn sound(kind: ResourceKind, doc: &Value) {
    assert!(doc.get("password").is_none() && doc.get("id").is_none() && doc.get("meta").is_none());
    let core = match kind {
        ResourceKind::User => "urn:ietf:params:scim:schemas:core:2.0:User",
        ResourceKind::Group => "urn:ietf:params:scim:schemas:core:2.0:Group",
    };
    assert_eq!(doc["schemas"][0], core);
}

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else { return };
    for kind in [ResourceKind::User, ResourceKind::Group] {
        let current = stored(kind);
        if let Ok(p) = patch::apply(kind, &current, &body) {
            sound(kind, &p.document);
        }
        if let Ok(p) = resource::create(kind, &body) {
            sound(kind, &p.document);
        }
        if let Ok(p) = resource::replace(kind, "id", &current, &body) {
            sound(kind, &p.document);
        }
    }
});
