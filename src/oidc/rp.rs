//! The relying party's side of the code flow, over the network: the authorization URL, the
//! code exchange at the token endpoint, and userinfo (the JWKS is `oidc::http`'s). The OAuth
//! plumbing (request shapes, client authentication, PKCE, OP error responses) is the
//! `oauth2` crate's; the HTTP underneath is ours: [`BoundedHttp`] over reqwest, bounded in
//! time and size (the body cap is `metadata::http::read_capped`, shared by every fetch),
//! following no redirect (a secret travels in every request it makes).
//!
//! Nothing here judges a token (that is `judge.rs`), and nothing here stores anything: the
//! access token is wrapped in [`Sensitive`] the moment it is read, the refresh token is
//! dropped, and no secret is ever part of an error or a log line.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use oauth2::basic::{BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse};
use oauth2::{
    AccessToken, AsyncHttpClient, AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    EndpointNotSet, EndpointSet, HttpRequest, HttpResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RefreshToken, RequestTokenError, Scope, StandardRevocableToken, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::{ClientAuth, Exchange, OidcSettings, client_key};
use crate::error::{Error, ErrorCode, Result};
use crate::metadata::http::{FetchLimits, describe, read_capped};
use crate::sensitive::Sensitive;

/// Total time one request may take (connect, answer and body).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// Largest token response read (an ID token with many groups is ~10 KB; JWTs as access
/// tokens add a few more).
pub const MAX_TOKEN_RESPONSE_BYTES: usize = 1024 * 1024;
/// Largest userinfo response read.
pub const MAX_USERINFO_BYTES: usize = 1024 * 1024;
/// Longest OP-chosen text (`error`, `error_description`, `error_uri`) kept from an error.
const MAX_OP_TEXT: usize = 1024;

/// Why an HTTP exchange gave no usable answer. Never holds a secret: only the URL (without
/// query or credentials), the status and the cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpFailure {
    pub status: Option<u16>,
    pub detail: String,
}

impl std::fmt::Display for HttpFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for HttpFailure {}

/// An HTTP client for the token and userinfo endpoints: http(s) only, a total timeout, a
/// body cap, and no redirect followed (the client secret, the code and the access token go
/// to the URL configured, nowhere else). Discovery and the JWKS, public documents, are
/// fetched by `oidc::http`.
#[derive(Debug, Clone)]
pub struct BoundedHttp {
    client: reqwest::Client,
    limits: FetchLimits,
    /// What its answers are, in messages ("token response").
    what: &'static str,
}

impl BoundedHttp {
    /// A client whose answers (`what`, in messages) may be at most `max_bytes` long and take
    /// at most `timeout`.
    pub fn new(what: &'static str, max_bytes: usize, timeout: Duration) -> Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Handshake/", env!("CARGO_PKG_VERSION"), " (OpenID Connect RP)"))
            .build()
            .map_err(|e| Error::new(ErrorCode::Internal, format!("cannot set up the HTTP client: {e}")))?;
        Ok(BoundedHttp { client, limits: FetchLimits { max_bytes, timeout }, what })
    }

    /// Sends one request; any complete answer (whatever its status) is a response, except a
    /// redirect, which is a failure naming where it pointed (never followed).
    pub async fn send(&self, request: HttpRequest) -> std::result::Result<HttpResponse, HttpFailure> {
        let fail = |status: Option<u16>, detail: String| HttpFailure { status, detail };
        let uri = request.uri().to_string();
        let url = url::Url::parse(&uri).map_err(|e| fail(None, format!("{uri:?} is not a valid URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(fail(None, format!("{} is not an http or https URL", shown_url(&url))));
        }
        let shown = shown_url(&url);
        let request = reqwest::Request::try_from(request)
            .map_err(|e| fail(None, format!("cannot build the request to {shown}: {}", describe(&e, self.limits))))?;
        let response = self
            .client
            .execute(request)
            .await
            .map_err(|e| fail(None, format!("{shown}: {}", describe(&e, self.limits))))?;
        let status = response.status();
        if status.is_redirection() {
            let to = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .map(|l| format!(" to {}", cut(l, 200)))
                .unwrap_or_default();
            return Err(fail(
                Some(status.as_u16()),
                format!(
                    "{shown} answered HTTP {} (a redirect{to}); Handshake follows no redirect here",
                    status.as_u16()
                ),
            ));
        }
        let mut builder = http_response_builder(status.as_u16());
        for (name, value) in response.headers() {
            builder = builder.header(name, value);
        }
        // The one body-capping loop every bounded fetch shares.
        let body = read_capped(response, self.limits, self.what)
            .await
            .map_err(|detail| fail(Some(status.as_u16()), format!("{shown}: {detail}")))?;
        builder
            .body(body)
            .map_err(|e| fail(Some(status.as_u16()), format!("{shown}: the answer cannot be represented: {e}")))
    }
}

fn http_response_builder(status: u16) -> oauth2::http::response::Builder {
    oauth2::http::Response::builder().status(status)
}

impl<'c> AsyncHttpClient<'c> for BoundedHttp {
    type Error = HttpFailure;
    type Future = Pin<Box<dyn Future<Output = std::result::Result<HttpResponse, HttpFailure>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}

/// A client that remembers the status of the last answer.
struct Observed<'a> {
    http: &'a BoundedHttp,
    status: AtomicU16,
}

impl<'c> AsyncHttpClient<'c> for Observed<'_> {
    type Error = HttpFailure;
    type Future = Pin<Box<dyn Future<Output = std::result::Result<HttpResponse, HttpFailure>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let answer = self.http.send(request).await;
            let code = match &answer {
                Ok(r) => Some(r.status().as_u16()),
                Err(f) => f.status,
            };
            self.status.store(code.unwrap_or(0), Ordering::Relaxed);
            answer
        })
    }
}

