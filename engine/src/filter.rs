//! Variable filters in SQL: "some variable `name` of the row's instance (or of
//! its execution) compares to `value`", as one SQL condition over the `variable`
//! table, for any query that has an instance-id or execution-id column.
//!
//! The comparison follows Camunda's query mapping (`variableValueConditions` in
//! its `Commons.xml`), over how Baton stores each type (`store/rows.rs`):
//!
//! - a number (Short, Integer, Long, Double) matches every numeric variable,
//!   compared as numbers (Camunda's REST layer makes a filter's number an
//!   abstract `number` value, which matches integers, longs, shorts and doubles);
//! - a String matches String variables, compared as text (byte order);
//! - a Boolean matches Boolean variables, a Date Date variables (by instant);
//! - Null matches a variable whose value is null, whatever its type (`eq`), or
//!   one whose value is not (`neq`); the other comparisons against null are `eq`,
//!   as in Camunda;
//! - `like` takes a String pattern and matches String variables: `%` any run of
//!   characters, `_` one character, `\` escapes the next one, case-sensitive
//!   (Camunda passes the pattern to SQL's `LIKE … ESCAPE '\'` as given);
//! - a number, Boolean or Date also matches a String variable whose text
//!   compares to the value written as text (`50`, `true`, a date as
//!   [`crate::date::format`] writes it): a query string cannot say a value's type,
//!   and Camunda reads every value of one as text, so a String variable `"50"`
//!   matches `x_eq_50` there and here alike;
//! - `neq` is "some variable of that name does not equal it", as in Camunda: a
//!   variable of another type counts, a missing variable does not.
//!
//! Objects, JSON, XML, bytes and files cannot be compared (Camunda refuses them
//! too). Without any variable of the name, no filter matches.
//!
//! For an instance column the condition is `column IN (SELECT instance_id FROM
//! variable WHERE name = ? AND …)`, which seeks the `variable_name_value` index
//! (migration 0010): the instances with such a variable are found once, whatever
//! the outer query walks, so a count over 100,000 tasks costs the matching
//! variables, not a probe per task. For an execution column it is a correlated
//! `EXISTS` on the table's key `(execution_id, name)`: one seek per row the rest
//! of the query admits. Values are compared as stored: the `value` columns keep
//! what was written (BLOB affinity since migration 0010), so a String is text.

use rusqlite::ToSql;

use crate::error::{Error, Result};
use crate::value::Value;

/// A comparison of a [`VariableFilter`], as Camunda names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VariableOp {
    /// `eq`: equal.
    Eq,
    /// `neq`: not equal.
    Neq,
    /// `gt`: greater than.
    Gt,
    /// `gteq`: greater than or equal.
    Gteq,
    /// `lt`: less than.
    Lt,
    /// `lteq`: less than or equal.
    Lteq,
    /// `like`: matches a pattern (`%` and `_` wildcards, `\` escapes).
    Like,
}

impl VariableOp {
    /// Every comparison, in the order Camunda documents them.
    pub const ALL: [VariableOp; 7] = [
        VariableOp::Eq,
        VariableOp::Neq,
        VariableOp::Gt,
        VariableOp::Gteq,
        VariableOp::Lt,
        VariableOp::Lteq,
        VariableOp::Like,
    ];

    /// Camunda's name of the comparison: `eq`, `neq`, `gt`, `gteq`, `lt`, `lteq`, `like`.
    pub fn name(self) -> &'static str {
        match self {
            VariableOp::Eq => "eq",
            VariableOp::Neq => "neq",
            VariableOp::Gt => "gt",
            VariableOp::Gteq => "gteq",
            VariableOp::Lt => "lt",
            VariableOp::Lteq => "lteq",
            VariableOp::Like => "like",
        }
    }

    /// The comparison Camunda names `name`, if any.
    pub fn from_name(name: &str) -> Option<VariableOp> {
        VariableOp::ALL.into_iter().find(|op| op.name() == name)
    }

    /// The SQL operator; `neq` is `=` under a `NOT`.
    fn sql(self) -> &'static str {
        match self {
            VariableOp::Eq | VariableOp::Neq => "=",
            VariableOp::Gt => ">",
            VariableOp::Gteq => ">=",
            VariableOp::Lt => "<",
            VariableOp::Lteq => "<=",
            VariableOp::Like => "GLOB",
        }
    }
}

