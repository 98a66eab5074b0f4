//! How a run starts the runs below it (an `aws:executeAutomation` child, the children of a run
//! over targets) without depending on the executor above it: the executor implements
//! [`StartRuns`] and hands itself down.

use std::sync::Arc;

use super::options::RunOptions;
use super::plan::Plan;
use crate::host::{BoxFuture, Location};
use crate::params::ParameterError;
use crate::record::Execution;

/// Starts runs.
pub(crate) trait StartRuns: Send + Sync {
    /// Runs `plan`, over targets when `options.fleet` is set.
    fn start(
        &self,
        plan: Arc<Plan>,
        options: RunOptions,
    ) -> BoxFuture<'_, Result<Execution, ParameterError>>;

    /// Runs `plan` as [`start`](Self::start) does, in the account and Region of `location`:
    /// its AWS calls, and those of the runs it starts, are made there.
    fn start_at(
        &self,
        plan: Arc<Plan>,
        options: RunOptions,
        location: Location,
    ) -> BoxFuture<'_, Result<Execution, ParameterError>>;

    /// Runs `plan` once, ignoring `options.fleet`.
    fn start_one(
        &self,
        plan: Arc<Plan>,
        options: RunOptions,
    ) -> BoxFuture<'_, Result<Execution, ParameterError>>;
}
