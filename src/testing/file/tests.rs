use super::read::{
    CALL_KEYS, CANCEL_KEYS, CASE_KEYS, CHILD_KEYS, CONTEXT_KEYS, EXPECT_KEYS, FAILURE_STAGES,
    FLEET_KEYS, STEP_KEYS, WARNING_KEYS,
};
use super::*;

#[test]
fn target_locations_and_located_calls_are_read_in_the_service_s_shape() {
    let file = TestFile::parse(
            Path::new("x.test.yaml"),
            "runbook: r.yaml\ncases:\n  - name: there\n    targetLocations:\n      - {Accounts: [111111111111, ou-ab-cd], Regions: [eu-west-1], TargetLocationMaxConcurrency: 2}\n    expect:\n      calls: [{service: ec2, api: DescribeVpcs, account: 111111111111, region: eu-west-1}]\n",
        )
        .unwrap();
    let case = &file.cases[0];
    let location = &case.target_locations.as_ref().unwrap().value[0];
    assert_eq!(location.accounts, ["111111111111", "ou-ab-cd"]);
    assert_eq!(location.target_location_max_concurrency.as_deref(), Some("2"));
    let call = &case.expect.calls[0].value;
    assert_eq!(call.account.as_deref(), Some("111111111111"));
    assert_eq!(call.region.as_deref(), Some("eu-west-1"));
}

#[test]
fn the_schema_s_target_location_has_the_service_s_keys() {
    let full = TargetLocation {
        accounts: vec!["1".into()],
        regions: vec!["r".into()],
        target_location_max_concurrency: Some("1".into()),
        target_location_max_errors: Some("1".into()),
        execution_role_name: Some("R".into()),
        include_child_organization_units: true,
        exclude_accounts: vec!["2".into()],
        targets: vec![runbook_engine::execute::Target::new("ParameterValues", ["a"])],
        targets_max_concurrency: Some("1".into()),
        targets_max_errors: Some("1".into()),
        target_location_alarm_configuration: Some(serde_json::json!({})),
    };
    let value = serde_json::to_value(full).unwrap();
    let mut expected: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(keys(&schema()["$defs"]["targetLocation"]), expected);
}

fn schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/runbook-test.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> =
        value["properties"].as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

