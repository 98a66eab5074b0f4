//! `runbook-actions`: the `aws:*` actions of Automation runbooks, one module per action, each
//! written against the engine's host interfaces only.
//!
//! [`standard()`] lists every action of this crate, ready for an
//! [`Executor`](runbook_engine::Executor). Each action's module says which AWS calls it
//! makes, its outputs, how it waits and how it fails. Waits poll every [`POLL_INTERVAL`] on the
//! run's clock, so a one-hour wait on the virtual clock takes no real time.
//! [`permissions::calls`] lists, for every action, the calls it makes on its own.
//!
//! ```
//! use std::sync::Arc;
//! use runbook_engine::{Executor, Host, Plan, RunOptions};
//! use runbook_engine::host::{ApiError, ApiRequest, AwsBackend, BoxFuture, VirtualClock, virtual_runtime};
//! use runbook_engine::record::Status;
//! use runbook_engine::{Document, document::Format};
//! use serde_json::{Value, json};
//!
//! struct Running;
//! impl AwsBackend for Running {
//!     fn call(&self, _: ApiRequest) -> BoxFuture<'_, Result<Value, ApiError>> {
//!         Box::pin(async { Ok(json!({"Reservations": [{"Instances": [{"State": {"Name": "running"}}]}]})) })
//!     }
//! }
//!
//! let text = "schemaVersion: '0.3'\nmainSteps:\n- name: check\n  action: aws:assertAwsResourceProperty\n  inputs: {Service: ec2, Api: DescribeInstances, PropertySelector: '$.Reservations[0].Instances[0].State.Name', DesiredValues: [running]}\n";
//! let document = Document::parse("check.yaml", text.to_string(), Format::Yaml)?;
//! let execution = virtual_runtime()?.block_on(async {
//!     let clock = Arc::new(VirtualClock::new("2026-01-01T00:00:00Z".parse()?));
//!     let executor = Executor::new(Arc::new(runbook_actions::standard()), Host::new(Arc::new(Running), clock));
//!     let plan = Arc::new(Plan::new(Arc::new(document)));
//!     Ok::<_, Box<dyn std::error::Error>>(executor.run(plan, RunOptions::default()).await?)
//! })?;
//! assert_eq!(execution.automation_execution_status, Status::Success);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod assert_property;
pub mod change_instance_state;
pub mod copy_image;
pub mod create_image;
pub mod create_stack;
pub mod create_tags;
pub mod delete_image;
pub mod delete_stack;
pub mod execute_aws_api;
pub mod execute_script;
pub mod execute_state_machine;
pub mod invoke_lambda;
pub mod invoke_webhook;
pub mod permissions;
pub mod run_command;
pub mod run_instances;
pub mod script;
mod support;
pub mod wait_for_property;

use runbook_engine::action::Actions;

pub use support::POLL_INTERVAL;

use crate::permissions::ActionCall;

/// One action of this crate: its name and the calls it makes on its own, as its module
/// declares them, and how to register it.
struct Entry {
    name: &'static str,
    calls: &'static [ActionCall],
    register: fn(&mut Actions),
}

macro_rules! entries {
    ($($module:ident::$action:ident),* $(,)?) => {
        &[$(Entry {
            name: $module::NAME,
            calls: $module::CALLS,
            register: |actions| {
                actions.register($module::$action);
            },
        }),*]
    };
}

/// Every action of this crate: [`standard()`] and [`permissions::calls`] both read this list.
const STANDARD: &[Entry] = entries![
    execute_aws_api::ExecuteAwsApi,
    assert_property::AssertAwsResourceProperty,
    wait_for_property::WaitForAwsResourceProperty,
    change_instance_state::ChangeInstanceState,
    create_image::CreateImage,
    copy_image::CopyImage,
    delete_image::DeleteImage,
    create_tags::CreateTags,
    run_instances::RunInstances,
    create_stack::CreateStack,
    delete_stack::DeleteStack,
    invoke_lambda::InvokeLambdaFunction,
    execute_state_machine::ExecuteStateMachine,
    run_command::RunCommand,
    invoke_webhook::InvokeWebhook,
    execute_script::ExecuteScript,
];

/// Every action of this crate, registered. The control actions (`aws:branch`, `aws:loop`, ...)
/// are built into the engine; an action registered nowhere fails its step with an
/// `unsupported action` error.
pub fn standard() -> Actions {
    let mut actions = Actions::new();
    for entry in STANDARD {
        (entry.register)(&mut actions);
    }
    actions
}

#[cfg(test)]
mod tests {
    use runbook_engine::action::CONTROL_ACTIONS;
    use runbook_engine::catalog::ACTIONS;

    use super::*;

    #[test]
    fn every_catalog_action_is_registered_or_run_by_the_engine() {
        let registered: Vec<&str> = standard().names().collect();
        for spec in &ACTIONS {
            let here = registered.contains(&spec.name);
            let engine = CONTROL_ACTIONS.contains(&spec.name);
            assert!(here != engine, "{}: registered {here}, run by the engine {engine}", spec.name);
        }
        assert_eq!(registered.len() + CONTROL_ACTIONS.len(), ACTIONS.len());
    }

    #[test]
    fn each_action_answers_to_the_name_its_module_declares() {
        let registered: Vec<&str> = standard().names().collect();
        let declared: Vec<&str> = STANDARD.iter().map(|entry| entry.name).collect();
        assert_eq!(registered.len(), declared.len());
        for name in declared {
            assert!(registered.contains(&name), "{name}");
        }
    }
}
