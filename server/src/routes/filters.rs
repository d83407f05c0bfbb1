//! Variable filters as Camunda's REST API takes them: `name_operator_value` in a
//! query string (`variables=amount_gt_100,tier_eq_gold`), `{name, operator,
//! value}` objects in a JSON body. Both become the engine's
//! [`VariableFilter`]s, which compare in SQL (`baton_engine::filter`).
//!
//! A query string cannot say a value's type, and Camunda reads every value of one
//! as text. Baton reads a number as a number and `true`/`false` as a boolean, and
//! the engine matches such a value against String variables by its text too, so
//! `x_eq_50` finds the String `"50"` (as in Camunda) and the Integer `50`. A body's
//! value has the type its JSON has (a number matches every numeric type). In
//! both, text in Camunda's date format (`2026-01-01T10:00:00.000+0100`) is a Date,
//! as Camunda's REST layer reads it; a `like` pattern is always text.

use baton_engine::{Value, VariableFilter, VariableOp, date};
use serde::Deserialize;
use serde_json::Value as Json;

use crate::error::{ApiError, ApiResult};
use crate::json::parse_body;
use crate::lenient;
use crate::params::Params;

/// The `name_operator_value` filters of query parameter `name` (repeated or
/// comma-separated).
pub(crate) fn from_query(p: &Params, name: &str) -> ApiResult<Vec<VariableFilter>> {
    p.list(name).iter().map(|f| parse(f)).collect()
}

/// One `name_operator_value` filter.
fn parse(text: &str) -> ApiResult<VariableFilter> {
    for op in [
        "_eq_", "_neq_", "_gteq_", "_gt_", "_lteq_", "_lt_", "_like_",
    ] {
        if let Some(at) = text.find(op) {
            let op_name = op.trim_matches('_');
            let op = VariableOp::from_name(op_name).unwrap_or(VariableOp::Eq);
            let raw = &text[at + op_name.len() + 2..];
            let value = if op == VariableOp::Like {
                Value::String(raw.to_owned())
            } else {
                match serde_json::from_str::<Json>(raw) {
                    Ok(v @ (Json::Number(_) | Json::Bool(_))) => Value::infer(&v),
                    _ => text_value(raw, true),
                }
            };
            return checked(VariableFilter::new(&text[..at], op, value));
        }
    }
    Err(ApiError::invalid(format!(
        "Cannot read variable filter '{text}': it must be name_operator_value"
    )))
}

/// Text as a filter's value: a Date when it is a date in Camunda's format (an
/// offset's `+` sent unencoded in a query string arrives as a space), else a String.
fn text_value(text: &str, query_string: bool) -> Value {
    let shaped = text.len() >= 19 && text.as_bytes().get(10) == Some(&b'T');
    if shaped {
        if let Ok(ms) = date::parse(text) {
            return Value::Date(ms);
        }
        if query_string {
            if let Ok(ms) = date::parse(&text.replace(' ', "+")) {
                return Value::Date(ms);
            }
        }
    }
    Value::String(text.to_owned())
}

/// A filter the engine can compare, or a 400 naming the problem.
fn checked(f: VariableFilter) -> ApiResult<VariableFilter> {
    f.check().map_err(|e| ApiError::invalid(e.to_string()))?;
    Ok(f)
}

#[derive(Debug, Deserialize)]
struct BodyFilter {
    #[serde(default, deserialize_with = "lenient::string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    operator: Option<String>,
    #[serde(default)]
    value: Json,
}

/// The `{name, operator, value}` filters under `key` of a JSON query body.
pub(crate) fn from_body(body: &[u8], key: &str) -> ApiResult<Vec<VariableFilter>> {
    let json: Json = parse_body(body)?;
    from_json(&json, key)
}

/// The `{name, operator, value}` filters under `key` of a JSON query object.
pub(crate) fn from_json(json: &Json, key: &str) -> ApiResult<Vec<VariableFilter>> {
    let Some(list) = json.get(key).filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let list: Vec<BodyFilter> = serde_json::from_value(list.clone())
        .map_err(|e| ApiError::invalid(format!("Cannot read the {key} filter: {e}")))?;
    list.into_iter()
        .map(|f| {
            let (Some(name), Some(op)) = (f.name, f.operator) else {
                return Err(ApiError::invalid(format!(
                    "Cannot read the {key} filter: each needs a name and an operator"
                )));
            };
            let Some(op) = VariableOp::from_name(&op) else {
                return Err(ApiError::invalid(format!(
                    "Invalid variable comparator specified: {op}"
                )));
            };
            let value = match &f.value {
                Json::String(s) if op == VariableOp::Like => Value::String(s.clone()),
                Json::String(s) => text_value(s, false),
                other => Value::infer(other),
            };
            checked(VariableFilter::new(name, op, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_string_values_are_read_as_numbers_booleans_dates_or_text() {
        let read = |text: &str| parse(text).expect("a filter");
        let f = read("amount_gt_10");
        assert_eq!(
            (f.name.as_str(), f.op, f.value),
            ("amount", VariableOp::Gt, Value::Integer(10))
        );
        assert_eq!(read("ok_eq_true").value, Value::Boolean(true));
        assert_eq!(read("rate_lteq_2.5").value, Value::Double(2.5));
        assert_eq!(read("tier_neq_gold").value, Value::from("gold"));
        assert_eq!(read("code_eq_007").value, Value::from("007"));
        assert_eq!(read("n_like_1%").value, Value::from("1%"));
        assert_eq!(
            read("due_lt_2026-01-01T00:00:00.000 0000").value,
            Value::Date(1_767_225_600_000)
        );
        assert_eq!(read("my_var_eq_x").name, "my_var");
        assert!(parse("nonsense").is_err());
    }
}
