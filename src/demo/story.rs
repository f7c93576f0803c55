//! The joiner-mover-leaver story a sales engineer tells with the demo IdP, in two modes side
//! by side. JIT alone: the new hire signs in (JIT creates her account), is promoted at the IdP
//! (the next login updates her fields and roles), and leaves (the IdP refuses her, yet the
//! account stays: JIT cannot de-provision). Hybrid: the IdP's SCIM client pre-provisions her
//! before her first day (her first login links to that account), pushes the promotion, and
//! deactivates her when she leaves (her next login is denied `scim_deprovisioned`). Defined
//! here once; the app and `demo --story [STEP] --mode jit|hybrid` tell it.

use serde::{Deserialize, Serialize};

use super::Persona;
use super::scenarios::{DemoVerdict, Expected};
use super::scenarios_scim::Act;
use crate::login::{DenialCode, Stop};
use crate::validate::CheckId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum StoryStep {
    /// Hybrid only: the IdP's SCIM client creates the new hire before her first day.
    PreProvision,
    Joiner,
    Mover,
    Leaver,
}

/// How the demo connection provisions in the story: JIT alone (Handshake before SCIM), or
/// hybrid (SCIM pre-provisions and de-provisions, logins update what they own). The app shows
/// the two side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum StoryMode {
    #[default]
    Jit,
    Hybrid,
}

impl StoryMode {
    pub const ALL: [StoryMode; 2] = [StoryMode::Jit, StoryMode::Hybrid];

    pub fn as_str(self) -> &'static str {
        match self {
            StoryMode::Jit => "jit",
            StoryMode::Hybrid => "hybrid",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            StoryMode::Jit => "JIT only",
            StoryMode::Hybrid => "Hybrid: SCIM and JIT",
        }
    }

    /// The story's steps in this mode.
    pub fn steps(self) -> &'static [StoryStep] {
        match self {
            StoryMode::Jit => &[StoryStep::Joiner, StoryStep::Mover, StoryStep::Leaver],
            StoryMode::Hybrid => &StoryStep::ALL,
        }
    }
}

/// The department, title and extra groups the mover step gives the person at the IdP.
const PROMOTED_DEPARTMENT: &str = "Engineering";
const PROMOTED_TITLE: &str = "Software Engineer";
pub const PROMOTED_GROUPS: [&str; 2] = ["engineering", "admins"];
/// The group the person leaves when promoted.
pub const FORMER_GROUP: &str = "sales";

/// Where the person stands in Handshake, as a step's `done` reads it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoryState {
    /// She has an account at the demo connection.
    pub has_account: bool,
    /// ... and has signed in at least once.
    pub signed_in: bool,
    /// SCIM provisioned her (a live SCIM resource).
    pub scim_provisioned: bool,
    /// Her account is deactivated.
    pub deactivated: bool,
}

impl StoryStep {
    pub const ALL: [StoryStep; 4] = [StoryStep::PreProvision, StoryStep::Joiner, StoryStep::Mover, StoryStep::Leaver];

