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

/// Helps the first step that failed, when the case is not about its failure: a wait or an
/// assertion gets an answer whose selected property has the first desired value, a stack a
/// `CREATE_COMPLETE` status, a command `Success` on its instance, a script a stand-in returning
/// `{}`. What it did, or `None` when
/// there is nothing it can do.
fn repair(goal: &Goal, execution: &Execution, scenario: &mut Scenario) -> Option<String> {
    let failed = execution.step_executions.iter().find(|step| {
        matches!(step.step_status, Status::Failed | Status::TimedOut)
            && step.action != "aws:loop"
            && step.action != "aws:executeAutomation"
    })?;
    let name = failed.step_name.as_str();
    if matches!(goal, Goal::Fail { step, .. } if step == name) {
        return None;
    }
    let last_call = |api: Option<&str>| {
        execution
            .calls
            .iter()
            .rev()
            .find(|call| call.step_name == name && api.is_none_or(|api| call.api == api))
    };
    let patched = |call: &runbook_engine::record::CallRecord, selector: &str, value: Value| {
        let mut answer = call.response.clone().unwrap_or_else(|| json!({}));
        // A command's plugins end as its invocation does.
        if call.api == "ListCommandInvocations" {
            set_selected(
                &mut answer,
                "$.CommandInvocations[0].CommandPlugins[0].Status",
                value.clone(),
            );
        }
        set_selected(&mut answer, selector, value).then(|| {
            json!({"service": call.service, "api": call.api, "params": call.params, "returns": answer})
        })
    };
    match failed.action.as_str() {
        "aws:waitForAwsResourceProperty" | "aws:assertAwsResourceProperty" => {
            let selector = failed.inputs.get("PropertySelector")?.as_str()?;
            let desired = failed.inputs.get("DesiredValues")?.as_array()?.first()?.clone();
            let rule = patched(last_call(None)?, selector, desired.clone())?;
            if scenario.rules.contains(&rule) {
                return None;
            }
            scenario.rules.insert(0, rule);
            Some(format!("`{name}`'s answer gives {selector} = {desired}, as it wants"))
        }
        "aws:createStack" => {
            let rule = patched(
                last_call(Some("DescribeStacks"))?,
                "$.Stacks[0].StackStatus",
                json!("CREATE_COMPLETE"),
            )?;
            if scenario.rules.contains(&rule) {
                return None;
            }
            scenario.rules.insert(0, rule);
            Some(format!("`{name}`'s stack is answered CREATE_COMPLETE"))
        }
        "aws:runCommand" => {
            let rule = patched(
                last_call(Some("ListCommandInvocations"))?,
                "$.CommandInvocations[0].Status",
                json!("Success"),
            )?;
            if scenario.rules.contains(&rule) {
                return None;
            }
            scenario.rules.insert(0, rule);
            Some(format!("`{name}`'s command is answered Success on its instance"))
        }
        "aws:executeScript" if !scenario.scripts.contains_key(name) => {
            scenario.scripts.insert(name.to_string(), json!({"returns": {}}));
            Some(format!(
                "`{name}`'s script is stood in for by one returning {{}}: run for real it failed ({})",
                failed
                    .failure_message
                    .as_deref()
                    .unwrap_or("no message")
                    .lines()
                    .next()
                    .unwrap_or_default()
            ))
        }
        _ => None,
    }
}

/// Approves every `aws:approve` and resumes every `aws:pause`, so that the success path goes
/// on past them.
fn approve_all(scenario: &mut Scenario, document: &Document) {
    for step in all_steps(&document.steps) {
        if matches!(step.action.value.as_str(), "aws:approve" | "aws:pause") {
            scenario.approvals.entry(step.name.value.clone()).or_insert("Approve");
        }
    }
}

/// A value for a reference that a branch condition compares.
struct Setting {
    target: Target,
    value: Value,
    /// The value it is compared with, as text.
    compared: String,
    /// Whether the comparison is to hold.
    holds: bool,
}

