//! A document prepared for running: steps in one arena indexed by [`StepId`], each with its
//! templates parsed, selectors compiled, defaults applied and its place in its scope (the main
//! steps or a loop body) known, so the run loop does no parsing.

use std::sync::Arc;
use std::time::Duration;

use crate::catalog::{ActionSpec, ValueType};
use crate::document::{Condition, Document, Jump, JumpKind, OnFailure, Operator, Step};
use crate::names::{Hasher, NameMap};
use crate::selector::Selector;
use crate::value::{Strings, ValueTemplate};

/// A step's index in its plan.
pub type StepId = usize;

/// A runnable document.
#[derive(Debug)]
pub struct Plan {
    /// The document.
    pub document: Arc<Document>,
    /// Every step, loop bodies included, in source order.
    pub steps: Vec<PlannedStep>,
    /// The main steps, in order.
    pub main: Vec<StepId>,
    by_name: NameMap<Arc<str>, StepId>,
    /// Each selector text compiled once, while the plan is made: long runbooks repeat the
    /// same few (`$.Payload.x` on every step).
    selectors: NameMap<String, Result<Arc<Selector>, String>>,
    /// The templates' strings, each held once, while the plan is made.
    strings: Strings,
}

/// Where a step sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Among the main steps.
    Main,
    /// In the body of the loop step with this id.
    Loop(StepId),
}

/// A step ready to run. A plan holds one for every step for as long as it runs, so what
/// few steps have is kept apart.
#[derive(Debug)]
pub struct PlannedStep {
    /// Its index.
    pub id: StepId,
    /// `name`.
    pub name: Arc<str>,
    /// `action`, held once for every step of that action.
    pub action: Arc<str>,
    /// The catalog entry, for actions the service has.
    pub spec: Option<&'static ActionSpec>,
    /// Its scope.
    pub scope: Scope,
    /// The next step of its scope in list order.
    pub next_in_scope: Option<StepId>,
    pub(crate) inputs: ValueTemplate,
    pub(crate) outputs: Vec<PlannedOutput>,
    /// `timeoutSeconds`, or the action's default.
    pub timeout: Option<Duration>,
    /// `maxAttempts`.
    pub max_attempts: u32,
    /// `isCritical` with its default.
    pub is_critical: bool,
    /// `isEnd`.
    pub is_end: bool,
    /// `onFailure`.
    pub on_failure: OnFailure,
    /// Its jumps, each resolved to its step once; most steps have none, and a plan has a
    /// step for every step of the runbook, so they are kept apart.
    jumps: Option<Box<PlannedJumps>>,
    pub(crate) branch: Option<Box<PlannedBranch>>,
    pub(crate) loop_body: Option<Box<PlannedLoop>>,
    /// What its inputs' types need, when anything (see [`crate::typing`]).
    pub(crate) input_types: Option<Box<InputTypes>>,
}

/// What the types of a step's inputs need before it runs.
#[derive(Debug, Default)]
pub(crate) struct InputTypes {
    /// References whose declared type does not fit their input: the step fails when its
    /// inputs are checked (SPEC 2.3).
    pub(crate) mismatch: Option<String>,
    /// Inputs given a whole `StringList` where they take a String: each takes the only item.
    pub(crate) one_item_inputs: Vec<String>,
}

/// A declared output.
#[derive(Debug)]
pub(crate) struct PlannedOutput {
    pub(crate) name: String,
    pub(crate) selector: Result<Arc<Selector>, String>,
    pub(crate) ty: ValueType,
}

/// A jump's target: the step it names, and that step once the plan found it (`None`: the
/// runbook has no such step, and the run fails when the jump is taken).
#[derive(Clone, Debug)]
pub(crate) struct JumpTarget {
    pub(crate) name: String,
    pub(crate) id: Option<StepId>,
}

/// A step's [`Jumps`](crate::document::Jumps), resolved (a branch's are in its [`PlannedBranch`]).
#[derive(Debug, Default)]
pub(crate) struct PlannedJumps {
    pub(crate) next_step: Option<JumpTarget>,
    pub(crate) on_failure: Option<JumpTarget>,
    pub(crate) on_cancel: Option<JumpTarget>,
}

/// The choices of an `aws:branch` step.
#[derive(Debug)]
pub(crate) struct PlannedBranch {
    pub(crate) choices: Vec<(Option<JumpTarget>, PlannedCondition)>,
    pub(crate) default: Option<JumpTarget>,
}

/// The body and settings of an `aws:loop` step.
#[derive(Debug)]
pub(crate) struct PlannedLoop {
    pub(crate) first: Option<StepId>,
    pub(crate) data_type: String,
    pub(crate) condition: Option<PlannedCondition>,
}

/// A condition with its templates parsed.
#[derive(Debug)]
pub(crate) enum PlannedCondition {
    Compare { variable: ValueTemplate, operator: Operator, value: ValueTemplate },
    And(Vec<PlannedCondition>),
    Or(Vec<PlannedCondition>),
    Not(Box<PlannedCondition>),
    Invalid,
}

