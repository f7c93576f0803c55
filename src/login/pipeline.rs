//! What a judged login leads to, written in the caller's write transaction: the audit row of
//! a rejection, or the provisioning of a verified login (its replay key, the account, the
//! audit row). Protocol-neutral: it reads only the [`Judgement`].

use chrono::{DateTime, Utc};

use super::{Judgement, Outcome, ProvisionReport};
use crate::connection::Connection;
use crate::directory::AuditEntry;
use crate::error::Result;
use crate::provision;
use crate::store::{self, WriteTx};

pub fn record(
    tx: &WriteTx<'_>,
    connection: &Connection,
    judgement: &Judgement,
    at: DateTime<Utc>,
    dry_run: bool,
) -> Result<ProvisionReport> {
    let mut report = ProvisionReport {
        outcome: Outcome::Rejected,
        dry_run,
        verdict: judgement.verdict,
        failed_check: judgement.failure.as_ref().map(|f| f.stop),
        stopped_by: judgement.failure.clone(),
        user: None,
        diff: Vec::new(),
        trace: None,
        checks: judgement.checks.clone(),
        name_id: judgement.claims.name_id.clone(),
        attributes: judgement.claims.attributes.clone(),
        response_signed: judgement.response_signed,
        assertion_signed: judgement.assertion_signed,
        encrypted: judgement.encrypted,
        mapping_fix: None,
    };
    let Some(login) = &judgement.login else {
        let entry = AuditEntry {
            id: 0,
            at,
            connection: connection.name.clone(),
            subject: judgement.claims.name_id.as_ref().map(|n| n.value.clone()),
            outcome: Some(Outcome::Rejected),
            failed_check: report.failed_check,
            message: report.stopped_by.as_ref().map(|s| format!("{} ({})", s.message, s.hint)),
            user_id: None,
            diff: Vec::new(),
            ..AuditEntry::login()
        };
        if judgement.authenticated {
            store::audit::insert_audit(tx, &entry, Some(connection.id))?;
        } else {
            store::audit::insert_unauthenticated_audit(tx, &entry, Some(connection.id))?;
        }
        crate::fault::point("after_audit_row");
        return Ok(report);
    };
    let mapping = store::mappings::get_mapping(tx, connection.id)?.unwrap_or_default();
    let mut result = provision::provision_in(
        tx,
        &provision::Login {
            connection,
            mapping: &mapping,
            claims: &login.claims,
            replay: login.replay.clone(),
            now: at,
            dry_run,
        },
    )?;
    result.trace.notes.splice(0..0, judgement.notes.iter().cloned());
    report.outcome = result.outcome;
    report.failed_check = result.stopped_by.as_ref().map(|s| s.stop);
    report.stopped_by = result.stopped_by;
    report.user = result.user;
    report.diff = result.diff;
    report.trace = Some(result.trace);
    report.mapping_fix = result.mapping_fix;
    Ok(report)
}
