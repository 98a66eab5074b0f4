//! Reading mock files: what is accepted, and every kind of mistake reported with its file
//! position and field path.

use std::path::Path;

use runbook_aws::mock::{
    ApprovalDecision, MockAnswer, MockFile, MockFileError, MockProblemKind, StandInResult,
};
use runbook_engine::host::ApiError;
use runbook_engine::syntax::parse_yaml;
use serde_json::json;

fn parse(text: &str) -> Result<MockFile, MockFileError> {
    MockFile::parse(Path::new("mocks.yaml"), text)
}

fn errors(text: &str) -> String {
    match parse(text) {
        Ok(_) => panic!("the mock file was accepted:\n{text}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn a_complete_file_is_read_into_typed_rules() {
    let file = parse(
        r#"
aws:
  - service: ec2
    api: DescribeInstances
    params: {InstanceIds: [i-0abc]}
    returns: {Reservations: []}
  - service: ec2
    api: StopInstances
    error: {code: IncorrectInstanceState, message: not running, status: 400}
  - service: sns
    api: Publish
    error: "AuthorizationError: not authorized to publish"
  - service: ec2
    api: DescribeInstanceStatus
    sequence:
      - returns: {InstanceStatuses: []}
      - error: ThrottlingException
      - script: '#{InstanceStatuses: []}'
  - service: ec2
    api: RebootInstances
    returns:
approvals:
  approveRestart: Approve
  approveDelete: {decision: Reject, approver: alice, comment: not today}
scripts:
  computeTags: {returns: {Tags: [a]}}
  check: {rhai: 'events.x + 1'}
  broken: {error: "boom"}
"#,
    )
    .expect("valid mock file");

    assert_eq!(file.aws.len(), 5);
    let first = &file.aws[0];
    assert_eq!((first.service.as_str(), first.api.as_str()), ("ec2", "DescribeInstances"));
    assert_eq!(first.params, Some(json!({"InstanceIds": ["i-0abc"]})));
    assert_eq!(first.path, "aws[0]");
    assert_eq!((first.span.start.line, first.span.start.column), (3, 5));
    assert!(
        matches!(&first.answers[..], [MockAnswer::Returns(value)] if **value == json!({"Reservations": []}))
    );

    let MockAnswer::Error(error) = &file.aws[1].answers[0] else { panic!("an error answer") };
    assert_eq!(*error, ApiError::new("IncorrectInstanceState", "not running").with_status(400));
    let MockAnswer::Error(error) = &file.aws[2].answers[0] else { panic!("an error answer") };
    assert_eq!(*error, ApiError::new("AuthorizationError", "not authorized to publish"));

    let sequence = &file.aws[3].answers;
    assert_eq!(sequence.len(), 3);
    assert!(
        matches!(&sequence[1], MockAnswer::Error(error) if error.code == "ThrottlingException")
    );
    assert!(
        matches!(&sequence[2], MockAnswer::Script(script) if script.path == "aws[3].sequence[2].script")
    );
    assert!(
        matches!(&file.aws[4].answers[..], [MockAnswer::Returns(value)] if **value == json!({}))
    );

    assert_eq!(
        file.approval("approveRestart").map(|a| a.decision),
        Some(ApprovalDecision::Approve)
    );
    let reject = file.approval("approveDelete").expect("approveDelete");
    assert_eq!(reject.decision, ApprovalDecision::Reject);
    assert_eq!(reject.approver.as_deref(), Some("alice"));
    assert_eq!(reject.comment.as_deref(), Some("not today"));
    assert!(file.approval("other").is_none());

    assert!(
        matches!(&file.scripts["computeTags"].result, StandInResult::Returns(value) if *value == json!({"Tags": ["a"]}))
    );
    assert_eq!(file.stand_in_result("check", &json!({"x": 41})), Some(Ok(json!(42))));
    assert_eq!(file.stand_in_result("broken", &json!({})), Some(Err("boom".to_string())));
    assert_eq!(file.stand_in_result("missing", &json!({})), None);
}

#[test]
fn an_empty_file_has_no_mocks() {
    let file = parse("# nothing yet\n").expect("empty is fine");
    assert!(file.aws.is_empty() && file.approvals.is_empty() && file.scripts.is_empty());
}

#[test]
fn unknown_keys_are_errors_with_a_hint() {
    let text = "\
aws:
  - service: ec2
    api: DescribeInstances
    retuns: {}
  - service: ec2
    api: StopInstances
    response: {}
aprovals: {}
";
    assert_eq!(
        errors(text),
        "\
mocks.yaml:2:5: aws[0]: give `returns`, `error`, `script` or `sequence`
mocks.yaml:4:5: aws[0]: unknown key `retuns`; did you mean `returns`?
mocks.yaml:5:5: aws[1]: give `returns`, `error`, `script` or `sequence`
mocks.yaml:7:5: aws[1]: unknown key `response`; did you mean `returns`?
mocks.yaml:8:1: unknown key `aprovals`; did you mean `approvals`?"
    );
    assert_eq!(
        errors("aws:\n  - {service: ec2, api: A, returns: {}, zzz: 1}\n"),
        "mocks.yaml:2:41: aws[0]: unknown key `zzz`; expected `service`, `api`, `account`, \
         `region`, `params`, `returns`, `error`, `script`, `sequence` or `optional`"
    );
}

#[test]
fn optional_is_a_flag() {
    let file = parse(
        "aws:\n  - {service: ec2, api: A, returns: {}, optional: true}\n  - {service: ec2, api: B, returns: {}}\n",
    )
    .expect("valid");
    assert!(file.aws[0].optional);
    assert!(!file.aws[1].optional, "rules are required unless they say otherwise");
    assert_eq!(
        errors("aws:\n  - {service: ec2, api: A, returns: {}, optional: yes please}\n"),
        "mocks.yaml:2:51: aws[0].optional: must be true or false, found a string"
    );
}

#[test]
fn a_rule_needs_exactly_one_answer_and_its_names() {
    assert_eq!(
        errors("aws:\n  - api: DescribeInstances\n    returns: {}\n    error: Throttling\n"),
        "\
mocks.yaml:2:5: aws[0]: missing `service`
mocks.yaml:4:5: aws[0]: give only one of `returns`, `error`, `script` or `sequence`, found `returns` and `error`"
    );
    assert_eq!(
        errors("aws:\n  - {service: [ec2], api: '', returns: running}\n"),
        "\
mocks.yaml:2:15: aws[0].service: must be a string, found a list
mocks.yaml:2:27: aws[0].api: must not be empty
mocks.yaml:2:40: aws[0].returns: must be a map (the API's response), found a string"
    );
    assert_eq!(errors("aws: {service: ec2}\n"), "mocks.yaml:1:6: aws: must be a list, found a map");
    assert_eq!(
        errors("- service: ec2\n"),
        "mocks.yaml:1:1: must be a map with `aws`, `approvals` or `scripts`, found a list"
    );
}

#[test]
fn bad_sequence_items_are_reported_each() {
    let text = "\
aws:
  - service: ec2
    api: DescribeInstanceStatus
    sequence:
      - returns: {}
      - {}
      - returns: running
      - just text
  - service: ec2
    api: DescribeImages
    sequence: []
";
    assert_eq!(
        errors(text),
        "\
mocks.yaml:6:9: aws[0].sequence[1]: give `returns`, `error` or `script`
mocks.yaml:7:18: aws[0].sequence[2].returns: must be a map (the API's response), found a string
mocks.yaml:8:9: aws[0].sequence[3]: must be a map with `returns`, `error` or `script`, found a string
mocks.yaml:11:15: aws[1].sequence: must have at least one answer"
    );
    assert_eq!(
        errors("aws:\n  - service: ec2\n    api: A\n    sequence:\n      - sequence: []\n"),
        "\
mocks.yaml:5:9: aws[0].sequence[0]: unknown key `sequence`; expected `returns`, `error` or `script`
mocks.yaml:5:9: aws[0].sequence[0]: give `returns`, `error` or `script`"
    );
}

#[test]
fn bad_errors_are_reported() {
    let text = "\
aws:
  - {service: ec2, api: A, error: {message: no code}}
  - {service: ec2, api: B, error: {code: X, status: 42}}
  - {service: ec2, api: C, error: {code: X, status: '400', message: 5}}
  - {service: ec2, api: D, error: 'not a code: x'}
";
    assert_eq!(
        errors(text),
        "\
mocks.yaml:2:35: aws[0].error: missing `code`
mocks.yaml:3:53: aws[1].error.status: 42 is not an HTTP status (100 to 599)
mocks.yaml:4:53: aws[2].error.status: must be an integer, found a string
mocks.yaml:4:69: aws[2].error.message: must be a string, found an integer
mocks.yaml:5:35: aws[3].error: must start with an error code (`ThrottlingException: slow down`)"
    );
}

#[test]
fn bad_approval_decisions_are_reported() {
    let text = "\
approvals:
  approveRestart: approve
  other: {decision: Maybe, approver: alice}
  third: {approver: bob}
  fourth: [Approve]
";
    assert_eq!(
        errors(text),
        "\
mocks.yaml:2:19: approvals.approveRestart: must be `Approve` or `Reject`, found `approve`; did you mean `Approve`?
mocks.yaml:3:21: approvals.other.decision: must be `Approve` or `Reject`, found `Maybe`
mocks.yaml:4:10: approvals.third: missing `decision` (`Approve` or `Reject`)
mocks.yaml:5:11: approvals.fourth: must be `Approve`, `Reject` or a map with `decision`, found a list"
    );
}

#[test]
fn bad_script_stand_ins_are_reported() {
    let text = "\
scripts:
  a: {}
  b: {returns: 1, error: x}
  c: {error: ''}
  d: ok
";
    assert_eq!(
        errors(text),
        "\
mocks.yaml:2:6: scripts.a: give `returns`, `rhai` or `error`
mocks.yaml:3:19: scripts.b: give only one of `returns`, `rhai` or `error`, found `returns` and `error`
mocks.yaml:4:14: scripts.c.error: must not be empty
mocks.yaml:5:6: scripts.d: must be a map with `returns`, `rhai` or `error`, found a string"
    );
}

#[test]
fn rhai_syntax_errors_point_into_the_script() {
    // In a block scalar: script line 2, column 25 is file line 6, column 31.
    let text = "\
aws:
  - service: ec2
    api: DescribeImages
    script: |
      let x = params.ImageIds;
      let images = x.map(|id| ) ;
      #{Images: images}
";
    let error = parse(text).expect_err("syntax error");
    let problem = error.first().expect("one problem");
    assert!(matches!(problem.kind, MockProblemKind::Script(_)));
    assert_eq!(problem.path, "aws[0].script");
    let message = error.to_string();
    assert_eq!(
        message,
        "mocks.yaml:6:31: aws[0].script: rhai syntax error: unexpected ')' (script line 2, column 25)"
    );

    // Inline and quoted: the column counts from the character after the quote.
    assert_eq!(
        errors("aws:\n  - service: ec2\n    api: A\n    script: \"let = 1\"\n"),
        "mocks.yaml:4:18: aws[0].script: rhai syntax error: expecting name of a variable \
         (script line 1, column 5)"
    );
    // A typo in a variable name is caught when the file is read, not mid-run.
    assert_eq!(
        errors("scripts:\n  s: {rhai: 'event.x'}\n"),
        "mocks.yaml:2:14: scripts.s.rhai: rhai syntax error: undefined variable: event \
         (script line 1, column 1)"
    );
}

#[test]
fn import_is_refused_when_the_file_is_read() {
    assert_eq!(
        errors(
            "aws:\n  - service: ec2\n    api: A\n    script: |\n      import \"/etc/passwd\" as p;\n      #{}\n"
        ),
        "mocks.yaml:5:7: aws[0].script: rhai syntax error: `import` is not available: scripts \
         cannot read files (script line 1, column 1)"
    );
}

#[test]
fn syntax_errors_and_json_files_have_positions_too() {
    assert_eq!(errors("aws: [\n"), errors("aws: [\n"));
    assert!(
        errors("aws: [\n").starts_with("mocks.yaml:1:6: unclosed bracket"),
        "{}",
        errors("aws: [\n")
    );

    let json_error = MockFile::parse(
        Path::new("mocks.json"),
        "{\n  \"aws\": [\n    {\"service\": \"ec2\", \"api\": \"A\", \"retruns\": {}}\n  ]\n}",
    )
    .expect_err("unknown key");
    assert_eq!(
        json_error.to_string(),
        "\
mocks.json:3:5: aws[0]: give `returns`, `error`, `script` or `sequence`
mocks.json:3:36: aws[0]: unknown key `retruns`; did you mean `returns`?"
    );
}

#[test]
fn embedded_mocks_are_read_from_a_parsed_tree_with_a_path_prefix() {
    let text = "\
tests:
  - name: restart
    mocks:
      aws:
        - service: ec2
          api: StartInstances
          retrun: {}
";
    let tree = parse_yaml(text).expect("yaml");
    let mocks =
        tree.get("tests").and_then(|tests| tests.as_seq()).and_then(|tests| tests[0].get("mocks"));
    let error = MockFile::from_node(
        mocks.expect("mocks"),
        Path::new("restart.test.yaml"),
        "tests[0].mocks",
    )
    .expect_err("unknown key");
    assert_eq!(
        error.to_string(),
        "\
restart.test.yaml:5:11: tests[0].mocks.aws[0]: give `returns`, `error`, `script` or `sequence`
restart.test.yaml:7:11: tests[0].mocks.aws[0]: unknown key `retrun`; did you mean `returns`?"
    );

    let good = parse_yaml("aws:\n  - {service: ec2, api: A, returns: {}}\n").expect("yaml");
    let file = MockFile::from_node(&good, Path::new("t.yaml"), "tests[1].mocks").expect("valid");
    assert_eq!(file.aws[0].path, "tests[1].mocks.aws[0]");
    assert_eq!(file.origin, Path::new("t.yaml"));
}

#[test]
fn files_are_loaded_from_disk() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mock_file_tests");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("mocks.json");
    std::fs::write(&path, r#"{"aws": [{"service": "ec2", "api": "A", "returns": {"X": 1}}]}"#)
        .expect("write");
    let file = MockFile::load(&path).expect("loads");
    assert_eq!(file.origin, path);
    assert!(
        matches!(&file.aws[0].answers[0], MockAnswer::Returns(value) if **value == json!({"X": 1}))
    );

    let missing = dir.join("missing.yaml");
    let error = MockFile::load(&missing).expect_err("no such file");
    assert!(matches!(error.first().map(|problem| &problem.kind), Some(MockProblemKind::Io(_))));
    assert!(
        error.to_string().starts_with(&format!("{}: cannot read the file: ", missing.display())),
        "{error}"
    );
}
