//! End to end against a real OpenID Provider nobody here wrote: npm `oidc-provider` on
//! loopback (oidc_op.rs), driven through its real login and consent pages. These tests prove
//! the harness with a minimal hand-written RP (PKCE S256, state, nonce, client_secret_basic);
//! the tests through Handshake's own RP routes use the same harness.
//!
//! Runs when HANDSHAKE_E2E=1 (see `oidc_op::ready`); otherwise prints that it skipped.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::oidc_op::{self, Op, OpClient};

const CLIENT_ID: &str = "handshake-e2e";
const SECRET: &str = "e2e client secret: s3cr3t/+=";

fn users() -> Value {
    json!({
        "ada": {
            "email": "ada@example.com", "email_verified": true, "given_name": "Ada", "family_name": "Lovelace",
            "name": "Ada Lovelace", "preferred_username": "ada", "groups": ["Engineering", "Admins"]
        }
    })
}

fn random() -> String {
    let mut bytes = [0u8; 32];
    openssl::rand::rand_bytes(&mut bytes).unwrap();
    B64.encode(bytes)
}

/// A hand-written RP: one authorization request's secrets, and what the OP answered.
struct Rp {
    redirect_uri: String,
    discovery: Value,
    state: String,
    nonce: String,
    verifier: String,
}

impl Rp {
    fn new(op: &Op, redirect_uri: &str) -> Rp {
        let discovery: Value = Client::new().get(op.discovery_url()).send().unwrap().text().unwrap().parse().unwrap();
        Rp { redirect_uri: redirect_uri.into(), discovery, state: random(), nonce: random(), verifier: random() }
    }

    fn authorization_url(&self) -> String {
        let challenge = B64.encode(openssl::sha::sha256(self.verifier.as_bytes()));
        let mut url = reqwest::Url::parse(self.discovery["authorization_endpoint"].as_str().unwrap()).unwrap();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", CLIENT_ID)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("scope", "openid email profile groups")
            .append_pair("state", &self.state)
            .append_pair("nonce", &self.nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        url.to_string()
    }

    /// Signs in at the OP as `login`; returns the code from the redirect (state and iss checked).
    fn login(&self, login: &str) -> String {
        let redirect =
            oidc_op::walk_to_redirect(&oidc_op::browser(), &self.authorization_url(), login, &self.redirect_uri)
                .unwrap();
        assert_eq!(oidc_op::query_param(&redirect, "state").as_deref(), Some(self.state.as_str()), "{redirect}");
        assert_eq!(oidc_op::query_param(&redirect, "iss"), self.discovery["issuer"].as_str().map(String::from));
        oidc_op::query_param(&redirect, "code").unwrap_or_else(|| panic!("no code: {redirect}"))
    }

    /// The token request with client_secret_basic (RFC 6749 §2.3.1: form-encoded, then Basic).
    fn exchange(&self, code: &str, secret: &str) -> (u16, Value) {
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", enc(CLIENT_ID), enc(secret)));
        let res = Client::new()
            .post(self.discovery["token_endpoint"].as_str().unwrap())
            .header("authorization", format!("Basic {basic}"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &self.redirect_uri),
                ("code_verifier", &self.verifier),
            ])
            .send()
            .unwrap();
        (res.status().as_u16(), oidc_op::json_of(res))
    }
}

/// (header, payload) of a compact JWS, decoded without verification.
fn decode(jwt: &str) -> (Value, Value) {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "{jwt}");
    let part = |p: &str| serde_json::from_slice::<Value>(&B64.decode(p).unwrap()).unwrap();
    (part(parts[0]), part(parts[1]))
}

/// Verifies an RS256 JWS with the JWKS key its header names.
fn verify_rs256(jwt: &str, jwks: &Value) -> bool {
    let (header, _) = decode(jwt);
    let Some(jwk) = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == header["kid"]) else {
        return false;
    };
    let n = openssl::bn::BigNum::from_slice(&B64.decode(jwk["n"].as_str().unwrap()).unwrap()).unwrap();
    let e = openssl::bn::BigNum::from_slice(&B64.decode(jwk["e"].as_str().unwrap()).unwrap()).unwrap();
    let key = openssl::pkey::PKey::from_rsa(openssl::rsa::Rsa::from_public_components(n, e).unwrap()).unwrap();
    let (signed, signature) = jwt.rsplit_once('.').unwrap();
    let mut verifier = openssl::sign::Verifier::new(openssl::hash::MessageDigest::sha256(), &key).unwrap();
    verifier.update(signed.as_bytes()).unwrap();
    verifier.verify(&B64.decode(signature).unwrap()).unwrap()
}

