//! Generators derived verifiably, never chosen (`protocol-spec/crypto.md` §2.3).
//!
//! Every group generator other than `G` is the output of RFC 9496's hash-to-group on a
//! labelled, specified input, so that nobody knows its discrete logarithm with respect to
//! any other generator. A verifier re-derives each one from the same public inputs; it must
//! never accept generators supplied with the data it checks (the Swiss Post shuffle flaw,
//! `shared/REFERENCES.md` attack 2).
//!
//! ```text
//! input  = "sawt/v1/generator" ‖ u64le(len(label)) ‖ label ‖ u64le(index)
//! H(i)   = ristretto255 one-way map (RFC 9496 §4.3.4) of SHA-512(input)
//! ```

use curve25519_dalek::ristretto::RistrettoPoint;
use sha2::{Digest, Sha512};

use crate::group::Element;

/// Domain-separation prefix of every derived generator.
pub const GENERATOR_DOMAIN: &[u8] = b"sawt/v1/generator";

/// Derives generator number `index` of the family named `label`.
pub fn derive_generator(label: &[u8], index: u64) -> Element {
    let mut h = Sha512::new();
    h.update(GENERATOR_DOMAIN);
    h.update((label.len() as u64).to_le_bytes());
    h.update(label);
    h.update(index.to_le_bytes());
    let digest: [u8; 64] = h.finalize().into();
    Element::from_point(RistrettoPoint::from_uniform_bytes(&digest))
}

/// Derives generators `0..count` of the family `label`, in parallel.
pub fn derive_generators(label: &[u8], count: usize) -> Vec<Element> {
    use rayon::prelude::*;
    (0..count as u64)
        .into_par_iter()
        .map(|i| derive_generator(label, i))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_generators_are_distinct_and_not_the_identity() {
        let gens = derive_generators(b"test", 16);
        for (i, a) in gens.iter().enumerate() {
            assert!(!a.is_identity());
            assert_ne!(*a, Element::generator());
            for b in &gens[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_ne!(derive_generator(b"test", 0), derive_generator(b"tesu", 0));
        // The length prefix separates ("ab", …) from ("a", …) with shifted bytes.
        assert_ne!(derive_generator(b"ab", 0), derive_generator(b"a", 0));
    }
}
