//! A trustee's part in the key generation through the board (crypto.md §6, election.md §5.4),
//! over HTTP: announce, wait for every announcement, deal, wait for every dealing, check the
//! shares received and complain about bad ones, then finish with the complaints on the board.
//! Every message is read from the board with its inclusion under a verified head, so that all
//! trustees act on the same messages; the secrets stay in this process until the final share,
//! which the caller seals. The election authority then posts the joint key it recomputes from
//! the same entries ([`post_joint_key`]).

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use sawt_client::Api;
use sawt_client::election::Election;
use sawt_client::transport::Transport;
use sawt_crypto::Context;
use sawt_crypto::dkg::{
    Announcement, Complaint, Dealing, KeyGenOutcome, KeyGenParams, TrusteeSetup,
};
use sawt_crypto::threshold::TrusteeKeyShare;
use sawt_election::entry::{EntryBody, Role, role_of};

use crate::tally::Author;

/// The key-generation messages on the board, each from its trustee's key.
#[derive(Default)]
struct Messages {
    announcements: Vec<Announcement>,
    dealings: Vec<Dealing>,
    complaints: Vec<Complaint>,
}

/// What a trustee has read of the board: every entry up to the head it last verified, in a
/// tree whose root must be that head's, and the key-generation messages among them. Each
/// read takes only the new entries, under a fresh head shown consistent with the last, so
/// that polling costs a few requests and no message can be hidden from one trustee.
#[derive(Default)]
struct Reader {
    head: Option<sawt_board::head::SignedTreeHead>,
    tree: sawt_board::tree::MemoryTree,
    read: u64,
    seen: Vec<EntryBody>,
}

impl Reader {
    /// The key-generation messages on the board, each signed by the trustee it names.
    async fn messages<T: Transport>(
        &mut self,
        api: &Api<T>,
        election: &Election,
    ) -> anyhow::Result<Messages> {
        let head = api.fresh_head().await?.signed;
        election.check_head("R1", &head)?;
        if let Some(old) = &self.head {
            let proof = if old.head.size < head.head.size {
                Some(api.consistency(old.head.size, head.head.size).await?)
            } else {
                None
            };
            sawt_client::heads::consistent(old, &head, proof.as_ref())
                .map_err(|e| anyhow::anyhow!("the board's heads are not consistent: {e}"))?;
        }
        let size = head.head.size;
        while self.read < size {
            let asked = (size - self.read).min(1000);
            let page = api.entries(self.read, asked).await?;
            if page.is_empty() || page.len() as u64 > asked {
                bail!("the board served {} entries for {asked} asked", page.len());
            }
            for bytes in page {
                self.tree.push(&bytes);
                let e = election
                    .decode_entry("C3", self.read, &bytes)
                    .map_err(|m| anyhow::anyhow!("{m}"))?;
                let role = role_of(election.manifest(), &e.entry.author);
                let ok = match &e.entry.body {
                    EntryBody::KeyGenAnnouncement(a) => role == Some(Role::Trustee(a.trustee)),
                    EntryBody::KeyGenDealing(d) => role == Some(Role::Trustee(d.dealer)),
                    EntryBody::KeyGenComplaint(c) => role == Some(Role::Trustee(c.complainer)),
                    _ => true,
                };
                if !ok {
                    bail!("entry {} is not signed by the trustee it names", self.read);
                }
                if e.entry.body.kind().starts_with("key-gen-") {
                    self.seen.push(e.entry.body);
                }
                self.read += 1;
            }
        }
        if self.tree.root() != head.head.root {
            bail!("the entries served are not the record the board signed (size {size})");
        }
        self.head = Some(head);
        let mut m = Messages::default();
        for body in &self.seen {
            match body {
                EntryBody::KeyGenAnnouncement(a) => m.announcements.push(a.clone()),
                EntryBody::KeyGenDealing(d) => m.dealings.push(d.clone()),
                EntryBody::KeyGenComplaint(c) => m.complaints.push(c.clone()),
                _ => {}
            }
        }
        Ok(m)
    }

    /// Polls the board until `done` holds of its messages, or `deadline` passes.
    async fn wait_for<T: Transport>(
        &mut self,
        api: &Api<T>,
        election: &Election,
        deadline: Instant,
        poll: Duration,
        done: impl Fn(&Messages) -> bool,
    ) -> anyhow::Result<Messages> {
        loop {
            let m = self.messages(api, election).await?;
            if done(&m) || Instant::now() >= deadline {
                return Ok(m);
            }
            tokio::time::sleep(poll).await;
        }
    }
}

/// Trustee `index` takes part in the key generation through the board, waiting at most
/// until `deadline` for the others; its key share.
pub async fn take_part<T: Transport>(
    api: &Api<T>,
    election: &Election,
    me: &Author,
    index: u32,
    deadline: Instant,
    poll: Duration,
) -> anyhow::Result<TrusteeKeyShare> {
    let t = &election.manifest().trustees;
    let n = t.members.len();
    let params = KeyGenParams::new(t.threshold, n as u32)?;
    let ctx = Context::new(&election.id());
    let mut rng = sawt_crypto::rng::os_rng();
    let (setup, announcement) = TrusteeSetup::new_with_rng(params, &ctx, index, &mut rng)?;
    api.submit(&me.sign(EntryBody::KeyGenAnnouncement(announcement))?)
        .await
        .context("posting the announcement")?;
    let mut board = Reader::default();
    let m = board
        .wait_for(api, election, deadline, poll, |m| {
            m.announcements.len() >= n
        })
        .await?;
    if m.announcements.len() < n {
        bail!(
            "{} of {n} trustees announced before the deadline: every trustee needs a key to receive shares",
            m.announcements.len()
        );
    }
    let (waiting, dealing) = setup.deal_with_rng(&ctx, &m.announcements, &mut rng)?;
    api.submit(&me.sign(EntryBody::KeyGenDealing(dealing))?)
        .await
        .context("posting the dealing")?;
    let m = board
        .wait_for(api, election, deadline, poll, |m| m.dealings.len() >= n)
        .await?;
    let (candidate, complaints) =
        waiting.receive_with_rng(&ctx, &m.announcements, &m.dealings, &mut rng)?;
    for c in complaints {
        api.submit(&me.sign(EntryBody::KeyGenComplaint(c))?)
            .await
            .context("posting a complaint")?;
    }
    // Finish with every complaint on the board now (its own included).
    let m = board.messages(api, election).await?;
    let (share, _) = candidate.finish(&ctx, &m.announcements, &m.dealings, &m.complaints)?;
    Ok(share)
}

/// The election authority recomputes the key generation's outcome from the board and posts
/// the joint key; the outcome.
pub async fn post_joint_key<T: Transport>(
    api: &Api<T>,
    election: &Election,
    authority: &Author,
) -> anyhow::Result<KeyGenOutcome> {
    let t = &election.manifest().trustees;
    let params = KeyGenParams::new(t.threshold, t.members.len() as u32)?;
    let m = Reader::default().messages(api, election).await?;
    let outcome = KeyGenOutcome::compute(
        &params,
        &Context::new(&election.id()),
        &m.announcements,
        &m.dealings,
        &m.complaints,
    )?;
    api.submit(&authority.sign(EntryBody::JointKey {
        key: *outcome.joint_key.element(),
        verification_keys: outcome.verification_keys.clone(),
    })?)
    .await
    .context("posting the joint key")?;
    Ok(outcome)
}
