//! The AWS calls each action makes on its own, as the service makes them: what a runbook's
//! role must be allowed besides the calls its `aws:executeAwsApi`, `aws:assertAwsResourceProperty`
//! and `aws:waitForAwsResourceProperty` steps name in `Service` and `Api`.
//!
//! Services and operations are named as botocore names them (`stepfunctions`, `Invoke`); turning
//! them into IAM actions (`states:StartExecution`, `lambda:InvokeFunction`) is the caller's
//! business. Two entries are permissions rather than calls: `iam.PassRole`, which `RunInstances`
//! and `CreateStack` need to hand a role to EC2 or `CloudFormation`, and which the service
//! checks though nothing calls it.
//!
//! - `aws:executeAutomation` is listed with the calls the service makes to start and follow the
//!   child (`ssm.StartAutomationExecution`, `ssm.GetAutomationExecution`); the child's own calls
//!   come from the child runbook.
//! - `aws:executeScript` makes no call of its own: what its script calls cannot be known without
//!   running it.
//! - `aws:approve` publishes to SNS only when `NotificationArn` is given.
//! - The control actions (`aws:branch`, `aws:loop`, `aws:pause`, `aws:sleep`,
//!   `aws:updateVariable`) call nothing.
//!
//! ```
//! use runbook_actions::permissions::calls;
//!
//! let names: Vec<String> =
//!     calls("aws:createImage").iter().map(|call| format!("{}.{}", call.service, call.api)).collect();
//! assert_eq!(names, ["ec2.CreateImage", "ec2.DescribeImages"]);
//! assert!(calls("aws:executeScript").is_empty());
//! ```

use runbook_engine::syntax::Node;
use runbook_engine::template::Template;

/// A call an action makes on its own, and when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActionCall {
    /// The service, as botocore names it (`ec2`).
    pub service: &'static str,
    /// The operation, as the API spells it (`DescribeImages`).
    pub api: &'static str,
    /// When the action makes it.
    pub when: When,
}

/// When an action makes a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// Every time.
    Always,
    /// When one of these inputs is given.
    Given(&'static [&'static str]),
    /// When `input` is one of `values` (ignoring case) or a template; when it is absent, as
    /// `absent` says.
    Is {
        /// The input.
        input: &'static str,
        /// The values that make the call.
        values: &'static [&'static str],
        /// Whether the call is made when the input is not given.
        absent: bool,
    },
}

impl When {
    /// Whether the call is made by a step with these `inputs` (its `inputs` map).
    pub fn holds(&self, inputs: Option<&Node>) -> bool {
        let input = |name: &str| inputs.and_then(|inputs| inputs.get(name));
        match *self {
            Self::Always => true,
            Self::Given(names) => names.iter().any(|name| input(name).is_some()),
            Self::Is { input: name, values, absent } => match input(name) {
                None => absent,
                Some(node) => match node.scalar_text() {
                    Some(text) if Template::parse(&text).has_references() => true,
                    Some(text) => values.iter().any(|value| value.eq_ignore_ascii_case(&text)),
                    // Not a scalar: the step fails on its inputs before calling anything.
                    None => false,
                },
            },
        }
    }
}

const fn always(service: &'static str, api: &'static str) -> ActionCall {
    ActionCall { service, api, when: When::Always }
}

const fn when(service: &'static str, api: &'static str, when: When) -> ActionCall {
    ActionCall { service, api, when }
}

const DESIRED_STATE: &str = "DesiredState";

const APPROVE: &[ActionCall] = &[when("sns", "Publish", When::Given(&["NotificationArn"]))];

const CHANGE_INSTANCE_STATE: &[ActionCall] = &[
    when(
        "ec2",
        "StartInstances",
        When::Is { input: DESIRED_STATE, values: &["running"], absent: false },
    ),
    when(
        "ec2",
        "StopInstances",
        When::Is { input: DESIRED_STATE, values: &["stopped"], absent: false },
    ),
    when(
        "ec2",
        "TerminateInstances",
        When::Is { input: DESIRED_STATE, values: &["terminated"], absent: false },
    ),
    always("ec2", "DescribeInstances"),
    when(
        "ec2",
        "DescribeInstanceStatus",
        When::Is { input: DESIRED_STATE, values: &["running"], absent: false },
    ),
];

const COPY_IMAGE: &[ActionCall] = &[always("ec2", "CopyImage"), always("ec2", "DescribeImages")];

const CREATE_IMAGE: &[ActionCall] =
    &[always("ec2", "CreateImage"), always("ec2", "DescribeImages")];

const CREATE_STACK: &[ActionCall] = &[
    always("cloudformation", "CreateStack"),
    always("cloudformation", "DescribeStacks"),
    when("iam", "PassRole", When::Given(&["RoleARN"])),
];

const CREATE_TAGS: &[ActionCall] = &[
    when("ec2", "CreateTags", When::Is { input: "ResourceType", values: &["EC2"], absent: true }),
    when(
        "ssm",
        "AddTagsToResource",
        When::Is {
            input: "ResourceType",
            values: &["ManagedInstance", "MaintenanceWindow", "Parameter"],
            absent: false,
        },
    ),
];

