//! Recursive-descent parser for one JUEL expression, the inside of `${...}` or `#{...}`.
//!
//! Precedence, lowest to highest: `?:` (right-associative); `||`; `&&`; `==` `!=`;
//! `<` `>` `<=` `>=`; `+` `-`; `*` `/` `%`; prefix `-` `!` `empty`; postfix `.name`,
//! `[index]` and calls. Binary operators are left-associative; `||` and `&&` chain.
//!
//! Recursion is bounded: every nested expression (parentheses, index, argument, branch) and
//! every prefix operator counts one level, and every node records the height of its
//! subtree; either exceeding [`MAX_DEPTH`] is an error. Trees handed out therefore have a
//! height of at most [`MAX_DEPTH`], so recursive consumers (display, drop, evaluation)
//! are safe too. A chain of one logical operator, `a || b || c ...`, is read into one
//! flat [`ExprKind::Logical`] node one level high, however many operands it has: long
//! conditions are chains, not nestings.

use super::ast::{BinaryOp, Expr, ExprKind, LogicalOp, Span, UnaryOp};
use super::error::ExprError;
use super::lexer::{Lexer, Token, TokenKind};

/// The deepest nesting accepted, in levels.
pub(crate) const MAX_DEPTH: usize = 64;

/// How many characters of a token to quote in a message.
const QUOTE_LIMIT: usize = 40;

/// A parsed subtree and its height (a leaf has height 1).
struct Node {
    expr: Expr,
    height: usize,
}

type ParseResult = Result<Node, ExprError>;

/// Parser state for one expression.
struct Parser<'a> {
    src: &'a str,
    lexer: Lexer<'a>,
    /// The current, not yet consumed token.
    token: Token,
    /// Current nesting level.
    depth: usize,
}

/// Parses the expression whose opening delimiter (`${` or `#{`, passed as `delimiter`)
/// starts at byte `open` of `src`. Returns the expression and the offset just past the
/// closing `}`.
pub(crate) fn parse_embedded(
    src: &str,
    open: usize,
    delimiter: &str,
) -> Result<(Expr, usize), ExprError> {
    let unclosed = || ExprError::new(format!("unclosed '{delimiter}': missing '}}'"), open);
    let mut lexer = Lexer::new(src, open + delimiter.len());
    let token = lexer.next_token()?;
    if token.kind == TokenKind::Eof {
        return Err(unclosed());
    }
    let mut parser = Parser {
        src,
        lexer,
        token,
        depth: 0,
    };
    let node = parser.expr(None)?;
    match parser.token.kind {
        TokenKind::RBrace => Ok((node.expr, parser.token.end)),
        TokenKind::Eof => Err(unclosed()),
        _ => Err(parser.unexpected("an operator or '}'")),
    }
}

/// The error for input nested deeper than [`MAX_DEPTH`].
fn too_deep(offset: usize) -> ExprError {
    ExprError::new(
        format!("expression is nested too deeply (more than {MAX_DEPTH} levels)"),
        offset,
    )
}

/// Builds a node, enforcing the height limit; `at` is the offset blamed if it is exceeded.
fn make(kind: ExprKind, span: Span, height: usize, at: usize) -> ParseResult {
    if height > MAX_DEPTH {
        return Err(too_deep(at));
    }
    Ok(Node {
        expr: Expr { kind, span },
        height,
    })
}

/// True when a token of this kind can start an operand.
fn starts_operand(kind: &TokenKind) -> bool {
    matches!(
        kind,
        TokenKind::Ident(_)
            | TokenKind::Integer(_)
            | TokenKind::Float(_)
            | TokenKind::Str(_)
            | TokenKind::True
            | TokenKind::False
            | TokenKind::Null
            | TokenKind::Empty
            | TokenKind::LParen
            | TokenKind::Minus
            | TokenKind::Bang
    )
}

