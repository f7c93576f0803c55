//! The demo connection as a SCIM endpoint the demo IdP pushes to: SCIM turned on with the
//! hybrid policy when the demo is created (the token goes to the secret store, where only the
//! demo client reads it), the SCIM scenarios and the hybrid story steps prepared (the person
//! back at her first day, the plan of SCIM requests and sign-ins), and their results judged:
//! the verdict of the deciding sign-in plus each scenario's checks of the directory, the audit
//! rows, the SCIM document and the report.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::Workbench;
use super::audit::{self, AdminChange};
use super::demo::{DemoCheck, ScenarioRequest, ScenarioResult};
use super::demo_story::story_checks;
use crate::demo::scenarios_scim::{self, ROLLBACK_FROM, ROLLBACK_TO};
use crate::demo::scim_client;
use crate::demo::scim_run::{RunLog, ScimPlan, last_read};
use crate::demo::{DEMO_CONNECTION, DemoVerdict, Persona, PreparedScenario, ScenarioId, demo_lifecycle};
use crate::directory::{AdminAction, AuditEntry, AuditKind, AuditQuery, UserStatus};
use crate::error::{Error, ErrorCode, Result};
use crate::login::{DenialCode, Outcome, Stop, Summary};
use crate::provision::{LifecyclePolicy, Owner};
use crate::secrets;
use crate::sensitive::Sensitive;
use crate::store;

impl Workbench {
    /// SCIM on at the demo connection, hybrid, with a token in this secret store: enabled the
    /// first time (a catalog from before SCIM, or a new demo), the token rotated when this
    /// secret store lacks it (another `--secret-store`).
    pub(super) fn ensure_demo_scim(&self, now: DateTime<Utc>) -> Result<()> {
        let status = self.scim_status(DEMO_CONNECTION)?;
        if !status.enabled {
            self.scim_enable(DEMO_CONNECTION, Some(LifecyclePolicy::Hybrid), now)?;
            self.set_demo_lifecycle(LifecyclePolicy::Hybrid, now)?;
        } else if self.secrets().get(&secrets::scim_token(DEMO_CONNECTION))?.is_none() {
            self.scim_rotate_token(DEMO_CONNECTION, now)?;
        }
        Ok(())
    }

    /// The demo connection's SCIM token, for the demo IdP's client only (never serialized).
    pub(super) fn demo_scim_token(&self) -> Result<Sensitive<String>> {
        let bytes = self.secrets().get(&secrets::scim_token(DEMO_CONNECTION))?.ok_or_else(|| {
            Error::new(ErrorCode::NotFound, "the demo connection's SCIM token is not in the secret store")
        })?;
        let token = String::from_utf8(bytes.expose().clone())
            .map_err(|_| Error::new(ErrorCode::Internal, "the demo connection's SCIM token is not text"))?;
        Ok(Sensitive::new(token))
    }

    /// The demo connection's lifecycle policy (its mapping's), with the style's match rule.
    pub(super) fn set_demo_lifecycle(&self, policy: LifecyclePolicy, now: DateTime<Utc>) -> Result<()> {
        let style = self.demo_identity(now)?.style;
        let mut doc = self.mapping(DEMO_CONNECTION)?;
        let want = demo_lifecycle(style, policy);
        let have = &doc.provisioning.lifecycle;
        if have.policy != want.policy || have.match_rule != want.match_rule {
            doc.provisioning.lifecycle.policy = want.policy;
            doc.provisioning.lifecycle.match_rule = want.match_rule;
            self.set_mapping(DEMO_CONNECTION, &doc, now)?;
        }
        Ok(())
    }

