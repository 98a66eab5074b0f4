//! RB004 `duplicate-step-name`: step names are unique in the whole runbook, loop bodies
//! included (SPEC 4, RULINGS 21).

use crate::names::NameMap;

use crate::diagnostic::{Code, Diagnostic};
use crate::validate::{Context, Rule};

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB004", name: "duplicate-step-name" },
    summary: "step names are unique in the runbook, loop bodies included",
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let mut first_line = NameMap::default();
    for step in &cx.steps {
        let name = step.name.value.as_str();
        if name.is_empty() {
            continue;
        }
        if let Some(line) = first_line.get(name) {
            out.push(
                Diagnostic::error(
                    RULE.code,
                    format!("step name `{name}` is already used by the step at line {line}"),
                )
                .step(name)
                .path(format!("{}.name", step.path))
                .span(step.name.span),
            );
        } else {
            first_line.insert(name, step.name.span.start.line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{messages, runbook};

    #[test]
    fn duplicates_inside_loops_count() {
        let bad = runbook(
            "- name: a\n  action: aws:loop\n  inputs:\n    MaxIterations: 1\n    Steps:\n    - {name: a, action: aws:sleep, inputs: {}}\n",
        );
        assert_eq!(
            messages(RULE.code, &bad),
            ["step name `a` is already used by the step at line 3"]
        );
        let good = runbook(
            "- {name: a, action: aws:sleep, inputs: {}}\n- {name: b, action: aws:sleep, inputs: {}}\n",
        );
        assert!(messages(RULE.code, &good).is_empty());
    }
}
