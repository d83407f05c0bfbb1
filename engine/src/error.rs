//! The engine's error type.
//!
//! The variants say whose fault an error is, so the REST layer can map them
//! onto Camunda's status codes: [`Error::NotFound`] is 404, [`Error::Invalid`],
//! [`Error::Deployment`] and [`Error::Deployments`] are 400, and only
//! [`Error::Storage`] and [`Error::Internal`] are the server's fault (500).

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
    /// A deployed resource is not a valid model (or one Baton cannot run); each
    /// problem has its position. When more than one resource is, the error is
    /// [`Error::Deployments`].
    #[error("{}", deployment_message(&[(resource.as_str(), problems.as_slice())]))]
    Deployment {
        /// The resource's name.
        resource: String,
        /// What is wrong with it.
        problems: Vec<Problem>,
    },
    /// Several deployed resources are invalid, each with its problems, in the
    /// order they were given.
    #[error("{}", deployment_message(&resources.iter().map(|r| (r.resource.as_str(), r.problems.as_slice())).collect::<Vec<_>>()))]
    Deployments {
        /// Every invalid resource with its problems.
        resources: Vec<InvalidResource>,
    },
    /// The asking user lacks a permission the call needs (see
    /// [`crate::authz`]); the call changed nothing.
    #[error("{}", .0.message())]
    Forbidden(Forbidden),
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

/// A resource of a deployment that cannot be deployed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidResource {
    /// The resource's name.
    pub resource: String,
    /// What is wrong with it.
    pub problems: Vec<Problem>,
}

/// A missing permission: who asked, and the permissions any one of which would
/// have allowed the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forbidden {
    /// The user.
    pub user_id: String,
    /// Each permission name, resource type name and resource id (`None`: the
    /// type as a whole).
    pub missing: Vec<(String, String, Option<String>)>,
}

impl Forbidden {
    /// Camunda's message for it.
    pub fn message(&self) -> String {
        let phrase = |(perm, resource, id): &(String, String, Option<String>)| match id {
            Some(id) => format!("'{perm}' permission on resource '{id}' of type '{resource}'"),
            None => format!("'{perm}' permission on resource '{resource}'"),
        };
        match self.missing.as_slice() {
            [one] => format!(
                "The user with id '{}' does not have {}.",
                self.user_id,
                phrase(one)
            ),
            many => format!(
                "The user with id '{}' does not have one of the following permissions: {}",
                self.user_id,
                many.iter().map(phrase).collect::<Vec<_>>().join(" or ")
            ),
        }
    }
}

/// Shorthand for results of engine calls.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Whether the error is the caller's fault (a 4xx in REST terms).
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            Error::NotFound(_)
                | Error::Invalid(_)
                | Error::Forbidden(_)
                | Error::Deployment { .. }
                | Error::Deployments { .. }
        )
    }

    /// The invalid resources of a deployment error, each with its problems, in the
    /// order they were given; empty for any other error.
    pub fn invalid_resources(&self) -> Vec<(&str, &[Problem])> {
        match self {
            Error::Deployment { resource, problems } => vec![(resource.as_str(), problems)],
            Error::Deployments { resources } => resources
                .iter()
                .map(|r| (r.resource.as_str(), r.problems.as_slice()))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The error for a deployment whose `resources` are invalid:
    /// [`Error::Deployment`] for one, [`Error::Deployments`] for more.
    pub(crate) fn invalid_deployment(mut resources: Vec<InvalidResource>) -> Error {
        if resources.len() == 1 {
            if let Some(InvalidResource { resource, problems }) = resources.pop() {
                return Error::Deployment { resource, problems };
            }
        }
        Error::Deployments { resources }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Storage(e.to_string())
    }
}

/// Camunda's `ParseException` message, with the problems of every resource.
fn deployment_message(resources: &[(&str, &[Problem])]) -> String {
    let mut message = String::from("ENGINE-09005 Could not parse BPMN process.");
    for (i, (resource, problems)) in resources.iter().enumerate() {
        let gap = if i == 0 { " " } else { "\n" };
        message.push_str(&format!("{gap}Errors in '{resource}':"));
        for p in *problems {
            message.push_str(&format!("\n* {p}"));
        }
    }
    message
}
