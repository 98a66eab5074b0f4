//! The Smithy RPC v2 CBOR protocol (`smithy-rpc-v2-cbor`), which AWS is moving services to
//! (`CloudWatch`, `CodeBuild`, Directory Service, and services that speak nothing else): every
//! call is a `POST` to `/service/{targetPrefix}/operation/{Operation}` with the header
//! `smithy-protocol: rpc-v2-cbor` and a CBOR map as the body, in both directions.
//!
//! The rules are botocore's: members under their `locationName` in requests and under their
//! own name in responses; timestamps as tag 1 around epoch seconds (an integer, or a float when
//! there is a fraction); blobs as byte strings; `float` members as single and `double` members
//! as double precision; integers in their shortest form. Errors carry `__type` and `message` in
//! the body, and a service that left the query protocol keeps its old codes in
//! `x-amzn-query-error`, as with JSON.

use minicbor::data::{Tag, Type};
use minicbor::{Decoder, Encoder};
use runbook_engine::host::ApiError;
use serde_json::{Map, Number, Value};

use super::timestamp;
use super::{HttpRequest, HttpResponse, Resolved, base64_encode};
use crate::model::{Member, Operation, ServiceModel, ShapeKind, Structure};

/// CBOR's tag for epoch-based date and time.
const EPOCH_TAG: u64 = 1;

/// Nesting deeper than this is refused rather than followed (a hostile body cannot exhaust
/// the stack); AWS shapes nest a few dozen levels at most.
const MAX_DEPTH: usize = 128;

pub(super) fn serialize(operation: &Operation<'_>, params: &Value) -> HttpRequest {
    let model = operation.model();
    let metadata = model.metadata();
    let mut encoder = Encoder::new(Vec::new());
    if let Some(input) = operation.input() {
        structure(&mut encoder, model, input, params);
    }
    let body = encoder.into_writer();
    let mut headers = vec![("smithy-protocol".to_string(), "rpc-v2-cbor".to_string())];
    if metadata.aws_query_compatible {
        headers.push(("x-amzn-query-mode".to_string(), "true".to_string()));
    }
    headers.push(("Accept".to_string(), "application/cbor".to_string()));
    if !body.is_empty() {
        headers.push(("Content-Type".to_string(), "application/cbor".to_string()));
    }
    HttpRequest {
        method: "POST".to_string(),
        path: format!(
            "/service/{}/operation/{}",
            metadata.target_prefix.as_deref().unwrap_or_default(),
            operation.name()
        ),
        headers,
        body,
        host_prefix: None,
    }
}

// Writing to a `Vec` cannot fail, so the encoder's results carry nothing to handle.
type Out = Encoder<Vec<u8>>;

fn structure(out: &mut Out, model: &ServiceModel, structure: &Structure, value: &Value) {
    let Some(object) = value.as_object() else {
        return any(out, value);
    };
    let members: Vec<(&str, &Member, &Value)> = object
        .iter()
        .filter(|(_, item)| !item.is_null())
        .filter_map(|(key, item)| {
            let member = structure.members.get(key)?;
            let name = Resolved::new(model, member)
                .and_then(|resolved| resolved.location_name())
                .unwrap_or(key);
            Some((name, member, item))
        })
        .collect();
    let _ = out.map(members.len() as u64);
    for (name, member, item) in members {
        let _ = out.str(name);
        member_value(out, model, member, item);
    }
}

