//! Provisioned logins per second (validation + mapping + one durable SQLite commit per
//! login), for new users and for returning users, next to validations per second of the
//! same kind of response. `cargo run --release --example bench-provision [N]`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

#[path = "../tests/fixtures/generator.rs"]
#[allow(dead_code)]
mod generator;

use std::sync::Arc;
use std::time::Instant;

use handshake::idp::AttributeSpec;
use handshake::provision::Outcome;
use handshake::secrets::MemoryStore;
use handshake::store::Store;
use handshake::workbench::Workbench;

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let key = generator::idp_key();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    let wb = Workbench::with_parts(
        Store::open(&db).unwrap(),
        Arc::new(MemoryStore::default()),
        "http://127.0.0.1:7777".into(),
    );
    wb.import_connection(&generator::fixture_connection("bench"), generator::judged_at()).unwrap();
    // Okta-shaped: Response and Assertion signed (the README's main validation case).
    let response = |i: usize, user: usize| {
        let email = format!("user{user}@example.com");
        let attributes = vec![
            AttributeSpec::new("email", &[&email]),
            AttributeSpec::new("firstName", &["Ada"]),
            AttributeSpec::new("lastName", &[&format!("User{user}")]),
            AttributeSpec::new("groups", &["Everyone", "Engineering"]),
        ];
        generator::numbered_login(&key, i, &email, attributes)
    };
    eprintln!("signing {} responses...", 2 * n);
    let new_users: Vec<String> = (0..n).map(|i| response(i, i)).collect();
    let returning: Vec<String> = (0..n).map(|i| response(n + i, i)).collect();
    let at = generator::judged_at();

    let t = Instant::now();
    for r in &new_users {
        assert!(wb.verify("bench", r, at, None).unwrap().accepted());
    }
    let validate_rate = n as f64 / t.elapsed().as_secs_f64();

    let timed = |label: &str, set: &[String], expect: Outcome| {
        let t = Instant::now();
        for r in set {
            let outcome = wb.provision("bench", r, at, None, false).unwrap().outcome;
            assert_eq!(outcome, expect, "{label}");
        }
        n as f64 / t.elapsed().as_secs_f64()
    };
    let created = timed("new users", &new_users, Outcome::Created);
    let returning_rate = timed("returning users", &returning, Outcome::Unchanged);
    #[allow(clippy::disallowed_methods)] // the benchmark reads and flips a pragma, no SQL
    let sync: i64 = wb.store().raw().pragma_query_value(None, "synchronous", |r| r.get(0)).unwrap();
    assert_eq!(sync, 2, "the catalog commits with synchronous=FULL (the WAL is fsynced at every commit)");
    // Context only: the same logins with commits that skip the fsync (not durable on power loss).
    let again: Vec<String> = (0..n).map(|i| response(2 * n + i, i)).collect();
    #[allow(clippy::disallowed_methods)]
    wb.store().raw().pragma_update(None, "synchronous", "NORMAL").unwrap();
    let no_fsync = timed("returning users, synchronous=NORMAL", &again, Outcome::Unchanged);
    let ratio = |x: f64| x / validate_rate;
    println!("| single thread, {n} logins each | per second | vs validation |");
    println!("|---|---:|---:|");
    println!("| validation only (distinct responses, connection read per login) | {validate_rate:.0} | 1.00 |");
    println!("| provisioned login, new user (`created`), durable commit | {created:.0} | {:.2} |", ratio(created));
    println!(
        "| provisioned login, returning user (`unchanged`), durable commit | {returning_rate:.0} | {:.2} |",
        ratio(returning_rate)
    );
    println!("| (context) returning user, commit without fsync | {no_fsync:.0} | {:.2} |", ratio(no_fsync));
}
