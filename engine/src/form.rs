//! Forms: the rules of generated forms (`camunda:formData`, and the legacy
//! `camunda:formProperty`), the form data Camunda's REST API answers for a start
//! event or a user task, and the records of Camunda Forms (`.form` files).
//!
//! This module is pure: it reads the model's fields, and sees the scope a form is
//! shown for or submitted in only through a [`FormScope`] the caller supplies
//! (its variables, the evaluation of expressions, the clock). The engine calls
//! that live in [`crate::Engine`] (`start_form`, `submit_start_form`,
//! `deployed_form`, ...) use it for start forms; task forms call the same
//! functions with the task's scope:
//!
//! - [`submit`]: a submission's variables, checked and converted, or the error;
//! - [`form_variables`]: the fields' typed values for `GET …/form-variables`;
//! - [`task_form`] and [`start_form_info`]: the key or Camunda Form reference
//!   `GET …/form` and `…/startForm` answer, which [`crate::Engine::deployed_form`]
//!   turns into the deployed form's bytes.
//!
//! Each rule is Camunda 7's (`FormFieldHandler`, `FormPropertyHandler`, the
//! `FormTypes` and the validators of `org.camunda.bpm.engine.impl.form`), and
//! every message is Camunda's, without the prefix its REST layer adds (`Cannot
//! submit task form {id}: `, `Cannot instantiate process definition {id}: `),
//! which [`FormError::for_task`] and [`FormError::for_start`] add.

use baton_bpmn::date_pattern::{self, Part};
use baton_bpmn::model::{FormField, UserTask};

use crate::date;
use crate::error::Error;
use crate::types::Variables;
use crate::value::Value;

/// What a form's rules see of the scope it is shown for or submitted in: a
/// task's execution, or the new process instance of a start form.
pub trait FormScope {
    /// The variable `name` as the scope sees it (its own, else its enclosing
    /// scopes'), or `None` when no scope has it.
    fn variable(&self, name: &str) -> Option<Value>;
    /// Evaluates an expression's source text (a JUEL template or plain text, such
    /// as a field's `defaultValue`) in the scope.
    ///
    /// # Errors
    ///
    /// The evaluation error's message (`Cannot resolve identifier 'x'`, ...).
    fn evaluate(&self, expression: &str) -> Result<Value, String>;
    /// The engine's clock reading, in milliseconds since the epoch (two-digit
    /// years of date patterns are read relative to it).
    fn now(&self) -> i64;
}

/// A [`FormScope`] over an expression scope (a task's execution, a new
/// instance): its variables, and the engine's JUEL evaluation. The start form
/// uses it, and the task side can hand it the task's execution.
pub(crate) struct ExprScope<'a>(pub(crate) &'a dyn crate::expr::Scope);

impl FormScope for ExprScope<'_> {
    fn variable(&self, name: &str) -> Option<Value> {
        self.0.variable(name)
    }

    fn evaluate(&self, expression: &str) -> Result<Value, String> {
        let template = baton_bpmn::expr::parse(expression).map_err(|e| e.to_string())?;
        crate::expr::eval_template(&template, self.0).map_err(|e| e.0)
    }

    fn now(&self) -> i64 {
        self.0.now()
    }
}

/// Why a form submission or a form's data was refused: Camunda's message,
/// without the prefix its REST layer puts before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormError(pub String);

impl std::fmt::Display for FormError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl FormError {
    /// The error of `POST /task/{id}/submit-form`: `Cannot submit task form {id}: …`,
    /// an [`Error::Invalid`] (a 400).
    pub fn for_task(self, task_id: &str) -> Error {
        Error::Invalid(format!("Cannot submit task form {task_id}: {}", self.0))
    }

    /// The error of `POST /process-definition/{id}/submit-form`: `Cannot instantiate
    /// process definition {id}: …`, an [`Error::Invalid`] (a 400).
    pub fn for_start(self, definition_id: &str) -> Error {
        Error::Invalid(format!(
            "Cannot instantiate process definition {definition_id}: {}",
            self.0
        ))
    }
}

impl From<FormError> for Error {
    /// The bare message, as an [`Error::Invalid`].
    fn from(e: FormError) -> Error {
        Error::Invalid(e.0)
    }
}

/// A `camunda:formRef`, as `camundaFormRef` in Camunda's task and form DTOs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CamundaFormRef {
    /// The Camunda Form's key: the `id` in its `.form` file.
    pub key: String,
    /// `latest`, `deployment` or `version`.
    pub binding: String,
    /// The version, with the `version` binding.
    pub version: Option<i64>,
}

impl std::fmt::Display for CamundaFormRef {
    /// As Camunda's `CamundaFormRefImpl.toString`, which its not-found message shows.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let version = self
            .version
            .map_or_else(|| "null".to_owned(), |v| v.to_string());
        write!(
            f,
            "CamundaFormRefImpl [key={}, binding={}, version={version}]",
            self.key, self.binding
        )
    }
}

