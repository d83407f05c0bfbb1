//! The Camunda 7 compatible REST API over the Baton engine.
//!
//! This crate will map `/engine-rest` requests onto the engine's API and the
//! engine's answers and errors back onto Camunda's JSON shapes. It holds no
//! business logic of its own.

pub use baton_engine as engine;
