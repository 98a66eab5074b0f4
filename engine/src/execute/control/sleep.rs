//! `aws:sleep`: waits for an ISO 8601 `Duration` or until a `Timestamp`, on the run's clock
//! (SPEC 6.21). A timestamp in the past continues at once; longer than 604799 seconds is
//! refused.

use std::time::Duration;

use serde_json::Value;

use super::super::action::{ActionOutput, StepFailure};
use super::super::plan::PlannedStep;
use super::super::run::Run;
use crate::duration::{parse_duration, parse_timestamp};

/// The longest sleep the service allows.
const MAX_SLEEP: Duration = Duration::from_secs(604_799);

impl Run {
    pub(crate) async fn sleep(
        &self,
        _step: &PlannedStep,
        inputs: &Value,
    ) -> Result<ActionOutput, StepFailure> {
        let text = |name: &str| inputs.get(name).map(crate::record::as_text);
        let length = match (text("Duration"), text("Timestamp")) {
            (Some(_), Some(_)) => {
                return Err(StepFailure::invalid_inputs(
                    "give `Duration` or `Timestamp`, not both",
                ));
            }
            (Some(duration), None) => {
                parse_duration(&duration).map_err(StepFailure::invalid_inputs)?
            }
            (None, Some(timestamp)) => {
                let until = parse_timestamp(&timestamp).map_err(StepFailure::invalid_inputs)?;
                let now = self.host().clock.now();
                Duration::try_from(until.duration_since(now)).unwrap_or(Duration::ZERO)
            }
            (None, None) => {
                return Err(StepFailure::invalid_inputs("give `Duration` or `Timestamp`"));
            }
        };
        if length > MAX_SLEEP {
            return Err(StepFailure::invalid_inputs(format!(
                "a sleep of {} seconds is longer than the longest the service allows, {} seconds",
                length.as_secs(),
                MAX_SLEEP.as_secs()
            )));
        }
        self.host().clock.sleep(length).await;
        Ok(ActionOutput::default())
    }
}
