//! The OP's JWKS (RFC 7517): read within limits, and the one key a token's header selects.
//!
//! Keys come only from the JWKS of the connection (fetched from its `jwks_uri`), never from
//! the token: `jwk`, `jku`, `x5u` and `x5c` in a header are reported and ignored. A key is
//! selected by `kid`, then must fit the algorithm (`kty`, `crv`, `alg`, `use`, `key_ops`).
//! RSA keys must have 2048 to 8192 bits, so a hostile JWKS cannot buy more than a few
//! milliseconds of CPU per token.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::{PKey, Public};
use openssl::rsa::Rsa;
use serde_json::{Map, Value};

use super::Alg;
use super::jose::strict_json;
use super::violation::Violation;

pub const MAX_JWKS_BYTES: usize = 512 * 1024;
pub const MAX_KEYS: usize = 100;
pub const MIN_RSA_BITS: u32 = 2048;
pub const MAX_RSA_BITS: u32 = 8192;

/// Header members that carry or point at a key; never used, only noted.
pub const HEADER_KEY_MEMBERS: [&str; 4] = ["jwk", "jku", "x5u", "x5c"];

/// A parsed JWKS: its keys as JSON objects (members not read are kept for display).
#[derive(Debug, Clone, PartialEq)]
pub struct Jwks {
    pub keys: Vec<Map<String, Value>>,
}

fn text<'a>(key: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    key.get(name).and_then(Value::as_str)
}

impl Jwks {
    pub fn parse(json: &str) -> Result<Jwks, Violation> {
        if json.len() > MAX_JWKS_BYTES {
            return Err(Violation::JwksTooLarge { detail: format!("{} bytes (at most {MAX_JWKS_BYTES})", json.len()) });
        }
        let value = strict_json(json.as_bytes()).map_err(|e| Violation::JwksUnreadable { detail: e.to_string() })?;
        let Some(keys) = value.get("keys").and_then(Value::as_array) else {
            return Err(Violation::JwksUnreadable { detail: "no \"keys\" array".into() });
        };
        if keys.len() > MAX_KEYS {
            return Err(Violation::JwksTooLarge { detail: format!("{} keys (at most {MAX_KEYS})", keys.len()) });
        }
        // Entries that are not objects are not keys; a JWKS reader ignores what it cannot use.
        Ok(Jwks { keys: keys.iter().filter_map(Value::as_object).cloned().collect() })
    }

    /// Every `kid` of the set, for messages.
    pub fn kids(&self) -> Vec<String> {
        self.keys.iter().filter_map(|k| text(k, "kid")).map(str::to_owned).collect()
    }

    /// True when the header names a `kid` the set does not have: the OP may have rotated its
    /// keys, so the JWKS is worth fetching again (once).
    pub fn needs_refetch(&self, kid: Option<&str>) -> bool {
        kid.is_some_and(|kid| !self.keys.iter().any(|k| text(k, "kid") == Some(kid)))
    }

