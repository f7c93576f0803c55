//! The SCIM bearer token and the passwords SCIM clients send never reach SQLite (the catalog,
//! its WAL and shared memory), the server's log, or any JSON the CLI prints (issue #15). Only
//! `scim enable` and `scim rotate-token` print a token, once.

use std::io::{BufRead as _, BufReader, Read as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

const PASSWORD: &str = "Pa55w0rd-from-the-IdP";
const PATCHED_PASSWORD: &str = "An0ther-Pa55w0rd";

fn handshake(dir: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_handshake"))
        .arg("--db")
        .arg(dir.join("catalog.db"))
        .arg("--secret-store")
        .arg(format!("file:{}", dir.join("secrets").display()))
        .args(args)
        .env_remove("HANDSHAKE_DB")
        .env_remove("HANDSHAKE_SECRET_STORE")
        .env_remove("HANDSHAKE_FAULT")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn text(out: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[track_caller]
fn holds_none(what: &str, haystack: &[u8], needles: &[&str]) {
    for needle in needles {
        assert!(!haystack.windows(needle.len()).any(|w| w == needle.as_bytes()), "{what} holds {needle:?}");
    }
}

#[test]
fn the_token_and_scim_passwords_reach_neither_sqlite_nor_logs_nor_json() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let metadata = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/idp/metadata.xml");
    handshake(d, &["connection", "import", "--name", "acme", "--metadata", metadata.to_str().unwrap()]);
    let enabled: serde_json::Value =
        serde_json::from_slice(&handshake(d, &["scim", "enable", "--connection", "acme", "--json"]).stdout).unwrap();
    let first = enabled["token"].as_str().unwrap().to_owned();
    let rotated: serde_json::Value =
        serde_json::from_slice(&handshake(d, &["scim", "rotate-token", "--connection", "acme", "--json"]).stdout)
            .unwrap();
    let token = rotated["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("hs_scim_") && token != first);

    // The server, logging everything it logs, answering a client that sends passwords.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_handshake"))
        .arg("--db")
        .arg(d.join("catalog.db"))
        .arg("--secret-store")
        .arg(format!("file:{}", d.join("secrets").display()))
        .args(["--port", &port.to_string(), "serve"])
        .env("HANDSHAKE_LOG", "trace")
        .env_remove("HANDSHAKE_FAULT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(server.stderr.take().unwrap());
    let mut log = String::new();
    loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "handshake serve did not start: {log}");
        log.push_str(&line);
        if line.contains("listening on") {
            break;
        }
    }
    let rest = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let base = format!("http://127.0.0.1:{port}/scim/acme/v2");
    let send = |method: reqwest::Method, path: &str, bearer: &str, body: Option<serde_json::Value>| {
        let mut r = client.request(method, format!("{base}{path}")).bearer_auth(bearer);
        if let Some(b) = body {
            r = r.header("content-type", "application/scim+json").body(b.to_string());
        }
        let res = r.send().unwrap();
        (res.status().as_u16(), res.text().unwrap())
    };
    let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bjensen",
                      "password": PASSWORD, "emails": [{"value": "bjensen@example.com"}]});
    let (status, created) = send(reqwest::Method::POST, "/Users", &token, Some(user));
    assert_eq!(status, 201, "{created}");
    holds_none("the POST answer", created.as_bytes(), &[PASSWORD]);
    let id = serde_json::from_str::<serde_json::Value>(&created).unwrap()["id"].as_str().unwrap().to_owned();
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                       "Operations": [{"op": "replace", "path": "password", "value": PATCHED_PASSWORD},
                                      {"op": "replace", "value": {"password": PATCHED_PASSWORD, "nickName": "Babs"}}]});
    let (status, patched) = send(reqwest::Method::PATCH, &format!("/Users/{id}"), &token, Some(patch));
    assert_eq!(status, 200, "{patched}");
    assert_eq!(send(reqwest::Method::GET, "/Users", &first, None).0, 401, "the rotated-out token");
    assert_eq!(send(reqwest::Method::GET, "/Users?filter=userName eq \"bjensen\"", &token, None).0, 200);
    let _ = server.kill();
    let _ = server.wait();
    let mut stdout = String::new();
    let _ = server.stdout.take().unwrap().read_to_string(&mut stdout);
    log.push_str(&rest.join().unwrap());
    log.push_str(&stdout);
    assert!(log.contains("SCIM"), "the server logged its SCIM requests: {log}");

    let secrets = [token.as_str(), first.as_str(), PASSWORD, PATCHED_PASSWORD];
    holds_none("the server's log", log.as_bytes(), &secrets);
    let files: Vec<PathBuf> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with("catalog.db"))
        .collect();
    assert!(!files.is_empty());
    for file in &files {
        holds_none(&file.display().to_string(), &std::fs::read(file).unwrap(), &secrets);
    }
    for args in [
        &["scim", "log", "--connection", "acme", "--json"][..],
        &["audit", "list", "--format", "json"],
        &["audit", "list", "--format", "csv"],
        &["connection", "export", "acme"],
        &["connection", "show", "acme", "--json"],
        &["users", "list", "--json"],
    ] {
        let out = text(&handshake(d, args));
        holds_none(&format!("`handshake {}`", args.join(" ")), out.as_bytes(), &secrets);
    }
    let log_json = text(&handshake(d, &["scim", "log", "--connection", "acme", "--json"]));
    assert!(log_json.contains("[redacted]"), "the log shows where a password was: {log_json}");
}

/// SCIM attribute names are case-insensitive (RFC 7643 §2.1) and the PATCH reader takes
/// `"Path"`/`"Value"` in any case: the log's redaction must read them the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_a_password_patched_with_capitalised_path_keys_reaches_no_log_or_audit_row() {
    let s = crate::scim_http::Scim::new();
    let created = s.send("POST", "/Users", Some(crate::scim_http::user("bjensen@example.com"))).await;
    assert_eq!(created.status.as_u16(), 201, "{}", created.text);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    const SECRET: &str = "Capitalised-Pa55w0rd";
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                       "Operations": [{"Op": "Replace", "Path": "password", "Value": SECRET},
                                      {"op": "replace", "PATH": "PassWord", "value": SECRET}]});
    let patched = s.send("PATCH", &format!("/Users/{id}"), Some(patch)).await;
    assert_eq!(patched.status.as_u16(), 200, "{}", patched.text);
    let conn = rusqlite::Connection::open(&s.db).unwrap();
    let logged: String = conn
        .query_row(
            "SELECT coalesce(group_concat(coalesce(request_body, '') || change || notes || coalesce(response_body, '')), '') \
             FROM scim_requests",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let audited: String = conn
        .query_row("SELECT coalesce(group_concat(coalesce(request, '')), '') FROM audit_log", [], |r| r.get(0))
        .unwrap();
    assert!(!logged.contains(SECRET), "the request log keeps the password: {logged}");
    assert!(!audited.contains(SECRET), "an audit row keeps the password: {audited}");
}
