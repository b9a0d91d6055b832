//! The API's documentation: `GET /openapi.json` (OpenAPI 3.1) and a docs page at `/docs`
//! that works offline (Swagger UI, vendored).
//!
//! The document is built from [`ROUTES`], one row per route: method, path, who may call it,
//! what it does, what it takes and what it answers. A test reads every `.route(…)` in this
//! crate's source and fails if one is missing here, and calls every row through the whole
//! service to check it exists; so the document cannot drift from the code.

use axum::Router;
use utoipa::openapi::path::{OperationBuilder, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ArrayBuilder, ComponentsBuilder, ContentBuilder, HttpMethod, InfoBuilder, ObjectBuilder,
    OpenApi, OpenApiBuilder, PathsBuilder, Ref, Required, ResponseBuilder, Type,
};

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    /// Anyone.
    Public,
    /// A voter's session (`Authorization: Bearer`, from `/v1/voter/session`).
    Voter,
    /// A voter's session whose holder is an accepted candidate.
    Candidate,
    /// An official's session with one of these roles (from `/v1/official/session`).
    Official(&'static str),
    /// A citizen, by a fresh identity assertion in the body.
    Citizen,
    /// A signed entry's author (the board's gate checks role and phase).
    Author,
    /// Development only.
    Development,
}

/// One route.
#[derive(Clone, Copy, Debug)]
pub struct RouteDoc {
    /// `GET`, `POST` or `PUT`.
    pub method: &'static str,
    /// The path, with `{parameters}`.
    pub path: &'static str,
    /// The group it belongs to.
    pub tag: &'static str,
    /// Who may call it.
    pub auth: Auth,
    /// What it does.
    pub summary: &'static str,
    /// What the body holds, if it takes one.
    pub body: Option<&'static str>,
    /// The success status.
    pub ok: u16,
}

