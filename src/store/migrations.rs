//! Schema migrations of the catalog.
//!
//! To change the schema, add a file `migrations/NNNN_what.sql` and append
//! `(NNNN, include_str!(...))` to [`MIGRATIONS`]. Never edit a migration that has shipped.
//! Each migration runs in its own `BEGIN IMMEDIATE` transaction together with the bump of
//! `PRAGMA user_version`, with foreign keys OFF (so a table can be rebuilt without cascading
//! deletes) and a `PRAGMA foreign_key_check` before the commit. A migration file must not
//! contain `BEGIN`/`COMMIT`.

use rusqlite::{Transaction, TransactionBehavior};

use crate::error::{Error, ErrorCode, Result};

/// Every migration, in order: `(version, sql)`. Versions are 1, 2, 3... without gaps.
pub const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/0001_connections.sql")),
    (2, include_str!("../../migrations/0002_provisioning.sql")),
    (3, include_str!("../../migrations/0003_test_logins.sql")),
    (4, include_str!("../../migrations/0004_demo.sql")),
    (5, include_str!("../../migrations/0005_identity_hardening.sql")),
    (6, include_str!("../../migrations/0006_admin_audit.sql")),
    (7, include_str!("../../migrations/0007_oidc.sql")),
    (8, include_str!("../../migrations/0008_scim.sql")),
];

/// The schema version this build creates and understands (the last migration's version).
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// `PRAGMA application_id` of a Handshake catalog ("HSK1"), so another program's SQLite
/// file passed by mistake is refused instead of being migrated.
pub const APPLICATION_ID: i32 = 0x4853_4B31;

pub(crate) fn user_version(conn: &rusqlite::Connection) -> Result<i64> {
    Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
}

fn application_id(conn: &rusqlite::Connection) -> Result<i32> {
    Ok(conn.pragma_query_value(None, "application_id", |r| r.get(0))?)
}

/// Refuses a database this build cannot read: written by a newer Handshake, or not a
/// Handshake catalog at all.
fn check_compatible(conn: &rusqlite::Connection, what: &str) -> Result<i64> {
    let app = application_id(conn)?;
    if app != 0 && app != APPLICATION_ID {
        return Err(Error::new(
            ErrorCode::Storage,
            format!("{what} is not a Handshake catalog (its SQLite application_id is {app:#010x})"),
        )
        .detail("not_a_catalog")
        .hint("Open another catalog file."));
    }
    let version = user_version(conn)?;
    if version > SCHEMA_VERSION {
        return Err(Error::new(
            ErrorCode::Storage,
            format!(
                "{what} has schema version {version}, but this build of Handshake only knows \
                 versions up to {SCHEMA_VERSION}; it was written by a newer Handshake"
            ),
        )
        .detail("newer_schema")
        .hint("Upgrade Handshake, or open another catalog file."));
    }
    if version < 0 {
        return Err(Error::new(ErrorCode::Storage, format!("{what} has an invalid schema version {version}")));
    }
    Ok(version)
}

/// Brings the schema up to [`SCHEMA_VERSION`]. Safe to run concurrently from several
/// processes: the version is re-read under the write lock before each step.
/// Leaves `foreign_keys` ON.
pub(crate) fn migrate(conn: &rusqlite::Connection, what: &str) -> Result<()> {
    let current = check_compatible(conn, what)?;
    if current < SCHEMA_VERSION {
        // The pragma is a no-op inside a transaction, so switch it here, around the loop.
        conn.pragma_update(None, "foreign_keys", false)?;
        let outcome = apply_pending(conn, what);
        conn.pragma_update(None, "foreign_keys", true)?;
        return outcome;
    }
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(())
}

fn apply_pending(conn: &rusqlite::Connection, what: &str) -> Result<()> {
    for &(version, sql) in MIGRATIONS {
        let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
        let current = check_compatible(&tx, what)?;
        if version <= current {
            continue; // applied already (maybe by another process meanwhile); tx rolls back
        }
        if version != current + 1 {
            return Err(Error::new(
                ErrorCode::Internal,
                format!("migration {version} follows schema version {current}: the migration list has a gap"),
            ));
        }
        tx.execute_batch(sql).map_err(|e| {
            Error::new(ErrorCode::Storage, format!("migrating {what} to schema version {version} failed: {e}"))
        })?;
        let violations: i64 = tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0))?;
        if violations != 0 {
            return Err(Error::new(
                ErrorCode::Storage,
                format!(
                    "migrating {what} to schema version {version} would leave {violations} \
                     broken foreign-key reference(s); nothing was changed"
                ),
            ));
        }
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_contiguous_from_one() {
        for (i, (version, sql)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(*version, i as i64 + 1, "migration versions must be 1, 2, 3...");
            let upper = sql.to_ascii_uppercase();
            assert!(!upper.contains("BEGIN TRANSACTION") && !upper.contains("COMMIT;"));
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.0), Some(SCHEMA_VERSION));
    }
}
