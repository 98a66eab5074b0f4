//! The executor's semantics, case by case: SPEC section 10 and each ruling, on a scripted AWS
//! backend and the virtual clock. The actions here are small stand-ins; the real ones are
//! tested in their crate.

use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;
use serde_json::{Value, json};

use super::*;
use crate::document::{Document, Format};
use crate::host::{
    ApiError, ApprovalRequest, Approver, BoxFuture, Decision, MapParameterStore, MemoryDocuments,
    VirtualClock, virtual_runtime,
};
use crate::record::{Execution, RunWarning, Status};
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

struct ScriptedApprover(IndexMap<String, Decision>);

impl Approver for ScriptedApprover {
    fn decide(&self, request: &ApprovalRequest) -> BoxFuture<'_, Option<Decision>> {
        let decision = self.0.get(&request.step).cloned();
        Box::pin(async move { decision })
    }
}

struct Case {
    yaml: String,
    parameters: Value,
    aws: ScriptedAws,
    approvals: IndexMap<String, Decision>,
    store: IndexMap<String, Value>,
    documents: Vec<(String, String)>,
    cancel_after: Option<Duration>,
    cancel_at: Option<String>,
    budget: Option<u64>,
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
        parameters: json!({}),
        aws: ScriptedAws::default(),
        approvals: IndexMap::new(),
        store: IndexMap::new(),
        documents: Vec::new(),
        cancel_after: None,
        cancel_at: None,
        budget: None,
    }
}

impl Case {
    fn params(mut self, parameters: Value) -> Self {
        self.parameters = parameters;
        self
    }

    fn aws(mut self, aws: ScriptedAws) -> Self {
        self.aws = aws;
        self
    }

    fn approve(mut self, step: &str, approve: bool) -> Self {
        let decision = if approve { Decision::approve("alice") } else { Decision::reject("bob") };
        self.approvals.insert(step.into(), decision);
        self
    }

    fn store(mut self, name: &str, value: Value) -> Self {
        self.store.insert(name.into(), value);
        self
    }

    fn document(mut self, name: &str, yaml: &str) -> Self {
        self.documents.push((name.into(), yaml.into()));
        self
    }

    fn budget(mut self, limit: u64) -> Self {
        self.budget = Some(limit);
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
                .with_approver(Arc::new(ScriptedApprover(self.approvals)))
                .with_parameter_store(Arc::new(MapParameterStore(self.store)))
                .with_documents(Arc::new(memory_documents(self.documents)));
            if let Some(step) = self.cancel_at {
                host = host.with_observer(Arc::new(CancelAtStep { step, token: token.clone() }));
            }
            let executor = Executor::new(Arc::new(actions), host);
            let parameters: IndexMap<String, Value> = self
                .parameters
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let mut options =
                RunOptions { cancel: token, ..RunOptions::with_parameters(parameters) };
            if let Some(limit) = self.budget {
                options.budget = StepBudget::new(limit);
            }
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

fn statuses(execution: &Execution) -> Vec<(String, Status)> {
    let mut seen: Vec<(String, Status)> = Vec::new();
    for step in &execution.step_executions {
        if let Some(entry) = seen.iter_mut().find(|(name, _)| *name == step.step_name) {
            entry.1 = step.step_status;
        } else {
            seen.push((step.step_name.clone(), step.step_status));
        }
    }
    seen
}

fn status_of(execution: &Execution, step: &str) -> Status {
    execution.step(step).unwrap_or_else(|| panic!("no step {step}")).step_status
}

const HEAD: &str = "schemaVersion: '0.3'\n";

#[test]
fn spec_10_1_fall_through_next_step_and_is_end() {
    let execution = case(&format!(
        "{HEAD}mainSteps:\n- {{name: a, action: aws:sleep, inputs: {{Duration: PT1S}}, nextStep: c}}\n- {{name: b, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n- {{name: c, action: aws:sleep, inputs: {{Duration: PT1S}}, isEnd: true}}\n- {{name: d, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n"
    ))
    .run();
    assert_eq!(execution.automation_execution_status, Status::Success);
    assert_eq!(execution.path(), ["a", "c"]);
    assert_eq!(
        statuses(&execution),
        [
            ("a".into(), Status::Success),
            ("c".into(), Status::Success),
            ("b".into(), Status::Pending),
            ("d".into(), Status::Pending)
        ]
    );
}

const RAISE: &str = "{Runtime: python3.11, Handler: h, Script: raise}";

#[test]
fn spec_10_2_on_failure_step_still_fails_a_critical_step() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- {{name: install, action: aws:executeScript, onFailure: 'step:cleanup', inputs: {RAISE}, nextStep: verify}}\n- {{name: verify, action: aws:sleep, inputs: {{Duration: PT1S}}, isEnd: true}}\n- {{name: cleanup, action: aws:sleep, inputs: {{Duration: PT1S}}, isEnd: true}}\n"
    );
    let execution = case(&yaml).run();
    assert_eq!(execution.path(), ["install", "cleanup"]);
    assert_eq!(status_of(&execution, "install"), Status::Failed);
    assert_eq!(status_of(&execution, "verify"), Status::Pending);
    assert_eq!(execution.automation_execution_status, Status::Failed);
    assert!(execution.failure_message.as_deref().unwrap().contains("Exception - x"));

    let relaxed =
        yaml.replace("onFailure: 'step:cleanup',", "onFailure: 'step:cleanup', isCritical: false,");
    assert_eq!(case(&relaxed).run().automation_execution_status, Status::Success);
}

#[test]
fn spec_10_3_continue_ignores_the_failure_unless_critical() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- {{name: optional, action: aws:executeScript, onFailure: Continue, inputs: {RAISE}}}\n- {{name: next, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n"
    );
    let execution = case(&yaml).run();
    assert_eq!(execution.path(), ["optional", "next"]);
    assert_eq!(status_of(&execution, "optional"), Status::Failed);
    assert_eq!(execution.automation_execution_status, Status::Success);
    let critical = yaml.replace("onFailure: Continue,", "onFailure: Continue, isCritical: true,");
    assert_eq!(case(&critical).run().automation_execution_status, Status::Failed);
}