/// The URL without path, query or credentials: what messages may name.
fn shown_url(url: &url::Url) -> String {
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!("{}://{}{port}{}", url.scheme(), url.host_str().unwrap_or(""), url.path())
}

fn cut(s: &str, max: usize) -> String {
    crate::store::cut(s, max).to_owned()
}

/// A token type as sent (`Bearer`, `DPoP`...): kept as text, compared by whoever cares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
struct TokenKind(String);

impl oauth2::TokenType for TokenKind {}

/// A token response (RFC 6749 §5.1 + OIDC Core §3.1.3.3), parsed leniently where OPs differ
/// (`expires_in` as a string, as Entra ID v1 sends it) and keeping the ID token as text for
/// the judge: a malformed ID token is a finding to show, not a parse failure that hides it.
#[derive(Debug, Serialize, Deserialize)]
struct TokenAnswer {
    access_token: AccessToken,
    token_type: TokenKind,
    #[serde(default)]
    expires_in: Option<Value>,
    #[serde(default)]
    refresh_token: Option<RefreshToken>,
    #[serde(default, rename = "scope", deserialize_with = "space_delimited")]
    scopes: Option<Vec<Scope>>,
    #[serde(default)]
    id_token: Option<String>,
}

fn space_delimited<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Vec<Scope>>, D::Error> {
    let text: Option<String> = Option::deserialize(d)?;
    Ok(text.map(|t| t.split(' ').filter(|s| !s.is_empty()).map(|s| Scope::new(s.to_owned())).collect()))
}

impl TokenResponse for TokenAnswer {
    type TokenType = TokenKind;

    fn access_token(&self) -> &AccessToken {
        &self.access_token
    }
    fn token_type(&self) -> &TokenKind {
        &self.token_type
    }
    fn expires_in(&self) -> Option<Duration> {
        let seconds = match self.expires_in.as_ref()? {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        seconds.map(Duration::from_secs)
    }
    fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }
    fn scopes(&self) -> Option<&Vec<Scope>> {
        self.scopes.as_ref()
    }
}

type OidcClient<HasAuthUrl, HasTokenUrl> = oauth2::Client<
    BasicErrorResponse,
    TokenAnswer,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    HasAuthUrl,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    HasTokenUrl,
>;

/// The scopes sent: the connection's, with `openid` first when it is missing (without it an
/// OP answers plain OAuth, with no ID token).
pub fn requested_scopes(settings: &OidcSettings) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    if !settings.scopes.iter().any(|s| s == "openid") {
        scopes.push("openid".to_owned());
    }
    for s in &settings.scopes {
        if !s.is_empty() && !scopes.contains(s) {
            scopes.push(s.clone());
        }
    }
    scopes
}

/// The authorization request URL (code flow, PKCE S256, `nonce`, the given `state`).
pub fn authorize_url(
    settings: &OidcSettings,
    redirect_uri: &str,
    state: &str,
    nonce: &str,
    pkce_verifier: &Sensitive<String>,
) -> Result<String> {
    let auth_url = AuthUrl::new(settings.authorization_endpoint.clone()).map_err(|e| {
        Error::invalid(format!(
            "the authorization endpoint {:?} is not a valid URL: {e}",
            settings.authorization_endpoint
        ))
    })?;
    let redirect = RedirectUrl::new(redirect_uri.to_owned())
        .map_err(|e| Error::invalid(format!("the redirect URI {redirect_uri:?} is not a valid URL: {e}")))?;
    let client: OidcClient<EndpointSet, EndpointNotSet> =
        oauth2::Client::new(ClientId::new(settings.client_id.clone()))
            .set_auth_uri(auth_url)
            .set_redirect_uri(redirect);
    let challenge =
        PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(pkce_verifier.expose().clone()));
    let (url, _) = client
        .authorize_url(|| CsrfToken::new(state.to_owned()))
        .add_scopes(requested_scopes(settings).into_iter().map(Scope::new))
        .add_extra_param("nonce", nonce)
        .set_pkce_challenge(challenge)
        .url();
    Ok(url.to_string())
}

