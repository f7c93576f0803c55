//! Identity hardening (issue #11): identifiers compared as sent, the canonical email form,
//! linking only with verified provenance on both sides, denials instead of constraint
//! errors, the catalog-wide replay cache, and what a login may store.

use chrono::Duration;
use handshake::idp::sign::to_post_form_value;
use handshake::provision::{MappingDocument, Outcome, UserSource};
use handshake::workbench::ProvisionReport;
use serde_json::Value;

use crate::provisioning::{Bench, open_workbench};
use crate::validation::generator;

fn t0() -> chrono::DateTime<chrono::Utc> {
    generator::judged_at()
}

/// A signed response for `subject` whose `email` attribute is `email`.
fn signed(b: &Bench, subject: &str, email: &str) -> String {
    b.response(subject, &[("email", &[email]), ("firstName", &["Pat"]), ("lastName", &["Doe"])])
}

fn linking_mapping(verified: &[&str]) -> MappingDocument {
    let mut doc = MappingDocument::default();
    doc.provisioning.link_by_email = true;
    doc.provisioning.verified_domains = verified.iter().map(|d| (*d).to_owned()).collect();
    doc
}

fn count(b: &Bench, sql: &str) -> i64 {
    crate::sql(b.wb.store()).query_row(sql, [], |r| r.get(0)).unwrap()
}

#[track_caller]
fn assert_denied(r: &ProvisionReport, code: &str) {
    assert_eq!((r.outcome, r.reason()), (Outcome::Denied, Some(code)), "{:?}", r.message());
}

// ---- identifiers are compared as sent ----

#[test]
fn regression_unicode_space_around_a_nameid_is_never_that_subject() {
    for space in ['\u{a0}', '\u{2003}', '\u{3000}', '\u{2028}', '\u{85}', '\u{2009}', '\u{feff}', '\u{200b}'] {
        let b = Bench::new();
        let ada = b.login(&signed(&b, "ada@example.com", "ada@example.com")).user.unwrap();
        for subject in [format!("ada@example.com{space}"), format!("{space}ada@example.com")] {
            let r = b.login(&signed(&b, &subject, "eve@evil.example"));
            let hex = format!("U+{:04X}", u32::from(space));
            // Not ada's account: a recorded refusal, as it would look like her on screen.
            assert_denied(&r, "subject_case_conflict");
            assert_eq!(b.wb.user(ada.id).unwrap().identities.len(), 1, "{hex}");
        }
        // Without ada, the same value is simply another subject.
        let fresh = Bench::new();
        let r = fresh.login(&signed(&fresh, &format!("ada@example.com{space}"), "eve@evil.example"));
        assert_eq!(r.outcome, Outcome::Created);
        assert_eq!(r.user.unwrap().identities[0].subject, format!("ada@example.com{space}"));
    }
}

#[test]
fn xml_whitespace_around_a_nameid_is_formatting_and_the_trace_says_so() {
    let b = Bench::new();
    let ada = b.login(&signed(&b, "ada@example.com", "ada@example.com")).user.unwrap();
    let r = b.login(&signed(&b, "\n   ada@example.com\t\n", "ada@example.com"));
    assert_eq!((r.outcome, r.user.as_ref().map(|u| u.id)), (Outcome::Unchanged, Some(ada.id)));
    let notes = r.trace.unwrap().notes;
    assert!(notes.iter().any(|n| n.starts_with("NameID: XML whitespace")), "{notes:?}");
}

