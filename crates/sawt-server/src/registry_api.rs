//! The registry's HTTP API (axum): what a citizen's app and the public ask of the registry.
//!
//! A citizen proves who they are with a fresh identity assertion from a trusted provider
//! (`protocol-spec/registry.md` §7; ID-card NFC and face match on the device and at the
//! provider): each request carries its own, and each assertion is accepted once. The
//! enrolment request *is* an assertion, bound to the device credential it enrols.
//!
//! | method and path | who | what |
//! |---|---|---|
//! | `POST /v1/registry/enrolments` | citizen | body: a signed assertion; enrols its credential on the board (revoking an earlier one) |
//! | `POST /v1/registry/registration` | citizen | `{"assertion"}`: the citizen's registration |
//! | `POST /v1/registry/registrations` | citizen | `{"assertion", "wilayat"}`: register, or transfer, there |
//! | `POST /v1/registry/objections` | citizen | `{"assertion", "objection"}`: object to a preliminary list; answers its number |
//! | `POST /v1/registry/inclusion` | citizen | `{"assertion"}`: the proof that the citizen is on their final list |
//! | `POST /v1/registry/applications` | citizen | `{"assertion", "application"}`: stand as a candidate; answers its number |
//! | `POST /v1/registry/applications/{id}/appeal` | applicant | `{"assertion"}` |
//! | `POST /v1/registry/applications/{id}/withdraw` | applicant | `{"assertion"}` |
//! | `GET /v1/registry/lists` | anyone | the final lists' counts and commitments (with their board entries) |
//! | `GET /v1/registry/counts` | anyone | registered voters and enrolled credentials per wilayat now |
//! | `GET /v1/registry/candidates` | anyone | the candidate lists (preliminary until final) |
//! | `GET /v1/stats/turnout` | anyone | live turnout by wilayat, governorate, gender, age group and residence (at most 5 s old) |
//! | `POST /v1/dev/identity` | development only | `{"civil_number", "credential"}`: an assertion from the development identity provider |
//!
//! Errors are problem details (`crate::problem`): a refusal is `422 refused-by-rule` with
//! `refusals: [{"rule", "reason"}…]`; a malformed request 400; an unknown object 404; a
//! concurrent change or a board conflict 409; storage failures 500 (details logged, never
//! personal data).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use sawt_election::geography::WilayatId;
use sawt_election::keys::PublicKeyHex;
use sawt_registry::CivilNumber;
use sawt_registry::candidacy::Application;
use sawt_registry::identity::{IdentityProvider, SignedAssertion};
use sawt_registry::objection::Objection;
use std::collections::BTreeMap;

use sawt_registry::candidacy::Status;
use sawt_registry::commitment::Inclusion;
use sawt_registry::registration::Change;
use serde::{Deserialize, Serialize};

use crate::registry::{
    CandidateListView, Enrolled, FinalList, Registration, Registry, RegistryError, Turnout,
};

/// The registry API's state: the registry, and the development identity provider if one is
/// configured (never in production).
#[derive(Clone)]
pub struct RegistryApi {
    /// The registry.
    pub registry: Arc<Registry>,
    /// The development identity provider, if enabled.
    pub dev_identity: Option<Arc<IdentityProvider>>,
}

/// The registry API's routes.
pub fn router(api: RegistryApi) -> Router {
    let mut r = Router::new()
        .route("/v1/registry/enrolments", post(enrol))
        .route("/v1/registry/registration", post(registration))
        .route("/v1/registry/registrations", post(register))
        .route("/v1/registry/objections", post(object))
        .route("/v1/registry/inclusion", post(inclusion))
        .route("/v1/registry/applications", post(apply))
        .route("/v1/registry/applications/{id}/appeal", post(appeal))
        .route("/v1/registry/applications/{id}/withdraw", post(withdraw))
        .route("/v1/registry/lists", get(lists))
        .route("/v1/registry/counts", get(counts))
        .route("/v1/registry/candidates", get(candidates))
        .route("/v1/stats/turnout", get(turnout));
    if api.dev_identity.is_some() {
        r = r.route("/v1/dev/identity", post(dev_identity));
    }
    r.with_state(api)
}

/// A registry error as an HTTP response.
pub struct RegistryApiError(RegistryError);

impl From<RegistryError> for RegistryApiError {
    fn from(e: RegistryError) -> Self {
        RegistryApiError(e)
    }
}

impl IntoResponse for RegistryApiError {
    fn into_response(self) -> Response {
        crate::problem::Problem::from(self.0).into_response()
    }
}

type ApiResult<T> = Result<Json<T>, RegistryApiError>;

/// A new object's number.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Created {
    /// Its number.
    pub id: u64,
}

/// An application's state after the request.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ApplicationStatus {
    /// Its state.
    pub status: Status,
}

/// A voter's proof of inclusion and the list it is for.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct InclusionAnswer {
    /// The proof (registry.md §6).
    pub inclusion: Inclusion,
    /// The list: its size, root and `roll-count` entry.
    pub list: FinalList,
}

/// Registered voters and enrolled credentials per wilayat.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Counts {
    /// Registered voters on the lists, by wilayat.
    pub registered: BTreeMap<String, u64>,
    /// Enrolled, unrevoked credentials, by wilayat.
    pub enrolled: BTreeMap<String, u64>,
}

