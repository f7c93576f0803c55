//! Catalog operations the app offers beyond the CLI's: duplicate, export/import as a file,
//! re-import metadata with a diff, preview an unsaved mapping, search users and audit rows.

use chrono::{DateTime, Utc};

use super::views::{ConnectionFile, MetadataChange};
use crate::connection::{IdpDescriptor, check_name};
use crate::error::{Error, ErrorCode, Result};
use crate::metadata::{self, MetadataWarning};
use crate::provision::{self, Claims, MappingDocument, ProvisionResult};
use crate::secrets;
use crate::sp;
use crate::store::NewConnection;
use crate::workbench::{ConnectionView, ImportRequest, Workbench};

/// Version of [`ConnectionFile`].
pub const CONNECTION_FILE_VERSION: u32 = 1;

impl Workbench {
    fn free_name(&self, name: &str) -> Result<()> {
        check_name(name).map_err(Error::invalid)?;
        if self.store().get_connection(name).is_ok() {
            return Err(Error::new(
                ErrorCode::AlreadyExists,
                format!("a connection named {name:?} already exists; pick another name"),
            ));
        }
        Ok(())
    }

    /// A copy of a connection under a new name: same IdP, policy and mapping, its own SP
    /// key pair, and SP URLs that follow the new name unless they were set explicitly.
    pub fn duplicate_connection(&self, name: &str, new_name: &str, now: DateTime<Utc>) -> Result<ConnectionView> {
        let source = self.store().get_connection(name)?;
        self.free_name(new_name)?;
        let mapping = self.mapping(name)?;
        let copy = self.insert_with_new_key(
            NewConnection {
                name: new_name.to_owned(),
                idp: source.idp.clone(),
                sp: crate::connection::SpConfig {
                    entity_id: source.sp.entity_id.clone(),
                    acs_url: source.sp.acs_url.clone(),
                    certificate: None,
                },
                policy: source.policy.clone(),
                metadata_xml: source.metadata_xml.clone(),
                metadata_source: source.metadata_source.clone(),
            },
            now,
        )?;
        provision::db::set_mapping(self.store().raw(), copy.id, &mapping, now)?;
        Ok(self.view_of(&copy))
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
        };
        serde_json::to_string_pretty(&file).map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))
    }

    /// Imports a file written by [`Workbench::export_connection`], as `name` or its own name.
    pub fn import_connection_file(
        &self,
        content: &str,
        name: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(ConnectionView, Vec<MetadataWarning>)> {
        let file: ConnectionFile = serde_json::from_str(content).map_err(|e| {
            Error::invalid(format!(
                "this is not a Handshake connection file ({e}); export one from a connection's menu"
            ))
        })?;
        if file.handshake_connection != CONNECTION_FILE_VERSION {
            return Err(Error::invalid(format!(
                "connection file version {} is not supported (this Handshake reads version {CONNECTION_FILE_VERSION})",
                file.handshake_connection
            )));
        }
        file.mapping.check().map_err(|e| Error::invalid(format!("the file's mapping is not valid: {e}")))?;
        let name = name.unwrap_or(&file.name);
        let outcome = self.import_connection(
            &ImportRequest {
                name: name.to_owned(),
                metadata_xml: file.metadata_xml,
                source: file.metadata_source,
                entity_id: Some(file.idp_entity_id),
                sp_entity_id: file.sp_entity_id,
                acs_url: file.acs_url,
            },
            now,
        )?;
        self.set_policy(name, file.policy, now)?;
        self.set_mapping(name, &file.mapping, now)?;
        Ok((self.connection(name)?, outcome.warnings))
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
        let mut c = self.store().get_connection(name)?;
        let imported = metadata::import(xml, Some(&c.idp.entity_id), now)?;
        c.idp = imported.idp;
        c.metadata_xml = xml.to_owned();
        c.metadata_source = source.to_owned();
        c.metadata_imported_at = now;
        let updated = self.store().update_connection(&c, now)?;
        Ok(self.view_of(&updated))
    }

    /// A new SP key pair for the connection (the IdP must then get the new SP metadata).
    pub fn rotate_sp_key(&self, name: &str, now: DateTime<Utc>) -> Result<ConnectionView> {
        let mut c = self.store().get_connection(name)?;
        let pair = sp::generate_key_pair(&format!("Handshake SP {name}"), now)?;
        self.secrets().set(&secrets::sp_key(&c.name), &pair.key_pem)?;
        c.sp.certificate = Some(pair.certificate);
        let updated = self.store().update_connection(&c, now)?;
        Ok(self.view_of(&updated))
    }

    /// Sets (or, with `None`, derives again) the SP entityID and ACS URL.
    pub fn set_sp_urls(
        &self,
        name: &str,
        entity_id: Option<String>,
        acs_url: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<ConnectionView> {
        let mut c = self.store().get_connection(name)?;
        let entity_id = entity_id.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let acs_url = acs_url.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        if let Some(v) = &acs_url {
            let ok = url::Url::parse(v).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
            if !ok {
                return Err(Error::invalid(format!("the ACS URL {v:?} must be an absolute http or https URL")));
            }
        }
        c.sp.entity_id = entity_id;
        c.sp.acs_url = acs_url;
        let updated = self.store().update_connection(&c, now)?;
        Ok(self.view_of(&updated))
    }

    /// Maps `claims` with an unsaved mapping document, writing nothing.
    pub fn dry_run_mapping(
        &self,
        name: &str,
        mapping: &MappingDocument,
        claims: &Claims,
        now: DateTime<Utc>,
    ) -> Result<ProvisionResult> {
        let c = self.store().get_connection(name)?;
        mapping.check().map_err(|e| Error::invalid(format!("the mapping is not valid: {e}")))?;
        provision::provision(
            self.store(),
            &provision::Login { connection: &c, mapping, claims, replay: None, now, dry_run: true },
        )
    }
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
