//! The OS keyring store, through the `keyring` crate: each operation on a helper thread,
//! bounded by the keyring timeout (see the module docs of `secrets`).

use std::sync::Arc;
use std::time::Duration;

use super::{
    DEFAULT_KEYRING_SERVICE, DEFAULT_KEYRING_TIMEOUT_SECS, KEYRING_SERVICE_ENV, KEYRING_TIMEOUT_ENV, SecretStore,
    validate_key,
};
use crate::sensitive::Sensitive;
use crate::{Error, ErrorCode, Result};

#[cfg(target_os = "macos")]
const KEYRING_BACKEND: &str = "macOS Keychain";
#[cfg(target_os = "windows")]
const KEYRING_BACKEND: &str = "Windows Credential Manager";
#[cfg(not(any(target_os = "macos", target_os = "windows")))]
const KEYRING_BACKEND: &str = "Secret Service over D-Bus";

#[cfg(target_os = "macos")]
const KEYRING_NAME: &str = "Keychain";
#[cfg(target_os = "windows")]
const KEYRING_NAME: &str = "Credential Manager";
#[cfg(not(any(target_os = "macos", target_os = "windows")))]
const KEYRING_NAME: &str = "Secret Service";

/// What fixes a keyring that is missing or failing, in concepts (shells add their flags).
const KEYRING_FIX: &str = "Start a keyring such as gnome-keyring (in a D-Bus session, unlocked), \
     or use the file secret store on a headless machine";
/// What fixes a keyring that does not answer.
const KEYRING_WAIT_FIX: &str = "Unlock the keyring, allow it more time (the keyring timeout), or use the file \
     secret store on a headless machine";

/// A secret-store failure with its stable detail code and what fixes it.
fn unavailable(detail: &str, message: String, hint: &str) -> Error {
    Error::new(ErrorCode::SecretStoreUnavailable, message).detail(detail).hint(hint)
}

/// Keyring operations that timed out and are still running (process-wide, like the
/// `keyring` crate's connection).
static ABANDONED_KEYRING_OPS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
const OP_RUNNING: u8 = 0;
const OP_DONE: u8 = 1;
const OP_ABANDONED: u8 = 2;

/// The OS keyring, through the `keyring` crate (v4, `v1` feature).
///
/// Each key is an item with service [`KeyringStore::service`] and user name = the key.
/// The crate connects once per process, on first use, and keeps that result (success or
/// failure) for the life of the process.
#[derive(Debug, Clone)]
pub struct KeyringStore {
    service: String,
    timeout: Duration,
}

impl KeyringStore {
    /// A store using this service name and bounding each operation by `timeout`.
    pub fn new(service: impl Into<String>, timeout: Duration) -> Result<Self> {
        let service = service.into();
        if service.is_empty() {
            return Err(Error::invalid("the keyring service name must not be empty"));
        }
        if timeout.is_zero() {
            return Err(Error::invalid("the keyring timeout must be positive"));
        }
        Ok(KeyringStore { service, timeout })
    }

