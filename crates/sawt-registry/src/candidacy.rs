//! Candidacy: applications in the candidacy window, the rules checked automatically where the
//! roll has the data, the candidacy committee's decision with reasons where it does not,
//! withdrawal until the deadline, appeals to the Supreme Elections Committee, and the final
//! list as the manifest's candidates.
//!
//! | rule | checked |
//! |---|---|
//! | [`Rule::Omani`], [`Rule::NotSecurityMilitary`], [`Rule::IdCardValid`] | from the roll |
//! | [`Rule::CandidateAge`] (30 on 1 January of the election year) | from the roll |
//! | [`Rule::CandidateRegistered`] (in the contest's wilayat) | from the voter lists |
//! | [`Rule::Education`] (general secondary diploma) | declared, then the committee |
//! | [`Rule::NoConviction`] (no final conviction for a felony or a crime of honour, even if rehabilitated) | declared, then the committee |
//! | [`Rule::GoodReputation`] | the committee |
//! | municipal: [`Rule::SoundMind`], [`Rule::NotCouncilMember`], [`Rule::LivesAndWorksInOman`] | declared (and the roll's abroad flag), then the committee |
//!
//! States: `under-review` → `accepted` | `refused`; `refused` → `appealed` → `accepted`
//! (upheld) | `refused-final` (dismissed); `under-review` or `accepted` → `withdrawn` until
//! the deadline. Appeals are filed until the deadline too; the committees may decide until
//! voting opens, and the final list waits until nothing is under review or on appeal (a
//! refusal not appealed by the deadline is final in effect).

use sawt_election::geography::WilayatId;
use sawt_election::manifest::{Candidate, ElectionKind, Names};
use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Role};
use crate::calendar::{Calendar, Period};
use crate::eligibility::{
    Refusal, Refusals, Rule, id_card_valid, minimum_age, not_security_military, omani,
};
use crate::objection::check_text;
use crate::roll::RollRecord;

/// The candidacy age on 1 January of the election year.
pub const CANDIDACY_AGE: i32 = 30;

/// Education as declared.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Education {
    /// Below the general secondary diploma.
    BelowSecondary,
    /// The general secondary diploma (or equivalent).
    GeneralSecondary,
    /// A university degree.
    Higher,
}

/// What the applicant declares (the committee verifies).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Declarations {
    /// Highest education.
    pub education: Education,
    /// A final conviction for a felony or a crime of honour, even if rehabilitated.
    pub convicted: bool,
    /// Municipal: a sitting member of the Shura or State Council.
    #[serde(default)]
    pub council_member: bool,
    /// Municipal: lives and works in Oman.
    #[serde(default = "yes")]
    pub lives_and_works_in_oman: bool,
}

fn yes() -> bool {
    true
}

/// An application to stand in a contest.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    /// The contest (from the manifest).
    pub contest: String,
    /// The name as it will appear on the ballot.
    pub ballot_name: Names,
    /// The declarations.
    pub declarations: Declarations,
}

/// An application's state.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Waiting for the committee.
    UnderReview,
    /// On the candidate list.
    Accepted,
    /// Refused; may be appealed.
    Refused,
    /// Refused and appealed; waiting for the Supreme Elections Committee.
    Appealed,
    /// Refused, appeal dismissed (or none possible any more).
    RefusedFinal,
    /// Withdrawn by the applicant.
    Withdrawn,
}

impl Status {
    /// The state's name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::UnderReview => "under-review",
            Status::Accepted => "accepted",
            Status::Refused => "refused",
            Status::Appealed => "appealed",
            Status::RefusedFinal => "refused-final",
            Status::Withdrawn => "withdrawn",
        }
    }

    /// Parses [`Status::as_str`].
    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::UnderReview,
            Status::Accepted,
            Status::Refused,
            Status::Appealed,
            Status::RefusedFinal,
            Status::Withdrawn,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

fn checked(results: Vec<Result<(), Refusal>>) -> Result<(), Refusals> {
    let refusals: Vec<Refusal> = results.into_iter().filter_map(Result::err).collect();
    if refusals.is_empty() {
        Ok(())
    } else {
        Err(Refusals(refusals))
    }
}