/// The values of the `{{ references }}` that make `condition` hold (or not, when `holds` is
/// false), as far as simple comparisons tell: `(reference, value)`.
fn satisfy(condition: &Condition, holds: bool, settings: &mut Vec<Setting>) {
    match condition {
        Condition::Compare { variable, operator, value } => {
            let Some(text) = variable.as_str() else { return };
            let template = Template::parse(text);
            let Some(reference) = template.as_whole_reference() else { return };
            let wanted = value.to_json();
            let value = if holds {
                value_that_holds(operator.value, &wanted)
            } else {
                value_that_fails(operator.value, &wanted)
            };
            if let Some(value) = value {
                settings.push(Setting {
                    target: reference.target.clone(),
                    value,
                    compared: runbook_engine::record::as_text(&wanted),
                    holds,
                });
            }
        }
        Condition::And(all) if holds => all.iter().for_each(|c| satisfy(c, true, settings)),
        Condition::Or(any) if !holds => any.iter().for_each(|c| satisfy(c, false, settings)),
        Condition::Or(any) => {
            if let Some(first) = any.first() {
                satisfy(first, true, settings);
            }
        }
        Condition::And(all) => {
            if let Some(first) = all.first() {
                satisfy(first, false, settings);
            }
        }
        Condition::Not(inner) => satisfy(inner, !holds, settings),
        Condition::Invalid => {}
    }
}

fn number(value: &Value) -> Option<f64> {
    value.as_f64().or_else(|| value.as_str().and_then(|text| text.trim().parse().ok()))
}

fn whole(number: f64) -> Value {
    if number.fract() == 0.0 && number.abs() < 9e15 { json!(number as i64) } else { json!(number) }
}

fn value_that_holds(operator: Operator, wanted: &Value) -> Option<Value> {
    Some(match operator {
        Operator::StringEquals
        | Operator::EqualsIgnoreCase
        | Operator::StartsWith
        | Operator::EndsWith
        | Operator::Contains => json!(runbook_engine::record::as_text(wanted)),
        Operator::NumericEquals
        | Operator::NumericGreaterOrEquals
        | Operator::NumericLesserOrEquals => whole(number(wanted)?),
        Operator::NumericGreater => whole(number(wanted)? + 1.0),
        Operator::NumericLesser => whole(number(wanted)? - 1.0),
        Operator::BooleanEquals => json!(
            wanted
                .as_bool()
                .or_else(|| { wanted.as_str().map(|text| text.eq_ignore_ascii_case("true")) })?
        ),
    })
}

fn value_that_fails(operator: Operator, wanted: &Value) -> Option<Value> {
    Some(match operator {
        Operator::StringEquals
        | Operator::EqualsIgnoreCase
        | Operator::StartsWith
        | Operator::EndsWith
        | Operator::Contains => json!(format!("not-{}", runbook_engine::record::as_text(wanted))),
        Operator::NumericEquals | Operator::NumericLesserOrEquals | Operator::NumericLesser => {
            whole(number(wanted)? + 1.0)
        }
        Operator::NumericGreater | Operator::NumericGreaterOrEquals => whole(number(wanted)? - 1.0),
        Operator::BooleanEquals => json!(
            !wanted
                .as_bool()
                .or_else(|| { wanted.as_str().map(|text| text.eq_ignore_ascii_case("true")) })?
        ),
    })
}

