//! Reading a record's entries for the tally (tally.md §2.3): every entry's author signature
//! is checked, but a ballot's proofs are neither decoded nor checked, and its ciphertexts
//! stay compressed until the counting rule says the ballot counts. A national record holds
//! half a million ballots of up to forty ciphertexts, each with a range proof of four group
//! elements: decoding all of them (one square root per element) costs the tally more than
//! everything else it does, and proofs are checked by the board's gate when a ballot is cast
//! and by the verifier (issue 9), never by the tally.
//!
//! What is still checked of a ballot entry, so that a service showing a forged record gains
//! nothing: the signature over the entry's bytes exactly as signed (the signed entry's
//! `entry` member, `"sawt/v1/entry\n" ‖ bytes`), that its author is the ballot's credential,
//! the entry format, and that every ciphertext element is 64 lowercase hex digits. A ballot
//! signed by another key than its credential is an error, not a ballot: otherwise a forged
//! later ballot could supersede a voter's, and a sum of known forgeries and one real ballot
//! would decrypt that ballot. Canonical form and proofs are the verifier's checks.
//!
//! Any entry this reader does not recognise as a well-formed ballot is decoded in full by
//! [`SignedEntry::decode`], so a malformed ballot gets the same error either way.

use ed25519_dalek::Signature;
use sawt_crypto::{Ciphertext, DecodeError, Element};
use serde::Deserialize;

use crate::entry::{ENTRY_FORMAT, ENTRY_SIGNING_LABEL, EntryError, SignedEntry};

/// A ballot entry as the tally reads it: who cast it, for which contest, its ciphertexts
/// still compressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BallotView {
    /// The credential (the entry's author, checked equal).
    pub credential: [u8; 32],
    /// The contest.
    pub contest: String,
    /// Each ciphertext's canonical encoding `α ‖ β`, in the ballot's order.
    pub ciphertexts: Vec<[u8; 64]>,
}

impl BallotView {
    /// The ciphertexts, decoded: each element a canonical Ristretto255 encoding, `α` not the
    /// identity (as [`Ciphertext::new`] requires of a ballot's).
    pub fn decode_ciphertexts(&self) -> Result<Vec<Ciphertext>, DecodeError> {
        self.ciphertexts
            .iter()
            .map(|c| Ciphertext::new(Element::decode(&c[..32])?, Element::decode(&c[32..])?))
            .collect()
    }
}

/// An entry as the tally reads it.
#[derive(Clone, Debug)]
pub enum ReadEntry {
    /// A ballot, its signature checked, its ciphertexts compressed (whichever way it was
    /// read).
    Ballot(BallotView),
    /// Any other entry, decoded in full ([`SignedEntry::decode`]).
    Other(Box<SignedEntry>),
}

/// Reads one entry's canonical bytes (module documentation).
pub fn read_entry(bytes: &[u8]) -> Result<ReadEntry, EntryError> {
    if let Some(view) = ballot(bytes)? {
        return Ok(ReadEntry::Ballot(view));
    }
    let e = SignedEntry::decode(bytes)?;
    match &e.entry.body {
        crate::entry::EntryBody::Ballot(b) if b.credential != e.entry.author => {
            Err(not_its_credential())
        }
        crate::entry::EntryBody::Ballot(b) => Ok(ReadEntry::Ballot(BallotView {
            credential: *b.credential.bytes(),
            contest: b.contest.clone(),
            ciphertexts: b.ciphertexts().iter().map(|c| c.to_bytes()).collect(),
        })),
        _ => Ok(ReadEntry::Other(Box::new(e))),
    }
}

fn not_its_credential() -> EntryError {
    EntryError::Author {
        kind: "ballot",
        author: "a key other than the ballot's credential".into(),
    }
}

const OPEN: &[u8] = b"{\"entry\":";
const SIGNATURE: &[u8] = b",\"signature\":\"";
const BALLOT_KIND: &[u8] = b",\"kind\":\"ballot\",";

