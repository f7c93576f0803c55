//! Admin actions in the audit log: each operation that changes the catalog on an admin's
//! behalf writes one row, in the same write transaction as the change (both commit or
//! neither does), naming the actor (the OS user the shell found), the action and a
//! structured diff (field, before, after). A diff never holds a secret: a key shows as
//! `rotated` and its certificate by SHA-256 fingerprint.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::Workbench;
use crate::connection::{Connection, IdpDescriptor};
use crate::directory::{AdminAction, AuditEntry, AuditKind, FieldChange, User};
use crate::error::{Error, ErrorCode, Result};
use crate::store::{self, WriteTx};

/// The crash point between an admin change's writes and its audit row (tests only; see
/// `src/fault.rs`).
pub const ADMIN_FAULT_POINT: &str = "after_admin_change";

/// One admin change, about to be recorded.
pub(crate) struct AdminChange {
    pub action: AdminAction,
    /// The connection concerned (`None`: a user without one).
    pub connection: Option<(String, i64)>,
    /// The account concerned, for user actions.
    pub user: Option<(i64, Option<String>)>,
    /// One sentence: what was done.
    pub message: String,
    pub diff: Vec<FieldChange>,
}

impl AdminChange {
    pub fn on(action: AdminAction, c: &Connection, message: String, diff: Vec<FieldChange>) -> Self {
        AdminChange { action, connection: Some((c.name.clone(), c.id)), user: None, message, diff }
    }

    pub fn on_user(
        action: AdminAction,
        u: &User,
        connection_id: Option<i64>,
        message: String,
        diff: Vec<FieldChange>,
    ) -> Self {
        let connection = u.connection.clone().zip(connection_id);
        AdminChange { action, connection, user: Some((u.id, u.email.clone())), message, diff }
    }
}

impl Workbench {
    /// Writes the audit row of `change` in `tx`, the change's own transaction.
    pub(crate) fn record_admin(&self, tx: &WriteTx<'_>, change: AdminChange, now: DateTime<Utc>) -> Result<()> {
        crate::fault::point(ADMIN_FAULT_POINT);
        let (connection, connection_id) = change.connection.map_or((String::new(), None), |(n, id)| (n, Some(id)));
        let (user_id, subject) = change.user.map_or((None, None), |(id, email)| (Some(id), email));
        let entry = AuditEntry {
            at: now,
            connection,
            subject,
            message: Some(change.message),
            user_id,
            diff: change.diff,
            kind: AuditKind::Admin,
            actor: Some(self.actor().to_owned()),
            action: Some(change.action),
            ..AuditEntry::login()
        };
        store::audit::insert_audit(tx, &entry, connection_id)?;
        Ok(())
    }
}

/// A value as JSON, for a diff.
pub(crate) fn value<T: Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| Error::new(ErrorCode::Internal, format!("cannot encode a diff: {e}")))
}

/// Field-by-field differences of two documents: objects are walked (fields named with dots,
/// `roles.default`), anything else (lists included) is compared whole.
pub(crate) fn diff_values(prefix: &str, before: &Value, after: &Value, out: &mut Vec<FieldChange>) {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            let keys = b.keys().chain(a.keys().filter(|k| !b.contains_key(*k)));
            for key in keys {
                let field = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                diff_values(&field, b.get(key).unwrap_or(&Value::Null), a.get(key).unwrap_or(&Value::Null), out);
            }
        }
        _ if before != after => {
            out.push(FieldChange { field: prefix.to_owned(), before: before.clone(), after: after.clone() })
        }
        _ => {}
    }
}

/// [`diff_values`] of two serializable values.
pub(crate) fn diff_of<T: Serialize>(prefix: &str, before: &T, after: &T) -> Result<Vec<FieldChange>> {
    let mut out = Vec::new();
    diff_values(prefix, &value(before)?, &value(after)?, &mut out);
    Ok(out)
}

/// One change of a plain value.
pub(crate) fn change(field: &str, before: impl Into<Value>, after: impl Into<Value>) -> FieldChange {
    FieldChange { field: field.to_owned(), before: before.into(), after: after.into() }
}

/// What an admin sees of an IdP in a diff: entityID, endpoints, NameID formats, and the
/// signing certificates by SHA-256 fingerprint and expiry (never their bytes).
pub(crate) fn idp_value(idp: &IdpDescriptor) -> Value {
    let endpoints = |eps: &[crate::connection::Endpoint]| {
        eps.iter()
            .map(|e| Value::from(format!("{} {}", e.binding.rsplit(':').next().unwrap_or(&e.binding), e.location)))
            .collect::<Vec<_>>()
    };
    serde_json::json!({
        "entity_id": idp.entity_id,
        "sso": endpoints(&idp.sso),
        "slo": endpoints(&idp.slo),
        "signing_certificates": idp
            .signing_certificates
            .iter()
            .map(|c| format!("SHA-256 {} (expires {})", c.sha256_fingerprint, c.not_after.format("%Y-%m-%d")))
            .collect::<Vec<_>>(),
        "name_id_formats": idp.name_id_formats,
        "want_authn_requests_signed": idp.want_authn_requests_signed,
        "valid_until": idp.valid_until.map(|t| t.to_rfc3339()),
    })
}

/// The IdP fields that differ, prefixed `idp.`.
pub(crate) fn idp_diff(before: &IdpDescriptor, after: &IdpDescriptor) -> Vec<FieldChange> {
    let mut out = Vec::new();
    diff_values("idp", &idp_value(before), &idp_value(after), &mut out);
    out
}

/// The SP certificate as a diff shows it: its fingerprint.
pub(crate) fn certificate_value(c: Option<&crate::certs::Certificate>) -> Value {
    c.map_or(Value::Null, |c| Value::from(format!("SHA-256 {}", c.sha256_fingerprint)))
}
