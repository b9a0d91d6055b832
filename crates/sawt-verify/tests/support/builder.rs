//! Builds the test records of `protocol-spec/vectors/records/` (verifier.md §9): one small
//! honest election with both tally methods, and the same election broken in one named way
//! each. Everything is deterministic: keys from fixed seeds, every random draw from the
//! stream `SHA-512("sawt/v1/test-records" ‖ name ‖ u64le(i))`, fixed timestamps. Every entry
//! a change touches is signed again by its author, and every head signed again and cosigned
//! by a quorum, so that a record breaks exactly the check it names.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::path::Path;

use ed25519_dalek::SigningKey;
use rand_core::{TryCryptoRng, TryRng};
use sawt_board::head::{Cosignature, TreeHead, WitnessedHead};
use sawt_board::proof::ConsistencyProof;
use sawt_board::tree::{MemoryTree, root_at};
use sawt_board::witness::Witness;
use sawt_crypto::dkg::{KeyGenParams, TrusteeSetup};
use sawt_crypto::list::CiphertextList;
use sawt_crypto::shuffle::shuffle_with_rng;
use sawt_crypto::threshold::TrusteeKeyShare;
use sawt_crypto::{Ciphertext, Context, EncryptionKey};
use sawt_election::ballot::{Ballot, BallotContent};
use sawt_election::entry::{Attachment, ENTRY_FORMAT, Entry, EntryBody, TallySum};
use sawt_election::keys::{Hex32, PublicKeyHex};
use sawt_election::manifest::{
    Authorities, Candidate, Contest, KeyHolder, Manifest, Names, TallyMethod, Trustees, Witnesses,
};
use sawt_election::results::{allocate, draw_order, draw_seed, elected};
use sha2::{Digest, Sha256, Sha512};

/// What a record breaks (verifier.md §9.3), or `None` for the honest record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Break {
    None,
    FlippedProofBit,
    DuplicatedCredential,
    WrongTotal,
    SubstitutedMixOutput,
    ForkedHead,
    EnrolmentAfterOpening,
    ShortQuorum,
    SwappedLines,
    RepeatedLine,
    BadSignature,
    EntryOtherElection,
    TallyByTrustee,
    BallotAfterClose,
    MissingAttachment,
    WrongJointKey,
    RevocationOfUnknown,
    TooManyCredentials,
    BallotAfterRevocation,
    AuditOpeningMismatch,
    CloseWrongIndex,
    WrongTallySums,
    MissingTally,
    BadDecryptionShare,
    WrongElected,
    WrongDrawSeed,
    MissingResult,
    SecondCandidateList,
    EnrolmentBeforeRollCount,
    DroppedAfterReceipt,
    MissingAnnouncement,
    TooFewQualified,
    RollCountZeroRoot,
    MissingRollCount,
    HeadOtherElection,
    ShortRecord,
    ManifestNotFirst,
    WrongElection,
    ManifestRuleBroken,
    ManifestByRegistrar,
    NonCanonicalEntry,
    TooFewShares,
    MixTooFewShares,
    ResultTotalsTooLong,
    TallyForMixnet,
    StageBadFormat,
    MixShareOfInputList,
    SupersededWrongWidth,
    AuditedBallotCast,
    ExtensionIntoNextWindow,
    BadSuppliedHead,
    ForkEvidence,
}

