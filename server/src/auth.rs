//! Authentication: who a request comes from, before any handler runs.
//!
//! With [`Auth::None`] (the default, as Camunda Run's) every request is served
//! and carries no principal. Otherwise one middleware in front of the whole API
//! ([`authenticate`]) asks every request under the base path for credentials,
//! except `GET {base}/engine` (the list of engines, which Camunda Run answers to
//! anyone). A request without valid credentials, whatever is wrong with them (no
//! header, a malformed one, another scheme, an unknown user, a wrong password, a
//! forged or expired token), gets the same answer: 401 with an empty body and a
//! `WWW-Authenticate` challenge, and nothing is changed. A request with valid
//! ones goes on with an `Arc<Principal>` in its extensions, which the
//! authorization checks read.
//!
//! The path seen here is the one after [`crate::normalise`], inside the base
//! path: `/engine-rest/engine/default/task` has become `/task`, and
//! `/engine-rest/engine/` has become `/engine`. Only that exact path is open, so
//! an alias, an encoded form or an unknown path all need credentials.

mod basic;
mod oidc;

pub use oidc::{Oidc, OidcConfig, OidcError};

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use baton_engine::Principal;

use crate::AppState;
use crate::error::ApiError;

/// How requests prove who they come from ([`crate::Options::auth`]).
#[derive(Debug, Clone, Default)]
pub enum Auth {
    /// Nobody has to: every request is served, with no principal (Camunda Run's
    /// default).
    #[default]
    None,
    /// HTTP Basic credentials of a user of the identity store (`/user`), checked
    /// against the stored password hash.
    Basic,
    /// `Authorization: Bearer` JSON Web Tokens of an OpenID Connect provider
    /// ([`Oidc::load`]); the user is a claim of the token, and need not be in
    /// the identity store.
    Oidc(Oidc),
}

/// The longest `Authorization` header read; a longer one is refused unread.
pub(crate) const MAX_HEADER_BYTES: usize = 16 * 1024;

/// What the middleware checks requests with, built once from [`Auth`].
pub(crate) enum Authenticator {
    /// No checks.
    None,
    /// HTTP Basic, with its cache of verified credentials.
    Basic(Box<basic::Basic>),
    /// Bearer tokens.
    Oidc(Oidc),
}

impl Authenticator {
    /// The authenticator for `auth`.
    pub(crate) fn new(auth: &Auth) -> Self {
        match auth {
            Auth::None => Authenticator::None,
            Auth::Basic => Authenticator::Basic(Box::new(basic::Basic::new())),
            Auth::Oidc(oidc) => Authenticator::Oidc(oidc.clone()),
        }
    }
}

/// The middleware: lets the request through with its principal, or answers 401.
pub(crate) async fn authenticate(
    State(s): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    if matches!(s.auth, Authenticator::None) || is_open(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    let scripted = is_scripted(request.headers());
    let found = match authorization(request.headers()) {
        None => Ok(None),
        Some(value) => match &s.auth {
            Authenticator::None => return next.run(request).await,
            Authenticator::Basic(basic) => basic.authenticate(&s.engine, value).await,
            Authenticator::Oidc(oidc) => oidc.authenticate(&s.engine, value).await,
        },
    };
    match found {
        Ok(Some(principal)) => {
            request.extensions_mut().insert::<Arc<Principal>>(principal);
            next.run(request).await
        }
        Ok(None) if scripted => StatusCode::UNAUTHORIZED.into_response(),
        Ok(None) => challenge(&s.auth),
        Err(e) => {
            // Storage failed: not the client's fault, and not a 401 either, which
            // would tell a client with good credentials they were wrong.
            tracing::warn!(error = %e, "cannot check credentials");
            ApiError::from(e).into_response()
        }
    }
}

/// Whether the request may go without credentials: `GET /engine` only (and its
/// `HEAD`, which axum answers from the same route).
fn is_open(method: &Method, path: &str) -> bool {
    (method == Method::GET || method == Method::HEAD) && path == "/engine"
}

/// The request's one `Authorization` header; none when it is missing, repeated
/// or too long to be real.
fn authorization(headers: &HeaderMap) -> Option<&HeaderValue> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let value = values.next()?;
    if values.next().is_some() || value.len() > MAX_HEADER_BYTES {
        return None;
    }
    Some(value)
}

/// The credentials of a header `Authorization: {scheme} {token}`, with the
/// scheme matched without regard to case (RFC 9110); `None` for another scheme,
/// a missing token, or bytes that are not text.
fn token<'a>(value: &'a HeaderValue, scheme: &str) -> Option<&'a str> {
    let text = std::str::from_utf8(value.as_bytes()).ok()?;
    let (given, token) = text.split_once(' ')?;
    let token = token.trim_matches(' ');
    (given.eq_ignore_ascii_case(scheme) && !token.is_empty()).then_some(token)
}

/// Whether a page's script sent the request (`X-Requested-With:
/// XMLHttpRequest`, as the console does): its 401 then carries no challenge, or
/// the browser would answer it with its own login dialog instead of letting
/// the page ask (the convention Spring Security follows too).
fn is_scripted(headers: &HeaderMap) -> bool {
    headers
        .get("x-requested-with")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"XMLHttpRequest"))
}

/// The 401 of a request without valid credentials: empty, with the challenge of
/// the scheme in force.
fn challenge(auth: &Authenticator) -> Response {
    let scheme = match auth {
        Authenticator::None | Authenticator::Basic(_) => "Basic realm=\"default\"",
        Authenticator::Oidc(_) => "Bearer",
    };
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, HeaderValue::from_static(scheme))],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_get_engine_is_open() {
        assert!(is_open(&Method::GET, "/engine"));
        assert!(is_open(&Method::HEAD, "/engine"));
        assert!(!is_open(&Method::POST, "/engine"));
        assert!(!is_open(&Method::GET, "/engine/default"));
        assert!(!is_open(&Method::GET, "/%65ngine"));
        assert!(!is_open(&Method::GET, "/version"));
        assert!(!is_open(&Method::GET, "/"));
    }

    #[test]
    fn a_scripted_request_is_told_by_its_header() {
        let mut headers = HeaderMap::new();
        assert!(!is_scripted(&headers));
        headers.insert(
            "x-requested-with",
            HeaderValue::from_static("xmlhttprequest"),
        );
        assert!(is_scripted(&headers));
        headers.insert("x-requested-with", HeaderValue::from_static("fetch"));
        assert!(!is_scripted(&headers));
    }

    #[test]
    fn tokens_are_read_after_their_scheme() {
        let v = |s: &str| HeaderValue::from_str(s).expect("a header value");
        assert_eq!(token(&v("Basic abc"), "Basic"), Some("abc"));
        assert_eq!(token(&v("basic  abc "), "Basic"), Some("abc"));
        assert_eq!(token(&v("BEARER x.y.z"), "Bearer"), Some("x.y.z"));
        assert_eq!(token(&v("Basic"), "Basic"), None);
        assert_eq!(token(&v("Basic "), "Basic"), None);
        assert_eq!(token(&v("Bearer abc"), "Basic"), None);
        assert_eq!(token(&v("Basicabc"), "Basic"), None);
        let latin = HeaderValue::from_bytes(b"Basic \xe9\xe9").expect("obs-text");
        assert_eq!(token(&latin, "Basic"), None);
    }
}
