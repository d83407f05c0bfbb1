//! Camunda's error body, `{"type", "message", "code"}`, and the status codes it
//! goes with.
//!
//! Engine errors map by whose fault they are: [`Error::NotFound`] is 404,
//! [`Error::Invalid`] 400, [`Error::Deployment`] and [`Error::Deployments`] a 400
//! `ParseException` with `details` per invalid resource (what Camunda Modeler
//! shows), and only storage and internal faults are 500. Errors found by the REST layer itself (malformed
//! JSON, a bad query parameter) carry `"code": null`, as in Camunda.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use baton_engine::Error;
use baton_engine::bpmn::{Problem, Severity};
use serde_json::{Value as Json, json};

use crate::json::json_response;

/// An error answered in Camunda's shape.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
    code: Option<i64>,
    /// More top-level keys of the body: a `ParseException`'s `details`, an
    /// `AuthorizationException`'s `userId` and `missingAuthorizations`.
    extra: Option<Box<serde_json::Map<String, Json>>>,
}

impl ApiError {
    /// A 400 `InvalidRequestException` found by the REST layer.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            kind: "InvalidRequestException",
            message: message.into(),
            code: None,
            extra: None,
        }
    }

    /// A 404 `InvalidRequestException` found by the REST layer.
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            ..ApiError::invalid(message)
        }
    }

    /// An error with any status, type and message.
    pub(crate) fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            kind,
            message: message.into(),
            code: None,
            extra: None,
        }
    }

    /// The same error with Camunda's `code` (0 for an error whose cause is an
    /// engine exception, as Camunda's `ExceptionHandlerHelper` fills it in).
    pub(crate) fn with_code(mut self, code: i64) -> Self {
        self.code = Some(code);
        self
    }

    /// The same error with another Camunda exception type.
    pub(crate) fn kind(mut self, kind: &'static str) -> Self {
        self.kind = kind;
        self
    }

    /// A 404 `InvalidRequestException` whose cause in Camunda is an engine
    /// exception, so it carries `"code": 0`.
    pub(crate) fn engine_not_found(message: impl Into<String>) -> Self {
        ApiError::not_found(message).with_code(0)
    }

    /// A 404 `RestException` without a cause (`"code": null`), as Camunda answers
    /// a lookup it makes itself.
    pub(crate) fn rest_not_found(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "RestException", message)
    }

    /// A 403 `AuthorizationException`, as Camunda answers a user who lacks
    /// every permission that would allow what they asked, with `userId` and
    /// `missingAuthorizations` beside the message.
    pub(crate) fn forbidden(f: &baton_engine::Forbidden) -> Self {
        let mut extra = serde_json::Map::new();
        extra.insert("userId".into(), json!(f.user_id));
        extra.insert(
            "missingAuthorizations".into(),
            Json::Array(
                f.missing
                    .iter()
                    .map(|(perm, resource, id)| {
                        json!({"permissionName": perm, "resourceName": resource, "resourceId": id})
                    })
                    .collect(),
            ),
        );
        ApiError {
            status: StatusCode::FORBIDDEN,
            kind: "AuthorizationException",
            message: f.message(),
            code: Some(0),
            extra: Some(Box::new(extra)),
        }
    }

    /// The same error with `prefix` before its message (Camunda prefixes some, such
    /// as `Cannot instantiate process definition X: `).
    pub(crate) fn prefixed(mut self, prefix: &str) -> Self {
        self.message = format!("{prefix}{}", self.message);
        self
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        if let Error::Forbidden(f) = &e {
            return ApiError::forbidden(f);
        }
        let message = e.to_string();
        let (status, kind) = match &e {
            Error::NotFound(_) => (StatusCode::NOT_FOUND, "RestException"),
            Error::Forbidden(_) => (StatusCode::FORBIDDEN, "AuthorizationException"),
            Error::Invalid(_) => (StatusCode::BAD_REQUEST, "RestException"),
            Error::Deployment { .. } | Error::Deployments { .. } => {
                (StatusCode::BAD_REQUEST, "ParseException")
            }
            Error::Closed => (StatusCode::SERVICE_UNAVAILABLE, "ProcessEngineException"),
            Error::Storage(_) | Error::Internal(_) => {
                tracing::error!(error = %e, "engine fault");
                (StatusCode::INTERNAL_SERVER_ERROR, "ProcessEngineException")
            }
        };
        let invalid = e.invalid_resources();
        let extra = (!invalid.is_empty()).then(|| {
            let mut extra = serde_json::Map::new();
            extra.insert("details".into(), parse_details(&invalid));
            Box::new(extra)
        });
        ApiError {
            status,
            kind,
            message,
            code: Some(0),
            extra,
        }
    }
}

/// Camunda's `details` of a `ParseException`: per resource, its errors and warnings
/// with line, column and element ids.
fn parse_details(resources: &[(&str, &[Problem])]) -> Json {
    let entry = |p: &Problem| {
        json!({
            "message": p.message,
            "line": p.position.line,
            "column": p.position.column,
            "mainBpmnElementId": p.element_id,
            "bpmnElementIds": p.element_id.iter().collect::<Vec<_>>(),
        })
    };
    let mut details = serde_json::Map::new();
    for (resource, problems) in resources {
        let (errors, warnings): (Vec<&Problem>, Vec<&Problem>) = problems
            .iter()
            .partition(|p| p.severity() == Severity::Error);
        details.insert(
            (*resource).to_owned(),
            json!({
                "errors": errors.into_iter().map(entry).collect::<Vec<_>>(),
                "warnings": warnings.into_iter().map(entry).collect::<Vec<_>>(),
            }),
        );
    }
    Json::Object(details)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "type": self.kind,
            "message": self.message,
            "code": self.code,
        });
        if let (Some(extra), Some(map)) = (self.extra, body.as_object_mut()) {
            map.extend(*extra);
        }
        json_response(self.status, &body)
    }
}

/// The result of a handler.
pub(crate) type ApiResult<T> = Result<T, ApiError>;