/// A filter on variable values: the row has a variable `name` whose value
/// compares to `value` by `op` (see the [module](self) for how each type
/// compares).
#[derive(Debug, Clone, PartialEq)]
pub struct VariableFilter {
    /// The variable's name (exact).
    pub name: String,
    /// The comparison.
    pub op: VariableOp,
    /// What the variable's value is compared to.
    pub value: Value,
}

impl VariableFilter {
    /// A filter `name` `op` `value`.
    pub fn new(name: impl Into<String>, op: VariableOp, value: impl Into<Value>) -> Self {
        VariableFilter {
            name: name.into(),
            op,
            value: value.into(),
        }
    }

    /// Checks that the value can be compared with the operator: no objects, JSON,
    /// XML, bytes or files, and `like` only with a text pattern.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming the variable and the problem.
    pub fn check(&self) -> Result<()> {
        let refuse = |why: &str| {
            Err(Error::Invalid(format!(
                "Cannot filter by variable '{}': {why}",
                self.name
            )))
        };
        match &self.value {
            Value::Bytes(_) => refuse("variables of type Bytes cannot be used to query"),
            Value::File { .. } => refuse("variables of type File cannot be used to query"),
            Value::Object { .. } | Value::Json(_) | Value::Xml(_) => {
                refuse("object values cannot be used to query")
            }
            Value::String(_) | Value::Null => Ok(()),
            _ if self.op == VariableOp::Like => refuse("'like' compares text with a text pattern"),
            _ => Ok(()),
        }
    }
}

/// The SQL parameters of a condition, in order.
pub(crate) type Params = Vec<Box<dyn ToSql + Send>>;

/// `filter` as an SQL condition on the row whose process instance id is
/// `instance_column` (such as `process_instance.id` or `task.instance_id`): some
/// variable of that instance, in any scope, matches. Its parameters are numbered
/// from `first` (`?first`, `?first+1`, …) and returned in that order.
///
/// The condition names the `variable` table as `filter_var`; `instance_column`
/// must not.
///
/// # Errors
///
/// [`Error::Invalid`] for a value that cannot be compared ([`VariableFilter::check`]).
pub(crate) fn by_instance(
    filter: &VariableFilter,
    instance_column: &str,
    first: usize,
) -> Result<(String, Params)> {
    condition(filter, "instance_id", instance_column, first)
}

/// `filter` as an SQL condition on the row whose execution id is
/// `execution_column` (such as `task.execution_id`): a variable local to that
/// execution matches. Variables live in scope executions only (the instance, a
/// subprocess, a multi-instance execution, an activity with input mappings), so
/// this is the filter for "local" variables. Parameters as in [`by_instance`].
///
/// # Errors
///
/// [`Error::Invalid`] for a value that cannot be compared ([`VariableFilter::check`]).
pub(crate) fn by_execution(
    filter: &VariableFilter,
    execution_column: &str,
    first: usize,
) -> Result<(String, Params)> {
    condition(filter, "execution_id", execution_column, first)
}

/// The numeric types, compared with each other as numbers.
const NUMERIC: &str = "('Short', 'Integer', 'Long', 'Double')";

