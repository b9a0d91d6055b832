//! The voter lists: registration and transfer, objections and rulings, the freeze that makes
//! them final and posts each wilayat's count and commitment on the board, and a voter's
//! proof of inclusion.
//!
//! Every change to a list runs under the registry's list lock and in one transaction with
//! its decision record. A transfer is a single conditional `UPDATE` of the voter's one row
//! (`registrations` is keyed by civil number), so a voter is never in two lists nor, by a
//! transfer, in none; a concurrent change makes the second request fail with a conflict.

use rand::TryRng;
use sawt_board::Hash;
use sawt_election::entry::EntryBody;
use sawt_election::geography::WilayatId;
use sawt_election::keys::Hex32;
use sawt_registry::commitment::{Inclusion, ListTree, leaf};
use sawt_registry::objection::{self, Objection, ObjectionKind, Ruling};
use sawt_registry::registration::{self, Change};
use sawt_registry::{Actor, CivilNumber, Refusal, Role, Rule};
use sqlx::AssertSqlSafe;

use super::{Registry, RegistryError, record_decision};
use crate::db::{on_pool, to_i64};

/// A citizen's registration as they see it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Registration {
    /// Where they are registered, if anywhere.
    pub wilayat: Option<WilayatId>,
    /// Whether the lists are final.
    pub final_lists: bool,
}

/// An objection as stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ObjectionView {
    /// Its number.
    pub id: u64,
    /// What it claims.
    pub kind: ObjectionKind,
    /// Which list.
    pub wilayat: WilayatId,
    /// The grounds.
    pub grounds: String,
    /// When it was filed.
    pub filed_ms: u64,
    /// The ruling, once decided.
    pub ruling: Option<Ruling>,
    /// The ruling's reason.
    pub reason: Option<String>,
    /// Who decided.
    pub decided_by: Option<Actor>,
}

/// A wilayat's final list as committed on the board.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FinalList {
    /// The wilayat.
    pub wilayat: WilayatId,
    /// Registered voters.
    pub registered: u64,
    /// The commitment's root, lowercase hexadecimal.
    pub root: String,
    /// The `roll-count` entry's index on the board, once posted.
    pub entry_index: Option<u64>,
}

fn citizen() -> Actor {
    Actor {
        role: Role::Citizen,
        id: "self".into(),
    }
}

fn change_detail(change: &Change, reason: Option<&str>) -> String {
    let mut v = serde_json::to_value(change).unwrap_or_default();
    if let (Some(r), Some(o)) = (reason, v.as_object_mut()) {
        o.insert("reason".into(), r.into());
    }
    v.to_string()
}

/// Applies a list change for `civil` inside transaction `$tx`, refusing it if the lists were
/// frozen or the registration changed meanwhile.
macro_rules! apply_change {
    ($tx:expr, $civil:expr, $change:expr, $now:expr) => {{
        let frozen: Option<(i64,)> = sqlx::query_as("SELECT frozen_ms FROM list_state WHERE id = 1")
            .fetch_optional(&mut *$tx)
            .await?;
        if frozen.is_some() {
            return Err(Refusal::new(Rule::ListsFrozen, "the voter lists are final").into());
        }
        let changed = match $change {
            Change::Register { wilayat } => {
                let r = sqlx::query(
                    "INSERT INTO registrations (civil_number, wilayat, since_ms) VALUES ($1, $2, $3) \
                     ON CONFLICT (civil_number) DO NOTHING",
                )
                .bind($civil.expose())
                .bind(wilayat.0.as_str())
                .bind(to_i64($now)?)
                .execute(&mut *$tx)
                .await?;
                r.rows_affected()
            }
            Change::Transfer { from, to } => {
                let r = sqlx::query(
                    "UPDATE registrations SET wilayat = $3, since_ms = $4 \
                     WHERE civil_number = $1 AND wilayat = $2",
                )
                .bind($civil.expose())
                .bind(from.0.as_str())
                .bind(to.0.as_str())
                .bind(to_i64($now)?)
                .execute(&mut *$tx)
                .await?;
                r.rows_affected()
            }
            Change::Remove { wilayat } => {
                let r = sqlx::query(
                    "DELETE FROM registrations WHERE civil_number = $1 AND wilayat = $2",
                )
                .bind($civil.expose())
                .bind(wilayat.0.as_str())
                .execute(&mut *$tx)
                .await?;
                r.rows_affected()
            }
        };
        if changed != 1 {
            return Err(RegistryError::Conflict(
                "the registration changed meanwhile; look at it again".into(),
            ));
        }
    }};
}

