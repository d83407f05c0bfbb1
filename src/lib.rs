//! Baton: a lightweight BPMN 2.0 engine that speaks the Camunda 7 REST API.
//!
//! This facade re-exports the library crates for applications that embed
//! Baton: [`bpmn`] reads and validates models, [`engine`] runs them, and
//! [`server`] serves the Camunda-compatible REST API.

pub use baton_bpmn as bpmn;
pub use baton_engine as engine;
pub use baton_server as server;
