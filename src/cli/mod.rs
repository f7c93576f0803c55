//! `handshake`: the command-line shell over the core API (handshake::workbench). Each
//! subcommand parses its flags, makes one core call, and prints. Exit codes:
//! 0 success/accepted, 1 rejected, 2 usage or configuration error.
//!
//! args.rs is the grammar, catalog.rs, capture.rs, id_token.rs, scim.rs, demo.rs and serve.rs the subcommands, print.rs and json.rs
//! the output, hints.rs what the CLI adds to a core error (its own commands and flags).

// First: its `println!` and `print!` replace std's in every module below.
#[macro_use]
mod out;
mod args;
mod capture;
mod catalog;
mod demo;
mod hints;
mod id_token;
mod input;
mod json;
mod oidc_connection;
mod print;
mod scim;
mod serve;

use std::process::ExitCode;

use clap::Parser as _;
use handshake::Error;
use handshake::clock::{Clock, SystemClock};
use handshake::directory::{AdminAction, AuditKind, AuditQuery};
use handshake::workbench::{AuditFormat, Workbench};

use self::args::{AuditCommand, Cli, Command};
use self::input::{parse_instant, read_response};
use self::json::{emit, to_json, verify_json};
use self::print::{print_provision, print_report};

pub fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    let subject = hints::Subject::of(&cli.command);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            let e = hints::running(subject, e);
            match &e.hint {
                Some(hint) => eprintln!("error [{}]: {} (hint: {hint})", e.code.as_str(), e.message),
                None => eprintln!("error [{}]: {}", e.code.as_str(), e.message),
            }
            ExitCode::from(2)
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HANDSHAKE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// The workbench of `cli`'s catalog and secret store.
fn open(cli: &Cli) -> Result<Workbench, Error> {
    Workbench::open(&cli.options()?).map_err(hints::opening)
}

fn run(cli: Cli) -> Result<ExitCode, Error> {
    if matches!(cli.command, Command::Serve) {
        return serve::serve(&cli);
    }
    if let Command::Demo(args) = &cli.command {
        return demo::demo(&cli, args);
    }
    let wb = open(&cli)?;
    let now = SystemClock.now();
    match cli.command {
        Command::Connection(cmd) => catalog::connection(&wb, cmd, now),
        Command::Verify(args) if capture::asked(&args) => capture::verify(&wb, &args, now),
        Command::Verify(args) => {
            let r = read_response(&args.response, now)?;
            let report = wb.verify(&r.connection, &r.text, r.at, r.in_response_to.as_deref())?;
            if args.json {
                println!("{}", to_json(&verify_json(&report))?);
            } else {
                print_report(&report, r.at);
            }
            Ok(if report.accepted() { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::Mapping(cmd) => catalog::mapping(&wb, cmd, now),
        Command::Provision(args) => {
            let r = read_response(&args.response, now)?;
            let report = wb.provision(&r.connection, &r.text, r.at, r.in_response_to.as_deref(), args.dry_run)?;
            emit(args.json, &report, print_provision)?;
            Ok(if report.outcome.signed_in() { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::VerifyIdToken(args) => id_token::verify(&wb, &args, now),
        Command::ProvisionIdToken(args) => id_token::provision(&wb, &args, now),
        Command::Users(cmd) => catalog::users(&wb, cmd, now),
        Command::Scim(cmd) => scim::scim(&wb, cmd, now),
        Command::Audit(AuditCommand::List { connection, since, format, kind, action }) => {
            let since = since.as_deref().map(parse_instant).transpose()?;
            let format = if format == "csv" { AuditFormat::Csv } else { AuditFormat::JsonLines };
            let kind = kind.as_deref().and_then(AuditKind::parse);
            let action = action
                .as_deref()
                .map(|a| {
                    AdminAction::parse(a).ok_or_else(|| {
                        let all: Vec<&str> = AdminAction::ALL.iter().map(|a| a.as_str()).collect();
                        handshake::Error::invalid(format!("unknown admin action {a:?}; actions: {}", all.join(", ")))
                    })
                })
                .transpose()?;
            let query = AuditQuery { connection, since, kind, action, ..AuditQuery::default() };
            print!("{}", wb.export_audit(&query, format)?.0);
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve | Command::Demo(_) => Ok(ExitCode::SUCCESS),
        Command::Bench(args) => {
            let r = read_response(&args.response, now)?;
            let result = wb.bench(&r.connection, &r.text, r.at, r.in_response_to.as_deref(), args.iterations)?;
            emit(args.json, &result, |r| {
                println!(
                    "{} validations in {:.3} s: {:.0} validations/s",
                    r.iterations, r.seconds, r.validations_per_sec
                );
            })?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
