//! The voter's journey (client.md §4–§6): enrol, open a session, take the ballot style from
//! the verified setup, prepare a ballot and show its tracking code, then cast it or audit it,
//! check every receipt at once and later, and see which ballot counts. Every answer of the
//! service is checked; one that fails is reported as a [`Misbehaviour`] and, where it
//! concerns a ballot, kept as a signed [`Complaint`].

use std::borrow::Cow;
use std::sync::Arc;

use ed25519_dalek::Signer as _;
use sawt_board::hash::leaf_hash;
use sawt_board::head::WitnessedHead;
use sawt_election::ballot::{Ballot, BallotOpening, BallotStyle};
use sawt_election::entry::{ENTRY_FORMAT, Entry, EntryBody, Role, role_of};
use sawt_election::geography::WilayatId;
use sawt_election::keys::{Hex32, Hex64};
use sawt_election::manifest::Contest;

use crate::api::Api;
use crate::complaint::{COMPLAINT_FORMAT, Complaint, ComplaintBody};
use crate::device::{BallotRecord, Device, Enrolment, Kind, PreparedBallot};
use crate::election::Election;
use crate::error::{ClientError, Misbehaviour};
use crate::heads::{Accepted, Conflict};
use crate::keystore::SecretStore;
use crate::receipts::{check_later, check_receipt};
use crate::setup::{Setup, fetch_proved, load, setup_view};
use crate::transport::Transport;
use crate::wire;

/// The voter session label (service.md §1.3).
pub const VOTER_SESSION_LABEL: &[u8] = b"sawt/v1/voter-session\n";

/// The message a credential signs to open a session (service.md §2.2):
/// `label ‖ E ‖ credential ‖ u64le(expires_ms) ‖ challenge`, 126 bytes.
pub fn session_message(election: &[u8; 32], c: &wire::Challenge) -> Vec<u8> {
    let mut m = VOTER_SESSION_LABEL.to_vec();
    m.extend_from_slice(election);
    m.extend_from_slice(c.credential.bytes());
    m.extend_from_slice(&c.expires_ms.to_le_bytes());
    m.extend_from_slice(&c.challenge.0);
    m
}

/// The device's clock, ms since the epoch (entries' timestamps; complaints).
fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A voter's device talking to one service.
pub struct Voter<T> {
    api: Api<T>,
    election: Election,
    /// The device's state: save it after every call.
    pub device: Device,
    setup: Option<Arc<Setup>>,
    /// Complaints found where no key was at hand: signed by [`Voter::sign_pending`].
    pending: Vec<ComplaintBody>,
    /// The session opened last, reused until the service says it has ended (service.md
    /// §2.4: `401` means "open a new one").
    session: Option<wire::Session>,
}

/// Whether the service answered `401 unauthenticated`: the session ended.
fn ended(e: &ClientError) -> bool {
    matches!(e, ClientError::Refused(r) if r.status == 401)
}

impl<T> std::fmt::Debug for Voter<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Voter")
            .field("credential", &self.device.credential)
            .finish_non_exhaustive()
    }
}

/// A cast or audited ballot's standing after a later check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptState {
    /// Cast or audited.
    pub kind: Kind,
    /// The tracking code.
    pub tracking_code: String,
    /// Its index.
    pub index: u64,
    /// The head size it is now proved under.
    pub confirmed_size: u64,
    /// Whether a witnessed head covers it.
    pub witnessed: bool,
}

/// One of the voter's ballots and what it counts for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BallotStatus {
    /// Cast or audited.
    pub kind: Kind,
    /// The tracking code.
    pub tracking_code: String,
    /// Its index.
    pub index: u64,
    /// `counted`, `superseded` or `audited`: computed by the device, and the service agreed.
    pub status: &'static str,
}

/// What an audited ballot encodes, recomputed from the board alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditFinding {
    /// The contest.
    pub contest: String,
    /// The tracking code of the audited ballot.
    pub tracking_code: String,
    /// The chosen candidates: identifier, Arabic and English names.
    pub choices: Vec<(String, String, String)>,
}

