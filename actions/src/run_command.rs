//! `aws:runCommand`: runs a Command document on managed instances with Run Command and waits
//! until it ends.
//!
//! - Calls: `ssm.SendCommand` with every input given, under its own name (`DocumentName`,
//!   `InstanceIds` or `Targets`, `Parameters`, `MaxConcurrency`, `MaxErrors`,
//!   `TimeoutSeconds`, `Comment`, `OutputS3BucketName`, ...). `Parameters` are sent as
//!   `SendCommand` takes them, each a list of text: a text value becomes a one-item list, a
//!   number or boolean its text, a map its JSON text, a list the text of each item.
//!   `Parameters` given as JSON text (a `String` parameter holding the map) is read first.
//! - Then `ssm.ListCommands` (`CommandId`) at once and every
//!   [`POLL_INTERVAL`](crate::POLL_INTERVAL) until the command's `Status` is no longer
//!   `Pending`, `InProgress` or `Cancelling`; then once `ssm.ListCommandInvocations`
//!   (`CommandId`, `Details: true`) for each instance's result. `GetCommandInvocation` is not
//!   used: it reports one plugin of a document, and needs the plugin's name for documents with
//!   several steps, while `ListCommandInvocations` reports every instance, with or without
//!   `Targets`.
//! - Outputs: `CommandId`; `Status` (the command's); when `InstanceIds` named the instances and
//!   one invocation ran, `Output` (its plugins' `Output`, joined by line breaks when there are
//!   several) and, when its document has one step, `ResponseCode`. The response holds them.
//! - Ends: no default timeout; `timeoutSeconds` ends a wait that never finishes, `TimedOut`.
//! - Fails: on an API error; unless the command and every invocation end `Success`
//!   (RULINGS 20): the message lists each instance with its status, exit code and output;
//!   when neither `InstanceIds` nor `Targets` is given.

use std::fmt::Write as _;

use runbook_engine::action::{ActionOutput, StepContext, StepFailure};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::permissions::{ActionCall, always};
use crate::support::{Int, Poll, Text, TextList, call, failed, parse, required_text, to_params};

/// The action's name.
pub const NAME: &str = "aws:runCommand";

/// The calls the action makes on its own (see [`crate::permissions`]).
pub const CALLS: &[ActionCall] = &[
    always("ssm", "SendCommand"),
    always("ssm", "ListCommands"),
    always("ssm", "ListCommandInvocations"),
];

/// The longest part of an instance's output a failure message shows.
const SHOWN_OUTPUT: usize = 200;

/// The `aws:runCommand` action.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunCommand;

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct Inputs {
    document_name: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    instance_ids: Option<TextList>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    targets: Option<Value>,
    #[serde(default, skip_serializing)]
    parameters: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cloud_watch_output_config: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    document_hash: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    document_hash_type: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    document_version: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_concurrency: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_errors: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    notification_config: Option<Value>,
    #[serde(default, rename = "OutputS3BucketName", skip_serializing_if = "Option::is_none")]
    output_s3_bucket_name: Option<Text>,
    #[serde(default, rename = "OutputS3KeyPrefix", skip_serializing_if = "Option::is_none")]
    output_s3_key_prefix: Option<Text>,
    #[serde(default, rename = "OutputS3Region", skip_serializing_if = "Option::is_none")]
    output_s3_region: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    service_role_arn: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    timeout_seconds: Option<Int>,
}

impl Inputs {
    fn request(&self) -> Result<Value, StepFailure> {
        let mut params = to_params(self)?;
        if let Some(parameters) = &self.parameters {
            params.insert("Parameters".into(), command_parameters(parameters)?);
        }
        Ok(Value::Object(params))
    }
}

/// `Parameters` as `SendCommand` takes them: each a list of text. A map written as JSON text
/// (a `String` parameter holding it) is read first.
fn command_parameters(parameters: &Value) -> Result<Value, StepFailure> {
    let parsed;
    let parameters = match parameters {
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
            &parsed
        }
        other => other,
    };
    let Value::Object(parameters) = parameters else {
        return Err(StepFailure::invalid_inputs(format!(
            "invalid inputs for {NAME}: Parameters: expected a map of the document's parameters"
        )));
    };
    let text = |value: &Value| match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let mut converted = Map::new();
    for (name, value) in parameters {
        let list: Vec<String> = match value {
            Value::Null => continue,
            Value::Array(items) => items.iter().map(text).collect(),
            single => vec![text(single)],
        };
        converted.insert(name.clone(), json!(list));
    }
    Ok(Value::Object(converted))
}

