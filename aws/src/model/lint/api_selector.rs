//! RB031 `api-selector`: output `Selector`s and `PropertySelector` of an API step name members
//! the operation's response has (selectors holding templates are not checked).

use runbook_engine::diagnostic::{Code, Diagnostic};
use runbook_engine::document::Step;

use super::{Linter, ModelRule, label};
use crate::model::Operation;
use crate::model::selector::check_selector;

/// RB031: a selector names a member the operation's response does not have.
pub const API_SELECTOR: Code = Code { id: "RB031", name: "api-selector" };

pub(super) const RULE: ModelRule =
    ModelRule { code: API_SELECTOR, summary: "selectors name members the API's response has" };

impl<'d> Linter<'_, 'd> {
    pub(super) fn selectors(
        &mut self,
        step: &'d Step,
        call: (&'d str, &'d str),
        operation: &Operation<'_>,
    ) {
        for written in step.literal_selectors() {
            let selector = written.text;
            self.stats.selectors_checked += 1;
            let problem = self
                .selectors
                .entry((call.0, call.1, selector))
                .or_insert_with(|| check_selector(operation, selector))
                .clone();
            if let Some(problem) = problem {
                let mut diagnostic = Diagnostic::error(
                    API_SELECTOR,
                    format!(
                        "selector `{selector}` reads `{}`, but {} responses have no such \
                         member at `{}`",
                        problem.member,
                        label(operation),
                        problem.prefix
                    ),
                );
                if let Some(closest) = &problem.closest {
                    diagnostic = diagnostic.hint(format!("did you mean `{closest}`?"));
                }
                self.push(diagnostic, step, &written.field(), written.span);
            }
        }
    }
}
