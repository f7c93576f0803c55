//! The demo IdP as an OpenID Provider, on the embedded server under `/demo-idp/oidc`:
//! discovery, JWKS, the authorization endpoint (the demo IdP's person picker), the token
//! endpoint and userinfo. The protocol rules are `crate::demo::op`.
//!
//! As for the SAML demo IdP, only a POST from the OP's own picker signs anyone in: it needs
//! the page's anti-CSRF token, which binds the authorization request (client, redirect URI,
//! scope, state, nonce, PKCE challenge), and a same-origin request. The token endpoint and
//! userinfo are back-channel calls authenticated by the client secret and the access token.

use std::fmt::Write as _;

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::body::{self, FormFields};
use super::csrf::Purpose;
use super::demo_pages::{hidden, people, sign_in_page};
use super::refusal::Refusal;
use super::{Answer, AppState, guard, html};
use crate::demo::Persona;
use crate::demo::op::{
    self, Authorization, AuthorizeError, AuthorizeParams, Grant, OidcTwist, Redemption, TWISTS, TokenError,
};
use crate::xml::escape;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/demo-idp/oidc/.well-known/openid-configuration", get(discovery))
        .route("/demo-idp/oidc/jwks", get(jwks))
        .route("/demo-idp/oidc/authorize", get(authorize).post(sign_in))
        .route("/demo-idp/oidc/token", axum::routing::post(token))
        .route("/demo-idp/oidc/userinfo", get(userinfo).post(userinfo))
}

/// A JSON answer, never cached (token responses carry secrets: RFC 6749 §5.1).
fn json_answer(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}

async fn base_url(state: &AppState) -> Result<String, Refusal> {
    Ok(state.run(|wb| Ok(wb.base_url().to_owned())).await?)
}

async fn discovery(State(state): State<AppState>) -> Answer {
    Ok(json_answer(StatusCode::OK, &op::discovery(&base_url(&state).await?)))
}

async fn jwks(State(state): State<AppState>) -> Answer {
    let key = state.run(|wb| wb.demo_op_key()).await?;
    Ok(json_answer(StatusCode::OK, &op::jwks(&key)))
}

/// The authorization request's refusal: a page when there is no trusted redirect URI,
/// otherwise the error sent back to the client with its state and our issuer (RFC 9207).
fn refused(e: AuthorizeError, base: &str) -> Answer {
    match e {
        AuthorizeError::Page(message) => Err(Refusal::new(StatusCode::BAD_REQUEST, "Bad request", message)),
        AuthorizeError::Redirect { redirect_uri, error, description, state } => redirect_to_client(
            &redirect_uri,
            &[("error", error), ("error_description", &description)],
            state.as_deref(),
            base,
        ),
    }
}

/// 303 to the client's redirect URI with `params`, `state` (if any) and `iss`.
fn redirect_to_client(redirect_uri: &str, params: &[(&str, &str)], state: Option<&str>, base: &str) -> Answer {
    let iss = op::issuer(base);
    let mut all: Vec<(&str, &str)> = params.to_vec();
    if let Some(s) = state {
        all.push(("state", s));
    }
    all.push(("iss", &iss));
    Ok(Redirect::to(&op::redirect_with(redirect_uri, &all)?).into_response())
}

/// The authorization endpoint: checks the request and shows the person picker.
async fn authorize(State(state): State<AppState>, Query(p): Query<AuthorizeParams>) -> Answer {
    let base = base_url(&state).await?;
    let a = match op::check_authorize(&p, &base) {
        Ok(a) => a,
        Err(e) => return refused(e, &base),
    };
    let now = state.clock.now();
    let personas = state.run(move |wb| wb.demo_op_personas(now)).await?;
    let token = state.csrf.issue(Purpose::OidcSignIn, &a.bound(), now)?;
    Ok(html(StatusCode::OK, picker(&a, &personas, &token)))
}

/// The connection a redirect URI belongs to (`/oidc/{name}/callback`), for the page.
fn connection_of(redirect_uri: &str) -> String {
    url::Url::parse(redirect_uri)
        .ok()
        .and_then(|u| u.path_segments().and_then(|mut s| s.nth(1).map(str::to_owned)))
        .unwrap_or_default()
}

