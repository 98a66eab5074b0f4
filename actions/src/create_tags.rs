//! `aws:createTags`: tags EC2 resources or Systems Manager resources.
//!
//! - Calls: for `ResourceType` `EC2` (the default), `ec2.CreateTags` (`Resources` from
//!   `ResourceIds`, `Tags`), once for all the resources; for `ManagedInstance`,
//!   `MaintenanceWindow` or `Parameter`, `ssm.AddTagsToResource` (`ResourceType`,
//!   `ResourceId`, `Tags`) for the one resource those types allow.
//! - Outputs: none.
//! - Waits: none. Tags are taken as set once the call succeeds.
//! - Fails: on an API error; on another `ResourceType`; on more than one resource id for the
//!   Systems Manager types; on an empty `ResourceIds`.

use runbook_engine::action::{ActionOutput, StepContext, StepFailure};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::permissions::{ActionCall, When, when};
use crate::support::{Text, TextList, call, parse};

/// The action's name.
pub const NAME: &str = "aws:createTags";

/// The calls the action makes on its own (see [`crate::permissions`]).
pub const CALLS: &[ActionCall] = &[
    when("ec2", "CreateTags", When::Is { input: "ResourceType", values: &["EC2"], absent: true }),
    when(
        "ssm",
        "AddTagsToResource",
        When::Is {
            input: "ResourceType",
            values: &["ManagedInstance", "MaintenanceWindow", "Parameter"],
            absent: false,
        },
    ),
];

/// The `aws:createTags` action.
#[derive(Clone, Copy, Debug, Default)]
pub struct CreateTags;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct Inputs {
    resource_ids: TextList,
    tags: Vec<Value>,
    #[serde(default)]
    resource_type: Option<Text>,
}

crate::support::forward_action!(CreateTags);

async fn run(inputs: Value, cx: &StepContext<'_>) -> Result<ActionOutput, StepFailure> {
    let inputs: Inputs = parse(NAME, inputs)?;
    let ids = inputs.resource_ids.0;
    let invalid = |message: String| {
        Err(StepFailure::invalid_inputs(format!("invalid inputs for {NAME}: {message}")))
    };
    if ids.is_empty() {
        return invalid("ResourceIds is empty".to_string());
    }
    let resource_type = inputs.resource_type.map_or_else(|| "EC2".to_string(), |t| t.0);
    match resource_type.as_str() {
        "EC2" => {
            call(cx, "ec2", "CreateTags", json!({ "Resources": ids, "Tags": inputs.tags })).await?;
        }
        "ManagedInstance" | "MaintenanceWindow" | "Parameter" => {
            let [id] = ids.as_slice() else {
                return invalid(format!(
                    "ResourceIds: a {resource_type} is tagged one at a time, but {} ids are given",
                    ids.len()
                ));
            };
            let params =
                json!({ "ResourceType": resource_type, "ResourceId": id, "Tags": inputs.tags });
            call(cx, "ssm", "AddTagsToResource", params).await?;
        }
        other => {
            return invalid(format!(
                "ResourceType: `{other}` is not one of EC2, ManagedInstance, MaintenanceWindow, Parameter"
            ));
        }
    }
    Ok(ActionOutput::default())
}