/// Which form a start event or a user task shows: Camunda's `FormData` without
/// its fields (`key` and `camundaFormRef` of the REST API's `FormDto`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormInfo {
    /// The form key (`embedded:…`, `camunda-forms:deployment:…`, an app's URL…).
    pub key: Option<String>,
    /// The Camunda Form it references.
    pub camunda_form_ref: Option<CamundaFormRef>,
    /// Whether it has generated-form fields (`camunda:formField`s; legacy form
    /// properties do not count, as in Camunda).
    pub has_fields: bool,
}

/// A field's value as `GET …/form-variables` answers it: a typed value, whose type
/// may be named even when the value is null (`{"type": "Long", "value": null}`).
#[derive(Debug, Clone, PartialEq)]
pub struct FormVariable {
    /// The field's id.
    pub name: String,
    /// Camunda's type name: `String`, `Long`, `Boolean`, or the value's own type.
    pub type_name: &'static str,
    /// The value.
    pub value: Value,
}

/// A deployed Camunda Form: a `.form` file's definition, versioned by its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CamundaFormDefinition {
    /// `key:version:uuid`.
    pub id: String,
    /// The `id` in the form's JSON.
    pub key: String,
    /// 1 for the first deployment of the key (in its tenant), then one more per change.
    pub version: i64,
    /// The deployment it came with.
    pub deployment_id: String,
    /// The resource it is in.
    pub resource_name: String,
    /// Its tenant.
    pub tenant_id: Option<String>,
}

/// A definition's start form: which form it shows, and where it was deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartForm {
    /// The definition's id.
    pub definition_id: String,
    /// The deployment the definition came with (where `deployment:` keys point).
    pub deployment_id: String,
    /// The form key, the Camunda Form reference, and whether it has fields.
    pub form: FormInfo,
}

/// A deployed form's content, as `GET …/deployed-start-form` and
/// `GET /task/{id}/deployed-form` answer it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployedForm {
    /// The resource's bytes.
    pub bytes: Vec<u8>,
    /// The content type Camunda answers it with: `application/json` for a Camunda
    /// Form (a `.form` key or a form reference), else `application/xhtml+xml`.
    pub content_type: &'static str,
}

/// The generated key Camunda's REST API answers for a start form that has
/// fields but no key and no form reference.
pub fn generated_start_form_key(definition_id: &str) -> String {
    format!("embedded:engine://engine/:engine/process-definition/{definition_id}/rendered-form")
}

/// The generated key Camunda's REST API answers for a task form that has fields
/// but no key.
pub fn generated_task_form_key(task_id: &str) -> String {
    format!("embedded:engine://engine/:engine/task/{task_id}/rendered-form")
}

/// A start event's form, as Camunda's `DefaultStartFormHandler` gives it: the key
/// and the form reference are taken as written (a start event's are not evaluated).
pub fn start_form_info(start: &baton_bpmn::model::StartEvent) -> FormInfo {
    let camunda_form_ref = match (&start.form_key, &start.form_ref, &start.form_ref_binding) {
        (None, Some(key), Some(binding)) => Some(CamundaFormRef {
            key: key.clone(),
            binding: binding.clone(),
            version: (binding == "version")
                .then(|| start.form_ref_version.as_deref().and_then(java_int))
                .flatten(),
        }),
        _ => None,
    };
    FormInfo {
        key: start.form_key.clone(),
        camunda_form_ref,
        has_fields: start.form_data.iter().any(|f| f.property.is_none()),
    }
}

/// A user task's form, as Camunda's `DefaultTaskFormHandler` gives it: the form
/// key, the form reference's key and its version are evaluated in the task's
/// scope. **The task side calls this** for `GET /task/{id}/form` (then adds
/// [`generated_task_form_key`] when there is no key but fields) and for
/// `GET /task/{id}/deployed-form` (with [`crate::Engine::deployed_form`]).
///
/// # Errors
///
/// An expression that fails, or a version that is not a whole number.
pub fn task_form(task: &UserTask, scope: &dyn FormScope) -> Result<FormInfo, FormError> {
    let mut info = FormInfo {
        has_fields: task.form_fields.iter().any(|f| f.property.is_none()),
        ..FormInfo::default()
    };
    if let Some(key) = &task.form_key {
        let value = scope.evaluate(key.as_str()).map_err(FormError)?;
        if !value.is_null() {
            info.key = Some(java_text(&value));
        }
    } else if let (Some(key), Some(binding)) = (&task.form_ref, &task.form_ref_binding) {
        let value = scope.evaluate(key).map_err(FormError)?;
        if !value.is_null() {
            let mut form_ref = CamundaFormRef {
                key: java_text(&value),
                binding: binding.clone(),
                version: None,
            };
            if binding == "version"
                && let Some(version) = &task.form_ref_version
            {
                let value = scope.evaluate(version).map_err(FormError)?;
                form_ref.version = match &value {
                    Value::Null => None,
                    Value::String(s) => Some(
                        java_int(s)
                            .ok_or_else(|| FormError(format!("For input string: \"{s}\"")))?,
                    ),
                    // Camunda casts the value to a String.
                    other => {
                        return Err(FormError(format!(
                            "class {} cannot be cast to class java.lang.String",
                            java_class(other)
                        )));
                    }
                };
            }
            info.camunda_form_ref = Some(form_ref);
        }
    }
    Ok(info)
}

