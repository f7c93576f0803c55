//! The connection catalog's rows: a connection with its certificates, endpoints and NameID
//! formats, written and read whole.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension as _, Row, ToSql, params};

use super::{Read, Store, WriteTx, format_time, insert_row, parse_time, update_row};
use crate::certs::Certificate;
use crate::connection::{Connection, Endpoint, IdpDescriptor, Protocol, SecurityPolicy, SpConfig, check_name};
use crate::error::{Error, ErrorCode, Result};
use crate::oidc::OidcSettings;

/// A connection to be created. `id` and the timestamps are assigned by [`Store::insert_connection`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConnection {
    pub name: String,
    pub idp: IdpDescriptor,
    pub sp: SpConfig,
    pub policy: SecurityPolicy,
    pub metadata_xml: String,
    pub metadata_source: String,
    /// The OpenID Connect side (`None`: a SAML connection). Its issuer must be `idp.entity_id`.
    pub oidc: Option<OidcSettings>,
}

impl Store {
    /// Creates a connection (see [`insert`]) in a transaction of its own.
    pub fn insert_connection(&self, c: &NewConnection, now: DateTime<Utc>) -> Result<Connection> {
        let tx = self.write()?;
        let stored = insert(&tx, c, now)?;
        tx.commit()?;
        Ok(stored)
    }

    /// The connection with this name.
    pub fn get_connection(&self, name: &str) -> Result<Connection> {
        let id = id_by_name(&self.conn, name)?.ok_or_else(|| not_found(name))?;
        load_by_id(&self.conn, id)
    }

    /// The connection with this id.
    pub fn get_connection_by_id(&self, id: i64) -> Result<Connection> {
        load_by_id(&self.conn, id)
    }

    /// Every connection, by name (case-insensitively, then exactly).
    pub fn list_connections(&self) -> Result<Vec<Connection>> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {CONNECTION_COLUMNS} FROM connections ORDER BY name COLLATE NOCASE, name"))?;
        let rows = stmt.query_map([], ConnectionRow::read)?.collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(|row| row.into_connection(&self.conn)).collect()
    }

    /// Rewrites a connection (see [`update`]) in a transaction of its own.
    pub fn update_connection(&self, c: &Connection, now: DateTime<Utc>) -> Result<Connection> {
        let tx = self.write()?;
        let stored = update(&tx, c, now)?;
        tx.commit()?;
        Ok(stored)
    }

    /// Deletes a connection (see [`remove`]) in a transaction of its own.
    pub fn remove_connection(&self, name: &str) -> Result<()> {
        let tx = self.write()?;
        remove(&tx, name)?;
        tx.commit()
    }
}

/// Creates a connection. Its id and its `created_at`, `updated_at` and
/// `metadata_imported_at` come from the catalog and `now`.
pub fn insert(tx: &WriteTx<'_>, c: &NewConnection, now: DateTime<Utc>) -> Result<Connection> {
    check_name(&c.name).map_err(Error::invalid)?;
    let imported = format_time(now);
    let row = WriteRow::new(&c.name, &c.idp, &c.sp, &c.policy, (&c.metadata_xml, &c.metadata_source, &imported), now)?
        .with_oidc(c.oidc.as_ref())?;
    if id_by_name(tx.db(), &c.name)?.is_some() {
        return Err(already_exists(&c.name));
    }
    let mut columns = row.columns();
    columns.push(("created_at", &row.updated_at));
    let id = insert_row(tx.db(), "connections", &columns).map_err(|e| unique_violation(e, &c.name))?;
    write_children(tx.db(), id, &row)?;
    load_by_id(tx.db(), id)
}

/// Rewrites the connection with `c.id` from `c` (a rename included), replacing its
/// certificates, endpoints and NameID formats. Keeps `created_at`, sets `updated_at`
/// to `now`; `metadata_imported_at` is taken from `c` (bump it when re-importing).
pub fn update(tx: &WriteTx<'_>, c: &Connection, now: DateTime<Utc>) -> Result<Connection> {
    check_name(&c.name).map_err(Error::invalid)?;
    let imported = format_time(c.metadata_imported_at);
    let row = WriteRow::new(&c.name, &c.idp, &c.sp, &c.policy, (&c.metadata_xml, &c.metadata_source, &imported), now)?
        .with_oidc(c.oidc.as_ref())?;
    match id_by_name(tx.db(), &c.name)? {
        Some(other) if other != c.id => return Err(already_exists(&c.name)),
        _ => {}
    }
    let changed = update_row(tx.db(), "connections", c.id, &row.columns()).map_err(|e| unique_violation(e, &c.name))?;
    if changed == 0 {
        return Err(Error::not_found(format!("connection {:?} (id {}) is no longer in the catalog", c.name, c.id)));
    }
    for table in ["connection_certificates", "connection_endpoints", "connection_name_id_formats", "connection_oidc"] {
        tx.db().execute(&format!("DELETE FROM {table} WHERE connection_id = ?1"), [c.id])?;
    }
    write_children(tx.db(), c.id, &row)?;
    load_by_id(tx.db(), c.id)
}

