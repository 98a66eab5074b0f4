//! The executor's semantics that a test file cannot express, on a scripted AWS backend and the
//! virtual clock, with small stand-ins for the actions. The SPEC and RULINGS cases a test file
//! can express are data in `tests/cases/` of the workspace, run by the runner of `runbook test`.
//! What stays here needs one of:
//!
//! - a runbook with validation errors, which `runbook test` refuses to run (a reference to a
//!   step's output that does not exist or to an undefined variable, a sleep over the service's
//!   longest, a variable given a value of another type, `onCancel` going to an `aws:pause`);
//! - a look at the record beyond what a test file checks: execution ids and the links between
//!   parent and child records, loop iterations, the record's JSON;
//! - the same run repeated, to show a race always goes one way.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::*;
use crate::action::{Action, ActionOutput, StepContext, StepFailure};
use crate::document::{Document, Format};
use crate::host::{BoxFuture, MemoryDocuments, VirtualClock, virtual_runtime};
use crate::record::{Execution, Status};
use crate::testing::{CallApi, ScriptedAws};

/// `aws:executeScript` stand-in: fails when the script says `raise`, else returns its payload.
struct FakeScript;

impl Action for FakeScript {
    fn name(&self) -> &'static str {
        "aws:executeScript"
    }

    fn run<'a>(
        &'a self,
        inputs: Value,
        _cx: &'a StepContext<'a>,
    ) -> BoxFuture<'a, Result<ActionOutput, StepFailure>> {
        Box::pin(async move {
            if inputs["Script"].as_str().unwrap_or_default().contains("raise") {
                return Err(StepFailure::action("Exception - x"));
            }
            let payload = inputs.get("InputPayload").cloned().unwrap_or(Value::Null);
            Ok(ActionOutput::response(json!({ "Payload": payload }))
                .with_output("Payload", payload))
        })
    }
}

struct Case {
    yaml: String,
    aws: ScriptedAws,
    documents: Vec<(String, String)>,
    cancel_after: Option<Duration>,
    cancel_at: Option<String>,
}

/// Cancels the run when the step it names starts, as a person pressing Ctrl-C then would.
struct CancelAtStep {
    step: String,
    token: CancelToken,
}

impl crate::host::Observer for CancelAtStep {
    fn on_event(&self, event: &crate::host::Event<'_>) {
        if let crate::host::Event::StepStarted { step, .. } = event
            && *step == self.step
        {
            self.token.cancel();
        }
    }
}

fn case(yaml: &str) -> Case {
    Case {
        yaml: yaml.to_string(),
        aws: ScriptedAws::default(),
        documents: Vec::new(),
        cancel_after: None,
        cancel_at: None,
    }
}

impl Case {
    fn aws(mut self, aws: ScriptedAws) -> Self {
        self.aws = aws;
        self
    }

    fn document(mut self, name: &str, yaml: &str) -> Self {
        self.documents.push((name.into(), yaml.into()));
        self
    }

    fn cancel_after(mut self, after: Duration) -> Self {
        self.cancel_after = Some(after);
        self
    }

    fn cancel_at(mut self, step: &str) -> Self {
        self.cancel_at = Some(step.into());
        self
    }

    fn try_run(self) -> Result<Execution, crate::params::ParameterError> {
        let runtime = virtual_runtime().unwrap();
        runtime.block_on(async move {
            let document =
                Document::parse("case.yaml", self.yaml, Format::Yaml).expect("test runbook loads");
            let clock = Arc::new(VirtualClock::new("2026-01-01T00:00:00Z".parse().unwrap()));
            let mut actions = Actions::new();
            actions.register(CallApi).register(FakeScript);
            let token = CancelToken::new();
            let mut host = Host::new(Arc::new(self.aws), clock.clone())
                .with_documents(Arc::new(memory_documents(self.documents)));
            if let Some(step) = self.cancel_at {
                host = host.with_observer(Arc::new(CancelAtStep { step, token: token.clone() }));
            }
            let executor = Executor::new(Arc::new(actions), host);
            let options = RunOptions { cancel: token, ..RunOptions::default() };
            if let Some(after) = self.cancel_after {
                let token = options.cancel.clone();
                let clock_for_cancel = clock.clone();
                tokio::spawn(async move {
                    clock_for_cancel.sleep(after).await;
                    token.cancel();
                });
            }
            executor.run(Arc::new(Plan::new(Arc::new(document))), options).await
        })
    }

    fn run(self) -> Execution {
        self.try_run().expect("the run starts")
    }
}

fn status_of(execution: &Execution, step: &str) -> Status {
    execution.step(step).unwrap_or_else(|| panic!("no step {step}")).step_status
}

const HEAD: &str = "schemaVersion: '0.3'\n";

