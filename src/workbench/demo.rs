//! The built-in demo IdP as operations: create it and the `demo` connection, its settings and
//! people, the scenarios (prepared here, driven over HTTP by `crate::demo::run`), the story,
//! reset. The IdP itself (what it signs and sends) lives in `crate::demo`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ConnectionView, ImportRequest, Workbench};
use crate::certs::Certificate;
use crate::connection::{self, SecurityPolicy};
use crate::demo::scenarios::{self, Flow};
use crate::demo::scim_client::ScimExchange;
use crate::demo::scim_run::RunLog;
use crate::demo::story::{DemoStory, StoryMode, StoryStep};
use crate::demo::{
    AutoPost, DEMO_CONNECTION, DEMO_IDP_ENTITY_ID, DEMO_OIDC_CONNECTION, DEMO_STRICT_CONNECTION, DemoIdentity,
    DemoStyle, DemoTarget, DemoVerdict, Expected, METADATA_SOURCE, PendingRequest, Persona, PreparedScenario,
    ScenarioId, SignInForm, SignMode, demo_mapping, find_persona, idp, metadata_xml,
};
use crate::directory::{FieldChange, User};
use crate::error::{Error, ErrorCode, Result};
use crate::idp::SigningKey;
use crate::login::{Outcome, Stop, Summary};
use crate::secrets;
use crate::sp;
use crate::store;

/// The demo IdP as the app shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct DemoIdpView {
    pub entity_id: String,
    pub metadata_url: String,
    pub sso_url: String,
    pub certificate: Certificate,
    pub style: DemoStyle,
    pub style_label: String,
    pub sign: SignMode,
    pub encrypt: bool,
}

/// Settings of the demo IdP; `None` keeps the current value.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct DemoIdpSettings {
    pub style: Option<DemoStyle>,
    pub sign: Option<SignMode>,
    pub encrypt: Option<bool>,
}

/// What "Create demo connection" did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct DemoSetup {
    pub idp: DemoIdpView,
    pub connection: ConnectionView,
    /// Where a browser starts an SP-initiated test login at the demo connection.
    pub login_url: String,
    /// The connection was created now (not reused).
    pub created: bool,
    /// A reused connection got the demo IdP's current metadata (new port or certificate).
    pub metadata_refreshed: bool,
}

/// One scenario as the app and `demo --list` show it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ScenarioInfo {
    pub name: String,
    pub title: String,
    pub explanation: String,
    pub flow: Flow,
    /// With the demo IdP's current style and the default clock skew.
    pub expected: Expected,
    /// `expected` in the terms of a result's summary ("Denied by the missing_attribute rule").
    pub intended: String,
}

/// What `demo --list` prints.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct DemoCatalog {
    pub style: DemoStyle,
    pub scenarios: Vec<ScenarioInfo>,
    pub personas: Vec<Persona>,
    /// The joiner-mover-leaver story with JIT alone, as far as the IdP's people show it.
    pub story: DemoStory,
    /// The same story in hybrid (SCIM pre-provisions and de-provisions): the app shows the two
    /// side by side.
    pub hybrid_story: DemoStory,
}

/// Run one scenario: which, as whom (email or persona id; default the first active persona).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ScenarioRequest {
    pub scenario: ScenarioId,
    #[serde(default)]
    pub persona: Option<String>,
    /// For `clock-skew`: how far the IdP's clock is ahead (default 5 minutes).
    #[serde(default)]
    pub skew_minutes: Option<i64>,
}

