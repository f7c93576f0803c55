//! Admin actions in the audit log (issue #13): each writes exactly one row, naming the actor
//! and the action, with a structured diff that never holds a secret, in the same transaction
//! as the change; both exports carry them; the log filters by kind and action.

use std::process::{Command, Stdio};

use handshake::connection::SecurityPolicy;
use handshake::directory::{AdminAction, AuditEntry, AuditKind, AuditQuery};
use handshake::provision::UserStatus;
use handshake::secrets::{self, MemoryStore, SecretStore};
use handshake::store::Store;
use handshake::workbench::{AuditFormat, Workbench};

use crate::provisioning::{ADA, Bench};
use crate::validation::generator;

fn now() -> chrono::DateTime<chrono::Utc> {
    generator::judged_at()
}

fn admin_rows(wb: &Workbench) -> Vec<AuditEntry> {
    wb.audit(&AuditQuery { kind: Some(AuditKind::Admin), ..AuditQuery::default() }).unwrap()
}

/// Runs `change`, then checks it wrote exactly one admin row, of `action`, by ada, with a diff.
#[track_caller]
fn one_row(wb: &Workbench, action: AdminAction, change: impl FnOnce(&Workbench)) -> AuditEntry {
    let before = admin_rows(wb).len();
    change(wb);
    let rows = admin_rows(wb);
    assert_eq!(rows.len(), before + 1, "{action}: not exactly one admin row: {:#?}", rows.first());
    let row = rows.into_iter().next().unwrap();
    assert_eq!((row.kind, row.action, row.actor.as_deref()), (AuditKind::Admin, Some(action), Some("ada")));
    assert_eq!(row.outcome, None, "{action}");
    assert!(!row.diff.is_empty(), "{action} has no diff");
    assert!(row.message.as_deref().is_some_and(|m| !m.is_empty()), "{action} has no message");
    row
}

fn field<'a>(row: &'a AuditEntry, name: &str) -> &'a handshake::directory::FieldChange {
    row.diff.iter().find(|c| c.field == name).unwrap_or_else(|| panic!("no {name} in {:#?}", row.diff))
}

