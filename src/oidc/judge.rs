//! The ID-token judge: every check of [`CheckId::OIDC`], each reported with what it expected
//! and what it found, as a flat sequence of guard clauses naming the claim they read.
//!
//! Every check runs that can: a bad signature does not hide a wrong audience (the report
//! shows both, and the first failure in check order is the one the login stops on). Only
//! what cannot be evaluated is skipped, saying why: nothing after `parse` without a parsed
//! token, no signature with a refused algorithm, no state or exchange offline.

use std::borrow::Cow;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

use super::jose::{self, Parsed, VerifyKey};
use super::jwks::{HEADER_KEY_MEMBERS, Jwks};
use super::violation::Violation;
use super::{Alg, Context, Exchange, Report, StateMatch};
use crate::sensitive::Sensitive;
use crate::validate::{CheckId, CheckResult, CheckStatus, Failure, Problem, Verdict};

pub fn judge(token: &str, ctx: &Context<'_>) -> Report {
    let mut rows = Rows::default();
    discovery(&mut rows, ctx);
    state(&mut rows, ctx);
    token_response(&mut rows, ctx);
    let mut report = Report {
        verdict: Verdict::Rejected,
        checks: Vec::new(),
        failure: None,
        header: None,
        claims: None,
        signature_verified: false,
        kid: None,
        nonce: None,
        jti: None,
        code_id: ctx.code.and_then(|code| code_id(code.expose())),
        expires_at: None,
        notes: Vec::new(),
    };
    // Nothing came to judge because the login stopped before a token (state, token endpoint).
    let stopped_before_token = token.trim().is_empty() && rows.first.is_some();
    if stopped_before_token {
        let failed = rows.first.as_ref().map(|v| v.check().as_str()).unwrap_or_default();
        rows.skip_token_checks(&format!("not reached: no ID token (check `{failed}` failed first)"));
    } else {
        match jose::parse_compact(token).and_then(|p| subject(&p).map(|_| ()).map(|()| p)) {
            Err(v) => {
                rows.fail(v);
                rows.skip_token_checks("not reached: the token did not parse");
            }
            Ok(parsed) => {
                judge_token(&mut rows, ctx, &parsed, &mut report);
                report.header = Some(parsed.header);
                report.claims = Some(parsed.claims);
            }
        }
    }
    let (checks, first, notes) = rows.finish();
    report.verdict = if first.is_none() { Verdict::Accepted } else { Verdict::Rejected };
    report.failure = first.as_ref().map(Failure::from);
    report.checks = checks;
    report.notes.extend(notes);
    report
}

fn judge_token(rows: &mut Rows, ctx: &Context<'_>, parsed: &Parsed, report: &mut Report) {
    let sub = subject(parsed).ok().unwrap_or_default();
    rows.pass(CheckId::Parse, "a compact JWS with a JSON header and claims", format!("sub \"{sub}\""));
    let claims = &parsed.claims;
    report.kid = parsed.header_str("kid").map(str::to_owned);
    report.nonce = claims.get("nonce").and_then(Value::as_str).map(str::to_owned);
    report.jti = claims.get("jti").and_then(Value::as_str).map(str::to_owned);
    report.expires_at = time_claim(claims, "exp").ok().flatten();
    for member in HEADER_KEY_MEMBERS.iter().filter(|m| parsed.header.contains_key(**m)) {
        rows.notes.push(format!(
            "The token header carries `{member}` (a key, or where to fetch one); it was ignored: \
             keys come only from the OP's JWKS."
        ));
    }

    let alg = algorithm(rows, ctx, parsed);
    report.signature_verified = signature(rows, ctx, parsed, alg);
    issuer(rows, ctx, claims);
    audience(rows, ctx, claims);
    time_window(rows, ctx, claims);
    nonce(rows, ctx, claims);
    hashes(rows, ctx, claims, alg);
    userinfo_subject(rows, ctx, sub);
}

// ---- before the token ----

