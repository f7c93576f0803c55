//! The SCIM endpoint over HTTP, through `router` without a socket: the bearer check (one 401
//! for every failure, before anything is written; a rotate or disable takes effect at once),
//! content types, the body limit, the Host guard, methods, headers, the published summaries,
//! and the protocol's HTTP face (discovery, 404/405/501, paging, ETag, uniqueness).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, Utc};
use handshake::clock::Clock;
use handshake::secrets::{MemoryStore, SecretStore};
use handshake::server::{AppState, Pool, router};
use handshake::store::Store;
use handshake::workbench::Workbench;
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::validation::generator;

struct Fixed(DateTime<Utc>);

impl Clock for Fixed {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

pub(crate) struct Scim {
    _dir: tempfile::TempDir,
    pub db: std::path::PathBuf,
    secrets: Arc<dyn SecretStore>,
    pub state: AppState,
    pub token: String,
}

pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

const BASE: &str = "http://127.0.0.1:7777";

impl Scim {
    /// Connection `acme` (the fixture IdP) with its SCIM endpoint on (policy `scim`).
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("scim.db");
        let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
        let open = || Workbench::with_parts(Store::open(&db).unwrap(), secrets.clone(), BASE.into());
        let first = open();
        first.import_connection(&generator::fixture_connection("acme"), generator::judged_at()).unwrap();
        let enabled = first
            .scim_enable("acme", Some(handshake::provision::LifecyclePolicy::Scim), generator::judged_at())
            .unwrap();
        let token = enabled.token.expose().clone();
        let state = AppState::new(Pool::new(vec![first, open()]), Arc::new(Fixed(generator::judged_at())))
            .unwrap()
            .bound_to(7777);
        Scim { _dir: dir, db, secrets, state, token }
    }

    pub fn workbench(&self) -> Workbench {
        Workbench::with_parts(Store::open(&self.db).unwrap(), self.secrets.clone(), BASE.into())
    }

    pub async fn raw(&self, mut req: Request<Body>) -> Answer {
        if !req.headers().contains_key(header::HOST) {
            req.headers_mut().insert(header::HOST, "127.0.0.1:7777".parse().unwrap());
        }
        let res = router(self.state.clone()).oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        Answer { status, headers, text: String::from_utf8_lossy(&body).into_owned() }
    }

    /// A request to `/scim/acme/v2{path}` with `token` (none: no Authorization header).
    pub async fn send_as(&self, token: Option<&str>, method: &str, path: &str, body: Option<Value>) -> Answer {
        let mut req = Request::builder().method(method).uri(format!("/scim/acme/v2{path}"));
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let body = match body {
            Some(b) => {
                req = req.header(header::CONTENT_TYPE, "application/scim+json");
                Body::from(b.to_string())
            }
            None => Body::empty(),
        };
        self.raw(req.body(body).unwrap()).await
    }

    pub async fn send(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        self.send_as(Some(&self.token.clone()), method, path, body).await
    }

    /// Rows of the tables a SCIM request may write.
    pub fn written(&self) -> (i64, i64, i64, i64) {
        let conn = rusqlite::Connection::open(&self.db).unwrap();
        conn.query_row(
            "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM scim_resources), \
             (SELECT count(*) FROM audit_log WHERE kind = 'scim'), (SELECT count(*) FROM scim_requests)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap()
    }
}

pub(crate) fn user(name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": name,
        "externalId": format!("ext-{name}"),
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"value": name, "type": "work", "primary": true}],
        "active": true
    })
}

