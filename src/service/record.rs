//! The service's record of an execution (`GetAutomationExecution`'s `AutomationExecution` and
//! `DescribeAutomationStepExecutions`' `StepExecutions`, as the client returns them) read into
//! the engine's [`Execution`], so that a run on the service prints, renders and compares as a
//! local run does.
//!
//! What the service does not report stays empty: the AWS calls (`Calls`), warnings, scripts'
//! output, and how many attempts a step made (one for every step that started).

use indexmap::IndexMap;
use runbook_engine::record::{
    Execution, FailureDetails, FailureStage, FailureType, FleetRecord, LocationsRecord,
    ParentStepDetails, ProgressCounters, ResolvedTargets, Status, StepExecution, Target,
    TargetLocation,
};
use serde_json::Value;

/// Why a response could not be read as a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the service's record of the execution cannot be read: {0}")]
pub struct RecordError(String);

impl RecordError {
    /// An answer of `operation` without `field`.
    pub(crate) fn missing(operation: &str, field: &str) -> Self {
        Self(format!("{operation} answered without {field}"))
    }
}

/// A status as the service spells it. The statuses of change-managed and scheduled runs map to
/// the nearest of the engine's: still going, or ended well or badly.
pub fn status(text: &str) -> Status {
    Status::parse(text).unwrap_or(match text {
        "CompletedWithSuccess" | "Approved" | "ChangeCalendarOverrideApproved" => Status::Success,
        "CompletedWithFailure" | "Rejected" | "ChangeCalendarOverrideRejected" => Status::Failed,
        "PendingApproval" | "PendingChangeCalendarOverride" => Status::Waiting,
        "Scheduled" => Status::Pending,
        _ => Status::InProgress,
    })
}

/// `AutomationExecution` with its `steps` (from `DescribeAutomationStepExecutions`; when
/// `None`, the `StepExecutions` the execution itself lists).
pub fn execution(value: &Value, steps: Option<&[Value]>) -> Result<Execution, RecordError> {
    let id = text(value, "AutomationExecutionId")
        .ok_or_else(|| RecordError("it has no AutomationExecutionId".into()))?;
    let listed = value.get("StepExecutions").and_then(Value::as_array).map(Vec::as_slice);
    let step_executions =
        steps.or(listed).unwrap_or_default().iter().map(step).collect::<Result<Vec<_>, _>>()?;
    let fleet = ["Targets", "TargetMaps", "TargetParameterName"]
        .iter()
        .any(|key| value.get(key).is_some_and(|v| !is_empty(v)))
        .then(|| fleet(value));
    Ok(Execution {
        automation_execution_id: id,
        document_name: text(value, "DocumentName").unwrap_or_default(),
        document_version: text(value, "DocumentVersion").unwrap_or_default(),
        automation_execution_status: status(
            &text(value, "AutomationExecutionStatus").unwrap_or_default(),
        ),
        execution_start_time: time(value, "ExecutionStartTime")?
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH),
        execution_end_time: time(value, "ExecutionEndTime")?,
        mode: text(value, "Mode").unwrap_or_else(|| "Auto".into()),
        parameters: string_lists(value.get("Parameters")),
        outputs: string_lists(value.get("Outputs")),
        variables: string_lists(value.get("Variables")),
        step_executions,
        failure_message: text(value, "FailureMessage"),
        parent_automation_execution_id: text(value, "ParentAutomationExecutionId"),
        calls: Vec::new(),
        warnings: Vec::new(),
        fleet,
        locations: locations(value),
    })
}

