//! The record of a run, in the shape of the service's `GetAutomationExecution` response
//! (`AutomationExecution` with its `StepExecutions`), so that people and tools used to the
//! service read it without a guide. Values keep their JSON types in memory; serialized, the
//! `Parameters`, `Outputs` and `Variables` maps hold lists of strings as the service returns them.
//!
//! Beyond the service's fields the record has `Calls` (every AWS call made, with its answer),
//! `Warnings` (references a step ran with as their literal text, RULINGS 12) and, per step,
//! `Attempts`, `Response` and the script's `Stdout`/`Stderr`.

use std::cell::RefCell;
use std::sync::Arc;

use indexmap::IndexMap;
use serde::{Serialize, Serializer};
use serde_json::Value;

/// The statuses of runs and steps (one enum, as in the service).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub enum Status {
    /// Not started.
    #[default]
    Pending,
    /// Running.
    InProgress,
    /// Waiting for a decision (`aws:approve`, `aws:pause`).
    Waiting,
    /// Finished well.
    Success,
    /// Did not finish before its timeout.
    TimedOut,
    /// Being cancelled.
    Cancelling,
    /// Cancelled.
    Cancelled,
    /// Did not finish well.
    Failed,
    /// An `aws:loop` that a step inside left by a jump.
    Exited,
}

impl Status {
    /// Whether the status is final.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Success | Self::TimedOut | Self::Cancelled | Self::Failed | Self::Exited
        )
    }

    /// The status as the service spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::InProgress => "InProgress",
            Self::Waiting => "Waiting",
            Self::Success => "Success",
            Self::TimedOut => "TimedOut",
            Self::Cancelling => "Cancelling",
            Self::Cancelled => "Cancelled",
            Self::Failed => "Failed",
            Self::Exited => "Exited",
        }
    }

    /// Reads a status as the service spells it.
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::InProgress,
            Self::Waiting,
            Self::Success,
            Self::TimedOut,
            Self::Cancelling,
            Self::Cancelled,
            Self::Failed,
            Self::Exited,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where in the run's life a step failed (the service's `FailureStage`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum FailureStage {
    /// Its inputs could not be resolved or were invalid.
    InputValidation,
    /// Before the action ran.
    PreVerification,
    /// While the action ran.
    Invocation,
    /// While its outputs were read.
    PostVerification,
}

/// What kind of failure (the service's `FailureType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum FailureType {
    /// The action failed.
    Action,
    /// Not permitted.
    Permission,
    /// Throttled.
    Throttling,
    /// A check failed.
    Verification,
    /// The engine could not do what was asked.
    Internal,
}

/// The service's `FailureDetails`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FailureDetails {
    /// `FailureStage`.
    pub failure_stage: FailureStage,
    /// `FailureType`.
    pub failure_type: FailureType,
    /// `Details`: the API error code and the like.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub details: IndexMap<String, Vec<String>>,
}

/// An AWS call a step made, with its answer. A run's `Calls` hold its own calls and those of
/// its `aws:executeAutomation` child runs, in the order they were made; `AutomationExecutionId`
/// tells whose they are. A run over targets holds the calls that resolved them; each child's
/// calls are in its own record.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CallRecord {
    /// The run whose step made it.
    pub automation_execution_id: String,
    /// The step that made it.
    pub step_name: String,
    /// The service (`ec2`).
    pub service: String,
    /// The operation (`DescribeInstances`).
    pub api: String,
    /// The request parameters.
    pub params: Value,
    /// The response, when the call succeeded: shared with the step's `Response` when the
    /// step answers with it, as `aws:executeAwsApi` does.
    #[serde(serialize_with = "shared_value", skip_serializing_if = "Option::is_none")]
    pub response: Option<Arc<Value>>,
    /// The error, when it failed (boxed: a run holds every call it made, and few fail).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Box<crate::host::ApiError>>,
    /// When it was made, on the run's clock.
    #[serde(serialize_with = "timestamp")]
    pub time: jiff::Timestamp,
    /// The account it was made as, in a run over target locations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The Region it was made in, in a run over target locations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// A reference a step ran with as its literal text, because it had no value (RULINGS 12).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RunWarning {
    /// The step that ran with it.
    pub step_name: String,
    /// The reference as written, braces included (`{{ Step.Output }}`).
    pub reference: String,
    /// Why it had no value, in a sentence naming the reference.
    pub message: String,
}

