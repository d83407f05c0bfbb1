//! The evaluator: walks a JUEL syntax tree against a [`Scope`], following the coercion
//! rules of JUEL 2.2 (the `de.odysseus` implementation Camunda 7 uses).
//!
//! Choices where JUEL and Camunda leave room, or where Baton has no Java objects:
//!
//! - A JSON value (`Json`, or an `Object` serialized as JSON) is navigated like a map or
//!   list: `a.b` and `a['b']` read an object's key, `a[0]` and `a['0']` an array's element.
//!   A key an object does not have reads as `null` (as a Spin map or a `java.util.Map`
//!   would give), and so does an array index out of bounds (as JUEL's list resolver
//!   does). Leaves come back typed by [`Value::infer`]; objects and arrays as `Json`.
//! - Reading a property of `null` is an error naming the property (JUEL itself would
//!   give `null`; an error points at the missing data instead of hiding it).
//! - Integer arithmetic is on `Long`s, checked: an overflow is an error, where Java
//!   would wrap around silently.
//! - `+` never concatenates: strings are coerced to numbers, as in JUEL.
//! - The method calls `size()`, `isEmpty()`, `contains(x)`, `equals(x)`, `toString()`
//!   (and `length()` on strings) are evaluated on values; `equals` and `contains` compare
//!   with the `==` rules and treat a comparison JUEL would refuse as "not equal".
//! - `execution` is only usable to call the context methods Baton knows
//!   (`getVariable`, `hasVariable`, ...); `now()` and `dateTime().toDate()` read the
//!   engine's clock.

use std::cmp::Ordering;

use baton_bpmn::expr::{BinaryOp, Expr, ExprKind, LogicalOp, Part, Template, UnaryOp};
use serde_json::Value as Json;

use super::{EvalError, Scope};
use crate::date;
use crate::value::Value;

/// Evaluates one expression.
pub(crate) fn eval_expr(expr: &Expr, scope: &dyn Scope) -> Result<Value, EvalError> {
    Evaluator { scope, root: expr }.eval(expr)
}

/// Evaluates a template: a single `${...}` gives its value, literal text a String,
/// mixed text and expressions the concatenation as a String.
///
/// In the concatenation `null` prints as nothing (as JUEL coerces it to `""`), numbers in
/// decimal (a whole Double as `1.0`), dates as Camunda formats them and JSON as its text.
pub(crate) fn eval_template(t: &Template, scope: &dyn Scope) -> Result<Value, EvalError> {
    if let Some(expr) = t.as_single() {
        return eval_expr(expr, scope);
    }
    let mut out = String::new();
    for part in &t.parts {
        match part {
            Part::Text(text) => out.push_str(text),
            Part::Expr(expr) => out.push_str(&to_text(&eval_expr(expr, scope)?)),
        }
    }
    Ok(Value::String(out))
}

/// A condition's value as a boolean (JUEL coercion: null is false, "true"/"false" strings).
///
/// A String is true exactly when it is `true` in any case (Java's `Boolean.valueOf`, so
/// `"yes"` is false); any type other than Boolean, String and Null is an error.
pub(crate) fn as_bool(v: &Value) -> Result<bool, EvalError> {
    match v {
        Value::Null => Ok(false),
        Value::Boolean(b) => Ok(*b),
        Value::String(s) => Ok(s.eq_ignore_ascii_case("true")),
        other => Err(coerce_error(other, "Boolean")),
    }
}

/// A multi-instance collection's elements.
///
/// Only a JSON array (a `Json` value, or an `Object` serialized as JSON) is a collection;
/// its elements are typed by [`Value::infer`], nested objects and arrays as `Json`.
pub(crate) fn as_collection(v: &Value) -> Result<Vec<Value>, EvalError> {
    match v {
        Value::Null => Err(EvalError("The collection is null".into())),
        Value::Json(_) | Value::Object { .. } => match v.as_structured() {
            Some(Json::Array(items)) => Ok(items.iter().map(Value::infer).collect()),
            Some(other) => Err(EvalError(format!(
                "Expression did not resolve to a Collection: the {} value is a JSON {}, not an array",
                v.type_name(),
                json_kind(&other)
            ))),
            None => Err(EvalError(format!(
                "Expression did not resolve to a Collection: the {} value is not JSON",
                v.type_name()
            ))),
        },
        other => Err(EvalError(format!(
            "Expression did not resolve to a Collection: the value {} is not a collection",
            describe(other)
        ))),
    }
}

