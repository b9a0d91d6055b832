//! Lists of vector ciphertexts: what a mixer takes and posts (`protocol-spec/mixnet.md` §2).
//!
//! A [`CiphertextList`] holds `N` entries of width `w`, stored flat (row-major), so that a
//! national list of half a million ballots is one allocation. Its canonical encoding streams:
//!
//! ```text
//! "SAWTCTL1" ‖ u64le(N) ‖ u32le(w) ‖ entry_0 ‖ … ‖ entry_{N−1},   entry = (α ‖ β) × w
//! ```
//!
//! [`CiphertextList::write_to`] and [`CiphertextList::read_from`] work on any
//! `std::io::Write`/`Read` in fixed-size records; nothing is ever held as one string. The
//! list's digest, `SHA-512("sawt/v1/list" ‖ encoding)`, is what transcripts absorb.

use std::io::{Read, Write};

use rayon::prelude::*;
use sha2::{Digest, Sha512};

use crate::elgamal::{CIPHERTEXT_LEN, Ciphertext, MAX_WIDTH};
use crate::error::DecodeError;
use crate::group::Element;

/// Magic bytes of an encoded ciphertext list.
pub const LIST_MAGIC: &[u8; 8] = b"SAWTCTL1";

/// The most entries a list may have (2^26, far above a national election).
pub const MAX_ENTRIES: u64 = 1 << 26;

/// The most ciphertexts (entries × width) a list may hold, so that every count fits a u32.
pub const MAX_CIPHERTEXTS: u64 = u32::MAX as u64;

/// `N` vector ciphertexts of width `w`, row-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CiphertextList {
    width: usize,
    cts: Vec<Ciphertext>,
}

/// Reading or writing an encoded list failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ListError {
    /// The bytes are not a canonical list.
    #[error("malformed list: {0}")]
    Decode(#[from] DecodeError),
    /// The underlying reader or writer failed.
    #[error("list I/O: {0}")]
    Io(#[from] std::io::Error),
}

impl CiphertextList {
    /// Builds a list from row-major ciphertexts; `cts.len()` must be a multiple of `width`.
    pub fn new(width: usize, cts: Vec<Ciphertext>) -> Result<Self, DecodeError> {
        if width == 0
            || width > MAX_WIDTH
            || !cts.len().is_multiple_of(width)
            || cts.len() as u64 / width as u64 > MAX_ENTRIES
            || cts.len() as u64 > MAX_CIPHERTEXTS
        {
            return Err(DecodeError::Count("list width"));
        }
        Ok(CiphertextList { width, cts })
    }

    /// An empty list of the given width.
    pub fn empty(width: usize) -> Result<Self, DecodeError> {
        Self::new(width, Vec::new())
    }

    /// Number of entries `N`.
    pub fn len(&self) -> usize {
        self.cts.len() / self.width
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.cts.is_empty()
    }

    /// Width `w`.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Entry `i`: its `w` ciphertexts.
    pub fn entry(&self, i: usize) -> &[Ciphertext] {
        &self.cts[i * self.width..(i + 1) * self.width]
    }

    /// All ciphertexts, row-major.
    pub fn ciphertexts(&self) -> &[Ciphertext] {
        &self.cts
    }

    /// Iterates over the entries.
    pub fn entries(&self) -> impl ExactSizeIterator<Item = &[Ciphertext]> {
        self.cts.chunks_exact(self.width)
    }

    /// Writes the canonical encoding, one entry at a time.
    pub fn write_to(&self, out: &mut impl Write) -> std::io::Result<()> {
        out.write_all(LIST_MAGIC)?;
        out.write_all(&(self.len() as u64).to_le_bytes())?;
        out.write_all(&(self.width as u32).to_le_bytes())?;
        for c in &self.cts {
            out.write_all(&c.to_bytes())?;
        }
        Ok(())
    }

    /// The canonical encoding in memory (for small lists and tests).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(20 + self.cts.len() * CIPHERTEXT_LEN);
        self.write_to(&mut out)
            .expect("writing to a Vec cannot fail");
        out
    }

    /// Reads one canonical encoding from `input`, decoding entries in parallel batches. It
    /// reads exactly the list's bytes; whatever follows is left unread ([`Self::from_bytes`]
    /// rejects trailing bytes).
    pub fn read_from(input: &mut impl Read) -> Result<Self, ListError> {
        let mut header = [0u8; 20];
        input.read_exact(&mut header)?;
        if &header[..8] != LIST_MAGIC {
            return Err(DecodeError::Count("list magic").into());
        }
        let n = u64::from_le_bytes(header[8..16].try_into().expect("8 bytes"));
        let w = u32::from_le_bytes(header[16..20].try_into().expect("4 bytes")) as usize;
        if n > MAX_ENTRIES || w == 0 || w > MAX_WIDTH || n * w as u64 > MAX_CIPHERTEXTS {
            return Err(DecodeError::Count("list size").into());
        }
        let total = n as usize * w;
        let mut cts = Vec::with_capacity(total.min(1 << 20));
        const BATCH: usize = 1 << 14;
        let mut buf = vec![0u8; BATCH * CIPHERTEXT_LEN];
        let mut done = 0;
        while done < total {
            let k = BATCH.min(total - done);
            let chunk = &mut buf[..k * CIPHERTEXT_LEN];
            input.read_exact(chunk)?;
            let decoded: Result<Vec<Ciphertext>, DecodeError> = chunk
                .par_chunks(CIPHERTEXT_LEN)
                .map(Ciphertext::from_bytes)
                .collect();
            cts.extend(decoded?);
            done += k;
        }
        Ok(CiphertextList { width: w, cts })
    }

    /// Decodes a whole encoding held in memory; trailing bytes are rejected.
    pub fn from_bytes(mut bytes: &[u8]) -> Result<Self, ListError> {
        let list = Self::read_from(&mut bytes)?;
        if !bytes.is_empty() {
            return Err(DecodeError::Trailing.into());
        }
        Ok(list)
    }

    /// `SHA-512("sawt/v1/list" ‖ encoding)`.
    pub fn digest(&self) -> [u8; 64] {
        let mut h = Sha512::new();
        h.update(b"sawt/v1/list");
        h.update(LIST_MAGIC);
        h.update((self.len() as u64).to_le_bytes());
        h.update((self.width as u32).to_le_bytes());
        for c in &self.cts {
            h.update(c.alpha().as_bytes());
            h.update(c.beta().as_bytes());
        }
        h.finalize().into()
    }
}

/// `SHA-512(label ‖ u64le(n) ‖ enc(e_0) ‖ …)` of a list of elements (commitments in a proof).
pub(crate) fn elements_digest<'a>(
    label: &[u8],
    elements: impl ExactSizeIterator<Item = &'a Element>,
) -> [u8; 64] {
    let mut h = Sha512::new();
    h.update(label);
    h.update((elements.len() as u64).to_le_bytes());
    for e in elements {
        h.update(e.as_bytes());
    }
    h.finalize().into()
}
