//! OpenID Connect Discovery 1.0: where the document is (§4), what it must say (§3), and
//! what changed when it is fetched again. The document is read leniently (unknown members
//! are kept in the raw text, a missing optional list is a note) and checked with guard
//! clauses that name the member; each way to fail is one [`DiscoveryError`] variant with a
//! true hint. The JWKS to store is checked here too: public keys only.

use std::fmt;

use serde_json::{Map, Value};

use super::Alg;
use crate::{Error, ErrorCode};

/// Appended to the issuer (after removing one trailing `/`) to find the document (§4.1).
pub const WELL_KNOWN: &str = "/.well-known/openid-configuration";
/// Largest discovery document accepted (real ones are 2 to 10 KiB).
pub const MAX_DISCOVERY_BYTES: usize = 1024 * 1024;
/// Largest JWKS accepted, and most keys in it.
pub const MAX_JWKS_BYTES: usize = 512 * 1024;
pub const MAX_JWKS_KEYS: usize = 100;

/// The discovery URL of an issuer: one trailing `/` removed, then [`WELL_KNOWN`] (§4.1).
pub fn discovery_url(issuer: &str) -> String {
    let issuer = issuer.trim();
    format!("{}{WELL_KNOWN}", issuer.strip_suffix('/').unwrap_or(issuer))
}

/// What an admin typed, read as an issuer or as a discovery URL: where to fetch, and which
/// issuers the document may name. Typed as an issuer, only exactly that one (§4.3); typed as
/// the discovery URL, the prefix with or without its one trailing `/` (both give that URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typed {
    pub discovery_url: String,
    pub expected: Vec<String>,
}

impl Typed {
    pub fn parse(typed: &str) -> Typed {
        let typed = typed.trim();
        match typed.strip_suffix(WELL_KNOWN) {
            Some(prefix) => {
                Typed { discovery_url: typed.to_owned(), expected: vec![prefix.to_owned(), format!("{prefix}/")] }
            }
            None => Typed { discovery_url: discovery_url(typed), expected: vec![typed.to_owned()] },
        }
    }
}

/// A checked discovery document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: String,
    pub end_session_endpoint: Option<String>,
    /// `id_token_signing_alg_values_supported` as the OP lists it.
    pub signing_algs_offered: Vec<String>,
    /// Those Handshake can verify with the OP's public keys (never `none`, never HMAC):
    /// what a new connection allows.
    pub usable_algs: Vec<Alg>,
    pub token_endpoint_auth_methods: Vec<String>,
    pub scopes_supported: Vec<String>,
    pub claims_supported: Vec<String>,
    pub code_challenge_methods: Vec<String>,
    /// RFC 9207: the OP sends `iss` with the authorization response.
    pub iss_parameter_supported: bool,
    /// The document exactly as fetched.
    pub raw: String,
    /// What was assumed or is worth knowing (a missing optional list, no S256 advertised).
    pub notes: Vec<String>,
}

/// Why a discovery document (or a JWKS) cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiscoveryError {
    TooLarge {
        what: &'static str,
        bytes: usize,
        limit: usize,
    },
    NotJson {
        what: &'static str,
        detail: String,
    },
    NotObject {
        what: &'static str,
    },
    MissingMember {
        member: &'static str,
    },
    WrongType {
        member: &'static str,
        expected: &'static str,
    },
    /// The issuer is Entra ID's multi-tenant template (`/common`, `/organizations`).
    IssuerTemplate {
        found: String,
    },
    /// The issuer is not the one the document was fetched for (§4.3).
    IssuerMismatch {
        expected: String,
        found: String,
    },
    InvalidUrl {
        member: &'static str,
        value: String,
        detail: String,
    },
    /// Neither https nor http on a loopback host.
    InsecureUrl {
        member: &'static str,
        value: String,
    },
    /// `response_types_supported` without `code`.
    NoCodeFlow {
        offered: Vec<String>,
    },
    /// No `id_token_signing_alg_values_supported` entry Handshake can verify.
    NoUsableAlg {
        offered: Vec<String>,
    },
    /// A JWKS member that holds key material that must stay private (or be secret).
    PrivateKeyMaterial {
        index: usize,
        member: String,
    },
    TooManyKeys {
        count: usize,
    },
}

