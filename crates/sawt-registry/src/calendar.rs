//! [`Calendar`]: the registry's dates and windows, all from the manifest and one clock.
//!
//! Windows are half-open `[start, end)` in milliseconds since the epoch, as in the manifest;
//! they are shown to people in the manifest's time zone (Oman: UTC+04:00, no daylight
//! saving). Civil dates (the election day, the age reference date, ID-card expiry) are local
//! dates in that zone:
//!
//! * the **election day** is the local date on which `voting_home` opens;
//! * the **age reference date** is 1 January of the election day's year;
//! * the **objection period** follows the registration window for
//!   [`Settings::objection_days`] (5 by law) whole days;
//! * the **withdrawal deadline** for candidates defaults to the start of the campaign
//!   window, when the final candidate list is published.

use sawt_election::manifest::{Manifest, Window};
use time::{Date, Month, OffsetDateTime, UtcOffset, format_description::BorrowedFormatItem};

use crate::eligibility::{Refusal, Rule};

const DAY_MS: u64 = 86_400_000;

const LOCAL_FORMAT: &[BorrowedFormatItem<'static>] = time::macros::format_description!(
    "[year]-[month]-[day] [hour]:[minute]:[second] [offset_hour sign:mandatory]:[offset_minute]"
);

/// The registry's settings that the law fixes and the manifest does not carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Days of the objection period after registration closes (5 by law).
    pub objection_days: u32,
    /// The candidates' withdrawal deadline, ms since the epoch; `None`: the campaign's
    /// start.
    pub withdrawal_deadline_ms: Option<u64>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            objection_days: 5,
            withdrawal_deadline_ms: None,
        }
    }
}

/// The windows a registry action may need to be inside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    /// Registration and transfer.
    Registration,
    /// Objections against the preliminary lists.
    Objections,
    /// Candidacy applications.
    Candidacy,
    /// Candidates may withdraw or appeal (from the candidacy window's start to the
    /// withdrawal deadline).
    Withdrawal,
    /// The committees decide applications and appeals (from the candidacy window's start
    /// until voting opens; the final list waits for every decision).
    Decisions,
}

impl Period {
    fn name(self) -> &'static str {
        match self {
            Period::Registration => "registration",
            Period::Objections => "the objection period",
            Period::Candidacy => "candidacy",
            Period::Withdrawal => "withdrawal and appeals",
            Period::Decisions => "deciding applications",
        }
    }
}

/// The registry's calendar for one election.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Calendar {
    offset: UtcOffset,
    time_zone: String,
    registration: Window,
    objections: Window,
    candidacy: Window,
    withdrawal: Window,
    voting_opens_ms: u64,
    election_day: Date,
}

/// Why a calendar cannot be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CalendarError {
    /// The manifest's offset is not a valid UTC offset.
    #[error("the manifest's UTC offset is invalid")]
    Offset,
    /// A time is outside the representable range.
    #[error("a window lies outside the representable dates")]
    Range,
    /// The objection period would run into voting.
    #[error("the objection period must end before voting opens")]
    ObjectionsTooLate,
    /// The withdrawal deadline is not between the candidacy window's end and voting.
    #[error(
        "the withdrawal deadline must fall between the end of the candidacy window and the start of voting"
    )]
    Withdrawal,
}

impl Calendar {
    /// The calendar of `manifest`'s election.
    pub fn new(manifest: &Manifest, settings: Settings) -> Result<Calendar, CalendarError> {
        Self::with_windows(manifest, &manifest.windows, settings)
    }

    /// The calendar under `windows`: the manifest's as extended by `window-extension`
    /// entries on the board (the registry follows the board's windows).
    pub fn with_windows(
        manifest: &Manifest,
        w: &sawt_election::manifest::Windows,
        settings: Settings,
    ) -> Result<Calendar, CalendarError> {
        let offset = UtcOffset::from_whole_seconds(manifest.utc_offset_minutes * 60)
            .map_err(|_| CalendarError::Offset)?;
        let voting_opens_ms = w.voting_abroad.start_ms.min(w.voting_home.start_ms);
        let objections = Window {
            start_ms: w.registration.end_ms,
            end_ms: w
                .registration
                .end_ms
                .checked_add(u64::from(settings.objection_days) * DAY_MS)
                .ok_or(CalendarError::Range)?,
        };
        if objections.end_ms > voting_opens_ms {
            return Err(CalendarError::ObjectionsTooLate);
        }
        let deadline = settings
            .withdrawal_deadline_ms
            .unwrap_or(w.campaign.start_ms);
        // The final list is drawn up at the deadline and published on the board between the
        // candidacy window's end and the start of voting.
        if deadline < w.candidacy.end_ms || deadline >= voting_opens_ms {
            return Err(CalendarError::Withdrawal);
        }
        let election_day = local(offset, w.voting_home.start_ms)?.date();
        Ok(Calendar {
            offset,
            time_zone: manifest.time_zone.clone(),
            registration: w.registration,
            objections,
            candidacy: w.candidacy,
            withdrawal: Window {
                start_ms: w.candidacy.start_ms,
                end_ms: deadline,
            },
            voting_opens_ms,
            election_day,
        })
    }

