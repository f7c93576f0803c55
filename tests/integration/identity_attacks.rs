//! Attacks on the identity hardening (issue #11), found by a red-team review of its first
//! version: each test is a way it could still be attacked or wrongly deny a legitimate user,
//! and failed when written.

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use handshake::idp::sign::{sign_first_template, signature_template, to_post_form_value};
use handshake::idp::{AttributeSpec, SignatureAlgorithm};
use handshake::provision::Outcome;
use handshake::workbench::ProvisionReport;

use crate::provisioning::{Bench, open_workbench};
use crate::validation::generator;

fn t0() -> DateTime<Utc> {
    generator::judged_at()
}

fn signed(b: &Bench, subject: &str, email: &str) -> String {
    b.response(subject, &[("email", &[email]), ("firstName", &["Pat"]), ("lastName", &["Doe"])])
}

fn count(b: &Bench, sql: &str) -> i64 {
    crate::sql(b.wb.store()).query_row(sql, [], |r| r.get(0)).unwrap()
}

#[track_caller]
fn assert_rejected_as_replay(r: &ProvisionReport) {
    assert_eq!(
        (r.outcome, r.failed_check.map(handshake::login::Stop::as_str)),
        (Outcome::Rejected, Some("replay")),
        "a used assertion was accepted again: {:?} {:?}",
        r.outcome,
        r.message()
    );
}

/// A fresh, normal response issued at `at` (valid five minutes).
fn fresh_at(b: &Bench, subject: &str, at: DateTime<Utc>) -> String {
    b.response_with(subject, &[("email", &[&format!("{subject}@example.com")])], |s| {
        s.issue_instant = at;
        s.not_before = Some(at - Duration::seconds(30));
        s.not_on_or_after = Some(at + Duration::minutes(5));
        s.subject_not_on_or_after = Some(at + Duration::minutes(5));
    })
}

// ---- replay ----

/// An assertion valid "for ever" (NotOnOrAfter 9999-12-31T23:59:59Z, as some IdPs are
/// configured) is remembered until 10000-01-01T00:09:59, which `format_time` writes as
/// "+10000-01-01…": that sorts before every "2026-…" text, so the very next login prunes
/// it and the same assertion is accepted again, for ever.
#[test]
fn regression_red_far_future_not_on_or_after_is_not_pruned_at_the_next_login() {
    let b = Bench::new();
    let forever = Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap();
    let response = b.response_with("ada@example.com", &[("email", &["ada@example.com"])], |s| {
        s.not_on_or_after = Some(forever);
        s.subject_not_on_or_after = Some(forever);
    });
    assert_eq!(b.login(&response).outcome, Outcome::Created);
    // Any other login, a minute later.
    let other = fresh_at(&b, "bob", t0());
    assert_eq!(b.login(&other).outcome, Outcome::Created);
    let r = b.wb.provision("acme", &response, t0() + Duration::minutes(2), None, false).unwrap();
    assert_rejected_as_replay(&r);
}

/// The skew cap is only enforced by `Workbench::set_policy`; validation uses whatever the
/// catalog holds. A connection whose stored policy allows more than 600 s (a v4 catalog:
/// the v4 core had no cap, only the UI did; a duplicate of such a connection...) accepts an
/// assertion up to NotOnOrAfter + its skew, but the replay cache forgets it after
/// NotOnOrAfter + 600 s.
#[test]
fn regression_red_stored_clock_skew_above_the_cap_reopens_the_replay_window() {
    let b = Bench::new();
    crate::sql(b.wb.store())
        .execute("UPDATE connections SET policy = json_set(policy, '$.clock_skew_seconds', 3600)", [])
        .unwrap();
    assert_eq!(b.wb.connection("acme", t0()).unwrap().policy.clock_skew_seconds, 3600);
    let response = signed(&b, "ada@example.com", "ada@example.com"); // NotOnOrAfter 10:05
    assert_eq!(b.login(&response).outcome, Outcome::Created);
    // 20 minutes later another user logs in: the cache is pruned (10:05 + 600 s < 10:21).
    let later = t0() + Duration::minutes(20);
    assert_eq!(
        b.wb.provision("acme", &fresh_at(&b, "bob", later), later, None, false).unwrap().outcome,
        Outcome::Created
    );
    // The captured response, replayed at 10:22: still inside NotOnOrAfter + 3600 s, but
    // validation never uses more skew than the replay cache remembers IDs for.
    let r = b.wb.provision("acme", &response, later + Duration::minutes(1), None, false).unwrap();
    assert_eq!(r.outcome, Outcome::Rejected, "a used assertion was accepted again: {:?}", r.message());
}

