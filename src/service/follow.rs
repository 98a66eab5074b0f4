//! Starting an execution on the service and following it: `GetAutomationExecution` and
//! `DescribeAutomationStepExecutions` polled, child executions included, each change of the
//! record told to an [`Observer`] as the events of a local run, so that the same live progress
//! shows either.
//!
//! Polls come at the [`Polling`] interval, which grows while nothing changes and doubles
//! whenever the service answers with throttling (up to its maximum), so the follower never
//! asks more often than the account's limits allow. A cancel calls
//! `StopAutomationExecution` once and follows the execution to its end; a follower out of
//! patience stops following and leaves the execution running.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use indexmap::IndexMap;
use runbook_engine::execute::CancelToken;
use runbook_engine::host::{ApiError, AwsBackend, Clock, Event, Observer, RunRef};
use runbook_engine::record::{Execution, Status, StepExecution, Target, TargetLocation};
use serde_json::{Value, json};

use super::deploy::call;
use super::record::{self, RecordError};

/// How often to poll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Polling {
    /// The first interval, and the one after a poll that saw a change.
    pub interval: Duration,
    /// The longest interval, however long the execution or the throttling lasts.
    pub max_interval: Duration,
}

impl Default for Polling {
    fn default() -> Self {
        Self { interval: Duration::from_secs(2), max_interval: Duration::from_secs(30) }
    }
}

impl Polling {
    fn grown(self, current: Duration, factor: f64) -> Duration {
        current.mul_f64(factor).min(self.max_interval).max(self.interval)
    }
}

/// Why following failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FollowError {
    /// The service has no execution with that id.
    #[error("no automation execution {0} in this account and region")]
    NoSuchExecution(String),
    /// A call failed.
    #[error("{operation}: {error}")]
    Api {
        /// `ssm.GetAutomationExecution`...
        operation: String,
        /// The service's answer.
        error: ApiError,
    },
    /// The answer is not a record.
    #[error(transparent)]
    Record(#[from] RecordError),
}

impl FollowError {
    fn is_throttling(&self) -> bool {
        matches!(self, Self::Api { error, .. } if error.is_throttling())
    }

    fn from_call(id: &str, (operation, error): (String, ApiError)) -> Self {
        if error.code == "AutomationExecutionNotFoundException" {
            Self::NoSuchExecution(id.to_string())
        } else {
            Self::Api { operation, error }
        }
    }
}

/// What to start: `StartAutomationExecution`'s parameters.
#[derive(Clone, Debug, Default)]
pub struct StartRequest {
    /// The document.
    pub document: String,
    /// Its version.
    pub version: Option<String>,
    /// The parameters, each a list of strings as the service takes them.
    pub parameters: IndexMap<String, Vec<String>>,
    /// `TargetParameterName`.
    pub target_parameter: Option<String>,
    /// `Targets`.
    pub targets: Vec<Target>,
    /// `TargetMaps`.
    pub target_maps: Vec<IndexMap<String, Vec<String>>>,
    /// `MaxConcurrency`.
    pub max_concurrency: Option<String>,
    /// `MaxErrors`.
    pub max_errors: Option<String>,
    /// `TargetLocations`: the accounts and Regions to run in.
    pub target_locations: Vec<TargetLocation>,
}

/// Starts an execution; its id.
pub async fn start(
    backend: &dyn AwsBackend,
    request: &StartRequest,
) -> Result<String, FollowError> {
    let mut params = json!({"DocumentName": request.document, "Mode": "Auto"});
    if let Some(version) = &request.version {
        params["DocumentVersion"] = json!(version);
    }
    if !request.parameters.is_empty() {
        params["Parameters"] = json!(request.parameters);
    }
    if let Some(name) = &request.target_parameter {
        params["TargetParameterName"] = json!(name);
    }
    if !request.targets.is_empty() {
        params["Targets"] = serde_json::to_value(&request.targets).unwrap_or_default();
    }
    if !request.target_maps.is_empty() {
        params["TargetMaps"] = json!(request.target_maps);
    }
    if let Some(value) = &request.max_concurrency {
        params["MaxConcurrency"] = json!(value);
    }
    if let Some(value) = &request.max_errors {
        params["MaxErrors"] = json!(value);
    }
    if !request.target_locations.is_empty() {
        params["TargetLocations"] =
            serde_json::to_value(&request.target_locations).unwrap_or_default();
    }
    let response = call(backend, "ssm", "StartAutomationExecution", params)
        .await
        .map_err(|failure| FollowError::Api { operation: failure.0, error: failure.1 })?;
    response.get("AutomationExecutionId").and_then(Value::as_str).map(String::from).ok_or_else(
        || {
            FollowError::Record(RecordError::missing(
                "StartAutomationExecution",
                "AutomationExecutionId",
            ))
        },
    )
}