impl<T: Transport> Voter<T> {
    /// Opens `device` against the service: the manifest from the board's entry 0, checked
    /// against the device's anchor (C1).
    pub async fn open(api: Api<T>, device: Device) -> Result<Self, ClientError> {
        let bytes = api.entry(0).await?;
        let election = Election::from_manifest_entry(device.election.0, &bytes)?;
        Ok(Voter {
            api,
            election,
            device,
            setup: None,
            pending: Vec::new(),
            session: None,
        })
    }

    /// The election.
    pub fn election(&self) -> &Election {
        &self.election
    }

    /// The service.
    pub fn api(&self) -> &Api<T> {
        &self.api
    }

    /// A device for an election and setup already checked (by this process, for another
    /// device: a kiosk, the demo's voters): nothing is fetched again.
    pub fn with_setup(api: Api<T>, election: Election, setup: Arc<Setup>, device: Device) -> Self {
        Voter {
            api,
            election,
            device,
            setup: Some(setup),
            pending: Vec::new(),
            session: None,
        }
    }

    /// The setup, loaded and checked once per `Voter`.
    pub async fn setup(&mut self) -> Result<Arc<Setup>, ClientError> {
        if self.setup.is_none() {
            let (view, last) = setup_view(&self.api, &self.election).await?;
            let head = self.head_covering(last).await?;
            let s = load(&self.api, &self.election, &view, &head.signed).await?;
            self.setup = Some(Arc::new(s));
        }
        Ok(self.setup.clone().expect("just loaded"))
    }

    /// A verified head covering entry `index` (R1, R2, R7).
    async fn head_covering(&mut self, index: u64) -> Result<WitnessedHead, ClientError> {
        let head = self.api.head_covering(index).await?;
        self.accept_head(&head, None).await?;
        Ok(head)
    }

    /// Signs the complaints found where no key was at hand (a conflicting head met while
    /// loading the setup); their number. Call it before saving the device.
    pub fn sign_pending(&mut self, store: &dyn SecretStore) -> Result<usize, ClientError> {
        let n = self.pending.len();
        for body in std::mem::take(&mut self.pending) {
            self.file(body, store)?;
        }
        Ok(n)
    }

    /// Accepts a head into the book. A conflict is a complaint about the ballot it concerns
    /// (else the device's latest ballot, whose receipt the conflicting head puts in doubt).
    async fn accept_head(
        &mut self,
        head: &WitnessedHead,
        about: Option<&BallotRecord>,
    ) -> Result<(), ClientError> {
        match self
            .device
            .heads
            .accept(&self.api, &self.election, head)
            .await
        {
            Ok(()) => Ok(()),
            Err(Accepted::Conflict(c)) => {
                let Conflict {
                    held,
                    received,
                    proof,
                    detail,
                } = *c;
                if let Some(record) = about.or(self.device.ballots.last()) {
                    let body = self.complaint_body(record, "R7", &detail);
                    self.pending.push(ComplaintBody {
                        held: Some(held),
                        received: Some(WitnessedHead {
                            signed: received,
                            cosignatures: head.cosignatures.clone(),
                        }),
                        consistency: proof,
                        ..body
                    });
                }
                Err(Misbehaviour::new("R7", detail).into())
            }
            Err(Accepted::Failed(e)) => Err(e),
        }
    }

    /// Enrols the device's credential with a signed identity assertion for it (the JSON the
    /// identity provider returned), then checks the enrolment on the board (V1).
    pub async fn enrol(&mut self, assertion: &[u8]) -> Result<Enrolment, ClientError> {
        let named: serde_json::Value = serde_json::from_slice(assertion)
            .map_err(|e| ClientError::State(format!("the identity assertion is not JSON: {e}")))?;
        if named["assertion"]["credential"].as_str()
            != Some(&String::from(self.device.credential.clone()))
        {
            return Err(ClientError::State(
                "the identity assertion names another credential than this device's".into(),
            ));
        }
        let enrolled = self.api.enrol(assertion).await?;
        if enrolled.credential != self.device.credential {
            return Err(Misbehaviour::new("V1", "the service enrolled another credential").into());
        }
        self.check_enrolment(
            enrolled.entry_index,
            Some(&enrolled.wilayat),
            enrolled.revoked,
        )
        .await
    }

