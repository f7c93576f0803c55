//! The RP's HTTP side against a real HTTP server on 127.0.0.1 (axum, in the test): what is
//! sent (client authentication, PKCE, the form), how each answer is read, and the limits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;

use super::*;
use crate::oidc::{Alg, RedirectHost};

/// A request as the test server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: HeaderMap,
    form: HashMap<String, String>,
}

type Respond = Arc<dyn Fn(&Seen) -> Response + Send + Sync>;

/// An HTTP server on a free loopback port answering every request with `respond`.
struct Loopback {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Loopback {
    async fn start(respond: impl Fn(&Seen) -> Response + Send + Sync + 'static) -> Loopback {
        let respond: Respond = Arc::new(respond);
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let log = seen.clone();
        let app = axum::Router::new().fallback(move |request: Request| {
            let respond = respond.clone();
            let log = log.clone();
            async move {
                let (parts, body) = request.into_parts();
                let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
                let form = url::form_urlencoded::parse(&bytes).into_owned().collect();
                let seen = Seen {
                    method: parts.method.to_string(),
                    path: parts.uri.path().to_owned(),
                    headers: parts.headers,
                    form,
                };
                log.lock().unwrap().push(seen.clone());
                respond(&seen)
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Loopback { base, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn json(status: u16, body: &str) -> Response {
    let mut r = (StatusCode::from_u16(status).unwrap(), body.to_owned()).into_response();
    r.headers_mut().insert("content-type", "application/json".parse().unwrap());
    r
}

fn settings(base: &str, client_auth: ClientAuth) -> OidcSettings {
    OidcSettings {
        issuer: base.to_owned(),
        discovery_url: None,
        discovery_json: None,
        discovered_at: None,
        authorization_endpoint: format!("{base}/authorize?tenant=t1"),
        token_endpoint: format!("{base}/token"),
        userinfo_endpoint: Some(format!("{base}/userinfo")),
        jwks_uri: format!("{base}/jwks"),
        jwks_json: None,
        jwks_fetched_at: None,
        client_id: "client one".to_owned(),
        client_auth,
        scopes: vec!["email".into(), "profile".into()],
        allowed_algs: vec![Alg::RS256],
        trusted_audiences: vec![],
        call_userinfo: true,
        redirect_host: RedirectHost::Loopback,
    }
}

const ACCESS_TOKEN: &str = "at-5ecret-value";
const REFRESH_TOKEN: &str = "rt-5ecret-value";
const CLIENT_SECRET: &str = "s3cret:with/odd&chars";
const REDIRECT: &str = "http://127.0.0.1:7777/oidc/acme/callback";

fn tokens_body() -> String {
    format!(
        r#"{{"access_token":"{ACCESS_TOKEN}","token_type":"Bearer","expires_in":"3599","refresh_token":"{REFRESH_TOKEN}","scope":"openid email","id_token":"eyJ.a.b"}}"#
    )
}

fn secret() -> Sensitive<String> {
    Sensitive::new(CLIENT_SECRET.to_owned())
}

fn code() -> Sensitive<String> {
    Sensitive::new("the-code".to_owned())
}

fn verifier() -> Sensitive<String> {
    Sensitive::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".to_owned())
}

async fn exchange_with(op: &Loopback, auth: ClientAuth, secret: Option<&Sensitive<String>>) -> Exchange {
    let http = token_client().unwrap();
    exchange(&http, &settings(&op.base, auth), secret, &code(), &verifier(), REDIRECT).await
}

#[test]
fn the_authorization_url_carries_the_code_flow_parameters() {
    let s = settings("https://op.example", ClientAuth::ClientSecretBasic);
    let url = url::Url::parse(&authorize_url(&s, REDIRECT, "st4te", "n0nce", &verifier()).unwrap()).unwrap();
    assert_eq!(url.path(), "/authorize");
    let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(q["tenant"], "t1", "the endpoint's own query is kept");
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], "client one");
    assert_eq!(q["redirect_uri"], REDIRECT);
    assert_eq!(q["scope"], "openid email profile", "openid comes first when the connection omits it");
    assert_eq!(q["state"], "st4te");
    assert_eq!(q["nonce"], "n0nce");
    assert_eq!(q["code_challenge"], "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(!url.as_str().contains("dBjftJeZ4CVP"), "the verifier never leaves in the URL");
}

#[tokio::test]
async fn client_secret_basic_sends_the_form_encoded_credentials_in_the_header() {
    let op = Loopback::start(|_| json(200, &tokens_body())).await;
    let answer = exchange_with(&op, ClientAuth::ClientSecretBasic, Some(&secret())).await;
    let Exchange::Tokens { id_token, access_token, token_type, scope } = &answer else { panic!("{answer:?}") };
    assert_eq!(id_token.as_deref(), Some("eyJ.a.b"));
    assert_eq!(access_token.as_ref().unwrap().expose(), ACCESS_TOKEN);
    assert_eq!(token_type.as_deref(), Some("Bearer"));
    assert_eq!(scope.as_deref(), Some("openid email"));
    let debug = format!("{answer:?}");
    assert!(!debug.contains(ACCESS_TOKEN) && !debug.contains(REFRESH_TOKEN), "{debug}");

    let seen = op.seen();
    let [request] = seen.as_slice() else { panic!("{seen:?}") };
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/token"));
    // RFC 6749 §2.3.1: id and secret each form-urlencoded, then Basic.
    let expected = base64::engine::general_purpose::STANDARD.encode("client+one:s3cret%3Awith%2Fodd%26chars");
    assert_eq!(request.headers["authorization"], format!("Basic {expected}").as_str());
    assert_eq!(request.form["grant_type"], "authorization_code");
    assert_eq!(request.form["code"], "the-code");
    assert_eq!(request.form["code_verifier"], verifier().expose().as_str());
    assert_eq!(request.form["redirect_uri"], REDIRECT);
    assert!(!request.form.contains_key("client_secret"));
}

#[tokio::test]
async fn client_secret_post_sends_the_credentials_in_the_body() {
    let op = Loopback::start(|_| json(200, &tokens_body())).await;
    let answer = exchange_with(&op, ClientAuth::ClientSecretPost, Some(&secret())).await;
    assert!(matches!(answer, Exchange::Tokens { .. }), "{answer:?}");
    let seen = op.seen();
    assert!(!seen[0].headers.contains_key("authorization"));
    assert_eq!(seen[0].form["client_id"], "client one");
    assert_eq!(seen[0].form["client_secret"], CLIENT_SECRET);
}

#[tokio::test]
async fn a_public_client_sends_its_id_and_no_secret() {
    let op = Loopback::start(|_| json(200, &tokens_body())).await;
    let answer = exchange_with(&op, ClientAuth::None, Some(&secret())).await;
    assert!(matches!(answer, Exchange::Tokens { .. }), "{answer:?}");
    let seen = op.seen();
    assert!(!seen[0].headers.contains_key("authorization"));
    assert_eq!(seen[0].form["client_id"], "client one");
    assert!(!seen[0].form.contains_key("client_secret"));
}

#[tokio::test]
async fn a_confidential_client_without_its_secret_sends_nothing() {
    let op = Loopback::start(|_| json(200, &tokens_body())).await;
    let answer = exchange_with(&op, ClientAuth::ClientSecretBasic, None).await;
    let Exchange::Failed { status: None, detail } = &answer else { panic!("{answer:?}") };
    assert!(detail.contains("no client secret"), "{detail}");
    assert!(op.seen().is_empty(), "the code is not spent without a way to authenticate");
}

#[tokio::test]
async fn the_ops_error_response_is_typed_with_its_status() {
    let op = Loopback::start(|_| {
        json(
            401,
            r#"{"error":"invalid_client","error_description":"client authentication failed","error_uri":"https://op.example/e"}"#,
        )
    })
    .await;
    let answer = exchange_with(&op, ClientAuth::ClientSecretBasic, Some(&secret())).await;
    let Exchange::OpError { status, error, error_description, error_uri } = answer else { panic!("{answer:?}") };
    assert_eq!(status, 401);
    assert_eq!(error, "invalid_client");
    assert_eq!(error_description.as_deref(), Some("client authentication failed"));
    assert_eq!(error_uri.as_deref(), Some("https://op.example/e"));

    let op = Loopback::start(|_| json(400, r#"{"error":"invalid_grant"}"#)).await;
    let answer = exchange_with(&op, ClientAuth::ClientSecretPost, Some(&secret())).await;
    assert!(
        matches!(&answer, Exchange::OpError { status: 400, error, error_description: None, .. } if error == "invalid_grant"),
        "{answer:?}"
    );
    // An error code of an extension comes through as sent.
    let op = Loopback::start(|_| json(400, r#"{"error":"use_dpop_nonce"}"#)).await;
    let answer = exchange_with(&op, ClientAuth::ClientSecretPost, Some(&secret())).await;
    assert!(matches!(&answer, Exchange::OpError { error, .. } if error == "use_dpop_nonce"), "{answer:?}");
}

#[tokio::test]
async fn a_redirect_from_the_token_endpoint_is_not_followed() {
    let elsewhere = Loopback::start(|_| json(200, &tokens_body())).await;
    let target = format!("{}/steal", elsewhere.base);
    let op = Loopback::start(move |_| {
        let mut r = StatusCode::TEMPORARY_REDIRECT.into_response();
        r.headers_mut().insert("location", target.parse().unwrap());
        r
    })
    .await;
    let answer = exchange_with(&op, ClientAuth::ClientSecretPost, Some(&secret())).await;
    let Exchange::Failed { status: Some(307), detail } = &answer else { panic!("{answer:?}") };
    assert!(detail.contains("follows no redirect") && detail.contains("/steal"), "{detail}");
    assert!(elsewhere.seen().is_empty(), "the secret and the code went nowhere else");
}

#[tokio::test]
async fn a_token_response_that_does_not_parse_is_described_without_quoting_it() {
    // A token of the wrong type next to one that would be a secret.
    let op = Loopback::start(|_| json(200, &format!(r#"{{"access_token":"{ACCESS_TOKEN}","token_type":7}}"#))).await;
    let answer = exchange_with(&op, ClientAuth::ClientSecretBasic, Some(&secret())).await;
    let Exchange::Failed { status: Some(200), detail } = &answer else { panic!("{answer:?}") };
    assert!(detail.contains("token_type") && !detail.contains(ACCESS_TOKEN), "{detail}");

    let op = Loopback::start(|_| json(200, r#"{"token_type":"Bearer"}"#)).await;
    let answer = exchange_with(&op, ClientAuth::ClientSecretBasic, Some(&secret())).await;
    let Exchange::Failed { detail, .. } = &answer else { panic!("{answer:?}") };
    assert!(detail.contains("missing field `access_token`"), "{detail}");

    let op = Loopback::start(|_| (StatusCode::BAD_GATEWAY, "<html>down</html>").into_response()).await;
    let answer = exchange_with(&op, ClientAuth::ClientSecretBasic, Some(&secret())).await;
    let Exchange::Failed { status: Some(502), detail } = &answer else { panic!("{answer:?}") };
    assert!(detail.contains("HTTP 502") && detail.contains("not JSON"), "{detail}");
}

#[tokio::test]
async fn an_answer_over_the_limit_is_refused() {
    let big = format!(r#"{{"access_token":"a","token_type":"Bearer","pad":"{}"}}"#, "x".repeat(2 * 1024 * 1024));
    let op = Loopback::start(move |_| json(200, &big)).await;
    let answer = exchange_with(&op, ClientAuth::ClientSecretBasic, Some(&secret())).await;
    let Exchange::Failed { status: Some(200), detail } = &answer else { panic!("{answer:?}") };
    assert!(detail.contains("limit"), "{detail}");
}

#[tokio::test]
async fn a_silent_op_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    // Accepts and never answers.
    let held = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(10)).await;
        drop(socket);
    });
    let http = BoundedHttp::new("the token response", 1024, Duration::from_millis(300)).unwrap();
    let answer = exchange(
        &http,
        &settings(&base, ClientAuth::ClientSecretBasic),
        Some(&secret()),
        &code(),
        &verifier(),
        REDIRECT,
    )
    .await;
    let Exchange::Failed { status: None, detail } = &answer else { panic!("{answer:?}") };
    assert!(detail.contains("no complete answer within"), "{detail}");
    held.abort();
}

#[tokio::test]
async fn userinfo_sends_the_bearer_token_and_reads_claims() {
    let op = Loopback::start(|seen| {
        if seen.headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {ACCESS_TOKEN}")) {
            json(200, r#"{"sub":"u1","email":"u1@example.com"}"#)
        } else {
            let mut r = StatusCode::UNAUTHORIZED.into_response();
            r.headers_mut().insert("www-authenticate", r#"Bearer error="invalid_token""#.parse().unwrap());
            r
        }
    })
    .await;
    let http = userinfo_client().unwrap();
    let endpoint = format!("{}/userinfo", op.base);
    let claims = userinfo(&http, &endpoint, &Sensitive::new(ACCESS_TOKEN.to_owned())).await.unwrap();
    assert_eq!(claims["sub"], "u1");
    assert_eq!(op.seen()[0].method, "GET");

    let e = userinfo(&http, &endpoint, &Sensitive::new("wrong".to_owned())).await.unwrap_err();
    assert!(e.message.contains("HTTP 401") && e.message.contains("invalid_token"), "{}", e.message);
    assert!(!e.message.contains("wrong"), "{}", e.message);
}

#[tokio::test]
async fn a_signed_userinfo_answer_is_refused_saying_so() {
    let op = Loopback::start(|_| {
        let mut r = "eyJ.a.b".into_response();
        r.headers_mut().insert("content-type", "application/jwt".parse().unwrap());
        r
    })
    .await;
    let http = userinfo_client().unwrap();
    let e =
        userinfo(&http, &format!("{}/userinfo", op.base), &Sensitive::new(ACCESS_TOKEN.to_owned())).await.unwrap_err();
    assert!(e.message.contains("userinfo JWT"), "{}", e.message);
}
