//! `private_key_jwt`: choosing it makes the connection's key pair (secret store only, shown
//! as a public JWK, audited as `generated`), the test login sends a client assertion the OP
//! of `fake_op.rs` verifies with the registered JWK, a wrong key is the OP's
//! `invalid_client`; an OP that does not offer it is refused; vendor presets add scopes.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use handshake::directory::{AuditKind, AuditQuery};
use handshake::login::Outcome;
use handshake::oidc::ClientAuth;
use handshake::secrets::{MemoryStore, SecretStore, oidc_client_key};
use handshake::server::{AppState, Pool, router};
use handshake::store::Store;
use handshake::workbench::{AddOidc, OidcSettingsPatch, OidcSource, Workbench};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::fake_op::{FakeOp, TestClock, add_connection, start_time};

const SP_BASE: &str = "http://127.0.0.1:7777";

struct Sp {
    _dir: tempfile::TempDir,
    db: PathBuf,
    secrets: Arc<dyn SecretStore>,
    state: AppState,
    op: FakeOp,
}

impl Sp {
    fn new() -> Sp {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("sp.db");
        let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
        let clock = TestClock::at(start_time());
        let op = FakeOp::start(Arc::new(clock.clone()));
        add_connection(&db, secrets.as_ref(), "acme", op.settings());
        let open = || Workbench::with_parts(Store::open(&db).unwrap(), secrets.clone(), SP_BASE.into());
        let state = AppState::new(Pool::new(vec![open()]), Arc::new(clock)).unwrap().bound_to(7777);
        Sp { _dir: dir, db, secrets, state, op }
    }

    fn workbench(&self) -> Workbench {
        Workbench::with_parts(Store::open(&self.db).unwrap(), self.secrets.clone(), SP_BASE.into())
    }

    async fn get(&self, path: &str) -> (StatusCode, String, String) {
        let req = Request::get(path).header(header::HOST, "127.0.0.1:7777").body(Body::empty()).unwrap();
        let res = router(self.state.clone()).oneshot(req).await.unwrap();
        let status = res.status();
        let location = res.headers().get(header::LOCATION).map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        (status, location, String::from_utf8_lossy(&body).into_owned())
    }

    async fn login(&self, sub: &str) -> handshake::login::TestLogin {
        let (status, auth, body) = self.get("/oidc/acme/login").await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        let (_, callback) = self.op.authorize(&auth, sub, &format!("{sub}@example.com"));
        let (status, location, body) = self.get(&callback).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        let id: i64 = location.strip_prefix("/test-logins/").unwrap().parse().unwrap();
        self.workbench().test_login(id).unwrap()
    }