/// A field's type, as Camunda's `FormTypes` builds it.
enum Kind<'a> {
    String,
    Long,
    Boolean,
    Date {
        pattern: &'a str,
        parts: Vec<Part>,
    },
    Enum(&'a [(String, Option<String>)]),
    /// A legacy form property without a type: values are taken as given.
    Untyped,
}

/// Camunda's default date pattern.
const DEFAULT_DATE_PATTERN: &str = "dd/MM/yyyy";

fn kind(field: &FormField) -> Result<Kind<'_>, FormError> {
    Ok(match field.field_type.as_deref() {
        None => Kind::Untyped,
        Some("string") => Kind::String,
        Some("long") => Kind::Long,
        Some("boolean") => Kind::Boolean,
        Some("enum") => Kind::Enum(&field.values),
        Some("date") => {
            let pattern = field
                .date_pattern
                .as_deref()
                .unwrap_or(DEFAULT_DATE_PATTERN);
            let parts = date_pattern::compile(pattern).map_err(FormError)?;
            Kind::Date { pattern, parts }
        }
        // Validation refuses custom types; a model stored before it did says so here.
        Some(other) => return Err(FormError(format!("unknown type '{other}'"))),
    })
}

/// Checks and converts a submission of a generated form, as Camunda's
/// `DefaultFormHandler.submitFormVariables` does, and answers the variables to
/// set, in the order to set them. **The task side calls this** for
/// `POST /task/{id}/submit-form` with the task's form fields and scope (and wraps
/// an error with [`FormError::for_task`]); the start form with the start event's.
///
/// - Legacy form properties first: a non-writable one given, or a required one
///   neither given nor defaulted, fails; a given value is converted by the
///   property's type and stored in its `variable` (else its id).
/// - Then each form field (but the business-key field, which Camunda leaves
///   alone): its constraints check the submitted value as given (`required`:
///   null or `""` fails unless the scope has a non-null variable or the default
///   evaluates to a value; `minlength`/`maxlength` inclusive on text; `min` is
///   `>=` and `max` strictly `<` on numbers; `readonly`: any value fails), then
///   the value is converted by the field's type; a field not submitted takes its
///   default, converted.
/// - Every other submitted variable is kept as it is: fields are not a whitelist.
///
/// # Errors
///
/// The first field that fails, in Camunda's words (`Invalid value submitted for
/// form field 'amount': validation of max(1000) failed.`). A value that does not
/// convert is named the same way, with the conversion's message after it
/// (Camunda's own message names no field).
pub fn submit(
    fields: &[FormField],
    business_key_field: Option<&str>,
    scope: &dyn FormScope,
    submitted: Variables,
) -> Result<Variables, FormError> {
    let mut rest = submitted;
    let mut out: Variables = Vec::new();
    for field in fields.iter().filter(|f| f.property.is_some()) {
        submit_property(field, scope, &mut rest, &mut out)?;
    }
    for field in fields.iter().filter(|f| f.property.is_none()) {
        if business_key_field == Some(field.id.as_str()) {
            continue;
        }
        submit_field(field, scope, &mut rest, &mut out)?;
    }
    out.extend(rest);
    Ok(out)
}

/// Takes `name` out of `vars`, if it is there.
fn take(vars: &mut Variables, name: &str) -> Option<Value> {
    let at = vars.iter().position(|(n, _)| n == name)?;
    Some(vars.remove(at).1)
}

/// The variable `name` as it stands during a submission: set by it, else in scope.
fn current(out: &Variables, scope: &dyn FormScope, name: &str) -> Option<Value> {
    out.iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .or_else(|| scope.variable(name))
}

