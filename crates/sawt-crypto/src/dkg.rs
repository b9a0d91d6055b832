//! Threshold key generation for t-of-n trustees: Pedersen's joint-Feldman protocol with
//! verifiable complaints (`protocol-spec/crypto.md` §6).
//!
//! Every message is public (it is posted to the bulletin board); secrets travel only inside
//! [`EncryptedShare`]s. The rounds:
//!
//! 1. **Announce.** Trustee `i` creates a share-encryption key `E_i = e_i·G` and posts an
//!    [`Announcement`] with a Schnorr proof of knowledge of `e_i` bound to its index.
//! 2. **Deal.** Trustee `i` picks a random polynomial `f_i(z) = a_{i,0} + … + a_{i,t−1}z^{t−1}`,
//!    posts the Feldman commitments `A_{i,k} = a_{i,k}·G`, a Schnorr proof of knowledge of
//!    `a_{i,0}` bound to its index (against rogue-key attacks, `shared/REFERENCES.md` attack
//!    6), and for every trustee `j` (itself included) the share `f_i(j)` sealed to `E_j`: a
//!    [`Dealing`].
//! 3. **Check and complain.** Trustee `j` opens its share from each dealer and checks
//!    `f_i(j)·G = Σ_k j^k·A_{i,k}`. If the box does not open or the check fails, it posts a
//!    [`Complaint`] that reveals the Diffie–Hellman point of that one box with a proof, so
//!    that anyone can see the share is bad. A valid complaint disqualifies the dealer; an
//!    unfounded one is recorded and changes nothing.
//! 4. **Finish.** [`KeyGenOutcome::compute`] is a public function of the posted messages:
//!    the qualified dealers `Q`, the joint key `H = Σ_{i∈Q} A_{i,0}`, and every trustee's
//!    verification key `H_j = Σ_{i∈Q} Σ_k j^k·A_{i,k}`. Trustee `j`'s secret share is
//!    `s_j = Σ_{i∈Q} f_i(j)`, with `s_j·G = H_j`.
//!
//! The trustee's side is a chain of typestates ([`TrusteeSetup`] → [`AwaitingDealings`] →
//! [`AwaitingComplaints`] → [`TrusteeKeyShare`]); each consumes the previous one, none can be
//! cloned or serialised, and every secret in them is zeroized on drop. They MUST NOT be sent
//! anywhere.
//!
//! The secret states cannot be copied or serialised:
//!
//! ```compile_fail
//! fn copy(s: &sawt_crypto::dkg::TrusteeSetup) -> sawt_crypto::dkg::TrusteeSetup {
//!     s.clone()
//! }
//! ```
//!
//! ```compile_fail
//! fn send(s: &sawt_crypto::dkg::AwaitingComplaints) -> String {
//!     serde_json::to_string(s).unwrap()
//! }
//! ```
//!
//! and a consumed state cannot be used again:
//!
//! ```compile_fail
//! use sawt_crypto::dkg::*;
//! fn twice(s: TrusteeSetup, ctx: &sawt_crypto::Context, a: &[Announcement]) {
//!     let mut rng = sawt_crypto::rng::os_rng();
//!     let _ = s.deal_with_rng(ctx, a, &mut rng);
//!     let _ = s.deal_with_rng(ctx, a, &mut rng);
//! }
//! ```
//!
//! Joint-Feldman lets the last dealer bias the joint key's distribution (Gennaro et al.); for
//! ElGamal encryption this is harmless, as the paper shows, and it is the construction
//! ElectionGuard uses.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::elgamal::{PublicKey, random_nonzero_scalar};
use crate::error::{DecodeError, KeyGenError};
use crate::group::{Element, Reader, Writer};
use crate::proofs::dleq::{DleqProof, DleqStatement};
use crate::proofs::schnorr::SchnorrProof;
use crate::share_encryption::{EncryptedShare, OpenError};
use crate::threshold::TrusteeKeyShare;
use crate::transcript::Context;

/// The largest number of trustees.
pub const MAX_TRUSTEES: u32 = 64;

