//! The server's configuration: a TOML file (`sawt serve --config FILE`), each value
//! overridable by the environment and the command line (the binary merges them).
//!
//! ```toml
//! listen = "127.0.0.1:8080"
//! database = "postgres://sawt@db/sawt"
//! board_key = "/etc/sawt/board.key"
//! registrar_key = "/etc/sawt/registrar.key"
//! identity_providers = ["5f1c…"]
//! cors_origins = ["https://app.sawt.om"]
//! head_interval_ms = 1000
//!
//! [limits]
//! body_bytes = 1048576          # largest request body (the board's attachments excepted)
//! request_timeout_ms = 10000    # a request taking longer is answered 503
//! per_address_per_s = 50        # requests per second from one address (bursts of 2×)
//! per_credential_per_min = 60   # voter requests per minute from one credential
//!
//! [[officials]]
//! key = "9a0e…"                 # the official's ed25519 public key
//! role = "registry-official"    # registry-official, candidacy-committee or supreme-committee
//! id = "RO-17"
//! ```

use serde::Deserialize;

/// Limits that protect the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// The largest request body, in bytes (attachment uploads have their own limit).
    pub body_bytes: usize,
    /// How long a request may take, in milliseconds.
    pub request_timeout_ms: u64,
    /// Requests per second from one client address (bursts of twice as many).
    pub per_address_per_s: u32,
    /// Voter requests per minute from one credential.
    pub per_credential_per_min: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes: 1 << 20,
            request_timeout_ms: 10_000,
            per_address_per_s: 50,
            per_credential_per_min: 60,
        }
    }
}

/// An official: a key, the role it acts in, and who holds it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Official {
    /// The official's ed25519 public key (hex).
    pub key: sawt_election::keys::PublicKeyHex,
    /// The role: `registry-official`, `candidacy-committee` or `supreme-committee`.
    pub role: String,
    /// Who holds it (a staff number or office; recorded with every decision).
    pub id: String,
}

/// The configuration file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: Option<String>,
    /// Database URL.
    pub database: Option<String>,
    /// The board operator's key file.
    pub board_key: Option<std::path::PathBuf>,
    /// The registrar's key file (enables the registry's API).
    pub registrar_key: Option<std::path::PathBuf>,
    /// Identity providers' public keys (hex).
    #[serde(default)]
    pub identity_providers: Vec<String>,
    /// DEVELOPMENT ONLY: a development identity provider's key file.
    pub dev_identity_provider_key: Option<std::path::PathBuf>,
    /// Origins browsers may call the API from (none: no cross-origin access).
    #[serde(default)]
    pub cors_origins: Vec<String>,
    /// Milliseconds between tree heads.
    pub head_interval_ms: Option<u64>,
    /// Days of the objection period.
    pub objection_days: Option<u32>,
    /// Limits.
    #[serde(default)]
    pub limits: Limits,
    /// Officials and their roles.
    #[serde(default)]
    pub officials: Vec<Official>,
}

impl ServerConfig {
    /// Parses a configuration file's text.
    pub fn parse(text: &str) -> Result<ServerConfig, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }
}
