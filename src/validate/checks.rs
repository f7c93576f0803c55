//! The checks a response goes through, and the report an admin reads.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

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
            CheckId::Decrypt => "EncryptedAssertion decrypts with the SP key (RSA-OAEP + AES)",
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
    pub expected: String,
    pub actual: String,
    /// For a failure: what to change at the IdP or in the connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// For a failure: the machine-readable violation name, e.g. `audience_mismatch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub violation: Option<Cow<'static, str>>,
}

/// Collects results in any order; reports them in [`CheckId::ALL`] order, with every check
/// that was not reached marked `skip`.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    results: Vec<CheckResult>,
    first_failure: Option<Violation>,
}

impl Recorder {
    pub fn pass(&mut self, id: CheckId, expected: impl Into<String>, actual: impl Into<String>) {
        let (expected, actual) = (expected.into(), actual.into());
        if let Some(existing) = self.results.iter_mut().find(|r| r.id == id) {
            // A check made in two places (e.g. signatures on Response and on the decrypted
            // Assertion) reads as one line.
            if existing.status == CheckStatus::Pass {
                existing.actual = format!("{}; {}", existing.actual, actual);
            }
            return;
        }
        self.results.push(CheckResult {
            id,
            title: Cow::Borrowed(id.title()),
            status: CheckStatus::Pass,
            expected,
            actual,
            hint: None,
            violation: None,
        });
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
        });
    }

    pub fn fail(&mut self, v: Violation) {
        let id = v.check();
        let result = CheckResult {
            id,
            title: Cow::Borrowed(id.title()),
            status: CheckStatus::Fail,
            expected: v.expected(),
            actual: v.actual(),
            hint: Some(v.hint()),
            violation: Some(Cow::Borrowed(v.name())),
        };
        match self.results.iter_mut().find(|r| r.id == id) {
            Some(existing) => *existing = result,
            None => self.results.push(result),
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
