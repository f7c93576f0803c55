//! Secret storage: SP private keys (and the demo IdP key) live here and nowhere else.
//!
//! Secrets never go into SQLite, logs, errors or IPC. They are kept in one of three
//! stores, chosen with `--secret-store keyring|file:DIR|memory` (or the environment
//! variable `HANDSHAKE_SECRET_STORE`), default `keyring`:
//!
//! * `keyring`: the OS keyring through the `keyring` crate (v4, `v1` feature). On Linux
//!   and the BSDs that is the Secret Service over the D-Bus session bus (gnome-keyring,
//!   KeePassXC, KWallet's Secret Service bridge...); on macOS the Keychain; on Windows
//!   the Credential Manager. When no keyring is reachable every operation fails with
//!   [`ErrorCode::SecretStoreUnavailable`]; there is never a silent fallback to another
//!   store (in particular not to kernel keyutils, which forgets everything at reboot).
//! * `file:DIR`: one file per secret in `DIR` (mode 0700), each file mode 0600, written
//!   atomically. For headless machines and CI.
//! * `memory`: a map in this process, lost at exit. For tests and demos.
//!
//! Keys look like `sp-key/<connection-name>` ([`sp_key`]), `oidc-client-secret/<name>`
//! ([`oidc_client_secret`]), `scim-token/<name>` ([`scim_token`]), `oidc-state-hmac` ([`OIDC_STATE_KEY`]) or `demo-idp-key`
//! ([`DEMO_IDP_KEY`]); see [`validate_key`] for the exact rules.
//!
//! # Blocking
//!
//! All store operations are blocking. The keyring store talks to D-Bus and may wait for
//! an unlock prompt, so async code should call it through `tokio::task::spawn_blocking`.
//! A keyring operation never blocks for longer than the keyring timeout (default
//! [`DEFAULT_KEYRING_TIMEOUT_SECS`] seconds, environment variable
//! `HANDSHAKE_KEYRING_TIMEOUT_SECS`): the D-Bus client has no timeout of its own and
//! waits for the answer to an unlock prompt without limit, so each operation runs on a
//! helper thread and is abandoned (reported as unavailable) when the timeout expires.
//! While an abandoned operation is still outstanding, later keyring operations fail at
//! once (they would only queue behind it).
//!
//! The `keyring` crate connects to the OS keyring once per process, on first use, and
//! keeps that outcome: a process that found no keyring keeps reporting it unavailable
//! even if one is started later.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use crate::sensitive::Sensitive;
use crate::{Error, ErrorCode, Result};

/// Environment variable naming the secret store (same syntax as `--secret-store`).
pub const SECRET_STORE_ENV: &str = "HANDSHAKE_SECRET_STORE";
/// Environment variable overriding the keyring service name (tests use a unique one).
pub const KEYRING_SERVICE_ENV: &str = "HANDSHAKE_KEYRING_SERVICE";
/// Keyring service name used when [`KEYRING_SERVICE_ENV`] is not set.
pub const DEFAULT_KEYRING_SERVICE: &str = "handshake";
/// Environment variable bounding each keyring operation, in whole seconds.
pub const KEYRING_TIMEOUT_ENV: &str = "HANDSHAKE_KEYRING_TIMEOUT_SECS";
/// Bound on each keyring operation when [`KEYRING_TIMEOUT_ENV`] is not set. Generous
/// enough for a person to answer a desktop unlock prompt.
pub const DEFAULT_KEYRING_TIMEOUT_SECS: u64 = 60;
/// Key of the demo IdP's signing key.
pub const DEMO_IDP_KEY: &str = "demo-idp-key";
/// Longest accepted key, so that file names derived from it stay well under 255 bytes.
pub const MAX_KEY_LEN: usize = 200;

/// The secret-store key of the demo IdP's signing key (one per catalog user).
pub fn demo_idp_key() -> &'static str {
    DEMO_IDP_KEY
}

