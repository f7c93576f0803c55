//! OpenID Connect test logins through the embedded SP, against the minimal OP of
//! `fake_op.rs`: the flow's own behaviour (state, code replay, OP errors, the JWKS refetch,
//! secrets, the Host guard), and ID tokens judged offline (CLI, capture analysis). The proof
//! against a real OP is `e2e_oidc.rs`.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::{DateTime, Duration, Utc};
use handshake::idp::jws::{JwsKey, sign_compact};
use handshake::login::Outcome;
use handshake::oidc::{Alg, RedirectHost};
use handshake::secrets::{MemoryStore, SecretStore};
use handshake::server::{AppState, Pool, router};
use handshake::store::Store;
use handshake::validate::CheckId;
use handshake::workbench::Workbench;
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::fake_op::{CLIENT_ID, CLIENT_SECRET, FakeOp, TestClock, add_connection, callback_path, start_time};

/// The embedded SP of the router-driven tests (no socket: requests name this Host).
const SP_BASE: &str = "http://127.0.0.1:7777";

/// The embedded SP (driven through `router`, no socket) with connection `acme` for an OP.
struct Sp {
    _dir: tempfile::TempDir,
    db: PathBuf,
    secrets: Arc<dyn SecretStore>,
    state: AppState,
    clock: TestClock,
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
        let state = AppState::new(Pool::new(vec![open(), open()]), Arc::new(clock.clone())).unwrap().bound_to(7777);
        Sp { _dir: dir, db, secrets, state, clock, op }
    }

    fn workbench(&self) -> Workbench {
        Workbench::with_parts(Store::open(&self.db).unwrap(), self.secrets.clone(), SP_BASE.into())
    }

    async fn get_with_host(&self, path: &str, host: &str) -> (StatusCode, HeaderMap, String) {
        let req = Request::get(path).header(header::HOST, host).body(Body::empty()).unwrap();
        let res = router(self.state.clone()).oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        (status, headers, String::from_utf8_lossy(&body).into_owned())
    }

    async fn get(&self, path: &str) -> (StatusCode, HeaderMap, String) {
        self.get_with_host(path, "127.0.0.1:7777").await
    }

    /// `GET /oidc/acme/login`: the authorization URL the SP redirects to.
    async fn start(&self) -> String {
        let (status, headers, body) = self.get("/oidc/acme/login").await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        headers[header::LOCATION].to_str().unwrap().to_owned()
    }

    /// The callback; the test login it recorded.
    async fn callback(&self, path: &str) -> handshake::login::TestLogin {
        let (status, headers, body) = self.get(path).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        let location = headers[header::LOCATION].to_str().unwrap();
        let id: i64 = location.strip_prefix("/test-logins/").unwrap().parse().unwrap();
        let (status, _, page) = self.get(location).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        self.workbench().test_login(id).unwrap()
    }

    /// A whole login for `sub`: start, the OP's code, the callback.
    async fn login(&self, sub: &str) -> (handshake::login::TestLogin, String, String) {
        let auth = self.start().await;
        let (code, callback) = self.op.authorize(&auth, sub, &format!("{sub}@example.com"));
        (self.callback(&callback).await, code, callback)
    }

    fn count(&self, sql: &str) -> i64 {
        let store = Store::open(&self.db).unwrap();
        crate::sql(&store).query_row(sql, [], |r| r.get(0)).unwrap()
    }
}

fn failed_check(t: &handshake::login::TestLogin) -> Option<String> {
    t.report.failed_check.map(|s| s.as_str().to_owned())
}

