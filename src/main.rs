//! `handshake`: the command-line shell over the core API (handshake::workbench).
//! Each subcommand parses its flags, makes one core call, and prints. Exit codes:
//! 0 success/accepted, 1 rejected, 2 usage or configuration error.

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use handshake::clock::{Clock, SystemClock};
use handshake::connection::{SecurityPolicy, SignatureRequirement};
use handshake::demo::{DemoStyle, ScenarioId};
use handshake::workbench::demo::{ScenarioRequest, ScenarioResult};
use handshake::desktop::Desktop;
use handshake::provision::{MappingDocument, UserStatus};
use handshake::secrets::SecretStoreKind;
use handshake::sensitive::Sensitive;
use handshake::validate::{CheckStatus, Report};
use handshake::workbench::{AuditFormat, ConnectionView, ImportRequest, OpenOptions, ProvisionReport, Workbench};
use handshake::{Error, ErrorCode};

/// Writes to stdout. A closed pipe (`handshake ... | head`) ends the program quietly with
/// status 0, as the reader asked for no more; any other write error exits 2 with the reason.
fn write_stdout(args: std::fmt::Arguments<'_>, newline: bool) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let written = out.write_fmt(args).and_then(|()| if newline { out.write_all(b"\n") } else { Ok(()) });
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            eprintln!("error [io]: cannot write to standard output: {e}");
            std::process::exit(2);
        }
    }
}

// These shadow the standard macros in this file: std's panic on a closed pipe.
macro_rules! println {
    () => { write_stdout(format_args!(""), true) };
    ($($arg:tt)*) => { write_stdout(format_args!($($arg)*), true) };
}
macro_rules! print {
    ($($arg:tt)*) => { write_stdout(format_args!($($arg)*), false) };
}

#[derive(Parser)]
#[command(name = "handshake", version, about = "A workbench for SAML SSO connections")]
struct Cli {
    /// The SQLite catalog (default: HANDSHAKE_DB, else the user data directory).
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Where secrets live: keyring, file:DIR or memory.
    #[arg(long, global = true, env = "HANDSHAKE_SECRET_STORE", default_value = "keyring", value_name = "STORE")]
    secret_store: SecretStoreKind,
    /// Port of the embedded SP; SP URLs that were not set explicitly derive from it.
    #[arg(long, global = true, env = "HANDSHAKE_PORT", default_value_t = handshake::connection::DEFAULT_PORT)]
    port: u16,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Manage connections (IdP metadata + SP settings + policy).
    #[command(subcommand)]
    Connection(ConnectionCommand),
    /// Validate a SAMLResponse for a connection, explaining every check. No side effects.
    Verify(VerifyArgs),
    /// Validate the same response N times and report validations per second.
    Bench(BenchArgs),
    /// Attribute mapping, role and access rules, provisioning policy of a connection.
    #[command(subcommand)]
    Mapping(MappingCommand),
    /// Validate, map and provision a response (JIT); --dry-run writes nothing.
    Provision(ProvisionArgs),
    /// The provisioned users.
    #[command(subcommand)]
    Users(UsersCommand),
    /// The audit log of login attempts.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Run the embedded SP on 127.0.0.1 (test logins from a browser), logging each login.
    Serve,
    /// The built-in demo IdP: create (or reuse) it and the `demo` connection and serve them;
    /// or run one failure scenario headless; or list the scenarios and personas.
    Demo(DemoArgs),
}

#[derive(Args)]
struct DemoArgs {
    /// Run this scenario through the real HTTP endpoints (on a free loopback port) and print the result.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(handshake::demo::ScenarioId::names()))]
    scenario: Option<String>,
    /// Who signs in: a persona's email or id (default: the first active persona).
    #[arg(long, requires = "scenario")]
    persona: Option<String>,
    /// For clock-skew: how many minutes the IdP's clock is ahead (default 5).
    #[arg(long, requires = "scenario", allow_negative_numbers = true)]
    skew_minutes: Option<i64>,
    /// Claim names and XML shape of this IdP (switches the demo IdP and the demo mapping).
    #[arg(long, value_parser = ["entra", "okta", "google", "generic"])]
    style: Option<String>,
    /// List the scenarios and personas.
    #[arg(long, conflicts_with_all = ["scenario", "reset"])]
    list: bool,
    /// Reset the demo data: default personas, the demo connection's users and test logins removed.
    #[arg(long, conflicts_with = "scenario")]
    reset: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum MappingCommand {
    Show {
        #[arg(long)]
        connection: String,
        #[arg(long)]
        json: bool,
    },
    /// Replace the whole mapping document (the JSON `mapping show --json` prints).
    Set {
        #[arg(long)]
        connection: String,
        #[arg(long, value_name = "MAPPING.json|-")]
        file: PathBuf,
    },
    /// Fill the mapping with an IdP's default claims.
    Preset {
        #[arg(long)]
        connection: String,
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(handshake::provision::presets::PRESETS))]
        preset: String,
    },
}

