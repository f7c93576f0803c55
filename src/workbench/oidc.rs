//! OpenID Connect connections: preview a discovery document, add a connection (settings,
//! client secret, mapping preset, audit row), re-discover with a diff, change its settings
//! and client secret. The shells fetch (`oidc::http`) and pass the text in; nothing here
//! touches the network or the clock.
//!
//! The client secret goes to the secret store only (`oidc-client-secret/<name>`); audit
//! diffs say `set`, `replaced` or `removed`, never the value.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use super::audit::{self, AdminChange};
use super::{ConnectionView, Workbench};
use crate::connection::{Connection, IdpDescriptor, SecurityPolicy, SpConfig, url_segment};
use crate::directory::{AdminAction, FieldChange};
use crate::error::{Error, ErrorCode, Result};
use crate::oidc::discovery::{self, Typed};
use crate::oidc::{Alg, ClientAuth, DEFAULT_SCOPES, OidcSettings, RedirectHost};
use crate::provision::MappingDocument;
use crate::secrets;
use crate::sensitive::Sensitive;
use crate::store::{self, NewConnection};
use crate::vendor::{self, Vendor};

/// `metadata_source` of a connection whose endpoints were typed by hand.
pub const MANUAL_SOURCE: &str = "manual";

/// Endpoints typed by hand, for an OP without (or with a broken) discovery document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManualEndpoints {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    pub userinfo_endpoint: Option<String>,
}

/// Where a new connection's endpoints come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OidcSource {
    /// A discovery document fetched for what the admin typed (an issuer or discovery URL).
    Discovery {
        typed_url: String,
        discovery_json: String,
    },
    Manual(ManualEndpoints),
}

/// What `connection add-oidc` needs.
#[derive(Debug, Clone)]
pub struct AddOidc {
    pub name: String,
    pub source: OidcSource,
    /// The OP's JWKS as fetched from `jwks_uri` (public keys only), if it was.
    pub jwks_json: Option<String>,
    pub client_id: String,
    pub client_secret: Option<Sensitive<String>>,
    /// `None`: `client_secret_basic` (or `_post` when the OP offers only that) with a
    /// secret, `none` (a public client, PKCE alone) without.
    pub client_auth: Option<ClientAuth>,
    /// `None`: openid email profile.
    pub scopes: Option<Vec<String>>,
}

/// A discovery document before anything is saved: what the OP offers and what to register.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct OidcPreview {
    pub issuer: String,
    pub discovery_url: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: String,
    pub end_session_endpoint: Option<String>,
    /// `id_token_signing_alg_values_supported`, as the OP lists it.
    pub signing_algs_offered: Vec<String>,
    /// What the connection will allow: the offered ones Handshake verifies with public keys.
    pub allowed_algs: Vec<Alg>,
    pub token_endpoint_auth_methods: Vec<String>,
    /// The client authentication a confidential client will use.
    pub client_auth: ClientAuth,
    pub scopes_supported: Vec<String>,
    pub notes: Vec<String>,
    pub vendor: Vendor,
    pub suggested_name: String,
    /// The redirect URIs to register at the OP (on 127.0.0.1 and on localhost).
    pub redirect_uris: Vec<String>,
}

/// The OIDC side of a connection as the CLI and the app show it (no secret, no raw documents).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct OidcView {
    pub issuer: String,
    pub discovery_url: Option<String>,
    pub discovered_at: Option<DateTime<Utc>>,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: String,
    pub jwks_fetched_at: Option<DateTime<Utc>>,
    /// The cached JWKS's key ids (`#n` for a key without one).
    pub jwks_kids: Vec<String>,
    pub client_id: String,
    pub client_auth: ClientAuth,
    pub scopes: Vec<String>,
    pub allowed_algs: Vec<Alg>,
    pub trusted_audiences: Vec<String>,
    pub call_userinfo: bool,
    pub redirect_host: RedirectHost,
    /// The redirect URI in effect (on the chosen host), then the one on the other host.
    pub redirect_uri: String,
    pub redirect_uris: Vec<String>,
}

