//! Running a runbook: parameters bound, steps run in order with the service's control flow,
//! statuses and outputs, the record kept as the service keeps it.
//!
//! ```text
//! Document ──Plan::new──▶ Plan ──Executor::run──▶ Execution (the record)
//! ```
//!
//! The executor never fails once a run has started: a step that cannot run fails, and that is
//! data in the record. Only bad parameters stop a run before its first step, as the service's
//! `StartAutomationExecution` refuses them.

pub(crate) mod action;
mod budget;
mod cancel;
pub(crate) mod control;
mod environment;
mod executor;
mod ids;
mod locations;
mod options;
mod plan;
mod rate;
mod run;
mod secrets;
mod start;
mod targets;

pub use crate::record::Target;
pub use crate::record::TargetLocation;
pub use action::Actions;
pub use budget::StepBudget;
pub use cancel::CancelToken;
pub use executor::Executor;
pub use ids::{IdGenerator, is_execution_id, text_hash};
pub use locations::{DEFAULT_EXECUTION_ROLE, Locations};
pub use options::{Host, MAX_DEPTH, NoScripts, RunContext, RunOptions};
pub use plan::{Plan, StepId};
pub use rate::{Limit, MaxConcurrency, MaxErrors, RateControl, RateError};
pub use secrets::Secrets;
pub use targets::Fleet;

// The case files below read the host traits through `super::*`.
#[cfg(test)]
use crate::host::Clock;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_locations;
#[cfg(test)]
mod tests_targets;
