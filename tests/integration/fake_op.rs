//! A minimal OpenID Provider for the flow's own tests (`oidc_flow.rs`, `crash.rs`):
//! discovery, JWKS, token and userinfo over real HTTP on 127.0.0.1, ID tokens signed with
//! `idp::jws`, and what it was asked counted. Not the proof against a real OP (`e2e_oidc.rs`).
//!
//! Its authorization endpoint is not driven by a browser: [`FakeOp::authorize`] reads the
//! SP's authorization URL and mints the code the OP would redirect back with.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, TimeZone as _, Utc};
use handshake::clock::Clock;
use handshake::connection::{IdpDescriptor, SecurityPolicy, SpConfig};
use handshake::idp::jws::{JwsKey, jwk_of, sign_compact};
use handshake::oidc::{Alg, ClientAuth, OidcSettings, RedirectHost};
use handshake::secrets::SecretStore;
use handshake::sensitive::Sensitive;
use handshake::store::{NewConnection, Store};
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use serde_json::{Value, json};

pub const CLIENT_ID: &str = "handshake-client";
pub const CLIENT_SECRET: &str = "client-s3cret-never-stored";

/// A clock the test moves; the fake OP and the SP share it.
#[derive(Clone)]
pub struct TestClock(pub Arc<Mutex<DateTime<Utc>>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

impl TestClock {
    pub fn at(t: DateTime<Utc>) -> Self {
        TestClock(Arc::new(Mutex::new(t)))
    }

    pub fn advance(&self, seconds: i64) {
        let mut t = self.0.lock().unwrap();
        *t += Duration::seconds(seconds);
    }
}

/// What the OP issued a code for.
#[derive(Clone)]
struct Grant {
    nonce: String,
    challenge: String,
    redirect_uri: String,
    sub: String,
    email: String,
}

/// The fake OP's state; tests change it between logins.
pub struct OpState {
    pub issuer: String,
    clock: Arc<dyn Clock>,
    /// Every key by kid; the first of `signing` signs.
    keys: Vec<(String, PKey<Private>)>,
    pub signing_kid: String,
    /// The kids the JWKS endpoint publishes.
    pub published: Vec<String>,
    codes: HashMap<String, Grant>,
    used_codes: Vec<String>,
    /// A code may be redeemed again (the crash tests retry the same callback).
    pub reusable_codes: bool,
    /// Answer the token endpoint with this status and JSON instead.
    pub token_error: Option<(u16, String)>,
    /// The ID token's `aud` instead of the client ID.
    pub audience: Option<String>,
    /// The client's registered public JWK: the token endpoint then wants a `private_key_jwt`
    /// client assertion (RFC 7523) signed with it instead of the client secret.
    pub client_jwk: Option<Value>,
    /// `token_endpoint_auth_methods_supported` in the discovery document.
    pub auth_methods: Vec<String>,
    /// Every client assertion `jti` accepted (each may be used once).
    assertion_jtis: Vec<String>,
    /// ID-token claims set (or replaced) on top of the usual ones.
    pub id_token_extra: serde_json::Map<String, Value>,
    /// ID-token claims left out.
    pub id_token_without: Vec<String>,
    /// Userinfo claims set (or replaced) on top of `sub` and `email`.
    pub userinfo_extra: serde_json::Map<String, Value>,
    /// The userinfo body, as written (e.g. with a member given twice), instead of the claims.
    pub userinfo_raw: Option<String>,
    /// Every access token issued, with the grant it was issued for.
    access_tokens: Vec<(String, Grant)>,
    pub token_calls: usize,
    pub jwks_calls: usize,
    pub userinfo_calls: usize,
}

impl OpState {
    /// Every access token issued so far.
    pub fn access_tokens(&self) -> Vec<String> {
        self.access_tokens.iter().map(|(a, _)| a.clone()).collect()
    }

    pub fn key(&self, kid: &str) -> &PKey<Private> {
        &self.keys.iter().find(|(k, _)| k == kid).unwrap().1
    }

    pub fn jwks(&self) -> String {
        let keys: Vec<Value> = self.published.iter().map(|kid| jwk_of(self.key(kid), Some(kid)).unwrap()).collect();
        json!({ "keys": keys }).to_string()
    }

    /// A new key `kid`, signing from now on; `publish` says whether the JWKS lists it.
    pub fn rotate(&mut self, kid: &str, publish: bool) {
        self.keys.push((kid.to_owned(), rsa_key()));
        self.signing_kid = kid.to_owned();
        if publish {
            self.published.push(kid.to_owned());
        }
    }
}

fn rsa_key() -> PKey<Private> {
    PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap()
}

/// A minimal OP on a free loopback port, served on its own thread until the process ends.
pub struct FakeOp {
    pub base: String,
    pub state: Arc<Mutex<OpState>>,
}

impl FakeOp {
    pub fn start(clock: Arc<dyn Clock>) -> FakeOp {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let state = Arc::new(Mutex::new(OpState {
            issuer: base.clone(),
            clock,
            keys: vec![("k1".into(), rsa_key())],
            signing_kid: "k1".into(),
            published: vec!["k1".into()],
            codes: HashMap::new(),
            used_codes: Vec::new(),
            reusable_codes: false,
            token_error: None,
            audience: None,
            client_jwk: None,
            auth_methods: vec!["client_secret_basic".into(), "private_key_jwt".into()],
            assertion_jtis: Vec::new(),
            id_token_extra: serde_json::Map::new(),
            id_token_without: Vec::new(),
            userinfo_extra: serde_json::Map::new(),
            userinfo_raw: None,
            access_tokens: Vec::new(),
            token_calls: 0,
            jwks_calls: 0,
            userinfo_calls: 0,
        }));
        let app = axum::Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/token", post(token))
            .route("/userinfo", get(userinfo))
            .with_state(state.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(listener, app).await.unwrap();
            });
        });
        FakeOp { base, state }
    }

    pub fn op(&self) -> std::sync::MutexGuard<'_, OpState> {
        self.state.lock().unwrap()
    }

    /// The connection's OIDC settings for this OP, with its current JWKS cached.
    pub fn settings(&self) -> OidcSettings {
        let base = &self.base;
        OidcSettings {
            issuer: base.clone(),
            discovery_url: Some(format!("{base}/.well-known/openid-configuration")),
            discovery_json: None,
            discovered_at: None,
            authorization_endpoint: format!("{base}/authorize"),
            token_endpoint: format!("{base}/token"),
            userinfo_endpoint: Some(format!("{base}/userinfo")),
            jwks_uri: format!("{base}/jwks"),
            jwks_json: Some(self.op().jwks()),
            jwks_fetched_at: None,
            client_id: CLIENT_ID.into(),
            client_auth: ClientAuth::ClientSecretBasic,
            scopes: vec!["openid".into(), "email".into(), "profile".into()],
            allowed_algs: vec![Alg::RS256],
            trusted_audiences: vec![],
            call_userinfo: true,
            redirect_host: RedirectHost::Loopback,
        }
    }

    /// The OP's side of the authorization request at `auth_url`: a code for `sub`, and the
    /// callback URL (path and query) the browser would be sent back to.
    pub fn authorize(&self, auth_url: &str, sub: &str, email: &str) -> (String, String) {
        let url = url::Url::parse(auth_url).unwrap();
        assert!(auth_url.starts_with(&format!("{}/authorize?", self.base)), "{auth_url}");
        let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], CLIENT_ID);
        assert_eq!(q["code_challenge_method"], "S256");
        assert!(q["scope"].split(' ').any(|s| s == "openid"));
        let code = format!("code-{}", random());
        let grant = Grant {
            nonce: q["nonce"].clone(),
            challenge: q["code_challenge"].clone(),
            redirect_uri: q["redirect_uri"].clone(),
            sub: sub.into(),
            email: email.into(),
        };
        self.op().codes.insert(code.clone(), grant);
        let callback = callback_path(&q["redirect_uri"], &code, &q["state"], &self.base);
        (code, callback)
    }
}

