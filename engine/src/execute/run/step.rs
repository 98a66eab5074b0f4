//! One step: its inputs resolved and checked, its attempts under the timeout and the cancel
//! token, its action dispatched (a control action of the run loop, or a registered one), and
//! its outputs selected and converted (RULINGS 13, 14).

use indexmap::IndexMap;
use serde_json::Value;

use super::{LatestOutputs, Run, StepEnd};
use crate::execute::action::{ActionOutput, FailureKind, StepContext, StepFailure};
use crate::execute::plan::{InputTypes, JumpTarget, PlannedStep, StepId};
use crate::host::{BoxFuture, Event};
use crate::record::{Execution, FailureDetails, ParentStepDetails, Status, StepInputs};
use crate::value::{convert_output, describe};

/// `inputs` with each of the step's one-item inputs replaced by its only item (see
/// [`crate::typing`]).
fn one_item_inputs(step: &PlannedStep, mut inputs: Value) -> Result<Value, String> {
    if let Value::Object(map) = &mut inputs {
        let names = step.input_types.as_ref().map_or(&[][..], |types| &types.one_item_inputs);
        for name in names {
            if let Some(value) = map.get_mut(name) {
                *value = crate::typing::single_item(name, value.take())?;
            }
        }
    }
    Ok(inputs)
}

impl Run {
    /// Runs one step: inputs, attempts, outputs, record.
    pub(super) async fn run_step(&mut self, id: StepId) -> StepEnd {
        let plan = self.plan.clone();
        let step = &plan.steps[id];
        self.ran[id] = true;
        let mut record = self.new_record(step, Status::InProgress);
        record.execution_start_time = Some(self.host().clock.now());
        record.parent_step_details = self.loops.last().map(|frame| {
            Box::new(ParentStepDetails {
                step_name: plan.steps[frame.loop_id].name.to_string(),
                action: "aws:loop".into(),
                iteration: frame.iteration,
                iterator_value: frame.iterator_value.as_ref().map(crate::record::as_text),
            })
        });
        // The record is kept from the start, so that a step stopped from outside (its loop's
        // timeout, a cancel chain's time limit) still appears in the run's record.
        let index = self.records.len();
        self.records.push(record);

        let mut left = Vec::new();
        let resolved = step.inputs.resolve(&|target| self.lookup(target), &mut left);
        self.warn_left(&step.name, left);
        let inputs = match resolved {
            Ok(inputs) => inputs,
            Err(message) => {
                let failure =
                    StepFailure::invalid_inputs(format!("cannot resolve the inputs: {message}"));
                return self.end_step(step, index, Err(failure), 0);
            }
        };
        // The inputs' types are checked before the first attempt (SPEC 2.3); the record shows
        // the inputs as the action gets them.
        let checked = match step.input_types.as_deref() {
            None => Ok(inputs),
            Some(InputTypes { mismatch: Some(message), .. }) => Err((message.clone(), inputs)),
            Some(_) => one_item_inputs(step, inputs.clone()).map_err(|message| (message, inputs)),
        };
        let (Ok(shown) | Err((_, shown))) = &checked;
        if let Value::Object(map) = shown {
            let names = map.iter().enumerate();
            self.records[index].inputs = StepInputs::new(
                names.map(|(at, (name, value))| (step.inputs.shared_key(at, name), value)),
            );
        }
        let mut inputs = match checked {
            Ok(inputs) => inputs,
            Err((message, _)) => {
                return self.end_step(step, index, Err(StepFailure::invalid_inputs(message)), 0);
            }
        };

        let mut attempt = 0;
        let result = loop {
            attempt += 1;
            if attempt > 1 && !self.options.budget.take() {
                self.budget_spent = true;
                attempt -= 1;
                break Err(StepFailure::action(self.options.budget.message()));
            }
            self.environment.emit(&Event::StepStarted {
                run: &self.environment.run_ref,
                step: &step.name,
                action: &step.action,
                attempt,
                max_attempts: step.max_attempts,
            });
            // The last attempt takes the inputs themselves.
            let given = if attempt >= step.max_attempts {
                std::mem::take(&mut inputs)
            } else {
                inputs.clone()
            };
            let outcome = self.attempt(step, given).await;
            match outcome {
                Ok(output) => break Ok(output),
                Err(failure)
                    if failure.kind == FailureKind::Cancelled || attempt >= step.max_attempts =>
                {
                    break Err(failure);
                }
                Err(failure) => {
                    self.environment.emit(&Event::AttemptFailed {
                        run: &self.environment.run_ref,
                        step: &step.name,
                        attempt,
                        message: &failure.message,
                    });
                }
            }
        };
        self.end_step(step, index, result, attempt)
    }