#[test]
fn rulings_12_a_reference_in_a_loop_is_warned_about_once() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- name: l\n  action: aws:loop\n  inputs:\n    MaxIterations: 3\n    LoopCondition: {{Not: {{Variable: '{{{{ never.Out }}}}', StringEquals: x}}}}\n    Steps:\n    - {{name: s, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n- {{name: never, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n"
    );
    let execution = case(&yaml).run();
    assert_eq!(execution.path(), ["l", "s", "s", "s", "never"]);
    assert_eq!(execution.warnings.len(), 1, "{:?}", execution.warnings);
    assert_eq!(execution.warnings[0].step_name, "l");
}

#[test]
fn a_reference_to_nothing_still_fails_the_step() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- {{name: use, action: aws:sleep, inputs: {{Duration: '{{{{ variable:nope }}}}'}}}}\n"
    );
    let execution = case(&yaml).run();
    let step = execution.step("use").unwrap();
    assert_eq!(step.step_status, Status::Failed);
    assert_eq!(
        step.failure_message.as_deref(),
        Some("cannot resolve the inputs: `{{ variable:nope }}` is not a variable of the runbook")
    );
    assert!(execution.warnings.is_empty());
}

#[test]
fn spec_10_10_loop_body_records_carry_their_iteration() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- name: retryLoop\n  action: aws:loop\n  inputs:\n    MaxIterations: 3\n    LoopCondition: {{Variable: '{{{{ probe.Retry }}}}', BooleanEquals: true}}\n    Steps:\n    - name: probe\n      action: aws:executeScript\n      inputs: {{Runtime: python3.11, Handler: h, Script: ok, InputPayload: {{i: '{{{{ retryLoop.CurrentIteration }}}}', Retry: true}}}}\n      outputs: [{{Name: Retry, Selector: $.Payload.Retry, Type: Boolean}}, {{Name: I, Selector: $.Payload.i, Type: Integer}}]\n- {{name: after, action: aws:sleep, inputs: {{Duration: '{{{{ retryLoop.CurrentIteration }}}}'}}}}\n"
    );
    let execution = case(&yaml).run();
    let iterations: Vec<u32> = execution
        .step_executions
        .iter()
        .filter_map(|s| s.parent_step_details.as_ref().map(|p| p.iteration))
        .collect();
    assert_eq!(iterations, [1, 2, 3]);
}

#[test]
fn a_sleep_longer_than_the_services_longest_fails_its_step() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- {{name: tooLong, action: aws:sleep, inputs: {{Duration: PT168H}}}}\n"
    );
    let execution = case(&yaml).run();
    let too_long = execution.step("tooLong").unwrap();
    assert_eq!(too_long.step_status, Status::Failed);
    assert!(too_long.failure_message.as_deref().unwrap().contains("604799"));
}

#[test]
fn a_variable_refuses_a_value_of_another_type() {
    let yaml = format!(
        "{HEAD}variables:\n  count: {{type: Integer, default: 0}}\nmainSteps:\n- {{name: set, action: aws:updateVariable, inputs: {{Name: 'variable:count', Value: 5}}}}\n- {{name: bad, action: aws:updateVariable, inputs: {{Name: 'variable:count', Value: five}}}}\n"
    );
    let execution = case(&yaml).run();
    let bad = execution.step("bad").unwrap();
    assert_eq!(bad.step_status, Status::Failed);
    assert_eq!(
        bad.failure_message.as_deref(),
        Some("variable `count` is a Integer, but the value is \"five\"")
    );
    assert_eq!(execution.variables["count"], json!(5));
}

#[test]
fn a_child_run_names_its_parent() {
    let child = "schemaVersion: '0.3'\nmainSteps:\n- {name: wait, action: aws:sleep, inputs: {Duration: PT1S}}\n";
    let yaml = format!(
        "{HEAD}mainSteps:\n- {{name: run, action: aws:executeAutomation, inputs: {{DocumentName: Child}}}}\n"
    );
    let parent = case(&yaml).document("Child", child).run();
    let child = parent.step("run").unwrap().child.as_ref().unwrap();
    assert_eq!(
        child.parent_automation_execution_id.as_deref(),
        Some(parent.automation_execution_id.as_str())
    );
}

#[test]
fn a_parent_records_its_childrens_calls_under_the_childs_execution_id() {
    let child = format!(
        "{HEAD}mainSteps:\n- {{name: inner, action: aws:executeAwsApi, inputs: {{Service: ec2, Api: B}}}}\n"
    );
    let yaml = format!(
        "{HEAD}mainSteps:\n- {{name: before, action: aws:executeAwsApi, inputs: {{Service: ec2, Api: A}}}}\n- {{name: run, action: aws:executeAutomation, inputs: {{DocumentName: Child}}}}\n- {{name: after, action: aws:executeAwsApi, inputs: {{Service: ec2, Api: C}}}}\n"
    );
    let aws = ScriptedAws::default()
        .answer("A", Ok(json!({})))
        .answer("B", Ok(json!({})))
        .answer("C", Ok(json!({})));
    let execution = case(&yaml).document("Child", &child).aws(aws).run();
    let child = execution.step("run").unwrap().child.as_deref().unwrap();
    let calls: Vec<(&str, &str, &str)> = execution
        .calls
        .iter()
        .map(|c| (c.api.as_str(), c.step_name.as_str(), c.automation_execution_id.as_str()))
        .collect();
    let parent_id = execution.automation_execution_id.as_str();
    let child_id = child.automation_execution_id.as_str();
    assert_eq!(
        calls,
        [("A", "before", parent_id), ("B", "inner", child_id), ("C", "after", parent_id)]
    );
    assert_eq!(child.calls[0].automation_execution_id, child_id);
    let json: Value = serde_json::from_str(&execution.to_json()).unwrap();
    assert_eq!(json["Calls"][1]["AutomationExecutionId"], json!(child_id));
    assert_eq!(json["Calls"][1]["StepName"], json!("inner"));
}

