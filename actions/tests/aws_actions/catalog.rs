//! `standard()` against the engine's catalog: every action it registers is one the service
//! has, and each accepts every input the catalog lists for it.

use runbook_engine::catalog::{self, InputType, ValueType};
use serde_json::{Map, Value, json};

use crate::support::{case, runbook};

/// The actions of this crate that talk to AWS.
const AWS_ACTIONS: [&str; 15] = [
    "aws:assertAwsResourceProperty",
    "aws:changeInstanceState",
    "aws:copyImage",
    "aws:createImage",
    "aws:createStack",
    "aws:createTags",
    "aws:deleteImage",
    "aws:deleteStack",
    "aws:executeAwsApi",
    "aws:executeStateMachine",
    "aws:invokeLambdaFunction",
    "aws:invokeWebhook",
    "aws:runCommand",
    "aws:runInstances",
    "aws:waitForAwsResourceProperty",
];

#[test]
fn standard_registers_every_aws_action_under_its_catalog_name() {
    let actions = runbook_actions::standard();
    let mut names: Vec<&str> = actions.names().collect();
    names.sort_unstable();
    for name in &names {
        assert!(catalog::action(name).is_some(), "{name} is not in the catalog");
    }
    for name in AWS_ACTIONS {
        assert!(names.contains(&name), "standard() lacks {name}");
    }
}

fn sample(ty: InputType) -> Value {
    match ty {
        InputType::Value(ValueType::String) => json!("x"),
        InputType::Value(ValueType::StringList) | InputType::List => json!(["x"]),
        InputType::Value(ValueType::Integer) => json!(1),
        InputType::Value(ValueType::Boolean) => json!(true),
        InputType::Value(ValueType::StringMap) | InputType::Map | InputType::Any => {
            json!({"k": "v"})
        }
        InputType::Value(ValueType::MapList) => json!([{"k": "v"}]),
    }
}

#[test]
fn each_action_accepts_every_input_the_catalog_lists_for_it() {
    for name in AWS_ACTIONS {
        let spec = catalog::action(name).expect("a catalog action");
        let inputs: Map<String, Value> =
            spec.inputs.iter().map(|input| (input.name.to_string(), sample(input.ty))).collect();
        let step = format!("- name: step\n  action: {name}\n  inputs: {}\n", Value::Object(inputs));
        // No mock answers: the step reaches its first AWS call and fails there, or stops at a
        // check of an input's value, never at reading the inputs.
        let out = case(&runbook(&step)).run();
        let message = out.failure("step");
        for refusal in ["unknown field", "invalid type", "missing field", "expected"] {
            assert!(!message.contains(refusal), "{name} refuses its catalog inputs: {message}");
        }
    }
}