/// The record of one step.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StepExecution {
    /// `StepName`.
    pub step_name: String,
    /// `Action`.
    pub action: String,
    /// `StepExecutionId`.
    pub step_execution_id: String,
    /// `StepStatus`.
    pub step_status: Status,
    /// `ExecutionStartTime`.
    #[serde(serialize_with = "optional_timestamp", skip_serializing_if = "Option::is_none")]
    pub execution_start_time: Option<jiff::Timestamp>,
    /// `ExecutionEndTime`.
    #[serde(serialize_with = "optional_timestamp", skip_serializing_if = "Option::is_none")]
    pub execution_end_time: Option<jiff::Timestamp>,
    /// `Inputs`: the resolved inputs, as JSON text per input (as the service records them).
    #[serde(skip_serializing_if = "StepInputs::is_empty")]
    pub inputs: StepInputs,
    /// `Outputs`: predefined and declared outputs (serialized as lists of strings).
    #[serde(serialize_with = "string_list_map", skip_serializing_if = "IndexMap::is_empty")]
    pub outputs: IndexMap<String, Value>,
    /// The action's whole response, as the outputs were selected from (shared with the call
    /// it came from, when it is a call's answer).
    #[serde(serialize_with = "shared_value", skip_serializing_if = "Option::is_none")]
    pub response: Option<Arc<Value>>,
    /// `FailureMessage`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_message: Option<String>,
    /// `FailureDetails`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_details: Option<Box<FailureDetails>>,
    /// `TimeoutSeconds`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
    /// `OnFailure`.
    pub on_failure: String,
    /// `MaxAttempts`.
    pub max_attempts: u32,
    /// How many attempts ran.
    pub attempts: u32,
    /// `IsEnd`.
    pub is_end: bool,
    /// `IsCritical`.
    pub is_critical: bool,
    /// `NextStep`: the step that ran next, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_step: Option<String>,
    /// What a script printed.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stdout: String,
    /// What a script wrote to standard error.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stderr: String,
    /// `ParentStepDetails` of a step inside an `aws:loop`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_step_details: Option<Box<ParentStepDetails>>,
    /// `TargetLocation`: the account and Region of a child of a run over target locations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_location: Option<Box<TargetLocation>>,
    /// The child run of an `aws:executeAutomation` step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub child: Option<Box<Execution>>,
}

/// A step's `Inputs`: each input's name and its value as compact JSON text, as the service
/// records them. A long run's record holds every step's inputs until it is written, and text
/// is a fraction of the values' size.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct StepInputs {
    /// Each input's name and where its text ends in `text`.
    names: Box<[(Arc<str>, u32)]>,
    /// The inputs' texts, one after the other.
    text: Box<str>,
}

impl StepInputs {
    /// The inputs `entries`, names with values.
    pub fn new<'a>(entries: impl IntoIterator<Item = (Arc<str>, &'a Value)>) -> Self {
        let mut names = Vec::new();
        // Written as bytes, not through `Display`: its formatting machinery costs a step more
        // than the writing.
        let mut text = Vec::new();
        for (name, value) in entries {
            // Writing a value into memory cannot fail.
            let _ = serde_json::to_writer(&mut text, value);
            // Past 4 GiB of text an input's end no longer fits: its text is left out.
            let Ok(end) = u32::try_from(text.len()) else { break };
            names.push((name, end));
        }
        text.truncate(names.last().map_or(0, |(_, end)| *end as usize));
        // JSON written whole is UTF-8, and the cut is at the end of a whole value.
        let text = String::from_utf8(text).unwrap_or_default();
        Self { names: names.into_boxed_slice(), text: text.into_boxed_str() }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Each input's name and JSON text, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        let mut start = 0;
        self.names.iter().map(move |(name, end)| {
            let text = self.text.get(start..*end as usize).unwrap_or_default();
            start = *end as usize;
            (&**name, text)
        })
    }

    /// The JSON text of the input `name`.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.iter().find(|(input, _)| *input == name).map(|(_, text)| text)
    }

    /// The value of the input `name`.
    pub fn get(&self, name: &str) -> Option<Value> {
        serde_json::from_str(self.text(name)?).ok()
    }

    /// Every input with its value.
    pub fn to_map(&self) -> IndexMap<String, Value> {
        self.iter()
            .map(|(name, text)| (name.to_string(), serde_json::from_str(text).unwrap_or_default()))
            .collect()
    }
}