/// Every record: its directory name, what it breaks, the checks that fail and those blocked.
pub(crate) const RECORDS: &[(&str, Break, &[&str], &[&str])] = &[
    ("ok-both-tallies", Break::None, &[], &[]),
    ("flipped-proof-bit", Break::FlippedProofBit, &["V6.3"], &[]),
    (
        "duplicated-credential",
        Break::DuplicatedCredential,
        &["V5.3"],
        &[],
    ),
    ("wrong-total", Break::WrongTotal, &["V11.2"], &[]),
    (
        "substituted-mix-output",
        Break::SubstitutedMixOutput,
        &["V9.2"],
        &["V10.4", "V11.5"],
    ),
    ("forked-head", Break::ForkedHead, &["V1.7"], &[]),
    (
        "enrolment-after-opening",
        Break::EnrolmentAfterOpening,
        &["V3.6"],
        &[],
    ),
    ("short-quorum", Break::ShortQuorum, &["V1.3"], &[]),
    ("swapped-lines", Break::SwappedLines, &["V1.4"], &[]),
    ("repeated-line", Break::RepeatedLine, &["V1.5"], &[]),
    ("bad-signature", Break::BadSignature, &["V3.2"], &[]),
    (
        "entry-other-election",
        Break::EntryOtherElection,
        &["V3.3"],
        &[],
    ),
    ("tally-by-trustee", Break::TallyByTrustee, &["V3.4"], &[]),
    (
        "ballot-after-close",
        Break::BallotAfterClose,
        &["V3.5"],
        &[],
    ),
    (
        "missing-attachment",
        Break::MissingAttachment,
        &["V3.8"],
        &["V10.3"],
    ),
    ("wrong-joint-key", Break::WrongJointKey, &["V4.5"], &[]),
    (
        "revocation-of-unknown",
        Break::RevocationOfUnknown,
        &["V5.5"],
        &[],
    ),
    (
        "too-many-credentials",
        Break::TooManyCredentials,
        &["V5.6"],
        &[],
    ),
    (
        "ballot-after-revocation",
        Break::BallotAfterRevocation,
        &["V6.1"],
        &[],
    ),
    (
        "audit-opening-mismatch",
        Break::AuditOpeningMismatch,
        &["V6.4"],
        &[],
    ),
    ("close-wrong-index", Break::CloseWrongIndex, &["V7.1"], &[]),
    (
        "wrong-tally-sums",
        Break::WrongTallySums,
        &["V8.2"],
        &["V10.2", "V11.5"],
    ),
    (
        "missing-tally",
        Break::MissingTally,
        &["V8.3"],
        &["V10.2", "V11.5"],
    ),
    (
        "bad-decryption-share",
        Break::BadDecryptionShare,
        &["V10.1"],
        &[],
    ),
    ("wrong-elected", Break::WrongElected, &["V11.3"], &[]),
    ("wrong-draw-seed", Break::WrongDrawSeed, &["V11.4"], &[]),
    ("missing-result", Break::MissingResult, &["V11.5"], &[]),
    (
        "second-candidate-list",
        Break::SecondCandidateList,
        &["V2.5"],
        &[],
    ),
    (
        "enrolment-before-roll-count",
        Break::EnrolmentBeforeRollCount,
        &["V5.4"],
        &[],
    ),
    (
        "dropped-after-receipt",
        Break::DroppedAfterReceipt,
        &["V1.9"],
        &[],
    ),
    (
        "missing-announcement",
        Break::MissingAnnouncement,
        &["V4.1"],
        &["V4.4", "V4.5", "V8.3", "V11.5", "V12.1"],
    ),
    (
        "roll-count-zero-root",
        Break::RollCountZeroRoot,
        &["V5.1"],
        &[],
    ),
    (
        "missing-roll-count",
        Break::MissingRollCount,
        &["V5.2"],
        &[],
    ),
    (
        "too-few-qualified",
        Break::TooFewQualified,
        &["V4.4"],
        &["V4.5", "V8.3", "V11.5", "V12.1"],
    ),
    (
        "head-other-election",
        Break::HeadOtherElection,
        &["V1.2"],
        &[],
    ),
    (
        "short-record",
        Break::ShortRecord,
        &["V1.1"],
        &["V1.4", "V2.1", "V3.1", "V6.3", "V11.5"],
    ),
    (
        "manifest-not-first",
        Break::ManifestNotFirst,
        &["V2.1"],
        &["V2.2", "V1.4", "V3.1", "V11.5"],
    ),
    (
        "wrong-election",
        Break::WrongElection,
        &["V2.2"],
        &["V2.3", "V1.2", "V3.1", "V11.5"],
    ),
    (
        "manifest-rule-broken",
        Break::ManifestRuleBroken,
        &["V2.3"],
        &[],
    ),
    (
        "manifest-by-registrar",
        Break::ManifestByRegistrar,
        &["V2.4"],
        &[],
    ),
    (
        "non-canonical-entry",
        Break::NonCanonicalEntry,
        &["V3.1"],
        &[],
    ),
    (
        "too-few-shares",
        Break::TooFewShares,
        &["V10.2"],
        &["V11.5"],
    ),
    (
        "mix-too-few-shares",
        Break::MixTooFewShares,
        &["V10.4"],
        &["V11.5"],
    ),
    (
        "result-totals-too-long",
        Break::ResultTotalsTooLong,
        &["V11.1"],
        &["V11.2", "V11.3", "V12.2", "V11.5"],
    ),
    ("tally-for-mixnet", Break::TallyForMixnet, &["V8.1"], &[]),
    (
        "stage-bad-format",
        Break::StageBadFormat,
        &["V9.1"],
        &["V9.2", "V10.4", "V11.5"],
    ),
    (
        "mix-share-of-input-list",
        Break::MixShareOfInputList,
        &["V10.3"],
        &[],
    ),
    (
        "superseded-wrong-width",
        Break::SupersededWrongWidth,
        &["V6.2"],
        &[],
    ),
    (
        "audited-ballot-cast",
        Break::AuditedBallotCast,
        &["V6.5"],
        &[],
    ),
    (
        "extension-into-next-window",
        Break::ExtensionIntoNextWindow,
        &["V3.7"],
        &[],
    ),
    ("bad-supplied-head", Break::BadSuppliedHead, &["V1.6"], &[]),
    ("fork-evidence", Break::ForkEvidence, &["V1.8"], &[]),
];

/// The deterministic random stream of the test records.
struct Stream {
    seed: Vec<u8>,
    counter: u64,
}

impl Stream {
    fn new(label: &str) -> Self {
        Stream {
            seed: label.as_bytes().to_vec(),
            counter: 0,
        }
    }
    fn block(&mut self) -> [u8; 64] {
        let mut h = Sha512::new();
        h.update(b"sawt/v1/test-records");
        h.update(&self.seed);
        h.update(self.counter.to_le_bytes());
        self.counter += 1;
        h.finalize().into()
    }
}

impl TryRng for Stream {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(u32::from_le_bytes(self.block()[..4].try_into().unwrap()))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(u64::from_le_bytes(self.block()[..8].try_into().unwrap()))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(64) {
            let b = self.block();
            chunk.copy_from_slice(&b[..chunk.len()]);
        }
        Ok(())
    }
}

impl TryCryptoRng for Stream {}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn holder(index: u32, seed: u8) -> KeyHolder {
    KeyHolder {
        index,
        name: Names {
            ar: format!("الجهة {index}"),
            en: format!("Holder {index}"),
        },
        key: PublicKeyHex::from_key(&key(seed).verifying_key()),
    }
}

fn names(en: &str) -> Names {
    Names {
        ar: format!("المرشح {en}"),
        en: en.into(),
    }
}

const AUTHORITY: u8 = 1;
const REGISTRAR: u8 = 2;
const BOARD: u8 = 3;
const TRUSTEES: u8 = 100;
const MIXERS: u8 = 120;
const WITNESSES: u8 = 140;
/// Voters per wilayat.
const VOTERS: usize = 4;

/// The voters of wilayat `i`: the third has none (its contest is empty: trivial sums, a
/// result of zeros, every candidate tied and drawn by lot).
fn voters(i: usize) -> usize {
    if i == 2 { 0 } else { VOTERS }
}

