//! The homomorphic tally through the board, as the election authority and the trustees run it
//! against the service over HTTP (election.md §5.10–§5.11): the authority closes voting, sums
//! the counted ballots of each homomorphic contest and posts the sums; each trustee checks
//! the sums against the record and posts its decryption shares with their proof; the
//! authority combines `t` valid shares, allocates the seats, draws any tie by lot, and posts
//! the results. Everything is read from the board and everything it writes goes through the
//! board's gate; nothing here trusts the service.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context as _, bail, ensure};
use ed25519_dalek::SigningKey;
use sawt_client::Api;
use sawt_client::transport::Transport;
use sawt_crypto::dkg::{KeyGenOutcome, KeyGenParams};
use sawt_crypto::dlog::DlogTable;
use sawt_crypto::threshold::{DecryptionShare, TrusteeKeyShare, decrypt_small};
use sawt_crypto::{Ciphertext, Context};
use sawt_election::ballot_view::{BallotView, ReadEntry, read_entry};
use sawt_election::entry::{
    ENTRY_FORMAT, Entry, EntryBody, EntryError, Role, SignedEntry, TallySum, role_of,
};
use sawt_election::keys::{Hex32, PublicKeyHex};
use sawt_election::manifest::{Contest, Manifest, TallyMethod};
use sawt_election::results;
use sawt_election::tally::CountingRule;

/// A key holder that signs entries of one election.
pub struct Author {
    election: [u8; 32],
    key: SigningKey,
}

impl Author {
    /// `key`, signing for `election`.
    pub fn new(election: [u8; 32], key: SigningKey) -> Self {
        Author { election, key }
    }

    /// The canonical bytes of `body` signed now.
    pub fn sign(&self, body: EntryBody) -> anyhow::Result<Vec<u8>> {
        let at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis() as u64;
        Ok(Entry {
            format: ENTRY_FORMAT.into(),
            election: Hex32(self.election),
            author: PublicKeyHex::from_key(&self.key.verifying_key()),
            timestamp_ms: at,
            body,
        }
        .sign(&self.key)?
        .canonical_bytes()?)
    }
}

/// The decryption context of a contest's tally: `Context(E).with("tally", contest)`.
pub fn tally_context(election: &[u8; 32], contest: &str) -> Context {
    Context::new(election).with(b"tally", contest.as_bytes())
}