/// The redirect URI of a connection on a loopback name: `{base}/oidc/{name}/callback`.
pub fn redirect_uri(base_url: &str, name: &str, host: RedirectHost) -> String {
    let mut base = base_url.trim_end_matches('/').to_owned();
    if host == RedirectHost::Localhost
        && let Ok(mut url) = url::Url::parse(&base)
        && url.host_str().is_some_and(|h| h == "127.0.0.1" || h == "[::1]")
        && url.set_host(Some("localhost")).is_ok()
    {
        base = url.as_str().trim_end_matches('/').to_owned();
    }
    format!("{base}/oidc/{}/callback", url_segment(name))
}

/// The redirect URIs to register: the one in effect first.
fn redirect_uris(base_url: &str, name: &str, first: RedirectHost) -> Vec<String> {
    let other = if first == RedirectHost::Loopback { RedirectHost::Localhost } else { RedirectHost::Loopback };
    vec![redirect_uri(base_url, name, first), redirect_uri(base_url, name, other)]
}

/// The client authentication for a client with (or without) a secret, given what the OP offers.
fn default_client_auth(has_secret: bool, offered: &[String]) -> ClientAuth {
    if !has_secret {
        ClientAuth::None
    } else if !offered.iter().any(|m| m == "client_secret_basic") && offered.iter().any(|m| m == "client_secret_post") {
        ClientAuth::ClientSecretPost
    } else {
        ClientAuth::ClientSecretBasic
    }
}

/// The mapping a new OIDC connection starts with. OIDC claims have standard names (`sub`,
/// `email`, `given_name`, `groups`), which the generic preset reads; per-vendor OIDC
/// presets (`vendor::oidc_mapping`) replace it when they exist.
fn oidc_preset(_vendor: &Vendor) -> MappingDocument {
    crate::provision::presets::generic()
}

/// Refuses settings no OIDC connection may have: each guard names the field.
pub(super) fn check_settings(s: &OidcSettings, has_secret: bool) -> Result<()> {
    if s.client_id.trim().is_empty() {
        return Err(Error::invalid("the client ID is empty: copy it from the app registered at the OP"));
    }
    if !s.scopes.iter().any(|x| x == "openid") {
        return Err(Error::invalid(format!(
            "the scopes {:?} do not include \"openid\": without it the OP sends no ID token",
            s.scopes.join(" ")
        )));
    }
    if let Some(bad) = s.scopes.iter().find(|x| x.is_empty() || x.chars().any(|c| c.is_whitespace() || c == '"')) {
        return Err(Error::invalid(format!("the scope {bad:?} is not a scope token (RFC 6749 §3.3)")));
    }
    if s.allowed_algs.is_empty() {
        return Err(Error::invalid("the allowed algorithms are empty: no ID token could be accepted"));
    }
    if let Some(hs) = s.allowed_algs.iter().find(|a| a.is_hmac())
        && !has_secret
    {
        return Err(Error::invalid(format!(
            "{} is keyed with the client secret, and this connection has none: set a client secret first",
            hs.as_str()
        )));
    }
    if matches!(s.client_auth, ClientAuth::ClientSecretBasic | ClientAuth::ClientSecretPost) && !has_secret {
        return Err(Error::invalid(format!(
            "client authentication {} needs a client secret: give one, or use \"none\" for a public client",
            s.client_auth.as_str()
        )));
    }
    if s.client_auth == ClientAuth::PrivateKeyJwt {
        return Err(Error::invalid("client authentication private_key_jwt is not supported yet: use a client secret"));
    }
    if s.trusted_audiences.iter().any(|a| a == &s.client_id) {
        return Err(Error::invalid("the client ID is always an accepted audience: list only other audiences"));
    }
    for (field, value) in [("authorization_endpoint", &s.authorization_endpoint), ("token_endpoint", &s.token_endpoint)]
        .into_iter()
        .chain([("jwks_uri", &s.jwks_uri)])
    {
        discovery::check_endpoint(field, value).map_err(typed)?;
    }
    if let Some(u) = &s.userinfo_endpoint {
        discovery::check_endpoint("userinfo_endpoint", u).map_err(typed)?;
    }
    Ok(())
}

