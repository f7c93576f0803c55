//! `serve`: the embedded SP on 127.0.0.1, until Ctrl-C or SIGTERM.

use std::process::ExitCode;
use std::sync::Arc;

use handshake::clock::{Clock as _, SystemClock};
use handshake::server::{AppState, Pool};
use handshake::{Error, ErrorCode};

use super::args::Cli;
use super::hints;

/// `serve`: the embedded SP on the pool the app uses too, until Ctrl-C or SIGTERM.
pub fn serve(cli: &Cli) -> Result<ExitCode, Error> {
    let runtime = runtime()?;
    let options = cli.options()?;
    let pool = Pool::open(&options).map_err(hints::opening)?;
    let connections = pool.with(|wb| wb.list_connections(SystemClock.now()))??;
    // The SCIM endpoints that are on (a connection whose status cannot be read has none).
    let scim: Vec<String> = pool.with(|wb| {
        connections
            .iter()
            .filter(|c| wb.scim_status(&c.name).is_ok_and(|s| s.enabled))
            .map(|c| c.name.clone())
            .collect()
    })?;
    let state = AppState::new(pool, Arc::new(SystemClock))?;
    runtime.block_on(async {
        let listener = handshake::server::bind(options.port).await?;
        let base = handshake::connection::base_url(options.port);
        eprintln!("Handshake SP listening on {base}/ (Ctrl-C to stop)");
        for c in &connections {
            let segment = handshake::connection::url_segment(&c.name);
            match &c.oidc {
                Some(o) => {
                    eprintln!("  {}: test login {base}/oidc/{segment}/login  (redirect URI {})", c.name, o.redirect_uri)
                }
                None => eprintln!("  {}: test login {base}/saml/{segment}/login  (ACS {})", c.name, c.sp.acs_url),
            }
            if scim.contains(&c.name) {
                eprintln!("  {}: SCIM endpoint {base}{}/", c.name, handshake::server::scim::endpoint_path(&c.name));
            }
        }
        let mut scim_events = state.scim_events.subscribe();
        tokio::spawn(async move {
            while let Ok(r) = scim_events.recv().await {
                let scim_type = r.scim_type.map(|t| format!(" {}", t.as_str())).unwrap_or_default();
                let method = super::scim::method_name(r.method);
                eprintln!("SCIM #{} [{}] {method} {} -> {}{scim_type}", r.id, r.connection, r.path, r.status);
            }
        });
        let mut events = state.events.subscribe();
        tokio::spawn(async move {
            while let Ok(e) = events.recv().await {
                eprintln!(
                    "test login #{} [{}] {} {}",
                    e.id,
                    e.connection,
                    e.outcome,
                    e.failed_check.map(|c| format!("(stopped by {c})")).unwrap_or_default()
                );
            }
        });
        handshake::server::serve(listener, state, shutdown_signal()).await
    })?;
    eprintln!("Handshake SP stopped");
    Ok(ExitCode::SUCCESS)
}

pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::new(ErrorCode::Internal, format!("cannot start the runtime: {e}")))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