fn member_value(out: &mut Out, model: &ServiceModel, member: &Member, value: &Value) {
    let Some(resolved) = Resolved::new(model, member) else { return any(out, value) };
    match (resolved.kind(), value) {
        (ShapeKind::Structure(inner), _) => structure(out, model, inner, value),
        (ShapeKind::List { member: item }, Value::Array(items)) => {
            let _ = out.array(items.len() as u64);
            for entry in items {
                member_value(out, model, item, entry);
            }
        }
        (ShapeKind::Map { value: item, .. }, Value::Object(entries)) => {
            let _ = out.map(entries.len() as u64);
            for (key, entry) in entries {
                let _ = out.str(key);
                member_value(out, model, item, entry);
            }
        }
        (ShapeKind::Timestamp, _) => match timestamp::parse(value) {
            Some(parsed) => {
                let _ = out.tag(Tag::new(EPOCH_TAG));
                let micros = parsed.as_microsecond();
                if micros % 1_000_000 == 0 {
                    let _ = out.i64(parsed.as_second());
                } else {
                    #[allow(clippy::cast_precision_loss, reason = "as botocore divides")]
                    let _ = out.f64(micros as f64 / 1e6);
                }
            }
            None => any(out, value),
        },
        (ShapeKind::Blob, Value::String(text)) => {
            let _ = out.bytes(text.as_bytes());
        }
        (ShapeKind::Float, Value::Number(number)) => match number.as_f64() {
            #[allow(clippy::cast_possible_truncation, reason = "the member is single precision")]
            Some(float) => {
                let _ = out.f32(float as f32);
            }
            None => any(out, value),
        },
        (ShapeKind::Double, Value::Number(number)) => match number.as_f64() {
            Some(float) => {
                let _ = out.f64(float);
            }
            None => any(out, value),
        },
        _ => any(out, value),
    }
}

/// A value with no shape to follow (or one that does not fit its shape, which the parameter
/// checks report before a call is made), in the plainest CBOR for its JSON type.
fn any(out: &mut Out, value: &Value) {
    match value {
        Value::Null => {
            let _ = out.null();
        }
        Value::Bool(flag) => {
            let _ = out.bool(*flag);
        }
        Value::Number(number) => {
            if let Some(unsigned) = number.as_u64() {
                let _ = out.u64(unsigned);
            } else if let Some(signed) = number.as_i64() {
                let _ = out.i64(signed);
            } else {
                let _ = out.f64(number.as_f64().unwrap_or_default());
            }
        }
        Value::String(text) => {
            let _ = out.str(text);
        }
        Value::Array(items) => {
            let _ = out.array(items.len() as u64);
            for item in items {
                any(out, item);
            }
        }
        Value::Object(entries) => {
            let _ = out.map(entries.len() as u64);
            for (key, item) in entries {
                let _ = out.str(key);
                any(out, item);
            }
        }
    }
}

/// A CBOR data item, decoded without a shape.
#[derive(Clone, Debug, PartialEq)]
enum Item {
    Integer(i128),
    Float(f64),
    Bytes(Vec<u8>),
    Text(String),
    Array(Vec<Item>),
    Map(Vec<(Item, Item)>),
    Timestamp(Box<Item>),
    Bool(bool),
    Null,
}

impl Item {
    fn get(&self, key: &str) -> Option<&Item> {
        let Self::Map(entries) = self else { return None };
        entries
            .iter()
            .find(|(name, _)| matches!(name, Self::Text(text) if text == key))
            .map(|(_, value)| value)
    }

    fn text(&self) -> Option<&str> {
        match self {
            Self::Text(text) => Some(text),
            _ => None,
        }
    }
}

/// Decodes a whole body into one data item; an empty body is an empty map.
fn decode(body: &[u8]) -> Result<Item, String> {
    if body.is_empty() {
        return Ok(Item::Map(Vec::new()));
    }
    let mut decoder = Decoder::new(body);
    let item = decode_item(&mut decoder, 0)?;
    if decoder.position() != body.len() {
        return Err(format!(
            "{} bytes after the end of the body's data item",
            body.len() - decoder.position()
        ));
    }
    Ok(item)
}

