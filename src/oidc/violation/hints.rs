//! How to fix each violation: a true hint naming the setting to change at the OP or in the
//! connection, or saying that the token is an attack when no honest OP sends it.

use super::Violation;

const FORGED: &str = "No conforming OP sends this: treat the token as forged or tampered with.";

impl Violation {
    pub fn hint(&self) -> String {
        use Violation::*;
        match self {
            DiscoveryUnreadable { .. } => {
                "Discover again from the OP's /.well-known/openid-configuration URL; the stored document is not usable.".into()
            }
            DiscoveryIssuerTemplate { .. } => "This is a multi-tenant discovery document (Entra ID /common or /organizations): \
                 its issuer is a template that no token carries. Discover from the tenant's URL instead \
                 (https://login.microsoftonline.com/<tenant id>/v2.0)."
                .into(),
            DiscoveryIssuerMismatch { .. } => "OpenID Connect Discovery §4.3 requires the issuer in the document to equal the \
                 URL it was discovered from: discover from the issuer's own URL, or set the connection's issuer to the \
                 document's issuer if that is the OP you mean."
                .into(),
            StateMissing | StateUnknown => "Start the login from Handshake; a callback that no login request of this \
                 connection started (a bookmarked, forged or other connection's callback) is refused."
                .into(),
            StateExpired { .. } => "Start a new login and finish it within the request's lifetime.".into(),
            StateAlreadyAnswered => {
                "Start a new login; a callback is accepted once (reloading the result page resubmits it).".into()
            }
            AuthorizationError { error, .. } => match error.as_str() {
                "access_denied" => "The user or the OP refused the sign-in; check that the user is assigned to the application.".into(),
                "invalid_scope" => "The OP refused a requested scope: remove it from the connection's scopes or enable it at the OP.".into(),
                "unauthorized_client" | "unsupported_response_type" => {
                    "Enable the authorization code flow for this client at the OP.".into()
                }
                _ => "The OP refused the authorization request; its error_description says why. Check the client ID and \
                      the redirect URI registered at the OP."
                    .into(),
            },
            CallbackIssuerMismatch { .. } => "The callback names another issuer than this connection's (RFC 9207): \
                 the response comes from another OP (a mix-up attack), or the connection's issuer is wrong."
                .into(),
            CallbackIssuerMissing { .. } => "This OP says it always names itself in the callback (RFC 9207), and \
                 this callback does not: it may come from another OP (a mix-up attack). If the OP really stopped \
                 sending iss, run rediscover to refresh its discovery document."
                .into(),
            OpError { error, .. } => match error.as_str() {
                "invalid_client" => "The OP refused the client credentials: check the client ID, the client secret \
                     and the client authentication method (client_secret_basic or client_secret_post) against the OP."
                    .into(),
                "invalid_grant" => "The OP refused the code: it was already redeemed, expired, issued to another client, \
                     or the redirect URI or PKCE verifier does not match the request. Start a new login."
                    .into(),
                "unauthorized_client" => "Allow the authorization_code grant for this client at the OP.".into(),
                _ => "The token endpoint refused the exchange; its error_description says why.".into(),
            },
            TokenHttp { .. } => "Check the connection's token endpoint (discover again) and that the OP is reachable.".into(),
            NoIdToken => "Request the openid scope (the connection's scopes must include it); without it the OP \
                 answers plain OAuth with no ID token."
                .into(),
            TokenTypeNotBearer { .. } => "OpenID Connect Core §3.1.3.3 requires token_type Bearer; this token endpoint is \
                 not an OpenID Connect one."
                .into(),
            Empty => "Paste the id_token value of the token response (three base64url parts separated by dots).".into(),
            TooLarge { .. } => "Real ID tokens are a few kilobytes; check that this is an ID token.".into(),
            Encrypted => "The OP encrypts ID tokens (JWE); Handshake verifies signed ID tokens only. Turn off ID token \
                 encryption for this client at the OP."
                .into(),
            NotCompact { .. } | NotBase64Url { .. } | NotJson { .. } | NotAnObject { .. } => {
                "This is not an ID token as an OP sends it; paste the id_token value exactly (no quotes, no Bearer).".into()
            }
            DuplicateMember { .. } => format!(
                "A member given twice is read differently by different parsers (one takes the first, one the last). {FORGED}"
            ),
            UnsupportedCrit { .. } => "The token requires a JWS extension (crit) Handshake does not implement; RFC 7515 \
                 §4.1.11 says to refuse it. Configure the OP to sign ID tokens without extensions."
                .into(),
            UnsupportedTyp { .. } => "This is not an ID token (an access token or another JWT); paste the id_token.".into(),
            MissingSubject => "OpenID Connect Core §2 requires sub; the OP is not sending a conformant ID token.".into(),
            MissingAlg | UnsupportedAlg { .. } => {
                "Configure the OP to sign ID tokens with RS256 (or PS256/ES256) and allow that in the connection.".into()
            }
            AlgNone => format!(
                "An unsigned ID token proves nothing (anyone can write one), so Handshake never accepts alg none. {FORGED}"
            ),
            AlgNotAllowed { alg, .. } if alg.starts_with("HS") => format!(
                "{alg} is an HMAC keyed with the client secret; the connection does not allow it. If the OP really signs \
                 with the client secret, allow {alg} in the connection; a token whose HMAC key is the OP's public key is an \
                 algorithm-confusion attack."
            ),
            AlgNotAllowed { alg, .. } => format!(
                "Allow {alg} in the connection's algorithms if the OP signs with it, or set the OP's ID token signing \
                 algorithm to one the connection allows."
            ),
            HmacWithoutSecret { .. } => "HMAC ID tokens are keyed with the client secret: store the client secret for \
                 this connection, or have the OP sign with RS256."
                .into(),
            NoJwks => "Discover the OP again to fetch its JWKS (jwks_uri).".into(),
            JwksUnreadable { .. } | JwksTooLarge { .. } => {
                "Check the connection's jwks_uri: it should return the OP's public keys as a JWKS.".into()
            }
            UnknownKid { refetched: true, .. } => "The OP's JWKS does not publish this key even after fetching it again: \
                 the token was signed by another OP or by a key that is not (yet) published. Check the connection's issuer \
                 and jwks_uri."
                .into(),
            UnknownKid { offline: true, .. } => {
                "The cached JWKS does not have this key (the OP may have rotated keys): re-discover to refresh the JWKS.".into()
            }
            UnknownKid { .. } => "The OP signed with a key its JWKS does not publish; the JWKS could not be fetched again \
                 now (at most once a minute): re-discover to refresh it, or check the connection's issuer."
                .into(),
            NoMatchingKey { .. } => {
                "The OP's JWKS has no signing key for this algorithm: check the OP's signing key settings.".into()
            }
            AmbiguousKey { .. } => "Configure the OP to put kid in the token header (every major OP does).".into(),
            KeyNotForAlg { .. } => format!(
                "The key named by kid cannot make this algorithm (another key type, curve, alg or use). {FORGED}"
            ),
            BadJwk { .. } => "The OP publishes a malformed key; re-discover, and report it to the OP if it persists.".into(),
            WeakKey { .. } => "RSA keys under 2048 bits are breakable: rotate the OP's signing key to 2048 bits or more.".into(),
            KeyTooLarge { .. } => "RSA keys over 8192 bits cost too much to verify and no OP needs them: use a 2048- to \
                 4096-bit signing key."
                .into(),
            SignatureEncoding { .. } => "JWS ECDSA signatures are the raw r || s pair (RFC 7518 §3.4), not DER: the OP \
                 (or a library it uses) encodes them wrongly."
                .into(),
            SignatureInvalid { .. } => format!(
                "The token was changed after signing, or signed with another key of the same kid. {FORGED}"
            ),
            MissingIssuer => "OpenID Connect Core §2 requires iss; the OP is not sending a conformant ID token.".into(),
            IssuerMismatch { expected, found } if found.trim_end_matches('/') == expected.trim_end_matches('/') => {
                "Issuers are compared exactly, so a trailing slash matters: set the connection's issuer to the OP's \
                 issuer exactly as its discovery document and tokens write it."
                    .into()
            }
            IssuerMismatch { .. } => "The token was issued by another OP (or another tenant or realm of it): set the \
                 connection's issuer to the OP that signs in the users, or sign in at the right one."
                .into(),
            MissingAudience | AudienceMismatch { .. } => "The token was issued to another client: check the client ID \
                 of the connection against the application registered at the OP."
                .into(),
            AzpMissing { .. } => "With several audiences OpenID Connect Core §3.1.3.7 requires azp naming the client the \
                 token was issued to; without it any of the audiences could have requested it."
                .into(),
            AzpMismatch { .. } => "The token was issued to another client (azp) and only lists this one as an audience: \
                 it cannot sign in to this application."
                .into(),
            UntrustedAudience { .. } => "The token is also valid at the other audience(s) listed: add them to the \
                 connection's trusted audiences if you know and trust them, or configure the OP not to add them."
                .into(),
            MissingExp | MissingIat => {
                "OpenID Connect Core §2 requires exp and iat; the OP is not sending a conformant ID token.".into()
            }
            Expired { .. } => "Sign in again; if it keeps happening, correct the OP's or this machine's clock, or raise \
                 the connection's clock skew."
                .into(),
            NotYetValid { .. } | IssuedInFuture { .. } => {
                "Correct the OP's or this machine's clock, or raise the connection's clock skew.".into()
            }
            NonceMissing { .. } => "The OP must return the nonce the request sent (OpenID Connect Core §3.1.2.1); \
                 a token without it may be a replay of another login."
                .into(),
            NonceMismatch { .. } => "The token was issued for another login request: a replayed or injected token.".into(),
            AtHashMismatch { .. } | CHashMismatch { .. } => format!(
                "The ID token is not bound to the access token or code that came with it (a substituted token). {FORGED}"
            ),
            UserinfoSubjectMissing { .. } | UserinfoSubjectMismatch { .. } => "The userinfo response describes another \
                 user than the ID token (OpenID Connect Core §5.3.2 requires the same sub): its claims are not used."
                .into(),
            BadClaim { claim, .. } => format!(
                "The OP writes {claim} with the wrong JSON type (OpenID Connect Core §2 defines the claims' types, RFC 7515 \
                 the header's; times are NumericDate seconds, RFC 7519 §2). Report it to the OP."
            ),
        }
    }
}