    /// Service from [`KEYRING_SERVICE_ENV`] (default [`DEFAULT_KEYRING_SERVICE`]), timeout
    /// from [`KEYRING_TIMEOUT_ENV`] (default [`DEFAULT_KEYRING_TIMEOUT_SECS`]).
    pub fn from_env() -> Result<Self> {
        let service = match std::env::var(KEYRING_SERVICE_ENV) {
            Ok(s) if !s.is_empty() => s,
            Ok(_) | Err(std::env::VarError::NotPresent) => DEFAULT_KEYRING_SERVICE.to_owned(),
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(Error::invalid(format!("{KEYRING_SERVICE_ENV} is not valid UTF-8")));
            }
        };
        let secs = match std::env::var(KEYRING_TIMEOUT_ENV) {
            Err(std::env::VarError::NotPresent) => DEFAULT_KEYRING_TIMEOUT_SECS,
            Ok(s) if s.is_empty() => DEFAULT_KEYRING_TIMEOUT_SECS,
            Ok(s) => match s.trim().parse::<u64>() {
                Ok(n) if n > 0 => n,
                _ => {
                    return Err(Error::invalid(format!(
                        "{KEYRING_TIMEOUT_ENV} must be a whole number of seconds, at least 1 (got {s:?})"
                    )));
                }
            },
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(Error::invalid(format!("{KEYRING_TIMEOUT_ENV} is not valid UTF-8")));
            }
        };
        Self::new(service, Duration::from_secs(secs))
    }

    /// The keyring service name items are stored under.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Runs `op` on an entry for `key` on a helper thread, waiting at most the timeout.
    ///
    /// A timed-out operation keeps its thread (it cannot be cancelled) and, in the
    /// `keyring` crate, holds the process-wide connection (or its one-time setup), so
    /// every later operation would queue behind it: while one is outstanding, new
    /// operations fail at once instead of waiting out the timeout again.
    fn run<T: Send + 'static>(
        &self,
        key: &str,
        action: &'static str,
        op: impl FnOnce(&keyring::Entry) -> Result<T, keyring::Error> + Send + 'static,
    ) -> Result<Result<T, keyring::Error>> {
        use std::sync::atomic::Ordering;
        use std::sync::mpsc::RecvTimeoutError;

        if ABANDONED_KEYRING_OPS.load(Ordering::SeqCst) > 0 {
            return Err(unavailable(
                "keyring_busy",
                format!(
                    "cannot {action} secret {key:?}: an earlier OS keyring ({KEYRING_BACKEND}) \
                     operation did not answer in time and is still waiting, perhaps for an unlock \
                     prompt that cannot be shown"
                ),
                KEYRING_WAIT_FIX,
            ));
        }
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let state = Arc::new(std::sync::atomic::AtomicU8::new(OP_RUNNING));
        let worker_state = Arc::clone(&state);
        let service = self.service.clone();
        let user = key.to_owned();
        std::thread::Builder::new()
            .name("handshake-keyring".to_owned())
            .spawn(move || {
                let result = keyring::Entry::new(&service, &user).and_then(|entry| op(&entry));
                if worker_state.swap(OP_DONE, Ordering::SeqCst) == OP_ABANDONED {
                    ABANDONED_KEYRING_OPS.fetch_sub(1, Ordering::SeqCst);
                }
                // The receiver is gone only if the caller already gave up.
                let _ = tx.send(result);
            })
            .map_err(|e| {
                unavailable(
                    "keyring_failed",
                    format!("cannot start a thread to talk to the OS keyring: {e}"),
                    "Free some system resources and try again.",
                )
            })?;
        let timed_out = |rx: &std::sync::mpsc::Receiver<_>| {
            // Count this operation as abandoned unless it finished meanwhile (then its
            // result is in the channel, or about to be).
            ABANDONED_KEYRING_OPS.fetch_add(1, Ordering::SeqCst);
            match state.compare_exchange(OP_RUNNING, OP_ABANDONED, Ordering::SeqCst, Ordering::SeqCst) {
                Ok(_) => None,
                Err(_) => {
                    ABANDONED_KEYRING_OPS.fetch_sub(1, Ordering::SeqCst);
                    rx.recv().ok()
                }
            }
        };
        let outcome = match rx.recv_timeout(self.timeout) {
            Ok(result) => Some(result),
            Err(RecvTimeoutError::Timeout) => timed_out(&rx),
            Err(RecvTimeoutError::Disconnected) => {
                return Err(unavailable(
                    "keyring_failed",
                    format!("the OS keyring client failed unexpectedly while trying to {action} secret {key:?}"),
                    KEYRING_FIX,
                ));
            }
        };
        outcome.ok_or_else(|| {
            unavailable(
                "keyring_timeout",
                format!(
                    "the OS keyring ({KEYRING_BACKEND}) did not answer within {}s while trying to \
                     {action} secret {key:?}; it may be waiting for an unlock prompt that cannot be \
                     shown, or the keyring service is stuck",
                    self.timeout.as_secs()
                ),
                KEYRING_WAIT_FIX,
            )
        })
    }

    /// Turns a keyring error into ours. Never formats secret bytes (the variants that
    /// carry them are matched explicitly).
    fn error(&self, e: keyring::Error, key: &str, action: &str) -> Error {
        use keyring::Error as K;
        match e {
            K::NoDefaultStore => {
                let detail = match keyring::Entry::store_status() {
                    Err(init) => init.to_string(),
                    Ok(()) => "no default credential store".to_owned(),
                };
                unavailable(
                    "no_keyring",
                    format!("no OS keyring is available ({KEYRING_BACKEND}: {detail}{})", session_hint()),
                    KEYRING_FIX,
                )
            }
            K::PlatformFailure(inner) => unavailable(
                "keyring_failed",
                format!("the OS keyring failed while trying to {action} secret {key:?} ({KEYRING_BACKEND}: {inner})"),
                KEYRING_FIX,
            ),
            K::NoStorageAccess(inner) => unavailable(
                "keyring_locked",
                format!(
                    "the OS keyring is locked (or has no default keyring) and could not be unlocked while trying \
                     to {action} secret {key:?} ({KEYRING_BACKEND}: {inner})"
                ),
                "Unlock it (log in to the desktop, or run `gnome-keyring-daemon --unlock`), or use the file secret \
                 store on a headless machine",
            ),
            K::NoEntry => Error::new(
                ErrorCode::SecretMissing,
                format!("secret {key:?} is not in the OS keyring (service {:?})", self.service),
            )
            .detail("not_in_store"),
            K::BadEncoding(_) | K::BadDataFormat(_, _) => unavailable(
                "keyring_malformed",
                format!("the OS keyring returned malformed data for secret {key:?}"),
                "Delete the item and store it again.",
            ),
            K::Ambiguous(items) => unavailable(
                "keyring_ambiguous",
                format!("{} items in the OS keyring match secret {key:?} (service {:?})", items.len(), self.service),
                &format!(
                    "Remove the duplicates, e.g. with seahorse or `secret-tool clear service {} username {key}`.",
                    self.service
                ),
            ),
            K::TooLong(name, limit) => Error::invalid(format!(
                "the keyring {name} for secret {key:?} is longer than the platform limit of {limit}"
            )),
            K::Invalid(name, reason) => {
                Error::invalid(format!("the keyring rejected {name} for secret {key:?}: {reason}"))
            }
            other => unavailable(
                "keyring_failed",
                format!("the OS keyring failed while trying to {action} secret {key:?} ({KEYRING_BACKEND}: {other})"),
                KEYRING_FIX,
            ),
        }
    }
}

