//! The step-execution budget of RULINGS 25: a run, the runbooks it starts and the children of its
//! fleets share one count of step executions, so that a runbook looping without end (a jump back,
//! a branch that never leaves, a huge `maxAttempts`) still ends, and its record with it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// How many step executions a run may start, itself and every run below it together. Every
/// attempt of every step counts, the steps of each loop iteration included. Clones share the
/// count.
#[derive(Clone, Debug)]
pub struct StepBudget {
    limit: u64,
    count: Arc<Count>,
}

#[derive(Debug, Default)]
struct Count {
    used: AtomicU64,
    refused: AtomicBool,
}

impl StepBudget {
    /// The budget of a run that sets none (RULINGS 25).
    pub const DEFAULT: u64 = 10_000;

    /// A budget of `limit` step executions, none used.
    pub fn new(limit: u64) -> Self {
        Self { limit, count: Arc::default() }
    }

    /// How many step executions the budget allows.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// How many step executions have started under the budget.
    pub fn used(&self) -> u64 {
        self.count.used.load(Ordering::Relaxed).min(self.limit)
    }

    /// Whether a step execution was refused: every later one is refused too.
    pub fn is_exhausted(&self) -> bool {
        self.count.refused.load(Ordering::Relaxed)
    }

    /// Takes one step execution from the budget; false (and exhausted from now on) when none
    /// is left.
    pub(crate) fn take(&self) -> bool {
        if self.is_exhausted() {
            return false;
        }
        let used = self.count.used.fetch_add(1, Ordering::Relaxed);
        if used >= self.limit {
            self.count.refused.store(true, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// The failure of a run stopped by the budget.
    pub(crate) fn message(&self) -> String {
        format!(
            "the run reached its budget of {} step executions (every attempt counts, loop iterations and nested automations included) and was stopped",
            self.limit
        )
    }
}

impl Default for StepBudget {
    fn default() -> Self {
        Self::new(Self::DEFAULT)
    }
}

#[cfg(test)]
mod tests {
    use super::StepBudget;

    #[test]
    fn clones_share_the_count_and_the_last_refusal_sticks() {
        let budget = StepBudget::new(2);
        let child = budget.clone();
        assert!(budget.take());
        assert!(child.take());
        assert!(!budget.is_exhausted());
        assert!(!child.take());
        assert!(budget.is_exhausted());
        assert!(!budget.take());
        assert_eq!(budget.used(), 2);
        assert!(budget.message().contains("budget of 2 step executions"));
    }
}
