//! RB010 `cancel-target`: the service's limits on cancel chains (SPEC 10.14). `onCancel` may
//! not point to an `aws:approve`, `aws:copyImage`, `aws:createImage`, `aws:createStack`,
//! `aws:createTags`, `aws:loop`, `aws:pause`, `aws:runInstances` or `aws:sleep` step (an
//! error). `aws:loop` and `aws:updateVariable` steps do not support `onCancel`; AWS's own
//! runbooks still write it on `aws:updateVariable`, so it is a warning that it has no effect.

use crate::diagnostic::{Code, Diagnostic};
use crate::document::{OnCancel, Spanned, Step};
use crate::validate::{Context, Rule};

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB010", name: "cancel-target" },
    summary: "onCancel is allowed on the step and its target can run on cancel",
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for step in &cx.steps {
        let Some(on_cancel) = &step.on_cancel else { continue };
        let path = format!("{}.onCancel", step.path);
        if let Some(spec) = step.spec().filter(|spec| !spec.on_cancel) {
            out.push(
                Diagnostic::warning(
                    RULE.code,
                    format!("`{}` steps do not support `onCancel`; it has no effect", spec.name),
                )
                .step(&step.name.value)
                .path(&path)
                .span(on_cancel.span),
            );
        }
        let Spanned { value: OnCancel::Step(target), span } = on_cancel else { continue };
        let Some(target_spec) = cx.step(target).and_then(Step::spec) else { continue };
        if !target_spec.cancel_target {
            out.push(
                Diagnostic::error(
                    RULE.code,
                    format!(
                        "`onCancel` cannot go to `{target}`: the service does not run `{}` steps on cancel",
                        target_spec.name
                    ),
                )
                .step(&step.name.value)
                .path(&path)
                .span(*span),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{messages, runbook};

    #[test]
    fn forbidden_targets_and_owners_are_reported() {
        let bad = runbook(
            "- {name: a, action: aws:executeAwsApi, inputs: {Service: s, Api: A}, onCancel: 'step:wait'}\n- {name: wait, action: aws:sleep, inputs: {Duration: PT1S}}\n- {name: v, action: aws:updateVariable, inputs: {Name: 'variable:x', Value: 1}, onCancel: Abort}\n",
        );
        assert_eq!(
            messages(RULE.code, &bad),
            [
                "`onCancel` cannot go to `wait`: the service does not run `aws:sleep` steps on cancel",
                "`aws:updateVariable` steps do not support `onCancel`; it has no effect",
            ]
        );
    }

    #[test]
    fn cleanup_steps_are_fine_targets() {
        let good = runbook(
            "- {name: a, action: aws:sleep, inputs: {Duration: PT1S}, onCancel: 'step:clean'}\n- {name: clean, action: aws:executeAwsApi, inputs: {Service: s, Api: A}}\n",
        );
        assert!(messages(RULE.code, &good).is_empty());
    }
}
