//! Compact JWS, read strictly (RFC 7515 §7.1), and verified with openssl (RFC 7518 §3).
//!
//! Strict means: exactly three parts (five is a JWE, refused by name), base64url without
//! padding in the URL-safe alphabet only, header and payload JSON objects with every member
//! name once at every depth (serde_json's `Map` would silently keep the last of two, and
//! another parser the first), no `crit`, a `typ` that says JWT if any, and at most
//! [`MAX_TOKEN_BYTES`]. The size bound and the key-size bounds of `jwks` keep any input under
//! the 0.25 s CPU budget.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openssl::bn::BigNum;
use openssl::ecdsa::EcdsaSig;
use openssl::hash::hash;
use openssl::pkey::{PKey, Public};
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Signer, Verifier};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::Alg;
use super::violation::{Part, Violation};
use crate::idp::jws::digest_of;
use crate::sensitive::Sensitive;

/// The largest token read (an Entra ID token with 200 group GUIDs is about 10 KB).
pub const MAX_TOKEN_BYTES: usize = 256 * 1024;

pub(crate) const DUPLICATE: &str = "duplicate member name ";

/// A compact JWS, decoded but not verified.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    /// `BASE64URL(header) . BASE64URL(payload)`, what the signature covers.
    pub signing_input: String,
    pub signature: Vec<u8>,
}

impl Parsed {
    /// A header member that is a string.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }
}

/// Decodes a compact JWS strictly. Surrounding whitespace (a pasted token) is ignored.
pub fn parse_compact(token: &str) -> Result<Parsed, Violation> {
    let token = token.trim_matches(|c: char| c.is_ascii_whitespace());
    if token.is_empty() {
        return Err(Violation::Empty);
    }
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Violation::TooLarge { bytes: token.len(), limit: MAX_TOKEN_BYTES });
    }
    let parts: Vec<&str> = token.split('.').collect();
    let [header_b64, payload_b64, signature_b64] = parts.as_slice() else {
        return Err(if parts.len() == 5 { Violation::Encrypted } else { Violation::NotCompact { parts: parts.len() } });
    };
    let header = object(Part::Header, &decode(Part::Header, header_b64)?)?;
    let claims = object(Part::Payload, &decode(Part::Payload, payload_b64)?)?;
    let signature = decode(Part::Signature, signature_b64)?;
    if let Some(crit) = header.get("crit") {
        return Err(Violation::UnsupportedCrit { names: crit.to_string() });
    }
    match header.get("typ") {
        None => {}
        // Media type names are case-insensitive (RFC 7515 §4.1.9): "jwt" is "JWT".
        Some(Value::String(t)) if t.eq_ignore_ascii_case("JWT") || t.eq_ignore_ascii_case("application/jwt") => {}
        Some(Value::String(t)) => return Err(Violation::UnsupportedTyp { typ: t.clone() }),
        Some(other) => return Err(Violation::UnsupportedTyp { typ: other.to_string() }),
    }
    Ok(Parsed { header, claims, signing_input: format!("{header_b64}.{payload_b64}"), signature })
}

/// base64url, no padding, URL-safe alphabet only, canonical trailing bits.
pub fn decode(part: Part, text: &str) -> Result<Vec<u8>, Violation> {
    if text.contains('=') {
        return Err(Violation::NotBase64Url { part, detail: "padding '=' (JWS uses none)".into() });
    }
    if let Some(c) = text.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_')) {
        return Err(Violation::NotBase64Url {
            part,
            detail: format!("character {c:?} outside the base64url alphabet"),
        });
    }
    URL_SAFE_NO_PAD.decode(text).map_err(|e| Violation::NotBase64Url { part, detail: e.to_string() })
}

/// A JSON object with every member name once, at every depth.
fn object(part: Part, bytes: &[u8]) -> Result<Map<String, Value>, Violation> {
    let value = strict_json(bytes).map_err(|e| {
        let text = e.to_string();
        match text.strip_prefix(DUPLICATE) {
            Some(rest) => Violation::DuplicateMember {
                part,
                name: rest.split(" at line ").next().unwrap_or_default().trim_matches('"').to_owned(),
            },
            None => Violation::NotJson { part, detail: text },
        }
    })?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(Violation::NotAnObject { part }),
    }
}

