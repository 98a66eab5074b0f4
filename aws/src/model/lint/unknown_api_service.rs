//! RB028 `unknown-api-service`: an API step's `Service` names a service with an API model.
//! A spelling the service resolves though the model spells it otherwise (`EC2`) is a warning
//! naming the model's spelling; a model that cannot be read is a warning that the call was not
//! checked.

use std::sync::Arc;

use runbook_engine::diagnostic::{Code, Diagnostic};
use runbook_engine::document::Step;
use runbook_engine::syntax::Node;

use super::{Linter, ModelRule};
use crate::model::{ModelError, ServiceModel};

/// RB028: `Service` names no service with a model.
pub const UNKNOWN_API_SERVICE: Code = Code { id: "RB028", name: "unknown-api-service" };

pub(super) const RULE: ModelRule =
    ModelRule { code: UNKNOWN_API_SERVICE, summary: "API steps name a service with an API model" };

impl Linter<'_, '_> {
    /// The model of `service`, or `None` after reporting why there is none.
    pub(super) fn service(
        &mut self,
        step: &Step,
        service: &str,
        node: &Node,
    ) -> Option<Arc<ServiceModel>> {
        match self.models.service(service) {
            Ok(model) => {
                self.stats.services_found += 1;
                if model.name() != service {
                    let diagnostic = Diagnostic::warning(
                        UNKNOWN_API_SERVICE,
                        format!("`{service}` stands for the service `{}`", model.name()),
                    )
                    .hint(format!("write `Service: {}`, as boto3 names it", model.name()));
                    self.push(diagnostic, step, "inputs.Service", node.span);
                }
                Some(model)
            }
            Err(ModelError::UnknownService { closest, .. }) => {
                let mut diagnostic = Diagnostic::error(
                    UNKNOWN_API_SERVICE,
                    format!("`{service}` is not an AWS service with an API model"),
                );
                diagnostic = match closest {
                    Some(closest) => diagnostic.hint(format!("did you mean `{closest}`?")),
                    None => diagnostic.hint("write the service's name as boto3 takes it (`ec2`)"),
                };
                self.push(diagnostic, step, "inputs.Service", node.span);
                None
            }
            Err(other) => {
                // A broken model file says nothing about the runbook.
                let diagnostic = Diagnostic::warning(
                    UNKNOWN_API_SERVICE,
                    format!("the call was not checked: {other}"),
                );
                self.push(diagnostic, step, "inputs.Service", node.span);
                None
            }
        }
    }
}
