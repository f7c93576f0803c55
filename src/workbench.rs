//! The core API. The CLI and the desktop app are thin shells over these calls; every
//! error crosses their boundaries as `{code, message}`.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::certs::Certificate;
use crate::connection::{self, Connection, Endpoint, SecurityPolicy, SpConfig, SpEndpoints};
use crate::error::{Error, ErrorCode, Result};
use crate::metadata::{self, MetadataWarning};
use crate::provision;
use crate::secrets::{self, SecretStore};
use crate::sensitive::Sensitive;
use crate::sp;
use crate::store::replay::ReplayKey;
use crate::store::{NewConnection, Store};
use crate::validate::{self, Report};

pub use crate::options::OpenOptions;

pub struct Workbench {
    store: Store,
    secrets: Arc<dyn SecretStore>,
    base_url: String,
}

/// A connection as the CLI and the app show it: the SP values in effect, not just the stored ones.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ConnectionView {
    pub name: String,
    pub idp_entity_id: String,
    pub sso: Vec<Endpoint>,
    pub slo: Vec<Endpoint>,
    pub name_id_formats: Vec<String>,
    pub want_authn_requests_signed: bool,
    pub valid_until: Option<DateTime<Utc>>,
    pub signing_certificates: Vec<Certificate>,
    pub sp: SpView,
    pub policy: SecurityPolicy,
    pub metadata_source: String,
    pub metadata_imported_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct SpView {
    pub entity_id: String,
    pub acs_url: String,
    /// False when derived from the embedded SP's base URL (follows `--port`).
    pub entity_id_explicit: bool,
    pub acs_url_explicit: bool,
    pub certificate: Option<Certificate>,
}