/// The ballot in `bytes`, or `None` when they are not a ballot entry in the canonical layout
/// (the caller then decodes them in full). An error only for a ballot entry whose
/// signature fails or whose author is not its credential.
fn ballot(bytes: &[u8]) -> Result<Option<BallotView>, EntryError> {
    // `{"entry":<entry>,"signature":"<128 hex>"}`: members sorted, no whitespace.
    let sig_len = SIGNATURE.len() + 128 + 2;
    if bytes.len() < OPEN.len() + sig_len || !bytes.starts_with(OPEN) {
        return Ok(None);
    }
    let (entry, tail) = bytes[OPEN.len()..].split_at(bytes.len() - OPEN.len() - sig_len);
    if !tail.starts_with(SIGNATURE) || !tail.ends_with(b"\"}") {
        return Ok(None);
    }
    // The kind is among the entry's last members; anything else is decoded in full.
    let near_end = &entry[entry.len().saturating_sub(200)..];
    if !near_end
        .windows(BALLOT_KIND.len())
        .any(|w| w == BALLOT_KIND)
    {
        return Ok(None);
    }
    let Ok(view) = serde_json::from_slice::<EntryView<'_>>(entry) else {
        return Ok(None);
    };
    let Some(signature) = hex64(&tail[SIGNATURE.len()..SIGNATURE.len() + 128]) else {
        return Ok(None);
    };
    let (Some(author), Some(credential)) = (hex32(view.author), hex32(view.body.credential)) else {
        return Ok(None);
    };
    if view.format != ENTRY_FORMAT || view.kind != "ballot" {
        return Ok(None);
    }
    let ciphertexts = match (view.body.content.form, view.body.content) {
        (
            "homomorphic",
            ContentView {
                selections: Some(s),
                ciphertext: None,
                ..
            },
        ) => s.iter().map(|s| ciphertext(&s.ciphertext)).collect(),
        (
            "mixnet",
            ContentView {
                selections: None,
                ciphertext: Some(c),
                ..
            },
        ) => c.iter().map(ciphertext).collect(),
        _ => None,
    };
    let Some(ciphertexts) = ciphertexts else {
        return Ok(None);
    };
    let key =
        ed25519_dalek::VerifyingKey::from_bytes(&author).map_err(|_| EntryError::Signature)?;
    let mut msg = Vec::with_capacity(ENTRY_SIGNING_LABEL.len() + entry.len());
    msg.extend_from_slice(ENTRY_SIGNING_LABEL);
    msg.extend_from_slice(entry);
    key.verify_strict(&msg, &Signature::from_bytes(&signature))
        .map_err(|_| EntryError::Signature)?;
    if author != credential {
        return Err(not_its_credential());
    }
    Ok(Some(BallotView {
        credential,
        contest: view.body.contest,
        ciphertexts,
    }))
}

#[derive(Deserialize)]
struct EntryView<'a> {
    author: &'a str,
    #[serde(borrow)]
    body: BallotBodyView<'a>,
    format: &'a str,
    kind: &'a str,
}

#[derive(Deserialize)]
struct BallotBodyView<'a> {
    #[serde(borrow)]
    content: ContentView<'a>,
    contest: String,
    credential: &'a str,
}

#[derive(Deserialize)]
struct ContentView<'a> {
    form: &'a str,
    #[serde(borrow, default)]
    selections: Option<Vec<SelectionView<'a>>>,
    #[serde(borrow, default)]
    ciphertext: Option<Vec<CiphertextView<'a>>>,
}

#[derive(Deserialize)]
struct SelectionView<'a> {
    #[serde(borrow)]
    ciphertext: CiphertextView<'a>,
}

#[derive(Deserialize)]
struct CiphertextView<'a> {
    alpha: &'a str,
    beta: &'a str,
}

fn ciphertext(c: &CiphertextView<'_>) -> Option<[u8; 64]> {
    let mut out = [0; 64];
    out[..32].copy_from_slice(&hex32(c.alpha)?);
    out[32..].copy_from_slice(&hex32(c.beta)?);
    Some(out)
}

/// Lowercase hex only, as the canonical encoding writes it.
fn lower_hex<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let mut out = [0; N];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

fn hex32(text: &str) -> Option<[u8; 32]> {
    lower_hex(text.as_bytes())
}

