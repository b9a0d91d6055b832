//! The voters' API (axum): what a voter's device does with its enrolled credential.
//!
//! | method and path | who | what |
//! |---|---|---|
//! | `POST /v1/voter/challenge` | device | `{"credential"}` → a challenge to sign ([`session`]) |
//! | `POST /v1/voter/session` | device | the challenge and its signature → `{"token", "expires_ms", "wilayat", "contest"}` |
//! | `GET /v1/voter/ballot-style` | voter | the ballot style of the credential's contest |
//! | `POST /v1/voter/ballots` | voter | cast: a signed `ballot` entry (canonical bytes) → a [`Receipt`] once durable |
//! | `POST /v1/voter/audits` | voter | a signed `audited-ballot` entry (the ballot and its opening) → a [`Receipt`] |
//! | `GET /v1/voter/ballots` | voter | the credential's ballots on the board: counted, superseded or audited |
//! | `GET /v1/receipts/{index}?size=` | anyone | a receipt's entry at the current witnessed head: inclusion, and consistency from `size` |
//! | `GET /v1/ballot-styles/{wilayat}` | anyone | a wilayat's ballot style |
//!
//! "voter" routes need `Authorization: Bearer <token>` from an open session of an enrolled,
//! unrevoked credential. A cast ballot must be signed by the session's credential; the board's
//! gate then checks everything else (phase, enrolment, contest, every proof, copies). The
//! receipt is returned only after the append is durable, with a signed head covering it and
//! the inclusion proof under that head. Errors are problem details ([`crate::problem`]).

pub mod session;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use sawt_board::head::WitnessedHead;
use sawt_board::proof::{ConsistencyProof, InclusionProof};
use sawt_election::ballot::BallotStyle;
use sawt_election::entry::{EntryBody, SignedEntry};
use sawt_election::geography::WilayatId;
use sawt_election::keys::PublicKeyHex;
use serde::{Deserialize, Serialize};

use crate::problem::Problem;
use crate::service::{BallotStatus, Board};
use session::{Answer, Challenge, SessionError, Sessions};

/// The voters' API state.
pub struct VoterApi {
    board: Arc<Board>,
    sessions: Sessions,
    /// Requests per credential (`None`: unlimited).
    limiter: Option<governor::DefaultKeyedRateLimiter<[u8; 32]>>,
}

impl std::fmt::Debug for VoterApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VoterApi").finish_non_exhaustive()
    }
}

impl VoterApi {
    /// The API of `board`'s election, with a fresh session secret.
    pub fn new(board: Arc<Board>) -> Arc<Self> {
        let sessions = Sessions::new(board.election());
        Arc::new(VoterApi {
            board,
            sessions,
            limiter: None,
        })
    }

    /// The API with at most `per_min` requests a minute from one credential (bursts of as
    /// many); more are answered `429 rate-limited`.
    pub fn with_limit(board: Arc<Board>, per_min: u32) -> Arc<Self> {
        let sessions = Sessions::new(board.election());
        let quota = governor::Quota::per_minute(
            std::num::NonZeroU32::new(per_min.max(1)).expect("at least 1"),
        );
        Arc::new(VoterApi {
            board,
            sessions,
            limiter: Some(governor::RateLimiter::keyed(quota)),
        })
    }
}

/// The voters' routes.
pub fn router(api: Arc<VoterApi>) -> Router {
    Router::new()
        .route("/v1/voter/challenge", post(challenge))
        .route("/v1/voter/session", post(open_session))
        .route("/v1/voter/ballot-style", get(ballot_style))
        .route("/v1/voter/ballots", post(cast).get(my_ballots))
        .route("/v1/voter/audits", post(audit))
        .route("/v1/receipts/{index}", get(receipt_check))
        .route("/v1/ballot-styles/{wilayat}", get(style_of))
        .with_state(api)
}

/// What a voter gets for a ballot on the board.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Receipt {
    /// The ballot's tracking code.
    pub tracking_code: String,
    /// Its index in the log.
    pub index: u64,
    /// Its leaf hash, lowercase hexadecimal.
    pub leaf_hash: String,
    /// A signed head covering it, with the witnesses' cosignatures so far (board.md §4).
    pub head: WitnessedHead,
    /// Its inclusion proof under that head (board.md §3).
    pub inclusion: InclusionProof,
}