/// How a scenario ended.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ScenarioResult {
    /// The scenario's name; for a story step, the step's (`leaver`), which has its own intended outcome.
    pub scenario: String,
    /// `accepted` only when the login ended with a signed-in user.
    pub verdict: DemoVerdict,
    /// The validation check or provisioning rule that stopped the login.
    pub failed_check: Option<Stop>,
    /// How the deciding sign-in ended; `None` for a SCIM scenario without one.
    pub outcome: Option<Outcome>,
    pub user: Option<User>,
    pub expected: Expected,
    /// Verdict and failed check are the intended ones.
    pub as_expected: bool,
    /// `expected` in the terms of `summary` ("Rejected at the status check").
    pub intended: String,
    /// What happened, why, what an admin would change: the words the full result shows too.
    pub summary: Summary,
    /// What the login changed in the account (the mover's promotion), as the full result shows it.
    pub diff: Vec<FieldChange>,
    pub persona: String,
    pub connection: String,
    /// The test login at the ACS (the last one, for `replay`); `None` when the run signed
    /// nobody in (`scim-bad-token`, `scim-entra-quirks`, the pre-provisioning step).
    #[cfg_attr(feature = "typescript", ts(type = "number | null"))]
    pub test_login_id: Option<i64>,
    /// The SCIM requests the demo IdP's client sent, in order, with their answers.
    pub scim: Vec<ScimExchange>,
    /// What the scenario checks beyond the verdict (the directory, audit rows, the SCIM
    /// document, the report), each judged by the core.
    pub checks: Vec<DemoCheck>,
}

/// One thing a scenario checks beyond the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct DemoCheck {
    /// What should hold ("the account is deactivated").
    pub what: String,
    pub ok: bool,
    /// What was found.
    pub found: String,
}

impl DemoCheck {
    pub fn new(what: impl Into<String>, ok: bool, found: impl Into<String>) -> Self {
        DemoCheck { what: what.into(), ok, found: found.into() }
    }
}

/// A story step made ready: its change applied at the IdP, its sign-in prepared.
#[derive(Debug, Clone)]
pub struct PreparedStoryStep {
    pub step: StoryStep,
    pub mode: StoryMode,
    pub scenario: PreparedScenario,
}

/// How a story step went: the sign-in's result, what to point out, and the story now.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct StoryStepResult {
    pub step: StoryStep,
    pub mode: StoryMode,
    pub result: ScenarioResult,
    pub moral: String,
    pub story: DemoStory,
}

/// What "Reset demo data" removed.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct DemoReset {
    pub users_removed: u32,
    pub test_logins_removed: u32,
    pub personas: u32,
}

impl Workbench {
    /// The demo IdP's identity, created on first use: a fresh key pair (the key to the secret
    /// store, the certificate to the catalog) and the default personas. A catalog whose key
    /// is missing from this secret store (another `--secret-store`) gets a new key pair.
    pub(crate) fn demo_identity(&self, now: DateTime<Utc>) -> Result<DemoIdentity> {
        let existing = store::demo::identity(self.store())?;
        if let Some(id) = existing
            && self.secrets().get(secrets::demo_idp_key())?.is_some()
        {
            return Ok(id);
        }
        let pair = sp::generate_key_pair("Handshake demo IdP", now)?;
        self.secrets().set(secrets::demo_idp_key(), &pair.key_pem)?;
        let tx = self.store().write()?;
        store::demo::save_certificate(&tx, &pair.certificate, now)?;
        if !store::demo::has_personas(&tx)? {
            store::demo::restore_default_personas(&tx, now)?;
        }
        let identity = store::demo::identity(&tx)?;
        tx.commit()?;
        identity.ok_or_else(|| Error::new(ErrorCode::Internal, "the demo IdP was not stored"))
    }

    fn demo_signing_key(&self, identity: &DemoIdentity) -> Result<SigningKey> {
        let pem = secrets::require(self.secrets().as_ref(), secrets::demo_idp_key(), "demo IdP signing key")?;
        SigningKey::from_pem(&pem, identity.certificate.pem().as_bytes())
    }

    pub(super) fn demo_view(&self, identity: &DemoIdentity) -> DemoIdpView {
        let base = self.base_url().trim_end_matches('/');
        DemoIdpView {
            entity_id: DEMO_IDP_ENTITY_ID.into(),
            metadata_url: format!("{base}/demo-idp/metadata"),
            sso_url: format!("{base}/demo-idp/sso"),
            certificate: identity.certificate.clone(),
            style: identity.style,
            style_label: identity.style.label().into(),
            sign: identity.sign,
            encrypt: identity.encrypt,
        }
    }