fn sorted(list: &[&'static str]) -> Vec<&'static str> {
    let mut list = list.to_vec();
    list.sort_unstable();
    list
}

#[test]
fn the_schema_names_exactly_the_keys_the_parser_reads() {
    let schema = schema();
    assert_eq!(keys(&schema), sorted(FILE_KEYS));
    assert_eq!(keys(&schema["$defs"]["case"]), sorted(CASE_KEYS));
    assert_eq!(keys(&schema["$defs"]["case"]["properties"]["context"]), sorted(CONTEXT_KEYS));
    assert_eq!(keys(&schema["$defs"]["expect"]), sorted(EXPECT_KEYS));
    assert_eq!(keys(&schema["$defs"]["childExpect"]), sorted(CHILD_KEYS));
    assert_eq!(keys(&schema["$defs"]["case"]["properties"]["cancel"]), sorted(CANCEL_KEYS));
    assert_eq!(keys(&schema["$defs"]["expect"]["properties"]["calls"]["items"]), sorted(CALL_KEYS));
    assert_eq!(keys(&schema["$defs"]["step"]), sorted(STEP_KEYS));
    assert_eq!(keys(&schema["$defs"]["case"]["properties"]["fleet"]), sorted(FLEET_KEYS));
    assert_eq!(
        keys(&schema["$defs"]["expect"]["properties"]["warnings"]["items"]),
        sorted(WARNING_KEYS)
    );
    let stages: Vec<&str> = schema["$defs"]["step"]["properties"]["failureStage"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(stages, FAILURE_STAGES);
}

#[test]
fn steps_as_maps_counts_warnings_and_the_runs_values_are_read() {
    let file = TestFile::parse(
            Path::new("x.test.yaml"),
            "runbook: r.yaml\ncases:\n  - name: one\n    maxStepExecutions: 50\n    expect:\n      steps:\n        a: Success\n        b:\n          status: Failed\n          attempts: 0\n          failureMessage: boom\n          failureStage: InputValidation\n          inputs: {Duration: PT1S}\n          outputs: {X: [1]}\n          duration: PT2M\n          endTime: '2026-01-01T00:02:00Z'\n        c: {attempts: 3}\n      parameters: {Count: 7}\n      variables: {seen: x}\n      warnings: [{step: b, reference: '{{ a.X }}', message: m}, {step: c}]\n      callCount: 0\n      stepExecutions: 3\n      children:\n        b: {callCount: 1, warnings: []}\n",
        )
        .unwrap();
    let case = &file.cases[0];
    assert_eq!(case.max_step_executions.as_ref().unwrap().value, 50);
    let expect = &case.expect;
    let statuses: Vec<(&str, Status)> =
        expect.steps.iter().map(|(name, status)| (name.as_str(), status.value)).collect();
    assert_eq!(statuses, [("a", Status::Success), ("b", Status::Failed)]);
    let names: Vec<&str> = expect.step_details.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["b", "c"]);
    let b = &expect.step_details[0].1;
    assert_eq!(b.attempts.as_ref().unwrap().value, 0);
    assert_eq!(b.failure_message.as_ref().unwrap().value, "boom");
    assert_eq!(b.failure_stage.as_ref().unwrap().value, "InputValidation");
    assert_eq!(b.inputs[0].0, "Duration");
    assert_eq!(b.outputs.as_ref().unwrap().value, serde_json::json!({"X": [1]}));
    assert_eq!(b.duration.as_ref().unwrap().value.1, Duration::from_secs(120));
    assert_eq!(b.end_time.as_ref().unwrap().value.to_string(), "2026-01-01T00:02:00Z");
    assert_eq!(b.end_time.as_ref().unwrap().span.start.line, 16);
    assert_eq!(expect.parameters[0].1.value, serde_json::json!(7));
    assert_eq!(expect.variables[0].0, "seen");
    let warnings = &expect.warnings.as_ref().unwrap().value;
    assert_eq!(warnings[0].value.reference.as_deref(), Some("{{ a.X }}"));
    assert_eq!(warnings[1].value.message, None);
    assert_eq!(expect.call_count.as_ref().unwrap().value, 0);
    assert_eq!(expect.step_executions.as_ref().unwrap().value, 3);
    let child = &expect.children[0].1.value;
    assert_eq!(child.call_count.as_ref().unwrap().value, 1);
    assert!(child.warnings.as_ref().unwrap().value.is_empty());
}

#[test]
fn a_case_runs_over_targets_as_start_automation_execution_takes_them() {
    let file = TestFile::parse(
            Path::new("x.test.yaml"),
            "runbook: r.yaml\ncases:\n  - name: values\n    fleet: {TargetParameterName: Id, Targets: [{Key: ParameterValues, Values: [a, b]}], MaxConcurrency: 50%, MaxErrors: 1}\n    expect:\n      steps: {a: {startTime: '2026-01-01T00:00:10Z'}}\n  - name: maps\n    fleet: {TargetMaps: [{Id: a}, {Id: [b], Wait: PT1S}]}\n",
        )
        .unwrap();
    let fleet = &file.cases[0].fleet.as_ref().unwrap().value;
    assert_eq!(
        *fleet,
        Fleet::new("Id", runbook_engine::execute::Target::new("ParameterValues", ["a", "b"]))
            .with_max_concurrency("50%")
            .with_max_errors("1")
    );
    let start = file.cases[0].expect.step_details[0].1.start_time.as_ref().unwrap();
    assert_eq!(start.value.to_string(), "2026-01-01T00:00:10Z");
    let maps = &file.cases[1].fleet.as_ref().unwrap().value.target_maps;
    assert_eq!(maps.len(), 2);
    assert_eq!(maps[1]["Wait"], serde_json::json!("PT1S"));
    assert!(file.cases.iter().all(|case| case.expect.refused.is_none()));
}

#[test]
fn the_new_expectations_name_their_errors() {
    let case = |body: &str| error(&format!("runbook: a.yaml\ncases:\n  - name: x\n{body}"));
    assert_eq!(
        case("    maxStepExecutions: 0\n"),
        "x.test.yaml:4:24: `cases[0].maxStepExecutions` must be more than zero"
    );
    assert_eq!(
        case("    maxStepExecutions: many\n"),
        "x.test.yaml:4:24: `cases[0].maxStepExecutions` must be a whole number, found `many`"
    );
    assert_eq!(
        case("    expect: {steps: {a: {atempts: 1}}}\n"),
        "x.test.yaml:4:26: `cases[0].expect.steps.a.atempts` is not a test file key; did you mean `attempts`?"
    );
    assert_eq!(
        case("    expect: {steps: {a: {attempts: -1}}}\n"),
        "x.test.yaml:4:36: `cases[0].expect.steps.a.attempts` must be a whole number, found `-1`"
    );
    assert_eq!(
        case("    expect: {steps: {a: {failureStage: Running}}}\n"),
        "x.test.yaml:4:40: `cases[0].expect.steps.a.failureStage`: `Running` is not a failure stage (InputValidation, PreVerification, Invocation, PostVerification)"
    );
    assert_eq!(
        case("    expect: {steps: {a: {duration: 2m}}}\n"),
        "x.test.yaml:4:36: `cases[0].expect.steps.a.duration`: `2m` is not an ISO 8601 duration such as PT10M or P1DT2H"
    );
    assert!(
        case("    expect: {steps: {a: {endTime: soon}}}\n")
            .starts_with("x.test.yaml:4:35: `cases[0].expect.steps.a.endTime`: "),
    );
    assert_eq!(
        case("    expect: {steps: {a: {status: Done}}}\n"),
        "x.test.yaml:4:34: `cases[0].expect.steps.a.status`: `Done` is not a status (Success, Failed, TimedOut, Cancelled, Pending, Exited, ...)"
    );
    assert_eq!(
        case("    expect: {steps: {a: {outputs: [1]}}}\n"),
        "x.test.yaml:4:35: `cases[0].expect.steps.a.outputs` must be a map, found a list"
    );
    assert_eq!(
        case("    expect: {warnings: {step: a}}\n"),
        "x.test.yaml:4:24: `cases[0].expect.warnings` must be a list, found a map"
    );
    assert_eq!(
        case("    expect: {warnings: [{stp: a}]}\n"),
        "x.test.yaml:4:26: `cases[0].expect.warnings[0].stp` is not a test file key; did you mean `step`?"
    );
    assert_eq!(
        case("    expect: {callCount: two}\n"),
        "x.test.yaml:4:25: `cases[0].expect.callCount` must be a whole number, found `two`"
    );
    assert_eq!(
        case("    fleet: {Targets: [{Key: ParameterValues, Values: [a]}], TargetParameter: Id}\n"),
        "x.test.yaml:4:61: `cases[0].fleet.TargetParameter` is not a test file key; did you mean `TargetParameterName`?"
    );
    assert_eq!(
        case("    targetLocations: [{Acounts: [a]}]\n"),
        "x.test.yaml:4:22: `cases[0].targetLocations`: `TargetLocations` item 1: unknown field `Acounts`, expected one of `Accounts`, `Regions`, `TargetLocationMaxConcurrency`, `TargetLocationMaxErrors`, `ExecutionRoleName`, `IncludeChildOrganizationUnits`, `ExcludeAccounts`, `Targets`, `TargetsMaxConcurrency`, `TargetsMaxErrors`, `TargetLocationAlarmConfiguration`"
    );
    assert_eq!(
        case("    fleet: {MaxConcurrency: '2'}\n"),
        "x.test.yaml:4:12: `cases[0].fleet` needs `Targets` (with `TargetParameterName`) or `TargetMaps`"
    );
    assert_eq!(
        case("    fleet: {TargetParameterName: Id, Targets: [{Values: [a]}]}\n"),
        "x.test.yaml:4:12: `cases[0].fleet`: each of `Targets` needs a `Key` (and `Values`)"
    );
    assert_eq!(
        case("    fleet: [a]\n"),
        "x.test.yaml:4:12: `cases[0].fleet` must be a map, found a list"
    );
    assert!(
        case("    expect: {steps: {a: {startTime: noon}}}\n")
            .starts_with("x.test.yaml:4:37: `cases[0].expect.steps.a.startTime`: "),
    );
    assert_eq!(
        case("    expect: {parameters: [a]}\n"),
        "x.test.yaml:4:26: `cases[0].expect.parameters` must be a map, found a list"
    );
}

#[test]
fn time_limits_are_seconds_or_durations_for_the_file_and_each_case() {
    let file = TestFile::parse(
        Path::new("x.test.yaml"),
        "runbook: a.yaml\ntimeLimit: PT2M\ncases:\n  - {name: a, timeLimit: 5}\n  - {name: b}\n",
    )
    .unwrap();
    assert_eq!(file.time_limit.as_ref().unwrap().value, Duration::from_secs(120));
    assert_eq!(file.cases[0].time_limit.as_ref().unwrap().value, Duration::from_secs(5));
    assert!(file.cases[1].time_limit.is_none());
}

fn error(text: &str) -> String {
    TestFile::parse(Path::new("x.test.yaml"), text).unwrap_err().to_string()
}

#[test]
fn test_file_errors_name_their_line() {
    assert_eq!(
        error("runbook: a.yaml\ncase: []\n"),
        "x.test.yaml:2:1: `case` is not a test file key; did you mean `cases`?"
    );
    assert_eq!(
        error("runbook: a.yaml\ncases:\n  - parameters: {}\n"),
        "x.test.yaml:3:5: `cases[0]` has no `name`"
    );
    assert_eq!(
        error("runbook: a.yaml\ncases:\n  - name: x\n    expect: {status: Done}\n"),
        "x.test.yaml:4:22: `cases[0].expect.status`: `Done` is not a status (Success, Failed, TimedOut, Cancelled, Pending, Exited, ...)"
    );
    assert_eq!(
        error("runbook: a.yaml\ncases:\n  - name: x\n    expect: {calls: [{service: ec2}]}\n"),
        "x.test.yaml:4:22: `cases[0].expect.calls[0]` has no `api`"
    );
    assert!(
        error("runbook: a.yaml\ncases:\n  - name: x\n    mocks: {aws: [{service: ec2}]}\n")
            .starts_with("x.test.yaml:4:")
    );
    assert_eq!(error("cases: []\n"), "x.test.yaml:1:1: the test file has no `runbook`");
    assert_eq!(
        error("runbook: a.yaml\ncases:\n  - name: x\n    expect: {refused: bad, status: Failed}\n"),
        "x.test.yaml:4:28: `cases[0].expect.refused` goes alone: a refused run has no `status` to check"
    );
    assert_eq!(
        error(
            "runbook: a.yaml\ncases:\n  - name: x\n    cancel: {atStep: a}\n    expect: {refused: bad}\n"
        ),
        "x.test.yaml:5:23: `cases[0]` expects a refused run, which has nothing to cancel; remove `cancel` or `refused`"
    );
    assert_eq!(
        error("runbook: a.yaml\ncases:\n  - name: x\n    cancel: {atStep: a, after: PT1M}\n"),
        "x.test.yaml:4:13: `cases[0].cancel` takes one of `atStep: STEP` or `after: DURATION`"
    );
    assert_eq!(
        error("runbook: a.yaml\ncases:\n  - name: x\n    cancel: {after: 10m}\n"),
        "x.test.yaml:4:21: `cases[0].cancel.after`: `10m` is not an ISO 8601 duration such as PT10M or P1DT2H"
    );
    assert_eq!(
        error("runbook: a.yaml\ncases:\n  - name: x\n    cancel: {at: a}\n"),
        "x.test.yaml:4:14: `cases[0].cancel.at` is not a test file key; did you mean `atStep`?"
    );
    assert_eq!(
        error(
            "runbook: a.yaml\ncases:\n  - name: x\n    expect: {children: {run: {refused: x}}}\n"
        ),
        "x.test.yaml:4:31: `cases[0].expect.children.run.refused` is not a test file key; the keys here are status, path, steps, outputs, failureMessage, calls, children, parameters, variables, warnings, callCount, stepExecutions"
    );
    assert_eq!(
        error("runbook: a.yaml\ndocuments: [a]\ncases: []\n"),
        "x.test.yaml:2:12: `documents` must be a folder or a map of document names to runbook files, found a list"
    );
    assert_eq!(
        error("runbook: a.yaml\ntimeLimit: 0\ncases: []\n"),
        "x.test.yaml:2:12: `timeLimit`: a time limit must be more than zero"
    );
    assert_eq!(
        error("runbook: a.yaml\ncases:\n  - name: x\n    timeLimit: soon\n"),
        "x.test.yaml:4:16: `cases[0].timeLimit`: a time limit is whole seconds or an ISO 8601 duration: `soon` is not an ISO 8601 duration such as PT10M or P1DT2H"
    );
    assert_eq!(
        error("runbook: a.yaml\ndocuments: {Child: [a]}\ncases: []\n"),
        "x.test.yaml:2:20: `documents.Child` must be text, found a list"
    );
}

#[test]
fn documents_map_names_to_files_and_cases_read_cancel_refused_and_children() {
    let file = TestFile::parse(
            Path::new("dir/x.test.yaml"),
            "runbook: r.yaml\ndocuments:\n  Child: c.yaml\n  'Child:3': c3.yaml\n  '${ChildDoc}': t.yaml\ncases:\n  - name: refused\n    expect: {refused: AutomationAssumeRole}\n  - name: cancelled\n    cancel: {after: PT5M}\n    expect:\n      status: Cancelled\n      children:\n        run: {status: Success, path: [a], children: {deeper: {steps: {b: Failed}}}}\n  - name: at a step\n    cancel: {atStep: wait}\n",
        )
        .unwrap();
    assert!(file.documents.is_empty());
    let names: Vec<(&str, &Path)> =
        file.document_files.iter().map(|(n, p)| (n.as_str(), p.as_path())).collect();
    assert_eq!(
        names,
        [
            ("Child", Path::new("dir/c.yaml")),
            ("Child:3", Path::new("dir/c3.yaml")),
            ("${ChildDoc}", Path::new("dir/t.yaml"))
        ]
    );
    assert_eq!(file.cases[0].expect.refused.as_ref().unwrap().value, "AutomationAssumeRole");
    let cancel = file.cases[1].cancel.as_ref().unwrap();
    assert_eq!(
        cancel.value,
        Cancel::After { text: "PT5M".into(), duration: std::time::Duration::from_secs(300) }
    );
    assert_eq!(cancel.span.start.line, 10);
    let (step, child) = &file.cases[1].expect.children[0];
    assert_eq!(step, "run");
    assert_eq!(child.value.status.as_ref().unwrap().value, Status::Success);
    assert_eq!(child.value.children[0].1.value.steps[0].0, "b");
    assert_eq!(file.cases[2].cancel.as_ref().unwrap().value, Cancel::AtStep("wait".into()));
}

#[test]
fn a_case_reads_every_key() {
    let file = TestFile::parse(
            Path::new("dir/x.test.yaml"),
            "runbook: r.yaml\ndocuments: docs\ncases:\n  - name: one\n    parameters: {A: 1}\n    context: {accountId: '111', region: eu-west-1, startTime: '2026-02-01T00:00:00Z'}\n    mocks: {approvals: {a: Approve}}\n    expect:\n      status: Failed\n      path: [a, b]\n      steps: {b: Pending}\n      outputs: {a.X: [1]}\n      failureMessage: boom\n      calls: [{service: ec2, api: X, params: {A: 1}, step: b}]\n",
        )
        .unwrap();
    assert_eq!(file.runbook, Path::new("dir/r.yaml"));
    assert_eq!(file.documents, [PathBuf::from("dir/docs")]);
    let case = &file.cases[0];
    assert_eq!(case.context.region, "eu-west-1");
    assert_eq!(case.context.start_time.to_string(), "2026-02-01T00:00:00Z");
    assert_eq!(case.expect.status.as_ref().unwrap().value, Status::Failed);
    assert_eq!(case.expect.path.as_ref().unwrap().value, ["a", "b"]);
    assert_eq!(case.expect.calls[0].value.api, "X");
    assert_eq!(case.expect.calls[0].value.step.as_deref(), Some("b"));
    assert_eq!(case.expect.calls[0].span.start.line, 14);
    assert!(case.mocks.as_ref().unwrap().approval("a").is_some());
}
