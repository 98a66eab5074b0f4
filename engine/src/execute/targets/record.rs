//! The parent's record of a run over targets: one step per child started, in target order, and
//! the parent's status (see [`super`]).

use std::fmt::Write;

use indexmap::IndexMap;

use super::request::{Checked, Fleet};
use super::resolve::FleetTarget;
use crate::execute::options::RunOptions;
use crate::host::RunRef;
use crate::record::{
    CallRecord, Execution, FailureDetails, FailureStage, FailureType, FleetRecord,
    ProgressCounters, ResolvedTargets, Status, StepExecution,
};

/// What the children did.
#[derive(Default)]
pub(super) struct Outcome {
    pub(super) steps: Vec<StepExecution>,
    pub(super) counters: ProgressCounters,
    pub(super) threshold_passed: bool,
    pub(super) not_started: usize,
    pub(super) errors_allowed: usize,
}

/// What the parent's record is made of.
pub(super) struct Parent<'a> {
    pub(super) run_ref: &'a RunRef,
    pub(super) start: jiff::Timestamp,
    pub(super) end: jiff::Timestamp,
    pub(super) options: &'a RunOptions,
    pub(super) fleet: Fleet,
    pub(super) checked: &'a Checked,
    pub(super) targets: &'a [FleetTarget],
    /// Why the targets could not be resolved.
    pub(super) failure: Option<String>,
    pub(super) outcome: Outcome,
    pub(super) calls: Vec<CallRecord>,
}

/// The parent's record: its status (cancelled, over budget, every child a success, or how many
/// were not), its steps and its fleet facts.
pub(super) fn parent_record(parent: Parent<'_>) -> Execution {
    let Parent { run_ref, start, end, options, fleet, checked, targets, failure, outcome, calls } =
        parent;
    let counters = outcome.counters;
    // A cancel that came once every child had ended changed nothing.
    let cancelled =
        options.cancel.is_cancelled() && (counters.cancelled_steps > 0 || outcome.not_started > 0);
    let (status, failure_message) = if let Some(message) = failure {
        (Status::Failed, Some(message))
    } else if cancelled {
        (Status::Cancelled, Some("the run was cancelled".to_string()))
    } else if options.budget.is_exhausted() && outcome.not_started > 0 {
        (Status::Failed, Some(options.budget.message()))
    } else if counters.success_steps == counters.total_steps {
        (Status::Success, None)
    } else {
        let not_ok = counters.total_steps - counters.success_steps;
        let mut message =
            format!("{not_ok} of {} child automations did not succeed", counters.total_steps);
        if outcome.threshold_passed && outcome.not_started > 0 {
            let _ = write!(
                message,
                "; {} targets were not started: more than {} errors allowed (MaxErrors {})",
                outcome.not_started, outcome.errors_allowed, checked.errors
            );
        }
        (Status::Failed, Some(message))
    };
    let resolved_targets = ResolvedTargets::new(targets.iter().map(|t| t.name.as_str()));
    Execution {
        fleet: Some(FleetRecord {
            target_parameter_name: fleet.target_parameter_name,
            targets: fleet.targets,
            target_maps: fleet.target_maps,
            resolved_targets,
            max_concurrency: checked.concurrency.to_string(),
            max_errors: checked.errors.to_string(),
            progress_counters: counters,
        }),
        ..parent_execution(
            run_ref,
            options,
            (start, end),
            (status, failure_message),
            outcome.steps,
            calls,
        )
    }
}

/// The record of a run whose steps are its children's (over targets or over target locations):
/// its identity, times, status and steps; the caller adds what kind of parent it is.
pub(in crate::execute) fn parent_execution(
    run_ref: &RunRef,
    options: &RunOptions,
    (start, end): (jiff::Timestamp, jiff::Timestamp),
    (status, failure_message): (Status, Option<String>),
    step_executions: Vec<StepExecution>,
    calls: Vec<CallRecord>,
) -> Execution {
    Execution {
        automation_execution_id: run_ref.execution_id.clone(),
        document_name: run_ref.document.clone(),
        document_version: "1".to_string(),
        automation_execution_status: status,
        execution_start_time: start,
        execution_end_time: Some(end),
        mode: "Auto".to_string(),
        parameters: options.parameters.clone(),
        outputs: IndexMap::new(),
        variables: IndexMap::new(),
        step_executions,
        failure_message,
        parent_automation_execution_id: options.parent.clone(),
        calls,
        warnings: Vec::new(),
        fleet: None,
        locations: None,
    }
}

/// The parent's step for a child: its record, or why it could not start.
pub(super) fn child_step(
    step_ids: &crate::execute::ids::IdGenerator,
    end: jiff::Timestamp,
    target: &FleetTarget,
    result: Result<Execution, String>,
    started: jiff::Timestamp,
) -> StepExecution {
    let mut step = StepExecution {
        step_name: target.name.clone(),
        action: "aws:executeAutomation".to_string(),
        step_execution_id: step_ids.next_id(),
        step_status: Status::Failed,
        execution_start_time: Some(started),
        execution_end_time: Some(end),
        inputs: target.inputs.iter().map(|(name, value)| (name.as_str(), value)).collect(),
        outputs: IndexMap::new(),
        response: None,
        failure_message: None,
        failure_details: None,
        timeout_seconds: None,
        // A failed child does not stop the others (the error threshold does), and it counts
        // for the parent's status.
        on_failure: "Continue".to_string(),
        max_attempts: 1,
        attempts: 1,
        is_end: false,
        is_critical: true,
        next_step: None,
        stdout: String::new(),
        stderr: String::new(),
        parent_step_details: None,
        target_location: None,
        child: None,
    };
    settle(&mut step, result);
    step
}

/// Completes a parent's step for one child from the child's run: its status, times, failure
/// and record, or, when the child could not start, why. Runs over targets and over target
/// locations both record their children so.
pub(in crate::execute) fn settle(step: &mut StepExecution, result: Result<Execution, String>) {
    match result {
        Ok(child) => {
            step.step_status = child.automation_execution_status;
            step.execution_start_time = Some(child.execution_start_time);
            step.execution_end_time = child.execution_end_time.or(step.execution_end_time);
            if step.step_status != Status::Success {
                step.failure_message = Some(match &child.failure_message {
                    Some(message) => format!(
                        "the automation {} ended {}: {message}",
                        child.automation_execution_id, child.automation_execution_status
                    ),
                    None => format!(
                        "the automation {} ended {}",
                        child.automation_execution_id, child.automation_execution_status
                    ),
                });
            }
            if matches!(step.step_status, Status::Failed | Status::TimedOut) {
                step.failure_details = Some(Box::new(FailureDetails {
                    failure_stage: FailureStage::Invocation,
                    failure_type: FailureType::Action,
                    details: IndexMap::new(),
                }));
            }
            step.child = Some(Box::new(child));
        }
        Err(message) => {
            step.failure_message = Some(message);
            step.failure_details = Some(Box::new(FailureDetails {
                failure_stage: FailureStage::InputValidation,
                failure_type: FailureType::Action,
                details: IndexMap::new(),
            }));
        }
    }
}
