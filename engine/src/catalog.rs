//! The catalog of the service's actions: for each of the 23 `aws:*` actions, its inputs with
//! their types, its predefined outputs, its timeouts and the service's restrictions on it
//! (SPEC section 6). This is data about the service's contract, shared by the validator, the
//! JSON Schema, the executor (default timeouts) and the action implementations.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The value types of parameters, variables and outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ValueType {
    /// Text.
    String,
    /// A list of text.
    StringList,
    /// A whole number.
    Integer,
    /// `true` or `false`.
    Boolean,
    /// A map of text to values.
    StringMap,
    /// A list of maps.
    MapList,
}

impl ValueType {
    /// All value types, in the order the documentation lists them.
    pub const ALL: [Self; 6] = [
        Self::String,
        Self::StringList,
        Self::Integer,
        Self::Boolean,
        Self::StringMap,
        Self::MapList,
    ];

    /// The type's name as runbooks spell it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::String => "String",
            Self::StringList => "StringList",
            Self::Integer => "Integer",
            Self::Boolean => "Boolean",
            Self::StringMap => "StringMap",
            Self::MapList => "MapList",
        }
    }

    /// Reads a type name as runbooks spell it.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|ty| ty.as_str() == name)
    }

    /// Whether `value` has this type, strictly (no coercion).
    pub fn matches(self, value: &serde_json::Value) -> bool {
        use serde_json::Value;
        match self {
            Self::String => value.is_string(),
            Self::Integer => value.as_i64().is_some(),
            Self::Boolean => value.is_boolean(),
            Self::StringList => {
                value.as_array().is_some_and(|items| items.iter().all(Value::is_string))
            }
            Self::StringMap => value.is_object(),
            Self::MapList => {
                value.as_array().is_some_and(|items| items.iter().all(Value::is_object))
            }
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an action input accepts, as far as a literal in the document can be checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputType {
    /// A value of this type (with the service's leniency: digit strings for integers,
    /// `"true"`/`"false"` for booleans, numbers and booleans for strings).
    Value(ValueType),
    /// Any map.
    Map,
    /// Any list.
    List,
    /// Anything (a map or a JSON string, for instance).
    Any,
}

impl fmt::Display for InputType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Value(ty) => ty.fmt(f),
            Self::Map => f.write_str("Map"),
            Self::List => f.write_str("List"),
            Self::Any => f.write_str("any value"),
        }
    }
}

/// One input of an action.
#[derive(Clone, Copy, Debug)]
pub struct InputSpec {
    /// The input's name, spelled as the action spells it (case matters).
    pub name: &'static str,
    /// What it accepts.
    pub ty: InputType,
    /// Whether the action needs it.
    pub required: bool,
}

/// One predefined output of an action.
#[derive(Clone, Copy, Debug)]
pub struct OutputSpec {
    /// The output's name (`ImageId`), referenced as `{{ step.ImageId }}`.
    pub name: &'static str,
    /// Its type.
    pub ty: ValueType,
}

/// What the service says about one action.
#[derive(Clone, Copy, Debug)]
pub struct ActionSpec {
    /// The action's name (`aws:sleep`).
    pub name: &'static str,
    /// Its named inputs.
    pub inputs: &'static [InputSpec],
    /// Whether other input keys are allowed and passed on as API request parameters
    /// (`aws:executeAwsApi`, `aws:assertAwsResourceProperty`, `aws:waitForAwsResourceProperty`).
    pub api_parameters: bool,
    /// Outputs that exist without being declared.
    pub outputs: &'static [OutputSpec],
    /// The timeout when the step sets none, in seconds.
    pub default_timeout: Option<u64>,
    /// The longest the action may run, in seconds.
    pub max_timeout: Option<u64>,
    /// Whether an `onCancel: step:X` may point to a step of this action.
    pub cancel_target: bool,
    /// Whether a step of this action may have `onCancel`.
    pub on_cancel: bool,
    /// Groups of inputs of which at least one must be given (`Script` or `Attachment`).
    pub one_of: &'static [&'static [&'static str]],
}

impl ActionSpec {
    /// The input named `name`.
    pub fn input(&self, name: &str) -> Option<&'static InputSpec> {
        self.inputs.iter().find(|input| input.name == name)
    }

    /// The predefined output named `name`.
    pub fn output(&self, name: &str) -> Option<&'static OutputSpec> {
        self.outputs.iter().find(|output| output.name == name)
    }
}

/// The spec of the action named `name`, if the service has it.
pub fn action(name: &str) -> Option<&'static ActionSpec> {
    ACTIONS.iter().find(|spec| spec.name == name)
}