fn discovery(rows: &mut Rows, ctx: &Context<'_>) {
    let configured = &ctx.settings.issuer;
    let Some(doc) = &ctx.settings.discovery_json else {
        return rows.skip(CheckId::Discovery, "endpoints were entered by hand: no discovery document");
    };
    let discovered = match serde_json::from_str::<Value>(doc) {
        Ok(Value::Object(doc)) => match doc.get("issuer") {
            Some(Value::String(issuer)) => issuer.clone(),
            _ => return rows.fail(Violation::DiscoveryUnreadable { detail: "no \"issuer\" string".into() }),
        },
        Ok(_) => return rows.fail(Violation::DiscoveryUnreadable { detail: "not a JSON object".into() }),
        Err(e) => return rows.fail(Violation::DiscoveryUnreadable { detail: e.to_string() }),
    };
    if discovered.contains('{') {
        return rows.fail(Violation::DiscoveryIssuerTemplate { discovered });
    }
    if &discovered != configured {
        return rows.fail(Violation::DiscoveryIssuerMismatch { configured: configured.clone(), discovered });
    }
    rows.pass(CheckId::Discovery, format!("issuer \"{configured}\""), format!("\"{discovered}\""));
}

fn state(rows: &mut Rows, ctx: &Context<'_>) {
    let issuer = &ctx.settings.issuer;
    let Some(state) = ctx.state else {
        return rows.skip(CheckId::State, "no callback: the token was given directly");
    };
    match state {
        StateMatch::Matched { iss: Some(iss) } if iss != issuer => {
            rows.fail(Violation::CallbackIssuerMismatch { expected: issuer.clone(), found: iss.clone() })
        }
        // RFC 9207 §2.4: an OP that says it sends `iss` must send it; a callback without it
        // may come from another OP (mix-up).
        StateMatch::Matched { iss: None } if ctx.settings.iss_parameter_supported() => {
            rows.fail(Violation::CallbackIssuerMissing { expected: issuer.clone() })
        }
        StateMatch::Matched { iss } => rows.pass(
            CheckId::State,
            "a state of an outstanding login request",
            match iss {
                Some(iss) => format!("matched; iss \"{iss}\""),
                None => "matched (the OP sent no iss parameter)".into(),
            },
        ),
        StateMatch::Missing => rows.fail(Violation::StateMissing),
        StateMatch::Unknown => rows.fail(Violation::StateUnknown),
        StateMatch::Expired { expired_at } => rows.fail(Violation::StateExpired { expired_at: *expired_at }),
        StateMatch::AlreadyAnswered => rows.fail(Violation::StateAlreadyAnswered),
        StateMatch::OpError { error, error_description } => {
            rows.fail(Violation::AuthorizationError { error: error.clone(), description: error_description.clone() })
        }
    }
}

fn token_response(rows: &mut Rows, ctx: &Context<'_>) {
    let Some(exchange) = ctx.exchange else {
        return rows.skip(CheckId::TokenResponse, "no token endpoint call: the token was given directly");
    };
    match exchange {
        Exchange::OpError { status, error, error_description, .. } => rows.fail(Violation::OpError {
            status: *status,
            error: error.clone(),
            description: error_description.clone(),
        }),
        Exchange::Failed { status, detail } => {
            rows.fail(Violation::TokenHttp { status: *status, detail: detail.clone() })
        }
        Exchange::Tokens { id_token: None, .. } => rows.fail(Violation::NoIdToken),
        Exchange::Tokens { token_type, .. }
            if !token_type.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("Bearer")) =>
        {
            rows.fail(Violation::TokenTypeNotBearer { found: token_type.clone() })
        }
        Exchange::Tokens { scope, .. } => rows.pass(
            CheckId::TokenResponse,
            "an id_token and a Bearer access token",
            match scope {
                Some(scope) => format!("id_token, Bearer token, scope \"{scope}\""),
                None => "id_token, Bearer token".into(),
            },
        ),
    }
}

// ---- the token ----

fn subject(parsed: &Parsed) -> Result<&str, Violation> {
    match str_claim(&parsed.claims, "sub")? {
        Some(sub) if !sub.is_empty() => Ok(sub),
        _ => Err(Violation::MissingSubject),
    }
}