    /// The person back at her first day at the demo connection: her account and the demo
    /// connection's SCIM rows (resources, tombstones, groups, log) removed, with one audit row
    /// (demo data).
    pub(super) fn restart_person(&self, p: &Persona, why: &str, now: DateTime<Utc>) -> Result<()> {
        let tx = self.store().write()?;
        let c = store::connections::get(&tx, DEMO_CONNECTION)?;
        let mut removed = 0u32;
        for u in store::users::list_users(&tx, Some(DEMO_CONNECTION), Some(&p.email))? {
            if u.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(&p.email))
                && store::users::delete_user(&tx, u.id)?
            {
                removed += 1;
            }
        }
        // The demo IdP's SCIM client starts over too: groups would otherwise keep members
        // whose resources are gone.
        store::demo::clear_scim(&tx, c.id)?;
        let change = AdminChange {
            action: AdminAction::DemoReset,
            connection: Some((c.name.clone(), c.id)),
            user: None,
            message: format!("{why}: {} starts from her first day", p.email),
            diff: vec![audit::change("users_removed", Value::Null, removed)],
        };
        self.record_admin(&tx, change, now)?;
        tx.commit()
    }

    /// A SCIM scenario made ready: the demo connection hybrid with SCIM on, the person from
    /// her first day, the plan of SCIM requests and sign-ins.
    pub(super) fn prepare_scim_scenario(
        &self,
        request: &ScenarioRequest,
        now: DateTime<Utc>,
    ) -> Result<PreparedScenario> {
        let setup = self.create_demo(None, now)?;
        self.set_demo_lifecycle(LifecyclePolicy::Hybrid, now)?;
        let persona = self.scenario_persona(request.persona.as_deref())?;
        self.restart_person(&persona, request.scenario.name(), now)?;
        let id = request.scenario;
        let plan = ScimPlan {
            token: self.demo_scim_token()?,
            dialect: scenarios_scim::dialect(id, setup.idp.style.scim_dialect()),
            acts: scenarios_scim::acts(id).to_vec(),
            person: persona.clone(),
            story_step: None,
        };
        Ok(PreparedScenario {
            scenario: id,
            connection: DEMO_CONNECTION.into(),
            persona: persona.email,
            skew_minutes: crate::demo::scenarios::DEFAULT_SKEW_MINUTES,
            expected: id.expected(setup.idp.style, crate::demo::scenarios::DEFAULT_SKEW_MINUTES),
            after_test_login: store::logins::last_test_login_id(self.store())?,
            scim: Some(plan),
            after_audit: store::demo::last_audit_id(self.store())?,
            counts_before: store::demo::row_counts(self.store())?,
        })
    }

    /// An admin deletes `email`'s account at `connection` (the `scim-jit-conflict` step).
    pub fn demo_delete_account(&self, connection: &str, email: &str, now: DateTime<Utc>) -> Result<()> {
        let account = store::users::list_users(self.store(), Some(connection), Some(email))?
            .into_iter()
            .find(|u| u.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(email)))
            .ok_or_else(|| Error::not_found(format!("{connection} has no account for {email}")))?;
        self.delete_user(account.id, now)
    }

    /// The result of a SCIM run: its last sign-in's (if any), its SCIM exchanges, its checks.
    pub(super) fn scim_run_result(&self, prepared: &PreparedScenario, log: &RunLog) -> Result<ScenarioResult> {
        let all_ok = log.scim.iter().all(|x| x.ok);
        let mut result = match log.test_logins.last() {
            Some(last) => self.scenario_result(prepared, *last)?,
            None => self.scim_only_result(prepared, log)?,
        };
        let checks = self.scim_checks(prepared, log)?;
        result.as_expected = result.as_expected && all_ok && checks.iter().all(|c| c.ok);
        result.scim = log.scim.clone();
        result.checks = checks;
        Ok(result)
    }

    fn scim_only_result(&self, prepared: &PreparedScenario, log: &RunLog) -> Result<ScenarioResult> {
        let succeeded = log.scim.iter().all(|x| (200..300).contains(&x.status));
        let verdict = if succeeded { DemoVerdict::Accepted } else { DemoVerdict::Rejected };
        let intended = log.scim.iter().filter(|x| x.ok).count();
        let first_off = log.scim.iter().find(|x| !x.ok);
        let summary = Summary {
            happened: format!(
                "The demo IdP's SCIM client sent {} requests; {intended} were answered as intended.",
                log.scim.len()
            ),
            why: first_off.map(|x| format!("{} {} answered {} ({}).", method(x), x.path, x.status, x.what)),
            change: None,
        };
        Ok(ScenarioResult {
            scenario: prepared.scenario.name().into(),
            verdict,
            failed_check: None,
            outcome: None,
            user: self.demo_account(&prepared.persona)?,
            expected: prepared.expected.clone(),
            as_expected: verdict == prepared.expected.verdict,
            intended: prepared.expected.term(),
            summary,
            diff: Vec::new(),
            persona: prepared.persona.clone(),
            connection: prepared.connection.clone(),
            test_login_id: None,
            scim: Vec::new(),
            checks: Vec::new(),
        })
    }

    /// The audit rows the run wrote at the demo connection, oldest first.
    fn run_audit(&self, prepared: &PreparedScenario) -> Result<Vec<AuditEntry>> {
        let query = AuditQuery { connection: Some(prepared.connection.clone()), ..AuditQuery::default() };
        let mut rows: Vec<AuditEntry> =
            self.audit(&query)?.into_iter().filter(|e| e.id > prepared.after_audit).collect();
        rows.sort_by_key(|e| e.id);
        Ok(rows)
    }

    /// What each SCIM scenario and hybrid story step checks beyond the verdict.
    fn scim_checks(&self, prepared: &PreparedScenario, log: &RunLog) -> Result<Vec<DemoCheck>> {
        let Some(plan) = &prepared.scim else { return Ok(Vec::new()) };
        let account = self.demo_account(&plan.person.email)?;
        let mut checks = Vec::new();
        if let Some(step) = plan.story_step {
            story_checks(step, account.as_ref(), &mut checks);
            return Ok(checks);
        }
        let status = |u: Option<&crate::directory::User>| u.map_or("no account".to_owned(), |u| name_of(&u.status));
        match prepared.scenario {
            ScenarioId::ScimDeprovisionedLogin => {
                let first = self.first_outcome(log)?;
                checks.push(DemoCheck::new(
                    "the first sign-in links to the account SCIM made",
                    first == Some(Outcome::Linked),
                    first.map_or("no sign-in".into(), |o| o.as_str().to_owned()),
                ));
                let deactivated = account.as_ref().is_some_and(|u| u.status == UserStatus::Deactivated);
                checks.push(DemoCheck::new("the account is deactivated", deactivated, status(account.as_ref())));
                let rows = self.run_audit(prepared)?;
                let scim_row = rows.iter().rposition(|e| e.kind == AuditKind::Scim);
                let denied =
                    rows.iter().rposition(|e| e.failed_check == Some(Stop::Denial(DenialCode::ScimDeprovisioned)));
                checks.push(DemoCheck::new(
                    "the audit log holds the SCIM deactivation, then the denied sign-in",
                    matches!((scim_row, denied), (Some(s), Some(d)) if s < d),
                    audit_kinds(&rows),
                ));
            }
            ScenarioId::ScimJitConflict => {
                let after = store::demo::row_counts(self.store())?;
                checks.push(DemoCheck::new(
                    "the sign-in created no account (user count unchanged)",
                    after.users == prepared.counts_before.users && account.is_none(),
                    format!("{} users before, {} after", prepared.counts_before.users, after.users),
                ));
                let rows = self.run_audit(prepared)?;
                let created = rows.iter().any(|e| e.outcome == Some(Outcome::Created));
                checks.push(DemoCheck::new("no audit row says created", !created, audit_kinds(&rows)));
                let c = self.store().get_connection(DEMO_CONNECTION)?;
                let tomb = store::demo::scim_tombstone(self.store(), c.id, &plan.person.email)?
                    || store::demo::scim_tombstone(self.store(), c.id, &plan.person.id)?;
                checks.push(DemoCheck::new(
                    "a SCIM tombstone keeps the subject",
                    tomb,
                    if tomb { "tombstone" } else { "none" },
                ));
            }
            ScenarioId::ScimClaimRollback => {
                let groups = account.as_ref().map(|u| u.groups.clone()).unwrap_or_default();
                let kept = groups.iter().any(|g| g == ROLLBACK_TO) && !groups.iter().any(|g| g == ROLLBACK_FROM);
                checks.push(DemoCheck::new(
                    format!("the groups stay SCIM's ({ROLLBACK_TO}, not {ROLLBACK_FROM})"),
                    kept,
                    groups.join(", "),
                ));
                let notes = match log.test_logins.last() {
                    Some(id) => self.test_login(*id)?.report.trace.map(|t| t.ownership).unwrap_or_default(),
                    None => Vec::new(),
                };
                let note = notes.iter().find(|n| n.field == "groups" && n.owner == Owner::Scim);
                checks.push(DemoCheck::new(
                    "the trace says the groups are owned by SCIM",
                    note.is_some(),
                    note.map_or("no ownership note".into(), |n| n.sentence()),
                ));
                let report = self.scim_report(DEMO_CONNECTION)?;
                let listed = report.claims_disagree.iter().any(|d| {
                    d.field == "groups"
                        && d.user.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(&plan.person.email))
                });
                checks.push(DemoCheck::new(
                    "the SCIM report lists the groups disagreement",
                    listed,
                    format!("{} disagreements", report.claims_disagree.len()),
                ));
            }
            ScenarioId::ScimBadToken => {
                let bodies: Vec<&Option<Value>> = log.scim.iter().map(|x| &x.body).collect();
                let same = bodies.windows(2).all(|w| matches!(w, [a, b] if a == b));
                checks.push(DemoCheck::new(
                    "both answers are the same SCIM error",
                    same && !bodies.is_empty(),
                    format!("{} answers", bodies.len()),
                ));
                let rejected = log.rejections.unwrap_or(0);
                checks.push(DemoCheck::new(
                    "the live log shows the refused requests (counted in memory only)",
                    rejected >= 2,
                    format!("{rejected} refused in the last minute"),
                ));
                let after = store::demo::row_counts(self.store())?;
                checks.push(DemoCheck::new(
                    "nothing was written (users, SCIM resources, audit rows, request log)",
                    after == prepared.counts_before,
                    format!("{:?} before, {:?} after", prepared.counts_before, after),
                ));
            }
            ScenarioId::ScimEntraQuirks => {
                let expected = scim_client::entra_expected_document(&plan.person);
                let diffs = last_read(log).map(|doc| scim_client::differences(&expected, doc));
                checks.push(DemoCheck::new(
                    "the user's document ends as Entra's payloads intend",
                    diffs.as_ref().is_some_and(Vec::is_empty),
                    diffs.map_or("not read back".into(), |d| if d.is_empty() { "equal".into() } else { d.join("; ") }),
                ));
                let deactivated = account.as_ref().is_some_and(|u| u.status == UserStatus::Deactivated);
                checks.push(DemoCheck::new("\"False\" deactivated the account", deactivated, status(account.as_ref())));
                let notes: Vec<String> = self
                    .scim_log(DEMO_CONNECTION, 100)?
                    .into_iter()
                    .flat_map(|r| r.notes)
                    .map(|n| n.to_ascii_lowercase())
                    .collect();
                for (what, word) in
                    [("boolean string read as a boolean", "boolean string"), ("capitalised op", "capitalised op")]
                {
                    let noted = notes.iter().any(|n| n.contains(word));
                    checks.push(DemoCheck::new(
                        format!("the request log notes the {what}"),
                        noted,
                        if noted { "noted" } else { "not noted" },
                    ));
                }
            }
            _ => {}
        }
        Ok(checks)
    }

    fn first_outcome(&self, log: &RunLog) -> Result<Option<Outcome>> {
        match log.test_logins.first() {
            Some(id) => Ok(Some(self.test_login(*id)?.report.outcome)),
            None => Ok(None),
        }
    }
}

fn method(x: &scim_client::ScimExchange) -> &'static str {
    match x.method {
        crate::scim::Method::Get => "GET",
        crate::scim::Method::Post => "POST",
        crate::scim::Method::Put => "PUT",
        crate::scim::Method::Patch => "PATCH",
        crate::scim::Method::Delete => "DELETE",
    }
}

/// A unit enum's serde name (`deactivated`, `scim`).
pub(super) fn name_of(v: &impl Serialize) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn audit_kinds(rows: &[AuditEntry]) -> String {
    rows.iter()
        .map(|e| match (&e.kind, e.outcome, e.failed_check) {
            (AuditKind::Login, Some(o), Some(s)) => format!("login {}/{}", o.as_str(), s.as_str()),
            (AuditKind::Login, Some(o), None) => format!("login {}", o.as_str()),
            (k, _, _) => k.as_str().to_owned(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
