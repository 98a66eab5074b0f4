use super::steer::{set_selected, value_that_fails, value_that_holds};
use super::*;
use crate::session::Loader;
use runbook_engine::document::Format;

fn runbook(text: &str) -> Runbook {
    Loader::new()
        .parse("r.yaml", text, Format::Yaml)
        .unwrap()
        .into_runbook()
        .unwrap_or_else(|rejected| panic!("{rejected}"))
}

const FLOW: &str = "\
schemaVersion: '0.3'
parameters:
  Mode: {type: String, allowedValues: [Fast, Slow]}
  Count: {type: Integer}
  Name: {type: String, allowedPattern: '^web-[0-9]+$'}
  Tags: {type: StringList, default: []}
mainSteps:
  - name: choose
    action: aws:branch
    inputs:
      Choices:
        - {NextStep: slow, Variable: '{{ Mode }}', EqualsIgnoreCase: slow}
      Default: fast
  - name: fast
    action: aws:sleep
    isEnd: true
    inputs: {Duration: PT1S}
  - name: slow
    action: aws:sleep
    onCancel: step:cleanup
    isEnd: true
    inputs: {Duration: PT1H}
  - name: cleanup
    action: aws:executeAwsApi
    inputs: {Service: sns, Api: Publish, TopicArn: arn, Message: cancelled}
";

#[test]
fn parameters_are_guessed_from_allowed_values_patterns_and_types() {
    let runbook = runbook(FLOW);
    let (values, guessed) = guess_parameters(runbook.document());
    assert_eq!(json!(values), json!({"Mode": "Fast", "Count": 1, "Name": "web-0"}));
    assert_eq!(
        guessed,
        [
            "Mode (the first of allowedValues)",
            "Count (a placeholder)",
            "Name (matches allowedPattern)"
        ]
    );
}

#[test]
fn goals_are_the_success_path_then_each_jump_in_document_order() {
    let runbook = runbook(FLOW);
    let names: Vec<String> = goals(runbook.document()).iter().map(Goal::name).collect();
    assert_eq!(
        names,
        [
            "the success path",
            "choose takes choice 1 to slow",
            "choose takes its Default to fast",
            "a cancel during slow runs cleanup",
        ]
    );
}

#[test]
fn each_distinct_path_becomes_a_case_made_to_take_it() {
    let scaffold = Scaffold::new(&runbook(FLOW), &Placeholders::unavailable("no models"));
    let cases: Vec<(String, bool, String, Vec<String>)> = scaffold
        .cases
        .iter()
        .map(|case| (case.name.clone(), case.made, case.status.to_string(), case.path.clone()))
        .collect();
    let path = |steps: &[&str]| steps.iter().map(ToString::to_string).collect::<Vec<_>>();
    // The Default's path is the success path's, so it is not written twice.
    assert_eq!(
        cases,
        [
            ("the success path".into(), true, "Success".into(), path(&["choose", "fast"])),
            (
                "choose takes choice 1 to slow".into(),
                true,
                "Success".into(),
                path(&["choose", "slow"])
            ),
            (
                "a cancel during slow runs cleanup".into(),
                true,
                "Cancelled".into(),
                path(&["choose", "slow", "cleanup"])
            ),
        ]
    );
    // The allowed value the condition names, ignoring case.
    assert_eq!(scaffold.cases[1].parameters["Mode"], json!("Slow"));
    assert_eq!(scaffold.cases[2].cancel_at.as_deref(), Some("slow"));
    let text = scaffold.to_yaml(Path::new("r.yaml"));
    let file = crate::testing::TestFile::parse(Path::new("r.test.yaml"), &text)
        .unwrap_or_else(|error| panic!("{error}\n{text}"));
    assert_eq!(file.cases.len(), 3);
    assert!(text.contains("  # parameter Mode is \"Slow\" for the branch\n"), "{text}");
}

#[test]
fn a_case_not_made_expects_its_path_and_says_what_to_fill_in() {
    let text = "\
schemaVersion: '0.3'
mainSteps:
  - name: stop
    action: aws:executeAwsApi
    onFailure: step:report
    inputs: {Service: ec2, Api: StopInstances, InstanceIds: [i-1]}
  - name: done
    action: aws:sleep
    isEnd: true
    inputs: {Duration: PT1S}
  - name: report
    action: aws:sleep
    inputs: {Duration: PT1S}
";
    let scaffold = Scaffold::new(&runbook(text), &Placeholders::unavailable("no models"));
    let success = &scaffold.cases[0];
    assert!(!success.made);
    assert_eq!(success.status, Status::Success);
    assert_eq!(success.path, ["stop", "done"]);
    assert!(
        success.notes.iter().any(|note| note.starts_with("NOT MADE: the run ended Failed")),
        "{:?}",
        success.notes
    );
    // Without models no call is answered: the failure case reaches `report` all the same.
    assert_eq!(scaffold.cases[1].name, "stop fails and goes on at report");
    assert!(scaffold.cases[1].made);
}

#[test]
fn selected_values_are_written_into_answers() {
    let mut answer = json!({"Reservations": [{"Instances": [{"State": {"Name": "pending"}}]}]});
    assert!(set_selected(
        &mut answer,
        "$.Reservations[0].Instances[0].State.Name",
        json!("running")
    ));
    assert_eq!(answer["Reservations"][0]["Instances"][0]["State"]["Name"], "running");
    let mut empty = json!({});
    assert!(set_selected(&mut empty, "$.Table.Status", json!("ACTIVE")));
    assert_eq!(empty, json!({"Table": {"Status": "ACTIVE"}}));
    assert!(!set_selected(&mut empty, "$.Items[*].Id", json!(1)));
    assert!(!set_selected(&mut empty, "Items", json!(1)));
}

#[test]
fn comparisons_are_made_to_hold_or_fail() {
    assert_eq!(value_that_holds(Operator::StringEquals, &json!("on")), Some(json!("on")));
    assert_eq!(value_that_holds(Operator::NumericGreater, &json!(3)), Some(json!(4)));
    assert_eq!(value_that_holds(Operator::NumericLesser, &json!("3")), Some(json!(2)));
    assert_eq!(value_that_holds(Operator::BooleanEquals, &json!("true")), Some(json!(true)));
    assert_eq!(value_that_fails(Operator::StringEquals, &json!("on")), Some(json!("not-on")));
    assert_eq!(value_that_fails(Operator::NumericGreaterOrEquals, &json!(3)), Some(json!(2)));
    assert_eq!(value_that_fails(Operator::BooleanEquals, &json!(true)), Some(json!(false)));
    assert_eq!(value_that_holds(Operator::NumericEquals, &json!("many")), None);
}