    /// The window of a period.
    pub fn window(&self, period: Period) -> Window {
        match period {
            Period::Registration => self.registration,
            Period::Objections => self.objections,
            Period::Candidacy => self.candidacy,
            Period::Withdrawal => self.withdrawal,
            Period::Decisions => Window {
                start_ms: self.candidacy.start_ms,
                end_ms: self.voting_opens_ms,
            },
        }
    }

    /// `Ok` when `now_ms` is inside `period`; otherwise a [`Rule::Window`] refusal saying
    /// when it is open, in local time.
    pub fn check(&self, period: Period, now_ms: u64) -> Result<(), Refusal> {
        let w = self.window(period);
        if w.contains(now_ms) {
            return Ok(());
        }
        Err(Refusal::new(
            Rule::Window,
            format!(
                "{} is open from {} until {} ({}); it is now {}",
                period.name(),
                self.show(w.start_ms),
                self.show(w.end_ms),
                self.time_zone,
                self.show(now_ms)
            ),
        ))
    }

    /// When voting opens (abroad or at home, whichever is first).
    pub fn voting_opens_ms(&self) -> u64 {
        self.voting_opens_ms
    }

    /// When the objection period ends: the earliest the lists may be frozen.
    pub fn objections_end_ms(&self) -> u64 {
        self.objections.end_ms
    }

    /// The election day: the local date on which voting at home opens.
    pub fn election_day(&self) -> Date {
        self.election_day
    }

    /// The date on which ages are reckoned: 1 January of the election year.
    pub fn age_reference(&self) -> Date {
        Date::from_calendar_date(self.election_day.year(), Month::January, 1)
            .unwrap_or(self.election_day)
    }

    /// The local date at `t_ms`.
    pub fn local_date(&self, t_ms: u64) -> Option<Date> {
        local(self.offset, t_ms).ok().map(|t| t.date())
    }

    /// `t_ms` as local time, `2027-09-14 23:59:59 +04:00`.
    pub fn show(&self, t_ms: u64) -> String {
        local(self.offset, t_ms)
            .ok()
            .and_then(|t| t.format(LOCAL_FORMAT).ok())
            .unwrap_or_else(|| format!("{t_ms} ms"))
    }
}

fn local(offset: UtcOffset, t_ms: u64) -> Result<OffsetDateTime, CalendarError> {
    let ns = i128::from(t_ms) * 1_000_000;
    OffsetDateTime::from_unix_timestamp_nanos(ns)
        .map(|t| t.to_offset(offset))
        .map_err(|_| CalendarError::Range)
}

/// Whole years from `born` to `on` (a birthday on 29 February is reached on 1 March in
/// years that are not leap years).
pub fn age_on(born: Date, on: Date) -> i32 {
    let mut years = on.year() - born.year();
    if (on.month() as u8, on.day()) < (born.month() as u8, born.day()) {
        years -= 1;
    }
    years
}

/// A date as `YYYY-MM-DD`.
pub fn show_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<Date, String> {
    const F: &[BorrowedFormatItem<'static>] =
        time::macros::format_description!("[year]-[month]-[day]");
    if s.len() != 10 {
        return Err("not a date YYYY-MM-DD".into());
    }
    Date::parse(s, F).map_err(|_| "not a date YYYY-MM-DD".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn ages_at_their_edges() {
        assert_eq!(age_on(date!(2006 - 01 - 01), date!(2027 - 01 - 01)), 21);
        assert_eq!(age_on(date!(2006 - 01 - 02), date!(2027 - 01 - 01)), 20);
        assert_eq!(age_on(date!(2004 - 02 - 29), date!(2025 - 02 - 28)), 20);
        assert_eq!(age_on(date!(2004 - 02 - 29), date!(2025 - 03 - 01)), 21);
        assert_eq!(age_on(date!(2004 - 02 - 29), date!(2024 - 02 - 29)), 20);
    }

    #[test]
    fn dates_parse_strictly() {
        assert_eq!(parse_date("2027-10-28").unwrap(), date!(2027 - 10 - 28));
        for bad in [
            "2027-13-01",
            "2027-02-30",
            "27-10-28",
            "2027-1-1",
            "",
            "2027-10-28 ",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
        assert_eq!(show_date(date!(2027 - 01 - 05)), "2027-01-05");
    }
}