/// Threshold `t` and number of trustees `n`, with `1 ≤ t ≤ n ≤ MAX_TRUSTEES`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyGenParams {
    /// Trustees needed to decrypt.
    pub threshold: u32,
    /// Trustees in all, numbered `1..=n`.
    pub trustees: u32,
}

impl KeyGenParams {
    /// Checks `1 ≤ t ≤ n ≤ MAX_TRUSTEES`.
    pub fn new(threshold: u32, trustees: u32) -> Result<Self, KeyGenError> {
        if threshold == 0 || threshold > trustees || trustees > MAX_TRUSTEES {
            return Err(KeyGenError::Parameters("need 1 ≤ t ≤ n ≤ 64"));
        }
        Ok(KeyGenParams {
            threshold,
            trustees,
        })
    }

    fn check_index(&self, i: u32) -> Result<(), KeyGenError> {
        if i == 0 || i > self.trustees {
            Err(KeyGenError::Index(i))
        } else {
            Ok(())
        }
    }

    fn validate(&self) -> Result<(), KeyGenError> {
        KeyGenParams::new(self.threshold, self.trustees).map(|_| ())
    }
}

/// The context of one proof or box in the key generation: the election's context, the
/// purpose and the trustee index.
fn purpose(ctx: &Context, what: &'static [u8], trustee: u32) -> Context {
    ctx.clone()
        .with(b"dkg", what)
        .with_u64(b"trustee", u64::from(trustee))
}

/// Round 1 message: a trustee's share-encryption key with proof of possession.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Announcement {
    /// The trustee's index, `1..=n`.
    pub trustee: u32,
    /// `E_i = e_i·G`.
    pub encryption_key: Element,
    /// Schnorr proof of knowledge of `e_i`, context `dkg = "encryption-key"`, `trustee = i`.
    pub proof: SchnorrProof,
}

impl Announcement {
    /// Checks the index and the proof of possession.
    pub fn verify(&self, params: &KeyGenParams, ctx: &Context) -> Result<(), KeyGenError> {
        params.check_index(self.trustee)?;
        self.proof
            .verify(
                &purpose(ctx, b"encryption-key", self.trustee),
                &Element::generator(),
                &self.encryption_key,
            )
            .map_err(|_| KeyGenError::InvalidMessage {
                author: self.trustee,
                reason: "proof of possession",
            })
    }

    /// Canonical encoding: `u32le(i) ‖ E_i ‖ proof` (100 bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(100);
        out.put_u32(self.trustee);
        out.put_element(&self.encryption_key);
        self.proof.write(&mut out);
        out
    }

    /// Decodes the canonical encoding.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let a = Announcement {
            trustee: r.u32()?,
            encryption_key: r.element_nonidentity()?,
            proof: SchnorrProof::read(&mut r)?,
        };
        r.finish()?;
        Ok(a)
    }
}

/// Round 2 message: a dealer's Feldman commitments, proof, and sealed shares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dealing {
    /// The dealer's index.
    pub dealer: u32,
    /// `A_{i,k} = a_{i,k}·G` for `k = 0..t`.
    pub commitments: Vec<Element>,
    /// Schnorr proof of knowledge of `a_{i,0}`, context `dkg = "coefficient"`, `trustee = i`.
    pub proof: SchnorrProof,
    /// `f_i(j)` sealed to trustee `j`, for `j = 1..=n` in order.
    pub shares: Vec<EncryptedShare>,
}

impl Dealing {
    /// Checks the shape and the proof of knowledge (not the sealed shares: only their
    /// recipients can, and they complain if a share is bad).
    pub fn verify(&self, params: &KeyGenParams, ctx: &Context) -> Result<(), KeyGenError> {
        params.check_index(self.dealer)?;
        let bad = |reason| KeyGenError::InvalidMessage {
            author: self.dealer,
            reason,
        };
        if self.commitments.len() != params.threshold as usize {
            return Err(bad("wrong number of commitments"));
        }
        if self.shares.len() != params.trustees as usize {
            return Err(bad("wrong number of sealed shares"));
        }
        if self.commitments.iter().any(Element::is_identity) {
            return Err(bad("identity commitment"));
        }
        if self.shares.iter().any(|s| s.ephemeral.is_identity()) {
            return Err(bad("identity ephemeral key in a sealed share"));
        }
        if self.shares.iter().any(|s| s.ephemeral.is_identity()) {
            return Err(bad("identity ephemeral key in a sealed share"));
        }
        self.proof
            .verify(
                &purpose(ctx, b"coefficient", self.dealer),
                &Element::generator(),
                &self.commitments[0],
            )
            .map_err(|_| bad("proof of knowledge of the constant coefficient"))
    }

