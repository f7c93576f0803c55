//! The joiner-mover-leaver story a sales engineer tells with the demo IdP: the new hire
//! signs in (JIT creates her account), is promoted at the IdP (the next login updates her
//! fields and roles), and leaves (the IdP refuses her, yet the account stays: JIT cannot
//! de-provision, which is SCIM's job). Defined here once; the app and `demo --story` tell it.

use serde::{Deserialize, Serialize};

use super::Persona;
use super::scenarios::{DemoVerdict, Expected};
use crate::login::Stop;
use crate::validate::CheckId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum StoryStep {
    Joiner,
    Mover,
    Leaver,
}

/// The department, title and extra groups the mover step gives the person at the IdP.
const PROMOTED_DEPARTMENT: &str = "Engineering";
const PROMOTED_TITLE: &str = "Software Engineer";
const PROMOTED_GROUPS: [&str; 2] = ["engineering", "admins"];
/// The group the person leaves when promoted.
const FORMER_GROUP: &str = "sales";

impl StoryStep {
    pub const ALL: [StoryStep; 3] = [StoryStep::Joiner, StoryStep::Mover, StoryStep::Leaver];

    pub fn as_str(self) -> &'static str {
        match self {
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
            StoryStep::Joiner => "Joiner",
            StoryStep::Mover => "Mover",
            StoryStep::Leaver => "Leaver",
        }
    }

    /// What the step does, told about `p`.
    pub fn text(self, p: &Persona) -> String {
        let name = &p.given_name;
        match self {
            StoryStep::Joiner => format!("{name} signs in on her first day: the account is created (JIT)."),
            StoryStep::Mover => format!(
                "At the IdP, {name} moves to {PROMOTED_DEPARTMENT} and joins the {} groups, then signs in again: her \
                 fields and roles are updated, and the result shows the diff.",
                PROMOTED_GROUPS.join(" and ")
            ),
            StoryStep::Leaver => format!(
                "{name} is deactivated at the IdP and tries to sign in: the IdP refuses, but the account stays in the \
                 directory, because JIT only acts when someone signs in. Removing it is SCIM's job."
            ),
        }
    }

    /// The change this step makes at the IdP before the sign-in, if any.
    pub fn change(self, p: &Persona) -> Option<Persona> {
        match self {
            StoryStep::Joiner => None,
            StoryStep::Mover => Some(promoted(p)),
            StoryStep::Leaver => Some(Persona { active: false, ..p.clone() }),
        }
    }

    /// Whether this step's effect is already there: the person has an account in Handshake
    /// (`has_account`, the joiner), or the IdP shows the step's change (mover, leaver).
    pub fn done(self, p: &Persona, has_account: bool) -> bool {
        match self {
            StoryStep::Joiner => has_account,
            StoryStep::Mover => promoted(p) == *p,
            StoryStep::Leaver => !p.active,
        }
    }

    /// How the step's sign-in should end: signed in, except for the leaver, whom the IdP
    /// refuses with an error status.
    pub fn expected(self) -> Expected {
        match self {
            StoryStep::Joiner | StoryStep::Mover => Expected { verdict: DemoVerdict::Accepted, failed_check: None },
            StoryStep::Leaver => {
                Expected { verdict: DemoVerdict::Rejected, failed_check: Some(Stop::Check(CheckId::Status)) }
            }
        }
    }

    /// What to point out once the step ran.
    pub fn moral(self, p: &Persona) -> String {
        let name = &p.given_name;
        match self {
            StoryStep::Joiner => format!("{name} has an account now, made from the IdP's claims at her first login."),
            StoryStep::Mover => format!(
                "{name}'s department, title and roles follow the IdP at each login: the diff shows what changed."
            ),
            StoryStep::Leaver => format!(
                "The IdP refused {name}, and her account is still in Handshake's directory: just-in-time provisioning \
                 cannot de-provision. That is the hand-over to SCIM."
            ),
        }
    }
}

/// The person of the story: the one labelled as the new hire, else the first.
pub fn person(personas: &[Persona]) -> Option<&Persona> {
    personas.iter().find(|p| p.label.to_ascii_lowercase().contains("new hire")).or_else(|| personas.first())
}

/// `p` after the promotion: the new department and title, the former group swapped for the new ones.
fn promoted(p: &Persona) -> Persona {
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

/// The story with its person (none when the demo IdP has nobody).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct DemoStory {
    pub person: Option<Persona>,
    pub steps: Vec<StoryStepView>,
    /// The story starts from its known state: no step's effect is there yet (no account,
    /// not promoted, active at the IdP). Otherwise the app offers to start over.
    pub fresh: bool,
}

impl DemoStory {
    /// The story of the person among `personas`; `has_account`: she has an account in
    /// Handshake (at the demo connection).
    pub fn of(personas: &[Persona], has_account: bool) -> Self {
        let person = person(personas).cloned();
        let steps: Vec<StoryStepView> = match &person {
            None => Vec::new(),
            Some(p) => StoryStep::ALL
                .into_iter()
                .map(|step| StoryStepView {
                    step,
                    title: step.title().into(),
                    text: step.text(p),
                    done: step.done(p, has_account),
                    intended: step.expected().term(),
                })
                .collect(),
        };
        let fresh = !steps.iter().any(|s| s.done);
        DemoStory { person, steps, fresh }
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
        let moved = StoryStep::Mover.change(p).unwrap();
        assert!(moved.groups.contains(&"admins".to_owned()) && !moved.groups.contains(&"sales".to_owned()));
        assert!(StoryStep::Mover.done(&moved, false) && !StoryStep::Mover.done(p, false));
        assert_eq!(StoryStep::Mover.change(&moved).unwrap(), moved);
        assert!(StoryStep::Leaver.done(&StoryStep::Leaver.change(p).unwrap(), false));
        assert!(StoryStep::Joiner.done(p, true) && !StoryStep::Joiner.done(p, false));
    }

    #[test]
    fn each_step_has_its_own_intended_outcome_in_the_results_terms() {
        let story = DemoStory::of(&defaults(), false);
        let intended: Vec<&str> = story.steps.iter().map(|s| s.intended.as_str()).collect();
        assert_eq!(intended, ["Signed in", "Signed in", "Rejected at the status check"]);
        assert!(story.fresh);
        assert!(!DemoStory::of(&defaults(), true).fresh, "an account from an earlier run: not the known start");
    }
}
