//! `aws:createImage`: makes an AMI from an instance and waits until it is available.
//!
//! - Calls: `ec2.CreateImage` (`InstanceId`, `Name` from `ImageName`, `Description` from
//!   `ImageDescription`, `NoReboot`, `BlockDeviceMappings`, each when given); then
//!   `ec2.DescribeImages` (`ImageIds: [id]`) at once and every
//!   [`POLL_INTERVAL`](crate::POLL_INTERVAL) of the run's clock until the image's `State` is
//!   `available`.
//! - Outputs: `ImageId`, `ImageState` (`available`); the response holds both, for declared
//!   outputs.
//! - Ends: the action has no default timeout; `timeoutSeconds` ends a wait that never
//!   finishes, `TimedOut`.
//! - Fails: on an API error; when the image becomes `failed`, `error`, `invalid` or
//!   `deregistered` (the message carries EC2's `StateReason`); when `CreateImage` answers no
//!   `ImageId`.

use runbook_engine::action::{ActionOutput, StepContext, StepFailure};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::permissions::{ActionCall, always};
use crate::support::{Flag, Poll, Text, call, failed, parse, required_text, to_params};

/// The action's name.
pub const NAME: &str = "aws:createImage";

/// The calls the action makes on its own (see [`crate::permissions`]).
pub const CALLS: &[ActionCall] = &[always("ec2", "CreateImage"), always("ec2", "DescribeImages")];

/// The `aws:createImage` action.
#[derive(Clone, Copy, Debug, Default)]
pub struct CreateImage;

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct Inputs {
    instance_id: Text,
    #[serde(rename(serialize = "Name"))]
    image_name: Text,
    #[serde(default, rename(serialize = "Description"), skip_serializing_if = "Option::is_none")]
    image_description: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    no_reboot: Option<Flag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    block_device_mappings: Option<Value>,
}

crate::support::forward_action!(CreateImage);

async fn run(inputs: Value, cx: &StepContext<'_>) -> Result<ActionOutput, StepFailure> {
    let inputs: Inputs = parse(NAME, inputs)?;
    let params = Value::Object(to_params(&inputs)?);
    let created = call(cx, "ec2", "CreateImage", params).await?;
    let image_id = required_text(&created, "/ImageId", "ec2.CreateImage")?;
    let state = wait_for_image(cx, &image_id).await?;
    Ok(image_output(&image_id, &state))
}

/// The outputs and response of the image actions.
pub(crate) fn image_output(image_id: &str, state: &str) -> ActionOutput {
    ActionOutput::response(json!({ "ImageId": image_id, "ImageState": state }))
        .with_output("ImageId", json!(image_id))
        .with_output("ImageState", json!(state))
}

/// Waits until image `image_id` is `available` and returns that state; fails when it ends in
/// a state it cannot leave.
pub(crate) async fn wait_for_image(
    cx: &StepContext<'_>,
    image_id: &str,
) -> Result<String, StepFailure> {
    let params = json!({ "ImageIds": [image_id] });
    let mut poll = Poll::new(cx);
    loop {
        poll.next().await;
        let response = call(cx, "ec2", "DescribeImages", params.clone()).await?;
        let image =
            response.get("Images").and_then(Value::as_array).into_iter().flatten().find(|image| {
                image.get("ImageId").and_then(Value::as_str).is_none_or(|id| id == image_id)
            });
        let Some(image) = image else { continue };
        let state = image.get("State").and_then(Value::as_str).unwrap_or_default();
        match state {
            "available" => return Ok(state.to_string()),
            "failed" | "error" | "invalid" | "deregistered" => {
                let reason = image
                    .pointer("/StateReason/Message")
                    .and_then(Value::as_str)
                    .map(|reason| format!(": {reason}"))
                    .unwrap_or_default();
                return Err(failed(format!("image {image_id} is {state}{reason}")));
            }
            _ => {}
        }
    }
}
