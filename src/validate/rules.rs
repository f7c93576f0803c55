//! The guards that run once the signature holds: each reads one spec field of the signed
//! content and compares it with the connection. All run, so every problem shows at once.

use chrono::{DateTime, Duration, SecondsFormat, Utc};

use super::Context;
use super::checks::{CheckId, Recorder};
use super::facts::{AssertionFacts, Confirmation, ResponseFacts};
use super::judging::CaptureSp;
use super::violation::Violation;

use crate::saml::{CM_BEARER as BEARER, STATUS_SUCCESS as SUCCESS};

/// A guard's verdict: (expected, found) when it holds, else every problem it found (at
/// least one, each a violation of the guard's own check).
type Outcome = Result<(String, String), Vec<Violation>>;

/// How many failing AudienceRestrictions the audience check lists.
const MAX_LISTED_RESTRICTIONS: usize = 8;

/// What the signature checks let through, and whether the Response itself was signed (its
/// Status and Destination are then signed content too).
pub(super) struct Judged<'a> {
    pub response: &'a ResponseFacts,
    pub response_signed: bool,
    pub assertion: &'a AssertionFacts,
}

pub(super) fn run_all(j: &Judged<'_>, ctx: &Context<'_>, rec: &mut Recorder) {
    let (r, a) = (j.response, j.assertion);
    let guards: [(CheckId, Outcome); 7] = [
        (CheckId::Status, status(r, j.response_signed)),
        (CheckId::Issuer, issuer(r, a, ctx)),
        (CheckId::Destination, destination(r, j.response_signed, ctx)),
        (CheckId::SubjectConfirmation, subject_confirmation(a, ctx)),
        (CheckId::TimeWindow, time_window(a, ctx)),
        (CheckId::Audience, audience(a, ctx)),
        (CheckId::InResponseTo, in_response_to(r, a, ctx)),
    ];
    for (id, outcome) in guards {
        match outcome {
            Ok((expected, actual)) => rec.pass(id, expected, actual),
            Err(problems) => {
                for v in problems {
                    debug_assert_eq!(v.check(), id, "a guard reports only its own check");
                    rec.fail(v);
                }
            }
        }
    }
}

/// Every problem found, or the guard's (expected, found) when there is none.
fn verdict(problems: Vec<Violation>, ok: impl FnOnce() -> (String, String)) -> Outcome {
    if problems.is_empty() { Ok(ok()) } else { Err(problems) }
}

