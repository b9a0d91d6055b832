//! The demo's record: the same Shura ballots cast through the bulletin board.
//!
//! A board on an SQLite file in `--record DIR` gets the manifest (one wilayat, the demo's
//! candidates), the trustees' key generation, the registrar's enrolments of credentials made
//! on the voters' devices, then every voter's ballot, cast by `sawt-client` over HTTP against
//! the service on loopback (the device checks the manifest against `E`, the election key
//! against the key generation, and every receipt; some voters audit a ballot first, which a
//! second device checks from the board, and some vote twice: the last ballot counts), the
//! close, the tally of the counted ballots (the counting rule, `sawt_election::tally`), the
//! trustees' decryption shares and the result.
//! Three witnesses cosign the final head; the record is exported to `DIR/record` and checked
//! back from the files alone: every entry's signature, the Merkle root against the signed
//! head, the witness quorum, and the tally against the votes cast. The board's clock is set
//! by the demo to move through the phases (`sawt_server::clock::ManualClock`), never by
//! switching a check off. The board operator's and witnesses' keys are written to
//! `DIR/keys/` so that `sawt serve --database sqlite://DIR/board.db --board-key
//! DIR/keys/board-operator.key`, `sawt witness` and `sawt mirror` can be tried on it.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, ensure};
use sawt_board::witness::Witness;
use sawt_client::device::Device;
use sawt_client::keystore::{KeyStoreError, Sealed, SecretStore};
use sawt_client::transport::HttpTransport;
use sawt_client::{Api, Voter};
use sawt_crypto::Context;
use sawt_crypto::dkg::{KeyGenOutcome, KeyGenParams, TrusteeSetup};
use sawt_crypto::rand_core::Rng;
use sawt_election::entry::{ENTRY_FORMAT, Entry, EntryBody, SignedEntry};
use sawt_election::geography::{Geography, Governorate, GovernorateId, Wilayat, WilayatId};
use sawt_election::keys::{Hex32, PublicKeyHex};
use sawt_election::manifest::*;
use sawt_server::LogStore;
use sawt_server::clock::{Clock, ManualClock};
use sawt_server::service::Board;

use ed25519_dalek::SigningKey;

pub(super) fn fresh_key() -> SigningKey {
    let mut seed = [0u8; 32];
    sawt_crypto::rng::os_rng().fill_bytes(&mut seed);
    SigningKey::from_bytes(&seed)
}

pub(super) fn pk(k: &SigningKey) -> PublicKeyHex {
    PublicKeyHex::from_key(&k.verifying_key())
}

fn names(en: &str, ar: &str) -> Names {
    Names {
        en: en.into(),
        ar: ar.into(),
    }
}

fn sign(
    election: [u8; 32],
    author: &SigningKey,
    body: EntryBody,
    at: u64,
) -> anyhow::Result<Vec<u8>> {
    let e = Entry {
        format: ENTRY_FORMAT.into(),
        election: Hex32(election),
        author: pk(author),
        timestamp_ms: at,
        body,
    };
    Ok(e.sign(author)?.canonical_bytes()?)
}

