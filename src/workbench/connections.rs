//! Connections: importing an IdP's metadata (and applying the detected product's mapping
//! preset), listing them with their status, copies and files, re-imports, the security
//! policy, and the SP side (URLs, key pair, metadata). About 620 lines: the operations both
//! protocols share (list, copy, file, removal) stay here with SAML import; the OIDC-only ones
//! are in `oidc.rs` and `oidc_changes.rs`.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use serde_json::Value;

use super::audit::{self, AdminChange};
use super::sp_side::sp_overrides_diff;
use super::{ConnectionView, Workbench};
use crate::certs::Certificate;
use crate::connection::{Connection, IdpDescriptor, Protocol, SecurityPolicy, SpConfig, check_name};
use crate::directory::{AdminAction, FieldChange};
use crate::error::{Error, ErrorCode, Result};
use crate::login::Stop;
use crate::metadata::{self, AggregateInfo, IdpSummary, MetadataWarning};
use crate::provision::MappingDocument;
use crate::secrets;
use crate::sp;
use crate::store::{self, NewConnection, WriteTx};
use crate::vendor::{self, Vendor};

/// Certificates expiring within this many days get a warning badge.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// Version of [`ConnectionFile`].
pub const CONNECTION_FILE_VERSION: u32 = 1;

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
    /// The product detected from the metadata; its mapping preset was applied.
    pub vendor: Vendor,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct RemoveOutcome {
    pub name: String,
    pub warning: Option<String>,
}

/// Last test login of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum TestStatus {
    NeverTested,
    Ok,
    Failing,
}

/// How soon a certificate expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum ExpiryLevel {
    Ok,
    /// Within [`EXPIRY_WARNING_DAYS`] days.
    Soon,
    Expired,
    /// Its validity starts later.
    NotYetValid,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct CertificateExpiry {
    pub not_after: DateTime<Utc>,
    #[cfg_attr(feature = "typescript", ts(type = "number"))]
    pub days_left: i64,
    pub level: ExpiryLevel,
}

impl CertificateExpiry {
    /// The one expiry rule: expired, not yet valid, within [`EXPIRY_WARNING_DAYS`] ("soon"), or fine.
    pub fn of(certificate: &Certificate, now: DateTime<Utc>) -> Self {
        let not_after = certificate.not_after;
        let level = if not_after <= now {
            ExpiryLevel::Expired
        } else if certificate.not_before > now {
            ExpiryLevel::NotYetValid
        } else if not_after - now <= Duration::days(EXPIRY_WARNING_DAYS) {
            ExpiryLevel::Soon
        } else {
            ExpiryLevel::Ok
        };
        CertificateExpiry { not_after, days_left: (not_after - now).num_days(), level }
    }
}

/// One row of the connections list.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ConnectionSummary {
    pub name: String,
    pub protocol: Protocol,
    pub idp_entity_id: String,
    /// The product detected from the entityID and endpoints (`generic` when unrecognised).
    pub vendor: Vendor,
    pub status: TestStatus,
    pub last_test_at: Option<DateTime<Utc>>,
    pub last_failed_check: Option<Stop>,
    /// The IdP signing certificate that expires first.
    pub certificate: Option<CertificateExpiry>,
    #[cfg_attr(feature = "typescript", ts(type = "number"))]
    pub user_count: i64,
    pub updated_at: DateTime<Utc>,
    /// Set on a connection a demo scenario made for itself (`demo-strict`): what it is for.
    /// The list labels it as a demo helper rather than showing its health.
    pub demo_helper: Option<String>,
    /// An OpenID Connect connection's redirect URI in effect (to register at the OP);
    /// absent for SAML.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub redirect_uri: Option<String>,
}

/// A metadata document before it is saved: which IdPs it holds, what the chosen one
/// looks like, and its warnings.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct MetadataPreview {
    pub idps: Vec<IdpSummary>,
    pub aggregate: Option<AggregateInfo>,
    /// The IdP that would be imported (the only one, or the chosen one).
    pub chosen: Option<IdpPreview>,
    /// Set when the chosen IdP cannot be imported (or an aggregate needs a choice).
    pub error: Option<crate::Error>,
    /// The product detected from the chosen IdP; its mapping preset is applied on import.
    pub vendor: Vendor,
    /// A connection name derived from the IdP, free in the catalog.
    pub suggested_name: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct IdpPreview {
    pub idp: crate::connection::IdpDescriptor,
    pub warnings: Vec<MetadataWarning>,
    /// How soon each signing certificate expires, in the same order (the one expiry rule).
    pub certificate_expiry: Vec<CertificateExpiry>,
}