    /// `Σ_k j^k·A_{i,k}`: what `f_i(j)·G` must be.
    pub fn expected_share_point(&self, recipient: u32) -> RistrettoPoint {
        feldman_eval(&self.commitments, recipient)
    }

    /// Canonical encoding: `u32le(i) ‖ u32le(t) ‖ A_0 … A_{t−1} ‖ proof ‖ u32le(n) ‖
    /// (R_j ‖ box_j)_{j=1..n}`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.put_u32(self.dealer);
        out.put_u32(self.commitments.len() as u32);
        for a in &self.commitments {
            out.put_element(a);
        }
        self.proof.write(&mut out);
        out.put_u32(self.shares.len() as u32);
        for s in &self.shares {
            s.write(&mut out);
        }
        out
    }

    /// Decodes the canonical encoding.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let dealer = r.u32()?;
        let t = r.u32()?;
        if t == 0 || t > MAX_TRUSTEES {
            return Err(DecodeError::Count("threshold"));
        }
        let commitments = (0..t)
            .map(|_| r.element_nonidentity())
            .collect::<Result<_, _>>()?;
        let proof = SchnorrProof::read(&mut r)?;
        let n = r.u32()?;
        if n == 0 || n > MAX_TRUSTEES {
            return Err(DecodeError::Count("trustees"));
        }
        let shares = (0..n)
            .map(|_| EncryptedShare::read(&mut r))
            .collect::<Result<_, _>>()?;
        r.finish()?;
        Ok(Dealing {
            dealer,
            commitments,
            proof,
            shares,
        })
    }
}

fn feldman_eval(commitments: &[Element], at: u32) -> RistrettoPoint {
    let x = Scalar::from(u64::from(at));
    let mut power = Scalar::ONE;
    let scalars: Vec<Scalar> = commitments
        .iter()
        .map(|_| {
            let p = power;
            power *= x;
            p
        })
        .collect();
    RistrettoPoint::vartime_multiscalar_mul(&scalars, commitments.iter().map(Element::point))
}

/// Round 3 message: trustee `complainer` shows that its share from `dealer` is bad.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Complaint {
    /// The complaining recipient.
    pub complainer: u32,
    /// The accused dealer.
    pub dealer: u32,
    /// `K = e_j·R`, the Diffie–Hellman point of the box from `dealer` to `complainer`.
    pub shared_point: Element,
    /// Chaum–Pedersen proof of `log_G E_j = log_R K`, context `dkg = "complaint"`,
    /// `trustee = j`.
    pub proof: DleqProof,
}

/// What a complaint shows once checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComplaintVerdict {
    /// The box does not open: the dealer is disqualified.
    BoxDoesNotOpen,
    /// The box holds a non-canonical scalar: the dealer is disqualified.
    NotAScalar,
    /// The share fails the Feldman check: the dealer is disqualified.
    ShareInconsistent,
    /// The share is valid: the complaint is unfounded and changes nothing.
    Unfounded,
}

impl ComplaintVerdict {
    /// Whether the verdict disqualifies the dealer.
    pub fn disqualifies(self) -> bool {
        self != ComplaintVerdict::Unfounded
    }
}

