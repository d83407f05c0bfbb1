//! Timer values: the grammar and the schedule arithmetic are in
//! [`baton_bpmn::timer`], which `baton validate` checks timer texts with, so that
//! validation and the engine read every timer text the same way.

pub(crate) use baton_bpmn::timer::{TimerKind, parse};
