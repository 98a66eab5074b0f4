//! Runs over targets (SPEC 8, RULINGS 22-24): a parent run that resolves its targets and runs
//! the runbook once per target as a child run, under rate control ([`super::rate`]).
//!
//! ```text
//! Fleet ──check──▶ Source ──resolve (host.aws)──▶ targets ──rate control──▶ child runs
//!                                                                  └──▶ parent record
//! ```
//!
//! # Targets
//!
//! | Key | Values | Targets |
//! |---|---|---|
//! | `ParameterValues` | the values | one child per value |
//! | `tag:KEY` | tag values | the EC2 instances with the tag (`ec2.DescribeInstances`, filter `tag:KEY`) |
//! | `tag-key` | tag keys | the EC2 instances with any of the keys (filter `tag-key`) |
//! | `ResourceGroup` | one group name | the group's resources (`resource-groups.ListGroupResources`) |
//! | `AWS::EC2::Instance` | `*` | every EC2 instance (`ec2.DescribeInstances`) |
//! | `InstanceIds` | `*`, or instance ids | every EC2 instance, or those ids |
//! | `TargetMaps` | maps of parameters | one child per map |
//!
//! Every page of an answer is read (`NextToken`). Tags and `*` target EC2 instances only: the
//! runbook's target type, which lets the service target other resources by tag, is a property
//! of a registered document and not part of its content. A resource group member is passed by
//! its id, the last part of its ARN (`arn:aws:ec2:...:instance/i-0abc` gives `i-0abc`,
//! `arn:aws:s3:::bucket` gives `bucket`), as the service passes instance and volume ids.
//! Target lists longer than the service's limits (50 values, 300 maps) are accepted, so that
//! large fleets can be rehearsed.
//!
//! # The run
//!
//! The start request is checked first; what the service would refuse is an error
//! ([`ParameterError`], `parameter` naming the request field at fault) and nothing runs:
//! conflicting or missing fields, a key the service does not know, more than one tag or group,
//! a target parameter the runbook lacks or that is `AutomationAssumeRole`, `MaxConcurrency` or
//! `MaxErrors` outside the service's patterns, and start parameters other than the target
//! parameter that the runbook refuses. Once the targets are resolved, an AWS error while
//! resolving them ends the parent `Failed` with no children.
//!
//! Each child runs the same [`Plan`] (prepared once) with the start parameters plus its target
//! value in the target parameter (or its map's parameters, which win over start parameters of
//! the same name), on its own tokio task; a target value that the parameter refuses fails that
//! child. The parent's record has one step per
//! child started, in target order: `StepName` the target value (for a map of one parameter, its
//! values joined by commas; else each `NAME=values`, joined by `; `), `Action` `aws:executeAutomation`,
//! `Inputs` `{TargetParameterName: value}` (or the map), the child's status, times and record.
//! The parent's `Calls` are those that resolved the targets; a child's calls are in its record
//! ([`Execution::calls_made`] gathers them all).
//! Children never started have no step. The parent ends `Cancelled` when cancelled (the cancel
//! reaches every running child), else `Success` when every child it started ended `Success`,
//! else `Failed`; with no targets at all it ends `Success`.

//!
//! One module per job: `request` checks the start request, `resolve` finds the targets,
//! `children` runs them under rate control, `record` builds the parent's record.

mod children;
mod record;
pub(in crate::execute) mod request;
pub(in crate::execute) mod resolve;

pub(in crate::execute) use record::{parent_execution, settle};

use std::sync::Arc;

use super::action::StepContext;
use super::environment::RunEnvironment;
use super::ids::IdGenerator;
use super::options::{Host, RunOptions};
use super::plan::Plan;
use super::start::StartRuns;
use crate::document::Document;
use crate::host::{Event, NoObserver, RunRef};
use crate::params::{ParameterError, bind_parameters};
use crate::record::Execution;
use request::{Checked, Source};
use resolve::{FleetTarget, resolve};

pub use request::Fleet;

/// The step name the calls that resolve targets are recorded under.
const RESOLVE_STEP: &str = "ResolveTargets";

/// Runs `plan` over the targets of `fleet` (see the module doc).
pub(crate) async fn run_fleet(
    runs: &Arc<dyn StartRuns>,
    host: &Host,
    plan: Arc<Plan>,
    options: RunOptions,
    fleet: Fleet,
) -> Result<Execution, ParameterError> {
    let checked = fleet.checked(&plan.document)?;
    let start = host.clock.now();
    let execution_id = options.execution_id.clone().unwrap_or_else(|| host.context.ids.next_id());
    let run_ref = RunRef { execution_id, document: plan.document_name(), depth: options.depth };

    // Targets are resolved before the run is announced (a refused start announces nothing):
    // the calls are kept, and reported once it starts.
    let mut quiet = host.clone();
    quiet.observer = Arc::new(NoObserver);
    let environment = RunEnvironment::new(
        quiet,
        plan.document.clone(),
        run_ref.clone(),
        options.call_logs.clone(),
    );
    let cx = StepContext { environment: &environment, step: RESOLVE_STEP, timeout: None };
    let resolved = resolve(&cx, &checked).await;
    if let Ok(targets) = &resolved {
        check_start_parameters(&plan.document, &options, &checked, targets, host).await?;
    }
    // The parent's record lists its children, as the service's does, and its calls are those
    // that resolved the targets: each child's calls are in its own record only (RULINGS 25), so
    // that a large fleet holds each call once.
    let resolving = environment.take_calls();
    let options = RunOptions { call_logs: Vec::new(), ..options };

    let mut parent = children::Parent {
        host,
        run_ref: &run_ref,
        step_ids: IdGenerator::new(
            run_ref.execution_id.bytes().fold(0u64, |h, b| h.rotate_left(5) ^ u64::from(b)),
        ),
    };
    parent.emit(&Event::RunStarted { run: &run_ref });
    for call in &resolving {
        parent.emit(&Event::AwsCall { run: &run_ref, call });
    }

    let (targets, failure) = match resolved {
        Ok(targets) => (targets, None),
        Err(message) => (Vec::new(), Some(format!("cannot resolve the targets: {message}"))),
    };
    let outcome = if failure.is_none() {
        parent.run_children(runs, &plan, &options, &checked, &targets).await
    } else {
        record::Outcome::default()
    };

    let execution = record::parent_record(record::Parent {
        run_ref: &run_ref,
        start,
        end: host.clock.now(),
        options: &options,
        fleet,
        checked: &checked,
        targets: &targets,
        failure,
        outcome,
        calls: resolving,
    });
    parent.emit(&Event::RunFinished { run: &run_ref, execution: &execution });
    Ok(execution)
}

/// Refuses start parameters the runbook refuses, other than the target parameters (whose
/// values come per child: a bad one fails its child). They are bound with the first target's
/// values, so that a required target parameter does not hide the others.
async fn check_start_parameters(
    document: &Document,
    options: &RunOptions,
    checked: &Checked,
    targets: &[FleetTarget],
    host: &Host,
) -> Result<(), ParameterError> {
    let mut parameters = options.parameters.clone();
    if let Some(first) = targets.first() {
        parameters.extend(first.parameters.clone());
    }
    let is_target_parameter = |name: &str| match &checked.source {
        Source::Maps(maps) => maps.iter().any(|map| map.contains_key(name)),
        _ => checked.parameter.as_deref() == Some(name),
    };
    match bind_parameters(document, &parameters, host.parameter_store.as_ref()).await {
        Err(error) if !is_target_parameter(&error.parameter) => Err(error),
        _ => Ok(()),
    }
}
