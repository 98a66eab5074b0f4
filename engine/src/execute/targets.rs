//! Runs over targets (SPEC 8, RULINGS 22-24): a parent run that resolves its targets and runs
//! the runbook once per target as a child run, under rate control ([`super::rate`]).
//!
//! ```text
//! Fleet ──check──▶ Source ──resolve (host.aws)──▶ targets ──rate control──▶ child runs
//!                                                                  └──▶ parent record
//! ```
//!
//! # Targets
//!
//! | Key | Values | Targets |
//! |---|---|---|
//! | `ParameterValues` | the values | one child per value |
//! | `tag:KEY` | tag values | the EC2 instances with the tag (`ec2.DescribeInstances`, filter `tag:KEY`) |
//! | `tag-key` | tag keys | the EC2 instances with any of the keys (filter `tag-key`) |
//! | `ResourceGroup` | one group name | the group's resources (`resource-groups.ListGroupResources`) |
//! | `AWS::EC2::Instance` | `*` | every EC2 instance (`ec2.DescribeInstances`) |
//! | `InstanceIds` | `*`, or instance ids | every EC2 instance, or those ids |
//! | `TargetMaps` | maps of parameters | one child per map |
//!
//! Every page of an answer is read (`NextToken`). Tags and `*` target EC2 instances only: the
//! runbook's target type, which lets the service target other resources by tag, is a property
//! of a registered document and not part of its content. A resource group member is passed by
//! its id, the last part of its ARN (`arn:aws:ec2:...:instance/i-0abc` gives `i-0abc`,
//! `arn:aws:s3:::bucket` gives `bucket`), as the service passes instance and volume ids.
//! Target lists longer than the service's limits (50 values, 300 maps) are accepted, so that
//! large fleets can be rehearsed.
//!
//! # The run
//!
//! The start request is checked first; what the service would refuse is an error
//! ([`ParameterError`], `parameter` naming the request field at fault) and nothing runs:
//! conflicting or missing fields, a key the service does not know, more than one tag or group,
//! a target parameter the runbook lacks or that is `AutomationAssumeRole`, `MaxConcurrency` or
//! `MaxErrors` outside the service's patterns, and start parameters other than the target
//! parameter that the runbook refuses. Once the targets are resolved, an AWS error while
//! resolving them ends the parent `Failed` with no children.
//!
//! Each child runs the same [`Plan`] (prepared once) with the start parameters plus its target
//! value in the target parameter (or its map's parameters, which win over start parameters of
//! the same name), on its own tokio task; a target value that the parameter refuses fails that
//! child. The parent's record has one step per
//! child started, in target order: `StepName` the target value (for a map of one parameter, its
//! values joined by commas; else each `NAME=values`, joined by `; `), `Action` `aws:executeAutomation`,
//! `Inputs` `{TargetParameterName: value}` (or the map), the child's status, times and record.
//! Children never started have no step. The parent ends `Cancelled` when cancelled (the cancel
//! reaches every running child), else `Success` when every child it started ended `Success`,
//! else `Failed`; with no targets at all it ends `Success`.

use std::fmt::Write;
use std::sync::Arc;

use indexmap::{IndexMap, IndexSet};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tokio::task::JoinSet;

use super::action::StepContext;
use super::plan::Plan;
use super::rate::{MaxConcurrency, MaxErrors, RateControl};
use super::run::{Executor, Shared};
use super::{IdGenerator, RunOptions};
use crate::document::Document;
use crate::host::{Event, NoObserver, RunRef};
use crate::params::{ParameterError, bind_parameters};
use crate::record::{
    Execution, FailureDetails, FailureStage, FailureType, FleetRecord, ProgressCounters,
    ResolvedTargets, Status, StepExecution, Target, as_string_list, as_text,
};

