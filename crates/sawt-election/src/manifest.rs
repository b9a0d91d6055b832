//! The election manifest (`protocol-spec/election.md` §3): everything that defines one
//! election, published as the board's first entry. Its hash — SHA-256 of
//! `"sawt/v1/manifest\n" ‖ canonical JSON` — is the election identifier that every proof
//! context, signature and tree head binds.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::canonical::{self, CanonicalError};
use crate::geography::{Geography, GovernorateId, WilayatId};
use crate::keys::PublicKeyHex;

/// The manifest format identifier.
pub const MANIFEST_FORMAT: &str = "sawt/v1/manifest";

/// A name in Arabic and English.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Names {
    /// Arabic.
    pub ar: String,
    /// English.
    pub en: String,
}

/// Which council the election fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ElectionKind {
    /// Majlis al-Shura: 1 or 2 members per wilayat.
    Shura,
    /// Municipal councils: members per wilayat.
    Municipal,
}

/// How a contest is tallied.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TallyMethod {
    /// One ciphertext per candidate with 0/1 proofs and a range proof on the total; summed.
    Homomorphic,
    /// One vector ciphertext of width `votes_per_voter`; mixed, then decrypted.
    Mixnet,
}

/// A half-open interval of time `[start_ms, end_ms)` in milliseconds since the Unix epoch
/// (UTC).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// First instant inside the window.
    pub start_ms: u64,
    /// First instant after it.
    pub end_ms: u64,
}

impl Window {
    /// Whether `t` is inside.
    pub fn contains(&self, t_ms: u64) -> bool {
        self.start_ms <= t_ms && t_ms < self.end_ms
    }
}

/// The phases' windows, in the order they happen.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Windows {
    /// Voter registration and transfer.
    pub registration: Window,
    /// Candidacy applications.
    pub candidacy: Window,
    /// The trustees' key generation.
    pub key_generation: Window,
    /// Campaigning (ends before the silence period).
    pub campaign: Window,
    /// Voting from abroad.
    pub voting_abroad: Window,
    /// Voting at home.
    pub voting_home: Window,
}

impl Windows {
    /// Applies a `window-extension` posted at `now_ms` (`protocol-spec/election.md` §5.6.1):
    /// the named window must not have ended yet (X2), its new end must be later than the
    /// current one (X3) and, except for the last window, no later than the next window's
    /// start (X4); the reason must be given in Arabic and English (X5). Refused, it changes
    /// nothing.
    pub fn extend(
        &mut self,
        ext: &crate::entry::WindowExtension,
        now_ms: u64,
    ) -> Result<(), String> {
        self.extend_checked(ext, Some(now_ms))
    }

    /// Applies an extension already accepted by the board, as a replay of the log does: every
    /// check but X2, which depends on the board's clock when it was posted.
    pub fn replay(&mut self, ext: &crate::entry::WindowExtension) -> Result<(), String> {
        self.extend_checked(ext, None)
    }

    fn extend_checked(
        &mut self,
        ext: &crate::entry::WindowExtension,
        now_ms: Option<u64>,
    ) -> Result<(), String> {
        let order = self.in_order();
        let i = order
            .iter()
            .position(|(name, _)| *name == ext.window)
            .ok_or_else(|| format!("no window is named {:?}", ext.window))?;
        let current = *order[i].1;
        if now_ms.is_some_and(|now| now >= current.end_ms) {
            return Err(format!(
                "window {} has ended; it cannot be reopened",
                ext.window
            ));
        }
        if ext.new_end_ms <= current.end_ms {
            return Err(format!(
                "an extension of {} must end later than it does",
                ext.window
            ));
        }
        if let Some((next, w)) = order.get(i + 1)
            && ext.new_end_ms > w.start_ms
        {
            return Err(format!(
                "{} cannot run into {next}, which starts at {}",
                ext.window, w.start_ms
            ));
        }
        if ext.reason.ar.trim().is_empty() || ext.reason.en.trim().is_empty() {
            return Err("an extension gives its reason in Arabic and English".into());
        }
        let w = match i {
            0 => &mut self.registration,
            1 => &mut self.candidacy,
            2 => &mut self.key_generation,
            3 => &mut self.campaign,
            4 => &mut self.voting_abroad,
            _ => &mut self.voting_home,
        };
        w.end_ms = ext.new_end_ms;
        Ok(())
    }

    /// The windows in phase order, with their names.
    pub fn in_order(&self) -> [(&'static str, &Window); 6] {
        [
            ("registration", &self.registration),
            ("candidacy", &self.candidacy),
            ("key_generation", &self.key_generation),
            ("campaign", &self.campaign),
            ("voting_abroad", &self.voting_abroad),
            ("voting_home", &self.voting_home),
        ]
    }
}

/// A candidate on a contest's ballot.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Candidate {
    /// Identifier, unique in the election.
    pub id: String,
    /// Name.
    pub name: Names,
    /// Position on the ballot, `1..=n` within the contest.
    pub ballot_order: u32,
}