/// How following ended.
#[derive(Debug)]
pub enum Followed {
    /// The execution ended; its record.
    Ended(Execution),
    /// Patience ran out first; the record as last seen.
    Detached(Execution),
}

/// Follows executions on the service.
pub struct Follower {
    backend: Arc<dyn AwsBackend>,
    clock: Arc<dyn Clock>,
    observer: Arc<dyn Observer>,
    polling: Polling,
}

/// What the observer was told of each execution.
#[derive(Default)]
struct Told {
    runs: IndexMap<String, RunTold>,
}

#[derive(Default)]
struct RunTold {
    finished: bool,
    steps: IndexMap<String, Status>,
    fleet: Option<(usize, usize, usize, usize)>,
}

impl Follower {
    /// A follower calling `backend`, sleeping on `clock`, telling `observer`.
    pub fn new(
        backend: Arc<dyn AwsBackend>,
        clock: Arc<dyn Clock>,
        observer: Arc<dyn Observer>,
        polling: Polling,
    ) -> Self {
        Self { backend, clock, observer, polling }
    }

    /// The execution's record now, its children's included, without telling the observer.
    pub async fn fetch(&self, id: &str) -> Result<Execution, FollowError> {
        self.snapshot(id, 0, &mut None, &mut IndexMap::new()).await
    }

    /// Follows the execution `id` to its end, or until `patience` ran out. A cancel of
    /// `cancel` stops the execution (once) and follows it until it ends.
    pub async fn follow(
        &self,
        id: &str,
        cancel: &CancelToken,
        patience: Option<Duration>,
    ) -> Result<Followed, FollowError> {
        let latest = Mutex::new(None);
        let following = self.follow_to_end(id, cancel, &latest);
        let ended = match patience {
            Some(patience) => tokio::select! {
                ended = following => Some(ended),
                () = self.clock.sleep(patience) => None,
            },
            None => Some(following.await),
        };
        match ended {
            Some(result) => result.map(Followed::Ended),
            None => {
                let last = latest.lock().unwrap_or_else(PoisonError::into_inner).take();
                match last {
                    Some(execution) => Ok(Followed::Detached(execution)),
                    None => self.fetch(id).await.map(Followed::Detached),
                }
            }
        }
    }

    async fn follow_to_end(
        &self,
        id: &str,
        cancel: &CancelToken,
        latest: &Mutex<Option<Execution>>,
    ) -> Result<Execution, FollowError> {
        let mut told = Some(Told::default());
        let mut cache = IndexMap::new();
        let mut interval = self.polling.interval;
        let mut stopped = false;
        loop {
            if cancel.is_cancelled() && !stopped {
                match call(
                    &*self.backend,
                    "ssm",
                    "StopAutomationExecution",
                    json!({"AutomationExecutionId": id, "Type": "Cancel"}),
                )
                .await
                {
                    Ok(_) => stopped = true,
                    Err((_, error)) if error.is_throttling() => {
                        interval = self.polling.grown(interval, 2.0);
                    }
                    // It ended meanwhile: the next poll tells how.
                    Err((_, error)) if error.code == "InvalidAutomationStatusUpdateException" => {
                        stopped = true;
                    }
                    Err(failure) => return Err(FollowError::from_call(id, failure)),
                }
            }
            let before = told.as_ref().map_or(0, Told::changes);
            match self.snapshot(id, 0, &mut told, &mut cache).await {
                Ok(execution) => {
                    if execution.automation_execution_status.is_terminal() {
                        return Ok(execution);
                    }
                    let changed = told.as_ref().map_or(0, Told::changes) != before;
                    interval = if changed {
                        self.polling.interval
                    } else {
                        self.polling.grown(interval, 1.25)
                    };
                    *latest.lock().unwrap_or_else(PoisonError::into_inner) = Some(execution);
                }
                Err(error) if error.is_throttling() => {
                    interval = self.polling.grown(interval, 2.0);
                }
                Err(error) => return Err(error),
            }
            if stopped {
                self.clock.sleep(interval).await;
            } else {
                tokio::select! {
                    () = self.clock.sleep(interval) => {}
                    () = cancel.cancelled() => {}
                }
            }
        }
    }

