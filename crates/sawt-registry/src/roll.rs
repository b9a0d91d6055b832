//! The electoral roll's source: the civil registry's export, one CSV row per citizen.
//!
//! The header is exactly [`HEADER`]; every field is required except `registered_wilayat`
//! (the wilayat the person is already registered in from earlier elections, empty if
//! none). A row is refused, with its reason, when a field is malformed, a wilayat is not in
//! the election's geography, or its civil number repeats an earlier row of the same file.
//! Rows are personal data: they stay in the registry's tables and never reach the board.

use std::collections::HashSet;

use sawt_election::geography::WilayatId;
use serde::{Deserialize, Serialize};
use time::Date;

use crate::calendar::{parse_date, show_date};
use crate::civil::CivilNumber;

/// The export's header, in order.
pub const HEADER: [&str; 13] = [
    "civil_number",
    "name_ar",
    "name_en",
    "date_of_birth",
    "gender",
    "nationality",
    "id_card_number",
    "id_card_expiry",
    "permanent_wilayat",
    "current_wilayat",
    "security_military",
    "abroad",
    "registered_wilayat",
];

/// The nationality code of an Omani citizen (ISO 3166-1 alpha-2).
pub const OMANI: &str = "OM";

/// The longest name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// Gender as on the ID card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Gender {
    /// Male.
    #[serde(rename = "M")]
    Male,
    /// Female.
    #[serde(rename = "F")]
    Female,
}

impl Gender {
    /// `"M"` or `"F"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Male => "M",
            Gender::Female => "F",
        }
    }

    /// Parses `"M"` or `"F"`.
    pub fn parse(s: &str) -> Option<Gender> {
        match s {
            "M" => Some(Gender::Male),
            "F" => Some(Gender::Female),
            _ => None,
        }
    }
}

/// One citizen as the civil registry exports them.
#[derive(Clone, PartialEq, Eq)]
pub struct RollRecord {
    /// The civil number (the roll's key).
    pub civil_number: CivilNumber,
    /// Full name in Arabic.
    pub name_ar: String,
    /// Full name in English.
    pub name_en: String,
    /// Date of birth.
    pub date_of_birth: Date,
    /// Gender.
    pub gender: Gender,
    /// Nationality, ISO 3166-1 alpha-2 (`"OM"`).
    pub nationality: String,
    /// The ID card's number.
    pub id_card_number: String,
    /// The last day the ID card is valid.
    pub id_card_expiry: Date,
    /// The permanent address's wilayat.
    pub permanent_wilayat: WilayatId,
    /// The current address's wilayat.
    pub current_wilayat: WilayatId,
    /// Serving in a security or military body.
    pub security_military: bool,
    /// Residing abroad.
    pub abroad: bool,
    /// Already registered to vote in this wilayat (carried over from the standing
    /// register), if at all.
    pub registered_wilayat: Option<WilayatId>,
}

impl std::fmt::Debug for RollRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RollRecord(<personal data>)")
    }
}

impl RollRecord {
    /// The CSV fields, in [`HEADER`] order.
    pub fn to_fields(&self) -> [String; 13] {
        [
            self.civil_number.expose().to_owned(),
            self.name_ar.clone(),
            self.name_en.clone(),
            show_date(self.date_of_birth),
            self.gender.as_str().to_owned(),
            self.nationality.clone(),
            self.id_card_number.clone(),
            show_date(self.id_card_expiry),
            self.permanent_wilayat.0.clone(),
            self.current_wilayat.0.clone(),
            flag(self.security_military).to_owned(),
            flag(self.abroad).to_owned(),
            self.registered_wilayat
                .as_ref()
                .map(|w| w.0.clone())
                .unwrap_or_default(),
        ]
    }

    /// The wilayats a person may be registered in: their permanent and current address's.
    pub fn address_wilayats(&self) -> [&WilayatId; 2] {
        [&self.permanent_wilayat, &self.current_wilayat]
    }
}

fn flag(b: bool) -> &'static str {
    if b { "1" } else { "0" }
}

/// Why a row was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct RowError {
    /// The offending column (or `"row"`).
    pub field: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

fn bad(field: &'static str, reason: impl Into<String>) -> RowError {
    RowError {
        field,
        reason: reason.into(),
    }
}

/// Checks that a CSV header is exactly [`HEADER`].
pub fn check_header(fields: &[&str]) -> Result<(), String> {
    if fields == HEADER {
        Ok(())
    } else {
        Err(format!("the header must be exactly: {}", HEADER.join(",")))
    }
}

