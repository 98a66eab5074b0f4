//! `aws:executeAutomation` (SPEC 6.11, RULINGS 20): runs another runbook, found by name in the
//! host's document store, as a child run in the same process with its own record, at most five
//! levels deep. Its outputs are the child's: `Output` (the child's outputs in the order it
//! declares them), `ExecutionId` and `Status`. The step fails when the child does not end
//! `Success`.
//!
//! With `Targets` (and `TargetParameterName`) or `TargetMaps`, the child is a run over targets
//! ([`super::super::targets`]) with the step's `MaxConcurrency` and `MaxErrors`: a parent run
//! one level down whose own children, one per target, run two levels down. The step fails
//! unless every child started ended `Success` (RULINGS 24); a request the service would refuse
//! fails it too. Its outputs are the parent run's: `ExecutionId`, `Status`, and `Output`, which
//! is empty, because the parent of a run over targets has no outputs of its own (the service
//! shows `Outputs: {}` for it); each child's outputs are in its record.
//!
//! With `TargetLocations` or `TargetLocationsURL`, the child is a run over target locations
//! ([`super::super::locations`]): a parent run one level down with one child per account and
//! Region (each a run over targets when the location has `Targets`). The step fails unless
//! every child started ended `Success`; its outputs are the parent run's, `Output` empty (the
//! service returns no outputs to a step with target locations).

use std::sync::Arc;

use indexmap::IndexMap;
use serde_json::{Value, json};

use super::super::action::{ActionOutput, FailureKind, StepFailure};
use super::super::locations::Locations;
use super::super::options::{MAX_DEPTH, RunOptions};
use super::super::plan::{Plan, PlannedStep};
use super::super::run::Run;
use super::super::targets::Fleet;
use crate::record::{Execution, Status, as_string_list};

impl Run {
    pub(crate) async fn execute_automation(
        &mut self,
        _step: &PlannedStep,
        inputs: &Value,
    ) -> Result<(ActionOutput, Box<Execution>), StepFailure> {
        let Some(name) = inputs.get("DocumentName").and_then(Value::as_str) else {
            return Err(StepFailure::invalid_inputs("`DocumentName` must be text"));
        };
        let locations = Locations::from_inputs(inputs).map_err(StepFailure::invalid_inputs)?;
        let fleet = match locations {
            Some(_) => None,
            None => Fleet::from_inputs(inputs).map_err(StepFailure::invalid_inputs)?,
        };
        let parameters = runtime_parameters(inputs.get("RuntimeParameters"))?;
        let version = inputs.get("DocumentVersion").and_then(Value::as_str);
        let document =
            self.host().documents.load_version(name, version).map_err(StepFailure::action)?;
        let report = crate::validate::validate(&document);
        if let Some(error) = report.errors().next() {
            let location = error
                .span
                .map(|s| format!(":{}:{}", s.start.line, s.start.column))
                .unwrap_or_default();
            return Err(StepFailure::action(format!(
                "the runbook `{name}` has errors: {}{location}: {}",
                document.source.path.display(),
                error.message
            )));
        }
        let plan = Arc::new(Plan::new(document));
        let child = match (locations, fleet) {
            (Some(locations), _) => {
                let options = RunOptions { locations: Some(locations), ..RunOptions::default() };
                self.parent_run(plan.clone(), parameters, options).await
            }
            (None, None) => self.child_run(plan.clone(), parameters).await,
            (None, Some(fleet)) => {
                let options = RunOptions { fleet: Some(fleet), ..RunOptions::default() };
                self.parent_run(plan.clone(), parameters, options).await
            }
        }
        .map_err(|message| StepFailure::action(format!("cannot start `{name}`: {message}")))?;
        let mut output_values = Vec::new();
        if child.fleet.is_none() && child.locations.is_none() {
            for declared in &plan.document.outputs {
                if let Some(value) = child.outputs.get(&declared.value) {
                    output_values.extend(as_string_list(value).into_iter().map(Value::String));
                }
            }
        }
        let status = child.automation_execution_status;
        let mut action = ActionOutput::default()
            .with_output("Output", Value::Array(output_values))
            .with_output("ExecutionId", json!(child.automation_execution_id))
            .with_output("Status", json!(status.as_str()));
        // Declared outputs select from the predefined ones (`$.Output`).
        action.response = std::sync::Arc::new(Value::Object(
            action.outputs.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        ));
        let child = Box::new(child);
        if status != Status::Success {
            let reason =
                child.failure_message.as_deref().map(|m| format!(": {m}")).unwrap_or_default();
            self.pending_child = Some(child);
            let message = format!("the automation `{name}` ended {status}{reason}");
            // A child cancelled with its parent (they share the cancel) cancels the step.
            if status == Status::Cancelled && self.cancel().is_cancelled() {
                return Err(StepFailure::new(FailureKind::Cancelled, message));
            }
            return Err(StepFailure::action(message));
        }
        Ok((action, child))
    }
}

impl Run {
    /// Starts a run of `plan` over the targets or the locations of `over`, one level down.
    async fn parent_run(
        &self,
        plan: Arc<Plan>,
        parameters: IndexMap<String, Value>,
        over: RunOptions,
    ) -> Result<Execution, String> {
        // The parent is one level down and its children two.
        if self.depth() + 1 >= MAX_DEPTH {
            return Err(format!("automations nest at most {MAX_DEPTH} levels below the first run"));
        }
        let options = RunOptions {
            parameters,
            cancel: self.cancel().clone(),
            budget: self.options.budget.clone(),
            depth: self.depth() + 1,
            parent: Some(self.environment.run_ref.execution_id.clone()),
            call_logs: self.environment.lineage(),
            ..over
        };
        self.runs.start(plan, options).await.map_err(|error| error.to_string())
    }
}

/// `RuntimeParameters`: a map of parameter names to values (or the same as JSON text).
fn runtime_parameters(value: Option<&Value>) -> Result<IndexMap<String, Value>, StepFailure> {
    match value {
        None | Some(Value::Null) => Ok(IndexMap::new()),
        Some(Value::Object(map)) => Ok(map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(map.into_iter().collect()),
            _ => Err(StepFailure::invalid_inputs(
                "`RuntimeParameters` must be a map of parameter names to values",
            )),
        },
        Some(_) => Err(StepFailure::invalid_inputs(
            "`RuntimeParameters` must be a map of parameter names to values",
        )),
    }
}
