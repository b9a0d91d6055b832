//! The mix-net tally through the board over HTTP (mixnet.md §6–§7, election.md §5.10–§5.11):
//! each mixer in the manifest's order checks the cascade so far from the counted list,
//! shuffles the last list, uploads its output and proof as attachments and posts its stage;
//! each trustee checks the whole cascade and posts its decryption share of the last list; the
//! authority checks the cascade and the shares, decodes and counts, allocates the seats and
//! posts the result. The cascade's input is the contest's counted ballots in log order,
//! recomputed from the record by everyone ([`crate::tally::count`]).

use std::collections::BTreeMap;

use anyhow::{Context as _, bail, ensure};
use sawt_client::Api;
use sawt_client::transport::Transport;
use sawt_crypto::DecryptionError;
use sawt_crypto::list::CiphertextList;
use sawt_crypto::mixnet;
use sawt_crypto::shuffle::ShuffleProof;
use sawt_crypto::threshold::{DecryptionShare, TrusteeKeyShare};
use sawt_crypto::{Context, EncryptionKey, PublicKey};
use sawt_election::entry::{Attachment, EntryBody};
use sawt_election::manifest::Manifest;

use crate::tally::{Author, Counted, Published, entries_after, tally_context};

/// The mixing context of a contest: `Context(E).with("contest", contest)` (mixnet.md §3.4).
pub fn mix_context(election: &[u8; 32], contest: &str) -> Context {
    Context::new(election).with(b"contest", contest.as_bytes())
}

/// The contest's cascade input: its counted ballots' list.
fn input(manifest: &Manifest, counted: &Counted, contest: &str) -> anyhow::Result<CiphertextList> {
    let c = counted.contest(manifest, contest)?;
    let cts = counted
        .lists
        .get(contest)
        .with_context(|| format!("{contest} is not a mix-net contest"))?;
    Ok(CiphertextList::new(
        c.votes_per_voter as usize,
        cts.clone(),
    )?)
}

/// A stage on the board: the mixer, its output and its proof.
type Stage = (u32, Attachment, Attachment);

/// The mix-net entries after the close, read once under a head the board operator signed
/// (each proved by inclusion): every contest's stages, in log order, each signed by the mixer
/// it names and binding attachments of the right formats; and every trustee's shares entry,
/// signed by that trustee. A party reads it once, then works through every contest.
pub struct MixRecord {
    stages: BTreeMap<String, Vec<Stage>>,
    shares: BTreeMap<String, Vec<(u32, Attachment)>>,
}

impl MixRecord {
    /// Reads the entries after the close.
    pub async fn read<T: Transport>(
        api: &Api<T>,
        manifest: &Manifest,
        counted: &Counted,
    ) -> anyhow::Result<Self> {
        let head = crate::tally::signed_head(api, manifest).await?;
        let wanted = |b: &EntryBody| {
            matches!(
                b,
                EntryBody::MixStage { .. } | EntryBody::MixDecryptionShares { .. }
            )
        };
        let mut record = MixRecord {
            stages: BTreeMap::new(),
            shares: BTreeMap::new(),
        };
        for (_, e) in entries_after(api, &head, counted.after_close(), wanted).await? {
            let role = sawt_election::entry::role_of(manifest, &e.entry.author);
            match e.entry.body {
                EntryBody::MixStage {
                    contest,
                    mixer,
                    output,
                    proof,
                } => {
                    let listed = manifest
                        .mixers
                        .iter()
                        .any(|m| m.index == mixer && m.key == e.entry.author);
                    ensure!(listed, "a stage of {contest} not signed by mixer {mixer}");
                    ensure!(
                        output.format == "ciphertext-list" && proof.format == "shuffle-proof",
                        "a stage of {contest} binds attachments of the wrong formats"
                    );
                    let stages = record.stages.entry(contest).or_default();
                    stages.push((mixer, output, proof));
                }
                EntryBody::MixDecryptionShares {
                    contest,
                    shares,
                    trustee,
                } if role == Some(sawt_election::entry::Role::Trustee(trustee)) => {
                    let found = record.shares.entry(contest).or_default();
                    found.push((trustee, shares));
                }
                _ => {}
            }
        }
        Ok(record)
    }