/// Runs the record part; `choices[v][c]` is 1 if voter `v` chose candidate `c`.
pub(super) fn run(
    dir: &Path,
    choices: &[Vec<u64>],
    candidates: &[&str],
    seats: u32,
    absent: u32,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let db_path = dir.join("board.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db_path.display()));
    }
    let t0 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as u64;
    const DAY: u64 = 86_400_000;
    let w = |d: u64| Window {
        start_ms: t0 + d * DAY,
        end_ms: t0 + (d + 1) * DAY,
    };
    let (authority, registrar, operator) = (fresh_key(), fresh_key(), fresh_key());
    let trustees: Vec<SigningKey> = (0..5).map(|_| fresh_key()).collect();
    let witnesses: Vec<SigningKey> = (0..3).map(|_| fresh_key()).collect();
    let holders = |ks: &[SigningKey], what: &str| -> Vec<KeyHolder> {
        ks.iter()
            .enumerate()
            .map(|(i, k)| KeyHolder {
                index: i as u32 + 1,
                name: names(&format!("{what} {}", i + 1), &format!("{what} {}", i + 1)),
                key: pk(k),
            })
            .collect()
    };
    let wid = WilayatId("bawshar".into());
    let manifest = Manifest {
        format: MANIFEST_FORMAT.into(),
        id: "sawt-demo".into(),
        kind: ElectionKind::Shura,
        term: 11,
        name: names("Sawt demo election (synthetic)", "انتخابات تجريبية"),
        time_zone: "Asia/Muscat".into(),
        utc_offset_minutes: 240,
        windows: Windows {
            registration: w(1),
            candidacy: w(2),
            key_generation: w(3),
            campaign: w(4),
            voting_abroad: w(6),
            voting_home: w(7),
        },
        geography: Geography {
            governorates: vec![Governorate {
                id: GovernorateId("muscat".into()),
                name: names("Muscat", "مسقط"),
            }],
            wilayats: vec![Wilayat {
                id: wid.clone(),
                governorate: GovernorateId("muscat".into()),
                name: names("Bawshar", "بوشر"),
            }],
        },
        contests: vec![Contest {
            id: "bawshar".into(),
            wilayat: wid.clone(),
            seats,
            votes_per_voter: seats,
            tally: TallyMethod::Homomorphic,
            candidates: candidates
                .iter()
                .enumerate()
                .map(|(i, n)| Candidate {
                    id: format!("bawshar-{}", i + 1),
                    name: names(n, n),
                    ballot_order: i as u32 + 1,
                })
                .collect(),
        }],
        trustees: Trustees {
            threshold: 3,
            members: holders(&trustees, "Trustee"),
        },
        mixers: vec![],
        witnesses: Witnesses {
            quorum: 2,
            members: holders(&witnesses, "Witness"),
        },
        authorities: Authorities {
            election_authority: pk(&authority),
            registrar: pk(&registrar),
            board_operator: pk(&operator),
        },
    };
    manifest.validate()?;
    let election = manifest.hash()?;
    let contest = manifest.contests[0].clone();
    let clock = Arc::new(ManualClock::at(t0));

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let store = LogStore::open(&format!("sqlite://{}?mode=rwc", db_path.display())).await?;
        let first = SignedEntry::decode(&sign(election, &authority, EntryBody::Manifest(Box::new(manifest.clone())), t0)?)?;
        let board = Arc::new(Board::create(store, &first, operator.clone(), clock.clone()).await?);

        // Registration: one credential per voter, made on the voter's device (its key sealed
        // in the device's keystore), enrolled by the registrar.
        clock.set(w(1).start_ms);
        let keystore = Arc::new(DeviceKeystore::default());
        let devices: Vec<Device> = (0..choices.len()).map(|_| Device::new(election, keystore.as_ref())).collect::<Result<_, _>>()?;
        // The registrar first publishes the wilayat's roll count (registry.md §6): here the
        // walkthrough's voters, committed to by the tree over their credentials.
        let mut roll = sawt_board::tree::MemoryTree::new();
        for d in &devices {
            roll.push(d.credential.bytes());
        }
        let roll_count = EntryBody::RollCount { wilayat: wid.clone(), registered: devices.len() as u64, root: Hex32(roll.root()) };
        board.submit(&sign(election, &registrar, roll_count, clock.now_ms())?).await?;
        let mut enrolments = Vec::with_capacity(devices.len());
        for d in &devices {
            let a = board.submit(&sign(election, &registrar, EntryBody::CredentialEnrolment { credential: d.credential.clone(), wilayat: wid.clone() }, clock.now_ms())?).await?;
            enrolments.push(a.index);
        }

        // Key generation through the board.
        clock.set(w(3).start_ms);
        let params = KeyGenParams::new(3, 5)?;
        let ctx = Context::new(&election);
        let mut rng = sawt_crypto::rng::os_rng();
        let (setups, anns): (Vec<_>, Vec<_>) = (1..=5).map(|i| TrusteeSetup::new_with_rng(params, &ctx, i, &mut rng)).collect::<Result<Vec<_>, _>>()?.into_iter().unzip();
        for a in &anns {
            board.submit(&sign(election, &trustees[a.trustee as usize - 1], EntryBody::KeyGenAnnouncement(a.clone()), clock.now_ms())?).await?;
        }
        let mut waiting = Vec::new();
        let mut dealings = Vec::new();
        for s in setups {
            let (wt, d) = s.deal_with_rng(&ctx, &anns, &mut rng)?;
            board.submit(&sign(election, &trustees[d.dealer as usize - 1], EntryBody::KeyGenDealing(d.clone()), clock.now_ms())?).await?;
            waiting.push(wt);
            dealings.push(d);
        }
        let mut shares = Vec::new();
        for wt in waiting {
            let (c, complaints) = wt.receive_with_rng(&ctx, &anns, &dealings, &mut rng)?;
            ensure!(complaints.is_empty(), "complaints in an honest key generation");
            shares.push(c.finish(&ctx, &anns, &dealings, &[])?.0);
        }
        let outcome = KeyGenOutcome::compute(&params, &ctx, &anns, &dealings, &[])?;
        board.submit(&sign(election, &authority, EntryBody::JointKey { key: *outcome.joint_key.element(), verification_keys: outcome.verification_keys.clone() }, clock.now_ms())?).await?;

        // Voting at home, through the service on loopback: each voter's device (sawt-client)
        // checks the election, casts, and checks its receipt.
        clock.set(w(7).start_ms);
        let (base, server) = sawt_server::app::serve_on_loopback(board.clone()).await?;
        let api = Api::new(HttpTransport::new(&base)?);
        let voted = vote(&api, election, &contest, devices, &enrolments, choices, keystore).await?;

        // The tally through the board, over HTTP: the close, the sums of the counted ballots
        // (the last of each voter), each present trustee's decryption shares (each checks the
        // sums against the record first), then the result with its seats.
        clock.set(w(7).end_ms);
        let by_authority = crate::tally::Author::new(election, authority.clone());
        crate::tally::close(&api, &by_authority).await?;
        let counted = crate::tally::count(&api, &manifest).await?;
        ensure!(counted.rule.counted() == choices.len(), "{} ballots count, not {}", counted.rule.counted(), choices.len());
        crate::tally::post_tallies(&api, &by_authority, &manifest, &counted).await?;
        let (tallies, _) = crate::tally::tallies_and_shares(&api, &manifest, counted.after_close()).await?;
        let mut posted = 0;
        for s in shares.iter().filter(|s| s.index() != absent) {
            let trustee = crate::tally::Author::new(election, trustees[s.index() as usize - 1].clone());
            crate::tally::post_shares(&api, &trustee, s, &election, &counted, &tallies).await?;
            posted += 1;
        }
        let published = crate::tally::publish(&api, &by_authority, &manifest, &counted, true).await?;
        server.abort();
        let totals = &published.first().context("no result")?.totals;
        let cast: Vec<u64> = (0..contest.candidates.len()).map(|i| choices.iter().map(|c| c[i]).sum()).collect();
        ensure!(totals == &cast, "the board's tally differs from the votes cast");

        // The final head, cosigned by the three witnesses after checking consistency.
        let head = board.publish_head().await?;
        for wk in &witnesses {
            let mut wt = Witness::new(wk.clone(), operator.verifying_key(), election, None);
            let proof = board.store().consistency_proof(0, head.head.size).await?;
            let c = wt.cosign(&head, &proof, clock.now_ms())?;
            board.add_cosignature(head.head.size, &c).await?;
        }

        // Export, then check the record from the files alone.
        let record = dir.join("record");
        let n = export_and_check(&board, &record).await?;
        // The demo's keys, so that `sawt serve`, `sawt witness` and `sawt mirror` can be run
        // against this board by hand (a demo only: real keys never leave their holders).
        let keys = dir.join("keys");
        std::fs::create_dir_all(&keys)?;
        std::fs::write(keys.join("board-operator.key"), hex::encode(operator.to_bytes()))?;
        for (i, wk) in witnesses.iter().enumerate() {
            std::fs::write(keys.join(format!("witness-{}.key", i + 1)), hex::encode(wk.to_bytes()))?;
        }
        println!(
            "\n[record] the Shura ballots again, through the bulletin board: {n} entries (manifest, {} enrolments, key generation, {} ballots cast by the voters' devices (sawt-client) over HTTP and checked by the board's gate, {} of them superseded by a second vote, {} audited ballots checked from the board by a second device, close, tally of the last ballot of each voter, {} decryption shares, result); every receipt checked by its device; head of size {n} signed and cosigned by 3 witnesses (quorum 2); exported to {} and re-verified from the files: every signature, the Merkle root, the quorum, and the result equal to the votes cast",
            choices.len(),
            choices.len() + voted.revotes,
            voted.revotes,
            voted.audits,
            posted,
            record.display()
        );
        Ok(())
    })
}