    /// The demo IdP (created on first use).
    pub fn demo_idp(&self, now: DateTime<Utc>) -> Result<DemoIdpView> {
        Ok(self.demo_view(&self.demo_identity(now)?))
    }

    /// The demo IdP's metadata for the current port. Reading it creates nothing: before
    /// the demo exists it is "not found".
    pub fn demo_metadata(&self) -> Result<String> {
        let identity = store::demo::identity(self.store())?
            .ok_or_else(|| Error::not_found("there is no demo IdP yet; create the demo connection first"))?;
        Ok(metadata_xml(self.base_url(), &identity.certificate))
    }

    /// Changes the demo IdP's style, signatures or encryption. A new style also gives the
    /// demo connection that style's mapping.
    pub fn set_demo_idp(&self, settings: &DemoIdpSettings, now: DateTime<Utc>) -> Result<DemoIdpView> {
        let before = self.demo_identity(now)?;
        let style = settings.style.unwrap_or(before.style);
        let sign = settings.sign.unwrap_or(before.sign);
        let encrypt = settings.encrypt.unwrap_or(before.encrypt);
        let tx = self.store().write()?;
        store::demo::save_settings(&tx, style, sign, encrypt, now)?;
        tx.commit()?;
        if style != before.style {
            for name in [DEMO_CONNECTION, DEMO_STRICT_CONNECTION] {
                if self.store().get_connection(name).is_ok() {
                    self.set_mapping(name, &demo_mapping(style), now)?;
                }
            }
        }
        self.demo_idp(now)
    }

    /// "Create demo connection": creates the demo IdP and the `demo` connection to it (the
    /// style's mapping and the demo role rules), or reuses them, refreshing the connection's
    /// metadata when the port or the certificate changed. `style` switches the IdP's style.
    pub fn create_demo(&self, style: Option<DemoStyle>, now: DateTime<Utc>) -> Result<DemoSetup> {
        let mut identity = self.demo_identity(now)?;
        if let Some(s) = style.filter(|s| *s != identity.style) {
            self.set_demo_idp(&DemoIdpSettings { style: Some(s), ..DemoIdpSettings::default() }, now)?;
            identity.style = s;
        }
        let xml = metadata_xml(self.base_url(), &identity.certificate);
        let (created, refreshed) = match self.store().get_connection(DEMO_CONNECTION) {
            Err(e) if e.code == ErrorCode::NotFound => {
                let request = ImportRequest {
                    name: DEMO_CONNECTION.into(),
                    metadata_xml: xml.clone(),
                    source: METADATA_SOURCE.into(),
                    ..ImportRequest::default()
                };
                let mapping = (demo_mapping(identity.style), "the demo IdP's mapping");
                self.import_with(&request, SecurityPolicy::default(), Some(mapping), now)?;
                (true, false)
            }
            Err(e) => return Err(e),
            Ok(c) if c.idp.entity_id != DEMO_IDP_ENTITY_ID => {
                return Err(Error::new(
                    ErrorCode::AlreadyExists,
                    format!(
                        "a connection named {DEMO_CONNECTION:?} already exists for another IdP ({}); rename or remove it first",
                        c.idp.entity_id
                    ),
                ));
            }
            Ok(c) => {
                let stale = c.metadata_xml != xml;
                if stale {
                    self.replace_metadata(DEMO_CONNECTION, &xml, METADATA_SOURCE, now)?;
                }
                (false, stale)
            }
        };
        if let Ok(strict) = self.store().get_connection(DEMO_STRICT_CONNECTION)
            && strict.idp.entity_id == DEMO_IDP_ENTITY_ID
            && strict.metadata_xml != xml
        {
            self.replace_metadata(DEMO_STRICT_CONNECTION, &xml, METADATA_SOURCE, now)?;
        }
        self.ensure_demo_scim(now)?;
        let connection = self.connection(DEMO_CONNECTION, now)?;
        let base = self.base_url().trim_end_matches('/');
        Ok(DemoSetup {
            idp: self.demo_view(&identity),
            login_url: format!("{base}/saml/{}/login", connection::url_segment(DEMO_CONNECTION)),
            connection,
            created,
            metadata_refreshed: refreshed,
        })
    }

