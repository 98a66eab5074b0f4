//! `aws:assertAwsResourceProperty`: one AWS call, then a check that a property of its response
//! has one of the desired values.
//!
//! - Calls: `<Service>.<Api>` once, with every input other than `Service`, `Api`,
//!   `PropertySelector` and `DesiredValues` as its request parameters.
//! - Check (RULINGS 16): `PropertySelector` selects from the response; the selected value,
//!   written as text (booleans `True`/`False`, numbers as written), must be one of
//!   `DesiredValues`. A selector yielding a list needs a non-empty list whose every element is
//!   desired.
//! - Outputs: none predefined; the response is the API's, for declared outputs.
//! - Waits: none.
//! - Fails: on a mismatch or a selector that selects nothing (`AssertionFailed`, the message
//!   shows the selected value and `DesiredValues`); on an API error; on an invalid selector or
//!   missing inputs.

use runbook_engine::action::{ActionOutput, StepContext, StepFailure};
use serde::Deserialize;
use serde_json::Value;

use crate::permissions::ActionCall;
use crate::support::{
    DesiredValues, PropertyCheck, PropertyMatch, Text, assertion_failed, call_shared,
    split_api_inputs,
};

/// The action's name.
pub const NAME: &str = "aws:assertAwsResourceProperty";

/// The calls the action makes on its own: none, its `Service` and `Api` name the one call it makes, step by step.
pub const CALLS: &[ActionCall] = &[];

/// The inputs the property actions take for themselves; the others are request parameters.
pub(crate) const PROPERTY_INPUTS: [&str; 4] =
    ["Service", "Api", "PropertySelector", "DesiredValues"];

/// The `aws:assertAwsResourceProperty` action.
#[derive(Clone, Copy, Debug, Default)]
pub struct AssertAwsResourceProperty;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PropertyInputs {
    pub(crate) service: Text,
    pub(crate) api: Text,
    pub(crate) property_selector: Text,
    pub(crate) desired_values: DesiredValues,
}

impl PropertyInputs {
    /// The inputs of `action` read, with the check compiled and the request parameters.
    pub(crate) fn read(
        action: &str,
        inputs: Value,
    ) -> Result<(Self, PropertyCheck, Value), StepFailure> {
        let (own, params): (Self, Value) = split_api_inputs(action, inputs, &PROPERTY_INPUTS)?;
        let check =
            PropertyCheck::new(own.property_selector.as_str(), own.desired_values.0.clone())?;
        Ok((own, check, params))
    }
}

crate::support::forward_action!(AssertAwsResourceProperty);

async fn run(inputs: Value, cx: &StepContext<'_>) -> Result<ActionOutput, StepFailure> {
    let (inputs, check, params) = PropertyInputs::read(NAME, inputs)?;
    let response = call_shared(cx, inputs.service.as_str(), inputs.api.as_str(), params).await?;
    match check.check(&response) {
        PropertyMatch::Matched(_) => Ok(ActionOutput::shared_response(response)),
        found => Err(assertion_failed(check.describe(&found))),
    }
}
