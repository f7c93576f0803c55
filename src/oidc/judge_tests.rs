//! The judge on tokens made here with `idp::jws`; the fixture cases are in
//! tests/integration/oidc_validation.rs.

use chrono::TimeZone;
use openssl::pkey::PKey;
use serde_json::json;

use super::*;
use crate::idp::jws::{self, JwsKey};
use crate::oidc::{ClientAuth, OidcSettings, RedirectHost};

const ISS: &str = "https://op.example.com";
const CLIENT: &str = "client-1";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 10, 0, 0).unwrap()
}

fn settings() -> OidcSettings {
    OidcSettings {
        issuer: ISS.into(),
        discovery_url: None,
        discovery_json: Some(json!({ "issuer": ISS }).to_string()),
        discovered_at: None,
        authorization_endpoint: format!("{ISS}/authorize"),
        token_endpoint: format!("{ISS}/token"),
        userinfo_endpoint: None,
        jwks_uri: format!("{ISS}/jwks"),
        jwks_json: None,
        jwks_fetched_at: None,
        client_id: CLIENT.into(),
        client_auth: ClientAuth::ClientSecretBasic,
        scopes: vec!["openid".into()],
        allowed_algs: Alg::DEFAULT.to_vec(),
        trusted_audiences: vec![],
        call_userinfo: false,
        redirect_host: RedirectHost::Loopback,
    }
}

fn rsa() -> JwsKey {
    let pem = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/idp.key")).unwrap();
    JwsKey::new(PKey::private_key_from_pem(&pem).unwrap(), Alg::RS256).unwrap()
}

fn jwks() -> String {
    json!({ "keys": [rsa().public_jwk(Some("k1")).unwrap().unwrap()] }).to_string()
}

fn claims() -> Map<String, Value> {
    let t = now().timestamp();
    json!({ "iss": ISS, "sub": "alice", "aud": CLIENT, "iat": t - 10, "exp": t + 300, "nonce": "n-1" })
        .as_object()
        .unwrap()
        .clone()
}

fn token_with(claims: &Map<String, Value>, key: &JwsKey) -> String {
    jws::sign_compact(json!({ "kid": "k1" }).as_object().unwrap(), claims, key).unwrap()
}

fn run<'a>(token: &str, edit: impl FnOnce(&mut Context<'a>)) -> Report {
    let settings: &'static OidcSettings = Box::leak(Box::new(settings()));
    let jwks: &'static str = Box::leak(jwks().into_boxed_str());
    let mut ctx = Context {
        settings,
        client_secret: None,
        clock_skew_seconds: 60,
        now: now(),
        expected_nonce: Some("n-1"),
        jwks_json: Some(jwks),
        jwks_refetched: false,
        state: None,
        exchange: None,
        code: None,
        userinfo: None,
    };
    edit(&mut ctx);
    judge(token, &ctx)
}

fn status(r: &Report, id: CheckId) -> CheckStatus {
    r.checks.iter().find(|c| c.id == id).unwrap().status
}

fn violations(r: &Report) -> Vec<&str> {
    r.checks.iter().flat_map(|c| c.problems.iter().map(|p| p.violation.as_ref())).collect()
}

#[test]
fn a_good_token_passes_every_check_it_can_make_offline() {
    let r = run(&token_with(&claims(), &rsa()), |_| {});
    assert_eq!(r.verdict, Verdict::Accepted, "{:#?}", r.checks);
    let ids: Vec<CheckId> = r.checks.iter().map(|c| c.id).collect();
    assert_eq!(ids, CheckId::OIDC.to_vec());
    for id in [CheckId::Discovery, CheckId::Parse, CheckId::Algorithm, CheckId::Signature, CheckId::Issuer] {
        assert_eq!(status(&r, id), CheckStatus::Pass, "{id}");
    }
    for id in [CheckId::State, CheckId::TokenResponse, CheckId::AtHash, CheckId::UserinfoSubject] {
        assert_eq!(status(&r, id), CheckStatus::Skip, "{id}");
    }
    assert!(r.signature_verified);
    assert_eq!((r.kid.as_deref(), r.nonce.as_deref()), (Some("k1"), Some("n-1")));
}

