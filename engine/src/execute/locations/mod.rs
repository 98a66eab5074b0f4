//! Runs over target locations (`TargetLocations`, `TargetLocationsURL` of
//! `StartAutomationExecution` and `aws:executeAutomation`): a parent run that runs the runbook
//! once per account and Region, each child as that account in that Region.
//!
//! ```text
//! Locations ──check──▶ (s3.GetObject) ──▶ items ──accounts (organizations)──▶ account × Region
//!                                                   └──rate control per item──▶ child runs ──▶ parent record
//! ```
//!
//! # Locations
//!
//! Each item of `TargetLocations` names `Accounts` (account ids, organizational units
//! `ou-...` and roots `r-...`) and `Regions`. A unit means its active accounts
//! (`organizations.ListAccountsForParent`), and with `IncludeChildOrganizationUnits` those of
//! every unit below it too (`organizations.ListChildren` with `ChildType`
//! `ORGANIZATIONAL_UNIT`, breadth first); `ExcludeAccounts` (accounts, or units with the units
//! below them) are left out. Where the service's documentation is silent, the engine chooses:
//! an item without `Accounts` means the run's own account, one without `Regions` the run's
//! own Region, and any text that is not a unit or root id is taken as an account id as given.
//! `TargetLocationsURL` names an S3 object (`s3://BUCKET/KEY` or an S3 https URL, presigned or
//! not) holding the list as JSON, read with `s3.GetObject`. These calls are the parent's,
//! recorded under the step `ResolveTargetLocations`; one that fails ends the parent `Failed`
//! with no children.
//!
//! # The run
//!
//! The items run one after another, in order. An item's children, one per account and Region
//! (accounts in order, each in every Region in order), start under the rate control of
//! [`super::rate`] with `TargetLocationMaxConcurrency` (1 by default) and
//! `TargetLocationMaxErrors` (0 by default) over that item's children. Each child runs as that
//! account in that Region: `global:ACCOUNT_ID` and `global:REGION` name them, and every AWS call
//! it makes (its children's too) carries the location, so that the record's `Calls` show
//! `Account` and `Region` (in the child's record: as for a run over targets, the parent's `Calls`
//! are only those that resolved the locations, and [`Execution::calls_made`](crate::record::Execution::calls_made)
//! gathers them all), mock rules may answer per location, and AWS itself is called with
//! the role `ExecutionRoleName` (by default `AWS-SystemsManager-AutomationExecutionRole`)
//! assumed in that account. With `Targets` (the item's, else the start request's, with
//! `TargetParameterName`), each child is a run over targets ([`super::targets`]) with
//! `TargetsMaxConcurrency` and `TargetsMaxErrors` (else the request's `MaxConcurrency` and
//! `MaxErrors`).
//!
//! The parent's record has one step per child started: `StepName` `ACCOUNT/REGION`, `Action`
//! `aws:executeAutomation`, `TargetLocation` that account and Region with the role, the
//! child's status, times and record; and `TargetLocations` (as given or read) with
//! `ProgressCounters`. It ends `Cancelled` when cancelled, else `Success` when every child it
//! started ended `Success`, else `Failed`. The parent has no outputs, as the service returns
//! none to a step with target locations.

mod request;
mod resolve;

use std::fmt::Write;
use std::sync::Arc;

use indexmap::IndexMap;
use tokio::task::JoinSet;

use super::action::StepContext;
use super::environment::RunEnvironment;
use super::ids::IdGenerator;
use super::options::{Host, RunOptions};
use super::plan::Plan;
use super::rate::RateControl;
use super::start::StartRuns;
use crate::host::{Event, Location, RunRef};
use crate::params::{ParameterError, bind_parameters};
use crate::record::{
    Execution, LocationsRecord, ProgressCounters, Status, StepExecution, TargetLocation,
};
use request::CheckedLocation;

pub use request::{DEFAULT_EXECUTION_ROLE, Locations};

/// The step name the calls that resolve locations are recorded under.
const RESOLVE_STEP: &str = "ResolveTargetLocations";

