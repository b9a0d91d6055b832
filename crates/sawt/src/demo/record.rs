//! The demo's record: the same Shura ballots cast through the bulletin board.
//!
//! A board on an SQLite file in `--record DIR` gets the manifest (one wilayat, the demo's
//! candidates), the trustees' key generation, the registrar's enrolments, every voter's
//! signed ballot (checked by the board's gate: enrolment, contest, proofs, phase by the
//! board's clock), the close, the tally, the trustees' decryption shares and the result.
//! Three witnesses cosign the final head; the record is exported to `DIR/record` and checked
//! back from the files alone: every entry's signature, the Merkle root against the signed
//! head, the witness quorum, and the tally against the votes cast. The board's clock is set
//! by the demo to move through the phases (`sawt_server::clock::ManualClock`), never by
//! switching a check off. The board operator's and witnesses' keys are written to
//! `DIR/keys/` so that `sawt serve --database sqlite://DIR/board.db --board-key
//! DIR/keys/board-operator.key`, `sawt witness` and `sawt mirror` can be tried on it.

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, ensure};
use rayon::prelude::*;
use sawt_board::head::WitnessedHead;
use sawt_board::proof::ConsistencyProof;
use sawt_board::replica::Replica;
use sawt_board::witness::Witness;
use sawt_crypto::dkg::{KeyGenOutcome, KeyGenParams, TrusteeSetup};
use sawt_crypto::rand_core::Rng;
use sawt_crypto::threshold::decrypt_small;
use sawt_crypto::{Ciphertext, Context};
use sawt_election::ballot::Ballot;
use sawt_election::entry::{ENTRY_FORMAT, Entry, EntryBody, SignedEntry, TallySum, split_ndjson};
use sawt_election::geography::{Geography, Governorate, GovernorateId, Wilayat, WilayatId};
use sawt_election::keys::{Hex32, PublicKeyHex};
use sawt_election::manifest::*;
use sawt_server::LogStore;
use sawt_server::clock::{Clock, ManualClock};
use sawt_server::service::Board;

use ed25519_dalek::SigningKey;

fn fresh_key() -> SigningKey {
    let mut seed = [0u8; 32];
    sawt_crypto::rng::os_rng().fill_bytes(&mut seed);
    SigningKey::from_bytes(&seed)
}

