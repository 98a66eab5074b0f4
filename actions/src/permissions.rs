//! The AWS calls each action makes on its own, as the service makes them: what a runbook's
//! role must be allowed besides the calls its `aws:executeAwsApi`, `aws:assertAwsResourceProperty`
//! and `aws:waitForAwsResourceProperty` steps name in `Service` and `Api`.
//!
//! Each action module declares its own calls (`CALLS`, beside its `NAME`); the calls of the
//! control actions the engine runs itself are listed here.
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
use runbook_engine::template::has_references;

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
                    Some(text) if has_references(&text) => true,
                    Some(text) => values.iter().any(|value| value.eq_ignore_ascii_case(&text)),
                    // Not a scalar: the step fails on its inputs before calling anything.
                    None => false,
                },
            },
        }
    }
}

pub(crate) const fn always(service: &'static str, api: &'static str) -> ActionCall {
    ActionCall { service, api, when: When::Always }
}

pub(crate) const fn when(service: &'static str, api: &'static str, when: When) -> ActionCall {
    ActionCall { service, api, when }
}

/// The calls of the control actions that make any, which the engine runs itself
/// ([`CONTROL_ACTIONS`](runbook_engine::action::CONTROL_ACTIONS)); this crate's actions declare theirs in their modules.
const CONTROL_CALLS: &[(&str, &[ActionCall])] = &[
    ("aws:approve", &[when("sns", "Publish", When::Given(&["NotificationArn"]))]),
    (
        "aws:executeAutomation",
        &[always("ssm", "StartAutomationExecution"), always("ssm", "GetAutomationExecution")],
    ),
];

/// The calls the action `action` (`aws:createImage`) makes on its own; empty for an action that
/// makes none or that the service does not have.
pub fn calls(action: &str) -> &'static [ActionCall] {
    crate::STANDARD
        .iter()
        .map(|entry| (entry.name, entry.calls))
        .chain(CONTROL_CALLS.iter().copied())
        .find_map(|(name, calls)| (name == action).then_some(calls))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use runbook_engine::action::CONTROL_ACTIONS;
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
        for spec in &ACTIONS {
            let listed = !calls(spec.name).is_empty();
            assert_eq!(listed, !silent.contains(&spec.name), "{}", spec.name);
        }
    }

    #[test]
    fn control_calls_are_of_control_actions() {
        for (name, _) in CONTROL_CALLS {
            assert!(CONTROL_ACTIONS.contains(name), "{name}");
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
