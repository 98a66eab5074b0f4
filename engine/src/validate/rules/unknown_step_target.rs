//! RB009 `unknown-step-target`: `nextStep`, `onFailure: step:X`, `onCancel: step:X` and a
//! branch's `NextStep` and `Default` (the step's [`Jumps`](crate::document::Jumps)) must name a
//! step of the runbook.

use crate::diagnostic::{Code, Diagnostic, closest};
use crate::document::{Jump, JumpKind, Step};
use crate::validate::{Context, Rule};

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB009", name: "unknown-step-target" },
    summary: "jumps name steps that exist",
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for step in &cx.steps {
        for jump in step.jumps().iter() {
            if cx.step(jump.target).is_none() {
                out.push(unknown(cx, step, jump));
            }
        }
    }
}

/// The field path of `jump` in `step`.
fn path(step: &Step, jump: Jump<'_>) -> String {
    match jump.kind {
        JumpKind::Choice(index) => {
            let choices = step.branch_inputs.as_ref().map(|branch| &branch.choices);
            match choices.and_then(|choices| choices.get(index)) {
                Some(choice) => format!("{}.NextStep", choice.path),
                None => step.path.clone(),
            }
        }
        JumpKind::Default => format!("{}.inputs.Default", step.path),
        kind => format!("{}.{}", step.path, kind.field()),
    }
}

fn unknown(cx: &Context<'_>, step: &Step, jump: Jump<'_>) -> Diagnostic {
    let mut diagnostic = Diagnostic::error(
        RULE.code,
        format!("`{}` names step `{}`, which does not exist", jump.kind.field(), jump.target),
    )
    .step(&step.name.value)
    .path(path(step, jump))
    .span(jump.span);
    if let Some(close) = closest(jump.target, cx.steps.iter().map(|s| s.name.value.as_str())) {
        diagnostic = diagnostic.hint(format!("did you mean `{close}`?"));
    }
    diagnostic
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{check as run, runbook};

    #[test]
    fn every_kind_of_jump_is_checked() {
        let found = run(
            RULE.code,
            &runbook(
                "- {name: start, action: aws:sleep, inputs: {}, nextStep: strat, onFailure: 'step:nope', onCancel: 'step:gone'}\n- name: b\n  action: aws:branch\n  inputs:\n    Choices: [{NextStep: x, Variable: '{{ P }}', StringEquals: a}]\n    Default: y\n",
            ),
        );
        let messages: Vec<_> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`nextStep` names step `strat`, which does not exist",
                "`onFailure` names step `nope`, which does not exist",
                "`onCancel` names step `gone`, which does not exist",
                "`NextStep` names step `x`, which does not exist",
                "`Default` names step `y`, which does not exist",
            ]
        );
        assert_eq!(found[0].hint.as_deref(), Some("did you mean `start`?"));
        assert_eq!(found[3].path, "mainSteps[1].inputs.Choices[0].NextStep");
    }

    #[test]
    fn existing_targets_pass() {
        let good = runbook(
            "- {name: a, action: aws:sleep, inputs: {}, nextStep: b}\n- {name: b, action: aws:sleep, inputs: {}, onFailure: 'step:a'}\n",
        );
        assert!(run(RULE.code, &good).is_empty());
    }
}
