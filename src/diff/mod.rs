//! Comparing two run records (`runbook diff`): whether two runs of a runbook, local or on the
//! service, did the same thing.
//!
//! Records are read as JSON in the shape of `runbook run --output json` (the service's
//! `GetAutomationExecution` shape, see [`runbook_engine::record`]), so that a record from either
//! side compares without being typed first. What is compared, and nothing else (ids and times
//! always differ):
//!
//! - the run's status;
//! - its path, the steps that ran in the order they started;
//! - each step's status and outputs, a step met again in a loop paired with its namesake of
//!   the same rank on the other side;
//! - the run's outputs;
//! - the AWS calls the run made itself (a child's calls are compared in the child), in order:
//!   service and operation, and parameters where both records carry them. A record without
//!   `Calls` (the service keeps none) has nothing to compare them with;
//! - the child runs of `aws:executeAutomation` steps and of runs over targets, recursively,
//!   where both records hold them.
//!
//! [`diff_records`] never fails: a field a record lacks compares as empty. [`check_record`]
//! says whether a value is a run record at all, for callers that read records from files.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::terminal::escape;

/// How two run records differ: every divergence found, in the order of the record (status,
/// path, steps, outputs, calls). Empty when the records agree.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RecordDiff {
    /// The divergences, in the order of the record.
    pub divergences: Vec<Divergence>,
}

impl RecordDiff {
    /// Whether the records agree.
    pub fn is_empty(&self) -> bool {
        self.divergences.is_empty()
    }

    /// The first divergence, where the runs began to differ as far as the records tell.
    pub fn first(&self) -> Option<&Divergence> {
        self.divergences.first()
    }
}

/// One way two run records differ. `a` is the first record's side, `b` the second's.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Divergence {
    /// The runs ended with different statuses.
    Status {
        /// A's status.
        a: String,
        /// B's status.
        b: String,
        /// A's `FailureMessage`.
        #[serde(skip_serializing_if = "Option::is_none")]
        a_failure: Option<String>,
        /// B's `FailureMessage`.
        #[serde(skip_serializing_if = "Option::is_none")]
        b_failure: Option<String>,
    },
    /// The runs took different paths: at position `at` (from 1) they ran different steps, or
    /// one stopped while the other went on.
    Path {
        /// The position of the first step that differs, from 1.
        at: usize,
        /// The step A ran there, if it ran one.
        a: Option<String>,
        /// The step B ran there, if it ran one.
        b: Option<String>,
        /// A's whole path.
        a_path: Vec<String>,
        /// B's whole path.
        b_path: Vec<String>,
        /// The first step of A that did not succeed.
        #[serde(skip_serializing_if = "Option::is_none")]
        a_failed: Option<FailedStep>,
        /// The first step of B that did not succeed.
        #[serde(skip_serializing_if = "Option::is_none")]
        b_failed: Option<FailedStep>,
    },
    /// A step that ran on both sides ended with different statuses.
    StepStatus {
        /// The step's name.
        step: String,
        /// Which of the step's executions (from 1; more than 1 in loops).
        occurrence: usize,
        /// A's status of the step.
        a: String,
        /// B's status of the step.
        b: String,
        /// The step's `FailureMessage` in A.
        #[serde(skip_serializing_if = "Option::is_none")]
        a_failure: Option<String>,
        /// The step's `FailureMessage` in B.
        #[serde(skip_serializing_if = "Option::is_none")]
        b_failure: Option<String>,
    },
    /// A step's output has different values, or a value on one side only.
    StepOutput {
        /// The step's name.
        step: String,
        /// Which of the step's executions (from 1).
        occurrence: usize,
        /// The output's name.
        output: String,
        /// A's value.
        a: Option<Value>,
        /// B's value.
        b: Option<Value>,
    },
    /// One of the run's outputs has different values, or a value on one side only.
    Output {
        /// The output's name (`step.Output`).
        output: String,
        /// A's value.
        a: Option<Value>,
        /// B's value.
        b: Option<Value>,
    },
    /// The runs' calls part at call `index` (from 1): different operations, or one side made
    /// no more calls. Later calls are not compared, since they no longer line up.
    Call {
        /// The position of the call, from 1.
        index: usize,
        /// A's call there.
        a: Option<Call>,
        /// B's call there.
        b: Option<Call>,
    },
    /// Both runs made the same operation at call `index` (from 1), with different parameters.
    CallParams {
        /// The position of the call, from 1.
        index: usize,
        /// A's call.
        a: Call,
        /// B's call.
        b: Call,
        /// A's parameters.
        a_params: Value,
        /// B's parameters.
        b_params: Value,
    },
    /// The child runs of a step differ.
    Child {
        /// The step that started the child (for runs over targets, the target).
        step: String,
        /// Which of the step's executions (from 1).
        occurrence: usize,
        /// How the children differ.
        diff: RecordDiff,
    },
}

