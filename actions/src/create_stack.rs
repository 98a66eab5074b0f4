//! `aws:createStack`: creates a `CloudFormation` stack and waits until its creation ends.
//!
//! - Calls: `cloudformation.CreateStack` with every input given, under its own name (the
//!   inputs are `CloudFormation`'s: `StackName`, `TemplateBody`, `Parameters`, `Capabilities`,
//!   `OnFailure`, ...); then `cloudformation.DescribeStacks` (`StackName` set to the new
//!   `StackId`, which still answers once the stack is deleted) at once and every
//!   [`POLL_INTERVAL`](crate::POLL_INTERVAL) until the status no longer ends in
//!   `_IN_PROGRESS`.
//! - Outputs: `StackId`, `StackStatus` (`CREATE_COMPLETE`), `StackStatusReason` (empty when
//!   `CloudFormation` gives none); the response holds the three.
//! - Ends: no default timeout; `timeoutSeconds` ends a wait that never finishes, `TimedOut`.
//! - Fails: on an API error; when the creation ends in any status but `CREATE_COMPLETE`
//!   (`CREATE_FAILED`, `ROLLBACK_COMPLETE`, `ROLLBACK_FAILED`, `DELETE_COMPLETE` after
//!   `OnFailure: DELETE`, ...), with the status and its reason; when `CreateStack` answers no
//!   `StackId`.

use runbook_engine::action::{ActionOutput, StepContext, StepFailure};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::permissions::{ActionCall, When, always, when};
use crate::support::{
    Flag, Int, Poll, Text, TextList, call, failed, parse, required_text, to_params,
};

/// The action's name.
pub const NAME: &str = "aws:createStack";

/// The calls the action makes on its own (see [`crate::permissions`]).
pub const CALLS: &[ActionCall] = &[
    always("cloudformation", "CreateStack"),
    always("cloudformation", "DescribeStacks"),
    when("iam", "PassRole", When::Given(&["RoleARN"])),
];

/// The `aws:createStack` action.
#[derive(Clone, Copy, Debug, Default)]
pub struct CreateStack;

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct Inputs {
    stack_name: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    capabilities: Option<TextList>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_request_token: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    disable_rollback: Option<Flag>,
    #[serde(default, rename = "NotificationARNs", skip_serializing_if = "Option::is_none")]
    notification_arns: Option<TextList>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    on_failure: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parameters: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resource_types: Option<TextList>,
    #[serde(default, rename = "RoleARN", skip_serializing_if = "Option::is_none")]
    role_arn: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stack_policy_body: Option<Text>,
    #[serde(default, rename = "StackPolicyURL", skip_serializing_if = "Option::is_none")]
    stack_policy_url: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tags: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    template_body: Option<Text>,
    #[serde(default, rename = "TemplateURL", skip_serializing_if = "Option::is_none")]
    template_url: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    timeout_in_minutes: Option<Int>,
}

crate::support::forward_action!(CreateStack);

async fn run(inputs: Value, cx: &StepContext<'_>) -> Result<ActionOutput, StepFailure> {
    let inputs: Inputs = parse(NAME, inputs)?;
    let params = Value::Object(to_params(&inputs)?);
    let created = call(cx, "cloudformation", "CreateStack", params).await?;
    let stack_id = required_text(&created, "/StackId", "cloudformation.CreateStack")?;
    let stack = wait_for_stack(cx, &stack_id).await?;
    let Some(stack) = stack else {
        return Err(failed(format!("stack {stack_id} does not exist any more")));
    };
    if stack.status != "CREATE_COMPLETE" {
        return Err(failed(format!(
            "stack {} ended {}{}",
            inputs.stack_name,
            stack.status,
            stack.reason_suffix()
        )));
    }
    Ok(ActionOutput::response(json!({
        "StackId": stack_id,
        "StackStatus": stack.status,
        "StackStatusReason": stack.reason,
    }))
    .with_output("StackId", json!(stack_id))
    .with_output("StackStatus", json!(stack.status))
    .with_output("StackStatusReason", json!(stack.reason)))
}

/// A stack's status as `DescribeStacks` gives it.
pub(crate) struct StackState {
    pub(crate) status: String,
    pub(crate) reason: String,
}

impl StackState {
    /// `: reason`, or nothing when there is no reason.
    pub(crate) fn reason_suffix(&self) -> String {
        if self.reason.is_empty() { String::new() } else { format!(": {}", self.reason) }
    }
}

/// Whether a `DescribeStacks` error says the stack does not exist.
pub(crate) fn is_missing_stack(error: &runbook_engine::action::ApiError) -> bool {
    error.code == "ValidationError" && error.message.contains("does not exist")
}

/// Waits until stack `stack` (a name or id) is in a status that does not end in
/// `_IN_PROGRESS`; `None` when `CloudFormation` says the stack does not exist.
pub(crate) async fn wait_for_stack(
    cx: &StepContext<'_>,
    stack: &str,
) -> Result<Option<StackState>, StepFailure> {
    let params = json!({ "StackName": stack });
    let mut poll = Poll::new(cx);
    loop {
        poll.next().await;
        let response = match cx.call("cloudformation", "DescribeStacks", params.clone()).await {
            Ok(response) => response,
            Err(error) if is_missing_stack(&error) => return Ok(None),
            Err(error) => return Err(StepFailure::api("cloudformation.DescribeStacks", &error)),
        };
        let Some(found) = response.pointer("/Stacks/0") else { return Ok(None) };
        let status = found.get("StackStatus").and_then(Value::as_str).unwrap_or_default();
        if status.is_empty() || status.ends_with("_IN_PROGRESS") {
            continue;
        }
        let reason = found.get("StackStatusReason").and_then(Value::as_str).unwrap_or_default();
        return Ok(Some(StackState { status: status.to_string(), reason: reason.to_string() }));
    }
}
