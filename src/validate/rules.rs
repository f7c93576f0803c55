//! The guards that run once the signature holds: each reads one spec field of the signed
//! content and compares it with the connection. All run, so every problem shows at once.

use chrono::{DateTime, Duration, NaiveDateTime, SecondsFormat, Utc};

use super::Context;
use super::checks::{CheckId, Recorder};
use super::facts::{AssertionFacts, Confirmation, ResponseFacts};
use super::violation::Violation;

const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
pub(super) const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";

type Outcome = Result<(String, String), Violation>;

pub(super) fn run_all(response: &ResponseFacts, assertion: &AssertionFacts, ctx: &Context<'_>, rec: &mut Recorder) {
    let guards: [(CheckId, Outcome); 7] = [
        (CheckId::Status, status(response)),
        (CheckId::Issuer, issuer(response, assertion, ctx)),
        (CheckId::Destination, destination(response, ctx)),
        (CheckId::SubjectConfirmation, subject_confirmation(assertion, ctx)),
        (CheckId::TimeWindow, time_window(assertion, ctx)),
        (CheckId::Audience, audience(assertion, ctx)),
        (CheckId::InResponseTo, in_response_to(response, assertion, ctx)),
    ];
    for (id, outcome) in guards {
        match outcome {
            Ok((expected, actual)) => rec.pass(id, expected, actual),
            Err(v) => rec.fail(v),
        }
    }
}