/// The typed bodies: `(method, path, request schema, response schema)`, the schemas being
/// components of the document (`Name[]`: an array of them). Routes absent here, or with
/// `None`, take or answer raw bytes: canonical signed entries (election.md §5), NDJSON pages
/// of entries, attachments, metrics.
#[rustfmt::skip]
pub const SCHEMAS: &[(&str, &str, Option<&str>, Option<&str>)] = &[
    ("GET", "/v1/election", None, Some("ElectionView")),
    ("GET", "/v1/board/head", None, Some("WitnessedHead")),
    ("GET", "/v1/board/heads/{size}", None, Some("WitnessedHead")),
    ("POST", "/v1/board/heads/{size}/cosignatures", Some("Cosignature"), None),
    ("POST", "/v1/board/entries", None, Some("Appended")),
    ("GET", "/v1/board/proofs/inclusion", None, Some("InclusionProof")),
    ("GET", "/v1/board/proofs/consistency", None, Some("ConsistencyProof")),
    ("POST", "/v1/board/attachments", None, Some("Stored")),
    ("POST", "/v1/voter/challenge", Some("ChallengeRequest"), Some("Challenge")),
    ("POST", "/v1/voter/session", Some("Answer"), Some("Session")),
    ("GET", "/v1/voter/ballot-style", None, Some("BallotStyle")),
    ("POST", "/v1/voter/ballots", None, Some("Receipt")),
    ("GET", "/v1/voter/ballots", None, Some("MyBallot[]")),
    ("POST", "/v1/voter/audits", None, Some("Receipt")),
    ("GET", "/v1/receipts/{index}", None, Some("ReceiptCheck")),
    ("GET", "/v1/ballot-styles/{wilayat}", None, Some("BallotStyle")),
    ("POST", "/v1/registry/enrolments", Some("SignedAssertion"), Some("Enrolled")),
    ("POST", "/v1/registry/registration", Some("Authenticated"), Some("Registration")),
    ("POST", "/v1/registry/registrations", Some("RegisterRequest"), Some("Change")),
    ("POST", "/v1/registry/objections", Some("ObjectionRequest"), Some("Created")),
    ("POST", "/v1/registry/inclusion", Some("Authenticated"), Some("InclusionAnswer")),
    ("POST", "/v1/registry/applications", Some("ApplicationRequest"), Some("Created")),
    ("POST", "/v1/registry/applications/{id}/appeal", Some("Authenticated"), Some("ApplicationStatus")),
    ("POST", "/v1/registry/applications/{id}/withdraw", Some("Authenticated"), Some("ApplicationStatus")),
    ("GET", "/v1/registry/lists", None, Some("FinalList[]")),
    ("GET", "/v1/registry/counts", None, Some("Counts")),
    ("GET", "/v1/registry/candidates", None, Some("CandidateLists")),
    ("POST", "/v1/dev/identity", Some("DevIdentityRequest"), Some("SignedAssertion")),
    ("PUT", "/v1/candidate/page", Some("Page"), Some("PagePublished")),
    ("POST", "/v1/candidate/posts", Some("NewPost"), Some("Created")),
    ("POST", "/v1/candidate/questions/{id}/answer", Some("AnswerRequest"), Some("Created")),
    ("GET", "/v1/candidates/{id}/page", None, Some("PageVersion")),
    ("GET", "/v1/candidates/{id}/page/versions", None, Some("PageVersion[]")),
    ("GET", "/v1/candidates/{id}/posts", None, Some("PostView[]")),
    ("GET", "/v1/candidates/{id}/questions", None, Some("QuestionView[]")),
    ("POST", "/v1/candidates/{id}/questions", Some("NewQuestion"), Some("Created")),
    ("POST", "/v1/reports", Some("NewReport"), Some("Created")),
    ("POST", "/v1/suggestions", Some("NewSuggestion"), Some("Tracking")),
    ("GET", "/v1/suggestions/{tracking}", None, Some("Suggestion")),
    ("GET", "/v1/stats/turnout", None, Some("Turnout")),
    ("GET", "/v1/results", None, Some("Results")),
    ("POST", "/v1/official/challenge", Some("OfficialChallengeRequest"), Some("Challenge")),
    ("POST", "/v1/official/session", Some("Answer"), Some("OfficialSession")),
    ("GET", "/v1/official/objections", None, Some("ObjectionView[]")),
    ("POST", "/v1/official/objections/{id}/ruling", Some("RulingRequest"), Some("RulingAnswer")),
    ("GET", "/v1/official/voter-lists/{wilayat}", None, Some("ListedVoter[]")),
    ("POST", "/v1/official/lists/freeze", None, Some("FinalList[]")),
    ("GET", "/v1/official/applications", None, Some("ApplicationView[]")),
    ("POST", "/v1/official/applications/{id}/review", Some("Verdict"), Some("ApplicationStatus")),
    ("POST", "/v1/official/applications/{id}/appeal-decision", Some("AppealDecision"), Some("ApplicationStatus")),
    ("GET", "/v1/official/decisions/{subject}", None, Some("Decision[]")),
    ("GET", "/v1/official/suggestions", None, Some("Suggestion[]")),
    ("POST", "/v1/official/suggestions/{tracking}/reply", Some("ReplyRequest"), Some("Suggestion")),
    ("GET", "/v1/official/reports", None, Some("ReportView[]")),
    ("POST", "/v1/official/reports/{id}", Some("ReportDecision"), Some("ReportDecided")),
];

/// The content schema of a name in [`SCHEMAS`]: a reference, or an array of references.
fn schema_of(name: &str) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    match name.strip_suffix("[]") {
        Some(item) => ArrayBuilder::new()
            .items(Ref::from_schema_name(item))
            .build()
            .into(),
        None => Ref::from_schema_name(name).into(),
    }
}

/// Adds `T`'s schema and every schema it refers to.
fn with<T: utoipa::ToSchema>(c: ComponentsBuilder) -> ComponentsBuilder {
    let mut nested = Vec::new();
    T::schemas(&mut nested);
    c.schema_from::<T>().schemas_from_iter(nested)
}

const fn r(
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    auth: Auth,
    summary: &'static str,
    body: Option<&'static str>,
    ok: u16,
) -> RouteDoc {
    RouteDoc {
        method,
        path,
        tag,
        auth,
        summary,
        body,
        ok,
    }
}

use Auth::*;