fn condition(
    filter: &VariableFilter,
    owner: &str,
    column: &str,
    first: usize,
) -> Result<(String, Params)> {
    filter.check()?;
    let mut params: Params = vec![Box::new(filter.name.clone())];
    let name = format!("filter_var.name = ?{first}");
    // The value's parameter, and the text's after it.
    let (p, t) = (format!("?{}", first + 1), format!("?{}", first + 2));
    let op = filter.op;
    let cmp = op.sql();
    // Each alternative names the variable, so that each can seek the
    // `variable_name_value` index on its own.
    let (alternatives, args): (Vec<String>, Params) = match &filter.value {
        Value::Null => (vec!["filter_var.value IS NULL".to_owned()], Vec::new()),
        Value::String(s) if op == VariableOp::Like => (
            vec![format!(
                "filter_var.type = 'String' AND filter_var.value GLOB {p}"
            )],
            vec![Box::new(like_to_glob(s))],
        ),
        Value::String(s) => (
            vec![format!(
                "filter_var.type = 'String' AND filter_var.value {cmp} {p}"
            )],
            vec![Box::new(s.clone())],
        ),
        typed => {
            let (types, param, as_text): (&str, Box<dyn ToSql + Send>, String) = match typed {
                Value::Boolean(b) => ("('Boolean')", Box::new(i64::from(*b)), b.to_string()),
                Value::Short(i) => (NUMERIC, Box::new(i64::from(*i)), i.to_string()),
                Value::Integer(i) => (NUMERIC, Box::new(i64::from(*i)), i.to_string()),
                Value::Long(i) => (NUMERIC, Box::new(*i), i.to_string()),
                Value::Double(d) => (
                    NUMERIC,
                    Box::new(*d),
                    serde_json::Number::from_f64(*d)
                        .map_or_else(|| d.to_string(), |n| n.to_string()),
                ),
                Value::Date(ms) => ("('Date')", Box::new(*ms), crate::date::format(*ms)),
                // `check` refused every other type.
                other => {
                    return Err(Error::Internal(format!(
                        "a {} value passed the variable filter check",
                        other.type_name()
                    )));
                }
            };
            (
                vec![
                    format!(
                        "filter_var.type IN {types} AND filter_var.value IS NOT NULL \
                         AND filter_var.value {cmp} {p}"
                    ),
                    format!("filter_var.type = 'String' AND filter_var.value {cmp} {t}"),
                ],
                vec![param, Box::new(as_text)],
            )
        }
    };
    params.extend(args);
    // `neq` is "some variable of the name is not equal": the name, and none of
    // the alternatives.
    let matches = if op == VariableOp::Neq {
        format!(
            "{name} AND NOT ({})",
            alternatives
                .iter()
                .map(|a| format!("({a})"))
                .collect::<Vec<_>>()
                .join(" OR ")
        )
    } else {
        alternatives
            .iter()
            .map(|a| format!("({name} AND {a})"))
            .collect::<Vec<_>>()
            .join(" OR ")
    };
    let sql = if owner == "instance_id" {
        // The instances that have such a variable, found through the index on names
        // and values: one seek per filter, whatever the outer query walks.
        format!(
            "{column} IN (SELECT filter_var.instance_id FROM variable filter_var WHERE {matches})"
        )
    } else {
        // An execution's variable, by the table's key: one probe per row.
        format!(
            "EXISTS (SELECT 1 FROM variable filter_var WHERE filter_var.{owner} = {column} \
             AND ({matches}))"
        )
    };
    Ok((sql, params))
}