    pub fn as_str(self) -> &'static str {
        match self {
            StoryStep::PreProvision => "pre-provision",
            StoryStep::Joiner => "joiner",
            StoryStep::Mover => "mover",
            StoryStep::Leaver => "leaver",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|step| step.as_str() == s)
    }

    pub fn names() -> Vec<&'static str> {
        Self::ALL.into_iter().map(Self::as_str).collect()
    }

    pub fn title(self) -> &'static str {
        match self {
            StoryStep::PreProvision => "Pre-provisioned",
            StoryStep::Joiner => "Joiner",
            StoryStep::Mover => "Mover",
            StoryStep::Leaver => "Leaver",
        }
    }

    /// What the step does, told about `p`.
    pub fn text(self, mode: StoryMode, p: &Persona) -> String {
        let name = &p.given_name;
        let groups = PROMOTED_GROUPS.join(" and ");
        match (mode, self) {
            (_, StoryStep::PreProvision) => format!(
                "Before {name}'s first day, the IdP's SCIM client creates her account and puts her in her groups: \
                 Handshake's Users screen shows her with source scim, never signed in."
            ),
            (StoryMode::Jit, StoryStep::Joiner) => {
                format!("{name} signs in on her first day: the account is created (JIT).")
            }
            (StoryMode::Hybrid, StoryStep::Joiner) => format!(
                "{name} signs in on her first day: the login is linked to the account SCIM made, nothing is created."
            ),
            (StoryMode::Jit, StoryStep::Mover) => format!(
                "At the IdP, {name} moves to {PROMOTED_DEPARTMENT} and joins the {groups} groups, then signs in again: her \
                 fields and roles are updated, and the result shows the diff."
            ),
            (StoryMode::Hybrid, StoryStep::Mover) => format!(
                "At the IdP, {name} moves to {PROMOTED_DEPARTMENT} and joins the {groups} groups: SCIM pushes the change \
                 at once (PATCH), before she signs in again. Her login finds the fields SCIM owns already up to date."
            ),
            (StoryMode::Jit, StoryStep::Leaver) => format!(
                "{name} is deactivated at the IdP and tries to sign in: the IdP refuses, but the account stays in the \
                 directory, because JIT only acts when someone signs in. Removing it is SCIM's job."
            ),
            (StoryMode::Hybrid, StoryStep::Leaver) => format!(
                "{name} leaves: the IdP's SCIM client deactivates her (PATCH active=false) and the account is \
                 deactivated at once. A sign-in that still reaches Handshake (an IdP session started before) is denied."
            ),
        }
    }

    /// The change this step makes at the IdP's own directory before the sign-in, if any.
    /// In hybrid the leaver's IdP session still signs her in: SCIM is what stops her here.
    pub fn change(self, mode: StoryMode, p: &Persona) -> Option<Persona> {
        match (mode, self) {
            (_, StoryStep::PreProvision | StoryStep::Joiner) => None,
            (_, StoryStep::Mover) => Some(promoted(p)),
            (StoryMode::Jit, StoryStep::Leaver) => Some(Persona { active: false, ..p.clone() }),
            (StoryMode::Hybrid, StoryStep::Leaver) => None,
        }
    }

    /// What the step does over SCIM and at the sign-in.
    pub fn acts(self, mode: StoryMode) -> &'static [Act] {
        match (mode, self) {
            (StoryMode::Jit, _) => &[Act::SignIn],
            (StoryMode::Hybrid, StoryStep::PreProvision) => &[Act::Provision],
            (StoryMode::Hybrid, StoryStep::Joiner) => &[Act::SignIn],
            (StoryMode::Hybrid, StoryStep::Mover) => &[Act::Promote, Act::SignIn],
            (StoryMode::Hybrid, StoryStep::Leaver) => &[Act::Deactivate, Act::SignIn],
        }
    }

    /// Whether this step's effect is already there.
    pub fn done(self, mode: StoryMode, p: &Persona, state: StoryState) -> bool {
        match (mode, self) {
            (_, StoryStep::PreProvision) => state.scim_provisioned,
            (StoryMode::Jit, StoryStep::Joiner) => state.has_account,
            (StoryMode::Hybrid, StoryStep::Joiner) => state.signed_in,
            (_, StoryStep::Mover) => promoted(p) == *p,
            (StoryMode::Jit, StoryStep::Leaver) => !p.active,
            (StoryMode::Hybrid, StoryStep::Leaver) => state.deactivated,
        }
    }

    /// How the step should end: signed in, except for the leaver, whom the IdP refuses with
    /// an error status (JIT alone) or Handshake denies (hybrid: SCIM deprovisioned her). The
    /// pre-provisioning has no sign-in: its SCIM requests succeed.
    pub fn expected(self, mode: StoryMode) -> Expected {
        match (mode, self) {
            (_, StoryStep::PreProvision) => {
                Expected { verdict: DemoVerdict::Accepted, failed_check: None, scim_status: Some(201) }
            }
            (_, StoryStep::Joiner | StoryStep::Mover) => Expected::login(DemoVerdict::Accepted, None),
            (StoryMode::Jit, StoryStep::Leaver) => {
                Expected::login(DemoVerdict::Rejected, Some(Stop::Check(CheckId::Status)))
            }
            (StoryMode::Hybrid, StoryStep::Leaver) => {
                Expected::login(DemoVerdict::Rejected, Some(Stop::Denial(DenialCode::ScimDeprovisioned)))
            }
        }
    }

    /// What to point out once the step ran.
    pub fn moral(self, mode: StoryMode, p: &Persona) -> String {
        let name = &p.given_name;
        match (mode, self) {
            (_, StoryStep::PreProvision) => {
                format!("{name}'s account exists before her first login: pre-provisioning, which JIT alone cannot do.")
            }
            (StoryMode::Jit, StoryStep::Joiner) => {
                format!("{name} has an account now, made from the IdP's claims at her first login.")
            }
            (StoryMode::Hybrid, StoryStep::Joiner) => format!(
                "{name}'s first login found the account SCIM made (matched by the login subject) and linked to it."
            ),
            (StoryMode::Jit, StoryStep::Mover) => format!(
                "{name}'s department, title and roles follow the IdP at each login: the diff shows what changed."
            ),
            (StoryMode::Hybrid, StoryStep::Mover) => format!(
                "SCIM moved {name} before she signed in: the SCIM request log shows the diff, and her login found \
                 the SCIM-owned fields already there."
            ),
            (StoryMode::Jit, StoryStep::Leaver) => format!(
                "The IdP refused {name}, and her account is still in Handshake's directory: just-in-time provisioning \
                 cannot de-provision. That is the hand-over to SCIM."
            ),
            (StoryMode::Hybrid, StoryStep::Leaver) => format!(
                "SCIM deactivated {name}'s account the moment she left, and Handshake denies her (scim_deprovisioned): \
                 JIT never brings her back."
            ),
        }
    }
}