#[test]
fn spec_10_4_timeouts_apply_per_attempt_and_end_timed_out() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- {{name: wait, action: aws:pause, inputs: {{}}, timeoutSeconds: 600, maxAttempts: 2}}\n- {{name: after, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n"
    );
    let execution = case(&yaml).run();
    let wait = execution.step("wait").unwrap();
    assert_eq!(wait.step_status, Status::TimedOut);
    assert_eq!(wait.attempts, 2);
    let took = wait.execution_end_time.unwrap().duration_since(wait.execution_start_time.unwrap());
    assert_eq!(took.as_secs(), 1200, "two attempts of 600 s on the virtual clock");
    assert_eq!(execution.automation_execution_status, Status::TimedOut);
    assert_eq!(status_of(&execution, "after"), Status::Pending);

    let relaxed = yaml
        .replace("maxAttempts: 2}", "maxAttempts: 2, isCritical: false, onFailure: 'step:after'}");
    let execution = case(&relaxed).run();
    assert_eq!(execution.path(), ["wait", "after"]);
    assert_eq!(execution.automation_execution_status, Status::Success);
}

const BRANCH: &str = "parameters:\n  OS: {type: String}\n  Force: {type: Boolean, default: false}\nmainSteps:\n- name: chooseOS\n  action: aws:branch\n  inputs:\n    Choices:\n    - NextStep: win\n      Variable: '{{ OS }}'\n      StringEquals: windows\n    - NextStep: lin\n      And:\n      - {Variable: '{{ OS }}', StartsWith: lin}\n      - {Variable: '{{ Force }}', BooleanEquals: false}\n    - NextStep: other\n      Not: {Variable: '{{ OS }}', EqualsIgnoreCase: windows}\n    Default: fallback\n- {name: win, action: aws:sleep, inputs: {Duration: PT1S}, isEnd: true}\n- {name: lin, action: aws:sleep, inputs: {Duration: PT1S}, isEnd: true}\n- {name: other, action: aws:sleep, inputs: {Duration: PT1S}, isEnd: true}\n- {name: fallback, action: aws:sleep, inputs: {Duration: PT1S}, isEnd: true}\n";

#[test]
fn spec_10_5_branch_choices_and_default() {
    let path =
        |params: Value| case(&format!("{HEAD}{BRANCH}")).params(params).run().path().join(",");
    assert_eq!(path(json!({"OS": "windows"})), "chooseOS,win");
    assert_eq!(path(json!({"OS": "linux", "Force": "false"})), "chooseOS,lin");
    assert_eq!(path(json!({"OS": "linux", "Force": true})), "chooseOS,other");
    assert_eq!(path(json!({"OS": "Windows"})), "chooseOS,fallback");
    let execution = case(&format!("{HEAD}{BRANCH}")).params(json!({"OS": "windows"})).run();
    assert_eq!(execution.step("chooseOS").unwrap().outputs["NextStep"], json!("win"));
}

#[test]
fn spec_10_6_branch_with_is_end_ends_when_nothing_matches() {
    let yaml = |value: &str| {
        format!(
            "{HEAD}parameters:\n  V: {{type: String, default: {value}}}\nmainSteps:\n- name: b\n  action: aws:branch\n  isEnd: true\n  inputs:\n    Choices:\n    - NextStep: create\n      Not: {{Variable: '{{{{ V }}}}', StringEquals: NoSnapshotFound}}\n- {{name: after, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n- {{name: create, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n"
        )
    };
    assert_eq!(case(&yaml("snap-1")).run().path(), ["b", "create"]);
    assert_eq!(case(&yaml("NoSnapshotFound")).run().path(), ["b"]);
}

#[test]
fn branch_without_match_or_default_goes_on_in_list_order() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- name: b\n  action: aws:branch\n  inputs:\n    Choices:\n    - {{NextStep: z, Variable: x, StringEquals: y}}\n- {{name: next, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n- {{name: z, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n"
    );
    assert_eq!(case(&yaml).run().path(), ["b", "next", "z"]);
}

#[test]
fn spec_10_7_whole_list_and_embedded_references() {
    let yaml = format!(
        "{HEAD}parameters:\n  InstanceIds: {{type: StringList}}\nmainSteps:\n- name: a\n  action: aws:executeAwsApi\n  inputs: {{Service: ec2, Api: StopInstances, Whole: '{{{{ InstanceIds }}}}', Wrapped: ['{{{{ InstanceIds }}}}'], Text: 'ids={{{{ InstanceIds }}}}'}}\n"
    );
    let execution = case(&yaml)
        .aws(ScriptedAws::default().answer("StopInstances", Ok(json!({}))))
        .params(json!({"InstanceIds": "i-1,i-2"}))
        .run();
    let inputs = &execution.step("a").unwrap().inputs;
    assert_eq!(inputs["Whole"], json!(["i-1", "i-2"]));
    assert_eq!(inputs["Wrapped"], json!(["i-1", "i-2"]));
    assert_eq!(inputs["Text"], json!("ids=[\"i-1\",\"i-2\"]"));
    assert_eq!(execution.calls[0].params["Whole"], json!(["i-1", "i-2"]));
}

#[test]
fn spec_10_8_and_10_9_outputs_select_and_convert() {
    let yaml = format!(
        "{HEAD}outputs: [describe.Code, describe.OneId, describe.Ids]\nmainSteps:\n- name: describe\n  action: aws:executeAwsApi\n  inputs: {{Service: ec2, Api: DescribeInstances}}\n  outputs:\n  - {{Name: Code, Selector: '$.Reservations[0].Instances[0].State.Code', Type: String}}\n  - {{Name: OneId, Selector: \"$.Reservations..Instances[?(@.State.Name != 'running')].ImageId\", Type: String}}\n  - {{Name: Ids, Selector: '$.Reservations..InstanceId', Type: StringList}}\n  - {{Name: Missing, Selector: '$.Nothing', Type: String}}\n"
    );
    let response = json!({"Reservations": [
        {"Instances": [{"InstanceId": "i-1", "ImageId": "ami-1", "State": {"Code": 16, "Name": "stopped"}}]},
        {"Instances": [{"InstanceId": "i-2", "ImageId": "ami-2", "State": {"Code": 16, "Name": "running"}}]}]});
    let execution =
        case(&yaml).aws(ScriptedAws::default().answer("DescribeInstances", Ok(response))).run();
    let outputs = &execution.step("describe").unwrap().outputs;
    assert_eq!(outputs["Code"], json!("16"));
    assert_eq!(outputs["OneId"], json!("ami-1"));
    assert_eq!(outputs["Ids"], json!(["i-1", "i-2"]));
    assert!(!outputs.contains_key("Missing"), "a selector matching nothing leaves no value");
    assert_eq!(execution.outputs["describe.Ids"], json!(["i-1", "i-2"]));
}

#[test]
fn a_failed_output_conversion_fails_the_step_naming_the_output() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- name: d\n  action: aws:executeAwsApi\n  inputs: {{Service: ec2, Api: DescribeImages}}\n  outputs: [{{Name: One, Selector: '$.Ids', Type: String}}]\n"
    );
    let execution = case(&yaml)
        .aws(ScriptedAws::default().answer("DescribeImages", Ok(json!({"Ids": ["a", "b"]}))))
        .run();
    let step = execution.step("d").unwrap();
    assert_eq!(step.step_status, Status::Failed);
    assert_eq!(
        step.failure_message.as_deref(),
        Some("output `One` wants a String, but its selector $.Ids found a list of 2 items")
    );
}