/// An authenticated voter: a session of an enrolled, unrevoked credential.
#[derive(Clone, Debug)]
pub struct Voter {
    /// The credential.
    pub credential: PublicKeyHex,
    /// Where it votes.
    pub wilayat: WilayatId,
}

impl FromRequestParts<Arc<VoterApi>> for Voter {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, api: &Arc<VoterApi>) -> Result<Self, Problem> {
        api.authenticate(parts).await
    }
}

impl VoterApi {
    /// The voter a request's bearer token is a session of (enrolled, unrevoked, within the
    /// per-credential limit). Other APIs use it for their voter routes.
    pub async fn authenticate(&self, parts: &Parts) -> Result<Voter, Problem> {
        let api = self;
        let token = session::bearer_token(&parts.headers).ok_or_else(|| {
            Problem::unauthenticated("a voter session is required (Authorization: Bearer …)")
        })?;
        let now = api.board.clock().now_ms();
        let credential = api
            .sessions
            .check(token, now)
            .map_err(|e| Problem::unauthenticated(e.to_string()))?;
        if let Some(limiter) = &api.limiter
            && limiter.check_key(credential.bytes()).is_err()
        {
            return Err(Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "too many requests from this credential; slow down",
            ));
        }
        standing(&api.board, credential).await
    }
}

/// The voter a credential is, if enrolled and not revoked.
async fn standing(board: &Board, credential: PublicKeyHex) -> Result<Voter, Problem> {
    match board.credential(credential.bytes()).await {
        Some((wilayat, false)) => Ok(Voter {
            credential,
            wilayat,
        }),
        Some((_, true)) => Err(Problem::forbidden("the credential was revoked")),
        None => Err(Problem::forbidden("the credential is not enrolled")),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChallengeRequest {
    credential: PublicKeyHex,
}

async fn challenge(
    State(api): State<Arc<VoterApi>>,
    Json(req): Json<ChallengeRequest>,
) -> Result<Json<Challenge>, Problem> {
    standing(&api.board, req.credential.clone()).await?;
    Ok(Json(
        api.sessions
            .challenge(req.credential, api.board.clock().now_ms()),
    ))
}

/// A voter's session.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Session {
    /// The bearer token.
    pub token: String,
    /// Until when, ms since the epoch.
    pub expires_ms: u64,
    /// The credential's wilayat.
    pub wilayat: WilayatId,
    /// Its contest, if the manifest has one there.
    pub contest: Option<String>,
}

async fn open_session(
    State(api): State<Arc<VoterApi>>,
    Json(answer): Json<Answer>,
) -> Result<Json<Session>, Problem> {
    let voter = standing(&api.board, answer.challenge.credential.clone()).await?;
    let (token, expires_ms) = api
        .sessions
        .open(&answer, api.board.clock().now_ms())
        .map_err(|e| match e {
            SessionError::Signature => {
                Problem::new(StatusCode::UNAUTHORIZED, "bad-signature", e.to_string())
            }
            _ => Problem::unauthenticated(e.to_string()),
        })?;
    let contest = api
        .board
        .manifest()
        .contest_of(&voter.wilayat)
        .map(|c| c.id.clone());
    Ok(Json(Session {
        token,
        expires_ms,
        wilayat: voter.wilayat,
        contest,
    }))
}

async fn style_for(board: &Board, wilayat: &WilayatId) -> Result<BallotStyle, Problem> {
    let id = board
        .manifest()
        .contest_of(wilayat)
        .ok_or_else(|| Problem::not_found(format!("no contest in {}", wilayat.0)))?
        .id
        .clone();
    let contest = board
        .contest(&id)
        .await
        .ok_or_else(|| Problem::not_found(format!("no contest {id}")))?;
    if contest.candidates.is_empty() {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "no-candidates-yet",
            format!("contest {id}'s candidate list is not published yet"),
        ));
    }
    Ok(BallotStyle::for_contest(board.election(), &contest))
}

