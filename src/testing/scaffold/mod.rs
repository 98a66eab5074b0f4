//! Writing a first test file for a runbook (`runbook init`): one case per distinct path found by
//! walking the step graph, the success path first, then each jump a failure, a cancel or a
//! branch takes (the jumps of [`Step::jumps`]).
//!
//! Each case is made by running the runbook on the models' placeholder answers (the
//! `--auto-mock` machinery), with what steers it onto its path: an error answer for the first
//! call of the step that must fail, a rejected approval, a script stand-in that fails, a cancel
//! as the step starts, or the parameter or call answer a branch choice compares. The run is
//! recorded as its case's mocks ([`Recorder`]), and what it did becomes the case's expected
//! status and path. A case whose run did not take its path keeps the path it is about as its
//! expectation, so that `runbook test` reports it as a failure, and says in a comment what to
//! fill in.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use indexmap::IndexMap;
use runbook_aws::mock::MockFile;
use runbook_aws::mock::auto::Placeholders;
use runbook_aws::mock::record::{Recorder, yaml_block};
use runbook_aws::mock::value_matching;
use runbook_engine::catalog::ValueType;
use runbook_engine::document::{Condition, Document, JumpKind, Operator, Parameter, Step};
use runbook_engine::execute::CancelToken;
use runbook_engine::host::{Event, Observer};
use runbook_engine::record::{Execution, Status};
use runbook_engine::template::{Target, Template};
use serde_json::{Map, Value, json};

use super::DEFAULT_TIME_LIMIT;
use crate::session::{Runbook, Session};
use crate::setup::Approvals;

mod guess;
mod steer;

use guess::{guess_parameters, intended_path};
use steer::{apply, approve_all, repair, satisfy};

/// The error code of the answer that makes a step fail in a scaffolded case.
pub const SCAFFOLD_ERROR_CODE: &str = "InternalFailure";

/// The most times a case's run is repeated with a failing step helped past.
const MAX_REPAIRS: usize = 6;

/// The most cases one runbook gets: each is a run, and a runbook with a hundred `onFailure`
/// jumps needs no hundred cases to start from.
pub const MAX_CASES: usize = 40;

/// A test file written from a runbook.
#[derive(Debug)]
pub struct Scaffold {
    /// Its cases, the success path first.
    pub cases: Vec<ScaffoldCase>,
}

/// One case of a [`Scaffold`].
#[derive(Debug)]
pub struct ScaffoldCase {
    /// `name`.
    pub name: String,
    /// Whether its run took the path it is about (then it passes as written).
    pub made: bool,
    /// What was guessed and, for a case not made, what to fill in: the case's comment.
    pub notes: Vec<String>,
    /// `parameters`.
    pub parameters: IndexMap<String, Value>,
    /// `mocks`: the recorded calls of its run, as a mock file's tree.
    pub mocks: Value,
    /// `cancel.atStep`.
    pub cancel_at: Option<String>,
    /// `expect.status`.
    pub status: Status,
    /// `expect.path`.
    pub path: Vec<String>,
}