/// The person picker, with the request in hidden fields and the scenarios behind "Advanced".
fn picker(a: &Authorization, personas: &[Persona], token: &str) -> String {
    let mut b = String::from("<form id=\"signin\" method=\"post\" action=\"/demo-idp/oidc/authorize\">");
    hidden(&mut b, "response_type", "code");
    hidden(&mut b, "client_id", &a.client_id);
    hidden(&mut b, "redirect_uri", &a.redirect_uri);
    hidden(&mut b, "scope", &a.scope);
    if let Some(s) = &a.state {
        hidden(&mut b, "state", s);
    }
    if let Some(n) = &a.nonce {
        hidden(&mut b, "nonce", n);
    }
    hidden(&mut b, "code_challenge", &a.code_challenge);
    hidden(&mut b, "code_challenge_method", "S256");
    hidden(&mut b, "token", token);
    people(&mut b, personas, None);
    b.push_str(
        "<button type=\"submit\" class=\"signin\">Sign in</button>\
         <details><summary>Advanced: what the OpenID Provider sends</summary><label for=\"scenario\">Scenario</label>\
         <select name=\"scenario\" id=\"scenario\">",
    );
    for (i, t) in TWISTS.iter().enumerate() {
        let selected = if i == 0 { " selected" } else { "" };
        let _ = write!(b, "<option value=\"{}\"{selected}>{}</option>", escape(t.name), escape(t.title));
    }
    b.push_str("</select></details></form>");
    sign_in_page(
        &format!("to continue to <strong>{}</strong> (OpenID Connect)", escape(&connection_of(&a.redirect_uri))),
        &b,
        &format!(
            "Client <code>{}</code>, scope <code>{}</code>. The authorization code goes to <code>{}</code>.",
            escape(&a.client_id),
            escape(&a.scope),
            escape(&a.redirect_uri)
        ),
    )
}

fn params_of(f: &FormFields) -> AuthorizeParams {
    let get = |name: &str| f.get(name).map(str::to_owned);
    AuthorizeParams {
        response_type: get("response_type"),
        client_id: get("client_id"),
        redirect_uri: get("redirect_uri"),
        scope: get("scope"),
        state: get("state"),
        nonce: get("nonce"),
        code_challenge: get("code_challenge"),
        code_challenge_method: get("code_challenge_method"),
    }
}

/// The picker's POST: signs the person in and sends the client a code.
async fn sign_in(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Answer {
    guard::same_origin(&headers, state.port)?;
    body::require_form(&headers)?;
    let f = FormFields::parse(&body::read(body).await?);
    let base = base_url(&state).await?;
    let a = match op::check_authorize(&params_of(&f), &base) {
        Ok(a) => a,
        Err(e) => return refused(e, &base),
    };
    let now = state.clock.now();
    state.csrf.verify(Purpose::OidcSignIn, &a.bound(), f.get("token"), now)?;
    let scenario = f.get("scenario").map(str::trim).filter(|s| !s.is_empty()).unwrap_or("oidc-happy");
    let twists = op::twists_for(scenario).ok_or_else(|| {
        let names: Vec<&str> = TWISTS.iter().map(|t| t.name).collect();
        Refusal::new(
            StatusCode::BAD_REQUEST,
            "Bad request",
            format!("unknown scenario {scenario:?}; the demo OP's scenarios: {}", names.join(", ")),
        )
    })?;
    let persona = f
        .get("persona")
        .ok_or_else(|| Refusal::new(StatusCode::BAD_REQUEST, "Bad request", "pick a person to sign in as"))?;
    let code = if twists.contains(&OidcTwist::ReplayCode) {
        state.demo_op.last_code(&a.redirect_uri, now).ok_or_else(|| {
            Refusal::new(
                StatusCode::CONFLICT,
                "Nothing to replay",
                "The code-replay scenario sends the code of the previous sign-in to this connection again: sign in \
                 once first (within 60 seconds).",
            )
        })?
    } else {
        let (persona, scope) = (persona.to_owned(), a.scope.clone());
        match state.run(move |wb| wb.demo_op_claims(&persona, &scope, now)).await? {
            Ok(claims) => state.demo_op.issue_code(grant(&a, claims, twists, now), now)?,
            Err(why) => {
                let params = [("error", "access_denied"), ("error_description", why.as_str())];
                return redirect_to_client(&a.redirect_uri, &params, a.state.as_deref(), &base);
            }
        }
    };
    redirect_to_client(&a.redirect_uri, &[("code", &code)], a.state.as_deref(), &base)
}

fn grant(
    a: &Authorization,
    claims: serde_json::Map<String, Value>,
    twists: Vec<OidcTwist>,
    now: DateTime<Utc>,
) -> Grant {
    Grant {
        client_id: a.client_id.clone(),
        redirect_uri: a.redirect_uri.clone(),
        code_challenge: a.code_challenge.clone(),
        nonce: a.nonce.clone(),
        scope: a.scope.clone(),
        claims,
        twists,
        auth_time: now,
    }
}

/// One component of HTTP Basic credentials, form-urlencoded per RFC 6749 §2.3.1.
fn form_decoded(part: &str) -> String {
    url::form_urlencoded::parse(format!("v={part}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
}

/// `(client_id, client_secret)` from `Authorization: Basic`.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let (id, secret) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
    Some((form_decoded(id), form_decoded(secret)))
}

fn token_error(e: &TokenError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut r = json_answer(status, &e.body());
    if matches!(e, TokenError::InvalidClient { basic: true }) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"demo-op\""));
    }
    r
}

