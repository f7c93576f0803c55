//! A login is one transaction (issue #12; an OIDC login at its callback too, issue #14): `handshake serve` is killed between each pair of
//! its writes (the AuthnRequest answered, the account, the audit row, the test-login row) and
//! the catalog holds none of them afterwards; the same response then logs in whole.
//! Needs the `fault-injection` feature (the test command builds with all features).
#![cfg(feature = "fault-injection")]

use std::io::{BufRead as _, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use handshake::clock::{Clock as _, SystemClock};
use handshake::fault::POINTS;
use handshake::idp::response::IssueOptions;
use handshake::idp::sign::to_post_form_value;
use handshake::idp::{AttributeSpec, ResponseSpec, SignatureAlgorithm};
use handshake::secrets::SecretStoreKind;
use handshake::store::Store;
use handshake::workbench::Workbench;

use crate::fake_op::{FakeOp, add_connection};
use crate::provisioning::idp_key;
use crate::validation::generator;

/// A catalog with connection `acme` (the fixture IdP) and its file secret store.
struct Catalog {
    dir: tempfile::TempDir,
}

impl Catalog {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let c = Catalog { dir };
        c.workbench().import_connection(&generator::fixture_connection("acme"), SystemClock.now()).unwrap();
        c
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("catalog.db")
    }

    fn secrets(&self) -> PathBuf {
        self.dir.path().join("secrets")
    }

    fn workbench(&self) -> Workbench {
        let secrets = handshake::secrets::open(&SecretStoreKind::File(self.secrets())).unwrap();
        Workbench::with_parts(Store::open(&self.db()).unwrap(), secrets, "http://127.0.0.1:7777".into())
    }

    /// Rows of each table a login writes: answered requests, users, audit rows, test logins,
    /// consumed assertion IDs.
    fn written(&self) -> [i64; 5] {
        let store = Store::open(&self.db()).unwrap();
        let count = |sql: &str| crate::sql(&store).query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
        [
            count("SELECT count(*) FROM authn_requests WHERE used_at IS NOT NULL"),
            count("SELECT count(*) FROM users"),
            count("SELECT count(*) FROM audit_log WHERE kind = 'login'"),
            count("SELECT count(*) FROM test_logins"),
            count("SELECT count(*) FROM consumed_ids"),
        ]
    }

    /// `handshake serve` on a free loopback port, crashing at `fault` if given.
    fn serve(&self, fault: Option<&str>) -> Server {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_handshake"));
        cmd.arg("--db")
            .arg(self.db())
            .arg("--secret-store")
            .arg(format!("file:{}", self.secrets().display()))
            .args(["--port", &port.to_string(), "serve"])
            .env_remove("HANDSHAKE_FAULT")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(point) = fault {
            cmd.env("HANDSHAKE_FAULT", point);
        }
        let mut child = cmd.spawn().unwrap();
        // Serving once it says so (bounded: the child exits on any startup error).
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let listening = lines.by_ref().map_while(Result::ok).any(|l| l.contains("listening on"));
        assert!(listening, "handshake serve did not start");
        std::thread::spawn(move || lines.for_each(drop));
        Server { child, base: format!("http://127.0.0.1:{port}") }
    }
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn client() -> reqwest::blocking::Client {
        reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap()
    }

    /// Starts an SP-initiated login: the ID of the AuthnRequest the SP sent.
    fn start_login(&self) -> String {
        let res = Self::client().get(format!("{}/saml/acme/login", self.base)).send().unwrap();
        let to = res.headers()["location"].to_str().unwrap().to_owned();
        let url = url::Url::parse(&to).unwrap();
        let encoded = url.query_pairs().find(|(k, _)| k == "SAMLRequest").unwrap().1.into_owned();
        let deflated = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, encoded).unwrap();
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut flate2::read::DeflateDecoder::new(&deflated[..]), &mut xml).unwrap();
        let id = regex::Regex::new(r#" ID="([^"]+)""#).unwrap();
        id.captures(&xml).unwrap()[1].to_owned()
    }

    /// Posts `saml_response` to the ACS; `None` when the server died answering.
    fn post(&self, saml_response: &str) -> Option<reqwest::StatusCode> {
        let form = [("SAMLResponse", saml_response)];
        Self::client().post(format!("{}/saml/acme/acs", self.base)).form(&form).send().ok().map(|r| r.status())
    }

    /// Waits (bounded) for the server to die; whether it was killed by the crash point.
    fn crashed(mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return !status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A signed response for Ada answering `request`, valid now, with a unique assertion ID.
fn response(request: &str, audience: &str, n: u32) -> String {
    let now = SystemClock.now();
    let mut s = ResponseSpec::new(generator::IDP_ENTITY_ID, audience, generator::ACS_URL, "ada@example.com", now);
    s.response_id = format!("_crash_resp{n:04}");
    s.assertion_id = format!("_crash_assn{n:04}");
    s.attributes = vec![AttributeSpec::new("email", &["ada@example.com"]), AttributeSpec::new("firstName", &["Ada"])];
    let s = s.solicited_by(request);
    let opts = IssueOptions {
        sign_assertion: true,
        sign_response: true,
        algorithm: SignatureAlgorithm::RsaSha256,
        encrypt_to: None,
    };
    to_post_form_value(&s.issue(&idp_key(), &opts).unwrap())
}

/// The crash points a login passes: every one for a login that signs someone in, all but the
/// account's for a rejected one.
fn points_of(signs_in: bool) -> impl Iterator<Item = &'static str> {
    POINTS.into_iter().filter(move |p| signs_in || *p != "after_user_write")
}