fn assert_scim_error(a: &Answer, status: u16) {
    assert_eq!(a.status.as_u16(), status, "{}", a.text);
    assert_eq!(a.header(header::CONTENT_TYPE), Some("application/scim+json"));
    let body = a.json();
    assert_eq!(body["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:Error"]));
    assert_eq!(body["status"], json!(status.to_string()), "the status is a string (RFC 7644 §3.12)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_failed_bearer_check_is_the_same_401_before_anything_is_written() {
    let s = Scim::new();
    let before = s.written();
    let wrong = format!("{}x", s.token);
    let user = Some(user("ada@example.com"));
    let mut answers = vec![
        s.send_as(None, "POST", "/Users", user.clone()).await,
        s.send_as(Some(&wrong), "POST", "/Users", user.clone()).await,
        s.send_as(Some(""), "POST", "/Users", user.clone()).await,
        s.send_as(Some(&s.token[..s.token.len() - 1]), "GET", "/Users", None).await,
        s.send_as(None, "GET", "/ServiceProviderConfig", None).await,
        s.send_as(None, "GET", "/no/such/path", None).await,
        s.send_as(None, "DELETE", "", None).await,
    ];
    // Another scheme with the right token, and the right token on another connection.
    let basic = Request::post("/scim/acme/v2/Users")
        .header(header::AUTHORIZATION, format!("Basic {}", s.token))
        .header(header::CONTENT_TYPE, "application/scim+json")
        .body(Body::from(user.clone().unwrap().to_string()))
        .unwrap();
    answers.push(s.raw(basic).await);
    for connection in ["nobody", "-not-a-name-", "acme%2F..%2Facme"] {
        let req = Request::get(format!("/scim/{connection}/v2/Users"))
            .header(header::AUTHORIZATION, format!("Bearer {}", s.token))
            .body(Body::empty())
            .unwrap();
        answers.push(s.raw(req).await);
    }
    let first = &answers[0];
    assert_scim_error(first, 401);
    assert_eq!(first.header(header::WWW_AUTHENTICATE), Some("Bearer realm=\"handshake-scim\""));
    for (i, a) in answers.iter().enumerate() {
        assert_eq!((a.status, &a.text), (first.status, &first.text), "answer {i}");
        assert_eq!(a.header(header::WWW_AUTHENTICATE), first.header(header::WWW_AUTHENTICATE), "answer {i}");
    }
    assert!(!first.text.contains(&s.token));
    assert_eq!(s.written(), before, "a request without the token writes nothing, not even a log row");
    // Counted in memory for the live log: the requests that named acme.
    let rejected = s.state.scim_rejections("acme", generator::judged_at());
    assert_eq!(rejected.last_minute, 8);
    assert_eq!(s.state.scim_rejections("nobody", generator::judged_at()).kept, 0);
    // The scheme is matched without regard to case.
    let lower = Request::get("/scim/acme/v2/ServiceProviderConfig")
        .header(header::AUTHORIZATION, format!("bearer {}", s.token))
        .body(Body::empty())
        .unwrap();
    assert_eq!(s.raw(lower).await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_token_or_a_disabled_endpoint_is_refused_at_once() {
    let s = Scim::new();
    assert_eq!(s.send("GET", "/ServiceProviderConfig", None).await.status, StatusCode::OK);
    // The digest of the old token is cached now; the rotation bumps the generation.
    let rotated = s.workbench().scim_rotate_token("acme", generator::judged_at()).unwrap();
    let new = rotated.token.expose().clone();
    assert_ne!(new, s.token);
    assert_scim_error(&s.send("GET", "/ServiceProviderConfig", None).await, 401);
    assert_eq!(s.send_as(Some(&new), "GET", "/ServiceProviderConfig", None).await.status, StatusCode::OK);
    s.workbench().scim_disable("acme", generator::judged_at()).unwrap();
    assert_scim_error(&s.send_as(Some(&new), "GET", "/ServiceProviderConfig", None).await, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_are_scim_json_and_bodies_may_be_json_with_a_charset() {
    let s = Scim::new();
    let spc = s.send("GET", "/ServiceProviderConfig", None).await;
    assert_eq!(spc.status, StatusCode::OK);
    assert_eq!(spc.header(header::CONTENT_TYPE), Some("application/scim+json"));
    // Okta's media type has a charset; plain JSON is accepted too.
    for ct in ["application/scim+json; charset=utf-8", "application/json"] {
        let name = format!("{}@example.com", ct.len());
        let req = Request::post("/scim/acme/v2/Users")
            .header(header::AUTHORIZATION, format!("Bearer {}", s.token))
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(user(&name).to_string()))
            .unwrap();
        let a = s.raw(req).await;
        assert_eq!(a.status, StatusCode::CREATED, "{ct}: {}", a.text);
        let id = a.json()["id"].as_str().unwrap().to_owned();
        assert_eq!(a.header(header::LOCATION), Some(format!("{BASE}/scim/acme/v2/Users/{id}").as_str()));
        assert!(a.header(header::ETAG).is_some_and(|e| e.starts_with("W/\"")), "{:?}", a.headers);
    }
    let before = s.written();
    let form = Request::post("/scim/acme/v2/Users")
        .header(header::AUTHORIZATION, format!("Bearer {}", s.token))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("userName=x"))
        .unwrap();
    assert_scim_error(&s.raw(form).await, 415);
    assert_eq!(s.written(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_is_413_and_a_foreign_host_421() {
    let s = Scim::new();
    let before = s.written();
    let mut big = user("big@example.com");
    big["nickName"] = json!("x".repeat(handshake::server::scim::SCIM_MAX_BODY_BYTES));
    let a = s.send("POST", "/Users", Some(big)).await;
    assert_scim_error(&a, 413);
    let foreign = Request::get("/scim/acme/v2/ServiceProviderConfig")
        .header(header::HOST, "evil.example:7777")
        .header(header::AUTHORIZATION, format!("Bearer {}", s.token))
        .body(Body::empty())
        .unwrap();
    assert_eq!(s.raw(foreign).await.status, StatusCode::MISDIRECTED_REQUEST);
    assert_eq!(s.written(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn methods_scim_has_no_use_for_are_405_scim_errors() {
    let s = Scim::new();
    for method in ["OPTIONS", "HEAD", "TRACE"] {
        let a = s.send(method, "/Users", None).await;
        assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
    }
    assert_scim_error(&s.send("OPTIONS", "/Users", None).await, 405);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_answered_request_is_published_once_with_its_log_row() {
    let s = Scim::new();
    let mut events = s.state.scim_events.subscribe();
    let created = s.send("POST", "/Users", Some(user("grace@example.com"))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let e = events.try_recv().unwrap();
    assert_eq!((e.connection.as_str(), e.path.as_str(), e.status), ("acme", "/Users", 201));
    assert_eq!(e.resource_id.as_deref(), Some(id.as_str()));
    assert_eq!(s.workbench().scim_log("acme", 1).unwrap()[0], e, "the published summary is the log row");
    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}]
    });
    let patched = s.send("PATCH", &format!("/Users/{id}"), Some(patch)).await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    let e = events.try_recv().unwrap();
    assert_eq!((e.path.clone(), e.status), (format!("/Users/{id}"), 200));
    // A refused request is logged and published too; a 401 is neither.
    let missing = s.send("GET", "/Users/no-such-id", None).await;
    assert_scim_error(&missing, 404);
    assert_eq!(events.try_recv().unwrap().status, 404);
    s.send_as(None, "GET", "/Users", None).await;
    assert!(events.try_recv().is_err(), "nothing published for a 401");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_unknown_paths_and_unsupported_endpoints_answer_as_scim() {
    let s = Scim::new();
    for path in [
        "/ServiceProviderConfig",
        "/ResourceTypes",
        "/Schemas",
        "/ResourceTypes/User",
        "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
    ] {
        let a = s.send("GET", path, None).await;
        assert_eq!(a.status, StatusCode::OK, "{path}: {}", a.text);
    }
    for path in ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas"] {
        for method in ["POST", "PUT", "PATCH", "DELETE"] {
            assert_scim_error(&s.send(method, path, Some(json!({}))).await, 405);
        }
    }
    assert_scim_error(&s.send("GET", "/ResourceTypes/Printer", None).await, 404);
    assert_scim_error(&s.send("GET", "/0f8fad5b-d9cb-469f-a165-70867728950e", None).await, 404);
    assert_scim_error(&s.send("POST", "/Bulk", Some(json!({}))).await, 501);
    // The trailing-slash base answers like the others (here: a SCIM 404, not the HTML page).
    let root = s.send("GET", "/", None).await;
    assert_eq!(root.header(header::CONTENT_TYPE), Some("application/scim+json"), "{}", root.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_page_filter_and_project_over_http() {
    let s = Scim::new();
    for i in 0..3 {
        let a = s.send("POST", "/Users", Some(user(&format!("u{i}@example.com")))).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    }
    let s = &s;
    let list = |q: &'static str| async move { s.send("GET", &format!("/Users{q}"), None).await.json() };
    let all = list("").await;
    assert_eq!(all["totalResults"], json!(3));
    assert_eq!(all["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"]));
    let page = list("?startIndex=2&count=1").await;
    assert_eq!((page["startIndex"].clone(), page["itemsPerPage"].clone()), (json!(2), json!(1)));
    assert_eq!(list("?startIndex=0&count=1").await["startIndex"], json!(1));
    assert_eq!(list("?count=0").await["totalResults"], json!(3));
    assert_eq!(list("?startIndex=10").await["Resources"].as_array().map_or(0, Vec::len), 0);
    // Query values are percent-decoded; the filter is case-insensitive on userName.
    let found = list("?filter=userName%20eq%20%22U1@EXAMPLE.COM%22").await;
    assert_eq!(found["totalResults"], json!(1), "{found}");
    let found = list("?filter=userName+eq+%22u2@example.com%22&attributes=userName").await;
    assert_eq!(found["totalResults"], json!(1), "{found}");
    assert!(found["Resources"][0].get("emails").is_none(), "{found}");
    let bad = s.send("GET", "/Users?filter=userName%20eq", None).await;
    assert_scim_error(&bad, 400);
    assert_eq!(bad.json()["scimType"], json!("invalidFilter"));
    // Entra's flag arrives as a query parameter on every request: ignored.
    assert_eq!(list("?aadOptscim062020").await["totalResults"], json!(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etags_if_match_and_uniqueness() {
    let s = Scim::new();
    let created = s.send("POST", "/Users", Some(user("ada@example.com"))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let etag = created.header(header::ETAG).unwrap().to_owned();
    let dup = s.send("POST", "/Users", Some(user("ADA@example.com"))).await;
    assert_scim_error(&dup, 409);
    assert_eq!(dup.json()["scimType"], json!("uniqueness"));
    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "nickName", "value": "Ada"}]
    });
    let with_if_match = |tag: String, body: Value| {
        Request::patch(format!("/scim/acme/v2/Users/{id}"))
            .header(header::AUTHORIZATION, format!("Bearer {}", s.token))
            .header(header::CONTENT_TYPE, "application/scim+json")
            .header(header::IF_MATCH, tag)
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let ok = s.raw(with_if_match(etag.clone(), patch.clone())).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_ne!(ok.header(header::ETAG), Some(etag.as_str()));
    assert_scim_error(&s.raw(with_if_match(etag, patch)).await, 412);
    assert_eq!(s.send("DELETE", &format!("/Users/{id}"), None).await.status, StatusCode::NO_CONTENT);
}

/// scim2-tester PATCHes the whole enterprise extension with the object its model dumps,
/// which names its own schema: `{"schemas": [urn], "employeeNumber": ...}`. The "schemas" key
/// was taken for an attribute (400 invalidPath).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_a_patch_of_the_whole_enterprise_extension_may_name_its_schema() {
    let s = Scim::new();
    let created = s.send("POST", "/Users", Some(user("ada@example.com"))).await;
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    for op in ["add", "replace"] {
        let patch = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": op, "path": urn, "value": {"schemas": [urn], "employeeNumber": format!("{op}-7")}}]
        });
        let a = s.send("PATCH", &format!("/Users/{id}"), Some(patch)).await;
        assert_eq!(a.status, StatusCode::OK, "{op}: {}", a.text);
        assert_eq!(a.json()[urn]["employeeNumber"], json!(format!("{op}-7")), "{}", a.text);
    }
}

/// SQLite reuses the largest rowid after a delete: a connection removed and imported again
/// under the same name got the same id, and its first token the same generation, so the
/// server's cached digest of the removed connection's token let that old token in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_a_removed_connections_token_never_opens_its_successor() {
    let s = Scim::new();
    assert_eq!(s.send("GET", "/ServiceProviderConfig", None).await.status, StatusCode::OK);
    let wb = s.workbench();
    let old_gate = wb.scim_gate("acme").unwrap().unwrap();
    let later = generator::judged_at() + chrono::Duration::seconds(1);
    wb.remove_connection("acme", later).unwrap();
    wb.import_connection(&generator::fixture_connection("acme"), later).unwrap();
    let enabled = wb.scim_enable("acme", None, later).unwrap();
    let new_gate = wb.scim_gate("acme").unwrap().unwrap();
    assert_eq!(
        (new_gate.connection_id, new_gate.generation),
        (old_gate.connection_id, old_gate.generation),
        "the case this test is about: the same id and generation"
    );
    assert_scim_error(&s.send("GET", "/ServiceProviderConfig", None).await, 401);
    let new = enabled.token.expose().clone();
    assert_eq!(s.send_as(Some(&new), "GET", "/ServiceProviderConfig", None).await.status, StatusCode::OK);
}

/// Group member lists cost time linear in their length: the member index, the changed-member
/// set and PATCH add/remove by value list were quadratic (a PUT of 50,000 members replacing
/// 50,000 others held the write transaction for 141 s, every login waiting behind it). A Group
/// now holds at most `MAX_GROUP_MEMBERS`; one more is refused before anything is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_huge_member_lists_are_not_quadratic() {
    const N: usize = handshake::workbench::MAX_GROUP_MEMBERS / 2;
    let s = Scim::new();
    let members = |tag: &str| (0..N).map(|i| json!({"value": format!("{tag}{i:06}")})).collect::<Vec<_>>();
    let group = |tag: &str| {
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "everyone",
               "members": members(tag)})
    };
    let bounded = |what: &'static str, fut| async move {
        tokio::time::timeout(std::time::Duration::from_secs(15), fut)
            .await
            .unwrap_or_else(|_| panic!("{what} of {N} members did not finish in 15 s: quadratic"))
    };
    let created: Answer = bounded("POST", s.send("POST", "/Groups", Some(group("a")))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", &created.text[..200.min(created.text.len())]);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/Groups/{id}");
    let replaced: Answer = bounded("PUT", s.send("PUT", &path, Some(group("b")))).await;
    assert_eq!(replaced.status, StatusCode::OK);
    let patch = |op: &str, tag: &str| {
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
               "Operations": [{"op": op, "path": "members", "value": members(tag)}]})
    };
    let added: Answer = bounded("PATCH add", s.send("PATCH", &path, Some(patch("add", "c")))).await;
    assert_eq!(added.status, StatusCode::OK);
    assert_eq!(added.json()["members"].as_array().unwrap().len(), 2 * N);
    let removed: Answer = bounded("PATCH remove", s.send("PATCH", &path, Some(patch("remove", "b")))).await;
    assert_eq!(removed.status, StatusCode::OK);
    let left = removed.json()["members"].as_array().unwrap().clone();
    assert_eq!(left.len(), N);
    assert!(left.iter().all(|m| m["value"].as_str().unwrap().starts_with('c')));

    let before = s.written();
    let mut past = patch("add", "d");
    past["Operations"][0]["value"].as_array_mut().unwrap().push(json!({"value": "one-more"}));
    past["Operations"][0]["value"].as_array_mut().unwrap().extend(members("g"));
    let over: Answer = bounded("PATCH add past the cap", s.send("PATCH", &path, Some(past))).await;
    assert_scim_error(&over, 400);
    assert_eq!(over.json()["scimType"], json!("invalidValue"));
    assert!(over.json()["detail"].as_str().unwrap().contains("at most"), "{}", over.text);
    assert_eq!(s.written().2, before.2, "a refused group write writes no audit row");
    let mut big = group("e");
    big["members"].as_array_mut().unwrap().extend(members("f"));
    big["members"].as_array_mut().unwrap().push(json!({"value": "one-more"}));
    let refused: Answer = bounded("POST past the cap", s.send("POST", "/Groups", Some(big))).await;
    assert_scim_error(&refused, 400);
}

