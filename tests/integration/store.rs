//! The connection catalog (src/store.rs, migrations/).

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, TimeZone as _, Utc};
use handshake::ErrorCode;
use handshake::certs::Certificate;
use handshake::connection::{
    BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, Connection, Endpoint, IdpDescriptor, SecurityPolicy,
    SignatureRequirement, SpConfig,
};
use handshake::store::{NewConnection, SCHEMA_VERSION, Store};
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::{X509, X509NameBuilder};

const FIXTURE: &str = "/work/shared/fixtures/idp-metadata/01_okta_ssoready.xml";

fn t(secs: i64, nanos: u32) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, nanos).single().unwrap()
}

fn key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

/// A self-signed certificate made here, so the tests need nothing from outside.
fn make_cert(cn: &str, serial: u32) -> Certificate {
    let pkey = key();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", cn).unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&BigNum::from_u32(serial).unwrap().to_asn1_integer().unwrap()).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&pkey).unwrap();
    b.set_not_before(&Asn1Time::from_unix(1_700_000_000).unwrap()).unwrap();
    b.set_not_after(&Asn1Time::from_unix(1_700_000_000 + 365 * 86_400).unwrap()).unwrap();
    b.sign(&pkey, MessageDigest::sha256()).unwrap();
    Certificate::from_der(&b.build().to_der().unwrap()).unwrap()
}

/// The Okta fixture's signing certificate, read the way metadata import sees it.
fn fixture_cert() -> Certificate {
    let xml = std::fs::read_to_string(FIXTURE).unwrap();
    let start = xml.find("<ds:X509Certificate>").unwrap() + "<ds:X509Certificate>".len();
    let end = xml[start..].find("</ds:X509Certificate>").unwrap() + start;
    Certificate::from_base64(&xml[start..end]).unwrap()
}

fn endpoint(binding: &str, location: &str) -> Endpoint {
    Endpoint { binding: binding.into(), location: location.into() }
}

/// A connection with every field set to something distinctive.
fn full(name: &str) -> NewConnection {
    NewConnection {
        name: name.into(),
        idp: IdpDescriptor {
            entity_id: format!("https://idp.example/{name}"),
            sso: vec![
                endpoint(BINDING_HTTP_REDIRECT, "https://idp.example/sso/redirect"),
                endpoint(BINDING_HTTP_POST, "https://idp.example/sso/post"),
            ],
            slo: vec![endpoint(BINDING_HTTP_POST, "https://idp.example/slo")],
            name_id_formats: vec![
                "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent".into(),
                "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress".into(),
            ],
            signing_certificates: vec![make_cert("second", 2), fixture_cert(), make_cert("first", 1)],
            want_authn_requests_signed: true,
            valid_until: Some(t(1_900_000_000, 123_456_789)),
        },
        sp: SpConfig {
            entity_id: Some("https://sp.example/entity".into()),
            acs_url: Some("https://sp.example/acs".into()),
            certificate: Some(make_cert("sp", 3)),
        },
        policy: SecurityPolicy {
            signature: SignatureRequirement::Both,
            require_encrypted_assertion: true,
            clock_skew_seconds: 30,
            allow_idp_initiated: false,
            allow_sha1: true,
            sign_authn_requests: true,
            allow_missing_destination: true,
        },
        metadata_xml: "<md:EntityDescriptor entityID=\"x\">ünïcödé</md:EntityDescriptor>".into(),
        metadata_source: "https://idp.example/metadata?x=1".into(),
        oidc: None,
    }
}

/// A connection with everything optional left out.
fn minimal(name: &str) -> NewConnection {
    NewConnection {
        name: name.into(),
        idp: IdpDescriptor {
            entity_id: "urn:idp".into(),
            sso: vec![],
            slo: vec![],
            name_id_formats: vec![],
            signing_certificates: vec![],
            want_authn_requests_signed: false,
            valid_until: None,
        },
        sp: SpConfig::default(),
        policy: SecurityPolicy::default(),
        metadata_xml: String::new(),
        metadata_source: "stdin".into(),
        oidc: None,
    }
}

