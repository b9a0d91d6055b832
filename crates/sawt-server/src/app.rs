//! The whole HTTP service: every API behind one set of protections, and the operations
//! endpoints.
//!
//! | layer (outermost first) | what |
//! |---|---|
//! | metrics | every request counted and timed by route and status (`/metrics`) |
//! | rate limit per address | `limits.per_address_per_s` (bursts of twice as many); `429 rate-limited` |
//! | CORS | only the configured origins (none: no cross-origin access) |
//! | timeout | `limits.request_timeout_ms`; `503` |
//! | body limit | `limits.body_bytes` (attachment uploads: 128 MiB); `413` |
//!
//! Operations: `GET /healthz` (the process answers), `GET /readyz` (the database answers and
//! the board has its manifest), `GET /metrics` (Prometheus text: requests, latency, ballots
//! accepted and refused by code, board size).

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::TimeoutLayer;

use crate::config::Limits;
use crate::problem::Problem;
use crate::registry_api::RegistryApi;
use crate::service::Board;
use crate::voter::VoterApi;

/// What the service is made of.
pub struct Parts {
    /// The board.
    pub board: Arc<Board>,
    /// The registry's API, if this server runs the registry.
    pub registry: Option<RegistryApi>,
    /// Limits.
    pub limits: Limits,
    /// Origins browsers may call from.
    pub cors_origins: Vec<String>,
    /// The officials and their roles (served only with the registry).
    pub officials: Vec<crate::config::Official>,
}

/// The Prometheus recorder, installed once per process.
fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (a test harness); then this handle
        // renders only what it sees, which is still a valid exposition.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// The service's router, with its protections. Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()` so that limits apply per address.
pub fn app(parts: Parts) -> Result<Router, String> {
    let limits = parts.limits;
    let voters = VoterApi::with_limit(parts.board.clone(), limits.per_credential_per_min);
    let mut router = crate::http::router(parts.board.clone())
        .merge(crate::voter::router(voters.clone()))
        .merge(crate::results::router(parts.board.clone()))
        .merge(crate::openapi::router())
        .merge(crate::election_api::router(parts.board.clone()))
        .merge(crate::suggestions::router(
            crate::suggestions::Suggestions::new(parts.board.clone()),
        ))
        .merge(
            Router::new()
                .route("/healthz", get(healthz))
                .route("/readyz", get(readyz))
                .route("/metrics", get(metrics_text))
                .with_state(parts.board.clone()),
        );
    if let Some(api) = parts.registry {
        let campaign =
            crate::campaign::CampaignApi::new(parts.board.clone(), api.registry.clone(), voters);
        router = router.merge(crate::campaign::router(campaign.clone()));
        if !parts.officials.is_empty() {
            let officials = crate::official::OfficialApi::new(
                parts.board.clone(),
                api.registry.clone(),
                campaign,
                &parts.officials,
            )?;
            router = router.merge(crate::official::router(officials));
        }
        router = router.merge(crate::registry_api::router(api));
    }
    router = router
        .layer(axum::extract::DefaultBodyLimit::max(limits.body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_millis(limits.request_timeout_ms.max(1)),
        ));
    if !parts.cors_origins.is_empty() {
        let origins = parts
            .cors_origins
            .iter()
            .map(|o| {
                HeaderValue::from_str(o)
                    .map_err(|_| format!("CORS origin {o:?} is not a header value"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        router = router.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION]),
        );
    }
    let per_address = NonZeroU32::new(limits.per_address_per_s.max(1)).expect("at least 1");
    let limiter: Arc<DefaultKeyedRateLimiter<IpAddr>> = Arc::new(RateLimiter::keyed(
        Quota::per_second(per_address)
            .allow_burst(per_address.saturating_mul(NonZeroU32::new(2).expect("2"))),
    ));
    prometheus();
    Ok(router
        .layer(middleware::from_fn(problems_only))
        .layer(middleware::from_fn_with_state(limiter, limit_per_address))
        .layer(middleware::from_fn(record_metrics)))
}

/// Every error is a problem detail: an error response that is not one already (axum's own
/// rejections of a malformed or oversized body, an unknown route, a wrong method, a
/// timeout) is replaced by one with a code for its status. Its plain-text detail is kept
/// only when short and free of control characters; never a trace or SQL.
async fn problems_only(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("application/problem+json")
        || content_type.starts_with("application/json")
    {
        return response;
    }
    let code = match status {
        StatusCode::NOT_FOUND => "not-found",
        StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too-large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => "malformed",
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT => "timeout",
        s if s.is_server_error() => "internal",
        _ => "client-error",
    };
    let detail = axum::body::to_bytes(response.into_body(), 1024)
        .await
        .ok()
        .and_then(|b| String::from_utf8(b.to_vec()).ok())
        .filter(|d| {
            !d.is_empty()
                && d.len() < 300
                && !d.chars().any(char::is_control)
                && !status.is_server_error()
        })
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    Problem::new(status, code, detail).into_response()
}

async fn limit_per_address(
    State(limiter): State<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
    request: Request,
    next: Next,
) -> Response {
    let address = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(ip) = address
        && limiter.check_key(&ip).is_err()
    {
        return Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "too many requests from this address; slow down",
        )
        .into_response();
    }
    next.run(request).await
}

async fn record_metrics(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let seconds = started.elapsed().as_secs_f64();
    // The route's pattern, never the raw path or query: they may carry personal data.
    tracing::info!(method = %method, route = %route, status, ms = seconds * 1e3, "request");
    metrics::counter!("sawt_http_requests_total", "route" => route.clone(), "method" => method, "status" => status.to_string())
        .increment(1);
    metrics::histogram!("sawt_http_request_duration_seconds", "route" => route).record(seconds);
    response
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

async fn readyz(State(board): State<Arc<Board>>) -> Response {
    match board.store().entry(0).await {
        Ok(Some(_)) => Json(serde_json::json!({"status": "ready", "size": board.store().size()}))
            .into_response(),
        Ok(None) => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not-ready",
            "the board has no manifest",
        )
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "readiness check failed");
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not-ready",
                "the database does not answer",
            )
            .into_response()
        }
    }
}

async fn metrics_text(State(board): State<Arc<Board>>) -> Response {
    metrics::gauge!("sawt_board_size").set(board.store().size() as f64);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        prometheus().render(),
    )
        .into_response()
}

/// The whole service for `board` (no registry, no officials) on an ephemeral loopback port,
/// with every protection on but the per-address limit raised, since every client of a
/// demo or a load test shares one address; its base URL and the server's task.
pub async fn serve_on_loopback(
    board: Arc<Board>,
) -> std::io::Result<(String, tokio::task::JoinHandle<std::io::Result<()>>)> {
    serve_with_registry_on_loopback(board, None).await
}

/// [`serve_on_loopback`], with the registry's API (and the campaign's) when `registry` is
/// given.
pub async fn serve_with_registry_on_loopback(
    board: Arc<Board>,
    registry: Option<RegistryApi>,
) -> std::io::Result<(String, tokio::task::JoinHandle<std::io::Result<()>>)> {
    let app = app(Parts {
        board,
        registry,
        limits: Limits {
            per_address_per_s: 1_000_000,
            ..Default::default()
        },
        cors_origins: vec![],
        officials: vec![],
    })
    .map_err(std::io::Error::other)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    Ok((base, server))
}
