//! The SCIM filter (RFC 7644 §3.4.2.2), list queries, projection and discovery documents of
//! `handshake::scim`: the RFC's examples verbatim, what IdPs send, case rules, bounds.

use handshake::scim::filter::{self, MAX_DEPTH, MAX_LENGTH};
use handshake::scim::list::{self, ListQuery};
use handshake::scim::{ResourceKind, ScimType, discovery, path, project};
use serde_json::{Value, json};

const USER: ResourceKind = ResourceKind::User;

/// `(is_filter, accepted, text)` of every line of `tests/fixtures/scim/filters.txt`.
pub fn fixture_lines() -> Vec<(bool, bool, String)> {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scim/filters.txt"),
    )
    .unwrap();
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (tag, rest) = line.split_once(' ').unwrap_or((line, ""));
        let (is_filter, accepted) = match tag {
            "filter+" => (true, true),
            "filter-" => (true, false),
            "path+" => (false, true),
            "path-" => (false, false),
            other => panic!("unknown tag {other:?} in filters.txt"),
        };
        out.push((is_filter, accepted, rest.to_owned()));
    }
    out
}

#[test]
fn every_fixture_filter_and_path_is_accepted_or_refused_as_recorded() {
    let lines = fixture_lines();
    assert!(lines.len() > 60);
    for (is_filter, accepted, text) in lines {
        let result = if is_filter {
            filter::parse(&text).map(|_| ()).map_err(|e| (e.scim_type, e.detail))
        } else {
            path::parse(&text).map(|_| ()).map_err(|e| (e.scim_type, e.detail))
        };
        match result {
            Ok(()) => assert!(accepted, "accepted but recorded as refused: {text:?}"),
            Err((scim_type, detail)) => {
                assert!(!accepted, "refused but recorded as accepted: {text:?}: {detail}");
                let expected = if is_filter { ScimType::InvalidFilter } else { ScimType::InvalidPath };
                assert_eq!(scim_type, Some(expected), "{text:?}");
            }
        }
    }
}

fn bjensen() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "externalId": "701984",
        "userName": "bjensen@example.com",
        "name": {"formatted": "Ms. Barbara J Jensen, III", "familyName": "O'Malley", "givenName": "Barbara"},
        "displayName": "Babs Jensen",
        "title": "Tour Guide",
        "userType": "Employee",
        "active": true,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "ims": [{"value": "someaimhandle", "type": "aim"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "701984", "department": "Tour Operations",
            "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}
        },
        "meta": {"resourceType": "User", "created": "2010-01-23T04:56:22Z",
                 "lastModified": "2011-05-13T04:42:34Z", "version": "W/\"3694e05e9dff591\"",
                 "location": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646"}
    })
}

fn intern() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "c75ad752-64ae-4823-840d-ffa80929976c",
        "externalId": "ABC",
        "userName": "Jim",
        "userType": "Intern",
        "active": false,
        "emails": [{"value": "jim@example.org", "type": "work"}],
        "ims": [{"value": "jim@foo.com", "type": "xmpp"}],
        "meta": {"resourceType": "User", "created": "2012-01-01T00:00:00Z", "lastModified": "2012-01-01T00:00:00Z"}
    })
}

fn hits(text: &str) -> Vec<&'static str> {
    let f = filter::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let mut out = Vec::new();
    if f.matches(USER, &bjensen()) {
        out.push("bjensen");
    }
    if f.matches(USER, &intern()) {
        out.push("jim");
    }
    out
}