impl Scaffold {
    /// Walks `runbook`'s step graph and makes a case for each distinct path, answering calls
    /// with `placeholders`.
    pub fn new(runbook: &Runbook, placeholders: &Placeholders) -> Self {
        let document = runbook.document();
        let placeholders = placeholders.clone().for_document(document);
        let (parameters, guessed) = guess_parameters(document);
        let walker = Walker { runbook, placeholders };
        let base = Scenario { parameters, ..Scenario::default() };
        let mut tried: Vec<Tried> = Vec::new();
        let mut cases = Vec::new();
        for goal in goals(document).into_iter().take(MAX_CASES) {
            let (mut scenario, mut notes) = steer(&goal, &base, &tried, document);
            let mut run = walker.run(&scenario);
            // Steps that fail on placeholders, though the case is not about them, are helped
            // past: a wait or an assertion gets the value it wants, a script a stand-in.
            for _ in 0..MAX_REPAIRS {
                let Some(execution) = &run.execution else { break };
                if goal.taken(execution) {
                    break;
                }
                let Some(note) = repair(&goal, execution, &mut scenario) else { break };
                notes.push(note);
                run = walker.run(&scenario);
            }
            let mut made = run.execution.as_ref().is_some_and(|execution| goal.taken(execution));
            if made
                && let Some(execution) = &run.execution
                && !walker.replays(&scenario, &run.mocks, execution)
            {
                made = false;
                notes.push(
                    "NOT MADE: replayed from its mocks, the run takes another path or ends \
                     otherwise:\nsome call's parameters change from run to run (a script's \
                     fresh id or time); loosen those rules' `params`"
                        .into(),
                );
            }
            let (status, path) = match (&run.execution, made) {
                (Some(execution), true) => (
                    execution.automation_execution_status,
                    execution.path().into_iter().map(str::to_string).collect(),
                ),
                (Some(execution), false) if goal.taken(execution) => (
                    execution.automation_execution_status,
                    execution.path().into_iter().map(str::to_string).collect(),
                ),
                (execution, _) => {
                    (goal.status(), intended_path(&goal, execution.as_ref(), document))
                }
            };
            if made
                && cases.iter().any(|case: &ScaffoldCase| {
                    case.made && case.status == status && case.path == path
                })
            {
                continue;
            }
            if !made && !notes.iter().any(|note| note.starts_with("NOT MADE")) {
                notes.push(goal.what_to_fill_in(run.execution.as_ref(), run.refused.as_deref()));
            }
            if !guessed.is_empty() {
                notes.insert(0, format!("parameters guessed: {}", guessed.join(", ")));
            }
            let calls = run.execution.as_ref().map_or(0, |execution| execution.calls.len());
            if calls > 0 {
                notes.push(format!(
                    "mocks: the {calls} call{} of the run, answered with the API models' placeholders",
                    if calls == 1 { "" } else { "s" }
                ));
            }
            cases.push(ScaffoldCase {
                name: goal.name(),
                made,
                notes,
                parameters: scenario.parameters.clone(),
                mocks: run.mocks,
                cancel_at: scenario.cancel_at.clone(),
                status,
                path,
            });
            if let Some(execution) = run.execution {
                tried.push(Tried { scenario, execution });
            }
        }
        Self { cases }
    }

    /// How many cases pass as written.
    pub fn made(&self) -> usize {
        self.cases.iter().filter(|case| case.made).count()
    }

    /// The test file, for a runbook named `runbook` (relative to the test file).
    pub fn to_yaml(&self, runbook: &Path) -> String {
        let mut out = format!(
            "# Unit tests of {name}, written by `runbook init`: `runbook test {test}`.\n\
             # Each case ran on the API models' placeholder answers; its comment says what was\n\
             # guessed, and what to fill in where the run did not take the case's path.\n",
            name = runbook.display(),
            test = runbook.with_extension("test.yaml").display(),
        );
        let mut file = Map::new();
        file.insert("runbook".into(), json!(runbook.to_string_lossy()));
        out.push_str(&yaml_block(&file, 0));
        out.push_str("cases:\n");
        for case in &self.cases {
            out.push('\n');
            for note in &case.notes {
                for line in note.lines() {
                    out.push_str("  # ");
                    out.push_str(line);
                    out.push('\n');
                }
            }
            let block = yaml_block(&case.to_json(), 4);
            out.push_str("  - ");
            out.push_str(block.get(4..).unwrap_or_default());
        }
        out
    }
}

impl ScaffoldCase {
    fn to_json(&self) -> Map<String, Value> {
        let mut case = Map::new();
        case.insert("name".into(), json!(self.name));
        if !self.parameters.is_empty() {
            case.insert("parameters".into(), json!(self.parameters));
        }
        case.insert("mocks".into(), self.mocks.clone());
        if let Some(step) = &self.cancel_at {
            case.insert("cancel".into(), json!({"atStep": step}));
        }
        case.insert("expect".into(), json!({"status": self.status.as_str(), "path": self.path}));
        case
    }
}

/// The path a case is about.
#[derive(Clone, Debug)]
enum Goal {
    /// The run ends Success.
    Success,
    /// `step` fails, and its `onFailure` goes to `target`.
    Fail { step: String, action: String, target: String },
    /// The run is cancelled as `step` starts, and its `onCancel` goes to `target`.
    Cancel { step: String, target: String },
    /// Branch `step` takes choice `choice` (`None`: `Default`) to `target`.
    Branch { step: String, choice: Option<usize>, target: String },
}

