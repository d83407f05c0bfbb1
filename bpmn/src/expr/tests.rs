//! Unit tests for the JUEL parser: canonical forms, spans, errors, and a never-panic stress
//! loop.

use super::{BinaryOp, Expr, ExprError, ExprKind, LogicalOp, Part, Span, Template, UnaryOp, parse};

/// Parses `source`, failing the test on an error.
fn template(source: &str) -> Template {
    match parse(source) {
        Ok(template) => template,
        Err(error) => panic!("{source:?} failed to parse: {error}"),
    }
}

/// Parses a source that must be exactly one expression.
fn single(source: &str) -> Expr {
    match template(source).as_single() {
        Some(expr) => expr.clone(),
        None => panic!("{source:?} is not a single expression"),
    }
}

/// The canonical display of a single-expression source.
fn canon(source: &str) -> String {
    single(source).to_string()
}

/// Parses a source that must fail.
fn error(source: &str) -> ExprError {
    match parse(source) {
        Ok(template) => panic!("{source:?} parsed unexpectedly as {template}"),
        Err(error) => error,
    }
}

#[test]
fn examples_have_canonical_forms() {
    let cases = [
        ("${amount > 1000}", "(amount > 1000)"),
        ("${not approved}", "(!approved)"),
        ("${!approved}", "(!approved)"),
        ("${tier == 'gold'}", "(tier == \"gold\")"),
        (
            "${a eq \"ok\" and b lt 100}",
            "((a == \"ok\") && (b < 100))",
        ),
        ("${empty list}", "(empty list)"),
        ("${not empty list}", "(!(empty list))"),
        (
            "${execution.getVariable(\"x\") != null}",
            "(execution.getVariable(\"x\") != null)",
        ),
        (
            "${x > 5 ? 'big' : 'small'}",
            "((x > 5) ? \"big\" : \"small\")",
        ),
        ("${order.items[0].price * 2}", "(order.items[0].price * 2)"),
        ("${customer['name']}", "customer[\"name\"]"),
        (
            "${a + b * c - d / e % f}",
            "((a + (b * c)) - ((d / e) % f))",
        ),
        (
            "${nrOfCompletedInstances >= 2}",
            "(nrOfCompletedInstances >= 2)",
        ),
        ("${-x}", "(-x)"),
        (
            "#{execution.processBusinessKey}",
            "execution.processBusinessKey",
        ),
        ("${'}'}", "\"}\""),
    ];
    for (source, expected) in cases {
        assert_eq!(canon(source), expected, "{source}");
    }
}

#[test]
fn templates_with_text() {
    let hello = template("Hello ${name}!");
    assert_eq!(hello.to_string(), "Hello ${name}!");
    assert!(hello.as_single().is_none());
    assert!(!hello.is_literal());
    assert_eq!(
        hello.parts,
        vec![
            Part::Text("Hello ".to_owned()),
            Part::Expr(Expr {
                kind: ExprKind::Ident("name".to_owned()),
                span: Span { start: 8, end: 12 },
            }),
            Part::Text("!".to_owned()),
        ]
    );

    let plain = template("no expression here");
    assert!(plain.is_literal());
    assert!(plain.as_single().is_none());
    assert_eq!(
        plain.parts,
        vec![Part::Text("no expression here".to_owned())]
    );
    assert_eq!(plain.to_string(), "no expression here");

    assert_eq!(template("${'}'}").to_string(), "${\"}\"}");
    assert_eq!(template("").parts, vec![]);
    assert!(template("").is_literal());
    assert!(template(" ${x}").as_single().is_none());
    assert_eq!(template("${a}${b}").parts.len(), 2);
    assert_eq!(template("#{a} and #{b}").to_string(), "${a} and ${b}");
    assert_eq!(template("a}b$c#d{e").to_string(), "a}b$c#d{e");
    assert_eq!(template("${x}}").to_string(), "${x}}");
    assert_eq!(template("$${x}").to_string(), "$${x}");
}

