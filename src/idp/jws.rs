//! Compact JWS signing (RFC 7515 §7.1) with openssl: the ID tokens of the demo OP, the
//! `private_key_jwt` client assertion and the committed OIDC fixtures all come from here, so
//! tests and demos exercise one implementation. Verification is the judge's business
//! (`oidc::jose`), written separately so a signer bug cannot hide a verifier bug.
//!
//! `JwsKey::Unsigned` (`alg: none`, empty signature) exists only so the fixture generator and
//! the demo's failure scenarios can make the token an attacker would send; nothing else
//! should construct it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openssl::bn::BigNumContext;
use openssl::ec::PointConversionForm;
use openssl::ecdsa::EcdsaSig;
use openssl::hash::{MessageDigest, hash};
use openssl::nid::Nid;
use openssl::pkey::{HasPublic, PKey, PKeyRef, Private};
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Signer};
use serde_json::{Map, Value};

use crate::error::{Error, ErrorCode, Result};
use crate::oidc::Alg;
use crate::sensitive::Sensitive;

/// A key ready to sign, with the algorithm it signs with.
pub enum JwsKey {
    /// RS256/384/512 (PKCS#1 v1.5) or PS256/384/512 (PSS, salt = hash length).
    Rsa { key: Sensitive<PKey<Private>>, alg: Alg },
    /// ES256 (P-256) or ES384 (P-384); the signature is raw `r || s`, not DER.
    Ec { key: Sensitive<PKey<Private>>, alg: Alg },
    /// HS256/384/512 keyed with a shared secret (an OIDC client secret).
    Hmac { secret: Sensitive<Vec<u8>>, alg: Alg },
    /// `alg: none` with an empty signature: the unsafe token, made on purpose.
    Unsigned,
}

impl std::fmt::Debug for JwsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JwsKey({})", self.alg_name())
    }
}

impl JwsKey {
    /// An RSA or EC private key for `alg`, refused when the key cannot make that algorithm.
    pub fn new(key: PKey<Private>, alg: Alg) -> Result<JwsKey> {
        let mismatch = || Error::invalid(format!("this key cannot sign {}", alg.as_str()));
        match alg {
            Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 | Alg::PS384 | Alg::PS512 => {
                key.rsa().map_err(|_| mismatch())?;
                Ok(JwsKey::Rsa { key: Sensitive::new(key), alg })
            }
            Alg::ES256 | Alg::ES384 => {
                let ec = key.ec_key().map_err(|_| mismatch())?;
                if ec.group().curve_name() != Some(curve_of(alg)) {
                    return Err(mismatch());
                }
                Ok(JwsKey::Ec { key: Sensitive::new(key), alg })
            }
            Alg::HS256 | Alg::HS384 | Alg::HS512 => Err(mismatch()),
        }
    }

    /// A PEM private key (PKCS#8 or traditional) for `alg`.
    pub fn from_pem(pem: &Sensitive<Vec<u8>>, alg: Alg) -> Result<JwsKey> {
        let key = PKey::private_key_from_pem(pem.expose())
            .map_err(|_| Error::invalid("the private key is not a valid PEM private key"))?;
        JwsKey::new(key, alg)
    }

    /// An HMAC key; `alg` must be HS256, HS384 or HS512.
    pub fn hmac(secret: Sensitive<Vec<u8>>, alg: Alg) -> Result<JwsKey> {
        if !alg.is_hmac() {
            return Err(Error::invalid(format!("{} is not an HMAC algorithm", alg.as_str())));
        }
        Ok(JwsKey::Hmac { secret, alg })
    }

    /// The JOSE `alg` this key writes in the header.
    pub fn alg_name(&self) -> &'static str {
        match self {
            JwsKey::Rsa { alg, .. } | JwsKey::Ec { alg, .. } | JwsKey::Hmac { alg, .. } => alg.as_str(),
            JwsKey::Unsigned => "none",
        }
    }

    /// The public JWK of an RSA or EC key (`None` for HMAC and unsigned).
    pub fn public_jwk(&self, kid: Option<&str>) -> Result<Option<Value>> {
        match self {
            JwsKey::Rsa { key, alg } | JwsKey::Ec { key, alg } => {
                let mut jwk = jwk_of(key.expose(), kid)?;
                if let Value::Object(members) = &mut jwk {
                    members.insert("alg".into(), Value::String(alg.as_str().into()));
                }
                Ok(Some(jwk))
            }
            JwsKey::Hmac { .. } | JwsKey::Unsigned => Ok(None),
        }
    }
}

