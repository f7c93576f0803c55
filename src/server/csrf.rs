//! Anti-CSRF tokens for the forms that make the demo IdP sign. A token is an HMAC-SHA256,
//! keyed by a secret made when the server state is (never stored or shown), over what the
//! form is for, the values it binds (connection, AuthnRequest ID, RelayState) and when the
//! page was served. A page elsewhere cannot read our pages (loopback Host check, same-origin
//! policy), so it cannot post a valid token; and a bound value changed in the form (another
//! request ID to answer) no longer matches its token.

use chrono::{DateTime, Utc};
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;

use super::refusal::Refusal;
use crate::error::{Error, ErrorCode, Result};
use crate::sensitive::Sensitive;

/// How long a served form can be submitted.
pub const TOKEN_LIFETIME_SECONDS: i64 = 10 * 60;

/// What a token allows: the form it was served in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// The persona picker answering an AuthnRequest (`POST /demo-idp/sso`).
    SignIn,
    /// The IdP-initiated start page (`POST /demo-idp/start`).
    Start,
    /// The demo OP's person picker answering an authorization request (`POST /demo-idp/oidc/authorize`).
    OidcSignIn,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::SignIn => b"demo-idp sign-in",
            Purpose::Start => b"demo-idp start",
            Purpose::OidcSignIn => b"demo-op sign-in",
        }
    }
}

pub(crate) struct CsrfKey(Sensitive<Vec<u8>>);

fn internal(e: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::Internal, format!("anti-CSRF token: {e}"))
}

fn stale() -> Refusal {
    Refusal::forbidden(
        "This form has no valid anti-CSRF token: it is older than 10 minutes, was changed, or was not served by \
         this Handshake. Please start the sign-in again.",
    )
}

impl CsrfKey {
    pub(crate) fn generate() -> Result<Self> {
        let mut bytes = vec![0u8; 32];
        openssl::rand::rand_bytes(&mut bytes).map_err(|e| internal(format!("no randomness: {e}")))?;
        Ok(CsrfKey(Sensitive::new(bytes)))
    }

    fn mac(&self, purpose: Purpose, bound: &[&str], issued: i64) -> Result<Vec<u8>> {
        let key = PKey::hmac(self.0.expose()).map_err(internal)?;
        let mut signer = Signer::new(MessageDigest::sha256(), &key).map_err(internal)?;
        // Every part length-prefixed: no two different lists of values give the same bytes.
        let mut part = |bytes: &[u8]| -> Result<()> {
            signer.update(&(bytes.len() as u64).to_be_bytes()).map_err(internal)?;
            signer.update(bytes).map_err(internal)
        };
        part(purpose.label())?;
        part(&issued.to_be_bytes())?;
        for value in bound {
            part(value.as_bytes())?;
        }
        signer.sign_to_vec().map_err(internal)
    }

    /// The token for a form served at `now`: `{unix seconds}.{hex HMAC}`.
    pub(crate) fn issue(&self, purpose: Purpose, bound: &[&str], now: DateTime<Utc>) -> Result<String> {
        let issued = now.timestamp();
        Ok(format!("{issued}.{}", hex::encode(self.mac(purpose, bound, issued)?)))
    }

    /// Accepts `token` only if this key issued it for `purpose` and exactly these values,
    /// at most [`TOKEN_LIFETIME_SECONDS`] before `now`.
    pub(crate) fn verify(
        &self,
        purpose: Purpose,
        bound: &[&str],
        token: Option<&str>,
        now: DateTime<Utc>,
    ) -> std::result::Result<(), Refusal> {
        let Some((issued, mac)) = token.and_then(|t| t.split_once('.')) else {
            return Err(stale());
        };
        let (Ok(issued), Ok(mac)) = (issued.parse::<i64>(), hex::decode(mac)) else {
            return Err(stale());
        };
        let age = now.timestamp().saturating_sub(issued);
        if !(0..=TOKEN_LIFETIME_SECONDS).contains(&age) {
            return Err(stale());
        }
        let expected = self.mac(purpose, bound, issued).map_err(Refusal::from)?;
        // memcmp::eq compares in constant time but requires equal lengths.
        if mac.len() != expected.len() || !openssl::memcmp::eq(&mac, &expected) {
            return Err(stale());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone as _, Utc};

    use super::*;

    #[test]
    fn a_token_holds_for_its_purpose_values_and_ten_minutes_only() {
        let key = CsrfKey::generate().unwrap();
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0).unwrap();
        let token = key.issue(Purpose::SignIn, &["demo", "_req1", ""], now).unwrap();
        let ok = |purpose, bound: &[&str], at| key.verify(purpose, bound, Some(&token), at).is_ok();
        assert!(ok(Purpose::SignIn, &["demo", "_req1", ""], now));
        assert!(ok(Purpose::SignIn, &["demo", "_req1", ""], now + Duration::minutes(10)));
        assert!(!ok(Purpose::SignIn, &["demo", "_req1", ""], now + Duration::seconds(601)));
        assert!(!ok(Purpose::SignIn, &["demo", "_req1", ""], now - Duration::seconds(1)));
        assert!(!ok(Purpose::Start, &["demo", "_req1", ""], now));
        assert!(!ok(Purpose::SignIn, &["demo", "_req2", ""], now));
        assert!(!ok(Purpose::SignIn, &["demo", "_req1x", ""], now));
        assert!(!ok(Purpose::SignIn, &["demo_", "req1", ""], now), "values are length-delimited");
        let other = CsrfKey::generate().unwrap();
        assert!(other.verify(Purpose::SignIn, &["demo", "_req1", ""], Some(&token), now).is_err());
        for bad in ["", ".", "x.y", "1772443800.", "1772443800.zz", "1772443800.00"] {
            assert!(key.verify(Purpose::SignIn, &["demo", "_req1", ""], Some(bad), now).is_err(), "{bad}");
        }
        assert!(key.verify(Purpose::SignIn, &["demo", "_req1", ""], None, now).is_err());
    }
}
