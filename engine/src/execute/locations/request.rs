//! The start request of a run over target locations: [`Locations`] as the API (or an
//! `aws:executeAutomation` step) gives it, read leniently from step inputs and files, and
//! checked as the service checks it before anything runs.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::document::Document;
use crate::execute::rate::{Limit, MaxConcurrency, MaxErrors, RateError};
use crate::execute::targets::Fleet;
use crate::execute::targets::request::{list_of_maps, text_values};
use crate::params::ParameterError;
use crate::record::{Target, TargetLocation, as_text};

/// The role assumed in each account when a location names none.
pub const DEFAULT_EXECUTION_ROLE: &str = "AWS-SystemsManager-AutomationExecutionRole";

/// The most items `TargetLocations` may have.
const MAX_ITEMS: usize = 100;

/// A run over target locations, as `StartAutomationExecution` (and `aws:executeAutomation`)
/// takes it: `TargetLocations` or `TargetLocationsURL`, and the start request's targets, which
/// apply in each location that names none of its own.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Locations {
    /// `TargetLocations`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_locations: Vec<TargetLocation>,
    /// `TargetLocationsURL`: an S3 object holding the `TargetLocations` as JSON.
    #[serde(default, rename = "TargetLocationsURL", skip_serializing_if = "Option::is_none")]
    pub target_locations_url: Option<String>,
    /// `TargetParameterName`, for locations with `Targets`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_parameter_name: Option<String>,
    /// `Targets` of the start request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Target>,
    /// `MaxConcurrency` of the start request, for the targets in each location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<String>,
    /// `MaxErrors` of the start request, for the targets in each location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_errors: Option<String>,
}

/// One location item, checked: its limits and the run over targets in each of its accounts
/// and Regions, if any.
#[derive(Clone, Debug)]
pub(super) struct CheckedLocation {
    pub(super) location: TargetLocation,
    pub(super) concurrency: MaxConcurrency,
    pub(super) errors: MaxErrors,
    pub(super) role_name: String,
    pub(super) fleet: Option<Fleet>,
}

fn refuse(field: &str, message: impl Into<String>) -> ParameterError {
    ParameterError { parameter: field.to_string(), message: message.into() }
}

impl Locations {
    /// A run over these locations.
    pub fn new(target_locations: Vec<TargetLocation>) -> Self {
        Self { target_locations, ..Self::default() }
    }

    /// A run over the locations the S3 object at `url` holds.
    pub fn from_url(url: impl Into<String>) -> Self {
        Self { target_locations_url: Some(url.into()), ..Self::default() }
    }

    /// The location inputs of an `aws:executeAutomation` step, if it has `TargetLocations` or
    /// `TargetLocationsURL`, with its `Targets`, `TargetParameterName`, `MaxConcurrency` and
    /// `MaxErrors`. Values are read leniently, as templates resolve them.
    pub fn from_inputs(inputs: &Value) -> Result<Option<Self>, String> {
        let given = |name: &str| inputs.get(name).filter(|value| !value.is_null());
        if given("TargetLocations").is_none() && given("TargetLocationsURL").is_none() {
            return Ok(None);
        }
        if given("TargetMaps").is_some() {
            return Err("`TargetMaps` cannot be given with target locations".to_string());
        }
        let target_locations = match given("TargetLocations") {
            Some(value) => Self::parse_list(value)?,
            None => Vec::new(),
        };
        let fleet = Fleet::from_inputs(inputs)?.unwrap_or_default();
        Ok(Some(Self {
            target_locations,
            target_locations_url: given("TargetLocationsURL").map(as_text),
            target_parameter_name: fleet.target_parameter_name,
            targets: fleet.targets,
            max_concurrency: fleet.max_concurrency,
            max_errors: fleet.max_errors,
        }))
    }

    /// `TargetLocations` in the service's shape (a list of maps, or the same as JSON text),
    /// read leniently: lists may be JSON text, numbers and booleans may be text.
    pub fn parse_list(value: &Value) -> Result<Vec<TargetLocation>, String> {
        list_of_maps(value, "TargetLocations")?
            .into_iter()
            .enumerate()
            .map(|(index, map)| {
                serde_json::from_value(normalized(map))
                    .map_err(|error| format!("`TargetLocations` item {}: {error}", index + 1))
            })
            .collect()
    }

