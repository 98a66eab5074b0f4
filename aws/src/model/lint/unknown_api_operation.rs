//! RB029 `unknown-api-operation`: an API step's `Api` names an operation of its service. A
//! spelling the service resolves though the model spells it otherwise (`describe_instances`)
//! is a warning naming the model's spelling.

use runbook_engine::diagnostic::{Code, Diagnostic};
use runbook_engine::document::Step;
use runbook_engine::syntax::Node;

use super::{Linter, ModelRule};
use crate::model::{Operation, ServiceModel};

/// RB029: `Api` names no operation of the service.
pub const UNKNOWN_API_OPERATION: Code = Code { id: "RB029", name: "unknown-api-operation" };

pub(super) const RULE: ModelRule = ModelRule {
    code: UNKNOWN_API_OPERATION,
    summary: "API steps name an operation of their service",
};

impl Linter<'_, '_> {
    /// The operation `api` of `model`, or `None` after reporting that there is none.
    pub(super) fn operation<'m>(
        &mut self,
        step: &Step,
        model: &'m ServiceModel,
        api: &str,
        api_node: &Node,
    ) -> Option<Operation<'m>> {
        let Some(operation) = model.operation(api) else {
            let mut diagnostic = Diagnostic::error(
                UNKNOWN_API_OPERATION,
                format!("service `{}` has no operation `{api}`", model.name()),
            );
            if let Some(closest) = model.closest_operation(api) {
                diagnostic = diagnostic.hint(format!("did you mean `{closest}`?"));
            }
            self.push(diagnostic, step, "inputs.Api", api_node.span);
            return None;
        };
        self.stats.operations_found += 1;
        if operation.name() != api {
            let diagnostic = Diagnostic::warning(
                UNKNOWN_API_OPERATION,
                format!(
                    "`{api}` stands for the operation `{}` of `{}`",
                    operation.name(),
                    model.name()
                ),
            )
            .hint(format!("write `Api: {}`, as the API spells it", operation.name()));
            self.push(diagnostic, step, "inputs.Api", api_node.span);
        }
        Some(operation)
    }
}
