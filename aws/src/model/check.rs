//! Checks a JSON value against an operation's input or output shape: the request parameters a
//! runbook writes ([`check_params`]) and the responses a mock file scripts
//! ([`check_response`]).
//!
//! The checks follow what boto3 itself rejects before sending (missing required members,
//! unknown members, a value of the wrong type), never what only the service would reject
//! (enumerations, lengths, patterns): an older botocore may lag the service, and a false
//! alarm costs more than a missed one. A string holding a `{{ template }}` is skipped, since
//! its type is known only when the runbook runs. A `null` member counts as absent (AWS's
//! own published runbooks pass `InstanceIds: null`), and boto3's parameter aliases are
//! accepted (EC2's `Filter` members are spelled `Filters` in boto3).

use std::fmt;

use serde_json::{Map, Value};

use super::service::{Operation, ServiceModel, ShapeKind, Structure};

/// A value that does not fit its shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueProblem {
    /// Where the value is (`Filters[0].Values`); the member itself for a missing one.
    pub path: String,
    /// What is wrong.
    pub kind: ProblemKind,
    /// Whether the value is a request parameter or a response member.
    pub subject: Subject,
}

/// What is wrong with a value.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// A required member is absent.
    Missing,
    /// The structure has no such member.
    Unknown {
        /// The closest member name, if one is close.
        closest: Option<String>,
    },
    /// The value has the wrong type.
    WrongType {
        /// What the shape wants (`a list`).
        expected: &'static str,
        /// What was given (`a string`).
        found: &'static str,
    },
}

/// What kind of value was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    /// Request parameters.
    Parameter,
    /// A response.
    Response,
}

impl fmt::Display for ValueProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let noun = match self.subject {
            Subject::Parameter => "parameter",
            Subject::Response => "response member",
        };
        let path = &self.path;
        match &self.kind {
            ProblemKind::Missing => write!(f, "missing required {noun} `{path}`"),
            ProblemKind::Unknown { closest } => {
                write!(f, "unknown {noun} `{path}`")?;
                if let Some(closest) = closest {
                    write!(f, "; did you mean `{closest}`?")?;
                }
                Ok(())
            }
            ProblemKind::WrongType { expected, found } => {
                write!(f, "{noun} `{path}` should be {expected}, not {found}")
            }
        }
    }
}

/// The parameter names boto3 accepts in place of a top-level input member:
/// `(service, operation or "*", member, alias)`.
const PARAMETER_ALIASES: [(&str, &str, &str, &str); 3] = [
    ("ec2", "*", "Filter", "Filters"),
    ("logs", "CreateExportTask", "from", "fromTime"),
    ("cloudsearchdomain", "Search", "return", "returnFields"),
];