fn expected(id: i64, c: &NewConnection, now: DateTime<Utc>) -> Connection {
    Connection {
        id,
        name: c.name.clone(),
        idp: c.idp.clone(),
        sp: c.sp.clone(),
        policy: c.policy.clone(),
        metadata_xml: c.metadata_xml.clone(),
        metadata_source: c.metadata_source.clone(),
        metadata_imported_at: now,
        created_at: now,
        updated_at: now,
        oidc: c.oidc.clone(),
    }
}

fn count(store: &Store, table: &str) -> i64 {
    crate::sql(store).query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap()
}

#[test]
fn round_trip_of_every_field_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.db");
    let now = t(1_750_000_000, 987_654_321);
    let (c, m) = (full("okta-prod"), minimal("bare"));
    let (inserted, inserted_min) = {
        let store = Store::open(&path).unwrap();
        let inserted = store.insert_connection(&c, now).unwrap();
        let inserted_min = store.insert_connection(&m, now).unwrap();
        assert_eq!(inserted, expected(inserted.id, &c, now));
        assert_eq!(inserted_min, expected(inserted_min.id, &m, now));
        assert_ne!(inserted.id, inserted_min.id);
        assert_eq!(store.get_connection("okta-prod").unwrap(), inserted);
        (inserted, inserted_min)
    };
    let store = Store::open(&path).unwrap();
    let got = store.get_connection("okta-prod").unwrap();
    assert_eq!(got, inserted);
    // Order matters: any rollover certificate may sign, and the UI lists them as in metadata.
    let subjects: Vec<_> = got.idp.signing_certificates.iter().map(|c| c.subject.clone()).collect();
    assert_eq!(subjects[0], "CN=second");
    assert_eq!(subjects[2], "CN=first");
    assert_eq!(got.idp.sso[0].binding, BINDING_HTTP_REDIRECT);
    assert_eq!(store.get_connection("bare").unwrap(), inserted_min);
    assert_eq!(store.get_connection_by_id(inserted.id).unwrap(), inserted);
    assert_eq!(store.path(), Some(path.as_path()));
}

#[test]
fn times_are_fixed_width_rfc3339_utc() {
    let store = Store::open_in_memory().unwrap();
    store.insert_connection(&full("a"), t(1_750_000_000, 0)).unwrap();
    let (created, valid_until, not_after): (String, String, String) = crate::sql(&store)
        .query_row(
            "SELECT c.created_at, c.valid_until, cc.not_after FROM connections c
             JOIN connection_certificates cc ON cc.connection_id = c.id WHERE cc.position = 0",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(created, "2025-06-15T15:06:40.000000000Z");
    assert_eq!(valid_until, "2030-03-17T17:46:40.123456789Z");
    assert_eq!(not_after, "2024-11-13T22:13:20.000000000Z");
}

#[test]
fn duplicate_name_is_already_exists() {
    let store = Store::open_in_memory().unwrap();
    store.insert_connection(&minimal("okta"), t(1, 0)).unwrap();
    let err = store.insert_connection(&full("okta"), t(2, 0)).unwrap_err();
    assert_eq!(err.code, ErrorCode::AlreadyExists);
    assert!(err.message.contains("\"okta\"") && err.message.contains("already exists"), "{}", err.message);
    assert_eq!(count(&store, "connections"), 1);
    assert_eq!(count(&store, "connection_certificates"), 0, "nothing of the refused insert is left");
}

#[test]
fn invalid_name_is_refused() {
    let store = Store::open_in_memory().unwrap();
    for name in ["", "has space", "slash/y", &"x".repeat(65)] {
        let err = store.insert_connection(&minimal(name), t(1, 0)).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput, "{name:?}");
    }
    let ok = store.insert_connection(&minimal("ok"), t(1, 0)).unwrap();
    let mut renamed = ok.clone();
    renamed.name = "not ok".into();
    assert_eq!(store.update_connection(&renamed, t(2, 0)).unwrap_err().code, ErrorCode::InvalidInput);
}

