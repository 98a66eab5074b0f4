//! The expectations of a case beyond status, path and calls: a step's attempts, failure,
//! inputs, outputs and times; the run's parameters, variables and warnings; how many calls and
//! step executions it made.

use runbook_engine::record::{Execution, StepExecution};
use runbook_engine::syntax::Span;
use serde_json::Value;

use super::file::{Expect, ExpectedWarning, Located, StepExpect};

/// Reports each expectation of `expect` of these kinds that `execution` does not meet.
pub(super) fn compare(expect: &Expect, execution: &Execution, fail: &mut dyn FnMut(Span, String)) {
    for (name, step) in &expect.step_details {
        // A step written as `{status: ...}` alone has nothing here; its status is checked
        // (and its absence reported) with the other statuses.
        let Some(span) = first_span(step) else { continue };
        match execution.step(name) {
            Some(record) => compare_step(name, step, record, fail),
            None => fail(span, format!("step `{name}` is not a step of the runbook")),
        }
    }
    for (name, Located { value: wanted, span }) in &expect.parameters {
        match execution.parameters.get(name) {
            Some(actual) if actual == wanted => {}
            actual => fail(*span, mismatch(&format!("parameter `{name}`"), wanted, actual)),
        }
    }
    for (name, Located { value: wanted, span }) in &expect.variables {
        match execution.variables.get(name) {
            Some(actual) if actual == wanted => {}
            actual => fail(*span, mismatch(&format!("variable `{name}`"), wanted, actual)),
        }
    }
    if let Some(Located { value: wanted, span }) = &expect.warnings {
        compare_warnings(wanted, *span, execution, fail);
    }
    if let Some(Located { value: wanted, span }) = &expect.call_count {
        let all = execution.calls_made();
        let made = all.len() as u64;
        if made != *wanted {
            let calls: Vec<String> =
                all.iter().map(|c| format!("{}.{}", c.service, c.api)).collect();
            fail(
                *span,
                format!(
                    "expected {wanted} calls, the run made {made}: {}",
                    if calls.is_empty() { "none".to_string() } else { calls.join(", ") }
                ),
            );
        }
    }
    if let Some(Located { value: wanted, span }) = &expect.step_executions {
        let records = execution.step_executions.len() as u64;
        if records != *wanted {
            fail(*span, format!("expected {wanted} step executions, the record holds {records}"));
        }
    }
}

fn first_span(step: &StepExpect) -> Option<Span> {
    [
        step.attempts.as_ref().map(|l| l.span),
        step.failure_message.as_ref().map(|l| l.span),
        step.failure_stage.as_ref().map(|l| l.span),
        step.inputs.first().map(|(_, l)| l.span),
        step.outputs.as_ref().map(|l| l.span),
        step.duration.as_ref().map(|l| l.span),
        step.start_time.as_ref().map(|l| l.span),
        step.end_time.as_ref().map(|l| l.span),
    ]
    .into_iter()
    .flatten()
    .min_by_key(|span| (span.start.line, span.start.column))
}

fn mismatch(what: &str, wanted: &Value, actual: Option<&Value>) -> String {
    match actual {
        Some(actual) => format!("{what}: expected {wanted}, got {actual}"),
        None => format!("{what} has no value; expected {wanted}"),
    }
}

fn compare_step(
    name: &str,
    step: &StepExpect,
    record: &StepExecution,
    fail: &mut dyn FnMut(Span, String),
) {
    let what = format!("step `{name}`");
    if let Some(Located { value: wanted, span }) = &step.attempts
        && u64::from(record.attempts) != *wanted
    {
        fail(*span, format!("{what}: expected {wanted} attempts, it made {}", record.attempts));
    }
    if let Some(Located { value: text, span }) = &step.failure_message {
        let message = record.failure_message.as_deref().unwrap_or_default();
        if !message.contains(text.as_str()) {
            fail(
                *span,
                format!(
                    "{what}: expected its failure message to contain `{text}`, got `{message}`"
                ),
            );
        }
    }
    if let Some(Located { value: wanted, span }) = &step.failure_stage {
        let stage = record
            .failure_details
            .as_ref()
            .and_then(|details| serde_json::to_value(details.failure_stage).ok());
        if stage.as_ref().and_then(Value::as_str) != Some(wanted.as_str()) {
            let got = stage.map_or_else(|| "none".to_string(), |stage| stage.to_string());
            fail(*span, format!("{what}: expected failure stage {wanted}, got {got}"));
        }
    }
    for (input, Located { value: wanted, span }) in &step.inputs {
        match record.inputs.get(input) {
            Some(actual) if actual == *wanted => {}
            actual => {
                let what = format!("{what}: input `{input}`");
                fail(*span, mismatch(&what, wanted, actual.as_ref()));
            }
        }
    }
    if let Some(Located { value: wanted, span }) = &step.outputs {
        let actual = Value::Object(
            record.outputs.iter().map(|(key, value)| (key.clone(), value.clone())).collect(),
        );
        if actual != *wanted {
            fail(*span, format!("{what}: expected outputs {wanted}, got {actual}"));
        }
    }
    if let Some(Located { value: (text, wanted), span }) = &step.duration {
        match (record.execution_start_time, record.execution_end_time) {
            (Some(start), Some(end)) => {
                let took = end.duration_since(start);
                if jiff::SignedDuration::try_from(*wanted).ok() != Some(took) {
                    fail(*span, format!("{what}: expected it to take {text}, it took {took}"));
                }
            }
            _ => fail(*span, format!("{what}: expected it to take {text}, but it has no times")),
        }
    }
    if let Some(Located { value: wanted, span }) = &step.start_time
        && record.execution_start_time != Some(*wanted)
    {
        let got = record.execution_start_time.map_or_else(|| "none".to_string(), |t| t.to_string());
        fail(*span, format!("{what}: expected it to start at {wanted}, it started at {got}"));
    }
    if let Some(Located { value: wanted, span }) = &step.end_time
        && record.execution_end_time != Some(*wanted)
    {
        let got = record.execution_end_time.map_or_else(|| "none".to_string(), |t| t.to_string());
        fail(*span, format!("{what}: expected it to end at {wanted}, it ended at {got}"));
    }
}

fn compare_warnings(
    wanted: &[Located<ExpectedWarning>],
    span: Span,
    execution: &Execution,
    fail: &mut dyn FnMut(Span, String),
) {
    let actual = &execution.warnings;
    let list = || {
        let lines: Vec<String> = actual
            .iter()
            .map(|w| format!("step `{}`: {} ({})", w.step_name, w.reference, w.message))
            .collect();
        if lines.is_empty() { "none".to_string() } else { lines.join("\n    ") }
    };
    if actual.len() != wanted.len() {
        fail(
            span,
            format!(
                "expected {} warnings, the run has {}:\n    {}",
                wanted.len(),
                actual.len(),
                list()
            ),
        );
        return;
    }
    for (index, (Located { value: wanted, span }, actual)) in wanted.iter().zip(actual).enumerate()
    {
        let parts = [
            ("step", wanted.step.as_deref(), actual.step_name.as_str()),
            ("reference", wanted.reference.as_deref(), actual.reference.as_str()),
            ("message", wanted.message.as_deref(), actual.message.as_str()),
        ];
        for (part, wanted, actual) in parts {
            if let Some(wanted) = wanted
                && wanted != actual
            {
                fail(
                    *span,
                    format!("warning {}: expected {part} `{wanted}`, got `{actual}`", index + 1),
                );
            }
        }
    }
}