impl Goal {
    fn name(&self) -> String {
        match self {
            Self::Success => "the success path".into(),
            Self::Fail { step, target, .. } => format!("{step} fails and goes on at {target}"),
            Self::Cancel { step, target } => format!("a cancel during {step} runs {target}"),
            Self::Branch { step, choice: Some(index), target } => {
                format!("{step} takes choice {} to {target}", index + 1)
            }
            Self::Branch { step, choice: None, target } => {
                format!("{step} takes its Default to {target}")
            }
        }
    }

    fn step(&self) -> Option<&str> {
        match self {
            Self::Success => None,
            Self::Fail { step, .. } | Self::Cancel { step, .. } | Self::Branch { step, .. } => {
                Some(step)
            }
        }
    }

    fn target(&self) -> Option<&str> {
        match self {
            Self::Success => None,
            Self::Fail { target, .. }
            | Self::Cancel { target, .. }
            | Self::Branch { target, .. } => Some(target),
        }
    }

    /// The status the case is written to expect when its run did not take its path.
    fn status(&self) -> Status {
        match self {
            Self::Success | Self::Branch { .. } => Status::Success,
            Self::Fail { .. } => Status::Failed,
            Self::Cancel { .. } => Status::Cancelled,
        }
    }

    /// Whether `execution` took the path this goal is about.
    fn taken(&self, execution: &Execution) -> bool {
        let path = execution.path();
        let jumped = |step: &str, target: &str| {
            path.windows(2).any(|pair| pair[0] == step && pair[1] == target)
        };
        match self {
            Self::Success => execution.automation_execution_status == Status::Success,
            Self::Fail { step, target, .. } => {
                jumped(step, target)
                    && execution
                        .step_executions
                        .iter()
                        .any(|s| s.step_name == *step && s.step_status == Status::Failed)
            }
            Self::Cancel { step, target } => {
                execution.automation_execution_status == Status::Cancelled && jumped(step, target)
            }
            Self::Branch { step, target, .. } => jumped(step, target),
        }
    }

    fn what_to_fill_in(&self, execution: Option<&Execution>, refused: Option<&str>) -> String {
        if let Some(message) = refused {
            return format!(
                "NOT MADE: the run was refused ({message}); fill in parameters it accepts"
            );
        }
        let ran = execution.map(|execution| {
            let failed = execution
                .step_executions
                .iter()
                .find(|s| {
                    matches!(s.step_status, Status::Failed | Status::TimedOut)
                        && s.action != "aws:loop"
                })
                .map(|s| {
                    format!(
                        "; `{}` {}: {}",
                        s.step_name,
                        s.step_status,
                        s.failure_message.as_deref().unwrap_or("no message")
                    )
                })
                .unwrap_or_default();
            format!("the run ended {}{failed}", execution.automation_execution_status)
        });
        let ran = ran.unwrap_or_default();
        match self {
            Self::Success => format!(
                "NOT MADE: {ran}.\nFill in mock answers (and parameters) with which every step succeeds"
            ),
            Self::Fail { step, action, .. } => format!(
                "NOT MADE: {ran}.\nFill in what makes `{step}` ({action}) fail: an `error` answer to its call, \
                 or answers that fail its check"
            ),
            Self::Cancel { step, .. } => {
                format!("NOT MADE: {ran}.\nFill in mocks with which the run reaches `{step}`")
            }
            Self::Branch { step, .. } => format!(
                "NOT MADE: {ran}.\nFill in the parameters or mock answers that `{step}`'s condition compares"
            ),
        }
    }
}

/// Every path to look for: the success path, then the jumps of each step in document order.
fn goals(document: &Document) -> Vec<Goal> {
    let mut goals = vec![Goal::Success];
    for step in all_steps(&document.steps) {
        let name = &step.name.value;
        let jumps = step.jumps();
        if let Some(jump) = jumps.on_failure() {
            goals.push(Goal::Fail {
                step: name.clone(),
                action: step.action.value.clone(),
                target: jump.target.to_string(),
            });
        }
        if let Some(jump) = jumps.on_cancel() {
            goals.push(Goal::Cancel { step: name.clone(), target: jump.target.to_string() });
        }
        for jump in jumps.branch() {
            let choice = match jump.kind {
                JumpKind::Choice(index) => Some(index),
                _ => None,
            };
            goals.push(Goal::Branch {
                step: name.clone(),
                choice,
                target: jump.target.to_string(),
            });
        }
    }
    goals
}

