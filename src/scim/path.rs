//! RFC 7644 §3.5.2 PATCH paths: `attrPath` / `valuePath [subAttr]`, with an optional schema
//! URN prefix (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`) (helper
//! proto owns this file).
