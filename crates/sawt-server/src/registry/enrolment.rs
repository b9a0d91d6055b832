//! Enrolling voting credentials: an identity assertion from a trusted provider, checked
//! against the final lists and the voter rules, enrols the device's credential on the board
//! (`credential-enrolment`: credential and wilayat, signed by the registrar). A second
//! enrolment of the same citizen (a lost phone) first revokes the old credential on the board.
//!
//! Crash safety: the entries are signed and stored with the credential as `pending` in one
//! transaction (with the assertion's nonce, so it is used once), then posted; the row turns
//! `active` once they are on the board. [`Registry::open`] finishes any pending enrolment: an
//! entry already on the board counts as posted; one the board refuses (voting opened
//! meanwhile, say) undoes the enrolment.

use sawt_election::entry::EntryBody;
use sawt_election::geography::WilayatId;
use sawt_election::keys::PublicKeyHex;
use sawt_registry::eligibility::check_voter;
use sawt_registry::identity::{self, SignedAssertion};
use sawt_registry::{Actor, Refusal, Role, Rule};

use super::{Registry, RegistryError, is_unique_violation, record_decision};
use crate::db::{on_pool, to_i64};
use crate::service::BoardError;

/// What reason a re-enrolment gives for revoking the old credential (no personal data).
pub const REENROLMENT_REASON: &str = "re-enrolment: replaced by a new device";

/// An enrolment on the board.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Enrolled {
    /// The credential.
    pub credential: PublicKeyHex,
    /// Where it votes.
    pub wilayat: WilayatId,
    /// The enrolment entry's index on the board.
    pub entry_index: u64,
    /// The credential it replaced (revoked on the board), if any.
    pub revoked: Option<PublicKeyHex>,
}

/// A credential as stored: 32 bytes.
fn stored_key(bytes: Vec<u8>) -> Result<PublicKeyHex, crate::StoreError> {
    <[u8; 32]>::try_from(bytes)
        .map(PublicKeyHex::from_bytes)
        .map_err(|_| crate::StoreError::Corrupt("a credential of the wrong length"))
}

type PendingRow = (
    Vec<u8>,
    String,
    String,
    Option<Vec<u8>>,
    Vec<u8>,
    Option<Vec<u8>>,
);

