//! Candidacy applications: filed by citizens in the candidacy window (the automatic checks
//! refuse at once, with every reason), decided by the candidacy committee, appealed to the
//! Supreme Elections Committee, withdrawn until the deadline; the final list per contest
//! becomes the manifest's candidates.

use sawt_election::manifest::{Candidate, Names};
use sawt_registry::candidacy::{self, Accepted, Application, Declarations, Status, Verdict};
use sawt_registry::{Actor, CivilNumber, Refusal, Role, Rule};

use super::{Registry, RegistryError, is_unique_violation, record_decision};
use crate::db::{on_pool, to_i64};

/// An application as stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ApplicationView {
    /// Its number (the candidate's identifier is `c<number>`).
    pub id: u64,
    /// The contest.
    pub contest: String,
    /// The ballot name.
    pub ballot_name: Names,
    /// The declarations.
    pub declarations: Declarations,
    /// Its state.
    pub status: Status,
    /// When it was filed.
    pub filed_ms: u64,
}

/// A contest's candidate list.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CandidateListView {
    /// The contest.
    pub contest: String,
    /// The candidates in ballot order.
    pub candidates: Vec<Candidate>,
}

type AppRow = (i64, String, String, String, String, String, String, i64);

fn view(row: AppRow) -> Result<(ApplicationView, String), RegistryError> {
    let (id, civil, contest, ar, en, decl, status, filed) = row;
    Ok((
        ApplicationView {
            id: id as u64,
            contest,
            ballot_name: Names { ar, en },
            declarations: serde_json::from_str(&decl)
                .map_err(|_| crate::StoreError::Corrupt("an application's declarations"))?,
            status: Status::parse(&status)
                .ok_or(crate::StoreError::Corrupt("an application's status"))?,
            filed_ms: filed.max(0) as u64,
        },
        civil,
    ))
}

const APP_COLUMNS: &str =
    "id, civil_number, contest, ballot_name_ar, ballot_name_en, declarations, status, filed_ms";

impl Registry {
    /// A citizen files an application; its number. Refused at once, with every reason, when
    /// an automatic check fails.
    pub async fn apply(
        &self,
        civil: &CivilNumber,
        app: &Application,
    ) -> Result<u64, RegistryError> {
        let now = self.now();
        let manifest = self.board.manifest();
        let contest = manifest
            .contest(&app.contest)
            .ok_or_else(|| RegistryError::Invalid(format!("unknown contest {}", app.contest)))?;
        let (person, registered) = self.person(civil).await?;
        candidacy::check_filing(
            app,
            manifest.kind,
            &contest.wilayat,
            &person,
            registered.as_ref(),
            &self.calendar().await?,
            now,
        )?;
        let decl = serde_json::to_string(&app.declarations)
            .map_err(|e| RegistryError::Invalid(e.to_string()))?;
        let result: Result<(i64,), sqlx::Error> = on_pool!(&self.db, p => {
            async {
                let mut tx = p.begin().await?;
                let id: (i64,) = sqlx::query_as(
                    "INSERT INTO candidacies (civil_number, contest, ballot_name_ar, ballot_name_en, \
                     declarations, status, filed_ms, updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
                     RETURNING id",
                )
                .bind(civil.expose())
                .bind(app.contest.as_str())
                .bind(app.ballot_name.ar.as_str())
                .bind(app.ballot_name.en.as_str())
                .bind(decl.as_str())
                .bind(Status::UnderReview.as_str())
                .bind(now as i64)
                .fetch_one(&mut *tx)
                .await?;
                let subject = format!("application:{}", id.0);
                let citizen = Actor { role: Role::Citizen, id: "self".into() };
                let detail = serde_json::json!({"contest": app.contest}).to_string();
                sqlx::query(
                    "INSERT INTO registry_decisions (at_ms, actor_role, actor_id, action, subject, detail) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(now as i64)
                .bind(citizen.role.as_str())
                .bind(citizen.id.as_str())
                .bind("application-filed")
                .bind(subject.as_str())
                .bind(detail.as_str())
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(id)
            }
            .await
        });
        match result {
            Ok((id,)) => Ok(id as u64),
            Err(e) if is_unique_violation(&e) => Err(Refusal::new(
                Rule::Application,
                "this citizen has already filed an application",
            )
            .into()),
            Err(e) => Err(e.into()),
        }
    }

    /// An application, with the applicant's civil number.
    pub async fn application(
        &self,
        id: u64,
    ) -> Result<(ApplicationView, CivilNumber), RegistryError> {
        let sql = format!("SELECT {APP_COLUMNS} FROM candidacies WHERE id = $1");
        let row: Option<AppRow> = on_pool!(&self.db, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(to_i64(id)?).fetch_optional(p).await?
        });
        let (v, civil) =
            view(row.ok_or_else(|| RegistryError::NotFound(format!("application {id}")))?)?;
        let civil =
            CivilNumber::parse(&civil).map_err(|_| crate::StoreError::Corrupt("civil number"))?;
        Ok((v, civil))
    }

