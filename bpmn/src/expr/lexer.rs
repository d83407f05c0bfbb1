//! Tokenizer for the inside of a `${...}` / `#{...}` expression.
//!
//! Tokens are produced on demand, so scanning stops at the `}` that closes the expression
//! and never looks at the template text after it.

use super::error::ExprError;

/// The kinds of tokens. Keyword operators map to the same kind as their symbols
/// (`and` is [`TokenKind::AndAnd`], `div` is [`TokenKind::Slash`], ...); messages quote the
/// source text, so the spelling is not lost.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    /// An identifier (never a keyword).
    Ident(String),
    /// An integer literal that fits in `i64`.
    Integer(i64),
    /// A floating-point literal.
    Float(f64),
    /// A string literal, escapes resolved.
    Str(String),
    /// `true`.
    True,
    /// `false`.
    False,
    /// `null`.
    Null,
    /// `empty`.
    Empty,
    /// `.`.
    Dot,
    /// `[`.
    LBracket,
    /// `]`.
    RBracket,
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `,`.
    Comma,
    /// `?`.
    Question,
    /// `:`.
    Colon,
    /// `+`.
    Plus,
    /// `-`.
    Minus,
    /// `*`.
    Star,
    /// `/` or `div`.
    Slash,
    /// `%` or `mod`.
    Percent,
    /// `==` or `eq`.
    EqEq,
    /// `!=` or `ne`.
    NotEq,
    /// `<` or `lt`.
    Lt,
    /// `>` or `gt`.
    Gt,
    /// `<=` or `le`.
    Le,
    /// `>=` or `ge`.
    Ge,
    /// `&&` or `and`.
    AndAnd,
    /// `||` or `or`.
    OrOr,
    /// `!` or `not`.
    Bang,
    /// `}`, the end of the expression.
    RBrace,
    /// The end of the source.
    Eof,
}

/// A token and its byte range in the source.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    /// What was scanned.
    pub(crate) kind: TokenKind,
    /// Byte offset of the token's first byte.
    pub(crate) start: usize,
    /// Byte offset just past the token.
    pub(crate) end: usize,
}

/// An on-demand tokenizer over the whole source, starting at some byte offset.
#[derive(Debug, Clone)]
pub(crate) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

/// True for characters that may start an identifier (Java rules, approximately).
fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '$'
}