/// The secret-store key of a connection's SP private key: `sp-key/<connection-name>`.
pub fn sp_key(connection_name: &str) -> String {
    format!("sp-key/{connection_name}")
}

/// Which secret store to use.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SecretStoreKind {
    /// The OS keyring (Secret Service over D-Bus on Linux).
    #[default]
    Keyring,
    /// One 0600 file per secret in this 0700 directory.
    File(PathBuf),
    /// In-process map, lost at exit.
    Memory,
}

const STORE_FORMS: &str = "`keyring`, `file:DIR` or `memory`";

impl FromStr for SecretStoreKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "keyring" => Ok(SecretStoreKind::Keyring),
            "memory" => Ok(SecretStoreKind::Memory),
            _ => match s.strip_prefix("file:") {
                Some("") => Err(Error::invalid(
                    "secret store `file:` needs a directory, e.g. `file:/var/lib/handshake/secrets`",
                )),
                Some(dir) => Ok(SecretStoreKind::File(PathBuf::from(dir))),
                None => Err(Error::invalid(format!("unknown secret store {s:?}: use {STORE_FORMS}"))),
            },
        }
    }
}

impl fmt::Display for SecretStoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretStoreKind::Keyring => f.write_str("keyring"),
            SecretStoreKind::File(dir) => write!(f, "file:{}", dir.display()),
            SecretStoreKind::Memory => f.write_str("memory"),
        }
    }
}

/// A place to keep secrets. Implementations are usable from several threads.
pub trait SecretStore: Send + Sync {
    /// The secret under `key`, or `None` if there is none.
    fn get(&self, key: &str) -> Result<Option<Sensitive<Vec<u8>>>>;
    /// Stores (or replaces) the secret under `key`.
    fn set(&self, key: &str, value: &Sensitive<Vec<u8>>) -> Result<()>;
    /// Removes the secret under `key`; removing a missing key is not an error.
    fn delete(&self, key: &str) -> Result<()>;
    /// Where the secrets are, for people: "Secret Service (keyring)", "files in /x (0600)"...
    fn describe(&self) -> String;
    /// Whether the store is usable now, as far as that can be told without a secret (the
    /// file store's directory is private; the keyring shows only on its first operation).
    fn check(&self) -> Result<()> {
        Ok(())
    }
}

/// Opens the store of the given kind.
///
/// `keyring` does not touch D-Bus here (its availability shows on the first operation);
/// it reads [`KEYRING_SERVICE_ENV`] and [`KEYRING_TIMEOUT_ENV`]. `file:DIR` creates DIR
/// with mode 0700, or refuses an existing DIR that group or others can access.
pub fn open(kind: &SecretStoreKind) -> Result<Arc<dyn SecretStore>> {
    match kind {
        SecretStoreKind::Keyring => Ok(Arc::new(KeyringStore::from_env()?)),
        SecretStoreKind::File(dir) => open_file_store(dir),
        SecretStoreKind::Memory => Ok(Arc::new(MemoryStore::new())),
    }
}

/// The store of the given kind, opened when first usable: a store that cannot be opened
/// now (a secret directory others can read) is tried again on every operation and
/// [`SecretStore::check`], so fixing it (the hint's `chmod 700`) takes effect at once,
/// without a restart. Once open, it is the store [`open`] gives.
pub fn open_when_usable(kind: &SecretStoreKind) -> Arc<dyn SecretStore> {
    Arc::new(Reopening { kind: kind.clone(), opened: Mutex::new(None) })
}

/// See [`open_when_usable`].
struct Reopening {
    kind: SecretStoreKind,
    opened: Mutex<Option<Arc<dyn SecretStore>>>,
}

impl Reopening {
    fn store(&self) -> Result<Arc<dyn SecretStore>> {
        // A panic while holding the lock leaves at worst nothing cached: recover.
        let mut opened = self.opened.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(store) = opened.as_ref() {
            return Ok(store.clone());
        }
        let store = open(&self.kind)?;
        *opened = Some(store.clone());
        Ok(store)
    }
}