#[test]
fn regression_unicode_space_in_issuer_and_audience_is_not_trimmed() {
    let b = Bench::new();
    let issuer = b.response_with("ada@example.com", &[("email", &["ada@example.com"])], |s| {
        s.assertion_issuer = format!("{}\u{a0}", generator::IDP_ENTITY_ID);
        s.response_issuer = None;
    });
    let r = b.login(&issuer);
    assert_eq!((r.outcome, r.failed_check.map(handshake::login::Stop::as_str)), (Outcome::Rejected, Some("issuer")));
    let audience = b.response_with("ada@example.com", &[("email", &["ada@example.com"])], |s| {
        s.audiences = vec![format!("\u{2003}{}", generator::SP_ENTITY_ID)];
    });
    let r = b.login(&audience);
    assert_eq!((r.outcome, r.failed_check.map(handshake::login::Stop::as_str)), (Outcome::Rejected, Some("audience")));
    // XML whitespace is formatting: accepted, and said.
    let pretty = b.response_with("ada@example.com", &[("email", &["ada@example.com"])], |s| {
        s.audiences = vec![format!("\n  {}\n", generator::SP_ENTITY_ID)];
    });
    let r = b.login(&pretty);
    assert_eq!(r.outcome, Outcome::Created, "{:?}", r.message());
    assert!(r.trace.unwrap().notes.iter().any(|n| n.starts_with("Audience: XML whitespace")));
}

#[test]
fn regression_subject_differing_only_by_case_is_a_recorded_denial() {
    // Linking on: the case variant would otherwise try to link to the same account at the
    // same connection and hit the identity table's constraint (an HTTP 500 on main).
    let b = Bench::new().with_mapping(&linking_mapping(&["example.com"]));
    let ada = b.login(&signed(&b, "ada@example.com", "ada@example.com")).user.unwrap();
    let before = count(&b, "SELECT count(*) FROM audit_log");
    let t = b.wb.complete_login("acme", &signed(&b, "Ada@Example.com", "Ada@Example.com"), t0()).unwrap();
    assert_denied(&t.report, "subject_case_conflict");
    assert!(t.report.message().unwrap().contains("ada@example.com"));
    assert_eq!(count(&b, "SELECT count(*) FROM audit_log"), before + 1);
    assert_eq!(b.wb.test_login(t.id).unwrap().report.reason(), Some("subject_case_conflict"));
    assert_eq!(b.wb.user(ada.id).unwrap().identities.len(), 1);
    // Look-alike characters count the same (Cyrillic a).
    let r = b.login(&signed(&b, "\u{430}da@example.com", "someone@other.example"));
    assert_denied(&r, "subject_case_conflict");
    // Different plain-ASCII subjects that merely share a skeleton are different people.
    for (first, second) in [("mary@example.com", "rnary@example.com"), ("moore", "rnoore"), ("bill1", "billl")] {
        assert_eq!(b.login(&signed(&b, first, &format!("x-{first}"))).outcome, Outcome::Created);
        let r = b.login(&signed(&b, second, &format!("x-{second}")));
        assert_eq!(r.outcome, Outcome::Created, "{second}: {:?}", r.message());
    }
}

#[test]
fn regression_second_subject_linking_at_the_same_connection_is_a_recorded_denial() {
    let b = Bench::new().with_mapping(&linking_mapping(&["example.com"]));
    let ada = b.login(&signed(&b, "ada-1", "ada@example.com")).user.unwrap();
    let t = b.wb.complete_login("acme", &signed(&b, "ada-2", "ada@example.com"), t0()).unwrap();
    assert_denied(&t.report, "identity_conflict");
    let linking = t.report.trace.unwrap().linking;
    assert!(linking.last().is_some_and(|s| !s.passed && s.rule.contains("no other identity")), "{linking:?}");
    assert_eq!(b.wb.user(ada.id).unwrap().identities.len(), 1);
    assert_eq!(b.wb.test_logins(Some("acme"), 10).unwrap()[0].outcome, Outcome::Denied);
}

