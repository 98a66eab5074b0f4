//! Scripted mock answers in rhai: what scripts see, what they can answer, and how the sandbox
//! stops the ones that misbehave.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use runbook_aws::mock::{MOCK_SCRIPT_ERROR, MockAws, MockFile, PrintedLine};
use runbook_aws::sandbox::{Sandbox, SandboxLimits};
use runbook_engine::host::{ApiError, ApiRequest};
use serde_json::{Value, json};

fn mock(text: &str) -> MockAws {
    mock_in(text, &Sandbox::shared())
}

fn mock_in(text: &str, sandbox: &Sandbox) -> MockAws {
    let file =
        MockFile::parse_with(Path::new("mocks.yaml"), text, sandbox).expect("valid mock file");
    MockAws::new(Arc::new(file))
}

fn call(aws: &MockAws, api: &str, params: Value) -> Result<Value, ApiError> {
    aws.answer(&ApiRequest::new("ec2", api, params))
}

#[test]
fn a_waiter_sees_running_on_the_third_poll() {
    let aws = mock(
        r#"
aws:
  - service: ec2
    api: DescribeInstanceStatus
    script: |
      let state = if calls < 2 { "pending" } else { "running" };
      #{InstanceStatuses: [#{InstanceId: params.InstanceIds[0], InstanceState: #{Name: state}}]}
"#,
    );
    let poll = || {
        let answer = call(&aws, "DescribeInstanceStatus", json!({"InstanceIds": ["i-0abc"]}))
            .expect("answered");
        let status = &answer["InstanceStatuses"][0];
        assert_eq!(status["InstanceId"], "i-0abc");
        status["InstanceState"]["Name"].as_str().map(str::to_string)
    };
    let states: Vec<_> = (0..4).map(|_| poll()).collect();
    assert_eq!(
        states,
        [
            Some("pending".into()),
            Some("pending".into()),
            Some("running".into()),
            Some("running".into())
        ]
    );
}

#[test]
fn a_script_answers_an_api_error_on_the_first_call_only() {
    let aws = mock(
        r#"
aws:
  - service: ec2
    api: StopInstances
    script: |
      if calls == 0 {
        error("RequestLimitExceeded", "request limit exceeded")
      }
      #{StoppingInstances: [#{InstanceId: params.InstanceIds[0], CurrentState: #{Name: "stopping"}}]}
  - service: ec2
    api: StartInstances
    script: 'error("UnauthorizedOperation", "not allowed", 403)'
"#,
    );
    let first = call(&aws, "StopInstances", json!({"InstanceIds": ["i-1"]}));
    assert_eq!(first, Err(ApiError::new("RequestLimitExceeded", "request limit exceeded")));
    let second = call(&aws, "StopInstances", json!({"InstanceIds": ["i-1"]})).expect("answered");
    assert_eq!(second["StoppingInstances"][0]["CurrentState"]["Name"], "stopping");
    let forbidden = call(&aws, "StartInstances", json!({}));
    assert_eq!(
        forbidden,
        Err(ApiError::new("UnauthorizedOperation", "not allowed").with_status(403))
    );
}

#[test]
fn a_runaway_script_is_stopped_by_the_operation_limit() {
    // The default operation limit, with a deadline no machine reaches first however loaded: with
    // the default second, a slow build could hit the deadline before the millionth operation.
    let limits =
        SandboxLimits { time_limit: Duration::from_secs(3600), ..SandboxLimits::default() };
    assert_eq!(limits.max_operations, 1_000_000);
    let aws = mock_in(
        "aws:\n  - service: ec2\n    api: DescribeImages\n    script: |\n      loop { }\n",
        &Sandbox::new(limits),
    );
    let error = call(&aws, "DescribeImages", json!({})).expect_err("stopped");
    assert_eq!(error.code, MOCK_SCRIPT_ERROR);
    assert_eq!(
        error.message,
        "the mock script aws[0].script for ec2.DescribeImages (mocks.yaml:5:7): the script was \
         stopped after 1000000 operations, the sandbox's limit (an endless loop?)"
    );
    // The rule still counts the call, and the next call is stopped the same way.
    assert_eq!(
        call(&aws, "DescribeImages", json!({})).expect_err("stopped again").code,
        MOCK_SCRIPT_ERROR
    );
    assert_eq!(aws.call_counts(), [2]);
}

#[test]
fn a_runaway_script_is_stopped_by_the_deadline() {
    // With no operation limit, only the real-time deadline is left to stop the loop.
    let limits = SandboxLimits {
        max_operations: 0,
        time_limit: Duration::from_millis(100),
        ..SandboxLimits::default()
    };
    let aws = mock_in(
        "aws:\n  - {service: ec2, api: DescribeImages, script: 'let n = 0; loop { n += 1 }'}\n",
        &Sandbox::new(limits),
    );
    let error = call(&aws, "DescribeImages", json!({})).expect_err("stopped");
    assert_eq!(error.code, MOCK_SCRIPT_ERROR);
    assert_eq!(
        error.message,
        "the mock script aws[0].script for ec2.DescribeImages (mocks.yaml:2:49): the script was \
         stopped after running 100ms, the sandbox's time limit"
    );
}