impl<'a> FromIterator<(&'a str, &'a Value)> for StepInputs {
    fn from_iter<T: IntoIterator<Item = (&'a str, &'a Value)>>(entries: T) -> Self {
        Self::new(entries.into_iter().map(|(name, value)| (Arc::from(name), value)))
    }
}

impl std::fmt::Debug for StepInputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for StepInputs {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

/// `ParentStepDetails`: the loop and iteration a step ran in.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ParentStepDetails {
    /// The loop step's name.
    pub step_name: String,
    /// Always `aws:loop`.
    pub action: String,
    /// The iteration, from 1.
    pub iteration: u32,
    /// The iterator value, for for-each loops.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iterator_value: Option<String>,
}

/// The record of a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Execution {
    /// `AutomationExecutionId`.
    pub automation_execution_id: String,
    /// `DocumentName`.
    pub document_name: String,
    /// `DocumentVersion`.
    pub document_version: String,
    /// `AutomationExecutionStatus`.
    pub automation_execution_status: Status,
    /// `ExecutionStartTime`.
    #[serde(serialize_with = "timestamp")]
    pub execution_start_time: jiff::Timestamp,
    /// `ExecutionEndTime`.
    #[serde(serialize_with = "optional_timestamp", skip_serializing_if = "Option::is_none")]
    pub execution_end_time: Option<jiff::Timestamp>,
    /// `Mode`.
    pub mode: String,
    /// `Parameters` the run used (defaults included).
    #[serde(serialize_with = "string_list_map")]
    pub parameters: IndexMap<String, Value>,
    /// `Outputs`: the runbook's declared outputs, as `step.Output`.
    #[serde(serialize_with = "string_list_map")]
    pub outputs: IndexMap<String, Value>,
    /// `Variables`, as they ended.
    #[serde(serialize_with = "string_list_map", skip_serializing_if = "IndexMap::is_empty")]
    pub variables: IndexMap<String, Value>,
    /// `StepExecutions`, in the order the steps started, then the steps that never ran (Pending).
    pub step_executions: Vec<StepExecution>,
    /// `FailureMessage`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_message: Option<String>,
    /// `ParentAutomationExecutionId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_automation_execution_id: Option<String>,
    /// Every AWS call made by the run and its `aws:executeAutomation` child runs, in the order
    /// they were made (a run over targets: those that resolved its targets).
    pub calls: Vec<CallRecord>,
    /// References steps ran with as their literal text, once per step and reference.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<RunWarning>,
    /// What the service records for a run over targets: `TargetParameterName`, `Targets`,
    /// `TargetMaps`, `ResolvedTargets`, `MaxConcurrency`, `MaxErrors` and `ProgressCounters`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub fleet: Option<FleetRecord>,
    /// The facts of a run over target locations: its locations and progress.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub locations: Option<LocationsRecord>,
}

/// One target of a run over targets: a key (`ParameterValues`, `tag:Name`, `ResourceGroup`,
/// `AWS::EC2::Instance`, `InstanceIds`) and its values, as the service's `Target`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Target {
    /// `Key`.
    pub key: String,
    /// `Values`.
    #[serde(default)]
    pub values: Vec<String>,
}

impl Target {
    /// A target with `key` and `values`.
    pub fn new(
        key: impl Into<String>,
        values: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self { key: key.into(), values: values.into_iter().map(Into::into).collect() }
    }
}

/// One item of `TargetLocations`: accounts (ids, or organizational units and roots whose
/// accounts it means) and Regions to run in, with the rate control across them and, for runs
/// over targets in each, the targets and their rate control; as the service's `TargetLocation`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TargetLocation {
    /// `Accounts`: account ids, organizational unit ids (`ou-...`) or root ids (`r-...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<String>,
    /// `Regions`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// `TargetLocationMaxConcurrency`: how many accounts and Regions run at once (1 by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_location_max_concurrency: Option<String>,
    /// `TargetLocationMaxErrors`: how many may fail before no more start (0 by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_location_max_errors: Option<String>,
    /// `ExecutionRoleName`: the role assumed in each account
    /// (`AWS-SystemsManager-AutomationExecutionRole` by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_role_name: Option<String>,
    /// `IncludeChildOrganizationUnits`: whether an organizational unit means the accounts of
    /// the units below it too.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub include_child_organization_units: bool,
    /// `ExcludeAccounts`: accounts or organizational units left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_accounts: Vec<String>,
    /// `Targets`: a run over targets in each account and Region.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Target>,
    /// `TargetsMaxConcurrency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets_max_concurrency: Option<String>,
    /// `TargetsMaxErrors`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets_max_errors: Option<String>,
    /// `TargetLocationAlarmConfiguration`, kept as given: alarms are not watched locally.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_location_alarm_configuration: Option<Value>,
}

