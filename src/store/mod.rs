//! The catalog: one SQLite file, and the only place in Handshake that speaks SQL.
//!
//! One file per table family, each a set of typed functions: [`connections`],
//! [`mappings`], [`users`] (accounts and their IdP identities), [`audit`], [`replay`]
//! (consumed IDs), [`logins`] (outstanding requests and test-login records), [`oidc`] (OIDC
//! settings and authorization requests), [`scim`] (SCIM endpoints, resources, request log) and [`demo`] (the
//! demo IdP's identity and people). Reads take anything that can [`Read`] (the store, or a
//! write transaction that sees its own writes); writes take a [`WriteTx`], so that what one
//! operation writes commits together or not at all. Outside this folder, clippy refuses the
//! rusqlite API (`clippy.toml`), as it refuses the wall clock outside `src/clock.rs`.
//!
//! The schema is created and upgraded by the ordered migrations in [`migrations`]
//! (`migrations/*.sql`), tracked with `PRAGMA user_version`; a catalog written by a newer
//! Handshake is refused. Nothing secret is stored here: SP private keys live in the OS
//! secret store ([`crate::secrets`]); only the public SP certificate is kept.
//!
//! Every time is a parameter (`now`); times are stored as RFC 3339 UTC text with a fixed
//! nanosecond fraction ([`format_time`]), so they round-trip exactly and sort as text.
#![allow(clippy::disallowed_methods, clippy::disallowed_types, clippy::disallowed_macros)] // the one place allowed to use rusqlite

pub mod audit;
pub mod connections;
pub mod demo;
mod functions;
pub mod logins;
pub mod mappings;
pub mod migrations;
pub mod oidc;
pub mod replay;
pub mod scim;
pub mod scim_login;
pub mod users;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{ToSql, Transaction, TransactionBehavior, params_from_iter};

use crate::error::{Error, ErrorCode, Result};

pub use migrations::SCHEMA_VERSION;

/// Environment variable naming the catalog file (after `--db`, before the default).
pub const DB_ENV: &str = "HANDSHAKE_DB";

/// File name of the catalog inside the data directory.
pub const DB_FILE_NAME: &str = "handshake.db";

/// How long a write waits for another process holding the lock.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The catalog. Wraps one SQLite connection: `Send`, not `Sync`; open one per thread.
#[derive(Debug)]
pub struct Store {
    conn: rusqlite::Connection,
    path: Option<PathBuf>,
}

// A `Store` may move to another thread (a worker, an async task).
const _: fn() = || {
    fn assert_send<T: Send>() {}
    assert_send::<Store>();
};

pub use connections::NewConnection;

/// Read access to the catalog: the [`Store`], or a [`WriteTx`] (which sees its own writes).
pub trait Read: sealed::Sealed {
    #[doc(hidden)]
    fn db(&self) -> &rusqlite::Connection;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Store {}
    impl Sealed for super::WriteTx<'_> {}
}

impl Read for Store {
    fn db(&self) -> &rusqlite::Connection {
        &self.conn
    }
}

/// A write transaction (`BEGIN IMMEDIATE`, so the busy timeout applies: a deferred
/// read-then-write transaction can fail at once with SQLITE_BUSY in WAL mode). Everything
/// written through it commits with [`WriteTx::commit`]; dropped without it, nothing does.
pub struct WriteTx<'a> {
    tx: rusqlite::Transaction<'a>,
}

impl Read for WriteTx<'_> {
    fn db(&self) -> &rusqlite::Connection {
        &self.tx
    }
}

impl WriteTx<'_> {
    pub fn commit(self) -> Result<()> {
        Ok(self.tx.commit()?)
    }

    pub fn rollback(self) -> Result<()> {
        Ok(self.tx.rollback()?)
    }

    /// Runs `f` inside a savepoint: its writes are undone when it fails, the transaction
    /// goes on either way.
    pub fn attempt<T>(&self, f: impl FnOnce(&Self) -> Result<T>) -> Result<T> {
        self.tx.execute_batch("SAVEPOINT attempt")?;
        match f(self) {
            Ok(v) => {
                self.tx.execute_batch("RELEASE attempt")?;
                Ok(v)
            }
            Err(e) => {
                self.tx.execute_batch("ROLLBACK TO attempt; RELEASE attempt")?;
                Err(e)
            }
        }
    }
}

