//! `aws:changeInstanceState`: brings EC2 instances to a state (`running`, `stopped` or
//! `terminated`), or with `CheckStateOnly` only waits until they are in it.
//!
//! - Calls, unless `CheckStateOnly` is true: `ec2.StartInstances` (`InstanceIds`, and
//!   `AdditionalInfo` when given), `ec2.StopInstances` (`InstanceIds`, `Force` when given) or
//!   `ec2.TerminateInstances` (`InstanceIds`), once for all the instances. Instances already in
//!   the state are not left out: EC2 itself treats them as done.
//! - Then waits, at once and every [`POLL_INTERVAL`](crate::POLL_INTERVAL) of the run's clock:
//!   `ec2.DescribeInstances` (`InstanceIds`) until every instance's `State.Name` is the desired
//!   state; for `running`, then `ec2.DescribeInstanceStatus` (`InstanceIds`,
//!   `IncludeAllInstances: true`) until every instance's instance status and system status are
//!   `ok`, as the documentation says.
//! - Outputs: none.
//! - Ends: the step's timeout (3600 s by default) ends a wait that never finishes, `TimedOut`.
//! - Fails: on an API error; when an instance is `shutting-down` or `terminated` while the
//!   desired state is `running` or `stopped` (it can never get there); with
//!   `FailOnUnexpectedStopped` and `running`, when an instance is seen `stopped`; on a
//!   `DesiredState` other than the three. When the desired state is `terminated`, an instance
//!   EC2 no longer knows (`InvalidInstanceID.NotFound`, or absent from the answer) counts as
//!   terminated.

use indexmap::IndexMap;
use runbook_engine::action::{ActionOutput, StepContext, StepFailure};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::permissions::{ActionCall, When, always, when};
use crate::support::{Flag, Poll, Text, TextList, call, failed, parse};

/// The action's name.
pub const NAME: &str = "aws:changeInstanceState";

const DESIRED_STATE: &str = "DesiredState";

/// The calls the action makes on its own (see [`crate::permissions`]).
pub const CALLS: &[ActionCall] = &[
    when(
        "ec2",
        "StartInstances",
        When::Is { input: DESIRED_STATE, values: &["running"], absent: false },
    ),
    when(
        "ec2",
        "StopInstances",
        When::Is { input: DESIRED_STATE, values: &["stopped"], absent: false },
    ),
    when(
        "ec2",
        "TerminateInstances",
        When::Is { input: DESIRED_STATE, values: &["terminated"], absent: false },
    ),
    always("ec2", "DescribeInstances"),
    when(
        "ec2",
        "DescribeInstanceStatus",
        When::Is { input: DESIRED_STATE, values: &["running"], absent: false },
    ),
];

/// The `aws:changeInstanceState` action.
#[derive(Clone, Copy, Debug, Default)]
pub struct ChangeInstanceState;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct Inputs {
    instance_ids: TextList,
    #[serde(default)]
    check_state_only: Option<Flag>,
    desired_state: Text,
    #[serde(default)]
    force: Option<Flag>,
    #[serde(default)]
    fail_on_unexpected_stopped: Option<Flag>,
    #[serde(default)]
    additional_info: Option<Text>,
}

crate::support::forward_action!(ChangeInstanceState);

async fn run(inputs: Value, cx: &StepContext<'_>) -> Result<ActionOutput, StepFailure> {
    let inputs: Inputs = parse(NAME, inputs)?;
    let desired = inputs.desired_state.as_str();
    let ids = inputs.instance_ids.0;
    if ids.is_empty() {
        return Err(StepFailure::invalid_inputs(format!(
            "invalid inputs for {NAME}: InstanceIds is empty"
        )));
    }
    let (api, mut params) = match desired {
        "running" => ("StartInstances", json!({ "InstanceIds": ids })),
        "stopped" => ("StopInstances", json!({ "InstanceIds": ids })),
        "terminated" => ("TerminateInstances", json!({ "InstanceIds": ids })),
        other => {
            return Err(StepFailure::invalid_inputs(format!(
                "invalid inputs for {NAME}: DesiredState: `{other}` is not one of running, stopped, terminated"
            )));
        }
    };
    if !inputs.check_state_only.is_some_and(|flag| flag.0) {
        if let (Some(force), "stopped") = (inputs.force, desired) {
            params["Force"] = Value::Bool(force.0);
        }
        if let (Some(info), "running") = (&inputs.additional_info, desired) {
            params["AdditionalInfo"] = Value::String(info.0.clone());
        }
        call(cx, "ec2", api, params).await?;
    }
    let rules = WaitRules {
        fail_on_stopped: inputs.fail_on_unexpected_stopped.is_some_and(|flag| flag.0),
        just_launched: false,
    };
    wait_for_state(cx, &ids, desired, rules).await?;
    if desired == "running" {
        wait_for_status_ok(cx, &ids).await?;
    }
    Ok(ActionOutput::default())
}

