//! The mix-net tally through the board over HTTP (`sawt::mixnet_tally`), with the key
//! generation run by the trustees over HTTP too (`sawt::keygen`): three mixers in turn, two
//! of three trustees decrypt the last list, the authority counts and publishes; in a second
//! contest a mixer posts a stage that does not follow from the one before, and the cascade
//! stops there, naming it.

use std::time::{Duration, Instant};

use sawt::mixnet_tally::MixRecord;
use sawt::tally::{self, Author};
use sawt_client::Api;
use sawt_client::election::Election;
use sawt_client::transport::HttpTransport;
use sawt_election::ballot::Ballot;
use sawt_election::entry::{ENTRY_FORMAT, Entry, EntryBody};
use sawt_election::keys::{Hex32, PublicKeyHex};
use sawt_election::manifest::{Authorities, Candidate, KeyHolder, Names, TallyMethod};
use sawt_server::clock::Clock as _;
use sawt_server::scenario::{board_for, party_key, voter_key};

fn pk(seed: u8) -> PublicKeyHex {
    PublicKeyHex::from_key(&party_key(seed).verifying_key())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_mixers_then_two_trustees_and_a_cheating_mixer_named() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("m.db").display());
    let mut manifest = sawt_registry::sample::manifest(
        Authorities {
            election_authority: pk(1),
            registrar: pk(2),
            board_operator: pk(3),
        },
        2,
    );
    for c in &mut manifest.contests {
        c.tally = TallyMethod::Mixnet;
        c.seats = 1;
        c.votes_per_voter = 1;
        c.candidates = (1..=3)
            .map(|k| Candidate {
                id: format!("{}-{k}", c.id),
                name: Names {
                    ar: format!("مرشح {k}"),
                    en: format!("Candidate {k}"),
                },
                ballot_order: k,
            })
            .collect();
    }
    manifest.mixers = (1..=3u8)
        .map(|i| KeyHolder {
            index: u32::from(i),
            name: Names {
                ar: format!("خالط {i}"),
                en: format!("Mixer {i}"),
            },
            key: pk(120 + i),
        })
        .collect();
    manifest.validate().unwrap();
    let (board, clock, e) = board_for(&url, &manifest).await.unwrap();
    let w = manifest.windows.clone();
    let (base, server) = sawt_server::app::serve_on_loopback(board.clone())
        .await
        .unwrap();
    let api = Api::new(HttpTransport::new(&base).unwrap());
    let election = Election::from_manifest_entry(e, &api.entry(0).await.unwrap()).unwrap();

    // The key generation: three trustees at once, over HTTP.
    clock.set(w.key_generation.start_ms);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 1..=3u32 {
        let (api, election) = (api.clone(), election.clone());
        tasks.spawn(async move {
            let me = Author::new(e, party_key(100 + i as u8));
            let s = sawt::keygen::take_part(
                &api,
                &election,
                &me,
                i,
                deadline,
                Duration::from_millis(50),
            )
            .await
            .unwrap();
            (i, s)
        });
    }
    let mut shares = Vec::new();
    while let Some(r) = tasks.join_next().await {
        shares.push(r.unwrap());
    }
    shares.sort_by_key(|(i, _)| *i);
    let authority = Author::new(e, party_key(1));
    let outcome = sawt::keygen::post_joint_key(&api, &election, &authority)
        .await
        .unwrap();
    let h = outcome.joint_key.prepare();

    // Voters of both contests; one votes twice.
    clock.set(w.campaign.start_ms);
    let sign = |author: &ed25519_dalek::SigningKey, body: EntryBody| {
        Entry {
            format: ENTRY_FORMAT.into(),
            election: Hex32(e),
            author: PublicKeyHex::from_key(&author.verifying_key()),
            timestamp_ms: clock.now_ms(),
            body,
        }
        .sign(author)
        .unwrap()
        .canonical_bytes()
        .unwrap()
    };
    let plan: Vec<(usize, usize)> = vec![(0, 0), (0, 0), (0, 1), (0, 2), (1, 0), (1, 1)];
    let voters: Vec<_> = (0..plan.len() as u64).map(voter_key).collect();
    for (v, (c, _)) in voters.iter().zip(&plan) {
        api.submit(&sign(
            &party_key(2),
            EntryBody::CredentialEnrolment {
                credential: PublicKeyHex::from_key(&v.verifying_key()),
                wilayat: manifest.contests[*c].wilayat.clone(),
            },
        ))
        .await
        .unwrap();
    }
    clock.set(w.voting_abroad.start_ms);
    let cast = |k: usize, candidate: usize| {
        let contest = &manifest.contests[plan[k].0];
        let (ballot, _) = Ballot::encrypt_with_rng(
            e,
            contest,
            &h,
            &PublicKeyHex::from_key(&voters[k].verifying_key()),
            &[contest.candidates[candidate].id.clone()],
            &mut sawt_crypto::rng::os_rng(),
        )
        .unwrap();
        sign(&voters[k], EntryBody::Ballot(ballot))
    };
    let mut ballots: Vec<Vec<u8>> = plan
        .iter()
        .enumerate()
        .map(|(k, (_, c))| cast(k, *c))
        .collect();
    // Voter 3 first voted for candidate 1; its later ballot (candidate 3) counts.
    ballots.insert(0, cast(3, 0));
    for b in &ballots {
        api.submit(b).await.unwrap();
    }

    clock.set(w.voting_home.end_ms);
    tally::close(&api, &authority).await.unwrap();
    let counted = tally::count(&api, &manifest).await.unwrap();
    let honest = manifest.contests[0].id.clone();
    let cheated = manifest.contests[1].id.clone();
    assert_eq!(counted.lists[&honest].len(), 4);

    // The honest contest: three mixers in turn; mixer 3 cannot go before mixer 2.
    let mixer = |i: u32| Author::new(e, party_key(120 + i as u8));
    let mix = |i: u32, contest: String| {
        let (api, manifest, counted, h, mixer) = (&api, &manifest, &counted, &h, mixer(i));
        async move {
            // Each mixer reads the entries after the close when it starts.
            let record = MixRecord::read(api, manifest, counted).await?;
            sawt::mixnet_tally::mix(api, &mixer, i, manifest, (counted, &record), h, &contest).await
        }
    };
    mix(1, honest.clone()).await.unwrap();
    let err = mix(3, honest.clone()).await.unwrap_err();
    assert!(err.to_string().contains("mixer 3 comes 3"), "{err}");
    mix(2, honest.clone()).await.unwrap();
    mix(3, honest.clone()).await.unwrap();
    let record = MixRecord::read(&api, &manifest, &counted).await.unwrap();
    for (i, s) in shares.iter().filter(|(i, _)| *i != 2) {
        let trustee = Author::new(e, party_key(100 + *i as u8));
        let read = (&counted, &record);
        sawt::mixnet_tally::post_share(&api, &trustee, s, &manifest, read, &honest)
            .await
            .unwrap();
    }
    let record = MixRecord::read(&api, &manifest, &counted).await.unwrap();
    let published = sawt::mixnet_tally::publish(
        &api,
        &authority,
        &manifest,
        (&counted, &record),
        &honest,
        true,
    )
    .await
    .unwrap();
    assert_eq!(published.totals, vec![2, 1, 1]);
    assert_eq!(
        published.elected,
        vec![manifest.contests[0].candidates[0].id.clone()]
    );

    // The other contest: mixer 2 shuffles the counted list again instead of mixer 1's
    // output. Its proof verifies for that list, not for the stage before: the next mixer and
    // every trustee refuse to go on, naming mixer 2.
    mix(1, cheated.clone()).await.unwrap();
    let input = sawt_crypto::list::CiphertextList::new(1, counted.lists[&cheated].clone()).unwrap();
    let (output, proof) = sawt_crypto::shuffle::shuffle_with_rng(
        &sawt::mixnet_tally::mix_context(&e, &cheated),
        2,
        &h,
        &input,
        &mut sawt_crypto::rng::os_rng(),
    )
    .unwrap();
    let output = api
        .put_attachment("ciphertext-list", output.to_bytes())
        .await
        .unwrap();
    let proof = api
        .put_attachment("shuffle-proof", proof.to_bytes())
        .await
        .unwrap();
    api.submit(
        &mixer(2)
            .sign(EntryBody::MixStage {
                contest: cheated.clone(),
                mixer: 2,
                output,
                proof,
            })
            .unwrap(),
    )
    .await
    .unwrap();
    let err = format!("{:#}", mix(3, cheated.clone()).await.unwrap_err());
    assert!(err.contains("mixer 2"), "{err}");
    let (i, s) = &shares[0];
    let record = MixRecord::read(&api, &manifest, &counted).await.unwrap();
    let err = sawt::mixnet_tally::post_share(
        &api,
        &Author::new(e, party_key(100 + *i as u8)),
        s,
        &manifest,
        (&counted, &record),
        &cheated,
    )
    .await
    .unwrap_err();
    assert!(format!("{err:#}").contains("mixer 2"), "{err:#}");
    server.abort();
}
