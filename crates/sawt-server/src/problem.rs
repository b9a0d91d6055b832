//! Errors as JSON problem details (RFC 9457): `application/problem+json` with a stable
//! `code` clients can act on, a `title`, the HTTP `status`, and a `detail` for people. Never a
//! stack trace, SQL text or personal data: storage failures are logged (without personal
//! data) and answered with `internal`.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::StoreError;
use crate::service::BoardError;
use sawt_election::entry::EntryError;

/// A problem to answer with.
#[derive(Debug)]
pub struct Problem {
    /// The HTTP status.
    pub status: StatusCode,
    /// The stable code (`kebab-case`).
    pub code: &'static str,
    /// What happened, for people.
    pub detail: String,
    /// Further members (for a refusal, `refusals`: every rule that failed).
    pub extra: Option<serde_json::Map<String, serde_json::Value>>,
}

impl Problem {
    /// A problem.
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Problem {
            status,
            code,
            detail: detail.into(),
            extra: None,
        }
    }

    /// `400 malformed`.
    pub fn malformed(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::BAD_REQUEST, "malformed", detail)
    }

    /// `401 unauthenticated`.
    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::UNAUTHORIZED, "unauthenticated", detail)
    }

    /// `403 forbidden`.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// `404 not-found`.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::NOT_FOUND, "not-found", detail)
    }

    /// `500 internal`, the cause logged.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an internal error; it has been logged",
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut body = json!({
            "type": format!("https://sawt.om/problems/{}", self.code),
            "code": self.code,
            "title": self.status.canonical_reason().unwrap_or(""),
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let (Some(extra), Some(b)) = (self.extra, body.as_object_mut()) {
            b.extend(extra);
        }
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            Json(body),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

impl From<BoardError> for Problem {
    fn from(e: BoardError) -> Self {
        match e {
            BoardError::Entry(EntryError::Encoding(_)) => Problem::malformed(e.to_string()),
            BoardError::Entry(EntryError::Signature) => {
                Problem::new(StatusCode::BAD_REQUEST, "bad-signature", e.to_string())
            }
            BoardError::Entry(EntryError::Election) => {
                Problem::new(StatusCode::BAD_REQUEST, "wrong-election", e.to_string())
            }
            BoardError::Entry(EntryError::Phase { .. }) => {
                Problem::new(StatusCode::FORBIDDEN, "outside-window", e.to_string())
            }
            BoardError::Entry(_) => Problem::forbidden(e.to_string()),
            BoardError::Refused(_) | BoardError::NoManifest => {
                Problem::new(StatusCode::CONFLICT, "refused", e.to_string())
            }
            BoardError::Store(StoreError::Duplicate { .. }) | BoardError::Copied => {
                Problem::new(StatusCode::CONFLICT, "duplicate", e.to_string())
            }
            BoardError::Store(inner) => Problem::internal(&inner),
        }
    }
}

impl From<crate::registry::RegistryError> for Problem {
    fn from(e: crate::registry::RegistryError) -> Self {
        use crate::registry::RegistryError as R;
        match e {
            R::Refused(r) => {
                let detail = r.to_string();
                let mut p =
                    Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "refused-by-rule", detail);
                let mut extra = serde_json::Map::new();
                extra.insert(
                    "refusals".into(),
                    serde_json::to_value(&r.0).unwrap_or_default(),
                );
                p.extra = Some(extra);
                p
            }
            R::NotFound(what) => Problem::not_found(format!("not found: {what}")),
            R::Conflict(why) => Problem::new(StatusCode::CONFLICT, "conflict", why),
            R::Invalid(why) => Problem::malformed(why),
            R::Board(b) => b.into(),
            R::Store(s) => Problem::internal(&s),
        }
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        BoardError::Store(e).into()
    }
}