    /// Checks the request against `document` as the service checks it at start: one of
    /// `TargetLocations` and `TargetLocationsURL`, 1 to 100 locations, their limits, and the
    /// targets of each. Locations read from `TargetLocationsURL` are checked once read.
    pub fn check(&self, document: &Document) -> Result<(), ParameterError> {
        match (self.target_locations.is_empty(), &self.target_locations_url) {
            (false, Some(_)) => Err(refuse(
                "TargetLocationsURL",
                "`TargetLocations` and `TargetLocationsURL` cannot both be given",
            )),
            (true, None) => Err(refuse(
                "TargetLocations",
                "a run over target locations needs `TargetLocations` or `TargetLocationsURL`",
            )),
            (true, Some(url)) if url.trim().is_empty() => {
                Err(refuse("TargetLocationsURL", "`TargetLocationsURL` is empty"))
            }
            (true, Some(_)) => Ok(()),
            (false, None) => self.checked(&self.target_locations, document).map(|_| ()),
        }
    }

    /// Each of `locations`, checked (see [`check`](Self::check)).
    pub(super) fn checked(
        &self,
        locations: &[TargetLocation],
        document: &Document,
    ) -> Result<Vec<CheckedLocation>, ParameterError> {
        if locations.is_empty() || locations.len() > MAX_ITEMS {
            return Err(refuse(
                "TargetLocations",
                format!(
                    "`TargetLocations` must have 1 to {MAX_ITEMS} items, found {}",
                    locations.len()
                ),
            ));
        }
        locations
            .iter()
            .enumerate()
            .map(|(index, location)| {
                // The service's message names the member within the list, from 1.
                let refused = |field: &str, error: RateError| {
                    let member = format!(
                        "'targetLocations.{}.member.{}{}'",
                        index + 1,
                        field[..1].to_ascii_lowercase(),
                        &field[1..]
                    );
                    let message =
                        error.to_string().replace(&format!("'{}'", error.member), &member);
                    refuse(field, message)
                };
                let concurrency = match &location.target_location_max_concurrency {
                    Some(text) => MaxConcurrency::parse(text)
                        .map_err(|error| refused("TargetLocationMaxConcurrency", error))?,
                    None => MaxConcurrency(Limit::Count(1)),
                };
                let errors = match &location.target_location_max_errors {
                    Some(text) => MaxErrors::parse(text)
                        .map_err(|error| refused("TargetLocationMaxErrors", error))?,
                    None => MaxErrors::DEFAULT,
                };
                let role_name = match location.execution_role_name.as_deref() {
                    None => DEFAULT_EXECUTION_ROLE.to_string(),
                    Some(name) if name.trim().is_empty() => {
                        return Err(refuse("ExecutionRoleName", "`ExecutionRoleName` is empty"));
                    }
                    Some(name) => name.to_string(),
                };
                let targets =
                    if location.targets.is_empty() { &self.targets } else { &location.targets };
                let fleet = if targets.is_empty() {
                    None
                } else {
                    let fleet = Fleet {
                        target_parameter_name: self.target_parameter_name.clone(),
                        targets: targets.clone(),
                        target_maps: Vec::new(),
                        max_concurrency: location
                            .targets_max_concurrency
                            .clone()
                            .or_else(|| self.max_concurrency.clone()),
                        max_errors: location
                            .targets_max_errors
                            .clone()
                            .or_else(|| self.max_errors.clone()),
                    };
                    fleet.check(document)?;
                    Some(fleet)
                };
                Ok(CheckedLocation {
                    location: location.clone(),
                    concurrency,
                    errors,
                    role_name,
                    fleet,
                })
            })
            .collect()
    }
}

