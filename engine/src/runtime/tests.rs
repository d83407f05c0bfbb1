//! The interpreter alone, on plain values: a model parsed in memory, an instance
//! with a sequence for ids and a fixed clock, no database. Each test drives a
//! [`Run`] and asserts the effects it returns and the execution tree it leaves;
//! the property test runs random models with random worker outcomes.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use proptest::prelude::*;

use super::state::{Ids, Vars};
use super::{Effect, EndState, ExecKind, HistoryEvent, Instance, Run, TaskSpec, Wait};
use crate::graph::Graph;
use crate::value::Value;

/// 2026-12-07T00:00:00Z.
const NOW: i64 = 1_796_601_600_000;

/// The definition of `<process id="p">` with `body`.
fn graph(body: &str) -> Arc<Graph> {
    let xml = format!(
        r#"<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
           <error id="Err" errorCode="E" />
           <process id="p" isExecutable="true">{body}</process></definitions>"#
    );
    let parsed = baton_bpmn::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let process = parsed
        .definitions
        .processes
        .into_iter()
        .next()
        .expect("a process");
    Arc::new(Graph::new("p:1:def".into(), 1, "dep".into(), None, process))
}

/// A new instance `pi` of `graph` with `variables`, its ids `id1`, `id2`, ...
fn instance(graph: Arc<Graph>, variables: &[(&str, Value)]) -> Instance {
    let mut inst = Instance {
        id: "pi".into(),
        graph,
        business_key: None,
        super_ref: None,
        root_instance_id: "pi".into(),
        tenant_id: None,
        start_time: NOW,
        execs: Vec::new(),
        vars: Vars::default(),
        is_new: true,
        ended: None,
        rev: 0,
        var_writes: 0,
        conditions_seen: 0,
        ids: Ids::Sequence(Arc::new(AtomicU64::new(0))),
        var_events: Vec::new(),
        waiting: Vec::new(),
    };
    for (name, value) in variables {
        inst.put("pi", name, value.clone());
    }
    inst
}

/// Starts `inst` at its `start` event; the effects.
fn start(inst: &mut Instance) -> Vec<Effect> {
    let node = inst
        .graph
        .node_id("start")
        .expect("a start event named start");
    let mut fx = Vec::new();
    Run::new(inst, &mut fx, NOW).start(node);
    fx
}

/// Completes the activity of `exec`; the effects.
fn complete(inst: &mut Instance, exec: &str) -> Vec<Effect> {
    let mut fx = Vec::new();
    Run::new(inst, &mut fx, NOW).complete(exec);
    fx
}

