//! A parser for JUEL (Java Unified Expression Language 2.2) as Camunda 7 reads it.
//!
//! Attribute and element texts in Camunda models are *templates*: literal text mixed with
//! `${...}` or `#{...}` expressions. [`parse`] turns such a text into a [`Template`] whose
//! expression parts are syntax trees ([`Expr`]) carrying byte spans into the source, so that
//! model validation can report bad expressions with their position and the engine can
//! evaluate them later. This module only parses; it never evaluates.
//!
//! The parser never panics and never recurses without bound: expressions nested deeper
//! than 64 levels are rejected with an [`ExprError`]. A long chain of one logical operator
//! (`a || b || c ...`, as long conditions are written) is one flat node, not a nesting.

mod ast;
mod error;
mod lexer;
mod parser;
mod template;
#[cfg(test)]
mod tests;

pub use ast::{BinaryOp, Expr, ExprKind, LogicalOp, Span, UnaryOp};
pub use error::ExprError;
pub use template::{Part, Template, parse};
