//! RB034 `max-attempts` (warning): a `maxAttempts` the service does not accept or a local run
//! cannot reach. The service's documentation gives no maximum; its API carries `MaxAttempts`
//! as an Integer, so it takes at most 2,147,483,647 (README, "Where the service's documentation
//! is silent"). A local run stops at its step-execution budget (RULINGS 25) long before.

use crate::diagnostic::{Code, Diagnostic};
use crate::execute::StepBudget;
use crate::validate::{Context, Rule};

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB034", name: "max-attempts" },
    summary: "`maxAttempts` is within what the service accepts",
    check,
};

/// The most attempts the service takes: the largest value of the API's Integer.
pub(crate) const MAX_ATTEMPTS: u32 = i32::MAX.unsigned_abs();

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for step in &cx.steps {
        let Some(attempts) = &step.max_attempts else { continue };
        let message = if attempts.value > MAX_ATTEMPTS {
            format!(
                "`maxAttempts` is more than the {MAX_ATTEMPTS} attempts the service accepts (the API's Integer)"
            )
        } else if u64::from(attempts.value) > StepBudget::DEFAULT {
            format!(
                "`maxAttempts` is {}; a local run stops after {} step executions, its default budget, attempts included",
                attempts.value,
                StepBudget::DEFAULT
            )
        } else {
            continue;
        };
        out.push(
            Diagnostic::warning(RULE.code, message)
                .step(&step.name.value)
                .path(format!("{}.maxAttempts", step.path))
                .span(attempts.span),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{messages, runbook};

    #[test]
    fn attempts_beyond_the_service_or_the_budget_are_reported() {
        let bad = runbook(
            "- {name: a, action: aws:sleep, maxAttempts: 2147483648, inputs: {Duration: PT1S}}\n- {name: b, action: aws:sleep, maxAttempts: 99999999999, inputs: {Duration: PT1S}}\n- {name: c, action: aws:sleep, maxAttempts: 10001, inputs: {Duration: PT1S}}\n",
        );
        assert_eq!(
            messages(RULE.code, &bad),
            [
                "`maxAttempts` is more than the 2147483647 attempts the service accepts (the API's Integer)",
                "`maxAttempts` is more than the 2147483647 attempts the service accepts (the API's Integer)",
                "`maxAttempts` is 10001; a local run stops after 10000 step executions, its default budget, attempts included",
            ]
        );
        let good = runbook(
            "- {name: a, action: aws:sleep, maxAttempts: 10000, inputs: {Duration: PT1S}}\n",
        );
        assert!(messages(RULE.code, &good).is_empty());
    }
}
