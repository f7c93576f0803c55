//! The one error type of the core API. It crosses every boundary (CLI, IPC) as
//! `{code, message, detail, hint}`: `code` is stable for scripts and the UI, `detail` is the
//! specific failure within it when there is one (a metadata check such as
//! `no_idp_descriptor`, a secret-store failure such as `keyring_locked`), `message` is for
//! people and names concepts, `hint` says what to change. Shells add their own ways to do it
//! (a flag, a button).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum ErrorCode {
    /// The caller asked for something malformed (bad name, bad flag value).
    InvalidInput,
    NotFound,
    AlreadyExists,
    /// IdP metadata could not be imported.
    InvalidMetadata,
    /// No usable secret store (keyring service missing, directory not writable...).
    SecretStoreUnavailable,
    /// A needed secret (SP private key) is not in the secret store.
    SecretMissing,
    /// The SQLite catalog failed.
    Storage,
    /// Fetching something over the network failed.
    Network,
    Io,
    /// The embedded SP's port is taken by another program.
    PortInUse,
    /// The user cancelled a long operation.
    Cancelled,
    /// No browser opened a page: no opener program, or it found no browser to run.
    NoBrowser,
    /// The catalog refused a write that would break one of its rules (a UNIQUE or CHECK
    /// constraint, a concurrent change).
    Conflict,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::NotFound => "not_found",
            ErrorCode::AlreadyExists => "already_exists",
            ErrorCode::InvalidMetadata => "invalid_metadata",
            ErrorCode::SecretStoreUnavailable => "secret_store_unavailable",
            ErrorCode::SecretMissing => "secret_missing",
            ErrorCode::Storage => "storage",
            ErrorCode::Network => "network",
            ErrorCode::Io => "io",
            ErrorCode::PortInUse => "port_in_use",
            ErrorCode::Cancelled => "cancelled",
            ErrorCode::NoBrowser => "no_browser",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Internal => "internal",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    /// The specific failure within `code`, stable like it: a metadata error's code
    /// (`no_idp_descriptor`...) or a secret-store failure (`keyring_locked`...).
    pub detail: Option<String>,
    /// What to change, in concepts (no flags or buttons).
    pub hint: Option<String>,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error { code, message: message.into(), detail: None, hint: None }
    }

    /// The same error, with its specific failure named.
    pub fn detail(self, detail: &str) -> Self {
        Error { detail: Some(detail.to_owned()), ..self }
    }

    /// The same error, with what to change.
    pub fn hint(self, hint: impl Into<String>) -> Self {
        Error { hint: Some(hint.into()), ..self }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