/// The person of the story: the one labelled as the new hire, else the first.
pub fn person(personas: &[Persona]) -> Option<&Persona> {
    personas.iter().find(|p| p.label.to_ascii_lowercase().contains("new hire")).or_else(|| personas.first())
}

/// `p` after the promotion: the new department and title, the former group swapped for the new ones.
pub fn promoted(p: &Persona) -> Persona {
    let mut groups: Vec<String> = p.groups.iter().filter(|g| *g != FORMER_GROUP).cloned().collect();
    for g in PROMOTED_GROUPS {
        if !groups.iter().any(|have| have == g) {
            groups.push(g.to_owned());
        }
    }
    Persona { department: PROMOTED_DEPARTMENT.into(), title: PROMOTED_TITLE.into(), groups, ..p.clone() }
}

/// One step as the app shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct StoryStepView {
    pub step: StoryStep,
    pub title: String,
    pub text: String,
    /// The step's effect is already there (running it again only signs in).
    pub done: bool,
    /// How the step's sign-in should end, in the terms of its result's summary.
    pub intended: String,
}

/// The story with its person (none when the demo IdP has nobody), in one mode.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct DemoStory {
    pub mode: StoryMode,
    pub person: Option<Persona>,
    pub steps: Vec<StoryStepView>,
    /// The story starts from its known state: no step's effect is there yet (no account,
    /// not promoted, active at the IdP). Otherwise the app offers to start over.
    pub fresh: bool,
}

impl DemoStory {
    /// The story of the person among `personas` in `mode`; `state`: where she stands in
    /// Handshake (at the demo connection).
    pub fn of(personas: &[Persona], mode: StoryMode, state: StoryState) -> Self {
        let person = person(personas).cloned();
        let steps: Vec<StoryStepView> = match &person {
            None => Vec::new(),
            Some(p) => mode
                .steps()
                .iter()
                .map(|&step| StoryStepView {
                    step,
                    title: step.title().into(),
                    text: step.text(mode, p),
                    done: step.done(mode, p, state),
                    intended: step.expected(mode).term(),
                })
                .collect(),
        };
        let fresh = !steps.iter().any(|s| s.done) && !state.has_account;
        DemoStory { mode, person, steps, fresh }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::personas::defaults;

    #[test]
    fn the_story_follows_the_new_hire_and_promotes_once() {
        let all = defaults();
        let p = person(&all).unwrap();
        assert!(p.label.starts_with("New hire"));
        let jit = StoryMode::Jit;
        let none = StoryState::default();
        let account = StoryState { has_account: true, ..none };
        let moved = StoryStep::Mover.change(jit, p).unwrap();
        assert!(moved.groups.contains(&"admins".to_owned()) && !moved.groups.contains(&"sales".to_owned()));
        assert!(StoryStep::Mover.done(jit, &moved, none) && !StoryStep::Mover.done(jit, p, none));
        assert_eq!(StoryStep::Mover.change(jit, &moved).unwrap(), moved);
        assert!(StoryStep::Leaver.done(jit, &StoryStep::Leaver.change(jit, p).unwrap(), none));
        assert!(StoryStep::Joiner.done(jit, p, account) && !StoryStep::Joiner.done(jit, p, none));
        // Hybrid: the pre-provisioned account is not the joiner's sign-in; SCIM deactivates.
        let hybrid = StoryMode::Hybrid;
        let provisioned = StoryState { has_account: true, scim_provisioned: true, ..none };
        assert!(
            StoryStep::PreProvision.done(hybrid, p, provisioned) && !StoryStep::Joiner.done(hybrid, p, provisioned)
        );
        assert_eq!(StoryStep::Leaver.change(hybrid, p), None);
        assert!(StoryStep::Leaver.done(hybrid, p, StoryState { deactivated: true, ..provisioned }));
    }

    #[test]
    fn each_step_has_its_own_intended_outcome_in_the_results_terms() {
        let none = StoryState::default();
        let story = DemoStory::of(&defaults(), StoryMode::Jit, none);
        let intended: Vec<&str> = story.steps.iter().map(|s| s.intended.as_str()).collect();
        assert_eq!(intended, ["Signed in", "Signed in", "Rejected at the status check"]);
        assert!(story.fresh);
        let account = StoryState { has_account: true, ..none };
        assert!(
            !DemoStory::of(&defaults(), StoryMode::Jit, account).fresh,
            "an account from an earlier run: not the known start"
        );
        let hybrid = DemoStory::of(&defaults(), StoryMode::Hybrid, none);
        let intended: Vec<&str> = hybrid.steps.iter().map(|s| s.intended.as_str()).collect();
        assert_eq!(
            intended,
            ["SCIM accepts every request", "Signed in", "Signed in", "Denied by the scim_deprovisioned rule"]
        );
    }
}
