//! `runbook`: run, validate and unit-test AWS Systems Manager Automation runbooks on your
//! machine, with the service's semantics.
//!
//! This crate is the facade over the workspace: [`runbook_engine`] (documents, validation, the
//! executor), [`runbook_actions`] (the `aws:*` actions) and [`runbook_aws`] (mocks and AWS
//! backends), plus what puts them together for a run ([`setup`]).

pub mod harness;
pub mod permissions;
pub mod session;
pub mod setup;
pub mod terminal;
pub mod testing;

pub use runbook_actions as actions;
pub use runbook_aws as aws;
pub use runbook_engine as engine;