/// Parses one row's fields (in [`HEADER`] order) against the set of known wilayats.
pub fn parse_fields(
    fields: &[&str],
    wilayats: &HashSet<WilayatId>,
) -> Result<RollRecord, RowError> {
    let [
        civil,
        name_ar,
        name_en,
        dob,
        gender,
        nat,
        card,
        expiry,
        perm,
        cur,
        sec,
        abroad,
        reg,
    ] = <[&str; 13]>::try_from(fields).map_err(|_| {
        bad(
            "row",
            format!(
                "{} fields where {} are required",
                fields.len(),
                HEADER.len()
            ),
        )
    })?;
    let wilayat = |field: &'static str, s: &str| {
        let w = WilayatId(s.to_owned());
        if wilayats.contains(&w) {
            Ok(w)
        } else {
            Err(bad(
                field,
                format!("{s:?} is not a wilayat of this election"),
            ))
        }
    };
    let name = |field: &'static str, s: &str| {
        let n = s.trim();
        if n.is_empty() || n.chars().count() > MAX_NAME_CHARS || n.chars().any(char::is_control) {
            Err(bad(
                field,
                format!("a name is 1 to {MAX_NAME_CHARS} printable characters"),
            ))
        } else {
            Ok(n.to_owned())
        }
    };
    let boolean = |field: &'static str, s: &str| match s {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(bad(field, "must be 0 or 1")),
    };
    let nationality = if nat.len() == 2 && nat.bytes().all(|b| b.is_ascii_uppercase()) {
        nat.to_owned()
    } else {
        return Err(bad("nationality", "an ISO 3166-1 alpha-2 code such as OM"));
    };
    let id_card_number =
        if (1..=20).contains(&card.len()) && card.bytes().all(|b| b.is_ascii_alphanumeric()) {
            card.to_owned()
        } else {
            return Err(bad("id_card_number", "1 to 20 letters or digits"));
        };
    Ok(RollRecord {
        civil_number: CivilNumber::parse(civil).map_err(|e| bad("civil_number", e))?,
        name_ar: name("name_ar", name_ar)?,
        name_en: name("name_en", name_en)?,
        date_of_birth: parse_date(dob).map_err(|e| bad("date_of_birth", e))?,
        gender: Gender::parse(gender).ok_or_else(|| bad("gender", "must be M or F"))?,
        nationality,
        id_card_number,
        id_card_expiry: parse_date(expiry).map_err(|e| bad("id_card_expiry", e))?,
        permanent_wilayat: wilayat("permanent_wilayat", perm)?,
        current_wilayat: wilayat("current_wilayat", cur)?,
        security_military: boolean("security_military", sec)?,
        abroad: boolean("abroad", abroad)?,
        registered_wilayat: if reg.is_empty() {
            None
        } else {
            Some(wilayat("registered_wilayat", reg)?)
        },
    })
}

/// A row of an import: its 1-based line among the data rows, and the record or why it was
/// refused.
pub type ParsedRow = (u64, Result<RollRecord, RowError>);

/// Parses a whole export held in memory: the header, then every row (refusing repeats of
/// a civil number within the file). For large files, `sawt-server` streams the same
/// [`parse_fields`] row by row.
pub fn parse_csv(text: &[u8], wilayats: &HashSet<WilayatId>) -> Result<Vec<ParsedRow>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text);
    let mut records = reader.records();
    let header = records
        .next()
        .ok_or("the file is empty")?
        .map_err(|e| e.to_string())?;
    check_header(&header.iter().collect::<Vec<_>>())?;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, r) in records.enumerate() {
        let line = i as u64 + 1;
        let parsed = match r {
            Ok(r) => parse_fields(&r.iter().collect::<Vec<_>>(), wilayats).and_then(|rec| {
                if seen.insert(rec.civil_number.clone()) {
                    Ok(rec)
                } else {
                    Err(bad("civil_number", "repeats an earlier row of this file"))
                }
            }),
            Err(e) => Err(bad("row", format!("not valid CSV: {e}"))),
        };
        out.push((line, parsed));
    }
    Ok(out)
}

/// Writes records as an export (header first).
pub fn write_csv<W: std::io::Write>(
    out: W,
    records: impl IntoIterator<Item = RollRecord>,
) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(HEADER)?;
    for r in records {
        w.write_record(r.to_fields())?;
    }
    w.flush()?;
    Ok(())
}
