//! The checks a response goes through, and the report an admin reads.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::judging::{Claimed, Judging};
use super::violation::Violation;

/// Stable check ids, in the order they are reported. Scripts and the UI key on these names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum CheckId {
    Parse,
    Doctype,
    SingleAssertion,
    Decrypt,
    Algorithm,
    Signature,
    Status,
    Issuer,
    Destination,
    SubjectConfirmation,
    TimeWindow,
    Audience,
    InResponseTo,
}

impl CheckId {
    pub const ALL: [CheckId; 13] = [
        CheckId::Parse,
        CheckId::Doctype,
        CheckId::SingleAssertion,
        CheckId::Decrypt,
        CheckId::Algorithm,
        CheckId::Signature,
        CheckId::Status,
        CheckId::Issuer,
        CheckId::Destination,
        CheckId::SubjectConfirmation,
        CheckId::TimeWindow,
        CheckId::Audience,
        CheckId::InResponseTo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::Parse => "parse",
            CheckId::Doctype => "doctype",
            CheckId::SingleAssertion => "single_assertion",
            CheckId::Decrypt => "decrypt",
            CheckId::Algorithm => "algorithm",
            CheckId::Signature => "signature",
            CheckId::Status => "status",
            CheckId::Issuer => "issuer",
            CheckId::Destination => "destination",
            CheckId::SubjectConfirmation => "subject_confirmation",
            CheckId::TimeWindow => "time_window",
            CheckId::Audience => "audience",
            CheckId::InResponseTo => "in_response_to",
        }
    }

    /// What the check is about, with the spec field it reads.
    pub fn title(self) -> &'static str {
        match self {
            CheckId::Parse => "SAMLResponse is base64 of a well-formed samlp:Response",
            CheckId::Doctype => "No DOCTYPE (no entity expansion, no external fetches)",
            CheckId::SingleAssertion => "Exactly one Assertion or EncryptedAssertion, a direct child of the Response",
            CheckId::Decrypt => "EncryptedAssertion and EncryptedID decrypt with the SP key (RSA-OAEP + AES)",
            CheckId::Algorithm => "ds:SignatureMethod and ds:DigestMethod are allowed algorithms",
            CheckId::Signature => {
                "ds:Signature over the Assertion or its Response verifies with an IdP metadata certificate"
            }
            CheckId::Status => "samlp:Status/StatusCode is Success",
            CheckId::Issuer => "Issuer of Response and Assertion equals the IdP entityID",
            CheckId::Destination => "Response Destination equals the ACS URL",
            CheckId::SubjectConfirmation => "A bearer SubjectConfirmation with Recipient = ACS URL, not expired",
            CheckId::TimeWindow => "Conditions NotBefore <= now < NotOnOrAfter (with clock skew)",
            CheckId::Audience => "AudienceRestriction names the SP entityID exactly",
            CheckId::InResponseTo => "InResponseTo matches the outstanding AuthnRequest (or unsolicited is allowed)",
        }
    }
}

impl std::fmt::Display for CheckId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum CheckStatus {
    Pass,
    Fail,
    Skip,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct CheckResult {
    pub id: CheckId,
    pub title: Cow<'static, str>,
    pub status: CheckStatus,
    /// For a failure with several problems: every problem's expectation, joined with "; ".
    pub expected: String,
    /// For a failure with several problems: everything found, joined with "; ".
    pub actual: String,
    /// For a failure: what to change at the IdP or in the connection (every problem's fix).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// For a failure: the machine-readable name of its first violation, e.g. `audience_mismatch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub violation: Option<Cow<'static, str>>,
    /// For a failure: every problem the check found, in the order found.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
}

/// One way a check failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct Problem {
    pub violation: Cow<'static, str>,
    pub expected: String,
    pub actual: String,
    pub hint: String,
}

impl Problem {
    /// The problem as `judging` words its fix.
    pub(crate) fn of(v: &Violation, judging: &Judging<'_>) -> Self {
        Problem {
            violation: Cow::Borrowed(v.name()),
            expected: v.expected(),
            actual: v.actual(),
            hint: v.hint_in(judging),
        }
    }
}

impl From<&Violation> for Problem {
    fn from(v: &Violation) -> Self {
        Problem::of(v, &Judging::default())
    }
}

/// `parts` joined with "; ", each distinct text once (two problems may expect the same value).
fn joined<'a>(parts: impl Iterator<Item = &'a str>, separator: &str) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for p in parts {
        if !seen.contains(&p) {
            seen.push(p);
        }
    }
    seen.join(separator)
}

