//! What each violation expected and what it found, in words: the two halves of its message.

use super::Violation;

fn list(values: &[String]) -> String {
    if values.is_empty() {
        "none".into()
    } else {
        values.iter().map(|v| format!("\"{v}\"")).collect::<Vec<_>>().join(", ")
    }
}

impl Violation {
    pub fn expected(&self) -> String {
        use Violation::*;
        match self {
            DiscoveryUnreadable { .. } => "a discovery document that is a JSON object with an \"issuer\"".into(),
            DiscoveryIssuerTemplate { .. } => "a concrete issuer (no {tenantid}-style placeholder)".into(),
            DiscoveryIssuerMismatch { configured, .. } => format!("issuer \"{configured}\" (the connection's)"),
            StateMissing | StateUnknown | StateExpired { .. } | StateAlreadyAnswered => {
                "a state that matches an outstanding, unanswered, unexpired login request of this connection".into()
            }
            AuthorizationError { .. } => "an authorization code in the callback".into(),
            CallbackIssuerMismatch { expected, .. } | CallbackIssuerMissing { expected } => {
                format!("iss \"{expected}\" in the callback (RFC 9207)")
            }
            OpError { .. } | TokenHttp { .. } => "a 200 JSON token response".into(),
            NoIdToken => "an id_token in the token response (scope openid)".into(),
            TokenTypeNotBearer { .. } => "token_type Bearer".into(),
            Empty => "an ID token (a compact JWS)".into(),
            TooLarge { limit, .. } => format!("at most {limit} bytes"),
            Encrypted | NotCompact { .. } => "a compact JWS: header.payload.signature (three parts)".into(),
            NotBase64Url { part, .. } => format!("the {} in base64url without padding", part.as_str()),
            NotJson { part, .. } => format!("the {} to be JSON", part.as_str()),
            NotAnObject { part } => format!("the {} to be a JSON object", part.as_str()),
            DuplicateMember { part, .. } => format!("each member name once in the {}", part.as_str()),
            UnsupportedCrit { .. } => "no crit header (no extension Handshake must understand)".into(),
            UnsupportedTyp { .. } => "typ absent, JWT or application/jwt".into(),
            MissingSubject => "a sub claim (a non-empty string)".into(),
            MissingAlg => "an alg header".into(),
            AlgNone | UnsupportedAlg { .. } | HmacWithoutSecret { .. } => {
                "a signature algorithm the connection allows".into()
            }
            AlgNotAllowed { allowed, .. } => format!("one of {}", allowed.join(", ")),
            NoJwks => "the OP's JWKS (fetched from its jwks_uri)".into(),
            JwksUnreadable { .. } | JwksTooLarge { .. } => {
                "a JWKS: a JSON object with a keys array (within the limits)".into()
            }
            UnknownKid { .. } => "a kid that names a key of the OP's JWKS".into(),
            NoMatchingKey { alg, .. } => format!("a signing key for {alg} in the OP's JWKS"),
            AmbiguousKey { .. } => "a kid (the JWKS has several keys for this algorithm)".into(),
            KeyNotForAlg { alg, .. } => format!("the key named by kid to be a signing key for {alg}"),
            BadJwk { .. } => "a well-formed public JWK".into(),
            WeakKey { .. } | KeyTooLarge { .. } => "an RSA key of 2048 to 8192 bits".into(),
            SignatureEncoding { alg, expected, .. } => format!("a raw {alg} signature of {expected} bytes (r || s)"),
            SignatureInvalid { .. } => "a signature that verifies over header.payload".into(),
            MissingIssuer => "an iss claim".into(),
            IssuerMismatch { expected, .. } => format!("iss \"{expected}\" exactly"),
            MissingAudience => "an aud claim".into(),
            AudienceMismatch { expected, .. } => format!("aud containing \"{expected}\" (the client ID)"),
            AzpMissing { .. } => "an azp claim (the token has several audiences)".into(),
            AzpMismatch { expected, .. } => format!("azp \"{expected}\" (the client ID)"),
            UntrustedAudience { .. } => "no audience besides the client ID that the connection does not trust".into(),
            MissingExp => "an exp claim".into(),
            MissingIat => "an iat claim".into(),
            Expired { exp, .. } => format!("now before exp {exp} (plus clock skew)"),
            NotYetValid { nbf, .. } => format!("now at or after nbf {nbf} (minus clock skew)"),
            IssuedInFuture { now, .. } => format!("iat at or before {now} (plus clock skew)"),
            NonceMissing { expected } | NonceMismatch { expected, .. } => format!("nonce \"{expected}\""),
            AtHashMismatch { expected, .. } => format!("at_hash \"{expected}\" (from the access token)"),
            CHashMismatch { expected, .. } => format!("c_hash \"{expected}\" (from the code)"),
            UserinfoSubjectMissing { expected } | UserinfoSubjectMismatch { expected, .. } => {
                format!("userinfo sub \"{expected}\" (the ID token's)")
            }
            BadClaim { claim, expected, .. } => format!("{claim} as {expected}"),
        }
    }

