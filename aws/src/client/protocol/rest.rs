//! The REST protocols (REST-JSON: Lambda, EKS...; REST-XML: S3, Route 53...): members bound
//! to the URI, the query string, headers or the body as the model's `location` says, and the
//! body in JSON or XML.

use runbook_engine::host::ApiError;
use serde_json::{Map, Value};

use super::timestamp::{self, WireFormat};
use super::{
    HttpRequest, HttpResponse, Resolved, base64_decode, base64_encode, json, param_error,
    percent_encode, scalar_text, xml,
};
use crate::model::{Location, Member, Operation, ShapeKind, Structure};

pub(super) fn serialize(
    operation: &Operation<'_>,
    params: &Value,
    xml_body: bool,
) -> Result<HttpRequest, ApiError> {
    let model = operation.model();
    let http = &operation.def().http;
    let mut request = HttpRequest {
        method: http.method.clone(),
        path: http.request_uri.clone(),
        headers: Vec::new(),
        body: Vec::new(),
        host_prefix: None,
    };
    let Some(input) = operation.input() else { return Ok(request) };
    let empty = Map::new();
    let object = params.as_object().unwrap_or(&empty);
    let mut labels: Vec<(String, String)> = Vec::new();
    let mut query: Vec<(String, String)> = Vec::new();
    let mut body_members = Map::new();
    for (key, value) in object {
        let Some(member) = input.members.get(key) else { continue };
        if value.is_null() {
            continue;
        }
        let Some(resolved) = Resolved::new(model, member) else { continue };
        let name = resolved.location_name().unwrap_or(key).to_string();
        match member.location {
            Some(Location::Uri) => {
                labels.push((name, scalar_text(resolved, value, WireFormat::Iso8601, key)?));
            }
            Some(Location::Querystring) => match (resolved.kind(), value) {
                (ShapeKind::Map { .. }, Value::Object(entries)) => {
                    for (entry_key, entry_value) in entries {
                        match entry_value {
                            Value::Array(items) => {
                                for item in items {
                                    query.push((entry_key.clone(), plain_text(item)));
                                }
                            }
                            other => query.push((entry_key.clone(), plain_text(other))),
                        }
                    }
                }
                (ShapeKind::List { member: item_member }, Value::Array(items)) => {
                    let item = Resolved::new(model, item_member).unwrap_or(resolved);
                    for entry in items {
                        query.push((
                            name.clone(),
                            scalar_text(item, entry, WireFormat::Iso8601, key)?,
                        ));
                    }
                }
                _ => query.push((name, scalar_text(resolved, value, WireFormat::Iso8601, key)?)),
            },
            Some(Location::Header) => {
                if let Some(text) = header_text(operation, member, value, key)? {
                    request.headers.push((name, text));
                }
            }
            Some(Location::Headers) => {
                if let Some(entries) = value.as_object() {
                    for (entry_key, entry_value) in entries {
                        request
                            .headers
                            .push((format!("{name}{entry_key}"), plain_text(entry_value)));
                    }
                }
            }
            Some(Location::StatusCode | Location::Other) => {}
            None => {
                body_members.insert(key.clone(), value.clone());
            }
        }
    }
    request.path = render_uri(&http.request_uri, &labels)?;
    if !query.is_empty() {
        let encoded: Vec<String> = query
            .iter()
            .map(|(key, value)| {
                format!("{}={}", percent_encode(key, ""), percent_encode(value, ""))
            })
            .collect();
        let separator = if request.path.contains('?') { '&' } else { '?' };
        request.path = format!("{}{separator}{}", request.path, encoded.join("&"));
    }
    let (body, streaming) = body(operation, input, object, &body_members, xml_body)?;
    request.body = body;
    if !xml_body
        && !streaming
        && !request.body.is_empty()
        && request.header("content-type").is_none()
    {
        request.headers.push(("Content-Type".to_string(), "application/json".to_string()));
    }
    let checksum = operation.def().http_checksum_required
        || operation
            .def()
            .http_checksum
            .as_ref()
            .is_some_and(|settings| settings.request_checksum_required);
    if checksum {
        let crc = crc32fast::hash(&request.body);
        request
            .headers
            .push(("x-amz-checksum-crc32".to_string(), base64_encode(&crc.to_be_bytes())));
    }
    Ok(request)
}

