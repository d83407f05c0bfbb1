//! Typed variable values, as Camunda types them.
//!
//! Every process variable is a [`Value`]. The REST layer reads and writes them in
//! Camunda's `{value, type, valueInfo}` shape through [`Value::from_typed`] and
//! [`Value::type_name`] / [`Value::to_json`] / [`Value::value_info`]; the store
//! writes them through [`Value::type_name`] and the `stored` helpers.

use std::fmt;

use serde_json::Value as Json;

use crate::date;

/// The serialization format of objects Baton serializes itself.
pub const JSON_FORMAT: &str = "application/json";

/// Java's serialization format, which Baton cannot read and refuses.
const JAVA_SERIALIZED: &str = "application/x-java-serialized-object";

/// A typed variable value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `Null`.
    Null,
    /// `String`.
    String(String),
    /// `Boolean`.
    Boolean(bool),
    /// `Short`: a 16-bit integer.
    Short(i16),
    /// `Integer`: a 32-bit integer.
    Integer(i32),
    /// `Long`: a 64-bit integer.
    Long(i64),
    /// `Double`.
    Double(f64),
    /// `Date`: milliseconds since the Unix epoch, UTC.
    Date(i64),
    /// `Json`: JSON text, kept as the client sent it.
    Json(String),
    /// `Xml`: XML text.
    Xml(String),
    /// `Object`: a serialized object, opaque to Baton unless its format is JSON.
    Object {
        /// The serialized value.
        value: String,
        /// `valueInfo.objectTypeName`, such as `java.util.ArrayList`.
        object_type_name: Option<String>,
        /// `valueInfo.serializationDataFormat`, such as `application/json`.
        serialization_format: Option<String>,
    },
    /// `Bytes`: raw bytes (base64 in JSON).
    Bytes(Vec<u8>),
    /// `File`: a file's bytes with its name, MIME type and text encoding. Camunda's
    /// REST API never sends a file's bytes with the variable (its `value` is `null`);
    /// they are served by the variable's `/data` path.
    File {
        /// The file's bytes (base64 in JSON).
        bytes: Vec<u8>,
        /// `valueInfo.filename`.
        filename: String,
        /// `valueInfo.mimeType`, such as `text/plain`.
        mime_type: Option<String>,
        /// `valueInfo.encoding`, such as `UTF-8`.
        encoding: Option<String>,
    },
}

/// Why a typed value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValueError(pub String);

impl Value {
    /// The bytes its value takes when stored (text and bytes at their length, every
    /// other type as 8).
    pub fn stored_bytes(&self) -> usize {
        match self {
            Value::String(s) | Value::Json(s) | Value::Xml(s) => s.len(),
            Value::Object { value, .. } => value.len(),
            Value::Bytes(b) | Value::File { bytes: b, .. } => b.len(),
            _ => 8,
        }
    }

