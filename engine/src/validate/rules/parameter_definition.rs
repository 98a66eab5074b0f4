//! RB024 `parameter-definition`: a parameter's own constraints make sense: `allowedPattern`
//! is a valid regular expression, minimums are not above maximums, `allowedValues` are plain
//! values, and `displayType` is `textfield` or `textarea`.

use crate::diagnostic::{Code, Diagnostic};
use crate::document::Spanned;
use crate::params::Pattern;
use crate::syntax::NodeKind;
use crate::validate::{Context, Rule};

type Limit<'a> = (&'a str, &'a Option<Spanned<u64>>);

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB024", name: "parameter-definition" },
    summary: "parameter constraints are valid and consistent",
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for parameter in &cx.document.parameters {
        let name = &parameter.name.value;
        let report = |message: String, field: &str, span| {
            Diagnostic::error(RULE.code, message)
                .path(format!("parameters.{name}.{field}"))
                .span(span)
        };
        if let Some(pattern) = &parameter.allowed_pattern
            && let Err(error) = Pattern::check(&pattern.value)
        {
            out.push(report(
                format!(
                    "the allowedPattern of `{name}` is not a valid regular expression: {error}"
                ),
                "allowedPattern",
                pattern.span,
            ));
        }
        let pairs: [(Limit<'_>, Limit<'_>); 2] = [
            (("minItems", &parameter.min_items), ("maxItems", &parameter.max_items)),
            (("minChars", &parameter.min_chars), ("maxChars", &parameter.max_chars)),
        ];
        for ((min_name, min), (max_name, max)) in pairs {
            if let (Some(min), Some(max)) = (min, max)
                && min.value > max.value
            {
                out.push(report(
                    format!("`{name}` has {min_name} {} above {max_name} {}", min.value, max.value),
                    min_name,
                    min.span,
                ));
            }
        }
        if let Some(values) = &parameter.allowed_values {
            for value in values
                .value
                .iter()
                .filter(|value| matches!(value.kind, NodeKind::Seq(_) | NodeKind::Map(_)))
            {
                out.push(report(
                    format!(
                        "the allowedValues of `{name}` hold {}; they must be plain values",
                        value.type_name()
                    ),
                    "allowedValues",
                    value.span,
                ));
            }
        }
        if let Some(display) = &parameter.display_type
            && !["textfield", "textarea"].contains(&display.value.as_str())
        {
            out.push(report(
                format!("`displayType` must be textfield or textarea, found `{}`", display.value),
                "displayType",
                display.span,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::messages;

    #[test]
    fn broken_constraints_are_reported() {
        let text = "schemaVersion: '0.3'\nparameters:\n  A: {type: String, allowedPattern: '(unclosed'}\n  B: {type: StringList, minItems: 3, maxItems: 1}\n  C: {type: String, allowedValues: [[x]], displayType: big}\nmainSteps: []\n";
        let found = messages(RULE.code, text);
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(
            found[0].starts_with("the allowedPattern of `A` is not a valid regular expression")
        );
        assert_eq!(found[1], "`B` has minItems 3 above maxItems 1");
        assert_eq!(found[2], "the allowedValues of `C` hold a list; they must be plain values");
        assert_eq!(found[3], "`displayType` must be textfield or textarea, found `big`");
    }

    #[test]
    fn java_style_patterns_pass() {
        let text = "schemaVersion: '0.3'\nparameters:\n  A: {type: String, allowedPattern: '^(?!.*--)[a-z][a-z0-9-]{0,62}(?<!-)$', displayType: textarea}\nmainSteps: []\n";
        assert!(messages(RULE.code, text).is_empty());
    }
}
