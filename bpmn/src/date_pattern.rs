//! Date patterns of generated forms: the `datePattern` of a `camunda:formField`
//! of type `date`, which Camunda hands to Java's `SimpleDateFormat`.
//!
//! This module is the pattern grammar only: [`compile`] splits a pattern into
//! literal text and fields, as `SimpleDateFormat` does (letters are fields, text
//! in single quotes and every other character literal, `''` a quote), and refuses
//! what `SimpleDateFormat` refuses (an illegal letter, an unterminated quote) and
//! the legal letters Baton does not read (time zones, week numbers, eras). The
//! builder checks each pattern with it before deployment, and the engine parses
//! and formats form values with the same parts, so the two cannot disagree.

/// One piece of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Text matched and written as it is.
    Literal(String),
    /// A date or time field: its pattern letter, repeated `count` times.
    Field {
        /// The letter: one of [`SUPPORTED`].
        letter: char,
        /// How many times it is repeated (`yyyy` is 4).
        count: usize,
    },
}

/// The pattern letters Baton reads and writes: year `y`, month `M` (a number, or a
/// name from `MMM`), day `d`, hours `H` (0-23), `k` (1-24), `K` (0-11) and `h`
/// (1-12) with `a` (AM/PM), minutes `m`, seconds `s`, milliseconds `S`, and the
/// day of the week `E` (a name, written, and skipped when read).
pub const SUPPORTED: &str = "yMdHkKhmsSaE";

/// The letters `SimpleDateFormat` knows; any other letter is illegal in a pattern.
const LEGAL: &str = "GyYMLwWDdFEuaHkKhmsSzZX";

/// Splits `pattern` into its parts.
///
/// # Errors
///
/// A message saying what is wrong: `SimpleDateFormat`'s own (`Illegal pattern
/// character 'x'`, `Unterminated quote`), or that Baton does not read a legal
/// letter.
pub fn compile(pattern: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            // `''` is a quote, inside quoted text or outside it.
            if chars.peek() == Some(&'\'') {
                chars.next();
                literal.push('\'');
                continue;
            }
            loop {
                match chars.next() {
                    None => return Err("Unterminated quote".to_owned()),
                    Some('\'') if chars.peek() == Some(&'\'') => {
                        chars.next();
                        literal.push('\'');
                    }
                    Some('\'') => break,
                    Some(other) => literal.push(other),
                }
            }
        } else if c.is_ascii_alphabetic() {
            if !LEGAL.contains(c) {
                return Err(format!("Illegal pattern character '{c}'"));
            }
            if !SUPPORTED.contains(c) {
                return Err(format!(
                    "the pattern letter '{c}' ({}) is one Baton does not read; \
                     use only the letters {SUPPORTED}",
                    letter_name(c)
                ));
            }
            let mut count = 1;
            while chars.peek() == Some(&c) {
                chars.next();
                count += 1;
            }
            if !literal.is_empty() {
                parts.push(Part::Literal(std::mem::take(&mut literal)));
            }
            parts.push(Part::Field { letter: c, count });
        } else {
            literal.push(c);
        }
    }
    if !literal.is_empty() {
        parts.push(Part::Literal(literal));
    }
    Ok(parts)
}

/// What a legal letter Baton does not read stands for, for messages.
fn letter_name(c: char) -> &'static str {
    match c {
        'G' => "era",
        'Y' => "week year",
        'L' => "stand-alone month",
        'w' => "week in year",
        'W' => "week in month",
        'D' => "day in year",
        'F' => "day of week in month",
        'u' => "day number of week",
        'z' | 'Z' | 'X' => "time zone",
        _ => "a date field",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(letter: char, count: usize) -> Part {
        Part::Field { letter, count }
    }

    #[test]
    fn letters_are_fields_and_the_rest_literal() {
        assert_eq!(
            compile("dd/MM/yyyy").unwrap(),
            vec![
                field('d', 2),
                Part::Literal("/".into()),
                field('M', 2),
                Part::Literal("/".into()),
                field('y', 4),
            ]
        );
        assert_eq!(
            compile("yyyy-MM-dd'T'HH:mm").unwrap()[5..],
            [
                Part::Literal("T".into()),
                field('H', 2),
                Part::Literal(":".into()),
                field('m', 2),
            ]
        );
    }

    #[test]
    fn quotes_quote_and_two_quotes_are_one() {
        assert_eq!(
            compile("h 'o''clock' a").unwrap(),
            vec![
                field('h', 1),
                Part::Literal(" o'clock ".into()),
                field('a', 1),
            ]
        );
        assert_eq!(compile("''").unwrap(), vec![Part::Literal("'".into())]);
    }

    #[test]
    fn what_simple_date_format_refuses_is_refused_and_so_are_unread_letters() {
        assert_eq!(compile("dd/MM/yyyy 'at").unwrap_err(), "Unterminated quote");
        assert_eq!(
            compile("dd/bb/yyyy").unwrap_err(),
            "Illegal pattern character 'b'"
        );
        let err = compile("yyyy-MM-dd Z").unwrap_err();
        assert!(err.contains("'Z' (time zone)"), "{err}");
    }
}