#[test]
fn a_cancel_as_a_step_starts_stops_it_before_it_acts() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- {{name: first, action: aws:executeAwsApi, inputs: {{Service: ec2, Api: A}}}}\n- {{name: call, action: aws:executeAwsApi, inputs: {{Service: ec2, Api: B}}, onCancel: 'step:cleanup'}}\n- {{name: cleanup, action: aws:executeAwsApi, inputs: {{Service: ec2, Api: Cleanup}}}}\n"
    );
    // The step's call would be answered at once; the cancel must win every time.
    for _ in 0..20 {
        let aws = ScriptedAws::default()
            .answer("A", Ok(json!({})))
            .answer("B", Ok(json!({})))
            .answer("Cleanup", Ok(json!({})));
        let execution = case(&yaml).aws(aws).cancel_at("call").run();
        assert_eq!(execution.automation_execution_status, Status::Cancelled);
        assert_eq!(status_of(&execution, "call"), Status::Cancelled);
        let apis: Vec<&str> = execution.calls.iter().map(|c| c.api.as_str()).collect();
        assert_eq!(apis, ["A", "Cleanup"]);
    }
}

#[test]
fn the_record_serializes_in_the_services_shape() {
    let yaml = format!(
        "{HEAD}parameters:\n  Ids: {{type: StringList, default: [i-1]}}\noutputs: [d.State]\nmainSteps:\n- name: d\n  action: aws:executeAwsApi\n  inputs: {{Service: ec2, Api: DescribeInstances, InstanceIds: '{{{{ Ids }}}}'}}\n  outputs: [{{Name: State, Selector: $.State, Type: String}}]\n"
    );
    let execution = case(&yaml)
        .aws(ScriptedAws::default().answer("DescribeInstances", Ok(json!({"State": "running"}))))
        .run();
    let json: Value = serde_json::from_str(&execution.to_json()).unwrap();
    assert_eq!(json["AutomationExecutionStatus"], "Success");
    assert_eq!(json["DocumentName"], "case");
    assert_eq!(json["Parameters"]["Ids"], json!(["i-1"]));
    assert_eq!(json["Outputs"]["d.State"], json!(["running"]));
    assert_eq!(json["ExecutionStartTime"], "2026-01-01T00:00:00.000Z");
    let step = &json["StepExecutions"][0];
    assert_eq!(step["StepName"], "d");
    assert_eq!(step["StepStatus"], "Success");
    assert_eq!(step["Inputs"]["InstanceIds"], "[\"i-1\"]");
    assert_eq!(step["Outputs"]["State"], json!(["running"]));
    assert_eq!(json["Calls"][0]["Api"], "DescribeInstances");
}

#[test]
fn rulings_6_the_cancel_chain_stops_after_two_minutes() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- {{name: long, action: aws:sleep, inputs: {{Duration: PT1H}}, onCancel: 'step:slowCleanup'}}\n- {{name: slowCleanup, action: aws:pause, inputs: {{}}, timeoutSeconds: 3600}}\n"
    );
    let execution = case(&yaml).cancel_after(Duration::from_secs(60)).run();
    assert_eq!(execution.automation_execution_status, Status::Cancelled);
    let cleanup = execution.step("slowCleanup").unwrap();
    assert_eq!(cleanup.step_status, Status::Cancelled);
    let took =
        cleanup.execution_end_time.unwrap().duration_since(cleanup.execution_start_time.unwrap());
    assert_eq!(took.as_secs(), 120);
}

#[test]
fn an_execution_id_output_is_the_child_runs_id() {
    let child = "schemaVersion: '0.3'\noutputs: [echo.Payload]\nmainSteps:\n- {name: echo, action: aws:executeScript, inputs: {Runtime: python3.11, Handler: h, Script: ok, InputPayload: {k: v}}}\n";
    let yaml = format!(
        "{HEAD}mainSteps:\n- name: run\n  action: aws:executeAutomation\n  inputs: {{DocumentName: Child}}\n  outputs: [{{Name: Id, Selector: $.ExecutionId, Type: String}}, {{Name: Out, Selector: $.Output, Type: StringList}}]\n"
    );
    let execution = case(&yaml).document("Child", child).run();
    let outputs = &execution.step("run").unwrap().outputs;
    assert_eq!(outputs["Id"], outputs["ExecutionId"]);
    let child = execution.step("run").unwrap().child.as_deref().unwrap();
    assert_eq!(outputs["Id"], json!(child.automation_execution_id));
}

fn memory_documents(documents: Vec<(String, String)>) -> MemoryDocuments {
    documents.into_iter().fold(MemoryDocuments::new(), |all, (name, text)| all.with(name, text))
}
