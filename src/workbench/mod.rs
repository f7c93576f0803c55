//! The core API: every operation the CLI, the desktop app and the embedded server perform,
//! split by area. This folder holds the only `impl Workbench`:
//!
//! - [`connections`]: import metadata (applying the detected vendor's mapping preset),
//!   list with status and certificate expiry, duplicate, export and import as a file,
//!   re-import with a diff, security policy, SP URLs and keys, SP metadata;
//! - [`logins`]: verify, provision and bench a response, start and complete test logins at
//!   the embedded SP (one write transaction each);
//! - [`oidc_login`]: OpenID Connect test logins (start, callback plan, completion in one
//!   write transaction) and ID tokens judged offline;
//! - [`analysis`]: judge a captured response offline, as this connection's SP or as the SP
//!   it was addressed to, now or at its own time (writes nothing);
//! - [`mapping`]: the mapping document, presets, previews and dry runs;
//! - [`oidc`]: OpenID Connect connections: discovery preview, add, re-discover, settings
//!   and client secret;
//! - [`directory`]: users and the audit log: search, detail, status, delete, export;
//! - [`demo`]: the built-in demo IdP, its people, scenarios and story, and reset;
//! - [`scim`]: SCIM 2.0 requests into the directory (one write transaction each);
//!   [`scim_admin`]: the endpoint, its token and request log; [`scim_report`]: the lifecycle
//!   policy and the JIT/SCIM reports.
//!
//! Every operation that changes the catalog on an admin's behalf (imports, re-imports,
//! mapping, policy, SP URLs and keys, user status and deletion, demo reset) writes one audit
//! row in its own write transaction (`audit`): the actor (the OS user the shell found, given
//! at open like the port), the action and a diff that never holds a secret.
//!
//! Operations take the instant as a parameter (`now`); nothing here reads the clock. Errors
//! cross every boundary as `{code, message}` ([`crate::Error`]); messages name concepts, and
//! each shell adds its own hints (flags, buttons).

pub mod analysis;
mod audit;
pub mod connections;
pub mod demo;
mod demo_oidc;
mod demo_op;
mod demo_reset;
pub mod demo_scim;
pub mod demo_story;
pub mod directory;
pub mod logins;
pub mod mapping;
pub mod oidc;
mod oidc_changes;
mod oidc_key;
pub mod oidc_login;
pub mod scim;
pub mod scim_admin;
mod scim_groups;
mod scim_redact;
pub mod scim_report;
mod scim_users;
mod sp_side;
pub mod xmlview;

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::certs::Certificate;
use crate::connection::{self, Connection, Endpoint, Protocol, SecurityPolicy};
use crate::error::Result;
use crate::secrets::{self, SecretStore};
use crate::sensitive::Sensitive;
use crate::sp;
use crate::store::Store;

pub use crate::directory::{AuditQuery, UserQuery};
pub use crate::login::ProvisionReport;
pub use crate::options::OpenOptions;
pub use analysis::{
    AnalyzeResult, JudgeAs, JudgeAt, Judged, JudgedValue, JudgingContext, ResponseAddressing, ValueSource,
};
pub use connections::{
    CertificateExpiry, ConnectionFile, ConnectionSummary, ExpiryLevel, IdpPreview, ImportOutcome, ImportRequest,
    MetadataChange, MetadataPreview, ReimportPreview, RemoveOutcome, TestStatus,
};
pub use directory::{AuditFormat, UserDetail, render_audit};
pub use logins::XmlLine;
pub use logins::{BenchResult, TestLoginDetail};
pub use mapping::{MappingPreview, PresetInfo};
pub use oidc::{AddOidc, ManualEndpoints, OidcPreview, OidcSource, OidcView};
pub use oidc_changes::OidcSettingsPatch;
pub use scim::ScimGate;
pub use scim_admin::{ScimEnabled, ScimStatus};
pub use scim_groups::MAX_GROUP_MEMBERS;
pub use scim_report::{Disagreement, ReportUser, ScimReport};

