//! Comparing a case's run with what the case expects: status, path, steps, outputs, calls,
//! warnings and child runs, each mismatch located at the expectation it breaks.

use super::{Execution, Expect, Located, Mismatch, Status, Value, Write, as_text, params_match};

/// The expectations of `expect` that `execution` does not meet. An expectation the case does
/// not write (the default `status: Success`) is reported at line 0.
pub fn compare(expect: &Expect, execution: &Execution) -> Vec<Mismatch> {
    let mut failures = Vec::new();
    if let Some(Located { value: text, span }) = &expect.refused {
        failures.push(Mismatch {
            line: span.start.line,
            message: format!(
                "expected the run to be refused with a message containing `{text}`, but it started and ended {}\n  path: {}",
                execution.automation_execution_status,
                execution.path().join(" → ")
            ),
        });
        return failures;
    }
    compare_run(expect, execution, Some(Status::Success), "", &mut failures);
    failures
}

/// Checks `execution` against `expect`; `default_status` is the status wanted when none is
/// written, and `whose` names a child run in messages (empty for the case's own run).
pub(super) fn compare_run(
    expect: &Expect,
    execution: &Execution,
    default_status: Option<Status>,
    whose: &str,
    failures: &mut Vec<Mismatch>,
) {
    let mut fail = |span: runbook_engine::syntax::Span, message: String| {
        failures.push(Mismatch { line: span.start.line, message: format!("{whose}{message}") });
    };
    let status = execution.automation_execution_status;
    if let Some(wanted) = expect.status.as_ref().map(|s| s.value).or(default_status)
        && status != wanted
    {
        let line = expect.status.as_ref().map_or_else(Default::default, |s| s.span);
        let why =
            execution.failure_message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default();
        fail(
            line,
            format!(
                "expected status {wanted}, the run ended {status}{why}\n  path: {}",
                execution.path().join(" → ")
            ),
        );
    }
    if let Some(Located { value: path, span }) = &expect.path {
        let actual: Vec<&str> = execution.path();
        if actual.iter().copied().ne(path.iter().map(String::as_str)) {
            let at = actual
                .iter()
                .zip(path)
                .position(|(a, e)| *a != e)
                .unwrap_or(actual.len().min(path.len()));
            let diverged = match (path.get(at), actual.get(at)) {
                (Some(expected), Some(ran)) => {
                    format!("step {} should be `{expected}`, but `{ran}` ran", at + 1)
                }
                (Some(expected), None) => {
                    format!("the run stopped before step {} `{expected}`", at + 1)
                }
                (None, Some(ran)) => format!("the run went on to `{ran}`"),
                (None, None) => String::new(),
            };
            let failing = execution
                .step_executions
                .iter()
                .find(|s| matches!(s.step_status, Status::Failed | Status::TimedOut))
                .map(|s| {
                    format!(
                        "\n  step `{}` ended {}: {}",
                        s.step_name,
                        s.step_status,
                        s.failure_message.as_deref().unwrap_or("")
                    )
                })
                .unwrap_or_default();
            fail(
                *span,
                format!(
                    "the path differs: {diverged}\n  expected: {}\n  actual:   {}{failing}",
                    path.join(" → "),
                    actual.join(" → ")
                ),
            );
        }
    }
    for (step, Located { value: wanted, span }) in &expect.steps {
        match execution.step(step) {
            None => fail(*span, format!("step `{step}` is not a step of the runbook")),
            Some(record) if record.step_status != *wanted => {
                let why =
                    record.failure_message.as_deref().map(|m| format!(": {m}")).unwrap_or_default();
                fail(
                    *span,
                    format!(
                        "step `{step}`: expected {wanted}, it ended {}{why}",
                        record.step_status
                    ),
                );
            }
            Some(_) => {}
        }
    }
    super::super::details::compare(expect, execution, &mut fail);
    for (name, Located { value: wanted, span }) in &expect.outputs {
        match output(execution, name) {
            None => {
                fail(*span, format!("output `{name}` has no value; expected {}", compact(wanted)));
            }
            Some(actual) if !same(wanted, &actual) => {
                fail(
                    *span,
                    format!(
                        "output `{name}`: expected {}, got {}",
                        compact(wanted),
                        compact(&actual)
                    ),
                );
            }
            Some(_) => {}
        }
    }
    if let Some(Located { value: text, span }) = &expect.failure_message {
        let message = execution.failure_message.as_deref().unwrap_or_default();
        if !message.contains(text.as_str()) {
            let got = if message.is_empty() {
                "no failure message".to_string()
            } else {
                format!("`{message}`")
            };
            fail(*span, format!("expected the failure message to contain `{text}`, got {got}"));
        }
    }
    // A run's calls include its children's, in the order they were made.
    let calls = execution.calls_made();
    let mut position = 0;
    for Located { value: wanted, span } in &expect.calls {
        let found = calls[position..].iter().position(|call| {
            call.service == wanted.service
                && call.api == wanted.api
                && wanted.step.as_ref().is_none_or(|step| *step == call.step_name)
                && (wanted.account.is_none() || wanted.account == call.account)
                && (wanted.region.is_none() || wanted.region == call.region)
                && wanted.params.as_ref().is_none_or(|params| params_match(params, &call.params))
        });
        match found {
            Some(offset) => position += offset + 1,
            None => {
                let params =
                    wanted.params.as_ref().map(|p| format!(" {}", compact(p))).unwrap_or_default();
                let mut by =
                    wanted.step.as_ref().map(|s| format!(" by step `{s}`")).unwrap_or_default();
                if let Some(account) = &wanted.account {
                    let _ = write!(by, " as account {account}");
                }
                if let Some(region) = &wanted.region {
                    let _ = write!(by, " in {region}");
                }
                let made: Vec<String> = calls
                    .iter()
                    .map(|c| {
                        let at = match (&c.account, &c.region) {
                            (Some(account), Some(region)) => format!(" as {account} in {region}"),
                            _ => String::new(),
                        };
                        format!(
                            "{}.{} {} (step `{}`{at})",
                            c.service,
                            c.api,
                            compact(&c.params),
                            c.step_name
                        )
                    })
                    .collect();
                let after =
                    if position == 0 { String::new() } else { format!(" after call {position}") };
                fail(
                    *span,
                    format!(
                        "expected call {}.{}{params}{by}{after} was not made\n  calls made: {}",
                        wanted.service,
                        wanted.api,
                        if made.is_empty() {
                            "none".to_string()
                        } else {
                            made.join("\n              ")
                        }
                    ),
                );
                break;
            }
        }
    }
    let mut nested = Vec::new();
    for (step, Located { value: child_expect, span }) in &expect.children {
        let records: Vec<_> =
            execution.step_executions.iter().filter(|s| s.step_name == *step).collect();
        let Some(last) = records.last() else {
            fail(*span, format!("`children`: step `{step}` is not a step of the runbook"));
            continue;
        };
        // A step that ran more than once (in a loop) is checked on its latest child.
        let Some(child) = records.iter().rev().find_map(|s| s.child.as_deref()) else {
            let why = last.failure_message.as_deref().map(|m| format!(": {m}")).unwrap_or_default();
            fail(
                *span,
                format!(
                    "`children`: step `{step}` started no child automation (it ended {}{why})",
                    last.step_status
                ),
            );
            continue;
        };
        compare_run(child_expect, child, None, &format!("{whose}child of `{step}`: "), &mut nested);
    }
    failures.extend(nested);
}

/// A step output (`step.Output`) or a document output.
pub(super) fn output(execution: &Execution, name: &str) -> Option<Value> {
    if let Some((step, output)) = name.split_once('.')
        && let Some(value) = execution.step(step).and_then(|record| record.outputs.get(output))
    {
        return Some(value.clone());
    }
    execution.outputs.get(name).cloned()
}

/// Whether `wanted` is `actual`, comparing numbers by value and text with scalars by their text.
pub(super) fn same(wanted: &Value, actual: &Value) -> bool {
    match (wanted, actual) {
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| same(v, w)))
        }
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::String(a), b @ (Value::Number(_) | Value::Bool(_))) => *a == as_text(b),
        (a, b) => a == b,
    }
}

pub(super) fn compact(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 200 {
        format!("{}…", text.chars().take(200).collect::<String>())
    } else {
        text
    }
}