crate::support::forward_action!(RunCommand);

async fn run(inputs: Value, cx: &StepContext<'_>) -> Result<ActionOutput, StepFailure> {
    let inputs: Inputs = parse(NAME, inputs)?;
    if inputs.instance_ids.is_none() && inputs.targets.is_none() {
        return Err(StepFailure::invalid_inputs(format!(
            "invalid inputs for {NAME}: give InstanceIds or Targets"
        )));
    }
    let sent = call(cx, "ssm", "SendCommand", inputs.request()?).await?;
    let command_id = required_text(&sent, "/Command/CommandId", "ssm.SendCommand")?;
    let status = wait_for_command(cx, &command_id).await?;
    let listed = call(
        cx,
        "ssm",
        "ListCommandInvocations",
        json!({ "CommandId": command_id, "Details": true }),
    )
    .await?;
    let invocations: Vec<Invocation> = listed
        .get("CommandInvocations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(Invocation::read)
        .collect();
    if status != "Success" || invocations.iter().any(|invocation| invocation.status != "Success") {
        let details: Vec<String> = invocations.iter().map(Invocation::describe).collect();
        let details =
            if details.is_empty() { String::new() } else { format!(": {}", details.join("; ")) };
        return Err(failed(format!("command {command_id} ended {status}{details}")));
    }
    let mut response = Map::new();
    response.insert("CommandId".into(), json!(command_id));
    response.insert("Status".into(), json!(status));
    if let (Some(_), [invocation]) = (&inputs.instance_ids, invocations.as_slice()) {
        if let [plugin] = invocation.plugins.as_slice()
            && let Some(code) = &plugin.response_code
        {
            response.insert("ResponseCode".into(), code.clone());
        }
        let outputs: Vec<&str> =
            invocation.plugins.iter().filter_map(|plugin| plugin.output.as_deref()).collect();
        if !outputs.is_empty() {
            response.insert("Output".into(), json!(outputs.join("\n")));
        }
    }
    let mut output = ActionOutput::response(Value::Object(response.clone()));
    for (name, value) in response {
        output = output.with_output(&name, value);
    }
    Ok(output)
}

/// Waits until command `command_id` is no longer pending or running; its status.
async fn wait_for_command(cx: &StepContext<'_>, command_id: &str) -> Result<String, StepFailure> {
    let params = json!({ "CommandId": command_id });
    let mut poll = Poll::new(cx);
    loop {
        poll.next().await;
        let listed = call(cx, "ssm", "ListCommands", params.clone()).await?;
        let status = listed.pointer("/Commands/0/Status").and_then(Value::as_str);
        if let Some(status) = status
            && !matches!(status, "Pending" | "InProgress" | "Cancelling")
        {
            return Ok(status.to_string());
        }
    }
}

/// One instance's result.
struct Invocation {
    instance_id: String,
    status: String,
    plugins: Vec<Plugin>,
}

/// One step of the document on one instance.
struct Plugin {
    response_code: Option<Value>,
    output: Option<String>,
}

impl Invocation {
    fn read(invocation: &Value) -> Self {
        let text = |name: &str| {
            invocation.get(name).and_then(Value::as_str).unwrap_or_default().to_string()
        };
        let plugins = invocation
            .get("CommandPlugins")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|plugin| Plugin {
                response_code: plugin.get("ResponseCode").filter(|code| !code.is_null()).cloned(),
                output: plugin.get("Output").and_then(Value::as_str).map(String::from),
            })
            .collect();
        Self { instance_id: text("InstanceId"), status: text("Status"), plugins }
    }

    fn describe(&self) -> String {
        let mut text = format!("{} {}", self.instance_id, self.status);
        let codes: Vec<String> = self
            .plugins
            .iter()
            .filter_map(|p| p.response_code.as_ref())
            .map(Value::to_string)
            .collect();
        if !codes.is_empty() {
            let _ = write!(text, " (exit code {})", codes.join(", "));
        }
        let output: String = self
            .plugins
            .iter()
            .filter_map(|plugin| plugin.output.as_deref())
            .collect::<Vec<_>>()
            .join("\n");
        let output = output.trim();
        if self.status != "Success" && !output.is_empty() {
            let shown: String = output.chars().take(SHOWN_OUTPUT).collect();
            let cut = if output.chars().count() > SHOWN_OUTPUT { "..." } else { "" };
            let _ = write!(text, ": {shown}{cut}");
        }
        text
    }
}