    /// The `demo-strict` copy (refuses IdP-initiated logins), made on first need.
    fn ensure_demo_strict(&self, now: DateTime<Utc>) -> Result<()> {
        let strict = match self.store().get_connection(DEMO_STRICT_CONNECTION) {
            Ok(c) if c.idp.entity_id != DEMO_IDP_ENTITY_ID => {
                return Err(Error::new(
                    ErrorCode::AlreadyExists,
                    format!(
                        "a connection named {DEMO_STRICT_CONNECTION:?} exists for another IdP; rename or remove it"
                    ),
                ));
            }
            Ok(c) => c,
            Err(e) if e.code == ErrorCode::NotFound => {
                self.duplicate_connection(DEMO_CONNECTION, DEMO_STRICT_CONNECTION, now)?;
                self.store().get_connection(DEMO_STRICT_CONNECTION)?
            }
            Err(e) => return Err(e),
        };
        if strict.policy.allow_idp_initiated {
            self.set_policy(
                DEMO_STRICT_CONNECTION,
                SecurityPolicy { allow_idp_initiated: false, ..strict.policy.clone() },
                now,
            )?;
        }
        Ok(())
    }

    pub fn demo_personas(&self) -> Result<Vec<Persona>> {
        store::demo::personas(self.store())
    }

    /// Adds or edits a persona at the demo IdP (matched by `id`).
    pub fn set_demo_persona(&self, persona: &Persona, now: DateTime<Utc>) -> Result<Persona> {
        persona.check()?;
        let tx = self.store().write()?;
        store::demo::upsert_persona(&tx, persona, now)?;
        tx.commit()?;
        let all = self.demo_personas()?;
        find_persona(&all, &persona.id)
            .cloned()
            .ok_or_else(|| Error::new(ErrorCode::Internal, "the persona was not stored"))
    }

    pub fn remove_demo_persona(&self, key: &str) -> Result<()> {
        let all = self.demo_personas()?;
        let p =
            find_persona(&all, key).ok_or_else(|| Error::not_found(format!("the demo IdP has no persona {key:?}")))?;
        let tx = self.store().write()?;
        store::demo::remove_persona(&tx, &p.id)?;
        tx.commit()
    }

    /// Deactivates (or reactivates) a person at the demo IdP: the IdP then refuses to sign
    /// them in. Handshake's account is untouched: JIT provisioning cannot de-provision.
    pub fn set_demo_persona_active(&self, key: &str, active: bool, now: DateTime<Utc>) -> Result<Persona> {
        let all = self.demo_personas()?;
        let p =
            find_persona(&all, key).ok_or_else(|| Error::not_found(format!("the demo IdP has no persona {key:?}")))?;
        self.set_demo_persona(&Persona { active, ..p.clone() }, now)
    }

    /// The scenarios (expected outcomes for the current style) and the personas.
    pub fn demo_catalog(&self, now: DateTime<Utc>) -> Result<DemoCatalog> {
        let identity = self.demo_identity(now)?;
        let scenarios = scenarios::all()
            .map(|s| ScenarioInfo {
                name: s.name.into(),
                title: s.title.into(),
                explanation: s.explanation.into(),
                flow: s.flow,
                expected: s.id.expected(identity.style, scenarios::DEFAULT_SKEW_MINUTES),
                intended: s.id.expected(identity.style, scenarios::DEFAULT_SKEW_MINUTES).term(),
            })
            .collect();
        let personas = self.demo_personas()?;
        let story = self.demo_story(&personas, StoryMode::Jit)?;
        let hybrid_story = self.demo_story(&personas, StoryMode::Hybrid)?;
        Ok(DemoCatalog { style: identity.style, scenarios, story, hybrid_story, personas })
    }