fn check(t: &handshake::login::TestLogin, id: CheckId) -> &handshake::validate::CheckResult {
    t.report.checks.iter().find(|c| c.id == id).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_login_creates_the_user_and_records_the_test_login() {
    let sp = Sp::new();
    let (t, _, _) = sp.login("ada-sub").await;
    assert_eq!(t.report.outcome, Outcome::Created, "{:#?}", t.report);
    assert!(
        t.report.checks.iter().all(|c| c.status != handshake::validate::CheckStatus::Fail),
        "{:#?}",
        t.report.checks
    );
    assert_eq!(t.report.name_id.as_ref().unwrap().value, "ada-sub");
    assert_eq!(t.kind, handshake::login::LoginKind::SpInitiated);
    let user = t.report.user.as_ref().unwrap();
    assert_eq!(user.email.as_deref(), Some("ada-sub@example.com"));
    assert_eq!(sp.count("SELECT count(*) FROM test_logins WHERE document_format = 'oidc_json'"), 1);
    assert_eq!(sp.count("SELECT count(*) FROM oidc_requests WHERE used_at IS NOT NULL"), 1);
    // The nonce and the code are consumed.
    assert_eq!(sp.count("SELECT count(*) FROM consumed_ids WHERE kind IN ('oidc_nonce', 'oidc_code')"), 2);
    let detail = sp.workbench().test_login_detail(t.id).unwrap();
    assert!(detail.xml.iter().any(|l| l.text.starts_with("\"sub\": \"ada-sub\"") && l.signed), "{:#?}", detail.xml);
    let document = t.response_xml.as_deref().unwrap();
    let doc: Value = serde_json::from_str(document).unwrap();
    assert_eq!(doc["claims"]["sub"], "ada-sub", "{document}");
    let op = sp.op.op();
    assert_eq!((op.token_calls, op.jwks_calls, op.userinfo_calls), (1, 0, 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_state_is_refused_without_redeeming_the_code() {
    let sp = Sp::new();
    let auth = sp.start().await;
    let (code, _) = sp.op.authorize(&auth, "ada-sub", "ada@example.com");
    let path = callback_path(&format!("{SP_BASE}/oidc/acme/callback"), &code, "forged-state", &sp.op.base);
    let t = sp.callback(&path).await;
    assert_eq!(failed_check(&t).as_deref(), Some("state"), "{:#?}", t.report);
    assert_eq!(t.kind, handshake::login::LoginKind::UnknownRequest);
    assert_eq!(sp.op.op().token_calls, 0, "the code was not sent anywhere");
    // No state at all.
    let t = sp.callback(&format!("/oidc/acme/callback?code={code}")).await;
    assert_eq!(failed_check(&t).as_deref(), Some("state"));
    assert_eq!(sp.op.op().token_calls, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_request_is_refused_without_redeeming_the_code() {
    let sp = Sp::new();
    let auth = sp.start().await;
    let (_, callback) = sp.op.authorize(&auth, "ada-sub", "ada@example.com");
    sp.clock.advance(11 * 60);
    let t = sp.callback(&callback).await;
    assert_eq!(failed_check(&t).as_deref(), Some("state"), "{:#?}", t.report);
    assert!(check(&t, CheckId::State).actual.to_lowercase().contains("expired"), "{:#?}", check(&t, CheckId::State));
    assert_eq!(sp.op.op().token_calls, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answered_request_is_refused_without_redeeming_the_code_again() {
    let sp = Sp::new();
    let (first, _, callback) = sp.login("ada-sub").await;
    assert_eq!(first.report.outcome, Outcome::Created);
    let again = sp.callback(&callback).await;
    assert_eq!(failed_check(&again).as_deref(), Some("state"), "{:#?}", again.report);
    assert_eq!(sp.op.op().token_calls, 1, "the replayed callback reached nothing");
    assert_eq!(sp.count("SELECT count(*) FROM users"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_op_error_at_the_token_endpoint_is_shown_as_token_response() {
    let sp = Sp::new();
    sp.op.op().token_error =
        Some((400, json!({"error": "invalid_grant", "error_description": "the code has expired"}).to_string()));
    let (t, _, _) = sp.login("ada-sub").await;
    assert_eq!(failed_check(&t).as_deref(), Some("token_response"), "{:#?}", t.report);
    let c = check(&t, CheckId::TokenResponse);
    assert!(c.actual.contains("invalid_grant") && c.actual.contains("the code has expired"), "{c:#?}");
    assert_eq!(sp.count("SELECT count(*) FROM users"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_callback_without_a_code_is_refused_at_the_token_endpoint_check() {
    let sp = Sp::new();
    let auth = sp.start().await;
    let state = url::Url::parse(&auth).unwrap().query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let t = sp.callback(&format!("/oidc/acme/callback?state={state}")).await;
    assert_eq!(failed_check(&t).as_deref(), Some("token_response"), "{:#?}", t.report);
    assert!(check(&t, CheckId::TokenResponse).actual.contains("neither a code nor an error"));
    assert_eq!(sp.op.op().token_calls, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_op_error_in_the_redirect_is_recorded_as_state() {
    let sp = Sp::new();
    let auth = sp.start().await;
    let state = url::Url::parse(&auth).unwrap().query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let t = sp
        .callback(&format!("/oidc/acme/callback?error=access_denied&error_description=User+said+no&state={state}"))
        .await;
    assert_eq!(failed_check(&t).as_deref(), Some("state"), "{:#?}", t.report);
    assert!(check(&t, CheckId::State).actual.contains("access_denied"));
    assert_eq!(sp.op.op().token_calls, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replayed_code_is_refused_before_any_second_exchange() {
    let sp = Sp::new();
    let (first, code, _) = sp.login("ada-sub").await;
    assert_eq!(first.report.outcome, Outcome::Created);
    // A second login's state with the first login's code: the OP is never asked.
    let auth = sp.start().await;
    let state = url::Url::parse(&auth).unwrap().query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let path = callback_path(&format!("{SP_BASE}/oidc/acme/callback"), &code, &state, &sp.op.base);
    let t = sp.callback(&path).await;
    assert_eq!(failed_check(&t).as_deref(), Some("replay"), "{:#?}", t.report);
    assert_eq!(t.report.stopped_by.as_ref().unwrap().code, "replay");
    assert_eq!(sp.op.op().token_calls, 1, "no second exchange");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_kid_refetches_the_jwks_once_per_minute() {
    let sp = Sp::new();
    // The OP rotates: the new key signs, and its JWKS lists it; the cached JWKS does not.
    sp.op.op().rotate("k2", true);
    let (t, _, _) = sp.login("ada-sub").await;
    assert_eq!(t.report.outcome, Outcome::Created, "{:#?}", t.report);
    assert_eq!(sp.op.op().jwks_calls, 1);
    let cached = sp.workbench().store().get_connection("acme").unwrap().oidc.unwrap().jwks_json.unwrap();
    assert!(cached.contains("\"k2\""), "the refetched JWKS is stored: {cached}");

    // Another rotation within 60 s: not refetched, so the signature check fails.
    sp.clock.advance(30);
    sp.op.op().rotate("k3", true);
    let (t, _, _) = sp.login("bob-sub").await;
    assert_eq!(failed_check(&t).as_deref(), Some("signature"), "{:#?}", t.report);
    assert_eq!(sp.op.op().jwks_calls, 1, "at most one refetch per connection per 60 s");

    // A minute later it is fetched again, and the login goes through.
    sp.clock.advance(31);
    let (t, _, _) = sp.login("bob-sub").await;
    assert_eq!(t.report.outcome, Outcome::Created, "{:#?}", t.report);
    assert_eq!(sp.op.op().jwks_calls, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_reaches_the_catalog_the_document_or_the_json() {
    let sp = Sp::new();
    let (t, code, _) = sp.login("ada-sub").await;
    assert_eq!(t.report.outcome, Outcome::Created);
    sp.op.op().token_error = Some((401, json!({"error": "invalid_client"}).to_string()));
    let (rejected, _, _) = sp.login("ada-sub").await;
    assert_eq!(failed_check(&rejected).as_deref(), Some("token_response"));
    let access_tokens = sp.op.op().access_tokens();
    assert!(!access_tokens.is_empty());
    // Everything the catalog holds, WAL included (checkpointed by opening and closing).
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(sp.db.parent().unwrap()).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    let catalog = String::from_utf8_lossy(&bytes);
    let detail = serde_json::to_string(&sp.workbench().test_login_detail(t.id).unwrap()).unwrap();
    let logins = serde_json::to_string(&sp.workbench().test_logins(None, 100).unwrap()).unwrap();
    for secret in access_tokens.iter().map(String::as_str).chain([CLIENT_SECRET, code.as_str()]) {
        assert!(!catalog.contains(secret), "{secret} is in the catalog");
        assert!(!t.response_xml.as_deref().unwrap_or("").contains(secret), "{secret} is in the document");
        assert!(!detail.contains(secret) && !logins.contains(secret), "{secret} is in the JSON");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_host_guard_answers_localhost_and_127_0_0_1_only() {
    let sp = Sp::new();
    for host in ["127.0.0.1:7777", "localhost:7777"] {
        let (status, headers, body) = sp.get_with_host("/oidc/acme/login", host).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{host}: {body}");
        assert!(headers[header::LOCATION].to_str().unwrap().starts_with(&sp.op.base));
    }
    for host in ["attacker.example:7777", "localhost:7778", "127.0.0.1.attacker.example:7777"] {
        let (status, _, _) = sp.get_with_host("/oidc/acme/login", host).await;
        assert_eq!(status, StatusCode::MISDIRECTED_REQUEST, "{host}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_localhost_connection_sends_a_localhost_redirect_uri() {
    let sp = Sp::new();
    let wb = sp.workbench();
    let mut c = wb.store().get_connection("acme").unwrap();
    c.oidc.as_mut().unwrap().redirect_host = RedirectHost::Localhost;
    wb.store().update_connection(&c, start_time()).unwrap();
    let auth = sp.start().await;
    let (_, callback) = sp.op.authorize(&auth, "ada-sub", "ada@example.com");
    let redirect =
        url::Url::parse(&auth).unwrap().query_pairs().find(|(k, _)| k == "redirect_uri").unwrap().1.into_owned();
    assert_eq!(redirect, "http://localhost:7777/oidc/acme/callback");
    // The browser comes back on localhost; the guard lets it in and the login completes.
    let (status, headers, body) = sp.get_with_host(&callback, "localhost:7777").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let id: i64 = headers[header::LOCATION].to_str().unwrap().strip_prefix("/test-logins/").unwrap().parse().unwrap();
    assert_eq!(sp.workbench().test_login(id).unwrap().report.outcome, Outcome::Created);
}

// ------------------------------------------------------------------------------------
// Offline: a pasted ID token, through the CLI

/// A catalog with connection `acme` for an OP that is not running (offline judging needs
/// only the cached JWKS), and a token it signed.
struct Offline {
    dir: tempfile::TempDir,
    token: PathBuf,
    nonce: &'static str,
    at: DateTime<Utc>,
}

impl Offline {
    fn new() -> Offline {
        let dir = tempfile::tempdir().unwrap();
        let secrets =
            handshake::secrets::open(&handshake::secrets::SecretStoreKind::File(dir.path().join("secrets"))).unwrap();
        let at = start_time();
        let op = FakeOp::start(Arc::new(TestClock::at(at)));
        add_connection(&dir.path().join("catalog.db"), secrets.as_ref(), "acme", op.settings());
        let token = {
            let s = op.op();
            let claims = json!({
                "iss": op.base, "sub": "ada-sub", "aud": CLIENT_ID, "iat": at.timestamp(), "exp": at.timestamp() + 300,
                "nonce": "n-1", "email": "ada@example.com", "email_verified": true,
            });
            let header = json!({ "alg": "RS256", "typ": "JWT", "kid": "k1" });
            sign_compact(
                header.as_object().unwrap(),
                claims.as_object().unwrap(),
                &JwsKey::new(s.key("k1").clone(), Alg::RS256).unwrap(),
            )
            .unwrap()
        };
        let path = dir.path().join("token.jwt");
        std::fs::write(&path, format!("{token}\n")).unwrap();
        Offline { dir, token: path, nonce: "n-1", at }
    }

    fn run(&self, args: &[&str]) -> (i32, Value) {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_handshake"))
            .arg("--db")
            .arg(self.dir.path().join("catalog.db"))
            .arg("--secret-store")
            .arg(format!("file:{}", self.dir.path().join("secrets").display()))
            .args(args)
            .env_remove("HANDSHAKE_DB")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let json = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{e}: {stdout} {}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code().unwrap(), json)
    }
}

#[test]
fn cli_verify_id_token_prints_the_verdict_checks_header_and_claims() {
    let o = Offline::new();
    let at = o.at.to_rfc3339();
    let token = o.token.to_str().unwrap();
    let (code, json) = o.run(&[
        "verify-id-token",
        "--connection",
        "acme",
        "--token",
        token,
        "--at",
        &at,
        "--nonce",
        o.nonce,
        "--json",
    ]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["verdict"], "accepted");
    let checks = json["checks"].as_array().unwrap();
    let ids: Vec<&str> = checks.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"signature") && ids.contains(&"nonce") && ids.contains(&"audience"), "{ids:?}");
    assert!(checks.iter().all(|c| c["status"] != "fail"), "{checks:#?}");
    assert_eq!(json["claims"]["sub"], "ada-sub");
    assert_eq!(json["header"]["kid"], "k1");
    assert!(!json.to_string().contains(&std::fs::read_to_string(&o.token).unwrap().trim().to_owned()));

    // A wrong nonce, and a time after exp: rejected, exit 1, the check named.
    let (code, json) = o.run(&[
        "verify-id-token",
        "--connection",
        "acme",
        "--token",
        token,
        "--at",
        &at,
        "--nonce",
        "other",
        "--json",
    ]);
    assert_eq!((code, json["verdict"].as_str()), (1, Some("rejected")));
    assert_eq!(json["error"]["check"], "nonce", "{json:#}");
    let later = (o.at + Duration::hours(2)).to_rfc3339();
    let (code, json) = o.run(&["verify-id-token", "--connection", "acme", "--token", token, "--at", &later, "--json"]);
    assert_eq!(code, 1);
    assert_eq!(json["error"]["check"], "time_window", "{json:#}");
}

#[test]
fn cli_provision_id_token_dry_run_writes_nothing_and_then_provisions() {
    let o = Offline::new();
    let at = o.at.to_rfc3339();
    let token = o.token.to_str().unwrap();
    let args =
        ["provision-id-token", "--connection", "acme", "--token", token, "--at", &at, "--nonce", o.nonce, "--json"];
    let (code, json) = o.run(&[&args[..], &["--dry-run"]].concat());
    assert_eq!(code, 0, "{json:#}");
    assert_eq!((json["outcome"].as_str(), json["dry_run"].as_bool()), (Some("created"), Some(true)));
    assert_eq!(json["verdict"], "accepted");
    assert!(json["checks"].is_array());
    assert_eq!(json["claims"]["email"], "ada@example.com");
    assert_eq!(json["header"]["alg"], "RS256");
    let store = Store::open(&o.dir.path().join("catalog.db")).unwrap();
    let users: i64 = crate::sql(&store).query_row("SELECT count(*) FROM users", [], |r| r.get(0)).unwrap();
    assert_eq!(users, 0, "a dry run writes nothing");

    let (code, json) = o.run(&args);
    assert_eq!((code, json["outcome"].as_str(), json["dry_run"].as_bool()), (0, Some("created"), Some(false)));
    // The same token again is a replay (its nonce was consumed).
    let (code, json) = o.run(&args);
    assert_eq!((code, json["outcome"].as_str()), (1, Some("rejected")));
    assert_eq!(json["failed_check"], "replay", "{json:#}");
}

#[test]
fn a_pasted_id_token_is_judged_by_the_capture_analysis_and_writes_nothing() {
    use handshake::workbench::{JudgeAt, JudgingContext};
    let o = Offline::new();
    let secrets =
        handshake::secrets::open(&handshake::secrets::SecretStoreKind::File(o.dir.path().join("secrets"))).unwrap();
    let wb = Workbench::with_parts(Store::open(&o.dir.path().join("catalog.db")).unwrap(), secrets, SP_BASE.into());
    let token = std::fs::read_to_string(&o.token).unwrap();
    // At the token's own iat: accepted, as a dry run.
    let context = JudgingContext { judge_at: JudgeAt::Response, ..JudgingContext::default() };
    let r = wb.analyze_response("acme", &token, &context, o.at + Duration::days(30)).unwrap();
    assert_eq!(r.at, o.at);
    assert_eq!(r.report.outcome, Outcome::Created, "{:#?}", r.report);
    assert!(r.report.dry_run);
    assert_eq!(r.judged.entity_id.value, CLIENT_ID);
    assert_eq!(r.judged.acs_url.value, format!("{SP_BASE}/oidc/acme/callback"));
    assert!(r.xml.iter().any(|l| l.text.contains("\"sub\": \"ada-sub\"") && l.signed), "{:#?}", r.xml);
    assert!(!r.xml.iter().any(|l| l.text.contains(token.trim())), "the compact token is never shown");
    // Now (a month later): the time window fails.
    let r = wb.analyze_response("acme", &token, &JudgingContext::default(), o.at + Duration::days(30)).unwrap();
    assert_eq!(r.report.failed_check.map(|s| s.as_str()), Some("time_window"));
    // Nothing was written, either time.
    let store = Store::open(&o.dir.path().join("catalog.db")).unwrap();
    let written: i64 = crate::sql(&store)
        .query_row("SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM consumed_ids) + (SELECT count(*) FROM audit_log WHERE kind = 'login')", [], |r| r.get(0))
        .unwrap();
    assert_eq!(written, 0);
    // The test-login button's URL follows the protocol.
    assert_eq!(wb.login_url("acme", SP_BASE).unwrap(), format!("{SP_BASE}/oidc/acme/login"));
}

/// The values the login mapped for claim `name`.
fn mapped<'a>(t: &'a handshake::login::TestLogin, name: &str) -> Vec<&'a str> {
    t.report.attributes.iter().filter(|a| a.name == name).flat_map(|a| a.values.iter().map(String::as_str)).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn regression_userinfo_adds_claims_but_never_to_or_about_what_the_id_token_said() {
    let sp = Sp::new();
    {
        let mut op = sp.op.op();
        op.id_token_without = vec!["email_verified".into()];
        op.id_token_extra = json!({ "realm_access": { "roles": ["user"] } }).as_object().unwrap().clone();
        // userinfo vouches for ANOTHER address, and adds to `realm_access.roles` by a dotted name.
        op.userinfo_extra = json!({
            "email": "someone-else@example.com",
            "email_verified": true,
            "realm_access.roles": ["admin"],
            "groups": ["staff"],
        })
        .as_object()
        .unwrap()
        .clone();
    }
    let (t, _, _) = sp.login("ada-sub").await;
    assert_eq!(t.report.outcome, Outcome::Created, "{:#?}", t.report);
    // A claim only userinfo has is the OP's word (OIDC Core §5.3.2: its sub matched).
    assert_eq!(mapped(&t, "groups"), ["staff"]);
    // It never changes or adds to a claim of the signed ID token...
    assert_eq!(mapped(&t, "email"), ["ada-sub@example.com"]);
    assert_eq!(mapped(&t, "realm_access.roles"), ["user"], "{:#?}", t.report.attributes);
    // ...and its email_verified speaks of its own address, not the ID token's.
    assert!(mapped(&t, "email_verified").is_empty(), "{:#?}", t.report.attributes);

    // When userinfo's address is the ID token's, its email_verified is about that address.
    sp.op.op().userinfo_extra.insert("email".into(), json!("grace-sub@example.com"));
    let (t, _, _) = sp.login("grace-sub").await;
    assert_eq!(mapped(&t, "email_verified"), ["true"], "{:#?}", t.report.attributes);
}

#[tokio::test(flavor = "multi_thread")]
async fn regression_a_userinfo_member_given_twice_is_refused_like_in_the_id_token() {
    let sp = Sp::new();
    sp.op.op().id_token_without = vec!["email_verified".into()];
    // serde_json keeps the last of two members, another parser the first: which one the OP meant
    // is unknowable, so the answer is not read (as a duplicate in the ID token is refused).
    sp.op.op().userinfo_raw =
        Some(r#"{"sub":"ada-sub","email_verified":false,"groups":["staff"],"email_verified":true}"#.into());
    let (t, _, _) = sp.login("ada-sub").await;
    assert!(mapped(&t, "email_verified").is_empty(), "{:#?}", t.report.attributes);
    assert!(mapped(&t, "groups").is_empty(), "{:#?}", t.report.attributes);
    let notes = t.report.trace.as_ref().map(|tr| tr.notes.join("\n")).unwrap_or_default();
    let all = format!("{notes}\n{:?}", t.report);
    assert!(all.contains("email_verified") && all.contains("twice"), "{all}");
}
