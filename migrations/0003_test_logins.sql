-- 0003: the embedded SP: outstanding AuthnRequests and the record of every test login.

-- SP-initiated logins waiting for their Response. An entry answers once and expires.
CREATE TABLE authn_requests (
    id              TEXT    PRIMARY KEY,      -- the AuthnRequest ID (>= 128 random bits)
    connection_id   INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    return_to       TEXT,                     -- a path inside Handshake, never a URL elsewhere
    created_at      TEXT    NOT NULL,
    expires_at      TEXT    NOT NULL,
    used_at         TEXT
);
CREATE INDEX authn_requests_expiry ON authn_requests(expires_at);

-- Every response that reached the ACS, accepted or not, with the decoded XML for inspection.
CREATE TABLE test_logins (
    id              INTEGER PRIMARY KEY,
    at              TEXT    NOT NULL,
    connection_id   INTEGER REFERENCES connections(id) ON DELETE SET NULL,
    connection_name TEXT    NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('sp_initiated', 'idp_initiated', 'unknown_request')),
    request_id      TEXT,
    outcome         TEXT    NOT NULL,
    failed_check    TEXT,
    user_id         INTEGER,
    response_xml    TEXT,
    report          TEXT    NOT NULL          -- the provisioning report as JSON
);
CREATE INDEX test_logins_connection ON test_logins(connection_name, id);