/// An endpoint the admin typed (or kept) is the admin's input, not the OP's document.
fn typed(e: discovery::DiscoveryError) -> Error {
    Error::invalid(e.to_string()).detail(e.code()).hint(e.hint())
}

/// What an admin sees of OIDC settings in a diff: no raw documents (the JWKS by key ids).
fn settings_value(s: &OidcSettings) -> Value {
    json!({
        "issuer": s.issuer,
        "discovery_url": s.discovery_url,
        "authorization_endpoint": s.authorization_endpoint,
        "token_endpoint": s.token_endpoint,
        "userinfo_endpoint": s.userinfo_endpoint,
        "jwks_uri": s.jwks_uri,
        "jwks": jwks_kids(s.jwks_json.as_deref()),
        "client_id": s.client_id,
        "client_auth": s.client_auth.as_str(),
        "scopes": s.scopes.join(" "),
        "allowed_algs": s.allowed_algs.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        "trusted_audiences": s.trusted_audiences,
        "call_userinfo": s.call_userinfo,
        "redirect_host": match s.redirect_host { RedirectHost::Loopback => "127.0.0.1", RedirectHost::Localhost => "localhost" },
    })
}

pub(super) fn jwks_kids(jwks: Option<&str>) -> Vec<String> {
    jwks.and_then(|j| discovery::check_public_jwks(j).ok()).map(|k| k.kids).unwrap_or_default()
}

pub(super) fn settings_diff(before: &OidcSettings, after: &OidcSettings) -> Vec<FieldChange> {
    let mut out = Vec::new();
    audit::diff_values("oidc", &settings_value(before), &settings_value(after), &mut out);
    out
}

/// The OIDC settings of a connection, or an error saying it is a SAML connection.
pub(super) fn oidc_of(c: &Connection) -> Result<&OidcSettings> {
    c.oidc.as_ref().ok_or_else(|| {
        Error::invalid(format!("connection {:?} is a SAML connection: this applies to OpenID Connect ones", c.name))
    })
}

impl Workbench {
    /// The OIDC view of a connection (`None` for SAML).
    pub(crate) fn oidc_view(&self, c: &Connection) -> Option<OidcView> {
        let s = c.oidc.as_ref()?;
        let uris = redirect_uris(&self.base_url, &c.name, s.redirect_host);
        Some(OidcView {
            issuer: s.issuer.clone(),
            discovery_url: s.discovery_url.clone(),
            discovered_at: s.discovered_at,
            authorization_endpoint: s.authorization_endpoint.clone(),
            token_endpoint: s.token_endpoint.clone(),
            userinfo_endpoint: s.userinfo_endpoint.clone(),
            jwks_uri: s.jwks_uri.clone(),
            jwks_fetched_at: s.jwks_fetched_at,
            jwks_kids: jwks_kids(s.jwks_json.as_deref()),
            client_id: s.client_id.clone(),
            client_auth: s.client_auth,
            scopes: s.scopes.clone(),
            allowed_algs: s.allowed_algs.clone(),
            trusted_audiences: s.trusted_audiences.clone(),
            call_userinfo: s.call_userinfo,
            redirect_host: s.redirect_host,
            redirect_uri: uris.first().cloned().unwrap_or_default(),
            redirect_uris: uris,
        })
    }

    /// The redirect URI a connection's authorization requests use.
    pub fn oidc_redirect_uri(&self, c: &Connection) -> Result<String> {
        Ok(redirect_uri(&self.base_url, &c.name, oidc_of(c)?.redirect_host))
    }

