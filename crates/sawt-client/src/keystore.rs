//! The device's credential key at rest: sealed by a [`SecretStore`], the platform's keystore
//! (through this trait) or a passphrase ([`Passphrase`]: Argon2id, then ChaCha20-Poly1305).
//! The key is opened only for the moment it signs, and zeroized after.

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use rand_core::Rng as _;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// The format of a passphrase-sealed key.
pub const SEALED_FORMAT: &str = "sawt/v1/sealed-key/argon2id-chacha20poly1305";

/// The associated data of the seal: the format, then the parameters and the public key.
const SEAL_LABEL: &[u8] = b"sawt/v1/sealed-key\n";

/// Why a key could not be sealed or opened.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyStoreError {
    /// Wrong passphrase, or the sealed key was changed.
    #[error("the device key does not open: wrong passphrase, or the key file was changed")]
    Open,
    /// The sealed key is not in a known format.
    #[error("the device key is in an unknown format: {0}")]
    Format(String),
    /// The platform keystore failed.
    #[error("the keystore failed: {0}")]
    Platform(String),
}

/// A sealed 32-byte secret, as stored on the device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sealed {
    /// [`SEALED_FORMAT`], or a platform keystore's own.
    pub format: String,
    /// The key-derivation parameters (Argon2id: memory in KiB, passes, lanes).
    pub kdf: KdfParams,
    /// The salt, 16 bytes in hexadecimal.
    pub salt: String,
    /// The sealed secret, 48 bytes in hexadecimal (32 and the tag).
    pub sealed: String,
}

/// Argon2id's cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KdfParams {
    /// Memory, KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl KdfParams {
    /// The default: 64 MiB, 3 passes, 1 lane (the memory and passes of RFC 9106 §4's second
    /// recommended option, on one lane: a phone derives it once per use).
    pub const DEFAULT: KdfParams = KdfParams {
        m_kib: 64 * 1024,
        t: 3,
        p: 1,
    };
    /// The most a stored seal may ask for: a changed file cannot make opening cost more.
    pub const MAX: KdfParams = KdfParams {
        m_kib: 1024 * 1024,
        t: 10,
        p: 8,
    };
    /// Cheap, for tests only.
    pub const FOR_TESTS: KdfParams = KdfParams {
        m_kib: 8 * 1024,
        t: 1,
        p: 1,
    };
}

/// Seals and opens the device's secret.
pub trait SecretStore: Send + Sync {
    /// Seals `secret`, bound to `public` (the key it belongs to).
    fn seal(&self, secret: &[u8; 32], public: &[u8; 32]) -> Result<Sealed, KeyStoreError>;
    /// Opens what [`SecretStore::seal`] sealed for `public`.
    fn open(
        &self,
        sealed: &Sealed,
        public: &[u8; 32],
    ) -> Result<Zeroizing<[u8; 32]>, KeyStoreError>;
}

/// A passphrase: Argon2id derives the sealing key from it and a random salt.
pub struct Passphrase {
    phrase: Zeroizing<String>,
    params: KdfParams,
}

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(…)")
    }
}

impl Passphrase {
    /// A passphrase with the default cost.
    pub fn new(phrase: impl Into<String>) -> Self {
        Self::with_params(phrase, KdfParams::DEFAULT)
    }

    /// A passphrase with this cost (for sealing; opening uses the cost stored in the seal,
    /// which the seal authenticates).
    pub fn with_params(phrase: impl Into<String>, params: KdfParams) -> Self {
        Passphrase {
            phrase: Zeroizing::new(phrase.into()),
            params,
        }
    }

    fn cipher(&self, params: KdfParams, salt: &[u8]) -> Result<ChaCha20Poly1305, KeyStoreError> {
        let p = Params::new(params.m_kib, params.t, params.p, Some(32))
            .map_err(|e| KeyStoreError::Format(format!("Argon2 parameters: {e}")))?;
        let mut key = Zeroizing::new([0u8; 32]);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, p)
            .hash_password_into(self.phrase.as_bytes(), salt, &mut key[..])
            .map_err(|e| KeyStoreError::Format(format!("Argon2: {e}")))?;
        Ok(ChaCha20Poly1305::new_from_slice(&key[..]).expect("a 32-byte key"))
    }
}

fn aad(params: KdfParams, salt: &[u8], public: &[u8; 32]) -> Vec<u8> {
    let mut a = SEAL_LABEL.to_vec();
    a.extend_from_slice(SEALED_FORMAT.as_bytes());
    a.push(b'\n');
    for v in [params.m_kib, params.t, params.p] {
        a.extend_from_slice(&v.to_le_bytes());
    }
    a.extend_from_slice(salt);
    a.extend_from_slice(public);
    a
}