/// Camunda's `LIKE` pattern (`%`, `_`, `\` escaping the next character) as an
/// SQLite `GLOB` pattern, which compares case-sensitively as Camunda's databases
/// do (SQLite's own `LIKE` ignores the case of ASCII letters).
pub(crate) fn like_to_glob(pattern: &str) -> String {
    let mut glob = String::with_capacity(pattern.len() + 4);
    let literal = |glob: &mut String, c: char| match c {
        '*' => glob.push_str("[*]"),
        '?' => glob.push_str("[?]"),
        '[' => glob.push_str("[[]"),
        c => glob.push(c),
    };
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' => glob.push('*'),
            '_' => glob.push('?'),
            '\\' => literal(&mut glob, chars.next().unwrap_or('\\')),
            c => literal(&mut glob, c),
        }
    }
    glob
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::rows::{SqlOf, info_of};

    /// An in-memory `variable` table as the migrations make it, with `vars` of
    /// instance `i1` (scope `i1`) and `others` of instance `i2` (scope `e2`).
    fn conn(vars: &[(&str, Value)], others: &[(&str, Value)]) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE variable (execution_id TEXT NOT NULL, name TEXT NOT NULL, \
             id TEXT NOT NULL, instance_id TEXT NOT NULL, type TEXT NOT NULL, value BLOB, \
             info TEXT, PRIMARY KEY (execution_id, name)) WITHOUT ROWID; \
             CREATE INDEX variable_instance ON variable (instance_id); \
             CREATE INDEX variable_name_value ON variable (name, value, type, instance_id); \
             CREATE TABLE row (id TEXT, execution TEXT);
             INSERT INTO row VALUES ('i1', 'i1'), ('i2', 'e2');",
        )
        .unwrap();
        for (instance, execution, list) in [("i1", "i1", vars), ("i2", "e2", others)] {
            for (name, value) in list {
                conn.execute(
                    "INSERT INTO variable VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6)",
                    rusqlite::params![
                        execution,
                        name,
                        instance,
                        value.type_name(),
                        SqlOf(value),
                        info_of(value)
                    ],
                )
                .unwrap();
            }
        }
        conn
    }

    /// The rows of `row` that `filter` admits, by instance and by execution
    /// (which must agree here: each instance has one scope).
    fn admitted(conn: &rusqlite::Connection, filter: &VariableFilter) -> Vec<String> {
        let mut answers = Vec::new();
        for by_exec in [false, true] {
            let (sql, params) = if by_exec {
                by_execution(filter, "row.execution", 2).unwrap()
            } else {
                by_instance(filter, "row.id", 2).unwrap()
            };
            let mut args: Vec<&dyn ToSql> = vec![&"unused"];
            args.extend(params.iter().map(|p| p.as_ref() as &dyn ToSql));
            let ids: Vec<String> = conn
                .prepare(&format!(
                    "SELECT id FROM row WHERE ?1 IS NOT NULL AND {sql} ORDER BY id"
                ))
                .unwrap()
                .query_map(args.as_slice(), |r| r.get(0))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            answers.push(ids);
        }
        assert_eq!(answers[0], answers[1], "{filter:?}");
        answers.remove(0)
    }

    fn f(name: &str, op: VariableOp, value: impl Into<Value>) -> VariableFilter {
        VariableFilter::new(name, op, value)
    }

    #[test]
    fn numbers_match_across_numeric_types() {
        let c = conn(
            &[("n", Value::Integer(50)), ("d", Value::Double(2.5))],
            &[("n", Value::Long(7)), ("d", Value::Short(3))],
        );
        assert_eq!(admitted(&c, &f("n", VariableOp::Eq, 50i64)), ["i1"]);
        assert_eq!(
            admitted(&c, &f("n", VariableOp::Eq, Value::Double(50.0))),
            ["i1"]
        );
        assert_eq!(admitted(&c, &f("n", VariableOp::Gt, 10)), ["i1"]);
        assert_eq!(admitted(&c, &f("n", VariableOp::Lteq, 7)), ["i2"]);
        assert_eq!(admitted(&c, &f("n", VariableOp::Gteq, 7)), ["i1", "i2"]);
        assert_eq!(
            admitted(&c, &f("d", VariableOp::Lt, Value::Double(2.75))),
            ["i1"]
        );
        assert_eq!(admitted(&c, &f("d", VariableOp::Gt, 2)), ["i1", "i2"]);
        assert_eq!(admitted(&c, &f("n", VariableOp::Neq, 50)), ["i2"]);
        assert!(admitted(&c, &f("missing", VariableOp::Neq, 1)).is_empty());
    }

    #[test]
    fn strings_compare_as_text_and_numbers_as_their_text() {
        let c = conn(
            &[("s", Value::from("gold")), ("code", Value::from("50"))],
            &[("s", Value::from("silver")), ("code", Value::Integer(50))],
        );
        assert_eq!(admitted(&c, &f("s", VariableOp::Eq, "gold")), ["i1"]);
        assert_eq!(admitted(&c, &f("s", VariableOp::Neq, "gold")), ["i2"]);
        assert_eq!(admitted(&c, &f("s", VariableOp::Gt, "h")), ["i2"]);
        assert_eq!(admitted(&c, &f("s", VariableOp::Lt, "h")), ["i1"]);
        // A number given as a number matches the String "50" by its text, and the
        // Integer 50; given as text, only the String.
        assert_eq!(admitted(&c, &f("code", VariableOp::Eq, 50)), ["i1", "i2"]);
        assert_eq!(admitted(&c, &f("code", VariableOp::Eq, "50")), ["i1"]);
        // Text order for the String: "50" < "7".
        assert_eq!(admitted(&c, &f("code", VariableOp::Lt, "7")), ["i1"]);
        assert!(admitted(&c, &f("s", VariableOp::Eq, 1)).is_empty());
    }

    #[test]
    fn booleans_dates_and_null() {
        let day = 1_767_225_600_000; // 2026-01-01
        let c = conn(
            &[
                ("ok", Value::Boolean(true)),
                ("due", Value::Date(day)),
                ("gone", Value::Null),
            ],
            &[
                ("ok", Value::Boolean(false)),
                ("due", Value::Date(day + 1)),
                ("gone", Value::from("here")),
            ],
        );
        assert_eq!(admitted(&c, &f("ok", VariableOp::Eq, true)), ["i1"]);
        assert_eq!(admitted(&c, &f("ok", VariableOp::Eq, false)), ["i2"]);
        assert_eq!(admitted(&c, &f("ok", VariableOp::Neq, true)), ["i2"]);
        assert!(
            admitted(&c, &f("ok", VariableOp::Eq, 1)).is_empty(),
            "not a number"
        );
        assert_eq!(
            admitted(&c, &f("due", VariableOp::Eq, Value::Date(day))),
            ["i1"]
        );
        assert_eq!(
            admitted(&c, &f("due", VariableOp::Gt, Value::Date(day))),
            ["i2"]
        );
        assert!(
            admitted(&c, &f("due", VariableOp::Eq, day)).is_empty(),
            "not a number"
        );
        assert_eq!(
            admitted(&c, &f("gone", VariableOp::Eq, Value::Null)),
            ["i1"]
        );
        assert_eq!(
            admitted(&c, &f("gone", VariableOp::Neq, Value::Null)),
            ["i2"]
        );
        assert_eq!(
            admitted(&c, &f("ok", VariableOp::Neq, Value::Null)),
            ["i1", "i2"]
        );
    }

    #[test]
    fn like_is_camundas_case_sensitive_pattern_on_strings() {
        let c = conn(
            &[("s", Value::from("Gold_1")), ("n", Value::Integer(10))],
            &[("s", Value::from("gold*1")), ("n", Value::from("10"))],
        );
        assert_eq!(admitted(&c, &f("s", VariableOp::Like, "G%")), ["i1"]);
        assert_eq!(
            admitted(&c, &f("s", VariableOp::Like, "%old%")),
            ["i1", "i2"]
        );
        assert_eq!(admitted(&c, &f("s", VariableOp::Like, "gold_1")), ["i2"]);
        assert_eq!(admitted(&c, &f("s", VariableOp::Like, "%\\_1")), ["i1"]);
        assert_eq!(admitted(&c, &f("s", VariableOp::Like, "gold*%")), ["i2"]);
        assert!(admitted(&c, &f("s", VariableOp::Like, "gold")).is_empty());
        assert_eq!(
            admitted(&c, &f("n", VariableOp::Like, "1%")),
            ["i2"],
            "Strings only"
        );
    }

    #[test]
    fn values_that_cannot_be_compared_are_refused() {
        for bad in [
            f("x", VariableOp::Eq, Value::Bytes(vec![1])),
            f("x", VariableOp::Eq, Value::Json("{}".into())),
            f("x", VariableOp::Like, 5),
        ] {
            let Err(err) = by_instance(&bad, "row.id", 1) else {
                panic!("{bad:?} was taken");
            };
            assert!(
                matches!(&err, Error::Invalid(m) if m.contains("'x'")),
                "{err:?}"
            );
        }
    }

    #[test]
    fn globs_escape_what_like_takes_literally() {
        assert_eq!(like_to_glob("a%b_c"), "a*b?c");
        assert_eq!(like_to_glob("*?["), "[*][?][[]");
        assert_eq!(like_to_glob("100\\%\\_\\\\"), "100%_\\");
        assert_eq!(like_to_glob("end\\"), "end\\");
    }

    #[test]
    fn an_execution_filter_probes_the_variable_key() {
        let c = conn(&[("n", Value::Integer(1))], &[]);
        let (sql, params) = by_execution(&f("n", VariableOp::Eq, 1), "row.execution", 1).unwrap();
        let args: Vec<&dyn ToSql> = params.iter().map(|p| p.as_ref() as &dyn ToSql).collect();
        let plan: Vec<String> = c
            .prepare(&format!(
                "EXPLAIN QUERY PLAN SELECT id FROM row WHERE {sql}"
            ))
            .unwrap()
            .query_map(args.as_slice(), |r| r.get(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(
            plan.iter()
                .any(|s| s.contains("USING PRIMARY KEY (execution_id=? AND name=?)")),
            "{plan:?}"
        );
    }
}
