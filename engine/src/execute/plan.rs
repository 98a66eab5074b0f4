//! A document prepared for running: steps in one arena indexed by [`StepId`], each with its
//! templates parsed, selectors compiled, defaults applied and its place in its scope (the main
//! steps or a loop body) known, so the run loop does no parsing.

use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;

use super::value::Tpl;
use crate::catalog::{ActionSpec, ValueType};
use crate::document::{Condition, Document, OnCancel, OnFailure, Operator, Step};
use crate::selector::Selector;

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
    by_name: IndexMap<String, StepId>,
}

/// Where a step sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Among the main steps.
    Main,
    /// In the body of the loop step with this id.
    Loop(StepId),
}

/// A step ready to run.
#[derive(Debug)]
pub struct PlannedStep {
    /// Its index.
    pub id: StepId,
    /// `name`.
    pub name: String,
    /// `action`.
    pub action: String,
    /// The catalog entry, for actions the service has.
    pub spec: Option<&'static ActionSpec>,
    /// Its scope.
    pub scope: Scope,
    /// The next step of its scope in list order.
    pub next_in_scope: Option<StepId>,
    pub(crate) inputs: Tpl,
    pub(crate) outputs: Vec<PlannedOutput>,
    /// `timeoutSeconds`, or the action's default.
    pub timeout: Option<Duration>,
    /// `maxAttempts`.
    pub max_attempts: u32,
    /// `isCritical` with its default.
    pub is_critical: bool,
    /// `isEnd`.
    pub is_end: bool,
    /// `nextStep`.
    pub next_step: Option<String>,
    /// `onFailure`.
    pub on_failure: OnFailure,
    /// `onCancel`.
    pub on_cancel: OnCancel,
    pub(crate) branch: Option<PlannedBranch>,
    pub(crate) loop_body: Option<PlannedLoop>,
    /// References whose declared type does not fit their input: the step fails when its
    /// inputs are checked (SPEC 2.3).
    pub(crate) type_mismatch: Option<String>,
    /// Inputs given a whole `StringList` where they take a String: each takes the only item.
    pub(crate) one_item_inputs: Vec<String>,
}

/// A declared output.
#[derive(Debug)]
pub(crate) struct PlannedOutput {
    pub(crate) name: String,
    pub(crate) selector: Result<Selector, String>,
    pub(crate) ty: ValueType,
}

/// The choices of an `aws:branch` step.
#[derive(Debug)]
pub(crate) struct PlannedBranch {
    pub(crate) choices: Vec<(Option<String>, Cond)>,
    pub(crate) default: Option<String>,
}

/// The body and settings of an `aws:loop` step.
#[derive(Debug)]
pub(crate) struct PlannedLoop {
    pub(crate) first: Option<StepId>,
    pub(crate) data_type: String,
    pub(crate) condition: Option<Cond>,
}

/// A condition with its templates parsed.
#[derive(Debug)]
pub(crate) enum Cond {
    Compare { variable: Tpl, operator: Operator, value: Tpl },
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    Invalid,
}

impl Cond {
    fn new(condition: &Condition) -> Self {
        match condition {
            Condition::Compare { variable, operator, value } => Self::Compare {
                variable: Tpl::from_node(variable),
                operator: operator.value,
                value: Tpl::from_node(value),
            },
            Condition::And(items) => Self::And(items.iter().map(Self::new).collect()),
            Condition::Or(items) => Self::Or(items.iter().map(Self::new).collect()),
            Condition::Not(inner) => Self::Not(Box::new(Self::new(inner))),
            Condition::Invalid => Self::Invalid,
        }
    }
}

impl Plan {
    /// Prepares `document` for running. This never fails: what cannot run fails its step when
    /// the step is reached, as in the service.
    pub fn new(document: Arc<Document>) -> Self {
        let steps = Arc::clone(&document);
        let mut plan =
            Self { document, steps: Vec::new(), main: Vec::new(), by_name: IndexMap::new() };
        plan.main = plan.add_scope(&steps.steps, Scope::Main);
        plan
    }

    fn add_scope(&mut self, steps: &[Step], scope: Scope) -> Vec<StepId> {
        let ids: Vec<StepId> = steps.iter().map(|step| self.add_step(step, scope)).collect();
        for pair in ids.windows(2) {
            self.steps[pair[0]].next_in_scope = Some(pair[1]);
        }
        ids
    }

    fn add_step(&mut self, step: &Step, scope: Scope) -> StepId {
        let id = self.steps.len();
        let spec = step.spec();
        let inputs = step.inputs.as_ref().map_or(Tpl::Literal(serde_json::json!({})), |inputs| {
            let mut json = inputs.to_json();
            // A loop's nested steps are steps of their own, and conditions are evaluated when
            // they are reached (a loop's after each pass, a branch's choices in order), so
            // neither is resolved with the other inputs.
            if let Some(map) = json.as_object_mut() {
                if step.loop_inputs.is_some() {
                    map.shift_remove("Steps");
                    map.shift_remove("LoopCondition");
                }
                if step.branch_inputs.is_some() {
                    map.shift_remove("Choices");
                }
            }
            Tpl::from_json(json)
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
                selector: Selector::compile(&output.selector.value),
                ty: output.value_type(),
            })
            .collect();
        let mismatches = crate::typing::mismatches(&self.document, step);
        let type_mismatch = (!mismatches.is_empty()).then(|| {
            mismatches.into_iter().map(|mismatch| mismatch.message).collect::<Vec<_>>().join("; ")
        });
        let branch = step.branch_inputs.as_ref().map(|branch| PlannedBranch {
            choices: branch
                .choices
                .iter()
                .map(|choice| {
                    (
                        choice.next_step.as_ref().map(|next| next.value.clone()),
                        Cond::new(&choice.condition),
                    )
                })
                .collect(),
            default: branch.default.as_ref().map(|default| default.value.clone()),
        });
        self.steps.push(PlannedStep {
            id,
            name: step.name.value.clone(),
            action: step.action.value.clone(),
            spec,
            scope,
            next_in_scope: None,
            inputs,
            outputs,
            timeout,
            max_attempts: step.max_attempts(),
            is_critical: step.is_critical(),
            is_end: step.is_end(),
            next_step: step.next_step.as_ref().map(|next| next.value.clone()),
            on_failure: step.on_failure().clone(),
            on_cancel: step.on_cancel().clone(),
            branch,
            loop_body: None,
            type_mismatch,
            one_item_inputs: crate::typing::one_item_inputs(&self.document, step),
        });
        self.by_name.entry(step.name.value.clone()).or_insert(id);
        if let Some(body) = &step.loop_inputs {
            let ids = self.add_scope(&body.steps, Scope::Loop(id));
            self.steps[id].loop_body = Some(PlannedLoop {
                first: ids.first().copied(),
                data_type: body
                    .iterator_data_type
                    .as_ref()
                    .map_or_else(|| "String".to_string(), |t| t.value.clone()),
                condition: body.loop_condition.as_ref().map(Cond::new),
            });
        }
        id
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
