//! The embedded SP over HTTP: driven through the router without a socket, and once through
//! a real socket on 127.0.0.1.

use std::io::Read as _;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, Duration, Utc};
use handshake::clock::Clock;
use handshake::connection::SecurityPolicy;
use handshake::idp::response::IssueOptions;
use handshake::idp::sign::to_post_form_value;
use handshake::idp::{AttributeSpec, ResponseSpec, SignatureAlgorithm, SigningKey};
use handshake::secrets::{MemoryStore, SecretStore};
use handshake::server::{AppState, Pool, ServeOptions, router};
use handshake::store::Store;
use handshake::workbench::Workbench;
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

use crate::provisioning::idp_key;
use crate::validation::generator;

/// A clock the test moves.
#[derive(Clone)]
struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

struct Sp {
    _dir: tempfile::TempDir,
    state: AppState,
    clock: TestClock,
    key: SigningKey,
    db: std::path::PathBuf,
    secrets: Arc<dyn SecretStore>,
}

impl Sp {
    fn new() -> Self {
        Self::with_acs(None)
    }

    /// Connection `acme` for the fixture IdP; `acs` overrides the ACS URL (default: the fixture's).
    fn with_acs(acs: Option<&str>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("sp.db");
        let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
        let open = || Workbench::with_parts(Store::open(&db).unwrap(), secrets.clone(), "http://127.0.0.1:7777".into());
        let first = open();
        let mut request = generator::fixture_connection("acme");
        request.acs_url = Some(acs.unwrap_or(generator::ACS_URL).into());
        first.import_connection(&request, generator::judged_at()).unwrap();
        let clock = TestClock(Arc::new(Mutex::new(generator::judged_at())));
        // Requests through `router` without a socket name the port of the workbench's base URL.
        let state = AppState::new(Pool::new(vec![first, open()]), Arc::new(clock.clone())).unwrap().bound_to(7777);
        Sp { db: db.clone(), _dir: dir, state, clock, key: idp_key(), secrets }
    }

    fn workbench(&self) -> Workbench {
        Workbench::with_parts(Store::open(&self.db).unwrap(), self.secrets.clone(), "http://127.0.0.1:7777".into())
    }

    /// Sends `req` through the router, with our own Host unless it has one.
    async fn send(&self, mut req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
        if !req.headers().contains_key(header::HOST) {
            req.headers_mut().insert(header::HOST, "127.0.0.1:7777".parse().unwrap());
        }
        let res = router(self.state.clone()).oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        (status, headers, String::from_utf8_lossy(&body).into_owned())
    }

    async fn get(&self, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        self.send(Request::get(path).body(Body::empty()).unwrap()).await
    }

    async fn post_acs(&self, connection: &str, form: String) -> (StatusCode, axum::http::HeaderMap, String) {
        self.send(
            Request::post(format!("/saml/{connection}/acs"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form))
                .unwrap(),
        )
        .await
    }

    /// A response for `email`, answering `request` if given, issued at the clock's time,
    /// with its Destination and Recipient set to `acs`.
    fn response(&self, email: &str, request: Option<&str>, acs: &str, n: u32) -> String {
        let now = self.clock.now();
        let mut s = ResponseSpec::new(generator::IDP_ENTITY_ID, generator::SP_ENTITY_ID, acs, email, now);
        s.response_id = format!("_resp{n:06}");
        s.assertion_id = format!("_assn{n:06}");
        s.attributes = vec![AttributeSpec::new("email", &[email]), AttributeSpec::new("firstName", &["Ada"])];
        if let Some(r) = request {
            s = s.solicited_by(r);
        }
        let opts = IssueOptions {
            sign_assertion: true,
            sign_response: true,
            algorithm: SignatureAlgorithm::RsaSha256,
            encrypt_to: None,
        };
        to_post_form_value(&s.issue(&self.key, &opts).unwrap())
    }
}

fn form(saml_response: &str) -> String {
    url::form_urlencoded::Serializer::new(String::new()).append_pair("SAMLResponse", saml_response).finish()
}

fn location(headers: &axum::http::HeaderMap) -> String {
    headers.get(header::LOCATION).unwrap().to_str().unwrap().to_owned()
}

