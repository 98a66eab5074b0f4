//! Whether a call's parameters fit the `params` a mock rule or a test file's expected call
//! names, and if not, where they differ. This is the one matcher for both, so that a `params`
//! map means the same wherever it is written.
//!
//! The rules, applied recursively from the expected `params` map down:
//! - a **map** matches a map that has every key it names, each with a matching value; the call
//!   may have more keys (so a rule names only the parameters it cares about);
//! - a **list** matches a list of the same length whose items match in order (items that are
//!   maps are matched by subset too, so `Filters: [{Name: instance-state-name}]` ignores the
//!   filter's `Values`);
//! - **`null`** matches a missing key or `null` (to tell a first page from the next ones with
//!   `NextToken: null`);
//! - **numbers** match when they are equal as numbers (`1` and `1.0`);
//! - **text** matches the same text, and also a number or boolean written the same way (`"5"`
//!   matches `5`, `"true"` matches `true`): on the wire the service gets the same value either
//!   way. A number or boolean expected matches only a number or boolean (`5` does not match
//!   `"5"`), so a rule can still insist on the type;
//! - other scalars match when they are equal.

use std::fmt::Write;

use runbook_engine::syntax::push_key;
use serde_json::Value;

/// Whether `actual` fits `expected`.
pub(crate) fn matches(expected: &Value, actual: Option<&Value>) -> bool {
    match (expected, actual) {
        (Value::Null, None | Some(Value::Null)) => true,
        (_, None) => false,
        (Value::Object(expected), Some(Value::Object(actual))) => {
            expected.iter().all(|(key, value)| matches(value, actual.get(key)))
        }
        (Value::Array(expected), Some(Value::Array(actual))) => {
            expected.len() == actual.len()
                && expected
                    .iter()
                    .zip(actual)
                    .all(|(expected, actual)| matches(expected, Some(actual)))
        }
        (Value::Number(expected), Some(Value::Number(actual))) => numbers_equal(expected, actual),
        (Value::String(text), Some(actual @ (Value::Number(_) | Value::Bool(_)))) => {
            text.as_str() == actual.to_string().as_str()
        }
        (expected, Some(actual)) => expected == actual,
    }
}

/// Whether a call's `params` fit the expected ones (see the module doc): a call without
/// parameters has an empty map.
pub fn params_match(expected: &Value, actual: &Value) -> bool {
    match actual {
        Value::Null => matches(expected, Some(&Value::Object(serde_json::Map::new()))),
        actual => matches(expected, Some(actual)),
    }
}

fn numbers_equal(a: &serde_json::Number, b: &serde_json::Number) -> bool {
    if let (Some(a), Some(b)) = (a.as_i64(), b.as_i64()) {
        return a == b;
    }
    if let (Some(a), Some(b)) = (a.as_u64(), b.as_u64()) {
        return a == b;
    }
    #[allow(clippy::float_cmp, reason = "equality is what a mock's params ask for")]
    match (a.as_f64(), b.as_f64()) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// One place where a call's parameters do not fit a rule's.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Difference {
    /// Where (`params.InstanceIds[0]`).
    pub(crate) path: String,
    /// What the rule asks for there.
    pub(crate) expected: Value,
    /// What the call has there, if anything.
    pub(crate) actual: Option<Value>,
}

/// How a call's params compare with a rule's.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Comparison {
    /// Every place where they differ, in the order of the rule's keys.
    pub(crate) differences: Vec<Difference>,
    /// How many of the rule's values the call has right, to rank rules that differ as much.
    pub(crate) agreements: usize,
}

/// Compares `actual` (a call's params) with `expected` (a rule's).
pub(crate) fn compare(expected: &Value, actual: &Value) -> Comparison {
    let empty = Value::Object(serde_json::Map::new());
    let actual = if actual.is_null() { &empty } else { actual };
    let mut comparison = Comparison::default();
    collect(expected, Some(actual), &mut String::from("params"), &mut comparison);
    comparison
}

fn collect(expected: &Value, actual: Option<&Value>, path: &mut String, found: &mut Comparison) {
    match (expected, actual) {
        (Value::Object(expected), Some(Value::Object(actual))) => {
            for (key, value) in expected {
                let len = path.len();
                push_key(path, key);
                collect(value, actual.get(key), path, found);
                path.truncate(len);
            }
        }
        (Value::Array(expected_items), Some(Value::Array(actual_items)))
            if expected_items.len() == actual_items.len() =>
        {
            for (index, (expected, actual)) in expected_items.iter().zip(actual_items).enumerate() {
                let len = path.len();
                let _ = write!(path, "[{index}]");
                collect(expected, Some(actual), path, found);
                path.truncate(len);
            }
        }
        (expected, actual) if !matches(expected, actual) => found.differences.push(Difference {
            path: path.clone(),
            expected: expected.clone(),
            actual: actual.cloned(),
        }),
        _ => found.agreements += 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_match_by_subset_and_lists_by_position() {
        let rule = json!({"InstanceIds": ["i-1"], "Filters": [{"Name": "state"}]});
        let call = json!({
            "InstanceIds": ["i-1"],
            "Filters": [{"Name": "state", "Values": ["running"]}],
            "MaxResults": 5
        });
        assert!(params_match(&rule, &call));
        assert!(!params_match(&rule, &json!({"InstanceIds": ["i-1", "i-2"]})));
        assert!(!params_match(
            &json!({"InstanceIds": ["i-1", "i-2"]}),
            &json!({"InstanceIds": ["i-2", "i-1"]})
        ));
    }

    #[test]
    fn null_matches_a_missing_key_and_numbers_compare_as_numbers() {
        assert!(params_match(&json!({"NextToken": null}), &Value::Null));
        assert!(!params_match(&json!({"NextToken": null}), &json!({"NextToken": "t"})));
        assert!(params_match(&json!({"MaxResults": 5}), &json!({"MaxResults": 5.0})));
        assert!(!params_match(&json!({"MaxResults": 5}), &json!({"MaxResults": "5"})));
    }

    #[test]
    fn text_matches_a_number_or_boolean_written_the_same_way() {
        assert!(params_match(&json!({"MaxResults": "5"}), &json!({"MaxResults": 5})));
        assert!(params_match(&json!({"DryRun": "true"}), &json!({"DryRun": true})));
        assert!(!params_match(&json!({"MaxResults": "5"}), &json!({"MaxResults": 6})));
        assert!(!params_match(&json!({"MaxResults": "5.0"}), &json!({"MaxResults": 5})));
        assert!(!params_match(&json!({"DryRun": true}), &json!({"DryRun": "true"})));
    }

    #[test]
    fn differences_name_each_path() {
        let rule = json!({"InstanceIds": ["i-1"], "DryRun": false, "Tag": {"Key": "a"}});
        let call = json!({"InstanceIds": ["i-2"], "Tag": {"Key": "a"}});
        let found = compare(&rule, &call);
        assert_eq!(found.agreements, 1);
        assert_eq!(
            found.differences,
            [
                Difference {
                    path: "params.InstanceIds[0]".into(),
                    expected: json!("i-1"),
                    actual: Some(json!("i-2")),
                },
                Difference { path: "params.DryRun".into(), expected: json!(false), actual: None },
            ]
        );
    }

    #[test]
    fn a_list_of_another_length_is_one_difference() {
        let found = compare(&json!({"Ids": [1]}), &json!({"Ids": [1, 2]})).differences;
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, "params.Ids");
        assert_eq!(found[0].actual, Some(json!([1, 2])));
    }
}