    /// The record of `id` and its children, telling `told`'s observer what changed. Children
    /// that ended are read once (`cache`).
    fn snapshot<'a>(
        &'a self,
        id: &'a str,
        depth: u32,
        told: &'a mut Option<Told>,
        cache: &'a mut IndexMap<String, Execution>,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<Execution, FollowError>> + Send + 'a>> {
        Box::pin(async move {
            if let Some(done) = cache.get(id) {
                return Ok(done.clone());
            }
            let backend = &*self.backend;
            let response = call(
                backend,
                "ssm",
                "GetAutomationExecution",
                json!({"AutomationExecutionId": id}),
            )
            .await
            .map_err(|failure| FollowError::from_call(id, failure))?;
            let value = response.get("AutomationExecution").cloned().unwrap_or(Value::Null);
            let mut steps = Vec::new();
            let mut token: Option<String> = None;
            loop {
                let mut params = json!({"AutomationExecutionId": id, "MaxResults": 50});
                if let Some(token) = &token {
                    params["NextToken"] = json!(token);
                }
                let page = call(backend, "ssm", "DescribeAutomationStepExecutions", params)
                    .await
                    .map_err(|failure| FollowError::from_call(id, failure))?;
                if let Some(listed) = page.get("StepExecutions").and_then(Value::as_array) {
                    steps.extend(listed.iter().cloned());
                }
                token = page.get("NextToken").and_then(Value::as_str).map(String::from);
                if token.is_none() {
                    break;
                }
            }
            let mut execution = record::execution(&value, Some(&steps))?;
            let run = RunRef {
                execution_id: execution.automation_execution_id.clone(),
                document: execution.document_name.clone(),
                depth,
            };
            if let Some(told) = told.as_mut()
                && !told.runs.contains_key(id)
            {
                told.runs.insert(id.to_string(), RunTold::default());
                self.observer.on_event(&Event::RunStarted { run: &run });
            }
            for index in 0..execution.step_executions.len() {
                let key = step_key(&execution.step_executions[index], index);
                let status = execution.step_executions[index].step_status;
                let before = told.as_ref().and_then(|t| t.runs[id].steps.get(&key).copied());
                if before.is_none() && status != Status::Pending {
                    let step = &execution.step_executions[index];
                    self.observer.on_event(&Event::StepStarted {
                        run: &run,
                        step: &step.step_name,
                        action: &step.action,
                        attempt: 1,
                        max_attempts: step.max_attempts,
                    });
                }
                if let Some(child) = record::child_id(&execution.step_executions[index]) {
                    let child = child.to_string();
                    let record = self.snapshot(&child, depth + 1, told, cache).await?;
                    execution.step_executions[index].child = Some(Box::new(record));
                }
                if let Some(told) = told.as_mut() {
                    let steps = &mut told.runs[id].steps;
                    let was_terminal = before.is_some_and(Status::is_terminal);
                    if status != Status::Pending {
                        steps.insert(key, status);
                    }
                    if status.is_terminal() && !was_terminal {
                        self.observer.on_event(&Event::StepFinished {
                            run: &run,
                            step: &execution.step_executions[index],
                        });
                    }
                }
            }
            if let Some(told) = told.as_mut() {
                let state = &mut told.runs[id];
                if let Some(fleet) = &execution.fleet {
                    let counts =
                        fleet_counts(&execution, fleet.resolved_targets.parameter_values.len());
                    if state.fleet != Some(counts) {
                        state.fleet = Some(counts);
                        let (done, running, failed, remaining) = counts;
                        self.observer.on_event(&Event::FleetProgress {
                            run: &run,
                            done,
                            running,
                            failed,
                            remaining,
                        });
                    }
                }
                if execution.automation_execution_status.is_terminal() && !state.finished {
                    state.finished = true;
                    self.observer
                        .on_event(&Event::RunFinished { run: &run, execution: &execution });
                }
            }
            if depth > 0 && execution.automation_execution_status.is_terminal() {
                cache.insert(id.to_string(), execution.clone());
            }
            Ok(execution)
        })
    }
}