fn decode_item(decoder: &mut Decoder<'_>, depth: usize) -> Result<Item, String> {
    if depth > MAX_DEPTH {
        return Err(format!("data nested deeper than {MAX_DEPTH} levels"));
    }
    let at = decoder.position();
    let fail = |error: minicbor::decode::Error| format!("at byte {at}: {error}");
    Ok(match decoder.datatype().map_err(fail)? {
        Type::Bool => Item::Bool(decoder.bool().map_err(fail)?),
        Type::Null | Type::Undefined => {
            decoder.skip().map_err(fail)?;
            Item::Null
        }
        Type::U8
        | Type::U16
        | Type::U32
        | Type::U64
        | Type::I8
        | Type::I16
        | Type::I32
        | Type::I64
        | Type::Int => Item::Integer(i128::from(decoder.int().map_err(fail)?)),
        Type::F16 => {
            let bytes = decoder.input().get(at + 1..at + 3).ok_or("a truncated half float")?;
            decoder.set_position(at + 3);
            Item::Float(half_to_f64(u16::from_be_bytes([bytes[0], bytes[1]])))
        }
        Type::F32 | Type::F64 => Item::Float(decoder.f64().map_err(fail)?),
        Type::Bytes => Item::Bytes(decoder.bytes().map_err(fail)?.to_vec()),
        Type::BytesIndef => {
            let mut bytes = Vec::new();
            for chunk in decoder.bytes_iter().map_err(fail)? {
                bytes.extend_from_slice(chunk.map_err(fail)?);
            }
            Item::Bytes(bytes)
        }
        Type::String => Item::Text(decoder.str().map_err(fail)?.to_string()),
        Type::StringIndef => {
            let mut text = String::new();
            for chunk in decoder.str_iter().map_err(fail)? {
                text.push_str(chunk.map_err(fail)?);
            }
            Item::Text(text)
        }
        Type::Array | Type::ArrayIndef => {
            let length = decoder.array().map_err(fail)?;
            let mut items = Vec::new();
            while more(decoder, length, items.len())? {
                items.push(decode_item(decoder, depth + 1)?);
            }
            Item::Array(items)
        }
        Type::Map | Type::MapIndef => {
            let length = decoder.map().map_err(fail)?;
            let mut entries = Vec::new();
            while more(decoder, length, entries.len())? {
                let key = decode_item(decoder, depth + 1)?;
                let value = decode_item(decoder, depth + 1)?;
                entries.push((key, value));
            }
            Item::Map(entries)
        }
        Type::Tag => {
            let tag = decoder.tag().map_err(fail)?.as_u64();
            if tag != EPOCH_TAG {
                return Err(format!(
                    "at byte {at}: CBOR tag {tag}, which AWS responses do not use"
                ));
            }
            Item::Timestamp(Box::new(decode_item(decoder, depth + 1)?))
        }
        other => return Err(format!("at byte {at}: unexpected CBOR {other}")),
    })
}

/// Whether a definite collection of `length` has more than `read` items, or an indefinite one
/// has not reached its break (which is then consumed).
fn more(decoder: &mut Decoder<'_>, length: Option<u64>, read: usize) -> Result<bool, String> {
    match length {
        Some(length) => Ok((read as u64) < length),
        None => {
            let at = decoder.position();
            if decoder.datatype().map_err(|error| format!("at byte {at}: {error}"))? == Type::Break
            {
                decoder.set_position(at + 1);
                Ok(false)
            } else {
                Ok(true)
            }
        }
    }
}

/// An IEEE 754 half-precision float.
fn half_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 == 0 { 1.0 } else { -1.0 };
    let exponent = i32::from((bits >> 10) & 0x1f);
    let fraction = f64::from(bits & 0x3ff);
    sign * match exponent {
        0 => fraction * 2f64.powi(-24),
        31 if fraction == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        _ => (1.0 + fraction / 1024.0) * 2f64.powi(exponent - 15),
    }
}