/// The steps of `steps` and of the loops among them, in document order.
fn all_steps(steps: &[Step]) -> Vec<&Step> {
    let mut all = Vec::new();
    for step in steps {
        all.push(step);
        if let Some(body) = &step.loop_inputs {
            all.extend(all_steps(&body.steps));
        }
    }
    all
}

/// What a run is given: parameters, answers put before the placeholders, and a cancel.
#[derive(Clone, Debug, Default)]
struct Scenario {
    parameters: IndexMap<String, Value>,
    /// Mock rules that answer before the placeholders (an error, a patched answer).
    rules: Vec<Value>,
    approvals: IndexMap<String, &'static str>,
    scripts: IndexMap<String, Value>,
    cancel_at: Option<String>,
}

impl Scenario {
    fn mock_file(&self) -> Value {
        let mut file = Map::new();
        file.insert("aws".into(), Value::Array(self.rules.clone()));
        if !self.approvals.is_empty() {
            file.insert("approvals".into(), json!(self.approvals));
        }
        if !self.scripts.is_empty() {
            file.insert("scripts".into(), json!(self.scripts));
        }
        Value::Object(file)
    }
}

/// A scenario that ran, and its record.
struct Tried {
    scenario: Scenario,
    execution: Execution,
}

/// The scenario that should take `goal`'s path: the first run that reached the goal's step,
/// with what makes the step go the goal's way.
fn steer(
    goal: &Goal,
    base: &Scenario,
    tried: &[Tried],
    document: &Document,
) -> (Scenario, Vec<String>) {
    let mut notes = Vec::new();
    let Some(step) = goal.step() else {
        let mut scenario = base.clone();
        approve_all(&mut scenario, document);
        return (scenario, notes);
    };
    let reached = tried
        .iter()
        .find(|tried| tried.scenario.cancel_at.is_none() && tried.execution.path().contains(&step));
    let mut scenario = reached.map_or_else(
        || {
            let mut scenario = base.clone();
            approve_all(&mut scenario, document);
            scenario
        },
        |tried| tried.scenario.clone(),
    );
    match goal {
        Goal::Success => {}
        Goal::Fail { action, .. } => match action.as_str() {
            "aws:approve" => {
                scenario.approvals.insert(step.to_string(), "Reject");
                notes.push(format!("`{step}` is rejected"));
            }
            "aws:executeScript" => {
                let message = format!("a failure of {step} written by runbook init");
                scenario.scripts.insert(step.to_string(), json!({"error": message}));
                notes.push(format!("`{step}`'s script is stood in for by one that fails"));
            }
            _ => {
                let call = reached.and_then(|tried| {
                    tried.execution.calls.iter().find(|call| call.step_name == step)
                });
                if let Some(call) = call {
                    scenario.rules.insert(
                        0,
                        json!({
                            "service": call.service,
                            "api": call.api,
                            "params": call.params,
                            "error": {
                                "code": SCAFFOLD_ERROR_CODE,
                                "message": format!("a failure of {step} written by runbook init"),
                            },
                        }),
                    );
                    notes.push(format!(
                        "`{step}` fails through an error answer to {}.{}",
                        call.service, call.api
                    ));
                }
            }
        },
        Goal::Cancel { .. } => {
            scenario.cancel_at = Some(step.to_string());
        }
        Goal::Branch { choice, .. } => {
            let branch = all_steps(&document.steps)
                .into_iter()
                .find(|candidate| candidate.name.value == step)
                .and_then(|candidate| candidate.branch_inputs.as_ref());
            if let Some(branch) = branch {
                let wanted: Vec<(&Condition, bool)> = match choice {
                    Some(index) => branch
                        .choices
                        .get(*index)
                        .map(|chosen| (&chosen.condition, true))
                        .into_iter()
                        .collect(),
                    None => branch.choices.iter().map(|other| (&other.condition, false)).collect(),
                };
                for (condition, holds) in wanted {
                    let mut settings = Vec::new();
                    satisfy(condition, holds, &mut settings);
                    for setting in settings {
                        apply(setting, &mut scenario, reached, document, &mut notes);
                    }
                }
            }
        }
    }
    (scenario, notes)
}

