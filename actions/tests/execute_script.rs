//! `aws:executeScript` steps run by the executor with the local script runners: payloads read
//! by selectors, exceptions, time and size limits, attachments, every parameter type through
//! `InputPayload`, stand-ins from mock files, AWS calls on mocks, the identity of a script at a
//! target location and SPEC 10.8 end to end.
//!
//! These tests run scripts with a real `python3` (with boto3 for the AWS call on mocks) and
//! fail with a message saying so when it is missing.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use support::assert_boto3;

use runbook_actions::script::{LocalScriptRunner, MOCK_AWS_ENV, PythonRunner};
use runbook_aws::mock::stand_in::StandInScripts;
use runbook_aws::mock::{MockAws, MockFile};
use runbook_engine::Document;
use runbook_engine::document::Format;
use runbook_engine::host::{
    ApiError, ApiRequest, AwsBackend, BoxFuture, Location, RoleCredentials, ScriptRunner,
    VirtualClock, virtual_runtime,
};
use runbook_engine::record::{Execution, FailureStage, FailureType, Status, StepExecution};
use runbook_engine::validate::validate;
use runbook_engine::{Executor, Host, Plan, RunContext, RunOptions};
use serde_json::{Value, json};

/// The local interpreter's runtime name (`python3.11`), so that no version warning muddles
/// the step's standard error.
fn runtime() -> String {
    let probe = Command::new("python3").arg("--version").output();
    assert!(
        probe.is_ok_and(|output| output.status.success()),
        "these tests run scripts with a real Python: install python3 and put it on PATH"
    );
    let version = PythonRunner::new(None).version().expect("python3 reports its version");
    format!("python{}.{}", version.major, version.minor)
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scripts")
}

/// A directory of its own under cargo's scratch space for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("execute_script").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("cargo's scratch directory is writable");
    dir
}

/// One run: a runbook (with `RUNTIME` replaced by the local Python's), where it is said to be
/// on disk, its parameters and the host's scripts and context.
struct Case {
    yaml: String,
    path: PathBuf,
    parameters: Vec<(String, Value)>,
    scripts: Arc<dyn ScriptRunner>,
    context: RunContext,
}

fn case(yaml: &str) -> Case {
    Case {
        yaml: yaml.replace("RUNTIME", &runtime()),
        path: PathBuf::from("runbook.yaml"),
        parameters: Vec::new(),
        scripts: Arc::new(LocalScriptRunner::default()),
        context: RunContext::default(),
    }
}

impl Case {
    fn at(mut self, path: PathBuf) -> Self {
        self.path = path;
        self
    }

    fn param(mut self, name: &str, value: Value) -> Self {
        self.parameters.push((name.to_string(), value));
        self
    }

    fn scripts(mut self, scripts: Arc<dyn ScriptRunner>) -> Self {
        self.scripts = scripts;
        self
    }

    fn context(mut self, context: RunContext) -> Self {
        self.context = context;
        self
    }

    fn run(self) -> Execution {
        self.run_on("aws: []\n").0
    }

    /// Runs on the mock file `mocks`; also gives the mock backend, to ask which rules it used.
    fn run_on(self, mocks: &str) -> (Execution, Arc<MockAws>) {
        let document =
            Document::parse(self.path, self.yaml, Format::Yaml).expect("the test runbook loads");
        let report = validate(&document);
        assert!(!report.has_errors(), "the test runbook is not valid: {:?}", report.diagnostics);
        let runtime = virtual_runtime().expect("a runtime");
        let mocks = MockFile::parse(Path::new("mocks.yaml"), mocks).expect("valid mocks");
        let aws = Arc::new(MockAws::new(Arc::new(mocks)));
        let backend = aws.clone();
        let execution = runtime.block_on(async move {
            let clock = Arc::new(VirtualClock::new("2026-01-01T00:00:00Z".parse().unwrap()));
            let host =
                Host::new(backend, clock).with_scripts(self.scripts).with_context(self.context);
            let executor = Executor::new(Arc::new(runbook_actions::standard()), host);
            let mut options = RunOptions::default();
            options.parameters.extend(self.parameters);
            executor
                .run(Arc::new(Plan::new(Arc::new(document))), options)
                .await
                .expect("the run starts")
        });
        (execution, aws)
    }
}

fn step<'a>(execution: &'a Execution, name: &str) -> &'a StepExecution {
    execution.step(name).unwrap_or_else(|| panic!("step {name} did not run: {execution:#?}"))
}

fn failure(execution: &Execution, name: &str) -> String {
    step(execution, name).failure_message.clone().unwrap_or_else(|| {
        panic!("step {name} has no failure message: {:#?}", step(execution, name))
    })
}

const HEAD: &str = "schemaVersion: '0.3'\n";

