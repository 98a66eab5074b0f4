//! `aws:deleteStack`: deletes a `CloudFormation` stack and waits until it is gone.
//!
//! - Calls: `cloudformation.DeleteStack` (`StackName`, and `ClientRequestToken`,
//!   `RetainResources`, `RoleARN` when given); then `cloudformation.DescribeStacks`
//!   (`StackName`) at once and every [`POLL_INTERVAL`](crate::POLL_INTERVAL) until the status
//!   no longer ends in `_IN_PROGRESS`.
//! - Done: at `DELETE_COMPLETE`, or when `CloudFormation` answers that the stack does not exist
//!   (`ValidationError` "... does not exist", what a deleted stack's name gives) or lists no
//!   stack.
//! - Outputs: none.
//! - Ends: no default timeout; `timeoutSeconds` ends a wait that never finishes, `TimedOut`.
//! - Fails: on an API error; when the deletion ends in another status (`DELETE_FAILED`), with
//!   `CloudFormation`'s reason.

use runbook_engine::action::{ActionOutput, StepContext, StepFailure};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::create_stack::wait_for_stack;
use crate::permissions::{ActionCall, When, always, when};
use crate::support::{Text, TextList, call, failed, parse, to_params};

/// The action's name.
pub const NAME: &str = "aws:deleteStack";

/// The calls the action makes on its own (see [`crate::permissions`]).
pub const CALLS: &[ActionCall] = &[
    always("cloudformation", "DeleteStack"),
    always("cloudformation", "DescribeStacks"),
    when("iam", "PassRole", When::Given(&["RoleARN"])),
];

/// The `aws:deleteStack` action.
#[derive(Clone, Copy, Debug, Default)]
pub struct DeleteStack;

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct Inputs {
    stack_name: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_request_token: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retain_resources: Option<TextList>,
    #[serde(default, rename = "RoleARN", skip_serializing_if = "Option::is_none")]
    role_arn: Option<Text>,
}

crate::support::forward_action!(DeleteStack);

async fn run(inputs: Value, cx: &StepContext<'_>) -> Result<ActionOutput, StepFailure> {
    let inputs: Inputs = parse(NAME, inputs)?;
    let params = Value::Object(to_params(&inputs)?);
    call(cx, "cloudformation", "DeleteStack", params).await?;
    match wait_for_stack(cx, inputs.stack_name.as_str()).await? {
        None => Ok(ActionOutput::default()),
        Some(stack) if stack.status == "DELETE_COMPLETE" => Ok(ActionOutput::default()),
        Some(stack) => Err(failed(format!(
            "stack {} ended {}{}",
            inputs.stack_name,
            stack.status,
            stack.reason_suffix()
        ))),
    }
}