async fn ballot_style(
    State(api): State<Arc<VoterApi>>,
    voter: Voter,
) -> Result<Json<BallotStyle>, Problem> {
    Ok(Json(style_for(&api.board, &voter.wilayat).await?))
}

async fn style_of(
    State(api): State<Arc<VoterApi>>,
    Path(wilayat): Path<String>,
) -> Result<Json<BallotStyle>, Problem> {
    Ok(Json(style_for(&api.board, &WilayatId(wilayat)).await?))
}

/// Submits a ballot or an audited ballot signed by the session's credential; its receipt.
async fn submit_ballot(
    api: &VoterApi,
    voter: &Voter,
    body: &[u8],
    audit: bool,
) -> Result<Receipt, Problem> {
    let e = SignedEntry::decode(body).map_err(|err| Problem::malformed(err.to_string()))?;
    let ballot = match (&e.entry.body, audit) {
        (EntryBody::Ballot(b), false) | (EntryBody::AuditedBallot { ballot: b, .. }, true) => b,
        _ => {
            return Err(Problem::malformed(if audit {
                "the body must be a signed audited-ballot entry"
            } else {
                "the body must be a signed ballot entry"
            }));
        }
    };
    if e.entry.author != voter.credential {
        return Err(Problem::forbidden(
            "the ballot is not signed by this session's credential",
        ));
    }
    let tracking_code = ballot
        .tracking_code()
        .map_err(|err| Problem::malformed(err.to_string()))?;
    let appended = api.board.submit_decoded(&e, body).await?;
    let head = api.board.head_covering(appended.index).await?;
    let inclusion = api
        .board
        .store()
        .inclusion_proof(appended.index, head.head.size)
        .await?;
    Ok(Receipt {
        tracking_code,
        index: appended.index,
        leaf_hash: appended.leaf_hash,
        head: api.board.witnessed(head).await?,
        inclusion,
    })
}

async fn cast(
    State(api): State<Arc<VoterApi>>,
    voter: Voter,
    body: Bytes,
) -> Result<(StatusCode, Json<Receipt>), Problem> {
    match submit_ballot(&api, &voter, &body, false).await {
        Ok(r) => {
            metrics::counter!("sawt_ballots_total", "outcome" => "accepted").increment(1);
            Ok((StatusCode::CREATED, Json(r)))
        }
        Err(p) => {
            metrics::counter!("sawt_ballots_total", "outcome" => p.code).increment(1);
            Err(p)
        }
    }
}

async fn audit(
    State(api): State<Arc<VoterApi>>,
    voter: Voter,
    body: Bytes,
) -> Result<(StatusCode, Json<Receipt>), Problem> {
    Ok((
        StatusCode::CREATED,
        Json(submit_ballot(&api, &voter, &body, true).await?),
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct MyBallot {
    index: u64,
    status: BallotStatus,
}

async fn my_ballots(State(api): State<Arc<VoterApi>>, voter: Voter) -> Json<Vec<MyBallot>> {
    Json(
        api.board
            .ballots_of(voter.credential.bytes())
            .await
            .into_iter()
            .map(|(index, status)| MyBallot { index, status })
            .collect(),
    )
}

#[derive(Deserialize)]
struct ReceiptQuery {
    size: u64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ReceiptCheck {
    head: WitnessedHead,
    inclusion: InclusionProof,
    consistency: ConsistencyProof,
}

/// For a receipt (entry `index` under a head of `size`): the current witnessed head, the
/// entry's inclusion under it, and the consistency of `size` with it.
async fn receipt_check(
    State(api): State<Arc<VoterApi>>,
    Path(index): Path<u64>,
    Query(q): Query<ReceiptQuery>,
) -> Result<Json<ReceiptCheck>, Problem> {
    let head = api
        .board
        .witnessed_head()
        .await?
        .ok_or_else(|| Problem::not_found("no head yet"))?;
    let now = head.signed.head.size;
    if q.size > now || index >= q.size {
        return Err(Problem::malformed(format!(
            "need index < size ≤ {now}, the current head's size"
        )));
    }
    let store = api.board.store();
    Ok(Json(ReceiptCheck {
        inclusion: store.inclusion_proof(index, now).await?,
        consistency: store.consistency_proof(q.size, now).await?,
        head,
    }))
}
