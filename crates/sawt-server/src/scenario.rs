//! A ready election on a board, for tests and benchmarks: the sample manifest
//! (`sawt_registry::sample`), its key generation run through the board by the trustees' keys,
//! credentials enrolled by the registrar, and a hand-driven clock to move through the
//! windows. Every key is derived from a fixed seed: never use this for an election.

use std::sync::Arc;

use ed25519_dalek::SigningKey;
use sawt_crypto::Context;
use sawt_crypto::dkg::{KeyGenParams, TrusteeSetup};
use sawt_election::entry::{ENTRY_FORMAT, Entry, EntryBody, SignedEntry};
use sawt_election::geography::WilayatId;
use sawt_election::keys::{Hex32, PublicKeyHex};
use sawt_election::manifest::{Authorities, Candidate, Manifest, Names};
use sha2::{Digest, Sha512};

use crate::LogStore;
use crate::clock::{Clock, ManualClock};
use crate::service::{Board, BoardError};

/// The key of a fixed seed byte (the sample manifest's parties: authority 1, registrar 2,
/// board operator 3, trustees 101–103, mixer 121, witness 141).
pub fn party_key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

/// The `i`-th voter's device key: `SHA-512("sawt/v1/scenario-voter" ‖ u64le(i))[..32]`.
pub fn voter_key(i: u64) -> SigningKey {
    let d = Sha512::new()
        .chain_update(b"sawt/v1/scenario-voter")
        .chain_update(i.to_le_bytes())
        .finalize();
    SigningKey::from_bytes(d[..32].try_into().expect("32 bytes"))
}

/// A board with the sample election's key generation done.
pub struct Scenario {
    /// The board.
    pub board: Arc<Board>,
    /// Its clock.
    pub clock: Arc<ManualClock>,
    /// The manifest.
    pub manifest: Manifest,
    /// The election identifier.
    pub election: [u8; 32],
    /// The election key `H`, prepared for encryption.
    pub key: sawt_crypto::EncryptionKey,
    /// The election key `H`, for verification.
    pub public_key: sawt_crypto::PublicKey,
    /// The trustees' key shares (trustee `i` at `i - 1`): what each holds after the key
    /// generation.
    pub shares: Vec<sawt_crypto::threshold::TrusteeKeyShare>,
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario").finish_non_exhaustive()
    }
}

impl Scenario {
    /// The sample election over the first `wilayats` wilayats on the database at `url`, the
    /// first contest given `candidates` candidates (if `Some`), its key generated through
    /// the board; the clock is left in the key-generation window.
    pub async fn new(
        url: &str,
        wilayats: usize,
        candidates: Option<u32>,
    ) -> Result<Scenario, BoardError> {
        Self::build(url, wilayats, candidates, None).await
    }

    /// [`Scenario::new`] with every window moved so that voting (abroad) opens at
    /// `voting_opens_ms`: for tests against a server that runs on the real clock, whose earlier
    /// phases the hand-driven clock goes through in the past.
    pub async fn voting_opens_at(
        url: &str,
        wilayats: usize,
        candidates: Option<u32>,
        voting_opens_ms: u64,
    ) -> Result<Scenario, BoardError> {
        Self::build(url, wilayats, candidates, Some(voting_opens_ms)).await
    }

    async fn build(
        url: &str,
        wilayats: usize,
        candidates: Option<u32>,
        voting_opens_ms: Option<u64>,
    ) -> Result<Scenario, BoardError> {
        let windows = voting_opens_ms.map(|opens| {
            let mut w = sawt_registry::sample::windows();
            let start = w.voting_abroad.start_ms;
            for win in [
                &mut w.registration,
                &mut w.candidacy,
                &mut w.key_generation,
                &mut w.campaign,
                &mut w.voting_abroad,
                &mut w.voting_home,
            ] {
                for t in [&mut win.start_ms, &mut win.end_ms] {
                    *t = (*t as i128 + opens as i128 - start as i128) as u64;
                }
            }
            w
        });
        let (board, clock, manifest, election) =
            sample_board(url, wilayats, candidates, windows).await?;
        let (public_key, shares) = generate_key(&board, &clock, &manifest, election).await?;
        Ok(Scenario {
            board,
            clock,
            manifest,
            election,
            key: public_key.prepare(),
            public_key,
            shares,
        })
    }