impl Store {
    /// Opens (creating it and its parent directories if needed) the catalog at `path`:
    /// WAL journal, foreign keys on, 5 s busy timeout, schema migrated to [`SCHEMA_VERSION`].
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                Error::new(
                    ErrorCode::Io,
                    format!("cannot create the directory {} for the catalog: {e}", parent.display()),
                )
            })?;
        }
        let what = format!("the catalog {}", path.display());
        let opening = |e: rusqlite::Error| Error::new(ErrorCode::Storage, format!("cannot open {what}: {e}"));
        let conn = rusqlite::Connection::open(path).map_err(opening)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(opening)?;
        let mode = switch_to_wal(&conn).map_err(opening)?;
        if !mode.eq_ignore_ascii_case("wal") {
            // Some file systems (network shares) cannot do WAL; SQLite keeps the old mode.
            tracing::warn!(path = %path.display(), journal_mode = %mode, "the catalog could not switch to WAL mode");
        }
        Self::init(conn, Some(path.to_path_buf()), &what, opening)
    }

    /// A private catalog in memory (tests, dry runs).
    pub fn open_in_memory() -> Result<Store> {
        let what = "the in-memory catalog";
        let opening = |e: rusqlite::Error| Error::new(ErrorCode::Storage, format!("cannot open {what}: {e}"));
        let conn = rusqlite::Connection::open_in_memory().map_err(opening)?;
        Self::init(conn, None, what, opening)
    }

    fn init(
        conn: rusqlite::Connection,
        path: Option<PathBuf>,
        what: &str,
        opening: impl Fn(rusqlite::Error) -> Error,
    ) -> Result<Store> {
        conn.pragma_update(None, "foreign_keys", true).map_err(&opening)?;
        // Savepoint journals (`WriteTx::attempt`) in memory: a SCIM group write of tens of
        // thousands of members otherwise spends most of its time writing a temporary file.
        conn.pragma_update(None, "temp_store", "MEMORY").map_err(&opening)?;
        functions::register(&conn).map_err(&opening)?;
        migrations::migrate(&conn, what)?;
        let on: bool = conn.pragma_query_value(None, "foreign_keys", |r| r.get(0)).map_err(&opening)?;
        if !on {
            return Err(Error::new(
                ErrorCode::Storage,
                format!("cannot open {what}: this SQLite build does not enforce foreign keys"),
            ));
        }
        Ok(Store { conn, path })
    }

    /// The default catalog: `<data dir>/handshake.db`, the data dir being the platform's
    /// (`$XDG_DATA_HOME/handshake` on Linux, `~/Library/Application Support/dev.handshake.Handshake`
    /// on macOS, `%APPDATA%\handshake\Handshake\data` on Windows).
    pub fn default_path() -> Result<PathBuf> {
        let dirs = directories::ProjectDirs::from("dev", "handshake", "Handshake").ok_or_else(|| {
            Error::new(ErrorCode::Io, "cannot find a home directory to keep the catalog in")
                .hint("Choose where the catalog file is kept.")
        })?;
        Ok(dirs.data_dir().join(DB_FILE_NAME))
    }

    /// Where the catalog is: `--db` wins, then `$HANDSHAKE_DB`, then [`Store::default_path`].
    pub fn resolve_path(cli: Option<&Path>) -> Result<PathBuf> {
        let env = std::env::var_os(DB_ENV);
        Self::resolve_path_from(cli, env.as_deref())
    }

    /// [`Store::resolve_path`] with the environment value passed in. An empty `--db` is an
    /// error; an empty environment value counts as unset.
    pub fn resolve_path_from(cli: Option<&Path>, env: Option<&OsStr>) -> Result<PathBuf> {
        if let Some(cli) = cli {
            if cli.as_os_str().is_empty() {
                return Err(Error::invalid("the catalog path is empty: it needs a file path"));
            }
            return Ok(cli.to_path_buf());
        }
        if let Some(env) = env.filter(|v| !v.is_empty()) {
            return Ok(PathBuf::from(env));
        }
        Self::default_path()
    }

    /// The file this store was opened on; `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The schema version of the open catalog (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<i64> {
        migrations::user_version(&self.conn)
    }

    /// The SQLite connection, for tests and diagnostics only: clippy refuses its use in
    /// `src/` outside this folder.
    pub fn raw(&self) -> &rusqlite::Connection {
        &self.conn
    }

    /// Starts a write transaction.
    pub fn write(&self) -> Result<WriteTx<'_>> {
        Ok(WriteTx { tx: Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)? })
    }
}