/// An AWS call, as far as a diff names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Call {
    /// The service (`ec2`).
    pub service: String,
    /// The operation (`DescribeInstances`).
    pub api: String,
    /// The step that made it, when the record says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
}

/// A step that did not succeed, to show beside a path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailedStep {
    /// The step's name.
    pub step: String,
    /// Its status.
    pub status: String,
    /// Its `FailureMessage`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Why a value is not a run record.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The value is not a JSON object.
    #[error("a run record is a JSON object, this is {0}")]
    NotAnObject(&'static str),
    /// A field every record has is missing or of the wrong type.
    #[error("{path}: expected {expected}")]
    Field {
        /// Where the field is (`StepExecutions[2].StepStatus`).
        path: String,
        /// What it should be.
        expected: &'static str,
    },
}

/// Checks that `value` is a run record: an object with `AutomationExecutionStatus` (a status
/// text) and, where present, `StepExecutions`, `Outputs` and `Calls` of the right types, down
/// through the child records.
pub fn check_record(value: &Value) -> Result<(), RecordError> {
    let Value::Object(_) = value else { return Err(RecordError::NotAnObject(kind(value))) };
    check_at(value, "")
}

fn check_at(value: &Value, prefix: &str) -> Result<(), RecordError> {
    let field = |name: &str, expected: &'static str| RecordError::Field {
        path: format!("{prefix}{name}"),
        expected,
    };
    let Some(object) = value.as_object() else { return Err(field("", "a run record (object)")) };
    if !object.get("AutomationExecutionStatus").is_some_and(Value::is_string) {
        return Err(field("AutomationExecutionStatus", "a status text"));
    }
    if object.get("Outputs").is_some_and(|outputs| !outputs.is_object()) {
        return Err(field("Outputs", "an object"));
    }
    if object.get("Calls").is_some_and(|calls| !calls.is_array()) {
        return Err(field("Calls", "a list"));
    }
    if let Some(calls) = object.get("Calls").and_then(Value::as_array) {
        for (index, call) in calls.iter().enumerate() {
            let ok = call.get("Service").is_some_and(Value::is_string)
                && call.get("Api").is_some_and(Value::is_string);
            if !ok {
                return Err(field(&format!("Calls[{index}]"), "a call with Service and Api"));
            }
        }
    }
    match object.get("StepExecutions") {
        None => {}
        Some(Value::Array(steps)) => {
            for (index, step) in steps.iter().enumerate() {
                let at = format!("StepExecutions[{index}]");
                if !step.get("StepName").is_some_and(Value::is_string) {
                    return Err(field(&format!("{at}.StepName"), "a step name"));
                }
                if !step.get("StepStatus").is_some_and(Value::is_string) {
                    return Err(field(&format!("{at}.StepStatus"), "a status text"));
                }
                if step.get("Outputs").is_some_and(|v| !v.is_object()) {
                    return Err(field(&format!("{at}.Outputs"), "an object"));
                }
                if let Some(child) = step.get("Child") {
                    check_at(child, &format!("{prefix}{at}.Child."))?;
                }
            }
        }
        Some(_) => return Err(field("StepExecutions", "a list")),
    }
    Ok(())
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Compares two run records. Never fails: what a record lacks compares as empty (see the
/// module's documentation for what is compared).
pub fn diff_records(a: &Value, b: &Value) -> RecordDiff {
    let mut divergences = Vec::new();
    let status = |record: &Value| text(record, "AutomationExecutionStatus").unwrap_or_default();
    if status(a) != status(b) {
        divergences.push(Divergence::Status {
            a: status(a),
            b: status(b),
            a_failure: text(a, "FailureMessage"),
            b_failure: text(b, "FailureMessage"),
        });
    }
    let (a_steps, b_steps) = (steps(a), steps(b));
    let (a_path, b_path) = (path(&a_steps), path(&b_steps));
    if a_path != b_path {
        let at = a_path
            .iter()
            .zip(&b_path)
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| a_path.len().min(b_path.len()));
        divergences.push(Divergence::Path {
            at: at + 1,
            a: a_path.get(at).map(|s| (*s).to_string()),
            b: b_path.get(at).map(|s| (*s).to_string()),
            a_path: a_path.iter().map(|s| (*s).to_string()).collect(),
            b_path: b_path.iter().map(|s| (*s).to_string()).collect(),
            a_failed: failed_step(&a_steps),
            b_failed: failed_step(&b_steps),
        });
    }
    compare_steps(&a_steps, &b_steps, &mut divergences);
    for (output, a, b) in map_differences(a.get("Outputs"), b.get("Outputs")) {
        divergences.push(Divergence::Output { output, a, b });
    }
    if let (Some(a_calls), Some(b_calls)) = (own_calls(a), own_calls(b)) {
        compare_calls(&a_calls, &b_calls, &mut divergences);
    }
    RecordDiff { divergences }
}

