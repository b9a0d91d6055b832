//! `sawt demo`: a whole election on the embedded default, with no set-up. The service runs
//! on loopback over an SQLite file in `--out`; the board's one clock is driven through the
//! manifest's windows (never a check switched off). In order:
//!
//! 1. the manifest from the built-in table of Oman's wilayats (`--scale small`: the first
//!    three; `national`: all 63), `--kind`, `--tally`; five trustees (3-of-5), three mixers,
//!    three witnesses (quorum 2), fresh keys;
//! 2. a synthetic roll imported into the registry, the lists frozen (their counts and
//!    commitments on the board);
//! 3. candidacies filed and accepted, the final candidate lists published by the authority;
//! 4. the trustees' key generation through the board over HTTP, the joint key;
//! 5. candidates' My Page profiles; voters enrol their devices (`sawt-client`) with identity
//!    assertions;
//! 6. voting through `sawt-client` over HTTP, some voters auditing a ballot first and some
//!    voting twice; the witnesses cosign heads as the board grows;
//! 7. the close, the tally (homomorphic sums, or three mixers' cascade), trustee 4 absent at
//!    decryption, the results with their seats;
//! 8. the record exported and checked from its files.
//!
//! It ends with the results per wilayat and the time of each step.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use ed25519_dalek::SigningKey;
use sawt_client::device::Device;
use sawt_client::election::Election;
use sawt_client::transport::HttpTransport;
use sawt_client::{Api, Voter};
use sawt_crypto::rand_core::Rng;
use sawt_election::entry::{ENTRY_FORMAT, Entry, EntryBody, SignedEntry};
use sawt_election::geography::WilayatId;
use sawt_election::keys::Hex32;
use sawt_election::manifest::*;
use sawt_election::oman;
use sawt_registry::calendar::Settings;
use sawt_registry::candidacy::{Application, Declarations, Education, Verdict};
use sawt_registry::identity::IdentityProvider;
use sawt_registry::{Actor, Role};
use sawt_server::LogStore;
use sawt_server::clock::{Clock, ManualClock};
use sawt_server::registry::Registry;
use sawt_server::service::Board;

use super::record::{DeviceKeystore, fresh_key, pk};
use crate::tally::Author;

/// How large an election.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// Three wilayats, a few thousand voters.
    Small,
    /// All 63 wilayats.
    National,
}

/// The demo's choices.
pub(super) struct Options<'a> {
    pub(super) scale: Scale,
    pub(super) kind: ElectionKind,
    pub(super) tally: TallyMethod,
    pub(super) voters: usize,
    pub(super) out: &'a Path,
}

fn holders(keys: &[SigningKey], what: (&str, &str)) -> Vec<KeyHolder> {
    keys.iter()
        .enumerate()
        .map(|(i, k)| KeyHolder {
            index: i as u32 + 1,
            name: Names {
                ar: format!("{} {}", what.0, i + 1),
                en: format!("{} {}", what.1, i + 1),
            },
            key: pk(k),
        })
        .collect()
}

