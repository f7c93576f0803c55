//! OpenID Connect secrets: a connection's client secret, and the key the PKCE verifiers are
//! derived from. None of them ever reaches SQLite.
//!
//! The PKCE verifier (RFC 7636) of an authorization request is not stored anywhere: it is
//! `base64url(HMAC-SHA256(state key, "pkce\0" || state))`, 43 characters, so the callback
//! recomputes it from the `state` it receives. The state key is 32 random bytes kept in the
//! secret store under [`OIDC_STATE_KEY`], created on first use.

use base64::Engine as _;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;

use super::SecretStore;
use crate::sensitive::Sensitive;
use crate::{Error, ErrorCode, Result};

/// Key of the HMAC key PKCE verifiers are derived from (one per secret store).
pub const OIDC_STATE_KEY: &str = "oidc-state-hmac";
/// Length of the state key, in bytes.
pub const STATE_KEY_BYTES: usize = 32;

/// The secret-store key of a connection's OAuth client secret: `oidc-client-secret/<name>`.
pub fn oidc_client_secret(connection_name: &str) -> String {
    format!("oidc-client-secret/{connection_name}")
}

/// The secret-store key of a connection's `private_key_jwt` signing key: `oidc-client-key/<name>`.
pub fn oidc_client_key(connection_name: &str) -> String {
    format!("oidc-client-key/{connection_name}")
}

/// Every secret-store key that belongs to a connection, whatever its protocol (the SCIM token
/// included): what a removal deletes. A copy never takes the SCIM token: its endpoint starts off.
pub fn connection_keys(connection_name: &str) -> [String; 4] {
    [
        super::sp_key(connection_name),
        oidc_client_secret(connection_name),
        oidc_client_key(connection_name),
        super::scim_token(connection_name),
    ]
}

/// The state key, created (32 random bytes) when the store has none. Two processes creating
/// it at once both read back what the store kept last, so they agree from then on.
pub fn state_key(store: &dyn SecretStore) -> Result<Sensitive<Vec<u8>>> {
    if let Some(key) = store.get(OIDC_STATE_KEY)?.filter(|k| k.expose().len() == STATE_KEY_BYTES) {
        return Ok(key);
    }
    let mut bytes = vec![0_u8; STATE_KEY_BYTES];
    openssl::rand::rand_bytes(&mut bytes)
        .map_err(|e| Error::new(ErrorCode::Internal, format!("no randomness for the OIDC state key: {e}")))?;
    store.set(OIDC_STATE_KEY, &Sensitive::new(bytes))?;
    super::require(store, OIDC_STATE_KEY, "OIDC state key")
}

/// The PKCE code verifier of the request with this `state`: 43 base64url characters.
pub fn pkce_verifier(state_key: &Sensitive<Vec<u8>>, state: &str) -> Result<Sensitive<String>> {
    let internal = |e: openssl::error::ErrorStack| Error::new(ErrorCode::Internal, format!("HMAC failed: {e}"));
    let key = PKey::hmac(state_key.expose()).map_err(internal)?;
    let mut signer = Signer::new(MessageDigest::sha256(), &key).map_err(internal)?;
    signer.update(b"pkce\0").map_err(internal)?;
    signer.update(state.as_bytes()).map_err(internal)?;
    let mac = signer.sign_to_vec().map_err(internal)?;
    Ok(Sensitive::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac)))
}

/// The S256 code challenge of a verifier: `base64url(SHA-256(verifier))` (RFC 7636 §4.2).
pub fn pkce_challenge(verifier: &Sensitive<String>) -> String {
    let digest = openssl::sha::sha256(verifier.expose().as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::MemoryStore;

    #[test]
    fn the_state_key_is_made_once_and_kept() {
        let store = MemoryStore::new();
        let first = state_key(&store).unwrap();
        assert_eq!(first.expose().len(), STATE_KEY_BYTES);
        assert_eq!(state_key(&store).unwrap().expose(), first.expose());
    }

    #[test]
    fn the_verifier_is_derived_from_the_state() {
        let key = Sensitive::new(vec![7_u8; 32]);
        let v1 = pkce_verifier(&key, "state-1").unwrap();
        assert_eq!(v1.expose().len(), 43);
        assert!(v1.expose().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(pkce_verifier(&key, "state-1").unwrap().expose(), v1.expose());
        assert_ne!(pkce_verifier(&key, "state-2").unwrap().expose(), v1.expose());
        assert_ne!(pkce_verifier(&Sensitive::new(vec![8_u8; 32]), "state-1").unwrap().expose(), v1.expose());
    }

    /// RFC 7636 Appendix B.
    #[test]
    fn the_challenge_is_s256_of_the_verifier() {
        let verifier = Sensitive::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".to_owned());
        assert_eq!(pkce_challenge(&verifier), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }
}