#[test]
fn rulings_12_a_reference_with_no_value_meets_the_steps_own_checks_as_text() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- name: d\n  action: aws:executeAwsApi\n  inputs: {{Service: ec2, Api: DescribeImages}}\n  outputs: [{{Name: Id, Selector: '$.Missing', Type: String}}]\n- {{name: use, action: aws:sleep, inputs: {{Duration: '{{{{ d.Id }}}}'}}}}\n"
    );
    let execution =
        case(&yaml).aws(ScriptedAws::default().answer("DescribeImages", Ok(json!({})))).run();
    let step = execution.step("use").unwrap();
    assert_eq!(step.step_status, Status::Failed);
    assert_eq!(step.inputs["Duration"], json!("{{ d.Id }}"));
    assert!(
        step.failure_message.as_deref().is_some_and(|message| message.contains("{{ d.Id }}")),
        "{:?}",
        step.failure_message
    );
    assert_eq!(
        execution.warnings,
        [RunWarning {
            step_name: "use".into(),
            reference: "{{ d.Id }}".into(),
            message: "{{ d.Id }} was left as written: step `d` has no output `Id` (its selector matched nothing)".into(),
        }]
    );
}

#[test]
fn rulings_12_an_api_input_gets_a_reference_to_a_step_that_did_not_run_as_text() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- {{name: skip, action: aws:branch, inputs: {{Choices: [{{NextStep: describe, Variable: a, StringEquals: a}}]}}}}\n- name: launchA\n  action: aws:executeAwsApi\n  inputs: {{Service: ec2, Api: RunInstances}}\n  outputs: [{{Name: InstanceId, Selector: '$.Id', Type: String}}]\n- name: describe\n  action: aws:executeAwsApi\n  inputs: {{Service: ec2, Api: DescribeInstances, InstanceIds: ['{{{{launchA.InstanceId}}}}', 'x-{{{{ launchA.InstanceId }}}}']}}\n"
    );
    let execution =
        case(&yaml).aws(ScriptedAws::default().answer("DescribeInstances", Ok(json!({})))).run();
    assert_eq!(execution.automation_execution_status, Status::Success);
    assert_eq!(execution.path(), ["skip", "describe"]);
    assert_eq!(
        execution.calls[0].params,
        json!({"InstanceIds": ["{{launchA.InstanceId}}", "x-{{ launchA.InstanceId }}"]})
    );
    let warnings: Vec<(&str, &str)> = execution
        .warnings
        .iter()
        .map(|warning| (warning.step_name.as_str(), warning.reference.as_str()))
        .collect();
    assert_eq!(
        warnings,
        [("describe", "{{launchA.InstanceId}}"), ("describe", "{{ launchA.InstanceId }}")]
    );
    assert!(execution.to_json().contains("\"Warnings\": ["), "{}", execution.to_json());
}