/// Deletes a connection with its certificates, endpoints and NameID formats.
pub fn remove(tx: &WriteTx<'_>, name: &str) -> Result<()> {
    let removed = tx.db().execute("DELETE FROM connections WHERE name = ?1", [name])?;
    if removed == 0 {
        return Err(not_found(name));
    }
    Ok(())
}

/// The connection with this name, read in `db` (a transaction sees its own writes).
pub fn get(db: &impl Read, name: &str) -> Result<Connection> {
    let id = id_by_name(db.db(), name)?.ok_or_else(|| not_found(name))?;
    load_by_id(db.db(), id)
}

fn not_found(name: &str) -> Error {
    Error::not_found(format!("there is no connection named {name:?}"))
}

fn already_exists(name: &str) -> Error {
    Error::new(
        ErrorCode::AlreadyExists,
        format!("a connection named {name:?} already exists; choose another name or change the existing one"),
    )
}

/// Maps a UNIQUE violation on `connections.name` (a concurrent insert) to AlreadyExists.
fn unique_violation(e: rusqlite::Error, name: &str) -> Error {
    match &e {
        rusqlite::Error::SqliteFailure(f, _) if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE => {
            already_exists(name)
        }
        _ => e.into(),
    }
}

fn corrupt(name: &str, what: &str, detail: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::Storage, format!("the catalog entry of connection {name:?} is corrupt ({what}): {detail}"))
}

fn id_by_name(conn: &rusqlite::Connection, name: &str) -> Result<Option<i64>> {
    Ok(conn.query_row("SELECT id FROM connections WHERE name = ?1", [name], |r| r.get(0)).optional()?)
}

/// What a connection's row and its child rows get, checked and encoded before the transaction.
struct WriteRow<'a> {
    name: &'a str,
    idp: &'a IdpDescriptor,
    sp: &'a SpConfig,
    metadata_xml: &'a str,
    metadata_source: &'a str,
    metadata_imported_at: &'a str,
    updated_at: String,
    valid_until: Option<String>,
    sp_certificate: Option<String>,
    policy: String,
    /// (DER, fingerprint, not_after) of each signing certificate, in order.
    certificates: Vec<(Vec<u8>, String, String)>,
    endpoints: Vec<(&'static str, Endpoint)>,
    name_id_formats: Vec<String>,
    protocol: &'static str,
    oidc: Option<&'a OidcSettings>,
}