impl Told {
    /// A count that grows with every change told.
    fn changes(&self) -> usize {
        self.runs
            .values()
            .map(|run| {
                run.steps.values().map(|s| 1 + usize::from(s.is_terminal())).sum::<usize>()
                    + usize::from(run.finished)
                    + run.fleet.map_or(0, |(done, running, ..)| done * 2 + running)
            })
            .sum()
    }
}

fn step_key(step: &StepExecution, index: usize) -> String {
    if step.step_execution_id.is_empty() {
        format!("{index}:{}", step.step_name)
    } else {
        step.step_execution_id.clone()
    }
}

/// Children done, running, failed and not started, from the parent's steps.
fn fleet_counts(execution: &Execution, targets: usize) -> (usize, usize, usize, usize) {
    let steps = &execution.step_executions;
    let done = steps.iter().filter(|s| s.step_status.is_terminal()).count();
    let failed = steps
        .iter()
        .filter(|s| s.step_status.is_terminal() && s.step_status != Status::Success)
        .count();
    let running = steps
        .iter()
        .filter(|s| !s.step_status.is_terminal() && s.step_status != Status::Pending)
        .count();
    let remaining = if execution.automation_execution_status.is_terminal() {
        targets.saturating_sub(done)
    } else {
        targets.saturating_sub(done + running)
    };
    (done, running, failed, remaining)
}

#[cfg(test)]
mod tests {
    use runbook_engine::host::{BoxFuture, VirtualClock, virtual_runtime};

    use super::*;

    /// Answers `GetAutomationExecution` from a script (the last answer repeated), remembering
    /// when on the virtual clock each came.
    struct Scripted {
        clock: VirtualClock,
        answers: Mutex<Vec<Result<Value, ApiError>>>,
        asked_at: Mutex<Vec<Duration>>,
        current: Mutex<Value>,
    }