/// A step execution, with its rank among the executions of steps of the same name.
struct Step<'a> {
    name: &'a str,
    occurrence: usize,
    status: &'a str,
    record: &'a Value,
}

fn steps(record: &Value) -> Vec<Step<'_>> {
    let mut seen: Vec<(&str, usize)> = Vec::new();
    let Some(list) = record.get("StepExecutions").and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .map(|step| {
            let name = step.get("StepName").and_then(Value::as_str).unwrap_or_default();
            let occurrence = match seen.iter_mut().find(|(seen, _)| *seen == name) {
                Some((_, count)) => {
                    *count += 1;
                    *count
                }
                None => {
                    seen.push((name, 1));
                    1
                }
            };
            let status = step.get("StepStatus").and_then(Value::as_str).unwrap_or("Pending");
            Step { name, occurrence, status, record: step }
        })
        .collect()
}

fn path<'a>(steps: &[Step<'a>]) -> Vec<&'a str> {
    steps.iter().filter(|step| step.status != "Pending").map(|step| step.name).collect()
}

fn failed_step(steps: &[Step<'_>]) -> Option<FailedStep> {
    steps.iter().find(|step| matches!(step.status, "Failed" | "TimedOut" | "Cancelled")).map(
        |step| FailedStep {
            step: step.name.to_string(),
            status: step.status.to_string(),
            message: text(step.record, "FailureMessage"),
        },
    )
}

/// Compares the steps both records hold. A step on one side only, or one that ran on one side
/// and not the other, is a difference of path, reported there.
fn compare_steps(a_steps: &[Step<'_>], b_steps: &[Step<'_>], out: &mut Vec<Divergence>) {
    for a in a_steps {
        let Some(b) = b_steps.iter().find(|b| b.name == a.name && b.occurrence == a.occurrence)
        else {
            continue;
        };
        if a.status == "Pending" || b.status == "Pending" {
            continue;
        }
        let (step, occurrence) = (a.name.to_string(), a.occurrence);
        if a.status != b.status {
            out.push(Divergence::StepStatus {
                step: step.clone(),
                occurrence,
                a: a.status.to_string(),
                b: b.status.to_string(),
                a_failure: text(a.record, "FailureMessage"),
                b_failure: text(b.record, "FailureMessage"),
            });
        }
        for (output, a_value, b_value) in
            map_differences(a.record.get("Outputs"), b.record.get("Outputs"))
        {
            out.push(Divergence::StepOutput {
                step: step.clone(),
                occurrence,
                output,
                a: a_value,
                b: b_value,
            });
        }
        if let (Some(a_child), Some(b_child)) = (a.record.get("Child"), b.record.get("Child")) {
            let diff = diff_records(a_child, b_child);
            if !diff.is_empty() {
                out.push(Divergence::Child { step, occurrence, diff });
            }
        }
    }
}

/// The entries of two maps that differ: A's keys in order, then B's keys A lacks.
fn map_differences(
    a: Option<&Value>,
    b: Option<&Value>,
) -> Vec<(String, Option<Value>, Option<Value>)> {
    let empty = serde_json::Map::new();
    let a = a.and_then(Value::as_object).unwrap_or(&empty);
    let b = b.and_then(Value::as_object).unwrap_or(&empty);
    let mut out = Vec::new();
    for (key, a_value) in a {
        match b.get(key) {
            Some(b_value) if same(a_value, b_value) => {}
            b_value => out.push((key.clone(), Some(a_value.clone()), b_value.cloned())),
        }
    }
    for (key, b_value) in b {
        if !a.contains_key(key) {
            out.push((key.clone(), None, Some(b_value.clone())));
        }
    }
    out
}

/// Equal as JSON values, numbers by value (`1` and `1.0` are the same number), objects
/// whatever the order of their keys.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(key, x)| y.get(key).is_some_and(|y| same(x, y)))
        }
        _ => a == b,
    }
}