    /// `contest`'s stages, in log order.
    fn stages(&self, contest: &str) -> &[Stage] {
        self.stages.get(contest).map_or(&[], Vec::as_slice)
    }
}

/// Stages this process has verified: a stage's verification is a function of the context,
/// the key, its input list, the mixer and its two attachments, all bound in the key here
/// (hashes), so a stage verified once need not be verified again. The demo's mixers,
/// trustees and authority share one process; on their own machines each verifies once.
static VERIFIED: std::sync::Mutex<Vec<[u8; 32]>> = std::sync::Mutex::new(Vec::new());

fn stage_key(
    ctx: &[u8],
    key: &PublicKey,
    input: &[u8; 32],
    mixer: u32,
    output: &Attachment,
    proof: &Attachment,
) -> [u8; 32] {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    h.update(b"sawt/v1/verified-stage\n");
    h.update((ctx.len() as u64).to_be_bytes());
    h.update(ctx);
    h.update(key.element().to_bytes());
    h.update(input);
    h.update(mixer.to_be_bytes());
    h.update(output.sha256.0);
    h.update(proof.sha256.0);
    h.finalize().into()
}

/// The first `n` stages of `contest`'s cascade on the board (all of the manifest's mixers when
/// `n` is `None`, and then no more than them), each verified to shuffle the one before from
/// the counted list; the last list (the counted list when `n` is 0). A stage is fetched and
/// verified only if this process has not verified it already.
async fn checked_cascade<T: Transport>(
    api: &Api<T>,
    manifest: &Manifest,
    counted: &Counted,
    record: &MixRecord,
    key: &PublicKey,
    contest: &str,
    n: Option<usize>,
) -> anyhow::Result<CiphertextList> {
    let election = manifest.hash()?;
    let ctx = mix_context(&election, contest);
    let ctx_id = format!("{}/{contest}", hex::encode(election));
    let order = mixers(manifest);
    let posted = record.stages(contest);
    let n = n.unwrap_or(order.len());
    let on_board = posted.len();
    let input = input(manifest, counted, contest)?;
    let mut previous_id: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(input.to_bytes()).into();
    // The last list so far: decoded, or only named by its attachment (a verified stage's
    // output, fetched when needed).
    let mut previous: Result<CiphertextList, Attachment> = Ok(input);
    for (i, (mixer, output, proof)) in posted.iter().take(n).enumerate() {
        let mixer = *mixer;
        ensure!(
            order.get(i) == Some(&mixer),
            "{contest}: the cascade does not verify: stage {i} is mixer {mixer}'s, not the cascade's"
        );
        let id = stage_key(ctx_id.as_bytes(), key, &previous_id, mixer, output, proof);
        previous_id = output.sha256.0;
        if VERIFIED.lock().expect("not poisoned").contains(&id) {
            previous = Err(output.clone());
            continue;
        }
        let before = fetched(api, previous).await?;
        let out = fetched(api, Err(output.clone())).await?;
        ShuffleProof::from_bytes(&api.attachment(proof).await?)?
            .verify(&ctx, mixer, key, &before, &out)
            .map_err(|source| mixnet::CascadeError {
                stage: i,
                mixer,
                source,
            })
            .with_context(|| format!("{contest}: the cascade does not verify"))?;
        VERIFIED.lock().expect("not poisoned").push(id);
        previous = Ok(out);
    }
    // After the stages that are there, so that a broken one is named first.
    ensure!(
        on_board >= n && (n < order.len() || on_board == n),
        "{contest}: {on_board} stages on the board, {n} expected"
    );
    fetched(api, previous).await
}

