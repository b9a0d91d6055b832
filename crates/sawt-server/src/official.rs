//! The officials' API (axum): registry officials, the candidacy committee and the Supreme
//! Elections Committee act through it, each with a key the configuration lists with its role
//! (`sawt_server::config::Official`). An official signs a challenge for a session, like a
//! voter's device does (with the officials' labels, `voter::session::Audience::Official`);
//! every decision then records the official's role and identifier.
//!
//! | method and path | role | what |
//! |---|---|---|
//! | `POST /v1/official/challenge` | — | `{"key"}` → a challenge, for a configured key |
//! | `POST /v1/official/session` | — | the signed challenge → `{"token", "role", "id"}` |
//! | `GET /v1/official/objections?undecided=` | registry official | the objections |
//! | `POST /v1/official/objections/{id}/ruling` | registry official | `{"ruling": "upheld"\|"dismissed", "reason"}` |
//! | `GET /v1/official/voter-lists/{wilayat}` | registry official | a list with names (personal data) |
//! | `POST /v1/official/lists/freeze` | registry official | freeze the lists; their commitments go on the board |
//! | `GET /v1/official/applications` | candidacy committee, Supreme Committee | the applications |
//! | `POST /v1/official/applications/{id}/review` | candidacy committee | a verdict |
//! | `POST /v1/official/applications/{id}/appeal-decision` | Supreme Committee | `{"upheld", "reason"}` |
//! | `GET /v1/official/decisions/{subject}` | any official | the trail of decisions about a subject |
//! | `GET /v1/official/suggestions?status=` | any official | suggestions and reports |
//! | `GET /v1/official/reports` | any official | the moderation queue: reports of posts and questions |
//! | `POST /v1/official/reports/{id}` | any official | `{"hide": bool}`: hide the content, or keep it |
//! | `POST /v1/official/suggestions/{tracking}/reply` | any official | `{"reply", "status"}` |
//!
//! Every route checks its role in [`Official::require`]; a session of another role gets
//! `403 forbidden`.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use sawt_election::geography::WilayatId;
use sawt_election::keys::PublicKeyHex;
use sawt_registry::candidacy::Verdict;
use sawt_registry::objection::Ruling;
use sawt_registry::registration::Change;
use sawt_registry::{Actor, Role};
use serde::{Deserialize, Serialize};

use crate::campaign::ReportView;
use crate::problem::Problem;
use crate::registry::{ApplicationView, FinalList, ObjectionView, Registry};
use crate::registry_api::ApplicationStatus;
use crate::service::Board;
use crate::suggestions::Suggestion;
use crate::voter::session::{Answer, Audience, Challenge, Sessions};

/// The officials' API state.
pub struct OfficialApi {
    suggestions: crate::suggestions::Suggestions,
    campaign: Arc<crate::campaign::CampaignApi>,
    board: Arc<Board>,
    registry: Arc<Registry>,
    sessions: Sessions,
    officials: Vec<(PublicKeyHex, Actor)>,
}

impl std::fmt::Debug for OfficialApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfficialApi").finish_non_exhaustive()
    }
}

impl OfficialApi {
    /// The API for these officials (from the configuration): each role must be
    /// `registry-official`, `candidacy-committee` or `supreme-committee`.
    pub fn new(
        board: Arc<Board>,
        registry: Arc<Registry>,
        campaign: Arc<crate::campaign::CampaignApi>,
        officials: &[crate::config::Official],
    ) -> Result<Arc<Self>, String> {
        let officials = officials
            .iter()
            .map(|o| {
                let role = Role::parse(&o.role)
                    .filter(|r| {
                        matches!(
                            r,
                            Role::RegistryOfficial
                                | Role::CandidacyCommittee
                                | Role::SupremeCommittee
                        )
                    })
                    .ok_or_else(|| format!("official {}: unknown role {:?}", o.id, o.role))?;
                let actor = Actor::new(role, &o.id)?;
                Ok((o.key.clone(), actor))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let sessions = Sessions::for_audience(board.election(), Audience::Official);
        Ok(Arc::new(OfficialApi {
            suggestions: crate::suggestions::Suggestions::new(board.clone()),
            campaign,
            board,
            registry,
            sessions,
            officials,
        }))
    }

    fn actor_of(&self, key: &PublicKeyHex) -> Option<&Actor> {
        self.officials
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, a)| a)
    }
}

