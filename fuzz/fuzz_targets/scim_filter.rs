//! SCIM filters and PATCH paths: the parser (bounded, positioned errors), the evaluator over
//! a User and a Group document, the schema check, and the same text as `sortBy`,
//! `attributes` and a PATCH path. Nothing may panic; an accepted filter evaluates.
#![no_main]

use handshake::scim::list::{self, ListQuery};
use handshake::scim::{ResourceKind, filter, path, project};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

fn documents() -> [(ResourceKind, Value); 2] {
    [
        (
            ResourceKind::User,
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                               "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                   "id": "2819c223", "externalId": "701984", "userName": "bjensen", "active": true,
                   "name": {"givenName": "Barbara", "familyName": "Jensen"},
                   "emails": [{"value": "b@example.com", "type": "work", "primary": true}, {"value": "b@home.org"}],
                   "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "m"}},
                   "meta": {"resourceType": "User", "lastModified": "2011-05-13T04:42:34Z", "version": "W/\"3\""}}),
        ),
        (
            ResourceKind::Group,
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g", "displayName": "Sales",
                   "members": [{"value": "2819c223", "type": "User"}], "meta": {"resourceType": "Group"}}),
        ),
    ]
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let docs = documents();
    if let Ok(f) = filter::parse(text) {
        for (kind, doc) in &docs {
            let _ = f.matches(*kind, doc);
            let _ = f.check(*kind);
        }
    }
    let _ = path::parse(text);
    let query = vec![("sortBy".to_owned(), text.to_owned()), ("attributes".to_owned(), text.to_owned())];
    if let Ok(q) = ListQuery::from_query(&query) {
        for (kind, doc) in &docs {
            let _ = list::respond(*kind, std::slice::from_ref(doc), &q);
        }
    }
    for (kind, doc) in &docs {
        let _ = project::project(*kind, doc, &[], &[text.to_owned()]);
    }
});