impl Complaint {
    /// Checks the complaint against the announcements and the accused dealing. Errors mean the
    /// complaint itself is malformed (and is ignored); a verdict says what it shows.
    pub fn verify(
        &self,
        params: &KeyGenParams,
        ctx: &Context,
        announcements: &[Announcement],
        dealing: &Dealing,
    ) -> Result<ComplaintVerdict, KeyGenError> {
        params.check_index(self.complainer)?;
        params.check_index(self.dealer)?;
        let bad = |reason| KeyGenError::InvalidMessage {
            author: self.complainer,
            reason,
        };
        if dealing.dealer != self.dealer {
            return Err(bad("complaint checked against another dealer's dealing"));
        }
        let ann = announcements
            .iter()
            .find(|a| a.trustee == self.complainer)
            .ok_or(bad("complainer has no announcement"))?;
        let sealed = dealing
            .shares
            .get(self.complainer as usize - 1)
            .ok_or(bad("no share for complainer"))?;
        let statement = DleqStatement {
            b1: &Element::generator(),
            x: &ann.encryption_key,
            b2: &sealed.ephemeral,
            y: &self.shared_point,
        };
        self.proof
            .verify(&purpose(ctx, b"complaint", self.complainer), &statement)
            .map_err(|_| bad("proof of the revealed Diffie–Hellman point"))?;
        let opened = sealed.open_with_shared_point(
            &purpose(ctx, b"share", self.dealer),
            self.dealer,
            self.complainer,
            &ann.encryption_key,
            &self.shared_point,
        );
        Ok(match opened {
            Err(OpenError::Tag) => ComplaintVerdict::BoxDoesNotOpen,
            Err(OpenError::Scalar) => ComplaintVerdict::NotAScalar,
            Ok(s)
                if RistrettoPoint::mul_base(&s)
                    != dealing.expected_share_point(self.complainer) =>
            {
                ComplaintVerdict::ShareInconsistent
            }
            Ok(_) => ComplaintVerdict::Unfounded,
        })
    }
}

/// Why a dealer is not in the qualified set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disqualification {
    /// The dealer.
    pub dealer: u32,
    /// The reason, for the record.
    pub reason: String,
}

/// The public result of a key generation, computed from the posted messages alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyGenOutcome {
    /// The parameters.
    pub params: KeyGenParams,
    /// The qualified dealers `Q`, ascending.
    pub qualified: Vec<u32>,
    /// Dealers left out, with reasons.
    pub disqualified: Vec<Disqualification>,
    /// Complaints that were checked and found unfounded: `(complainer, dealer)`.
    pub unfounded_complaints: Vec<(u32, u32)>,
    /// The joint election key `H`.
    pub joint_key: PublicKey,
    /// `H_j` for `j = 1..=n`.
    pub verification_keys: Vec<Element>,
}

