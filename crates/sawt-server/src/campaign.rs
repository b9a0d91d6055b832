//! Candidates' "My Page": a profile, posts, and questions from voters of the candidate's
//! wilayat with the candidate's answers; reports of abusive content and a moderation queue.
//!
//! A candidate acts through their voter session: the credential's holder must have an
//! accepted application. Everything is editable only inside the **campaign window** (the
//! manifest's, as extended on the board); the silence period that follows it, and voting,
//! freeze every page. The profile holds only what the law allows — name, photo (an image's
//! SHA-256, the image being an attachment), the wilayat, CV and qualifications, and a
//! programme, each in Arabic and English — and every published version is kept.
//!
//! | method and path | who | what |
//! |---|---|---|
//! | `PUT /v1/candidate/page` | the candidate | a new version of their page |
//! | `POST /v1/candidate/posts` | the candidate | `{"text_ar", "text_en"}` |
//! | `POST /v1/candidate/questions/{id}/answer` | the candidate | `{"answer"}` |
//! | `POST /v1/candidates/{id}/questions` | a voter of the same wilayat | `{"question"}` |
//! | `GET /v1/candidates/{id}/page`, `…/page/versions`, `…/posts`, `…/questions` | anyone | what is published (hidden content left out) |
//! | `POST /v1/reports` | anyone | `{"target": "post"\|"question", "id", "reason"}` |
//!
//! Officials decide reports through `/v1/official/reports` ([`crate::official`]).

use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use sawt_election::keys::Hex32;
use serde::{Deserialize, Serialize};

use crate::StoreError;
use crate::db::{Db, on_pool, to_i64};
use crate::problem::Problem;
use crate::registry::Registry;
use crate::registry_api::Created;
use crate::service::Board;
use crate::voter::{Voter, VoterApi};

/// The longest text of a page field, a post, a question or an answer, in characters.
pub const MAX_TEXT: usize = 5000;

/// A text in Arabic and English.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Bilingual {
    /// Arabic.
    pub ar: String,
    /// English.
    pub en: String,
}

/// A candidate's page: only what campaigning allows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// The name.
    pub name: Bilingual,
    /// The photo: the SHA-256 of an image uploaded as an attachment, if any.
    #[serde(default)]
    pub photo_sha256: Option<Hex32>,
    /// The CV.
    pub cv: Bilingual,
    /// Qualifications.
    pub qualifications: Bilingual,
    /// The programme.
    pub programme: Bilingual,
}

fn check_text(what: &str, s: &str, required: bool) -> Result<(), Problem> {
    let blank = s.trim().is_empty();
    if (required && blank)
        || s.chars().count() > MAX_TEXT
        || s.chars().any(|c| c.is_control() && c != '\n')
    {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "content-rules",
            format!("{what}: {} to {MAX_TEXT} characters", u8::from(required)),
        ));
    }
    Ok(())
}

impl Page {
    fn check(&self) -> Result<(), Problem> {
        check_text("name (Arabic)", &self.name.ar, true)?;
        check_text("name (English)", &self.name.en, true)?;
        for (what, t) in [
            ("CV", &self.cv),
            ("qualifications", &self.qualifications),
            ("programme", &self.programme),
        ] {
            check_text(what, &t.ar, false)?;
            check_text(what, &t.en, false)?;
        }
        Ok(())
    }
}

/// The campaign API's state.
pub struct CampaignApi {
    board: Arc<Board>,
    registry: Arc<Registry>,
    voters: Arc<VoterApi>,
    db: Db,
}

impl std::fmt::Debug for CampaignApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CampaignApi")
    }
}

impl CampaignApi {
    /// The API over the board's database.
    pub fn new(board: Arc<Board>, registry: Arc<Registry>, voters: Arc<VoterApi>) -> Arc<Self> {
        let db = board.store().db().clone();
        Arc::new(CampaignApi {
            board,
            registry,
            voters,
            db,
        })
    }

    /// `Ok` inside the campaign window (as extended on the board).
    async fn campaigning(&self) -> Result<(), Problem> {
        let w = self.board.windows().await.campaign;
        let now = self.board.clock().now_ms();
        if w.contains(now) {
            Ok(())
        } else {
            Err(Problem::new(
                StatusCode::FORBIDDEN,
                "outside-window",
                "pages, posts, questions and answers change only during the campaign; the silence period and voting freeze them",
            ))
        }
    }

    /// Hides reported content (an official's decision).
    pub async fn hide(&self, target: &str, id: u64, by: &str) -> Result<(), Problem> {
        let sql = match target {
            "post" => "UPDATE candidate_posts SET hidden_by = $2 WHERE id = $1",
            "question" => "UPDATE candidate_questions SET hidden_by = $2 WHERE id = $1",
            _ => return Err(Problem::malformed("target: post or question")),
        };
        on_pool!(&self.db, p => {
            sqlx::query(sql).bind(to_i64(id)?).bind(by).execute(p).await.map_err(StoreError::from)?;
        });
        Ok(())
    }

