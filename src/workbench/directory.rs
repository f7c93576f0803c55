//! The directory: the accounts provisioning made and the audit log, searched and filtered in
//! the catalog (not in memory), and exported.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Workbench;
use super::audit::{self, AdminChange};
use crate::directory::{AdminAction, AuditEntry, AuditQuery, User, UserQuery, UserStatus};
use crate::error::{Error, ErrorCode, Result};
use crate::store;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct UserDetail {
    pub user: User,
    /// The audit rows about this user, newest first.
    pub audit: Vec<AuditEntry>,
}

/// The audit log's export formats: CSV, or JSON lines (lossless).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum AuditFormat {
    Csv,
    JsonLines,
}

impl Workbench {
    /// Users of one connection or all, matching the query's text (email, names, groups,
    /// roles; letter case ignored), oldest first.
    pub fn users(&self, query: &UserQuery) -> Result<Vec<User>> {
        if let Some(name) = query.connection.as_deref() {
            self.store().get_connection(name)?;
        }
        let text = query.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
        store::users::list_users(self.store(), query.connection.as_deref(), text)
    }

    pub fn user(&self, id: i64) -> Result<User> {
        store::users::user_by_id(self.store(), id)?.ok_or_else(|| no_user(id))
    }

    /// A user with the audit rows about them, newest first.
    pub fn user_detail(&self, id: i64) -> Result<UserDetail> {
        let user = self.user(id)?;
        let audit = self.audit(&AuditQuery { user_id: Some(id), ..AuditQuery::default() })?;
        Ok(UserDetail { user, audit })
    }

    /// Activates or deactivates an account (one audit row: who, and the status before and after).
    pub fn set_user_status(&self, id: i64, status: UserStatus, now: DateTime<Utc>) -> Result<User> {
        let tx = self.store().write()?;
        let before = store::users::user_by_id(&tx, id)?.ok_or_else(|| no_user(id))?;
        if !store::users::set_status(&tx, id, status, now)? {
            return Err(no_user(id));
        }
        let (action, verb) = match status {
            UserStatus::Active => (AdminAction::UserActivate, "Activated"),
            UserStatus::Deactivated => (AdminAction::UserDeactivate, "Deactivated"),
        };
        let diff = audit::diff_of("status", &before.status, &status)?;
        let message = format!("{verb} user {id} ({})", label(&before));
        let connection_id = user_connection_id(&tx, &before);
        self.record_admin(&tx, AdminChange::on_user(action, &before, connection_id, message, diff), now)?;
        tx.commit()?;
        self.user(id)
    }

    /// Deletes an account (one audit row: who, and what the account held).
    pub fn delete_user(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        let tx = self.store().write()?;
        let before = store::users::user_by_id(&tx, id)?.ok_or_else(|| no_user(id))?;
        if !store::users::delete_user(&tx, id)? {
            return Err(no_user(id));
        }
        let mut diff = Vec::new();
        audit::diff_values("user", &audit::value(&deleted_view(&before))?, &serde_json::Value::Null, &mut diff);
        let message = format!("Deleted user {id} ({})", label(&before));
        let connection_id = user_connection_id(&tx, &before);
        self.record_admin(
            &tx,
            AdminChange::on_user(AdminAction::UserDelete, &before, connection_id, message, diff),
            now,
        )?;
        tx.commit()
    }

    /// Audit rows matching `query`, newest first.
    pub fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        store::audit::list_audit(self.store(), query)
    }

    /// The matching audit rows as a file's content (oldest first): JSON lines or CSV.
    pub fn export_audit(&self, query: &AuditQuery, format: AuditFormat) -> Result<(String, usize)> {
        let mut rows = self.audit(query)?;
        rows.reverse();
        Ok((render_audit(&rows, format)?, rows.len()))
    }
}

/// How a message names an account: its email, else its username, else "no email".
fn label(u: &User) -> String {
    u.email.clone().or_else(|| u.username.clone()).unwrap_or_else(|| "no email".to_owned())
}

