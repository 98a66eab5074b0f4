//! `aws:branch`: the first choice whose condition holds names the next step, else `Default`;
//! with neither, the run goes on as after a success (RULINGS 3). The chosen step is also the
//! step's `NextStep` output, which AWS's own runbooks read.

use super::super::action::StepFailure;
use super::super::plan::{JumpTarget, PlannedStep};
use super::super::run::Run;

impl Run {
    pub(crate) fn branch(&mut self, step: &PlannedStep) -> Result<Option<JumpTarget>, StepFailure> {
        let Some(branch) = &step.branch else {
            return Err(StepFailure::invalid_inputs("the branch has no `Choices`"));
        };
        let mut left = Vec::new();
        let mut chosen = Ok(branch.default.clone());
        for (index, (next, condition)) in branch.choices.iter().enumerate() {
            match self.evaluate(condition, &mut left) {
                Ok(true) => {
                    chosen = Ok(next.clone());
                    break;
                }
                Ok(false) => {}
                Err(message) => {
                    chosen = Err(StepFailure::invalid_inputs(format!(
                        "choice {}: {message}",
                        index + 1
                    )));
                    break;
                }
            }
        }
        self.warn_left(&step.name, left);
        chosen
    }
}
