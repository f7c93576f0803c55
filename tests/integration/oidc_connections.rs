//! OpenID Connect connections: the catalog rows (connection_oidc, oidc_requests), the
//! client secret in the secret store only, discovery, and the operations and CLI on them.

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use handshake::ErrorCode;
use handshake::connection::{IdpDescriptor, SecurityPolicy, SpConfig};
use handshake::oidc::{Alg, ClientAuth, OidcSettings, RedirectHost};
use handshake::store::oidc::{self as oidc_store, DiscoveryUpdate, NewOidcRequest};
use handshake::store::{NewConnection, Store};

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_780_000_000 + secs, 0).single().unwrap()
}

pub fn settings(issuer: &str) -> OidcSettings {
    OidcSettings {
        issuer: issuer.into(),
        discovery_url: Some(format!("{issuer}/.well-known/openid-configuration")),
        discovery_json: Some(format!(r#"{{"issuer":"{issuer}"}}"#)),
        discovered_at: Some(at(0)),
        authorization_endpoint: format!("{issuer}/authorize"),
        token_endpoint: format!("{issuer}/token"),
        userinfo_endpoint: Some(format!("{issuer}/userinfo")),
        jwks_uri: format!("{issuer}/jwks"),
        jwks_json: Some(r#"{"keys":[]}"#.into()),
        jwks_fetched_at: Some(at(1)),
        client_id: "client-1".into(),
        client_auth: ClientAuth::ClientSecretPost,
        scopes: vec!["openid".into(), "email".into()],
        allowed_algs: vec![Alg::RS256, Alg::ES256],
        trusted_audiences: vec!["api://x".into()],
        call_userinfo: false,
        redirect_host: RedirectHost::Localhost,
    }
}

fn new_oidc(name: &str, issuer: &str) -> NewConnection {
    NewConnection {
        name: name.into(),
        idp: IdpDescriptor {
            entity_id: issuer.into(),
            sso: vec![],
            slo: vec![],
            name_id_formats: vec![],
            signing_certificates: vec![],
            want_authn_requests_signed: false,
            valid_until: None,
        },
        sp: SpConfig::default(),
        policy: SecurityPolicy::default(),
        metadata_xml: String::new(),
        metadata_source: "manual".into(),
        oidc: Some(settings(issuer)),
    }
}

fn count(store: &Store, sql: &str) -> i64 {
    crate::sql(store).query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn an_oidc_connection_round_trips_through_the_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let stored = {
        let store = Store::open(&path).unwrap();
        store.insert_connection(&new_oidc("okta-oidc", "https://op.example"), at(5)).unwrap()
    };
    assert_eq!(stored.oidc, Some(settings("https://op.example")));
    assert_eq!(stored.protocol(), handshake::connection::Protocol::Oidc);
    let store = Store::open(&path).unwrap();
    let read = store.get_connection("okta-oidc").unwrap();
    assert_eq!(read, stored);
    assert_eq!(store.list_connections().unwrap(), vec![stored.clone()]);
    let protocol: String = crate::sql(&store).query_row("SELECT protocol FROM connections", [], |r| r.get(0)).unwrap();
    assert_eq!(protocol, "oidc");

    // An update rewrites the settings; a rename keeps them.
    let mut changed = read.clone();
    changed.name = "renamed".into();
    let s = changed.oidc.as_mut().unwrap();
    s.client_id = "client-2".into();
    s.allowed_algs = vec![Alg::PS256];
    s.discovery_url = None;
    s.discovered_at = None;
    s.userinfo_endpoint = None;
    s.redirect_host = RedirectHost::Loopback;
    let updated = store.update_connection(&changed, at(9)).unwrap();
    assert_eq!(updated.oidc, changed.oidc);
    assert_eq!(store.get_connection("renamed").unwrap().oidc, changed.oidc);
    assert_eq!(count(&store, "SELECT count(*) FROM connection_oidc"), 1);

    store.remove_connection("renamed").unwrap();
    assert_eq!(count(&store, "SELECT count(*) FROM connection_oidc"), 0);
}

#[test]
fn the_issuer_is_the_idp_entity_id_and_an_oidc_connection_has_no_saml_parts() {
    let store = Store::open_in_memory().unwrap();
    let mut c = new_oidc("x", "https://op.example");
    c.idp.entity_id = "https://other.example".into();
    let err = store.insert_connection(&c, at(0)).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    assert!(err.message.contains("must be the same"), "{}", err.message);
    let mut c = new_oidc("x", "https://op.example");
    c.idp.sso.push(handshake::connection::Endpoint { binding: "b".into(), location: "https://sso".into() });
    assert_eq!(store.insert_connection(&c, at(0)).unwrap_err().code, ErrorCode::InvalidInput);
    assert!(store.list_connections().unwrap().is_empty());
}

#[test]
fn corrupt_oidc_rows_are_storage_errors_not_panics() {
    for sql in [
        "UPDATE connection_oidc SET allowed_algs = '[\"none\"]'",
        "UPDATE connection_oidc SET scopes = 'openid email'",
        "UPDATE connection_oidc SET client_auth = 'magic'",
        "DELETE FROM connection_oidc",
        "UPDATE connections SET protocol = 'oidc' WHERE name = 'saml'",
    ] {
        let store = Store::open_in_memory().unwrap();
        store.insert_connection(&new_oidc("oidc", "https://op.example"), at(0)).unwrap();
        let mut saml = new_oidc("saml", "urn:saml");
        saml.oidc = None;
        store.insert_connection(&saml, at(0)).unwrap();
        // CHECK constraints refuse some corruptions outright; the others read as Storage.
        if crate::sql(&store).execute_batch(sql).is_err() {
            continue;
        }
        let err = store.list_connections().unwrap_err();
        assert_eq!(err.code, ErrorCode::Storage, "{sql}: {}", err.message);
    }
}

#[test]
fn authorization_requests_answer_once_expire_and_are_capped_per_connection() {
    let store = Store::open_in_memory().unwrap();
    let c = store.insert_connection(&new_oidc("oidc", "https://op.example"), at(0)).unwrap();
    let request = |state: &'static str, expires: i64| NewOidcRequest {
        state,
        connection_id: c.id,
        nonce: "n-1",
        redirect_uri: "http://127.0.0.1:7777/oidc/oidc/callback",
        return_to: Some("/connections/oidc"),
        expires_at: at(expires),
    };
    let tx = store.write().unwrap();
    oidc_store::insert_request(&tx, &request("s1", 600), at(0), 3).unwrap();
    tx.commit().unwrap();
    let found = oidc_store::find_request(&store, "s1", c.id).unwrap().unwrap();
    assert_eq!(found.nonce, "n-1");
    assert_eq!(found.redirect_uri, "http://127.0.0.1:7777/oidc/oidc/callback");
    assert_eq!(found.return_to.as_deref(), Some("/connections/oidc"));
    assert_eq!((found.created_at, found.expires_at, found.used), (at(0), at(600), false));
    assert_eq!(oidc_store::find_request(&store, "s1", c.id + 1).unwrap(), None, "another connection's state");
    assert_eq!(oidc_store::outstanding_requests(&store, c.id, at(1)).unwrap(), 1);

    // Answered once, atomically.
    let tx = store.write().unwrap();
    assert!(oidc_store::answer_request(&tx, "s1", at(2)).unwrap());
    assert!(!oidc_store::answer_request(&tx, "s1", at(3)).unwrap());
    assert!(!oidc_store::answer_request(&tx, "unknown", at(3)).unwrap());
    tx.commit().unwrap();
    assert!(oidc_store::find_request(&store, "s1", c.id).unwrap().unwrap().used);

    // At most `keep` per connection, the newest.
    let tx = store.write().unwrap();
    for (i, s) in ["s2", "s3", "s4", "s5"].into_iter().enumerate() {
        oidc_store::insert_request(&tx, &request(s, 600), at(10 + i as i64), 3).unwrap();
    }
    tx.commit().unwrap();
    let left: Vec<String> = crate::sql(&store)
        .prepare("SELECT state FROM oidc_requests ORDER BY state")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(left, ["s3", "s4", "s5"]);

    // A day past expiry they are pruned.
    let tx = store.write().unwrap();
    assert_eq!(oidc_store::prune_expired(&tx, at(600) + Duration::days(1)).unwrap(), 0);
    assert_eq!(oidc_store::prune_expired(&tx, at(601) + Duration::days(1)).unwrap(), 3);
    tx.commit().unwrap();

    // Removing the connection removes its requests.
    let tx = store.write().unwrap();
    oidc_store::insert_request(&tx, &request("s6", 600), at(20), 3).unwrap();
    tx.commit().unwrap();
    store.remove_connection("oidc").unwrap();
    assert_eq!(count(&store, "SELECT count(*) FROM oidc_requests"), 0);
}

#[test]
fn jwks_and_discovery_are_replaced_in_place() {
    let store = Store::open_in_memory().unwrap();
    let c = store.insert_connection(&new_oidc("oidc", "https://op.example"), at(0)).unwrap();
    let tx = store.write().unwrap();
    assert!(oidc_store::set_jwks(&tx, c.id, r#"{"keys":[{"kty":"EC"}]}"#, at(50)).unwrap());
    let update = DiscoveryUpdate {
        discovery_url: Some("https://op.example/.well-known/openid-configuration"),
        discovery_json: Some("{}"),
        authorization_endpoint: "https://op.example/a2",
        token_endpoint: "https://op.example/t2",
        userinfo_endpoint: None,
        jwks_uri: "https://op.example/j2",
    };
    assert!(oidc_store::set_discovery(&tx, c.id, &update, at(60)).unwrap());
    assert!(!oidc_store::set_jwks(&tx, c.id + 100, "{}", at(50)).unwrap());
    tx.commit().unwrap();
    let s = store.get_connection("oidc").unwrap().oidc.unwrap();
    assert_eq!(s.jwks_json.as_deref(), Some(r#"{"keys":[{"kty":"EC"}]}"#));
    assert_eq!(s.jwks_fetched_at, Some(at(50)));
    assert_eq!(s.discovered_at, Some(at(60)));
    assert_eq!(
        (s.authorization_endpoint.as_str(), s.token_endpoint.as_str()),
        ("https://op.example/a2", "https://op.example/t2")
    );
    assert_eq!((s.userinfo_endpoint, s.jwks_uri.as_str()), (None, "https://op.example/j2"));
    assert_eq!(s.issuer, "https://op.example");
}

// ---- a small OP on loopback: discovery, JWKS, redirects ----

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use handshake::directory::{AdminAction, AuditKind, AuditQuery};
use handshake::oidc::discovery::Typed;
use handshake::secrets::{self, MemoryStore, SecretStore};
use handshake::sensitive::Sensitive;
use handshake::workbench::{AddOidc, ManualEndpoints, OidcSettingsPatch, OidcSource, Workbench};

/// Serves `routes` (path → status line, body) on 127.0.0.1 until the test ends; the routes
/// can change while it runs.
pub struct TestOp {
    pub base: String,
    routes: Arc<Mutex<HashMap<String, (String, String)>>>,
}

impl TestOp {
    pub fn start() -> TestOp {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let routes: Arc<Mutex<HashMap<String, (String, String)>>> = Arc::default();
        let served = routes.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut line = String::new();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
                        break;
                    }
                }
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let (status, body) = served
                    .lock()
                    .unwrap()
                    .get(&path)
                    .cloned()
                    .unwrap_or_else(|| ("404 Not Found".into(), "not found".into()));
                let extra = body.strip_prefix("LOCATION ").map(|l| format!("Location: {l}\r\n")).unwrap_or_default();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nConnection: close\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        TestOp { base, routes }
    }

    pub fn serve(&self, path: &str, body: &str) {
        self.routes.lock().unwrap().insert(path.into(), ("200 OK".into(), body.into()));
    }

    pub fn redirect(&self, path: &str, to: &str) {
        self.routes.lock().unwrap().insert(path.into(), ("302 Found".into(), format!("LOCATION {to}")));
    }

    /// A discovery document for `issuer` naming this OP's endpoints.
    pub fn discovery(&self, issuer: &str) -> String {
        serde_json::json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{}/auth", self.base),
            "token_endpoint": format!("{}/token", self.base),
            "userinfo_endpoint": format!("{}/me", self.base),
            "jwks_uri": format!("{}/jwks", self.base),
            "response_types_supported": ["code"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
        })
        .to_string()
    }

    /// An OP whose issuer is its base URL, with its discovery document and a public JWKS.
    pub fn standard() -> TestOp {
        let op = TestOp::start();
        op.serve("/.well-known/openid-configuration", &op.discovery(&op.base));
        op.serve("/jwks", JWKS);
        op
    }
}

pub const JWKS: &str = r#"{"keys":[{"kty":"RSA","kid":"k1","use":"sig","alg":"RS256","n":"sXch","e":"AQAB"}]}"#;
/// Long enough that any leak of it is unmistakable.
pub const CLIENT_SECRET: &str = "cs-7f3a9b1c-secret-value-that-must-never-leak-0123456789";

fn block<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

fn workbench(dir: &std::path::Path) -> (Workbench, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::default());
    let wb = Workbench::with_parts(
        Store::open(&dir.join("catalog.db")).unwrap(),
        store.clone(),
        "http://127.0.0.1:7777".into(),
    )
    .with_actor("ada");
    (wb, store)
}

fn add_request(op: &TestOp, name: &str) -> AddOidc {
    let typed = Typed::parse(&op.base);
    let discovery_json = block(handshake::oidc::http::fetch_discovery_text(&typed)).unwrap();
    let (jwks, _) = block(handshake::oidc::http::fetch_jwks(&format!("{}/jwks", op.base))).unwrap();
    AddOidc {
        name: name.into(),
        source: OidcSource::Discovery { typed_url: op.base.clone(), discovery_json },
        jwks_json: Some(jwks),
        client_id: "handshake-client".into(),
        client_secret: Some(Sensitive::new(CLIENT_SECRET.into())),
        client_auth: None,
        scopes: None,
    }
}

#[test]
fn regression_an_issuer_mismatch_is_refused_with_the_precise_error() {
    let op = TestOp::start();
    op.serve("/.well-known/openid-configuration", &op.discovery("https://elsewhere.example"));
    let e = block(handshake::oidc::http::fetch_discovery(&Typed::parse(&op.base))).unwrap_err();
    assert_eq!((e.code, e.detail.as_deref()), (ErrorCode::InvalidMetadata, Some("issuer_mismatch")));
    assert_eq!(
        e.message,
        format!(
            "the discovery document's issuer is \"https://elsewhere.example\", but it was fetched for issuer \"{}\"; \
             they must be identical (OpenID Connect Discovery §4.3)",
            op.base
        )
    );
    // A trailing slash is a different issuer, and the hint says which one to type.
    op.serve("/.well-known/openid-configuration", &op.discovery(&format!("{}/", op.base)));
    let e = block(handshake::oidc::http::fetch_discovery(&Typed::parse(&op.base))).unwrap_err();
    assert!(e.hint.as_deref().unwrap().contains(&format!("\"{}/\": enter exactly that", op.base)), "{e:?}");
    // Typed as the discovery URL, both spellings of that prefix are the issuer it names.
    let d = block(handshake::oidc::http::fetch_discovery(&Typed::parse(&format!(
        "{}/.well-known/openid-configuration",
        op.base
    ))))
    .unwrap();
    assert_eq!(d.issuer, format!("{}/", op.base));
}

#[test]
fn discovery_and_jwks_fetches_are_bounded() {
    let op = TestOp::standard();
    // At most 3 redirects.
    op.redirect("/r1", &format!("{}/r2", op.base));
    op.redirect("/r2", &format!("{}/r3", op.base));
    op.redirect("/r3", &format!("{}/jwks", op.base));
    assert!(block(handshake::oidc::http::fetch_jwks(&format!("{}/r1", op.base))).is_ok());
    op.redirect("/r0", &format!("{}/r1", op.base));
    let e = block(handshake::oidc::http::fetch_jwks(&format!("{}/r0", op.base))).unwrap_err();
    assert_eq!(e.code, ErrorCode::Network);
    assert!(e.message.contains("more than 3 redirects"), "{}", e.message);
    // A JWKS with private key material is refused, naming the member.
    op.serve("/private", r#"{"keys":[{"kty":"RSA","n":"x","e":"AQAB","d":"secret"}]}"#);
    let e = block(handshake::oidc::http::fetch_jwks(&format!("{}/private", op.base))).unwrap_err();
    assert_eq!(e.detail.as_deref(), Some("private_key_material"));
    assert!(e.message.contains("\"d\""), "{}", e.message);
    // Too large.
    op.serve("/huge", &format!(r#"{{"keys":[],"pad":"{}"}}"#, "a".repeat(600 * 1024)));
    let e = block(handshake::oidc::http::fetch_jwks(&format!("{}/huge", op.base))).unwrap_err();
    assert!(e.message.contains("limit for JWKS"), "{}", e.message);
}

#[test]
fn regression_the_client_secret_is_only_in_the_secret_store() {
    let op = TestOp::standard();
    let dir = tempfile::tempdir().unwrap();
    let (wb, secret_store) = workbench(dir.path());
    let view = wb.add_oidc_connection(&add_request(&op, "corp-oidc"), at(0)).unwrap();
    let o = view.oidc.as_ref().unwrap();
    assert_eq!((view.idp_entity_id.as_str(), o.issuer.as_str()), (op.base.as_str(), op.base.as_str()));
    assert_eq!(o.client_auth, ClientAuth::ClientSecretBasic);
    assert_eq!(o.allowed_algs, [Alg::RS256, Alg::ES256]);
    assert_eq!(o.jwks_kids, ["k1"]);
    assert_eq!(
        o.redirect_uris,
        ["http://127.0.0.1:7777/oidc/corp-oidc/callback", "http://localhost:7777/oidc/corp-oidc/callback"]
    );
    assert_eq!(o.scopes, ["openid", "email", "profile"]);
    let summaries = wb.connection_summaries(at(0)).unwrap();
    assert_eq!(
        (summaries[0].protocol, summaries[0].redirect_uri.as_deref(), summaries[0].idp_entity_id.as_str()),
        (
            handshake::connection::Protocol::Oidc,
            Some("http://127.0.0.1:7777/oidc/corp-oidc/callback"),
            op.base.as_str()
        )
    );
    let stored = secret_store.get(&secrets::oidc_client_secret("corp-oidc")).unwrap().unwrap();
    assert_eq!(stored.expose().as_slice(), CLIENT_SECRET.as_bytes());
    assert_eq!(wb.oidc_client_secret("corp-oidc").unwrap().unwrap().expose(), CLIENT_SECRET);

    wb.set_oidc_client_secret("corp-oidc", Some(Sensitive::new(format!("{CLIENT_SECRET}-2"))), at(1)).unwrap();
    let export = wb.export_connection("corp-oidc").unwrap();
    assert!(export.contains("\"jwks_json\"") && export.contains("\"client_id\": \"handshake-client\""), "{export}");
    let view_json = serde_json::to_string(&wb.connection("corp-oidc", at(2)).unwrap()).unwrap();
    let audit = serde_json::to_string(&wb.audit(&AuditQuery::default()).unwrap()).unwrap();
    assert!(audit.contains("\"replaced\""), "{audit}");
    drop(wb);
    let file = std::fs::read(dir.path().join("catalog.db")).unwrap();
    let wal = std::fs::read(dir.path().join("catalog.db-wal")).unwrap_or_default();
    for (what, text) in [
        ("export", export.as_bytes()),
        ("view", view_json.as_bytes()),
        ("audit", audit.as_bytes()),
        ("db", &file),
        ("wal", &wal),
    ] {
        assert!(!text.windows(20).any(|w| w == &CLIENT_SECRET.as_bytes()[..20]), "the client secret is in the {what}");
    }
}

#[test]
fn manual_endpoints_make_a_connection_without_discovery() {
    let op = TestOp::standard();
    let dir = tempfile::tempdir().unwrap();
    let (wb, store) = workbench(dir.path());
    let (jwks, _) = block(handshake::oidc::http::fetch_jwks(&format!("{}/jwks", op.base))).unwrap();
    let manual = ManualEndpoints {
        issuer: "https://issuer.example/tenant".into(),
        authorization_endpoint: "https://issuer.example/authorize".into(),
        token_endpoint: "https://issuer.example/token".into(),
        jwks_uri: format!("{}/jwks", op.base),
        userinfo_endpoint: None,
    };
    let request = AddOidc {
        name: "manual".into(),
        source: OidcSource::Manual(manual.clone()),
        jwks_json: Some(jwks),
        client_id: "pub".into(),
        client_secret: None,
        client_auth: None,
        scopes: Some(vec!["openid".into(), "groups".into()]),
    };
    let view = wb.add_oidc_connection(&request, at(0)).unwrap();
    let o = view.oidc.unwrap();
    assert_eq!((o.issuer.as_str(), o.discovery_url.as_deref()), ("https://issuer.example/tenant", None));
    assert_eq!((o.client_auth, o.call_userinfo, o.scopes.join(" ")), (ClientAuth::None, false, "openid groups".into()));
    assert_eq!(view.metadata_source, "manual");
    assert!(store.get(&secrets::oidc_client_secret("manual")).unwrap().is_none());
    // Guards name the field.
    let refused = |mutate: &dyn Fn(&mut AddOidc), word: &str| {
        let mut r = AddOidc { name: "x".into(), ..request.clone() };
        mutate(&mut r);
        let e = wb.add_oidc_connection(&r, at(0)).unwrap_err();
        let code = if word == "\"k\"" { ErrorCode::InvalidMetadata } else { ErrorCode::InvalidInput };
        assert_eq!(e.code, code, "{word}: {e:?}");
        assert!(e.message.contains(word), "{word}: {}", e.message);
    };
    refused(&|r| r.scopes = Some(vec!["email".into()]), "\"openid\"");
    refused(&|r| r.client_auth = Some(ClientAuth::ClientSecretBasic), "needs a client secret");
    refused(&|r| r.client_id = " ".into(), "client ID is empty");
    refused(
        &|r| {
            r.source = OidcSource::Manual(ManualEndpoints {
                token_endpoint: "http://issuer.example/token".into(),
                ..manual.clone()
            })
        },
        "token_endpoint",
    );
    refused(&|r| r.jwks_json = Some(r#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#.into()), "\"k\"");
    assert!(wb.connection("x", at(0)).is_err());
}

#[test]
fn rediscover_shows_a_diff_then_replaces_the_endpoints() {
    let op = TestOp::standard();
    let dir = tempfile::tempdir().unwrap();
    let (wb, _) = workbench(dir.path());
    wb.add_oidc_connection(&add_request(&op, "corp"), at(0)).unwrap();
    let moved = op.discovery(&op.base).replace("/token", "/v2/token").replace("\"ES256\"", "\"PS256\"");
    let changes = wb.rediscover_preview("corp", &moved).unwrap();
    let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, ["token_endpoint", "id_token_signing_alg_values_supported"]);
    assert_eq!(changes[0].after, format!("{}/v2/token", op.base));
    assert_eq!(changes[1].before, "RS256 ES256");
    // A document for another issuer is refused, as at add.
    let other = op.discovery("https://other.example");
    assert_eq!(wb.rediscover_preview("corp", &other).unwrap_err().detail.as_deref(), Some("issuer_mismatch"));

    let view = wb.replace_discovery("corp", &moved, None, at(10)).unwrap();
    let o = view.oidc.unwrap();
    assert_eq!(o.token_endpoint, format!("{}/v2/token", op.base));
    assert_eq!(o.discovered_at, Some(at(10)));
    assert_eq!(o.allowed_algs, [Alg::RS256, Alg::ES256], "the admin's algorithms are kept");
    let rows =
        wb.audit(&AuditQuery { action: Some(AdminAction::ConnectionReimport), ..AuditQuery::default() }).unwrap();
    let change = rows[0].diff.iter().find(|c| c.field == "oidc.token_endpoint").unwrap();
    assert_eq!(change.after, format!("{}/v2/token", op.base));
    assert!(wb.rediscover_preview("corp", &moved).unwrap().is_empty());
}

#[test]
fn settings_guard_algorithms_and_secrets() {
    let op = TestOp::standard();
    let dir = tempfile::tempdir().unwrap();
    let (wb, store) = workbench(dir.path());
    let mut public = add_request(&op, "public");
    public.client_secret = None;
    wb.add_oidc_connection(&public, at(0)).unwrap();
    let set = |patch: OidcSettingsPatch| wb.set_oidc_settings("public", &patch, at(1));
    let e = set(OidcSettingsPatch { allowed_algs: Some(vec![Alg::HS256]), ..Default::default() }).unwrap_err();
    assert!(e.message.contains("HS256 is keyed with the client secret"), "{}", e.message);
    let e = set(OidcSettingsPatch { allowed_algs: Some(vec![]), ..Default::default() }).unwrap_err();
    assert!(e.message.contains("allowed algorithms are empty"), "{}", e.message);
    let e = set(OidcSettingsPatch { clock_skew_seconds: Some(601), ..Default::default() }).unwrap_err();
    assert!(e.message.contains("too large"), "{}", e.message);
    // The secret first, then HMAC may be allowed.
    wb.set_oidc_client_secret("public", Some(Sensitive::new(CLIENT_SECRET.into())), at(2)).unwrap();
    let view = set(OidcSettingsPatch {
        allowed_algs: Some(vec![Alg::RS256, Alg::HS256, Alg::RS256]),
        client_auth: Some(ClientAuth::ClientSecretPost),
        redirect_host: Some(RedirectHost::Localhost),
        trusted_audiences: Some(vec!["api://other".into()]),
        clock_skew_seconds: Some(30),
        ..Default::default()
    })
    .unwrap();
    let o = view.oidc.unwrap();
    assert_eq!((o.allowed_algs, o.client_auth), (vec![Alg::RS256, Alg::HS256], ClientAuth::ClientSecretPost));
    assert_eq!(o.redirect_uri, "http://localhost:7777/oidc/public/callback");
    assert_eq!(view.policy.clock_skew_seconds, 30);
    // The secret cannot go while the settings need it.
    let e = wb.set_oidc_client_secret("public", None, at(3)).unwrap_err();
    assert!(e.message.contains("HS256"), "{}", e.message);
    let rows = wb.audit(&AuditQuery { kind: Some(AuditKind::Admin), ..AuditQuery::default() }).unwrap();
    let settings = rows.iter().find(|r| r.action == Some(AdminAction::OidcSettingsChange)).unwrap();
    let fields: Vec<&str> = settings.diff.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "oidc.client_auth",
            "oidc.allowed_algs",
            "oidc.trusted_audiences",
            "oidc.redirect_host",
            "policy.clock_skew_seconds"
        ]
    );
    let secret = rows.iter().find(|r| r.action == Some(AdminAction::OidcSecretChange)).unwrap();
    assert_eq!((secret.diff[0].before.clone(), secret.diff[0].after.clone()), ("none".into(), "set".into()));
    // A SAML connection is not an OIDC one.
    assert!(store.get(&secrets::oidc_client_secret("public")).unwrap().is_some());
}

#[test]
fn remove_deletes_the_secret_and_duplicate_copies_it() {
    let op = TestOp::standard();
    let dir = tempfile::tempdir().unwrap();
    let (wb, store) = workbench(dir.path());
    wb.add_oidc_connection(&add_request(&op, "corp"), at(0)).unwrap();
    let copy = wb.duplicate_connection("corp", "corp-2", at(1)).unwrap();
    let o = copy.oidc.unwrap();
    assert_eq!(o.redirect_uri, "http://127.0.0.1:7777/oidc/corp-2/callback");
    assert_eq!(copy.sp.certificate, None, "an OIDC connection has no SP key pair");
    assert_eq!(wb.oidc_client_secret("corp-2").unwrap().unwrap().expose(), CLIENT_SECRET);
    assert_eq!(wb.mapping("corp-2").unwrap(), wb.mapping("corp").unwrap());
    let outcome = wb.remove_connection("corp", at(2)).unwrap();
    assert_eq!(outcome.warning, None);
    assert!(store.get(&secrets::oidc_client_secret("corp")).unwrap().is_none());
    assert!(store.get(&secrets::oidc_client_secret("corp-2")).unwrap().is_some());
    // A new connection of the removed name starts without a secret.
    let mut again = add_request(&op, "corp");
    again.client_secret = None;
    wb.add_oidc_connection(&again, at(3)).unwrap();
    assert!(wb.oidc_client_secret("corp").unwrap().is_none());

    // Export, then import the file: settings and JWKS come back, the secret does not.
    let file = wb.export_connection("corp-2").unwrap();
    let imported = wb.import_connection_file(&file, Some("corp-3"), at(4)).unwrap();
    let o3 = imported.connection.oidc.unwrap();
    assert_eq!((o3.client_id.as_str(), o3.jwks_kids.clone()), ("handshake-client", vec!["k1".to_owned()]));
    assert!(wb.oidc_client_secret("corp-3").unwrap().is_none());
}

#[test]
fn the_pkce_verifier_is_derived_from_the_state_with_a_stored_key() {
    let dir = tempfile::tempdir().unwrap();
    let (wb, store) = workbench(dir.path());
    let v = wb.oidc_pkce_verifier("state-abc").unwrap();
    assert_eq!(v.expose().len(), 43);
    assert_eq!(wb.oidc_pkce_verifier("state-abc").unwrap().expose(), v.expose());
    assert_eq!(store.get(secrets::OIDC_STATE_KEY).unwrap().unwrap().expose().len(), 32);
    assert_eq!(secrets::pkce_challenge(&v).len(), 43);
}

// ---- the CLI ----

fn cli(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_handshake"));
    c.arg("--db")
        .arg(dir.join("catalog.db"))
        .arg("--secret-store")
        .arg(format!("file:{}", dir.join("secrets").display()));
    c.args(args).env_remove("HANDSHAKE_DB").env_remove("HANDSHAKE_SECRET_STORE").env_remove("HANDSHAKE_PORT");
    c.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() }).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn json_of(out: &std::process::Output) -> serde_json::Value {
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn cli_add_oidc_list_show_export_remove() {
    let op = TestOp::standard();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let added = json_of(&cli(
        d,
        &[
            "connection",
            "add-oidc",
            "--name",
            "op",
            "--issuer",
            &op.base,
            "--client-id",
            "cid",
            "--client-secret-stdin",
            "--json",
        ],
        Some(&format!("{CLIENT_SECRET}\n")),
    ));
    assert_eq!(added["protocol"], "oidc");
    assert_eq!(added["idp_entity_id"], op.base.as_str());
    assert_eq!(added["oidc"]["client_id"], "cid");
    assert_eq!(added["oidc"]["client_auth"], "client_secret_basic");
    assert_eq!(added["oidc"]["redirect_uri"], "http://127.0.0.1:7777/oidc/op/callback");
    assert_eq!(added["oidc"]["jwks_kids"], serde_json::json!(["k1"]));
    let secret_file = std::fs::read_dir(d.join("secrets")).unwrap().count();
    assert_eq!(secret_file, 1, "the client secret is in the file store");

    let manual = json_of(&cli(
        d,
        &[
            "connection",
            "add-oidc",
            "--name",
            "by-hand",
            "--authorization-endpoint",
            "https://op.example/a",
            "--token-endpoint",
            "https://op.example/t",
            "--jwks-uri",
            &format!("{}/jwks", op.base),
            "--issuer-id",
            "https://op.example",
            "--client-id",
            "pub",
            "--scopes",
            "openid email",
            "--json",
        ],
        None,
    ));
    assert_eq!(
        (manual["oidc"]["client_auth"].as_str(), manual["metadata_source"].as_str()),
        (Some("none"), Some("manual"))
    );

    let list = json_of(&cli(d, &["connection", "list", "--json"], None));
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["by-hand", "op"]);
    let text = cli(d, &["connection", "list"], None);
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("OIDC, redirect URI http://127.0.0.1:7777/oidc/op/callback")
    );
    let show = cli(d, &["connection", "show", "op"], None);
    let show = String::from_utf8_lossy(&show.stdout);
    assert!(show.contains("(OpenID Connect)") && show.contains(&format!("issuer:        {}", op.base)), "{show}");
    let export = cli(d, &["connection", "export", "op"], None);
    let export = String::from_utf8(export.stdout).unwrap();
    let file: serde_json::Value = serde_json::from_str(&export).unwrap();
    assert_eq!(file["oidc"]["issuer"], op.base.as_str());
    assert!(!export.contains(CLIENT_SECRET));

    // An issuer mismatch, at the CLI: the precise message and a non-zero exit.
    op.serve("/.well-known/openid-configuration", &op.discovery("https://elsewhere.example"));
    let out = cli(d, &["connection", "add-oidc", "--name", "bad", "--issuer", &op.base, "--client-id", "c"], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("must be identical (OpenID Connect Discovery §4.3)"));

    let removed = json_of(&cli(d, &["connection", "remove", "op", "--json"], None));
    assert_eq!(removed["name"], "op");
    assert_eq!(
        std::fs::read_dir(d.join("secrets"))
            .unwrap()
            .filter(|e| { e.as_ref().unwrap().file_name().to_string_lossy().contains("oidc-client-secret") })
            .count(),
        0
    );
    let db = std::fs::read(d.join("catalog.db")).unwrap();
    assert!(!db.windows(20).any(|w| w == &CLIENT_SECRET.as_bytes()[..20]));
}

#[test]
fn cli_rediscover_and_set_oidc() {
    let op = TestOp::standard();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let add = ["connection", "add-oidc", "--name", "op", "--issuer", &op.base, "--client-id", "cid", "--json"];
    json_of(&cli(d, &add, None));
    let unchanged = json_of(&cli(d, &["connection", "rediscover", "--name", "op", "--json"], None));
    assert_eq!(unchanged, serde_json::json!([]));
    op.serve("/.well-known/openid-configuration", &op.discovery(&op.base).replace("/auth", "/v2/auth"));
    let changes = json_of(&cli(d, &["connection", "rediscover", "--name", "op", "--json"], None));
    assert_eq!(changes[0]["field"], "authorization_endpoint");
    assert_eq!(changes[0]["after"], format!("{}/v2/auth", op.base));
    let applied = json_of(&cli(d, &["connection", "rediscover", "--name", "op", "--apply", "--json"], None));
    assert_eq!(applied["oidc"]["authorization_endpoint"], format!("{}/v2/auth", op.base));

    // HS256 needs a secret: refused alone, accepted with one from stdin.
    let hs = ["connection", "set-oidc", "--name", "op", "--allowed-algs", "RS256,HS256", "--json"];
    let out = cli(d, &hs, None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("HS256 is keyed with the client secret"));
    let mut with_secret = hs.to_vec();
    with_secret.extend([
        "--client-secret-stdin",
        "--client-auth",
        "client_secret_post",
        "--redirect-host",
        "localhost",
    ]);
    let set = json_of(&cli(d, &with_secret, Some(CLIENT_SECRET)));
    assert_eq!(set["oidc"]["allowed_algs"], serde_json::json!(["RS256", "HS256"]));
    assert_eq!(set["oidc"]["client_auth"], "client_secret_post");
    assert_eq!(set["oidc"]["redirect_uri"], "http://localhost:7777/oidc/op/callback");
    let out = cli(d, &["connection", "set-oidc", "--name", "op", "--allowed-algs", "none"], None);
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"none\" is not an algorithm"));
    let db = std::fs::read(d.join("catalog.db")).unwrap();
    assert!(!db.windows(20).any(|w| w == &CLIENT_SECRET.as_bytes()[..20]));
}

