//! The syntax tree of a JUEL expression and its canonical, fully parenthesised display form.

use std::fmt;

/// A byte range `start..end` into the parsed source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset just past the last byte.
    pub end: usize,
}

impl Span {
    /// Creates the span `start..end`.
    pub(crate) fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }
}

/// One node of an expression tree, with the span of the source text it was parsed from.
///
/// A parenthesised expression keeps the kind of its inner expression, but its span includes
/// the parentheses.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What the node is.
    pub kind: ExprKind,
    /// Where the node is in the source.
    pub span: Span,
}

/// The kinds of expression nodes.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer literal such as `42` (always non-negative; `-42` is a negation).
    Integer(i64),
    /// A floating-point literal such as `1.5`, `1e3` or `.5`.
    Float(f64),
    /// A string literal with its escapes resolved.
    String(String),
    /// A variable (or bean) name such as `execution`.
    Ident(String),
    /// Property access `a.b`.
    Member(Box<Expr>, String),
    /// Index or property access `a[b]`, `a['b']`.
    Index(Box<Expr>, Box<Expr>),
    /// A function call `f(x)` or `ns:f(x)` (no target; `name` is `"f"` or `"ns:f"`), or a
    /// method call `a.b(x)` (target `a`, name `"b"`).
    Call {
        /// The object the method is called on, if this is a method call.
        target: Option<Box<Expr>>,
        /// The function or method name, with its namespace prefix if any (`"fn:contains"`).
        name: String,
        /// The arguments, in order.
        args: Vec<Expr>,
    },
    /// A prefix operator applied to an operand.
    Unary(UnaryOp, Box<Expr>),
    /// A binary operator applied to two operands.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `a && b && ...` or `a || b || ...`: one logical operator over two or more
    /// operands, evaluated left to right until one decides the result. A chain of one
    /// operator is one flat node, however long, so a long condition is not a deep tree.
    Logical(LogicalOp, Vec<Expr>),
    /// `condition ? then : otherwise`.
    Conditional(Box<Expr>, Box<Expr>, Box<Expr>),
}

/// Prefix operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// Arithmetic negation `-`.
    Neg,
    /// Logical negation `!` / `not`.
    Not,
    /// The `empty` test.
    Empty,
}

/// Binary operators; keyword spellings (`eq`, `and`, `div`, ...) map to the same variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/` or `div`.
    Div,
    /// `%` or `mod`.
    Mod,
    /// `==` or `eq`.
    Eq,
    /// `!=` or `ne`.
    Ne,
    /// `<` or `lt`.
    Lt,
    /// `>` or `gt`.
    Gt,
    /// `<=` or `le`.
    Le,
    /// `>=` or `ge`.
    Ge,
}

/// The short-circuiting logical operators, which [`ExprKind::Logical`] chains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogicalOp {
    /// `&&` or `and`: false at the first false operand, else true.
    And,
    /// `||` or `or`: true at the first true operand, else false.
    Or,
}

impl Expr {
    /// Calls `f` on this node and every node below it, depth first (parents before
    /// children, children left to right). Iterative, so it is safe on any tree depth.
    pub fn walk(&self, f: &mut dyn FnMut(&Expr)) {
        let mut stack = vec![self];
        while let Some(expr) = stack.pop() {
            f(expr);
            match &expr.kind {
                ExprKind::Member(target, _) | ExprKind::Unary(_, target) => stack.push(target),
                ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
                    stack.push(b);
                    stack.push(a);
                }
                ExprKind::Call { target, args, .. } => {
                    stack.extend(args.iter().rev());
                    if let Some(target) = target {
                        stack.push(target);
                    }
                }
                ExprKind::Conditional(a, b, c) => {
                    stack.push(c);
                    stack.push(b);
                    stack.push(a);
                }
                ExprKind::Logical(_, operands) => stack.extend(operands.iter().rev()),
                ExprKind::Null
                | ExprKind::Bool(_)
                | ExprKind::Integer(_)
                | ExprKind::Float(_)
                | ExprKind::String(_)
                | ExprKind::Ident(_) => {}
            }
        }
    }
}

impl fmt::Display for UnaryOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Neg => "-",
            Self::Not => "!",
            Self::Empty => "empty",
        })
    }
}

