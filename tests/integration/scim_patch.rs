//! The SCIM PATCH engine and create/replace of `handshake::scim`: every recorded client payload
//! under `tests/fixtures/scim/<client>/*.json` (Entra ID with and without `aadOptscim062020`,
//! Okta, OneLogin, JumpCloud, the RFC 7644 §3.5.2 examples) against its expected document, the
//! refusals, a round trip of every attribute path we publish, and hostile bodies.

use chrono::{TimeZone, Utc};
use handshake::scim::resource::{self, Meta};
use handshake::scim::schema::{self, AttrType, Attribute, Mutability};
use handshake::scim::{ENTERPRISE_USER_URN, ResourceKind, ScimError, ScimType, patch};
use serde_json::{Value, json};

const USER: ResourceKind = ResourceKind::User;
const GROUP: ResourceKind = ResourceKind::Group;

fn fixtures() -> Vec<(String, Value)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scim");
    let mut out = Vec::new();
    for client in ["entra-legacy", "entra-compliant", "okta", "onelogin", "jumpcloud", "rfc"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(client)).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        assert!(!files.is_empty(), "{client} has fixtures");
        for f in files {
            let case: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
            out.push((format!("{client}/{}", f.file_name().unwrap().to_string_lossy()), case));
        }
    }
    out
}

/// What a fixture's request gives: the document and the log notes, or the error.
fn run(case: &Value) -> Result<(Value, Vec<String>), ScimError> {
    let kind = ResourceKind::parse(case["kind"].as_str().unwrap()).unwrap();
    let request = &case["request"];
    match case["method"].as_str().unwrap() {
        "PATCH" => patch::apply(kind, &case["before"], request).map(|p| (p.document, p.notes)),
        "POST" => resource::create(kind, request).map(|p| (p.document, p.notes)),
        "PUT" => resource::replace(kind, case["id"].as_str().unwrap(), &case["before"], request)
            .map(|p| (p.document, p.notes)),
        other => panic!("method {other}"),
    }
}

#[test]
fn every_recorded_client_payload_gives_its_expected_document() {
    let cases = fixtures();
    assert!(cases.len() >= 35, "{}", cases.len());
    let mut rules = std::collections::BTreeSet::new();
    for (name, case) in &cases {
        rules.insert(case["rule"].as_u64().unwrap());
        assert!(case["source"].as_str().is_some_and(|s| !s.is_empty()), "{name}: source");
        match (run(case), case.get("expected"), case.get("error")) {
            (Ok((doc, notes)), Some(expected), None) => {
                assert_eq!(&doc, expected, "{name}\n got: {doc:#}");
                for wanted in case["notes"].as_array().unwrap() {
                    let wanted = wanted.as_str().unwrap();
                    assert!(notes.iter().any(|n| n.contains(wanted)), "{name}: note {wanted:?} in {notes:?}");
                }
                assert!(
                    doc.get("password").is_none() && doc.get("id").is_none() && doc.get("meta").is_none(),
                    "{name}"
                );
            }
            (Err(e), None, Some(error)) => {
                assert_eq!(e.status, error["status"].as_u64().unwrap() as u16, "{name}: {e}");
                assert_eq!(e.scim_type.map(|t| t.as_str()), error["scimType"].as_str(), "{name}: {e}");
            }
            (got, _, _) => panic!("{name}: unexpected {got:?}"),
        }
    }
    // Every rule of plan §3.4 (1–7; 8 is the server's and list.rs') has a recorded payload.
    assert_eq!(rules.into_iter().collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6, 7]);
}

fn bjensen() -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bjensen", "active": true,
           "emails": [{"value": "b@example.com", "type": "work"}]})
}

fn err(kind: ResourceKind, before: &Value, ops: Value) -> ScimError {
    patch::apply(kind, before, &json!({"schemas": [handshake::scim::PATCH_URN], "Operations": ops})).unwrap_err()
}

fn ok(kind: ResourceKind, before: &Value, ops: Value) -> patch::Patched {
    patch::apply(kind, before, &json!({"schemas": [handshake::scim::PATCH_URN], "Operations": ops})).unwrap()
}

