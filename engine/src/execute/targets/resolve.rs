//! Resolving a checked request to its targets: the values given, or EC2 instances and resource
//! group members found through the run's AWS backend, every page read.

use indexmap::{IndexMap, IndexSet};
use serde_json::{Map, Value, json};

use super::request::{Checked, Source};
use crate::execute::action::StepContext;
use crate::record::as_string_list;

/// One resolved target.
pub(super) struct FleetTarget {
    /// The parent's step name for it.
    pub(super) name: String,
    /// Its parameters, added to the start parameters.
    pub(super) parameters: IndexMap<String, Value>,
    /// The parent's step inputs for it.
    pub(super) inputs: IndexMap<String, Value>,
}

/// The targets of `checked`, through the run's AWS backend.
pub(super) async fn resolve(
    cx: &StepContext<'_>,
    checked: &Checked,
) -> Result<Vec<FleetTarget>, String> {
    let values = match &checked.source {
        Source::Values(values) => values.clone(),
        Source::Instances(filter) => {
            let filters =
                filter.as_ref().map(|(name, values)| json!([{ "Name": name, "Values": values }]));
            let mut params = Map::new();
            if let Some(filters) = filters {
                params.insert("Filters".into(), filters);
            }
            paged(cx, "ec2", "DescribeInstances", params, |page, found| {
                let reservations = page.get("Reservations").and_then(Value::as_array);
                for reservation in reservations.into_iter().flatten() {
                    let instances = reservation.get("Instances").and_then(Value::as_array);
                    for instance in instances.into_iter().flatten() {
                        if let Some(id) = instance.get("InstanceId").and_then(Value::as_str) {
                            found.insert(id.to_string());
                        }
                    }
                }
            })
            .await?
        }
        Source::ResourceGroup(group) => {
            let mut params = Map::new();
            params.insert("Group".into(), Value::String(group.clone()));
            paged(cx, "resource-groups", "ListGroupResources", params, |page, found| {
                // `Resources` is the current shape; `ResourceIdentifiers` the older one.
                let current = page.get("Resources").and_then(Value::as_array);
                let arns: Vec<&str> = match current {
                    Some(resources) => resources
                        .iter()
                        .filter_map(|r| r.get("Identifier")?.get("ResourceArn")?.as_str())
                        .collect(),
                    None => page
                        .get("ResourceIdentifiers")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|r| r.get("ResourceArn")?.as_str())
                        .collect(),
                };
                for arn in arns {
                    found.insert(resource_id(arn).to_string());
                }
            })
            .await?
        }
        Source::Maps(maps) => {
            return Ok(maps
                .iter()
                .map(|map| FleetTarget {
                    name: map_name(map),
                    parameters: map.clone(),
                    inputs: map.clone(),
                })
                .collect());
        }
    };
    let parameter = checked.parameter.clone().unwrap_or_default();
    Ok(values
        .into_iter()
        .map(|value| {
            let mut parameters = IndexMap::with_capacity(1);
            // The API's form, a list of text: it suits String and StringList parameters alike.
            parameters.insert(parameter.clone(), Value::Array(vec![Value::String(value.clone())]));
            let mut inputs = IndexMap::with_capacity(1);
            inputs.insert(parameter.clone(), Value::String(value.clone()));
            FleetTarget { name: value, parameters, inputs }
        })
        .collect())
}

/// Calls `service.api` with `params` page after page, `read` collecting from each answer.
pub(in crate::execute) async fn paged(
    cx: &StepContext<'_>,
    service: &str,
    api: &str,
    params: Map<String, Value>,
    read: impl Fn(&Value, &mut IndexSet<String>),
) -> Result<Vec<String>, String> {
    let mut found = IndexSet::new();
    let mut token: Option<String> = None;
    loop {
        let mut request = params.clone();
        if let Some(token) = &token {
            request.insert("NextToken".into(), Value::String(token.clone()));
        }
        let page = cx
            .call(service, api, Value::Object(request))
            .await
            .map_err(|error| format!("{service}.{api} failed: {error}"))?;
        read(&page, &mut found);
        match page.get("NextToken").and_then(Value::as_str).filter(|next| !next.is_empty()) {
            None => break,
            Some(next) if token.as_deref() == Some(next) => {
                return Err(format!("{service}.{api} answered the same NextToken `{next}` twice"));
            }
            Some(next) => token = Some(next.to_string()),
        }
    }
    Ok(found.into_iter().collect())
}

/// A resource's id: the last `/` or `:` part of its ARN.
fn resource_id(arn: &str) -> &str {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or(arn);
    resource.rsplit(['/', ':']).next().filter(|id| !id.is_empty()).unwrap_or(arn)
}

/// The step name of a map's child: one parameter's values joined by commas, or each
/// `NAME=values` joined by `; `.
fn map_name(map: &IndexMap<String, Value>) -> String {
    let text = |value: &Value| as_string_list(value).join(",");
    match map.first() {
        Some((_, value)) if map.len() == 1 => text(value),
        _ => map
            .iter()
            .map(|(name, value)| format!("{name}={}", text(value)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn resource_ids_come_from_their_arns() {
        assert_eq!(resource_id("arn:aws:ec2:us-east-1:123456789012:instance/i-0abc"), "i-0abc");
        assert_eq!(resource_id("arn:aws:s3:::my-bucket"), "my-bucket");
        assert_eq!(resource_id("arn:aws:lambda:us-east-1:123456789012:function:fn"), "fn");
        assert_eq!(resource_id("arn:aws:rds:us-east-1:123456789012:db:main"), "main");
        assert_eq!(resource_id("not-an-arn"), "not-an-arn");
    }

    #[test]
    fn map_children_are_named_by_their_values() {
        let one: IndexMap<String, Value> = [("Id".to_string(), json!(["a", "b"]))].into();
        assert_eq!(map_name(&one), "a,b");
        let two: IndexMap<String, Value> =
            [("Id".to_string(), json!("a")), ("Wait".to_string(), json!(["PT1S"]))].into();
        assert_eq!(map_name(&two), "Id=a; Wait=PT1S");
    }
}
