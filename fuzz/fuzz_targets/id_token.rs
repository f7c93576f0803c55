//! ID tokens: the strict compact-JWS parse, the JWKS parse, and the whole judge with the
//! committed fixture JWKS (so inputs that parse reach key selection and verification).
#![no_main]

use std::sync::OnceLock;

use chrono::{DateTime, TimeZone, Utc};
use handshake::oidc::{Alg, ClientAuth, Context, OidcSettings, RedirectHost};
use handshake::sensitive::Sensitive;
use libfuzzer_sys::fuzz_target;

const JWKS: &str = include_str!("../../tests/fixtures/oidc/jwks.json");

fn now() -> DateTime<Utc> {
    static NOW: OnceLock<DateTime<Utc>> = OnceLock::new();
    *NOW.get_or_init(|| Utc.with_ymd_and_hms(2026, 1, 15, 10, 0, 0).single().expect("valid instant"))
}

fn settings() -> &'static OidcSettings {
    static SETTINGS: OnceLock<OidcSettings> = OnceLock::new();
    SETTINGS.get_or_init(|| OidcSettings {
        issuer: "https://op.example.com".into(),
        discovery_url: None,
        discovery_json: None,
        discovered_at: None,
        authorization_endpoint: "https://op.example.com/authorize".into(),
        token_endpoint: "https://op.example.com/token".into(),
        userinfo_endpoint: None,
        jwks_uri: "https://op.example.com/jwks".into(),
        jwks_json: None,
        jwks_fetched_at: None,
        client_id: "handshake-client".into(),
        client_auth: ClientAuth::ClientSecretBasic,
        scopes: vec!["openid".into()],
        // Every algorithm, so HMAC and every RSA/EC path is reachable.
        allowed_algs: Alg::ALL.to_vec(),
        trusted_audiences: vec!["https://api.acme.example".into()],
        call_userinfo: false,
        redirect_host: RedirectHost::Loopback,
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = handshake::oidc::jose::parse_compact(&text);
    let _ = handshake::oidc::jwks::Jwks::parse(&text);
    let secret = Sensitive::new("fixture-client-secret-0123456789abcdef".to_owned());
    let ctx = Context {
        settings: settings(),
        client_secret: Some(&secret),
        clock_skew_seconds: 60,
        now: now(),
        expected_nonce: Some("n-0S6_WzA2Mj"),
        jwks_json: Some(JWKS),
        jwks_refetched: false,
        state: None,
        exchange: None,
        code: None,
        userinfo: None,
    };
    let _ = handshake::oidc::judge(&text, &ctx);
});
