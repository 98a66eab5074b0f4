//! `aws:invokeWebhook`: sends a request to the webhook of an Automation integration.
//!
//! - Calls: `ssm.GetParameter` (`Name`:
//!   `/d9d01087-4a3f-49e0-b0b4-d568d7826553/ssm/integrations/webhook/<IntegrationName>`,
//!   `WithDecryption: true`), the reserved Parameter Store name where the service keeps an
//!   integration: a `SecureString` whose value is JSON with `url`, and optionally
//!   `description`, `headers` and `payload` (the default body). Then the HTTP request itself,
//!   as the JSON-level call [`WEBHOOK_SERVICE`]`.`[`WEBHOOK_API`], so that mocks answer it like
//!   any AWS call and a host sends it for real:
//!
//!   ```text
//!   request:  {"IntegrationName": "...", "Url": "https://...", "Method": "POST",
//!              "Headers": {"Content-Type": "application/json", ...}, "Body": "..."}
//!   answer:   {"StatusCode": 200, "Body": "...", "Headers": {...}}   (Headers optional)
//!   ```
//!
//!   The body is the step's `Body`, else the integration's `payload` (text as it is, other JSON
//!   as its text), else empty. `headers` may be a map of names to values, or a list of
//!   `{name, value}` (or `{key, value}`) entries.
//! - Outputs: `Response` (the answer's body) and `ResponseCode` (its status); the response
//!   holds both.
//! - Waits: none.
//! - Fails: on an API error (the parameter does not exist, or the request could not be sent);
//!   when the integration's value is not JSON with a `url`, or its `url` is not `https://` (the
//!   service takes only HTTPS webhooks); on an answer outside 200-299 (RULINGS 20), with the
//!   status and the body.

use runbook_engine::action::{ActionOutput, StepContext, StepFailure};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::permissions::{ActionCall, always};
use crate::support::{Text, brief_json, call, failed, parse, required_text};

/// The action's name.
pub const NAME: &str = "aws:invokeWebhook";

/// The calls the action makes on its own (see [`crate::permissions`]).
pub const CALLS: &[ActionCall] = &[always("ssm", "GetParameter")];

/// The Parameter Store path under which the service keeps webhook integrations.
pub const INTEGRATION_PREFIX: &str =
    "/d9d01087-4a3f-49e0-b0b4-d568d7826553/ssm/integrations/webhook/";

/// The service name of the HTTP request a webhook step makes.
pub const WEBHOOK_SERVICE: &str = "webhook";

/// The operation name of the HTTP request a webhook step makes.
pub const WEBHOOK_API: &str = "Invoke";

/// The `aws:invokeWebhook` action.
#[derive(Clone, Copy, Debug, Default)]
pub struct InvokeWebhook;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct Inputs {
    integration_name: Text,
    #[serde(default)]
    body: Option<Text>,
}

crate::support::forward_action!(InvokeWebhook);

async fn run(inputs: Value, cx: &StepContext<'_>) -> Result<ActionOutput, StepFailure> {
    let inputs: Inputs = parse(NAME, inputs)?;
    let name = inputs.integration_name.as_str();
    let parameter = format!("{INTEGRATION_PREFIX}{name}");
    let stored =
        call(cx, "ssm", "GetParameter", json!({ "Name": parameter, "WithDecryption": true }))
            .await?;
    let value = required_text(&stored, "/Parameter/Value", "ssm.GetParameter")?;
    let integration: Map<String, Value> = match serde_json::from_str(&value) {
        Ok(Value::Object(map)) => map,
        _ => return Err(failed(format!("integration {name}: its parameter is not a JSON object"))),
    };
    let Some(url) = integration.get("url").and_then(Value::as_str) else {
        return Err(failed(format!("integration {name} has no url")));
    };
    if !url.get(..8).is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://")) {
        return Err(failed(format!(
            "integration {name}: the url {url} is not https; webhooks must use HTTPS"
        )));
    }
    let body = match (&inputs.body, integration.get("payload")) {
        (Some(body), _) => body.0.clone(),
        (None, Some(Value::String(payload))) => payload.clone(),
        (None, Some(Value::Null) | None) => String::new(),
        (None, Some(payload)) => payload.to_string(),
    };
    let request = json!({
        "IntegrationName": name,
        "Url": url,
        "Method": "POST",
        "Headers": headers(integration.get("headers")),
        "Body": body,
    });
    let answer = call(cx, WEBHOOK_SERVICE, WEBHOOK_API, request).await?;
    let Some(code) = answer
        .get("StatusCode")
        .and_then(|code| code.as_i64().or_else(|| code.as_str()?.trim().parse().ok()))
    else {
        return Err(failed(format!(
            "{WEBHOOK_SERVICE}.{WEBHOOK_API} answered without a StatusCode: {}",
            brief_json(&answer)
        )));
    };
    let response = match answer.get("Body") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    };
    if !(200..300).contains(&code) {
        return Err(failed(format!(
            "the webhook of integration {name} answered {code}: {}",
            brief_json(&Value::String(response))
        )));
    }
    Ok(ActionOutput::response(json!({ "Response": response, "ResponseCode": code }))
        .with_output("Response", json!(response))
        .with_output("ResponseCode", json!(code)))
}

/// The integration's headers as a map of names to text values.
fn headers(headers: Option<&Value>) -> Value {
    let text = |value: &Value| match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let mut map = Map::new();
    match headers {
        Some(Value::Object(entries)) => {
            for (name, value) in entries {
                map.insert(name.clone(), Value::String(text(value)));
            }
        }
        Some(Value::Array(entries)) => {
            for entry in entries {
                let name = ["name", "Name", "key", "Key"]
                    .iter()
                    .find_map(|field| entry.get(*field)?.as_str());
                let value = ["value", "Value"].iter().find_map(|field| entry.get(*field));
                if let (Some(name), Some(value)) = (name, value) {
                    map.insert(name.to_string(), Value::String(text(value)));
                }
            }
        }
        _ => {}
    }
    Value::Object(map)
}
