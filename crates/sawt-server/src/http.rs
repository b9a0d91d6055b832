//! The observer API (axum): everything public about the board, for anyone
//! (`protocol-spec/board.md` §8). Entries are served as their canonical bytes: one per
//! line in `application/x-ndjson` streams (canonical JSON never contains a raw newline).
//!
//! | method and path | what |
//! |---|---|
//! | `GET /v1/board/head` | the latest signed head with its cosignatures |
//! | `GET /v1/board/heads/{size}` | the head of that size with its cosignatures |
//! | `GET /v1/board/entries?start=&limit=` | entries `[start, start + limit)`, NDJSON, `limit ≤ 1,000` |
//! | `GET /v1/board/entries/{index}` | one entry |
//! | `GET /v1/board/entries/by-hash/{sha256}` | one entry by the SHA-256 of its bytes |
//! | `GET /v1/board/proofs/inclusion?index=&size=` | an inclusion proof |
//! | `GET /v1/board/proofs/consistency?old=&new=` | a consistency proof |
//! | `POST /v1/board/entries` | submit a signed entry (canonical bytes) |
//! | `POST /v1/board/heads/{size}/cosignatures` | a witness's cosignature |
//! | `POST /v1/board/attachments?format=` | store bytes an entry will bind by hash (≤ 128 MiB); answers `{"sha256", "length"}` |
//! | `GET /v1/board/attachments/{sha256}` | an attachment's bytes (`sawt-format` header) |
//!
//! Errors are problem details (`crate::problem`): 400 `malformed`, 403 `forbidden` (not
//! allowed for the author or phase), 404 `not-found`, 409 `refused` (conflicts with the
//! board's state) or 500 `internal` (details logged, not returned).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use sawt_board::head::{Cosignature, WitnessedHead};

use crate::StoreError;
use crate::service::{Board, BoardError};

use crate::MAX_PAGE;

/// The observer API's routes.
pub fn router(board: Arc<Board>) -> Router {
    Router::new()
        .route("/v1/board/head", get(head))
        .route("/v1/board/heads/{size}", get(head_of))
        .route("/v1/board/heads/{size}/cosignatures", post(cosign))
        .route("/v1/board/entries", get(entries).post(submit))
        .route("/v1/board/entries/{index}", get(entry))
        .route("/v1/board/entries/by-hash/{sha256}", get(entry_by_hash))
        .route("/v1/board/proofs/inclusion", get(inclusion))
        .route("/v1/board/proofs/consistency", get(consistency))
        .route(
            "/v1/board/attachments",
            post(put_attachment).layer(axum::extract::DefaultBodyLimit::max(crate::MAX_BODY_LEN)),
        )
        .route("/v1/board/attachments/{sha256}", get(get_attachment))
        .with_state(board)
}

/// An API error: a problem detail (`crate::problem`), the same codes as every other API.
pub struct ApiError(crate::problem::Problem);

fn api_error(status: StatusCode, detail: String) -> ApiError {
    let code = match status {
        StatusCode::BAD_REQUEST => "malformed",
        StatusCode::NOT_FOUND => "not-found",
        _ => "client-error",
    };
    ApiError(crate::problem::Problem::new(status, code, detail))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl From<BoardError> for ApiError {
    fn from(e: BoardError) -> Self {
        let problem = match e {
            BoardError::Store(
                StoreError::HeadConflict { .. }
                | StoreError::HeadOrder(_)
                | StoreError::HeadMismatch { .. }
                | StoreError::CosignatureConflict { .. },
            ) => crate::problem::Problem::new(StatusCode::CONFLICT, "refused", e.to_string()),
            BoardError::Store(
                StoreError::InvalidInput(_)
                | StoreError::OutOfRange { .. }
                | StoreError::BadCosignature(_),
            ) => crate::problem::Problem::malformed(e.to_string()),
            BoardError::Store(StoreError::NoHead { .. }) => {
                crate::problem::Problem::not_found(e.to_string())
            }
            e => e.into(),
        };
        ApiError(problem)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        BoardError::Store(e).into()
    }
}

fn not_found(what: &str) -> ApiError {
    api_error(StatusCode::NOT_FOUND, format!("no such {what}"))
}

#[derive(Deserialize)]
struct HeadQuery {
    covering: Option<u64>,
    #[serde(default)]
    fresh: bool,
}

/// The latest head; with `?covering=I`, a head covering entry `I`, signed on demand if the
/// latest does not; with `?fresh=true`, a head of the committed size (board.md §8.5).
async fn head(
    State(b): State<Arc<Board>>,
    Query(q): Query<HeadQuery>,
) -> Result<Json<WitnessedHead>, ApiError> {
    let covering = match (q.covering, q.fresh) {
        (Some(i), _) => Some(i),
        (None, true) => b.store().size().checked_sub(1),
        (None, false) => None,
    };
    if let Some(index) = covering {
        if index >= b.store().size() {
            return Err(not_found("entry"));
        }
        let signed = b.head_covering(index).await?;
        return Ok(Json(b.witnessed(signed).await?));
    }
    b.witnessed_head()
        .await?
        .map(Json)
        .ok_or_else(|| not_found("head"))
}

async fn head_of(
    State(b): State<Arc<Board>>,
    Path(size): Path<u64>,
) -> Result<Json<WitnessedHead>, ApiError> {
    let signed = b
        .store()
        .head(size)
        .await?
        .ok_or_else(|| not_found("head"))?;
    let cosignatures = b.store().cosignatures(size).await?;
    Ok(Json(WitnessedHead {
        signed,
        cosignatures,
    }))
}

async fn cosign(
    State(b): State<Arc<Board>>,
    Path(size): Path<u64>,
    Json(c): Json<Cosignature>,
) -> Result<StatusCode, ApiError> {
    b.add_cosignature(size, &c).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct Page {
    start: u64,
    limit: Option<u64>,
}

async fn entries(State(b): State<Arc<Board>>, Query(p): Query<Page>) -> Result<Response, ApiError> {
    let limit = p.limit.unwrap_or(MAX_PAGE).min(MAX_PAGE);
    let size = b.store().size();
    let start = p.start.min(size);
    let list = b
        .store()
        .entries(start..start.saturating_add(limit).min(size))
        .await?;
    let mut body = Vec::with_capacity(list.iter().map(|e| e.body.len() + 1).sum());
    for e in list {
        body.extend_from_slice(&e.body);
        body.push(b'\n');
    }
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from(body),
    )
        .into_response())
}

