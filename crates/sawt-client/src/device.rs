//! What a device keeps between uses (client.md §2): its election anchor, its credential key
//! sealed at rest, its enrolment, the heads it verified, its ballots with their receipts, a
//! ballot prepared but not yet cast or audited (its secrets sealed), and its complaints.
//! Serialised as JSON by the app; nothing in it is secret except under a seal.

use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use rand_core::Rng as _;
use sawt_election::ballot::{Ballot, BallotOpening};
use sawt_election::geography::WilayatId;
use sawt_election::keys::{Hex32, PublicKeyHex};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::complaint::Complaint;
use crate::heads::HeadBook;
use crate::keystore::{KeyStoreError, Sealed, SecretStore};
use crate::wire::Receipt;

/// The device file's format.
pub const DEVICE_FORMAT: &str = "sawt/v1/device";

/// The device's state.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    /// [`DEVICE_FORMAT`].
    pub format: String,
    /// `E`, the anchor.
    pub election: Hex32,
    /// The credential (the device key's public half).
    pub credential: PublicKeyHex,
    /// The device key, sealed.
    pub key: Sealed,
    /// The enrolment, once checked on the board.
    pub enrolment: Option<Enrolment>,
    /// The heads verified so far.
    pub heads: HeadBook,
    /// Every ballot cast or audited, in the order sent.
    pub ballots: Vec<BallotRecord>,
    /// A ballot encrypted and shown, awaiting the voter's decision: cast or audit.
    pub prepared: Option<PreparedBallot>,
    /// The complaints written.
    pub complaints: Vec<Complaint>,
}

/// An enrolment the device checked on the board.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Enrolment {
    /// Where the credential votes.
    pub wilayat: WilayatId,
    /// The `credential-enrolment` entry's index.
    pub entry_index: u64,
    /// The credential this enrolment replaced (revoked), if any.
    pub replaced: Option<PublicKeyHex>,
    /// The enrolment's proof: a signed head of the board…
    pub head: sawt_board::head::SignedTreeHead,
    /// …and the entry's inclusion under it.
    pub proof: sawt_board::proof::InclusionProof,
}

/// Cast or audited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Cast.
    Cast,
    /// Audited (Benaloh): published with its opening, never counted.
    Audit,
}

/// A ballot sent and its receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotRecord {
    /// Cast or audited.
    pub kind: Kind,
    /// The tracking code shown to the voter.
    pub tracking_code: String,
    /// The entry's index on the board.
    pub index: u64,
    /// The entry's canonical bytes, hexadecimal.
    pub entry: String,
    /// The receipt as received and checked.
    pub receipt: Receipt,
    /// The largest head under which the ballot was last proved.
    pub confirmed_size: u64,
    /// Whether a witnessed head has covered it.
    pub witnessed: bool,
}

/// A ballot encrypted for the voter to cast or audit; its opening (the choice and nonces)
/// sealed under the device key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreparedBallot {
    /// The tracking code shown before the voter decides.
    pub tracking_code: String,
    /// The encrypted ballot.
    pub ballot: Ballot,
    /// The opening, sealed: nonce ‖ ciphertext, hexadecimal.
    pub sealed_opening: String,
}

const STORAGE_LABEL: &[u8] = b"sawt/v1/device-storage\n";

fn storage_cipher(secret: &[u8; 32]) -> ChaCha20Poly1305 {
    let key = Zeroizing::new(<[u8; 32]>::from(
        Sha256::new()
            .chain_update(STORAGE_LABEL)
            .chain_update(secret)
            .finalize(),
    ));
    ChaCha20Poly1305::new_from_slice(&key[..]).expect("a 32-byte key")
}

impl PreparedBallot {
    /// Seals `opening` under the device secret, bound to the tracking code.
    pub fn seal(
        tracking_code: String,
        ballot: Ballot,
        opening: &BallotOpening,
        secret: &[u8; 32],
    ) -> Result<Self, KeyStoreError> {
        let plain = Zeroizing::new(
            serde_json::to_vec(opening).map_err(|e| KeyStoreError::Platform(e.to_string()))?,
        );
        let mut nonce = [0u8; 12];
        sawt_crypto::rng::os_rng().fill_bytes(&mut nonce);
        let sealed = storage_cipher(secret)
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: &plain,
                    aad: tracking_code.as_bytes(),
                },
            )
            .map_err(|_| KeyStoreError::Platform("sealing failed".into()))?;
        Ok(PreparedBallot {
            tracking_code,
            ballot,
            sealed_opening: hex::encode([&nonce[..], &sealed].concat()),
        })
    }

    /// The opening.
    pub fn opening(&self, secret: &[u8; 32]) -> Result<BallotOpening, KeyStoreError> {
        let bytes = hex::decode(&self.sealed_opening).map_err(|_| KeyStoreError::Open)?;
        if bytes.len() < 12 {
            return Err(KeyStoreError::Open);
        }
        let (nonce, sealed) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().expect("12 bytes");
        let plain = Zeroizing::new(
            storage_cipher(secret)
                .decrypt(
                    &nonce.into(),
                    Payload {
                        msg: sealed,
                        aad: self.tracking_code.as_bytes(),
                    },
                )
                .map_err(|_| KeyStoreError::Open)?,
        );
        serde_json::from_slice(&plain).map_err(|_| KeyStoreError::Open)
    }
}

impl Device {
    /// A new device for election `anchor`: a fresh credential key from the operating system's
    /// randomness, sealed by `store`.
    pub fn new(anchor: [u8; 32], store: &dyn SecretStore) -> Result<Device, KeyStoreError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        sawt_crypto::rng::os_rng().fill_bytes(&mut seed[..]);
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let public = key.verifying_key().to_bytes();
        Ok(Device {
            format: DEVICE_FORMAT.into(),
            election: Hex32(anchor),
            credential: PublicKeyHex::from_bytes(public),
            key: store.seal(&seed, &public)?,
            enrolment: None,
            heads: HeadBook::default(),
            ballots: Vec::new(),
            prepared: None,
            complaints: Vec::new(),
        })
    }

    /// The device key's seed, opened by `store`.
    pub fn secret(&self, store: &dyn SecretStore) -> Result<Zeroizing<[u8; 32]>, KeyStoreError> {
        store.open(&self.key, self.credential.bytes())
    }

    /// The device key, opened by `store`.
    pub fn signing_key(
        &self,
        store: &dyn SecretStore,
    ) -> Result<ed25519_dalek::SigningKey, KeyStoreError> {
        let seed = self.secret(store)?;
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        if key.verifying_key().to_bytes() != *self.credential.bytes() {
            return Err(KeyStoreError::Open);
        }
        Ok(key)
    }

    /// The device's cast ballots in order; the last one is the one that counts.
    pub fn cast(&self) -> impl Iterator<Item = &BallotRecord> {
        self.ballots.iter().filter(|b| b.kind == Kind::Cast)
    }
}