/// The external tasks the effects create.
fn tasks(fx: &[Effect]) -> Vec<TaskSpec> {
    fx.iter()
        .filter_map(|f| match f {
            Effect::CreateTask(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// The element ids of the activity instances the effects start, in order.
fn started(fx: &[Effect]) -> Vec<String> {
    fx.iter()
        .filter_map(|f| match f {
            Effect::History(HistoryEvent::ActivityStart { activity_id, .. }) => {
                Some(activity_id.clone())
            }
            _ => None,
        })
        .collect()
}

const FLOW: &str = r#"
  <startEvent id="start" />
  <sequenceFlow id="f1" sourceRef="start" targetRef="work" />
  <serviceTask id="work" camunda:type="external" camunda:topic="work" />
  <sequenceFlow id="f2" sourceRef="work" targetRef="end" />
  <endEvent id="end" />"#;

#[test]
fn a_run_is_a_function_of_its_inputs() {
    let g = graph(FLOW);
    let mut a = instance(g.clone(), &[]);
    let mut b = instance(g, &[]);
    assert_eq!(start(&mut a), start(&mut b));
    assert_eq!(a.execs, b.execs);
}

#[test]
fn a_token_waits_at_an_external_task_and_ends_when_it_completes() {
    let mut inst = instance(graph(FLOW), &[]);
    let fx = start(&mut inst);
    assert_eq!(started(&fx), ["start", "work"]);
    let created = tasks(&fx);
    assert_eq!(created.len(), 1);
    assert_eq!(
        (created[0].topic.as_str(), created[0].activity_id.as_str()),
        ("work", "work")
    );
    let waiting = inst.exec(&created[0].exec).expect("the waiting execution");
    assert_eq!(waiting.wait, Wait::ExternalTask(created[0].id.clone()));
    assert_eq!(inst.ended, None);

    let fx = complete(&mut inst, &created[0].exec);
    assert_eq!(started(&fx), ["end"]);
    assert!(fx.contains(&Effect::Ended), "{fx:?}");
    assert!(
        fx.iter().any(|f| matches!(f,
            Effect::History(HistoryEvent::ProcessEnd { state: EndState::Completed, end_activity: Some(e), .. })
                if e == "end")),
        "{fx:?}"
    );
    assert_eq!(inst.ended, Some(EndState::Completed));
    assert!(inst.execs.is_empty());
}

#[test]
fn an_exclusive_gateway_takes_the_first_true_flow_or_the_default_and_fails_without_either() {
    let body = |default: &str| {
        format!(
            r#"<startEvent id="start" />
               <sequenceFlow id="f0" sourceRef="start" targetRef="xor" />
               <exclusiveGateway id="xor" {default} />
               <sequenceFlow id="big" sourceRef="xor" targetRef="a"><conditionExpression>${{x &gt; 10}}</conditionExpression></sequenceFlow>
               <sequenceFlow id="small" sourceRef="xor" targetRef="b"><conditionExpression>${{x &lt; 0}}</conditionExpression></sequenceFlow>
               <sequenceFlow id="other" sourceRef="xor" targetRef="c" />
               <serviceTask id="a" camunda:type="external" camunda:topic="a" />
               <serviceTask id="b" camunda:type="external" camunda:topic="b" />
               <serviceTask id="c" camunda:type="external" camunda:topic="c" />"#
        )
    };
    let topic = |x: i32, model: &str| {
        let mut inst = instance(graph(model), &[("x", Value::Integer(x))]);
        let fx = start(&mut inst);
        (tasks(&fx), fx)
    };
    let with_default = body(r#"default="other""#);
    assert_eq!(topic(11, &with_default).0[0].topic, "a");
    assert_eq!(topic(-1, &with_default).0[0].topic, "b");
    assert_eq!(topic(5, &with_default).0[0].topic, "c");
    // Without a default, a flow without condition always holds.
    let plain = body("");
    assert_eq!(topic(11, &plain).0[0].topic, "a");

    // Only conditional flows and none true: an incident at the gateway.
    let strict = graph(
        r#"<startEvent id="start" />
           <sequenceFlow id="f0" sourceRef="start" targetRef="xor" />
           <exclusiveGateway id="xor" />
           <sequenceFlow id="big" sourceRef="xor" targetRef="a"><conditionExpression>${x &gt; 10}</conditionExpression></sequenceFlow>
           <serviceTask id="a" camunda:type="external" camunda:topic="a" />"#,
    );
    let mut inst = instance(strict, &[("x", Value::Integer(1))]);
    let fx = start(&mut inst);
    let incident = fx
        .iter()
        .find_map(|f| match f {
            Effect::Incident(i) => Some(i.clone()),
            _ => None,
        })
        .expect("an incident");
    assert_eq!(incident.kind, "failedJob");
    assert_eq!(incident.activity_id, "xor");
    assert!(
        incident.message.contains("No outgoing sequence flow"),
        "{incident:?}"
    );
    let parked = inst.exec(&incident.exec).expect("the parked execution");
    assert_eq!(parked.wait, Wait::Failed(incident.id));
}

#[test]
fn a_parallel_join_waits_for_every_branch() {
    let mut inst = instance(
        graph(
            r#"<startEvent id="start" />
               <sequenceFlow id="f0" sourceRef="start" targetRef="fork" />
               <parallelGateway id="fork" />
               <sequenceFlow id="fa" sourceRef="fork" targetRef="a" />
               <sequenceFlow id="fb" sourceRef="fork" targetRef="b" />
               <serviceTask id="a" camunda:type="external" camunda:topic="a" />
               <serviceTask id="b" camunda:type="external" camunda:topic="b" />
               <sequenceFlow id="ja" sourceRef="a" targetRef="join" />
               <sequenceFlow id="jb" sourceRef="b" targetRef="join" />
               <parallelGateway id="join" />
               <sequenceFlow id="f9" sourceRef="join" targetRef="end" />
               <endEvent id="end" />"#,
        ),
        &[],
    );
    let created = tasks(&start(&mut inst));
    assert_eq!(created.len(), 2);
    let fx = complete(&mut inst, &created[0].exec);
    assert_eq!(started(&fx), ["join"], "the first token waits at the join");
    assert!(
        inst.execs.iter().any(|e| e.wait == Wait::Join),
        "{:?}",
        inst.execs
    );
    let fx = complete(&mut inst, &created[1].exec);
    assert_eq!(started(&fx), ["join", "end"]);
    assert_eq!(inst.ended, Some(EndState::Completed));
}

#[test]
fn an_error_thrown_at_a_task_leaves_by_its_boundary_event() {
    let mut inst = instance(
        graph(
            r#"<startEvent id="start" />
               <sequenceFlow id="f0" sourceRef="start" targetRef="work" />
               <serviceTask id="work" camunda:type="external" camunda:topic="work" />
               <boundaryEvent id="failed" attachedToRef="work"><errorEventDefinition errorRef="Err" /></boundaryEvent>
               <sequenceFlow id="f1" sourceRef="work" targetRef="done" />
               <sequenceFlow id="f2" sourceRef="failed" targetRef="repair" />
               <serviceTask id="repair" camunda:type="external" camunda:topic="repair" />
               <sequenceFlow id="f3" sourceRef="repair" targetRef="done" />
               <endEvent id="done" />"#,
        ),
        &[],
    );
    let created = tasks(&start(&mut inst));
    let mut fx = Vec::new();
    Run::new(&mut inst, &mut fx, NOW).throw_error(&created[0].exec, "E", Some("no stock"));
    assert_eq!(started(&fx), ["failed", "repair"]);
    assert_eq!(tasks(&fx)[0].topic, "repair");
    assert!(
        inst.exec(&created[0].exec).is_none(),
        "the task was cancelled"
    );
}

#[test]
fn a_parallel_multi_instance_creates_one_task_per_instance_and_leaves_after_the_last() {
    let mut inst = instance(
        graph(
            r#"<startEvent id="start" />
               <sequenceFlow id="f0" sourceRef="start" targetRef="each" />
               <serviceTask id="each" camunda:type="external" camunda:topic="each">
                 <multiInstanceLoopCharacteristics><loopCardinality>3</loopCardinality></multiInstanceLoopCharacteristics>
               </serviceTask>
               <sequenceFlow id="f1" sourceRef="each" targetRef="end" />
               <endEvent id="end" />"#,
        ),
        &[],
    );
    let created = tasks(&start(&mut inst));
    assert_eq!(created.len(), 3);
    let body = inst
        .execs
        .iter()
        .find(|e| e.kind == ExecKind::MiBody)
        .expect("a body")
        .id
        .clone();
    assert_eq!(
        inst.local_variable(&body, "nrOfInstances"),
        Some(&Value::Integer(3))
    );
    for t in &created[..2] {
        complete(&mut inst, &t.exec);
        assert_eq!(inst.ended, None);
    }
    let fx = complete(&mut inst, &created[2].exec);
    assert_eq!(started(&fx), ["end"]);
    assert_eq!(inst.ended, Some(EndState::Completed));
}

#[test]
fn a_timer_catch_event_arms_a_timer_due_after_its_duration_on_the_runs_clock() {
    let mut inst = instance(
        graph(
            r#"<startEvent id="start" />
               <sequenceFlow id="f0" sourceRef="start" targetRef="wait" />
               <intermediateCatchEvent id="wait"><timerEventDefinition><timeDuration>PT5M</timeDuration></timerEventDefinition></intermediateCatchEvent>
               <sequenceFlow id="f1" sourceRef="wait" targetRef="end" />
               <endEvent id="end" />"#,
        ),
        &[],
    );
    let fx = start(&mut inst);
    let (exec, due) = fx
        .iter()
        .find_map(|f| match f {
            Effect::Arm(c) => match &c.kind {
                super::CatcherKind::Timer { due, .. } => Some((c.exec.clone(), *due)),
                _ => None,
            },
            _ => None,
        })
        .expect("a timer");
    assert_eq!(due, NOW + 5 * 60 * 1000);
    let mut fx = Vec::new();
    Run::new(&mut inst, &mut fx, NOW).fire(&exec, "wait", Vec::new(), Vec::new());
    assert_eq!(started(&fx), ["end"]);
    assert_eq!(inst.ended, Some(EndState::Completed));
}

/// A task with an interrupting conditional boundary event `attributes` and
/// `condition`, leaving to `escaped`.
fn guarded(attributes: &str, condition: &str) -> Arc<Graph> {
    graph(&format!(
        r#"<startEvent id="start" />
           <sequenceFlow id="f0" sourceRef="start" targetRef="work" />
           <serviceTask id="work" camunda:type="external" camunda:topic="work" />
           <boundaryEvent id="when" attachedToRef="work">
             <conditionalEventDefinition {attributes}><condition>{condition}</condition></conditionalEventDefinition>
           </boundaryEvent>
           <sequenceFlow id="f1" sourceRef="when" targetRef="escaped" />
           <serviceTask id="escaped" camunda:type="external" camunda:topic="escaped" />"#
    ))
}

/// Sets `name` to `value` as the variables API does; the effects.
fn set(inst: &mut Instance, name: &str, value: Value) -> Vec<Effect> {
    inst.set_variable("pi", name, value);
    let mut fx = Vec::new();
    Run::new(inst, &mut fx, NOW).variables_changed();
    fx
}

#[test]
fn a_conditional_event_with_a_variable_name_listens_to_that_variable_only() {
    let mut inst = instance(
        guarded(r#"camunda:variableName="go""#, "${flag}"),
        &[("flag", Value::Boolean(false))],
    );
    start(&mut inst);
    // The condition would hold now, but `flag` is not the variable it listens to.
    assert!(tasks(&set(&mut inst, "flag", Value::Boolean(true))).is_empty());
    let fx = set(&mut inst, "go", Value::Integer(1));
    assert_eq!(tasks(&fx)[0].topic, "escaped", "{fx:?}");
}

#[test]
fn a_conditional_event_with_variable_events_listens_to_those_changes_only() {
    let mut inst = instance(
        guarded(r#"camunda:variableEvents="update""#, "${x > 5}"),
        &[],
    );
    start(&mut inst);
    // Created, not updated: nothing, though the condition holds.
    assert!(tasks(&set(&mut inst, "x", Value::Integer(10))).is_empty());
    let fx = set(&mut inst, "x", Value::Integer(11));
    assert_eq!(tasks(&fx)[0].topic, "escaped", "{fx:?}");

    // Without either, any change counts, and the condition is evaluated when the
    // task starts.
    let mut inst = instance(guarded("", "${x > 5}"), &[("x", Value::Integer(9))]);
    let fx = start(&mut inst);
    assert_eq!(
        tasks(&fx)
            .iter()
            .map(|t| t.topic.as_str())
            .collect::<Vec<_>>(),
        ["work", "escaped"]
    );
}

#[test]
fn an_async_boundary_event_parks_its_token_until_its_job_runs() {
    let mut inst = instance(
        graph(
            r#"<startEvent id="start" />
               <sequenceFlow id="f0" sourceRef="start" targetRef="work" />
               <serviceTask id="work" camunda:type="external" camunda:topic="work" />
               <boundaryEvent id="late" attachedToRef="work" camunda:asyncBefore="true">
                 <timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition>
               </boundaryEvent>
               <sequenceFlow id="f1" sourceRef="late" targetRef="chase" />
               <serviceTask id="chase" camunda:type="external" camunda:topic="chase" />"#,
        ),
        &[],
    );
    let created = tasks(&start(&mut inst));
    let mut fx = Vec::new();
    Run::new(&mut inst, &mut fx, NOW).fire(&created[0].exec, "late", Vec::new(), Vec::new());
    // The timer fired and interrupted the task; the boundary event waits for its job.
    assert!(started(&fx).is_empty(), "{fx:?}");
    let parked = inst
        .execs
        .iter()
        .find(|e| e.activity == "late")
        .expect("the boundary event's execution")
        .clone();
    assert_eq!(parked.wait, Wait::Async { after: false });
    let mut fx = Vec::new();
    Run::new(&mut inst, &mut fx, NOW).continue_async(&parked.id);
    assert_eq!(started(&fx), ["late", "chase"]);
    assert_eq!(tasks(&fx)[0].topic, "chase");
}

// ---------------------------------------------------------------------------
// Random models, random outcomes.

/// A piece of a random model.
#[derive(Debug, Clone)]
enum Block {
    /// An external task (or a user task); with an error boundary event whose path
    /// rejoins the flow after it.
    Task {
        user: bool,
        boundary: bool,
        /// `camunda:asyncBefore` and `camunda:asyncAfter`.
        asynchronous: (bool, bool),
    },
    /// A multi-instance external task.
    Many { sequential: bool, cardinality: u8 },
    /// A timer to wait for.
    Timer,
    /// An exclusive split on `x` (the last branch the default) and its merge.
    Xor(Vec<Vec<Block>>),
    /// A parallel split and join.
    And(Vec<Vec<Block>>),
    /// An inclusive split on `x` (the last branch the default) and join.
    Or(Vec<Vec<Block>>),
    /// An embedded subprocess.
    Sub(Vec<Block>),
}

fn block() -> impl Strategy<Value = Block> {
    let leaf = prop_oneof![
        (any::<bool>(), any::<bool>(), any::<(bool, bool)>()).prop_map(
            |(user, boundary, asynchronous)| Block::Task {
                user,
                boundary,
                asynchronous
            }
        ),
        (any::<bool>(), 0u8..4).prop_map(|(sequential, cardinality)| Block::Many {
            sequential,
            cardinality
        }),
        Just(Block::Timer),
    ];
    leaf.prop_recursive(3, 24, 3, |inner| {
        let branches = prop::collection::vec(prop::collection::vec(inner.clone(), 0..3), 1..4);
        prop_oneof![
            branches.clone().prop_map(Block::Xor),
            branches.clone().prop_map(Block::And),
            branches.prop_map(Block::Or),
            prop::collection::vec(inner, 1..3).prop_map(Block::Sub),
        ]
    })
}

/// Writes a model's elements.
#[derive(Default)]
struct Writer {
    xml: String,
    next: usize,
}

impl Writer {
    fn id(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}{}", self.next)
    }

    fn flow(&mut self, from: &str, to: &str, condition: Option<&str>) -> String {
        let id = self.id("f");
        match condition {
            Some(c) => self.xml.push_str(&format!(
                r#"<sequenceFlow id="{id}" sourceRef="{from}" targetRef="{to}"><conditionExpression>{c}</conditionExpression></sequenceFlow>"#
            )),
            None => self.xml.push_str(&format!(
                r#"<sequenceFlow id="{id}" sourceRef="{from}" targetRef="{to}" />"#
            )),
        }
        id
    }

    /// A sequence from `from`; the element it ends at.
    fn seq(&mut self, from: &str, blocks: &[Block]) -> String {
        let mut at = from.to_owned();
        for b in blocks {
            let (entry, exit) = self.block(b);
            self.flow(&at, &entry, None);
            at = exit;
        }
        at
    }

    /// One block; its entry and exit elements.
    fn block(&mut self, b: &Block) -> (String, String) {
        match b {
            Block::Task {
                user,
                boundary,
                asynchronous: (before, after),
            } => {
                let id = self.id("t");
                let a = format!(r#"camunda:asyncBefore="{before}" camunda:asyncAfter="{after}""#);
                if *user {
                    self.xml.push_str(&format!(r#"<userTask id="{id}" {a} />"#));
                } else {
                    self.xml.push_str(&format!(
                        r#"<serviceTask id="{id}" {a} camunda:type="external" camunda:topic="w" />"#
                    ));
                }
                if !boundary {
                    return (id.clone(), id);
                }
                let (err, merge) = (self.id("err"), self.id("m"));
                self.xml.push_str(&format!(
                    r#"<boundaryEvent id="{err}" attachedToRef="{id}"><errorEventDefinition errorRef="Err" /></boundaryEvent><exclusiveGateway id="{merge}" />"#
                ));
                self.flow(&id, &merge, None);
                self.flow(&err, &merge, None);
                (id, merge)
            }
            Block::Many {
                sequential,
                cardinality,
            } => {
                let id = self.id("mi");
                self.xml.push_str(&format!(
                    r#"<serviceTask id="{id}" camunda:type="external" camunda:topic="w"><multiInstanceLoopCharacteristics isSequential="{sequential}"><loopCardinality>{cardinality}</loopCardinality></multiInstanceLoopCharacteristics></serviceTask>"#
                ));
                (id.clone(), id)
            }
            Block::Timer => {
                let id = self.id("timer");
                self.xml.push_str(&format!(
                    r#"<intermediateCatchEvent id="{id}"><timerEventDefinition><timeDuration>PT1M</timeDuration></timerEventDefinition></intermediateCatchEvent>"#
                ));
                (id.clone(), id)
            }
            Block::Xor(branches) | Block::And(branches) | Block::Or(branches) => {
                let (tag, split, join) = match b {
                    Block::Xor(_) => ("exclusiveGateway", self.id("xs"), self.id("xj")),
                    Block::And(_) => ("parallelGateway", self.id("as"), self.id("aj")),
                    _ => ("inclusiveGateway", self.id("os"), self.id("oj")),
                };
                let conditional = !matches!(b, Block::And(_));
                let mut default = None;
                for (i, branch) in branches.iter().enumerate() {
                    let last = i + 1 == branches.len();
                    let condition = (conditional && !last).then(|| format!("${{x &gt;= {i}}}"));
                    if branch.is_empty() {
                        let f = self.flow(&split, &join, condition.as_deref());
                        if conditional && last {
                            default = Some(f);
                        }
                        continue;
                    }
                    let (entry, exit) = self.block(&branch[0]);
                    let f = self.flow(&split, &entry, condition.as_deref());
                    if conditional && last {
                        default = Some(f);
                    }
                    let end = self.seq(&exit, &branch[1..]);
                    self.flow(&end, &join, None);
                }
                let default = default.map_or(String::new(), |d| format!(r#" default="{d}""#));
                self.xml.push_str(&format!(
                    r#"<{tag} id="{split}"{default} /><{tag} id="{join}" />"#
                ));
                (split, join)
            }
            Block::Sub(blocks) => {
                let id = self.id("sub");
                let outer = std::mem::take(&mut self.xml);
                let (s, e) = (self.id("ss"), self.id("se"));
                self.xml
                    .push_str(&format!(r#"<startEvent id="{s}" /><endEvent id="{e}" />"#));
                let last = self.seq(&s, blocks);
                self.flow(&last, &e, None);
                let inner = std::mem::replace(&mut self.xml, outer);
                self.xml
                    .push_str(&format!(r#"<subProcess id="{id}">{inner}</subProcess>"#));
                (id.clone(), id)
            }
        }
    }
}

/// The model of `blocks` between a start and an end event.
fn random_model(blocks: &[Block]) -> String {
    let mut w = Writer::default();
    w.xml
        .push_str(r#"<startEvent id="start" /><endEvent id="end" />"#);
    let last = w.seq("start", blocks);
    w.flow(&last, "end", None);
    w.xml
}

/// Something a worker or the clock can do next.
#[derive(Debug, Clone)]
enum Action {
    Continue(String),
    Complete(String),
    Throw(String),
    Fire(String, String),
}

/// What can happen next: every task can be completed, a task with an error
/// boundary event can throw, every timer can fire, every continuation's job run.
fn actions(inst: &Instance) -> Vec<Action> {
    let mut out = Vec::new();
    for e in &inst.execs {
        if inst.children(&e.id).next().is_some() {
            continue;
        }
        match &e.wait {
            Wait::ExternalTask(_) | Wait::UserTask(_) => {
                out.push(Action::Complete(e.id.clone()));
                let guarded = inst
                    .graph
                    .node_id(&e.activity)
                    .is_some_and(|n| !inst.graph.process.node(n).boundary_events.is_empty());
                if guarded && e.kind == ExecKind::Activity {
                    out.push(Action::Throw(e.id.clone()));
                }
            }
            Wait::Event => out.push(Action::Fire(e.id.clone(), e.activity.clone())),
            Wait::Async { .. } => out.push(Action::Continue(e.id.clone())),
            _ => {}
        }
    }
    out
}

/// No token is nowhere: every execution without children waits for something
/// (a task, an event, a join), and the instance has ended or can go on.
fn check(inst: &Instance, model: &str) -> Result<(), TestCaseError> {
    if inst.ended.is_some() {
        prop_assert!(inst.execs.is_empty(), "ended with executions left\n{model}");
        return Ok(());
    }
    for e in &inst.execs {
        let leaf = inst.children(&e.id).next().is_none();
        prop_assert!(
            !leaf || e.wait != Wait::None,
            "execution {} at '{}' waits for nothing\n{model}\n{:?}",
            e.id,
            e.activity,
            inst.execs
        );
        prop_assert!(
            !matches!(e.wait, Wait::Failed(_)),
            "an incident at '{}'\n{model}",
            e.activity
        );
    }
    prop_assert!(
        !actions(inst).is_empty(),
        "stuck: nothing can happen and the instance has not ended\n{model}\n{:?}",
        inst.execs
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Random models with random worker outcomes never panic, never leave a token
    /// nowhere, and always end or wait for something that can happen.
    #[test]
    fn random_models_always_end_or_wait(
        blocks in prop::collection::vec(block(), 1..5),
        x in 0i32..4,
        choices in prop::collection::vec(any::<u16>(), 64),
    ) {
        let model = random_model(&blocks);
        let mut inst = instance(graph(&model), &[("x", Value::Integer(x))]);
        start(&mut inst);
        check(&inst, &model)?;
        let mut step = 0;
        while inst.ended.is_none() {
            step += 1;
            prop_assert!(step < 2_000, "no end after 2,000 steps\n{model}");
            let next = actions(&inst);
            let pick = usize::from(choices[step % choices.len()]) % next.len();
            let mut fx = Vec::new();
            let run = Run::new(&mut inst, &mut fx, NOW);
            match &next[pick] {
                Action::Continue(exec) => run.continue_async(exec),
                Action::Complete(exec) => run.complete(exec),
                Action::Throw(exec) => run.throw_error(exec, "E", None),
                Action::Fire(exec, activity) => run.fire(exec, activity, Vec::new(), Vec::new()),
            }
            check(&inst, &model)?;
        }
        prop_assert_eq!(inst.ended, Some(EndState::Completed));
    }
}
