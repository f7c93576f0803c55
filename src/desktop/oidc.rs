//! OpenID Connect connections for the app: the network fetches (discovery document, JWKS)
//! run cancellable under an operation id, as the metadata fetch does; everything else is
//! one call into crate::workbench::oidc. The client secret arrives from the window (the
//! admin typed it) and goes straight into `Sensitive`; nothing returns it.

use serde::{Deserialize, Serialize};

use super::Desktop;
use crate::error::{Error, Result};
use crate::oidc::discovery::{self, Typed};
use crate::oidc::{self, Alg, ClientAuth, RedirectHost};
use crate::sensitive::Sensitive;
use crate::workbench::{
    AddOidc, ConnectionView, ManualEndpoints, MetadataChange, OidcPreview, OidcSettingsPatch, OidcSource, PresetInfo,
};

/// A discovery document fetched for what the admin typed, its preview, and the OP's JWKS
/// (fetched from the document's `jwks_uri`; a JWKS that could not be fetched is said, the
/// connection can still be saved and fetches it at the first login).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct OidcDiscovery {
    /// What the admin typed (the issuer or the discovery URL).
    pub typed_url: String,
    pub discovery_json: String,
    pub preview: OidcPreview,
    pub jwks: Option<JwksFetched>,
    /// Why the JWKS could not be fetched.
    pub jwks_error: Option<Error>,
}

/// A JWKS as fetched, and what its keys are.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct JwksFetched {
    pub jwks_json: String,
    pub keys: Vec<JwkInfo>,
}

/// One key of a JWKS as the app lists it: never key material, only what names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct JwkInfo {
    /// `kid`, or `#index` for a key without one.
    pub kid: String,
    pub kty: Option<String>,
    pub alg: Option<String>,
    /// `use` (`sig`, `enc`).
    pub key_use: Option<String>,
}

/// The keys of a JWKS document (empty when it does not read as one).
pub fn jwk_infos(jwks_json: &str) -> Vec<JwkInfo> {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(jwks_json) else { return vec![] };
    let Some(keys) = doc.get("keys").and_then(|k| k.as_array()) else { return vec![] };
    let text = |k: &serde_json::Value, m: &str| k.get(m).and_then(|v| v.as_str()).map(str::to_owned);
    keys.iter()
        .take(discovery::MAX_JWKS_KEYS)
        .enumerate()
        .map(|(i, k)| JwkInfo {
            kid: text(k, "kid").unwrap_or_else(|| format!("#{i}")),
            kty: text(k, "kty"),
            alg: text(k, "alg"),
            key_use: text(k, "use"),
        })
        .collect()
}

/// "Add an OpenID Connect connection" from the window.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct OidcAddRequest {
    pub name: String,
    /// What the admin typed and the discovery document fetched for it; or `manual`.
    pub typed_url: Option<String>,
    pub discovery_json: Option<String>,
    pub manual: Option<OidcManualEndpoints>,
    pub jwks_json: Option<String>,
    pub client_id: String,
    /// Typed by the admin; kept in the secret store only, never sent back.
    pub client_secret: Option<String>,
    pub client_auth: Option<ClientAuth>,
    pub scopes: Option<Vec<String>>,
}

/// Endpoints typed by hand.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct OidcManualEndpoints {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    pub userinfo_endpoint: Option<String>,
}

impl OidcAddRequest {
    fn into_core(self) -> Result<AddOidc> {
        let source = match (self.typed_url, self.discovery_json, self.manual) {
            (Some(typed_url), Some(discovery_json), None) => OidcSource::Discovery { typed_url, discovery_json },
            (None, None, Some(m)) => OidcSource::Manual(ManualEndpoints {
                issuer: m.issuer,
                authorization_endpoint: m.authorization_endpoint,
                token_endpoint: m.token_endpoint,
                jwks_uri: m.jwks_uri,
                userinfo_endpoint: m.userinfo_endpoint,
            }),
            _ => {
                return Err(Error::invalid(
                    "give either a discovery document (with the URL it was fetched for) or the endpoints typed by hand",
                ));
            }
        };
        Ok(AddOidc {
            name: self.name,
            source,
            jwks_json: self.jwks_json,
            client_id: self.client_id,
            client_secret: self.client_secret.filter(|s| !s.is_empty()).map(Sensitive::new),
            client_auth: self.client_auth,
            scopes: self.scopes,
        })
    }
}