/// One run of a scenario.
struct Run {
    execution: Option<Execution>,
    refused: Option<String>,
    mocks: Value,
}

struct Walker<'a> {
    runbook: &'a Runbook,
    placeholders: Placeholders,
}

impl Walker<'_> {
    fn run(&self, scenario: &Scenario) -> Run {
        let text = serde_json::to_string(&scenario.mock_file()).unwrap_or_default();
        let file = match MockFile::parse(Path::new("scaffold.json"), &text) {
            Ok(file) => file,
            Err(error) => {
                return Run { execution: None, refused: Some(error.to_string()), mocks: json!({}) };
            }
        };
        let recorder = Arc::new(Recorder::new().with_stand_ins(file.scripts.clone()));
        let token = CancelToken::new();
        let token_for_watch = token.clone();
        let mut session = Session::new()
            .approvals(Approvals::None)
            .parameters(scenario.parameters.clone())
            .mocks(file)
            .auto_mock(self.placeholders.clone())
            .record(recorder.clone())
            .cancel_token(token.clone());
        if let Some(step) = &scenario.cancel_at {
            session = session.observer(Arc::new(CancelAt {
                step: step.clone(),
                token,
                fired: AtomicBool::new(false),
            }));
        }
        let watch = Watch::start(token_for_watch);
        let result = session.run(self.runbook);
        watch.stop();
        match result {
            Ok(finished) => Run {
                execution: Some(finished.execution),
                refused: None,
                mocks: recorder.mock_file(),
            },
            Err(error) => {
                Run { execution: None, refused: Some(error.to_string()), mocks: json!({}) }
            }
        }
    }
}

impl Walker<'_> {
    /// Whether the run of `scenario` answered by `mocks` alone (as `runbook test` answers it)
    /// ends as `execution` did, on the same path.
    fn replays(&self, scenario: &Scenario, mocks: &Value, execution: &Execution) -> bool {
        let text = serde_json::to_string(mocks).unwrap_or_default();
        let Ok(file) = MockFile::parse(Path::new("scaffold.json"), &text) else { return false };
        let token = CancelToken::new();
        let mut session = Session::new()
            .approvals(Approvals::None)
            .parameters(scenario.parameters.clone())
            .mocks(file)
            .cancel_token(token.clone());
        let watch = Watch::start(token.clone());
        if let Some(step) = &scenario.cancel_at {
            session = session.observer(Arc::new(CancelAt {
                step: step.clone(),
                token,
                fired: AtomicBool::new(false),
            }));
        }
        let result = session.run(self.runbook);
        watch.stop();
        result.is_ok_and(|finished| {
            finished.execution.automation_execution_status == execution.automation_execution_status
                && finished.execution.path() == execution.path()
        })
    }
}

/// Cancels a run that takes longer than a test case may ([`DEFAULT_TIME_LIMIT`] of real time):
/// its scripts run for real, and one that never ends must not hold `runbook init`.
struct Watch {
    done: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Watch {
    fn start(token: CancelToken) -> Self {
        let (done, wait) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                wait.recv_timeout(DEFAULT_TIME_LIMIT)
            {
                token.cancel();
            }
        });
        Self { done, thread }
    }

    fn stop(self) {
        let _ = self.done.send(());
        let _ = self.thread.join();
    }
}

/// Cancels the run as a step starts, as a case's `cancel.atStep` does.
struct CancelAt {
    step: String,
    token: CancelToken,
    fired: AtomicBool,
}

impl Observer for CancelAt {
    fn on_event(&self, event: &Event<'_>) {
        if let Event::StepStarted { step, .. } = event
            && *step == self.step
            && !self.fired.swap(true, Ordering::Relaxed)
        {
            self.token.cancel();
        }
    }
}

#[cfg(test)]
mod tests;
