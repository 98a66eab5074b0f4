//! RB020 `loop-limits`: `aws:loop` takes `Iterators` or `LoopCondition` (not both),
//! `MaxIterations` from 1 to 100, at most 100 literal iterators, an `IteratorDataType` of
//! `Boolean`, `Integer`, `String` or `StringMap`, and at least one step (SPEC 6.17).

use crate::diagnostic::{Code, Diagnostic};
use crate::syntax::NodeKind;
use crate::validate::{Context, Rule};

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB020", name: "loop-limits" },
    summary: "aws:loop inputs are within the service's limits",
    check,
};

/// The most iterations and iterators a loop may have.
pub(crate) const MAX_ITERATIONS: i64 = 100;

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for step in &cx.steps {
        let Some(body) = &step.loop_inputs else { continue };
        let report = |message: String, field: &str, span| {
            Diagnostic::error(RULE.code, message)
                .step(&step.name.value)
                .path(format!("{}.inputs.{field}", step.path))
                .span(span)
        };
        if let (Some(iterators), Some(_)) = (&body.iterators, &body.loop_condition) {
            out.push(report(
                "give `Iterators` or `LoopCondition`, not both".into(),
                "Iterators",
                iterators.span,
            ));
        }
        if let Some(node) = &body.max_iterations {
            let value = match &node.kind {
                NodeKind::Int(value) => Some(*value),
                NodeKind::Str(text) => text.trim().parse().ok(),
                _ => None,
            };
            if let Some(value) = value.filter(|value| !(1..=MAX_ITERATIONS).contains(value)) {
                out.push(report(
                    format!("`MaxIterations` is {value}; it must be from 1 to {MAX_ITERATIONS}"),
                    "MaxIterations",
                    node.span,
                ));
            }
        }
        if let Some(node) = &body.iterators
            && let NodeKind::Seq(items) = &node.kind
            && items.len() > MAX_ITERATIONS as usize
        {
            out.push(report(
                format!("{} iterators; a loop takes at most {MAX_ITERATIONS}", items.len()),
                "Iterators",
                node.span,
            ));
        }
        if let Some(ty) = &body.iterator_data_type
            && !["Boolean", "Integer", "String", "StringMap"].contains(&ty.value.as_str())
        {
            out.push(report(
                format!(
                    "`IteratorDataType` must be Boolean, Integer, String or StringMap, found `{}`",
                    ty.value
                ),
                "IteratorDataType",
                ty.span,
            ));
        }
        if body.steps.is_empty() && step.input("Steps").is_some() {
            let span = step.input("Steps").map_or(step.span, |node| node.span);
            out.push(report("the loop has no steps".into(), "Steps", span));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{messages, runbook};

    #[test]
    fn limits_are_checked() {
        let bad = runbook(
            "- name: l\n  action: aws:loop\n  inputs:\n    MaxIterations: 101\n    Iterators: [a]\n    LoopCondition: {Variable: '{{ x.y }}', StringEquals: z}\n    IteratorDataType: Text\n    Steps: []\n",
        );
        assert_eq!(
            messages(RULE.code, &bad),
            [
                "give `Iterators` or `LoopCondition`, not both",
                "`MaxIterations` is 101; it must be from 1 to 100",
                "`IteratorDataType` must be Boolean, Integer, String or StringMap, found `Text`",
                "the loop has no steps",
            ]
        );
    }

    #[test]
    fn a_plain_loop_passes() {
        let good = runbook(
            "- name: l\n  action: aws:loop\n  inputs:\n    MaxIterations: 3\n    Iterators: [a, b]\n    Steps:\n    - {name: s, action: aws:sleep, inputs: {Duration: PT1S}}\n",
        );
        assert!(messages(RULE.code, &good).is_empty());
    }
}
