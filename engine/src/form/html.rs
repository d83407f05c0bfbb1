//! The generated form as HTML, for `GET /task/{id}/rendered-form` and
//! `GET /process-definition/{id}/rendered-form`: the markup Camunda's
//! `HtmlFormEngine` writes for Tasklist's embedded forms (Bootstrap classes,
//! AngularJS attributes), so that a client that reads it finds what it expects:
//!
//! - `<form name="generatedForm" role="form">`, then one `div.form-group` per
//!   field (form fields first, then readable legacy form properties);
//! - a `label` when the field has one;
//! - the control: a `select` with one `option` per value for an enum, a text
//!   `input` inside an `input-group` with its date picker button for a date, a
//!   checkbox for a boolean, a text `input` otherwise; each with
//!   `class="form-control"`, `name`, `cam-variable-type` (`String` for enums and
//!   dates, else the type's name with a capital) and `cam-variable-name` (or
//!   `cam-business-key` for the business-key field), every validation constraint
//!   as an attribute (`required`, `minlength="3"`, `readonly`, ...), and the
//!   default value (not the variable's) on a text or checkbox input;
//! - the error messages Tasklist shows (`Required field`, `Only a long value is
//!   allowed`, the date pattern).
//!
//! Every text and attribute value is escaped. A legacy form property without a
//! type has no `cam-variable-type` (Camunda fails on one).

use baton_bpmn::model::FormField;

use super::{FormError, FormScope, Kind, java_text, kind, to_model};

/// The generated form of `fields` as HTML, or `None` when there is nothing to
/// show (no form field and no readable form property), as Camunda's
/// `HtmlFormEngine.renderFormData` answers `null`. `business_key` names the field
/// that holds the business key (`camunda:formData businessKey`).
///
/// # Errors
///
/// A default expression that fails or does not convert to its field's type, or
/// an unknown type or date pattern.
pub fn render(
    fields: &[FormField],
    business_key: Option<&str>,
    scope: &dyn FormScope,
) -> Result<Option<String>, FormError> {
    let shown: Vec<&FormField> = fields
        .iter()
        .filter(|f| f.property.is_none())
        .chain(
            fields
                .iter()
                .filter(|f| f.property.as_ref().is_some_and(|p| p.readable)),
        )
        .collect();
    if shown.is_empty() {
        return Ok(None);
    }
    let mut out = String::from("<form name=\"generatedForm\" role=\"form\">\n");
    for field in shown {
        field_html(&mut out, field, business_key, scope)?;
    }
    out.push_str("</form>\n");
    Ok(Some(out))
}

/// One field's `div.form-group`.
fn field_html(
    out: &mut String,
    field: &FormField,
    business_key: Option<&str>,
    scope: &dyn FormScope,
) -> Result<(), FormError> {
    let kind = kind(field)?;
    let id = field.id.as_str();
    out.push_str("  <div class=\"form-group\">\n");
    if let Some(label) = field.label.as_deref().filter(|l| !l.is_empty()) {
        out.push_str(&format!(
            "    <label for=\"{}\">{}</label>\n",
            attr(id),
            text(label)
        ));
    }
    let mut control = common_attributes(field, &kind, business_key);
    match &kind {
        Kind::Enum(values) => {
            out.push_str(&format!("    <select{control}>\n"));
            for (value, name) in *values {
                out.push_str(&format!(
                    "      <option value=\"{}\">{}</option>\n",
                    attr(value),
                    text(name.as_deref().unwrap_or_default())
                ));
            }
            out.push_str("    </select>\n");
        }
        Kind::Date { pattern, .. } => {
            let readonly = is_readonly(field);
            control.push_str(" type=\"text\"");
            if !readonly {
                control.push_str(&format!(
                    " datepicker-popup=\"{}\" is-open=\"dateFieldOpened{}\"",
                    attr(pattern),
                    attr(id)
                ));
            }
            out.push_str("    <div class=\"input-group\">\n");
            out.push_str(&format!("      <input{control} />\n"));
            if !readonly {
                out.push_str(&format!(
                    "      <div class=\"input-group-btn\">\n        <button type=\"button\" \
                     class=\"btn btn-default\" ng-click=\"open{id}($event)\">\
                     <i class=\"glyphicon glyphicon-calendar\"></i></button>\n      </div>\n      \
                     <script cam-script type=\"text/form-script\">$scope.open{id} = function \
                     ($event) {{ $event.preventDefault(); $event.stopPropagation(); \
                     $scope.dateFieldOpened{id} = true; }};</script>\n",
                    id = attr(id)
                ));
            }
            out.push_str("    </div>\n");
        }
        _ => {
            let checkbox = matches!(kind, Kind::Boolean);
            control.push_str(if checkbox {
                " type=\"checkbox\""
            } else {
                " type=\"text\""
            });
            if let Some(default) = default_value(field, &kind, scope)? {
                control.push_str(&format!(" value=\"{}\"", attr(&default)));
            }
            out.push_str(&format!("    <input{control} />\n"));
        }
    }
    invalid_messages(out, field, &kind);
    out.push_str("  </div>\n");
    Ok(())
}

