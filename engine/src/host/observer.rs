//! Events of a run as they happen, for live progress and logs. Observers get every event of the
//! run and of its child runs; the default methods do nothing.

use serde::Serialize;

use crate::record::{CallRecord, Execution, StepExecution};

/// Which run an event belongs to.
#[derive(Clone, Debug, Serialize)]
pub struct RunRef {
    /// The run's execution id.
    pub execution_id: String,
    /// The runbook's name.
    pub document: String,
    /// 0 for the run the host started, 1 for its children, and so on.
    pub depth: u32,
}

/// Something that happened in a run.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A run started.
    RunStarted {
        /// The run.
        run: &'a RunRef,
    },
    /// A step started an attempt.
    StepStarted {
        /// The run.
        run: &'a RunRef,
        /// The step.
        step: &'a str,
        /// Its action.
        action: &'a str,
        /// The attempt, from 1.
        attempt: u32,
        /// `maxAttempts`.
        max_attempts: u32,
    },
    /// An attempt failed and another follows.
    AttemptFailed {
        /// The run.
        run: &'a RunRef,
        /// The step.
        step: &'a str,
        /// The attempt that failed.
        attempt: u32,
        /// Why.
        message: &'a str,
    },
    /// A step waits for an approval or a resume.
    Waiting {
        /// The run.
        run: &'a RunRef,
        /// The step.
        step: &'a str,
        /// What it waits for.
        request: &'a crate::host::approver::ApprovalRequest,
    },
    /// A step made an AWS call.
    AwsCall {
        /// The run.
        run: &'a RunRef,
        /// The call and its answer.
        call: &'a CallRecord,
    },
    /// A script wrote to its output.
    ScriptOutput {
        /// The run.
        run: &'a RunRef,
        /// The step.
        step: &'a str,
        /// What it wrote to standard output.
        stdout: &'a str,
        /// What it wrote to standard error.
        stderr: &'a str,
    },
    /// A step finished (or was skipped by a cancel).
    StepFinished {
        /// The run.
        run: &'a RunRef,
        /// The step's record.
        step: &'a StepExecution,
    },
    /// A run over targets started or finished children.
    FleetProgress {
        /// The parent run.
        run: &'a RunRef,
        /// Children that ended, whatever their status.
        done: usize,
        /// Children running.
        running: usize,
        /// Children that ended in anything but `Success`.
        failed: usize,
        /// Targets not started; once the run is over, those the error threshold or a cancel
        /// kept from starting.
        remaining: usize,
    },
    /// A run finished.
    RunFinished {
        /// The run.
        run: &'a RunRef,
        /// Its record.
        execution: &'a Execution,
    },
}

/// Receives events. Called from the run's task: keep it quick.
pub trait Observer: Send + Sync {
    /// One event.
    fn on_event(&self, event: &Event<'_>) {
        let _ = event;
    }
}

/// An observer that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoObserver;

impl Observer for NoObserver {}

#[cfg(test)]
mod tests {
    use super::*;

    fn _obj_safe(_: &dyn Observer) {}
}