/// The body, and whether it is a raw (streaming) payload.
fn body(
    operation: &Operation<'_>,
    input: &Structure,
    params: &Map<String, Value>,
    body_members: &Map<String, Value>,
    xml_body: bool,
) -> Result<(Vec<u8>, bool), ApiError> {
    let model = operation.model();
    if let Some(payload) = &input.payload {
        let Some(member) = input.members.get(payload) else { return Ok((Vec::new(), false)) };
        let Some(resolved) = Resolved::new(model, member) else { return Ok((Vec::new(), false)) };
        if matches!(resolved.kind(), ShapeKind::Blob | ShapeKind::String { .. }) {
            let bytes = match params.get(payload) {
                Some(Value::String(text)) => text.clone().into_bytes(),
                Some(other) if !other.is_null() => other.to_string().into_bytes(),
                _ => Vec::new(),
            };
            return Ok((bytes, true));
        }
        let body = match params.get(payload).filter(|value| !value.is_null()) {
            None if xml_body => Vec::new(),
            None => b"{}".to_vec(),
            Some(value) if xml_body => {
                let mut out = String::new();
                let name = resolved.location_name().unwrap_or(payload);
                xml::write(model, member, value, name, &mut out)?;
                out.into_bytes()
            }
            Some(value) => {
                json::to_wire(model, member, value, WireFormat::Unix).to_string().into_bytes()
            }
        };
        return Ok((body, false));
    }
    if !body_members.is_empty() {
        let input_member = operation.def().input.as_ref();
        let body = if xml_body {
            let Some(input_member) = input_member else { return Ok((Vec::new(), false)) };
            let name = input_member.location_name.as_deref().unwrap_or(&input_member.shape);
            let mut out = String::new();
            xml::write(model, input_member, &Value::Object(body_members.clone()), name, &mut out)?;
            out.into_bytes()
        } else {
            json::structure_to_wire(
                model,
                input,
                &Value::Object(body_members.clone()),
                WireFormat::Unix,
            )
            .to_string()
            .into_bytes()
        };
        return Ok((body, false));
    }
    let has_body_members = input.members.values().any(|member| member.location.is_none());
    if !xml_body && has_body_members {
        return Ok((b"{}".to_vec(), false));
    }
    Ok((Vec::new(), false))
}

/// A header value: timestamps as HTTP dates, lists joined by commas, JSON values in base64.
fn header_text(
    operation: &Operation<'_>,
    member: &Member,
    value: &Value,
    path: &str,
) -> Result<Option<String>, ApiError> {
    let model = operation.model();
    let Some(resolved) = Resolved::new(model, member) else { return Ok(None) };
    Ok(Some(match (resolved.kind(), value) {
        (ShapeKind::List { member: item_member }, Value::Array(items)) => {
            if items.is_empty() {
                return Ok(None);
            }
            let item = Resolved::new(model, item_member).unwrap_or(resolved);
            let mut parts = Vec::new();
            for entry in items.iter().filter(|entry| !entry.is_null()) {
                let text = scalar_text(item, entry, WireFormat::Rfc822, path)?;
                let quoted = matches!(item.kind(), ShapeKind::String { .. })
                    && (text.contains('"') || text.contains(','));
                parts.push(if quoted {
                    format!("\"{}\"", text.replace('"', "\\\""))
                } else {
                    text
                });
            }
            parts.join(",")
        }
        (ShapeKind::String { .. }, _) if member.json_value => {
            let text = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            base64_encode(text.as_bytes())
        }
        _ => scalar_text(resolved, value, WireFormat::Rfc822, path)?,
    }))
}

