//! SCIM requests against a connection's directory: one request is one write transaction
//! holding the resource, the account and its identity, the audit row (with the field diff and
//! the redacted request) and the request-log row. Authentication is the server's job
//! (`server::scim_auth`, with [`Workbench::scim_gate`] and [`Workbench::scim_token_digest`]):
//! a request reaching [`Workbench::scim_request`] is authorised.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Workbench;
use crate::error::Result;
use crate::scim::{ScimRequest, ScimResponse};
use crate::secrets;
use crate::store;

/// What the bearer check needs for a connection whose SCIM endpoint is on; read per request,
/// so that a rotate or disable takes effect at once (the server caches digests per generation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ScimGate {
    pub connection_id: i64,
    pub generation: u32,
}

impl Workbench {
    /// Answers one authorised SCIM request (any SCIM-level failure is a `ScimResponse` with a
    /// SCIM error body, logged; `Err` only when the store fails).
    #[allow(clippy::unimplemented, unused_variables)]
    pub fn scim_request(&self, connection: &str, request: ScimRequest, now: DateTime<Utc>) -> Result<ScimResponse> {
        unimplemented!("issue #15: helper svc")
    }

    /// `None` when the connection does not exist or its SCIM endpoint is off.
    pub fn scim_gate(&self, connection: &str) -> Result<Option<ScimGate>> {
        Ok(store::scim::gate(self.store(), connection)?
            .map(|(connection_id, generation)| ScimGate { connection_id, generation }))
    }

    /// SHA-256 of the connection's current token (from the secret store), for a constant-time
    /// comparison; the token itself never leaves the workbench.
    pub fn scim_token_digest(&self, connection: &str) -> Result<[u8; 32]> {
        let token = secrets::require(self.secrets().as_ref(), &secrets::scim_token(connection), "SCIM token")?;
        Ok(secrets::scim_token_digest(token.expose()))
    }
}
