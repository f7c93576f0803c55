//! Drives a scenario through the real HTTP endpoints, as a browser would: the SP's login
//! URL, the demo IdP's SSO page (or its IdP-initiated start page), the sign-in form posted
//! back with its hidden fields (the anti-CSRF token among them) and the page's `Origin`,
//! the auto-posting form, the SP's ACS. An OpenID Connect scenario goes the code flow's
//! way: the SP's `/oidc/{connection}/login`, the demo OP's person picker, its redirect with
//! the code to the SP's callback.

use std::sync::LazyLock;

use regex::Regex;
use reqwest::redirect::Policy;

use super::PreparedScenario;
use super::scenarios::{Flow, ScenarioId};
use crate::connection::url_segment;
use crate::error::{Error, ErrorCode, Result};

static FORM_ACTION: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r#"<form [^>]*action="([^"]*)""#).ok());
static HIDDEN: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"<input type="hidden" name="([^"]*)" value="([^"]*)">"#).ok());
static TEST_LOGIN: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"/test-logins/(\d+)$").ok());

fn failed(step: &str, detail: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::Io, format!("the demo login failed at {step}: {detail}"))
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"").replace("&apos;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// A form of one of our pages: its action and hidden fields.
struct Form {
    action: String,
    fields: Vec<(String, String)>,
}

fn read_form(html: &str, step: &str) -> Result<Form> {
    let (Some(action_re), Some(hidden_re)) = (FORM_ACTION.as_ref(), HIDDEN.as_ref()) else {
        return Err(Error::new(ErrorCode::Internal, "form patterns do not compile"));
    };
    let action = action_re
        .captures(html)
        .and_then(|c| c.get(1))
        .map(|m| unescape(m.as_str()))
        .ok_or_else(|| failed(step, "the page has no form"))?;
    let fields = hidden_re
        .captures_iter(html)
        .filter_map(|c| Some((unescape(c.get(1)?.as_str()), unescape(c.get(2)?.as_str()))))
        .collect();
    Ok(Form { action, fields })
}

fn absolute(base: &str, target: &str) -> String {
    if target.starts_with("http://") || target.starts_with("https://") {
        target.to_owned()
    } else {
        format!("{}{target}", base.trim_end_matches('/'))
    }
}

/// `scheme://host:port` of the server's base URL, as a browser's `Origin` header names it.
fn origin_of(base: &str) -> String {
    reqwest::Url::parse(base).map(|u| u.origin().ascii_serialization()).unwrap_or_else(|_| base.to_owned())
}

async fn page(response: reqwest::Response, step: &str) -> Result<String> {
    let status = response.status();
    let body = response.text().await.map_err(|e| failed(step, e))?;
    if !status.is_success() {
        let text: String = body.chars().take(300).collect();
        return Err(failed(step, format!("HTTP {status}: {text}")));
    }
    Ok(body)
}

fn location(response: &reqwest::Response, step: &str) -> Result<String> {
    if !response.status().is_redirection() {
        return Err(failed(step, format!("expected a redirect, got HTTP {}", response.status())));
    }
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| failed(step, "a redirect without Location"))
}

/// Posts the IdP's auto-post form to the ACS; returns the test login the ACS recorded.
async fn post_to_acs(client: &reqwest::Client, base: &str, form: &Form) -> Result<i64> {
    let response =
        client.post(absolute(base, &form.action)).form(&form.fields).send().await.map_err(|e| failed("the ACS", e))?;
    test_login_of(&location(&response, "the ACS")?, "the ACS")
}

/// The test login a result redirect (`/test-logins/{id}`) points at.
fn test_login_of(target: &str, step: &str) -> Result<i64> {
    TEST_LOGIN
        .as_ref()
        .and_then(|re| re.captures(target))
        .and_then(|c| c.get(1))
        .and_then(|m| m.as_str().parse().ok())
        .ok_or_else(|| failed(step, format!("it redirected to {target}, not to a test login")))
}

