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
    security_military BIGINT NOT NULL CHECK (security_military IN (0, 1)),
    abroad            BIGINT NOT NULL CHECK (abroad IN (0, 1)),
    updated_ms        BIGINT NOT NULL
);

-- One row per imported file (by SHA-256): how far it got, so an interrupted import resumes.
CREATE TABLE roll_imports (
    file_sha256 BYTEA NOT NULL PRIMARY KEY CHECK (octet_length(file_sha256) = 32),
    rows_done   BIGINT NOT NULL,
    imported    BIGINT NOT NULL,
    refused     BIGINT NOT NULL,
    unregistered BIGINT NOT NULL,
    finished    BIGINT NOT NULL CHECK (finished IN (0, 1)),
    started_ms  BIGINT NOT NULL,
    updated_ms  BIGINT NOT NULL
);

-- Every row an import refused (or imported without its carried-over registration), and why.
CREATE TABLE roll_refusals (
    file_sha256 BYTEA NOT NULL,
    line        BIGINT NOT NULL,
    field       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    PRIMARY KEY (file_sha256, line, field)
);

CREATE TABLE registrations (
    civil_number TEXT NOT NULL PRIMARY KEY REFERENCES roll_people (civil_number),
    wilayat      TEXT NOT NULL,
    since_ms     BIGINT NOT NULL
);
CREATE INDEX registrations_by_wilayat ON registrations (wilayat);

-- The trail: every decision of the registry, by whom.
CREATE TABLE registry_decisions (
    id         BIGSERIAL PRIMARY KEY,
    at_ms      BIGINT NOT NULL,
    actor_role TEXT NOT NULL,
    actor_id   TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE INDEX registry_decisions_by_subject ON registry_decisions (subject);

CREATE TABLE objections (
    id            BIGSERIAL PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('inclusion', 'omission')),
    subject       TEXT NOT NULL REFERENCES roll_people (civil_number),
    wilayat       TEXT NOT NULL,
    grounds       TEXT NOT NULL,
    filed_by      TEXT NOT NULL,
    filed_ms      BIGINT NOT NULL,
    ruling        TEXT CHECK (ruling IN ('upheld', 'dismissed')),
    reason        TEXT,
    decided_role  TEXT,
    decided_by    TEXT,
    decided_ms    BIGINT
);

-- The lists' state: frozen once, then final.
CREATE TABLE list_state (
    id        BIGINT NOT NULL PRIMARY KEY CHECK (id = 1),
    frozen_ms BIGINT NOT NULL,
    frozen_by TEXT NOT NULL
);

CREATE TABLE final_lists (
    wilayat     TEXT NOT NULL PRIMARY KEY,
    registered  BIGINT NOT NULL,
    root        BYTEA NOT NULL CHECK (octet_length(root) = 32),
    entry       BYTEA NOT NULL,
    entry_index BIGINT
);

CREATE TABLE list_members (
    civil_number TEXT NOT NULL PRIMARY KEY REFERENCES roll_people (civil_number),
    wilayat      TEXT NOT NULL,
    salt         BYTEA NOT NULL CHECK (octet_length(salt) = 32),
    leaf         BYTEA NOT NULL CHECK (octet_length(leaf) = 32)
);
CREATE INDEX list_members_by_wilayat ON list_members (wilayat, leaf);

CREATE TABLE candidacies (
    id             BIGSERIAL PRIMARY KEY,
    civil_number   TEXT NOT NULL UNIQUE REFERENCES roll_people (civil_number),
    contest        TEXT NOT NULL,
    ballot_name_ar TEXT NOT NULL,
    ballot_name_en TEXT NOT NULL,
    declarations   TEXT NOT NULL,
    status         TEXT NOT NULL,
    filed_ms       BIGINT NOT NULL,
    updated_ms     BIGINT NOT NULL
);

-- Voting credentials. A row is 'pending' from the moment its entries are signed until they
-- are on the board; then 'active', later perhaps 'revoked'. At most one pending and one
-- active credential per citizen.
CREATE TABLE credentials (
    credential    BYTEA NOT NULL PRIMARY KEY CHECK (octet_length(credential) = 32),
    civil_number  TEXT NOT NULL REFERENCES roll_people (civil_number),
    wilayat       TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('pending', 'active', 'revoked')),
    replaces      BYTEA,
    enrol_entry   BYTEA NOT NULL,
    revoke_entry  BYTEA,
    entry_index   BIGINT,
    enrolled_ms   BIGINT NOT NULL,
    revoked_ms    BIGINT
);
CREATE UNIQUE INDEX one_active_credential ON credentials (civil_number) WHERE state = 'active';
CREATE UNIQUE INDEX one_pending_credential ON credentials (civil_number) WHERE state = 'pending';
CREATE INDEX credentials_by_state ON credentials (state);

-- Every identity assertion's nonce, accepted once.
CREATE TABLE assertion_nonces (
    nonce   BYTEA NOT NULL PRIMARY KEY CHECK (octet_length(nonce) = 32),
    used_ms BIGINT NOT NULL
);

-- The decision trail is append-only.
CREATE TRIGGER registry_decisions_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON registry_decisions
    FOR EACH STATEMENT EXECUTE FUNCTION sawt_append_only();
