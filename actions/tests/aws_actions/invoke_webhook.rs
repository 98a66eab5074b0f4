//! `aws:invokeWebhook`: the integration read from Parameter Store, the request made through
//! `webhook.Invoke`, and non-2xx answers failing the step.

use runbook_engine::record::Status;
use serde_json::json;

use crate::support::{case, runbook};

const INVOKE: &str = r"
- name: notify
  action: aws:invokeWebhook
  inputs: {IntegrationName: chat, Body: '{{ Message }}'}
";

const PARAMETER: &str = "/d9d01087-4a3f-49e0-b0b4-d568d7826553/ssm/integrations/webhook/chat";

fn mocks(integration: &str, answer: &str) -> String {
    format!(
        "aws:\n- service: ssm\n  api: GetParameter\n  params: {{Name: '{PARAMETER}', WithDecryption: true}}\n  returns: {{Parameter: {{Type: SecureString, Value: '{integration}'}}}}\n- service: webhook\n  api: Invoke\n  {answer}\n"
    )
}

fn with_message(yaml: &str) -> String {
    format!("parameters:\n  Message: {{type: String, default: deployed}}\n{yaml}")
}

#[test]
fn the_body_is_posted_to_the_integration_s_url_with_its_headers() {
    let integration = r#"{"description": "team chat", "url": "https://hooks.example.com/x", "headers": {"Content-Type": "application/json"}}"#;
    let out = case(&with_message(&runbook(INVOKE)))
        .param("Message", json!("deployed v2"))
        .mocks(&mocks(integration, "returns: {StatusCode: 200, Body: ok}"))
        .run();
    assert_eq!(out.status(), Status::Success, "{:?}", out.execution.failure_message);
    assert_eq!(
        out.params_of("Invoke"),
        [&json!({
            "IntegrationName": "chat",
            "Url": "https://hooks.example.com/x",
            "Method": "POST",
            "Headers": {"Content-Type": "application/json"},
            "Body": "deployed v2",
        })]
    );
    assert_eq!(out.output("notify", "Response"), Some(&json!("ok")));
    assert_eq!(out.output("notify", "ResponseCode"), Some(&json!(200)));
    assert_eq!(out.calls(), ["ssm.GetParameter", "webhook.Invoke"]);
}

#[test]
fn without_a_body_the_integration_s_payload_is_sent() {
    let integration = r#"{"url": "https://hooks.example.com/x", "payload": {"text": "hi"}, "headers": [{"name": "X-Token", "value": "t"}]}"#;
    let out = case(&runbook(
        "- {name: notify, action: aws:invokeWebhook, inputs: {IntegrationName: chat}}\n",
    ))
    .mocks(&mocks(integration, "returns: {StatusCode: 204}"))
    .run();
    assert_eq!(out.status(), Status::Success, "{:?}", out.execution.failure_message);
    let sent = out.params_of("Invoke")[0];
    assert_eq!(sent["Body"], json!("{\"text\":\"hi\"}"));
    assert_eq!(sent["Headers"], json!({"X-Token": "t"}));
    assert_eq!(out.output("notify", "Response"), Some(&json!("")));
}

#[test]
fn an_answer_outside_2xx_fails_the_step() {
    let integration = r#"{"url": "https://hooks.example.com/x"}"#;
    let out = case(&with_message(&runbook(INVOKE)))
        .mocks(&mocks(integration, "returns: {StatusCode: 403, Body: invalid_token}"))
        .run();
    assert_eq!(out.status(), Status::Failed);
    assert_eq!(
        out.failure("notify"),
        "the webhook of integration chat answered 403: \"invalid_token\""
    );
}

#[test]
fn a_missing_integration_fails_with_the_parameter_store_error() {
    let out = case(&with_message(&runbook(INVOKE)))
        .mocks("aws:\n- {service: ssm, api: GetParameter, error: 'ParameterNotFound: not found'}\n")
        .run();
    assert_eq!(out.status(), Status::Failed);
    assert_eq!(out.error_code("notify"), Some("ParameterNotFound"));
    assert_eq!(out.calls(), ["ssm.GetParameter"]);
}

#[test]
fn integrations_must_be_json_with_an_https_url() {
    let out = case(&with_message(&runbook(INVOKE)))
        .mocks(&mocks(r#"{"url": "http://hooks.example.com/x"}"#, "returns: {StatusCode: 200}"))
        .run();
    assert_eq!(
        out.failure("notify"),
        "integration chat: the url http://hooks.example.com/x is not https; webhooks must use HTTPS"
    );
    let out = case(&with_message(&runbook(INVOKE)))
        .mocks(&mocks("not json", "returns: {StatusCode: 200}"))
        .run();
    assert_eq!(out.failure("notify"), "integration chat: its parameter is not a JSON object");
    assert_eq!(out.calls(), ["ssm.GetParameter"]);
}
