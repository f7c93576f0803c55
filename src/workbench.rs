//! The core API. The CLI and the desktop app are thin shells over these calls; every
//! error crosses their boundaries as `{code, message}`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::certs::Certificate;
use crate::connection::{self, Connection, Endpoint, SecurityPolicy, SpConfig, SpEndpoints};
use crate::error::{Error, ErrorCode, Result};
use crate::metadata::{self, MetadataWarning};
use crate::secrets::{self, SecretStore, SecretStoreKind};
use crate::sensitive::Sensitive;
use crate::sp;
use crate::store::{NewConnection, Store};
use crate::validate::{self, Report};

/// Where a Workbench keeps its state and which port the embedded SP answers on.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// `--db`; `None` falls back to `HANDSHAKE_DB`, then the user's data directory.
    pub db: Option<PathBuf>,
    pub secret_store: SecretStoreKind,
    pub port: u16,
}

pub struct Workbench {
    store: Store,
    secrets: Arc<dyn SecretStore>,
    base_url: String,
}

/// A connection as the CLI and the app show it: the SP values in effect, not just the stored ones.
#[derive(Debug, Clone, Serialize)]
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
pub struct SpView {
    pub entity_id: String,
    pub acs_url: String,
    /// False when derived from the embedded SP's base URL (follows `--port`).
    pub entity_id_explicit: bool,
    pub acs_url_explicit: bool,
    pub certificate: Option<Certificate>,
}

/// What `connection import` needs.
#[derive(Debug, Clone, Default)]
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
        let pair = sp::generate_key_pair(&format!("Handshake SP {}", request.name), now)?;
        let key_name = secrets::sp_key(&request.name);
        self.secrets.set(&key_name, &pair.key_pem)?;
        let new = NewConnection {
            name: request.name.clone(),
            idp: imported.idp,
            sp: SpConfig {
                entity_id: request.sp_entity_id.clone(),
                acs_url: request.acs_url.clone(),
                certificate: Some(pair.certificate),
            },
            policy: SecurityPolicy::default(),
            metadata_xml: request.metadata_xml.clone(),
            metadata_source: request.source.clone(),
        };
        let stored = match self.store.insert_connection(&new, now) {
            Ok(c) => c,
            Err(e) => {
                // Leave no orphaned key behind.
                let _ = self.secrets.delete(&key_name);
                return Err(e);
            }
        };
        Ok(ImportOutcome { connection: self.view(&stored), warnings: imported.warnings })
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

    pub fn sp_metadata(&self, name: &str) -> Result<String> {
        let c = self.store.get_connection(name)?;
        let sp = c.sp.resolve(&c.name, &self.base_url);
        let signs = c.policy.sign_authn_requests || c.idp.want_authn_requests_signed;
        sp::metadata_xml(&sp, c.sp.certificate.as_ref(), signs)
    }

    fn load_sp_key(
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
        Ok(self.validate_for(&c, saml_response, at, in_response_to))
    }

    fn validate_for(
        &self,
        c: &Connection,
        saml_response: &str,
        at: DateTime<Utc>,
        in_response_to: Option<&str>,
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
            in_response_to,
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
        let first = self.validate_for(&c, saml_response, at, in_response_to);
        if !first.accepted() {
            let why = first.error.map(|e| e.message).unwrap_or_default();
            return Err(Error::invalid(format!(
                "the response is rejected ({why}); benchmark a response that validates"
            )));
        }
        for _ in 0..iterations.min(50) {
            let _ = self.validate_for(&c, saml_response, at, in_response_to);
        }
        let start = Instant::now();
        for _ in 0..iterations {
            std::hint::black_box(self.validate_for(&c, saml_response, at, in_response_to));
        }
        let seconds = start.elapsed().as_secs_f64();
        Ok(BenchResult { iterations, seconds, validations_per_sec: iterations as f64 / seconds.max(f64::MIN_POSITIVE) })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RemoveOutcome {
    pub name: String,
    pub warning: Option<String>,
}

/// A SAML tracer shows the decoded XML; the form carries base64. Accept both.
pub fn normalise_response_input(input: &str) -> String {
    let trimmed = input.trim_start_matches('\u{feff}').trim();
    if trimmed.starts_with('<') { crate::idp::sign::to_post_form_value(trimmed) } else { input.to_owned() }
}