/// A bench with a user (ada, signed in once), acting as "ada", and every admin action done
/// once; the SP and demo IdP keys its secret store held along the way.
fn every_action() -> (Bench, Vec<AuditEntry>, Vec<String>) {
    let mut b = Bench::new();
    let store = std::sync::Arc::new(MemoryStore::default());
    let db = Store::open(&b.dir.path().join("catalog.db")).unwrap();
    b.wb = Workbench::with_parts(db, store.clone(), "http://127.0.0.1:7777".into()).with_actor("ada");
    let mut keys = Vec::new();
    let mut keep = |names: &[&str]| {
        for name in names {
            let key = if *name == "demo-idp" { secrets::demo_idp_key().to_owned() } else { secrets::sp_key(name) };
            if let Some(v) = store.get(&key).unwrap() {
                keys.push(String::from_utf8(v.expose().clone()).unwrap());
            }
        }
    };
    let user = b.login(&b.response("ada@example.com", ADA)).user.unwrap().id;
    let mut rows = Vec::new();
    let wb = &b.wb;
    rows.push(one_row(wb, AdminAction::ConnectionImport, |wb| {
        wb.import_connection(&generator::fixture_connection("beta"), now()).unwrap();
    }));
    rows.push(one_row(wb, AdminAction::ConnectionDuplicate, |wb| {
        wb.duplicate_connection("beta", "gamma", now()).unwrap();
    }));
    rows.push(one_row(wb, AdminAction::ConnectionReimport, |wb| {
        let xml = generator::fixture_connection("x").metadata_xml;
        let moved = xml.replace("https://idp.handshake.test/saml/sso", "https://idp.example.com/sso/moved");
        assert_ne!(moved, xml);
        wb.replace_metadata("beta", &moved, "https://idp.example.com/metadata", now()).unwrap();
    }));
    rows.push(one_row(wb, AdminAction::MappingChange, |wb| {
        let mut doc = wb.mapping("beta").unwrap();
        doc.roles.default_role = Some("auditor".into());
        wb.set_mapping("beta", &doc, now()).unwrap();
    }));
    rows.push(one_row(wb, AdminAction::LifecycleChange, |wb| {
        let lifecycle = handshake::provision::Lifecycle { jit_requires_scim: true, ..Default::default() };
        wb.set_lifecycle("beta", lifecycle, now()).unwrap();
    }));
    rows.push(one_row(wb, AdminAction::PolicyChange, |wb| {
        let policy = SecurityPolicy { allow_sha1: true, clock_skew_seconds: 120, ..SecurityPolicy::default() };
        wb.set_policy("beta", policy, now()).unwrap();
    }));
    rows.push(one_row(wb, AdminAction::SpUrlsChange, |wb| {
        wb.set_sp_urls("beta", Some("https://sp.example.com/beta".into()), None, now()).unwrap();
    }));
    keep(&["beta", "gamma"]);
    rows.push(one_row(wb, AdminAction::SpKeyRotate, |wb| {
        wb.rotate_sp_key("beta", now()).unwrap();
    }));
    rows.push(one_row(wb, AdminAction::SpKeyReplace, |wb| {
        let pair = handshake::sp::generate_key_pair("admin key", now()).unwrap();
        wb.set_sp_key("gamma", pair.key_pem, pair.certificate.pem().as_bytes(), now()).unwrap();
    }));
    keep(&["beta", "gamma"]);
    // An OpenID Connect connection (endpoints by hand: no network), its settings and secret.
    let add = handshake::workbench::AddOidc {
        name: "oidc".into(),
        source: handshake::workbench::OidcSource::Manual(handshake::workbench::ManualEndpoints {
            issuer: "https://op.example".into(),
            authorization_endpoint: "https://op.example/authorize".into(),
            token_endpoint: "https://op.example/token".into(),
            jwks_uri: "https://op.example/jwks".into(),
            userinfo_endpoint: None,
        }),
        jwks_json: Some(crate::oidc_connections::JWKS.into()),
        client_id: "cid".into(),
        client_secret: Some(handshake::sensitive::Sensitive::new(crate::oidc_connections::CLIENT_SECRET.into())),
        client_auth: None,
        scopes: None,
    };
    let added = one_row(wb, AdminAction::ConnectionImport, |wb| {
        wb.add_oidc_connection(&add, now()).unwrap();
    });
    assert_eq!(field(&added, "oidc.client_secret").after, "set");
    assert_eq!(field(&added, "oidc.issuer").after, "https://op.example");
    rows.push(one_row(wb, AdminAction::OidcSettingsChange, |wb| {
        let patch = handshake::workbench::OidcSettingsPatch { client_id: Some("cid-2".into()), ..Default::default() };
        wb.set_oidc_settings("oidc", &patch, now()).unwrap();
    }));
    rows.push(one_row(wb, AdminAction::OidcSecretChange, |wb| {
        let secret = format!("{}-rotated", crate::oidc_connections::CLIENT_SECRET);
        wb.set_oidc_client_secret("oidc", Some(handshake::sensitive::Sensitive::new(secret)), now()).unwrap();
    }));
    rows.push(added);
    // The SCIM endpoint of beta: on (with a policy), a new token, off. Each token is a secret.
    let mut tokens = Vec::new();
    let enable = one_row(wb, AdminAction::ScimEnable, |wb| {
        let enabled = wb.scim_enable("beta", Some(handshake::provision::LifecyclePolicy::Hybrid), now()).unwrap();
        tokens.push(enabled.token.expose().clone());
    });
    assert_eq!(field(&enable, "scim.enabled").after, true);
    assert_eq!(field(&enable, "mapping.provisioning.lifecycle.policy").after, "hybrid");
    rows.push(enable);
    rows.push(one_row(wb, AdminAction::ScimTokenRotate, |wb| {
        tokens.push(wb.scim_rotate_token("beta", now()).unwrap().token.expose().clone());
    }));
    rows.push(one_row(wb, AdminAction::ScimDisable, |wb| {
        assert!(!wb.scim_disable("beta", now()).unwrap().enabled);
    }));
    rows.push(one_row(wb, AdminAction::UserDeactivate, |wb| {
        wb.set_user_status(user, UserStatus::Deactivated, now()).unwrap();
    }));
    rows.push(one_row(wb, AdminAction::UserActivate, |wb| {
        wb.set_user_status(user, UserStatus::Active, now()).unwrap();
    }));
    rows.push(one_row(wb, AdminAction::UserDelete, |wb| {
        wb.delete_user(user, now()).unwrap();
    }));
    rows.push(one_row(wb, AdminAction::ConnectionRemove, |wb| {
        wb.remove_connection("gamma", now()).unwrap();
    }));
    wb.create_demo(None, now()).unwrap();
    keep(&["demo", "demo-idp"]);
    keys.extend(tokens);
    keys.push(crate::oidc_connections::CLIENT_SECRET.to_owned());
    rows.push(one_row(wb, AdminAction::DemoReset, |wb| {
        wb.reset_demo(now()).unwrap();
    }));
    (b, rows, keys)
}