/// One field that differs between the stored IdP and the re-fetched metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct MetadataChange {
    pub field: String,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ReimportPreview {
    pub url: String,
    pub metadata_xml: String,
    pub changes: Vec<MetadataChange>,
    pub warnings: Vec<MetadataWarning>,
}

/// A connection exported to a file: everything but the SP private key (which never
/// leaves the secret store; the importer gets a fresh key pair).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConnectionFile {
    pub handshake_connection: u32,
    pub name: String,
    pub metadata_xml: String,
    pub metadata_source: String,
    pub idp_entity_id: String,
    pub sp_entity_id: Option<String>,
    pub acs_url: Option<String>,
    pub policy: crate::connection::SecurityPolicy,
    pub mapping: MappingDocument,
    /// An OpenID Connect connection's settings with its cached JWKS (public keys); never
    /// its client secret. Absent for a SAML connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<crate::oidc::OidcSettings>,
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
    /// Imports IdP metadata as a new connection and gives it a fresh SP key pair (the key
    /// goes to the secret store, the certificate into the SP metadata).
    pub fn import_connection(&self, request: &ImportRequest, now: DateTime<Utc>) -> Result<ImportOutcome> {
        self.import_with(request, SecurityPolicy::default(), None, now)
    }

    /// Imports a connection with this policy and mapping (`None`: the detected product's
    /// preset), writing one audit row with all of it.
    pub(crate) fn import_with(
        &self,
        request: &ImportRequest,
        policy: SecurityPolicy,
        mapping: Option<(MappingDocument, &str)>,
        now: DateTime<Utc>,
    ) -> Result<ImportOutcome> {
        self.free_name(&request.name)?;
        if request.sp_entity_id.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(Error::invalid("the SP entityID is empty"));
        }
        if let Some(v) = &request.acs_url {
            check_url("the ACS URL", v)?;
        }
        let imported = metadata::import(&request.metadata_xml, request.entity_id.as_deref(), now)?;
        // The detected product's mapping preset: the first login then reads its usual claims.
        let vendor = vendor::guess(&imported.idp.entity_id, &imported.idp.sso);
        let mapping = match mapping {
            Some((doc, origin)) => Some((doc, origin.to_owned())),
            None => vendor.mapping().map(|doc| (doc, format!("the {} preset", vendor.id))),
        };
        let new = NewConnection {
            name: request.name.clone(),
            idp: imported.idp,
            sp: SpConfig {
                entity_id: request.sp_entity_id.clone(),
                acs_url: request.acs_url.clone(),
                certificate: None,
            },
            policy,
            metadata_xml: request.metadata_xml.clone(),
            // A URL's password never reaches SQLite, the audit log or an export.
            metadata_source: metadata::shown_source(&request.source),
            oidc: None,
        };
        let stored = self.insert_with_new_key(new, now, |tx, stored| {
            let mut diff = Vec::new();
            audit::diff_values("idp", &serde_json::json!({}), &audit::idp_value(&stored.idp), &mut diff);
            diff.push(audit::change("metadata_source", Value::Null, stored.metadata_source.clone()));
            diff.extend(sp_overrides_diff(&SpConfig::default(), &stored.sp));
            diff.push(audit::change(
                "sp.certificate",
                Value::Null,
                audit::certificate_value(stored.sp.certificate.as_ref()),
            ));
            diff.push(audit::change("sp.key", Value::Null, "generated"));
            diff.extend(audit::diff_of("policy", &SecurityPolicy::default(), &stored.policy)?);
            if let Some((doc, origin)) = &mapping {
                store::mappings::set_mapping(tx, stored.id, doc, now)?;
                diff.push(audit::change("mapping", Value::Null, origin.clone()));
            }
            let message = format!("Imported connection {} from {}", stored.name, stored.metadata_source);
            self.record_admin(tx, AdminChange::on(AdminAction::ConnectionImport, stored, message, diff), now)
        })?;
        Ok(ImportOutcome { connection: self.view(&stored, now), warnings: imported.warnings, vendor: *vendor })
    }

    /// What importing `xml` would give, before anything is saved: its IdPs, the chosen one with
    /// its warnings (or why it cannot be imported), the detected product and a free name.
    pub fn preview_metadata(&self, xml: &str, entity_id: Option<&str>, now: DateTime<Utc>) -> Result<MetadataPreview> {
        let idps = metadata::list_idps(xml)?;
        let (chosen, aggregate, error) = match metadata::import(xml, entity_id, now) {
            Ok(imported) => {
                let certificate_expiry =
                    imported.idp.signing_certificates.iter().map(|c| CertificateExpiry::of(c, now)).collect();
                let chosen = IdpPreview { idp: imported.idp, warnings: imported.warnings, certificate_expiry };
                (Some(chosen), imported.aggregate, None)
            }
            Err(e) => (None, None, Some(Error::from(e))),
        };
        let vendor = chosen.as_ref().map_or(&vendor::GENERIC, |c| vendor::guess(&c.idp.entity_id, &c.idp.sso));
        let suggested_name = suggest_name(self, chosen.as_ref().map(|c| &c.idp), vendor.id)?;
        Ok(MetadataPreview { idps, aggregate, chosen, error, vendor: *vendor, suggested_name })
    }

    /// The connections list: vendor, last test login, the certificate that expires first, users.
    pub fn connection_summaries(&self, now: DateTime<Utc>) -> Result<Vec<ConnectionSummary>> {
        self.list_connections(now)?.into_iter().map(|c| summary(self, c, now)).collect()
    }

    /// Stores `new` with a fresh SP key pair: the key in the secret store, the certificate
    /// in the catalog, with what `then` writes in the same transaction (the mapping, the audit
    /// row); no orphaned key is left when any of it fails.
    pub(crate) fn insert_with_new_key(
        &self,
        mut new: NewConnection,
        now: DateTime<Utc>,
        then: impl FnOnce(&WriteTx<'_>, &Connection) -> Result<()>,
    ) -> Result<Connection> {
        let pair = sp::generate_key_pair(&format!("Handshake SP {}", new.name), now)?;
        let key_name = secrets::sp_key(&new.name);
        self.secrets().set(&key_name, &pair.key_pem)?;
        new.sp.certificate = Some(pair.certificate);
        let written = (|| {
            let tx = self.store().write()?;
            let stored = store::connections::insert(&tx, &new, now)?;
            then(&tx, &stored)?;
            tx.commit()?;
            Ok(stored)
        })();
        written.inspect_err(|_| {
            let _ = self.secrets().delete(&key_name);
        })
    }

    pub(crate) fn free_name(&self, name: &str) -> Result<()> {
        check_name(name).map_err(Error::invalid)?;
        if self.store().get_connection(name).is_ok() {
            return Err(Error::new(
                ErrorCode::AlreadyExists,
                format!("a connection named {name:?} already exists; choose another name"),
            ));
        }
        Ok(())
    }

    /// Every connection, as the CLI lists them.
    pub fn list_connections(&self, now: DateTime<Utc>) -> Result<Vec<ConnectionView>> {
        Ok(self.store().list_connections()?.iter().map(|c| self.view(c, now)).collect())
    }

    pub fn connection(&self, name: &str, now: DateTime<Utc>) -> Result<ConnectionView> {
        Ok(self.view(&self.store().get_connection(name)?, now))
    }

    /// Removes the connection and its SP key. The catalog row goes first: a keyring that
    /// cannot be reached must not keep an admin from removing a connection, so that case
    /// is reported, not fatal.
    pub fn remove_connection(&self, name: &str, now: DateTime<Utc>) -> Result<RemoveOutcome> {
        let connection = self.store().get_connection(name)?;
        let tx = self.store().write()?;
        if super::demo_reset::is_demo_data(&connection) {
            // The demo IdP's people sign in through every demo connection with the same
            // addresses: an account left behind would block their next first login elsewhere.
            super::demo_reset::clear_accounts(&tx, &connection)?;
        }
        store::connections::remove(&tx, &connection.name)?;
        let mut diff = Vec::new();
        audit::diff_values("idp", &audit::idp_value(&connection.idp), &serde_json::json!({}), &mut diff);
        if connection.oidc.is_some() {
            diff.push(audit::change("oidc.client_secret", "kept", "removed"));
        } else {
            diff.push(audit::change("sp.key", "kept", "removed"));
        }
        let message = format!("Removed connection {}", connection.name);
        self.record_admin(&tx, AdminChange::on(AdminAction::ConnectionRemove, &connection, message, diff), now)?;
        tx.commit()?;
        // Every secret a connection can own (SP key, OIDC client secret and key): a removed
        // connection's name may be reused, and must not inherit them.
        let failed: Vec<String> = secrets::connection_keys(&connection.name)
            .iter()
            .filter_map(|key| self.secrets().delete(key).err().map(|e| format!("{key}: {}", e.message)))
            .collect();
        let warning = (!failed.is_empty())
            .then(|| format!("secrets could not be removed from the secret store: {}", failed.join("; ")));
        Ok(RemoveOutcome { name: connection.name, warning })
    }

    /// A copy of a connection under a new name: same IdP, policy and mapping, its own SP
    /// key pair, and SP URLs that follow the new name unless they were set explicitly.
    pub fn duplicate_connection(&self, name: &str, new_name: &str, now: DateTime<Utc>) -> Result<ConnectionView> {
        let source = self.store().get_connection(name)?;
        if source.oidc.is_some() {
            return Ok(self.view(&self.duplicate_oidc(&source, new_name, now)?, now));
        }
        self.free_name(new_name)?;
        let mapping = self.mapping(name)?;
        let new = NewConnection {
            name: new_name.to_owned(),
            idp: source.idp.clone(),
            sp: SpConfig {
                entity_id: source.sp.entity_id.clone(),
                acs_url: source.sp.acs_url.clone(),
                certificate: None,
            },
            policy: source.policy.clone(),
            metadata_xml: source.metadata_xml.clone(),
            metadata_source: source.metadata_source.clone(),
            oidc: source.oidc.clone(),
        };
        let copy = self.insert_with_new_key(new, now, |tx, copy| {
            store::mappings::set_mapping(tx, copy.id, &mapping, now)?;
            let diff = vec![
                audit::change("copied_from", Value::Null, source.name.clone()),
                audit::change("idp.entity_id", Value::Null, copy.idp.entity_id.clone()),
                audit::change("sp.certificate", Value::Null, audit::certificate_value(copy.sp.certificate.as_ref())),
                audit::change("sp.key", Value::Null, "generated"),
            ];
            let message = format!("Copied connection {} as {}", source.name, copy.name);
            self.record_admin(tx, AdminChange::on(AdminAction::ConnectionDuplicate, copy, message, diff), now)
        })?;
        Ok(self.view(&copy, now))
    }

    /// The connection as a JSON document (no private key: it never leaves the secret store).
    pub fn export_connection(&self, name: &str) -> Result<String> {
        let c = self.store().get_connection(name)?;
        let file = ConnectionFile {
            handshake_connection: CONNECTION_FILE_VERSION,
            name: c.name.clone(),
            metadata_xml: c.metadata_xml.clone(),
            metadata_source: c.metadata_source.clone(),
            idp_entity_id: c.idp.entity_id.clone(),
            sp_entity_id: c.sp.entity_id.clone(),
            acs_url: c.sp.acs_url.clone(),
            policy: c.policy.clone(),
            mapping: self.mapping(name)?,
            oidc: c.oidc.clone(),
        };
        serde_json::to_string_pretty(&file).map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))
    }

    /// Imports a file written by [`Workbench::export_connection`], as `name` or its own name.
    pub fn import_connection_file(
        &self,
        content: &str,
        name: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<ImportOutcome> {
        let file: ConnectionFile = serde_json::from_str(content).map_err(|e| {
            Error::invalid(format!("this is not a Handshake connection file ({e}): export one from a connection"))
        })?;
        if file.handshake_connection != CONNECTION_FILE_VERSION {
            return Err(Error::invalid(format!(
                "connection file version {} is not supported (this Handshake reads version {CONNECTION_FILE_VERSION})",
                file.handshake_connection
            )));
        }
        file.mapping.check().map_err(|e| Error::invalid(format!("the file's mapping is not valid: {e}")))?;
        file.policy.check().map_err(|e| Error::invalid(format!("the file's security policy is not valid: {e}")))?;
        let name = name.unwrap_or(&file.name);
        if let Some(settings) = file.oidc {
            let view = self.import_oidc_file(name, settings, file.policy, file.mapping, &file.metadata_source, now)?;
            return Ok(ImportOutcome {
                connection: view,
                warnings: vec![],
                vendor: *vendor::guess(&file.idp_entity_id, &[]),
            });
        }
        let request = ImportRequest {
            name: name.to_owned(),
            metadata_xml: file.metadata_xml,
            source: file.metadata_source,
            entity_id: Some(file.idp_entity_id),
            sp_entity_id: file.sp_entity_id,
            acs_url: file.acs_url,
        };
        self.import_with(&request, file.policy, Some((file.mapping, "the connection file")), now)
    }

    /// What replacing the connection's metadata with `xml` would change.
    pub fn metadata_changes(
        &self,
        name: &str,
        xml: &str,
        now: DateTime<Utc>,
    ) -> Result<(Vec<MetadataChange>, Vec<MetadataWarning>)> {
        let c = self.store().get_connection(name)?;
        let imported = metadata::import(xml, Some(&c.idp.entity_id), now)?;
        Ok((idp_changes(&c.idp, &imported.idp), imported.warnings))
    }

    /// Replaces the connection's IdP metadata (same entityID), keeping SP, policy and mapping.
    pub fn replace_metadata(&self, name: &str, xml: &str, source: &str, now: DateTime<Utc>) -> Result<ConnectionView> {
        let before = self.store().get_connection(name)?;
        let imported = metadata::import(xml, Some(&before.idp.entity_id), now)?;
        let mut c = before.clone();
        c.idp = imported.idp;
        c.metadata_xml = xml.to_owned();
        c.metadata_source = metadata::shown_source(source);
        c.metadata_imported_at = now;
        let mut diff = audit::idp_diff(&before.idp, &c.idp);
        if before.metadata_source != c.metadata_source {
            diff.push(audit::change("metadata_source", before.metadata_source.clone(), c.metadata_source.clone()));
        }
        let tx = self.store().write()?;
        let updated = store::connections::update(&tx, &c, now)?;
        let message = if diff.is_empty() {
            format!("Re-imported the IdP metadata of {}: nothing changed", c.name)
        } else {
            format!("Re-imported the IdP metadata of {}", c.name)
        };
        self.record_admin(&tx, AdminChange::on(AdminAction::ConnectionReimport, &updated, message, diff), now)?;
        tx.commit()?;
        Ok(self.view(&updated, now))
    }

    /// Rewrites the connection as `c` and records `action` with this diff, in one
    /// transaction; nothing is written (no row either) when the diff is empty.
    pub(crate) fn update_recorded(
        &self,
        c: &Connection,
        action: AdminAction,
        message: String,
        diff: Vec<FieldChange>,
        now: DateTime<Utc>,
    ) -> Result<Connection> {
        if diff.is_empty() {
            return Ok(c.clone());
        }
        let tx = self.store().write()?;
        let updated = store::connections::update(&tx, c, now)?;
        self.record_admin(&tx, AdminChange::on(action, &updated, message, diff), now)?;
        tx.commit()?;
        Ok(updated)
    }

    /// Replaces the connection's security policy.
    pub fn set_policy(&self, name: &str, policy: SecurityPolicy, now: DateTime<Utc>) -> Result<ConnectionView> {
        policy.check().map_err(Error::invalid)?;
        let mut c = self.store().get_connection(name)?;
        let diff = audit::diff_of("policy", &c.policy, &policy)?;
        c.policy = policy;
        let message = format!("Changed the security policy of {}", c.name);
        Ok(self.view(&self.update_recorded(&c, AdminAction::PolicyChange, message, diff, now)?, now))
    }
}