impl<'a> WriteRow<'a> {
    /// `metadata` is the document, its source and when it was imported.
    fn new(
        name: &'a str,
        idp: &'a IdpDescriptor,
        sp: &'a SpConfig,
        policy: &SecurityPolicy,
        (metadata_xml, metadata_source, metadata_imported_at): (&'a str, &'a str, &'a str),
        now: DateTime<Utc>,
    ) -> Result<Self> {
        let certificates = idp
            .signing_certificates
            .iter()
            .map(|c| {
                let (der, parsed) = reparse(c, name, "IdP signing certificate")?;
                Ok((der, parsed.sha256_fingerprint, format_time(parsed.not_after)))
            })
            .collect::<Result<Vec<_>>>()?;
        let sp_certificate = sp
            .certificate
            .as_ref()
            .map(|c| reparse(c, name, "SP certificate").map(|(_, parsed)| parsed.der_base64))
            .transpose()?;
        let policy = serde_json::to_string(policy)
            .map_err(|e| Error::new(ErrorCode::Internal, format!("cannot encode the security policy: {e}")))?;
        let endpoints =
            idp.sso.iter().map(|e| ("sso", e.clone())).chain(idp.slo.iter().map(|e| ("slo", e.clone()))).collect();
        Ok(WriteRow {
            name,
            idp,
            sp,
            metadata_xml,
            metadata_source,
            metadata_imported_at,
            updated_at: format_time(now),
            valid_until: idp.valid_until.map(format_time),
            sp_certificate,
            policy,
            certificates,
            endpoints,
            name_id_formats: idp.name_id_formats.clone(),
            protocol: Protocol::Saml.as_str(),
            oidc: None,
        })
    }

    /// An OIDC connection's settings: its issuer is the IdP's entityID, and it has no SAML
    /// certificates or endpoints (the catalog would otherwise hold two contradicting IdPs).
    fn with_oidc(mut self, oidc: Option<&'a OidcSettings>) -> Result<Self> {
        let Some(settings) = oidc else { return Ok(self) };
        let bad = |what: String| Error::invalid(format!("the OIDC connection {:?} {what}", self.name));
        if settings.issuer != self.idp.entity_id {
            return Err(bad(format!(
                "has issuer {:?} but IdP entityID {:?}: they must be the same",
                settings.issuer, self.idp.entity_id
            )));
        }
        if !self.certificates.is_empty() || !self.endpoints.is_empty() {
            return Err(bad("cannot have SAML signing certificates or endpoints".to_owned()));
        }
        self.protocol = Protocol::Oidc.as_str();
        self.oidc = Some(settings);
        Ok(self)
    }

    /// The `connections` columns both an insert and an update write, with their values.
    fn columns(&self) -> Vec<(&'static str, &dyn ToSql)> {
        vec![
            ("name", &self.name),
            ("idp_entity_id", &self.idp.entity_id),
            ("want_authn_requests_signed", &self.idp.want_authn_requests_signed),
            ("valid_until", &self.valid_until),
            ("metadata_xml", &self.metadata_xml),
            ("metadata_source", &self.metadata_source),
            ("metadata_imported_at", &self.metadata_imported_at),
            ("sp_entity_id", &self.sp.entity_id),
            ("sp_acs_url", &self.sp.acs_url),
            ("sp_certificate", &self.sp_certificate),
            ("policy", &self.policy),
            ("updated_at", &self.updated_at),
            ("protocol", &self.protocol),
        ]
    }
}

/// Only a certificate that parses goes in, so that it can always be read back.
fn reparse(c: &Certificate, name: &str, what: &str) -> Result<(Vec<u8>, Certificate)> {
    let bad = |detail: String| Error::invalid(format!("the {what} of connection {name:?} is unusable: {detail}"));
    let der = base64::engine::general_purpose::STANDARD
        .decode(c.der_base64.as_bytes())
        .map_err(|e| bad(format!("its DER is not valid base64: {e}")))?;
    let parsed = Certificate::from_der(&der).map_err(|e| bad(e.to_string()))?;
    Ok((der, parsed))
}

fn write_children(tx: &rusqlite::Connection, id: i64, row: &WriteRow) -> Result<()> {
    let mut certs = tx.prepare_cached(
        "INSERT INTO connection_certificates (connection_id, position, der, sha256_fingerprint, not_after)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (position, (der, fingerprint, not_after)) in (0_i64..).zip(&row.certificates) {
        certs.execute(params![id, position, der, fingerprint, not_after])?;
    }
    let mut endpoints = tx.prepare_cached(
        "INSERT INTO connection_endpoints (connection_id, kind, position, binding, location)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for kind in ["sso", "slo"] {
        let of_kind = row.endpoints.iter().filter(|(k, _)| *k == kind);
        for (position, (_, e)) in (0_i64..).zip(of_kind) {
            endpoints.execute(params![id, kind, position, e.binding, e.location])?;
        }
    }
    let mut formats = tx.prepare_cached(
        "INSERT INTO connection_name_id_formats (connection_id, position, format) VALUES (?1, ?2, ?3)",
    )?;
    for (position, format) in (0_i64..).zip(&row.name_id_formats) {
        formats.execute(params![id, position, format])?;
    }
    if let Some(settings) = row.oidc {
        super::oidc::write_settings(tx, id, settings)?;
    }
    Ok(())
}

const CONNECTION_COLUMNS: &str = "id, name, idp_entity_id, want_authn_requests_signed, valid_until, \
     metadata_xml, metadata_source, metadata_imported_at, sp_entity_id, sp_acs_url, sp_certificate, \
     policy, created_at, updated_at, protocol";

fn load_by_id(conn: &rusqlite::Connection, id: i64) -> Result<Connection> {
    let row = conn
        .query_row(&format!("SELECT {CONNECTION_COLUMNS} FROM connections WHERE id = ?1"), [id], ConnectionRow::read)
        .optional()?
        .ok_or_else(|| Error::not_found(format!("there is no connection with id {id}")))?;
    row.into_connection(conn)
}

/// A `connections` row as stored, before decoding.
struct ConnectionRow {
    id: i64,
    name: String,
    idp_entity_id: String,
    want_authn_requests_signed: bool,
    valid_until: Option<String>,
    metadata_xml: String,
    metadata_source: String,
    metadata_imported_at: String,
    sp_entity_id: Option<String>,
    sp_acs_url: Option<String>,
    sp_certificate: Option<String>,
    policy: String,
    created_at: String,
    updated_at: String,
    protocol: String,
}

impl ConnectionRow {
    /// In `CONNECTION_COLUMNS` order.
    fn read(r: &Row<'_>) -> rusqlite::Result<ConnectionRow> {
        Ok(ConnectionRow {
            id: r.get(0)?,
            name: r.get(1)?,
            idp_entity_id: r.get(2)?,
            want_authn_requests_signed: r.get(3)?,
            valid_until: r.get(4)?,
            metadata_xml: r.get(5)?,
            metadata_source: r.get(6)?,
            metadata_imported_at: r.get(7)?,
            sp_entity_id: r.get(8)?,
            sp_acs_url: r.get(9)?,
            sp_certificate: r.get(10)?,
            policy: r.get(11)?,
            created_at: r.get(12)?,
            updated_at: r.get(13)?,
            protocol: r.get(14)?,
        })
    }

