//! The Baton runtime.
//!
//! This crate will deploy validated BPMN models (from [`baton_bpmn`]) and run
//! their instances with all state in SQLite. It knows nothing of HTTP: the
//! REST server in `baton-server` is a thin layer over the API defined here.
//!
//! For now it only re-exports the model so that the dependency direction
//! `server -> engine -> bpmn` is fixed from the start.

pub use baton_bpmn as bpmn;
