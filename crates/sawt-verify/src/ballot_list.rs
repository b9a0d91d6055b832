//! The ballot list (`protocol-spec/verifier.md` §7.4): every ballot of the verified record
//! with its tracking code and status, for voters to find theirs.

use std::path::Path;

use crate::Unfinished;
use crate::replay::Replay;
/// Writes the ballot list (verifier.md §7.4): `{"index", "kind", "credential", "contest",
/// "tracking_code", "status"}` per line, the status one of `counted`, `superseded`,
/// `audited`, `revoked`, `after-close` or `not-enrolled`.
pub(crate) fn write_ballot_list(path: &Path, replay: &Replay<'_>) -> Result<(), Unfinished> {
    use std::io::Write as _;
    let counted: std::collections::HashSet<u64> =
        replay.counted().iter().map(|c| c.index).collect();
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for b in replay.ballot_list.iter().flatten() {
        let status = if b.audited {
            "audited"
        } else if replay.close.is_some_and(|c| b.index > c) {
            "after-close"
        } else if counted.contains(&b.index) {
            "counted"
        } else if replay.revoked(&b.credential) {
            "revoked"
        } else if replay.enrolled(&b.credential) {
            "superseded"
        } else {
            "not-enrolled"
        };
        let line = serde_json::json!({
            "index": b.index,
            "kind": if b.audited { "audited-ballot" } else { "ballot" },
            "credential": hex::encode(b.credential),
            "contest": b.contest,
            "tracking_code": b.tracking_code,
            "status": status,
        });
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(())
}
