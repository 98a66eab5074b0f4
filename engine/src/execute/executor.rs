//! The executor: runs a plan once, or over targets as a parent run of one child per target.

use std::sync::Arc;

use super::action::Actions;
use super::locations::run_locations;
use super::options::{Host, RunOptions};
use super::plan::Plan;
use super::run::run_once;
use super::start::StartRuns;
use super::targets::run_fleet;
use crate::host::{BoxFuture, Location};
use crate::params::ParameterError;
use crate::record::Execution;

/// Runs plans.
#[derive(Clone, Debug)]
pub struct Executor {
    actions: Arc<Actions>,
    host: Host,
}

impl Executor {
    /// An executor with `actions` (the control actions are built in) and `host`.
    pub fn new(actions: Arc<Actions>, host: Host) -> Self {
        Self { actions, host }
    }

    /// The host runs use.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// Runs `plan`, or with [`RunOptions::fleet`] one child run of it per target under a
    /// parent run (SPEC 8). Fails only when the start request is refused (its
    /// parameters, targets or rate limits), before any step starts.
    pub async fn run(
        &self,
        plan: Arc<Plan>,
        mut options: RunOptions,
    ) -> Result<Execution, ParameterError> {
        if let Some(locations) = options.locations.take() {
            let runs: Arc<dyn StartRuns> = Arc::new(self.clone());
            return run_locations(&runs, &self.host, plan, options, locations).await;
        }
        if let Some(fleet) = options.fleet.take() {
            let runs: Arc<dyn StartRuns> = Arc::new(self.clone());
            return run_fleet(&runs, &self.host, plan, options, fleet).await;
        }
        self.run_one(plan, options).await
    }

    /// The same executor, its runs made in the account and Region of `location`: what
    /// `global:ACCOUNT_ID` and `global:REGION` give, where their AWS calls go, and where
    /// scripts reach AWS.
    fn at(&self, location: Location) -> Self {
        let mut host = self.host.clone();
        let context = &mut host.context;
        context.account_id.clone_from(&location.account);
        context.region.clone_from(&location.region);
        for (name, value) in &mut context.script_environment {
            if name == "AWS_REGION" || name == "AWS_DEFAULT_REGION" {
                value.clone_from(&location.region);
            }
        }
        context.location = Some(location);
        Self { actions: self.actions.clone(), host }
    }

    /// Runs `plan` once, ignoring [`RunOptions::fleet`].
    pub(crate) async fn run_one(
        &self,
        plan: Arc<Plan>,
        options: RunOptions,
    ) -> Result<Execution, ParameterError> {
        let runs: Arc<dyn StartRuns> = Arc::new(self.clone());
        run_once(self.actions.clone(), runs, self.host.clone(), plan, options).await
    }
}

impl StartRuns for Executor {
    fn start(
        &self,
        plan: Arc<Plan>,
        options: RunOptions,
    ) -> BoxFuture<'_, Result<Execution, ParameterError>> {
        Box::pin(self.run(plan, options))
    }

    fn start_at(
        &self,
        plan: Arc<Plan>,
        options: RunOptions,
        location: Location,
    ) -> BoxFuture<'_, Result<Execution, ParameterError>> {
        let located = self.at(location);
        Box::pin(async move { located.run(plan, options).await })
    }

    fn start_one(
        &self,
        plan: Arc<Plan>,
        options: RunOptions,
    ) -> BoxFuture<'_, Result<Execution, ParameterError>> {
        Box::pin(self.run_one(plan, options))
    }
}
