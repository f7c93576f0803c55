//! The built-in demo IdP's HTTP side, on the embedded server: metadata, the HTTP-Redirect
//! SSO endpoint with a persona picker, the IdP-initiated start page, and the sign-ins that
//! answer with an auto-posting form. Core work goes through `crate::demo` on a pooled workbench.
//!
//! Only a POST from the demo IdP's own page signs anything: a GET renders a form, and the
//! form's POST needs its anti-CSRF token and a same-origin request. The picker's token binds
//! the AuthnRequest it answers, so `InResponseTo` is always an ID the demo IdP received.

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::body::{self, FormFields};
use super::csrf::Purpose;
use super::demo_pages::{self, Prefill};
use super::{Answer, AppState, guard, html};
use crate::demo::{DEMO_CONNECTION, ScenarioId, SignInForm};
use crate::error::{Error, Result};

/// The one script of the demo IdP: submits the auto-post form (served from 'self', so the
/// CSP needs no inline script).
const AUTOPOST_JS: &str = "(function(){var f=document.getElementById('autopost');\
if(f&&f.getAttribute('data-auto')==='1'){f.submit();}})();\n";

/// Bounds on the clock-skew scenario (a day either way).
pub(super) const MAX_SKEW_MINUTES: i64 = 24 * 60;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/demo-idp/metadata", get(metadata))
        .route("/demo-idp/sso", get(sso).post(sign_in))
        .route("/demo-idp/start", get(start_page).post(start))
        .route("/demo-idp/autopost.js", get(autopost_js))
}

async fn metadata(State(state): State<AppState>) -> Answer {
    let xml = state.run(|wb| wb.demo_metadata()).await?;
    let mut r = (StatusCode::OK, xml).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/samlmetadata+xml"));
    Ok(r)
}

async fn autopost_js() -> Response {
    let mut r = (StatusCode::OK, AUTOPOST_JS).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}

fn nonblank(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

fn scenario(name: Option<&str>, default: ScenarioId) -> Result<ScenarioId> {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        None => Ok(default),
        // The `oidc-*` scenarios are the demo OP's: the SAML IdP does not know them.
        Some(n) => ScenarioId::parse(n).filter(|s| !s.is_oidc()).ok_or_else(|| {
            let saml: Vec<&str> = ScenarioId::names().into_iter().filter(|n| !n.starts_with("oidc-")).collect();
            Error::invalid(format!("unknown scenario {n:?}; the demo IdP's scenarios: {}", saml.join(", ")))
        }),
    }
}

fn skew(raw: Option<&str>) -> Result<Option<i64>> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let minutes: i64 = raw.parse().map_err(|_| Error::invalid(format!("clock skew {raw:?} is not whole minutes")))?;
    if minutes.abs() > MAX_SKEW_MINUTES {
        return Err(Error::invalid(format!("clock skew is at most {MAX_SKEW_MINUTES} minutes either way")));
    }
    Ok(Some(minutes))
}

