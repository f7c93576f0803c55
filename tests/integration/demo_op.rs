//! The demo IdP as an OpenID Provider, through a real embedded server on a loopback port:
//! discovery, JWKS, the person picker, the token endpoint's rules, userinfo and the
//! scenario twists. ID tokens are verified here with openssl against the published JWKS.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Duration, TimeZone as _, Utc};
use handshake::clock::Clock;
use handshake::demo::op;
use handshake::secrets::{MemoryStore, SecretStore};
use handshake::server::{AppState, Pool, ServeOptions};
use handshake::store::Store;
use handshake::workbench::Workbench;
use serde_json::{Value, json};

use crate::demo::hidden;

#[derive(Clone)]
struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// The embedded server with the demo OP, on a free port, until dropped.
struct Op {
    _dir: tempfile::TempDir,
    base: String,
    clock: TestClock,
    wb: Workbench,
    http: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Op {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0).unwrap()
}

const PRIYA: &str = "priya.shah@northwind.example";

async fn op() -> Op {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("op.db");
    let listener = handshake::server::bind(0).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    let open = || Workbench::with_parts(Store::open(&db).unwrap(), secrets.clone(), base.clone());
    let clock = TestClock(Arc::new(Mutex::new(at())));
    let state = AppState::new(Pool::new(vec![open(), open()]), Arc::new(clock.clone())).unwrap().bound_to(port);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(handshake::server::serve_with(listener, state, ServeOptions::default(), async {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    Op { wb: open(), _dir: dir, base, clock, http, stop: Some(stop) }
}

/// One authorization request's secrets, as an RP keeps them.
struct Request {
    redirect_uri: String,
    state: String,
    nonce: String,
    verifier: String,
}

fn random() -> String {
    let mut bytes = [0u8; 32];
    openssl::rand::rand_bytes(&mut bytes).unwrap();
    B64.encode(bytes)
}

impl Op {
    fn issuer(&self) -> String {
        format!("{}/demo-idp/oidc", self.base)
    }

    fn request(&self) -> Request {
        Request {
            redirect_uri: format!("{}/oidc/demo-oidc/callback", self.base),
            state: random(),
            nonce: random(),
            verifier: random(),
        }
    }

    fn authorize_url(&self, r: &Request) -> String {
        let mut url = reqwest::Url::parse(&format!("{}/authorize", self.issuer())).unwrap();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", op::CLIENT_ID)
            .append_pair("redirect_uri", &r.redirect_uri)
            .append_pair("scope", "openid email profile groups")
            .append_pair("state", &r.state)
            .append_pair("nonce", &r.nonce)
            .append_pair("code_challenge", &op::s256(&r.verifier))
            .append_pair("code_challenge_method", "S256");
        url.to_string()
    }

    async fn get_json(&self, path: &str) -> Value {
        let res = self.http.get(format!("{}{path}", self.issuer())).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "application/json");
        serde_json::from_str(&res.text().await.unwrap()).unwrap()
    }

    /// The picker page's form fields (everything but the persona and the scenario).
    async fn picker(&self, r: &Request) -> Vec<(String, String)> {
        let res = self.http.get(self.authorize_url(r)).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let page = res.text().await.unwrap();
        assert!(page.contains("id=\"persona-0\"") && page.contains("oidc-wrong-audience"), "{page}");
        let names = ["response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge"];
        let mut fields: Vec<(String, String)> = names.iter().map(|n| ((*n).to_owned(), hidden(&page, n))).collect();
        fields.push(("code_challenge_method".into(), "S256".into()));
        fields.push(("token".into(), hidden(&page, "token")));
        fields
    }

    /// Signs `persona` in through the picker with `scenario`; returns the redirect's Location.
    async fn sign_in_as(&self, r: &Request, persona: &str, scenario: &str) -> String {
        let mut fields = self.picker(r).await;
        fields.push(("persona".into(), persona.into()));
        fields.push(("scenario".into(), scenario.into()));
        let res = self
            .http
            .post(format!("{}/authorize", self.issuer()))
            .header("origin", &self.base)
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
        res.headers()["location"].to_str().unwrap().to_owned()
    }

    /// A sign-in as Priya; returns the code (state and iss checked).
    async fn code(&self, r: &Request, scenario: &str) -> String {
        let location = self.sign_in_as(r, PRIYA, scenario).await;
        assert!(location.starts_with(&format!("{}?", r.redirect_uri)), "{location}");
        assert_eq!(param(&location, "state").as_deref(), Some(r.state.as_str()));
        assert_eq!(param(&location, "iss"), Some(self.issuer()));
        param(&location, "code").unwrap_or_else(|| panic!("no code in {location}"))
    }

    fn secret(&self) -> String {
        self.wb.demo_op_client().unwrap().secret.expose().clone()
    }

    /// The token request with client_secret_basic.
    async fn exchange(&self, r: &Request, code: &str, secret: &str, verifier: &str) -> (u16, Value) {
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", enc(op::CLIENT_ID), enc(secret)));
        let res = self
            .http
            .post(format!("{}/token", self.issuer()))
            .header("authorization", format!("Basic {basic}"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &r.redirect_uri),
                ("code_verifier", verifier),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["cache-control"], "no-store");
        (res.status().as_u16(), serde_json::from_str(&res.text().await.unwrap()).unwrap())
    }

    /// A whole happy login with `scenario`: the token response.
    async fn tokens(&self, scenario: &str) -> (Request, Value) {
        let r = self.request();
        let code = self.code(&r, scenario).await;
        let (status, tokens) = self.exchange(&r, &code, &self.secret(), &r.verifier).await;
        assert_eq!(status, 200, "{tokens}");
        (r, tokens)
    }
}

fn param(url: &str, name: &str) -> Option<String> {
    reqwest::Url::parse(url).ok()?.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

fn decode(jwt: &str) -> (Value, Value) {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "{jwt}");
    let part = |p: &str| serde_json::from_slice::<Value>(&B64.decode(p).unwrap()).unwrap();
    (part(parts[0]), part(parts[1]))
}

/// Verifies an RS256 JWS with the JWKS key its header names, with openssl only.
fn verifies_with(jwt: &str, jwks: &Value) -> bool {
    let (header, _) = decode(jwt);
    let Some(jwk) = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == header["kid"]) else {
        return false;
    };
    if header["alg"] != "RS256" {
        return false;
    }
    let n = openssl::bn::BigNum::from_slice(&B64.decode(jwk["n"].as_str().unwrap()).unwrap()).unwrap();
    let e = openssl::bn::BigNum::from_slice(&B64.decode(jwk["e"].as_str().unwrap()).unwrap()).unwrap();
    let key = openssl::pkey::PKey::from_rsa(openssl::rsa::Rsa::from_public_components(n, e).unwrap()).unwrap();
    let (signed, signature) = jwt.rsplit_once('.').unwrap();
    let mut verifier = openssl::sign::Verifier::new(openssl::hash::MessageDigest::sha256(), &key).unwrap();
    verifier.update(signed.as_bytes()).unwrap();
    verifier.verify(&B64.decode(signature).unwrap()).unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_and_jwks_name_the_issuer_and_one_stable_rs256_key() {
    let o = op().await;
    let d = o.get_json("/.well-known/openid-configuration").await;
    assert_eq!(d["issuer"], o.issuer());
    for (name, path) in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("jwks_uri", "/jwks"),
    ] {
        assert_eq!(d[name], format!("{}{path}", o.issuer()), "{name}");
    }
    assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(d["id_token_signing_alg_values_supported"], json!(["RS256"]));
    let jwks = o.get_json("/jwks").await;
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!((keys[0]["kty"].as_str(), keys[0]["alg"].as_str()), (Some("RSA"), Some("RS256")));
    assert_eq!(keys[0]["kid"], handshake::idp::jws::thumbprint(&keys[0]).unwrap(), "kid = RFC 7638 thumbprint");
    assert!(keys[0].get("d").is_none(), "no private part");
    assert_eq!(o.get_json("/jwks").await, jwks, "the key is kept (secret store), not made per request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_gives_a_code_whose_id_token_verifies_with_the_jwks() {
    let o = op().await;
    let (r, tokens) = o.tokens("oidc-happy").await;
    assert_eq!(tokens["token_type"], "Bearer");
    let id_token = tokens["id_token"].as_str().unwrap();
    assert!(verifies_with(id_token, &o.get_json("/jwks").await));
    let (header, claims) = decode(id_token);
    assert_eq!(header["typ"], "JWT");
    assert_eq!(claims["iss"], o.issuer());
    assert_eq!(claims["aud"], op::CLIENT_ID);
    assert_eq!(claims["nonce"], r.nonce.as_str());
    assert_eq!(claims["email"], PRIYA);
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["given_name"], "Priya");
    assert_eq!(claims["groups"], json!(["everyone", "sales"]));
    assert_eq!(claims["iat"], at().timestamp());
    assert_eq!(claims["exp"], at().timestamp() + op::ID_TOKEN_TTL_SECONDS);
    assert_eq!(claims["at_hash"], op::at_hash(tokens["access_token"].as_str().unwrap()));

    // Userinfo: the same subject, for the access token only.
    let me = o
        .http
        .get(format!("{}/userinfo", o.issuer()))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let me: Value = serde_json::from_str(&me.text().await.unwrap()).unwrap();
    assert_eq!((&me["sub"], &me["email"]), (&claims["sub"], &claims["email"]));
    let refused = o.http.get(format!("{}/userinfo", o.issuer())).bearer_auth("nope").send().await.unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.headers()["www-authenticate"], "Bearer error=\"invalid_token\"");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_endpoint_refuses_a_wrong_secret_a_wrong_verifier_and_a_reused_code() {
    let o = op().await;
    let r = o.request();
    let code = o.code(&r, "oidc-happy").await;

    let (status, e) = o.exchange(&r, &code, "not the secret", &r.verifier).await;
    assert_eq!((status, e["error"].as_str()), (401, Some("invalid_client")), "{e}");
    // A failed client authentication does not spend the code; a wrong verifier does.
    let (status, e) = o.exchange(&r, &code, &o.secret(), &random()).await;
    assert_eq!((status, e["error"].as_str()), (400, Some("invalid_grant")), "{e}");
    assert!(e["error_description"].as_str().unwrap().contains("PKCE"), "{e}");
    let (status, e) = o.exchange(&r, &code, &o.secret(), &r.verifier).await;
    assert_eq!((status, e["error"].as_str()), (400, Some("invalid_grant")), "spent: {e}");

    // A good exchange, then the same code again.
    let r = o.request();
    let code = o.code(&r, "oidc-happy").await;
    assert_eq!(o.exchange(&r, &code, &o.secret(), &r.verifier).await.0, 200);
    let (status, e) = o.exchange(&r, &code, &o.secret(), &r.verifier).await;
    assert_eq!((status, e["error"].as_str()), (400, Some("invalid_grant")), "{e}");

    // client_secret_post works too; Basic and post together do not.
    let r = o.request();
    let code = o.code(&r, "oidc-happy").await;
    let post = |extra: bool| {
        let mut req = o.http.post(format!("{}/token", o.issuer()));
        if extra {
            req = req.basic_auth(op::CLIENT_ID, Some(o.secret()));
        }
        req.form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &r.redirect_uri),
            ("code_verifier", &r.verifier),
            ("client_id", op::CLIENT_ID),
            ("client_secret", &o.secret()),
        ])
        .send()
    };
    let both = post(true).await.unwrap();
    assert_eq!(both.status(), 400);
    assert!(both.text().await.unwrap().contains("invalid_request"));
    assert_eq!(post(false).await.unwrap().status(), 200);

    // A code is good for 60 seconds.
    let r = o.request();
    let code = o.code(&r, "oidc-happy").await;
    *o.clock.0.lock().unwrap() = at() + Duration::seconds(op::CODE_TTL_SECONDS);
    let (status, e) = o.exchange(&r, &code, &o.secret(), &r.verifier).await;
    assert_eq!((status, e["error"].as_str()), (400, Some("invalid_grant")), "expired: {e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_authorization_requests_are_shown_or_sent_back_never_redirected_elsewhere() {
    let o = op().await;
    let r = o.request();
    let good = o.authorize_url(&r);
    let with = |name: &str, value: &str| {
        let mut u = reqwest::Url::parse(&good).unwrap();
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let hit = k == name;
                (k.into_owned(), if hit { value.to_owned() } else { v.into_owned() })
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
        u.to_string()
    };
    for (name, value) in [("client_id", "someone-else"), ("redirect_uri", "https://evil.example/cb")] {
        let res = o.http.get(with(name, value)).send().await.unwrap();
        assert_eq!(res.status(), 400, "{name}");
        assert!(res.headers().get("location").is_none());
    }
    let res = o.http.get(with("code_challenge_method", "plain")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&r.redirect_uri), "{location}");
    assert_eq!(param(&location, "error").as_deref(), Some("invalid_request"));
    assert_eq!(param(&location, "state").as_deref(), Some(r.state.as_str()));

    // Another Host (DNS rebinding) gets nothing.
    let res = o.http.get(&good).header("host", "attacker.example").send().await.unwrap();
    assert_eq!(res.status(), 421);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_the_picker_signs_in_only_with_its_token_from_its_own_origin() {
    let o = op().await;
    let r = o.request();
    let fields = o.picker(&r).await;
    let url = format!("{}/authorize", o.issuer());
    let post = |fields: Vec<(String, String)>, headers: Vec<(&'static str, &'static str)>| {
        let mut req = o.http.post(&url).form(&fields);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };
    let with_persona = |mut f: Vec<(String, String)>| {
        f.push(("persona".into(), PRIYA.into()));
        f
    };
    let without = |name: &str| with_persona(fields.iter().filter(|(k, _)| k != name).cloned().collect());
    let changed = |name: &str, value: &str| {
        with_persona(
            fields.iter().map(|(k, v)| (k.clone(), if k == name { value.into() } else { v.clone() })).collect(),
        )
    };
    let refused = [
        ("no token", without("token"), vec![]),
        ("another nonce than the page's", changed("nonce", "chosen"), vec![]),
        ("another PKCE challenge", changed("code_challenge", &op::s256(&random())), vec![]),
        ("a cross-site Origin", with_persona(fields.clone()), vec![("origin", "https://evil.example")]),
        ("Sec-Fetch-Site cross-site", with_persona(fields.clone()), vec![("sec-fetch-site", "cross-site")]),
    ];
    for (what, f, headers) in refused {
        let res = post(f, headers).await.unwrap();
        assert_eq!(res.status(), 403, "{what}");
        assert!(res.headers().get("location").is_none(), "{what}");
    }
    // A GET with the form's fields only shows the picker again.
    let res = o.http.get(format!("{}&persona={PRIYA}", o.authorize_url(&r))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = post(with_persona(fields.clone()), vec![]).await.unwrap();
    assert_eq!(res.status(), 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twists_alter_the_one_token_a_scenario_asks_for() {
    let o = op().await;
    let jwks = o.get_json("/jwks").await;
    let claims_of = |tokens: &Value| decode(tokens["id_token"].as_str().unwrap());

    let (_, t) = o.tokens("oidc-wrong-audience").await;
    assert_eq!(claims_of(&t).1["aud"], "someone-elses-client");
    assert!(verifies_with(t["id_token"].as_str().unwrap(), &jwks), "signed by the OP: only the claim is wrong");

    let (_, t) = o.tokens("oidc-expired").await;
    assert!(claims_of(&t).1["exp"].as_i64().unwrap() < at().timestamp());

    let (_, t) = o.tokens("oidc-unknown-kid").await;
    let (header, _) = claims_of(&t);
    assert!(!jwks["keys"].as_array().unwrap().iter().any(|k| k["kid"] == header["kid"]), "{header}");

    let (_, t) = o.tokens("oidc-alg-none").await;
    let id_token = t["id_token"].as_str().unwrap();
    assert_eq!(claims_of(&t).0["alg"], "none");
    assert!(id_token.ends_with('.'), "empty signature");

    let (_, t) = o.tokens("oidc-hs256-public-key").await;
    let id_token = t["id_token"].as_str().unwrap();
    assert_eq!(claims_of(&t).0["alg"], "HS256");
    let public_pem = o.wb.demo_op_key().unwrap().public_pem;
    let (signed, sig) = id_token.rsplit_once('.').unwrap();
    let hmac = openssl::pkey::PKey::hmac(&public_pem).unwrap();
    let mut signer = openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &hmac).unwrap();
    signer.update(signed.as_bytes()).unwrap();
    assert_eq!(B64.encode(signer.sign_to_vec().unwrap()), sig, "HMAC keyed with the public key PEM");

    let (r, t) = o.tokens("oidc-nonce-mismatch").await;
    assert_ne!(claims_of(&t).1["nonce"], r.nonce.as_str());
    let (_, t) = o.tokens("oidc-wrong-issuer").await;
    assert_ne!(claims_of(&t).1["iss"], o.issuer());
    let (_, t) = o.tokens("oidc-missing-email").await;
    assert!(claims_of(&t).1.get("email").is_none());
    let (_, t) = o.tokens("oidc-email-unverified").await;
    assert_eq!(claims_of(&t).1["email_verified"], false);
    let (_, t) = o.tokens("oidc-group-overage").await;
    let (_, claims) = claims_of(&t);
    assert!(claims.get("groups").is_none());
    assert_eq!(claims["_claim_names"]["groups"], "src1");

    // Code replay: the next sign-in sends the previous login's (used) code with its own state.
    let (first, _) = o.tokens("oidc-happy").await;
    let first_code = {
        let r = o.request();
        let code = o.code(&r, "oidc-happy").await;
        assert_eq!(o.exchange(&r, &code, &o.secret(), &r.verifier).await.0, 200);
        code
    };
    let r = o.request();
    assert_eq!(r.redirect_uri, first.redirect_uri);
    assert_eq!(o.code(&r, "oidc-code-replay").await, first_code, "the same code, under a new state");
    let (status, e) = o.exchange(&r, &first_code, &o.secret(), &r.verifier).await;
    assert_eq!((status, e["error"].as_str()), (400, Some("invalid_grant")), "the OP still uses a code once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deactivated_person_gets_access_denied() {
    let o = op().await;
    let r = o.request();
    o.picker(&r).await; // makes the default directory
    o.wb.set_demo_persona_active(PRIYA, false, at()).unwrap();
    let location = o.sign_in_as(&r, PRIYA, "oidc-happy").await;
    assert_eq!(param(&location, "error").as_deref(), Some("access_denied"), "{location}");
    assert_eq!(param(&location, "state").as_deref(), Some(r.state.as_str()));
    assert!(param(&location, "code").is_none());
}