impl DiscoveryError {
    /// Stable code, the error's `detail`.
    pub fn code(&self) -> &'static str {
        match self {
            DiscoveryError::TooLarge { .. } => "too_large",
            DiscoveryError::NotJson { .. } => "not_json",
            DiscoveryError::NotObject { .. } => "not_object",
            DiscoveryError::MissingMember { .. } => "missing_member",
            DiscoveryError::WrongType { .. } => "wrong_type",
            DiscoveryError::IssuerTemplate { .. } => "issuer_template",
            DiscoveryError::IssuerMismatch { .. } => "issuer_mismatch",
            DiscoveryError::InvalidUrl { .. } => "invalid_url",
            DiscoveryError::InsecureUrl { .. } => "insecure_url",
            DiscoveryError::NoCodeFlow { .. } => "no_code_flow",
            DiscoveryError::NoUsableAlg { .. } => "no_usable_alg",
            DiscoveryError::PrivateKeyMaterial { .. } => "private_key_material",
            DiscoveryError::TooManyKeys { .. } => "too_many_keys",
        }
    }

    pub fn hint(&self) -> String {
        match self {
            DiscoveryError::TooLarge { .. } | DiscoveryError::NotJson { .. } | DiscoveryError::NotObject { .. } => {
                "Check the URL: it must be the OP's issuer (or its /.well-known/openid-configuration), not a web page."
                    .to_owned()
            }
            DiscoveryError::MissingMember { .. } | DiscoveryError::WrongType { .. } => {
                "The OP's discovery document is incomplete: enter its endpoints by hand instead.".to_owned()
            }
            DiscoveryError::IssuerTemplate { .. } => "Use your tenant's issuer, \
                https://login.microsoftonline.com/<tenant ID>/v2.0 (the tenant ID is on the app registration's \
                Overview page), not /common or /organizations."
                .to_owned(),
            DiscoveryError::IssuerMismatch { expected, found }
                if found.trim_end_matches('/') == expected.trim_end_matches('/') =>
            {
                format!("The OP writes its issuer as {found:?}: enter exactly that (issuers are compared as sent).")
            }
            DiscoveryError::IssuerMismatch { found, .. } => format!(
                "Check that the URL is your OP's issuer. If {found:?} is the OP you mean, add the connection with \
                 that issuer URL; ID tokens from this OP will name it."
            ),
            DiscoveryError::InvalidUrl { .. } | DiscoveryError::InsecureUrl { .. } => {
                "An OP's endpoints must be https URLs (http only on 127.0.0.1, ::1 or localhost, for a local test OP)."
                    .to_owned()
            }
            DiscoveryError::NoCodeFlow { .. } => {
                "Enable the authorization code flow for the OP (Handshake does not use the implicit flow).".to_owned()
            }
            DiscoveryError::NoUsableAlg { .. } => {
                "Configure the OP to sign ID tokens with RS256, PS256 or ES256 (asymmetric keys).".to_owned()
            }
            DiscoveryError::PrivateKeyMaterial { .. } => {
                "This is not a public JWKS: give the OP's jwks_uri, which publishes public keys only.".to_owned()
            }
            DiscoveryError::TooManyKeys { .. } => "Check the jwks_uri: a JWKS holds a few keys.".to_owned(),
        }
    }
}