#[test]
fn every_failing_check_is_reported_not_just_the_first() {
    let mut c = claims();
    c.insert("iss".into(), json!("https://evil.example"));
    c.insert("aud".into(), json!("other"));
    c.insert("exp".into(), json!(now().timestamp() - 3600));
    c.insert("nonce".into(), json!("n-2"));
    let r = run(&token_with(&c, &rsa()), |_| {});
    assert_eq!(violations(&r), ["issuer_mismatch", "audience_mismatch", "expired", "nonce_mismatch"]);
    assert_eq!(r.failure.as_ref().unwrap().violation, "issuer_mismatch");
    assert!(r.signature_verified, "the signature held: the claims are the OP's");
}

#[test]
fn a_tampered_token_fails_the_signature_but_the_claims_are_still_judged() {
    let token = token_with(&claims(), &rsa());
    let (head, rest) = token.split_once('.').unwrap();
    let (_, sig) = rest.split_once('.').unwrap();
    let mut c = claims();
    c.insert("sub".into(), json!("mallory"));
    let forged = format!("{head}.{}.{sig}", jws::b64(&serde_json::to_vec(&c).unwrap()));
    let r = run(&forged, |_| {});
    assert_eq!(violations(&r), ["signature_invalid"]);
    assert!(!r.signature_verified);
    assert_eq!(status(&r, CheckId::Audience), CheckStatus::Pass);
}

#[test]
fn alg_none_and_hmac_confusion_are_refused_before_any_verification() {
    let r = run(&token_with(&claims(), &JwsKey::Unsigned), |_| {});
    assert_eq!(violations(&r), ["alg_none"]);
    assert_eq!(status(&r, CheckId::Signature), CheckStatus::Skip);

    let hs = JwsKey::hmac(Sensitive::new(b"secret".to_vec()), Alg::HS256).unwrap();
    let r = run(&token_with(&claims(), &hs), |_| {});
    assert_eq!(violations(&r), ["alg_not_allowed"]);

    let secret = Sensitive::new("secret".to_owned());
    let mut s = settings();
    s.allowed_algs.push(Alg::HS256);
    let jwks = jwks();
    let base = |secret| Context {
        settings: &s,
        client_secret: secret,
        clock_skew_seconds: 0,
        now: now(),
        expected_nonce: Some("n-1"),
        jwks_json: Some(&jwks),
        jwks_refetched: false,
        state: None,
        exchange: None,
        code: None,
        userinfo: None,
    };
    let token = token_with(&claims(), &hs);
    assert_eq!(violations(&judge(&token, &base(None))), ["hmac_without_secret"]);
    assert_eq!(judge(&token, &base(Some(&secret))).verdict, Verdict::Accepted);
}

#[test]
fn unknown_kid_says_whether_the_jwks_was_refetched() {
    let mut header = Map::new();
    header.insert("kid".into(), json!("rotated"));
    let token = jws::sign_compact(&header, &claims(), &rsa()).unwrap();
    let r = run(&token, |_| {});
    assert_eq!(violations(&r), ["unknown_kid"]);
    assert!(r.checks[5].hint.as_deref().unwrap().contains("re-discover"));
    let r = run(&token, |c| c.jwks_refetched = true);
    assert!(r.checks[5].actual.contains("fetched again"), "{}", r.checks[5].actual);
}

#[test]
fn keys_in_the_header_are_noted_and_never_used() {
    let mut header = Map::new();
    header.insert("kid".into(), json!("attacker"));
    header.insert("jwk".into(), rsa().public_jwk(Some("attacker")).unwrap().unwrap());
    let token = jws::sign_compact(&header, &claims(), &rsa()).unwrap();
    let r = run(&token, |_| {});
    assert_eq!(violations(&r), ["unknown_kid"]);
    assert!(r.notes.iter().any(|n| n.contains("`jwk`")));
}

