//! # sawt-server
//!
//! The server side of Sawt: the bulletin board's **storage** ([`LogStore`]), its
//! **service** ([`service::Board`]: the gate that decodes, authorises and checks every entry
//! before it is appended, and signs tree heads) and the **observer API** ([`http`]). The
//! voters', candidates' and officials' APIs come with later issues.
//!
//! [`LogStore`] keeps the board's append-only log (`sawt_board`'s RFC 9162 tree over
//! stored complete subtrees), its signed heads and witnesses' cosignatures, on **SQLite**
//! (bundled; the default, one file) or **PostgreSQL** (production), with one API and the
//! same semantics on both:
//!
//! * **Appends are durable when they return**: one writer task commits them in groups (one
//!   transaction and one `fsync` for up to 1024 appends) and replies only after the commit.
//!   A body already on the board is refused; one bad request never fails the others.
//! * **Reads are concurrent** with the writer and see committed data only. A root, an
//!   inclusion or a consistency proof reads its `O(log n)` nodes in one query.
//! * **Append-only in SQL**: triggers abort every `UPDATE` and `DELETE` of entries, nodes,
//!   heads and cosignatures (`migrations/` at the repository's root, run at open).
//!
//! ```no_run
//! # async fn demo() -> Result<(), sawt_server::StoreError> {
//! let store = sawt_server::LogStore::open(&sawt_server::default_database_url()?).await?;
//! let appended = store.append("test.note", [0; 32], b"hello".to_vec()).await?;
//! let proof = store.inclusion_proof(appended.index, store.size()).await?;
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod app;
pub mod campaign;
pub mod clock;
pub mod config;
mod db;
pub mod election_api;
mod error;
mod frontier;
pub mod http;
mod nodes;
pub mod official;
pub mod openapi;
pub mod problem;
pub mod registry;
pub mod registry_api;
pub mod results;
pub mod scenario;
pub mod scratch;
pub mod service;
mod store;
pub mod suggestions;
pub mod voter;
mod writer;

pub use db::Backend;
pub use error::StoreError;
pub use store::{
    Appended, DEFAULT_DATA_DIR, Entry, LogStore, MAX_BODY_LEN, MAX_KIND_LEN, MAX_PAGE, NewEntry,
    default_database_url,
};
