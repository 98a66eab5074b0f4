//! RB023 `step-cycle`: steps that would run forever when they all succeed, because list order
//! and `nextStep` lead back round with no branch or loop to leave by. The service refuses such
//! a runbook before running it and prints the "circle trace" (SPEC 10.15).

use crate::diagnostic::{Code, Diagnostic};
use crate::validate::{Context, Rule};

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB023", name: "step-cycle" },
    summary: "no steps lead round in an endless cycle",
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for cycle in cx.graph.unconditional_cycles() {
        let Some(first) = cycle.first() else { continue };
        let trace: Vec<&str> = cycle.iter().chain([first]).map(|s| s.name.value.as_str()).collect();
        out.push(
            Diagnostic::error(
                RULE.code,
                format!("the steps run in an endless cycle: {}", trace.join(" -> ")),
            )
            .step(&first.name.value)
            .path(&first.path)
            .span(first.name.span)
            .hint("end the cycle with isEnd, a branch, or use aws:loop for repetition"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{messages, runbook};

    #[test]
    fn cycles_are_reported_with_their_trace() {
        let bad = runbook(
            "- {name: a, action: aws:sleep, inputs: {}, nextStep: b}\n- {name: b, action: aws:sleep, inputs: {}, nextStep: a}\n",
        );
        assert_eq!(messages(RULE.code, &bad), ["the steps run in an endless cycle: a -> b -> a"]);
        let good = runbook(
            "- {name: a, action: aws:sleep, inputs: {}, nextStep: b}\n- {name: b, action: aws:sleep, inputs: {}}\n",
        );
        assert!(messages(RULE.code, &good).is_empty());
    }
}
