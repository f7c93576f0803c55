//! Writes what the desktop API (`handshake::desktop::Desktop`) returns for the screens'
//! main flows as JSON, for the UI's browser tests (their fake backend answers with these):
//! `cargo run --example ui-snapshots` rewrites ui/src/lib/testdata/*.json (and the XML the
//! tests paste); `-- --check` only compares, and fails if a snapshot is stale.
//!
//! Deterministic: a fixed clock (the fixtures' judging instant), the fixture keys (IdP
//! signing key, SP key pair), a temporary catalog. The only run-dependent parts, the
//! embedded SP's port and the temporary paths, are replaced by 7777 and a usual path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

#[path = "../tests/fixtures/generator.rs"]
#[allow(dead_code)] // helpers the tests and benchmarks use
mod generator;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use handshake::clock::FixedClock;
use handshake::desktop::{Desktop, ScimTokenIssued};
use handshake::directory::{AuditQuery, UserQuery};
use handshake::idp::AttributeSpec;
use handshake::provision::{FieldRule, Source, UserStatus};
use handshake::secrets::SecretStoreKind;
use handshake::sensitive::Sensitive;
use handshake::workbench::{ImportRequest, JudgeAs, JudgeAt, JudgingContext, OpenOptions, Workbench};
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::x509::{X509, X509NameBuilder};

const PORT: &str = "7777";
const DATA_DIR: &str = "/home/ada/.local/share/handshake";

struct Out {
    dir: PathBuf,
    /// (run-dependent text, its stable stand-in)
    replace: Vec<(String, String)>,
    written: usize,
    /// Compare instead of writing; the names of the files that differ.
    check: bool,
    stale: Vec<String>,
}

/// The SCIM user's id in the snapshots (the server picks a random one).
const SCIM_USER_ID: &str = "5f1c2a7e-0000-4000-8000-000000000001";

/// The audit rows with the fingerprints of the SP certificates generated at import (a new
/// key pair each run) named as such, so the snapshot is the same on every run.
fn stable_audit(mut entries: Vec<handshake::directory::AuditEntry>) -> Vec<handshake::directory::AuditEntry> {
    use handshake::directory::AdminAction;
    let generated = serde_json::Value::from("SHA-256 (generated at import)");
    for e in &mut entries {
        for change in e.diff.iter_mut().filter(|c| c.field == "sp.certificate") {
            match e.action {
                Some(AdminAction::ConnectionImport) => change.after = generated.clone(),
                Some(AdminAction::SpKeyReplace) => change.before = generated.clone(),
                _ => {}
            }
        }
    }
    entries
}

impl Out {
    fn write(&mut self, name: &str, value: &impl serde::Serialize) {
        let mut text = serde_json::to_string_pretty(value).unwrap();
        for (from, to) in &self.replace {
            text = text.replace(from.as_str(), to);
        }
        self.file(&format!("{name}.json"), &(text + "\n"));
    }

    fn file(&mut self, file: &str, content: &str) {
        let path = self.dir.join(file);
        if self.check {
            if std::fs::read_to_string(&path).ok().as_deref() != Some(content) {
                self.stale.push(file.to_owned());
            }
        } else {
            std::fs::write(path, content).unwrap();
        }
        self.written += 1;
    }
}

/// A certificate for the fixture IdP key with the given validity (deterministic: RSA
/// PKCS#1 v1.5 signatures are), as the base64 DER metadata carries.
fn idp_cert(root: &Path, cn: &str, not_before: &str, not_after: &str) -> String {
    let key = PKey::private_key_from_pem(&std::fs::read(root.join("keys").join("idp.key")).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_nid(Nid::COMMONNAME, cn).unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&BigNum::from_u32(7).unwrap().to_asn1_integer().unwrap()).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::from_str(not_before).unwrap()).unwrap();
    b.set_not_after(&Asn1Time::from_str(not_after).unwrap()).unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b.build().to_der().unwrap())
}

/// The fixture metadata as another IdP: its entityID and SSO URL, its first signing
/// certificate replaced by `cert`.
fn variant(fixture: &str, entity_id: &str, sso: &str, cert: Option<&str>) -> String {
    let mut xml =
        fixture.replace(generator::IDP_ENTITY_ID, entity_id).replace("https://idp.handshake.test/saml/sso", sso);
    if let Some(cert) = cert {
        let start = xml.find("<ds:X509Certificate>").unwrap() + "<ds:X509Certificate>".len();
        let end = start + xml[start..].find("</ds:X509Certificate>").unwrap();
        xml.replace_range(start..end, cert);
    }
    xml
}