#[test]
fn regression_constraint_failure_during_a_login_becomes_a_recorded_denial() {
    let b = Bench::new();
    crate::sql(b.wb.store())
        .execute_batch(
            "CREATE TEMP TRIGGER refuse BEFORE INSERT ON users WHEN NEW.email = 'boom@example.com' \
             BEGIN SELECT RAISE(ABORT, 'a rule of the directory'); END;",
        )
        .unwrap();
    let audit = count(&b, "SELECT count(*) FROM audit_log");
    let t = b.wb.complete_login("acme", &signed(&b, "boom", "boom@example.com"), t0()).unwrap();
    assert_denied(&t.report, "conflict");
    assert!(t.report.message().unwrap().contains("a rule of the directory"));
    assert_eq!(count(&b, "SELECT count(*) FROM users"), 0);
    assert_eq!(count(&b, "SELECT count(*) FROM user_identities"), 0);
    assert_eq!(count(&b, "SELECT count(*) FROM audit_log"), audit + 1);
    assert_eq!(count(&b, "SELECT count(*) FROM test_logins"), 1);
    // The CLI path records it the same way.
    let r = b.login(&signed(&b, "boom", "boom@example.com"));
    assert_denied(&r, "conflict");
}

// ---- the canonical email form ----

#[test]
fn regression_unicode_lowercasing_cannot_make_an_address_equal_another() {
    // The default mapping lowercases emails. U+212A KELVIN SIGN lowercases to ASCII "k":
    // with linking on and the domain verified, "\u{212a}ate@" became Kate's address.
    let b = Bench::new().with_mapping(&linking_mapping(&["example.com"]));
    let kate = b.login(&signed(&b, "kate-sub", "kate@example.com")).user.unwrap();
    let r = b.login(&signed(&b, "mallory-sub", "\u{212a}ate@example.com"));
    assert_denied(&r, "email_confusable");
    assert!(r.user.is_none());
    assert_eq!(b.wb.user(kate.id).unwrap().identities.len(), 1);
    // Dotted capital I lowercases to i + a combining dot: never "ivan".
    let ivan = b.login(&signed(&b, "ivan-sub", "ivan@example.com")).user.unwrap();
    let r = b.login(&signed(&b, "other-sub", "\u{130}van@example.com"));
    assert_ne!(r.user.map(|u| u.id), Some(ivan.id));
}

#[test]
fn regression_look_alike_addresses_are_refused_where_they_would_collide() {
    let b = Bench::new();
    b.login(&signed(&b, "ada-sub", "ada@example.com"));
    // Cyrillic a in the local part, Cyrillic a in the domain.
    for look_alike in ["\u{430}da@example.com", "ada@ex\u{430}mple.com"] {
        let r = b.login(&signed(&b, &format!("sub-{look_alike}"), look_alike));
        assert_denied(&r, "email_confusable");
    }
    // Two different plain-ASCII addresses never count as look-alikes (m vs rn).
    assert_eq!(b.login(&signed(&b, "mary", "mary@example.com")).outcome, Outcome::Created);
    assert_eq!(b.login(&signed(&b, "rnary", "rnary@example.com")).outcome, Outcome::Created);
    // A real internationalised address is fine.
    assert_eq!(b.login(&signed(&b, "yonghu", "用户@例子.广告")).outcome, Outcome::Created);
}

#[test]
fn canonical_form_matches_ascii_case_and_idna_domains() {
    let b = Bench::new().with_mapping(&linking_mapping(&["exämple.com", "example.org"]));
    let first = b.login(&signed(&b, "one", "Ada@xn--exmple-cua.com")).user.unwrap();
    assert!(first.email_verified, "{first:?}");
    // Same address, Unicode domain and other ASCII case, at another connection: linked.
    b.wb.import_connection(&generator::fixture_connection("acme2"), t0()).unwrap();
    b.wb.set_mapping("acme2", &linking_mapping(&["EXÄMPLE.com"]), t0()).unwrap();
    let r = b.wb.provision("acme2", &signed(&b, "two", "ADA@exämple.com"), t0(), None, false).unwrap();
    assert_eq!((r.outcome, r.user.as_ref().map(|u| u.id)), (Outcome::Linked, Some(first.id)), "{:?}", r.message());
}

#[test]
fn unusable_addresses_are_stored_as_sent_and_flagged() {
    let b = Bench::new();
    let r = b.login(&signed(&b, "odd", "not an address"));
    assert_eq!(r.outcome, Outcome::Created);
    assert_eq!(r.user.unwrap().email.as_deref(), Some("not an address"));
    assert!(r.trace.unwrap().notes.iter().any(|n| n.contains("cannot be used to find or link accounts")));
}