impl KeyGenOutcome {
    /// Computes the outcome from the public messages. Every trustee and every verifier runs
    /// this same function on the same messages and gets the same result.
    ///
    /// All `n` announcements must be present and valid (a trustee without a key cannot receive
    /// shares). A dealer is qualified when its dealing is present, well formed, unique, and
    /// no valid complaint shows one of its shares to be bad. At least `t` dealers must be
    /// qualified.
    pub fn compute(
        params: &KeyGenParams,
        ctx: &Context,
        announcements: &[Announcement],
        dealings: &[Dealing],
        complaints: &[Complaint],
    ) -> Result<KeyGenOutcome, KeyGenError> {
        params.validate()?;
        check_announcements(params, ctx, announcements)?;
        let mut disqualified: BTreeMap<u32, String> = BTreeMap::new();
        let mut valid: BTreeMap<u32, &Dealing> = BTreeMap::new();
        for d in dealings {
            if params.check_index(d.dealer).is_err() {
                continue; // names no trustee: not a dealing of this key generation
            }
            if valid.contains_key(&d.dealer) || disqualified.contains_key(&d.dealer) {
                disqualified.insert(d.dealer, "more than one dealing".into());
                valid.remove(&d.dealer);
                continue;
            }
            match d.verify(params, ctx) {
                Ok(()) => {
                    valid.insert(d.dealer, d);
                }
                Err(e) => {
                    disqualified.insert(d.dealer, e.to_string());
                }
            }
        }
        for i in 1..=params.trustees {
            if !valid.contains_key(&i) && !disqualified.contains_key(&i) {
                disqualified.insert(i, "no dealing".into());
            }
        }
        let mut unfounded = BTreeSet::new();
        for c in complaints {
            let Some(dealing) = valid.get(&c.dealer).copied() else {
                continue;
            };
            match c.verify(params, ctx, announcements, dealing) {
                Ok(v) if v.disqualifies() => {
                    valid.remove(&c.dealer);
                    disqualified.insert(
                        c.dealer,
                        format!("complaint by trustee {}: {v:?}", c.complainer),
                    );
                }
                Ok(_) | Err(_) => {
                    unfounded.insert((c.complainer, c.dealer));
                }
            }
        }
        if valid.len() < params.threshold as usize {
            return Err(KeyGenError::TooFewQualified {
                qualified: valid.len(),
                threshold: params.threshold,
            });
        }
        let t = params.threshold as usize;
        let mut aggregate = vec![RistrettoPoint::default(); t];
        for d in valid.values() {
            for (acc, a) in aggregate.iter_mut().zip(&d.commitments) {
                *acc += a.point();
            }
        }
        let aggregate: Vec<Element> = aggregate.into_iter().map(Element::from_point).collect();
        let joint_key = PublicKey::from_element(aggregate[0])
            .map_err(|_| KeyGenError::Parameters("joint key is the identity"))?;
        let verification_keys = (1..=params.trustees)
            .map(|j| Element::from_point(feldman_eval(&aggregate, j)))
            .collect();
        Ok(KeyGenOutcome {
            params: *params,
            qualified: valid.keys().copied().collect(),
            disqualified: disqualified
                .into_iter()
                .map(|(dealer, reason)| Disqualification { dealer, reason })
                .collect(),
            unfounded_complaints: unfounded.into_iter().collect(),
            joint_key,
            verification_keys,
        })
    }

    /// Trustee `j`'s verification key `H_j`.
    pub fn verification_key(&self, trustee: u32) -> Option<&Element> {
        trustee
            .checked_sub(1)
            .and_then(|i| self.verification_keys.get(i as usize))
    }
}

fn check_announcements(
    params: &KeyGenParams,
    ctx: &Context,
    announcements: &[Announcement],
) -> Result<(), KeyGenError> {
    let mut seen = BTreeSet::new();
    for a in announcements {
        a.verify(params, ctx)?;
        if !seen.insert(a.trustee) {
            return Err(KeyGenError::Index(a.trustee));
        }
    }
    if seen.len() != params.trustees as usize {
        return Err(KeyGenError::Parameters(
            "every trustee must announce a share-encryption key",
        ));
    }
    Ok(())
}

fn encryption_key_of(announcements: &[Announcement], j: u32) -> Result<&Element, KeyGenError> {
    announcements
        .iter()
        .find(|a| a.trustee == j)
        .map(|a| &a.encryption_key)
        .ok_or(KeyGenError::Parameters(
            "every trustee must announce a share-encryption key",
        ))
}

/// A trustee before dealing: holds its share-encryption secret. MUST NOT be sent.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct TrusteeSetup {
    #[zeroize(skip)]
    params: KeyGenParams,
    #[zeroize(skip)]
    index: u32,
    encryption_secret: Scalar,
}

/// A trustee that has dealt and waits for everyone's dealings. MUST NOT be sent.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct AwaitingDealings {
    #[zeroize(skip)]
    params: KeyGenParams,
    #[zeroize(skip)]
    index: u32,
    encryption_secret: Scalar,
}

/// A trustee that has checked its shares and waits for the complaints. MUST NOT be sent.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct AwaitingComplaints {
    #[zeroize(skip)]
    params: KeyGenParams,
    #[zeroize(skip)]
    index: u32,
    received: Vec<(u32, Scalar)>,
}

macro_rules! redacted_debug {
    ($($t:ty),*) => {$(
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($t)).field("index", &self.index).finish_non_exhaustive()
            }
        }
    )*};
}
redacted_debug!(TrusteeSetup, AwaitingDealings, AwaitingComplaints);