impl PlannedCondition {
    fn new(condition: &Condition, strings: &mut Strings) -> Self {
        match condition {
            Condition::Compare { variable, operator, value } => Self::Compare {
                variable: ValueTemplate::from_node(variable, strings),
                operator: operator.value,
                value: ValueTemplate::from_node(value, strings),
            },
            Condition::And(items) => {
                Self::And(items.iter().map(|item| Self::new(item, strings)).collect())
            }
            Condition::Or(items) => {
                Self::Or(items.iter().map(|item| Self::new(item, strings)).collect())
            }
            Condition::Not(inner) => Self::Not(Box::new(Self::new(inner, strings))),
            Condition::Invalid => Self::Invalid,
        }
    }
}

/// Drops the inputs as written of `steps` and of the steps of their loop bodies.
fn release_inputs(steps: &mut [Step]) {
    for step in steps {
        step.inputs = None;
        if let Some(body) = &mut step.loop_inputs {
            release_inputs(&mut body.steps);
        }
    }
}

/// How many steps `steps` holds, loop bodies included.
fn count_steps(steps: &[Step]) -> usize {
    steps
        .iter()
        .map(|step| 1 + step.loop_inputs.as_ref().map_or(0, |body| count_steps(&body.steps)))
        .sum()
}

impl JumpTarget {
    /// `jump`'s target, not found yet.
    fn new(jump: Jump<'_>) -> Self {
        Self { name: jump.target.to_string(), id: None }
    }
}

impl PlannedStep {
    /// Its jumps, each resolved to its step once.
    pub(crate) fn jumps(&self) -> &PlannedJumps {
        static NONE: PlannedJumps =
            PlannedJumps { next_step: None, on_failure: None, on_cancel: None };
        self.jumps.as_deref().unwrap_or(&NONE)
    }
}

/// The document's steps by name, the first of each name.
type Named<'d> = NameMap<&'d str, &'d Step>;

impl Plan {
    /// Prepares `document` for running. This never fails: what cannot run fails its step when
    /// the step is reached, as in the service.
    pub fn new(document: Arc<Document>) -> Self {
        let steps = Arc::clone(&document);
        let count = count_steps(&steps.steps);
        let mut plan = Self {
            document,
            steps: Vec::with_capacity(count),
            main: Vec::new(),
            by_name: NameMap::with_capacity_and_hasher(count, Hasher::default()),
            selectors: NameMap::default(),
            strings: Strings::default(),
        };
        // References name steps anywhere in the document; looking each up in a list would make
        // planning quadratic in the number of steps.
        let named: Named<'_> = steps
            .all_steps()
            .into_iter()
            .map(|step| (step.name.value.as_str(), step))
            .rev()
            .collect();
        plan.main = plan.add_scope(&steps.steps, Scope::Main, &named);
        plan.resolve_jumps();
        plan.selectors = NameMap::default();
        plan.strings = Strings::default();
        plan
    }

    /// Prepares `document` for running as [`new`](Self::new) does, keeping in the plan's
    /// document only what a run reads: the steps' inputs as written, which validation and
    /// planning read, are dropped once the plan holds them as templates. On a long runbook
    /// they are a tenth of the memory a run holds.
    pub fn for_run(document: Document) -> Self {
        let mut plan = Self::new(Arc::new(document));
        if let Some(document) = Arc::get_mut(&mut plan.document) {
            release_inputs(&mut document.steps);
        }
        plan
    }

    /// Finds the step of every jump, once every step has its id.
    fn resolve_jumps(&mut self) {
        let by_name = &self.by_name;
        let resolve =
            |target: &mut JumpTarget| target.id = by_name.get(target.name.as_str()).copied();
        for step in &mut self.steps {
            if let Some(jumps) = &mut step.jumps {
                let PlannedJumps { next_step, on_failure, on_cancel } = &mut **jumps;
                next_step.iter_mut().chain(on_failure).chain(on_cancel).for_each(resolve);
            }
            if let Some(branch) = &mut step.branch {
                let choices = branch.choices.iter_mut().filter_map(|(target, _)| target.as_mut());
                choices.chain(&mut branch.default).for_each(resolve);
            }
        }
    }

    fn add_scope(&mut self, steps: &[Step], scope: Scope, named: &Named<'_>) -> Vec<StepId> {
        let ids: Vec<StepId> = steps.iter().map(|step| self.add_step(step, scope, named)).collect();
        for pair in ids.windows(2) {
            self.steps[pair[0]].next_in_scope = Some(pair[1]);
        }
        ids
    }