// ---- linking needs verified provenance on both sides ----

#[test]
fn regression_account_from_an_unverified_connection_is_never_linked() {
    // The attacker's IdP ("partner") does not verify example.com; the real one ("acme") does.
    let b = Bench::new().with_mapping(&linking_mapping(&["example.com"]));
    b.wb.import_connection(&generator::fixture_connection("partner"), t0()).unwrap();
    b.wb.set_mapping("partner", &linking_mapping(&[]), t0()).unwrap();
    let planted = b.wb.provision("partner", &signed(&b, "mallory", "victim@example.com"), t0(), None, false).unwrap();
    assert_eq!(planted.outcome, Outcome::Created);
    let planted = planted.user.unwrap();
    assert!(!planted.email_verified);
    assert_eq!(planted.email_source.as_deref(), Some("partner"));
    // The victim signs in through the verified connection: not linked to the planted
    // account, which does not keep her out either: she gets her own, verified account.
    let r = b.login(&signed(&b, "victim", "victim@example.com"));
    assert_eq!(r.outcome, Outcome::Created, "{:?}", r.message());
    let victim = r.user.unwrap();
    assert_ne!(victim.id, planted.id);
    assert!(victim.email_verified);
    let trace = r.trace.unwrap();
    let rules: Vec<(&str, bool)> = trace.linking.iter().map(|s| (s.rule.as_str(), s.passed)).collect();
    assert_eq!(
        rules,
        vec![
            ("this connection lists the address's domain as verified", true),
            ("the account got the address from a source trusted for the domain", false),
        ]
    );
    assert!(trace.notes.iter().any(|n| n.contains(&format!("account {}", planted.id))));
    assert_eq!(b.wb.user(planted.id).unwrap().identities.len(), 1);
    // The planted account still cannot take the address over, nor be linked to later.
    let again = b.wb.provision("partner", &signed(&b, "mallory-2", "victim@example.com"), t0(), None, false).unwrap();
    assert_denied(&again, "link_domain_unverified");
    let verified_owners =
        count(&b, "SELECT count(*) FROM users WHERE email_canonical = 'victim@example.com' AND email_verified");
    assert_eq!(verified_owners, 1);
}

#[test]
fn linking_works_when_both_sides_are_verified() {
    let b = Bench::new().with_mapping(&linking_mapping(&["example.com"]));
    b.wb.import_connection(&generator::fixture_connection("second"), t0()).unwrap();
    b.wb.set_mapping("second", &linking_mapping(&["example.com"]), t0()).unwrap();
    let first = b.login(&signed(&b, "ada-at-acme", "ada@example.com")).user.unwrap();
    assert!(first.email_verified);
    let r = b.wb.provision("second", &signed(&b, "ada-at-second", "ADA@example.com"), t0(), None, false).unwrap();
    assert_eq!((r.outcome, r.user.as_ref().map(|u| u.id)), (Outcome::Linked, Some(first.id)));
    assert!(r.trace.unwrap().linking.iter().all(|s| s.passed));
}

// ---- replay: one cache for the whole catalog ----

#[test]
fn regression_an_assertion_is_consumed_once_across_duplicated_connections() {
    let b = Bench::new();
    b.wb.import_connection(&generator::fixture_connection("acme-copy"), t0()).unwrap();
    b.wb.duplicate_connection("acme", "acme-dup", t0()).unwrap();
    let response = signed(&b, "ada@example.com", "ada@example.com");
    assert_eq!(b.login(&response).outcome, Outcome::Created);
    for other in ["acme-copy", "acme-dup"] {
        let r = b.wb.provision(other, &response, t0(), None, false).unwrap();
        assert_eq!(
            (r.outcome, r.failed_check.map(handshake::login::Stop::as_str)),
            (Outcome::Rejected, Some("replay")),
            "{other}"
        );
    }
    let t = b.wb.complete_login("acme-copy", &response, t0()).unwrap();
    assert_eq!(t.report.failed_check.map(handshake::login::Stop::as_str), Some("replay"));
}

