//! `aws:loop` (SPEC 6.17, RULINGS 21): runs its steps once per item of `Iterators` (for each),
//! or again while `LoopCondition` holds after each pass (do while), at most `MaxIterations`
//! times (default 100). `CurrentIteration` counts from 1; `CurrentIteratorValue` is the item.
//! A step failing with `onFailure: Abort` fails the loop and the run; a jump to a step outside
//! the loop ends it `Exited` and goes there. After the loop, inner steps' outputs hold the last
//! pass's values.

use indexmap::IndexMap;
use serde_json::Value;

use super::super::action::{ActionOutput, FailureKind, StepFailure};
use super::super::plan::PlannedStep;
use super::super::run::{AttemptOutput, BodyEnd, LatestOutputs, LoopFrame, Run};
use crate::catalog::ValueType;
use crate::record::Status;
use crate::value::{coerce, describe};

/// The most passes a loop may make.
const MAX_ITERATIONS: u32 = 100;

impl Run {
    pub(crate) async fn run_loop(
        &mut self,
        step: &PlannedStep,
        inputs: &Value,
    ) -> Result<AttemptOutput, StepFailure> {
        let Some(body) = &step.loop_body else {
            return Err(StepFailure::invalid_inputs("the loop has no `Steps`"));
        };
        let Some(first) = body.first else {
            return Err(StepFailure::invalid_inputs("the loop has no steps"));
        };
        let max = max_iterations(inputs.get("MaxIterations"))?;
        let items = match inputs.get("Iterators") {
            Some(value) => Some(iterator_values(value, &body.data_type)?),
            None => None,
        };
        let passes = items
            .as_ref()
            .map_or(max, |items| max.min(u32::try_from(items.len()).unwrap_or(u32::MAX)));
        let mut iteration = 0;
        while iteration < passes {
            iteration += 1;
            let iterator_value = items.as_ref().map(|items| items[iteration as usize - 1].clone());
            self.set_loop_outputs(step.id, iteration, iterator_value.as_ref());
            let frame = LoopFrame { loop_id: step.id, iteration, iterator_value };
            match self.run_body(first, step.id, frame).await {
                BodyEnd::Finished => {}
                BodyEnd::Cancelled => {
                    return Err(StepFailure::new(
                        FailureKind::Cancelled,
                        "the run was cancelled during the loop",
                    ));
                }
                BodyEnd::Abort => {
                    let mut output = self.loop_output(step.id, Status::Failed);
                    output.abort = true;
                    output.failure_message =
                        Some(format!("a step of the loop failed in iteration {iteration}"));
                    return Ok(output);
                }
                BodyEnd::Jump(target) => {
                    let mut output = self.loop_output(step.id, Status::Exited);
                    output.jump = Some(target);
                    return Ok(output);
                }
            }
            if let Some(condition) = &body.condition {
                let mut left = Vec::new();
                let holds = self.evaluate(condition, &mut left);
                self.warn_left(&step.name, left);
                let holds = holds.map_err(|message| {
                    StepFailure::invalid_inputs(format!("LoopCondition: {message}"))
                })?;
                if !holds {
                    break;
                }
            }
        }
        Ok(self.loop_output(step.id, Status::Success))
    }

    fn set_loop_outputs(&mut self, id: usize, iteration: u32, value: Option<&Value>) {
        let mut outputs = IndexMap::new();
        outputs.insert("CurrentIteration".to_string(), Value::from(iteration));
        if let Some(value) = value {
            outputs.insert("CurrentIteratorValue".to_string(), value.clone());
        }
        self.outputs[id] = LatestOutputs::Loop(Box::new(outputs));
    }

    fn loop_output(&self, id: usize, status: Status) -> AttemptOutput {
        let outputs = self.outputs_of(id).cloned().unwrap_or_default();
        let mut output = AttemptOutput::plain(ActionOutput { outputs, ..ActionOutput::default() });
        output.status = status;
        output
    }
}

fn max_iterations(value: Option<&Value>) -> Result<u32, StepFailure> {
    let Some(value) = value else { return Ok(MAX_ITERATIONS) };
    let number = coerce(value, ValueType::Integer).ok().and_then(|n| n.as_i64());
    match number {
        Some(n) if (1..=i64::from(MAX_ITERATIONS)).contains(&n) => {
            Ok(u32::try_from(n).unwrap_or(MAX_ITERATIONS))
        }
        _ => Err(StepFailure::invalid_inputs(format!(
            "`MaxIterations` must be from 1 to {MAX_ITERATIONS}, found {}",
            describe(value)
        ))),
    }
}

/// The items of `Iterators`, each as `IteratorDataType` says.
fn iterator_values(value: &Value, data_type: &str) -> Result<Vec<Value>, StepFailure> {
    let items = match value {
        Value::Array(items) => items.clone(),
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(items)) => items,
            _ => vec![value.clone()],
        },
        other => vec![other.clone()],
    };
    if items.len() > MAX_ITERATIONS as usize {
        return Err(StepFailure::invalid_inputs(format!(
            "{} iterators; a loop takes at most {MAX_ITERATIONS}",
            items.len()
        )));
    }
    let ty = match data_type {
        "Integer" => ValueType::Integer,
        "Boolean" => ValueType::Boolean,
        "StringMap" => ValueType::StringMap,
        _ => ValueType::String,
    };
    items
        .iter()
        .map(|item| {
            coerce(item, ty)
                .map_err(|message| StepFailure::invalid_inputs(format!("an iterator: {message}")))
        })
        .collect()
}
