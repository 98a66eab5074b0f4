use serde_json::json;

use super::*;

/// A run of three steps whose middle one starts a child run, with calls of its own and
/// of its child.
fn record() -> Value {
    json!({
        "AutomationExecutionId": "parent-1",
        "AutomationExecutionStatus": "Success",
        "ExecutionStartTime": "2026-01-01T00:00:00.000Z",
        "Outputs": {"describe.State": ["running"]},
        "StepExecutions": [
            {"StepName": "describe", "StepStatus": "Success", "Outputs": {"State": ["running"]}},
            {
                "StepName": "child",
                "StepStatus": "Success",
                "Child": {
                    "AutomationExecutionId": "child-1",
                    "AutomationExecutionStatus": "Success",
                    "StepExecutions": [{"StepName": "stop", "StepStatus": "Success"}],
                    "Calls": [{"AutomationExecutionId": "child-1", "StepName": "stop", "Service": "ec2", "Api": "StopInstances", "Params": {"InstanceIds": ["i-1"]}}]
                }
            },
            {"StepName": "finish", "StepStatus": "Success"},
            {"StepName": "onError", "StepStatus": "Pending"}
        ],
        "Calls": [
            {"AutomationExecutionId": "parent-1", "StepName": "describe", "Service": "ec2", "Api": "DescribeInstances", "Params": {"InstanceIds": ["i-1"], "MaxResults": 5}},
            {"AutomationExecutionId": "child-1", "StepName": "stop", "Service": "ec2", "Api": "StopInstances", "Params": {"InstanceIds": ["i-1"]}},
            {"AutomationExecutionId": "parent-1", "StepName": "finish", "Service": "sns", "Api": "Publish", "Params": {"Message": "done"}}
        ]
    })
}

fn set(record: &mut Value, pointer: &str, value: Value) {
    *record.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer}")) = value;
}

#[test]
fn a_record_agrees_with_itself_and_with_other_ids_and_times() {
    let a = record();
    assert!(diff_records(&a, &a).is_empty());
    let mut b = record();
    set(&mut b, "/AutomationExecutionId", json!("parent-2"));
    set(&mut b, "/ExecutionStartTime", json!("2027-01-01T00:00:00.000Z"));
    set(&mut b, "/StepExecutions/1/Child/AutomationExecutionId", json!("child-2"));
    set(&mut b, "/StepExecutions/1/Child/Calls/0/AutomationExecutionId", json!("child-2"));
    for index in [0, 2] {
        set(&mut b, &format!("/Calls/{index}/AutomationExecutionId"), json!("parent-2"));
    }
    set(&mut b, "/Calls/1/AutomationExecutionId", json!("child-2"));
    // Numbers by value, objects whatever their keys' order.
    set(&mut b, "/Calls/0/Params", json!({"MaxResults": 5.0, "InstanceIds": ["i-1"]}));
    let diff = diff_records(&a, &b);
    assert!(diff.is_empty(), "{diff}");
    assert_eq!(diff.to_string(), "the runs agree\n");
}

#[test]
fn a_different_status_is_reported_with_the_failure_messages() {
    let a = record();
    let mut b = record();
    set(&mut b, "/AutomationExecutionStatus", json!("Failed"));
    b["FailureMessage"] = json!("it broke");
    let diff = diff_records(&a, &b);
    assert_eq!(
        diff.divergences,
        [Divergence::Status {
            a: "Success".into(),
            b: "Failed".into(),
            a_failure: None,
            b_failure: Some("it broke".into()),
        }]
    );
    assert_eq!(
        diff.to_string(),
        "the status differs: A ended Success, B ended Failed (it broke)\n"
    );
}

#[test]
fn a_different_path_is_shown_as_a_test_shows_one() {
    let a = record();
    let mut b = record();
    set(&mut b, "/StepExecutions/2/StepStatus", json!("Pending"));
    set(&mut b, "/StepExecutions/3/StepStatus", json!("Failed"));
    b["StepExecutions"][3]["FailureMessage"] = json!("no such instance");
    let diff = diff_records(&a, &b);
    assert!(matches!(diff.first(), Some(Divergence::Path { at: 3, .. })), "{diff}");
    assert_eq!(
        diff.to_string(),
        "the path differs: step 3 is `finish` in A, `onError` in B\n  \
         A: describe → child → finish\n  \
         B: describe → child → onError\n  \
         in B, step `onError` ended Failed: no such instance\n"
    );
}