#[test]
fn regression_a_discovery_or_jwks_redirect_must_stay_on_https_or_loopback() {
    // The endpoint rule (https, plain http only on loopback) holds for every hop: a redirect
    // to plain http elsewhere would let anyone on the path swap the OP's keys.
    let op = TestOp::standard();
    op.redirect("/plain", "http://op.example.invalid/jwks");
    let e = block(handshake::oidc::http::fetch_jwks(&format!("{}/plain", op.base))).unwrap_err();
    assert!(e.message.contains("http://op.example.invalid/jwks") && e.message.contains("loopback"), "{}", e.message);
    op.serve("/.well-known/openid-configuration", &op.discovery(&op.base));
    let typed = handshake::oidc::discovery::Typed::parse(&format!("{}/d", op.base));
    op.redirect("/d/.well-known/openid-configuration", "http://op.example.invalid/.well-known/openid-configuration");
    let e = block(handshake::oidc::http::fetch_discovery_text(&typed)).unwrap_err();
    assert!(e.message.contains("loopback"), "{}", e.message);
    // Loopback to loopback is still followed (a local test OP).
    op.redirect("/local", &format!("{}/jwks", op.base.replace("127.0.0.1", "localhost")));
    assert!(block(handshake::oidc::http::fetch_jwks(&format!("{}/local", op.base))).is_ok());
}
