//! Reading entries (`protocol-spec/verifier.md` V2.1–V2.4, V3.1, V3.2): every line decoded as
//! the canonical encoding of a signed entry and its signature checked exactly; entry 0 as
//! the manifest of the election given.

use sawt_election::canonical;
use sawt_election::entry::{ENTRY_FORMAT, ENTRY_SIGNING_LABEL, EntryBody, SignedEntry};
use sawt_election::manifest::Manifest;

use crate::report::{Blame, Failure, Findings};
/// Why a line is not an entry: the check that fails, a code, the detail.
pub(crate) type Bad = (&'static str, &'static str, String);

/// Decodes one line: canonical JSON of a signed entry (V3.1), then its signature (V3.2),
/// checked exactly with `verify_strict` over the bytes of the `entry` member.
pub(crate) fn decode_line(bytes: &[u8]) -> Result<SignedEntry, Bad> {
    let e: SignedEntry = canonical::decode(bytes)
        .map_err(|err| ("V3.1", "encoding", format!("not a canonical entry: {err}")))?;
    if e.entry.format != ENTRY_FORMAT {
        return Err(("V3.1", "format", format!("format {:?}", e.entry.format)));
    }
    let key = e.entry.author.verifying_key().map_err(|_| {
        (
            "V3.2",
            "author-key",
            "the author key is not an acceptable ed25519 key".to_owned(),
        )
    })?;
    // Canonical bytes are `{"entry":` E `,"signature":"` 128 hex digits `"}`.
    const OPEN: &[u8] = b"{\"entry\":";
    const SIG: &[u8] = b",\"signature\":\"";
    let tail = SIG.len() + 128 + 2;
    let ok = if bytes.len() > OPEN.len() + tail
        && bytes.starts_with(OPEN)
        && bytes[bytes.len() - tail..].starts_with(SIG)
    {
        let mut msg = ENTRY_SIGNING_LABEL.to_vec();
        msg.extend_from_slice(&bytes[OPEN.len()..bytes.len() - tail]);
        key.verify_strict(&msg, &ed25519_dalek::Signature::from_bytes(&e.signature.0))
            .is_ok()
    } else {
        e.verify_signature().is_ok()
    };
    if !ok {
        return Err((
            "V3.2",
            "signature",
            "the author's signature does not verify".into(),
        ));
    }
    Ok(e)
}

/// V2.1–V2.4 on entry 0; the manifest if V2.1 and V2.2 pass.
pub(crate) fn check_manifest(
    f: &mut Findings,
    bytes: &[u8],
    election: &[u8; 32],
) -> Option<Manifest> {
    for id in ["V2.1", "V2.2", "V2.3", "V2.4"] {
        f.items(id, 1);
    }
    let e = match decode_line(bytes) {
        Ok(e) => e,
        Err((_, code, why)) => {
            f.fail(
                "V2.1",
                Failure::at(0, code, why).blame(Blame::role("boardoperator")),
            );
            return None;
        }
    };
    let EntryBody::Manifest(m) = e.entry.body else {
        f.fail(
            "V2.1",
            Failure::at(
                0,
                "not-manifest",
                format!("entry 0 is a {}", e.entry.body.kind()),
            )
            .blame(Blame::role("boardoperator")),
        );
        return None;
    };
    let hash = m.hash().ok();
    if hash.as_ref() != Some(election) || &e.entry.election.0 != election {
        f.fail("V2.2", Failure::at(0, "election", "the manifest's hash is not the election given (another election, or a mistyped --election)"));
        return None;
    }
    if let Err(errs) = m.validate() {
        for why in errs.0 {
            f.fail(
                "V2.3",
                Failure::at(0, "manifest-rule", why).blame(Blame::role("authority")),
            );
        }
    }
    if sawt_election::entry::role_of(&m, &e.entry.author)
        != Some(sawt_election::entry::Role::Authority)
    {
        f.fail(
            "V2.4",
            Failure::at(
                0,
                "manifest-author",
                "the manifest is not signed by its election authority",
            )
            .blame(Blame::role("authority"))
            .blame(Blame::role("boardoperator")),
        );
    }
    Some(*m)
}
