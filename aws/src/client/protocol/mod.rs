//! The six wire protocols of AWS APIs, driven by the models: turning an operation's JSON
//! parameters into an HTTP request, and an HTTP response into the JSON boto3 returns (or an
//! [`ApiError`]).
//!
//! These are pure functions of the model, the parameters and the bytes; signing, endpoints
//! and I/O live in the client. What the JSON looks like:
//! - Timestamps are strings in the form of Python's `datetime.isoformat()` for the UTC
//!   datetimes boto3 returns (`2024-01-15T10:00:00+00:00`).
//! - Blobs are base64 strings (boto3 gives bytes). A blob *parameter* given as a string is
//!   taken as that string's UTF-8 bytes, as boto3 takes a `str`.
//! - Every response has boto3's `ResponseMetadata` (`RequestId`, `HTTPStatusCode`,
//!   `HTTPHeaders` with lower-case names, `RetryAttempts`, and `HostId` for S3).
//! - boto3's IAM customisation applies: policy documents come back URL-decoded and parsed.

mod cbor;
mod customize;
mod json;
mod query;
mod rest;
pub(crate) mod timestamp;
mod xml;

use base64::Engine as _;
use runbook_engine::host::ApiError;
use serde_json::{Map, Value};

use crate::model::{Member, Operation, Protocol, ServiceModel, Shape, ShapeKind};

/// An HTTP request, before it is addressed and signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    /// The method (`POST`).
    pub method: String,
    /// The path and query, starting with `/`, relative to the endpoint.
    pub path: String,
    /// The headers the protocol sets.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// The label to put before the endpoint's host (`123456789012.`), if the operation has one.
    pub host_prefix: Option<String>,
}

impl HttpRequest {
    /// The value of header `name` (case-insensitive), if set.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

/// An HTTP response, as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status.
    pub status: u16,
    /// The headers, names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The value of header `name` (case-insensitive), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
}

/// Serializes a call of `operation` with `params` (a JSON object of its input members) in
/// the service's protocol. Members the input does not have and `null` values are left out;
/// check the parameters with [`check_params`](crate::model::check_params) first.
pub fn build_request(operation: &Operation<'_>, params: &Value) -> Result<HttpRequest, ApiError> {
    let metadata = operation.model().metadata();
    let protocol = metadata.supported_protocol().ok_or_else(|| unsupported(operation))?;
    let params = &customize::prepare(operation, params);
    let mut request = match protocol {
        Protocol::Ec2 => query::serialize(operation, params, true)?,
        Protocol::Query => query::serialize(operation, params, false)?,
        Protocol::Json => json::serialize(operation, params),
        Protocol::RestJson => rest::serialize(operation, params, false)?,
        Protocol::RestXml => rest::serialize(operation, params, true)?,
        Protocol::RpcV2Cbor => cbor::serialize(operation, params),
    };
    request.host_prefix = host_prefix(operation, params)?;
    Ok(request)
}

