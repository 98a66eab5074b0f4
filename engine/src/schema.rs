//! The JSON Schema of the runbook format, generated from the document model's field lists and
//! the action catalog, so that editors can check and complete runbooks. The checked-in copy in
//! `schemas/runbook-0.3.schema.json` is compared with this output by a test.

use serde_json::{Map, Value, json};

use crate::catalog::{ACTIONS, ActionSpec, InputType, ValueType};
use crate::document::Operator;

/// The schema's `$id`.
pub(crate) const RUNBOOK_SCHEMA_ID: &str =
    "https://github.com/runbook-rs/runbook/schemas/runbook-0.3.schema.json";

/// The JSON Schema (2020-12) of schema 0.3 runbooks.
pub fn runbook_schema() -> Value {
    let mut defs = Map::new();
    defs.insert("template".into(), json!({
        "type": "string",
        "pattern": "\\{\\{.*\\}\\}",
        "description": "A `{{ reference }}` to a parameter, step output, variable or system variable.",
    }));
    defs.insert("parameter".into(), parameter());
    defs.insert("variable".into(), variable());
    defs.insert("output".into(), output());
    defs.insert("condition".into(), condition());
    defs.insert("step".into(), step());
    for spec in &ACTIONS {
        defs.insert(inputs_def_name(spec), action_inputs(spec));
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": RUNBOOK_SCHEMA_ID,
        "title": "AWS Systems Manager Automation runbook (schemaVersion 0.3)",
        "type": "object",
        "required": ["schemaVersion", "mainSteps"],
        "properties": {
            "schemaVersion": {"const": "0.3", "description": "Always '0.3' for Automation runbooks; write it quoted in YAML."},
            "description": {"type": "string", "description": "What the runbook does; Markdown is allowed."},
            "assumeRole": {"type": "string", "description": "The IAM role the run assumes: an ARN or a {{ Parameter }} reference."},
            "parameters": {"type": "object", "additionalProperties": {"$ref": "#/$defs/parameter"}},
            "variables": {"type": "object", "additionalProperties": {"$ref": "#/$defs/variable"}},
            "mainSteps": {"type": "array", "items": {"$ref": "#/$defs/step"}},
            "outputs": {"type": "array", "items": {"type": "string", "pattern": "^[A-Za-z0-9_]+\\..+$"}, "description": "Step outputs the run exposes, as step.Output."},
            "files": {"type": "object", "additionalProperties": {
                "type": "object",
                "properties": {
                    "checksums": {"type": "object", "properties": {"sha256": {"type": "string"}}},
                    "size": {"type": "integer"},
                },
                "additionalProperties": false,
            }},
            "templateInformation": {"description": "Change Manager templates only."},
            "executableRunBooks": {"description": "Change Manager templates only."},
            "emergencyChange": {"description": "Change Manager templates only."},
            "autoApprovable": {"description": "Change Manager templates only."},
        },
        "additionalProperties": false,
        "$defs": defs,
    })
}

fn type_names() -> Vec<&'static str> {
    ValueType::ALL.iter().map(|ty| ty.as_str()).collect()
}

fn parameter() -> Value {
    let mut types: Vec<String> = type_names().into_iter().map(String::from).collect();
    for resource in ["AWS::EC2::Instance::Id", "AWS::S3::Bucket::Name", "AWS::IAM::Role::Arn"] {
        types.push(resource.to_string());
        types.push(format!("List<{resource}>"));
    }
    json!({
        "type": "object",
        "required": ["type"],
        "properties": {
            "type": {"enum": types},
            "description": {"type": "string"},
            "default": {"description": "A value of the parameter's type, or {{ ssm:/name }}, or {{ ssm-secure:/name }} (a SecureString, read decrypted and masked as a secret)."},
            "allowedValues": {"type": "array"},
            "allowedPattern": {"type": "string", "description": "A Java regular expression values must match."},
            "displayType": {"enum": ["textfield", "textarea"]},
            "minItems": {"type": "integer", "minimum": 0},
            "maxItems": {"type": "integer", "minimum": 0},
            "minChars": {"type": "integer", "minimum": 0},
            "maxChars": {"type": "integer", "minimum": 0},
            "interpolationType": {"enum": ["ENV_VAR"]},
        },
        "additionalProperties": false,
    })
}

fn variable() -> Value {
    json!({
        "type": "object",
        "required": ["type"],
        "properties": {
            "type": {"enum": type_names()},
            "default": {},
            "description": {"type": "string"},
        },
        "additionalProperties": false,
    })
}

fn output() -> Value {
    json!({
        "type": "object",
        "required": ["Name", "Selector"],
        "properties": {
            "Name": {"type": "string"},
            "Selector": {"type": "string", "description": "A JSONPath into the action's response, such as $.Payload.key."},
            "Type": {"enum": type_names()},
        },
        "additionalProperties": false,
    })
}