/// base64url without padding (RFC 7515 §2), the only encoding JOSE uses.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `BASE64URL(header) . BASE64URL(claims) . BASE64URL(signature)`. The header's `alg` is
/// always the key's (set first, replacing any `alg` given), so a token cannot claim an
/// algorithm it was not signed with; fixtures that lie build the parts with `signature`.
pub fn sign_compact(header: &Map<String, Value>, claims: &Map<String, Value>, key: &JwsKey) -> Result<String> {
    let mut protected = Map::new();
    protected.insert("alg".into(), Value::String(key.alg_name().into()));
    for (name, value) in header.iter().filter(|(name, _)| name.as_str() != "alg") {
        protected.insert(name.clone(), value.clone());
    }
    let header_json = serde_json::to_vec(&protected).map_err(internal)?;
    let claims_json = serde_json::to_vec(claims).map_err(internal)?;
    let signing_input = format!("{}.{}", b64(&header_json), b64(&claims_json));
    let signature = signature(signing_input.as_bytes(), key)?;
    Ok(format!("{signing_input}.{}", b64(&signature)))
}

/// The JWS signature over `signing_input` (the ASCII `header.payload`).
pub fn signature(signing_input: &[u8], key: &JwsKey) -> Result<Vec<u8>> {
    match key {
        JwsKey::Rsa { key, alg } => {
            let mut signer = Signer::new(digest_of(*alg), key.expose()).map_err(crypto)?;
            if matches!(alg, Alg::PS256 | Alg::PS384 | Alg::PS512) {
                signer.set_rsa_padding(Padding::PKCS1_PSS).map_err(crypto)?;
                signer.set_rsa_mgf1_md(digest_of(*alg)).map_err(crypto)?;
                signer.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH).map_err(crypto)?;
            }
            signer.update(signing_input).map_err(crypto)?;
            signer.sign_to_vec().map_err(crypto)
        }
        JwsKey::Ec { key, alg } => {
            let digest = hash(digest_of(*alg), signing_input).map_err(crypto)?;
            let ec = key.expose().ec_key().map_err(crypto)?;
            let sig = EcdsaSig::sign(&digest, &ec).map_err(crypto)?;
            let width = coordinate_len(*alg);
            let mut raw = sig.r().to_vec_padded(width).map_err(crypto)?;
            raw.extend(sig.s().to_vec_padded(width).map_err(crypto)?);
            Ok(raw)
        }
        JwsKey::Hmac { secret, alg } => {
            let pkey = PKey::hmac(secret.expose()).map_err(crypto)?;
            let mut signer = Signer::new(digest_of(*alg), &pkey).map_err(crypto)?;
            signer.update(signing_input).map_err(crypto)?;
            signer.sign_to_vec().map_err(crypto)
        }
        JwsKey::Unsigned => Ok(Vec::new()),
    }
}

/// The public JWK (RFC 7517) of an RSA or P-256/P-384 key, with `kid` and `use: sig`.
pub fn jwk_of<T: HasPublic>(key: &PKeyRef<T>, kid: Option<&str>) -> Result<Value> {
    let mut jwk = Map::new();
    if let Ok(rsa) = key.rsa() {
        jwk.insert("kty".into(), "RSA".into());
        jwk.insert("n".into(), b64(&rsa.n().to_vec()).into());
        jwk.insert("e".into(), b64(&rsa.e().to_vec()).into());
    } else if let Ok(ec) = key.ec_key() {
        let (crv, width) = match ec.group().curve_name() {
            Some(Nid::X9_62_PRIME256V1) => ("P-256", 32),
            Some(Nid::SECP384R1) => ("P-384", 48),
            _ => return Err(Error::invalid("only P-256 and P-384 EC keys have a JWK here")),
        };
        let mut ctx = BigNumContext::new().map_err(crypto)?;
        let point =
            ec.public_key().to_bytes(ec.group(), PointConversionForm::UNCOMPRESSED, &mut ctx).map_err(crypto)?;
        // 0x04 || x || y
        let (x, y) = point.get(1..).unwrap_or_default().split_at_checked(width).unwrap_or_default();
        if x.len() != width || y.len() != width {
            return Err(Error::new(ErrorCode::Internal, "the EC public point has an unexpected size"));
        }
        jwk.insert("kty".into(), "EC".into());
        jwk.insert("crv".into(), crv.into());
        jwk.insert("x".into(), b64(x).into());
        jwk.insert("y".into(), b64(y).into());
    } else {
        return Err(Error::invalid("only RSA and EC keys have a JWK here"));
    }
    jwk.insert("use".into(), "sig".into());
    if let Some(kid) = kid {
        jwk.insert("kid".into(), kid.into());
    }
    Ok(Value::Object(jwk))
}

