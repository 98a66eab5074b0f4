//! The run loop: steps one at a time in their scope (the main steps or a loop body), each with
//! its attempts, timeouts and outputs, and the control flow of RULINGS 1-8 between them.
//!
//! One module per job: this one walks the scopes and moves control between steps; `step` runs
//! one step (inputs, attempts, outputs); `references` answers `{{ }}` references from the run's
//! state; `record` keeps the run's record.

mod record;
mod references;
mod step;

use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;
use serde_json::Value;

use super::action::Actions;
use super::cancel::CancelToken;
use super::environment::RunEnvironment;
use super::ids::IdGenerator;
use super::options::{Host, MAX_DEPTH, RunOptions};
use super::plan::{JumpTarget, Plan, Scope, StepId};
use super::start::StartRuns;
use crate::document::OnFailure;
use crate::host::{BoxFuture, Event, RunRef, ScriptCalls};
use crate::params::{ParameterError, bind_parameters_for_run};
use crate::record::{Execution, RunWarning, Status, StepExecution};
use crate::value::coerce;

pub(crate) use step::AttemptOutput;

use super::action::StepContext;

/// The cancel workflow's time limit (SPEC section 4).
const CANCEL_CHAIN_LIMIT: Duration = Duration::from_secs(120);

/// The step name under which a run's Parameter Store reads of parameter defaults are recorded.
pub(crate) const PARAMETERS_STEP: &str = "ResolveParameters";

/// Runs `plan` once with `options` (its `fleet` ignored): binds its parameters, then runs its
/// steps. Fails only when the parameters are refused.
pub(crate) async fn run_once(
    actions: Arc<Actions>,
    runs: Arc<dyn StartRuns>,
    host: Host,
    plan: Arc<Plan>,
    options: RunOptions,
) -> Result<Execution, ParameterError> {
    let execution_id = options.execution_id.clone().unwrap_or_else(|| host.context.ids.next_id());
    let run_ref = RunRef { execution_id, document: plan.document_name(), depth: options.depth };
    let parameter_store = host.parameter_store.clone();
    let environment = Arc::new(RunEnvironment::new(
        host,
        plan.document.clone(),
        run_ref,
        options.call_logs.clone(),
    ));
    // Parameter Store reads of defaults are the run's calls, recorded as its steps' are.
    let cx = StepContext { environment: &environment, step: PARAMETERS_STEP, timeout: None };
    let parameters = bind_parameters_for_run(
        &plan.document,
        &options.parameters,
        parameter_store.as_ref(),
        Some(&cx as &dyn ScriptCalls),
    )
    .await?;
    learn_secret_parameters(&environment, &plan.document, &options.parameters, &parameters);
    // About one call a step is what runbooks of AWS calls make.
    environment.reserve_calls(plan.steps.len());
    let mut run = Run::new(actions, runs, plan, environment, options, parameters);
    run.resolve_parameter_templates()?;
    Ok(run.execute().await)
}

