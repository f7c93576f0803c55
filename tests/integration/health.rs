//! Connection health (issue #13): it reflects the admin's own last test login. Scenario and
//! story runs (intended failures) and admin actions leave it alone; the connection a
//! scenario makes for itself is labelled as a demo helper, never a red failure.

use handshake::demo::{DEMO_CONNECTION, DEMO_STRICT_CONNECTION, ScenarioId, StoryStep};
use handshake::directory::UserQuery;
use handshake::provision::UserStatus;
use handshake::workbench::{ConnectionSummary, TestStatus};

use crate::demo::{Demo, as_a_browser, demo, hidden, picker_page, post};

const PRIYA: &str = "priya.shah@northwind.example";

/// What an admin does for a test login against the demo connection: the SP's login URL,
/// the demo IdP's person picker, Sign in, the auto-post to the ACS.
async fn person_sign_in(d: &Demo, persona: &str) {
    let c = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).cookie_store(true).build().unwrap();
    let (page, _) = picker_page(d, &c).await;
    let form = [
        ("connection", DEMO_CONNECTION.to_owned()),
        ("request_id", hidden(&page, "request_id")),
        ("relay_state", hidden(&page, "relay_state")),
        ("token", hidden(&page, "token")),
        ("persona", persona.to_owned()),
        ("scenario", "happy".to_owned()),
    ];
    let (status, page) = post(&c, &format!("{}/demo-idp/sso", d.base), &form, &[("origin", d.base.as_str())]).await;
    assert_eq!(status, 200, "{page}");
    as_a_browser(&c, &page).await;
}

async fn summary(d: &Demo, name: &str) -> Option<ConnectionSummary> {
    d.desktop.list_connections().await.unwrap().into_iter().find(|c| c.name == name)
}

/// Status, last test instant and failed check: what the health cell shows.
async fn health(d: &Demo) -> (TestStatus, Option<chrono::DateTime<chrono::Utc>>, Option<String>) {
    let s = summary(d, DEMO_CONNECTION).await.unwrap();
    (s.status, s.last_test_at, s.last_failed_check.map(|c| c.as_str().to_owned()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_scenario_and_story_runs_leave_the_health_of_the_last_real_test_login() {
    let d = demo().await;
    assert_eq!(health(&d).await.0, TestStatus::NeverTested);
    // Runs before any real test login: still never tested.
    d.run(ScenarioId::Replay, None).await;
    assert_eq!(health(&d).await.0, TestStatus::NeverTested, "a scenario run counted as a test login");

    person_sign_in(&d, PRIYA).await;
    let real = health(&d).await;
    assert_eq!((real.0, real.2.as_deref()), (TestStatus::Ok, None), "the person sign-in is a real test login");

    for scenario in [ScenarioId::Replay, ScenarioId::WrongAudience, ScenarioId::Happy] {
        let r = d.run(scenario, None).await;
        assert!(r.as_expected, "{scenario:?}");
        assert_eq!(health(&d).await, real, "running {scenario:?} changed the health");
    }
    for step in [StoryStep::Joiner, StoryStep::Mover, StoryStep::Leaver] {
        d.desktop.run_story_step(step).await.unwrap();
        assert_eq!(health(&d).await, real, "the story's {step:?} step changed the health");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_deactivating_a_user_leaves_the_health_alone() {
    let d = demo().await;
    person_sign_in(&d, PRIYA).await;
    let real = health(&d).await;
    assert_eq!(real.0, TestStatus::Ok);
    let users = d.desktop.users(UserQuery { connection: Some(DEMO_CONNECTION.into()), text: None }).await.unwrap();
    let priya = users.iter().find(|u| u.email.as_deref() == Some(PRIYA)).unwrap();
    d.desktop.set_user_status(priya.id, UserStatus::Deactivated).await.unwrap();
    assert_eq!(health(&d).await, real, "deactivating changed the health");
    // The demo then signs her in (denied: deactivated), as the scenario library does.
    let r = d.run(ScenarioId::Happy, Some(PRIYA)).await;
    assert_eq!(r.failed_check.map(|c| c.as_str()), Some("deactivated"));
    assert_eq!(health(&d).await, real, "a run denied as deactivated marked the connection failing");
    // A real test login still counts, whatever its outcome.
    person_sign_in(&d, PRIYA).await;
    let after = health(&d).await;
    assert_eq!((after.0, after.2.as_deref()), (TestStatus::Failing, Some("deactivated")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_the_helper_connection_of_a_scenario_is_labelled_and_never_red() {
    let d = demo().await;
    let r = d.run(ScenarioId::IdpInitiatedRefused, None).await;
    assert!(r.as_expected);
    let strict = summary(&d, DEMO_STRICT_CONNECTION).await.expect("the scenario makes demo-strict");
    assert_ne!(strict.status, TestStatus::Failing, "the helper shows as a red failure");
    let note = strict.demo_helper.expect("demo-strict is labelled as a demo helper");
    assert!(note.starts_with("Demo helper") && note.contains("idp-initiated-refused"), "{note}");
    // The demo connection itself is no helper; someone's own connection of that name would not be either.
    assert_eq!(summary(&d, DEMO_CONNECTION).await.unwrap().demo_helper, None);
    assert_eq!(handshake::demo::helper_note(DEMO_STRICT_CONNECTION, "https://idp.example.com"), None);
    // The CLI's list says so under the row.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_handshake"))
        .arg("--db")
        .arg(d.dir.path().join("demo.db"))
        .args(["--secret-store", "memory", "connection", "list"])
        .env_remove("HANDSHAKE_DB")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let strict = text.lines().position(|l| l.starts_with(DEMO_STRICT_CONNECTION)).expect(&text);
    assert!(text.lines().nth(strict + 1).unwrap().trim_start().starts_with("Demo helper"), "{text}");
}
