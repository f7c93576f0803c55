//! The demo OpenID Provider's scenario library end to end through the real HTTP endpoints:
//! a real embedded server on a loopback port, Handshake's `/oidc/demo-oidc/login`, the demo
//! OP's person picker, its redirect with the code to Handshake's callback, the code
//! exchange, the judge, provisioning. Each `oidc-*` scenario must end in its intended
//! verdict and check, in the app (Desktop) and in `handshake demo --scenario NAME --json`.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone as _, Utc};
use handshake::clock::FixedClock;
use handshake::demo::{DEMO_OIDC_CONNECTION, DemoStyle, DemoVerdict, ScenarioId};
use handshake::desktop::Desktop;
use handshake::secrets::SecretStoreKind;
use handshake::validate::CheckStatus;
use handshake::workbench::OpenOptions;
use handshake::workbench::demo::{ScenarioRequest, ScenarioResult};
use serde_json::Value;

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0).unwrap()
}

const PRIYA: &str = "priya.shah@northwind.example";
const ALEX: &str = "alex.kim@northwind.example";

/// The intended outcome of every OIDC scenario, in the library's order (issue #14).
const INTENDED: [(&str, Option<&str>); 12] = [
    ("oidc-happy", None),
    ("oidc-wrong-audience", Some("audience")),
    ("oidc-expired", Some("time_window")),
    ("oidc-unknown-kid", Some("signature")),
    ("oidc-alg-none", Some("algorithm")),
    ("oidc-hs256-public-key", Some("algorithm")),
    ("oidc-nonce-mismatch", Some("nonce")),
    ("oidc-wrong-issuer", Some("issuer")),
    ("oidc-missing-email", Some("missing_attribute")),
    ("oidc-email-unverified", Some("email_unverified")),
    ("oidc-group-overage", Some("group_overage")),
    ("oidc-code-replay", Some("replay")),
];

struct App {
    _dir: tempfile::TempDir,
    desktop: Desktop,
    base: String,
}

async fn app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let options = OpenOptions {
        db: Some(dir.path().join("oidc-demo.db")),
        secret_store: SecretStoreKind::Memory,
        port: 0,
        actor: "ada".into(),
    };
    let desktop = Desktop::open(&options, Arc::new(FixedClock(at()))).unwrap();
    let status = desktop.start_server(0).await;
    assert!(status.running, "{:?}", status.error);
    App { _dir: dir, desktop, base: status.base_url }
}

impl App {
    async fn run(&self, scenario: ScenarioId, persona: Option<&str>) -> ScenarioResult {
        let request = ScenarioRequest { scenario, persona: persona.map(str::to_owned), skew_minutes: None };
        self.desktop.run_scenario(request).await.unwrap_or_else(|e| panic!("{}: {}", scenario.name(), e.message))
    }
}