/// Parses the response to a call of `operation` with `params` into boto3's JSON, or the
/// error it carries.
pub fn parse_response(
    operation: &Operation<'_>,
    params: &Value,
    response: &HttpResponse,
) -> Result<Value, ApiError> {
    let metadata = operation.model().metadata();
    let protocol = metadata.supported_protocol().ok_or_else(|| unsupported(operation))?;
    if response.status >= 301 {
        return Err(parse_error(protocol, response));
    }
    let (mut parsed, request_id) = match protocol {
        Protocol::Ec2 | Protocol::Query => xml::parse_query_response(operation, response)?,
        Protocol::Json => json::parse_response(operation, response)?,
        Protocol::RestJson | Protocol::RestXml => rest::parse_response(operation, response)?,
        Protocol::RpcV2Cbor => cbor::parse_response(operation, response)?,
    };
    customize::finish(operation, params, response, &mut parsed);
    let mut metadata = Map::new();
    let host_id = response.header("x-amz-id-2");
    // botocore reads no request id from a CBOR answer to an operation without output.
    let without_output = protocol == Protocol::RpcV2Cbor && operation.def().output.is_none();
    if let Some(request_id) = request_id.or_else(|| header_request_id(response))
        && !without_output
    {
        metadata.insert("RequestId".into(), Value::String(request_id));
    }
    let rest = matches!(protocol, Protocol::RestJson | Protocol::RestXml);
    if rest
        && response.header("x-amzn-requestid").is_none()
        && response.header("x-amz-request-id").is_some()
    {
        metadata.insert("HostId".into(), Value::String(host_id.unwrap_or_default().to_string()));
    }
    metadata.insert("HTTPStatusCode".into(), Value::from(response.status));
    let headers: Map<String, Value> = response
        .headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), Value::String(value.clone())))
        .collect();
    metadata.insert("HTTPHeaders".into(), Value::Object(headers));
    metadata.insert("RetryAttempts".into(), Value::from(0));
    if let Value::Object(object) = &mut parsed {
        object.insert("ResponseMetadata".into(), Value::Object(metadata));
    }
    Ok(parsed)
}

fn header_request_id(response: &HttpResponse) -> Option<String> {
    response
        .header("x-amzn-requestid")
        .or_else(|| response.header("x-amz-request-id"))
        .map(str::to_string)
}

fn unsupported(operation: &Operation<'_>) -> ApiError {
    let metadata = operation.model().metadata();
    ApiError::new(
        "UnsupportedProtocol",
        format!(
            "service `{}` speaks {}, which this client does not",
            operation.model().name(),
            if metadata.protocols.is_empty() {
                metadata.protocol.clone()
            } else {
                metadata.protocols.join(", ")
            }
        ),
    )
}

/// An error response, in the protocol's error format.
fn parse_error(protocol: Protocol, response: &HttpResponse) -> ApiError {
    let body = String::from_utf8_lossy(&response.body);
    let trimmed = body.trim();
    let (code, message) =
        if response.status >= 500 && (trimmed.is_empty() || trimmed.starts_with("<html>")) {
            (response.status.to_string(), reason_phrase(response.status).to_string())
        } else {
            match protocol {
                Protocol::Ec2 | Protocol::Query | Protocol::RestXml => xml::parse_error(trimmed)
                    .unwrap_or_else(|| {
                        (response.status.to_string(), reason_phrase(response.status).to_string())
                    }),
                Protocol::Json | Protocol::RestJson => {
                    json::parse_error(response, protocol == Protocol::RestJson)
                }
                Protocol::RpcV2Cbor => cbor::parse_error(response),
            }
        };
    ApiError::new(code, message).with_status(response.status)
}

/// The reason phrase of an HTTP status, for errors without a body.
fn reason_phrase(status: u16) -> &'static str {
    match status {
        301 => "Moved Permanently",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        412 => "Precondition Failed",
        413 => "Request Entity Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// Expands the operation's host prefix (`{AccountId}.`) from its `hostLabel` members.
fn host_prefix(operation: &Operation<'_>, params: &Value) -> Result<Option<String>, ApiError> {
    let Some(endpoint) = &operation.def().endpoint else { return Ok(None) };
    if endpoint.host_prefix.is_empty() {
        return Ok(None);
    }
    let mut prefix = endpoint.host_prefix.clone();
    if let Some(input) = operation.input() {
        for (name, member) in &input.members {
            if !member.host_label {
                continue;
            }
            let value = params.get(name).and_then(Value::as_str).unwrap_or_default();
            let valid = !value.is_empty()
                && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !value.starts_with('-');
            if !valid {
                return Err(param_error(format!(
                    "parameter `{name}` must be a non-empty host label (letters, digits, `-`)"
                )));
            }
            prefix = prefix.replace(&format!("{{{name}}}"), value);
        }
    }
    Ok(Some(prefix))
}

/// An error in the parameters, as boto3 reports them before sending.
pub(crate) fn param_error(message: String) -> ApiError {
    ApiError::new("ParamValidationError", message)
}

/// A member with its shape resolved: the member's traits win over the shape's, as botocore
/// merges them.
#[derive(Clone, Copy)]
pub(crate) struct Resolved<'m> {
    pub(crate) member: &'m Member,
    pub(crate) shape: &'m Shape,
}