    /// One attempt, under the step's timeout and the run's cancel token.
    pub(super) async fn attempt(
        &mut self,
        step: &PlannedStep,
        inputs: Value,
    ) -> Result<AttemptOutput, StepFailure> {
        let clock = self.host().clock.clone();
        let cancel = self.cancel().clone();
        // A loop and a child automation pass the cancel on to the steps they run, which end
        // Cancelled and run their own `onCancel` chains; stopping them here would drop those.
        let passes_cancel_on = matches!(&*step.action, "aws:loop" | "aws:executeAutomation");
        let cancelled = async move {
            if passes_cancel_on {
                std::future::pending::<()>().await;
            } else {
                cancel.cancelled().await;
            }
        };
        let timeout = step.timeout;
        let timer = async move {
            match timeout {
                Some(limit) => clock.sleep(limit).await,
                None => std::future::pending::<()>().await,
            }
        };
        let work = self.dispatch(step, inputs);
        // In this order, so that a cancel already requested stops the step before it does
        // anything, whatever the step would have done at once.
        tokio::select! {
            biased;
            () = cancelled => Err(StepFailure::new(FailureKind::Cancelled, "the run was cancelled during the step")),
            result = work => result,
            () = timer => Err(StepFailure::new(
                FailureKind::Timeout,
                format!("the step did not finish within its timeout of {} seconds", timeout.map_or(0, |t| t.as_secs())),
            )),
        }
    }