/// What a deletion's diff keeps of the account: who it was, not every attribute.
fn deleted_view(u: &User) -> serde_json::Value {
    serde_json::json!({
        "email": u.email,
        "username": u.username,
        "display_name": u.display_name,
        "roles": u.roles,
        "identities": u.identities.iter().map(|i| format!("{}: {}", i.connection, i.subject)).collect::<Vec<_>>(),
        "status": u.status,
    })
}

fn user_connection_id(tx: &store::WriteTx<'_>, u: &User) -> Option<i64> {
    u.connection.as_deref().and_then(|name| store::connections::get(tx, name).ok()).map(|c| c.id)
}

fn no_user(id: i64) -> Error {
    Error::not_found(format!("there is no user {id}"))
}

/// Characters that make a spreadsheet read a cell as a formula (or a DDE command) when the
/// cell starts with them, and their full-width forms (which some spreadsheets fold to ASCII).
const FORMULA_STARTS: [char; 10] = ['=', '+', '-', '@', '\t', '\r', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}'];
/// Where a spreadsheet may take a new cell to start: after its separator (comma, semicolon,
/// tab or pipe, depending on the locale and the import settings) or a line break.
const CELL_BREAKS: [char; 6] = [',', ';', '\t', '|', '\n', '\r'];
/// What a spreadsheet may drop before a cell's content: blanks and quotes.
const CELL_PADDING: [char; 4] = [' ', '"', '\u{A0}', '\u{3000}'];

/// One CSV field: always quoted (so no separator or line break inside a value splits it for
/// a parser that honours quotes), and neutralised for spreadsheets. Audit cells hold
/// IdP-controlled text, and a spreadsheet that splits on another separator than ours can
/// start a cell anywhere a separator appears; so wherever a cell could start (the value's
/// start, or after any separator or line break), if the first character past blanks and
/// quotes would start a formula, an apostrophe goes before it and the spreadsheet shows
/// text. The JSON lines export keeps every value exactly.
fn csv_field(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    out.push('"');
    let mut cell_start = true;
    for c in s.chars() {
        if cell_start && FORMULA_STARTS.contains(&c) {
            out.push('\'');
        }
        if c == '"' {
            out.push('"');
        }
        out.push(c);
        cell_start = CELL_BREAKS.contains(&c) || (cell_start && CELL_PADDING.contains(&c));
    }
    out.push('"');
    out
}

/// The CSV export's columns, in order. The first nine are the login columns of earlier
/// versions (kept, in place); `kind`, `actor` and `action` were added at the end for admin
/// rows (which leave `outcome` and `failed_check` empty).
pub const AUDIT_CSV_COLUMNS: [&str; 12] = [
    "id",
    "at",
    "connection",
    "subject",
    "outcome",
    "failed_check",
    "message",
    "user_id",
    "diff",
    "kind",
    "actor",
    "action",
];

/// Audit rows as JSON lines (one object per line) or CSV (header row first).
pub fn render_audit(entries: &[AuditEntry], format: AuditFormat) -> Result<String> {
    let mut out = String::new();
    match format {
        AuditFormat::JsonLines => {
            for e in entries {
                let line = serde_json::to_string(e).map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))?;
                out.push_str(&line);
                out.push('\n');
            }
        }
        AuditFormat::Csv => {
            out.push_str(&AUDIT_CSV_COLUMNS.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
            out.push('\n');
            for e in entries {
                let diff = serde_json::to_string(&e.diff).unwrap_or_default();
                let row = [
                    e.id.to_string(),
                    e.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    e.connection.clone(),
                    e.subject.clone().unwrap_or_default(),
                    e.outcome.map(|o| o.as_str().to_owned()).unwrap_or_default(),
                    e.failed_check.map(|s| s.as_str().to_owned()).unwrap_or_default(),
                    e.message.clone().unwrap_or_default(),
                    e.user_id.map(|i| i.to_string()).unwrap_or_default(),
                    diff,
                    e.kind.as_str().to_owned(),
                    e.actor.clone().unwrap_or_default(),
                    e.action
                        .map(|a| a.as_str().to_owned())
                        .or(e.scim_action.map(|a| a.as_str().to_owned()))
                        .unwrap_or_default(),
                ];
                out.push_str(&row.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
                out.push('\n');
            }
        }
    }
    Ok(out)
}