    fn add_step(&mut self, step: &Step, scope: Scope, named: &Named<'_>) -> StepId {
        let id = self.steps.len();
        let spec = step.spec();
        // A loop's nested steps are steps of their own, and conditions are evaluated when they
        // are reached (a loop's after each pass, a branch's choices in order), so neither is
        // resolved with the other inputs.
        let skipped: &[&str] = match (&step.loop_inputs, &step.branch_inputs) {
            (Some(_), _) => &["Steps", "LoopCondition"],
            (None, Some(_)) => &["Choices"],
            (None, None) => &[],
        };
        let inputs = step.inputs.as_ref().map_or_else(ValueTemplate::empty_map, |inputs| {
            ValueTemplate::from_node_without(inputs, skipped, &mut self.strings)
        });
        let timeout = step
            .timeout_seconds
            .as_ref()
            .map(|t| t.value)
            .or_else(|| spec.and_then(|spec| spec.default_timeout))
            .map(Duration::from_secs);
        let outputs = step
            .outputs
            .iter()
            .map(|output| PlannedOutput {
                name: output.name.value.clone(),
                selector: self.selector(&output.selector.value),
                ty: output.value_type(),
            })
            .collect();
        let mismatches =
            crate::typing::mismatches_among(&self.document, step, &|name| named.get(name).copied());
        let input_types = InputTypes {
            mismatch: (!mismatches.is_empty()).then(|| {
                let messages: Vec<_> = mismatches.into_iter().map(|m| m.message).collect();
                messages.join("; ")
            }),
            one_item_inputs: crate::typing::one_item_inputs(&self.document, step, &|name| {
                named.get(name).copied()
            }),
        };
        let name: Arc<str> = Arc::from(step.name.value.as_str());
        let jumps = step.jumps();
        let branch = step.branch_inputs.as_ref().map(|branch| {
            let mut choices: Vec<(Option<JumpTarget>, PlannedCondition)> = branch
                .choices
                .iter()
                .map(|choice| (None, PlannedCondition::new(&choice.condition, &mut self.strings)))
                .collect();
            for choice in jumps.choices() {
                if let JumpKind::Choice(index) = choice.kind {
                    choices[index].0 = Some(JumpTarget::new(choice));
                }
            }
            Box::new(PlannedBranch { choices, default: jumps.default().map(JumpTarget::new) })
        });
        let planned_jumps = PlannedJumps {
            next_step: jumps.next_step().map(JumpTarget::new),
            on_failure: jumps.on_failure().map(JumpTarget::new),
            on_cancel: jumps.on_cancel().map(JumpTarget::new),
        };
        let has_jumps = planned_jumps.next_step.is_some()
            || planned_jumps.on_failure.is_some()
            || planned_jumps.on_cancel.is_some();
        self.steps.push(PlannedStep {
            id,
            name: Arc::clone(&name),
            action: self.strings.get(&step.action.value),
            spec,
            scope,
            next_in_scope: None,
            inputs,
            outputs,
            timeout,
            max_attempts: step.max_attempts(),
            is_critical: step.is_critical(),
            is_end: step.is_end(),
            on_failure: step.on_failure().clone(),
            jumps: has_jumps.then(|| Box::new(planned_jumps)),
            branch,
            loop_body: None,
            input_types: (input_types.mismatch.is_some()
                || !input_types.one_item_inputs.is_empty())
            .then(|| Box::new(input_types)),
        });
        self.by_name.entry(name).or_insert(id);
        if let Some(body) = &step.loop_inputs {
            let ids = self.add_scope(&body.steps, Scope::Loop(id), named);
            self.steps[id].loop_body = Some(Box::new(PlannedLoop {
                first: ids.first().copied(),
                data_type: body
                    .iterator_data_type
                    .as_ref()
                    .map_or_else(|| "String".to_string(), |t| t.value.clone()),
                condition: body
                    .loop_condition
                    .as_ref()
                    .map(|condition| PlannedCondition::new(condition, &mut self.strings)),
            }));
        }
        id
    }

    /// `text` compiled, once per plan.
    fn selector(&mut self, text: &str) -> Result<Arc<Selector>, String> {
        if let Some(compiled) = self.selectors.get(text) {
            return compiled.clone();
        }
        let compiled = Selector::compile(text).map(Arc::new);
        self.selectors.insert(text.to_string(), compiled.clone());
        compiled
    }

    /// The step named `name`.
    pub fn step_id(&self, name: &str) -> Option<StepId> {
        self.by_name.get(name).copied()
    }

    /// The document's name: its file name without the extension.
    pub fn document_name(&self) -> String {
        self.document
            .source
            .path
            .file_stem()
            .map_or_else(|| "runbook".to_string(), |stem| stem.to_string_lossy().into_owned())
    }

    /// Whether `scope` is `inner` or encloses it.
    pub(crate) fn encloses(&self, scope: Scope, inner: Scope) -> bool {
        let mut current = inner;
        loop {
            if current == scope {
                return true;
            }
            match current {
                Scope::Main => return false,
                Scope::Loop(loop_id) => current = self.steps[loop_id].scope,
            }
        }
    }
}
