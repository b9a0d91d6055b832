//! The storage layer's errors.

use std::sync::Arc;

use thiserror::Error;

/// Why a storage operation failed. Cloneable, so that one failure can be reported to every
/// request of a group commit.
#[derive(Debug, Clone, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// An entry with the same body (same SHA-256) is already on the board; nothing was
    /// appended. `index` is where the existing entry is.
    #[error("an entry with the same body is already in the log, at index {index}")]
    Duplicate {
        /// The index of the entry already in the log.
        index: u64,
    },
    /// The request is malformed (an invalid kind, a body too large, a number beyond the
    /// database's range); nothing changed.
    #[error("invalid input: {0}")]
    InvalidInput(&'static str),
    /// An index or size beyond the committed log, or an older size above a newer one.
    #[error("{what} {value} is out of range (limit {limit})")]
    OutOfRange {
        /// What was out of range.
        what: &'static str,
        /// The value asked for.
        value: u64,
        /// The bound it broke: the committed size, or the newer size of a consistency proof.
        limit: u64,
    },
    /// A head's root is not the log's root at the head's size.
    #[error("the head's root is not the log's root at size {size}")]
    HeadMismatch {
        /// The head's size.
        size: u64,
    },
    /// A head does not follow the latest stored head (smaller size, earlier timestamp or
    /// another election).
    #[error("the head does not follow the latest stored head: {0}")]
    HeadOrder(&'static str),
    /// A different head is already stored for this size.
    #[error("a different head is already stored for size {size}")]
    HeadConflict {
        /// The size.
        size: u64,
    },
    /// No head is stored for this size.
    #[error("no head is stored for size {size}")]
    NoHead {
        /// The size.
        size: u64,
    },
    /// A cosignature does not verify on the stored head.
    #[error("the cosignature does not verify: {0}")]
    BadCosignature(#[source] sawt_board::HeadError),
    /// The witness already cosigned this size, with another cosignature.
    #[error("the witness already cosigned size {size} differently")]
    CosignatureConflict {
        /// The size.
        size: u64,
    },
    /// The URL names no supported database (the URL is not repeated: it may hold a password).
    #[error("unsupported database URL: expected sqlite:… or postgres://…")]
    UnsupportedUrl,
    /// The store was closed, or its writer stopped.
    #[error("the store is closed")]
    Closed,
    /// The database holds something this code never writes.
    #[error("the database is inconsistent: {0}")]
    Corrupt(&'static str),
    /// The database failed (connection, constraint, disk, …). Nothing of the request that
    /// failed is in the log.
    #[error("database error: {0}")]
    Database(#[source] Arc<sqlx::Error>),
    /// Running the migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[source] Arc<sqlx::migrate::MigrateError>),
    /// A file-system operation failed (creating the data directory).
    #[error("I/O error: {0}")]
    Io(#[source] Arc<std::io::Error>),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(Arc::new(e))
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migrate(Arc::new(e))
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError::Io(Arc::new(e))
    }
}