/// A call as a diff compares it.
struct MadeCall<'a> {
    call: Call,
    params: Option<&'a Value>,
}

/// The calls the run made itself, not those of its children (compared in the children), or
/// `None` when the record keeps no calls.
fn own_calls(record: &Value) -> Option<Vec<MadeCall<'_>>> {
    let calls = record.get("Calls")?.as_array()?;
    let id = record.get("AutomationExecutionId").and_then(Value::as_str);
    Some(
        calls
            .iter()
            .filter(|call| {
                let by = call.get("AutomationExecutionId").and_then(Value::as_str);
                id.is_none() || by.is_none() || by == id
            })
            .map(|call| MadeCall {
                call: Call {
                    service: text(call, "Service").unwrap_or_default(),
                    api: text(call, "Api").unwrap_or_default(),
                    step: text(call, "StepName"),
                },
                params: call.get("Params").filter(|params| !params.is_null()),
            })
            .collect(),
    )
}

fn compare_calls(a: &[MadeCall<'_>], b: &[MadeCall<'_>], out: &mut Vec<Divergence>) {
    for index in 0..a.len().max(b.len()) {
        let (a_call, b_call) = (a.get(index), b.get(index));
        let same_operation = match (a_call, b_call) {
            (Some(x), Some(y)) => x.call.service == y.call.service && x.call.api == y.call.api,
            _ => false,
        };
        if !same_operation {
            out.push(Divergence::Call {
                index: index + 1,
                a: a_call.map(|c| c.call.clone()),
                b: b_call.map(|c| c.call.clone()),
            });
            return;
        }
        if let (Some(x), Some(y)) = (a_call, b_call)
            && let (Some(a_params), Some(b_params)) = (x.params, y.params)
            && !same(a_params, b_params)
        {
            out.push(Divergence::CallParams {
                index: index + 1,
                a: x.call.clone(),
                b: y.call.clone(),
                a_params: a_params.clone(),
                b_params: b_params.clone(),
            });
        }
    }
}

fn text(value: &Value, field: &str) -> Option<String> {
    value.get(field).and_then(Value::as_str).map(str::to_string)
}