impl fmt::Display for BinaryOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Add => "+",
            Self::Sub => "-",
            Self::Mul => "*",
            Self::Div => "/",
            Self::Mod => "%",
            Self::Eq => "==",
            Self::Ne => "!=",
            Self::Lt => "<",
            Self::Gt => ">",
            Self::Le => "<=",
            Self::Ge => ">=",
        })
    }
}

impl fmt::Display for LogicalOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::And => "&&",
            Self::Or => "||",
        })
    }
}

/// Prints the canonical form: every unary, binary, logical and conditional node in parentheses,
/// symbolic operators (`==`, `&&`, `!`, ...), strings in double quotes. The output parses
/// back to the same tree (spans aside).
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Null => f.write_str("null"),
            ExprKind::Bool(value) => write!(f, "{value}"),
            ExprKind::Integer(value) => write!(f, "{value}"),
            ExprKind::Float(value) => write_float(f, *value),
            ExprKind::String(value) => write_string(f, value),
            ExprKind::Ident(name) => f.write_str(name),
            ExprKind::Member(target, name) => {
                write_target(f, target)?;
                write!(f, ".{name}")
            }
            ExprKind::Index(target, index) => {
                write_target(f, target)?;
                write!(f, "[{index}]")
            }
            ExprKind::Call { target, name, args } => {
                if let Some(target) = target {
                    write_target(f, target)?;
                    f.write_str(".")?;
                }
                write!(f, "{name}(")?;
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{arg}")?;
                }
                f.write_str(")")
            }
            ExprKind::Unary(UnaryOp::Empty, operand) => write!(f, "(empty {operand})"),
            ExprKind::Unary(op, operand) => write!(f, "({op}{operand})"),
            ExprKind::Binary(op, left, right) => write!(f, "({left} {op} {right})"),
            ExprKind::Logical(op, operands) => {
                f.write_str("(")?;
                for (i, operand) in operands.iter().enumerate() {
                    if i > 0 {
                        write!(f, " {op} ")?;
                    }
                    write!(f, "{operand}")?;
                }
                f.write_str(")")
            }
            ExprKind::Conditional(condition, then, otherwise) => {
                // `c ? x : f(y)` would read back as `c ? x:f(y)` (a namespaced call), as in
                // JUEL itself, so a bare identifier before such a branch gets parentheses.
                if matches!(then.kind, ExprKind::Ident(_)) && starts_with_function_call(otherwise) {
                    write!(f, "({condition} ? ({then}) : {otherwise})")
                } else {
                    write!(f, "({condition} ? {then} : {otherwise})")
                }
            }
        }
    }
}

/// Writes the target of a postfix operation, parenthesising number literals (`1.x` would
/// read back as the float `1.` followed by `x`).
fn write_target(f: &mut fmt::Formatter<'_>, target: &Expr) -> fmt::Result {
    if matches!(target.kind, ExprKind::Integer(_) | ExprKind::Float(_)) {
        write!(f, "({target})")
    } else {
        write!(f, "{target}")
    }
}

/// True when the display of `expr` starts with `name(`, i.e. its leftmost postfix root is a
/// function call without a target.
fn starts_with_function_call(mut expr: &Expr) -> bool {
    loop {
        match &expr.kind {
            ExprKind::Member(target, _)
            | ExprKind::Index(target, _)
            | ExprKind::Call {
                target: Some(target),
                ..
            } => expr = target,
            ExprKind::Call { target: None, .. } => return true,
            _ => return false,
        }
    }
}

/// Writes a float so that it reads back as the same value.
fn write_float(f: &mut fmt::Formatter<'_>, value: f64) -> fmt::Result {
    if value.is_finite() {
        write!(f, "{value:?}")
    } else if value.is_nan() {
        f.write_str("(0.0 / 0.0)")
    } else if value > 0.0 {
        f.write_str("1e999")
    } else {
        f.write_str("(-1e999)")
    }
}

/// Writes a double-quoted string literal, escaping `"` and `\`.
fn write_string(f: &mut fmt::Formatter<'_>, value: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in value.chars() {
        if c == '"' || c == '\\' {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("\"")
}
