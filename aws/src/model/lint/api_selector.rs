//! RB031 `api-selector`: output `Selector`s and `PropertySelector` of an API step name members
//! the operation's response has (selectors holding templates are not checked).

use runbook_engine::diagnostic::{Code, Diagnostic};
use runbook_engine::document::Step;
use runbook_engine::syntax::Span;
use runbook_engine::template::Template;

use super::{Linter, ModelRule};
use crate::model::Operation;
use crate::model::selector::check_selector;

/// RB031: a selector names a member the operation's response does not have.
pub const API_SELECTOR: Code = Code { id: "RB031", name: "api-selector" };

pub(super) const RULE: ModelRule =
    ModelRule { code: API_SELECTOR, summary: "selectors name members the API's response has" };

impl Linter<'_> {
    /// Checks the selectors of `step` against `operation`'s output; `label` names the
    /// operation in messages.
    pub(super) fn selectors(&mut self, step: &Step, operation: &Operation<'_>, label: &str) {
        let mut selectors: Vec<(&str, Span, String)> = step
            .outputs
            .iter()
            .enumerate()
            .map(|(index, output)| {
                (
                    output.selector.value.as_str(),
                    output.selector.span,
                    format!("outputs[{index}].Selector"),
                )
            })
            .collect();
        if let Some(node) = step.input("PropertySelector")
            && let Some(text) = node.as_str()
        {
            selectors.push((text, node.span, "inputs.PropertySelector".to_string()));
        }
        for (selector, span, path) in selectors {
            if Template::parse(selector).has_references() {
                continue;
            }
            self.stats.selectors_checked += 1;
            if let Some(problem) = check_selector(operation, selector) {
                let mut diagnostic = Diagnostic::error(
                    API_SELECTOR,
                    format!(
                        "selector `{selector}` reads `{}`, but {label} responses have no such \
                         member at `{}`",
                        problem.member, problem.prefix
                    ),
                );
                if let Some(closest) = &problem.closest {
                    diagnostic = diagnostic.hint(format!("did you mean `{closest}`?"));
                }
                self.push(diagnostic, step, &path, span);
            }
        }
    }
}
