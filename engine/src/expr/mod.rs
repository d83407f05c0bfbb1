//! Evaluation of JUEL expressions (parsed by [`baton_bpmn::expr`]) against an
//! instance's variables.
//!
//! The engine compiles every expression once at deploy time; this module only
//! evaluates the syntax trees. Values are [`Value`]s; JSON values (`Json`, and
//! `Object` serialized as JSON) can be navigated with `a.b` and `a['b']` / `a[0]`.

use baton_bpmn::expr::{Expr, Template};

use crate::value::Value;

mod eval;

pub(crate) use eval::{as_bool, as_collection, eval_expr, eval_template};

/// What an expression can see while it runs.
pub(crate) trait Scope {
    /// The variable `name` as seen from the current execution (local first, then
    /// each enclosing scope), or `None` when no scope has it.
    fn variable(&self, name: &str) -> Option<Value>;
    /// The variable `name` only if it is local to the current execution.
    fn local_variable(&self, name: &str) -> Option<Value>;
    /// The business key of the process instance.
    fn business_key(&self) -> Option<String>;
    /// The current time in milliseconds since the epoch, from the engine's clock.
    fn now(&self) -> i64;
}

/// Why an expression could not be evaluated. The message names the problem the way
/// Camunda does (for an unknown variable: `Cannot resolve identifier 'x'`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct EvalError(pub(crate) String);

/// Whether an evaluation failed only because a variable does not exist (yet). A
/// conditional event's condition is then false, not an error: Camunda's
/// `UelExpressionCondition.tryEvaluate` reads the same two phrases, and the event is
/// evaluated again when variables change.
pub(crate) fn is_unresolved(message: &str) -> bool {
    message.contains("Cannot resolve identifier")
        || message.contains("Unknown property used in expression")
}

#[allow(dead_code)]
fn _signatures(e: &Expr, t: &Template, s: &dyn Scope) {
    let _: Result<Value, EvalError> = eval_expr(e, s);
    let _: Result<Value, EvalError> = eval_template(t, s);
}
