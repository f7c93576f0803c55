//! The demo IdP's pages, which prospects see: the persona picker (SP-initiated), the start
//! page (IdP-initiated) and the auto-posting form that carries the Response to the ACS.
//! Every form field the scenario driver (`crate::demo::run`) reads is a hidden input written
//! as `<input type="hidden" name=".." value="..">`; the desktop WebDriver tests click
//! `#persona-0` and `#signin button[type="submit"]`. The sign-in pages look like a real
//! IdP's: the person picker first, a prominent Sign in button above the fold of the login
//! window, the scenario and the clock skew behind "Advanced".

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

pub(super) fn hidden(b: &mut String, name: &str, value: &str) {
    let _ = write!(b, "<input type=\"hidden\" name=\"{name}\" value=\"{}\">", escape(value));
}

/// The sign-in page's look: a centred card like a real IdP's, the Sign in button above the
/// fold of a small login window (the person list scrolls on its own past half the height).
const SIGN_IN_STYLE: &str = "*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,sans-serif;background:#eef1f5;color:#1c2430}\
.idp{display:flex;justify-content:center;padding:24px 16px}\
.card{width:100%;max-width:500px;background:#fff;border:1px solid #dde3ea;border-radius:12px;box-shadow:0 4px 18px rgba(20,30,50,.08);padding:24px 28px}\
.brand{display:flex;align-items:center;gap:8px;font-weight:600;font-size:14px;color:#3d4754}\
.logo{display:inline-grid;place-items:center;width:26px;height:26px;border-radius:7px;background:#1f5fd1;color:#fff;font-size:14px}\
h1{font-size:1.5rem;margin:14px 0 2px}.to{margin:0 0 14px;color:#4b5563;font-size:14px;overflow-wrap:anywhere}\
fieldset{border:0;margin:0;padding:0;min-width:0}legend{font-weight:600;font-size:14px;margin-bottom:6px;padding:0}\
.people{max-height:48vh;overflow:auto;display:grid;gap:6px;padding:2px}\
.person{display:flex;align-items:center;gap:10px;padding:8px 10px;border:1px solid #d0d7de;border-radius:8px;cursor:pointer}\
.person:hover{border-color:#8aa4d6}.person:has(input:checked){border-color:#1f5fd1;background:#eef4ff;box-shadow:0 0 0 1px #1f5fd1}\
.person input{margin:0;accent-color:#1f5fd1}.avatar{flex:none;display:inline-grid;place-items:center;width:34px;height:34px;border-radius:50%;background:#dbe5f5;color:#1d3f7a;font-weight:600;font-size:13px}\
.who{display:flex;flex-direction:column;min-width:0}.name{font-weight:600}.sub{font-size:13px;color:#5b6470;overflow-wrap:anywhere}\
.off{color:#b3261e;font-weight:600}\
.signin{display:block;width:100%;margin:14px 0 0;padding:11px 16px;font:600 16px system-ui,sans-serif;color:#fff;background:#1f5fd1;border:0;border-radius:8px;cursor:pointer}\
.signin:hover{background:#194fb0}.signin:focus-visible,.person:focus-within{outline:2px solid #1f5fd1;outline-offset:2px}\
details{margin-top:14px;font-size:14px}summary{cursor:pointer;color:#1f5fd1;font-weight:600}\
details label{display:block;margin:10px 0 4px;font-weight:600}select,input[type=number]{width:100%;font:inherit;padding:6px 8px}\
.fine{margin:16px 0 0;font-size:12px;color:#6b7785;overflow-wrap:anywhere}code{font:12px ui-monospace,monospace}\
@media (prefers-color-scheme:dark){body{background:#0f1318;color:#e3e8ee}.card{background:#181d24;border-color:#2a333e;box-shadow:none}\
.brand{color:#c5ccd6}.to,.sub,.fine{color:#9aa5b1}.person{border-color:#34404d}.person:has(input:checked){background:#16233a;border-color:#6a9cf0;box-shadow:0 0 0 1px #6a9cf0}\
.avatar{background:#263752;color:#cfe0ff}summary{color:#8ab4f8}.off{color:#f28b82}}";

/// Initials for the avatar: the first letters of the first two words of the name.
fn initials(name: &str) -> String {
    name.split_whitespace().take(2).filter_map(|w| w.chars().next()).flat_map(char::to_uppercase).collect()
}