impl TrusteeSetup {
    /// Starts trustee `index`: creates its share-encryption key and the announcement to post.
    pub fn new_with_rng<R: CryptoRng + ?Sized>(
        params: KeyGenParams,
        ctx: &Context,
        index: u32,
        rng: &mut R,
    ) -> Result<(TrusteeSetup, Announcement), KeyGenError> {
        params.validate()?;
        params.check_index(index)?;
        let secret = random_nonzero_scalar(rng);
        let (key, proof) = SchnorrProof::prove_with_rng(
            &purpose(ctx, b"encryption-key", index),
            &Element::generator(),
            &secret,
            rng,
        );
        let ann = Announcement {
            trustee: index,
            encryption_key: key,
            proof,
        };
        Ok((
            TrusteeSetup {
                params,
                index,
                encryption_secret: secret,
            },
            ann,
        ))
    }

    /// Deals: draws the polynomial, seals a share to every trustee, and returns the dealing
    /// to post. The polynomial is zeroized before this returns.
    pub fn deal_with_rng<R: CryptoRng + ?Sized>(
        self,
        ctx: &Context,
        announcements: &[Announcement],
        rng: &mut R,
    ) -> Result<(AwaitingDealings, Dealing), KeyGenError> {
        check_announcements(&self.params, ctx, announcements)?;
        let coefficients: Zeroizing<Vec<Scalar>> = Zeroizing::new(
            (0..self.params.threshold)
                .map(|_| random_nonzero_scalar(rng))
                .collect(),
        );
        let commitments: Vec<Element> = coefficients
            .iter()
            .map(|a| Element::from_point(RistrettoPoint::mul_base(a)))
            .collect();
        let (_, proof) = SchnorrProof::prove_with_rng(
            &purpose(ctx, b"coefficient", self.index),
            &Element::generator(),
            &coefficients[0],
            rng,
        );
        let share_ctx = purpose(ctx, b"share", self.index);
        let mut shares = Vec::with_capacity(self.params.trustees as usize);
        for j in 1..=self.params.trustees {
            let value = Zeroizing::new(eval_polynomial(&coefficients, j));
            let key = encryption_key_of(announcements, j)?;
            shares.push(EncryptedShare::seal_with_rng(
                &share_ctx, self.index, j, key, &value, rng,
            ));
        }
        let dealing = Dealing {
            dealer: self.index,
            commitments,
            proof,
            shares,
        };
        let next = AwaitingDealings {
            params: self.params,
            index: self.index,
            encryption_secret: self.encryption_secret,
        };
        Ok((next, dealing))
    }
}

fn eval_polynomial(coefficients: &[Scalar], at: u32) -> Scalar {
    let x = Scalar::from(u64::from(at));
    coefficients
        .iter()
        .rev()
        .fold(Scalar::ZERO, |acc, a| acc * x + a)
}

impl AwaitingDealings {
    /// Opens and checks this trustee's share in every well-formed dealing; returns the
    /// complaints to post (empty when every dealer behaved).
    pub fn receive_with_rng<R: CryptoRng + ?Sized>(
        self,
        ctx: &Context,
        announcements: &[Announcement],
        dealings: &[Dealing],
        rng: &mut R,
    ) -> Result<(AwaitingComplaints, Vec<Complaint>), KeyGenError> {
        check_announcements(&self.params, ctx, announcements)?;
        let my_key = *encryption_key_of(announcements, self.index)?;
        // Sized once, so that no reallocation leaves copies of shares behind.
        let mut received = Vec::with_capacity(dealings.len());
        let mut complaints = Vec::new();
        for d in dealings {
            if d.verify(&self.params, ctx).is_err() {
                continue; // publicly invalid: everyone leaves it out without a complaint
            }
            let sealed = &d.shares[self.index as usize - 1];
            let shared = sealed.shared_point(&self.encryption_secret);
            let opened = sealed.open_with_shared_point(
                &purpose(ctx, b"share", d.dealer),
                d.dealer,
                self.index,
                &my_key,
                &shared,
            );
            match opened {
                Ok(s) if RistrettoPoint::mul_base(&s) == d.expected_share_point(self.index) => {
                    received.push((d.dealer, s));
                }
                _ => {
                    let statement = DleqStatement {
                        b1: &Element::generator(),
                        x: &my_key,
                        b2: &sealed.ephemeral,
                        y: &shared,
                    };
                    let proof = DleqProof::prove_with_rng(
                        &purpose(ctx, b"complaint", self.index),
                        &statement,
                        &self.encryption_secret,
                        rng,
                    );
                    complaints.push(Complaint {
                        complainer: self.index,
                        dealer: d.dealer,
                        shared_point: shared,
                        proof,
                    });
                }
            }
        }
        let next = AwaitingComplaints {
            params: self.params,
            index: self.index,
            received,
        };
        Ok((next, complaints))
    }
}

