//! Query parameters as Camunda reads them, from a query string or from the JSON
//! body of a `POST` query.
//!
//! A list parameter (`…In`, `processInstanceIds`) may be repeated or
//! comma-separated; a scalar takes its first value. `sortBy` needs `sortOrder`.
//!
//! Camunda reads a boolean query parameter in one of two ways, and so does Baton:
//!
//! - a filter of a query DTO (`withIncident`, `latestVersion`, ...) goes through
//!   Camunda's `BooleanConverter`, which hands the text to Jackson as JSON:
//!   `true` and `false`, a whole number (0 is false, any other true), `null` (not
//!   given); anything else is a 400, `Cannot set query parameter 'x' to value 'y':
//!   Cannot convert value y to java type java.lang.Boolean` ([`Params::bool`],
//!   [`Params::flag`]; Baton also takes `TRUE` and `False`, as Jackson does in a
//!   JSON body);
//! - a parameter of the resource method itself (`failIfNotExists`,
//!   `deserializeValues`, ...) is converted by JAX-RS with `Boolean.valueOf`: `true`
//!   in any case is true, anything else false, absent or empty the default
//!   ([`Params::jaxrs_flag`]).
//!
//! Numbers and dates that do not read are a 400 with Camunda's message.
//!
//! Each handler checks at the end that the request names no parameter Camunda
//! documents for its endpoint and Baton never read ([`Params::refuse_unsupported`]):
//! a filter that is silently ignored gives a wrong answer. Names Camunda does not
//! know are ignored, as Camunda does.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde_json::Value as Json;

use crate::error::{ApiError, ApiResult};

/// A request's query parameters, by name, every value kept.
#[derive(Debug, Default)]
pub(crate) struct Params {
    values: HashMap<String, Vec<String>>,
    /// The names the handler asked for, given or not.
    asked: Mutex<HashSet<String>>,
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(pairs) = Query::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::invalid(format!("Cannot read the query string: {e}")))?;
        let mut params = Params::default();
        for (name, value) in pairs {
            params.values.entry(name).or_default().push(value);
        }
        Ok(params)
    }
}

impl Params {
    /// The parameters of a JSON query body: arrays become lists, scalars single
    /// values; objects and arrays of objects (`variables`, `sorting`) are skipped:
    /// the handlers that take them read the body themselves.
    pub(crate) fn from_json(body: &Json) -> ApiResult<Params> {
        let Some(map) = body.as_object() else {
            return Err(ApiError::invalid("The query body must be a JSON object"));
        };
        let mut params = Params::default();
        for (name, value) in map {
            let list = match value {
                Json::Null | Json::Object(_) => continue,
                Json::Array(items) if items.iter().any(Json::is_object) => continue,
                Json::Array(items) => items.iter().filter_map(scalar).collect(),
                other => scalar(other).into_iter().collect(),
            };
            params.values.insert(name.clone(), list);
        }
        Ok(params)
    }

    /// The values of `name`, noting that the handler reads it.
    fn get(&self, name: &str) -> Option<&Vec<String>> {
        let mut asked = self.asked.lock().unwrap_or_else(|p| p.into_inner());
        if !asked.contains(name) {
            asked.insert(name.to_owned());
        }
        self.values.get(name)
    }

    /// A 400 naming every parameter of `camunda` (what Camunda documents for
    /// `endpoint`) that the request gives and the handler never read: Baton does not
    /// support it, and ignoring it would answer a different question.
    pub(crate) fn refuse_unsupported(&self, endpoint: &str, camunda: &[&str]) -> ApiResult<()> {
        let asked = self.asked.lock().unwrap_or_else(|p| p.into_inner());
        let mut unread: Vec<&str> = camunda
            .iter()
            .copied()
            .filter(|name| self.values.contains_key(*name) && !asked.contains(*name))
            .collect();
        if unread.is_empty() {
            return Ok(());
        }
        unread.sort_unstable();
        let names = unread.join("', '");
        let noun = if unread.len() == 1 {
            "parameter"
        } else {
            "parameters"
        };
        Err(ApiError::invalid(format!(
            "Baton does not support the query {noun} '{names}' of {endpoint}"
        )))
    }

    /// Notes paging and sorting as read, for a count: Camunda's counts take the
    /// list's parameters and ignore those four.
    pub(crate) fn counting(self) -> Self {
        for name in ["firstResult", "maxResults", "sortBy", "sortOrder"] {
            self.get(name);
        }
        self
    }

    /// The first value of `name`.
    pub(crate) fn str(&self, name: &str) -> Option<String> {
        self.get(name)
            .and_then(|v| v.first())
            .filter(|v| !v.is_empty())
            .cloned()
    }

