//! `verify` of a captured response: the app's offline analysis with flags. `--as-addressed`
//! judges it as the SP it was addressed to, `--at response` at its own IssueInstant; the
//! result names the judging context, and provisioning is a dry run.

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use handshake::Error;
use handshake::workbench::{AnalyzeResult, JudgeAs, JudgeAt, JudgingContext, Workbench};

use super::args::VerifyArgs;
use super::input::{AT_RESPONSE, parse_instant, read_response};
use super::json::to_json;
use super::print::{print_checks, print_provision};

/// The flags ask for a capture's judgement.
pub fn asked(args: &VerifyArgs) -> bool {
    args.capture || args.as_addressed || args.response.at.as_deref() == Some(AT_RESPONSE)
}

fn context(args: &VerifyArgs) -> Result<JudgingContext, Error> {
    let judge_at = match args.response.at.as_deref() {
        None => JudgeAt::Now,
        Some(AT_RESPONSE) => JudgeAt::Response,
        Some(t) => JudgeAt::Instant { at: parse_instant(t)? },
    };
    let judge_as = if args.as_addressed {
        JudgeAs::Addressed { entity_id: args.sp_entity_id.clone(), acs_url: args.acs_url.clone() }
    } else {
        JudgeAs::Connection
    };
    Ok(JudgingContext { judge_as, judge_at })
}

pub fn verify(wb: &Workbench, args: &VerifyArgs, now: DateTime<Utc>) -> Result<ExitCode, Error> {
    if args.response.in_response_to.is_some() {
        return Err(Error::invalid(
            "a capture is judged with its own InResponseTo accepted as outstanding: leave out --in-response-to",
        ));
    }
    let context = context(args)?;
    let mut response = args.response.clone();
    response.at = None; // the judging context carries the instant
    let r = read_response(&response, now)?;
    let result = wb.analyze_response(&r.connection, &r.text, &context, now).map_err(super::hints::capture)?;
    if args.json {
        println!("{}", to_json(&capture_json(&result))?);
    } else {
        print_capture(&result);
    }
    Ok(if result.report.verdict == handshake::validate::Verdict::Accepted {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The `verify --json` contract's keys, plus the judging context and the dry run's outcome.
fn capture_json(r: &AnalyzeResult) -> serde_json::Value {
    let mut attributes = serde_json::Map::new();
    for a in &r.report.attributes {
        let entry = attributes.entry(a.name.clone()).or_insert_with(|| serde_json::Value::Array(Vec::new()));
        if let serde_json::Value::Array(values) = entry {
            values.extend(a.values.iter().cloned().map(serde_json::Value::String));
        }
    }
    serde_json::json!({
        "verdict": r.report.verdict,
        "checks": r.report.checks,
        "name_id": r.report.name_id.as_ref().map(|n| n.value.clone()),
        "attributes": attributes,
        "encrypted": r.report.encrypted,
        "response_signed": r.report.response_signed,
        "assertion_signed": r.report.assertion_signed,
        "judged": r.judged,
        "in_response_to": r.in_response_to,
        "outcome": r.report.outcome,
        "stopped_by": r.report.stopped_by,
    })
}

fn print_capture(r: &AnalyzeResult) {
    for note in &r.judged.notes {
        println!("{note}");
    }
    println!();
    print_checks(&r.report.checks);
    println!();
    print_provision(&r.report);
}
