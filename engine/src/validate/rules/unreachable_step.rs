//! RB011 `unreachable-step` (warning): no path from the first step leads to this step, through
//! list order, `nextStep`, `onFailure`, `onCancel`, branch choices or loop bodies.

use crate::diagnostic::{Code, Diagnostic};
use crate::validate::{Context, Rule};

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB011", name: "unreachable-step" },
    summary: "every step can be reached from the first one",
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let reachable = cx.graph.reachable();
    for step in &cx.steps {
        let Some(node) = cx.graph.node(&step.name.value) else { continue };
        // Duplicates map to the first step of the name; skip the others.
        if !cx.graph.step(node).is_some_and(|first| std::ptr::eq(first, *step)) {
            continue;
        }
        if !reachable[node.index()] {
            out.push(
                Diagnostic::warning(RULE.code, format!("step `{}` can never run", step.name.value))
                    .step(&step.name.value)
                    .path(&step.path)
                    .span(step.name.span)
                    .hint("no step leads here: an earlier step ends the run or jumps past it"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{messages, runbook};

    #[test]
    fn steps_after_an_end_are_unreachable() {
        let bad = runbook(
            "- {name: a, action: aws:sleep, inputs: {}, isEnd: true}\n- {name: b, action: aws:sleep, inputs: {}}\n",
        );
        assert_eq!(messages(RULE.code, &bad), ["step `b` can never run"]);
    }

    #[test]
    fn failure_and_cancel_targets_are_reachable() {
        let good = runbook(
            "- {name: a, action: aws:sleep, inputs: {}, isEnd: true, onFailure: 'step:b', onCancel: 'step:c'}\n- {name: b, action: aws:sleep, inputs: {}, isEnd: true}\n- {name: c, action: aws:executeAwsApi, inputs: {Service: s, Api: A}}\n",
        );
        assert!(messages(RULE.code, &good).is_empty());
    }
}
