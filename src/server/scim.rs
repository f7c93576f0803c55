//! The SCIM 2.0 endpoint of each connection, `/scim/{connection}/v2/...` (RFC 7644). The
//! server's part is HTTP only: the bearer check (`scim_auth.rs`, in front of every route),
//! methods and content types, the body (at most [`SCIM_MAX_BODY_BYTES`], within the serve
//! loop's deadline), and turning a [`ScimResponse`] into `application/scim+json`. What a path
//! means (Users, Groups, discovery, `.search`, 404/405/501) is `Workbench::scim_request`'s:
//! one authorised request is one call, one write transaction and one request-log row, whose
//! summary is then published on `AppState::scim_events` for the app's live log.
//!
//! The Host guard, the body limit and the timeouts of the rest of the server apply unchanged.
//! SCIM clients send no cookies and no Origin: the demo forms' CSRF check does not apply.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Body;
use axum::extract::{RawPathParams, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;

use super::body::BodyTimedOut;
use super::{AppState, scim_auth};
use crate::connection::{base_url, url_segment};
use crate::error::{Error, ErrorCode};
use crate::scim::{Method, ScimError, ScimRequest, ScimRequestSummary, ScimResponse, ScimType};

/// The largest SCIM request body: a user or a group with its members, or a PATCH of many
/// operations, fits with room to spare; every body up to it is cheap to judge.
pub const SCIM_MAX_BODY_BYTES: usize = 1024 * 1024;

/// The media type of every SCIM answer (RFC 7644 §3.1).
pub const SCIM_CONTENT_TYPE: &str = "application/scim+json";

/// Where a connection's endpoint lives, below the server's base URL.
pub fn endpoint_path(connection: &str) -> String {
    format!("/scim/{}/v2", url_segment(connection))
}

/// The SCIM routes, each behind the bearer check.
pub(crate) fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/scim/{connection}/v2", any(handle))
        .route("/scim/{connection}/v2/", any(handle))
        .route("/scim/{connection}/v2/{*rest}", any(handle))
        .route_layer(axum::middleware::from_fn_with_state(state, scim_auth::require_bearer))
}

/// What a SCIM handler answers instead of the workbench's response: a SCIM error body.
#[derive(Debug)]
pub(crate) enum ScimFailure {
    /// Refused by the HTTP layer (method, media type, body).
    Scim(ScimError),
    /// The store or the secret store failed.
    Core(Error),
}

impl From<Error> for ScimFailure {
    fn from(e: Error) -> Self {
        ScimFailure::Core(e)
    }
}

/// The status of a core error on the SCIM endpoint.
pub(crate) fn core_status(e: &Error) -> StatusCode {
    match e.code {
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::InvalidInput => StatusCode::BAD_REQUEST,
        ErrorCode::Conflict | ErrorCode::AlreadyExists => StatusCode::CONFLICT,
        ErrorCode::SecretStoreUnavailable | ErrorCode::SecretMissing => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ScimFailure {
    fn into_response(self) -> Response {
        let error = match self {
            ScimFailure::Scim(e) => e,
            ScimFailure::Core(e) => {
                tracing::warn!(code = e.code.as_str(), "SCIM request failed: {}", e.message);
                ScimError::new(core_status(&e).as_u16(), None, e.message)
            }
        };
        scim_json(StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), &error.body())
    }
}

/// A SCIM JSON answer, never cached.
fn scim_json(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_CONTENT_TYPE));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}

impl IntoResponse for ScimAnswer {
    fn into_response(self) -> Response {
        let ScimResponse { status, body, location, etag } = self.0;
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut r = match body {
            Some(body) => scim_json(status, &body),
            None => {
                let mut r = status.into_response();
                r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                r
            }
        };
        let h = r.headers_mut();
        if let Some(v) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            h.insert(header::LOCATION, v);
        }
        if let Some(v) = etag.and_then(|e| HeaderValue::from_str(&e).ok()) {
            h.insert(header::ETAG, v);
        }
        r
    }
}

/// The workbench's answer, as HTTP.
pub(crate) struct ScimAnswer(pub ScimResponse);

fn method(m: &axum::http::Method) -> Option<Method> {
    Some(match *m {
        axum::http::Method::GET => Method::Get,
        axum::http::Method::POST => Method::Post,
        axum::http::Method::PUT => Method::Put,
        axum::http::Method::PATCH => Method::Patch,
        axum::http::Method::DELETE => Method::Delete,
        _ => return None,
    })
}

/// A body's media type must be SCIM's or plain JSON, with any parameters (Okta sends
/// `application/scim+json; charset=utf-8`); a body without a Content-Type is read as JSON.
fn json_body(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE) else { return true };
    value.to_str().ok().and_then(|v| v.split(';').next()).is_some_and(|essence| {
        let essence = essence.trim();
        essence.eq_ignore_ascii_case(SCIM_CONTENT_TYPE) || essence.eq_ignore_ascii_case("application/json")
    })
}

