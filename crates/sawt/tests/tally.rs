//! The homomorphic tally through the board over HTTP (`sawt::tally`): only the last ballot of
//! each enrolled, unrevoked credential counts; a trustee is absent and another posts a share
//! whose proof fails (skipped); candidates tie across the last seat and the draw, posted on
//! the board, is recomputed here from the record alone.

use sawt::tally::{self, Author};
use sawt_client::Api;
use sawt_client::transport::HttpTransport;
use sawt_election::entry::EntryBody;
use sawt_election::keys::PublicKeyHex;
use sawt_election::results::{draw_order, draw_seed};
use sawt_server::scenario::{Scenario, party_key, voter_key};

#[tokio::test(flavor = "multi_thread")]
async fn last_ballots_count_an_absent_and_a_cheating_trustee_and_a_tie_drawn_by_lot() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let s = Scenario::new(&url, 2, Some(3)).await.unwrap();
    let contest = s.manifest.contests[0].clone();
    let wilayat = contest.wilayat.clone();
    let c = |k: usize| contest.candidates[k].id.clone();
    // Choices whose last-ballot totals tie across the last seat: with one seat, c1 and c2
    // tie; with two, c1 leads and c2 and c3 tie for the second.
    let plan: Vec<Vec<String>> = if contest.seats == 1 {
        vec![vec![c(0)], vec![c(0)], vec![c(1)], vec![c(1)], vec![c(2)]]
    } else {
        vec![
            vec![c(0), c(1)],
            vec![c(0), c(2)],
            vec![c(0)],
            vec![c(1), c(2)],
            vec![],
        ]
    };
    let voters: Vec<_> = (0..7u64).map(voter_key).collect();
    let creds: Vec<PublicKeyHex> = voters
        .iter()
        .map(|k| PublicKeyHex::from_key(&k.verifying_key()))
        .collect();
    s.enrol(&creds, &wilayat).await.unwrap();
    s.open_voting();
    let cast = |k: usize, choice: &[String]| {
        let (bytes, _) = s.ballot(&voters[k], &wilayat, choice).unwrap();
        bytes
    };
    for (k, choice) in plan.iter().enumerate() {
        s.board.submit(&cast(k, choice)).await.unwrap();
    }
    // Voter 5 votes twice: only the second counts. Voter 6 votes, then its credential is
    // revoked: its ballot never counts.
    s.board.submit(&cast(5, &[c(2)])).await.unwrap();
    s.board.submit(&cast(5, &[])).await.unwrap();
    s.board.submit(&cast(6, &[c(2)])).await.unwrap();
    s.board
        .submit(&s.sign(
            &party_key(2),
            EntryBody::CredentialRevocation {
                credential: creds[6].clone(),
                reason: "lost phone".into(),
            },
        ))
        .await
        .unwrap();

    let (base, server) = sawt_server::app::serve_on_loopback(s.board.clone())
        .await
        .unwrap();
    let api = Api::new(HttpTransport::new(&base).unwrap());
    s.clock.set(s.manifest.windows.voting_home.end_ms);
    let authority = Author::new(s.election, party_key(1));
    let close = tally::close(&api, &authority).await.unwrap();
    let counted = tally::count(&api, &s.manifest).await.unwrap();
    assert_eq!(counted.rule.counted(), plan.len() + 1);
    tally::post_tallies(&api, &authority, &s.manifest, &counted)
        .await
        .unwrap();
    let (posted, _) = tally::tallies_and_shares(&api, &s.manifest, counted.after_close())
        .await
        .unwrap();
    // A tally that would decrypt a ballot (posted as the sum of a contest nobody voted in)
    // is refused by every trustee before anything is decrypted.
    let other = s.manifest.contests[1].id.clone();
    assert!(counted.sums[&other].0.is_empty());
    let EntryBody::Ballot(b) = Scenario::decode(&cast(0, &plan[0])).entry.body else {
        panic!("a ballot")
    };
    let mut forged = posted.clone();
    forged.insert(
        other,
        vec![sawt_election::entry::TallySum::from(*b.ciphertexts()[0])],
    );
    let err = tally::post_shares(
        &api,
        &Author::new(s.election, party_key(103)),
        &s.shares[2],
        &s.election,
        &counted,
        &forged,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("not the sum"), "{err}");
    // Trustee 2 posts a share whose proof fails; trustee 3 is absent; trustee 1 is honest.
    // With a threshold of two, publishing fails until a second valid share is there.
    let share_of = |i: usize| &s.shares[i - 1];
    let trustee = |i: u8| Author::new(s.election, party_key(100 + i));
    tally::post_shares(
        &api,
        &trustee(1),
        share_of(1),
        &s.election,
        &counted,
        &posted,
    )
    .await
    .unwrap();
    let mut bad = share_of(2).decrypt_with_rng(
        &tally::tally_context(&s.election, &contest.id),
        &posted[&contest.id]
            .iter()
            .map(|t| t.ciphertext())
            .collect::<Vec<_>>(),
        &mut sawt_crypto::rng::os_rng(),
    );
    bad.shares[0] = bad.shares[1];
    api.submit(
        &trustee(2)
            .sign(EntryBody::DecryptionShares {
                contest: contest.id.clone(),
                shares: bad,
            })
            .unwrap(),
    )
    .await
    .unwrap();
    let err = tally::publish(&api, &authority, &s.manifest, &counted, true)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("valid decryption shares"), "{err}");
    // Trustee 2 posts an honest share after all.
    tally::post_shares(
        &api,
        &trustee(2),
        share_of(2),
        &s.election,
        &counted,
        &posted,
    )
    .await
    .unwrap();
    let published = tally::publish(&api, &authority, &s.manifest, &counted, true)
        .await
        .unwrap();
    server.abort();

    // The totals: the last ballot of each counting credential.
    let result = published.iter().find(|p| p.contest == contest.id).unwrap();
    let mut expected = vec![0u64; contest.candidates.len()];
    for choice in &plan {
        for id in choice {
            expected[contest.candidates.iter().position(|k| &k.id == id).unwrap()] += 1;
        }
    }
    assert_eq!(result.totals, expected);
    // The draw, recomputed from the record alone: the root at the close.
    let mut tree = sawt_board::tree::MemoryTree::new();
    let mut draws = Vec::new();
    let mut results = Vec::new();
    let size = s.board.store().size();
    for e in s.board.store().entries(0..size).await.unwrap() {
        if e.index <= close {
            tree.push(&e.body);
        }
        match sawt_election::entry::SignedEntry::decode(&e.body)
            .unwrap()
            .entry
            .body
        {
            EntryBody::TieBreakDraw {
                contest: k,
                tied,
                seed,
                order,
            } if k == contest.id => draws.push((tied, seed, order)),
            EntryBody::Result {
                contest: k,
                elected,
                r#final,
                ..
            } if k == contest.id => results.push((elected, r#final)),
            _ => {}
        }
    }
    let seed = draw_seed(&s.election, &contest.id, close + 1, &tree.root());
    let [(tied, posted_seed, order)] = draws.as_slice() else {
        panic!("one draw expected: {draws:?}")
    };
    assert_eq!(posted_seed.0, seed);
    assert_eq!(order, &draw_order(&seed, tied));
    assert_eq!(tied.len(), 2);
    let [(elected, true)] = results.as_slice() else {
        panic!("one final result expected")
    };
    assert_eq!(elected.len(), contest.seats as usize);
    assert_eq!(elected.last(), order.first());
}