impl Registry {
    /// A citizen's registration.
    pub async fn registration(&self, civil: &CivilNumber) -> Result<Registration, RegistryError> {
        let (_, current) = self.person(civil).await?;
        Ok(Registration {
            wilayat: current,
            final_lists: self.lists_frozen().await?,
        })
    }

    /// A citizen registers in, or transfers their registration to, `target`.
    pub async fn register(
        &self,
        civil: &CivilNumber,
        target: &WilayatId,
    ) -> Result<Change, RegistryError> {
        let _lists = self.lists.lock().await;
        let now = self.now();
        let (person, current) = self.person(civil).await?;
        let frozen = self.lists_frozen().await?;
        let change = registration::request(
            &person,
            current.as_ref(),
            target,
            frozen,
            &self.calendar().await?,
            now,
        )?;
        let action = match change {
            Change::Transfer { .. } => "transfer",
            _ => "register",
        };
        let detail = change_detail(&change, None);
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await?;
            apply_change!(tx, civil, &change, now);
            record_decision!(tx, now, citizen(), action, civil.expose(), detail.as_str());
            tx.commit().await?;
        });
        Ok(change)
    }

    /// A citizen in the roll files an objection against a preliminary list; its number.
    pub async fn file_objection(
        &self,
        objector: &CivilNumber,
        o: &Objection,
    ) -> Result<u64, RegistryError> {
        // Under the list lock: a filing cannot slip in behind the freeze.
        let _lists = self.lists.lock().await;
        let now = self.now();
        self.person(objector).await?;
        self.person(&o.subject).await?;
        if !self.wilayats.contains(&o.wilayat) {
            return Err(RegistryError::Invalid(format!(
                "unknown wilayat {}",
                o.wilayat.0
            )));
        }
        objection::check_filing(o, self.lists_frozen().await?, &self.calendar().await?, now)?;
        let id: (i64,) = on_pool!(&self.db, p => {
            let mut tx = p.begin().await?;
            let id: (i64,) = sqlx::query_as(
                "INSERT INTO objections (kind, subject, wilayat, grounds, filed_by, filed_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(o.kind.as_str())
            .bind(o.subject.expose())
            .bind(o.wilayat.0.as_str())
            .bind(o.grounds.as_str())
            .bind(objector.expose())
            .bind(to_i64(now)?)
            .fetch_one(&mut *tx)
            .await?;
            let subject = format!("objection:{}", id.0);
            let detail = serde_json::json!({"kind": o.kind, "wilayat": o.wilayat}).to_string();
            record_decision!(tx, now, citizen(), "objection-filed", subject.as_str(), detail.as_str());
            tx.commit().await?;
            id
        });
        Ok(id.0 as u64)
    }

    /// A registry official rules on an objection, with reasons; returns the list change an
    /// upheld objection made.
    pub async fn decide_objection(
        &self,
        id: u64,
        ruling: Ruling,
        reason: &str,
        by: &Actor,
    ) -> Result<Option<Change>, RegistryError> {
        let _lists = self.lists.lock().await;
        let now = self.now();
        if self.lists_frozen().await? {
            return Err(Refusal::new(Rule::ListsFrozen, "the voter lists are final").into());
        }
        let row: Option<(String, String, String, String, Option<String>)> = on_pool!(&self.db, p => {
            sqlx::query_as(
                "SELECT kind, subject, wilayat, grounds, ruling FROM objections WHERE id = $1",
            )
            .bind(to_i64(id)?)
            .fetch_optional(p)
            .await?
        });
        let (kind, subject, wilayat, grounds, decided) =
            row.ok_or_else(|| RegistryError::NotFound(format!("objection {id}")))?;
        if decided.is_some() {
            return Err(Refusal::new(Rule::Objection, "the objection is already decided").into());
        }
        let o = Objection {
            kind: ObjectionKind::parse(&kind)
                .ok_or(crate::StoreError::Corrupt("objection kind"))?,
            subject: CivilNumber::parse(&subject)
                .map_err(|_| crate::StoreError::Corrupt("objection subject"))?,
            wilayat: WilayatId(wilayat),
            grounds,
        };
        let (person, current) = self.person(&o.subject).await?;
        let change = objection::decide(
            &o,
            ruling,
            reason,
            by,
            &person,
            current.as_ref(),
            &self.calendar().await?,
        )?;
        let ruling_s = match ruling {
            Ruling::Upheld => "upheld",
            Ruling::Dismissed => "dismissed",
        };
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await?;
            if let Some(c) = &change {
                apply_change!(tx, &o.subject, c, now);
                let detail = change_detail(c, Some(reason));
                record_decision!(tx, now, by, "objection-change", o.subject.expose(), detail.as_str());
            }
            let r = sqlx::query(
                "UPDATE objections SET ruling = $2, reason = $3, decided_role = $4, \
                 decided_by = $5, decided_ms = $6 WHERE id = $1 AND ruling IS NULL",
            )
            .bind(to_i64(id)?)
            .bind(ruling_s)
            .bind(reason)
            .bind(by.role.as_str())
            .bind(by.id.as_str())
            .bind(to_i64(now)?)
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() != 1 {
                return Err(RegistryError::Conflict("the objection was decided meanwhile".into()));
            }
            let subject = format!("objection:{id}");
            let detail = serde_json::json!({"ruling": ruling_s, "reason": reason}).to_string();
            record_decision!(tx, now, by, "objection-ruling", subject.as_str(), detail.as_str());
            tx.commit().await?;
        });
        Ok(change)
    }

    /// The objections, oldest first (only the undecided ones if `undecided`).
    pub async fn objections(&self, undecided: bool) -> Result<Vec<ObjectionView>, RegistryError> {
        type Row = (
            i64,
            String,
            String,
            String,
            i64,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let sql = format!(
            "SELECT id, kind, wilayat, grounds, filed_ms, ruling, reason, decided_role, decided_by \
             FROM objections {} ORDER BY id",
            if undecided {
                "WHERE ruling IS NULL"
            } else {
                ""
            }
        );
        let rows: Vec<Row> = on_pool!(&self.db, p => {
            sqlx::query_as(AssertSqlSafe(sql)).fetch_all(p).await?
        });
        rows.into_iter()
            .map(
                |(id, kind, wilayat, grounds, filed, ruling, reason, role, by)| {
                    Ok(ObjectionView {
                        id: id as u64,
                        kind: ObjectionKind::parse(&kind)
                            .ok_or(crate::StoreError::Corrupt("objection kind"))?,
                        wilayat: WilayatId(wilayat),
                        grounds,
                        filed_ms: filed.max(0) as u64,
                        ruling: ruling.map(|r| {
                            if r == "upheld" {
                                Ruling::Upheld
                            } else {
                                Ruling::Dismissed
                            }
                        }),
                        reason,
                        decided_by: match (role, by) {
                            (Some(role), Some(id)) => Some(Actor {
                                role: Role::parse(&role)
                                    .ok_or(crate::StoreError::Corrupt("role"))?,
                                id,
                            }),
                            _ => None,
                        },
                    })
                },
            )
            .collect()
    }

    /// The number of registered voters per wilayat now (the preliminary lists' sizes before
    /// the freeze).
    pub async fn list_counts(&self) -> Result<Vec<(WilayatId, u64)>, RegistryError> {
        let rows: Vec<(String, i64)> = on_pool!(&self.db, p => {
            sqlx::query_as(
                "SELECT wilayat, COUNT(*) FROM registrations GROUP BY wilayat ORDER BY wilayat",
            )
            .fetch_all(p)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(w, n)| (WilayatId(w), n.max(0) as u64))
            .collect())
    }

    /// A wilayat's list, for officials and for publication: civil number, Arabic and English
    /// name, in civil-number order.
    pub async fn voter_list(
        &self,
        wilayat: &WilayatId,
    ) -> Result<Vec<(CivilNumber, String, String)>, RegistryError> {
        let rows: Vec<(String, String, String)> = on_pool!(&self.db, p => {
            sqlx::query_as(
                "SELECT p.civil_number, p.name_ar, p.name_en FROM registrations r \
                 JOIN roll_people p ON p.civil_number = r.civil_number \
                 WHERE r.wilayat = $1 ORDER BY p.civil_number",
            )
            .bind(wilayat.0.as_str())
            .fetch_all(p)
            .await?
        });
        rows.into_iter()
            .map(|(c, ar, en)| {
                Ok((
                    CivilNumber::parse(&c)
                        .map_err(|_| crate::StoreError::Corrupt("civil number"))?,
                    ar,
                    en,
                ))
            })
            .collect()
    }

    /// A registry official freezes the lists: after the objection period, every objection
    /// decided, before voting. Each voter gets a fresh salt; each wilayat's count and
    /// commitment are posted on the board (`roll-count`, signed by the registrar).
    pub async fn freeze(&self, by: &Actor) -> Result<Vec<FinalList>, RegistryError> {
        if by.role != Role::RegistryOfficial {
            return Err(
                Refusal::new(Rule::ListsFrozen, "a registry official freezes the lists").into(),
            );
        }
        let _lists = self.lists.lock().await;
        let now = self.now();
        if self.lists_frozen().await? {
            return Err(
                Refusal::new(Rule::ListsFrozen, "the voter lists are already final").into(),
            );
        }
        let undecided = self.objections(true).await?.len() as u64;
        registration::check_freeze(&self.calendar().await?, now, undecided)?;
        let mut wilayats: Vec<&WilayatId> = self.wilayats.iter().collect();
        wilayats.sort();
        let mut rng = rand::rngs::SysRng;
        let backend = self.db.backend();
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await?;
            for w in &wilayats {
                let members: Vec<(String,)> = sqlx::query_as(
                    "SELECT civil_number FROM registrations WHERE wilayat = $1",
                )
                .bind(w.0.as_str())
                .fetch_all(&mut *tx)
                .await?;
                let mut rows = Vec::with_capacity(members.len());
                for (c,) in members {
                    let civil = CivilNumber::parse(&c)
                        .map_err(|_| crate::StoreError::Corrupt("civil number"))?;
                    let mut salt = [0u8; 32];
                    rng.try_fill_bytes(&mut salt)
                        .map_err(|e| RegistryError::Invalid(format!("no OS randomness: {e}")))?;
                    let l = leaf(w, &civil, &salt);
                    rows.push((c, salt, l));
                }
                let tree = ListTree::new(rows.iter().map(|r| r.2).collect());
                for chunk in rows.chunks(500) {
                    let sql = format!(
                        "INSERT INTO list_members (civil_number, wilayat, salt, leaf) VALUES {}",
                        super::import::placeholders(backend, chunk.len(), 4)
                    );
                    let mut q = sqlx::query(AssertSqlSafe(sql));
                    for (c, salt, l) in chunk {
                        q = q.bind(c.as_str()).bind(w.0.as_str()).bind(salt.as_slice()).bind(l.as_slice());
                    }
                    q.execute(&mut *tx).await?;
                }
                let entry = self.sign(EntryBody::RollCount {
                    wilayat: (*w).clone(),
                    registered: tree.size(),
                    root: Hex32(tree.root()),
                })?;
                sqlx::query(
                    "INSERT INTO final_lists (wilayat, registered, root, entry) VALUES ($1, $2, $3, $4)",
                )
                .bind(w.0.as_str())
                .bind(to_i64(tree.size())?)
                .bind(tree.root().as_slice())
                .bind(entry.as_slice())
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query("INSERT INTO list_state (id, frozen_ms, frozen_by) VALUES (1, $1, $2)")
                .bind(to_i64(now)?)
                .bind(by.id.as_str())
                .execute(&mut *tx)
                .await?;
            record_decision!(tx, now, by, "lists-frozen", "lists", "{}");
            tx.commit().await?;
        });
        self.post_final_lists().await?;
        self.final_lists().await
    }

    /// Posts the `roll-count` entries the freeze signed and did not post yet.
    pub(crate) async fn post_final_lists(&self) -> Result<(), RegistryError> {
        let rows: Vec<(String, Vec<u8>)> = on_pool!(&self.db, p => {
            sqlx::query_as("SELECT wilayat, entry FROM final_lists WHERE entry_index IS NULL ORDER BY wilayat")
                .fetch_all(p)
                .await?
        });
        for (w, entry) in rows {
            let index = self.post(&entry).await?;
            on_pool!(&self.db, p => {
                sqlx::query("UPDATE final_lists SET entry_index = $2 WHERE wilayat = $1")
                    .bind(w.as_str())
                    .bind(to_i64(index)?)
                    .execute(p)
                    .await?;
            });
        }
        Ok(())
    }

    /// The final lists' counts and commitments (empty before the freeze).
    pub async fn final_lists(&self) -> Result<Vec<FinalList>, RegistryError> {
        let rows: Vec<(String, i64, Vec<u8>, Option<i64>)> = on_pool!(&self.db, p => {
            sqlx::query_as(
                "SELECT wilayat, registered, root, entry_index FROM final_lists ORDER BY wilayat",
            )
            .fetch_all(p)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(w, n, root, index)| FinalList {
                wilayat: WilayatId(w),
                registered: n.max(0) as u64,
                root: hex::encode(root),
                entry_index: index.map(|i| i.max(0) as u64),
            })
            .collect())
    }

    /// A voter's proof that they are on their wilayat's final list, against the commitment
    /// the board holds.
    pub async fn inclusion(
        &self,
        civil: &CivilNumber,
    ) -> Result<(Inclusion, FinalList), RegistryError> {
        let row: Option<(String, Vec<u8>, Vec<u8>)> = on_pool!(&self.db, p => {
            sqlx::query_as("SELECT wilayat, salt, leaf FROM list_members WHERE civil_number = $1")
                .bind(civil.expose())
                .fetch_optional(p)
                .await?
        });
        let (wilayat, salt, own) = row.ok_or_else(|| {
            RegistryError::Refused(
                Refusal::new(Rule::Registration, "not on a final voter list").into(),
            )
        })?;
        let leaves: Vec<(Vec<u8>,)> = on_pool!(&self.db, p => {
            sqlx::query_as("SELECT leaf FROM list_members WHERE wilayat = $1")
                .bind(wilayat.as_str())
                .fetch_all(p)
                .await?
        });
        let corrupt = |_| crate::StoreError::Corrupt("a leaf or salt of the wrong length");
        let leaves: Vec<[u8; 32]> = leaves
            .into_iter()
            .map(|(l,)| <[u8; 32]>::try_from(l).map_err(corrupt))
            .collect::<Result<_, _>>()?;
        let tree = ListTree::new(leaves);
        let own: [u8; 32] = own.try_into().map_err(corrupt)?;
        let proof = tree.prove(&own).ok_or(crate::StoreError::Corrupt(
            "a member's leaf is not in its list",
        ))?;
        let list = self
            .final_lists()
            .await?
            .into_iter()
            .find(|l| l.wilayat.0 == wilayat)
            .ok_or(crate::StoreError::Corrupt(
                "a list member without a final list",
            ))?;
        let root: Hash = tree.root();
        if hex::encode(root) != list.root {
            return Err(crate::StoreError::Corrupt("a list's leaves do not give its root").into());
        }
        Ok((
            Inclusion {
                wilayat: WilayatId(wilayat),
                salt: Hex32(salt.try_into().map_err(corrupt)?),
                proof,
            },
            list,
        ))
    }
}