#[test]
fn regression_every_admin_action_writes_one_audit_row_with_actor_and_diff() {
    let (b, rows, _) = every_action();
    let done: Vec<AdminAction> = rows.iter().filter_map(|r| r.action).collect();
    for action in AdminAction::ALL {
        assert!(done.contains(&action), "{action} was not exercised");
    }
    let by = |a: AdminAction| rows.iter().find(|r| r.action == Some(a)).unwrap();
    // The diffs say what changed, field by field.
    let import = by(AdminAction::ConnectionImport);
    assert_eq!(import.connection, "beta");
    assert_eq!(field(import, "idp.entity_id").after, generator::IDP_ENTITY_ID);
    assert_eq!(field(import, "sp.key").after, "generated");
    let reimport = by(AdminAction::ConnectionReimport);
    assert_eq!(field(reimport, "idp.sso").after[0], "HTTP-Redirect https://idp.example.com/sso/moved");
    assert_eq!(field(by(AdminAction::MappingChange), "mapping.roles.default_role").after, "auditor");
    assert!(by(AdminAction::MappingChange).message.as_deref().unwrap().contains("role rules"));
    let policy = by(AdminAction::PolicyChange);
    assert_eq!(
        (field(policy, "policy.allow_sha1").before.clone(), field(policy, "policy.allow_sha1").after.clone()),
        (false.into(), true.into())
    );
    assert_eq!(field(by(AdminAction::SpUrlsChange), "sp.entity_id").after, "https://sp.example.com/beta");
    let rotate = by(AdminAction::SpKeyRotate);
    assert_eq!(field(rotate, "sp.key").after, "rotated");
    let fingerprints = field(rotate, "sp.certificate");
    assert!(fingerprints.before.as_str().unwrap().starts_with("SHA-256 ") && fingerprints.before != fingerprints.after);
    let deactivate = by(AdminAction::UserDeactivate);
    assert_eq!((deactivate.user_id.is_some(), deactivate.subject.as_deref()), (true, Some("ada@example.com")));
    assert_eq!(field(deactivate, "status").after, "deactivated");
    assert_eq!(field(by(AdminAction::UserDelete), "user").before["email"], "ada@example.com");
    assert!(field(by(AdminAction::DemoReset), "personas").after.as_str().unwrap().ends_with("default personas"));
    assert_eq!(field(by(AdminAction::OidcSettingsChange), "oidc.client_id").after, "cid-2");
    let secret = field(by(AdminAction::OidcSecretChange), "oidc.client_secret");
    assert_eq!((secret.before.clone(), secret.after.clone()), ("set".into(), "replaced".into()));
    // Filters: by kind and by action; logins stay login rows.
    let logins = b.wb.audit(&AuditQuery { kind: Some(AuditKind::Login), ..AuditQuery::default() }).unwrap();
    assert!(
        !logins.is_empty()
            && logins.iter().all(|r| r.kind == AuditKind::Login && r.outcome.is_some() && r.actor.is_none())
    );
    let policies =
        b.wb.audit(&AuditQuery { action: Some(AdminAction::PolicyChange), ..AuditQuery::default() }).unwrap();
    assert_eq!(policies.len(), 1);
    // The search matches the actor: the fixture connection was imported before the bench acted as ada.
    let query = AuditQuery { text: Some("UNKNOWN".into()), ..AuditQuery::default() };
    let unknown = b.wb.audit(&query).unwrap();
    assert_eq!(unknown.len(), 1, "{unknown:#?}");
    assert_eq!((unknown[0].actor.as_deref(), unknown[0].connection.as_str()), (Some("unknown"), "acme"));
    // A save that changes nothing is no admin action.
    let before = admin_rows(&b.wb).len();
    b.wb.set_policy("beta", b.wb.connection("beta", now()).unwrap().policy, now()).unwrap();
    assert_eq!(admin_rows(&b.wb).len(), before);
}

#[test]
fn regression_no_admin_diff_holds_a_secret() {
    let (_, rows, secrets) = every_action();
    assert!(secrets.len() >= 5, "{}", secrets.len());
    for row in &rows {
        let text = serde_json::to_string(row).unwrap();
        assert!(!text.contains("PRIVATE KEY") && !text.contains("BEGIN CERTIFICATE"), "{text}");
        for secret in &secrets {
            // Any 40-character run of a key's PEM body would give it away.
            // (A SCIM token is one line of 51 characters.)
            for line in secret.lines().filter(|l| l.len() >= 40 && !l.starts_with("-----")) {
                assert!(!text.contains(&line[..40]), "{:?} holds key material", row.action);
            }
        }
    }
}