#[test]
fn a_payload_is_read_by_selectors_under_payload_with_output_types() {
    let yaml = format!(
        r#"{HEAD}mainSteps:
- name: calc
  action: aws:executeScript
  inputs:
    Runtime: RUNTIME
    Handler: handler
    Script: |-
      def handler(events, context):
          print("computing")
          return {{"name": "web", "count": 3, "ok": True, "tags": ["a", "b"],
                  "labels": {{"env": "prod"}}, "items": [{{"id": 1}}, {{"id": 2}}]}}
  outputs:
  - {{Name: Name, Selector: $.Payload.name, Type: String}}
  - {{Name: Count, Selector: $.Payload.count, Type: Integer}}
  - {{Name: CountText, Selector: $.Payload.count, Type: String}}
  - {{Name: Ok, Selector: $.Payload.ok, Type: Boolean}}
  - {{Name: Tags, Selector: $.Payload.tags, Type: StringList}}
  - {{Name: Labels, Selector: $.Payload.labels, Type: StringMap}}
  - {{Name: Items, Selector: $.Payload.items, Type: MapList}}
  - {{Name: FirstTag, Selector: '$.Payload.tags[0]', Type: String}}
"#
    );
    let execution = case(&yaml).run();
    assert_eq!(execution.automation_execution_status, Status::Success, "{execution:#?}");
    let calc = step(&execution, "calc");
    let payload = json!({
        "name": "web", "count": 3, "ok": true, "tags": ["a", "b"],
        "labels": {"env": "prod"}, "items": [{"id": 1}, {"id": 2}]
    });
    assert_eq!(calc.response.as_deref(), Some(&json!({ "Payload": payload })));
    let outputs: Vec<(&str, &Value)> =
        calc.outputs.iter().map(|(name, value)| (name.as_str(), value)).collect();
    assert_eq!(
        outputs,
        [
            ("Payload", &payload),
            ("OutputPayload", &json!(json!({ "Payload": payload }).to_string())),
            ("Name", &json!("web")),
            ("Count", &json!(3)),
            ("CountText", &json!("3")),
            ("Ok", &json!(true)),
            ("Tags", &json!(["a", "b"])),
            ("Labels", &json!({"env": "prod"})),
            ("Items", &json!([{"id": 1}, {"id": 2}])),
            ("FirstTag", &json!("a")),
        ]
    );
    assert_eq!(calc.stdout, "computing\n");
    assert_eq!(calc.stderr, "");
}

#[test]
fn the_handler_s_context_names_the_run() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- name: who\n  action: aws:executeScript\n  inputs:\n    Runtime: RUNTIME\n    Handler: h\n    Script: |-\n      def h(events, context):\n          return context\n"
    );
    let context = RunContext {
        account_id: "111122223333".into(),
        region: "eu-west-3".into(),
        ..RunContext::default()
    };
    let execution = case(&yaml).context(context).run();
    let payload = &step(&execution, "who").outputs["Payload"];
    assert_eq!(
        payload,
        &json!({
            "automation:EXECUTION_ID": execution.automation_execution_id,
            "global:ACCOUNT_ID": "111122223333",
            "global:REGION": "eu-west-3",
            "global:AWS_PARTITION": "aws",
        })
    );
}

#[test]
fn an_exception_fails_the_step_with_its_type_and_traceback_and_keeps_its_output() {
    let yaml = format!(
        r#"{HEAD}mainSteps:
- name: check
  action: aws:executeScript
  inputs:
    Runtime: RUNTIME
    Handler: h
    Script: |-
      import sys

      def h(events, context):
          print("checking " + events["Bucket"])
          print("about to fail", file=sys.stderr)
          raise ValueError("bucket " + events["Bucket"] + " is public")
    InputPayload: {{Bucket: logs}}
- {{name: after, action: aws:sleep, inputs: {{Duration: PT1S}}}}
"#
    );
    let execution = case(&yaml).run();
    assert_eq!(execution.automation_execution_status, Status::Failed);
    let check = step(&execution, "check");
    assert_eq!(check.step_status, Status::Failed);
    assert_eq!(
        failure(&execution, "check"),
        "Traceback (most recent call last):\n  File \"customer_script.py\", line 6, in h\n    \
         raise ValueError(\"bucket \" + events[\"Bucket\"] + \" is public\")\n\nValueError - \
         bucket logs is public"
    );
    assert_eq!(check.stdout, "checking logs\n");
    assert_eq!(check.stderr, "about to fail\n");
    let details = check.failure_details.as_ref().expect("failure details");
    assert_eq!(
        (details.failure_stage, details.failure_type),
        (FailureStage::Invocation, FailureType::Action)
    );
    assert!(execution.step("after").is_none_or(|after| after.step_status == Status::Pending));
}

#[test]
fn a_script_past_timeout_seconds_is_stopped_and_the_step_times_out() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- name: slow\n  action: aws:executeScript\n  timeoutSeconds: 2\n  inputs:\n    Runtime: RUNTIME\n    Handler: h\n    Script: |-\n      import time\n\n      def h(events, context):\n          print('started', flush=True)\n          time.sleep(60)\n          return 'never'\n"
    );
    let execution = case(&yaml).run();
    let slow = step(&execution, "slow");
    assert_eq!(slow.step_status, Status::TimedOut, "{slow:#?}");
    assert_eq!(execution.automation_execution_status, Status::TimedOut);
    // The runner's own real-time limit stopped it: virtual time stands still while a script
    // runs, so the engine's timer never fires.
    assert_eq!(
        failure(&execution, "slow"),
        "the script ran longer than its limit of 2 seconds and was stopped"
    );
    assert_eq!(slow.stdout, "started\n");
}

#[test]
fn output_over_100_kb_fails_the_step() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- name: big\n  action: aws:executeScript\n  inputs:\n    Runtime: RUNTIME\n    Handler: h\n    Script: |-\n      def h(events, context):\n          return {{'blob': 'x' * 200000}}\n"
    );
    let execution = case(&yaml).run();
    assert_eq!(step(&execution, "big").step_status, Status::Failed);
    assert_eq!(
        failure(&execution, "big"),
        "the script's output is 200011 bytes of JSON; aws:executeScript returns at most 100 KB \
         (102400 bytes)"
    );
}

