//! `aws:approve` and `aws:pause`: the step waits (status `Waiting`) for a decision from the
//! host's approver. Approve (or resume) succeeds; a rejection fails the step naming who
//! rejected and why (RULINGS 19); no decision before the step's timeout (7 days by default)
//! ends it `TimedOut`. A decision stands for all the approvals the step needs.
//!
//! With `NotificationArn`, `aws:approve` first tells the approvers through `sns.Publish` on the
//! run's backend (recorded like any call); a failed Publish fails the step before it waits.
//! The message is [`approval_notice`]'s, the engine's choice where the service's documentation
//! is silent (README).

use serde_json::{Value, json};

use super::super::action::{ActionOutput, FailureKind, StepContext, StepFailure};
use super::super::plan::PlannedStep;
use super::super::run::Run;
use crate::host::{ApprovalRequest, Decision, Event, WaitKind};

impl Run {
    pub(crate) async fn approve(
        &self,
        step: &PlannedStep,
        inputs: &Value,
    ) -> Result<ActionOutput, StepFailure> {
        let approvers: Vec<String> = match inputs.get("Approvers") {
            Some(Value::Array(items)) => items.iter().map(crate::record::as_text).collect(),
            Some(Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        };
        let min = inputs
            .get("MinRequiredApprovals")
            .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()));
        let min = u32::try_from(min.unwrap_or(1)).unwrap_or(u32::MAX);
        if !approvers.is_empty() && min as usize > approvers.len() {
            return Err(StepFailure::invalid_inputs(format!(
                "`MinRequiredApprovals` is {min}, but there are only {} approvers",
                approvers.len()
            )));
        }
        if let Some(topic) = inputs.get("NotificationArn").map(crate::record::as_text) {
            let message = approval_notice(
                &self.environment.run_ref.execution_id,
                &step.name,
                &self.host().context.region,
                inputs.get("Message").map(crate::record::as_text).as_deref(),
                &approvers,
                min,
            );
            let cx = StepContext {
                environment: &self.environment,
                step: &step.name,
                timeout: step.timeout,
            };
            let params = json!({
                "TopicArn": topic,
                "Subject": "Automation approval request",
                "Message": message,
            });
            cx.call("sns", "Publish", params)
                .await
                .map_err(|error| StepFailure::api("sns.Publish", &error))?;
        }
        let decision =
            self.wait_for_decision(step, WaitKind::Approval, approvers, inputs, min).await;
        let record = json!([{
            "Approver": decision.approver,
            "Decision": if decision.approve { "Approve" } else { "Reject" },
            "Comment": decision.comment.clone().unwrap_or_default(),
            "DecisionTime": self.host().clock.now().to_string(),
        }]);
        if !decision.approve {
            let comment = decision.comment.as_deref().map(|c| format!(": {c}")).unwrap_or_default();
            return Err(StepFailure::new(
                FailureKind::Rejected,
                format!("the approval was rejected by {}{comment}", decision.approver),
            ));
        }
        Ok(ActionOutput::default()
            .with_output("ApprovalStatus", json!("Approved"))
            .with_output("ApproverDecisions", record))
    }

    pub(crate) async fn pause(
        &self,
        step: &PlannedStep,
        inputs: &Value,
    ) -> Result<ActionOutput, StepFailure> {
        let decision = self.wait_for_decision(step, WaitKind::Pause, Vec::new(), inputs, 1).await;
        if decision.approve {
            Ok(ActionOutput::default())
        } else {
            Err(StepFailure::new(
                FailureKind::Rejected,
                format!("the pause was stopped by {}", decision.approver),
            ))
        }
    }

    /// Waits for the approver's decision; without one, waits until the step's timeout ends it.
    async fn wait_for_decision(
        &self,
        step: &PlannedStep,
        kind: WaitKind,
        approvers: Vec<String>,
        inputs: &Value,
        min_required_approvals: u32,
    ) -> Decision {
        let request = ApprovalRequest {
            execution_id: self.environment.run_ref.execution_id.clone(),
            step: step.name.to_string(),
            kind,
            approvers,
            message: inputs.get("Message").map(crate::record::as_text),
            min_required_approvals,
        };
        self.environment.emit(&Event::Waiting {
            run: &self.environment.run_ref,
            step: &step.name,
            request: &request,
        });
        match self.host().approver.decide(&request).await {
            Some(decision) => decision,
            None => std::future::pending().await,
        }
    }
}

/// The text sent to an approval step's `NotificationArn`: what waits, the runbook's `Message`,
/// who may decide, and how to answer.
fn approval_notice(
    execution_id: &str,
    step: &str,
    region: &str,
    message: Option<&str>,
    approvers: &[String],
    min_required_approvals: u32,
) -> String {
    let message = message.map(|text| format!("\nMessage: {text}\n")).unwrap_or_default();
    let approvers = approvers.join(", ");
    format!(
        "Automation execution {execution_id} is waiting for approval at step {step}.\n\
         {message}\n\
         Approvers: {approvers}\n\
         Approvals required: {min_required_approvals}\n\n\
         Approve or reject it in the console: \
         https://console.aws.amazon.com/systems-manager/automation/execution/{execution_id}?region={region}\n\
         or: aws ssm send-automation-signal --automation-execution-id {execution_id} \
         --signal-type Approve (or Reject) --region {region}\n"
    )
}