    impl AwsBackend for Scripted {
        fn call(
            &self,
            request: runbook_engine::host::ApiRequest,
        ) -> BoxFuture<'_, Result<Value, ApiError>> {
            let answer = match request.api.as_str() {
                "GetAutomationExecution" => {
                    self.asked_at.lock().unwrap().push(self.clock.elapsed());
                    let mut answers = self.answers.lock().unwrap();
                    let answer =
                        if answers.len() > 1 { answers.remove(0) } else { answers[0].clone() };
                    if let Ok(execution) = &answer {
                        *self.current.lock().unwrap() = execution.clone();
                    }
                    answer.map(|execution| json!({"AutomationExecution": execution}))
                }
                "DescribeAutomationStepExecutions" => {
                    let current = self.current.lock().unwrap();
                    Ok(json!({"StepExecutions": current["StepExecutions"].clone()}))
                }
                other => Err(ApiError::new("Unexpected", other)),
            };
            Box::pin(async move { answer })
        }
    }

    #[derive(Default)]
    struct Events(Mutex<Vec<String>>);

    impl Observer for Events {
        fn on_event(&self, event: &Event<'_>) {
            let text = match event {
                Event::RunStarted { run } => format!("run {}", run.execution_id),
                Event::StepStarted { step, .. } => format!("start {step}"),
                Event::StepFinished { step, .. } => {
                    format!("end {} {}", step.step_name, step.step_status)
                }
                Event::RunFinished { execution, .. } => {
                    format!("ended {}", execution.automation_execution_status)
                }
                _ => return,
            };
            self.0.lock().unwrap().push(text);
        }
    }

    #[allow(clippy::unnecessary_wraps, reason = "one of the script's answers, as throttled() is")]
    fn execution(status: &str, step: &str) -> Result<Value, ApiError> {
        Ok(json!({
            "AutomationExecutionId": "e-1", "DocumentName": "d",
            "AutomationExecutionStatus": status,
            "StepExecutions": [{"StepName": "a", "Action": "aws:sleep", "StepStatus": step,
                                "StepExecutionId": "s-a"}],
        }))
    }

    fn throttled() -> Result<Value, ApiError> {
        Err(ApiError::new("ThrottlingException", "Rate exceeded").with_status(400))
    }

    #[test]
    fn polls_back_off_while_nothing_changes_and_further_when_throttled() {
        let runtime = virtual_runtime().unwrap();
        runtime.block_on(async {
            let clock = VirtualClock::new(jiff::Timestamp::UNIX_EPOCH);
            let backend = Arc::new(Scripted {
                clock: clock.clone(),
                answers: Mutex::new(vec![
                    execution("InProgress", "InProgress"),
                    throttled(),
                    throttled(),
                    execution("InProgress", "InProgress"),
                    execution("InProgress", "InProgress"),
                    execution("Success", "Success"),
                ]),
                asked_at: Mutex::new(Vec::new()),
                current: Mutex::new(Value::Null),
            });
            let events = Arc::new(Events::default());
            let polling =
                Polling { interval: Duration::from_secs(2), max_interval: Duration::from_secs(9) };
            let follower = Follower::new(backend.clone(), Arc::new(clock), events.clone(), polling);
            let outcome = follower.follow("e-1", &CancelToken::new(), None).await.unwrap();
            let Followed::Ended(record) = outcome else { panic!("{outcome:?}") };
            assert_eq!(record.automation_execution_status, Status::Success);
            let asked = backend.asked_at.lock().unwrap().clone();
            let gaps: Vec<f64> =
                asked.windows(2).map(|w| w[1].saturating_sub(w[0]).as_secs_f64()).collect();
            // A change resets the wait; throttling doubles it; quiet polls grow it; 9s caps it.
            assert_eq!(gaps, [2.0, 4.0, 8.0, 9.0, 9.0]);
            assert_eq!(
                *events.0.lock().unwrap(),
                ["run e-1", "start a", "end a Success", "ended Success"]
            );
        });
    }

    #[test]
    fn patience_ends_following_with_the_record_last_seen() {
        let runtime = virtual_runtime().unwrap();
        runtime.block_on(async {
            let clock = VirtualClock::new(jiff::Timestamp::UNIX_EPOCH);
            let backend = Arc::new(Scripted {
                clock: clock.clone(),
                answers: Mutex::new(vec![execution("InProgress", "InProgress")]),
                asked_at: Mutex::new(Vec::new()),
                current: Mutex::new(Value::Null),
            });
            let follower = Follower::new(
                backend.clone(),
                Arc::new(clock),
                Arc::new(runbook_engine::host::NoObserver),
                Polling::default(),
            );
            let patience = Some(Duration::from_secs(3600));
            let outcome = follower.follow("e-1", &CancelToken::new(), patience).await.unwrap();
            let Followed::Detached(record) = outcome else { panic!("{outcome:?}") };
            assert_eq!(record.automation_execution_status, Status::InProgress);
            let asked = backend.asked_at.lock().unwrap();
            assert!(asked.iter().all(|at| *at <= Duration::from_secs(3600)), "{asked:?}");
            // Two seconds, growing by a quarter each quiet poll, capped at thirty: an hour is
            // well under two hundred polls.
            assert!((120..200).contains(&asked.len()), "{}", asked.len());
        });
    }
}