/// The RFC 7638 thumbprint of a JWK: SHA-256 over its required members in lexicographic
/// order with no whitespace, base64url. Used as the `kid` of keys Handshake makes.
pub fn thumbprint(jwk: &Value) -> Result<String> {
    let member = |name: &str| -> Result<&str> {
        jwk.get(name).and_then(Value::as_str).ok_or_else(|| Error::invalid(format!("the JWK has no \"{name}\" member")))
    };
    let required: &[&str] = match member("kty")? {
        "RSA" => &["e", "kty", "n"],
        "EC" => &["crv", "kty", "x", "y"],
        "oct" => &["k", "kty"],
        other => return Err(Error::invalid(format!("no thumbprint for key type {other}"))),
    };
    let mut canonical = Map::new();
    for name in required {
        canonical.insert((*name).to_owned(), Value::String(member(name)?.to_owned()));
    }
    let json = serde_json::to_vec(&canonical).map_err(internal)?;
    Ok(b64(&hash(MessageDigest::sha256(), &json).map_err(crypto)?))
}

/// The hash an algorithm names (also the hash of `at_hash`/`c_hash`).
pub fn digest_of(alg: Alg) -> MessageDigest {
    match alg {
        Alg::RS256 | Alg::PS256 | Alg::ES256 | Alg::HS256 => MessageDigest::sha256(),
        Alg::RS384 | Alg::PS384 | Alg::ES384 | Alg::HS384 => MessageDigest::sha384(),
        Alg::RS512 | Alg::PS512 | Alg::HS512 => MessageDigest::sha512(),
    }
}

fn curve_of(alg: Alg) -> Nid {
    if alg == Alg::ES384 { Nid::SECP384R1 } else { Nid::X9_62_PRIME256V1 }
}

/// Bytes of `r` (and of `s`) in an ES signature.
fn coordinate_len(alg: Alg) -> i32 {
    if alg == Alg::ES384 { 48 } else { 32 }
}

fn crypto(e: openssl::error::ErrorStack) -> Error {
    Error::new(ErrorCode::Internal, format!("openssl could not sign: {e}"))
}