/// Every route of the service.
#[rustfmt::skip]
pub const ROUTES: &[RouteDoc] = &[
    // Operations.
    r("GET", "/healthz", "operations", Public, "The process answers.", None, 200),
    r("GET", "/readyz", "operations", Public, "The database answers and the board has its manifest.", None, 200),
    r("GET", "/metrics", "operations", Public, "Prometheus metrics: requests, latency, ballots by outcome, board size.", None, 200),
    r("GET", "/openapi.json", "operations", Public, "This document.", None, 200),
    r("GET", "/v1/election", "public", Public, "The election: identifier, manifest, windows as extended, the phase now.", None, 200),
    // The board (observers; authors post signed entries).
    r("GET", "/v1/board/head", "board", Public, "The latest signed tree head with its witnesses' cosignatures; with ?covering=I, a head covering entry I, with ?fresh=true one of the committed size (signed on demand).", None, 200),
    r("GET", "/v1/board/heads/{size}", "board", Public, "The head of that size with its cosignatures.", None, 200),
    r("POST", "/v1/board/heads/{size}/cosignatures", "board", Public, "A witness's cosignature of that head.", Some("a cosignature"), 204),
    r("GET", "/v1/board/entries", "board", Public, "Entries [start, start + limit) as NDJSON (limit ≤ 1,000).", None, 200),
    r("POST", "/v1/board/entries", "board", Author, "Submit a signed entry (canonical bytes): trustees, mixers, the authority and the registrar post here.", Some("a signed entry, canonical JSON"), 201),
    r("GET", "/v1/board/entries/{index}", "board", Public, "One entry.", None, 200),
    r("GET", "/v1/board/entries/by-hash/{sha256}", "board", Public, "One entry by the SHA-256 of its bytes.", None, 200),
    r("GET", "/v1/board/proofs/inclusion", "board", Public, "An inclusion proof (?index=&size=).", None, 200),
    r("GET", "/v1/board/proofs/consistency", "board", Public, "A consistency proof (?old=&new=).", None, 200),
    r("POST", "/v1/board/attachments", "board", Author, "Store bytes an entry will bind by hash (?format=; ≤ 128 MiB).", Some("the bytes"), 201),
    r("GET", "/v1/board/attachments/{sha256}", "board", Public, "An attachment's bytes.", None, 200),
    // Voters.
    r("POST", "/v1/voter/challenge", "voters", Public, "A challenge for an enrolled credential to sign.", Some("{\"credential\"}"), 200),
    r("POST", "/v1/voter/session", "voters", Public, "Open a 15-minute session with the signed challenge.", Some("the challenge and its signature"), 200),
    r("GET", "/v1/voter/ballot-style", "voters", Voter, "The ballot style of the credential's contest.", None, 200),
    r("POST", "/v1/voter/ballots", "voters", Voter, "Cast: a signed ballot entry; the receipt once durable (tracking code, index, signed head, inclusion proof).", Some("a signed ballot entry, canonical JSON"), 201),
    r("GET", "/v1/voter/ballots", "voters", Voter, "The credential's ballots: counted, superseded or audited.", None, 200),
    r("POST", "/v1/voter/audits", "voters", Voter, "Audit (Benaloh): a signed audited-ballot entry, published, never counted.", Some("a signed audited-ballot entry"), 201),
    r("GET", "/v1/receipts/{index}", "voters", Public, "A receipt checked now: inclusion under the current head, consistency from ?size=.", None, 200),
    r("GET", "/v1/ballot-styles/{wilayat}", "voters", Public, "A wilayat's ballot style.", None, 200),
    // The registry.
    r("POST", "/v1/registry/enrolments", "registry", Citizen, "Enrol the credential an identity assertion names (revoking an earlier one).", Some("a signed identity assertion"), 200),
    r("POST", "/v1/registry/registration", "registry", Citizen, "The citizen's registration.", Some("{\"assertion\"}"), 200),
    r("POST", "/v1/registry/registrations", "registry", Citizen, "Register in, or transfer to, a wilayat.", Some("{\"assertion\", \"wilayat\"}"), 200),
    r("POST", "/v1/registry/objections", "registry", Citizen, "Object to a preliminary voter list.", Some("{\"assertion\", \"objection\"}"), 200),
    r("POST", "/v1/registry/inclusion", "registry", Citizen, "The proof that the citizen is on their final list.", Some("{\"assertion\"}"), 200),
    r("POST", "/v1/registry/applications", "registry", Citizen, "Apply to stand as a candidate.", Some("{\"assertion\", \"application\"}"), 200),
    r("POST", "/v1/registry/applications/{id}/appeal", "registry", Citizen, "The applicant appeals a refusal.", Some("{\"assertion\"}"), 200),
    r("POST", "/v1/registry/applications/{id}/withdraw", "registry", Citizen, "The applicant withdraws.", Some("{\"assertion\"}"), 200),
    r("GET", "/v1/registry/lists", "registry", Public, "The final lists' counts and commitments, with their board entries.", None, 200),
    r("GET", "/v1/registry/counts", "registry", Public, "Registered voters and enrolled credentials per wilayat.", None, 200),
    r("GET", "/v1/registry/candidates", "registry", Public, "The candidate lists (preliminary until final).", None, 200),
    r("POST", "/v1/dev/identity", "registry", Development, "DEVELOPMENT ONLY: an identity assertion for anyone (only with --dev-identity-provider-key).", Some("{\"civil_number\", \"credential\"}"), 200),
    // Candidates and campaigning.
    r("PUT", "/v1/candidate/page", "campaign", Candidate, "Publish a new version of the candidate's page (campaign window only).", Some("the page"), 201),
    r("POST", "/v1/candidate/posts", "campaign", Candidate, "Publish a post.", Some("{\"text_ar\", \"text_en\"}"), 201),
    r("POST", "/v1/candidate/questions/{id}/answer", "campaign", Candidate, "Answer a question.", Some("{\"answer\"}"), 200),
    r("GET", "/v1/candidates/{id}/page", "campaign", Public, "A candidate's page (latest version).", None, 200),
    r("GET", "/v1/candidates/{id}/page/versions", "campaign", Public, "Every published version of a candidate's page.", None, 200),
    r("GET", "/v1/candidates/{id}/posts", "campaign", Public, "A candidate's posts.", None, 200),
    r("GET", "/v1/candidates/{id}/questions", "campaign", Public, "Questions to a candidate and the answers.", None, 200),
    r("POST", "/v1/candidates/{id}/questions", "campaign", Voter, "Ask a candidate of the voter's wilayat.", Some("{\"question\"}"), 201),
    r("POST", "/v1/reports", "campaign", Public, "Report a post or a question.", Some("{\"target\", \"id\", \"reason\"}"), 201),
    // Suggestions, statistics, results.
    r("POST", "/v1/suggestions", "public", Public, "Send a suggestion or report; its tracking number.", Some("{\"category\", \"subject\", \"body\"}"), 201),
    r("GET", "/v1/suggestions/{tracking}", "public", Public, "A suggestion's status and reply.", None, 200),
    r("GET", "/v1/stats/turnout", "public", Public, "Live turnout by wilayat, governorate, gender, age group and residence.", None, 200),
    r("GET", "/v1/results", "public", Public, "Each contest's status and result, with the board entries that prove it.", None, 200),
    // Officials.
    r("POST", "/v1/official/challenge", "officials", Public, "A challenge for an official's key.", Some("{\"key\"}"), 200),
    r("POST", "/v1/official/session", "officials", Public, "Open an official's session with the signed challenge.", Some("the challenge and its signature"), 200),
    r("GET", "/v1/official/objections", "officials", Official("registry-official"), "The objections (?undecided=true).", None, 200),
    r("POST", "/v1/official/objections/{id}/ruling", "officials", Official("registry-official"), "Rule on an objection.", Some("{\"ruling\", \"reason\"}"), 200),
    r("GET", "/v1/official/voter-lists/{wilayat}", "officials", Official("registry-official"), "A voter list with names (personal data).", None, 200),
    r("POST", "/v1/official/lists/freeze", "officials", Official("registry-official"), "Freeze the voter lists; their commitments go on the board.", None, 200),
    r("GET", "/v1/official/applications", "officials", Official("candidacy-committee, supreme-committee"), "The candidacy applications.", None, 200),
    r("POST", "/v1/official/applications/{id}/review", "officials", Official("candidacy-committee"), "Decide an application.", Some("a verdict"), 200),
    r("POST", "/v1/official/applications/{id}/appeal-decision", "officials", Official("supreme-committee"), "Decide an appeal.", Some("{\"upheld\", \"reason\"}"), 200),
    r("GET", "/v1/official/decisions/{subject}", "officials", Official("any"), "The trail of decisions about a subject.", None, 200),
    r("GET", "/v1/official/suggestions", "officials", Official("any"), "Suggestions and reports (?status=).", None, 200),
    r("POST", "/v1/official/suggestions/{tracking}/reply", "officials", Official("any"), "Reply to a suggestion and set its status.", Some("{\"reply\", \"status\"}"), 200),
    r("GET", "/v1/official/reports", "officials", Official("any"), "The moderation queue.", None, 200),
    r("POST", "/v1/official/reports/{id}", "officials", Official("any"), "Hide the reported content, or keep it.", Some("{\"hide\"}"), 200),
];