    /// The connection's client secret, if it has one (a public client has none).
    pub fn oidc_client_secret(&self, name: &str) -> Result<Option<Sensitive<String>>> {
        let bytes = self.secrets().get(&secrets::oidc_client_secret(name))?;
        bytes
            .map(|b| {
                String::from_utf8(b.into_inner()).map(Sensitive::new).map_err(|_| {
                    Error::new(ErrorCode::SecretMissing, format!("the client secret of {name:?} is not UTF-8 text"))
                        .hint("Set the client secret again.")
                })
            })
            .transpose()
    }

    /// The PKCE verifier of the request with this `state` (derived, never stored).
    pub fn oidc_pkce_verifier(&self, state: &str) -> Result<Sensitive<String>> {
        secrets::pkce_verifier(&secrets::state_key(self.secrets().as_ref())?, state)
    }

    /// What adding a connection from this discovery document would give, before anything
    /// is saved. `typed_url` is what the admin typed (the issuer or the discovery URL).
    pub fn preview_oidc(&self, discovery_json: &str, typed_url: &str, name: Option<&str>) -> Result<OidcPreview> {
        let typed = Typed::parse(typed_url);
        let d = discovery::check(discovery_json, &typed)?;
        let vendor = vendor::guess(&d.issuer, &[]);
        let suggested_name = match name {
            Some(n) => n.to_owned(),
            None => super::connections::suggest_name_for(self, &d.issuer, vendor.id)?,
        };
        Ok(OidcPreview {
            redirect_uris: redirect_uris(&self.base_url, &suggested_name, RedirectHost::Loopback),
            client_auth: default_client_auth(true, &d.token_endpoint_auth_methods),
            issuer: d.issuer,
            discovery_url: typed.discovery_url,
            authorization_endpoint: d.authorization_endpoint,
            token_endpoint: d.token_endpoint,
            userinfo_endpoint: d.userinfo_endpoint,
            jwks_uri: d.jwks_uri,
            end_session_endpoint: d.end_session_endpoint,
            signing_algs_offered: d.signing_algs_offered,
            allowed_algs: d.usable_algs,
            token_endpoint_auth_methods: d.token_endpoint_auth_methods,
            scopes_supported: d.scopes_supported,
            notes: d.notes,
            vendor: *vendor,
            suggested_name,
        })
    }

    /// Adds an OpenID Connect connection: its row and settings, the generic mapping preset
    /// and the audit row in one write transaction; the client secret in the secret store
    /// (removed again when the transaction fails).
    pub fn add_oidc_connection(&self, req: &AddOidc, now: DateTime<Utc>) -> Result<ConnectionView> {
        self.free_name(&req.name)?;
        let (settings, source) = settings_from(req, now)?;
        let has_secret = req.client_secret.as_ref().is_some_and(|s| !s.expose().is_empty());
        check_settings(&settings, has_secret)?;
        let vendor = vendor::guess(&settings.issuer, &[]);
        let mapping = oidc_preset(vendor);
        let new = NewConnection {
            name: req.name.clone(),
            idp: oidc_idp(&settings.issuer),
            sp: SpConfig::default(),
            policy: SecurityPolicy::default(),
            metadata_xml: String::new(),
            metadata_source: source,
            oidc: Some(settings),
        };
        let secret_key = secrets::oidc_client_secret(&req.name);
        if let Some(secret) = req.client_secret.as_ref().filter(|_| has_secret) {
            self.secrets().set(&secret_key, &Sensitive::new(secret.expose().as_bytes().to_vec()))?;
        }
        let written = (|| -> Result<Connection> {
            let tx = self.store().write()?;
            let stored = store::connections::insert(&tx, &new, now)?;
            store::mappings::set_mapping(&tx, stored.id, &mapping, now)?;
            let mut diff = Vec::new();
            let after = stored.oidc.as_ref().map(settings_value).unwrap_or(Value::Null);
            audit::diff_values("oidc", &json!({}), &after, &mut diff);
            diff.push(audit::change("metadata_source", Value::Null, stored.metadata_source.clone()));
            diff.push(audit::change("oidc.client_secret", Value::Null, if has_secret { "set" } else { "none" }));
            diff.push(audit::change("mapping", Value::Null, "the generic preset"));
            let message =
                format!("Added OpenID Connect connection {} for issuer {}", stored.name, stored.idp.entity_id);
            self.record_admin(&tx, AdminChange::on(AdminAction::ConnectionImport, &stored, message, diff), now)?;
            tx.commit()?;
            Ok(stored)
        })();
        let stored = written.inspect_err(|_| {
            if has_secret {
                let _ = self.secrets().delete(&secret_key);
            }
        })?;
        Ok(self.view(&stored, now))
    }

