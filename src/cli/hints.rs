//! What the CLI adds to a core error: the command or flag that fixes it. The core's messages
//! and hints name concepts ("there is no connection named x"); only the CLI knows its
//! commands and flags, so it adds them here to the hint, by the error's code and what the
//! command was about: `error [not_found]: there is no connection named "x" (hint: run ...)`.
//! An error that already names the fix gets nothing more.

use handshake::{Error, ErrorCode};

use super::args::{Command, UsersCommand};

/// What a command acts on, for the hints that depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A connection, named by `--name`, `--connection` or a positional NAME.
    Connection,
    /// A user, by ID.
    User,
    Other,
}

impl Subject {
    pub fn of(command: &Command) -> Self {
        match command {
            Command::Users(UsersCommand::List { .. }) => Subject::Connection,
            Command::Users(_) => Subject::User,
            Command::Connection(_)
            | Command::Verify(_)
            | Command::Bench(_)
            | Command::Mapping(_)
            | Command::Provision(_)
            | Command::VerifyIdToken(_)
            | Command::ProvisionIdToken(_)
            | Command::Audit(_)
            | Command::Scim(_) => Subject::Connection,
            Command::Serve | Command::Demo(_) => Subject::Other,
        }
    }
}

/// A hint, and what a message that already gives it contains.
struct Hint {
    text: &'static str,
    given_by: &'static str,
}

const PICK_ANOTHER_CATALOG: Hint = Hint { text: "pass another file with --db or HANDSHAKE_DB", given_by: "--db" };
const OTHER_STORE_KIND: Hint = Hint {
    text: "choose another with --secret-store or HANDSHAKE_SECRET_STORE (file:DIR suits a headless machine)",
    given_by: "--secret-store",
};
const OTHER_SECRET_STORE: Hint = Hint {
    text: "if it was saved with another secret store, run again with that --secret-store (or HANDSHAKE_SECRET_STORE)",
    given_by: "--secret-store",
};
const OTHER_PORT: Hint = Hint { text: "choose another with --port or HANDSHAKE_PORT", given_by: "--port" };
const LIST_CONNECTIONS: Hint =
    Hint { text: "run `handshake connection list` to see the connections", given_by: "handshake connection list" };
const LIST_USERS: Hint = Hint { text: "run `handshake users list`", given_by: "handshake users list" };
const OTHER_NAME: Hint = Hint { text: "remove it first or pick another --name", given_by: "--name" };

/// An error from opening the catalog and the secret store.
pub fn opening(e: Error) -> Error {
    match e.code {
        ErrorCode::Storage | ErrorCode::Io | ErrorCode::InvalidInput => with(e, &PICK_ANOTHER_CATALOG),
        _ => e,
    }
}

/// An error from running a command about `subject` (opening included).
pub fn running(subject: Subject, e: Error) -> Error {
    let hint = match (e.code, subject) {
        (ErrorCode::SecretStoreUnavailable, _) => &OTHER_STORE_KIND,
        (ErrorCode::SecretMissing, _) => &OTHER_SECRET_STORE,
        (ErrorCode::PortInUse, _) => &OTHER_PORT,
        (ErrorCode::NotFound, Subject::Connection) => &LIST_CONNECTIONS,
        (ErrorCode::NotFound, Subject::User) => &LIST_USERS,
        (ErrorCode::AlreadyExists, Subject::Connection) => &OTHER_NAME,
        _ => return e,
    };
    with(e, hint)
}

const GIVE_SP_VALUES: Hint = Hint { text: "give them with --sp-entity-id and --acs-url", given_by: "--sp-entity-id" };
const GIVE_AN_INSTANT: Hint = Hint { text: "pass --at with an RFC 3339 instant instead", given_by: "--at" };

/// An error from judging a captured response (`verify --as-addressed`, `--at response`).
pub fn capture(e: Error) -> Error {
    use handshake::workbench::analysis::{NO_ADDRESSED_VALUE, NO_ISSUE_INSTANT};
    match e.detail.as_deref() {
        Some(NO_ADDRESSED_VALUE) => with(e, &GIVE_SP_VALUES),
        Some(NO_ISSUE_INSTANT) => with(e, &GIVE_AN_INSTANT),
        _ => e,
    }
}

fn with(e: Error, hint: &Hint) -> Error {
    let given = |text: &Option<String>| text.as_deref().is_some_and(|t| t.contains(hint.given_by));
    if given(&Some(e.message.clone())) || given(&e.hint) {
        return e;
    }
    let text = match e.hint.as_deref() {
        Some(core) => format!("{}; {}", core.trim_end_matches('.'), hint.text),
        None => hint.text.to_owned(),
    };
    Error { hint: Some(text), ..e }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_follow_the_code_and_the_subject_and_are_never_repeated() {
        let hint = |e: Error| e.hint.unwrap_or_default();
        let missing = Error::not_found("there is no connection named \"x\"");
        assert_eq!(
            hint(running(Subject::Connection, missing.clone())),
            "run `handshake connection list` to see the connections"
        );
        assert_eq!(running(Subject::Other, missing.clone()), missing);
        let user = Error::not_found("there is no user 7");
        assert_eq!(hint(running(Subject::User, user)), "run `handshake users list`");
        let said = Error::not_found("there is no user 7").hint("run `handshake users list`");
        assert_eq!(running(Subject::User, said.clone()), said);
        let catalog = Error::new(ErrorCode::Storage, "cannot open the catalog /x.db: file is not a database");
        assert_eq!(hint(opening(catalog)), "pass another file with --db or HANDSHAKE_DB");
        let locked = Error::new(ErrorCode::Storage, "catalog database error: database is locked");
        assert_eq!(running(Subject::Connection, locked.clone()), locked, "only the catalog that cannot open");
        // The core's hint (concepts) comes first, then the flag.
        let keyring = Error::new(ErrorCode::SecretStoreUnavailable, "the OS keyring is locked").hint("Unlock it.");
        assert_eq!(
            hint(running(Subject::Other, keyring)),
            "Unlock it; choose another with --secret-store or HANDSHAKE_SECRET_STORE (file:DIR suits a headless machine)"
        );
        let taken = Error::new(ErrorCode::PortInUse, "port 7777 on 127.0.0.1 is already in use");
        assert_eq!(hint(running(Subject::Other, taken)), "choose another with --port or HANDSHAKE_PORT");
    }
}
