//! What one run shares with the contexts of its steps: the host, the document, the run's
//! identity, and the call logs its AWS calls go to. The executor, the fleet parent and
//! [`StepContext`](super::StepContext) all build on it; it depends on none of them.

use std::sync::Arc;

use crate::document::Document;
use crate::host::{Event, RunRef};
use crate::record::CallRecord;

use super::options::{CallLog, Host};

/// The host, document and identity of one run, and where its calls are recorded.
pub(crate) struct RunEnvironment {
    pub(crate) host: Host,
    pub(crate) document: Arc<Document>,
    pub(crate) run_ref: RunRef,
    calls: Arc<CallLog>,
    /// The call logs of the runs above this one: each call goes to them too, as it is made, so
    /// that a parent's record lists its children's calls where they happened.
    ancestors: Vec<Arc<CallLog>>,
}

impl RunEnvironment {
    pub(crate) fn new(
        host: Host,
        document: Arc<Document>,
        run_ref: RunRef,
        ancestors: Vec<Arc<CallLog>>,
    ) -> Self {
        Self { host, document, run_ref, calls: Arc::default(), ancestors }
    }

    /// Makes room for `calls` calls at once, so that a long run's log does not grow by copies,
    /// each leaving the room it grew out of behind. Room no call was written to is not memory
    /// the process uses: its pages are touched as calls are recorded.
    pub(crate) fn reserve_calls(&self, calls: usize) {
        if let Ok(mut log) = self.calls.lock() {
            log.reserve(calls);
        }
    }

    /// The calls recorded so far, leaving none.
    pub(crate) fn take_calls(&self) -> Vec<CallRecord> {
        self.calls.lock().map(|mut calls| std::mem::take(&mut *calls)).unwrap_or_default()
    }

    /// The call logs a child run of this one reports to: its ancestors' and this run's.
    pub(crate) fn lineage(&self) -> Vec<Arc<CallLog>> {
        let mut logs = self.ancestors.clone();
        logs.push(self.calls.clone());
        logs
    }

    pub(crate) fn emit(&self, event: &Event<'_>) {
        self.host.observer.on_event(event);
    }

    pub(crate) fn record_call(&self, call: CallRecord) {
        for log in &self.ancestors {
            if let Ok(mut calls) = log.lock() {
                calls.push(call.clone());
            }
        }
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(call);
        }
    }
}
