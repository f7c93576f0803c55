-- 0005: identity hardening (issue #11).
--
-- * users: `email` keeps the address as mapped (what is shown); `email_canonical` is its canonical
--   matching form (src/identity/email.rs: IDNA domain, ASCII-only case folding), owned
--   (held verified) by at most one account, and the only thing accounts are found and linked by; `email_skeleton` is its UTS #39 skeleton,
--   for refusing look-alike addresses; `email_verified` says the address came from a source
--   trusted for its domain (an admin, or a connection listing the domain as verified), which
--   linking requires; `email_source` names that source.
--   The SQL functions handshake_email_key/handshake_email_skeleton/handshake_domain_key are
--   registered by the store (src/store.rs) before migrations run.
-- * user_identities: `subject_fold` (src/identity: lower case + skeleton) to find a subject that
--   differs from an existing one only by letter case or look-alike characters.
-- * consumed_ids: the catalog-wide replay cache, keyed by the issuer (IdP entityID) and the
--   consumed ID, shared by every connection and protocol; pruned after `expires_at`.
-- * test_logins.response_xml_bytes: the decoded response's full size when only a part of it
--   was kept (NULL when kept whole or not kept); `authenticated` on test logins and audit rows.

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
    source          TEXT    NOT NULL CHECK (source IN ('jit', 'manual')),
    first_login     TEXT,
    last_login      TEXT,
    login_count     INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL
);

INSERT INTO users_new (id, connection_id, email, email_canonical, email_skeleton, email_verified, email_source,
                       username, given_name, family_name, display_name, groups, roles, custom, status, source,
                       first_login, last_login, login_count, created_at, updated_at)
SELECT u.id, u.connection_id, u.email,
       handshake_email_key(u.email),
       handshake_email_skeleton(u.email),
       CASE
           WHEN handshake_email_key(u.email) IS NULL THEN 0
           WHEN u.source = 'manual' THEN 1
           WHEN EXISTS (
               SELECT 1 FROM connection_mappings m,
                             json_each(m.document, '$.provisioning.verified_domains') d
               WHERE m.connection_id = u.connection_id
                 AND handshake_domain_key(d.value) =
                     substr(handshake_email_key(u.email), instr(handshake_email_key(u.email), '@') + 1)
           ) THEN 1
           ELSE 0
       END,
       CASE WHEN u.source = 'manual' THEN 'admin' ELSE c.name END,
       u.username, u.given_name, u.family_name, u.display_name, u.groups, u.roles, u.custom, u.status, u.source,
       u.first_login, u.last_login, u.login_count, u.created_at, u.updated_at
FROM users u LEFT JOIN connections c ON c.id = u.connection_id;

-- Two old accounts can hold one address under the new rule (the old one folded less, e.g.
-- `ivy@exämple.com` and `ivy@xn--exmple-cua.com`): only the first may own it verified.
UPDATE users_new SET email_verified = 0
WHERE email_verified = 1
  AND id NOT IN (SELECT min(id) FROM users_new WHERE email_verified = 1 GROUP BY email_canonical);

DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
-- An address is owned (held verified) by at most one account; unverified holders may share
-- it, so that an account planted through an unverified connection never keeps the verified
-- owner out.
CREATE UNIQUE INDEX users_email_owner ON users(email_canonical) WHERE email_verified = 1;
CREATE INDEX users_email_canonical ON users(email_canonical);
CREATE INDEX users_email_skeleton ON users(email_skeleton);

-- Policies stored before the skew was bounded (10 minutes; see src/connection.rs).
UPDATE connections SET policy = json_set(policy, '$.clock_skew_seconds', 600)
WHERE json_extract(policy, '$.clock_skew_seconds') > 600;

ALTER TABLE user_identities ADD COLUMN subject_fold TEXT;
UPDATE user_identities SET subject_fold = handshake_subject_fold(subject);
CREATE INDEX user_identities_fold ON user_identities(connection_id, subject_fold);
CREATE INDEX user_identities_case ON user_identities(connection_id, lower(subject));

CREATE TABLE consumed_ids (
    issuer      TEXT NOT NULL,   -- the IdP entityID (SAML) or issuer (OIDC) that issued the ID
    kind        TEXT NOT NULL,   -- what was consumed: 'saml_assertion'
    id          TEXT NOT NULL,
    consumed_at TEXT NOT NULL,
    expires_at  TEXT NOT NULL,   -- no longer acceptable anywhere after this instant: prunable
    PRIMARY KEY (issuer, kind, id)
) WITHOUT ROWID;
CREATE INDEX consumed_ids_expiry ON consumed_ids(expires_at);

-- The old per-connection cache: kept for a day (its rows carry no NotOnOrAfter).
INSERT OR IGNORE INTO consumed_ids (issuer, kind, id, consumed_at, expires_at)
SELECT c.idp_entity_id, 'saml_assertion', a.assertion_id, a.used_at,
       strftime('%Y-%m-%dT%H:%M:%S.000000000Z', a.used_at, '+1 day')
FROM used_assertions a JOIN connections c ON c.id = a.connection_id;
DROP TABLE used_assertions;

ALTER TABLE test_logins ADD COLUMN response_xml_bytes INTEGER;
-- 0 when no IdP signature verified (anyone could have posted it): only the newest such
-- records are kept, and their audit rows are written at most once a minute per connection.
ALTER TABLE test_logins ADD COLUMN authenticated INTEGER NOT NULL DEFAULT 1 CHECK (authenticated IN (0, 1));
ALTER TABLE audit_log ADD COLUMN authenticated INTEGER NOT NULL DEFAULT 1 CHECK (authenticated IN (0, 1));
CREATE INDEX audit_log_unauthenticated ON audit_log(connection_name, at) WHERE authenticated = 0;