    /// Adopts an enrolment made out of band (the registrar's `credential-enrolment` entry
    /// for this device's credential at `index`, e.g. at a registration office), after
    /// checking it on the board (V1).
    pub async fn adopt_enrolment(&mut self, index: u64) -> Result<Enrolment, ClientError> {
        self.check_enrolment(index, None, None).await
    }

    /// V1: entry `index` is the registrar's enrolment of this credential (for `wilayat`, if
    /// the service named one), proved under a verified head.
    async fn check_enrolment(
        &mut self,
        index: u64,
        wilayat: Option<&WilayatId>,
        replaced: Option<sawt_election::keys::PublicKeyHex>,
    ) -> Result<Enrolment, ClientError> {
        let head = self.head_covering(index).await?;
        let (e, proof) = fetch_proved(&self.api, &self.election, &head.signed, "V1", index).await?;
        let enrolled_for = match &e.entry.body {
            EntryBody::CredentialEnrolment {
                credential,
                wilayat: w,
            } if credential == &self.device.credential
                && wilayat.is_none_or(|x| x == w)
                && role_of(self.election.manifest(), &e.entry.author) == Some(Role::Registrar) =>
            {
                w.clone()
            }
            _ => {
                return Err(Misbehaviour::new(
                    "V1",
                    format!("entry {index} is not the registrar's enrolment of this credential"),
                )
                .into());
            }
        };
        let enrolment = Enrolment {
            wilayat: enrolled_for,
            entry_index: index,
            replaced,
            head: head.signed,
            proof,
        };
        self.device.enrolment = Some(enrolment.clone());
        Ok(enrolment)
    }

    fn enrolment(&self) -> Result<&Enrolment, ClientError> {
        self.device
            .enrolment
            .as_ref()
            .ok_or_else(|| ClientError::State("this device is not enrolled".into()))
    }

    /// Opens a session (service.md §2) and checks that the service places the credential
    /// where its enrolment entry does (V2).
    pub async fn session(&mut self, store: &dyn SecretStore) -> Result<wire::Session, ClientError> {
        let wilayat = self.enrolment()?.wilayat.clone();
        let key = self.device.signing_key(store)?;
        let c = self.api.challenge(&self.device.credential).await?;
        if c.credential != self.device.credential {
            return Err(Misbehaviour::new("V2", "the challenge names another credential").into());
        }
        let signature = Hex64(
            key.sign(&session_message(&self.election.id(), &c))
                .to_bytes(),
        );
        let session = self
            .api
            .session(&wire::Answer {
                challenge: c,
                signature,
            })
            .await?;
        if session.wilayat != wilayat {
            return Err(Misbehaviour::new(
                "V2",
                format!(
                    "the service says the credential votes in {}, its enrolment entry says {}",
                    session.wilayat.0, wilayat.0
                ),
            )
            .into());
        }
        Ok(session)
    }

    /// A session's token: the last one opened, or a new one when there is none or `renew`.
    async fn token(&mut self, store: &dyn SecretStore, renew: bool) -> Result<String, ClientError> {
        if renew || self.session.is_none() {
            let s = self.session(store).await?;
            self.session = Some(s);
        }
        Ok(self
            .session
            .as_ref()
            .map(|s| s.token.clone())
            .expect("just opened"))
    }

    /// The voter's contest as the board proves it: the manifest's, with the candidate list
    /// the election authority published.
    pub async fn contest(&mut self) -> Result<Contest, ClientError> {
        let wilayat = self.enrolment()?.wilayat.clone();
        let election = self.election.clone();
        let setup = self.setup().await?;
        Ok(setup.contest_of(&election, &wilayat)?.into_owned())
    }