fn algorithm(rows: &mut Rows, ctx: &Context<'_>, parsed: &Parsed) -> Option<Alg> {
    let allowed = &ctx.settings.allowed_algs;
    let name = match parsed.header.get("alg") {
        None => return rows.fail_none(Violation::MissingAlg),
        Some(Value::String(name)) => name,
        Some(other) => {
            return rows.fail_none(Violation::BadClaim { claim: "alg", expected: "a string", found: json_type(other) });
        }
    };
    if name.eq_ignore_ascii_case("none") {
        return rows.fail_none(Violation::AlgNone);
    }
    let Some(alg) = Alg::parse(name) else {
        return rows.fail_none(Violation::UnsupportedAlg { alg: name.clone() });
    };
    if !allowed.contains(&alg) {
        let allowed = allowed.iter().map(|a| a.as_str().to_owned()).collect();
        return rows.fail_none(Violation::AlgNotAllowed { alg: name.clone(), allowed });
    }
    if alg.is_hmac() && ctx.client_secret.is_none_or(|s| s.expose().is_empty()) {
        return rows.fail_none(Violation::HmacWithoutSecret { alg: name.clone() });
    }
    let list: Vec<&str> = allowed.iter().map(|a| a.as_str()).collect();
    rows.pass(CheckId::Algorithm, format!("one of {}", list.join(", ")), alg.as_str());
    Some(alg)
}

fn signature(rows: &mut Rows, ctx: &Context<'_>, parsed: &Parsed, alg: Option<Alg>) -> bool {
    let Some(alg) = alg else {
        rows.skip(CheckId::Signature, "not verified: the algorithm was refused");
        return false;
    };
    let input = parsed.signing_input.as_bytes();
    if alg.is_hmac() {
        let secret = ctx.client_secret.map(|s| s.expose().as_bytes().to_vec()).unwrap_or_default();
        let key = VerifyKey::Secret(Sensitive::new(secret));
        return match jose::verify(alg, input, &parsed.signature, &key) {
            Ok(true) => {
                rows.pass(CheckId::Signature, "an HMAC by the client secret", format!("{} verified", alg.as_str()));
                true
            }
            Ok(false) => rows.fail_false(Violation::SignatureInvalid { alg: alg.as_str().into(), kid: None }),
            Err(v) => rows.fail_false(v),
        };
    }
    let Some(json) = ctx.jwks_json else { return rows.fail_false(Violation::NoJwks) };
    let jwks = match Jwks::parse(json) {
        Ok(jwks) => jwks,
        Err(v) => return rows.fail_false(v),
    };
    let kid = parsed.header_str("kid");
    let offline = ctx.exchange.is_none();
    let selected = match jwks.select(kid, alg, ctx.jwks_refetched, offline) {
        Ok(selected) => selected,
        Err(v) => return rows.fail_false(v),
    };
    let key = VerifyKey::Public(selected.pkey);
    match jose::verify(alg, input, &parsed.signature, &key) {
        Ok(true) => {
            let refetched = if ctx.jwks_refetched { "; the JWKS was fetched again for this kid" } else { "" };
            let by = selected.kid.map(|k| format!("key \"{k}\"")).unwrap_or_else(|| "the JWKS's only such key".into());
            rows.pass(
                CheckId::Signature,
                "a signature by a key of the OP's JWKS",
                format!("{} verified with {by}{refetched}", alg.as_str()),
            );
            true
        }
        Ok(false) => rows.fail_false(Violation::SignatureInvalid { alg: alg.as_str().into(), kid: selected.kid }),
        Err(v) => rows.fail_false(v),
    }
}

fn issuer(rows: &mut Rows, ctx: &Context<'_>, claims: &Map<String, Value>) {
    let expected = &ctx.settings.issuer;
    match str_claim(claims, "iss") {
        Err(v) => rows.fail(v),
        Ok(None) => rows.fail(Violation::MissingIssuer),
        Ok(Some(iss)) if iss != expected => {
            rows.fail(Violation::IssuerMismatch { expected: expected.clone(), found: iss.to_owned() })
        }
        Ok(Some(iss)) => rows.pass(CheckId::Issuer, format!("\"{expected}\""), format!("\"{iss}\"")),
    }
}

