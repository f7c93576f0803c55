//! The OpenID Connect half of the scenario library: each common way an OIDC login goes
//! wrong, produced on purpose by the demo OpenID Provider (`crate::demo::op`) for the
//! `demo-oidc` connection. What each one alters in the issued token is data in
//! [`super::op_twist::TWISTS`], under the same name.

use super::scenarios::{Flow, ScenarioId as S, ScenarioSpec, row};

const CODE: Flow = Flow::OidcCode;

pub const OIDC_SCENARIOS: [ScenarioSpec; 12] = [
    row(
        S::OidcHappy,
        "oidc-happy",
        "OIDC: everything right",
        CODE,
        None,
        "Authorization code flow with PKCE: the ID token is signed by the OP's published key, for this client, with this login's nonce; the user is created or updated.",
    ),
    row(
        S::OidcWrongAudience,
        "oidc-wrong-audience",
        "OIDC: ID token for another client",
        CODE,
        Some("audience"),
        "The ID token's aud is another client's ID: a token issued to another app must never sign anyone in here.",
    ),
    row(
        S::OidcExpired,
        "oidc-expired",
        "OIDC: expired ID token",
        CODE,
        Some("time_window"),
        "The ID token's exp passed an hour ago, far beyond the connection's clock skew.",
    ),
    row(
        S::OidcUnknownKid,
        "oidc-unknown-kid",
        "OIDC: signed by a key not in the JWKS",
        CODE,
        Some("signature"),
        "The kid names a key the OP does not publish: Handshake fetches the JWKS once more (a key rotation would be there), then refuses.",
    ),
    row(
        S::OidcAlgNone,
        "oidc-alg-none",
        "OIDC: unsigned ID token (alg none)",
        CODE,
        Some("algorithm"),
        "The header says alg none and the signature is empty: anyone could have written it.",
    ),
    row(
        S::OidcHs256PublicKey,
        "oidc-hs256-public-key",
        "OIDC: HS256 keyed with the public key",
        CODE,
        Some("algorithm"),
        "The algorithm-confusion attack: an HMAC keyed with the OP's public key, which everybody has. HS256 is not an allowed algorithm.",
    ),
    row(
        S::OidcNonceMismatch,
        "oidc-nonce-mismatch",
        "OIDC: nonce of another request",
        CODE,
        Some("nonce"),
        "The ID token carries another login's nonce: it was not issued for this login (an injected or replayed token).",
    ),
    row(
        S::OidcWrongIssuer,
        "oidc-wrong-issuer",
        "OIDC: another issuer",
        CODE,
        Some("issuer"),
        "The ID token's iss is another OP's: the connection was discovered from another issuer, or the token was mixed up.",
    ),
    row(
        S::OidcMissingEmail,
        "oidc-missing-email",
        "OIDC: no email claim",
        CODE,
        Some("missing_attribute"),
        "A valid token without the email claim (the email scope not granted): the required email field stays empty and the login is denied.",
    ),
    row(
        S::OidcEmailUnverified,
        "oidc-email-unverified",
        "OIDC: email not verified",
        CODE,
        Some("email_unverified"),
        "email_verified is false: the demo mapping requires a verified address, so the login is denied and the address is never linked.",
    ),
    row(
        S::OidcGroupOverage,
        "oidc-group-overage",
        "OIDC: group overage (Entra style)",
        CODE,
        Some("group_overage"),
        "Too many groups for a token: _claim_names and _claim_sources point at Microsoft Graph instead, which Handshake refuses to read as \"no groups\".",
    ),
    row(
        S::OidcCodeReplay,
        "oidc-code-replay",
        "OIDC: authorization code replayed",
        CODE,
        Some("replay"),
        "A first login completes; the next callback brings its code again: refused by the replay cache before any call to the token endpoint.",
    ),
];