/// One instance as `DescribeInstances` shows it.
struct Seen {
    state: String,
    reason: Option<String>,
}

/// The states of the instances in a `DescribeInstances` answer, by instance id.
fn instance_states(response: &Value) -> IndexMap<String, Seen> {
    let mut states = IndexMap::new();
    let reservations = response.get("Reservations").and_then(Value::as_array);
    for instance in reservations
        .into_iter()
        .flatten()
        .filter_map(|reservation| reservation.get("Instances")?.as_array())
        .flatten()
    {
        let Some(id) = instance.get("InstanceId").and_then(Value::as_str) else { continue };
        let state = instance.pointer("/State/Name").and_then(Value::as_str).unwrap_or_default();
        let reason = instance
            .pointer("/StateReason/Message")
            .or_else(|| instance.get("StateTransitionReason"))
            .and_then(Value::as_str)
            .filter(|reason| !reason.is_empty())
            .map(String::from);
        states.insert(id.to_string(), Seen { state: state.to_string(), reason });
    }
    states
}

/// How a wait for instance states treats what it sees.
#[derive(Clone, Copy, Default)]
pub(crate) struct WaitRules {
    /// Fail when an instance is seen `stopped` on its way to `running`.
    pub(crate) fail_on_stopped: bool,
    /// The instances were just launched: EC2 may not know them yet, so
    /// `InvalidInstanceID.NotFound` means "look again", as boto3's waiters take it.
    pub(crate) just_launched: bool,
}

/// Waits until every instance of `ids` is in `desired` (`running`, `stopped` or `terminated`)
/// and returns their states in the order of `ids`. Fails when an instance can no longer reach
/// the state, and as `rules` say.
pub(crate) async fn wait_for_state(
    cx: &StepContext<'_>,
    ids: &[String],
    desired: &str,
    rules: WaitRules,
) -> Result<Vec<String>, StepFailure> {
    let fail_on_stopped = rules.fail_on_stopped;
    let terminating = desired == "terminated";
    let mut poll = Poll::new(cx);
    loop {
        poll.next().await;
        let response =
            match cx.call("ec2", "DescribeInstances", json!({ "InstanceIds": ids })).await {
                Ok(response) => response,
                Err(error) if terminating && error.code == "InvalidInstanceID.NotFound" => {
                    return Ok(vec![desired.to_string(); ids.len()]);
                }
                Err(error) if rules.just_launched && error.code == "InvalidInstanceID.NotFound" => {
                    continue;
                }
                Err(error) => return Err(StepFailure::api("ec2.DescribeInstances", &error)),
            };
        let states = instance_states(&response);
        let mut reached = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(seen) = states.get(id) else {
                if terminating {
                    reached.push(desired.to_string());
                }
                continue;
            };
            let because = seen.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
            if !terminating && matches!(seen.state.as_str(), "shutting-down" | "terminated") {
                return Err(failed(format!(
                    "instance {id} is {}{because} and can never be {desired}",
                    seen.state
                )));
            }
            if fail_on_stopped && desired == "running" && seen.state == "stopped" {
                return Err(failed(format!(
                    "instance {id} stopped while it was expected to be running{because}"
                )));
            }
            if seen.state == desired {
                reached.push(seen.state.clone());
            }
        }
        if reached.len() == ids.len() {
            return Ok(reached);
        }
    }
}

/// Waits until every instance of `ids` has instance status and system status `ok`.
async fn wait_for_status_ok(cx: &StepContext<'_>, ids: &[String]) -> Result<(), StepFailure> {
    let params = json!({ "InstanceIds": ids, "IncludeAllInstances": true });
    let mut poll = Poll::new(cx);
    loop {
        poll.next().await;
        let response = call(cx, "ec2", "DescribeInstanceStatus", params.clone()).await?;
        let statuses = response.get("InstanceStatuses").and_then(Value::as_array);
        let ok: Vec<&str> = statuses
            .into_iter()
            .flatten()
            .filter(|status| {
                status.pointer("/InstanceStatus/Status").and_then(Value::as_str) == Some("ok")
                    && status.pointer("/SystemStatus/Status").and_then(Value::as_str) == Some("ok")
            })
            .filter_map(|status| status.get("InstanceId")?.as_str())
            .collect();
        if ids.iter().all(|id| ok.contains(&id.as_str())) {
            return Ok(());
        }
    }
}
