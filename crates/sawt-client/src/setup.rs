//! What a device needs before it can build a ballot, each part taken from the board and
//! checked, never from the service's word (client.md §3): the election key recomputed from
//! the trustees' key-generation entries, the candidate lists signed by the election authority,
//! and the windows as extended by the authority's signed entries. The service's
//! `GET /v1/election` only says *where* these entries are; each is fetched, decoded, its
//! author's role checked, and its inclusion under a verified head proved.

use std::borrow::Cow;
use std::sync::Arc;

use sawt_board::hash::leaf_hash;
use sawt_crypto::dkg::{KeyGenOutcome, KeyGenParams};
use sawt_crypto::{Context, EncryptionKey, PublicKey};
use sawt_election::candidates::PublishedLists;
use sawt_election::entry::{EntryBody, Role, SignedEntry, role_of};
use sawt_election::geography::WilayatId;
use sawt_election::manifest::{Contest, Windows};

use crate::api::Api;
use crate::election::Election;
use crate::error::{ClientError, Misbehaviour};
use crate::transport::Transport;
use crate::wire;

/// The election's setup as the board proves it.
pub struct Setup {
    /// The election key `H`, recomputed from the key generation.
    pub key: Option<PublicKey>,
    encryption_key: Option<Arc<EncryptionKey>>,
    /// The candidate lists published by the election authority.
    pub lists: PublishedLists,
    /// The windows, as extended.
    pub windows: Windows,
    /// Whether the close is on the board.
    pub closed: bool,
    /// The size of the verified head the setup was proved under.
    pub size: u64,
}

impl std::fmt::Debug for Setup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Setup")
            .field("closed", &self.closed)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl Setup {
    /// The election key prepared for encryption, once the key generation is on the board.
    pub fn encryption_key(&self) -> Result<&Arc<EncryptionKey>, ClientError> {
        self.encryption_key
            .as_ref()
            .ok_or_else(|| ClientError::State("the election key is not on the board yet".into()))
    }

    /// The contest of `wilayat` as ballots see it (its published list filled in).
    pub fn contest_of<'m>(
        &self,
        election: &'m Election,
        wilayat: &WilayatId,
    ) -> Result<Cow<'m, Contest>, ClientError> {
        let c = self
            .lists
            .contest_of(election.manifest(), wilayat)
            .ok_or_else(|| ClientError::State(format!("no contest in {}", wilayat.0)))?;
        if c.candidates.is_empty() {
            return Err(ClientError::State(format!(
                "contest {}'s candidate list is not on the board yet",
                c.id
            )));
        }
        Ok(c)
    }
}

/// Fetches entry `index`, checks it decodes for this election and is included in the tree of
/// the verified head `head` (C3); the entry and its inclusion proof.
pub async fn fetch_proved<T: Transport>(
    api: &Api<T>,
    election: &Election,
    head: &sawt_board::head::SignedTreeHead,
    check: &'static str,
    index: u64,
) -> Result<(SignedEntry, sawt_board::proof::InclusionProof), ClientError> {
    if index >= head.head.size {
        return Err(Misbehaviour::new(
            check,
            format!(
                "entry {index} is not under the verified head of size {}",
                head.head.size
            ),
        )
        .into());
    }
    let bytes = api.entry(index).await?;
    let e = election.decode_entry(check, index, &bytes)?;
    let proof = api.inclusion(index, head.head.size).await?;
    if proof.index != index {
        return Err(Misbehaviour::new(
            check,
            format!("the inclusion proof is for entry {}", proof.index),
        )
        .into());
    }
    proof
        .verify(&leaf_hash(&bytes), head.head.size, &head.head.root)
        .map_err(|err| {
            Misbehaviour::new(
                check,
                format!(
                    "entry {index} is not proved in the head of size {}: {err}",
                    head.head.size
                ),
            )
        })?;
    Ok((e, proof))
}

/// The service's list of setup entries (`GET /v1/election`), for election `E` (C2); and
/// the least index a head must cover to prove them all.
pub async fn setup_view<T: Transport>(
    api: &Api<T>,
    election: &Election,
) -> Result<(wire::ElectionView, u64), ClientError> {
    let view = api.election().await?;
    if view.election != hex::encode(election.id()) {
        return Err(Misbehaviour::new(
            "C2",
            format!("the service serves election {}", view.election),
        )
        .into());
    }
    let last = view.setup.iter().map(|s| s.index).max().unwrap_or(0);
    Ok((view, last))
}

