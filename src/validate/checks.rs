//! The checks a response goes through, and the report an admin reads.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::judging::{Claimed, Judging};
use super::violation::Violation;
use crate::connection::Protocol;

/// Stable check ids. Scripts and the UI key on these names. A SAML report lists
/// [`CheckId::SAML`] in that order, an OIDC report [`CheckId::OIDC`]; ids both protocols
/// make (`parse`, `signature`...) are one id with a title per protocol ([`CheckId::title_for`]).
/// New ids go at the end: the derived order is the SAML report's order.
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
    // OpenID Connect only.
    Discovery,
    State,
    TokenResponse,
    Nonce,
    /// `at_hash` and `c_hash`: one check, the ID token's binding to what came with it.
    AtHash,
    UserinfoSubject,
}

impl CheckId {
    /// A SAML report's checks, in order.
    pub const SAML: [CheckId; 13] = [
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

    /// An OIDC report's checks, in order: what happened before the token (discovery, the
    /// callback's state, the token endpoint), then the token itself, then userinfo.
    pub const OIDC: [CheckId; 12] = [
        CheckId::Discovery,
        CheckId::State,
        CheckId::TokenResponse,
        CheckId::Parse,
        CheckId::Algorithm,
        CheckId::Signature,
        CheckId::Issuer,
        CheckId::Audience,
        CheckId::TimeWindow,
        CheckId::Nonce,
        CheckId::AtHash,
        CheckId::UserinfoSubject,
    ];

    /// Every id of either protocol (for parsing stored names).
    pub const ALL: [CheckId; 19] = [
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
        CheckId::Discovery,
        CheckId::State,
        CheckId::TokenResponse,
        CheckId::Nonce,
        CheckId::AtHash,
        CheckId::UserinfoSubject,
    ];

    /// The ids a report of `protocol` lists, in order.
    pub fn of(protocol: Protocol) -> &'static [CheckId] {
        match protocol {
            Protocol::Saml => &CheckId::SAML,
            Protocol::Oidc => &CheckId::OIDC,
        }
    }

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
            CheckId::Discovery => "discovery",
            CheckId::State => "state",
            CheckId::TokenResponse => "token_response",
            CheckId::Nonce => "nonce",
            CheckId::AtHash => "at_hash",
            CheckId::UserinfoSubject => "userinfo_subject",
        }
    }

    /// What the check is about in a report of `protocol`.
    pub fn title_for(self, protocol: Protocol) -> &'static str {
        match protocol {
            Protocol::Saml => self.title(),
            Protocol::Oidc => self.oidc_title(),
        }
    }

    /// What the check is about for an ID token, with the claim or parameter it reads.
    pub fn oidc_title(self) -> &'static str {
        match self {
            CheckId::Discovery => "The connection's issuer equals the discovery document's issuer",
            CheckId::State => "The callback's state matches an outstanding login request (and iss, if sent)",
            CheckId::TokenResponse => "The token endpoint answered with an id_token",
            CheckId::Parse => "id_token is a compact JWS: three base64url parts, JSON object header and claims",
            CheckId::Algorithm => "JOSE header alg is in the connection's allowed list (never none)",
            CheckId::Signature => "The JWS signature verifies with a key of the OP's JWKS (selected by kid)",
            CheckId::Issuer => "iss equals the connection's issuer exactly",
            CheckId::Audience => "aud contains the client ID (azp is the client when there are several audiences)",
            CheckId::TimeWindow => "exp > now, nbf <= now, iat not in the future (with clock skew)",
            CheckId::Nonce => "nonce equals the one the login request sent",
            CheckId::AtHash => "at_hash and c_hash match the access token and the code",
            CheckId::UserinfoSubject => "userinfo sub equals the ID token's sub",
            other => other.title(),
        }
    }

    /// What the check is about in a SAML report, with the spec field it reads.
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
            CheckId::Discovery
            | CheckId::State
            | CheckId::TokenResponse
            | CheckId::Nonce
            | CheckId::AtHash
            | CheckId::UserinfoSubject => self.oidc_title(),
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

/// Collects results in any order; reports them in [`CheckId::SAML`] order, with every check
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
        for id in CheckId::SAML {
            self.skip(id, reason.clone());
        }
        self.results.sort_by_key(|r| r.id);
        (self.results, self.first_failure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::DenialCode;

    #[test]
    fn check_ids_and_denial_codes_are_disjoint() {
        // A stored stop (`failed_check`) is parsed as a check id first: a check id spelled
        // like a denial code would silently reinterpret every stored denial.
        for c in CheckId::ALL {
            assert!(DenialCode::parse(c.as_str()).is_none(), "{c} is also a denial code");
        }
    }

    #[test]
    fn all_is_the_union_of_the_protocols_lists_each_once() {
        let mut union: Vec<CheckId> = CheckId::SAML.iter().chain(CheckId::OIDC.iter()).copied().collect();
        union.sort();
        union.dedup();
        let mut all = CheckId::ALL.to_vec();
        all.sort();
        assert_eq!(all, union);
        // The SAML list is in the derived order the Recorder sorts by.
        assert!(CheckId::SAML.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(CheckId::of(Protocol::Saml), &CheckId::SAML);
    }

    #[test]
    fn shared_ids_have_oidc_wording() {
        for id in [
            CheckId::Parse,
            CheckId::Algorithm,
            CheckId::Signature,
            CheckId::Issuer,
            CheckId::Audience,
            CheckId::TimeWindow,
        ] {
            assert_ne!(id.title_for(Protocol::Oidc), id.title_for(Protocol::Saml), "{id}");
        }
        assert_eq!(CheckId::Nonce.title(), CheckId::Nonce.oidc_title());
    }
}
