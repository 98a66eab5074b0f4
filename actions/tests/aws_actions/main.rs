//! The AWS actions of `runbook-actions`, each run inside a runbook through the engine's
//! executor with `standard()`, on the scripted mock backend and the virtual clock: success
//! paths, each failure path, outputs and the calls made.

mod support;

mod assert_property;
mod catalog;
mod change_instance_state;
mod create_tags;
mod execute_aws_api;
mod images;
mod invoke_lambda;
mod invoke_webhook;
mod run_command;
mod run_instances;
mod stacks;
mod state_machine;
mod wait_for_property;