#[test]
fn regression_exports_carry_admin_rows_with_the_columns_added_at_the_end() {
    let (b, rows, _) = every_action();
    let (csv, n) = b.wb.export_audit(&AuditQuery::default(), AuditFormat::Csv).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "\"id\",\"at\",\"connection\",\"subject\",\"outcome\",\"failed_check\",\"message\",\"user_id\",\"diff\",\"kind\",\"actor\",\"action\""
    );
    let admin_lines: Vec<&str> = csv.lines().filter(|l| l.ends_with(",\"admin\",\"ada\",\"policy_change\"")).collect();
    assert_eq!(admin_lines.len(), 1, "{csv}");
    assert!(admin_lines[0].contains("policy.allow_sha1"));
    assert!(csv.lines().any(|l| l.contains(",\"created\",") && l.ends_with(",\"login\",\"\",\"\"")), "{csv}");
    let (jsonl, m) = b.wb.export_audit(&AuditQuery::default(), AuditFormat::JsonLines).unwrap();
    assert_eq!(n, m);
    let parsed: Vec<AuditEntry> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let admin: Vec<&AuditEntry> = parsed.iter().filter(|e| e.kind == AuditKind::Admin).collect();
    assert_eq!(admin.len(), admin_rows(&b.wb).len());
    assert!(admin.len() > rows.len() && admin.iter().all(|e| e.actor.is_some() && e.action.is_some()));
    // The kind filter applies to exports as to the list.
    let (only, k) = b
        .wb
        .export_audit(&AuditQuery { kind: Some(AuditKind::Admin), ..AuditQuery::default() }, AuditFormat::JsonLines)
        .unwrap();
    assert_eq!((k, only.lines().count()), (admin.len(), admin.len()));
}

#[test]
fn a_failed_admin_change_writes_no_audit_row() {
    let b = Bench::new().with_actor("ada");
    let before = admin_rows(&b.wb).len();
    let cert_before = b.wb.connection("acme", now()).unwrap().sp.certificate;
    // A key that does not match its certificate: refused, nothing written.
    let a = handshake::sp::generate_key_pair("a", now()).unwrap();
    let other = handshake::sp::generate_key_pair("b", now()).unwrap();
    assert!(b.wb.set_sp_key("acme", a.key_pem, other.certificate.pem().as_bytes(), now()).is_err());
    let bad = SecurityPolicy { clock_skew_seconds: 100_000, ..SecurityPolicy::default() };
    assert!(b.wb.set_policy("acme", bad, now()).is_err());
    assert!(b.wb.set_user_status(9999, UserStatus::Deactivated, now()).is_err());
    assert_eq!(admin_rows(&b.wb).len(), before);
    assert_eq!(b.wb.connection("acme", now()).unwrap().sp.certificate, cert_before);
}

/// `handshake` on this catalog, as `USER=ada`.
fn cli(dir: &std::path::Path, args: &[&str], fault: Option<&str>) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_handshake"));
    c.arg("--db")
        .arg(dir.join("catalog.db"))
        .arg("--secret-store")
        .arg(format!("file:{}", dir.join("secrets").display()));
    c.args(args).stdin(Stdio::null());
    c.env_remove("HANDSHAKE_DB").env_remove("HANDSHAKE_SECRET_STORE").env_remove("HANDSHAKE_FAULT");
    c.env("USER", "ada").env_remove("LOGNAME").env_remove("USERNAME");
    if let Some(point) = fault {
        c.env("HANDSHAKE_FAULT", point);
    }
    c.output().unwrap()
}

