//! RB036 `unsupported-input` (warning): inputs the service acts on and a local run accepts but
//! does not act on, each named with what a local run does instead. README's "Inputs a local run
//! does not act on" lists the same inputs and why.

use crate::diagnostic::{Code, Diagnostic};
use crate::validate::{Context, Rule};

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB036", name: "unsupported-input" },
    summary: "inputs a local run accepts but does not act on",
    check,
};

/// Each action input a local run does not act on, with what happens instead.
pub(crate) const UNSUPPORTED: &[(&str, &str, &str)] = &[
    (
        "aws:approve",
        "EnhancedApprovals",
        "Change Manager's approval levels are not modelled; the step asks for one decision \
         from its `Approvers`",
    ),
    (
        "aws:executeAutomation",
        "Tags",
        "the child run is not tagged: a local run has no resource to tag",
    ),
];

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for step in &cx.steps {
        for (action, input, why) in UNSUPPORTED {
            if step.action.value != *action {
                continue;
            }
            if let Some(node) = step.input(input) {
                out.push(
                    Diagnostic::warning(
                        RULE.code,
                        format!("`{input}` of {action} is not acted on by a local run: {why}"),
                    )
                    .step(&step.name.value)
                    .path(format!("{}.inputs.{input}", step.path))
                    .span(node.span),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{messages, runbook};

    #[test]
    fn each_unsupported_input_is_named_with_what_happens_instead() {
        let steps = runbook(
            "- {name: a, action: aws:approve, inputs: {Approvers: [x], EnhancedApprovals: {Approvers: [{approver: x, type: IamUser, minRequiredApprovals: 1}]}}}\n- {name: b, action: aws:executeAutomation, inputs: {DocumentName: c, Tags: [{Key: k, Value: v}], TargetLocations: [{Accounts: ['123456789012'], Regions: [us-east-1]}]}}\n- {name: c, action: aws:executeAutomation, inputs: {DocumentName: c, TargetLocationsURL: 'https://b.s3.amazonaws.com/l.json'}}\n",
        );
        assert_eq!(
            messages(RULE.code, &steps),
            [
                "`EnhancedApprovals` of aws:approve is not acted on by a local run: Change Manager's approval levels are not modelled; the step asks for one decision from its `Approvers`",
                "`Tags` of aws:executeAutomation is not acted on by a local run: the child run is not tagged: a local run has no resource to tag",
            ]
        );
    }

    #[test]
    fn inputs_a_local_run_acts_on_are_not_reported() {
        let steps = runbook(
            "- {name: a, action: aws:approve, inputs: {Approvers: [x], NotificationArn: 'arn:aws:sns:us-east-1:123456789012:AutomationTopic', Message: m}}\n- {name: b, action: aws:executeAutomation, inputs: {DocumentName: c, Targets: [{Key: ParameterValues, Values: [i-1]}], TargetParameterName: Id, MaxConcurrency: '2'}}\n- {name: c, action: aws:executeAutomation, inputs: {DocumentName: c, TargetLocations: [{Accounts: ['123456789012'], Regions: [us-east-1]}]}}\n- {name: d, action: aws:executeAutomation, inputs: {DocumentName: c, TargetLocationsURL: 'https://b.s3.amazonaws.com/l.json'}}\n",
        );
        assert_eq!(messages(RULE.code, &steps), Vec::<String>::new());
    }

    #[test]
    fn every_input_named_is_one_the_catalog_lists() {
        for (action, input, _) in UNSUPPORTED {
            let spec = crate::catalog::action(action).unwrap_or_else(|| panic!("{action}"));
            assert!(spec.inputs.iter().any(|i| i.name == *input), "{action} has no input {input}");
        }
    }
}