/// The automatic checks of a filing at `now_ms` for a contest in `contest_wilayat`, given
/// the applicant's roll record and registration. Passing them puts the application under
/// review; failing them refuses it with every reason (by [`Actor::rules`]).
pub fn check_filing(
    app: &Application,
    kind: ElectionKind,
    contest_wilayat: &WilayatId,
    p: &RollRecord,
    registered: Option<&WilayatId>,
    calendar: &Calendar,
    now_ms: u64,
) -> Result<(), Refusals> {
    calendar.check(Period::Candidacy, now_ms)?;
    check_text(
        Rule::Application,
        "the ballot name in Arabic",
        &app.ballot_name.ar,
    )?;
    check_text(
        Rule::Application,
        "the ballot name in English",
        &app.ballot_name.en,
    )?;
    let d = &app.declarations;
    let mut results = vec![
        omani(p),
        minimum_age(p, calendar, CANDIDACY_AGE, Rule::CandidateAge),
        if registered == Some(contest_wilayat) {
            Ok(())
        } else {
            Err(Refusal::new(
                Rule::CandidateRegistered,
                format!(
                    "a candidate must be registered to vote in {}",
                    contest_wilayat.0
                ),
            ))
        },
        not_security_military(p),
        id_card_valid(p, calendar),
        if d.education >= Education::GeneralSecondary {
            Ok(())
        } else {
            Err(Refusal::new(
                Rule::Education,
                "a candidate holds at least the general secondary diploma",
            ))
        },
        if d.convicted {
            Err(Refusal::new(
                Rule::NoConviction,
                "a final conviction for a felony or a crime of honour bars candidacy, even after rehabilitation",
            ))
        } else {
            Ok(())
        },
    ];
    if kind == ElectionKind::Municipal {
        results.push(if d.council_member {
            Err(Refusal::new(
                Rule::NotCouncilMember,
                "members of the Shura or State Council do not stand for municipal councils",
            ))
        } else {
            Ok(())
        });
        results.push(if p.abroad || !d.lives_and_works_in_oman {
            Err(Refusal::new(
                Rule::LivesAndWorksInOman,
                "a municipal candidate lives and works in Oman",
            ))
        } else {
            Ok(())
        });
    }
    checked(results)
}

/// The rules only the committee can judge (the roll has no data for them).
pub fn committee_rules(kind: ElectionKind) -> &'static [Rule] {
    match kind {
        ElectionKind::Shura => &[Rule::Education, Rule::NoConviction, Rule::GoodReputation],
        ElectionKind::Municipal => &[
            Rule::Education,
            Rule::NoConviction,
            Rule::GoodReputation,
            Rule::SoundMind,
            Rule::NotCouncilMember,
            Rule::LivesAndWorksInOman,
        ],
    }
}

/// A decision on an application.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    /// Accept, or refuse.
    pub accept: bool,
    /// For a refusal: the rules not met (at least one, each a committee rule).
    #[serde(default)]
    pub failed: Vec<Rule>,
    /// The reasons, in words.
    pub reason: String,
}

/// The committee's decision on an application under review; returns the new state.
pub fn review(
    status: Status,
    verdict: &Verdict,
    kind: ElectionKind,
    by: &Actor,
    calendar: &Calendar,
    now_ms: u64,
) -> Result<Status, Refusal> {
    if by.role != Role::CandidacyCommittee {
        return Err(Refusal::new(
            Rule::Application,
            "applications are decided by the candidacy committee",
        ));
    }
    calendar.check(Period::Decisions, now_ms)?;
    if status != Status::UnderReview {
        return Err(Refusal::new(
            Rule::Application,
            format!("the application is {}, not under review", status.as_str()),
        ));
    }
    check_verdict(verdict, committee_rules(kind))?;
    Ok(if verdict.accept {
        Status::Accepted
    } else {
        Status::Refused
    })
}