    /// The reports not yet decided, oldest first.
    pub async fn open_reports(&self) -> Result<Vec<ReportView>, Problem> {
        let rows: Vec<(i64, String, i64, String, i64)> = on_pool!(&self.db, p => {
            sqlx::query_as(
                "SELECT id, target, target_id, reason, reported_ms FROM content_reports \
                 WHERE decision IS NULL ORDER BY id LIMIT 500",
            )
            .fetch_all(p)
            .await
            .map_err(StoreError::from)?
        });
        Ok(rows
            .into_iter()
            .map(|(id, target, target_id, reason, at)| ReportView {
                id,
                target,
                target_id,
                reason,
                reported_ms: at,
            })
            .collect())
    }

    /// An official decides a report: hide the content, or keep it.
    pub async fn decide_report(&self, id: u64, hide: bool, by: &str) -> Result<(), Problem> {
        let row: Option<(String, i64, Option<String>)> = on_pool!(&self.db, p => {
            sqlx::query_as("SELECT target, target_id, decision FROM content_reports WHERE id = $1")
                .bind(to_i64(id)?)
                .fetch_optional(p)
                .await
                .map_err(StoreError::from)?
        });
        let (target, target_id, decided) =
            row.ok_or_else(|| Problem::not_found("no such report"))?;
        if decided.is_some() {
            return Err(Problem::new(
                StatusCode::CONFLICT,
                "conflict",
                "the report is already decided",
            ));
        }
        if hide {
            self.hide(&target, target_id.max(0) as u64, by).await?;
        }
        let now = to_i64(self.board.clock().now_ms())?;
        on_pool!(&self.db, p => {
            sqlx::query(
                "UPDATE content_reports SET decision = $2, decided_by = $3, decided_ms = $4 \
                 WHERE id = $1 AND decision IS NULL",
            )
            .bind(to_i64(id)?)
            .bind(if hide { "hidden" } else { "kept" })
            .bind(by)
            .bind(now)
            .execute(p)
            .await
            .map_err(StoreError::from)?;
        });
        Ok(())
    }
}

/// A voter whose credential's holder is an accepted candidate.
pub struct Candidate {
    /// Their candidate identifier (`c<application number>`).
    pub id: String,
}

/// A voter (the voters' session) on the campaign API.
pub struct CampaignVoter(pub Voter);

impl FromRequestParts<Arc<CampaignApi>> for CampaignVoter {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        api: &Arc<CampaignApi>,
    ) -> Result<Self, Problem> {
        Ok(CampaignVoter(api.voters.authenticate(parts).await?))
    }
}

impl FromRequestParts<Arc<CampaignApi>> for Candidate {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        api: &Arc<CampaignApi>,
    ) -> Result<Self, Problem> {
        let voter = api.voters.authenticate(parts).await?;
        let (id, _) = api
            .registry
            .candidate_of(voter.credential.bytes())
            .await?
            .ok_or_else(|| Problem::forbidden("this credential's holder is not a candidate"))?;
        Ok(Candidate { id })
    }
}

/// The campaign routes.
pub fn router(api: Arc<CampaignApi>) -> Router {
    Router::new()
        .route("/v1/candidate/page", put(publish_page))
        .route("/v1/candidate/posts", post(publish_post))
        .route("/v1/candidate/questions/{id}/answer", post(answer))
        .route("/v1/candidates/{id}/page", get(page))
        .route("/v1/candidates/{id}/page/versions", get(page_versions))
        .route("/v1/candidates/{id}/posts", get(posts))
        .route("/v1/candidates/{id}/questions", get(questions).post(ask))
        .route("/v1/reports", post(report))
        .with_state(api)
}

/// A report in the moderation queue.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReportView {
    /// Its number.
    pub id: i64,
    /// `post` or `question`.
    pub target: String,
    /// The post's or question's number.
    pub target_id: i64,
    /// Why, in the reporter's words.
    pub reason: String,
    /// When, ms since the epoch.
    pub reported_ms: i64,
}

/// A published version of a page.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PageVersion {
    /// Its version, from 1.
    version: i64,
    /// When, ms since the epoch.
    published_ms: i64,
    /// The page.
    page: Page,
}

/// A page just published.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PagePublished {
    /// The candidate.
    candidate: String,
    /// The new version.
    version: i64,
}

/// A candidate's post.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PostView {
    /// Its number.
    id: i64,
    /// Arabic.
    text_ar: String,
    /// English.
    text_en: String,
    /// When, ms since the epoch.
    published_ms: i64,
}