#[test]
fn a_run_that_stops_early_or_goes_on_is_a_different_path() {
    let a = record();
    let mut b = record();
    set(&mut b, "/StepExecutions/2/StepStatus", json!("Pending"));
    let diff = diff_records(&a, &b);
    assert_eq!(
        diff.first().map(ToString::to_string).as_deref(),
        Some(
            "the path differs: A went on to `finish`, B stopped before step 3\n  \
             A: describe → child → finish\n  B: describe → child"
        )
    );
    let diff = diff_records(&b, &a);
    assert!(
        diff.to_string()
            .starts_with("the path differs: A stopped before step 3, B went on to `finish`"),
        "{diff}"
    );
}

#[test]
fn a_step_status_that_differs_is_reported_with_its_failure() {
    let a = record();
    let mut b = record();
    set(&mut b, "/StepExecutions/2/StepStatus", json!("TimedOut"));
    b["StepExecutions"][2]["FailureMessage"] = json!("took too long");
    let diff = diff_records(&a, &b);
    assert_eq!(diff.divergences.len(), 1, "{diff}");
    assert_eq!(
        diff.to_string(),
        "step `finish`: A ended Success, B ended TimedOut (took too long)\n"
    );
}

#[test]
fn step_outputs_that_differ_or_exist_on_one_side_are_reported() {
    let a = record();
    let mut b = record();
    b["StepExecutions"][0]["Outputs"] = json!({"State": ["stopped"], "Extra": ["x"]});
    let diff = diff_records(&a, &b);
    assert_eq!(
        diff.to_string(),
        "step `describe`: output `State`: A has [\"running\"], B has [\"stopped\"]\n\
         step `describe`: output `Extra`: A has none, B has [\"x\"]\n"
    );
}

#[test]
fn steps_in_loops_are_paired_by_rank() {
    let mut a = record();
    let mut extra = a["StepExecutions"][0].clone();
    extra["Outputs"] = json!({"State": ["stopped"]});
    a["StepExecutions"].as_array_mut().unwrap().insert(1, extra);
    let mut b = a.clone();
    b["StepExecutions"][1]["Outputs"] = json!({"State": ["pending"]});
    let diff = diff_records(&a, &b);
    assert_eq!(
        diff.to_string(),
        "step `describe` (execution 2): output `State`: A has [\"stopped\"], B has [\"pending\"]\n"
    );
}

#[test]
fn run_outputs_that_differ_are_reported() {
    let a = record();
    let mut b = record();
    set(&mut b, "/Outputs", json!({}));
    let diff = diff_records(&a, &b);
    assert_eq!(diff.to_string(), "output `describe.State`: A has [\"running\"], B has none\n");
}

#[test]
fn calls_part_at_the_first_different_operation_and_later_ones_are_not_compared() {
    let a = record();
    let mut b = record();
    set(&mut b, "/Calls/0/Api", json!("DescribeInstanceStatus"));
    set(&mut b, "/Calls/2/Params", json!({"Message": "other"}));
    let diff = diff_records(&a, &b);
    assert_eq!(
        diff.divergences,
        [Divergence::Call {
            index: 1,
            a: Some(Call {
                service: "ec2".into(),
                api: "DescribeInstances".into(),
                step: Some("describe".into())
            }),
            b: Some(Call {
                service: "ec2".into(),
                api: "DescribeInstanceStatus".into(),
                step: Some("describe".into())
            }),
        }]
    );
    assert_eq!(
        diff.to_string(),
        "call 1: A called ec2.DescribeInstances (step `describe`), B called ec2.DescribeInstanceStatus (step `describe`)\n"
    );
}

#[test]
fn a_call_more_on_one_side_is_reported() {
    let a = record();
    let mut b = record();
    b["Calls"].as_array_mut().unwrap().push(json!({"Service": "ssm", "Api": "GetParameter"}));
    let diff = diff_records(&a, &b);
    assert_eq!(diff.to_string(), "call 3: A made no more calls, B called ssm.GetParameter\n");
}

#[test]
fn call_parameters_are_compared_where_both_sides_have_them() {
    let a = record();
    let mut b = record();
    set(&mut b, "/Calls/2/Params", json!({"Message": "other"}));
    let diff = diff_records(&a, &b);
    assert_eq!(
        diff.to_string(),
        "call 2 called sns.Publish (step `finish`): the parameters differ\n  \
         A: {\"Message\":\"done\"}\n  B: {\"Message\":\"other\"}\n"
    );
    b["Calls"][2].as_object_mut().unwrap().remove("Params");
    assert!(diff_records(&a, &b).is_empty());
}

