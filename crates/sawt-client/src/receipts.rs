//! The receipt checks of service.md §4: at once (R1–R6; R7 is the head book's) and later
//! (L1–L4). Pure functions over what the device holds: the bytes it sent, the tracking code it
//! showed, and the election from its own anchor.

use sawt_board::hash::leaf_hash;

use crate::election::Election;
use crate::error::Misbehaviour;
use crate::wire::{Receipt, ReceiptCheck};

/// R1–R6: the receipt for `bytes`, whose tracking code the device computed as `tracking_code`.
pub fn check_receipt(
    election: &Election,
    bytes: &[u8],
    tracking_code: &str,
    r: &Receipt,
) -> Result<(), Misbehaviour> {
    election.check_head("R1", &r.head.signed)?;
    let head = &r.head.signed.head;
    if r.index >= head.size {
        return Err(Misbehaviour::new(
            "R3",
            format!(
                "index {} is not under the head of size {}",
                r.index, head.size
            ),
        ));
    }
    let leaf = leaf_hash(bytes);
    if r.leaf_hash != hex::encode(leaf) {
        return Err(Misbehaviour::new(
            "R4",
            "the receipt's leaf hash is not the hash of the ballot sent",
        ));
    }
    if r.inclusion.index != r.index {
        return Err(Misbehaviour::new(
            "R5",
            "the inclusion proof is for another index",
        ));
    }
    r.inclusion
        .verify(&leaf, head.size, &head.root)
        .map_err(|e| Misbehaviour::new("R5", format!("the inclusion proof fails: {e}")))?;
    if r.tracking_code != tracking_code {
        return Err(Misbehaviour::new(
            "R6",
            format!(
                "the receipt's tracking code {} is not the ballot's, {tracking_code}",
                r.tracking_code
            ),
        ));
    }
    Ok(())
}

/// L1–L3 of a later check of the receipt `r` for `bytes` (the head book checks the new head's
/// consistency with earlier ones besides). Whether the new head is witnessed (L4) is the
/// election's [`Election::is_witnessed`].
pub fn check_later(
    election: &Election,
    bytes: &[u8],
    r: &Receipt,
    later: &ReceiptCheck,
) -> Result<(), Misbehaviour> {
    election.check_head("L1", &later.head.signed)?;
    let new = &later.head.signed.head;
    let old = &r.head.signed.head;
    if new.size < old.size {
        return Err(Misbehaviour::new(
            "L1",
            format!(
                "the latest head ({}) is older than the receipt's ({})",
                new.size, old.size
            ),
        ));
    }
    if later.inclusion.index != r.index {
        return Err(Misbehaviour::new(
            "L2",
            "the inclusion proof is for another index",
        ));
    }
    later
        .inclusion
        .verify(&leaf_hash(bytes), new.size, &new.root)
        .map_err(|e| {
            Misbehaviour::new(
                "L2",
                format!(
                    "the ballot is not proved in the head of size {}: {e}",
                    new.size
                ),
            )
        })?;
    crate::heads::consistent(&r.head.signed, &later.head.signed, Some(&later.consistency))
        .map_err(|e| Misbehaviour::new("L3", e))
}
