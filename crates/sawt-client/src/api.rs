//! The service's routes as typed calls. Nothing here is checked beyond its form: what the
//! answers claim is checked by the callers (`heads`, `setup`, `receipts`, `voter`).

use sawt_board::head::WitnessedHead;
use sawt_board::proof::{ConsistencyProof, InclusionProof};
use serde::de::DeserializeOwned;

use crate::error::{ClientError, Misbehaviour, Refused};
use crate::transport::{Request, Transport};
use crate::wire;

/// The service, through a transport.
#[derive(Clone, Debug)]
pub struct Api<T> {
    transport: T,
}

impl<T: Transport> Api<T> {
    /// The service behind `transport`.
    pub fn new(transport: T) -> Self {
        Api { transport }
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Sends `request`; the body of a 2xx answer, or the refusal.
    pub async fn call(&self, request: Request) -> Result<Vec<u8>, ClientError> {
        let res = self.transport.send(request).await?;
        if (200..300).contains(&res.status) {
            return Ok(res.body);
        }
        let problem: Option<wire::Problem> = serde_json::from_slice(&res.body).ok();
        Err(Refused {
            status: res.status,
            code: problem
                .as_ref()
                .map(|p| p.code.clone())
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| "client-error".into()),
            detail: problem
                .as_ref()
                .map(|p| p.detail.clone())
                .unwrap_or_else(|| {
                    String::from_utf8_lossy(&res.body)
                        .chars()
                        .take(200)
                        .collect()
                }),
            refusals: problem
                .map(|p| p.refusals.into_iter().map(|r| (r.rule, r.reason)).collect())
                .unwrap_or_default(),
        }
        .into())
    }

    /// Sends `request` and decodes the JSON answer; an answer of the wrong form is a
    /// misbehaviour.
    pub async fn json<R: DeserializeOwned>(&self, request: Request) -> Result<R, ClientError> {
        let path = request.path.clone();
        let body = self.call(request).await?;
        serde_json::from_slice(&body).map_err(|e| {
            Misbehaviour::new("form", format!("{path} answered an unreadable body: {e}")).into()
        })
    }

    /// `GET /v1/election`.
    pub async fn election(&self) -> Result<wire::ElectionView, ClientError> {
        self.json(Request::get("/v1/election")).await
    }

    /// An entry's bytes: `GET /v1/board/entries/{index}`.
    pub async fn entry(&self, index: u64) -> Result<Vec<u8>, ClientError> {
        self.call(Request::get(format!("/v1/board/entries/{index}")))
            .await
    }

    /// Entries `[start, start + limit)` (at most 1,000), their bytes: `GET /v1/board/entries`.
    pub async fn entries(&self, start: u64, limit: u64) -> Result<Vec<Vec<u8>>, ClientError> {
        let body = self
            .call(Request::get(format!(
                "/v1/board/entries?start={start}&limit={limit}"
            )))
            .await?;
        Ok(sawt_election::entry::split_ndjson(&body))
    }

    /// Submits a signed entry (its canonical bytes): `POST /v1/board/entries`; its index.
    pub async fn submit(&self, bytes: &[u8]) -> Result<u64, ClientError> {
        #[derive(serde::Deserialize)]
        struct Appended {
            index: u64,
        }
        let a: Appended = self
            .json(Request::post_bytes("/v1/board/entries", bytes.to_vec()))
            .await?;
        Ok(a.index)
    }

    /// Stores bytes an entry will bind (`POST /v1/board/attachments?format=`); the
    /// attachment as an entry names it, its hash computed here.
    pub async fn put_attachment(
        &self,
        format: &str,
        bytes: Vec<u8>,
    ) -> Result<sawt_election::entry::Attachment, ClientError> {
        let sha256: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(&bytes).into();
        let length = bytes.len() as u64;
        self.call(Request::post_bytes(
            format!("/v1/board/attachments?format={format}"),
            bytes,
        ))
        .await?;
        Ok(sawt_election::entry::Attachment {
            sha256: sawt_election::keys::Hex32(sha256),
            length,
            format: format.to_owned(),
        })
    }