pub(super) fn parse_response(
    operation: &Operation<'_>,
    response: &HttpResponse,
) -> Result<(Value, Option<String>), ApiError> {
    let body = decode(&response.body).map_err(|error| {
        ApiError::new("ResponseParserError", format!("the response is not CBOR: {error}"))
    })?;
    let parsed = match &operation.def().output {
        Some(output) => from_wire(operation.model(), output, &body),
        None => Value::Object(Map::new()),
    };
    Ok((parsed, response.header("x-amzn-requestid").map(str::to_string)))
}

/// boto3's JSON of a response value: only modelled members, timestamps in the response form,
/// blobs in base64.
fn from_wire(model: &ServiceModel, member: &Member, item: &Item) -> Value {
    let Some(resolved) = Resolved::new(model, member) else { return plain(item) };
    match (resolved.kind(), item) {
        (ShapeKind::Structure(structure), Item::Map(_)) => {
            let mut out = Map::new();
            for (name, member) in &structure.members {
                if let Some(value) = item.get(name).filter(|value| **value != Item::Null) {
                    out.insert(name.clone(), from_wire(model, member, value));
                }
            }
            Value::Object(out)
        }
        (ShapeKind::List { member: inner }, Item::Array(items)) => {
            Value::Array(items.iter().map(|entry| from_wire(model, inner, entry)).collect())
        }
        (ShapeKind::Map { value: inner, .. }, Item::Map(entries)) => Value::Object(
            entries
                .iter()
                .filter(|(_, value)| *value != Item::Null)
                .map(|(key, value)| (key_text(key), from_wire(model, inner, value)))
                .collect(),
        ),
        (ShapeKind::Timestamp, Item::Timestamp(inner)) => timestamp::response_value(&plain(inner)),
        (ShapeKind::Timestamp, _) => timestamp::response_value(&plain(item)),
        _ => plain(item),
    }
}

/// The JSON of a data item with no shape to follow.
fn plain(item: &Item) -> Value {
    match item {
        Item::Integer(integer) => i64::try_from(*integer)
            .map(Value::from)
            .or_else(|_| u64::try_from(*integer).map(Value::from))
            .unwrap_or_else(|_| Value::String(integer.to_string())),
        Item::Float(float) => float_value(*float),
        Item::Bytes(bytes) => Value::String(base64_encode(bytes)),
        Item::Text(text) => Value::String(text.clone()),
        Item::Array(items) => Value::Array(items.iter().map(plain).collect()),
        Item::Map(entries) => Value::Object(
            entries
                .iter()
                .filter(|(_, value)| *value != Item::Null)
                .map(|(key, value)| (key_text(key), plain(value)))
                .collect(),
        ),
        Item::Timestamp(inner) => timestamp::response_value(&plain(inner)),
        Item::Bool(flag) => Value::Bool(*flag),
        Item::Null => Value::Null,
    }
}

/// A float as JSON; the values JSON has no number for are written as Python writes them.
fn float_value(float: f64) -> Value {
    Number::from_f64(float).map_or_else(
        || {
            Value::String(
                if float.is_nan() {
                    "NaN"
                } else if float > 0.0 {
                    "Infinity"
                } else {
                    "-Infinity"
                }
                .to_string(),
            )
        },
        Value::Number,
    )
}

fn key_text(key: &Item) -> String {
    match key {
        Item::Text(text) => text.clone(),
        other => match plain(other) {
            Value::String(text) => text,
            value => value.to_string(),
        },
    }
}