/// The test election: three wilayats of the sample table; the first and third homomorphic
/// (the third without voters), the second mix-net; trustees 3-of-5, 2 mixers, 3 witnesses (quorum 2).
fn manifest() -> Manifest {
    let authorities = Authorities {
        election_authority: PublicKeyHex::from_key(&key(AUTHORITY).verifying_key()),
        registrar: PublicKeyHex::from_key(&key(REGISTRAR).verifying_key()),
        board_operator: PublicKeyHex::from_key(&key(BOARD).verifying_key()),
    };
    let mut m = sawt_registry::sample::manifest(authorities, 3);
    m.id = "shura-11-test-records".into();
    m.contests[1].tally = TallyMethod::Mixnet;
    m.trustees = Trustees {
        threshold: 3,
        members: (1..=5).map(|i| holder(i, TRUSTEES + i as u8)).collect(),
    };
    m.mixers = (1..=2).map(|i| holder(i, MIXERS + i as u8)).collect();
    m.witnesses = Witnesses {
        quorum: 2,
        members: (1..=3).map(|i| holder(i, WITNESSES + i as u8)).collect(),
    };
    m
}

/// A record being built.
struct Record {
    election: [u8; 32],
    manifest: Manifest,
    entries: Vec<Vec<u8>>,
    attachments: BTreeMap<String, (String, Vec<u8>)>,
    rng: Stream,
}

impl Record {
    fn post(&mut self, author: &SigningKey, body: EntryBody, ts: u64) -> u64 {
        self.post_for(self.election, author, body, ts)
    }

    fn post_for(
        &mut self,
        election: [u8; 32],
        author: &SigningKey,
        body: EntryBody,
        ts: u64,
    ) -> u64 {
        let e = Entry {
            format: ENTRY_FORMAT.into(),
            election: Hex32(election),
            author: PublicKeyHex::from_key(&author.verifying_key()),
            timestamp_ms: ts,
            body,
        }
        .sign(author)
        .unwrap();
        self.entries.push(e.canonical_bytes().unwrap());
        self.entries.len() as u64 - 1
    }

    fn attach(&mut self, format: &str, bytes: Vec<u8>) -> Attachment {
        let sha: [u8; 32] = Sha256::digest(&bytes).into();
        let a = Attachment {
            format: format.into(),
            sha256: Hex32(sha),
            length: bytes.len() as u64,
        };
        self.attachments
            .insert(hex::encode(sha), (format.to_owned(), bytes));
        a
    }
}

fn voter_key(wilayat: usize, k: usize) -> SigningKey {
    let seed: [u8; 32] = Sha256::digest(format!("sawt test record voter {wilayat} {k}")).into();
    SigningKey::from_bytes(&seed)
}

/// Each voter's choice: a tie for the last seat in both contests, so that both draw by lot.
fn choice(c: &Contest, k: usize) -> Vec<String> {
    let ids: Vec<&String> = c.candidates.iter().map(|x| &x.id).collect();
    let pick = if c.seats == 1 {
        [0, 1, 0, 1][k % 4]
    } else {
        [0, 0, 1, 2][k % 4]
    };
    vec![ids[pick].clone()]
}

