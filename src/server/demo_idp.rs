//! The built-in demo IdP's HTTP side, on the embedded server: metadata, the HTTP-Redirect
//! SSO endpoint with a persona picker, the sign-in that answers with an auto-posting form,
//! and IdP-initiated starts. Core work goes through `crate::demo` on a pooled workbench.

use std::fmt::Write as _;

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::{AppState, error_response, html, page};
use crate::demo::scenarios::{Flow, SCENARIOS};
use crate::demo::{self, AutoPost, PendingRequest, ScenarioId, SignInForm};
use crate::error::{Error, Result};
use crate::xml::escape;

/// The one script of the demo IdP: submits the auto-post form (served from 'self', so the
/// CSP needs no inline script).
const AUTOPOST_JS: &str = "(function(){var f=document.getElementById('autopost');\
if(f&&f.getAttribute('data-auto')==='1'){f.submit();}})();\n";

/// Bounds on the clock-skew scenario (a day either way).
const MAX_SKEW_MINUTES: i64 = 24 * 60;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/demo-idp/metadata", get(metadata))
        .route("/demo-idp/sso", get(sso).post(sign_in))
        .route("/demo-idp/start", get(start))
        .route("/demo-idp/autopost.js", get(autopost_js))
}

async fn metadata(State(state): State<AppState>) -> Response {
    match state.run(|wb| wb.demo_metadata()).await {
        Ok(xml) => {
            let mut r = (StatusCode::OK, xml).into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/samlmetadata+xml"));
            r
        }
        Err(e) => error_response(&e),
    }
}

async fn autopost_js() -> Response {
    let mut r = (StatusCode::OK, AUTOPOST_JS).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}

