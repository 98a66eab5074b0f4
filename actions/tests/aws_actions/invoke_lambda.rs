//! `aws:invokeLambdaFunction`: the payload sent, the outputs, selectors over the result, and
//! `FunctionError` failing the step.

use runbook_engine::record::Status;
use serde_json::{Value, json};

use crate::support::{case, runbook};

const INVOKE: &str = r"
- name: invoke
  action: aws:invokeLambdaFunction
  inputs:
    FunctionName: check
    LogType: Tail
    InputPayload: {instance: i-1, retries: 2}
    Payload: '{ignored: true}'
  outputs:
  - {Name: Reachable, Selector: $.reachable, Type: Boolean}
  - {Name: Ip, Selector: $.resolvedIP, Type: String}
";

#[test]
fn input_payload_is_sent_as_json_and_outputs_read_the_result() {
    let out = case(&runbook(INVOKE))
        .mocks(
            r#"
aws:
- service: lambda
  api: Invoke
  returns: {StatusCode: 200, LogResult: bG9ncw==, ExecutedVersion: $LATEST, Payload: '{"reachable": true, "resolvedIP": "10.0.0.1"}'}
"#,
        )
        .run();
    assert_eq!(out.status(), Status::Success, "{:?}", out.execution.failure_message);
    let sent = out.params_of("Invoke")[0];
    assert_eq!(sent["FunctionName"], json!("check"));
    assert_eq!(sent["LogType"], json!("Tail"));
    let payload: Value = serde_json::from_str(sent["Payload"].as_str().unwrap()).unwrap();
    assert_eq!(payload, json!({"instance": "i-1", "retries": 2}));
    assert_eq!(out.output("invoke", "StatusCode"), Some(&json!(200)));
    assert_eq!(out.output("invoke", "LogResult"), Some(&json!("bG9ncw==")));
    assert_eq!(
        out.output("invoke", "Payload"),
        Some(&json!(r#"{"reachable": true, "resolvedIP": "10.0.0.1"}"#))
    );
    assert!(out.output("invoke", "FunctionError").is_none());
    assert_eq!(out.output("invoke", "Reachable"), Some(&json!(true)));
    assert_eq!(out.output("invoke", "Ip"), Some(&json!("10.0.0.1")));
    let whole: Value =
        serde_json::from_str(out.output("invoke", "OutputPayload").unwrap().as_str().unwrap())
            .unwrap();
    assert_eq!(whole["StatusCode"], json!(200));
    assert_eq!(whole["ExecutedVersion"], json!("$LATEST"));
}

#[test]
fn a_payload_map_is_sent_as_its_json_text_and_a_result_value_becomes_text() {
    let out = case(&runbook(
        "- {name: invoke, action: aws:invokeLambdaFunction, inputs: {FunctionName: f, Payload: {a: 1}}}\n",
    ))
    .mocks("aws:\n- {service: lambda, api: Invoke, returns: {StatusCode: 200, Payload: {ok: fine}}}\n")
    .run();
    assert_eq!(out.status(), Status::Success);
    assert_eq!(out.params_of("Invoke"), [&json!({"FunctionName": "f", "Payload": "{\"a\":1}"})]);
    assert_eq!(out.output("invoke", "Payload"), Some(&json!("{\"ok\":\"fine\"}")));
}

#[test]
fn a_function_error_fails_the_step_with_the_function_s_message() {
    let out = case(&runbook(INVOKE))
        .mocks(
            r#"
aws:
- service: lambda
  api: Invoke
  returns: {StatusCode: 200, FunctionError: Unhandled, Payload: '{"errorMessage": "division by zero", "errorType": "ZeroDivisionError"}'}
"#,
        )
        .run();
    assert_eq!(out.status(), Status::Failed);
    assert_eq!(
        out.failure("invoke"),
        "function check failed (Unhandled) ZeroDivisionError: division by zero"
    );
}

#[test]
fn an_api_error_and_a_missing_function_name_fail() {
    let out = case(&runbook(INVOKE))
        .mocks("aws:\n- {service: lambda, api: Invoke, error: 'ResourceNotFoundException: Function not found: check'}\n")
        .run();
    assert_eq!(out.error_code("invoke"), Some("ResourceNotFoundException"));
    let out = case(&runbook(
        "- {name: invoke, action: aws:invokeLambdaFunction, inputs: {Payload: x}}\n",
    ))
    .run();
    assert_eq!(
        out.failure("invoke"),
        "invalid inputs for aws:invokeLambdaFunction: missing field `FunctionName`"
    );
}
