-- The registry: the electoral roll (personal data: never on the board, never in logs),
-- registrations, objections, final lists and their commitments, candidacies, credentials,
-- and the trail of every decision with who made it.

CREATE TABLE roll_people (
    civil_number      TEXT NOT NULL PRIMARY KEY,
    name_ar           TEXT NOT NULL,
    name_en           TEXT NOT NULL,
    date_of_birth     TEXT NOT NULL,
    gender            TEXT NOT NULL CHECK (gender IN ('M', 'F')),
    nationality       TEXT NOT NULL,
    id_card_number    TEXT NOT NULL,
    id_card_expiry    TEXT NOT NULL,
    permanent_wilayat TEXT NOT NULL,
    current_wilayat   TEXT NOT NULL,
    security_military INTEGER NOT NULL CHECK (security_military IN (0, 1)),
    abroad            INTEGER NOT NULL CHECK (abroad IN (0, 1)),
    updated_ms        INTEGER NOT NULL
) STRICT;

-- One row per imported file (by SHA-256): how far it got, so an interrupted import resumes.
CREATE TABLE roll_imports (
    file_sha256 BLOB NOT NULL PRIMARY KEY CHECK (length(file_sha256) = 32),
    rows_done   INTEGER NOT NULL,
    imported    INTEGER NOT NULL,
    refused     INTEGER NOT NULL,
    unregistered INTEGER NOT NULL,
    finished    INTEGER NOT NULL CHECK (finished IN (0, 1)),
    started_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL
) STRICT;

-- Every row an import refused (or imported without its carried-over registration), and why.
CREATE TABLE roll_refusals (
    file_sha256 BLOB NOT NULL,
    line        INTEGER NOT NULL,
    field       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    PRIMARY KEY (file_sha256, line, field)
) STRICT;

CREATE TABLE registrations (
    civil_number TEXT NOT NULL PRIMARY KEY REFERENCES roll_people (civil_number),
    wilayat      TEXT NOT NULL,
    since_ms     INTEGER NOT NULL
) STRICT;
CREATE INDEX registrations_by_wilayat ON registrations (wilayat);

-- The trail: every decision of the registry, by whom.
CREATE TABLE registry_decisions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms      INTEGER NOT NULL,
    actor_role TEXT NOT NULL,
    actor_id   TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    detail     TEXT NOT NULL
) STRICT;
CREATE INDEX registry_decisions_by_subject ON registry_decisions (subject);

CREATE TABLE objections (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT NOT NULL CHECK (kind IN ('inclusion', 'omission')),
    subject       TEXT NOT NULL REFERENCES roll_people (civil_number),
    wilayat       TEXT NOT NULL,
    grounds       TEXT NOT NULL,
    filed_by      TEXT NOT NULL,
    filed_ms      INTEGER NOT NULL,
    ruling        TEXT CHECK (ruling IN ('upheld', 'dismissed')),
    reason        TEXT,
    decided_role  TEXT,
    decided_by    TEXT,
    decided_ms    INTEGER
) STRICT;

-- The lists' state: frozen once, then final.
CREATE TABLE list_state (
    id        INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    frozen_ms INTEGER NOT NULL,
    frozen_by TEXT NOT NULL
) STRICT;

CREATE TABLE final_lists (
    wilayat     TEXT NOT NULL PRIMARY KEY,
    registered  INTEGER NOT NULL,
    root        BLOB NOT NULL CHECK (length(root) = 32),
    entry       BLOB NOT NULL,
    entry_index INTEGER
) STRICT;

CREATE TABLE list_members (
    civil_number TEXT NOT NULL PRIMARY KEY REFERENCES roll_people (civil_number),
    wilayat      TEXT NOT NULL,
    salt         BLOB NOT NULL CHECK (length(salt) = 32),
    leaf         BLOB NOT NULL CHECK (length(leaf) = 32)
) STRICT;
CREATE INDEX list_members_by_wilayat ON list_members (wilayat, leaf);

CREATE TABLE candidacies (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    civil_number   TEXT NOT NULL UNIQUE REFERENCES roll_people (civil_number),
    contest        TEXT NOT NULL,
    ballot_name_ar TEXT NOT NULL,
    ballot_name_en TEXT NOT NULL,
    declarations   TEXT NOT NULL,
    status         TEXT NOT NULL,
    filed_ms       INTEGER NOT NULL,
    updated_ms     INTEGER NOT NULL
) STRICT;

-- Voting credentials. A row is 'pending' from the moment its entries are signed until they
-- are on the board; then 'active', later perhaps 'revoked'. At most one pending and one
-- active credential per citizen.
CREATE TABLE credentials (
    credential    BLOB NOT NULL PRIMARY KEY CHECK (length(credential) = 32),
    civil_number  TEXT NOT NULL REFERENCES roll_people (civil_number),
    wilayat       TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('pending', 'active', 'revoked')),
    replaces      BLOB,
    enrol_entry   BLOB NOT NULL,
    revoke_entry  BLOB,
    entry_index   INTEGER,
    enrolled_ms   INTEGER NOT NULL,
    revoked_ms    INTEGER
) STRICT;
CREATE UNIQUE INDEX one_active_credential ON credentials (civil_number) WHERE state = 'active';
CREATE UNIQUE INDEX one_pending_credential ON credentials (civil_number) WHERE state = 'pending';
CREATE INDEX credentials_by_state ON credentials (state);

-- Every identity assertion's nonce, accepted once.
CREATE TABLE assertion_nonces (
    nonce   BLOB NOT NULL PRIMARY KEY CHECK (length(nonce) = 32),
    used_ms INTEGER NOT NULL
) STRICT;

-- The decision trail is append-only.
CREATE TRIGGER registry_decisions_no_update BEFORE UPDATE ON registry_decisions
BEGIN
    SELECT RAISE(ABORT, 'sawt: the registry''s decision trail is append-only: UPDATE refused');
END;
CREATE TRIGGER registry_decisions_no_delete BEFORE DELETE ON registry_decisions
BEGIN
    SELECT RAISE(ABORT, 'sawt: the registry''s decision trail is append-only: DELETE refused');
END;