impl fmt::Display for DiscoveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiscoveryError::TooLarge { what, bytes, limit } => {
                write!(f, "the {what} is {bytes} bytes, more than the {limit}-byte limit")
            }
            DiscoveryError::NotJson { what, detail } => write!(f, "the {what} is not JSON: {detail}"),
            DiscoveryError::NotObject { what } => write!(f, "the {what} is not a JSON object"),
            DiscoveryError::MissingMember { member } => {
                write!(f, "the discovery document has no {member:?} (OpenID Connect Discovery §3 requires it)")
            }
            DiscoveryError::WrongType { member, expected } => {
                write!(f, "the discovery document's {member:?} is not {expected}")
            }
            DiscoveryError::IssuerTemplate { found } => write!(
                f,
                "the discovery document's issuer {found:?} is a template for any tenant, not one issuer: ID tokens \
                 could not be checked against it"
            ),
            DiscoveryError::IssuerMismatch { expected, found } => write!(
                f,
                "the discovery document's issuer is {found:?}, but it was fetched for issuer {expected:?}; they must \
                 be identical (OpenID Connect Discovery §4.3)"
            ),
            DiscoveryError::InvalidUrl { member, value, detail } => {
                write!(f, "{member} {value:?} is not an absolute URL: {detail}")
            }
            DiscoveryError::InsecureUrl { member, value } => {
                write!(f, "{member} {value:?} is neither https nor http on a loopback address")
            }
            DiscoveryError::NoCodeFlow { offered } => write!(
                f,
                "response_types_supported lists {} but not \"code\": the OP offers no authorization code flow",
                list(offered)
            ),
            DiscoveryError::NoUsableAlg { offered } => write!(
                f,
                "id_token_signing_alg_values_supported lists {}, none of which Handshake verifies with the OP's \
                 public keys (RS256/384/512, PS256/384/512, ES256/384)",
                list(offered)
            ),
            DiscoveryError::PrivateKeyMaterial { index, member } => write!(
                f,
                "key {index} of the JWKS has the member {member:?}, which is private or secret key material; \
                 nothing secret is stored"
            ),
            DiscoveryError::TooManyKeys { count } => {
                write!(f, "the JWKS has {count} keys, more than the {MAX_JWKS_KEYS} accepted")
            }
        }
    }
}

impl std::error::Error for DiscoveryError {}

impl From<DiscoveryError> for Error {
    fn from(e: DiscoveryError) -> Self {
        Error::new(ErrorCode::InvalidMetadata, e.to_string()).detail(e.code()).hint(e.hint())
    }
}

fn list(values: &[String]) -> String {
    if values.is_empty() {
        "nothing".to_owned()
    } else {
        values.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(", ")
    }
}

/// Parses a JSON object of at most `limit` bytes.
fn object(text: &str, what: &'static str, limit: usize) -> Result<Map<String, Value>, DiscoveryError> {
    if text.len() > limit {
        return Err(DiscoveryError::TooLarge { what, bytes: text.len(), limit });
    }
    let value: Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| DiscoveryError::NotJson { what, detail: e.to_string() })?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(DiscoveryError::NotObject { what }),
    }
}

fn string(doc: &Map<String, Value>, member: &'static str) -> Result<Option<String>, DiscoveryError> {
    match doc.get(member) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(DiscoveryError::WrongType { member, expected: "a string" }),
    }
}

fn required(doc: &Map<String, Value>, member: &'static str) -> Result<String, DiscoveryError> {
    string(doc, member)?.filter(|s| !s.is_empty()).ok_or(DiscoveryError::MissingMember { member })
}

fn strings(doc: &Map<String, Value>, member: &'static str) -> Result<Option<Vec<String>>, DiscoveryError> {
    match doc.get(member) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str().map(str::to_owned).ok_or(DiscoveryError::WrongType { member, expected: "a list of strings" })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(DiscoveryError::WrongType { member, expected: "a list of strings" }),
    }
}

/// An endpoint an OP may name: an absolute https URL, or http on a loopback host.
pub fn check_endpoint(member: &'static str, value: &str) -> Result<(), DiscoveryError> {
    let url = url::Url::parse(value).map_err(|e| DiscoveryError::InvalidUrl {
        member,
        value: value.to_owned(),
        detail: e.to_string(),
    })?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(DiscoveryError::InsecureUrl { member, value: value.to_owned() }),
    }
}

