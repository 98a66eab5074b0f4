//! The HTTP request of an `aws:invokeWebhook` step, sent for real: the JSON-level call
//! `webhook.Invoke` that the action makes (`{"Url", "Method", "Headers", "Body"}`) becomes an
//! unsigned request to `Url`, and its answer `{"StatusCode", "Body", "Headers"}`. Any status is
//! an answer; the action decides what a non-2xx means. A request that cannot be sent is the
//! API error `WebhookConnectionError`.

use serde_json::{Map, Value, json};

use runbook_engine::host::ApiError;

/// The service name under which the engine's actions send webhook requests.
pub(crate) const SERVICE: &str = "webhook";

/// The operation name of a webhook request.
pub(crate) const API: &str = "Invoke";

/// Sends the request `params` describes; blocking.
pub(crate) fn invoke(agent: &ureq::Agent, params: &Value) -> Result<Value, ApiError> {
    let invalid = |message: String| ApiError::new("ParamValidationError", message);
    let url = params
        .get("Url")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(format!("{SERVICE}.{API} needs a `Url`")))?;
    let method = params.get("Method").and_then(Value::as_str).unwrap_or("POST");
    let body = match params.get("Body") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    };
    let mut builder = ureq::http::Request::builder().method(method).uri(url);
    if let Some(Value::Object(headers)) = params.get("Headers") {
        for (name, value) in headers {
            let value = value.as_str().map_or_else(|| value.to_string(), str::to_string);
            builder = builder.header(name.as_str(), value);
        }
    }
    let connection_error = |error: &dyn std::fmt::Display| {
        ApiError::new(
            "WebhookConnectionError",
            format!("could not send the request to {url}: {error}"),
        )
    };
    let request = builder.body(body.into_bytes()).map_err(|error| connection_error(&error))?;
    let mut response = agent.run(request).map_err(|error| connection_error(&error))?;
    let status = response.status().as_u16();
    let mut headers = Map::new();
    for (name, value) in response.headers() {
        headers.insert(
            name.as_str().to_string(),
            Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned()),
        );
    }
    let body = response
        .body_mut()
        .with_config()
        .limit(16 * 1024 * 1024)
        .read_to_string()
        .map_err(|error| connection_error(&error))?;
    Ok(json!({ "StatusCode": status, "Body": body, "Headers": headers }))
}