/// The path and query of `redirect_uri` with the code response (RFC 6749 §4.1.2, RFC 9207 iss).
pub fn callback_path(redirect_uri: &str, code: &str, state: &str, iss: &str) -> String {
    let mut url = url::Url::parse(redirect_uri).unwrap();
    url.query_pairs_mut().append_pair("code", code).append_pair("state", state).append_pair("iss", iss);
    format!("{}?{}", url.path(), url.query().unwrap())
}

fn random() -> String {
    let mut b = [0u8; 16];
    openssl::rand::rand_bytes(&mut b).unwrap();
    hex::encode(b)
}

fn op_json(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn discovery(State(s): State<Arc<Mutex<OpState>>>) -> Response {
    let issuer = s.lock().unwrap().issuer.clone();
    op_json(
        StatusCode::OK,
        json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}/token"),
            "userinfo_endpoint": format!("{issuer}/userinfo"),
            "jwks_uri": format!("{issuer}/jwks"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": s.lock().unwrap().auth_methods.clone(),
        })
        .to_string(),
    )
}

async fn jwks(State(s): State<Arc<Mutex<OpState>>>) -> Response {
    let mut s = s.lock().unwrap();
    s.jwks_calls += 1;
    op_json(StatusCode::OK, s.jwks())
}

fn invalid(status: StatusCode, error: &str, description: &str) -> Response {
    op_json(status, json!({ "error": error, "error_description": description }).to_string())
}

