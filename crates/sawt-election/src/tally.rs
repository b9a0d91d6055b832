//! The counting rule (election.md §5.10): which ballots of the record count. For each
//! credential enrolled by a `credential-enrolment` entry and not revoked by any
//! `credential-revocation` entry before the `close`, its **last** `ballot` entry before the
//! close counts; `audited-ballot` entries never count; nothing after the close counts.
//!
//! [`CountingRule::observe`] notes, entry by entry in log order, enrolments, revocations,
//! each credential's last ballot and the close; then [`CountingRule::counts`] says of a
//! ballot entry whether it counts. A tally keeps each credential's last ballot as it reads
//! (compressed, `ballot_view`) and asks at the end: one pass over the record.

use std::collections::{HashMap, HashSet};

use crate::entry::EntryBody;

/// What the first pass learnt of the record.
#[derive(Clone, Debug, Default)]
pub struct CountingRule {
    enrolled: HashSet<[u8; 32]>,
    revoked: HashSet<[u8; 32]>,
    last: HashMap<[u8; 32], u64>,
    close: Option<u64>,
}

impl CountingRule {
    /// An empty rule, before the first entry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Observes entry `index` (in log order).
    pub fn observe(&mut self, index: u64, body: &EntryBody) {
        if self.close.is_some() {
            return;
        }
        match body {
            EntryBody::CredentialEnrolment { credential, .. } => {
                self.enrolled.insert(*credential.bytes());
            }
            EntryBody::CredentialRevocation { credential, .. } => {
                self.revoked.insert(*credential.bytes());
            }
            EntryBody::Ballot(b) => self.observe_ballot(index, b.credential.bytes()),
            EntryBody::Close { .. } => self.close = Some(index),
            _ => {}
        }
    }

    /// Observes the ballot entry `index` by `credential` (what [`CountingRule::observe`] does
    /// with a ballot, for a reader that did not decode it in full).
    pub fn observe_ballot(&mut self, index: u64, credential: &[u8; 32]) {
        if self.close.is_none() {
            self.last.insert(*credential, index);
        }
    }

    /// The close's index, once observed.
    pub fn close(&self) -> Option<u64> {
        self.close
    }

    /// Whether the `ballot` entry at `index` by `credential` counts.
    pub fn counts(&self, index: u64, credential: &[u8; 32]) -> bool {
        self.close.is_none_or(|c| index < c)
            && self.enrolled.contains(credential)
            && !self.revoked.contains(credential)
            && self.last.get(credential) == Some(&index)
    }

    /// How many ballots count.
    pub fn counted(&self) -> usize {
        self.last
            .iter()
            .filter(|(c, i)| self.counts(**i, c))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ballot::Ballot;
    use crate::geography::WilayatId;
    use crate::keys::PublicKeyHex;
    use crate::manifest::{Candidate, Contest, Names, TallyMethod};

    fn ballot(c: u8) -> EntryBody {
        let contest = Contest {
            id: "x".into(),
            wilayat: WilayatId("w".into()),
            seats: 1,
            votes_per_voter: 1,
            tally: TallyMethod::Homomorphic,
            candidates: vec![Candidate {
                id: "x-1".into(),
                name: Names {
                    ar: "أ".into(),
                    en: "A".into(),
                },
                ballot_order: 1,
            }],
        };
        let key = sawt_crypto::SecretKey::generate().public_key().prepare();
        let (b, _) = Ballot::encrypt_with_rng(
            [0; 32],
            &contest,
            &key,
            &PublicKeyHex::from_bytes([c; 32]),
            &[],
            &mut sawt_crypto::rng::os_rng(),
        )
        .unwrap();
        EntryBody::Ballot(b)
    }

    fn enrol(c: u8) -> EntryBody {
        EntryBody::CredentialEnrolment {
            credential: PublicKeyHex::from_bytes([c; 32]),
            wilayat: WilayatId("w".into()),
        }
    }

    #[test]
    fn the_last_ballot_of_an_enrolled_unrevoked_credential_before_the_close_counts() {
        let mut r = CountingRule::new();
        let record = vec![
            enrol(1),
            enrol(2),
            enrol(3),
            ballot(1), // 3: superseded by 6
            ballot(2), // 4: its credential is revoked at 7
            ballot(9), // 5: never enrolled
            ballot(1), // 6: counts
            EntryBody::CredentialRevocation {
                credential: PublicKeyHex::from_bytes([2; 32]),
                reason: "lost".into(),
            },
            ballot(3), // 8: counts
            EntryBody::Close { ballots_until: 9 },
            ballot(3), // 10: after the close
        ];
        for (i, e) in record.iter().enumerate() {
            r.observe(i as u64, e);
        }
        let counted: Vec<usize> = record
            .iter()
            .enumerate()
            .filter_map(|(i, e)| match e {
                EntryBody::Ballot(b) if r.counts(i as u64, b.credential.bytes()) => Some(i),
                _ => None,
            })
            .collect();
        assert_eq!(counted, vec![6, 8]);
        assert_eq!(r.counted(), 2);
        assert_eq!(r.close(), Some(9));
    }
}
