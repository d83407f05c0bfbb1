//! Row mapping: values into columns and rows into API records.

use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::{Row, ToSql};

use crate::types::{
    ExternalTask, HistoricActivityInstance, HistoricProcessInstance, Incident, ProcessDefinition,
};
use crate::value::Value;

/// A [`Value`] as its `value` column.
pub(crate) struct SqlOf<'a>(pub &'a Value);

impl ToSql for SqlOf<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Value::Null => ToSqlOutput::Owned(SqlValue::Null),
            Value::String(s) | Value::Json(s) | Value::Xml(s) => {
                ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes()))
            }
            Value::Object { value, .. } => ToSqlOutput::Borrowed(ValueRef::Text(value.as_bytes())),
            Value::Boolean(b) => ToSqlOutput::Owned(SqlValue::Integer(i64::from(*b))),
            Value::Short(i) => ToSqlOutput::Owned(SqlValue::Integer(i64::from(*i))),
            Value::Integer(i) => ToSqlOutput::Owned(SqlValue::Integer(i64::from(*i))),
            Value::Long(i) | Value::Date(i) => ToSqlOutput::Owned(SqlValue::Integer(*i)),
            Value::Double(d) => ToSqlOutput::Owned(SqlValue::Real(*d)),
            Value::Bytes(b) | Value::File { bytes: b, .. } => {
                ToSqlOutput::Borrowed(ValueRef::Blob(b))
            }
        })
    }
}

/// A [`Value`] as an owned SQL value, for dynamically built queries.
pub(crate) fn owned_sql(value: &Value) -> SqlValue {
    match value {
        Value::Null => SqlValue::Null,
        Value::String(s) | Value::Json(s) | Value::Xml(s) => SqlValue::Text(s.clone()),
        Value::Object { value, .. } => SqlValue::Text(value.clone()),
        Value::Boolean(b) => SqlValue::Integer(i64::from(*b)),
        Value::Short(i) => SqlValue::Integer(i64::from(*i)),
        Value::Integer(i) => SqlValue::Integer(i64::from(*i)),
        Value::Long(i) | Value::Date(i) => SqlValue::Integer(*i),
        Value::Double(d) => SqlValue::Real(*d),
        Value::Bytes(b) | Value::File { bytes: b, .. } => SqlValue::Blob(b.clone()),
    }
}

/// The `info` column of a value: its valueInfo, for Objects and Files only.
pub(crate) fn info_of(value: &Value) -> Option<String> {
    matches!(value, Value::Object { .. } | Value::File { .. })
        .then(|| value.value_info().to_string())
}

/// Reads a value from its `type`, `value` and `info` columns.
pub(crate) fn value_from(type_name: &str, raw: ValueRef<'_>, info: Option<&str>) -> Value {
    let text = || match raw {
        ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Null => String::new(),
    };
    let int = || match raw {
        ValueRef::Integer(i) => i,
        ValueRef::Real(f) => f as i64,
        _ => 0,
    };
    if matches!(raw, ValueRef::Null) && type_name != "Object" && type_name != "File" {
        return Value::Null;
    }
    let info = || -> serde_json::Value {
        info.and_then(|i| serde_json::from_str(i).ok())
            .unwrap_or_default()
    };
    match type_name {
        "String" => Value::String(text()),
        "Boolean" => Value::Boolean(int() != 0),
        "Short" => Value::Short(i16::try_from(int()).unwrap_or_default()),
        "Integer" => Value::Integer(i32::try_from(int()).unwrap_or_default()),
        "Long" => Value::Long(int()),
        "Date" => Value::Date(int()),
        "Double" => Value::Double(match raw {
            ValueRef::Real(f) => f,
            ValueRef::Integer(i) => i as f64,
            _ => f64::NAN,
        }),
        "Json" => Value::Json(text()),
        "Xml" => Value::Xml(text()),
        "Bytes" => Value::Bytes(match raw {
            ValueRef::Blob(b) | ValueRef::Text(b) => b.to_vec(),
            _ => Vec::new(),
        }),
        "File" => {
            let info = info();
            let field = |k: &str| info.get(k).and_then(|v| v.as_str()).map(str::to_owned);
            Value::File {
                bytes: match raw {
                    ValueRef::Blob(b) | ValueRef::Text(b) => b.to_vec(),
                    _ => Vec::new(),
                },
                filename: field("filename").unwrap_or_default(),
                mime_type: field("mimeType"),
                encoding: field("encoding"),
            }
        }
        "Object" => {
            let info = info();
            let field = |k: &str| info.get(k).and_then(|v| v.as_str()).map(str::to_owned);
            Value::Object {
                value: text(),
                object_type_name: field("objectTypeName"),
                serialization_format: field("serializationDataFormat"),
            }
        }
        _ => Value::Null,
    }
}

/// The columns [`task_from`] reads, in order.
pub(crate) const TASK_COLUMNS: &str = "id, topic, worker_id, lock_expiration, retries, error_message, \
     priority, instance_id, execution_id, activity_id, activity_instance_id, definition_id, \
     definition_key, version_tag, business_key, tenant_id, suspended, create_time, error_details";

pub(crate) fn task_from(r: &Row<'_>) -> rusqlite::Result<ExternalTask> {
    Ok(ExternalTask {
        id: r.get(0)?,
        topic: r.get(1)?,
        worker_id: r.get(2)?,
        lock_expiration_time: r.get(3)?,
        retries: r.get(4)?,
        error_message: r.get(5)?,
        priority: r.get(6)?,
        process_instance_id: r.get(7)?,
        execution_id: r.get(8)?,
        activity_id: r.get(9)?,
        activity_instance_id: r.get(10)?,
        process_definition_id: r.get(11)?,
        process_definition_key: r.get(12)?,
        process_definition_version_tag: r.get(13)?,
        business_key: r.get(14)?,
        tenant_id: r.get(15)?,
        suspended: r.get(16)?,
        create_time: r.get(17)?,
    })
}