/// Writes the board's record to `record` (`entries.ndjson`, `head.json`: the latest head with
/// its cosignatures, `attachments/`), then runs the independent verifier over the files
/// (`sawt verify`, every check of protocol-spec/verifier.md); the record's size.
pub(super) async fn export_and_check(board: &Board, record: &Path) -> anyhow::Result<u64> {
    crate::export::export_record(board.store(), record).await?;
    let opts = sawt_verify::Options {
        election: board.election(),
        heads: Vec::new(),
        receipts: Vec::new(),
        ballots: None,
        progress: true,
    };
    let dir = record.to_path_buf();
    let report = tokio::task::spawn_blocking(move || sawt_verify::verify(&dir, &opts)).await??;
    if !report.passed() {
        eprint!("{}", report.render());
        anyhow::bail!(
            "the verifier rejects the demo's record: {}",
            report.failed().join(", ")
        );
    }
    Ok(report.record.size)
}

/// The devices' keystore: each device key held in process memory, as a phone's platform
/// keystore holds it outside the app's files (the demo's voters share one process).
#[derive(Default)]
pub(super) struct DeviceKeystore(
    std::sync::Mutex<std::collections::HashMap<[u8; 32], zeroize::Zeroizing<[u8; 32]>>>,
);

impl SecretStore for DeviceKeystore {
    fn seal(&self, secret: &[u8; 32], public: &[u8; 32]) -> Result<Sealed, KeyStoreError> {
        self.0
            .lock()
            .expect("not poisoned")
            .insert(*public, zeroize::Zeroizing::new(*secret));
        Ok(Sealed {
            format: "sawt-demo/in-memory".into(),
            kdf: sawt_client::keystore::KdfParams {
                m_kib: 0,
                t: 0,
                p: 0,
            },
            salt: String::new(),
            sealed: String::new(),
        })
    }