/// A runbook whose step runs `process_instance.py` as its attachment.
fn py_attachment_runbook() -> String {
    format!(
        r"{HEAD}files:
  process_instance.py:
    checksums: {{sha256: 1f374297f4bea55c85093da641472ee1091259dded3ff5b60fc2c27bb966cb5c}}
mainSteps:
- name: describe
  action: aws:executeScript
  inputs:
    Runtime: RUNTIME
    Handler: process_instance.process_instance_data
    Attachment: process_instance.py
    InputPayload: {{InstanceId: i-0abc}}
  outputs:
  - {{Name: Described, Selector: $.Payload.described, Type: String}}
"
    )
}

#[test]
fn a_py_attachment_next_to_the_runbook_runs() {
    let dir = scratch("next_to_runbook");
    std::fs::copy(fixtures().join("process_instance.py"), dir.join("process_instance.py"))
        .expect("the attachment is copied");
    let execution = case(&py_attachment_runbook()).at(dir.join("runbook.yaml")).run();
    assert_eq!(execution.automation_execution_status, Status::Success, "{execution:#?}");
    assert_eq!(step(&execution, "describe").outputs["Described"], json!("instance i-0abc"));
}

#[test]
fn a_py_attachment_in_the_attachments_folder_runs() {
    let dir = scratch("attachments_folder");
    let context = RunContext { attachments: Some(fixtures()), ..RunContext::default() };
    let execution =
        case(&py_attachment_runbook()).at(dir.join("runbook.yaml")).context(context).run();
    assert_eq!(execution.automation_execution_status, Status::Success, "{execution:#?}");
    assert_eq!(step(&execution, "describe").outputs["Described"], json!("instance i-0abc"));
}

#[test]
fn an_attachment_whose_sha256_differs_from_the_declared_one_fails_naming_the_file() {
    let dir = scratch("wrong_checksum");
    std::fs::write(
        dir.join("process_instance.py"),
        "def process_instance_data(e, c):\n    return 1\n",
    )
    .expect("the attachment is written");
    let execution = case(&py_attachment_runbook()).at(dir.join("runbook.yaml")).run();
    assert_eq!(step(&execution, "describe").step_status, Status::Failed);
    assert_eq!(
        failure(&execution, "describe"),
        format!(
            "attachment process_instance.py ({}) does not match the sha256 the runbook declares \
             for it in `files`: declared \
             1f374297f4bea55c85093da641472ee1091259dded3ff5b60fc2c27bb966cb5c, the file's is \
             0bfaf92bf0eb6322c7d041a5842495c51bc5b642c0d22bdd2ccfe7d3520ff999",
            dir.join("process_instance.py").display()
        )
    );
}

#[test]
fn an_attachment_named_by_a_path_is_refused_even_when_templated() {
    let dir = scratch("attachment_path");
    std::fs::write(dir.join("evil.py"), "def h(e, c):\n    return 'ran'\n").expect("written");
    let inner = dir.join("inner");
    std::fs::create_dir_all(&inner).expect("a folder");
    let yaml = format!(
        "{HEAD}parameters:\n  Name: {{type: String, default: ../evil.py}}\nmainSteps:\n- name: run\n  action: aws:executeScript\n  inputs:\n    Runtime: RUNTIME\n    Handler: evil.h\n    Attachment: '{{{{ Name }}}}'\n"
    );
    let execution = case(&yaml).at(inner.join("runbook.yaml")).run();
    assert_eq!(step(&execution, "run").step_status, Status::Failed);
    assert_eq!(
        failure(&execution, "run"),
        "attachment `../evil.py` is not a plain file name: attachments are found only in the \
         runbook's folder or the attachments folder, by name"
    );
}

#[test]
fn a_missing_attachment_names_the_file_and_where_it_was_looked_for() {
    let dir = scratch("missing_attachment");
    let folder = dir.join("attachments");
    let context = RunContext { attachments: Some(folder.clone()), ..RunContext::default() };
    let execution =
        case(&py_attachment_runbook()).at(dir.join("runbook.yaml")).context(context).run();
    let describe = step(&execution, "describe");
    assert_eq!(describe.step_status, Status::Failed);
    assert_eq!(
        failure(&execution, "describe"),
        format!(
            "attachment process_instance.py was not found: looked in {} and {}; put the file \
             there or name the attachments folder",
            folder.display(),
            dir.display()
        )
    );
    let details = describe.failure_details.as_ref().expect("failure details");
    assert_eq!(details.failure_stage, FailureStage::InputValidation);
}

#[test]
fn an_attachment_the_runbook_does_not_declare_is_refused() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- name: describe\n  action: aws:executeScript\n  inputs:\n    Runtime: RUNTIME\n    Handler: process_instance.process_instance_data\n    Attachment: process_instance.py\n"
    );
    let context = RunContext { attachments: Some(fixtures()), ..RunContext::default() };
    let execution = case(&yaml).context(context).run();
    assert_eq!(
        failure(&execution, "describe"),
        "attachment process_instance.py is not declared in the runbook's `files`; \
         aws:executeScript can only use attachments the runbook declares"
    );
}

