//! The run loop: steps one at a time in their scope (the main steps or a loop body), each with
//! its attempts, timeouts and outputs, and the control flow of RULINGS 1-8 between them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use indexmap::IndexMap;
use serde_json::Value;

use super::action::{ActionOutput, FailureKind, StepContext, StepFailure};
use super::plan::{Plan, PlannedStep, Scope, StepId};
use super::value::{Left, Missing, coerce, convert_output, describe};
use super::{Actions, CancelToken, Host, MAX_DEPTH, RunOptions};
use crate::document::{OnCancel, OnFailure, Parameter};
use crate::host::{BoxFuture, Event, RunRef};
use crate::params::{ParameterError, bind_parameters_for_run};
use crate::record::{
    CallRecord, Execution, FailureDetails, ParentStepDetails, RunWarning, Status, StepExecution,
};
use crate::template::Target;

/// The cancel workflow's time limit (SPEC section 4).
const CANCEL_CHAIN_LIMIT: Duration = Duration::from_secs(120);

/// Runs plans.
#[derive(Clone, Debug)]
pub struct Executor {
    actions: Arc<Actions>,
    host: Host,
}

/// The calls of one run, as they are made.
pub(crate) type CallLog = Mutex<Vec<CallRecord>>;

/// What a run shares with its steps' contexts.
pub(crate) struct Shared {
    pub(crate) host: Host,
    pub(crate) document: Arc<crate::document::Document>,
    pub(crate) run_ref: RunRef,
    calls: Arc<CallLog>,
    /// The call logs of the runs above this one: each call goes to them too, as it is made, so
    /// that a parent's record lists its children's calls where they happened.
    ancestors: Vec<Arc<CallLog>>,
}

impl Shared {
    pub(crate) fn new(
        host: Host,
        document: Arc<crate::document::Document>,
        run_ref: RunRef,
        ancestors: Vec<Arc<CallLog>>,
    ) -> Self {
        Self { host, document, run_ref, calls: Arc::default(), ancestors }
    }

    /// The calls recorded so far, leaving none.
    pub(crate) fn take_calls(&self) -> Vec<CallRecord> {
        self.calls.lock().map(|mut calls| std::mem::take(&mut *calls)).unwrap_or_default()
    }

    /// The call logs a child run of this one reports to: its ancestors' and this run's.
    pub(crate) fn lineage(&self) -> Vec<Arc<CallLog>> {
        let mut logs = self.ancestors.clone();
        logs.push(self.calls.clone());
        logs
    }

    pub(crate) fn emit(&self, event: &Event<'_>) {
        self.host.observer.on_event(event);
    }

    pub(crate) fn record_call(&self, call: CallRecord) {
        for log in &self.ancestors {
            if let Ok(mut calls) = log.lock() {
                calls.push(call.clone());
            }
        }
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(call);
        }
    }
}

impl Executor {
    /// An executor with `actions` (the control actions are built in) and `host`.
    pub fn new(actions: Arc<Actions>, host: Host) -> Self {
        Self { actions, host }
    }

    /// The host runs use.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// Runs `plan`, or with [`RunOptions::fleet`] one child run of it per target under a
    /// parent run (see [`super::targets`]). Fails only when the start request is refused (its
    /// parameters, targets or rate limits), before any step starts.
    pub async fn run(
        &self,
        plan: Arc<Plan>,
        mut options: RunOptions,
    ) -> Result<Execution, ParameterError> {
        if let Some(fleet) = options.fleet.take() {
            return super::targets::run_fleet(self, plan, options, fleet).await;
        }
        self.run_one(plan, options).await
    }

    /// Runs `plan` once, ignoring [`RunOptions::fleet`].
    pub(crate) async fn run_one(
        &self,
        plan: Arc<Plan>,
        options: RunOptions,
    ) -> Result<Execution, ParameterError> {
        let execution_id =
            options.execution_id.clone().unwrap_or_else(|| self.host.context.ids.next_id());
        let run_ref = RunRef { execution_id, document: plan.document_name(), depth: options.depth };
        let shared = Arc::new(Shared::new(
            self.host.clone(),
            plan.document.clone(),
            run_ref,
            options.call_logs.clone(),
        ));
        // Parameter Store reads of defaults are the run's calls, recorded as its steps' are.
        let cx = StepContext { shared: &shared, step: PARAMETERS_STEP, timeout: None };
        let parameters = bind_parameters_for_run(
            &plan.document,
            &options.parameters,
            self.host.parameter_store.as_ref(),
            Some(&cx as &dyn crate::host::ScriptCalls),
        )
        .await?;
        let mut run = Run::new(self.clone(), plan, shared, options, parameters);
        run.resolve_parameter_templates()?;
        Ok(run.execute().await)
    }
}