#[test]
fn consumed_ids_are_pruned_after_not_on_or_after_plus_the_largest_skew() {
    let b = Bench::new();
    b.login(&signed(&b, "ada@example.com", "ada@example.com"));
    assert_eq!(count(&b, "SELECT count(*) FROM consumed_ids"), 1);
    let expires: String =
        crate::sql(b.wb.store()).query_row("SELECT expires_at FROM consumed_ids", [], |r| r.get(0)).unwrap();
    // NotOnOrAfter is issued + 5 min; kept the largest allowed skew (10 min) beyond it.
    assert!(expires.starts_with("2026-01-15T10:15:00"), "{expires}");
    // A login two hours later prunes it.
    let later = generator::issued() + Duration::hours(2);
    let response = b.response_with("bob@example.com", &[("email", &["bob@example.com"])], |s| {
        s.issue_instant = later;
        s.not_before = Some(later - Duration::seconds(30));
        s.not_on_or_after = Some(later + Duration::minutes(5));
        s.subject_not_on_or_after = Some(later + Duration::minutes(5));
    });
    let r = b.wb.provision("acme", &response, later + Duration::minutes(1), None, false).unwrap();
    assert_eq!(r.outcome, Outcome::Created, "{:?}", r.message());
    assert_eq!(count(&b, "SELECT count(*) FROM consumed_ids"), 1);
}

#[test]
fn regression_outstanding_authn_requests_are_bounded() {
    let b = Bench::new();
    for _ in 0..(handshake::login::record::MAX_OUTSTANDING_REQUESTS + 25) {
        b.wb.start_login("acme", t0(), None).unwrap();
    }
    assert_eq!(count(&b, "SELECT count(*) FROM authn_requests"), handshake::login::record::MAX_OUTSTANDING_REQUESTS);
}

// ---- what a login stores for garbage ----

#[test]
fn regression_a_junk_post_stores_little() {
    let b = Bench::new();
    let junk = to_post_form_value(&"x".repeat(3 * 1024 * 1024));
    let t = b.wb.complete_login("acme", &junk, t0()).unwrap();
    assert_eq!(t.report.failed_check.map(handshake::login::Stop::as_str), Some("parse"));
    let (xml, report): (Option<String>, String) = crate::sql(b.wb.store())
        .query_row("SELECT response_xml, report FROM test_logins WHERE id = ?1", [t.id], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert!(xml.is_none());
    assert!(report.len() < 20_000, "{} bytes of report", report.len());
    let audit: i64 = count(&b, "SELECT max(length(coalesce(message, ''))) FROM audit_log");
    assert!(audit < 4_000, "{audit}");
    // A flood of junk keeps only the newest records of it.
    let small = to_post_form_value("junk");
    for _ in 0..handshake::login::record::MAX_KEPT_GARBAGE + 20 {
        b.wb.complete_login("acme", &small, t0()).unwrap();
    }
    assert_eq!(count(&b, "SELECT count(*) FROM test_logins"), handshake::login::record::MAX_KEPT_GARBAGE);

    // A Response whose unsigned StatusMessage is 2.5 MB: the document is cut, the message too.
    let status = format!(
        r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_big" Version="2.0" IssueInstant="2026-01-15T10:00:00Z"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"/><samlp:StatusMessage>{}</samlp:StatusMessage></samlp:Status></samlp:Response>"#,
        "m".repeat(2_500_000)
    );
    let t = b.wb.complete_login("acme", &to_post_form_value(&status), t0()).unwrap();
    let stored = b.wb.test_login(t.id).unwrap();
    assert_eq!(
        stored.response_xml.as_ref().map(String::len),
        Some(handshake::login::record::MAX_STORED_RESPONSE_BYTES)
    );
    assert_eq!(stored.response_xml_bytes, Some(status.len()));
    let json: Value = serde_json::to_value(&stored.report).unwrap();
    assert!(json.to_string().len() < 20_000);
    let total: i64 = count(
        &b,
        &format!("SELECT length(report) + length(coalesce(response_xml, '')) FROM test_logins WHERE id = {}", t.id),
    );
    assert!(total < 600_000, "{total}");
    let audit: i64 = count(&b, "SELECT max(length(coalesce(message, ''))) FROM audit_log");
    assert!(audit < 4_000, "{audit}");
}

// ---- migration of an older catalog ----

/// A catalog at schema version 4 (before this change), as an older Handshake left it.
pub fn version_4_catalog(path: &std::path::Path) -> rusqlite::Connection {
    use handshake::store::migrations::{APPLICATION_ID, MIGRATIONS};
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.pragma_update(None, "foreign_keys", false).unwrap();
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v <= 4) {
        conn.execute_batch(sql).unwrap();
        conn.pragma_update(None, "user_version", version).unwrap();
    }
    conn.pragma_update(None, "application_id", APPLICATION_ID).unwrap();
    conn
}

