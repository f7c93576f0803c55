//! The embedded SP: an axum router on 127.0.0.1 over the same core API the CLI uses.
//! `router(state)` is separate from serving (`serve.rs`) so tests drive it without a socket.
//!
//! The local web surface: every route answers only its own loopback Host (`guard.rs`); the
//! routes that act (the demo IdP signing a Response) take only POSTs from its own pages,
//! with an anti-CSRF token (`csrf.rs`); slow clients are timed out and connections capped
//! (`serve.rs`); bodies that are not a form get a 4xx before anything is written.
//! Each connection's SCIM endpoint (`scim.rs`, `/scim/{connection}/v2/...`) sits behind a
//! bearer check (`scim_auth.rs`) under the same Host guard, body limit and timeouts.

mod body;
mod csrf;
pub mod demo_idp;
mod demo_op;
mod demo_pages;
mod guard;
pub mod oidc;
pub mod page;
mod pool;
mod refusal;
pub mod scim;
pub mod scim_auth;
mod serve;

pub use pool::Pool;
pub use serve::{ServeOptions, serve, serve_with};

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tokio::sync::broadcast;

use self::csrf::CsrfKey;
use self::refusal::Refusal;
use crate::clock::Clock;
use crate::connection::check_name;
use crate::error::{Error, ErrorCode, Result};
use crate::login::TestLoginSummary;
use crate::scim::ScimRequestSummary;
use crate::validate::CheckId;
use crate::workbench::Workbench;

/// Largest request body the ACS reads (a SAMLResponse is a few KB; big group lists more).
pub const MAX_BODY_BYTES: usize = 5 * 1024 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub pool: Arc<Pool>,
    pub clock: Arc<dyn Clock>,
    /// Every completed test login, for the desktop app to show live.
    pub events: broadcast::Sender<TestLoginSummary>,
    /// The port the server listens on: the Host and Origin checks accept only it. Set by
    /// `serve` from its socket; 0 (no server yet) accepts no Host at all.
    port: u16,
    /// Keys the anti-CSRF tokens of this server's forms (made here, never stored).
    csrf: Arc<CsrfKey>,
    /// When each OIDC connection's JWKS was last fetched again for an unknown `kid`.
    jwks_refetches: Arc<oidc::RefetchGate>,
    /// The demo OP's codes and access tokens: in memory only, never in SQLite.
    demo_op: Arc<crate::demo::op::Sessions>,
    /// Every answered SCIM request (its request-log row), for the app's live log.
    pub scim_events: broadcast::Sender<ScimRequestSummary>,
    /// SCIM token digests per (connection, generation) and the recent 401s.
    scim_auth: Arc<scim_auth::ScimAuth>,
    /// SCIM requests of one connection take turns (see `scim::answer`).
    scim_turns: Arc<scim::ScimTurns>,
}

impl AppState {
    pub fn new(pool: Pool, clock: Arc<dyn Clock>) -> Result<Self> {
        let (events, _) = broadcast::channel(64);
        Self::with_events(pool, clock, events)
    }

    /// A state that publishes to an existing channel (the app keeps one across SP restarts).
    pub fn with_events(pool: Pool, clock: Arc<dyn Clock>, events: broadcast::Sender<TestLoginSummary>) -> Result<Self> {
        let (scim_events, _) = broadcast::channel(64);
        Ok(AppState {
            pool: Arc::new(pool),
            clock,
            events,
            port: 0,
            csrf: Arc::new(CsrfKey::generate()?),
            jwks_refetches: Arc::default(),
            demo_op: Arc::default(),
            scim_events,
            scim_auth: Arc::default(),
            scim_turns: Arc::default(),
        })
    }

    /// The same state publishing SCIM requests to an existing channel (the app keeps one
    /// across SP restarts).
    pub fn with_scim_events(self, scim_events: broadcast::Sender<ScimRequestSummary>) -> Self {
        AppState { scim_events, ..self }
    }

    /// The SCIM requests of `connection` this server refused with 401 (from memory: a request
    /// without the token writes nothing, not even a log row).
    pub fn scim_rejections(&self, connection: &str, now: chrono::DateTime<chrono::Utc>) -> scim_auth::Rejections {
        self.scim_auth.rejections(connection, now)
    }

    /// The same state for a server on 127.0.0.1:`port` (tests that drive `router` without a
    /// socket say which port their requests' Host names).
    pub fn bound_to(self, port: u16) -> Self {
        AppState { port, ..self }
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

/// Every route; all of them answer only the loopback Host of `state`'s port.
pub fn router(state: AppState) -> Router {
    let port = state.port;
    Router::new()
        .route("/", get(index))
        .route("/saml/{connection}/metadata", get(metadata))
        .route("/saml/{connection}/login", get(login))
        .route("/saml/{connection}/acs", post(acs))
        .route("/oidc/{connection}/login", get(oidc::login))
        .route("/oidc/{connection}/callback", get(oidc::callback))
        .route("/test-logins/{id}", get(test_login))
        .merge(demo_idp::routes())
        .merge(demo_op::routes())
        .merge(scim::routes(state.clone()))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(port, guard::only_own_host))
        .with_state(state)
}

/// What a handler returns: its page, or a refusal with the status that fits.
type Answer = std::result::Result<Response, Refusal>;

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
    // No Referer to other sites; and not `no-referrer`, which makes browsers send
    // `Origin: null` on our own forms' POSTs, where the demo IdP checks the Origin.
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    r
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
            "Handshake serves /, /saml/{connection}/metadata, /saml/{connection}/login, /saml/{connection}/acs, /oidc/{connection}/login, /oidc/{connection}/callback, the SCIM endpoints under /scim/{connection}/v2/ and the demo IdP under /demo-idp/.",
        ),
    )
}