#[test]
fn rfc_examples_select_the_expected_users() {
    let cases: &[(&str, &[&str])] = &[
        (r#"userName eq "bjensen@example.com""#, &["bjensen"]),
        (r#"name.familyName co "O'Malley""#, &["bjensen"]),
        (r#"userName sw "J""#, &["jim"]),
        (r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#, &["jim"]),
        ("title pr", &["bjensen"]),
        (r#"meta.lastModified gt "2011-05-13T04:42:34Z""#, &["jim"]),
        (r#"meta.lastModified ge "2011-05-13T04:42:34Z""#, &["bjensen", "jim"]),
        (r#"meta.lastModified lt "2011-05-13T04:42:34Z""#, &[]),
        (r#"meta.lastModified le "2011-05-13T04:42:34Z""#, &["bjensen"]),
        (r#"title pr and userType eq "Employee""#, &["bjensen"]),
        (r#"title pr or userType eq "Intern""#, &["bjensen", "jim"]),
        (r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#, &["bjensen"]),
        (r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#, &["bjensen"]),
        (r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#, &[]),
        (r#"userType eq "Employee" and (emails.type eq "work")"#, &["bjensen"]),
        (r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#, &["bjensen"]),
        (
            r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
            &["bjensen", "jim"],
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(hits(text), *expected, "{text}");
    }
}

#[test]
fn case_follows_the_schema_case_exact() {
    // userName and emails.value are not case-exact; id and externalId are.
    assert_eq!(hits(r#"USERNAME EQ "BJENSEN@EXAMPLE.COM""#), ["bjensen"]);
    assert_eq!(hits(r#"emails.value eq "JIM@EXAMPLE.ORG""#), ["jim"]);
    assert_eq!(hits(r#"externalId eq "abc""#), Vec::<&str>::new());
    assert_eq!(hits(r#"externalId eq "ABC""#), ["jim"]);
    assert_eq!(hits(r#"id eq "2819C223-7F76-453A-919D-413861904646""#), Vec::<&str>::new());
    assert_eq!(hits(r#"id eq "2819c223-7f76-453a-919d-413861904646""#), ["bjensen"]);
}

#[test]
fn value_paths_booleans_extensions_and_not() {
    assert_eq!(hits(r#"emails[type eq "work"].value eq "bjensen@example.com""#), ["bjensen"]);
    assert_eq!(hits(r#"emails[type eq "home"].value eq "jim@example.org""#), Vec::<&str>::new());
    assert_eq!(hits("active eq true"), ["bjensen"]);
    assert_eq!(hits("active eq false"), ["jim"]);
    assert_eq!(hits(r#"active eq "False""#), ["jim"]);
    assert_eq!(
        hits(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#),
        ["bjensen"]
    );
    assert_eq!(hits(r#"employeeNumber eq "701984""#), ["bjensen"]);
    assert_eq!(hits(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value pr"#), ["bjensen"]);
    assert_eq!(hits("not (title pr)"), ["jim"]);
    assert_eq!(hits(r#"emails[not (type eq "work")]"#), ["bjensen"]);
    assert_eq!(hits(r#"nickName ne "x""#), ["bjensen", "jim"]);
    assert_eq!(hits(r#"unknownAttribute eq "x""#), Vec::<&str>::new());
}

#[test]
fn schema_type_misuse_is_an_invalid_filter() {
    let e = filter::parse("active gt true").unwrap().check(USER).unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidFilter));
    assert!(filter::parse(r#"emails[primary co "t"]"#).unwrap().check(USER).is_err());
    assert!(filter::parse(r#"userName sw 1"#).unwrap().check(USER).is_err());
    filter::parse(r#"userName sw "J" and active eq true"#).unwrap().check(USER).unwrap();
}

#[test]
fn errors_say_where() {
    let e = filter::parse(r#"userName eq "x" and (title pr"#).unwrap_err();
    assert_eq!(e.status, 400);
    assert!(e.detail.contains("position 29"), "{}", e.detail);
    let e = path::parse(r#"emails[type eq "work"] extra"#).unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidPath));
    assert!(e.detail.contains("position 23"), "{}", e.detail);
}

#[test]
fn hostile_filters_are_refused_by_their_bounds_without_panicking() {
    let deep = format!("{}title pr{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
    assert!(filter::parse(&deep).unwrap_err().detail.contains("nested deeper than 32"));
    let ok = format!("{}title pr{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    filter::parse(&ok).unwrap();
    let nots = format!("{}title pr{}", "not (".repeat(40), ")".repeat(40));
    assert!(filter::parse(&nots).is_err());
    let brackets = format!("{}type eq \"x\"{}", "emails[".repeat(40), "]".repeat(40));
    assert!(filter::parse(&brackets).is_err());
    let long = format!("userName eq \"{}\"", "a".repeat(MAX_LENGTH));
    assert!(filter::parse(&long).unwrap_err().detail.contains("at most 4096"));
    // The widest filter under the bound: 4 KiB of `or`s, parsed and evaluated.
    let mut wide = String::from("userName eq \"a\"");
    while wide.len() + 20 < MAX_LENGTH {
        wide.push_str(" or userName eq \"a\"");
    }
    assert!(!filter::parse(&wide).unwrap().matches(USER, &bjensen()));
    for garbage in ["\"", "\\", "[", "]", "(", ")", "not", "not (", "a[b[c[", "\u{0}", "é eq \"x\"", "a eq \"\\ud800\""]
    {
        assert!(filter::parse(garbage).is_err(), "{garbage:?}");
    }
}

fn users(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": format!("id-{i:03}"),
                   "userName": format!("user{:03}", (i * 7) % n), "password": "never shown",
                   "name": {"givenName": "G", "familyName": "F"}, "meta": {"resourceType": "User"}})
        })
        .collect()
}

fn q(pairs: &[(&str, &str)]) -> ListQuery {
    ListQuery::from_query(&pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>()).unwrap()
}

fn ids(list: &Value) -> Vec<String> {
    list["Resources"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn paging_edges_follow_the_rfc() {
    let docs = users(250);
    let default = list::respond(USER, &docs, &q(&[]));
    assert_eq!((default["totalResults"].as_u64(), default["itemsPerPage"].as_u64()), (Some(250), Some(100)));
    assert_eq!(default["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"]));
    let zero = list::respond(USER, &docs, &q(&[("startIndex", "0"), ("count", "2")]));
    assert_eq!((zero["startIndex"].as_u64(), ids(&zero)), (Some(1), vec!["id-000".to_owned(), "id-001".to_owned()]));
    let many = list::respond(USER, &docs, &q(&[("count", "1000")]));
    assert_eq!(many["itemsPerPage"], 200);
    let none = list::respond(USER, &docs, &q(&[("count", "0")]));
    assert_eq!((none["totalResults"].as_u64(), none["Resources"].as_array().unwrap().len()), (Some(250), 0));
    let negative = list::respond(USER, &docs, &q(&[("count", "-5")]));
    assert_eq!(negative["itemsPerPage"], 0);
    let past = list::respond(USER, &docs, &q(&[("startIndex", "300")]));
    assert_eq!((past["totalResults"].as_u64(), past["itemsPerPage"].as_u64()), (Some(250), Some(0)));
    let last = list::respond(USER, &docs, &q(&[("startIndex", "249"), ("count", "10")]));
    assert_eq!(ids(&last), ["id-248", "id-249"]);
    // Okta's connection test and Entra's flag.
    let okta = list::respond(USER, &docs, &q(&[("count", "2"), ("startIndex", "1"), ("aadOptscim062020", "")]));
    assert_eq!(okta["itemsPerPage"], 2);
    assert_eq!(
        ListQuery::from_query(&[("count".into(), "two".into())]).unwrap_err().scim_type,
        Some(ScimType::InvalidValue)
    );
    let bad = ListQuery::from_query(&[("filter".into(), "userName eq".into())]).unwrap_err();
    assert_eq!((bad.status, bad.scim_type), (400, Some(ScimType::InvalidFilter)));
}

#[test]
fn sort_filter_and_projection_compose() {
    let docs = users(20);
    let sorted = list::respond(USER, &docs, &q(&[("sortBy", "userName"), ("count", "3")]));
    let names: Vec<&str> =
        sorted["Resources"].as_array().unwrap().iter().map(|r| r["userName"].as_str().unwrap()).collect();
    assert_eq!(names, ["user000", "user001", "user002"]);
    let desc = list::respond(USER, &docs, &q(&[("sortBy", "USERNAME"), ("sortOrder", "descending"), ("count", "1")]));
    assert_eq!(desc["Resources"][0]["userName"], "user019");
    let filtered = list::respond(USER, &docs, &q(&[("filter", "userName sw \"user01\""), ("attributes", "userName")]));
    assert_eq!(filtered["totalResults"], 10);
    let first = &filtered["Resources"][0];
    assert_eq!(first.as_object().unwrap().keys().collect::<Vec<_>>(), ["schemas", "id", "userName"]);
    let search = ListQuery::from_search(&json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": "userName eq \"USER003\"", "startIndex": 1, "count": 10,
        "attributes": ["displayName"], "excludedAttributes": ["name"]
    }))
    .unwrap();
    let found = list::respond(USER, &docs, &search);
    assert_eq!(found["totalResults"], 1);
    assert_eq!(found["Resources"][0].as_object().unwrap().keys().collect::<Vec<_>>(), ["schemas", "id"]);
}

#[test]
fn projection_follows_returned() {
    let mut doc = bjensen();
    doc["password"] = json!("t1meMa$heen");
    let all = project::project(USER, &doc, &[], &[]);
    assert!(all.get("password").is_none(), "returned: never");
    assert_eq!(all["userName"], "bjensen@example.com");
    let only = project::project(
        USER,
        &doc,
        &["name.givenName".into(), "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department".into()],
        &[],
    );
    assert_eq!(
        only,
        json!({
            "schemas": doc["schemas"], "id": doc["id"], "name": {"givenName": "Barbara"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Tour Operations"}
        })
    );
    let except = project::project(
        USER,
        &doc,
        &[],
        &[
            "emails".into(),
            "name.formatted".into(),
            "id".into(),
            "meta".into(),
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".into(),
        ],
    );
    assert!(except.get("emails").is_none() && except.get("meta").is_none());
    assert_eq!(except["id"], doc["id"], "returned: always");
    assert_eq!(except["name"], json!({"familyName": "O'Malley", "givenName": "Barbara"}));
    assert!(except.get("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User").is_none());
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g", "displayName": "Sales",
                       "members": [{"value": "u1"}], "meta": {"resourceType": "Group"}});
    let no_members = project::project(ResourceKind::Group, &group, &[], &["members".into()]);
    assert_eq!(
        no_members,
        json!({"schemas": group["schemas"], "id": "g", "displayName": "Sales", "meta": group["meta"]})
    );
}

#[test]
fn discovery_publishes_what_the_room_does() {
    let base = "http://127.0.0.1:9/scim/acme/v2";
    let spc = discovery::service_provider_config(base);
    assert_eq!(spc["patch"]["supported"], true);
    assert_eq!(spc["bulk"], json!({"supported": false, "maxOperations": 0, "maxPayloadSize": 0}));
    assert_eq!(spc["filter"], json!({"supported": true, "maxResults": 200}));
    assert_eq!(spc["changePassword"]["supported"], false);
    assert_eq!((spc["sort"]["supported"].as_bool(), spc["etag"]["supported"].as_bool()), (Some(true), Some(true)));
    assert_eq!(spc["authenticationSchemes"][0]["type"], "oauthbearertoken");
    let schemas = discovery::schemas(base, None).unwrap();
    let names: Vec<&str> =
        schemas["Resources"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    for required in ["User", "EnterpriseUser", "Group", "ResourceType", "Schema"] {
        assert!(names.contains(&required), "{required} in {names:?}");
    }
    assert!(names.iter().any(|n| n.contains("Service Provider")));
    for s in schemas["Resources"].as_array().unwrap() {
        assert_eq!(s["schemas"], json!(["urn:ietf:params:scim:schemas:core:2.0:Schema"]));
        let id = s["id"].as_str().unwrap();
        assert_eq!(discovery::schemas(base, Some(id)).as_ref(), Some(s));
    }
    let types = discovery::resource_types(base, None).unwrap();
    assert_eq!(
        types["Resources"][0]["schemaExtensions"][0]["schema"],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    );
    assert_eq!(
        discovery::resource_types(base, Some("User")).unwrap()["meta"]["location"],
        format!("{base}/ResourceTypes/User")
    );
}