fn audience(rows: &mut Rows, ctx: &Context<'_>, claims: &Map<String, Value>) {
    let client_id = &ctx.settings.client_id;
    let audiences: Vec<String> = match claims.get("aud") {
        None | Some(Value::Null) => return rows.fail(Violation::MissingAudience),
        Some(Value::String(aud)) => vec![aud.clone()],
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            items.iter().filter_map(Value::as_str).map(str::to_owned).collect()
        }
        Some(other) => {
            return rows.fail(Violation::BadClaim {
                claim: "aud",
                expected: "a string or an array of strings",
                found: json_type(other),
            });
        }
    };
    if audiences.is_empty() {
        return rows.fail(Violation::MissingAudience);
    }
    if !audiences.contains(client_id) {
        return rows.fail(Violation::AudienceMismatch { expected: client_id.clone(), found: audiences });
    }
    let azp = match str_claim(claims, "azp") {
        Ok(azp) => azp,
        Err(v) => return rows.fail(v),
    };
    let mut problems = Vec::new();
    match azp {
        None if audiences.len() > 1 => problems.push(Violation::AzpMissing { audiences: audiences.clone() }),
        Some(azp) if azp != client_id => {
            problems.push(Violation::AzpMismatch { expected: client_id.clone(), found: azp.to_owned() })
        }
        _ => {}
    }
    let trusted = &ctx.settings.trusted_audiences;
    let untrusted: Vec<String> =
        audiences.iter().filter(|a| *a != client_id && !trusted.contains(a)).cloned().collect();
    if !untrusted.is_empty() {
        problems.push(Violation::UntrustedAudience { untrusted });
    }
    if problems.is_empty() {
        let azp = azp.map(|a| format!(", azp \"{a}\"")).unwrap_or_default();
        let found = audiences.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(", ");
        rows.pass(CheckId::Audience, format!("aud containing \"{client_id}\""), format!("aud {found}{azp}"));
    }
    for v in problems {
        rows.fail(v);
    }
}

fn time_window(rows: &mut Rows, ctx: &Context<'_>, claims: &Map<String, Value>) {
    let now = ctx.now;
    let skew = Duration::seconds(i64::from(ctx.clock_skew_seconds));
    let show = |t: DateTime<Utc>| t.to_rfc3339();
    let (exp, nbf, iat) = match (time_claim(claims, "exp"), time_claim(claims, "nbf"), time_claim(claims, "iat")) {
        (Ok(exp), Ok(nbf), Ok(iat)) => (exp, nbf, iat),
        (exp, nbf, iat) => {
            for v in [exp.err(), nbf.err(), iat.err()].into_iter().flatten() {
                rows.fail(v);
            }
            return;
        }
    };
    // The skew is applied to `now`, never to a claim: a claim at the end of chrono's range
    // would overflow.
    let late = now.checked_sub_signed(skew).unwrap_or(DateTime::<Utc>::MIN_UTC);
    let early = now.checked_add_signed(skew).unwrap_or(DateTime::<Utc>::MAX_UTC);
    let mut problems = Vec::new();
    match exp {
        None => problems.push(Violation::MissingExp),
        Some(exp) if late >= exp => problems.push(Violation::Expired { exp: show(exp), now: show(now) }),
        Some(_) => {}
    }
    if let Some(nbf) = nbf
        && early < nbf
    {
        problems.push(Violation::NotYetValid { nbf: show(nbf), now: show(now) });
    }
    match iat {
        None => problems.push(Violation::MissingIat),
        Some(iat) if iat > early => problems.push(Violation::IssuedInFuture { iat: show(iat), now: show(now) }),
        Some(_) => {}
    }
    if problems.is_empty() {
        let mut found = Vec::new();
        found.extend(iat.map(|t| format!("iat {}", show(t))));
        found.extend(nbf.map(|t| format!("nbf {}", show(t))));
        found.extend(exp.map(|t| format!("exp {}", show(t))));
        found.push(format!("now {}", show(now)));
        rows.pass(
            CheckId::TimeWindow,
            format!("nbf <= now < exp, iat <= now ({} s clock skew)", ctx.clock_skew_seconds),
            found.join(", "),
        );
    }
    for v in problems {
        rows.fail(v);
    }
}