/// `FormFieldHandler.handleSubmit`.
fn submit_field(
    field: &FormField,
    scope: &dyn FormScope,
    rest: &mut Variables,
    out: &mut Variables,
) -> Result<(), FormError> {
    let id = &field.id;
    let kind = kind(field)?;
    let submitted = take(rest, id);
    let invalid = |constraint: &str| {
        FormError(format!(
            "Invalid value submitted for form field '{id}': validation of {constraint} failed."
        ))
    };
    for (name, config) in &field.constraints {
        let label = match config {
            Some(c) => format!("{name}({c})"),
            None => name.clone(),
        };
        let value = submitted.as_ref().filter(|v| !v.is_null());
        let valid = match name.as_str() {
            "required" => match value {
                Some(Value::String(s)) => !s.is_empty(),
                Some(_) => true,
                None => match current(out, scope, id) {
                    Some(v) => !v.is_null(),
                    None => match &field.default_value {
                        Some(default) => !scope
                            .evaluate(default.as_str())
                            .map_err(FormError)?
                            .is_null(),
                        None => false,
                    },
                },
            },
            "readonly" => value.is_none(),
            "minlength" | "maxlength" => match value {
                None => true,
                Some(Value::String(s)) => {
                    let limit = config.as_deref().and_then(java_int).ok_or_else(|| {
                        FormError(format!(
                            "Cannot validate \"{name}\": configuration {} cannot be interpreted as Integer",
                            config.as_deref().unwrap_or("null")
                        ))
                    })?;
                    let length = s.encode_utf16().count() as i64;
                    if name == "minlength" {
                        length >= limit
                    } else {
                        length <= limit
                    }
                }
                Some(other) => {
                    let validator = if name == "minlength" {
                        "MinLengthValidator"
                    } else {
                        "MaxLengthValidator"
                    };
                    return Err(FormError(format!(
                        "String validator {validator} cannot be used on non-string value of type class {}",
                        java_class(other)
                    )));
                }
            },
            "min" | "max" => match value {
                None => true,
                // A value that is not a number fails the constraint.
                Some(v) => numeric_check(name, config.as_deref(), v)?.unwrap_or(false),
            },
            // Validation refuses every other constraint.
            other => {
                return Err(FormError(format!(
                    "Cannot find validator implementation for name '{other}'."
                )));
            }
        };
        if !valid {
            return Err(invalid(&label));
        }
    }
    let model = match submitted {
        Some(value) => Some(to_model(&kind, &value, scope.now()).map_err(|e| converting(id, &e))?),
        None => match &field.default_value {
            Some(default) => {
                let value = scope.evaluate(default.as_str()).map_err(FormError)?;
                Some(to_model(&kind, &value, scope.now()).map_err(|e| converting(id, &e))?)
            }
            None => None,
        },
    };
    if let Some(model) = model {
        out.push((id.clone(), model));
    }
    Ok(())
}

/// A conversion failure, naming the field.
fn converting(id: &str, message: &str) -> FormError {
    FormError(format!(
        "Invalid value submitted for form field '{id}': {message}"
    ))
}