/// One contest: the seats of one wilayat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contest {
    /// Identifier, unique in the election.
    pub id: String,
    /// The wilayat whose registered voters vote in it.
    pub wilayat: WilayatId,
    /// Seats to fill.
    pub seats: u32,
    /// How many candidates a voter may choose (`1..=seats`).
    pub votes_per_voter: u32,
    /// How it is tallied.
    pub tally: TallyMethod,
    /// The candidates, in ballot order.
    pub candidates: Vec<Candidate>,
}

/// A party that holds a key: its index, name and ed25519 public key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyHolder {
    /// Index, `1..=n` in its list.
    pub index: u32,
    /// Who it is (an organisation or an office).
    pub name: Names,
    /// Its ed25519 key for signing its entries (or cosignatures).
    pub key: PublicKeyHex,
}

/// The trustees and the threshold of the election key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trustees {
    /// Trustees needed to decrypt.
    pub threshold: u32,
    /// The trustees, indices `1..=n`.
    pub members: Vec<KeyHolder>,
}

/// The witnesses of the board and the quorum of cosignatures a head needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Witnesses {
    /// Cosignatures needed.
    pub quorum: u32,
    /// The witnesses, indices `1..=n`.
    pub members: Vec<KeyHolder>,
}

/// The offices whose keys sign the election's own entries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authorities {
    /// Posts the manifest, phase changes, window extensions, the close and the results.
    pub election_authority: PublicKeyHex,
    /// Enrols and revokes credentials; posts roll counts.
    pub registrar: PublicKeyHex,
    /// Signs the board's tree heads.
    pub board_operator: PublicKeyHex,
}

/// Everything that defines one election.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`MANIFEST_FORMAT`].
    pub format: String,
    /// A human-readable identifier, e.g. `"shura-11"`.
    pub id: String,
    /// Which council.
    pub kind: ElectionKind,
    /// The council's term, e.g. 11.
    pub term: u32,
    /// The election's name.
    pub name: Names,
    /// The IANA time zone the windows are announced in (`"Asia/Muscat"`).
    pub time_zone: String,
    /// Its offset from UTC in minutes (Oman: +240, no daylight saving).
    pub utc_offset_minutes: i32,
    /// The phases' windows.
    pub windows: Windows,
    /// Governorates and wilayats.
    pub geography: Geography,
    /// One contest per wilayat.
    pub contests: Vec<Contest>,
    /// The trustees.
    pub trustees: Trustees,
    /// The mixers, in cascade order.
    pub mixers: Vec<KeyHolder>,
    /// The board's witnesses.
    pub witnesses: Witnesses,
    /// The offices' keys.
    pub authorities: Authorities,
}

/// A manifest that breaks a rule; every problem is listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid manifest: {}", .0.join("; "))]
pub struct ManifestError(pub Vec<String>);

impl Manifest {
    /// The canonical bytes (RFC 8785).
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, CanonicalError> {
        canonical::encode(self)
    }

    /// Parses canonical bytes (no other encoding, no unknown field) and validates.
    pub fn from_canonical_bytes(bytes: &[u8]) -> Result<Self, ManifestError> {
        let m: Manifest =
            canonical::decode(bytes).map_err(|e| ManifestError(vec![e.to_string()]))?;
        m.validate()?;
        Ok(m)
    }

    /// The election identifier: `SHA-256("sawt/v1/manifest\n" ‖ canonical bytes)`.
    pub fn hash(&self) -> Result<[u8; 32], CanonicalError> {
        let mut h = Sha256::new();
        h.update(b"sawt/v1/manifest\n");
        h.update(self.canonical_bytes()?);
        Ok(h.finalize().into())
    }

    /// The contest of a wilayat.
    pub fn contest_of(&self, wilayat: &WilayatId) -> Option<&Contest> {
        self.contests.iter().find(|c| &c.wilayat == wilayat)
    }

    /// The contest with this identifier.
    pub fn contest(&self, id: &str) -> Option<&Contest> {
        self.contests.iter().find(|c| c.id == id)
    }