fn without_declaration(xml: &str) -> &str {
    xml.trim_start().strip_prefix("<?xml").map_or(xml, |rest| &rest[rest.find("?>").unwrap() + 2..])
}

fn request(name: &str, metadata_xml: String, source: &str) -> ImportRequest {
    ImportRequest {
        name: name.into(),
        metadata_xml,
        source: source.into(),
        entity_id: None,
        sp_entity_id: Some(generator::SP_ENTITY_ID.into()),
        acs_url: Some(generator::ACS_URL.into()),
    }
}

fn login(key: &handshake::idp::SigningKey, n: usize, email: &str, given: &str, family: &str, dept: &str) -> String {
    generator::numbered_login(
        key,
        n,
        email,
        vec![
            AttributeSpec::new("email", &[email]),
            AttributeSpec::new("firstName", &[given]),
            AttributeSpec::new("lastName", &[family]),
            AttributeSpec::new("department", &[dept]),
            AttributeSpec::new("groups", &["engineering", "admins"]),
        ],
    )
}

#[tokio::main]
async fn main() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.join("tests").join("fixtures");
    let tmp = tempfile::tempdir().unwrap();
    let options = OpenOptions {
        db: Some(tmp.path().join("handshake.db")),
        secret_store: SecretStoreKind::File(tmp.path().join("secrets")),
        port: 0,
        actor: "ada".into(),
    };
    let now = generator::judged_at();
    let desktop = Desktop::open(&options, Arc::new(FixedClock(now))).unwrap();
    let status = desktop.start_server(0).await;
    assert!(status.running, "{status:?}");
    let port = status.port.to_string();
    let out_dir = manifest.join("ui").join("src").join("lib").join("testdata");
    std::fs::create_dir_all(&out_dir).unwrap();
    let mut out = Out {
        dir: out_dir,
        replace: vec![
            (format!("127.0.0.1:{port}"), format!("127.0.0.1:{PORT}")),
            (format!("\"port\": {port}"), format!("\"port\": {PORT}")),
            (format!("port {port}"), format!("port {PORT}")),
            (tmp.path().display().to_string(), DATA_DIR.into()),
        ],
        written: 0,
        check: std::env::args().any(|a| a == "--check"),
        stale: Vec::new(),
    };
    out.write("app_status", &desktop.status());

    // Another app on the same port, and one whose secret store cannot be opened.
    let broken = OpenOptions {
        db: Some(tmp.path().join("other.db")),
        // A directory inside a file: the file store cannot be created.
        secret_store: SecretStoreKind::File(tmp.path().join("handshake.db").join("secrets")),
        port: 0,
        actor: "ada".into(),
    };
    let other = Desktop::open(&broken, Arc::new(FixedClock(now))).unwrap();
    other.start_server(status.port).await;
    out.write("app_status_port_in_use_secret_store_error", &other.status());
    other.stop_server().await;
    let free = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let free_port = free.local_addr().unwrap().port();
    drop(free);
    let restarted = other.start_server(free_port).await;
    out.replace.push((format!("127.0.0.1:{free_port}"), "127.0.0.1:7778".into()));
    out.replace.push((format!("\"port\": {free_port}"), "\"port\": 7778".into()));
    out.write("server_status_started", &restarted);
    other.stop_server().await;

    // ---- metadata: single (expired and soon-expiring certificates), aggregate, not XML ----
    let fixture = std::fs::read_to_string(root.join("idp").join("metadata.xml")).unwrap();
    let expired_cert = idp_cert(&root, "ADFS Signing - adfs.contoso.com", "20230101000000Z", "20251201000000Z");
    let soon_cert = idp_cert(&root, "Okta exk1legacy", "20240201000000Z", "20260201000000Z");
    let adfs = variant(
        &fixture,
        "http://adfs.contoso.com/adfs/services/trust",
        "https://adfs.contoso.com/adfs/ls/",
        Some(&expired_cert),
    );
    let okta = variant(
        &fixture,
        "http://www.okta.com/exk1legacy",
        "https://legacy.okta.com/app/exk1legacy/sso/saml",
        Some(&soon_cert),
    );
    out.file("adfs_metadata.xml", &adfs);
    out.write("preview_expired", &desktop.preview_metadata(adfs.clone(), None).await.unwrap());

    let university = variant(
        &fixture,
        "https://idp.university.example/idp/shibboleth",
        "https://idp.university.example/idp/profile/SAML2/Redirect/SSO",
        None,
    )
    .replacen(
        "protocol\">",
        r#"protocol"><md:Extensions><mdui:UIInfo xmlns:mdui="urn:oasis:names:tc:SAML:metadata:ui"><mdui:DisplayName xml:lang="en">Example University</mdui:DisplayName></mdui:UIInfo></md:Extensions>"#,
        1,
    );
    let saml1 = variant(
        &fixture,
        "https://old.college.example/shibboleth",
        "https://old.college.example/shibboleth-idp/SSO",
        None,
    )
    .replace("urn:oasis:names:tc:SAML:2.0:protocol", "urn:oasis:names:tc:SAML:1.1:protocol urn:mace:shibboleth:1.0")
    .replace("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect", "urn:mace:shibboleth:1.0:profiles:AuthnRequest")
    .replace("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST", "urn:mace:shibboleth:1.0:profiles:AuthnRequest");
    let aggregate = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<md:EntitiesDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" Name=\"https://federation.example.org/metadata\">\n{}\n{}\n{}\n</md:EntitiesDescriptor>\n",
        without_declaration(&fixture).replace(" xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\"", ""),
        without_declaration(&university).replace(" xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\"", ""),
        without_declaration(&saml1).replace(" xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\"", ""),
    );
    out.file("aggregate_metadata.xml", &aggregate);
    out.write("preview_aggregate", &desktop.preview_metadata(aggregate.clone(), None).await.unwrap());
    out.write(
        "preview_aggregate_chosen",
        &desktop
            .preview_metadata(aggregate, Some("https://idp.university.example/idp/shibboleth".into()))
            .await
            .unwrap(),
    );
    let not_xml = desktop.preview_metadata("Sign-on URL: https://idp.example.com/sso".into(), None).await;
    out.write("error_invalid_metadata", &not_xml.unwrap_err());

    // A fetch refused (nothing listens on port 1), and one that never ends, cancelled.
    let refused = desktop.fetch_metadata("http://127.0.0.1:1/metadata".into(), "op-0".into()).await;
    out.write("error_network", &refused.unwrap_err());
    // A fetch that never ends, cancelled.
    let hang = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/metadata", hang.local_addr().unwrap());
    let desktop = Arc::new(desktop);
    let d = desktop.clone();
    let fetch = tokio::spawn(async move { d.fetch_metadata(url, "op-1".into()).await });
    while !desktop.cancel("op-1") {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    out.write("error_cancelled", &fetch.await.unwrap().unwrap_err());
    drop(hang);

    // ---- the catalog: four connections, every status and expiry level ----
    desktop.import_connection(generator::fixture_connection("acme")).await.unwrap();
    desktop.import_connection(generator::fixture_connection("acme-staging")).await.unwrap();
    desktop
        .import_connection(request("okta-legacy", okta, "https://legacy.okta.com/app/exk1legacy/sso/saml/metadata"))
        .await
        .unwrap();
    let mut imported =
        desktop.import_connection(request("adfs-contoso", adfs, "FederationMetadata.xml")).await.unwrap();
    // The fixture SP key pair instead of fresh random ones.
    let wb = Workbench::open(&options).unwrap();
    let sp_key = std::fs::read(root.join("keys").join("sp.key")).unwrap();
    let sp_cert = std::fs::read(root.join("keys").join("sp.crt")).unwrap();
    for name in ["acme", "acme-staging", "okta-legacy", "adfs-contoso"] {
        wb.set_sp_key(name, Sensitive::new(sp_key.clone()), &sp_cert, now).unwrap();
    }
    imported.connection = desktop.connection("adfs-contoso".into()).await.unwrap();
    out.write("import_outcome", &imported);
    out.write("connection_adfs_contoso", &imported.connection);

    // ---- test logins at the real ACS ----
    let keys = generator::keys(&root);
    let mut events = desktop.subscribe();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut summaries = Vec::new();
    let posts = [
        ("acme", login(&keys.idp, 1, "ada@example.com", "Ada", "Lovelace", "Research")),
        ("acme", login(&keys.idp, 2, "grace@example.com", "Grace", "Hopper", "Navy")),
        ("acme", login(&keys.idp, 3, "ada@example.com", "Ada", "King", "Engineering")),
        ("acme-staging", std::fs::read_to_string(root.join("responses").join("wrong_audience.b64")).unwrap()),
    ];
    for (connection, response) in &posts {
        let body = format!(
            "SAMLResponse={}",
            url::form_urlencoded::byte_serialize(response.trim().as_bytes()).collect::<String>()
        );
        client
            .post(format!("{}/saml/{connection}/acs", status.base_url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        summaries.push(tokio::time::timeout(Duration::from_secs(10), events.recv()).await.unwrap().unwrap());
    }
    let created = &summaries[0];
    let updated = &summaries[2];
    let rejected = &summaries[3];
    out.write("test_login_event_created", created);
    out.write("test_login_event_updated", updated);
    out.write("test_login_event_rejected", rejected);
    out.write("test_login_created", &desktop.test_login(created.id).await.unwrap());
    out.write("test_login_updated", &desktop.test_login(updated.id).await.unwrap());
    out.write("test_login_rejected", &desktop.test_login(rejected.id).await.unwrap());
    out.write("test_logins_acme", &desktop.test_logins(Some("acme".into()), 20).await.unwrap());
    out.write("test_logins_acme_staging", &desktop.test_logins(Some("acme-staging".into()), 20).await.unwrap());

    out.write("connections", &desktop.list_connections().await.unwrap());
    for name in ["acme", "acme-staging", "okta-legacy"] {
        out.write(&format!("connection_{}", name.replace('-', "_")), &desktop.connection(name.into()).await.unwrap());
    }
    out.write("error_not_found", &desktop.connection("nope".into()).await.unwrap_err());

    // ---- mapping: the saved document, and an edit (a department field) previewed ----
    let mapping = desktop.mapping("acme".into()).await.unwrap();
    out.write("mapping_acme", &mapping);
    out.write("presets", &desktop.presets().await.unwrap());
    out.write("mapping_preview_acme", &desktop.preview_mapping("acme".into(), mapping.clone()).await.unwrap());
    let mut edited = mapping.clone();
    edited.fields.push(FieldRule::new("department", Source::attribute("department")));
    out.write(
        "mapping_preview_acme_department",
        &desktop.preview_mapping("acme".into(), edited.clone()).await.unwrap(),
    );
    out.write("mapping_preview_none", &desktop.preview_mapping("okta-legacy".into(), mapping.clone()).await.unwrap());
    out.write("set_mapping_acme_department", &desktop.set_mapping("acme".into(), edited).await.unwrap());
    desktop.set_mapping("acme".into(), mapping).await.unwrap();

    // ---- security policy ----
    let mut policy = desktop.connection("acme".into()).await.unwrap().policy;
    policy.require_encrypted_assertion = true;
    out.write("set_policy_acme_encrypted", &desktop.set_policy("acme".into(), policy.clone()).await.unwrap());
    policy.require_encrypted_assertion = false;
    desktop.set_policy("acme".into(), policy).await.unwrap();

    // ---- a pasted response (decoded XML), judged offline ----
    let xml = String::from_utf8(
        base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            login(&keys.idp, 4, "ada@example.com", "Ada", "Lovelace", "Sales"),
        )
        .unwrap(),
    )
    .unwrap();
    out.file("analyze_response.xml", &xml);
    out.write(
        "analyze_result",
        &desktop.analyze_response("acme".into(), xml.clone(), JudgingContext::default()).await.unwrap(),
    );
    out.write("response_addressing", &desktop.response_addressing(xml.clone()).await.unwrap());
    let as_addressed =
        JudgingContext { judge_as: JudgeAs::Addressed { entity_id: None, acs_url: None }, judge_at: JudgeAt::Response };
    out.write("analyze_result_addressed", &desktop.analyze_response("acme".into(), xml, as_addressed).await.unwrap());

    // ---- users and audit ----
    let users = desktop.users(UserQuery::default()).await.unwrap();
    out.write("users", &users);
    out.write(
        "users_search_grace",
        &desktop.users(UserQuery { connection: None, text: Some("grace".into()) }).await.unwrap(),
    );
    let ada = users.iter().find(|u| u.email.as_deref() == Some("ada@example.com")).unwrap().id;
    out.write("user_detail_ada", &desktop.user(ada).await.unwrap());
    let grace = users.iter().find(|u| u.email.as_deref() == Some("grace@example.com")).unwrap().id;
    out.write("user_detail_grace", &desktop.user(grace).await.unwrap());
    out.write("user_ada_deactivated", &desktop.set_user_status(ada, UserStatus::Deactivated).await.unwrap());
    desktop.set_user_status(ada, UserStatus::Active).await.unwrap();
    out.write("audit", &stable_audit(desktop.audit(AuditQuery::default()).await.unwrap()));
    out.write(
        "audit_rejected",
        &desktop
            .audit(AuditQuery { outcome: Some(handshake::login::Outcome::Rejected), ..Default::default() })
            .await
            .unwrap(),
    );

    // ---- SCIM (after the audit snapshots: turning it on is an admin row) ----
    out.write("scim_status_acme_off", &desktop.scim_status("acme".into()).await.unwrap());
    let enabled = desktop.scim_enable("acme".into(), None).await.unwrap();
    let token = enabled.token.expose().clone();
    // The app's shell copies the token to the clipboard; the window gets this.
    let mut issued = ScimTokenIssued::copy_with(enabled, |_| Ok(()));
    issued.token_hint = "…Tk4x".into(); // the token is random: a fixed hint keeps the snapshot stable
    out.write("scim_token_issued_acme", &issued);
    out.write("scim_status_acme_on", &desktop.scim_status("acme".into()).await.unwrap());
    // An IdP's SCIM client over HTTP: a create, Entra's legacy deactivation, a lookup.
    let scim = |method: reqwest::Method, path: &str, body: Option<serde_json::Value>| {
        let mut request = client
            .request(method, format!("{}/scim/acme/v2{path}", status.base_url))
            .bearer_auth(&token)
            .header("user-agent", "Microsoft.Azure.AD.Provisioning")
            .header("accept", "application/scim+json");
        if let Some(body) = body {
            request = request.header("content-type", "application/scim+json; charset=utf-8").body(body.to_string());
        }
        request.send()
    };
    let created: serde_json::Value = serde_json::from_str(
        &scim(
            reqwest::Method::POST,
            "/Users",
            Some(serde_json::json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "cleo@example.com",
                "externalId": "00u1cleo",
                "name": {"givenName": "Cleo", "familyName": "Park"},
                "emails": [{"value": "cleo@example.com", "type": "work", "primary": true}],
                "active": true,
                "password": "Hunter2!"
            })),
        )
        .await
        .unwrap()
        .text()
        .await
        .unwrap(),
    )
    .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    out.replace.push((id.clone(), SCIM_USER_ID.into()));
    let patched = scim(
        reqwest::Method::PATCH,
        &format!("/Users/{id}"),
        Some(serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "Replace", "path": "active", "value": "False"}]
        })),
    )
    .await
    .unwrap();
    assert_eq!(patched.status(), 200);
    scim(reqwest::Method::GET, "/Users?filter=userName%20eq%20%22cleo%40example.com%22", None).await.unwrap();
    let mut scim_log = desktop.scim_log("acme".into(), 50).await.unwrap();
    for r in &mut scim_log {
        r.duration_ms = 3; // timing varies run to run
    }
    assert!(!serde_json::to_string(&scim_log).unwrap().contains(&token), "the log never holds the token");
    out.write("scim_log_acme", &scim_log);
    out.write("scim_report_acme", &desktop.scim_report("acme".into()).await.unwrap());
    let cleo = desktop.users(UserQuery { connection: None, text: Some("cleo".into()) }).await.unwrap();
    out.write("users_scim_cleo", &cleo);

    // ---- duplicate, remove ----
    desktop.duplicate_connection("acme".into(), "acme-copy".into()).await.unwrap();
    wb.set_sp_key("acme-copy", Sensitive::new(sp_key.clone()), &sp_cert, now).unwrap();
    out.write("connection_acme_copy", &desktop.connection("acme-copy".into()).await.unwrap());
    out.write(
        "error_already_exists",
        &desktop.duplicate_connection("acme".into(), "acme-staging".into()).await.unwrap_err(),
    );
    out.write("remove_outcome", &desktop.remove_connection("acme-copy".into()).await.unwrap());

    desktop.stop_server().await;
    if !out.check {
        println!("wrote {} files to {}", out.written, out.dir.display());
    } else if out.stale.is_empty() {
        println!("{} files in {} are current", out.written, out.dir.display());
    } else {
        eprintln!("stale in {}: {} (run `cargo run --example ui-snapshots`)", out.dir.display(), out.stale.join(", "));
        std::process::exit(1);
    }
}