/// Parses JSON like `serde_json::from_slice`, refusing a member name given twice in any
/// object (serde_json's own recursion limit still bounds the depth).
pub fn strict_json(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Strict::deserialize(&mut de)?.0;
    de.end()?;
    Ok(value)
}

struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map(Value::Number).unwrap_or(Value::Null))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            if members.contains_key(&name) {
                return Err(de::Error::custom(format!("{DUPLICATE}{name:?}")));
            }
            let Strict(v) = map.next_value()?;
            members.insert(name, v);
        }
        Ok(Value::Object(members))
    }
}

/// A key to verify with: a public key of the OP's JWKS, or the client secret for HMAC.
pub enum VerifyKey {
    Public(PKey<Public>),
    Secret(Sensitive<Vec<u8>>),
}

/// Verifies `signature` over `signing_input` with `key` for `alg`. `Ok(false)` is a
/// signature that does not verify; `Err` a signature that cannot be one for `alg`.
pub fn verify(alg: Alg, signing_input: &[u8], signature: &[u8], key: &VerifyKey) -> Result<bool, Violation> {
    let md = digest_of(alg);
    match (alg, key) {
        (Alg::HS256 | Alg::HS384 | Alg::HS512, VerifyKey::Secret(secret)) => {
            let Ok(pkey) = PKey::hmac(secret.expose()) else { return Ok(false) };
            let Ok(expected) = Signer::new(md, &pkey).and_then(|mut s| {
                s.update(signing_input)?;
                s.sign_to_vec()
            }) else {
                return Ok(false);
            };
            // memcmp::eq needs equal lengths (and the length is not secret).
            Ok(expected.len() == signature.len() && openssl::memcmp::eq(&expected, signature))
        }
        (Alg::ES256 | Alg::ES384, VerifyKey::Public(pkey)) => {
            let width = if alg == Alg::ES384 { 48 } else { 32 };
            if signature.len() != 2 * width {
                return Err(Violation::SignatureEncoding {
                    alg: alg.as_str().into(),
                    length: signature.len(),
                    expected: 2 * width,
                });
            }
            let (r, s) = signature.split_at(width);
            let (Ok(ec), Ok(r), Ok(s)) = (pkey.ec_key(), BigNum::from_slice(r), BigNum::from_slice(s)) else {
                return Ok(false);
            };
            let Ok(sig) = EcdsaSig::from_private_components(r, s) else { return Ok(false) };
            let Ok(digest) = hash(md, signing_input) else { return Ok(false) };
            Ok(sig.verify(&digest, &ec).unwrap_or(false))
        }
        (Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 | Alg::PS384 | Alg::PS512, VerifyKey::Public(pkey)) => {
            let pss = matches!(alg, Alg::PS256 | Alg::PS384 | Alg::PS512);
            let verified = Verifier::new(md, pkey).and_then(|mut v| {
                if pss {
                    v.set_rsa_padding(Padding::PKCS1_PSS)?;
                    v.set_rsa_mgf1_md(md)?;
                    v.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)?;
                }
                v.update(signing_input)?;
                v.verify(signature)
            });
            Ok(verified.unwrap_or(false))
        }
        _ => Ok(false),
    }
}