impl SecretStore for Passphrase {
    fn seal(&self, secret: &[u8; 32], public: &[u8; 32]) -> Result<Sealed, KeyStoreError> {
        let mut salt = [0u8; 16];
        sawt_crypto::rng::os_rng().fill_bytes(&mut salt);
        let cipher = self.cipher(self.params, &salt)?;
        // Each seal has its own salt, hence its own key: the fixed nonce is never reused.
        let sealed = cipher
            .encrypt(
                &[0u8; 12].into(),
                Payload {
                    msg: secret,
                    aad: &aad(self.params, &salt, public),
                },
            )
            .map_err(|_| KeyStoreError::Platform("sealing failed".into()))?;
        Ok(Sealed {
            format: SEALED_FORMAT.into(),
            kdf: self.params,
            salt: hex::encode(salt),
            sealed: hex::encode(sealed),
        })
    }

    fn open(
        &self,
        sealed: &Sealed,
        public: &[u8; 32],
    ) -> Result<Zeroizing<[u8; 32]>, KeyStoreError> {
        if sealed.format != SEALED_FORMAT {
            return Err(KeyStoreError::Format(sealed.format.clone()));
        }
        let k = sealed.kdf;
        if k.m_kib > KdfParams::MAX.m_kib || k.t > KdfParams::MAX.t || k.p > KdfParams::MAX.p {
            return Err(KeyStoreError::Format(
                "key-derivation cost out of bounds".into(),
            ));
        }
        let salt = hex::decode(&sealed.salt).map_err(|_| KeyStoreError::Open)?;
        if salt.len() != 16 {
            return Err(KeyStoreError::Open);
        }
        let bytes = hex::decode(&sealed.sealed).map_err(|_| KeyStoreError::Open)?;
        let cipher = self.cipher(sealed.kdf, &salt)?;
        let plain = Zeroizing::new(
            cipher
                .decrypt(
                    &[0u8; 12].into(),
                    Payload {
                        msg: &bytes,
                        aad: &aad(sealed.kdf, &salt, public),
                    },
                )
                .map_err(|_| KeyStoreError::Open)?,
        );
        let mut out = Zeroizing::new([0u8; 32]);
        if plain.len() != 32 {
            return Err(KeyStoreError::Open);
        }
        out.copy_from_slice(&plain);
        Ok(out)
    }
}

/// A key opened once for the length of one task (a command, a screen), so that it is not
/// derived again for each signature; zeroized when dropped. It opens only the key it holds.
pub struct Unlocked {
    public: [u8; 32],
    secret: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for Unlocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Unlocked(…)")
    }
}

impl Unlocked {
    /// Opens `sealed` (the key of `public`) with `store`.
    pub fn open(
        store: &dyn SecretStore,
        sealed: &Sealed,
        public: &[u8; 32],
    ) -> Result<Self, KeyStoreError> {
        Ok(Unlocked {
            public: *public,
            secret: store.open(sealed, public)?,
        })
    }
}

impl SecretStore for Unlocked {
    fn seal(&self, _: &[u8; 32], _: &[u8; 32]) -> Result<Sealed, KeyStoreError> {
        Err(KeyStoreError::Platform(
            "an unlocked key seals nothing".into(),
        ))
    }

    fn open(&self, _: &Sealed, public: &[u8; 32]) -> Result<Zeroizing<[u8; 32]>, KeyStoreError> {
        if public != &self.public {
            return Err(KeyStoreError::Open);
        }
        Ok(self.secret.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_with_its_passphrase_only() {
        let p = Passphrase::with_params("correct horse", KdfParams::FOR_TESTS);
        let secret = [7u8; 32];
        let public = [9u8; 32];
        let s = p.seal(&secret, &public).unwrap();
        assert_eq!(*p.open(&s, &public).unwrap(), secret);
        let wrong = Passphrase::with_params("wrong horse", KdfParams::FOR_TESTS);
        assert_eq!(wrong.open(&s, &public), Err(KeyStoreError::Open));
        // Bound to its public key and its parameters: changing either fails.
        assert_eq!(p.open(&s, &[8u8; 32]), Err(KeyStoreError::Open));
        let mut cheaper = s.clone();
        cheaper.kdf.t += 1;
        assert_eq!(p.open(&cheaper, &public), Err(KeyStoreError::Open));
        let mut flipped = s.clone();
        flipped.sealed.replace_range(0..2, "00");
        if flipped != s {
            assert_eq!(p.open(&flipped, &public), Err(KeyStoreError::Open));
        }
        // Two seals of one secret differ (fresh salt).
        assert_ne!(p.seal(&secret, &public).unwrap(), s);
    }
}