    /// Every value of `name`, each split at commas.
    pub(crate) fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .into_iter()
            .flatten()
            .flat_map(|v| v.split(','))
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// A query DTO's boolean filter `name`; absent (or `null`) is `false`.
    pub(crate) fn flag(&self, name: &str) -> ApiResult<bool> {
        Ok(self.bool(name)?.unwrap_or(false))
    }

    /// A query DTO's boolean filter `name`, if given, read as Camunda's
    /// `BooleanConverter` reads it (see the module's comment).
    pub(crate) fn bool(&self, name: &str) -> ApiResult<Option<bool>> {
        let Some(v) = self.str(name) else {
            return Ok(None);
        };
        let text = v.trim();
        if text.eq_ignore_ascii_case("true") {
            Ok(Some(true))
        } else if text.eq_ignore_ascii_case("false") {
            Ok(Some(false))
        } else if text == "null" {
            Ok(None)
        } else if let Ok(n) = text.parse::<i64>() {
            Ok(Some(n != 0))
        } else {
            Err(not_convertible(name, &v, "java.lang.Boolean"))
        }
    }

    /// A resource method's boolean parameter `name`, read as JAX-RS reads it
    /// (`Boolean.valueOf`): `true` in any case is true, any other value false, and
    /// `default` when absent or empty.
    pub(crate) fn jaxrs_flag(&self, name: &str, default: bool) -> bool {
        self.str(name)
            .map_or(default, |v| v.eq_ignore_ascii_case("true"))
    }

    /// `name` as an `Integer`, if given.
    pub(crate) fn int(&self, name: &str) -> ApiResult<Option<i64>> {
        self.number(
            name,
            "java.lang.Integer",
            i64::from(i32::MIN),
            i64::from(i32::MAX),
        )
    }

    /// `name` as a `Long`, if given.
    pub(crate) fn long(&self, name: &str) -> ApiResult<Option<i64>> {
        self.number(name, "java.lang.Long", i64::MIN, i64::MAX)
    }

    fn number(&self, name: &str, java: &str, min: i64, max: i64) -> ApiResult<Option<i64>> {
        self.str(name)
            .map(|v| {
                v.trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (min..=max).contains(n))
                    .ok_or_else(|| not_convertible(name, &v, java))
            })
            .transpose()
    }

    /// `name` as a Camunda date (`2026-11-21T10:00:00.000+0100`), in milliseconds
    /// since the epoch, if given. An offset's `+` sent unencoded arrives as a
    /// space, and is read as `+`.
    pub(crate) fn time(&self, name: &str) -> ApiResult<Option<i64>> {
        self.str(name)
            .map(|v| {
                let parse = baton_engine::date::parse;
                parse(&v)
                    .or_else(|_| parse(&v.replace(' ', "+")))
                    .map_err(|_| {
                        ApiError::invalid(format!(
                            "Cannot set query parameter '{name}' to value '{v}': \
                             Cannot convert value \"{v}\" to java type java.util.Date"
                        ))
                    })
            })
            .transpose()
    }

    /// `firstResult` and `maxResults`.
    pub(crate) fn paging(&self) -> ApiResult<(usize, Option<usize>)> {
        let non_negative = |name: &str| -> ApiResult<Option<usize>> {
            self.int(name)?
                .map(|n| {
                    usize::try_from(n).map_err(|_| {
                        ApiError::invalid(format!("Query parameter '{name}' must not be negative"))
                    })
                })
                .transpose()
        };
        Ok((
            non_negative("firstResult")?.unwrap_or(0),
            non_negative("maxResults")?,
        ))
    }

    /// Checks `sortBy` / `sortOrder`: both or neither, `sortBy` one of `allowed`, and
    /// returns them (`true` for descending).
    pub(crate) fn sorting(&self, allowed: &[&str]) -> ApiResult<Option<(String, bool)>> {
        match (self.str("sortBy"), self.str("sortOrder")) {
            (None, None) => Ok(None),
            (Some(_), None) | (None, Some(_)) => Err(ApiError::invalid(
                "Only a single sorting parameter specified. sortBy and sortOrder required",
            )),
            (Some(by), Some(order)) => {
                if !allowed.contains(&by.as_str()) {
                    return Err(ApiError::invalid(format!(
                        "Cannot set query parameter 'sortBy' to value '{by}'"
                    )));
                }
                match order.as_str() {
                    "asc" => Ok(Some((by, false))),
                    "desc" => Ok(Some((by, true))),
                    _ => Err(ApiError::invalid(format!(
                        "Cannot set query parameter 'sortOrder' to value '{order}'"
                    ))),
                }
            }
        }
    }
}

impl Params {
    /// Takes `firstResult` and `maxResults` from `query` (POST queries page there).
    pub(crate) fn take_paging(&mut self, query: &Params) {
        for name in ["firstResult", "maxResults"] {
            if let Some(v) = query.values.get(name) {
                self.values.insert(name.to_owned(), v.clone());
            }
        }
    }