/// The input member that `name` stands for when boto3 takes it as an alias (`Filters` for
/// EC2's `Filter`); `None` when `name` is no alias of a member of `operation`'s input.
pub fn parameter_alias_target(operation: &Operation<'_>, name: &str) -> Option<&'static str> {
    // Every call's every parameter asks: the names are compared before the input is looked up.
    let service = operation.model().name();
    let (_, _, member, _) =
        PARAMETER_ALIASES.iter().find(|(alias_service, alias_operation, _, alias)| {
            *alias == name
                && *alias_service == service
                && (*alias_operation == "*" || *alias_operation == operation.name())
        })?;
    operation.input()?.members.contains_key(*member).then_some(*member)
}

/// Checks request parameters against `operation`'s input: missing required members, unknown
/// members (with the closest name) and literal values of the wrong type, at every depth.
///
/// `params` holds the API parameters only (the `Service`, `Api`, `PropertySelector` and
/// `DesiredValues` inputs of the actions are not parameters).
pub fn check_params(operation: &Operation<'_>, params: &Value) -> Vec<ValueProblem> {
    let mut checker = Checker::new(operation.model(), Subject::Parameter);
    match operation.input() {
        Some(input) => {
            let renamed = with_aliases_resolved(operation, params);
            checker.structure(input, renamed.as_ref().unwrap_or(params), "");
        }
        None => checker.no_members(params),
    }
    // Problems under an alias are reported as the runbook spells them.
    let mut problems = checker.problems;
    for key in params.as_object().into_iter().flat_map(|object| object.keys()) {
        let Some(member) = parameter_alias_target(operation, key) else { continue };
        for problem in &mut problems {
            let rest = problem.path.strip_prefix(member);
            if let Some(rest) = rest.filter(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
            {
                problem.path = format!("{key}{rest}");
            }
        }
    }
    problems
}

/// `params` with boto3's aliases renamed to their members, if any alias is used.
fn with_aliases_resolved(operation: &Operation<'_>, params: &Value) -> Option<Value> {
    let object = params.as_object()?;
    if !object.keys().any(|key| parameter_alias_target(operation, key).is_some()) {
        return None;
    }
    let renamed = object
        .iter()
        .map(|(key, value)| {
            let key =
                parameter_alias_target(operation, key).map_or_else(|| key.clone(), str::to_string);
            (key, value.clone())
        })
        .collect();
    Some(Value::Object(renamed))
}

/// Checks a scripted response against `operation`'s output: members the output does not
/// have and values of the wrong type. Required members are not enforced (services omit
/// them freely), and a top-level `ResponseMetadata` is allowed, as boto3 adds it.
pub fn check_response(operation: &Operation<'_>, response: &Value) -> Vec<ValueProblem> {
    let mut checker = Checker::new(operation.model(), Subject::Response);
    match operation.output() {
        Some(output) => checker.structure(output, response, ""),
        None => checker.no_members(response),
    }
    checker.problems
}

struct Checker<'m> {
    model: &'m ServiceModel,
    subject: Subject,
    problems: Vec<ValueProblem>,
}

impl<'m> Checker<'m> {
    fn new(model: &'m ServiceModel, subject: Subject) -> Self {
        Self { model, subject, problems: Vec::new() }
    }

    fn problem(&mut self, path: String, kind: ProblemKind) {
        self.problems.push(ValueProblem { path, kind, subject: self.subject });
    }

    fn wrong_type(&mut self, path: &str, expected: &'static str, value: &Value) {
        let path = if path.is_empty() { "(the whole value)" } else { path };
        self.problem(path.to_string(), ProblemKind::WrongType { expected, found: describe(value) });
    }

    /// The value of an operation without input or output: any member is unknown.
    fn no_members(&mut self, value: &Value) {
        let Some(object) = value.as_object() else {
            if !is_template(value) {
                self.wrong_type("", "a map", value);
            }
            return;
        };
        for key in object.keys() {
            if !self.ignored_key(key, "") {
                self.problem(key.clone(), ProblemKind::Unknown { closest: None });
            }
        }
    }

    fn ignored_key(&self, key: &str, path: &str) -> bool {
        key.contains("{{")
            || (self.subject == Subject::Response && path.is_empty() && key == "ResponseMetadata")
    }

    fn structure(&mut self, structure: &Structure, value: &Value, path: &str) {
        let Some(object) = value.as_object() else {
            if !is_template(value) {
                self.wrong_type(path, "a structure", value);
            }
            return;
        };
        for (key, item) in object {
            // A null parameter is dropped before the call; boto3 can return null members.
            if self.ignored_key(key, path) || item.is_null() {
                continue;
            }
            let item_path = join(path, key);
            match structure.members.get(key) {
                Some(member) => self.value(&member.shape, item, &item_path),
                None => {
                    let closest = runbook_engine::diagnostic::closest(
                        key,
                        structure.members.keys().map(String::as_str),
                    );
                    self.problem(
                        item_path,
                        ProblemKind::Unknown { closest: closest.map(str::to_string) },
                    );
                }
            }
        }
        if self.subject == Subject::Parameter && !has_template_key(object) {
            for required in &structure.required {
                if object.get(required).is_none_or(Value::is_null) {
                    self.problem(join(path, required), ProblemKind::Missing);
                }
            }
        }
    }

    fn value(&mut self, shape_name: &str, value: &Value, path: &str) {
        if is_template(value) {
            return;
        }
        let Some(shape) = self.model.shape(shape_name) else { return };
        let model = self.model;
        let fits = match &shape.kind {
            ShapeKind::Structure(structure) => {
                self.structure(structure, value, path);
                true
            }
            ShapeKind::List { member } => match value {
                Value::Array(items) => {
                    for (index, item) in items.iter().enumerate() {
                        self.value(&member.shape, item, &format!("{path}[{index}]"));
                    }
                    true
                }
                _ => false,
            },
            ShapeKind::Map { value: value_member, .. } => match value {
                Value::Object(entries) => {
                    for (key, item) in entries {
                        self.value(&value_member.shape, item, &format!("{path}.{key}"));
                    }
                    true
                }
                _ => false,
            },
            ShapeKind::String { .. } | ShapeKind::Blob => value.is_string(),
            ShapeKind::Integer | ShapeKind::Long => value.is_i64() || value.is_u64(),
            ShapeKind::Float | ShapeKind::Double => value.is_number(),
            ShapeKind::Boolean => value.is_boolean(),
            ShapeKind::Timestamp => value.is_string() || value.is_number(),
            ShapeKind::Document | ShapeKind::Other(_) => true,
        };
        if !fits {
            let expected = model.shape(shape_name).map_or("any value", |s| s.kind.describe());
            self.wrong_type(path, expected, value);
        }
    }
}

/// Whether a value is (or holds) a template, whose type only the run knows.
fn is_template(value: &Value) -> bool {
    value.as_str().is_some_and(|text| text.contains("{{") && text.contains("}}"))
}

/// A templated key may become any member, so nothing can be said to be missing.
fn has_template_key(object: &Map<String, Value>) -> bool {
    object.keys().any(|key| key.contains("{{"))
}

fn join(path: &str, member: &str) -> String {
    if path.is_empty() { member.to_string() } else { format!("{path}.{member}") }
}

/// A word for a JSON value's type in messages.
fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(number) if number.is_f64() => "a number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::tests_support::demo_model;

    fn problems(operation: &str, params: &Value) -> Vec<String> {
        let model = demo_model();
        let operation = model.operation(operation).unwrap();
        check_params(&operation, params).iter().map(ToString::to_string).collect()
    }

    fn response_problems(operation: &str, response: &Value) -> Vec<String> {
        let model = demo_model();
        let operation = model.operation(operation).unwrap();
        check_response(&operation, response).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn fitting_parameters_have_no_problems() {
        let params = json!({
            "InstanceIds": ["i-1", "i-2"],
            "Filters": [{"Name": "tag:Env", "Values": ["dev"]}],
            "MaxResults": 5,
            "DryRun": false
        });
        assert_eq!(problems("DescribeInstances", &params), Vec::<String>::new());
    }

    #[test]
    fn unknown_members_suggest_the_closest_name_at_any_depth() {
        let params = json!({"InstanceId": ["i-1"], "Filters": [{"Nmae": "x", "Values": []}]});
        assert_eq!(
            problems("DescribeInstances", &params),
            [
                "unknown parameter `InstanceId`; did you mean `InstanceIds`?",
                "unknown parameter `Filters[0].Nmae`; did you mean `Name`?",
                "missing required parameter `Filters[0].Name`",
            ]
        );
    }

    #[test]
    fn missing_required_members_are_reported() {
        assert_eq!(
            problems("CreateTags", &json!({"Resources": ["i-1"]})),
            ["missing required parameter `Tags`"]
        );
    }

    #[test]
    fn literal_values_of_the_wrong_type_are_reported() {
        let params = json!({
            "InstanceIds": "i-1",
            "MaxResults": "5",
            "DryRun": "yes",
            "Filters": [{"Name": 3, "Values": "dev"}]
        });
        assert_eq!(
            problems("DescribeInstances", &params),
            [
                "parameter `InstanceIds` should be a list, not a string",
                "parameter `MaxResults` should be an integer, not a string",
                "parameter `DryRun` should be a boolean, not a string",
                "parameter `Filters[0].Name` should be a string, not an integer",
                "parameter `Filters[0].Values` should be a list, not a string",
            ]
        );
    }

    #[test]
    fn templates_are_skipped_wherever_they_stand() {
        let params = json!({
            "InstanceIds": "{{ InstanceIds }}",
            "MaxResults": "{{MaxResults}}",
            "Filters": [{"Name": "tag:Env", "Values": "{{ Envs }}"}]
        });
        assert_eq!(problems("DescribeInstances", &params), Vec::<String>::new());
        let templated_key = json!({"Resources": ["i-1"], "{{ TagsKey }}": []});
        assert_eq!(problems("CreateTags", &templated_key), Vec::<String>::new());
    }

    #[test]
    fn null_members_count_as_absent() {
        assert_eq!(
            response_problems("DescribeInstances", &json!({"NextToken": null})),
            Vec::<String>::new()
        );
        assert_eq!(
            problems("DescribeInstances", &json!({"InstanceIds": null})),
            Vec::<String>::new()
        );
        assert_eq!(
            problems("CreateTags", &json!({"Resources": ["i-1"], "Tags": null})),
            ["missing required parameter `Tags`"]
        );
    }

    #[test]
    fn an_operation_without_input_takes_no_parameters() {
        assert_eq!(problems("Ping", &json!({"Anything": 1})), ["unknown parameter `Anything`"]);
        assert_eq!(problems("Ping", &json!({})), Vec::<String>::new());
    }

    #[test]
    fn responses_report_unknown_members_and_wrong_types_but_not_missing_ones() {
        let response = json!({
            "Reservations": [{"Instances": [{"InstanceID": "i-1", "State": {"Name": "running", "Code": "16"}}]}],
            "ResponseMetadata": {"HTTPStatusCode": 200}
        });
        assert_eq!(
            response_problems("DescribeInstances", &response),
            [
                "unknown response member `Reservations[0].Instances[0].InstanceID`; did you mean `InstanceId`?",
                "response member `Reservations[0].Instances[0].State.Code` should be an integer, not a string",
            ]
        );
        assert_eq!(response_problems("DescribeInstances", &json!({})), Vec::<String>::new());
        assert_eq!(
            response_problems("CreateTags", &json!("x")),
            ["response member `(the whole value)` should be a map, not a string"]
        );
    }

    #[test]
    fn maps_check_their_values() {
        let response = json!({"Parameters": {"a": "x", "b": 2}});
        assert_eq!(
            response_problems("GetMap", &response),
            ["response member `Parameters.b` should be a string, not an integer"]
        );
    }
}
