//! The query protocol (IAM, STS, RDS, SNS...) and EC2's variant: parameters flattened into
//! `Name.1.Key=value` form fields. The XML responses are read by the `xml` module.
//!
//! The two differ in naming and lists. Query names a member by its `locationName` and puts
//! list items under `.member.N` (or the list member's `locationName`; flattened lists drop
//! the level), and sends an empty list as an empty value. EC2 names a member by its
//! `queryName`, else its `locationName` with the first letter capitalised, numbers list
//! items directly (`.N`) and leaves empty lists out.

use runbook_engine::host::ApiError;
use serde_json::Value;

use super::timestamp::WireFormat;
use super::{HttpRequest, Resolved, param_error, push_escaped, scalar_text};
use crate::model::{Member, Operation, ServiceModel, ShapeKind, Structure};

pub(super) fn serialize(
    operation: &Operation<'_>,
    params: &Value,
    ec2: bool,
) -> Result<HttpRequest, ApiError> {
    let model = operation.model();
    let mut fields = vec![
        ("Action".to_string(), operation.name().to_string()),
        ("Version".to_string(), model.metadata().api_version.clone()),
    ];
    if let Some(input) = operation.input() {
        let mut writer = Writer { model, ec2, fields: &mut fields };
        writer.structure(input, params, "")?;
    }
    let body = fields
        .iter()
        .map(|(key, value)| format!("{}={}", form_encode(key), form_encode(value)))
        .collect::<Vec<_>>()
        .join("&");
    Ok(HttpRequest {
        method: "POST".to_string(),
        path: "/".to_string(),
        headers: vec![(
            "Content-Type".to_string(),
            "application/x-www-form-urlencoded; charset=utf-8".to_string(),
        )],
        body: body.into_bytes(),
        host_prefix: None,
    })
}

struct Writer<'a, 'm> {
    model: &'m ServiceModel,
    ec2: bool,
    fields: &'a mut Vec<(String, String)>,
}

impl<'m> Writer<'_, 'm> {
    /// The field name of a member: `default` unless the model names it.
    fn name(&self, resolved: Resolved<'_>, default: &str) -> String {
        if self.ec2 {
            if let Some(query_name) = &resolved.member.query_name {
                return query_name.clone();
            }
            if let Some(name) = resolved.location_name() {
                let mut chars = name.chars();
                return chars
                    .next()
                    .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default();
            }
            default.to_string()
        } else {
            resolved.location_name().unwrap_or(default).to_string()
        }
    }

    fn structure(
        &mut self,
        structure: &'m Structure,
        value: &Value,
        prefix: &str,
    ) -> Result<(), ApiError> {
        let Some(object) = value.as_object() else {
            return Err(param_error(format!(
                "parameter `{}` should be a structure, not {value}",
                display_path(prefix)
            )));
        };
        for (key, item) in object {
            let Some(member) = structure.members.get(key) else { continue };
            if item.is_null() {
                continue;
            }
            let Some(resolved) = Resolved::new(self.model, member) else { continue };
            let name = self.name(resolved, key);
            let path = if prefix.is_empty() { name } else { format!("{prefix}.{name}") };
            self.value(member, item, &path)?;
        }
        Ok(())
    }

    fn value(&mut self, member: &'m Member, value: &Value, prefix: &str) -> Result<(), ApiError> {
        let Some(resolved) = Resolved::new(self.model, member) else { return Ok(()) };
        match resolved.kind() {
            ShapeKind::Structure(structure) => self.structure(structure, value, prefix),
            ShapeKind::List { member: item_member } => {
                let items = list_items(value, prefix)?;
                if self.ec2 {
                    for (index, item) in items.iter().enumerate() {
                        self.value(item_member, item, &format!("{prefix}.{}", index + 1))?;
                    }
                    return Ok(());
                }
                if items.is_empty() {
                    self.fields.push((prefix.to_string(), String::new()));
                    return Ok(());
                }
                let item_resolved = Resolved::new(self.model, item_member);
                let item_name = item_resolved.and_then(|resolved| resolved.location_name());
                let list_prefix = if resolved.flattened() {
                    match (item_name, prefix.rsplit_once('.')) {
                        (Some(name), Some((parent, _))) => format!("{parent}.{name}"),
                        (Some(name), None) => name.to_string(),
                        (None, _) => prefix.to_string(),
                    }
                } else {
                    format!("{prefix}.{}", item_name.unwrap_or("member"))
                };
                for (index, item) in items.iter().enumerate() {
                    self.value(item_member, item, &format!("{list_prefix}.{}", index + 1))?;
                }
                Ok(())
            }
            ShapeKind::Map { key, value: value_member } => {
                let Some(entries) = value.as_object() else {
                    return Err(param_error(format!(
                        "parameter `{}` should be a map, not {value}",
                        display_path(prefix)
                    )));
                };
                let entry_prefix = if resolved.flattened() {
                    prefix.to_string()
                } else {
                    format!("{prefix}.entry")
                };
                let key_name = Resolved::new(self.model, key)
                    .map_or_else(|| "key".to_string(), |resolved| self.name(resolved, "key"));
                let value_name = Resolved::new(self.model, value_member)
                    .map_or_else(|| "value".to_string(), |resolved| self.name(resolved, "value"));
                for (index, (entry_key, entry_value)) in entries.iter().enumerate() {
                    let at = format!("{entry_prefix}.{}", index + 1);
                    self.value(
                        key,
                        &Value::String(entry_key.clone()),
                        &format!("{at}.{key_name}"),
                    )?;
                    self.value(value_member, entry_value, &format!("{at}.{value_name}"))?;
                }
                Ok(())
            }
            _ => {
                let text = scalar_text(resolved, value, WireFormat::Iso8601, prefix)?;
                self.fields.push((prefix.to_string(), text));
                Ok(())
            }
        }
    }
}

fn list_items<'v>(value: &'v Value, prefix: &str) -> Result<&'v [Value], ApiError> {
    value.as_array().map(Vec::as_slice).ok_or_else(|| {
        param_error(format!("parameter `{}` should be a list, not {value}", display_path(prefix)))
    })
}

fn display_path(prefix: &str) -> &str {
    if prefix.is_empty() { "(the parameters)" } else { prefix }
}

/// Encodes a form field as Python's `urlencode` does (`quote_plus`: space becomes `+`).
fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b' ' => out.push('+'),
            b'-' | b'_' | b'.' | b'~' => out.push(char::from(byte)),
            _ if byte.is_ascii_alphanumeric() => out.push(char::from(byte)),
            _ => push_escaped(&mut out, byte),
        }
    }
    out
}