/// The officials' routes.
pub fn router(api: Arc<OfficialApi>) -> Router {
    Router::new()
        .route("/v1/official/challenge", post(challenge))
        .route("/v1/official/session", post(open_session))
        .route("/v1/official/objections", get(objections))
        .route("/v1/official/objections/{id}/ruling", post(rule))
        .route("/v1/official/voter-lists/{wilayat}", get(voter_list))
        .route("/v1/official/lists/freeze", post(freeze))
        .route("/v1/official/applications", get(applications))
        .route("/v1/official/applications/{id}/review", post(review))
        .route(
            "/v1/official/applications/{id}/appeal-decision",
            post(appeal_decision),
        )
        .route("/v1/official/decisions/{subject}", get(decisions))
        .route("/v1/official/suggestions", get(suggestions))
        .route("/v1/official/reports", get(reports))
        .route("/v1/official/reports/{id}", post(decide_report))
        .route("/v1/official/suggestions/{tracking}/reply", post(reply))
        .with_state(api)
}

/// An authenticated official.
#[derive(Clone, Debug)]
pub struct Official(pub Actor);

impl Official {
    /// `Ok` if the official holds one of `roles`; else `403 forbidden`.
    pub fn require(&self, roles: &[Role]) -> Result<&Actor, Problem> {
        if roles.contains(&self.0.role) {
            Ok(&self.0)
        } else {
            Err(Problem::forbidden(format!(
                "this needs the role {}",
                roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(" or ")
            )))
        }
    }
}

impl FromRequestParts<Arc<OfficialApi>> for Official {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        api: &Arc<OfficialApi>,
    ) -> Result<Self, Problem> {
        let token = crate::voter::session::bearer_token(&parts.headers)
            .ok_or_else(|| Problem::unauthenticated("an official's session is required"))?;
        let key = api
            .sessions
            .check(token, api.board.clock().now_ms())
            .map_err(|e| Problem::unauthenticated(e.to_string()))?;
        let actor = api
            .actor_of(&key)
            .ok_or_else(|| Problem::forbidden("this key is no longer an official's"))?;
        Ok(Official(actor.clone()))
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OfficialChallengeRequest {
    key: PublicKeyHex,
}

/// An official's session.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct OfficialSession {
    /// The bearer token.
    token: String,
    /// Until when, ms since the epoch.
    expires_ms: u64,
    /// The official's role.
    role: Role,
    /// The official's identifier within the role.
    id: String,
}

/// What a ruling changed on the lists, if anything.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct RulingAnswer {
    /// The change (none when the objection is dismissed).
    change: Option<Change>,
}

/// A voter on a list, with personal data (registry officials only).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ListedVoter {
    /// The civil number.
    civil_number: String,
    /// The name in Arabic.
    name_ar: String,
    /// The name in English.
    name_en: String,
}

/// One decision in the trail.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Decision {
    /// When, ms since the epoch.
    at_ms: u64,
    /// Who.
    actor: Actor,
    /// What.
    action: String,
    /// Its details (never personal data).
    detail: String,
}

/// A report decided.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ReportDecided {
    /// The report.
    id: u64,
    /// Whether the content is now hidden.
    hidden: bool,
}

async fn challenge(
    State(api): State<Arc<OfficialApi>>,
    Json(req): Json<OfficialChallengeRequest>,
) -> Result<Json<Challenge>, Problem> {
    if api.actor_of(&req.key).is_none() {
        return Err(Problem::forbidden("not an official's key"));
    }
    Ok(Json(
        api.sessions.challenge(req.key, api.board.clock().now_ms()),
    ))
}

async fn open_session(
    State(api): State<Arc<OfficialApi>>,
    Json(answer): Json<Answer>,
) -> Result<Json<OfficialSession>, Problem> {
    let actor = api
        .actor_of(&answer.challenge.credential)
        .ok_or_else(|| Problem::forbidden("not an official's key"))?
        .clone();
    let (token, expires_ms) = api
        .sessions
        .open(&answer, api.board.clock().now_ms())
        .map_err(|e| Problem::unauthenticated(e.to_string()))?;
    Ok(Json(OfficialSession {
        token,
        expires_ms,
        role: actor.role,
        id: actor.id,
    }))
}

#[derive(Deserialize)]
struct ObjectionsQuery {
    #[serde(default)]
    undecided: bool,
}

