//! The desktop app's API (`handshake::desktop`), driven as the Tauri shell drives it:
//! a real embedded SP on a loopback port, live events, and every screen's calls.

use std::sync::Arc;
use std::time::Duration;

use handshake::ErrorCode;
use handshake::clock::FixedClock;
use handshake::desktop::Desktop;
use handshake::directory::{AuditQuery, UserQuery};
use handshake::idp::AttributeSpec;
use handshake::idp::sign::to_post_form_value;
use handshake::provision::UserStatus;
use handshake::secrets::SecretStoreKind;
use handshake::workbench::OpenOptions;
use handshake::workbench::{AuditFormat as ExportFormat, JudgingContext, TestStatus};

use crate::provisioning::idp_key;
use crate::validation::generator;

struct App {
    dir: tempfile::TempDir,
    desktop: Desktop,
}

fn app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let options = OpenOptions {
        db: Some(dir.path().join("app.db")),
        secret_store: SecretStoreKind::Memory,
        port: 0,
        actor: "ada".into(),
    };
    let desktop = Desktop::open(&options, Arc::new(FixedClock(generator::judged_at()))).unwrap();
    App { dir, desktop }
}

fn login(n: usize, department: &str) -> String {
    generator::numbered_login(
        &idp_key(),
        n,
        "ada@example.com",
        vec![
            AttributeSpec::new("email", &["ada@example.com"]),
            AttributeSpec::new("firstName", &["Ada"]),
            AttributeSpec::new("lastName", &["Lovelace"]),
            AttributeSpec::new("department", &[department]),
            AttributeSpec::new("groups", &["engineering", "admins"]),
        ],
    )
}

async fn post_acs(base: &str, connection: &str, saml_response: &str) -> reqwest::StatusCode {
    let body =
        format!("SAMLResponse={}", url::form_urlencoded::byte_serialize(saml_response.as_bytes()).collect::<String>());
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{base}/saml/{connection}/acs"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
}

#[cfg(feature = "typescript")]
#[test]
fn typescript_bindings_are_current() {
    use handshake::desktop::bindings;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(bindings::PATH);
    let fresh = bindings::typescript();
    if std::env::var_os("HANDSHAKE_UPDATE_BINDINGS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{} is stale: run `HANDSHAKE_UPDATE_BINDINGS=1 cargo test --all-features bindings` and commit it",
        bindings::PATH
    );
}