/// Runs `plan` over the locations of `locations` (see the module doc).
pub(crate) async fn run_locations(
    runs: &Arc<dyn StartRuns>,
    host: &Host,
    plan: Arc<Plan>,
    options: RunOptions,
    locations: Locations,
) -> Result<Execution, ParameterError> {
    locations.check(&plan.document)?;
    let has_targets = !locations.targets.is_empty()
        || locations.target_locations.iter().any(|location| !location.targets.is_empty());
    if !has_targets {
        bind_parameters(&plan.document, &options.parameters, host.parameter_store.as_ref()).await?;
    }
    let start = host.clock.now();
    let execution_id = options.execution_id.clone().unwrap_or_else(|| host.context.ids.next_id());
    let run_ref = RunRef { execution_id, document: plan.document_name(), depth: options.depth };

    let environment = RunEnvironment::new(
        host.clone(),
        plan.document.clone(),
        run_ref.clone(),
        options.call_logs.clone(),
    );
    let cx = StepContext { environment: &environment, step: RESOLVE_STEP, timeout: None };
    host.observer.on_event(&Event::RunStarted { run: &run_ref });

    let mut failure = None;
    let mut items: Vec<(CheckedLocation, Vec<Location>)> = Vec::new();
    let mut given = Vec::new();
    match resolve::target_locations(&cx, &locations).await {
        Err(message) => failure = Some(format!("cannot read the target locations: {message}")),
        Ok(read) => {
            given.clone_from(&read);
            match locations.checked(&read, &plan.document) {
                Err(error) => {
                    failure = Some(format!(
                        "the target locations are refused: {}: {}",
                        error.parameter, error.message
                    ));
                }
                Ok(checked) => {
                    for item in checked {
                        let own = &host.context.account_id;
                        match resolve::accounts(&cx, &item.location, own).await {
                            Ok(accounts) => {
                                let children = children_of(&item, &accounts, &host.context.region);
                                items.push((item, children));
                            }
                            Err(message) => {
                                failure = Some(format!("cannot resolve the accounts: {message}"));
                                items.clear();
                                break;
                            }
                        }
                    }
                }
            }
        }
    }
    // As for a run over targets, each child's calls stay in its own record: the parent's
    // `Calls` are the ones that resolved the accounts, and the record grows with what ran.
    let options = RunOptions { call_logs: Vec::new(), ..options };

    let parent = Parent {
        host,
        run_ref: &run_ref,
        step_ids: IdGenerator::new(
            run_ref.execution_id.bytes().fold(0u64, |h, b| h.rotate_left(7) ^ u64::from(b)),
        ),
    };
    let mut outcome = Outcome::default();
    for (item, children) in &items {
        parent.run_item(runs, &plan, &options, item, children, &mut outcome).await;
    }

    let execution = record(
        &run_ref,
        start,
        host.clock.now(),
        &options,
        &locations,
        given,
        failure,
        outcome,
        environment.take_calls(),
    );
    host.observer.on_event(&Event::RunFinished { run: &run_ref, execution: &execution });
    Ok(execution)
}

/// One child per account and Region of `item`: accounts in order, each in every Region.
fn children_of(item: &CheckedLocation, accounts: &[String], own_region: &str) -> Vec<Location> {
    let own = [own_region.to_string()];
    let regions = if item.location.regions.is_empty() { &own[..] } else { &item.location.regions };
    accounts
        .iter()
        .flat_map(|account| {
            regions.iter().map(|region| Location {
                account: account.clone(),
                region: region.clone(),
                role_name: item.role_name.clone(),
            })
        })
        .collect()
}

/// What the children did, over every item.
#[derive(Default)]
struct Outcome {
    steps: Vec<StepExecution>,
    counters: ProgressCounters,
    /// Children never started, and the item that stopped them.
    not_started: Vec<(usize, usize)>,
}

/// The parent run while its children run.
struct Parent<'a> {
    host: &'a Host,
    run_ref: &'a RunRef,
    step_ids: IdGenerator,
}

