//! Candidate lists published after the manifest (election.md §3.4): who may publish them and
//! when, every rule a list must obey, and the contest ballots then see.

mod common;

use common::{shura, signing_key};
use sawt_election::candidates::PublishedLists;
use sawt_election::entry::*;
use sawt_election::keys::{Hex32, PublicKeyHex};
use sawt_election::manifest::{Candidate, Manifest, Names, TallyMethod};

fn candidate(id: &str, order: u32) -> Candidate {
    Candidate {
        id: id.into(),
        name: Names {
            ar: "مرشحة".into(),
            en: "Candidate".into(),
        },
        ballot_order: order,
    }
}

/// The national manifest with the first contest's candidates left for a list.
fn manifest() -> Manifest {
    let mut m = shura();
    m.contests[0].candidates.clear();
    m.validate()
        .expect("a contest may leave its candidates to a list");
    m
}

#[test]
fn a_list_obeys_the_manifests_rules() {
    let m = manifest();
    let deferred = m.contests[0].id.clone();
    let fixed = m.contests[1].id.clone();
    let taken = m.contests[1].candidates[0].id.clone();
    let lists = PublishedLists::new();
    let good = vec![candidate("new-1", 1), candidate("new-2", 2)];
    assert!(lists.check(&m, &deferred, &good).is_ok());
    assert!(lists.check(&m, "atlantis", &good).is_err());
    assert!(
        lists.check(&m, &fixed, &good).is_err(),
        "the manifest has its candidates"
    );
    assert!(lists.check(&m, &deferred, &[]).is_err());
    assert!(
        lists
            .check(&m, &deferred, &[candidate("new-1", 2)])
            .is_err()
    );
    assert!(lists.check(&m, &deferred, &[candidate(&taken, 1)]).is_err());
    assert!(
        lists
            .check(&m, &deferred, &[candidate("a", 1), candidate("a", 2)])
            .is_err()
    );
    assert!(lists.check(&m, &deferred, &[candidate("", 1)]).is_err());
    let mut nameless = candidate("b", 1);
    nameless.name.ar.clear();
    assert!(lists.check(&m, &deferred, &[nameless]).is_err());

    let mut lists = lists;
    assert!(lists.contest(&m, &deferred).unwrap().candidates.is_empty());
    lists.insert(&deferred, good.clone());
    assert!(
        lists.check(&m, &deferred, &good).is_err(),
        "once per contest"
    );
    assert_eq!(lists.contest(&m, &deferred).unwrap().candidates, good);
    assert_eq!(
        lists
            .contest_of(&m, &m.contests[0].wilayat)
            .unwrap()
            .candidates,
        good
    );
    // Identifiers stay unique across lists too.
    let mut m2 = m.clone();
    m2.contests[2].candidates.clear();
    let other = m2.contests[2].id.clone();
    assert!(lists.check(&m2, &other, &[candidate("new-1", 1)]).is_err());
    assert!(lists.check(&m2, &other, &[candidate("new-3", 1)]).is_ok());
}

#[test]
fn a_mixnet_list_is_bounded() {
    let mut m = manifest();
    m.contests[0].tally = TallyMethod::Mixnet;
    let too_many: Vec<Candidate> = (1..=(sawt_crypto::mixnet::MAX_CANDIDATES + 1))
        .map(|i| candidate(&format!("m{i}"), i))
        .collect();
    assert!(
        PublishedLists::new()
            .check(&m, &m.contests[0].id, &too_many)
            .is_err()
    );
}

#[test]
fn only_the_authority_publishes_after_candidacy_before_voting() {
    let m = manifest();
    let election = m.hash().unwrap();
    let w = &m.windows;
    let body = EntryBody::CandidateList {
        contest: m.contests[0].id.clone(),
        candidates: vec![candidate("new-1", 1)],
    };
    let signed = |seed: u8| {
        let k = signing_key(seed);
        Entry {
            format: ENTRY_FORMAT.into(),
            election: Hex32(election),
            author: PublicKeyHex::from_key(&k.verifying_key()),
            timestamp_ms: w.campaign.start_ms,
            body: body.clone(),
        }
        .sign(&k)
        .unwrap()
    };
    let by_authority = signed(1);
    assert_eq!(by_authority.entry.body.kind(), "candidate-list");
    let ok = |e: &SignedEntry, at: u64, closed: bool| authorise(&m, &election, e, at, closed);
    ok(&by_authority, w.candidacy.end_ms, false).unwrap();
    ok(&by_authority, w.voting_abroad.start_ms - 1, false).unwrap();
    assert!(ok(&by_authority, w.candidacy.end_ms - 1, false).is_err());
    assert!(ok(&by_authority, w.voting_abroad.start_ms, false).is_err());
    assert!(ok(&by_authority, w.campaign.start_ms, true).is_err());
    assert!(
        ok(&signed(2), w.campaign.start_ms, false).is_err(),
        "the registrar"
    );
    // Canonical round trip.
    let bytes = by_authority.canonical_bytes().unwrap();
    assert_eq!(SignedEntry::decode(&bytes).unwrap(), by_authority);
}

#[test]
fn window_extensions_move_the_phases() {
    use sawt_election::entry::WindowExtension;
    let m = manifest();
    let w = m.windows.clone();
    let reason = Names {
        ar: "إقبال كبير".into(),
        en: "High turnout".into(),
    };
    let ext = |window: &str, new_end_ms: u64| WindowExtension {
        window: window.into(),
        new_end_ms,
        reason: reason.clone(),
    };
    let during = w.voting_home.start_ms + 1;
    let later = w.voting_home.end_ms + 3_600_000;
    // X1–X5.
    let mut x = w.clone();
    assert!(x.extend(&ext("polling", later), during).is_err());
    assert!(
        x.extend(&ext("voting_home", later), w.voting_home.end_ms)
            .is_err(),
        "ended"
    );
    assert!(
        x.extend(&ext("voting_home", w.voting_home.end_ms), during)
            .is_err(),
        "not later"
    );
    assert!(
        x.extend(
            &ext("voting_abroad", w.voting_home.start_ms + 1),
            w.voting_abroad.start_ms
        )
        .is_err(),
        "into the next window"
    );
    let mut silent = ext("voting_home", later);
    silent.reason.ar.clear();
    assert!(x.extend(&silent, during).is_err());
    assert_eq!(x, w, "refusals change nothing");
    x.extend(&ext("voting_home", later), during).unwrap();
    assert_eq!(x.voting_home.end_ms, later);
    // The phase follows the extended windows.
    let at = w.voting_home.end_ms + 1;
    assert_eq!(phase_at(&m, at, false), Phase::Closing);
    assert_eq!(phase_in(&x, at, false), Phase::VotingHome);
    assert_eq!(phase_in(&x, later, false), Phase::Closing);
}