/// Sets `journal_mode=WAL` (persistent: a no-op after the first open) and returns the mode
/// in effect. The switch needs an exclusive lock, and SQLite answers SQLITE_BUSY at once,
/// without its busy handler, while another connection is opening the same new file; so
/// retry for up to [`BUSY_TIMEOUT`].
fn switch_to_wal(conn: &rusqlite::Connection) -> rusqlite::Result<String> {
    const PAUSE: Duration = Duration::from_millis(20);
    let mut waited = Duration::ZERO;
    loop {
        match conn.pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0)) {
            Err(rusqlite::Error::SqliteFailure(f, _))
                if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
                    && waited < BUSY_TIMEOUT =>
            {
                std::thread::sleep(PAUSE);
                waited += PAUSE;
            }
            other => return other,
        }
    }
}

/// A value as JSON text (a list or document kept in one column).
fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::new(ErrorCode::Internal, format!("cannot encode: {e}")))
}

/// The error for a column holding JSON the catalog cannot read back.
fn storage(what: &str) -> impl Fn(serde_json::Error) -> Error + '_ {
    move |e| Error::new(ErrorCode::Storage, format!("the catalog holds an invalid {what}: {e}"))
}

/// Longest text kept in one free-text field of a stored record (an audit message, a
/// check's found value...): text from an unauthenticated response can be megabytes long.
pub const MAX_STORED_FIELD_BYTES: usize = 2000;

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

/// `s` cut to [`MAX_STORED_FIELD_BYTES`], saying how much was left out.
pub fn bounded(s: &str) -> std::borrow::Cow<'_, str> {
    if s.len() <= MAX_STORED_FIELD_BYTES {
        return std::borrow::Cow::Borrowed(s);
    }
    let kept = cut(s, MAX_STORED_FIELD_BYTES);
    std::borrow::Cow::Owned(format!("{kept}… ({} more bytes not kept)", s.len() - kept.len()))
}

/// How the catalog writes a time: RFC 3339, UTC, `Z`, nine fraction digits.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// Reads a time written by [`format_time`] (any RFC 3339 time is accepted).
pub fn parse_time(text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Error::new(ErrorCode::Storage, format!("the catalog holds an invalid time {text:?}: {e}")))
}

/// Inserts one row with these columns; the new rowid.
fn insert_row(db: &rusqlite::Connection, table: &str, columns: &[(&str, &dyn ToSql)]) -> rusqlite::Result<i64> {
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let slots: Vec<String> = (1..=columns.len()).map(|n| format!("?{n}")).collect();
    let sql = format!("INSERT INTO {table} ({}) VALUES ({})", names.join(", "), slots.join(", "));
    db.prepare_cached(&sql)?.execute(params_from_iter(columns.iter().map(|(_, v)| v)))?;
    Ok(db.last_insert_rowid())
}

/// Sets these columns of the row with this `id`; how many rows changed (0 or 1).
fn update_row(
    db: &rusqlite::Connection,
    table: &str,
    id: i64,
    columns: &[(&str, &dyn ToSql)],
) -> rusqlite::Result<usize> {
    let sets: Vec<String> = columns.iter().enumerate().map(|(n, (name, _))| format!("{name} = ?{}", n + 2)).collect();
    let sql = format!("UPDATE {table} SET {} WHERE id = ?1", sets.join(", "));
    let values = std::iter::once(&id as &dyn ToSql).chain(columns.iter().map(|(_, v)| *v));
    db.prepare_cached(&sql)?.execute(params_from_iter(values))
}

/// SQLite failures as core errors: a refused constraint is a conflict, the rest storage.
impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        let constraint =
            matches!(&e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation);
        if constraint {
            return Error::new(ErrorCode::Conflict, format!("the catalog refused the change: {e}"));
        }
        Error::new(ErrorCode::Storage, format!("catalog database error: {e}"))
    }
}
