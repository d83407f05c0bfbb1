//! Request-body fields read as Camunda's JSON reader reads them.
//!
//! Camunda reads request bodies with Jackson 2.15 in its default configuration
//! (`JacksonConfigurator` only turns off `FAIL_ON_UNKNOWN_PROPERTIES`), whose
//! scalar coercions clients rely on:
//!
//! - a `String` field takes a string, and also a number or a boolean, as its text
//!   (`"workerId": 0` reads as `"0"`: the Python client sends that);
//! - an `int` or `long` field takes a number (a fraction is cut off, as Java's cast
//!   does) or a string holding one (`"maxTasks": "10"`, surrounding blanks
//!   allowed); an empty, blank or `"null"` string reads as `null`;
//! - a `boolean` field takes `true` or `false`, a whole number (0 is false, any
//!   other true), or the strings `true`, `True`, `TRUE`, `false`, `False`,
//!   `FALSE` (blanks around them allowed); an empty, blank or `"null"` string
//!   reads as `null`;
//! - `null` in a field of a primitive Java type (`boolean`, `int`, `long`) reads
//!   as `false` or 0, which is what the absent field means, so `"deserializeValues":
//!   null` is `false`;
//! - arrays and objects are never read as scalars, and a list of strings takes each
//!   element as a string field does.
//!
//! Every field of a Camunda DTO that Baton reads goes through one of these
//! functions (`#[serde(default, deserialize_with = "lenient::…")]`), chosen by the
//! field's Java type in Camunda's DTO.

use std::fmt;

use serde::Deserializer;
use serde::de::{self, SeqAccess, Unexpected, Visitor};

/// A `String` field: a string, a number or a boolean as text, or `null`.
pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(TextVisitor)
}

/// A `List<String>` or `String[]` field: `null`, or an array whose elements are read
/// as [`string`] fields (a `null` element is refused).
pub(crate) fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    d.deserialize_any(TextsVisitor)
}

/// An `int` or `Integer` field: a number or a numeric string within 32 bits, or
/// `null`.
pub(crate) fn int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    d.deserialize_any(NumberVisitor {
        min: i64::from(i32::MIN),
        max: i64::from(i32::MAX),
        java: "int",
    })
}

/// A `long` or `Long` field: a number or a numeric string within 64 bits, or `null`.
pub(crate) fn long<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    d.deserialize_any(NumberVisitor {
        min: i64::MIN,
        max: i64::MAX,
        java: "long",
    })
}

/// A `boolean` field (Java's primitive): `true`, `false`, a whole number, or one
/// of the strings Jackson reads as a boolean; `null` (and an empty or `"null"`
/// string) is `false`.
pub(crate) fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(d.deserialize_any(BooleanVisitor)?.unwrap_or(false))
}

/// Reads a string as Jackson reads it into a boolean;
/// `None` for a value it refuses.
fn parse_boolean(text: &str) -> Option<Option<bool>> {
    match text.trim() {
        "" | "null" => Some(None),
        "true" | "True" | "TRUE" => Some(Some(true)),
        "false" | "False" | "FALSE" => Some(Some(false)),
        _ => None,
    }
}

/// Reads a string as Jackson reads it into a whole number: blanks around it
/// allowed, empty, blank or `"null"` as `null`.
fn parse_number(text: &str) -> Result<Option<i64>, ()> {
    match text.trim() {
        "" | "null" => Ok(None),
        t => t.parse::<i64>().map(Some).map_err(|_| ()),
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string (or a number or boolean, read as its text)")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(
            serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string()),
        ))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

struct TextsVisitor;

impl<'de> Visitor<'de> for TextsVisitor {
    type Value = Option<Vec<String>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of strings")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(Text(item)) = seq.next_element::<Text>()? {
            match item {
                Some(text) => out.push(text),
                None => return Err(de::Error::invalid_value(Unexpected::Unit, &self)),
            }
        }
        Ok(Some(out))
    }
}

/// One element of a list of strings.
struct Text(Option<String>);

impl<'de> de::Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor).map(Text)
    }
}

struct NumberVisitor {
    min: i64,
    max: i64,
    java: &'static str,
}

impl NumberVisitor {
    fn in_range<E: de::Error>(&self, v: i64) -> Result<Option<i64>, E> {
        if (self.min..=self.max).contains(&v) {
            Ok(Some(v))
        } else {
            Err(E::custom(format!(
                "numeric value ({v}) out of range of {}",
                self.java
            )))
        }
    }
}