/// An intermediate result: a value, or something only expressions see.
#[derive(Debug)]
enum Val {
    /// A plain value.
    Plain(Value),
    /// A JSON object or array reached by navigation, not yet serialized again.
    Tree(Json),
    /// The result of `dateTime()`: an instant in milliseconds.
    DateTime(i64),
}

impl Val {
    /// The value as a [`Value`]: trees as `Json` text, `dateTime()` as a Date.
    fn into_value(self) -> Value {
        match self {
            Val::Plain(v) => v,
            Val::Tree(json) => Value::Json(json.to_string()),
            Val::DateTime(ms) => Value::Date(ms),
        }
    }

    /// A JSON value or node read as a value: objects and arrays stay trees.
    fn from_json(json: Json) -> Val {
        match json {
            Json::Array(_) | Json::Object(_) => Val::Tree(json),
            leaf => Val::Plain(Value::infer(&leaf)),
        }
    }

    /// The name of the value's type, for messages.
    fn type_name(&self) -> &'static str {
        match self {
            Val::Plain(v) => v.type_name(),
            Val::Tree(_) => "Json",
            Val::DateTime(_) => "DateTime",
        }
    }

    /// The JSON array or object behind the value, or the value itself when it is not one.
    fn into_tree(self) -> Result<Tree, Val> {
        let json = match self {
            Val::Tree(json) => json,
            Val::Plain(v) => match v.as_structured() {
                Some(json) => json,
                None => return Err(Val::Plain(v)),
            },
            other => return Err(other),
        };
        match json {
            Json::Array(items) => Ok(Tree::Array(items)),
            Json::Object(map) => Ok(Tree::Object(map)),
            other => Err(Val::from_json(other)),
        }
    }
}

/// A JSON array or object.
enum Tree {
    Array(Vec<Json>),
    Object(serde_json::Map<String, Json>),
}

impl Tree {
    fn len(&self) -> usize {
        match self {
            Tree::Array(items) => items.len(),
            Tree::Object(map) => map.len(),
        }
    }
}

/// Evaluates the nodes of one expression.
struct Evaluator<'a> {
    scope: &'a dyn Scope,
    /// The whole expression, for messages.
    root: &'a Expr,
}

