//! `aws:deleteImage`: deregisters an AMI and deletes the EBS snapshots behind it.
//!
//! - Calls: `ec2.DescribeImages` (`ImageIds: [ImageId]`) to learn the snapshots (each
//!   `BlockDeviceMappings[].Ebs.SnapshotId`), then `ec2.DeregisterImage` (`ImageId`), then
//!   `ec2.DeleteSnapshot` (`SnapshotId`) for each snapshot in order.
//! - A snapshot EC2 still counts as used by the image just deregistered
//!   (`InvalidSnapshot.InUse`) is tried again [`POLL_INTERVAL`] later, up
//!   to [`SNAPSHOT_RETRIES`] more times.
//! - Outputs: none.
//! - Fails: on an API error; when `DescribeImages` does not list the image.

use runbook_engine::action::{ActionOutput, StepContext, StepFailure};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::permissions::{ActionCall, always};
use crate::support::{POLL_INTERVAL, Text, call, failed, parse};

/// The action's name.
pub const NAME: &str = "aws:deleteImage";

/// The calls the action makes on its own (see [`crate::permissions`]).
pub const CALLS: &[ActionCall] = &[
    always("ec2", "DescribeImages"),
    always("ec2", "DeregisterImage"),
    always("ec2", "DeleteSnapshot"),
];

/// How many more times a snapshot still in use is tried.
pub const SNAPSHOT_RETRIES: u32 = 5;

/// The `aws:deleteImage` action.
#[derive(Clone, Copy, Debug, Default)]
pub struct DeleteImage;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct Inputs {
    image_id: Text,
}

crate::support::forward_action!(DeleteImage);

async fn run(inputs: Value, cx: &StepContext<'_>) -> Result<ActionOutput, StepFailure> {
    let inputs: Inputs = parse(NAME, inputs)?;
    let image_id = inputs.image_id.as_str();
    let described = call(cx, "ec2", "DescribeImages", json!({ "ImageIds": [image_id] })).await?;
    let Some(image) =
        described.get("Images").and_then(Value::as_array).into_iter().flatten().find(|image| {
            image.get("ImageId").and_then(Value::as_str).is_none_or(|id| id == image_id)
        })
    else {
        return Err(failed(format!("image {image_id} was not found")));
    };
    let snapshots: Vec<String> = image
        .get("BlockDeviceMappings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|mapping| mapping.pointer("/Ebs/SnapshotId")?.as_str())
        .map(String::from)
        .collect();
    call(cx, "ec2", "DeregisterImage", json!({ "ImageId": image_id })).await?;
    for snapshot in &snapshots {
        delete_snapshot(cx, snapshot).await?;
    }
    Ok(ActionOutput::default())
}

async fn delete_snapshot(cx: &StepContext<'_>, snapshot: &str) -> Result<(), StepFailure> {
    let mut retries = 0;
    loop {
        match cx.call("ec2", "DeleteSnapshot", json!({ "SnapshotId": snapshot })).await {
            Ok(_) => return Ok(()),
            Err(error) if error.code == "InvalidSnapshot.InUse" && retries < SNAPSHOT_RETRIES => {
                retries += 1;
                cx.sleep(POLL_INTERVAL).await;
            }
            Err(error) => return Err(StepFailure::api("ec2.DeleteSnapshot", &error)),
        }
    }
}