fn check<'a>(login: &'a handshake::login::TestLogin, id: &str) -> &'a handshake::validate::CheckResult {
    login.report.checks.iter().find(|c| c.id.as_str() == id).unwrap_or_else(|| panic!("no {id} check"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_oidc_scenario_ends_in_its_intended_verdict_and_check() {
    let a = app().await;
    let library = a.desktop.demo_catalog().await.unwrap();
    let listed: Vec<&str> =
        library.scenarios.iter().filter(|s| s.name.starts_with("oidc-")).map(|s| s.name.as_str()).collect();
    assert_eq!(listed, INTENDED.map(|(n, _)| n), "one click each in the app's library");

    let mut wrong = Vec::new();
    for (name, intended) in INTENDED {
        let scenario = ScenarioId::parse(name).unwrap();
        let r = a.run(scenario, None).await;
        let expected = scenario.expected(DemoStyle::Okta, 5);
        assert_eq!(expected.failed_check.map(|c| c.as_str()), intended, "{name}: the library's intended check");
        assert_eq!(r.connection, DEMO_OIDC_CONNECTION, "{name}");
        let got = r.failed_check.map(|c| c.as_str());
        if got != intended || r.verdict != expected.verdict || !r.as_expected {
            let login = a.desktop.test_login(r.test_login_id.unwrap()).await.unwrap().login;
            let failed: Vec<String> = login
                .report
                .checks
                .iter()
                .filter(|c| c.status == CheckStatus::Fail)
                .map(|c| format!("{} ({:?}: {})", c.id.as_str(), c.violation, c.actual))
                .collect();
            wrong.push(format!(
                "{name}: got {:?} / {got:?} (outcome {:?}), failed checks {failed:?}",
                r.verdict, r.outcome
            ));
            continue;
        }
        let login = a.desktop.test_login(r.test_login_id.unwrap()).await.unwrap().login;
        assert_eq!(login.connection, DEMO_OIDC_CONNECTION);
        match scenario {
            ScenarioId::OidcHappy => {
                let user = r.user.as_ref().unwrap();
                assert_eq!(user.email.as_deref(), Some(PRIYA));
                assert_eq!(user.roles, ["member"], "no role rule matches Priya's groups");
                assert_eq!(check(&login, "signature").status, CheckStatus::Pass);
                assert_eq!(check(&login, "userinfo_subject").status, CheckStatus::Pass, "userinfo called");
            }
            ScenarioId::OidcUnknownKid => {
                // Fetched again once (a rotation would be there), and still unknown.
                let sig = check(&login, "signature");
                assert!(sig.actual.contains("again") || sig.expected.contains("again"), "{sig:?}");
            }
            ScenarioId::OidcMissingEmail | ScenarioId::OidcEmailUnverified | ScenarioId::OidcGroupOverage => {
                // A valid token: the judge passes it, provisioning refuses it.
                assert!(login.report.checks.iter().all(|c| c.status != CheckStatus::Fail), "{name}");
            }
            ScenarioId::OidcCodeReplay => {
                // Refused by the replay cache before any exchange: the code was not sent to
                // the token endpoint again (the demo OP would have answered invalid_grant).
                let token = check(&login, "token_response");
                assert!(token.actual.starts_with("not sent"), "{token:?}");
                assert!(!token.actual.contains("invalid_grant"), "{token:?}");
                assert_eq!(login.report.reason(), Some("replay"));
            }
            _ => {}
        }
    }
    assert!(wrong.is_empty(), "scenarios off their intended outcome:\n{}", wrong.join("\n"));

    // A role from groups: Alex is in `admins`.
    let r = a.run(ScenarioId::OidcHappy, Some(ALEX)).await;
    assert_eq!(r.verdict, DemoVerdict::Accepted);
    assert_eq!(r.user.as_ref().unwrap().roles, ["admin"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_oidc_demo_connection_is_made_once_with_the_demo_mapping_and_its_secret_in_the_store() {
    let a = app().await;
    let first = a.desktop.create_oidc_demo().await.unwrap();
    assert!(first.created);
    assert_eq!(first.login_url, format!("{}/oidc/demo-oidc/login", a.base));
    let oidc = first.connection.oidc.as_ref().unwrap();
    assert_eq!(oidc.issuer, format!("{}/demo-idp/oidc", a.base));
    assert_eq!(oidc.client_id, "handshake-demo");
    assert_eq!(oidc.scopes, ["openid", "email", "profile", "groups"]);
    assert_eq!(oidc.redirect_uri, format!("{}/oidc/demo-oidc/callback", a.base));
    let again = a.desktop.create_oidc_demo().await.unwrap();
    assert!(!again.created && !again.metadata_refreshed, "reused as it is");

    let mapping = a.desktop.mapping(DEMO_OIDC_CONNECTION.into()).await.unwrap();
    assert!(mapping.access.require_email_verified, "the demo mapping requires a verified email");
    assert!(mapping.roles.rules.iter().any(|r| r.grant == "admin"), "roles from groups");
}

fn cli(db: &std::path::Path, secrets: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_handshake"));
    c.arg("--db")
        .arg(db)
        .arg("--secret-store")
        .arg(format!("file:{}", secrets.display()))
        .env_remove("HANDSHAKE_DB")
        .env_remove("HANDSHAKE_SECRET_STORE")
        .env_remove("HANDSHAKE_PORT")
        .stdin(Stdio::null());
    c
}

#[test]
fn cli_runs_oidc_scenarios_headless_and_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    let (db, secrets) = (dir.path().join("cli.db"), dir.path().join("secrets"));
    let run = |args: &[&str]| {
        let out = cli(&db, &secrets).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let v = run(&["demo", "--scenario", "oidc-happy", "--persona", ALEX, "--json"]);
    assert_eq!(
        (v["scenario"].as_str(), v["verdict"].as_str(), v["failed_check"].is_null()),
        (Some("oidc-happy"), Some("accepted"), true),
        "{v}"
    );
    assert_eq!(v["user"]["email"], ALEX);
    assert_eq!(v["user"]["roles"], serde_json::json!(["admin"]));

    let v = run(&["demo", "--scenario", "oidc-alg-none", "--json"]);
    assert_eq!(
        (v["verdict"].as_str(), v["failed_check"].as_str(), v["outcome"].as_str()),
        (Some("rejected"), Some("algorithm"), Some("rejected")),
        "{v}"
    );
    let v = run(&["demo", "--scenario", "oidc-email-unverified", "--json"]);
    assert_eq!(
        (v["verdict"].as_str(), v["failed_check"].as_str()),
        (Some("rejected"), Some("email_unverified")),
        "{v}"
    );
    let v = run(&["demo", "--scenario", "oidc-code-replay", "--json"]);
    assert_eq!((v["verdict"].as_str(), v["failed_check"].as_str()), (Some("rejected"), Some("replay")), "{v}");

    let list = run(&["demo", "--list", "--json"]);
    let oidc: Vec<&Value> = list["scenarios"].as_array().unwrap().iter().filter(|s| s["flow"] == "oidc_code").collect();
    let names: Vec<&str> = oidc.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, INTENDED.map(|(n, _)| n));
    for (s, (name, intended)) in oidc.iter().zip(INTENDED) {
        assert_eq!(s["expected"]["failed_check"].as_str(), intended, "{name}");
        assert!(!s["intended"].as_str().unwrap().is_empty());
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `handshake demo --protocol oidc`: the demo OP and `demo-oidc`, served; its login URL
/// sends the browser to the demo OP's picker. The server is stopped (by its pid) at the end.
/// `serve` used to list an OIDC connection's test login as `/saml/{name}/login` with an ACS.
#[test]
fn regression_cli_demo_serves_the_oidc_demo_connection_and_lists_its_oidc_login() {
    let dir = tempfile::tempdir().unwrap();
    let (db, secrets) = (dir.path().join("serve.db"), dir.path().join("secrets"));
    let port = free_port();
    let mut child = cli(&db, &secrets)
        .args(["--port", &port.to_string(), "demo", "--protocol", "oidc", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let _server = Kill(child);
    let (tx, listed) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let setup: Value = serde_json::Deserializer::from_reader(stdout).into_iter::<Value>().next().unwrap().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    assert_eq!(setup["connection"]["name"], "demo-oidc");
    assert_eq!(setup["connection"]["protocol"], "oidc");
    assert_eq!(setup["login_url"], format!("{base}/oidc/demo-oidc/login"));

    let http = reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let discovery = loop {
        match http.get(format!("{base}/demo-idp/oidc/.well-known/openid-configuration")).send() {
            Ok(r) => break serde_json::from_str::<Value>(&r.text().unwrap()).unwrap(),
            Err(e) => assert!(Instant::now() < deadline, "the demo server did not come up: {e}"),
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(discovery["issuer"], format!("{base}/demo-idp/oidc"));
    let r = http.get(format!("{base}/oidc/demo-oidc/login")).send().unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap();
    assert!(location.starts_with(&format!("{base}/demo-idp/oidc/authorize?")), "{location}");
    let picker = http.get(location).send().unwrap();
    assert_eq!(picker.status(), 200);
    assert!(picker.text().unwrap().contains(PRIYA), "the person picker");

    // What `serve` lists for the connection: its OIDC login and the redirect URI.
    let line = std::iter::from_fn(|| listed.recv_timeout(Duration::from_secs(10)).ok())
        .find(|l| l.contains("demo-oidc: test login"))
        .expect("serve lists demo-oidc");
    assert_eq!(
        line.trim(),
        format!("demo-oidc: test login {base}/oidc/demo-oidc/login  (redirect URI {base}/oidc/demo-oidc/callback)")
    );
}

/// The demo IdP's people sign in through both protocols with the same addresses: an account
/// the OIDC demo made must not outlive the demo data and collide with the SAML story's first
/// login (`email_in_use`, found by the desktop story test after the OIDC test ran).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_oidc_demo_accounts_go_with_the_demo_data_and_never_block_the_saml_story() {
    let a = app().await;
    let everyone = || handshake::directory::UserQuery::default();
    let first = a.run(ScenarioId::OidcHappy, Some(PRIYA)).await;
    assert_eq!(first.verdict, DemoVerdict::Accepted, "{first:?}");
    assert_eq!(a.desktop.users(everyone()).await.unwrap().len(), 1);

    // The demo OP on another port: demo-oidc is made again, and its old accounts go with it.
    let moved = a.desktop.start_server(0).await;
    assert!(moved.running);
    a.desktop.create_oidc_demo().await.unwrap();
    let left: Vec<_> = a.desktop.users(everyone()).await.unwrap();
    assert!(left.is_empty(), "accounts outlived the demo-oidc connection they came from: {left:?}");

    // Reset demo data clears the OIDC demo's accounts too; then the SAML story's joiner is a first login.
    let again = a.run(ScenarioId::OidcHappy, Some(PRIYA)).await;
    assert_eq!(again.verdict, DemoVerdict::Accepted, "{again:?}");
    a.desktop.reset_demo().await.unwrap();
    assert!(a.desktop.users(everyone()).await.unwrap().is_empty());
    // Removing demo-oidc (as the desktop OIDC test's clean-up does) takes its accounts too.
    let third = a.run(ScenarioId::OidcHappy, Some(PRIYA)).await;
    assert_eq!(third.verdict, DemoVerdict::Accepted, "{third:?}");
    a.desktop.remove_connection(DEMO_OIDC_CONNECTION.into()).await.unwrap();
    assert!(a.desktop.users(everyone()).await.unwrap().is_empty());
    a.desktop.create_demo(Some(DemoStyle::Generic)).await.unwrap();
    let joiner = a.run(ScenarioId::Happy, Some(PRIYA)).await;
    assert_eq!(joiner.verdict, DemoVerdict::Accepted, "{joiner:?}");
    assert_eq!(joiner.outcome, Some(handshake::login::Outcome::Created));
}