impl Evaluator<'_> {
    fn eval(&self, expr: &Expr) -> Result<Value, EvalError> {
        self.eval_val(expr).map(Val::into_value)
    }

    fn eval_val(&self, expr: &Expr) -> Result<Val, EvalError> {
        Ok(Val::Plain(match &expr.kind {
            ExprKind::Null => Value::Null,
            ExprKind::Bool(b) => Value::Boolean(*b),
            ExprKind::Integer(i) => Value::Long(*i),
            ExprKind::Float(f) => Value::Double(*f),
            ExprKind::String(s) => Value::String(s.clone()),
            ExprKind::Ident(name) => self.identifier(name)?,
            ExprKind::Member(target, name)
                if matches!(&target.kind, ExprKind::Ident(e) if e == "execution")
                    && matches!(name.as_str(), "processBusinessKey" | "businessKey") =>
            {
                // The bean-property form of getProcessBusinessKey(), as the Modeler writes it.
                return Ok(Val::Plain(
                    self.scope.business_key().map_or(Value::Null, Value::String),
                ));
            }
            ExprKind::Member(target, name) => {
                let base = self.eval_val(target)?;
                return property(base, Key::Name(name), target);
            }
            ExprKind::Index(target, index) => {
                let base = self.eval_val(target)?;
                let index = self.eval(index)?;
                return property(base, Key::Index(index), target);
            }
            ExprKind::Call { target, name, args } => {
                return self.call(target.as_deref(), name, args);
            }
            ExprKind::Unary(op, operand) => match op {
                UnaryOp::Neg => negate(self.eval(operand)?)?,
                UnaryOp::Not => Value::Boolean(!as_bool(&self.eval(operand)?)?),
                UnaryOp::Empty => Value::Boolean(is_empty(self.eval_val(operand)?)),
            },
            ExprKind::Binary(op, left, right) => self.binary(*op, left, right)?,
            ExprKind::Logical(op, operands) => self.logical(*op, operands)?,
            ExprKind::Conditional(condition, then, otherwise) => {
                return if as_bool(&self.eval(condition)?)? {
                    self.eval_val(then)
                } else {
                    self.eval_val(otherwise)
                };
            }
        }))
    }

    fn identifier(&self, name: &str) -> Result<Value, EvalError> {
        if name == "execution" {
            return Err(EvalError(format!(
                "Unknown property used in expression: ${{{}}}. Cause: 'execution' can only be \
                 used to call one of its methods, such as execution.getVariable('name')",
                self.root
            )));
        }
        self.scope.variable(name).ok_or_else(|| {
            EvalError(format!(
                "Unknown property used in expression: ${{{}}}. Cause: Cannot resolve identifier '{name}'",
                self.root
            ))
        })
    }

    /// `a && b && ...` / `a || b || ...`, short-circuiting: left to right, stopping at
    /// the first operand that decides (false for `&&`, true for `||`).
    fn logical(&self, op: LogicalOp, operands: &[Expr]) -> Result<Value, EvalError> {
        let decisive = op == LogicalOp::Or;
        for operand in operands {
            if as_bool(&self.eval(operand)?)? == decisive {
                return Ok(Value::Boolean(decisive));
            }
        }
        Ok(Value::Boolean(!decisive))
    }

    fn binary(&self, op: BinaryOp, left: &Expr, right: &Expr) -> Result<Value, EvalError> {
        let operands =
            || -> Result<(Value, Value), EvalError> { Ok((self.eval(left)?, self.eval(right)?)) };
        Ok(match op {
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Mod => {
                let (a, b) = operands()?;
                arithmetic(op, &a, &b)?
            }
            BinaryOp::Div => {
                let (a, b) = operands()?;
                divide(&a, &b)?
            }
            BinaryOp::Eq | BinaryOp::Ne => {
                let (a, b) = operands()?;
                Value::Boolean(equal(&a, &b)? == (op == BinaryOp::Eq))
            }
            BinaryOp::Lt | BinaryOp::Gt | BinaryOp::Le | BinaryOp::Ge => {
                let (a, b) = operands()?;
                Value::Boolean(relational(op, &a, &b)?)
            }
        })
    }

    fn call(&self, target: Option<&Expr>, name: &str, args: &[Expr]) -> Result<Val, EvalError> {
        let target = match target {
            None => return self.function(name, args),
            Some(Expr {
                kind: ExprKind::Ident(object),
                ..
            }) if object == "execution" => return self.execution_method(name, args),
            Some(target) => target,
        };
        let base = self.eval_val(target)?;
        let args = args
            .iter()
            .map(|arg| self.eval(arg))
            .collect::<Result<Vec<_>, _>>()?;
        method(base, name, &args, target)
    }

    /// The built-in functions `now()` and `dateTime()`.
    fn function(&self, name: &str, args: &[Expr]) -> Result<Val, EvalError> {
        let result = match name {
            "now" => Val::Plain(Value::Date(self.scope.now())),
            "dateTime" => Val::DateTime(self.scope.now()),
            _ => {
                return Err(EvalError(format!(
                    "The function '{name}()' is not supported (Baton knows now() and dateTime())"
                )));
            }
        };
        expect_args(name, args.len(), 0)?;
        Ok(result)
    }

    /// The methods of `execution`.
    fn execution_method(&self, name: &str, args: &[Expr]) -> Result<Val, EvalError> {
        let arg = |i: usize| -> Result<String, EvalError> {
            match args.get(i) {
                Some(arg) => Ok(to_text(&self.eval(arg)?)),
                None => Ok(String::new()),
            }
        };
        let key = |key: Option<String>| Val::Plain(key.map_or(Value::Null, Value::String));
        let scope = self.scope;
        Ok(match name {
            "getVariable" | "getVariableLocal" | "hasVariable" | "hasVariableLocal" => {
                expect_args(&format!("execution.{name}"), args.len(), 1)?;
                let variable = arg(0)?;
                let value = if name.ends_with("Local") {
                    scope.local_variable(&variable)
                } else {
                    scope.variable(&variable)
                };
                Val::Plain(if name.starts_with("has") {
                    Value::Boolean(value.is_some())
                } else {
                    value.unwrap_or(Value::Null)
                })
            }
            "getBusinessKey" | "getProcessBusinessKey" => {
                expect_args(&format!("execution.{name}"), args.len(), 0)?;
                key(scope.business_key())
            }
            _ => {
                return Err(EvalError(format!(
                    "The method 'execution.{name}()' is not supported"
                )));
            }
        })
    }
}