    /// The ballot style, from the verified setup; the service's served style is fetched too
    /// and must agree (V3): a style for another wilayat or with other candidates is reported.
    pub async fn ballot_style(
        &mut self,
        store: &dyn SecretStore,
    ) -> Result<BallotStyle, ClientError> {
        let contest = self.contest().await?;
        let ours = BallotStyle::for_contest(self.election.id(), &contest);
        let token = self.token(store, false).await?;
        let served = match self.api.ballot_style(&token).await {
            Err(e) if ended(&e) => {
                let token = self.token(store, true).await?;
                self.api.ballot_style(&token).await?
            }
            r => r?,
        };
        if served != ours {
            return Err(Misbehaviour::new(
                "V3",
                format!(
                    "the service's ballot style (contest {}, {}, {} candidates) is not the board's (contest {}, {}, {} candidates)",
                    served.contest,
                    served.wilayat.0,
                    served.candidates.len(),
                    ours.contest,
                    ours.wilayat.0,
                    ours.candidates.len()
                ),
            )
            .into());
        }
        Ok(ours)
    }

    /// Encrypts `choice` (candidate identifiers) for the voter's contest, after checking it
    /// against the contest's rules (a choice that breaks them is refused here, with nothing
    /// encrypted or sent); keeps it as the prepared ballot and returns its tracking code, to
    /// show before the voter decides to cast or audit.
    pub async fn prepare(
        &mut self,
        choice: &[String],
        store: &dyn SecretStore,
    ) -> Result<String, ClientError> {
        let contest = self.contest().await?;
        let setup = self.setup().await?;
        let key = setup.encryption_key()?.clone();
        let (ballot, opening) = Ballot::encrypt_with_rng(
            self.election.id(),
            &contest,
            key.as_ref(),
            &self.device.credential,
            choice,
            &mut sawt_crypto::rng::os_rng(),
        )
        .map_err(|e| ClientError::Choice(e.to_string()))?;
        let code = ballot
            .tracking_code()
            .map_err(|e| ClientError::State(e.to_string()))?;
        let secret = self.device.secret(store)?;
        self.device.prepared = Some(PreparedBallot::seal(
            code.clone(),
            ballot,
            &opening,
            &secret,
        )?);
        Ok(code)
    }

    /// Casts the prepared ballot.
    pub async fn cast(&mut self, store: &dyn SecretStore) -> Result<BallotRecord, ClientError> {
        let prepared = self.take_prepared()?;
        self.send(prepared, None, store).await
    }

    /// Audits the prepared ballot (Benaloh): its opening is posted, it never counts, and the
    /// device must encrypt afresh to vote. Returns the record and what it encodes.
    pub async fn audit(
        &mut self,
        store: &dyn SecretStore,
    ) -> Result<(BallotRecord, BallotOpening), ClientError> {
        let prepared = self.take_prepared()?;
        let opening = prepared.opening(&*self.device.secret(store)?)?;
        let record = self.send(prepared, Some(opening.clone()), store).await?;
        Ok((record, opening))
    }

    fn take_prepared(&mut self) -> Result<PreparedBallot, ClientError> {
        self.device
            .prepared
            .take()
            .ok_or_else(|| ClientError::State("no ballot is prepared: choose first".into()))
    }