/// A question to a candidate and the answer; never who asked.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct QuestionView {
    /// Its number.
    id: i64,
    /// The question.
    question: String,
    /// When asked, ms since the epoch.
    asked_ms: i64,
    /// The candidate's answer, once given.
    answer: Option<String>,
    /// When answered.
    answered_ms: Option<i64>,
}

async fn publish_page(
    State(api): State<Arc<CampaignApi>>,
    candidate: Candidate,
    Json(page): Json<Page>,
) -> Result<(StatusCode, Json<PagePublished>), Problem> {
    api.campaigning().await?;
    page.check()?;
    let text = serde_json::to_string(&page).map_err(|e| Problem::malformed(e.to_string()))?;
    let now = to_i64(api.board.clock().now_ms())?;
    let version: i64 = on_pool!(&api.db, p => {
        let mut tx = p.begin().await.map_err(StoreError::from)?;
        let (last,): (Option<i64>,) = sqlx::query_as("SELECT MAX(version) FROM candidate_pages WHERE candidate = $1")
            .bind(candidate.id.as_str())
            .fetch_one(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        let version = last.unwrap_or(0) + 1;
        sqlx::query("INSERT INTO candidate_pages (candidate, version, page, published_ms) VALUES ($1, $2, $3, $4)")
            .bind(candidate.id.as_str())
            .bind(version)
            .bind(text.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                if crate::registry::is_unique_violation(&e) {
                    Problem::new(StatusCode::CONFLICT, "conflict", "another version was published meanwhile")
                } else {
                    StoreError::from(e).into()
                }
            })?;
        tx.commit().await.map_err(StoreError::from)?;
        version
    });
    Ok((
        StatusCode::CREATED,
        Json(PagePublished {
            candidate: candidate.id,
            version,
        }),
    ))
}

async fn page_versions_of(api: &CampaignApi, id: &str) -> Result<Vec<PageVersion>, Problem> {
    let rows: Vec<(i64, String, i64)> = on_pool!(&api.db, p => {
        sqlx::query_as("SELECT version, page, published_ms FROM candidate_pages WHERE candidate = $1 ORDER BY version")
            .bind(id)
            .fetch_all(p)
            .await
            .map_err(StoreError::from)?
    });
    rows.into_iter()
        .map(|(version, page, at)| {
            let page: Page = serde_json::from_str(&page)
                .map_err(|_| Problem::internal(&"a stored page does not decode"))?;
            Ok(PageVersion {
                version,
                published_ms: at,
                page,
            })
        })
        .collect()
}

async fn page(
    State(api): State<Arc<CampaignApi>>,
    Path(id): Path<String>,
) -> Result<Json<PageVersion>, Problem> {
    page_versions_of(&api, &id)
        .await?
        .pop()
        .map(Json)
        .ok_or_else(|| Problem::not_found("this candidate has published no page"))
}

