//! How a demo OIDC failure scenario alters the one ID token (or code) the demo OP issues:
//! as data, so a scenario is a list of twists and the OP has one code path. Each `oidc-*`
//! scenario name maps to its twists in [`TWISTS`].

use serde_json::{Map, Value, json};

/// Who signs the ID token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OidcSigner {
    /// The demo OP's published key (RS256).
    #[default]
    Own,
    /// A key the JWKS does not have, with its own `kid` (rotation gone wrong, or a forger).
    Unknown,
    /// `alg: none` and an empty signature.
    Unsigned,
    /// HS256 keyed with the OP's *public* key (PEM): the algorithm-confusion attack.
    HmacWithPublicKey,
}

/// One alteration of the issued ID token or of the sign-in's code.
#[derive(Debug, Clone, PartialEq)]
pub enum OidcTwist {
    /// Sets (or replaces) a claim: `aud`, `iss`, `nonce`, `email_verified`...
    SetClaim(String, Value),
    /// Removes a claim: `email`, `groups`...
    RemoveClaim(String),
    /// Moves `iat`, `nbf`, `exp` and `auth_time` by this many seconds (negative: the past).
    ShiftTimes(i64),
    /// Sets a header member (`alg` is always the signer's).
    SetHeader(String, Value),
    Signer(OidcSigner),
    /// The sign-in redirects with the code this redirect URI was last sent (already used by
    /// the previous login) instead of a new one.
    ReplayCode,
}

/// A scenario's twists, by the scenario's name.
pub struct TwistInfo {
    pub name: &'static str,
    pub title: &'static str,
    pub twists: fn() -> Vec<OidcTwist>,
}

fn set(name: &str, value: Value) -> OidcTwist {
    OidcTwist::SetClaim(name.into(), value)
}

/// Every OIDC scenario of the demo OP, `oidc-happy` (no twist) first.
pub const TWISTS: &[TwistInfo] = &[
    TwistInfo { name: "oidc-happy", title: "Happy path", twists: Vec::new },
    TwistInfo {
        name: "oidc-wrong-audience",
        title: "ID token for another client",
        twists: || vec![set("aud", json!("someone-elses-client"))],
    },
    TwistInfo { name: "oidc-expired", title: "Expired ID token", twists: || vec![OidcTwist::ShiftTimes(-3600)] },
    TwistInfo {
        name: "oidc-unknown-kid",
        title: "Signed by a key not in the JWKS",
        twists: || vec![OidcTwist::Signer(OidcSigner::Unknown)],
    },
    TwistInfo {
        name: "oidc-alg-none",
        title: "Unsigned (alg none)",
        twists: || vec![OidcTwist::Signer(OidcSigner::Unsigned)],
    },
    TwistInfo {
        name: "oidc-hs256-public-key",
        title: "HS256 keyed with the public key",
        twists: || vec![OidcTwist::Signer(OidcSigner::HmacWithPublicKey)],
    },
    TwistInfo {
        name: "oidc-nonce-mismatch",
        title: "Nonce of another request",
        twists: || vec![set("nonce", json!("a-nonce-from-another-request"))],
    },
    TwistInfo {
        name: "oidc-wrong-issuer",
        title: "Another issuer",
        twists: || vec![set("iss", json!("https://login.evil.example/oidc"))],
    },
    TwistInfo {
        name: "oidc-missing-email",
        title: "No email claim",
        twists: || vec![OidcTwist::RemoveClaim("email".into())],
    },
    TwistInfo {
        name: "oidc-email-unverified",
        title: "Email not verified",
        twists: || vec![set("email_verified", json!(false))],
    },
    TwistInfo {
        name: "oidc-group-overage",
        title: "Group overage (Entra style)",
        twists: || {
            vec![
                OidcTwist::RemoveClaim("groups".into()),
                set("_claim_names", json!({"groups": "src1"})),
                set(
                    "_claim_sources",
                    json!({"src1": {"endpoint": "https://graph.microsoft.com/v1.0/users/demo/getMemberObjects"}}),
                ),
            ]
        },
    },
    TwistInfo { name: "oidc-code-replay", title: "Code replayed", twists: || vec![OidcTwist::ReplayCode] },
];

/// The twists of the OIDC scenario named `name`.
pub fn twists_for(name: &str) -> Option<Vec<OidcTwist>> {
    TWISTS.iter().find(|t| t.name == name).map(|t| (t.twists)())
}

/// Applies the claim and header twists; returns who signs.
pub(super) fn apply(
    twists: &[OidcTwist],
    header: &mut Map<String, Value>,
    claims: &mut Map<String, Value>,
) -> OidcSigner {
    let mut signer = OidcSigner::Own;
    for twist in twists {
        match twist {
            OidcTwist::SetClaim(name, value) => {
                claims.insert(name.clone(), value.clone());
            }
            OidcTwist::RemoveClaim(name) => {
                claims.remove(name);
            }
            OidcTwist::ShiftTimes(seconds) => {
                for name in ["iat", "nbf", "exp", "auth_time"] {
                    if let Some(t) = claims.get(name).and_then(Value::as_i64) {
                        claims.insert(name.into(), t.saturating_add(*seconds).into());
                    }
                }
            }
            OidcTwist::SetHeader(name, value) => {
                header.insert(name.clone(), value.clone());
            }
            OidcTwist::Signer(s) => signer = *s,
            OidcTwist::ReplayCode => {}
        }
    }
    signer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_issue_scenario_has_twists_and_the_names_are_unique() {
        let names = [
            "oidc-happy",
            "oidc-wrong-audience",
            "oidc-expired",
            "oidc-unknown-kid",
            "oidc-alg-none",
            "oidc-hs256-public-key",
            "oidc-nonce-mismatch",
            "oidc-wrong-issuer",
            "oidc-missing-email",
            "oidc-email-unverified",
            "oidc-group-overage",
            "oidc-code-replay",
        ];
        assert_eq!(TWISTS.iter().map(|t| t.name).collect::<Vec<_>>(), names);
        assert_eq!(twists_for("oidc-happy"), Some(Vec::new()));
        assert!(names.iter().skip(1).all(|n| twists_for(n).is_some_and(|t| !t.is_empty())));
        assert_eq!(twists_for("happy"), None);
    }

    #[test]
    fn twists_edit_claims_times_and_header() {
        let mut header = Map::new();
        let mut claims =
            json!({"iat": 1000, "exp": 1300, "email": "a@b.example", "groups": ["g"]}).as_object().unwrap().clone();
        let mut all = twists_for("oidc-group-overage").unwrap();
        all.extend(twists_for("oidc-expired").unwrap());
        all.extend(twists_for("oidc-missing-email").unwrap());
        all.push(OidcTwist::SetHeader("kid".into(), json!("k")));
        all.push(OidcTwist::Signer(OidcSigner::Unsigned));
        assert_eq!(apply(&all, &mut header, &mut claims), OidcSigner::Unsigned);
        assert_eq!(claims["iat"], -2600);
        assert_eq!(claims["exp"], -2300);
        assert!(claims.get("email").is_none() && claims.get("groups").is_none() && claims.get("nbf").is_none());
        assert_eq!(claims["_claim_names"]["groups"], "src1");
        assert_eq!(header["kid"], "k");
    }
}
