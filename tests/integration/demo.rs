//! The built-in demo IdP and its scenario library, end to end through the real HTTP
//! endpoints: a real embedded server on a loopback port, the SP's login URL, the demo
//! IdP's SSO page and sign-in, its auto-post form, the ACS.

use std::io::Read as _;
use std::sync::Arc;

use chrono::{DateTime, TimeZone as _, Utc};
use handshake::clock::FixedClock;
use handshake::demo::scenarios::SCENARIOS;
use handshake::demo::{
    DEMO_CONNECTION, DEMO_IDP_ENTITY_ID, DEMO_STRICT_CONNECTION, DemoStyle, DemoVerdict, Persona, ScenarioId, SignMode,
};
use handshake::desktop::Desktop;
use handshake::directory::UserQuery;
use handshake::login::Outcome;
use handshake::provision::UserStatus;
use handshake::secrets::SecretStoreKind;
use handshake::workbench::OpenOptions;
use handshake::workbench::demo::{DemoIdpSettings, ScenarioRequest, ScenarioResult};

/// The instant every demo login happens at (IdP and SP share the clock).
fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0).unwrap()
}

pub(crate) struct Demo {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) desktop: Desktop,
    pub(crate) base: String,
}

pub(crate) async fn demo() -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let options = OpenOptions {
        db: Some(dir.path().join("demo.db")),
        secret_store: SecretStoreKind::Memory,
        port: 0,
        actor: "ada".into(),
    };
    let desktop = Desktop::open(&options, Arc::new(FixedClock(at()))).unwrap();
    let status = desktop.start_server(0).await;
    assert!(status.running, "{:?}", status.error);
    let setup = desktop.create_demo(None).await.unwrap();
    assert!(setup.created);
    assert_eq!(setup.login_url, format!("{}/saml/demo/login", status.base_url));
    Demo { dir, desktop, base: status.base_url }
}

impl Demo {
    pub(crate) async fn run(&self, scenario: ScenarioId, persona: Option<&str>) -> ScenarioResult {
        let request = ScenarioRequest { scenario, persona: persona.map(str::to_owned), skew_minutes: None };
        self.desktop.run_scenario(request).await.unwrap_or_else(|e| panic!("{}: {}", scenario.name(), e.message))
    }

    async fn persona(&self, email: &str) -> Persona {
        self.desktop.demo_personas().await.unwrap().into_iter().find(|p| p.email == email).unwrap()
    }

