//! RB026 `update-variable`: `aws:updateVariable` names a declared variable as
//! `variable:NAME`, and a literal `Value` has the variable's type, with no conversion
//! (SPEC section 3, RULINGS 9).

use crate::catalog::ValueType;
use crate::diagnostic::{Code, Diagnostic, closest};
use crate::syntax::{Node, NodeKind};
use crate::template::has_references;
use crate::validate::{Context, Rule};

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB026", name: "update-variable" },
    summary: "aws:updateVariable names a declared variable and gives a value of its type",
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for step in cx.steps.iter().filter(|step| step.action.value == "aws:updateVariable") {
        let Some(name_node) = step.input("Name") else { continue };
        let report = |message: String, field: &str, span| {
            Diagnostic::error(RULE.code, message)
                .step(&step.name.value)
                .path(format!("{}.inputs.{field}", step.path))
                .span(span)
        };
        let Some(text) = name_node.scalar_text() else { continue };
        let Some(name) = text.strip_prefix("variable:") else {
            out.push(
                report(
                    format!("`Name` must be written `variable:NAME`, found `{text}`"),
                    "Name",
                    name_node.span,
                )
                .hint(format!("write `variable:{text}`")),
            );
            continue;
        };
        let Some(variable) = cx.document.variable(name) else {
            let mut diagnostic = report(
                format!("`{name}` is not a variable of the runbook"),
                "Name",
                name_node.span,
            );
            let names = cx.document.variables.iter().map(|v| v.name.value.as_str());
            if let Some(close) = closest(name, names) {
                diagnostic = diagnostic.hint(format!("did you mean `variable:{close}`?"));
            }
            out.push(diagnostic);
            continue;
        };
        let (Some(ty), Some(value)) = (&variable.ty, step.input("Value")) else { continue };
        if !fits(ty.value, value) {
            out.push(report(
                format!(
                    "variable `{name}` is a {}, but `Value` is {}",
                    ty.value,
                    value.type_name()
                ),
                "Value",
                value.span,
            ));
        }
    }
}

fn fits(ty: ValueType, value: &Node) -> bool {
    if value.as_str().is_some_and(has_references) {
        return true;
    }
    ty.matches(&value.to_json()) || matches!(value.kind, NodeKind::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::messages;

    const HEAD: &str =
        "schemaVersion: '0.3'\nvariables:\n  count: {type: Integer, default: 0}\nmainSteps:\n";

    #[test]
    fn names_and_types_are_checked() {
        let text = format!(
            "{HEAD}- {{name: a, action: aws:updateVariable, inputs: {{Name: count, Value: 1}}}}\n- {{name: b, action: aws:updateVariable, inputs: {{Name: 'variable:cout', Value: 1}}}}\n- {{name: c, action: aws:updateVariable, inputs: {{Name: 'variable:count', Value: one}}}}\n"
        );
        assert_eq!(
            messages(RULE.code, &text),
            [
                "`Name` must be written `variable:NAME`, found `count`",
                "`cout` is not a variable of the runbook",
                "variable `count` is a Integer, but `Value` is a string",
            ]
        );
    }

    #[test]
    fn matching_updates_pass() {
        let text = format!(
            "{HEAD}- {{name: a, action: aws:updateVariable, inputs: {{Name: 'variable:count', Value: 2}}}}\n- {{name: b, action: aws:updateVariable, inputs: {{Name: 'variable:count', Value: '{{{{ a.x }}}}'}}}}\n"
        );
        assert!(messages(RULE.code, &text).is_empty());
    }
}