#[test]
fn rulings_12_a_branch_comparison_against_the_literal_does_not_match() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- name: d\n  action: aws:executeAwsApi\n  inputs: {{Service: ec2, Api: DescribeSecurityGroups}}\n  outputs: [{{Name: Group, Selector: '$.Groups[0].Id', Type: String}}, {{Name: Count, Selector: '$.Count', Type: Integer}}]\n- name: choose\n  action: aws:branch\n  inputs:\n    Choices:\n    - {{NextStep: found, Variable: '{{{{ d.Count }}}}', NumericGreater: 0}}\n    - {{NextStep: found, Variable: '{{{{ d.Group }}}}', StartsWith: sg-}}\n    Default: create\n- {{name: found, action: aws:sleep, inputs: {{Duration: PT1S}}, isEnd: true}}\n- {{name: create, action: aws:sleep, inputs: {{Duration: PT1S}}, isEnd: true}}\n"
    );
    let execution = case(&yaml)
        .aws(ScriptedAws::default().answer("DescribeSecurityGroups", Ok(json!({"Groups": []}))))
        .run();
    assert_eq!(execution.automation_execution_status, Status::Success);
    assert_eq!(execution.path(), ["d", "choose", "create"]);
    let references: Vec<&str> =
        execution.warnings.iter().map(|warning| warning.reference.as_str()).collect();
    assert_eq!(references, ["{{ d.Count }}", "{{ d.Group }}"]);
    assert!(execution.warnings.iter().all(|warning| warning.step_name == "choose"));
}

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
fn spec_10_10_do_while_loop_stops_at_max_iterations() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- name: retryLoop\n  action: aws:loop\n  inputs:\n    MaxIterations: 3\n    LoopCondition: {{Variable: '{{{{ probe.Retry }}}}', BooleanEquals: true}}\n    Steps:\n    - name: probe\n      action: aws:executeScript\n      inputs: {{Runtime: python3.11, Handler: h, Script: ok, InputPayload: {{i: '{{{{ retryLoop.CurrentIteration }}}}', Retry: true}}}}\n      outputs: [{{Name: Retry, Selector: $.Payload.Retry, Type: Boolean}}, {{Name: I, Selector: $.Payload.i, Type: Integer}}]\n- {{name: after, action: aws:sleep, inputs: {{Duration: '{{{{ retryLoop.CurrentIteration }}}}'}}}}\n"
    );
    let execution = case(&yaml).run();
    assert_eq!(
        execution.path(),
        ["retryLoop", "probe", "probe", "probe", "after"],
        "steps in the order they started"
    );
    assert_eq!(status_of(&execution, "retryLoop"), Status::Success);
    let iterations: Vec<u32> = execution
        .step_executions
        .iter()
        .filter_map(|s| s.parent_step_details.as_ref().map(|p| p.iteration))
        .collect();
    assert_eq!(iterations, [1, 2, 3]);
    assert_eq!(
        execution.step("probe").unwrap().outputs["I"],
        json!(3),
        "outputs hold the last iteration"
    );
    assert_eq!(execution.step("retryLoop").unwrap().outputs["CurrentIteration"], json!(3));
}