/// The step name under which a run's Parameter Store reads of parameter defaults are recorded.
pub(crate) const PARAMETERS_STEP: &str = "ResolveParameters";

/// `inputs` with each of the step's one-item inputs replaced by its only item (see
/// [`crate::typing`]).
fn one_item_inputs(step: &PlannedStep, mut inputs: Value) -> Result<Value, String> {
    if let Value::Object(map) = &mut inputs {
        for name in &step.one_item_inputs {
            if let Some(value) = map.get_mut(name) {
                *value = crate::typing::single_item(name, value.take())?;
            }
        }
    }
    Ok(inputs)
}

/// How a scope (the main steps or one pass of a loop body) ended.
pub(crate) enum ScopeEnd {
    /// It ran out of steps, or a step ended it with `isEnd`.
    Finished,
    /// A failure with `onFailure: Abort` stopped the run.
    Abort,
    /// The run was cancelled.
    Cancelled,
    /// A step jumped to a step outside the scope.
    Jump(StepId),
}

/// How one step ended, for the run loop.
struct StepEnd {
    /// The step's record, by index in the run's records.
    record: usize,
    status: Status,
    /// The step a branch chose.
    branch: Option<String>,
    /// A loop left by a jump: where to.
    jump: Option<StepId>,
    /// A failure inside a loop body stopped the run.
    abort: bool,
}

impl StepEnd {
    fn status(record: usize, status: Status) -> Self {
        Self { record, status, branch: None, jump: None, abort: false }
    }
}

/// Where control goes after a step.
enum Transition {
    Goto(String),
    Next(Option<StepId>),
    EndScope,
    Abort,
}

/// One iteration of a loop the run is inside.
#[derive(Clone, Debug)]
pub(crate) struct LoopFrame {
    pub(crate) loop_id: StepId,
    pub(crate) iteration: u32,
    pub(crate) iterator_value: Option<Value>,
}

pub(crate) struct Run {
    pub(crate) executor: Executor,
    pub(crate) plan: Arc<Plan>,
    pub(crate) shared: Arc<Shared>,
    pub(crate) options: RunOptions,
    pub(crate) parameters: IndexMap<String, Value>,
    pub(crate) variables: IndexMap<String, Value>,
    /// The latest outputs of each step that ran.
    pub(crate) outputs: Vec<Option<IndexMap<String, Value>>>,
    pub(crate) loops: Vec<LoopFrame>,
    records: Vec<StepExecution>,
    ran: Vec<bool>,
    critical_failures: Vec<(Status, String)>,
    noncritical_abort: Option<String>,
    cancelled: bool,
    start: jiff::Timestamp,
    step_ids: super::IdGenerator,
    /// The record of a child run whose step failed, for that step's record.
    pub(crate) pending_child: Option<Box<Execution>>,
    /// Whether an `onCancel` chain is running.
    in_cancel_chain: bool,
    /// References left as written (RULINGS 12), once per step and reference.
    warnings: Vec<RunWarning>,
    /// Whether this run was refused a step execution by the budget (RULINGS 25). Runs sharing
    /// the budget stop as each is refused its next one.
    budget_spent: bool,
}

impl Run {
    fn new(
        executor: Executor,
        plan: Arc<Plan>,
        shared: Arc<Shared>,
        options: RunOptions,
        parameters: IndexMap<String, Value>,
    ) -> Self {
        let variables = plan
            .document
            .variables
            .iter()
            .map(|variable| {
                let default =
                    variable.default.as_ref().map_or(Value::Null, super::value::node_value);
                let value = match &variable.ty {
                    Some(ty) => coerce(&default, ty.value).unwrap_or(default),
                    None => default,
                };
                (variable.name.value.clone(), value)
            })
            .collect();
        let steps = plan.steps.len();
        let start = shared.host.clock.now();
        let seed =
            shared.run_ref.execution_id.bytes().fold(0u64, |h, b| h.rotate_left(5) ^ u64::from(b));
        Self {
            executor,
            plan,
            shared,
            options,
            parameters,
            variables,
            outputs: vec![None; steps],
            loops: Vec::new(),
            // One record per step for runs without loops: no regrowth, no spare capacity kept
            // in the record (it adds up over a fleet of children).
            records: Vec::with_capacity(steps),
            ran: vec![false; steps],
            critical_failures: Vec::new(),
            noncritical_abort: None,
            cancelled: false,
            start,
            step_ids: super::IdGenerator::new(seed),
            pending_child: None,
            in_cancel_chain: false,
            warnings: Vec::new(),
            budget_spent: false,
        }
    }

