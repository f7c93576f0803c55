-- 0001: the connection catalog.
--
-- Applied by src/store/migrations.rs inside one transaction (no BEGIN/COMMIT here), with
-- foreign_keys OFF and a `PRAGMA foreign_key_check` before the commit, so a later migration
-- may rebuild a table without cascading deletes.
--
-- Times are RFC 3339 UTC text with nanoseconds ("2024-05-01T12:00:00.000000000Z"): fixed
-- width, so they sort as text. No column here may hold a secret: SP private keys live in the
-- OS secret store, never in this file (tests/integration/store.rs checks the column names).

CREATE TABLE connections (
    id                          INTEGER PRIMARY KEY,
    name                        TEXT    NOT NULL UNIQUE COLLATE NOCASE, -- names become URLs, files and keyring entries: "Okta" and "okta" are one
    idp_entity_id               TEXT    NOT NULL,
    want_authn_requests_signed  INTEGER NOT NULL CHECK (want_authn_requests_signed IN (0, 1)),
    valid_until                 TEXT,
    metadata_xml                TEXT    NOT NULL,
    metadata_source             TEXT    NOT NULL,
    metadata_imported_at        TEXT    NOT NULL,
    sp_entity_id                TEXT,
    sp_acs_url                  TEXT,
    -- base64 of the SP certificate's DER (public part only), or NULL
    sp_certificate              TEXT,
    -- SecurityPolicy as JSON; unknown/missing fields take their defaults when read
    policy                      TEXT    NOT NULL,
    created_at                  TEXT    NOT NULL,
    updated_at                  TEXT    NOT NULL
);

-- The IdP's signing certificates, in metadata order (a rollover set has several).
CREATE TABLE connection_certificates (
    connection_id       INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    position            INTEGER NOT NULL,
    der                 BLOB    NOT NULL,
    sha256_fingerprint  TEXT    NOT NULL,
    not_after           TEXT    NOT NULL,
    PRIMARY KEY (connection_id, position)
) WITHOUT ROWID;

-- SingleSignOnService / SingleLogoutService endpoints, in metadata order per kind.
CREATE TABLE connection_endpoints (
    connection_id  INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    kind           TEXT    NOT NULL CHECK (kind IN ('sso', 'slo')),
    position       INTEGER NOT NULL,
    binding        TEXT    NOT NULL,
    location       TEXT    NOT NULL,
    PRIMARY KEY (connection_id, kind, position)
) WITHOUT ROWID;

-- NameIDFormat values the IdP advertises, in metadata order.
CREATE TABLE connection_name_id_formats (
    connection_id  INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    format         TEXT    NOT NULL,
    PRIMARY KEY (connection_id, position)
) WITHOUT ROWID;