#[test]
fn only_parseable_public_certificates_are_stored() {
    let store = Store::open_in_memory().unwrap();
    // A private key smuggled in as the "certificate" is refused.
    let der = key().private_key_to_der().unwrap();
    let mut bogus = make_cert("sp", 9);
    bogus.der_base64 = base64_encode(&der);
    let mut c = minimal("sp-key");
    c.sp.certificate = Some(bogus.clone());
    let err = store.insert_connection(&c, t(1, 0)).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput, "{}", err.message);

    let mut c = minimal("idp-junk");
    bogus.der_base64 = "not base64!".into();
    c.idp.signing_certificates = vec![bogus];
    assert_eq!(store.insert_connection(&c, t(1, 0)).unwrap_err().code, ErrorCode::InvalidInput);
    assert_eq!(count(&store, "connections"), 0);
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn unknown_names_are_not_found() {
    let store = Store::open_in_memory().unwrap();
    for err in [store.get_connection("ghost").unwrap_err(), store.remove_connection("ghost").unwrap_err()] {
        assert_eq!(err.code, ErrorCode::NotFound);
        assert!(err.message.contains("\"ghost\""), "{}", err.message);
        assert!(!err.message.contains("handshake "), "the core names no CLI command: {}", err.message);
    }
    assert_eq!(store.get_connection_by_id(42).unwrap_err().code, ErrorCode::NotFound);
}

#[test]
fn list_is_ordered_by_name() {
    let store = Store::open_in_memory().unwrap();
    assert!(store.list_connections().unwrap().is_empty());
    for name in ["okta", "Azure", "adfs", "keycloak", "Zitadel"] {
        store.insert_connection(&full(name), t(1, 0)).unwrap();
    }
    let names: Vec<_> = store.list_connections().unwrap().into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["adfs", "Azure", "keycloak", "okta", "Zitadel"]);
    let listed = store.list_connections().unwrap();
    assert_eq!(listed[3], store.get_connection("okta").unwrap());
}

#[test]
fn update_replaces_everything_and_bumps_updated_at() {
    let store = Store::open_in_memory().unwrap();
    let created = t(1_000, 0);
    let original = store.insert_connection(&full("okta"), created).unwrap();
    let other = store.insert_connection(&minimal("other"), created).unwrap();

    let mut changed = original.clone();
    changed.name = "okta-renamed".into();
    changed.idp.entity_id = "urn:new".into();
    changed.idp.signing_certificates = vec![make_cert("new", 10)];
    changed.idp.sso = vec![endpoint(BINDING_HTTP_POST, "https://new/sso")];
    changed.idp.slo = vec![];
    changed.idp.name_id_formats = vec!["urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified".into()];
    changed.idp.want_authn_requests_signed = false;
    changed.idp.valid_until = None;
    changed.sp = SpConfig { entity_id: None, acs_url: Some("http://127.0.0.1:9/acs".into()), certificate: None };
    changed.policy = SecurityPolicy::default();
    changed.metadata_xml = "<new/>".into();
    changed.metadata_source = "/tmp/new.xml".into();
    changed.metadata_imported_at = t(1_500, 0);
    changed.created_at = t(0, 0); // ignored: creation time is the catalog's
    changed.updated_at = t(0, 0); // ignored: set from `now`

    let later = t(2_000, 5);
    let updated = store.update_connection(&changed, later).unwrap();
    let want = Connection { created_at: created, updated_at: later, ..changed.clone() };
    assert_eq!(updated, want);
    assert_eq!(store.get_connection("okta-renamed").unwrap(), want);
    assert_eq!(store.get_connection("okta").unwrap_err().code, ErrorCode::NotFound);
    assert_eq!(count(&store, "connection_certificates"), 1, "old certificates are replaced");
    assert_eq!(count(&store, "connection_endpoints"), 1);
    assert_eq!(count(&store, "connection_name_id_formats"), 1);
    assert_eq!(store.get_connection("other").unwrap(), other, "the other connection is untouched");

    // Renaming onto another connection's name is refused and changes nothing.
    let mut clash = updated.clone();
    clash.name = "other".into();
    clash.idp.signing_certificates = vec![];
    let err = store.update_connection(&clash, t(3_000, 0)).unwrap_err();
    assert_eq!(err.code, ErrorCode::AlreadyExists);
    assert_eq!(store.get_connection("okta-renamed").unwrap(), want);

    // Updating a connection that was removed meanwhile.
    store.remove_connection("okta-renamed").unwrap();
    let err = store.update_connection(&updated, t(4_000, 0)).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(count(&store, "connection_certificates"), 0);
}

