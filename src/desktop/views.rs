//! What the app shows about itself: the embedded SP's state and the app status at start.
//! (The views of connections, logins, mapping and users live with their operations in
//! crate::workbench.)

use serde::Serialize;

use crate::login::TestLoginSummary;

/// The embedded SP as the window's banner shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ServerStatus {
    pub running: bool,
    pub port: u16,
    pub base_url: String,
    /// Why it is not running (`port_in_use`, `io`...), for the banner.
    pub error: Option<crate::Error>,
}

/// Everything the window needs at start.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct AppStatus {
    pub version: String,
    pub database: String,
    pub secret_store: String,
    /// Set when the secret store cannot be used now (checked at each call): imports and test
    /// logins then fail with it, until it is fixed.
    pub secret_store_error: Option<crate::Error>,
    pub server: ServerStatus,
}

/// A new test login, as pushed to the window.
pub type TestLoginEvent = TestLoginSummary;