#[tokio::test]
async fn import_test_login_and_inspect_through_the_app_api() {
    let App { dir: _dir, desktop } = app();
    let status = desktop.start_server(0).await;
    assert!(status.running && status.error.is_none(), "{status:?}");
    assert!(status.base_url.starts_with("http://127.0.0.1:"));
    assert_eq!(desktop.status().secret_store_error, None);

    // Import screen: a preview first (nothing saved), then the import.
    let request = generator::fixture_connection("acme");
    let preview = desktop.preview_metadata(request.metadata_xml.clone(), None).await.unwrap();
    assert_eq!(preview.idps.len(), 1);
    assert!(preview.error.is_none());
    assert_eq!(preview.chosen.as_ref().unwrap().idp.entity_id, generator::IDP_ENTITY_ID);
    assert!(desktop.list_connections().await.unwrap().is_empty());
    desktop.import_connection(request).await.unwrap();
    let list = desktop.list_connections().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].status, TestStatus::NeverTested);
    assert!(list[0].certificate.is_some());
    // The suggestion avoids taken names.
    let again = desktop.preview_metadata(generator::fixture_connection("x").metadata_xml, None).await.unwrap();
    assert_ne!(again.suggested_name, "acme");

    // A port already in use comes back as a banner, not a failure.
    let other = app();
    let taken = other.desktop.start_server(status.port).await;
    assert!(!taken.running);
    assert_eq!(taken.error.as_ref().map(|e| e.code), Some(ErrorCode::PortInUse));

    // A test login hits the real ACS; the window hears of it.
    let mut events = desktop.subscribe();
    assert!(desktop.login_url("acme".into()).await.unwrap().ends_with("/saml/acme/login"));
    assert_eq!(post_acs(&status.base_url, "acme", &login(1, "Research")).await, 303);
    let event = tokio::time::timeout(Duration::from_secs(10), events.recv()).await.unwrap().unwrap();
    assert_eq!((event.connection.as_str(), event.outcome.as_str()), ("acme", "created"));
    let detail = desktop.test_login(event.id).await.unwrap();
    assert_eq!(detail.login.report.user.as_ref().unwrap().email.as_deref(), Some("ada@example.com"));
    assert!(detail.xml.iter().any(|l| l.signed && l.text.contains("saml:Attribute ")), "signed assertion lines");
    assert!(detail.xml.first().is_some_and(|l| l.text.starts_with("<samlp:Response")));
    let list = desktop.list_connections().await.unwrap();
    assert_eq!((list[0].status, list[0].user_count), (TestStatus::Ok, 1));

    // Mapping editor: an unsaved mapping previews against the last login's claims.
    let mut mapping = desktop.mapping("acme".into()).await.unwrap();
    mapping.fields.push(handshake::provision::FieldRule::new(
        "department",
        handshake::provision::Source::attribute("department"),
    ));
    let preview = desktop.preview_mapping("acme".into(), mapping.clone()).await.unwrap();
    assert_eq!(preview.test_login_id, Some(event.id));
    assert_eq!(preview.user.unwrap().custom.get("department").map(String::as_str), Some("Research"));
    let trace = preview.trace.unwrap();
    assert!(trace.fields.iter().any(|f| f.target == "department"));
    desktop.set_mapping("acme".into(), mapping).await.unwrap();

    // A pasted response (decoded XML, as a SAML tracer shows it) is judged offline: a dry run.
    let xml = String::from_utf8(
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, login(2, "Sales")).unwrap(),
    )
    .unwrap();
    let analyzed = desktop.analyze_response("acme".into(), xml, JudgingContext::default()).await.unwrap();
    assert!(analyzed.report.dry_run);
    assert_eq!(analyzed.report.outcome, handshake::provision::Outcome::Updated);
    assert!(analyzed.report.diff.iter().any(|c| c.field == "custom.department"), "{:?}", analyzed.report.diff);
    let users = desktop.users(UserQuery::default()).await.unwrap();
    assert_eq!(users[0].custom.get("department"), None, "the dry run wrote nothing");
    let empty = desktop.analyze_response("acme".into(), "  ".into(), JudgingContext::default()).await.unwrap_err();
    assert_eq!(empty.code, ErrorCode::InvalidInput);

    // Users screen: search, deactivate.
    let found = desktop.users(UserQuery { connection: None, text: Some("LOVE".into()) }).await.unwrap();
    assert_eq!(found.len(), 1);
    assert!(desktop.users(UserQuery { connection: None, text: Some("nobody".into()) }).await.unwrap().is_empty());
    let user = desktop.set_user_status(found[0].id, UserStatus::Deactivated).await.unwrap();
    assert_eq!(user.status, UserStatus::Deactivated);
    let detail = desktop.user(user.id).await.unwrap();
    // Its login, then the deactivation (an admin row, by the OS user the app was opened as).
    assert_eq!(detail.audit.len(), 2);
    assert_eq!(detail.audit[0].action, Some(handshake::directory::AdminAction::UserDeactivate));
    assert_eq!(detail.audit[0].actor.as_deref(), Some("ada"));

    // Audit log: filter and export.
    assert_eq!(
        desktop
            .audit(AuditQuery { outcome: Some(handshake::login::Outcome::Created), ..Default::default() })
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        desktop
            .audit(AuditQuery { outcome: Some(handshake::login::Outcome::Rejected), ..Default::default() })
            .await
            .unwrap()
            .is_empty()
    );
    let logins = AuditQuery { kind: Some(handshake::directory::AuditKind::Login), ..Default::default() };
    let csv = desktop.export_audit(logins, ExportFormat::Csv).await.unwrap();
    assert_eq!(csv.rows, 1);
    assert!(csv.content.starts_with("\"id\",\"at\",\"connection\""));

    // Duplicate, export to a file and import it back under another name.
    let copy = desktop.duplicate_connection("acme".into(), "acme-copy".into()).await.unwrap();
    assert_ne!(copy.sp.certificate.unwrap().sha256_fingerprint, list_cert(&desktop, "acme").await);
    let text = desktop.export_connection("acme".into()).await.unwrap();
    assert!(!text.contains("PRIVATE KEY"), "the SP key never leaves the secret store");
    let imported = desktop.import_connection_file(text, Some("acme-2".into())).await.unwrap();
    assert_eq!(imported.connection.sp.entity_id, generator::SP_ENTITY_ID);
    assert!(desktop.mapping("acme-2".into()).await.unwrap().fields.iter().any(|f| f.target == "department"));
    let dup = desktop.duplicate_connection("acme".into(), "acme-2".into()).await.unwrap_err();
    assert_eq!(dup.code, ErrorCode::AlreadyExists);
    desktop.remove_connection("acme-copy".into()).await.unwrap();
    assert_eq!(desktop.list_connections().await.unwrap().len(), 2);

    desktop.stop_server().await;
    assert!(!desktop.server_status().running);
}

