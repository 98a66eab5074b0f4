//! RB002 `invalid-field`: a field of the wrong type or shape, or a field the format does not
//! have (`inputz`, `isEnd: maybe`, a step without `name`).
//!
//! The loader finds these while reading the document (see `document::build`); this rule
//! reports them with the others.

use crate::diagnostic::Diagnostic;
use crate::document::SHAPE;
use crate::validate::{Context, Rule};

pub(super) const RULE: Rule = Rule {
    code: SHAPE,
    summary: "fields must have the type and shape the format gives them",
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    out.extend(cx.document.problems.iter().filter(|p| p.code == SHAPE).cloned());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{messages, runbook};

    #[test]
    fn shape_problems_are_reported() {
        let bad = runbook("- {name: a, action: aws:sleep, inputs: {}, maxAttempts: many}\n");
        assert_eq!(
            messages(RULE.code, &bad),
            ["`maxAttempts` must be a non-negative whole number, found a string"]
        );
        let negative = runbook("- {name: a, action: aws:sleep, inputs: {}, maxAttempts: -1}\n");
        assert_eq!(
            messages(RULE.code, &negative),
            ["`maxAttempts` must be a non-negative whole number, found -1, which is negative"]
        );
        let good = runbook("- {name: a, action: aws:sleep, inputs: {}, maxAttempts: '3'}\n");
        assert!(messages(RULE.code, &good).is_empty());
    }
}