async fn index(State(state): State<AppState>) -> Answer {
    let now = state.clock.now();
    let (connections, recent) = state.run(move |wb| Ok((wb.list_connections(now)?, wb.test_logins(None, 20)?))).await?;
    Ok(html(StatusCode::OK, page::index(&connections, &recent)))
}

async fn metadata(State(state): State<AppState>, Path(connection): Path<String>) -> Answer {
    let name = connection_name(&connection)?;
    let xml = state.run(move |wb| wb.sp_metadata(&name)).await?;
    let mut r = (StatusCode::OK, xml).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/samlmetadata+xml"));
    Ok(r)
}

#[derive(Deserialize)]
pub(crate) struct LoginQuery {
    /// A path inside Handshake to offer after the result.
    #[serde(rename = "return")]
    pub(crate) return_to: Option<String>,
}

async fn login(State(state): State<AppState>, Path(connection): Path<String>, Query(q): Query<LoginQuery>) -> Answer {
    let now = state.clock.now();
    let name = connection_name(&connection)?;
    let start = state.run(move |wb| wb.start_login(&name, now, q.return_to.as_deref())).await?;
    tracing::info!(connection = %connection, request = %start.request_id, signed = start.signed, "test login started");
    Ok(Redirect::to(&start.redirect_url).into_response())
}

/// The HTTP-POST binding's endpoint. Not CSRF-protected: IdPs post here from their own
/// origin, by design. A body that is not a form with a SAMLResponse is refused before
/// anything is stored.
async fn acs(State(state): State<AppState>, Path(connection): Path<String>, headers: HeaderMap, body: Body) -> Answer {
    let name = connection_name(&connection)?;
    body::require_form(&headers)?;
    let fields = body::FormFields::parse(&body::read(body).await?);
    let Some(saml_response) = fields.get("SAMLResponse").map(str::to_owned) else {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "No SAMLResponse",
            "This ACS takes an HTTP-POST form with a SAMLResponse field, as the IdP's HTTP-POST binding sends it.",
        ));
    };
    let now = state.clock.now();
    let t = state.run(move |wb| wb.complete_login(&name, &saml_response, now)).await?;
    tracing::info!(
        connection = %t.connection,
        test_login = t.id,
        outcome = t.report.outcome.as_str(),
        failed_check = t.report.failed_check.map(|s| s.as_str()).unwrap_or("-"),
        "test login"
    );
    publish(&state, &t);
    // Not a SAML response at all: a 400, with the same explanation.
    let unreadable =
        t.report.checks.iter().any(|c| c.id == CheckId::Parse && c.status == crate::validate::CheckStatus::Fail);
    if unreadable {
        return Ok(html(StatusCode::BAD_REQUEST, page::result(&t)));
    }
    // Post/Redirect/Get: a reload shows the result instead of resubmitting the form.
    Ok(Redirect::to(&format!("/test-logins/{}", t.id)).into_response())
}

/// Tells the desktop app (if it listens) about a completed test login.
fn publish(state: &AppState, t: &crate::login::TestLogin) {
    let summary = TestLoginSummary {
        id: t.id,
        at: t.at,
        connection: t.connection.clone(),
        kind: t.kind,
        outcome: t.report.outcome,
        failed_check: t.report.failed_check,
        user_id: t.report.user.as_ref().map(|u| u.id),
    };
    let _ = state.events.send(summary);
}

async fn test_login(State(state): State<AppState>, Path(id): Path<String>) -> Answer {
    let id = id.parse::<i64>().map_err(|_| Refusal::new(StatusCode::NOT_FOUND, "Not found", "no such test login"))?;
    let t = state.run(move |wb| wb.test_login(id)).await?;
    Ok(html(StatusCode::OK, page::result(&t)))
}

/// Binds 127.0.0.1:`port` (loopback only), with a message that helps when it is taken.
pub async fn bind(port: u16) -> Result<tokio::net::TcpListener> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            Error::new(ErrorCode::PortInUse, format!("port {port} on 127.0.0.1 is already in use (another Handshake?)"))
                .hint(
                    "Choose another port. Connections without explicit SP URLs then use the new port, so update their \
                     IdPs.",
                )
        } else {
            Error::new(ErrorCode::Io, format!("cannot listen on {addr}: {e}"))
        }
    })
}