impl CheckResult {
    fn failed(id: CheckId, problems: Vec<Problem>) -> Self {
        CheckResult {
            id,
            title: Cow::Borrowed(id.title()),
            status: CheckStatus::Fail,
            expected: joined(problems.iter().map(|p| p.expected.as_str()), "; "),
            actual: joined(problems.iter().map(|p| p.actual.as_str()), "; "),
            hint: Some(joined(problems.iter().map(|p| p.hint.as_str()), " ")),
            violation: problems.first().map(|p| p.violation.clone()),
            problems,
        }
    }
}

/// Collects results in any order; reports them in [`CheckId::ALL`] order, with every check
/// that was not reached marked `skip`.
#[derive(Debug, Default)]
pub(crate) struct Recorder<'a> {
    results: Vec<CheckResult>,
    first_failure: Option<Violation>,
    /// Who judges: words the hints, and knows the catalog's other IdPs.
    judging: Judging<'a>,
    /// This connection's IdP entityID, and what the response claims about its signer.
    own_entity_id: &'a str,
    claimed: Claimed,
}

impl<'a> Recorder<'a> {
    pub fn new(judging: Judging<'a>, own_entity_id: &'a str) -> Self {
        Recorder { judging, own_entity_id, ..Recorder::default() }
    }

    /// What the response claims about its signer, once it parsed (unverified).
    pub(super) fn claimed(&mut self, claimed: Claimed) {
        self.claimed = claimed;
    }

    /// The hint words of the judge, for the report's first failure.
    pub fn judging(&self) -> &Judging<'a> {
        &self.judging
    }

    pub fn pass(&mut self, id: CheckId, expected: impl Into<String>, actual: impl Into<String>) {
        let (expected, actual) = (expected.into(), actual.into());
        let result = CheckResult {
            id,
            title: Cow::Borrowed(id.title()),
            status: CheckStatus::Pass,
            expected,
            actual,
            hint: None,
            violation: None,
            problems: Vec::new(),
        };
        match self.results.iter_mut().find(|r| r.id == id) {
            // A check made in two places (e.g. signatures on Response and on the decrypted
            // Assertion, or an EncryptedAssertion and then an EncryptedID) reads as one line.
            Some(existing) if existing.status == CheckStatus::Pass => {
                existing.actual = format!("{}; {}", existing.actual, result.actual);
            }
            Some(existing) if existing.status == CheckStatus::Skip => *existing = result,
            Some(_) => {}
            None => self.results.push(result),
        }
    }

    pub fn skip(&mut self, id: CheckId, why: impl Into<String>) {
        if self.results.iter().any(|r| r.id == id) {
            return;
        }
        self.results.push(CheckResult {
            id,
            title: Cow::Borrowed(id.title()),
            status: CheckStatus::Skip,
            expected: String::new(),
            actual: why.into(),
            hint: None,
            violation: None,
            problems: Vec::new(),
        });
    }

    /// Records a problem of `v.check()`. A check that already failed lists it too: the row
    /// carries every problem found, the report's first failure stays the first recorded.
    pub fn fail(&mut self, v: Violation) {
        // A failure another connection's IdP causes says so, instead of a fix for this one.
        let v = match self.judging.other_idp(&v, &self.claimed, self.own_entity_id) {
            Some((connection, matched)) => Violation::OtherConnectionIdp { connection, matched, reason: Box::new(v) },
            None => v,
        };
        let id = v.check();
        let problem = Problem::of(&v, &self.judging);
        match self.results.iter_mut().find(|r| r.id == id) {
            Some(existing) if existing.status == CheckStatus::Fail => {
                let mut problems = std::mem::take(&mut existing.problems);
                problems.push(problem);
                *existing = CheckResult::failed(id, problems);
            }
            Some(existing) => *existing = CheckResult::failed(id, vec![problem]),
            None => self.results.push(CheckResult::failed(id, vec![problem])),
        }
        if self.first_failure.is_none() {
            self.first_failure = Some(v);
        }
    }

    pub fn finish(mut self) -> (Vec<CheckResult>, Option<Violation>) {
        let reason = match &self.first_failure {
            Some(v) => format!("not reached: check `{}` failed first", v.check()),
            None => "not reached".to_owned(),
        };
        for id in CheckId::ALL {
            self.skip(id, reason.clone());
        }
        self.results.sort_by_key(|r| r.id);
        (self.results, self.first_failure)
    }
}
