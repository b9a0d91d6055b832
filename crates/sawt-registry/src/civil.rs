//! [`CivilNumber`]: the citizen's civil-registry number, the roll's key.
//!
//! Personal data stays in the registry's tables: never on the board, never in logs. The
//! type's `Debug` and `Display` therefore print a redacted form; [`CivilNumber::expose`]
//! is the one way to the digits, for storage and for the citizen's own view.

use serde::{Deserialize, Serialize};

/// The longest civil number accepted, in digits.
pub const MAX_DIGITS: usize = 12;

/// A civil number: 1 to [`MAX_DIGITS`] ASCII digits, no leading zero.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, description = "A civil number: 1 to 12 digits, no leading zero."))]
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CivilNumber(String);

impl CivilNumber {
    /// Parses a civil number.
    pub fn parse(s: &str) -> Result<CivilNumber, String> {
        let ok = !s.is_empty()
            && s.len() <= MAX_DIGITS
            && s.bytes().all(|b| b.is_ascii_digit())
            && !s.starts_with('0');
        if ok {
            Ok(CivilNumber(s.to_owned()))
        } else {
            Err(format!(
                "a civil number is 1 to {MAX_DIGITS} digits without a leading zero"
            ))
        }
    }

    /// The digits. Personal data: store it, show it to its owner, never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CivilNumber {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        CivilNumber::parse(&s)
    }
}

impl From<CivilNumber> for String {
    fn from(c: CivilNumber) -> String {
        c.0
    }
}

impl std::fmt::Debug for CivilNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CivilNumber(<redacted>)")
    }
}

impl std::fmt::Display for CivilNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<civil number>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_digits_only() {
        assert!(CivilNumber::parse("12345678").is_ok());
        for bad in ["", "0123", "12a4", "1234567890123", " 123", "-1"] {
            assert!(CivilNumber::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn never_printed() {
        let c = CivilNumber::parse("98765432").unwrap();
        assert!(!format!("{c:?} {c}").contains("9876"));
        assert_eq!(c.expose(), "98765432");
    }
}
