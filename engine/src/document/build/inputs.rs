//! The inputs the document model reads itself: `aws:branch` choices and their conditions, and
//! `aws:loop` bodies.

use super::super::{BranchInputs, Choice, Condition, LoopInputs, Operator, Spanned};
use super::{At, Builder, SHAPE};
use crate::diagnostic::{Diagnostic, closest};
use crate::syntax::{Entry, Node};

impl Builder {
    pub(super) fn branch(
        &mut self,
        inputs: &Node,
        path: At<'_>,
        step: Option<&str>,
    ) -> BranchInputs {
        let mut branch = BranchInputs { choices: Vec::new(), default: None };
        if let Some(default) = inputs.get("Default") {
            branch.default = self.text(default, At::Dot(&path, "Default"), step);
        }
        let Some(choices) = inputs.get("Choices") else { return branch };
        let choices_path = At::Dot(&path, "Choices");
        let Some(items) = self.list(choices, choices_path, step) else { return branch };
        for (index, item) in items.iter().enumerate() {
            let choice_path = At::Index(&choices_path, index).to_string();
            let at = At::Text(&choice_path);
            let next_step = match item.get("NextStep") {
                Some(node) => self.text(node, At::Dot(&at, "NextStep"), step),
                None => {
                    self.problem(item, at, step, "the choice has no `NextStep`".into());
                    None
                }
            };
            let condition = self.condition(item, at, step, &["NextStep"]);
            branch.choices.push(Choice {
                next_step,
                condition,
                span: item.span,
                path: choice_path,
            });
        }
        branch
    }

    /// Reads a condition from the keys of `node`, apart from `skip` (a choice's `NextStep`).
    pub(super) fn condition(
        &mut self,
        node: &Node,
        path: At<'_>,
        step: Option<&str>,
        skip: &[&str],
    ) -> Condition {
        let Some(fields) = self.map(node, path, step) else { return Condition::Invalid };
        let fields: Vec<&Entry> =
            fields.iter().filter(|f| !skip.contains(&f.key.as_str())).collect();
        let logical: Vec<&&Entry> =
            fields.iter().filter(|f| matches!(f.key.as_str(), "And" | "Or" | "Not")).collect();
        if let Some(first) = logical.first() {
            if fields.len() > 1 {
                let message = format!(
                    "`{}` must be the only key of its condition, found {} keys",
                    first.key,
                    fields.len()
                );
                self.problem(node, path, step, message);
                return Condition::Invalid;
            }
            let inner_path = At::Dot(&path, &first.key);
            if first.key == "Not" {
                return Condition::Not(Box::new(self.condition(
                    &first.value,
                    inner_path,
                    step,
                    &[],
                )));
            }
            let Some(items) = self.list(&first.value, inner_path, step) else {
                return Condition::Invalid;
            };
            let conditions = items
                .iter()
                .enumerate()
                .map(|(index, item)| self.condition(item, At::Index(&inner_path, index), step, &[]))
                .collect();
            return if first.key == "And" {
                Condition::And(conditions)
            } else {
                Condition::Or(conditions)
            };
        }

        let mut variable = None;
        let mut operator = None;
        for field in &fields {
            let field_path = At::Dot(&path, &field.key);
            if field.key == "Variable" {
                variable = Some(field.value.clone());
            } else if let Some(op) = Operator::parse(&field.key) {
                if operator.is_some() {
                    let message = "a condition compares with one operator, found two".to_string();
                    self.problem(&field.value, field_path, step, message);
                    return Condition::Invalid;
                }
                operator = Some((Spanned::new(op, field.key_span), field.value.clone()));
            } else {
                let known = Operator::ALL.map(Operator::as_str);
                let mut problem =
                    Diagnostic::error(SHAPE, format!("unknown condition operator `{}`", field.key))
                        .path(field_path.to_string())
                        .span(field.key_span);
                if let Some(step) = step {
                    problem = problem.step(step);
                }
                let candidates = known.iter().copied().chain(["Variable", "And", "Or", "Not"]);
                if let Some(close) = closest(&field.key, candidates) {
                    problem = problem.hint(format!("did you mean `{close}`?"));
                }
                self.problems.push(problem);
                return Condition::Invalid;
            }
        }
        match (variable, operator) {
            (Some(variable), Some((operator, value))) => {
                Condition::Compare { variable, operator, value }
            }
            (None, _) => {
                self.problem(node, path, step, "the condition has no `Variable`".into());
                Condition::Invalid
            }
            (Some(_), None) => {
                let message = "the condition has no operator (such as `StringEquals`)".to_string();
                self.problem(node, path, step, message);
                Condition::Invalid
            }
        }
    }

    pub(super) fn loop_inputs(
        &mut self,
        inputs: &Node,
        path: At<'_>,
        step: Option<&str>,
    ) -> LoopInputs {
        let steps = match inputs.get("Steps") {
            Some(node) => {
                let steps_path = At::Dot(&path, "Steps");
                match self.list(node, steps_path, step) {
                    Some(items) => self.steps(items, steps_path),
                    None => Vec::new(),
                }
            }
            None => Vec::new(),
        };
        let iterator_data_type = inputs
            .get("IteratorDataType")
            .and_then(|node| self.text(node, At::Dot(&path, "IteratorDataType"), step));
        let loop_condition = inputs
            .get("LoopCondition")
            .map(|node| self.condition(node, At::Dot(&path, "LoopCondition"), step, &[]));
        LoopInputs {
            steps,
            iterators: inputs.get("Iterators").cloned(),
            iterator_data_type,
            loop_condition,
            max_iterations: inputs.get("MaxIterations").cloned(),
        }
    }
}
