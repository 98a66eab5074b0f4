//! XML both ways: reading query, EC2 and REST-XML responses into boto3's JSON by their
//! shapes, reading XML errors, and writing REST-XML request bodies.
//!
//! Reading follows botocore: element names are matched without their namespace, a member is
//! found under its `locationName`, a flattened list is the run of its repeated elements, a
//! wrapped list is every child of its element, and an empty element is an empty string.

use roxmltree::{Document, Node};
use runbook_engine::host::ApiError;
use serde_json::{Map, Value};

use super::timestamp::{self, WireFormat};
use super::{HttpResponse, Resolved, param_error, scalar_text};
use crate::model::{Location, Member, Operation, Protocol, ServiceModel, ShapeKind, Structure};

/// Parses an XML document, naming the failure as botocore does.
pub(super) fn document(text: &str) -> Result<Document<'_>, ApiError> {
    Document::parse(text).map_err(|error| {
        ApiError::new("ResponseParserError", format!("the response is not valid XML: {error}"))
    })
}

/// A query or EC2 response: the output (inside its result wrapper for query) and the request
/// id from the body.
pub(super) fn parse_query_response(
    operation: &Operation<'_>,
    response: &HttpResponse,
) -> Result<(Value, Option<String>), ApiError> {
    let text = String::from_utf8_lossy(&response.body);
    let document = document(&text)?;
    let root = document.root_element();
    let ec2 = operation.model().metadata().supported_protocol() == Some(Protocol::Ec2);
    let request_id = if ec2 {
        child(root, "requestId").map(|node| text_of(node).to_string())
    } else {
        child(root, "ResponseMetadata")
            .and_then(|metadata| child(metadata, "RequestId"))
            .map(|node| text_of(node).to_string())
    };
    let model = operation.model();
    let parsed = match (&operation.def().output, operation.output()) {
        (Some(output), Some(structure)) => {
            let start = match &output.result_wrapper {
                Some(wrapper) => child(root, wrapper),
                None => Some(root),
            };
            start.map_or_else(
                || Value::Object(Map::new()),
                |node| structure_from_xml(model, structure, node),
            )
        }
        _ => Value::Object(Map::new()),
    };
    Ok((parsed, request_id))
}

/// The members of `structure` found among `node`'s children (and attributes).
pub(super) fn structure_from_xml(
    model: &ServiceModel,
    structure: &Structure,
    node: Node<'_, '_>,
) -> Value {
    let mut out = Map::new();
    for (name, member) in &structure.members {
        if matches!(
            member.location,
            Some(
                Location::Header
                    | Location::Headers
                    | Location::StatusCode
                    | Location::Uri
                    | Location::Querystring
            )
        ) {
            continue;
        }
        let Some(resolved) = Resolved::new(model, member) else { continue };
        let key = element_name(model, resolved, name);
        let nodes: Vec<Node<'_, '_>> = node
            .children()
            .filter(|child| child.is_element() && child.tag_name().name() == key)
            .collect();
        if !nodes.is_empty() {
            out.insert(name.clone(), value_from_xml(model, member, &nodes));
        } else if member.xml_attribute {
            let wanted = resolved.location_name().unwrap_or(name);
            let local = wanted.rsplit(':').next().unwrap_or(wanted);
            if let Some(attribute) = node.attributes().find(|attribute| attribute.name() == local) {
                out.insert(name.clone(), Value::String(attribute.value().to_string()));
            }
        }
    }
    Value::Object(out)
}

/// The element name a member is found under: a flattened list's items are named by the
/// list member's `locationName`.
fn element_name<'m>(model: &'m ServiceModel, resolved: Resolved<'m>, name: &'m str) -> &'m str {
    if let ShapeKind::List { member } = resolved.kind()
        && resolved.flattened()
        && let Some(item_name) = Resolved::new(model, member).and_then(|item| item.location_name())
    {
        return item_name;
    }
    resolved.location_name().unwrap_or(name)
}

/// boto3's JSON of a member held by `nodes` (one element, or a flattened run).
pub(super) fn value_from_xml(
    model: &ServiceModel,
    member: &Member,
    nodes: &[Node<'_, '_>],
) -> Value {
    let Some(resolved) = Resolved::new(model, member) else { return Value::Null };
    let Some(first) = nodes.first().copied() else { return Value::Null };
    match resolved.kind() {
        ShapeKind::Structure(structure) => structure_from_xml(model, structure, first),
        ShapeKind::List { member: item } => {
            let items: Vec<Node<'_, '_>> = if resolved.flattened() {
                nodes.to_vec()
            } else {
                first.children().filter(Node::is_element).collect()
            };
            Value::Array(
                items.into_iter().map(|node| value_from_xml(model, item, &[node])).collect(),
            )
        }
        ShapeKind::Map { key, value } => {
            let key_name =
                Resolved::new(model, key).and_then(|r| r.location_name()).unwrap_or("key");
            let value_name =
                Resolved::new(model, value).and_then(|r| r.location_name()).unwrap_or("value");
            let entries: Vec<Node<'_, '_>> = if resolved.flattened() {
                nodes.to_vec()
            } else {
                first.children().filter(Node::is_element).collect()
            };
            let mut out = Map::new();
            for entry in entries {
                let entry_key = child(entry, key_name).map(text_of).unwrap_or_default();
                let entry_value = child(entry, value_name)
                    .map_or(Value::Null, |node| value_from_xml(model, value, &[node]));
                out.insert(entry_key.to_string(), entry_value);
            }
            Value::Object(out)
        }
        kind => scalar_from_text(kind, text_of(first)),
    }
}

