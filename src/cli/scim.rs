//! `scim enable|disable|rotate-token|log|report|policy`: a connection's SCIM endpoint.
//! The bearer token is printed by `enable` and `rotate-token` only, once: it lives in the
//! secret store and no other command (nor `--json` of any other) shows it.
//!
//! JSON shapes: `enable` and `rotate-token` print the status (`ScimStatus`) with `token`
//! added; `disable` the status; `log` an array of request summaries (newest first);
//! `report` the three reports; `policy` the connection's lifecycle.

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use handshake::Error;
use handshake::provision::{Lifecycle, LifecyclePolicy, MatchRule, Owner};
use handshake::scim::{Method, ScimRequestSummary};
use handshake::workbench::Workbench;
use handshake::workbench::scim_admin::{ScimEnabled, ScimStatus};
use handshake::workbench::scim_report::{ReportUser, ScimReport};

use super::args::{ScimCommand, ScimPolicyArgs};
use super::json::{emit, to_json};

pub fn scim(wb: &Workbench, cmd: ScimCommand, now: DateTime<Utc>) -> Result<ExitCode, Error> {
    match cmd {
        ScimCommand::Enable { connection, policy, json } => {
            let policy = policy.as_deref().map(parse_policy).transpose()?;
            print_enabled(&wb.scim_enable(&connection, policy, now)?, json, "enabled")?;
        }
        ScimCommand::RotateToken { connection, json } => {
            print_enabled(&wb.scim_rotate_token(&connection, now)?, json, "has a new token")?;
        }
        ScimCommand::Disable { connection, json } => {
            emit(json, &wb.scim_disable(&connection, now)?, |s| {
                println!("SCIM endpoint of {} disabled: every request now gets 401.", s.connection);
                println!("  its {} users and {} groups stay in the directory", s.users, s.groups);
            })?;
        }
        ScimCommand::Log { connection, limit, json } => {
            emit(json, &wb.scim_log(&connection, limit)?, |rows| print_log(&connection, rows))?;
        }
        ScimCommand::Report { connection, json } => emit(json, &wb.scim_report(&connection)?, print_report)?,
        ScimCommand::Policy(args) => policy(wb, args, now)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_policy(s: &str) -> Result<LifecyclePolicy, Error> {
    LifecyclePolicy::parse(s)
        .ok_or_else(|| Error::invalid(format!("unknown lifecycle policy {s:?}: jit, scim or hybrid")))
}

/// The status as JSON with the token beside it; or the endpoint and the token for a person.
fn print_enabled(e: &ScimEnabled, json: bool, what: &str) -> Result<(), Error> {
    if json {
        let mut value = serde_json::to_value(&e.status)
            .map_err(|err| Error::new(handshake::ErrorCode::Internal, format!("JSON output failed: {err}")))?;
        if let Some(object) = value.as_object_mut() {
            object.insert("token".into(), e.token.expose().clone().into());
        }
        println!("{}", to_json(&value)?);
        return Ok(());
    }
    println!("SCIM endpoint of {} {what}.", e.status.connection);
    println!("  SCIM base URL:  {}/", e.status.endpoint);
    println!("  bearer token:   {}", e.token.expose());
    println!("  lifecycle:      {}", e.status.lifecycle.policy.as_str());
    println!(
        "The token is shown this once; it is kept in the secret store. `handshake scim rotate-token --connection {}` \
         makes a new one.",
        e.status.connection
    );
    Ok(())
}

pub fn print_status(s: &ScimStatus) {
    if !s.enabled {
        println!("SCIM: off (`handshake scim enable --connection {}`)", s.connection);
        return;
    }
    println!("SCIM: on, {}/ (token generation {})", s.endpoint, s.token_generation);
    println!("  lifecycle: {}; {} users, {} groups", s.lifecycle.policy.as_str(), s.users, s.groups);
}

fn print_log(connection: &str, rows: &[ScimRequestSummary]) {
    if rows.is_empty() {
        println!("No SCIM requests for {connection} yet.");
        return;
    }
    for r in rows {
        let scim_type = r.scim_type.map(|t| format!(" {}", t.as_str())).unwrap_or_default();
        println!(
            "#{} {} {} {} -> {}{scim_type} ({} ms)",
            r.id,
            r.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            method_name(r.method),
            r.path,
            r.status,
            r.duration_ms
        );
        for change in &r.change {
            println!("    {change}");
        }
        for d in &r.diff {
            println!("    {}: {} -> {}", d.field, d.before, d.after);
        }
        for note in &r.notes {
            println!("    note: {note}");
        }
    }
}

/// The HTTP method as a request line names it.
pub fn method_name(m: Method) -> &'static str {
    match m {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Patch => "PATCH",
        Method::Delete => "DELETE",
    }
}

fn user_line(u: &ReportUser) -> String {
    let name = u.display_name.as_deref().or(u.email.as_deref()).unwrap_or("-");
    format!("#{} {name} (subject {})", u.user_id, u.subject.as_deref().unwrap_or("-"))
}

fn print_report(r: &ScimReport) {
    println!("JIT accounts SCIM does not know (nothing will de-provision them): {}", r.jit_unknown_to_scim.len());
    for u in &r.jit_unknown_to_scim {
        println!("  {}", user_line(u));
    }
    println!("SCIM users who never signed in: {}", r.scim_never_signed_in.len());
    for u in &r.scim_never_signed_in {
        println!("  {}", user_line(u));
    }
    println!("Login claims that disagree with SCIM: {}", r.claims_disagree.len());
    for d in &r.claims_disagree {
        println!(
            "  {} {}: SCIM {} / login {} (owner {})",
            user_line(&d.user),
            d.field,
            d.scim,
            d.login,
            owner_name(d.owner)
        );
    }
}

fn owner_name(o: Owner) -> &'static str {
    match o {
        Owner::Scim => "scim",
        Owner::Login => "login",
        Owner::LastWriter => "last_writer",
    }
}

