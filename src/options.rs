//! How a shell opens the core: the catalog file, the secret store and the embedded SP's
//! port, and who is acting (the OS user the audit log names on admin rows). Both shells read
//! them here, so they agree: the CLI passes the flags it was given, the app none; whatever is
//! not given comes from `HANDSHAKE_DB`, `HANDSHAKE_SECRET_STORE` and `HANDSHAKE_PORT` (an
//! empty value counts as unset), then the defaults.

use std::path::PathBuf;

use crate::connection::DEFAULT_PORT;
use crate::directory::UNKNOWN_ACTOR;
use crate::error::{Error, Result};
use crate::secrets::{SECRET_STORE_ENV, SecretStoreKind};
use crate::store::DB_ENV;

/// The variable that picks the embedded SP's port.
pub const PORT_ENV: &str = "HANDSHAKE_PORT";

/// Where a Workbench keeps its state and which port the embedded SP answers on.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// The catalog; `None` is the user's data directory (see `Store::resolve_path`).
    pub db: Option<PathBuf>,
    pub secret_store: SecretStoreKind,
    pub port: u16,
    /// The OS user running Handshake ([`os_user`]): the actor of admin rows in the audit log.
    pub actor: String,
}

/// What a shell was told explicitly (the CLI's flags); `None` falls back to the environment.
#[derive(Debug, Clone, Default)]
pub struct Given {
    pub db: Option<PathBuf>,
    pub secret_store: Option<SecretStoreKind>,
    pub port: Option<u16>,
}

impl OpenOptions {
    /// The options from the environment alone (the desktop app).
    pub fn from_env() -> Result<Self> {
        Self::resolve(Given::default())
    }

    /// `given` first, then the environment, then the defaults.
    pub fn resolve(given: Given) -> Result<Self> {
        Self::resolve_with(given, |name| std::env::var(name).ok())
    }

    /// [`OpenOptions::resolve`] with the environment passed in.
    pub fn resolve_with(given: Given, env: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let var = |name: &str| env(name).filter(|v| !v.is_empty());
        let secret_store = match (given.secret_store, var(SECRET_STORE_ENV)) {
            (Some(kind), _) => kind,
            (None, Some(v)) => v
                .parse::<SecretStoreKind>()
                .map_err(|e| Error::invalid(format!("{SECRET_STORE_ENV}: {}", e.message)))?,
            (None, None) => SecretStoreKind::default(),
        };
        let port = match (given.port, var(PORT_ENV)) {
            (Some(port), _) => port,
            (None, Some(v)) => v
                .parse::<u16>()
                .map_err(|_| Error::invalid(format!("{PORT_ENV}={v:?} is not a port number (0 to 65535)")))?,
            (None, None) => DEFAULT_PORT,
        };
        let db = given.db.or_else(|| var(DB_ENV).map(PathBuf::from));
        Ok(OpenOptions { db, secret_store, port, actor: os_user(&env) })
    }
}

/// Longest actor name kept (characters).
const MAX_ACTOR_CHARS: usize = 64;

/// The login name of the OS user (`USER`, then `LOGNAME`, then Windows' `USERNAME`, then the
/// account name of this process's user id), or [`UNKNOWN_ACTOR`]: an admin action never fails
/// because the name cannot be told. Control characters are dropped and the name is cut to 64
/// characters. The one place both shells learn who is acting.
pub fn os_user(env: impl Fn(&str) -> Option<String>) -> String {
    os_user_or(env, account_of_this_process)
}

fn os_user_or(env: impl Fn(&str) -> Option<String>, account: impl FnOnce() -> Option<String>) -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .into_iter()
        .filter_map(&env)
        // Services, containers and test drivers often start programs without USER/LOGNAME.
        .chain(std::iter::once_with(account).flatten())
        .map(|v| v.chars().filter(|c| !c.is_control()).take(MAX_ACTOR_CHARS).collect::<String>())
        .map(|v| v.trim().to_owned())
        .find(|v| !v.is_empty())
        .unwrap_or_else(|| UNKNOWN_ACTOR.to_owned())
}

/// The account name of the user this process runs as (the owner of `/proc/self`, looked up in
/// `/etc/passwd`, read up to 1 MiB); `None` where there is no such file.
#[cfg(unix)]
fn account_of_this_process() -> Option<String> {
    use std::io::Read as _;
    use std::os::unix::fs::MetadataExt as _;
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let mut passwd = String::new();
    std::fs::File::open("/etc/passwd").ok()?.take(1 << 20).read_to_string(&mut passwd).ok()?;
    passwd_name(&passwd, uid)
}

