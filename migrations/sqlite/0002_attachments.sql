-- Attachments: large public data bound by hash in an entry (mixed lists, shuffle proofs,
-- decryption shares of a mixed list). Stored once, never rewritten.
CREATE TABLE attachments (
    sha256 BLOB NOT NULL PRIMARY KEY CHECK (length(sha256) = 32),
    format TEXT NOT NULL CHECK (length(format) BETWEEN 1 AND 64),
    bytes  BLOB NOT NULL
) STRICT;

-- Refuses a second row for a hash (also stops INSERT OR REPLACE, which would delete the
-- first without firing a DELETE trigger).
CREATE TRIGGER attachments_once BEFORE INSERT ON attachments
WHEN EXISTS (SELECT 1 FROM attachments WHERE sha256 = NEW.sha256)
BEGIN
    SELECT RAISE(ABORT, 'sawt: an attachment is stored once');
END;
CREATE TRIGGER attachments_no_update BEFORE UPDATE ON attachments
BEGIN
    SELECT RAISE(ABORT, 'sawt: the board is append-only: UPDATE on attachments refused');
END;
CREATE TRIGGER attachments_no_delete BEFORE DELETE ON attachments
BEGIN
    SELECT RAISE(ABORT, 'sawt: the board is append-only: DELETE on attachments refused');
END;
