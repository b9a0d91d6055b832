//! Suggestions and reports from anyone: each gets a tracking number, a status, and an
//! official's reply. No account is needed; the tracking number is the only way back to it,
//! and nothing identifies who sent it unless they write it themselves.
//!
//! | method and path | who | what |
//! |---|---|---|
//! | `POST /v1/suggestions` | anyone | `{"category": "suggestion"\|"report", "subject", "body"}` → `{"tracking"}` |
//! | `GET /v1/suggestions/{tracking}` | anyone with the number | its status and reply |
//!
//! Officials list and answer them through `/v1/official/suggestions` ([`crate::official`]).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::TryRng;
use sawt_registry::Actor;
use serde::{Deserialize, Serialize};

use crate::StoreError;
use crate::db::{Db, on_pool, to_i64};
use crate::problem::Problem;
use crate::service::Board;

/// The longest subject, in characters.
pub const MAX_SUBJECT: usize = 200;
/// The longest body or reply, in characters.
pub const MAX_BODY: usize = 5000;

/// A suggestion or report as its sender and officials see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Suggestion {
    /// The tracking number.
    pub tracking: String,
    /// `suggestion` or `report`.
    pub category: String,
    /// Its subject.
    pub subject: String,
    /// Its text.
    pub body: String,
    /// `received`, `in-progress`, `answered` or `closed`.
    pub status: String,
    /// The official's reply.
    pub reply: Option<String>,
    /// When it was sent and last changed, ms.
    pub created_ms: u64,
    /// When it last changed, ms.
    pub updated_ms: u64,
}

/// The suggestions' store.
#[derive(Clone)]
pub struct Suggestions {
    db: Db,
    board: Arc<Board>,
}

impl std::fmt::Debug for Suggestions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Suggestions")
    }
}

fn text(what: &str, s: &str, max: usize) -> Result<(), Problem> {
    if s.trim().is_empty()
        || s.chars().count() > max
        || s.chars().any(|c| c.is_control() && c != '\n')
    {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-text",
            format!("{what}: 1 to {max} characters, not blank"),
        ));
    }
    Ok(())
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
    i64,
);

fn view(r: Row) -> Suggestion {
    Suggestion {
        tracking: r.0,
        category: r.1,
        subject: r.2,
        body: r.3,
        status: r.4,
        reply: r.5,
        created_ms: r.6.max(0) as u64,
        updated_ms: r.7.max(0) as u64,
    }
}

const COLUMNS: &str = "tracking, category, subject, body, status, reply, created_ms, updated_ms";

impl Suggestions {
    /// The store in the board's database.
    pub fn new(board: Arc<Board>) -> Self {
        Suggestions {
            db: board.store().db().clone(),
            board,
        }
    }

    /// Records a suggestion or report; its tracking number (`SW-` and 12 characters of
    /// base32 from the OS's randomness).
    pub async fn submit(
        &self,
        category: &str,
        subject: &str,
        body: &str,
    ) -> Result<String, Problem> {
        if !["suggestion", "report"].contains(&category) {
            return Err(Problem::malformed("category: suggestion or report"));
        }
        text("subject", subject, MAX_SUBJECT)?;
        text("body", body, MAX_BODY)?;
        // 12 characters of a 32-letter alphabet (no 0/O, 1/I): 60 bits, unbiased.
        let mut bytes = [0u8; 12];
        rand::rngs::SysRng
            .try_fill_bytes(&mut bytes)
            .map_err(|e| Problem::internal(&e))?;
        const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let code: String = bytes
            .iter()
            .map(|b| ALPHABET[usize::from(b % 32)] as char)
            .collect();
        let tracking = format!("SW-{}-{}-{}", &code[..4], &code[4..8], &code[8..]);
        let now = to_i64(self.board.clock().now_ms())?;
        on_pool!(&self.db, p => {
            sqlx::query(
                "INSERT INTO suggestions (tracking, category, subject, body, status, created_ms, updated_ms) \
                 VALUES ($1, $2, $3, $4, 'received', $5, $5)",
            )
            .bind(tracking.as_str())
            .bind(category)
            .bind(subject)
            .bind(body)
            .bind(now)
            .execute(p)
            .await
            .map_err(StoreError::from)?;
        });
        Ok(tracking)
    }

    /// One, by tracking number.
    pub async fn get(&self, tracking: &str) -> Result<Suggestion, Problem> {
        let sql = format!("SELECT {COLUMNS} FROM suggestions WHERE tracking = $1");
        let row: Option<Row> = on_pool!(&self.db, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(tracking).fetch_optional(p).await.map_err(StoreError::from)?
        });
        row.map(view)
            .ok_or_else(|| Problem::not_found("no suggestion or report with this tracking number"))
    }

    /// Those in a status (all if `None`), oldest first, at most 500.
    pub async fn list(&self, status: Option<&str>) -> Result<Vec<Suggestion>, Problem> {
        let sql = format!(
            "SELECT {COLUMNS} FROM suggestions WHERE ($1 = '' OR status = $1) ORDER BY created_ms LIMIT 500"
        );
        let rows: Vec<Row> = on_pool!(&self.db, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(status.unwrap_or("")).fetch_all(p).await.map_err(StoreError::from)?
        });
        Ok(rows.into_iter().map(view).collect())
    }

    /// An official replies and sets the status.
    pub async fn reply(
        &self,
        tracking: &str,
        reply: &str,
        status: &str,
        by: &Actor,
    ) -> Result<Suggestion, Problem> {
        if !["in-progress", "answered", "closed"].contains(&status) {
            return Err(Problem::malformed(
                "status: in-progress, answered or closed",
            ));
        }
        text("reply", reply, MAX_BODY)?;
        let now = to_i64(self.board.clock().now_ms())?;
        let by = format!("{}:{}", by.role.as_str(), by.id);
        let changed = on_pool!(&self.db, p => {
            sqlx::query(
                "UPDATE suggestions SET reply = $2, status = $3, replied_by = $4, updated_ms = $5 WHERE tracking = $1",
            )
            .bind(tracking)
            .bind(reply)
            .bind(status)
            .bind(by.as_str())
            .bind(now)
            .execute(p)
            .await
            .map_err(StoreError::from)?
            .rows_affected()
        });
        if changed != 1 {
            return Err(Problem::not_found(
                "no suggestion or report with this tracking number",
            ));
        }
        self.get(tracking).await
    }
}

/// The public routes.
pub fn router(s: Suggestions) -> Router {
    Router::new()
        .route("/v1/suggestions", post(submit))
        .route("/v1/suggestions/{tracking}", get(status))
        .with_state(s)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewSuggestion {
    category: String,
    subject: String,
    body: String,
}

/// A suggestion's tracking number.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Tracking {
    /// `SW-XXXX-XXXX-XXXX`.
    tracking: String,
}

async fn submit(
    State(s): State<Suggestions>,
    Json(req): Json<NewSuggestion>,
) -> Result<(StatusCode, Json<Tracking>), Problem> {
    let tracking = s.submit(&req.category, &req.subject, &req.body).await?;
    Ok((StatusCode::CREATED, Json(Tracking { tracking })))
}

async fn status(
    State(s): State<Suggestions>,
    Path(tracking): Path<String>,
) -> Result<Json<Suggestion>, Problem> {
    Ok(Json(s.get(&tracking).await?))
}