/// One `StepExecution`.
pub fn step(value: &Value) -> Result<StepExecution, RecordError> {
    let step_status = status(&text(value, "StepStatus").unwrap_or_default());
    let inputs = value
        .get("Inputs")
        .and_then(Value::as_object)
        .map(|inputs| {
            let parsed: Vec<(&str, Value)> = inputs
                .iter()
                .map(|(name, input)| {
                    // Each input is JSON text; one that is not stays the text it is.
                    let parsed = input
                        .as_str()
                        .and_then(|text| serde_json::from_str(text).ok())
                        .unwrap_or_else(|| input.clone());
                    (name.as_str(), parsed)
                })
                .collect();
            parsed.iter().map(|(name, value)| (*name, value)).collect()
        })
        .unwrap_or_default();
    Ok(StepExecution {
        step_name: text(value, "StepName").unwrap_or_default(),
        action: text(value, "Action").unwrap_or_default(),
        step_execution_id: text(value, "StepExecutionId").unwrap_or_default(),
        step_status,
        execution_start_time: time(value, "ExecutionStartTime")?,
        execution_end_time: time(value, "ExecutionEndTime")?,
        inputs,
        outputs: string_lists(value.get("Outputs")),
        response: text(value, "Response").map(|text| std::sync::Arc::new(Value::String(text))),
        failure_message: text(value, "FailureMessage"),
        failure_details: value
            .get("FailureDetails")
            .map(|details| Box::new(failure_details(details))),
        timeout_seconds: value.get("TimeoutSeconds").and_then(Value::as_u64),
        on_failure: text(value, "OnFailure").unwrap_or_else(|| "Abort".into()),
        max_attempts: value
            .get("MaxAttempts")
            .and_then(Value::as_u64)
            .map_or(1, |n| u32::try_from(n).unwrap_or(u32::MAX)),
        attempts: u32::from(step_status != Status::Pending),
        is_end: value.get("IsEnd").and_then(Value::as_bool).unwrap_or(false),
        is_critical: value.get("IsCritical").and_then(Value::as_bool).unwrap_or(true),
        next_step: text(value, "NextStep"),
        stdout: String::new(),
        stderr: String::new(),
        parent_step_details: value.get("ParentStepDetails").map(|details| {
            Box::new(ParentStepDetails {
                step_name: text(details, "StepName").unwrap_or_default(),
                action: text(details, "Action").unwrap_or_else(|| "aws:loop".into()),
                iteration: details
                    .get("Iteration")
                    .and_then(Value::as_u64)
                    .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)),
                iterator_value: text(details, "IteratorValue"),
            })
        }),
        target_location: value.get("TargetLocation").and_then(target_location).map(Box::new),
        child: None,
    })
}

/// The child execution a step started (`aws:executeAutomation`'s `ExecutionId` output, or a
/// fleet parent's step per target).
pub fn child_id(step: &StepExecution) -> Option<&str> {
    if step.action != "aws:executeAutomation" {
        return None;
    }
    step.outputs
        .get("ExecutionId")
        .or_else(|| step.outputs.get("AutomationExecutionId"))
        .and_then(|value| match value {
            Value::Array(items) => items.first().and_then(Value::as_str),
            other => other.as_str(),
        })
        .filter(|id| !id.is_empty())
}

/// `ProgressCounters`, each count absent read as 0.
fn progress_counters(value: &Value) -> ProgressCounters {
    let counters = value.get("ProgressCounters");
    let count = |key: &str| {
        counters
            .and_then(|c| c.get(key))
            .and_then(Value::as_u64)
            .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX))
    };
    ProgressCounters {
        total_steps: count("TotalSteps"),
        success_steps: count("SuccessSteps"),
        failed_steps: count("FailedSteps"),
        cancelled_steps: count("CancelledSteps"),
        timed_out_steps: count("TimedOutSteps"),
    }
}

/// One `TargetLocation` as the service echoes it; keys this tool does not model (the service
/// adds some over time) make it unreadable rather than wrong, and it is left out.
fn target_location(value: &Value) -> Option<TargetLocation> {
    serde_json::from_value(value.clone()).ok()
}

/// The facts of a run over target locations, when the execution is one.
fn locations(value: &Value) -> Option<LocationsRecord> {
    let listed = value.get("TargetLocations").and_then(Value::as_array);
    let url = text(value, "TargetLocationsURL");
    if listed.is_none_or(Vec::is_empty) && url.is_none() {
        return None;
    }
    Some(LocationsRecord {
        target_locations: listed.into_iter().flatten().filter_map(target_location).collect(),
        target_locations_url: url,
        progress_counters: progress_counters(value),
    })
}

