//! Human-readable output: reports, connections, mappings, users.

use chrono::{DateTime, Utc};
use handshake::connection::{SecurityPolicy, SignatureRequirement};
use handshake::provision::{MappingDocument, User};
use handshake::validate::{CheckResult, CheckStatus, Report};
use handshake::workbench::{ConnectionView, ProvisionReport};

pub fn print_report(r: &Report, at: DateTime<Utc>) {
    println!("Judged at {}", at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    print_checks(&r.checks);
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

pub fn print_checks(checks: &[CheckResult]) {
    for c in checks {
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
}

pub fn print_provision(r: &ProvisionReport) {
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

pub fn print_user(u: &User) {
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

pub fn print_mapping(connection: &str, doc: &MappingDocument) {
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

pub fn print_connection(c: &ConnectionView, now: DateTime<Utc>) {
    if let Some(o) = &c.oidc {
        return super::oidc_connection::print_oidc_connection(c, o);
    }
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

pub fn cert_summary(c: &ConnectionView, now: DateTime<Utc>) -> String {
    c.signing_certificates
        .iter()
        .map(|cert| {
            let state = if cert.is_expired(now) { "EXPIRED" } else { "expires" };
            format!("{state} {}", cert.not_after.format("%Y-%m-%d"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn print_policy(p: &SecurityPolicy) {
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