fn problem_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// The OpenAPI document.
pub fn document() -> OpenApi {
    let mut paths = PathsBuilder::new();
    for route in ROUTES {
        let method = match route.method {
            "GET" => HttpMethod::Get,
            "PUT" => HttpMethod::Put,
            _ => HttpMethod::Post,
        };
        let who = match route.auth {
            Public => "Anyone.".to_owned(),
            Voter => "A voter's session.".to_owned(),
            Candidate => "A candidate's voter session.".to_owned(),
            Official(roles) => format!("An official's session ({roles})."),
            Citizen => "A citizen, by a fresh identity assertion.".to_owned(),
            Author => "The signed entry's author (the board checks role and phase).".to_owned(),
            Development => "Development only.".to_owned(),
        };
        let mut op = OperationBuilder::new()
            .tag(route.tag)
            .summary(Some(route.summary))
            .description(Some(who))
            .response(route.ok.to_string(), {
                let typed = SCHEMAS
                    .iter()
                    .find(|(m, p, _, _)| *m == route.method && *p == route.path)
                    .and_then(|(_, _, _, response)| *response);
                let mut ok = ResponseBuilder::new().description("Success.");
                if let Some(name) = typed {
                    ok = ok.content(
                        "application/json",
                        ContentBuilder::new().schema(Some(schema_of(name))).build(),
                    );
                }
                ok.build()
            })
            .response("400", problem_response("Malformed (code `malformed`)."))
            .response("409", problem_response("Conflicts with the board's state (codes `refused`, `duplicate`) or a concurrent change (`conflict`)."))
            .response("413", problem_response("The body is too large."))
            .response(
                "422",
                problem_response("Refused by a rule; every rule named."),
            )
            .response(
                "429",
                problem_response("Rate-limited (code `rate-limited`)."),
            )
            .response(
                "500",
                problem_response("Internal (details logged, never returned)."),
            );
        match route.auth {
            Voter | Candidate => {
                op = op
                    .security(SecurityRequirement::new("voter", Vec::<String>::new()))
                    .response("401", problem_response("No valid session."))
                    .response(
                        "403",
                        problem_response(
                            "Not allowed (revoked credential, wrong role, outside the window).",
                        ),
                    );
            }
            Official(_) => {
                op = op
                    .security(SecurityRequirement::new("official", Vec::<String>::new()))
                    .response("401", problem_response("No valid session."))
                    .response("403", problem_response("Another role is needed."));
            }
            _ => {}
        }
        if route.path.contains('{') {
            op = op.response("404", problem_response("No such object."));
            for name in route
                .path
                .split('{')
                .skip(1)
                .filter_map(|s| s.split('}').next())
            {
                op = op.parameter(
                    ParameterBuilder::new()
                        .name(name)
                        .parameter_in(ParameterIn::Path)
                        .required(Required::True)
                        .schema(Some(ObjectBuilder::new().schema_type(Type::String))),
                );
            }
        }
        if let Some(body) = route.body {
            let typed = SCHEMAS
                .iter()
                .find(|(m, p, _, _)| *m == route.method && *p == route.path)
                .and_then(|(_, _, request, _)| *request);
            let content = match typed {
                Some(name) => ContentBuilder::new().schema(Some(schema_of(name))).build(),
                None => ContentBuilder::new().build(),
            };
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .description(Some(body))
                    .content("application/json", content)
                    .required(Some(Required::True))
                    .build(),
            ));
        }
        paths = paths.path(route.path, PathItem::new(method, op));
    }
    let bearer = || SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build());
    let mut components = ComponentsBuilder::new()
        .schema(
            "Problem",
            ObjectBuilder::new()
                .property("type", ObjectBuilder::new().schema_type(Type::String))
                .property("code", ObjectBuilder::new().schema_type(Type::String))
                .property("title", ObjectBuilder::new().schema_type(Type::String))
                .property("status", ObjectBuilder::new().schema_type(Type::Integer))
                .property("detail", ObjectBuilder::new().schema_type(Type::String))
                .required("code")
                .required("status")
                .required("detail"),
        )
        .security_scheme("voter", bearer())
        .security_scheme("official", bearer());
    components = bodies(components);
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Sawt")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "The end-to-end verifiable election service for Oman's Shura and municipal elections. \
                     Errors are problem details (RFC 9457) with a stable `code`.",
                ))
                .build(),
        )
        .paths(paths.build())
        .components(Some(components.build()))
        .build()
}

