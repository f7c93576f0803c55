//! The embedded SP: an axum router on 127.0.0.1 over the same core API the CLI uses.
//! `router(state)` is separate from serving so tests drive it without a socket.

pub mod demo_idp;
pub mod page;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tokio::sync::broadcast;

use crate::clock::Clock;
use crate::connection::check_name;
use crate::error::{Error, ErrorCode, Result};
use crate::testlogin::TestLoginSummary;
use crate::validate::CheckId;
use crate::workbench::Workbench;

/// Largest request body the ACS reads (a SAMLResponse is a few KB; big group lists more).
pub const MAX_BODY_BYTES: usize = 5 * 1024 * 1024;

/// Workbenches for request handlers: each holds its own SQLite connection, so validations
/// run in parallel on every core and writes serialize in SQLite.
pub struct Pool {
    workbenches: Vec<Mutex<Workbench>>,
    next: AtomicUsize,
}

impl Pool {
    pub fn new(workbenches: Vec<Workbench>) -> Self {
        Pool { workbenches: workbenches.into_iter().map(Mutex::new).collect(), next: AtomicUsize::new(0) }
    }

    /// Runs `f` on a free workbench (blocking: call from `spawn_blocking`).
    pub fn with<R>(&self, f: impl FnOnce(&Workbench) -> R) -> Result<R> {
        let n = self.workbenches.len().max(1);
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..n {
            if let Some(Ok(wb)) = self.workbenches.get((start + i) % n).map(Mutex::try_lock) {
                return Ok(f(&wb));
            }
        }
        let slot = self.workbenches.get(start % n).ok_or_else(|| Error::new(ErrorCode::Internal, "no workbench"))?;
        let wb = slot.lock().map_err(|_| Error::new(ErrorCode::Internal, "a request handler panicked earlier"))?;
        Ok(f(&wb))
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub pool: Arc<Pool>,
    pub clock: Arc<dyn Clock>,
    /// Every completed test login, for the desktop app to show live.
    pub events: broadcast::Sender<TestLoginSummary>,
}

impl AppState {
    pub fn new(pool: Pool, clock: Arc<dyn Clock>) -> Self {
        let (events, _) = broadcast::channel(64);
        AppState { pool: Arc::new(pool), clock, events }
    }

    /// A state that publishes to an existing channel (the app keeps one across SP restarts).
    pub fn with_events(pool: Pool, clock: Arc<dyn Clock>, events: broadcast::Sender<TestLoginSummary>) -> Self {
        AppState { pool: Arc::new(pool), clock, events }
    }

