//! What can go wrong, told apart by who is at fault: the network, the service refusing a
//! request, the service *misbehaving* (an answer that fails a check: reported, never
//! followed), the voter's own choice, or the device.

use crate::transport::TransportError;

/// An answer of the service that fails one of the client's checks (client.md §8.3). The
/// service is not trusted: this is evidence, and the client stops following it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the service misbehaved ({check}): {detail}")]
pub struct Misbehaviour {
    /// The failed check, by its name in client.md or service.md (`R5`, `L3`, `C4`, …).
    pub check: &'static str,
    /// What was wrong.
    pub detail: String,
}

impl Misbehaviour {
    /// A failed `check`.
    pub fn new(check: &'static str, detail: impl Into<String>) -> Self {
        Misbehaviour {
            check,
            detail: detail.into(),
        }
    }
}

/// A refusal of the service: a problem detail (service.md §6).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the service refused ({status} {code}): {detail}")]
pub struct Refused {
    /// The HTTP status.
    pub status: u16,
    /// The stable code.
    pub code: String,
    /// For people.
    pub detail: String,
    /// With `refused-by-rule`: each rule and why.
    pub refusals: Vec<(String, String)>,
}

/// Why a client operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The service could not be reached.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The service refused the request.
    #[error(transparent)]
    Refused(#[from] Refused),
    /// The service's answer failed a check.
    #[error(transparent)]
    Misbehaviour(#[from] Misbehaviour),
    /// The voter's choice breaks the contest's rules; nothing was encrypted or sent.
    #[error("{0}")]
    Choice(String),
    /// The device's key could not be opened (a wrong passphrase, a damaged file).
    #[error(transparent)]
    KeyStore(#[from] crate::keystore::KeyStoreError),
    /// The device's state does not allow this (not enrolled, no ballot prepared, …).
    #[error("{0}")]
    State(String),
}

impl ClientError {
    /// The misbehaviour, if that is what this is.
    pub fn misbehaviour(&self) -> Option<&Misbehaviour> {
        match self {
            ClientError::Misbehaviour(m) => Some(m),
            _ => None,
        }
    }
}
