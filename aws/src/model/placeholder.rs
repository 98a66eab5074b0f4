//! Placeholder responses built from an operation's output shape, for calls a mock file does
//! not script: every member present, so selectors resolve and the run can go on.
//!
//! The values are deterministic: a string is its member's name in angle brackets
//! (`"<InstanceId>"`) or the first value of its enumeration (the next ones for
//! [`auto_response_variant`]), numbers are `0`, booleans
//! `false`, timestamps the Unix epoch, blobs empty, lists hold one item and maps one entry.
//! A union gets its first member only. A shape already being built higher up (a recursive
//! shape) is left out, and nesting stops at [`MAX_DEPTH`] levels. Like every boto3 response,
//! the placeholder has a `ResponseMetadata` (status 200, a zero request id).

use serde_json::{Map, Value};

use super::service::{Operation, ServiceModel, ShapeKind};

/// The deepest nesting a placeholder response gets.
pub const MAX_DEPTH: usize = 12;

/// The timestamp placeholders carry, in the format responses use.
pub const PLACEHOLDER_TIMESTAMP: &str = "1970-01-01T00:00:00+00:00";

/// A placeholder response for `operation`, shaped like its output (only `ResponseMetadata`
/// when it has none).
pub fn auto_response(operation: &Operation<'_>) -> Value {
    auto_response_variant(operation, 0)
}

/// The `variant`-th placeholder response for `operation`: as [`auto_response`], with each
/// enumeration's value number `variant` (counting from 0, starting over after the last). Asked
/// with the count of earlier identical calls, it takes a wait through the states an API has
/// (`pending`, then `available`, ...), so that the wait ends.
pub fn auto_response_variant(operation: &Operation<'_>, variant: usize) -> Value {
    let mut response = match &operation.def().output {
        Some(output) => {
            let mut builder = Builder { model: operation.model(), building: Vec::new(), variant };
            builder.value(&output.shape, operation.name())
        }
        None => None,
    };
    let mut object = match response.take() {
        Some(Value::Object(object)) => object,
        _ => Map::new(),
    };
    object.insert("ResponseMetadata".into(), response_metadata());
    Value::Object(object)
}

/// The `ResponseMetadata` of a placeholder.
fn response_metadata() -> Value {
    serde_json::json!({
        "RequestId": "00000000-0000-0000-0000-000000000000",
        "HTTPStatusCode": 200,
        "HTTPHeaders": {},
        "RetryAttempts": 0
    })
}

struct Builder<'m> {
    model: &'m ServiceModel,
    /// The shapes being built, outermost first.
    building: Vec<&'m str>,
    /// Which value of each enumeration to take.
    variant: usize,
}

impl<'m> Builder<'m> {
    /// The placeholder for shape `shape_name` held by member `label`; `None` to leave it out.
    fn value(&mut self, shape_name: &'m str, label: &str) -> Option<Value> {
        let shape = self.model.shape(shape_name)?;
        let container = matches!(
            shape.kind,
            ShapeKind::Structure(_) | ShapeKind::List { .. } | ShapeKind::Map { .. }
        );
        if container && (self.building.contains(&shape_name) || self.building.len() >= MAX_DEPTH) {
            return None;
        }
        self.building.push(shape_name);
        let value = match &shape.kind {
            ShapeKind::Structure(structure) => {
                let mut object = Map::new();
                for (name, member) in &structure.members {
                    if let Some(value) = self.value(&member.shape, name) {
                        object.insert(name.clone(), value);
                        if structure.union {
                            break;
                        }
                    }
                }
                Value::Object(object)
            }
            ShapeKind::List { member } => {
                Value::Array(self.value(&member.shape, label).into_iter().collect())
            }
            ShapeKind::Map { key, value } => {
                let mut object = Map::new();
                if let Some(item) = self.value(&value.shape, label) {
                    let key = match self.value(&key.shape, "key") {
                        Some(Value::String(key)) => key,
                        _ => "<key>".to_string(),
                    };
                    object.insert(key, item);
                }
                Value::Object(object)
            }
            ShapeKind::String { enumeration } => Value::String(
                enumeration
                    .get(self.variant.checked_rem(enumeration.len()).unwrap_or(0))
                    .cloned()
                    .unwrap_or_else(|| format!("<{label}>")),
            ),
            ShapeKind::Integer | ShapeKind::Long => Value::from(0),
            ShapeKind::Float | ShapeKind::Double => Value::from(0.0),
            ShapeKind::Boolean => Value::Bool(false),
            ShapeKind::Timestamp => Value::String(PLACEHOLDER_TIMESTAMP.to_string()),
            ShapeKind::Blob => Value::String(String::new()),
            ShapeKind::Document => Value::Object(Map::new()),
            ShapeKind::Other(_) => Value::Null,
        };
        self.building.pop();
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::check::check_response;
    use crate::model::tests_support::demo_model;

    #[test]
    fn placeholders_fill_every_member_deterministically() {
        let model = demo_model();
        let operation = model.operation("DescribeInstances").unwrap();
        let response = auto_response(&operation);
        assert_eq!(
            response,
            json!({
                "Reservations": [{
                    "ReservationId": "<ReservationId>",
                    "Instances": [{
                        "InstanceId": "<InstanceId>",
                        "ImageId": "<ImageId>",
                        "LaunchTime": PLACEHOLDER_TIMESTAMP,
                        "State": {"Code": 0, "Name": "pending"},
                        "Tags": [{"Key": "<Key>", "Value": "<Value>"}],
                        "EbsOptimized": false,
                        "CpuRatio": 0.0,
                        "UserData": ""
                    }]
                }],
                "NextToken": "<NextToken>",
                "ResponseMetadata": response_metadata()
            })
        );
        assert_eq!(check_response(&operation, &response), []);
    }

    #[test]
    fn variants_take_the_next_value_of_each_enumeration() {
        let model = demo_model();
        let operation = model.operation("DescribeInstances").unwrap();
        let state = |variant| {
            auto_response_variant(&operation, variant)["Reservations"][0]["Instances"][0]["State"]
                ["Name"]
                .clone()
        };
        let names: Vec<Value> = (0..4).map(state).collect();
        let ShapeKind::String { enumeration } = &model.shape("InstanceStateName").unwrap().kind
        else {
            panic!("InstanceStateName is an enumeration")
        };
        assert_eq!(names[0], json!(enumeration[0]));
        assert_eq!(names[1], json!(enumeration[1]));
        assert_eq!(state(enumeration.len()), names[0], "the values start over");
        assert_eq!(auto_response_variant(&operation, 0), auto_response(&operation));
    }

    #[test]
    fn recursive_shapes_stop_and_unions_get_one_member() {
        let model = demo_model();
        let operation = model.operation("GetTree").unwrap();
        let response = auto_response(&operation);
        assert_eq!(
            response,
            json!({"Root": {"Name": "<Name>", "Children": [], "Choice": {"Left": "<Left>"}},
                   "Document": {}, "ResponseMetadata": response_metadata()})
        );
        assert_eq!(check_response(&operation, &response), []);
    }

    #[test]
    fn maps_get_one_entry_and_outputless_operations_only_metadata() {
        let model = demo_model();
        let map = model.operation("GetMap").unwrap();
        assert_eq!(
            auto_response(&map),
            json!({"Parameters": {"<key>": "<Parameters>"}, "ResponseMetadata": response_metadata()})
        );
        let tags = model.operation("CreateTags").unwrap();
        assert_eq!(auto_response(&tags), json!({"ResponseMetadata": response_metadata()}));
    }
}
