//! JSON in and out, as Camunda's clients need it.
//!
//! Responses carry exactly `application/json` (the JavaScript client parses
//! nothing else). Request bodies are read whatever their content type says
//! (clients differ), an empty body reads as `{}` (the JavaScript client's
//! `unlock` sends none), and a malformed one is a 400 naming the problem.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// `application/json`, without a charset.
const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");

/// A response of `status` with `body` serialized as JSON.
pub(crate) fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, APPLICATION_JSON)], bytes).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot serialize a response");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, APPLICATION_JSON)],
                format!(r#"{{"type":"RestException","message":"cannot serialize the response: {e}","code":null}}"#),
            )
                .into_response()
        }
    }
}

/// A 200 JSON answer.
pub(crate) struct JsonOk<T>(pub(crate) T);

impl<T: Serialize> IntoResponse for JsonOk<T> {
    fn into_response(self) -> Response {
        json_response(StatusCode::OK, &self.0)
    }
}

/// A 204 with no body: what Camunda answers every command with.
pub(crate) struct NoContent;

impl IntoResponse for NoContent {
    fn into_response(self) -> Response {
        StatusCode::NO_CONTENT.into_response()
    }
}

/// A JSON request body; an empty body reads as `{}`.
pub(crate) struct Body<T>(pub(crate) T);

impl<T, S> FromRequest<S> for Body<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "InvalidRequestException",
                    "The request body is too large",
                )
            } else {
                ApiError::invalid(format!("Cannot read the request body: {e}"))
            }
        })?;
        parse_body(&bytes).map(Body)
    }
}

/// Reads a JSON body; empty (or only whitespace) means `{}`.
pub(crate) fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    serde_json::from_slice(text)
        .map_err(|e| ApiError::invalid(format!("Cannot read the request body as JSON: {e}")))
}