/// Calls `f` on the bytes of every entry in `range`, a page at a time; a page longer than
/// asked is refused.
async fn pages<T: Transport>(
    api: &Api<T>,
    range: std::ops::Range<u64>,
    mut f: impl FnMut(u64, Vec<u8>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let (mut at, size) = (range.start, range.end);
    while at < size {
        let asked = (size - at).min(1000);
        let page = api.entries(at, asked).await?;
        ensure!(
            !page.is_empty() && page.len() as u64 <= asked,
            "the board served {} entries at {at} for {asked} asked",
            page.len()
        );
        for bytes in page {
            f(at, bytes)?;
            at += 1;
        }
    }
    Ok(())
}

/// A head of the committed size, signed by the manifest's board operator for this election.
pub async fn signed_head<T: Transport>(
    api: &Api<T>,
    manifest: &Manifest,
) -> anyhow::Result<sawt_board::head::SignedTreeHead> {
    let h = api.fresh_head().await?.signed;
    h.verify(&manifest.authorities.board_operator.verifying_key()?)
        .context("the board's head")?;
    ensure!(
        h.head.election == manifest.hash()?,
        "a head of another election"
    );
    Ok(h)
}

/// Calls `f` on every entry under `head`, in log order, as the tally reads it
/// ([`sawt_election::ballot_view`]: every signature checked, ballots' ciphertexts left
/// compressed), and checks that the entries read hash to the head's root: what is read is
/// the record the board signed, not whatever the service chose to show (a tally computed
/// from anything else could make the trustees decrypt a ballot). Pages are read while the
/// previous one is decoded on every core.
pub async fn read_record<T: Transport>(
    api: &Api<T>,
    head: &sawt_board::head::SignedTreeHead,
    mut f: impl FnMut(u64, ReadEntry) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let size = head.head.size;
    let mut tree = sawt_board::tree::MemoryTree::new();
    let fetch = |at: u64| async move {
        let mut page = Vec::new();
        if at < size {
            pages(api, at..(at + PAGE).min(size), |_, bytes| {
                page.push(bytes);
                Ok(())
            })
            .await?;
        }
        anyhow::Ok(page)
    };
    let mut at = 0;
    let mut page = fetch(0).await?;
    while !page.is_empty() {
        let n = page.len() as u64;
        let decode = tokio::task::spawn_blocking(move || read_page(&page));
        let (decoded, next) = tokio::join!(decode, fetch(at + n));
        for (k, (leaf, e)) in decoded?.into_iter().enumerate() {
            let e = e.with_context(|| format!("entry {}", at + k as u64))?;
            tree.push_leaf_hash(leaf);
            f(at + k as u64, e)?;
        }
        at += n;
        page = next?;
    }
    ensure!(
        at == size && tree.root() == head.head.root,
        "the entries served are not the record the board signed (size {size})"
    );
    Ok(())
}

/// A page of entries read on every core: each one's leaf hash and how the tally reads it
/// ([`read_entry`]), in order.
pub fn read_page(page: &[Vec<u8>]) -> Vec<(sawt_board::hash::Hash, Result<ReadEntry, EntryError>)> {
    use rayon::prelude::*;
    page.par_iter()
        .map(|b| (sawt_board::hash::leaf_hash(b), read_entry(b)))
        .collect()
}

/// Entries asked of the board at a time.
const PAGE: u64 = 1000;

/// The entries of `[from, head size)` that `want` keeps, each proved in the tree of `head`
/// by an inclusion proof.
pub async fn entries_after<T: Transport>(
    api: &Api<T>,
    head: &sawt_board::head::SignedTreeHead,
    from: u64,
    want: impl Fn(&EntryBody) -> bool,
) -> anyhow::Result<Vec<(u64, SignedEntry)>> {
    let size = head.head.size;
    let mut kept = Vec::new();
    pages(api, from..size, |i, bytes| {
        let e = SignedEntry::decode(&bytes)?;
        if want(&e.entry.body) {
            kept.push((i, bytes, e));
        }
        Ok(())
    })
    .await?;
    let mut out = Vec::with_capacity(kept.len());
    for (i, bytes, e) in kept {
        api.inclusion(i, size)
            .await?
            .verify(&sawt_board::hash::leaf_hash(&bytes), size, &head.head.root)
            .with_context(|| format!("entry {i} is not in the record the board signed"))?;
        out.push((i, e));
    }
    Ok(out)
}

/// What the record holds for the tally: the counting rule, the key generation's outcome,
/// and each homomorphic contest's sums of counted ballots with their number.
pub struct Counted {
    /// The counting rule.
    pub rule: CountingRule,
    /// The key generation's outcome, recomputed from its entries.
    pub outcome: KeyGenOutcome,
    /// Per homomorphic contest: the sums, and how many ballots count.
    pub sums: BTreeMap<String, (Vec<Ciphertext>, u64)>,
    /// Per mix-net contest: the counted ballots' ciphertexts, row by row in log order (the
    /// cascade's input list, mixnet.md §6.4 item 3).
    pub lists: BTreeMap<String, Vec<Ciphertext>>,
    /// The candidate lists published on the board.
    pub published: sawt_election::candidates::PublishedLists,
    /// The record's size when read.
    pub size: u64,
}

impl Counted {
    /// A trustee's share must be the one the key generation on the board gave it: its
    /// verification key is `H_i` of the recomputed outcome.
    pub fn check_share(&self, share: &TrusteeKeyShare) -> anyhow::Result<()> {
        let vk = self
            .outcome
            .verification_keys
            .get((share.index() as usize).wrapping_sub(1));
        ensure!(
            vk == Some(share.verification_key()),
            "this key share is not trustee {}'s in the key generation on the board",
            share.index()
        );
        Ok(())
    }

    /// The first index after the close: the tally's entries all come later.
    pub fn after_close(&self) -> u64 {
        self.rule.close().map_or(self.size, |c| c + 1)
    }

    /// The contest as ballots see it: the manifest's, its published candidate list filled in.
    pub fn contest(&self, manifest: &Manifest, id: &str) -> anyhow::Result<Contest> {
        self.published
            .contest(manifest, id)
            .map(std::borrow::Cow::into_owned)
            .with_context(|| format!("no contest {id}"))
    }
}

/// Reads the record once: the counting rule, the key generation, the candidate lists, and
/// each credential's last ballot (compressed); then decodes and sums, on every core, only the
/// ballots that count.
pub async fn count<T: Transport>(api: &Api<T>, manifest: &Manifest) -> anyhow::Result<Counted> {
    count_showing(api, manifest, &indicatif::ProgressBar::hidden()).await
}

/// [`count`], showing the entries read on `bar` (its length set to the record's size).
pub async fn count_showing<T: Transport>(
    api: &Api<T>,
    manifest: &Manifest,
    bar: &indicatif::ProgressBar,
) -> anyhow::Result<Counted> {
    let head = signed_head(api, manifest).await?;
    let size = head.head.size;
    bar.set_length(size);
    let mut rule = CountingRule::new();
    let (mut anns, mut dealings, mut complaints) = (Vec::new(), Vec::new(), Vec::new());
    let mut published = sawt_election::candidates::PublishedLists::new();
    let mut keyed = false;
    // Each credential's last ballot before the close, with its index.
    let mut last: HashMap<[u8; 32], (u64, BallotView)> = HashMap::new();
    read_record(api, &head, |i, e| {
        bar.inc(1);
        let e = match e {
            ReadEntry::Ballot(b) => {
                if rule.close().is_none() {
                    rule.observe_ballot(i, &b.credential);
                    last.insert(b.credential, (i, b));
                }
                return Ok(());
            }
            ReadEntry::Other(e) => *e,
        };
        rule.observe(i, &e.entry.body);
        match e.entry.body {
            EntryBody::CandidateList {
                contest,
                candidates,
            } => published.insert(&contest, candidates),
            // The key is the outcome of the messages before the joint key (client.md C5).
            EntryBody::KeyGenAnnouncement(a) if !keyed => anns.push(a),
            EntryBody::KeyGenDealing(d) if !keyed => dealings.push(d),
            EntryBody::KeyGenComplaint(c) if !keyed => complaints.push(c),
            EntryBody::JointKey { .. } => keyed = true,
            _ => {}
        }
        Ok(())
    })
    .await?;
    ensure!(rule.close().is_some(), "voting is not closed on the board");
    let t = &manifest.trustees;
    let params = KeyGenParams::new(t.threshold, t.members.len() as u32)?;
    let election = manifest.hash()?;
    let outcome = KeyGenOutcome::compute(
        &params,
        &Context::new(&election),
        &anns,
        &dealings,
        &complaints,
    )?;
    // The counted ballots by contest, in log order.
    let mut by_contest: BTreeMap<&str, Vec<(u64, &BallotView)>> = BTreeMap::new();
    for (cred, (i, b)) in &last {
        if rule.counts(*i, cred) {
            by_contest.entry(&b.contest).or_default().push((*i, b));
        }
    }
    let mut sums = BTreeMap::new();
    let mut lists = BTreeMap::new();
    for c in &manifest.contests {
        let mut ballots = by_contest.remove(c.id.as_str()).unwrap_or_default();
        ballots.sort_unstable_by_key(|(i, _)| *i);
        let width = match c.tally {
            TallyMethod::Homomorphic => published
                .contest(manifest, &c.id)
                .map_or(0, |c| c.candidates.len()),
            TallyMethod::Mixnet => c.votes_per_voter as usize,
        };
        if let Some((i, b)) = ballots.iter().find(|(_, b)| b.ciphertexts.len() != width) {
            bail!(
                "entry {i}: a ballot of {} with {} ciphertexts, not {width}",
                c.id,
                b.ciphertexts.len()
            );
        }
        match c.tally {
            TallyMethod::Homomorphic => {
                let n = ballots.len() as u64;
                sums.insert(c.id.clone(), (sum_ballots(&ballots, width)?, n));
            }
            TallyMethod::Mixnet => {
                lists.insert(c.id.clone(), decode_ballots(&ballots)?);
            }
        }
    }
    Ok(Counted {
        rule,
        outcome,
        sums,
        lists,
        published,
        size,
    })
}

/// The position-wise sums of `ballots`' ciphertexts, decoded and added on every core (no
/// sums for no ballot).
fn sum_ballots(ballots: &[(u64, &BallotView)], width: usize) -> anyhow::Result<Vec<Ciphertext>> {
    use rayon::prelude::*;
    use sawt_crypto::RistrettoPoint;
    if ballots.is_empty() {
        return Ok(Vec::new());
    }
    let zero = || vec![(RistrettoPoint::default(), RistrettoPoint::default()); width];
    let add = |mut s: Vec<(RistrettoPoint, RistrettoPoint)>,
               t: Vec<(RistrettoPoint, RistrettoPoint)>| {
        for (a, b) in s.iter_mut().zip(t) {
            a.0 += b.0;
            a.1 += b.1;
        }
        s
    };
    let sums = ballots
        .par_chunks(256)
        .map(|chunk| {
            let mut s = zero();
            for (i, b) in chunk {
                let cts = b
                    .decode_ciphertexts()
                    .with_context(|| format!("entry {i}: a ciphertext"))?;
                for (acc, c) in s.iter_mut().zip(cts) {
                    acc.0 += c.alpha().point();
                    acc.1 += c.beta().point();
                }
            }
            anyhow::Ok(s)
        })
        .try_reduce(zero, |s, t| Ok(add(s, t)))?;
    Ok(sums
        .into_iter()
        .map(|(a, b)| Ciphertext::from_sum(a.into(), b.into()))
        .collect())
}

/// `ballots`' ciphertexts decoded on every core, ballot by ballot in order, row by row.
fn decode_ballots(ballots: &[(u64, &BallotView)]) -> anyhow::Result<Vec<Ciphertext>> {
    use rayon::prelude::*;
    let rows = ballots
        .par_iter()
        .map(|(i, b)| {
            b.decode_ciphertexts()
                .with_context(|| format!("entry {i}: a ciphertext"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(rows.into_iter().flatten().collect())
}

/// The authority closes voting: the close entry names its own index; its index.
pub async fn close<T: Transport>(api: &Api<T>, authority: &Author) -> anyhow::Result<u64> {
    // The close must be the next entry: its index is the committed size now.
    let committed = api.fresh_head().await?.signed.head.size;
    let index = api
        .submit(&authority.sign(EntryBody::Close {
            ballots_until: committed,
        })?)
        .await
        .context("posting the close")?;
    Ok(index)
}

/// The authority posts each homomorphic contest's sums (a contest with no counted ballot
/// gets one trivial sum per candidate); the entries' indices by contest.
pub async fn post_tallies<T: Transport>(
    api: &Api<T>,
    authority: &Author,
    manifest: &Manifest,
    counted: &Counted,
) -> anyhow::Result<BTreeMap<String, u64>> {
    let mut out = BTreeMap::new();
    for (contest, (sums, _)) in &counted.sums {
        let candidates = counted.contest(manifest, contest)?.candidates.len();
        let sums: Vec<TallySum> = if sums.is_empty() {
            vec![TallySum::from(Ciphertext::sum(&[])); candidates.max(1)]
        } else {
            sums.iter().map(|c| TallySum::from(*c)).collect()
        };
        let index = api
            .submit(&authority.sign(EntryBody::Tally {
                contest: contest.clone(),
                sums,
            })?)
            .await
            .with_context(|| format!("posting the tally of {contest}"))?;
        out.insert(contest.clone(), index);
    }
    Ok(out)
}

/// A trustee decrypts every homomorphic contest's sums, after recomputing them from the
/// record (it never decrypts what the authority posted without checking it), and posts its
/// shares with their proof; the number of contests.
pub async fn post_shares<T: Transport>(
    api: &Api<T>,
    trustee: &Author,
    share: &TrusteeKeyShare,
    election: &[u8; 32],
    counted: &Counted,
    posted: &BTreeMap<String, Vec<TallySum>>,
) -> anyhow::Result<usize> {
    let mut rng = sawt_crypto::rng::os_rng();
    counted.check_share(share)?;
    // Every contest's posted sums are checked before anything is decrypted.
    let mut checked = Vec::with_capacity(counted.sums.len());
    for (contest, (sums, _)) in &counted.sums {
        let ours: Vec<TallySum> = sums.iter().map(|c| TallySum::from(*c)).collect();
        let theirs = posted
            .get(contest)
            .with_context(|| format!("no tally of {contest} on the board"))?;
        // With no counted ballot, only trivial sums: anything else would decrypt ballots.
        let trivial = TallySum::from(Ciphertext::sum(&[]));
        let agrees = if sums.is_empty() {
            theirs.iter().all(|s| s == &trivial)
        } else {
            &ours == theirs
        };
        if !agrees {
            bail!("the tally of {contest} on the board is not the sum of its counted ballots");
        }
        checked.push((contest, theirs));
    }
    for (contest, theirs) in checked {
        let cts: Vec<Ciphertext> = theirs.iter().map(TallySum::ciphertext).collect();
        let d = share.decrypt_with_rng(&tally_context(election, contest), &cts, &mut rng);
        api.submit(&trustee.sign(EntryBody::DecryptionShares {
            contest: contest.clone(),
            shares: d,
        })?)
        .await
        .with_context(|| format!("posting the shares of {contest}"))?;
    }
    Ok(counted.sums.len())
}

/// The tally entries and decryption shares on the board, by contest.
pub async fn tallies_and_shares<T: Transport>(
    api: &Api<T>,
    manifest: &Manifest,
    from: u64,
) -> anyhow::Result<(
    BTreeMap<String, Vec<TallySum>>,
    BTreeMap<String, Vec<DecryptionShare>>,
)> {
    // Tally entries and shares follow the close: read from `from` (an index after it), each
    // proved in the signed record and by its author's role.
    let head = signed_head(api, manifest).await?;
    let wanted = |b: &EntryBody| {
        matches!(
            b,
            EntryBody::Tally { .. } | EntryBody::DecryptionShares { .. }
        )
    };
    let mut tallies = BTreeMap::new();
    let mut shares: BTreeMap<String, Vec<DecryptionShare>> = BTreeMap::new();
    for (i, e) in entries_after(api, &head, from, wanted).await? {
        let role = role_of(manifest, &e.entry.author);
        match e.entry.body {
            EntryBody::Tally { contest, sums } if role == Some(Role::Authority) => {
                tallies.insert(contest, sums);
            }
            EntryBody::DecryptionShares { contest, shares: s }
                if role == Some(Role::Trustee(s.trustee)) =>
            {
                shares.entry(contest).or_default().push(s)
            }
            _ => bail!("entry {i} is not signed by its author's role"),
        }
    }
    Ok((tallies, shares))
}

/// One contest's result as posted.
#[derive(Clone, Debug)]
pub struct Published {
    /// The contest.
    pub contest: String,
    /// Votes per candidate, ballot order.
    pub totals: Vec<u64>,
    /// The elected.
    pub elected: Vec<String>,
    /// The tie-break draw's order, if there was one.
    pub draw: Option<Vec<String>>,
}

/// The authority combines `t` valid shares of each contest, allocates the seats (drawing any
/// tie across the last seat by lot from the log's root at the close) and posts the results.
pub async fn publish<T: Transport>(
    api: &Api<T>,
    authority: &Author,
    manifest: &Manifest,
    counted: &Counted,
    r#final: bool,
) -> anyhow::Result<Vec<Published>> {
    let mut out = Vec::new();
    for (contest, counts) in decrypt_counts(api, manifest, counted).await? {
        out.push(post_result(api, authority, manifest, &contest, counts, counted, r#final).await?);
    }
    Ok(out)
}

/// Each homomorphic contest's counts: `t` valid shares of its sums combined (as
/// [`publish`] posts them).
pub async fn decrypt_counts<T: Transport>(
    api: &Api<T>,
    manifest: &Manifest,
    counted: &Counted,
) -> anyhow::Result<Vec<(String, Counts)>> {
    let election = manifest.hash()?;
    counted.rule.close().context("voting is not closed")?;
    let (tallies, shares) = tallies_and_shares(api, manifest, counted.after_close()).await?;
    let t = manifest.trustees.threshold as usize;
    let mut out = Vec::new();
    for (contest_id, (_, counted_ballots)) in &counted.sums {
        let contest = counted.contest(manifest, contest_id)?;
        let sums = tallies
            .get(contest_id)
            .with_context(|| format!("no tally of {contest_id}"))?;
        let ours: Vec<TallySum> = counted.sums[contest_id]
            .0
            .iter()
            .map(|c| TallySum::from(*c))
            .collect();
        ensure!(
            ours.is_empty() || &ours == sums,
            "the tally of {contest_id} on the board is not the sum of its counted ballots"
        );
        let cts: Vec<Ciphertext> = sums.iter().map(TallySum::ciphertext).collect();
        let ctx = tally_context(&election, contest_id);
        // Each trustee's first share whose proof verifies; the first t of them.
        let mut valid: Vec<DecryptionShare> = Vec::new();
        for s in shares.get(contest_id).into_iter().flatten() {
            let vk = counted
                .outcome
                .verification_keys
                .get((s.trustee as usize).wrapping_sub(1));
            if let Some(vk) = vk
                && !valid.iter().any(|v| v.trustee == s.trustee)
                && s.verify(&ctx, vk, &cts).is_ok()
            {
                valid.push(s.clone());
            }
        }
        ensure!(
            valid.len() >= t,
            "{contest_id}: {} valid decryption shares, {t} needed",
            valid.len()
        );
        let totals = decrypt_small(
            &counted.outcome,
            &ctx,
            &cts,
            &valid[..t],
            &DlogTable::new((*counted_ballots).max(1)),
        )?;
        let blank = (counted_ballots * u64::from(contest.votes_per_voter))
            .checked_sub(totals.iter().sum::<u64>())
            .with_context(|| format!("{contest_id}: more votes than the ballots allow"))?;
        out.push((
            contest_id.clone(),
            Counts {
                totals,
                blank,
                invalid: 0,
            },
        ));
    }
    Ok(out)
}

/// A contest's counts: votes per candidate in ballot order, blank, invalid.
#[derive(Clone, Debug)]
pub struct Counts {
    /// Votes per candidate, ballot order.
    pub totals: Vec<u64>,
    /// Blank (election.md §5.11).
    pub blank: u64,
    /// Invalid (mix-net contests).
    pub invalid: u64,
}

/// The authority allocates `contest`'s seats by `counts`, posts the draw of any tie across
/// the last seat (its seed from the log's root at the close, index `close`), then the result.
pub async fn post_result<T: Transport>(
    api: &Api<T>,
    authority: &Author,
    manifest: &Manifest,
    contest: &str,
    counts: Counts,
    counted: &Counted,
    r#final: bool,
) -> anyhow::Result<Published> {
    let election = manifest.hash()?;
    let close = counted.rule.close().context("voting is not closed")?;
    let c = counted.contest(manifest, contest)?;
    let ids: Vec<String> = c.candidates.iter().map(|k| k.id.clone()).collect();
    let allocation = results::allocate(&ids, &counts.totals, c.seats);
    let draw = if allocation.open > 0 {
        let root = root_at(api, manifest, close + 1).await?;
        let seed = results::draw_seed(&election, contest, close + 1, &root);
        let order = results::draw_order(&seed, &allocation.tied);
        api.submit(&authority.sign(EntryBody::TieBreakDraw {
            contest: contest.to_owned(),
            tied: allocation.tied.clone(),
            seed: Hex32(seed),
            order: order.clone(),
        })?)
        .await?;
        Some(order)
    } else {
        None
    };
    let elected = results::elected(&allocation, draw.as_deref());
    api.submit(&authority.sign(EntryBody::Result {
        contest: contest.to_owned(),
        totals: counts.totals.clone(),
        blank: counts.blank,
        invalid: counts.invalid,
        elected: elected.clone(),
        r#final,
    })?)
    .await?;
    Ok(Published {
        contest: contest.to_owned(),
        totals: counts.totals,
        elected,
        draw,
    })
}

/// The log's root at `size`: from the inclusion path of entry `size − 1` in the tree of
/// `size` leaves, authenticated by a consistency proof to a fresh head the board operator
/// signed (for the draw's seed, election.md §5.11).
pub async fn root_at<T: Transport>(
    api: &Api<T>,
    manifest: &Manifest,
    size: u64,
) -> anyhow::Result<[u8; 32]> {
    ensure!(size > 0, "the empty log has no entry to prove");
    let leaf = sawt_board::hash::leaf_hash(&api.entry(size - 1).await?);
    let root = api.inclusion(size - 1, size).await?.root_of(&leaf)?;
    let head = api.fresh_head().await?.signed;
    head.verify(&manifest.authorities.board_operator.verifying_key()?)?;
    ensure!(
        head.head.election == manifest.hash()?,
        "a head of another election"
    );
    if head.head.size == size {
        ensure!(
            head.head.root == root,
            "the root at {size} is not the signed one"
        );
    } else {
        api.consistency(size, head.head.size)
            .await?
            .verify((size, &root), (head.head.size, &head.head.root))
            .with_context(|| {
                format!("the root at {size} is not consistent with the signed head")
            })?;
    }
    Ok(root)
}
