//! Changing an OpenID Connect connection: re-discover (with a diff first), its client and
//! token settings, and its client secret. Each change writes one audit row whose diff never
//! holds the secret.

use chrono::{DateTime, Utc};

use super::audit::{self, AdminChange};
use super::connections::MetadataChange;
use super::oidc::{check_settings, oidc_of, settings_diff};
use super::{ConnectionView, Workbench};
use crate::connection::SecurityPolicy;
use crate::directory::AdminAction;
use crate::error::{Error, Result};
use crate::oidc::discovery::{self, Discovered, Typed};
use crate::oidc::{Alg, ClientAuth, OidcSettings, RedirectHost};
use crate::secrets;
use crate::sensitive::Sensitive;
use crate::store;

/// A change of an OIDC connection's settings; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct OidcSettingsPatch {
    pub client_id: Option<String>,
    pub client_auth: Option<ClientAuth>,
    pub scopes: Option<Vec<String>>,
    pub allowed_algs: Option<Vec<Alg>>,
    pub trusted_audiences: Option<Vec<String>>,
    pub call_userinfo: Option<bool>,
    pub redirect_host: Option<RedirectHost>,
    pub clock_skew_seconds: Option<u32>,
}

impl Workbench {
    /// Where to fetch the connection's discovery document again, and the one issuer it must
    /// name (the shells fetch, then call [`Workbench::rediscover_preview`]).
    pub fn rediscover_target(&self, name: &str) -> Result<Typed> {
        let c = self.store().get_connection(name)?;
        Ok(stored_typed(oidc_of(&c)?))
    }

    /// What replacing the connection's discovery document with `discovery_json` would change.
    pub fn rediscover_preview(&self, name: &str, discovery_json: &str) -> Result<Vec<MetadataChange>> {
        let c = self.store().get_connection(name)?;
        let s = oidc_of(&c)?;
        let new = discovery::check(discovery_json, &stored_typed(s))?;
        Ok(discovery::diff(&stored_discovered(s), &new)
            .into_iter()
            .map(|d| MetadataChange { field: d.field.to_owned(), before: d.before, after: d.after })
            .collect())
    }

