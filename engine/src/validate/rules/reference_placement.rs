//! RB015 `reference-placement`: Parameter Store references (`{{ ssm:/name }}`) are allowed only
//! in parameter defaults, where they are read when the run starts (SPEC 1.3, 10.11), and
//! parameter defaults cannot read step outputs or variables, which have no value yet then.
//!
//! Defaults may use system variables and other parameters: AWS's own runbooks write
//! `default: "UpdateLinuxAmi_from_{{SourceAmiId}}_on_{{global:DATE_TIME}}"`.

use crate::diagnostic::{Code, Diagnostic};
use crate::template::Target;
use crate::validate::{Context, Rule};

use super::undefined_reference::located;

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB015", name: "reference-placement" },
    summary: "{{ssm:...}} and {{ssm-secure:...}} only in parameter defaults; defaults read no step outputs or variables",
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for use_ in &cx.uses {
        let target = &use_.reference.target;
        let (message, hint) = match (use_.parameter, target) {
            (None, Target::ParameterStore(_) | Target::SecureParameterStore(_)) => (
                format!(
                    "`{}` reads Parameter Store, which only parameter defaults may do",
                    use_.reference.written
                ),
                "declare a parameter whose default is the reference, and use the parameter here",
            ),
            (Some(parameter), Target::StepOutput { .. } | Target::Variable(_)) => (
                format!(
                    "the default of parameter `{parameter}` refers to `{target}`, which has no value when the run starts"
                ),
                "give a literal default, or compute the value in a step",
            ),
            _ => continue,
        };
        out.push(located(Diagnostic::error(RULE.code, message), use_).hint(hint));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::messages;

    #[test]
    fn parameter_store_only_in_defaults() {
        let text = "schemaVersion: '0.3'\nparameters:\n  Ami: {type: String, default: '{{ ssm:/aws/ami }}'}\n  Other: {type: String, default: 'x-{{ a.ImageId }}'}\n  Name: {type: String, default: 'copy-of-{{ Ami }}-{{ global:DATE_TIME }}'}\nmainSteps:\n- {name: a, action: aws:runInstances, inputs: {ImageId: '{{ssm:/aws/ami}}'}}\n- {name: b, action: aws:runInstances, inputs: {ImageId: '{{ Ami }}'}}\n";
        assert_eq!(
            messages(RULE.code, text),
            [
                "the default of parameter `Other` refers to `a.ImageId`, which has no value when the run starts",
                "`{{ssm:/aws/ami}}` reads Parameter Store, which only parameter defaults may do",
            ]
        );
    }
}