impl fmt::Display for RecordDiff {
    /// One paragraph per divergence, a child run's indented under the step that started it;
    /// text from the records is escaped for the terminal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return writeln!(f, "the runs agree");
        }
        for divergence in &self.divergences {
            writeln!(f, "{divergence}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Status { a, b, a_failure, b_failure } => {
                write!(f, "the status differs: A ended {}", escape(a))?;
                write_reason(f, a_failure.as_deref())?;
                write!(f, ", B ended {}", escape(b))?;
                write_reason(f, b_failure.as_deref())
            }
            Self::Path { at, a, b, a_path, b_path, a_failed, b_failed } => {
                let diverged = match (a, b) {
                    (Some(a), Some(b)) => {
                        format!("step {at} is `{}` in A, `{}` in B", escape(a), escape(b))
                    }
                    (Some(a), None) => {
                        format!("A went on to `{}`, B stopped before step {at}", escape(a))
                    }
                    (None, Some(b)) => {
                        format!("A stopped before step {at}, B went on to `{}`", escape(b))
                    }
                    (None, None) => String::new(),
                };
                write!(
                    f,
                    "the path differs: {diverged}\n  A: {}\n  B: {}",
                    joined(a_path),
                    joined(b_path)
                )?;
                for (side, failed) in [("A", a_failed), ("B", b_failed)] {
                    if let Some(FailedStep { step, status, message }) = failed {
                        write!(
                            f,
                            "\n  in {side}, step `{}` ended {}",
                            escape(step),
                            escape(status)
                        )?;
                        if let Some(message) = message {
                            write!(f, ": {}", escape(message))?;
                        }
                    }
                }
                Ok(())
            }
            Self::StepStatus { step, occurrence, a, b, a_failure, b_failure } => {
                write!(f, "{}: A ended {}", step_name(step, *occurrence), escape(a))?;
                write_reason(f, a_failure.as_deref())?;
                write!(f, ", B ended {}", escape(b))?;
                write_reason(f, b_failure.as_deref())
            }
            Self::StepOutput { step, occurrence, output, a, b } => write!(
                f,
                "{}: output `{}`: A {}, B {}",
                step_name(step, *occurrence),
                escape(output),
                value(a.as_ref()),
                value(b.as_ref())
            ),
            Self::Output { output, a, b } => write!(
                f,
                "output `{}`: A {}, B {}",
                escape(output),
                value(a.as_ref()),
                value(b.as_ref())
            ),
            Self::Call { index, a, b } => {
                write!(f, "call {index}: A ")?;
                write_call(f, a.as_ref())?;
                write!(f, ", B ")?;
                write_call(f, b.as_ref())
            }
            Self::CallParams { index, a, b: _, a_params, b_params } => {
                write!(f, "call {index} ")?;
                write_call(f, Some(a))?;
                write!(
                    f,
                    ": the parameters differ\n  A: {}\n  B: {}",
                    compact(a_params),
                    compact(b_params)
                )
            }
            Self::Child { step, occurrence, diff } => {
                write!(f, "the child runs of {} differ:", step_name(step, *occurrence))?;
                for line in diff.to_string().lines() {
                    write!(f, "\n  {line}")?;
                }
                Ok(())
            }
        }
    }
}

fn write_reason(f: &mut fmt::Formatter<'_>, reason: Option<&str>) -> fmt::Result {
    match reason {
        Some(reason) => write!(f, " ({})", escape(reason)),
        None => Ok(()),
    }
}

fn write_call(f: &mut fmt::Formatter<'_>, call: Option<&Call>) -> fmt::Result {
    match call {
        Some(Call { service, api, step }) => {
            write!(f, "called {}.{}", escape(service), escape(api))?;
            match step {
                Some(step) => write!(f, " (step `{}`)", escape(step)),
                None => Ok(()),
            }
        }
        None => write!(f, "made no more calls"),
    }
}

fn step_name(step: &str, occurrence: usize) -> String {
    if occurrence > 1 {
        format!("step `{}` (execution {occurrence})", escape(step))
    } else {
        format!("step `{}`", escape(step))
    }
}

fn joined(path: &[String]) -> String {
    if path.is_empty() {
        return "(no steps)".to_string();
    }
    path.iter().map(|step| escape(step).into_owned()).collect::<Vec<_>>().join(" → ")
}

fn value(value: Option<&Value>) -> String {
    value.map_or_else(|| "has none".to_string(), |value| format!("has {}", compact(value)))
}

fn compact(value: &Value) -> String {
    let text = value.to_string();
    let text = if text.chars().count() > 200 {
        format!("{}…", text.chars().take(200).collect::<String>())
    } else {
        text
    };
    escape(&text).into_owned()
}

#[cfg(test)]
mod tests;
