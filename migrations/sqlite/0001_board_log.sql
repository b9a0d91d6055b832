-- The bulletin board's log (SQLite). Same semantics as ../postgres/0001_board_log.sql.
--
-- entries       the log itself: entry `idx` is leaf `idx` of the RFC 9162 tree, its leaf hash
--               is SHA-256(0x00 || body), and a body is on the board at most once.
-- nodes         the hash of every complete subtree (level, idx): leaves [idx·2^level,
--               (idx + 1)·2^level). Written in the same transaction as the entries completing them.
-- heads         tree heads signed by the board operator.
-- cosignatures  witnesses' cosignatures on those heads.
--
-- Append-only, enforced here and not only by the application: every UPDATE and DELETE is
-- aborted, and an INSERT that would overwrite a row (INSERT OR REPLACE deletes the row it
-- conflicts with without firing DELETE triggers) or leave a gap in the log is aborted too.

CREATE TABLE entries (
    idx       INTEGER PRIMARY KEY CHECK (idx >= 0),
    leaf_hash BLOB    NOT NULL CHECK (length(leaf_hash) = 32),
    body_hash BLOB    NOT NULL UNIQUE CHECK (length(body_hash) = 32),
    kind      TEXT    NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
    author    BLOB    NOT NULL CHECK (length(author) = 32),
    body      BLOB    NOT NULL
) STRICT;

CREATE TABLE nodes (
    level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 63),
    idx   INTEGER NOT NULL CHECK (idx >= 0),
    hash  BLOB    NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
) STRICT, WITHOUT ROWID;

CREATE TABLE heads (
    size         INTEGER PRIMARY KEY CHECK (size >= 0),
    election     BLOB    NOT NULL CHECK (length(election) = 32),
    root         BLOB    NOT NULL CHECK (length(root) = 32),
    timestamp_ms INTEGER NOT NULL CHECK (timestamp_ms >= 0),
    signature    BLOB    NOT NULL CHECK (length(signature) = 64)
) STRICT;

CREATE TABLE cosignatures (
    size        INTEGER NOT NULL REFERENCES heads (size),
    witness     BLOB    NOT NULL CHECK (length(witness) = 32),
    cosigned_ms INTEGER NOT NULL CHECK (cosigned_ms >= 0),
    signature   BLOB    NOT NULL CHECK (length(signature) = 64),
    PRIMARY KEY (size, witness)
) STRICT, WITHOUT ROWID;

-- entries: appended at the end, without gaps, never rewritten.
CREATE TRIGGER entries_append_at_end BEFORE INSERT ON entries
WHEN NEW.idx <> (SELECT COALESCE(MAX(idx), -1) + 1 FROM entries)
    OR EXISTS (SELECT 1 FROM entries WHERE body_hash = NEW.body_hash)
BEGIN
    SELECT RAISE(ABORT, 'sawt: entries are appended at the end of the log, each body once');
END;
CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
BEGIN
    SELECT RAISE(ABORT, 'sawt: the board is append-only: UPDATE on entries refused');
END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
BEGIN
    SELECT RAISE(ABORT, 'sawt: the board is append-only: DELETE on entries refused');
END;

-- nodes
CREATE TRIGGER nodes_no_overwrite BEFORE INSERT ON nodes
WHEN EXISTS (SELECT 1 FROM nodes WHERE level = NEW.level AND idx = NEW.idx)
BEGIN
    SELECT RAISE(ABORT, 'sawt: the board is append-only: a node cannot be overwritten');
END;
CREATE TRIGGER nodes_no_update BEFORE UPDATE ON nodes
BEGIN
    SELECT RAISE(ABORT, 'sawt: the board is append-only: UPDATE on nodes refused');
END;
CREATE TRIGGER nodes_no_delete BEFORE DELETE ON nodes
BEGIN
    SELECT RAISE(ABORT, 'sawt: the board is append-only: DELETE on nodes refused');
END;

-- heads: never beyond the log, never overwritten.
CREATE TRIGGER heads_no_overwrite BEFORE INSERT ON heads
WHEN EXISTS (SELECT 1 FROM heads WHERE size = NEW.size)
    OR NEW.size > (SELECT COALESCE(MAX(idx), -1) + 1 FROM entries)
BEGIN
    SELECT RAISE(ABORT, 'sawt: a head is stored once, for a size within the log');
END;
CREATE TRIGGER heads_no_update BEFORE UPDATE ON heads
BEGIN
    SELECT RAISE(ABORT, 'sawt: the board is append-only: UPDATE on heads refused');
END;
CREATE TRIGGER heads_no_delete BEFORE DELETE ON heads
BEGIN
    SELECT RAISE(ABORT, 'sawt: the board is append-only: DELETE on heads refused');
END;

-- cosignatures: public evidence, kept too.
CREATE TRIGGER cosignatures_no_overwrite BEFORE INSERT ON cosignatures
WHEN EXISTS (SELECT 1 FROM cosignatures WHERE size = NEW.size AND witness = NEW.witness)
BEGIN
    SELECT RAISE(ABORT, 'sawt: the board is append-only: a cosignature cannot be overwritten');
END;
CREATE TRIGGER cosignatures_no_update BEFORE UPDATE ON cosignatures
BEGIN
    SELECT RAISE(ABORT, 'sawt: the board is append-only: UPDATE on cosignatures refused');
END;
CREATE TRIGGER cosignatures_no_delete BEFORE DELETE ON cosignatures
BEGIN
    SELECT RAISE(ABORT, 'sawt: the board is append-only: DELETE on cosignatures refused');
END;
