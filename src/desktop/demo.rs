//! The demo IdP and scenario library for the app: one call each, like every command.

use super::Desktop;
use crate::demo::scim_run::{self, DemoHost};
use crate::demo::{DemoStyle, Persona, StoryMode, StoryStep};
use crate::error::{Error, ErrorCode, Result};
use crate::workbench::demo::{
    DemoCatalog, DemoIdpSettings, DemoIdpView, DemoReset, DemoSetup, ScenarioRequest, ScenarioResult, StoryStepResult,
};
use crate::workbench::demo_story::StoryRun;

/// The app's side of a SCIM run: an admin's action between requests is one workbench call.
impl DemoHost for Desktop {
    async fn delete_account(&self, connection: &str, persona: &str) -> Result<()> {
        let (connection, persona) = (connection.to_owned(), persona.to_owned());
        self.run(move |wb, now| wb.demo_delete_account(&connection, &persona, now)).await
    }

    fn scim_rejections(&self, connection: &str) -> u32 {
        self.state().map_or(0, |s| s.scim_rejections(connection, self.clock.now()).last_minute)
    }
}

impl Desktop {
    /// "Create demo connection": the demo IdP and the `demo` connection, created or reused
    /// (metadata refreshed for the current port); `login_url` starts the test login.
    pub async fn create_demo(&self, style: Option<DemoStyle>) -> Result<DemoSetup> {
        self.run(move |wb, now| wb.create_demo(style, now)).await
    }

    /// "Create demo connection" for OpenID Connect: `demo-oidc` at the demo OP, created or reused.
    pub async fn create_oidc_demo(&self) -> Result<DemoSetup> {
        self.run(|wb, now| wb.create_oidc_demo(now)).await
    }

    pub async fn demo_idp(&self) -> Result<DemoIdpView> {
        self.run(|wb, now| wb.demo_idp(now)).await
    }

    pub async fn set_demo_idp(&self, settings: DemoIdpSettings) -> Result<DemoIdpView> {
        self.run(move |wb, now| wb.set_demo_idp(&settings, now)).await
    }

    /// The scenarios and personas.
    pub async fn demo_catalog(&self) -> Result<DemoCatalog> {
        self.run(|wb, now| wb.demo_catalog(now)).await
    }

    pub async fn demo_personas(&self) -> Result<Vec<Persona>> {
        self.run(|wb, _| wb.demo_personas()).await
    }

    pub async fn set_demo_persona(&self, persona: Persona) -> Result<Persona> {
        self.run(move |wb, now| wb.set_demo_persona(&persona, now)).await
    }

    pub async fn remove_demo_persona(&self, persona: String) -> Result<()> {
        self.run(move |wb, _| wb.remove_demo_persona(&persona)).await
    }

    /// Deactivates (or reactivates) a person at the demo IdP; Handshake's account stays.
    pub async fn set_demo_persona_active(&self, persona: String, active: bool) -> Result<Persona> {
        self.run(move |wb, now| wb.set_demo_persona_active(&persona, active, now)).await
    }

    pub async fn reset_demo(&self) -> Result<DemoReset> {
        self.run(|wb, now| wb.reset_demo(now)).await
    }

    /// Runs one scenario through the running embedded server's real endpoints: the SP's
    /// login, the demo IdP's SSO and sign-in, the ACS; for a SCIM scenario also the demo
    /// IdP's SCIM requests to `/scim/demo/v2`. The result comes from the core.
    pub async fn run_scenario(&self, request: ScenarioRequest) -> Result<ScenarioResult> {
        let base_url = self.running_base_url()?;
        let prepared = self.run(move |wb, now| wb.prepare_scenario(&request, now)).await?;
        let log = scim_run::drive_run(&base_url, &prepared, self).await?;
        self.run(move |wb, _| wb.run_result(&prepared, &log)).await
    }

    /// One step of the story with JIT alone (the story before SCIM).
    pub async fn run_story_step(&self, step: StoryStep) -> Result<StoryStepResult> {
        self.run_story_step_in(step, StoryMode::Jit).await
    }

    /// One step of the story in `mode`: its change at the demo IdP, in hybrid its SCIM
    /// requests, then the person's sign-in through the real endpoints.
    pub async fn run_story_step_in(&self, step: StoryStep, mode: StoryMode) -> Result<StoryStepResult> {
        let base_url = self.running_base_url()?;
        let prepared = self.run(move |wb, now| wb.prepare_story_step(step, mode, now)).await?;
        let log = scim_run::drive_run(&base_url, &prepared.scenario, self).await?;
        self.run(move |wb, _| wb.story_step_result(&prepared, &log)).await
    }

    /// The whole story in `mode` from its start (the person back at her first day).
    pub async fn run_story(&self, mode: StoryMode) -> Result<StoryRun> {
        self.running_base_url()?;
        self.run(move |wb, now| wb.restart_story(mode, now)).await?;
        let mut steps = Vec::new();
        for step in mode.steps() {
            steps.push(self.run_story_step_in(*step, mode).await?);
        }
        Ok(StoryRun { mode, steps })
    }

    /// The same story with JIT alone, then in hybrid: the two columns the app shows side by
    /// side (the demo connection ends in hybrid).
    pub async fn run_story_side_by_side(&self) -> Result<Vec<StoryRun>> {
        let mut runs = Vec::new();
        for mode in StoryMode::ALL {
            runs.push(self.run_story(mode).await?);
        }
        Ok(runs)
    }

    /// The embedded server's base URL, or why scenarios cannot run now.
    fn running_base_url(&self) -> Result<String> {
        let status = self.server_status();
        if !status.running {
            return Err(Error::new(
                ErrorCode::PortInUse,
                format!("the embedded SP is not running on port {}; pick a free port first", status.port),
            ));
        }
        Ok(status.base_url)
    }
}
