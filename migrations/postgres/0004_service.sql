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
    created_ms  BIGINT NOT NULL,
    updated_ms  BIGINT NOT NULL
);
CREATE INDEX suggestions_by_status ON suggestions (status, created_ms);

CREATE TABLE candidate_pages (
    candidate   TEXT NOT NULL,
    version     BIGINT NOT NULL,
    page        TEXT NOT NULL,
    published_ms BIGINT NOT NULL,
    PRIMARY KEY (candidate, version)
);

CREATE TABLE candidate_posts (
    id          BIGSERIAL PRIMARY KEY,
    candidate   TEXT NOT NULL,
    text_ar     TEXT NOT NULL,
    text_en     TEXT NOT NULL,
    published_ms BIGINT NOT NULL,
    hidden_by   TEXT
);
CREATE INDEX candidate_posts_by_candidate ON candidate_posts (candidate, id);

CREATE TABLE candidate_questions (
    id          BIGSERIAL PRIMARY KEY,
    candidate   TEXT NOT NULL,
    asker       BYTEA NOT NULL,
    question    TEXT NOT NULL,
    asked_ms    BIGINT NOT NULL,
    answer      TEXT,
    answered_ms BIGINT,
    hidden_by   TEXT
);
CREATE INDEX candidate_questions_by_candidate ON candidate_questions (candidate, id);

CREATE TABLE content_reports (
    id          BIGSERIAL PRIMARY KEY,
    target      TEXT NOT NULL CHECK (target IN ('post', 'question')),
    target_id   BIGINT NOT NULL,
    reason      TEXT NOT NULL,
    reported_ms BIGINT NOT NULL,
    decision    TEXT CHECK (decision IN ('hidden', 'kept')),
    decided_by  TEXT,
    decided_ms  BIGINT
);
CREATE INDEX content_reports_open ON content_reports (decision, id);
