//! `demo`: the built-in demo IdP and its `demo` connection, served; or one failure
//! scenario run headless through the real endpoints on a private server; or the library.

use std::process::ExitCode;
use std::sync::Arc;

use handshake::Error;
use handshake::clock::{Clock, SystemClock};
use handshake::demo::{DemoStyle, ScenarioId, StoryMode, StoryStep};
use handshake::desktop::Desktop;
use handshake::workbench::OpenOptions;
use handshake::workbench::demo::{ScenarioRequest, ScenarioResult};

use super::args::{Cli, DemoArgs};
use super::json::{emit, to_json};
use super::print::print_user;
use super::serve::{runtime, serve};
use super::{hints, open};

/// `demo`: exit 0 whenever the command completed (a scenario's verdict is in its output,
/// whatever it is); 2 for usage, configuration or I/O errors.
pub fn demo(cli: &Cli, args: &DemoArgs) -> Result<ExitCode, Error> {
    let style = args.style.as_deref().and_then(DemoStyle::parse);
    if let Some(name) = &args.scenario {
        let scenario = ScenarioId::parse(name).ok_or_else(|| Error::invalid(format!("unknown scenario {name:?}")))?;
        let request = ScenarioRequest { scenario, persona: args.persona.clone(), skew_minutes: args.skew_minutes };
        let result = runtime()?.block_on(on_private_server(cli, style, |d| Box::pin(d.run_scenario(request))))?;
        if args.json {
            let mut out = serde_json::json!({
                "scenario": result.scenario,
                "verdict": result.verdict,
                "failed_check": result.failed_check,
                "outcome": result.outcome,
                "user": result.user,
            });
            // A SCIM scenario also says what its requests got and what it checked.
            if let (true, Some(obj)) = (scenario.is_scim(), out.as_object_mut()) {
                obj.insert("as_expected".into(), result.as_expected.into());
                obj.insert("intended".into(), result.intended.clone().into());
                obj.insert("scim".into(), serde_json::to_value(&result.scim).unwrap_or_default());
                obj.insert("checks".into(), serde_json::to_value(&result.checks).unwrap_or_default());
            }
            println!("{}", to_json(&out)?);
        } else {
            print_result(&result);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(name) = &args.story {
        let mode = StoryMode::parse(&args.mode).unwrap_or_default();
        if name == "all" {
            let run = runtime()?.block_on(on_private_server(cli, style, |d| Box::pin(d.run_story(mode))))?;
            emit(args.json, &run, |run| {
                println!("The story, {}:\n", run.mode.title());
                for done in &run.steps {
                    let verdict = if done.result.as_expected { "as intended" } else { "NOT as intended" };
                    println!("  {:<14} {:<40} {verdict}", done.step.as_str(), done.result.intended);
                    println!("  {:<14} {}", "", done.moral);
                }
            })?;
            return Ok(ExitCode::SUCCESS);
        }
        let step = StoryStep::parse(name).ok_or_else(|| Error::invalid(format!("unknown story step {name:?}")))?;
        let done = runtime()?.block_on(on_private_server(cli, style, |d| Box::pin(d.run_story_step_in(step, mode))))?;
        emit(args.json, &done, |done| {
            let told = done.story.steps.iter().find(|s| s.step == done.step);
            println!("{} ({}): {}\n", done.step.as_str(), done.mode.as_str(), told.map_or("", |s| s.text.as_str()));
            print_result(&done.result);
            println!("\n{}", done.moral);
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    let wb = open(cli)?;
    let now = SystemClock.now();
    if args.list {
        emit(args.json, &wb.demo_catalog(now)?, |catalog| {
            println!("Scenarios (handshake demo --scenario NAME):");
            for s in &catalog.scenarios {
                let check = match (s.expected.failed_check, s.expected.scim_status) {
                    (Some(c), _) => c.as_str().to_owned(),
                    (None, Some(status)) => format!("SCIM {status}"),
                    (None, None) => "accepted".to_owned(),
                };
                println!("  {:<24} {:<22} {}", s.name, check, s.title);
            }
            println!("\nPersonas (--persona EMAIL):");
            for p in &catalog.personas {
                let state = if p.active { "" } else { " (deactivated)" };
                println!("  {:<36} {} · {} · {}{state}", p.email, p.display_name, p.department, p.label);
            }
            for story in [&catalog.story, &catalog.hybrid_story] {
                println!(
                    "\nStory, {} (handshake demo --story [STEP] --mode {}):",
                    story.mode.title(),
                    story.mode.as_str()
                );
                for s in &story.steps {
                    println!("  {:<14} {}", s.step.as_str(), s.text);
                }
            }
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.reset {
        emit(args.json, &wb.reset_demo(now)?, |reset| {
            println!(
                "Demo data reset: {} users and {} test logins removed, {} default personas",
                reset.users_removed, reset.test_logins_removed, reset.personas
            );
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.protocol == "oidc" {
        let setup = wb.create_oidc_demo(now)?;
        drop(wb);
        emit(args.json, &setup, |setup| {
            let issuer = setup.connection.oidc.as_ref().map_or("", |o| o.issuer.as_str());
            println!(
                "Demo OpenID Provider {issuer} and connection {} {}.",
                setup.connection.name,
                if setup.created { "created" } else { "ready" }
            );
            println!("Open this URL to start a test login:\n{}", setup.login_url);
        })?;
        return serve(cli);
    }
    let setup = wb.create_demo(style, now)?;
    drop(wb);
    emit(args.json, &setup, |setup| {
        println!(
            "Demo IdP {} ({} style) and connection {} {}.",
            setup.idp.entity_id,
            setup.idp.style_label,
            setup.connection.name,
            if setup.created { "created" } else { "ready" }
        );
        println!("Open this URL to start a test login:\n{}", setup.login_url);
    })?;
    serve(cli)
}

fn print_result(result: &ScenarioResult) {
    let verdict = serde_json::to_value(result.verdict).unwrap_or_default();
    println!("scenario:     {} (as {})", result.scenario, result.persona);
    println!("verdict:      {}", verdict.as_str().unwrap_or_default());
    println!("outcome:      {}", result.outcome.map_or("-".to_owned(), |o| o.to_string()));
    println!("failed check: {}", result.failed_check.map_or("-", |c| c.as_str()));
    println!("intended:     {} ({})", if result.as_expected { "yes" } else { "NO" }, result.intended);
    println!("\n{}", result.summary.happened);
    if let Some(why) = &result.summary.why {
        println!("Why: {why}");
    }
    if let Some(change) = &result.summary.change {
        println!("What to change: {change}");
    }
    if !result.scim.is_empty() {
        println!("\nSCIM requests (the demo IdP's client):");
        for x in &result.scim {
            let method = serde_json::to_value(x.method).unwrap_or_default();
            let mark = if x.ok { "" } else { "  <- not as intended" };
            println!("  {:<6} {:<48} {}  {}{mark}", method.as_str().unwrap_or_default(), x.path, x.status, x.what);
        }
    }
    for c in &result.checks {
        println!("{} {} ({})", if c.ok { "ok  " } else { "FAIL" }, c.what, c.found);
    }
    if let Some(u) = &result.user {
        println!();
        print_user(u);
    }
}

type Run<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, Error>> + 'a>>;

/// One run through the real endpoints on a private server: a free loopback port, stopped when done.
async fn on_private_server<T>(
    cli: &Cli,
    style: Option<DemoStyle>,
    run: impl for<'a> FnOnce(&'a Desktop) -> Run<'a, T>,
) -> Result<T, Error> {
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
        run(&desktop).await
    }
    .await;
    desktop.stop_server().await;
    result
}