fn check_verdict(verdict: &Verdict, allowed: &[Rule]) -> Result<(), Refusal> {
    check_text(Rule::Application, "the decision's reason", &verdict.reason)?;
    if verdict.accept != verdict.failed.is_empty() {
        return Err(Refusal::new(
            Rule::Application,
            "an acceptance names no failed rule; a refusal names at least one",
        ));
    }
    if let Some(r) = verdict.failed.iter().find(|r| !allowed.contains(r)) {
        return Err(Refusal::new(
            Rule::Application,
            format!("{} is not a rule the committee decides", r.name()),
        ));
    }
    Ok(())
}

/// The applicant's appeal of a refusal, until the withdrawal deadline.
pub fn appeal(
    status: Status,
    by: &Actor,
    calendar: &Calendar,
    now_ms: u64,
) -> Result<Status, Refusal> {
    if by.role != Role::Citizen {
        return Err(Refusal::new(Rule::Application, "the applicant appeals"));
    }
    calendar.check(Period::Withdrawal, now_ms)?;
    if status != Status::Refused {
        return Err(Refusal::new(
            Rule::Application,
            format!(
                "only a refusal is appealed; the application is {}",
                status.as_str()
            ),
        ));
    }
    Ok(Status::Appealed)
}

/// The Supreme Elections Committee's decision on an appeal: upheld accepts the
/// application; dismissed makes the refusal final.
pub fn decide_appeal(
    status: Status,
    upheld: bool,
    reason: &str,
    by: &Actor,
    calendar: &Calendar,
    now_ms: u64,
) -> Result<Status, Refusal> {
    if by.role != Role::SupremeCommittee {
        return Err(Refusal::new(
            Rule::Application,
            "appeals are decided by the Supreme Elections Committee",
        ));
    }
    calendar.check(Period::Decisions, now_ms)?;
    check_text(Rule::Application, "the decision's reason", reason)?;
    if status != Status::Appealed {
        return Err(Refusal::new(
            Rule::Application,
            format!(
                "no appeal is pending; the application is {}",
                status.as_str()
            ),
        ));
    }
    Ok(if upheld {
        Status::Accepted
    } else {
        Status::RefusedFinal
    })
}

/// The applicant's withdrawal, before the deadline.
pub fn withdraw(
    status: Status,
    by: &Actor,
    calendar: &Calendar,
    now_ms: u64,
) -> Result<Status, Refusal> {
    if by.role != Role::Citizen {
        return Err(Refusal::new(
            Rule::Application,
            "only the applicant withdraws",
        ));
    }
    calendar.check(Period::Withdrawal, now_ms)?;
    match status {
        Status::UnderReview | Status::Accepted => Ok(Status::Withdrawn),
        s => Err(Refusal::new(
            Rule::Application,
            format!("a {} application cannot be withdrawn", s.as_str()),
        )),
    }
}

/// Whether the final candidate list may be drawn up at `now_ms`: after the withdrawal
/// deadline, nothing under review or on appeal.
pub fn check_final(calendar: &Calendar, now_ms: u64, pending: u64) -> Result<(), Refusal> {
    let deadline = calendar.window(Period::Withdrawal).end_ms;
    if now_ms < deadline {
        return Err(Refusal::new(
            Rule::Application,
            format!("the withdrawal deadline is {}", calendar.show(deadline)),
        ));
    }
    if pending > 0 {
        return Err(Refusal::new(
            Rule::Application,
            format!("{pending} applications or appeals are still undecided"),
        ));
    }
    Ok(())
}

/// One accepted candidate: the application's identifier and ballot name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// The application's identifier (becomes the candidate's identifier).
    pub id: String,
    /// The ballot name.
    pub name: Names,
}

/// A contest's final list as the manifest's candidates: ordered by Arabic name (Unicode
/// code points), then identifier (shorter first), numbered `1..=n`.
pub fn final_list(mut accepted: Vec<Accepted>) -> Vec<Candidate> {
    // Identifiers `c<number>` order by number: shorter first, then as text.
    accepted.sort_by(|a, b| {
        a.name
            .ar
            .cmp(&b.name.ar)
            .then_with(|| a.id.len().cmp(&b.id.len()))
            .then_with(|| a.id.cmp(&b.id))
    });
    accepted
        .into_iter()
        .zip(1u32..)
        .map(|(a, ballot_order)| Candidate {
            id: a.id,
            name: a.name,
            ballot_order,
        })
        .collect()
}
