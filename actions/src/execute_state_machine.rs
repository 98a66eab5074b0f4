//! `aws:executeStateMachine`: starts a Step Functions execution and waits until it ends.
//!
//! - Calls: `stepfunctions.StartExecution` (`stateMachineArn`, and `name`, `input` when given;
//!   an `input` written as a map or list is sent as its JSON text); then
//!   `stepfunctions.DescribeExecution` (`executionArn`) at once and every
//!   [`POLL_INTERVAL`](crate::POLL_INTERVAL) until `status` is no longer `RUNNING` (nor
//!   `PENDING_REDRIVE`). The service name is boto3's, `stepfunctions` (IAM calls it `states`).
//! - Outputs (SPEC 6.14): `executionArn`, `input`, `name`, `output`, `startDate`,
//!   `stateMachineArn`, `status`, `stopDate`, each as text, from the last `DescribeExecution`
//!   answer when it has them; that answer is also the response (`$.status`).
//! - Ends: no default timeout; `timeoutSeconds` ends a wait that never finishes, `TimedOut`.
//! - Fails: on an API error; when the execution ends `FAILED`, `TIMED_OUT` or `ABORTED`, with
//!   its `error` and `cause`; when `StartExecution` answers no `executionArn`.

use std::fmt::Write as _;

use runbook_engine::action::{ActionOutput, StepContext, StepFailure};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::permissions::{ActionCall, always};
use crate::support::{Poll, Text, as_output_text, call, failed, parse, required_text};

/// The action's name.
pub const NAME: &str = "aws:executeStateMachine";

/// The calls the action makes on its own (see [`crate::permissions`]).
pub const CALLS: &[ActionCall] =
    &[always("stepfunctions", "StartExecution"), always("stepfunctions", "DescribeExecution")];

/// The outputs the action has, in the order SPEC 6.14 lists them.
const OUTPUTS: [&str; 8] = [
    "executionArn",
    "input",
    "name",
    "output",
    "startDate",
    "stateMachineArn",
    "status",
    "stopDate",
];

/// The `aws:executeStateMachine` action.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExecuteStateMachine;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Inputs {
    state_machine_arn: Text,
    #[serde(default)]
    name: Option<Text>,
    #[serde(default)]
    input: Option<Value>,
}

crate::support::forward_action!(ExecuteStateMachine);

async fn run(inputs: Value, cx: &StepContext<'_>) -> Result<ActionOutput, StepFailure> {
    let inputs: Inputs = parse(NAME, inputs)?;
    let mut params = Map::new();
    params.insert("stateMachineArn".into(), json!(inputs.state_machine_arn.as_str()));
    if let Some(name) = &inputs.name {
        params.insert("name".into(), json!(name.as_str()));
    }
    match &inputs.input {
        None | Some(Value::Null) => {}
        Some(Value::String(text)) => {
            params.insert("input".into(), json!(text));
        }
        Some(other) => {
            params.insert("input".into(), json!(other.to_string()));
        }
    }
    let started = call(cx, "stepfunctions", "StartExecution", Value::Object(params)).await?;
    let execution_arn = required_text(&started, "/executionArn", "stepfunctions.StartExecution")?;
    let described = wait_for_execution(cx, &execution_arn).await?;
    let status = described.get("status").and_then(Value::as_str).unwrap_or_default();
    if status != "SUCCEEDED" {
        let mut detail = String::new();
        for field in ["error", "cause"] {
            if let Some(text) = described.get(field).and_then(Value::as_str) {
                let _ = write!(detail, ", {field}: {text}");
            }
        }
        return Err(failed(format!("execution {execution_arn} ended {status}{detail}")));
    }
    let mut output = ActionOutput::response(described.clone());
    for name in OUTPUTS {
        if let Some(value) = described.get(name).filter(|value| !value.is_null()) {
            output = output.with_output(name, Value::String(as_output_text(value)));
        }
    }
    Ok(output)
}

async fn wait_for_execution(
    cx: &StepContext<'_>,
    execution_arn: &str,
) -> Result<Value, StepFailure> {
    let params = json!({ "executionArn": execution_arn });
    let mut poll = Poll::new(cx);
    loop {
        poll.next().await;
        let described = call(cx, "stepfunctions", "DescribeExecution", params.clone()).await?;
        let status = described.get("status").and_then(Value::as_str).unwrap_or_default();
        if !matches!(status, "" | "RUNNING" | "PENDING_REDRIVE") {
            return Ok(described);
        }
    }
}