impl Parent<'_> {
    fn emit(&self, event: &Event<'_>) {
        self.host.observer.on_event(event);
    }

    /// Runs the children of one item under its rate control, adding their steps (in
    /// location order) to `outcome`.
    async fn run_item(
        &self,
        runs: &Arc<dyn StartRuns>,
        plan: &Arc<Plan>,
        options: &RunOptions,
        item: &CheckedLocation,
        children: &[Location],
        outcome: &mut Outcome,
    ) {
        let mut rate = RateControl::with_limits(children.len(), item.concurrency, item.errors);
        let mut tasks: JoinSet<Result<Execution, ParameterError>> = JoinSet::new();
        let mut running: IndexMap<tokio::task::Id, (usize, jiff::Timestamp)> = IndexMap::new();
        let mut steps: Vec<Option<StepExecution>> = Vec::new();
        steps.resize_with(children.len(), || None);
        loop {
            while !options.cancel.is_cancelled() && !options.budget.is_exhausted() {
                let Some(index) = rate.next_start() else { break };
                let location = children[index].clone();
                let name = step_name(&location);
                self.emit(&Event::StepStarted {
                    run: self.run_ref,
                    step: &name,
                    action: "aws:executeAutomation",
                    attempt: 1,
                    max_attempts: 1,
                });
                let child = RunOptions {
                    parameters: options.parameters.clone(),
                    cancel: options.cancel.clone(),
                    execution_id: None,
                    fleet: item.fleet.clone(),
                    locations: None,
                    budget: options.budget.clone(),
                    depth: options.depth + 1,
                    parent: Some(self.run_ref.execution_id.clone()),
                    call_logs: options.call_logs.clone(),
                };
                let runs = runs.clone();
                let plan = plan.clone();
                let handle = tasks.spawn(async move { runs.start_at(plan, child, location).await });
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
            let step = self.child_step(item, &children[index], result, started);
            rate.finish(step.step_status == Status::Success);
            outcome.counters.count(step.step_status);
            self.emit(&Event::StepFinished { run: self.run_ref, step: &step });
            steps[index] = Some(step);
        }
        outcome.steps.extend(steps.into_iter().flatten());
        let not_started = rate.progress().remaining;
        if rate.threshold_passed() && not_started > 0 {
            outcome.not_started.push((not_started, rate.errors_allowed()));
        }
    }

    /// The parent's step for the child at `location`: its record, or why it could not start.
    fn child_step(
        &self,
        item: &CheckedLocation,
        location: &Location,
        result: Result<Execution, String>,
        started: jiff::Timestamp,
    ) -> StepExecution {
        let mut step = StepExecution {
            step_name: step_name(location),
            action: "aws:executeAutomation".to_string(),
            step_execution_id: self.step_ids.next_id(),
            step_status: Status::Failed,
            execution_start_time: Some(started),
            execution_end_time: Some(self.host.clock.now()),
            // A failed child does not stop the others (the error threshold does).
            on_failure: "Continue".to_string(),
            max_attempts: 1,
            attempts: 1,
            is_critical: true,
            target_location: Some(Box::new(TargetLocation {
                accounts: vec![location.account.clone()],
                regions: vec![location.region.clone()],
                execution_role_name: Some(location.role_name.clone()),
                targets: item.fleet.as_ref().map(|fleet| fleet.targets.clone()).unwrap_or_default(),
                ..TargetLocation::default()
            })),
            ..StepExecution::default()
        };
        super::targets::settle(&mut step, result);
        step
    }
}

/// The parent's step name for the child at `location`.
fn step_name(location: &Location) -> String {
    format!("{}/{}", location.account, location.region)
}

/// The parent's record (see the module doc).
#[allow(clippy::too_many_arguments, reason = "the record is made of these parts")]
fn record(
    run_ref: &RunRef,
    start: jiff::Timestamp,
    end: jiff::Timestamp,
    options: &RunOptions,
    locations: &Locations,
    given: Vec<TargetLocation>,
    failure: Option<String>,
    outcome: Outcome,
    calls: Vec<crate::record::CallRecord>,
) -> Execution {
    let counters = outcome.counters;
    let not_started: usize = outcome.not_started.iter().map(|(count, _)| count).sum();
    let cancelled = options.cancel.is_cancelled()
        && (counters.cancelled_steps > 0 || counters.total_steps == 0 || not_started > 0);
    let (status, failure_message) = if let Some(message) = failure {
        (Status::Failed, Some(message))
    } else if cancelled {
        (Status::Cancelled, Some("the run was cancelled".to_string()))
    } else if options.budget.is_exhausted() && counters.success_steps < counters.total_steps {
        (Status::Failed, Some(options.budget.message()))
    } else if counters.success_steps == counters.total_steps {
        (Status::Success, None)
    } else {
        let not_ok = counters.total_steps - counters.success_steps;
        let mut message =
            format!("{not_ok} of {} child automations did not succeed", counters.total_steps);
        for (count, allowed) in &outcome.not_started {
            let _ = write!(
                message,
                "; {count} locations were not started: more than {allowed} errors allowed"
            );
        }
        (Status::Failed, Some(message))
    };
    Execution {
        locations: Some(LocationsRecord {
            target_locations: given,
            target_locations_url: locations.target_locations_url.clone(),
            progress_counters: counters,
        }),
        ..super::targets::parent_execution(
            run_ref,
            options,
            (start, end),
            (status, failure_message),
            outcome.steps,
            calls,
        )
    }
}
