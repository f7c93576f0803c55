//! A login's verdict told in sentences: what happened, why, and what an admin would change.
//! Defined once, here, so a scenario's row, the story and the full test-login result show the
//! same words, and an intended outcome ("Denied by the missing_attribute rule") uses the same
//! terms as the outcome it is compared with.

use serde::Serialize;

use super::{Outcome, ProvisionReport, Stop};

/// What happened (one sentence), why (the check's or rule's message) and what to change (its hint).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct Summary {
    pub happened: String,
    pub why: Option<String>,
    pub change: Option<String>,
}

/// The verdict's term: "Signed in", "Rejected at the audience check" (a validation check
/// failed) or "Denied by the missing_attribute rule" (a provisioning rule refused the user).
pub fn term(signed_in: bool, stop: Option<Stop>) -> String {
    match (signed_in, stop) {
        (true, _) => "Signed in".into(),
        (false, Some(Stop::Check(c))) => format!("Rejected at the {c} check"),
        (false, Some(Stop::Denial(d))) => format!("Denied by the {} rule", d.as_str()),
        (false, None) => "Not signed in".into(),
    }
}

/// `s` as a sentence: a capital first letter and a final stop.
fn sentence(s: &str) -> String {
    let s = s.trim();
    let mut chars = s.chars();
    let mut out: String = chars.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.is_empty() && !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

impl Summary {
    pub fn of(report: &ProvisionReport) -> Self {
        let what = match report.outcome {
            Outcome::Created => "a new user was created (just-in-time provisioning)",
            Outcome::Updated => "the user's record was updated from the IdP's claims",
            Outcome::Unchanged => "the user already existed and nothing changed",
            Outcome::Linked => "the login was linked to an existing account by email",
            Outcome::Denied => "the response is valid, but provisioning refused the user",
            Outcome::Rejected => "the response was not accepted",
        };
        let happened = format!("{}: {what}.", term(report.outcome.signed_in(), report.failed_check));
        let stopped = report.stopped_by.as_ref();
        Summary {
            happened,
            why: stopped.map(|s| sentence(&s.message)).filter(|s| !s.is_empty()),
            change: stopped.map(|s| sentence(&s.hint)).filter(|s| !s.is_empty()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::{DenialCode, StoppedBy};
    use crate::validate::CheckId;

    fn report(outcome: Outcome, stopped_by: Option<StoppedBy>) -> ProvisionReport {
        let json = serde_json::json!({
            "outcome": outcome, "dry_run": false, "verdict": "rejected", "failed_check": stopped_by.as_ref().map(|s| s.stop),
            "stopped_by": stopped_by, "user": null, "diff": [], "trace": null, "checks": [], "name_id": null,
            "attributes": [],
        });
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_denial_and_a_rejection_read_in_their_own_terms() {
        let denied = report(
            Outcome::Denied,
            Some(StoppedBy {
                stop: Stop::Denial(DenialCode::MissingAttribute),
                code: "missing_attribute".into(),
                message: "required field email is empty".into(),
                hint: "Map email from an attribute that did arrive.".into(),
            }),
        );
        let s = Summary::of(&denied);
        assert_eq!(
            s.happened,
            "Denied by the missing_attribute rule: the response is valid, but provisioning refused the user."
        );
        assert_eq!(s.why.as_deref(), Some("Required field email is empty."));
        assert_eq!(s.change.as_deref(), Some("Map email from an attribute that did arrive."));

        let rejected = report(
            Outcome::Rejected,
            Some(StoppedBy {
                stop: Stop::Check(CheckId::Audience),
                code: "audience_mismatch".into(),
                message: "the Audience is another SP".into(),
                hint: "fix the IdP app's Audience".into(),
            }),
        );
        let s = Summary::of(&rejected);
        assert!(s.happened.starts_with("Rejected at the audience check: "), "{}", s.happened);
        assert_eq!(s.change.as_deref(), Some("Fix the IdP app's Audience."));

        let created = Summary::of(&report(Outcome::Created, None));
        assert!(created.happened.starts_with("Signed in: a new user"), "{}", created.happened);
        assert_eq!((created.why, created.change), (None, None));
    }
}