/// The names of every action the service has.
pub fn action_names() -> impl Iterator<Item = &'static str> {
    ACTIONS.iter().map(|spec| spec.name)
}

const fn req(name: &'static str, ty: InputType) -> InputSpec {
    InputSpec { name, ty, required: true }
}

const fn opt(name: &'static str, ty: InputType) -> InputSpec {
    InputSpec { name, ty, required: false }
}

const fn out(name: &'static str, ty: ValueType) -> OutputSpec {
    OutputSpec { name, ty }
}

const STRING: InputType = InputType::Value(ValueType::String);
const STRING_LIST: InputType = InputType::Value(ValueType::StringList);
const INTEGER: InputType = InputType::Value(ValueType::Integer);
const BOOLEAN: InputType = InputType::Value(ValueType::Boolean);
const STRING_MAP: InputType = InputType::Value(ValueType::StringMap);
const MAP_LIST: InputType = InputType::Value(ValueType::MapList);

const SEVEN_DAYS: u64 = 604_800;
const THIRTY_DAYS: u64 = 2_592_000;

const PLAIN: ActionSpec = ActionSpec {
    name: "",
    inputs: &[],
    api_parameters: false,
    outputs: &[],
    default_timeout: None,
    max_timeout: None,
    cancel_target: true,
    on_cancel: true,
    one_of: &[],
};

const API_INPUTS: &[InputSpec] = &[req("Service", STRING), req("Api", STRING)];
const PROPERTY_INPUTS: &[InputSpec] = &[
    req("Service", STRING),
    req("Api", STRING),
    req("PropertySelector", STRING),
    req("DesiredValues", InputType::List),
];

