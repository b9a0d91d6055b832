//! Batch verification (`protocol-spec/crypto.md` §5.6).
//!
//! Every proof in Sawt is verified through linear equations `Σ cᵢ·Pᵢ = 0` over public
//! points. A [`BatchVerifier`] multiplies each equation by an independent random 128-bit
//! weight, adds them all up, and checks the sum with one variable-time multiscalar
//! multiplication; coefficients on shared bases (`G`, the election key) are merged first. A
//! false equation survives with probability at most 2^-128 per batch.
//!
//! When a batch fails, `verify_batch` re-verifies the items one by one and names the first
//! that fails, so a bad ballot is found without trusting anyone.
//!
//! The weights come from the operating system's CSPRNG (seeded once per batch and expanded
//! with SHA-512): a prover cannot predict them. All data here is public, so variable-time
//! arithmetic is allowed.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use rand_core::Rng;
use rayon::prelude::*;
use sha2::{Digest, Sha512};

use crate::error::ProofError;
use crate::group::Element;

/// Random 128-bit weights: SHA-512 of a 32-byte OS seed and a counter, four per block.
pub(crate) struct Weights {
    seed: [u8; 32],
    counter: u64,
    block: [u8; 64],
    used: usize,
}

impl Weights {
    pub(crate) fn new() -> Self {
        let mut seed = [0u8; 32];
        crate::rng::os_rng().fill_bytes(&mut seed);
        Weights {
            seed,
            counter: 0,
            block: [0; 64],
            used: 4,
        }
    }

    pub(crate) fn next(&mut self) -> Scalar {
        if self.used == 4 {
            let mut h = Sha512::new();
            h.update(self.seed);
            h.update(self.counter.to_le_bytes());
            self.block = h.finalize().into();
            self.counter += 1;
            self.used = 0;
        }
        let mut w = [0u8; 32];
        w[..16].copy_from_slice(&self.block[16 * self.used..16 * (self.used + 1)]);
        self.used += 1;
        Scalar::from_bytes_mod_order(w)
    }
}

/// Public challenges expanded from a transcript seed (`protocol-spec/crypto.md` §5.2.2):
/// `eᵢ = SHA-512("sawt/v1/weight" ‖ seed ‖ u64le(i)) mod ℓ` for `i < n`, in parallel.
pub(crate) fn weights_from_seed(seed: &[u8; 32], n: usize) -> Vec<Scalar> {
    (0..n as u64)
        .into_par_iter()
        .map(|i| {
            let mut h = Sha512::new();
            h.update(b"sawt/v1/weight");
            h.update(seed);
            h.update(i.to_le_bytes());
            Scalar::from_bytes_mod_order_wide(&h.finalize().into())
        })
        .collect()
}

/// Accumulates weighted verification equations and checks them all at once.
pub struct BatchVerifier {
    weights: Weights,
    g: Scalar,
    shared: Vec<(Element, Scalar)>,
    scalars: Vec<Scalar>,
    points: Vec<RistrettoPoint>,
}

impl Default for BatchVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl BatchVerifier {
    /// An empty batch.
    pub fn new() -> Self {
        BatchVerifier {
            weights: Weights::new(),
            g: Scalar::ZERO,
            shared: Vec::new(),
            scalars: Vec::new(),
            points: Vec::new(),
        }
    }

    /// An empty batch with room for `terms` point terms.
    pub fn with_capacity(terms: usize) -> Self {
        let mut b = Self::new();
        b.scalars.reserve(terms);
        b.points.reserve(terms);
        b
    }

    /// Starts a new equation `Σ cᵢ·Pᵢ = 0`, with a fresh random weight.
    pub(crate) fn equation(&mut self) -> Equation<'_> {
        let w = self.weights.next();
        Equation { batch: self, w }
    }

    /// Checks every equation queued so far.
    pub fn verify(self) -> Result<(), ProofError> {
        let mut scalars = self.scalars;
        let mut points = self.points;
        scalars.push(self.g);
        points.push(curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT);
        for (e, s) in self.shared {
            scalars.push(s);
            points.push(*e.point());
        }
        let sum = vartime_msm_parallel(&scalars, &points);
        if sum.is_identity() {
            Ok(())
        } else {
            Err(ProofError::Equation)
        }
    }
}

