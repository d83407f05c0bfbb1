//! Unit tests of the form rules: every conversion and every constraint's edge.

use std::collections::HashMap;

use baton_bpmn::model::{FormField, NodeKind};

use super::*;
use crate::expr::Scope;

/// 2026-11-20T10:00:00.000+0000.
const NOW: i64 = 1_795_168_800_000;

/// A scope with some variables, evaluating expressions with the engine's JUEL.
#[derive(Default)]
struct Vars(HashMap<String, Value>);

impl Scope for Vars {
    fn variable(&self, name: &str) -> Option<Value> {
        self.0.get(name).cloned()
    }
    fn local_variable(&self, name: &str) -> Option<Value> {
        self.0.get(name).cloned()
    }
    fn business_key(&self) -> Option<String> {
        None
    }
    fn now(&self) -> i64 {
        NOW
    }
}

fn vars(pairs: &[(&str, Value)]) -> Vars {
    Vars(
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), v.clone()))
            .collect(),
    )
}

/// The fields of a start event's `extensions`, as the parser reads them, and the
/// formData's business-key field.
fn fields(extensions: &str) -> (Vec<FormField>, Option<String>) {
    let xml = format!(
        r#"<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
           <bpmn:process id="p" isExecutable="true">
             <bpmn:startEvent id="s"><bpmn:extensionElements>{extensions}</bpmn:extensionElements></bpmn:startEvent>
             <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e" /><bpmn:endEvent id="e" />
           </bpmn:process></bpmn:definitions>"#
    );
    let parsed = baton_bpmn::parse(&xml).unwrap_or_else(|e| panic!("{e}"));
    let process = &parsed.definitions.processes[0];
    let NodeKind::StartEvent(start) = &process.nodes[0].kind else {
        panic!("a start event");
    };
    (start.form_data.clone(), start.form_business_key.clone())
}