#[test]
fn remove_cascades_to_child_rows() {
    let store = Store::open_in_memory().unwrap();
    let keep = store.insert_connection(&full("keep"), t(1, 0)).unwrap();
    store.insert_connection(&full("drop"), t(1, 0)).unwrap();
    assert_eq!(count(&store, "connection_certificates"), 6);
    assert_eq!(count(&store, "connection_endpoints"), 6);
    assert_eq!(count(&store, "connection_name_id_formats"), 4);
    store.remove_connection("drop").unwrap();
    assert_eq!(count(&store, "connections"), 1);
    assert_eq!(count(&store, "connection_certificates"), 3);
    assert_eq!(count(&store, "connection_endpoints"), 3);
    assert_eq!(count(&store, "connection_name_id_formats"), 2);
    assert_eq!(store.get_connection("keep").unwrap(), keep);
    assert_eq!(store.remove_connection("drop").unwrap_err().code, ErrorCode::NotFound);
}

#[test]
fn a_failing_child_write_rolls_back_the_whole_insert_and_update() {
    let store = Store::open_in_memory().unwrap();
    crate::sql(&store)
        .execute_batch(
            "CREATE TEMP TRIGGER boom BEFORE INSERT ON connection_endpoints
             WHEN NEW.location = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END;",
        )
        .unwrap();
    let mut c = full("atomic");
    c.idp.slo = vec![endpoint(BINDING_HTTP_POST, "boom")];
    assert_eq!(store.insert_connection(&c, t(1, 0)).unwrap_err().code, ErrorCode::Conflict);
    for table in ["connections", "connection_certificates", "connection_endpoints", "connection_name_id_formats"] {
        assert_eq!(count(&store, table), 0, "{table}");
    }

    let stored = store.insert_connection(&full("atomic"), t(1, 0)).unwrap();
    let mut broken = stored.clone();
    broken.metadata_source = "changed".into();
    broken.idp.slo = vec![endpoint(BINDING_HTTP_POST, "boom")];
    assert_eq!(store.update_connection(&broken, t(2, 0)).unwrap_err().code, ErrorCode::Conflict);
    assert_eq!(store.get_connection("atomic").unwrap(), stored);
    // The store is still usable after a failed transaction.
    store.insert_connection(&minimal("after"), t(3, 0)).unwrap();
}

#[test]
fn corrupt_rows_are_storage_errors_not_panics() {
    let corruptions = [
        "UPDATE connections SET policy = '{not json'",
        "UPDATE connections SET policy = 'null'",
        "UPDATE connections SET created_at = 'yesterday'",
        "UPDATE connections SET valid_until = '2030-13-45'",
        "UPDATE connections SET sp_certificate = 'AAAA'",
        "UPDATE connections SET sp_certificate = '%%%'",
        "UPDATE connection_certificates SET der = x'3082' WHERE position = 1",
        "UPDATE connection_certificates SET sha256_fingerprint = 'AA:BB' WHERE position = 0",
        "UPDATE connection_certificates SET der = 'text, not a blob' WHERE position = 0",
        "UPDATE connections SET metadata_xml = CAST(x'C328' AS TEXT)", // invalid UTF-8
        "UPDATE connections SET idp_entity_id = x'FFFE'",
    ];
    for sql in corruptions {
        let store = Store::open_in_memory().unwrap();
        store.insert_connection(&full("victim"), t(1, 0)).unwrap();
        crate::sql(&store).execute_batch(sql).unwrap();
        let err = store.get_connection("victim").unwrap_err();
        assert_eq!(err.code, ErrorCode::Storage, "{sql}: {}", err.message);
        assert_eq!(store.list_connections().unwrap_err().code, ErrorCode::Storage, "{sql}");
        // It can still be removed, and the catalog works on.
        store.remove_connection("victim").unwrap();
        assert!(store.list_connections().unwrap().is_empty());
    }
}

fn pragma<T: rusqlite::types::FromSql>(store: &Store, name: &str) -> T {
    crate::sql(store).pragma_query_value(None, name, |r| r.get(0)).unwrap()
}

#[test]
fn open_sets_wal_foreign_keys_and_busy_timeout_and_creates_directories() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/c/handshake.db");
    let store = Store::open(&path).unwrap();
    assert!(path.is_file());
    assert_eq!(pragma::<String>(&store, "journal_mode"), "wal");
    assert_eq!(pragma::<i64>(&store, "foreign_keys"), 1);
    assert_eq!(pragma::<i64>(&store, "busy_timeout"), 5000);
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);

    let mem = Store::open_in_memory().unwrap();
    assert_eq!(pragma::<i64>(&mem, "foreign_keys"), 1);
    assert_eq!(mem.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(mem.path(), None);
}