/// What `connection import` needs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ImportRequest {
    pub name: String,
    pub metadata_xml: String,
    /// File path, URL or "stdin", kept with the connection.
    pub source: String,
    pub entity_id: Option<String>,
    pub sp_entity_id: Option<String>,
    pub acs_url: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ImportOutcome {
    pub connection: ConnectionView,
    pub warnings: Vec<MetadataWarning>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchResult {
    pub iterations: u64,
    pub seconds: f64,
    pub validations_per_sec: f64,
}

fn check_url(what: &str, value: &str) -> Result<()> {
    let parsed =
        url::Url::parse(value).map_err(|e| Error::invalid(format!("{what} {value:?} is not an absolute URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::invalid(format!("{what} {value:?} must be an http or https URL")));
    }
    Ok(())
}

impl Workbench {
    pub fn open(options: &OpenOptions) -> Result<Self> {
        let path = Store::resolve_path(options.db.as_deref())?;
        let store = Store::open(&path)?;
        let secrets = secrets::open(&options.secret_store)?;
        Ok(Self::with_parts(store, secrets, connection::base_url(options.port)))
    }

    /// For tests and embedders that build the parts themselves.
    pub fn with_parts(store: Store, secrets: Arc<dyn SecretStore>, base_url: String) -> Self {
        Workbench { store, secrets, base_url }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn database_path(&self) -> Option<&Path> {
        self.store.path()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn secrets(&self) -> &Arc<dyn SecretStore> {
        &self.secrets
    }

    pub(crate) fn view_of(&self, c: &Connection) -> ConnectionView {
        self.view(c)
    }

    fn view(&self, c: &Connection) -> ConnectionView {
        let resolved = c.sp.resolve(&c.name, &self.base_url);
        ConnectionView {
            name: c.name.clone(),
            idp_entity_id: c.idp.entity_id.clone(),
            sso: c.idp.sso.clone(),
            slo: c.idp.slo.clone(),
            name_id_formats: c.idp.name_id_formats.clone(),
            want_authn_requests_signed: c.idp.want_authn_requests_signed,
            valid_until: c.idp.valid_until,
            signing_certificates: c.idp.signing_certificates.clone(),
            sp: SpView {
                entity_id: resolved.entity_id,
                acs_url: resolved.acs_url,
                entity_id_explicit: c.sp.entity_id.is_some(),
                acs_url_explicit: c.sp.acs_url.is_some(),
                certificate: c.sp.certificate.clone(),
            },
            policy: c.policy.clone(),
            metadata_source: c.metadata_source.clone(),
            metadata_imported_at: c.metadata_imported_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }

    /// Imports IdP metadata as a new connection and gives it a fresh SP key pair (the key
    /// goes to the secret store, the certificate into the SP metadata).
    pub fn import_connection(&self, request: &ImportRequest, now: DateTime<Utc>) -> Result<ImportOutcome> {
        connection::check_name(&request.name).map_err(Error::invalid)?;
        if request.sp_entity_id.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(Error::invalid("--sp-entity-id is empty"));
        }
        if let Some(v) = &request.acs_url {
            check_url("--acs-url", v)?;
        }
        if self.store.get_connection(&request.name).is_ok() {
            return Err(Error::new(
                ErrorCode::AlreadyExists,
                format!("a connection named {:?} already exists; remove it first or pick another --name", request.name),
            ));
        }
        let imported = metadata::import(&request.metadata_xml, request.entity_id.as_deref(), now)?;
        let stored = self.insert_with_new_key(
            NewConnection {
                name: request.name.clone(),
                idp: imported.idp,
                sp: SpConfig {
                    entity_id: request.sp_entity_id.clone(),
                    acs_url: request.acs_url.clone(),
                    certificate: None,
                },
                policy: SecurityPolicy::default(),
                metadata_xml: request.metadata_xml.clone(),
                metadata_source: request.source.clone(),
            },
            now,
        )?;
        Ok(ImportOutcome { connection: self.view(&stored), warnings: imported.warnings })
    }

    /// Stores `new` with a fresh SP key pair: the key in the secret store, the certificate
    /// in the catalog; no orphaned key is left when the insert fails.
    pub(crate) fn insert_with_new_key(&self, mut new: NewConnection, now: DateTime<Utc>) -> Result<Connection> {
        let pair = sp::generate_key_pair(&format!("Handshake SP {}", new.name), now)?;
        let key_name = secrets::sp_key(&new.name);
        self.secrets.set(&key_name, &pair.key_pem)?;
        new.sp.certificate = Some(pair.certificate);
        self.store.insert_connection(&new, now).inspect_err(|_| {
            let _ = self.secrets.delete(&key_name);
        })
    }

    pub fn list_connections(&self) -> Result<Vec<ConnectionView>> {
        Ok(self.store.list_connections()?.iter().map(|c| self.view(c)).collect())
    }

    pub fn connection(&self, name: &str) -> Result<ConnectionView> {
        Ok(self.view(&self.store.get_connection(name)?))
    }

    /// Removes the connection and its SP key. The catalog row goes first: a keyring that
    /// cannot be reached must not keep an admin from removing a connection, so that case
    /// is reported, not fatal.
    pub fn remove_connection(&self, name: &str) -> Result<RemoveOutcome> {
        let connection = self.store.get_connection(name)?;
        self.store.remove_connection(&connection.name)?;
        let key_removed = match self.secrets.delete(&secrets::sp_key(&connection.name)) {
            Ok(()) => None,
            Err(e) => Some(format!("the SP key could not be removed from the secret store: {}", e.message)),
        };
        Ok(RemoveOutcome { name: connection.name, warning: key_removed })
    }

    /// Replaces the SP key pair with an admin's PEM key and certificate.
    pub fn set_sp_key(
        &self,
        name: &str,
        key_pem: Sensitive<Vec<u8>>,
        cert_pem: &[u8],
        now: DateTime<Utc>,
    ) -> Result<ConnectionView> {
        let mut connection = self.store.get_connection(name)?;
        let pair = sp::import_key_pair(key_pem, cert_pem)?;
        self.secrets.set(&secrets::sp_key(&connection.name), &pair.key_pem)?;
        connection.sp.certificate = Some(pair.certificate);
        let updated = self.store.update_connection(&connection, now)?;
        Ok(self.view(&updated))
    }

    /// Replaces the connection's security policy.
    pub fn set_policy(&self, name: &str, policy: SecurityPolicy, now: DateTime<Utc>) -> Result<ConnectionView> {
        policy.check().map_err(Error::invalid)?;
        let mut c = self.store.get_connection(name)?;
        c.policy = policy;
        Ok(self.view(&self.store.update_connection(&c, now)?))
    }

    pub fn sp_metadata(&self, name: &str) -> Result<String> {
        let c = self.store.get_connection(name)?;
        let sp = c.sp.resolve(&c.name, &self.base_url);
        let signs = c.policy.sign_authn_requests || c.idp.want_authn_requests_signed;
        sp::metadata_xml(&sp, c.sp.certificate.as_ref(), signs)
    }

    pub(crate) fn load_sp_key(
        &self,
        connection: &str,
    ) -> std::result::Result<Sensitive<openssl::pkey::PKey<openssl::pkey::Private>>, String> {
        let pem = secrets::require(self.secrets.as_ref(), &secrets::sp_key(connection), "SP private key")
            .map_err(|e| e.message)?;
        sp::parse_private_key(&pem).map(Sensitive::new).map_err(|e| e.message)
    }

    /// Validates a SAMLResponse for a connection at instant `at`. No side effects.
    pub fn verify(
        &self,
        name: &str,
        saml_response: &str,
        at: DateTime<Utc>,
        in_response_to: Option<&str>,
    ) -> Result<Report> {
        let c = self.store.get_connection(name)?;
        Ok(self.validate_for(&c, saml_response, at, Expect::outstanding(in_response_to)))
    }

    pub(crate) fn validate_for(
        &self,
        c: &Connection,
        saml_response: &str,
        at: DateTime<Utc>,
        expect: Expect<'_>,
    ) -> Report {
        let sp: SpEndpoints = c.sp.resolve(&c.name, &self.base_url);
        let key_source = || self.load_sp_key(&c.name);
        let ctx = validate::Context {
            idp_entity_id: &c.idp.entity_id,
            signing_certificates: &c.idp.signing_certificates,
            sp: &sp,
            policy: &c.policy,
            decryption_key: Some(&key_source),
            now: at,
            in_response_to: expect.in_response_to,
            expired_request: expect.expired_request,
        };
        validate::validate(&normalise_response_input(saml_response), &ctx)
    }

    /// Validates the same response `iterations` times after a warm-up; reports the rate.
    pub fn bench(
        &self,
        name: &str,
        saml_response: &str,
        at: DateTime<Utc>,
        in_response_to: Option<&str>,
        iterations: u64,
    ) -> Result<BenchResult> {
        if iterations == 0 {
            return Err(Error::invalid("--iterations must be at least 1"));
        }
        let c = self.store.get_connection(name)?;
        let first = self.validate_for(&c, saml_response, at, Expect::outstanding(in_response_to));
        if !first.accepted() {
            let why = first.error.map(|e| e.message).unwrap_or_default();
            return Err(Error::invalid(format!(
                "the response is rejected ({why}); benchmark a response that validates"
            )));
        }
        for _ in 0..iterations.min(50) {
            let _ = self.validate_for(&c, saml_response, at, Expect::outstanding(in_response_to));
        }
        let start = Instant::now();
        for _ in 0..iterations {
            std::hint::black_box(self.validate_for(&c, saml_response, at, Expect::outstanding(in_response_to)));
        }
        let seconds = start.elapsed().as_secs_f64();
        Ok(BenchResult { iterations, seconds, validations_per_sec: iterations as f64 / seconds.max(f64::MIN_POSITIVE) })
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct RemoveOutcome {
    pub name: String,
    pub warning: Option<String>,
}

/// A SAML tracer shows the decoded XML; the form carries base64. Accept both.
pub fn normalise_response_input(input: &str) -> String {
    let trimmed = input.trim_start_matches('\u{feff}').trim();
    if trimmed.starts_with('<') { crate::idp::sign::to_post_form_value(trimmed) } else { input.to_owned() }
}

/// What the response must answer: the outstanding AuthnRequest, if any, and an expired one
/// it may name (reported as such rather than as unknown).
#[derive(Debug, Clone, Copy, Default)]
pub struct Expect<'a> {
    pub in_response_to: Option<&'a str>,
    pub expired_request: Option<&'a str>,
}

impl<'a> Expect<'a> {
    pub fn outstanding(in_response_to: Option<&'a str>) -> Self {
        Expect { in_response_to, expired_request: None }
    }
}

/// What `provision` reports: validation, then provisioning.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ProvisionReport {
    pub outcome: provision::Outcome,
    pub dry_run: bool,
    pub verdict: validate::Verdict,
    /// The failed validation check id, or `replay`, or the provisioning rule that denied.
    pub failed_check: Option<String>,
    pub reason: Option<String>,
    pub message: Option<String>,
    pub user: Option<provision::User>,
    pub diff: Vec<provision::FieldChange>,
    pub trace: Option<provision::Trace>,
    pub checks: Vec<validate::CheckResult>,
    pub name_id: Option<validate::NameId>,
    pub attributes: Vec<validate::Attribute>,
    /// Which parts a verified signature covered, and whether the assertion was encrypted.
    #[serde(default)]
    pub response_signed: bool,
    #[serde(default)]
    pub assertion_signed: bool,
    #[serde(default)]
    pub encrypted: bool,
}

/// Audit export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditFormat {
    JsonLines,
    Csv,
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

impl Workbench {
    fn mapping_of(&self, c: &Connection) -> Result<provision::MappingDocument> {
        Ok(provision::db::get_mapping(self.store.raw(), c.id)?.unwrap_or_default())
    }

    /// The connection's mapping document (the generic default until one is set).
    pub fn mapping(&self, name: &str) -> Result<provision::MappingDocument> {
        let c = self.store.get_connection(name)?;
        self.mapping_of(&c)
    }

    pub fn set_mapping(
        &self,
        name: &str,
        doc: &provision::MappingDocument,
        now: DateTime<Utc>,
    ) -> Result<provision::MappingDocument> {
        let c = self.store.get_connection(name)?;
        doc.check().map_err(|e| Error::invalid(format!("the mapping is not valid: {e}")))?;
        provision::db::set_mapping(self.store.raw(), c.id, doc, now)?;
        self.mapping_of(&c)
    }

    pub fn apply_preset(&self, name: &str, preset: &str, now: DateTime<Utc>) -> Result<provision::MappingDocument> {
        let doc = provision::presets::preset(preset).ok_or_else(|| {
            Error::invalid(format!("unknown preset {preset:?}; presets: {}", provision::presets::PRESETS.join(", ")))
        })?;
        self.set_mapping(name, &doc, now)
    }

    /// Validates a response, then maps and provisions it (or, with `dry_run`, reports what
    /// would happen and writes nothing at all).
    pub fn provision(
        &self,
        name: &str,
        saml_response: &str,
        at: DateTime<Utc>,
        in_response_to: Option<&str>,
        dry_run: bool,
    ) -> Result<ProvisionReport> {
        let c = self.store.get_connection(name)?;
        Ok(self.provision_for(&c, saml_response, at, Expect::outstanding(in_response_to), dry_run)?.0)
    }

    /// Validation + provisioning for a loaded connection, written in one transaction (rolled
    /// back for a dry run); also returns the decoded XML.
    pub(crate) fn provision_for(
        &self,
        c: &Connection,
        saml_response: &str,
        at: DateTime<Utc>,
        expect: Expect<'_>,
        dry_run: bool,
    ) -> Result<(ProvisionReport, Option<String>)> {
        let report = self.validate_for(c, saml_response, at, expect);
        let tx = self.store.write_transaction()?;
        let out = record_judged_login(&tx, c, &report, at, dry_run)?;
        if dry_run {
            tx.rollback()?;
        } else {
            tx.commit()?;
        }
        Ok((out, report.response_xml))
    }

    /// Maps a plain attribute set without a response (what the mapping editor previews).
    pub fn dry_run_claims(
        &self,
        name: &str,
        claims: &provision::Claims,
        now: DateTime<Utc>,
    ) -> Result<provision::ProvisionResult> {
        let c = self.store.get_connection(name)?;
        let mapping = self.mapping_of(&c)?;
        provision::provision(
            &self.store,
            &provision::Login { connection: &c, mapping: &mapping, claims, replay: None, now, dry_run: true },
        )
    }

    pub fn users(&self, connection: Option<&str>) -> Result<Vec<provision::User>> {
        if let Some(name) = connection {
            self.store.get_connection(name)?;
        }
        provision::db::list_users(self.store.raw(), connection)
    }

    pub fn user(&self, id: i64) -> Result<provision::User> {
        provision::db::user_by_id(self.store.raw(), id)?
            .ok_or_else(|| Error::not_found(format!("there is no user {id}; run `handshake users list`")))
    }

    pub fn set_user_status(
        &self,
        id: i64,
        status: provision::UserStatus,
        now: DateTime<Utc>,
    ) -> Result<provision::User> {
        if !provision::db::set_status(self.store.raw(), id, status, now)? {
            return Err(Error::not_found(format!("there is no user {id}; run `handshake users list`")));
        }
        self.user(id)
    }

    pub fn delete_user(&self, id: i64) -> Result<()> {
        if !provision::db::delete_user(self.store.raw(), id)? {
            return Err(Error::not_found(format!("there is no user {id}; run `handshake users list`")));
        }
        Ok(())
    }

    pub fn audit(&self, connection: Option<&str>, since: Option<DateTime<Utc>>) -> Result<Vec<provision::AuditEntry>> {
        provision::db::list_audit(self.store.raw(), connection, since)
    }

    /// The audit log as JSON lines (one object per line) or CSV (header row first).
    pub fn export_audit(
        &self,
        connection: Option<&str>,
        since: Option<DateTime<Utc>>,
        format: AuditFormat,
    ) -> Result<String> {
        render_audit(&self.audit(connection, since)?, format)
    }
}

/// Writes what a judged response leads to, inside the caller's write transaction: the
/// audit row of a rejection, or the provisioning of an accepted login (its replay key, the
/// account, the audit row).
pub(crate) fn record_judged_login(
    tx: &rusqlite::Connection,
    c: &Connection,
    report: &Report,
    at: DateTime<Utc>,
    dry_run: bool,
) -> Result<ProvisionReport> {
    let mut out = ProvisionReport {
        outcome: provision::Outcome::Rejected,
        dry_run,
        verdict: report.verdict,
        failed_check: report.error.as_ref().map(|e| e.check.as_str().to_owned()),
        reason: report.error.as_ref().map(|e| e.violation.to_owned()),
        message: report.error.as_ref().map(|e| format!("{} ({})", e.message, e.hint)),
        user: None,
        diff: Vec::new(),
        trace: None,
        checks: report.checks.clone(),
        name_id: report.name_id.clone(),
        attributes: report.attributes.clone(),
        response_signed: report.response_signed,
        assertion_signed: report.assertion_signed,
        encrypted: report.encrypted,
    };
    if !report.accepted() {
        let entry = provision::AuditEntry {
            id: 0,
            at,
            connection: c.name.clone(),
            subject: report.name_id.as_ref().map(|n| n.value.clone()),
            outcome: "rejected".into(),
            reason: out.failed_check.clone(),
            failed_check: out.failed_check.clone(),
            message: out.message.clone(),
            user_id: None,
            diff: Vec::new(),
        };
        if report.authenticated() {
            provision::db::insert_audit(tx, &entry, Some(c.id))?;
        } else {
            provision::db::insert_unauthenticated_audit(tx, &entry, Some(c.id))?;
        }
        return Ok(out);
    }
    let mapping = provision::db::get_mapping(tx, c.id)?.unwrap_or_default();
    let claims = provision::Claims { name_id: report.name_id.clone(), attributes: report.attributes.clone() };
    let replay = report.assertion_id.as_ref().map(|id| ReplayKey {
        issuer: c.idp.entity_id.clone(),
        kind: "saml_assertion",
        id: id.clone(),
        not_on_or_after: report.not_on_or_after,
    });
    let mut result = provision::provision_in(
        tx,
        &provision::Login { connection: c, mapping: &mapping, claims: &claims, replay, now: at, dry_run },
    )?;
    result.trace.notes.splice(0..0, report.notes.iter().cloned());
    out.outcome = result.outcome;
    out.failed_check = match result.outcome {
        provision::Outcome::Rejected | provision::Outcome::Denied => result.reason.clone(),
        _ => None,
    };
    out.reason = result.reason;
    out.message = result.message;
    out.user = result.user;
    out.diff = result.diff;
    out.trace = Some(result.trace);
    Ok(out)
}

/// Audit rows as JSON lines (one object per line) or CSV (header row first).
pub fn render_audit(entries: &[provision::AuditEntry], format: AuditFormat) -> Result<String> {
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
            let header = ["id", "at", "connection", "subject", "outcome", "reason", "message", "user_id", "diff"];
            out.push_str(&header.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
            out.push('\n');
            for e in entries {
                let diff = serde_json::to_string(&e.diff).unwrap_or_default();
                let row = [
                    e.id.to_string(),
                    e.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    e.connection.clone(),
                    e.subject.clone().unwrap_or_default(),
                    e.outcome.clone(),
                    e.reason.clone().unwrap_or_default(),
                    e.message.clone().unwrap_or_default(),
                    e.user_id.map(|i| i.to_string()).unwrap_or_default(),
                    diff,
                ];
                out.push_str(&row.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
                out.push('\n');
            }
        }
    }
    Ok(out)
}