/// `min` (`>=`) or `max` (`<`) on a number, with the configuration read as the
/// value's own type (so a whole-number value needs a whole-number configuration);
/// `None` when the value is not a number.
fn numeric_check(
    name: &str,
    config: Option<&str>,
    value: &Value,
) -> Result<Option<bool>, FormError> {
    let text = config.unwrap_or("null");
    let cannot = |java: &str| {
        FormError(format!(
            "Cannot validate {java} value {}: configuration {text} cannot be parsed as {java}.",
            java_text(value)
        ))
    };
    let ordering = match value {
        Value::Short(v) => {
            let c = config
                .and_then(java_int)
                .and_then(|c| i16::try_from(c).ok())
                .ok_or_else(|| cannot("Short"))?;
            v.cmp(&c)
        }
        Value::Integer(v) => {
            let c = config
                .and_then(java_int)
                .and_then(|c| i32::try_from(c).ok())
                .ok_or_else(|| cannot("Integer"))?;
            v.cmp(&c)
        }
        Value::Long(v) => {
            let c = config.and_then(java_long).ok_or_else(|| cannot("Long"))?;
            v.cmp(&c)
        }
        Value::Double(v) => {
            let c = config
                .and_then(java_double)
                .ok_or_else(|| cannot("Double"))?;
            match v.partial_cmp(&c) {
                Some(o) => o,
                // NaN compares false both ways, as in Java.
                None => return Ok(Some(false)),
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(if name == "min" {
        ordering.is_ge()
    } else {
        ordering.is_lt()
    }))
}

/// `FormPropertyHandler.submitFormProperty`, for a legacy form property.
fn submit_property(
    field: &FormField,
    scope: &dyn FormScope,
    rest: &mut Variables,
    out: &mut Variables,
) -> Result<(), FormError> {
    let Some(property) = &field.property else {
        return Ok(());
    };
    let id = &field.id;
    let given = rest.iter().any(|(n, _)| n == id);
    if !property.writable && given {
        return Err(FormError(format!("form property '{id}' is not writable")));
    }
    if property.required && !given && field.default_value.is_none() {
        return Err(FormError(format!("form property '{id}' is required")));
    }
    let kind = kind(field)?;
    let model = if let Some(value) = take(rest, id) {
        legacy_to_model(&kind, &value, scope.now())?
    } else if let Some(default) = &field.default_value {
        match scope.evaluate(default.as_str()).map_err(FormError)? {
            Value::Null if property.required => {
                return Err(FormError(format!("form property '{id}' is required")));
            }
            Value::Null => None,
            value => legacy_to_model(&kind, &Value::String(java_text(&value)), scope.now())?,
        }
    } else {
        None
    };
    if let Some(model) = model {
        let name = property.variable.clone().unwrap_or_else(|| id.clone());
        out.push((name, model));
    }
    Ok(())
}

/// The deprecated `convertFormValueToModelValue` legacy form properties use: the
/// value as text, empty meaning none.
fn legacy_to_model(kind: &Kind<'_>, value: &Value, now: i64) -> Result<Option<Value>, FormError> {
    if value.is_null() {
        return Ok(None);
    }
    let text = java_text(value);
    Ok(match kind {
        Kind::Untyped => Some(value.clone()),
        Kind::String => Some(Value::String(text)),
        _ if text.is_empty() && !matches!(kind, Kind::Enum(_)) => None,
        Kind::Long => {
            Some(Value::Long(java_long(&text).ok_or_else(|| {
                FormError(format!("For input string: \"{text}\""))
            })?))
        }
        Kind::Boolean => Some(Value::Boolean(text.eq_ignore_ascii_case("true"))),
        Kind::Date { parts, .. } => Some(Value::Date(
            parse_date(&text, parts, now)
                .ok_or_else(|| FormError(format!("invalid date value {text}")))?,
        )),
        Kind::Enum(values) => {
            if !matches!(value, Value::String(_)) || !values.iter().any(|(v, _)| *v == text) {
                return Err(FormError(format!(
                    "Invalid value for enum form property: {text}"
                )));
            }
            Some(value.clone())
        }
    })
}

/// A submitted (or default) value converted to what the field stores
/// (`convertToModelValue`): the message of a failure is Camunda's.
fn to_model(kind: &Kind<'_>, value: &Value, now: i64) -> Result<Value, String> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    Ok(match (kind, value) {
        (Kind::Untyped, v) => v.clone(),
        (Kind::String, Value::String(_)) => value.clone(),
        (Kind::String, v) => Value::String(java_text(v)),
        (Kind::Long, Value::Long(_)) => value.clone(),
        (Kind::Long, Value::Short(v)) => Value::Long(i64::from(*v)),
        (Kind::Long, Value::Integer(v)) => Value::Long(i64::from(*v)),
        (Kind::Long, v @ (Value::String(_) | Value::Double(_))) => {
            let text = java_text(v);
            Value::Long(java_long(&text).ok_or_else(|| format!("For input string: \"{text}\""))?)
        }
        (Kind::Long, v) => return Err(format!("Value '{}' is not of type Long.", java_text(v))),
        (Kind::Boolean, Value::Boolean(_)) => value.clone(),
        (Kind::Boolean, Value::String(s)) => Value::Boolean(s.eq_ignore_ascii_case("true")),
        (Kind::Boolean, v) => {
            return Err(format!("Value '{}' is not of type Boolean.", java_text(v)));
        }
        (Kind::Date { .. }, Value::Date(_)) => value.clone(),
        (Kind::Date { pattern, parts }, Value::String(s)) => {
            let trimmed = s.trim();
            if trimmed.is_empty() {
                Value::Null
            } else {
                Value::Date(parse_date(trimmed, parts, now).ok_or_else(|| {
                    format!("Could not parse value '{s}' as date using date format '{pattern}'.")
                })?)
            }
        }
        (Kind::Date { .. }, v) => {
            return Err(format!(
                "Value '{}' cannot be transformed into a Date.",
                java_text(v)
            ));
        }
        (Kind::Enum(values), Value::String(s)) => {
            if !values.iter().any(|(id, _)| id == s) {
                return Err(format!("Invalid value for enum form property: {s}"));
            }
            value.clone()
        }
        (Kind::Enum(_), v) => {
            return Err(format!("Value '{}' is not of type String.", java_text(v)));
        }
    })
}

/// A stored value as the form shows it (`convertToFormValue`): a date as text in
/// the field's pattern (empty when there is none), every other type as
/// [`to_model`] converts it.
fn to_form(kind: &Kind<'_>, value: &Value, now: i64) -> Result<Value, String> {
    match (kind, value) {
        (Kind::Date { .. }, Value::Null) => Ok(Value::String(String::new())),
        (Kind::Date { parts, .. }, Value::Date(ms)) => Ok(Value::String(format_date(*ms, parts))),
        (Kind::Date { .. }, v) => Err(format!(
            "Expected value to be of type 'PrimitiveValueType[date]' but got '{}'.",
            value_type_description(v)
        )),
        _ => to_model(kind, value, now),
    }
}