impl SecretStore for Reopening {
    fn get(&self, key: &str) -> Result<Option<Sensitive<Vec<u8>>>> {
        self.store()?.get(key)
    }
    fn set(&self, key: &str, value: &Sensitive<Vec<u8>>) -> Result<()> {
        self.store()?.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<()> {
        self.store()?.delete(key)
    }
    fn describe(&self) -> String {
        match self.store() {
            Ok(store) => store.describe(),
            Err(_) => format!("unavailable ({})", self.kind),
        }
    }
    fn check(&self) -> Result<()> {
        self.store()?.check()
    }
}

#[cfg(unix)]
fn open_file_store(dir: &std::path::Path) -> Result<Arc<dyn SecretStore>> {
    Ok(Arc::new(FileStore::open(dir)?))
}

#[cfg(not(unix))]
fn open_file_store(dir: &std::path::Path) -> Result<Arc<dyn SecretStore>> {
    Err(Error::new(
        ErrorCode::SecretStoreUnavailable,
        format!("the file secret store (file:{}) needs Unix file permissions", dir.display()),
    )
    .detail("file_store_unsupported")
    .hint("Use the OS keyring on this system."))
}

/// Fetches a secret that must exist.
///
/// A missing secret is a [`ErrorCode::SecretMissing`] error naming the key, the store and
/// what to do; `what` says what the secret is for people ("SP private key of connection x").
pub fn require(store: &dyn SecretStore, key: &str, what: &str) -> Result<Sensitive<Vec<u8>>> {
    match store.get(key)? {
        Some(secret) => Ok(secret),
        None => Err(Error::new(
            ErrorCode::SecretMissing,
            format!("the {what} is not in the secret store ({}) under key {key:?}", store.describe()),
        )
        .detail("not_in_store")
        .hint("If it was saved with another secret store, use that store again; otherwise create or import it again.")),
    }
}

/// Checks a key: 1 to [`MAX_KEY_LEN`] ASCII letters, digits and `-_./`, made of
/// `/`-separated segments that are neither empty nor `.` nor `..`.
pub fn validate_key(key: &str) -> Result<()> {
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(Error::invalid(format!("a secret key has 1 to {MAX_KEY_LEN} characters (got {})", key.len())));
    }
    if !key.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/')) {
        return Err(Error::invalid(format!(
            "secret key {key:?} may contain only ASCII letters, digits, '-', '_', '.' and '/'"
        )));
    }
    if key.split('/').any(|segment| segment.is_empty() || segment == "." || segment == "..") {
        return Err(Error::invalid(format!(
            "secret key {key:?} must be '/'-separated names, none of them empty, '.' or '..'"
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Memory

/// Secrets in a map in this process; lost at exit.
#[derive(Default)]
pub struct MemoryStore {
    secrets: Mutex<HashMap<String, Sensitive<Vec<u8>>>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Sensitive<Vec<u8>>>> {
        // A panic while holding the lock cannot leave the map half-updated: recover.
        self.secrets.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore").field("len", &self.map().len()).finish()
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<Sensitive<Vec<u8>>>> {
        validate_key(key)?;
        Ok(self.map().get(key).cloned())
    }

    fn set(&self, key: &str, value: &Sensitive<Vec<u8>>) -> Result<()> {
        validate_key(key)?;
        self.map().insert(key.to_owned(), value.clone());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<()> {
        validate_key(key)?;
        self.map().remove(key);
        Ok(())
    }

    fn describe(&self) -> String {
        "memory (lost at exit)".to_owned()
    }
}

#[cfg(unix)]
mod file;
mod keyring;
mod oidc;
mod scim;

pub use self::oidc::{
    OIDC_STATE_KEY, STATE_KEY_BYTES, connection_keys, oidc_client_key, oidc_client_secret, pkce_challenge,
    pkce_verifier, state_key,
};

pub use self::scim::{SCIM_TOKEN_PREFIX, generate_scim_token, scim_token, scim_token_digest};

pub use self::keyring::KeyringStore;
#[cfg(unix)]
pub use file::FileStore;
