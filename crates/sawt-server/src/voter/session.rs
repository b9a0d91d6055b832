//! Voter sessions: a device proves it holds an enrolled credential by signing a challenge,
//! and gets a short-lived bearer token.
//!
//! Both the challenge and the token are stateless: each is its data plus an HMAC-SHA-256
//! under a secret the server draws from the OS at start (so sessions end with the process).
//!
//! ```text
//! challenge = HMAC(secret, "sawt/v1/voter-challenge\n" ‖ credential ‖ u64le(expires_ms))
//! signed    = "sawt/v1/voter-session\n" ‖ election ‖ credential ‖ u64le(expires_ms) ‖ challenge
//! token     = hex(credential ‖ u64le(expires_ms) ‖ HMAC(secret, "sawt/v1/voter-token\n" ‖ credential ‖ u64le(expires_ms)))
//! ```

use ed25519_dalek::Signature;
use hmac::{Hmac, KeyInit, Mac};
use sawt_election::keys::{Hex32, Hex64, PublicKeyHex};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How long a challenge may be answered: 2 minutes.
pub const CHALLENGE_TTL_MS: u64 = 2 * 60 * 1000;
/// How long a session lasts: 15 minutes.
pub const SESSION_TTL_MS: u64 = 15 * 60 * 1000;
/// The signed message's label (voters).
pub const SESSION_SIGNING_LABEL: &[u8] = b"sawt/v1/voter-session\n";
/// The signed message's label (officials).
pub const OFFICIAL_SIGNING_LABEL: &[u8] = b"sawt/v1/official-session\n";

/// Who a session is for: its labels differ, so that a voter's signature never opens an
/// official's session, and the two kinds of tokens never pass for each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// A voter's device.
    Voter,
    /// An official's key.
    Official,
}

impl Audience {
    fn labels(self) -> [&'static [u8]; 3] {
        match self {
            Audience::Voter => [
                SESSION_SIGNING_LABEL,
                b"sawt/v1/voter-challenge\n",
                b"sawt/v1/voter-token\n",
            ],
            Audience::Official => [
                OFFICIAL_SIGNING_LABEL,
                b"sawt/v1/official-challenge\n",
                b"sawt/v1/official-token\n",
            ],
        }
    }
}

/// A challenge for a credential.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Challenge {
    /// The credential (or an official's key), 64 hexadecimal digits.
    #[schema(value_type = String)]
    pub credential: PublicKeyHex,
    /// Until when it may be answered, ms since the epoch.
    pub expires_ms: u64,
    /// The value to sign, 64 hexadecimal digits.
    #[schema(value_type = String)]
    pub challenge: Hex32,
}

/// A challenge answered: the device's signature over it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// The challenge.
    #[serde(flatten)]
    pub challenge: Challenge,
    /// The credential's signature over [`signed_message`], 128 hexadecimal digits.
    #[schema(value_type = String)]
    pub signature: Hex64,
}

/// Why a session could not be opened or used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// The challenge is not one this server issued, or has expired.
    #[error("the challenge is unknown or expired; ask for a new one")]
    Challenge,
    /// The signature does not verify under the credential.
    #[error("the signature does not verify under the credential")]
    Signature,
    /// The token is malformed, forged or expired.
    #[error("the session is invalid or expired; open a new one")]
    Token,
}

/// The message a voter's device signs to open a session.
pub fn signed_message(election: &[u8; 32], c: &Challenge) -> Vec<u8> {
    signed_message_as(Audience::Voter, election, c)
}

/// The message a key signs to open a session for `audience`.
pub fn signed_message_as(audience: Audience, election: &[u8; 32], c: &Challenge) -> Vec<u8> {
    [
        audience.labels()[0],
        election,
        c.credential.bytes(),
        &c.expires_ms.to_le_bytes(),
        &c.challenge.0,
    ]
    .concat()
}

/// The token of an `Authorization: Bearer <token>` header (the scheme is case-insensitive,
/// RFC 9110 §11.1), trimmed.
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// Issues and checks challenges and tokens.
pub struct Sessions {
    secret: [u8; 32],
    election: [u8; 32],
    audience: Audience,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sessions(<secret>)")
    }
}

impl Drop for Sessions {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.secret);
    }
}

impl Sessions {
    /// Voters' sessions for `election` with a fresh secret from the OS.
    pub fn new(election: [u8; 32]) -> Self {
        Self::for_audience(election, Audience::Voter)
    }

    /// Sessions for `audience`, with a fresh secret from the OS.
    pub fn for_audience(election: [u8; 32], audience: Audience) -> Self {
        let mut secret = [0u8; 32];
        rand::TryRng::try_fill_bytes(&mut rand::rngs::SysRng, &mut secret)
            .expect("the OS random number generator is available");
        Sessions {
            secret,
            election,
            audience,
        }
    }

    fn mac(&self, label: &[u8], credential: &PublicKeyHex, expires_ms: u64) -> [u8; 32] {
        let mut m =
            <Hmac<Sha256> as KeyInit>::new_from_slice(&self.secret).expect("any key length");
        m.update(label);
        m.update(credential.bytes());
        m.update(&expires_ms.to_le_bytes());
        m.finalize().into_bytes().into()
    }

    /// A challenge for `credential` at `now_ms`.
    pub fn challenge(&self, credential: PublicKeyHex, now_ms: u64) -> Challenge {
        let expires_ms = now_ms + CHALLENGE_TTL_MS;
        let challenge = Hex32(self.mac(self.audience.labels()[1], &credential, expires_ms));
        Challenge {
            credential,
            expires_ms,
            challenge,
        }
    }

    /// Checks an answer at `now_ms`; returns the token and its expiry. The caller checks
    /// that the credential is enrolled and not revoked.
    pub fn open(&self, a: &Answer, now_ms: u64) -> Result<(String, u64), SessionError> {
        let c = &a.challenge;
        let expected = self.mac(self.audience.labels()[1], &c.credential, c.expires_ms);
        if !bool::from(expected.ct_eq(&c.challenge.0)) || now_ms >= c.expires_ms {
            return Err(SessionError::Challenge);
        }
        let key = c
            .credential
            .verifying_key()
            .map_err(|_| SessionError::Signature)?;
        key.verify_strict(
            &signed_message_as(self.audience, &self.election, c),
            &Signature::from_bytes(&a.signature.0),
        )
        .map_err(|_| SessionError::Signature)?;
        let expires_ms = now_ms + SESSION_TTL_MS;
        let mac = self.mac(self.audience.labels()[2], &c.credential, expires_ms);
        let token = hex::encode(
            [
                c.credential.bytes().as_slice(),
                &expires_ms.to_le_bytes(),
                &mac,
            ]
            .concat(),
        );
        Ok((token, expires_ms))
    }

    /// The credential a token was issued to, if it is genuine and unexpired at `now_ms`.
    pub fn check(&self, token: &str, now_ms: u64) -> Result<PublicKeyHex, SessionError> {
        let bytes = hex::decode(token).map_err(|_| SessionError::Token)?;
        if bytes.len() != 72 {
            return Err(SessionError::Token);
        }
        let credential =
            PublicKeyHex::from_bytes(bytes[..32].try_into().map_err(|_| SessionError::Token)?);
        let expires_ms =
            u64::from_le_bytes(bytes[32..40].try_into().map_err(|_| SessionError::Token)?);
        let expected = self.mac(self.audience.labels()[2], &credential, expires_ms);
        if !bool::from(expected.ct_eq(&bytes[40..])) || now_ms >= expires_ms {
            return Err(SessionError::Token);
        }
        Ok(credential)
    }
}
