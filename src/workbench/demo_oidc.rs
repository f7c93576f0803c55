//! "Create demo connection" for OpenID Connect: the `demo-oidc` connection to the demo
//! OpenID Provider (`crate::demo::op`, served at `/demo-idp/oidc`), registered with the
//! demo OP's one client (its secret from the secret store), its published key and the demo
//! mapping (a verified email required, roles from groups), or reused. The demo OP's issuer
//! contains the embedded server's port, so a connection made for another port is made again
//! (it is the demo's, nothing else points at it).

use chrono::{DateTime, Utc};

use super::Workbench;
use super::demo::DemoSetup;
use super::oidc::{AddOidc, OidcSource};
use crate::connection::url_segment;
use crate::demo::{DEMO_OIDC_CONNECTION, demo_oidc_mapping, op};
use crate::error::{Error, ErrorCode, Result};
use crate::oidc::DEFAULT_SCOPES;

impl Workbench {
    /// Creates (or reuses) the `demo-oidc` connection to the demo OP; the test login
    /// starts at `login_url`.
    pub fn create_oidc_demo(&self, now: DateTime<Utc>) -> Result<DemoSetup> {
        let identity = self.demo_identity(now)?;
        let key = self.demo_op_key()?;
        let client = self.demo_op_client()?;
        let issuer = op::issuer(self.base_url());
        let discovery = op::discovery(self.base_url()).to_string();
        let jwks = op::jwks(&key).to_string();
        let existing = match self.store().get_connection(DEMO_OIDC_CONNECTION) {
            Ok(c) => Some(c),
            Err(e) if e.code == ErrorCode::NotFound => None,
            Err(e) => return Err(e),
        };
        let (created, refreshed) = match existing.as_ref().map(|c| c.oidc.as_ref()) {
            None => (true, false),
            Some(Some(o)) if o.issuer == issuer => {
                let stale = o.jwks_json.as_deref() != Some(jwks.as_str());
                if stale {
                    self.replace_discovery(DEMO_OIDC_CONNECTION, &discovery, Some(&jwks), now)?;
                }
                // Another secret store (or a new demo OP secret): the connection follows the OP.
                let stored = self.oidc_client_secret(DEMO_OIDC_CONNECTION)?;
                if stored.as_ref().map(|s| s.expose()) != Some(client.secret.expose()) {
                    self.set_oidc_client_secret(DEMO_OIDC_CONNECTION, Some(client.secret.clone()), now)?;
                }
                (false, stale)
            }
            Some(Some(o)) if o.issuer.ends_with(op::PATH) => {
                // The demo OP on another port: the same demo connection, made again. Its
                // accounts go with it (removing a demo connection clears its demo data).
                self.remove_connection(DEMO_OIDC_CONNECTION, now)?;
                (true, true)
            }
            Some(_) => {
                return Err(Error::new(
                    ErrorCode::AlreadyExists,
                    format!(
                        "a connection named {DEMO_OIDC_CONNECTION:?} already exists for another provider; rename or remove it first"
                    ),
                ));
            }
        };
        if created {
            let scopes = DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).chain(["groups".to_owned()]).collect();
            let request = AddOidc {
                name: DEMO_OIDC_CONNECTION.into(),
                source: OidcSource::Discovery { typed_url: issuer.clone(), discovery_json: discovery },
                jwks_json: Some(jwks),
                client_id: client.client_id.clone(),
                client_secret: Some(client.secret.clone()),
                client_auth: None,
                scopes: Some(scopes),
            };
            self.add_oidc_connection(&request, now)?;
            self.set_mapping(DEMO_OIDC_CONNECTION, &demo_oidc_mapping(), now)?;
        }
        let connection = self.connection(DEMO_OIDC_CONNECTION, now)?;
        let base = self.base_url().trim_end_matches('/');
        Ok(DemoSetup {
            idp: self.demo_view(&identity),
            login_url: format!("{base}/oidc/{}/login", url_segment(DEMO_OIDC_CONNECTION)),
            connection,
            created,
            metadata_refreshed: refreshed,
        })
    }
}