    /// Keys that carry private or symmetric material (`d`, `p`, `q`, `dp`, `dq`, `qi`, `k`),
    /// by kid: a JWKS must publish public keys only, and such a set is not stored.
    pub fn private_members(&self) -> Vec<String> {
        const PRIVATE: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "k"];
        self.keys
            .iter()
            .filter(|k| PRIVATE.iter().any(|m| k.contains_key(*m)))
            .map(|k| text(k, "kid").unwrap_or("(no kid)").to_owned())
            .collect()
    }

    /// The key that verifies a token with `kid` and `alg`, as an openssl public key.
    /// `refetched` and `offline` only word the failure.
    pub fn select(&self, kid: Option<&str>, alg: Alg, refetched: bool, offline: bool) -> Result<Selected, Violation> {
        match kid {
            Some(kid) => {
                let named: Vec<&Map<String, Value>> =
                    self.keys.iter().filter(|k| text(k, "kid") == Some(kid)).collect();
                if named.is_empty() {
                    return Err(Violation::UnknownKid { kid: kid.into(), known: self.kids(), refetched, offline });
                }
                // Several keys may share a kid (one per algorithm): take the one that fits.
                let mut refusal = None;
                for key in named {
                    match fits(key, alg) {
                        Ok(()) => return to_public(key, kid).map(|pkey| Selected { kid: Some(kid.into()), pkey }),
                        Err(why) => refusal = refusal.or(Some(why)),
                    }
                }
                Err(Violation::KeyNotForAlg {
                    kid: kid.into(),
                    alg: alg.as_str().into(),
                    detail: refusal.unwrap_or_default(),
                })
            }
            None => {
                let fitting: Vec<&Map<String, Value>> = self.keys.iter().filter(|k| fits(k, alg).is_ok()).collect();
                match fitting.as_slice() {
                    [] => Err(Violation::NoMatchingKey { alg: alg.as_str().into(), refetched }),
                    [key] => {
                        let kid = text(key, "kid").map(str::to_owned);
                        to_public(key, kid.as_deref().unwrap_or("(no kid)")).map(|pkey| Selected { kid, pkey })
                    }
                    many => Err(Violation::AmbiguousKey { alg: alg.as_str().into(), count: many.len() }),
                }
            }
        }
    }
}

/// Whether judging `token` needs the OP's JWKS fetched again first: the token names a `kid`
/// the cached set (`None`: nothing cached) does not have. The flow fetches at most once per
/// login and says so in the report (`Context::jwks_refetched`).
pub fn needs_refetch(token: &str, cached: Option<&str>) -> bool {
    let Ok(parsed) = super::jose::parse_compact(token) else { return false };
    let Some(kid) = parsed.header_str("kid") else { return cached.is_none() };
    match cached.map(Jwks::parse) {
        Some(Ok(jwks)) => jwks.needs_refetch(Some(kid)),
        Some(Err(_)) | None => true,
    }
}

/// The key selected for a token.
pub struct Selected {
    pub kid: Option<String>,
    pub pkey: PKey<Public>,
}

/// Whether a JWK can verify `alg`: `Err` says why not.
fn fits(key: &Map<String, Value>, alg: Alg) -> Result<(), String> {
    let (kty, crv) = match alg {
        Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 | Alg::PS384 | Alg::PS512 => ("RSA", None),
        Alg::ES256 => ("EC", Some("P-256")),
        Alg::ES384 => ("EC", Some("P-384")),
        Alg::HS256 | Alg::HS384 | Alg::HS512 => return Err("HMAC keys never come from a JWKS".into()),
    };
    let found = text(key, "kty").unwrap_or("none");
    if found != kty {
        return Err(format!("kty {found}, not {kty}"));
    }
    if let Some(crv) = crv
        && text(key, "crv") != Some(crv)
    {
        return Err(format!("crv {}, not {crv}", text(key, "crv").unwrap_or("none")));
    }
    if let Some(key_alg) = text(key, "alg")
        && key_alg != alg.as_str()
    {
        return Err(format!("alg {key_alg}, not {}", alg.as_str()));
    }
    if let Some(usage) = text(key, "use")
        && usage != "sig"
    {
        return Err(format!("use {usage}, not sig"));
    }
    if let Some(ops) = key.get("key_ops").and_then(Value::as_array)
        && !ops.iter().any(|o| o.as_str() == Some("verify"))
    {
        return Err("key_ops without verify".into());
    }
    Ok(())
}

fn number(key: &Map<String, Value>, name: &str, kid: &str) -> Result<Vec<u8>, Violation> {
    let bad = |detail: String| Violation::BadJwk { kid: kid.into(), detail };
    let encoded = text(key, name).ok_or_else(|| bad(format!("no \"{name}\"")))?;
    URL_SAFE_NO_PAD.decode(encoded).map_err(|e| bad(format!("\"{name}\" is not base64url: {e}")))
}

