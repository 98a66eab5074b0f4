//! RB005 `unknown-action`: the step's action is not one of the service's 23 actions.
//!
//! AWS's own documents use a few internal actions that are not public
//! ([`INTERNAL_ACTIONS`]); the service runs them, so they are a warning (they cannot run here),
//! not an error.

use crate::catalog;
use crate::diagnostic::{Code, Diagnostic, closest};
use crate::validate::{Context, Rule};

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB005", name: "unknown-action" },
    summary: "actions are one of the service's aws:* actions",
    check,
};

/// Actions found only in AWS's own documents, run by the service but not documented.
pub(crate) const INTERNAL_ACTIONS: &[&str] =
    &["aws:putServerUpgradeMetrics", "aws:shareSQLMedia", "aws:installDistributorPackageOnAzure"];

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for step in &cx.steps {
        let action = &step.action.value;
        if action.is_empty() || step.spec().is_some() {
            continue;
        }
        if INTERNAL_ACTIONS.contains(&action.as_str()) {
            out.push(
                Diagnostic::warning(
                    RULE.code,
                    format!("`{action}` is an internal action of AWS's own documents; it cannot run here"),
                )
                .step(&step.name.value)
                .path(format!("{}.action", step.path))
                .span(step.action.span),
            );
            continue;
        }
        let mut diagnostic = Diagnostic::error(RULE.code, format!("unknown action `{action}`"))
            .step(&step.name.value)
            .path(format!("{}.action", step.path))
            .span(step.action.span);
        diagnostic = match closest(action, catalog::action_names()) {
            Some(close) => diagnostic.hint(format!("did you mean `{close}`?")),
            None if !action.starts_with("aws:") => diagnostic
                .hint("Automation actions are named `aws:...`, such as `aws:executeAwsApi`"),
            None => diagnostic,
        };
        out.push(diagnostic);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{check as run, runbook};

    #[test]
    fn typos_get_the_closest_name() {
        let found = run(RULE.code, &runbook("- {name: a, action: aws:executeAPI, inputs: {}}\n"));
        assert_eq!(found[0].message, "unknown action `aws:executeAPI`");
        assert_eq!(found[0].hint.as_deref(), Some("did you mean `aws:executeAwsApi`?"));
        assert!(
            run(RULE.code, &runbook("- {name: a, action: aws:sleep, inputs: {}}\n")).is_empty()
        );
    }

    #[test]
    fn internal_actions_are_warnings() {
        let found =
            run(RULE.code, &runbook("- {name: a, action: aws:shareSQLMedia, inputs: {}}\n"));
        assert_eq!(found.len(), 1);
        assert!(!found[0].is_error());
    }
}
