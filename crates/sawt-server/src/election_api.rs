//! `GET /v1/election`: what every client starts from — the election's identifier, its
//! manifest, the windows as extended on the board, and the phase now (by the board's clock).
//! The phases: `setup`, `registration`, `candidacy`, `key-generation`, `campaign`,
//! `between` (a gap, such as the silence before voting), `voting-abroad`, `voting-home`,
//! `closing` (voting time over, the close awaited), `tallying` (closed), and `published`
//! (closed, and every contest has its final result on the board).

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use sawt_election::manifest::{Manifest, Windows};
use serde::Serialize;

use crate::service::{Board, SetupEntry};

/// The election as a client starts from it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ElectionView {
    /// The election identifier: the manifest's hash, lowercase hexadecimal.
    pub election: String,
    /// The board's clock now, ms since the epoch.
    pub now_ms: u64,
    /// The phase now.
    pub phase: String,
    /// The windows, as extended by entries on the board.
    pub windows: Windows,
    /// The entries a client sets up from: key generation, joint key, candidate lists,
    /// window extensions and the close (service.md §1.5). A claim: the client fetches and
    /// checks each.
    pub setup: Vec<SetupEntry>,
    /// The manifest (election.md §3).
    #[schema(value_type = Object)]
    pub manifest: Manifest,
}

/// The route.
pub fn router(board: Arc<Board>) -> Router {
    Router::new()
        .route("/v1/election", get(election))
        .with_state(board)
}

async fn election(State(board): State<Arc<Board>>) -> Json<ElectionView> {
    let windows = board.windows().await;
    let (closed, progress) = board.tally_progress().await;
    let now = board.clock().now_ms();
    let phase = sawt_election::entry::phase_in(&windows, now, closed);
    let published = closed
        && board.manifest().contests.iter().all(|c| {
            progress
                .get(&c.id)
                .and_then(|p| p.latest.as_ref())
                .is_some_and(|r| r.r#final)
        });
    Json(ElectionView {
        election: hex::encode(board.election()),
        now_ms: now,
        phase: if published {
            "published".to_owned()
        } else {
            phase.to_string()
        },
        windows,
        setup: board.setup_entries().await,
        manifest: board.manifest().clone(),
    })
}