#[test]
fn refusals_name_the_rule_and_change_nothing() {
    let u = bjensen();
    let cases: &[(Value, ScimType)] = &[
        (json!([{"op": "Move", "path": "active", "value": true}]), ScimType::InvalidSyntax),
        (json!([{"path": "active", "value": true}]), ScimType::InvalidSyntax),
        (json!(["add"]), ScimType::InvalidSyntax),
        (json!([{"op": "remove"}]), ScimType::NoTarget),
        (json!([{"op": "remove", "path": "userName"}]), ScimType::Mutability),
        (json!([{"op": "replace", "path": "id", "value": "x"}]), ScimType::Mutability),
        (json!([{"op": "add", "path": "groups", "value": [{"value": "g"}]}]), ScimType::Mutability),
        (json!([{"op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z"}]), ScimType::Mutability),
        (json!([{"op": "replace", "path": "active", "value": "yes"}]), ScimType::InvalidValue),
        (json!([{"op": "replace", "path": "active", "value": 1}]), ScimType::InvalidValue),
        (json!([{"op": "replace", "path": "userName", "value": {"a": 1}}]), ScimType::InvalidValue),
        (json!([{"op": "replace", "path": "nosuchAttribute", "value": "x"}]), ScimType::InvalidPath),
        (json!([{"op": "replace", "path": "name.nosuch", "value": "x"}]), ScimType::InvalidPath),
        (json!([{"op": "replace", "path": "urn:example:custom:User:x", "value": "x"}]), ScimType::InvalidPath),
        (json!([{"op": "replace", "path": "displayName[value eq \"x\"]", "value": "x"}]), ScimType::InvalidPath),
        (json!([{"op": "replace", "path": "emails[type eq \"work\"", "value": "x"}]), ScimType::InvalidPath),
        (json!([{"op": "replace", "path": 3, "value": "x"}]), ScimType::InvalidPath),
        (
            json!([{"op": "replace", "path": "emails[type eq \"home\" or type eq \"other\"].value", "value": "x"}]),
            ScimType::NoTarget,
        ),
        (json!([{"op": "replace", "path": "emails[type eq \"home\"]", "value": {"value": "x"}}]), ScimType::NoTarget),
        (json!([{"op": "replace", "value": "not an object"}]), ScimType::InvalidSyntax),
        (json!([{"op": "replace", "path": "displayName"}]), ScimType::InvalidValue),
        // All or nothing: the first operation is valid, the second is not.
        (
            json!([{"op": "replace", "path": "displayName", "value": "X"}, {"op": "replace", "path": "active", "value": "maybe"}]),
            ScimType::InvalidValue,
        ),
    ];
    for (ops, expected) in cases {
        let e = err(USER, &u, ops.clone());
        assert_eq!((e.status, e.scim_type), (400, Some(*expected)), "{ops}: {e}");
    }
    let e = err(USER, &u, json!([{"op": "replace", "path": "active", "value": true}, {"op": "Move"}]));
    assert!(e.detail.starts_with("Operations[1]"), "{}", e.detail);
    let no_ops = patch::apply(USER, &u, &json!({"schemas": [handshake::scim::PATCH_URN]})).unwrap_err();
    assert_eq!(no_ops.scim_type, Some(ScimType::InvalidSyntax));
    assert_eq!(patch::apply(USER, &u, &json!([1])).unwrap_err().scim_type, Some(ScimType::InvalidSyntax));
}

