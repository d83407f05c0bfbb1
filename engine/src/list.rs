//! List filters (`column IN (…)`) of any length.
//!
//! One placeholder per element fails beyond SQLite's limit on bound parameters
//! (32,766 in the bundled build). So a list longer than [`SHORT`] is bound once,
//! as a JSON array that SQLite's built-in `json_each` reads back:
//! `column IN (SELECT value FROM json_each(?N))`. SQLite runs that subquery once
//! per execution into a temporary index; with an index on the column it probes
//! that index once per element instead (`EXPLAIN QUERY PLAN` shows
//! `SEARCH … USING INDEX … (column=?)` either way).
//!
//! Short lists keep one placeholder per element, as common fetches and queries
//! name a few definitions or tenants: the `json_each` form costs a fixed 10 to
//! 15 µs more per execution (measured on the fetch SELECT, which takes 35 to
//! 45 µs for one task), and only about [`SHORT`] placeholders cost as much.

use std::fmt::Write;

use rusqlite::ToSql;
use rusqlite::types::{ToSqlOutput, Value as SqlValue};

/// The longest list bound one placeholder per element.
pub(crate) const SHORT: usize = 16;

/// `column IN (…)` over `values`, its parameters numbered from `first`, and those
/// parameters in order. An empty list admits no row.
pub(crate) fn in_list(
    column: &str,
    values: &[String],
    first: usize,
) -> (String, Vec<Box<dyn ToSql + Send>>) {
    if values.len() > SHORT {
        return (
            format!("{column} IN (SELECT value FROM json_each(?{first}))"),
            vec![Box::new(JsonList(values.to_vec()))],
        );
    }
    let mut sql = format!("{column} IN (");
    let mut params: Vec<Box<dyn ToSql + Send>> = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            sql.push(',');
        }
        // Writing to a String cannot fail.
        let _ = write!(sql, "?{}", first + i);
        params.push(Box::new(v.clone()));
    }
    sql.push(')');
    (sql, params)
}

/// Text values bound as one JSON array.
struct JsonList(Vec<String>);

impl ToSql for JsonList {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        let json = serde_json::to_string(&self.0)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        Ok(ToSqlOutput::Owned(SqlValue::Text(json)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> rusqlite::Connection {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (id TEXT PRIMARY KEY, k TEXT, v TEXT); CREATE INDEX t_k ON t (k);",
        )
        .unwrap();
        conn
    }

    /// The ids of `candidates` that `list` admits, with the list's parameters
    /// after one of another clause.
    fn matching(list: &[String], candidates: &[&str]) -> Vec<String> {
        let conn = conn();
        for c in candidates {
            conn.execute("INSERT INTO t (id) VALUES (?1)", [c]).unwrap();
        }
        let (clause, params) = in_list("id", list, 2);
        let sql = format!("SELECT id FROM t WHERE id <> ?1 AND {clause} ORDER BY id");
        let mut args: Vec<&dyn ToSql> = vec![&"none"];
        args.extend(params.iter().map(|p| p.as_ref() as &dyn ToSql));
        let mut stmt = conn.prepare(&sql).unwrap();
        stmt.query_map(args.as_slice(), |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    /// `list` padded with made-up values past [`SHORT`], so it is bound as JSON.
    fn long(list: &[&str]) -> Vec<String> {
        let mut all = strings(list);
        all.extend((0..=SHORT).map(|i| format!("padding-{i}")));
        all
    }

    #[test]
    fn short_and_long_lists_admit_the_same_rows() {
        let odd = [
            "quote\"d",
            "back\\slash",
            "new\nline",
            "ünïcödé 🦀",
            "123",
            "",
            "null",
            "[\"a\"]",
            "key:1:0191a2b3-c4d5",
        ];
        let mut sorted = strings(&odd);
        sorted.sort();
        assert_eq!(matching(&strings(&odd), &odd), sorted);
        assert_eq!(matching(&long(&odd), &odd), sorted);
        for list in [strings(&["a", "c", "a"]), long(&["a", "c", "a"])] {
            assert_eq!(matching(&list, &["a", "b", "c"]), ["a", "c"]);
        }
        assert!(
            matching(&[], &["a"]).is_empty(),
            "an empty list admits none"
        );
    }

    #[test]
    fn a_long_list_is_one_parameter() {
        let list: Vec<String> = (0..100_000).map(|i| format!("id-{i}")).collect();
        let (clause, params) = in_list("id", &list, 2);
        assert_eq!(clause, "id IN (SELECT value FROM json_each(?2))");
        assert_eq!(params.len(), 1);
        assert_eq!(
            matching(&list, &["id-99999", "id-0", "other"]),
            ["id-0", "id-99999"]
        );
        let (clause, params) = in_list("id", &list[..SHORT], 3);
        assert_eq!(params.len(), SHORT);
        assert!(clause.starts_with("id IN (?3,?4,"), "{clause}");
    }

    #[test]
    fn an_indexed_column_is_probed_through_its_index() {
        let conn = conn();
        for list in [strings(&["a"]), long(&[])] {
            for column in ["id", "k"] {
                let (clause, params) = in_list(column, &list, 1);
                let sql = format!("EXPLAIN QUERY PLAN SELECT v FROM t WHERE {clause}");
                let args: Vec<&dyn ToSql> =
                    params.iter().map(|p| p.as_ref() as &dyn ToSql).collect();
                let plan: Vec<String> = conn
                    .prepare(&sql)
                    .unwrap()
                    .query_map(args.as_slice(), |r| r.get(3))
                    .unwrap()
                    .collect::<rusqlite::Result<_>>()
                    .unwrap();
                assert!(
                    plan.iter().any(|step| step.starts_with("SEARCH t USING")
                        && step.contains(&format!("({column}=?)"))),
                    "{column}, {} values: {plan:?}",
                    list.len()
                );
            }
        }
    }
}