async fn list_cert(desktop: &Desktop, name: &str) -> String {
    desktop.connection(name.into()).await.unwrap().sp.certificate.unwrap().sha256_fingerprint
}

#[tokio::test]
async fn a_slow_metadata_fetch_can_be_cancelled() {
    let App { desktop, .. } = app();
    // A loopback server that accepts and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/metadata", listener.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let (_socket, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(60)).await;
    });
    let desktop = Arc::new(desktop);
    let d = desktop.clone();
    let fetch = tokio::spawn(async move { d.fetch_metadata(url, "op-1".into()).await });
    for _ in 0..100 {
        if desktop.cancel("op-1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let result = tokio::time::timeout(Duration::from_secs(10), fetch).await.unwrap().unwrap();
    assert_eq!(result.unwrap_err().code, ErrorCode::Cancelled);
    assert!(!desktop.cancel("op-1"), "finished operations are forgotten");
    hold.abort();
}

#[test]
fn the_xml_view_marks_signed_and_encrypted_parts_and_survives_hostile_input() {
    use handshake::workbench::xmlview::lines;
    let xml = r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="r"><saml:Issuer>idp</saml:Issuer><saml:Assertion ID="a"><saml:Subject>x</saml:Subject></saml:Assertion></samlp:Response>"#;
    let out = lines(xml, false, true);
    assert!(!out[0].signed && out[0].text.starts_with("<samlp:Response"));
    assert!(out.iter().find(|l| l.text.contains("<saml:Subject>x</saml:Subject>")).unwrap().signed);
    assert_eq!(out.iter().find(|l| l.text.contains("Subject")).unwrap().depth, 2);
    assert!(lines(xml, true, false).iter().all(|l| l.signed));
    // Deep nesting and garbage neither panic nor hang.
    let deep = format!("{}{}", "<a>".repeat(5000), "</a>".repeat(5000));
    assert!(lines(&deep, false, false).len() < 6000);
    assert_eq!(lines("not xml <<", false, false).len(), 1);
    let _ = to_post_form_value("<x/>");
}

/// Metadata and secret-store failures reach the app with their own code and hint, as they
/// cross IPC (serialised), not flattened into the family code.
#[tokio::test]
async fn error_details_cross_ipc_intact() {
    let a = app();
    let bad = generator::fixture_connection("acme");
    let bad = handshake::workbench::ImportRequest { metadata_xml: "<md:EntityDescriptor".into(), ..bad };
    let e = a.desktop.import_connection(bad).await.unwrap_err();
    let ipc = serde_json::to_value(&e).unwrap();
    assert_eq!((ipc["code"].as_str(), ipc["detail"].as_str()), (Some("invalid_metadata"), Some("malformed_xml")));
    assert!(ipc["hint"].as_str().is_some_and(|h| !h.is_empty()), "{ipc}");
    let preview = a.desktop.preview_metadata("<html/>".into(), None).await;
    let detail = match preview {
        Ok(p) => p.error.and_then(|e| e.detail),
        Err(e) => e.detail,
    };
    assert_eq!(detail.as_deref(), Some("not_metadata"));

    // A secret directory others can read: the app opens, says why secrets are unavailable,
    // and the same detail comes back from an operation that needs a secret.
    let (_dir, _secrets, desktop) = app_with_a_secret_directory_others_can_read();
    let status = serde_json::to_value(desktop.status()).unwrap();
    let err = &status["secret_store_error"];
    assert_eq!(
        (err["code"].as_str(), err["detail"].as_str()),
        (Some("secret_store_unavailable"), Some("directory_not_private"))
    );
    assert!(err["hint"].as_str().unwrap().contains("chmod 700"), "{err}");
    assert!(!err["message"].as_str().unwrap().contains("--"), "core messages name no CLI flags: {err}");
    let e = desktop.import_connection(generator::fixture_connection("acme")).await.unwrap_err();
    assert_eq!((e.code, e.detail.as_deref()), (ErrorCode::SecretStoreUnavailable, Some("directory_not_private")));
}

/// The banner says "run chmod 700 … and try again": after the chmod, trying again works,
/// without restarting the app. The store used to be opened once, at launch, and its
/// failure kept for the life of the process; now the status and every operation check it
/// again (and a store made non-private while the app runs is caught as well).
#[cfg(unix)]
#[tokio::test]
async fn regression_the_secret_store_is_checked_again_after_the_fix_without_a_restart() {
    use std::os::unix::fs::PermissionsExt as _;
    let (_dir, secrets, desktop) = app_with_a_secret_directory_others_can_read();
    let detail = |e: Option<handshake::Error>| e.and_then(|e| e.detail);
    assert_eq!(detail(desktop.status().secret_store_error).as_deref(), Some("directory_not_private"));
    let e = desktop.import_connection(generator::fixture_connection("acme")).await.unwrap_err();
    assert_eq!(e.detail.as_deref(), Some("directory_not_private"));

    // What the hint says: chmod 700, then try again.
    std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(desktop.status().secret_store_error, None, "the status checks the store again");
    desktop.import_connection(generator::fixture_connection("acme")).await.unwrap();
    assert!(desktop.status().secret_store.contains(&secrets.display().to_string()));

    // Opened the other way round: a store that becomes non-private is refused at once, and
    // the status says so.
    std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o750)).unwrap();
    assert_eq!(detail(desktop.status().secret_store_error).as_deref(), Some("directory_not_private"));
    let e = desktop.rotate_sp_key("acme".into()).await.unwrap_err();
    assert_eq!(e.detail.as_deref(), Some("directory_not_private"));
    std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o700)).unwrap();
    desktop.rotate_sp_key("acme".into()).await.unwrap();
}

/// The app on a catalog whose file secret store is a directory others can read (0755).
#[cfg(unix)]
fn app_with_a_secret_directory_others_can_read() -> (tempfile::TempDir, std::path::PathBuf, Desktop) {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("secrets");
    std::fs::create_dir(&secrets).unwrap();
    std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o755)).unwrap();
    let options = OpenOptions {
        db: Some(dir.path().join("app.db")),
        secret_store: SecretStoreKind::File(secrets.clone()),
        port: 0,
        actor: "ada".into(),
    };
    let desktop = Desktop::open(&options, Arc::new(FixedClock(generator::judged_at()))).unwrap();
    (dir, secrets, desktop)
}