/// A location map with its values in the types [`TargetLocation`] reads.
fn normalized(map: Map<String, Value>) -> Value {
    let entries = map.into_iter().filter(|(_, value)| !value.is_null()).map(|(key, value)| {
        let value = match key.as_str() {
            "Accounts" | "Regions" | "ExcludeAccounts" => {
                Value::Array(text_values(&value).into_iter().map(Value::String).collect())
            }
            "TargetLocationMaxConcurrency"
            | "TargetLocationMaxErrors"
            | "ExecutionRoleName"
            | "TargetsMaxConcurrency"
            | "TargetsMaxErrors" => Value::String(as_text(&value)),
            "IncludeChildOrganizationUnits" => match &value {
                Value::String(text) if text.eq_ignore_ascii_case("true") => Value::Bool(true),
                Value::String(text) if text.eq_ignore_ascii_case("false") => Value::Bool(false),
                _ => value,
            },
            "Targets" => match list_of_maps(&value, "Targets") {
                Ok(targets) => Value::Array(
                    targets
                        .into_iter()
                        .map(|target| {
                            let mut target = target;
                            if let Some(values) = target.get("Values").map(text_values) {
                                target.insert(
                                    "Values".into(),
                                    Value::Array(values.into_iter().map(Value::String).collect()),
                                );
                            }
                            Value::Object(target)
                        })
                        .collect(),
                ),
                Err(_) => value,
            },
            _ => value,
        };
        (key, value)
    });
    Value::Object(entries.collect())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn document() -> Document {
        Document::parse(
            "r.yaml",
            "schemaVersion: '0.3'\nparameters:\n  Id: {type: String}\nmainSteps:\n- {name: a, action: aws:sleep, inputs: {Duration: PT1S}}\n".to_string(),
            crate::document::Format::Yaml,
        )
        .unwrap()
    }

    #[test]
    fn step_inputs_are_read_leniently() {
        let inputs = json!({
            "DocumentName": "D",
            "TargetLocations": [{
                "Accounts": "[\"111111111111\", 222222222222]",
                "Regions": ["us-east-1"],
                "TargetLocationMaxConcurrency": 2,
                "IncludeChildOrganizationUnits": "true",
                "Targets": [{"Key": "ParameterValues", "Values": "[\"a\"]"}],
            }],
            "TargetParameterName": "Id",
        });
        let locations = Locations::from_inputs(&inputs).unwrap().unwrap();
        let location = &locations.target_locations[0];
        assert_eq!(location.accounts, ["111111111111", "222222222222"]);
        assert_eq!(location.target_location_max_concurrency.as_deref(), Some("2"));
        assert!(location.include_child_organization_units);
        assert_eq!(location.targets, [Target::new("ParameterValues", ["a"])]);
        assert_eq!(locations.target_parameter_name.as_deref(), Some("Id"));
        assert_eq!(Locations::from_inputs(&json!({"DocumentName": "D"})).unwrap(), None);
    }

    #[test]
    fn unknown_keys_and_bad_shapes_are_errors() {
        let error = Locations::parse_list(&json!([{"Acounts": ["1"]}])).unwrap_err();
        assert!(error.contains("item 1") && error.contains("Acounts"), "{error}");
        assert!(Locations::parse_list(&json!("not json")).is_err());
        let maps = json!({"TargetLocations": [{"Accounts": ["1"]}], "TargetMaps": [{"Id": "a"}]});
        assert!(Locations::from_inputs(&maps).is_err());
    }

    #[test]
    fn the_request_is_checked_as_the_service_checks_it() {
        let document = document();
        let one = || TargetLocation { accounts: vec!["1".into()], ..TargetLocation::default() };
        let field = |locations: Locations| locations.check(&document).unwrap_err().parameter;
        assert_eq!(field(Locations::default()), "TargetLocations");
        assert_eq!(field(Locations::new(vec![one(); 101])), "TargetLocations");
        let both = Locations {
            target_locations_url: Some("s3://b/k".into()),
            ..Locations::new(vec![one()])
        };
        assert_eq!(field(both), "TargetLocationsURL");
        let fast = TargetLocation { target_location_max_concurrency: Some("0".into()), ..one() };
        let error = Locations::new(vec![one(), fast]).check(&document).unwrap_err();
        assert_eq!(error.parameter, "TargetLocationMaxConcurrency");
        assert!(
            error.message.starts_with("1 validation error detected: Value '0' at 'targetLocations.2.member.targetLocationMaxConcurrency' failed"),
            "{}",
            error.message
        );
        let lenient = TargetLocation { target_location_max_errors: Some("x".into()), ..one() };
        assert_eq!(field(Locations::new(vec![lenient])), "TargetLocationMaxErrors");
        let targets =
            TargetLocation { targets: vec![Target::new("ParameterValues", ["a"])], ..one() };
        assert_eq!(field(Locations::new(vec![targets.clone()])), "TargetParameterName");
        let named =
            Locations { target_parameter_name: Some("Id".into()), ..Locations::new(vec![targets]) };
        let checked = named.checked(&named.target_locations, &document).unwrap();
        assert_eq!(checked[0].role_name, DEFAULT_EXECUTION_ROLE);
        assert_eq!(checked[0].concurrency, MaxConcurrency(Limit::Count(1)));
        assert!(checked[0].fleet.is_some());
        assert!(Locations::from_url("s3://b/k").check(&document).is_ok());
    }
}