    /// Signs `body` by `author`, timestamped now; the canonical bytes.
    pub fn sign(&self, author: &SigningKey, body: EntryBody) -> Vec<u8> {
        sign(self.election, self.clock.now_ms(), author, body)
    }

    /// Enrols the credentials for `wilayat` (the registrar's entries, many per transaction),
    /// moving the clock to the campaign if it is not before voting already.
    pub async fn enrol(
        &self,
        credentials: &[PublicKeyHex],
        wilayat: &WilayatId,
    ) -> Result<(), BoardError> {
        let w = &self.manifest.windows;
        if self.clock.now_ms() >= w.voting_abroad.start_ms {
            return Err(BoardError::Refused("enrolment closed".into()));
        }
        let registrar = party_key(2);
        let tasks: Vec<_> = credentials
            .iter()
            .map(|c| {
                let bytes = self.sign(
                    &registrar,
                    EntryBody::CredentialEnrolment {
                        credential: c.clone(),
                        wilayat: wilayat.clone(),
                    },
                );
                let board = self.board.clone();
                tokio::spawn(async move { board.submit(&bytes).await.map(|_| ()) })
            })
            .collect();
        for t in tasks {
            t.await
                .map_err(|e| BoardError::Refused(format!("enrolment task: {e}")))??;
        }
        Ok(())
    }

    /// Moves the clock into voting at home.
    pub fn open_voting(&self) {
        self.clock
            .set(self.manifest.windows.voting_home.start_ms + 1);
    }

    /// A ballot entry (canonical bytes) by voter `device` choosing `choice` in the contest of
    /// `wilayat`, and its tracking code.
    pub fn ballot(
        &self,
        device: &SigningKey,
        wilayat: &WilayatId,
        choice: &[String],
    ) -> Result<(Vec<u8>, sawt_election::ballot::BallotOpening), BoardError> {
        let contest = self
            .manifest
            .contest_of(wilayat)
            .ok_or_else(|| BoardError::Refused("no contest".into()))?;
        let (ballot, opening) = sawt_election::ballot::Ballot::encrypt_with_rng(
            self.election,
            contest,
            &self.key,
            &PublicKeyHex::from_key(&device.verifying_key()),
            choice,
            &mut sawt_crypto::rng::os_rng(),
        )
        .map_err(|e| BoardError::Refused(e.to_string()))?;
        Ok((self.sign(device, EntryBody::Ballot(ballot)), opening))
    }

    /// Decodes entry bytes (for tests).
    pub fn decode(bytes: &[u8]) -> SignedEntry {
        SignedEntry::decode(bytes).expect("entries made here decode")
    }
}

/// A board on the database at `url` holding the sample manifest over the first `wilayats`
/// wilayats (the first contest given `candidates` candidates, if `Some`; the windows
/// `windows`, if given), before any key generation; its clock just before registration. The
/// parties' keys are [`party_key`]'s.
pub async fn sample_board(
    url: &str,
    wilayats: usize,
    candidates: Option<u32>,
    windows: Option<sawt_election::manifest::Windows>,
) -> Result<(Arc<Board>, Arc<ManualClock>, Manifest, [u8; 32]), BoardError> {
    let pk = |s: u8| PublicKeyHex::from_key(&party_key(s).verifying_key());
    let mut manifest = sawt_registry::sample::manifest(
        Authorities {
            election_authority: pk(1),
            registrar: pk(2),
            board_operator: pk(3),
        },
        wilayats,
    );
    if let Some(w) = windows {
        manifest.windows = w;
    }
    if let Some(n) = candidates {
        let c = &mut manifest.contests[0];
        c.candidates = (1..=n)
            .map(|k| Candidate {
                id: format!("{}-{k}", c.id),
                name: Names {
                    ar: format!("مرشح {k}"),
                    en: format!("Candidate {k}"),
                },
                ballot_order: k,
            })
            .collect();
    }
    let (board, clock, election) = board_for(url, &manifest).await?;
    Ok((board, clock, manifest, election))
}