/// A list, fetched and decoded if only its attachment is known (or taken from the lists
/// this process decoded or made last).
async fn fetched<T: Transport>(
    api: &Api<T>,
    list: Result<CiphertextList, Attachment>,
) -> anyhow::Result<CiphertextList> {
    let a = match list {
        Ok(l) => return Ok(l),
        Err(a) => a,
    };
    if let Some(l) = recent_list(&a) {
        return Ok(l);
    }
    let l = CiphertextList::from_bytes(&api.attachment(&a).await?)?;
    remember_list(&a, &l);
    Ok(l)
}

/// The last few lists this process decoded or made, by their attachments' SHA-256: in the
/// demo the next mixer or trustee need not decode again what the one before just had (the
/// bytes are the attachment's, checked against its hash when fetched or computed when made).
static RECENT_LISTS: std::sync::Mutex<Vec<([u8; 32], CiphertextList)>> =
    std::sync::Mutex::new(Vec::new());

fn recent_list(a: &Attachment) -> Option<CiphertextList> {
    let recent = RECENT_LISTS.lock().expect("not poisoned");
    recent
        .iter()
        .find(|(h, _)| *h == a.sha256.0)
        .map(|(_, l)| l.clone())
}

fn remember_list(a: &Attachment, l: &CiphertextList) {
    let mut recent = RECENT_LISTS.lock().expect("not poisoned");
    if recent.len() == 4 {
        recent.remove(0);
    }
    recent.push((a.sha256.0, l.clone()));
}

/// The manifest's mixer indices, in order.
fn mixers(manifest: &Manifest) -> Vec<u32> {
    manifest.mixers.iter().map(|m| m.index).collect()
}

/// Mixer `index` checks the cascade so far and posts its stage of `contest`.
pub async fn mix<T: Transport>(
    api: &Api<T>,
    mixer: &Author,
    index: u32,
    manifest: &Manifest,
    (counted, record): (&Counted, &MixRecord),
    key: &EncryptionKey,
    contest: &str,
) -> anyhow::Result<()> {
    let election = manifest.hash()?;
    let ctx = mix_context(&election, contest);
    let order = mixers(manifest);
    let position = order
        .iter()
        .position(|&m| m == index)
        .with_context(|| format!("no mixer {index} in the manifest"))?;
    let done = record.stages(contest).len();
    ensure!(
        done == position,
        "{contest}: {done} stages on the board; mixer {index} comes {}",
        position + 1
    );
    let previous = &checked_cascade(
        api,
        manifest,
        counted,
        record,
        key.public_key(),
        contest,
        Some(position),
    )
    .await
    .with_context(|| format!("{contest}: the cascade so far does not verify"))?;
    let (output, proof) = sawt_crypto::shuffle::shuffle_with_rng(
        &ctx,
        index,
        key,
        previous,
        &mut sawt_crypto::rng::os_rng(),
    )?;
    let made = output;
    let output = api
        .put_attachment("ciphertext-list", made.to_bytes())
        .await?;
    remember_list(&output, &made);
    let proof = api
        .put_attachment("shuffle-proof", proof.to_bytes())
        .await?;
    api.submit(&mixer.sign(EntryBody::MixStage {
        contest: contest.to_owned(),
        mixer: index,
        output,
        proof,
    })?)
    .await
    .with_context(|| format!("posting mixer {index}'s stage of {contest}"))?;
    Ok(())
}

/// The verified cascade's last list.
async fn verified_output<T: Transport>(
    api: &Api<T>,
    manifest: &Manifest,
    (counted, record): (&Counted, &MixRecord),
    contest: &str,
) -> anyhow::Result<CiphertextList> {
    ensure!(
        !manifest.mixers.is_empty(),
        "{contest}: no mixer in the manifest"
    );
    let key = &counted.outcome.joint_key;
    checked_cascade(api, manifest, counted, record, key, contest, None)
        .await
        .with_context(|| format!("{contest}: the cascade does not verify"))
}

