//! [`StandInScripts`]: the script runner of runs on mocks. A step the mock file gives a
//! stand-in result (`scripts: {STEP: ...}`) gets that result without running anything; every
//! other step's script runs with the fallback runner.

use std::fmt;
use std::sync::Arc;

use runbook_engine::host::{
    BoxFuture, ScriptCalls, ScriptError, ScriptErrorKind, ScriptOutput, ScriptRequest, ScriptRunner,
};

use super::MockFile;

/// Answers `aws:executeScript` steps from a mock file's `scripts`, and hands the rest to
/// another runner.
///
/// - `returns: VALUE`: the handler is taken to have returned `VALUE`;
/// - `rhai: "..."`: it returned what the script computes, with the step's `InputPayload` as
///   `events`; what the script prints is the step's standard output;
/// - `error: "..."`: it raised, with that message as the step's failure message.
#[derive(Clone)]
pub struct StandInScripts {
    file: Arc<MockFile>,
    fallback: Arc<dyn ScriptRunner>,
}

impl StandInScripts {
    /// Stand-ins from `file`, with `fallback` running every step the file does not name.
    pub fn new(file: Arc<MockFile>, fallback: Arc<dyn ScriptRunner>) -> Self {
        Self { file, fallback }
    }

    /// The mock file the stand-ins come from.
    pub fn file(&self) -> &Arc<MockFile> {
        &self.file
    }

    /// The stand-in answer for `request`, or `None` when the file has none for its step.
    pub fn answer(&self, request: &ScriptRequest) -> Option<Result<ScriptOutput, ScriptError>> {
        let stand_in = self.file.scripts.get(&request.step)?;
        let answer = match stand_in.evaluate(&request.input_payload) {
            Ok(evaluation) => Ok(ScriptOutput {
                payload: evaluation.value,
                stdout: evaluation.printed.iter().flat_map(|line| [line.as_str(), "\n"]).collect(),
                ..ScriptOutput::default()
            }),
            Err(message) => Err(ScriptError::new(ScriptErrorKind::Exception, message)),
        };
        Some(answer)
    }
}

impl fmt::Debug for StandInScripts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StandInScripts")
            .field("file", &self.file.origin)
            .field("steps", &self.file.scripts.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl ScriptRunner for StandInScripts {
    fn run<'a>(
        &'a self,
        request: ScriptRequest,
        calls: &'a dyn ScriptCalls,
    ) -> BoxFuture<'a, Result<ScriptOutput, ScriptError>> {
        match self.answer(&request) {
            Some(answer) => Box::pin(async move { answer }),
            None => self.fallback.run(request, calls),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Mutex;
    use std::time::Duration;

    use runbook_engine::host::NoScriptCalls;
    use serde_json::{Value, json};

    use super::*;

    /// Records the steps it is asked to run and answers their payload back.
    #[derive(Default)]
    struct Echo(Mutex<Vec<String>>);

    impl ScriptRunner for Echo {
        fn run<'a>(
            &'a self,
            request: ScriptRequest,
            _: &'a dyn ScriptCalls,
        ) -> BoxFuture<'a, Result<ScriptOutput, ScriptError>> {
            self.0.lock().unwrap().push(request.step.clone());
            Box::pin(async move {
                Ok(ScriptOutput { payload: request.input_payload, ..ScriptOutput::default() })
            })
        }
    }

    fn request(step: &str, payload: Value) -> ScriptRequest {
        ScriptRequest {
            step: step.into(),
            runtime: "python3.11".into(),
            handler: Some("h".into()),
            script: Some("def h(e, c):\n    return e\n".into()),
            attachment: None,
            input_payload: payload,
            timeout: Duration::from_secs(600),
            env: Vec::new(),
        }
    }

    const MOCKS: &str = "scripts:\n  fixed: {returns: {Tags: [a]}}\n  computed:\n    rhai: |\n      print(\"doubling\");\n      #{double: events.n * 2}\n  broken: {error: 'ValueError - bad input'}\n  thrown: {rhai: 'throw \"no\"'}\n";

    fn run(runner: &StandInScripts, request: ScriptRequest) -> Result<ScriptOutput, ScriptError> {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(runner.run(request, &NoScriptCalls))
    }

    #[test]
    fn stand_ins_answer_and_other_steps_run() {
        let file = MockFile::parse(Path::new("mocks.yaml"), MOCKS).unwrap();
        let echo = Arc::new(Echo::default());
        let runner = StandInScripts::new(Arc::new(file), echo.clone());

        let fixed = run(&runner, request("fixed", json!({}))).unwrap();
        assert_eq!(fixed.payload, json!({"Tags": ["a"]}));
        assert_eq!(fixed.stdout, "");

        let computed = run(&runner, request("computed", json!({"n": 21}))).unwrap();
        assert_eq!(computed.payload, json!({"double": 42}));
        assert_eq!(computed.stdout, "doubling\n");

        let broken = run(&runner, request("broken", json!({}))).unwrap_err();
        assert_eq!(broken.kind, ScriptErrorKind::Exception);
        assert_eq!(broken.message, "ValueError - bad input");

        let thrown = run(&runner, request("thrown", json!({}))).unwrap_err();
        assert_eq!(thrown.kind, ScriptErrorKind::Exception);
        assert!(
            thrown.message.starts_with("the stand-in script for step `thrown` (mocks.yaml:"),
            "{}",
            thrown.message
        );

        let other = run(&runner, request("other", json!({"k": "v"}))).unwrap();
        assert_eq!(other.payload, json!({"k": "v"}));
        assert_eq!(*echo.0.lock().unwrap(), ["other"]);
    }
}