#[test]
fn migrations_are_idempotent_on_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("handshake.db");
    let first = Store::open(&path).unwrap().insert_connection(&full("okta"), t(1, 0)).unwrap();
    let schema = |store: &Store| -> Vec<String> {
        let mut stmt =
            crate::sql(store).prepare("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    let before = schema(&Store::open(&path).unwrap());
    for _ in 0..3 {
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        assert_eq!(schema(&store), before);
        assert_eq!(store.list_connections().unwrap(), vec![first.clone()]);
    }
}

#[test]
fn concurrent_first_opens_migrate_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("race.db");
    let handles: Vec<_> = (0..6)
        .map(|i| {
            let path = path.clone();
            std::thread::spawn(move || {
                let store = Store::open(&path).unwrap();
                store.insert_connection(&minimal(&format!("c{i}")), t(1, 0)).unwrap();
                store.schema_version().unwrap()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), SCHEMA_VERSION);
    }
    assert_eq!(Store::open(&path).unwrap().list_connections().unwrap().len(), 6);
}

#[test]
fn a_database_from_a_newer_build_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    {
        let store = Store::open(&path).unwrap();
        store.insert_connection(&minimal("okta"), t(1, 0)).unwrap();
        crate::sql(&store).pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
    }
    let err = Store::open(&path).unwrap_err();
    assert_eq!(err.code, ErrorCode::Storage);
    assert!(err.message.contains(&format!("schema version {}", SCHEMA_VERSION + 1)), "{}", err.message);
    assert!(err.message.contains("newer"), "{}", err.message);
    assert!(err.message.contains("future.db"), "{}", err.message);
    // Refusing did not touch it.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(v, SCHEMA_VERSION + 1);
}

#[test]
fn files_that_are_not_handshake_catalogs_are_refused() {
    let dir = tempfile::tempdir().unwrap();

    let other_app = dir.path().join("other.sqlite");
    {
        let conn = rusqlite::Connection::open(&other_app).unwrap();
        conn.pragma_update(None, "application_id", 0x1234_5678).unwrap();
        conn.execute_batch("CREATE TABLE notes (body TEXT)").unwrap();
    }
    let err = Store::open(&other_app).unwrap_err();
    assert_eq!(err.code, ErrorCode::Storage);
    assert!(err.message.contains("not a Handshake catalog"), "{}", err.message);

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "this is not a database, just some text that is long enough ".repeat(20)).unwrap();
    let err = Store::open(&text).unwrap_err();
    assert_eq!(err.code, ErrorCode::Storage);
    assert!(err.message.contains("notes.txt"), "{}", err.message);
}

#[test]
fn two_handles_on_one_file_see_each_others_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    let a = Store::open(&path).unwrap();
    let b = Store::open(&path).unwrap();
    let from_a = a.insert_connection(&full("from-a"), t(1, 0)).unwrap();
    assert_eq!(b.get_connection("from-a").unwrap(), from_a);
    let from_b = b.insert_connection(&minimal("from-b"), t(2, 0)).unwrap();
    assert_eq!(a.get_connection("from-b").unwrap(), from_b);
    assert_eq!(b.insert_connection(&minimal("from-a"), t(3, 0)).unwrap_err().code, ErrorCode::AlreadyExists);
    b.remove_connection("from-a").unwrap();
    assert_eq!(a.list_connections().unwrap(), vec![from_b]);

    // A Store can move to another thread.
    let moved = std::thread::spawn(move || a.list_connections().unwrap().len()).join().unwrap();
    assert_eq!(moved, 1);
}

