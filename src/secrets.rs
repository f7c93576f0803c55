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
//! Keys look like `sp-key/<connection-name>` ([`sp_key`]) or `demo-idp-key`
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
use std::time::Duration;

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

#[cfg(unix)]
fn open_file_store(dir: &std::path::Path) -> Result<Arc<dyn SecretStore>> {
    Ok(Arc::new(FileStore::open(dir)?))
}

#[cfg(not(unix))]
fn open_file_store(dir: &std::path::Path) -> Result<Arc<dyn SecretStore>> {
    Err(Error::new(
        ErrorCode::SecretStoreUnavailable,
        format!(
            "the file secret store (file:{}) needs Unix file permissions; use --secret-store keyring",
            dir.display()
        ),
    ))
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
            format!(
                "the {what} is not in the secret store ({}) under key {key:?}. If it was saved \
                 with another secret store, run again with that --secret-store (or {SECRET_STORE_ENV}); \
                 otherwise create or import it again",
                store.describe()
            ),
        )),
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

// ---------------------------------------------------------------------------------------
// Files

#[cfg(unix)]
pub use file_store::FileStore;

#[cfg(unix)]
mod file_store {
    use std::fs::{self, DirBuilder, File, OpenOptions};
    use std::io::{ErrorKind, Read, Write};
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::{SecretStore, validate_key};
    use crate::sensitive::Sensitive;
    use crate::{Error, ErrorCode, Result};

    const SUFFIX: &str = ".secret";
    static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

    /// One file per secret in a directory only its owner can enter.
    ///
    /// The file of key `a/b` is `a~b.secret` (`~` cannot occur in a key, so the mapping
    /// is reversible, and no file name can contain `/` or be `.`/`..`). Files are mode
    /// 0600, written to a 0600 temporary file in the same directory and renamed over
    /// the old one, so readers see the old or the new secret, never a partial one.
    #[derive(Debug)]
    pub struct FileStore {
        dir: PathBuf,
    }

    impl FileStore {
        /// Creates `dir` (mode 0700, parents as needed) or checks that the existing
        /// directory is not accessible by group or others.
        pub fn open(dir: &Path) -> Result<Self> {
            match fs::metadata(dir) {
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {
                    DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(|e| {
                        unavailable(format!("cannot create the secret directory {}: {e}", dir.display()))
                    })?;
                    // The umask can only remove bits, but be explicit about the final mode.
                    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|e| {
                        unavailable(format!(
                            "cannot make the secret directory {} private (mode 0700): {e}",
                            dir.display()
                        ))
                    })?;
                }
                Err(e) => {
                    return Err(unavailable(format!("cannot use the secret directory {}: {e}", dir.display())));
                }
            }
            let store = FileStore { dir: dir.to_path_buf() };
            store.check_dir()?;
            Ok(store)
        }

        /// The directory holding the secrets.
        pub fn dir(&self) -> &Path {
            &self.dir
        }

        /// The file holding `key` (the key must be valid).
        pub fn path_of(&self, key: &str) -> PathBuf {
            self.dir.join(file_name(key))
        }

        fn check_dir(&self) -> Result<()> {
            let dir = &self.dir;
            let meta = fs::metadata(dir)
                .map_err(|e| unavailable(format!("cannot use the secret directory {}: {e}", dir.display())))?;
            if !meta.is_dir() {
                return Err(unavailable(format!("the secret store path {} is not a directory", dir.display())));
            }
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(unavailable(format!(
                    "refusing to keep secrets in {dir}: group or others can access it (mode {mode:04o}). \
                     Run `chmod 700 {dir}` and try again",
                    dir = dir.display()
                )));
            }
            Ok(())
        }
    }

    fn file_name(key: &str) -> String {
        format!("{}{SUFFIX}", key.replace('/', "~"))
    }

    fn unavailable(message: String) -> Error {
        Error::new(ErrorCode::SecretStoreUnavailable, message)
    }

    fn io(message: String) -> Error {
        Error::new(ErrorCode::Io, message)
    }

    impl SecretStore for FileStore {
        fn get(&self, key: &str) -> Result<Option<Sensitive<Vec<u8>>>> {
            validate_key(key)?;
            self.check_dir()?;
            let path = self.path_of(key);
            let mut file = match File::open(&path) {
                Ok(file) => file,
                Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
                Err(e) => {
                    return Err(io(format!("cannot read secret {key:?} from {}: {e}", path.display())));
                }
            };
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes)
                .map_err(|e| io(format!("cannot read secret {key:?} from {}: {e}", path.display())))?;
            Ok(Some(Sensitive::new(bytes)))
        }

        fn set(&self, key: &str, value: &Sensitive<Vec<u8>>) -> Result<()> {
            validate_key(key)?;
            self.check_dir()?;
            let path = self.path_of(key);
            let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
            let temp = self.dir.join(format!(".{}.{}.{n}.tmp", file_name(key), std::process::id()));
            let write = || -> std::io::Result<()> {
                // Mode 0600 from creation on: no byte is ever in a more open file.
                let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temp)?;
                file.set_permissions(fs::Permissions::from_mode(0o600))?;
                file.write_all(value.expose())?;
                file.sync_all()?;
                drop(file);
                fs::rename(&temp, &path)
            };
            if let Err(e) = write() {
                let _ = fs::remove_file(&temp);
                return Err(io(format!("cannot write secret {key:?} to {}: {e}", path.display())));
            }
            // Make the rename durable. Best effort: some file systems refuse to fsync a
            // directory, and the secret is already in place.
            if let Ok(dir) = File::open(&self.dir) {
                let _ = dir.sync_all();
            }
            Ok(())
        }

        fn delete(&self, key: &str) -> Result<()> {
            validate_key(key)?;
            self.check_dir()?;
            let path = self.path_of(key);
            match fs::remove_file(&path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
                Err(e) => Err(io(format!("cannot delete secret {key:?} ({}): {e}", path.display()))),
            }
        }

        fn describe(&self) -> String {
            format!("files in {} (0600)", self.dir.display())
        }
    }
}

