//! `aws:invokeLambdaFunction`: invokes a Lambda function.
//!
//! - Calls: `lambda.Invoke` once, with `FunctionName`, and `Qualifier`, `InvocationType`,
//!   `LogType`, `ClientContext` when given. `Payload` is the JSON text of `InputPayload` when
//!   that is given (it wins over `Payload`), else `Payload` itself: text as written, a map or
//!   list (as AWS's own runbooks write it) as its JSON text.
//! - Outputs: `StatusCode`; `FunctionError`, `LogResult` (base64, as Lambda gives it) and
//!   `Payload` (the function's result as JSON text) when Lambda answers them; `OutputPayload`,
//!   the JSON text of the whole answer with `Payload` as text.
//! - Response, for declared outputs: the function's result parsed as JSON (selectors such as
//!   `$.status` read the result itself, as AWS's runbooks use them), or its text when it is not
//!   JSON; an empty object when there is no result (`Event` invocations).
//! - Waits: none.
//! - Fails: on an API error; when the answer has a `FunctionError` (RULINGS 20): the message
//!   gives the error type and `errorMessage` from the result.

use runbook_engine::action::{ActionOutput, StepContext, StepFailure};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::permissions::{ActionCall, always};
use crate::support::{Text, brief_json, call, failed, parse};

/// The action's name.
pub const NAME: &str = "aws:invokeLambdaFunction";

/// The calls the action makes on its own (see [`crate::permissions`]).
pub const CALLS: &[ActionCall] = &[always("lambda", "Invoke")];

/// The `aws:invokeLambdaFunction` action.
#[derive(Clone, Copy, Debug, Default)]
pub struct InvokeLambdaFunction;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct Inputs {
    function_name: Text,
    #[serde(default)]
    qualifier: Option<Text>,
    #[serde(default)]
    invocation_type: Option<Text>,
    #[serde(default)]
    log_type: Option<Text>,
    #[serde(default)]
    client_context: Option<Text>,
    #[serde(default)]
    input_payload: Option<Map<String, Value>>,
    #[serde(default)]
    payload: Option<Value>,
}

impl Inputs {
    fn request(&self) -> Value {
        let mut params = Map::new();
        params.insert("FunctionName".into(), json!(self.function_name.as_str()));
        for (name, value) in [
            ("Qualifier", &self.qualifier),
            ("InvocationType", &self.invocation_type),
            ("LogType", &self.log_type),
            ("ClientContext", &self.client_context),
        ] {
            if let Some(value) = value {
                params.insert(name.into(), json!(value.as_str()));
            }
        }
        let payload = match (&self.input_payload, &self.payload) {
            (Some(map), _) => Some(Value::Object(map.clone()).to_string()),
            (None, Some(Value::String(text))) => Some(text.clone()),
            (None, Some(Value::Null) | None) => None,
            (None, Some(other)) => Some(other.to_string()),
        };
        if let Some(payload) = payload {
            params.insert("Payload".into(), Value::String(payload));
        }
        Value::Object(params)
    }
}

crate::support::forward_action!(InvokeLambdaFunction);

async fn run(inputs: Value, cx: &StepContext<'_>) -> Result<ActionOutput, StepFailure> {
    let inputs: Inputs = parse(NAME, inputs)?;
    let mut answer = call(cx, "lambda", "Invoke", inputs.request()).await?;
    // boto3 hands the result over as a stream of JSON text; mocks may write it as a value.
    let payload_text = match answer.get("Payload") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text.clone()),
        Some(other) => Some(other.to_string()),
    };
    if let (Some(text), Some(object)) = (&payload_text, answer.as_object_mut()) {
        object.insert("Payload".into(), Value::String(text.clone()));
    }
    let result = payload_text.as_deref().map(|text| {
        serde_json::from_str::<Value>(text).unwrap_or_else(|_| Value::String(text.to_string()))
    });
    if let Some(kind) = answer.get("FunctionError").and_then(Value::as_str) {
        let detail = result
            .as_ref()
            .and_then(|result| result.get("errorMessage"))
            .and_then(Value::as_str)
            .map_or_else(|| result.as_ref().map(brief_json).unwrap_or_default(), String::from);
        let error_type = result
            .as_ref()
            .and_then(|result| result.get("errorType"))
            .and_then(Value::as_str)
            .map(|error_type| format!(" {error_type}"))
            .unwrap_or_default();
        return Err(failed(format!(
            "function {} failed ({kind}){error_type}: {detail}",
            inputs.function_name
        )));
    }
    let mut output = ActionOutput::response(result.unwrap_or_else(|| json!({})));
    if let Some(code) = answer.get("StatusCode") {
        output = output.with_output("StatusCode", code.clone());
    }
    for name in ["FunctionError", "LogResult"] {
        if let Some(value) = answer.get(name).filter(|value| !value.is_null()) {
            output = output.with_output(name, value.clone());
        }
    }
    if let Some(text) = payload_text {
        output = output.with_output("Payload", Value::String(text));
    }
    Ok(output.with_output("OutputPayload", Value::String(answer.to_string())))
}