fn to_public(key: &Map<String, Value>, kid: &str) -> Result<PKey<Public>, Violation> {
    let bad = |detail: &str| Violation::BadJwk { kid: kid.into(), detail: detail.into() };
    match text(key, "kty") {
        Some("RSA") => {
            let n = number(key, "n", kid)?;
            let e = number(key, "e", kid)?;
            // Counted before any arithmetic: a 16384-bit modulus is refused by its length.
            let significant = n.iter().skip_while(|b| **b == 0).count();
            let bits = significant.saturating_mul(8).min(u32::MAX as usize) as u32;
            let top = n.iter().find(|b| **b != 0).map(|b| b.leading_zeros()).unwrap_or(0);
            let bits = bits.saturating_sub(top);
            if bits > MAX_RSA_BITS {
                return Err(Violation::KeyTooLarge { kid: kid.into(), bits });
            }
            if bits < MIN_RSA_BITS {
                return Err(Violation::WeakKey { kid: kid.into(), bits });
            }
            if e.len() > 8 {
                return Err(bad("public exponent over 64 bits"));
            }
            let (Ok(n), Ok(e)) = (BigNum::from_slice(&n), BigNum::from_slice(&e)) else {
                return Err(bad("unreadable modulus or exponent"));
            };
            let rsa = Rsa::from_public_components(n, e).map_err(|_| bad("not an RSA public key"))?;
            PKey::from_rsa(rsa).map_err(|_| bad("not an RSA public key"))
        }
        Some("EC") => {
            let nid = match text(key, "crv") {
                Some("P-256") => Nid::X9_62_PRIME256V1,
                Some("P-384") => Nid::SECP384R1,
                _ => return Err(bad("curve other than P-256 or P-384")),
            };
            let x = number(key, "x", kid)?;
            let y = number(key, "y", kid)?;
            let width = if nid == Nid::SECP384R1 { 48 } else { 32 };
            if x.len() != width || y.len() != width {
                return Err(bad("coordinates of the wrong length for the curve"));
            }
            let group = EcGroup::from_curve_name(nid).map_err(|_| bad("unknown curve"))?;
            let (Ok(x), Ok(y)) = (BigNum::from_slice(&x), BigNum::from_slice(&y)) else {
                return Err(bad("unreadable coordinates"));
            };
            // Checks that the point is on the curve (no invalid-curve attack).
            let ec =
                EcKey::from_public_key_affine_coordinates(&group, &x, &y).map_err(|_| bad("point not on the curve"))?;
            ec.check_key().map_err(|_| bad("point not on the curve"))?;
            PKey::from_ec_key(ec).map_err(|_| bad("not an EC public key"))
        }
        Some(other) => Err(bad(&format!("key type {other}"))),
        None => Err(bad("no kty")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idp::jws::jwk_of;
    use serde_json::json;

    fn rsa_jwk(kid: &str) -> Value {
        let pem = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/idp.key")).unwrap();
        jwk_of(&PKey::private_key_from_pem(&pem).unwrap(), Some(kid)).unwrap()
    }

    fn ec_jwk(kid: &str) -> Value {
        let pem = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/idp-ec.key")).unwrap();
        jwk_of(&PKey::private_key_from_pem(&pem).unwrap(), Some(kid)).unwrap()
    }

    fn set(keys: Vec<Value>) -> Jwks {
        Jwks::parse(&json!({ "keys": keys }).to_string()).unwrap()
    }

    fn refusal(r: Result<Selected, Violation>) -> &'static str {
        r.err().map(|v| v.name()).unwrap_or("ok")
    }

    #[test]
    fn selects_by_kid_and_algorithm() {
        let jwks = set(vec![rsa_jwk("r"), ec_jwk("e")]);
        assert_eq!(jwks.select(Some("r"), Alg::RS256, false, false).unwrap().kid.as_deref(), Some("r"));
        assert_eq!(jwks.select(Some("e"), Alg::ES256, false, false).unwrap().kid.as_deref(), Some("e"));
        assert_eq!(refusal(jwks.select(Some("e"), Alg::RS256, false, false)), "key_not_for_alg");
        assert_eq!(refusal(jwks.select(Some("x"), Alg::RS256, false, false)), "unknown_kid");
        assert_eq!(refusal(jwks.select(Some("r"), Alg::ES384, false, false)), "key_not_for_alg");
        assert!(jwks.needs_refetch(Some("x")) && !jwks.needs_refetch(Some("r")) && !jwks.needs_refetch(None));
        // Without kid: the one key that fits, else refused.
        assert_eq!(jwks.select(None, Alg::PS256, false, false).unwrap().kid.as_deref(), Some("r"));
        let two = set(vec![rsa_jwk("a"), rsa_jwk("b")]);
        assert_eq!(refusal(two.select(None, Alg::RS256, false, false)), "ambiguous_key");
        assert_eq!(refusal(two.select(None, Alg::ES256, false, false)), "no_matching_key");
    }

    #[test]
    fn use_alg_and_key_ops_restrict_a_key() {
        let mut enc = rsa_jwk("r");
        enc["use"] = json!("enc");
        assert_eq!(refusal(set(vec![enc]).select(Some("r"), Alg::RS256, false, false)), "key_not_for_alg");
        let mut ps = rsa_jwk("r");
        ps["alg"] = json!("PS256");
        assert_eq!(refusal(set(vec![ps]).select(Some("r"), Alg::RS256, false, false)), "key_not_for_alg");
        let mut ops = rsa_jwk("r");
        ops["key_ops"] = json!(["encrypt"]);
        assert_eq!(refusal(set(vec![ops]).select(Some("r"), Alg::RS256, false, false)), "key_not_for_alg");
    }

    #[test]
    fn rsa_key_sizes_are_bounded_before_any_arithmetic() {
        let small = json!({"kty":"RSA","kid":"s","n": URL_SAFE_NO_PAD.encode([0xffu8; 128]),"e":"AQAB"});
        let huge = json!({"kty":"RSA","kid":"h","n": URL_SAFE_NO_PAD.encode([0xffu8; 2048]),"e":"AQAB"});
        let jwks = set(vec![small, huge]);
        assert_eq!(refusal(jwks.select(Some("s"), Alg::RS256, false, false)), "weak_key");
        assert_eq!(refusal(jwks.select(Some("h"), Alg::RS256, false, false)), "key_too_large");
    }

    #[test]
    fn an_ec_point_off_the_curve_is_refused() {
        let mut bad = ec_jwk("e");
        bad["y"] = json!(URL_SAFE_NO_PAD.encode([1u8; 32]));
        assert_eq!(refusal(set(vec![bad]).select(Some("e"), Alg::ES256, false, false)), "bad_jwk");
    }

    #[test]
    fn a_token_with_an_unknown_kid_needs_the_jwks_fetched_again() {
        let token = |kid: &str| {
            let header = URL_SAFE_NO_PAD.encode(json!({ "alg": "RS256", "kid": kid }).to_string());
            format!("{header}.{}.", URL_SAFE_NO_PAD.encode("{}"))
        };
        let cached = json!({ "keys": [rsa_jwk("r")] }).to_string();
        assert!(!needs_refetch(&token("r"), Some(&cached)));
        assert!(needs_refetch(&token("new"), Some(&cached)));
        assert!(needs_refetch(&token("r"), None));
        assert!(!needs_refetch("not a token", Some(&cached)));
        let mut private = rsa_jwk("p");
        private["d"] = json!("secret");
        assert_eq!(set(vec![rsa_jwk("r"), private]).private_members(), ["p"]);
    }

    #[test]
    fn limits_and_shape() {
        let many: Vec<Value> = (0..=MAX_KEYS).map(|i| json!({"kty":"RSA","kid": i.to_string()})).collect();
        assert_eq!(Jwks::parse(&json!({ "keys": many }).to_string()).unwrap_err().name(), "jwks_too_large");
        assert_eq!(Jwks::parse("{}").unwrap_err().name(), "jwks_unreadable");
        assert_eq!(Jwks::parse(r#"{"keys":[],"keys":[]}"#).unwrap_err().name(), "jwks_unreadable");
        assert_eq!(Jwks::parse(&" ".repeat(MAX_JWKS_BYTES + 1)).unwrap_err().name(), "jwks_too_large");
    }
}