/// Camunda's type name of a field's form value, named even for a null value.
fn form_type_name(kind: &Kind<'_>, value: &Value) -> &'static str {
    match (kind, value) {
        (Kind::String | Kind::Enum(_) | Kind::Date { .. }, _) => "String",
        (Kind::Long, _) => "Long",
        (Kind::Boolean, _) => "Boolean",
        (Kind::Untyped, v) => v.type_name(),
    }
}

/// The fields' values for `GET …/form-variables`, in field order, as Camunda's
/// `FormFieldHandler.createFormField` makes them: a variable the scope has,
/// converted for the form, else the field's default (converted to the field's type
/// and then for the form), else a typed null (an empty text for a date).
/// `names`, when given, keeps only the fields it names. Legacy form properties
/// are not form variables, as in Camunda. **The task side calls this** with the
/// task's scope and appends the task's other visible variables; a start form's
/// scope has no variables.
///
/// # Errors
///
/// A default expression that fails, or a value that does not convert.
pub fn form_variables(
    fields: &[FormField],
    scope: &dyn FormScope,
    names: Option<&[String]>,
) -> Result<Vec<FormVariable>, FormError> {
    let mut out = Vec::new();
    for field in fields.iter().filter(|f| f.property.is_none()) {
        if names.is_some_and(|n| !n.contains(&field.id)) {
            continue;
        }
        let kind = kind(field)?;
        let now = scope.now();
        let value = match scope.variable(&field.id) {
            Some(v) => to_form(&kind, &v, now)
                .map_err(|_| FormError(format!("failed to convert '{}'", field.id)))?,
            None => {
                let default = match &field.default_value {
                    Some(d) => scope.evaluate(d.as_str()).map_err(FormError)?,
                    None => Value::Null,
                };
                let model = to_model(&kind, &default, now).map_err(FormError)?;
                to_form(&kind, &model, now).map_err(FormError)?
            }
        };
        out.push(FormVariable {
            name: field.id.clone(),
            type_name: form_type_name(&kind, &value),
            value,
        });
    }
    Ok(out)
}

// ----- Java's renderings, for Camunda's messages and conversions -----

/// `text` as Java's `Integer.parseInt` (or `Long.parseLong` within `i64`) reads it:
/// an optional sign and decimal digits, nothing else.
fn java_int(text: &str) -> Option<i64> {
    java_long(text).filter(|v| i32::try_from(*v).is_ok())
}

/// `text` as Java's `Long.parseLong` reads it.
fn java_long(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.strip_prefix('+').unwrap_or(text).parse().ok()
}

/// `text` as Java's `Double.parseDouble` reads it (blanks around it allowed).
fn java_double(text: &str) -> Option<f64> {
    let t = text.trim();
    let t = t.strip_suffix(['d', 'D', 'f', 'F']).unwrap_or(t);
    if t.is_empty()
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
    {
        return None;
    }
    t.parse().ok()
}

/// Java's `Double.toString`.
fn java_double_text(d: f64) -> String {
    if d.is_nan() {
        return "NaN".into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let magnitude = d.abs();
    if magnitude == 0.0 || (1e-3..1e7).contains(&magnitude) {
        let text = format!("{d}");
        if text.contains('.') {
            text
        } else {
            format!("{text}.0")
        }
    } else {
        let text = format!("{d:e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_owned()
        } else {
            format!("{mantissa}.0")
        };
        format!("{mantissa}E{exponent}")
    }
}

/// A value as Java's `toString` renders it: what Camunda's conversions read and
/// its messages show.
fn java_text(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::String(s) | Value::Json(s) | Value::Xml(s) => s.clone(),
        Value::Object { value, .. } => value.clone(),
        Value::Boolean(b) => b.to_string(),
        Value::Short(v) => v.to_string(),
        Value::Integer(v) => v.to_string(),
        Value::Long(v) => v.to_string(),
        Value::Double(d) => java_double_text(*d),
        Value::Date(ms) => java_date_text(*ms),
        Value::Bytes(_) => "[B".into(),
        Value::File { filename, .. } => filename.clone(),
    }
}

/// `java.util.Date.toString` in UTC: `Mon Jan 05 09:30:00 UTC 2026`.
fn java_date_text(ms: i64) -> String {
    let parts = date_pattern::compile("EEE MMM dd HH:mm:ss 'UTC' yyyy").unwrap_or_default();
    format_date(ms, &parts)
}

/// The Java class of a value, as Camunda's messages name it.
fn java_class(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::String(_) => "java.lang.String",
        Value::Boolean(_) => "java.lang.Boolean",
        Value::Short(_) => "java.lang.Short",
        Value::Integer(_) => "java.lang.Integer",
        Value::Long(_) => "java.lang.Long",
        Value::Double(_) => "java.lang.Double",
        Value::Date(_) => "java.util.Date",
        Value::Json(_) => "org.camunda.spin.impl.json.jackson.JacksonJsonNode",
        Value::Xml(_) => "org.camunda.spin.impl.xml.dom.DomXmlElement",
        Value::Object { value, .. } if value.trim_start().starts_with('[') => "java.util.ArrayList",
        Value::Object { .. } => "java.util.LinkedHashMap",
        Value::Bytes(_) => "[B",
        Value::File { .. } => "org.camunda.bpm.engine.variable.impl.value.FileValueImpl",
    }
}