fn parse_owner(s: &str) -> Option<Option<Owner>> {
    Some(match s {
        "scim" => Some(Owner::Scim),
        "login" => Some(Owner::Login),
        "last_writer" => Some(Owner::LastWriter),
        "default" => None,
        _ => return None,
    })
}

/// `scim policy`: the flags given change the lifecycle; none given shows it.
fn policy(wb: &Workbench, args: ScimPolicyArgs, now: DateTime<Utc>) -> Result<(), Error> {
    let mut lifecycle = wb.mapping(&args.connection)?.provisioning.lifecycle;
    let changes = args.policy.is_some()
        || args.jit_requires_scim.is_some()
        || args.match_rule.is_some()
        || !args.owner.is_empty();
    if let Some(p) = args.policy.as_deref() {
        lifecycle.policy = parse_policy(p)?;
    }
    if let Some(j) = args.jit_requires_scim {
        lifecycle.jit_requires_scim = j;
    }
    if let Some(m) = args.match_rule.as_deref() {
        lifecycle.match_rule = if m == "external_id" { MatchRule::ExternalId } else { MatchRule::UserName };
    }
    for pair in &args.owner {
        let Some((field, owner)) = pair.split_once('=') else {
            return Err(Error::invalid(format!("--owner {pair:?} is not FIELD=OWNER (e.g. groups=scim)")));
        };
        let owner = parse_owner(owner).ok_or_else(|| {
            Error::invalid(format!("unknown owner {owner:?} for {field}: scim, login, last_writer or default"))
        })?;
        match owner {
            Some(o) => lifecycle.owners.insert(field.to_owned(), o),
            None => lifecycle.owners.remove(field),
        };
    }
    if changes {
        lifecycle = wb.set_lifecycle(&args.connection, lifecycle, now)?;
    }
    emit(args.json, &lifecycle, |l| print_lifecycle(&args.connection, l))
}

fn print_lifecycle(connection: &str, l: &Lifecycle) {
    println!("Lifecycle of {connection}: {}", l.policy.as_str());
    println!("  JIT requires SCIM: {}", l.jit_requires_scim);
    let rule = match l.match_rule {
        MatchRule::ExternalId => "externalId",
        MatchRule::UserName => "userName",
    };
    println!("  SCIM subject:      {rule} (compared exactly with the login subject)");
    if l.owners.is_empty() {
        println!("  field owners:      the policy's defaults");
    }
    for (field, owner) in &l.owners {
        println!("  owner of {field}: {}", owner_name(*owner));
    }
}
