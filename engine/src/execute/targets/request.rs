//! The start request of a run over targets: [`Fleet`] as the API (or an
//! `aws:executeAutomation` step) gives it, checked as the service checks it before anything runs.

use std::fmt::Write;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::document::Document;
use crate::execute::rate::{MaxConcurrency, MaxErrors};
use crate::params::ParameterError;
use crate::record::{Target, as_text};

/// The keys a target may have, for the error that lists them.
const KEYS: &str =
    "ParameterValues, ResourceGroup, tag:<key>, tag-key, AWS::EC2::Instance, InstanceIds";

/// A run over targets, as `StartAutomationExecution` (and `aws:executeAutomation`) takes it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Fleet {
    /// `TargetParameterName`: the parameter each target's value goes to; required with
    /// `Targets`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_parameter_name: Option<String>,
    /// `Targets`: one `{Key, Values}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Target>,
    /// `TargetMaps`: one map of parameter values per child.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_maps: Vec<IndexMap<String, Value>>,
    /// `MaxConcurrency`: a number or a percentage; 10 by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<String>,
    /// `MaxErrors`: a number or a percentage; 0 by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_errors: Option<String>,
}

/// Where the targets come from, once the request is checked.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Source {
    /// These values.
    Values(Vec<String>),
    /// EC2 instances matching a `DescribeInstances` filter (none: every instance).
    Instances(Option<(String, Vec<String>)>),
    /// The members of a resource group.
    ResourceGroup(String),
    /// One child per map.
    Maps(Vec<IndexMap<String, Value>>),
}

/// A checked request.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Checked {
    pub(super) parameter: Option<String>,
    pub(super) source: Source,
    pub(super) concurrency: MaxConcurrency,
    pub(super) errors: MaxErrors,
}

fn refuse(field: &str, message: impl Into<String>) -> ParameterError {
    ParameterError { parameter: field.to_string(), message: message.into() }
}

impl Fleet {
    /// A run over `target`, its values going to `parameter`.
    pub fn new(parameter: impl Into<String>, target: Target) -> Self {
        Self {
            target_parameter_name: Some(parameter.into()),
            targets: vec![target],
            ..Self::default()
        }
    }

    /// A run over `maps`, one child per map.
    pub fn maps(maps: Vec<IndexMap<String, Value>>) -> Self {
        Self { target_maps: maps, ..Self::default() }
    }

    /// Sets `MaxConcurrency`.
    #[must_use]
    pub fn with_max_concurrency(mut self, value: impl Into<String>) -> Self {
        self.max_concurrency = Some(value.into());
        self
    }

    /// Sets `MaxErrors`.
    #[must_use]
    pub fn with_max_errors(mut self, value: impl Into<String>) -> Self {
        self.max_errors = Some(value.into());
        self
    }

    /// The rate-control and target inputs of an `aws:executeAutomation` step, if it has any
    /// of `Targets`, `TargetMaps` or `TargetParameterName` (`MaxConcurrency` and `MaxErrors`
    /// alone do nothing: they apply to runs over targets). Values are read leniently, as
    /// templates resolve them: lists of any scalars, or JSON text.
    pub fn from_inputs(inputs: &Value) -> Result<Option<Self>, String> {
        let given = |name: &str| inputs.get(name).filter(|value| !value.is_null());
        if given("Targets").is_none()
            && given("TargetMaps").is_none()
            && given("TargetParameterName").is_none()
        {
            return Ok(None);
        }
        let targets = match given("Targets") {
            None => Vec::new(),
            Some(value) => list_of_maps(value, "Targets")?
                .iter()
                .map(|target| {
                    let key = target
                        .get("Key")
                        .map(as_text)
                        .ok_or("each of `Targets` needs a `Key` (and `Values`)".to_string())?;
                    let values = target.get("Values").map(text_values).unwrap_or_default();
                    Ok(Target { key, values })
                })
                .collect::<Result<_, String>>()?,
        };
        let target_maps = match given("TargetMaps") {
            None => Vec::new(),
            Some(value) => list_of_maps(value, "TargetMaps")?
                .into_iter()
                .map(|map| map.into_iter().collect())
                .collect(),
        };
        Ok(Some(Self {
            target_parameter_name: given("TargetParameterName").map(as_text),
            targets,
            target_maps,
            max_concurrency: given("MaxConcurrency").map(as_text),
            max_errors: given("MaxErrors").map(as_text),
        }))
    }

    /// Checks the request against `document` as the service checks it at start (see the
    /// module doc). Target resolution and the start parameters are checked when the run starts.
    pub fn check(&self, document: &Document) -> Result<(), ParameterError> {
        self.checked(document).map(|_| ())
    }

