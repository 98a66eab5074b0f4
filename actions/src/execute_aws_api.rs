//! `aws:executeAwsApi`: one AWS call, `Service.Api`, whose request parameters are every other
//! input, passed on unchanged (spelled as the API spells them).
//!
//! - Calls: `<Service>.<Api>` once, exactly as written (`ec2.DescribeInstances`).
//! - Outputs: none predefined; declared outputs select from the API's response, which is the
//!   step's response as the API returned it.
//! - Waits: none.
//! - Fails: when the API answers an error (throttling is retried first by the step context),
//!   with the error's code in the record; when `Service` or `Api` is missing or not text.

use runbook_engine::action::{ActionOutput, StepContext, StepFailure};
use serde::Deserialize;
use serde_json::Value;

use crate::permissions::ActionCall;
use crate::support::{Text, call_shared, split_api_inputs};

/// The action's name.
pub const NAME: &str = "aws:executeAwsApi";

/// The calls the action makes on its own: none, its `Service` and `Api` name the one call it makes, step by step.
pub const CALLS: &[ActionCall] = &[];

/// The `aws:executeAwsApi` action.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExecuteAwsApi;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Inputs {
    service: Text,
    api: Text,
}

crate::support::forward_action!(ExecuteAwsApi);

async fn run(inputs: Value, cx: &StepContext<'_>) -> Result<ActionOutput, StepFailure> {
    let (inputs, params): (Inputs, Value) = split_api_inputs(NAME, inputs, &["Service", "Api"])?;
    let response = call_shared(cx, inputs.service.as_str(), inputs.api.as_str(), params).await?;
    Ok(ActionOutput::shared_response(response))
}
