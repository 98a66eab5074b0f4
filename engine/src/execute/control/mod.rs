//! The control actions, built into the executor because they steer the run rather than talk to
//! the outside world: `aws:branch`, `aws:loop`, `aws:sleep`, `aws:pause`, `aws:approve`,
//! `aws:updateVariable` and `aws:executeAutomation`. Each file adds its action's method to the
//! run loop.

mod approve;
mod branch;
mod condition;
mod execute_automation;
mod loop_step;
mod sleep;
mod update_variable;
