//! SQL functions registered on every connection: the identifier rules of [`crate::identity`]
//! (so that migrations compute the same keys as the code) and Unicode case folding for
//! searches.

use rusqlite::functions::{Context, FunctionFlags};

use crate::identity::{self, email};

/// A one-argument text function; NULL in, NULL out.
fn text(
    f: fn(&str) -> Option<String>,
) -> impl Fn(&mut Context<'_>) -> rusqlite::Result<Option<String>> + Send + std::panic::UnwindSafe + 'static {
    move |ctx| {
        let v: Option<String> = ctx.get(0)?;
        Ok(v.as_deref().and_then(f))
    }
}

pub(crate) fn register(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("handshake_email_key", 1, flags, text(|e| email::canonical(e).ok().map(|c| c.key)))?;
    conn.create_scalar_function("handshake_email_skeleton", 1, flags, text(email::skeleton))?;
    conn.create_scalar_function("handshake_domain_key", 1, flags, text(|d| email::domain_key(d).ok()))?;
    conn.create_scalar_function("handshake_subject_fold", 1, flags, text(|s| Some(identity::subject_fold(s))))?;
    // Unicode lower case, for searches that ignore letter case (SQLite's lower() is ASCII only).
    conn.create_scalar_function("handshake_fold", 1, flags, text(|s| Some(s.to_lowercase())))?;
    Ok(())
}
