//! Which calls inside expressions Baton can evaluate.
//!
//! Plain JUEL over variables needs no Java. A call does: a method on a
//! variable (`${order.isStandard()}`) is a Java method, and so is anything on
//! a bean. The engine implements the handful of context methods and built-in
//! functions listed here; any other call is refused at deployment instead of
//! failing when the token gets there.

use crate::expr::{self, Expr, ExprKind};

/// Methods of `execution` the engine evaluates.
const EXECUTION_METHODS: &[&str] = &[
    "getVariable",
    "getVariableLocal",
    "hasVariable",
    "hasVariableLocal",
    "getBusinessKey",
    "getProcessBusinessKey",
];

/// Camunda's built-in functions the engine evaluates.
const FUNCTIONS: &[&str] = &["now", "dateTime"];

/// The first call in `template` Baton cannot evaluate, described for a
/// message (`execution.setVariable(...)`), or `None` when every call is one
/// it can.
pub(crate) fn unsupported_call(template: &expr::Template) -> Option<String> {
    let mut found = None;
    template.walk(&mut |node: &Expr| {
        if found.is_some() {
            return;
        }
        if let ExprKind::Call { target, name, .. } = &node.kind {
            let supported = match target.as_deref().map(|t| &t.kind) {
                None => FUNCTIONS.contains(&name.as_str()),
                Some(ExprKind::Ident(object)) if object == "execution" => {
                    EXECUTION_METHODS.contains(&name.as_str())
                }
                Some(_) => false,
            };
            if !supported {
                found = Some(match target.as_deref() {
                    Some(target) => format!("{target}.{name}(...)"),
                    None => format!("{name}(...)"),
                });
            }
        }
    });
    found
}

#[cfg(test)]
mod tests {
    fn unsupported_call(source: &str) -> Option<String> {
        super::unsupported_call(&crate::expr::parse(source).expect("a valid expression"))
    }

    #[test]
    fn context_methods_and_builtins_pass() {
        assert_eq!(
            unsupported_call("${execution.getVariable('x') != null}"),
            None
        );
        assert_eq!(unsupported_call("${now()}"), None);
        assert_eq!(unsupported_call("${amount > 100 && not approved}"), None);
    }

    #[test]
    fn java_methods_are_named() {
        assert_eq!(
            unsupported_call("${execution.setVariable('x', 1)}").as_deref(),
            Some("execution.setVariable(...)")
        );
        assert_eq!(
            unsupported_call("${order.isStandard()}").as_deref(),
            Some("order.isStandard(...)")
        );
        assert_eq!(
            unsupported_call("${myBean.doIt(a)}").as_deref(),
            Some("myBean.doIt(...)")
        );
    }
}