/// A change of an OIDC connection's settings from the Security tab; absent fields stay.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct OidcSettingsChange {
    pub client_id: Option<String>,
    pub client_auth: Option<ClientAuth>,
    pub scopes: Option<Vec<String>>,
    pub allowed_algs: Option<Vec<Alg>>,
    pub trusted_audiences: Option<Vec<String>>,
    pub call_userinfo: Option<bool>,
    pub redirect_host: Option<RedirectHost>,
    pub clock_skew_seconds: Option<u32>,
}

impl From<OidcSettingsChange> for OidcSettingsPatch {
    fn from(c: OidcSettingsChange) -> Self {
        OidcSettingsPatch {
            client_id: c.client_id,
            client_auth: c.client_auth,
            scopes: c.scopes,
            allowed_algs: c.allowed_algs,
            trusted_audiences: c.trusted_audiences,
            call_userinfo: c.call_userinfo,
            redirect_host: c.redirect_host,
            clock_skew_seconds: c.clock_skew_seconds,
        }
    }
}

/// What re-discovering would change, with the documents to apply.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct RediscoverPreview {
    pub url: String,
    pub discovery_json: String,
    pub changes: Vec<MetadataChange>,
    pub jwks: Option<JwksFetched>,
    pub jwks_error: Option<Error>,
}

impl Desktop {
    /// Fetches the discovery document for `url` (an issuer or its discovery URL), previews
    /// it, then fetches its JWKS; all cancellable under `operation`.
    pub async fn discover_oidc(&self, url: String, name: Option<String>, operation: String) -> Result<OidcDiscovery> {
        let typed = Typed::parse(&url);
        let discovery_json = self.cancellable(&operation, oidc::http::fetch_discovery_text(&typed)).await?;
        let (text, typed_url) = (discovery_json.clone(), url.clone());
        let preview = self.run(move |wb, _| wb.preview_oidc(&text, &typed_url, name.as_deref())).await?;
        let (jwks, jwks_error) = match self.fetch_jwks(preview.jwks_uri.clone(), operation).await {
            Ok(j) => (Some(j), None),
            Err(e) if e.code == crate::ErrorCode::Cancelled => return Err(e),
            Err(e) => (None, Some(e)),
        };
        Ok(OidcDiscovery { typed_url: url, discovery_json, preview, jwks, jwks_error })
    }

    /// Fetches a JWKS (public keys only), cancellable under `operation`.
    pub async fn fetch_jwks(&self, url: String, operation: String) -> Result<JwksFetched> {
        let (jwks_json, _) = self.cancellable(&operation, oidc::http::fetch_jwks(&url)).await?;
        Ok(JwksFetched { keys: jwk_infos(&jwks_json), jwks_json })
    }

    /// The preview of a discovery document already fetched, for another connection name.
    pub async fn preview_oidc(
        &self,
        discovery_json: String,
        typed_url: String,
        name: Option<String>,
    ) -> Result<OidcPreview> {
        self.run(move |wb, _| wb.preview_oidc(&discovery_json, &typed_url, name.as_deref())).await
    }

    pub async fn add_oidc_connection(&self, request: OidcAddRequest) -> Result<ConnectionView> {
        let request = request.into_core()?;
        self.run(move |wb, now| wb.add_oidc_connection(&request, now)).await
    }

