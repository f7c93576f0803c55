//! The demo IdP's pages, which prospects see: the persona picker (SP-initiated), the start
//! page (IdP-initiated) and the auto-posting form that carries the Response to the ACS.
//! Every form field the scenario driver (`crate::demo::run`) reads is a hidden input written
//! as `<input type="hidden" name=".." value="..">`; the desktop WebDriver test clicks
//! `#persona-0` and `#signin button[type="submit"]`.

use std::fmt::Write as _;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::demo_idp::MAX_SKEW_MINUTES;
use super::{html, page};
use crate::demo::scenarios::{self, Flow, SCENARIOS};
use crate::demo::{AutoPost, DemoTarget, PendingRequest, Persona, ScenarioId};
use crate::xml::escape;

/// What the start page's query pre-selects.
pub(super) struct Prefill {
    /// Email of the persona to check (default the first).
    pub persona: Option<String>,
    pub scenario: ScenarioId,
    pub skew_minutes: Option<i64>,
}

fn hidden(b: &mut String, name: &str, value: &str) {
    let _ = write!(b, "<input type=\"hidden\" name=\"{name}\" value=\"{}\">", escape(value));
}

/// Who signs in: a radio button per persona, `checked` the given one (default the first).
fn people(b: &mut String, personas: &[Persona], checked: Option<&str>) {
    let checked = checked.and_then(|email| personas.iter().position(|p| p.email == email)).unwrap_or(0);
    b.push_str("<h2>Who signs in</h2><table><tr><th></th><th>Person</th><th>Department</th><th>Groups</th></tr>");
    for (i, person) in personas.iter().enumerate() {
        let _ = write!(
            b,
            "<tr><td><input type=\"radio\" name=\"persona\" id=\"persona-{i}\" value=\"{email}\"{checked}></td>\
             <td><label for=\"persona-{i}\">{name}</label><br><code>{email}</code> · {title}{label}{inactive}</td>\
             <td>{dept}</td><td>{groups}</td></tr>",
            email = escape(&person.email),
            checked = if i == checked { " checked" } else { "" },
            name = escape(&person.display_name),
            title = escape(&person.title),
            label = if person.label.is_empty() { String::new() } else { format!(" · {}", escape(&person.label)) },
            inactive = if person.active { "" } else { " · <strong>deactivated at the IdP</strong>" },
            dept = escape(&person.department),
            groups = escape(&person.groups.join(", ")),
        );
    }
    b.push_str("</table>");
}

/// What the IdP sends: the scenarios of `flow`, `selected` pre-selected; the clock skew; the button.
fn what_is_sent(b: &mut String, flow: Flow, selected: ScenarioId, skew_minutes: Option<i64>) {
    b.push_str("<h2>What the IdP sends</h2><p><label for=\"scenario\">Scenario</label> <select name=\"scenario\" id=\"scenario\">");
    for s in SCENARIOS.iter().filter(|s| s.flow == flow) {
        let _ = write!(
            b,
            "<option value=\"{}\"{}>{}: {}</option>",
            escape(s.name),
            if s.id == selected { " selected" } else { "" },
            escape(s.title),
            escape(s.explanation)
        );
    }
    let _ = write!(
        b,
        "</select></p><p><label for=\"skew\">IdP clock ahead by (minutes, for clock-skew)</label> \
         <input type=\"number\" name=\"skew_minutes\" id=\"skew\" value=\"{}\" min=\"-{MAX_SKEW_MINUTES}\" max=\"{MAX_SKEW_MINUTES}\"></p>\
         <p><button type=\"submit\">Sign in</button></p></form>",
        skew_minutes.unwrap_or(scenarios::DEFAULT_SKEW_MINUTES)
    );
}

/// The persona picker: who signs in, and which scenario the IdP plays. `token` binds the
/// connection, the AuthnRequest and the RelayState.
pub(super) fn picker(p: &PendingRequest, relay_state: Option<&str>, token: &str) -> String {
    let t = &p.target;
    let mut b = String::from("<h1>Handshake demo IdP</h1>");
    let _ = write!(
        b,
        "<p>Sign in to <code>{}</code> (connection {}), answering request <code>{}</code>. \
         The Response goes to <code>{}</code>.</p>\
         <form id=\"signin\" method=\"post\" action=\"/demo-idp/sso\">",
        escape(&t.sp_entity_id),
        escape(&t.connection),
        escape(&p.request_id),
        escape(&t.acs_url),
    );
    hidden(&mut b, "connection", &t.connection);
    hidden(&mut b, "request_id", &p.request_id);
    if let Some(relay) = relay_state {
        hidden(&mut b, "relay_state", relay);
    }
    hidden(&mut b, "token", token);
    people(&mut b, &t.personas, None);
    what_is_sent(&mut b, Flow::SpInitiated, ScenarioId::Happy, None);
    page::layout("Demo IdP sign-in", &b)
}

/// The IdP-initiated start page: like a tile in the IdP's portal, with the choices of the picker.
pub(super) fn start(t: &DemoTarget, prefill: &Prefill, relay_state: Option<&str>, token: &str) -> String {
    let mut b = String::from("<h1>Handshake demo IdP</h1>");
    let _ = write!(
        b,
        "<p>IdP-initiated sign-in to <code>{}</code> (connection {}): the IdP posts a Response nobody asked for \
         to <code>{}</code>.</p>\
         <form id=\"start\" method=\"post\" action=\"/demo-idp/start\">",
        escape(&t.sp_entity_id),
        escape(&t.connection),
        escape(&t.acs_url),
    );
    hidden(&mut b, "connection", &t.connection);
    if let Some(relay) = relay_state {
        hidden(&mut b, "relay_state", relay);
    }
    hidden(&mut b, "token", token);
    people(&mut b, &t.personas, prefill.persona.as_deref());
    what_is_sent(&mut b, Flow::IdpInitiated, prefill.scenario, prefill.skew_minutes);
    page::layout("Demo IdP sign-in", &b)
}

/// The form that carries the Response to the ACS, submitted by `/demo-idp/autopost.js`
/// (or the Continue button). `auto` is off for `replay`, whose point is posting twice.
pub(super) fn auto_post(post: &AutoPost, auto: bool) -> Response {
    let mut b = String::from("<h1>Handshake demo IdP</h1>");
    if post.denied {
        b.push_str("<div class=\"banner bad\"><p>This person is deactivated at the IdP: it answers with a signed RequestDenied status instead of an assertion.</p></div>");
    }
    let _ = write!(
        b,
        "<p>Posting the SAML Response to <code>{}</code>.</p>\
         <form id=\"autopost\" method=\"post\" action=\"{}\" data-auto=\"{}\">",
        escape(&post.acs_url),
        escape(&post.acs_url),
        if auto { "1" } else { "0" },
    );
    hidden(&mut b, "SAMLResponse", &post.saml_response);
    if let Some(relay) = &post.relay_state {
        hidden(&mut b, "RelayState", relay);
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