#[test]
fn a_record_without_calls_has_no_calls_to_compare() {
    let a = record();
    let mut b = record();
    b.as_object_mut().unwrap().remove("Calls");
    b["StepExecutions"][1]["Child"].as_object_mut().unwrap().remove("Calls");
    assert!(diff_records(&a, &b).is_empty());
    assert!(diff_records(&b, &a).is_empty());
}

#[test]
fn child_runs_are_compared_and_shown_under_their_step() {
    let a = record();
    let mut b = record();
    set(&mut b, "/StepExecutions/1/Child/AutomationExecutionStatus", json!("Failed"));
    set(&mut b, "/StepExecutions/1/Child/Calls/0/Params", json!({"InstanceIds": ["i-2"]}));
    // The parent's list holds the child's call too; it is compared in the child alone.
    set(&mut b, "/Calls/1/Params", json!({"InstanceIds": ["i-2"]}));
    let diff = diff_records(&a, &b);
    assert_eq!(diff.divergences.len(), 1, "{diff}");
    assert_eq!(
        diff.to_string(),
        "the child runs of step `child` differ:\n  \
         the status differs: A ended Success, B ended Failed\n  \
         call 1 called ec2.StopInstances (step `stop`): the parameters differ\n    \
         A: {\"InstanceIds\":[\"i-1\"]}\n    B: {\"InstanceIds\":[\"i-2\"]}\n"
    );
}

#[test]
fn fleet_children_are_compared_as_children() {
    let fleet = |status: &str| {
        json!({
            "AutomationExecutionId": "fleet",
            "AutomationExecutionStatus": "Success",
            "TargetParameterName": "InstanceId",
            "StepExecutions": [
                {"StepName": "i-1", "StepStatus": "Success", "Child": {"AutomationExecutionStatus": "Success"}},
                {"StepName": "i-2", "StepStatus": status, "Child": {"AutomationExecutionStatus": status}}
            ],
            "Calls": []
        })
    };
    let diff = diff_records(&fleet("Success"), &fleet("Failed"));
    assert_eq!(
        diff.to_string(),
        "step `i-2`: A ended Success, B ended Failed\n\
         the child runs of step `i-2` differ:\n  \
         the status differs: A ended Success, B ended Failed\n"
    );
}

#[test]
fn text_from_the_records_is_escaped() {
    let a = record();
    let mut b = record();
    set(&mut b, "/AutomationExecutionStatus", json!("Failed\u{1b}[2J"));
    let text = diff_records(&a, &b).to_string();
    assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text:?}");
}

#[test]
fn the_diff_serializes_with_a_kind_per_divergence() {
    let a = record();
    let mut b = record();
    set(&mut b, "/StepExecutions/2/StepStatus", json!("Failed"));
    let value = serde_json::to_value(diff_records(&a, &b)).unwrap();
    assert_eq!(
        value,
        json!({"divergences": [{"kind": "stepStatus", "step": "finish", "occurrence": 1, "a": "Success", "b": "Failed"}]})
    );
}

#[test]
fn records_are_checked_down_through_their_children() {
    assert_eq!(check_record(&record()), Ok(()));
    assert_eq!(check_record(&json!([])), Err(RecordError::NotAnObject("a list")));
    assert_eq!(
        check_record(&json!({})).unwrap_err().to_string(),
        "AutomationExecutionStatus: expected a status text"
    );
    let mut bad = record();
    bad["StepExecutions"][1]["Child"]["StepExecutions"][0]["StepStatus"] = json!(3);
    assert_eq!(
        check_record(&bad).unwrap_err().to_string(),
        "StepExecutions[1].Child.StepExecutions[0].StepStatus: expected a status text"
    );
    let mut bad = record();
    bad["Calls"][0].as_object_mut().unwrap().remove("Api");
    assert_eq!(
        check_record(&bad).unwrap_err().to_string(),
        "Calls[0]: expected a call with Service and Api"
    );
    for (field, value, message) in [
        ("StepExecutions", json!({}), "StepExecutions: expected a list"),
        ("Outputs", json!([]), "Outputs: expected an object"),
        ("Calls", json!({}), "Calls: expected a list"),
    ] {
        let mut bad = record();
        bad[field] = value;
        assert_eq!(check_record(&bad).unwrap_err().to_string(), message);
    }
}

#[test]
fn anything_compares_without_panicking() {
    for value in [json!(null), json!([1]), json!({"StepExecutions": 3, "Calls": "x"})] {
        let _ = diff_records(&value, &record()).to_string();
        let _ = diff_records(&record(), &value).to_string();
    }
}
