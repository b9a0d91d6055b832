//! Shared by the verifier's tests.
pub(crate) mod builder;