/// Packs `tests/fixtures/scripts/bundle` into `dir/NAME` with Python's own zip tool.
fn bundle_zip(dir: &Path, name: &str) {
    let status = Command::new("python3")
        .args(["-m", "zipfile", "-c"])
        .arg(dir.join(name))
        .args(["entry.py", "helpers"])
        .current_dir(fixtures().join("bundle"))
        .status()
        .expect("python3 runs");
    assert!(status.success(), "python3 -m zipfile could not pack the bundle");
}

#[test]
fn an_inline_script_imports_from_a_zip_attachment_and_a_dotted_handler_runs_from_it() {
    let dir = scratch("zip_with_script");
    bundle_zip(&dir, "artifact.zip");
    // As AWS's runbooks do: a plain handler runs the inline script with the .zip's packages at
    // hand; a `file.function` handler runs from the .zip, whatever `Script` holds.
    let yaml = format!(
        r#"{HEAD}files:
  artifact.zip: {{}}
mainSteps:
- name: inline
  action: aws:executeScript
  inputs:
    Runtime: RUNTIME
    Handler: script_handler
    Attachment: artifact.zip
    InputPayload: {{Name: ada}}
    Script: |-
      from helpers.text import shout

      def script_handler(events, context):
          return {{"Message": shout(events["Name"]) + "!"}}
  outputs:
  - {{Name: Message, Selector: $.Payload.Message, Type: String}}
- name: dotted
  action: aws:executeScript
  inputs:
    Runtime: RUNTIME
    Handler: entry.handler
    Attachment: artifact.zip
    InputPayload: {{name: bob}}
    Script: '%PYTHONSCRIPT%'
  outputs:
  - {{Name: Greeting, Selector: $.Payload.greeting, Type: String}}
"#
    );
    let execution = case(&yaml).at(dir.join("runbook.yaml")).run();
    assert_eq!(execution.automation_execution_status, Status::Success, "{execution:#?}");
    assert_eq!(step(&execution, "inline").outputs["Message"], json!("HELLO ADA!"));
    assert_eq!(step(&execution, "dotted").outputs["Greeting"], json!("HELLO BOB"));
}

#[test]
fn every_parameter_type_round_trips_through_input_payload() {
    let yaml = format!(
        r#"{HEAD}parameters:
  Name: {{type: String}}
  Zones: {{type: StringList}}
  Count: {{type: Integer}}
  Enabled: {{type: Boolean}}
  Labels: {{type: StringMap}}
  Rules: {{type: MapList}}
mainSteps:
- name: echo
  action: aws:executeScript
  inputs:
    Runtime: RUNTIME
    Handler: h
    InputPayload:
      Name: '{{{{ Name }}}}'
      Zones: '{{{{ Zones }}}}'
      Count: '{{{{ Count }}}}'
      Enabled: '{{{{ Enabled }}}}'
      Labels: '{{{{ Labels }}}}'
      Rules: '{{{{ Rules }}}}'
      Embedded: 'name={{{{ Name }}}} count={{{{ Count }}}}'
    Script: |-
      def h(events, context):
          return {{"events": events, "types": {{k: type(v).__name__ for k, v in events.items()}}}}
  outputs:
  - {{Name: Zones, Selector: $.Payload.events.Zones, Type: StringList}}
  - {{Name: Count, Selector: $.Payload.events.Count, Type: Integer}}
  - {{Name: Enabled, Selector: $.Payload.events.Enabled, Type: Boolean}}
  - {{Name: Labels, Selector: $.Payload.events.Labels, Type: StringMap}}
  - {{Name: Rules, Selector: $.Payload.events.Rules, Type: MapList}}
"#
    );
    let zones = json!(["eu-west-3a", "eu-west-3b"]);
    let labels = json!({"team": "ops", "tier": "1"});
    let rules = json!([{"port": 22, "open": false}, {"port": 443, "open": true}]);
    let execution = case(&yaml)
        .param("Name", json!("web"))
        .param("Zones", zones.clone())
        .param("Count", json!(3))
        .param("Enabled", json!(true))
        .param("Labels", labels.clone())
        .param("Rules", rules.clone())
        .run();
    assert_eq!(execution.automation_execution_status, Status::Success, "{execution:#?}");
    let echo = step(&execution, "echo");
    let payload = &echo.outputs["Payload"];
    assert_eq!(
        payload["events"],
        json!({
            "Name": "web", "Zones": zones, "Count": 3, "Enabled": true, "Labels": labels,
            "Rules": rules, "Embedded": "name=web count=3"
        })
    );
    assert_eq!(
        payload["types"],
        json!({
            "Name": "str", "Zones": "list", "Count": "int", "Enabled": "bool", "Labels": "dict",
            "Rules": "list", "Embedded": "str"
        })
    );
    assert_eq!(echo.outputs["Zones"], zones);
    assert_eq!(echo.outputs["Count"], json!(3));
    assert_eq!(echo.outputs["Enabled"], json!(true));
    assert_eq!(echo.outputs["Labels"], labels);
    assert_eq!(echo.outputs["Rules"], rules);
}