impl Parser<'_> {
    /// Consumes the current token and returns it, scanning the next one.
    fn advance(&mut self) -> Result<Token, ExprError> {
        let next = self.lexer.next_token()?;
        Ok(std::mem::replace(&mut self.token, next))
    }

    /// Consumes the current token if it is `kind`, else fails with "expected `what`".
    fn expect(&mut self, kind: &TokenKind, what: &str) -> Result<Token, ExprError> {
        if &self.token.kind == kind {
            self.advance()
        } else {
            Err(self.unexpected(what))
        }
    }

    /// The source text of `token`, shortened for messages.
    fn text(&self, token: &Token) -> String {
        let text = self.src.get(token.start..token.end).unwrap_or("");
        let mut chars = text.chars();
        let mut short: String = chars.by_ref().take(QUOTE_LIMIT).collect();
        if chars.next().is_some() {
            short.push_str("...");
        }
        short
    }

    /// Describes `token` for a "found ..." message.
    fn describe(&self, token: &Token) -> String {
        match &token.kind {
            TokenKind::Eof => "end of input".to_owned(),
            TokenKind::Ident(_) => format!("identifier '{}'", self.text(token)),
            TokenKind::Integer(_) | TokenKind::Float(_) => {
                format!("number '{}'", self.text(token))
            }
            TokenKind::Str(_) => {
                // The text includes the quotes; keep the closing one when shortened.
                let mut text = self.text(token);
                if text.ends_with("...") {
                    let source = self.src.get(token.start..token.end).unwrap_or("");
                    text.extend(source.chars().next_back());
                }
                format!("string literal {text}")
            }
            _ => format!("'{}'", self.text(token)),
        }
    }

    /// "expected `what`, found ..." naming the current token, at the current token.
    fn unexpected(&self, what: &str) -> ExprError {
        ExprError::new(
            format!("expected {what}, found {}", self.describe(&self.token)),
            self.token.start,
        )
    }

    /// Fails unless the current token can start an operand; `after` is the token that
    /// demanded one (an operator, `(`, `,`, ...), named in the message.
    fn expect_operand(&self, after: Option<&Token>) -> Result<(), ExprError> {
        if starts_operand(&self.token.kind) {
            return Ok(());
        }
        Err(match after {
            Some(after) => self.unexpected(&format!("an expression after '{}'", self.text(after))),
            None => self.unexpected("an expression"),
        })
    }

    /// A full expression (one nesting level), conditional included.
    fn expr(&mut self, after: Option<&Token>) -> ParseResult {
        self.expect_operand(after)?;
        if self.depth >= MAX_DEPTH {
            return Err(too_deep(self.token.start));
        }
        self.depth += 1;
        let result = self.conditional();
        self.depth -= 1;
        result
    }

    /// `or ['?' expr ':' expr]`, right-associative through [`Parser::expr`].
    fn conditional(&mut self) -> ParseResult {
        let condition = self.or()?;
        if self.token.kind != TokenKind::Question {
            return Ok(condition);
        }
        let question = self.advance()?;
        let then = self.expr(Some(&question))?;
        if self.token.kind != TokenKind::Colon {
            return Err(self.unexpected("':' in conditional expression"));
        }
        let colon = self.advance()?;
        let otherwise = self.expr(Some(&colon))?;
        let span = Span::new(condition.expr.span.start, otherwise.expr.span.end);
        let height = condition.height.max(then.height).max(otherwise.height) + 1;
        make(
            ExprKind::Conditional(
                Box::new(condition.expr),
                Box::new(then.expr),
                Box::new(otherwise.expr),
            ),
            span,
            height,
            question.start,
        )
    }

    /// One left-associative binary level: `next (op next)*`.
    fn binary_level(
        &mut self,
        next: fn(&mut Self) -> ParseResult,
        operator: fn(&TokenKind) -> Option<BinaryOp>,
    ) -> ParseResult {
        let mut left = next(self)?;
        while let Some(op) = operator(&self.token.kind) {
            let op_token = self.advance()?;
            self.expect_operand(Some(&op_token))?;
            let right = next(self)?;
            let span = Span::new(left.expr.span.start, right.expr.span.end);
            let height = left.height.max(right.height) + 1;
            left = make(
                ExprKind::Binary(op, Box::new(left.expr), Box::new(right.expr)),
                span,
                height,
                op_token.start,
            )?;
        }
        Ok(left)
    }

    /// One logical level: `next (op next)*`, read into one flat chain when `op` occurs.
    fn logical_level(
        &mut self,
        next: fn(&mut Self) -> ParseResult,
        token: &TokenKind,
        op: LogicalOp,
    ) -> ParseResult {
        let first = next(self)?;
        if &self.token.kind != token {
            return Ok(first);
        }
        let blame = self.token.start;
        let start = first.expr.span.start;
        let mut end = first.expr.span.end;
        let mut height = first.height;
        let mut operands = vec![first.expr];
        while &self.token.kind == token {
            let op_token = self.advance()?;
            self.expect_operand(Some(&op_token))?;
            let operand = next(self)?;
            end = operand.expr.span.end;
            height = height.max(operand.height);
            operands.push(operand.expr);
        }
        make(
            ExprKind::Logical(op, operands),
            Span::new(start, end),
            height + 1,
            blame,
        )
    }

    /// `||` / `or`.
    fn or(&mut self) -> ParseResult {
        self.logical_level(Self::and, &TokenKind::OrOr, LogicalOp::Or)
    }

    /// `&&` / `and`.
    fn and(&mut self) -> ParseResult {
        self.logical_level(Self::equality, &TokenKind::AndAnd, LogicalOp::And)
    }

    /// `==` `!=` and their keywords.
    fn equality(&mut self) -> ParseResult {
        self.binary_level(Self::relational, |kind| match kind {
            TokenKind::EqEq => Some(BinaryOp::Eq),
            TokenKind::NotEq => Some(BinaryOp::Ne),
            _ => None,
        })
    }

    /// `<` `>` `<=` `>=` and their keywords.
    fn relational(&mut self) -> ParseResult {
        self.binary_level(Self::additive, |kind| match kind {
            TokenKind::Lt => Some(BinaryOp::Lt),
            TokenKind::Gt => Some(BinaryOp::Gt),
            TokenKind::Le => Some(BinaryOp::Le),
            TokenKind::Ge => Some(BinaryOp::Ge),
            _ => None,
        })
    }

    /// `+` `-`.
    fn additive(&mut self) -> ParseResult {
        self.binary_level(Self::multiplicative, |kind| match kind {
            TokenKind::Plus => Some(BinaryOp::Add),
            TokenKind::Minus => Some(BinaryOp::Sub),
            _ => None,
        })
    }

    /// `*` `/` `%` and their keywords.
    fn multiplicative(&mut self) -> ParseResult {
        self.binary_level(Self::unary, |kind| match kind {
            TokenKind::Star => Some(BinaryOp::Mul),
            TokenKind::Slash => Some(BinaryOp::Div),
            TokenKind::Percent => Some(BinaryOp::Mod),
            _ => None,
        })
    }

    /// Prefix `-`, `!` / `not`, `empty`; each counts one nesting level.
    fn unary(&mut self) -> ParseResult {
        let op = match self.token.kind {
            TokenKind::Minus => UnaryOp::Neg,
            TokenKind::Bang => UnaryOp::Not,
            TokenKind::Empty => UnaryOp::Empty,
            _ => return self.postfix(),
        };
        if self.depth >= MAX_DEPTH {
            return Err(too_deep(self.token.start));
        }
        let op_token = self.advance()?;
        self.expect_operand(Some(&op_token))?;
        self.depth += 1;
        let operand = self.unary();
        self.depth -= 1;
        let operand = operand?;
        let span = Span::new(op_token.start, operand.expr.span.end);
        make(
            ExprKind::Unary(op, Box::new(operand.expr)),
            span,
            operand.height + 1,
            op_token.start,
        )
    }

    /// A primary followed by any number of `.name`, `.name(args)` and `[index]`.
    fn postfix(&mut self) -> ParseResult {
        let mut node = self.primary()?;
        loop {
            let start = node.expr.span.start;
            match self.token.kind {
                TokenKind::Dot => {
                    let dot = self.advance()?;
                    let TokenKind::Ident(name) = &self.token.kind else {
                        return Err(self
                            .unexpected(&format!("a property name after '{}'", self.text(&dot))));
                    };
                    let name = name.clone();
                    let name_token = self.advance()?;
                    node = if self.token.kind == TokenKind::LParen {
                        let (args, args_height, end) = self.arguments()?;
                        make(
                            ExprKind::Call {
                                target: Some(Box::new(node.expr)),
                                name,
                                args,
                            },
                            Span::new(start, end),
                            node.height.max(args_height) + 1,
                            name_token.start,
                        )?
                    } else {
                        make(
                            ExprKind::Member(Box::new(node.expr), name),
                            Span::new(start, name_token.end),
                            node.height + 1,
                            name_token.start,
                        )?
                    };
                }
                TokenKind::LBracket => {
                    let open = self.advance()?;
                    let index = self.expr(Some(&open))?;
                    let close = self.expect(&TokenKind::RBracket, "']'")?;
                    let height = node.height.max(index.height) + 1;
                    node = make(
                        ExprKind::Index(Box::new(node.expr), Box::new(index.expr)),
                        Span::new(start, close.end),
                        height,
                        open.start,
                    )?;
                }
                _ => return Ok(node),
            }
        }
    }

    /// Parses `(args)` with the current token at `(`. Returns the arguments, their
    /// greatest height (0 for none) and the offset just past `)`.
    fn arguments(&mut self) -> Result<(Vec<Expr>, usize, usize), ExprError> {
        let mut after = self.advance()?;
        let mut args = Vec::new();
        let mut height = 0;
        if self.token.kind == TokenKind::RParen {
            let close = self.advance()?;
            return Ok((args, height, close.end));
        }
        loop {
            let arg = self.expr(Some(&after))?;
            height = height.max(arg.height);
            args.push(arg.expr);
            match self.token.kind {
                TokenKind::Comma => after = self.advance()?,
                TokenKind::RParen => {
                    let close = self.advance()?;
                    return Ok((args, height, close.end));
                }
                _ => return Err(self.unexpected("',' or ')' in argument list")),
            }
        }
    }

    /// True when the current token is `:` and the next two are an identifier and `(`, i.e.
    /// a namespaced function call `ns:f(...)` (the same lookahead JUEL uses, so
    /// `c ? x:f(y)` is a call there too).
    fn namespaced_call_ahead(&self) -> bool {
        if self.token.kind != TokenKind::Colon {
            return false;
        }
        let mut lexer = self.lexer.clone();
        matches!(
            lexer.next_token(),
            Ok(Token {
                kind: TokenKind::Ident(_),
                ..
            })
        ) && matches!(
            lexer.next_token(),
            Ok(Token {
                kind: TokenKind::LParen,
                ..
            })
        )
    }

    /// A literal, identifier, function call or parenthesised expression.
    fn primary(&mut self) -> ParseResult {
        let token = match self.token.kind {
            TokenKind::Integer(_)
            | TokenKind::Float(_)
            | TokenKind::Str(_)
            | TokenKind::True
            | TokenKind::False
            | TokenKind::Null
            | TokenKind::Ident(_) => self.advance()?,
            TokenKind::LParen => {
                let open = self.advance()?;
                let inner = self.expr(Some(&open))?;
                let close = self.expect(&TokenKind::RParen, "')'")?;
                return Ok(Node {
                    expr: Expr {
                        kind: inner.expr.kind,
                        span: Span::new(open.start, close.end),
                    },
                    height: inner.height,
                });
            }
            _ => return Err(self.unexpected("an expression")),
        };
        let span = Span::new(token.start, token.end);
        let kind = match token.kind {
            TokenKind::Integer(value) => ExprKind::Integer(value),
            TokenKind::Float(value) => ExprKind::Float(value),
            TokenKind::Str(value) => ExprKind::String(value),
            TokenKind::True => ExprKind::Bool(true),
            TokenKind::False => ExprKind::Bool(false),
            TokenKind::Ident(name) => return self.identifier(name, span),
            // Only `null` is left among the kinds accepted above.
            _ => ExprKind::Null,
        };
        make(kind, span, 1, span.start)
    }

    /// After an identifier `name` at `span`: a namespaced or plain function call, or the
    /// identifier itself.
    fn identifier(&mut self, mut name: String, span: Span) -> ParseResult {
        if self.namespaced_call_ahead() {
            self.advance()?;
            if let TokenKind::Ident(local) = &self.advance()?.kind {
                name.push(':');
                name.push_str(local);
            }
        }
        if self.token.kind != TokenKind::LParen {
            return make(ExprKind::Ident(name), span, 1, span.start);
        }
        let (args, args_height, end) = self.arguments()?;
        make(
            ExprKind::Call {
                target: None,
                name,
                args,
            },
            Span::new(span.start, end),
            args_height + 1,
            span.start,
        )
    }
}