/// Checks a discovery document fetched for `typed` (an issuer or a discovery URL).
pub fn check(text: &str, typed: &Typed) -> Result<Discovered, DiscoveryError> {
    let doc = object(text, "discovery document", MAX_DISCOVERY_BYTES)?;
    let issuer = required(&doc, "issuer")?;
    if issuer.contains("{tenantid}") || issuer.contains("{tenant}") {
        return Err(DiscoveryError::IssuerTemplate { found: issuer });
    }
    if !typed.expected.contains(&issuer) {
        let expected = typed.expected.first().cloned().unwrap_or_default();
        return Err(DiscoveryError::IssuerMismatch { expected, found: issuer });
    }
    check_endpoint("issuer", &issuer)?;
    let authorization_endpoint = required(&doc, "authorization_endpoint")?;
    check_endpoint("authorization_endpoint", &authorization_endpoint)?;
    let token_endpoint = required(&doc, "token_endpoint")?;
    check_endpoint("token_endpoint", &token_endpoint)?;
    let jwks_uri = required(&doc, "jwks_uri")?;
    check_endpoint("jwks_uri", &jwks_uri)?;
    let userinfo_endpoint = string(&doc, "userinfo_endpoint")?.filter(|s| !s.is_empty());
    if let Some(u) = &userinfo_endpoint {
        check_endpoint("userinfo_endpoint", u)?;
    }
    let end_session_endpoint = string(&doc, "end_session_endpoint")?;
    let mut notes = Vec::new();

    match strings(&doc, "response_types_supported")? {
        Some(types) if !types.iter().any(|t| t == "code") => return Err(DiscoveryError::NoCodeFlow { offered: types }),
        Some(_) => {}
        None => notes.push("response_types_supported is missing: the code flow is assumed".to_owned()),
    }
    let signing_algs_offered = match strings(&doc, "id_token_signing_alg_values_supported")? {
        Some(algs) => algs,
        None => {
            notes.push(
                "id_token_signing_alg_values_supported is missing: RS256 is assumed (OIDC Core §15.1)".to_owned(),
            );
            vec!["RS256".to_owned()]
        }
    };
    let usable_algs = usable(&signing_algs_offered);
    if usable_algs.is_empty() {
        return Err(DiscoveryError::NoUsableAlg { offered: signing_algs_offered });
    }
    let code_challenge_methods = strings(&doc, "code_challenge_methods_supported")?.unwrap_or_default();
    if !code_challenge_methods.is_empty() && !code_challenge_methods.iter().any(|m| m == "S256") {
        notes.push(format!(
            "code_challenge_methods_supported lists {} but not S256; Handshake always sends an S256 challenge",
            list(&code_challenge_methods)
        ));
    }
    let iss_parameter_supported =
        doc.get("authorization_response_iss_parameter_supported").and_then(Value::as_bool).unwrap_or(false);
    Ok(Discovered {
        issuer,
        authorization_endpoint,
        token_endpoint,
        userinfo_endpoint,
        jwks_uri,
        end_session_endpoint,
        signing_algs_offered,
        usable_algs,
        token_endpoint_auth_methods: strings(&doc, "token_endpoint_auth_methods_supported")?
            .unwrap_or_else(|| vec!["client_secret_basic".to_owned()]),
        scopes_supported: strings(&doc, "scopes_supported")?.unwrap_or_default(),
        claims_supported: strings(&doc, "claims_supported")?.unwrap_or_default(),
        code_challenge_methods,
        iss_parameter_supported,
        raw: text.to_owned(),
        notes,
    })
}

