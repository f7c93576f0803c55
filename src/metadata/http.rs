//! Fetching a document over HTTP(S): http/https only, bounded in time, size and redirects,
//! UTF-8, with messages that name the URL (without its password) and the cause. Metadata
//! import uses it directly; `oidc::http` (discovery, JWKS) through [`get_text`] and
//! [`read_capped`].

use super::text::quote;
use crate::{Error, ErrorCode};

/// Largest metadata document [`fetch`] accepts.
pub const MAX_METADATA_BYTES: usize = 16 * 1024 * 1024;
/// Total time [`fetch`] allows for connecting, the response and the whole body.
pub const FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Limits for [`fetch_with`]. [`fetch`] uses the defaults: 16 MiB, 30 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchLimits {
    pub max_bytes: usize,
    pub timeout: std::time::Duration,
}

impl Default for FetchLimits {
    fn default() -> Self {
        FetchLimits { max_bytes: MAX_METADATA_BYTES, timeout: FETCH_TIMEOUT }
    }
}

/// Downloads a metadata document: http/https only, 30 s in all, at most 16 MiB, UTF-8.
pub async fn fetch(url: &str) -> crate::Result<String> {
    fetch_with(url, FetchLimits::default()).await
}

/// [`fetch`] with explicit limits.
pub async fn fetch_with(url: &str, limits: FetchLimits) -> crate::Result<String> {
    let request = BoundedGet {
        limits,
        accept: "application/samlmetadata+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1",
        what: "metadata",
        purpose: "SAML metadata import",
        max_redirects: DEFAULT_MAX_REDIRECTS,
        redirect_rule: None,
    };
    get_text(url, &request).await
}

/// How many redirects a fetch follows unless told otherwise (reqwest's default).
pub const DEFAULT_MAX_REDIRECTS: usize = 10;

/// A rule each redirect target must pass; `Err` says why it does not.
pub type RedirectRule = fn(&url::Url) -> Result<(), String>;

/// One bounded GET: what to accept, what the document is called in messages, and how many
/// redirects (each to http or https only) it may follow.
#[derive(Debug, Clone, Copy)]
pub struct BoundedGet<'a> {
    pub limits: FetchLimits,
    pub accept: &'a str,
    /// The document, in messages: "metadata", "discovery document", "JWKS".
    pub what: &'a str,
    /// Said in the User-Agent: "SAML metadata import", "OpenID Connect discovery".
    pub purpose: &'a str,
    pub max_redirects: usize,
    /// What every redirect target must also satisfy (`Err` says why not), beyond http(s).
    pub redirect_rule: Option<RedirectRule>,
}

/// Downloads a text document: http/https only, bounded in time, size and redirects, UTF-8.
/// Every failure is an error naming the URL (without its password) and the cause.
pub async fn get_text(url: &str, request: &BoundedGet<'_>) -> crate::Result<String> {
    let parsed =
        url::Url::parse(url.trim()).map_err(|e| Error::invalid(format!("{} is not a valid URL: {e}", quote(url))))?;
    let shown = redacted(&parsed);
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::invalid(format!(
            "cannot fetch {shown}: only http and https URLs are supported, not {}:",
            parsed.scheme()
        )));
    }
    let limits = request.limits;
    let network = |what: String| Error::new(ErrorCode::Network, format!("fetching {shown} failed: {what}"));
    let max_redirects = request.max_redirects;
    let redirect_rule = request.redirect_rule;
    let client = reqwest::Client::builder()
        .timeout(limits.timeout)
        .user_agent(format!("Handshake/{} ({})", env!("CARGO_PKG_VERSION"), request.purpose))
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > max_redirects {
                attempt.error(format!("more than {max_redirects} redirects"))
            } else if !matches!(attempt.url().scheme(), "http" | "https") {
                let scheme = attempt.url().scheme().to_owned();
                attempt.error(format!("a redirect to a {scheme}: URL"))
            } else if let Some(Err(why)) = redirect_rule.map(|rule| rule(attempt.url())) {
                attempt.error(format!("a redirect to {why}"))
            } else {
                attempt.follow()
            }
        }))
        .build()
        .map_err(|e| Error::new(ErrorCode::Internal, format!("cannot set up the HTTP client: {}", cause_chain(&e))))?;
    let response = client
        .get(parsed.clone())
        .header(reqwest::header::ACCEPT, request.accept)
        .send()
        .await
        .map_err(|e| network(describe(&e, limits)))?;

    let status = response.status();
    if !status.is_success() {
        return Err(network(format!(
            "the server answered HTTP {}{}",
            status.as_u16(),
            status.canonical_reason().map(|r| format!(" {r}")).unwrap_or_default()
        )));
    }
    let body = read_capped(response, limits, request.what).await.map_err(network)?;
    String::from_utf8(body).map_err(|e| {
        let bytes = e.as_bytes();
        let utf16 = bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
        network(format!(
            "the body is not UTF-8 text (invalid byte at offset {}){}",
            e.utf8_error().valid_up_to(),
            if utf16 { "; it starts with a UTF-16 byte-order mark: save it as UTF-8 and import the file" } else { "" }
        ))
    })
}

