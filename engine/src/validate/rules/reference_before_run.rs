//! RB013 `reference-before-run` (warning): a step refers to the output of a step that cannot
//! have run before it, because no path of the step graph leads from that step to this one.
//! At run time such a reference is left as its literal text, with a warning in the run's
//! record (RULINGS 12). References that only some paths leave without a value are RB032's.

use crate::diagnostic::{Code, Diagnostic};
use crate::graph::Search;
use crate::template::Target;
use crate::validate::{Context, Rule};

use super::undefined_reference::located;

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB013", name: "reference-before-run" },
    summary: "step outputs are read only after their step can have run",
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let mut search = Search::default();
    for use_ in &cx.uses {
        let (Some(user), Target::StepOutput { step, output }) = (use_.step, &use_.reference.target)
        else {
            continue;
        };
        let (Some(source), Some(user_node)) =
            (cx.graph.node(step), cx.graph.node(&user.name.value))
        else {
            continue;
        };
        if !cx.graph.leads_to(source, user_node, &mut search) {
            let message = if step == &user.name.value {
                format!("step `{step}` reads its own output `{output}`, which it does not have yet")
            } else {
                format!("`{step}.{output}` is read before step `{step}` can have run")
            };
            out.push(located(Diagnostic::warning(RULE.code, message), use_).hint(format!(
                "no path of the runbook leads from `{step}` to `{}`",
                user.name.value
            )));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{messages, runbook};

    #[test]
    fn reading_a_later_step_is_a_warning() {
        let bad = runbook(
            "- {name: a, action: aws:sleep, inputs: {Duration: '{{ b.ImageId }}'}}\n- {name: b, action: aws:createImage, inputs: {InstanceId: i, ImageName: n}}\n",
        );
        assert_eq!(messages(RULE.code, &bad), ["`b.ImageId` is read before step `b` can have run"]);
    }

    #[test]
    fn earlier_steps_and_loop_conditions_are_fine() {
        let good = runbook(
            "- {name: b, action: aws:createImage, inputs: {InstanceId: i, ImageName: n}}\n- {name: a, action: aws:sleep, inputs: {Duration: '{{ b.ImageId }}'}}\n- name: l\n  action: aws:loop\n  inputs:\n    MaxIterations: 3\n    LoopCondition: {Variable: '{{ p.Payload }}', StringEquals: x}\n    Steps:\n    - {name: p, action: aws:executeScript, inputs: {Runtime: python3.11, Handler: h, Script: s}}\n",
        );
        assert!(messages(RULE.code, &good).is_empty(), "{:?}", messages(RULE.code, &good));
    }
}