    pub(super) fn checked(&self, document: &Document) -> Result<Checked, ParameterError> {
        let concurrency = match &self.max_concurrency {
            Some(text) => MaxConcurrency::parse(text)
                .map_err(|error| refuse("MaxConcurrency", error.to_string()))?,
            None => MaxConcurrency::DEFAULT,
        };
        let errors = match &self.max_errors {
            Some(text) => {
                MaxErrors::parse(text).map_err(|error| refuse("MaxErrors", error.to_string()))?
            }
            None => MaxErrors::DEFAULT,
        };
        let parameter = self.target_parameter_name.clone();
        let source = match (self.targets.as_slice(), self.target_maps.is_empty()) {
            ([], true) => {
                return Err(refuse(
                    "Targets",
                    "a run over targets needs `Targets` with `TargetParameterName`, or `TargetMaps`",
                ));
            }
            ([_, ..], false) => {
                return Err(refuse(
                    "TargetMaps",
                    "`Targets` and `TargetMaps` cannot both be given",
                ));
            }
            ([], false) => {
                if parameter.is_some() {
                    return Err(refuse(
                        "TargetParameterName",
                        "`TargetParameterName` goes with `Targets`; each of `TargetMaps` names its parameters",
                    ));
                }
                for (index, map) in self.target_maps.iter().enumerate() {
                    if map.is_empty() {
                        return Err(refuse(
                            "TargetMaps",
                            format!("`TargetMaps` item {} has no parameters", index + 1),
                        ));
                    }
                    for name in map.keys() {
                        unknown_parameter(document, name, "Parameter")?;
                    }
                }
                Source::Maps(self.target_maps.clone())
            }
            ([target], true) => {
                let Some(name) = &parameter else {
                    return Err(refuse(
                        "TargetParameterName",
                        "`Targets` needs `TargetParameterName`: the parameter each target's value goes to",
                    ));
                };
                unknown_parameter(document, name, "TargetParameterName")?;
                if name == "AutomationAssumeRole" {
                    return Err(refuse(
                        "TargetParameterName",
                        "AutomationAssumeRole cannot be the target parameter",
                    ));
                }
                source(target)?
            }
            ([_, _, ..], true) => {
                return Err(refuse(
                    "Targets",
                    "Only one resource group or tag can be specified at a time",
                ));
            }
        };
        Ok(Checked { parameter, source, concurrency, errors })
    }
}

/// What one `{Key, Values}` targets.
fn source(target: &Target) -> Result<Source, ParameterError> {
    let values = &target.values;
    let star = values.len() == 1 && values[0] == "*";
    let needs_values = |what: &str| {
        if values.is_empty() {
            Err(refuse("Targets", format!("target `{}` needs at least one {what}", target.key)))
        } else {
            Ok(())
        }
    };
    match target.key.as_str() {
        "ParameterValues" => Ok(Source::Values(values.clone())),
        "InstanceIds" | "AWS::EC2::Instance" if star => Ok(Source::Instances(None)),
        "InstanceIds" => {
            needs_values("instance id")?;
            Ok(Source::Values(values.clone()))
        }
        "AWS::EC2::Instance" => {
            Err(refuse("Targets", "target `AWS::EC2::Instance` takes the one value `*`"))
        }
        "ResourceGroup" => match values.as_slice() {
            [group] => Ok(Source::ResourceGroup(group.clone())),
            [] => Err(refuse("Targets", "target `ResourceGroup` needs the group's name")),
            _ => {
                Err(refuse("Targets", "Only one resource group or tag can be specified at a time"))
            }
        },
        "tag-key" => {
            needs_values("tag key")?;
            Ok(Source::Instances(Some(("tag-key".into(), values.clone()))))
        }
        key if key.strip_prefix("tag:").is_some_and(|tag| !tag.is_empty()) => {
            needs_values("tag value")?;
            Ok(Source::Instances(Some((key.to_string(), values.clone()))))
        }
        _ => Err(refuse("Targets", format!("Target key can have only following values : {KEYS}"))),
    }
}

/// Refuses `name` when the runbook has no such parameter; `field` is what named it.
fn unknown_parameter(document: &Document, name: &str, field: &str) -> Result<(), ParameterError> {
    if document.parameter(name).is_some() {
        return Ok(());
    }
    let known = document.parameters.iter().map(|p| p.name.value.as_str());
    let mut message = format!("{field} \"{name}\" is not defined in the runbook.");
    if let Some(close) = crate::diagnostic::closest(name, known) {
        let _ = write!(message, " Did you mean \"{close}\"?");
    }
    Err(refuse(if field == "Parameter" { name } else { field }, message))
}

/// A list of maps, or the same as JSON text.
pub(in crate::execute) fn list_of_maps(
    value: &Value,
    field: &str,
) -> Result<Vec<Map<String, Value>>, String> {
    let parsed;
    let value = match value {
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text)
                .map_err(|_| format!("`{field}` must be a list of maps"))?;
            &parsed
        }
        other => other,
    };
    match value {
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Object(map) => Ok(map.clone()),
                Value::String(text) => match serde_json::from_str::<Value>(text) {
                    Ok(Value::Object(map)) => Ok(map),
                    _ => Err(format!("`{field}` must be a list of maps")),
                },
                _ => Err(format!("`{field}` must be a list of maps")),
            })
            .collect(),
        _ => Err(format!("`{field}` must be a list of maps")),
    }
}

/// `Values` as text: a list's items, a JSON list's items, or one value.
pub(in crate::execute) fn text_values(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().map(as_text).collect(),
        Value::String(text) if text.trim_start().starts_with('[') => {
            match serde_json::from_str::<Value>(text) {
                Ok(Value::Array(items)) => items.iter().map(as_text).collect(),
                _ => vec![text.clone()],
            }
        }
        other => vec![as_text(other)],
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn step_inputs_are_read_leniently() {
        let inputs = json!({
            "DocumentName": "D",
            "TargetParameterName": "Id",
            "Targets": [{"Key": "ParameterValues", "Values": "[\"a\", 2]"}],
            "MaxConcurrency": 5,
        });
        let fleet = Fleet::from_inputs(&inputs).unwrap().unwrap();
        assert_eq!(fleet.targets, [Target::new("ParameterValues", ["a", "2"])]);
        assert_eq!(fleet.max_concurrency.as_deref(), Some("5"));
        let maps = json!({"TargetMaps": "[{\"Id\": [\"x\"]}]"});
        let fleet = Fleet::from_inputs(&maps).unwrap().unwrap();
        assert_eq!(fleet.target_maps[0]["Id"], json!(["x"]));
        assert_eq!(Fleet::from_inputs(&json!({"MaxConcurrency": "5"})).unwrap(), None);
        assert!(Fleet::from_inputs(&json!({"Targets": [{"Values": ["a"]}]})).is_err());
    }
}
