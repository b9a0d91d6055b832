//! Identity assertions: the identity provider's word that the person holding a device has
//! proved to be a citizen (ID-card NFC and face match, on the device and at the provider),
//! bound to the voting credential the device generated.
//!
//! The assertion is the canonical JSON (RFC 8785) of [`IdentityAssertion`], signed by the
//! provider with ed25519 over `"sawt/v1/identity-assertion\n" ‖ canonical(assertion)`. The
//! registry accepts it ([`verify`]) only when
//!
//! 1. the provider's key is one the registry is configured to trust, and the signature
//!    verifies strictly ([`Rule::AssertionSignature`]);
//! 2. it names this election ([`Rule::AssertionElection`]);
//! 3. it is fresh: issued at most [`MAX_AGE_MS`] ago and at most [`MAX_SKEW_MS`] in the
//!    future ([`Rule::AssertionFresh`]); its nonce has not been seen before (the server
//!    records every accepted nonce);
//!
//! and then enrols exactly the credential the assertion names, so an intercepted assertion
//! cannot enrol anyone else's key. Assertions never reach the board; the enrolment entry
//! carries the credential and the wilayat only.

use ed25519_dalek::{Signature, Signer, SigningKey};
use rand_core::CryptoRng;
use sawt_election::canonical;
use sawt_election::keys::{Hex32, Hex64, PublicKeyHex};
use serde::{Deserialize, Serialize};

use crate::civil::CivilNumber;
use crate::eligibility::{Refusal, Rule};

/// The assertion format identifier.
pub const ASSERTION_FORMAT: &str = "sawt/v1/identity-assertion";
/// Prefix of the signed message.
pub const ASSERTION_SIGNING_LABEL: &[u8] = b"sawt/v1/identity-assertion\n";
/// The oldest assertion accepted: 5 minutes.
pub const MAX_AGE_MS: u64 = 5 * 60 * 1000;
/// The furthest in the future an assertion may be dated (clock skew): 30 seconds.
pub const MAX_SKEW_MS: u64 = 30 * 1000;

/// What the identity provider asserts.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityAssertion {
    /// [`ASSERTION_FORMAT`].
    pub format: String,
    /// The election (manifest hash) the assertion is for.
    pub election: Hex32,
    /// The citizen.
    pub civil_number: CivilNumber,
    /// The device's voting credential to enrol.
    pub credential: PublicKeyHex,
    /// How identity was proved (`"id-card-nfc+face"`).
    pub method: String,
    /// When, ms since the epoch.
    pub issued_ms: u64,
    /// A fresh random value: each assertion is accepted once.
    pub nonce: Hex32,
}

impl std::fmt::Debug for IdentityAssertion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityAssertion")
            .field("issued_ms", &self.issued_ms)
            .finish_non_exhaustive()
    }
}

/// An assertion with the provider's key and signature.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedAssertion {
    /// The assertion.
    pub assertion: IdentityAssertion,
    /// The provider's key.
    pub provider: PublicKeyHex,
    /// Its signature.
    pub signature: Hex64,
}

/// The signed message of an assertion.
pub fn signing_message(a: &IdentityAssertion) -> Result<Vec<u8>, Refusal> {
    let body = canonical::encode(a).map_err(|e| {
        Refusal::new(
            Rule::AssertionSignature,
            format!("unencodable assertion: {e}"),
        )
    })?;
    Ok([ASSERTION_SIGNING_LABEL, &body].concat())
}

/// Checks a signed assertion against the trusted providers, the election and the time;
/// returns the assertion. The caller must still check its nonce was never seen.
pub fn verify<'a>(
    signed: &'a SignedAssertion,
    trusted: &[PublicKeyHex],
    election: &[u8; 32],
    now_ms: u64,
) -> Result<&'a IdentityAssertion, Refusal> {
    let a = &signed.assertion;
    if !trusted.contains(&signed.provider) {
        return Err(Refusal::new(
            Rule::AssertionSignature,
            "the assertion is not from a trusted identity provider",
        ));
    }
    let key = signed
        .provider
        .verifying_key()
        .map_err(|_| Refusal::new(Rule::AssertionSignature, "the provider's key is invalid"))?;
    key.verify_strict(
        &signing_message(a)?,
        &Signature::from_bytes(&signed.signature.0),
    )
    .map_err(|_| {
        Refusal::new(
            Rule::AssertionSignature,
            "the identity provider's signature does not verify",
        )
    })?;
    if a.format != ASSERTION_FORMAT {
        return Err(Refusal::new(
            Rule::AssertionSignature,
            format!("the assertion's format must be {ASSERTION_FORMAT}"),
        ));
    }
    if &a.election.0 != election {
        return Err(Refusal::new(
            Rule::AssertionElection,
            "the assertion is for another election",
        ));
    }
    if a.issued_ms > now_ms.saturating_add(MAX_SKEW_MS) {
        return Err(Refusal::new(
            Rule::AssertionFresh,
            "the assertion is dated in the future",
        ));
    }
    if now_ms.saturating_sub(a.issued_ms) > MAX_AGE_MS {
        return Err(Refusal::new(
            Rule::AssertionFresh,
            format!(
                "the assertion is {} s old; at most {} s are accepted",
                (now_ms - a.issued_ms) / 1000,
                MAX_AGE_MS / 1000
            ),
        ));
    }
    Ok(a)
}

/// An identity provider holding its signing key: the development provider of the demo and
/// the tests (production assertions come from the Ministry's provider).
pub struct IdentityProvider {
    key: SigningKey,
}

impl std::fmt::Debug for IdentityProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityProvider")
            .field("public", &self.public())
            .finish_non_exhaustive()
    }
}

impl IdentityProvider {
    /// A provider with this key.
    pub fn new(key: SigningKey) -> Self {
        IdentityProvider { key }
    }

    /// Its public key.
    pub fn public(&self) -> PublicKeyHex {
        PublicKeyHex::from_key(&self.key.verifying_key())
    }

    /// Signs an assertion that `civil_number` proved their identity at `now_ms` on the device
    /// holding `credential`.
    pub fn assert<R: CryptoRng + ?Sized>(
        &self,
        election: [u8; 32],
        civil_number: CivilNumber,
        credential: PublicKeyHex,
        now_ms: u64,
        rng: &mut R,
    ) -> Result<SignedAssertion, Refusal> {
        let mut nonce = [0u8; 32];
        rng.fill_bytes(&mut nonce);
        let assertion = IdentityAssertion {
            format: ASSERTION_FORMAT.into(),
            election: Hex32(election),
            civil_number,
            credential,
            method: "id-card-nfc+face".into(),
            issued_ms: now_ms,
            nonce: Hex32(nonce),
        };
        let signature = self.key.sign(&signing_message(&assertion)?);
        Ok(SignedAssertion {
            assertion,
            provider: self.public(),
            signature: Hex64(signature.to_bytes()),
        })
    }
}
