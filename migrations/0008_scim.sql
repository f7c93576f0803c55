-- 0008: a SCIM 2.0 service provider per connection, beside JIT (issue #15).
--
-- * connection_scim: whether the connection's SCIM endpoint is on, and the generation of its
--   bearer token. The token itself is only in the secret store (`scim-token/<name>`).
-- * scim_resources: every User and Group a SCIM client wrote, as the whole SCIM document
--   (never a password: write-only attributes are dropped before the write). A User row names
--   its login `subject` (by the lifecycle's match rule) and the directory account it feeds.
--   A deleted resource stays as a tombstone (`deleted_at`): JIT never recreates its subject.
-- * scim_group_members: a Group's members as sent ({value, display, type, $ref}).
-- * scim_requests: the live request log (method, path, status, parsed change, diff, bodies
--   with secrets redacted), newest 500 per connection; like test_logins for logins.
-- * scim_login_views: the profile the last login mapped, per account, to compare with SCIM.
-- * users: `source` gains 'scim'; `field_sources` records who last wrote each field
--   ({field: {by: 'scim'|'login', at}}). Rebuilt, because the CHECK changes.
-- * user_identities.origin: 'login' (a login linked or created it) or 'scim' (a SCIM client
--   named the subject before any login).
-- * audit_log: `kind` gains 'scim' (a SCIM change: actor 'scim', an action, no outcome) and a
--   `request` column with the redacted SCIM request. Rebuilt; still append-only.

CREATE TABLE connection_scim (
    connection_id    INTEGER PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE,
    enabled          INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    token_generation INTEGER NOT NULL DEFAULT 0,   -- bumped on rotate; the token is in the secret store
    enabled_at       TEXT,
    rotated_at       TEXT,
    updated_at       TEXT    NOT NULL
);

CREATE TABLE scim_resources (
    connection_id  INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    id             TEXT    NOT NULL,   -- server-assigned, UUID form
    resource_type  TEXT    NOT NULL CHECK (resource_type IN ('User', 'Group')),
    external_id    TEXT,
    name           TEXT    NOT NULL,   -- userName (User) or displayName (Group)
    subject        TEXT,               -- User: the login subject by the match rule
    user_id        INTEGER REFERENCES users(id) ON DELETE SET NULL,
    document       TEXT    NOT NULL,   -- the SCIM resource as stored (JSON)
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT    NOT NULL,
    last_modified  TEXT    NOT NULL,
    deleted_at     TEXT,               -- tombstone
    PRIMARY KEY (connection_id, id)
);   -- not WITHOUT ROWID: a document may be 1 MiB, and a key search (or a member row's
     -- foreign-key check) that met such a cell in the key b-tree read all of it.
-- userName is not case-exact (RFC 7643 §4.1.1): unique among live Users ignoring ASCII case.
CREATE UNIQUE INDEX scim_resources_user_name ON scim_resources(connection_id, lower(name))
    WHERE resource_type = 'User' AND deleted_at IS NULL;
CREATE INDEX scim_resources_external_id ON scim_resources(connection_id, resource_type, external_id);
CREATE INDEX scim_resources_subject ON scim_resources(connection_id, subject);
CREATE INDEX scim_resources_user ON scim_resources(user_id);
CREATE INDEX scim_resources_order ON scim_resources(connection_id, resource_type, created_at, id);

CREATE TABLE scim_group_members (
    connection_id INTEGER NOT NULL,
    group_id      TEXT    NOT NULL,
    member_id     TEXT    NOT NULL,
    member_json   TEXT    NOT NULL,   -- {value, display, type, $ref} as sent
    PRIMARY KEY (connection_id, group_id, member_id),
    FOREIGN KEY (connection_id, group_id) REFERENCES scim_resources(connection_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX scim_group_members_member ON scim_group_members(connection_id, member_id);

CREATE TABLE scim_requests (
    id            INTEGER PRIMARY KEY,
    connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    at            TEXT    NOT NULL,
    method        TEXT    NOT NULL,
    path          TEXT    NOT NULL,
    status        INTEGER NOT NULL,
    scim_type     TEXT,
    resource_type TEXT,
    resource_id   TEXT,
    user_id       INTEGER,
    change        TEXT    NOT NULL DEFAULT '[]',   -- the parsed operations
    diff          TEXT    NOT NULL DEFAULT '[]',   -- the directory's field changes
    notes         TEXT    NOT NULL DEFAULT '[]',   -- tolerated quirks ("capitalised op"...)
    request_body  TEXT,                            -- redacted, at most 16 KiB
    response_body TEXT,                            -- redacted, at most 16 KiB
    client        TEXT,                            -- User-Agent, cut
    duration_ms   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX scim_requests_connection ON scim_requests(connection_id, id);

CREATE TABLE scim_login_views (
    connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    profile       TEXT    NOT NULL,   -- the mapped profile of the last login (JSON)
    at            TEXT    NOT NULL,
    PRIMARY KEY (connection_id, user_id)
) WITHOUT ROWID;

CREATE TABLE users_new (
    id              INTEGER PRIMARY KEY,
    connection_id   INTEGER REFERENCES connections(id) ON DELETE SET NULL,
    email           TEXT,
    email_canonical TEXT,
    email_skeleton  TEXT,
    email_verified  INTEGER NOT NULL DEFAULT 0 CHECK (email_verified IN (0, 1)),
    email_source    TEXT,
    username        TEXT,
    given_name      TEXT,
    family_name     TEXT,
    display_name    TEXT,
    groups          TEXT    NOT NULL DEFAULT '[]',
    roles           TEXT    NOT NULL DEFAULT '[]',
    custom          TEXT    NOT NULL DEFAULT '{}',
    status          TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deactivated')),
    source          TEXT    NOT NULL CHECK (source IN ('jit', 'manual', 'scim')),
    first_login     TEXT,
    last_login      TEXT,
    login_count     INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    field_sources   TEXT    NOT NULL DEFAULT '{}'
);
INSERT INTO users_new (id, connection_id, email, email_canonical, email_skeleton, email_verified, email_source,
                       username, given_name, family_name, display_name, groups, roles, custom, status, source,
                       first_login, last_login, login_count, created_at, updated_at)
SELECT id, connection_id, email, email_canonical, email_skeleton, email_verified, email_source,
       username, given_name, family_name, display_name, groups, roles, custom, status, source,
       first_login, last_login, login_count, created_at, updated_at
FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE UNIQUE INDEX users_email_owner ON users(email_canonical) WHERE email_verified = 1;
CREATE INDEX users_email_canonical ON users(email_canonical);
CREATE INDEX users_email_skeleton ON users(email_skeleton);

ALTER TABLE user_identities ADD COLUMN origin TEXT NOT NULL DEFAULT 'login' CHECK (origin IN ('login', 'scim'));

CREATE TABLE audit_log_new (
    id              INTEGER PRIMARY KEY,
    at              TEXT    NOT NULL,
    connection_id   INTEGER,
    connection_name TEXT    NOT NULL,
    subject         TEXT,
    outcome         TEXT    CHECK (outcome IN ('created', 'updated', 'unchanged', 'linked', 'denied', 'rejected')),
    reason          TEXT,
    message         TEXT,
    user_id         INTEGER,
    diff            TEXT    NOT NULL DEFAULT '[]',
    authenticated   INTEGER NOT NULL DEFAULT 1 CHECK (authenticated IN (0, 1)),
    kind            TEXT    NOT NULL DEFAULT 'login' CHECK (kind IN ('login', 'admin', 'scim')),
    actor           TEXT,
    action          TEXT,
    request         TEXT,   -- kind 'scim': the request, redacted ({method, path, query, body})
    CHECK ((kind = 'login' AND outcome IS NOT NULL AND actor IS NULL AND action IS NULL)
        OR (kind = 'admin' AND outcome IS NULL AND actor IS NOT NULL AND action IS NOT NULL)
        OR (kind = 'scim' AND outcome IS NULL AND actor = 'scim' AND action IS NOT NULL))
);
INSERT INTO audit_log_new (id, at, connection_id, connection_name, subject, outcome, reason, message, user_id, diff,
                           authenticated, kind, actor, action)
SELECT id, at, connection_id, connection_name, subject, outcome, reason, message, user_id, diff,
       authenticated, kind, actor, action
FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_connection ON audit_log(connection_name, at);
CREATE INDEX audit_log_unauthenticated ON audit_log(connection_name, at) WHERE authenticated = 0;
CREATE INDEX audit_log_action ON audit_log(kind, action);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