/// One OIDC login through the real endpoints: the SP's login (303 to the demo OP), the
/// OP's person picker posted back with its hidden fields, the `Origin` and `scenario`, the
/// OP's 303 to the SP's callback, the callback's 303 to the test login it recorded.
async fn oidc_login(client: &reqwest::Client, base: &str, prepared: &PreparedScenario, scenario: &str) -> Result<i64> {
    let login = format!("{base}/oidc/{}/login", url_segment(&prepared.connection));
    let r = client.get(&login).send().await.map_err(|e| failed("the SP's OIDC login", e))?;
    let authorize = location(&r, "the SP's OIDC login")?;
    let step = "the demo OP's sign-in page";
    let r = client.get(absolute(base, &authorize)).send().await.map_err(|e| failed(step, e))?;
    let picker = read_form(&page(r, step).await?, step)?;
    let mut fields = picker.fields;
    fields.push(("persona".into(), prepared.persona.clone()));
    fields.push(("scenario".into(), scenario.into()));
    let step = "the demo OP's sign-in";
    let r = client
        .post(absolute(base, &picker.action))
        .header(reqwest::header::ORIGIN, origin_of(base))
        .form(&fields)
        .send()
        .await
        .map_err(|e| failed(step, e))?;
    if !r.status().is_redirection() {
        return Err(failed(step, format!("HTTP {}: {}", r.status(), page_text(r).await)));
    }
    let callback = location(&r, step)?;
    let step = "the SP's OIDC callback";
    let r = client.get(absolute(base, &callback)).send().await.map_err(|e| failed(step, e))?;
    if !r.status().is_redirection() {
        return Err(failed(step, format!("HTTP {}: {}", r.status(), page_text(r).await)));
    }
    test_login_of(&location(&r, step)?, step)
}

/// The start of a page's body, for an error message.
async fn page_text(r: reqwest::Response) -> String {
    r.text().await.unwrap_or_default().chars().take(300).collect()
}

/// An OIDC scenario: one login, or for `oidc-code-replay` a happy login first (its code is
/// what the OP sends again), then the replaying one.
async fn drive_oidc(client: &reqwest::Client, base: &str, prepared: &PreparedScenario) -> Result<i64> {
    let scenario = prepared.scenario.name();
    if prepared.scenario == ScenarioId::OidcCodeReplay {
        oidc_login(client, base, prepared, ScenarioId::OidcHappy.name()).await?;
    }
    oidc_login(client, base, prepared, scenario).await
}

/// Runs the prepared scenario against the embedded server at `base_url` (the server must
/// be serving the same catalog). Returns the id of the deciding test login.
pub async fn drive(base_url: &str, prepared: &PreparedScenario) -> Result<i64> {
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .cookie_store(true)
        .build()
        .map_err(|e| Error::new(ErrorCode::Internal, format!("HTTP client: {e}")))?;
    let base = base_url.trim_end_matches('/');
    let scenario = prepared.scenario.name();
    let skew = prepared.skew_minutes.to_string();
    let (page_url, step) = match prepared.scenario.spec().flow {
        // A SCIM scenario's sign-ins are SP-initiated (`scim_run` sends them as the happy path).
        Flow::SpInitiated | Flow::Scim => {
            let login = format!("{base}/saml/{}/login", url_segment(&prepared.connection));
            let r = client.get(&login).send().await.map_err(|e| failed("the SP login", e))?;
            (location(&r, "the SP login")?, "the demo IdP's SSO")
        }
        Flow::IdpInitiated => {
            let query = [("connection", prepared.connection.as_str()), ("persona", prepared.persona.as_str())];
            let url = reqwest::Url::parse_with_params(&format!("{base}/demo-idp/start"), query)
                .map_err(|e| failed("the demo IdP's start", e))?;
            (url.to_string(), "the demo IdP's start")
        }
        Flow::OidcCode => return drive_oidc(&client, base, prepared).await,
    };
    let r = client.get(&page_url).send().await.map_err(|e| failed(step, e))?;
    let sign_in = read_form(&page(r, step).await?, step)?;
    let mut fields = sign_in.fields;
    fields.push(("persona".into(), prepared.persona.clone()));
    fields.push(("scenario".into(), scenario.into()));
    fields.push(("skew_minutes".into(), skew));
    // A browser names the page's origin on the form's POST; the demo IdP checks it.
    let r = client
        .post(absolute(base, &sign_in.action))
        .header(reqwest::header::ORIGIN, origin_of(base))
        .form(&fields)
        .send()
        .await
        .map_err(|e| failed("the demo IdP's sign-in", e))?;
    let auto_post = page(r, "the demo IdP's sign-in").await?;
    let form = read_form(&auto_post, "the demo IdP's response")?;
    let first = post_to_acs(&client, base, &form).await?;
    if prepared.scenario == ScenarioId::Replay {
        // The same form again, as a resubmitted or captured POST would be.
        return post_to_acs(&client, base, &form).await;
    }
    Ok(first)
}