    /// Runs blocking core work off the async executor.
    pub(crate) async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Workbench) -> Result<R> + Send + 'static,
    ) -> Result<R> {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || pool.with(f).and_then(|r| r))
            .await
            .map_err(|e| Error::new(ErrorCode::Internal, format!("request handler failed: {e}")))?
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/saml/{connection}/metadata", get(metadata))
        .route("/saml/{connection}/login", get(login))
        .route("/saml/{connection}/acs", post(acs))
        .route("/test-logins/{id}", get(test_login))
        .merge(demo_idp::routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// An HTML page with the headers every page gets: no caching, a strict CSP, no framing.
pub(crate) fn html(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    r
}

pub(crate) fn error_response(e: &Error) -> Response {
    let (status, title) = match e.code {
        ErrorCode::NotFound => (StatusCode::NOT_FOUND, "Not found"),
        ErrorCode::InvalidInput | ErrorCode::InvalidMetadata => (StatusCode::BAD_REQUEST, "Bad request"),
        ErrorCode::SecretStoreUnavailable | ErrorCode::SecretMissing => {
            (StatusCode::SERVICE_UNAVAILABLE, "SP key unavailable")
        }
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong"),
    };
    html(status, page::error_page(status.as_u16(), title, &e.message))
}

fn connection_name(raw: &str) -> Result<String> {
    check_name(raw).map_err(|_| Error::not_found(format!("there is no connection named {raw:?}")))?;
    Ok(raw.to_owned())
}

async fn not_found() -> Response {
    html(
        StatusCode::NOT_FOUND,
        page::error_page(
            404,
            "Not found",
            "Handshake serves /, /saml/{connection}/metadata, /saml/{connection}/login, /saml/{connection}/acs and the demo IdP under /demo-idp/.",
        ),
    )
}

async fn index(State(state): State<AppState>) -> Response {
    let result = state.run(|wb| Ok((wb.list_connections()?, wb.test_logins(None, 20)?))).await;
    match result {
        Ok((connections, recent)) => html(StatusCode::OK, page::index(&connections, &recent)),
        Err(e) => error_response(&e),
    }
}

async fn metadata(State(state): State<AppState>, Path(connection): Path<String>) -> Response {
    let result = match connection_name(&connection) {
        Ok(name) => state.run(move |wb| wb.sp_metadata(&name)).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(xml) => {
            let mut r = (StatusCode::OK, xml).into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/samlmetadata+xml"));
            r
        }
        Err(e) => error_response(&e),
    }
}

#[derive(Deserialize)]
struct LoginQuery {
    /// A path inside Handshake to offer after the result.
    #[serde(rename = "return")]
    return_to: Option<String>,
}

async fn login(State(state): State<AppState>, Path(connection): Path<String>, Query(q): Query<LoginQuery>) -> Response {
    let now = state.clock.now();
    let result = match connection_name(&connection) {
        Ok(name) => state.run(move |wb| wb.start_login(&name, now, q.return_to.as_deref())).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(start) => {
            tracing::info!(connection = %connection, request = %start.request_id, signed = start.signed, "test login started");
            Redirect::to(&start.redirect_url).into_response()
        }
        Err(e) => error_response(&e),
    }
}

async fn acs(State(state): State<AppState>, Path(connection): Path<String>, body: Bytes) -> Response {
    let name = match connection_name(&connection) {
        Ok(n) => n,
        Err(e) => return error_response(&e),
    };
    let saml_response =
        url::form_urlencoded::parse(&body).find(|(k, _)| k == "SAMLResponse").map(|(_, v)| v.into_owned());
    let Some(saml_response) = saml_response else {
        return html(
            StatusCode::BAD_REQUEST,
            page::error_page(
                400,
                "No SAMLResponse",
                "This ACS takes an HTTP-POST form with a SAMLResponse field, as the IdP's HTTP-POST binding sends it.",
            ),
        );
    };
    let now = state.clock.now();
    let result = state.run(move |wb| wb.complete_login(&name, &saml_response, now)).await;
    match result {
        Ok(t) => {
            tracing::info!(
                connection = %t.connection,
                test_login = t.id,
                outcome = t.report.outcome.as_str(),
                failed_check = t.report.failed_check.as_deref().unwrap_or("-"),
                "test login"
            );
            let summary = TestLoginSummary {
                id: t.id,
                at: t.at,
                connection: t.connection.clone(),
                kind: t.kind,
                outcome: t.report.outcome.as_str().to_owned(),
                failed_check: t.report.failed_check.clone(),
                user_id: t.report.user.as_ref().map(|u| u.id),
            };
            let _ = state.events.send(summary);
            // Not a SAML response at all: a 400, with the same explanation.
            let unreadable = t
                .report
                .checks
                .iter()
                .any(|c| c.id == CheckId::Parse && c.status == crate::validate::CheckStatus::Fail);
            if unreadable {
                return html(StatusCode::BAD_REQUEST, page::result(&t));
            }
            // Post/Redirect/Get: a reload shows the result instead of resubmitting the form.
            Redirect::to(&format!("/test-logins/{}", t.id)).into_response()
        }
        Err(e) => error_response(&e),
    }
}

async fn test_login(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return html(StatusCode::NOT_FOUND, page::error_page(404, "Not found", "no such test login"));
    };
    match state.run(move |wb| wb.test_login(id)).await {
        Ok(t) => html(StatusCode::OK, page::result(&t)),
        Err(e) => error_response(&e),
    }
}

/// Binds 127.0.0.1:`port` (loopback only), with a message that helps when it is taken.
pub async fn bind(port: u16) -> Result<tokio::net::TcpListener> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            Error::new(
                ErrorCode::PortInUse,
                format!(
                    "port {port} on 127.0.0.1 is already in use (another Handshake?); choose another with --port or \
                     HANDSHAKE_PORT (connections without explicit SP URLs then use the new port, so update the IdP)"
                ),
            )
        } else {
            Error::new(ErrorCode::Io, format!("cannot listen on {addr}: {e}"))
        }
    })
}

/// Serves until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| Error::new(ErrorCode::Io, format!("the embedded SP stopped: {e}")))
}
