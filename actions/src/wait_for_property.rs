//! `aws:waitForAwsResourceProperty`: the same call as `aws:assertAwsResourceProperty`,
//! repeated until the property has a desired value.
//!
//! - Calls: `<Service>.<Api>` at once, then every [`POLL_INTERVAL`](crate::POLL_INTERVAL)
//!   (5 s, RULINGS 17) of the run's clock, with every input other than `Service`, `Api`,
//!   `PropertySelector` and `DesiredValues` as its request parameters.
//! - Check: as `aws:assertAwsResourceProperty` (RULINGS 16). A selector that selects nothing
//!   is not yet a match: the resource may not show the property yet.
//! - Outputs: none predefined; the response is the matching call's, for declared outputs.
//! - Ends: at the first match. The step's timeout (3600 s unless `timeoutSeconds` says
//!   otherwise) ends a wait that never matches, `TimedOut`.
//! - Fails: at once on an API error. The documentation does not say whether the service keeps
//!   polling through errors; failing makes a missing permission or a wrong parameter show at
//!   once instead of after an hour, and a resource that may not exist yet is better waited for
//!   with a filter that returns an empty list. Throttling is retried by the step context.

use runbook_engine::action::{ActionOutput, StepContext, StepFailure};
use serde_json::Value;

use crate::assert_property::PropertyInputs;
use crate::permissions::ActionCall;
use crate::support::{Poll, PropertyMatch, call};

/// The action's name.
pub const NAME: &str = "aws:waitForAwsResourceProperty";

/// The calls the action makes on its own: none, its `Service` and `Api` name the one call it makes, step by step.
pub const CALLS: &[ActionCall] = &[];

/// The `aws:waitForAwsResourceProperty` action.
#[derive(Clone, Copy, Debug, Default)]
pub struct WaitForAwsResourceProperty;

crate::support::forward_action!(WaitForAwsResourceProperty);

async fn run(inputs: Value, cx: &StepContext<'_>) -> Result<ActionOutput, StepFailure> {
    let (inputs, check, params) = PropertyInputs::read(NAME, inputs)?;
    let mut poll = Poll::new(cx);
    loop {
        poll.next().await;
        let response =
            call(cx, inputs.service.as_str(), inputs.api.as_str(), params.clone()).await?;
        if let PropertyMatch::Matched(_) = check.check(&response) {
            return Ok(ActionOutput::response(response));
        }
    }
}