#[derive(Args)]
struct ProvisionArgs {
    #[command(flatten)]
    response: ResponseArgs,
    #[arg(long)]
    dry_run: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum UsersCommand {
    List {
        #[arg(long)]
        connection: Option<String>,
        #[arg(long)]
        json: bool,
    },
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    Deactivate {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    Activate {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    Delete {
        id: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    List {
        #[arg(long)]
        connection: Option<String>,
        /// Only entries at or after this instant (RFC 3339).
        #[arg(long, value_name = "RFC3339")]
        since: Option<String>,
        #[arg(long, value_parser = ["json", "csv"], default_value = "json")]
        format: String,
    },
}

#[derive(Subcommand)]
enum ConnectionCommand {
    /// Import IdP metadata from a file, a URL, or - (stdin).
    Import {
        #[arg(long)]
        name: String,
        #[arg(long, value_name = "FILE|URL|-")]
        metadata: String,
        /// Which IdP of an aggregate (EntitiesDescriptor) to import.
        #[arg(long)]
        entity_id: Option<String>,
        #[arg(long, value_name = "URL")]
        sp_entity_id: Option<String>,
        #[arg(long, value_name = "URL")]
        acs_url: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Use your own SP key and certificate (PEM) instead of the generated pair.
    SetSpKey {
        #[arg(long)]
        name: String,
        #[arg(long, value_name = "KEY.pem")]
        key: PathBuf,
        #[arg(long, value_name = "CERT.pem")]
        cert: PathBuf,
    },
    List {
        #[arg(long)]
        json: bool,
    },
    Show {
        name: String,
        #[arg(long)]
        json: bool,
    },
    Remove {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Print the SP metadata XML to upload to the IdP.
    SpMetadata {
        #[arg(long)]
        name: String,
    },
    /// Change the security policy; flags left out keep their value.
    SetPolicy(SetPolicyArgs),
}

#[derive(Args)]
struct SetPolicyArgs {
    #[arg(long)]
    name: String,
    /// Accept RSA-SHA1 signatures and SHA-1 digests (legacy IdPs only).
    #[arg(long, value_name = "BOOL", value_parser = clap::builder::BoolishValueParser::new())]
    allow_sha1: Option<bool>,
    /// Tolerance for clock differences between IdP and SP, in seconds (at most 600).
    #[arg(long, value_name = "N")]
    clock_skew_seconds: Option<u32>,
    /// Accept unsolicited (IdP-initiated) responses.
    #[arg(long, value_name = "BOOL", value_parser = clap::builder::BoolishValueParser::new())]
    allow_idp_initiated: Option<bool>,
    /// Refuse responses whose assertion is not encrypted.
    #[arg(long, value_name = "BOOL", value_parser = clap::builder::BoolishValueParser::new())]
    require_encrypted_assertion: Option<bool>,
    /// Which signatures an accepted response must carry.
    #[arg(long, value_parser = ["either", "response", "assertion", "both"])]
    signature: Option<String>,
    /// Accept a signed Response without a Destination (SAML bindings require one).
    #[arg(long, value_name = "BOOL", value_parser = clap::builder::BoolishValueParser::new())]
    allow_missing_destination: Option<bool>,
    /// Sign AuthnRequests even when the IdP does not ask for it.
    #[arg(long, value_name = "BOOL", value_parser = clap::builder::BoolishValueParser::new())]
    sign_authn_requests: Option<bool>,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ResponseArgs {
    #[arg(long)]
    connection: String,
    /// File with the SAMLResponse (base64 as posted, or the decoded XML); - for stdin.
    #[arg(long, value_name = "FILE")]
    response: PathBuf,
    /// Instant to judge time against (RFC 3339); default now.
    #[arg(long, value_name = "RFC3339")]
    at: Option<String>,
    /// ID of the outstanding AuthnRequest; without it the response must be unsolicited.
    #[arg(long, value_name = "ID")]
    in_response_to: Option<String>,
}

#[derive(Args)]
struct VerifyArgs {
    #[command(flatten)]
    response: ResponseArgs,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct BenchArgs {
    #[command(flatten)]
    response: ResponseArgs,
    #[arg(long)]
    iterations: u64,
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error [{}]: {}", e.code.as_str(), e.message);
            ExitCode::from(2)
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HANDSHAKE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

fn open(cli: &Cli) -> Result<Workbench, Error> {
    Workbench::open(&OpenOptions { db: cli.db.clone(), secret_store: cli.secret_store.clone(), port: cli.port })
}

fn run(cli: Cli) -> Result<ExitCode, Error> {
    if matches!(cli.command, Command::Serve) {
        return serve(&cli);
    }
    if let Command::Demo(args) = &cli.command {
        return demo(&cli, args);
    }
    let wb = open(&cli)?;
    let now = SystemClock.now();
    match cli.command {
        Command::Connection(cmd) => connection(&wb, cmd, now),
        Command::Verify(args) => {
            let (response, at) = read_response(&args.response, now)?;
            let report =
                wb.verify(&args.response.connection, &response, at, args.response.in_response_to.as_deref())?;
            if args.json {
                println!("{}", to_json(&verify_json(&report))?);
            } else {
                print_report(&report, at);
            }
            Ok(if report.accepted() { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::Mapping(cmd) => mapping(&wb, cmd, now),
        Command::Provision(args) => {
            let (response, at) = read_response(&args.response, now)?;
            let report = wb.provision(
                &args.response.connection,
                &response,
                at,
                args.response.in_response_to.as_deref(),
                args.dry_run,
            )?;
            if args.json {
                println!("{}", to_json(&report)?);
            } else {
                print_provision(&report);
            }
            Ok(if report.outcome.signed_in() { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::Users(cmd) => users(&wb, cmd, now),
        Command::Audit(AuditCommand::List { connection, since, format }) => {
            let since = since.as_deref().map(parse_instant).transpose()?;
            let format = if format == "csv" { AuditFormat::Csv } else { AuditFormat::JsonLines };
            let query = handshake::directory::AuditQuery { connection, since, ..Default::default() };
            print!("{}", wb.export_audit(&query, format)?.0);
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve | Command::Demo(_) => Ok(ExitCode::SUCCESS),
        Command::Bench(args) => {
            let (response, at) = read_response(&args.response, now)?;
            let result = wb.bench(
                &args.response.connection,
                &response,
                at,
                args.response.in_response_to.as_deref(),
                args.iterations,
            )?;
            if args.json {
                println!("{}", to_json(&result)?);
            } else {
                println!(
                    "{} validations in {:.3} s: {:.0} validations/s",
                    result.iterations, result.seconds, result.validations_per_sec
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn connection(wb: &Workbench, cmd: ConnectionCommand, now: DateTime<Utc>) -> Result<ExitCode, Error> {
    match cmd {
        ConnectionCommand::Import { name, metadata, entity_id, sp_entity_id, acs_url, json } => {
            let (metadata_xml, source) = read_metadata(&metadata)?;
            let outcome = wb.import_connection(
                &ImportRequest { name, metadata_xml, source, entity_id, sp_entity_id, acs_url },
                now,
            )?;
            if json {
                println!("{}", to_json(&outcome)?);
            } else {
                for w in &outcome.warnings {
                    eprintln!("warning [{}]: {}", w.code, w.message);
                }
                print_connection(&outcome.connection, now);
                println!(
                    "\nNext: give the IdP the SP metadata: handshake connection sp-metadata --name {}",
                    outcome.connection.name
                );
            }
        }
        ConnectionCommand::SetSpKey { name, key, cert } => {
            let key_pem = Sensitive::new(read_file(&key)?);
            let cert_pem = read_file(&cert)?;
            let view = wb.set_sp_key(&name, key_pem, &cert_pem, now)?;
            let fp = view.sp.certificate.as_ref().map(|c| c.sha256_fingerprint.clone()).unwrap_or_default();
            println!("SP key for {} replaced; certificate SHA-256 {fp}", view.name);
        }
        ConnectionCommand::List { json } => {
            let list = wb.list_connections(now)?;
            if json {
                println!("{}", to_json(&list)?);
            } else if list.is_empty() {
                println!("No connections. Import one: handshake connection import --name NAME --metadata FILE|URL");
            } else {
                println!("{:<24} {:<60} CERTIFICATES", "NAME", "IDP ENTITY ID");
                for c in &list {
                    println!("{:<24} {:<60} {}", c.name, c.idp_entity_id, cert_summary(c, now));
                }
            }
        }
        ConnectionCommand::Show { name, json } => {
            let c = wb.connection(&name, now)?;
            if json {
                println!("{}", to_json(&c)?);
            } else {
                print_connection(&c, now);
            }
        }
        ConnectionCommand::Remove { name, json } => {
            let outcome = wb.remove_connection(&name)?;
            if json {
                println!("{}", to_json(&outcome)?);
            } else {
                println!("Removed connection {}", outcome.name);
                if let Some(w) = outcome.warning {
                    eprintln!("warning: {w}");
                }
            }
        }
        ConnectionCommand::SpMetadata { name } => print!("{}", wb.sp_metadata(&name)?),
        ConnectionCommand::SetPolicy(args) => set_policy(wb, args, now)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn set_policy(wb: &Workbench, args: SetPolicyArgs, now: DateTime<Utc>) -> Result<(), Error> {
    let mut policy = wb.connection(&args.name, now)?.policy;
    if let Some(v) = args.allow_sha1 {
        policy.allow_sha1 = v;
    }
    if let Some(v) = args.clock_skew_seconds {
        policy.clock_skew_seconds = v;
    }
    if let Some(v) = args.allow_idp_initiated {
        policy.allow_idp_initiated = v;
    }
    if let Some(v) = args.require_encrypted_assertion {
        policy.require_encrypted_assertion = v;
    }
    if let Some(v) = args.sign_authn_requests {
        policy.sign_authn_requests = v;
    }
    if let Some(v) = args.allow_missing_destination {
        policy.allow_missing_destination = v;
    }
    if let Some(v) = args.signature.as_deref() {
        policy.signature = match v {
            "response" => SignatureRequirement::Response,
            "assertion" => SignatureRequirement::Assertion,
            "both" => SignatureRequirement::Both,
            _ => SignatureRequirement::AssertionOrResponse,
        };
    }
    let view = wb.set_policy(&args.name, policy, now)?;
    if args.json {
        println!("{}", to_json(&view.policy)?);
    } else {
        println!("Security policy of {} saved:", view.name);
        print_policy(&view.policy);
    }
    Ok(())
}

fn print_policy(p: &SecurityPolicy) {
    let signature = match p.signature {
        SignatureRequirement::AssertionOrResponse => "either (assertion or response)",
        SignatureRequirement::Assertion => "assertion",
        SignatureRequirement::Response => "response",
        SignatureRequirement::Both => "both",
    };
    println!("  signature required:          {signature}");
    println!("  clock skew:                  {} s", p.clock_skew_seconds);
    println!("  IdP-initiated logins:        {}", if p.allow_idp_initiated { "allowed" } else { "refused" });
    println!("  encrypted assertion:         {}", if p.require_encrypted_assertion { "required" } else { "optional" });
    println!("  SHA-1:                       {}", if p.allow_sha1 { "allowed" } else { "refused" });
    println!(
        "  signed Response without Destination: {}",
        if p.allow_missing_destination { "allowed" } else { "refused" }
    );
    println!("  sign AuthnRequests:          {}", if p.sign_authn_requests { "always" } else { "when the IdP asks" });
}

fn serve(cli: &Cli) -> Result<ExitCode, Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::new(ErrorCode::Internal, format!("cannot start the runtime: {e}")))?;
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).max(2);
    let pool = (0..workers).map(|_| open(cli)).collect::<Result<Vec<_>, _>>()?;
    let connections = pool.first().map(|wb| wb.list_connections(SystemClock.now())).transpose()?.unwrap_or_default();
    let state = handshake::server::AppState::new(handshake::server::Pool::new(pool), std::sync::Arc::new(SystemClock))?;
    runtime.block_on(async {
        let listener = handshake::server::bind(cli.port).await?;
        let base = handshake::connection::base_url(cli.port);
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

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::new(ErrorCode::Internal, format!("cannot start the runtime: {e}")))
}

/// `demo`: exit 0 whenever the command completed (a scenario's verdict is in its output,
/// whatever it is); 2 for usage, configuration or I/O errors.
fn demo(cli: &Cli, args: &DemoArgs) -> Result<ExitCode, Error> {
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
            println!("failed check: {}", result.failed_check.map_or("-", |c| c.as_str()));
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
                let check = s.expected.failed_check.map_or("accepted", |c| c.as_str());
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
) -> Result<ScenarioResult, Error> {
    let options = OpenOptions { db: cli.db.clone(), secret_store: cli.secret_store.clone(), port: 0 };
    let desktop = Desktop::open(&options, std::sync::Arc::new(SystemClock))?;
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

fn mapping(wb: &Workbench, cmd: MappingCommand, now: DateTime<Utc>) -> Result<ExitCode, Error> {
    match cmd {
        MappingCommand::Show { connection, json } => {
            let doc = wb.mapping(&connection)?;
            if json {
                println!("{}", to_json(&doc)?);
            } else {
                print_mapping(&connection, &doc);
            }
        }
        MappingCommand::Set { connection, file } => {
            let text =
                String::from_utf8(read_file(&file)?).map_err(|_| Error::invalid("the mapping file is not UTF-8"))?;
            let doc: MappingDocument = serde_json::from_str(&text)
                .map_err(|e| Error::invalid(format!("the mapping is not a valid mapping document: {e}")))?;
            wb.set_mapping(&connection, &doc, now)?;
            println!(
                "Mapping of {connection} saved ({} fields, {} role rules)",
                doc.fields.len(),
                doc.roles.rules.len()
            );
        }
        MappingCommand::Preset { connection, preset } => {
            let doc = wb.apply_preset(&connection, &preset, now)?;
            println!("Applied the {preset} preset to {connection}:");
            print_mapping(&connection, &doc);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn users(wb: &Workbench, cmd: UsersCommand, now: DateTime<Utc>) -> Result<ExitCode, Error> {
    let (user, json) = match cmd {
        UsersCommand::List { connection, json } => {
            let list = wb.users(&handshake::directory::UserQuery { connection, ..Default::default() })?;
            if json {
                println!("{}", to_json(&list)?);
            } else if list.is_empty() {
                println!("No users yet.");
            } else {
                println!("{:<6} {:<34} {:<26} {:<12} {:<8} LOGINS", "ID", "EMAIL", "NAME", "STATUS", "SOURCE");
                for u in &list {
                    println!(
                        "{:<6} {:<34} {:<26} {:<12} {:<8} {}",
                        u.id,
                        u.email.as_deref().unwrap_or("-"),
                        u.display_name.as_deref().unwrap_or("-"),
                        format!("{:?}", u.status).to_lowercase(),
                        format!("{:?}", u.source).to_lowercase(),
                        u.login_count
                    );
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        UsersCommand::Show { id, json } => (wb.user(id)?, json),
        UsersCommand::Deactivate { id, json } => (wb.set_user_status(id, UserStatus::Deactivated, now)?, json),
        UsersCommand::Activate { id, json } => (wb.set_user_status(id, UserStatus::Active, now)?, json),
        UsersCommand::Delete { id, json } => {
            wb.delete_user(id)?;
            if json {
                println!("{}", to_json(&serde_json::json!({ "deleted": id }))?);
            } else {
                println!("Deleted user {id}");
            }
            return Ok(ExitCode::SUCCESS);
        }
    };
    if json {
        println!("{}", to_json(&user)?);
    } else {
        print_user(&user);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_mapping(connection: &str, doc: &MappingDocument) {
    println!("Mapping of {connection}");
    println!("  subject        <- {}", doc.subject.describe());
    for f in &doc.fields {
        let transforms: Vec<String> = f.transforms.iter().map(|t| t.describe()).collect();
        println!(
            "  {:<14} <- {}{}{}",
            f.target,
            f.source.describe(),
            if transforms.is_empty() { String::new() } else { format!(" | {}", transforms.join(" | ")) },
            if f.required { " (required)" } else { "" }
        );
    }
    for r in &doc.roles.rules {
        println!(
            "  role rule: {} {:?} {} -> {}",
            r.source.describe(),
            r.op,
            if r.values.is_empty() { r.value.clone() } else { r.values.join("|") },
            r.grant
        );
    }
    println!(
        "  default role: {}; JIT {}; update {:?}; role sync {:?}; link by email {}",
        doc.roles.default_role.as_deref().unwrap_or("(none)"),
        if doc.provisioning.jit { "on" } else { "off" },
        doc.provisioning.update,
        doc.provisioning.role_sync,
        if doc.provisioning.link_by_email { "on" } else { "off" }
    );
}

fn print_user(u: &handshake::provision::User) {
    println!("User {} ({:?}, {:?})", u.id, u.status, u.source);
    let show = |k: &str, v: &Option<String>| println!("  {k:<13} {}", v.as_deref().unwrap_or("-"));
    show("email", &u.email);
    show("username", &u.username);
    show("given name", &u.given_name);
    show("family name", &u.family_name);
    show("display name", &u.display_name);
    println!("  {:<13} {}", "groups", u.groups.join(", "));
    println!("  {:<13} {}", "roles", u.roles.join(", "));
    for (k, v) in &u.custom {
        println!("  {k:<13} {v}");
    }
    for i in &u.identities {
        println!("  identity      {} / {}{}", i.connection, i.subject, if i.linked { " (linked)" } else { "" });
    }
    println!("  logins        {} (last {})", u.login_count, u.last_login.map(|t| t.to_rfc3339()).unwrap_or_default());
}

fn print_provision(r: &ProvisionReport) {
    println!(
        "Outcome: {}{}",
        r.outcome.as_str().to_uppercase(),
        if r.dry_run { " (dry run: nothing written)" } else { "" }
    );
    if let Some(s) = &r.stopped_by {
        println!("  stopped by: {} ({})", s.stop, s.code);
        println!("  {}", s.message);
        println!("  fix: {}", s.hint);
    }
    if let Some(t) = &r.trace {
        println!("\nMapping trace:");
        for f in t.subject.iter().chain(t.fields.iter()) {
            println!(
                "  {} {:<13} <- {}: raw {:?} -> {:?}",
                if f.matched { "✓" } else { "✗" },
                f.target,
                f.source,
                f.raw,
                f.value
            );
            for step in &f.steps {
                println!("        {} -> {:?}", step.transform, step.output);
            }
            for h in &f.hints {
                println!("        hint: {h}");
            }
        }
        for a in &t.access {
            println!("  {} access: {} ({})", if a.passed { "✓" } else { "✗" }, a.rule, a.detail);
        }
        for rr in &t.roles {
            println!("  {} role: {}", if rr.matched { "✓" } else { "·" }, rr.rule);
        }
        for n in &t.notes {
            println!("  note: {n}");
        }
    }
    if !r.diff.is_empty() {
        println!("\nChanges:");
        for c in &r.diff {
            println!("  {:<14} {} -> {}", c.field, c.before, c.after);
        }
    }
    if let Some(u) = &r.user {
        println!();
        print_user(u);
    }
}

fn parse_instant(t: &str) -> Result<DateTime<Utc>, Error> {
    DateTime::parse_from_rfc3339(t)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Error::invalid(format!("{t:?} is not an RFC 3339 instant (such as 2026-01-15T10:01:00Z): {e}")))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string_pretty(value).map_err(|e| Error::new(ErrorCode::Internal, format!("JSON output failed: {e}")))
}

fn read_file(path: &PathBuf) -> Result<Vec<u8>, Error> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| Error::new(ErrorCode::Io, format!("cannot read stdin: {e}")))?;
        return Ok(buf);
    }
    std::fs::read(path).map_err(|e| Error::new(ErrorCode::Io, format!("cannot read {}: {e}", path.display())))
}

fn read_metadata(arg: &str) -> Result<(String, String), Error> {
    if arg.starts_with("http://") || arg.starts_with("https://") {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::new(ErrorCode::Internal, format!("cannot start the network runtime: {e}")))?;
        let xml = runtime.block_on(handshake::metadata::fetch(arg))?;
        return Ok((xml, arg.to_owned()));
    }
    let bytes = read_file(&PathBuf::from(arg))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::new(ErrorCode::InvalidMetadata, format!("{arg} is not UTF-8 text")))?;
    let source = if arg == "-" { "stdin".to_owned() } else { arg.to_owned() };
    Ok((text, source))
}

fn read_response(args: &ResponseArgs, now: DateTime<Utc>) -> Result<(String, DateTime<Utc>), Error> {
    let at = match &args.at {
        Some(t) => DateTime::parse_from_rfc3339(t).map(|t| t.with_timezone(&Utc)).map_err(|e| {
            Error::invalid(format!("--at {t:?} is not an RFC 3339 instant (such as 2026-01-15T10:01:00Z): {e}"))
        })?,
        None => now,
    };
    // Bytes that are not UTF-8 still get a verdict (rejected at `parse`), not a usage error.
    let text = String::from_utf8_lossy(&read_file(&args.response)?).into_owned();
    Ok((text, at))
}

/// The `verify --json` contract.
fn verify_json(r: &Report) -> serde_json::Value {
    let mut attributes = serde_json::Map::new();
    for a in &r.attributes {
        let entry = attributes.entry(a.name.clone()).or_insert_with(|| serde_json::Value::Array(Vec::new()));
        if let serde_json::Value::Array(values) = entry {
            values.extend(a.values.iter().cloned().map(serde_json::Value::String));
        }
    }
    serde_json::json!({
        "verdict": r.verdict,
        "checks": r.checks,
        "name_id": r.name_id.as_ref().map(|n| n.value.clone()),
        "name_id_format": r.name_id.as_ref().and_then(|n| n.format.clone()),
        "attributes": attributes,
        "encrypted": r.encrypted,
        "response_signed": r.response_signed,
        "assertion_signed": r.assertion_signed,
        "error": r.error,
    })
}

fn print_report(r: &Report, at: DateTime<Utc>) {
    println!("Judged at {}", at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    for c in &r.checks {
        let mark = match c.status {
            CheckStatus::Pass => "PASS",
            CheckStatus::Fail => "FAIL",
            CheckStatus::Skip => "skip",
        };
        println!("[{mark}] {:<22} {}", c.id.as_str(), c.title);
        match c.status {
            CheckStatus::Skip => println!("       {}", c.actual),
            _ => {
                println!("       expected: {}", c.expected);
                println!("       found:    {}", c.actual);
            }
        }
        if let Some(h) = &c.hint {
            println!("       fix:      {h}");
        }
    }
    if let Some(n) = &r.name_id {
        println!("\nNameID: {} ({})", n.value, n.format.as_deref().unwrap_or("no format"));
    }
    for a in &r.attributes {
        println!("  {} = {}", a.name, a.values.join(" | "));
    }
    match &r.error {
        None => println!("\nACCEPTED"),
        Some(e) => println!("\nREJECTED by `{}`: {}", e.check, e.message),
    }
}

fn cert_summary(c: &ConnectionView, now: DateTime<Utc>) -> String {
    c.signing_certificates
        .iter()
        .map(|cert| {
            let state = if cert.is_expired(now) { "EXPIRED" } else { "expires" };
            format!("{state} {}", cert.not_after.format("%Y-%m-%d"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn print_connection(c: &ConnectionView, now: DateTime<Utc>) {
    println!("Connection {}", c.name);
    println!("  IdP entityID:  {}", c.idp_entity_id);
    for e in &c.sso {
        println!("  SSO:           {} ({})", e.location, e.binding.rsplit(':').next().unwrap_or_default());
    }
    for cert in &c.signing_certificates {
        let state = if cert.is_expired(now) { "EXPIRED" } else { "valid until" };
        println!(
            "  signing cert:  SHA-256 {} ({state} {})",
            cert.sha256_fingerprint,
            cert.not_after.format("%Y-%m-%d")
        );
    }
    println!(
        "  SP entityID:   {}{}",
        c.sp.entity_id,
        if c.sp.entity_id_explicit { "" } else { " (derived from the SP port)" }
    );
    println!(
        "  ACS URL:       {}{}",
        c.sp.acs_url,
        if c.sp.acs_url_explicit { "" } else { " (derived from the SP port)" }
    );
    if let Some(cert) = &c.sp.certificate {
        println!(
            "  SP cert:       SHA-256 {} (valid until {})",
            cert.sha256_fingerprint,
            cert.not_after.format("%Y-%m-%d")
        );
    }
    println!(
        "  policy:        signature {:?}, clock skew {} s, IdP-initiated {}, SHA-1 {}",
        c.policy.signature,
        c.policy.clock_skew_seconds,
        if c.policy.allow_idp_initiated { "allowed" } else { "refused" },
        if c.policy.allow_sha1 { "allowed" } else { "refused" }
    );
}
