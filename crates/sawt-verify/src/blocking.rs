//! Blocked checks (`protocol-spec/verifier.md` §3.4) and the verifier's check on itself
//! (V12.3): a check that cannot run names the failed check it depends on.

use crate::Unfinished;
use crate::checks;
use crate::report::{self, Findings, Report};
/// Every check but `by` blocked by it.
pub(crate) fn block_all(f: Findings, by: &'static str) -> Findings {
    block_all_but(f, &[by])
}

/// Every check not in `keep` blocked by the first failing one of `keep`.
pub(crate) fn block_all_but(mut f: Findings, keep: &[&'static str]) -> Findings {
    let by = keep
        .iter()
        .copied()
        .find(|id| f.has_failed(id))
        .unwrap_or(keep[0]);
    for c in checks::CHECKS {
        if !keep.contains(&c.id) {
            f.block(c.id, by);
        }
    }
    f
}

/// The checks after the close blocked by `by`.
pub(crate) fn block_after_close(mut f: Findings, by: &'static str) -> Findings {
    for id in [
        "V8.2", "V8.3", "V9.2", "V10.2", "V10.4", "V11.2", "V11.5", "V12.1",
    ] {
        f.block(id, by);
    }
    f
}

/// V12.3: every `blocked` names a check that failed or was blocked itself; otherwise the
/// verifier has a bug and gives no verdict (exit status 3).
pub(crate) fn self_check(r: Report) -> Result<Report, Unfinished> {
    for c in &r.checks {
        let explained = c.blocked_by.iter().any(|by| {
            r.check(by)
                .is_some_and(|b| matches!(b.status, report::Status::Fail | report::Status::Blocked))
        });
        if c.status == report::Status::Blocked && !explained {
            return Err(Unfinished(format!(
                "V12.3: {} is blocked by {:?}, none of which failed",
                c.id, c.blocked_by
            )));
        }
    }
    Ok(r)
}