    fn use_private_key_jwt(&self) -> Value {
        let patch = OidcSettingsPatch { client_auth: Some(ClientAuth::PrivateKeyJwt), ..Default::default() };
        let view = self.workbench().set_oidc_settings("acme", &patch, start_time()).unwrap();
        serde_json::to_value(view.oidc.unwrap().client_jwk.unwrap()).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn private_key_jwt_logs_in_with_a_client_assertion_the_op_verifies() {
    let sp = Sp::new();
    let jwk = sp.use_private_key_jwt();
    assert_eq!(
        (jwk["kty"].as_str(), jwk["use"].as_str(), jwk["alg"].as_str()),
        (Some("RSA"), Some("sig"), Some("RS256"))
    );
    assert_eq!(jwk["kid"].as_str().unwrap(), handshake::idp::jws::thumbprint(&jwk).unwrap());
    assert!(jwk.get("d").is_none(), "{jwk}");
    // The key is made once: choosing it again keeps it.
    assert_eq!(sp.use_private_key_jwt(), jwk);
    sp.op.op().client_jwk = Some(jwk.clone());

    let t = sp.login("ada-sub").await;
    assert_eq!(t.report.outcome, Outcome::Created, "{:#?}", t.report);
    assert_eq!(sp.op.op().token_calls, 1);

    // The audit row says a key was generated, never the key.
    let rows = sp.workbench().audit(&AuditQuery { kind: Some(AuditKind::Admin), ..AuditQuery::default() }).unwrap();
    let changes: Vec<_> = rows.iter().flat_map(|r| r.diff.iter()).filter(|c| c.field == "oidc.client_key").collect();
    assert_eq!(changes.len(), 1, "{rows:#?}");
    assert_eq!(changes[0].after, json!("generated"));

    // No byte of the private key in the catalog (WAL included), the view or the audit log.
    let pem = sp.secrets.get(&oidc_client_key("acme")).unwrap().unwrap();
    let pem = String::from_utf8(pem.expose().clone()).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(sp.db.parent().unwrap()).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    let catalog = String::from_utf8_lossy(&bytes);
    let view = serde_json::to_string(&sp.workbench().connection("acme", start_time()).unwrap()).unwrap();
    let audit = serde_json::to_string(&rows).unwrap();
    for chunk in body.as_bytes().chunks(32).map(|c| std::str::from_utf8(c).unwrap()) {
        assert!(!catalog.contains(chunk) && !view.contains(chunk) && !audit.contains(chunk), "{chunk}");
    }

    // A copy takes the key along; a removal deletes it.
    let wb = sp.workbench();
    let copy = wb.duplicate_connection("acme", "acme-copy", start_time()).unwrap();
    assert_eq!(serde_json::to_value(copy.oidc.unwrap().client_jwk.unwrap()).unwrap(), jwk);
    wb.remove_connection("acme-copy", start_time()).unwrap();
    assert!(sp.secrets.get(&oidc_client_key("acme-copy")).unwrap().is_none());
    assert!(sp.secrets.get(&oidc_client_key("acme")).unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_assertion_signed_with_another_key_is_the_ops_invalid_client() {
    let sp = Sp::new();
    let mut registered = sp.use_private_key_jwt();
    // The OP holds another public key under the same kid.
    let other = openssl::pkey::PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap()).unwrap();
    let other_jwk = handshake::idp::jws::jwk_of(&other, None).unwrap();
    registered["n"] = other_jwk["n"].clone();
    sp.op.op().client_jwk = Some(registered);

    let t = sp.login("ada-sub").await;
    assert_eq!(t.report.failed_check.map(|s| s.as_str().to_owned()).as_deref(), Some("token_response"));
    let check = t.report.checks.iter().find(|c| c.id == handshake::validate::CheckId::TokenResponse).unwrap();
    let shown = serde_json::to_string(check).unwrap();
    assert!(shown.contains("op_error") && shown.contains("invalid_client"), "{shown}");
    assert!(shown.contains("does not verify with the registered key"), "{shown}");
}

fn discovery(issuer: &str, methods: Option<&[&str]>) -> String {
    let mut doc = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/v1/authorize"),
        "token_endpoint": format!("{issuer}/v1/token"),
        "jwks_uri": format!("{issuer}/v1/keys"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    });
    if let Some(m) = methods {
        doc["token_endpoint_auth_methods_supported"] = json!(m);
    }
    doc.to_string()
}

fn add(issuer: &str, methods: Option<&[&str]>, auth: Option<ClientAuth>, scopes: Option<Vec<String>>) -> AddOidc {
    AddOidc {
        name: "okta-oidc".into(),
        source: OidcSource::Discovery { typed_url: issuer.into(), discovery_json: discovery(issuer, methods) },
        jwks_json: None,
        client_id: "0oa1b2c3".into(),
        client_secret: None,
        client_auth: auth,
        scopes,
    }
}

fn bare_workbench() -> (tempfile::TempDir, Arc<MemoryStore>, Workbench) {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemoryStore::default());
    let wb = Workbench::with_parts(Store::open(&dir.path().join("c.db")).unwrap(), secrets.clone(), SP_BASE.into());
    (dir, secrets, wb)
}

#[test]
fn private_key_jwt_is_refused_when_the_op_does_not_offer_it() {
    let (_dir, secrets, wb) = bare_workbench();
    let issuer = "https://acme.okta.com";
    for methods in [Some(&["client_secret_basic", "client_secret_post"][..]), None] {
        let err = wb.add_oidc_connection(&add(issuer, methods, Some(ClientAuth::PrivateKeyJwt), None), start_time());
        let err = err.unwrap_err();
        assert!(err.message.contains("does not accept private_key_jwt"), "{}", err.message);
        assert!(err.hint.as_deref().unwrap().contains("client_secret_basic"), "{err:?}");
        assert!(secrets.get(&oidc_client_key("okta-oidc")).unwrap().is_none(), "no key is left behind");
    }
    let view = wb
        .add_oidc_connection(
            &add(issuer, Some(&["private_key_jwt"]), Some(ClientAuth::PrivateKeyJwt), None),
            start_time(),
        )
        .unwrap();
    let oidc = view.oidc.unwrap();
    assert_eq!(oidc.client_auth, ClientAuth::PrivateKeyJwt);
    assert!(oidc.client_jwk.is_some());
    assert!(secrets.get(&oidc_client_key("okta-oidc")).unwrap().is_some());
}

#[test]
fn regression_presets_add_their_scopes_when_none_are_given() {
    let cases = [
        ("https://acme.okta.com", "openid email profile groups"),
        ("https://login.microsoftonline.com/0f0e0d0c-0b0a-0908-0706-050403020100/v2.0", "openid email profile"),
        ("https://accounts.google.com", "openid email profile"),
        ("https://sso.example.com/realms/acme", "openid email profile"),
        ("https://acme.eu.auth0.com/", "openid email profile"),
        ("https://op.example.com", "openid email profile"),
        ("http://127.0.0.1:7777/demo-idp/oidc", "openid email profile groups"),
    ];
    for (issuer, scopes) in cases {
        let (_dir, _secrets, wb) = bare_workbench();
        let view = wb.add_oidc_connection(&add(issuer, None, None, None), start_time()).unwrap();
        assert_eq!(view.oidc.unwrap().scopes.join(" "), scopes, "{issuer}");
    }
    // Scopes the admin names are kept as named.
    let (_dir, _secrets, wb) = bare_workbench();
    let named = Some(vec!["openid".to_owned(), "email".to_owned()]);
    let view = wb.add_oidc_connection(&add("https://acme.okta.com", None, None, named), start_time()).unwrap();
    assert_eq!(view.oidc.unwrap().scopes.join(" "), "openid email");
}