/// `ResolvedTargets`: the values the targets resolved to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResolvedTargets {
    /// `ParameterValues`: at most [`ResolvedTargets::LIMIT`] of them.
    pub parameter_values: Vec<String>,
    /// `Truncated`: whether there were more.
    pub truncated: bool,
}

impl ResolvedTargets {
    /// How many values the record lists; the steps list every child.
    pub const LIMIT: usize = 50;

    /// The record of `values`, cut at [`ResolvedTargets::LIMIT`].
    pub fn new<'a>(values: impl ExactSizeIterator<Item = &'a str>) -> Self {
        let truncated = values.len() > Self::LIMIT;
        Self { parameter_values: values.take(Self::LIMIT).map(String::from).collect(), truncated }
    }
}

/// `ProgressCounters`: how the children of a run over targets ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProgressCounters {
    /// `TotalSteps`: the children started.
    pub total_steps: usize,
    /// `SuccessSteps`.
    pub success_steps: usize,
    /// `FailedSteps`.
    pub failed_steps: usize,
    /// `CancelledSteps`.
    pub cancelled_steps: usize,
    /// `TimedOutSteps`.
    pub timed_out_steps: usize,
}

impl ProgressCounters {
    /// Counts one child that ended `status`.
    pub fn count(&mut self, status: Status) {
        self.total_steps += 1;
        match status {
            Status::Success => self.success_steps += 1,
            Status::Cancelled => self.cancelled_steps += 1,
            Status::TimedOut => self.timed_out_steps += 1,
            _ => self.failed_steps += 1,
        }
    }
}

/// The fields of a run over targets.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FleetRecord {
    /// `TargetParameterName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_parameter_name: Option<String>,
    /// `Targets`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Target>,
    /// `TargetMaps` (serialized as maps of lists of strings, as the service returns them).
    #[serde(serialize_with = "string_list_maps", skip_serializing_if = "Vec::is_empty")]
    pub target_maps: Vec<IndexMap<String, Value>>,
    /// `ResolvedTargets`.
    pub resolved_targets: ResolvedTargets,
    /// `MaxConcurrency`, as given or its default.
    pub max_concurrency: String,
    /// `MaxErrors`, as given or its default.
    pub max_errors: String,
    /// `ProgressCounters`.
    pub progress_counters: ProgressCounters,
}

/// The facts of the parent of a run over target locations, as `GetAutomationExecution` shows
/// them.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LocationsRecord {
    /// `TargetLocations`, as given or as read from `TargetLocationsURL`.
    pub target_locations: Vec<TargetLocation>,
    /// `TargetLocationsURL`.
    #[serde(rename = "TargetLocationsURL", skip_serializing_if = "Option::is_none")]
    pub target_locations_url: Option<String>,
    /// `ProgressCounters`: one child per account and Region.
    pub progress_counters: ProgressCounters,
}

impl Execution {
    /// The record of the step named `name` (its last run, for steps in loops).
    pub fn step(&self, name: &str) -> Option<&StepExecution> {
        self.step_executions.iter().rev().find(|step| step.step_name == name)
    }

    /// The names of the steps that ran, in the order they started (a loop before its body;
    /// loop iterations repeat names).
    pub fn path(&self) -> Vec<&str> {
        self.step_executions
            .iter()
            .filter(|step| step.step_status != Status::Pending)
            .map(|step| step.step_name.as_str())
            .collect()
    }

    /// Every AWS call the run and its child runs made. A run's `Calls` already hold those of
    /// its `aws:executeAutomation` children; a run over targets or over target locations holds
    /// only the calls it made itself (resolving its targets or accounts), so its children's are
    /// gathered from their records, at any depth, and ordered by the run's clock (at the same
    /// time, the parent's first, then the children's in the order they were started).
    pub fn calls_made(&self) -> Vec<&CallRecord> {
        let mut calls: Vec<&CallRecord> = self.calls.iter().collect();
        let before = calls.len();
        self.calls_kept_below(&mut calls);
        if calls.len() > before {
            calls.sort_by_key(|call| call.time);
        }
        calls
    }