    /// Camunda's name of the value's type: `String`, `Integer`, `Json`...
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "Null",
            Value::String(_) => "String",
            Value::Boolean(_) => "Boolean",
            Value::Short(_) => "Short",
            Value::Integer(_) => "Integer",
            Value::Long(_) => "Long",
            Value::Double(_) => "Double",
            Value::Date(_) => "Date",
            Value::Json(_) => "Json",
            Value::Xml(_) => "Xml",
            Value::Object { .. } => "Object",
            Value::Bytes(_) => "Bytes",
            Value::File { .. } => "File",
        }
    }

    /// Whether the value is `Null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Reads a value in Camunda's typed shape. `type_name` is matched ignoring the case
    /// of its first letter (`string` and `String` alike); `None` infers the type from
    /// the JSON value as Camunda does (strings, booleans, integers as Integer or Long,
    /// other numbers as Double, objects and arrays as JSON-serialized Object, null as Null).
    ///
    /// # Errors
    ///
    /// A [`ValueError`] naming the type when the value does not fit it, or naming an
    /// unknown type.
    pub fn from_typed(
        type_name: Option<&str>,
        value: &Json,
        value_info: Option<&Json>,
    ) -> Result<Value, ValueError> {
        let Some(type_name) = type_name.filter(|t| !t.is_empty()) else {
            return Ok(Value::infer(value));
        };
        let normal = normalise_type(type_name);
        let mismatch = || {
            ValueError(format!(
                "Cannot convert value '{value}' of type '{}' to java type {}",
                json_kind(value),
                java_type(&normal)
            ))
        };
        if value.is_null() && normal != "Object" && normal != "File" {
            return if type_known(&normal) {
                Ok(Value::Null)
            } else {
                Err(unknown_type(type_name))
            };
        }
        Ok(match normal.as_str() {
            "Null" => Value::Null,
            "String" => match value {
                Json::String(s) => Value::String(s.clone()),
                Json::Number(n) => Value::String(n.to_string()),
                Json::Bool(b) => Value::String(b.to_string()),
                _ => return Err(mismatch()),
            },
            "Boolean" => match value {
                Json::Bool(b) => Value::Boolean(*b),
                Json::String(s) if s.eq_ignore_ascii_case("true") => Value::Boolean(true),
                Json::String(s) if s.eq_ignore_ascii_case("false") => Value::Boolean(false),
                _ => return Err(mismatch()),
            },
            "Short" => Value::Short(
                integer(value)
                    .and_then(|i| i16::try_from(i).ok())
                    .ok_or_else(mismatch)?,
            ),
            "Integer" => Value::Integer(
                integer(value)
                    .and_then(|i| i32::try_from(i).ok())
                    .ok_or_else(mismatch)?,
            ),
            "Long" => Value::Long(integer(value).ok_or_else(mismatch)?),
            "Double" => Value::Double(match value {
                Json::Number(n) => n.as_f64().ok_or_else(mismatch)?,
                Json::String(s) => s.trim().parse().map_err(|_| mismatch())?,
                _ => return Err(mismatch()),
            }),
            "Date" => match value {
                Json::String(s) => Value::Date(date::parse(s).map_err(|e| {
                    ValueError(format!("Cannot convert value '{s}' to type Date: {e}"))
                })?),
                Json::Number(n) => Value::Date(n.as_i64().ok_or_else(mismatch)?),
                _ => return Err(mismatch()),
            },
            "Json" => match value {
                Json::String(s) => {
                    serde_json::from_str::<Json>(s)
                        .map_err(|e| ValueError(format!("Cannot read value of type Json: {e}")))?;
                    Value::Json(s.clone())
                }
                other => Value::Json(other.to_string()),
            },
            "Xml" => match value {
                Json::String(s) => Value::Xml(s.clone()),
                _ => return Err(mismatch()),
            },
            "Bytes" => match value {
                Json::String(s) => Value::Bytes(
                    base64_decode(s)
                        .ok_or_else(|| ValueError("Bytes value is not valid base64".into()))?,
                ),
                _ => return Err(mismatch()),
            },
            "File" => {
                let info = value_info.and_then(Json::as_object);
                let field = |name: &str| {
                    info.and_then(|i| i.get(name))
                        .and_then(Json::as_str)
                        .map(str::to_owned)
                };
                let Some(filename) = field("filename") else {
                    // Camunda's message.
                    return Err(ValueError(
                        "Cannot create file without filename! Please set a name into \
                         ValueInfo with key filename"
                            .into(),
                    ));
                };
                let bytes = match value {
                    Json::Null => Vec::new(),
                    Json::String(s) => base64_decode(s)
                        .ok_or_else(|| ValueError("File value is not valid base64".into()))?,
                    _ => return Err(mismatch()),
                };
                Value::File {
                    bytes,
                    filename,
                    mime_type: field("mimeType"),
                    encoding: field("encoding"),
                }
            }
            "Object" => {
                let info = value_info.and_then(Json::as_object);
                let field = |name: &str| {
                    info.and_then(|i| i.get(name))
                        .and_then(Json::as_str)
                        .map(str::to_owned)
                };
                let serialization_format = field("serializationDataFormat");
                if serialization_format.as_deref() == Some(JAVA_SERIALIZED) {
                    // Camunda refuses it too unless Java serialization is enabled.
                    return Err(ValueError(format!(
                        "the serialization format {JAVA_SERIALIZED} is prohibited: \
                         Baton cannot read Java objects; send the object as JSON"
                    )));
                }
                Value::Object {
                    value: match value {
                        Json::String(s) => s.clone(),
                        Json::Null => "null".to_owned(),
                        other => other.to_string(),
                    },
                    object_type_name: field("objectTypeName"),
                    serialization_format,
                }
            }
            _ => return Err(unknown_type(type_name)),
        })
    }

    /// The value Camunda infers for an untyped JSON value.
    pub fn infer(value: &Json) -> Value {
        match value {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Boolean(*b),
            Json::String(s) => Value::String(s.clone()),
            Json::Number(n) => match n.as_i64() {
                Some(i) => match i32::try_from(i) {
                    Ok(i) => Value::Integer(i),
                    Err(_) => Value::Long(i),
                },
                None => Value::Double(n.as_f64().unwrap_or(f64::NAN)),
            },
            // Camunda makes a Java map or list of these; Baton keeps them as JSON,
            // which is what Camunda does with the JSON serialization format.
            Json::Array(_) => Value::Object {
                value: value.to_string(),
                object_type_name: Some("java.util.ArrayList".into()),
                serialization_format: Some(JSON_FORMAT.into()),
            },
            Json::Object(_) => Value::Object {
                value: value.to_string(),
                object_type_name: Some("java.util.LinkedHashMap".into()),
                serialization_format: Some(JSON_FORMAT.into()),
            },
        }
    }

    /// The `value` field of Camunda's typed shape: dates formatted as Camunda formats
    /// them, bytes in base64, Json/Xml/Object as their text.
    pub fn to_json(&self) -> Json {
        match self {
            Value::Null => Json::Null,
            Value::String(s) | Value::Json(s) | Value::Xml(s) => Json::String(s.clone()),
            Value::Boolean(b) => Json::Bool(*b),
            Value::Short(i) => Json::from(*i),
            Value::Integer(i) => Json::from(*i),
            Value::Long(i) => Json::from(*i),
            Value::Double(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
            Value::Date(ms) => Json::String(date::format(*ms)),
            Value::Object { value, .. } => Json::String(value.clone()),
            Value::Bytes(b) => Json::String(base64_encode(b)),
            // As Camunda: a file's bytes are fetched from its `/data` path.
            Value::File { .. } => Json::Null,
        }
    }

    /// The `valueInfo` field of Camunda's typed shape (an empty object for most types).
    pub fn value_info(&self) -> Json {
        let mut info = serde_json::Map::new();
        let mut put = |key: &str, value: &Option<String>| {
            if let Some(v) = value {
                info.insert(key.into(), Json::String(v.clone()));
            }
        };
        match self {
            Value::Object {
                object_type_name,
                serialization_format,
                ..
            } => {
                put("objectTypeName", object_type_name);
                put("serializationDataFormat", serialization_format);
            }
            Value::File {
                filename,
                mime_type,
                encoding,
                ..
            } => {
                put("filename", &Some(filename.clone()));
                put("mimeType", mime_type);
                put("encoding", encoding);
            }
            _ => {}
        }
        Json::Object(info)
    }

    /// The value as structured JSON when it has a JSON form: a Json value, an Object
    /// serialized as JSON, or a scalar. Used to navigate into values in expressions.
    pub fn as_structured(&self) -> Option<Json> {
        match self {
            Value::Json(text) => serde_json::from_str(text).ok(),
            Value::Object {
                value,
                serialization_format,
                ..
            } if serialization_format
                .as_deref()
                .is_none_or(|f| f.contains("json")) =>
            {
                serde_json::from_str(value).ok()
            }
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::String(s) | Value::Json(s) | Value::Xml(s) => f.write_str(s),
            Value::Boolean(b) => write!(f, "{b}"),
            Value::Short(i) => write!(f, "{i}"),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Long(i) => write!(f, "{i}"),
            Value::Double(d) => write!(f, "{d:?}"),
            Value::Date(ms) => f.write_str(&date::format(*ms)),
            Value::Object { value, .. } => f.write_str(value),
            Value::Bytes(b) => write!(f, "<{} bytes>", b.len()),
            Value::File {
                bytes, filename, ..
            } => write!(f, "<file {filename}, {} bytes>", bytes.len()),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Boolean(b)
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Self {
        Value::Integer(i)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Long(i)
    }
}

impl From<f64> for Value {
    fn from(d: f64) -> Self {
        Value::Double(d)
    }
}

/// Uppercases the first letter, as Camunda matches type names.
fn normalise_type(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn type_known(name: &str) -> bool {
    matches!(
        name,
        "Null"
            | "String"
            | "Boolean"
            | "Short"
            | "Integer"
            | "Long"
            | "Double"
            | "Date"
            | "Json"
            | "Xml"
            | "Object"
            | "Bytes"
            | "File"
    )
}

fn unknown_type(name: &str) -> ValueError {
    ValueError(format!("Unsupported value type '{name}'"))
}

fn java_type(name: &str) -> &'static str {
    match name {
        "String" => "java.lang.String",
        "Boolean" => "java.lang.Boolean",
        "Short" => "java.lang.Short",
        "Integer" => "java.lang.Integer",
        "Long" => "java.lang.Long",
        "Double" => "java.lang.Double",
        "Date" => "java.util.Date",
        "Bytes" => "byte[]",
        _ => "java.lang.Object",
    }
}

fn json_kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "Null",
        Json::Bool(_) => "Boolean",
        Json::Number(_) => "Number",
        Json::String(_) => "String",
        Json::Array(_) => "Array",
        Json::Object(_) => "Object",
    }
}

