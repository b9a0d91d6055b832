//! Ballot styles and ballots (`protocol-spec/election.md` §4).
//!
//! A voter sees the **ballot style** of the wilayat where they are registered: its one
//! contest, seats, votes per voter and candidates in ballot order. A **ballot** is encrypted
//! under the election key in one of two forms, by the contest's tally method:
//!
//! * homomorphic: one ciphertext per candidate (ballot order) with a 0/1 proof, and a range
//!   proof that their sum encrypts at most `votes_per_voter`;
//! * mixnet: one vector ciphertext of width `votes_per_voter` (each component `0` or
//!   `candidate position + 1`), with a proof of knowledge of its nonces.
//!
//! Every proof's context is `Context::new(election).with("contest", id).with("credential",
//! key)` (the total's adds `.with("part", "total")`), so a ballot cannot be replayed in
//! another election or contest, nor re-cast under another credential (ballot copying). The
//! voter's credential signs the ballot as the author of its board entry
//! ([`crate::entry`]). Its **tracking code** is shown before the voter casts or audits it.

use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use sawt_crypto::batch::BatchVerifier;
use sawt_crypto::proofs::knowledge::EncryptionKnowledgeProof;
use sawt_crypto::proofs::range::{RangeProof, encrypt_in_range_with_rng};
use sawt_crypto::{Ciphertext, CiphertextVector, Context, EncryptionKey, Nonce, PublicKey};

use crate::canonical;
use crate::geography::WilayatId;
use crate::keys::{Hex32, PublicKeyHex};
use crate::manifest::{Contest, Manifest, Names, TallyMethod};
use crate::mixnet_choice;

/// What a voter's device shows and fills.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotStyle {
    /// The election (manifest hash).
    pub election: Hex32,
    /// The contest.
    pub contest: String,
    /// The voter's wilayat.
    pub wilayat: WilayatId,
    /// Seats.
    pub seats: u32,
    /// Choices allowed.
    pub votes_per_voter: u32,
    /// The ballot's form.
    pub tally: TallyMethod,
    /// Candidates in ballot order: identifier and name.
    pub candidates: Vec<(String, Names)>,
}

impl BallotStyle {
    /// The style of the wilayat's contest, or `None` if the manifest has no contest there.
    pub fn for_wilayat(
        manifest: &Manifest,
        election: [u8; 32],
        wilayat: &WilayatId,
    ) -> Option<Self> {
        Some(Self::for_contest(election, manifest.contest_of(wilayat)?))
    }

    /// The style of a contest as ballots see it: for a contest whose candidates were
    /// published after the manifest, pass the contest with its published list
    /// (`sawt_election::candidates::PublishedLists::contest_of`).
    pub fn for_contest(election: [u8; 32], c: &Contest) -> Self {
        BallotStyle {
            election: Hex32(election),
            contest: c.id.clone(),
            wilayat: c.wilayat.clone(),
            seats: c.seats,
            votes_per_voter: c.votes_per_voter,
            tally: c.tally,
            candidates: c
                .candidates
                .iter()
                .map(|k| (k.id.clone(), k.name.clone()))
                .collect(),
        }
    }
}

/// One encrypted selection: a candidate's 0/1 ciphertext and its proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selection {
    /// Encrypts 1 if the candidate is chosen, else 0.
    pub ciphertext: Ciphertext,
    /// Proof that it encrypts 0 or 1.
    pub proof: RangeProof,
}

/// The encrypted content, in the contest's form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "form", rename_all = "kebab-case", deny_unknown_fields)]
pub enum BallotContent {
    /// Per-candidate ciphertexts.
    Homomorphic {
        /// One per candidate, in ballot order.
        selections: Vec<Selection>,
        /// Proof that the sum of the selections encrypts at most `votes_per_voter`.
        total_proof: RangeProof,
    },
    /// One vector ciphertext.
    Mixnet {
        /// Width `votes_per_voter`.
        ciphertext: CiphertextVector,
        /// Proof of knowledge of its nonces.
        proof: EncryptionKnowledgeProof,
    },
}

/// An encrypted ballot. Its author (the credential) signs it as a board entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ballot {
    /// The election (manifest hash).
    pub election: Hex32,
    /// The contest.
    pub contest: String,
    /// The voter's credential (ed25519 public key).
    pub credential: PublicKeyHex,
    /// The ciphertexts and proofs.
    pub content: BallotContent,
}

/// The secrets of a ballot, kept on the device: the choice and every nonce, revealed only to
/// audit the ballot (Benaloh challenge), never for a cast ballot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotOpening {
    /// The chosen candidates' identifiers.
    pub choice: Vec<String>,
    /// The encryption nonces, one per ciphertext in order.
    #[serde(with = "sawt_crypto::group::scalar_vec_hex")]
    pub nonces: Vec<sawt_crypto::Scalar>,
}