    async fn demo_users(&self) -> Vec<handshake::provision::User> {
        let q = UserQuery { connection: Some(DEMO_CONNECTION.into()), text: None };
        self.desktop.users(q).await.unwrap()
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

const PRIYA: &str = "priya.shah@northwind.example";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_gives_its_intended_verdict_and_failed_check() {
    let d = demo().await;
    let mut wrong = Vec::new();
    for s in &SCENARIOS {
        let r = d.run(s.id, None).await;
        let expected = s.id.expected(DemoStyle::Okta, 5);
        assert_eq!(r.expected, expected, "{}", s.name);
        if r.verdict != expected.verdict || r.failed_check != expected.failed_check || !r.as_expected {
            wrong.push(format!(
                "{}: got {:?} / {:?} (outcome {:?}), intended {:?} / {:?}",
                s.name, r.verdict, r.failed_check, r.outcome, expected.verdict, expected.failed_check
            ));
            continue;
        }
        assert_eq!(r.scenario, s.name);
        // Accepted means a signed-in user (a denial may still name the existing account).
        if r.verdict == DemoVerdict::Accepted {
            assert_eq!(r.user.as_ref().and_then(|u| u.email.as_deref()), Some(PRIYA), "{}", s.name);
        }
        let login = d.desktop.test_login(r.test_login_id.unwrap()).await.unwrap().login;
        let report = &login.report;
        match s.id {
            ScenarioId::Encrypted => assert!(report.encrypted, "encrypted: the assertion arrived encrypted"),
            ScenarioId::Undecryptable => assert!(report.encrypted),
            ScenarioId::DelimitedGroups => {
                let user = r.user.as_ref().unwrap();
                assert_eq!(user.groups, vec!["everyone,sales".to_owned()], "delimited-groups: one odd group");
                let trace = report.trace.as_ref().unwrap();
                let hints: Vec<&String> = trace.fields.iter().flat_map(|f| &f.hints).collect();
                assert!(hints.iter().any(|h| h.contains("split transform")), "delimited-groups hint: {hints:?}");
            }
            ScenarioId::UnknownInResponseTo => {
                assert_eq!(report.reason(), Some("unexpected_in_response_to"));
                assert_eq!(login.kind, handshake::login::LoginKind::UnknownRequest);
            }
            ScenarioId::IdpInitiatedRefused => {
                assert_eq!(report.reason(), Some("unsolicited_refused"));
                assert_eq!(login.connection, DEMO_STRICT_CONNECTION);
            }
            ScenarioId::IdpInitiated => assert_eq!(login.kind, handshake::login::LoginKind::IdpInitiated),
            ScenarioId::Happy => assert_eq!(login.kind, handshake::login::LoginKind::SpInitiated),
            ScenarioId::Replay => {
                // The first POST of the same response went through; the second is the replay.
                let first = d.desktop.test_login(r.test_login_id.unwrap() - 1).await.unwrap().login;
                assert!(first.report.outcome.signed_in(), "replay: the first POST signs in");
                assert_eq!(first.response_xml, login.response_xml, "replay: the very same response");
            }
            _ => {}
        }
    }
    assert!(wrong.is_empty(), "scenarios with another verdict than intended:\n{}", wrong.join("\n"));
    // The scenarios never changed the user's own demo connection.
    let demo = d.desktop.connection(DEMO_CONNECTION.into()).await.unwrap();
    assert!(demo.policy.allow_idp_initiated && !demo.policy.allow_sha1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn styles_send_their_claims_and_change_the_two_style_dependent_outcomes() {
    let d = demo().await;
    for style in [DemoStyle::Entra, DemoStyle::Google, DemoStyle::Generic, DemoStyle::Okta] {
        d.desktop.reset_demo().await.unwrap();
        let setup = d.desktop.create_demo(Some(style)).await.unwrap();
        assert_eq!(setup.idp.style, style);
        let mapping = d.desktop.mapping(DEMO_CONNECTION.into()).await.unwrap();
        assert_eq!(mapping, handshake::demo::demo_mapping(style), "{style:?} mapping");
        let happy = d.run(ScenarioId::Happy, None).await;
        assert_eq!((happy.verdict, happy.outcome.unwrap().as_str()), (DemoVerdict::Accepted, "created"), "{style:?}");
        let user = happy.user.unwrap();
        assert_eq!(user.email.as_deref(), Some(PRIYA), "{style:?}");
        assert_eq!(user.given_name.as_deref(), Some("Priya"), "{style:?}");
        assert_eq!(user.custom.get("department").map(String::as_str), Some("Sales"), "{style:?}");
        assert_eq!(user.groups, vec!["everyone", "sales"], "{style:?}");
        if style == DemoStyle::Entra {
            // Keyed by the immutable object ID, not the NameID.
            assert_eq!(user.identities[0].subject, d.persona(PRIYA).await.id);
        }
        for scenario in [ScenarioId::TransientNameid, ScenarioId::MissingEmail, ScenarioId::GroupOverage] {
            let r = d.run(scenario, None).await;
            assert!(
                r.as_expected,
                "{style:?} {}: got {:?} {:?}, intended {:?}",
                scenario.name(),
                r.verdict,
                r.failed_check,
                r.expected
            );
        }
    }
    assert_eq!(ScenarioId::TransientNameid.expected(DemoStyle::Entra, 5).verdict, DemoVerdict::Accepted);
    assert_eq!(
        ScenarioId::MissingEmail.expected(DemoStyle::Google, 5).failed_check.map(handshake::login::Stop::as_str),
        Some("missing_subject")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn story_new_hire_then_changes_at_the_idp_then_deactivated_there() {
    use handshake::demo::StoryStep;
    let d = demo().await;
    let story = d.desktop.demo_catalog().await.unwrap().story;
    assert_eq!(story.person.as_ref().map(|p| p.email.as_str()), Some(PRIYA));
    assert_eq!(story.steps.iter().map(|s| s.step).collect::<Vec<_>>(), handshake::demo::StoryMode::Jit.steps());
    assert!(story.steps.iter().all(|s| !s.done));

    // 1. Joiner: the new hire signs in and the account is created, with the default role.
    let joiner = d.desktop.run_story_step(StoryStep::Joiner).await.unwrap();
    let first = joiner.result;
    assert_eq!((first.outcome, first.as_expected), (Some(Outcome::Created), true));
    let user = first.user.unwrap();
    assert_eq!(user.roles, vec!["member"]);
    assert_eq!(user.custom.get("title").map(String::as_str), Some("Account Executive"));

    // 2. Mover: at the IdP she moves to Engineering and becomes an admin; fields, groups and roles follow.
    let mover = d.desktop.run_story_step(StoryStep::Mover).await.unwrap();
    assert!(mover.story.steps[1].done, "the IdP shows the promotion");
    let p = d.persona(PRIYA).await;
    assert_eq!(
        (p.department.as_str(), p.groups.clone()),
        ("Engineering", vec!["everyone".into(), "engineering".into(), "admins".into()])
    );
    let second = mover.result;
    assert_eq!((second.outcome, second.as_expected), (Some(Outcome::Updated), true));
    let user = second.user.unwrap();
    assert_eq!(user.id, first_id(&d).await);
    assert_eq!(user.roles, vec!["admin", "developer"]);
    assert_eq!(user.custom.get("department").map(String::as_str), Some("Engineering"));
    let diff = d.desktop.test_login(second.test_login_id.unwrap()).await.unwrap().login.report.diff;
    let fields: Vec<&str> = diff.iter().map(|c| c.field.as_str()).collect();
    for f in ["groups", "roles", "custom.department", "custom.title"] {
        assert!(fields.contains(&f), "diff lists {f}: {fields:?}");
    }
    let roles = diff.iter().find(|c| c.field == "roles").unwrap();
    assert_eq!(
        (roles.before.clone(), roles.after.clone()),
        (serde_json::json!(["member"]), serde_json::json!(["admin", "developer"]))
    );
    // Running the step again only signs in: nothing more changes.
    let again = d.desktop.run_story_step(StoryStep::Mover).await.unwrap();
    assert_eq!(again.result.outcome, Some(Outcome::Unchanged));

    // 3. Leaver: deactivated at the IdP, which refuses to sign her in; JIT cannot de-provision,
    // so the account is still there, active, in Handshake.
    let leaver = d.desktop.run_story_step(StoryStep::Leaver).await.unwrap();
    assert!(!d.persona(PRIYA).await.active);
    let third = leaver.result;
    assert_eq!(
        (third.verdict, third.failed_check.map(handshake::login::Stop::as_str), third.as_expected),
        (DemoVerdict::Rejected, Some("status"), true)
    );
    assert!(leaver.moral.contains("SCIM"), "{}", leaver.moral);
    let users = d.demo_users().await;
    assert_eq!(users.len(), 1);
    assert_eq!((users[0].email.as_deref(), users[0].status), (Some(PRIYA), UserStatus::Active));
    assert_eq!(users[0].roles, vec!["admin", "developer"]);
}

/// Issue #13: the leaver's refusal at the IdP is the step's own intended outcome, told in the
/// terms of its result (not the happy scenario's "rejected, not as intended"); the story knows
/// where it stands (the joiner's account is detected), and the mover's result carries its diff.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_story_leaver_is_an_intended_rejection_in_its_own_terms() {
    use handshake::demo::StoryStep;
    let d = demo().await;
    let story = d.desktop.demo_catalog().await.unwrap().story;
    assert!(story.fresh, "a new demo starts the story from its known state");
    let intended: Vec<&str> = story.steps.iter().map(|s| s.intended.as_str()).collect();
    assert_eq!(intended, ["Signed in", "Signed in", "Rejected at the status check"]);

    d.desktop.run_story_step(StoryStep::Joiner).await.unwrap();
    let after = d.desktop.demo_catalog().await.unwrap().story;
    assert!(after.steps[0].done && !after.fresh, "the joiner's account is detected");
    let mover = d.desktop.run_story_step(StoryStep::Mover).await.unwrap().result;
    assert!(mover.diff.iter().any(|c| c.field == "roles"), "the mover's result carries its diff: {:?}", mover.diff);

    for _ in 0..2 {
        // Deactivated at the IdP, then "try to sign in again": both are the intended refusal.
        let leaver = d.desktop.run_story_step(StoryStep::Leaver).await.unwrap().result;
        assert_eq!(leaver.scenario, "leaver", "the step's own name, not the happy scenario's");
        assert!(leaver.as_expected, "{leaver:?}");
        assert_eq!(leaver.intended, "Rejected at the status check");
        assert!(leaver.summary.happened.starts_with(&leaver.intended), "{}", leaver.summary.happened);
        assert!(leaver.summary.why.is_some() && leaver.summary.change.is_some(), "{:?}", leaver.summary);
        // The full result tells the same words.
        let detail = d.desktop.test_login(leaver.test_login_id.unwrap()).await.unwrap();
        assert_eq!(detail.summary, leaver.summary);
    }
}

/// Issue #13: an intended denial and its result use the same term ("Denied by the
/// missing_attribute rule"), in the library, the inline result and the full result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_scenario_intended_and_result_use_the_same_terms() {
    let d = demo().await;
    let catalog = d.desktop.demo_catalog().await.unwrap();
    let info = catalog.scenarios.iter().find(|s| s.name == "missing-email").unwrap();
    assert_eq!(info.intended, "Denied by the missing_attribute rule");
    let r = d.run(ScenarioId::MissingEmail, None).await;
    assert!(r.as_expected);
    assert_eq!(r.intended, info.intended);
    assert!(r.summary.happened.starts_with("Denied by the missing_attribute rule: "), "{}", r.summary.happened);
    let audience = d.run(ScenarioId::WrongAudience, None).await;
    assert!(audience.summary.happened.starts_with("Rejected at the audience check: "), "{}", audience.summary.happened);
    assert_eq!(d.desktop.test_login(audience.test_login_id.unwrap()).await.unwrap().summary, audience.summary);
}

async fn first_id(d: &Demo) -> i64 {
    d.demo_users().await[0].id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_restores_the_directory_and_clears_the_demo_data() {
    let d = demo().await;
    d.run(ScenarioId::Happy, None).await;
    d.run(ScenarioId::IdpInitiatedRefused, None).await;
    let mut p = d.persona(PRIYA).await;
    p.department = "Legal".into();
    d.desktop.set_demo_persona(p).await.unwrap();
    let mut extra = d.persona(PRIYA).await;
    extra.id = "added-1".into();
    extra.email = "new.person@northwind.example".into();
    d.desktop.set_demo_persona(extra).await.unwrap();
    // Emails are unique at the IdP.
    let mut dup = d.persona(PRIYA).await;
    dup.id = "added-2".into();
    assert_eq!(d.desktop.set_demo_persona(dup).await.unwrap_err().code, handshake::ErrorCode::AlreadyExists);
    d.desktop.remove_demo_persona("marcus.chen@northwind.example".into()).await.unwrap();
    d.desktop.set_demo_idp(DemoIdpSettings { encrypt: Some(true), ..DemoIdpSettings::default() }).await.unwrap();

    let reset = d.desktop.reset_demo().await.unwrap();
    assert_eq!((reset.users_removed, reset.test_logins_removed, reset.personas), (1, 2, 6));
    assert!(d.demo_users().await.is_empty());
    assert!(d.desktop.test_logins(Some(DEMO_CONNECTION.into()), 10).await.unwrap().is_empty());
    assert_eq!(d.desktop.demo_personas().await.unwrap(), handshake::demo::personas::defaults());
    assert!(d.desktop.connection(DEMO_STRICT_CONNECTION.into()).await.is_err(), "the strict copy is gone");
    assert!(!d.desktop.demo_idp().await.unwrap().encrypt);
    // And the demo works again from scratch.
    assert_eq!(d.run(ScenarioId::Happy, None).await.outcome, Some(Outcome::Created));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_imports_like_any_idp_and_follows_the_port() {
    let d = demo().await;
    let res = client().get(format!("{}/demo-idp/metadata", d.base)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/samlmetadata+xml");
    let xml = res.text().await.unwrap();
    let imported = handshake::metadata::import(&xml, None, at()).unwrap();
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    assert_eq!(imported.idp.entity_id, DEMO_IDP_ENTITY_ID);
    assert_eq!(imported.idp.sso[0].location, format!("{}/demo-idp/sso", d.base));
    assert_eq!(imported.idp.sso[0].binding, handshake::connection::BINDING_HTTP_REDIRECT);
    let view = d.desktop.demo_idp().await.unwrap();
    assert_eq!(imported.idp.signing_certificates, vec![view.certificate.clone()]);

    // Another port: reusing the demo refreshes the connection's metadata, same entityID and key.
    let moved = d.desktop.start_server(0).await;
    assert!(moved.running);
    assert_ne!(moved.base_url, d.base);
    let setup = d.desktop.create_demo(None).await.unwrap();
    assert!(!setup.created && setup.metadata_refreshed);
    assert_eq!(setup.connection.idp_entity_id, DEMO_IDP_ENTITY_ID);
    assert_eq!(setup.connection.sso[0].location, format!("{}/demo-idp/sso", moved.base_url));
    assert_eq!(setup.idp.certificate, view.certificate);
    assert!(!d.desktop.create_demo(None).await.unwrap().metadata_refreshed, "nothing to refresh twice");
    let r = d
        .desktop
        .run_scenario(ScenarioRequest { scenario: ScenarioId::Happy, persona: None, skew_minutes: None })
        .await
        .unwrap();
    assert_eq!(r.verdict, DemoVerdict::Accepted);
}

fn inflate(encoded: &str) -> String {
    let deflated = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, encoded).unwrap();
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(&deflated[..]).read_to_string(&mut xml).unwrap();
    xml
}

pub(crate) fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name} in {html}")) + marker.len();
    html[start..].split('"').next().unwrap().replace("&amp;", "&")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sp_initiated_login_honours_in_response_to_and_relay_state() {
    let d = demo().await;
    let c = client();
    let r = c.get(format!("{}/saml/demo/login", d.base)).send().await.unwrap();
    assert!(r.status().is_redirection());
    let url = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(url.path(), "/demo-idp/sso");
    let query: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    let request = inflate(&query["SAMLRequest"]);
    let id = roxmltree::Document::parse(&request).unwrap().root_element().attribute("ID").unwrap().to_owned();
    let relay = query["RelayState"].clone();

    let picker = c.get(url.as_str()).send().await.unwrap();
    assert_eq!(picker.status(), 200);
    assert!(picker.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    // Not `no-referrer`: with it, browsers post our own forms with `Origin: null`.
    assert_eq!(picker.headers()["referrer-policy"], "same-origin");
    let picker = picker.text().await.unwrap();
    assert_eq!(hidden(&picker, "request_id"), id);
    assert_eq!(hidden(&picker, "relay_state"), relay);
    let token = hidden(&picker, "token");
    assert!(picker.contains("Priya Shah") && picker.contains("wrong-audience") && !picker.contains("<script>"));
    assert!(picker.contains("<form id=\"signin\" method=\"post\" action=\"/demo-idp/sso\">"));
    assert!(
        picker.contains("id=\"persona-0\"")
            && picker.contains("<button type=\"submit\" class=\"signin\">Sign in</button>")
    );
    // Like a real IdP's sign-in: the people first, then Sign in, the scenario behind Advanced.
    let at = |s: &str| picker.find(s).unwrap_or_else(|| panic!("no {s} in the picker"));
    assert!(at("id=\"persona-0\"") < at("class=\"signin\"") && at("class=\"signin\"") < at("<details>"));
    assert!(at("<details>") < at("name=\"scenario\"") && at("name=\"scenario\"") < at("</details>"));
    assert!(at("name=\"skew_minutes\"") < at("</details>"));

    let form = [
        ("connection", "demo"),
        ("request_id", id.as_str()),
        ("relay_state", relay.as_str()),
        ("token", token.as_str()),
        ("persona", "alex.kim@northwind.example"),
        ("scenario", "happy"),
    ];
    let post = c.post(format!("{}/demo-idp/sso", d.base)).form(&form).send().await.unwrap();
    assert_eq!(post.status(), 200);
    let csp = post.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self'") && csp.contains("form-action 'self'"), "{csp}");
    let page = post.text().await.unwrap();
    assert!(page.contains(&format!("action=\"{}/saml/demo/acs\"", d.base)));
    assert!(page.contains("<script src=\"/demo-idp/autopost.js\"></script>"));
    assert_eq!(hidden(&page, "RelayState"), relay);
    let response = hidden(&page, "SAMLResponse");
    let xml = String::from_utf8(base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &response).unwrap())
        .unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(doc.root_element().attribute("InResponseTo"), Some(id.as_str()));
    let scd = doc.descendants().find(|n| n.tag_name().name() == "SubjectConfirmationData").unwrap();
    assert_eq!(scd.attribute("InResponseTo"), Some(id.as_str()));

    let acs = c
        .post(format!("{}/saml/demo/acs", d.base))
        .form(&[("SAMLResponse", response.as_str()), ("RelayState", relay.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(acs.status(), 303);
    let users = d.demo_users().await;
    assert_eq!(users[0].email.as_deref(), Some("alex.kim@northwind.example"));
    assert_eq!(users[0].roles, vec!["admin"]);

    let js = c.get(format!("{}/demo-idp/autopost.js", d.base)).send().await.unwrap();
    assert!(js.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    assert!(js.text().await.unwrap().contains("submit()"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_idp_refuses_bad_requests_with_a_clear_4xx() {
    let d = demo().await;
    let c = client();
    let get = |path: &str| c.get(format!("{}{path}", d.base)).send();
    assert_eq!(get("/demo-idp/sso").await.unwrap().status(), 400);
    assert_eq!(get("/demo-idp/sso?SAMLRequest=%25%25").await.unwrap().status(), 400);
    // An AuthnRequest from an SP with no connection to the demo IdP.
    let foreign = samael::schema::AuthnRequest {
        id: "_foreign".into(),
        version: "2.0".into(),
        issue_instant: at(),
        issuer: Some(samael::schema::Issuer {
            value: Some("https://sp.elsewhere.example".into()),
            ..Default::default()
        }),
        destination: Some(format!("{}/demo-idp/sso", d.base)),
        ..Default::default()
    };
    let url = foreign.redirect("x").unwrap().unwrap();
    let res = c.get(url.as_str()).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("no connection to the demo IdP"));
    let start = get("/demo-idp/start?persona=nobody@northwind.example").await.unwrap();
    assert_eq!(start.status(), 404);
    let start = get("/demo-idp/start?persona=priya.shah@northwind.example&scenario=nope").await.unwrap();
    assert_eq!(start.status(), 400);
    // Still serving.
    assert_eq!(get("/demo-idp/metadata").await.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signature_variants_and_encryption_are_idp_settings() {
    let d = demo().await;
    for (sign, response, assertion) in
        [(SignMode::Response, true, false), (SignMode::Assertion, false, true), (SignMode::Both, true, true)]
    {
        d.desktop.set_demo_idp(DemoIdpSettings { sign: Some(sign), ..DemoIdpSettings::default() }).await.unwrap();
        let r = d.run(ScenarioId::Happy, None).await;
        assert_eq!(r.verdict, DemoVerdict::Accepted, "{sign:?}");
        let report = d.desktop.test_login(r.test_login_id.unwrap()).await.unwrap().login.report;
        assert_eq!(
            (report.response_signed, report.assertion_signed, report.encrypted),
            (response, assertion, false),
            "{sign:?}"
        );
    }
    d.desktop.set_demo_idp(DemoIdpSettings { encrypt: Some(true), ..DemoIdpSettings::default() }).await.unwrap();
    let r = d.run(ScenarioId::Happy, None).await;
    assert_eq!(r.verdict, DemoVerdict::Accepted);
    assert!(d.desktop.test_login(r.test_login_id.unwrap()).await.unwrap().login.report.encrypted);
}

#[test]
fn cli_runs_a_scenario_headless_and_lists_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let secrets = dir.path().join("secrets");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_handshake"))
            .arg("--db")
            .arg(&db)
            .arg("--secret-store")
            .arg(format!("file:{}", secrets.display()))
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
    let v = run(&["demo", "--scenario", "wrong-audience", "--json"]);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["scenario", "verdict", "failed_check", "outcome", "user"]);
    assert_eq!(
        (v["scenario"].as_str(), v["verdict"].as_str(), v["failed_check"].as_str()),
        (Some("wrong-audience"), Some("rejected"), Some("audience"))
    );
    assert_eq!((v["outcome"].as_str(), v["user"].is_null()), (Some("rejected"), true));

    let v = run(&["demo", "--scenario", "happy", "--persona", "alex.kim@northwind.example", "--json"]);
    assert_eq!((v["verdict"].as_str(), v["failed_check"].is_null()), (Some("accepted"), true));
    assert_eq!(v["user"]["roles"], serde_json::json!(["admin"]));

    let list = run(&["demo", "--list", "--json"]);
    let names: Vec<&str> = list["scenarios"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ScenarioId::names());
    assert_eq!(list["personas"].as_array().unwrap().len(), 6);
    assert_eq!(list["story"]["steps"].as_array().unwrap().len(), 3);

    // The story, step by step, as the app tells it: the leaver's account outlives her IdP account.
    let mover = run(&["demo", "--story", "mover", "--json"]);
    assert_eq!((mover["step"].as_str(), mover["result"]["outcome"].as_str()), (Some("mover"), Some("created")));
    let leaver = run(&["demo", "--story", "leaver", "--json"]);
    assert_eq!(
        (leaver["result"]["verdict"].as_str(), leaver["result"]["as_expected"].as_bool()),
        (Some("rejected"), Some(true))
    );
    assert!(leaver["story"]["steps"][2]["done"].as_bool().unwrap());

    // The demo IdP's key is in the secret store, never in the catalog.
    assert!(secrets.join("demo-idp-key.secret").exists());
    let catalog = std::fs::read(&db).unwrap();
    assert!(!catalog.windows(11).any(|w| w == b"PRIVATE KEY"));
}

// ---- the local web surface (issue #11): acting routes are POST-only, with a token ----

/// Rows a sign-in would add: test logins, users, audit entries.
fn written(d: &Demo) -> (i64, i64, i64) {
    let conn = rusqlite::Connection::open(d.dir.path().join("demo.db")).unwrap();
    conn.query_row(
        "SELECT (SELECT count(*) FROM test_logins), (SELECT count(*) FROM users), (SELECT count(*) FROM audit_log)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .unwrap()
}

/// Does what a browser does with a page: submits its auto-posting form, if it has one.
pub(crate) async fn as_a_browser(c: &reqwest::Client, page: &str) {
    if !page.contains("data-auto=\"1\"") {
        return;
    }
    let action = page.split("action=\"").nth(1).unwrap().split('"').next().unwrap().replace("&amp;", "&");
    let mut fields = vec![("SAMLResponse", hidden(page, "SAMLResponse"))];
    if page.contains("name=\"RelayState\"") {
        fields.push(("RelayState", hidden(page, "RelayState")));
    }
    c.post(action).form(&fields).send().await.unwrap();
}

/// A fresh SP-initiated login's picker page at the demo IdP, and its URL.
pub(crate) async fn picker_page(d: &Demo, c: &reqwest::Client) -> (String, String) {
    let r = c.get(format!("{}/saml/demo/login", d.base)).send().await.unwrap();
    let url = r.headers()["location"].to_str().unwrap().to_owned();
    let page = c.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    (page.text().await.unwrap(), url)
}

pub(crate) async fn post<F: serde::Serialize + ?Sized>(
    c: &reqwest::Client,
    url: &str,
    fields: &F,
    headers: &[(&str, &str)],
) -> (u16, String) {
    let mut req = c.post(url).form(fields);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_a_get_on_an_acting_route_never_signs_or_provisions() {
    let d = demo().await;
    let c = client();
    let (_, sso_url) = picker_page(&d, &c).await;
    let before = written(&d);
    let b = &d.base;
    let gets = [
        format!("{b}/demo-idp/start?persona={PRIYA}&scenario=idp-initiated"),
        format!("{b}/demo-idp/start?connection=demo&persona={PRIYA}&scenario=replay"),
        format!("{b}/demo-idp/start"),
        format!("{sso_url}&connection=demo&persona={PRIYA}&scenario=happy"),
        format!("{b}/demo-idp/sso?connection=demo&persona={PRIYA}&request_id=_chosen&scenario=happy"),
    ];
    for url in &gets {
        let res = c.get(url).send().await.unwrap();
        let status = res.status();
        let page = res.text().await.unwrap();
        assert!(!page.contains("SAMLResponse"), "GET {url} ({status}) signed a response:\n{page}");
        as_a_browser(&c, &page).await;
    }
    assert_eq!(written(&d), before, "a GET provisioned someone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_demo_idp_posts_need_a_token_and_a_same_origin_request() {
    let d = demo().await;
    let c = client();
    let before = written(&d);
    let own = d.base.as_str();

    // SP-initiated: the picker's form, with its token bound to the AuthnRequest.
    let (picker, _) = picker_page(&d, &c).await;
    let (id, relay, token) = (hidden(&picker, "request_id"), hidden(&picker, "relay_state"), hidden(&picker, "token"));
    let (other_picker, _) = picker_page(&d, &c).await;
    let other_token = hidden(&other_picker, "token");
    let sso = format!("{}/demo-idp/sso", d.base);
    let fields = |id: &str, token: Option<&str>| {
        let mut f = vec![
            ("connection", "demo".to_owned()),
            ("request_id", id.to_owned()),
            ("relay_state", relay.clone()),
            ("persona", PRIYA.to_owned()),
            ("scenario", "happy".to_owned()),
        ];
        f.extend(token.map(|t| ("token", t.to_owned())));
        f
    };
    let forged = "1772443800.00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    let refused = [
        ("no token", fields(&id, None), vec![]),
        ("a forged token", fields(&id, Some(forged)), vec![]),
        ("a garbage token", fields(&id, Some("x")), vec![]),
        ("a request ID the IdP never received", fields("_chosen_by_the_attacker", Some(&token)), vec![]),
        ("another request's token", fields(&id, Some(&other_token)), vec![]),
        ("a cross-site Origin", fields(&id, Some(&token)), vec![("origin", "https://evil.example")]),
        ("an opaque Origin", fields(&id, Some(&token)), vec![("origin", "null")]),
        ("our host on another port", fields(&id, Some(&token)), vec![("origin", "http://127.0.0.1:1")]),
        ("Sec-Fetch-Site cross-site", fields(&id, Some(&token)), vec![("sec-fetch-site", "cross-site")]),
        ("Sec-Fetch-Site same-site", fields(&id, Some(&token)), vec![("sec-fetch-site", "same-site")]),
    ];
    for (what, f, headers) in &refused {
        let (status, page) = post(&c, &sso, f, headers).await;
        assert_eq!(status, 403, "sign-in with {what}: {page}");
        assert!(!page.contains("SAMLResponse"), "sign-in with {what} signed a response");
    }
    // The real thing, as a browser sends it.
    let f = fields(&id, Some(&token));
    let (status, page) = post(&c, &sso, &f, &[("origin", own), ("sec-fetch-site", "same-origin")]).await;
    assert_eq!(status, 200, "{page}");
    let xml = String::from_utf8(
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, hidden(&page, "SAMLResponse")).unwrap(),
    )
    .unwrap();
    assert!(xml.contains(&format!("InResponseTo=\"{id}\"")));

    // IdP-initiated: the start page's form.
    let start = format!("{}/demo-idp/start", d.base);
    let page = c.get(format!("{start}?persona={PRIYA}")).send().await.unwrap().text().await.unwrap();
    let token = hidden(&page, "token");
    let start_fields = |connection: &str, token: Option<&str>| {
        let mut f = vec![
            ("connection", connection.to_owned()),
            ("persona", PRIYA.to_owned()),
            ("scenario", "idp-initiated".to_owned()),
        ];
        f.extend(token.map(|t| ("token", t.to_owned())));
        f
    };
    let refused = [
        ("no token", start_fields("demo", None), vec![]),
        ("a forged token", start_fields("demo", Some(forged)), vec![]),
        ("a cross-site Origin", start_fields("demo", Some(&token)), vec![("origin", "https://evil.example")]),
        ("Sec-Fetch-Site cross-site", start_fields("demo", Some(&token)), vec![("sec-fetch-site", "cross-site")]),
        ("another connection than the page's", start_fields("demo-strict", Some(&token)), vec![]),
    ];
    for (what, f, headers) in &refused {
        let (status, page) = post(&c, &start, f, headers).await;
        assert_eq!(status, 403, "start with {what}: {page}");
        assert!(!page.contains("SAMLResponse"), "start with {what} signed a response");
    }
    assert_eq!(written(&d), before, "nothing was signed, so nothing reached the ACS");
    let (status, page) = post(&c, &start, &start_fields("demo", Some(&token)), &[("origin", own)]).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("SAMLResponse"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_unknown_key_scenario_signs_with_one_key_generated_once() {
    let d = demo().await;
    let idp = d.desktop.demo_idp().await.unwrap().certificate;
    let mut signers = Vec::new();
    for _ in 0..2 {
        let r = d.run(ScenarioId::UnknownKey, None).await;
        assert_eq!(r.failed_check.map(handshake::login::Stop::as_str), Some("signature"));
        let xml = d.desktop.test_login(r.test_login_id.unwrap()).await.unwrap().login.response_xml.unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let certs: Vec<String> = doc
            .descendants()
            .filter(|n| n.tag_name().name() == "X509Certificate")
            .map(|n| n.text().unwrap().split_whitespace().collect())
            .collect();
        assert!(!certs.is_empty(), "the signature carries its certificate");
        let fingerprints: Vec<String> =
            certs.iter().map(|c| handshake::certs::Certificate::from_base64(c).unwrap().sha256_fingerprint).collect();
        assert!(fingerprints.iter().all(|f| *f == fingerprints[0]));
        signers.push(fingerprints[0].clone());
    }
    assert_eq!(signers[0], signers[1], "both runs signed by the same unknown key");
    assert_ne!(signers[0], idp.sha256_fingerprint, "and it is not the demo IdP's key");
}