    async fn send(
        &mut self,
        prepared: PreparedBallot,
        opening: Option<BallotOpening>,
        store: &dyn SecretStore,
    ) -> Result<BallotRecord, ClientError> {
        let key = self.device.signing_key(store)?;
        let audit = opening.is_some();
        if prepared.ballot.tracking_code().ok().as_deref() != Some(&prepared.tracking_code) {
            return Err(ClientError::State(
                "the prepared ballot does not match its tracking code: prepare again".into(),
            ));
        }
        let body = match opening {
            Some(opening) => EntryBody::AuditedBallot {
                ballot: prepared.ballot.clone(),
                opening,
            },
            None => EntryBody::Ballot(prepared.ballot.clone()),
        };
        let bytes = Entry {
            format: ENTRY_FORMAT.into(),
            election: Hex32(self.election.id()),
            author: self.device.credential.clone(),
            timestamp_ms: now_ms(),
            body,
        }
        .sign(&key)
        .and_then(|e| e.canonical_bytes())
        .map_err(|e| ClientError::State(e.to_string()))?;
        let token = match self.token(store, false).await {
            Ok(t) => t,
            Err(e) => {
                self.device.prepared = Some(prepared);
                return Err(e);
            }
        };
        // An audited ballot's opening has left the device: whatever the answer, it is never
        // put back to be cast (client.md §5.3). A cast one is, when nothing was appended.
        let keep = |device: &mut Device, prepared: PreparedBallot| {
            if !audit {
                device.prepared = Some(prepared);
            }
        };
        let sent = match self.api.submit_ballot(&token, &bytes, audit).await {
            // The session ended: nothing was appended; once more with a new one.
            Err(e) if ended(&e) => match self.token(store, true).await {
                Ok(token) => self.api.submit_ballot(&token, &bytes, audit).await,
                Err(e) => Err(e),
            },
            r => r,
        };
        let receipt = match sent {
            Ok(r) => r,
            Err(ClientError::Transport(_))
            | Err(ClientError::Refused(crate::error::Refused { status: 500.., .. }))
            | Err(ClientError::Misbehaviour(Misbehaviour { check: "form", .. })) => {
                // The outcome is unknown (service.md §3.3; an unreadable 2xx was appended):
                // look the entry up by its hash. If it is not there, a cast ballot stays
                // prepared: sending it again is safe (a late copy is refused as a duplicate).
                match self.recover(&bytes, &prepared.tracking_code).await {
                    Ok(r) => r,
                    Err(e) => {
                        keep(&mut self.device, prepared);
                        return Err(e);
                    }
                }
            }
            Err(e) => {
                // A refusal appended nothing (service.md §3.3).
                keep(&mut self.device, prepared);
                return Err(e);
            }
        };
        let kind = if audit { Kind::Audit } else { Kind::Cast };
        let record = BallotRecord {
            kind,
            tracking_code: prepared.tracking_code.clone(),
            index: receipt.index,
            entry: hex::encode(&bytes),
            confirmed_size: receipt.head.signed.head.size,
            witnessed: self.election.is_witnessed(&receipt.head),
            receipt,
        };
        if let Err(m) = check_receipt(
            &self.election,
            &bytes,
            &prepared.tracking_code,
            &record.receipt,
        ) {
            if m.check != "R1" && m.check != "R2" {
                let body = self.complaint_body(&record, m.check, &m.detail);
                self.file(body, store)?;
            }
            // Is the ballot on the board after all (service.md §4.4)? Then the device keeps
            // it, with a receipt it built itself, so that later checks and statuses see it.
            if let Ok(own) = self.recover(&bytes, &prepared.tracking_code).await
                && check_receipt(&self.election, &bytes, &prepared.tracking_code, &own).is_ok()
            {
                self.device.ballots.push(BallotRecord {
                    index: own.index,
                    confirmed_size: own.head.signed.head.size,
                    witnessed: self.election.is_witnessed(&own.head),
                    receipt: own,
                    ..record
                });
            }
            return Err(m.into());
        }
        // The ballot is on the board by R1–R6: the device keeps it whatever the head check
        // below says (a conflict is evidence about the board, not about this ballot).
        self.device.ballots.push(record.clone());
        let head = record.receipt.head.clone();
        let accepted = self.accept_head(&head, Some(&record)).await;
        self.sign_pending(store)?;
        accepted?;
        Ok(record)
    }

