//! The mapping document of a connection: how a verified login becomes a user record, the
//! presets of each product, and previews that write nothing.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Workbench;
use super::audit::{self, AdminChange};
use crate::connection::{Connection, Protocol};
use crate::directory::{AdminAction, FieldChange, User};
use crate::error::{Error, ErrorCode, Result};
use crate::login::{Outcome, StoppedBy};
use crate::provision::{self, Claims, MappingDocument, ProvisionResult, Trace};
use crate::store;
use crate::vendor;

/// Which parts of the mapping a diff touches, as a message names them: "field rules",
/// "role rules", "access rules", "provisioning policy", "subject".
fn sections(diff: &[FieldChange]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for change in diff {
        let section = change.field.split('.').nth(1).unwrap_or_default();
        let name = match section {
            "fields" => "field rules",
            "roles" => "role rules",
            "access" => "access rules",
            "provisioning" => "provisioning policy",
            "subject" => "subject",
            _ => "mapping",
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    match names.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => "mapping".to_owned(),
    }
}

/// How many earlier test logins the mapping preview looks through for claims.
const PREVIEW_LOOKBACK: u32 = 50;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct PresetInfo {
    pub name: String,
    pub label: String,
    pub document: MappingDocument,
}

/// What a mapping (saved or being edited) makes of the last test login's claims.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct MappingPreview {
    /// The test login whose claims were used; `None` when no test login has claims yet.
    #[cfg_attr(feature = "typescript", ts(type = "number | null"))]
    pub test_login_id: Option<i64>,
    pub claims: Claims,
    pub outcome: Option<Outcome>,
    pub user: Option<User>,
    pub diff: Vec<FieldChange>,
    pub trace: Option<Trace>,
    /// The rule that denied the login, with its code, message and hint.
    pub stopped_by: Option<StoppedBy>,
    /// Set when the mapping itself is invalid (bad regex, duplicate target...).
    pub error: Option<crate::Error>,
    /// For a missing attribute: an attribute of these claims to map the field from.
    pub mapping_fix: Option<provision::MappingFix>,
}

impl Workbench {
    fn mapping_of(&self, c: &Connection) -> Result<provision::MappingDocument> {
        Ok(store::mappings::get_mapping(self.store(), c.id)?.unwrap_or_default())
    }

    /// The connection's mapping document (the generic default until one is set).
    pub fn mapping(&self, name: &str) -> Result<provision::MappingDocument> {
        let c = self.store().get_connection(name)?;
        self.mapping_of(&c)
    }

    pub fn set_mapping(
        &self,
        name: &str,
        doc: &provision::MappingDocument,
        now: DateTime<Utc>,
    ) -> Result<provision::MappingDocument> {
        let c = self.store().get_connection(name)?;
        doc.check().map_err(|e| Error::invalid(format!("the mapping is not valid: {e}")))?;
        let tx = self.store().write()?;
        let before = store::mappings::get_mapping(&tx, c.id)?.unwrap_or_default();
        let diff = audit::diff_of("mapping", &before, doc)?;
        if !diff.is_empty() {
            store::mappings::set_mapping(&tx, c.id, doc, now)?;
            let message = format!("Changed the {} of {}", sections(&diff), c.name);
            self.record_admin(&tx, AdminChange::on(AdminAction::MappingChange, &c, message, diff), now)?;
            tx.commit()?;
        }
        self.mapping_of(&c)
    }

    /// Replaces the mapping with a product's preset (`generic`, `okta`, `entra`...), the one
    /// made for the connection's protocol.
    pub fn apply_preset(&self, name: &str, preset: &str, now: DateTime<Utc>) -> Result<MappingDocument> {
        let protocol = self.store().get_connection(name)?.protocol();
        let doc = vendor::by_id(preset).and_then(|v| v.mapping_for(protocol)).ok_or_else(|| {
            let ids: Vec<&str> = match protocol {
                Protocol::Saml => vendor::with_presets().map(|v| v.id).collect(),
                Protocol::Oidc => vendor::with_oidc_presets().map(|v| v.id).collect(),
            };
            Error::invalid(format!(
                "unknown {} preset {preset:?}; presets: {}",
                protocol.as_str().to_uppercase(),
                ids.join(", ")
            ))
        })?;
        self.set_mapping(name, &doc, now)
    }

    /// Every OpenID Connect preset (claim names), generic first, with the product it is made for.
    pub fn oidc_presets(&self) -> Vec<PresetInfo> {
        vendor::with_oidc_presets()
            .filter_map(|v| {
                Some(PresetInfo { name: v.id.to_owned(), label: v.label.to_owned(), document: v.oidc_mapping()? })
            })
            .collect()
    }

    /// Every preset, generic first, with the product it is made for.
    pub fn presets(&self) -> Vec<PresetInfo> {
        vendor::with_presets()
            .filter_map(|v| {
                Some(PresetInfo { name: v.id.to_owned(), label: v.label.to_owned(), document: v.mapping()? })
            })
            .collect()
    }

    /// What `mapping` (saved or not) makes of the claims of the connection's last test
    /// login that had any. Writes nothing.
    /// What `mapping` (saved or not) makes of the claims of the connection's last test login
    /// that had any. Writes nothing.
    pub fn preview_mapping(&self, name: &str, mapping: &MappingDocument, now: DateTime<Utc>) -> Result<MappingPreview> {
        let mut found = None;
        for s in store::logins::test_logins(self.store(), Some(name), PREVIEW_LOOKBACK)? {
            let t = self.test_login(s.id)?;
            if t.report.name_id.is_some() || !t.report.attributes.is_empty() {
                found = Some((
                    t.id,
                    Claims { name_id: t.report.name_id, attributes: t.report.attributes, notes: Vec::new() },
                ));
                break;
            }
        }
        let (test_login_id, claims) = match found {
            Some((id, claims)) => (Some(id), claims),
            None => (None, Claims::default()),
        };
        let mut preview = MappingPreview {
            test_login_id,
            claims,
            outcome: None,
            user: None,
            diff: Vec::new(),
            trace: None,
            stopped_by: None,
            error: None,
            mapping_fix: None,
        };
        if test_login_id.is_none() {
            return Ok(preview);
        }
        match self.dry_run_mapping(name, mapping, &preview.claims, now) {
            Ok(r) => {
                preview.outcome = Some(r.outcome);
                preview.user = r.user;
                preview.diff = r.diff;
                preview.trace = Some(r.trace);
                preview.stopped_by = r.stopped_by;
                preview.mapping_fix = r.mapping_fix;
            }
            Err(e) if e.code == ErrorCode::InvalidInput => preview.error = Some(e),
            Err(e) => return Err(e),
        }
        Ok(preview)
    }

    /// Maps a plain attribute set without a response (what the mapping editor previews).
    pub fn dry_run_claims(
        &self,
        name: &str,
        claims: &provision::Claims,
        now: DateTime<Utc>,
    ) -> Result<provision::ProvisionResult> {
        let c = self.store().get_connection(name)?;
        let mapping = self.mapping_of(&c)?;
        provision::provision(
            self.store(),
            &provision::Login { connection: &c, mapping: &mapping, claims, replay: Vec::new(), now, dry_run: true },
        )
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
            &provision::Login { connection: &c, mapping, claims, replay: Vec::new(), now, dry_run: true },
        )
    }
}