async fn read_body(body: Body) -> Result<Vec<u8>, ScimFailure> {
    let refused = |status: u16, detail: String| ScimFailure::Scim(ScimError::new(status, None, detail));
    axum::body::to_bytes(body, SCIM_MAX_BODY_BYTES).await.map(|b| b.to_vec()).map_err(|e| {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(c) = cause {
            if c.is::<BodyTimedOut>() {
                return refused(408, "The request body did not arrive in time.".into());
            }
            if c.is::<http_body_util::LengthLimitError>() {
                return refused(
                    413,
                    format!(
                        "Handshake reads SCIM request bodies of at most {} MiB.",
                        SCIM_MAX_BODY_BYTES / (1024 * 1024)
                    ),
                );
            }
            cause = c.source();
        }
        ScimFailure::Scim(ScimError::bad_request(ScimType::InvalidSyntax, "The request body could not be read."))
    })
}

/// One authorised SCIM request.
async fn handle(
    State(state): State<AppState>,
    params: RawPathParams,
    http_method: axum::http::Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<ScimAnswer, ScimFailure> {
    let param = |name: &str| params.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_owned());
    let connection = param("connection").unwrap_or_default();
    let Some(method) = method(&http_method) else {
        return Err(ScimFailure::Scim(ScimError::new(
            405,
            None,
            format!("SCIM has no {http_method} requests: use GET, POST, PUT, PATCH or DELETE."),
        )));
    };
    let path = format!("/{}", param("rest").unwrap_or_default());
    let body = read_body(body).await?;
    if !body.is_empty() && !json_body(&headers) {
        return Err(ScimFailure::Scim(ScimError::new(
            415,
            None,
            "A SCIM request body is JSON: Content-Type application/scim+json (or application/json).",
        )));
    }
    let header = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let request = ScimRequest {
        method,
        path,
        query: uri
            .query()
            .map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default(),
        body,
        if_match: header(header::IF_MATCH),
        client: header(header::USER_AGENT),
        base_url: format!("{}{}", base_url(state.port), endpoint_path(&connection)),
    };
    let (response, summary) = answer(&state, connection, request).await?;
    if let Some(summary) = summary {
        tracing::info!(
            connection = %summary.connection,
            request = summary.id,
            status = summary.status,
            "SCIM {} {}",
            http_method,
            summary.path
        );
        let _ = state.scim_events.send(summary);
    }
    Ok(ScimAnswer(response))
}

/// Runs the request on a workbench, then reads the request-log row it wrote. Requests of one
/// connection take turns here (their writes serialize in the store anyway), so the newest row
/// after the answer is this request's: it is published when it is new.
async fn answer(
    state: &AppState,
    connection: String,
    request: ScimRequest,
) -> Result<(ScimResponse, Option<ScimRequestSummary>), ScimFailure> {
    let turn = state.scim_turns.of(&connection);
    let _turn = turn.lock().await;
    let now = state.clock.now();
    let name = connection.clone();
    let (response, newest) = state
        .run(move |wb| {
            let response = wb.scim_request(&name, request, now)?;
            let newest = wb.scim_log(&name, 1)?.into_iter().next();
            Ok((response, newest))
        })
        .await?;
    let fresh = newest.filter(|row| state.scim_turns.seen(&connection, row.id));
    Ok((response, fresh))
}

/// Per connection: whose turn it is, and the newest request-log row already published.
#[derive(Debug, Default)]
pub struct ScimTurns {
    turns: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    published: Mutex<HashMap<String, i64>>,
}

impl ScimTurns {
    fn of(&self, connection: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut turns = self.turns.lock().unwrap_or_else(PoisonError::into_inner);
        turns.entry(connection.to_owned()).or_default().clone()
    }

    /// Records `id` as published; false when it already was.
    fn seen(&self, connection: &str, id: i64) -> bool {
        let mut published = self.published.lock().unwrap_or_else(PoisonError::into_inner);
        let last = published.entry(connection.to_owned()).or_insert(i64::MIN);
        if *last == id {
            return false;
        }
        *last = id;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_scim_json_or_json_with_any_parameters() {
        let with = |ct: Option<&str>| {
            let mut h = HeaderMap::new();
            if let Some(ct) = ct {
                h.insert(header::CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
            }
            json_body(&h)
        };
        assert!(with(Some("application/scim+json")));
        assert!(with(Some("application/scim+json; charset=utf-8")));
        assert!(with(Some("Application/JSON;charset=UTF-8")));
        assert!(with(None));
        assert!(!with(Some("application/x-www-form-urlencoded")));
        assert!(!with(Some("text/plain")));
        assert!(!with(Some("application/scim+jsonx")));
    }

    #[test]
    fn a_row_is_published_once() {
        let turns = ScimTurns::default();
        assert!(turns.seen("acme", 1));
        assert!(!turns.seen("acme", 1));
        assert!(turns.seen("acme", 2));
        assert!(turns.seen("other", 2));
    }
}