/// Checks the number of arguments of a call.
fn expect_args(name: &str, given: usize, wanted: usize) -> Result<(), EvalError> {
    if given == wanted {
        Ok(())
    } else {
        Err(EvalError(format!(
            "'{name}()' takes {wanted} argument{}, not {given}",
            if wanted == 1 { "" } else { "s" }
        )))
    }
}

/// How a property is named: `a.b` or `a[x]`.
enum Key<'a> {
    Name(&'a str),
    Index(Value),
}

impl Key<'_> {
    fn describe(&self) -> String {
        match self {
            Key::Name(name) => (*name).to_owned(),
            Key::Index(index) => to_text(index),
        }
    }
}

/// Reads the property `key` of `base` (the value of `target`).
fn property(base: Val, key: Key<'_>, target: &Expr) -> Result<Val, EvalError> {
    if let Val::Plain(Value::Null) = base {
        return Err(EvalError(format!(
            "Cannot read property '{}' of null: '{target}' is null",
            key.describe()
        )));
    }
    let type_name = base.type_name();
    let tree = match base.into_tree() {
        Ok(tree) => tree,
        Err(_) => {
            return Err(EvalError(format!(
                "Cannot read property '{}' of '{target}': a {} value has no properties",
                key.describe(),
                type_name
            )));
        }
    };
    match tree {
        Tree::Object(mut map) => {
            let name = match key {
                Key::Name(name) => name.to_owned(),
                Key::Index(Value::Null) => return Ok(Val::Plain(Value::Null)),
                Key::Index(Value::String(s)) => s,
                Key::Index(other) => to_text(&other),
            };
            Ok(map
                .remove(&name)
                .map_or(Val::Plain(Value::Null), Val::from_json))
        }
        Tree::Array(mut items) => {
            let index = match &key {
                Key::Index(Value::Short(i)) => Some(i64::from(*i)),
                Key::Index(Value::Integer(i)) => Some(i64::from(*i)),
                Key::Index(Value::Long(i)) => Some(*i),
                // Java's intValue(): the integral part.
                Key::Index(Value::Double(f)) if f.is_finite() => Some(f.trunc() as i64),
                Key::Index(Value::String(s)) => s.parse::<i64>().ok(),
                Key::Index(Value::Null) => return Ok(Val::Plain(Value::Null)),
                _ => None,
            };
            let Some(index) = index else {
                return Err(EvalError(format!(
                    "Cannot read property '{}' of '{target}': a JSON array is indexed by numbers",
                    key.describe()
                )));
            };
            Ok(match usize::try_from(index) {
                Ok(i) if i < items.len() => Val::from_json(items.swap_remove(i)),
                _ => Val::Plain(Value::Null),
            })
        }
    }
}