/// A variable-time multiscalar multiplication over public data, split across threads for
/// large inputs.
pub(crate) fn vartime_msm_parallel(
    scalars: &[Scalar],
    points: &[RistrettoPoint],
) -> RistrettoPoint {
    const CHUNK: usize = 1 << 14;
    if scalars.len() <= CHUNK || rayon::current_num_threads() == 1 {
        return RistrettoPoint::vartime_multiscalar_mul(scalars, points);
    }
    let per = scalars
        .len()
        .div_ceil(rayon::current_num_threads())
        .max(CHUNK);
    scalars
        .par_chunks(per)
        .zip(points.par_chunks(per))
        .map(|(s, p)| RistrettoPoint::vartime_multiscalar_mul(s, p))
        .reduce(RistrettoPoint::default, |a, b| a + b)
}

/// One equation being added to a batch; every term is multiplied by the equation's weight.
pub(crate) struct Equation<'a> {
    batch: &'a mut BatchVerifier,
    w: Scalar,
}

impl Equation<'_> {
    /// Adds `c·G`.
    pub(crate) fn g(self, c: &Scalar) -> Self {
        self.batch.g += self.w * c;
        self
    }

    /// Adds `c·P` for a base shared by many equations (a public key): merged before the
    /// multiscalar multiplication.
    pub(crate) fn shared(self, p: &Element, c: &Scalar) -> Self {
        let wc = self.w * c;
        match self.batch.shared.iter_mut().find(|(e, _)| e == p) {
            Some((_, s)) => *s += wc,
            None => self.batch.shared.push((*p, wc)),
        }
        self
    }

    /// Adds `c·P`.
    pub(crate) fn point(self, p: &Element, c: &Scalar) -> Self {
        self.batch.scalars.push(self.w * c);
        self.batch.points.push(*p.point());
        self
    }

    /// Adds `−P` (a prover's commitment), saving a multiplication.
    pub(crate) fn minus(self, p: &Element) -> Self {
        self.batch.scalars.push(-self.w);
        self.batch.points.push(*p.point());
        self
    }
}

/// Verifies many items in one batch; on failure, names the first item (in the order given)
/// that fails on its own.
///
/// `queue` adds one item's equations, or rejects its shape at once.
pub(crate) fn verify_batch<T: Sync>(
    items: &[T],
    queue: impl Fn(&T, &mut BatchVerifier) -> Result<(), ProofError> + Sync,
) -> Result<(), ProofError> {
    if items.is_empty() {
        return Ok(());
    }
    // Split across threads: each thread checks its own sub-batch with its own weights.
    let per = items.len().div_ceil(rayon::current_num_threads()).max(256);
    let failed: Option<Option<usize>> = items
        .par_chunks(per)
        .enumerate()
        .filter_map(|(chunk, part)| {
            let mut batch = BatchVerifier::new();
            let mut shape_error = None;
            for (i, item) in part.iter().enumerate() {
                if queue(item, &mut batch).is_err() {
                    shape_error = Some(i);
                    break;
                }
            }
            let ok = shape_error.is_none() && batch.verify().is_ok();
            if ok {
                return None;
            }
            // Something in this chunk is wrong: find the first item that fails alone. An
            // item before a malformed one may already fail its equations.
            let end = shape_error.unwrap_or(part.len());
            let first = first_failure(&part[..end], &queue).or(shape_error);
            Some(first.map(|i| chunk * per + i))
        })
        .min_by_key(|f| f.unwrap_or(usize::MAX));
    match failed {
        None => Ok(()),
        Some(Some(index)) => Err(ProofError::BatchItem { index }),
        // The batch failed but no item fails alone: possible only with probability 2^-128.
        Some(None) => Err(ProofError::Equation),
    }
}

fn first_failure<T>(
    items: &[T],
    queue: &impl Fn(&T, &mut BatchVerifier) -> Result<(), ProofError>,
) -> Option<usize> {
    items.iter().position(|item| {
        let mut b = BatchVerifier::new();
        queue(item, &mut b).and_then(|()| b.verify()).is_err()
    })
}

/// Verifies one item through the same equations as the batch.
pub(crate) fn verify_one(
    queue: impl FnOnce(&mut BatchVerifier) -> Result<(), ProofError>,
) -> Result<(), ProofError> {
    let mut b = BatchVerifier::new();
    queue(&mut b)?;
    b.verify()
}
