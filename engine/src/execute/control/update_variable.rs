//! `aws:updateVariable`: sets a runbook variable. `Name` is `variable:NAME`; the value must
//! already have the variable's type, with no conversion (SPEC section 3, RULINGS 9).

use serde_json::Value;

use super::super::action::{ActionOutput, StepFailure};
use super::super::run::Run;
use crate::value::describe;

impl Run {
    pub(crate) fn update_variable(&mut self, inputs: &Value) -> Result<ActionOutput, StepFailure> {
        let name = inputs.get("Name").and_then(Value::as_str).unwrap_or_default();
        let Some(variable) = name.strip_prefix("variable:") else {
            return Err(StepFailure::invalid_inputs(format!(
                "`Name` must be written `variable:NAME`, found `{name}`"
            )));
        };
        let Some(value) = inputs.get("Value") else {
            return Err(StepFailure::invalid_inputs("the step has no `Value`"));
        };
        let Some(declared) = self.plan.document.variable(variable) else {
            return Err(StepFailure::invalid_inputs(format!(
                "`{variable}` is not a variable of the runbook"
            )));
        };
        if let Some(ty) = &declared.ty
            && !ty.value.matches(value)
        {
            return Err(StepFailure::invalid_inputs(format!(
                "variable `{variable}` is a {}, but the value is {}",
                ty.value,
                describe(value)
            )));
        }
        self.variables.insert(variable.to_string(), value.clone());
        Ok(ActionOutput::default())
    }
}
