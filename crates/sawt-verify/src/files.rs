//! The record's files (`protocol-spec/board.md` §9.1, §11 item 5): `entries.ndjson` read as
//! a stream of lines, `head.json`, and `attachments/<sha256>` checked against the entry that
//! binds them. Nothing here judges content: it only reads bytes.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use sawt_board::head::WitnessedHead;
use sawt_election::entry::Attachment;
use sha2::{Digest, Sha256};

/// A record directory.
#[derive(Clone, Debug)]
pub struct RecordDir {
    dir: PathBuf,
}

/// One line of `entries.ndjson`: its byte offset and its bytes (without the LF).
pub struct Line {
    /// Where it starts in the file.
    pub offset: u64,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

impl RecordDir {
    /// The record in `dir`.
    pub fn new(dir: &Path) -> Self {
        RecordDir {
            dir: dir.to_path_buf(),
        }
    }

    /// The path of `entries.ndjson`.
    pub fn entries_path(&self) -> PathBuf {
        self.dir.join("entries.ndjson")
    }

    /// `head.json`, parsed strictly (unknown, duplicate and missing fields refused).
    pub fn head(&self) -> Result<WitnessedHead, String> {
        let path = self.dir.join("head.json");
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        parse_head(&bytes).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// `fork-evidence.json`, if present.
    pub fn fork_evidence(&self) -> Option<Result<Vec<u8>, String>> {
        let path = self.dir.join("fork-evidence.json");
        path.exists()
            .then(|| std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display())))
    }

    /// Opens `entries.ndjson` for streaming.
    pub fn lines(&self) -> std::io::Result<Lines> {
        let f = File::open(self.entries_path())?;
        Ok(Lines {
            reader: BufReader::with_capacity(1 << 20, f),
            offset: 0,
        })
    }

    /// Reads the line at `offset` (for the few entries a later check must see again).
    pub fn line_at(&self, offset: u64) -> std::io::Result<Vec<u8>> {
        let mut f = BufReader::new(File::open(self.entries_path())?);
        f.seek(SeekFrom::Start(offset))?;
        let mut out = Vec::new();
        f.read_until(b'\n', &mut out)?;
        if out.last() == Some(&b'\n') {
            out.pop();
        }
        Ok(out)
    }

    /// The bytes of an attachment, checked against the length and SHA-256 its entry binds
    /// (V3.8).
    pub fn attachment(&self, a: &Attachment) -> Result<Vec<u8>, String> {
        let name = hex::encode(a.sha256.0);
        let path = self.dir.join("attachments").join(&name);
        let mut bytes = Vec::new();
        File::open(&path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| format!("attachment {name} cannot be read: {e}"))?;
        if bytes.len() as u64 != a.length {
            return Err(format!(
                "attachment {name} has {} bytes, the entry says {}",
                bytes.len(),
                a.length
            ));
        }
        if Sha256::digest(&bytes).as_slice() != a.sha256.0 {
            return Err(format!("attachment {name} does not hash to its name"));
        }
        Ok(bytes)
    }
}

/// Parses a witnessed head (board.md §4.6).
pub fn parse_head(bytes: &[u8]) -> Result<WitnessedHead, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("not a witnessed head: {e}"))
}

/// `entries.ndjson` as a stream of lines.
pub struct Lines {
    reader: BufReader<File>,
    offset: u64,
}

impl Lines {
    /// Up to `max` more lines; fewer only at the end of the file.
    pub fn next_chunk(&mut self, max: usize) -> std::io::Result<Vec<Line>> {
        let mut out = Vec::with_capacity(max);
        while out.len() < max {
            let mut bytes = Vec::new();
            let n = self.reader.read_until(b'\n', &mut bytes)?;
            if n == 0 {
                break;
            }
            let offset = self.offset;
            self.offset += n as u64;
            if bytes.last() == Some(&b'\n') {
                bytes.pop();
            }
            out.push(Line { offset, bytes });
        }
        Ok(out)
    }
}
