//! The replay cache: every ID a login consumed (a SAML assertion ID today; OIDC nonces and
//! codes next), keyed by the issuer that issued it, shared by every connection. Two
//! connections to the same IdP (a duplicate, a second import) cannot each accept the same
//! assertion once. Entries are pruned after `expires_at`, the instant after which the ID
//! could not be accepted anywhere anyway.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension as _, params};

use super::format_time;
use crate::error::Result;

use crate::connection::MAX_CLOCK_SKEW_SECONDS;

/// How long an ID without a NotOnOrAfter is remembered.
const DEFAULT_RETENTION: Duration = Duration::days(1);

/// What a login consumes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayKey {
    /// The entityID (SAML) or issuer (OIDC) that issued the ID.
    pub issuer: String,
    /// `saml_assertion`...
    pub kind: &'static str,
    pub id: String,
    /// The latest instant the ID is acceptable (NotOnOrAfter), if known.
    pub not_on_or_after: Option<DateTime<Utc>>,
}

/// The latest expiry stored: the catalog writes times as text that sorts only within years
/// 0 to 9999, so an assertion valid "for ever" is kept until the end of year 9999.
fn end_of_time() -> DateTime<Utc> {
    chrono::NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_nano_opt(23, 59, 59, 999_999_999))
        .map_or(DateTime::<Utc>::MAX_UTC, |t| t.and_utc())
}

impl ReplayKey {
    fn expires_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let skew = Duration::seconds(i64::from(MAX_CLOCK_SKEW_SECONDS));
        let expires = match self.not_on_or_after {
            Some(t) => t.max(now).checked_add_signed(skew),
            None => now.checked_add_signed(DEFAULT_RETENTION),
        };
        expires.map_or(end_of_time(), |t| t.min(end_of_time()))
    }
}

/// Consumes `key`; `false` when it was consumed before (a replay). Prunes expired entries.
pub fn consume(conn: &rusqlite::Connection, key: &ReplayKey, now: DateTime<Utc>) -> Result<bool> {
    conn.prepare_cached("DELETE FROM consumed_ids WHERE expires_at < ?1")?.execute([format_time(now)])?;
    let inserted = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO consumed_ids (issuer, kind, id, consumed_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![key.issuer, key.kind, key.id, format_time(now), format_time(key.expires_at(now))])?;
    Ok(inserted == 1)
}

/// Whether `key` was consumed (without consuming it).
pub fn consumed(conn: &rusqlite::Connection, key: &ReplayKey) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM consumed_ids WHERE issuer = ?1 AND kind = ?2 AND id = ?3")?
        .query_row(params![key.issuer, key.kind, key.id], |_| Ok(()))
        .optional()?
        .is_some())
}