// ---------------------------------------------------------------------------------------
// OS keyring

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

const KEYRING_FIX: &str = "Start a keyring such as gnome-keyring (in a D-Bus session, unlocked), \
     or choose --secret-store file:DIR for a headless machine";

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

        let fix = "Unlock the keyring (or raise HANDSHAKE_KEYRING_TIMEOUT_SECS), \
                   or choose --secret-store file:DIR for a headless machine";
        if ABANDONED_KEYRING_OPS.load(Ordering::SeqCst) > 0 {
            return Err(Error::new(
                ErrorCode::SecretStoreUnavailable,
                format!(
                    "cannot {action} secret {key:?}: an earlier OS keyring ({KEYRING_BACKEND}) \
                     operation did not answer in time and is still waiting, perhaps for an unlock \
                     prompt that cannot be shown. {fix}"
                ),
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
                Error::new(
                    ErrorCode::SecretStoreUnavailable,
                    format!("cannot start a thread to talk to the OS keyring: {e}"),
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
                return Err(Error::new(
                    ErrorCode::SecretStoreUnavailable,
                    format!("the OS keyring client failed unexpectedly while trying to {action} secret {key:?}"),
                ));
            }
        };
        outcome.ok_or_else(|| {
            Error::new(
                ErrorCode::SecretStoreUnavailable,
                format!(
                    "the OS keyring ({KEYRING_BACKEND}) did not answer within {}s while trying to \
                     {action} secret {key:?}; it may be waiting for an unlock prompt that cannot be \
                     shown, or the keyring service is stuck. {fix}",
                    self.timeout.as_secs()
                ),
            )
        })
    }

    /// Turns a keyring error into ours. Never formats secret bytes (the variants that
    /// carry them are matched explicitly).
    fn error(&self, e: keyring::Error, key: &str, action: &str) -> Error {
        use keyring::Error as K;
        let unavailable = |message: String| Error::new(ErrorCode::SecretStoreUnavailable, message);
        match e {
            K::NoDefaultStore => {
                let detail = match keyring::Entry::store_status() {
                    Err(init) => init.to_string(),
                    Ok(()) => "no default credential store".to_owned(),
                };
                unavailable(format!(
                    "no OS keyring is available ({KEYRING_BACKEND}: {detail}{}). {KEYRING_FIX}",
                    session_hint()
                ))
            }
            K::PlatformFailure(inner) => unavailable(format!(
                "the OS keyring failed while trying to {action} secret {key:?} ({KEYRING_BACKEND}: {inner}). \
                 {KEYRING_FIX}"
            )),
            K::NoStorageAccess(inner) => unavailable(format!(
                "the OS keyring is locked (or has no default keyring) and could not be unlocked \
                 while trying to {action} secret {key:?} ({KEYRING_BACKEND}: {inner}). Unlock it \
                 (log in to the desktop, or run `gnome-keyring-daemon --unlock`), or choose \
                 --secret-store file:DIR for a headless machine"
            )),
            K::NoEntry => Error::new(
                ErrorCode::SecretMissing,
                format!("secret {key:?} is not in the OS keyring (service {:?})", self.service),
            ),
            K::BadEncoding(_) | K::BadDataFormat(_, _) => unavailable(format!(
                "the OS keyring returned malformed data for secret {key:?}; delete it and store it again"
            )),
            K::Ambiguous(items) => unavailable(format!(
                "{} items in the OS keyring match secret {key:?} (service {:?}); remove the duplicates, \
                 e.g. with seahorse or `secret-tool clear service {} username {key}`",
                items.len(),
                self.service,
                self.service
            )),
            K::TooLong(name, limit) => Error::invalid(format!(
                "the keyring {name} for secret {key:?} is longer than the platform limit of {limit}"
            )),
            K::Invalid(name, reason) => {
                Error::invalid(format!("the keyring rejected {name} for secret {key:?}: {reason}"))
            }
            other => unavailable(format!(
                "the OS keyring failed while trying to {action} secret {key:?} ({KEYRING_BACKEND}: {other})"
            )),
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