/// One row of the connections list for a connection.
fn summary(wb: &Workbench, c: ConnectionView, now: DateTime<Utc>) -> Result<ConnectionSummary> {
    // Health is the admin's own last test login: scenario and story runs (intended failures)
    // and admin actions leave it as it was.
    let last = store::logins::last_admin_test_login(wb.store(), &c.name)?;
    let vendor = vendor::guess(&c.idp_entity_id, &c.sso);
    let certificate =
        c.signing_certificates.iter().min_by_key(|cert| cert.not_after).map(|cert| CertificateExpiry::of(cert, now));
    let protocol = c.protocol;
    let status = match &last {
        None => TestStatus::NeverTested,
        Some(t) if t.outcome.signed_in() => TestStatus::Ok,
        Some(_) => TestStatus::Failing,
    };
    let user_count = store::users::count_users(wb.store(), &c.name)?;
    let demo_helper = crate::demo::helper_note(&c.name, &c.idp_entity_id).map(str::to_owned);
    Ok(ConnectionSummary {
        redirect_uri: c.oidc.as_ref().map(|o| o.redirect_uri.clone()),
        protocol,
        demo_helper,
        vendor: *vendor,
        status,
        last_test_at: last.as_ref().map(|t| t.at),
        last_failed_check: last.and_then(|t| t.failed_check),
        certificate,
        user_count,
        updated_at: c.updated_at,
        idp_entity_id: c.idp_entity_id,
        name: c.name,
    })
}