impl<'de> Visitor<'de> for NumberVisitor {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a number (an {}) or a string holding one", self.java)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.in_range(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        match i64::try_from(v) {
            Ok(v) => self.in_range(v),
            Err(_) => Err(E::custom(format!(
                "numeric value ({v}) out of range of {}",
                self.java
            ))),
        }
    }

    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // Jackson cuts the fraction off, and refuses what does not fit.
        let cut = v.trunc();
        if cut.is_finite() && cut >= self.min as f64 && cut <= self.max as f64 {
            self.in_range(cut as i64)
        } else {
            Err(E::custom(format!(
                "numeric value ({v}) out of range of {}",
                self.java
            )))
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        match parse_number(v) {
            Ok(Some(n)) => self.in_range(n),
            Ok(None) => Ok(None),
            Err(()) => Err(E::invalid_value(Unexpected::Str(v), &self)),
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

struct BooleanVisitor;

impl<'de> Visitor<'de> for BooleanVisitor {
    type Value = Option<bool>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean, a whole number, or \"true\" or \"false\"")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v != 0))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v != 0))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        parse_boolean(v).ok_or_else(|| E::invalid_value(Unexpected::Str(v), &self))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize, Default, PartialEq)]
    #[serde(rename_all = "camelCase")]
    struct Dto {
        #[serde(default, deserialize_with = "super::string")]
        worker_id: Option<String>,
        #[serde(default, deserialize_with = "super::strings")]
        ids: Option<Vec<String>>,
        #[serde(default, deserialize_with = "super::int")]
        max_tasks: Option<i64>,
        #[serde(default, deserialize_with = "super::long")]
        lock_duration: Option<i64>,
        #[serde(default, deserialize_with = "super::flag")]
        use_priority: bool,
    }

    fn read(v: serde_json::Value) -> Result<Dto, serde_json::Error> {
        serde_json::from_value(v)
    }

    #[test]
    fn scalars_read_into_strings() {
        let d = read(json!({"workerId": 0, "ids": [1, true, "a", 1.5]})).unwrap();
        assert_eq!(d.worker_id.as_deref(), Some("0"));
        assert_eq!(d.ids.unwrap(), ["1", "true", "a", "1.5"]);
        assert_eq!(
            read(json!({"workerId": false}))
                .unwrap()
                .worker_id
                .as_deref(),
            Some("false")
        );
        assert_eq!(read(json!({"workerId": null})).unwrap(), Dto::default());
        assert!(read(json!({"workerId": {}})).is_err());
        assert!(read(json!({"workerId": ["w"]})).is_err());
        assert!(read(json!({"ids": "a"})).is_err());
        assert!(read(json!({"ids": ["a", null]})).is_err());
    }

    #[test]
    fn numbers_read_from_strings_and_fractions() {
        let d = read(json!({"maxTasks": " 10 ", "lockDuration": 1.9})).unwrap();
        assert_eq!((d.max_tasks, d.lock_duration), (Some(10), Some(1)));
        assert_eq!(read(json!({"maxTasks": ""})).unwrap().max_tasks, None);
        assert_eq!(read(json!({"maxTasks": "null"})).unwrap().max_tasks, None);
        assert!(read(json!({"maxTasks": "ten"})).is_err());
        assert!(read(json!({"maxTasks": true})).is_err());
        assert!(read(json!({"maxTasks": 3_000_000_000i64})).is_err());
        assert_eq!(
            read(json!({"lockDuration": "3000000000"}))
                .unwrap()
                .lock_duration,
            Some(3_000_000_000)
        );
    }

    #[test]
    fn booleans_read_as_jackson_reads_them() {
        for (v, want) in [
            (json!(true), true),
            (json!("true"), true),
            (json!(" TRUE "), true),
            (json!("True"), true),
            (json!(1), true),
            (json!(0), false),
            (json!("false"), false),
            (json!(null), false),
            (json!(""), false),
        ] {
            assert_eq!(
                read(json!({"usePriority": v})).unwrap().use_priority,
                want,
                "{v}"
            );
        }
        assert!(!read(json!({"usePriority": "null"})).unwrap().use_priority);
        assert!(read(json!({"usePriority": "yes"})).is_err());
        assert!(read(json!({"usePriority": "tRUE"})).is_err());
        assert!(read(json!({"usePriority": 1.5})).is_err());
        assert!(read(json!({"usePriority": []})).is_err());
    }
}