fn jwks(rp: &Rp) -> Value {
    Client::new().get(rp.discovery["jwks_uri"].as_str().unwrap()).send().unwrap().text().unwrap().parse().unwrap()
}

fn start() -> (Op, Rp) {
    let redirect_uri = "http://127.0.0.1:9/rp/callback";
    let op = Op::start(&OpClient::new(CLIENT_ID, SECRET, redirect_uri), &users());
    let rp = Rp::new(&op, redirect_uri);
    (op, rp)
}

#[test]
fn real_op_login_gives_an_id_token_with_the_users_claims_and_a_code_is_used_once() {
    if !oidc_op::ready() {
        return;
    }
    let (op, rp) = start();
    assert_eq!(rp.discovery["issuer"], op.issuer.as_str());
    assert_eq!(rp.discovery["code_challenge_methods_supported"], json!(["S256"]));

    let took = std::time::Instant::now();
    let code = rp.login("ada");
    let (status, tokens) = rp.exchange(&code, SECRET);
    println!("login + token exchange against oidc-provider: {} ms wall time", took.elapsed().as_millis());
    assert_eq!(status, 200, "{tokens}\n{}", op.log());
    let id_token = tokens["id_token"].as_str().unwrap();
    let (header, claims) = decode(id_token);
    assert_eq!(header["alg"], "RS256");
    assert!(verify_rs256(id_token, &jwks(&rp)), "signed by a JWKS key");
    assert_eq!(claims["iss"], op.issuer.as_str());
    assert_eq!(claims["aud"], CLIENT_ID);
    assert_eq!(claims["sub"], "ada");
    assert_eq!(claims["nonce"], rp.nonce.as_str());
    for (name, value) in users()["ada"].as_object().unwrap() {
        assert_eq!(&claims[name], value, "claim {name} in {claims}");
    }

    // Userinfo answers for the same subject.
    let me = Client::new()
        .get(rp.discovery["userinfo_endpoint"].as_str().unwrap())
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .unwrap();
    let me = oidc_op::json_of(me);
    assert_eq!(me["sub"], "ada");

    // The code is spent.
    let (status, error) = rp.exchange(&code, SECRET);
    assert_eq!((status, error["error"].as_str()), (400, Some("invalid_grant")), "{error}");

    // A changed claim at the OP shows in the next login's ID token.
    let mut changed = users();
    changed["ada"]["given_name"] = json!("Augusta");
    op.set_users(&changed);
    let rp2 = Rp::new(&op, &rp.redirect_uri);
    let (_, tokens) = rp2.exchange(&rp2.login("ada"), SECRET);
    assert_eq!(decode(tokens["id_token"].as_str().unwrap()).1["given_name"], "Augusta");
}

#[test]
fn real_op_refuses_a_wrong_client_secret_with_invalid_client() {
    if !oidc_op::ready() {
        return;
    }
    let (op, rp) = start();
    let (status, error) = rp.exchange(&rp.login("ada"), "not the secret");
    assert_eq!((status, error["error"].as_str()), (401, Some("invalid_client")), "{error}");

    // The client re-registered with another secret: the one the RP has is now the wrong one.
    op.set_client(&OpClient::new(CLIENT_ID, "another secret", &rp.redirect_uri));
    let rp = Rp::new(&op, &rp.redirect_uri);
    let (status, error) = rp.exchange(&rp.login("ada"), SECRET);
    assert_eq!((status, error["error"].as_str()), (401, Some("invalid_client")), "{error}");
}

#[test]
fn real_op_key_rotation_publishes_a_new_kid_that_signs_new_id_tokens() {
    if !oidc_op::ready() {
        return;
    }
    let (op, rp) = start();
    let (_, before) = rp.exchange(&rp.login("ada"), SECRET);
    let old_kid = decode(before["id_token"].as_str().unwrap()).0["kid"].clone();
    assert_eq!(op.kids(), vec![old_kid.as_str().unwrap().to_owned()]);

    let new_kid = op.rotate();
    assert_ne!(json!(new_kid), old_kid);
    assert_eq!(op.kids(), vec![new_kid.clone(), old_kid.as_str().unwrap().to_owned()], "new first, old kept");

    let rp = Rp::new(&op, &rp.redirect_uri);
    let (status, after) = rp.exchange(&rp.login("ada"), SECRET);
    assert_eq!(status, 200, "{after}");
    let id_token = after["id_token"].as_str().unwrap();
    assert_eq!(decode(id_token).0["kid"], new_kid.as_str());
    assert!(verify_rs256(id_token, &jwks(&rp)));
    assert!(verify_rs256(before["id_token"].as_str().unwrap(), &jwks(&rp)), "the old key still verifies");
}