async fn objections(
    State(api): State<Arc<OfficialApi>>,
    official: Official,
    Query(q): Query<ObjectionsQuery>,
) -> Result<Json<Vec<ObjectionView>>, Problem> {
    official.require(&[Role::RegistryOfficial])?;
    Ok(Json(api.registry.objections(q.undecided).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RulingRequest {
    ruling: Ruling,
    reason: String,
}

async fn rule(
    State(api): State<Arc<OfficialApi>>,
    official: Official,
    Path(id): Path<u64>,
    Json(req): Json<RulingRequest>,
) -> Result<Json<RulingAnswer>, Problem> {
    let by = official.require(&[Role::RegistryOfficial])?;
    let change = api
        .registry
        .decide_objection(id, req.ruling, &req.reason, by)
        .await?;
    Ok(Json(RulingAnswer { change }))
}

async fn voter_list(
    State(api): State<Arc<OfficialApi>>,
    official: Official,
    Path(wilayat): Path<String>,
) -> Result<Json<Vec<ListedVoter>>, Problem> {
    official.require(&[Role::RegistryOfficial])?;
    let list = api.registry.voter_list(&WilayatId(wilayat)).await?;
    Ok(Json(
        list.into_iter()
            .map(|(c, name_ar, name_en)| ListedVoter {
                civil_number: c.expose().to_owned(),
                name_ar,
                name_en,
            })
            .collect(),
    ))
}

async fn freeze(
    State(api): State<Arc<OfficialApi>>,
    official: Official,
) -> Result<Json<Vec<FinalList>>, Problem> {
    let by = official.require(&[Role::RegistryOfficial])?;
    Ok(Json(api.registry.freeze(by).await?))
}

async fn applications(
    State(api): State<Arc<OfficialApi>>,
    official: Official,
) -> Result<Json<Vec<ApplicationView>>, Problem> {
    official.require(&[Role::CandidacyCommittee, Role::SupremeCommittee])?;
    Ok(Json(api.registry.applications().await?))
}

async fn review(
    State(api): State<Arc<OfficialApi>>,
    official: Official,
    Path(id): Path<u64>,
    Json(verdict): Json<Verdict>,
) -> Result<Json<ApplicationStatus>, Problem> {
    let by = official.require(&[Role::CandidacyCommittee])?;
    Ok(Json(ApplicationStatus {
        status: api.registry.review(id, &verdict, by).await?,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AppealDecision {
    upheld: bool,
    reason: String,
}

async fn appeal_decision(
    State(api): State<Arc<OfficialApi>>,
    official: Official,
    Path(id): Path<u64>,
    Json(req): Json<AppealDecision>,
) -> Result<Json<ApplicationStatus>, Problem> {
    let by = official.require(&[Role::SupremeCommittee])?;
    let status = api
        .registry
        .decide_appeal(id, req.upheld, &req.reason, by)
        .await?;
    Ok(Json(ApplicationStatus { status }))
}

async fn decisions(
    State(api): State<Arc<OfficialApi>>,
    official: Official,
    Path(subject): Path<String>,
) -> Result<Json<Vec<Decision>>, Problem> {
    official.require(&[
        Role::RegistryOfficial,
        Role::CandidacyCommittee,
        Role::SupremeCommittee,
    ])?;
    let trail = api.registry.decisions(&subject).await?;
    Ok(Json(
        trail
            .into_iter()
            .map(|(at_ms, actor, action, detail)| Decision {
                at_ms,
                actor,
                action,
                detail,
            })
            .collect(),
    ))
}

const ANY: [Role; 3] = [
    Role::RegistryOfficial,
    Role::CandidacyCommittee,
    Role::SupremeCommittee,
];

#[derive(Deserialize)]
struct SuggestionsQuery {
    status: Option<String>,
}

async fn suggestions(
    State(api): State<Arc<OfficialApi>>,
    official: Official,
    Query(q): Query<SuggestionsQuery>,
) -> Result<Json<Vec<Suggestion>>, Problem> {
    official.require(&ANY)?;
    Ok(Json(api.suggestions.list(q.status.as_deref()).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReplyRequest {
    reply: String,
    status: String,
}

async fn reply(
    State(api): State<Arc<OfficialApi>>,
    official: Official,
    Path(tracking): Path<String>,
    Json(req): Json<ReplyRequest>,
) -> Result<Json<Suggestion>, Problem> {
    let by = official.require(&ANY)?;
    Ok(Json(
        api.suggestions
            .reply(&tracking, &req.reply, &req.status, by)
            .await?,
    ))
}

async fn reports(
    State(api): State<Arc<OfficialApi>>,
    official: Official,
) -> Result<Json<Vec<ReportView>>, Problem> {
    official.require(&ANY)?;
    Ok(Json(api.campaign.open_reports().await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportDecision {
    hide: bool,
}

async fn decide_report(
    State(api): State<Arc<OfficialApi>>,
    official: Official,
    Path(id): Path<u64>,
    Json(d): Json<ReportDecision>,
) -> Result<Json<ReportDecided>, Problem> {
    let by = official.require(&ANY)?;
    api.campaign
        .decide_report(id, d.hide, &format!("{}:{}", by.role.as_str(), by.id))
        .await?;
    Ok(Json(ReportDecided { id, hidden: d.hide }))
}