    pub(crate) fn host(&self) -> &Host {
        &self.shared.host
    }

    pub(crate) fn cancel(&self) -> &CancelToken {
        &self.options.cancel
    }

    pub(crate) fn depth(&self) -> u32 {
        self.options.depth
    }

    /// Resolves `{{ }}` references in parameter values that came from defaults (system
    /// variables and other parameters), once every parameter is bound.
    fn resolve_parameter_templates(&mut self) -> Result<(), ParameterError> {
        let templated: Vec<(String, super::value::Tpl, Option<&Parameter>)> = self
            .parameters
            .iter()
            .filter(|(_, value)| value.as_str().is_some_and(crate::template::may_have_references))
            .map(|(name, value)| {
                (
                    name.clone(),
                    super::value::Tpl::from_json(value.clone()),
                    self.plan.document.parameter(name),
                )
            })
            .collect();
        for (name, template, parameter) in templated {
            // Nothing has run yet: a reference with no value is as wrong as one to nothing.
            let lookup = |target: &Target| match target {
                Target::Parameter(other) if other == &name => {
                    Err(Missing::Invalid(format!("the default of `{name}` refers to itself")))
                }
                _ => self.lookup(target).map_err(|missing| match missing {
                    Missing::NotYet(reason) | Missing::Invalid(reason) => Missing::Invalid(reason),
                }),
            };
            let value = template
                .resolve(&lookup, &mut Vec::new())
                .map_err(|message| ParameterError::default_reference(&name, &message))?;
            let ty = parameter.and_then(|p| p.ty.as_ref()).map(|ty| ty.value.value_type());
            let value = match ty {
                Some(ty) => coerce(&value, ty)
                    .map_err(|message| ParameterError::default_reference(&name, &message))?,
                None => value,
            };
            self.parameters.insert(name, value);
        }
        Ok(())
    }

    async fn execute(&mut self) -> Execution {
        self.shared.emit(&Event::RunStarted { run: &self.shared.run_ref });
        if let Some(&first) = self.plan.main.first() {
            let end = self.run_scope(first, Scope::Main).await;
            if matches!(end, ScopeEnd::Cancelled) {
                self.cancelled = true;
            }
        }
        let execution = self.finish();
        self.shared.emit(&Event::RunFinished { run: &self.shared.run_ref, execution: &execution });
        execution
    }

    /// The final status (RULINGS 5) and the record.
    fn finish(&mut self) -> Execution {
        let (status, failure_message) = if self.cancelled {
            (Status::Cancelled, Some("the run was cancelled".to_string()))
        } else if self.budget_spent {
            (Status::Failed, Some(self.options.budget.message()))
        } else if let Some((_, message)) = self.critical_failures.first() {
            let all_timed_out =
                self.critical_failures.iter().all(|(status, _)| *status == Status::TimedOut);
            (if all_timed_out { Status::TimedOut } else { Status::Failed }, Some(message.clone()))
        } else if let Some(message) = &self.noncritical_abort {
            (Status::Failed, Some(message.clone()))
        } else {
            (Status::Success, None)
        };
        let now = self.host().clock.now();
        let mut step_executions = std::mem::take(&mut self.records);
        // Steps stopped from outside (their loop or automation step timed out, a cancel chain ran
        // out of time) never reached their end.
        for record in &mut step_executions {
            if matches!(record.step_status, Status::InProgress | Status::Waiting) {
                record.step_status = Status::Cancelled;
                record.execution_end_time = Some(now);
                record.failure_message =
                    Some("the step was stopped when the step around it ended".to_string());
            }
        }
        for step in &self.plan.steps {
            if !self.ran[step.id] {
                step_executions.push(self.new_record(step, Status::Pending));
            }
        }
        let mut outputs = IndexMap::new();
        for name in &self.plan.document.outputs {
            if let Some((step, output)) = name.value.split_once('.')
                && let Some(value) =
                    self.plan.step_id(step).and_then(|id| self.outputs[id].as_ref()?.get(output))
            {
                outputs.insert(name.value.clone(), value.clone());
            }
        }
        let calls = self.shared.take_calls();
        Execution {
            automation_execution_id: self.shared.run_ref.execution_id.clone(),
            document_name: self.shared.run_ref.document.clone(),
            document_version: "1".to_string(),
            automation_execution_status: status,
            execution_start_time: self.start,
            execution_end_time: Some(self.host().clock.now()),
            mode: "Auto".to_string(),
            parameters: self.parameters.clone(),
            outputs,
            variables: self.variables.clone(),
            step_executions,
            failure_message,
            parent_automation_execution_id: self.options.parent.clone(),
            calls,
            warnings: std::mem::take(&mut self.warnings),
            fleet: None,
        }
    }

