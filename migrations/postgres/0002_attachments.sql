-- Attachments: large public data bound by hash in an entry (mixed lists, shuffle proofs,
-- decryption shares of a mixed list). Stored once, never rewritten.
CREATE TABLE attachments (
    sha256 BYTEA NOT NULL PRIMARY KEY CHECK (length(sha256) = 32),
    format TEXT  NOT NULL CHECK (length(format) BETWEEN 1 AND 64),
    bytes  BYTEA NOT NULL
);

CREATE TRIGGER attachments_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON attachments
    FOR EACH STATEMENT EXECUTE FUNCTION sawt_append_only();