#[test]
fn tolerances_are_noted_and_write_only_values_never_stay() {
    let p = ok(
        USER,
        &bjensen(),
        json!([{"op": "Replace", "path": "password", "value": "hunter2"},
                                        {"op": "REMOVE", "path": "emails[type eq \"home\"]"}]),
    );
    assert!(p.document.get("password").is_none());
    assert!(p.change.iter().any(|c| c == "replace password = ***"), "{:?}", p.change);
    assert!(!format!("{p:?}").contains("hunter2"));
    assert!(p.notes.iter().any(|n| n.contains("nothing to do")), "{:?}", p.notes);
    assert_eq!(p.document["emails"], bjensen()["emails"]);
    // A PatchOp without its schema URN, and operation keys in another case.
    let lax =
        patch::apply(USER, &bjensen(), &json!({"operations": [{"OP": "replace", "PATH": "active", "VALUE": false}]}))
            .unwrap();
    assert_eq!(lax.document["active"], false);
    assert!(lax.notes.iter().any(|n| n.contains("read as a PatchOp")));
    // Salesforce-style path-less remove with a members object.
    let g = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "G",
                   "members": [{"value": "a"}, {"value": "b"}]});
    let removed = ok(GROUP, &g, json!([{"op": "remove", "value": {"members": [{"value": "a"}]}}]));
    assert_eq!(removed.document["members"], json!([{"value": "b"}]));
    // Removing what is not there is a no-op (retries are idempotent).
    let again = ok(GROUP, &removed.document, json!([{"op": "remove", "path": "members[value eq \"a\"]"}]));
    assert_eq!(again.document, removed.document);
    // The full document (with id and meta) may be given; neither comes back.
    let full = resource::full(USER, &bjensen(), &meta("u1"));
    let p = ok(USER, &full, json!([{"op": "replace", "value": {"id": "u1", "meta": {}, "displayName": "B"}}]));
    assert!(p.document.get("id").is_none() && p.document.get("meta").is_none());
    assert_eq!(
        err(USER, &full, json!([{"op": "replace", "value": {"id": "u2"}}])).scim_type,
        Some(ScimType::Mutability)
    );
    // Replace with null unassigns; the whole extension can be added and removed.
    let ext = ok(
        USER,
        &bjensen(),
        json!([{"op": "add", "path": ENTERPRISE_USER_URN, "value": {"department": "Sales", "manager": {"value": "m", "displayName": "ignored"}}}]),
    );
    assert_eq!(ext.document[ENTERPRISE_USER_URN], json!({"department": "Sales", "manager": {"value": "m"}}));
    assert_eq!(ext.document["schemas"][1], ENTERPRISE_USER_URN);
    let gone = ok(
        USER,
        &ext.document,
        json!([{"op": "remove", "path": ENTERPRISE_USER_URN}, {"op": "replace", "path": "active", "value": null}]),
    );
    assert_eq!(
        gone.document,
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bjensen",
                                     "emails": [{"value": "b@example.com", "type": "work"}]})
    );
}

/// scim2-tester 0.5.2 PATCHes the path `urn:…:enterprise:2.0:User` with the extension object
/// including its own `"schemas"` key (found by the compliance run: was 400 invalidPath).
#[test]
fn regression_extension_object_with_its_own_schemas_key_patches() {
    // scim2-tester sends the extension object with its own "schemas" key: not an attribute.
    for op in ["add", "replace"] {
        let p = ok(
            USER,
            &bjensen(),
            json!([{"op": op, "path": ENTERPRISE_USER_URN,
            "value": {"schemas": [ENTERPRISE_USER_URN], "employeeNumber": "7"}}]),
        );
        assert_eq!(p.document[ENTERPRISE_USER_URN], json!({"employeeNumber": "7"}), "{op}");
        let p =
            ok(USER, &bjensen(), json!([{"op": op, "value": {ENTERPRISE_USER_URN: {"schemas": [], "division": "D"}}}]));
        assert_eq!(p.document[ENTERPRISE_USER_URN], json!({"division": "D"}), "path-less {op}");
    }
}

/// A value for one attribute, as a compliance suite would generate it.
fn sample(def: &Attribute, i: usize) -> Value {
    let one = |d: &Attribute| match d.kind {
        AttrType::Boolean => json!(i.is_multiple_of(2)),
        AttrType::Integer => json!(i),
        AttrType::Decimal => json!(i as f64 + 0.5),
        AttrType::DateTime => json!("2024-05-06T07:08:09Z"),
        AttrType::Complex => Value::Null,
        _ => json!(format!("{}-{i}", d.name)),
    };
    let single = if def.kind == AttrType::Complex {
        Value::Object(
            def.sub_attributes
                .iter()
                .filter(|s| s.mutability != Mutability::ReadOnly)
                .map(|s| (s.name.clone(), one(s)))
                .collect(),
        )
    } else {
        one(def)
    };
    if def.multi_valued { json!([single]) } else { single }
}