/// Camunda's `ValueType.toString` of a value's type.
fn value_type_description(value: &Value) -> String {
    match value {
        Value::Json(_) => "SpinValueType[json]".into(),
        Value::Xml(_) => "SpinValueType[xml]".into(),
        Value::Object { .. } => "ObjectValueType[object]".into(),
        Value::File { .. } => "FileValueType[file]".into(),
        other => format!(
            "PrimitiveValueType[{}]",
            other.type_name().to_ascii_lowercase()
        ),
    }
}

// ----- dates in a pattern, as Java's `SimpleDateFormat` reads and writes them (UTC) -----

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

const MS_PER_DAY: i64 = 86_400_000;

/// Whether a field is read as a number.
fn is_numeric(letter: char, count: usize) -> bool {
    match letter {
        'M' => count <= 2,
        'E' | 'a' => false,
        _ => true,
    }
}

/// Writes `ms` (UTC) in `parts`: numbers padded with zeros to their letter count, a
/// two-letter year as its last two digits, month and day names in English.
pub(crate) fn format_date(ms: i64, parts: &[Part]) -> String {
    let days = ms.div_euclid(MS_PER_DAY);
    let in_day = ms.rem_euclid(MS_PER_DAY);
    let (year, month, day) = date::civil_from_days(days);
    let hour = in_day / 3_600_000;
    let minute = in_day / 60_000 % 60;
    let second = in_day / 1000 % 60;
    let milli = in_day % 1000;
    // 1970-01-01 was a Thursday.
    let weekday = (days + 4).rem_euclid(7) as usize;
    let mut out = String::new();
    let pad = |out: &mut String, n: i64, count: usize| {
        let digits = n.abs().to_string();
        if n < 0 {
            out.push('-');
        }
        for _ in digits.len()..count {
            out.push('0');
        }
        out.push_str(&digits);
    };
    for part in parts {
        match part {
            Part::Literal(text) => out.push_str(text),
            Part::Field { letter, count } => {
                let count = *count;
                match letter {
                    'y' if count == 2 => pad(&mut out, year.rem_euclid(100), 2),
                    'y' => pad(&mut out, year, count),
                    'M' if count >= 4 => out.push_str(MONTHS[month as usize - 1]),
                    'M' if count == 3 => out.push_str(&MONTHS[month as usize - 1][..3]),
                    'M' => pad(&mut out, i64::from(month), count),
                    'd' => pad(&mut out, i64::from(day), count),
                    'H' => pad(&mut out, hour, count),
                    'k' => pad(&mut out, if hour == 0 { 24 } else { hour }, count),
                    'K' => pad(&mut out, hour % 12, count),
                    'h' => pad(&mut out, if hour % 12 == 0 { 12 } else { hour % 12 }, count),
                    'm' => pad(&mut out, minute, count),
                    's' => pad(&mut out, second, count),
                    'S' => pad(&mut out, milli, count),
                    'a' => out.push_str(if hour < 12 { "AM" } else { "PM" }),
                    'E' if count >= 4 => out.push_str(WEEKDAYS[weekday]),
                    'E' => out.push_str(&WEEKDAYS[weekday][..3]),
                    _ => {}
                }
            }
        }
    }
    out
}

/// The longest of `names` (or their first three letters) that `text` starts
/// with, ignoring case: its index and length in characters.
fn match_name(text: &[char], names: &[&str]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    for (i, name) in names.iter().enumerate() {
        for candidate in [*name, &name[..name.len().min(3)]] {
            let len = candidate.chars().count();
            let matches = text.len() >= len
                && text[..len]
                    .iter()
                    .zip(candidate.chars())
                    .all(|(a, b)| a.to_lowercase().eq(b.to_lowercase()));
            if matches && best.is_none_or(|(_, l)| len > l) {
                best = Some((i, len));
            }
        }
    }
    best
}