    /// A copy of an OIDC connection under a new name: same OP, client, secret, policy and
    /// mapping; its redirect URI follows the new name (register it at the OP).
    pub(crate) fn duplicate_oidc(&self, source: &Connection, new_name: &str, now: DateTime<Utc>) -> Result<Connection> {
        self.free_name(new_name)?;
        let mapping = self.mapping(&source.name)?;
        let secret = self.oidc_client_secret(&source.name)?;
        let new = NewConnection {
            name: new_name.to_owned(),
            idp: source.idp.clone(),
            sp: SpConfig::default(),
            policy: source.policy.clone(),
            metadata_xml: String::new(),
            metadata_source: source.metadata_source.clone(),
            oidc: source.oidc.clone(),
        };
        let key = secrets::oidc_client_secret(new_name);
        if let Some(v) = &secret {
            self.secrets().set(&key, &Sensitive::new(v.expose().as_bytes().to_vec()))?;
        }
        let written = (|| -> Result<Connection> {
            let tx = self.store().write()?;
            let copy = store::connections::insert(&tx, &new, now)?;
            store::mappings::set_mapping(&tx, copy.id, &mapping, now)?;
            let diff = vec![
                audit::change("copied_from", Value::Null, source.name.clone()),
                audit::change("oidc.issuer", Value::Null, copy.idp.entity_id.clone()),
                audit::change("oidc.client_secret", Value::Null, if secret.is_some() { "copied" } else { "none" }),
            ];
            let message = format!("Copied connection {} as {}", source.name, copy.name);
            self.record_admin(&tx, AdminChange::on(AdminAction::ConnectionDuplicate, &copy, message, diff), now)?;
            tx.commit()?;
            Ok(copy)
        })();
        written.inspect_err(|_| {
            if secret.is_some() {
                let _ = self.secrets().delete(&key);
            }
        })
    }
}

/// An OIDC connection's IdP: the issuer, and nothing SAML.
fn oidc_idp(issuer: &str) -> IdpDescriptor {
    IdpDescriptor {
        entity_id: issuer.to_owned(),
        sso: vec![],
        slo: vec![],
        name_id_formats: vec![],
        signing_certificates: vec![],
        want_authn_requests_signed: false,
        valid_until: None,
    }
}