fn condition() -> Value {
    let mut compare = Map::new();
    compare.insert("Variable".into(), json!({"type": "string"}));
    for operator in Operator::ALL {
        compare.insert(operator.as_str().into(), json!({}));
    }
    json!({
        "type": "object",
        "properties": {
            "Variable": {"type": "string"},
            "And": {"type": "array", "items": {"$ref": "#/$defs/condition"}},
            "Or": {"type": "array", "items": {"$ref": "#/$defs/condition"}},
            "Not": {"$ref": "#/$defs/condition"},
            "NextStep": {"type": "string"},
        },
        "patternProperties": {
            format!("^({})$", Operator::ALL.map(Operator::as_str).join("|")): {},
        },
        "additionalProperties": false,
    })
}

fn boolean_like() -> Value {
    json!({"anyOf": [{"type": "boolean"}, {"enum": ["true", "false", "True", "False"]}]})
}

fn integer_like() -> Value {
    json!({"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": "^[0-9]+$"}]})
}

fn step() -> Value {
    let mut all_of = Vec::new();
    for spec in &ACTIONS {
        all_of.push(json!({
            "if": {"properties": {"action": {"const": spec.name}}, "required": ["action"]},
            "then": {"properties": {"inputs": {"$ref": format!("#/$defs/{}", inputs_def_name(spec))}}},
        }));
    }
    json!({
        "type": "object",
        "required": ["name", "action", "inputs"],
        "properties": {
            "name": {"type": "string", "pattern": "^[a-zA-Z0-9_]+$"},
            "action": {"type": "string", "examples": ACTIONS.iter().map(|spec| spec.name).collect::<Vec<_>>()},
            "description": {"type": "string"},
            "inputs": {"type": "object"},
            "maxAttempts": integer_like(),
            "timeoutSeconds": integer_like(),
            "onFailure": {"type": "string", "pattern": "^(Abort|Continue|step:[a-zA-Z0-9_]+)$"},
            "onCancel": {"type": "string", "pattern": "^(Abort|step:[a-zA-Z0-9_]+)$"},
            "isEnd": boolean_like(),
            "nextStep": {"type": "string"},
            "isCritical": boolean_like(),
            "outputs": {"type": "array", "items": {"$ref": "#/$defs/output"}},
        },
        "additionalProperties": false,
        "allOf": all_of,
    })
}

fn inputs_def_name(spec: &ActionSpec) -> String {
    format!("inputs.{}", spec.name.trim_start_matches("aws:"))
}

fn input_schema(ty: InputType) -> Value {
    let template = json!({"$ref": "#/$defs/template"});
    let value = match ty {
        InputType::Value(ValueType::String) => json!({"type": ["string", "number", "boolean"]}),
        InputType::Value(ValueType::Integer) => integer_like(),
        InputType::Value(ValueType::Boolean) => boolean_like(),
        InputType::Value(ValueType::StringList) | InputType::List => json!({"type": "array"}),
        InputType::Value(ValueType::StringMap) | InputType::Map => json!({"type": "object"}),
        InputType::Value(ValueType::MapList) => {
            json!({"type": "array", "items": {"anyOf": [{"type": "object"}, template.clone()]}})
        }
        InputType::Any => return json!({}),
    };
    json!({"anyOf": [value, template]})
}

fn action_inputs(spec: &ActionSpec) -> Value {
    let mut properties = Map::new();
    for input in spec.inputs {
        properties.insert(input.name.into(), input_schema(input.ty));
    }
    if spec.name == "aws:loop" {
        properties
            .insert("Steps".into(), json!({"type": "array", "items": {"$ref": "#/$defs/step"}}));
        properties.insert("LoopCondition".into(), json!({"$ref": "#/$defs/condition"}));
    }
    if spec.name == "aws:branch" {
        properties.insert(
            "Choices".into(),
            json!({"type": "array", "items": {"$ref": "#/$defs/condition"}}),
        );
    }
    let required: Vec<&str> =
        spec.inputs.iter().filter(|input| input.required).map(|input| input.name).collect();
    let mut schema = json!({
        "type": "object",
        "description": format!("Inputs of {}.", spec.name),
        "properties": properties,
        "required": required,
    });
    if !spec.api_parameters {
        schema["additionalProperties"] = json!(false);
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_its_inputs_definition() {
        let schema = runbook_schema();
        for spec in &ACTIONS {
            let def = &schema["$defs"][inputs_def_name(spec)];
            assert!(def.is_object(), "{} has no inputs definition", spec.name);
            for input in spec.inputs {
                assert!(def["properties"][input.name].is_object(), "{}.{}", spec.name, input.name);
            }
        }
    }
}
