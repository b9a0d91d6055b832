//! Errors of the cryptographic core.
//!
//! Two families: [`DecodeError`] for bytes and text that are not the one canonical encoding of
//! what they claim to be, and [`ProofError`] for proofs that do not verify against the
//! statement the verifier supplied. [`KeyGenError`] and [`DecryptionError`] cover the
//! multi-party protocols and name the culprits where there are any.

use thiserror::Error;

/// A value could not be decoded from its canonical encoding.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input has the wrong length.
    #[error("wrong length: expected {expected} bytes, got {actual}")]
    Length {
        /// The length the encoding requires.
        expected: usize,
        /// The length that was given.
        actual: usize,
    },
    /// The bytes are not the canonical encoding of a Ristretto255 element (RFC 9496 §4.3.1).
    #[error("not a canonical Ristretto255 encoding")]
    NonCanonicalPoint,
    /// The identity element appeared where the protocol forbids it.
    #[error("the identity element is not allowed here")]
    Identity,
    /// The bytes are not a canonical scalar (little-endian, less than the group order ℓ).
    #[error("not a canonical scalar (must be < ℓ, little-endian)")]
    NonCanonicalScalar,
    /// The text is not lowercase hexadecimal of the right length.
    #[error("not lowercase hexadecimal of {0} bytes")]
    Hex(usize),
    /// A length prefix or count is out of the range the format allows.
    #[error("count out of range: {0}")]
    Count(&'static str),
    /// Bytes remained after the value was decoded.
    #[error("trailing bytes after the encoded value")]
    Trailing,
}

/// A proof failed to verify against the statement supplied by the verifier.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The proof's shape does not match the statement (for example a range proof with the
    /// wrong number of branches).
    #[error("proof shape does not match the statement: {0}")]
    Shape(&'static str),
    /// A verification equation does not hold.
    #[error("verification equation failed")]
    Equation,
    /// In a batch, the proof at this position (0-based, in the order given) is the first that
    /// fails on its own.
    #[error("proof #{index} in the batch failed")]
    BatchItem {
        /// Position of the first failing proof in the batch.
        index: usize,
    },
}

/// The distributed key generation could not complete, or a message in it is invalid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum KeyGenError {
    /// The parameters are impossible (threshold zero, larger than the number of trustees…).
    #[error("invalid parameters: {0}")]
    Parameters(&'static str),
    /// A message came from or named a trustee index outside 1..=n, or twice.
    #[error("trustee index {0} is out of range or repeated")]
    Index(u32),
    /// A message is malformed or its proof fails; the author is named.
    #[error("message from trustee {author} is invalid: {reason}")]
    InvalidMessage {
        /// Index of the trustee that authored the message.
        author: u32,
        /// What is wrong.
        reason: &'static str,
    },
    /// Fewer than the threshold of dealers remain qualified.
    #[error("only {qualified} qualified dealers remain, threshold is {threshold}")]
    TooFewQualified {
        /// Number of qualified dealers.
        qualified: usize,
        /// The threshold t.
        threshold: u32,
    },
    /// This trustee itself was disqualified and holds no usable share.
    #[error("this trustee was disqualified")]
    SelfDisqualified,
}

/// Threshold decryption failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecryptionError {
    /// Fewer than t valid shares were supplied.
    #[error("{available} valid decryption shares, {threshold} needed")]
    TooFewShares {
        /// Number of valid shares.
        available: usize,
        /// The threshold t.
        threshold: u32,
    },
    /// A decryption share's proof failed; the trustee is named.
    #[error("decryption share of trustee {trustee} is invalid: {source}")]
    InvalidShare {
        /// The trustee whose share failed.
        trustee: u32,
        /// Why it failed.
        source: ProofError,
    },
    /// A share covers a different number of ciphertexts than the batch.
    #[error("decryption share of trustee {0} has the wrong number of components")]
    Shape(u32),
    /// Two shares came from the same trustee, or a trustee index is out of range.
    #[error("trustee index {0} is repeated or out of range")]
    Index(u32),
    /// A decrypted value is outside the range of the discrete-log table.
    #[error("plaintext #{0} is outside the decodable range")]
    OutOfRange(usize),
}
