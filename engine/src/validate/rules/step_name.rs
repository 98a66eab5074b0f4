//! RB003 `step-name`: step names are letters, digits and underscores (SPEC 10.13).

use crate::diagnostic::{Code, Diagnostic};
use crate::validate::{Context, Rule};

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB003", name: "step-name" },
    summary: "step names match [a-zA-Z0-9_]+",
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for step in &cx.steps {
        let name = &step.name.value;
        if name.is_empty() {
            continue; // no name at all is an invalid-field problem
        }
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            let suggestion: String =
                name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
            out.push(
                Diagnostic::error(
                    RULE.code,
                    format!("step name `{name}` may only hold letters, digits and underscores"),
                )
                .step(name)
                .path(format!("{}.name", step.path))
                .span(step.name.span)
                .hint(format!("rename it, for example to `{suggestion}`")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{messages, runbook};

    #[test]
    fn hyphens_are_refused() {
        let bad = runbook("- {name: get-instance, action: aws:sleep, inputs: {}}\n");
        assert_eq!(
            messages(RULE.code, &bad),
            ["step name `get-instance` may only hold letters, digits and underscores"]
        );
        let good = runbook("- {name: getInstance_2, action: aws:sleep, inputs: {}}\n");
        assert!(messages(RULE.code, &good).is_empty());
    }
}