async fn token(
    State(s): State<Arc<Mutex<OpState>>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut s = s.lock().unwrap();
    s.token_calls += 1;
    if let Some((status, body)) = s.token_error.clone() {
        return op_json(StatusCode::from_u16(status).unwrap(), body);
    }
    if let Some(jwk) = s.client_jwk.clone() {
        let now = s.clock.now().timestamp();
        let audience = format!("{}/token", s.issuer);
        if let Err(why) = check_client_assertion(&form, &jwk, &audience, now, &mut s.assertion_jtis) {
            return invalid(StatusCode::UNAUTHORIZED, "invalid_client", &why);
        }
    } else {
        // client_secret_basic, each part form-urlencoded (RFC 6749 §2.3.1).
        let expected = STANDARD.encode(format!(
            "{}:{}",
            url::form_urlencoded::byte_serialize(CLIENT_ID.as_bytes()).collect::<String>(),
            url::form_urlencoded::byte_serialize(CLIENT_SECRET.as_bytes()).collect::<String>()
        ));
        if headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) != Some(&format!("Basic {expected}")) {
            return invalid(StatusCode::UNAUTHORIZED, "invalid_client", "client authentication failed");
        }
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return invalid(StatusCode::BAD_REQUEST, "unsupported_grant_type", "only authorization_code");
    }
    let code = form.get("code").cloned().unwrap_or_default();
    if s.used_codes.contains(&code) && !s.reusable_codes {
        return invalid(StatusCode::BAD_REQUEST, "invalid_grant", "authorization code already used");
    }
    let Some(grant) = s.codes.get(&code).cloned() else {
        return invalid(StatusCode::BAD_REQUEST, "invalid_grant", "unknown authorization code");
    };
    s.used_codes.push(code);
    if form.get("redirect_uri") != Some(&grant.redirect_uri) {
        return invalid(StatusCode::BAD_REQUEST, "invalid_grant", "redirect_uri mismatch");
    }
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if URL_SAFE_NO_PAD.encode(openssl::sha::sha256(verifier.as_bytes())) != grant.challenge {
        return invalid(StatusCode::BAD_REQUEST, "invalid_grant", "PKCE verification failed");
    }
    let now = s.clock.now().timestamp();
    let mut claims = json!({
        "iss": s.issuer,
        "sub": grant.sub,
        "aud": s.audience.clone().unwrap_or_else(|| CLIENT_ID.to_owned()),
        "iat": now,
        "exp": now + 300,
        "nonce": grant.nonce,
        "email": grant.email,
        "email_verified": true,
        "name": "Ada Lovelace",
    });
    let edited = claims.as_object_mut().unwrap();
    edited.extend(s.id_token_extra.clone());
    edited.retain(|name, _| !s.id_token_without.contains(name));
    let header = json!({ "alg": "RS256", "typ": "JWT", "kid": s.signing_kid });
    let key = JwsKey::new(s.key(&s.signing_kid).clone(), Alg::RS256).unwrap();
    let id_token = sign_compact(header.as_object().unwrap(), claims.as_object().unwrap(), &key).unwrap();
    let access_token = format!("at-{}", random());
    s.access_tokens.push((access_token.clone(), grant.clone()));
    op_json(
        StatusCode::OK,
        json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "refresh_token": format!("rt-{}", random()),
            "id_token": id_token,
        })
        .to_string(),
    )
}

