//! `aws:branch`: the first choice whose condition holds names the next step, else `Default`;
//! with neither, the run goes on as after a success (RULINGS 3). The chosen step is also the
//! step's `NextStep` output, which AWS's own runbooks read.

use super::super::action::StepFailure;
use super::super::plan::PlannedStep;
use super::super::run::Run;

impl Run {
    pub(crate) fn branch(&self, step: &PlannedStep) -> Result<Option<String>, StepFailure> {
        let Some(branch) = &step.branch else {
            return Err(StepFailure::invalid_inputs("the branch has no `Choices`"));
        };
        for (index, (next, condition)) in branch.choices.iter().enumerate() {
            let holds = self.evaluate(condition).map_err(|message| {
                StepFailure::invalid_inputs(format!("choice {}: {message}", index + 1))
            })?;
            if holds {
                return Ok(next.clone());
            }
        }
        Ok(branch.default.clone())
    }
}
