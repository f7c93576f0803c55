-- 0007: OpenID Connect connections (issue #14).
--
-- * connections.protocol: 'saml' or 'oidc'. An OIDC connection keeps its issuer in
--   idp_entity_id (so the pipeline, the audit log and the replay cache read one field for
--   both protocols), no certificates or SSO endpoints, metadata_xml '' and metadata_source
--   the discovery URL or 'manual'.
-- * connection_oidc: the OIDC side of a connection. The client secret is not here: it lives
--   only in the secret store (`oidc-client-secret/<name>`). jwks_json holds public keys only
--   (the parser refuses private members: d, p, q, dp, dq, qi, k).
-- * oidc_requests: the authorization requests the RP sent, like authn_requests. The PKCE
--   verifier is not stored: it is derived from the state with an HMAC key kept in the secret
--   store (`oidc-state-hmac`). The nonce is not a secret.
-- * test_logins.document_format: what response_xml holds, the SAML XML or the OIDC JSON
--   (decoded header and claims, never the compact token).
-- Replay kinds (consumed_ids.kind, free text since 0005): saml_assertion, oidc_nonce, oidc_code.

ALTER TABLE connections ADD COLUMN protocol TEXT NOT NULL DEFAULT 'saml' CHECK (protocol IN ('saml', 'oidc'));

CREATE TABLE connection_oidc (
    connection_id          INTEGER PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE,
    issuer                 TEXT    NOT NULL,
    discovery_url          TEXT,
    discovery_json         TEXT,
    discovered_at          TEXT,
    authorization_endpoint TEXT    NOT NULL,
    token_endpoint         TEXT    NOT NULL,
    userinfo_endpoint      TEXT,
    jwks_uri               TEXT    NOT NULL,
    jwks_json              TEXT,            -- public keys only
    jwks_fetched_at        TEXT,
    client_id              TEXT    NOT NULL,
    client_auth            TEXT    NOT NULL CHECK (client_auth IN
                               ('client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none')),
    scopes                 TEXT    NOT NULL,   -- JSON array
    allowed_algs           TEXT    NOT NULL,   -- JSON array, never containing "none"
    trusted_audiences      TEXT    NOT NULL DEFAULT '[]',
    call_userinfo          INTEGER NOT NULL DEFAULT 1 CHECK (call_userinfo IN (0, 1)),
    redirect_host          TEXT    NOT NULL DEFAULT 'loopback' CHECK (redirect_host IN ('loopback', 'localhost'))
) WITHOUT ROWID;

CREATE TABLE oidc_requests (
    state          TEXT    PRIMARY KEY,      -- >= 128 random bits, base64url
    connection_id  INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    nonce          TEXT    NOT NULL,
    redirect_uri   TEXT    NOT NULL,
    return_to      TEXT,                     -- a path inside Handshake, never a URL elsewhere
    created_at     TEXT    NOT NULL,
    expires_at     TEXT    NOT NULL,
    used_at        TEXT
);
CREATE INDEX oidc_requests_expiry ON oidc_requests(expires_at);
CREATE INDEX oidc_requests_connection ON oidc_requests(connection_id, created_at);

ALTER TABLE test_logins ADD COLUMN document_format TEXT NOT NULL DEFAULT 'saml_xml'
    CHECK (document_format IN ('saml_xml', 'oidc_json'));