/// Every typed body's schema, with the schemas it refers to.
fn bodies(c: ComponentsBuilder) -> ComponentsBuilder {
    use crate::{campaign, election_api, http, official, registry, registry_api, results};
    use crate::{service, suggestions, voter};
    let c = with::<election_api::ElectionView>(c);
    let c = with::<sawt_board::head::WitnessedHead>(c);
    let c = with::<sawt_board::head::Cosignature>(c);
    let c = with::<service::Appended>(c);
    let c = with::<sawt_board::proof::InclusionProof>(c);
    let c = with::<sawt_board::proof::ConsistencyProof>(c);
    let c = with::<http::Stored>(c);
    let c = with::<voter::ChallengeRequest>(c);
    let c = with::<voter::session::Challenge>(c);
    let c = with::<voter::session::Answer>(c);
    let c = with::<voter::Session>(c);
    let c = with::<sawt_election::ballot::BallotStyle>(c);
    let c = with::<voter::Receipt>(c);
    let c = with::<voter::MyBallot>(c);
    let c = with::<voter::ReceiptCheck>(c);
    let c = with::<sawt_registry::identity::SignedAssertion>(c);
    let c = with::<registry::Enrolled>(c);
    let c = with::<registry_api::Authenticated>(c);
    let c = with::<registry::Registration>(c);
    let c = with::<registry_api::RegisterRequest>(c);
    let c = with::<sawt_registry::registration::Change>(c);
    let c = with::<registry_api::ObjectionRequest>(c);
    let c = with::<registry_api::Created>(c);
    let c = with::<registry_api::InclusionAnswer>(c);
    let c = with::<registry_api::ApplicationRequest>(c);
    let c = with::<registry_api::ApplicationStatus>(c);
    let c = with::<registry::FinalList>(c);
    let c = with::<registry_api::Counts>(c);
    let c = with::<registry_api::CandidateLists>(c);
    let c = with::<registry_api::DevIdentityRequest>(c);
    let c = with::<campaign::Page>(c);
    let c = with::<campaign::PagePublished>(c);
    let c = with::<campaign::NewPost>(c);
    let c = with::<campaign::AnswerRequest>(c);
    let c = with::<campaign::PageVersion>(c);
    let c = with::<campaign::PostView>(c);
    let c = with::<campaign::QuestionView>(c);
    let c = with::<campaign::NewQuestion>(c);
    let c = with::<campaign::NewReport>(c);
    let c = with::<suggestions::NewSuggestion>(c);
    let c = with::<suggestions::Tracking>(c);
    let c = with::<suggestions::Suggestion>(c);
    let c = with::<registry::Turnout>(c);
    let c = with::<results::Results>(c);
    let c = with::<official::OfficialChallengeRequest>(c);
    let c = with::<official::OfficialSession>(c);
    let c = with::<registry::ObjectionView>(c);
    let c = with::<official::RulingRequest>(c);
    let c = with::<official::RulingAnswer>(c);
    let c = with::<official::ListedVoter>(c);
    let c = with::<registry::ApplicationView>(c);
    let c = with::<sawt_registry::candidacy::Verdict>(c);
    let c = with::<official::AppealDecision>(c);
    let c = with::<official::Decision>(c);
    let c = with::<official::ReplyRequest>(c);
    let c = with::<campaign::ReportView>(c);
    let c = with::<official::ReportDecision>(c);
    with::<official::ReportDecided>(c)
}

/// `/openapi.json` and the offline docs page at `/docs`.
pub fn router() -> Router {
    Router::new().merge(utoipa_swagger_ui::SwaggerUi::new("/docs").url("/openapi.json", document()))
}
