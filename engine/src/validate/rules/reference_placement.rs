//! RB015 `reference-placement`: Parameter Store references (`{{ ssm:/name }}`) are allowed only
//! in parameter defaults, and parameter defaults may hold no other reference (SPEC 1.3, 10.11).
//! The service rejects both when the document is created.

use crate::diagnostic::{Code, Diagnostic};
use crate::template::Target;
use crate::validate::{Context, Rule};

use super::undefined_reference::located;

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB015", name: "reference-placement" },
    summary: "{{ssm:...}} only in parameter defaults, and nothing else there",
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for use_ in &cx.uses {
        let in_default = use_.parameter.is_some();
        let is_store = matches!(use_.reference.target, Target::ParameterStore(_));
        let message = match (in_default, is_store) {
            (false, true) => format!(
                "`{}` reads Parameter Store, which only parameter defaults may do",
                use_.reference.written
            ),
            (true, false) => format!(
                "the default of parameter `{}` refers to `{}`; defaults may only refer to Parameter Store",
                use_.parameter.unwrap_or_default(),
                use_.reference.target
            ),
            _ => continue,
        };
        let hint = if is_store {
            "declare a parameter whose default is the reference, and use the parameter here"
        } else {
            "give a literal default, or compute the value in a step"
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
        let text = "schemaVersion: '0.3'\nparameters:\n  Ami: {type: String, default: '{{ ssm:/aws/ami }}'}\n  Other: {type: String, default: '{{ Ami }}'}\nmainSteps:\n- {name: a, action: aws:runInstances, inputs: {ImageId: '{{ssm:/aws/ami}}'}}\n- {name: b, action: aws:runInstances, inputs: {ImageId: '{{ Ami }}'}}\n";
        assert_eq!(
            messages(RULE.code, text),
            [
                "the default of parameter `Other` refers to `Ami`; defaults may only refer to Parameter Store",
                "`{{ssm:/aws/ami}}` reads Parameter Store, which only parameter defaults may do",
            ]
        );
    }
}
