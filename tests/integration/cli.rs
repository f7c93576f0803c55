//! The `handshake` command line as scripts use it: names, JSON shapes, exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::validation::{fixtures_dir, generator};

const AT: &str = "2026-01-15T10:01:00Z";

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Env { dir: tempfile::tempdir().unwrap() }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("catalog.db")
    }

    fn secrets(&self) -> PathBuf {
        self.dir.path().join("secrets")
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_handshake"));
        c.arg("--db").arg(self.db()).arg("--secret-store").arg(format!("file:{}", self.secrets().display()));
        c.args(args);
        c.env_remove("HANDSHAKE_DB").env_remove("HANDSHAKE_SECRET_STORE").env_remove("HANDSHAKE_PORT");
        c.stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    /// The fixture IdP as connection `fx`, with the fixture SP key so encrypted fixtures decrypt.
    fn with_fixture_connection(self) -> Self {
        let metadata = fixtures_dir().join("idp").join("metadata.xml");
        let out = self.run(&[
            "connection",
            "import",
            "--name",
            "fx",
            "--metadata",
            metadata.to_str().unwrap(),
            "--sp-entity-id",
            generator::SP_ENTITY_ID,
            "--acs-url",
            generator::ACS_URL,
        ]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let keys = fixtures_dir().join("keys");
        let out = self.run(&[
            "connection",
            "set-sp-key",
            "--name",
            "fx",
            "--key",
            keys.join("sp.key").to_str().unwrap(),
            "--cert",
            keys.join("sp.crt").to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        self
    }
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

fn response_path(name: &str) -> String {
    fixtures_dir().join("responses").join(format!("{name}.b64")).to_str().unwrap().to_owned()
}

fn verify(env: &Env, file: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["verify", "--connection", "fx", "--response", file, "--at", AT, "--json"];
    args.extend_from_slice(extra);
    let out = env.run(&args);
    (out.status.code().unwrap(), json(&out))
}

#[test]
fn import_show_and_list_report_every_certificate() {
    let env = Env::new().with_fixture_connection();
    let out = env.run(&["connection", "show", "fx", "--json"]);
    assert!(out.status.success());
    let v = json(&out);
    assert_eq!(v["idp_entity_id"], generator::IDP_ENTITY_ID);
    let certs = v["signing_certificates"].as_array().unwrap();
    assert_eq!(certs.len(), 2);
    for c in certs {
        assert!(c["der_base64"].as_str().unwrap().len() > 300);
        assert_eq!(c["sha256_fingerprint"].as_str().unwrap().len(), 32 * 3 - 1);
        assert_eq!(c["not_after"], "2045-01-01T00:00:00Z");
    }
    assert_eq!(v["sp"]["acs_url"], generator::ACS_URL);
    let list = json(&env.run(&["connection", "list", "--json"]));
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[test]
fn verify_json_contract_for_an_accepted_response() {
    let env = Env::new().with_fixture_connection();
    let (code, v) = verify(&env, &response_path("okta_valid"), &[]);
    assert_eq!(code, 0);
    assert_eq!(v["verdict"], "accepted");
    assert_eq!(v["name_id"], "ada@acme.example");
    assert_eq!(v["attributes"]["groups"], serde_json::json!(["Everyone", "Engineering", "SSO-Admins"]));
    assert!(v["error"].is_null());
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 13);
    for c in checks {
        for field in ["id", "status", "expected", "actual"] {
            assert!(c.get(field).is_some(), "check lacks {field}: {c}");
        }
    }
}

#[test]
fn verify_decrypts_with_the_key_from_the_secret_store() {
    let env = Env::new().with_fixture_connection();
    let (code, v) = verify(&env, &response_path("encrypted_gcm_oaep_sha1"), &[]);
    assert_eq!((code, v["verdict"].as_str()), (0, Some("accepted")), "{v}");
}

#[test]
fn verify_rejection_names_the_failed_check_and_exits_1() {
    let env = Env::new().with_fixture_connection();
    let (code, v) = verify(&env, &response_path("wrong_audience"), &[]);
    assert_eq!(code, 1);
    assert_eq!(v["verdict"], "rejected");
    assert_eq!(v["error"]["check"], "audience");
    let (code, v) = verify(&env, &response_path("solicited_valid"), &["--in-response-to", generator::REQUEST_ID]);
    assert_eq!((code, v["verdict"].as_str()), (0, Some("accepted")));
}

#[test]
fn garbage_input_is_rejected_never_a_crash() {
    let env = Env::new().with_fixture_connection();
    let dir = env.dir.path().to_owned();
    let cases: [(&str, &[u8]); 5] = [
        ("empty", b""),
        ("text", b"hello, this is not base64!"),
        ("binary", &[0u8, 159, 146, 150, 255, 254, 10, 13]),
        ("base64-of-binary", b"AAECAwQF//79"),
        ("xml-garbage", b"<<<>>>"),
    ];
    for (name, bytes) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let (code, v) = verify(&env, path.to_str().unwrap(), &[]);
        assert_eq!(code, 1, "{name}");
        assert_eq!(v["verdict"], "rejected", "{name}");
        assert!(!v["error"]["message"].as_str().unwrap().is_empty(), "{name}");
    }
}

#[test]
fn decoded_xml_from_a_saml_tracer_is_accepted_too() {
    let env = Env::new().with_fixture_connection();
    let b64 = std::fs::read_to_string(response_path("okta_valid")).unwrap();
    let xml = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64.trim()).unwrap();
    let path = env.dir.path().join("tracer.xml");
    std::fs::write(&path, xml).unwrap();
    let (code, _) = verify(&env, path.to_str().unwrap(), &[]);
    assert_eq!(code, 0);
}

fn tree_snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(tree_snapshot(&p));
        } else {
            out.push((p.clone(), std::fs::read(&p).unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn verify_has_no_side_effects() {
    let env = Env::new().with_fixture_connection();
    // Checkpoint the WAL so the snapshot is of settled files.
    let show_before = json(&env.run(&["connection", "show", "fx", "--json"]));
    let before = tree_snapshot(env.dir.path());
    for name in ["okta_valid", "encrypted_gcm_oaep_sha1", "wrong_key"] {
        verify(&env, &response_path(name), &[]);
    }
    let after = tree_snapshot(env.dir.path());
    assert_eq!(before.iter().map(|(p, _)| p).collect::<Vec<_>>(), after.iter().map(|(p, _)| p).collect::<Vec<_>>());
    let db_bytes = |files: &[(PathBuf, Vec<u8>)]| {
        files.iter().filter(|(p, _)| p.ends_with("catalog.db")).map(|(_, b)| b.clone()).collect::<Vec<_>>()
    };
    assert_eq!(db_bytes(&before), db_bytes(&after));
    assert_eq!(show_before, json(&env.run(&["connection", "show", "fx", "--json"])));
}

#[test]
fn usage_and_configuration_errors_exit_2() {
    let env = Env::new().with_fixture_connection();
    let out = env.run(&["verify", "--connection", "nope", "--response", &response_path("okta_valid"), "--at", AT]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not_found"));
    let out =
        env.run(&["verify", "--connection", "fx", "--response", &response_path("okta_valid"), "--at", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(env.run(&["connection", "frobnicate"]).status.code(), Some(2));
    let out = env.run(&["--secret-store", "vault:x", "connection", "list"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn sp_metadata_lists_entity_acs_certificate_and_real_algorithms() {
    let env = Env::new().with_fixture_connection();
    let out = env.run(&["connection", "sp-metadata", "--name", "fx"]);
    assert!(out.status.success());
    let xml = String::from_utf8(out.stdout).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.attribute("entityID"), Some(generator::SP_ENTITY_ID));
    let acs = doc.descendants().find(|n| n.has_tag_name("AssertionConsumerService")).unwrap();
    assert_eq!(acs.attribute("Location"), Some(generator::ACS_URL));
    assert_eq!(acs.attribute("Binding"), Some("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"));
    let uses: Vec<_> =
        doc.descendants().filter(|n| n.has_tag_name("KeyDescriptor")).map(|n| n.attribute("use").unwrap()).collect();
    assert_eq!(uses, vec!["encryption"]);
    let sp_cert = std::fs::read(fixtures_dir().join("keys").join("sp.crt")).unwrap();
    let sp_cert = handshake::certs::Certificate::from_pem(&sp_cert).unwrap();
    let x509 = doc.descendants().find(|n| n.has_tag_name("X509Certificate")).unwrap();
    assert_eq!(x509.text(), Some(sp_cert.der_base64.as_str()));
    let algs: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("EncryptionMethod"))
        .map(|n| n.attribute("Algorithm").unwrap().to_owned())
        .collect();
    assert!(algs.iter().all(|a| !a.contains("rsa-1_5")));
    assert!(algs.iter().any(|a| a.ends_with("aes256-gcm")));
}

#[test]
fn derived_sp_urls_follow_the_port() {
    let env = Env::new();
    let metadata = fixtures_dir().join("idp").join("metadata.xml");
    let out = env
        .cmd(&["connection", "import", "--name", "derived", "--metadata", metadata.to_str().unwrap(), "--json"])
        .env("HANDSHAKE_PORT", "7788")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(json(&out)["connection"]["sp"]["acs_url"], "http://127.0.0.1:7788/saml/derived/acs");
    let v = json(&env.run(&["--port", "7799", "connection", "show", "derived", "--json"]));
    assert_eq!(v["sp"]["entity_id"], "http://127.0.0.1:7799/saml/derived/metadata");
    assert_eq!(v["sp"]["entity_id_explicit"], false);
}

#[test]
fn metadata_from_stdin_and_aggregate_selection() {
    let env = Env::new();
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/idp-metadata");
    let mut child = env
        .cmd(&["connection", "import", "--name", "okta", "--metadata", "-", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        child.stdin.as_mut().unwrap(),
        &std::fs::read(shared.join("01_okta_ssoready.xml")).unwrap(),
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(json(&out)["connection"]["metadata_source"], "stdin");

    let agg = shared.join("24_agg_switch_aaitest_signed_sha1.xml");
    let out = env.run(&["connection", "import", "--name", "switch", "--metadata", agg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("choose one by entityID"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = env.run(&[
        "connection",
        "import",
        "--name",
        "switch",
        "--metadata",
        agg.to_str().unwrap(),
        "--entity-id",
        "https://testidp.unifr.ch/idp/shibboleth",
        "--json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json(&out)["connection"]["idp_entity_id"], "https://testidp.unifr.ch/idp/shibboleth");
}

#[test]
fn remove_deletes_the_connection_and_its_key() {
    let env = Env::new().with_fixture_connection();
    let key_files = || std::fs::read_dir(env.secrets()).unwrap().count();
    assert_eq!(key_files(), 1);
    let out = env.run(&["connection", "remove", "fx"]);
    assert!(out.status.success());
    assert_eq!(key_files(), 0);
    assert_eq!(json(&env.run(&["connection", "list", "--json"])), serde_json::json!([]));
    assert_eq!(env.run(&["connection", "show", "fx"]).status.code(), Some(2));
}

#[test]
fn no_private_key_material_reaches_sqlite_or_output() {
    let env = Env::new().with_fixture_connection();
    let out = env.run(&["connection", "show", "fx", "--json"]);
    let mut everything = out.stdout.clone();
    for (_, bytes) in tree_snapshot(env.dir.path()).iter().filter(|(p, _)| !p.starts_with(env.secrets())) {
        everything.extend_from_slice(bytes);
    }
    let haystack = String::from_utf8_lossy(&everything);
    assert!(!haystack.contains("PRIVATE KEY"));
    let key_pem = std::fs::read_to_string(fixtures_dir().join("keys").join("sp.key")).unwrap();
    let key_body: String = key_pem.lines().nth(3).unwrap().to_owned();
    assert!(!haystack.contains(&key_body));
}

#[test]
fn keyring_without_a_session_fails_with_a_fix_not_a_fallback() {
    let env = Env::new();
    let metadata = fixtures_dir().join("idp").join("metadata.xml");
    let out = Command::new(env!("CARGO_BIN_EXE_handshake"))
        .args([
            "--db",
            env.db().to_str().unwrap(),
            "--secret-store",
            "keyring",
            "connection",
            "import",
            "--name",
            "k",
            "--metadata",
            metadata.to_str().unwrap(),
        ])
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/handshake-test-bus")
        .env("HANDSHAKE_KEYRING_TIMEOUT_SECS", "10")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("secret_store_unavailable") && stderr.contains("file:DIR"), "{stderr}");
    // Nothing half-done: the connection was not saved without its key.
    let list = env.run(&["connection", "list", "--json"]);
    assert_eq!(json(&list), serde_json::json!([]));
}

#[test]
fn bench_reports_a_rate() {
    let env = Env::new().with_fixture_connection();
    let out = env.run(&[
        "bench",
        "--connection",
        "fx",
        "--response",
        &response_path("okta_valid"),
        "--at",
        AT,
        "--iterations",
        "5",
        "--json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out);
    assert_eq!(v["iterations"], 5);
    assert!(v["validations_per_sec"].as_f64().unwrap() > 0.0);
    let out = env.run(&[
        "bench",
        "--connection",
        "fx",
        "--response",
        &response_path("wrong_key"),
        "--at",
        AT,
        "--iterations",
        "5",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn sp_metadata_offers_a_signing_key_when_the_idp_wants_signed_requests() {
    let env = Env::new();
    let keycloak =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/idp-metadata/14_keycloak_ssoready.xml");
    assert!(
        env.run(&["connection", "import", "--name", "kc", "--metadata", keycloak.to_str().unwrap()]).status.success()
    );
    let out = env.run(&["connection", "sp-metadata", "--name", "kc"]);
    let xml = String::from_utf8(out.stdout).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let uses: Vec<_> =
        doc.descendants().filter(|n| n.has_tag_name("KeyDescriptor")).map(|n| n.attribute("use").unwrap()).collect();
    assert_eq!(uses, vec!["signing", "encryption"]);
    let sp = doc.descendants().find(|n| n.has_tag_name("SPSSODescriptor")).unwrap();
    assert_eq!(sp.attribute("AuthnRequestsSigned"), Some("true"));
}

#[test]
fn metadata_from_a_url() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let body = std::fs::read(fixtures_dir().join("idp").join("metadata.xml")).unwrap();
    let server = std::thread::spawn(move || {
        // One request, then done: bounded by construction.
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf).unwrap();
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/samlmetadata+xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&body).unwrap();
    });
    let env = Env::new();
    let url = format!("http://127.0.0.1:{port}/federationmetadata.xml");
    let out = env.run(&["connection", "import", "--name", "web", "--metadata", &url, "--json"]);
    server.join().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out);
    assert_eq!(v["connection"]["metadata_source"], url);
    assert_eq!(v["connection"]["idp_entity_id"], generator::IDP_ENTITY_ID);
}

// ---- provisioning commands ----

#[test]
fn mapping_preset_show_set_round_trip() {
    let env = Env::new().with_fixture_connection();
    let out = env.run(&["mapping", "preset", "--connection", "fx", "--preset", "entra"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let shown = env.run(&["mapping", "show", "--connection", "fx", "--json"]);
    let doc = json(&shown);
    assert_eq!(doc["subject"]["name"], "http://schemas.microsoft.com/identity/claims/objectidentifier");
    // `show --json` prints the document `set` takes.
    let path = env.dir.path().join("mapping.json");
    std::fs::write(&path, &shown.stdout).unwrap();
    assert!(env.run(&["mapping", "set", "--connection", "fx", "--file", path.to_str().unwrap()]).status.success());
    assert_eq!(json(&env.run(&["mapping", "show", "--connection", "fx", "--json"])), doc);
    std::fs::write(&path, r#"{"fields":[{"target":"email","source":{"type":"telepathy"}}]}"#).unwrap();
    let out = env.run(&["mapping", "set", "--connection", "fx", "--file", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("telepathy"));
    assert_eq!(env.run(&["mapping", "preset", "--connection", "fx", "--preset", "nope"]).status.code(), Some(2));
}

#[test]
fn provision_dry_run_then_real_then_replay() {
    let env = Env::new().with_fixture_connection();
    let resp = response_path("okta_valid");
    let run = |extra: &[&str]| {
        let mut args = vec!["provision", "--connection", "fx", "--response", resp.as_str(), "--at", AT, "--json"];
        args.extend_from_slice(extra);
        let out = env.run(&args);
        (out.status.code().unwrap(), json(&out))
    };
    let (code, dry) = run(&["--dry-run"]);
    assert_eq!((code, dry["outcome"].as_str(), dry["dry_run"].as_bool()), (0, Some("created"), Some(true)));
    assert_eq!(json(&env.run(&["users", "list", "--json"])), serde_json::json!([]));
    let (code, real) = run(&[]);
    assert_eq!((code, real["outcome"].as_str()), (0, Some("created")));
    assert_eq!(real["user"]["email"], "ada@acme.example");
    assert_eq!(real["diff"], dry["diff"]);
    assert!(real["trace"]["fields"].as_array().unwrap().iter().any(|f| f["target"] == "email" && f["matched"] == true));
    let (code, replay) = run(&[]);
    assert_eq!(code, 1);
    assert_eq!(replay["outcome"], "rejected");
    assert!(replay["failed_check"].as_str().unwrap().contains("replay"));
    let (code, rejected) = {
        let out = env.run(&[
            "provision",
            "--connection",
            "fx",
            "--response",
            &response_path("wrong_audience"),
            "--at",
            AT,
            "--json",
        ]);
        (out.status.code().unwrap(), json(&out))
    };
    assert_eq!(
        (code, rejected["outcome"].as_str(), rejected["failed_check"].as_str()),
        (1, Some("rejected"), Some("audience"))
    );

    let audit = env.run(&["audit", "list", "--format", "json", "--kind", "login"]);
    let lines: Vec<Value> =
        String::from_utf8(audit.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let outcomes: Vec<&str> = lines.iter().map(|l| l["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, vec!["created", "rejected", "rejected"]);
    assert_eq!(lines[1]["failed_check"], "replay");
    assert_eq!(lines[2]["failed_check"], "audience");
    assert!(lines[0]["failed_check"].is_null());
    let args = ["audit", "list", "--connection", "fx", "--format", "csv", "--kind", "login"];
    let csv = String::from_utf8(env.run(&args).stdout).unwrap();
    assert_eq!(csv.lines().count(), 4);
    // Without the kind: the import and the SP key replaced are admin rows, at the end of the contract's columns.
    let all = String::from_utf8(env.run(&["audit", "list", "--connection", "fx", "--format", "csv"]).stdout).unwrap();
    assert_eq!(all.lines().filter(|l| l.contains(",\"admin\",")).count(), 2, "{all}");
    let none = env.run(&["audit", "list", "--since", "2030-01-01T00:00:00Z"]);
    assert!(none.stdout.is_empty());
}

#[test]
fn users_list_show_deactivate_activate_delete() {
    let env = Env::new().with_fixture_connection();
    let out =
        env.run(&["provision", "--connection", "fx", "--response", &response_path("okta_valid"), "--at", AT, "--json"]);
    let id = json(&out)["user"]["id"].as_i64().unwrap().to_string();
    let list = json(&env.run(&["users", "list", "--connection", "fx", "--json"]));
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(json(&env.run(&["users", "show", &id, "--json"]))["login_count"], 1);
    assert_eq!(json(&env.run(&["users", "deactivate", &id, "--json"]))["status"], "deactivated");
    assert_eq!(json(&env.run(&["users", "activate", &id, "--json"]))["status"], "active");
    assert!(env.run(&["users", "delete", &id]).status.success());
    assert_eq!(env.run(&["users", "show", &id]).status.code(), Some(2));
    assert_eq!(env.run(&["users", "list", "--connection", "nope"]).status.code(), Some(2));
}

#[test]
fn set_policy_changes_only_the_flags_given_and_show_json_prints_the_policy() {
    let env = Env::new().with_fixture_connection();
    let out = env.run(&[
        "connection",
        "set-policy",
        "--name",
        "fx",
        "--allow-sha1",
        "true",
        "--clock-skew-seconds",
        "30",
        "--signature",
        "both",
        "--allow-idp-initiated",
        "false",
        "--allow-missing-destination",
        "on",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let shown = json(&env.run(&["connection", "show", "fx", "--json"]));
    let policy = &shown["policy"];
    assert_eq!(policy["allow_sha1"], true);
    assert_eq!(policy["clock_skew_seconds"], 30);
    assert_eq!(policy["signature"], "both");
    assert_eq!(policy["allow_idp_initiated"], false);
    assert_eq!(policy["allow_missing_destination"], true);
    assert_eq!(policy["require_encrypted_assertion"], false, "untouched flags keep their value");
    let out = env.run(&["connection", "set-policy", "--name", "fx", "--require-encrypted-assertion", "yes", "--json"]);
    assert!(out.status.success());
    assert_eq!(json(&out)["require_encrypted_assertion"], true);
    assert_eq!(json(&out)["signature"], "both");
    // An IdP-initiated fixture is now refused by the policy.
    let verify = env.run(&["verify", "--connection", "fx", "--response", &response_path("okta_valid"), "--at", AT]);
    assert_eq!(verify.status.code(), Some(1));

    let too_much = env.run(&["connection", "set-policy", "--name", "fx", "--clock-skew-seconds", "86400"]);
    assert_eq!(too_much.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&too_much.stderr).contains("at most 600"));
    let bad = env.run(&["connection", "set-policy", "--name", "fx", "--signature", "maybe"]);
    assert_eq!(bad.status.code(), Some(2));
    let missing = env.run(&["connection", "set-policy", "--name", "nope", "--allow-sha1", "false"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("not_found"));
}

#[test]
fn regression_a_closed_pipe_ends_the_cli_quietly() {
    let env = Env::new().with_fixture_connection();
    // More than a pipe buffer of output: a few hundred users.
    {
        let wb = crate::provisioning::open_workbench(&env.db());
        let key = crate::provisioning::idp_key();
        for n in 0..400 {
            let email = format!("user{n}@example.com");
            let attributes = vec![handshake::idp::AttributeSpec::new("email", &[email.as_str()])];
            let response = generator::numbered_login(&key, n, &email, attributes);
            let r = wb.provision("fx", &response, generator::judged_at(), None, false).unwrap();
            assert!(r.outcome.signed_in(), "{:?}", r.message());
        }
    }
    let mut child =
        env.cmd(&["users", "list", "--json"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take()); // the reader goes away, as `| head` does
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

/// The CLI and the app read HANDSHAKE_* through one reader (handshake::options); the CLI used
/// to blame a `--port` flag nobody had passed for a bad HANDSHAKE_PORT.
#[test]
fn regression_a_bad_environment_value_is_named_as_the_variable() {
    let env = Env::new();
    let out = env.cmd(&["connection", "list"]).env("HANDSHAKE_PORT", "abc").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr, "error [invalid_input]: HANDSHAKE_PORT=\"abc\" is not a port number (0 to 65535)\n");
    // A flag wins over the variable, as it always did.
    let out = env.cmd(&["--port", "7790", "connection", "list"]).env("HANDSHAKE_PORT", "abc").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Core messages name concepts; the CLI adds its own commands and flags, by error code, once.
#[test]
fn errors_end_with_the_cli_hint_once() {
    let env = Env::new().with_fixture_connection();
    let out = env.run(&["connection", "show", "nope"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.trim_end().ends_with("(hint: run `handshake connection list` to see the connections)"), "{stderr}");
    assert_eq!(stderr.matches("handshake connection list").count(), 1, "{stderr}");
    let out = env.run(&["users", "show", "42"]);
    assert_eq!(String::from_utf8_lossy(&out.stderr).matches("run `handshake users list`").count(), 1);
    let junk = env.dir.path().join("junk.db");
    std::fs::write(&junk, "not a catalog").unwrap();
    let out = env.cmd(&["connection", "list"]).arg("--db").arg(&junk).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.trim_end().ends_with("(hint: pass another file with --db or HANDSHAKE_DB)"), "{stderr}");
}

/// `connection import` is the app's import: the detected vendor's mapping preset is applied.
#[test]
fn import_applies_the_detected_vendors_preset_as_the_app_does() {
    let env = Env::new();
    let entra = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/idp-metadata/03_entra_ssoready_signed_bom.xml");
    let out = env.run(&["connection", "import", "--name", "corp", "--metadata", entra.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let imported = json(&out);
    assert_eq!(
        (imported["vendor"]["id"].as_str(), imported["vendor"]["preset"].as_bool()),
        (Some("entra"), Some(true))
    );
    let mapping = json(&env.run(&["mapping", "show", "--connection", "corp", "--json"]));
    let preset = serde_json::to_value(handshake::provision::presets::preset("entra").unwrap()).unwrap();
    assert_eq!(mapping, preset, "the Entra preset is the connection's mapping");
    let text = env.run(&["connection", "import", "--name", "corp2", "--metadata", entra.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("Detected Microsoft Entra ID"));
}

/// `verify` of a production capture by a connection with the workbench's own SP values:
/// `--as-addressed --at response` judges it as production's SP at its own time.
#[test]
fn verify_judges_a_capture_as_addressed_at_its_own_time() {
    let env = Env::new();
    let metadata = fixtures_dir().join("idp").join("metadata.xml");
    let out = env.run(&["connection", "import", "--name", "local", "--metadata", metadata.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let file = response_path("capture_production");
    let base = ["verify", "--connection", "local", "--response", file.as_str()];

    let mut args = base.to_vec();
    args.extend(["--as-addressed", "--at", "response", "--json"]);
    let out = env.run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let v = json(&out);
    assert_eq!(v["verdict"], "accepted");
    assert_eq!(v["judged"]["as_addressed"], true);
    assert_eq!(v["judged"]["entity_id"]["value"], generator::SP_ENTITY_ID);
    assert_eq!(v["judged"]["entity_id"]["source"], "response");
    assert_eq!(v["judged"]["at"]["value"], "2026-01-15T10:00:00Z");
    assert_eq!(v["outcome"], "created", "a dry run predicts the account");
    assert_eq!(v["in_response_to"], generator::REQUEST_ID);

    // Judged as the connection, now: rejected, with fixes that fit a capture.
    let mut args = base.to_vec();
    args.extend(["--capture"]);
    let out = env.run(&args);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Judged as this connection's SP"), "{text}");
    assert!(text.contains(&format!("This capture was addressed to {}", generator::ACS_URL)), "{text}");
    assert!(text.contains("Judge it at the response's own time"), "{text}");
    assert!(text.contains("dry run: nothing written"), "{text}");

    // Nothing was written.
    let users = json(&env.run(&["users", "list", "--json"]));
    assert_eq!(users.as_array().unwrap().len(), 0);

    // --at response is verify's alone; --sp-entity-id needs --as-addressed.
    let out = env.run(&["provision", "--connection", "local", "--response", file.as_str(), "--at", "response"]);
    assert_eq!(out.status.code(), Some(2));
    let out = env.run(&["verify", "--connection", "local", "--response", file.as_str(), "--sp-entity-id", "x"]);
    assert_eq!(out.status.code(), Some(2));
    // A response without a readable IssueInstant: the error names the flag to use instead.
    let bare = env.dir.path().join("bare.xml");
    std::fs::write(
        &bare,
        r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_x" Version="2.0"/>"#,
    )
    .unwrap();
    let out = env.run(&["verify", "--connection", "local", "--response", bare.to_str().unwrap(), "--at", "response"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no IssueInstant") && err.contains("pass --at with an RFC 3339 instant"), "{err}");
    // The help documents the flags.
    let help = String::from_utf8_lossy(&env.run(&["verify", "--help"]).stdout).into_owned();
    for flag in ["--as-addressed", "--capture", "--sp-entity-id", "--acs-url", "at response"] {
        assert!(help.contains(flag), "{flag}: {help}");
    }
}