impl<'m> Resolved<'m> {
    pub(crate) fn new(model: &'m ServiceModel, member: &'m Member) -> Option<Self> {
        Some(Self { member, shape: model.shape(&member.shape)? })
    }

    pub(crate) fn kind(&self) -> &'m ShapeKind {
        &self.shape.kind
    }

    pub(crate) fn location_name(&self) -> Option<&'m str> {
        self.member.location_name.as_deref().or(self.shape.location_name.as_deref())
    }

    pub(crate) fn flattened(&self) -> bool {
        self.member.flattened || self.shape.flattened
    }

    pub(crate) fn xml_namespace(&self) -> Option<&'m crate::model::XmlNamespace> {
        self.member.xml_namespace.as_ref().or(self.shape.xml_namespace.as_ref())
    }

    pub(crate) fn timestamp_format(&self, default: timestamp::WireFormat) -> timestamp::WireFormat {
        timestamp::WireFormat::named(
            self.member.timestamp_format.as_deref().or(self.shape.timestamp_format.as_deref()),
            default,
        )
    }
}

/// The text of a scalar parameter, as query strings, headers, URIs and XML carry it.
pub(crate) fn scalar_text(
    resolved: Resolved<'_>,
    value: &Value,
    default_timestamp: timestamp::WireFormat,
    path: &str,
) -> Result<String, ApiError> {
    Ok(match (resolved.kind(), value) {
        (_, Value::String(text))
            if !matches!(resolved.kind(), ShapeKind::Timestamp | ShapeKind::Blob) =>
        {
            text.clone()
        }
        (ShapeKind::Timestamp, _) => {
            let timestamp = timestamp::parse(value).ok_or_else(|| {
                param_error(format!("parameter `{path}` is not a timestamp: {value}"))
            })?;
            timestamp::to_wire_text(timestamp, resolved.timestamp_format(default_timestamp))
        }
        (ShapeKind::Blob, Value::String(text)) => base64_encode(text.as_bytes()),
        (_, Value::Bool(flag)) => flag.to_string(),
        (_, Value::Number(number)) => number.to_string(),
        _ => {
            return Err(param_error(format!(
                "parameter `{path}` should be {}, not {value}",
                resolved.kind().describe()
            )));
        }
    })
}

pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text.trim()).ok()
}

/// Percent-encodes `text`, keeping the unreserved characters and those in `safe`, as
/// Python's `urllib.parse.quote` does.
pub(crate) fn percent_encode(text: &str, safe: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'_' | b'.' | b'~')
            || safe.as_bytes().contains(&byte)
        {
            out.push(char::from(byte));
        } else {
            push_escaped(&mut out, byte);
        }
    }
    out
}

/// Appends `%XX` for `byte`.
pub(crate) fn push_escaped(out: &mut String, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(char::from(HEX[usize::from(byte >> 4)]));
    out.push(char::from(HEX[usize::from(byte & 0x0f)]));
}

/// Decodes `%XX` escapes (not `+`), as Python's `urllib.parse.unquote` does.
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' && at + 2 < bytes.len() {
            let digit = |byte: u8| char::from(byte).to_digit(16);
            if let (Some(high), Some(low)) = (digit(bytes[at + 1]), digit(bytes[at + 2])) {
                out.push((high * 16 + low) as u8);
                at += 3;
                continue;
            }
        }
        out.push(bytes[at]);
        at += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