#[test]
fn regression_a_crash_before_the_audit_row_leaves_neither_the_change_nor_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let metadata = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/idp/metadata.xml");
    let out =
        cli(dir.path(), &["connection", "import", "--name", "fx", "--metadata", metadata.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let policy = ["connection", "set-policy", "--name", "fx", "--allow-sha1", "true"];
    let crashed = cli(dir.path(), &policy, Some("after_admin_change"));
    assert!(!crashed.status.success(), "the crash point was not reached");
    let count = |sql: &str| -> i64 {
        let conn = rusqlite::Connection::open(dir.path().join("catalog.db")).unwrap();
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    };
    assert_eq!(count("SELECT count(*) FROM audit_log WHERE action = 'policy_change'"), 0);
    assert_eq!(count("SELECT json_extract(policy, '$.allow_sha1') FROM connections WHERE name = 'fx'"), 0);
    // Without the crash: the change and its row, by the OS user the CLI found.
    let out = cli(dir.path(), &policy, None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(count("SELECT count(*) FROM audit_log WHERE action = 'policy_change' AND actor = 'ada'"), 1);
    assert_eq!(count("SELECT json_extract(policy, '$.allow_sha1') FROM connections WHERE name = 'fx'"), 1);
    let listed = cli(dir.path(), &["audit", "list", "--kind", "admin", "--format", "csv"], None);
    let text = String::from_utf8(listed.stdout).unwrap();
    assert_eq!(text.lines().count(), 3, "{text}"); // header, import, policy
    assert!(text.contains("\"connection_import\"") && text.contains("\"policy_change\""), "{text}");
}

/// regression: importing from `https://user:password@host/...` wrote the password into the
/// catalog and, through the import's audit row (message and diff), into the append-only log
/// and both exports. The source is stored and shown with the password masked.
#[test]
fn regression_a_metadata_urls_password_reaches_neither_the_catalog_nor_the_audit_log() {
    let b = Bench::new().with_actor("ada");
    let mut request = generator::fixture_connection("beta");
    request.source = "https://admin:s3cret-pw@idp.example/metadata".into();
    b.wb.import_connection(&request, now()).unwrap();
    let xml = generator::fixture_connection("x").metadata_xml;
    b.wb.replace_metadata("beta", &xml, "https://admin:0ther-pw@idp.example/metadata", now()).unwrap();
    let stored = b.wb.connection("beta", now()).unwrap().metadata_source;
    assert_eq!(stored, "https://admin:***@idp.example/metadata");
    for format in [AuditFormat::Csv, AuditFormat::JsonLines] {
        let (out, _) = b.wb.export_audit(&AuditQuery::default(), format).unwrap();
        assert!(!out.contains("s3cret-pw") && !out.contains("0ther-pw"), "{out}");
    }
    let db = crate::sql(b.wb.store());
    let dump: String =
        db.query_row("SELECT group_concat(metadata_source, ' ') FROM connections", [], |r| r.get(0)).unwrap();
    assert!(!dump.contains("pw"), "{dump}");
}

/// The SCIM endpoint's admin actions (issue #15) crash before their row like the others: the
/// endpoint stays as it was (off, or on with its generation), and no row is written.
#[test]
fn a_crash_before_a_scim_admin_row_leaves_the_endpoint_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let metadata = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/idp/metadata.xml");
    let out =
        cli(dir.path(), &["connection", "import", "--name", "fx", "--metadata", metadata.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let state = || -> (i64, i64, i64) {
        let conn = rusqlite::Connection::open(dir.path().join("catalog.db")).unwrap();
        conn.query_row(
            "SELECT (SELECT count(*) FROM audit_log WHERE action LIKE 'scim_%'), \
                    coalesce((SELECT enabled FROM connection_scim), -1), \
                    coalesce((SELECT token_generation FROM connection_scim), -1)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
    };
    let enable = ["scim", "enable", "--connection", "fx", "--json"];
    assert!(!cli(dir.path(), &enable, Some("after_admin_change")).status.success(), "the crash point was not reached");
    assert_eq!(state(), (0, -1, -1), "no endpoint, no row");
    let enabled = cli(dir.path(), &enable, None);
    assert!(enabled.status.success());
    let token =
        serde_json::from_slice::<serde_json::Value>(&enabled.stdout).unwrap()["token"].as_str().unwrap().to_owned();
    let stored = || {
        std::fs::read_dir(dir.path().join("secrets"))
            .unwrap()
            .any(|f| std::fs::read(f.unwrap().path()).unwrap() == token.as_bytes())
    };
    assert_eq!(state(), (1, 1, 1));
    assert!(stored());
    for args in [&["scim", "rotate-token", "--connection", "fx"][..], &["scim", "disable", "--connection", "fx"]] {
        assert!(!cli(dir.path(), args, Some("after_admin_change")).status.success(), "{args:?}: no crash");
        assert_eq!(state(), (1, 1, 1), "{args:?}: half written");
        assert!(stored(), "{args:?}: the client's token must keep working");
    }
    assert!(cli(dir.path(), &["scim", "rotate-token", "--connection", "fx"], None).status.success());
    assert!(cli(dir.path(), &["scim", "disable", "--connection", "fx"], None).status.success());
    assert_eq!(state(), (3, 0, 2));
}
