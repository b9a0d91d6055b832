//! Writing a board's record to a directory (`protocol-spec/board.md` §9.1, §11 item 5):
//! `entries.ndjson`, `head.json` (the latest head with its cosignatures) and
//! `attachments/<sha256>` for every attachment an entry binds. `sawt board export` and the
//! demo both write records this way, and `sawt verify` reads them.

use std::io::Write;
use std::path::Path;

use anyhow::{Context as _, ensure};
use sawt_board::head::WitnessedHead;
use sawt_election::entry::SignedEntry;
use sawt_server::LogStore;

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exported {
    /// Entries written to `entries.ndjson`.
    pub entries: u64,
    /// Files written under `attachments/`.
    pub attachments: u64,
    /// The size of the head in `head.json`, if the board has signed one.
    pub head_size: Option<u64>,
}

/// The kinds whose bodies bind attachments (`EntryBody::attachments`); only these are decoded.
const KINDS_WITH_ATTACHMENTS: [&str; 2] = ["mix-stage", "mix-decryption-shares"];

/// Writes `store`'s record to `dir` (created if needed).
pub async fn export_record(store: &LogStore, dir: &Path) -> anyhow::Result<Exported> {
    std::fs::create_dir_all(dir)?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("entries.ndjson"))?);
    let size = store.size();
    let mut attachments = 0;
    let mut start = 0;
    while start < size {
        let page = store
            .entries(start..(start + sawt_server::MAX_PAGE).min(size))
            .await?;
        ensure!(!page.is_empty(), "the store returned no entries at {start}");
        start += page.len() as u64;
        for e in &page {
            out.write_all(&e.body)?;
            out.write_all(b"\n")?;
            if !KINDS_WITH_ATTACHMENTS.contains(&e.kind.as_str()) {
                continue;
            }
            let body = SignedEntry::decode(&e.body)?.entry.body;
            for a in body.attachments() {
                let (_, bytes) = store.attachment(&a.sha256.0).await?.with_context(|| {
                    format!(
                        "attachment {} of entry {} is missing from the store",
                        hex::encode(a.sha256.0),
                        e.index
                    )
                })?;
                std::fs::create_dir_all(dir.join("attachments"))?;
                std::fs::write(dir.join("attachments").join(hex::encode(a.sha256.0)), bytes)?;
                attachments += 1;
            }
        }
    }
    out.flush()?;
    let mut head_size = None;
    if let Some(signed) = store.latest_head().await? {
        head_size = Some(signed.head.size);
        let cosignatures = store.cosignatures(signed.head.size).await?;
        std::fs::write(
            dir.join("head.json"),
            serde_json::to_vec_pretty(&WitnessedHead {
                signed,
                cosignatures,
            })?,
        )?;
    }
    Ok(Exported {
        entries: size,
        attachments,
        head_size,
    })
}
