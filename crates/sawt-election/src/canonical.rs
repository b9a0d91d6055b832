//! The one canonical encoding of every signed or hashed object: RFC 8785 JSON
//! Canonicalization Scheme (JCS), restricted to integers (`protocol-spec/election.md` §2).
//!
//! * Objects: members sorted by their names' UTF-16 code units, no whitespace.
//! * Strings: `"` and `\` escaped, `\b \t \n \f \r` as short escapes, other control characters
//!   as `\u00xx` (lowercase hex), everything else as literal UTF-8.
//! * Numbers: integers in `-(2^53 − 1) ..= 2^53 − 1` only, in shortest decimal form. Sawt
//!   never uses fractions; a float anywhere is an error, so that the ECMAScript number
//!   formatting of RFC 8785 §3.2.2.3 is never needed.
//!
//! [`decode`] parses and then requires the input to be exactly the canonical form of what it
//! parsed: a second encoding of the same object is rejected, so hashes and signatures cover
//! one byte string per object. Types decoded here deny unknown fields.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The largest integer magnitude allowed (`2^53 − 1`, exact in every JSON implementation).
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Canonical encoding failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CanonicalError {
    /// The value has a number that is not an integer in the safe range.
    #[error("numbers must be integers within ±(2^53 − 1)")]
    Number,
    /// The bytes are not JSON for the expected type.
    #[error("invalid JSON for this object: {0}")]
    Json(#[from] serde_json::Error),
    /// The bytes parse, but are not the canonical encoding of what they contain.
    #[error("not the canonical encoding (RFC 8785, sorted members, no whitespace)")]
    NotCanonical,
}

/// The canonical bytes of a value.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    let v = serde_json::to_value(value)?;
    let mut out = Vec::new();
    write_value(&v, &mut out)?;
    Ok(out)
}

/// Parses canonical bytes, rejecting any other encoding of the same value and any member
/// the type does not know: the decoded value must encode back to exactly `bytes`.
pub fn decode<T: DeserializeOwned + Serialize>(bytes: &[u8]) -> Result<T, CanonicalError> {
    let v: Value = serde_json::from_slice(bytes)?;
    let mut again = Vec::with_capacity(bytes.len());
    write_value(&v, &mut again)?;
    if again != bytes {
        return Err(CanonicalError::NotCanonical);
    }
    let typed: T = serde_json::from_value(v)?;
    if encode(&typed)? != bytes {
        return Err(CanonicalError::NotCanonical);
    }
    Ok(typed)
}

fn write_value(v: &Value, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => {
            let ok = n.as_u64().is_some_and(|x| x <= MAX_SAFE_INTEGER)
                || n.as_i64()
                    .is_some_and(|x| x.unsigned_abs() <= MAX_SAFE_INTEGER);
            if !ok {
                return Err(CanonicalError::Number);
            }
            out.extend_from_slice(n.to_string().as_bytes());
        }
        Value::String(s) => write_string(s, out),
        Value::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(x, out)?;
            }
            out.push(b']');
        }
        Value::Object(m) => {
            let mut members: Vec<(&String, &Value)> = m.iter().collect();
            members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push(b'{');
            for (i, (k, x)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                write_value(x, out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            '\r' => out.extend_from_slice(b"\\r"),
            c if (c as u32) < 0x20 => {
                out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes())
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rfc_8785_examples_and_rules() {
        // Member order by UTF-16 code units (RFC 8785 §3.2.3's example keys).
        let v = json!({"\u{20ac}": "Euro Sign", "\r": "Carriage Return", "\u{fb33}": "Hebrew Letter Dalet With Dagesh", "1": "One", "\u{1f600}": "Emoji: Grinning Face", "\u{80}": "Control", "\u{f6}": "Latin Small Letter O With Diaeresis"});
        let text = String::from_utf8(encode(&v).unwrap()).unwrap();
        let keys: Vec<&str> = [
            "\\r",
            "1",
            "\u{80}",
            "\u{f6}",
            "\u{20ac}",
            "\u{1f600}",
            "\u{fb33}",
        ]
        .to_vec();
        let mut pos = 0;
        for k in keys {
            let at = text[pos..]
                .find(&format!("\"{k}\":"))
                .unwrap_or_else(|| panic!("{k} out of order in {text}"))
                + pos;
            pos = at + 1;
        }
        assert_eq!(
            encode(&json!({"b": [1, -2, true, null], "a": "x\u{1}\n\"/"})).unwrap(),
            br#"{"a":"x\u0001\n\"/","b":[1,-2,true,null]}"#
        );
        assert!(matches!(
            encode(&json!({"x": 1.5})),
            Err(CanonicalError::Number)
        ));
        assert!(matches!(
            encode(&json!({"x": 1u64 << 53})),
            Err(CanonicalError::Number)
        ));
        assert!(encode(&json!({"x": MAX_SAFE_INTEGER})).is_ok());
    }

    #[test]
    fn decoding_accepts_only_the_canonical_form() {
        let canonical = br#"{"a":1,"b":"\u00e9"}"#;
        assert!(
            matches!(
                decode::<Value>(canonical),
                Err(CanonicalError::NotCanonical)
            ),
            "escaped é is not canonical"
        );
        let canonical = "{\"a\":1,\"b\":\"é\"}".as_bytes();
        assert_eq!(
            decode::<Value>(canonical).unwrap(),
            json!({"a": 1, "b": "é"})
        );
        for other in [
            &b"{\"b\":\"\xc3\xa9\",\"a\":1}"[..],
            b"{ \"a\":1,\"b\":\"\xc3\xa9\"}",
            b"{\"a\":1.0,\"b\":\"\xc3\xa9\"}",
            b"{\"a\":1,\"b\":\"\xc3\xa9\"}\n",
        ] {
            assert!(
                decode::<Value>(other).is_err(),
                "{}",
                String::from_utf8_lossy(other)
            );
        }
    }
}