#[test]
fn for_each_loop_and_a_jump_out_exits_the_loop() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- name: each\n  action: aws:loop\n  inputs:\n    Iterators: [a, b, stop, d]\n    Steps:\n    - name: check\n      action: aws:branch\n      inputs:\n        Choices: [{{NextStep: out, Variable: '{{{{ each.CurrentIteratorValue }}}}', StringEquals: stop}}]\n    - {{name: work, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n- {{name: skipped, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n- {{name: out, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n"
    );
    let execution = case(&yaml).run();
    assert_eq!(execution.path(), ["each", "check", "work", "check", "work", "check", "out"]);
    assert_eq!(status_of(&execution, "each"), Status::Exited);
    assert_eq!(status_of(&execution, "skipped"), Status::Pending);
    assert_eq!(execution.automation_execution_status, Status::Success);
}

#[test]
fn a_failing_step_in_a_loop_fails_the_loop_and_the_run() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- name: l\n  action: aws:loop\n  inputs:\n    MaxIterations: 5\n    Steps:\n    - {{name: bad, action: aws:executeScript, inputs: {RAISE}}}\n- {{name: after, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n"
    );
    let execution = case(&yaml).run();
    assert_eq!(status_of(&execution, "l"), Status::Failed);
    assert_eq!(status_of(&execution, "after"), Status::Pending);
    assert_eq!(execution.automation_execution_status, Status::Failed);
}

#[test]
fn spec_10_11_parameter_store_defaults() {
    let yaml = format!(
        "{HEAD}parameters:\n  Ami: {{type: String, default: '{{{{ ssm:/aws/ami }}}}'}}\n  Name: {{type: String, default: 'copy-of-{{{{ Ami }}}}-{{{{ global:DATE }}}}'}}\nmainSteps:\n- {{name: a, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n"
    );
    let execution = case(&yaml).store("/aws/ami", json!("ami-123")).run();
    assert_eq!(execution.parameters["Ami"], json!("ami-123"));
    assert_eq!(execution.parameters["Name"], json!("copy-of-ami-123-2026-01-01"));
    let error = case(&yaml).try_run().unwrap_err();
    assert_eq!(
        error.message,
        "Parameter \"Ami\" cannot read its default {{ ssm:/aws/ami }}: Parameter Store has no parameter `/aws/ami`."
    );
}

#[test]
fn sleeps_take_no_real_time_but_show_in_the_record() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- {{name: long, action: aws:sleep, inputs: {{Duration: PT2H}}}}\n- {{name: until, action: aws:sleep, inputs: {{Timestamp: '2026-01-01T03:00:00Z'}}}}\n- {{name: past, action: aws:sleep, inputs: {{Timestamp: '2020-01-01T00:00:00Z'}}}}\n- {{name: tooLong, action: aws:sleep, inputs: {{Duration: PT168H}}}}\n"
    );
    let execution = case(&yaml).run();
    let long = execution.step("long").unwrap();
    assert_eq!(long.execution_end_time.unwrap().to_string(), "2026-01-01T02:00:00Z");
    assert_eq!(
        execution.step("until").unwrap().execution_end_time.unwrap().to_string(),
        "2026-01-01T03:00:00Z"
    );
    assert_eq!(
        execution.step("past").unwrap().execution_end_time.unwrap().to_string(),
        "2026-01-01T03:00:00Z"
    );
    let too_long = execution.step("tooLong").unwrap();
    assert_eq!(too_long.step_status, Status::Failed);
    assert!(too_long.failure_message.as_deref().unwrap().contains("604799"));
}

#[test]
fn approvals_approve_reject_and_time_out() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- {{name: ask, action: aws:approve, inputs: {{Approvers: [alice], Message: go?}}, timeoutSeconds: 3600}}\n- {{name: after, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n"
    );
    let approved = case(&yaml).approve("ask", true).run();
    assert_eq!(approved.automation_execution_status, Status::Success);
    assert_eq!(approved.step("ask").unwrap().outputs["ApprovalStatus"], json!("Approved"));

    let rejected = case(&yaml).approve("ask", false).run();
    assert_eq!(rejected.automation_execution_status, Status::Failed);
    assert_eq!(
        rejected.step("ask").unwrap().failure_message.as_deref(),
        Some("the approval was rejected by bob")
    );

    let waited = case(&yaml).run();
    let ask = waited.step("ask").unwrap();
    assert_eq!(ask.step_status, Status::TimedOut);
    assert_eq!(ask.execution_end_time.unwrap().to_string(), "2026-01-01T01:00:00Z");
    assert_eq!(waited.automation_execution_status, Status::TimedOut);
}

#[test]
fn pauses_resume_or_time_out_after_their_default_seven_days() {
    let yaml = format!("{HEAD}mainSteps:\n- {{name: hold, action: aws:pause, inputs: {{}}}}\n");
    assert_eq!(
        case(&yaml).approve("hold", true).run().automation_execution_status,
        Status::Success
    );
    let waited = case(&yaml).run();
    assert_eq!(
        waited.step("hold").unwrap().execution_end_time.unwrap().to_string(),
        "2026-01-08T00:00:00Z"
    );
}

#[test]
fn variables_update_with_their_own_type_only() {
    let yaml = format!(
        "{HEAD}variables:\n  count: {{type: Integer, default: 0}}\nmainSteps:\n- {{name: set, action: aws:updateVariable, inputs: {{Name: 'variable:count', Value: 5}}}}\n- {{name: read, action: aws:executeScript, inputs: {{Runtime: python3.11, Handler: h, Script: ok, InputPayload: {{n: '{{{{ variable:count }}}}'}}}}}}\n- {{name: bad, action: aws:updateVariable, inputs: {{Name: 'variable:count', Value: five}}}}\n"
    );
    let execution = case(&yaml).run();
    assert_eq!(execution.step("read").unwrap().outputs["Payload"], json!({"n": 5}));
    let bad = execution.step("bad").unwrap();
    assert_eq!(bad.step_status, Status::Failed);
    assert_eq!(
        bad.failure_message.as_deref(),
        Some("variable `count` is a Integer, but the value is \"five\"")
    );
    assert_eq!(execution.variables["count"], json!(5));
}

#[test]
fn nested_automations_run_and_their_failure_fails_the_step() {
    let child = "schemaVersion: '0.3'\nparameters:\n  Fail: {type: Boolean, default: false}\noutputs: [echo.Payload]\nmainSteps:\n- name: choose\n  action: aws:branch\n  inputs:\n    Choices: [{NextStep: boom, Variable: '{{ Fail }}', BooleanEquals: true}]\n- {name: echo, action: aws:executeScript, inputs: {Runtime: python3.11, Handler: h, Script: ok, InputPayload: {k: v}}, isEnd: true}\n- {name: boom, action: aws:executeScript, inputs: {Runtime: python3.11, Handler: h, Script: raise}}\n";
    let yaml = |fail: bool| {
        format!(
            "{HEAD}mainSteps:\n- {{name: run, action: aws:executeAutomation, inputs: {{DocumentName: Child, RuntimeParameters: {{Fail: {fail}}}}}}}\n- {{name: after, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n"
        )
    };
    let good = case(&yaml(false)).document("Child", child).run();
    let step = good.step("run").unwrap();
    assert_eq!(step.outputs["Status"], json!("Success"));
    assert_eq!(step.outputs["Output"], json!(["{\"k\":\"v\"}"]));
    let child_record = step.child.as_ref().unwrap();
    assert_eq!(
        child_record.parent_automation_execution_id.as_deref(),
        Some(good.automation_execution_id.as_str())
    );
    assert_eq!(good.automation_execution_status, Status::Success);

    let bad = case(&yaml(true)).document("Child", child).run();
    let step = bad.step("run").unwrap();
    assert_eq!(step.step_status, Status::Failed);
    assert!(
        step.failure_message.as_deref().unwrap().starts_with("the automation `Child` ended Failed")
    );
    assert_eq!(step.child.as_ref().unwrap().automation_execution_status, Status::Failed);
    assert_eq!(bad.automation_execution_status, Status::Failed);

    let missing = case(&yaml(false)).run();
    assert_eq!(
        missing.step("run").unwrap().failure_message.as_deref(),
        Some("document `Child` is not among the runbooks given")
    );
}

#[test]
fn automations_nest_at_most_five_levels() {
    let recursive = "schemaVersion: '0.3'\nmainSteps:\n- {name: again, action: aws:executeAutomation, inputs: {DocumentName: Self}}\n";
    let execution = case(recursive).document("Self", recursive).run();
    assert_eq!(execution.automation_execution_status, Status::Failed);
    let mut depth = 0;
    let mut record = &execution;
    while let Some(child) = record.step("again").and_then(|s| s.child.as_deref()) {
        depth += 1;
        record = child;
    }
    assert_eq!(depth, 5);
    assert_eq!(
        record.step("again").unwrap().failure_message.as_deref(),
        Some("cannot start `Self`: automations nest at most 5 levels below the first run")
    );
}

#[test]
fn cancelling_runs_the_on_cancel_chain_and_ends_cancelled() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- {{name: first, action: aws:sleep, inputs: {{Duration: PT1M}}}}\n- {{name: long, action: aws:sleep, inputs: {{Duration: PT1H}}, onCancel: 'step:cleanup'}}\n- {{name: never, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n- {{name: cleanup, action: aws:executeAwsApi, inputs: {{Service: ec2, Api: DeleteTags}}}}\n"
    );
    let execution = case(&yaml)
        .aws(ScriptedAws::default().answer("DeleteTags", Ok(json!({}))))
        .cancel_after(Duration::from_secs(600))
        .run();
    assert_eq!(execution.automation_execution_status, Status::Cancelled);
    assert_eq!(
        statuses(&execution),
        [
            ("first".into(), Status::Success),
            ("long".into(), Status::Cancelled),
            ("cleanup".into(), Status::Success),
            ("never".into(), Status::Pending),
        ]
    );
    assert_eq!(execution.calls.len(), 1);
}

#[test]
fn a_parent_records_its_childrens_calls_where_they_were_made() {
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
    assert_eq!(child.calls.len(), 1, "a child's record keeps its own calls");
    assert_eq!(child.calls[0].automation_execution_id, child_id);
    let json: Value = serde_json::from_str(&execution.to_json()).unwrap();
    assert_eq!(json["Calls"][1]["AutomationExecutionId"], json!(child_id));
    assert_eq!(json["Calls"][1]["StepName"], json!("inner"));
}

#[test]
fn a_cancel_reaches_the_child_whose_chain_runs_then_the_parents() {
    let child = format!(
        "{HEAD}mainSteps:\n- {{name: wait, action: aws:sleep, inputs: {{Duration: PT1H}}, onCancel: 'step:childCleanup'}}\n- {{name: never, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n- {{name: childCleanup, action: aws:executeAwsApi, inputs: {{Service: ec2, Api: ChildCleanup}}}}\n"
    );
    let yaml = format!(
        "{HEAD}mainSteps:\n- {{name: run, action: aws:executeAutomation, inputs: {{DocumentName: Child}}, onCancel: 'step:cleanup'}}\n- {{name: next, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n- {{name: cleanup, action: aws:executeAwsApi, inputs: {{Service: ec2, Api: Cleanup}}}}\n"
    );
    let aws = ScriptedAws::default()
        .answer("ChildCleanup", Ok(json!({})))
        .answer("Cleanup", Ok(json!({})));
    let execution =
        case(&yaml).document("Child", &child).aws(aws).cancel_after(Duration::from_secs(60)).run();
    assert_eq!(execution.automation_execution_status, Status::Cancelled);
    assert_eq!(
        statuses(&execution),
        [
            ("run".into(), Status::Cancelled),
            ("cleanup".into(), Status::Success),
            ("next".into(), Status::Pending),
        ]
    );
    let child = execution.step("run").unwrap().child.as_deref().expect("the child's record");
    assert_eq!(child.automation_execution_status, Status::Cancelled);
    assert_eq!(child.path(), ["wait", "childCleanup"]);
    let apis: Vec<&str> = execution.calls.iter().map(|c| c.api.as_str()).collect();
    assert_eq!(apis, ["ChildCleanup", "Cleanup"]);
}

#[test]
fn a_cancel_inside_a_loop_runs_the_inner_steps_chain() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- name: each\n  action: aws:loop\n  inputs:\n    Iterators: [a, b]\n    Steps:\n    - {{name: work, action: aws:sleep, inputs: {{Duration: PT1H}}, onCancel: 'step:cleanup'}}\n- {{name: after, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n- {{name: cleanup, action: aws:executeAwsApi, inputs: {{Service: ec2, Api: Cleanup}}}}\n"
    );
    let aws = ScriptedAws::default().answer("Cleanup", Ok(json!({})));
    let execution = case(&yaml).aws(aws).cancel_after(Duration::from_secs(60)).run();
    assert_eq!(execution.automation_execution_status, Status::Cancelled);
    assert_eq!(
        statuses(&execution),
        [
            ("each".into(), Status::Cancelled),
            ("work".into(), Status::Cancelled),
            ("cleanup".into(), Status::Success),
            ("after".into(), Status::Pending),
        ]
    );
    assert_eq!(
        execution.step("work").unwrap().failure_message.as_deref(),
        Some("the run was cancelled during the step"),
        "the step itself saw the cancel"
    );
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
fn parameter_errors_stop_the_run_before_any_step() {
    let yaml = format!(
        "{HEAD}parameters:\n  Action: {{type: String, allowedValues: [Install, Uninstall]}}\n  Count: {{type: Integer, default: 1}}\n  Name: {{type: String, default: x, allowedPattern: '^[a-z]+$'}}\n  Ids: {{type: StringList, default: [a], maxItems: 2}}\nmainSteps:\n- {{name: a, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n"
    );
    let error = |params: Value| case(&yaml).params(params).try_run().unwrap_err().message;
    assert_eq!(error(json!({})), "Missing required parameter: Action in user inputs.");
    assert_eq!(
        error(json!({"Action": "install"})),
        "Parameter \"Action\" has value \"install\" not found in [Install, Uninstall]."
    );
    assert_eq!(
        error(json!({"Action": "Install", "Count": "many"})),
        "Parameter \"Count\" has value \"many\" is not a valid Integer."
    );
    assert_eq!(
        error(json!({"Action": "Install", "Name": "X1"})),
        "Parameter \"Name\" has value \"X1\" that does not match the allowedPattern ^[a-z]+$."
    );
    assert_eq!(
        error(json!({"Action": "Install", "Ids": "a,b,c"})),
        "Parameter \"Ids\" has 3 items, more than maxItems 2."
    );
    assert_eq!(
        error(json!({"Action": "Install", "Acton": "x"})),
        "Parameter \"Acton\" is not defined in the runbook. Did you mean \"Action\"?"
    );
    let ok = case(&yaml).params(json!({"Action": ["Install"], "Count": ["7"]})).run();
    assert_eq!(ok.parameters["Count"], json!(7));
}

#[test]
fn throttled_calls_are_retried_on_the_clock_then_fail() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- {{name: a, action: aws:executeAwsApi, inputs: {{Service: ec2, Api: DescribeInstances}}}}\n"
    );
    let aws = ScriptedAws::default()
        .answer("DescribeInstances", Err(ApiError::new("ThrottlingException", "Rate exceeded")));
    let execution = case(&yaml).aws(aws).run();
    let step = execution.step("a").unwrap();
    assert_eq!(execution.calls.len(), 1 + THROTTLE_RETRIES as usize);
    assert_eq!(
        step.failure_message.as_deref(),
        Some("ec2.DescribeInstances failed: ThrottlingException: Rate exceeded")
    );
    let waited =
        step.execution_end_time.unwrap().duration_since(step.execution_start_time.unwrap());
    assert_eq!(waited.as_secs(), 1 + 2 + 4 + 8 + 16);
}

#[test]
fn an_abort_on_a_non_critical_step_fails_the_run() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- {{name: a, action: aws:executeScript, isCritical: false, inputs: {RAISE}}}\n- {{name: b, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n"
    );
    let execution = case(&yaml).run();
    assert_eq!(execution.path(), ["a"]);
    assert_eq!(execution.automation_execution_status, Status::Failed);
}

#[test]
fn unsupported_actions_fail_their_step_clearly() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- {{name: a, action: aws:putServerUpgradeMetrics, inputs: {{}}}}\n"
    );
    let execution = case(&yaml).run();
    assert_eq!(
        execution.step("a").unwrap().failure_message.as_deref(),
        Some("unsupported action `aws:putServerUpgradeMetrics`: this engine cannot run it yet")
    );
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
fn rulings_2_continue_goes_on_as_after_a_success() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- {{name: a, action: aws:executeScript, onFailure: Continue, nextStep: c, inputs: {RAISE}}}\n- {{name: b, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n- {{name: c, action: aws:executeScript, onFailure: Continue, isEnd: true, inputs: {RAISE}}}\n- {{name: d, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n"
    );
    let execution = case(&yaml).run();
    assert_eq!(execution.path(), ["a", "c"], "nextStep and isEnd apply after Continue");
    assert_eq!(execution.automation_execution_status, Status::Success);
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
fn rulings_21_max_iterations_defaults_to_100() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- name: l\n  action: aws:loop\n  inputs:\n    LoopCondition: {{Variable: 'x', StringEquals: x}}\n    Steps:\n    - {{name: s, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n"
    );
    let execution = case(&yaml).run();
    assert_eq!(execution.path().iter().filter(|s| **s == "s").count(), 100);
    assert_eq!(execution.step("l").unwrap().outputs["CurrentIteration"], json!(100));
}

#[test]
fn spec_10_19_approvals_need_enough_approvers() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- {{name: ask, action: aws:approve, inputs: {{Approvers: [alice], MinRequiredApprovals: 2}}}}\n"
    );
    let execution = case(&yaml).approve("ask", true).run();
    assert_eq!(
        execution.step("ask").unwrap().failure_message.as_deref(),
        Some("`MinRequiredApprovals` is 2, but there are only 1 approvers")
    );
}

#[test]
fn declared_outputs_select_from_a_child_runs_outputs() {
    let child = "schemaVersion: '0.3'\noutputs: [echo.Payload]\nmainSteps:\n- {name: echo, action: aws:executeScript, inputs: {Runtime: python3.11, Handler: h, Script: ok, InputPayload: {k: v}}}\n";
    let yaml = format!(
        "{HEAD}mainSteps:\n- name: run\n  action: aws:executeAutomation\n  inputs: {{DocumentName: Child}}\n  outputs: [{{Name: Id, Selector: $.ExecutionId, Type: String}}, {{Name: Out, Selector: $.Output, Type: StringList}}]\n"
    );
    let execution = case(&yaml).document("Child", child).run();
    let outputs = &execution.step("run").unwrap().outputs;
    assert_eq!(outputs["Out"], json!(["{\"k\":\"v\"}"]));
    assert_eq!(outputs["Id"], outputs["ExecutionId"]);
}

fn memory_documents(documents: Vec<(String, String)>) -> MemoryDocuments {
    documents.into_iter().fold(MemoryDocuments::new(), |all, (name, text)| all.with(name, text))
}

#[test]
fn a_parameter_of_the_wrong_type_fails_its_step_when_inputs_are_checked() {
    let yaml = format!(
        "{HEAD}parameters:\n  Seconds: {{type: Integer, default: 5}}\n  Flag: {{type: String, default: 'true'}}\n  Count: {{type: Integer, default: 1}}\nmainSteps:\n- {{name: wait, action: aws:sleep, inputs: {{Duration: '{{{{ Seconds }}}}'}}, onFailure: Continue}}\n- {{name: stop, action: aws:changeInstanceState, inputs: {{InstanceIds: [i-1], DesiredState: stopped, Force: '{{{{ Flag }}}}'}}, onFailure: Continue}}\n- {{name: ask, action: aws:approve, inputs: {{Approvers: '{{{{ Count }}}}'}}, onFailure: Continue}}\n- {{name: ask2, action: aws:approve, inputs: {{Approvers: ['{{{{ Count }}}}']}}}}\n"
    );
    let execution = case(&yaml).run();
    let failure = |name: &str| {
        let step = execution.step(name).unwrap();
        assert_eq!(step.step_status, Status::Failed, "{name}");
        assert_eq!(step.attempts, 0, "{name} never starts an attempt");
        assert_eq!(
            step.failure_details.as_ref().map(|details| details.failure_stage),
            Some(crate::record::FailureStage::InputValidation)
        );
        step.failure_message.clone().unwrap_or_default()
    };
    assert_eq!(
        failure("wait"),
        "parameter `Seconds` is an Integer, but input `Duration` takes a String"
    );
    assert_eq!(failure("stop"), "parameter `Flag` is a String, but input `Force` takes a Boolean");
    assert_eq!(
        failure("ask"),
        "parameter `Count` is an Integer, but input `Approvers` takes a StringList"
    );
    assert_eq!(
        failure("ask2"),
        "parameter `Count` is an Integer, but input `Approvers` takes a StringList (items of String, or one StringList)"
    );
    assert!(execution.calls.is_empty());
}

#[test]
fn a_one_item_string_list_given_to_a_string_input_is_its_item() {
    let yaml = format!(
        "{HEAD}parameters:\n  Ids: {{type: StringList}}\nmainSteps:\n- {{name: wait, action: aws:sleep, inputs: {{Duration: '{{{{ Ids }}}}'}}}}\n"
    );
    let execution = case(&yaml).params(json!({"Ids": ["PT1S"]})).run();
    assert_eq!(status_of(&execution, "wait"), Status::Success);
    assert_eq!(execution.step("wait").unwrap().inputs["Duration"], json!("PT1S"));
    let execution = case(&yaml).params(json!({"Ids": ["PT1S", "PT2S"]})).run();
    let step = execution.step("wait").unwrap();
    assert_eq!(step.step_status, Status::Failed);
    assert_eq!(
        step.failure_message.as_deref(),
        Some(
            "input `Duration` takes a String, but its StringList has 2 items; a String takes a list of one"
        )
    );
}

#[test]
fn rulings_12_a_failed_steps_outputs_are_left_as_written_saying_it_failed() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- name: get\n  action: aws:executeAwsApi\n  inputs: {{Service: iam, Api: GetRole}}\n  outputs: [{{Name: Name, Selector: $.Role.RoleName, Type: String}}]\n  onFailure: Continue\n- name: choose\n  action: aws:branch\n  inputs:\n    Choices: [{{NextStep: found, Variable: '{{{{ get.Name }}}}', StringEquals: role}}]\n    Default: create\n- {{name: found, action: aws:sleep, inputs: {{Duration: PT1S}}, isEnd: true}}\n- {{name: create, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n"
    );
    let execution = case(&yaml)
        .aws(
            ScriptedAws::default().answer("GetRole", Err(ApiError::new("NoSuchEntity", "no role"))),
        )
        .run();
    assert_eq!(execution.path(), ["get", "choose", "create"]);
    assert_eq!(execution.automation_execution_status, Status::Success);
    assert_eq!(
        execution.warnings[0].message,
        "{{ get.Name }} was left as written: step `get` has no outputs: it did not succeed"
    );
}

fn assert_stopped_by_budget(execution: &Execution, limit: u64) {
    assert_eq!(execution.automation_execution_status, Status::Failed);
    let message = execution.failure_message.as_deref().unwrap();
    assert!(message.contains(&format!("budget of {limit} step executions")), "{message}");
}

#[test]
fn rulings_25_a_failing_step_that_jumps_to_itself_stops_at_the_default_budget() {
    let execution = case(&format!(
        "{HEAD}mainSteps:\n- {{name: a, action: aws:executeScript, inputs: {{Runtime: python3.11, Handler: h, Script: raise}}, onFailure: 'step:a'}}\n"
    ))
    .run();
    assert_stopped_by_budget(&execution, StepBudget::DEFAULT);
    // One record per step execution, never more than the budget allows.
    assert_eq!(execution.step_executions.len(), 10_000);
}

#[test]
fn rulings_25_a_branch_back_to_a_sleep_stops_at_the_budget() {
    let execution = case(&format!(
        "{HEAD}mainSteps:\n- {{name: wait, action: aws:sleep, inputs: {{Duration: PT1H}}}}\n- {{name: again, action: aws:branch, inputs: {{Choices: [{{NextStep: wait, Variable: '{{{{ global:REGION }}}}', StringEquals: nowhere}}], Default: wait}}}}\n"
    ))
    .budget(50)
    .run();
    assert_stopped_by_budget(&execution, 50);
    assert_eq!(execution.step_executions.len(), 50);
    assert_eq!(execution.path().iter().filter(|name| **name == "wait").count(), 25);
}

#[test]
fn rulings_25_an_approval_that_fails_back_to_itself_stops_at_the_budget() {
    let execution = case(&format!(
        "{HEAD}mainSteps:\n- {{name: ask, action: aws:approve, inputs: {{Approvers: [alice]}}, timeoutSeconds: 60, onFailure: 'step:ask'}}\n"
    ))
    .approve("ask", false)
    .budget(20)
    .run();
    assert_stopped_by_budget(&execution, 20);
    assert_eq!(execution.step_executions.len(), 20);
}

#[test]
fn rulings_25_attempts_count_against_the_budget() {
    let execution = case(&format!(
        "{HEAD}mainSteps:\n- {{name: a, action: aws:executeScript, inputs: {{Runtime: python3.11, Handler: h, Script: raise}}, maxAttempts: 2147483648}}\n"
    ))
    .budget(100)
    .run();
    assert_stopped_by_budget(&execution, 100);
    let step = execution.step("a").unwrap();
    assert_eq!(step.attempts, 100);
    assert_eq!(step.step_status, Status::Failed);
    assert!(step.failure_message.as_deref().unwrap().contains("budget of 100"));
}

#[test]
fn rulings_25_loop_iterations_and_nested_runs_share_the_budget() {
    let child = "schemaVersion: '0.3'\nmainSteps:\n- name: spin\n  action: aws:loop\n  inputs:\n    MaxIterations: 100\n    Steps:\n    - {name: tick, action: aws:sleep, inputs: {Duration: PT1S}}\n";
    let parent = format!(
        "{HEAD}mainSteps:\n- {{name: run, action: aws:executeAutomation, inputs: {{DocumentName: Child}}, onFailure: 'step:run'}}\n"
    );
    let execution = case(&parent).document("Child", child).budget(30).run();
    assert_stopped_by_budget(&execution, 30);
    // The parent's step, the child's loop step, then 28 passes of the loop body.
    assert_eq!(execution.step_executions.len(), 1);
    let child = execution.step("run").unwrap().child.as_ref().unwrap();
    assert_stopped_by_budget(child, 30);
    assert_eq!(child.step_executions.len(), 29);
    assert_eq!(child.step_executions.last().unwrap().step_name, "tick");
}

#[test]
fn rulings_25_a_run_that_uses_its_whole_budget_succeeds() {
    let execution = case(&format!(
        "{HEAD}mainSteps:\n- {{name: a, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n- {{name: b, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n"
    ))
    .budget(2)
    .run();
    assert_eq!(execution.automation_execution_status, Status::Success);
}
