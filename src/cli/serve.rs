//! The long-running subcommands: `serve` (the embedded SP) and `demo` (the demo IdP,
//! served, or one scenario run headless on a private server).

use std::process::ExitCode;
use std::sync::Arc;

use handshake::clock::{Clock, SystemClock};
use handshake::demo::{DemoStyle, ScenarioId, ScenarioRequest};
use handshake::desktop::Desktop;
use handshake::server::{AppState, Pool};
use handshake::workbench::OpenOptions;
use handshake::{Error, ErrorCode};

use super::args::{Cli, DemoArgs};
use super::json::to_json;
use super::print::print_user;
use super::{hints, open};

/// `serve`: the embedded SP on the pool the app uses too, until Ctrl-C or SIGTERM.
pub fn serve(cli: &Cli) -> Result<ExitCode, Error> {
    let runtime = runtime()?;
    let options = cli.options()?;
    let pool = Pool::open(&options).map_err(hints::opening)?;
    let connections = pool.with(|wb| wb.list_connections())??;
    let state = AppState::new(pool, Arc::new(SystemClock))?;
    runtime.block_on(async {
        let listener = handshake::server::bind(options.port).await?;
        let base = handshake::connection::base_url(options.port);
        eprintln!("Handshake SP listening on {base}/ (Ctrl-C to stop)");
        for c in &connections {
            eprintln!("  {}: test login {base}/saml/{}/login  (ACS {})", c.name, c.name, c.sp.acs_url);
        }
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

/// `demo`: exit 0 whenever the command completed (a scenario's verdict is in its output,
/// whatever it is); 2 for usage, configuration or I/O errors.
pub fn demo(cli: &Cli, args: &DemoArgs) -> Result<ExitCode, Error> {
    let style = args.style.as_deref().and_then(DemoStyle::parse);
    if let Some(name) = &args.scenario {
        let scenario = ScenarioId::parse(name).ok_or_else(|| Error::invalid(format!("unknown scenario {name:?}")))?;
        let request = ScenarioRequest { scenario, persona: args.persona.clone(), skew_minutes: args.skew_minutes };
        let result = runtime()?.block_on(run_scenario(cli, style, request))?;
        if args.json {
            let out = serde_json::json!({
                "scenario": result.scenario,
                "verdict": result.verdict,
                "failed_check": result.failed_check,
                "outcome": result.outcome,
                "user": result.user,
            });
            println!("{}", to_json(&out)?);
        } else {
            let verdict = serde_json::to_value(result.verdict).unwrap_or_default();
            println!("scenario:     {} (as {})", result.scenario, result.persona);
            println!("verdict:      {}", verdict.as_str().unwrap_or_default());
            println!("outcome:      {}", result.outcome);
            println!("failed check: {}", result.failed_check.as_deref().unwrap_or("-"));
            println!("intended:     {}", if result.as_expected { "yes" } else { "NO" });
            if let Some(u) = &result.user {
                println!();
                print_user(u);
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let wb = open(cli)?;
    let now = SystemClock.now();
    if args.list {
        let catalog = wb.demo_catalog(now)?;
        if args.json {
            println!("{}", to_json(&catalog)?);
        } else {
            println!("Scenarios (handshake demo --scenario NAME):");
            for s in &catalog.scenarios {
                let check = s.expected.failed_check.as_deref().unwrap_or("accepted");
                println!("  {:<24} {:<22} {}", s.name, check, s.title);
            }
            println!("\nPersonas (--persona EMAIL):");
            for p in &catalog.personas {
                let state = if p.active { "" } else { " (deactivated)" };
                println!("  {:<36} {} · {} · {}{state}", p.email, p.display_name, p.department, p.label);
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.reset {
        let reset = wb.reset_demo(now)?;
        if args.json {
            println!("{}", to_json(&reset)?);
        } else {
            println!(
                "Demo data reset: {} users and {} test logins removed, {} default personas",
                reset.users_removed, reset.test_logins_removed, reset.personas
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let setup = wb.create_demo(style, now)?;
    drop(wb);
    if args.json {
        println!("{}", to_json(&setup)?);
    } else {
        println!(
            "Demo IdP {} ({} style) and connection {} {}.",
            setup.idp.entity_id,
            setup.idp.style_label,
            setup.connection.name,
            if setup.created { "created" } else { "ready" }
        );
        println!("Open this URL to start a test login:\n{}", setup.login_url);
    }
    serve(cli)
}

/// A scenario on a private server: a free loopback port, stopped when done.
async fn run_scenario(
    cli: &Cli,
    style: Option<DemoStyle>,
    request: ScenarioRequest,
) -> Result<handshake::demo::ScenarioResult, Error> {
    let options = OpenOptions { port: 0, ..cli.options()? };
    let desktop = Desktop::open(&options, Arc::new(SystemClock)).map_err(hints::opening)?;
    let status = desktop.start_server(0).await;
    if let Some(e) = status.error {
        return Err(e);
    }
    let result = async {
        if style.is_some() {
            desktop.create_demo(style).await?;
        }
        desktop.run_scenario(request).await
    }
    .await;
    desktop.stop_server().await;
    result
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