/// The step name the calls that resolve targets are recorded under.
const RESOLVE_STEP: &str = "ResolveTargets";

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
enum Source {
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
struct Checked {
    parameter: Option<String>,
    source: Source,
    concurrency: MaxConcurrency,
    errors: MaxErrors,
}

/// One resolved target.
struct FleetTarget {
    /// The parent's step name for it.
    name: String,
    /// Its parameters, added to the start parameters.
    parameters: IndexMap<String, Value>,
    /// The parent's step inputs for it.
    inputs: IndexMap<String, Value>,
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

    fn checked(&self, document: &Document) -> Result<Checked, ParameterError> {
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
fn list_of_maps(value: &Value, field: &str) -> Result<Vec<Map<String, Value>>, String> {
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
fn text_values(value: &Value) -> Vec<String> {
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

/// The targets of `checked`, through the run's AWS backend.
async fn resolve(cx: &StepContext<'_>, checked: &Checked) -> Result<Vec<FleetTarget>, String> {
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
async fn paged(
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

/// Runs `plan` over the targets of `fleet` (see the module doc).
pub(crate) async fn run_fleet(
    executor: &Executor,
    plan: Arc<Plan>,
    options: RunOptions,
    fleet: Fleet,
) -> Result<Execution, ParameterError> {
    let checked = fleet.checked(&plan.document)?;
    let host = executor.host().clone();
    let start = host.clock.now();
    let execution_id = options.execution_id.clone().unwrap_or_else(|| host.context.ids.next_id());
    let run_ref = RunRef { execution_id, document: plan.document_name(), depth: options.depth };

    // Targets are resolved before the run is announced (a refused start announces nothing):
    // the calls are kept, and reported once it starts.
    let mut quiet = host.clone();
    quiet.observer = Arc::new(NoObserver);
    let shared =
        Shared::new(quiet, plan.document.clone(), run_ref.clone(), options.call_logs.clone());
    let cx = StepContext { shared: &shared, step: RESOLVE_STEP, timeout: None };
    let resolved = resolve(&cx, &checked).await;
    if let Ok(targets) = &resolved {
        check_start_parameters(&plan.document, &options, &checked, targets, &host).await?;
    }
    // The children's calls join the resolving ones as they are made.
    let resolving = shared.take_calls();
    let options = RunOptions { call_logs: shared.lineage(), ..options };

    let mut parent = Parent {
        host: &host,
        run_ref: &run_ref,
        step_ids: IdGenerator::new(
            run_ref.execution_id.bytes().fold(0u64, |h, b| h.rotate_left(5) ^ u64::from(b)),
        ),
    };
    parent.emit(&Event::RunStarted { run: &run_ref });
    for call in &resolving {
        parent.emit(&Event::AwsCall { run: &run_ref, call });
    }

    let (targets, failure) = match resolved {
        Ok(targets) => (targets, None),
        Err(message) => (Vec::new(), Some(format!("cannot resolve the targets: {message}"))),
    };
    let outcome = if failure.is_none() {
        parent.run_children(executor, &plan, &options, &checked, &targets).await
    } else {
        Outcome::default()
    };

    let counters = outcome.counters;
    // A cancel that came once every child had ended changed nothing.
    let cancelled =
        options.cancel.is_cancelled() && (counters.cancelled_steps > 0 || outcome.not_started > 0);
    let (status, failure_message) = if let Some(message) = failure {
        (Status::Failed, Some(message))
    } else if cancelled {
        (Status::Cancelled, Some("the run was cancelled".to_string()))
    } else if options.budget.is_exhausted() && outcome.not_started > 0 {
        (Status::Failed, Some(options.budget.message()))
    } else if counters.success_steps == counters.total_steps {
        (Status::Success, None)
    } else {
        let not_ok = counters.total_steps - counters.success_steps;
        let mut message =
            format!("{not_ok} of {} child automations did not succeed", counters.total_steps);
        if outcome.threshold_passed && outcome.not_started > 0 {
            let _ = write!(
                message,
                "; {} targets were not started: more than {} errors allowed (MaxErrors {})",
                outcome.not_started, outcome.errors_allowed, checked.errors
            );
        }
        (Status::Failed, Some(message))
    };
    let resolved_targets = ResolvedTargets::new(targets.iter().map(|t| t.name.as_str()));
    let execution = Execution {
        automation_execution_id: run_ref.execution_id.clone(),
        document_name: run_ref.document.clone(),
        document_version: "1".to_string(),
        automation_execution_status: status,
        execution_start_time: start,
        execution_end_time: Some(host.clock.now()),
        mode: "Auto".to_string(),
        parameters: options.parameters.clone(),
        outputs: IndexMap::new(),
        variables: IndexMap::new(),
        step_executions: outcome.steps,
        failure_message,
        parent_automation_execution_id: options.parent.clone(),
        calls: resolving.into_iter().chain(shared.take_calls()).collect(),
        warnings: Vec::new(),
        fleet: Some(FleetRecord {
            target_parameter_name: fleet.target_parameter_name,
            targets: fleet.targets,
            target_maps: fleet.target_maps,
            resolved_targets,
            max_concurrency: checked.concurrency.to_string(),
            max_errors: checked.errors.to_string(),
            progress_counters: counters,
        }),
    };
    parent.emit(&Event::RunFinished { run: &run_ref, execution: &execution });
    Ok(execution)
}

/// Refuses start parameters the runbook refuses, other than the target parameters (whose
/// values come per child: a bad one fails its child). They are bound with the first target's
/// values, so that a required target parameter does not hide the others.
async fn check_start_parameters(
    document: &Document,
    options: &RunOptions,
    checked: &Checked,
    targets: &[FleetTarget],
    host: &super::Host,
) -> Result<(), ParameterError> {
    let mut parameters = options.parameters.clone();
    if let Some(first) = targets.first() {
        parameters.extend(first.parameters.clone());
    }
    let is_target_parameter = |name: &str| match &checked.source {
        Source::Maps(maps) => maps.iter().any(|map| map.contains_key(name)),
        _ => checked.parameter.as_deref() == Some(name),
    };
    match bind_parameters(document, &parameters, host.parameter_store.as_ref()).await {
        Err(error) if !is_target_parameter(&error.parameter) => Err(error),
        _ => Ok(()),
    }
}

/// What the children did.
#[derive(Default)]
struct Outcome {
    steps: Vec<StepExecution>,
    counters: ProgressCounters,
    threshold_passed: bool,
    not_started: usize,
    errors_allowed: usize,
}

/// The parent run while its children run.
struct Parent<'a> {
    host: &'a super::Host,
    run_ref: &'a RunRef,
    step_ids: IdGenerator,
}

impl Parent<'_> {
    fn emit(&self, event: &Event<'_>) {
        self.host.observer.on_event(event);
    }

    /// Runs one child per target under rate control; the steps of those started, in target
    /// order.
    async fn run_children(
        &mut self,
        executor: &Executor,
        plan: &Arc<Plan>,
        options: &RunOptions,
        checked: &Checked,
        targets: &[FleetTarget],
    ) -> Outcome {
        let mut rate = RateControl::with_limits(targets.len(), checked.concurrency, checked.errors);
        let mut tasks: JoinSet<Result<Execution, ParameterError>> = JoinSet::new();
        let mut running: IndexMap<tokio::task::Id, (usize, jiff::Timestamp)> = IndexMap::new();
        let mut steps: Vec<Option<StepExecution>> = Vec::new();
        steps.resize_with(targets.len(), || None);
        let mut counters = ProgressCounters::default();
        loop {
            // A spent budget (RULINGS 25) starts no more children: they could run nothing.
            while !options.cancel.is_cancelled() && !options.budget.is_exhausted() {
                let Some(index) = rate.next_start() else { break };
                let target = &targets[index];
                self.emit(&Event::StepStarted {
                    run: self.run_ref,
                    step: &target.name,
                    action: "aws:executeAutomation",
                    attempt: 1,
                    max_attempts: 1,
                });
                let mut parameters = options.parameters.clone();
                parameters.extend(target.parameters.iter().map(|(k, v)| (k.clone(), v.clone())));
                let child = RunOptions {
                    parameters,
                    cancel: options.cancel.clone(),
                    execution_id: None,
                    fleet: None,
                    budget: options.budget.clone(),
                    depth: options.depth + 1,
                    parent: Some(self.run_ref.execution_id.clone()),
                    call_logs: options.call_logs.clone(),
                };
                let executor = executor.clone();
                let plan = plan.clone();
                let handle = tasks.spawn(async move { executor.run_one(plan, child).await });
                running.insert(handle.id(), (index, self.host.clock.now()));
            }
            let progress = rate.progress();
            self.emit(&Event::FleetProgress {
                run: self.run_ref,
                done: progress.done,
                running: progress.running,
                failed: progress.failed,
                remaining: progress.remaining,
            });
            let Some(joined) = tasks.join_next_with_id().await else { break };
            let (id, result) = match joined {
                Ok((id, result)) => (id, result.map_err(|error| error.message)),
                Err(error) => (error.id(), Err(format!("the child run stopped: {error}"))),
            };
            let Some((index, started)) = running.swap_remove(&id) else { continue };
            let step = self.child_step(&targets[index], result, started);
            rate.finish(step.step_status == Status::Success);
            counters.count(step.step_status);
            self.emit(&Event::StepFinished { run: self.run_ref, step: &step });
            steps[index] = Some(step);
        }
        let mut started = Vec::with_capacity(rate.started());
        started.extend(steps.into_iter().flatten());
        Outcome {
            steps: started,
            counters,
            threshold_passed: rate.threshold_passed(),
            not_started: rate.progress().remaining,
            errors_allowed: rate.errors_allowed(),
        }
    }

    /// The parent's step for a child: its record, or why it could not start.
    fn child_step(
        &self,
        target: &FleetTarget,
        result: Result<Execution, String>,
        started: jiff::Timestamp,
    ) -> StepExecution {
        let mut step = StepExecution {
            step_name: target.name.clone(),
            action: "aws:executeAutomation".to_string(),
            step_execution_id: self.step_ids.next_id(),
            step_status: Status::Failed,
            execution_start_time: Some(started),
            execution_end_time: Some(self.host.clock.now()),
            inputs: target.inputs.clone(),
            outputs: IndexMap::new(),
            response: None,
            failure_message: None,
            failure_details: None,
            timeout_seconds: None,
            // A failed child does not stop the others (the error threshold does), and it counts
            // for the parent's status.
            on_failure: "Continue".to_string(),
            max_attempts: 1,
            attempts: 1,
            is_end: false,
            is_critical: true,
            next_step: None,
            stdout: String::new(),
            stderr: String::new(),
            parent_step_details: None,
            child: None,
        };
        match result {
            Ok(child) => {
                step.step_status = child.automation_execution_status;
                step.execution_start_time = Some(child.execution_start_time);
                step.execution_end_time = child.execution_end_time.or(step.execution_end_time);
                if step.step_status != Status::Success {
                    step.failure_message = Some(match &child.failure_message {
                        Some(message) => format!(
                            "the automation {} ended {}: {message}",
                            child.automation_execution_id, child.automation_execution_status
                        ),
                        None => format!(
                            "the automation {} ended {}",
                            child.automation_execution_id, child.automation_execution_status
                        ),
                    });
                }
                if matches!(step.step_status, Status::Failed | Status::TimedOut) {
                    step.failure_details = Some(FailureDetails {
                        failure_stage: FailureStage::Invocation,
                        failure_type: FailureType::Action,
                        details: IndexMap::new(),
                    });
                }
                step.child = Some(Box::new(child));
            }
            Err(message) => {
                step.failure_message = Some(message);
                step.failure_details = Some(FailureDetails {
                    failure_stage: FailureStage::InputValidation,
                    failure_type: FailureType::Action,
                    details: IndexMap::new(),
                });
            }
        }
        step
    }
}

#[cfg(test)]
mod tests {
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