/// Calls the method `name` on `base` (the value of `target`).
fn method(base: Val, name: &str, args: &[Value], target: &Expr) -> Result<Val, EvalError> {
    let unsupported = |type_name: &str| {
        EvalError(format!(
            "Cannot call '{name}()' on '{target}': the method is not supported on a {type_name} value"
        ))
    };
    match base {
        Val::Plain(Value::Null) => Err(EvalError(format!(
            "Cannot call '{name}()' on null: '{target}' is null"
        ))),
        Val::DateTime(ms) if name == "toDate" => {
            expect_args(name, args.len(), 0)?;
            Ok(Val::Plain(Value::Date(ms)))
        }
        Val::DateTime(_) => Err(EvalError(format!(
            "Cannot call '{name}()' on '{target}': of dateTime(), Baton supports toDate() only"
        ))),
        base => {
            let result = match (name, args) {
                ("toString", []) => Value::String(to_text(&base.into_value())),
                ("equals", [other]) => Value::Boolean(loose_equal(&base.into_value(), other)),
                ("size" | "isEmpty" | "length", []) => {
                    let type_name = base.type_name();
                    let len = match base.into_tree() {
                        Ok(tree) if name != "length" => tree.len(),
                        Err(Val::Plain(Value::String(s))) => s.encode_utf16().count(),
                        _ => return Err(unsupported(type_name)),
                    };
                    if name == "isEmpty" {
                        Value::Boolean(len == 0)
                    } else {
                        Value::Integer(i32::try_from(len).unwrap_or(i32::MAX))
                    }
                }
                ("contains", [needle]) => {
                    let type_name = base.type_name();
                    match base.into_tree() {
                        Ok(Tree::Array(items)) => Value::Boolean(
                            items
                                .iter()
                                .any(|item| loose_equal(&Value::infer(item), needle)),
                        ),
                        Err(Val::Plain(Value::String(s))) => {
                            Value::Boolean(s.contains(to_text(needle).as_str()))
                        }
                        _ => return Err(unsupported(type_name)),
                    }
                }
                ("toString" | "equals" | "size" | "isEmpty" | "length" | "contains", _) => {
                    let wanted = usize::from(matches!(name, "equals" | "contains"));
                    expect_args(name, args.len(), wanted)?;
                    return Err(unsupported(base.type_name()));
                }
                _ => return Err(unsupported(base.type_name())),
            };
            Ok(Val::Plain(result))
        }
    }
}

/// JUEL's `empty`: null, `""`, and an empty JSON array or object.
fn is_empty(v: Val) -> bool {
    match v {
        Val::Plain(Value::Null) => true,
        Val::Plain(Value::String(s)) => s.is_empty(),
        v => match v.into_tree() {
            Ok(tree) => tree.len() == 0,
            // JSON `null` and `""`.
            Err(Val::Plain(Value::Null)) => true,
            Err(Val::Plain(Value::String(s))) => s.is_empty(),
            Err(_) => false,
        },
    }
}

/// Whether JUEL's arithmetic treats the value as a floating-point number: a Double, or a
/// String with `.`, `e` or `E`.
fn is_floating(v: &Value) -> bool {
    match v {
        Value::Double(_) => true,
        Value::String(s) => s.contains(['.', 'e', 'E']),
        _ => false,
    }
}

/// Whether the value is of an integral type.
fn is_integral(v: &Value) -> bool {
    matches!(v, Value::Short(_) | Value::Integer(_) | Value::Long(_))
}

/// JUEL's coercion to Long: null and `""` are 0, a String must be an integer, a Double
/// loses its fraction.
fn to_long(v: &Value) -> Result<i64, EvalError> {
    match v {
        Value::Null => Ok(0),
        Value::Short(i) => Ok(i64::from(*i)),
        Value::Integer(i) => Ok(i64::from(*i)),
        Value::Long(i) => Ok(*i),
        Value::Double(f) => Ok(*f as i64),
        Value::String(s) if s.is_empty() => Ok(0),
        Value::String(s) => s.parse().map_err(|_| coerce_error(v, "Long")),
        other => Err(coerce_error(other, "Long")),
    }
}