/// Builds the record `name` broken by `b` into `dir` (created); its election.
pub(crate) fn build(name: &str, b: Break, dir: &Path) -> [u8; 32] {
    let mut manifest = manifest();
    if b == Break::ManifestRuleBroken {
        // More votes per voter than seats (M14).
        manifest.contests[0].votes_per_voter = manifest.contests[0].seats + 1;
    }
    let election = manifest.hash().unwrap();
    let w = manifest.windows.clone();
    let mut r = Record {
        election,
        manifest: manifest.clone(),
        entries: Vec::new(),
        attachments: BTreeMap::new(),
        rng: Stream::new(name),
    };
    let (authority, registrar, board) = (key(AUTHORITY), key(REGISTRAR), key(BOARD));
    let manifest_author = if b == Break::ManifestByRegistrar {
        key(REGISTRAR)
    } else {
        key(AUTHORITY)
    };
    r.post(
        &manifest_author,
        EntryBody::Manifest(Box::new(manifest.clone())),
        w.registration.start_ms,
    );
    if b == Break::ExtensionIntoNextWindow {
        // Registration extended past the start of the candidacy window (X4).
        r.post(
            &authority,
            EntryBody::WindowExtension(sawt_election::entry::WindowExtension {
                window: "registration".into(),
                new_end_ms: w.candidacy.start_ms + 1,
                reason: names("extension"),
            }),
            w.registration.start_ms,
        );
    }

    // The registry: a roll count per wilayat, its voters committed to by the tree over their
    // credentials (one more registered voter than enrolled: a voter who never enrols).
    let t_reg = w.registration.start_ms + 1;
    let wilayats: Vec<_> = manifest
        .geography
        .wilayats
        .iter()
        .map(|x| x.id.clone())
        .collect();
    let enrol_before_count = b == Break::EnrolmentBeforeRollCount;
    for (i, wid) in wilayats.iter().enumerate() {
        if (enrol_before_count && i == 0) || (b == Break::MissingRollCount && i == 2) {
            continue;
        }
        let mut tree = MemoryTree::new();
        for k in 0..voters(i) {
            tree.push(voter_key(i, k).verifying_key().as_bytes());
        }
        let registered = if b == Break::TooManyCredentials && i == 0 {
            VOTERS as u64 - 1
        } else if voters(i) == 0 {
            0
        } else {
            VOTERS as u64 + 1
        };
        let mut root = tree.root();
        if b == Break::RollCountZeroRoot && registered == 0 {
            root = [7; 32];
        }
        r.post(
            &registrar,
            EntryBody::RollCount {
                wilayat: wid.clone(),
                registered,
                root: Hex32(root),
            },
            t_reg,
        );
    }
    // Candidate lists for contests without candidates.
    let t_lists = w.candidacy.end_ms + 1;
    for c in manifest.contests.clone() {
        if !c.candidates.is_empty() {
            if b == Break::SecondCandidateList {
                // A list for a contest whose candidates are in the manifest (L1).
                r.post(
                    &authority,
                    EntryBody::CandidateList {
                        contest: c.id.clone(),
                        candidates: c.candidates.clone(),
                    },
                    t_lists,
                );
            }
            continue;
        }
        let candidates: Vec<Candidate> = (1..=4)
            .map(|k| Candidate {
                id: format!("{}-{k}", c.id),
                name: names(&format!("{} {k}", c.id)),
                ballot_order: k,
            })
            .collect();
        r.post(
            &authority,
            EntryBody::CandidateList {
                contest: c.id.clone(),
                candidates: candidates.clone(),
            },
            t_lists,
        );
        if b == Break::SecondCandidateList {
            r.post(
                &authority,
                EntryBody::CandidateList {
                    contest: c.id.clone(),
                    candidates,
                },
                t_lists,
            );
        }
        manifest
            .contests
            .iter_mut()
            .find(|x| x.id == c.id)
            .unwrap()
            .candidates = (1..=4)
            .map(|k| Candidate {
                id: format!("{}-{k}", c.id),
                name: names(&format!("{} {k}", c.id)),
                ballot_order: k,
            })
            .collect();
    }

    // Key generation: five trustees, no complaint.
    let t_kg = w.key_generation.start_ms + 1;
    let params = KeyGenParams::new(3, 5).unwrap();
    let ctx = Context::new(&election);
    let mut setups = Vec::new();
    let mut anns = Vec::new();
    for i in 1..=5u32 {
        let (s, a) = TrusteeSetup::new_with_rng(params, &ctx, i, &mut r.rng).unwrap();
        setups.push(s);
        anns.push(a);
    }
    for a in &anns {
        if b == Break::MissingAnnouncement && a.trustee == 5 {
            continue;
        }
        r.post(
            &key(TRUSTEES + a.trustee as u8),
            EntryBody::KeyGenAnnouncement(a.clone()),
            t_kg,
        );
    }
    if matches!(b, Break::MissingAnnouncement | Break::TooFewQualified) {
        // Key generation fails: no joint key and no ballot follow, the record ends at the
        // close. Too few qualified: dealers 1–3 post a coefficient proof of another dealer.
        if b == Break::TooFewQualified {
            let mut dealings = Vec::new();
            for s in setups {
                dealings.push(s.deal_with_rng(&ctx, &anns, &mut r.rng).unwrap().1);
            }
            let proofs: Vec<_> = dealings.iter().map(|d| d.proof.clone()).collect();
            for (k, d) in dealings.iter_mut().enumerate().take(3) {
                d.proof = proofs[k + 1].clone();
            }
            for d in &dealings {
                r.post(
                    &key(TRUSTEES + d.dealer as u8),
                    EntryBody::KeyGenDealing(d.clone()),
                    t_kg,
                );
            }
        }
        let close = r.entries.len() as u64;
        r.post(
            &authority,
            EntryBody::Close {
                ballots_until: close,
            },
            w.voting_home.end_ms + 1,
        );
        return finish(r, b, name, dir, close, None);
    }
    let mut awaiting = Vec::new();
    let mut dealings = Vec::new();
    for s in setups {
        let (next, d) = s.deal_with_rng(&ctx, &anns, &mut r.rng).unwrap();
        awaiting.push(next);
        dealings.push(d);
    }
    for d in &dealings {
        r.post(
            &key(TRUSTEES + d.dealer as u8),
            EntryBody::KeyGenDealing(d.clone()),
            t_kg,
        );
    }
    let mut shares: Vec<TrusteeKeyShare> = Vec::new();
    let mut outcome = None;
    for a in awaiting {
        let (next, complaints) = a
            .receive_with_rng(&ctx, &anns, &dealings, &mut r.rng)
            .unwrap();
        assert!(complaints.is_empty());
        let (share, o) = next.finish(&ctx, &anns, &dealings, &[]).unwrap();
        shares.push(share);
        outcome = Some(o);
    }
    let outcome = outcome.unwrap();
    let pk = outcome.joint_key;
    let enc: EncryptionKey = pk.prepare();
    let mut posted_key = *pk.element();
    if b == Break::WrongJointKey {
        posted_key = outcome.verification_keys[0];
    }
    r.post(
        &authority,
        EntryBody::JointKey {
            key: posted_key,
            verification_keys: outcome.verification_keys.clone(),
        },
        t_kg + 1,
    );

    // Enrolment: every voter's credential, and one more credential revoked later.
    let t_enrol = w.campaign.start_ms + 1;
    let mut first_enrolment = None;
    for (i, wid) in wilayats.iter().enumerate() {
        for k in 0..voters(i) {
            let cred = PublicKeyHex::from_key(&voter_key(i, k).verifying_key());
            let at = r.post(
                &registrar,
                EntryBody::CredentialEnrolment {
                    credential: cred,
                    wilayat: wid.clone(),
                },
                t_enrol,
            );
            first_enrolment.get_or_insert(at);
        }
    }
    if enrol_before_count {
        let mut tree = MemoryTree::new();
        for k in 0..VOTERS {
            tree.push(voter_key(0, k).verifying_key().as_bytes());
        }
        r.post(
            &registrar,
            EntryBody::RollCount {
                wilayat: wilayats[0].clone(),
                registered: VOTERS as u64 + 1,
                root: Hex32(tree.root()),
            },
            t_enrol,
        );
    }
    if b == Break::DuplicatedCredential {
        let cred = PublicKeyHex::from_key(&voter_key(1, 0).verifying_key());
        r.post(
            &registrar,
            EntryBody::CredentialEnrolment {
                credential: cred,
                wilayat: wilayats[1].clone(),
            },
            t_enrol + 1,
        );
    }
    if b == Break::EntryOtherElection {
        // An enrolment, of a credential that never votes, naming another election.
        let mut other = election;
        other[0] ^= 1;
        let cred = PublicKeyHex::from_key(&voter_key(0, 6).verifying_key());
        r.post_for(
            other,
            &registrar,
            EntryBody::CredentialEnrolment {
                credential: cred,
                wilayat: wilayats[0].clone(),
            },
            t_enrol,
        );
    }
    if b == Break::BallotAfterClose {
        // A credential that votes only after the close.
        let cred = PublicKeyHex::from_key(&voter_key(0, 6).verifying_key());
        r.post(
            &registrar,
            EntryBody::CredentialEnrolment {
                credential: cred,
                wilayat: wilayats[0].clone(),
            },
            t_enrol,
        );
    }
    if matches!(b, Break::NonCanonicalEntry | Break::BadSignature) {
        // A credential that never votes, enrolled and then revoked by an entry that is either
        // not canonical (a space after its first brace) or whose signature has one
        // hexadecimal digit of `R` changed.
        let cred = PublicKeyHex::from_key(&voter_key(0, 6).verifying_key());
        let enrolment = EntryBody::CredentialEnrolment {
            credential: cred.clone(),
            wilayat: wilayats[0].clone(),
        };
        r.post(&registrar, enrolment, t_enrol);
        let revocation = EntryBody::CredentialRevocation {
            credential: cred,
            reason: "lost device".into(),
        };
        let at = r.post(&registrar, revocation, t_enrol) as usize;
        let e = &mut r.entries[at];
        if b == Break::NonCanonicalEntry {
            e.insert(1, b' ');
        } else {
            let pos = e.len() - 2 - 100;
            e[pos] = if e[pos] == b'0' { b'1' } else { b'0' };
        }
    }
    if b == Break::RevocationOfUnknown {
        let cred = PublicKeyHex::from_key(&voter_key(9, 9).verifying_key());
        r.post(
            &registrar,
            EntryBody::CredentialRevocation {
                credential: cred,
                reason: "unknown".into(),
            },
            t_enrol,
        );
    }

    // Voting: every voter casts; voter 0 of each wilayat first casts another choice (the
    // second counts); voter 1 of the first wilayat audits a ballot first.
    let t_vote = w.voting_home.start_ms + 1;
    let contests: Vec<Contest> = manifest.contests.clone();
    let mut flipped = false;
    for (i, c) in contests.iter().enumerate() {
        for k in 0..voters(i) {
            let sk = voter_key(i, k);
            let cred = PublicKeyHex::from_key(&sk.verifying_key());
            if k == 0 {
                let other = vec![c.candidates[3].id.clone()];
                let mut style = c.clone();
                if b == Break::SupersededWrongWidth && c.tally == TallyMethod::Mixnet {
                    // A superseded mix-net ballot one component too wide, its proof valid.
                    style.votes_per_voter += 1;
                }
                let (ballot, _) =
                    Ballot::encrypt_with_rng(election, &style, &enc, &cred, &other, &mut r.rng)
                        .unwrap();
                r.post(&sk, EntryBody::Ballot(ballot), t_vote);
            }
            if k == 1 && i == 0 {
                let (ballot, mut opening) =
                    Ballot::encrypt_with_rng(election, c, &enc, &cred, &choice(c, k), &mut r.rng)
                        .unwrap();
                if b == Break::AuditOpeningMismatch {
                    opening.nonces[0] += sawt_crypto::Scalar::ONE;
                }
                r.post(
                    &sk,
                    EntryBody::AuditedBallot {
                        ballot: ballot.clone(),
                        opening,
                    },
                    t_vote,
                );
                if b == Break::AuditedBallotCast {
                    // The audited ballot cast as the voter's last: its ciphertexts repeat.
                    r.post(&sk, EntryBody::Ballot(ballot), t_vote);
                    continue;
                }
            }
            let (mut ballot, _) =
                Ballot::encrypt_with_rng(election, c, &enc, &cred, &choice(c, k), &mut r.rng)
                    .unwrap();
            if b == Break::FlippedProofBit
                && !flipped
                && let BallotContent::Homomorphic { selections, .. } = &mut ballot.content
            {
                flip_low_bit(&mut selections[0].proof);
                flipped = true;
            }
            r.post(&sk, EntryBody::Ballot(ballot), t_vote);
        }
    }
    if b == Break::EnrolmentAfterOpening {
        let cred = PublicKeyHex::from_key(&voter_key(0, 7).verifying_key());
        r.post(
            &registrar,
            EntryBody::CredentialEnrolment {
                credential: cred,
                wilayat: wilayats[0].clone(),
            },
            t_vote,
        );
    }
    if b == Break::BallotAfterRevocation {
        // Voter 2 of the second wilayat is revoked, then votes again.
        let sk = voter_key(1, 2);
        let cred = PublicKeyHex::from_key(&sk.verifying_key());
        r.post(
            &registrar,
            EntryBody::CredentialRevocation {
                credential: cred.clone(),
                reason: "lost device".into(),
            },
            t_vote,
        );
        let (ballot, _) = Ballot::encrypt_with_rng(
            election,
            &contests[1],
            &enc,
            &cred,
            &choice(&contests[1], 2),
            &mut r.rng,
        )
        .unwrap();
        r.post(&sk, EntryBody::Ballot(ballot), t_vote);
    }

    let mut receipt = None;
    if b == Break::DroppedAfterReceipt {
        // The first ballot (superseded by its voter's second): a receipt under a head of the
        // log as it stood, then the ballot removed and the log built on without it.
        let pattern: &[u8] = b"\"kind\":\"ballot\"";
        let i = r
            .entries
            .iter()
            .position(|e| e.windows(pattern.len()).any(|w| w == pattern))
            .unwrap();
        let mut tree = MemoryTree::new();
        for e in &r.entries {
            tree.push(e);
        }
        let size = r.entries.len() as u64;
        let head = TreeHead {
            election,
            size,
            root: tree.root(),
            timestamp_ms: w.voting_home.start_ms + 2,
        }
        .sign(&board);
        let e: sawt_election::entry::SignedEntry =
            sawt_election::canonical::decode(&r.entries[i]).unwrap();
        let EntryBody::Ballot(ballot) = &e.entry.body else {
            unreachable!()
        };
        receipt = Some(serde_json::json!({
            "tracking_code": ballot.tracking_code().unwrap(),
            "index": i,
            "leaf_hash": hex::encode(sawt_board::hash::leaf_hash(&r.entries[i])),
            "head": WitnessedHead { signed: head, cosignatures: vec![] },
            "inclusion": sawt_board::proof::InclusionProof::generate(&tree, i as u64, size).unwrap(),
        }));
        r.entries.remove(i);
    }

    // The close.
    let t_close = w.voting_home.end_ms + 1;
    let at = r.entries.len() as u64;
    r.post(
        &authority,
        EntryBody::Close {
            ballots_until: if b == Break::CloseWrongIndex {
                at - 1
            } else {
                at
            },
        },
        t_close,
    );
    let close = at;
    let mut tree = MemoryTree::new();
    for e in &r.entries {
        tree.push(e);
    }
    let close_root = root_at(&tree, close + 1);
    if b == Break::BallotAfterClose {
        let sk = voter_key(0, 6);
        let cred = PublicKeyHex::from_key(&sk.verifying_key());
        let (ballot, _) =
            Ballot::encrypt_with_rng(election, &contests[0], &enc, &cred, &[], &mut r.rng).unwrap();
        r.post(&sk, EntryBody::Ballot(ballot), t_close);
    }

    // Counted ballots: the last of each voter (the revoked voter's does not count).
    let t_tally = t_close + 1;
    let mut counts: BTreeMap<String, (Vec<u64>, u64, u64)> = BTreeMap::new();
    for (i, c) in contests.iter().enumerate() {
        let voters: Vec<usize> = (0..voters(i))
            .filter(|&k| !(b == Break::BallotAfterRevocation && i == 1 && k == 2))
            .collect();
        let mut totals = vec![0u64; c.candidates.len()];
        for &k in &voters {
            for id in choice(c, k) {
                totals[c.candidates.iter().position(|x| x.id == id).unwrap()] += 1;
            }
        }
        let n = voters.len() as u64;
        let sum: u64 = totals.iter().sum();
        let (blank, invalid) = match c.tally {
            TallyMethod::Homomorphic => (n * u64::from(c.votes_per_voter) - sum, 0),
            TallyMethod::Mixnet => (0, 0),
        };
        counts.insert(c.id.clone(), (totals, blank, invalid));
    }
    // The counted ballots' ciphertexts, read back from the record.
    let counted_cts = |r: &Record, contest: &str| -> Vec<Vec<Ciphertext>> {
        let mut last: BTreeMap<[u8; 32], Vec<Ciphertext>> = BTreeMap::new();
        let mut revoked = Vec::new();
        for e in &r.entries[..close as usize] {
            let Ok(s) = sawt_election::canonical::decode::<sawt_election::entry::SignedEntry>(e)
            else {
                continue;
            };
            match s.entry.body {
                EntryBody::Ballot(b)
                    if b.contest == contest && !revoked.contains(b.credential.bytes()) =>
                {
                    last.remove(b.credential.bytes());
                    let cts = b.ciphertexts().into_iter().copied().collect();
                    last.insert(*b.credential.bytes(), cts);
                }
                EntryBody::CredentialRevocation { credential, .. } => {
                    last.remove(credential.bytes());
                    revoked.push(*credential.bytes());
                }
                _ => {}
            }
        }
        // In log order.
        let mut order: Vec<(usize, Vec<Ciphertext>)> = Vec::new();
        for (pos, e) in r.entries[..close as usize].iter().enumerate() {
            let Ok(s) = sawt_election::canonical::decode::<sawt_election::entry::SignedEntry>(e)
            else {
                continue;
            };
            if let EntryBody::Ballot(b) = s.entry.body
                && let Some(cts) = last.get(b.credential.bytes())
                && b.ciphertexts().into_iter().copied().collect::<Vec<_>>() == *cts
            {
                order.push((pos, cts.clone()));
            }
        }
        order.into_iter().map(|(_, c)| c).collect()
    };

    let present = [1u32, 2, 3, 5];
    for c in &contests {
        let tctx = Context::new(&election).with(b"tally", c.id.as_bytes());
        match c.tally {
            TallyMethod::Homomorphic => {
                let ballots = counted_cts(&r, &c.id);
                let mut sums: Vec<Ciphertext> = (0..c.candidates.len())
                    .map(|j| Ciphertext::sum(ballots.iter().map(|v| &v[j])))
                    .collect();
                // The breaks of the homomorphic tally concern the first contest.
                let first = c.id == contests[0].id;
                if b == Break::WrongTallySums && first {
                    sums.swap(0, 1);
                }
                let author = if b == Break::TallyByTrustee {
                    key(TRUSTEES + 1)
                } else {
                    key(AUTHORITY)
                };
                if b != Break::MissingTally || !first {
                    r.post(
                        &key(AUTHORITY),
                        EntryBody::Tally {
                            contest: c.id.clone(),
                            sums: sums.iter().map(|s| TallySum::from(*s)).collect(),
                        },
                        t_tally,
                    );
                }
                if b == Break::TallyByTrustee {
                    r.post(
                        &author,
                        EntryBody::Tally {
                            contest: c.id.clone(),
                            sums: sums.iter().map(|s| TallySum::from(*s)).collect(),
                        },
                        t_tally,
                    );
                }
                if matches!(b, Break::WrongTallySums | Break::MissingTally) && first {
                    continue;
                }
                let trustees = if b == Break::TooFewShares {
                    &present[..2]
                } else {
                    &present[..]
                };
                for (n, j) in trustees.iter().enumerate() {
                    let mut share =
                        shares[*j as usize - 1].decrypt_with_rng(&tctx, &sums, &mut r.rng);
                    if b == Break::BadDecryptionShare && n == 0 {
                        share.shares[0] = share.shares[1];
                    }
                    r.post(
                        &key(TRUSTEES + *j as u8),
                        EntryBody::DecryptionShares {
                            contest: c.id.clone(),
                            shares: share,
                        },
                        t_tally,
                    );
                }
            }
            TallyMethod::Mixnet => {
                let ballots = counted_cts(&r, &c.id);
                let width = c.votes_per_voter as usize;
                let mut list =
                    CiphertextList::new(width, ballots.into_iter().flatten().collect()).unwrap();
                let mctx = Context::new(&election).with(b"contest", c.id.as_bytes());
                let input = list.clone();
                if b == Break::TallyForMixnet {
                    let trivial = TallySum::from(Ciphertext::sum(&[]));
                    r.post(
                        &key(AUTHORITY),
                        EntryBody::Tally {
                            contest: c.id.clone(),
                            sums: vec![trivial; c.candidates.len()],
                        },
                        t_tally,
                    );
                }
                for m in 1..=2u32 {
                    let (mut out, proof) =
                        shuffle_with_rng(&mctx, m, &enc, &list, &mut r.rng).unwrap();
                    if b == Break::SubstitutedMixOutput && m == 2 {
                        // The same shape: the input re-encrypted in order, not the shuffle's output.
                        let cts: Vec<Ciphertext> = list
                            .ciphertexts()
                            .iter()
                            .map(|x| enc.reencrypt_with_rng(x, &mut r.rng).0)
                            .collect();
                        out = CiphertextList::new(width, cts).unwrap();
                    }
                    let output = r.attach("ciphertext-list", out.to_bytes());
                    let format = if b == Break::StageBadFormat && m == 2 {
                        "shuffle"
                    } else {
                        "shuffle-proof"
                    };
                    let proof = r.attach(format, proof.to_bytes());
                    r.post(
                        &key(MIXERS + m as u8),
                        EntryBody::MixStage {
                            contest: c.id.clone(),
                            mixer: m,
                            output,
                            proof,
                        },
                        t_tally,
                    );
                    list = out;
                }
                if matches!(b, Break::SubstitutedMixOutput | Break::StageBadFormat) {
                    continue;
                }
                let trustees = if b == Break::MixTooFewShares {
                    &present[..2]
                } else {
                    &present[..]
                };
                for &j in trustees {
                    // Trustee 1 decrypts the unmixed input list in one record.
                    let target = if b == Break::MixShareOfInputList && j == 1 {
                        &input
                    } else {
                        &list
                    };
                    let share = shares[j as usize - 1].decrypt_with_rng(
                        &tctx,
                        target.ciphertexts(),
                        &mut r.rng,
                    );
                    let a = r.attach("decryption-share", share.to_bytes());
                    r.post(
                        &key(TRUSTEES + j as u8),
                        EntryBody::MixDecryptionShares {
                            contest: c.id.clone(),
                            trustee: j,
                            shares: a,
                        },
                        t_tally,
                    );
                }
            }
        }
    }
    // Results: each contest's tie for the last seat drawn by lot from the root at the close.
    for c in &contests {
        if matches!(b, Break::WrongTallySums | Break::MissingTally) && c.id == contests[0].id {
            continue;
        }
        if matches!(
            b,
            Break::SubstitutedMixOutput | Break::StageBadFormat | Break::MixTooFewShares
        ) && c.tally == TallyMethod::Mixnet
        {
            continue;
        }
        if b == Break::TooFewShares && c.tally == TallyMethod::Homomorphic {
            continue;
        }
        if b == Break::MissingResult && c.tally == TallyMethod::Mixnet {
            continue;
        }
        let (mut totals, blank, invalid) = counts[&c.id].clone();
        let ids: Vec<String> = c.candidates.iter().map(|x| x.id.clone()).collect();
        let a = allocate(&ids, &totals, c.seats);
        let mut draw = None;
        if a.open > 0 {
            let mut seed = draw_seed(&election, &c.id, close + 1, &close_root);
            if b == Break::WrongDrawSeed {
                seed = draw_seed(&election, &c.id, close, &root_at(&tree, close));
            }
            let order = draw_order(&seed, &a.tied);
            r.post(
                &authority,
                EntryBody::TieBreakDraw {
                    contest: c.id.clone(),
                    tied: a.tied.clone(),
                    seed: Hex32(seed),
                    order: order.clone(),
                },
                t_tally,
            );
            draw = Some(order);
        }
        let mut chosen = elected(&a, draw.as_deref());
        if b == Break::WrongTotal && c.id == contests[0].id {
            // One vote moved from the last candidate to the third: no tie is created or undone.
            totals[0] -= 1;
            totals[3] += 1;
            chosen = elected(&allocate(&ids, &totals, c.seats), draw.as_deref());
        }
        if b == Break::WrongElected && c.id == contests[0].id {
            // The candidate without a vote first.
            chosen = ids[3..]
                .iter()
                .chain(&ids[..3])
                .take(c.seats as usize)
                .cloned()
                .collect();
        }
        if b == Break::ResultTotalsTooLong && c.id == contests[0].id {
            totals.push(0);
        }
        r.post(
            &authority,
            EntryBody::Result {
                contest: c.id.clone(),
                totals,
                blank,
                invalid,
                elected: chosen,
                r#final: true,
            },
            t_tally,
        );
    }
    if b == Break::RepeatedLine {
        let last = r.entries.last().unwrap().clone();
        r.entries.push(last);
    }
    finish(r, b, name, dir, close, receipt)
}

