//! The SP side of a connection: its URL overrides, its key pair (generated, rotated or an
//! admin's own) and the SP metadata. Each change writes its audit row in its transaction.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::audit::{self, AdminChange};
use super::{ConnectionView, Workbench};
use crate::connection::{Connection, SpConfig};
use crate::directory::{AdminAction, FieldChange};
use crate::error::{Error, Result};
use crate::identity;
use crate::secrets;
use crate::sensitive::Sensitive;
use crate::sp;
use crate::store;

impl Workbench {
    /// Sets (or, with `None`, derives again) the SP entityID and ACS URL.
    pub fn set_sp_urls(
        &self,
        name: &str,
        entity_id: Option<String>,
        acs_url: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<ConnectionView> {
        let mut c = self.store().get_connection(name)?;
        // URLs by the identifier rule: only XML whitespace around them is formatting.
        let entity_id = entity_id.map(|v| identity::xml_trim(&v).to_owned()).filter(|v| !v.is_empty());
        let acs_url = acs_url.map(|v| identity::xml_trim(&v).to_owned()).filter(|v| !v.is_empty());
        if let Some(v) = &acs_url {
            let ok = url::Url::parse(v).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
            if !ok {
                return Err(Error::invalid(format!("the ACS URL {v:?} must be an absolute http or https URL")));
            }
        }
        let before = c.sp.clone();
        c.sp.entity_id = entity_id;
        c.sp.acs_url = acs_url;
        let diff = sp_overrides_diff(&before, &c.sp);
        let message = format!("Changed the SP URLs of {}", c.name);
        Ok(self.view(&self.update_recorded(&c, AdminAction::SpUrlsChange, message, diff, now)?, now))
    }

    /// Replaces the SP key pair with an admin's PEM key and certificate.
    pub fn set_sp_key(
        &self,
        name: &str,
        key_pem: Sensitive<Vec<u8>>,
        cert_pem: &[u8],
        now: DateTime<Utc>,
    ) -> Result<ConnectionView> {
        let connection = self.store().get_connection(name)?;
        let pair = sp::import_key_pair(key_pem, cert_pem)?;
        let message = format!("Replaced the SP key pair of {} with an admin's key", connection.name);
        self.replace_key(connection, pair, AdminAction::SpKeyReplace, "replaced", message, now)
    }

    /// A new SP key pair for the connection (the IdP must then get the new SP metadata).
    pub fn rotate_sp_key(&self, name: &str, now: DateTime<Utc>) -> Result<ConnectionView> {
        let c = self.store().get_connection(name)?;
        let pair = sp::generate_key_pair(&format!("Handshake SP {name}"), now)?;
        let message = format!("Rotated the SP key pair of {}", c.name);
        self.replace_key(c, pair, AdminAction::SpKeyRotate, "rotated", message, now)
    }

    /// Stores the certificate and its audit row, then the key (in the secret store) before the
    /// commit: a key that cannot be stored leaves the catalog as it was. The diff names the
    /// certificates by fingerprint and the key only as `rotated`/`replaced`.
    fn replace_key(
        &self,
        mut c: Connection,
        pair: sp::SpKeyPair,
        action: AdminAction,
        what: &str,
        message: String,
        now: DateTime<Utc>,
    ) -> Result<ConnectionView> {
        let before = audit::certificate_value(c.sp.certificate.as_ref());
        c.sp.certificate = Some(pair.certificate);
        let diff = vec![
            audit::change("sp.certificate", before, audit::certificate_value(c.sp.certificate.as_ref())),
            audit::change("sp.key", Value::Null, what),
        ];
        let tx = self.store().write()?;
        let updated = store::connections::update(&tx, &c, now)?;
        self.record_admin(&tx, AdminChange::on(action, &updated, message, diff), now)?;
        self.secrets().set(&secrets::sp_key(&c.name), &pair.key_pem)?;
        tx.commit()?;
        Ok(self.view(&updated, now))
    }

    pub fn sp_metadata(&self, name: &str) -> Result<String> {
        let c = self.store().get_connection(name)?;
        let sp = c.sp.resolve(&c.name, self.base_url());
        let signs = c.policy.sign_authn_requests || c.idp.want_authn_requests_signed;
        sp::metadata_xml(&sp, c.sp.certificate.as_ref(), signs)
    }
}

/// The SP URL overrides that differ (`null`: derived from the embedded SP's base URL).
pub(crate) fn sp_overrides_diff(before: &SpConfig, after: &SpConfig) -> Vec<FieldChange> {
    let mut out = Vec::new();
    for (field, b, a) in
        [("sp.entity_id", &before.entity_id, &after.entity_id), ("sp.acs_url", &before.acs_url, &after.acs_url)]
    {
        if b != a {
            out.push(audit::change(field, b.clone(), a.clone()));
        }
    }
    out
}