    /// Runs the step's action: a control action of the executor, or a registered action.
    pub(super) fn dispatch<'s>(
        &'s mut self,
        step: &'s PlannedStep,
        inputs: Value,
    ) -> BoxFuture<'s, Result<AttemptOutput, StepFailure>> {
        Box::pin(async move {
            match &*step.action {
                "aws:branch" => self.branch(step).map(AttemptOutput::branch),
                "aws:sleep" => self.sleep(step, &inputs).await.map(AttemptOutput::plain),
                "aws:pause" => self.pause(step, &inputs).await.map(AttemptOutput::plain),
                "aws:approve" => self.approve(step, &inputs).await.map(AttemptOutput::plain),
                "aws:updateVariable" => self.update_variable(&inputs).map(AttemptOutput::plain),
                "aws:loop" => self.run_loop(step, &inputs).await,
                "aws:executeAutomation" => {
                    self.execute_automation(step, &inputs).await.map(AttemptOutput::child)
                }
                name => {
                    let Some(action) = self.actions.get(name).cloned() else {
                        return Err(StepFailure::unsupported(name));
                    };
                    let cx = StepContext {
                        environment: &self.environment,
                        step: &step.name,
                        timeout: step.timeout,
                    };
                    action.run(inputs, &cx).await.map(AttemptOutput::plain)
                }
            }
        })
    }

    /// Records the end of a step: outputs, status, failure, and the event.
    pub(super) fn end_step(
        &mut self,
        step: &PlannedStep,
        index: usize,
        result: Result<AttemptOutput, StepFailure>,
        attempts: u32,
    ) -> StepEnd {
        let mut record = std::mem::take(&mut self.records[index]);
        record.attempts = attempts;
        let result = result.and_then(|output| {
            let secrets = &self.environment.host.context.secrets;
            let outputs = Self::select_outputs(step, &output.action, secrets)?;
            Ok((output, outputs))
        });
        let end = match result {
            Ok((output, outputs)) => {
                let AttemptOutput { action, status, branch, jump, abort, child, failure_message } =
                    output;
                record.stdout = action.stdout;
                record.stderr = action.stderr;
                record.response = (!action.response.is_null()).then_some(action.response);
                // Sized to what it holds by `select_outputs`, and held by the record only.
                record.outputs = outputs;
                record.child = child;
                record.failure_message = failure_message;
                self.outputs[step.id] = LatestOutputs::Record(index);
                record.step_status = status;
                StepEnd { record: index, status, branch, jump, abort }
            }
            Err(failure) => {
                let status = match failure.kind {
                    FailureKind::Timeout => Status::TimedOut,
                    FailureKind::Cancelled => Status::Cancelled,
                    _ => Status::Failed,
                };
                let (stage, kind) = failure.stage_and_type();
                let mut details = IndexMap::new();
                if let FailureKind::Api { code } = &failure.kind {
                    details.insert("ErrorCode".to_string(), vec![code.clone()]);
                }
                record.child = self.pending_child.take();
                record.stdout = failure.stdout;
                record.stderr = failure.stderr;
                record.failure_message = Some(failure.message);
                record.failure_details =
                    (status != Status::Cancelled).then_some(Box::new(FailureDetails {
                        failure_stage: stage,
                        failure_type: kind,
                        details,
                    }));
                record.step_status = status;
                StepEnd::status(index, status)
            }
        };
        record.execution_end_time = Some(self.host().clock.now());
        self.environment
            .emit(&Event::StepFinished { run: &self.environment.run_ref, step: &record });
        self.records[index] = record;
        end
    }

    /// The step's outputs: the action's predefined ones, then the declared ones selected from
    /// its response and converted to their types (RULINGS 13, 14).
    pub(super) fn select_outputs(
        step: &PlannedStep,
        output: &ActionOutput,
        secrets: &crate::execute::Secrets,
    ) -> Result<IndexMap<String, Value>, StepFailure> {
        // Sized to what it will hold: a map grown from empty keeps room for three entries,
        // and every step's outputs live as long as the run.
        let mut outputs = IndexMap::with_capacity(output.outputs.len() + step.outputs.len());
        outputs.extend(output.outputs.iter().map(|(name, value)| (name.clone(), value.clone())));
        // Actions without a response of their own (the control actions) are read through their
        // predefined outputs: `$.ApprovalStatus`, `$.Output`.
        let predefined;
        let response = if output.response.is_null() {
            predefined =
                Value::Object(output.outputs.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
            &predefined
        } else {
            &*output.response
        };
        for declared in &step.outputs {
            let selector = declared.selector.as_ref().map_err(|error| {
                StepFailure::invalid_inputs(format!(
                    "output `{}` has an invalid selector: {error}",
                    declared.name
                ))
            })?;
            let Some(value) = selector.select(response) else { continue };
            let converted = convert_output(value.clone(), declared.ty).map_err(|_| {
                StepFailure::new(
                    FailureKind::Action,
                    format!(
                        "output `{}` wants a {}, but its selector {} found {}",
                        declared.name,
                        declared.ty,
                        selector.as_str(),
                        describe(&value)
                    ),
                )
            })?;
            // A secret converted to its output's type (a list, a number) stays one.
            secrets.learn_derived(&value, &converted);
            outputs.insert(declared.name.clone(), converted);
        }
        Ok(outputs)
    }
}

/// What an attempt produced, for the run loop.
pub(crate) struct AttemptOutput {
    pub(crate) action: ActionOutput,
    pub(crate) status: Status,
    pub(crate) branch: Option<JumpTarget>,
    pub(crate) jump: Option<StepId>,
    pub(crate) abort: bool,
    pub(crate) child: Option<Box<Execution>>,
    /// The failure message of a loop whose body failed.
    pub(crate) failure_message: Option<String>,
}

impl AttemptOutput {
    pub(crate) fn plain(action: ActionOutput) -> Self {
        Self {
            action,
            status: Status::Success,
            branch: None,
            jump: None,
            abort: false,
            child: None,
            failure_message: None,
        }
    }

    pub(super) fn branch(choice: Option<JumpTarget>) -> Self {
        let mut output = Self::plain(ActionOutput::default());
        if let Some(choice) = &choice {
            output.action.outputs.insert("NextStep".into(), Value::String(choice.name.clone()));
        }
        output.branch = choice;
        output
    }

    pub(super) fn child((action, child): (ActionOutput, Box<Execution>)) -> Self {
        let mut output = Self::plain(action);
        output.child = Some(child);
        output
    }
}