/// Who signs in: a radio button per persona, `checked` the given one (default the first).
pub(super) fn people(b: &mut String, personas: &[Persona], checked: Option<&str>) {
    let checked = checked.and_then(|email| personas.iter().position(|p| p.email == email)).unwrap_or(0);
    b.push_str("<fieldset><legend>Choose an account</legend><div class=\"people\">");
    for (i, person) in personas.iter().enumerate() {
        let _ = write!(
            b,
            "<label class=\"person\" for=\"persona-{i}\"><input type=\"radio\" name=\"persona\" id=\"persona-{i}\" value=\"{email}\"{checked}>\
             <span class=\"avatar\" aria-hidden=\"true\">{initials}</span><span class=\"who\"><span class=\"name\">{name}</span>\
             <span class=\"sub\">{email} · {title}{dept}{label}</span><span class=\"sub\">{groups}{inactive}</span></span></label>",
            email = escape(&person.email),
            checked = if i == checked { " checked" } else { "" },
            initials = escape(&initials(&person.display_name)),
            name = escape(&person.display_name),
            title = escape(&person.title),
            dept =
                if person.department.is_empty() { String::new() } else { format!(", {}", escape(&person.department)) },
            label = if person.label.is_empty() { String::new() } else { format!(" · {}", escape(&person.label)) },
            groups = if person.groups.is_empty() {
                String::new()
            } else {
                format!("Groups: {}", escape(&person.groups.join(", ")))
            },
            inactive = if person.active { "" } else { " <span class=\"off\">· deactivated at the IdP</span>" },
        );
    }
    b.push_str("</div></fieldset>");
}

/// The Sign in button, then what the IdP sends behind "Advanced": the scenarios of `flow`
/// (`selected` pre-selected) and the clock skew.
fn sign_in_and_advanced(b: &mut String, flow: Flow, selected: ScenarioId, skew_minutes: Option<i64>) {
    b.push_str(
        "<button type=\"submit\" class=\"signin\">Sign in</button>\
         <details><summary>Advanced: what the IdP sends</summary><label for=\"scenario\">Scenario</label><select name=\"scenario\" id=\"scenario\">",
    );
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
        "</select><label for=\"skew\">IdP clock ahead by (minutes, for clock-skew)</label>\
         <input type=\"number\" name=\"skew_minutes\" id=\"skew\" value=\"{}\" min=\"-{MAX_SKEW_MINUTES}\" max=\"{MAX_SKEW_MINUTES}\"></details>",
        skew_minutes.unwrap_or(scenarios::DEFAULT_SKEW_MINUTES)
    );
}

/// The page around a sign-in form: the IdP's card, its heading and whom it signs in to.
pub(super) fn sign_in_page(to: &str, form: &str, fine_print: &str) -> String {
    let body = format!(
        "<main class=\"idp\"><div class=\"card\"><div class=\"brand\"><span class=\"logo\" aria-hidden=\"true\">⇄</span>\
         Handshake demo IdP</div><h1>Sign in</h1><p class=\"to\">{to}</p>{form}<p class=\"fine\">{fine_print}</p></div></main>"
    );
    page::layout_styled("Demo IdP sign-in", SIGN_IN_STYLE, &body)
}

/// The persona picker: who signs in, and which scenario the IdP plays. `token` binds the
/// connection, the AuthnRequest and the RelayState.
pub(super) fn picker(p: &PendingRequest, relay_state: Option<&str>, token: &str) -> String {
    let t = &p.target;
    let mut b = String::from("<form id=\"signin\" method=\"post\" action=\"/demo-idp/sso\">");
    hidden(&mut b, "connection", &t.connection);
    hidden(&mut b, "request_id", &p.request_id);
    if let Some(relay) = relay_state {
        hidden(&mut b, "relay_state", relay);
    }
    hidden(&mut b, "token", token);
    people(&mut b, &t.personas, None);
    sign_in_and_advanced(&mut b, Flow::SpInitiated, ScenarioId::Happy, None);
    b.push_str("</form>");
    sign_in_page(
        &format!("to continue to <strong>{}</strong>", escape(&t.connection)),
        &b,
        &format!(
            "Signing in to <code>{}</code>, answering request <code>{}</code>. The Response goes to <code>{}</code>.",
            escape(&t.sp_entity_id),
            escape(&p.request_id),
            escape(&t.acs_url),
        ),
    )
}

/// The IdP-initiated start page: like a tile in the IdP's portal, with the choices of the picker.
pub(super) fn start(t: &DemoTarget, prefill: &Prefill, relay_state: Option<&str>, token: &str) -> String {
    let mut b = String::from("<form id=\"start\" method=\"post\" action=\"/demo-idp/start\">");
    hidden(&mut b, "connection", &t.connection);
    if let Some(relay) = relay_state {
        hidden(&mut b, "relay_state", relay);
    }
    hidden(&mut b, "token", token);
    people(&mut b, &t.personas, prefill.persona.as_deref());
    sign_in_and_advanced(&mut b, Flow::IdpInitiated, prefill.scenario, prefill.skew_minutes);
    b.push_str("</form>");
    sign_in_page(
        &format!("to <strong>{}</strong>, started at the IdP", escape(&t.connection)),
        &b,
        &format!(
            "IdP-initiated sign-in to <code>{}</code>: the IdP posts a Response nobody asked for to <code>{}</code>.",
            escape(&t.sp_entity_id),
            escape(&t.acs_url),
        ),
    )
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
            "<p>Replay: press Continue, then go back and press Continue again. The second POST is the replay. \
             (Handshake's own login window closes when the first result arrives: there, run the replay scenario \
             from the Demo IdP screen, which posts twice.)</p>",
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
