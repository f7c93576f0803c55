-- 0004: the built-in demo IdP: its identity (the certificate; the private key lives only in
-- the secret store under `demo-idp-key`), its settings, and its directory of personas.

-- One row: the demo IdP of this catalog.
CREATE TABLE demo_idp (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    certificate     TEXT    NOT NULL,         -- base64 DER of the signing certificate (public)
    style           TEXT    NOT NULL CHECK (style IN ('entra', 'okta', 'google', 'generic')),
    sign            TEXT    NOT NULL CHECK (sign IN ('response', 'assertion', 'both')),
    encrypt         INTEGER NOT NULL DEFAULT 0 CHECK (encrypt IN (0, 1)),
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL
);

-- The people the demo IdP can sign in. `id` is the immutable object ID (Entra's
-- objectidentifier, the persistent NameID); the email may change.
CREATE TABLE demo_personas (
    id              TEXT    PRIMARY KEY,
    email           TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    given_name      TEXT    NOT NULL,
    family_name     TEXT    NOT NULL,
    display_name    TEXT    NOT NULL,
    department      TEXT    NOT NULL,
    title           TEXT    NOT NULL,
    groups          TEXT    NOT NULL DEFAULT '[]',   -- JSON array of group names
    extra           TEXT    NOT NULL DEFAULT '[]',   -- JSON array of {name, values}
    label           TEXT    NOT NULL DEFAULT '',     -- who this is in the demo story ("New hire")
    active          INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    position        INTEGER NOT NULL,
    updated_at      TEXT    NOT NULL
);
