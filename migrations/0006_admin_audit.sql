-- 0006: admin actions in the audit log, and test logins that are demo runs (issue #13).
--
-- * audit_log: `kind` is 'login' (a login attempt, as before) or 'admin' (an admin's change:
--   import, re-import, mapping, policy, SP URLs or key, user status or deletion, demo reset);
--   an admin row names its `actor` (the OS user who ran Handshake, 'unknown' when it cannot
--   be told) and its `action`, has no `outcome`, and keeps its structured diff in `diff`
--   (never a secret). Rebuilt, because the outcome's CHECK changes; still append-only.
-- * test_logins.purpose: 'test' for a login an admin started (the connection's health comes
--   from these only), 'demo_run' for a scenario-library or story run of the demo IdP.

CREATE TABLE audit_log_new (
    id              INTEGER PRIMARY KEY,
    at              TEXT    NOT NULL,
    connection_id   INTEGER,
    connection_name TEXT    NOT NULL,   -- '' for an admin action on no connection
    subject         TEXT,
    outcome         TEXT    CHECK (outcome IN ('created', 'updated', 'unchanged', 'linked', 'denied', 'rejected')),
    reason          TEXT,
    message         TEXT,
    user_id         INTEGER,
    diff            TEXT    NOT NULL DEFAULT '[]',
    authenticated   INTEGER NOT NULL DEFAULT 1 CHECK (authenticated IN (0, 1)),
    kind            TEXT    NOT NULL DEFAULT 'login' CHECK (kind IN ('login', 'admin')),
    actor           TEXT,
    action          TEXT,
    CHECK ((kind = 'login' AND outcome IS NOT NULL AND actor IS NULL AND action IS NULL)
        OR (kind = 'admin' AND outcome IS NULL AND actor IS NOT NULL AND action IS NOT NULL))
);

INSERT INTO audit_log_new (id, at, connection_id, connection_name, subject, outcome, reason, message, user_id, diff,
                           authenticated, kind)
SELECT id, at, connection_id, connection_name, subject, outcome, reason, message, user_id, diff, authenticated, 'login'
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

ALTER TABLE test_logins ADD COLUMN purpose TEXT NOT NULL DEFAULT 'test' CHECK (purpose IN ('test', 'demo_run'));
CREATE INDEX test_logins_health ON test_logins(connection_name, purpose, id);
