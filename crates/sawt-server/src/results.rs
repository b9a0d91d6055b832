//! Results as the tally progresses, each with the board entries that prove it.
//!
//! `GET /v1/results` answers, for every contest: its wilayat and governorate, its status
//! (`voting` until the close; `tallying` once voting is closed and no result is posted;
//! `preliminary` or `final` after a result entry), the latest result with the candidates'
//! names, and the indices of every entry of its tally (the homomorphic tally or the mix stages,
//! the trustees' decryption shares, tie-break draws, result entries), so that anyone can fetch
//! and check them (`GET /v1/board/entries/{index}`) or run the verifier on the whole record.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use sawt_election::geography::{GovernorateId, WilayatId};
use sawt_election::manifest::Names;
use serde::Serialize;

use crate::service::{Board, ContestProgress};

/// Every contest's status and result.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Results {
    /// Whether voting is closed.
    pub closed: bool,
    /// Each contest.
    pub contests: Vec<ContestResult>,
}

/// A contest's status, result and the entries that prove it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ContestResult {
    /// The contest.
    pub contest: String,
    /// Its wilayat.
    pub wilayat: WilayatId,
    /// Its governorate.
    pub governorate: Option<GovernorateId>,
    /// Seats.
    pub seats: u32,
    /// `voting`, `tallying`, `preliminary` or `final`.
    pub status: &'static str,
    /// The latest result, once posted.
    pub result: Option<ResultView>,
    /// The indices of the entries of its tally.
    pub entries: ContestProgress,
}

/// A posted result with the candidates' names.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ResultView {
    /// The result entry's index.
    pub index: u64,
    /// Each candidate's votes, in ballot order.
    pub candidates: Vec<CandidateVotes>,
    /// Blank ballots.
    pub blank: u64,
    /// Invalid ballots.
    pub invalid: u64,
    /// The elected candidates.
    pub elected: Vec<String>,
}

/// A candidate's votes.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CandidateVotes {
    /// The candidate.
    pub id: String,
    /// The name.
    pub name: Names,
    /// Votes.
    pub votes: u64,
}

/// The results route.
pub fn router(board: Arc<Board>) -> Router {
    Router::new()
        .route("/v1/results", get(results))
        .with_state(board)
}

async fn results(State(board): State<Arc<Board>>) -> Json<Results> {
    let (closed, progress) = board.tally_progress().await;
    let manifest = board.manifest();
    let mut contests = Vec::new();
    for c in &manifest.contests {
        let contest = board.contest(&c.id).await.unwrap_or_else(|| c.clone());
        let p = progress.get(&c.id).cloned().unwrap_or_default();
        let status = match &p.latest {
            Some(r) if r.r#final => "final",
            Some(_) => "preliminary",
            None if closed => "tallying",
            None => "voting",
        };
        let result = p.latest.as_ref().map(|r| ResultView {
            index: r.index,
            candidates: contest
                .candidates
                .iter()
                .zip(&r.totals)
                .map(|(cand, votes)| CandidateVotes {
                    id: cand.id.clone(),
                    name: cand.name.clone(),
                    votes: *votes,
                })
                .collect(),
            blank: r.blank,
            invalid: r.invalid,
            elected: r.elected.clone(),
        });
        contests.push(ContestResult {
            contest: c.id.clone(),
            wilayat: c.wilayat.clone(),
            governorate: sawt_election::manifest::governorate_of(manifest, &c.wilayat).cloned(),
            seats: c.seats,
            status,
            result,
            entries: p,
        });
    }
    Json(Results { closed, contests })
}
