//! Decoding small discrete logarithms: baby-step giant-step (`protocol-spec/crypto.md` §4.4).
//!
//! A decrypted tally is `m·G` for a small `m` (at most the number of voters). A
//! [`DlogTable`] for bound `M` stores the baby steps `j·G` for `0 ≤ j < s`, keyed by the first
//! eight bytes of their encodings, and decodes `P` by walking the giant steps
//! `P − k·s·G` for `k = 0, 1, …, ⌊M/s⌋` until one is in the table. A key hit is confirmed by
//! recomputing `m·G`, so prefix collisions cannot give a wrong answer. The data is public:
//! this code is variable-time.
//!
//! With `s = 2^14` (the default for `M = 2^21`) the table takes ~80 ms to build on one
//! core and any `m ≤ 2^21` decodes with at most 128 giant steps.

use std::collections::HashMap;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use rayon::prelude::*;

/// A baby-step giant-step table for `m·G` with `0 ≤ m ≤ max`.
pub struct DlogTable {
    baby: HashMap<u64, u32>,
    step: u64,
    max: u64,
    giant: RistrettoPoint,
}

fn key(p: &RistrettoPoint) -> u64 {
    let b = p.compress().to_bytes();
    u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}

impl DlogTable {
    /// Builds a table that decodes every `m` in `0..=max`.
    pub fn new(max: u64) -> Self {
        let root = ((max as f64 + 1.0).sqrt().ceil() as u64).next_power_of_two();
        let step = (root * 8).clamp(1 << 8, 1 << 20);
        Self::with_step(max, step)
    }

    /// Builds a table with an explicit number of baby steps (a trade of build time and memory
    /// against decode time).
    pub fn with_step(max: u64, step: u64) -> Self {
        let step = step.max(1);
        const CHUNK: u64 = 1024;
        let chunks: Vec<Vec<(u64, u32)>> = (0..step.div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                let start = c * CHUNK;
                let end = (start + CHUNK).min(step);
                let mut p = RistrettoPoint::mul_base(&Scalar::from(start));
                let g = curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
                let mut out = Vec::with_capacity((end - start) as usize);
                for j in start..end {
                    out.push((key(&p), j as u32));
                    p += g;
                }
                out
            })
            .collect();
        let mut baby = HashMap::with_capacity(step as usize);
        for (k, j) in chunks.into_iter().flatten() {
            // Keep the smallest j on a (never yet observed) prefix collision; decode confirms.
            baby.entry(k).or_insert(j);
        }
        let giant = -RistrettoPoint::mul_base(&Scalar::from(step));
        DlogTable {
            baby,
            step,
            max,
            giant,
        }
    }

    /// The largest value this table decodes.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// Finds `m ≤ max` with `m·G = p`, or `None` if there is none.
    pub fn decode(&self, p: &RistrettoPoint) -> Option<u64> {
        let mut q = *p;
        let mut base = 0u64;
        while base <= self.max {
            if let Some(&j) = self.baby.get(&key(&q)) {
                let m = base + u64::from(j);
                if m <= self.max && RistrettoPoint::mul_base(&Scalar::from(m)) == *p {
                    return Some(m);
                }
            }
            q += self.giant;
            base += self.step;
        }
        None
    }

    /// Decodes many points in parallel.
    pub fn decode_all(&self, ps: &[RistrettoPoint]) -> Vec<Option<u64>> {
        ps.par_iter().map(|p| self.decode(p)).collect()
    }
}

impl Default for DlogTable {
    /// A table for every `m ≤ 2^21`.
    fn default() -> Self {
        DlogTable::new(1 << 21)
    }
}

impl core::fmt::Debug for DlogTable {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DlogTable")
            .field("max", &self.max)
            .field("step", &self.step)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::traits::Identity;

    #[test]
    fn decodes_edges_and_rejects_out_of_range() {
        let t = DlogTable::with_step(1000, 16);
        for m in [0u64, 1, 15, 16, 17, 999, 1000] {
            assert_eq!(
                t.decode(&RistrettoPoint::mul_base(&Scalar::from(m))),
                Some(m),
                "m={m}"
            );
        }
        assert_eq!(
            t.decode(&RistrettoPoint::mul_base(&Scalar::from(1001u64))),
            None
        );
        assert_eq!(t.decode(&-RistrettoPoint::mul_base(&Scalar::ONE)), None);
        assert_eq!(t.decode(&RistrettoPoint::identity()), Some(0));
    }

    #[test]
    fn default_table_decodes_two_to_the_21() {
        let t = DlogTable::default();
        let m = 1u64 << 21;
        assert_eq!(
            t.decode(&RistrettoPoint::mul_base(&Scalar::from(m))),
            Some(m)
        );
        assert_eq!(
            t.decode(&RistrettoPoint::mul_base(&Scalar::from(496_279u64))),
            Some(496_279)
        );
    }
}