fn fmt(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A SAML timestamp (xs:dateTime, see [`crate::xs_datetime`]); `bad` names the violation
/// for the check that reads it.
fn instant(
    field: &'static str,
    value: &str,
    bad: fn(&'static str, String, String) -> Violation,
) -> Result<DateTime<Utc>, Violation> {
    crate::xs_datetime::parse(value).map_err(|why| bad(field, value.to_owned(), why.to_string()))
}

fn bad_time(field: &'static str, value: String, reason: String) -> Violation {
    Violation::BadTimestamp { field, value, reason }
}

fn bad_confirmation_time(field: &'static str, value: String, reason: String) -> Violation {
    Violation::BadConfirmationTimestamp { field, value, reason }
}

/// `t + d`, saturating at the largest representable instant (an IdP can send a year 262142).
fn plus(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The connection's clock skew, never more than the largest allowed: the replay cache keeps
/// consumed IDs exactly that long past their NotOnOrAfter (crate::store::replay).
fn skew(ctx: &Context<'_>) -> Duration {
    Duration::seconds(i64::from(ctx.policy.clock_skew_seconds.min(crate::connection::MAX_CLOCK_SKEW_SECONDS)))
}

#[derive(Clone, Copy)]
enum SpValue {
    EntityId,
    AcsUrl,
}

/// Where an SP value came from, when a capture is judged as the SP it was addressed to: the
/// check still runs, and says what it compared with.
fn source(ctx: &Context<'_>, value: SpValue) -> &'static str {
    let Some(CaptureSp::Addressed { entity_id_from_response, acs_url_from_response }) =
        ctx.judging.capture.map(|c| c.sp)
    else {
        return "";
    };
    match (value, entity_id_from_response, acs_url_from_response) {
        (SpValue::EntityId, true, _) => " (the SP entityID taken from the response, as you asked)",
        (SpValue::EntityId, false, _) => " (the SP entityID you gave)",
        (SpValue::AcsUrl, _, true) => " (the ACS URL taken from the response, as you asked)",
        (SpValue::AcsUrl, _, false) => " (the ACS URL you gave)",
    }
}

fn status(r: &ResponseFacts, response_signed: bool) -> Outcome {
    match r.status_code.as_deref() {
        Some(SUCCESS) => Ok((SUCCESS.into(), SUCCESS.into())),
        other => Err(vec![Violation::StatusNotSuccess {
            code: other.unwrap_or("(no StatusCode)").to_owned(),
            sub_code: r.status_sub_code.clone(),
            message: r.status_message.clone(),
            authenticated: response_signed,
        }]),
    }
}

fn issuer(r: &ResponseFacts, a: &AssertionFacts, ctx: &Context<'_>) -> Outcome {
    let expected = ctx.idp_entity_id;
    let mut problems = Vec::new();
    if let Some(found) = r.issuer.as_deref().filter(|i| *i != expected) {
        problems.push(Violation::IssuerMismatch {
            element: "Response",
            expected: expected.into(),
            found: found.into(),
        });
    }
    match a.issuer.as_deref() {
        None => problems.push(Violation::MissingAssertionIssuer),
        Some(found) if found != expected => problems.push(Violation::IssuerMismatch {
            element: "Assertion",
            expected: expected.into(),
            found: found.into(),
        }),
        Some(_) => {}
    }
    verdict(problems, || (expected.into(), expected.into()))
}

/// SAML bindings 3.5.5.2: a signed Response must carry Destination, and it must be where it
/// was posted. An unsigned one may omit it (its assertion's Recipient is checked anyway).
fn destination(r: &ResponseFacts, response_signed: bool, ctx: &Context<'_>) -> Outcome {
    let expected = ctx.sp.acs_url.as_str();
    match r.destination.as_deref() {
        None if !response_signed => {
            Ok((expected.into(), "no Destination (optional when the Response is not signed)".into()))
        }
        None if ctx.policy.allow_missing_destination => Ok((
            expected.into(),
            "no Destination on the signed Response (allowed by the connection's security policy)".into(),
        )),
        None => Err(vec![Violation::MissingDestination { expected: expected.into() }]),
        Some(found) if found == expected => Ok((format!("{expected}{}", source(ctx, SpValue::AcsUrl)), found.into())),
        Some(found) => Err(vec![Violation::DestinationMismatch { expected: expected.into(), found: found.into() }]),
    }
}

/// The bearer confirmation addressed to our ACS, or failing that the first bearer one.
fn chosen_confirmation<'a>(a: &'a AssertionFacts, ctx: &Context<'_>) -> Option<&'a Confirmation> {
    let mut bearer = a.confirmations.iter().filter(|c| c.method == BEARER);
    let first = bearer.clone().next();
    bearer.find(|c| c.recipient.as_deref() == Some(ctx.sp.acs_url.as_str())).or(first)
}

fn subject_confirmation(a: &AssertionFacts, ctx: &Context<'_>) -> Outcome {
    let acs = ctx.sp.acs_url.as_str();
    let Some(c) = chosen_confirmation(a, ctx) else {
        return Err(vec![Violation::NoBearerConfirmation {
            methods: a.confirmations.iter().map(|c| c.method.clone()).collect(),
        }]);
    };
    let mut problems = Vec::new();
    if c.recipient.as_deref() != Some(acs) {
        let found = a.confirmations.iter().filter(|c| c.method == BEARER).filter_map(|c| c.recipient.clone()).collect();
        problems.push(Violation::RecipientMismatch { expected: acs.into(), found });
    }
    match c.not_on_or_after.as_deref() {
        None => problems.push(Violation::ConfirmationWithoutExpiry),
        Some(text) => match instant("SubjectConfirmationData NotOnOrAfter", text, bad_confirmation_time) {
            Err(v) => problems.push(v),
            Ok(noa) if ctx.now >= plus(noa, skew(ctx)) => {
                problems.push(Violation::ConfirmationExpired { not_on_or_after: text.into(), now: fmt(ctx.now) })
            }
            Ok(_) => {}
        },
    }
    if let Some(text) = c.not_before.as_deref() {
        match instant("SubjectConfirmationData NotBefore", text, bad_confirmation_time) {
            Err(v) => problems.push(v),
            Ok(nb) if nb > plus(ctx.now, skew(ctx)) => {
                problems.push(Violation::ConfirmationNotYetValid { not_before: text.into(), now: fmt(ctx.now) })
            }
            Ok(_) => {}
        }
    }
    verdict(problems, || {
        (
            format!("bearer, Recipient={acs}{}, NotOnOrAfter after {}", source(ctx, SpValue::AcsUrl), fmt(ctx.now)),
            format!("bearer, Recipient={acs}, NotOnOrAfter={}", c.not_on_or_after.as_deref().unwrap_or_default()),
        )
    })
}

fn time_window(a: &AssertionFacts, ctx: &Context<'_>) -> Outcome {
    let now = ctx.now;
    let skew = skew(ctx);
    let mut problems = Vec::new();
    if let Some(ii) = a.issue_instant.as_deref() {
        match instant("Assertion IssueInstant", ii, bad_time) {
            Err(v) => problems.push(v),
            Ok(t) if t > plus(now, skew) => {
                problems.push(Violation::IssuedInFuture { issue_instant: ii.into(), now: fmt(now) })
            }
            Ok(_) => {}
        }
    }
    let conditions = a.conditions.clone().unwrap_or_default();
    let mut shown = Vec::new();
    if let Some(nb_text) = conditions.not_before.as_deref() {
        match instant("Conditions NotBefore", nb_text, bad_time) {
            Err(v) => problems.push(v),
            Ok(nb) if nb > plus(now, skew) => {
                problems.push(Violation::NotYetValid { not_before: nb_text.into(), now: fmt(now) })
            }
            Ok(_) => shown.push(format!("NotBefore={nb_text}")),
        }
    }
    if let Some(noa_text) = conditions.not_on_or_after.as_deref() {
        match instant("Conditions NotOnOrAfter", noa_text, bad_time) {
            Err(v) => problems.push(v),
            Ok(noa) if now >= plus(noa, skew) => {
                problems.push(Violation::Expired { not_on_or_after: noa_text.into(), now: fmt(now) })
            }
            Ok(_) => shown.push(format!("NotOnOrAfter={noa_text}")),
        }
    }
    if shown.is_empty() {
        shown.push("no NotBefore/NotOnOrAfter in Conditions".into());
    }
    verdict(problems, || {
        (format!("window containing {} (±{}s skew)", fmt(now), ctx.policy.clock_skew_seconds), shown.join(", "))
    })
}

fn audience(a: &AssertionFacts, ctx: &Context<'_>) -> Outcome {
    let expected = ctx.sp.entity_id.as_str();
    let restrictions = a.conditions.as_ref().map(|c| c.audience_restrictions.as_slice()).unwrap_or_default();
    if restrictions.is_empty() {
        return Err(vec![Violation::NoAudienceRestriction]);
    }
    // Every AudienceRestriction must be met; within one, any Audience may match. Exact string.
    // Each failing one is a problem (the first few: a real assertion has one or two).
    let problems = restrictions
        .iter()
        .filter(|r| !r.iter().any(|aud| aud == expected))
        .take(MAX_LISTED_RESTRICTIONS)
        .map(|failing| Violation::AudienceMismatch { expected: expected.into(), found: failing.clone() })
        .collect();
    verdict(problems, || {
        (
            format!("{expected}{}", source(ctx, SpValue::EntityId)),
            restrictions.iter().flatten().cloned().collect::<Vec<_>>().join(", "),
        )
    })
}

fn in_response_to(r: &ResponseFacts, a: &AssertionFacts, ctx: &Context<'_>) -> Outcome {
    let scd = chosen_confirmation(a, ctx).and_then(|c| c.in_response_to.clone());
    match ctx.in_response_to {
        Some(expected) => {
            let mut problems = Vec::new();
            if r.in_response_to.as_deref() != Some(expected) {
                problems.push(Violation::InResponseToMismatch {
                    element: "Response",
                    expected: expected.into(),
                    found: r.in_response_to.clone(),
                });
            }
            if scd.as_deref() != Some(expected) {
                problems.push(Violation::InResponseToMismatch {
                    element: "SubjectConfirmationData",
                    expected: expected.into(),
                    found: scd,
                });
            }
            verdict(problems, || (expected.into(), expected.into()))
        }
        None => {
            if let Some(found) = r.in_response_to.clone().or(scd) {
                if ctx.expired_request == Some(found.as_str()) {
                    return Err(vec![Violation::RequestExpired { id: found }]);
                }
                return Err(vec![Violation::UnexpectedInResponseTo { found }]);
            }
            if !ctx.policy.allow_idp_initiated {
                return Err(vec![Violation::UnsolicitedRefused]);
            }
            Ok(("unsolicited allowed by the connection".into(), "unsolicited (IdP-initiated)".into()))
        }
    }
}
