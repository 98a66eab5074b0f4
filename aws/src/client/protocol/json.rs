//! The JSON protocol (SSM, `DynamoDB`, SQS...): a JSON body addressed by `X-Amz-Target`, and
//! the JSON conversions the REST-JSON protocol shares (timestamps as epoch seconds, blobs as
//! base64, members under their `locationName`).

use runbook_engine::host::ApiError;
use serde_json::{Map, Value};

use super::timestamp::{self, WireFormat};
use super::{HttpRequest, HttpResponse, Resolved, base64_encode};
use crate::model::{Member, Operation, ServiceModel, ShapeKind, Structure};

pub(super) fn serialize(operation: &Operation<'_>, params: &Value) -> HttpRequest {
    let model = operation.model();
    let metadata = model.metadata();
    let body = match operation.input() {
        Some(input) => structure_to_wire(model, input, params, WireFormat::Unix),
        None => Value::Object(Map::new()),
    };
    let mut headers = vec![
        (
            "X-Amz-Target".to_string(),
            format!(
                "{}.{}",
                metadata.target_prefix.as_deref().unwrap_or_default(),
                operation.name()
            ),
        ),
        (
            "Content-Type".to_string(),
            format!("application/x-amz-json-{}", metadata.json_version.as_deref().unwrap_or("1.0")),
        ),
    ];
    if metadata.aws_query_compatible {
        headers.push(("x-amzn-query-mode".to_string(), "true".to_string()));
    }
    HttpRequest {
        method: operation.def().http.method.clone(),
        path: "/".to_string(),
        headers,
        body: body.to_string().into_bytes(),
        host_prefix: None,
    }
}

/// The wire JSON of a structure's members.
pub(super) fn structure_to_wire(
    model: &ServiceModel,
    structure: &Structure,
    value: &Value,
    default_timestamp: WireFormat,
) -> Value {
    let Some(object) = value.as_object() else { return value.clone() };
    let mut out = Map::new();
    for (key, item) in object {
        let Some(member) = structure.members.get(key) else { continue };
        if item.is_null() {
            continue;
        }
        let name = Resolved::new(model, member)
            .and_then(|resolved| resolved.location_name())
            .unwrap_or(key);
        out.insert(name.to_string(), to_wire(model, member, item, default_timestamp));
    }
    Value::Object(out)
}

/// The wire JSON of one value.
pub(super) fn to_wire(
    model: &ServiceModel,
    member: &Member,
    value: &Value,
    default_timestamp: WireFormat,
) -> Value {
    let Some(resolved) = Resolved::new(model, member) else { return value.clone() };
    match (resolved.kind(), value) {
        (ShapeKind::Structure(structure), _) => {
            structure_to_wire(model, structure, value, default_timestamp)
        }
        (ShapeKind::List { member: item }, Value::Array(items)) => Value::Array(
            items.iter().map(|entry| to_wire(model, item, entry, default_timestamp)).collect(),
        ),
        (ShapeKind::Map { value: item, .. }, Value::Object(entries)) => Value::Object(
            entries
                .iter()
                .map(|(key, entry)| (key.clone(), to_wire(model, item, entry, default_timestamp)))
                .collect(),
        ),
        (ShapeKind::Timestamp, _) => timestamp::parse(value).map_or_else(
            || value.clone(),
            |parsed| timestamp::to_wire_json(parsed, resolved.timestamp_format(default_timestamp)),
        ),
        (ShapeKind::Blob, Value::String(text)) => Value::String(base64_encode(text.as_bytes())),
        _ => value.clone(),
    }
}

/// boto3's JSON of a wire value: only modelled members, timestamps in the response form.
pub(super) fn from_wire(model: &ServiceModel, member: &Member, value: &Value) -> Value {
    let Some(resolved) = Resolved::new(model, member) else { return value.clone() };
    match (resolved.kind(), value) {
        (ShapeKind::Structure(structure), Value::Object(_)) => {
            structure_from_wire(model, structure, value)
        }
        (ShapeKind::List { member: item }, Value::Array(items)) => {
            Value::Array(items.iter().map(|entry| from_wire(model, item, entry)).collect())
        }
        (ShapeKind::Map { value: item, .. }, Value::Object(entries)) => Value::Object(
            entries
                .iter()
                .map(|(key, entry)| (key.clone(), from_wire(model, item, entry)))
                .collect(),
        ),
        (ShapeKind::Timestamp, _) => timestamp::response_value(value),
        (ShapeKind::Boolean, Value::String(text)) => Value::Bool(text.eq_ignore_ascii_case("true")),
        (ShapeKind::Integer | ShapeKind::Long, Value::String(text)) => {
            text.trim().parse::<i64>().map_or_else(|_| value.clone(), Value::from)
        }
        (ShapeKind::Float | ShapeKind::Double, Value::String(text)) => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| value.clone(), Value::Number),
        _ => value.clone(),
    }
}

pub(super) fn structure_from_wire(
    model: &ServiceModel,
    structure: &Structure,
    value: &Value,
) -> Value {
    let mut out = Map::new();
    for (name, member) in &structure.members {
        if member.location.is_some() {
            continue;
        }
        let wire_name = Resolved::new(model, member)
            .and_then(|resolved| resolved.location_name())
            .unwrap_or(name);
        if let Some(item) = value.get(wire_name).filter(|item| !item.is_null()) {
            out.insert(name.clone(), from_wire(model, member, item));
        }
    }
    Value::Object(out)
}

/// Parses a JSON body (empty means `{}`).
pub(super) fn body_json(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(body).map_err(|error| {
        ApiError::new("ResponseParserError", format!("the response is not JSON: {error}"))
    })
}

pub(super) fn parse_response(
    operation: &Operation<'_>,
    response: &HttpResponse,
) -> Result<(Value, Option<String>), ApiError> {
    let body = body_json(&response.body)?;
    let parsed = match &operation.def().output {
        Some(output) => from_wire(operation.model(), output, &body),
        None => Value::Object(Map::new()),
    };
    Ok((parsed, response.header("x-amzn-requestid").map(str::to_string)))
}

/// The code and message of a JSON or REST-JSON error.
pub(super) fn parse_error(response: &HttpResponse, rest: bool) -> (String, String) {
    let body = serde_json::from_slice::<Value>(&response.body).unwrap_or_else(|_| {
        let text = String::from_utf8_lossy(&response.body).into_owned();
        if text.trim().is_empty() {
            Value::Object(Map::new())
        } else {
            serde_json::json!({"message": text})
        }
    });
    let text_of = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_string);
    let message = text_of("message").or_else(|| text_of("Message")).unwrap_or_default();
    let mut code = text_of("__type").unwrap_or_else(|| response.status.to_string());
    if rest {
        if let Some(header) = response.header("x-amzn-errortype") {
            code = header.to_string();
        } else if let Some(body_code) = text_of("code").or_else(|| text_of("Code")) {
            code = body_code;
        }
    }
    // A service that left the query protocol keeps its old codes in this header.
    let query_code = response
        .header("x-amzn-query-error")
        .and_then(|header| header.split(';').next())
        .filter(|code| !code.is_empty());
    (query_code.map_or_else(|| clean_code(&code), str::to_string), message)
}

/// `com.amazonaws.ssm#ParameterNotFound:http://...` becomes `ParameterNotFound`.
fn clean_code(code: &str) -> String {
    let code = code.split(':').next().unwrap_or(code);
    code.rsplit('#').next().unwrap_or(code).to_string()
}
