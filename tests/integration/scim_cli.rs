//! `handshake scim ...` as scripts use it: JSON shapes, the token printed by `enable` and
//! `rotate-token` only, and a rotation that a running `handshake serve` honours at once.

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::validation::fixtures_dir;

struct Env {
    dir: tempfile::TempDir,
    port: u16,
    serve: Option<Child>,
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(mut child) = self.serve.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Env {
    /// A catalog with connection `fx` (the fixture IdP).
    fn new() -> Self {
        let env = Env { dir: tempfile::tempdir().unwrap(), port: free_port(), serve: None };
        let metadata = fixtures_dir().join("idp").join("metadata.xml");
        let out = env.run(&["connection", "import", "--name", "fx", "--metadata", metadata.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        env
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("catalog.db")
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_handshake"));
        c.arg("--db").arg(self.db());
        c.arg("--secret-store").arg(format!("file:{}", self.dir.path().join("secrets").display()));
        c.arg("--port").arg(self.port.to_string());
        c.args(args);
        c.env_remove("HANDSHAKE_DB").env_remove("HANDSHAKE_SECRET_STORE").env_remove("HANDSHAKE_PORT");
        c.stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let text = self.ok(args);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {text}"))
    }

    /// `handshake serve`, until it answers (bounded); its stderr is returned by `stop`.
    fn serve(&mut self) {
        let child = self.cmd(&["serve"]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        self.serve = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while reqwest::blocking::get(format!("http://127.0.0.1:{}/", self.port)).is_err() {
            assert!(Instant::now() < deadline, "handshake serve did not come up");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stop(&mut self) -> String {
        let mut child = self.serve.take().unwrap();
        child.kill().unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    fn get(&self, token: &str, path: &str) -> u16 {
        reqwest::blocking::Client::new()
            .get(format!("http://127.0.0.1:{}/scim/fx/v2{path}", self.port))
            .bearer_auth(token)
            .send()
            .unwrap()
            .status()
            .as_u16()
    }
}

fn token_of(v: &Value) -> String {
    let token = v["token"].as_str().unwrap_or_else(|| panic!("no token in {v}")).to_owned();
    assert!(token.starts_with("hs_scim_"), "{token}");
    token
}

#[test]
fn scim_commands_json_shapes_and_the_token_shown_by_enable_and_rotate_only() {
    let env = Env::new();
    let enabled = env.json(&["scim", "enable", "--connection", "fx", "--policy", "hybrid", "--json"]);
    let token = token_of(&enabled);
    assert_eq!(enabled["connection"], "fx");
    assert_eq!(enabled["enabled"], true);
    assert_eq!(enabled["endpoint"], format!("http://127.0.0.1:{}/scim/fx/v2", env.port));
    assert_eq!(enabled["lifecycle"]["policy"], "hybrid");
    for key in ["token_generation", "enabled_at", "rotated_at", "users", "groups"] {
        assert!(enabled.get(key).is_some(), "enable --json lacks {key}: {enabled}");
    }
    let rotated = env.json(&["scim", "rotate-token", "--connection", "fx", "--json"]);
    let new = token_of(&rotated);
    assert_ne!(new, token);
    assert!(rotated["token_generation"].as_u64() > enabled["token_generation"].as_u64());

    let log = env.json(&["scim", "log", "--connection", "fx", "--json"]);
    assert!(log.is_array(), "{log}");
    let report = env.json(&["scim", "report", "--connection", "fx", "--json"]);
    for key in ["jit_unknown_to_scim", "scim_never_signed_in", "claims_disagree"] {
        assert!(report[key].is_array(), "report --json lacks {key}: {report}");
    }
    let policy = env.json(&[
        "scim",
        "policy",
        "--connection",
        "fx",
        "--jit-requires-scim",
        "true",
        "--match-rule",
        "external_id",
        "--owner",
        "groups=scim",
        "--owner",
        "email=login",
        "--json",
    ]);
    assert_eq!(policy["policy"], "hybrid");
    assert_eq!(policy["jit_requires_scim"], true);
    assert_eq!(policy["match_rule"], "external_id");
    assert_eq!(policy["owners"], serde_json::json!({"groups": "scim", "email": "login"}));
    let shown = env.json(&["scim", "policy", "--connection", "fx", "--owner", "email=default", "--json"]);
    assert_eq!(shown["owners"], serde_json::json!({"groups": "scim"}));
    let bad = env.run(&["scim", "policy", "--connection", "fx", "--owner", "groups"]);
    assert_eq!(bad.status.code(), Some(2));

    // The token is in no other output, JSON or not.
    let human_show = env.ok(&["connection", "show", "fx"]);
    assert!(human_show.contains("SCIM: on"), "{human_show}");
    let outputs = [
        human_show,
        env.ok(&["connection", "show", "fx", "--json"]),
        env.ok(&["connection", "export", "fx"]),
        env.ok(&["scim", "log", "--connection", "fx"]),
        env.ok(&["scim", "log", "--connection", "fx", "--json"]),
        env.ok(&["scim", "report", "--connection", "fx"]),
        env.ok(&["scim", "report", "--connection", "fx", "--json"]),
        env.ok(&["scim", "policy", "--connection", "fx"]),
        env.ok(&["audit", "list"]),
    ];
    for out in &outputs {
        assert!(!out.contains(&token) && !out.contains(&new), "a token leaked: {out}");
        assert!(!out.contains("hs_scim_"), "a token leaked: {out}");
    }
    let disabled = env.json(&["scim", "disable", "--connection", "fx", "--json"]);
    assert_eq!(disabled["enabled"], false);
    assert!(disabled.get("token").is_none());
    let missing = env.run(&["scim", "enable", "--connection", "nope"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("handshake connection list"));
}

#[test]
fn enable_prints_the_endpoint_and_the_token_once_for_a_person() {
    let env = Env::new();
    let out = env.ok(&["scim", "enable", "--connection", "fx"]);
    assert!(out.contains(&format!("http://127.0.0.1:{}/scim/fx/v2/", env.port)), "{out}");
    assert_eq!(out.matches("hs_scim_").count(), 1, "{out}");
    assert!(out.contains("rotate-token"), "{out}");
}

#[test]
fn a_token_rotated_by_the_cli_is_refused_by_a_running_serve_at_once() {
    let mut env = Env::new();
    let token = token_of(&env.json(&["scim", "enable", "--connection", "fx", "--json"]));
    env.serve();
    assert_eq!(env.get(&token, "/ServiceProviderConfig"), 200);
    let new = token_of(&env.json(&["scim", "rotate-token", "--connection", "fx", "--json"]));
    assert_eq!(env.get(&token, "/ServiceProviderConfig"), 401, "the old token's cached digest is stale");
    assert_eq!(env.get(&new, "/ServiceProviderConfig"), 200);
    env.ok(&["scim", "disable", "--connection", "fx"]);
    assert_eq!(env.get(&new, "/ServiceProviderConfig"), 401);
    let stderr = env.stop();
    assert!(!stderr.contains(&token) && !stderr.contains(&new), "serve logged a token: {stderr}");
}

#[test]
fn serve_lists_the_scim_endpoints_that_are_on() {
    let mut env = Env::new();
    env.ok(&["scim", "enable", "--connection", "fx"]);
    env.serve();
    let stderr = env.stop();
    assert!(stderr.contains(&format!("fx: SCIM endpoint http://127.0.0.1:{}/scim/fx/v2/", env.port)), "{stderr}");
}

/// `audit list --kind scim` lists the SCIM client's changes only, each with its action, diff
/// and redacted request (the CLI offered login and admin only).
#[test]
fn regression_audit_list_filters_scim_changes() {
    let mut env = Env::new();
    let token = token_of(&env.json(&["scim", "enable", "--connection", "fx", "--policy", "hybrid", "--json"]));
    env.serve();
    let created = reqwest::blocking::Client::new()
        .post(format!("http://127.0.0.1:{}/scim/fx/v2/Users", env.port))
        .bearer_auth(&token)
        .header("content-type", "application/scim+json")
        .body(
            serde_json::json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "ada@example.com",
                "password": "correct horse battery staple",
                "emails": [{"value": "ada@example.com", "primary": true}]
            })
            .to_string(),
        )
        .send()
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    env.stop();
    // One JSON object per line.
    let lines = |kind: &str| -> Vec<Value> {
        env.ok(&["audit", "list", "--kind", kind, "--format", "json"])
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    };
    let rows = lines("scim");
    assert_eq!(rows.len(), 1, "only the SCIM change, not the enable (admin) row: {rows:?}");
    assert_eq!(rows[0]["kind"], "scim");
    assert_eq!(rows[0]["scim_action"], "scim_create_user");
    assert!(rows[0]["diff"].as_array().is_some_and(|d| !d.is_empty()), "{}", rows[0]);
    let text = rows[0].to_string();
    assert!(!text.contains("correct horse") && !text.contains(&token), "{text}");
    let admin = lines("admin");
    assert!(!admin.is_empty() && admin.iter().all(|r| r["kind"] == "admin"), "{admin:?}");
}

/// A refused request's connection name comes from the URL, unauthenticated: the log line
/// escapes it (a `%0A` forged a second line that looked like the server's own).
#[test]
fn regression_a_refused_requests_name_cannot_forge_a_log_line() {
    let mut env = Env::new();
    env.ok(&["scim", "enable", "--connection", "fx"]);
    let child = env.cmd(&["serve"]).env("HANDSHAKE_LOG", "info").stdout(Stdio::null()).stderr(Stdio::piped()).spawn();
    env.serve = Some(child.unwrap());
    let deadline = Instant::now() + Duration::from_secs(20);
    while reqwest::blocking::get(format!("http://127.0.0.1:{}/", env.port)).is_err() {
        assert!(Instant::now() < deadline, "handshake serve did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    let forged = "x%0A2026-12-05T00:00:00Z%20INFO%20SCIM%20token%20accepted";
    let status = reqwest::blocking::Client::new()
        .get(format!("http://127.0.0.1:{}/scim/{forged}/v2/Users", env.port))
        .bearer_auth("hs_scim_wrong")
        .send()
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(status, 401);
    let stderr = env.stop();
    assert!(stderr.contains("SCIM request refused"), "{stderr}");
    assert!(!stderr.lines().any(|l| l.starts_with("2026-12-05T00:00:00Z")), "a forged line reached the log: {stderr}");
}
