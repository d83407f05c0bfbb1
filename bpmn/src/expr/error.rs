//! The error type reported for malformed templates and expressions.

use std::fmt;

/// A syntax error in a template or expression.
///
/// `offset` is the byte offset into the parsed source of the offending token (or of the
/// unclosed `${` / `#{` delimiter). The message is lowercase and names what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    /// What went wrong, e.g. `unterminated string literal`.
    pub message: String,
    /// Byte offset into the source where the problem was found.
    pub offset: usize,
}

impl ExprError {
    /// Creates an error with `message` at byte `offset`.
    pub(crate) fn new(message: impl Into<String>, offset: usize) -> Self {
        Self {
            message: message.into(),
            offset,
        }
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset {}", self.message, self.offset)
    }
}

impl std::error::Error for ExprError {}
