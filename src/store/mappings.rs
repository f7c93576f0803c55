//! One mapping document (fields, role and access rules, provisioning policy) per connection.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension as _, params};

use super::{Read, WriteTx, format_time, json, storage};
use crate::error::Result;
use crate::provision::MappingDocument;

pub fn get_mapping(db: &impl Read, connection_id: i64) -> Result<Option<MappingDocument>> {
    let conn = db.db();
    let text: Option<String> = conn
        .prepare_cached("SELECT document FROM connection_mappings WHERE connection_id = ?1")?
        .query_row([connection_id], |r| r.get(0))
        .optional()?;
    text.map(|t| serde_json::from_str(&t).map_err(storage("mapping document"))).transpose()
}

pub fn set_mapping(tx: &WriteTx<'_>, connection_id: i64, doc: &MappingDocument, now: DateTime<Utc>) -> Result<()> {
    let conn = tx.db();
    conn.execute(
        "INSERT INTO connection_mappings (connection_id, document, updated_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT(connection_id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at",
        params![connection_id, json(doc)?, format_time(now)],
    )?;
    Ok(())
}