pub struct Workbench {
    store: Store,
    secrets: Arc<dyn SecretStore>,
    base_url: String,
    /// Who the audit log names on admin rows: the OS user the shell found ([`crate::options::os_user`]).
    actor: String,
}

/// A connection as the CLI and the app show it: the SP values in effect, not just the stored ones.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ConnectionView {
    pub name: String,
    pub protocol: Protocol,
    /// For an OIDC connection, `idp_entity_id` is its issuer.
    pub idp_entity_id: String,
    pub sso: Vec<Endpoint>,
    pub slo: Vec<Endpoint>,
    pub name_id_formats: Vec<String>,
    pub want_authn_requests_signed: bool,
    pub valid_until: Option<DateTime<Utc>>,
    pub signing_certificates: Vec<Certificate>,
    /// How soon each signing certificate expires, in the same order (the one expiry rule).
    pub certificate_expiry: Vec<CertificateExpiry>,
    pub sp: SpView,
    pub policy: SecurityPolicy,
    pub metadata_source: String,
    pub metadata_imported_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The OpenID Connect side; absent for a SAML connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub oidc: Option<OidcView>,
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
    pub certificate_expiry: Option<CertificateExpiry>,
}

impl Workbench {
    pub fn open(options: &OpenOptions) -> Result<Self> {
        let path = Store::resolve_path(options.db.as_deref())?;
        let store = Store::open(&path)?;
        let secrets = secrets::open(&options.secret_store)?;
        Ok(Self::with_parts(store, secrets, connection::base_url(options.port)).with_actor(&options.actor))
    }

    /// For tests and embedders that build the parts themselves. The actor is
    /// [`crate::directory::UNKNOWN_ACTOR`] until [`Workbench::with_actor`] names one.
    pub fn with_parts(store: Store, secrets: Arc<dyn SecretStore>, base_url: String) -> Self {
        let actor = crate::directory::UNKNOWN_ACTOR.to_owned();
        Workbench { store, secrets, base_url, actor }
    }

    /// The OS user the audit log names on this workbench's admin rows.
    pub fn with_actor(mut self, actor: &str) -> Self {
        actor.clone_into(&mut self.actor);
        self
    }

    pub fn actor(&self) -> &str {
        &self.actor
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

    pub(crate) fn view(&self, c: &Connection, now: DateTime<Utc>) -> ConnectionView {
        let resolved = c.sp.resolve(&c.name, &self.base_url);
        ConnectionView {
            name: c.name.clone(),
            protocol: c.protocol(),
            oidc: self.oidc_view(c),
            idp_entity_id: c.idp.entity_id.clone(),
            sso: c.idp.sso.clone(),
            slo: c.idp.slo.clone(),
            name_id_formats: c.idp.name_id_formats.clone(),
            want_authn_requests_signed: c.idp.want_authn_requests_signed,
            valid_until: c.idp.valid_until,
            signing_certificates: c.idp.signing_certificates.clone(),
            certificate_expiry: c
                .idp
                .signing_certificates
                .iter()
                .map(|cert| CertificateExpiry::of(cert, now))
                .collect(),
            sp: SpView {
                entity_id: resolved.entity_id,
                acs_url: resolved.acs_url,
                entity_id_explicit: c.sp.entity_id.is_some(),
                acs_url_explicit: c.sp.acs_url.is_some(),
                certificate: c.sp.certificate.clone(),
                certificate_expiry: c.sp.certificate.as_ref().map(|cert| CertificateExpiry::of(cert, now)),
            },
            policy: c.policy.clone(),
            metadata_source: c.metadata_source.clone(),
            metadata_imported_at: c.metadata_imported_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }

    pub(crate) fn load_sp_key(
        &self,
        connection: &str,
    ) -> std::result::Result<Sensitive<openssl::pkey::PKey<openssl::pkey::Private>>, String> {
        let pem = secrets::require(self.secrets.as_ref(), &secrets::sp_key(connection), "SP private key")
            .map_err(|e| e.message)?;
        sp::parse_private_key(&pem).map(Sensitive::new).map_err(|e| e.message)
    }
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