/// One field of type `kind` with the `constraints` (`name` or `name=config`) and
/// `attributes`.
fn field(kind: &str, attributes: &str, constraints: &[&str]) -> Vec<FormField> {
    let constraints: String = constraints
        .iter()
        .map(|c| match c.split_once('=') {
            Some((name, config)) => {
                format!(r#"<camunda:constraint name="{name}" config="{config}" />"#)
            }
            None => format!(r#"<camunda:constraint name="{c}" />"#),
        })
        .collect();
    fields(&format!(
        r#"<camunda:formData><camunda:formField id="f" type="{kind}" {attributes}>
             <camunda:value id="a" name="A" /><camunda:value id="b" name="B" />
             <camunda:validation>{constraints}</camunda:validation>
           </camunda:formField></camunda:formData>"#
    ))
    .0
}

/// Submits `f` = `value` (or nothing) to `fields` in `scope`.
fn submit_in(
    fields: &[FormField],
    scope: &Vars,
    value: Option<Value>,
) -> Result<Variables, String> {
    let submitted = value.map(|v| vec![("f".to_owned(), v)]).unwrap_or_default();
    super::submit(fields, None, &ExprScope(scope), submitted).map_err(|e| e.0)
}

fn submit(fields: &[FormField], value: Option<Value>) -> Result<Variables, String> {
    submit_in(fields, &Vars::default(), value)
}

/// The value `f` takes.
fn stored(fields: &[FormField], value: Value) -> Result<Value, String> {
    let out = submit(fields, Some(value))?;
    Ok(out
        .into_iter()
        .find(|(n, _)| n == "f")
        .map_or(Value::String("<unset>".into()), |(_, v)| v))
}

fn failed(constraint: &str) -> String {
    format!("Invalid value submitted for form field 'f': validation of {constraint} failed.")
}

#[test]
fn max_is_strictly_below_and_min_at_least() {
    let long = field("long", "", &["min=10", "max=20"]);
    for (value, ok) in [(9, false), (10, true), (19, true), (20, false)] {
        let result = submit(&long, Some(Value::Long(value)));
        assert_eq!(result.is_ok(), ok, "{value}: {result:?}");
    }
    assert_eq!(
        submit(&long, Some(Value::Integer(20))).unwrap_err(),
        failed("max(20)")
    );
    assert_eq!(
        submit(&long, Some(Value::Integer(9))).unwrap_err(),
        failed("min(10)")
    );
    // A double is compared with a double configuration.
    let price = field("string", "", &["max=2.5"]);
    assert!(submit(&price, Some(Value::Double(2.49))).is_ok());
    assert!(submit(&price, Some(Value::Double(2.5))).is_err());
    // Nothing submitted passes both.
    assert!(submit(&long, None).is_ok());
}

#[test]
fn numeric_constraints_refuse_text_and_read_their_configuration_as_the_value_type() {
    let long = field("long", "", &["min=10"]);
    // Camunda checks the value as submitted, before converting it: "12" is text.
    assert_eq!(
        submit(&long, Some(Value::from("12"))).unwrap_err(),
        failed("min(10)")
    );
    let fractional = field("string", "", &["min=1.5"]);
    assert_eq!(
        submit(&fractional, Some(Value::Integer(2))).unwrap_err(),
        "Cannot validate Integer value 2: configuration 1.5 cannot be parsed as Integer."
    );
    assert!(submit(&fractional, Some(Value::Double(2.0))).is_ok());
}

#[test]
fn lengths_are_inclusive_and_count_as_java_does() {
    let text = field("string", "", &["minlength=2", "maxlength=4"]);
    for (value, ok) in [("a", false), ("ab", true), ("abcd", true), ("abcde", false)] {
        assert_eq!(
            submit(&text, Some(Value::from(value))).is_ok(),
            ok,
            "{value}"
        );
    }
    // Java counts UTF-16 units: an emoji is two.
    assert!(submit(&text, Some(Value::from("a\u{1F600}"))).is_ok());
    assert!(submit(&text, Some(Value::from("ab\u{1F600}\u{1F600}"))).is_err());
    assert_eq!(
        submit(&text, Some(Value::Integer(5))).unwrap_err(),
        "String validator MinLengthValidator cannot be used on non-string value of type class java.lang.Integer"
    );
}

#[test]
fn required_fails_on_null_or_empty_unless_a_variable_or_a_default_exists() {
    let plain = field("string", "", &["required"]);
    assert_eq!(submit(&plain, None).unwrap_err(), failed("required"));
    assert_eq!(
        submit(&plain, Some(Value::Null)).unwrap_err(),
        failed("required")
    );
    assert_eq!(
        submit(&plain, Some(Value::from(""))).unwrap_err(),
        failed("required")
    );
    assert!(submit(&plain, Some(Value::from(" "))).is_ok());
    // A variable in scope satisfies it, unless it is null.
    let has = vars(&[("f", Value::from("there"))]);
    assert_eq!(submit_in(&plain, &has, None).unwrap(), vec![]);
    let null = vars(&[("f", Value::Null)]);
    assert!(submit_in(&plain, &null, None).is_err());
    // A default satisfies it, and is what the field takes, converted.
    let defaulted = field("long", r#"defaultValue="${40 + 2}""#, &["required"]);
    assert_eq!(
        submit(&defaulted, None).unwrap(),
        vec![("f".to_owned(), Value::Long(42))]
    );
    let null_default = field("string", r#"defaultValue="${nothing}""#, &["required"]);
    let nothing = vars(&[("nothing", Value::Null)]);
    assert_eq!(
        submit_in(&null_default, &nothing, None).unwrap_err(),
        failed("required")
    );
}

#[test]
fn readonly_refuses_any_value_and_a_missing_field_takes_its_default() {
    let readonly = field("string", r#"defaultValue="fixed""#, &["readonly"]);
    assert_eq!(
        submit(&readonly, Some(Value::from("x"))).unwrap_err(),
        failed("readonly")
    );
    assert_eq!(
        submit(&readonly, None).unwrap(),
        vec![("f".to_owned(), Value::from("fixed"))]
    );
    // A submitted null is a value: the variable becomes null.
    let plain = field("long", r#"defaultValue="7""#, &[]);
    assert_eq!(stored(&plain, Value::Null).unwrap(), Value::Null);
}

#[test]
fn longs_take_numbers_and_numeric_text_only() {
    let long = field("long", "", &[]);
    assert_eq!(stored(&long, Value::from("42")).unwrap(), Value::Long(42));
    assert_eq!(stored(&long, Value::from("-7")).unwrap(), Value::Long(-7));
    assert_eq!(stored(&long, Value::Integer(5)).unwrap(), Value::Long(5));
    assert_eq!(stored(&long, Value::Short(5)).unwrap(), Value::Long(5));
    let named = |message: &str| format!("Invalid value submitted for form field 'f': {message}");
    assert_eq!(
        stored(&long, Value::from("12a")).unwrap_err(),
        named("For input string: \"12a\"")
    );
    assert_eq!(
        stored(&long, Value::from(" 1")).unwrap_err(),
        named("For input string: \" 1\"")
    );
    assert_eq!(
        stored(&long, Value::Double(5.0)).unwrap_err(),
        named("For input string: \"5.0\"")
    );
    assert_eq!(
        stored(&long, Value::Boolean(true)).unwrap_err(),
        named("Value 'true' is not of type Long.")
    );
}

#[test]
fn booleans_take_booleans_and_text_as_java_reads_it() {
    let flag = field("boolean", "", &[]);
    assert_eq!(
        stored(&flag, Value::from("TRUE")).unwrap(),
        Value::Boolean(true)
    );
    assert_eq!(
        stored(&flag, Value::from("yes")).unwrap(),
        Value::Boolean(false)
    );
    assert_eq!(
        stored(&flag, Value::Boolean(true)).unwrap(),
        Value::Boolean(true)
    );
    assert!(
        stored(&flag, Value::Integer(1))
            .unwrap_err()
            .ends_with("Value '1' is not of type Boolean.")
    );
}

#[test]
fn strings_take_any_value_as_text() {
    let text = field("string", "", &[]);
    assert_eq!(stored(&text, Value::Integer(5)).unwrap(), Value::from("5"));
    assert_eq!(
        stored(&text, Value::Double(1e10)).unwrap(),
        Value::from("1.0E10")
    );
    assert_eq!(
        stored(&text, Value::Double(0.5)).unwrap(),
        Value::from("0.5")
    );
    assert_eq!(
        stored(&text, Value::Boolean(false)).unwrap(),
        Value::from("false")
    );
}

#[test]
fn enums_take_one_of_their_value_ids() {
    let choice = field("enum", "", &[]);
    assert_eq!(stored(&choice, Value::from("b")).unwrap(), Value::from("b"));
    assert!(
        stored(&choice, Value::from("B"))
            .unwrap_err()
            .ends_with("Invalid value for enum form property: B")
    );
    assert!(
        stored(&choice, Value::Integer(1))
            .unwrap_err()
            .ends_with("Value '1' is not of type String.")
    );
}

/// Milliseconds of a UTC date and time.
fn at(year: i64, month: u32, day: u32, hour: i64, minute: i64) -> i64 {
    date::days_from_civil(year, month, day) * MS_PER_DAY + hour * 3_600_000 + minute * 60_000
}

#[test]
fn dates_are_read_in_the_default_pattern_or_the_fields() {
    let default = field("date", "", &[]);
    assert_eq!(
        stored(&default, Value::from("10/01/2013")).unwrap(),
        Value::Date(at(2013, 1, 10, 0, 0))
    );
    // Trimmed, and empty means none.
    assert_eq!(
        stored(&default, Value::from(" 10/01/2013 ")).unwrap(),
        Value::Date(at(2013, 1, 10, 0, 0))
    );
    assert_eq!(stored(&default, Value::from("  ")).unwrap(), Value::Null);
    assert_eq!(
        stored(&default, Value::Date(12_345)).unwrap(),
        Value::Date(12_345)
    );
    assert!(
        stored(&default, Value::from("2013-01-10"))
            .unwrap_err()
            .ends_with(
                "Could not parse value '2013-01-10' as date using date format 'dd/MM/yyyy'."
            )
    );
    assert!(
        stored(&default, Value::Long(5))
            .unwrap_err()
            .ends_with("Value '5' cannot be transformed into a Date.")
    );
    let stamped = field("date", r#"datePattern="yyyy-MM-dd'T'HH:mm""#, &[]);
    assert_eq!(
        stored(&stamped, Value::from("2026-11-20T10:30")).unwrap(),
        Value::Date(at(2026, 11, 20, 10, 30))
    );
    let named = field("date", r#"datePattern="d MMMM yy, h a""#, &[]);
    assert_eq!(
        stored(&named, Value::from("5 march 24, 3 PM")).unwrap(),
        Value::Date(at(2024, 3, 5, 15, 0))
    );
}

#[test]
fn dates_are_read_leniently_as_simple_date_format_does() {
    let parts = date_pattern::compile("dd/MM/yyyy").unwrap();
    let read = |text: &str| parse_date(text, &parts, NOW);
    // Out-of-range values roll over; fewer digits are fine; trailing text is ignored.
    assert_eq!(read("32/01/2024"), Some(at(2024, 2, 1, 0, 0)));
    assert_eq!(read("1/13/2024"), Some(at(2025, 1, 1, 0, 0)));
    assert_eq!(read("00/03/2024"), Some(at(2024, 2, 29, 0, 0)));
    assert_eq!(read("5/6/2024 and more"), Some(at(2024, 6, 5, 0, 0)));
    assert_eq!(read("5/6"), None);
    assert_eq!(read("a/6/2024"), None);
    // Two-digit years fall within 80 years before now and 20 after.
    let short = date_pattern::compile("dd/MM/yy").unwrap();
    assert_eq!(
        parse_date("01/01/46", &short, NOW),
        Some(at(2046, 1, 1, 0, 0))
    );
    assert_eq!(
        parse_date("01/01/47", &short, NOW),
        Some(at(1947, 1, 1, 0, 0))
    );
    // Abutting numbers take exactly their letter count.
    let packed = date_pattern::compile("yyyyMMdd").unwrap();
    assert_eq!(
        parse_date("20240229", &packed, NOW),
        Some(at(2024, 2, 29, 0, 0))
    );
}

#[test]
fn dates_are_written_in_the_pattern() {
    let parts = date_pattern::compile("EEE, d MMM yyyy hh:mm:ss.SSS a").unwrap();
    let ms = at(2026, 11, 20, 22, 5) + 7_008;
    assert_eq!(format_date(ms, &parts), "Fri, 20 Nov 2026 10:05:07.008 PM");
    let parts = date_pattern::compile("dd/MM/yy kk:mm").unwrap();
    assert_eq!(format_date(at(2026, 1, 2, 0, 0), &parts), "02/01/26 24:00");
}

#[test]
fn fields_are_not_a_whitelist_and_the_business_key_field_is_left_alone() {
    let (fields, business_key) = fields(
        r#"<camunda:formData businessKey="ref">
             <camunda:formField id="ref" type="long"><camunda:validation>
               <camunda:constraint name="required" /></camunda:validation></camunda:formField>
             <camunda:formField id="amount" type="long" />
           </camunda:formData>"#,
    );
    assert_eq!(business_key.as_deref(), Some("ref"));
    let submitted = vec![
        ("ref".to_owned(), Value::from("not a number")),
        ("amount".to_owned(), Value::from("5")),
        ("note".to_owned(), Value::from("kept")),
    ];
    let out = super::submit(
        &fields,
        business_key.as_deref(),
        &ExprScope(&Vars::default()),
        submitted,
    )
    .unwrap();
    assert_eq!(
        out,
        vec![
            ("amount".to_owned(), Value::Long(5)),
            ("ref".to_owned(), Value::from("not a number")),
            ("note".to_owned(), Value::from("kept")),
        ]
    );
}

#[test]
fn a_default_expression_that_fails_names_the_problem() {
    let long = field("long", r#"defaultValue="${missing + 1}""#, &[]);
    let err = submit(&long, None).unwrap_err();
    assert!(err.contains("missing"), "{err}");
}

#[test]
fn form_variables_are_the_fields_typed_defaults_in_order() {
    let (fields, _) = fields(
        r#"<camunda:formData>
             <camunda:formField id="name" type="string" defaultValue="${greeting}" />
             <camunda:formField id="amount" type="long" defaultValue="${40 + 2}" />
             <camunda:formField id="ok" type="boolean" />
             <camunda:formField id="due" type="date" defaultValue="10/01/2013" />
             <camunda:formField id="since" type="date" datePattern="yyyy-MM-dd" />
             <camunda:formField id="size" type="enum" defaultValue="s"><camunda:value id="s" /></camunda:formField>
           </camunda:formData>
           <camunda:formProperty id="legacy" type="string" />"#,
    );
    let scope = vars(&[
        ("greeting", Value::from("hello")),
        ("ok", Value::Boolean(true)),
    ]);
    let got = form_variables(&fields, &ExprScope(&scope), None).unwrap();
    let shown: Vec<(&str, &str, Value)> = got
        .iter()
        .map(|v| (v.name.as_str(), v.type_name, v.value.clone()))
        .collect();
    assert_eq!(
        shown,
        vec![
            ("name", "String", Value::from("hello")),
            ("amount", "Long", Value::Long(42)),
            // A variable in scope wins over the default.
            ("ok", "Boolean", Value::Boolean(true)),
            ("due", "String", Value::from("10/01/2013")),
            ("since", "String", Value::from("")),
            ("size", "String", Value::from("s")),
        ]
    );
    let names = vec!["amount".to_owned(), "nope".to_owned()];
    let only = form_variables(&fields, &ExprScope(&scope), Some(&names)).unwrap();
    assert_eq!(only.len(), 1);
    // With no default, a typed null.
    let (untyped, _) = fields_long_without_default();
    let got = form_variables(&untyped, &ExprScope(&Vars::default()), None).unwrap();
    assert_eq!(
        (got[0].type_name, got[0].value.clone()),
        ("Long", Value::Null)
    );
}

fn fields_long_without_default() -> (Vec<FormField>, Option<String>) {
    fields(r#"<camunda:formData><camunda:formField id="n" type="long" /></camunda:formData>"#)
}

#[test]
fn legacy_form_properties_check_writable_and_required_and_rename() {
    let (fields, _) = fields(
        r#"<camunda:formProperty id="name" type="string" required="true" variable="customer" />
           <camunda:formProperty id="fixed" writable="false" default="${'x'}" />
           <camunda:formProperty id="count" type="long" />"#,
    );
    let scope = ExprScope(&Vars::default());
    let run = |submitted: Vec<(&str, Value)>| {
        let submitted = submitted
            .into_iter()
            .map(|(n, v)| (n.to_owned(), v))
            .collect();
        super::submit(&fields, None, &scope, submitted).map_err(|e| e.0)
    };
    assert_eq!(
        run(vec![
            ("name", Value::from("Ann")),
            ("count", Value::from("3"))
        ])
        .unwrap(),
        vec![
            ("customer".to_owned(), Value::from("Ann")),
            ("fixed".to_owned(), Value::from("x")),
            ("count".to_owned(), Value::Long(3)),
        ]
    );
    assert_eq!(run(vec![]).unwrap_err(), "form property 'name' is required");
    assert_eq!(
        run(vec![
            ("name", Value::from("Ann")),
            ("fixed", Value::from("y"))
        ])
        .unwrap_err(),
        "form property 'fixed' is not writable"
    );
    assert_eq!(
        run(vec![
            ("name", Value::from("Ann")),
            ("count", Value::from("three"))
        ])
        .unwrap_err(),
        "For input string: \"three\""
    );
}

#[test]
fn errors_carry_the_prefix_of_the_task_or_the_definition() {
    let error = FormError("x".into());
    assert_eq!(
        error.clone().for_task("t1").to_string(),
        "Cannot submit task form t1: x"
    );
    assert_eq!(
        error.for_start("p:1:u").to_string(),
        "Cannot instantiate process definition p:1:u: x"
    );
}

#[test]
fn the_rendered_form_is_camundas_markup_with_every_constraint_and_default() {
    let (fields, business_key) = fields(
        r#"<camunda:formData businessKey="ref">
             <camunda:formField id="ref" label="Reference" type="string" />
             <camunda:formField id="amount" label="Amount &lt;EUR&gt;" type="long" defaultValue="${40 + 2}">
               <camunda:validation><camunda:constraint name="required" /><camunda:constraint name="min" config="1" /></camunda:validation>
             </camunda:formField>
             <camunda:formField id="ok" type="boolean" />
             <camunda:formField id="due" type="date" datePattern="yyyy-MM-dd" />
             <camunda:formField id="size" label="Size" type="enum"><camunda:value id="s" name="Small &amp; &quot;cheap&quot;" /><camunda:value id="l" name="Large" /></camunda:formField>
           </camunda:formData>
           <camunda:formProperty id="legacy" name="Old" type="string" required="true" writable="false" />
           <camunda:formProperty id="hidden" readable="false" />"#,
    );
    let html = render_html(
        &fields,
        business_key.as_deref(),
        &ExprScope(&Vars::default()),
    )
    .unwrap()
    .expect("a form");
    assert!(
        html.starts_with("<form name=\"generatedForm\" role=\"form\">"),
        "{html}"
    );
    // The business-key field has no variable name.
    assert!(
        html.contains(r#"<input class="form-control" name="ref" cam-business-key type="text" />"#),
        "{html}"
    );
    // Constraints become attributes; the default is evaluated; labels escaped.
    assert!(
        html.contains(r#"<label for="amount">Amount &lt;EUR&gt;</label>"#),
        "{html}"
    );
    assert!(
        html.contains(
            r#"<input class="form-control" name="amount" cam-variable-type="Long" cam-variable-name="amount" required min="1" type="text" value="42" />"#
        ),
        "{html}"
    );
    assert!(
        html.contains(r#"cam-variable-name="ok" type="checkbox""#),
        "{html}"
    );
    assert!(
        html.contains(r#"cam-variable-type="String" cam-variable-name="due" type="text" datepicker-popup="yyyy-MM-dd""#),
        "{html}"
    );
    assert!(
        html.contains(r#"<option value="s">Small &amp; "cheap"</option>"#),
        "{html}"
    );
    assert!(html.contains("Only a long value is allowed"), "{html}");
    // A legacy property: required, read-only when not writable; an unreadable one is not shown.
    assert!(
        html.contains(r#"<label for="legacy">Old</label>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"cam-variable-name="legacy" required readonly"#),
        "{html}"
    );
    assert!(!html.contains("hidden"), "{html}");
    // Nothing to show: no form.
    let none = render_html(&[], None, &ExprScope(&Vars::default())).unwrap();
    assert_eq!(none, None);
}

#[test]
fn a_failing_default_fails_the_rendered_form() {
    let (fields, _) = fields(
        r#"<camunda:formData><camunda:formField id="n" type="long" defaultValue="${missing}" /></camunda:formData>"#,
    );
    let err = render_html(&fields, None, &ExprScope(&Vars::default())).unwrap_err();
    assert!(err.0.contains("missing"), "{err:?}");
}