/// True for characters that may continue an identifier.
fn is_ident_part(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

impl<'a> Lexer<'a> {
    /// Creates a lexer over `src` that starts scanning at byte `pos`.
    pub(crate) fn new(src: &'a str, pos: usize) -> Self {
        Self { src, pos }
    }

    /// The unscanned rest of the source.
    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or("")
    }

    /// Scans the next token, skipping whitespace. At the end of the source it returns
    /// [`TokenKind::Eof`] (repeatedly).
    pub(crate) fn next_token(&mut self) -> Result<Token, ExprError> {
        let rest = self.rest();
        let trimmed = rest.trim_start();
        self.pos += rest.len() - trimmed.len();
        let start = self.pos;
        let mut chars = trimmed.chars();
        let Some(c) = chars.next() else {
            return Ok(self.token(TokenKind::Eof, start));
        };
        let next = chars.next();
        if c.is_ascii_digit() || (c == '.' && next.is_some_and(|n| n.is_ascii_digit())) {
            return self.number(start);
        }
        if c == '\'' || c == '"' {
            return self.string(start, c);
        }
        if is_ident_start(c) {
            return self.word(start);
        }
        let (kind, len) = match (c, next) {
            ('.', _) => (TokenKind::Dot, 1),
            ('[', _) => (TokenKind::LBracket, 1),
            (']', _) => (TokenKind::RBracket, 1),
            ('(', _) => (TokenKind::LParen, 1),
            (')', _) => (TokenKind::RParen, 1),
            (',', _) => (TokenKind::Comma, 1),
            ('?', _) => (TokenKind::Question, 1),
            (':', _) => (TokenKind::Colon, 1),
            ('+', Some('=')) => {
                return Err(ExprError::new(
                    "string concatenation operator '+=' is not supported",
                    start,
                ));
            }
            ('+', _) => (TokenKind::Plus, 1),
            ('-', Some('>')) => {
                return Err(ExprError::new(
                    "lambda expressions are not supported, found '->'",
                    start,
                ));
            }
            ('-', _) => (TokenKind::Minus, 1),
            ('*', _) => (TokenKind::Star, 1),
            ('/', _) => (TokenKind::Slash, 1),
            ('%', _) => (TokenKind::Percent, 1),
            ('=', Some('=')) => (TokenKind::EqEq, 2),
            ('=', _) => {
                return Err(ExprError::new(
                    "assignment operator '=' is not supported",
                    start,
                ));
            }
            ('!', Some('=')) => (TokenKind::NotEq, 2),
            ('!', _) => (TokenKind::Bang, 1),
            ('<', Some('=')) => (TokenKind::Le, 2),
            ('<', _) => (TokenKind::Lt, 1),
            ('>', Some('=')) => (TokenKind::Ge, 2),
            ('>', _) => (TokenKind::Gt, 1),
            ('&', Some('&')) => (TokenKind::AndAnd, 2),
            ('|', Some('|')) => (TokenKind::OrOr, 2),
            (';', _) => {
                return Err(ExprError::new(
                    "statement separator ';' is not supported",
                    start,
                ));
            }
            ('{', _) => {
                return Err(ExprError::new(
                    "set and map literals are not supported, found '{'",
                    start,
                ));
            }
            ('}', _) => (TokenKind::RBrace, 1),
            _ => {
                return Err(ExprError::new(
                    format!("unexpected character '{}'", c.escape_debug()),
                    start,
                ));
            }
        };
        // Every punctuation character above is ASCII, so `len` bytes are `len` characters.
        self.pos = start + len;
        Ok(self.token(kind, start))
    }

    /// Builds a token from `start` to the current position.
    fn token(&self, kind: TokenKind, start: usize) -> Token {
        Token {
            kind,
            start,
            end: self.pos,
        }
    }

    /// Scans a number: `digits [. digits] [e [+-] digits]` or `. digits [...]`, as JUEL
    /// does (`1.` is a float; `1e` is the integer `1` followed by the identifier `e`).
    fn number(&mut self, start: usize) -> Result<Token, ExprError> {
        let bytes = self.src.as_bytes();
        let skip_digits = |mut i: usize| {
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            i
        };
        let mut end = skip_digits(start);
        let mut float = false;
        if bytes.get(end) == Some(&b'.') {
            end = skip_digits(end + 1);
            float = true;
        }
        if matches!(bytes.get(end), Some(b'e' | b'E')) {
            let mut exponent = end + 1;
            if matches!(bytes.get(exponent), Some(b'+' | b'-')) {
                exponent += 1;
            }
            if bytes.get(exponent).is_some_and(u8::is_ascii_digit) {
                end = skip_digits(exponent);
                float = true;
            }
        }
        self.pos = end;
        let text = self.src.get(start..end).unwrap_or("");
        let kind = if float {
            // Rust reads every form scanned above; a float too large becomes infinity, as
            // in Java.
            match text.parse::<f64>() {
                Ok(value) => TokenKind::Float(value),
                Err(_) => {
                    return Err(ExprError::new(
                        format!("invalid number literal '{text}'"),
                        start,
                    ));
                }
            }
        } else {
            match text.parse::<i64>() {
                Ok(value) => TokenKind::Integer(value),
                Err(_) => {
                    return Err(ExprError::new(
                        format!("integer literal '{text}' is out of range"),
                        start,
                    ));
                }
            }
        };
        Ok(self.token(kind, start))
    }

    /// Scans a string literal opened by `quote` at `start`; `\'`, `\"` and `\\` are the
    /// only escapes.
    fn string(&mut self, start: usize, quote: char) -> Result<Token, ExprError> {
        let body_start = start + quote.len_utf8();
        let body = self.src.get(body_start..).unwrap_or("");
        let mut value = String::new();
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            if c == quote {
                self.pos = body_start + i + c.len_utf8();
                return Ok(self.token(TokenKind::Str(value), start));
            }
            if c != '\\' {
                value.push(c);
                continue;
            }
            match chars.next() {
                Some((_, escaped @ ('\\' | '\'' | '"'))) => value.push(escaped),
                Some((_, other)) => {
                    return Err(ExprError::new(
                        format!(
                            "invalid escape sequence '\\{}' in string literal",
                            other.escape_debug()
                        ),
                        body_start + i,
                    ));
                }
                None => break,
            }
        }
        Err(ExprError::new("unterminated string literal", start))
    }

    /// Scans an identifier or keyword.
    fn word(&mut self, start: usize) -> Result<Token, ExprError> {
        let rest = self.rest();
        let len = rest
            .char_indices()
            .find(|&(_, c)| !is_ident_part(c))
            .map_or(rest.len(), |(i, _)| i);
        let word = rest.get(..len).unwrap_or("");
        self.pos = start + len;
        let kind = match word {
            "and" => TokenKind::AndAnd,
            "or" => TokenKind::OrOr,
            "not" => TokenKind::Bang,
            "eq" => TokenKind::EqEq,
            "ne" => TokenKind::NotEq,
            "lt" => TokenKind::Lt,
            "gt" => TokenKind::Gt,
            "le" => TokenKind::Le,
            "ge" => TokenKind::Ge,
            "div" => TokenKind::Slash,
            "mod" => TokenKind::Percent,
            "empty" => TokenKind::Empty,
            "true" => TokenKind::True,
            "false" => TokenKind::False,
            "null" => TokenKind::Null,
            "instanceof" => return Err(ExprError::new("instanceof is not supported", start)),
            _ => TokenKind::Ident(word.to_owned()),
        };
        Ok(self.token(kind, start))
    }
}
