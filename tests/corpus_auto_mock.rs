//! Every corpus runbook walked with `--auto-mock` semantics: each AWS call answered by a
//! placeholder built from the operation's output shape, each script by an empty result. Every
//! run reaches a terminal status with a well-formed record, and every step that fails fails for
//! a reason of the runbook's (a selector reading a placeholder, a wait for a state the
//! placeholder does not have, a timeout), never because the engine or the placeholders could not
//! do something: no `unsupported` step (but AWS's internal actions) and no call the placeholders
//! cannot answer.
//!
//! Needs botocore's models (`pip install botocore`, or `RUNBOOK_AWS_MODELS`).

use std::path::PathBuf;
use std::sync::Arc;

use indexmap::IndexMap;
use runbook::{Loader, Refused, Session};
use runbook_aws::mock::auto::{AUTO_MOCK_UNAVAILABLE, Placeholders};
use runbook_aws::model::Models;
use runbook_engine::document::{Document, Format};
use runbook_engine::host::{
    BoxFuture, DocumentStore, ScriptCalls, ScriptError, ScriptOutput, ScriptRequest, ScriptRunner,
    virtual_runtime,
};
use runbook_engine::record::{Execution, Status, StepExecution};
use serde_json::{Value, json};

use crate::corpus_runs::{INTERNAL_ACTIONS, generated};
use crate::support::corpus_files;

/// Child runbooks from the corpus, by the name a step gives: a file whose name ends in
/// `__NAME` (`ASR-NAME` for the Security Hub playbooks, whose remediations are published under
/// that prefix), in the parent's repository first.
struct CorpusDocuments {
    repository: PathBuf,
    index: Arc<IndexMap<String, Vec<PathBuf>>>,
}

impl CorpusDocuments {
    fn index(files: &[(String, PathBuf)]) -> IndexMap<String, Vec<PathBuf>> {
        let mut index: IndexMap<String, Vec<PathBuf>> = IndexMap::new();
        for (_, path) in files {
            let stem = path.file_stem().and_then(|stem| stem.to_str()).unwrap_or_default();
            let name = stem.rsplit("__").next().unwrap_or(stem);
            index.entry(name.to_string()).or_default().push(path.clone());
        }
        index
    }
}

impl DocumentStore for CorpusDocuments {
    fn load(&self, name: &str) -> Result<Arc<Document>, String> {
        let name = name.rsplit('/').next().unwrap_or(name);
        let paths = self
            .index
            .get(name)
            .or_else(|| self.index.get(name.strip_prefix("ASR-")?))
            .ok_or_else(|| format!("document `{name}` is not in the corpus"))?;
        let path =
            paths.iter().find(|path| path.starts_with(&self.repository)).unwrap_or(&paths[0]);
        let text = std::fs::read_to_string(path).map_err(|error| error.to_string())?;
        Document::parse(path.clone(), text, Format::from_path(path))
            .map(Arc::new)
            .map_err(|error| error.to_string())
    }
}

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

/// The `aws:executeAutomation` steps with target locations in the record, child runs included.
fn located_steps<'a>(execution: &'a Execution, out: &mut Vec<&'a StepExecution>) {
    for step in &execution.step_executions {
        let located = ["TargetLocations", "TargetLocationsURL"]
            .iter()
            .any(|input| step.inputs.text(input).is_some());
        if step.action == "aws:executeAutomation" && located {
            out.push(step);
        }
        if let Some(child) = &step.child {
            located_steps(child, out);
        }
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
    let mut located: IndexMap<String, usize> = IndexMap::new();
    let mut started = 0usize;
    let mut calls = 0usize;
    let files = corpus_files();
    let index = Arc::new(CorpusDocuments::index(&files));
    for (name, path) in files {
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
        let documents = CorpusDocuments {
            repository: path.parent().map(PathBuf::from).unwrap_or_default(),
            index: index.clone(),
        };
        let session = Session::new()
            .document_store(Arc::new(documents))
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
            if (message.starts_with("unsupported") && !internal)
                || message.contains(AUTO_MOCK_UNAVAILABLE)
            {
                engine_errors.push(format!("{name}: {step} ({action}): {message}"));
            }
        }
        *statuses.entry(status).or_default() += 1;
        let mut steps = Vec::new();
        located_steps(&execution, &mut steps);
        for step in steps {
            // Each ends for a reason of its own: the run over its locations ended, or the
            // child runbook, named by a step input, is not among the corpus files given.
            let over = step.child.as_deref().and_then(|child| child.locations.as_ref());
            let outcome = match (over, step.failure_message.as_deref()) {
                (Some(_), _) => format!("ran over its locations: {}", step.step_status),
                (None, Some(message)) if message.contains("is not in the corpus") => {
                    "its child runbook is not in the corpus".to_string()
                }
                (None, Some(message)) if message.contains("has errors") => {
                    "its child runbook has errors".to_string()
                }
                // Placeholder values (outputs left as written) that the child's parameters refuse.
                (None, Some(message)) if message.starts_with("cannot start") => {
                    "its child refused the placeholder parameters".to_string()
                }
                (None, message) => {
                    engine_errors.push(format!(
                        "{name}: {} did not run over its locations: {message:?}",
                        step.step_name
                    ));
                    continue;
                }
            };
            *located.entry(outcome).or_default() += 1;
        }
    }
    eprintln!(
        "corpus walks on placeholders: {started} runs, {calls} calls, statuses {statuses:?}, \
         steps with target locations: {located:?}"
    );
    assert!(
        engine_errors.is_empty(),
        "steps that failed for the engine's or the placeholders' reasons:\n{}",
        engine_errors.join("\n")
    );
    assert!(started >= 690, "only {started} runs started");
    // Every step of the corpus with target locations was reached and ended for its own reason.
    assert_eq!(located.values().sum::<usize>(), 80, "steps with target locations: {located:?}");
}
