//! RB001 `schema-version`: `schemaVersion` written as a number.
//!
//! An unquoted `0.3` is a YAML number, not the string the format asks for. The loader already
//! refuses documents of any other version; this rule warns about the spelling, which some YAML
//! tools turn into `0.30000000000000004` or `0.3000`.

use crate::diagnostic::{Code, Diagnostic};
use crate::syntax::NodeKind;
use crate::validate::{Context, Rule};

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB001", name: "schema-version" },
    summary: "schemaVersion must be the string '0.3'",
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(node) = cx.document.root.get("schemaVersion") else { return };
    if matches!(node.kind, NodeKind::Float { .. }) {
        out.push(
            Diagnostic::warning(RULE.code, "`schemaVersion` is written as a number")
                .path("schemaVersion")
                .span(node.span)
                .hint("quote it: schemaVersion: '0.3'"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::messages;

    #[test]
    fn unquoted_version_is_a_warning() {
        assert_eq!(
            messages(RULE.code, "schemaVersion: 0.3\nmainSteps: []\n"),
            ["`schemaVersion` is written as a number"]
        );
        assert!(messages(RULE.code, "schemaVersion: '0.3'\nmainSteps: []\n").is_empty());
    }
}
