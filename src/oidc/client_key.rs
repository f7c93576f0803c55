//! `private_key_jwt` client authentication (OIDC Core §9, RFC 7523): the connection's own
//! RSA-2048 key pair, kept in the secret store (`oidc-client-key/<name>`, PKCS#8 PEM), its
//! public JWK for the admin to register at the OP, and the client assertion the code
//! exchange sends in place of a secret.
//!
//! The assertion is `iss = sub = client_id`, `aud` = the token endpoint URL, a random `jti`
//! of 256 bits, `iat = now`, `exp = now + 60 s`, signed RS256 with the key whose RFC 7638
//! thumbprint is the header's `kid`. `now` is a parameter: nothing here reads the clock.

use chrono::{DateTime, Utc};
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::Alg;
use crate::error::{Error, ErrorCode, Result};
use crate::idp::jws::{self, JwsKey};
use crate::sensitive::Sensitive;

/// The `client_assertion_type` of a JWT bearer client assertion (RFC 7523 §2.2).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// How long an assertion is valid: the exchange follows at once.
pub const ASSERTION_LIFETIME_SECONDS: i64 = 60;
/// Random bytes in a `jti` (256 bits).
const JTI_BYTES: usize = 32;

/// The public half of a connection's client key, as the OP registers it (a JWK).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ClientJwk {
    pub kty: String,
    pub n: String,
    pub e: String,
    /// The RFC 7638 thumbprint of the key.
    pub kid: String,
    #[serde(rename = "use")]
    pub use_: String,
    pub alg: String,
}

/// A connection's client key, ready to sign assertions.
pub struct ClientKey {
    key: JwsKey,
    jwk: ClientJwk,
}

impl std::fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClientKey(kid {})", self.jwk.kid)
    }
}

/// A fresh RSA-2048 private key, PKCS#8 PEM: what the secret store keeps.
pub fn generate_pem() -> Result<Sensitive<Vec<u8>>> {
    let rsa = Rsa::generate(2048).map_err(crypto)?;
    let key = PKey::from_rsa(rsa).map_err(crypto)?;
    Ok(Sensitive::new(key.private_key_to_pem_pkcs8().map_err(crypto)?))
}

impl ClientKey {
    /// The key from its stored PEM.
    pub fn from_pem(pem: &Sensitive<Vec<u8>>) -> Result<ClientKey> {
        let key: PKey<Private> = PKey::private_key_from_pem(pem.expose()).map_err(|_| {
            Error::new(ErrorCode::SecretMissing, "the stored private_key_jwt client key is not a PEM private key")
                .hint("Choose private_key_jwt again to make a new key, and register its public JWK at the OP.")
        })?;
        let public = jws::jwk_of(&key, None)?;
        let kid = jws::thumbprint(&public)?;
        let member = |name: &str| public.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
        let jwk = ClientJwk {
            kty: member("kty"),
            n: member("n"),
            e: member("e"),
            kid,
            use_: "sig".to_owned(),
            alg: Alg::RS256.as_str().to_owned(),
        };
        Ok(ClientKey { key: JwsKey::new(key, Alg::RS256)?, jwk })
    }

    /// The public JWK to register at the OP.
    pub fn public_jwk(&self) -> &ClientJwk {
        &self.jwk
    }

    /// A client assertion for one request to `token_endpoint`, valid from `now` for 60 s.
    pub fn assertion(&self, client_id: &str, token_endpoint: &str, now: DateTime<Utc>) -> Result<Sensitive<String>> {
        let mut jti = [0_u8; JTI_BYTES];
        openssl::rand::rand_bytes(&mut jti).map_err(crypto)?;
        let mut header = Map::new();
        header.insert("typ".into(), "JWT".into());
        header.insert("kid".into(), self.jwk.kid.clone().into());
        let claims = json!({
            "iss": client_id,
            "sub": client_id,
            "aud": token_endpoint,
            "jti": jws::b64(&jti),
            "iat": now.timestamp(),
            "exp": now.timestamp() + ASSERTION_LIFETIME_SECONDS,
        });
        let Value::Object(claims) = claims else {
            return Err(Error::new(ErrorCode::Internal, "the assertion claims are not an object"));
        };
        Ok(Sensitive::new(jws::sign_compact(&header, &claims, &self.key)?))
    }
}

fn crypto(e: openssl::error::ErrorStack) -> Error {
    Error::new(ErrorCode::Internal, format!("openssl failed on the client key: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use openssl::bn::BigNum;
    use openssl::hash::MessageDigest;
    use openssl::sign::Verifier;

    fn decode(part: &str) -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    #[test]
    fn the_assertion_has_the_rfc_7523_claims_and_verifies_with_the_public_jwk() {
        let key = ClientKey::from_pem(&generate_pem().unwrap()).unwrap();
        let now = DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z").unwrap().with_timezone(&Utc);
        let token = key.assertion("client-1", "https://op.example/token", now).unwrap();
        let parts: Vec<&str> = token.expose().split('.').collect();
        assert_eq!(parts.len(), 3);
        let (header, claims) = (decode(parts[0]), decode(parts[1]));
        let jwk = key.public_jwk();
        assert_eq!(header, json!({"alg": "RS256", "typ": "JWT", "kid": jwk.kid}));
        assert_eq!(claims["iss"], "client-1");
        assert_eq!(claims["sub"], "client-1");
        assert_eq!(claims["aud"], "https://op.example/token");
        assert_eq!(claims["iat"], now.timestamp());
        assert_eq!(claims["exp"], now.timestamp() + 60);
        assert_eq!(URL_SAFE_NO_PAD.decode(claims["jti"].as_str().unwrap()).unwrap().len(), 32);
        let again = key.assertion("client-1", "https://op.example/token", now).unwrap();
        assert_ne!(decode(again.expose().split('.').nth(1).unwrap())["jti"], claims["jti"]);

        // The JWK the admin registers: RS256 signature key named by its RFC 7638 thumbprint.
        assert_eq!((jwk.kty.as_str(), jwk.use_.as_str(), jwk.alg.as_str()), ("RSA", "sig", "RS256"));
        let as_json = serde_json::to_value(jwk).unwrap();
        assert_eq!(as_json["use"], "sig");
        assert_eq!(jws::thumbprint(&as_json).unwrap(), jwk.kid);
        let n = BigNum::from_slice(&URL_SAFE_NO_PAD.decode(&jwk.n).unwrap()).unwrap();
        let e = BigNum::from_slice(&URL_SAFE_NO_PAD.decode(&jwk.e).unwrap()).unwrap();
        let public = PKey::from_rsa(Rsa::from_public_components(n, e).unwrap()).unwrap();
        assert_eq!(public.bits(), 2048);
        let mut verifier = Verifier::new(MessageDigest::sha256(), &public).unwrap();
        verifier.update(format!("{}.{}", parts[0], parts[1]).as_bytes()).unwrap();
        assert!(verifier.verify(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap());
    }

    #[test]
    fn a_stored_key_that_is_not_pem_is_refused() {
        let err = ClientKey::from_pem(&Sensitive::new(b"nonsense".to_vec())).unwrap_err();
        assert_eq!(err.code, ErrorCode::SecretMissing);
    }
}