    /// Builds a receipt from the observer API for entry `bytes`, if the board has it.
    async fn recover(
        &mut self,
        bytes: &[u8],
        tracking_code: &str,
    ) -> Result<wire::Receipt, ClientError> {
        let hash = hex::encode(<[u8; 32]>::from(<sha2::Sha256 as sha2::Digest>::digest(
            bytes,
        )));
        let res = self
            .api
            .transport()
            .send(crate::transport::Request::get(format!(
                "/v1/board/entries/by-hash/{hash}"
            )))
            .await?;
        let index = match res.sawt_index {
            Some(i) if res.status == 200 && res.body == bytes => i,
            _ => {
                return Err(ClientError::State(
                    "the ballot's fate is unknown and it is not on the board: send it again".into(),
                ));
            }
        };
        let head = self.head_covering(index).await?;
        let inclusion = self.api.inclusion(index, head.signed.head.size).await?;
        Ok(wire::Receipt {
            tracking_code: tracking_code.to_owned(),
            index,
            leaf_hash: hex::encode(leaf_hash(bytes)),
            head,
            inclusion,
        })
    }

    fn complaint_body(&self, record: &BallotRecord, check: &str, detail: &str) -> ComplaintBody {
        ComplaintBody {
            format: COMPLAINT_FORMAT.into(),
            election: Hex32(self.election.id()),
            credential: self.device.credential.clone(),
            check: check.to_owned(),
            detail: detail.to_owned(),
            entry: record.entry.clone(),
            receipt: Some(record.receipt.clone()),
            held: None,
            received: None,
            consistency: None,
            inclusion: None,
            other_entry: None,
            other_inclusion: None,
            observed_ms: now_ms(),
        }
    }

    fn file(&mut self, body: ComplaintBody, store: &dyn SecretStore) -> Result<(), ClientError> {
        let key = self.device.signing_key(store)?;
        let c = Complaint::sign(body, &key).map_err(ClientError::State)?;
        self.device.complaints.push(c);
        Ok(())
    }

    /// The later check of every receipt (service.md §4.3, L1–L4): each ballot proved under
    /// the latest head, consistently with the receipt's and every head held. A failure is
    /// kept as a signed complaint and returned.
    pub async fn check_receipts(
        &mut self,
        store: &dyn SecretStore,
    ) -> Result<Vec<ReceiptState>, ClientError> {
        let mut out = Vec::new();
        for i in 0..self.device.ballots.len() {
            let record = self.device.ballots[i].clone();
            let bytes = hex::decode(&record.entry)
                .map_err(|_| ClientError::State("a stored entry is not hexadecimal".into()))?;
            let later = self
                .api
                .receipt_check(record.index, record.receipt.head.signed.head.size)
                .await?;
            if let Err(m) = check_later(&self.election, &bytes, &record.receipt, &later) {
                if m.check != "L1" {
                    let mut body = self.complaint_body(&record, m.check, &m.detail);
                    body.received = Some(later.head.clone());
                    if m.check == "L3" {
                        body.held = Some(record.receipt.head.signed);
                        body.consistency = Some(later.consistency.clone());
                    } else {
                        // L2: the proof served, and what the board shows at the index.
                        body.inclusion = Some(later.inclusion.clone());
                        let size = later.head.signed.head.size;
                        if let (Ok(other), Ok(proof)) = (
                            self.api.entry(record.index).await,
                            self.api.inclusion(record.index, size).await,
                        ) {
                            body.other_entry = Some(hex::encode(other));
                            body.other_inclusion = Some(proof);
                        }
                    }
                    self.file(body, store)?;
                }
                return Err(m.into());
            }
            let accepted = self.accept_head(&later.head, Some(&record)).await;
            self.sign_pending(store)?;
            accepted?;
            let witnessed = record.witnessed || self.election.is_witnessed(&later.head);
            let r = &mut self.device.ballots[i];
            r.confirmed_size = later.head.signed.head.size;
            r.witnessed = witnessed;
            out.push(ReceiptState {
                kind: r.kind,
                tracking_code: r.tracking_code.clone(),
                index: r.index,
                confirmed_size: r.confirmed_size,
                witnessed,
            });
        }
        Ok(out)
    }