#[test]
fn input_payload_may_be_json_text_and_may_be_left_out() {
    let yaml = format!(
        r#"{HEAD}mainSteps:
- name: text
  action: aws:executeScript
  inputs:
    Runtime: RUNTIME
    Handler: h
    InputPayload: '{{"a": [1, 2], "b": {{"c": null}}}}'
    Script: |-
      def h(events, context):
          return events
- name: none
  action: aws:executeScript
  inputs:
    Runtime: RUNTIME
    Handler: h
    Script: |-
      def h(events, context):
          return {{"events": events, "type": type(events).__name__}}
- name: list
  action: aws:executeScript
  inputs:
    Runtime: RUNTIME
    Handler: h
    InputPayload: [1, 2]
    Script: |-
      def h(events, context):
          return events
"#
    );
    let execution = case(&yaml).run();
    assert_eq!(step(&execution, "text").outputs["Payload"], json!({"a": [1, 2], "b": {"c": null}}));
    assert_eq!(step(&execution, "none").outputs["Payload"], json!({"events": {}, "type": "dict"}));
    let list = step(&execution, "list");
    assert_eq!(list.step_status, Status::Failed);
    assert_eq!(
        list.failure_message.as_deref(),
        Some("InputPayload must be a map, or the JSON text of one, but it is a list")
    );
    let details = list.failure_details.as_ref().expect("failure details");
    assert_eq!(details.failure_stage, FailureStage::InputValidation);
}

#[test]
fn a_missing_interpreter_fails_the_step_saying_so() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- name: s\n  action: aws:executeScript\n  inputs: {{Runtime: python3.11, Handler: h, Script: 'def h(e, c): return 1'}}\n"
    );
    let scripts =
        Arc::new(LocalScriptRunner::new(Some(PathBuf::from("/nonexistent/bin/python3")), None));
    let execution = case(&yaml).scripts(scripts).run();
    assert_eq!(step(&execution, "s").step_status, Status::Failed);
    assert_eq!(
        failure(&execution, "s"),
        "Python is not installed: /nonexistent/bin/python3 was not found"
    );
    let details = step(&execution, "s").failure_details.as_ref().expect("failure details");
    assert_eq!(details.failure_type, FailureType::Internal);
}

/// A runbook of four script steps: three the mock file stands in for, one that runs.
const STAND_INS_RUNBOOK: &str = r#"schemaVersion: '0.3'
parameters:
  Size: {type: Integer, default: 20}
mainSteps:
- name: fixed
  action: aws:executeScript
  inputs:
    Runtime: RUNTIME
    Handler: h
    Script: "raise SystemExit('a stand-in step must not run')"
  outputs:
  - {Name: Tags, Selector: $.Payload.Tags, Type: StringList}
- name: computed
  action: aws:executeScript
  inputs:
    Runtime: RUNTIME
    Handler: h
    Script: "raise SystemExit('a stand-in step must not run')"
    InputPayload: {Size: '{{ Size }}', Tags: '{{ fixed.Tags }}'}
  outputs:
  - {Name: Doubled, Selector: $.Payload.Doubled, Type: Integer}
  - {Name: First, Selector: $.Payload.First, Type: String}
- name: real
  action: aws:executeScript
  inputs:
    Runtime: RUNTIME
    Handler: h
    InputPayload: {Doubled: '{{ computed.Doubled }}'}
    Script: |-
      def h(events, context):
          return {"Plus": events["Doubled"] + 1}
  outputs:
  - {Name: Plus, Selector: $.Payload.Plus, Type: Integer}
- name: broken
  action: aws:executeScript
  inputs:
    Runtime: RUNTIME
    Handler: h
    Script: "raise SystemExit('a stand-in step must not run')"
"#;

const STAND_INS: &str = r#"scripts:
  fixed: {returns: {Tags: [alpha, beta]}}
  computed:
    rhai: |
      print(`sizing ${events.Size}`);
      #{Doubled: events.Size * 2, First: events.Tags[0]}
  broken: {error: "ClientError - An error occurred (AccessDenied) when calling the PutObject operation"}
"#;

#[test]
fn stand_ins_from_a_mock_file_answer_and_other_steps_run() {
    let file = MockFile::parse(Path::new("mocks.yaml"), STAND_INS).expect("valid mock file");
    let scripts =
        Arc::new(StandInScripts::new(Arc::new(file), Arc::new(LocalScriptRunner::default())));
    let execution = case(STAND_INS_RUNBOOK).scripts(scripts).run();
    assert_eq!(step(&execution, "fixed").outputs["Tags"], json!(["alpha", "beta"]));
    let computed = step(&execution, "computed");
    assert_eq!(computed.outputs["Doubled"], json!(40));
    assert_eq!(computed.outputs["First"], json!("alpha"));
    assert_eq!(computed.stdout, "sizing 20\n");
    assert_eq!(step(&execution, "real").outputs["Plus"], json!(41));
    let broken = step(&execution, "broken");
    assert_eq!(broken.step_status, Status::Failed);
    assert_eq!(
        broken.failure_message.as_deref(),
        Some("ClientError - An error occurred (AccessDenied) when calling the PutObject operation")
    );
    assert_eq!(execution.automation_execution_status, Status::Failed);
}

fn on_mocks(region: &str) -> RunContext {
    RunContext {
        region: region.to_string(),
        script_environment: vec![(MOCK_AWS_ENV.to_string(), "mock".to_string())],
        ..RunContext::default()
    }
}

const SCRIPT_CALLS_RUNBOOK: &str = r#"mainSteps:
- name: describe
  action: aws:executeAwsApi
  inputs: {Service: ec2, Api: DescribeInstances, InstanceIds: [i-0abc]}
  outputs:
  - {Name: State, Selector: '$.Reservations[0].Instances[0].State.Name', Type: String}
