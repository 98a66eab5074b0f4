//! Decisions for `aws:approve` and `aws:pause` steps: scripted in tests, a prompt in the
//! terminal, or a blanket answer (`--approve all|none`).

use serde::Serialize;

use super::BoxFuture;

/// What a step is waiting for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum WaitKind {
    /// An `aws:approve` step: approve or reject.
    Approval,
    /// An `aws:pause` step: resume.
    Pause,
}

/// A step waiting for a decision.
#[derive(Clone, Debug, Serialize)]
pub struct ApprovalRequest {
    /// The run's execution id.
    pub execution_id: String,
    /// The step's name.
    pub step: String,
    /// Approval or pause.
    pub kind: WaitKind,
    /// `Approvers` of an `aws:approve` step.
    pub approvers: Vec<String>,
    /// `Message` of the step.
    pub message: Option<String>,
    /// `MinRequiredApprovals`.
    pub min_required_approvals: u32,
}

/// A decision about a waiting step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// Approve (or resume) when true, reject when false.
    pub approve: bool,
    /// Who decided.
    pub approver: String,
    /// The decider's comment.
    pub comment: Option<String>,
}

impl Decision {
    /// An approval by `approver`.
    pub fn approve(approver: impl Into<String>) -> Self {
        Self { approve: true, approver: approver.into(), comment: None }
    }

    /// A rejection by `approver`.
    pub fn reject(approver: impl Into<String>) -> Self {
        Self { approve: false, approver: approver.into(), comment: None }
    }
}

/// Gives decisions to waiting steps. A decision stands for all the approvals the step needs.
pub trait Approver: Send + Sync {
    /// The decision about `request`, when there is one. `None` means no decision will come:
    /// the step waits until its timeout.
    fn decide(&self, request: &ApprovalRequest) -> BoxFuture<'_, Option<Decision>>;
}

/// Answers every request the same way: approve all, or decide nothing (`--approve none`).
#[derive(Clone, Copy, Debug)]
pub struct FixedApprover {
    approve: Option<bool>,
}

impl FixedApprover {
    /// Approves and resumes every step.
    pub const fn approve_all() -> Self {
        Self { approve: Some(true) }
    }

    /// Decides nothing, so approvals and pauses time out.
    pub const fn none() -> Self {
        Self { approve: None }
    }

    /// Rejects every approval (and resumes pauses, which cannot be rejected).
    pub const fn reject_all() -> Self {
        Self { approve: Some(false) }
    }
}

impl Approver for FixedApprover {
    fn decide(&self, request: &ApprovalRequest) -> BoxFuture<'_, Option<Decision>> {
        let decision = self.approve.map(|approve| Decision {
            approve: approve || request.kind == WaitKind::Pause,
            approver: "runbook".into(),
            comment: None,
        });
        Box::pin(async move { decision })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn _obj_safe(_: &dyn Approver) {}
}