/// A ballot does not match the rules or does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BallotError {
    /// The choice breaks the contest's rules (refused on the device, before encrypting).
    #[error("invalid choice: {0}")]
    Choice(String),
    /// The ballot is for another election.
    #[error("the ballot is for another election")]
    Election,
    /// The contest is unknown, or is not the voter's.
    #[error("contest {0:?} is not this voter's contest")]
    Contest(String),
    /// The ballot's form or size does not match its contest.
    #[error("ballot shape: {0}")]
    Shape(&'static str),
    /// A proof failed.
    #[error("a ballot proof failed: {0}")]
    Proof(#[from] sawt_crypto::ProofError),
    /// An audited ballot's opening does not reproduce it.
    #[error("the revealed choice and nonces do not reproduce the ballot")]
    Opening,
}

/// The context of a ballot's proofs.
pub fn ballot_context(election: &[u8; 32], contest: &str, credential: &PublicKeyHex) -> Context {
    Context::new(election)
        .with(b"contest", contest.as_bytes())
        .with(b"credential", credential.bytes())
}

fn check_choice(contest: &Contest, choice: &[String]) -> Result<Vec<usize>, BallotError> {
    if choice.len() > contest.votes_per_voter as usize {
        return Err(BallotError::Choice(format!(
            "{} candidates chosen, at most {} allowed",
            choice.len(),
            contest.votes_per_voter
        )));
    }
    let mut positions = Vec::with_capacity(choice.len());
    for id in choice {
        let pos = contest
            .candidates
            .iter()
            .position(|c| &c.id == id)
            .ok_or_else(|| {
                BallotError::Choice(format!("{id} is not a candidate in {}", contest.id))
            })?;
        if positions.contains(&pos) {
            return Err(BallotError::Choice(format!("{id} chosen twice")));
        }
        positions.push(pos);
    }
    Ok(positions)
}

impl Ballot {
    /// Encrypts a choice for `contest` under the election key: what a voter's device does.
    /// The choice is checked first; a choice breaking the rules is refused with a clear
    /// message and nothing is encrypted.
    pub fn encrypt_with_rng<R: CryptoRng + ?Sized>(
        election: [u8; 32],
        contest: &Contest,
        key: &EncryptionKey,
        credential: &PublicKeyHex,
        choice: &[String],
        rng: &mut R,
    ) -> Result<(Ballot, BallotOpening), BallotError> {
        let positions = check_choice(contest, choice)?;
        let ctx = ballot_context(&election, &contest.id, credential);
        let (content, nonces) = match contest.tally {
            TallyMethod::Homomorphic => {
                let mut selections = Vec::with_capacity(contest.candidates.len());
                let mut nonces = Vec::with_capacity(contest.candidates.len());
                for i in 0..contest.candidates.len() {
                    let v = u64::from(positions.contains(&i));
                    let (ciphertext, proof, nonce) =
                        encrypt_in_range_with_rng(&ctx, key, v, 1, rng)?;
                    selections.push(Selection { ciphertext, proof });
                    nonces.push(nonce);
                }
                let sum = Ciphertext::sum(selections.iter().map(|s| &s.ciphertext));
                let total_ctx = ctx.clone().with(b"part", b"total");
                let total_proof = RangeProof::prove_with_rng(
                    &total_ctx,
                    key,
                    &sum,
                    positions.len() as u64,
                    &Nonce::sum(&nonces),
                    u64::from(contest.votes_per_voter),
                    rng,
                )?;
                (
                    BallotContent::Homomorphic {
                        selections,
                        total_proof,
                    },
                    nonces,
                )
            }
            TallyMethod::Mixnet => {
                let values = mixnet_choice(&positions, contest.votes_per_voter as usize);
                let (ciphertext, nonces) = key.encrypt_vector_with_rng(&values, rng);
                let proof =
                    EncryptionKnowledgeProof::prove_with_rng(&ctx, &ciphertext, &nonces, rng)?;
                (BallotContent::Mixnet { ciphertext, proof }, nonces)
            }
        };
        let ballot = Ballot {
            election: Hex32(election),
            contest: contest.id.clone(),
            credential: credential.clone(),
            content,
        };
        let opening = BallotOpening {
            choice: choice.to_vec(),
            nonces: nonces.iter().map(Nonce::reveal).collect(),
        };
        Ok((ballot, opening))
    }

    /// Checks the ballot against its election and contest and verifies every proof.
    pub fn verify(
        &self,
        election: &[u8; 32],
        contest: &Contest,
        key: &PublicKey,
    ) -> Result<(), BallotError> {
        let mut batch = BatchVerifier::new();
        self.queue(election, contest, key, &mut batch)?;
        batch.verify()?;
        Ok(())
    }

    /// Checks the ballot's shape and queues the equations of every proof into `batch`
    /// (`protocol-spec/crypto.md` §5.6): a verifier checks many ballots with one
    /// multiscalar multiplication. The shape, the proofs' sizes and the identity
    /// commitments are checked here, item by item; the equations when `batch` is verified.
    pub fn queue(
        &self,
        election: &[u8; 32],
        contest: &Contest,
        key: &PublicKey,
        batch: &mut BatchVerifier,
    ) -> Result<(), BallotError> {
        self.check_shape(election, contest)?;
        let ctx = ballot_context(election, &contest.id, &self.credential);
        match &self.content {
            BallotContent::Homomorphic {
                selections,
                total_proof,
            } => {
                for s in selections {
                    s.proof.queue(&ctx, key, &s.ciphertext, 1, batch)?;
                }
                let sum = Ciphertext::sum(selections.iter().map(|s| &s.ciphertext));
                let total_ctx = ctx.clone().with(b"part", b"total");
                let max = u64::from(contest.votes_per_voter);
                total_proof.queue(&total_ctx, key, &sum, max, batch)?;
            }
            BallotContent::Mixnet { ciphertext, proof } => proof.queue(&ctx, ciphertext, batch)?,
        }
        Ok(())
    }

    /// The checks that need no cryptography: election, contest, form and sizes.
    pub fn check_shape(&self, election: &[u8; 32], contest: &Contest) -> Result<(), BallotError> {
        if &self.election.0 != election {
            return Err(BallotError::Election);
        }
        if self.contest != contest.id {
            return Err(BallotError::Contest(self.contest.clone()));
        }
        match (&self.content, contest.tally) {
            (BallotContent::Homomorphic { selections, .. }, TallyMethod::Homomorphic) => {
                if selections.len() != contest.candidates.len() {
                    return Err(BallotError::Shape("one selection per candidate"));
                }
            }
            (BallotContent::Mixnet { ciphertext, .. }, TallyMethod::Mixnet) => {
                if ciphertext.width() != contest.votes_per_voter as usize {
                    return Err(BallotError::Shape("vector width must be votes_per_voter"));
                }
            }
            _ => {
                return Err(BallotError::Shape(
                    "the ballot's form is not the contest's tally method",
                ));
            }
        }
        Ok(())
    }

    /// The ballot's ciphertexts, in order (what an opening's nonces apply to).
    pub fn ciphertexts(&self) -> Vec<&Ciphertext> {
        match &self.content {
            BallotContent::Homomorphic { selections, .. } => {
                selections.iter().map(|s| &s.ciphertext).collect()
            }
            BallotContent::Mixnet { ciphertext, .. } => ciphertext.0.iter().collect(),
        }
    }

    /// Checks that an audited ballot's revealed choice and nonces reproduce every ciphertext:
    /// what a second device does to catch a phone that encrypted something else.
    pub fn check_opening(
        &self,
        contest: &Contest,
        key: &EncryptionKey,
        opening: &BallotOpening,
    ) -> Result<(), BallotError> {
        let positions = check_choice(contest, &opening.choice)?;
        let values: Vec<u64> = match contest.tally {
            TallyMethod::Homomorphic => (0..contest.candidates.len())
                .map(|i| u64::from(positions.contains(&i)))
                .collect(),
            TallyMethod::Mixnet => mixnet_choice(&positions, contest.votes_per_voter as usize),
        };
        let cts = self.ciphertexts();
        if cts.len() != values.len() || opening.nonces.len() != values.len() {
            return Err(BallotError::Opening);
        }
        for ((ct, v), r) in cts.iter().zip(&values).zip(&opening.nonces) {
            if key.encrypt_with_nonce(*v, &Nonce::from_scalar(*r)) != **ct {
                return Err(BallotError::Opening);
            }
        }
        Ok(())
    }

    /// The tracking code: the first 15 bytes of `SHA-256("sawt/v1/tracking\n" ‖ canonical
    /// ballot)` in base32 (RFC 4648 alphabet), as six groups of four characters.
    pub fn tracking_code(&self) -> Result<String, canonical::CanonicalError> {
        let mut h = Sha256::new();
        h.update(b"sawt/v1/tracking\n");
        h.update(canonical::encode(self)?);
        let d = h.finalize();
        Ok(base32_groups(&d[..15]))
    }
}

/// RFC 4648 base32 of `bytes` (a multiple of 5 bytes), in groups of four characters.
fn base32_groups(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let mut n = 0;
    for chunk in bytes.chunks(5) {
        let mut v = [0u8; 8];
        v[3..8 - (5 - chunk.len())].copy_from_slice(chunk);
        let x = u64::from_be_bytes(v);
        for i in (0..8).rev() {
            if n > 0 && n % 4 == 0 {
                out.push('-');
            }
            out.push(ALPHABET[((x >> (5 * i)) & 31) as usize] as char);
            n += 1;
        }
    }
    out
}