    /// An attachment's bytes (`GET /v1/board/attachments/{sha256}`), checked against the
    /// hash, length and format the entry binds.
    pub async fn attachment(
        &self,
        a: &sawt_election::entry::Attachment,
    ) -> Result<Vec<u8>, ClientError> {
        let bytes = self
            .call(Request::get(format!(
                "/v1/board/attachments/{}",
                hex::encode(a.sha256.0)
            )))
            .await?;
        let sha256: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(&bytes).into();
        if sha256 != a.sha256.0 || bytes.len() as u64 != a.length {
            return Err(Misbehaviour::new(
                "attachment",
                format!(
                    "the bytes served for attachment {} are not its",
                    hex::encode(a.sha256.0)
                ),
            )
            .into());
        }
        Ok(bytes)
    }

    /// The latest head: `GET /v1/board/head`.
    pub async fn head(&self) -> Result<WitnessedHead, ClientError> {
        self.json(Request::get("/v1/board/head")).await
    }

    /// A head covering entry `index`: `GET /v1/board/head?covering=I` (board.md §8.5).
    pub async fn head_covering(&self, index: u64) -> Result<WitnessedHead, ClientError> {
        self.json(Request::get(format!("/v1/board/head?covering={index}")))
            .await
    }

    /// A head of the committed size: `GET /v1/board/head?fresh=true` (board.md §8.5).
    pub async fn fresh_head(&self) -> Result<WitnessedHead, ClientError> {
        self.json(Request::get("/v1/board/head?fresh=true")).await
    }

    /// The head of `size`: `GET /v1/board/heads/{size}`.
    pub async fn head_of(&self, size: u64) -> Result<WitnessedHead, ClientError> {
        self.json(Request::get(format!("/v1/board/heads/{size}")))
            .await
    }

    /// `GET /v1/board/proofs/inclusion`.
    pub async fn inclusion(&self, index: u64, size: u64) -> Result<InclusionProof, ClientError> {
        self.json(Request::get(format!(
            "/v1/board/proofs/inclusion?index={index}&size={size}"
        )))
        .await
    }

    /// `GET /v1/board/proofs/consistency`.
    pub async fn consistency(&self, old: u64, new: u64) -> Result<ConsistencyProof, ClientError> {
        self.json(Request::get(format!(
            "/v1/board/proofs/consistency?old={old}&new={new}"
        )))
        .await
    }

    /// `POST /v1/registry/enrolments` with a signed identity assertion (JSON).
    pub async fn enrol(&self, assertion: &[u8]) -> Result<wire::Enrolled, ClientError> {
        self.json(Request::post_json(
            "/v1/registry/enrolments",
            assertion.to_vec(),
        ))
        .await
    }

    /// `POST /v1/voter/challenge`.
    pub async fn challenge(
        &self,
        credential: &sawt_election::keys::PublicKeyHex,
    ) -> Result<wire::Challenge, ClientError> {
        let body = serde_json::to_vec(&serde_json::json!({ "credential": credential }))
            .expect("a key encodes");
        self.json(Request::post_json("/v1/voter/challenge", body))
            .await
    }

    /// `POST /v1/voter/session`.
    pub async fn session(&self, answer: &wire::Answer) -> Result<wire::Session, ClientError> {
        let body = serde_json::to_vec(answer).expect("an answer encodes");
        self.json(Request::post_json("/v1/voter/session", body))
            .await
    }

    /// `GET /v1/voter/ballot-style`.
    pub async fn ballot_style(
        &self,
        token: &str,
    ) -> Result<sawt_election::ballot::BallotStyle, ClientError> {
        self.json(Request::get("/v1/voter/ballot-style").with_bearer(token))
            .await
    }

    /// `POST /v1/voter/ballots` (or `/v1/voter/audits` when `audit`) with an entry's bytes.
    pub async fn submit_ballot(
        &self,
        token: &str,
        bytes: &[u8],
        audit: bool,
    ) -> Result<wire::Receipt, ClientError> {
        let path = if audit {
            "/v1/voter/audits"
        } else {
            "/v1/voter/ballots"
        };
        self.json(Request::post_bytes(path, bytes.to_vec()).with_bearer(token))
            .await
    }

    /// `GET /v1/voter/ballots`.
    pub async fn my_ballots(&self, token: &str) -> Result<Vec<wire::ServedBallot>, ClientError> {
        self.json(Request::get("/v1/voter/ballots").with_bearer(token))
            .await
    }

    /// `GET /v1/receipts/{index}?size=Z`.
    pub async fn receipt_check(
        &self,
        index: u64,
        size: u64,
    ) -> Result<wire::ReceiptCheck, ClientError> {
        self.json(Request::get(format!("/v1/receipts/{index}?size={size}")))
            .await
    }
}