/// A scalar from its text (XML elements, headers).
pub(super) fn scalar_from_text(kind: &ShapeKind, text: &str) -> Value {
    match kind {
        ShapeKind::Integer | ShapeKind::Long => {
            text.trim().parse::<i64>().map_or_else(|_| Value::String(text.to_string()), Value::from)
        }
        ShapeKind::Float | ShapeKind::Double => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| Value::String(text.to_string()), Value::Number),
        ShapeKind::Boolean => Value::Bool(text.trim() == "true"),
        ShapeKind::Timestamp => timestamp::response_value(&Value::String(text.to_string())),
        ShapeKind::Blob => Value::String(text.split_whitespace().collect()),
        _ => Value::String(text.to_string()),
    }
}

/// The first child element named `name`.
pub(super) fn child<'a, 'input>(node: Node<'a, 'input>, name: &str) -> Option<Node<'a, 'input>> {
    node.children().find(|child| child.is_element() && child.tag_name().name() == name)
}

/// The text of an element (empty when it has none).
pub(super) fn text_of<'a>(node: Node<'a, '_>) -> &'a str {
    node.text().unwrap_or_default()
}

/// The code and message of an XML error (`<Error>` at the root, under `<ErrorResponse>`, or
/// under `<Response><Errors>`).
pub(super) fn parse_error(text: &str) -> Option<(String, String)> {
    let document = Document::parse(text).ok()?;
    let error = document
        .descendants()
        .find(|node| node.is_element() && node.tag_name().name() == "Error")?;
    let code = child(error, "Code").map(text_of)?;
    let message = child(error, "Message")
        .or_else(|| child(error, "message"))
        .map(text_of)
        .unwrap_or_default();
    Some((code.to_string(), message.to_string()))
}

/// Writes `value` as the XML element `name` of `member`'s shape.
pub(super) fn write(
    model: &ServiceModel,
    member: &Member,
    value: &Value,
    name: &str,
    out: &mut String,
) -> Result<(), ApiError> {
    let Some(resolved) = Resolved::new(model, member) else { return Ok(()) };
    let namespace = resolved.xml_namespace().map(|namespace| match &namespace.prefix {
        Some(prefix) => format!(" xmlns:{prefix}=\"{}\"", escape(&namespace.uri, true)),
        None => format!(" xmlns=\"{}\"", escape(&namespace.uri, true)),
    });
    let namespace = namespace.unwrap_or_default();
    match resolved.kind() {
        ShapeKind::Structure(structure) => {
            let Some(object) = value.as_object() else {
                return Err(param_error(format!(
                    "parameter `{name}` should be a structure, not {value}"
                )));
            };
            let mut attributes = String::new();
            let mut children = String::new();
            for (key, item) in object {
                let Some(item_member) = structure.members.get(key) else { continue };
                if item.is_null() {
                    continue;
                }
                let Some(item_resolved) = Resolved::new(model, item_member) else { continue };
                let item_name = item_resolved.location_name().unwrap_or(key);
                if item_member.xml_attribute {
                    let text = scalar_text(item_resolved, item, WireFormat::Iso8601, key)?;
                    for part in [" ", item_name, "=\"", &escape(&text, true), "\""] {
                        attributes.push_str(part);
                    }
                } else {
                    write(model, item_member, item, item_name, &mut children)?;
                }
            }
            for part in ["<", name, &namespace, &attributes, ">", &children, "</", name, ">"] {
                out.push_str(part);
            }
        }
        ShapeKind::List { member: item_member } => {
            let Some(items) = value.as_array() else {
                return Err(param_error(format!(
                    "parameter `{name}` should be a list, not {value}"
                )));
            };
            if resolved.flattened() {
                for item in items {
                    write(model, item_member, item, name, out)?;
                }
            } else {
                let item_name = Resolved::new(model, item_member)
                    .and_then(|r| r.location_name())
                    .unwrap_or("member");
                open_tag(out, name, &namespace);
                for item in items {
                    write(model, item_member, item, item_name, out)?;
                }
                close_tag(out, name);
            }
        }
        ShapeKind::Map { key, value: value_member } => {
            let Some(entries) = value.as_object() else {
                return Err(param_error(format!(
                    "parameter `{name}` should be a map, not {value}"
                )));
            };
            let key_name =
                Resolved::new(model, key).and_then(|r| r.location_name()).unwrap_or("key");
            let value_name = Resolved::new(model, value_member)
                .and_then(|r| r.location_name())
                .unwrap_or("value");
            let flattened = resolved.flattened();
            if !flattened {
                open_tag(out, name, &namespace);
            }
            for (entry_key, entry_value) in entries {
                let entry_name = if flattened { name } else { "entry" };
                open_tag(out, entry_name, "");
                write(model, key, &Value::String(entry_key.clone()), key_name, out)?;
                write(model, value_member, entry_value, value_name, out)?;
                close_tag(out, entry_name);
            }
            if !flattened {
                close_tag(out, name);
            }
        }
        _ => {
            let text = scalar_text(resolved, value, WireFormat::Iso8601, name)?;
            open_tag(out, name, &namespace);
            out.push_str(&escape(&text, false));
            close_tag(out, name);
        }
    }
    Ok(())
}

fn open_tag(out: &mut String, name: &str, namespace: &str) {
    out.push('<');
    out.push_str(name);
    out.push_str(namespace);
    out.push('>');
}

fn close_tag(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Escapes text or attribute values as Python's `ElementTree` does.
fn escape(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' if attribute => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#09;"),
            c => out.push(c),
        }
    }
    out
}