    /// Records the references `step` ran with as their literal text (RULINGS 12), once each.
    pub(crate) fn warn_left(&mut self, step: &str, left: Vec<Left>) {
        for Left { written, reason } in left {
            let known = self
                .warnings
                .iter()
                .any(|warning| warning.step_name == step && warning.reference == written);
            if !known {
                self.warnings.push(RunWarning {
                    step_name: step.to_string(),
                    message: format!("{written} was left as written: {reason}"),
                    reference: written,
                });
            }
        }
    }

    fn new_record(&self, step: &PlannedStep, status: Status) -> StepExecution {
        StepExecution {
            step_name: step.name.clone(),
            action: step.action.clone(),
            step_execution_id: self.step_ids.next_id(),
            step_status: status,
            execution_start_time: None,
            execution_end_time: None,
            inputs: IndexMap::new(),
            outputs: IndexMap::new(),
            response: None,
            failure_message: None,
            failure_details: None,
            timeout_seconds: step.timeout.map(|t| t.as_secs()),
            on_failure: match &step.on_failure {
                OnFailure::Abort => "Abort".into(),
                OnFailure::Continue => "Continue".into(),
                OnFailure::Step(target) => format!("step:{target}"),
            },
            max_attempts: step.max_attempts,
            attempts: 0,
            is_end: step.is_end,
            is_critical: step.is_critical,
            next_step: None,
            stdout: String::new(),
            stderr: String::new(),
            parent_step_details: None,
            child: None,
        }
    }