    /// Sets `sortBy` / `sortOrder` from a POST body's `{sortBy, sortOrder}` entry.
    pub(crate) fn set_sorting(&mut self, entry: &Json) {
        for name in ["sortBy", "sortOrder"] {
            if let Some(v) = entry.get(name).and_then(scalar) {
                self.values.insert(name.to_owned(), vec![v]);
            }
        }
    }
}

/// Camunda's 400 for a query parameter its converter cannot read.
fn not_convertible(name: &str, value: &str, java: &str) -> ApiError {
    ApiError::invalid(format!(
        "Cannot set query parameter '{name}' to value '{value}': \
         Cannot convert value {value} to java type {java}"
    ))
}

fn scalar(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Bool(b) => Some(b.to_string()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        let mut p = Params::default();
        for (k, v) in pairs {
            p.values.entry((*k).into()).or_default().push((*v).into());
        }
        p
    }

    #[test]
    fn lists_may_be_repeated_or_comma_separated() {
        let p = params(&[("idIn", "a,b"), ("idIn", "c"), ("key", "x"), ("key", "y")]);
        assert_eq!(p.list("idIn"), ["a", "b", "c"]);
        assert_eq!(p.str("key").as_deref(), Some("x"));
    }

    #[test]
    fn booleans_read_as_camundas_converters_read_them() {
        let p = params(&[
            ("one", "1"),
            ("zero", "0"),
            ("nil", "null"),
            ("upper", "TRUE"),
            ("word", "AAA"),
            ("empty", ""),
        ]);
        assert_eq!(p.bool("one").unwrap(), Some(true));
        assert_eq!(p.bool("zero").unwrap(), Some(false));
        assert_eq!(p.bool("nil").unwrap(), None);
        assert_eq!(p.bool("upper").unwrap(), Some(true));
        assert_eq!(p.bool("empty").unwrap(), None);
        let err = format!("{:?}", p.bool("word").unwrap_err());
        assert!(
            err.contains("Cannot convert value AAA to java type java.lang.Boolean"),
            "{err}"
        );
        assert!(!p.jaxrs_flag("word", true));
        assert!(p.jaxrs_flag("upper", false));
        assert!(p.jaxrs_flag("empty", true));
        assert!(!p.jaxrs_flag("absent", false));
    }

    #[test]
    fn booleans_and_numbers_are_checked() {
        let p = params(&[
            ("latestVersion", "true"),
            ("active", "yes"),
            ("maxResults", "x"),
        ]);
        assert!(p.flag("latestVersion").unwrap());
        assert!(!p.flag("absent").unwrap());
        let err = p.flag("active").unwrap_err();
        assert!(format!("{err:?}").contains("active"));
        assert!(p.paging().is_err());
    }

    #[test]
    fn sorting_needs_both_parts() {
        let ok = &["id"];
        assert!(params(&[("sortBy", "id")]).sorting(ok).is_err());
        assert!(
            params(&[("sortBy", "nope"), ("sortOrder", "asc")])
                .sorting(ok)
                .is_err()
        );
        assert_eq!(
            params(&[("sortBy", "id"), ("sortOrder", "desc")])
                .sorting(ok)
                .unwrap(),
            Some(("id".to_owned(), true))
        );
    }

    #[test]
    fn documented_parameters_the_handler_never_read_are_refused() {
        let camunda = &["a", "b", "sortBy", "firstResult"];
        let p = params(&[("a", "1"), ("b", "2"), ("unknown", "3")]);
        p.str("a");
        let err = format!("{:?}", p.refuse_unsupported("GET /x", camunda).unwrap_err());
        assert!(err.contains("the query parameter 'b' of GET /x"), "{err}");
        p.list("b");
        assert!(
            p.refuse_unsupported("GET /x", camunda).is_ok(),
            "read, or unknown to Camunda"
        );
        let p = params(&[("sortBy", "id"), ("firstResult", "1")]).counting();
        assert!(p.refuse_unsupported("GET /x/count", camunda).is_ok());
    }

    #[test]
    fn json_bodies_read_as_params() {
        let p = Params::from_json(&serde_json::json!({
            "processInstanceIds": ["a", "b"], "active": true, "maxResults": 5, "sorting": {},
            "variables": [{"name": "x", "operator": "eq", "value": 1}]
        }))
        .unwrap();
        assert!(
            !p.values.contains_key("variables"),
            "read by the handler from the body"
        );
        assert_eq!(p.list("processInstanceIds"), ["a", "b"]);
        assert!(p.flag("active").unwrap());
        assert_eq!(p.int("maxResults").unwrap(), Some(5));
    }
}
