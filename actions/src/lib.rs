//! `runbook-actions`: the `aws:*` actions of Automation runbooks, one module per action, each
//! written against the engine's host interfaces only.

pub mod script;
