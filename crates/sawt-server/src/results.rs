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
use serde_json::{Value, json};

use crate::service::Board;

/// The results route.
pub fn router(board: Arc<Board>) -> Router {
    Router::new()
        .route("/v1/results", get(results))
        .with_state(board)
}

async fn results(State(board): State<Arc<Board>>) -> Json<Value> {
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
        let result = p.latest.as_ref().map(|r| {
            json!({
                "index": r.index,
                "candidates": contest
                    .candidates
                    .iter()
                    .zip(&r.totals)
                    .map(|(cand, votes)| json!({"id": cand.id, "name": cand.name, "votes": votes}))
                    .collect::<Vec<_>>(),
                "blank": r.blank,
                "invalid": r.invalid,
                "elected": r.elected,
            })
        });
        contests.push(json!({
            "contest": c.id,
            "wilayat": c.wilayat,
            "governorate": sawt_election::manifest::governorate_of(manifest, &c.wilayat),
            "seats": c.seats,
            "status": status,
            "result": result,
            "entries": {
                "tally": p.tally,
                "mix_stages": p.mix_stages,
                "decryption_shares": p.decryption_shares,
                "tie_break_draws": p.tie_break_draws,
                "results": p.results,
            },
        }));
    }
    Json(json!({"closed": closed, "contests": contests}))
}