fn internal(e: serde_json::Error) -> Error {
    Error::new(ErrorCode::Internal, format!("the JOSE JSON could not be written: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::ec::{EcGroup, EcKey};
    use openssl::rsa::Rsa;
    use openssl::sign::Verifier;
    use serde_json::json;

    fn rsa_key() -> PKey<Private> {
        let pem = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/idp.key")).unwrap();
        PKey::private_key_from_pem(&pem).unwrap()
    }

    fn ec_key() -> PKey<Private> {
        let pem = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/idp-ec.key")).unwrap();
        PKey::private_key_from_pem(&pem).unwrap()
    }

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn parts(token: &str) -> Vec<Vec<u8>> {
        token.split('.').map(|p| URL_SAFE_NO_PAD.decode(p).unwrap()).collect()
    }

    fn sign(key: &JwsKey) -> String {
        sign_compact(&object(json!({"kid": "k1", "alg": "lie"})), &object(json!({"sub": "alice"})), key).unwrap()
    }

    #[test]
    fn rs256_verifies_with_openssl_and_alg_comes_first_from_the_key() {
        let token = sign(&JwsKey::new(rsa_key(), Alg::RS256).unwrap());
        let p = parts(&token);
        assert_eq!(String::from_utf8(p[0].clone()).unwrap(), r#"{"alg":"RS256","kid":"k1"}"#);
        assert_eq!(String::from_utf8(p[1].clone()).unwrap(), r#"{"sub":"alice"}"#);
        let input = token.rsplit_once('.').unwrap().0;
        let key = rsa_key();
        let mut v = Verifier::new(MessageDigest::sha256(), &key).unwrap();
        v.update(input.as_bytes()).unwrap();
        assert!(v.verify(&p[2]).unwrap());
    }

    #[test]
    fn ps_signatures_use_pss_with_digest_length_salt() {
        for (alg, md) in [(Alg::PS256, MessageDigest::sha256()), (Alg::PS512, MessageDigest::sha512())] {
            let token = sign(&JwsKey::new(rsa_key(), alg).unwrap());
            let p = parts(&token);
            let input = token.rsplit_once('.').unwrap().0;
            let key = rsa_key();
            let mut v = Verifier::new(md, &key).unwrap();
            v.set_rsa_padding(Padding::PKCS1_PSS).unwrap();
            v.set_rsa_mgf1_md(md).unwrap();
            v.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH).unwrap();
            v.update(input.as_bytes()).unwrap();
            assert!(v.verify(&p[2]).unwrap(), "{alg:?}");
        }
    }

    #[test]
    fn es256_signature_is_raw_r_and_s_of_32_bytes_each() {
        let token = sign(&JwsKey::new(ec_key(), Alg::ES256).unwrap());
        let p = parts(&token);
        assert_eq!(p[2].len(), 64);
        let r = openssl::bn::BigNum::from_slice(&p[2][..32]).unwrap();
        let s = openssl::bn::BigNum::from_slice(&p[2][32..]).unwrap();
        let sig = EcdsaSig::from_private_components(r, s).unwrap();
        let digest = hash(MessageDigest::sha256(), token.rsplit_once('.').unwrap().0.as_bytes()).unwrap();
        assert!(sig.verify(&digest, &ec_key().ec_key().unwrap()).unwrap());
    }

    #[test]
    fn es384_needs_a_p384_key() {
        assert!(JwsKey::new(ec_key(), Alg::ES384).is_err());
        let group = EcGroup::from_curve_name(Nid::SECP384R1).unwrap();
        let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
        let token = sign(&JwsKey::new(key, Alg::ES384).unwrap());
        assert_eq!(parts(&token)[2].len(), 96);
    }

    #[test]
    fn hmac_matches_rfc_7515_appendix_a1() {
        // RFC 7515 A.1: the exact header and payload bytes, signed with the example key.
        let key = URL_SAFE_NO_PAD
            .decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
            .unwrap();
        let key = JwsKey::hmac(Sensitive::new(key), Alg::HS256).unwrap();
        let input = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
        assert_eq!(b64(&signature(input.as_bytes(), &key).unwrap()), "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert!(JwsKey::hmac(Sensitive::new(vec![1]), Alg::RS256).is_err());
    }

    #[test]
    fn unsigned_token_says_none_and_has_an_empty_signature() {
        let token = sign(&JwsKey::Unsigned);
        assert!(token.ends_with('.'));
        assert_eq!(String::from_utf8(parts(&token)[0].clone()).unwrap(), r#"{"alg":"none","kid":"k1"}"#);
    }

    #[test]
    fn a_key_is_refused_for_an_algorithm_it_cannot_make() {
        assert!(JwsKey::new(rsa_key(), Alg::ES256).is_err());
        assert!(JwsKey::new(ec_key(), Alg::RS256).is_err());
        assert!(JwsKey::new(rsa_key(), Alg::HS256).is_err());
    }

    #[test]
    fn thumbprint_matches_rfc_7638_section_3_1() {
        let jwk = json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        assert_eq!(thumbprint(&jwk).unwrap(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
        assert!(thumbprint(&json!({"kty": "RSA", "n": "x"})).is_err());
    }

    #[test]
    fn jwk_of_rsa_and_ec_round_trips_to_the_same_public_key() {
        let rsa = rsa_key();
        let jwk = jwk_of(&rsa, Some("k1")).unwrap();
        assert_eq!(
            (jwk["kty"].as_str(), jwk["kid"].as_str(), jwk["use"].as_str()),
            (Some("RSA"), Some("k1"), Some("sig"))
        );
        let n = openssl::bn::BigNum::from_slice(&URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap()).unwrap();
        let e = openssl::bn::BigNum::from_slice(&URL_SAFE_NO_PAD.decode(jwk["e"].as_str().unwrap()).unwrap()).unwrap();
        let back = Rsa::from_public_components(n, e).unwrap();
        assert_eq!(back.n(), rsa.rsa().unwrap().n());

        let ec = ec_key();
        let jwk = jwk_of(&ec, None).unwrap();
        assert_eq!(jwk["crv"], "P-256");
        assert!(jwk.get("kid").is_none());
        let x = openssl::bn::BigNum::from_slice(&URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap()).unwrap();
        let y = openssl::bn::BigNum::from_slice(&URL_SAFE_NO_PAD.decode(jwk["y"].as_str().unwrap()).unwrap()).unwrap();
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let back = EcKey::from_public_key_affine_coordinates(&group, &x, &y).unwrap();
        let mut ctx = BigNumContext::new().unwrap();
        assert!(back.public_key().eq(&group, ec.ec_key().unwrap().public_key(), &mut ctx).unwrap());
        // The thumbprint ignores kid/use/alg.
        let with = JwsKey::new(ec_key(), Alg::ES256).unwrap().public_jwk(Some("x")).unwrap().unwrap();
        assert_eq!(thumbprint(&with).unwrap(), thumbprint(&jwk).unwrap());
        assert_eq!(with["alg"], "ES256");
    }
}
