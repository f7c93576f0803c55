//! The demo IdP as a SCIM client, end to end over real loopback HTTP: the demo connection's
//! `/scim/demo/v2` with its token from the secret store, the person's sign-ins through the
//! real SAML endpoints; each SCIM scenario and both story modes, asserting the directory,
//! the audit rows and their diff.

use handshake::demo::scenarios_scim::SCIM_SCENARIOS;
use handshake::demo::{DEMO_CONNECTION, DemoVerdict, ScenarioId, StoryMode, StoryStep};
use handshake::directory::{AuditKind, AuditQuery, UserQuery};
use handshake::login::{DenialCode, Outcome, Stop};
use handshake::provision::{LifecyclePolicy, UserSource, UserStatus};
use handshake::workbench::demo::ScenarioResult;

use crate::demo::{Demo, demo};

const PRIYA: &str = "priya.shah@northwind.example";

fn explain(r: &ScenarioResult) -> String {
    let requests: Vec<String> =
        r.scim.iter().map(|x| format!("{:?} {} -> {} ({}) {:?}", x.method, x.path, x.status, x.what, x.body)).collect();
    let checks: Vec<String> = r.checks.iter().map(|c| format!("{} {}: {}", c.ok, c.what, c.found)).collect();
    format!(
        "{}: verdict {:?} / {:?} outcome {:?}, intended {}\n{}\nrequests:\n  {}\nchecks:\n  {}",
        r.scenario,
        r.verdict,
        r.failed_check,
        r.outcome,
        r.intended,
        r.summary.happened,
        requests.join("\n  "),
        checks.join("\n  ")
    )
}

async fn scim_audit(d: &Demo) -> Vec<handshake::directory::AuditEntry> {
    let q =
        AuditQuery { connection: Some(DEMO_CONNECTION.into()), kind: Some(AuditKind::Scim), ..AuditQuery::default() };
    d.desktop.audit(q).await.unwrap()
}

async fn priya(d: &Demo) -> Option<handshake::provision::User> {
    let q = UserQuery { connection: Some(DEMO_CONNECTION.into()), text: Some(PRIYA.into()) };
    d.desktop.users(q).await.unwrap().into_iter().find(|u| u.email.as_deref() == Some(PRIYA))
}

/// The demo connection's SCIM status, read from the catalog (the token is not needed).
fn scim_status(d: &Demo) -> handshake::workbench::scim_admin::ScimStatus {
    let store = handshake::store::Store::open(&d.dir.path().join("demo.db")).unwrap();
    let secrets = handshake::secrets::open(&handshake::secrets::SecretStoreKind::Memory).unwrap();
    let wb = handshake::workbench::Workbench::with_parts(store, secrets, d.base.clone());
    wb.scim_status(DEMO_CONNECTION).unwrap()
}