fn fleet(value: &Value) -> FleetRecord {
    let resolved = value.get("ResolvedTargets");
    FleetRecord {
        target_parameter_name: text(value, "TargetParameterName"),
        targets: value
            .get("Targets")
            .and_then(Value::as_array)
            .map(|targets| {
                targets
                    .iter()
                    .map(|target| Target {
                        key: text(target, "Key").unwrap_or_default(),
                        values: target
                            .get("Values")
                            .and_then(Value::as_array)
                            .map(|values| {
                                values.iter().filter_map(Value::as_str).map(String::from).collect()
                            })
                            .unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        target_maps: value
            .get("TargetMaps")
            .and_then(Value::as_array)
            .map(|maps| maps.iter().map(|map| string_lists(Some(map))).collect())
            .unwrap_or_default(),
        resolved_targets: ResolvedTargets {
            parameter_values: resolved
                .and_then(|r| r.get("ParameterValues"))
                .and_then(Value::as_array)
                .map(|values| values.iter().filter_map(Value::as_str).map(String::from).collect())
                .unwrap_or_default(),
            truncated: resolved
                .and_then(|r| r.get("Truncated"))
                .and_then(Value::as_bool)
                .unwrap_or(false),
        },
        max_concurrency: text(value, "MaxConcurrency").unwrap_or_default(),
        max_errors: text(value, "MaxErrors").unwrap_or_default(),
        progress_counters: progress_counters(value),
    }
}

fn failure_details(value: &Value) -> FailureDetails {
    let failure_stage = match text(value, "FailureStage").as_deref() {
        Some("InputValidation") => FailureStage::InputValidation,
        Some("PreVerification") => FailureStage::PreVerification,
        Some("PostVerification") => FailureStage::PostVerification,
        _ => FailureStage::Invocation,
    };
    let failure_type = match text(value, "FailureType").as_deref() {
        Some("Permission") => FailureType::Permission,
        Some("Throttling") => FailureType::Throttling,
        Some("Verification") => FailureType::Verification,
        Some("Internal") => FailureType::Internal,
        _ => FailureType::Action,
    };
    let details = value
        .get("Details")
        .and_then(Value::as_object)
        .map(|details| {
            details
                .iter()
                .map(|(key, values)| {
                    let values = values
                        .as_array()
                        .map(|items| {
                            items.iter().filter_map(Value::as_str).map(String::from).collect()
                        })
                        .unwrap_or_default();
                    (key.clone(), values)
                })
                .collect()
        })
        .unwrap_or_default();
    FailureDetails { failure_stage, failure_type, details }
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(String::from)
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// A map of lists of strings, kept as lists (the local record lists them the same way).
fn string_lists(value: Option<&Value>) -> IndexMap<String, Value> {
    value
        .and_then(Value::as_object)
        .map(|map| map.iter().map(|(key, values)| (key.clone(), values.clone())).collect())
        .unwrap_or_default()
}

/// A timestamp as the client returns it (ISO 8601 text) or as epoch seconds.
fn time(value: &Value, key: &str) -> Result<Option<jiff::Timestamp>, RecordError> {
    match value.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => text
            .parse::<jiff::Timestamp>()
            .map(Some)
            .map_err(|error| RecordError(format!("{key} `{text}`: {error}"))),
        Some(Value::Number(number)) => {
            let seconds = number.as_f64().unwrap_or_default();
            #[allow(clippy::cast_possible_truncation, reason = "milliseconds since 1970 fit")]
            let millis = (seconds * 1000.0).round() as i64;
            jiff::Timestamp::from_millisecond(millis)
                .map(Some)
                .map_err(|error| RecordError(format!("{key} {seconds}: {error}")))
        }
        Some(other) => Err(RecordError(format!("{key} is not a time: {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_service_record_reads_into_the_local_shape() {
        let value = json!({
            "AutomationExecutionId": "0123abcd-0000-4000-8000-00000000beef",
            "DocumentName": "Restart", "DocumentVersion": "3",
            "AutomationExecutionStatus": "Failed",
            "ExecutionStartTime": "2026-01-15T10:00:00+00:00",
            "ExecutionEndTime": "2026-01-15T10:00:05.250000+00:00",
            "Mode": "Auto",
            "Parameters": {"InstanceId": ["i-1"]},
            "Outputs": {"check.State": ["stopped"]},
            "FailureMessage": "Step fails when it is verifying",
        });
        let steps = [json!({
            "StepName": "check", "Action": "aws:executeAwsApi", "StepExecutionId": "s-1",
            "StepStatus": "Failed", "ExecutionStartTime": 1_768_471_200.5,
            "Inputs": {"Service": "\"ec2\"", "Raw": "not json"},
            "Outputs": {"State": ["stopped"]}, "OnFailure": "Abort", "MaxAttempts": 2,
            "IsEnd": false, "IsCritical": true,
            "FailureDetails": {"FailureStage": "Verification", "FailureType": "Permission",
                               "Details": {"ErrorCode": ["AccessDenied"]}},
        })];
        let record = execution(&value, Some(&steps)).unwrap();
        assert_eq!(record.automation_execution_status, Status::Failed);
        assert_eq!(record.execution_end_time.unwrap().to_string(), "2026-01-15T10:00:05.25Z");
        let step = &record.step_executions[0];
        assert_eq!(step.inputs.get("Service").unwrap(), "ec2");
        assert_eq!(step.inputs.get("Raw").unwrap(), "not json");
        assert_eq!(step.execution_start_time.unwrap().as_millisecond(), 1_768_471_200_500);
        assert_eq!(step.failure_details.as_ref().unwrap().failure_type, FailureType::Permission);
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["Outputs"], json!({"check.State": ["stopped"]}));
        assert_eq!(json["StepExecutions"][0]["Outputs"], json!({"State": ["stopped"]}));
        assert_eq!(json["StepExecutions"][0]["Inputs"]["Service"], "\"ec2\"");
        assert!(record.fleet.is_none());
    }

    #[test]
    fn a_fleet_parent_keeps_its_targets_and_counters() {
        let value = json!({
            "AutomationExecutionId": "p", "AutomationExecutionStatus": "CompletedWithFailure",
            "TargetParameterName": "InstanceId",
            "Targets": [{"Key": "ParameterValues", "Values": ["i-1", "i-2"]}],
            "ResolvedTargets": {"ParameterValues": ["i-1", "i-2"], "Truncated": false},
            "MaxConcurrency": "1", "MaxErrors": "1",
            "ProgressCounters": {"TotalSteps": 2, "SuccessSteps": 1, "FailedSteps": 1},
            "StepExecutions": [{"StepName": "i-1", "Action": "aws:executeAutomation",
                                "StepStatus": "Success", "Outputs": {"ExecutionId": ["c-1"]}}],
        });
        let record = execution(&value, None).unwrap();
        assert_eq!(record.automation_execution_status, Status::Failed);
        let fleet = record.fleet.as_ref().unwrap();
        assert_eq!(fleet.progress_counters.failed_steps, 1);
        assert_eq!(fleet.resolved_targets.parameter_values, ["i-1", "i-2"]);
        assert_eq!(child_id(&record.step_executions[0]), Some("c-1"));
    }

    #[test]
    fn a_parent_over_locations_keeps_them_and_each_child_step_its_own() {
        let value = json!({
            "AutomationExecutionId": "p", "AutomationExecutionStatus": "Success",
            "TargetLocations": [{"Accounts": ["111111111111"], "Regions": ["eu-west-1"],
                                 "ExecutionRoleName": "RunbookExecution"}],
            "ProgressCounters": {"TotalSteps": 1, "SuccessSteps": 1},
            "StepExecutions": [{"StepName": "111111111111/eu-west-1",
                                "Action": "aws:executeAutomation", "StepStatus": "Success",
                                "TargetLocation": {"Accounts": ["111111111111"],
                                                   "Regions": ["eu-west-1"]}},
                               {"StepName": "later", "Action": "aws:executeAutomation",
                                "StepStatus": "Success",
                                "TargetLocation": {"NotAKeyOfThisTool": true}}],
        });
        let record = execution(&value, None).unwrap();
        let locations = record.locations.as_ref().unwrap();
        assert_eq!(locations.target_locations[0].accounts, ["111111111111"]);
        assert_eq!(locations.progress_counters.success_steps, 1);
        let at = record.step_executions[0].target_location.as_ref().unwrap();
        assert_eq!(at.regions, ["eu-west-1"]);
        assert!(record.step_executions[1].target_location.is_none());
        assert!(
            execution(&json!({"AutomationExecutionId": "q"}), None).unwrap().locations.is_none()
        );
    }

    #[test]
    fn a_record_without_an_id_or_with_a_bad_time_is_refused() {
        assert!(execution(&json!({}), None).is_err());
        let bad = json!({"AutomationExecutionId": "x", "ExecutionStartTime": "yesterday"});
        let error = execution(&bad, None).unwrap_err();
        assert!(error.to_string().contains("ExecutionStartTime `yesterday`"), "{error}");
    }
}