fn nonce(rows: &mut Rows, ctx: &Context<'_>, claims: &Map<String, Value>) {
    let found = match str_claim(claims, "nonce") {
        Ok(found) => found,
        Err(v) => return rows.fail(v),
    };
    let Some(expected) = ctx.expected_nonce else {
        return rows.skip(
            CheckId::Nonce,
            match found {
                Some(_) => "no login request to compare the token's nonce with (give the nonce to check it)",
                None => "no login request, and the token has no nonce",
            },
        );
    };
    match found {
        None => rows.fail(Violation::NonceMissing { expected: expected.into() }),
        Some(found) if found != expected => {
            rows.fail(Violation::NonceMismatch { expected: expected.into(), found: found.into() })
        }
        Some(found) => rows.pass(CheckId::Nonce, format!("\"{expected}\""), format!("\"{found}\"")),
    }
}

/// `at_hash` and `c_hash`: one check, each compared when the token has it and the value it
/// hashes is known.
fn hashes(rows: &mut Rows, ctx: &Context<'_>, claims: &Map<String, Value>, alg: Option<Alg>) {
    let access_token = match ctx.exchange {
        Some(Exchange::Tokens { access_token, .. }) => access_token.as_ref(),
        _ => None,
    };
    let pairs = [("at_hash", access_token, "the access token"), ("c_hash", ctx.code, "the code")];
    let mut passed = Vec::new();
    let mut unchecked = Vec::new();
    for (claim, value, what) in pairs {
        let found = match str_claim(claims, claim) {
            Ok(Some(found)) => found,
            Ok(None) => continue,
            Err(v) => {
                rows.fail(v);
                continue;
            }
        };
        let (Some(value), Some(alg)) = (value, alg) else {
            unchecked.push(format!("{claim} sent, but {what} is not known here"));
            continue;
        };
        let expected = jose::half_hash(alg, value.expose()).unwrap_or_default();
        if found == expected {
            passed.push(format!("{claim} matches {what}"));
        } else if claim == "at_hash" {
            rows.fail(Violation::AtHashMismatch { expected, found: found.into() });
        } else {
            rows.fail(Violation::CHashMismatch { expected, found: found.into() });
        }
    }
    if !passed.is_empty() {
        passed.extend(unchecked);
        rows.pass(CheckId::AtHash, "at_hash/c_hash equal to the hash of the access token/code", passed.join("; "));
    } else if !unchecked.is_empty() {
        rows.skip(CheckId::AtHash, unchecked.join("; "));
    } else {
        rows.skip(CheckId::AtHash, "the token has neither at_hash nor c_hash (optional in the code flow)");
    }
}

fn userinfo_subject(rows: &mut Rows, ctx: &Context<'_>, sub: &str) {
    let Some(userinfo) = ctx.userinfo else {
        return rows.skip(CheckId::UserinfoSubject, "userinfo was not called");
    };
    match userinfo.get("sub").and_then(Value::as_str) {
        None => rows.fail(Violation::UserinfoSubjectMissing { expected: sub.into() }),
        Some(found) if found != sub => {
            rows.fail(Violation::UserinfoSubjectMismatch { expected: sub.into(), found: found.into() })
        }
        Some(found) => rows.pass(CheckId::UserinfoSubject, format!("\"{sub}\""), format!("\"{found}\"")),
    }
}

/// The replay-cache ID of an authorization code: base64url(SHA-256(code)).
pub fn code_id(code: &str) -> Option<String> {
    let digest = openssl::hash::hash(openssl::hash::MessageDigest::sha256(), code.as_bytes()).ok()?;
    Some(crate::idp::jws::b64(&digest))
}

// ---- claims ----

fn json_type(v: &Value) -> String {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
    .into()
}

/// A string claim; absent and `null` are `None`, another type a violation.
fn str_claim<'a>(claims: &'a Map<String, Value>, claim: &'static str) -> Result<Option<&'a str>, Violation> {
    match claims.get(claim) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(Violation::BadClaim { claim, expected: "a string", found: json_type(other) }),
    }
}