/// A new connection's settings, and its `metadata_source` (the discovery URL or "manual").
fn settings_from(req: &AddOidc, now: DateTime<Utc>) -> Result<(OidcSettings, String)> {
    let jwks_json =
        req.jwks_json.as_deref().map(|j| discovery::check_public_jwks(j).map(|_| j.to_owned())).transpose()?;
    let has_secret = req.client_secret.as_ref().is_some_and(|s| !s.expose().is_empty());
    let scopes = req.scopes.clone().unwrap_or_else(|| DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).collect());
    let base = |issuer: String, authorization_endpoint, token_endpoint, userinfo_endpoint, jwks_uri| OidcSettings {
        issuer,
        discovery_url: None,
        discovery_json: None,
        discovered_at: None,
        authorization_endpoint,
        token_endpoint,
        userinfo_endpoint,
        jwks_uri,
        jwks_fetched_at: jwks_json.as_ref().map(|_| now),
        jwks_json: jwks_json.clone(),
        client_id: req.client_id.trim().to_owned(),
        client_auth: req.client_auth.unwrap_or(default_client_auth(has_secret, &[])),
        scopes: scopes.clone(),
        allowed_algs: Alg::DEFAULT.to_vec(),
        trusted_audiences: vec![],
        call_userinfo: true,
        redirect_host: RedirectHost::Loopback,
    };
    match &req.source {
        OidcSource::Discovery { typed_url, discovery_json } => {
            let typed = Typed::parse(typed_url);
            let d = discovery::check(discovery_json, &typed)?;
            let mut s = base(d.issuer, d.authorization_endpoint, d.token_endpoint, d.userinfo_endpoint, d.jwks_uri);
            s.call_userinfo = s.userinfo_endpoint.is_some();
            s.client_auth = req.client_auth.unwrap_or(default_client_auth(has_secret, &d.token_endpoint_auth_methods));
            s.allowed_algs = d.usable_algs;
            s.discovery_url = Some(typed.discovery_url.clone());
            s.discovery_json = Some(d.raw);
            s.discovered_at = Some(now);
            Ok((s, crate::metadata::shown_source(&typed.discovery_url)))
        }
        OidcSource::Manual(m) => {
            let issuer = m.issuer.trim().to_owned();
            if issuer.is_empty() {
                return Err(Error::invalid(
                    "the issuer is empty: give the OP's issuer identifier exactly as its ID tokens name it",
                ));
            }
            let userinfo = m.userinfo_endpoint.clone().filter(|u| !u.trim().is_empty());
            let mut s = base(
                issuer,
                m.authorization_endpoint.trim().to_owned(),
                m.token_endpoint.trim().to_owned(),
                userinfo,
                m.jwks_uri.trim().to_owned(),
            );
            s.call_userinfo = s.userinfo_endpoint.is_some();
            Ok((s, MANUAL_SOURCE.to_owned()))
        }
    }
}

impl Workbench {
    /// Imports an exported OIDC connection (settings and cached JWKS; the file has no
    /// secret: set one with `set_oidc_client_secret` when the client needs it).
    pub(crate) fn import_oidc_file(
        &self,
        name: &str,
        settings: OidcSettings,
        policy: SecurityPolicy,
        mapping: MappingDocument,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<ConnectionView> {
        self.free_name(name)?;
        if let Some(j) = &settings.jwks_json {
            discovery::check_public_jwks(j)?;
        }
        let needs_secret = matches!(settings.client_auth, ClientAuth::ClientSecretBasic | ClientAuth::ClientSecretPost)
            || settings.allowed_algs.iter().any(|a| a.is_hmac());
        // The secret is set next, by the admin; everything else is checked now.
        check_settings(&settings, needs_secret)?;
        let new = NewConnection {
            name: name.to_owned(),
            idp: oidc_idp(&settings.issuer),
            sp: SpConfig::default(),
            policy,
            metadata_xml: String::new(),
            metadata_source: crate::metadata::shown_source(source),
            oidc: Some(settings),
        };
        let tx = self.store().write()?;
        let stored = store::connections::insert(&tx, &new, now)?;
        store::mappings::set_mapping(&tx, stored.id, &mapping, now)?;
        let mut diff = Vec::new();
        let after = stored.oidc.as_ref().map(settings_value).unwrap_or(Value::Null);
        audit::diff_values("oidc", &json!({}), &after, &mut diff);
        diff.push(audit::change("mapping", Value::Null, "the connection file"));
        let message = format!("Imported OpenID Connect connection {} from a connection file", stored.name);
        self.record_admin(&tx, AdminChange::on(AdminAction::ConnectionImport, &stored, message, diff), now)?;
        tx.commit()?;
        Ok(self.view(&stored, now))
    }
}