/// Every action of the service, in alphabetical order (SPEC section 6).
pub static ACTIONS: [ActionSpec; 23] = [
    ActionSpec {
        name: "aws:approve",
        one_of: &[&["Approvers", "EnhancedApprovals"]],
        inputs: &[
            opt("NotificationArn", STRING),
            opt("Message", STRING),
            opt("MinRequiredApprovals", INTEGER),
            // Needed unless a Change Manager template gives `EnhancedApprovals` instead.
            opt("Approvers", STRING_LIST),
            opt("EnhancedApprovals", InputType::Any),
        ],
        outputs: &[
            out("ApprovalStatus", ValueType::String),
            out("ApproverDecisions", ValueType::MapList),
        ],
        default_timeout: Some(SEVEN_DAYS),
        max_timeout: Some(THIRTY_DAYS),
        cancel_target: false,
        ..PLAIN
    },
    ActionSpec {
        name: "aws:assertAwsResourceProperty",
        inputs: PROPERTY_INPUTS,
        api_parameters: true,
        ..PLAIN
    },
    ActionSpec {
        name: "aws:branch",
        inputs: &[req("Choices", MAP_LIST), opt("Default", STRING)],
        // Undocumented: the step the branch chose. AWS's own runbooks read it.
        outputs: &[out("NextStep", ValueType::String)],
        ..PLAIN
    },
    ActionSpec {
        name: "aws:changeInstanceState",
        inputs: &[
            req("InstanceIds", STRING_LIST),
            opt("CheckStateOnly", BOOLEAN),
            req("DesiredState", STRING),
            opt("Force", BOOLEAN),
            opt("FailOnUnexpectedStopped", BOOLEAN),
            opt("AdditionalInfo", STRING),
        ],
        default_timeout: Some(3600),
        ..PLAIN
    },
    ActionSpec {
        name: "aws:copyImage",
        inputs: &[
            req("SourceRegion", STRING),
            req("SourceImageId", STRING),
            req("ImageName", STRING),
            opt("ImageDescription", STRING),
            opt("Encrypted", BOOLEAN),
            opt("KmsKeyId", STRING),
            opt("ClientToken", STRING),
        ],
        outputs: &[out("ImageId", ValueType::String), out("ImageState", ValueType::String)],
        cancel_target: false,
        ..PLAIN
    },
    ActionSpec {
        name: "aws:createImage",
        inputs: &[
            req("InstanceId", STRING),
            req("ImageName", STRING),
            opt("ImageDescription", STRING),
            opt("NoReboot", BOOLEAN),
            opt("BlockDeviceMappings", InputType::Any),
        ],
        outputs: &[out("ImageId", ValueType::String), out("ImageState", ValueType::String)],
        cancel_target: false,
        ..PLAIN
    },
    ActionSpec {
        name: "aws:createStack",
        one_of: &[&["TemplateBody", "TemplateURL"]],
        inputs: &[
            req("StackName", STRING),
            opt("Capabilities", STRING_LIST),
            opt("ClientRequestToken", STRING),
            opt("DisableRollback", BOOLEAN),
            opt("NotificationARNs", STRING_LIST),
            opt("OnFailure", STRING),
            opt("Parameters", MAP_LIST),
            opt("ResourceTypes", STRING_LIST),
            opt("RoleARN", STRING),
            opt("StackPolicyBody", STRING),
            opt("StackPolicyURL", STRING),
            opt("Tags", MAP_LIST),
            opt("TemplateBody", STRING),
            opt("TemplateURL", STRING),
            opt("TimeoutInMinutes", INTEGER),
        ],
        outputs: &[
            out("StackId", ValueType::String),
            out("StackStatus", ValueType::String),
            out("StackStatusReason", ValueType::String),
        ],
        cancel_target: false,
        ..PLAIN
    },
    ActionSpec {
        name: "aws:createTags",
        inputs: &[
            req("ResourceIds", STRING_LIST),
            req("Tags", MAP_LIST),
            opt("ResourceType", STRING),
        ],
        cancel_target: false,
        ..PLAIN
    },
    ActionSpec { name: "aws:deleteImage", inputs: &[req("ImageId", STRING)], ..PLAIN },
    ActionSpec {
        name: "aws:deleteStack",
        inputs: &[
            req("StackName", STRING),
            opt("ClientRequestToken", STRING),
            opt("RetainResources", STRING_LIST),
            opt("RoleARN", STRING),
        ],
        ..PLAIN
    },
    ActionSpec {
        name: "aws:executeAutomation",
        inputs: &[
            req("DocumentName", STRING),
            opt("DocumentVersion", STRING),
            opt("RuntimeParameters", InputType::Any),
            opt("MaxConcurrency", STRING),
            opt("MaxErrors", STRING),
            opt("Tags", MAP_LIST),
            opt("TargetLocations", MAP_LIST),
            opt("TargetLocationsURL", STRING),
            opt("TargetMaps", MAP_LIST),
            opt("TargetParameterName", STRING),
            opt("Targets", MAP_LIST),
        ],
        outputs: &[
            out("Output", ValueType::StringList),
            out("ExecutionId", ValueType::String),
            out("Status", ValueType::String),
        ],
        ..PLAIN
    },
    ActionSpec { name: "aws:executeAwsApi", inputs: API_INPUTS, api_parameters: true, ..PLAIN },
    ActionSpec {
        name: "aws:executeScript",
        one_of: &[&["Script", "Attachment"]],
        inputs: &[
            req("Runtime", STRING),
            opt("Handler", STRING),
            opt("InputPayload", InputType::Any),
            opt("Script", STRING),
            opt("Attachment", STRING),
        ],
        // `OutputPayload` is not in the action's documentation, but the service records it (the
        // whole response as JSON text) and AWS's own runbooks read it.
        outputs: &[out("Payload", ValueType::StringMap), out("OutputPayload", ValueType::String)],
        max_timeout: Some(600),
        ..PLAIN
    },
    ActionSpec {
        name: "aws:executeStateMachine",
        inputs: &[req("stateMachineArn", STRING), opt("name", STRING), opt("input", STRING)],
        outputs: &[
            out("executionArn", ValueType::String),
            out("input", ValueType::String),
            out("name", ValueType::String),
            out("output", ValueType::String),
            out("startDate", ValueType::String),
            out("stateMachineArn", ValueType::String),
            out("status", ValueType::String),
            out("stopDate", ValueType::String),
        ],
        ..PLAIN
    },
    ActionSpec {
        name: "aws:invokeLambdaFunction",
        inputs: &[
            req("FunctionName", STRING),
            opt("Qualifier", STRING),
            opt("InvocationType", STRING),
            opt("LogType", STRING),
            opt("ClientContext", STRING),
            opt("InputPayload", STRING_MAP),
            // Documented as JSON text; AWS's own runbooks also give a map.
            opt("Payload", InputType::Any),
        ],
        outputs: &[
            out("StatusCode", ValueType::Integer),
            out("FunctionError", ValueType::String),
            out("LogResult", ValueType::String),
            out("Payload", ValueType::String),
            out("OutputPayload", ValueType::String),
        ],
        max_timeout: Some(300),
        ..PLAIN
    },
    ActionSpec {
        name: "aws:invokeWebhook",
        inputs: &[req("IntegrationName", STRING), opt("Body", STRING)],
        outputs: &[out("Response", ValueType::String), out("ResponseCode", ValueType::Integer)],
        ..PLAIN
    },
    ActionSpec {
        name: "aws:loop",
        inputs: &[
            opt("Iterators", InputType::Any),
            opt("IteratorDataType", STRING),
            opt("LoopCondition", STRING_MAP),
            opt("MaxIterations", INTEGER),
            req("Steps", MAP_LIST),
        ],
        outputs: &[
            out("CurrentIteration", ValueType::Integer),
            out("CurrentIteratorValue", ValueType::String),
        ],
        cancel_target: false,
        on_cancel: false,
        ..PLAIN
    },
    ActionSpec {
        name: "aws:pause",
        // Undocumented, but AWS's own runbooks give a `Message` to show while paused.
        inputs: &[opt("Message", STRING)],
        default_timeout: Some(SEVEN_DAYS),
        max_timeout: Some(THIRTY_DAYS),
        cancel_target: false,
        ..PLAIN
    },
    ActionSpec {
        name: "aws:runCommand",
        one_of: &[&["InstanceIds", "Targets"]],
        inputs: &[
            req("DocumentName", STRING),
            opt("InstanceIds", STRING_LIST),
            opt("Targets", MAP_LIST),
            opt("Parameters", InputType::Any),
            opt("CloudWatchOutputConfig", InputType::Map),
            opt("Comment", STRING),
            opt("DocumentHash", STRING),
            opt("DocumentHashType", STRING),
            opt("DocumentVersion", STRING),
            opt("MaxConcurrency", STRING),
            opt("MaxErrors", STRING),
            opt("NotificationConfig", InputType::Map),
            opt("OutputS3BucketName", STRING),
            opt("OutputS3KeyPrefix", STRING),
            opt("OutputS3Region", STRING),
            opt("ServiceRoleArn", STRING),
            opt("TimeoutSeconds", INTEGER),
        ],
        outputs: &[
            out("CommandId", ValueType::String),
            out("Status", ValueType::String),
            out("ResponseCode", ValueType::Integer),
            out("Output", ValueType::String),
        ],
        ..PLAIN
    },
    ActionSpec {
        name: "aws:runInstances",
        inputs: &[
            req("ImageId", STRING),
            opt("AdditionalInfo", STRING),
            opt("BlockDeviceMappings", MAP_LIST),
            opt("ClientToken", STRING),
            opt("DisableApiTermination", BOOLEAN),
            opt("EbsOptimized", BOOLEAN),
            opt("IamInstanceProfileArn", STRING),
            opt("IamInstanceProfileName", STRING),
            opt("InstanceInitiatedShutdownBehavior", STRING),
            opt("InstanceType", STRING),
            opt("KernelId", STRING),
            opt("KeyName", STRING),
            opt("MaxInstanceCount", INTEGER),
            opt("MinInstanceCount", INTEGER),
            opt("MetadataOptions", STRING_MAP),
            opt("Monitoring", BOOLEAN),
            opt("NetworkInterfaces", MAP_LIST),
            opt("Placement", STRING_MAP),
            opt("PrivateIpAddress", STRING),
            opt("RamdiskId", STRING),
            opt("SecurityGroupIds", STRING_LIST),
            opt("SecurityGroups", STRING_LIST),
            opt("SubnetId", STRING),
            opt("TagSpecifications", MAP_LIST),
            opt("UserData", STRING),
        ],
        outputs: &[
            out("InstanceIds", ValueType::StringList),
            out("InstanceStates", ValueType::StringList),
        ],
        cancel_target: false,
        ..PLAIN
    },
    ActionSpec {
        name: "aws:sleep",
        one_of: &[&["Duration", "Timestamp"]],
        inputs: &[opt("Duration", STRING), opt("Timestamp", STRING)],
        max_timeout: Some(604_799),
        cancel_target: false,
        ..PLAIN
    },
    ActionSpec {
        name: "aws:updateVariable",
        inputs: &[req("Name", STRING), req("Value", InputType::Any)],
        on_cancel: false,
        ..PLAIN
    },
    ActionSpec {
        name: "aws:waitForAwsResourceProperty",
        inputs: PROPERTY_INPUTS,
        api_parameters: true,
        default_timeout: Some(3600),
        ..PLAIN
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_has_the_23_documented_actions_in_order() {
        let names: Vec<_> = action_names().collect();
        assert_eq!(names.len(), 23);
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        assert!(action("aws:loop").is_some());
        assert!(action("aws:executeAPI").is_none());
    }

    #[test]
    fn input_names_are_unique_per_action() {
        for spec in &ACTIONS {
            for (index, input) in spec.inputs.iter().enumerate() {
                assert!(
                    spec.inputs[index + 1..].iter().all(|other| other.name != input.name),
                    "{} lists {} twice",
                    spec.name,
                    input.name
                );
            }
        }
    }

    #[test]
    fn value_types_round_trip_their_names() {
        for ty in ValueType::ALL {
            assert_eq!(ValueType::parse(ty.as_str()), Some(ty));
        }
        assert_eq!(ValueType::parse("string"), None);
    }
}
