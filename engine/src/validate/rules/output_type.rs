//! RB017 `unknown-type`: a parameter `type`, variable `type` or output `Type` that is not one
//! of the service's types (`String`, `StringList`, `Integer`, `Boolean`, `StringMap`, `MapList`,
//! and for parameters the `AWS::...` types). The loader finds these; this rule reports them.

use crate::diagnostic::Diagnostic;
use crate::document::UNKNOWN_TYPE;
use crate::validate::{Context, Rule};

pub(super) const RULE: Rule = Rule {
    code: UNKNOWN_TYPE,
    summary: "parameter, variable and output types are the service's types",
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    out.extend(cx.document.problems.iter().filter(|p| p.code == UNKNOWN_TYPE).cloned());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{check as run, runbook};

    #[test]
    fn unknown_output_types_are_reported_with_a_suggestion() {
        let found = run(
            RULE.code,
            &runbook(
                "- name: a\n  action: aws:executeAwsApi\n  inputs: {Service: s, Api: A}\n  outputs: [{Name: X, Selector: $.x, Type: Stringlist}]\n",
            ),
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].message, "unknown type `Stringlist`");
        assert_eq!(found[0].hint.as_deref(), Some("did you mean `StringList`?"));
    }

    #[test]
    fn known_types_pass() {
        let good = "schemaVersion: '0.3'\nparameters:\n  R: {type: 'List<AWS::EC2::Instance::Id>'}\nvariables:\n  v: {type: MapList, default: []}\nmainSteps: []\n";
        assert!(run(RULE.code, good).is_empty());
    }
}
