//! `aws:executeScript`: runs a step's Python or PowerShell script through the host's
//! [`ScriptRunner`](runbook_engine::host::ScriptRunner) and turns what it returns into the
//! step's outputs (SPEC 6.13, 10.8).
//!
//! The handler's return value is the response's `Payload`, so declared outputs select under
//! `$.Payload` (`$.Payload.double`); the action always has the outputs `Payload` and
//! `OutputPayload` (the JSON text of `{"Payload": ...}`, which the service records too).
//!
//! The script gets the host's script environment (the AWS endpoint and credentials of the run),
//! `AWS_REGION` and `AWS_DEFAULT_REGION` set to the run's region and, in [`CONTEXT_ENV`], the
//! handler's `context`: the execution id, region, account and partition of the run. It may run for the step's `timeoutSeconds` of real time, at most
//! [`MAX_RUN_TIME`].

use std::path::Path;
use std::time::Duration;

use runbook_engine::action::{
    Action, ActionOutput, BoxFuture, FailureKind, ScriptAttachment, ScriptError, ScriptErrorKind,
    ScriptRequest, StepContext, StepFailure, append_warnings, parse_inputs,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::permissions::ActionCall;
use crate::script::CONTEXT_ENV;

/// The action's name.
pub const NAME: &str = "aws:executeScript";

/// The calls the action makes on its own: none, what its script calls cannot be known without running it.
pub const CALLS: &[ActionCall] = &[];

/// The longest a script runs, whatever the step's timeout: 600 seconds (SPEC 4.4).
pub const MAX_RUN_TIME: Duration = Duration::from_secs(600);

/// The `aws:executeScript` action.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExecuteScript;

/// The action's inputs, as the runbook gives them (templates resolved).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Inputs {
    #[serde(rename = "Runtime")]
    runtime: String,
    #[serde(rename = "Handler", default)]
    handler: Option<String>,
    #[serde(rename = "Script", default)]
    script: Option<String>,
    #[serde(rename = "Attachment", default)]
    attachment: Option<String>,
    #[serde(rename = "InputPayload", default)]
    input_payload: Option<Value>,
}

impl Action for ExecuteScript {
    fn name(&self) -> &'static str {
        NAME
    }

    fn run<'a>(
        &'a self,
        inputs: Value,
        cx: &'a StepContext<'a>,
    ) -> BoxFuture<'a, Result<ActionOutput, StepFailure>> {
        Box::pin(async move {
            let mut request = request(inputs, cx)?;
            let env = cx
                .script_environment()
                .await
                .map_err(|error| StepFailure::api("sts.AssumeRole", &error))?;
            request.env = script_env(env, cx);
            match cx.run_script(request).await {
                Ok(output) => {
                    let mut stderr = output.stderr;
                    append_warnings(&mut stderr, &output.warnings);
                    Ok(ActionOutput { stdout: output.stdout, stderr, ..success(output.payload) })
                }
                Err(error) => Err(failure(error)),
            }
        })
    }
}

/// The script request a step's inputs make.
fn request(inputs: Value, cx: &StepContext<'_>) -> Result<ScriptRequest, StepFailure> {
    let inputs: Inputs = parse_inputs(NAME, inputs)?;
    let input_payload = input_payload(inputs.input_payload)?;
    let attachment = match inputs.attachment {
        Some(name) => Some(find_attachment(cx, name)?),
        None => None,
    };
    if inputs.script.is_none() && attachment.is_none() {
        return Err(StepFailure::invalid_inputs(format!(
            "{NAME} needs the input `Script` or `Attachment`"
        )));
    }
    let timeout = cx.timeout().map_or(MAX_RUN_TIME, |timeout| timeout.min(MAX_RUN_TIME));
    Ok(ScriptRequest {
        step: cx.step().to_string(),
        runtime: inputs.runtime,
        handler: inputs.handler,
        script: inputs.script,
        attachment,
        input_payload,
        timeout,
        env: Vec::new(),
    })
}

