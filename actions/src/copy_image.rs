//! `aws:copyImage`: copies an AMI from another region into the run's region and waits until
//! the copy is available.
//!
//! - Calls: `ec2.CopyImage` (`SourceRegion`, `SourceImageId`, `Name` from `ImageName`,
//!   `Description` from `ImageDescription`, `Encrypted`, `KmsKeyId`, `ClientToken`, each when
//!   given), made in the run's region (the backend's): that is where the copy is made. Then
//!   `ec2.DescribeImages` (`ImageIds: [id]`) at once and every
//!   [`POLL_INTERVAL`](crate::POLL_INTERVAL) until the copy's `State` is `available`.
//! - Outputs: `ImageId` (the copy), `ImageState` (`available`); the response holds both.
//! - Ends: no default timeout; `timeoutSeconds` ends a wait that never finishes, `TimedOut`.
//! - Fails: on an API error; when the copy becomes `failed`, `error`, `invalid` or
//!   `deregistered`; when `CopyImage` answers no `ImageId`.

use runbook_engine::action::{ActionOutput, StepContext, StepFailure};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::create_image::{image_output, wait_for_image};
use crate::permissions::{ActionCall, always};
use crate::support::{Flag, Text, call, parse, required_text, to_params};

/// The action's name.
pub const NAME: &str = "aws:copyImage";

/// The calls the action makes on its own (see [`crate::permissions`]).
pub const CALLS: &[ActionCall] = &[always("ec2", "CopyImage"), always("ec2", "DescribeImages")];

/// The `aws:copyImage` action.
#[derive(Clone, Copy, Debug, Default)]
pub struct CopyImage;

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct Inputs {
    source_region: Text,
    source_image_id: Text,
    #[serde(rename(serialize = "Name"))]
    image_name: Text,
    #[serde(default, rename(serialize = "Description"), skip_serializing_if = "Option::is_none")]
    image_description: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    encrypted: Option<Flag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kms_key_id: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_token: Option<Text>,
}

crate::support::forward_action!(CopyImage);

async fn run(inputs: Value, cx: &StepContext<'_>) -> Result<ActionOutput, StepFailure> {
    let inputs: Inputs = parse(NAME, inputs)?;
    let params = Value::Object(to_params(&inputs)?);
    let copied = call(cx, "ec2", "CopyImage", params).await?;
    let image_id = required_text(&copied, "/ImageId", "ec2.CopyImage")?;
    let state = wait_for_image(cx, &image_id).await?;
    Ok(image_output(&image_id, &state))
}