/// What scim2-tester 0.5.2 does for every published, non-required, writable attribute path:
/// PATCH add, then replace, then remove, each read back exactly (plan §2.3).
#[test]
fn every_published_attribute_path_round_trips_through_patch() {
    let mut checked = 0;
    for kind in [USER, GROUP] {
        let base = match kind {
            ResourceKind::User => json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u"}),
            ResourceKind::Group => {
                json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "g"})
            }
        };
        let core = schema::core(kind);
        let mut paths: Vec<(String, &Attribute, Option<&str>)> =
            core.attributes.iter().map(|a| (a.name.clone(), a, None)).collect();
        paths.push(("externalId".into(), schema::common().iter().find(|a| a.name == "externalId").unwrap(), None));
        for ext in schema::extensions(kind) {
            paths.extend(ext.attributes.iter().map(|a| (format!("{}:{}", ext.urn, a.name), a, Some(ext.urn))));
        }
        for (path, def, ext) in paths {
            if def.required || !matches!(def.mutability, Mutability::ReadWrite | Mutability::Immutable) {
                continue;
            }
            let read = |doc: &Value| match ext {
                Some(urn) => doc.get(urn).and_then(|e| e.get(&def.name)).cloned(),
                None => doc.get(&def.name).cloned(),
            };
            let added = ok(kind, &base, json!([{"op": "add", "path": path, "value": sample(def, 1)}]));
            assert_eq!(read(&added.document), Some(sample(def, 1)), "add {path}");
            let replaced = ok(kind, &added.document, json!([{"op": "replace", "path": path, "value": sample(def, 2)}]));
            assert_eq!(read(&replaced.document), Some(sample(def, 2)), "replace {path}");
            let removed = ok(kind, &replaced.document, json!([{"op": "remove", "path": path}]));
            assert_eq!(read(&removed.document), None, "remove {path}");
            assert_eq!(removed.document, base, "remove {path} leaves the base");
            // PUT with the value, then without it.
            let mut body = base.clone();
            match ext {
                Some(urn) => body[urn] = json!({def.name.clone(): sample(def, 3)}),
                None => body[&def.name] = sample(def, 3),
            }
            let put = resource::replace(kind, "id", &base, &body).unwrap();
            assert_eq!(read(&put.document), Some(sample(def, 3)), "PUT {path}");
            checked += 1;
        }
    }
    assert!(checked >= 25, "{checked}");
}

fn meta(id: &str) -> Meta<'_> {
    Meta {
        base_url: "http://127.0.0.1:8080/scim/acme/v2/",
        id,
        created: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
        last_modified: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 6).unwrap(),
        version: 7,
    }
}