/// NotOnOrAfter near chrono's largest date: `t + 600 s` in `ReplayKey::expires_at` overflows
/// and panics (a 500 / a crashed CLI with nothing recorded) instead of a recorded outcome.
/// Same for `noa + skew` in validate/rules.rs with any non-zero skew (pre-existing).
#[test]
fn regression_red_not_on_or_after_at_the_end_of_time_is_recorded_not_a_panic() {
    let b = Bench::new();
    let mut policy = b.wb.connection("acme", t0()).unwrap().policy;
    policy.clock_skew_seconds = 0;
    b.wb.set_policy("acme", policy, t0()).unwrap();
    let marker = Utc.with_ymd_and_hms(2099, 1, 1, 0, 0, 0).unwrap();
    let mut spec = generator::spec("ada@example.com");
    spec.assertion_id = "_end_of_time".into();
    spec.not_on_or_after = Some(marker);
    spec.subject_not_on_or_after = Some(marker);
    spec.attributes = vec![AttributeSpec::new("email", &["ada@example.com"])];
    let template = signature_template(&spec.assertion_id, SignatureAlgorithm::RsaSha256, &b.key.certificate);
    // xs:dateTime without a zone (read as UTC): chrono's %Y takes a signed 6-digit year.
    let assertion = spec.assertion_xml(Some(&template)).replace("2099-01-01T00:00:00Z", "+262142-12-31T23:59:59");
    let assertion = sign_first_template(&assertion, &b.key).unwrap();
    let response = to_post_form_value(&spec.response_xml(&assertion, None));
    let before = count(&b, "SELECT count(*) FROM test_logins");
    let outcome =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| b.wb.complete_login("acme", &response, t0())));
    let t = outcome.expect("the login panicked").expect("the login ended in an error");
    assert_eq!(count(&b, "SELECT count(*) FROM test_logins"), before + 1);
    assert!(t.report.outcome == Outcome::Rejected || t.report.outcome == Outcome::Created, "{:?}", t.report.outcome);
}

// ---- false denials of legitimate users ----

/// `subject_fold` applies the UTS #39 skeleton to plain ASCII too: m → rn, 1 → l, 0 → o,
/// | → l. Two different people, R. Norris and Morris (or John L. and john1), share a fold
/// and the second to log in is refused for ever as an "imitation". The email rule already
/// knows that two plain-ASCII values are never look-alikes (db::look_alike); subjects do not.
#[test]
fn regression_red_distinct_plain_ascii_subjects_are_not_look_alikes() {
    for (first, second) in
        [("morris@corp.example", "rnorris@corp.example"), ("mason", "rnason"), ("johnl", "john1"), ("E10021", "El0021")]
    {
        let b = Bench::new();
        assert_eq!(b.login(&signed(&b, first, &format!("a-{first}@x.example"))).outcome, Outcome::Created);
        let r = b.login(&signed(&b, second, "someone-else@x.example"));
        assert_eq!(r.outcome, Outcome::Created, "{second:?} after {first:?}: {:?}", r.message());
    }
}

/// The look-alike refusal is symmetric, so it hits whoever comes second. Anyone who can
/// set the email their IdP sends, at ANY connection of the catalog (the check is
/// catalog-wide), can plant Cyrillic look-alikes of colleagues' addresses and every one of
/// those colleagues is then refused at their own, legitimate connection.
#[test]
fn regression_red_a_look_alike_squatter_cannot_lock_out_the_plain_ascii_owner() {
    let b = Bench::new();
    b.wb.import_connection(&generator::fixture_connection("social"), t0()).unwrap();
    let planted = b.wb.provision("social", &signed(&b, "mallory", "\u{430}da@example.com"), t0(), None, false).unwrap();
    assert_eq!(planted.outcome, Outcome::Created);
    let r = b.login(&signed(&b, "ada-sub", "ada@example.com"));
    assert_eq!(r.outcome, Outcome::Created, "the real ada was refused: {:?} {:?}", r.reason(), r.message());
}