- name: inspect
  action: aws:executeScript
  inputs:
    Runtime: RUNTIME
    Handler: h
    InputPayload: {State: '{{ describe.State }}'}
    Script: |-
      import os
      import boto3
      from botocore.exceptions import ClientError

      def h(events, context):
          ec2 = boto3.client("ec2")
          states = [ec2.describe_instances(InstanceIds=["i-0abc"])["Reservations"][0]["Instances"][0]["State"]["Name"]
                    for _ in range(2)]
          try:
              boto3.client("ssm").get_parameter(Name="/app/missing")
              missing = None
          except ClientError as e:
              missing = e.response["Error"]["Code"]
          return {"before": events["State"], "states": states, "missing": missing,
                  "region": os.environ["AWS_REGION"], "default": os.environ["AWS_DEFAULT_REGION"],
                  "client_region": ec2.meta.region_name}
  outputs:
  - {Name: Result, Selector: $.Payload, Type: StringMap}
"#;

const SCRIPT_CALLS_MOCKS: &str = r"aws:
  - service: ec2
    api: DescribeInstances
    params: {InstanceIds: [i-0abc]}
    sequence:
      - returns: {Reservations: [{Instances: [{State: {Name: pending}}]}]}
      - returns: {Reservations: [{Instances: [{State: {Name: running}}]}]}
      - returns: {Reservations: [{Instances: [{State: {Name: stopped}}]}]}
  - service: ssm
    api: GetParameter
    params: {Name: /app/missing}
    error: {code: ParameterNotFound, message: no such parameter}
";

#[test]
fn a_script_s_aws_calls_are_answered_by_the_run_s_mocks_and_recorded_under_its_step() {
    assert_boto3();
    let yaml = format!("{HEAD}{SCRIPT_CALLS_RUNBOOK}");
    let (execution, aws) =
        case(&yaml).context(on_mocks("ap-southeast-2")).run_on(SCRIPT_CALLS_MOCKS);
    assert_eq!(execution.automation_execution_status, Status::Success, "{execution:#?}");
    // The runbook's call and the script's share the rule's sequence, in the order they ran.
    assert_eq!(
        step(&execution, "inspect").outputs["Result"],
        json!({
            "before": "pending",
            "states": ["running", "stopped"],
            "missing": "ParameterNotFound",
            "region": "ap-southeast-2",
            "default": "ap-southeast-2",
            "client_region": "ap-southeast-2",
        })
    );
    let calls: Vec<(&str, &str, &str)> = execution
        .calls
        .iter()
        .map(|call| (call.step_name.as_str(), call.service.as_str(), call.api.as_str()))
        .collect();
    assert_eq!(
        calls,
        [
            ("describe", "ec2", "DescribeInstances"),
            ("inspect", "ec2", "DescribeInstances"),
            ("inspect", "ec2", "DescribeInstances"),
            ("inspect", "ssm", "GetParameter"),
        ]
    );
    let error = execution.calls[3].error.as_ref().expect("the mocked error is recorded");
    assert_eq!(error.code, "ParameterNotFound");
    assert_eq!(aws.call_counts(), [3, 1]);
    assert!(aws.unused_rules().is_empty());
}

#[test]
fn a_mock_rule_only_a_script_uses_is_not_reported_unused_and_one_it_skips_is() {
    assert_boto3();
    let yaml = format!(
        r#"{HEAD}mainSteps:
- name: tag
  action: aws:executeScript
  inputs:
    Runtime: RUNTIME
    Handler: h
    Script: |-
      import boto3

      def h(events, context):
          boto3.client("ec2").create_tags(Resources=["i-1"], Tags=[{{"Key": "a", "Value": "b"}}])
"#
    );
    let mocks = "aws:
  - {service: ec2, api: CreateTags, returns: {}}
  - {service: ec2, api: DeleteTags, returns: {}}
";
    let (execution, aws) = case(&yaml).context(on_mocks("us-east-1")).run_on(mocks);
    assert_eq!(execution.automation_execution_status, Status::Success, "{execution:#?}");
    let unused: Vec<String> = aws.unused_rules().iter().map(|rule| rule.api.clone()).collect();
    assert_eq!(unused, ["DeleteTags"]);
    assert_eq!(
        execution.calls[0].params,
        json!({"Resources": ["i-1"], "Tags": [{"Key": "a", "Value": "b"}]})
    );
}

#[test]
fn a_script_s_call_no_mock_answers_fails_its_step_naming_the_call() {
    assert_boto3();
    let yaml = format!(
        r"{HEAD}mainSteps:
- name: listInstances
  action: aws:executeScript
  inputs:
    Runtime: RUNTIME
    Handler: h
    Script: |-
      import boto3

      def h(events, context):
          ec2 = boto3.client('ec2')
          try:
              return ec2.describe_instances()
          except Exception:
              return 'swallowed'
"
    );
    let execution = case(&yaml).context(on_mocks("us-east-1")).run();
    assert_eq!(step(&execution, "listInstances").step_status, Status::Failed);
    let message = failure(&execution, "listInstances");
    assert!(message.contains("File \"customer_script.py\", line 6, in h"), "{message}");
    assert!(
        message.ends_with(
            "UnansweredAwsCall - ec2.DescribeInstances made by step listInstances was not \
             answered: no mock answers ec2.DescribeInstances {}; the mocks have no `aws` rules"
        ),
        "{message}"
    );
    assert_eq!(execution.calls.len(), 1);
    assert_eq!(execution.calls[0].step_name, "listInstances");
}