    /// Runs the steps of one scope from `first` until the scope ends.
    pub(crate) fn run_scope(&mut self, first: StepId, scope: Scope) -> BoxFuture<'_, ScopeEnd> {
        Box::pin(async move {
            let mut current = first;
            loop {
                if self.cancel().is_cancelled() {
                    return ScopeEnd::Cancelled;
                }
                // The step's first attempt; the others are taken as they start.
                if !self.options.budget.take() {
                    self.budget_spent = true;
                    return ScopeEnd::Abort;
                }
                let end = self.run_step(current).await;
                let record_index = end.record;
                if end.status == Status::Cancelled {
                    self.run_cancel_chain(current).await;
                    return ScopeEnd::Cancelled;
                }
                // Whatever the step's `onFailure`, nothing more may run once the budget is spent.
                if end.abort || self.budget_spent {
                    return ScopeEnd::Abort;
                }
                let transition = match end.jump {
                    Some(target) => Transition::Goto(self.plan.steps[target].name.clone()),
                    None => self.transition(current, &end),
                };
                let next = match transition {
                    Transition::Abort => return ScopeEnd::Abort,
                    Transition::EndScope | Transition::Next(None) => return ScopeEnd::Finished,
                    Transition::Next(Some(next)) => next,
                    Transition::Goto(name) => match self.plan.step_id(&name) {
                        Some(target) => target,
                        None => {
                            let message = format!(
                                "step `{}` goes to step `{name}`, which does not exist",
                                self.plan.steps[current].name
                            );
                            self.critical_failures.push((Status::Failed, message));
                            return ScopeEnd::Abort;
                        }
                    },
                };
                self.records[record_index].next_step = Some(self.plan.steps[next].name.clone());
                let target_scope = self.plan.steps[next].scope;
                if target_scope == scope {
                    current = next;
                } else if self.plan.encloses(target_scope, scope) {
                    return ScopeEnd::Jump(next);
                } else {
                    let message = format!(
                        "step `{}` goes to step `{}`, inside a loop it is not part of; steps may only jump within their loop or out of it",
                        self.plan.steps[current].name, self.plan.steps[next].name
                    );
                    self.critical_failures.push((Status::Failed, message));
                    return ScopeEnd::Abort;
                }
            }
        })
    }

    /// RULINGS 1-4: where control goes after a step ended with `end`.
    fn transition(&mut self, id: StepId, end: &StepEnd) -> Transition {
        let step = &self.plan.steps[id];
        let failed = matches!(end.status, Status::Failed | Status::TimedOut);
        if failed {
            let message = self.records[end.record].failure_message.clone().unwrap_or_default();
            let message = format!(
                "Step `{}` {}: {message}",
                step.name,
                if end.status == Status::TimedOut { "timed out" } else { "failed" }
            );
            if step.is_critical {
                self.critical_failures.push((end.status, message.clone()));
            }
            match &step.on_failure {
                OnFailure::Abort => {
                    if !step.is_critical {
                        self.noncritical_abort.get_or_insert(message);
                    }
                    return Transition::Abort;
                }
                OnFailure::Step(target) => return Transition::Goto(target.clone()),
                OnFailure::Continue => {}
            }
        }
        if let Some(choice) = &end.branch {
            return Transition::Goto(choice.clone());
        }
        if step.is_end {
            return Transition::EndScope;
        }
        if let Some(next) = &step.next_step {
            return Transition::Goto(next.clone());
        }
        Transition::Next(step.next_in_scope)
    }

    /// RULINGS 6: after a cancel, the cancelled step's `onCancel: step:X` chain runs for at most
    /// two minutes; whatever it does, the run ends Cancelled.
    async fn run_cancel_chain(&mut self, cancelled: StepId) {
        // A step of the chain that the time limit cancels does not start a chain of its own.
        if self.in_cancel_chain {
            return;
        }
        let OnCancel::Step(target) = self.plan.steps[cancelled].on_cancel.clone() else { return };
        let Some(first) = self.plan.step_id(&target) else { return };
        let scope = self.plan.steps[first].scope;
        // The chain runs under a fresh token: the cancel that started it must not stop it, but
        // the time limit does, so that the chain's running step ends Cancelled in the record.
        let original = std::mem::take(&mut self.options.cancel);
        let chain_cancel = self.options.cancel.clone();
        let clock = self.host().clock.clone();
        let limit = tokio::spawn(async move {
            clock.sleep(CANCEL_CHAIN_LIMIT).await;
            chain_cancel.cancel();
        });
        self.in_cancel_chain = true;
        self.run_scope(first, scope).await;
        self.in_cancel_chain = false;
        limit.abort();
        self.options.cancel = original;
    }

    /// Runs one step: inputs, attempts, outputs, record.
    async fn run_step(&mut self, id: StepId) -> StepEnd {
        let plan = self.plan.clone();
        let step = &plan.steps[id];
        self.ran[id] = true;
        let mut record = self.new_record(step, Status::InProgress);
        record.execution_start_time = Some(self.host().clock.now());
        record.parent_step_details = self.loops.last().map(|frame| ParentStepDetails {
            step_name: plan.steps[frame.loop_id].name.clone(),
            action: "aws:loop".into(),
            iteration: frame.iteration,
            iterator_value: frame.iterator_value.as_ref().map(crate::record::as_text),
        });
        // The record is kept from the start, so that a step stopped from outside (its loop's
        // timeout, a cancel chain's time limit) still appears in the run's record.
        let index = self.records.len();
        self.records.push(record);

        let mut left = Vec::new();
        let resolved = step.inputs.resolve(&|target| self.lookup(target), &mut left);
        self.warn_left(&step.name, left);
        let inputs = match resolved {
            Ok(inputs) => inputs,
            Err(message) => {
                let failure =
                    StepFailure::invalid_inputs(format!("cannot resolve the inputs: {message}"));
                return self.end_step(step, index, Err(failure), 0);
            }
        };
        // The inputs' types are checked before the first attempt (SPEC 2.3); the record shows
        // the inputs as the action gets them.
        let checked = match &step.type_mismatch {
            Some(message) => Err((message.clone(), inputs)),
            None if step.one_item_inputs.is_empty() => Ok(inputs),
            None => one_item_inputs(step, inputs.clone()).map_err(|message| (message, inputs)),
        };
        let (Ok(shown) | Err((_, shown))) = &checked;
        if let Value::Object(map) = shown {
            self.records[index].inputs = map.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        }
        let inputs = match checked {
            Ok(inputs) => inputs,
            Err((message, _)) => {
                return self.end_step(step, index, Err(StepFailure::invalid_inputs(message)), 0);
            }
        };

        let mut attempt = 0;
        let result = loop {
            attempt += 1;
            if attempt > 1 && !self.options.budget.take() {
                self.budget_spent = true;
                attempt -= 1;
                break Err(StepFailure::action(self.options.budget.message()));
            }
            self.shared.emit(&Event::StepStarted {
                run: &self.shared.run_ref,
                step: &step.name,
                action: &step.action,
                attempt,
                max_attempts: step.max_attempts,
            });
            let outcome = self.attempt(step, inputs.clone()).await;
            match outcome {
                Ok(output) => break Ok(output),
                Err(failure)
                    if failure.kind == FailureKind::Cancelled || attempt >= step.max_attempts =>
                {
                    break Err(failure);
                }
                Err(failure) => {
                    self.shared.emit(&Event::AttemptFailed {
                        run: &self.shared.run_ref,
                        step: &step.name,
                        attempt,
                        message: &failure.message,
                    });
                }
            }
        };
        self.end_step(step, index, result, attempt)
    }

    /// One attempt, under the step's timeout and the run's cancel token.
    async fn attempt(
        &mut self,
        step: &PlannedStep,
        inputs: Value,
    ) -> Result<AttemptOutput, StepFailure> {
        let clock = self.host().clock.clone();
        let cancel = self.cancel().clone();
        // A loop and a child automation pass the cancel on to the steps they run, which end
        // Cancelled and run their own `onCancel` chains; stopping them here would drop those.
        let passes_cancel_on = matches!(step.action.as_str(), "aws:loop" | "aws:executeAutomation");
        let cancelled = async move {
            if passes_cancel_on {
                std::future::pending::<()>().await;
            } else {
                cancel.cancelled().await;
            }
        };
        let timeout = step.timeout;
        let timer = async move {
            match timeout {
                Some(limit) => clock.sleep(limit).await,
                None => std::future::pending::<()>().await,
            }
        };
        let work = self.dispatch(step, inputs);
        // In this order, so that a cancel already requested stops the step before it does
        // anything, whatever the step would have done at once.
        tokio::select! {
            biased;
            () = cancelled => Err(StepFailure::new(FailureKind::Cancelled, "the run was cancelled during the step")),
            result = work => result,
            () = timer => Err(StepFailure::new(
                FailureKind::Timeout,
                format!("the step did not finish within its timeout of {} seconds", timeout.map_or(0, |t| t.as_secs())),
            )),
        }
    }

    /// Runs the step's action: a control action of the executor, or a registered action.
    fn dispatch<'s>(
        &'s mut self,
        step: &'s PlannedStep,
        inputs: Value,
    ) -> BoxFuture<'s, Result<AttemptOutput, StepFailure>> {
        Box::pin(async move {
            match step.action.as_str() {
                "aws:branch" => self.branch(step).map(AttemptOutput::branch),
                "aws:sleep" => self.sleep(step, &inputs).await.map(AttemptOutput::plain),
                "aws:pause" => self.pause(step, &inputs).await.map(AttemptOutput::plain),
                "aws:approve" => self.approve(step, &inputs).await.map(AttemptOutput::plain),
                "aws:updateVariable" => self.update_variable(&inputs).map(AttemptOutput::plain),
                "aws:loop" => self.run_loop(step, &inputs).await,
                "aws:executeAutomation" => {
                    self.execute_automation(step, &inputs).await.map(AttemptOutput::child)
                }
                name => {
                    let Some(action) = self.executor.actions.get(name).cloned() else {
                        return Err(StepFailure::unsupported(name));
                    };
                    let cx = StepContext {
                        shared: &self.shared,
                        step: &step.name,
                        timeout: step.timeout,
                    };
                    action.run(inputs, &cx).await.map(AttemptOutput::plain)
                }
            }
        })
    }

    /// Records the end of a step: outputs, status, failure, and the event.
    fn end_step(
        &mut self,
        step: &PlannedStep,
        index: usize,
        result: Result<AttemptOutput, StepFailure>,
        attempts: u32,
    ) -> StepEnd {
        let mut record = std::mem::take(&mut self.records[index]);
        record.attempts = attempts;
        let result = result.and_then(|output| {
            let outputs = Self::select_outputs(step, &output.action)?;
            Ok((output, outputs))
        });
        let end = match result {
            Ok((output, outputs)) => {
                let AttemptOutput { action, status, branch, jump, abort, child, failure_message } =
                    output;
                record.stdout = action.stdout;
                record.stderr = action.stderr;
                record.response = (!action.response.is_null()).then_some(action.response);
                record.outputs.clone_from(&outputs);
                record.child = child;
                record.failure_message = failure_message;
                self.outputs[step.id] = Some(outputs);
                record.step_status = status;
                StepEnd { record: index, status, branch, jump, abort }
            }
            Err(failure) => {
                let status = match failure.kind {
                    FailureKind::Timeout => Status::TimedOut,
                    FailureKind::Cancelled => Status::Cancelled,
                    _ => Status::Failed,
                };
                let (stage, kind) = failure.stage_and_type();
                let mut details = IndexMap::new();
                if let FailureKind::Api { code } = &failure.kind {
                    details.insert("ErrorCode".to_string(), vec![code.clone()]);
                }
                record.child = self.pending_child.take();
                record.stdout = failure.stdout;
                record.stderr = failure.stderr;
                record.failure_message = Some(failure.message);
                record.failure_details = (status != Status::Cancelled).then_some(FailureDetails {
                    failure_stage: stage,
                    failure_type: kind,
                    details,
                });
                record.step_status = status;
                StepEnd::status(index, status)
            }
        };
        record.execution_end_time = Some(self.host().clock.now());
        self.shared.emit(&Event::StepFinished { run: &self.shared.run_ref, step: &record });
        self.records[index] = record;
        end
    }

    /// The step's outputs: the action's predefined ones, then the declared ones selected from
    /// its response and converted to their types (RULINGS 13, 14).
    fn select_outputs(
        step: &PlannedStep,
        output: &ActionOutput,
    ) -> Result<IndexMap<String, Value>, StepFailure> {
        let mut outputs = output.outputs.clone();
        // Actions without a response of their own (the control actions) are read through their
        // predefined outputs: `$.ApprovalStatus`, `$.Output`.
        let predefined;
        let response = if output.response.is_null() {
            predefined =
                Value::Object(output.outputs.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
            &predefined
        } else {
            &output.response
        };
        for declared in &step.outputs {
            let selector = declared.selector.as_ref().map_err(|error| {
                StepFailure::invalid_inputs(format!(
                    "output `{}` has an invalid selector: {error}",
                    declared.name
                ))
            })?;
            let Some(value) = selector.select(response) else { continue };
            let converted = convert_output(value.clone(), declared.ty).map_err(|_| {
                StepFailure::new(
                    FailureKind::Action,
                    format!(
                        "output `{}` wants a {}, but its selector {} found {}",
                        declared.name,
                        declared.ty,
                        selector.as_str(),
                        describe(&value)
                    ),
                )
            })?;
            outputs.insert(declared.name.clone(), converted);
        }
        Ok(outputs)
    }

    /// The value of a reference in the run's current state. A step output with no value yet
    /// is [`Missing::NotYet`] (RULINGS 12, 13); a reference to nothing is invalid.
    pub(crate) fn lookup(&self, target: &Target) -> Result<Value, Missing> {
        match target {
            Target::Parameter(name) => self.parameters.get(name).cloned().ok_or_else(|| {
                Missing::Invalid(format!("`{{{{ {name} }}}}` is not a parameter of the runbook"))
            }),
            Target::Variable(name) => self.variables.get(name).cloned().ok_or_else(|| {
                Missing::Invalid(format!(
                    "`{{{{ variable:{name} }}}}` is not a variable of the runbook"
                ))
            }),
            Target::StepOutput { step, output } => self.step_output(step, output),
            Target::Global(name) => self.global(name).map_err(Missing::Invalid),
            Target::Automation(name) if name == "EXECUTION_ID" => {
                Ok(Value::String(self.shared.run_ref.execution_id.clone()))
            }
            Target::Automation(name) => Err(Missing::Invalid(format!(
                "`{{{{ automation:{name} }}}}` is not an automation variable"
            ))),
            Target::ParameterStore(name) => Err(Missing::Invalid(format!(
                "`{{{{ ssm:{name} }}}}` can only be read in a parameter default"
            ))),
        }
    }

    fn global(&self, name: &str) -> Result<Value, String> {
        let context = &self.host().context;
        let now = || self.host().clock.now();
        Ok(Value::String(match name {
            "ACCOUNT_ID" => context.account_id.clone(),
            "REGION" => context.region.clone(),
            "AWS_PARTITION" => context.partition.clone(),
            // RULINGS 18: UTC, taken when the template is evaluated.
            "DATE" => now().strftime("%Y-%m-%d").to_string(),
            "DATE_TIME" => now().strftime("%Y-%m-%d_%H.%M.%S").to_string(),
            other => return Err(format!("`{{{{ global:{other} }}}}` is not a system variable")),
        }))
    }

    fn step_output(&self, step_name: &str, output: &str) -> Result<Value, Missing> {
        let Some(id) = self.plan.step_id(step_name) else {
            return Err(Missing::Invalid(format!(
                "`{{{{ {step_name}.{output} }}}}` refers to step `{step_name}`, which does not exist"
            )));
        };
        // Inside a loop, its iteration outputs are live.
        if let Some(frame) = self.loops.iter().rev().find(|frame| frame.loop_id == id) {
            match output {
                "CurrentIteration" => return Ok(Value::from(frame.iteration)),
                "CurrentIteratorValue" => {
                    if let Some(value) = &frame.iterator_value {
                        return Ok(value.clone());
                    }
                }
                _ => {}
            }
        }
        let Some(outputs) = &self.outputs[id] else {
            return Err(Missing::NotYet(if self.ran[id] {
                format!("step `{step_name}` has no outputs: it did not succeed")
            } else {
                format!("step `{step_name}` has not run")
            }));
        };
        outputs.get(output).cloned().ok_or_else(|| {
            Missing::NotYet(format!(
                "step `{step_name}` has no output `{output}` (its selector matched nothing)"
            ))
        })
    }

    /// Starts a child run (for `aws:executeAutomation`) of `plan` with `parameters`.
    pub(crate) async fn child_run(
        &self,
        plan: Arc<Plan>,
        parameters: IndexMap<String, Value>,
    ) -> Result<Execution, String> {
        if self.depth() >= MAX_DEPTH {
            return Err(format!("automations nest at most {MAX_DEPTH} levels below the first run"));
        }
        let options = RunOptions {
            parameters,
            cancel: self.cancel().clone(),
            execution_id: None,
            depth: self.depth() + 1,
            parent: Some(self.shared.run_ref.execution_id.clone()),
            fleet: None,
            budget: self.options.budget.clone(),
            call_logs: self.shared.lineage(),
        };
        let executor = self.executor.clone();
        Box::pin(executor.run(plan, options)).await.map_err(|error| error.to_string())
    }

    /// Runs one pass of a loop body under `frame`.
    pub(crate) async fn run_body(
        &mut self,
        first: StepId,
        loop_id: StepId,
        frame: LoopFrame,
    ) -> BodyEnd {
        self.loops.push(frame);
        let end = self.run_scope(first, Scope::Loop(loop_id)).await;
        self.loops.pop();
        match end {
            ScopeEnd::Finished => BodyEnd::Finished,
            ScopeEnd::Abort => BodyEnd::Abort,
            ScopeEnd::Cancelled => BodyEnd::Cancelled,
            ScopeEnd::Jump(target) => BodyEnd::Jump(target),
        }
    }
}

