//! A connection's `private_key_jwt` client key: made once (RSA-2048) when the connection
//! first authenticates with it, kept only in the secret store (`oidc-client-key/<name>`),
//! shown as its public JWK, and turned into a client assertion for each code exchange.
//! Audit diffs say `generated`, `copied` or `kept`, never the key.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::Workbench;
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::oidc::client_key::{self, ClientJwk, ClientKey};
use crate::oidc::{ClientAuth, OidcSettings};
use crate::secrets;
use crate::sensitive::Sensitive;

/// The method a connection wants, refused when the OP's discovery document does not list it
/// in `token_endpoint_auth_methods_supported` (absent, the default is `client_secret_basic`
/// alone: OIDC Discovery §3). Only `private_key_jwt` is checked: the secret methods were
/// always accepted, and an OP that lists none still takes them in practice.
pub(super) fn check_auth_offered(s: &OidcSettings) -> Result<()> {
    if s.client_auth != ClientAuth::PrivateKeyJwt {
        return Ok(());
    }
    let Some(doc) = s.discovery_json.as_deref().and_then(|d| serde_json::from_str::<Value>(d).ok()) else {
        return Ok(()); // endpoints typed by hand: the admin knows the OP
    };
    let offered: Vec<&str> = doc
        .get("token_endpoint_auth_methods_supported")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_else(|| vec!["client_secret_basic"]);
    if offered.contains(&"private_key_jwt") {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "the OP does not accept private_key_jwt: its discovery document's token_endpoint_auth_methods_supported is \
         [{}]",
        offered.join(", ")
    ))
    .detail("client_auth_not_offered")
    .hint(format!(
        "Choose one of the methods the OP lists ({}), or re-discover if the OP's configuration changed.",
        offered.join(", ")
    )))
}

impl Workbench {
    /// The connection's client key, if one was made.
    pub fn oidc_client_key(&self, name: &str) -> Result<Option<ClientKey>> {
        self.secrets().get(&secrets::oidc_client_key(name))?.map(|pem| ClientKey::from_pem(&pem)).transpose()
    }

    /// The public JWK to register at the OP, for a connection that uses `private_key_jwt`.
    pub(super) fn oidc_client_jwk(&self, c: &Connection) -> Option<ClientJwk> {
        let uses_key = c.oidc.as_ref().is_some_and(|s| s.client_auth == ClientAuth::PrivateKeyJwt);
        if !uses_key {
            return None;
        }
        self.oidc_client_key(&c.name).ok().flatten().map(|k| k.public_jwk().clone())
    }

    /// The client assertion for one code exchange at `now` (`None` unless the connection
    /// uses `private_key_jwt`; without a stored key the exchange says so and sends nothing).
    pub(super) fn oidc_client_assertion(
        &self,
        c: &Connection,
        s: &OidcSettings,
        now: DateTime<Utc>,
    ) -> Result<Option<Sensitive<String>>> {
        if s.client_auth != ClientAuth::PrivateKeyJwt {
            return Ok(None);
        }
        match self.oidc_client_key(&c.name)? {
            Some(key) => key.assertion(&s.client_id, &s.token_endpoint, now).map(Some),
            None => Ok(None),
        }
    }

    /// Makes the connection's client key when it needs one and has none. Returns whether it
    /// made one (the caller deletes it again if its transaction fails, and says `generated`
    /// in its audit diff).
    pub(super) fn ensure_oidc_client_key(&self, name: &str, s: &OidcSettings) -> Result<bool> {
        if s.client_auth != ClientAuth::PrivateKeyJwt {
            return Ok(false);
        }
        let key = secrets::oidc_client_key(name);
        if let Some(pem) = self.secrets().get(&key)?
            && ClientKey::from_pem(&pem).is_ok()
        {
            return Ok(false);
        }
        self.secrets().set(&key, &client_key::generate_pem()?)?;
        Ok(true)
    }

    /// Deletes a key [`Workbench::ensure_oidc_client_key`] made, after a failed write.
    pub(super) fn forget_new_client_key(&self, name: &str, generated: bool) {
        if generated {
            let _ = self.secrets().delete(&secrets::oidc_client_key(name));
        }
    }

    /// Copies a connection's client key to another name (a duplicate). Returns whether there
    /// was one.
    pub(super) fn copy_oidc_client_key(&self, from: &str, to: &str) -> Result<bool> {
        match self.secrets().get(&secrets::oidc_client_key(from))? {
            Some(pem) => {
                self.secrets().set(&secrets::oidc_client_key(to), &pem)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}
