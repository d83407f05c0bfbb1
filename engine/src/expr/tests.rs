//! Unit tests for the evaluator.

use std::collections::HashMap;

use baton_bpmn::expr::parse;

use super::{as_bool, as_collection, eval_template};
use crate::expr::{EvalError, Scope};
use crate::value::Value;

/// 2026-11-20T10:00:00.000+0000.
const NOW: i64 = 1_795_168_800_000;

#[derive(Default)]
struct TestScope {
    vars: HashMap<String, Value>,
    locals: HashMap<String, Value>,
    business_key: Option<String>,
}

impl Scope for TestScope {
    fn variable(&self, name: &str) -> Option<Value> {
        self.locals
            .get(name)
            .or_else(|| self.vars.get(name))
            .cloned()
    }
    fn local_variable(&self, name: &str) -> Option<Value> {
        self.locals.get(name).cloned()
    }
    fn business_key(&self) -> Option<String> {
        self.business_key.clone()
    }
    fn now(&self) -> i64 {
        NOW
    }
}

fn json(text: &str) -> Value {
    Value::Json(text.to_owned())
}

fn scope() -> TestScope {
    let vars = [
        ("amount", Value::Long(1500)),
        ("small", Value::Integer(5)),
        ("short", Value::Short(7)),
        ("price", Value::Double(2.5)),
        ("approved", Value::Boolean(false)),
        ("tier", Value::from("gold")),
        ("name", Value::from("World")),
        ("numeric", Value::from("10")),
        ("decimal", Value::from("1.5")),
        ("word", Value::from("abc")),
        ("blank", Value::from("")),
        ("nothing", Value::Null),
        ("when", Value::Date(NOW)),
        ("list", json("[]")),
        ("map", json("{}")),
        (
            "customer",
            json(r#"{"name":"Ada","address":{"city":"Paris","zip":null},"vip":true}"#),
        ),
        (
            "items",
            json(r#"[{"sku":"A-1","qty":2,"price":1.25},{"sku":"B-2","qty":3000000000}]"#),
        ),
        ("tags", json(r#"["x","y",3]"#)),
        (
            "javaList",
            Value::Object {
                value: r#"["a","b"]"#.into(),
                object_type_name: Some("java.util.ArrayList".into()),
                serialization_format: Some("application/json".into()),
            },
        ),
        ("bytes", Value::Bytes(vec![1, 2])),
        ("xml", Value::Xml("<a/>".into())),
    ];
    TestScope {
        vars: vars
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect(),
        locals: [("mine".to_owned(), Value::Integer(1))].into(),
        business_key: Some("order-42".into()),
    }
}

fn eval(source: &str) -> Result<Value, EvalError> {
    let template = parse(source).unwrap_or_else(|e| panic!("{source:?}: {e}"));
    eval_template(&template, &scope())
}

fn ok(source: &str) -> Value {
    eval(source).unwrap_or_else(|e| panic!("{source:?} failed: {e}"))
}

fn err(source: &str) -> String {
    match eval(source) {
        Ok(v) => panic!("{source:?} gave {v:?}, expected an error"),
        Err(e) => e.0,
    }
}

fn check(cases: &[(&str, Value)]) {
    for (source, expected) in cases {
        assert_eq!(&ok(source), expected, "{source}");
    }
}

fn truth(cases: &[(&str, bool)]) {
    for (source, expected) in cases {
        assert_eq!(ok(source), Value::Boolean(*expected), "{source}");
    }
}

#[test]
fn literals() {
    check(&[
        ("${null}", Value::Null),
        ("${true}", Value::Boolean(true)),
        ("${false}", Value::Boolean(false)),
        ("${42}", Value::Long(42)),
        ("${1.5}", Value::Double(1.5)),
        ("${1e3}", Value::Double(1000.0)),
        ("${'it\\'s'}", Value::from("it's")),
        ("${\"double\"}", Value::from("double")),
        ("${-7}", Value::Long(-7)),
    ]);
}

#[test]
fn identifiers_read_variables_with_their_types() {
    check(&[
        ("${amount}", Value::Long(1500)),
        ("${small}", Value::Integer(5)),
        ("${short}", Value::Short(7)),
        ("${when}", Value::Date(NOW)),
        ("${nothing}", Value::Null),
        ("${mine}", Value::Integer(1)),
    ]);
}

#[test]
fn unknown_variables_are_named() {
    let message = err("${missing > 1}");
    assert!(
        message.contains("Cannot resolve identifier 'missing'"),
        "{message}"
    );
    assert!(
        message.starts_with("Unknown property used in expression: ${"),
        "{message}"
    );
    // Short-circuiting skips what is not needed.
    assert_eq!(ok("${true || missing}"), Value::Boolean(true));
    assert_eq!(ok("${false and missing}"), Value::Boolean(false));
    assert_eq!(ok("${true ? 1 : missing}"), Value::Long(1));
}

#[test]
fn long_logical_chains_evaluate_left_to_right_and_stop_at_the_deciding_term() {
    let chain = |op: &str, terms: &[String]| format!("${{{}}}", terms.join(op));
    let misses: Vec<String> = (0..500).map(|i| format!("amount == {i}")).collect();
    assert_eq!(ok(&chain(" || ", &misses)), Value::Boolean(false));
    let mut hit = misses.clone();
    hit[499] = "amount == 1500".to_owned();
    assert_eq!(ok(&chain(" || ", &hit)), Value::Boolean(true));
    // The first true term decides: what follows is not evaluated.
    hit[250] = "amount == 1500".to_owned();
    hit[251] = "missing".to_owned();
    assert_eq!(ok(&chain(" || ", &hit)), Value::Boolean(true));
    let passes: Vec<String> = (0..500).map(|i| format!("amount > {i}")).collect();
    assert_eq!(ok(&chain(" && ", &passes)), Value::Boolean(true));
    let mut fails = passes.clone();
    fails[300] = "approved".to_owned();
    fails[301] = "missing".to_owned();
    assert_eq!(ok(&chain(" and ", &fails)), Value::Boolean(false));
    // Before the deciding term, an unknown variable is an error, as in Camunda.
    fails[299] = "missing".to_owned();
    assert!(err(&chain(" && ", &fails)).contains("Cannot resolve identifier 'missing'"));
}

#[test]
fn conditions_as_models_write_them() {
    truth(&[
        ("${amount > 1000}", true),
        ("${amount gt 1000}", true),
        ("${small > 1000}", false),
        ("${not approved}", true),
        ("${!approved}", true),
        ("${tier == 'gold'}", true),
        ("${tier eq 'silver'}", false),
        ("${tier != 'silver'}", true),
        ("${tier ne 'gold'}", false),
        ("${empty list}", true),
        ("${not empty list}", false),
        ("${empty map}", true),
        ("${empty tags}", false),
        ("${empty nothing}", true),
        ("${empty blank}", true),
        ("${empty name}", false),
        ("${empty amount}", false),
        ("${amount > 100 && tier == 'gold'}", true),
        ("${amount > 100 and approved}", false),
        ("${approved || small < 10}", true),
        ("${approved or small ge 10}", false),
    ]);
}

#[test]
fn relational_operators_in_both_spellings() {
    truth(&[
        ("${1 < 2}", true),
        ("${1 lt 2}", true),
        ("${2 <= 2}", true),
        ("${2 le 1}", false),
        ("${3 >= 4}", false),
        ("${3 ge 3}", true),
        ("${small gt short}", false),
        ("${price < 3}", true),
        ("${price > small}", false),
        ("${numeric > 9}", true),
        ("${'b' > 'a'}", true),
        ("${'B' < 'a'}", true),
        ("${'apple' lt 'banana'}", true),
        ("${when >= when}", true),
        ("${true > false}", true),
        // Null never compares, except null <= null.
        ("${nothing < 1}", false),
        ("${nothing > 1}", false),
        ("${nothing <= nothing}", true),
        ("${nothing < nothing}", false),
    ]);
    assert!(err("${when > 5}").contains("Long"));
    assert!(err("${word > 5}").contains("'abc'"));
    assert!(err("${list < map}").contains("Cannot compare"));
}

#[test]
fn equality_coerces_numbers_across_types() {
    truth(&[
        ("${small == 5}", true),
        ("${small eq 5}", true),
        ("${short == 7}", true),
        ("${amount == 1500}", true),
        ("${amount == 1500.0}", true),
        ("${price == 2.5}", true),
        ("${small == 5.0}", true),
        ("${small != 6}", true),
        ("${numeric == 10}", true),
        ("${numeric == 10.0}", true),
        ("${1 == 1.0}", true),
        ("${0.1 + 0.2 == 0.3}", false),
        ("${approved == false}", true),
        ("${approved == 'false'}", true),
        ("${true == 'TRUE'}", true),
        ("${true == 'yes'}", false),
        ("${tier == 'Gold'}", false),
        ("${nothing == null}", true),
        ("${null == null}", true),
        ("${amount == null}", false),
        ("${null != tier}", true),
        ("${when == when}", true),
        ("${customer.address == customer['address']}", true),
        ("${javaList == javaList}", true),
        ("${list == map}", false),
        // A Date compares with a String as text.
        ("${when == '2026-11-20T10:00:00.000+0000'}", true),
    ]);
    // JUEL refuses to coerce a non-number to a number, or a number to a Boolean.
    assert!(err("${word == 5}").contains("Cannot coerce 'abc' of type String to Long"));
    assert!(err("${true == 1}").contains("Boolean"));
}

#[test]
fn arithmetic_follows_juel_coercion() {
    check(&[
        ("${1 + 2}", Value::Long(3)),
        ("${small + short}", Value::Long(12)),
        ("${amount - 500}", Value::Long(1000)),
        ("${small * 3}", Value::Long(15)),
        ("${price * 2}", Value::Double(5.0)),
        ("${1.5 + 1}", Value::Double(2.5)),
        ("${numeric + 1}", Value::Long(11)),
        ("${decimal + 1}", Value::Double(2.5)),
        ("${'1e2' + 0}", Value::Double(100.0)),
        ("${nothing + 1}", Value::Long(1)),
        ("${null + null}", Value::Long(0)),
        ("${blank + 1}", Value::Long(1)),
        ("${7 % 3}", Value::Long(1)),
        ("${7 mod 3}", Value::Long(1)),
        ("${-7 % 3}", Value::Long(-1)),
        ("${7.5 % 2}", Value::Double(1.5)),
        ("${2 + 3 * 4 - 10 / 4}", Value::Double(11.5)),
        ("${(2 + 3) * 4}", Value::Long(20)),
    ]);
}

#[test]
fn division_is_always_in_doubles() {
    check(&[
        ("${10 / 4}", Value::Double(2.5)),
        ("${10 div 5}", Value::Double(2.0)),
        ("${small / 2}", Value::Double(2.5)),
        ("${1 / 0}", Value::Double(f64::INFINITY)),
        ("${-1 / 0}", Value::Double(f64::NEG_INFINITY)),
        ("${null / null}", Value::Long(0)),
    ]);
    assert!(matches!(ok("${0 / 0}"), Value::Double(f) if f.is_nan()));
    assert!(err("${1 % 0}").contains("Division by zero"));
}

#[test]
fn overflow_is_an_error() {
    let message = err("${9223372036854775807 + 1}");
    assert!(message.contains("overflow"), "{message}");
    assert!(err("${4611686018427387904 * 2}").contains("overflow"));
    assert!(err("${-9223372036854775807 - 2}").contains("overflow"));
    // The one remainder that overflows in Rust is fine in Java.
    assert_eq!(ok("${(-9223372036854775807 - 1) % -1}"), Value::Long(0));
    // Doubles just grow.
    assert_eq!(
        ok("${9223372036854775807 + 1.0}"),
        Value::Double(9_223_372_036_854_775_808.0)
    );
}

#[test]
fn strings_are_not_concatenated_by_plus() {
    let message = err("${name + '!'}");
    assert!(message.contains("'World'"), "{message}");
    assert!(err("${approved + 1}").contains("Boolean"));
    assert!(err("${customer + 1}").contains("Json"));
}

#[test]
fn negation_keeps_the_type() {
    check(&[
        ("${-small}", Value::Integer(-5)),
        ("${-short}", Value::Short(-7)),
        ("${-amount}", Value::Long(-1500)),
        ("${-price}", Value::Double(-2.5)),
        ("${-numeric}", Value::Long(-10)),
        ("${-decimal}", Value::Double(-1.5)),
        ("${-nothing}", Value::Long(0)),
        ("${--1}", Value::Long(1)),
    ]);
    assert!(err("${-word}").contains("'abc'"));
    assert!(err("${-approved}").contains("Boolean"));
}

#[test]
fn logic_coerces_to_boolean() {
    truth(&[
        ("${!nothing}", true),
        ("${not 'true'}", false),
        ("${not 'TRUE'}", false),
        ("${not 'yes'}", true),
        ("${'true' && 'true'}", true),
        ("${nothing || approved}", false),
    ]);
    let message = err("${!amount}");
    assert!(
        message.contains("Cannot coerce '1500' of type Long to Boolean"),
        "{message}"
    );
    assert!(err("${amount && true}").contains("Boolean"));
}

#[test]
fn conditional() {
    check(&[
        ("${amount > 1000 ? 'big' : 'small'}", Value::from("big")),
        ("${small > 1000 ? 'big' : 'small'}", Value::from("small")),
        ("${nothing ? 1 : 2}", Value::Long(2)),
        ("${'true' ? 1 : 2}", Value::Long(1)),
        ("${approved ? 1 : approved ? 2 : 3}", Value::Long(3)),
        (
            "${true ? customer.address : null}",
            json(r#"{"city":"Paris","zip":null}"#),
        ),
    ]);
    assert!(err("${small ? 1 : 2}").contains("Boolean"));
}

#[test]
fn json_navigation() {
    check(&[
        ("${customer.name}", Value::from("Ada")),
        ("${customer.address.city}", Value::from("Paris")),
        ("${customer['address']['city']}", Value::from("Paris")),
        ("${customer.address['city']}", Value::from("Paris")),
        ("${customer.vip}", Value::Boolean(true)),
        ("${customer.address.zip}", Value::Null),
        ("${customer.missing}", Value::Null),
        ("${customer[null]}", Value::Null),
        ("${items[0].sku}", Value::from("A-1")),
        ("${items[1]['sku']}", Value::from("B-2")),
        ("${items['1'].sku}", Value::from("B-2")),
        ("${items[0].qty}", Value::Integer(2)),
        ("${items[1].qty}", Value::Long(3_000_000_000)),
        ("${items[0].price}", Value::Double(1.25)),
        ("${items[small - 5].sku}", Value::from("A-1")),
        ("${items[2]}", Value::Null),
        ("${items[-1]}", Value::Null),
        ("${javaList[1]}", Value::from("b")),
        ("${tags[2] + 1}", Value::Long(4)),
        ("${items[0].qty * 2}", Value::Long(4)),
        (
            "${customer.address}",
            json(r#"{"city":"Paris","zip":null}"#),
        ),
        ("${items[0]}", json(r#"{"price":1.25,"qty":2,"sku":"A-1"}"#)),
    ]);
    truth(&[
        ("${customer.address.city == 'Paris'}", true),
        ("${customer.missing == null}", true),
        ("${empty customer.missing}", true),
        ("${empty customer.address}", false),
        ("${items[0].qty > 1}", true),
    ]);
}

#[test]
fn navigation_errors_name_the_property() {
    let message = err("${customer.address.zip.code}");
    assert!(message.contains("'code'"), "{message}");
    assert!(message.contains("null"), "{message}");
    assert!(err("${nothing.b}").contains("Cannot read property 'b' of null"));
    assert!(err("${nothing['b']}").contains("'b'"));
    assert!(err("${items.sku}").contains("'sku'"));
    assert!(err("${items['x']}").contains("'x'"));
    assert!(err("${amount.value}").contains("'value'"));
    assert!(err("${name.length}").contains("'length'"));
    assert!(err("${xml.a}").contains("Xml"));
    assert!(err("${customer.name.first}").contains("'first'"));
}

#[test]
fn methods_on_values() {
    check(&[
        ("${items.size()}", Value::Integer(2)),
        ("${customer.size()}", Value::Integer(3)),
        ("${list.size()}", Value::Integer(0)),
        ("${javaList.size()}", Value::Integer(2)),
        ("${name.size()}", Value::Integer(5)),
        ("${name.length()}", Value::Integer(5)),
        ("${list.isEmpty()}", Value::Boolean(true)),
        ("${items.isEmpty()}", Value::Boolean(false)),
        ("${blank.isEmpty()}", Value::Boolean(true)),
        ("${tags.contains('y')}", Value::Boolean(true)),
        ("${tags.contains('z')}", Value::Boolean(false)),
        ("${tags.contains(3)}", Value::Boolean(true)),
        ("${javaList.contains('a')}", Value::Boolean(true)),
        ("${name.contains('orl')}", Value::Boolean(true)),
        ("${name.contains('x')}", Value::Boolean(false)),
        ("${tier.equals('gold')}", Value::Boolean(true)),
        ("${small.equals(5)}", Value::Boolean(true)),
        ("${word.equals(5)}", Value::Boolean(false)),
        ("${amount.toString()}", Value::from("1500")),
        ("${price.toString()}", Value::from("2.5")),
        (
            "${customer.address.toString()}",
            Value::from(r#"{"city":"Paris","zip":null}"#),
        ),
        ("${items.size() > 1}", Value::Boolean(true)),
    ]);
    assert!(err("${items.size(1)}").contains("size"));
    assert!(err("${amount.size()}").contains("size"));
    assert!(err("${customer.isVip()}").contains("isVip"));
    assert!(err("${nothing.size()}").contains("size"));
    assert!(err("${name.length(2)}").contains("length"));
}

#[test]
fn execution_methods() {
    check(&[
        ("${execution.getVariable('amount')}", Value::Long(1500)),
        ("${execution.getVariable(\"tier\")}", Value::from("gold")),
        ("${execution.getVariable('missing')}", Value::Null),
        ("${execution.getVariableLocal('mine')}", Value::Integer(1)),
        ("${execution.getVariableLocal('amount')}", Value::Null),
        ("${execution.hasVariable('amount')}", Value::Boolean(true)),
        ("${execution.hasVariable('missing')}", Value::Boolean(false)),
        (
            "${execution.hasVariableLocal('mine')}",
            Value::Boolean(true),
        ),
        (
            "${execution.hasVariableLocal('amount')}",
            Value::Boolean(false),
        ),
        ("${execution.getBusinessKey()}", Value::from("order-42")),
        (
            "${execution.getProcessBusinessKey()}",
            Value::from("order-42"),
        ),
        ("${execution.processBusinessKey}", Value::from("order-42")),
        ("${execution.businessKey}", Value::from("order-42")),
        (
            "${execution.getVariable('customer').address.city}",
            Value::from("Paris"),
        ),
    ]);
    truth(&[("${execution.getVariable('x') == null}", true)]);
    assert!(err("${execution.setVariable('x', 1)}").contains("setVariable"));
    assert!(err("${execution.getVariable()}").contains("getVariable"));
    assert!(err("${execution}").contains("execution"));
    assert!(err("${execution.processInstanceId}").contains("execution"));

    let no_key = TestScope::default();
    let template = parse("${execution.getBusinessKey()}").expect("parses");
    assert_eq!(eval_template(&template, &no_key), Ok(Value::Null));
}

#[test]
fn clock_functions() {
    check(&[
        ("${now()}", Value::Date(NOW)),
        ("${dateTime().toDate()}", Value::Date(NOW)),
        ("${dateTime()}", Value::Date(NOW)),
    ]);
    truth(&[("${now() == when}", true), ("${now() >= when}", true)]);
    assert!(err("${dateTime().plusDays(1)}").contains("plusDays"));
    assert!(err("${now(1)}").contains("now"));
    assert!(err("${fn:contains('a', 'b')}").contains("fn:contains"));
    assert!(err("${now().getTime()}").contains("getTime"));
}

#[test]
fn templates() {
    check(&[
        ("Hello ${name}!", Value::from("Hello World!")),
        ("plain text", Value::from("plain text")),
        ("", Value::from("")),
        (" ${amount}", Value::from(" 1500")),
        ("${amount}${small}", Value::from("15005")),
        ("${price}/${1.0}/${2e20}", Value::from("2.5/1.0/2e20")),
        ("[${nothing}]", Value::from("[]")),
        ("${approved} ${1 / 0}", Value::from("false Infinity")),
        ("at ${when}", Value::from("at 2026-11-20T10:00:00.000+0000")),
        (
            "addr: ${customer.address}",
            Value::from(r#"addr: {"city":"Paris","zip":null}"#),
        ),
        ("#{amount} items", Value::from("1500 items")),
        ("cost \\${x}", Value::from("cost ${x}")),
    ]);
    assert!(err("Hello ${missing}").contains("Cannot resolve identifier 'missing'"));
}

#[test]
fn as_bool_coerces_as_juel() {
    assert_eq!(as_bool(&Value::Boolean(true)), Ok(true));
    assert_eq!(as_bool(&Value::Boolean(false)), Ok(false));
    assert_eq!(as_bool(&Value::from("TRUE")), Ok(true));
    assert_eq!(as_bool(&Value::from("false")), Ok(false));
    assert_eq!(as_bool(&Value::from("yes")), Ok(false));
    assert_eq!(as_bool(&Value::Null), Ok(false));
    let message = as_bool(&Value::Integer(1))
        .expect_err("an Integer is no Boolean")
        .0;
    assert!(
        message.contains("Cannot coerce '1' of type Integer to Boolean"),
        "{message}"
    );
    assert!(as_bool(&json("true")).is_err());
}

#[test]
fn as_collection_reads_json_arrays() {
    assert_eq!(
        as_collection(&json(
            r#"["a", 2, 3000000000, 1.5, null, true, {"k": 1}, [1]]"#
        )),
        Ok(vec![
            Value::from("a"),
            Value::Integer(2),
            Value::Long(3_000_000_000),
            Value::Double(1.5),
            Value::Null,
            Value::Boolean(true),
            Value::infer(&serde_json::json!({"k": 1})),
            Value::infer(&serde_json::json!([1])),
        ])
    );
    assert_eq!(as_collection(&json("[]")), Ok(vec![]));
    let java_list = scope().vars["javaList"].clone();
    assert_eq!(
        as_collection(&java_list),
        Ok(vec![Value::from("a"), Value::from("b")])
    );
    // The value of a navigated expression works too.
    let items = ok("${customer.address.city == 'Paris' ? items : null}");
    assert_eq!(as_collection(&items).map(|v| v.len()), Ok(2));
}

#[test]
fn as_collection_refuses_the_rest() {
    let null = as_collection(&Value::Null)
        .expect_err("null is no collection")
        .0;
    assert_eq!(null, "The collection is null");
    let text = as_collection(&Value::from("a,b,c"))
        .expect_err("a string is no collection")
        .0;
    assert!(text.contains("String"), "{text}");
    assert!(text.contains("Collection"), "{text}");
    let object = as_collection(&json(r#"{"a":1}"#)).expect_err("an object").0;
    assert!(object.contains("object"), "{object}");
    let broken = as_collection(&json("[1,")).expect_err("not JSON").0;
    assert!(broken.contains("Json"), "{broken}");
    let number = as_collection(&Value::Long(3)).expect_err("a number").0;
    assert!(number.contains("Long"), "{number}");
    let opaque = Value::Object {
        value: "rO0AB".into(),
        object_type_name: Some("java.util.ArrayList".into()),
        serialization_format: Some("application/x-java-serialized-object".into()),
    };
    assert!(as_collection(&opaque).is_err());
}

#[test]
fn nothing_panics_on_odd_input() {
    let sources = [
        "${items[1e300]}",
        "${items[-1e300]}",
        "${items[0/0]}",
        "${customer[items]}",
        "${bytes.size()}",
        "${bytes == bytes}",
        "${-(-9223372036854775807 - 1)}",
        "${xml == xml}",
        "${'NaN' + 1.0}",
        "${'-Infinity' * 1.0}",
        "${'inf' + 1.0}",
        "${1e308 * 10}",
        "${customer.address.city.size()}",
        "${tags[2].size()}",
    ];
    for source in sources {
        let _ = eval(source);
    }
    assert!(err("${-(-9223372036854775807 - 1)}").contains("overflow"));
    assert!(err("${'inf' + 1.0}").contains("'inf'"));
    assert!(matches!(ok("${'NaN' + 1.0}"), Value::Double(f) if f.is_nan()));
    assert_eq!(ok("${bytes == bytes}"), Value::Boolean(true));
    assert_eq!(ok("${customer[items]}"), Value::Null);
}
