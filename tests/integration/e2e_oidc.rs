//! End to end against a real OpenID Provider nobody here wrote: npm `oidc-provider` on
//! loopback (oidc_op.rs), driven through its real login and consent pages. The first tests
//! prove the harness with a minimal hand-written RP (PKCE S256, state, nonce,
//! client_secret_basic); the last one goes through Handshake's own RP: `connection add-oidc
//! --issuer` and `handshake serve` (`/oidc/{name}/login` → OP → `/oidc/{name}/callback`).
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

// ---- Through Handshake's own RP: `connection add-oidc --issuer` and `handshake serve` ----

/// `handshake serve` and its catalog, stopped (by its pid) and removed however the test ends.
struct Handshake {
    dir: tempfile::TempDir,
    port: u16,
    serve: Option<std::process::Child>,
}

impl Drop for Handshake {
    fn drop(&mut self) {
        if let Some(mut child) = self.serve.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Handshake {
    fn new() -> Handshake {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Handshake { dir: tempfile::tempdir().unwrap(), port, serve: None }
    }

    fn sp(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn db(&self) -> std::path::PathBuf {
        self.dir.path().join("handshake.db")
    }

    fn command(&self, args: &[&str]) -> std::process::Command {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_handshake"));
        c.args(args)
            .env("HANDSHAKE_DB", self.db())
            .env("HANDSHAKE_SECRET_STORE", format!("file:{}", self.dir.path().join("secrets").display()))
            .env("HANDSHAKE_PORT", self.port.to_string());
        c
    }

    /// Runs the CLI with `stdin`; its JSON output.
    fn json(&self, args: &[&str], stdin: &str) -> Value {
        use std::io::Write as _;
        let mut child = self
            .command(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "handshake {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Starts `handshake serve` and waits (bounded) until it answers.
    fn serve(&mut self) {
        let child =
            self.command(&["serve"]).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn();
        self.serve = Some(child.unwrap());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while Client::new().get(format!("{}/", self.sp())).send().is_err() {
            assert!(std::time::Instant::now() < deadline, "handshake serve did not come up");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// The newest test login of connection `op`, read through the core API on the catalog.
    fn latest(&self) -> Value {
        let store = handshake::store::Store::open(&self.db()).unwrap();
        let secrets = std::sync::Arc::new(handshake::secrets::MemoryStore::default());
        let wb = handshake::workbench::Workbench::with_parts(store, secrets, self.sp());
        let id = wb.test_logins(Some("op"), 1).unwrap()[0].id;
        serde_json::to_value(wb.test_login(id).unwrap()).unwrap()
    }

    /// A test login through Handshake's RP and the OP's real pages: the callback URL the OP
    /// redirected to, and Handshake's result page.
    fn login(&self, login: &str) -> (String, String) {
        let browser = oidc_op::browser();
        let (callback, page) = oidc_op::walk_to_callback(
            &browser,
            &format!("{}/oidc/op/login", self.sp()),
            login,
            &format!("{}/oidc/op/callback", self.sp()),
        );
        assert!(page.status().is_success(), "{callback}: {}", page.status());
        (callback, page.text().unwrap())
    }
}

fn check<'a>(t: &'a Value, id: &str) -> &'a Value {
    t["report"]["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no {id}: {t}"))
}

/// The mapping the test sets: the standard claims, and a role from the OP's groups.
fn mapping() -> Value {
    json!({
        "fields": [
            {"target": "email", "source": {"type": "attribute", "name": "email"}, "required": true},
            {"target": "given_name", "source": {"type": "attribute", "name": "given_name"}},
            {"target": "family_name", "source": {"type": "attribute", "name": "family_name"}},
            {"target": "display_name", "source": {"type": "attribute", "name": "name"}},
            {"target": "groups", "source": {"type": "attribute", "name": "groups"}}
        ],
        "roles": {
            "rules": [{"source": {"type": "field", "name": "groups"}, "op": "equals", "value": "Admins", "grant": "admin"}],
            "default_role": "member"
        }
    })
}

#[test]
fn real_op_through_handshakes_rp_import_login_update_rotation_wrong_secret_and_replay() {
    if !oidc_op::ready() {
        return;
    }
    let mut h = Handshake::new();
    let redirect_uri = format!("{}/oidc/op/callback", h.sp());
    let client = OpClient::new(CLIENT_ID, SECRET, &redirect_uri);
    let op = Op::start(&client, &users());

    // Import by discovery URL; the secret from stdin; what to register is the redirect URI.
    let view = h.json(
        &[
            "connection",
            "add-oidc",
            "--name",
            "op",
            "--issuer",
            &op.issuer,
            "--client-id",
            CLIENT_ID,
            "--client-secret-stdin",
            "--scopes",
            "openid email profile groups",
            "--json",
        ],
        SECRET,
    );
    assert_eq!(view["protocol"], "oidc", "{view}");
    assert_eq!(view["oidc"]["issuer"], op.issuer.as_str());
    assert_eq!(view["oidc"]["redirect_uri"], redirect_uri.as_str());
    assert_eq!(view["oidc"]["jwks_kids"], json!(op.kids()));
    let mapping_path = h.dir.path().join("mapping.json");
    std::fs::write(&mapping_path, mapping().to_string()).unwrap();
    let set = h.command(&["mapping", "set", "--connection", "op", "--file", mapping_path.to_str().unwrap()]).output();
    let set = set.unwrap();
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
    h.serve();

    // 1. A login through the OP's login and consent pages: the user is created.
    let took = std::time::Instant::now();
    let (first_callback, page) = h.login("ada");
    println!(
        "OIDC test login through handshake serve against oidc-provider (login, consent, code exchange, JWKS, \
         userinfo, provisioning): {} ms wall time",
        took.elapsed().as_millis()
    );
    assert!(page.contains("CREATED"), "{page}");
    let t = h.latest();
    assert_eq!(t["report"]["outcome"], "created", "{t}");
    let user = &t["report"]["user"];
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!((user["given_name"].as_str(), user["display_name"].as_str()), (Some("Ada"), Some("Ada Lovelace")));
    assert_eq!(user["groups"], json!(["Engineering", "Admins"]));
    assert_eq!(user["roles"], json!(["admin"]), "a role from the OP's groups");
    for id in ["discovery", "state", "token_response", "signature", "issuer", "audience", "nonce", "userinfo_subject"] {
        assert_eq!(check(&t, id)["status"], "pass", "{id}: {}", check(&t, id));
    }

    // 2. A claim changed at the OP: the next login updates the user, with the diff.
    let mut changed = users();
    changed["ada"]["given_name"] = json!("Augusta");
    changed["ada"]["name"] = json!("Augusta Lovelace");
    changed["ada"]["groups"] = json!(["Engineering"]);
    op.set_users(&changed);
    let (_, page) = h.login("ada");
    assert!(page.contains("UPDATED"), "{page}");
    let t = h.latest();
    let diff: Vec<&str> =
        t["report"]["diff"].as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap()).collect();
    assert_eq!(diff, ["given_name", "display_name", "groups", "roles"], "{t}");
    assert_eq!(t["report"]["user"]["roles"], json!(["member"]));

    // 3. Key rotation at the OP: the new kid is not in the cached JWKS; Handshake fetches it.
    let old_kids = op.kids();
    let new_kid = op.rotate();
    assert!(!old_kids.contains(&new_kid));
    let (_, page) = h.login("ada");
    assert!(page.contains("UNCHANGED"), "{page}");
    let t = h.latest();
    let signature = check(&t, "signature");
    assert_eq!(signature["status"], "pass", "{signature}");
    assert!(signature["actual"].as_str().unwrap().contains("the JWKS was fetched again"), "{signature}");
    let shown = h.json(&["connection", "show", "op", "--json"], "");
    assert_eq!(shown["oidc"]["jwks_kids"], json!(op.kids()), "the refetched JWKS is kept: {shown}");

    // 4. The client's secret changed at the OP: the OP's invalid_client in token_response.
    op.set_client(&OpClient::new(CLIENT_ID, "a secret Handshake does not have", &redirect_uri));
    let (_, page) = h.login("ada");
    assert!(page.contains("REJECTED"), "{page}");
    let t = h.latest();
    assert_eq!(t["report"]["failed_check"], "token_response", "{t}");
    let token = check(&t, "token_response");
    assert!(token["actual"].as_str().unwrap().contains("invalid_client"), "{token}");
    op.set_client(&client);

    // 5. Code replay: login 1's code with a new login's state is refused by the replay
    // cache before any call to the OP; the whole old callback again fails at `state`.
    let browser = oidc_op::browser();
    let to_op = browser.get(format!("{}/oidc/op/login", h.sp())).send().unwrap();
    let authorize = to_op.headers()["location"].to_str().unwrap().to_owned();
    let state = oidc_op::query_param(&authorize, "state").unwrap();
    let code = oidc_op::query_param(&first_callback, "code").unwrap();
    let mut replay = reqwest::Url::parse(&redirect_uri).unwrap();
    replay.query_pairs_mut().append_pair("code", &code).append_pair("state", &state).append_pair("iss", &op.issuer);
    let page = oidc_op::follow(&browser, replay.as_str()).text().unwrap();
    assert!(page.contains("REJECTED"), "{page}");
    let t = h.latest();
    assert_eq!(t["report"]["failed_check"], "replay", "{t}");
    assert!(check(&t, "token_response")["actual"].as_str().unwrap().starts_with("not sent"), "{t}");
    let page = oidc_op::follow(&browser, &first_callback).text().unwrap();
    assert!(page.contains("REJECTED"), "{page}");
    assert_eq!(h.latest()["report"]["failed_check"], "state");

    // The client secret is in the secret store only: never in the catalog.
    let db = std::fs::read(h.db()).unwrap();
    assert!(!db.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()), "the client secret is in SQLite");
}

#[test]
fn real_op_accepts_handshakes_private_key_jwt_client_assertion() {
    if !oidc_op::ready() {
        return;
    }
    let mut h = Handshake::new();
    let redirect_uri = format!("{}/oidc/op/callback", h.sp());
    // Registered with a secret first: the OP needs a client to start; the key comes next.
    let op = Op::start(&OpClient::new(CLIENT_ID, SECRET, &redirect_uri), &users());

    // add-oidc with private_key_jwt: the connection's key pair is made, its public JWK shown.
    let view = h.json(
        &[
            "connection",
            "add-oidc",
            "--name",
            "op",
            "--issuer",
            &op.issuer,
            "--client-id",
            CLIENT_ID,
            "--client-auth",
            "private_key_jwt",
            "--json",
        ],
        "",
    );
    assert_eq!(view["oidc"]["client_auth"], "private_key_jwt", "{view}");
    let jwk = view["oidc"]["client_jwk"].clone();
    assert_eq!(
        (jwk["kty"].as_str(), jwk["alg"].as_str(), jwk["use"].as_str()),
        (Some("RSA"), Some("RS256"), Some("sig"))
    );
    assert!(jwk.get("d").is_none(), "{jwk}");
    let shown = h.json(&["connection", "show", "op", "--json"], "");
    assert_eq!(shown["oidc"]["client_jwk"], jwk, "{shown}");

    // The admin registers the public JWK at the OP, with private_key_jwt.
    let mut client = OpClient::new(CLIENT_ID, SECRET, &redirect_uri);
    client.auth_method = "private_key_jwt".into();
    client.jwks = Some(json!({ "keys": [jwk] }));
    op.set_client(&client);
    h.serve();

    let (_, page) = h.login("ada");
    assert!(page.contains("CREATED"), "{page}");
    let t = h.latest();
    assert_eq!(t["report"]["outcome"], "created", "{t}");
    assert_eq!(check(&t, "token_response")["status"], "pass");

    // Another key registered at the OP: the OP's invalid_client, shown in token_response.
    let other = handshake::idp::jws::jwk_of(
        &openssl::pkey::PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap()).unwrap(),
        jwk["kid"].as_str(),
    )
    .unwrap();
    client.jwks = Some(json!({ "keys": [other] }));
    op.set_client(&client);
    let (_, page) = h.login("ada");
    assert!(page.contains("REJECTED"), "{page}");
    let t = h.latest();
    assert_eq!(t["report"]["failed_check"], "token_response", "{t}");
    assert!(check(&t, "token_response")["actual"].as_str().unwrap().contains("invalid_client"), "{t}");

    // The private key is in the secret store only: no piece of it in the catalog.
    let db = String::from_utf8_lossy(&std::fs::read(h.db()).unwrap()).into_owned();
    let secrets = handshake::secrets::FileStore::open(&h.dir.path().join("secrets")).unwrap();
    use handshake::secrets::SecretStore as _;
    let pem = secrets.get(&handshake::secrets::oidc_client_key("op")).unwrap().expect("the key is in the secret store");
    let pem = String::from_utf8(pem.expose().clone()).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(body.len() > 1000, "{}", body.len());
    for chunk in body.as_bytes().chunks(24).map(|c| std::str::from_utf8(c).unwrap()) {
        assert!(!db.contains(chunk), "a piece of the private key is in SQLite: {chunk}");
    }
    assert!(!db.contains("PRIVATE KEY"));
}
