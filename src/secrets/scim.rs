//! A connection's SCIM bearer token: `hs_scim_` + 32 random bytes in base64url (no padding),
//! kept under `scim-token/<name>` and nowhere else. The server compares SHA-256 digests in
//! constant time, so the token itself is read only to make its digest.

use base64::Engine as _;

use crate::sensitive::Sensitive;
use crate::{Error, ErrorCode, Result};

/// Every token starts with this, so a leaked one is recognisable (secret scanners, logs).
pub const SCIM_TOKEN_PREFIX: &str = "hs_scim_";
/// Random bytes in a token.
pub const SCIM_TOKEN_BYTES: usize = 32;

/// The secret-store key of a connection's SCIM bearer token: `scim-token/<name>`.
pub fn scim_token(connection_name: &str) -> String {
    format!("scim-token/{connection_name}")
}

/// A new token: `hs_scim_` and 43 base64url characters.
pub fn generate_scim_token() -> Result<Sensitive<String>> {
    let mut bytes = [0_u8; SCIM_TOKEN_BYTES];
    openssl::rand::rand_bytes(&mut bytes)
        .map_err(|e| Error::new(ErrorCode::Internal, format!("no randomness for a SCIM token: {e}")))?;
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    Ok(Sensitive::new(format!("{SCIM_TOKEN_PREFIX}{encoded}")))
}

/// SHA-256 of a token's bytes: what the bearer check compares.
pub fn scim_token_digest(token: &[u8]) -> [u8; 32] {
    openssl::sha::sha256(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_prefixed_random_and_url_safe() {
        let a = generate_scim_token().unwrap();
        let b = generate_scim_token().unwrap();
        assert_ne!(a.expose(), b.expose());
        let body = a.expose().strip_prefix(SCIM_TOKEN_PREFIX).unwrap();
        assert_eq!(body.len(), 43);
        assert!(body.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_eq!(scim_token("acme"), "scim-token/acme");
        crate::secrets::validate_key(&scim_token("acme-2.prod")).unwrap();
    }
}