/// JUEL's coercion to Double: null and `""` are 0, a String must be a number.
fn to_double(v: &Value) -> Result<f64, EvalError> {
    match v {
        Value::Null => Ok(0.0),
        Value::Short(i) => Ok(f64::from(*i)),
        Value::Integer(i) => Ok(f64::from(*i)),
        Value::Long(i) => Ok(*i as f64),
        Value::Double(f) => Ok(*f),
        Value::String(s) if s.is_empty() => Ok(0.0),
        Value::String(s) => parse_double(s).ok_or_else(|| coerce_error(v, "Double")),
        other => Err(coerce_error(other, "Double")),
    }
}

/// Parses a number as Java's `Double.valueOf` reads it (surrounding whitespace allowed,
/// `NaN` and `Infinity` spelled as Java spells them).
fn parse_double(s: &str) -> Option<f64> {
    let t = s.trim();
    let digits = t.trim_start_matches(['+', '-']);
    match digits {
        "NaN" => Some(f64::NAN),
        "Infinity" if t.starts_with('-') => Some(f64::NEG_INFINITY),
        "Infinity" => Some(f64::INFINITY),
        _ if digits.starts_with(|c: char| c.is_ascii_digit() || c == '.') => t.parse().ok(),
        _ => None,
    }
}

/// `+`, `-`, `*` and `%` as JUEL computes them: in Doubles when either side is a Double
/// or a String with `.`, `e` or `E`, else in Longs (checked for overflow).
fn arithmetic(op: BinaryOp, a: &Value, b: &Value) -> Result<Value, EvalError> {
    if a.is_null() && b.is_null() {
        return Ok(Value::Long(0));
    }
    if is_floating(a) || is_floating(b) {
        let (x, y) = (to_double(a)?, to_double(b)?);
        return Ok(Value::Double(match op {
            BinaryOp::Add => x + y,
            BinaryOp::Sub => x - y,
            BinaryOp::Mul => x * y,
            _ => x % y,
        }));
    }
    let (x, y) = (to_long(a)?, to_long(b)?);
    let result = match op {
        BinaryOp::Add => x.checked_add(y),
        BinaryOp::Sub => x.checked_sub(y),
        BinaryOp::Mul => x.checked_mul(y),
        _ if y == 0 => return Err(EvalError(format!("Division by zero: {x} % {y}"))),
        // Only i64::MIN % -1 overflows, and its remainder is 0.
        _ => Some(x.wrapping_rem(y)),
    };
    result
        .map(Value::Long)
        .ok_or_else(|| EvalError(format!("Arithmetic overflow: {x} {op} {y}")))
}

/// `/` as JUEL computes it: always in Doubles (so `1 / 0` is infinite).
fn divide(a: &Value, b: &Value) -> Result<Value, EvalError> {
    if a.is_null() && b.is_null() {
        return Ok(Value::Long(0));
    }
    Ok(Value::Double(to_double(a)? / to_double(b)?))
}

/// Unary `-`: keeps the type of a number; null is 0, a String is parsed.
fn negate(v: Value) -> Result<Value, EvalError> {
    let overflow = |v: &Value| EvalError(format!("Arithmetic overflow: -{}", to_text(v)));
    match v {
        Value::Null => Ok(Value::Long(0)),
        Value::Short(i) => i
            .checked_neg()
            .map(Value::Short)
            .ok_or_else(|| overflow(&v)),
        Value::Integer(i) => i
            .checked_neg()
            .map(Value::Integer)
            .ok_or_else(|| overflow(&v)),
        Value::Long(i) => i.checked_neg().map(Value::Long).ok_or_else(|| overflow(&v)),
        Value::Double(f) => Ok(Value::Double(-f)),
        Value::String(_) if is_floating(&v) => Ok(Value::Double(-to_double(&v)?)),
        Value::String(_) => to_long(&v)?
            .checked_neg()
            .map(Value::Long)
            .ok_or_else(|| overflow(&v)),
        other => Err(coerce_error(&other, "Number")),
    }
}