    /// Fetches the connection's discovery document and JWKS again and lists what would change.
    pub async fn rediscover_preview(&self, name: String, operation: String) -> Result<RediscoverPreview> {
        let n = name.clone();
        let view = self.run(move |wb, now| wb.connection(&n, now)).await?;
        let Some(o) = view.oidc else {
            return Err(Error::invalid(format!(
                "connection {name:?} is a SAML connection: re-import its metadata instead"
            )));
        };
        let url = o.discovery_url.clone().unwrap_or_else(|| discovery::discovery_url(&o.issuer));
        let discovery_json =
            self.cancellable(&operation, oidc::http::fetch_discovery_text(&Typed::parse(&url))).await?;
        let text = discovery_json.clone();
        let changes = self.run(move |wb, _| wb.rediscover_preview(&name, &text)).await?;
        let jwks_uri = serde_json::from_str::<serde_json::Value>(&discovery_json)
            .ok()
            .and_then(|d| d.get("jwks_uri").and_then(|u| u.as_str()).map(str::to_owned))
            .unwrap_or(o.jwks_uri);
        let (jwks, jwks_error) = match self.fetch_jwks(jwks_uri, operation).await {
            Ok(j) => (Some(j), None),
            Err(e) if e.code == crate::ErrorCode::Cancelled => return Err(e),
            Err(e) => (None, Some(e)),
        };
        Ok(RediscoverPreview { url, discovery_json, changes, jwks, jwks_error })
    }

    /// Applies a re-discovered document (and JWKS) after [`Desktop::rediscover_preview`].
    pub async fn replace_discovery(
        &self,
        name: String,
        discovery_json: String,
        jwks_json: Option<String>,
    ) -> Result<ConnectionView> {
        self.run(move |wb, now| wb.replace_discovery(&name, &discovery_json, jwks_json.as_deref(), now)).await
    }

    pub async fn set_oidc_settings(&self, name: String, change: OidcSettingsChange) -> Result<ConnectionView> {
        let patch = OidcSettingsPatch::from(change);
        self.run(move |wb, now| wb.set_oidc_settings(&name, &patch, now)).await
    }

    /// The mapping presets for OIDC claims (the Mapping tab of an OIDC connection).
    pub async fn oidc_presets(&self) -> Result<Vec<PresetInfo>> {
        self.run(|wb, _| Ok(wb.oidc_presets())).await
    }

    /// The keys of the connection's cached JWKS (empty before the first fetch).
    pub async fn oidc_jwks_keys(&self, name: String) -> Result<Vec<JwkInfo>> {
        self.run(move |wb, _| {
            let c = wb.store().get_connection(&name)?;
            Ok(c.oidc.and_then(|o| o.jwks_json).map(|j| jwk_infos(&j)).unwrap_or_default())
        })
        .await
    }

    /// Sets (or, with `None` or an empty text, removes) the client secret.
    pub async fn set_oidc_client_secret(&self, name: String, secret: Option<String>) -> Result<ConnectionView> {
        let secret = secret.map(Sensitive::new);
        self.run(move |wb, now| wb.set_oidc_client_secret(&name, secret, now)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwk_infos_name_keys_and_never_their_material() {
        let jwks = r#"{"keys":[{"kty":"RSA","kid":"k1","alg":"RS256","use":"sig","n":"AQAB","e":"AQAB"},{"kty":"EC","crv":"P-256","x":"a","y":"b"}]}"#;
        let keys = jwk_infos(jwks);
        assert_eq!(keys.len(), 2);
        assert_eq!(
            keys[0],
            JwkInfo {
                kid: "k1".into(),
                kty: Some("RSA".into()),
                alg: Some("RS256".into()),
                key_use: Some("sig".into())
            }
        );
        assert_eq!(keys[1].kid, "#1");
        assert_eq!(keys[1].alg, None);
        assert!(jwk_infos("not json").is_empty());
        assert!(jwk_infos(r#"{"keys":"x"}"#).is_empty());
    }
}