/// Learns the secrets among the run's parameters (RULINGS 26): the values of
/// `{{ ssm-secure:... }}` defaults, and what a parameter's type made of a secret it was given
/// (a child run's `RuntimeParameters` carrying a parent's secret, split into a `StringList`).
fn learn_secret_parameters(
    environment: &RunEnvironment,
    document: &crate::document::Document,
    given: &indexmap::IndexMap<String, serde_json::Value>,
    bound: &indexmap::IndexMap<String, serde_json::Value>,
) {
    let secrets = &environment.host.context.secrets;
    for parameter in &document.parameters {
        let name = parameter.name.value.as_str();
        let Some(value) = bound.get(name) else { continue };
        match given.get(name) {
            Some(source) => secrets.learn_derived(source, value),
            None => {
                let secure = parameter
                    .default
                    .as_ref()
                    .and_then(|node| node.as_str())
                    .and_then(|text| {
                        crate::template::Template::parse(text).as_whole_reference().cloned()
                    })
                    .is_some_and(|reference| {
                        matches!(reference.target, crate::template::Target::SecureParameterStore(_))
                    });
                if secure && let Some(text) = value.as_str() {
                    secrets.insert(text);
                }
            }
        }
    }
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
pub(crate) struct StepEnd {
    /// The step's record, by index in the run's records.
    pub(crate) record: usize,
    pub(crate) status: Status,
    /// The step a branch chose.
    pub(crate) branch: Option<JumpTarget>,
    /// A loop left by a jump: where to.
    pub(crate) jump: Option<StepId>,
    /// A failure inside a loop body stopped the run.
    pub(crate) abort: bool,
}

impl StepEnd {
    pub(crate) fn status(record: usize, status: Status) -> Self {
        Self { record, status, branch: None, jump: None, abort: false }
    }
}

/// Where control goes after a step.
enum Transition {
    Goto(JumpTarget),
    Next(Option<StepId>),
    EndScope,
    Abort,
}

/// Where a step's latest outputs are: in the record of its latest run that produced them (a
/// step's outputs are held once, by its record), or, for a loop while its body runs, its
/// iteration outputs.
pub(crate) enum LatestOutputs {
    /// The step has not produced outputs.
    None,
    /// In the run's record with this index.
    Record(usize),
    /// A loop's `CurrentIteration` and `CurrentIteratorValue`.
    Loop(Box<IndexMap<String, Value>>),
}

/// One iteration of a loop the run is inside.
#[derive(Clone, Debug)]
pub(crate) struct LoopFrame {
    pub(crate) loop_id: StepId,
    pub(crate) iteration: u32,
    pub(crate) iterator_value: Option<Value>,
}

/// One run in progress: its plan, state and record so far.
pub(crate) struct Run {
    /// The registered actions.
    pub(crate) actions: Arc<Actions>,
    /// Starts child runs.
    pub(crate) runs: Arc<dyn StartRuns>,
    pub(crate) plan: Arc<Plan>,
    pub(crate) environment: Arc<RunEnvironment>,
    pub(crate) options: RunOptions,
    pub(crate) parameters: IndexMap<String, Value>,
    pub(crate) variables: IndexMap<String, Value>,
    /// Where the latest outputs of each step that ran are.
    pub(crate) outputs: Vec<LatestOutputs>,
    pub(crate) loops: Vec<LoopFrame>,
    pub(crate) records: Vec<StepExecution>,
    pub(crate) ran: Vec<bool>,
    pub(crate) critical_failures: Vec<(Status, String)>,
    pub(crate) noncritical_abort: Option<String>,
    pub(crate) cancelled: bool,
    pub(crate) start: jiff::Timestamp,
    pub(crate) step_ids: IdGenerator,
    /// The record of a child run whose step failed, for that step's record.
    pub(crate) pending_child: Option<Box<Execution>>,
    /// Whether an `onCancel` chain is running.
    pub(crate) in_cancel_chain: bool,
    /// References left as written (RULINGS 12), once per step and reference.
    pub(crate) warnings: Vec<RunWarning>,
    /// Whether this run was refused a step execution by the budget (RULINGS 25). Runs sharing
    /// the budget stop as each is refused its next one.
    pub(crate) budget_spent: bool,
}

impl Run {
    fn new(
        actions: Arc<Actions>,
        runs: Arc<dyn StartRuns>,
        plan: Arc<Plan>,
        environment: Arc<RunEnvironment>,
        options: RunOptions,
        parameters: IndexMap<String, Value>,
    ) -> Self {
        let variables = plan
            .document
            .variables
            .iter()
            .map(|variable| {
                let default =
                    variable.default.as_ref().map_or(Value::Null, crate::value::node_value);
                let value = match &variable.ty {
                    Some(ty) => coerce(&default, ty.value).unwrap_or(default),
                    None => default,
                };
                (variable.name.value.clone(), value)
            })
            .collect();
        let steps = plan.steps.len();
        let start = environment.host.clock.now();
        let seed = environment
            .run_ref
            .execution_id
            .bytes()
            .fold(0u64, |h, b| h.rotate_left(5) ^ u64::from(b));
        Self {
            actions,
            runs,
            plan,
            environment,
            options,
            parameters,
            variables,
            outputs: std::iter::repeat_with(|| LatestOutputs::None).take(steps).collect(),
            loops: Vec::new(),
            // One record per step for runs without loops: no regrowth, no spare capacity kept
            // in the record (it adds up over a fleet of children).
            records: Vec::with_capacity(steps),
            ran: vec![false; steps],
            critical_failures: Vec::new(),
            noncritical_abort: None,
            cancelled: false,
            start,
            step_ids: IdGenerator::new(seed),
            pending_child: None,
            in_cancel_chain: false,
            warnings: Vec::new(),
            budget_spent: false,
        }
    }

    /// The latest outputs of step `id`, when it produced any.
    pub(crate) fn outputs_of(&self, id: StepId) -> Option<&IndexMap<String, Value>> {
        match &self.outputs[id] {
            LatestOutputs::None => None,
            LatestOutputs::Record(index) => self.records.get(*index).map(|record| &record.outputs),
            LatestOutputs::Loop(outputs) => Some(outputs),
        }
    }

    pub(crate) fn host(&self) -> &Host {
        &self.environment.host
    }

    pub(crate) fn cancel(&self) -> &CancelToken {
        &self.options.cancel
    }

    pub(crate) fn depth(&self) -> u32 {
        self.options.depth
    }

    async fn execute(&mut self) -> Execution {
        self.environment.emit(&Event::RunStarted { run: &self.environment.run_ref });
        if let Some(&first) = self.plan.main.first() {
            let end = self.run_scope(first, Scope::Main).await;
            if matches!(end, ScopeEnd::Cancelled) {
                self.cancelled = true;
            }
        }
        let execution = self.finish();
        self.environment
            .emit(&Event::RunFinished { run: &self.environment.run_ref, execution: &execution });
        execution
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
                    Some(target) => Transition::Goto(JumpTarget {
                        name: self.plan.steps[target].name.to_string(),
                        id: Some(target),
                    }),
                    None => self.transition(current, &end),
                };
                let next = match transition {
                    Transition::Abort => return ScopeEnd::Abort,
                    Transition::EndScope | Transition::Next(None) => return ScopeEnd::Finished,
                    Transition::Next(Some(next)) => next,
                    Transition::Goto(JumpTarget { id: Some(target), .. }) => target,
                    Transition::Goto(JumpTarget { name, id: None }) => {
                        let message = format!(
                            "step `{}` goes to step `{name}`, which does not exist",
                            self.plan.steps[current].name
                        );
                        self.critical_failures.push((Status::Failed, message));
                        return ScopeEnd::Abort;
                    }
                };
                self.records[record_index].next_step = Some(self.plan.steps[next].name.to_string());
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
                OnFailure::Step(_) => {
                    if let Some(target) = &step.jumps().on_failure {
                        return Transition::Goto(target.clone());
                    }
                }
                OnFailure::Continue => {}
            }
        }
        if let Some(choice) = &end.branch {
            return Transition::Goto(choice.clone());
        }
        if step.is_end {
            return Transition::EndScope;
        }
        if let Some(next) = &step.jumps().next_step {
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
        let Some(JumpTarget { id: Some(first), .. }) = self.plan.steps[cancelled].jumps().on_cancel
        else {
            return;
        };
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
            parent: Some(self.environment.run_ref.execution_id.clone()),
            fleet: None,
            locations: None,
            budget: self.options.budget.clone(),
            call_logs: self.environment.lineage(),
        };
        self.runs.start(plan, options).await.map_err(|error| error.to_string())
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