fn crash_at_every_point_then_log_in(audience: &str, signs_in: bool) {
    for (n, point) in points_of(signs_in).enumerate() {
        let catalog = Catalog::new();
        let server = catalog.serve(Some(point));
        let request = server.start_login();
        let saml = response(&request, audience, n as u32);
        assert_eq!(server.post(&saml), None, "{point}: the server answered instead of crashing");
        assert!(server.crashed(), "{point}: the server did not crash there");
        assert_eq!(catalog.written(), [0; 5], "{point}: half a login was written");

        // The request is still outstanding and the assertion unused: the same response logs in whole.
        let server = catalog.serve(None);
        assert!(server.post(&saml).is_some_and(|s| s.is_redirection() || s.is_success()), "{point}");
        let consumed = i64::from(signs_in);
        assert_eq!(catalog.written(), [1, consumed, 1, 1, consumed], "{point}: the login after the crash");
        let login = &catalog.workbench().test_logins(Some("acme"), 1).unwrap()[0];
        assert_eq!(login.outcome.signed_in(), signs_in, "{point}: {login:?}");
    }
}

#[test]
fn a_crash_between_any_two_writes_of_a_login_leaves_nothing() {
    crash_at_every_point_then_log_in(generator::SP_ENTITY_ID, true);
}

#[test]
fn a_crash_while_recording_a_rejection_leaves_nothing() {
    crash_at_every_point_then_log_in("https://another-app.example/sp", false);
}

// ------------------------------------------------------------------------------------
// OpenID Connect: the same rule for a login completed at the callback

impl Catalog {
    /// Connection `op` for `fake`, an OIDC connection beside `acme`.
    fn add_oidc(&self, fake: &FakeOp) {
        let secrets = handshake::secrets::open(&SecretStoreKind::File(self.secrets())).unwrap();
        add_connection(&self.db(), secrets.as_ref(), "op", fake.settings());
    }

    /// Rows of each table an OIDC login writes: answered requests, users, audit rows, test
    /// logins, consumed nonces and codes.
    fn written_oidc(&self) -> [i64; 5] {
        let store = Store::open(&self.db()).unwrap();
        let count = |sql: &str| crate::sql(&store).query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
        [
            count("SELECT count(*) FROM oidc_requests WHERE used_at IS NOT NULL"),
            count("SELECT count(*) FROM users"),
            count("SELECT count(*) FROM audit_log WHERE kind = 'login'"),
            count("SELECT count(*) FROM test_logins"),
            count("SELECT count(*) FROM consumed_ids"),
        ]
    }
}

impl Server {
    /// Starts an OIDC login at connection `op`; the callback path the fake OP sends back.
    fn start_oidc_login(&self, fake: &FakeOp) -> String {
        let res = Self::client().get(format!("{}/oidc/op/login", self.base)).send().unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER);
        let auth = res.headers()["location"].to_str().unwrap().to_owned();
        fake.authorize(&auth, "ada-sub", "ada@example.com").1
    }

    /// The callback; `None` when the server died answering.
    fn callback(&self, path: &str) -> Option<reqwest::StatusCode> {
        Self::client().get(format!("{}{path}", self.base)).send().ok().map(|r| r.status())
    }
}

fn oidc_crash_at_every_point_then_log_in(signs_in: bool) {
    let fake = FakeOp::start(Arc::new(SystemClock));
    {
        let mut op = fake.op();
        // The retry after a crash redeems the same code again (a real OP would refuse it:
        // the code is spent there, and the admin starts a new login).
        op.reusable_codes = true;
        if !signs_in {
            op.audience = Some("another-client".into());
        }
    }
    for point in points_of(signs_in) {
        let catalog = Catalog::new();
        catalog.add_oidc(&fake);
        let server = catalog.serve(Some(point));
        let callback = server.start_oidc_login(&fake);
        assert_eq!(server.callback(&callback), None, "{point}: the server answered instead of crashing");
        assert!(server.crashed(), "{point}: the server did not crash there");
        assert_eq!(catalog.written_oidc(), [0; 5], "{point}: half an OIDC login was written");

        // The request is still outstanding, the nonce and the code unused: the same callback logs in whole.
        let server = catalog.serve(None);
        assert!(server.callback(&callback).is_some_and(|s| s.is_redirection() || s.is_success()), "{point}");
        let (users, consumed) = if signs_in { (1, 2) } else { (0, 0) };
        assert_eq!(catalog.written_oidc(), [1, users, 1, 1, consumed], "{point}: the login after the crash");
        let login = &catalog.workbench().test_logins(Some("op"), 1).unwrap()[0];
        assert_eq!(login.outcome.signed_in(), signs_in, "{point}: {login:?}");
    }
}