/// Decodes the AuthnRequest of an HTTP-Redirect URL.
fn authn_request(url: &str) -> (String, url::Url) {
    let url = url::Url::parse(url).unwrap();
    let encoded = url.query_pairs().find(|(k, _)| k == "SAMLRequest").unwrap().1.into_owned();
    let deflated = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, encoded).unwrap();
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(&deflated[..]).read_to_string(&mut xml).unwrap();
    (xml, url)
}

#[tokio::test]
async fn metadata_and_index_pages() {
    let sp = Sp::new();
    let (status, headers, body) = sp.get("/saml/acme/metadata").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/samlmetadata+xml");
    assert!(body.contains(generator::ACS_URL));
    let (status, headers, body) = sp.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("default-src 'none'"));
    assert!(body.contains("/saml/acme/login"));
    assert_eq!(sp.get("/saml/nope/metadata").await.0, StatusCode::NOT_FOUND);
    assert_eq!(sp.get("/saml/..%2F..%2Fetc/metadata").await.0, StatusCode::NOT_FOUND);
    assert_eq!(sp.get("/elsewhere").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn sp_initiated_login_round_trip() {
    let sp = Sp::new();
    let mut events = sp.state.events.subscribe();
    let (status, headers, _) = sp.get("/saml/acme/login?return=/").await;
    assert!(status.is_redirection());
    let (xml, url) = authn_request(&location(&headers));
    assert!(url.as_str().starts_with("https://idp.handshake.test/saml/sso?"));
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let req = doc.root_element();
    let id = req.attribute("ID").unwrap().to_owned();
    assert!(id.len() > 32, "at least 128 random bits: {id}");
    assert_eq!(req.attribute("AssertionConsumerServiceURL"), Some(generator::ACS_URL));
    assert_eq!(req.attribute("Destination"), Some("https://idp.handshake.test/saml/sso"));
    assert!(xml.contains(generator::SP_ENTITY_ID));
    assert_eq!(url.query_pairs().find(|(k, _)| k == "RelayState").unwrap().1, id.as_str());
    assert!(url.query_pairs().all(|(k, _)| k != "Signature"), "unsigned unless asked");

    let (status, headers, _) =
        sp.post_acs("acme", form(&sp.response("ada@example.com", Some(&id), generator::ACS_URL, 1))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let result = location(&headers);
    let (status, _, page) = sp.get(&result).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("CREATED") && page.contains("ada@example.com") && page.contains("in_response_to"), "{page}");
    let event = events.try_recv().unwrap();
    assert_eq!((event.outcome.as_str(), event.connection.as_str()), ("created", "acme"));
    let stored = sp.workbench().test_login(event.id).unwrap();
    assert!(stored.response_xml.unwrap().contains("samlp:Response"));
    assert_eq!(stored.report.user.unwrap().email.as_deref(), Some("ada@example.com"));

    // The request answers once: the same request ID again is refused by its own check.
    let (_, headers, _) =
        sp.post_acs("acme", form(&sp.response("ada@example.com", Some(&id), generator::ACS_URL, 2))).await;
    let (_, _, page) = sp.get(&location(&headers)).await;
    assert!(
        page.contains("REJECTED") && page.contains("unexpected_in_response_to") || page.contains("in_response_to"),
        "{page}"
    );
    let t = sp.workbench().test_logins(None, 10).unwrap();
    assert_eq!(t[0].failed_check.map(handshake::login::Stop::as_str), Some("in_response_to"));
}

#[tokio::test]
async fn unknown_and_expired_requests_get_their_own_check() {
    let sp = Sp::new();
    sp.post_acs("acme", form(&sp.response("ada@example.com", Some("_never_issued"), generator::ACS_URL, 1))).await;
    let t = sp.workbench().test_logins(None, 1).unwrap();
    assert_eq!(t[0].failed_check.map(handshake::login::Stop::as_str), Some("in_response_to"));
    let first = sp.workbench().test_login(t[0].id).unwrap();
    assert_eq!(first.report.reason(), Some("unexpected_in_response_to"));

    let (_, headers, _) = sp.get("/saml/acme/login").await;
    let (xml, _) = authn_request(&location(&headers));
    let id = roxmltree::Document::parse(&xml).unwrap().root_element().attribute("ID").unwrap().to_owned();
    *sp.clock.0.lock().unwrap() += Duration::minutes(11);
    sp.post_acs("acme", form(&sp.response("ada@example.com", Some(&id), generator::ACS_URL, 2))).await;
    let t = sp.workbench().test_logins(None, 1).unwrap();
    let expired = sp.workbench().test_login(t[0].id).unwrap();
    assert_eq!(expired.report.reason(), Some("request_expired"));
}

#[tokio::test]
async fn idp_initiated_replay_and_policy() {
    let sp = Sp::new();
    let resp = sp.response("bob@example.com", None, generator::ACS_URL, 1);
    let (status, _, _) = sp.post_acs("acme", form(&resp)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let t = sp.workbench().test_logins(None, 1).unwrap();
    assert_eq!((t[0].outcome.as_str(), t[0].kind), ("created", handshake::login::LoginKind::IdpInitiated));
    sp.post_acs("acme", form(&resp)).await;
    let t = sp.workbench().test_logins(None, 1).unwrap();
    assert_eq!(t[0].failed_check.map(handshake::login::Stop::as_str), Some("replay"));
    let wb = sp.workbench();
    wb.set_policy(
        "acme",
        SecurityPolicy { allow_idp_initiated: false, ..SecurityPolicy::default() },
        generator::judged_at(),
    )
    .unwrap();
    sp.post_acs("acme", form(&sp.response("bob@example.com", None, generator::ACS_URL, 2))).await;
    let t = sp.workbench().test_logins(None, 1).unwrap();
    let refused = sp.workbench().test_login(t[0].id).unwrap();
    assert_eq!(refused.report.reason(), Some("unsolicited_refused"));
}

#[tokio::test]
async fn signed_authn_request_when_asked() {
    let sp = Sp::new();
    let wb = sp.workbench();
    wb.set_policy(
        "acme",
        SecurityPolicy { sign_authn_requests: true, ..SecurityPolicy::default() },
        generator::judged_at(),
    )
    .unwrap();
    let (_, headers, _) = sp.get("/saml/acme/login").await;
    let url = location(&headers);
    assert!(url.contains("SigAlg=") && url.contains("Signature="));
    let cert = wb.connection("acme", generator::judged_at()).unwrap().sp.certificate.unwrap();
    let verifier = samael::crypto::UrlVerifier::from_x509(&samael::crypto::CertificateDer::from(cert.der())).unwrap();
    assert!(verifier.verify_signed_request_url(&url::Url::parse(&url).unwrap()).unwrap());
}

#[tokio::test]
async fn acs_configured_elsewhere_still_validates_against_it() {
    let prod = "https://app.example.com/prod/saml/acs";
    let sp = Sp::with_acs(Some(prod));
    sp.post_acs("acme", form(&sp.response("ada@example.com", None, prod, 1))).await;
    let t = sp.workbench().test_logins(None, 1).unwrap();
    assert_eq!(t[0].outcome, handshake::login::Outcome::Created);
    // A response addressed to the local ACS is wrong for this connection.
    sp.post_acs("acme", form(&sp.response("ada@example.com", None, generator::ACS_URL, 2))).await;
    let t = sp.workbench().test_logins(None, 1).unwrap();
    assert_eq!(t[0].failed_check.map(handshake::login::Stop::as_str), Some("destination"));
}

#[tokio::test]
async fn bad_input_gets_a_clear_4xx_and_the_server_keeps_serving() {
    let sp = Sp::new();
    let (status, headers, body) = sp.post_acs("acme", "RelayState=x".into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html") && body.contains("SAMLResponse"));
    let (status, _, body) = sp.post_acs("acme", form("%%% garbage %%%")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("parse"));
    let huge = format!("SAMLResponse={}", "A".repeat(handshake::server::MAX_BODY_BYTES + 10));
    let (status, _, _) = sp.post_acs("acme", huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(sp.post_acs("nope", form("x")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(sp.get("/saml/acme/acs").await.0, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(sp.get("/test-logins/abc").await.0, StatusCode::NOT_FOUND);
    assert_eq!(sp.get("/test-logins/999").await.0, StatusCode::NOT_FOUND);
    // Still serving.
    let (status, _, _) = sp.post_acs("acme", form(&sp.response("ada@example.com", None, generator::ACS_URL, 1))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[test]
fn return_paths_stay_inside_handshake() {
    use handshake::login::record::safe_return_path;
    assert_eq!(safe_return_path("/connections/acme").as_deref(), Some("/connections/acme"));
    for bad in ["https://evil.example/", "//evil.example", "/\\evil.example", "javascript:alert(1)", "relative", "/x\n"]
    {
        assert_eq!(safe_return_path(bad), None, "{bad:?}");
    }
}

#[tokio::test]
async fn through_a_real_socket_with_graceful_shutdown() {
    let sp = Sp::new();
    let listener = handshake::server::bind(0).await.unwrap();
    let addr = listener.local_addr().unwrap();
    assert!(addr.ip().is_loopback());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(handshake::server::serve(listener, sp.state.clone(), async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let base = format!("http://{addr}");
    let res = client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = client
        .post(format!("{base}/saml/acme/acs"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&sp.response("ada@example.com", None, generator::ACS_URL, 1)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let page = client.get(format!("{base}{}", res.headers()["location"].to_str().unwrap())).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("CREATED"));
    // The port is taken now: a second bind says so.
    let err = handshake::server::bind(addr.port()).await.unwrap_err();
    assert!(err.message.contains("already in use"), "{}", err.message);
    stop.send(()).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(10), server).await.unwrap().unwrap().unwrap();
}

// ---- the local web surface (issue #11): only our own Host, slow clients cut off ----

use std::net::SocketAddr;
use std::time::Duration as StdDuration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// The embedded SP serving `sp` on a free loopback port until dropped.
struct Serving {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Serving {
    async fn start(sp: &Sp) -> Self {
        Self::with(sp, ServeOptions::default()).await
    }

    async fn with(sp: &Sp, options: ServeOptions) -> Self {
        let listener = handshake::server::bind(0).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(handshake::server::serve_with(listener, sp.state.clone(), options, async {
            let _ = stopped.await;
        }));
        Serving { addr, stop: Some(stop) }
    }
}

/// Short timeouts and a small cap, so the slow-client tests end quickly.
fn impatient() -> ServeOptions {
    ServeOptions {
        header_timeout: StdDuration::from_secs(2),
        body_timeout: StdDuration::from_secs(2),
        max_connections: 4,
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// One raw HTTP/1.x exchange on a fresh connection: writes `request`, reads until the server
/// closes the connection (bounded), returns what it sent.
async fn raw(addr: SocketAddr, request: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(StdDuration::from_secs(20), s.read_to_end(&mut out))
        .await
        .expect("the server answers and closes")
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes `head` at once, then `trickle` one byte every `every` while reading; returns what the
/// server sent if it closed the connection within 20 s, `None` if it never did.
async fn trickle(addr: SocketAddr, head: &str, trickle: &[u8], every: StdDuration) -> Option<String> {
    let s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut r, mut w) = s.into_split();
    let writer = async move {
        if w.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        for b in trickle {
            tokio::time::sleep(every).await;
            if w.write_all(&[*b]).await.is_err() {
                return;
            }
        }
        std::future::pending::<()>().await;
    };
    let reader = async move {
        let mut out = Vec::new();
        let _ = r.read_to_end(&mut out).await; // EOF or reset: closed by the server
        String::from_utf8_lossy(&out).into_owned()
    };
    let both = async {
        tokio::pin!(writer);
        tokio::select! {
            () = &mut writer => unreachable!(),
            got = reader => got,
        }
    };
    tokio::time::timeout(StdDuration::from_secs(20), both).await.ok()
}

fn rows(sp: &Sp) -> (i64, i64, i64) {
    let conn = rusqlite::Connection::open(&sp.db).unwrap();
    conn.query_row(
        "SELECT (SELECT count(*) FROM test_logins), (SELECT count(*) FROM users), (SELECT count(*) FROM audit_log WHERE kind = 'login')",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_dns_rebinding_hosts_get_421_and_no_test_login_data() {
    let sp = Sp::new();
    sp.post_acs("acme", form(&sp.response("ada@example.com", None, generator::ACS_URL, 1))).await;
    let id = sp.workbench().test_logins(None, 1).unwrap()[0].id;
    let server = Serving::start(&sp).await;
    let port = server.addr.port();
    let pages = ["/".to_owned(), format!("/test-logins/{id}")];
    let foreign = [
        format!("attacker.example:{port}"),
        format!("127.0.0.1.attacker.example:{port}"),
        format!("127.0.0.1:{}", port.wrapping_add(1)),
        format!("localhost:{}", port.wrapping_add(1)),
        "127.0.0.1".to_owned(),
        format!("127.0.0.1:+{port}"),
    ];
    for host in &foreign {
        for path in &pages {
            let res =
                raw(server.addr, &format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")).await;
            assert!(res.starts_with("HTTP/1.1 421"), "Host {host} {path}: {res}");
            assert!(!res.contains("ada@example.com") && !res.contains("acme"), "Host {host} {path} leaked: {res}");
            assert!(res.len() < 600, "a tiny answer: {} bytes", res.len());
        }
    }
    // An absolute-form request names its own authority: it must be ours too.
    let res = raw(
        server.addr,
        &format!("GET http://attacker.example:{port}/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert!(res.starts_with("HTTP/1.1 421"), "{res}");
    // No Host at all (HTTP/1.0): 400.
    let res = raw(server.addr, "GET / HTTP/1.0\r\n\r\n").await;
    assert!(res.starts_with("HTTP/1.0 400") || res.starts_with("HTTP/1.1 400"), "{res}");
    assert!(!res.contains("acme"));
    // Our own names on our port work.
    for host in
        [format!("127.0.0.1:{port}"), format!("localhost:{port}"), format!("LocalHost:{port}"), format!("[::1]:{port}")]
    {
        let res =
            raw(server.addr, &format!("GET /test-logins/{id} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"))
                .await;
        assert!(res.starts_with("HTTP/1.1 200") && res.contains("ada@example.com"), "Host {host}: {res}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_acs_refuses_non_form_bodies_before_any_write() {
    let sp = Sp::new();
    let junk = format!("SAMLResponse={}", "x".repeat(4 * 1024 * 1024));
    for content_type in [Some("text/plain"), Some("application/json"), Some("multipart/form-data; boundary=x"), None] {
        let mut req = Request::post("/saml/acme/acs");
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        let (status, _, body) = sp.send(req.body(Body::from(junk.clone())).unwrap()).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type:?}");
        assert!(body.len() < 4096, "{content_type:?}: a short page");
    }
    for empty in ["SAMLResponse=", "SAMLResponse=%20%0A", "RelayState=x"] {
        let (status, _, _) = sp.post_acs("acme", empty.into()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{empty}");
    }
    assert_eq!(rows(&sp), (0, 0, 0), "nothing stored for bodies that are not a SAMLResponse form");
    // A real IdP's form (charset parameter, cross-site Origin: the ACS is not CSRF-protected) works.
    let (status, _, _) = sp
        .send(
            Request::post("/saml/acme/acs")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded; charset=UTF-8")
                .header(header::ORIGIN, "https://idp.handshake.test")
                .header("sec-fetch-site", "cross-site")
                .body(Body::from(form(&sp.response("ada@example.com", None, generator::ACS_URL, 1))))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

/// A slow-loris client: headers one byte per second. The server hangs up on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_headers_sent_one_byte_a_second_are_cut_off() {
    let sp = Sp::new();
    let server = Serving::with(&sp, impatient()).await;
    let head = format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n", server.addr.port());
    let slow = format!("X-Slow: {}\r\n\r\n", "a".repeat(60));
    let got = trickle(server.addr, &head, slow.as_bytes(), StdDuration::from_secs(1)).await;
    let got = got.expect("the server closed the connection of a client that never finishes its headers");
    assert!(!got.contains("200 OK"), "{got}");
}

/// Headers at once, then the body trickled: the server answers 408 and hangs up, writing nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_a_trickled_body_is_cut_off() {
    let sp = Sp::new();
    let server = Serving::with(&sp, impatient()).await;
    let head = format!(
        "POST /saml/acme/acs HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\nSAMLResponse=",
        server.addr.port()
    );
    let got = trickle(server.addr, &head, &[b'A'; 200], StdDuration::from_millis(500)).await;
    let got = got.expect("the server closed the connection of a client that trickles its body");
    assert!(got.starts_with("HTTP/1.1 408"), "{got}");
    assert_eq!(rows(&sp), (0, 0, 0));
}

/// More idle connections than the server serves at once: the idle ones are closed after the
/// header timeout and a normal request is then served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_idle_connections_time_out_and_do_not_starve_a_normal_request() {
    let sp = Sp::new();
    let options = impatient();
    let server = Serving::with(&sp, options).await;
    let mut idle = Vec::new();
    for _ in 0..=options.max_connections {
        idle.push(tokio::net::TcpStream::connect(server.addr).await.unwrap());
    }
    let client = reqwest::Client::builder().timeout(StdDuration::from_secs(60)).build().unwrap();
    let res = client.get(format!("http://{}/", server.addr)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    for (i, c) in idle.iter_mut().enumerate() {
        let mut buf = [0u8; 64];
        let n = tokio::time::timeout(StdDuration::from_secs(20), c.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("idle connection {i} was never closed"));
        assert!(matches!(n, Ok(0) | Err(_)), "idle connection {i} got data: {n:?}");
    }
}

/// Beyond the cap, a connection waits for a free slot: the request is answered only once an
/// earlier connection ends (here: its client hangs up long before the header timeout).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_connections_beyond_the_cap_wait_for_a_free_slot() {
    let sp = Sp::new();
    let options =
        ServeOptions { header_timeout: StdDuration::from_secs(60), max_connections: 2, ..ServeOptions::default() };
    let server = Serving::with(&sp, options).await;
    let mut idle = Vec::new();
    for _ in 0..options.max_connections {
        idle.push(tokio::net::TcpStream::connect(server.addr).await.unwrap());
    }
    let addr = server.addr;
    let mut request = tokio::spawn(async move {
        raw(addr, &format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n", addr.port())).await
    });
    // Not answered while both slots are held (this can only pass, never flake, when the cap holds).
    assert!(
        tokio::time::timeout(StdDuration::from_secs(1), &mut request).await.is_err(),
        "answered beyond the cap of {} connections",
        options.max_connections
    );
    drop(idle);
    let res = tokio::time::timeout(StdDuration::from_secs(20), request).await.unwrap().unwrap();
    assert!(res.starts_with("HTTP/1.1 200"), "{res}");
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name} in {html}")) + marker.len();
    html[start..].split('"').next().unwrap().replace("&amp;", "&")
}

/// A sign-in form at the demo IdP expires: ten minutes after the page, its token is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_an_expired_demo_idp_token_is_refused() {
    let sp = Sp::new();
    sp.workbench().create_demo(None, generator::judged_at()).unwrap();
    let sign_in = |page: &str| {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("connection", "demo")
            .append_pair("request_id", &hidden(page, "request_id"))
            .append_pair("relay_state", &hidden(page, "relay_state"))
            .append_pair("token", &hidden(page, "token"))
            .append_pair("persona", "priya.shah@northwind.example")
            .finish();
        Request::post("/demo-idp/sso")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, "http://127.0.0.1:7777")
            .body(Body::from(body))
            .unwrap()
    };
    let picker = || async {
        let (_, headers, _) = sp.get("/saml/demo/login").await;
        let url = url::Url::parse(&location(&headers)).unwrap();
        let (status, _, page) = sp.get(&format!("{}?{}", url.path(), url.query().unwrap())).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        page
    };
    let before = rows(&sp);
    let page = picker().await;
    *sp.clock.0.lock().unwrap() += Duration::minutes(11);
    let (status, _, body) = sp.send(sign_in(&page)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(!body.contains("SAMLResponse") && body.contains("start the sign-in again"), "{body}");
    assert_eq!(rows(&sp), before);
    // Within its ten minutes, the same kind of form signs.
    let page = picker().await;
    *sp.clock.0.lock().unwrap() += Duration::minutes(9);
    let (status, _, body) = sp.send(sign_in(&page)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("SAMLResponse"));
}