/// The code and message of an error response.
pub(super) fn parse_error(response: &HttpResponse) -> (String, String) {
    let body = decode(&response.body).unwrap_or(Item::Null);
    let text_of = |key: &str| body.get(key).and_then(Item::text).map(str::to_string);
    let message = text_of("message").or_else(|| text_of("Message")).unwrap_or_default();
    let code = text_of("__type").unwrap_or_else(|| response.status.to_string());
    let code = code.split(':').next().unwrap_or(&code);
    let code = code.rsplit('#').next().unwrap_or(code);
    // A service that left the query protocol keeps its old codes in this header.
    let query_code = response
        .header("x-amzn-query-error")
        .and_then(|header| header.split(';').next())
        .filter(|code| !code.is_empty());
    (query_code.unwrap_or(code).to_string(), message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_floats_decode_as_botocore_reads_them() {
        assert!((half_to_f64(0x3c00) - 1.0).abs() < f64::EPSILON);
        assert!((half_to_f64(0xc000) + 2.0).abs() < f64::EPSILON);
        assert!((half_to_f64(0x0001) - 2f64.powi(-24)).abs() < f64::EPSILON);
        assert!(half_to_f64(0x7c00).is_infinite() && half_to_f64(0x7c00) > 0.0);
        assert!(half_to_f64(0xfc00).is_infinite() && half_to_f64(0xfc00) < 0.0);
        assert!(half_to_f64(0x7e00).is_nan());
    }

    #[test]
    fn every_kind_of_item_decodes() {
        // {"a": [1, -2, 1.5 (half), "x" (indefinite text), h'01', 1(10)], "b": true, "c": null}
        let body = [
            0xa3, 0x61, b'a', 0x86, 0x01, 0x21, 0xf9, 0x3e, 0x00, 0x7f, 0x61, b'x', 0xff, 0x41,
            0x01, 0xc1, 0x0a, 0x61, b'b', 0xf5, 0x61, b'c', 0xf6,
        ];
        let item = decode(&body).unwrap();
        assert_eq!(
            plain(&item),
            serde_json::json!({
                "a": [1, -2, 1.5, "x", "AQ==", "1970-01-01T00:00:10+00:00"], "b": true
            })
        );
    }

    #[test]
    fn indefinite_collections_end_at_their_break() {
        // [_ {_ "k": [_ 1, 2] } ]
        let body = [0x9f, 0xbf, 0x61, b'k', 0x9f, 0x01, 0x02, 0xff, 0xff, 0xff];
        assert_eq!(plain(&decode(&body).unwrap()), serde_json::json!([{"k": [1, 2]}]));
    }

    #[test]
    fn malformed_bodies_are_errors_not_panics() {
        for (body, expected) in [
            (&[0xa1, 0x61][..], "at byte 1"),
            (&[0x82, 0x01][..], "at byte 2"),
            (&[0xc2, 0x41, 0x00][..], "CBOR tag 2"),
            (&[0x01, 0x02][..], "1 bytes after the end"),
            (&[0xf9, 0x3c][..], "truncated half float"),
            (&[0xff][..], "unexpected CBOR break"),
            (&[0x9f, 0x01][..], "at byte 2"),
        ] {
            let error = decode(body).unwrap_err();
            assert!(error.contains(expected), "{body:02x?}: {error}");
        }
        let deep: Vec<u8> = std::iter::repeat_n(0x81, 200).chain([0x01]).collect();
        assert!(decode(&deep).unwrap_err().contains("deeper than 128"));
    }

    #[test]
    fn error_codes_lose_their_namespace_and_query_codes_win() {
        let mut body = Encoder::new(Vec::new());
        let _ = body.map(2).and_then(|e| e.str("__type")).and_then(|e| {
            e.str("com.amazonaws.cloudwatch#ResourceNotFound:http://internal.amazon.com/")
        });
        let _ = body.str("message").and_then(|e| e.str("no such alarm"));
        let mut response =
            HttpResponse { status: 404, headers: Vec::new(), body: body.into_writer() };
        assert_eq!(
            parse_error(&response),
            ("ResourceNotFound".to_string(), "no such alarm".to_string())
        );
        response
            .headers
            .push(("x-amzn-query-error".to_string(), "ResourceNotFoundError;Sender".to_string()));
        assert_eq!(parse_error(&response).0, "ResourceNotFoundError");
        let empty = HttpResponse { status: 400, headers: Vec::new(), body: b"<html>".to_vec() };
        assert_eq!(parse_error(&empty), ("400".to_string(), String::new()));
    }
}
