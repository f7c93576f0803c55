-- 0002: JIT provisioning: mapping documents, users and their IdP identities, the
-- replay cache of consumed assertion IDs, and the append-only audit log.

-- One mapping document (fields, role and access rules, provisioning policy) per connection.
CREATE TABLE connection_mappings (
    connection_id   INTEGER PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE,
    document        TEXT    NOT NULL,   -- MappingDocument as JSON
    updated_at      TEXT    NOT NULL
);

-- Accounts of the application. Email is unique (case-insensitive): a second account with
-- someone's email is how takeovers start; linking is an explicit policy instead.
CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    -- the connection whose first login created the account (NULL: manual, or connection removed)
    connection_id   INTEGER REFERENCES connections(id) ON DELETE SET NULL,
    email           TEXT    UNIQUE COLLATE NOCASE,
    username        TEXT,
    given_name      TEXT,
    family_name     TEXT,
    display_name    TEXT,
    groups          TEXT    NOT NULL DEFAULT '[]',  -- JSON array
    roles           TEXT    NOT NULL DEFAULT '[]',  -- JSON array
    custom          TEXT    NOT NULL DEFAULT '{}',  -- JSON object of custom fields
    status          TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deactivated')),
    source          TEXT    NOT NULL CHECK (source IN ('jit', 'manual')),
    first_login     TEXT,
    last_login      TEXT,
    login_count     INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL
);

-- Which IdP subject is which account. The primary key makes a duplicate account for one
-- person impossible, even when two first logins race.
CREATE TABLE user_identities (
    connection_id   INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    subject         TEXT    NOT NULL,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    linked          INTEGER NOT NULL DEFAULT 0 CHECK (linked IN (0, 1)),
    created_at      TEXT    NOT NULL,
    PRIMARY KEY (connection_id, subject),
    UNIQUE (connection_id, user_id)
);
CREATE INDEX user_identities_user ON user_identities(user_id);

-- Assertion IDs already consumed: an assertion is accepted once.
CREATE TABLE used_assertions (
    connection_id   INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    assertion_id    TEXT    NOT NULL,
    used_at         TEXT    NOT NULL,
    PRIMARY KEY (connection_id, assertion_id)
);

-- Every login attempt that reached provisioning, and every rejected response.
-- No foreign keys: the log outlives the connections and users it mentions.
CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY,
    at              TEXT    NOT NULL,
    connection_id   INTEGER,
    connection_name TEXT    NOT NULL,
    subject         TEXT,
    outcome         TEXT    NOT NULL CHECK (outcome IN ('created', 'updated', 'unchanged', 'linked', 'denied', 'rejected')),
    reason          TEXT,               -- denial code (e.g. missing_attribute) or failed check id
    message         TEXT,
    user_id         INTEGER,
    diff            TEXT    NOT NULL DEFAULT '[]'  -- JSON [{field, before, after}]
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_connection ON audit_log(connection_name, at);

-- Append-only from the application's side.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