fn fmt(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// xs:dateTime as SAML sends it: UTC with `Z`, any number of fractional digits
/// (AD FS sends seven). A value without a zone is read as UTC, as the spec intends.
pub(super) fn parse_instant(field: &'static str, value: &str) -> Result<DateTime<Utc>, Violation> {
    let v = value.trim();
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%.f").map(|t| t.and_utc()))
        .map_err(|_| Violation::BadTimestamp { field, value: value.to_owned() })
}

fn skew(ctx: &Context<'_>) -> Duration {
    Duration::seconds(i64::from(ctx.policy.clock_skew_seconds))
}

fn status(r: &ResponseFacts) -> Outcome {
    match r.status_code.as_deref() {
        Some(SUCCESS) => Ok((SUCCESS.into(), SUCCESS.into())),
        other => Err(Violation::StatusNotSuccess {
            code: other.unwrap_or("(no StatusCode)").to_owned(),
            sub_code: r.status_sub_code.clone(),
            message: r.status_message.clone(),
        }),
    }
}

fn issuer(r: &ResponseFacts, a: &AssertionFacts, ctx: &Context<'_>) -> Outcome {
    let expected = ctx.idp_entity_id;
    if let Some(found) = r.issuer.as_deref().filter(|i| *i != expected) {
        return Err(Violation::IssuerMismatch { element: "Response", expected: expected.into(), found: found.into() });
    }
    match a.issuer.as_deref() {
        None => Err(Violation::MissingAssertionIssuer),
        Some(found) if found != expected => {
            Err(Violation::IssuerMismatch { element: "Assertion", expected: expected.into(), found: found.into() })
        }
        Some(found) => Ok((expected.into(), found.into())),
    }
}

fn destination(r: &ResponseFacts, ctx: &Context<'_>) -> Outcome {
    let expected = ctx.sp.acs_url.as_str();
    match r.destination.as_deref() {
        None => Ok((expected.into(), "no Destination (optional when the Response is not signed)".into())),
        Some(found) if found == expected => Ok((expected.into(), found.into())),
        Some(found) => Err(Violation::DestinationMismatch { expected: expected.into(), found: found.into() }),
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
        return Err(Violation::NoBearerConfirmation {
            methods: a.confirmations.iter().map(|c| c.method.clone()).collect(),
        });
    };
    if c.recipient.as_deref() != Some(acs) {
        let found = a.confirmations.iter().filter(|c| c.method == BEARER).filter_map(|c| c.recipient.clone()).collect();
        return Err(Violation::RecipientMismatch { expected: acs.into(), found });
    }
    let Some(noa_text) = c.not_on_or_after.as_deref() else {
        return Err(Violation::ConfirmationWithoutExpiry);
    };
    let noa = parse_instant("SubjectConfirmationData NotOnOrAfter", noa_text)?;
    if ctx.now >= noa + skew(ctx) {
        return Err(Violation::ConfirmationExpired { not_on_or_after: noa_text.into(), now: fmt(ctx.now) });
    }
    if let Some(nb_text) = c.not_before.as_deref() {
        let nb = parse_instant("SubjectConfirmationData NotBefore", nb_text)?;
        if nb > ctx.now + skew(ctx) {
            return Err(Violation::ConfirmationNotYetValid { not_before: nb_text.into(), now: fmt(ctx.now) });
        }
    }
    Ok((
        format!("bearer, Recipient={acs}, NotOnOrAfter after {}", fmt(ctx.now)),
        format!("bearer, Recipient={acs}, NotOnOrAfter={noa_text}"),
    ))
}

fn time_window(a: &AssertionFacts, ctx: &Context<'_>) -> Outcome {
    let now = ctx.now;
    let skew = skew(ctx);
    if let Some(ii) = a.issue_instant.as_deref()
        && parse_instant("Assertion IssueInstant", ii)? > now + skew
    {
        return Err(Violation::IssuedInFuture { issue_instant: ii.into(), now: fmt(now) });
    }
    let conditions = a.conditions.clone().unwrap_or_default();
    let mut shown = Vec::new();
    if let Some(nb_text) = conditions.not_before.as_deref() {
        if parse_instant("Conditions NotBefore", nb_text)? > now + skew {
            return Err(Violation::NotYetValid { not_before: nb_text.into(), now: fmt(now) });
        }
        shown.push(format!("NotBefore={nb_text}"));
    }
    if let Some(noa_text) = conditions.not_on_or_after.as_deref() {
        if now >= parse_instant("Conditions NotOnOrAfter", noa_text)? + skew {
            return Err(Violation::Expired { not_on_or_after: noa_text.into(), now: fmt(now) });
        }
        shown.push(format!("NotOnOrAfter={noa_text}"));
    }
    if shown.is_empty() {
        shown.push("no NotBefore/NotOnOrAfter in Conditions".into());
    }
    Ok((format!("window containing {} (±{}s skew)", fmt(now), ctx.policy.clock_skew_seconds), shown.join(", ")))
}

fn audience(a: &AssertionFacts, ctx: &Context<'_>) -> Outcome {
    let expected = ctx.sp.entity_id.as_str();
    let restrictions = a.conditions.as_ref().map(|c| c.audience_restrictions.as_slice()).unwrap_or_default();
    if restrictions.is_empty() {
        return Err(Violation::NoAudienceRestriction);
    }
    // Every AudienceRestriction must be met; within one, any Audience may match. Exact string.
    if let Some(failing) = restrictions.iter().find(|r| !r.iter().any(|aud| aud == expected)) {
        return Err(Violation::AudienceMismatch { expected: expected.into(), found: failing.clone() });
    }
    Ok((expected.into(), restrictions.iter().flatten().cloned().collect::<Vec<_>>().join(", ")))
}

fn in_response_to(r: &ResponseFacts, a: &AssertionFacts, ctx: &Context<'_>) -> Outcome {
    let scd = chosen_confirmation(a, ctx).and_then(|c| c.in_response_to.clone());
    match ctx.in_response_to {
        Some(expected) => {
            if r.in_response_to.as_deref() != Some(expected) {
                return Err(Violation::InResponseToMismatch {
                    element: "Response",
                    expected: expected.into(),
                    found: r.in_response_to.clone(),
                });
            }
            if scd.as_deref() != Some(expected) {
                return Err(Violation::InResponseToMismatch {
                    element: "SubjectConfirmationData",
                    expected: expected.into(),
                    found: scd,
                });
            }
            Ok((expected.into(), expected.into()))
        }
        None => {
            if let Some(found) = r.in_response_to.clone().or(scd) {
                if ctx.expired_request == Some(found.as_str()) {
                    return Err(Violation::RequestExpired { id: found });
                }
                return Err(Violation::UnexpectedInResponseTo { found });
            }
            if !ctx.policy.allow_idp_initiated {
                return Err(Violation::UnsolicitedRefused);
            }
            Ok(("unsolicited allowed by the connection".into(), "unsolicited (IdP-initiated)".into()))
        }
    }
}