    /// Replaces the connection's discovery document (same issuer) and, when given, its
    /// JWKS; keeps the client, scopes, allowed algorithms and mapping.
    pub fn replace_discovery(
        &self,
        name: &str,
        discovery_json: &str,
        jwks_json: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<ConnectionView> {
        let before = self.store().get_connection(name)?;
        let old = oidc_of(&before)?;
        let d = discovery::check(discovery_json, &stored_typed(old))?;
        if let Some(j) = jwks_json {
            discovery::check_public_jwks(j)?;
        }
        let mut c = before.clone();
        let mut s = old.clone();
        s.discovery_url = Some(s.discovery_url.clone().unwrap_or_else(|| discovery::discovery_url(&s.issuer)));
        s.discovery_json = Some(d.raw.clone());
        s.discovered_at = Some(now);
        s.authorization_endpoint = d.authorization_endpoint;
        s.token_endpoint = d.token_endpoint;
        s.userinfo_endpoint = d.userinfo_endpoint;
        s.jwks_uri = d.jwks_uri;
        if let Some(j) = jwks_json {
            s.jwks_json = Some(j.to_owned());
            s.jwks_fetched_at = Some(now);
        }
        c.metadata_source = s.discovery_url.clone().unwrap_or_default();
        c.metadata_imported_at = now;
        let diff = settings_diff(old, &s);
        c.oidc = Some(s);
        let tx = self.store().write()?;
        let updated = store::connections::update(&tx, &c, now)?;
        let message = if diff.is_empty() {
            format!("Re-discovered the OpenID Connect provider of {}: nothing changed", c.name)
        } else {
            format!("Re-discovered the OpenID Connect provider of {}", c.name)
        };
        self.record_admin(&tx, AdminChange::on(AdminAction::ConnectionReimport, &updated, message, diff), now)?;
        tx.commit()?;
        Ok(self.view(&updated, now))
    }

    /// Changes an OIDC connection's client and token settings (and its clock skew).
    pub fn set_oidc_settings(
        &self,
        name: &str,
        patch: &OidcSettingsPatch,
        now: DateTime<Utc>,
    ) -> Result<ConnectionView> {
        let mut c = self.store().get_connection(name)?;
        let before = oidc_of(&c)?.clone();
        let mut s = before.clone();
        if let Some(v) = &patch.client_id {
            s.client_id = v.trim().to_owned();
        }
        if let Some(v) = patch.client_auth {
            s.client_auth = v;
        }
        if let Some(v) = &patch.scopes {
            s.scopes = v.clone();
        }
        if let Some(v) = &patch.allowed_algs {
            s.allowed_algs = dedup(v);
        }
        if let Some(v) = &patch.trusted_audiences {
            s.trusted_audiences = v.clone();
        }
        if let Some(v) = patch.call_userinfo {
            s.call_userinfo = v;
        }
        if let Some(v) = patch.redirect_host {
            s.redirect_host = v;
        }
        let has_secret = self.oidc_client_secret(&c.name)?.is_some();
        check_settings(&s, has_secret)?;
        let mut diff = settings_diff(&before, &s);
        if let Some(skew) = patch.clock_skew_seconds {
            let policy = SecurityPolicy { clock_skew_seconds: skew, ..c.policy.clone() };
            policy.check().map_err(Error::invalid)?;
            diff.extend(audit::diff_of("policy", &c.policy, &policy)?);
            c.policy = policy;
        }
        c.oidc = Some(s);
        let message = format!("Changed the OpenID Connect settings of {}", c.name);
        Ok(self.view(&self.update_recorded(&c, AdminAction::OidcSettingsChange, message, diff, now)?, now))
    }

    /// Sets (or, with `None`, removes) the connection's client secret. The audit row says
    /// `set`, `replaced` or `removed`; the secret is only in the secret store.
    pub fn set_oidc_client_secret(
        &self,
        name: &str,
        secret: Option<Sensitive<String>>,
        now: DateTime<Utc>,
    ) -> Result<ConnectionView> {
        let c = self.store().get_connection(name)?;
        let s = oidc_of(&c)?;
        let secret = secret.filter(|v| !v.expose().is_empty());
        check_settings(s, secret.is_some())?;
        let key = secrets::oidc_client_secret(&c.name);
        let had = self.oidc_client_secret(&c.name)?.is_some();
        let (before, after) = match (had, secret.is_some()) {
            (false, true) => ("none", "set"),
            (true, true) => ("set", "replaced"),
            (true, false) => ("set", "removed"),
            (false, false) => return Ok(self.view(&c, now)),
        };
        // The row is written, then the secret changed, then both commit: a secret store that
        // fails leaves neither.
        let tx = self.store().write()?;
        let message = format!("{} the client secret of {}", if secret.is_some() { "Set" } else { "Removed" }, c.name);
        let diff = vec![audit::change("oidc.client_secret", before, after)];
        self.record_admin(&tx, AdminChange::on(AdminAction::OidcSecretChange, &c, message, diff), now)?;
        match &secret {
            Some(v) => self.secrets().set(&key, &Sensitive::new(v.expose().as_bytes().to_vec()))?,
            None => self.secrets().delete(&key)?,
        }
        tx.commit()?;
        Ok(self.view(&c, now))
    }
}

fn dedup(algs: &[Alg]) -> Vec<Alg> {
    let mut out: Vec<Alg> = Vec::new();
    for a in algs {
        if !out.contains(a) {
            out.push(*a);
        }
    }
    out
}

/// Where a stored connection's discovery document is, and the one issuer it must name.
fn stored_typed(s: &OidcSettings) -> Typed {
    Typed {
        discovery_url: s.discovery_url.clone().unwrap_or_else(|| discovery::discovery_url(&s.issuer)),
        expected: vec![s.issuer.clone()],
    }
}

/// The stored discovery as checked then; from the settings when there is no document
/// (endpoints typed by hand) or it no longer reads.
fn stored_discovered(s: &OidcSettings) -> Discovered {
    if let Some(d) = s.discovery_json.as_deref().and_then(|raw| discovery::check(raw, &stored_typed(s)).ok()) {
        return d;
    }
    Discovered {
        issuer: s.issuer.clone(),
        authorization_endpoint: s.authorization_endpoint.clone(),
        token_endpoint: s.token_endpoint.clone(),
        userinfo_endpoint: s.userinfo_endpoint.clone(),
        jwks_uri: s.jwks_uri.clone(),
        end_session_endpoint: None,
        signing_algs_offered: vec![],
        usable_algs: vec![],
        token_endpoint_auth_methods: vec![],
        scopes_supported: vec![],
        claims_supported: vec![],
        code_challenge_methods: vec![],
        iss_parameter_supported: false,
        raw: String::new(),
        notes: vec![],
    }
}