/// The text of a map entry in the query string or headers.
fn plain_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Fills the `{Label}` and greedy `{Label+}` parts of a request URI.
fn render_uri(template: &str, labels: &[(String, String)]) -> Result<String, ApiError> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            out.push_str(&rest[open..]);
            return Ok(out);
        };
        let label = &rest[open + 1..open + close];
        let (name, greedy) = match label.strip_suffix('+') {
            Some(name) => (name, true),
            None => (label, false),
        };
        let value = labels
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
            .ok_or_else(|| param_error(format!("missing required parameter `{name}`")))?;
        out.push_str(&percent_encode(value, if greedy { "/~" } else { "~" }));
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

pub(super) fn parse_response(
    operation: &Operation<'_>,
    response: &HttpResponse,
) -> Result<(Value, Option<String>), ApiError> {
    let model = operation.model();
    let Some(structure) = operation.output() else {
        return Ok((Value::Object(Map::new()), None));
    };
    let xml_body = model.metadata().supported_protocol() == Some(crate::model::Protocol::RestXml);
    let mut parsed = Map::new();
    for (name, member) in &structure.members {
        let Some(resolved) = Resolved::new(model, member) else { continue };
        match member.location {
            Some(Location::StatusCode) => {
                parsed.insert(name.clone(), Value::from(response.status));
            }
            Some(Location::Header) => {
                let header = resolved.location_name().unwrap_or(name);
                if let Some(text) = response.header(header) {
                    parsed.insert(name.clone(), header_value(operation, member, text));
                }
            }
            Some(Location::Headers) => {
                let prefix = resolved.location_name().unwrap_or_default().to_ascii_lowercase();
                let entries: Map<String, Value> = response
                    .headers
                    .iter()
                    .filter(|(key, _)| key.to_ascii_lowercase().starts_with(&prefix))
                    .map(|(key, value)| {
                        (key[prefix.len()..].to_string(), Value::String(value.clone()))
                    })
                    .collect();
                parsed.insert(name.clone(), Value::Object(entries));
            }
            _ => {}
        }
    }
    if let Some(payload) = &structure.payload {
        if let Some(member) = structure.members.get(payload)
            && let Some(resolved) = Resolved::new(model, member)
        {
            let value = match resolved.kind() {
                ShapeKind::Blob => Value::String(base64_encode(&response.body)),
                ShapeKind::String { .. } => {
                    Value::String(String::from_utf8_lossy(&response.body).into_owned())
                }
                _ if resolved.shape.event_stream => Value::Null,
                _ if xml_body => {
                    let text = String::from_utf8_lossy(&response.body);
                    if text.trim().is_empty() {
                        Value::Object(Map::new())
                    } else {
                        let document = xml::document(&text)?;
                        xml::value_from_xml(model, member, &[document.root_element()])
                    }
                }
                _ => json::from_wire(model, member, &json::body_json(&response.body)?),
            };
            parsed.insert(payload.clone(), value);
        }
    } else {
        let body = if xml_body {
            let text = String::from_utf8_lossy(&response.body);
            if text.trim().is_empty() {
                Value::Object(Map::new())
            } else {
                let document = xml::document(&text)?;
                xml::structure_from_xml(model, structure, document.root_element())
            }
        } else {
            json::structure_from_wire(model, structure, &json::body_json(&response.body)?)
        };
        if let Value::Object(members) = body {
            parsed.extend(members);
        }
    }
    Ok((Value::Object(parsed), None))
}

/// A header's value in boto3's JSON.
fn header_value(operation: &Operation<'_>, member: &Member, text: &str) -> Value {
    let model = operation.model();
    let Some(resolved) = Resolved::new(model, member) else {
        return Value::String(text.to_string());
    };
    match resolved.kind() {
        ShapeKind::List { member: item } => {
            let kind = Resolved::new(model, item).map(|item| item.kind());
            Value::Array(
                text.split(',')
                    .map(|part| match kind {
                        Some(kind) => xml::scalar_from_text(kind, part.trim()),
                        None => Value::String(part.trim().to_string()),
                    })
                    .collect(),
            )
        }
        ShapeKind::String { .. } if member.json_value => base64_decode(text)
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_else(|| Value::String(text.to_string())),
        ShapeKind::Timestamp => timestamp::response_value(&Value::String(text.to_string())),
        kind => xml::scalar_from_text(kind, text),
    }
}
