//! RB027 `timeout-limit` (warning): `timeoutSeconds` above the most the action may run
//! (`aws:executeScript` 600 s, `aws:invokeLambdaFunction` 300 s, approvals and pauses 30 days),
//! and `maxAttempts: 0`, which the service treats as one attempt.

use crate::diagnostic::{Code, Diagnostic};
use crate::validate::{Context, Rule};

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB027", name: "timeout-limit" },
    summary: "timeouts and attempts are within what the action allows",
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for step in &cx.steps {
        if let (Some(timeout), Some(max)) =
            (&step.timeout_seconds, step.spec().and_then(|spec| spec.max_timeout))
            && timeout.value > max
        {
            out.push(
                Diagnostic::warning(
                    RULE.code,
                    format!(
                        "`timeoutSeconds` is {}, but `{}` runs for at most {max} seconds",
                        timeout.value, step.action.value
                    ),
                )
                .step(&step.name.value)
                .path(format!("{}.timeoutSeconds", step.path))
                .span(timeout.span),
            );
        }
        if let Some(attempts) = step.max_attempts.as_ref().filter(|attempts| attempts.value == 0) {
            out.push(
                Diagnostic::warning(RULE.code, "`maxAttempts` is 0; the step is tried once")
                    .step(&step.name.value)
                    .path(format!("{}.maxAttempts", step.path))
                    .span(attempts.span),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{messages, runbook};

    #[test]
    fn limits_are_reported() {
        let bad = runbook(
            "- {name: a, action: aws:executeScript, timeoutSeconds: 900, inputs: {Runtime: python3.11, Handler: h, Script: s}}\n- {name: b, action: aws:sleep, maxAttempts: 0, inputs: {Duration: PT1S}}\n",
        );
        assert_eq!(
            messages(RULE.code, &bad),
            [
                "`timeoutSeconds` is 900, but `aws:executeScript` runs for at most 600 seconds",
                "`maxAttempts` is 0; the step is tried once",
            ]
        );
        let good = runbook(
            "- {name: a, action: aws:executeScript, timeoutSeconds: 600, inputs: {Runtime: python3.11, Handler: h, Script: s}}\n",
        );
        assert!(messages(RULE.code, &good).is_empty());
    }
}