#[test]
fn create_replace_and_full_follow_the_schema() {
    let e = resource::create(USER, &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]})).unwrap_err();
    assert_eq!(
        (e.status, e.scim_type, e.detail.as_str()),
        (400, Some(ScimType::InvalidValue), "\"userName\" is required")
    );
    assert!(resource::create(GROUP, &json!({"displayName": "  "})).is_err());
    assert_eq!(resource::create(USER, &json!([])).unwrap_err().scim_type, Some(ScimType::InvalidSyntax));
    assert_eq!(resource::create(USER, &json!({"userName": 5})).unwrap().document["userName"], "5");
    assert_eq!(resource::create(USER, &json!({"userName": true})).unwrap_err().scim_type, Some(ScimType::InvalidValue));
    let p = resource::create(
        USER,
        &json!({"userName": "u", "id": "mine", "nickname": "n", "employeeNumber": "7",
                                            "mystery": 1, "urn:example:custom": {"a": 1}, "active": "FALSE"}),
    )
    .unwrap();
    assert_eq!(
        p.document,
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_USER_URN],
                                  "userName": "u", "nickName": "n", "active": false, ENTERPRISE_USER_URN: {"employeeNumber": "7"}})
    );
    for note in
        ["unknown attribute \"mystery\" dropped", "unknown extension", "filed under", "boolean string \"FALSE\""]
    {
        assert!(p.notes.iter().any(|n| n.contains(note)), "{note} in {:?}", p.notes);
    }
    let full = resource::full(USER, &p.document, &meta("2819c223"));
    assert_eq!(full.as_object().unwrap().keys().take(2).collect::<Vec<_>>(), ["schemas", "id"]);
    assert_eq!(
        full["meta"],
        json!({"resourceType": "User", "created": "2026-01-02T03:04:05Z", "lastModified": "2026-01-02T03:04:06Z",
                                    "location": "http://127.0.0.1:8080/scim/acme/v2/Users/2819c223", "version": "W/\"7\""})
    );
    assert_eq!(resource::etag(7), "W/\"7\"");
    // PUT of a group keeps nothing it was not sent.
    let g = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "G", "members": [{"value": "a"}]});
    let replaced = resource::replace(GROUP, "g1", &g, &json!({"id": "g1", "displayName": "H"})).unwrap();
    assert_eq!(
        replaced.document,
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "H"})
    );
}

#[test]
fn hostile_patches_stay_bounded() {
    // The most operations a PatchOp may hold, each adding an email then replacing through a
    // filter; one more is refused before any is applied.
    let mut ops = Vec::new();
    for i in 0..patch::MAX_OPERATIONS / 2 {
        ops.push(
            json!({"op": "add", "path": "emails", "value": [{"value": format!("u{i}@example.com"), "type": "other"}]}),
        );
        ops.push(
            json!({"op": "replace", "path": format!("emails[value eq \"u{i}@example.com\"].type"), "value": "work"}),
        );
    }
    let p = ok(USER, &bjensen(), Value::Array(ops.clone()));
    assert_eq!(p.document["emails"].as_array().unwrap().len(), patch::MAX_OPERATIONS / 2 + 1);
    assert_eq!(p.change.len(), patch::MAX_OPERATIONS);
    ops.push(json!({"op": "remove", "path": "emails"}));
    assert_eq!(err(USER, &bjensen(), Value::Array(ops)).scim_type, Some(ScimType::TooMany));
    // Notes stay bounded however many quirks a request carries.
    let ops: Vec<Value> = (0..patch::MAX_OPERATIONS as u32)
        .map(
            |i: u32| json!({"op": "Replace", "path": "active", "value": if i.is_multiple_of(2) { "True" } else { "False" }}),
        )
        .collect();
    assert!(ok(USER, &bjensen(), Value::Array(ops)).notes.len() <= 51);
    // A 4 KiB nested path filter is refused by the filter's depth bound.
    let deep = format!("emails[{}type eq \"x\"{}].value", "(".repeat(40), ")".repeat(40));
    assert_eq!(
        err(USER, &bjensen(), json!([{"op": "replace", "path": deep, "value": "v"}])).scim_type,
        Some(ScimType::InvalidPath)
    );
    // Deeply nested values are cut at the schema's depth, never recursed.
    let mut nested = json!("x");
    for _ in 0..100 {
        nested = json!({"value": nested});
    }
    let e = err(USER, &bjensen(), json!([{"op": "add", "path": "emails", "value": [nested]}]));
    assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
}

#[path = "../fixtures/scim/hostile.rs"]
mod scim_hostile;