async fn page_versions(
    State(api): State<Arc<CampaignApi>>,
    Path(id): Path<String>,
) -> Result<Json<Vec<PageVersion>>, Problem> {
    Ok(Json(page_versions_of(&api, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewPost {
    text_ar: String,
    text_en: String,
}

async fn publish_post(
    State(api): State<Arc<CampaignApi>>,
    candidate: Candidate,
    Json(post): Json<NewPost>,
) -> Result<(StatusCode, Json<Created>), Problem> {
    api.campaigning().await?;
    check_text("post (Arabic)", &post.text_ar, true)?;
    check_text("post (English)", &post.text_en, false)?;
    let now = to_i64(api.board.clock().now_ms())?;
    let (id,): (i64,) = on_pool!(&api.db, p => {
        sqlx::query_as(
            "INSERT INTO candidate_posts (candidate, text_ar, text_en, published_ms) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(candidate.id.as_str())
        .bind(post.text_ar.as_str())
        .bind(post.text_en.as_str())
        .bind(now)
        .fetch_one(p)
        .await
        .map_err(StoreError::from)?
    });
    Ok((StatusCode::CREATED, Json(Created { id: id as u64 })))
}

async fn posts(
    State(api): State<Arc<CampaignApi>>,
    Path(id): Path<String>,
) -> Result<Json<Vec<PostView>>, Problem> {
    let rows: Vec<(i64, String, String, i64)> = on_pool!(&api.db, p => {
        sqlx::query_as(
            "SELECT id, text_ar, text_en, published_ms FROM candidate_posts \
             WHERE candidate = $1 AND hidden_by IS NULL ORDER BY id",
        )
        .bind(id.as_str())
        .fetch_all(p)
        .await
        .map_err(StoreError::from)?
    });
    Ok(Json(
        rows.into_iter()
            .map(|(id, text_ar, text_en, published_ms)| PostView {
                id,
                text_ar,
                text_en,
                published_ms,
            })
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewQuestion {
    question: String,
}

async fn ask(
    State(api): State<Arc<CampaignApi>>,
    CampaignVoter(voter): CampaignVoter,
    Path(id): Path<String>,
    Json(q): Json<NewQuestion>,
) -> Result<(StatusCode, Json<Created>), Problem> {
    api.campaigning().await?;
    check_text("question", &q.question, true)?;
    // A candidate identifier is `c<application number>`: look that one application up.
    let no_such = || Problem::not_found("no such candidate");
    let number: u64 = id
        .strip_prefix('c')
        .and_then(|n| n.parse().ok())
        .ok_or_else(no_such)?;
    let (application, _) = api
        .registry
        .application(number)
        .await
        .map_err(|_| no_such())?;
    if application.status != sawt_registry::candidacy::Status::Accepted {
        return Err(no_such());
    }
    let contest = application.contest;
    let same_wilayat = api
        .board
        .manifest()
        .contest_of(&voter.wilayat)
        .is_some_and(|c| c.id == contest);
    if !same_wilayat {
        return Err(Problem::forbidden(
            "only voters of the candidate's wilayat ask questions",
        ));
    }
    let now = to_i64(api.board.clock().now_ms())?;
    let (qid,): (i64,) = on_pool!(&api.db, p => {
        sqlx::query_as(
            "INSERT INTO candidate_questions (candidate, asker, question, asked_ms) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(id.as_str())
        .bind(voter.credential.bytes().as_slice())
        .bind(q.question.as_str())
        .bind(now)
        .fetch_one(p)
        .await
        .map_err(StoreError::from)?
    });
    Ok((StatusCode::CREATED, Json(Created { id: qid as u64 })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnswerRequest {
    answer: String,
}

async fn answer(
    State(api): State<Arc<CampaignApi>>,
    candidate: Candidate,
    Path(qid): Path<u64>,
    Json(a): Json<AnswerRequest>,
) -> Result<Json<Created>, Problem> {
    api.campaigning().await?;
    check_text("answer", &a.answer, true)?;
    let now = to_i64(api.board.clock().now_ms())?;
    let changed = on_pool!(&api.db, p => {
        sqlx::query(
            "UPDATE candidate_questions SET answer = $3, answered_ms = $4 \
             WHERE id = $1 AND candidate = $2 AND answer IS NULL AND hidden_by IS NULL",
        )
        .bind(to_i64(qid)?)
        .bind(candidate.id.as_str())
        .bind(a.answer.as_str())
        .bind(now)
        .execute(p)
        .await
        .map_err(StoreError::from)?
        .rows_affected()
    });
    if changed != 1 {
        return Err(Problem::not_found(
            "no unanswered question of yours with this number",
        ));
    }
    Ok(Json(Created { id: qid }))
}

/// A question as stored: id, text, when asked, the answer and when answered.
type QuestionRow = (i64, String, i64, Option<String>, Option<i64>);

async fn questions(
    State(api): State<Arc<CampaignApi>>,
    Path(id): Path<String>,
) -> Result<Json<Vec<QuestionView>>, Problem> {
    let rows: Vec<QuestionRow> = on_pool!(&api.db, p => {
        sqlx::query_as(
            "SELECT id, question, asked_ms, answer, answered_ms FROM candidate_questions \
             WHERE candidate = $1 AND hidden_by IS NULL ORDER BY id",
        )
        .bind(id.as_str())
        .fetch_all(p)
        .await
        .map_err(StoreError::from)?
    });
    // The asker's credential is never shown.
    Ok(Json(
        rows.into_iter()
            .map(
                |(id, question, asked_ms, answer, answered_ms)| QuestionView {
                    id,
                    question,
                    asked_ms,
                    answer,
                    answered_ms,
                },
            )
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewReport {
    target: String,
    id: u64,
    reason: String,
}

async fn report(
    State(api): State<Arc<CampaignApi>>,
    Json(r): Json<NewReport>,
) -> Result<(StatusCode, Json<Created>), Problem> {
    if !["post", "question"].contains(&r.target.as_str()) {
        return Err(Problem::malformed("target: post or question"));
    }
    check_text("reason", &r.reason, true)?;
    let now = to_i64(api.board.clock().now_ms())?;
    let (id,): (i64,) = on_pool!(&api.db, p => {
        sqlx::query_as(
            "INSERT INTO content_reports (target, target_id, reason, reported_ms) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(r.target.as_str())
        .bind(to_i64(r.id)?)
        .bind(r.reason.as_str())
        .bind(now)
        .fetch_one(p)
        .await
        .map_err(StoreError::from)?
    });
    Ok((StatusCode::CREATED, Json(Created { id: id as u64 })))
}