#[test]
fn no_column_can_hold_a_secret() {
    let store = Store::open_in_memory().unwrap();
    let raw = crate::sql(&store);
    let mut tables = raw
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap();
    let tables: Vec<String> = tables.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    assert!(tables.contains(&"connections".to_owned()), "{tables:?}");
    let mut checked = 0;
    for table in &tables {
        let mut stmt = raw.prepare("SELECT name FROM pragma_table_info(?1)").unwrap();
        let columns: Vec<String> = stmt.query_map([table], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        let mut stmt = raw.prepare("SELECT \"from\" FROM pragma_foreign_key_list(?1)").unwrap();
        let foreign_keys: Vec<String> = stmt.query_map([table], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        for column in columns {
            let lower = column.to_ascii_lowercase();
            for word in ["secret", "password", "passphrase", "private"] {
                assert!(!lower.contains(word), "{table}.{column} looks like it could hold a secret");
            }
            // A bearer token (SCIM's) lives in the secret store: only a token's generation
            // and the OIDC token endpoint's URL may be named so.
            assert!(
                !lower.contains("token") || ["token_generation", "token_endpoint"].contains(&lower.as_str()),
                "{table}.{column} looks like it could hold a token"
            );
            // "key" is allowed only in a column that is a foreign key (a reference, not key material).
            assert!(
                !lower.contains("key") || foreign_keys.contains(&column),
                "{table}.{column} looks like it could hold key material; private keys belong in the secret store"
            );
            checked += 1;
        }
    }
    assert!(checked >= 14, "checked only {checked} columns");
}

#[test]
fn resolve_path_precedence() {
    let cli = Path::new("/from/cli.db");
    let env = std::ffi::OsStr::new("/from/env.db");
    let default = Store::default_path().unwrap();
    assert!(default.ends_with("handshake.db"), "{}", default.display());
    assert_eq!(Store::resolve_path_from(Some(cli), Some(env)).unwrap(), cli);
    assert_eq!(Store::resolve_path_from(Some(cli), None).unwrap(), cli);
    assert_eq!(Store::resolve_path_from(None, Some(env)).unwrap(), PathBuf::from(env));
    assert_eq!(Store::resolve_path_from(None, Some(std::ffi::OsStr::new(""))).unwrap(), default);
    assert_eq!(Store::resolve_path_from(None, None).unwrap(), default);
    assert_eq!(Store::resolve_path_from(Some(Path::new("")), Some(env)).unwrap_err().code, ErrorCode::InvalidInput);
}

#[cfg(target_os = "linux")]
#[test]
fn default_path_follows_xdg_data_home() {
    let out = run_child(&[("XDG_DATA_HOME", Some("/xdg/data")), ("HANDSHAKE_DB", None)]);
    assert!(out.contains("RESOLVED_NONE=/xdg/data/handshake/handshake.db\n"), "{out}");
}

const CHILD_MARKER: &str = "HANDSHAKE_STORE_TEST_CHILD";

/// Runs only when re-executed by `run_child`: reports what `resolve_path` sees in its environment.
#[test]
fn resolve_path_child() {
    if std::env::var_os(CHILD_MARKER).is_none() {
        return;
    }
    let none = Store::resolve_path(None).unwrap();
    let cli = Store::resolve_path(Some(Path::new("/from/cli.db"))).unwrap();
    println!("RESOLVED_NONE={}", none.display());
    println!("RESOLVED_CLI={}", cli.display());
}

/// Re-executes this test binary for `resolve_path_child` with `env` set (or removed): setting
/// variables in this process would be `unsafe`, and the other tests run concurrently.
fn run_child(env: &[(&str, Option<&str>)]) -> String {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["store::resolve_path_child", "--exact", "--nocapture", "--test-threads=1"]).env(CHILD_MARKER, "1");
    for (name, value) in env {
        match value {
            Some(v) => cmd.env(name, v),
            None => cmd.env_remove(name),
        };
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "child failed: {stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("RESOLVED_NONE="), "the child test did not run: {stdout}");
    stdout
}

#[test]
fn resolve_path_reads_handshake_db_from_the_environment() {
    let out = run_child(&[("HANDSHAKE_DB", Some("/from/env.db"))]);
    assert!(out.contains("RESOLVED_NONE=/from/env.db\n"), "{out}");
    assert!(out.contains("RESOLVED_CLI=/from/cli.db\n"), "--db wins over the environment: {out}");

    let out = run_child(&[("HANDSHAKE_DB", None)]);
    let default = Store::default_path().unwrap();
    assert!(out.contains(&format!("RESOLVED_NONE={}\n", default.display())), "{out}");
    assert!(out.contains("RESOLVED_CLI=/from/cli.db\n"), "{out}");
}

/// Migration 7 (OpenID Connect, issue #14) on a catalog an older Handshake left at
/// version 6: its connections become SAML ones, its test logins hold SAML XML, and the new
/// tables are there, empty.
#[test]
fn a_version_6_catalog_migrates_to_oidc_connections() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v6.db");
    // Migration 5 needs the catalog's SQL functions: let the store build the schema, then
    // take migrations 8 and 7 back out, leaving the version-6 schema an older Handshake wrote.
    drop(Store::open(&path).unwrap());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP TABLE scim_login_views; DROP TABLE scim_requests; DROP TABLE scim_group_members;
             DROP TABLE scim_resources; DROP TABLE connection_scim; ALTER TABLE user_identities DROP COLUMN origin;
             ALTER TABLE audit_log DROP COLUMN request; ALTER TABLE users DROP COLUMN field_sources;
             DROP TABLE oidc_requests; DROP TABLE connection_oidc;
             ALTER TABLE connections DROP COLUMN protocol; ALTER TABLE test_logins DROP COLUMN document_format;
             PRAGMA user_version = 6;",
        )
        .unwrap();
        conn.execute_batch(
            "INSERT INTO connections (id, name, idp_entity_id, want_authn_requests_signed, metadata_xml, metadata_source,
                metadata_imported_at, policy, created_at, updated_at)
             VALUES (1, 'corp', 'https://idp.corp.example', 0, '<x/>', 'test', '2026-01-01T00:00:00.000000000Z', '{}',
                '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z');
             INSERT INTO test_logins (at, connection_id, connection_name, kind, outcome, report)
             VALUES ('2026-01-01T00:00:00.000000000Z', 1, 'corp', 'sp_initiated', 'rejected', '{}');",
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), 8, "up to the newest schema");
    let c = store.get_connection("corp").unwrap();
    assert_eq!((c.protocol(), c.oidc), (handshake::connection::Protocol::Saml, None));
    let raw = crate::sql(&store);
    let (protocol, format): (String, String) = raw
        .query_row("SELECT protocol, (SELECT document_format FROM test_logins) FROM connections", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((protocol.as_str(), format.as_str()), ("saml", "saml_xml"));
    for table in ["connection_oidc", "oidc_requests"] {
        let n: i64 = raw.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap();
        assert_eq!(n, 0, "{table}");
    }
    assert!(raw.execute("UPDATE connections SET protocol = 'ws-fed'", []).is_err(), "protocol is checked");
}