/// Makes the reference `target` resolve to `value`: a parameter is set; a step's output is
/// written into the answer of the call it is selected from.
fn apply(
    Setting { target, value, compared, holds }: Setting,
    scenario: &mut Scenario,
    reached: Option<&Tried>,
    document: &Document,
    notes: &mut Vec<String>,
) {
    match &target {
        Target::Parameter(name) => {
            let parameter = document.parameters.iter().find(|p| p.name.value == *name);
            let value = match parameter.and_then(|p| p.ty.as_ref()).map(|ty| ty.value.value_type())
            {
                Some(ValueType::StringList) => json!([value]),
                Some(ValueType::String) | None => json!(runbook_engine::record::as_text(&value)),
                Some(_) => value,
            };
            // A parameter with allowedValues gets the one written as the condition's value,
            // ignoring case (`EqualsIgnoreCase` against `diagnosis`, allowed `Diagnosis`), or
            // for a comparison that must fail, one that is not.
            let value = parameter
                .and_then(|p| p.allowed_values.as_ref())
                .and_then(|allowed| {
                    allowed.value.iter().map(runbook_engine::syntax::Node::to_json).find(|v| {
                        runbook_engine::record::as_text(v).eq_ignore_ascii_case(&compared) == holds
                    })
                })
                .unwrap_or(value);
            notes.push(format!("parameter {name} is {value} for the branch"));
            scenario.parameters.insert(name.clone(), value);
        }
        Target::StepOutput { step, output } => {
            let selector = all_steps(&document.steps)
                .into_iter()
                .find(|candidate| candidate.name.value == *step)
                .and_then(|candidate| candidate.outputs.iter().find(|o| o.name.value == *output))
                .map(|declared| declared.selector.value.clone());
            let call = reached.and_then(|tried| {
                tried.execution.calls.iter().rev().find(|call| call.step_name == *step)
            });
            let patched = match (selector, call) {
                (Some(selector), Some(call)) => call.response.clone().and_then(|mut answer| {
                    set_selected(&mut answer, &selector, value.clone()).then(|| {
                        json!({"service": call.service, "api": call.api, "params": call.params, "returns": answer})
                    })
                }),
                _ => None,
            };
            if let Some(rule) = patched {
                notes.push(format!("{step}.{output} is answered as {value} for the branch"));
                scenario.rules.insert(0, rule);
            }
        }
        _ => {}
    }
}

/// Writes `value` where a simple selector (`$.A.B[0].C`) points in `answer`, making the maps
/// and lists on the way; false for a selector it cannot follow.
fn set_selected(answer: &mut Value, selector: &str, value: Value) -> bool {
    let Some(rest) = selector.trim().strip_prefix('$') else { return false };
    let mut keys: Vec<Result<String, usize>> = Vec::new();
    for part in rest.split('.').filter(|part| !part.is_empty()) {
        let (name, indexes) = part.split_once('[').map_or((part, ""), |(n, i)| (n, i));
        if !name.is_empty() {
            keys.push(Ok(name.to_string()));
        }
        for index in indexes.split('[').filter(|index| !index.is_empty()) {
            let Ok(index) = index.trim_end_matches(']').parse::<usize>() else { return false };
            keys.push(Err(index));
        }
    }
    let mut at = answer;
    for key in keys {
        at = match key {
            Ok(name) => {
                if !at.is_object() {
                    *at = json!({});
                }
                let Some(map) = at.as_object_mut() else { return false };
                map.entry(name).or_insert(Value::Null)
            }
            Err(index) => {
                if !at.is_array() {
                    *at = json!([]);
                }
                let Some(items) = at.as_array_mut() else { return false };
                while items.len() <= index {
                    items.push(json!({}));
                }
                &mut items[index]
            }
        };
    }
    *at = value;
    true
}

/// Values for the parameters a run needs: each required parameter without a default gets one
/// of its type (the first `allowedValues`, else one matching `allowedPattern`). Returns them and
/// how each was guessed.
fn guess_parameters(document: &Document) -> (IndexMap<String, Value>, Vec<String>) {
    let mut values = IndexMap::new();
    let mut guessed = Vec::new();
    for parameter in document.parameters.iter().filter(|p| p.is_required()) {
        let (value, how) = guess_parameter(parameter);
        guessed.push(format!("{} ({how})", parameter.name.value));
        values.insert(parameter.name.value.clone(), value);
    }
    (values, guessed)
}