/// Flips bit 0 of the first response of a range proof (the scalar stays canonical).
fn flip_low_bit(p: &mut sawt_crypto::proofs::range::RangeProof) {
    let mut bytes = p.to_bytes();
    // Layout: u32le(n) ‖ a ‖ b ‖ c ‖ v (crypto.md §5.3.6): the last 32 bytes are the last v.
    let at = bytes.len() - 32;
    bytes[at] ^= 1;
    *p = sawt_crypto::proofs::range::RangeProof::from_bytes(&bytes).unwrap();
}

/// Signs the head over the record, has it cosigned, and writes the record's files, its
/// supplied heads, receipts and `expected.json`; the election.
fn finish(
    mut r: Record,
    b: Break,
    name: &str,
    dir: &Path,
    close: u64,
    receipt: Option<serde_json::Value>,
) -> [u8; 32] {
    let election = r.election;
    let w = r.manifest.windows.clone();
    let board = key(BOARD);
    // The head, cosigned by the witnesses.
    let mut tree = MemoryTree::new();
    for e in &r.entries {
        tree.push(e);
    }
    if b == Break::SwappedLines {
        // Two trustees' decryption shares swapped after the head was signed (entries after
        // the close: the draws' seeds, from the root at the close, stay the same).
        let pattern: &[u8] = b"\"kind\":\"decryption-shares\"";
        let shares: Vec<usize> = (0..r.entries.len())
            .filter(|&i| r.entries[i].windows(pattern.len()).any(|w| w == pattern))
            .collect();
        r.entries.swap(shares[0], shares[1]);
    }
    if b == Break::ManifestNotFirst {
        // The roll count first, the manifest second.
        r.entries.swap(0, 1);
        tree = MemoryTree::new();
        for e in &r.entries {
            tree.push(e);
        }
    }
    let size = r.entries.len() as u64;
    let mut head_election = election;
    if b == Break::HeadOtherElection {
        head_election[0] ^= 1;
    }
    let head = TreeHead {
        election: head_election,
        size,
        root: tree.root(),
        timestamp_ms: w.voting_home.end_ms + 3_600_000,
    }
    .sign(&board);
    let witnesses = if b == Break::ShortQuorum { 1 } else { 3 };
    let cosignatures: Vec<Cosignature> = (1..=witnesses)
        .map(|i| {
            let mut wt = Witness::new(
                key(WITNESSES + i as u8),
                board.verifying_key(),
                head_election,
                None,
            );
            wt.cosign(
                &head,
                &ConsistencyProof::generate(&tree, 0, size).unwrap(),
                head.head.timestamp_ms + 1,
            )
            .unwrap()
        })
        .collect();
    let witnessed = WitnessedHead {
        signed: head,
        cosignatures,
    };

    // The files.
    std::fs::create_dir_all(dir.join("attachments")).unwrap();
    let mut text = Vec::new();
    let kept = if b == Break::ShortRecord {
        r.entries.len() - 1
    } else {
        r.entries.len()
    };
    for e in &r.entries[..kept] {
        text.extend_from_slice(e);
        text.push(b'\n');
    }
    std::fs::write(dir.join("entries.ndjson"), text).unwrap();
    std::fs::write(
        dir.join("head.json"),
        serde_json::to_vec_pretty(&witnessed).unwrap(),
    )
    .unwrap();
    let mut first_share = true;
    for (name, (format, bytes)) in &r.attachments {
        if b == Break::MissingAttachment && format == "decryption-share" && first_share {
            first_share = false;
            continue;
        }
        std::fs::write(dir.join("attachments").join(name), bytes).unwrap();
    }
    if let Some(receipt) = receipt {
        std::fs::create_dir_all(dir.join("receipts")).unwrap();
        std::fs::write(
            dir.join("receipts/receipt.json"),
            serde_json::to_vec_pretty(&receipt).unwrap(),
        )
        .unwrap();
    }
    if b == Break::BadSuppliedHead {
        // A head of the record, its signature changed.
        std::fs::create_dir_all(dir.join("heads")).unwrap();
        let mut bad = TreeHead {
            election,
            size: close,
            root: root_at(&tree, close),
            timestamp_ms: w.voting_home.end_ms,
        }
        .sign(&board);
        bad.signature[0] ^= 1;
        std::fs::write(
            dir.join("heads/bad.json"),
            serde_json::to_vec_pretty(&bad).unwrap(),
        )
        .unwrap();
    }
    if b == Break::ForkEvidence {
        // A mirror's evidence: two heads of one size with different roots, both signed.
        let first = TreeHead {
            election,
            size: close,
            root: root_at(&tree, close),
            timestamp_ms: w.voting_home.end_ms,
        }
        .sign(&board);
        let mut other = first.head.root;
        other[0] ^= 1;
        let second = TreeHead {
            root: other,
            ..first.head
        }
        .sign(&board);
        let evidence = sawt_board::witness::ForkEvidence::SameSize { first, second };
        std::fs::write(
            dir.join("fork-evidence.json"),
            serde_json::to_vec_pretty(&evidence).unwrap(),
        )
        .unwrap();
    }
    if b == Break::ForkedHead {
        // A head the board signed for a history the record does not hold.
        std::fs::create_dir_all(dir.join("heads")).unwrap();
        let s = close;
        let mut other = root_at(&tree, s);
        other[0] ^= 1;
        let forked = TreeHead {
            election,
            size: s,
            root: other,
            timestamp_ms: w.voting_home.end_ms,
        }
        .sign(&board);
        std::fs::write(
            dir.join("heads/forked.json"),
            serde_json::to_vec_pretty(&forked).unwrap(),
        )
        .unwrap();
    }
    let expected = RECORDS.iter().find(|x| x.0 == name).unwrap();
    let mut given = election;
    if b == Break::WrongElection {
        given[0] ^= 1;
    }
    let exp = serde_json::json!({
        "election": hex::encode(given),
        "verdict": if expected.2.is_empty() { "pass" } else { "fail" },
        "fails": expected.2,
        "blocked": expected.3,
    });
    std::fs::write(
        dir.join("expected.json"),
        serde_json::to_vec_pretty(&exp).unwrap(),
    )
    .unwrap();
    election
}
