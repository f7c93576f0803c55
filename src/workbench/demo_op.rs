//! The demo OpenID Provider's operations: its signing key and its client's secret (both in
//! the secret store, created on first use), and who can sign in (the demo IdP's personas).
//! The protocol lives in `crate::demo::op`, the HTTP side in `crate::server::demo_op`.

use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::Workbench;
use crate::demo::op::{self, OpClient, OpKey};
use crate::demo::{Persona, find_persona};
use crate::error::{Error, Result};
use crate::sensitive::Sensitive;

/// Creating a secret on first use happens once in this process: two first requests at once
/// must not each store a different key (a token signed by one, a JWKS showing the other).
static FIRST_USE: Mutex<()> = Mutex::new(());

impl Workbench {
    /// The demo OP's signing key, made on first use and kept under `demo-op-key`.
    pub fn demo_op_key(&self) -> Result<OpKey> {
        if let Some(pem) = self.secrets().get(op::KEY_SECRET)? {
            return OpKey::from_pem(&pem);
        }
        let _once = FIRST_USE.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(pem) = self.secrets().get(op::KEY_SECRET)? {
            return OpKey::from_pem(&pem);
        }
        let (key, pem) = OpKey::generate()?;
        self.secrets().set(op::KEY_SECRET, &pem)?;
        Ok(key)
    }

    /// The demo OP's one client: id [`op::CLIENT_ID`], its secret made on first use and kept
    /// under `demo-op-client-secret`. An OIDC demo connection is registered with these.
    pub fn demo_op_client(&self) -> Result<OpClient> {
        let read = |bytes: Sensitive<Vec<u8>>| -> Result<OpClient> {
            let secret = String::from_utf8(bytes.into_inner())
                .map_err(|_| Error::invalid("the demo OP's client secret in the secret store is not text"))?;
            Ok(OpClient { client_id: op::CLIENT_ID.into(), secret: Sensitive::new(secret) })
        };
        if let Some(bytes) = self.secrets().get(op::CLIENT_SECRET_SECRET)? {
            return read(bytes);
        }
        let _once = FIRST_USE.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(bytes) = self.secrets().get(op::CLIENT_SECRET_SECRET)? {
            return read(bytes);
        }
        let secret = op::new_client_secret()?;
        self.secrets().set(op::CLIENT_SECRET_SECRET, &Sensitive::new(secret.expose().as_bytes().to_vec()))?;
        Ok(OpClient { client_id: op::CLIENT_ID.into(), secret })
    }

    /// The demo OP's issuer on this server: `{base}/demo-idp/oidc`.
    pub fn demo_op_issuer(&self) -> String {
        op::issuer(self.base_url())
    }

    /// Who can sign in at the demo OP: the demo IdP's personas (the default directory is
    /// made on first use, as for the SAML demo IdP).
    pub fn demo_op_personas(&self, now: DateTime<Utc>) -> Result<Vec<Persona>> {
        self.demo_identity(now)?;
        self.demo_personas()
    }

    /// A persona's claims for `scope`; `Ok(Err(why))` when the OP refuses to sign that
    /// person in (deactivated), which the OP answers with `access_denied`.
    pub fn demo_op_claims(
        &self,
        persona: &str,
        scope: &str,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<Map<String, Value>, String>> {
        let all = self.demo_op_personas(now)?;
        let p = find_persona(&all, persona)
            .ok_or_else(|| Error::not_found(format!("the demo IdP has no persona {persona:?}")))?;
        if !p.active {
            return Ok(Err(format!("The account {} is disabled at the identity provider", p.email)));
        }
        Ok(Ok(op::persona_claims(p, scope)))
    }
}