/// Reads `text` in `parts` as a lenient `SimpleDateFormat` does (UTC): numbers
/// may have more or fewer digits than their letters unless the next field abuts
/// them, values out of range roll over (the 32nd of January is the 1st of
/// February), a two-digit year falls within 80 years before and 20 after `now`,
/// blanks before a number are skipped, and text after the pattern is ignored.
/// Fields the pattern lacks are those of 1970-01-01 00:00:00.000.
pub(crate) fn parse_date(text: &str, parts: &[Part], now: i64) -> Option<i64> {
    let chars: Vec<char> = text.chars().collect();
    let mut at = 0usize;
    let (mut year, mut month, mut day) = (1970i64, 1i64, 1i64);
    let (mut hour_of_day, mut hour12, mut pm) = (None::<i64>, None::<i64>, false);
    let (mut minute, mut second, mut milli) = (0i64, 0i64, 0i64);
    let mut two_digit_year = false;
    for (i, part) in parts.iter().enumerate() {
        match part {
            Part::Literal(literal) => {
                for c in literal.chars() {
                    if chars.get(at) != Some(&c) {
                        return None;
                    }
                    at += 1;
                }
            }
            Part::Field { letter, count } => {
                let (letter, count) = (*letter, *count);
                if !is_numeric(letter, count) {
                    let rest = &chars[at.min(chars.len())..];
                    let (index, len) = match letter {
                        'M' => match_name(rest, &MONTHS)?,
                        'E' => match_name(rest, &WEEKDAYS)?,
                        _ => match_name(rest, &["AM", "PM"])?,
                    };
                    match letter {
                        'M' => month = index as i64 + 1,
                        'a' => pm = index == 1,
                        _ => {}
                    }
                    at += len;
                    continue;
                }
                // Blanks before a number are skipped.
                while matches!(chars.get(at), Some(' ' | '\t')) {
                    at += 1;
                }
                // A number abutting the next field takes exactly its letter count.
                let abutting = matches!(parts.get(i + 1), Some(Part::Field { .. }));
                let end = if abutting {
                    at.checked_add(count).filter(|e| *e <= chars.len())?
                } else {
                    chars.len()
                };
                let start = at;
                let negative = chars.get(at) == Some(&'-');
                if negative {
                    at += 1;
                }
                let digits_start = at;
                let mut value: i64 = 0;
                while at < end && chars[at].is_ascii_digit() {
                    value = value
                        .checked_mul(10)?
                        .checked_add(i64::from(chars[at].to_digit(10)?))?;
                    at += 1;
                }
                if at == digits_start {
                    return None;
                }
                if negative {
                    value = -value;
                }
                match letter {
                    'y' => {
                        year = value;
                        two_digit_year = count <= 2 && !negative && at - start == 2;
                    }
                    'M' => month = value,
                    'd' => day = value,
                    'H' => hour_of_day = Some(value),
                    'k' => hour_of_day = Some(if value == 24 { 0 } else { value }),
                    'K' => hour12 = Some(value),
                    'h' => hour12 = Some(if value == 12 { 0 } else { value }),
                    'm' => minute = value,
                    's' => second = value,
                    'S' => milli = value,
                    _ => {}
                }
            }
        }
    }
    let hour = match (hour_of_day, hour12) {
        (Some(h), _) => h,
        (None, Some(h)) => h + if pm { 12 } else { 0 },
        (None, None) => 0,
    };
    // Lenient: months, days and times out of range carry over.
    let compose = |year: i64| -> Option<i64> {
        let months = year.checked_mul(12)?.checked_add(month - 1)?;
        let (y, m) = (months.div_euclid(12), months.rem_euclid(12) + 1);
        if y.abs() > 1_000_000 {
            return None;
        }
        let days = date::days_from_civil(y, m as u32, 1).checked_add(day - 1)?;
        days.checked_mul(MS_PER_DAY)?
            .checked_add(hour.checked_mul(3_600_000)?)?
            .checked_add(minute.checked_mul(60_000)?)?
            .checked_add(second.checked_mul(1000)?)?
            .checked_add(milli)
    };
    if !two_digit_year {
        return compose(year);
    }
    // Java's default century: from 80 years before `now` to 20 years after it.
    let days = now.div_euclid(MS_PER_DAY);
    let (now_year, now_month, now_day) = date::civil_from_days(days);
    let century_start = date::days_from_civil(now_year - 80, now_month, now_day) * MS_PER_DAY
        + now.rem_euclid(MS_PER_DAY);
    let start_year = now_year - 80;
    let mut full = year + start_year.div_euclid(100) * 100;
    if full < start_year {
        full += 100;
    }
    let ms = compose(full)?;
    if ms < century_start {
        compose(full + 100)
    } else {
        Some(ms)
    }
}

mod html;
pub use html::render as render_html;

#[cfg(test)]
mod tests;