/// A PatchOp of 15,000 one-member filtered removals against a 20,000-member group took 69 s
/// (every operation walks the member list): the operations per PatchOp are bounded, and the
/// bound still serves a client that lists many members in one operation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_a_patch_of_many_operations_is_refused_before_it_walks_the_members() {
    let s = Scim::new();
    let size = handshake::workbench::MAX_GROUP_MEMBERS;
    let members: Vec<Value> = (0..size).map(|i| json!({"value": format!("a{i:06}")})).collect();
    let group =
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "g", "members": members});
    let created = s.send("POST", "/Groups", Some(group)).await;
    let path = format!("/Groups/{}", created.json()["id"].as_str().unwrap());
    let ops = |n: usize| -> Vec<Value> {
        (0..n).map(|i| json!({"op": "remove", "path": format!("members[value eq \"a{i:06}\"]")})).collect()
    };
    let patch =
        |ops: Vec<Value>| json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
    let before = s.written();
    let refused =
        tokio::time::timeout(std::time::Duration::from_secs(15), s.send("PATCH", &path, Some(patch(ops(15_000)))))
            .await
            .expect("15,000 operations did not finish in 15 s: each one walked the members");
    assert_scim_error(&refused, 400);
    assert_eq!(refused.json()["scimType"], json!("tooMany"));
    assert_eq!(s.written().1, before.1);
    let limit = handshake::scim::patch::MAX_OPERATIONS;
    let done = s.send("PATCH", &path, Some(patch(ops(limit)))).await;
    assert_eq!(done.status, StatusCode::OK, "{}", &done.text[..300.min(done.text.len())]);
    assert_eq!(done.json()["members"].as_array().unwrap().len(), size - limit);
}