    fn open(
        &self,
        _: &Sealed,
        public: &[u8; 32],
    ) -> Result<zeroize::Zeroizing<[u8; 32]>, KeyStoreError> {
        self.0
            .lock()
            .expect("not poisoned")
            .get(public)
            .cloned()
            .ok_or(KeyStoreError::Open)
    }
}

/// A voter's final choice, another choice (audited, or cast first and replaced), and its
/// enrolment entry.
type VoterPlan = (Vec<String>, Vec<String>, u64);

/// What the voting did besides one ballot per voter.
struct Voted {
    revotes: usize,
    audits: usize,
}

/// Every voter votes through `sawt-client` against the service on loopback: one device
/// checks the election and its setup from the board (the manifest against `E`, the election
/// key against the key generation) and the others share what it checked; each device adopts
/// its enrolment after checking it on the board, every 25th audits a ballot first (checked by
/// a second device from the board), every 10th casts a first ballot it then replaces, and all
/// cast `choices` last, each receipt checked (R1–R7).
async fn vote(
    api: &Api<HttpTransport>,
    election: [u8; 32],
    contest: &Contest,
    devices: Vec<Device>,
    enrolments: &[u64],
    choices: &[Vec<u64>],
    keystore: Arc<DeviceKeystore>,
) -> anyhow::Result<Voted> {
    let api = api.clone();
    let mut devices = devices.into_iter();
    let mut first = Voter::open(api.clone(), devices.next().context("no voter")?).await?;
    let setup = first.setup().await?;
    let checked = first.election().clone();
    let ids = |choice: &[u64]| -> Vec<String> {
        choice
            .iter()
            .enumerate()
            .filter(|(_, x)| **x == 1)
            .map(|(i, _)| contest.candidates[i].id.clone())
            .collect()
    };
    let voters: Vec<Voter<HttpTransport>> = std::iter::once(first)
        .chain(devices.map(|d| Voter::with_setup(api.clone(), checked.clone(), setup.clone(), d)))
        .collect();
    let audits = Arc::new(std::sync::Mutex::new(Vec::new()));
    let next = Arc::new(std::sync::Mutex::new(
        voters.into_iter().enumerate().collect::<Vec<_>>(),
    ));
    let plan: Arc<Vec<VoterPlan>> = Arc::new(
        (0..choices.len())
            .map(|i| {
                (
                    ids(&choices[i]),
                    ids(&choices[(i + 1) % choices.len()]),
                    enrolments[i],
                )
            })
            .collect(),
    );
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..64 {
        let (next, audits, keystore, plan) =
            (next.clone(), audits.clone(), keystore.clone(), plan.clone());
        workers.spawn(async move {
            loop {
                let Some((i, mut v)) = next.lock().expect("not poisoned").pop() else {
                    return anyhow::Ok(());
                };
                let (last, other, enrolment) = &plan[i];
                let store = keystore.as_ref();
                v.adopt_enrolment(*enrolment).await?;
                if i % 25 == 0 {
                    v.prepare(other, store).await?;
                    let (record, _) = v.audit(store).await?;
                    audits
                        .lock()
                        .expect("not poisoned")
                        .push((record.index, other.clone()));
                }
                if i % 10 == 0 {
                    v.prepare(other, store).await?;
                    v.cast(store).await?;
                }
                v.prepare(last, store).await?;
                v.cast(store).await?;
                if i == 0 {
                    // One device checks everything again: its receipts under the latest head,
                    // and which of its ballots counts.
                    v.check_receipts(store).await?;
                    let statuses = v.statuses(store).await?;
                    ensure!(
                        statuses.last().is_some_and(|s| s.status == "counted"),
                        "the last ballot does not count"
                    );
                }
            }
        });
    }
    while let Some(r) = workers.join_next().await {
        r??;
    }
    // A second device checks each audited ballot from the board alone.
    let audits = std::mem::take(&mut *audits.lock().expect("not poisoned"));
    for (index, chosen) in &audits {
        let found = sawt_client::voter::check_audit(&api, election, *index).await?;
        let found: Vec<String> = found.choices.into_iter().map(|c| c.0).collect();
        ensure!(
            &found == chosen,
            "the audited ballot at {index} does not encode what was chosen"
        );
    }
    Ok(Voted {
        revotes: choices.len().div_ceil(10),
        audits: audits.len(),
    })
}