/// The steps' times, for the closing table.
struct Steps(Vec<(&'static str, f64)>, Instant);

impl Steps {
    fn done(&mut self, what: &'static str, detail: String) {
        let s = self.1.elapsed().as_secs_f64();
        println!("[{}] {what}: {detail} ({s:.1} s)", self.0.len() + 1);
        self.0.push((what, s));
        self.1 = Instant::now();
    }
}

/// Runs the whole election.
pub(super) fn run(o: &Options<'_>) -> anyhow::Result<()> {
    std::fs::create_dir_all(o.out)?;
    let db = o.out.join("sawt.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(election(o, &format!("sqlite://{}?mode=rwc", db.display())))
}

async fn election(o: &Options<'_>, url: &str) -> anyhow::Result<()> {
    let start = Instant::now();
    let mut steps = Steps(Vec::new(), Instant::now());
    // 1. The manifest.
    let rows = oman::parse_wilayats(oman::WILAYATS_CSV).map_err(anyhow::Error::msg)?;
    let rows = match o.scale {
        Scale::Small => rows[..3].to_vec(),
        Scale::National => rows,
    };
    let t0 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as u64;
    const DAY: u64 = 86_400_000;
    let w = |d: u64, days: u64| Window {
        start_ms: t0 + d * DAY,
        end_ms: t0 + (d + days) * DAY,
    };
    let (authority, registrar, operator) = (fresh_key(), fresh_key(), fresh_key());
    let trustees: Vec<SigningKey> = (0..5).map(|_| fresh_key()).collect();
    let mixers: Vec<SigningKey> = (0..3).map(|_| fresh_key()).collect();
    let witnesses: Vec<SigningKey> = (0..3).map(|_| fresh_key()).collect();
    let mut contests = oman::contests(&rows, o.kind, o.tally);
    for c in &mut contests {
        c.candidates.clear(); // from the candidacies, by candidate-list entries
    }
    let manifest = Manifest {
        format: MANIFEST_FORMAT.into(),
        id: "sawt-demo".into(),
        kind: o.kind,
        term: 11,
        name: Names {
            ar: "انتخابات تجريبية (بيانات اصطناعية)".into(),
            en: "Sawt demo election (synthetic data)".into(),
        },
        time_zone: "Asia/Muscat".into(),
        utc_offset_minutes: 240,
        windows: Windows {
            registration: w(1, 10),
            candidacy: w(20, 5),
            key_generation: w(30, 5),
            campaign: w(40, 10),
            voting_abroad: w(52, 1),
            voting_home: w(55, 1),
        },
        geography: oman::geography(&rows),
        contests,
        trustees: Trustees {
            threshold: 3,
            members: holders(&trustees, ("الأمين", "Trustee")),
        },
        mixers: holders(&mixers, ("الخالط", "Mixer")),
        witnesses: Witnesses {
            quorum: 2,
            members: holders(&witnesses, ("الشاهد", "Witness")),
        },
        authorities: Authorities {
            election_authority: pk(&authority),
            registrar: pk(&registrar),
            board_operator: pk(&operator),
        },
    };
    let mut manifest = manifest;
    manifest.geography.governorates.retain(|g| {
        rows.iter()
            .any(|r| sawt_election::geography::slug(&r.governorate.en) == g.id.0)
    });
    manifest.validate().map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let e = manifest.hash()?;
    let clock = Arc::new(ManualClock::at(t0));
    let store = LogStore::open(url).await?;
    let first = SignedEntry::decode(
        &Entry {
            format: ENTRY_FORMAT.into(),
            election: Hex32(e),
            author: pk(&authority),
            timestamp_ms: t0,
            body: EntryBody::Manifest(Box::new(manifest.clone())),
        }
        .sign(&authority)?
        .canonical_bytes()?,
    )?;
    let board = Arc::new(Board::create(store, &first, operator.clone(), clock.clone()).await?);
    let idp = Arc::new(IdentityProvider::new(fresh_key()));
    let registry = Arc::new(
        Registry::open(
            board.clone(),
            registrar.clone(),
            vec![idp.public()],
            Settings::default(),
        )
        .await?,
    );
    let (base, server) = sawt_server::app::serve_with_registry_on_loopback(
        board.clone(),
        Some(sawt_server::registry_api::RegistryApi {
            registry: registry.clone(),
            dev_identity: None,
        }),
    )
    .await?;
    let api = Api::new(HttpTransport::new(&base)?);
    steps.done(
        "manifest",
        format!(
            "{} wilayats, {:?} council, {:?} tally, 5 trustees (3-of-5), 3 mixers, 3 witnesses; election {}",
            rows.len(),
            o.kind,
            o.tally,
            hex::encode(e)
        ),
    );

    // 2. The roll, registration and the freeze.
    clock.set(manifest.windows.registration.start_ms);
    let registered: u64 = rows.iter().map(|r| r.registered_voters_synth).sum();
    // About two thirds of the people on the lists vote (as in 2023's Shura election).
    let target = (o.voters as f64 / 0.66).ceil() as u64;
    let divisor = (registered / target.max(1)).max(1);
    let day = time::OffsetDateTime::from_unix_timestamp(
        (manifest.windows.voting_home.start_ms / 1000) as i64,
    )?
    .date();
    let roll_path = o.out.join("roll.csv");
    let people: Vec<sawt_registry::roll::RollRecord> =
        sawt_registry::synthetic::roll(&rows, divisor, day, t0).collect();
    sawt_registry::roll::write_csv(std::fs::File::create(&roll_path)?, people.iter().cloned())?;
    let report = registry
        .import_roll(&roll_path, 5000, &mut |_| true)
        .await?;
    clock.set(manifest.windows.registration.end_ms + 6 * DAY);
    let lists = registry
        .freeze(&Actor::new(Role::RegistryOfficial, "RO-1").map_err(anyhow::Error::msg)?)
        .await?;
    let on_lists: u64 = lists.iter().map(|l| l.registered).sum();
    steps.done(
        "roll",
        format!(
            "{} people imported (synthetic), {on_lists} on the final lists of {} wilayats, each list's count and commitment on the board",
            report.imported, lists.len()
        ),
    );

    // 3. Candidacies: in each wilayat, people of 30 or more apply; the committee accepts.
    clock.set(manifest.windows.candidacy.start_ms);
    let committee = Actor::new(Role::CandidacyCommittee, "CC-1").map_err(anyhow::Error::msg)?;
    // The accepted: civil number, ballot identifier, name.
    let mut accepted: BTreeMap<sawt_registry::CivilNumber, (String, Names)> = BTreeMap::new();
    for (r, c) in rows.iter().zip(&manifest.contests) {
        let (seats, n) = match o.kind {
            ElectionKind::Shura => (r.shura_seats, r.shura_candidates_synth),
            ElectionKind::Municipal => (r.municipal_seats, r.municipal_candidates_synth),
        };
        let n = n.max(seats + 1).min(match o.scale {
            Scale::Small => 6,
            Scale::National => u32::MAX,
        });
        let listed: std::collections::HashSet<sawt_registry::CivilNumber> = registry
            .voter_list(&c.wilayat)
            .await?
            .into_iter()
            .map(|(civil, _, _)| civil)
            .collect();
        let eligible: Vec<&sawt_registry::roll::RollRecord> = people
            .iter()
            .filter(|p| listed.contains(&p.civil_number))
            .filter(|p| (day.year() - p.date_of_birth.year()) > 31 && !p.security_military)
            .take(n as usize)
            .collect();
        for p in &eligible {
            let filed = registry
                .apply(
                    &p.civil_number,
                    &Application {
                        contest: c.id.clone(),
                        ballot_name: Names {
                            ar: p.name_ar.clone(),
                            en: p.name_en.clone(),
                        },
                        declarations: Declarations {
                            education: Education::Higher,
                            convicted: false,
                            council_member: false,
                            lives_and_works_in_oman: true,
                        },
                    },
                )
                .await;
            // The registry checks every condition; a refused applicant is not a candidate.
            let id = match filed {
                Ok(id) => id,
                Err(sawt_server::registry::RegistryError::Refused(_)) => continue,
                Err(e) => return Err(e.into()),
            };
            registry
                .review(
                    id,
                    &Verdict {
                        accept: true,
                        failed: vec![],
                        reason: "All conditions verified".into(),
                    },
                    &committee,
                )
                .await?;
            let name = Names {
                ar: p.name_ar.clone(),
                en: p.name_en.clone(),
            };
            accepted.insert(p.civil_number.clone(), (format!("c{id}"), name));
        }
    }
    steps.done(
        "candidacies",
        format!(
            "{} candidates filed and accepted by the candidacy committee",
            accepted.len()
        ),
    );

    // 4. The key generation through the board, over HTTP.
    clock.set(manifest.windows.key_generation.start_ms);
    let election = Election::from_manifest_entry(e, &api.entry(0).await?)?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut tasks = tokio::task::JoinSet::new();
    for (i, k) in trustees.iter().enumerate() {
        let (api, election, me) = (api.clone(), election.clone(), Author::new(e, k.clone()));
        tasks.spawn(async move {
            crate::keygen::take_part(
                &api,
                &election,
                &me,
                i as u32 + 1,
                deadline,
                Duration::from_millis(20),
            )
            .await
        });
    }
    let mut shares = Vec::new();
    while let Some(r) = tasks.join_next().await {
        shares.push(r??);
    }
    shares.sort_by_key(|s| s.index());
    let by_authority = Author::new(e, authority.clone());
    let outcome = crate::keygen::post_joint_key(&api, &election, &by_authority).await?;
    steps.done(
        "key generation",
        format!(
            "5 trustees through the board, no complaint; joint key {}…",
            &outcome.joint_key.element().to_hex()[..16]
        ),
    );

    // 5. The campaign: voters enrol their devices; each wilayat's first candidate publishes
    //    a page.
    // The lists are final at the withdrawal deadline, the campaign's start.
    clock.set(manifest.windows.campaign.start_ms);
    let published = registry.publish_candidate_lists(&authority).await?;
    let keystore = Arc::new(DeviceKeystore::default());
    // Turnout: `--voters` of the people on the final lists (at most all of them), the same
    // share of each list, the remainder to the first wilayats.
    let mut voters: Vec<(sawt_registry::CivilNumber, WilayatId)> = Vec::new();
    let wanted = (o.voters as u64).min(on_lists);
    let mut spare = wanted
        - lists
            .iter()
            .map(|l| l.registered * wanted / on_lists.max(1))
            .sum::<u64>();
    for c in &manifest.contests {
        let mut list = registry.voter_list(&c.wilayat).await?;
        // The candidates vote too (and have a device for their page).
        list.sort_by_key(|(civil, _, _)| !accepted.contains_key(civil));
        let mut n = list.len() as u64 * wanted / on_lists.max(1);
        if spare > 0 && n < list.len() as u64 {
            n += 1;
            spare -= 1;
        }
        voters.extend(
            list.into_iter()
                .take(n as usize)
                .map(|(civil, _, _)| (civil, c.wilayat.clone())),
        );
    }
    // Each voter's device makes its key, gets an identity assertion for it, and enrols:
    // sixty-four at a time (the registry writes them in groups).
    let now = clock.now_ms();
    let mut enrolling = tokio::task::JoinSet::new();
    for (part, chunk) in voters.chunks(voters.len().div_ceil(64).max(1)).enumerate() {
        let (chunk, registry, idp, keystore) = (
            chunk.to_vec(),
            registry.clone(),
            idp.clone(),
            keystore.clone(),
        );
        enrolling.spawn(async move {
            let mut out = Vec::with_capacity(chunk.len());
            for (civil, _) in chunk {
                let d = Device::new(e, keystore.as_ref())?;
                let signed = idp.assert(
                    e,
                    civil,
                    d.credential.clone(),
                    now,
                    &mut sawt_crypto::rng::os_rng(),
                )?;
                let enrolled = registry.enrol(&signed).await?;
                out.push((d, enrolled.entry_index));
            }
            anyhow::Ok((part, out))
        });
    }
    let mut parts = Vec::new();
    let bar = progress(voters.len() as u64, "enrolling");
    while let Some(r) = enrolling.join_next().await {
        let part = r??;
        bar.inc(part.1.len() as u64);
        parts.push(part);
    }
    bar.finish_and_clear();
    parts.sort_by_key(|(part, _)| *part);
    let devices: Vec<(Device, u64)> = parts.into_iter().flat_map(|(_, d)| d).collect();
    steps.done(
        "enrolment",
        format!(
            "{} candidate lists published by the authority; {} voters enrolled their devices with identity assertions (credentials on the board, no identity)",
            published.len(),
            devices.len()
        ),
    );

    let mut first = Voter::open(api.clone(), devices[0].0.clone()).await?;
    let setup = first.setup().await?;
    let checked = first.election().clone();
    let (pages, questions) = my_pages(
        &api,
        (&checked, &setup),
        &voters,
        &devices,
        &accepted,
        keystore.as_ref(),
    )
    .await?;
    steps.done(
        "My Page",
        format!("{pages} candidates published their page through their own session; in each wilayat a voter asked a candidate a question and it was answered ({questions} questions)"),
    );

    // 6. Voting through sawt-client over HTTP.
    clock.set(manifest.windows.voting_home.start_ms);
    let mut plan = Vec::with_capacity(devices.len());
    let mut expected: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for (i, ((d, idx), (_, w))) in devices.into_iter().zip(&voters).enumerate() {
        let contest = setup.contest_of(&checked, w)?.into_owned();
        let choice = random_choice(&contest);
        let totals = expected
            .entry(contest.id.clone())
            .or_insert_with(|| vec![0; contest.candidates.len()]);
        for id in &choice {
            let k = contest
                .candidates
                .iter()
                .position(|c| &c.id == id)
                .context("a candidate")?;
            totals[k] += 1;
        }
        let other = random_choice(&contest);
        let v = Voter::with_setup(api.clone(), checked.clone(), setup.clone(), d);
        plan.push((i, v, idx, choice, other));
    }
    drop(first);
    let audits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let revotes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let queue = Arc::new(std::sync::Mutex::new(plan));
    let bar = progress(voters.len() as u64, "voting");
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..64 {
        let (queue, keystore, audits, revotes, bar) = (
            queue.clone(),
            keystore.clone(),
            audits.clone(),
            revotes.clone(),
            bar.clone(),
        );
        workers.spawn(async move {
            loop {
                let Some((i, mut v, idx, choice, other)) =
                    queue.lock().expect("not poisoned").pop()
                else {
                    return anyhow::Ok(());
                };
                let store = keystore.as_ref();
                v.adopt_enrolment(idx).await?;
                if i % 25 == 0 {
                    v.prepare(&other, store).await?;
                    v.audit(store).await?;
                    audits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                if i % 10 == 0 {
                    v.prepare(&other, store).await?;
                    v.cast(store).await?;
                    revotes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                v.prepare(&choice, store).await?;
                v.cast(store).await?;
                bar.inc(1);
            }
        });
    }
    while let Some(r) = workers.join_next().await {
        r??;
    }
    bar.finish_and_clear();
    cosign(&api, &election, &witnesses, e).await?;
    steps.done(
        "voting",
        format!(
            "{} voters cast through sawt-client over HTTP, each receipt checked; {} audited a ballot first, {} voted twice (the last counts); head cosigned by the witnesses",
            voters.len(),
            audits.load(std::sync::atomic::Ordering::Relaxed),
            revotes.load(std::sync::atomic::Ordering::Relaxed)
        ),
    );

    // 7. The close and the tally, trustee 4 absent: each part timed.
    clock.set(manifest.windows.voting_home.end_ms);
    let close_started = Instant::now();
    crate::tally::close(&api, &by_authority).await?;
    let bar = progress(0, "reading the record");
    let counted = crate::tally::count_showing(&api, &manifest, &bar).await?;
    bar.finish_and_clear();
    ensure!(
        counted.rule.counted() == voters.len(),
        "{} ballots count, not {}",
        counted.rule.counted(),
        voters.len()
    );
    steps.done(
        "close, count",
        format!(
            "voting closed; the record read once ({} entries, every signature and the root checked), {} ballots count (the last of each credential)",
            counted.size,
            counted.rule.counted()
        ),
    );
    let present: Vec<_> = shares.iter().filter(|s| s.index() != 4).collect();
    let trustee = |s: &sawt_crypto::threshold::TrusteeKeyShare| {
        Author::new(e, trustees[s.index() as usize - 1].clone())
    };
    // Each contest's counts; its preliminary result posted as soon as it is counted.
    let bar = progress(manifest.contests.len() as u64, "counting");
    let mut counts = Vec::new();
    let preliminary = |contest: String, k: crate::tally::Counts| {
        let (api, by_authority, manifest, counted, bar) =
            (&api, &by_authority, &manifest, &counted, &bar);
        async move {
            crate::tally::post_result(
                api,
                by_authority,
                manifest,
                &contest,
                k.clone(),
                counted,
                false,
            )
            .await?;
            bar.inc(1);
            anyhow::Ok((contest, k))
        }
    };
    match o.tally {
        TallyMethod::Homomorphic => {
            crate::tally::post_tallies(&api, &by_authority, &manifest, &counted).await?;
            steps.done(
                "sums",
                format!(
                    "{} contests' encrypted sums posted by the authority",
                    counted.sums.len()
                ),
            );
            let (tallies, _) =
                crate::tally::tallies_and_shares(&api, &manifest, counted.after_close()).await?;
            for s in &present {
                crate::tally::post_shares(&api, &trustee(s), s, &e, &counted, &tallies).await?;
            }
            steps.done("decryption", format!("trustees {} (trustee 4 absent) each checked every sum against the record and posted its shares with proofs", present.iter().map(|s| s.index().to_string()).collect::<Vec<_>>().join(", ")));
            for (contest, k) in crate::tally::decrypt_counts(&api, &manifest, &counted).await? {
                counts.push(preliminary(contest, k).await?);
            }
        }
        TallyMethod::Mixnet => {
            let key = counted.outcome.joint_key.prepare();
            // Each mixer in turn, then each trustee, then the authority: each reads the
            // entries after the close once and works through every contest.
            use crate::mixnet_tally::MixRecord;
            let bar = progress(3 * counted.lists.len() as u64, "mixing");
            for (i, m) in mixers.iter().enumerate() {
                let me = Author::new(e, m.clone());
                let record = MixRecord::read(&api, &manifest, &counted).await?;
                for contest in counted.lists.keys() {
                    let read = (&counted, &record);
                    let index = i as u32 + 1;
                    crate::mixnet_tally::mix(&api, &me, index, &manifest, read, &key, contest)
                        .await?;
                    bar.inc(1);
                }
            }
            bar.finish_and_clear();
            steps.done("mixing", format!("{} contests through 3 mixers, each checking the stages before it and posting its output and proof", counted.lists.len()));
            let bar = progress((present.len() * counted.lists.len()) as u64, "decrypting");
            for s in &present {
                let record = MixRecord::read(&api, &manifest, &counted).await?;
                for contest in counted.lists.keys() {
                    let read = (&counted, &record);
                    crate::mixnet_tally::post_share(&api, &trustee(s), s, &manifest, read, contest)
                        .await?;
                    bar.inc(1);
                }
            }
            bar.finish_and_clear();
            steps.done("decryption", format!("trustees {} (trustee 4 absent) each checked every cascade and posted its shares of the last list with proofs", present.iter().map(|s| s.index().to_string()).collect::<Vec<_>>().join(", ")));
            let record = MixRecord::read(&api, &manifest, &counted).await?;
            for contest in counted.lists.keys() {
                let read = (&counted, &record);
                let k = crate::mixnet_tally::counts(&api, &manifest, read, contest).await?;
                counts.push(preliminary(contest.clone(), k).await?);
            }
        }
    }
    bar.finish_and_clear();
    // Every contest counted: the final results.
    let mut results = Vec::new();
    for (contest, k) in counts {
        results.push(
            crate::tally::post_result(&api, &by_authority, &manifest, &contest, k, &counted, true)
                .await?,
        );
    }
    results.sort_by(|a, b| a.contest.cmp(&b.contest));
    for r in &results {
        ensure!(
            Some(&r.totals) == expected.get(&r.contest),
            "{}: the published totals differ from the votes cast",
            r.contest
        );
    }
    let tally_s = close_started.elapsed().as_secs_f64();
    steps.done(
        "results",
        format!("{} contests' preliminary results posted as each was counted, then the final results; close to published results in {tally_s:.1} s; every total equal to the votes cast", results.len()),
    );

    // 8. The record, exported and checked from its files.
    cosign(&api, &election, &witnesses, e).await?;
    server.abort();
    let n = super::record::export_and_check(&board, &o.out.join("record")).await?;
    steps.done("record", format!("{n} entries exported to {} and verified from the files by the independent verifier (every check passes; again with: sawt verify {} --election {})", o.out.join("record").display(), o.out.join("record").display(), hex::encode(e)));

    println!(
        "\n  {:<24} {:>5}  {:<40} elected",
        "wilayat", "seats", "votes (ballot order)"
    );
    for r in &results {
        let c = manifest.contest(&r.contest).context("contest")?;
        let totals: Vec<String> = r.totals.iter().map(u64::to_string).collect();
        println!(
            "  {:<24} {:>5}  {:<40} {}{}",
            c.wilayat.0,
            c.seats,
            totals.join(" "),
            r.elected.join(", "),
            if r.draw.is_some() {
                " (tie drawn by lot)"
            } else {
                ""
            }
        );
    }
    println!("\n  {:<16} {:>9}", "step", "seconds");
    for (what, s) in &steps.0 {
        println!("  {what:<16} {s:>9.1}");
    }
    println!("  {:<16} {:>9.1}", "total", start.elapsed().as_secs_f64());
    println!("  {:<16} {:>9.1}", "close → results", tally_s);
    Ok(())
}

/// The campaign's "My Page": every candidate who enrolled a device publishes a page through
/// its own session (`PUT /v1/candidate/page`); in each wilayat, a voter who is not a candidate
/// asks the first candidate a question and the candidate answers. The pages and questions.
async fn my_pages(
    api: &Api<HttpTransport>,
    (checked, setup): (&Election, &Arc<sawt_client::setup::Setup>),
    voters: &[(sawt_registry::CivilNumber, WilayatId)],
    devices: &[(Device, u64)],
    accepted: &BTreeMap<sawt_registry::CivilNumber, (String, Names)>,
    store: &DeviceKeystore,
) -> anyhow::Result<(usize, usize)> {
    use sawt_client::transport::Request;
    let session = |i: usize| {
        let (d, idx) = devices[i].clone();
        let mut v = Voter::with_setup(api.clone(), checked.clone(), setup.clone(), d);
        async move {
            v.adopt_enrolment(idx).await?;
            anyhow::Ok(v.session(store).await?.token)
        }
    };
    let (mut pages, mut questions) = (0, 0);
    let mut asked: std::collections::HashSet<&WilayatId> = std::collections::HashSet::new();
    for (i, (civil, w)) in voters.iter().enumerate() {
        let Some((id, name)) = accepted.get(civil) else {
            continue;
        };
        let token = session(i).await?;
        let text = |ar: &str, en: &str| serde_json::json!({"ar": ar, "en": en});
        let page = serde_json::json!({
            "name": {"ar": name.ar, "en": name.en},
            "cv": text("مهندس، عضو في المجلس البلدي", "Engineer; municipal council member"),
            "qualifications": text("بكالوريوس هندسة", "BSc in engineering"),
            "programme": text("الطرق والمدارس والمياه في الولاية", "Roads, schools and water for the wilayat"),
        });
        api.call(
            Request::put_json("/v1/candidate/page", serde_json::to_vec(&page)?).with_bearer(&token),
        )
        .await
        .with_context(|| format!("{id}'s page"))?;
        pages += 1;
        // A voter of the same wilayat who is not a candidate asks; the candidate answers.
        if !asked.insert(w) {
            continue;
        }
        let Some(k) = voters
            .iter()
            .position(|(c, v)| v == w && !accepted.contains_key(c))
        else {
            continue;
        };
        let voter = session(k).await?;
        let ask = serde_json::json!({"question": "ما خطتك للمياه؟ What is your plan for water?"});
        #[derive(serde::Deserialize)]
        struct Created {
            id: u64,
        }
        let q: Created = api
            .json(
                Request::post_json(
                    format!("/v1/candidates/{id}/questions"),
                    serde_json::to_vec(&ask)?,
                )
                .with_bearer(&voter),
            )
            .await
            .with_context(|| format!("a question to {id}"))?;
        let answer = serde_json::json!({"answer": "محطة تحلية جديدة. A new desalination plant."});
        api.call(
            Request::post_json(
                format!("/v1/candidate/questions/{}/answer", q.id),
                serde_json::to_vec(&answer)?,
            )
            .with_bearer(&token),
        )
        .await
        .with_context(|| format!("{id}'s answer"))?;
        questions += 1;
    }
    Ok((pages, questions))
}

/// A progress bar on standard error for a long step (hidden when it is not a terminal).
fn progress(len: u64, what: &'static str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{spinner}} {what} [{{bar:40}}] {{pos}}/{{len}} ({{eta}})"
        ))
        .expect("a valid template"),
    );
    bar
}

/// A random choice: up to `votes_per_voter` distinct candidates, the earlier ones more often.
fn random_choice(c: &Contest) -> Vec<String> {
    let mut rng = sawt_crypto::rng::os_rng();
    let n = c.candidates.len() as u64;
    let wanted = (rng.next_u64() % (u64::from(c.votes_per_voter) + 1)).max(
        if rng.next_u64().is_multiple_of(10) {
            0
        } else {
            1
        },
    );
    let mut picks: Vec<String> = Vec::new();
    while (picks.len() as u64) < wanted.min(n) {
        let k = ((rng.next_u64() % (n * n)) as f64).sqrt() as u64;
        let id = c.candidates[(n - 1 - k.min(n - 1)) as usize].id.clone();
        if !picks.contains(&id) {
            picks.push(id);
        }
    }
    picks
}

/// Each witness checks the board's latest head against the last it cosigned and cosigns it.
async fn cosign(
    api: &Api<HttpTransport>,
    election: &Election,
    witnesses: &[SigningKey],
    e: [u8; 32],
) -> anyhow::Result<()> {
    let head = api.fresh_head().await?;
    election.check_head("R1", &head.signed)?;
    let size = head.signed.head.size;
    let proof = api.consistency(0, size).await?;
    for k in witnesses {
        let mut w = sawt_board::witness::Witness::new(k.clone(), *election.board_key(), e, None);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis() as u64;
        let c = w.cosign(&head.signed, &proof, now)?;
        api.call(sawt_client::transport::Request::post_json(
            format!("/v1/board/heads/{size}/cosignatures"),
            serde_json::to_vec(&c)?,
        ))
        .await?;
    }
    Ok(())
}
