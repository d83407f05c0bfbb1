//! Variables in Camunda's `{value, type, valueInfo}` shape.
//!
//! Input types are read with any case of their first letter, or inferred when
//! absent (as the Python client sends them); output types are capitalised and
//! `valueInfo` is always an object. Objects serialized as JSON are answered as
//! JSON when the client asks for deserialized values, and as their text
//! otherwise, as Camunda does.

use std::collections::BTreeMap;

use baton_engine::{Value, Variables, value::JSON_FORMAT};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::error::{ApiError, ApiResult};

/// A variable as a client sends it.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VariableIn {
    #[serde(default)]
    value: Json,
    #[serde(rename = "type")]
    kind: Option<String>,
    value_info: Option<Json>,
}

impl VariableIn {
    /// The engine value, or a 400 naming the variable.
    pub(crate) fn to_value(&self, name: &str) -> ApiResult<Value> {
        Value::from_typed(self.kind.as_deref(), &self.value, self.value_info.as_ref()).map_err(
            |e| ApiError::invalid(format!("Cannot convert value of variable '{name}': {e}")),
        )
    }

    /// Whether `valueInfo.transient` is set: such a variable is never stored.
    fn transient(&self) -> bool {
        self.value_info
            .as_ref()
            .and_then(|i| i.get("transient"))
            .and_then(Json::as_bool)
            .unwrap_or(false)
    }
}

/// A map of variables as clients send them: `{name: {value, type, valueInfo}}`.
pub(crate) type VariablesIn = BTreeMap<String, VariableIn>;

/// The engine's variables of a request map, in name order, transient ones left out.
pub(crate) fn read_variables(map: Option<&VariablesIn>) -> ApiResult<Variables> {
    map.into_iter()
        .flatten()
        .filter(|(_, v)| !v.transient())
        .map(|(name, v)| Ok((name.clone(), v.to_value(name)?)))
        .collect()
}

/// A variable as Camunda answers it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VariableOut {
    #[serde(rename = "type")]
    kind: &'static str,
    value: Json,
    value_info: Json,
}

impl VariableOut {
    /// `value` in Camunda's shape; `deserialize` answers JSON objects as JSON.
    pub(crate) fn new(value: &Value, deserialize: bool) -> VariableOut {
        let json = match value {
            Value::Object {
                value: text,
                serialization_format,
                ..
            } if deserialize && serialization_format.as_deref() == Some(JSON_FORMAT) => {
                serde_json::from_str(text).unwrap_or_else(|_| Json::String(text.clone()))
            }
            other => other.to_json(),
        };
        VariableOut {
            kind: value.type_name(),
            value: json,
            value_info: value.value_info(),
        }
    }
}

/// A binary variable's bytes as its `/data` path serves them, as Camunda does:
/// `Bytes` as `application/octet-stream`; a `File` with its MIME type (and charset,
/// when it has an encoding) and its name in `Content-Disposition`. Any other type is
/// a 400 naming the variable.
pub(crate) fn data_response(name: &str, value: Value) -> ApiResult<axum::response::Response> {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;
    match value {
        Value::Bytes(bytes) => Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/octet-stream".to_owned())],
            bytes,
        )
            .into_response()),
        Value::File {
            bytes,
            filename,
            mime_type,
            encoding,
        } => {
            let mut content_type =
                mime_type.unwrap_or_else(|| "application/octet-stream".to_owned());
            if let Some(charset) = encoding {
                content_type = format!("{content_type}; charset={charset}");
            }
            // A quote or a line break in the name would break the header.
            let safe: String = filename
                .chars()
                .filter(|c| *c != '"' && *c != '\\' && !c.is_control())
                .collect();
            Ok((
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, content_type),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{safe}\""),
                    ),
                ],
                bytes,
            )
                .into_response())
        }
        other => Err(ApiError::invalid(format!(
            "Value of variable with id {name} is not a binary value: it is a {}",
            other.type_name()
        ))),
    }
}

/// Variables as Camunda answers them: a map by name.
pub(crate) fn variables_out(vars: &Variables, deserialize: bool) -> BTreeMap<String, VariableOut> {
    vars.iter()
        .map(|(name, v)| (name.clone(), VariableOut::new(v, deserialize)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: Json) -> ApiResult<Value> {
        serde_json::from_value::<VariableIn>(v)
            .expect("a variable")
            .to_value("x")
    }

    #[test]
    fn types_are_read_in_either_case_or_inferred() {
        assert_eq!(
            read(json!({"value": 5, "type": "integer"})).unwrap(),
            Value::Integer(5)
        );
        assert_eq!(
            read(json!({"value": 5, "type": "Long"})).unwrap(),
            Value::Long(5)
        );
        assert_eq!(read(json!({"value": "a"})).unwrap(), Value::from("a"));
        assert_eq!(
            read(json!({"value": 3_000_000_000i64})).unwrap(),
            Value::Long(3_000_000_000)
        );
        let err = read(json!({"value": 3.5, "type": "Integer"})).unwrap_err();
        assert!(format!("{err:?}").contains("'x'"), "{err:?}");
        assert!(read(json!({"value": "a", "type": "Nope"})).is_err());
    }

    #[test]
    fn objects_answer_as_json_when_deserialized() {
        let v = read(json!({"value": {"a": [1, 2]}})).unwrap();
        let out = serde_json::to_value(VariableOut::new(&v, true)).unwrap();
        assert_eq!(out["type"], "Object");
        assert_eq!(out["value"], json!({"a": [1, 2]}));
        assert_eq!(
            out["valueInfo"]["serializationDataFormat"],
            "application/json"
        );
        let out = serde_json::to_value(VariableOut::new(&v, false)).unwrap();
        assert_eq!(out["value"], json!(r#"{"a":[1,2]}"#));
    }

    #[test]
    fn transient_variables_are_left_out() {
        let map: VariablesIn = serde_json::from_value(json!({
            "keep": {"value": 1},
            "drop": {"value": 2, "valueInfo": {"transient": true}}
        }))
        .unwrap();
        let vars = read_variables(Some(&map)).unwrap();
        assert_eq!(vars, vec![("keep".to_owned(), Value::Integer(1))]);
    }
}
