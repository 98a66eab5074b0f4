//! `aws:runInstances`: launches EC2 instances and waits until they run.
//!
//! - Calls: `ec2.RunInstances` with the inputs in the API's spelling: `MinCount` and
//!   `MaxCount` from `MinInstanceCount` and `MaxInstanceCount` (1 each when not given),
//!   `IamInstanceProfile` (`{Arn, Name}`) from `IamInstanceProfileArn` and
//!   `IamInstanceProfileName`, `Monitoring` (`{Enabled}`) from the boolean `Monitoring`, the
//!   other inputs under their own names. `InstanceType` is left to EC2's default when not
//!   given. Then `ec2.DescribeInstances` (`InstanceIds`) at once and every
//!   [`POLL_INTERVAL`](crate::POLL_INTERVAL) until every instance is `running`; an
//!   `InvalidInstanceID.NotFound` answer there means EC2 does not list the new instances yet,
//!   and the wait goes on.
//! - Outputs: `InstanceIds` (in the order `RunInstances` listed them) and `InstanceStates`
//!   (each `running`); the response holds both.
//! - Ends: no default timeout; `timeoutSeconds` ends a wait that never finishes, `TimedOut`.
//! - Fails: on an API error; when an instance is `shutting-down` or `terminated` (EC2 ends a
//!   launch that way, for instance when capacity runs out) with EC2's reason; when
//!   `RunInstances` answers no instances.

use runbook_engine::action::{ActionOutput, StepContext, StepFailure};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::change_instance_state::{WaitRules, wait_for_state};
use crate::permissions::{ActionCall, When, always, when};
use crate::support::{Flag, Int, Text, TextList, call, failed, parse, to_params};

/// The action's name.
pub const NAME: &str = "aws:runInstances";

/// The calls the action makes on its own (see [`crate::permissions`]).
pub const CALLS: &[ActionCall] = &[
    always("ec2", "RunInstances"),
    always("ec2", "DescribeInstances"),
    when("iam", "PassRole", When::Given(&["IamInstanceProfileArn", "IamInstanceProfileName"])),
];

/// The `aws:runInstances` action.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunInstances;

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct Inputs {
    image_id: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    additional_info: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    block_device_mappings: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_token: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    disable_api_termination: Option<Flag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ebs_optimized: Option<Flag>,
    #[serde(default, skip_serializing)]
    iam_instance_profile_arn: Option<Text>,
    #[serde(default, skip_serializing)]
    iam_instance_profile_name: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    instance_initiated_shutdown_behavior: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    instance_type: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kernel_id: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key_name: Option<Text>,
    #[serde(default, skip_serializing)]
    max_instance_count: Option<Int>,
    #[serde(default, skip_serializing)]
    min_instance_count: Option<Int>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    metadata_options: Option<Value>,
    #[serde(default, skip_serializing)]
    monitoring: Option<Flag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    network_interfaces: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    placement: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    private_ip_address: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ramdisk_id: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    security_group_ids: Option<TextList>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    security_groups: Option<TextList>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subnet_id: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tag_specifications: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_data: Option<Text>,
}

impl Inputs {
    /// The `RunInstances` request.
    fn request(&self) -> Result<Value, StepFailure> {
        let mut params = to_params(self)?;
        params.insert("MinCount".into(), json!(self.min_instance_count.map_or(1, |n| n.0)));
        params.insert("MaxCount".into(), json!(self.max_instance_count.map_or(1, |n| n.0)));
        let mut profile = Map::new();
        if let Some(arn) = &self.iam_instance_profile_arn {
            profile.insert("Arn".into(), json!(arn.as_str()));
        }
        if let Some(name) = &self.iam_instance_profile_name {
            profile.insert("Name".into(), json!(name.as_str()));
        }
        if !profile.is_empty() {
            params.insert("IamInstanceProfile".into(), Value::Object(profile));
        }
        if let Some(monitoring) = self.monitoring {
            params.insert("Monitoring".into(), json!({ "Enabled": monitoring.0 }));
        }
        Ok(Value::Object(params))
    }
}

crate::support::forward_action!(RunInstances);

async fn run(inputs: Value, cx: &StepContext<'_>) -> Result<ActionOutput, StepFailure> {
    let inputs: Inputs = parse(NAME, inputs)?;
    let launched = call(cx, "ec2", "RunInstances", inputs.request()?).await?;
    let ids: Vec<String> = launched
        .get("Instances")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|instance| instance.get("InstanceId")?.as_str())
        .map(String::from)
        .collect();
    if ids.is_empty() {
        return Err(failed("ec2.RunInstances answered no instances"));
    }
    let rules = WaitRules { just_launched: true, ..WaitRules::default() };
    let states = wait_for_state(cx, &ids, "running", rules).await?;
    Ok(ActionOutput::response(json!({ "InstanceIds": ids, "InstanceStates": states }))
        .with_output("InstanceIds", json!(ids))
        .with_output("InstanceStates", json!(states)))
}