/// A catalog as Handshake wrote it at schema version 7 (migrations 1 to 7, with the catalog's
/// SQL functions stood in for), with data in it.
fn version_7_catalog(path: &Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    for name in ["handshake_email_key", "handshake_email_skeleton", "handshake_domain_key", "handshake_subject_fold"] {
        conn.create_scalar_function(name, 1, rusqlite::functions::FunctionFlags::SQLITE_DETERMINISTIC, |ctx| {
            ctx.get::<Option<String>>(0).map(|v| v.map(|s| s.to_lowercase()))
        })
        .unwrap();
    }
    for (version, sql) in &handshake::store::migrations::MIGRATIONS[..7] {
        conn.execute_batch(sql).unwrap_or_else(|e| panic!("migration {version}: {e}"));
    }
    conn.execute_batch(&format!(
        "PRAGMA user_version = 7; PRAGMA application_id = {};
         INSERT INTO connections (id, name, idp_entity_id, want_authn_requests_signed, policy, metadata_xml,
                                  metadata_source, metadata_imported_at, created_at, updated_at)
           VALUES (1, 'corp', 'https://idp', 0, '{{}}', '<x/>', 'file', '2026-01-01T00:00:00Z',
                   '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
         INSERT INTO users (id, connection_id, email, email_canonical, status, source, groups, created_at, updated_at,
                            login_count, first_login)
           VALUES (7, 1, 'ada@example.com', 'ada@example.com', 'active', 'jit', '[\"eng\"]',
                   '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 3, '2026-01-01T00:00:00Z'),
                  (8, NULL, 'root@example.com', NULL, 'deactivated', 'manual', '[]',
                   '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 0, NULL);
         INSERT INTO user_identities (connection_id, subject, user_id, linked, created_at, subject_fold)
           VALUES (1, 'ada', 7, 0, '2026-01-01T00:00:00Z', 'ada');
         INSERT INTO audit_log (at, connection_id, connection_name, subject, outcome, user_id, diff, kind)
           VALUES ('2026-01-01T00:00:00Z', 1, 'corp', 'ada', 'created', 7, '[]', 'login');
         INSERT INTO audit_log (at, connection_id, connection_name, diff, kind, actor, action)
           VALUES ('2026-01-02T00:00:00Z', 1, 'corp', '[]', 'admin', 'root', 'policy_change');",
        handshake::store::migrations::APPLICATION_ID
    ))
    .unwrap();
}

/// Names of the schema objects of one kind on a table.
fn objects(conn: &rusqlite::Connection, kind: &str, table: &str) -> Vec<String> {
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = ?1 AND tbl_name = ?2 AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap();
    stmt.query_map([kind, table], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

#[test]
fn a_version_7_catalog_with_data_migrates_to_scim_with_its_indexes_triggers_and_references() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v7.db");
    version_7_catalog(&path);
    let before: Vec<(String, Vec<String>, Vec<String>)> = {
        let conn = rusqlite::Connection::open(&path).unwrap();
        ["users", "audit_log", "user_identities"]
            .iter()
            .map(|t| (t.to_string(), objects(&conn, "index", t), objects(&conn, "trigger", t)))
            .collect()
    };
    assert!(before[1].2.len() == 2, "the v7 audit log has its two append-only triggers: {before:?}");

    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let raw = crate::sql(&store);
    for (table, indexes, triggers) in &before {
        let (now_indexes, now_triggers) = (objects(raw, "index", table), objects(raw, "trigger", table));
        for index in indexes {
            assert!(now_indexes.contains(index), "{table} lost index {index}: {now_indexes:?}");
        }
        assert_eq!(&now_triggers, triggers, "{table}'s triggers");
    }
    assert!(objects(raw, "index", "scim_resources").contains(&"scim_resources_user_name".to_owned()));
    // The data came through, with the new columns' defaults.
    let users: Vec<(i64, String, String, String, i64)> = raw
        .prepare("SELECT id, source, status, field_sources, login_count FROM users ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        users,
        [
            (7, "jit".into(), "active".into(), "{}".into(), 3),
            (8, "manual".into(), "deactivated".into(), "{}".into(), 0)
        ]
    );
    let origin: String = raw.query_row("SELECT origin FROM user_identities", [], |r| r.get(0)).unwrap();
    assert_eq!(origin, "login");
    let audit: Vec<(String, Option<String>, Option<String>)> = raw
        .prepare("SELECT kind, action, request FROM audit_log ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(audit, [("login".into(), None, None), ("admin".into(), Some("policy_change".into()), None)]);
    // Foreign keys are on and hold; the audit log is still append-only; the new values fit.
    let on: bool = raw.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
    assert!(on);
    let broken: i64 = raw.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0)).unwrap();
    assert_eq!(broken, 0);
    assert!(raw.execute("UPDATE audit_log SET subject = 'x'", []).is_err());
    assert!(raw.execute("DELETE FROM audit_log", []).is_err());
    raw.execute("INSERT INTO users (connection_id, source, created_at, updated_at) VALUES (1, 'scim', 'a', 'a')", [])
        .unwrap();
    assert!(raw.execute("INSERT INTO users (source, created_at, updated_at) VALUES ('ldap', 'a', 'a')", []).is_err());
    raw.execute(
        "INSERT INTO audit_log (at, connection_name, kind, actor, action, request) \
         VALUES ('b', 'corp', 'scim', 'scim', 'scim_create_user', '{}')",
        [],
    )
    .unwrap();
    assert!(
        raw.execute(
            "INSERT INTO audit_log (at, connection_name, kind, actor, action) VALUES ('b', 'corp', 'scim', 'eve', 'x')",
            []
        )
        .is_err(),
        "a SCIM row's actor is scim"
    );
    // Removing the account cascades its identity and unlinks its SCIM resource.
    raw.execute(
        "INSERT INTO scim_resources (connection_id, id, resource_type, name, user_id, document, created_at, last_modified) \
         VALUES (1, 'r1', 'User', 'ada', 7, '{}', 'a', 'a')",
        [],
    )
    .unwrap();
    raw.execute("DELETE FROM users WHERE id = 7", []).unwrap();
    let (identities, linked): (i64, Option<i64>) = raw
        .query_row("SELECT (SELECT count(*) FROM user_identities), (SELECT user_id FROM scim_resources)", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((identities, linked), (0, None));
}