// ---- account linking ----

/// The default mapping lowercases emails; `mapping::lowercase` only refuses to turn a
/// character into ASCII (U+212A KELVIN SIGN). U+212B ANGSTROM SIGN lowercases to U+00E5 å
/// (and U+2126 OHM SIGN to ω, U+03F4 to θ, U+1FBC to ᾳ): the mapped address is then plain
/// NFC "åsa@…", which `email::canonical` accepts, although it refuses the address as sent
/// (not NFC, not allowed in identifiers). An IdP that checks email uniqueness by exact
/// string lets Mallory claim "\u{212b}sa@corp.example"; she is linked into Åsa's account.
#[test]
fn regression_red_angstrom_sign_lowercased_is_not_linked_to_the_a_ring_account() {
    let mut doc = handshake::provision::MappingDocument::default();
    doc.provisioning.link_by_email = true;
    doc.provisioning.verified_domains = vec!["corp.example".into()];
    let b = Bench::new().with_mapping(&doc);
    b.wb.import_connection(&generator::fixture_connection("acme-eu"), t0()).unwrap();
    b.wb.set_mapping("acme-eu", &doc, t0()).unwrap();
    let asa = b.login(&signed(&b, "asa-sub", "\u{e5}sa@corp.example")).user.unwrap();
    assert!(asa.email_verified);
    let r =
        b.wb.provision("acme-eu", &signed(&b, "mallory-sub", "\u{212b}sa@corp.example"), t0(), None, false).unwrap();
    assert_ne!(
        r.user.as_ref().map(|u| u.id),
        Some(asa.id),
        "{:?}: mallory signed into \u{c5}sa's account ({:?})",
        r.outcome,
        r.user.as_ref().map(|u| &u.identities)
    );
}

// ---- look-alike refusal bypass ----

/// The Cyrillic look-alike domain is refused when sent in Unicode, but not when the IdP
/// sends the same domain as its IDNA ASCII form: `confusable` and the SQL "has a non-ASCII
/// character" test look at the raw text, which is plain ASCII, while the skeleton (which
/// decodes punycode) is identical to ada's.
#[test]
fn regression_red_punycode_spelling_of_a_look_alike_domain_is_refused() {
    let b = Bench::new();
    assert_eq!(b.login(&signed(&b, "ada-sub", "ada@example.com")).outcome, Outcome::Created);
    let unicode = b.login(&signed(&b, "m1", "ada@ex\u{430}mple.com"));
    assert_eq!(unicode.reason(), Some("email_confusable"));
    let punycode = b.login(&signed(&b, "m2", "ada@xn--exmple-4nf.com"));
    assert_eq!(
        (punycode.outcome, punycode.reason()),
        (Outcome::Denied, Some("email_confusable")),
        "{:?}",
        punycode.user.as_ref().map(|u| &u.email)
    );
}

// ---- migration of a version 4 catalog ----