/// The columns [`definition_from`] reads, in order.
pub(crate) const DEFINITION_COLUMNS: &str = "id, key, version, name, deployment_id, resource_name, \
     version_tag, tenant_id, suspended, startable, history_ttl, category";

pub(crate) fn definition_from(r: &Row<'_>) -> rusqlite::Result<ProcessDefinition> {
    Ok(ProcessDefinition {
        id: r.get(0)?,
        key: r.get(1)?,
        version: r.get(2)?,
        name: r.get(3)?,
        deployment_id: r.get(4)?,
        resource_name: r.get(5)?,
        version_tag: r.get(6)?,
        tenant_id: r.get(7)?,
        suspended: r.get(8)?,
        startable_in_tasklist: r.get(9)?,
        history_time_to_live: r.get(10)?,
        category: r.get(11)?,
    })
}

/// The columns [`incident_from`] reads, in order.
pub(crate) const INCIDENT_COLUMNS: &str = "id, type, message, create_time, instance_id, execution_id, \
     activity_id, definition_id, configuration, tenant_id";

pub(crate) fn incident_from(r: &Row<'_>) -> rusqlite::Result<Incident> {
    Ok(Incident {
        id: r.get(0)?,
        incident_type: r.get(1)?,
        message: r.get(2)?,
        timestamp: r.get(3)?,
        process_instance_id: r.get(4)?,
        execution_id: r.get(5)?,
        activity_id: r.get(6)?,
        process_definition_id: r.get(7)?,
        configuration: r.get(8)?,
        tenant_id: r.get(9)?,
    })
}

/// The columns [`historic_instance_from`] reads, in order.
pub(crate) const HI_INSTANCE_COLUMNS: &str = "id, business_key, definition_id, definition_key, \
     definition_version, definition_name, start_time, end_time, start_activity_id, end_activity_id, \
     super_instance_id, root_instance_id, tenant_id, state, delete_reason";

pub(crate) fn historic_instance_from(r: &Row<'_>) -> rusqlite::Result<HistoricProcessInstance> {
    Ok(HistoricProcessInstance {
        id: r.get(0)?,
        business_key: r.get(1)?,
        process_definition_id: r.get(2)?,
        process_definition_key: r.get(3)?,
        process_definition_version: r.get(4)?,
        process_definition_name: r.get(5)?,
        start_time: r.get(6)?,
        end_time: r.get(7)?,
        start_activity_id: r.get(8)?,
        end_activity_id: r.get(9)?,
        super_process_instance_id: r.get(10)?,
        root_process_instance_id: r.get(11)?,
        tenant_id: r.get(12)?,
        state: r.get(13)?,
        delete_reason: r.get(14)?,
    })
}

/// The columns [`historic_activity_from`] reads, in order.
pub(crate) const HI_ACTIVITY_COLUMNS: &str = "id, parent_id, activity_id, activity_name, activity_type, \
     instance_id, execution_id, definition_id, definition_key, task_id, called_instance_id, start_time, \
     end_time, canceled, complete_scope, tenant_id, \
     (SELECT p.root_instance_id FROM hi_process_instance p WHERE p.id = hi_activity_instance.instance_id)";

pub(crate) fn historic_activity_from(r: &Row<'_>) -> rusqlite::Result<HistoricActivityInstance> {
    Ok(HistoricActivityInstance {
        id: r.get(0)?,
        parent_activity_instance_id: r.get(1)?,
        activity_id: r.get(2)?,
        activity_name: r.get(3)?,
        activity_type: r.get(4)?,
        process_instance_id: r.get(5)?,
        execution_id: r.get(6)?,
        process_definition_id: r.get(7)?,
        process_definition_key: r.get(8)?,
        task_id: r.get(9)?,
        called_process_instance_id: r.get(10)?,
        start_time: r.get(11)?,
        end_time: r.get(12)?,
        canceled: r.get(13)?,
        complete_scope: r.get(14)?,
        tenant_id: r.get(15)?,
        root_process_instance_id: r.get(16)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    #[test]
    fn every_type_round_trips_through_a_column() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (type TEXT, value ANY, info TEXT)")
            .unwrap();
        let values = [
            Value::Null,
            Value::String("s".into()),
            Value::Boolean(true),
            Value::Short(-3),
            Value::Integer(7),
            Value::Long(1 << 40),
            Value::Double(1.5),
            Value::Date(1_795_168_800_000),
            Value::Json("{\"a\":1}".into()),
            Value::Xml("<a/>".into()),
            Value::Bytes(vec![0, 1, 255]),
            Value::File {
                bytes: b"invoice".to_vec(),
                filename: "invoice.txt".into(),
                mime_type: Some("text/plain".into()),
                encoding: None,
            },
            Value::File {
                bytes: Vec::new(),
                filename: "empty.bin".into(),
                mime_type: None,
                encoding: None,
            },
            Value::Object {
                value: "[1]".into(),
                object_type_name: Some("java.util.ArrayList".into()),
                serialization_format: Some("application/json".into()),
            },
        ];
        for v in &values {
            conn.execute(
                "INSERT INTO t VALUES (?1, ?2, ?3)",
                rusqlite::params![v.type_name(), SqlOf(v), info_of(v)],
            )
            .unwrap();
        }
        let mut stmt = conn.prepare("SELECT type, value, info FROM t").unwrap();
        let back: Vec<Value> = stmt
            .query_map([], |r| {
                let t: String = r.get(0)?;
                let info: Option<String> = r.get(2)?;
                Ok(value_from(&t, r.get_ref(1)?, info.as_deref()))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(back, values);
    }
}