/// How the client proves itself at the token endpoint: its secret (`client_secret_basic`,
/// `_post`) or a client assertion signed with its key (`private_key_jwt`), as the
/// connection's `client_auth` says.
#[derive(Debug, Clone, Copy, Default)]
pub struct Credential<'a> {
    pub client_secret: Option<&'a Sensitive<String>>,
    pub client_assertion: Option<&'a Sensitive<String>>,
}

/// Redeems an authorization code at the token endpoint. Every way it can go is an
/// [`Exchange`] for the judge's `token_response` check, never an error: the OP's own error
/// response (`invalid_grant`, `invalid_client`...) with its status, or why there was no
/// usable answer. The access token is wrapped in [`Sensitive`] at once; the refresh token
/// is dropped.
pub async fn exchange(
    http: &BoundedHttp,
    settings: &OidcSettings,
    credential: Credential<'_>,
    code: &Sensitive<String>,
    pkce_verifier: &Sensitive<String>,
    redirect_uri: &str,
) -> Exchange {
    let Credential { client_secret, client_assertion } = credential;
    let failed = |detail: String| Exchange::Failed { status: None, detail };
    let token_url = match TokenUrl::new(settings.token_endpoint.clone()) {
        Ok(u) => u,
        Err(e) => return failed(format!("the token endpoint {:?} is not a valid URL: {e}", settings.token_endpoint)),
    };
    let redirect = match RedirectUrl::new(redirect_uri.to_owned()) {
        Ok(u) => u,
        Err(e) => return failed(format!("the redirect URI {redirect_uri:?} is not a valid URL: {e}")),
    };
    let client: OidcClient<EndpointNotSet, EndpointSet> =
        oauth2::Client::new(ClientId::new(settings.client_id.clone()))
            .set_token_uri(token_url)
            .set_redirect_uri(redirect);
    let client = match (settings.client_auth, client_secret) {
        (ClientAuth::ClientSecretBasic, Some(secret)) => {
            client.set_auth_type(AuthType::BasicAuth).set_client_secret(ClientSecret::new(secret.expose().clone()))
        }
        (ClientAuth::ClientSecretPost, Some(secret)) => {
            client.set_auth_type(AuthType::RequestBody).set_client_secret(ClientSecret::new(secret.expose().clone()))
        }
        (ClientAuth::ClientSecretBasic | ClientAuth::ClientSecretPost, None) => {
            return failed(format!(
                "the connection authenticates with {} but no client secret is stored for it; the code was not sent",
                settings.client_auth.as_str()
            ));
        }
        (ClientAuth::None | ClientAuth::PrivateKeyJwt, _) => client.set_auth_type(AuthType::RequestBody),
    };
    let assertion = match (settings.client_auth, client_assertion) {
        (ClientAuth::PrivateKeyJwt, Some(a)) => Some(a),
        (ClientAuth::PrivateKeyJwt, None) => {
            return failed(
                "the connection authenticates with private_key_jwt but no client key is stored for it; the code \
                 was not sent"
                    .to_owned(),
            );
        }
        _ => None,
    };
    // The status of the answer, whatever oauth2 makes of its body (its error type has none).
    let observed = Observed { http, status: AtomicU16::new(0) };
    let mut request = client
        .exchange_code(AuthorizationCode::new(code.expose().clone()))
        .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.expose().clone()));
    if let Some(a) = assertion {
        request = request
            .add_extra_param("client_assertion_type", client_key::ASSERTION_TYPE)
            .add_extra_param("client_assertion", a.expose().clone());
    }
    let result = request.request_async(&observed).await;
    let status = Some(observed.status.load(Ordering::Relaxed)).filter(|s| *s != 0);
    match result {
        Ok(answer) => {
            let TokenAnswer { access_token, token_type, scopes, id_token, refresh_token, .. } = answer;
            drop(refresh_token);
            Exchange::Tokens {
                id_token,
                access_token: Some(Sensitive::new(access_token.into_secret())),
                token_type: Some(cut(&token_type.0, MAX_OP_TEXT)),
                scope: scopes.map(|s| cut(&s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "), MAX_OP_TEXT)),
            }
        }
        Err(RequestTokenError::ServerResponse(e)) => Exchange::OpError {
            status: status.unwrap_or(0),
            error: cut(e.error().as_ref(), MAX_OP_TEXT),
            error_description: e.error_description().map(|d| cut(d, MAX_OP_TEXT)),
            error_uri: e.error_uri().map(|u| cut(u, MAX_OP_TEXT)),
        },
        Err(RequestTokenError::Request(f)) => Exchange::Failed { status: f.status.or(status), detail: f.detail },
        // The body is never quoted: a token response that fails to parse may hold a token.
        Err(RequestTokenError::Parse(e, _body)) => {
            let path = e.path().to_string();
            let inner = e.inner();
            let what = if inner.is_syntax() || inner.is_eof() {
                "is not JSON".to_owned()
            } else if inner.to_string().starts_with("missing field") {
                format!("lacks a required member ({})", cut(&inner.to_string(), 200))
            } else {
                format!("has a member of the wrong type at `{path}`")
            };
            let kind = if status == Some(200) { "token response" } else { "error response" };
            Exchange::Failed {
                status,
                detail: format!(
                    "the token endpoint answered HTTP {}, but its {kind} {what}",
                    status.map_or_else(|| "?".to_owned(), |s| s.to_string())
                ),
            }
        }
        Err(RequestTokenError::Other(detail)) => Exchange::Failed { status, detail: cut(&detail, MAX_OP_TEXT) },
    }
}

/// Calls the userinfo endpoint with the access token (RFC 6750 §2.1) and returns its claims.
/// Only a JSON object is accepted (a signed userinfo JWT is refused, saying so).
pub async fn userinfo(
    http: &BoundedHttp,
    endpoint: &str,
    access_token: &Sensitive<String>,
) -> Result<Map<String, Value>> {
    let network = |detail: String| Error::new(ErrorCode::Network, format!("the userinfo request failed: {detail}"));
    let request = get(endpoint, "the userinfo endpoint")?
        .header(oauth2::http::header::ACCEPT, "application/json")
        .header(oauth2::http::header::AUTHORIZATION, format!("Bearer {}", access_token.expose()))
        .body(Vec::new())
        .map_err(|_| Error::invalid(format!("the userinfo endpoint {endpoint:?} is not a valid URL")))?;
    let response = http.send(request).await.map_err(|f| network(f.detail))?;
    let status = response.status().as_u16();
    if status != 200 {
        // RFC 6750 §3: the reason is in WWW-Authenticate (`error="invalid_token"`).
        let challenge = response
            .headers()
            .get(oauth2::http::header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .map(|v| format!(" ({})", cut(v, MAX_OP_TEXT)))
            .unwrap_or_default();
        return Err(network(format!("the OP answered HTTP {status}{challenge}")));
    }
    let content_type = response
        .headers()
        .get(oauth2::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("application/jwt") {
        return Err(network(
            "the OP answered with a signed or encrypted userinfo JWT, which Handshake does not read; configure the \
             client at the OP for plain JSON userinfo, or turn userinfo off for this connection"
                .to_owned(),
        ));
    }
    // Strict like the ID token: with a member given twice, which one the OP meant is unknowable.
    match super::jose::strict_json(response.body()) {
        Ok(Value::Object(claims)) => Ok(claims),
        Ok(_) => Err(network("the answer is JSON but not an object of claims".to_owned())),
        Err(e) if e.to_string().starts_with(super::jose::DUPLICATE) => Err(network(format!(
            "the answer gives a member twice ({}), so none of its claims were used",
            cut(e.to_string().split(" at line ").next().unwrap_or_default(), MAX_OP_TEXT)
        ))),
        Err(_) => Err(network("the answer is not JSON".to_owned())),
    }
}

/// A GET to an http(s) URL (`what` names it in the error).
fn get(url: &str, what: &str) -> Result<oauth2::http::request::Builder> {
    let parsed = url::Url::parse(url).map_err(|e| Error::invalid(format!("{what} {url:?} is not a valid URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::invalid(format!("{what} {url:?} is not an http or https URL")));
    }
    Ok(oauth2::http::Request::get(parsed.as_str()))
}

/// A bounded client for the token endpoint with the default limits.
pub fn token_client() -> Result<BoundedHttp> {
    BoundedHttp::new("the token response", MAX_TOKEN_RESPONSE_BYTES, REQUEST_TIMEOUT)
}

/// A bounded client for the userinfo endpoint with the default limits.
pub fn userinfo_client() -> Result<BoundedHttp> {
    BoundedHttp::new("the userinfo response", MAX_USERINFO_BYTES, REQUEST_TIMEOUT)
}

#[cfg(test)]
mod tests;