fn guess_parameter(parameter: &Parameter) -> (Value, &'static str) {
    let ty = parameter.ty.as_ref().map_or(ValueType::String, |ty| ty.value.value_type());
    if let Some(first) = parameter.allowed_values.as_ref().and_then(|values| values.value.first()) {
        let value = first.to_json();
        return match ty {
            ValueType::StringList | ValueType::MapList if !value.is_array() => {
                (json!([value]), "the first of allowedValues")
            }
            _ => (value, "the first of allowedValues"),
        };
    }
    let pattern = parameter.allowed_pattern.as_ref().and_then(|p| value_matching(&p.value));
    let text = pattern
        .clone()
        .unwrap_or_else(|| format!("{}-placeholder", parameter.name.value.to_ascii_lowercase()));
    let how = if pattern.is_some() { "matches allowedPattern" } else { "a placeholder" };
    let value = match ty {
        ValueType::String => json!(text),
        ValueType::StringList => json!([text]),
        ValueType::Integer => json!(pattern.and_then(|p| p.parse::<i64>().ok()).unwrap_or(1)),
        ValueType::Boolean => json!(false),
        ValueType::StringMap => json!({}),
        ValueType::MapList => json!([{}]),
    };
    (value, how)
}

/// The path a case not made expects: the run's path up to the goal's step, its jump, then on
/// from there as a success goes (a branch by its `Default`, else its first choice).
fn intended_path(goal: &Goal, execution: Option<&Execution>, document: &Document) -> Vec<String> {
    let ran: Vec<String> =
        execution.map(|e| e.path().into_iter().map(str::to_string).collect()).unwrap_or_default();
    let steps = all_steps(&document.steps);
    let mut path: Vec<String> = match (goal.step(), goal.target()) {
        (Some(step), Some(target)) => {
            let mut path = match ran.iter().position(|name| name == step) {
                Some(at) => ran[..=at].to_vec(),
                None => walk(&steps, document, step),
            };
            if path.last().map(String::as_str) != Some(step) {
                path.push(step.to_string());
            }
            path.push(target.to_string());
            path
        }
        _ => {
            let failed = ran.iter().position(|name| {
                execution.is_some_and(|e| {
                    e.step_executions.iter().any(|s| {
                        s.step_name == *name
                            && s.action != "aws:loop"
                            && !matches!(s.step_status, Status::Success | Status::Pending)
                    })
                })
            });
            match failed {
                Some(at) => ran[..=at].to_vec(),
                None if !ran.is_empty() => ran.clone(),
                None => {
                    document.steps.first().map(|s| vec![s.name.value.clone()]).unwrap_or_default()
                }
            }
        }
    };
    // On from the last step as a success goes.
    while path.len() < 1000 {
        let Some(last) = path.last() else { break };
        let Some(next) = success_next(&steps, document, last) else { break };
        if matches!(goal, Goal::Success) && path.contains(&next) {
            break;
        }
        if path.iter().filter(|name| **name == next).count() > 1 {
            break;
        }
        path.push(next);
    }
    path
}

/// The steps from the first to `until` as successes go, or as far as they go without coming
/// back.
fn walk(steps: &[&Step], document: &Document, until: &str) -> Vec<String> {
    let mut path = Vec::new();
    let mut at = document.steps.first().map(|step| step.name.value.clone());
    while let Some(name) = at {
        if path.contains(&name) {
            break;
        }
        let done = name == until;
        path.push(name);
        if done {
            break;
        }
        at = success_next(steps, document, path.last().map_or("", String::as_str));
    }
    path
}