impl Registry {
    /// Enrols the credential a signed identity assertion names.
    pub async fn enrol(&self, signed: &SignedAssertion) -> Result<Enrolled, RegistryError> {
        let now = self.now();
        let a = identity::verify(
            signed,
            &self.identity_providers,
            &self.board.election(),
            now,
        )?;
        if now >= self.calendar().await?.voting_opens_ms() {
            return Err(Refusal::new(
                Rule::Window,
                format!(
                    "enrolment closed when voting opened, {}",
                    self.calendar()
                        .await?
                        .show(self.calendar().await?.voting_opens_ms())
                ),
            )
            .into());
        }
        let used: Option<(i64,)> = on_pool!(&self.db, p => {
            sqlx::query_as("SELECT used_ms FROM assertion_nonces WHERE nonce = $1")
                .bind(a.nonce.0.as_slice())
                .fetch_optional(p)
                .await?
        });
        if used.is_some() {
            return Err(Refusal::new(
                Rule::AssertionFresh,
                "this identity assertion was already used",
            )
            .into());
        }
        if !self.lists_frozen().await? {
            return Err(Refusal::new(
                Rule::ListsFrozen,
                "enrolment opens when the voter lists are final",
            )
            .into());
        }
        let civil = &a.civil_number;
        let listed: Option<(String,)> = on_pool!(&self.db, p => {
            sqlx::query_as("SELECT wilayat FROM list_members WHERE civil_number = $1")
                .bind(civil.expose())
                .fetch_optional(p)
                .await?
        });
        let wilayat = WilayatId(
            listed
                .ok_or_else(|| Refusal::new(Rule::Registration, "not on a final voter list"))?
                .0,
        );
        let published: Option<(Option<i64>,)> = on_pool!(&self.db, p => {
            sqlx::query_as("SELECT entry_index FROM final_lists WHERE wilayat = $1")
                .bind(wilayat.0.as_str())
                .fetch_optional(p)
                .await?
        });
        if !matches!(published, Some((Some(_),))) {
            return Err(RegistryError::Conflict(
                "the wilayat's final list is not on the board yet; try again shortly".into(),
            ));
        }
        let (person, _) = self.person(civil).await?;
        check_voter(&person, &self.calendar().await?, &wilayat)?;
        a.credential.verifying_key().map_err(|_| {
            Refusal::new(
                Rule::Credential,
                "the credential is not a valid ed25519 key",
            )
        })?;
        let cred = a.credential.bytes().as_slice();
        let taken: Option<(String,)> = on_pool!(&self.db, p => {
            sqlx::query_as("SELECT state FROM credentials WHERE credential = $1")
                .bind(cred)
                .fetch_optional(p)
                .await?
        });
        if taken.is_some() {
            return Err(
                Refusal::new(Rule::Credential, "this credential is already enrolled").into(),
            );
        }
        let old: Option<(Vec<u8>,)> = on_pool!(&self.db, p => {
            sqlx::query_as(
                "SELECT credential FROM credentials WHERE civil_number = $1 AND state = 'active'",
            )
            .bind(civil.expose())
            .fetch_optional(p)
            .await?
        });
        let old = old.map(|(c,)| stored_key(c)).transpose()?;
        let revoke_entry = old
            .as_ref()
            .map(|c| {
                self.sign(EntryBody::CredentialRevocation {
                    credential: c.clone(),
                    reason: REENROLMENT_REASON.into(),
                })
            })
            .transpose()?;
        let enrol_entry = self.sign(EntryBody::CredentialEnrolment {
            credential: a.credential.clone(),
            wilayat: wilayat.clone(),
        })?;
        let nonce = a.nonce.0;
        let inserted: Result<(), sqlx::Error> = on_pool!(&self.db, p => {
            async {
                let mut tx = p.begin().await?;
                sqlx::query("INSERT INTO assertion_nonces (nonce, used_ms) VALUES ($1, $2)")
                    .bind(nonce.as_slice())
                    .bind(now as i64)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO credentials (credential, civil_number, wilayat, state, replaces, \
                     enrol_entry, revoke_entry, enrolled_ms) \
                     VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7)",
                )
                .bind(cred)
                .bind(civil.expose())
                .bind(wilayat.0.as_str())
                .bind(old.as_ref().map(|c| c.bytes().to_vec()))
                .bind(enrol_entry.as_slice())
                .bind(revoke_entry.as_deref())
                .bind(now as i64)
                .execute(&mut *tx)
                .await?;
                tx.commit().await
            }
            .await
        });
        if let Err(e) = inserted {
            if is_unique_violation(&e) {
                return Err(self.explain_conflict(&nonce, cred).await?);
            }
            return Err(e.into());
        }
        self.finish_enrolment(cred).await
    }

    /// Which uniqueness an enrolment broke: the nonce, the credential, or a concurrent
    /// enrolment of the same citizen.
    async fn explain_conflict(
        &self,
        nonce: &[u8; 32],
        cred: &[u8],
    ) -> Result<RegistryError, RegistryError> {
        let used: Option<(i64,)> = on_pool!(&self.db, p => {
            sqlx::query_as("SELECT used_ms FROM assertion_nonces WHERE nonce = $1")
                .bind(nonce.as_slice())
                .fetch_optional(p)
                .await?
        });
        if used.is_some() {
            return Ok(Refusal::new(
                Rule::AssertionFresh,
                "this identity assertion was already used",
            )
            .into());
        }
        let taken: Option<(String,)> = on_pool!(&self.db, p => {
            sqlx::query_as("SELECT state FROM credentials WHERE credential = $1")
                .bind(cred)
                .fetch_optional(p)
                .await?
        });
        if taken.is_some() {
            return Ok(
                Refusal::new(Rule::Credential, "this credential is already enrolled").into(),
            );
        }
        Ok(RegistryError::Conflict(
            "another enrolment of this citizen is in progress".into(),
        ))
    }

    /// Posts a pending enrolment's entries and settles its state.
    async fn finish_enrolment(&self, cred: &[u8]) -> Result<Enrolled, RegistryError> {
        let row: Option<PendingRow> = on_pool!(&self.db, p => {
            sqlx::query_as(
                "SELECT credential, civil_number, wilayat, replaces, enrol_entry, revoke_entry \
                 FROM credentials WHERE credential = $1 AND state = 'pending'",
            )
            .bind(cred)
            .fetch_optional(p)
            .await?
        });
        let (_, civil, wilayat, replaces, enrol_entry, revoke_entry) =
            row.ok_or_else(|| RegistryError::NotFound("a pending enrolment".into()))?;
        let now = self.now();
        let credential = stored_key(cred.to_vec())?;
        let revoked = replaces.map(stored_key).transpose()?;
        if let (Some(entry), Some(old)) = (revoke_entry, &revoked) {
            match self.post(&entry).await {
                Ok(_) => {
                    on_pool!(&self.db, p => {
                        sqlx::query(
                            "UPDATE credentials SET state = 'revoked', revoked_ms = $2 \
                             WHERE credential = $1 AND state = 'active'",
                        )
                        .bind(old.bytes().as_slice())
                        .bind(to_i64(now)?)
                        .execute(p)
                        .await?;
                    });
                }
                Err(e) => return Err(self.undo_enrolment(cred, e).await),
            }
        }
        let index = match self.post(&enrol_entry).await {
            Ok(i) => i,
            Err(e) => return Err(self.undo_enrolment(cred, e).await),
        };
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await?;
            sqlx::query(
                "UPDATE credentials SET state = 'active', entry_index = $2 \
                 WHERE credential = $1 AND state = 'pending'",
            )
            .bind(cred)
            .bind(to_i64(index)?)
            .execute(&mut *tx)
            .await?;
            let detail = serde_json::json!({
                "credential": credential, "wilayat": wilayat, "entry_index": index,
                "revoked": revoked,
            })
            .to_string();
            record_decision!(tx, now, Actor { role: Role::Citizen, id: "self".into() }, "enrolment", civil.as_str(), detail.as_str());
            tx.commit().await?;
        });
        Ok(Enrolled {
            credential,
            wilayat: WilayatId(wilayat),
            entry_index: index,
            revoked,
        })
    }

    /// Drops a pending enrolment the board refused; returns the error to report. Storage
    /// errors leave it pending, for [`Registry::open`] to finish.
    async fn undo_enrolment(&self, cred: &[u8], e: RegistryError) -> RegistryError {
        if !matches!(
            e,
            RegistryError::Board(BoardError::Refused(_) | BoardError::Entry(_))
        ) {
            return e;
        }
        let deleted: Result<(), sqlx::Error> = on_pool!(&self.db, p => {
            sqlx::query("DELETE FROM credentials WHERE credential = $1 AND state = 'pending'")
                .bind(cred)
                .execute(p)
                .await
                .map(|_| ())
        });
        match deleted {
            Ok(()) => e,
            Err(db) => db.into(),
        }
    }

    /// Finishes every pending enrolment (at open).
    pub(crate) async fn finish_pending_enrolments(&self) -> Result<(), RegistryError> {
        let rows: Vec<(Vec<u8>,)> = on_pool!(&self.db, p => {
            sqlx::query_as("SELECT credential FROM credentials WHERE state = 'pending'")
                .fetch_all(p)
                .await?
        });
        for (cred,) in rows {
            match self.finish_enrolment(&cred).await {
                Ok(_) | Err(RegistryError::Board(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Active credentials per wilayat, as the registry counts them (the public counts the
    /// same from the board).
    pub async fn enrolment_counts(&self) -> Result<Vec<(WilayatId, u64)>, RegistryError> {
        let rows: Vec<(String, i64)> = on_pool!(&self.db, p => {
            sqlx::query_as(
                "SELECT wilayat, COUNT(*) FROM credentials WHERE state = 'active' \
                 GROUP BY wilayat ORDER BY wilayat",
            )
            .fetch_all(p)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(w, n)| (WilayatId(w), n.max(0) as u64))
            .collect())
    }
}