/// A NumericDate claim (RFC 7519 §2: seconds since the epoch, fractions allowed).
fn time_claim(claims: &Map<String, Value>, claim: &'static str) -> Result<Option<DateTime<Utc>>, Violation> {
    let bad = |found: String| Violation::BadClaim { claim, expected: "a NumericDate (seconds since 1970)", found };
    match claims.get(claim) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            let seconds = match n.as_i64() {
                Some(s) => Some(s),
                None => n.as_f64().filter(|f| f.abs() < 1e15).map(|f| f.floor() as i64),
            };
            seconds.and_then(|s| DateTime::from_timestamp(s, 0)).map(Some).ok_or_else(|| bad(n.to_string()))
        }
        Some(other) => Err(bad(json_type(other))),
    }
}

// ---- the rows ----

#[derive(Default)]
struct Rows {
    results: Vec<CheckResult>,
    first: Option<Violation>,
    notes: Vec<String>,
}

impl Rows {
    fn row(id: CheckId, status: CheckStatus, expected: String, actual: String) -> CheckResult {
        CheckResult {
            id,
            title: Cow::Borrowed(id.oidc_title()),
            status,
            expected,
            actual,
            hint: None,
            violation: None,
            problems: Vec::new(),
        }
    }

    fn pass(&mut self, id: CheckId, expected: impl Into<String>, actual: impl Into<String>) {
        if !self.results.iter().any(|r| r.id == id) {
            self.results.push(Rows::row(id, CheckStatus::Pass, expected.into(), actual.into()));
        }
    }

    fn skip(&mut self, id: CheckId, why: impl Into<String>) {
        if !self.results.iter().any(|r| r.id == id) {
            self.results.push(Rows::row(id, CheckStatus::Skip, String::new(), why.into()));
        }
    }

    /// Records a problem of `v.check()`; a check that already failed lists it too.
    fn fail(&mut self, v: Violation) {
        let id = v.check();
        let problem = Problem::from(&v);
        self.results.retain(|r| r.id != id || r.status == CheckStatus::Fail);
        match self.results.iter_mut().find(|r| r.id == id) {
            Some(row) => row.problems.push(problem),
            None => {
                let mut row = Rows::row(id, CheckStatus::Fail, String::new(), String::new());
                row.problems.push(problem);
                self.results.push(row);
            }
        }
        if self.first.as_ref().is_none_or(|first| position(id) < position(first.check())) {
            self.first = Some(v);
        }
    }

    /// Skips every check after `token_response` not already reported.
    fn skip_token_checks(&mut self, why: &str) {
        for id in CheckId::OIDC.into_iter().skip_while(|id| *id != CheckId::Parse) {
            self.skip(id, why);
        }
    }

    fn fail_none<T>(&mut self, v: Violation) -> Option<T> {
        self.fail(v);
        None
    }

    fn fail_false(&mut self, v: Violation) -> bool {
        self.fail(v);
        false
    }

    fn finish(mut self) -> (Vec<CheckResult>, Option<Violation>, Vec<String>) {
        let reason = match &self.first {
            Some(v) => format!("not reached: check `{}` failed first", v.check()),
            None => "not reached".to_owned(),
        };
        for id in CheckId::OIDC {
            self.skip(id, reason.clone());
        }
        for row in self.results.iter_mut().filter(|r| r.status == CheckStatus::Fail) {
            row.expected = joined(row.problems.iter().map(|p| p.expected.as_str()), "; ");
            row.actual = joined(row.problems.iter().map(|p| p.actual.as_str()), "; ");
            row.hint = Some(joined(row.problems.iter().map(|p| p.hint.as_str()), " "));
            row.violation = row.problems.first().map(|p| p.violation.clone());
        }
        self.results.sort_by_key(|r| position(r.id));
        (self.results, self.first, self.notes)
    }
}

fn position(id: CheckId) -> usize {
    CheckId::OIDC.iter().position(|c| *c == id).unwrap_or(usize::MAX)
}

fn joined<'a>(parts: impl Iterator<Item = &'a str>, separator: &str) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for p in parts {
        if !seen.contains(&p) {
            seen.push(p);
        }
    }
    seen.join(separator)
}

#[cfg(test)]
#[path = "judge_tests.rs"]
mod tests;