/// A board on the database at `url` holding `manifest` (signed by [`party_key`] 1, the
/// board operator [`party_key`] 3), its clock just before registration.
pub async fn board_for(
    url: &str,
    manifest: &Manifest,
) -> Result<(Arc<Board>, Arc<ManualClock>, [u8; 32]), BoardError> {
    let pk = |s: u8| PublicKeyHex::from_key(&party_key(s).verifying_key());
    let election = manifest
        .hash()
        .map_err(|e| BoardError::Refused(e.to_string()))?;
    let clock = Arc::new(ManualClock::at(manifest.windows.registration.start_ms - 1));
    let store = LogStore::open(url).await?;
    let first = Entry {
        format: ENTRY_FORMAT.into(),
        election: Hex32(election),
        author: pk(1),
        timestamp_ms: clock.now_ms(),
        body: EntryBody::Manifest(Box::new(manifest.clone())),
    }
    .sign(&party_key(1))
    .map_err(|e| BoardError::Refused(e.to_string()))?;
    let board = Arc::new(Board::create(store, &first, party_key(3), clock.clone()).await?);
    Ok((board, clock, election))
}

/// Signs `body` by `author` at `at`; the canonical bytes.
fn sign(election: [u8; 32], at: u64, author: &SigningKey, body: EntryBody) -> Vec<u8> {
    Entry {
        format: ENTRY_FORMAT.into(),
        election: Hex32(election),
        author: PublicKeyHex::from_key(&author.verifying_key()),
        timestamp_ms: at,
        body,
    }
    .sign(author)
    .and_then(|e| e.canonical_bytes())
    .expect("entries of valid values encode")
}

/// Runs the key generation through the board by the trustees' keys; the election key and
/// the trustees' shares.
async fn generate_key(
    board: &Board,
    clock: &ManualClock,
    manifest: &Manifest,
    election: [u8; 32],
) -> Result<
    (
        sawt_crypto::PublicKey,
        Vec<sawt_crypto::threshold::TrusteeKeyShare>,
    ),
    BoardError,
> {
    clock.set(manifest.windows.key_generation.start_ms);
    let t = &manifest.trustees;
    let params = KeyGenParams::new(t.threshold, t.members.len() as u32)
        .map_err(|e| BoardError::Refused(e.to_string()))?;
    let ctx = Context::new(&election);
    let mut rng = sawt_crypto::rng::os_rng();
    let refused = |e: sawt_crypto::KeyGenError| BoardError::Refused(e.to_string());
    let mut setups = Vec::new();
    let mut anns = Vec::new();
    for i in 1..=t.members.len() as u32 {
        let (s, a) = TrusteeSetup::new_with_rng(params, &ctx, i, &mut rng).map_err(refused)?;
        setups.push(s);
        anns.push(a);
    }
    for a in &anns {
        let bytes = sign(
            election,
            clock.now_ms(),
            &party_key(100 + a.trustee as u8),
            EntryBody::KeyGenAnnouncement(a.clone()),
        );
        board.submit(&bytes).await?;
    }
    let mut dealings = Vec::new();
    let mut waiting = Vec::new();
    for s in setups {
        let (w, d) = s.deal_with_rng(&ctx, &anns, &mut rng).map_err(refused)?;
        dealings.push(d);
        waiting.push(w);
    }
    for d in &dealings {
        let bytes = sign(
            election,
            clock.now_ms(),
            &party_key(100 + d.dealer as u8),
            EntryBody::KeyGenDealing(d.clone()),
        );
        board.submit(&bytes).await?;
    }
    let outcome = sawt_crypto::dkg::KeyGenOutcome::compute(&params, &ctx, &anns, &dealings, &[])
        .map_err(refused)?;
    let bytes = sign(
        election,
        clock.now_ms(),
        &party_key(1),
        EntryBody::JointKey {
            key: *outcome.joint_key.element(),
            verification_keys: outcome.verification_keys.clone(),
        },
    );
    board.submit(&bytes).await?;
    let mut shares = Vec::new();
    for w in waiting {
        let (c, _) = w
            .receive_with_rng(&ctx, &anns, &dealings, &mut rng)
            .map_err(refused)?;
        shares.push(c.finish(&ctx, &anns, &dealings, &[]).map_err(refused)?.0);
    }
    Ok((outcome.joint_key, shares))
}