#[derive(Deserialize)]
struct SsoQuery {
    #[serde(rename = "SAMLRequest")]
    saml_request: Option<String>,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

/// HTTP-Redirect binding: reads the AuthnRequest and shows the persona picker.
async fn sso(State(state): State<AppState>, Query(q): Query<SsoQuery>) -> Answer {
    let saml_request = nonblank(q.saml_request).ok_or_else(|| {
        Error::invalid(
            "the demo IdP's SSO endpoint takes a SAMLRequest (HTTP-Redirect binding); start at /saml/{connection}/login",
        )
    })?;
    let relay_state = nonblank(q.relay_state);
    let pending = state.run(move |wb| wb.demo_receive_request(&saml_request)).await?;
    let relay = relay_state.as_deref().unwrap_or("");
    let bound = [pending.target.connection.as_str(), pending.request_id.as_str(), relay];
    let token = state.csrf.issue(Purpose::SignIn, &bound, state.clock.now())?;
    Ok(html(StatusCode::OK, demo_pages::picker(&pending, relay_state.as_deref(), &token)))
}

/// The picker's POST: answers the AuthnRequest its token names.
async fn sign_in(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Answer {
    guard::same_origin(&headers, state.port)?;
    body::require_form(&headers)?;
    let f = FormFields::parse(&body::read(body).await?);
    let connection = f.get("connection").ok_or_else(|| Error::invalid("the sign-in form names no connection"))?;
    let request_id = f.get("request_id").ok_or_else(|| {
        Error::invalid(
            "the sign-in form answers no AuthnRequest (request_id); IdP-initiated logins start at /demo-idp/start",
        )
    })?;
    let relay = f.get("relay_state").unwrap_or("");
    state.csrf.verify(Purpose::SignIn, &[connection, request_id, relay], f.get("token"), state.clock.now())?;
    let form = sign_in_form(&f, connection, Some(request_id), ScenarioId::Happy)?;
    issue(state, form).await
}

#[derive(Deserialize)]
struct StartQuery {
    connection: Option<String>,
    persona: Option<String>,
    scenario: Option<String>,
    relay_state: Option<String>,
    skew_minutes: Option<String>,
}

/// IdP-initiated, as from a tile in the IdP's portal: the page to pick who signs in
/// (the query pre-selects); signing happens only on its POST.
async fn start_page(State(state): State<AppState>, Query(q): Query<StartQuery>) -> Answer {
    let connection = nonblank(q.connection).unwrap_or_else(|| DEMO_CONNECTION.into());
    let scenario = scenario(q.scenario.as_deref(), ScenarioId::IdpInitiated)?;
    let skew_minutes = skew(q.skew_minutes.as_deref())?;
    let relay_state = nonblank(q.relay_state);
    let target = state.run(move |wb| wb.demo_target(&connection)).await?;
    let persona = match nonblank(q.persona) {
        None => None,
        Some(key) => Some(
            target
                .persona(&key)
                .ok_or_else(|| Error::not_found(format!("the demo IdP has no persona {key:?}")))?
                .email
                .clone(),
        ),
    };
    let bound = [target.connection.as_str(), relay_state.as_deref().unwrap_or("")];
    let token = state.csrf.issue(Purpose::Start, &bound, state.clock.now())?;
    let prefill = Prefill { persona, scenario, skew_minutes };
    Ok(html(StatusCode::OK, demo_pages::start(&target, &prefill, relay_state.as_deref(), &token)))
}

/// The start page's POST: the IdP posts an unsolicited Response.
async fn start(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Answer {
    guard::same_origin(&headers, state.port)?;
    body::require_form(&headers)?;
    let f = FormFields::parse(&body::read(body).await?);
    let connection = f.get("connection").unwrap_or(DEMO_CONNECTION);
    let relay = f.get("relay_state").unwrap_or("");
    state.csrf.verify(Purpose::Start, &[connection, relay], f.get("token"), state.clock.now())?;
    let form = sign_in_form(&f, connection, None, ScenarioId::IdpInitiated)?;
    issue(state, form).await
}

fn sign_in_form(f: &FormFields, connection: &str, request_id: Option<&str>, default: ScenarioId) -> Result<SignInForm> {
    let persona = f.get("persona").ok_or_else(|| Error::invalid("pick a person to sign in as"))?;
    Ok(SignInForm {
        connection: connection.to_owned(),
        persona: persona.to_owned(),
        scenario: scenario(f.get("scenario"), default)?,
        request_id: request_id.map(str::to_owned),
        relay_state: f.get("relay_state").map(str::to_owned),
        skew_minutes: skew(f.get("skew_minutes"))?,
    })
}

async fn issue(state: AppState, form: SignInForm) -> Answer {
    let now = state.clock.now();
    let replay = form.scenario == ScenarioId::Replay;
    let post = state.run(move |wb| wb.demo_sign_in(&form, now)).await?;
    Ok(demo_pages::auto_post(&post, !replay))
}