/// The offered algorithms Handshake verifies with public keys, in Handshake's order,
/// the defaults first.
pub fn usable(offered: &[String]) -> Vec<Alg> {
    let mut out: Vec<Alg> = Alg::DEFAULT.into_iter().filter(|a| offered.iter().any(|o| o == a.as_str())).collect();
    for a in Alg::ALL {
        if !a.is_hmac() && !out.contains(&a) && offered.iter().any(|o| o == a.as_str()) {
            out.push(a);
        }
    }
    out
}

/// One member that differs between two discovery documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub field: &'static str,
    pub before: String,
    pub after: String,
}

/// What a re-discover would change, member by member (as the re-import of SAML metadata).
pub fn diff(old: &Discovered, new: &Discovered) -> Vec<Change> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let join = |v: &[String]| v.join(" ");
    let fields = [
        ("issuer", old.issuer.clone(), new.issuer.clone()),
        ("authorization_endpoint", old.authorization_endpoint.clone(), new.authorization_endpoint.clone()),
        ("token_endpoint", old.token_endpoint.clone(), new.token_endpoint.clone()),
        ("userinfo_endpoint", opt(&old.userinfo_endpoint), opt(&new.userinfo_endpoint)),
        ("jwks_uri", old.jwks_uri.clone(), new.jwks_uri.clone()),
        ("end_session_endpoint", opt(&old.end_session_endpoint), opt(&new.end_session_endpoint)),
        ("id_token_signing_alg_values_supported", join(&old.signing_algs_offered), join(&new.signing_algs_offered)),
        (
            "token_endpoint_auth_methods_supported",
            join(&old.token_endpoint_auth_methods),
            join(&new.token_endpoint_auth_methods),
        ),
        ("scopes_supported", join(&old.scopes_supported), join(&new.scopes_supported)),
        ("code_challenge_methods_supported", join(&old.code_challenge_methods), join(&new.code_challenge_methods)),
    ];
    fields
        .into_iter()
        .filter(|(_, b, a)| b != a)
        .map(|(field, before, after)| Change { field, before, after })
        .collect()
}

/// What a stored JWKS holds: its keys' ids (`kid`, or `#index` without one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicJwks {
    pub kids: Vec<String>,
}

