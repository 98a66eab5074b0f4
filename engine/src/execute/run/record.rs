//! The run's record: its steps' records as they start and end, the references left as
//! written (RULINGS 12), and the final status and outputs (RULINGS 5).

use indexmap::IndexMap;

use super::Run;
use crate::document::OnFailure;
use crate::execute::plan::PlannedStep;
use crate::record::{Execution, RunWarning, Status, StepExecution, StepInputs};
use crate::value::Left;

impl Run {
    /// The final status (RULINGS 5) and the record.
    pub(super) fn finish(&mut self) -> Execution {
        let (status, failure_message) = if self.cancelled {
            (Status::Cancelled, Some("the run was cancelled".to_string()))
        } else if self.budget_spent {
            (Status::Failed, Some(self.options.budget.message()))
        } else if let Some((_, message)) = self.critical_failures.first() {
            let all_timed_out =
                self.critical_failures.iter().all(|(status, _)| *status == Status::TimedOut);
            (if all_timed_out { Status::TimedOut } else { Status::Failed }, Some(message.clone()))
        } else if let Some(message) = &self.noncritical_abort {
            (Status::Failed, Some(message.clone()))
        } else {
            (Status::Success, None)
        };
        // Read before the records are taken: they hold the steps' outputs.
        let mut outputs = IndexMap::new();
        for name in &self.plan.document.outputs {
            if let Some((step, output)) = name.value.split_once('.')
                && let Some(value) =
                    self.plan.step_id(step).and_then(|id| self.outputs_of(id)?.get(output))
            {
                outputs.insert(name.value.clone(), value.clone());
            }
        }
        let now = self.host().clock.now();
        let mut step_executions = std::mem::take(&mut self.records);
        // Steps stopped from outside (their loop or automation step timed out, a cancel chain ran
        // out of time) never reached their end.
        for record in &mut step_executions {
            if matches!(record.step_status, Status::InProgress | Status::Waiting) {
                record.step_status = Status::Cancelled;
                record.execution_end_time = Some(now);
                record.failure_message =
                    Some("the step was stopped when the step around it ended".to_string());
            }
        }
        for step in &self.plan.steps {
            if !self.ran[step.id] {
                step_executions.push(self.new_record(step, Status::Pending));
            }
        }
        let calls = self.environment.take_calls();
        Execution {
            automation_execution_id: self.environment.run_ref.execution_id.clone(),
            document_name: self.environment.run_ref.document.clone(),
            document_version: "1".to_string(),
            automation_execution_status: status,
            execution_start_time: self.start,
            execution_end_time: Some(self.host().clock.now()),
            mode: "Auto".to_string(),
            parameters: self.parameters.clone(),
            outputs,
            variables: self.variables.clone(),
            step_executions,
            failure_message,
            parent_automation_execution_id: self.options.parent.clone(),
            calls,
            warnings: std::mem::take(&mut self.warnings),
            fleet: None,
            locations: None,
        }
    }

    /// Records the references `step` ran with as their literal text (RULINGS 12), once each.
    pub(crate) fn warn_left(&mut self, step: &str, left: Vec<Left>) {
        for Left { written, reason } in left {
            let known = self
                .warnings
                .iter()
                .any(|warning| warning.step_name == step && warning.reference == written);
            if !known {
                self.warnings.push(RunWarning {
                    step_name: step.to_string(),
                    message: format!("{written} was left as written: {reason}"),
                    reference: written,
                });
            }
        }
    }

    pub(super) fn new_record(&self, step: &PlannedStep, status: Status) -> StepExecution {
        StepExecution {
            step_name: step.name.to_string(),
            action: step.action.to_string(),
            step_execution_id: self.step_ids.next_id(),
            step_status: status,
            execution_start_time: None,
            execution_end_time: None,
            inputs: StepInputs::default(),
            outputs: IndexMap::new(),
            response: None,
            failure_message: None,
            failure_details: None,
            timeout_seconds: step.timeout.map(|t| t.as_secs()),
            on_failure: match &step.on_failure {
                OnFailure::Abort => "Abort".into(),
                OnFailure::Continue => "Continue".into(),
                OnFailure::Step(target) => format!("step:{target}"),
            },
            max_attempts: step.max_attempts,
            attempts: 0,
            is_end: step.is_end,
            is_critical: step.is_critical,
            next_step: None,
            stdout: String::new(),
            stderr: String::new(),
            parent_step_details: None,
            target_location: None,
            child: None,
        }
    }
}
