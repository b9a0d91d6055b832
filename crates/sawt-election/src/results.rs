//! Seats and ties (election.md §5.11): a contest's seats go to the highest totals; when
//! candidates tie across the last seat, a public draw orders them. The draw's seed is the
//! hash of the election, the contest and the root of the log at the close (its index plus one
//! leaves): fixed by the ballots themselves, unknown to anyone before voting ended, and
//! recomputed by anyone from the record.

use sha2::{Digest, Sha256};

/// The label of a draw's seed.
pub const DRAW_SEED_LABEL: &[u8] = b"sawt/v1/tie-break-seed\n";
/// The label of a tied candidate's lot.
pub const DRAW_LOT_LABEL: &[u8] = b"sawt/v1/tie-break-lot\n";

/// How a contest's seats fall by its totals alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allocation {
    /// Candidates elected by their totals (strictly above every candidate left out), in
    /// descending order of votes (ballot order among equals).
    pub elected: Vec<String>,
    /// Candidates tied across the last seat: they share `open` seats by lot.
    pub tied: Vec<String>,
    /// Seats left for the tied candidates (0 when nobody ties across the last seat).
    pub open: usize,
}

/// Allocates `seats` among `candidates` (identifiers in ballot order) by `totals`
/// (the same order): the highest totals win; if the candidates at the boundary tie, the ones
/// strictly above are elected and the tied ones share the remaining seats by lot.
pub fn allocate(candidates: &[String], totals: &[u64], seats: u32) -> Allocation {
    let mut order: Vec<usize> = (0..candidates.len().min(totals.len())).collect();
    // Descending votes; ballot order among equals (a stable sort).
    order.sort_by_key(|&i| std::cmp::Reverse(totals[i]));
    let seats = (seats as usize).min(order.len());
    if seats == 0 {
        return Allocation {
            elected: vec![],
            tied: vec![],
            open: 0,
        };
    }
    let boundary = totals[order[seats - 1]];
    let above: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| totals[i] > boundary)
        .collect();
    let at: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| totals[i] == boundary)
        .collect();
    let open = seats - above.len();
    let name = |v: &[usize]| v.iter().map(|&i| candidates[i].clone()).collect::<Vec<_>>();
    if at.len() == open {
        // No tie across the boundary: everyone at it is elected.
        let mut elected = name(&above);
        elected.extend(name(&at));
        return Allocation {
            elected,
            tied: vec![],
            open: 0,
        };
    }
    Allocation {
        elected: name(&above),
        tied: name(&at),
        open,
    }
}

/// The seed of contest `contest`'s draw: `SHA-256(DRAW_SEED_LABEL ‖ E ‖ u64le(len) ‖ contest
/// ‖ u64le(n) ‖ root)`, where `root` is the log's root at size `n` = the close's index + 1.
pub fn draw_seed(election: &[u8; 32], contest: &str, n: u64, root: &[u8; 32]) -> [u8; 32] {
    Sha256::new()
        .chain_update(DRAW_SEED_LABEL)
        .chain_update(election)
        .chain_update((contest.len() as u64).to_le_bytes())
        .chain_update(contest.as_bytes())
        .chain_update(n.to_le_bytes())
        .chain_update(root)
        .finalize()
        .into()
}

/// The tied candidates in the order the draw gives: ascending by their lots
/// `SHA-256(DRAW_LOT_LABEL ‖ seed ‖ u64le(len) ‖ id)`; the first `open` are elected.
pub fn draw_order(seed: &[u8; 32], tied: &[String]) -> Vec<String> {
    let lot = |id: &String| -> [u8; 32] {
        Sha256::new()
            .chain_update(DRAW_LOT_LABEL)
            .chain_update(seed)
            .chain_update((id.len() as u64).to_le_bytes())
            .chain_update(id.as_bytes())
            .finalize()
            .into()
    };
    let mut v: Vec<([u8; 32], String)> = tied.iter().map(|id| (lot(id), id.clone())).collect();
    v.sort();
    v.into_iter().map(|(_, id)| id).collect()
}

/// The elected candidates: those elected by their totals, then the first `open` of the draw.
pub fn elected(a: &Allocation, draw: Option<&[String]>) -> Vec<String> {
    let mut out = a.elected.clone();
    if a.open > 0
        && let Some(order) = draw
    {
        out.extend(order.iter().take(a.open).cloned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (1..=n).map(|k| format!("c{k}")).collect()
    }

    #[test]
    fn the_highest_totals_win_and_a_tie_across_the_last_seat_goes_to_a_draw() {
        let c = ids(4);
        let a = allocate(&c, &[10, 30, 20, 5], 2);
        assert_eq!(a.elected, vec!["c2", "c3"]);
        assert_eq!(a.open, 0);
        // A tie inside the seats is no tie for a seat.
        let a = allocate(&c, &[30, 30, 20, 5], 2);
        assert_eq!((a.elected.len(), a.open), (2, 0));
        // Three candidates tie for the second seat.
        let a = allocate(&c, &[30, 20, 20, 20], 2);
        assert_eq!(a.elected, vec!["c1"]);
        assert_eq!(a.tied, vec!["c2", "c3", "c4"]);
        assert_eq!(a.open, 1);
        // Everybody at zero, one seat.
        let a = allocate(&c, &[0, 0, 0, 0], 1);
        assert_eq!((a.elected.len(), a.tied.len(), a.open), (0, 4, 1));
        // More seats than candidates.
        let a = allocate(&c[..1], &[3], 2);
        assert_eq!(a.elected, vec!["c1"]);
    }

    #[test]
    fn the_draw_matches_the_known_answer_of_election_md() {
        let seed = draw_seed(&[1; 32], "muscat", 100, &[2; 32]);
        assert_eq!(
            hex::encode(seed),
            "fd82a47db322cf5e992c97a92c19516745dadda09752ca31d67726d75f1c1f2e"
        );
        let tied: Vec<String> = ["c2", "c3", "c4"].map(String::from).to_vec();
        assert_eq!(draw_order(&seed, &tied), ["c4", "c3", "c2"]);
    }

    #[test]
    fn the_draw_is_a_function_of_the_seed_alone() {
        let tied = vec!["c2".to_owned(), "c3".to_owned(), "c4".to_owned()];
        let seed = draw_seed(&[1; 32], "muscat", 100, &[2; 32]);
        let order = draw_order(&seed, &tied);
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(sorted, tied);
        // The order does not depend on the order the tied are listed in.
        let mut reversed = tied.clone();
        reversed.reverse();
        assert_eq!(draw_order(&seed, &reversed), order);
        // Another root, another seed (and, over a few, another order).
        let others: Vec<Vec<String>> = (0..8u8)
            .map(|r| draw_order(&draw_seed(&[1; 32], "muscat", 100, &[r; 32]), &tied))
            .collect();
        assert!(others.iter().any(|o| o != &others[0]));
        assert_ne!(seed, draw_seed(&[1; 32], "muttrah", 100, &[2; 32]));
        assert_ne!(seed, draw_seed(&[1; 32], "muscat", 101, &[2; 32]));
        let a = allocate(&ids(4), &[30, 20, 20, 20], 2);
        assert_eq!(
            elected(&a, Some(&order)),
            vec!["c1".to_owned(), order[0].clone()]
        );
    }
}