/// `class`, `name`, the variable's type and name (or `cam-business-key`) and the
/// validation constraints, each with its leading space.
fn common_attributes(field: &FormField, kind: &Kind<'_>, business_key: Option<&str>) -> String {
    let id = attr(&field.id);
    let mut a = format!(" class=\"form-control\" name=\"{id}\"");
    if business_key == Some(field.id.as_str()) {
        a.push_str(" cam-business-key");
    } else {
        if let Some(type_name) = variable_type(kind) {
            a.push_str(&format!(" cam-variable-type=\"{type_name}\""));
        }
        a.push_str(&format!(" cam-variable-name=\"{id}\""));
    }
    // A constraint's name becomes an attribute's name: only a plain one can.
    let plain = |n: &str| {
        !n.is_empty()
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    for (name, config) in constraints(field).into_iter().filter(|(n, _)| plain(n)) {
        match config {
            Some(c) => a.push_str(&format!(" {}=\"{}\"", attr(&name), attr(&c))),
            None => a.push_str(&format!(" {}", attr(&name))),
        }
    }
    a
}

/// The field's validation constraints; a legacy form property's are `required`
/// and, when it is not writable, `readonly`, as Camunda's `FormPropertyAdapter`
/// makes them.
fn constraints(field: &FormField) -> Vec<(String, Option<String>)> {
    match &field.property {
        None => field.constraints.clone(),
        Some(p) => {
            let mut c = Vec::new();
            if p.required {
                c.push(("required".to_owned(), None));
            }
            if !p.writable {
                c.push(("readonly".to_owned(), None));
            }
            c
        }
    }
}

fn is_readonly(field: &FormField) -> bool {
    constraints(field).iter().any(|(n, _)| n == "readonly")
}

/// `cam-variable-type`: `String` for enums and dates, else the type's name with
/// a capital; none for an untyped legacy property.
fn variable_type(kind: &Kind<'_>) -> Option<&'static str> {
    match kind {
        Kind::String | Kind::Enum(_) | Kind::Date { .. } => Some("String"),
        Kind::Long => Some("Long"),
        Kind::Boolean => Some("Boolean"),
        Kind::Untyped => None,
    }
}

/// The field's default value as text (Java's `toString` of the converted
/// value), for a text or checkbox input; a legacy property shows its current
/// value, as Camunda's adapter does.
fn default_value(
    field: &FormField,
    kind: &Kind<'_>,
    scope: &dyn FormScope,
) -> Result<Option<String>, FormError> {
    let current = field
        .property
        .as_ref()
        .and_then(|p| scope.variable(p.variable.as_deref().unwrap_or(field.id.as_str())));
    let value = match (current, &field.default_value) {
        (Some(v), _) => v,
        (None, Some(d)) => {
            let v = scope.evaluate(d.as_str()).map_err(FormError)?;
            to_model(kind, &v, scope.now()).map_err(FormError)?
        }
        (None, None) => return Ok(None),
    };
    Ok((!value.is_null()).then(|| java_text(&value)))
}

/// The messages Tasklist shows under an invalid field.
fn invalid_messages(out: &mut String, field: &FormField, kind: &Kind<'_>) {
    let id = attr(&field.id);
    let base = format!("this.generatedForm.{id}");
    out.push_str(&format!(
        "    <div ng-if=\"{base}.$invalid &amp;&amp; {base}.$dirty\" class=\"has-error\">\n"
    ));
    if let Kind::Date { pattern, .. } = kind {
        out.push_str(&format!(
            "      <div ng-show=\"{base}.$error.required &amp;&amp; !{base}.$error.date\" \
             class=\"help-block\">Required field</div>\n      <div ng-show=\"{base}.$error.date\" \
             class=\"help-block\">Invalid date format: the date should have the pattern \
             &#39;{}&#39;</div>\n",
            text(pattern)
        ));
    } else {
        let type_name = match kind {
            Kind::Enum(_) => "string",
            _ => field.field_type.as_deref().unwrap_or("string"),
        };
        out.push_str(&format!(
            "      <div ng-show=\"{base}.$error.required\" class=\"help-block\">Required \
             field</div>\n      <div ng-show=\"{base}.$error.camVariableType\" \
             class=\"help-block\">Only a {} value is allowed</div>\n",
            text(type_name)
        ));
    }
    out.push_str("    </div>\n");
}

/// `s` escaped for an element's text.
fn text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `s` escaped for a double-quoted attribute value.
fn attr(s: &str) -> String {
    text(s).replace('"', "&quot;").replace('\'', "&#39;")
}