#[derive(Deserialize)]
struct SsoQuery {
    #[serde(rename = "SAMLRequest")]
    saml_request: Option<String>,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

async fn sso(State(state): State<AppState>, Query(q): Query<SsoQuery>) -> Response {
    let Some(saml_request) = q.saml_request.filter(|r| !r.trim().is_empty()) else {
        return error_response(&Error::invalid(
            "the demo IdP's SSO endpoint takes a SAMLRequest (HTTP-Redirect binding); start at /saml/{connection}/login",
        ));
    };
    match state.run(move |wb| wb.demo_receive_request(&saml_request)).await {
        Ok(pending) => html(StatusCode::OK, picker(&pending, q.relay_state.as_deref())),
        Err(e) => error_response(&e),
    }
}

#[derive(Deserialize)]
struct SignInFields {
    connection: String,
    persona: Option<String>,
    scenario: Option<String>,
    request_id: Option<String>,
    relay_state: Option<String>,
    skew_minutes: Option<String>,
}

fn scenario(name: Option<&str>, default: ScenarioId) -> Result<ScenarioId> {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        None => Ok(default),
        Some(n) => ScenarioId::parse(n).ok_or_else(|| {
            Error::invalid(format!("unknown scenario {n:?}; scenarios: {}", ScenarioId::names().join(", ")))
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

async fn sign_in(State(state): State<AppState>, Form(f): Form<SignInFields>) -> Response {
    let form = match build_form(f, ScenarioId::Happy) {
        Ok(form) => form,
        Err(e) => return error_response(&e),
    };
    issue(state, form).await
}

fn build_form(f: SignInFields, default: ScenarioId) -> Result<SignInForm> {
    let persona =
        f.persona.filter(|p| !p.trim().is_empty()).ok_or_else(|| Error::invalid("pick a person to sign in as"))?;
    Ok(SignInForm {
        connection: f.connection,
        persona,
        scenario: scenario(f.scenario.as_deref(), default)?,
        request_id: f.request_id.filter(|r| !r.is_empty()),
        relay_state: f.relay_state.filter(|r| !r.is_empty()),
        skew_minutes: skew(f.skew_minutes.as_deref())?,
    })
}

#[derive(Deserialize)]
struct StartQuery {
    connection: Option<String>,
    persona: Option<String>,
    scenario: Option<String>,
    relay_state: Option<String>,
    skew_minutes: Option<String>,
}

/// IdP-initiated: the IdP posts an unsolicited Response (as from a tile in its portal).
async fn start(State(state): State<AppState>, Query(q): Query<StartQuery>) -> Response {
    let fields = SignInFields {
        connection: q.connection.unwrap_or_else(|| demo::DEMO_CONNECTION.into()),
        persona: q.persona,
        scenario: q.scenario,
        request_id: None,
        relay_state: q.relay_state,
        skew_minutes: q.skew_minutes,
    };
    let form = match build_form(fields, ScenarioId::IdpInitiated) {
        Ok(form) => form,
        Err(e) => return error_response(&e),
    };
    issue(state, form).await
}

async fn issue(state: AppState, form: SignInForm) -> Response {
    let now = state.clock.now();
    let replay = form.scenario == ScenarioId::Replay;
    match state.run(move |wb| wb.demo_sign_in(&form, now)).await {
        Ok(post) => auto_post(&post, !replay),
        Err(e) => error_response(&e),
    }
}

/// The form that carries the Response to the ACS, submitted by `/demo-idp/autopost.js`
/// (or the Continue button). `auto` is off for `replay`, whose point is posting twice.
fn auto_post(post: &AutoPost, auto: bool) -> Response {
    let mut b = String::from("<h1>Handshake demo IdP</h1>");
    if post.denied {
        b.push_str("<div class=\"banner bad\"><p>This person is deactivated at the IdP: it answers with a signed RequestDenied status instead of an assertion.</p></div>");
    }
    let _ = write!(
        b,
        "<p>Posting the SAML Response to <code>{}</code>.</p>\
         <form id=\"autopost\" method=\"post\" action=\"{}\" data-auto=\"{}\">\
         <input type=\"hidden\" name=\"SAMLResponse\" value=\"{}\">",
        escape(&post.acs_url),
        escape(&post.acs_url),
        if auto { "1" } else { "0" },
        escape(&post.saml_response)
    );
    if let Some(relay) = &post.relay_state {
        let _ = write!(b, "<input type=\"hidden\" name=\"RelayState\" value=\"{}\">", escape(relay));
    }
    b.push_str("<button type=\"submit\">Continue</button></form>");
    if !auto {
        b.push_str(
            "<p>Replay: press Continue, then go back and press Continue again. The second POST is the replay.</p>",
        );
    }
    b.push_str("<script src=\"/demo-idp/autopost.js\"></script>");
    let mut r = html(StatusCode::OK, page::layout("Signing in", &b));
    let acs_origin = url::Url::parse(&post.acs_url).ok().map(|u| u.origin().ascii_serialization());
    let form_action = match acs_origin.filter(|o| o != "null") {
        Some(origin) => format!("'self' {origin}"),
        None => "'self'".to_owned(),
    };
    let csp = format!(
        "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; form-action {form_action}; frame-ancestors 'none'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r
}

/// The persona picker: who signs in, and which scenario the IdP plays.
fn picker(p: &PendingRequest, relay_state: Option<&str>) -> String {
    let mut b = String::from("<h1>Handshake demo IdP</h1>");
    let _ = write!(
        b,
        "<p>Sign in to <code>{}</code> (connection {}), answering request <code>{}</code>. \
         The Response goes to <code>{}</code>.</p>\
         <form id=\"signin\" method=\"post\" action=\"/demo-idp/sso\">\
         <input type=\"hidden\" name=\"connection\" value=\"{}\">\
         <input type=\"hidden\" name=\"request_id\" value=\"{}\">",
        escape(&p.sp_entity_id),
        escape(&p.connection),
        escape(&p.request_id),
        escape(&p.acs_url),
        escape(&p.connection),
        escape(&p.request_id),
    );
    if let Some(relay) = relay_state {
        let _ = write!(b, "<input type=\"hidden\" name=\"relay_state\" value=\"{}\">", escape(relay));
    }
    b.push_str("<h2>Who signs in</h2><table><tr><th></th><th>Person</th><th>Department</th><th>Groups</th></tr>");
    for (i, person) in p.personas.iter().enumerate() {
        let _ = write!(
            b,
            "<tr><td><input type=\"radio\" name=\"persona\" id=\"persona-{i}\" value=\"{email}\"{checked}></td>\
             <td><label for=\"persona-{i}\">{name}</label><br><code>{email}</code> · {title}{label}{inactive}</td>\
             <td>{dept}</td><td>{groups}</td></tr>",
            email = escape(&person.email),
            checked = if i == 0 { " checked" } else { "" },
            name = escape(&person.display_name),
            title = escape(&person.title),
            label = if person.label.is_empty() { String::new() } else { format!(" · {}", escape(&person.label)) },
            inactive = if person.active { "" } else { " · <strong>deactivated at the IdP</strong>" },
            dept = escape(&person.department),
            groups = escape(&person.groups.join(", ")),
        );
    }
    b.push_str("</table><h2>What the IdP sends</h2><p><label for=\"scenario\">Scenario</label> <select name=\"scenario\" id=\"scenario\">");
    for s in SCENARIOS.iter().filter(|s| s.flow == Flow::SpInitiated) {
        let _ =
            write!(b, "<option value=\"{}\">{}: {}</option>", escape(s.name), escape(s.title), escape(s.explanation));
    }
    let _ = write!(
        b,
        "</select></p><p><label for=\"skew\">IdP clock ahead by (minutes, for clock-skew)</label> \
         <input type=\"number\" name=\"skew_minutes\" id=\"skew\" value=\"{}\" min=\"-{MAX_SKEW_MINUTES}\" max=\"{MAX_SKEW_MINUTES}\"></p>\
         <p><button type=\"submit\">Sign in</button></p></form>",
        demo::scenarios::DEFAULT_SKEW_MINUTES
    );
    page::layout("Demo IdP sign-in", &b)
}