    /// Checks every rule of `protocol-spec/election.md` §3.2 and lists every violation.
    pub fn validate(&self) -> Result<(), ManifestError> {
        let mut e = Vec::new();
        if self.format != MANIFEST_FORMAT {
            e.push(format!("format must be {MANIFEST_FORMAT:?}"));
        }
        if self.id.is_empty() || self.name.ar.is_empty() || self.name.en.is_empty() {
            e.push("the election needs an id and names in Arabic and English".into());
        }
        if !(-14 * 60..=14 * 60).contains(&self.utc_offset_minutes) {
            e.push("utc_offset_minutes out of range".into());
        }
        let mut previous_end = 0;
        for (name, w) in self.windows.in_order() {
            if w.start_ms >= w.end_ms {
                e.push(format!("window {name} is empty or reversed"));
            }
            if w.start_ms < previous_end {
                e.push(format!(
                    "window {name} starts before the previous window ends"
                ));
            }
            previous_end = w.end_ms;
        }
        e.extend(self.geography.problems());
        let mut contest_ids = BTreeSet::new();
        let mut candidate_ids = BTreeSet::new();
        let mut wilayats_with_contest = BTreeSet::new();
        for c in &self.contests {
            if !contest_ids.insert(&c.id) {
                e.push(format!("contest id {} repeated", c.id));
            }
            if self.geography.wilayat(&c.wilayat).is_none() {
                e.push(format!(
                    "contest {} names unknown wilayat {}",
                    c.id, c.wilayat.0
                ));
            }
            if !wilayats_with_contest.insert(&c.wilayat) {
                e.push(format!("wilayat {} has more than one contest", c.wilayat.0));
            }
            if c.seats == 0 || c.votes_per_voter == 0 || c.votes_per_voter > c.seats {
                e.push(format!(
                    "contest {}: need 1 ≤ votes_per_voter ≤ seats",
                    c.id
                ));
            }
            // An empty list is published later, by a candidate-list entry (§3.4).
            if c.id.is_empty() {
                e.push(format!("contest {:?}: needs an id", c.id));
            }
            if c.tally == TallyMethod::Mixnet
                && c.candidates.len() > sawt_crypto::mixnet::MAX_CANDIDATES as usize
            {
                e.push(format!(
                    "contest {}: more candidates than a mixnet contest allows",
                    c.id
                ));
            }
            if c.votes_per_voter as u64 > sawt_crypto::proofs::range::MAX_RANGE {
                e.push(format!(
                    "contest {}: votes_per_voter above the range proof's bound",
                    c.id
                ));
            }
            for cand in &c.candidates {
                if cand.id.is_empty() || !candidate_ids.insert(&cand.id) {
                    e.push(format!("candidate id {:?} empty or repeated", cand.id));
                }
            }
            if c.candidates
                .iter()
                .enumerate()
                .any(|(i, cand)| cand.ballot_order != i as u32 + 1)
            {
                e.push(format!(
                    "contest {}: candidates must be listed in ballot order 1..=n",
                    c.id
                ));
            }
        }
        for w in &self.geography.wilayats {
            if !wilayats_with_contest.contains(&w.id) {
                e.push(format!("wilayat {} has no contest", w.id.0));
            }
        }
        let t = &self.trustees;
        if t.threshold == 0 || t.threshold as usize > t.members.len() || t.members.len() > 64 {
            e.push("trustees: need 1 ≤ threshold ≤ trustees ≤ 64".into());
        }
        check_holders("trustee", &t.members, &mut e);
        check_holders("mixer", &self.mixers, &mut e);
        if self.contests.iter().any(|c| c.tally == TallyMethod::Mixnet) && self.mixers.is_empty() {
            e.push("mixnet contests need at least one mixer".into());
        }
        let w = &self.witnesses;
        if w.quorum == 0 || w.quorum as usize > w.members.len() {
            e.push("witnesses: need 1 ≤ quorum ≤ witnesses".into());
        }
        check_holders("witness", &w.members, &mut e);
        // Every key has one role: a key that is two parties' would let one act as the other.
        let mut all_keys: Vec<&PublicKeyHex> = vec![
            &self.authorities.election_authority,
            &self.authorities.registrar,
            &self.authorities.board_operator,
        ];
        all_keys.extend(t.members.iter().map(|h| &h.key));
        all_keys.extend(self.mixers.iter().map(|h| &h.key));
        all_keys.extend(w.members.iter().map(|h| &h.key));
        let distinct: BTreeSet<&PublicKeyHex> = all_keys.iter().copied().collect();
        if distinct.len() != all_keys.len() {
            e.push("every authority, trustee, mixer and witness needs a key of its own".into());
        }
        for (name, k) in [
            ("election authority", &self.authorities.election_authority),
            ("registrar", &self.authorities.registrar),
            ("board operator", &self.authorities.board_operator),
        ] {
            if k.verifying_key().is_err() {
                e.push(format!("{name}: not a valid ed25519 public key"));
            }
        }
        if let Err(err) = self.canonical_bytes() {
            e.push(err.to_string());
        }
        if e.is_empty() {
            Ok(())
        } else {
            Err(ManifestError(e))
        }
    }
}

fn check_holders(what: &str, holders: &[KeyHolder], e: &mut Vec<String>) {
    let mut keys = BTreeSet::new();
    for (i, h) in holders.iter().enumerate() {
        if h.index != i as u32 + 1 {
            e.push(format!("{what}s must be numbered 1..=n in order"));
            break;
        }
    }
    for h in holders {
        if h.key.verifying_key().is_err() {
            e.push(format!(
                "{what} {}: not a valid ed25519 public key",
                h.index
            ));
        }
        if !keys.insert(&h.key) {
            e.push(format!("{what} {}: key repeated", h.index));
        }
    }
}

/// The governorate of a wilayat, for reports.
pub fn governorate_of<'a>(m: &'a Manifest, w: &WilayatId) -> Option<&'a GovernorateId> {
    m.geography.wilayat(w).map(|w| &w.governorate)
}