/// `==` as JUEL decides it: null equals only null; a Double on either side compares as
/// Doubles, else an integral type as Longs, else a Boolean as Booleans, else a String as
/// Strings; otherwise values of the same type compare by content.
fn equal(a: &Value, b: &Value) -> Result<bool, EvalError> {
    if a.is_null() || b.is_null() {
        return Ok(a.is_null() && b.is_null());
    }
    if matches!(a, Value::Double(_)) || matches!(b, Value::Double(_)) {
        return Ok(to_double(a)? == to_double(b)?);
    }
    if is_integral(a) || is_integral(b) {
        return Ok(to_long(a)? == to_long(b)?);
    }
    if matches!(a, Value::Boolean(_)) || matches!(b, Value::Boolean(_)) {
        return Ok(to_boolean(a)? == to_boolean(b)?);
    }
    if matches!(a, Value::String(_)) || matches!(b, Value::String(_)) {
        return Ok(to_text(a) == to_text(b));
    }
    Ok(match (a.as_structured(), b.as_structured()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    })
}

/// `==` for `equals()` and `contains()`: a comparison JUEL would refuse is "not equal".
fn loose_equal(a: &Value, b: &Value) -> bool {
    equal(a, b).unwrap_or(false)
}

/// JUEL's coercion to Boolean inside `==`.
fn to_boolean(v: &Value) -> Result<bool, EvalError> {
    match v {
        Value::String(s) if s.is_empty() => Ok(false),
        other => as_bool(other),
    }
}

/// `<`, `>`, `<=`, `>=` as JUEL decides them: false when either side is null (but
/// `null <= null`), else compared as Doubles, Longs or Strings by the same precedence as
/// `==`, or two Dates or two Booleans with each other.
fn relational(op: BinaryOp, a: &Value, b: &Value) -> Result<bool, EvalError> {
    if a.is_null() || b.is_null() {
        return Ok(a.is_null() && b.is_null() && matches!(op, BinaryOp::Le | BinaryOp::Ge));
    }
    let ordering = if matches!(a, Value::Double(_)) || matches!(b, Value::Double(_)) {
        to_double(a)?.partial_cmp(&to_double(b)?)
    } else if is_integral(a) || is_integral(b) {
        Some(to_long(a)?.cmp(&to_long(b)?))
    } else if matches!(a, Value::String(_)) || matches!(b, Value::String(_)) {
        // Java compares strings by UTF-16 code units.
        Some(to_text(a).encode_utf16().cmp(to_text(b).encode_utf16()))
    } else {
        match (a, b) {
            (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
            (Value::Boolean(x), Value::Boolean(y)) => Some(x.cmp(y)),
            _ => {
                return Err(EvalError(format!(
                    "Cannot compare a {} with a {} using '{op}'",
                    a.type_name(),
                    b.type_name()
                )));
            }
        }
    };
    Ok(match (op, ordering) {
        (_, None) => false,
        (BinaryOp::Lt, Some(o)) => o == Ordering::Less,
        (BinaryOp::Gt, Some(o)) => o == Ordering::Greater,
        (BinaryOp::Le, Some(o)) => o != Ordering::Greater,
        (_, Some(o)) => o != Ordering::Less,
    })
}

/// JUEL's coercion to String: null is `""`, a Double as Rust prints it shortest (`1.0`,
/// `2.5`, `NaN`, `Infinity`), a Date as Camunda formats it, JSON as its text.
fn to_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Double(f) if f.is_nan() => "NaN".into(),
        Value::Double(f) if f.is_infinite() => {
            if *f > 0.0 { "Infinity" } else { "-Infinity" }.into()
        }
        Value::Date(ms) => date::format(*ms),
        other => other.to_string(),
    }
}

/// The value and its type for a message, cut short when long.
fn describe(v: &Value) -> String {
    const MAX: usize = 80;
    let text = to_text(v);
    let text = match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}...", text.get(..end).unwrap_or("")),
        None => text,
    };
    format!("'{text}' of type {}", v.type_name())
}

fn coerce_error(v: &Value, to: &str) -> EvalError {
    EvalError(format!("Cannot coerce {} to {to}", describe(v)))
}

fn json_kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