#[test]
fn a_throttled_script_call_is_retried_on_the_run_s_clock() {
    assert_boto3();
    let yaml = format!(
        r"{HEAD}mainSteps:
- name: stop
  action: aws:executeScript
  inputs:
    Runtime: RUNTIME
    Handler: h
    Script: |-
      import boto3

      def h(events, context):
          return boto3.client('ec2').stop_instances(InstanceIds=['i-1'])['StoppingInstances']
"
    );
    let mocks = "aws:
  - service: ec2
    api: StopInstances
    sequence:
      - error: ThrottlingException
      - error: ThrottlingException
      - returns: {StoppingInstances: [{InstanceId: i-1}]}
";
    let (execution, _) = case(&yaml).context(on_mocks("us-east-1")).run_on(mocks);
    assert_eq!(execution.automation_execution_status, Status::Success, "{execution:#?}");
    assert_eq!(step(&execution, "stop").outputs["Payload"], json!([{"InstanceId": "i-1"}]));
    assert_eq!(execution.calls.len(), 3);
    // 1 s then 2 s of backoff, on virtual time.
    let waited = execution.calls[2].time.duration_since(execution.calls[0].time);
    assert_eq!(waited, jiff::SignedDuration::from_secs(3));
}

#[test]
fn a_script_sees_the_run_s_region_whatever_the_shell_has() {
    let yaml = format!(
        r#"{HEAD}mainSteps:
- name: region
  action: aws:executeScript
  inputs:
    Runtime: RUNTIME
    Handler: h
    Script: |-
      import os

      def h(events, context):
          return [os.environ["AWS_REGION"], os.environ["AWS_DEFAULT_REGION"], context["global:REGION"]]
"#
    );
    let context = RunContext {
        region: "eu-central-2".to_string(),
        // What a shell or an AWS environment could give: the run's region wins.
        script_environment: vec![
            ("AWS_REGION".to_string(), "us-west-1".to_string()),
            ("AWS_DEFAULT_REGION".to_string(), "us-west-2".to_string()),
        ],
        ..RunContext::default()
    };
    let execution = case(&yaml).context(context).run();
    assert_eq!(
        step(&execution, "region").outputs["Payload"],
        json!(["eu-central-2", "eu-central-2", "eu-central-2"])
    );
}

#[test]
fn spec_10_8_outputs_select_under_payload_with_real_python() {
    let yaml = r#"schemaVersion: '0.3'
parameters:
  Count: {type: Integer, default: 4}
outputs: [calc.Double, calc.Tags]
mainSteps:
- name: calc
  action: aws:executeScript
  inputs:
    Runtime: RUNTIME
    Handler: h
    InputPayload: { n: "{{ Count }}" }
    Script: |-
      def h(events, context):
          return {"double": int(events["n"]) * 2, "tags": ["a", "b"]}
  outputs:
  - { Name: All,    Selector: $.Payload,        Type: StringMap }
  - { Name: Double, Selector: $.Payload.double, Type: Integer }
  - { Name: Tags,   Selector: $.Payload.tags,   Type: StringList }
  - { Name: Bare,   Selector: $.double,         Type: Integer }
"#;
    let execution = case(yaml).param("Count", json!("21")).run();
    assert_eq!(execution.automation_execution_status, Status::Success, "{execution:#?}");
    let calc = step(&execution, "calc");
    assert_eq!(calc.outputs["All"], json!({"double": 42, "tags": ["a", "b"]}));
    assert_eq!(calc.outputs["Double"], json!(42));
    assert_eq!(calc.outputs["Tags"], json!(["a", "b"]));
    assert!(!calc.outputs.contains_key("Bare"), "$.double selects nothing: {:?}", calc.outputs);
    assert_eq!(execution.outputs["calc.Double"], json!(42));
    assert_eq!(execution.outputs["calc.Tags"], json!(["a", "b"]));
}