#[test]
fn script_failures_point_at_the_failing_line() {
    let aws = mock(
        r#"
aws:
  - service: ec2
    api: DescribeImages
    script: |
      let images = params.ImageIds;
      if images.len() > 1 { throw "only one image, please" }
      #{Images: [#{ImageId: images[0], Size: images[0].size}]}
"#,
    );
    let error = call(&aws, "DescribeImages", json!({"ImageIds": ["a", "b"]})).expect_err("thrown");
    assert_eq!(
        error.message,
        r#"the mock script aws[0].script for ec2.DescribeImages (mocks.yaml:7:29): the script threw "only one image, please" (script line 2, column 23)"#
    );
    let error = call(&aws, "DescribeImages", json!({"ImageIds": ["a"]})).expect_err("no property");
    assert!(
        error
            .message
            .starts_with("the mock script aws[0].script for ec2.DescribeImages (mocks.yaml:8:"),
        "{}",
        error.message
    );
    assert!(error.message.contains("(script line 3, column "), "{}", error.message);
}

#[test]
fn a_script_must_answer_a_map() {
    let aws = mock("aws:\n  - {service: ec2, api: A, script: '\"running\"'}\n");
    let error = call(&aws, "A", json!({})).expect_err("not a map");
    assert_eq!(error.code, MOCK_SCRIPT_ERROR);
    assert!(
        error.message.ends_with(
            "the script returned a string; return a map (the API's response) or call error(code, message)"
        ),
        "{}",
        error.message
    );
}

#[test]
fn values_round_trip_through_a_script() {
    let aws = mock(
        r#"
aws:
  - service: ec2
    api: Echo
    script: 'params'
  - service: ec2
    api: Compute
    script: |
      #{
        count: params.Ids.len(),
        doubled: params.Limit * 2,
        half: params.Ratio / 2.0,
        flag: !params.DryRun,
        joined: params.Ids[0] + "/" + params.Ids[1],
        nested: #{list: [1, "two", true, ()], empty: #{}},
        missing: params.Missing,
      }
"#,
    );
    let params = json!({
        "Ids": ["i-1", "i-2"],
        "Limit": 21,
        "Ratio": 0.5,
        "DryRun": false,
        "Big": 9_007_199_254_740_993_i64,
        "Negative": -3,
        "Text": "émoji 🚀 and \"quotes\"",
        "Null": null,
        "Nested": {"A": [{"B": {"C": [1.25, true, "x"]}}], "Empty": [], "EmptyMap": {}}
    });
    assert_eq!(call(&aws, "Echo", params.clone()), Ok(params.clone()));
    assert_eq!(
        call(&aws, "Compute", params),
        Ok(json!({
            "count": 2,
            "doubled": 42,
            "half": 0.25,
            "flag": true,
            "joined": "i-1/i-2",
            "nested": {"list": [1, "two", true, null], "empty": {}},
            "missing": null
        }))
    );
}

#[test]
fn scripts_see_an_empty_map_when_the_call_has_no_params() {
    let aws = mock("aws:\n  - {service: ec2, api: A, script: '#{n: params.len()}'}\n");
    assert_eq!(call(&aws, "A", Value::Null), Ok(json!({"n": 0})));
}

#[test]
fn printed_lines_are_kept_not_written() {
    let aws = mock(
        "aws:\n  - {service: ec2, api: A, script: 'print(`call ${calls}`); debug(params); #{}'}\n",
    );
    call(&aws, "A", json!({"X": 1})).expect("answered");
    call(&aws, "A", json!({})).expect("answered");
    let line = |text: &str| PrintedLine { script: "aws[0].script".into(), text: text.into() };
    assert_eq!(aws.printed(), [line("call 0"), line("#{\"X\": 1}"), line("call 1"), line("#{}")]);
}

#[test]
fn script_stand_ins_compute_from_events() {
    let file = MockFile::parse(
        Path::new("mocks.yaml"),
        r#"
scripts:
  computeTags:
    rhai: |
      let tags = [];
      for id in events.InstanceIds { tags.push(#{Key: "owner", Value: id}) }
      #{Tags: tags}
  validate:
    rhai: 'if events.Count > 3 { throw "too many" } else { events.Count }'
  deny:
    rhai: 'error("AccessDenied", "no")'
"#,
    )
    .expect("valid");
    assert_eq!(
        file.stand_in_result("computeTags", &json!({"InstanceIds": ["i-1", "i-2"]})),
        Some(Ok(
            json!({"Tags": [{"Key": "owner", "Value": "i-1"}, {"Key": "owner", "Value": "i-2"}]})
        ))
    );
    assert_eq!(file.stand_in_result("validate", &json!({"Count": 2})), Some(Ok(json!(2))));
    assert_eq!(
        file.stand_in_result("validate", &json!({"Count": 5})),
        Some(Err(r#"the stand-in script for step `validate` (mocks.yaml:9:34): the script threw "too many" (script line 1, column 23)"#.to_string()))
    );
    assert_eq!(file.stand_in_result("deny", &json!({})), Some(Err("AccessDenied: no".to_string())));
}

#[test]
fn import_cannot_reach_the_file_system() {
    // `import` is compiled out of the sandbox: the file is refused before any script runs.
    let secret = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mock_rhai_secret.rhai");
    std::fs::write(&secret, "export const value = 42;").expect("write");
    let text = format!(
        "aws:\n  - service: ec2\n    api: A\n    script: |\n      import \"{}\" as s;\n      #{{v: s::value}}\n",
        secret.with_extension("").display()
    );
    let error = MockFile::parse(Path::new("mocks.yaml"), &text).expect_err("import refused");
    assert!(error.to_string().contains("`import` is not available"), "{error}");
}