/// A `private_key_jwt` client assertion as an OP checks it (RFC 7523 §3): the type, an
/// RS256 signature by the registered key, `iss` = `sub` = the client, `aud` = the token
/// endpoint, not expired, a `jti` not seen before.
fn check_client_assertion(
    form: &HashMap<String, String>,
    jwk: &Value,
    audience: &str,
    now: i64,
    seen: &mut Vec<String>,
) -> Result<(), String> {
    if form.get("client_assertion_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    {
        return Err("client_assertion_type is not jwt-bearer".into());
    }
    if form.contains_key("client_secret") {
        return Err("a client secret was sent too".into());
    }
    let assertion = form.get("client_assertion").ok_or("no client_assertion")?;
    let parts: Vec<&str> = assertion.split('.').collect();
    let [h, c, sig] = parts.as_slice() else { return Err("not a compact JWS".into()) };
    let decode = |p: &str| -> Result<Value, String> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).map_err(|e| e.to_string())?).map_err(|e| e.to_string())
    };
    let (header, claims) = (decode(h)?, decode(c)?);
    if header["alg"] != "RS256" || header["kid"] != jwk["kid"] {
        return Err(format!("unexpected header {header}"));
    }
    let member = |m: &str| openssl::bn::BigNum::from_slice(&URL_SAFE_NO_PAD.decode(jwk[m].as_str().unwrap()).unwrap());
    let public =
        PKey::from_rsa(Rsa::from_public_components(member("n").unwrap(), member("e").unwrap()).unwrap()).unwrap();
    let mut verifier = openssl::sign::Verifier::new(openssl::hash::MessageDigest::sha256(), &public).unwrap();
    verifier.update(format!("{h}.{c}").as_bytes()).unwrap();
    let signature = URL_SAFE_NO_PAD.decode(sig).map_err(|e| e.to_string())?;
    if !verifier.verify(&signature).unwrap_or(false) {
        return Err("the client assertion's signature does not verify with the registered key".into());
    }
    if claims["iss"] != CLIENT_ID || claims["sub"] != CLIENT_ID {
        return Err("iss and sub must be the client ID".into());
    }
    if claims["aud"] != audience {
        return Err(format!("aud {} is not the token endpoint", claims["aud"]));
    }
    if claims["exp"].as_i64().is_none_or(|exp| exp <= now) {
        return Err("the client assertion expired".into());
    }
    let jti = claims["jti"].as_str().ok_or("no jti")?.to_owned();
    if seen.contains(&jti) {
        return Err("the client assertion was used before".into());
    }
    seen.push(jti);
    Ok(())
}

async fn userinfo(State(s): State<Arc<Mutex<OpState>>>, headers: HeaderMap) -> Response {
    let mut s = s.lock().unwrap();
    s.userinfo_calls += 1;
    let bearer =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let Some((_, grant)) = s.access_tokens.iter().find(|(a, _)| Some(a.as_str()) == bearer) else {
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, r#"Bearer error="invalid_token""#)])
            .into_response();
    };
    if let Some(raw) = s.userinfo_raw.clone() {
        return op_json(StatusCode::OK, raw);
    }
    let mut claims = json!({ "sub": grant.sub, "email": grant.email });
    claims.as_object_mut().unwrap().extend(s.userinfo_extra.clone());
    op_json(StatusCode::OK, claims.to_string())
}

/// A connection `name` for `op` in the catalog at `db`, with the client secret in `secrets`.
pub fn add_connection(db: &std::path::Path, secrets: &dyn SecretStore, name: &str, settings: OidcSettings) {
    let store = Store::open(db).unwrap();
    let issuer = settings.issuer.clone();
    store
        .insert_connection(
            &NewConnection {
                name: name.into(),
                idp: IdpDescriptor {
                    entity_id: issuer,
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
                oidc: Some(settings),
            },
            start_time(),
        )
        .unwrap();
    secrets
        .set(&handshake::secrets::oidc_client_secret(name), &Sensitive::new(CLIENT_SECRET.as_bytes().to_vec()))
        .unwrap();
}

pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 10, 0, 0).unwrap()
}