fn pk(k: &SigningKey) -> PublicKeyHex {
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
        let board = Board::create(store, &first, operator.clone(), clock.clone()).await?;

        // Registration: one credential per voter, made on the voter's device.
        clock.set(w(1).start_ms);
        let voters: Vec<SigningKey> = (0..choices.len()).map(|_| fresh_key()).collect();
        for v in &voters {
            board.submit(&sign(election, &registrar, EntryBody::CredentialEnrolment { credential: pk(v), wilayat: wid.clone() }, clock.now_ms())?).await?;
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

        // Voting at home: every ballot goes through the board's gate.
        clock.set(w(7).start_ms);
        let key = outcome.joint_key.prepare();
        let now = clock.now_ms();
        let entries: Vec<Vec<u8>> = voters
            .par_iter()
            .zip(choices)
            .map(|(v, choice)| {
                let ids: Vec<String> = choice.iter().enumerate().filter(|(_, x)| **x == 1).map(|(i, _)| contest.candidates[i].id.clone()).collect();
                let (ballot, _) = Ballot::encrypt_with_rng(election, &contest, &key, &pk(v), &ids, &mut sawt_crypto::rng::os_rng())?;
                sign(election, v, EntryBody::Ballot(ballot), now)
            })
            .collect::<anyhow::Result<_>>()?;
        let board = Arc::new(board);
        let mut tasks = tokio::task::JoinSet::new();
        for bytes in entries {
            let b = board.clone();
            tasks.spawn(async move { b.submit(&bytes).await });
        }
        while let Some(r) = tasks.join_next().await {
            r??;
        }

        // Close, tally from the board's own ballots, decryption shares, result.
        clock.set(w(7).end_ms);
        board.submit(&sign(election, &authority, EntryBody::Close { ballots_until: board.store().size() }, clock.now_ms())?).await?;
        let mut sums = vec![Ciphertext::sum(&[]); contest.candidates.len()];
        let size = board.store().size();
        let mut at = 0;
        while at < size {
            let page = board.store().entries(at..(at + sawt_server::MAX_PAGE).min(size)).await?;
            at += page.len() as u64;
            for stored in page {
                if let EntryBody::Ballot(b) = SignedEntry::decode(&stored.body)?.entry.body {
                    for (sum, ct) in sums.iter_mut().zip(b.ciphertexts()) {
                        *sum = sum.add(ct);
                    }
                }
            }
        }
        board.submit(&sign(election, &authority, EntryBody::Tally { contest: contest.id.clone(), sums: sums.iter().map(|c| TallySum::from(*c)).collect() }, clock.now_ms())?).await?;
        let tally_ctx = ctx.clone().with(b"tally", contest.id.as_bytes());
        let mut posted = Vec::new();
        for s in shares.iter().filter(|s| s.index() != absent) {
            let d = s.decrypt_with_rng(&tally_ctx, &sums, &mut rng);
            board.submit(&sign(election, &trustees[s.index() as usize - 1], EntryBody::DecryptionShares { contest: contest.id.clone(), shares: d.clone() }, clock.now_ms())?).await?;
            posted.push(d);
        }
        let totals = decrypt_small(&outcome, &tally_ctx, &sums, &posted[..3], &sawt_crypto::dlog::DlogTable::new(choices.len() as u64))?;
        let cast: Vec<u64> = (0..contest.candidates.len()).map(|i| choices.iter().map(|c| c[i]).sum()).collect();
        ensure!(totals == cast, "the board's tally differs from the votes cast");
        let mut order: Vec<usize> = (0..totals.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(totals[i]));
        let elected: Vec<String> = order[..seats as usize].iter().map(|&i| contest.candidates[i].id.clone()).collect();
        let blank = choices.iter().filter(|c| c.iter().all(|&x| x == 0)).count() as u64;
        board.submit(&sign(election, &authority, EntryBody::Result { contest: contest.id.clone(), totals: totals.clone(), blank, invalid: 0, elected, r#final: true }, clock.now_ms())?).await?;

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
        std::fs::create_dir_all(&record)?;
        let mut out = std::io::BufWriter::new(std::fs::File::create(record.join("entries.ndjson"))?);
        let mut at = 0;
        while at < board.store().size() {
            let end = (at + sawt_server::MAX_PAGE).min(board.store().size());
            let page = board.store().entries(at..end).await?;
            at += page.len() as u64;
            for e in page {
                out.write_all(&e.body)?;
                out.write_all(b"\n")?;
            }
        }
        out.flush()?;
        let witnessed = board.witnessed_head().await?.context("no head")?;
        std::fs::write(record.join("head.json"), serde_json::to_vec_pretty(&witnessed)?)?;
        let n = check_record(&record)?;
        // The demo's keys, so that `sawt serve`, `sawt witness` and `sawt mirror` can be run
        // against this board by hand (a demo only: real keys never leave their holders).
        let keys = dir.join("keys");
        std::fs::create_dir_all(&keys)?;
        std::fs::write(keys.join("board-operator.key"), hex::encode(operator.to_bytes()))?;
        for (i, wk) in witnesses.iter().enumerate() {
            std::fs::write(keys.join(format!("witness-{}.key", i + 1)), hex::encode(wk.to_bytes()))?;
        }
        println!(
            "\n[record] the Shura ballots again, through the bulletin board: {n} entries (manifest, {} enrolments, key generation, {} ballots checked by the board's gate, close, tally, {} decryption shares, result); head of size {n} signed and cosigned by 3 witnesses (quorum 2); exported to {} and re-verified from the files: every signature, the Merkle root, the quorum, and the result equal to the votes cast",
            voters.len(),
            choices.len(),
            posted.len(),
            record.display()
        );
        Ok(())
    })
}

/// Checks an exported record from its files alone: each entry decodes with a valid
/// signature, the manifest is entry 0, the entries hash to the signed head's root, the head
/// is signed by the manifest's board operator and cosigned by a quorum of its witnesses.
pub(super) fn check_record(dir: &Path) -> anyhow::Result<u64> {
    let text = std::fs::read(dir.join("entries.ndjson"))?;
    let entries: Vec<Vec<u8>> = split_ndjson(&text);
    let decoded: Vec<SignedEntry> = entries
        .par_iter()
        .map(|e| SignedEntry::decode(e))
        .collect::<Result<_, _>>()?;
    let EntryBody::Manifest(m) = &decoded.first().context("an empty record")?.entry.body else {
        anyhow::bail!("entry 0 is not the manifest")
    };
    let election = m.hash()?;
    let head: WitnessedHead = serde_json::from_slice(&std::fs::read(dir.join("head.json"))?)?;
    let board = m.authorities.board_operator.verifying_key()?;
    let witnesses: Vec<_> = m
        .witnesses
        .members
        .iter()
        .map(|w| w.key.verifying_key())
        .collect::<Result<_, _>>()?;
    head.verify(&board, &election, &witnesses, m.witnesses.quorum as usize)?;
    let mut replica = Replica::new(board, election);
    replica.update(
        &head.signed,
        &entries,
        &ConsistencyProof {
            old: 0,
            new: head.signed.head.size,
            path: vec![],
        },
    )?;
    Ok(replica.size())
}