fn hex64(text: &[u8]) -> Option<[u8; 64]> {
    lower_hex(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ballot::Ballot;
    use crate::entry::{Entry, EntryBody};
    use crate::geography::WilayatId;
    use crate::keys::{Hex32, PublicKeyHex};
    use crate::manifest::{Candidate, Contest, Names, TallyMethod};
    use ed25519_dalek::SigningKey;

    fn contest(tally: TallyMethod) -> Contest {
        Contest {
            id: "muscat".into(),
            wilayat: WilayatId("muscat".into()),
            seats: 2,
            votes_per_voter: 2,
            tally,
            candidates: (1..=3)
                .map(|i| Candidate {
                    id: format!("c{i}"),
                    name: Names {
                        ar: "أ".into(),
                        en: "A".into(),
                    },
                    ballot_order: i,
                })
                .collect(),
        }
    }

    /// A ballot for `credential`'s key, signed by `signer`.
    fn ballot_entry(
        tally: TallyMethod,
        credential: &SigningKey,
        signer: &SigningKey,
    ) -> (Ballot, Vec<u8>) {
        let key = sawt_crypto::SecretKey::generate().public_key().prepare();
        let cred = PublicKeyHex::from_key(&credential.verifying_key());
        let (b, _) = Ballot::encrypt_with_rng(
            [7; 32],
            &contest(tally),
            &key,
            &cred,
            &["c2".to_string()],
            &mut sawt_crypto::rng::os_rng(),
        )
        .unwrap();
        let bytes = Entry {
            format: ENTRY_FORMAT.into(),
            election: Hex32([7; 32]),
            author: PublicKeyHex::from_key(&signer.verifying_key()),
            timestamp_ms: 1,
            body: EntryBody::Ballot(b.clone()),
        }
        .sign(signer)
        .unwrap()
        .canonical_bytes()
        .unwrap();
        (b, bytes)
    }

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    #[test]
    fn a_ballot_reads_as_its_credential_contest_and_ciphertexts() {
        for tally in [TallyMethod::Homomorphic, TallyMethod::Mixnet] {
            let (b, bytes) = ballot_entry(tally, &key(1), &key(1));
            let ReadEntry::Ballot(v) = read_entry(&bytes).unwrap() else {
                panic!("not read as a ballot")
            };
            assert_eq!(&v.credential, b.credential.bytes());
            assert_eq!(v.contest, "muscat");
            let full: Vec<Ciphertext> = b.ciphertexts().into_iter().copied().collect();
            assert_eq!(v.decode_ciphertexts().unwrap(), full);
        }
    }

    #[test]
    fn other_entries_are_decoded_in_full() {
        let bytes = Entry {
            format: ENTRY_FORMAT.into(),
            election: Hex32([7; 32]),
            author: PublicKeyHex::from_key(&key(2).verifying_key()),
            timestamp_ms: 1,
            body: EntryBody::Close { ballots_until: 9 },
        }
        .sign(&key(2))
        .unwrap()
        .canonical_bytes()
        .unwrap();
        let ReadEntry::Other(e) = read_entry(&bytes).unwrap() else {
            panic!("a close read as a ballot")
        };
        assert_eq!(e.entry.body, EntryBody::Close { ballots_until: 9 });
    }

    #[test]
    fn a_tampered_ballot_fails_its_signature() {
        let (_, bytes) = ballot_entry(TallyMethod::Homomorphic, &key(1), &key(1));
        // One hex digit of the first ciphertext changed.
        let text = String::from_utf8(bytes).unwrap();
        let at = text.find("\"alpha\":\"").unwrap() + 9;
        let mut tampered = text.into_bytes();
        tampered[at] = if tampered[at] == b'0' { b'1' } else { b'0' };
        assert_eq!(read_entry(&tampered).unwrap_err(), EntryError::Signature);
        // The signature itself changed.
        let (_, mut bytes) = ballot_entry(TallyMethod::Mixnet, &key(1), &key(1));
        let n = bytes.len();
        bytes[n - 3] = if bytes[n - 3] == b'0' { b'1' } else { b'0' };
        assert_eq!(read_entry(&bytes).unwrap_err(), EntryError::Signature);
    }

    #[test]
    fn a_ballot_signed_by_another_key_than_its_credential_is_refused() {
        let (_, bytes) = ballot_entry(TallyMethod::Homomorphic, &key(1), &key(3));
        assert!(matches!(read_entry(&bytes), Err(EntryError::Author { .. })));
        // The same when the layout sends it to the full decoder (here: not canonical).
        let mut spaced = bytes.clone();
        spaced.insert(1, b' ');
        assert!(matches!(read_entry(&spaced), Err(EntryError::Encoding(_))));
    }

    #[test]
    fn uppercase_hex_is_not_read_as_a_ballot() {
        let (_, bytes) = ballot_entry(TallyMethod::Mixnet, &key(1), &key(1));
        let text = String::from_utf8(bytes).unwrap();
        let at = text.find("\"alpha\":\"").unwrap() + 9;
        let upper = format!(
            "{}{}",
            &text[..at],
            text[at..].replacen(
                |c: char| c.is_ascii_lowercase() && c.is_ascii_hexdigit(),
                "A",
                1
            )
        );
        // Not the canonical encoding: the full decoder refuses it.
        assert!(read_entry(upper.as_bytes()).is_err());
    }
}