    fn into_connection(self, conn: &rusqlite::Connection) -> Result<Connection> {
        let name = self.name;
        let time = |text: &str, what: &str| parse_time(text).map_err(|e| corrupt(&name, what, e.message));
        let valid_until = self.valid_until.as_deref().map(|t| time(t, "valid_until")).transpose()?;
        let metadata_imported_at = time(&self.metadata_imported_at, "metadata_imported_at")?;
        let created_at = time(&self.created_at, "created_at")?;
        let updated_at = time(&self.updated_at, "updated_at")?;
        let policy: SecurityPolicy =
            serde_json::from_str(&self.policy).map_err(|e| corrupt(&name, "security policy", e))?;
        let sp_certificate = self
            .sp_certificate
            .as_deref()
            .map(|b64| Certificate::from_base64(b64).map_err(|e| corrupt(&name, "SP certificate", e)))
            .transpose()?;

        let signing_certificates = load_certificates(conn, self.id, &name)?;
        let (sso, slo) = load_endpoints(conn, self.id, &name)?;
        let mut stmt = conn.prepare_cached(
            "SELECT format FROM connection_name_id_formats WHERE connection_id = ?1 ORDER BY position",
        )?;
        let name_id_formats = stmt.query_map([self.id], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
        let oidc = match self.protocol.as_str() {
            "saml" => None,
            "oidc" => Some(
                super::oidc::load_settings(conn, self.id)?
                    .ok_or_else(|| corrupt(&name, "OIDC settings", "the connection_oidc row is missing"))?,
            ),
            other => return Err(corrupt(&name, "protocol", format!("unknown protocol {other:?}"))),
        };

        Ok(Connection {
            id: self.id,
            idp: IdpDescriptor {
                entity_id: self.idp_entity_id,
                sso,
                slo,
                name_id_formats,
                signing_certificates,
                want_authn_requests_signed: self.want_authn_requests_signed,
                valid_until,
            },
            sp: SpConfig { entity_id: self.sp_entity_id, acs_url: self.sp_acs_url, certificate: sp_certificate },
            policy,
            metadata_xml: self.metadata_xml,
            metadata_source: self.metadata_source,
            metadata_imported_at,
            created_at,
            updated_at,
            oidc,
            name,
        })
    }
}

fn load_certificates(conn: &rusqlite::Connection, id: i64, name: &str) -> Result<Vec<Certificate>> {
    let mut stmt = conn.prepare_cached(
        "SELECT der, sha256_fingerprint FROM connection_certificates WHERE connection_id = ?1 ORDER BY position",
    )?;
    let rows = stmt
        .query_map([id], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(der, fingerprint)| {
            let cert = Certificate::from_der(&der).map_err(|e| corrupt(name, "IdP signing certificate", e))?;
            if cert.sha256_fingerprint != fingerprint {
                return Err(corrupt(
                    name,
                    "IdP signing certificate",
                    format!("its SHA-256 is {} but the catalog recorded {fingerprint}", cert.sha256_fingerprint),
                ));
            }
            Ok(cert)
        })
        .collect()
}

fn load_endpoints(conn: &rusqlite::Connection, id: i64, name: &str) -> Result<(Vec<Endpoint>, Vec<Endpoint>)> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, binding, location FROM connection_endpoints WHERE connection_id = ?1 ORDER BY kind, position",
    )?;
    let rows = stmt
        .query_map([id], |r| Ok((r.get::<_, String>(0)?, Endpoint { binding: r.get(1)?, location: r.get(2)? })))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let (mut sso, mut slo) = (Vec::new(), Vec::new());
    for (kind, endpoint) in rows {
        match kind.as_str() {
            "sso" => sso.push(endpoint),
            "slo" => slo.push(endpoint),
            other => return Err(corrupt(name, "endpoint", format!("unknown kind {other:?}"))),
        }
    }
    Ok((sso, slo))
}