/// Loads and checks the setup (client.md C2–C6) that `view` lists, under `head`, a head the
/// caller verified and accepted (R1, R2, R7).
pub async fn load<T: Transport>(
    api: &Api<T>,
    election: &Election,
    view: &wire::ElectionView,
    head: &sawt_board::head::SignedTreeHead,
) -> Result<Setup, ClientError> {
    let head = *head;
    let (first, _) = fetch_proved(api, election, &head, "C1", 0).await?;
    if !matches!(&first.entry.body, EntryBody::Manifest(m) if m.hash().ok() == Some(election.id()))
    {
        return Err(
            Misbehaviour::new("C1", "entry 0 under the head is not the manifest of E").into(),
        );
    }
    let manifest = election.manifest();
    let mut setup = Setup {
        key: None,
        encryption_key: None,
        lists: PublishedLists::new(),
        windows: manifest.windows.clone(),
        closed: false,
        size: head.head.size,
    };
    let mut announcements = Vec::new();
    let mut dealings = Vec::new();
    let mut complaints = Vec::new();
    let mut last = None;
    for item in &view.setup {
        if last.is_some_and(|l| item.index <= l) {
            return Err(Misbehaviour::new("C3", "the setup entries are not in log order").into());
        }
        last = Some(item.index);
        let (e, _) = fetch_proved(api, election, &head, "C3", item.index).await?;
        let kind = e.entry.body.kind();
        if kind != item.kind {
            return Err(Misbehaviour::new(
                "C3",
                format!("entry {} is a {kind}, not a {}", item.index, item.kind),
            )
            .into());
        }
        let role = role_of(manifest, &e.entry.author);
        let wrong_author = || {
            Misbehaviour::new(
                "C4",
                format!(
                    "entry {} ({kind}) is not signed by its author's role",
                    item.index
                ),
            )
        };
        match e.entry.body {
            EntryBody::KeyGenAnnouncement(a) if role == Some(Role::Trustee(a.trustee)) => {
                announcements.push(a)
            }
            EntryBody::KeyGenDealing(d) if role == Some(Role::Trustee(d.dealer)) => {
                dealings.push(d)
            }
            EntryBody::KeyGenComplaint(c) if role == Some(Role::Trustee(c.complainer)) => {
                complaints.push(c)
            }
            _ if role != Some(Role::Authority) => return Err(wrong_author().into()),
            EntryBody::JointKey {
                key,
                verification_keys,
            } => {
                let t = &manifest.trustees;
                let params = KeyGenParams::new(t.threshold, t.members.len() as u32)
                    .map_err(|err| Misbehaviour::new("C5", err.to_string()))?;
                let outcome = KeyGenOutcome::compute(
                    &params,
                    &Context::new(&election.id()),
                    &announcements,
                    &dealings,
                    &complaints,
                )
                .map_err(|err| {
                    Misbehaviour::new("C5", format!("the key generation does not complete: {err}"))
                })?;
                if outcome.joint_key.element() != &key
                    || outcome.verification_keys != verification_keys
                {
                    return Err(Misbehaviour::new(
                        "C5",
                        "the joint key on the board is not the key generation's outcome",
                    )
                    .into());
                }
                setup.encryption_key = Some(Arc::new(outcome.joint_key.prepare()));
                setup.key = Some(outcome.joint_key);
            }
            EntryBody::CandidateList {
                contest,
                candidates,
            } => {
                setup
                    .lists
                    .check(manifest, &contest, &candidates)
                    .map_err(|err| Misbehaviour::new("C6", err))?;
                setup.lists.insert(&contest, candidates);
            }
            EntryBody::WindowExtension(ext) => setup
                .windows
                .replay(&ext)
                .map_err(|err| Misbehaviour::new("C6", err))?,
            EntryBody::Close { .. } => setup.closed = true,
            _ => return Err(wrong_author().into()),
        }
    }
    Ok(setup)
}