/// The shapes `benches/hostile.rs` times, checked for their outcome here (never their time).
#[test]
fn hostile_bodies_at_the_size_limit_end_as_expected() {
    use handshake::scim::filter;
    use handshake::scim::list::{self, ListQuery};
    let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap();

    let nested = scim_hostile::nested_filter();
    assert!(nested.len() <= filter::MAX_LENGTH && nested.len() > 3800);
    let f = filter::parse(&nested).unwrap();
    assert!(f.matches(USER, &scim_hostile::users(1)[0]));
    let wide = ListQuery::from_query(&[("filter".into(), scim_hostile::wide_filter())]).unwrap();
    assert_eq!(list::respond(USER, &scim_hostile::users(1000), &wide)["totalResults"], 0);

    let p = patch::apply(USER, &scim_hostile::user(), &parse(&scim_hostile::max_ops())).unwrap();
    assert_eq!(p.change.len(), patch::MAX_OPERATIONS);

    assert_eq!(scim_hostile::BODY_LIMIT, handshake::server::scim::SCIM_MAX_BODY_BYTES);
    let removal = scim_hostile::max_member_removal();
    assert!(removal.len() <= scim_hostile::BODY_LIMIT && removal.len() > scim_hostile::BODY_LIMIT - 1024);
    let emptied = patch::apply(GROUP, &scim_hostile::group(10_000), &parse(&removal)).unwrap();
    assert!(emptied.document.get("members").is_none());
    let added = patch::apply(GROUP, &scim_hostile::group(10_000), &parse(&scim_hostile::max_member_add())).unwrap();
    assert_eq!(added.document["members"].as_array().unwrap().len(), 20_000);

    let e = patch::apply(GROUP, &scim_hostile::group(0), &parse(&scim_hostile::quadratic_patch())).unwrap_err();
    assert_eq!((e.status, e.scim_type), (400, Some(ScimType::TooMany)), "{e}");

    let created = resource::create(USER, &parse(&scim_hostile::max_create())).unwrap();
    assert!(created.document["emails"].as_array().unwrap().len() > 10_000);
    let ops: Vec<Value> =
        (0..=patch::MAX_OPERATIONS).map(|_| json!({"op": "add", "path": "title", "value": "t"})).collect();
    assert_eq!(err(USER, &scim_hostile::user(), Value::Array(ops)).scim_type, Some(ScimType::TooMany));
}

/// A deterministic stand-in for the fuzz targets (`fuzz/fuzz_targets/scim_{filter,patch}.rs`):
/// byte mutations of every seed through the parsers, the evaluator and the PATCH engine.
#[test]
fn mutated_seeds_never_panic() {
    use handshake::scim::list::{self, ListQuery};
    use handshake::scim::{filter, path};
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = b" \"()[].:,{}\\eqnotandorpr$01-";
    let mut mutate = |seed: &[u8]| {
        let mut bytes = seed.to_vec();
        for _ in 0..(next() % 4 + 1) {
            let at = if bytes.is_empty() { 0 } else { (next() as usize) % bytes.len() };
            match next() % 3 {
                0 if !bytes.is_empty() => {
                    bytes.remove(at);
                }
                1 => bytes.insert(at, alphabet[(next() as usize) % alphabet.len()]),
                _ => bytes.insert(at, (next() % 256) as u8),
            }
        }
        bytes
    };
    let docs = scim_hostile::users(2);
    for (_, _, text) in super::scim_filter::fixture_lines() {
        for _ in 0..40 {
            let bytes = mutate(text.as_bytes());
            let Ok(t) = std::str::from_utf8(&bytes) else { continue };
            if let Ok(f) = filter::parse(t) {
                let _ = f.check(USER);
                for d in &docs {
                    let _ = f.matches(USER, d);
                }
            }
            let _ = path::parse(t);
            if let Ok(q) =
                ListQuery::from_query(&[("sortBy".into(), t.into()), ("excludedAttributes".into(), t.into())])
            {
                let _ = list::respond(USER, &docs, &q);
            }
        }
    }
    for (_, case) in fixtures() {
        let seed = case["request"].to_string();
        for _ in 0..60 {
            let Ok(body) = serde_json::from_slice::<Value>(&mutate(seed.as_bytes())) else { continue };
            for kind in [USER, GROUP] {
                for r in [
                    patch::apply(kind, &case["before"], &body).map(|p| p.document),
                    resource::create(kind, &body).map(|p| p.document),
                    resource::replace(kind, "id", &case["before"], &body).map(|p| p.document),
                ]
                .into_iter()
                .flatten()
                {
                    assert!(r.get("password").is_none() && r.get("id").is_none(), "{body}");
                }
            }
        }
    }
}
