//! `verify-id-token` and `provision-id-token`: an OpenID Connect ID token judged offline for
//! an OIDC connection, with the JWKS it cached. The JSON is `verify --json`'s (`verdict`,
//! `checks`) plus the decoded `header` and `claims`; never the compact token.

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use handshake::Error;
use handshake::oidc::Report;
use handshake::workbench::Workbench;
use serde_json::{Value, json};

use super::args::{IdTokenArgs, ProvisionIdTokenArgs, VerifyIdTokenArgs};
use super::input::{parse_instant, read_file};
use super::json::to_json;
use super::print::{print_checks, print_provision};

/// The token file's text (surrounding whitespace and a trailing newline are not the token's).
fn read_token(args: &IdTokenArgs, now: DateTime<Utc>) -> Result<(String, DateTime<Utc>), Error> {
    let at = args.at.as_deref().map(parse_instant).transpose()?.unwrap_or(now);
    let text = String::from_utf8_lossy(&read_file(&args.token)?).trim().to_owned();
    Ok((text, at))
}

pub fn verify(wb: &Workbench, args: &VerifyIdTokenArgs, now: DateTime<Utc>) -> Result<ExitCode, Error> {
    let (token, at) = read_token(&args.token, now)?;
    let report = wb.verify_id_token(&args.token.connection, &token, at, args.token.nonce.as_deref())?;
    if args.json {
        println!("{}", to_json(&report_json(&report))?);
    } else {
        print_id_token(&report, at);
    }
    Ok(if report.verdict == handshake::validate::Verdict::Accepted { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

pub fn provision(wb: &Workbench, args: &ProvisionIdTokenArgs, now: DateTime<Utc>) -> Result<ExitCode, Error> {
    let (token, at) = read_token(&args.token, now)?;
    let result =
        wb.provision_id_token(&args.token.connection, &token, at, args.token.nonce.as_deref(), args.dry_run)?;
    if args.json {
        println!("{}", to_json(&result)?);
    } else {
        print_provision(&result.report);
    }
    Ok(if result.report.outcome.signed_in() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// `verify --json`'s shape for an ID token.
pub fn report_json(r: &Report) -> Value {
    json!({
        "verdict": r.verdict,
        "checks": r.checks,
        "error": r.failure,
        "header": r.header,
        "claims": r.claims,
        "signature_verified": r.signature_verified,
        "kid": r.kid,
        "notes": r.notes,
    })
}

fn print_id_token(r: &Report, at: DateTime<Utc>) {
    println!("Judged at {}", at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    print_checks(&r.checks);
    for (what, part) in [("Header", &r.header), ("Claims", &r.claims)] {
        if let Some(map) = part {
            println!("\n{what}:");
            for (name, value) in map {
                println!("  {name} = {value}");
            }
        }
    }
    for n in &r.notes {
        println!("\nNote: {n}");
    }
    match &r.failure {
        None => println!("\nACCEPTED"),
        Some(f) => println!("\nREJECTED by `{}`: {}", f.check, f.message),
    }
}