/// `at_hash` / `c_hash` (OpenID Connect Core §3.1.3.6, §3.3.2.11): base64url of the left
/// half of the hash of the ASCII value, with the hash of the token's `alg`.
pub fn half_hash(alg: Alg, value: &str) -> Option<String> {
    let digest = hash(digest_of(alg), value.as_bytes()).ok()?;
    let half = digest.get(..digest.len() / 2)?;
    Some(URL_SAFE_NO_PAD.encode(half))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    fn token(header: &str, payload: &str) -> String {
        format!("{}.{}.{}", b64(header), b64(payload), b64("sig"))
    }

    fn name(r: Result<Parsed, Violation>) -> &'static str {
        r.err().map(|v| v.name()).unwrap_or("ok")
    }

    #[test]
    fn a_well_formed_token_parses() {
        let p = parse_compact(&format!("  {}\n", token(r#"{"alg":"RS256","typ":"JWT"}"#, r#"{"sub":"a"}"#))).unwrap();
        assert_eq!(p.header_str("alg"), Some("RS256"));
        assert_eq!(p.claims["sub"], "a");
        assert_eq!(p.signature, b"sig");
        assert!(p.signing_input.ends_with(&b64(r#"{"sub":"a"}"#)));
    }

    #[test]
    fn malformed_tokens_get_their_own_violation() {
        assert_eq!(name(parse_compact("")), "empty");
        assert_eq!(name(parse_compact("a.b")), "not_compact_jws");
        assert_eq!(name(parse_compact("a.b.c.d.e")), "encrypted_token_unsupported");
        assert_eq!(name(parse_compact(&"a".repeat(MAX_TOKEN_BYTES + 1))), "too_large");
        let padded = format!("{}=.{}.", b64(r#"{"alg":"RS256"}"#), b64("{}"));
        assert_eq!(name(parse_compact(&padded)), "not_base64url");
        let std_alphabet = format!("{}.{}.ab+/", b64(r#"{"alg":"RS256"}"#), b64("{}"));
        assert_eq!(name(parse_compact(&std_alphabet)), "not_base64url");
        assert_eq!(name(parse_compact(&token("[1]", "{}"))), "not_an_object");
        assert_eq!(name(parse_compact(&token("{", "{}"))), "not_json");
        assert_eq!(name(parse_compact(&token(r#"{"alg":"RS256"}"#, r#"{"sub":"a","sub":"b"}"#))), "duplicate_member");
        assert_eq!(name(parse_compact(&token(r#"{"alg":"RS256","crit":["exp"]}"#, "{}"))), "unsupported_crit");
        assert_eq!(name(parse_compact(&token(r#"{"alg":"RS256","typ":"at+jwt"}"#, "{}"))), "unsupported_typ");
        assert_eq!(name(parse_compact(&token(r#"{"alg":"RS256","typ":"application/JWT"}"#, "{}"))), "ok");
        // regression: a lower-case `jwt` is the same media type (RFC 7515 §4.1.9), not a refusal.
        assert_eq!(name(parse_compact(&token(r#"{"alg":"RS256","typ":"jwt"}"#, "{}"))), "ok");
    }

    #[test]
    fn duplicates_are_refused_at_any_depth_and_named() {
        let err = parse_compact(&token(r#"{"alg":"RS256"}"#, r#"{"a":{"roles":[],"roles":["admin"]}}"#)).unwrap_err();
        assert_eq!(err, Violation::DuplicateMember { part: Part::Payload, name: "roles".into() });
    }

    #[test]
    fn deep_json_is_refused_without_overflowing_the_stack() {
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(50_000), "]".repeat(50_000));
        assert_eq!(name(parse_compact(&token(r#"{"alg":"RS256"}"#, &deep))), "not_json");
    }

    #[test]
    fn hmac_verifies_in_constant_time_and_refuses_other_lengths() {
        let key = VerifyKey::Secret(Sensitive::new(b"secret".to_vec()));
        let pkey = PKey::hmac(b"secret").unwrap();
        let mut s = Signer::new(digest_of(Alg::HS256), &pkey).unwrap();
        s.update(b"a.b").unwrap();
        let sig = s.sign_to_vec().unwrap();
        assert_eq!(verify(Alg::HS256, b"a.b", &sig, &key), Ok(true));
        assert_eq!(verify(Alg::HS256, b"a.c", &sig, &key), Ok(false));
        assert_eq!(verify(Alg::HS256, b"a.b", &sig[..31], &key), Ok(false));
    }

    #[test]
    fn at_hash_matches_the_oidc_core_example() {
        // OpenID Connect Core A.3 (RS256): access_token jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y
        assert_eq!(
            half_hash(Alg::RS256, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y").as_deref(),
            Some("77QmUPtjPfzWtF2AnpK9RQ")
        );
    }
}
