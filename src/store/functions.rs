//! SQL functions backed by the identifier rules of [`crate::identity`], registered on every
//! connection so that migrations (and only they) can compute the same keys as the code.

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
    Ok(())
}