/// The script's environment: the run's AWS (`env`), its context and its region.
fn script_env(mut env: Vec<(String, String)>, cx: &StepContext<'_>) -> Vec<(String, String)> {
    env.retain(|(name, _)| {
        !matches!(name.as_str(), CONTEXT_ENV | "AWS_REGION" | "AWS_DEFAULT_REGION")
    });
    env.push((CONTEXT_ENV.to_string(), script_context(cx).to_string()));
    // The service's scripts see the run's region, whatever the shell running this has.
    env.push(("AWS_REGION".to_string(), cx.region().to_string()));
    env.push(("AWS_DEFAULT_REGION".to_string(), cx.region().to_string()));
    env
}

/// `InputPayload`: a map, or the JSON text of one; nothing is an empty map.
fn input_payload(given: Option<Value>) -> Result<Value, StepFailure> {
    let value = match given {
        None | Some(Value::Null) => return Ok(Value::Object(Map::new())),
        Some(Value::String(text)) => serde_json::from_str(&text).map_err(|error| {
            StepFailure::invalid_inputs(format!(
                "InputPayload is text that is not JSON ({error}); give a map, or the JSON text \
                 of one"
            ))
        })?,
        Some(value) => value,
    };
    match value {
        Value::Object(_) => Ok(value),
        Value::Null => Ok(Value::Object(Map::new())),
        other => Err(StepFailure::invalid_inputs(format!(
            "InputPayload must be a map, or the JSON text of one, but it is {}",
            describe(&other)
        ))),
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// The attachment a step names: declared in the runbook's `files` and found on disk.
fn find_attachment(cx: &StepContext<'_>, name: String) -> Result<ScriptAttachment, StepFailure> {
    // A path would reach outside the folders attachments are looked for in (RB035 says so
    // before the run; a templated name is only known now).
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']) {
        return Err(StepFailure::invalid_inputs(format!(
            "attachment `{name}` is not a plain file name: attachments are found only in the \
             runbook's folder or the attachments folder, by name"
        )));
    }
    if !cx.declares_attachment(&name) {
        return Err(StepFailure::invalid_inputs(format!(
            "attachment {name} is not declared in the runbook's `files`; {NAME} can only use \
             attachments the runbook declares"
        )));
    }
    match cx.attachment(&name) {
        Some(path) => {
            if let Some(declared) = cx.attachment_sha256(&name) {
                check_sha256(&name, &path, declared)?;
            }
            Ok(ScriptAttachment { name, path })
        }
        None => {
            let folders: Vec<String> =
                cx.attachment_folders().iter().map(|folder| show_folder(folder)).collect();
            let looked = match folders.as_slice() {
                [] => "no folder to look in".to_string(),
                [one] => format!("looked in {one}"),
                [first @ .., last] => format!("looked in {} and {last}", first.join(", ")),
            };
            Err(StepFailure::invalid_inputs(format!(
                "attachment {name} was not found: {looked}; put the file there or name the \
                 attachments folder"
            )))
        }
    }
}

/// Fails unless the file at `path` has the SHA-256 the runbook declares for attachment `name`.
fn check_sha256(name: &str, path: &Path, declared: &str) -> Result<(), StepFailure> {
    use sha2::Digest;
    let bytes = std::fs::read(path).map_err(|error| {
        StepFailure::invalid_inputs(format!("attachment {name} cannot be read: {error}"))
    })?;
    let actual = sha2::Sha256::digest(&bytes).iter().fold(String::new(), |mut hex, byte| {
        use std::fmt::Write;
        let _ = write!(hex, "{byte:02x}");
        hex
    });
    if actual.eq_ignore_ascii_case(declared.trim()) {
        return Ok(());
    }
    Err(StepFailure::invalid_inputs(format!(
        "attachment {name} ({}) does not match the sha256 the runbook declares for it in \
         `files`: declared {declared}, the file's is {actual}",
        path.display()
    )))
}

fn show_folder(folder: &Path) -> String {
    if folder.as_os_str().is_empty() {
        "the current directory".to_string()
    } else {
        folder.display().to_string()
    }
}

/// The handler's `context`, as the service gives it.
fn script_context(cx: &StepContext<'_>) -> Value {
    json!({
        "automation:EXECUTION_ID": cx.execution_id(),
        "global:ACCOUNT_ID": cx.account_id(),
        "global:REGION": cx.region(),
        "global:AWS_PARTITION": cx.partition(),
    })
}

/// The output of a script that returned `payload`: the response `{"Payload": payload}`, and
/// the outputs `Payload` and `OutputPayload`.
pub fn success(payload: Value) -> ActionOutput {
    let response = json!({ "Payload": payload });
    let text = response.to_string();
    ActionOutput::response(response)
        .with_output("Payload", payload)
        .with_output("OutputPayload", Value::String(text))
}

/// The step failure for a script that did not produce a result; what it printed is kept.
pub fn failure(error: ScriptError) -> StepFailure {
    let kind = match error.kind {
        ScriptErrorKind::Timeout => FailureKind::Timeout,
        ScriptErrorKind::InvalidInput => FailureKind::InvalidInputs,
        ScriptErrorKind::RuntimeNotFound => FailureKind::Unsupported,
        _ => FailureKind::Action,
    };
    let mut stderr = error.stderr;
    append_warnings(&mut stderr, &error.warnings);
    StepFailure { stdout: error.stdout, stderr, ..StepFailure::new(kind, error.message) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_payload_is_a_map_or_its_json_text() {
        assert_eq!(input_payload(None), Ok(json!({})));
        assert_eq!(input_payload(Some(Value::Null)), Ok(json!({})));
        assert_eq!(input_payload(Some(json!({"a": 1}))), Ok(json!({"a": 1})));
        assert_eq!(input_payload(Some(json!("{\"a\": [1]}"))), Ok(json!({"a": [1]})));
        let list = input_payload(Some(json!([1]))).unwrap_err();
        assert_eq!(list.kind, FailureKind::InvalidInputs);
        assert_eq!(
            list.message,
            "InputPayload must be a map, or the JSON text of one, but it is a list"
        );
        let text = input_payload(Some(json!("a=1"))).unwrap_err();
        assert!(
            text.message.starts_with("InputPayload is text that is not JSON"),
            "{}",
            text.message
        );
    }

    #[test]
    fn success_puts_the_payload_under_payload() {
        let output = success(json!({"x": 1}));
        assert_eq!(*output.response, json!({"Payload": {"x": 1}}));
        assert_eq!(output.outputs["Payload"], json!({"x": 1}));
        assert_eq!(output.outputs["OutputPayload"], json!("{\"Payload\":{\"x\":1}}"));
    }

    #[test]
    fn failures_keep_output_and_warnings() {
        let error = ScriptError {
            stdout: "out\n".into(),
            stderr: "err".into(),
            warnings: vec!["old python".into()],
            ..ScriptError::new(ScriptErrorKind::Timeout, "too long")
        };
        let failure = failure(error);
        assert_eq!(failure.kind, FailureKind::Timeout);
        assert_eq!(failure.message, "too long");
        assert_eq!(failure.stdout, "out\n");
        assert_eq!(failure.stderr, "err\nwarning: old python\n");
        let kinds = [
            (ScriptErrorKind::Exception, FailureKind::Action),
            (ScriptErrorKind::OutputTooLarge, FailureKind::Action),
            (ScriptErrorKind::Internal, FailureKind::Action),
            (ScriptErrorKind::InvalidInput, FailureKind::InvalidInputs),
            (ScriptErrorKind::RuntimeNotFound, FailureKind::Unsupported),
        ];
        for (script, step) in kinds {
            assert_eq!(super::failure(ScriptError::new(script, "m")).kind, step, "{script:?}");
        }
    }
}