/// A free connection name from the IdP: the vendor id, or the entityID's host, plus a number if taken.
fn suggest_name(wb: &Workbench, idp: Option<&IdpDescriptor>, vendor: &str) -> Result<String> {
    suggest_name_for(wb, idp.map_or("", |i| i.entity_id.as_str()), vendor)
}

/// [`suggest_name`] from an entityID or OIDC issuer.
pub(super) fn suggest_name_for(wb: &Workbench, entity_id: &str, vendor: &str) -> Result<String> {
    let host =
        url::Url::parse(entity_id).ok().and_then(|u| u.host_str().map(|h| h.split('.').next().unwrap_or(h).to_owned()));
    let base = if vendor != "generic" { vendor.to_owned() } else { host.unwrap_or_else(|| "idp".to_owned()) };
    let base: String = base.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(48).collect();
    let base = if base.is_empty() { "idp".to_owned() } else { base.to_lowercase() };
    let taken: Vec<String> = wb.store().list_connections()?.into_iter().map(|c| c.name).collect();
    if !taken.contains(&base) {
        return Ok(base);
    }
    Ok((2..1000).map(|n| format!("{base}-{n}")).find(|n| !taken.contains(n)).unwrap_or(base))
}

fn join(values: impl IntoIterator<Item = String>) -> String {
    values.into_iter().collect::<Vec<_>>().join("\n")
}