async fn entry(State(b): State<Arc<Board>>, Path(index): Path<u64>) -> Result<Response, ApiError> {
    let e = b
        .store()
        .entry(index)
        .await?
        .ok_or_else(|| not_found("entry"))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], e.body).into_response())
}

async fn entry_by_hash(
    State(b): State<Arc<Board>>,
    Path(h): Path<String>,
) -> Result<Response, ApiError> {
    let hash = sawt_board::hash_from_hex(&h)
        .map_err(|e| api_error(StatusCode::BAD_REQUEST, e.to_string()))?;
    let e = b
        .store()
        .entry_by_hash(&hash)
        .await?
        .ok_or_else(|| not_found("entry"))?;
    let index = e.index.to_string();
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (
                header::HeaderName::from_static("sawt-index"),
                index.as_str(),
            ),
        ],
        e.body,
    )
        .into_response())
}

#[derive(Deserialize)]
struct InclusionQuery {
    index: u64,
    size: u64,
}

async fn inclusion(
    State(b): State<Arc<Board>>,
    Query(q): Query<InclusionQuery>,
) -> Result<Response, ApiError> {
    let committed = b.store().size();
    if q.index >= q.size || q.size > committed {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            format!("need index < size ≤ {committed}"),
        ));
    }
    Ok(Json(b.store().inclusion_proof(q.index, q.size).await?).into_response())
}

#[derive(Deserialize)]
struct ConsistencyQuery {
    old: u64,
    new: u64,
}

async fn consistency(
    State(b): State<Arc<Board>>,
    Query(q): Query<ConsistencyQuery>,
) -> Result<Response, ApiError> {
    let committed = b.store().size();
    if q.old > q.new || q.new > committed {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            format!("need old ≤ new ≤ {committed}"),
        ));
    }
    Ok(Json(b.store().consistency_proof(q.old, q.new).await?).into_response())
}

async fn submit(State(b): State<Arc<Board>>, body: Bytes) -> Result<Response, ApiError> {
    let appended = b.submit(&body).await?;
    Ok((StatusCode::CREATED, Json(appended)).into_response())
}

#[derive(Deserialize)]
struct AttachmentQuery {
    format: String,
}

/// An attachment stored.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Stored {
    /// Its SHA-256, lowercase hexadecimal: what an entry binds.
    sha256: String,
    /// Its length in bytes.
    length: u64,
}

async fn put_attachment(
    State(b): State<Arc<Board>>,
    Query(q): Query<AttachmentQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let hash = b.store().put_attachment(&q.format, &body).await?;
    let answer = Stored {
        sha256: hex::encode(hash),
        length: body.len() as u64,
    };
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

async fn get_attachment(
    State(b): State<Arc<Board>>,
    Path(h): Path<String>,
) -> Result<Response, ApiError> {
    let hash = sawt_board::hash_from_hex(&h)
        .map_err(|e| api_error(StatusCode::BAD_REQUEST, e.to_string()))?;
    let (format, bytes) = b
        .store()
        .attachment(&hash)
        .await?
        .ok_or_else(|| not_found("attachment"))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::HeaderName::from_static("sawt-format"), format),
        ],
        bytes,
    )
        .into_response())
}
