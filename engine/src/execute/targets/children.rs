//! The parent run while its children run: one child per target, started under rate control
//! ([`crate::execute::rate`]) on its own tokio task, each ending as one step of the parent.

use std::sync::Arc;

use indexmap::IndexMap;
use tokio::task::JoinSet;

use super::record::Outcome;
use super::request::Checked;
use super::resolve::FleetTarget;
use crate::execute::ids::IdGenerator;
use crate::execute::options::{Host, RunOptions};
use crate::execute::plan::Plan;
use crate::execute::rate::RateControl;
use crate::execute::start::StartRuns;
use crate::host::{Event, RunRef};
use crate::params::ParameterError;
use crate::record::{Execution, ProgressCounters, Status, StepExecution};

/// The parent run while its children run.
pub(super) struct Parent<'a> {
    pub(super) host: &'a Host,
    pub(super) run_ref: &'a RunRef,
    pub(super) step_ids: IdGenerator,
}

impl Parent<'_> {
    pub(super) fn emit(&self, event: &Event<'_>) {
        self.host.observer.on_event(event);
    }

    /// Runs one child per target under rate control; the steps of those started, in target
    /// order.
    pub(super) async fn run_children(
        &mut self,
        runs: &Arc<dyn StartRuns>,
        plan: &Arc<Plan>,
        options: &RunOptions,
        checked: &Checked,
        targets: &[FleetTarget],
    ) -> Outcome {
        let mut rate = RateControl::with_limits(targets.len(), checked.concurrency, checked.errors);
        let mut tasks: JoinSet<Result<Execution, ParameterError>> = JoinSet::new();
        let mut running: IndexMap<tokio::task::Id, (usize, jiff::Timestamp)> = IndexMap::new();
        let mut steps: Vec<Option<StepExecution>> = Vec::new();
        steps.resize_with(targets.len(), || None);
        let mut counters = ProgressCounters::default();
        loop {
            // A spent budget (RULINGS 25) starts no more children: they could run nothing.
            while !options.cancel.is_cancelled() && !options.budget.is_exhausted() {
                let Some(index) = rate.next_start() else { break };
                let target = &targets[index];
                self.emit(&Event::StepStarted {
                    run: self.run_ref,
                    step: &target.name,
                    action: "aws:executeAutomation",
                    attempt: 1,
                    max_attempts: 1,
                });
                let mut parameters = options.parameters.clone();
                parameters.extend(target.parameters.iter().map(|(k, v)| (k.clone(), v.clone())));
                let child = RunOptions {
                    parameters,
                    cancel: options.cancel.clone(),
                    execution_id: None,
                    fleet: None,
                    locations: None,
                    budget: options.budget.clone(),
                    depth: options.depth + 1,
                    parent: Some(self.run_ref.execution_id.clone()),
                    call_logs: options.call_logs.clone(),
                };
                let runs = runs.clone();
                let plan = plan.clone();
                let handle = tasks.spawn(async move { runs.start_one(plan, child).await });
                running.insert(handle.id(), (index, self.host.clock.now()));
            }
            let progress = rate.progress();
            self.emit(&Event::FleetProgress {
                run: self.run_ref,
                done: progress.done,
                running: progress.running,
                failed: progress.failed,
                remaining: progress.remaining,
            });
            let Some(joined) = tasks.join_next_with_id().await else { break };
            let (id, result) = match joined {
                Ok((id, result)) => (id, result.map_err(|error| error.message)),
                Err(error) => (error.id(), Err(format!("the child run stopped: {error}"))),
            };
            let Some((index, started)) = running.swap_remove(&id) else { continue };
            let step = super::record::child_step(
                &self.step_ids,
                self.host.clock.now(),
                &targets[index],
                result,
                started,
            );
            rate.finish(step.step_status == Status::Success);
            counters.count(step.step_status);
            self.emit(&Event::StepFinished { run: self.run_ref, step: &step });
            steps[index] = Some(step);
        }
        let mut started = Vec::with_capacity(rate.started());
        started.extend(steps.into_iter().flatten());
        Outcome {
            steps: started,
            counters,
            threshold_passed: rate.threshold_passed(),
            not_started: rate.progress().remaining,
            errors_allowed: rate.errors_allowed(),
        }
    }
}