#[test]
fn a_version_4_catalog_migrates_emails_provenance_and_the_replay_cache() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let conn = version_4_catalog(&path);
        conn.execute_batch(
            r#"
            INSERT INTO connections (id, name, idp_entity_id, want_authn_requests_signed, metadata_xml, metadata_source,
                metadata_imported_at, policy, created_at, updated_at)
            VALUES (1, 'corp', 'https://idp.corp.example', 0, '<x/>', 'test', '2026-01-01T00:00:00.000000000Z', '{}',
                '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z');
            INSERT INTO connection_mappings (connection_id, document, updated_at)
            VALUES (1, '{"provisioning": {"verified_domains": ["Corp.Example"]}}', '2026-01-01T00:00:00.000000000Z');
            INSERT INTO users (id, connection_id, email, source, created_at, updated_at) VALUES
                (1, 1, 'Ada@corp.example', 'jit', '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z'),
                (2, 1, 'bob@partner.example', 'jit', '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z'),
                (3, NULL, 'root@corp.example', 'manual', '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z'),
                (4, 1, 'ivy@EXÄMPLE.com', 'jit', '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z'),
                (5, 1, 'ivy@exämple.com', 'jit', '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z');
            INSERT INTO user_identities (connection_id, subject, user_id, linked, created_at)
            VALUES (1, 'Ada', 1, 0, '2026-01-01T00:00:00.000000000Z');
            INSERT INTO used_assertions (connection_id, assertion_id, used_at)
            VALUES (1, '_a1', '2026-01-01T00:00:00.000000000Z');
            "#,
        )
        .unwrap();
    }
    let wb = open_workbench(&path);
    let raw = crate::sql(wb.store());
    let rows: Vec<(i64, Option<String>, bool, Option<String>)> = raw
        .prepare("SELECT id, email_canonical, email_verified, email_source FROM users ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        rows,
        vec![
            (1, Some("ada@corp.example".into()), true, Some("corp".into())),
            (2, Some("bob@partner.example".into()), false, Some("corp".into())),
            (3, Some("root@corp.example".into()), true, Some("admin".into())),
            (4, Some("ivy@xn--exmple-cua.com".into()), false, Some("corp".into())),
            // Equal to row 4 under the new rule: both hold it, neither owns it verified.
            (5, Some("ivy@xn--exmple-cua.com".into()), false, Some("corp".into())),
        ]
    );
    let fold: String = raw.query_row("SELECT subject_fold FROM user_identities", [], |r| r.get(0)).unwrap();
    assert_eq!(fold, handshake::identity::subject_fold("Ada"));
    let (issuer, expires): (String, String) =
        raw.query_row("SELECT issuer, expires_at FROM consumed_ids", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!((issuer.as_str(), expires.as_str()), ("https://idp.corp.example", "2026-01-02T00:00:00.000000000Z"));
    assert_eq!(wb.user(1).unwrap().source, UserSource::Jit);
}
