//! The replay cache: every ID a login consumed (a SAML assertion ID today; OIDC nonces and
//! codes next), keyed by the issuer that issued it, shared by every connection. Two
//! connections to the same IdP (a duplicate, a second import) cannot each accept the same
//! assertion once. Entries are pruned after `expires_at`, the instant after which the ID
//! could not be accepted anywhere anyway.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension as _, params};

use super::{Read, WriteTx, format_time};
use crate::error::Result;
use crate::login::ReplayKey;

use crate::connection::MAX_CLOCK_SKEW_SECONDS;

/// How long an ID without a NotOnOrAfter is remembered.
const DEFAULT_RETENTION: Duration = Duration::days(1);

/// The latest expiry stored: the catalog writes times as text that sorts only within years
/// 0 to 9999, so an assertion valid "for ever" is kept until the end of year 9999.
fn end_of_time() -> DateTime<Utc> {
    chrono::NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_nano_opt(23, 59, 59, 999_999_999))
        .map_or(DateTime::<Utc>::MAX_UTC, |t| t.and_utc())
}

/// When an entry may go: its NotOnOrAfter plus the largest skew, capped at the end of 9999.
fn expires_at(key: &ReplayKey, now: DateTime<Utc>) -> DateTime<Utc> {
    let skew = Duration::seconds(i64::from(MAX_CLOCK_SKEW_SECONDS));
    let expires = match key.not_on_or_after {
        Some(t) => t.max(now).checked_add_signed(skew),
        None => now.checked_add_signed(DEFAULT_RETENTION),
    };
    expires.map_or(end_of_time(), |t| t.min(end_of_time()))
}

/// Consumes `key`; `false` when it was consumed before (a replay). Prunes expired entries.
pub fn consume(tx: &WriteTx<'_>, key: &ReplayKey, now: DateTime<Utc>) -> Result<bool> {
    let conn = tx.db();
    conn.prepare_cached("DELETE FROM consumed_ids WHERE expires_at < ?1")?.execute([format_time(now)])?;
    let inserted = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO consumed_ids (issuer, kind, id, consumed_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![key.issuer, key.kind, key.id, format_time(now), format_time(expires_at(key, now))])?;
    Ok(inserted == 1)
}

/// Whether `key` was consumed (without consuming it).
pub fn consumed(db: &impl Read, key: &ReplayKey) -> Result<bool> {
    Ok(db
        .db()
        .prepare_cached("SELECT 1 FROM consumed_ids WHERE issuer = ?1 AND kind = ?2 AND id = ?3")?
        .query_row(params![key.issuer, key.kind, key.id], |_| Ok(()))
        .optional()?
        .is_some())
}