    pub fn actual(&self) -> String {
        use Violation::*;
        match self {
            DiscoveryUnreadable { detail } => detail.clone(),
            DiscoveryIssuerTemplate { discovered } | DiscoveryIssuerMismatch { discovered, .. } => {
                format!("\"{discovered}\"")
            }
            StateMissing => "no state in the callback".into(),
            StateUnknown => "a state no login request of this connection sent".into(),
            StateExpired { expired_at } => format!("a login request that expired at {}", expired_at.to_rfc3339()),
            StateAlreadyAnswered => "a login request that was already answered".into(),
            AuthorizationError { error, description } => match description {
                Some(d) => format!("error={error}: {d}"),
                None => format!("error={error}"),
            },
            CallbackIssuerMismatch { found, .. } => format!("\"{found}\""),
            CallbackIssuerMissing { .. } => {
                "no iss in the callback, although the OP's discovery document says it sends one \
                 (authorization_response_iss_parameter_supported)"
                    .into()
            }
            OpError { status, error, description } => match description {
                Some(d) => format!("HTTP {status}, error={error}: {d}"),
                None => format!("HTTP {status}, error={error}"),
            },
            TokenHttp { status: Some(s), detail } => format!("HTTP {s}: {detail}"),
            TokenHttp { status: None, detail } => detail.clone(),
            NoIdToken => "no id_token".into(),
            TokenTypeNotBearer { found } => found.clone().unwrap_or_else(|| "no token_type".into()),
            Empty => "nothing".into(),
            TooLarge { bytes, .. } => format!("{bytes} bytes"),
            Encrypted => "five parts: an encrypted token (JWE)".into(),
            NotCompact { parts } => format!("{parts} part(s)"),
            NotBase64Url { detail, .. } | NotJson { detail, .. } => detail.clone(),
            NotAnObject { .. } => "another JSON value".into(),
            DuplicateMember { name, .. } => format!("\"{name}\" twice"),
            UnsupportedCrit { names } => format!("crit {names}"),
            UnsupportedTyp { typ } => format!("typ \"{typ}\""),
            MissingSubject => "no sub".into(),
            MissingAlg => "no alg".into(),
            AlgNone => "alg none (an unsigned token)".into(),
            UnsupportedAlg { alg } => format!("alg \"{alg}\" (not a JWS algorithm Handshake verifies)"),
            AlgNotAllowed { alg, .. } => format!("alg {alg}"),
            HmacWithoutSecret { alg } => {
                format!("alg {alg}, but the connection has no client secret to verify it with")
            }
            NoJwks => "no JWKS cached for this connection".into(),
            JwksUnreadable { detail } | JwksTooLarge { detail } => detail.clone(),
            UnknownKid { kid, known, refetched, .. } => format!(
                "kid \"{kid}\"; the JWKS{} has {}",
                if *refetched { " (fetched again for this kid)" } else { "" },
                list(known)
            ),
            NoMatchingKey { refetched, .. } => {
                format!("no kid, and no usable key{}", if *refetched { " (JWKS fetched again)" } else { "" })
            }
            AmbiguousKey { count, .. } => format!("no kid, and {count} keys that could have signed"),
            KeyNotForAlg { kid, detail, .. } => format!("key \"{kid}\": {detail}"),
            BadJwk { kid, detail } => format!("key \"{kid}\": {detail}"),
            WeakKey { kid, bits } | KeyTooLarge { kid, bits } => format!("key \"{kid}\" has {bits} bits"),
            SignatureEncoding { length, .. } => format!("{length} bytes (DER or damaged)"),
            SignatureInvalid { alg, kid } => match kid {
                Some(kid) => format!("an {alg} signature that does not verify with key \"{kid}\""),
                None => format!("an {alg} signature that does not verify"),
            },
            MissingIssuer => "no iss".into(),
            IssuerMismatch { found, .. } => format!("\"{found}\""),
            MissingAudience => "no aud".into(),
            AudienceMismatch { found, .. } | AzpMissing { audiences: found } => format!("aud {}", list(found)),
            AzpMismatch { found, .. } => format!("azp \"{found}\""),
            UntrustedAudience { untrusted } => format!("untrusted audience(s) {}", list(untrusted)),
            MissingExp => "no exp".into(),
            MissingIat => "no iat".into(),
            Expired { now, .. } | NotYetValid { now, .. } => format!("now {now}"),
            IssuedInFuture { iat, .. } => format!("iat {iat}"),
            NonceMissing { .. } => "no nonce".into(),
            NonceMismatch { found, .. } => format!("nonce \"{found}\""),
            AtHashMismatch { found, .. } => format!("at_hash \"{found}\""),
            CHashMismatch { found, .. } => format!("c_hash \"{found}\""),
            UserinfoSubjectMissing { .. } => "no sub in the userinfo response".into(),
            UserinfoSubjectMismatch { found, .. } => format!("userinfo sub \"{found}\""),
            BadClaim { found, .. } => found.clone(),
        }
    }
}
