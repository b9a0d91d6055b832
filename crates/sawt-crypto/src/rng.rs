//! Randomness: the operating system's CSPRNG, and nothing else outside tests.
//!
//! Every function that needs randomness has a `*_with_rng` form taking any
//! [`rand_core::CryptoRng`], and the convenience forms use [`os_rng`]. A seeded generator is
//! only ever used by the test-vector generator under `tests/`, never by the library.

use rand::rngs::SysRng;
use rand_core::UnwrapErr;

/// The operating system's CSPRNG (`getrandom`). It panics only if the OS cannot provide
/// randomness at all, in which case no key or nonce may be produced.
pub fn os_rng() -> UnwrapErr<SysRng> {
    UnwrapErr(SysRng)
}