/// Members of a JWK that hold private (RSA, EC, OKP) or secret (`oct`) key material.
pub const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Checks a JWKS before it is stored: a JSON object with a `keys` list of at most
/// [`MAX_JWKS_KEYS`] objects, none holding private or secret key material.
pub fn check_public_jwks(text: &str) -> Result<PublicJwks, DiscoveryError> {
    let doc = object(text, "JWKS", MAX_JWKS_BYTES)?;
    let Some(keys) = doc.get("keys") else { return Err(DiscoveryError::MissingMember { member: "keys" }) };
    let Value::Array(keys) = keys else { return Err(DiscoveryError::WrongType { member: "keys", expected: "a list" }) };
    if keys.len() > MAX_JWKS_KEYS {
        return Err(DiscoveryError::TooManyKeys { count: keys.len() });
    }
    let mut kids = Vec::new();
    for (index, key) in keys.iter().enumerate() {
        let Value::Object(key) = key else {
            return Err(DiscoveryError::WrongType { member: "keys", expected: "a list of objects" });
        };
        if let Some(member) = PRIVATE_MEMBERS.iter().find(|m| key.contains_key(**m)) {
            return Err(DiscoveryError::PrivateKeyMaterial { index, member: (*member).to_owned() });
        }
        kids.push(key.get("kid").and_then(Value::as_str).map_or_else(|| format!("#{index}"), str::to_owned));
    }
    Ok(PublicJwks { kids })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(issuer: &str) -> String {
        serde_json::json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}/token"),
            "jwks_uri": format!("{issuer}/jwks"),
            "response_types_supported": ["code", "id_token"],
            "id_token_signing_alg_values_supported": ["HS256", "ES256", "RS256", "none", "RS512"],
        })
        .to_string()
    }

    #[test]
    fn the_discovery_url_drops_one_trailing_slash() {
        assert_eq!(discovery_url("https://op.example"), "https://op.example/.well-known/openid-configuration");
        assert_eq!(discovery_url("https://t.auth0.com/"), "https://t.auth0.com/.well-known/openid-configuration");
        assert_eq!(discovery_url("https://kc/realms/x/"), "https://kc/realms/x/.well-known/openid-configuration");
        let typed = Typed::parse("https://t.auth0.com/.well-known/openid-configuration");
        assert_eq!(typed.expected, ["https://t.auth0.com", "https://t.auth0.com/"]);
    }

    #[test]
    fn a_good_document_gives_endpoints_and_usable_algs() {
        let d = check(&doc("https://op.example"), &Typed::parse("https://op.example")).unwrap();
        assert_eq!(d.token_endpoint, "https://op.example/token");
        assert_eq!(d.usable_algs, [Alg::RS256, Alg::ES256, Alg::RS512]);
        assert_eq!(d.token_endpoint_auth_methods, ["client_secret_basic"]);
    }

    #[test]
    fn each_guard_names_its_member() {
        let typed = Typed::parse("https://op.example");
        let e = check(&doc("https://op.example/"), &typed).unwrap_err();
        assert_eq!(e.code(), "issuer_mismatch");
        assert!(e.hint().contains("enter exactly that"), "{}", e.hint());
        let e = check(&doc("https://login.microsoftonline.com/{tenantid}/v2.0"), &typed).unwrap_err();
        assert_eq!(e.code(), "issuer_template");
        let mut d: Map<String, Value> = serde_json::from_str(&doc("https://op.example")).unwrap();
        d.insert("token_endpoint".into(), "http://op.example/token".into());
        let e = check(&Value::Object(d.clone()).to_string(), &typed).unwrap_err();
        assert_eq!(
            e,
            DiscoveryError::InsecureUrl { member: "token_endpoint", value: "http://op.example/token".into() }
        );
        d.remove("jwks_uri");
        d.insert("token_endpoint".into(), "http://127.0.0.1:9/token".into());
        let e = check(&Value::Object(d.clone()).to_string(), &typed).unwrap_err();
        assert_eq!(e, DiscoveryError::MissingMember { member: "jwks_uri" });
        d.insert("jwks_uri".into(), "https://op.example/jwks".into());
        d.insert("response_types_supported".into(), serde_json::json!(["id_token"]));
        assert_eq!(check(&Value::Object(d.clone()).to_string(), &typed).unwrap_err().code(), "no_code_flow");
        d.insert("response_types_supported".into(), serde_json::json!(["code"]));
        d.insert("id_token_signing_alg_values_supported".into(), serde_json::json!(["HS256", "none"]));
        assert_eq!(check(&Value::Object(d.clone()).to_string(), &typed).unwrap_err().code(), "no_usable_alg");
        d.insert("id_token_signing_alg_values_supported".into(), serde_json::json!("RS256"));
        assert_eq!(check(&Value::Object(d).to_string(), &typed).unwrap_err().code(), "wrong_type");
        assert_eq!(check("[1]", &typed).unwrap_err().code(), "not_object");
        assert_eq!(check("<html>", &typed).unwrap_err().code(), "not_json");
    }

    #[test]
    fn a_jwks_with_private_members_is_refused() {
        assert_eq!(
            check_public_jwks(r#"{"keys":[{"kty":"RSA","kid":"a","n":"x","e":"AQAB"},{"kty":"EC"}]}"#).unwrap().kids,
            ["a", "#1"]
        );
        for member in PRIVATE_MEMBERS {
            let text = format!(r#"{{"keys":[{{"kty":"RSA","n":"x","e":"AQAB","{member}":"s"}}]}}"#);
            assert_eq!(check_public_jwks(&text).unwrap_err().code(), "private_key_material", "{member}");
        }
        assert_eq!(check_public_jwks("{}").unwrap_err().code(), "missing_member");
    }
}
