//! The control actions, built into the executor because they steer the run rather than talk to
//! the outside world: `aws:branch`, `aws:loop`, `aws:sleep`, `aws:pause`, `aws:approve`,
//! `aws:updateVariable` and `aws:executeAutomation`. Each file adds its action's method to the
//! run loop.

/// The actions the executor runs itself, by name; every other action of the catalog is looked
/// up in the run's [`Actions`](super::Actions).
pub const CONTROL_ACTIONS: [&str; 7] = [
    "aws:approve",
    "aws:branch",
    "aws:executeAutomation",
    "aws:loop",
    "aws:pause",
    "aws:sleep",
    "aws:updateVariable",
];

mod approve;
mod branch;
mod condition;
mod execute_automation;
mod loop_step;
mod sleep;
mod update_variable;

#[cfg(test)]
mod tests {
    #[test]
    fn every_control_action_is_in_the_catalog() {
        for name in super::CONTROL_ACTIONS {
            assert!(crate::catalog::action(name).is_some(), "{name}");
        }
    }
}