fn integer(value: &Json) -> Option<i64> {
    match value {
        Json::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding, as Camunda writes Bytes values.
pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(BASE64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64; whitespace is skipped and padding is optional.
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' | b' ' | b'\n' | b'\r' | b'\t' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn type_names_match_in_any_case_of_the_first_letter() {
        for name in ["string", "String"] {
            assert_eq!(
                Value::from_typed(Some(name), &json!("a"), None),
                Ok(Value::String("a".into()))
            );
        }
        assert_eq!(
            Value::from_typed(Some("integer"), &json!(5), None),
            Ok(Value::Integer(5))
        );
    }

    #[test]
    fn file_values_carry_their_name_type_and_encoding_but_answer_no_bytes() {
        let file = Value::from_typed(
            Some("file"),
            &json!("aGVsbG8="),
            Some(&json!({"filename": "a.txt", "mimeType": "text/plain", "encoding": "UTF-8"})),
        )
        .unwrap();
        assert_eq!(
            file,
            Value::File {
                bytes: b"hello".to_vec(),
                filename: "a.txt".into(),
                mime_type: Some("text/plain".into()),
                encoding: Some("UTF-8".into()),
            }
        );
        assert_eq!(file.type_name(), "File");
        assert_eq!(file.to_json(), Json::Null);
        assert_eq!(
            file.value_info(),
            json!({"filename": "a.txt", "mimeType": "text/plain", "encoding": "UTF-8"})
        );
        assert_eq!(file.stored_bytes(), 5);
        let empty = Value::from_typed(Some("File"), &Json::Null, Some(&json!({"filename": "e"})));
        assert!(matches!(empty, Ok(Value::File { ref bytes, .. }) if bytes.is_empty()));
        let err = Value::from_typed(Some("File"), &json!("aGVsbG8="), None).unwrap_err();
        assert!(err.0.contains("without filename"), "{err}");
        let err = Value::from_typed(Some("File"), &json!("!!"), Some(&json!({"filename": "x"})))
            .unwrap_err();
        assert!(err.0.contains("base64"), "{err}");
    }

    #[test]
    fn untyped_values_are_inferred() {
        assert_eq!(Value::infer(&json!(5)), Value::Integer(5));
        assert_eq!(
            Value::infer(&json!(5_000_000_000i64)),
            Value::Long(5_000_000_000)
        );
        assert_eq!(Value::infer(&json!(1.5)), Value::Double(1.5));
        assert_eq!(
            Value::infer(&json!([1])),
            Value::Object {
                value: "[1]".into(),
                object_type_name: Some("java.util.ArrayList".into()),
                serialization_format: Some(JSON_FORMAT.into()),
            }
        );
    }

    #[test]
    fn mismatches_name_the_type() {
        let err = Value::from_typed(Some("Integer"), &json!("abc"), None).unwrap_err();
        assert!(err.0.contains("java.lang.Integer"), "{err}");
        let err = Value::from_typed(Some("Integer"), &json!(1i64 << 40), None).unwrap_err();
        assert!(err.0.contains("Integer"), "{err}");
        let err = Value::from_typed(Some("Money"), &json!(1), None).unwrap_err();
        assert!(err.0.contains("Money"), "{err}");
        assert!(Value::from_typed(Some("Json"), &json!("{nope"), None).is_err());
    }

    #[test]
    fn java_serialized_objects_are_refused() {
        let info = json!({"serializationDataFormat": JAVA_SERIALIZED, "objectTypeName": "x.Y"});
        let err = Value::from_typed(Some("Object"), &json!("rO0AB"), Some(&info)).unwrap_err();
        assert!(err.0.contains("is prohibited"), "{err}");
    }

    #[test]
    fn objects_keep_their_value_info() {
        let v = Value::from_typed(
            Some("Object"),
            &json!("[1,2]"),
            Some(&json!({"objectTypeName": "java.util.ArrayList", "serializationDataFormat": "application/json"})),
        )
        .unwrap();
        assert_eq!(v.value_info()["objectTypeName"], "java.util.ArrayList");
        assert_eq!(v.as_structured(), Some(json!([1, 2])));
    }

    #[test]
    fn base64_round_trips() {
        for input in [&b""[..], b"a", b"ab", b"abc", b"abcd", &[0, 255, 128, 7]] {
            let encoded = base64_encode(input);
            assert_eq!(base64_decode(&encoded).as_deref(), Some(input));
        }
        assert_eq!(base64_encode(b"hello"), "aGVsbG8=");
    }

    #[test]
    fn dates_round_trip_through_the_typed_shape() {
        let v =
            Value::from_typed(Some("Date"), &json!("2026-11-20T10:00:00.000+0000"), None).unwrap();
        assert_eq!(v.to_json(), json!("2026-11-20T10:00:00.000+0000"));
    }
}
