//! The joiner-mover-leaver story as operations, in both modes (`crate::demo::story`): where
//! its person stands, a step made ready (the mode's policy, the change at the IdP, in hybrid
//! the SCIM requests first), the whole story restarted, a step's result with its checks.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Workbench;
use super::demo::{DemoCheck, PreparedStoryStep, ScenarioRequest, StoryStepResult};
use super::demo_scim::name_of;
use crate::demo::scim_run::{RunLog, ScimPlan};
use crate::demo::story::{self, DemoStory, StoryMode, StoryState, StoryStep};
use crate::demo::{DEMO_CONNECTION, Persona, ScenarioId, find_persona, personas};
use crate::directory::{User, UserQuery, UserSource, UserStatus};
use crate::error::{Error, Result};
use crate::provision::LifecyclePolicy;
use crate::store;

/// A whole story run in one mode, step by step (the app's column).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct StoryRun {
    pub mode: StoryMode,
    pub steps: Vec<StoryStepResult>,
}

impl Workbench {
    /// The story in `mode` as far as the IdP's people and the demo connection's accounts show it.
    pub(super) fn demo_story(&self, personas: &[Persona], mode: StoryMode) -> Result<DemoStory> {
        let state = match story::person(personas) {
            Some(p) => self.story_state(p)?,
            None => StoryState::default(),
        };
        Ok(DemoStory::of(personas, mode, state))
    }

    /// The person's account at the demo connection, if any.
    pub(super) fn demo_account(&self, email: &str) -> Result<Option<User>> {
        if self.store().get_connection(DEMO_CONNECTION).is_err() {
            return Ok(None);
        }
        let query = UserQuery { connection: Some(DEMO_CONNECTION.into()), text: Some(email.to_owned()) };
        Ok(self.users(&query)?.into_iter().find(|u| u.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(email))))
    }

    /// Where the story's person stands at the demo connection.
    pub(super) fn story_state(&self, p: &Persona) -> Result<StoryState> {
        let Ok(c) = self.store().get_connection(DEMO_CONNECTION) else {
            return Ok(StoryState::default());
        };
        let account = self.demo_account(&p.email)?;
        Ok(StoryState {
            has_account: account.is_some(),
            signed_in: account.as_ref().is_some_and(|u| u.first_login.is_some()),
            scim_provisioned: store::demo::scim_provisioned(self.store(), c.id, &p.email)?,
            deactivated: account.as_ref().is_some_and(|u| u.status == UserStatus::Deactivated),
        })
    }

    /// Makes one story step ready to drive in `mode`: the demo connection's policy set to the
    /// mode, the step's change at the IdP applied (the promotion; the deactivation with JIT
    /// alone), the person's sign-in prepared with the step's intended verdict, and in hybrid
    /// the SCIM requests that come first.
    pub fn prepare_story_step(
        &self,
        step: StoryStep,
        mode: StoryMode,
        now: DateTime<Utc>,
    ) -> Result<PreparedStoryStep> {
        self.demo_identity(now)?;
        let all = self.demo_personas()?;
        let person = story::person(&all)
            .ok_or_else(|| Error::not_found("the demo IdP has no people; reset the demo data"))?
            .clone();
        let pushed = match step.change(mode, &person) {
            Some(changed) if changed != person => self.set_demo_persona(&changed, now)?,
            _ => person.clone(),
        };
        let request = ScenarioRequest { scenario: ScenarioId::Happy, persona: Some(person.id), skew_minutes: None };
        let mut scenario = self.prepare_scenario(&request, now)?;
        let policy = if mode == StoryMode::Hybrid { LifecyclePolicy::Hybrid } else { LifecyclePolicy::Jit };
        self.set_demo_lifecycle(policy, now)?;
        scenario.expected = step.expected(mode);
        if mode == StoryMode::Hybrid {
            let style = self.demo_identity(now)?.style;
            scenario.scim = Some(ScimPlan {
                token: self.demo_scim_token()?,
                dialect: style.scim_dialect(),
                acts: step.acts(mode).to_vec(),
                person: pushed,
                story_step: Some(step),
            });
            scenario.after_audit = store::demo::last_audit_id(self.store())?;
            scenario.counts_before = store::demo::row_counts(self.store())?;
        }
        Ok(PreparedStoryStep { step, mode, scenario })
    }

    /// The story from its start in `mode`: the person's IdP record back to its default, her
    /// account and SCIM Users removed, the policy set. The app then runs each step.
    pub fn restart_story(&self, mode: StoryMode, now: DateTime<Utc>) -> Result<()> {
        self.create_demo(None, now)?;
        let all = self.demo_personas()?;
        let person = story::person(&all)
            .ok_or_else(|| Error::not_found("the demo IdP has no people; reset the demo data"))?
            .clone();
        if let Some(original) = find_persona(&personas::defaults(), &person.id).filter(|d| **d != person) {
            self.set_demo_persona(original, now)?;
        }
        self.restart_person(&person, &format!("The {} story", mode.as_str()), now)?;
        let policy = if mode == StoryMode::Hybrid { LifecyclePolicy::Hybrid } else { LifecyclePolicy::Jit };
        self.set_demo_lifecycle(policy, now)
    }

    /// The result of a driven story step: its run's, told in the step's terms.
    pub fn story_step_result(&self, prepared: &PreparedStoryStep, log: &RunLog) -> Result<StoryStepResult> {
        let mut result = self.run_result(&prepared.scenario, log)?;
        // The step's own name: its intended outcome is the step's, not the happy scenario's.
        result.scenario = prepared.step.as_str().into();
        let all = self.demo_personas()?;
        let moral = find_persona(&all, &prepared.scenario.persona)
            .map(|p| prepared.step.moral(prepared.mode, p))
            .unwrap_or_default();
        Ok(StoryStepResult {
            step: prepared.step,
            mode: prepared.mode,
            result,
            moral,
            story: self.demo_story(&all, prepared.mode)?,
        })
    }
}

/// A hybrid story step's checks of the person's account.
pub(super) fn story_checks(step: StoryStep, account: Option<&crate::directory::User>, checks: &mut Vec<DemoCheck>) {
    let found = |u: Option<&crate::directory::User>| {
        u.map_or("no account".to_owned(), |u| {
            format!(
                "source {}, {}, {} logins, groups {}",
                name_of(&u.source),
                name_of(&u.status),
                u.login_count,
                u.groups.join(", ")
            )
        })
    };
    match step {
        StoryStep::PreProvision => checks.push(DemoCheck::new(
            "she exists before her first login: source scim, never signed in",
            account.is_some_and(|u| u.source == UserSource::Scim && u.first_login.is_none()),
            found(account),
        )),
        StoryStep::Joiner => checks.push(DemoCheck::new(
            "the SCIM account is the one she signed in to",
            account.is_some_and(|u| u.source == UserSource::Scim && u.login_count >= 1),
            found(account),
        )),
        StoryStep::Mover => checks.push(DemoCheck::new(
            "SCIM moved her: engineering, not sales",
            account.is_some_and(|u| {
                u.groups.iter().any(|g| g == "engineering") && !u.groups.iter().any(|g| g == story::FORMER_GROUP)
            }),
            found(account),
        )),
        StoryStep::Leaver => checks.push(DemoCheck::new(
            "SCIM deactivated the account",
            account.is_some_and(|u| u.status == UserStatus::Deactivated),
            found(account),
        )),
    }
}