/// A trustee checks the whole cascade of `contest` and posts its decryption share of the last
/// list (never of an earlier one, mixnet.md §7.2).
pub async fn post_share<T: Transport>(
    api: &Api<T>,
    trustee: &Author,
    share: &TrusteeKeyShare,
    manifest: &Manifest,
    (counted, record): (&Counted, &MixRecord),
    contest: &str,
) -> anyhow::Result<()> {
    counted.check_share(share)?;
    let election = manifest.hash()?;
    let mixed = verified_output(api, manifest, (counted, record), contest).await?;
    let d = share.decrypt_with_rng(
        &tally_context(&election, contest),
        mixed.ciphertexts(),
        &mut sawt_crypto::rng::os_rng(),
    );
    let shares = api.put_attachment("decryption-share", d.to_bytes()).await?;
    api.submit(&trustee.sign(EntryBody::MixDecryptionShares {
        contest: contest.to_owned(),
        shares,
        trustee: share.index(),
    })?)
    .await
    .with_context(|| format!("posting trustee {}'s shares of {contest}", share.index()))?;
    Ok(())
}

/// The authority checks the cascade and the shares of `contest`, decodes and counts the
/// ballots, allocates the seats (drawing any tie by lot) and posts the result.
pub async fn publish<T: Transport>(
    api: &Api<T>,
    authority: &Author,
    manifest: &Manifest,
    (counted, record): (&Counted, &MixRecord),
    contest: &str,
    r#final: bool,
) -> anyhow::Result<Published> {
    let counts = counts(api, manifest, (counted, record), contest).await?;
    crate::tally::post_result(api, authority, manifest, contest, counts, counted, r#final).await
}

/// `contest`'s counts: the cascade checked, `t` valid shares of its last list combined, the
/// plaintexts decoded and counted (as [`publish`] posts them).
pub async fn counts<T: Transport>(
    api: &Api<T>,
    manifest: &Manifest,
    (counted, record): (&Counted, &MixRecord),
    contest: &str,
) -> anyhow::Result<crate::tally::Counts> {
    let election = manifest.hash()?;
    let c = counted.contest(manifest, contest)?;
    let mixed = verified_output(api, manifest, (counted, record), contest).await?;
    let ctx = tally_context(&election, contest);
    let found = record.shares.get(contest).cloned().unwrap_or_default();
    let t = manifest.trustees.threshold as usize;
    // Each trustee's first share that decodes; their proofs are checked by the count, which
    // names a trustee whose proof fails: that one is dropped and the count tried again.
    let mut valid: Vec<DecryptionShare> = Vec::new();
    for (trustee, a) in found {
        if a.format != "decryption-share" {
            continue;
        }
        // A share whose bytes are not its attachment's is skipped; a failure to fetch is not.
        let bytes = match api.attachment(&a).await {
            Ok(b) => b,
            Err(sawt_client::ClientError::Misbehaviour(_)) => continue,
            Err(e) => return Err(e.into()),
        };
        let Ok(s) = DecryptionShare::from_bytes(&bytes) else {
            continue;
        };
        let known = counted.outcome.verification_key(trustee).is_some();
        if s.trustee == trustee && known && !valid.iter().any(|v| v.trustee == trustee) {
            valid.push(s);
        }
    }
    let counts = loop {
        if valid.len() < t {
            bail!(
                "{contest}: {} valid decryption shares, {t} needed",
                valid.len()
            );
        }
        let n = c.candidates.len() as u32;
        match mixnet::count(&counted.outcome, &ctx, &mixed, &valid[..t], n) {
            Ok(counts) => break counts,
            Err(DecryptionError::InvalidShare { trustee, .. }) => {
                valid.retain(|s| s.trustee != trustee)
            }
            Err(e) => return Err(e.into()),
        }
    };
    Ok(crate::tally::Counts {
        totals: counts.per_candidate,
        blank: counts.blank,
        invalid: counts.invalid,
    })
}
