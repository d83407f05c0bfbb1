//! Templates: literal text mixed with `${...}` / `#{...}` expressions, as Camunda reads
//! attribute and element texts.

use std::fmt;

use super::ast::Expr;
use super::error::ExprError;
use super::parser::parse_embedded;

/// A parsed attribute or element text: literal text and expressions, in source order.
///
/// Adjacent literal text is merged into one [`Part::Text`]; an empty source has no parts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Template {
    /// The parts in source order.
    pub parts: Vec<Part>,
}

/// One part of a [`Template`].
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Literal text, with `\${` / `\#{` escapes resolved.
    Text(String),
    /// A `${...}` or `#{...}` expression; its span covers the text between the delimiters.
    Expr(Expr),
}

/// Parses an attribute or element text as Camunda reads it: a template of literal text and
/// `${...}` / `#{...}` parts. Text without any `${`/`#{` is a plain literal template.
///
/// `\${` and `\#{` stand for a literal `${` / `#{`; any other backslash is kept as is. As
/// in JUEL, one template cannot mix `${` and `#{`.
///
/// # Errors
///
/// Returns the first syntax error, with the byte offset of the offending token (or of an
/// unclosed `${` / `#{`).
pub fn parse(source: &str) -> Result<Template, ExprError> {
    let bytes = source.as_bytes();
    let mut parts = Vec::new();
    let mut text = String::new();
    // The delimiter of the first expression; later ones must match it.
    let mut delimiter: Option<&str> = None;
    // Start of the literal text not yet copied into `text`.
    let mut chunk = 0;
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        let opens = |at: usize| {
            matches!(bytes.get(at), Some(b'$' | b'#')) && bytes.get(at + 1) == Some(&b'{')
        };
        if byte == b'\\' && opens(i + 1) {
            // Drop the backslash; the delimiter is copied as literal text.
            text.push_str(source.get(chunk..i).unwrap_or(""));
            chunk = i + 1;
            i += 3;
            continue;
        }
        if !opens(i) {
            i += 1;
            continue;
        }
        let this = if byte == b'$' { "${" } else { "#{" };
        match delimiter {
            Some(first) if first != this => {
                return Err(ExprError::new(
                    format!("cannot mix '{first}' and '{this}' in one template"),
                    i,
                ));
            }
            _ => delimiter = Some(this),
        }
        text.push_str(source.get(chunk..i).unwrap_or(""));
        if !text.is_empty() {
            parts.push(Part::Text(std::mem::take(&mut text)));
        }
        let (expr, end) = parse_embedded(source, i, this)?;
        parts.push(Part::Expr(expr));
        chunk = end;
        i = end;
    }
    text.push_str(source.get(chunk..).unwrap_or(""));
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
    Ok(Template { parts })
}

impl Template {
    /// The single expression when the template is exactly one `${...}` and nothing else (the
    /// common case: conditions). Surrounding text, even whitespace, makes it `None`.
    #[must_use]
    pub fn as_single(&self) -> Option<&Expr> {
        match self.parts.as_slice() {
            [Part::Expr(expr)] => Some(expr),
            _ => None,
        }
    }

    /// True when there is no `${`/`#{` part at all.
    #[must_use]
    pub fn is_literal(&self) -> bool {
        !self.parts.iter().any(|part| matches!(part, Part::Expr(_)))
    }

    /// Calls `f` on every expression node, depth first (for validation walks): each
    /// expression part in order, parents before children.
    pub fn walk(&self, f: &mut dyn FnMut(&Expr)) {
        for part in &self.parts {
            if let Part::Expr(expr) = part {
                expr.walk(f);
            }
        }
    }
}

/// Prints the template back: text with `${` / `#{` escaped, expressions in canonical form
/// as `${...}` (a `#{...}` template prints with `${`, which Camunda treats alike).
impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &self.parts {
            match part {
                Part::Text(text) => {
                    let mut rest = text.as_str();
                    while let Some((before, after)) = rest
                        .find(['$', '#'])
                        .and_then(|at| rest.split_at_checked(at))
                    {
                        f.write_str(before)?;
                        if after.get(1..2) == Some("{") {
                            f.write_str("\\")?;
                        }
                        f.write_str(after.get(..1).unwrap_or(""))?;
                        rest = after.get(1..).unwrap_or("");
                    }
                    f.write_str(rest)?;
                }
                Part::Expr(expr) => write!(f, "${{{expr}}}")?,
            }
        }
        Ok(())
    }
}
