//! The serving loop: hyper's HTTP/1 connection driver on an accept loop of our own, because
//! `axum::serve` has no header-read timeout. Each connection must send a complete request
//! head within `header_timeout` (which also closes idle keep-alive connections), its body
//! within `body_timeout`, and at most `max_connections` are served at once (more wait in
//! the listen backlog until one ends). Shutdown stops accepting, lets in-flight requests
//! finish and closes idle connections.

use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;

use super::{AppState, body, router};
use crate::error::{Error, ErrorCode, Result};

/// How the embedded server treats slow and numerous clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeOptions {
    /// A whole request head, from when the server starts waiting for it: on a new connection
    /// and after each response (so also how long an idle keep-alive connection stays open).
    pub header_timeout: Duration,
    /// A whole request body, from the end of its head.
    pub body_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 64,
        }
    }
}

/// After an accept error (out of file descriptors, say), wait this long before the next.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves with the default [`ServeOptions`] until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    serve_with(listener, state, ServeOptions::default(), shutdown).await
}

/// Serves on `listener` until `shutdown` resolves, then finishes in-flight requests. The
/// Host and Origin checks accept the port `listener` is bound to.
pub async fn serve_with(
    listener: TcpListener,
    state: AppState,
    options: ServeOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let port = listener
        .local_addr()
        .map_err(|e| Error::new(ErrorCode::Io, format!("the embedded SP has no address: {e}")))?
        .port();
    let app = router(state.bound_to(port))
        .layer(axum::middleware::map_request_with_state(options.body_timeout, body::with_deadline));
    let slots = Arc::new(Semaphore::new(options.max_connections.max(1)));
    let (closing, closed) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        // A free slot first: beyond the cap, clients wait in the listen backlog.
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => slot
                .map_err(|_| Error::new(ErrorCode::Internal, "the connection slots were closed"))?,
        };
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!("accepting a connection failed: {e}");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        while connections.try_join_next().is_some() {}
        connections.spawn(connection(stream, app.clone(), options.header_timeout, closed.clone(), slot));
    }
    drop(listener);
    let _ = closing.send(true);
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// One connection, until the client or a timeout ends it, or shutdown closes it gracefully.
async fn connection(
    stream: TcpStream,
    app: axum::Router,
    header_timeout: Duration,
    mut closing: watch::Receiver<bool>,
    slot: OwnedSemaphorePermit,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(header_timeout);
    let mut conn = Box::pin(http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app)));
    let mut shutting_down = false;
    loop {
        tokio::select! {
            ended = conn.as_mut() => {
                if let Err(e) = ended {
                    tracing::debug!("connection ended: {e}");
                }
                break;
            }
            changed = closing.wait_for(|closing| *closing), if !shutting_down => {
                shutting_down = true;
                if changed.is_ok() {
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
    // The socket is closed (dropped with `conn`) before the slot frees for the next client.
    drop(conn);
    drop(slot);
}
