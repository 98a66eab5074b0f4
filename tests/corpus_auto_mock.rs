//! Every corpus runbook walked with `--auto-mock` semantics: each AWS call answered by a
//! placeholder built from the operation's output shape, each script by an empty result. Every
//! run reaches a terminal status with a well-formed record, and every step that fails fails for
//! a reason of the runbook's (a selector reading a placeholder, a wait for a state the
//! placeholder does not have, a timeout), never because the engine or the placeholders could not
//! do something: no `unsupported` step (but AWS's internal actions) and no call the placeholders
//! cannot answer.
//!
//! Needs botocore's models (`pip install botocore`, or `RUNBOOK_AWS_MODELS`).

use std::sync::Arc;

use indexmap::IndexMap;
use runbook::{Loader, Refused, Session};
use runbook_aws::mock::auto::{AUTO_MOCK_UNAVAILABLE, Placeholders};
use runbook_aws::model::Models;
use runbook_engine::host::{
    BoxFuture, ScriptCalls, ScriptError, ScriptOutput, ScriptRequest, ScriptRunner, virtual_runtime,
};
use runbook_engine::record::{Execution, Status};
use serde_json::{Value, json};

use crate::corpus_runs::{INTERNAL_ACTIONS, generated};
use crate::support::corpus_files;

/// What the engine refuses by design and says so: runs in other accounts and regions. The
/// Security Hub playbooks reach it once their parsing step's outputs, empty on placeholders,
/// are left as written (RULINGS 12) instead of failing the step that reads them.
const KNOWN_LIMITS: &[&str] = &["unsupported input `TargetLocations` of aws:executeAutomation"];

/// Scripts answer an empty map, as a placeholder would.
struct EmptyScripts;

impl ScriptRunner for EmptyScripts {
    fn run<'a>(
        &'a self,
        _: ScriptRequest,
        _: &'a dyn ScriptCalls,
    ) -> BoxFuture<'a, Result<ScriptOutput, ScriptError>> {
        Box::pin(async { Ok(ScriptOutput { payload: json!({}), ..ScriptOutput::default() }) })
    }
}

/// Every failure message in the record, child runs included, with the step it belongs to.
fn failures(execution: &Execution, out: &mut Vec<(String, String, String)>) {
    for step in &execution.step_executions {
        if let Some(message) = &step.failure_message {
            out.push((step.step_name.clone(), step.action.clone(), message.clone()));
        }
        if let Some(child) = &step.child {
            failures(child, out);
        }
    }
}

#[test]
fn every_corpus_runbook_walks_on_placeholders_to_a_terminal_status() {
    let models = Models::discover(None)
        .unwrap_or_else(|error| panic!("this test needs botocore's models: {error}"));
    let runtime = virtual_runtime().unwrap();
    let mut statuses: IndexMap<Status, usize> = IndexMap::new();
    let mut engine_errors = Vec::new();
    let mut known_limits = 0usize;
    let mut started = 0usize;
    let mut calls = 0usize;
    for (name, path) in corpus_files() {
        let validated = Loader::new().load(&path).unwrap_or_else(|error| panic!("{name}: {error}"));
        let has_errors = validated.report().has_errors();
        let mut parameters: IndexMap<String, Value> = validated
            .document()
            .parameters
            .iter()
            .filter(|parameter| parameter.is_required())
            .map(|parameter| (parameter.name.value.clone(), generated(parameter)))
            .collect();
        // Runbooks with errors run too: a started run must end whatever the document holds.
        let runbook = validated.into_runbook_despite_errors();
        let session = Session::new()
            .scripts(Arc::new(EmptyScripts))
            .auto_mock(Placeholders::new(models.clone()))
            .start_time("2026-01-01T00:00:00Z".parse().unwrap());
        let execution = loop {
            let run = session.clone().parameters(parameters.clone());
            match runtime.block_on(run.run_async(&runbook)) {
                Ok(finished) => break Some(finished.execution),
                // A default the run refuses is replaced by a generated value, as a user would.
                Err(Refused { error, .. }) if !parameters.contains_key(&error.parameter) => {
                    let parameter = runbook
                        .document()
                        .parameter(&error.parameter)
                        .expect("errors name a parameter");
                    parameters.insert(error.parameter.clone(), generated(parameter));
                }
                Err(_) if has_errors => break None,
                Err(error) => panic!("{name}: the run did not start: {error}"),
            }
        };
        let Some(execution) = execution else { continue };
        started += 1;
        calls += execution.calls.len();
        let status = execution.automation_execution_status;
        assert!(status.is_terminal(), "{name}: the run ended {status}");
        let record: Value = serde_json::from_str(&execution.to_json()).expect("the record is JSON");
        assert_eq!(record["AutomationExecutionStatus"], status.as_str(), "{name}");
        let mut found = Vec::new();
        failures(&execution, &mut found);
        for (step, action, message) in found {
            let internal = INTERNAL_ACTIONS.contains(&action.as_str());
            if KNOWN_LIMITS.iter().any(|limit| message.starts_with(limit)) {
                known_limits += 1;
            } else if (message.starts_with("unsupported") && !internal)
                || message.contains(AUTO_MOCK_UNAVAILABLE)
            {
                engine_errors.push(format!("{name}: {step} ({action}): {message}"));
            }
        }
        *statuses.entry(status).or_default() += 1;
    }
    eprintln!(
        "corpus walks on placeholders: {started} runs, {calls} calls, statuses {statuses:?}, \
         {known_limits} steps stopped at a known limit"
    );
    assert!(
        engine_errors.is_empty(),
        "steps that failed for the engine's or the placeholders' reasons:\n{}",
        engine_errors.join("\n")
    );
    assert!(started >= 690, "only {started} runs started");
}