    /// The voter's ballots and which one counts, computed by the device (the last cast one
    /// counts; audited ones never do) and checked against the service's claim (V5).
    pub async fn statuses(
        &mut self,
        store: &dyn SecretStore,
    ) -> Result<Vec<BallotStatus>, ClientError> {
        let token = self.token(store, false).await?;
        let served = match self.api.my_ballots(&token).await {
            Err(e) if ended(&e) => {
                let token = self.token(store, true).await?;
                self.api.my_ballots(&token).await?
            }
            r => r?,
        };
        let last_cast = self.device.cast().map(|b| b.index).max();
        let ours: Vec<BallotStatus> = self
            .device
            .ballots
            .iter()
            .map(|b| BallotStatus {
                kind: b.kind,
                tracking_code: b.tracking_code.clone(),
                index: b.index,
                status: match b.kind {
                    Kind::Audit => "audited",
                    Kind::Cast if Some(b.index) == last_cast => "counted",
                    Kind::Cast => "superseded",
                },
            })
            .collect();
        let mut theirs: Vec<(u64, String)> =
            served.into_iter().map(|s| (s.index, s.status)).collect();
        theirs.sort();
        let mut expected: Vec<(u64, String)> = ours
            .iter()
            .map(|b| (b.index, b.status.to_owned()))
            .collect();
        expected.sort();
        if theirs != expected {
            return Err(Misbehaviour::new(
                "V5",
                format!("the service lists the credential's ballots as {theirs:?}; the device sent {expected:?}"),
            )
            .into());
        }
        Ok(ours)
    }
}

/// Checks an audited ballot from the board alone, on a second device (client.md §5): the
/// `audited-ballot` entry at `index`, proved under a verified head, its opening recomputed
/// under the election key the board proves; returns what the ballot encodes, to compare with
/// what the voter chose on the first device.
pub async fn check_audit<T: Transport>(
    api: &Api<T>,
    anchor: [u8; 32],
    index: u64,
) -> Result<AuditFinding, ClientError> {
    let election = Election::from_manifest_entry(anchor, &api.entry(0).await?)?;
    let (view, last) = setup_view(api, &election).await?;
    let head = api.head_covering(last.max(index)).await?;
    election.check_head("R1", &head.signed)?;
    let head = head.signed;
    let setup = load(api, &election, &view, &head).await?;
    let (e, _) = fetch_proved(api, &election, &head, "A1", index).await?;
    let EntryBody::AuditedBallot { ballot, opening } = &e.entry.body else {
        return Err(
            Misbehaviour::new("A1", format!("entry {index} is not an audited ballot")).into(),
        );
    };
    let contest: Cow<'_, Contest> = setup
        .lists
        .contest(election.manifest(), &ballot.contest)
        .ok_or_else(|| Misbehaviour::new("A2", format!("no contest {}", ballot.contest)))?;
    let key = setup
        .key
        .ok_or_else(|| ClientError::State("the election key is not on the board yet".into()))?;
    ballot
        .verify(&election.id(), &contest, &key)
        .map_err(|err| {
            Misbehaviour::new("A2", format!("the audited ballot does not verify: {err}"))
        })?;
    ballot
        .check_opening(&contest, setup.encryption_key()?, opening)
        .map_err(|err| {
            Misbehaviour::new(
                "A2",
                format!("the ballot does not encrypt the choice its opening reveals: {err}"),
            )
        })?;
    let choices = opening
        .choice
        .iter()
        .map(|id| {
            let name = contest.candidates.iter().find(|c| &c.id == id);
            (
                id.clone(),
                name.map(|c| c.name.ar.clone()).unwrap_or_default(),
                name.map(|c| c.name.en.clone()).unwrap_or_default(),
            )
        })
        .collect();
    Ok(AuditFinding {
        contest: ballot.contest.clone(),
        tracking_code: ballot
            .tracking_code()
            .map_err(|err| ClientError::State(err.to_string()))?,
        choices,
    })
}