    /// The applications, in filing order.
    pub async fn applications(&self) -> Result<Vec<ApplicationView>, RegistryError> {
        let sql = format!("SELECT {APP_COLUMNS} FROM candidacies ORDER BY id");
        let rows: Vec<AppRow> = on_pool!(&self.db, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(p).await?
        });
        rows.into_iter().map(|r| view(r).map(|(v, _)| v)).collect()
    }

    /// Moves an application from `from` to `to`, recording the decision (one transaction; a
    /// concurrent change makes it a conflict).
    async fn transition(
        &self,
        id: u64,
        from: Status,
        to: Status,
        by: &Actor,
        action: &str,
        detail: String,
    ) -> Result<Status, RegistryError> {
        let now = self.now();
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await?;
            let r = sqlx::query(
                "UPDATE candidacies SET status = $3, updated_ms = $4 WHERE id = $1 AND status = $2",
            )
            .bind(to_i64(id)?)
            .bind(from.as_str())
            .bind(to.as_str())
            .bind(to_i64(now)?)
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() != 1 {
                return Err(RegistryError::Conflict("the application changed meanwhile".into()));
            }
            let subject = format!("application:{id}");
            record_decision!(tx, now, by, action, subject.as_str(), detail.as_str());
            tx.commit().await?;
        });
        Ok(to)
    }

    /// The candidacy committee decides an application under review.
    pub async fn review(
        &self,
        id: u64,
        verdict: &Verdict,
        by: &Actor,
    ) -> Result<Status, RegistryError> {
        let (app, _) = self.application(id).await?;
        let to = candidacy::review(
            app.status,
            verdict,
            self.board.manifest().kind,
            by,
            &self.calendar().await?,
            self.now(),
        )?;
        let detail =
            serde_json::to_string(verdict).map_err(|e| RegistryError::Invalid(e.to_string()))?;
        self.transition(id, app.status, to, by, "application-review", detail)
            .await
    }

    /// The applicant appeals a refusal (`civil` must be the applicant's).
    pub async fn appeal(&self, id: u64, civil: &CivilNumber) -> Result<Status, RegistryError> {
        let (app, applicant) = self.application(id).await?;
        if &applicant != civil {
            return Err(Refusal::new(Rule::Application, "only the applicant appeals").into());
        }
        let by = Actor {
            role: Role::Citizen,
            id: "self".into(),
        };
        let to = candidacy::appeal(app.status, &by, &self.calendar().await?, self.now())?;
        self.transition(id, app.status, to, &by, "application-appeal", "{}".into())
            .await
    }

    /// The Supreme Elections Committee decides an appeal.
    pub async fn decide_appeal(
        &self,
        id: u64,
        upheld: bool,
        reason: &str,
        by: &Actor,
    ) -> Result<Status, RegistryError> {
        let (app, _) = self.application(id).await?;
        let to = candidacy::decide_appeal(
            app.status,
            upheld,
            reason,
            by,
            &self.calendar().await?,
            self.now(),
        )?;
        let detail = serde_json::json!({"upheld": upheld, "reason": reason}).to_string();
        self.transition(id, app.status, to, by, "appeal-decision", detail)
            .await
    }

    /// The applicant withdraws (`civil` must be the applicant's).
    pub async fn withdraw(&self, id: u64, civil: &CivilNumber) -> Result<Status, RegistryError> {
        let (app, applicant) = self.application(id).await?;
        if &applicant != civil {
            return Err(Refusal::new(Rule::Application, "only the applicant withdraws").into());
        }
        let by = Actor {
            role: Role::Citizen,
            id: "self".into(),
        };
        let to = candidacy::withdraw(app.status, &by, &self.calendar().await?, self.now())?;
        self.transition(
            id,
            app.status,
            to,
            &by,
            "application-withdrawn",
            "{}".into(),
        )
        .await
    }

    /// The election authority publishes the final candidate lists on the board: one
    /// `candidate-list` entry, signed with `authority`, for each contest whose manifest entry
    /// has no candidates and whose list is not on the board yet. Refused before the lists are
    /// final, or if such a contest has no accepted candidate. Returns `(contest, index)` for
    /// each entry posted.
    pub async fn publish_candidate_lists(
        &self,
        authority: &ed25519_dalek::SigningKey,
    ) -> Result<Vec<(String, u64)>, RegistryError> {
        let lists = self.candidate_lists(true).await?;
        let manifest = self.board.manifest();
        // Every list is checked as the gate will check it before any is posted: a refusal
        // leaves the board as it was.
        let mut published = self.board.published_lists().await;
        let mut pending = Vec::new();
        for list in lists {
            let deferred = manifest
                .contest(&list.contest)
                .is_some_and(|c| c.candidates.is_empty());
            if !deferred || published.get(&list.contest).is_some() {
                continue;
            }
            if list.candidates.is_empty() {
                return Err(Refusal::new(
                    Rule::Application,
                    format!("contest {} has no accepted candidate", list.contest),
                )
                .into());
            }
            published
                .check(manifest, &list.contest, &list.candidates)
                .map_err(|e| Refusal::new(Rule::Application, e))?;
            published.insert(&list.contest, list.candidates.clone());
            pending.push(list);
        }
        let mut posted = Vec::new();
        for list in pending {
            let entry = sawt_election::entry::Entry {
                format: sawt_election::entry::ENTRY_FORMAT.into(),
                election: sawt_election::keys::Hex32(self.board.election()),
                author: sawt_election::keys::PublicKeyHex::from_key(&authority.verifying_key()),
                timestamp_ms: self.now(),
                body: sawt_election::entry::EntryBody::CandidateList {
                    contest: list.contest.clone(),
                    candidates: list.candidates,
                },
            }
            .sign(authority)
            .and_then(|s| s.canonical_bytes())
            .map_err(|e| RegistryError::Invalid(e.to_string()))?;
            posted.push((list.contest, self.post(&entry).await?));
        }
        Ok(posted)
    }

    /// The candidate a voting credential belongs to, if its holder's application was
    /// accepted: `(candidate identifier, contest)`.
    pub async fn candidate_of(
        &self,
        credential: &[u8; 32],
    ) -> Result<Option<(String, String)>, RegistryError> {
        let row: Option<(i64, String)> = on_pool!(&self.db, p => {
            sqlx::query_as(
                "SELECT a.id, a.contest FROM credentials c \
                 JOIN candidacies a ON a.civil_number = c.civil_number \
                 WHERE c.credential = $1 AND c.state = 'active' AND a.status = 'accepted'",
            )
            .bind(credential.as_slice())
            .fetch_optional(p)
            .await?
        });
        Ok(row.map(|(id, contest)| (format!("c{id}"), contest)))
    }

    /// The candidate lists: the accepted applications per contest, in ballot order. With
    /// `final_only`, refused until the withdrawal deadline has passed and nothing is pending.
    pub async fn candidate_lists(
        &self,
        final_only: bool,
    ) -> Result<Vec<CandidateListView>, RegistryError> {
        let apps = self.applications().await?;
        if final_only {
            let pending = apps
                .iter()
                .filter(|a| matches!(a.status, Status::UnderReview | Status::Appealed))
                .count() as u64;
            candidacy::check_final(&self.calendar().await?, self.now(), pending)?;
        }
        Ok(self
            .board
            .manifest()
            .contests
            .iter()
            .map(|c| CandidateListView {
                contest: c.id.clone(),
                candidates: candidacy::final_list(
                    apps.iter()
                        .filter(|a| a.contest == c.id && a.status == Status::Accepted)
                        .map(|a| Accepted {
                            id: format!("c{}", a.id),
                            name: a.ballot_name.clone(),
                        })
                        .collect(),
                ),
            })
            .collect())
    }
}
