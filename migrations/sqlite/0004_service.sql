-- The election service's own data: suggestions and reports from anyone, and the candidates'
-- pages (every published version kept), posts, questions and answers, content reports.

CREATE TABLE suggestions (
    tracking    TEXT NOT NULL PRIMARY KEY,
    category    TEXT NOT NULL CHECK (category IN ('suggestion', 'report')),
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('received', 'in-progress', 'answered', 'closed')),
    reply       TEXT,
    replied_by  TEXT,
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL
) STRICT;
CREATE INDEX suggestions_by_status ON suggestions (status, created_ms);

CREATE TABLE candidate_pages (
    candidate   TEXT NOT NULL,
    version     INTEGER NOT NULL,
    page        TEXT NOT NULL,
    published_ms INTEGER NOT NULL,
    PRIMARY KEY (candidate, version)
) STRICT;

CREATE TABLE candidate_posts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    candidate   TEXT NOT NULL,
    text_ar     TEXT NOT NULL,
    text_en     TEXT NOT NULL,
    published_ms INTEGER NOT NULL,
    hidden_by   TEXT
) STRICT;
CREATE INDEX candidate_posts_by_candidate ON candidate_posts (candidate, id);

CREATE TABLE candidate_questions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    candidate   TEXT NOT NULL,
    asker       BLOB NOT NULL,
    question    TEXT NOT NULL,
    asked_ms    INTEGER NOT NULL,
    answer      TEXT,
    answered_ms INTEGER,
    hidden_by   TEXT
) STRICT;
CREATE INDEX candidate_questions_by_candidate ON candidate_questions (candidate, id);

CREATE TABLE content_reports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    target      TEXT NOT NULL CHECK (target IN ('post', 'question')),
    target_id   INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    reported_ms INTEGER NOT NULL,
    decision    TEXT CHECK (decision IN ('hidden', 'kept')),
    decided_by  TEXT,
    decided_ms  INTEGER
) STRICT;
CREATE INDEX content_reports_open ON content_reports (decision, id);