/// Field-by-field differences between two IdP descriptors, as the re-import screen lists them.
pub fn idp_changes(before: &IdpDescriptor, after: &IdpDescriptor) -> Vec<MetadataChange> {
    let endpoints = |eps: &[crate::connection::Endpoint]| {
        join(eps.iter().map(|e| format!("{} {}", e.binding.rsplit(':').next().unwrap_or(&e.binding), e.location)))
    };
    let certs = |idp: &IdpDescriptor| {
        join(
            idp.signing_certificates
                .iter()
                .map(|c| format!("{} (expires {})", c.sha256_fingerprint, c.not_after.format("%Y-%m-%d"))),
        )
    };
    let fields = [
        ("Single sign-on endpoints", endpoints(&before.sso), endpoints(&after.sso)),
        ("Single logout endpoints", endpoints(&before.slo), endpoints(&after.slo)),
        ("Signing certificates", certs(before), certs(after)),
        ("NameID formats", join(before.name_id_formats.clone()), join(after.name_id_formats.clone())),
        (
            "Wants signed AuthnRequests",
            before.want_authn_requests_signed.to_string(),
            after.want_authn_requests_signed.to_string(),
        ),
        (
            "validUntil",
            before.valid_until.map(|t| t.to_rfc3339()).unwrap_or_default(),
            after.valid_until.map(|t| t.to_rfc3339()).unwrap_or_default(),
        ),
    ];
    fields
        .into_iter()
        .filter(|(_, b, a)| b != a)
        .map(|(field, before, after)| MetadataChange { field: field.to_owned(), before, after })
        .collect()
}