#[cfg(not(unix))]
fn account_of_this_process() -> Option<String> {
    None
}

/// The name of `uid` in passwd(5) text (`name:password:uid:...`).
#[cfg_attr(not(unix), allow(dead_code))]
fn passwd_name(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id = fields.nth(1)?;
        (id.parse::<u32>().ok()? == uid && !name.is_empty()).then(|| name.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    }

    #[test]
    fn given_values_win_over_the_environment_which_wins_over_the_defaults() {
        let none = OpenOptions::resolve_with(Given::default(), env(&[])).unwrap();
        assert_eq!((none.db, none.secret_store, none.port), (None, SecretStoreKind::Keyring, DEFAULT_PORT));
        let vars =
            env(&[("HANDSHAKE_DB", "/env.db"), ("HANDSHAKE_SECRET_STORE", "memory"), ("HANDSHAKE_PORT", "7788")]);
        let from_env = OpenOptions::resolve_with(Given::default(), &vars).unwrap();
        assert_eq!(from_env.db, Some(PathBuf::from("/env.db")));
        assert_eq!((from_env.secret_store, from_env.port), (SecretStoreKind::Memory, 7788));
        let given = Given {
            db: Some("/flag.db".into()),
            secret_store: Some(SecretStoreKind::File("/s".into())),
            port: Some(0),
        };
        let flags = OpenOptions::resolve_with(given, &vars).unwrap();
        assert_eq!(flags.db, Some(PathBuf::from("/flag.db")));
        assert_eq!((flags.secret_store, flags.port), (SecretStoreKind::File("/s".into()), 0));
    }

    #[test]
    fn the_actor_is_the_login_user_or_unknown() {
        assert_eq!(os_user(env(&[("USER", "ada"), ("LOGNAME", "root")])), "ada");
        assert_eq!(os_user(env(&[("USER", " "), ("LOGNAME", "grace")])), "grace");
        assert_eq!(os_user(env(&[("USERNAME", "win\u{7}user")])), "winuser");
        assert_eq!(os_user_or(env(&[]), || None), "unknown");
        // regression: an app started without USER/LOGNAME (a service, a test driver) named
        // every admin "unknown": the account of the process's user id comes next.
        assert_eq!(os_user_or(env(&[]), || Some("root".into())), "root");
        assert_eq!(os_user_or(env(&[("USER", "ada")]), || Some("root".into())), "ada");
        let passwd = "root:x:0:0:root:/root:/bin/bash\n\nbroken\nada:x:1000:1000::/home/ada:/bin/sh\n";
        assert_eq!(passwd_name(passwd, 1000).as_deref(), Some("ada"));
        assert_eq!(passwd_name(passwd, 0).as_deref(), Some("root"));
        assert_eq!(passwd_name(passwd, 7), None);
        let o = OpenOptions::resolve_with(Given::default(), env(&[("USER", "ada")])).unwrap();
        assert_eq!(o.actor, "ada");
    }

    #[test]
    fn empty_values_count_as_unset_and_bad_ones_name_their_variable() {
        let empty = env(&[("HANDSHAKE_DB", ""), ("HANDSHAKE_SECRET_STORE", ""), ("HANDSHAKE_PORT", "")]);
        let o = OpenOptions::resolve_with(Given::default(), empty).unwrap();
        assert_eq!((o.db, o.secret_store, o.port), (None, SecretStoreKind::Keyring, DEFAULT_PORT));
        let port = OpenOptions::resolve_with(Given::default(), env(&[("HANDSHAKE_PORT", "70000")])).unwrap_err();
        assert_eq!(port.message, "HANDSHAKE_PORT=\"70000\" is not a port number (0 to 65535)");
        let store =
            OpenOptions::resolve_with(Given::default(), env(&[("HANDSHAKE_SECRET_STORE", "vault")])).unwrap_err();
        assert!(store.message.starts_with("HANDSHAKE_SECRET_STORE: unknown secret store"), "{}", store.message);
        // A flag spares the variable: a bad value there is not read at all.
        let given = Given { port: Some(1), ..Given::default() };
        assert_eq!(OpenOptions::resolve_with(given, env(&[("HANDSHAKE_PORT", "x")])).unwrap().port, 1);
    }
}