#[test]
fn audience_rules_for_several_audiences() {
    let case = |aud: Value, azp: Option<&str>, trusted: &[&str]| {
        let mut c = claims();
        c.insert("aud".into(), aud);
        if let Some(azp) = azp {
            c.insert("azp".into(), json!(azp));
        }
        let token = token_with(&c, &rsa());
        let mut s = settings();
        s.trusted_audiences = trusted.iter().map(|t| t.to_string()).collect();
        let jwks = jwks();
        let ctx = Context {
            settings: &s,
            client_secret: None,
            clock_skew_seconds: 0,
            now: now(),
            expected_nonce: Some("n-1"),
            jwks_json: Some(&jwks),
            jwks_refetched: false,
            state: None,
            exchange: None,
            code: None,
            userinfo: None,
        };
        violations(&judge(&token, &ctx)).into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    assert!(case(json!([CLIENT, "api"]), Some(CLIENT), &["api"]).is_empty());
    assert_eq!(case(json!([CLIENT, "api"]), None, &["api"]), ["azp_missing"]);
    assert_eq!(case(json!([CLIENT, "api"]), Some("api"), &["api"]), ["azp_mismatch"]);
    assert_eq!(case(json!([CLIENT, "api"]), Some(CLIENT), &[]), ["untrusted_audience"]);
    assert_eq!(case(json!(CLIENT), Some("other"), &[]), ["azp_mismatch"]);
    assert_eq!(case(json!([]), None, &[]), ["missing_audience"]);
    assert_eq!(case(json!(7), None, &[]), ["bad_claim"]);
}

#[test]
fn time_window_uses_the_clock_skew() {
    let t = now().timestamp();
    let with = |name: &str, value: Value| {
        let mut c = claims();
        c.insert(name.into(), value);
        violations(&run(&token_with(&c, &rsa()), |_| {})).into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    assert!(with("exp", json!(t - 30)).is_empty(), "within the 60 s skew");
    assert_eq!(with("exp", json!(t - 60)), ["expired"]);
    assert!(with("nbf", json!(t + 30)).is_empty());
    assert_eq!(with("nbf", json!(t + 61)), ["not_yet_valid"]);
    assert_eq!(with("iat", json!(t + 61)), ["issued_in_future"]);
    assert_eq!(with("exp", json!("soon")), ["bad_claim"]);
    assert!(with("exp", json!(t as f64 + 100.5)).is_empty(), "fractional NumericDate");
    let mut c = claims();
    c.remove("exp");
    assert_eq!(violations(&run(&token_with(&c, &rsa()), |_| {})), ["missing_exp"]);
}

#[test]
fn online_context_checks_state_exchange_hashes_and_userinfo() {
    let access = Sensitive::new("access-token-value".to_owned());
    let code = Sensitive::new("the-code".to_owned());
    let mut c = claims();
    c.insert("at_hash".into(), json!(jose::half_hash(Alg::RS256, access.expose()).unwrap()));
    c.insert("c_hash".into(), json!(jose::half_hash(Alg::RS256, code.expose()).unwrap()));
    let token = token_with(&c, &rsa());
    let exchange = Exchange::Tokens {
        id_token: Some(token.clone()),
        access_token: Some(access.clone()),
        token_type: Some("bearer".into()),
        scope: None,
    };
    let state = StateMatch::Matched { iss: Some(ISS.into()) };
    let userinfo = json!({ "sub": "alice" }).as_object().unwrap().clone();
    let r = run(&token, |ctx| {
        ctx.exchange = Some(&exchange);
        ctx.state = Some(&state);
        ctx.code = Some(&code);
        ctx.userinfo = Some(&userinfo);
    });
    assert_eq!(r.verdict, Verdict::Accepted, "{:#?}", r.checks);
    assert!(r.checks.iter().all(|c| c.status == CheckStatus::Pass), "{:#?}", r.checks);
    assert_eq!(r.code_id, code_id("the-code"));

    let other = Sensitive::new("other".to_owned());
    let wrong_userinfo = json!({ "sub": "bob" }).as_object().unwrap().clone();
    let r = run(&token, |ctx| {
        ctx.exchange = Some(&exchange);
        ctx.code = Some(&other);
        ctx.userinfo = Some(&wrong_userinfo);
    });
    assert_eq!(violations(&r), ["c_hash_mismatch", "userinfo_subject_mismatch"]);
}

#[test]
fn a_login_that_stopped_before_a_token_skips_the_token_checks() {
    let state = StateMatch::OpError { error: "access_denied".into(), error_description: Some("no".into()) };
    let r = run("", |ctx| ctx.state = Some(&state));
    assert_eq!(violations(&r), ["authorization_error"]);
    assert_eq!(status(&r, CheckId::Parse), CheckStatus::Skip);
    assert!(r.checks[3].actual.contains("`state` failed first"));

    let exchange = Exchange::OpError {
        status: 401,
        error: "invalid_client".into(),
        error_description: Some("client authentication failed".into()),
        error_uri: None,
    };
    let r = run("", |ctx| ctx.exchange = Some(&exchange));
    assert_eq!(violations(&r), ["op_error"]);
    assert!(r.checks[2].actual.contains("invalid_client: client authentication failed"));
    assert!(r.checks[2].hint.as_deref().unwrap().contains("client secret"));
}

#[test]
fn regression_exp_at_the_end_of_chronos_range_is_judged_without_overflow() {
    // The largest instant chrono represents: `exp + skew` would overflow (a panic).
    let last = DateTime::<Utc>::MAX_UTC.timestamp();
    let mut c = claims();
    c.insert("exp".into(), json!(last));
    c.insert("nbf".into(), json!(last));
    c.insert("iat".into(), json!(DateTime::<Utc>::MIN_UTC.timestamp()));
    let r = run(&token_with(&c, &rsa()), |_| {});
    assert_eq!(violations(&r), ["not_yet_valid"]);
}

#[test]
fn regression_a_callback_without_iss_is_refused_when_the_op_says_it_sends_one() {
    // RFC 9207 §2.4: clients MUST reject responses without `iss` from an OP whose metadata
    // says `authorization_response_iss_parameter_supported` (mix-up defence).
    let token = token_with(&claims(), &rsa());
    let mut advertising = settings();
    advertising.discovery_json =
        Some(json!({ "issuer": ISS, "authorization_response_iss_parameter_supported": true }).to_string());
    let advertising: &'static OidcSettings = Box::leak(Box::new(advertising));
    let without_iss = StateMatch::Matched { iss: None };
    let r = run(&token, |ctx| {
        ctx.settings = advertising;
        ctx.state = Some(&without_iss);
    });
    assert_eq!(violations(&r), ["callback_issuer_missing"]);
    assert_eq!(r.verdict, Verdict::Rejected);
    let row = r.checks.iter().find(|c| c.id == CheckId::State).unwrap();
    assert!(row.expected.contains(ISS) && row.hint.as_deref().unwrap().contains("RFC 9207"), "{row:#?}");

    // With `iss`, or from an OP that does not advertise it, the callback is fine.
    let with_iss = StateMatch::Matched { iss: Some(ISS.into()) };
    let r = run(&token, |ctx| {
        ctx.settings = advertising;
        ctx.state = Some(&with_iss);
    });
    assert_eq!(r.verdict, Verdict::Accepted, "{:#?}", r.checks);
    let r = run(&token, |ctx| ctx.state = Some(&without_iss));
    assert_eq!(r.verdict, Verdict::Accepted, "{:#?}", r.checks);
}