/// Two v4 accounts whose addresses are equal under the new rule (v4's NOCASE does not
/// equate a Unicode domain with its IDNA form): the first version of the migration kept the
/// key for the first only, `update_user` recomputed it at every login and hit the UNIQUE index,
/// so the second user was refused (`conflict`) at every login from then on.
#[test]
fn regression_red_migrated_account_without_its_email_key_can_still_log_in() {
    let donor = Bench::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v4.db");
    {
        let conn = crate::identity::version_4_catalog(&path);
        conn.execute("ATTACH DATABASE ?1 AS donor", [donor.dir.path().join("catalog.db").to_str().unwrap()]).unwrap();
        conn.execute_batch(
            r#"
            INSERT INTO connections SELECT id, name, idp_entity_id, want_authn_requests_signed, valid_until,
                metadata_xml, metadata_source, metadata_imported_at, sp_entity_id, sp_acs_url, sp_certificate,
                policy, created_at, updated_at FROM donor.connections;
            INSERT INTO connection_certificates SELECT * FROM donor.connection_certificates;
            INSERT INTO connection_endpoints SELECT * FROM donor.connection_endpoints;
            INSERT INTO connection_name_id_formats SELECT * FROM donor.connection_name_id_formats;
            DETACH DATABASE donor;
            INSERT INTO users (id, connection_id, email, source, created_at, updated_at) VALUES
                (1, 1, 'ivy@exämple.com', 'jit', '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z'),
                (2, 1, 'ivy@xn--exmple-cua.com', 'jit', '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z');
            INSERT INTO user_identities (connection_id, subject, user_id, linked, created_at) VALUES
                (1, 'ivy-1', 1, 0, '2026-01-01T00:00:00.000000000Z'),
                (1, 'ivy-2', 2, 0, '2026-01-01T00:00:00.000000000Z');
            "#,
        )
        .unwrap();
    }
    let wb = open_workbench(&path);
    let name: String = crate::sql(wb.store()).query_row("SELECT name FROM connections", [], |r| r.get(0)).unwrap();
    let key: Option<String> =
        crate::sql(wb.store()).query_row("SELECT email_canonical FROM users WHERE id = 2", [], |r| r.get(0)).unwrap();
    assert_eq!(key.as_deref(), Some("ivy@xn--exmple-cua.com"), "both hold the address, neither owns it verified");
    // ivy-2 logs in as she did under v4, with the address her account already has.
    let r = wb.provision(&name, &signed(&donor, "ivy-2", "ivy@xn--exmple-cua.com"), t0(), None, false).unwrap();
    assert_eq!(r.user.as_ref().map(|u| u.id), Some(2), "{:?} {:?}", r.reason(), r.message());
    assert!(r.outcome.signed_in(), "{:?} {:?}", r.reason(), r.message());
}

// ---- storage ----

/// Only records of input that is not a SAML Response are capped. Anything whose root is a
/// samlp:Response (unsigned, from any web page the admin visits: the ACS takes cross-site
/// POSTs by design) keeps up to 512 KB of XML per post, without limit on the number.
#[test]
fn regression_red_unsigned_responses_posted_in_a_loop_are_bounded() {
    let b = Bench::new();
    let padding = "p".repeat(64 * 1024);
    let junk = to_post_form_value(&format!(
        r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_x" Version="2.0" IssueInstant="2026-01-15T10:00:00Z"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"/></samlp:Status><!--{padding}--></samlp:Response>"#
    ));
    let posts = handshake::login::record::MAX_KEPT_GARBAGE + 50;
    for _ in 0..posts {
        b.wb.complete_login("acme", &junk, t0()).unwrap();
    }
    let rows = count(&b, "SELECT count(*) FROM test_logins");
    let bytes = count(&b, "SELECT sum(length(coalesce(response_xml, ''))) FROM test_logins");
    assert!(
        rows <= handshake::login::record::MAX_KEPT_GARBAGE,
        "{rows} records, {bytes} bytes of unauthenticated XML kept from {posts} posts"
    );
}

/// Folds and skeletons are computed and stored for identifiers of any length: a signed
/// NameID or email of megabytes is folded twice per login (subject_fold in folded_identity
/// and insert_identity, the email skeleton in look_alike and email_keys), 175-270 ms each
/// for 3 MB in a release build (above the 0.25 s budget per input), and stored again
/// beside the value, doubled where m becomes rn.
#[test]
fn regression_red_derived_identity_keys_are_bounded() {
    let b = Bench::new();
    let huge = "m".repeat(512 * 1024);
    let r = b.login(&signed(&b, &huge, &format!("{huge}@example.com")));
    let longest: i64 = count(
        &b,
        "SELECT coalesce((SELECT max(length(email_skeleton)) FROM users), 0) \
         + coalesce((SELECT max(length(subject_fold)) FROM user_identities), 0)",
    );
    assert!(longest <= 8 * 1024, "{:?}: {longest} bytes of derived keys stored", r.outcome);
}
