//! `runbook-actions`: the `aws:*` actions of Automation runbooks, one module per action, each
//! written against the engine's host interfaces only.

pub mod execute_script;
pub mod script;

/// Every action of this crate, for an executor. The control actions (`aws:branch`, `aws:loop`,
/// ...) are built into the engine; an action not registered here fails its step with an
/// `unsupported action` error.
pub fn standard() -> runbook_engine::execute::Actions {
    let mut actions = runbook_engine::execute::Actions::new();
    actions.register(execute_script::ExecuteScript);
    actions
}
