//! A connection's SCIM endpoint for the app: one call each into crate::workbench, like every
//! command. The bearer token never crosses IPC: [`Desktop::scim_enable`] and
//! [`Desktop::scim_rotate_token`] hand it (as `Sensitive`) to the shell, which puts it on the
//! clipboard and sends the window only a [`ScimTokenIssued`]: the status, whether the copy
//! worked, and the token's last characters so the admin can tell which token the IdP holds.

use serde::Serialize;
use tokio::sync::broadcast;

use super::Desktop;
use crate::error::Result;
use crate::provision::{Lifecycle, LifecyclePolicy};
use crate::scim::ScimRequestSummary;
use crate::server::scim_auth::Rejections;
use crate::workbench::{ScimEnabled, ScimReport, ScimStatus};

/// How many of the token's last characters the window may see (a hint, like a card's last
/// digits: 4 of 43 random base64url characters leave 234 bits unknown).
pub const TOKEN_HINT_CHARS: usize = 4;

/// What the window learns when a token was issued (enable, rotate): never the token.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ScimTokenIssued {
    pub status: ScimStatus,
    /// The token is on the system clipboard, ready to paste into the IdP.
    pub copied: bool,
    /// Why it is not (the platform's words); the token is then lost: rotate again.
    pub copy_error: Option<String>,
    /// `…` and the token's last [`TOKEN_HINT_CHARS`] characters.
    pub token_hint: String,
}

impl ScimTokenIssued {
    /// Hands the token to `copy` (the shell's clipboard) and keeps only what may be shown.
    pub fn copy_with(issued: ScimEnabled, copy: impl FnOnce(&str) -> std::result::Result<(), String>) -> Self {
        let token = issued.token.expose();
        let tail: String = {
            let chars: Vec<char> = token.chars().collect();
            chars.get(chars.len().saturating_sub(TOKEN_HINT_CHARS)..).unwrap_or_default().iter().collect()
        };
        let (copied, copy_error) = match copy(token) {
            Ok(()) => (true, None),
            Err(e) => (false, Some(e)),
        };
        ScimTokenIssued { status: issued.status, copied, copy_error, token_hint: format!("…{tail}") }
    }
}

impl Desktop {
    /// SCIM requests as the embedded server answers them, for the window's live log.
    pub fn subscribe_scim(&self) -> broadcast::Receiver<ScimRequestSummary> {
        self.scim_events.subscribe()
    }

    /// The requests the running server refused with 401 for `name` (from memory: they are
    /// never logged, since a request without the token writes nothing).
    pub fn scim_rejections(&self, name: &str) -> Result<Rejections> {
        Ok(self.state()?.scim_rejections(name, self.clock.now()))
    }

    pub async fn scim_status(&self, name: String) -> Result<ScimStatus> {
        self.run(move |wb, _| wb.scim_status(&name)).await
    }

    /// Turns the endpoint on with a new token (the shell copies it; see [`ScimTokenIssued`]).
    pub async fn scim_enable(&self, name: String, policy: Option<LifecyclePolicy>) -> Result<ScimEnabled> {
        self.run(move |wb, now| wb.scim_enable(&name, policy, now)).await
    }

    pub async fn scim_disable(&self, name: String) -> Result<ScimStatus> {
        self.run(move |wb, now| wb.scim_disable(&name, now)).await
    }

    /// A new token; the previous one stops working at once.
    pub async fn scim_rotate_token(&self, name: String) -> Result<ScimEnabled> {
        self.run(move |wb, now| wb.scim_rotate_token(&name, now)).await
    }

    /// The newest requests first.
    pub async fn scim_log(&self, name: String, limit: u32) -> Result<Vec<ScimRequestSummary>> {
        self.run(move |wb, _| wb.scim_log(&name, limit)).await
    }

    pub async fn scim_report(&self, name: String) -> Result<ScimReport> {
        self.run(move |wb, _| wb.scim_report(&name)).await
    }

    pub async fn set_lifecycle(&self, name: String, lifecycle: Lifecycle) -> Result<Lifecycle> {
        self.run(move |wb, now| wb.set_lifecycle(&name, lifecycle, now)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sensitive::Sensitive;

    fn status() -> ScimStatus {
        ScimStatus {
            connection: "acme".into(),
            enabled: true,
            endpoint: "http://127.0.0.1:8080/scim/acme/v2".into(),
            lifecycle: Lifecycle::default(),
            token_generation: 1,
            enabled_at: None,
            rotated_at: None,
            users: 0,
            groups: 0,
        }
    }

    const TOKEN: &str = "hs_scim_q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0xcvb";

    #[test]
    fn the_token_goes_to_the_clipboard_and_only_its_last_characters_to_the_window() {
        let mut clipboard = String::new();
        let issued =
            ScimTokenIssued::copy_with(ScimEnabled { status: status(), token: Sensitive::new(TOKEN.into()) }, |t| {
                clipboard = t.to_owned();
                Ok(())
            });
        assert_eq!(clipboard, TOKEN);
        assert!(issued.copied);
        assert_eq!(issued.token_hint, "…xcvb");
        let json = serde_json::to_string(&issued).unwrap();
        assert!(!json.contains(TOKEN) && !json.contains("hs_scim_"), "{json}");
    }

    #[test]
    fn a_refused_copy_says_why_and_still_shows_no_token() {
        let issued =
            ScimTokenIssued::copy_with(ScimEnabled { status: status(), token: Sensitive::new(TOKEN.into()) }, |_| {
                Err("no clipboard on this display".into())
            });
        assert!(!issued.copied);
        assert_eq!(issued.copy_error.as_deref(), Some("no clipboard on this display"));
        assert!(!serde_json::to_string(&issued).unwrap().contains(TOKEN));
    }
}