    /// The demo IdP's SSO endpoint reading an AuthnRequest: it must come from a connection
    /// to the demo IdP, with that connection's ACS URL.
    pub fn demo_receive_request(&self, saml_request: &str) -> Result<PendingRequest> {
        let request = idp::read_redirect_request(saml_request)?;
        let connections = self.store().list_connections()?;
        let c = connections
            .iter()
            .filter(|c| c.idp.entity_id == DEMO_IDP_ENTITY_ID)
            .map(|c| (c, c.sp.resolve(&c.name, self.base_url())))
            .find(|(_, sp)| sp.entity_id == request.issuer)
            .map(|(c, sp)| (c.name.clone(), sp))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "the AuthnRequest comes from SP {:?}, which has no connection to the demo IdP",
                    request.issuer
                ))
            })?;
        let (name, sp) = c;
        if let Some(acs) = request.acs_url.as_deref().filter(|acs| *acs != sp.acs_url) {
            return Err(Error::invalid(format!(
                "the AuthnRequest asks for ACS URL {acs:?}, but connection {name} registers {:?}; the IdP sends responses only to registered ACS URLs",
                sp.acs_url
            )));
        }
        Ok(PendingRequest {
            request_id: request.id,
            target: DemoTarget {
                connection: name,
                sp_entity_id: sp.entity_id,
                acs_url: sp.acs_url,
                personas: self.demo_personas()?,
            },
        })
    }

    /// Where an IdP-initiated sign-in at the demo IdP would go: `connection` must use it.
    pub fn demo_target(&self, connection: &str) -> Result<DemoTarget> {
        let c = self.store().get_connection(connection)?;
        if c.idp.entity_id != DEMO_IDP_ENTITY_ID {
            return Err(Error::invalid(format!("connection {} does not use the demo IdP", c.name)));
        }
        let sp = c.sp.resolve(&c.name, self.base_url());
        Ok(DemoTarget {
            connection: c.name,
            sp_entity_id: sp.entity_id,
            acs_url: sp.acs_url,
            personas: self.demo_personas()?,
        })
    }

    /// The demo IdP signs a persona in (or, for a deactivated one, refuses with a signed
    /// RequestDenied): the Response to post to the connection's ACS.
    pub fn demo_sign_in(&self, form: &SignInForm, now: DateTime<Utc>) -> Result<AutoPost> {
        let c = self.store().get_connection(&form.connection)?;
        if c.idp.entity_id != DEMO_IDP_ENTITY_ID {
            return Err(Error::invalid(format!("connection {} does not use the demo IdP", c.name)));
        }
        let identity = self.demo_identity(now)?;
        let key = self.demo_signing_key(&identity)?;
        let all = self.demo_personas()?;
        let persona = find_persona(&all, &form.persona)
            .ok_or_else(|| Error::not_found(format!("the demo IdP has no persona {:?}", form.persona)))?;
        let sp = c.sp.resolve(&c.name, self.base_url());
        let sign_in = idp::SignIn {
            key: &key,
            idp_entity_id: DEMO_IDP_ENTITY_ID,
            style: identity.style,
            sign: identity.sign,
            encrypt: identity.encrypt,
            sp: idp::Audience {
                entity_id: &sp.entity_id,
                acs_url: &sp.acs_url,
                certificate: c.sp.certificate.as_ref(),
            },
            persona,
            scenario: form.scenario,
            in_response_to: form.request_id.as_deref(),
            skew_minutes: form.skew_minutes.unwrap_or(scenarios::DEFAULT_SKEW_MINUTES),
            now,
        };
        let (saml_response, denied) = if persona.active {
            (idp::issue(&sign_in)?, false)
        } else {
            (
                idp::issue_denied(
                    &sign_in,
                    &format!("The account {} is disabled at the identity provider", persona.email),
                )?,
                true,
            )
        };
        Ok(AutoPost { acs_url: sp.acs_url, saml_response, relay_state: form.relay_state.clone(), denied })
    }

    /// Everything a scenario needs before it is driven over HTTP: the demo connection (and
    /// `demo-strict` when needed) up to date for this port, and the persona chosen.
    pub fn prepare_scenario(&self, request: &ScenarioRequest, now: DateTime<Utc>) -> Result<PreparedScenario> {
        if request.scenario.is_scim() {
            return self.prepare_scim_scenario(request, now);
        }
        let (setup, connection) = if request.scenario.is_oidc() {
            (self.create_oidc_demo(now)?, DEMO_OIDC_CONNECTION)
        } else if request.scenario == ScenarioId::IdpInitiatedRefused {
            let setup = self.create_demo(None, now)?;
            self.ensure_demo_strict(now)?;
            (setup, DEMO_STRICT_CONNECTION)
        } else {
            (self.create_demo(None, now)?, DEMO_CONNECTION)
        };
        let persona = self.scenario_persona(request.persona.as_deref())?;
        let skew_minutes = request.skew_minutes.unwrap_or(scenarios::DEFAULT_SKEW_MINUTES);
        Ok(PreparedScenario {
            scenario: request.scenario,
            connection: connection.into(),
            persona: persona.email.clone(),
            skew_minutes,
            expected: request.scenario.expected(setup.idp.style, skew_minutes),
            after_test_login: store::logins::last_test_login_id(self.store())?,
            scim: None,
            after_audit: store::demo::last_audit_id(self.store())?,
            counts_before: crate::demo::RowCounts::default(),
        })
    }

    /// The persona a scenario signs in as: `key` (email or id), or the first active one.
    pub(super) fn scenario_persona(&self, key: Option<&str>) -> Result<Persona> {
        let all = self.demo_personas()?;
        let persona = match key {
            Some(key) => find_persona(&all, key).ok_or_else(|| {
                Error::not_found(format!(
                    "the demo IdP has no persona {key:?}; personas: {}",
                    all.iter().map(|p| p.email.as_str()).collect::<Vec<_>>().join(", ")
                ))
            })?,
            None => all
                .iter()
                .find(|p| p.active)
                .or_else(|| all.first())
                .ok_or_else(|| Error::not_found("the demo IdP has no personas; reset the demo data"))?,
        };
        Ok(persona.clone())
    }

    /// The result of a driven run: its last sign-in's, and for a SCIM run what its SCIM
    /// requests did, judged against the scenario's checks.
    pub fn run_result(&self, prepared: &PreparedScenario, log: &RunLog) -> Result<ScenarioResult> {
        if prepared.scim.is_some() {
            return self.scim_run_result(prepared, log);
        }
        let last = log.test_logins.last().copied().ok_or_else(|| Error::invalid("the run signed nobody in"))?;
        self.scenario_result(prepared, last)
    }

    /// The result of a driven scenario, read from its test login. The run's test logins
    /// (every one since it was prepared: a replay posts twice) are marked as demo runs, so
    /// the connection's health keeps reflecting the admin's own last test login.
    pub fn scenario_result(&self, prepared: &PreparedScenario, test_login_id: i64) -> Result<ScenarioResult> {
        let tx = self.store().write()?;
        store::logins::mark_demo_runs(&tx, &prepared.connection, prepared.after_test_login, test_login_id)?;
        tx.commit()?;
        let t = self.test_login(test_login_id)?;
        let verdict = if t.report.outcome.signed_in() { DemoVerdict::Accepted } else { DemoVerdict::Rejected };
        let failed_check = t.report.failed_check;
        let as_expected = verdict == prepared.expected.verdict && failed_check == prepared.expected.failed_check;
        let outcome = Some(t.report.outcome);
        Ok(ScenarioResult {
            scenario: prepared.scenario.name().into(),
            intended: prepared.expected.term(),
            summary: Summary::of(&t.report),
            diff: t.report.diff.clone(),
            verdict,
            failed_check,
            outcome,
            user: t.report.user.clone(),
            expected: prepared.expected.clone(),
            as_expected,
            persona: prepared.persona.clone(),
            connection: t.connection,
            test_login_id: Some(test_login_id),
            scim: Vec::new(),
            checks: Vec::new(),
        })
    }
}
