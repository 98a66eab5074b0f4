//! RB009 `unknown-step-target`: `nextStep`, `onFailure: step:X`, `onCancel: step:X` and a
//! branch's `NextStep` and `Default` must name a step of the runbook.

use crate::diagnostic::{Code, Diagnostic, closest};
use crate::document::{OnCancel, OnFailure, Spanned, Step};
use crate::syntax::Span;
use crate::validate::{Context, Rule};

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB009", name: "unknown-step-target" },
    summary: "jumps name steps that exist",
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for step in &cx.steps {
        let mut targets: Vec<(&str, &str, Span, String)> = Vec::new();
        if let Some(Spanned { value, span }) = &step.next_step {
            targets.push(("nextStep", value, *span, format!("{}.nextStep", step.path)));
        }
        if let Some(Spanned { value: OnFailure::Step(target), span }) = &step.on_failure {
            targets.push(("onFailure", target, *span, format!("{}.onFailure", step.path)));
        }
        if let Some(Spanned { value: OnCancel::Step(target), span }) = &step.on_cancel {
            targets.push(("onCancel", target, *span, format!("{}.onCancel", step.path)));
        }
        if let Some(branch) = &step.branch_inputs {
            for choice in &branch.choices {
                if let Some(next) = &choice.next_step {
                    targets.push((
                        "NextStep",
                        &next.value,
                        next.span,
                        format!("{}.NextStep", choice.path),
                    ));
                }
            }
            if let Some(default) = &branch.default {
                targets.push((
                    "Default",
                    &default.value,
                    default.span,
                    format!("{}.inputs.Default", step.path),
                ));
            }
        }
        for (field, target, span, path) in targets {
            if cx.step(target).is_none() {
                out.push(unknown(cx, step, field, target, span, path));
            }
        }
    }
}

fn unknown(
    cx: &Context<'_>,
    step: &Step,
    field: &str,
    target: &str,
    span: Span,
    path: String,
) -> Diagnostic {
    let mut diagnostic = Diagnostic::error(
        RULE.code,
        format!("`{field}` names step `{target}`, which does not exist"),
    )
    .step(&step.name.value)
    .path(path)
    .span(span);
    if let Some(close) = closest(target, cx.steps.iter().map(|s| s.name.value.as_str())) {
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