    /// Whether this run's children keep their calls in their own records only.
    fn keeps_child_calls_apart(&self) -> bool {
        self.fleet.is_some() || self.locations.is_some()
    }

    /// The calls of this run's descendants that its own `Calls` do not hold.
    fn calls_kept_below<'a>(&'a self, out: &mut Vec<&'a CallRecord>) {
        for child in self.step_executions.iter().filter_map(|step| step.child.as_deref()) {
            if self.keeps_child_calls_apart() {
                out.extend(child.calls_made());
            } else {
                child.calls_kept_below(out);
            }
        }
    }

    /// The record as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// A value as the service lists it: a list stays a list of strings (maps as JSON text), a
/// scalar becomes a one-item list.
pub fn as_string_list(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().map(as_text).collect(),
        other => vec![as_text(other)],
    }
}

/// A value as text: strings as they are, anything else as compact JSON.
pub fn as_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn timestamp<S: Serializer>(time: &jiff::Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
    thread_local! {
        /// The millisecond last written and its text: a run's steps start and end many to a
        /// millisecond, and working the text out costs more than writing it.
        static LAST: RefCell<(Option<(i64, i32)>, String)> =
            const { RefCell::new((None, String::new())) };
    }
    // The second and millisecond the text shows: before 1970 the fraction is negative, and is
    // taken from the second before.
    let millisecond = match (time.as_second(), time.subsec_nanosecond()) {
        (second, nanos) if nanos < 0 => (second - 1, (nanos + 1_000_000_000) / 1_000_000),
        (second, nanos) => (second, nanos / 1_000_000),
    };
    LAST.with_borrow_mut(|(last, text)| {
        if *last != Some(millisecond) {
            let Some(bytes) = service_time(*time) else {
                return serializer.collect_str(&time.strftime(SERVICE_TIME));
            };
            text.clear();
            text.push_str(std::str::from_utf8(&bytes).unwrap_or_default());
            *last = Some(millisecond);
        }
        serializer.serialize_str(text)
    })
}

/// How the record writes times: UTC, to the millisecond.
const SERVICE_TIME: &str = "%Y-%m-%dT%H:%M:%S%.3fZ";

/// `time` written as [`SERVICE_TIME`] says, digit by digit: a record has a few times a step,
/// and the general formatter costs more than the rest of the step's serialization. `None` for
/// years without four digits, which the general formatter writes.
fn service_time(time: jiff::Timestamp) -> Option<[u8; 24]> {
    let civil = jiff::tz::Offset::UTC.to_datetime(time);
    let year = u32::try_from(civil.year()).ok().filter(|year| (1000..=9999).contains(year))?;
    let mut text = *b"0000-00-00T00:00:00.000Z";
    let mut put = |at: usize, width: usize, mut value: u32| {
        for slot in text[at..at + width].iter_mut().rev() {
            *slot = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    let digits = |value: i8| u32::from(value.unsigned_abs());
    put(0, 4, year);
    put(5, 2, digits(civil.month()));
    put(8, 2, digits(civil.day()));
    put(11, 2, digits(civil.hour()));
    put(14, 2, digits(civil.minute()));
    put(17, 2, digits(civil.second()));
    put(20, 3, civil.subsec_nanosecond().unsigned_abs() / 1_000_000);
    Some(text)
}

#[allow(clippy::ref_option, reason = "serde's serialize_with passes &Option")]
fn optional_timestamp<S: Serializer>(
    time: &Option<jiff::Timestamp>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match time {
        Some(time) => timestamp(time, serializer),
        None => serializer.serialize_none(),
    }
}

#[allow(clippy::ref_option, reason = "serde's serialize_with passes &Option")]
fn shared_value<S: Serializer>(
    value: &Option<Arc<Value>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => value.serialize(serializer),
        None => serializer.serialize_none(),
    }
}

fn string_list_map<S: Serializer>(
    map: &IndexMap<String, Value>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_map(map.iter().map(|(key, value)| (key, StringList(value))))
}

fn string_list_maps<S: Serializer>(
    maps: &[IndexMap<String, Value>],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    struct Map<'a>(&'a IndexMap<String, Value>);
    impl Serialize for Map<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            string_list_map(self.0, serializer)
        }
    }
    serializer.collect_seq(maps.iter().map(Map))
}

/// A value serialized as [`as_string_list`] makes it, without making it.
struct StringList<'a>(&'a Value);