/// Why the D-Bus session may be missing, when that is visible from the environment.
fn session_hint() -> &'static str {
    if cfg!(any(target_os = "macos", target_os = "windows")) {
        return "";
    }
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        "; DBUS_SESSION_BUS_ADDRESS is not set, so there may be no D-Bus session"
    } else {
        ""
    }
}

impl SecretStore for KeyringStore {
    fn get(&self, key: &str) -> Result<Option<Sensitive<Vec<u8>>>> {
        validate_key(key)?;
        match self.run(key, "read", |entry| entry.get_secret())? {
            Ok(bytes) => Ok(Some(Sensitive::new(bytes))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(self.error(e, key, "read")),
        }
    }

    fn set(&self, key: &str, value: &Sensitive<Vec<u8>>) -> Result<()> {
        validate_key(key)?;
        let value = value.clone();
        match self.run(key, "store", move |entry| entry.set_secret(value.expose()))? {
            Ok(()) => Ok(()),
            Err(e) => Err(self.error(e, key, "store")),
        }
    }

    fn delete(&self, key: &str) -> Result<()> {
        validate_key(key)?;
        match self.run(key, "delete", |entry| entry.delete_credential())? {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(self.error(e, key, "delete")),
        }
    }

    fn describe(&self) -> String {
        if self.service == DEFAULT_KEYRING_SERVICE {
            format!("{KEYRING_NAME} (keyring)")
        } else {
            format!("{KEYRING_NAME} (keyring, service {:?})", self.service)
        }
    }
}