#[test]
fn a_crash_between_any_two_writes_of_an_oidc_login_leaves_nothing() {
    oidc_crash_at_every_point_then_log_in(true);
}

#[test]
fn a_crash_while_recording_a_rejected_oidc_login_leaves_nothing() {
    oidc_crash_at_every_point_then_log_in(false);
}

// ------------------------------------------------------------------------------------
// SCIM (issue #15): a request is one transaction too (the account and its identity, the
// resource, the audit row, the request-log row).

impl Catalog {
    /// Turns on acme's SCIM endpoint: its token.
    fn enable_scim(&self) -> String {
        self.workbench().scim_enable("acme", None, SystemClock.now()).unwrap().token.expose().clone()
    }

    /// Rows a SCIM request writes: resources (and their versions), accounts, identities,
    /// deactivated accounts, SCIM audit rows, request-log rows.
    fn scim_written(&self) -> [i64; 6] {
        let store = Store::open(&self.db()).unwrap();
        let count = |sql: &str| crate::sql(&store).query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
        [
            count("SELECT coalesce(sum(version), 0) FROM scim_resources"),
            count("SELECT count(*) FROM users"),
            count("SELECT count(*) FROM user_identities"),
            count("SELECT count(*) FROM users WHERE status = 'deactivated'"),
            count("SELECT count(*) FROM audit_log WHERE kind = 'scim'"),
            count("SELECT count(*) FROM scim_requests"),
        ]
    }
}

impl Server {
    /// A SCIM request with the bearer token; `None` when the server died answering.
    fn scim(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: &serde_json::Value,
    ) -> Option<(u16, serde_json::Value)> {
        let res = Self::client()
            .request(method, format!("{}/scim/acme/v2{path}", self.base))
            .bearer_auth(token)
            .header("content-type", "application/scim+json")
            .body(body.to_string())
            .send()
            .ok()?;
        let status = res.status().as_u16();
        Some((status, serde_json::from_str(&res.text().unwrap_or_default()).unwrap_or(serde_json::Value::Null)))
    }
}

fn scim_user() -> serde_json::Value {
    serde_json::json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bjensen",
                       "emails": [{"value": "bjensen@example.com", "primary": true}], "password": "never-kept"})
}

#[test]
fn a_crash_between_any_two_writes_of_a_scim_create_leaves_nothing_and_the_retry_succeeds() {
    for point in handshake::fault::SCIM_POINTS {
        let catalog = Catalog::new();
        let token = catalog.enable_scim();
        let server = catalog.serve(Some(point));
        assert_eq!(server.scim(&token, reqwest::Method::POST, "/Users", &scim_user()), None, "{point}: answered");
        assert!(server.crashed(), "{point}: the server did not crash there");
        assert_eq!(catalog.scim_written(), [0; 6], "{point}: half a SCIM request was written");

        let server = catalog.serve(None);
        let (status, doc) = server.scim(&token, reqwest::Method::POST, "/Users", &scim_user()).unwrap();
        assert_eq!(status, 201, "{point}: {doc}");
        assert_eq!(catalog.scim_written(), [1, 1, 1, 0, 1, 1], "{point}: the request after the crash");
    }
}

#[test]
fn a_crash_while_scim_deactivates_a_user_leaves_it_active_and_the_retry_deactivates_it() {
    let patch = serde_json::json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                   "Operations": [{"op": "replace", "path": "active", "value": false}]});
    for point in handshake::fault::SCIM_POINTS {
        let catalog = Catalog::new();
        let token = catalog.enable_scim();
        let id = {
            let server = catalog.serve(None);
            let (status, doc) = server.scim(&token, reqwest::Method::POST, "/Users", &scim_user()).unwrap();
            assert_eq!(status, 201);
            doc["id"].as_str().unwrap().to_owned()
        };
        let created = catalog.scim_written();
        assert_eq!(created, [1, 1, 1, 0, 1, 1]);
        let server = catalog.serve(Some(point));
        assert_eq!(server.scim(&token, reqwest::Method::PATCH, &format!("/Users/{id}"), &patch), None, "{point}");
        assert!(server.crashed(), "{point}: the server did not crash there");
        assert_eq!(catalog.scim_written(), created, "{point}: half a deactivation was written");

        let server = catalog.serve(None);
        let (status, doc) = server.scim(&token, reqwest::Method::PATCH, &format!("/Users/{id}"), &patch).unwrap();
        assert_eq!((status, doc["active"].clone()), (200, serde_json::json!(false)), "{point}");
        assert_eq!(catalog.scim_written(), [2, 1, 1, 1, 2, 2], "{point}: the deactivation after the crash");
    }
}
