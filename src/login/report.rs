//! What one login came to: the checks, what stopped it (if anything), the account and its
//! diff, and the mapping trace. The app, the result page and the CLI show this one shape.

use serde::{Deserialize, Serialize};

use super::{Outcome, Stop, StoppedBy};
use crate::directory::{FieldChange, User};
use crate::provision::{MappingFix, Trace};
use crate::store::bounded;
use crate::validate::{Attribute, CheckResult, NameId, Verdict};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ProvisionReport {
    pub outcome: Outcome,
    pub dry_run: bool,
    pub verdict: Verdict,
    /// The check or rule that stopped the login, as one stable name (`audience`,
    /// `missing_attribute`, `replay`).
    pub failed_check: Option<Stop>,
    /// The same, with its violation or denial code, message and hint.
    pub stopped_by: Option<StoppedBy>,
    pub user: Option<User>,
    pub diff: Vec<FieldChange>,
    pub trace: Option<Trace>,
    pub checks: Vec<CheckResult>,
    pub name_id: Option<NameId>,
    pub attributes: Vec<Attribute>,
    /// Which parts a verified signature covered, and whether the assertion was encrypted.
    #[serde(default)]
    pub response_signed: bool,
    #[serde(default)]
    pub assertion_signed: bool,
    #[serde(default)]
    pub encrypted: bool,
    /// For a login denied for a missing attribute: an attribute that arrived and fits the
    /// field, to map it from in one click.
    #[serde(default)]
    pub mapping_fix: Option<MappingFix>,
}

impl ProvisionReport {
    /// The violation or denial code of what stopped the login (`audience_mismatch`, `email_in_use`).
    pub fn reason(&self) -> Option<&str> {
        self.stopped_by.as_ref().map(|s| s.code.as_str())
    }

    /// What stopped the login, in words.
    pub fn message(&self) -> Option<&str> {
        self.stopped_by.as_ref().map(|s| s.message.as_str())
    }

    /// Caps every free-text field before the report is stored and shown: values from an
    /// unauthenticated response (a StatusMessage, a root element name) can be megabytes long.
    pub fn bound_for_storage(&mut self) {
        let bound = |s: &mut String| {
            if let std::borrow::Cow::Owned(b) = bounded(s) {
                *s = b;
            }
        };
        for check in &mut self.checks {
            bound(&mut check.expected);
            bound(&mut check.actual);
            if let Some(h) = check.hint.as_mut() {
                bound(h);
            }
        }
        if let Some(s) = self.stopped_by.as_mut() {
            bound(&mut s.code);
            bound(&mut s.message);
            bound(&mut s.hint);
        }
    }
}