#[test]
fn escaped_delimiters_are_literal_text() {
    let escaped = template(r"cost: \${price} and \#{x}");
    assert!(escaped.is_literal());
    assert_eq!(
        escaped.parts,
        vec![Part::Text("cost: ${price} and #{x}".to_owned())]
    );
    assert_eq!(escaped.to_string(), r"cost: \${price} and \#{x}");
    // Other backslashes stay; a backslash before an escaping one is kept too.
    assert_eq!(
        template(r"a\b \\${x}").parts,
        vec![Part::Text(r"a\b \${x}".to_owned())]
    );
    assert_eq!(
        template(r"end\").parts,
        vec![Part::Text(r"end\".to_owned())]
    );
    let mixed = template(r"\${a} ${b}");
    assert_eq!(mixed.to_string(), r"\${a} ${b}");
    assert_eq!(mixed.parts.len(), 2);
}

#[test]
fn literals() {
    let cases = [
        ("${null}", ExprKind::Null),
        ("${true}", ExprKind::Bool(true)),
        ("${false}", ExprKind::Bool(false)),
        ("${42}", ExprKind::Integer(42)),
        ("${007}", ExprKind::Integer(7)),
        ("${9223372036854775807}", ExprKind::Integer(i64::MAX)),
        ("${1.5}", ExprKind::Float(1.5)),
        ("${1e3}", ExprKind::Float(1000.0)),
        ("${1E+3}", ExprKind::Float(1000.0)),
        ("${2.5e-1}", ExprKind::Float(0.25)),
        ("${.5}", ExprKind::Float(0.5)),
        ("${1.}", ExprKind::Float(1.0)),
        ("${1.e2}", ExprKind::Float(100.0)),
        ("${'single'}", ExprKind::String("single".to_owned())),
        ("${\"double\"}", ExprKind::String("double".to_owned())),
        (
            r#"${'it\'s \"x\" \\'}"#,
            ExprKind::String(r#"it's "x" \"#.to_owned()),
        ),
        (
            r#"${"say \"hi\""}"#,
            ExprKind::String(r#"say "hi""#.to_owned()),
        ),
        ("${'a\"b'}", ExprKind::String("a\"b".to_owned())),
        ("${''}", ExprKind::String(String::new())),
        ("${'ünï ${x}'}", ExprKind::String("ünï ${x}".to_owned())),
        ("${prüfung}", ExprKind::Ident("prüfung".to_owned())),
        ("${名前}", ExprKind::Ident("名前".to_owned())),
        ("${$x_1}", ExprKind::Ident("$x_1".to_owned())),
        ("${_}", ExprKind::Ident("_".to_owned())),
        ("${andy}", ExprKind::Ident("andy".to_owned())),
        ("${nullable}", ExprKind::Ident("nullable".to_owned())),
    ];
    for (source, kind) in cases {
        assert_eq!(single(source).kind, kind, "{source}");
    }
    assert_eq!(canon("${1e3}"), "1000.0");
    assert_eq!(canon("${'a\"b\\\\c'}"), r#""a\"b\\c""#);
    assert_eq!(canon("${ \t\n x \r\n }"), "x");
}

#[test]
fn keyword_and_symbol_operators_are_the_same() {
    let pairs = [
        ("a and b", "a && b"),
        ("a or b", "a || b"),
        ("not a", "!a"),
        ("a eq b", "a == b"),
        ("a ne b", "a != b"),
        ("a lt b", "a < b"),
        ("a gt b", "a > b"),
        ("a le b", "a <= b"),
        ("a ge b", "a >= b"),
        ("a div b", "a / b"),
        ("a mod b", "a % b"),
    ];
    for (keyword, symbol) in pairs {
        let k = canon(&format!("${{{keyword}}}"));
        let s = canon(&format!("${{{symbol}}}"));
        assert_eq!(k, s, "{keyword}");
    }
    assert_eq!(canon("${a mod b}"), "(a % b)");
    assert_eq!(canon("${a!=b}"), "(a != b)");
    assert_eq!(canon("${a<=b}"), "(a <= b)");
}

#[test]
fn precedence_and_associativity() {
    let cases = [
        ("a - b - c", "((a - b) - c)"),
        ("a / b / c", "((a / b) / c)"),
        ("a / b * c", "((a / b) * c)"),
        ("a + b * c", "(a + (b * c))"),
        ("(a + b) * c", "((a + b) * c)"),
        ("a || b && c", "(a || (b && c))"),
        ("a && b || c", "((a && b) || c)"),
        ("a or b or c", "(a || b || c)"),
        ("a && b && c || d", "((a && b && c) || d)"),
        ("(a || b) || c", "((a || b) || c)"),
        ("a == b < c", "(a == (b < c))"),
        ("a < b == c > d", "((a < b) == (c > d))"),
        ("a == b != c", "((a == b) != c)"),
        ("a + b < c * d", "((a + b) < (c * d))"),
        ("-a * b", "((-a) * b)"),
        ("- -a", "(-(-a))"),
        ("a - -b", "(a - (-b))"),
        ("!a && b", "((!a) && b)"),
        ("not a.b", "(!a.b)"),
        ("-a.b[0]", "(-a.b[0])"),
        ("empty a or b", "((empty a) || b)"),
        ("empty a.b.c", "(empty a.b.c)"),
        ("a ? b : c ? d : e", "(a ? b : (c ? d : e))"),
        ("a ? b ? c : d : e", "(a ? (b ? c : d) : e)"),
        ("a || b ? c + 1 : d", "((a || b) ? (c + 1) : d)"),
        ("((a))", "a"),
        ("a.b.c", "a.b.c"),
        ("a[b][c]", "a[b][c]"),
        ("a[b + 1].c", "a[(b + 1)].c"),
        ("'abc'.length()", "\"abc\".length()"),
        ("(1).x", "(1).x"),
        ("1 .x", "(1).x"),
    ];
    for (source, expected) in cases {
        assert_eq!(canon(&format!("${{{source}}}")), expected, "{source}");
    }
}

#[test]
fn calls() {
    assert_eq!(
        single("${fn:contains(a, b)}").kind,
        ExprKind::Call {
            target: None,
            name: "fn:contains".to_owned(),
            args: vec![
                Expr {
                    kind: ExprKind::Ident("a".to_owned()),
                    span: Span { start: 14, end: 15 },
                },
                Expr {
                    kind: ExprKind::Ident("b".to_owned()),
                    span: Span { start: 17, end: 18 },
                },
            ],
        }
    );
    assert_eq!(canon("${fn:contains(a, b)}"), "fn:contains(a, b)");
    assert_eq!(canon("${ns : f ( )}"), "ns:f()");
    assert_eq!(canon("${f()}"), "f()");
    assert_eq!(canon("${f(1, 'x', g(y))}"), "f(1, \"x\", g(y))");
    assert_eq!(canon("${a.b(x, 1).c}"), "a.b(x, 1).c");
    assert_eq!(canon("${a.b().c()}"), "a.b().c()");
    assert_eq!(canon("${f(a ? b : c)}"), "f((a ? b : c))");
    match single("${execution.getVariable('x')}").kind {
        ExprKind::Call { target, name, args } => {
            assert_eq!(name, "getVariable");
            assert_eq!(args.len(), 1);
            assert_eq!(
                target.map(|t| t.kind),
                Some(ExprKind::Ident("execution".to_owned()))
            );
        }
        other => panic!("not a call: {other:?}"),
    }
    // `b:c` without a following `(` is not a call: the conditional reads normally.
    assert_eq!(canon("${a ? b:c}"), "(a ? b : c)");
    // As in JUEL, `x:f(` is a namespaced call even inside a conditional...
    assert_eq!(
        error("${a ? x : f(1)}").message,
        "expected ':' in conditional expression, found '}'"
    );
    // ...so the canonical form parenthesises such a branch.
    assert_eq!(canon("${a ? (x) : f(1)}"), "(a ? (x) : f(1))");
    assert_eq!(canon("${a ? (x) : f(1).y}"), "(a ? (x) : f(1).y)");
    assert_eq!(canon("${a ? (x) : g.f(1)}"), "(a ? x : g.f(1))");
}

#[test]
fn spans() {
    let expr = single("${a + b * 2}");
    assert_eq!(expr.span, Span { start: 2, end: 11 });
    let ExprKind::Binary(BinaryOp::Add, left, right) = &expr.kind else {
        panic!("not an addition: {expr:?}");
    };
    assert_eq!(left.span, Span { start: 2, end: 3 });
    assert_eq!(right.span, Span { start: 6, end: 11 });

    let paren = single("${(a + b) * c}");
    assert_eq!(paren.span, Span { start: 2, end: 13 });
    let ExprKind::Binary(BinaryOp::Mul, left, _) = &paren.kind else {
        panic!("not a multiplication: {paren:?}");
    };
    assert_eq!(left.span, Span { start: 2, end: 9 });

    let source = "x ${not order.items['a'].price(1)} y";
    let expr = single_part(source);
    assert_eq!(expr.span, Span { start: 4, end: 33 });
    let ExprKind::Unary(UnaryOp::Not, operand) = &expr.kind else {
        panic!("not a negation: {expr:?}");
    };
    assert_eq!(
        source.get(operand.span.start..operand.span.end),
        Some("order.items['a'].price(1)")
    );
    assert_eq!(single("${ 'ünï' }").span, Span { start: 3, end: 10 });
}

/// The only expression part of a template.
fn single_part(source: &str) -> Expr {
    let template = template(source);
    let mut exprs = template.parts.iter().filter_map(|part| match part {
        Part::Expr(expr) => Some(expr.clone()),
        Part::Text(_) => None,
    });
    match (exprs.next(), exprs.next()) {
        (Some(expr), None) => expr,
        _ => panic!("{source:?} does not have exactly one expression"),
    }
}

#[test]
fn walk_visits_every_node_depth_first() {
    let template = template("${a.b(c, d[e]) + -f} and ${g ? h : i}");
    let mut seen = Vec::new();
    template.walk(&mut |expr| {
        seen.push(match &expr.kind {
            ExprKind::Ident(name) => name.clone(),
            ExprKind::Call { name, .. } => format!("call {name}"),
            ExprKind::Index(..) => "index".to_owned(),
            ExprKind::Binary(op, ..) => format!("binary {op}"),
            ExprKind::Unary(op, ..) => format!("unary {op}"),
            ExprKind::Conditional(..) => "conditional".to_owned(),
            other => format!("{other:?}"),
        });
    });
    assert_eq!(
        seen,
        [
            "binary +",
            "call b",
            "a",
            "c",
            "index",
            "d",
            "e",
            "unary -",
            "f",
            "conditional",
            "g",
            "h",
            "i"
        ]
    );
}

#[test]
fn errors_name_the_problem_and_position() {
    let cases: &[(&str, &str, usize)] = &[
        (
            "${a and",
            "expected an expression after 'and', found end of input",
            7,
        ),
        (
            "${a and }",
            "expected an expression after 'and', found '}'",
            8,
        ),
        (
            "${a && || b}",
            "expected an expression after '&&', found '||'",
            7,
        ),
        ("${not}", "expected an expression after 'not', found '}'", 5),
        ("${-}", "expected an expression after '-', found '}'", 3),
        ("${}", "expected an expression, found '}'", 2),
        ("${ ) }", "expected an expression, found ')'", 3),
        ("${'abc}", "unterminated string literal", 2),
        ("x ${\"abc\\\"}", "unterminated string literal", 4),
        ("${'abc\\", "unterminated string literal", 2),
        (
            "${'a\\nb'}",
            "invalid escape sequence '\\n' in string literal",
            4,
        ),
        ("${a @ b}", "unexpected character '@'", 4),
        ("${a # b}", "unexpected character '#'", 4),
        ("${a & b}", "unexpected character '&'", 4),
        ("${a | b}", "unexpected character '|'", 4),
        ("${a ~ b}", "unexpected character '~'", 4),
        ("${a \u{0} b}", "unexpected character '\\0'", 4),
        ("${a ♥ b}", "unexpected character '♥'", 4),
        ("x ${a + b", "unclosed '${': missing '}'", 2),
        ("x #{a", "unclosed '#{': missing '}'", 2),
        ("${", "unclosed '${': missing '}'", 0),
        ("ab${   ", "unclosed '${': missing '}'", 2),
        (
            "${99999999999999999999}",
            "integer literal '99999999999999999999' is out of range",
            2,
        ),
        (
            "${-9223372036854775808}",
            "integer literal '9223372036854775808' is out of range",
            3,
        ),
        ("${a instanceof B}", "instanceof is not supported", 4),
        ("${x = 1}", "assignment operator '=' is not supported", 4),
        ("${a; b}", "statement separator ';' is not supported", 3),
        (
            "${s += 'x'}",
            "string concatenation operator '+=' is not supported",
            4,
        ),
        (
            "${x -> x + 1}",
            "lambda expressions are not supported, found '->'",
            4,
        ),
        ("${(x, y) -> x}", "expected ')', found ','", 4),
        (
            "${{1, 2}}",
            "set and map literals are not supported, found '{'",
            2,
        ),
        (
            "${a b}",
            "expected an operator or '}', found identifier 'b'",
            4,
        ),
        ("${a 1}", "expected an operator or '}', found number '1'", 4),
        (
            "${1e}",
            "expected an operator or '}', found identifier 'e'",
            3,
        ),
        (
            "${a 'x'}",
            "expected an operator or '}', found string literal 'x'",
            4,
        ),
        ("${a)}", "expected an operator or '}', found ')'", 3),
        ("${(a}", "expected ')', found '}'", 4),
        ("${a[1}", "expected ']', found '}'", 5),
        ("${a[]}", "expected an expression after '[', found ']'", 4),
        (
            "${f(a b)}",
            "expected ',' or ')' in argument list, found identifier 'b'",
            6,
        ),
        ("${f(a,)}", "expected an expression after ',', found ')'", 6),
        ("${f(,a)}", "expected an expression after '(', found ','", 4),
        (
            "${a ? b}",
            "expected ':' in conditional expression, found '}'",
            7,
        ),
        (
            "${a ? : b}",
            "expected an expression after '?', found ':'",
            6,
        ),
        (
            "${a ? b :}",
            "expected an expression after ':', found '}'",
            9,
        ),
        ("${a.}", "expected a property name after '.', found '}'", 4),
        (
            "${a.and}",
            "expected a property name after '.', found 'and'",
            4,
        ),
        (
            "${a.1}",
            "expected an operator or '}', found number '.1'",
            3,
        ),
        (
            "${a..b}",
            "expected a property name after '.', found '.'",
            4,
        ),
        ("${(a)(b)}", "expected an operator or '}', found '('", 5),
        ("${a} #{b}", "cannot mix '${' and '#{' in one template", 5),
        ("#{a} ${b}", "cannot mix '#{' and '${' in one template", 5),
        ("${a} ${", "unclosed '${': missing '}'", 5),
        ("${[1, 2]}", "expected an expression, found '['", 2),
    ];
    for &(source, message, offset) in cases {
        let error = error(source);
        assert_eq!(
            (error.message.as_str(), error.offset),
            (message, offset),
            "{source}"
        );
    }
    let error = error("${a and}");
    assert_eq!(
        error.to_string(),
        "expected an expression after 'and', found '}' at offset 7"
    );
    let boxed: Box<dyn std::error::Error> = Box::new(error);
    assert!(boxed.to_string().starts_with("expected"));
}

#[test]
fn long_tokens_are_shortened_in_messages() {
    let name = "x".repeat(100);
    let ident_error = error(&format!("${{a {name}}}"));
    assert_eq!(
        ident_error.message,
        format!(
            "expected an operator or '}}', found identifier '{}...'",
            "x".repeat(40)
        )
    );
    let text = "y".repeat(100);
    let string_error = error(&format!("${{a '{text}'}}"));
    assert_eq!(
        string_error.message,
        format!(
            "expected an operator or '}}', found string literal '{}...'",
            "y".repeat(39)
        )
    );
}

/// `levels` copies of `open`, then `middle`, then `levels` copies of `close`, in `${...}`.
fn nested(open: &str, middle: &str, close: &str, levels: usize) -> String {
    format!(
        "${{{}{middle}{}}}",
        open.repeat(levels),
        close.repeat(levels)
    )
}

/// True when `source` fails with the nesting error.
fn too_deep(source: &str) -> bool {
    matches!(parse(source), Err(error) if error.message.contains("nested too deeply"))
}

#[test]
fn nesting_limit_is_64_levels() {
    // The outermost expression is level 1, each parenthesis one more.
    assert!(parse(&nested("(", "x", ")", 63)).is_ok());
    assert!(too_deep(&nested("(", "x", ")", 64)));
    assert!(parse(&nested("!", "x", "", 63)).is_ok());
    assert!(too_deep(&nested("!", "x", "", 64)));
    // Trees are limited in height too: a chain of 63 operators is the longest accepted.
    assert!(parse(&format!("${{{}a}}", "a + ".repeat(63))).is_ok());
    assert!(too_deep(&format!("${{{}a}}", "a + ".repeat(64))));
    assert!(parse(&format!("${{a{}}}", ".b".repeat(63))).is_ok());
    assert!(too_deep(&format!("${{a{}}}", ".b".repeat(64))));
}

/// A condition of many `||` or `&&` terms, as long real conditions are written, is one
/// flat chain: the nesting limit does not refuse it, and it stays one level high.
#[test]
fn long_logical_chains_are_flat() {
    for (op, logical) in [(" || ", LogicalOp::Or), (" && ", LogicalOp::And)] {
        let terms: Vec<String> = (0..500).map(|i| format!("x{i} == {i}")).collect();
        let source = format!("${{{}}}", terms.join(op));
        let expr = single(&source);
        let ExprKind::Logical(found, operands) = &expr.kind else {
            panic!("not a chain: {source}");
        };
        assert_eq!(*found, logical);
        assert_eq!(operands.len(), 500);
        assert!(
            operands
                .iter()
                .all(|o| matches!(o.kind, ExprKind::Binary(BinaryOp::Eq, ..))),
            "every operand is one comparison"
        );
        assert_eq!(operands[499].span.end, source.len() - 1);
        // The canonical form reads back to the same chain.
        assert_eq!(canon(&format!("${{{expr}}}")), expr.to_string());
    }
    // A hundred thousand terms are still one flat chain.
    assert!(parse(&nested("", "a", " || a", 100_000)).is_ok());
    assert!(parse(&nested("", "a", " and a", 100_000)).is_ok());
    // A chain inside a chain of the other operator is one level more, no more.
    let mixed = format!("${{{}}}", vec!["a && b"; 300].join(" || "));
    let ExprKind::Logical(LogicalOp::Or, operands) = &single(&mixed).kind else {
        panic!("not an || chain");
    };
    assert!(
        operands.iter().all(
            |o| matches!(&o.kind, ExprKind::Logical(LogicalOp::And, inner) if inner.len() == 2)
        )
    );
    // Deep nesting is still refused, chains or not: parentheses count, and so do
    // chains nested in parentheses.
    assert!(too_deep(&nested("(", "a || b", ")", 64)));
    assert!(too_deep(&nested("(a || ", "b", ")", 64)));
    assert!(parse(&nested("(a || ", "b", ")", 62)).is_ok());
}

#[test]
fn hugely_nested_input_is_an_error_not_a_stack_overflow() {
    const LEVELS: usize = 100_000;
    let sources = [
        nested("(", "x", ")", LEVELS),
        nested("(", "x", "", LEVELS),
        nested("!", "x", "", LEVELS),
        nested("-", "x", "", LEVELS),
        nested("not ", "x", "", LEVELS),
        nested("empty ", "x", "", LEVELS),
        nested("f(", "", ")", LEVELS),
        nested("a[", "0", "]", LEVELS),
        nested("a ? ", "b", " : c", LEVELS),
        nested("a ? b : ", "c", "", LEVELS),
        nested("", "a", " + a", LEVELS),
        nested("", "a", ".b", LEVELS),
        nested("", "a", "[0]", LEVELS),
        nested("", "a", ".b()", LEVELS),
        format!("${{{}x", "(".repeat(LEVELS)),
    ];
    for source in &sources {
        assert!(too_deep(source), "{}", source.get(..40).unwrap_or(source));
    }
}

/// A small deterministic xorshift64 generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A value in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items.get(self.below(items.len())).copied().unwrap_or("")
    }
}

const FRAGMENTS: &[&str] = &[
    "${",
    "#{",
    "}",
    "\\${",
    "\\",
    "'",
    "\"",
    "\\'",
    "(",
    ")",
    "[",
    "]",
    ".",
    ",",
    "?",
    ":",
    " ",
    "\t",
    "\n",
    " and ",
    " or ",
    "not ",
    "empty ",
    " eq ",
    " ne ",
    " lt ",
    " ge ",
    " div ",
    " mod ",
    "==",
    "!=",
    "<",
    ">",
    "<=",
    ">=",
    "&&",
    "||",
    "&",
    "|",
    "+",
    "-",
    "*",
    "/",
    "%",
    "!",
    "a",
    "foo",
    "x1",
    "$v",
    "_",
    "ns:f(",
    "fn:contains(",
    "f(",
    "g()",
    ".b",
    ".m(",
    "[0]",
    "['k']",
    "0",
    "1",
    "42",
    "1.5",
    ".5",
    "1e3",
    "1e",
    "2E-7",
    "1.",
    "99999999999999999999",
    "9223372036854775807",
    "true",
    "false",
    "null",
    "instanceof",
    "=",
    ";",
    "+=",
    "->",
    "{",
    "é",
    "名",
    "♥",
    "@",
    "#",
    "$",
    "'}'",
    "\"}\"",
    "'a\\'b'",
    "'\\n'",
    "\u{0}",
    "\u{feff}",
    "Hello ",
];

const SEEDS: &[&str] = &[
    "${amount > 1000}",
    "${not approved}",
    "${a eq \"ok\" and b lt 100}",
    "${not empty list}",
    "${execution.getVariable(\"x\") != null}",
    "${x > 5 ? 'big' : 'small'}",
    "${order.items[0].price * 2}",
    "${customer['name']}",
    "${a + b * c - d / e % f}",
    "#{execution.processBusinessKey}",
    "Hello ${name}!",
    "${'}'}",
    "${fn:contains(a, b) || f(1.5e3, -2, .5)}",
    "a \\${b} ${c ? d : e(f)}",
];

/// A random character: mostly ASCII, sometimes multi-byte.
fn random_char(rng: &mut Rng) -> char {
    match rng.below(10) {
        0 => char::from_u32(0x80 + u32::try_from(rng.below(0x3000)).unwrap_or(0)).unwrap_or('?'),
        _ => char::from(u8::try_from(rng.below(128)).unwrap_or(b'?')),
    }
}

/// A random char boundary of `s`.
fn boundary(rng: &mut Rng, s: &str) -> usize {
    let boundaries: Vec<usize> = s
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()))
        .collect();
    boundaries
        .get(rng.below(boundaries.len()))
        .copied()
        .unwrap_or(0)
}

/// Builds one random input.
fn random_input(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => {
            let mut s = String::from(if rng.below(2) == 0 { "${" } else { "" });
            for _ in 0..rng.below(25) {
                s.push_str(rng.pick(FRAGMENTS));
            }
            if rng.below(3) != 0 {
                s.push('}');
            }
            s
        }
        1 | 2 => {
            let mut s = rng.pick(SEEDS).to_owned();
            for _ in 0..=rng.below(5) {
                let at = boundary(rng, &s);
                match rng.below(4) {
                    0 => s.insert_str(at, rng.pick(FRAGMENTS)),
                    1 => s.insert(at, random_char(rng)),
                    2 => {
                        let to = boundary(rng, &s);
                        let (from, to) = (at.min(to), at.max(to));
                        s.replace_range(from..to, "");
                    }
                    _ => {
                        let to = boundary(rng, &s);
                        let (from, to) = (at.min(to), at.max(to));
                        let copy = s.get(from..to).unwrap_or("").to_owned();
                        s.insert_str(to, &copy);
                    }
                }
            }
            s
        }
        _ => {
            let bytes: Vec<u8> = (0..rng.below(40))
                .map(|_| u8::try_from(rng.below(256)).unwrap_or(0))
                .collect();
            let mut s = String::from("${");
            s.push_str(&String::from_utf8_lossy(&bytes));
            s
        }
    }
}

/// Checks the invariants of one parse: spans and offsets in bounds and on character
/// boundaries, well-formed messages, and canonical output that parses back to itself.
fn check(source: &str) -> bool {
    match parse(source) {
        Ok(template) => {
            template.walk(&mut |expr| {
                assert!(expr.span.start <= expr.span.end, "{source:?}");
                assert!(
                    source.get(expr.span.start..expr.span.end).is_some(),
                    "{source:?}: span {:?}",
                    expr.span
                );
            });
            let shown = template.to_string();
            match parse(&shown) {
                Ok(again) => assert_eq!(again.to_string(), shown, "{source:?}"),
                Err(error) => assert!(
                    error.message.contains("nested too deeply"),
                    "{source:?} displayed as {shown:?}: {error}"
                ),
            }
            true
        }
        Err(error) => {
            assert!(error.offset <= source.len(), "{source:?}: {error}");
            assert!(source.is_char_boundary(error.offset), "{source:?}: {error}");
            assert!(
                error.message.starts_with(|c: char| c.is_ascii_lowercase()),
                "{source:?}: {error}"
            );
            assert!(!error.message.ends_with('.'), "{source:?}: {error}");
            false
        }
    }
}

#[test]
fn random_inputs_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut parsed = 0;
    for _ in 0..20_000 {
        let source = random_input(&mut rng);
        if check(&source) {
            parsed += 1;
        }
    }
    // The generator must exercise both outcomes.
    assert!(parsed > 1_000, "only {parsed} inputs parsed");
    assert!(parsed < 19_000, "{parsed} inputs parsed");
}
