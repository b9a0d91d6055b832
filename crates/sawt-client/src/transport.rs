//! HTTP behind a small trait, so that an app can bring its own stack (the platform's, with
//! its certificate pinning and proxies): the client needs only "send these bytes to this
//! path, get the status and the bytes back".

use std::future::Future;

/// An HTTP method the service uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
}

/// A request to the service.
#[derive(Clone, Debug)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The path and query, from `/` (e.g. `/v1/board/head`).
    pub path: String,
    /// The body, if any.
    pub body: Option<Vec<u8>>,
    /// Whether the body is JSON (`Content-Type: application/json`); otherwise the bytes are
    /// sent as they are (a canonical entry).
    pub json: bool,
    /// A session token for `Authorization: Bearer`.
    pub bearer: Option<String>,
}

impl Request {
    /// A `GET` of `path`.
    pub fn get(path: impl Into<String>) -> Self {
        Request {
            method: Method::Get,
            path: path.into(),
            body: None,
            json: false,
            bearer: None,
        }
    }

    /// A `POST` of JSON to `path`.
    pub fn post_json(path: impl Into<String>, body: Vec<u8>) -> Self {
        Request {
            method: Method::Post,
            path: path.into(),
            body: Some(body),
            json: true,
            bearer: None,
        }
    }

    /// A `PUT` of JSON to `path` (a candidate's page).
    pub fn put_json(path: impl Into<String>, body: Vec<u8>) -> Self {
        Request {
            method: Method::Put,
            path: path.into(),
            body: Some(body),
            json: true,
            bearer: None,
        }
    }

    /// A `POST` of raw bytes (a canonical entry) to `path`.
    pub fn post_bytes(path: impl Into<String>, body: Vec<u8>) -> Self {
        Request {
            method: Method::Post,
            path: path.into(),
            body: Some(body),
            json: false,
            bearer: None,
        }
    }

    /// The same request with a session token.
    pub fn with_bearer(mut self, token: &str) -> Self {
        self.bearer = Some(token.to_owned());
        self
    }
}

/// The service's answer.
#[derive(Clone, Debug)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
    /// The value of the `Sawt-Index` header, if present (board.md §8.5: an entry looked up by
    /// hash).
    pub sawt_index: Option<u64>,
}

/// The request did not reach the service, or its answer did not come back: the outcome of a
/// write is then unknown (service.md §3.3).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the service could not be reached: {0}")]
pub struct TransportError(pub String);

/// Sends requests to one service.
pub trait Transport: Send + Sync {
    /// Sends `request` and returns the answer, whatever its status.
    fn send(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<Response, TransportError>> + Send;
}

/// The transport over `reqwest` to a base URL such as `https://sawt.example.om`.
#[cfg(feature = "http")]
#[derive(Clone, Debug)]
pub struct HttpTransport {
    base: String,
    client: reqwest::Client,
}

#[cfg(feature = "http")]
impl HttpTransport {
    /// A transport to `base` (no trailing slash needed), with a 30-second timeout per request.
    pub fn new(base: &str) -> Result<Self, TransportError> {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| TransportError(e.to_string()))?;
        Ok(HttpTransport {
            base: base.trim_end_matches('/').to_owned(),
            client,
        })
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }
}

/// How often a request refused with `429` is tried again, waiting 100 ms, then twice as long
/// each time (service.md §2.6).
#[cfg(feature = "http")]
pub const RATE_LIMIT_RETRIES: u32 = 6;

#[cfg(feature = "http")]
impl Transport for HttpTransport {
    async fn send(&self, request: Request) -> Result<Response, TransportError> {
        let mut wait = std::time::Duration::from_millis(100);
        for _ in 0..RATE_LIMIT_RETRIES {
            let res = self.send_once(request.clone()).await?;
            if res.status != 429 {
                return Ok(res);
            }
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
        self.send_once(request).await
    }
}

#[cfg(feature = "http")]
impl HttpTransport {
    async fn send_once(&self, request: Request) -> Result<Response, TransportError> {
        let url = format!("{}{}", self.base, request.path);
        let mut r = match request.method {
            Method::Get => self.client.get(url),
            Method::Post => self.client.post(url),
            Method::Put => self.client.put(url),
        };
        if let Some(token) = &request.bearer {
            r = r.header("Authorization", format!("Bearer {token}"));
        }
        if let Some(body) = request.body {
            if request.json {
                r = r.header("Content-Type", "application/json");
            }
            r = r.body(body);
        }
        let res = r.send().await.map_err(|e| TransportError(e.to_string()))?;
        let status = res.status().as_u16();
        let sawt_index = res
            .headers()
            .get("sawt-index")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let body = res
            .bytes()
            .await
            .map_err(|e| TransportError(e.to_string()))?
            .to_vec();
        Ok(Response {
            status,
            body,
            sawt_index,
        })
    }
}