#[cfg(unix)]
#[test]
fn a_powershell_step_gets_its_module_archive() {
    use std::os::unix::fs::PermissionsExt;

    runtime();
    let dir = scratch("powershell_modules");
    let pwsh = dir.join("pwsh");
    std::fs::copy(fixtures().join("fake_pwsh.py"), &pwsh).expect("the stand-in is copied");
    std::fs::set_permissions(&pwsh, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    bundle_zip(&dir, "modules.zip");
    let yaml = format!(
        "{HEAD}files:\n  modules.zip: {{}}\nmainSteps:\n- name: ps\n  action: aws:executeScript\n  inputs:\n    Runtime: PowerShell 7.4\n    Attachment: modules.zip\n    InputPayload: {{Volume: vol-1}}\n    Script: Import-Module Helpers\n"
    );
    let scripts = Arc::new(LocalScriptRunner::new(None, Some(pwsh.clone())));
    let execution = case(&yaml).at(dir.join("runbook.yaml")).scripts(scripts).run();
    assert_eq!(execution.automation_execution_status, Status::Success, "{execution:#?}");
    let ps = step(&execution, "ps");
    let payload = &ps.outputs["Payload"];
    assert_eq!(payload["input"], json!({"Volume": "vol-1"}));
    assert_eq!(payload["script"], json!("Import-Module Helpers"));
    let archive = std::path::absolute(dir.join("modules.zip")).expect("an absolute path");
    assert_eq!(payload["module_archive"], json!(archive.to_str().expect("utf-8")));
    // The stand-in reports version 7.2: the mismatch ends the step's standard error.
    assert!(
        ps.stderr.starts_with(
            "warning: step `ps` asks for PowerShell 7.4; it runs with PowerShell 7.2.19"
        ),
        "{}",
        ps.stderr
    );
}

#[test]
fn a_powershell_step_without_script_is_refused() {
    let yaml = format!(
        "{HEAD}files:\n  modules.zip: {{}}\nmainSteps:\n- name: ps\n  action: aws:executeScript\n  inputs: {{Runtime: PowerShell 7.4, Attachment: modules.zip}}\n"
    );
    let dir = scratch("powershell_no_script");
    bundle_zip(&dir, "modules.zip");
    let execution = case(&yaml).at(dir.join("runbook.yaml")).run();
    assert_eq!(
        failure(&execution, "ps"),
        "a PowerShell step needs `Script`: its attachment can only bring modules the script uses"
    );
}

#[test]
fn running_scripts_does_not_move_virtual_time() {
    let yaml = format!(
        "{HEAD}mainSteps:\n- name: nap\n  action: aws:executeScript\n  inputs:\n    Runtime: RUNTIME\n    Handler: h\n    Script: |-\n      import time\n\n      def h(events, context):\n          time.sleep(0.3)\n          return 1\n"
    );
    let execution = case(&yaml).run();
    let nap = step(&execution, "nap");
    assert_eq!(nap.step_status, Status::Success);
    assert_eq!(nap.execution_start_time, nap.execution_end_time);
    assert_eq!(execution.execution_end_time, Some(execution.execution_start_time));
}

/// A backend that reaches AWS itself, as the live client does: it answers no call, and gives a
/// script at a location the credentials of the role assumed there, or fails to assume it.
struct Assuming {
    refuse: bool,
}

impl AwsBackend for Assuming {
    fn call(&self, request: ApiRequest) -> BoxFuture<'_, Result<Value, ApiError>> {
        Box::pin(async move { Err(ApiError::new("Unexpected", request.to_string())) })
    }

    fn credentials_at(
        &self,
        location: &Location,
    ) -> BoxFuture<'_, Result<Option<RoleCredentials>, ApiError>> {
        let answer = if self.refuse {
            Err(ApiError::new(
                "AccessDenied",
                format!("cannot assume the role {}", location.role_arn()),
            ))
        } else {
            Ok(Some(RoleCredentials {
                access_key_id: format!("ASIA{}", location.account),
                secret_access_key: "role-secret".into(),
                session_token: Some("role-token".into()),
            }))
        };
        Box::pin(async move { answer })
    }
}

/// Runs a script that reports its AWS identity variables, in a child at account
/// 111111111111 in eu-west-1 of a run whose own credentials and profile are the caller's.
fn run_located(backend: Assuming) -> Execution {
    let yaml = format!(
        r#"{HEAD}mainSteps:
- name: identity
  action: aws:executeScript
  inputs:
    Runtime: {runtime}
    Handler: h
    Script: |-
      import os

      def h(events, context):
          names = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION"]
          return {{name: os.environ.get(name) for name in names}}
"#,
        runtime = runtime()
    );
    let document = Document::parse("located.yaml", yaml, Format::Yaml).expect("the runbook loads");
    let location = Location {
        account: "111111111111".into(),
        region: "eu-west-1".into(),
        role_name: "Exec".into(),
    };
    let context = RunContext {
        account_id: location.account.clone(),
        region: location.region.clone(),
        script_environment: [
            ("AWS_ACCESS_KEY_ID", "AKIACALLER"),
            ("AWS_SECRET_ACCESS_KEY", "caller-secret"),
            ("AWS_SESSION_TOKEN", "caller-token"),
            ("AWS_PROFILE", "caller-profile"),
        ]
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .into(),
        location: Some(location),
        ..RunContext::default()
    };
    let runtime = virtual_runtime().expect("a runtime");
    runtime.block_on(async move {
        let clock = Arc::new(VirtualClock::new("2026-01-01T00:00:00Z".parse().unwrap()));
        let host = Host::new(Arc::new(backend), clock)
            .with_scripts(Arc::new(LocalScriptRunner::default()))
            .with_context(context);
        Executor::new(Arc::new(runbook_actions::standard()), host)
            .run(Arc::new(Plan::new(Arc::new(document))), RunOptions::default())
            .await
            .expect("the run starts")
    })
}

#[test]
fn a_script_at_a_location_runs_as_the_role_assumed_there() {
    let execution = run_located(Assuming { refuse: false });
    assert_eq!(execution.automation_execution_status, Status::Success, "{execution:#?}");
    assert_eq!(
        step(&execution, "identity").outputs["Payload"],
        json!({
            "AWS_ACCESS_KEY_ID": "ASIA111111111111",
            "AWS_SECRET_ACCESS_KEY": "role-secret",
            "AWS_SESSION_TOKEN": "role-token",
            "AWS_PROFILE": null,
            "AWS_REGION": "eu-west-1",
        })
    );
}

#[test]
fn a_script_at_a_location_whose_role_cannot_be_assumed_fails_its_step() {
    let execution = run_located(Assuming { refuse: true });
    assert_eq!(execution.automation_execution_status, Status::Failed);
    assert_eq!(
        failure(&execution, "identity"),
        "sts.AssumeRole failed: AccessDenied: cannot assume the role \
         arn:aws:iam::111111111111:role/Exec"
    );
    assert_eq!(step(&execution, "identity").outputs.get("Payload"), None);
}