fn count(d: &Demo, table: &str) -> i64 {
    let store = handshake::store::Store::open(&d.dir.path().join("demo.db")).unwrap();
    crate::sql(&store).query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_connection_is_a_hybrid_scim_endpoint_with_its_token_in_the_secret_store() {
    let d = demo().await;
    let status = scim_status(&d);
    assert!(status.enabled);
    assert_eq!(status.lifecycle.policy, LifecyclePolicy::Hybrid);
    assert_eq!(status.endpoint, format!("{}/scim/demo/v2", d.base));
    // Creating it again keeps the token (no rotation).
    d.desktop.create_demo(None).await.unwrap();
    assert_eq!(scim_status(&d).token_generation, status.token_generation);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scim_scenario_ends_at_its_intended_outcome() {
    let d = demo().await;
    let mut wrong = Vec::new();
    for s in &SCIM_SCENARIOS {
        let r = d.run(s.id, None).await;
        assert_eq!(r.scenario, s.name);
        if !r.as_expected {
            wrong.push(explain(&r));
        }
    }
    assert!(wrong.is_empty(), "SCIM scenarios not as intended:\n\n{}", wrong.join("\n\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scim_deprovisioned_login_is_denied_and_the_account_deactivated_by_the_scim_row() {
    let d = demo().await;
    let r = d.run(ScenarioId::ScimDeprovisionedLogin, None).await;
    assert!(r.as_expected, "{}", explain(&r));
    assert_eq!((r.verdict, r.failed_check), (DemoVerdict::Rejected, Some(Stop::Denial(DenialCode::ScimDeprovisioned))));
    assert_eq!(r.outcome, Some(Outcome::Denied));
    let user = priya(&d).await.unwrap();
    assert_eq!((user.status, user.source), (UserStatus::Deactivated, UserSource::Scim));
    // The SCIM rows: the create, then the deactivation with its diff.
    let rows = scim_audit(&d).await;
    assert!(rows.iter().all(|e| e.actor.as_deref() == Some("scim")), "{rows:?}");
    let deactivation = rows
        .iter()
        .find(|e| e.diff.iter().any(|c| c.field == "status" && c.after == "deactivated"))
        .unwrap_or_else(|| panic!("no SCIM row deactivates: {rows:?}"));
    assert_eq!(deactivation.user_id, Some(user.id));
    // The denied login comes after it.
    let q =
        AuditQuery { connection: Some(DEMO_CONNECTION.into()), kind: Some(AuditKind::Login), ..AuditQuery::default() };
    let logins = d.desktop.audit(q).await.unwrap();
    let denied = logins.iter().find(|e| e.failed_check == Some(Stop::Denial(DenialCode::ScimDeprovisioned))).unwrap();
    assert!(denied.id > deactivation.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scim_jit_conflict_never_recreates_the_deleted_user() {
    let d = demo().await;
    let r = d.run(ScenarioId::ScimJitConflict, None).await;
    assert!(r.as_expected, "{}", explain(&r));
    assert_eq!(r.failed_check, Some(Stop::Denial(DenialCode::ScimDeprovisioned)));
    assert!(priya(&d).await.is_none(), "no account came back");
    let deleted = r.scim.iter().find(|x| x.what == "delete").unwrap();
    assert_eq!(deleted.status, 204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scim_claim_rollback_keeps_the_scim_groups_against_stale_claims() {
    let d = demo().await;
    let r = d.run(ScenarioId::ScimClaimRollback, None).await;
    assert!(r.as_expected, "{}", explain(&r));
    assert_eq!(r.verdict, DemoVerdict::Accepted);
    let user = priya(&d).await.unwrap();
    assert!(user.groups.contains(&"engineering".to_owned()) && !user.groups.contains(&"sales".to_owned()), "{user:?}");
    // The stale login wrote nothing of the groups: no diff entry for them.
    assert!(!r.diff.iter().any(|c| c.field == "groups"), "{:?}", r.diff);
    // SCIM's move is in its audit row's diff.
    let rows = scim_audit(&d).await;
    assert!(
        rows.iter().any(|e| e.diff.iter().any(|c| c.field.ends_with("groups")
            && c.after.to_string().contains("engineering")
            && !c.after.to_string().contains("sales"))),
        "{rows:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scim_bad_token_writes_nothing_and_answers_the_same_401() {
    let d = demo().await;
    d.run(ScenarioId::Happy, None).await;
    let before: Vec<i64> =
        ["users", "scim_resources", "audit_log", "scim_requests"].iter().map(|t| count(&d, t)).collect();
    let r = d.run(ScenarioId::ScimBadToken, None).await;
    assert!(r.as_expected, "{}", explain(&r));
    assert_eq!(r.scim.iter().map(|x| x.status).collect::<Vec<_>>(), [401, 401]);
    assert_eq!(r.scim[0].body, r.scim[1].body);
    assert_eq!(r.test_login_id, None);
    // Preparing restarted Priya (one demo audit row, her account removed); the requests wrote nothing.
    let after: Vec<i64> =
        ["users", "scim_resources", "audit_log", "scim_requests"].iter().map(|t| count(&d, t)).collect();
    assert_eq!(after, [before[0] - 1, before[1], before[2] + 1, before[3]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scim_entra_quirks_are_all_accepted_and_leave_the_expected_document() {
    let d = demo().await;
    let r = d.run(ScenarioId::ScimEntraQuirks, None).await;
    assert!(r.as_expected, "{}", explain(&r));
    assert!(r.scim.iter().all(|x| (200..300).contains(&x.status)), "{}", explain(&r));
    assert!(r.scim.iter().any(|x| x.path.contains("aadOptscim062020")));
    let user = priya(&d).await.unwrap();
    assert_eq!(user.status, UserStatus::Deactivated);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hybrid_story_pre_provisions_links_moves_by_scim_and_deprovisions() {
    let d = demo().await;
    let catalog = d.desktop.demo_catalog().await.unwrap();
    assert_eq!(catalog.hybrid_story.steps.iter().map(|s| s.step).collect::<Vec<_>>(), StoryStep::ALL);
    let run = d.desktop.run_story(StoryMode::Hybrid).await.unwrap();
    for step in &run.steps {
        assert!(step.result.as_expected, "{:?}: {}", step.step, explain(&step.result));
        assert_eq!(step.mode, StoryMode::Hybrid);
    }
    let [pre, joiner, mover, leaver] = &run.steps[..] else { panic!("four steps") };
    // Pre-provisioned: she exists, source scim, never signed in; no sign-in ran.
    assert_eq!(pre.result.test_login_id, None);
    let u = pre.result.user.as_ref().unwrap();
    assert_eq!((u.source, u.first_login), (UserSource::Scim, None));
    // Her first login links to that account.
    assert_eq!(joiner.result.outcome, Some(Outcome::Linked));
    assert_eq!(joiner.result.user.as_ref().unwrap().id, u.id);
    // The mover arrives by SCIM: the login finds the fields SCIM owns already there.
    assert!(mover.result.scim.iter().any(|x| x.what == "push the promotion" && x.status == 200));
    assert_eq!(mover.result.user.as_ref().unwrap().custom.get("department").map(String::as_str), Some("Engineering"));
    // The leaver: denied, account deactivated.
    assert_eq!(leaver.result.failed_check, Some(Stop::Denial(DenialCode::ScimDeprovisioned)));
    assert_eq!(priya(&d).await.unwrap().status, UserStatus::Deactivated);
    let story = d.desktop.demo_catalog().await.unwrap().hybrid_story;
    assert!(story.steps.iter().all(|s| s.done), "{:?}", story.steps);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn side_by_side_the_jit_leaver_keeps_an_active_account_the_hybrid_one_does_not() {
    let d = demo().await;
    let check = |run: &handshake::workbench::demo_story::StoryRun| {
        for step in &run.steps {
            assert!(step.result.as_expected, "{:?} {:?}: {}", run.mode, step.step, explain(&step.result));
        }
    };
    let jit = d.desktop.run_story(StoryMode::Jit).await.unwrap();
    check(&jit);
    assert_eq!(jit.steps.iter().map(|s| s.step).collect::<Vec<_>>(), StoryMode::Jit.steps());
    assert_eq!(jit.steps[0].result.outcome, Some(Outcome::Created));
    assert_eq!(jit.steps.last().unwrap().result.failed_check.map(|s| s.as_str()), Some("status"));
    let left = priya(&d).await.unwrap();
    assert_eq!(
        (left.status, left.source),
        (UserStatus::Active, UserSource::Jit),
        "JIT alone: the leaver's account stays"
    );

    let hybrid = d.desktop.run_story(StoryMode::Hybrid).await.unwrap();
    check(&hybrid);
    let left = priya(&d).await.unwrap();
    assert_eq!(
        (left.status, left.source),
        (UserStatus::Deactivated, UserSource::Scim),
        "hybrid: SCIM de-provisioned her"
    );

    // The app's one call: both columns, JIT first, each from the story's start.
    let runs = d.desktop.run_story_side_by_side().await.unwrap();
    assert_eq!(runs.iter().map(|r| r.mode).collect::<Vec<_>>(), [StoryMode::Jit, StoryMode::Hybrid]);
    runs.iter().for_each(check);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_clears_the_demo_scim_rows_and_keeps_scim_on() {
    let d = demo().await;
    d.run(ScenarioId::ScimClaimRollback, None).await;
    assert!(count(&d, "scim_resources") > 0 && count(&d, "scim_requests") > 0);
    d.desktop.reset_demo().await.unwrap();
    assert_eq!((count(&d, "scim_resources"), count(&d, "scim_requests")), (0, 0));
    assert!(scim_status(&d).enabled);
    // And the scenarios run again from there.
    let r = d.run(ScenarioId::ScimDeprovisionedLogin, None).await;
    assert!(r.as_expected, "{}", explain(&r));
}

#[test]
fn cli_runs_a_scim_scenario_and_the_hybrid_story_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_handshake"))
            .arg("--db")
            .arg(dir.path().join("cli.db"))
            .arg("--secret-store")
            .arg(format!("file:{}", dir.path().join("secrets").display()))
            .args(args)
            .env_remove("HANDSHAKE_DB")
            .env_remove("HANDSHAKE_SECRET_STORE")
            .env_remove("HANDSHAKE_PORT")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let v = run(&["demo", "--scenario", "scim-bad-token", "--json"]);
    assert_eq!(v["as_expected"], true, "{v:#}");
    assert_eq!(v["scim"].as_array().unwrap().len(), 2);
    let story = run(&["demo", "--story", "--mode", "hybrid", "--json"]);
    let steps = story["steps"].as_array().unwrap();
    let names: Vec<&str> = steps.iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(names, ["pre-provision", "joiner", "mover", "leaver"]);
    assert!(steps.iter().all(|s| s["result"]["as_expected"] == true), "{story:#}");
    // The token is in the secret store, never in the catalog.
    let catalog = std::fs::read(dir.path().join("cli.db")).unwrap();
    assert!(!catalog.windows(8).any(|w| w == b"hs_scim_"));
}
