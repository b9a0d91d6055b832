//! Live turnout: how many enrolled voters have a counted ballot, by wilayat, governorate,
//! gender, age group and residence abroad. Computed from the registry's credentials (each
//! linked to its holder's roll record) and the board's ballots: counts of who voted, never
//! how; the ballots' contents stay encrypted.

use std::collections::{BTreeMap, HashSet};

use sawt_election::manifest::governorate_of;
use sawt_registry::calendar::{age_on, parse_date};
use sawt_registry::synthetic::AGE_GROUPS;
use serde::Serialize;

use super::{Registry, RegistryError};
use crate::db::on_pool;

/// Counts in one group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Count {
    /// Enrolled, unrevoked credentials.
    pub enrolled: u64,
    /// Of those, with a counted ballot.
    pub voted: u64,
}

/// Turnout now.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Turnout {
    /// Every enrolled voter.
    pub total: Count,
    /// Registered voters on the final lists (0 before the freeze).
    pub registered: u64,
    /// By wilayat.
    pub by_wilayat: BTreeMap<String, Count>,
    /// By governorate.
    pub by_governorate: BTreeMap<String, Count>,
    /// By gender (`M`, `F`).
    pub by_gender: BTreeMap<String, Count>,
    /// By age on the election year's 1 January (`21-30`, …, `61+`).
    pub by_age_group: BTreeMap<String, Count>,
    /// Residing abroad, and at home.
    pub by_residence: BTreeMap<String, Count>,
}

fn age_group(age: i32) -> String {
    match AGE_GROUPS
        .iter()
        .find(|(lo, hi, _)| (*lo..=*hi).contains(&age))
    {
        Some((lo, _, _)) if *lo == AGE_GROUPS[AGE_GROUPS.len() - 1].0 => format!("{lo}+"),
        Some((lo, hi, _)) => format!("{lo}-{hi}"),
        None if age > AGE_GROUPS[AGE_GROUPS.len() - 1].1 => {
            format!("{}+", AGE_GROUPS[AGE_GROUPS.len() - 1].0)
        }
        None => "under-21".into(),
    }
}

impl Registry {
    /// Turnout at most `max_age_ms` old: computed again when older (one computation at a
    /// time; concurrent callers share it).
    pub async fn turnout_cached(&self, max_age_ms: u64) -> Result<Turnout, RegistryError> {
        let mut cached = self.turnout.lock().await;
        let now = self.now();
        if let Some((at, t)) = cached.as_ref()
            && now.saturating_sub(*at) <= max_age_ms
        {
            return Ok(t.clone());
        }
        let t = self.turnout().await?;
        *cached = Some((now, t.clone()));
        Ok(t)
    }

    /// Turnout now, from the active credentials and the board's counted ballots.
    pub async fn turnout(&self) -> Result<Turnout, RegistryError> {
        let voted: HashSet<[u8; 32]> = self.board.voted_credentials().await.into_iter().collect();
        let rows: Vec<(Vec<u8>, String, String, String, i64)> = on_pool!(&self.db, p => {
            sqlx::query_as(
                "SELECT c.credential, c.wilayat, p.gender, p.date_of_birth, p.abroad \
                 FROM credentials c JOIN roll_people p ON p.civil_number = c.civil_number \
                 WHERE c.state = 'active'",
            )
            .fetch_all(p)
            .await?
        });
        let reference = self.calendar().await?.age_reference();
        let manifest = self.board.manifest();
        let mut t = Turnout {
            registered: self.final_lists().await?.iter().map(|l| l.registered).sum(),
            ..Turnout::default()
        };
        for (credential, wilayat, gender, dob, abroad) in rows {
            let has_voted = <[u8; 32]>::try_from(credential.as_slice())
                .map(|c| voted.contains(&c))
                .unwrap_or(false);
            let governorate = governorate_of(
                manifest,
                &sawt_election::geography::WilayatId(wilayat.clone()),
            )
            .map_or_else(|| "unknown".to_owned(), |g| g.0.clone());
            let age = parse_date(&dob)
                .map(|d| age_group(age_on(d, reference)))
                .unwrap_or_else(|_| "unknown".into());
            let residence = if abroad != 0 { "abroad" } else { "home" }.to_owned();
            for c in [
                &mut t.total,
                t.by_wilayat.entry(wilayat).or_default(),
                t.by_governorate.entry(governorate).or_default(),
                t.by_gender.entry(gender).or_default(),
                t.by_age_group.entry(age).or_default(),
                t.by_residence.entry(residence).or_default(),
            ] {
                c.enrolled += 1;
                c.voted += u64::from(has_voted);
            }
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn age_groups_are_named() {
        assert_eq!(super::age_group(21), "21-30");
        assert_eq!(super::age_group(40), "31-40");
        assert_eq!(super::age_group(61), "61+");
        assert_eq!(super::age_group(99), "61+");
        assert_eq!(super::age_group(20), "under-21");
    }
}