/// How one pass of a loop body ended.
pub(crate) enum BodyEnd {
    Finished,
    Abort,
    Cancelled,
    Jump(StepId),
}

/// What an attempt produced, for the run loop.
pub(crate) struct AttemptOutput {
    pub(crate) action: ActionOutput,
    pub(crate) status: Status,
    pub(crate) branch: Option<String>,
    pub(crate) jump: Option<StepId>,
    pub(crate) abort: bool,
    pub(crate) child: Option<Box<Execution>>,
    /// The failure message of a loop whose body failed.
    pub(crate) failure_message: Option<String>,
}

impl AttemptOutput {
    pub(crate) fn plain(action: ActionOutput) -> Self {
        Self {
            action,
            status: Status::Success,
            branch: None,
            jump: None,
            abort: false,
            child: None,
            failure_message: None,
        }
    }

    fn branch(choice: Option<String>) -> Self {
        let mut output = Self::plain(ActionOutput::default());
        if let Some(choice) = &choice {
            output.action.outputs.insert("NextStep".into(), Value::String(choice.clone()));
        }
        output.branch = choice;
        output
    }

    fn child((action, child): (ActionOutput, Box<Execution>)) -> Self {
        let mut output = Self::plain(action);
        output.child = Some(child);
        output
    }
}
