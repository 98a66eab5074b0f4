//! RB025 `branch-condition`: the conditions of `aws:branch` choices and `aws:loop`'s
//! `LoopCondition` compare sensibly: a branch has at least one choice, numeric operators
//! compare with numbers, `BooleanEquals` with `true` or `false`, text operators with text.

use crate::diagnostic::{Code, Diagnostic};
use crate::document::{Condition, Operator, Step};
use crate::syntax::{Node, NodeKind};
use crate::template::has_references;
use crate::validate::{Context, Rule};

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB025", name: "branch-condition" },
    summary: "branch and loop conditions compare values of the right type",
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for step in &cx.steps {
        if let Some(branch) = &step.branch_inputs {
            if branch.choices.is_empty() && step.input("Choices").is_some() {
                let span = step.input("Choices").map_or(step.span, |node| node.span);
                out.push(
                    Diagnostic::error(RULE.code, "the branch has no choices")
                        .step(&step.name.value)
                        .path(format!("{}.inputs.Choices", step.path))
                        .span(span),
                );
            }
            for choice in &branch.choices {
                conditions(step, &choice.condition, &choice.path, out);
            }
        }
        if let Some(condition) =
            step.loop_inputs.as_ref().and_then(|body| body.loop_condition.as_ref())
        {
            conditions(step, condition, &format!("{}.inputs.LoopCondition", step.path), out);
        }
    }
}

fn conditions(step: &Step, condition: &Condition, path: &str, out: &mut Vec<Diagnostic>) {
    match condition {
        Condition::Compare { operator, value, .. } => {
            if let Some(problem) = operand_problem(operator.value, value) {
                out.push(
                    Diagnostic::error(RULE.code, problem)
                        .step(&step.name.value)
                        .path(format!("{path}.{}", operator.value.as_str()))
                        .span(value.span),
                );
            }
        }
        Condition::And(items) | Condition::Or(items) => {
            if items.is_empty() {
                out.push(
                    Diagnostic::error(RULE.code, "`And` and `Or` need at least one condition")
                        .step(&step.name.value)
                        .path(path),
                );
            }
            for item in items {
                conditions(step, item, path, out);
            }
        }
        Condition::Not(inner) => conditions(step, inner, path, out),
        Condition::Invalid => {}
    }
}

fn operand_problem(operator: Operator, value: &Node) -> Option<String> {
    if value.as_str().is_some_and(has_references) {
        return None;
    }
    let name = operator.as_str();
    match operator {
        Operator::NumericEquals
        | Operator::NumericGreater
        | Operator::NumericLesser
        | Operator::NumericGreaterOrEquals
        | Operator::NumericLesserOrEquals => match &value.kind {
            NodeKind::Int(_) | NodeKind::Float { .. } => None,
            NodeKind::Str(text) if text.trim().parse::<f64>().is_ok() => None,
            _ => Some(format!("`{name}` compares with a number, found {}", value.type_name())),
        },
        Operator::BooleanEquals => match &value.kind {
            NodeKind::Bool(_) => None,
            NodeKind::Str(text)
                if text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false") =>
            {
                None
            }
            _ => Some(format!(
                "`BooleanEquals` compares with true or false, found {}",
                value.type_name()
            )),
        },
        _ => matches!(value.kind, NodeKind::Seq(_) | NodeKind::Map(_) | NodeKind::Null)
            .then(|| format!("`{name}` compares with text, found {}", value.type_name())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{messages, runbook};

    #[test]
    fn operands_of_the_wrong_type_are_reported() {
        let bad = runbook(
            "- name: b\n  action: aws:branch\n  inputs:\n    Choices:\n    - {NextStep: b, Variable: '{{ X }}', NumericGreater: many}\n    - NextStep: b\n      Or:\n      - {Variable: '{{ X }}', BooleanEquals: maybe}\n      - {Variable: '{{ X }}', StringEquals: [a]}\n",
        );
        assert_eq!(
            messages(RULE.code, &bad),
            [
                "`NumericGreater` compares with a number, found a string",
                "`BooleanEquals` compares with true or false, found a string",
                "`StringEquals` compares with text, found a list",
            ]
        );
    }

    #[test]
    fn well_typed_conditions_pass() {
        let good = runbook(
            "- name: b\n  action: aws:branch\n  inputs:\n    Choices:\n    - {NextStep: b, Variable: '{{ X }}', NumericGreater: 5}\n    - {NextStep: b, Variable: '{{ X }}', BooleanEquals: true}\n    - {NextStep: b, Variable: '{{ X }}', NumericEquals: '{{ Y }}'}\n",
        );
        assert!(messages(RULE.code, &good).is_empty());
    }
}