impl AwaitingComplaints {
    /// Computes the public outcome from every posted message and this trustee's secret share
    /// `s_j = Σ_{i∈Q} f_i(j)`, checked against its verification key.
    pub fn finish(
        self,
        ctx: &Context,
        announcements: &[Announcement],
        dealings: &[Dealing],
        complaints: &[Complaint],
    ) -> Result<(TrusteeKeyShare, KeyGenOutcome), KeyGenError> {
        let outcome =
            KeyGenOutcome::compute(&self.params, ctx, announcements, dealings, complaints)?;
        let mut secret = Zeroizing::new(Scalar::ZERO);
        for dealer in &outcome.qualified {
            let (_, s) = self.received.iter().find(|(d, _)| d == dealer).ok_or(
                KeyGenError::InvalidMessage {
                    author: *dealer,
                    reason: "no valid share received",
                },
            )?;
            *secret += s;
        }
        let vk = *outcome
            .verification_key(self.index)
            .ok_or(KeyGenError::Index(self.index))?;
        if RistrettoPoint::mul_base(&secret) != *vk.point() {
            return Err(KeyGenError::SelfDisqualified);
        }
        Ok((TrusteeKeyShare::new(self.index, *secret, vk), outcome))
    }
}

/// Runs a whole honest key generation in one process (for tests, benchmarks and the demo):
/// returns every trustee's key share and the public outcome, with all public messages.
pub fn run_local_with_rng<R: CryptoRng + ?Sized>(
    params: KeyGenParams,
    ctx: &Context,
    rng: &mut R,
) -> Result<LocalKeyGen, KeyGenError> {
    let mut setups = Vec::new();
    let mut announcements = Vec::new();
    for i in 1..=params.trustees {
        let (s, a) = TrusteeSetup::new_with_rng(params, ctx, i, rng)?;
        setups.push(s);
        announcements.push(a);
    }
    let mut waiting = Vec::new();
    let mut dealings = Vec::new();
    for s in setups {
        let (w, d) = s.deal_with_rng(ctx, &announcements, rng)?;
        waiting.push(w);
        dealings.push(d);
    }
    let mut checked = Vec::new();
    let mut complaints = Vec::new();
    for w in waiting {
        let (c, mut cs) = w.receive_with_rng(ctx, &announcements, &dealings, rng)?;
        checked.push(c);
        complaints.append(&mut cs);
    }
    let mut shares = Vec::new();
    let mut outcome = None;
    for c in checked {
        let (share, o) = c.finish(ctx, &announcements, &dealings, &complaints)?;
        shares.push(share);
        outcome = Some(o);
    }
    Ok(LocalKeyGen {
        shares,
        outcome: outcome.expect("at least one trustee"),
        announcements,
        dealings,
        complaints,
    })
}

/// The result of [`run_local_with_rng`].
#[derive(Debug)]
pub struct LocalKeyGen {
    /// Every trustee's secret key share, in index order.
    pub shares: Vec<TrusteeKeyShare>,
    /// The public outcome.
    pub outcome: KeyGenOutcome,
    /// The posted announcements.
    pub announcements: Vec<Announcement>,
    /// The posted dealings.
    pub dealings: Vec<Dealing>,
    /// The posted complaints.
    pub complaints: Vec<Complaint>,
}