/// Reads a response's body, refusing one over `limits.max_bytes` (announced or not) and
/// stopping as soon as it is over: the one body-capping loop of every bounded fetch. The
/// error is the reason, without the URL (the caller names it).
pub async fn read_capped(
    mut response: reqwest::Response,
    limits: FetchLimits,
    what: &str,
) -> std::result::Result<Vec<u8>, String> {
    let limit_mib = limits.max_bytes as f64 / (1024.0 * 1024.0);
    if let Some(announced) = response.content_length()
        && usize::try_from(announced).map_or(true, |n| n > limits.max_bytes)
    {
        return Err(format!("the server announces {announced} bytes, more than the {limit_mib} MiB limit for {what}"));
    }
    let mut body: Vec<u8> = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| describe(&e, limits))? {
        if body.len() + chunk.len() > limits.max_bytes {
            return Err(format!(
                "the body is larger than the {limit_mib} MiB limit for {what} (stopped after {} bytes)",
                body.len() + chunk.len()
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A transport failure for messages: a timeout says the limit, anything else its causes.
pub fn describe(e: &reqwest::Error, limits: FetchLimits) -> String {
    if e.is_timeout() {
        format!("no complete answer within {} s", limits.timeout.as_secs_f64())
    } else {
        cause_chain(e)
    }
}

/// The URL for messages, without a password.
/// Where metadata came from, as it may be stored and shown: a URL's password is a secret
/// (`https://user:***@idp.example/metadata`); a file path or "stdin" stays as it is.
pub fn shown_source(source: &str) -> String {
    match url::Url::parse(source) {
        Ok(u) if u.password().is_some() => redacted(&u),
        _ => source.to_owned(),
    }
}

fn redacted(url: &url::Url) -> String {
    if url.password().is_some() {
        let mut shown = url.clone();
        if shown.set_password(Some("***")).is_ok() {
            return shown.to_string();
        }
    }
    url.to_string()
}

/// The kind of failure and its causes: "cannot connect: client error (Connect): tcp connect
/// error: Connection refused (os error 111)". reqwest's own message would repeat the URL.
fn cause_chain(e: &reqwest::Error) -> String {
    let kind = if e.is_connect() {
        "cannot connect"
    } else if e.is_redirect() {
        "redirect failed"
    } else if e.is_body() || e.is_decode() {
        "reading the response failed"
    } else if e.is_builder() {
        "invalid request"
    } else {
        "the request failed"
    };
    let mut parts: Vec<String> = vec![kind.to_owned()];
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    if parts.len() == 1 {
        parts.push(e.to_string());
    }
    parts.join(": ")
}
