-- The bulletin board's log (PostgreSQL). Same semantics as ../sqlite/0001_board_log.sql.
--
-- entries       the log itself: entry `idx` is leaf `idx` of the RFC 9162 tree, its leaf hash
--               is SHA-256(0x00 || body), and a body is on the board at most once.
-- nodes         the hash of every complete subtree (level, idx): leaves [idx·2^level,
--               (idx + 1)·2^level). Written in the same transaction as the entries completing them.
-- heads         tree heads signed by the board operator.
-- cosignatures  witnesses' cosignatures on those heads.
--
-- Append-only, enforced here and not only by the application: every UPDATE, DELETE and
-- TRUNCATE is aborted (INSERT ... ON CONFLICT DO UPDATE fires the UPDATE trigger), and an
-- INSERT that would leave a gap in the log or put a head beyond it is aborted too. Only the
-- owner of the database can drop these triggers; the Merkle log and its witnesses are what
-- make such a rewrite detectable.

CREATE TABLE entries (
    idx       BIGINT PRIMARY KEY CHECK (idx >= 0),
    leaf_hash BYTEA  NOT NULL CHECK (length(leaf_hash) = 32),
    body_hash BYTEA  NOT NULL UNIQUE CHECK (length(body_hash) = 32),
    kind      TEXT   NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
    author    BYTEA  NOT NULL CHECK (length(author) = 32),
    body      BYTEA  NOT NULL
);

CREATE TABLE nodes (
    level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 63),
    idx   BIGINT  NOT NULL CHECK (idx >= 0),
    hash  BYTEA   NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
);

CREATE TABLE heads (
    size         BIGINT PRIMARY KEY CHECK (size >= 0),
    election     BYTEA  NOT NULL CHECK (length(election) = 32),
    root         BYTEA  NOT NULL CHECK (length(root) = 32),
    timestamp_ms BIGINT NOT NULL CHECK (timestamp_ms >= 0),
    signature    BYTEA  NOT NULL CHECK (length(signature) = 64)
);

CREATE TABLE cosignatures (
    size        BIGINT NOT NULL REFERENCES heads (size),
    witness     BYTEA  NOT NULL CHECK (length(witness) = 32),
    cosigned_ms BIGINT NOT NULL CHECK (cosigned_ms >= 0),
    signature   BYTEA  NOT NULL CHECK (length(signature) = 64),
    PRIMARY KEY (size, witness)
);

CREATE FUNCTION sawt_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'sawt: the board is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;

-- Once per INSERT statement: the rows added continue the log without a gap. By induction the
-- log is always entries 0 .. n-1; a concurrent uncommitted append is invisible here, so two
-- writers racing for the same indices cannot both pass.
CREATE FUNCTION sawt_entries_at_end() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    lo BIGINT;
    hi BIGINT;
    n BIGINT;
    prev BIGINT;
BEGIN
    SELECT MIN(idx), MAX(idx), COUNT(*) INTO lo, hi, n FROM added;
    IF n = 0 THEN
        RETURN NULL;
    END IF;
    SELECT COALESCE(MAX(idx), -1) INTO prev FROM entries WHERE idx < lo;
    IF hi - lo + 1 <> n OR prev <> lo - 1 THEN
        RAISE EXCEPTION 'sawt: entries are appended at the end of the log, without gaps'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION sawt_head_within_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.size > (SELECT COALESCE(MAX(idx), -1) + 1 FROM entries) THEN
        RAISE EXCEPTION 'sawt: a head cannot be beyond the log'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER entries_at_end AFTER INSERT ON entries
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION sawt_entries_at_end();
CREATE TRIGGER heads_within_log BEFORE INSERT ON heads
    FOR EACH ROW EXECUTE FUNCTION sawt_head_within_log();

CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON entries
    FOR EACH STATEMENT EXECUTE FUNCTION sawt_append_only();
CREATE TRIGGER nodes_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON nodes
    FOR EACH STATEMENT EXECUTE FUNCTION sawt_append_only();
CREATE TRIGGER heads_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON heads
    FOR EACH STATEMENT EXECUTE FUNCTION sawt_append_only();
CREATE TRIGGER cosignatures_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON cosignatures
    FOR EACH STATEMENT EXECUTE FUNCTION sawt_append_only();