/// The candidate lists.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct CandidateLists {
    /// Whether these are the final lists (else the accepted candidates so far).
    #[serde(rename = "final")]
    pub final_lists: bool,
    /// Each contest's list.
    pub contests: Vec<CandidateListView>,
}

/// A request that carries only the citizen's assertion.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Authenticated {
    assertion: SignedAssertion,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegisterRequest {
    assertion: SignedAssertion,
    wilayat: WilayatId,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ObjectionRequest {
    assertion: SignedAssertion,
    objection: Objection,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApplicationRequest {
    assertion: SignedAssertion,
    application: Application,
}

async fn enrol(
    State(api): State<RegistryApi>,
    Json(a): Json<SignedAssertion>,
) -> ApiResult<Enrolled> {
    Ok(Json(api.registry.enrol(&a).await?))
}

async fn registration(
    State(api): State<RegistryApi>,
    Json(req): Json<Authenticated>,
) -> ApiResult<Registration> {
    let civil = api.registry.authenticate(&req.assertion).await?;
    Ok(Json(api.registry.registration(&civil).await?))
}

async fn register(
    State(api): State<RegistryApi>,
    Json(req): Json<RegisterRequest>,
) -> ApiResult<Change> {
    let civil = api.registry.authenticate(&req.assertion).await?;
    Ok(Json(api.registry.register(&civil, &req.wilayat).await?))
}

async fn object(
    State(api): State<RegistryApi>,
    Json(req): Json<ObjectionRequest>,
) -> ApiResult<Created> {
    let civil = api.registry.authenticate(&req.assertion).await?;
    Ok(Json(Created {
        id: api.registry.file_objection(&civil, &req.objection).await?,
    }))
}

async fn inclusion(
    State(api): State<RegistryApi>,
    Json(req): Json<Authenticated>,
) -> ApiResult<InclusionAnswer> {
    let civil = api.registry.authenticate(&req.assertion).await?;
    let (inclusion, list) = api.registry.inclusion(&civil).await?;
    Ok(Json(InclusionAnswer { inclusion, list }))
}

async fn apply(
    State(api): State<RegistryApi>,
    Json(req): Json<ApplicationRequest>,
) -> ApiResult<Created> {
    let civil = api.registry.authenticate(&req.assertion).await?;
    Ok(Json(Created {
        id: api.registry.apply(&civil, &req.application).await?,
    }))
}

async fn appeal(
    State(api): State<RegistryApi>,
    Path(id): Path<u64>,
    Json(req): Json<Authenticated>,
) -> ApiResult<ApplicationStatus> {
    let civil = api.registry.authenticate(&req.assertion).await?;
    Ok(Json(ApplicationStatus {
        status: api.registry.appeal(id, &civil).await?,
    }))
}

async fn withdraw(
    State(api): State<RegistryApi>,
    Path(id): Path<u64>,
    Json(req): Json<Authenticated>,
) -> ApiResult<ApplicationStatus> {
    let civil = api.registry.authenticate(&req.assertion).await?;
    Ok(Json(ApplicationStatus {
        status: api.registry.withdraw(id, &civil).await?,
    }))
}

async fn lists(State(api): State<RegistryApi>) -> ApiResult<Vec<FinalList>> {
    Ok(Json(api.registry.final_lists().await?))
}

async fn counts(State(api): State<RegistryApi>) -> ApiResult<Counts> {
    let registered = api.registry.list_counts().await?;
    let enrolled = api.registry.enrolment_counts().await?;
    let map = |v: Vec<(WilayatId, u64)>| v.into_iter().map(|(w, n)| (w.0, n)).collect();
    Ok(Json(Counts {
        registered: map(registered),
        enrolled: map(enrolled),
    }))
}

/// Live turnout, at most five seconds old.
async fn turnout(State(api): State<RegistryApi>) -> ApiResult<Turnout> {
    Ok(Json(api.registry.turnout_cached(5_000).await?))
}

async fn candidates(State(api): State<RegistryApi>) -> ApiResult<CandidateLists> {
    let (lists, final_lists) = match api.registry.candidate_lists(true).await {
        Ok(l) => (l, true),
        Err(RegistryError::Refused(_)) => (api.registry.candidate_lists(false).await?, false),
        Err(e) => return Err(e.into()),
    };
    Ok(Json(CandidateLists {
        final_lists,
        contests: lists,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DevIdentityRequest {
    civil_number: CivilNumber,
    credential: PublicKeyHex,
}

async fn dev_identity(
    State(api): State<RegistryApi>,
    Json(req): Json<DevIdentityRequest>,
) -> ApiResult<SignedAssertion> {
    let Some(idp) = &api.dev_identity else {
        return Err(RegistryError::NotFound("development identity provider".into()).into());
    };
    tracing::warn!(
        "DEVELOPMENT IDENTITY PROVIDER: issuing an identity assertion without any identity check"
    );
    let mut rng = sawt_crypto::rng::os_rng();
    let signed = idp
        .assert(
            api.registry.board().election(),
            req.civil_number,
            req.credential,
            api.registry.board().clock().now_ms(),
            &mut rng,
        )
        .map_err(RegistryError::from)?;
    Ok(Json(signed))
}
