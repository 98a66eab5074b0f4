//! The changes boto3 makes to some calls beyond what the models say, so that a runbook sees
//! what it would see in the service:
//! - IAM: policy documents in responses are URL-decoded and parsed into JSON.
//! - S3 `ListObjects`, `ListObjectsV2`, `ListObjectVersions`: keys are requested URL-encoded
//!   (`EncodingType=url`) unless the call chose an encoding, and decoded again.
//! - S3 `GetBucketLocation`: the region is read from the bare root element.
//! - EC2 `RunInstances`: `UserData` is base64-encoded.
//! - Route 53: resource ids given as paths (`/hostedzone/Z123`) keep their last part.
//! - Parameter aliases: EC2's `Filter` members may be given as `Filters` (and two more).

use serde_json::Value;

use super::{HttpResponse, percent_decode, xml};
use crate::model::{Operation, ServiceModel, ShapeKind, parameter_alias_target};

/// The parameters to serialize, after boto3's changes.
pub(super) fn prepare(operation: &Operation<'_>, params: &Value) -> Value {
    let mut changed = params.clone();
    let Some(object) = changed.as_object_mut() else { return changed };
    let aliases: Vec<(String, &str)> = object
        .keys()
        .filter_map(|key| {
            parameter_alias_target(operation, key).map(|member| (key.clone(), member))
        })
        .collect();
    for (alias, member) in aliases {
        if let Some(value) = object.remove(&alias) {
            object.insert(member.to_string(), value);
        }
    }
    match (operation.model().name(), operation.name()) {
        ("s3", "ListObjects" | "ListObjectsV2" | "ListObjectVersions")
            if !object.contains_key("EncodingType") =>
        {
            object.insert("EncodingType".into(), Value::String("url".into()));
        }
        ("ec2", "RunInstances") => {
            if let Some(Value::String(user_data)) = object.get_mut("UserData") {
                *user_data = super::base64_encode(user_data.as_bytes());
            }
        }
        ("route53", _) => {
            let members = operation.input().map(|input| &input.members);
            for (name, member) in members.into_iter().flatten() {
                if !matches!(member.shape.as_str(), "ResourceId" | "DelegationSetId" | "ChangeId") {
                    continue;
                }
                if let Some(Value::String(id)) = object.get_mut(name)
                    && let Some(last) = id.rsplit('/').next()
                {
                    *id = last.to_string();
                }
            }
        }
        _ => {}
    }
    changed
}

/// boto3's changes to a parsed response; `params` are the call's own (before [`prepare`]).
pub(super) fn finish(
    operation: &Operation<'_>,
    params: &Value,
    response: &HttpResponse,
    parsed: &mut Value,
) {
    let model = operation.model();
    match (model.name(), operation.name()) {
        ("iam", _) => {
            if let Some(output) = &operation.def().output {
                decode_policy_documents(model, &output.shape, parsed);
            }
        }
        ("s3", name @ ("ListObjects" | "ListObjectsV2" | "ListObjectVersions")) => {
            let auto = params.get("EncodingType").is_none();
            if auto && parsed.get("EncodingType").and_then(Value::as_str) == Some("url") {
                let (top, nested): (&[&str], &[(&str, &str)]) = match name {
                    "ListObjects" => (
                        &["Delimiter", "Marker", "NextMarker"],
                        &[("Contents", "Key"), ("CommonPrefixes", "Prefix")],
                    ),
                    "ListObjectsV2" => (
                        &["Delimiter", "Prefix", "StartAfter"],
                        &[("Contents", "Key"), ("CommonPrefixes", "Prefix")],
                    ),
                    _ => (
                        &["KeyMarker", "NextKeyMarker", "Prefix", "Delimiter"],
                        &[
                            ("Versions", "Key"),
                            ("DeleteMarkers", "Key"),
                            ("CommonPrefixes", "Prefix"),
                        ],
                    ),
                };
                decode_keys(parsed, top, nested);
            }
        }
        ("s3", "GetBucketLocation") => {
            let text = String::from_utf8_lossy(&response.body);
            if let Ok(document) = xml::document(&text) {
                let region = document
                    .root_element()
                    .text()
                    .map_or(Value::Null, |text| Value::String(text.to_string()));
                if let Value::Object(object) = parsed {
                    object.insert("LocationConstraint".into(), region);
                }
            }
        }
        _ => {}
    }
}

/// Decodes `+` and `%XX` as Python's `unquote_plus` does.
fn unquote_plus(text: &str) -> String {
    percent_decode(&text.replace('+', " "))
}

fn decode_keys(parsed: &mut Value, top: &[&str], nested: &[(&str, &str)]) {
    for key in top {
        if let Some(Value::String(text)) = parsed.get_mut(*key) {
            *text = unquote_plus(text);
        }
    }
    for (list, key) in nested {
        let Some(Value::Array(items)) = parsed.get_mut(*list) else { continue };
        for item in items {
            if let Some(Value::String(text)) = item.get_mut(*key) {
                *text = unquote_plus(text);
            }
        }
    }
}

/// URL-decodes and parses IAM's policy documents (`policyDocumentType` strings).
fn decode_policy_documents(model: &ServiceModel, shape_name: &str, value: &mut Value) {
    let Some(shape) = model.shape(shape_name) else { return };
    match (&shape.kind, value) {
        (ShapeKind::Structure(structure), Value::Object(object)) => {
            for (name, member) in &structure.members {
                let Some(item) = object.get_mut(name) else { continue };
                if member.shape == "policyDocumentType" {
                    if let Value::String(text) = item
                        && let Ok(document) = serde_json::from_str::<Value>(&percent_decode(text))
                    {
                        *item = document;
                    }
                } else {
                    decode_policy_documents(model, &member.shape, item);
                }
            }
        }
        (ShapeKind::List { member }, Value::Array(items)) => {
            for item in items {
                decode_policy_documents(model, &member.shape, item);
            }
        }
        _ => {}
    }
}