/// Where a success of `name` goes: a branch's `Default` (else its first choice), else
/// `nextStep`, else the next step in its list, unless it ends the run.
fn success_next(steps: &[&Step], document: &Document, name: &str) -> Option<String> {
    let step = steps.iter().find(|step| step.name.value == name)?;
    if let Some(branch) = &step.branch_inputs {
        return branch
            .default
            .as_ref()
            .map(|d| d.value.clone())
            .or_else(|| step.jumps().choices().next().map(|jump| jump.target.to_string()));
    }
    if step.is_end.as_ref().is_some_and(|end| end.value) {
        return None;
    }
    if let Some(next) = step.jumps().next_step() {
        return Some(next.target.to_string());
    }
    let list = sibling_list(&document.steps, name)?;
    let at = list.iter().position(|s| s.name.value == name)?;
    list.get(at + 1).map(|s| s.name.value.clone())
}

fn sibling_list<'a>(steps: &'a [Step], name: &str) -> Option<&'a [Step]> {
    if steps.iter().any(|step| step.name.value == name) {
        return Some(steps);
    }
    steps
        .iter()
        .filter_map(|step| step.loop_inputs.as_ref())
        .find_map(|body| sibling_list(&body.steps, name))
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
mod tests {
    use super::*;
    use crate::session::Loader;
    use runbook_engine::document::Format;

    fn runbook(text: &str) -> Runbook {
        Loader::new()
            .parse("r.yaml", text, Format::Yaml)
            .unwrap()
            .into_runbook()
            .unwrap_or_else(|rejected| panic!("{rejected}"))
    }

    const FLOW: &str = "\
schemaVersion: '0.3'
parameters:
  Mode: {type: String, allowedValues: [Fast, Slow]}
  Count: {type: Integer}
  Name: {type: String, allowedPattern: '^web-[0-9]+$'}
  Tags: {type: StringList, default: []}
mainSteps:
  - name: choose
    action: aws:branch
    inputs:
      Choices:
        - {NextStep: slow, Variable: '{{ Mode }}', EqualsIgnoreCase: slow}
      Default: fast
  - name: fast
    action: aws:sleep
    isEnd: true
    inputs: {Duration: PT1S}
  - name: slow
    action: aws:sleep
    onCancel: step:cleanup
    isEnd: true
    inputs: {Duration: PT1H}
  - name: cleanup
    action: aws:executeAwsApi
    inputs: {Service: sns, Api: Publish, TopicArn: arn, Message: cancelled}
";

    #[test]
    fn parameters_are_guessed_from_allowed_values_patterns_and_types() {
        let runbook = runbook(FLOW);
        let (values, guessed) = guess_parameters(runbook.document());
        assert_eq!(json!(values), json!({"Mode": "Fast", "Count": 1, "Name": "web-0"}));
        assert_eq!(
            guessed,
            [
                "Mode (the first of allowedValues)",
                "Count (a placeholder)",
                "Name (matches allowedPattern)"
            ]
        );
    }

    #[test]
    fn goals_are_the_success_path_then_each_jump_in_document_order() {
        let runbook = runbook(FLOW);
        let names: Vec<String> = goals(runbook.document()).iter().map(Goal::name).collect();
        assert_eq!(
            names,
            [
                "the success path",
                "choose takes choice 1 to slow",
                "choose takes its Default to fast",
                "a cancel during slow runs cleanup",
            ]
        );
    }

