//! Expressions as the interpreter evaluates them: in the scope of one execution,
//! with the run's clock.

use baton_bpmn::model::ParameterValue;

use super::{Run, StepResult};
use crate::expr::{self, EvalError, Scope};
use crate::runtime::state::Instance;
use crate::value::Value;

impl Run<'_> {
    pub(super) fn scope<'s>(&'s self, exec: &'s str) -> ExecScope<'s> {
        ExecScope {
            inst: self.inst,
            exec,
            now: self.now,
        }
    }

    pub(super) fn eval(&self, exec: &str, source: &str) -> StepResult<Value> {
        let t = self.inst.graph.template(source)?;
        expr::eval_template(&t, &self.scope(exec)).map_err(|e: EvalError| e.0)
    }

    pub(super) fn eval_string(&self, exec: &str, source: &str) -> StepResult<String> {
        Ok(self.eval(exec, source)?.to_string())
    }

    pub(super) fn eval_integer(&self, exec: &str, source: &str, what: &str) -> StepResult<i64> {
        match self.eval(exec, source)? {
            Value::Short(i) => Ok(i64::from(i)),
            Value::Integer(i) => Ok(i64::from(i)),
            Value::Long(i) => Ok(i),
            Value::Double(d) if d.fract() == 0.0 && d.abs() < 9.0e15 => Ok(d as i64),
            Value::String(s) => s
                .trim()
                .parse()
                .map_err(|_| format!("{what} '{s}' is not an integer")),
            other => Err(format!("{what} '{other}' is not an integer")),
        }
    }

    pub(super) fn param_value(&self, exec: &str, value: &ParameterValue) -> StepResult<Value> {
        Ok(match value {
            ParameterValue::Null => Value::Null,
            ParameterValue::Text(e) => self.eval(exec, e.as_str())?,
            ParameterValue::List(items) => {
                let mut out = Vec::new();
                for item in items {
                    out.push(to_structured(&self.param_value(exec, item)?));
                }
                Value::Json(serde_json::Value::Array(out).to_string())
            }
            ParameterValue::Map(entries) => {
                let mut out = serde_json::Map::new();
                for (key, item) in entries {
                    out.insert(key.clone(), to_structured(&self.param_value(exec, item)?));
                }
                Value::Json(serde_json::Value::Object(out).to_string())
            }
        })
    }
}

fn to_structured(v: &Value) -> serde_json::Value {
    v.as_structured().unwrap_or_else(|| match v {
        Value::Date(_) | Value::Bytes(_) => serde_json::Value::String(v.to_json().to_string()),
        other => other.to_json(),
    })
}

/// What an expression sees from the root of `inst` (used for `camunda:out` mappings).
pub(crate) fn interp_scope(inst: &Instance, now: i64) -> ExecScope<'_> {
    ExecScope {
        inst,
        exec: &inst.id,
        now,
    }
}

/// What an expression sees from one execution.
pub(crate) struct ExecScope<'a> {
    pub(crate) inst: &'a Instance,
    pub(crate) exec: &'a str,
    pub(crate) now: i64,
}

impl Scope for ExecScope<'_> {
    fn variable(&self, name: &str) -> Option<Value> {
        self.inst.variable(self.exec, name).cloned()
    }

    fn local_variable(&self, name: &str) -> Option<Value> {
        self.inst.local_variable(self.exec, name).cloned()
    }

    fn business_key(&self) -> Option<String> {
        self.inst.business_key.clone()
    }

    fn now(&self) -> i64 {
        self.now
    }
}