const DELETE_IMAGE: &[ActionCall] = &[
    always("ec2", "DescribeImages"),
    always("ec2", "DeregisterImage"),
    always("ec2", "DeleteSnapshot"),
];

const DELETE_STACK: &[ActionCall] = &[
    always("cloudformation", "DeleteStack"),
    always("cloudformation", "DescribeStacks"),
    when("iam", "PassRole", When::Given(&["RoleARN"])),
];

const EXECUTE_AUTOMATION: &[ActionCall] =
    &[always("ssm", "StartAutomationExecution"), always("ssm", "GetAutomationExecution")];

const EXECUTE_STATE_MACHINE: &[ActionCall] =
    &[always("stepfunctions", "StartExecution"), always("stepfunctions", "DescribeExecution")];

const INVOKE_LAMBDA_FUNCTION: &[ActionCall] = &[always("lambda", "Invoke")];

const INVOKE_WEBHOOK: &[ActionCall] = &[always("ssm", "GetParameter")];

const RUN_COMMAND: &[ActionCall] = &[
    always("ssm", "SendCommand"),
    always("ssm", "ListCommands"),
    always("ssm", "ListCommandInvocations"),
];

const RUN_INSTANCES: &[ActionCall] = &[
    always("ec2", "RunInstances"),
    always("ec2", "DescribeInstances"),
    when("iam", "PassRole", When::Given(&["IamInstanceProfileArn", "IamInstanceProfileName"])),
];

/// The calls the action `action` (`aws:createImage`) makes on its own; empty for an action that
/// makes none or that the service does not have.
pub fn calls(action: &str) -> &'static [ActionCall] {
    match action {
        "aws:approve" => APPROVE,
        "aws:changeInstanceState" => CHANGE_INSTANCE_STATE,
        "aws:copyImage" => COPY_IMAGE,
        "aws:createImage" => CREATE_IMAGE,
        "aws:createStack" => CREATE_STACK,
        "aws:createTags" => CREATE_TAGS,
        "aws:deleteImage" => DELETE_IMAGE,
        "aws:deleteStack" => DELETE_STACK,
        "aws:executeAutomation" => EXECUTE_AUTOMATION,
        "aws:executeStateMachine" => EXECUTE_STATE_MACHINE,
        "aws:invokeLambdaFunction" => INVOKE_LAMBDA_FUNCTION,
        "aws:invokeWebhook" => INVOKE_WEBHOOK,
        "aws:runCommand" => RUN_COMMAND,
        "aws:runInstances" => RUN_INSTANCES,
        // aws:assertAwsResourceProperty, aws:executeAwsApi, aws:waitForAwsResourceProperty: the
        // call their inputs name; aws:executeScript: its script's; the control actions: none.
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use runbook_engine::catalog::ACTIONS;
    use runbook_engine::syntax::parse_yaml;

    use super::*;

    fn inputs(yaml: &str) -> Node {
        parse_yaml(yaml).expect("test inputs parse")
    }

    fn made(action: &str, yaml: &str) -> Vec<&'static str> {
        let inputs = inputs(yaml);
        calls(action)
            .iter()
            .filter(|call| call.when.holds(Some(&inputs)))
            .map(|call| call.api)
            .collect()
    }

    #[test]
    fn every_action_that_calls_aws_is_listed() {
        let silent = [
            "aws:assertAwsResourceProperty",
            "aws:branch",
            "aws:executeAwsApi",
            "aws:executeScript",
            "aws:loop",
            "aws:pause",
            "aws:sleep",
            "aws:updateVariable",
            "aws:waitForAwsResourceProperty",
        ];
        for spec in ACTIONS {
            let listed = !calls(spec.name).is_empty();
            assert_eq!(listed, !silent.contains(&spec.name), "{}", spec.name);
        }
    }

    #[test]
    fn the_desired_state_picks_the_call() {
        assert_eq!(
            made("aws:changeInstanceState", "{DesiredState: stopped}"),
            ["StopInstances", "DescribeInstances"]
        );
        assert_eq!(
            made("aws:changeInstanceState", "{DesiredState: Running}"),
            ["StartInstances", "DescribeInstances", "DescribeInstanceStatus"]
        );
        assert_eq!(
            made("aws:changeInstanceState", "{DesiredState: '{{ State }}'}"),
            [
                "StartInstances",
                "StopInstances",
                "TerminateInstances",
                "DescribeInstances",
                "DescribeInstanceStatus"
            ]
        );
    }

    #[test]
    fn optional_calls_follow_their_inputs() {
        assert_eq!(made("aws:createTags", "{ResourceIds: [i-1]}"), ["CreateTags"]);
        assert_eq!(made("aws:createTags", "{ResourceType: Parameter}"), ["AddTagsToResource"]);
        assert!(made("aws:approve", "{Approvers: [a]}").is_empty());
        assert_eq!(made("aws:approve", "{NotificationArn: arn}"), ["Publish"]);
        assert_eq!(
            made("aws:runInstances", "{ImageId: ami-1}"),
            ["RunInstances", "DescribeInstances"]
        );
    }
}