/// The token endpoint: client authentication (`client_secret_basic` or `_post`, not both),
/// then the code's rules, then the tokens.
async fn token(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Answer {
    if !body::is_form(&headers) {
        return Ok(token_error(&TokenError::InvalidRequest(
            "the body must be application/x-www-form-urlencoded".into(),
        )));
    }
    let f = FormFields::parse(&body::read(body).await?);
    let basic = basic_credentials(&headers);
    let posted = f.get("client_secret").map(|s| (f.get("client_id").unwrap_or_default().to_owned(), s.to_owned()));
    let (client_id, secret, used_basic) = match (basic, posted) {
        (Some(_), Some(_)) => {
            let e =
                TokenError::InvalidRequest("use one client authentication method, not Basic and the body both".into());
            return Ok(token_error(&e));
        }
        (Some((id, secret)), None) => (id, secret, true),
        (None, Some((id, secret))) => (id, secret, false),
        (None, None) => return Ok(token_error(&TokenError::InvalidClient { basic: false })),
    };
    let client = state.run(|wb| wb.demo_op_client()).await?;
    if !client.authenticates(&client_id, &secret) {
        return Ok(token_error(&TokenError::InvalidClient { basic: used_basic }));
    }
    let now = state.clock.now();
    let redemption = Redemption {
        client_id: &client_id,
        grant_type: f.get("grant_type"),
        code: f.get("code"),
        redirect_uri: f.get("redirect_uri"),
        code_verifier: f.get("code_verifier"),
    };
    let grant = match state.demo_op.redeem(&redemption, now) {
        Ok(g) => g,
        Err(e) => return Ok(token_error(&e)),
    };
    let sessions = state.demo_op.clone();
    let answer = state
        .run(move |wb| {
            let key = wb.demo_op_key()?;
            let access_token = sessions.issue_access_token(grant.claims.clone(), now)?;
            let id_token = op::id_token(&wb.demo_op_issuer(), &grant, &access_token, &key, now)?;
            Ok(json!({
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": op::ACCESS_TOKEN_TTL_SECONDS,
                "id_token": id_token,
                "scope": grant.scope,
            }))
        })
        .await?;
    Ok(json_answer(StatusCode::OK, &answer))
}

/// Userinfo (OIDC Core §5.3): the claims of a live access token sent as a Bearer token.
async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned());
    match bearer.and_then(|t| state.demo_op.userinfo(&t, state.clock.now())) {
        Some(claims) => json_answer(StatusCode::OK, &Value::Object(claims)),
        None => {
            let body = json!({"error": "invalid_token", "error_description": "no valid access token"});
            let mut r = json_answer(StatusCode::UNAUTHORIZED, &body);
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer error=\"invalid_token\""));
            r
        }
    }
}