impl Serialize for StringList<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Array(items) => serializer.collect_seq(items.iter().map(Text)),
            other => serializer.collect_seq(std::iter::once(Text(other))),
        }
    }
}

/// A value serialized as [`as_text`] makes it, without making it.
struct Text<'a>(&'a Value);

impl Serialize for Text<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::String(text) => serializer.serialize_str(text),
            other => serializer.collect_str(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn times_are_written_in_utc_to_the_millisecond_as_the_general_formatter_writes_them() {
        for text in [
            "2026-12-07T19:16:18.340Z",
            "2026-01-01T00:00:00Z",
            "1999-12-31T23:59:59.999999999Z",
            "2024-02-29T12:34:56.000999Z",
            "1000-01-01T00:00:00.5Z",
        ] {
            let time: jiff::Timestamp = text.parse().unwrap();
            let fast = service_time(time).map(|bytes| String::from_utf8(bytes.to_vec()).unwrap());
            assert_eq!(fast, Some(time.strftime(SERVICE_TIME).to_string()), "{text}");
        }
        let ancient: jiff::Timestamp = "0999-12-31T23:59:59Z".parse().unwrap();
        assert_eq!(service_time(ancient), None);
        // Written through the text kept for the last millisecond: times in one millisecond,
        // times on both sides of 1970 a fraction apart, and the general formatter's years.
        let written = |text: &str| {
            let time: jiff::Timestamp = text.parse().unwrap();
            let value = timestamp(&time, serde_json::value::Serializer).unwrap();
            assert_eq!(value, json!(time.strftime(SERVICE_TIME).to_string()), "{text}");
        };
        for text in [
            "2026-12-07T19:16:18.340Z",
            "2026-12-07T19:16:18.340999Z",
            "2026-12-07T19:16:18.341Z",
            "1970-01-01T00:00:00.0003Z",
            "1969-12-31T23:59:59.9995Z",
            "1970-01-01T00:00:00.0003Z",
            "1969-12-31T23:59:59.0005Z",
            "0999-12-31T23:59:59Z",
            "0999-12-31T23:59:59Z",
            "1000-01-01T00:00:00Z",
            "1969-12-31T23:59:59.0001Z",
        ] {
            written(text);
        }
        let value = serde_json::to_value(CallRecord {
            automation_execution_id: "x".into(),
            step_name: "s".into(),
            service: "ssm".into(),
            api: "GetParameter".into(),
            params: json!({}),
            response: None,
            error: None,
            time: ancient,
            account: None,
            region: None,
        })
        .unwrap();
        assert_eq!(value["Time"], json!("0999-12-31T23:59:59.000Z"));
    }

    #[test]
    fn lists_and_json_texts_serialize_as_the_values_they_are_made_from() {
        let values = [json!("a"), json!(5), json!(["a", 1, {"k": "v\\\"q"}]), json!({"k": [true]})];
        let map: IndexMap<String, Value> =
            values.iter().enumerate().map(|(i, v)| (i.to_string(), v.clone())).collect();
        let made = |f: fn(&Value) -> Value| {
            serde_json::to_string(&map.iter().map(|(k, v)| (k, f(v))).collect::<IndexMap<_, _>>())
                .unwrap()
        };
        let lists = {
            let mut out = serde_json::Serializer::new(Vec::new());
            string_list_map(&map, &mut out).unwrap();
            String::from_utf8(out.into_inner()).unwrap()
        };
        assert_eq!(lists, made(|v| json!(as_string_list(v))));
        let inputs: StepInputs = map.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let texts = serde_json::to_string(&inputs).unwrap();
        assert_eq!(texts, made(|v| json!(v.to_string())));
        assert_eq!(inputs.len(), 4);
        assert_eq!(inputs.get("2"), Some(values[2].clone()));
        assert_eq!(inputs.text("3"), Some("{\"k\":[true]}"));
        assert_eq!(inputs.get("4"), None);
        assert_eq!(inputs.to_map(), map);
        assert!(StepInputs::default().is_empty());
    }

    #[test]
    fn values_list_as_the_service_lists_them() {
        assert_eq!(as_string_list(&json!("a")), ["a"]);
        assert_eq!(as_string_list(&json!(5)), ["5"]);
        assert_eq!(as_string_list(&json!(["a", "b"])), ["a", "b"]);
        assert_eq!(as_string_list(&json!([{"k": 1}])), ["{\"k\":1}"]);
        assert_eq!(as_string_list(&json!({"k": true})), ["{\"k\":true}"]);
    }
}