    #[test]
    fn each_distinct_path_becomes_a_case_made_to_take_it() {
        let scaffold = Scaffold::new(&runbook(FLOW), &Placeholders::unavailable("no models"));
        let cases: Vec<(String, bool, String, Vec<String>)> = scaffold
            .cases
            .iter()
            .map(|case| (case.name.clone(), case.made, case.status.to_string(), case.path.clone()))
            .collect();
        let path = |steps: &[&str]| steps.iter().map(ToString::to_string).collect::<Vec<_>>();
        // The Default's path is the success path's, so it is not written twice.
        assert_eq!(
            cases,
            [
                ("the success path".into(), true, "Success".into(), path(&["choose", "fast"])),
                (
                    "choose takes choice 1 to slow".into(),
                    true,
                    "Success".into(),
                    path(&["choose", "slow"])
                ),
                (
                    "a cancel during slow runs cleanup".into(),
                    true,
                    "Cancelled".into(),
                    path(&["choose", "slow", "cleanup"])
                ),
            ]
        );
        // The allowed value the condition names, ignoring case.
        assert_eq!(scaffold.cases[1].parameters["Mode"], json!("Slow"));
        assert_eq!(scaffold.cases[2].cancel_at.as_deref(), Some("slow"));
        let text = scaffold.to_yaml(Path::new("r.yaml"));
        let file = crate::testing::TestFile::parse(Path::new("r.test.yaml"), &text)
            .unwrap_or_else(|error| panic!("{error}\n{text}"));
        assert_eq!(file.cases.len(), 3);
        assert!(text.contains("  # parameter Mode is \"Slow\" for the branch\n"), "{text}");
    }

    #[test]
    fn a_case_not_made_expects_its_path_and_says_what_to_fill_in() {
        let text = "\
schemaVersion: '0.3'
mainSteps:
  - name: stop
    action: aws:executeAwsApi
    onFailure: step:report
    inputs: {Service: ec2, Api: StopInstances, InstanceIds: [i-1]}
  - name: done
    action: aws:sleep
    isEnd: true
    inputs: {Duration: PT1S}
  - name: report
    action: aws:sleep
    inputs: {Duration: PT1S}
";
        let scaffold = Scaffold::new(&runbook(text), &Placeholders::unavailable("no models"));
        let success = &scaffold.cases[0];
        assert!(!success.made);
        assert_eq!(success.status, Status::Success);
        assert_eq!(success.path, ["stop", "done"]);
        assert!(
            success.notes.iter().any(|note| note.starts_with("NOT MADE: the run ended Failed")),
            "{:?}",
            success.notes
        );
        // Without models no call is answered: the failure case reaches `report` all the same.
        assert_eq!(scaffold.cases[1].name, "stop fails and goes on at report");
        assert!(scaffold.cases[1].made);
    }

    #[test]
    fn selected_values_are_written_into_answers() {
        let mut answer = json!({"Reservations": [{"Instances": [{"State": {"Name": "pending"}}]}]});
        assert!(set_selected(
            &mut answer,
            "$.Reservations[0].Instances[0].State.Name",
            json!("running")
        ));
        assert_eq!(answer["Reservations"][0]["Instances"][0]["State"]["Name"], "running");
        let mut empty = json!({});
        assert!(set_selected(&mut empty, "$.Table.Status", json!("ACTIVE")));
        assert_eq!(empty, json!({"Table": {"Status": "ACTIVE"}}));
        assert!(!set_selected(&mut empty, "$.Items[*].Id", json!(1)));
        assert!(!set_selected(&mut empty, "Items", json!(1)));
    }

    #[test]
    fn comparisons_are_made_to_hold_or_fail() {
        assert_eq!(value_that_holds(Operator::StringEquals, &json!("on")), Some(json!("on")));
        assert_eq!(value_that_holds(Operator::NumericGreater, &json!(3)), Some(json!(4)));
        assert_eq!(value_that_holds(Operator::NumericLesser, &json!("3")), Some(json!(2)));
        assert_eq!(value_that_holds(Operator::BooleanEquals, &json!("true")), Some(json!(true)));
        assert_eq!(value_that_fails(Operator::StringEquals, &json!("on")), Some(json!("not-on")));
        assert_eq!(value_that_fails(Operator::NumericGreaterOrEquals, &json!(3)), Some(json!(2)));
        assert_eq!(value_that_fails(Operator::BooleanEquals, &json!(true)), Some(json!(false)));
        assert_eq!(value_that_holds(Operator::NumericEquals, &json!("many")), None);
    }
}
