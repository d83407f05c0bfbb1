//! The engine's error type.
//!
//! The variants say whose fault an error is, so the REST layer can map them
//! onto Camunda's status codes: [`Error::NotFound`] is 404, [`Error::Invalid`]
//! and [`Error::Deployment`] are 400, and only [`Error::Storage`] and
//! [`Error::Internal`] are the server's fault (500).

use baton_bpmn::Problem;

/// An error from an engine call. Any error means the call changed nothing.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The thing the call names does not exist (an unknown task, instance or definition).
    #[error("{0}")]
    NotFound(String),
    /// The request is invalid for the current state: a wrong worker, a bad value, a
    /// missing argument. The message names the problem.
    #[error("{0}")]
    Invalid(String),
    /// A deployed resource is not a valid model; each problem has its position.
    #[error("{}", deployment_message(resource, problems))]
    Deployment {
        /// The resource's name.
        resource: String,
        /// What is wrong with it.
        problems: Vec<Problem>,
    },
    /// The database failed (disk full, I/O error, corruption).
    #[error("storage error: {0}")]
    Storage(String),
    /// The engine has been shut down.
    #[error("the engine is shut down")]
    Closed,
    /// A bug in Baton: an invariant did not hold. The call was rolled back.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Shorthand for results of engine calls.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Whether the error is the caller's fault (a 4xx in REST terms).
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            Error::NotFound(_) | Error::Invalid(_) | Error::Deployment { .. }
        )
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Storage(e.to_string())
    }
}

fn deployment_message(resource: &str, problems: &[Problem]) -> String {
    let mut message = format!("ENGINE-09005 Could not parse BPMN process. Errors in '{resource}':");
    for p in problems {
        message.push_str(&format!("\n* {p}"));
    }
    message
}
