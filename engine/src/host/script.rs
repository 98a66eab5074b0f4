//! Running the script of an `aws:executeScript` step: the request the action makes, the AWS
//! calls the script makes while it runs ([`ScriptCalls`]) and what comes back. The Python runner
//! runs it for real in a child process; tests use stand-ins.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use super::{ApiError, BoxFuture};

/// A file attachment (`.py` or `.zip`) named by a step's `Attachment`, found on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptAttachment {
    /// The attachment's name in the runbook's `files`.
    pub name: String,
    /// Where the file is.
    pub path: PathBuf,
}

/// One script to run.
#[derive(Clone, Debug)]
pub struct ScriptRequest {
    /// The step's name.
    pub step: String,
    /// `Runtime`, as written (`python3.11`, `PowerShell 7.4`).
    pub runtime: String,
    /// `Handler`: a function name, or `file.function` with an attachment.
    pub handler: Option<String>,
    /// The step's inline `Script`. A step may give both this and an attachment: the script
    /// then runs with the attachment's files at hand (a Python `.zip` of libraries, PowerShell
    /// modules).
    pub script: Option<String>,
    /// The step's `Attachment`.
    pub attachment: Option<ScriptAttachment>,
    /// `InputPayload`, passed to the handler as `events`.
    pub input_payload: Value,
    /// The longest the script may run, in real time.
    pub timeout: Duration,
    /// Extra environment variables (the AWS endpoint and credentials the run uses).
    pub env: Vec<(String, String)>,
}

/// A script that finished.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScriptOutput {
    /// The handler's return value, as JSON.
    pub payload: Value,
    /// What the script wrote to standard output.
    pub stdout: String,
    /// What the script wrote to standard error.
    pub stderr: String,
    /// Things worth telling the user that did not stop the script (a Python version that is
    /// not the one the runbook asks for).
    pub warnings: Vec<String>,
}

/// Why a script did not produce a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScriptErrorKind {
    /// The script raised an exception.
    Exception,
    /// The script ran longer than its limit and was stopped.
    Timeout,
    /// The result is larger than the service allows.
    OutputTooLarge,
    /// No interpreter for the runtime is installed.
    RuntimeNotFound,
    /// The step's inputs cannot be run (no handler, a missing attachment, ...).
    InvalidInput,
    /// Something went wrong around the script (a failed process start, unreadable output).
    Internal,
}

/// A script that did not produce a result.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ScriptError {
    /// What kind of failure.
    pub kind: ScriptErrorKind,
    /// What happened, as the step's failure message (for an exception: type, message and
    /// traceback, as the service shows them).
    pub message: String,
    /// What the script wrote to standard output before it failed.
    pub stdout: String,
    /// What the script wrote to standard error before it failed.
    pub stderr: String,
    /// Things worth telling the user besides the failure (see [`ScriptOutput::warnings`]).
    pub warnings: Vec<String>,
}

impl ScriptError {
    /// An error of `kind` with `message` and no output.
    pub fn new(kind: ScriptErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            stdout: String::new(),
            stderr: String::new(),
            warnings: Vec::new(),
        }
    }
}

/// What a running script may ask of the run: the AWS calls it makes, answered as the runbook's
/// own calls are (recorded under the script's step), and waits on the run's clock. A runner
/// whose scripts reach AWS by themselves uses it only to report the calls they made.
pub trait ScriptCalls: Send + Sync {
    /// Makes the AWS call `service`.`api` with `params` for the script.
    fn call<'a>(
        &'a self,
        service: &'a str,
        api: &'a str,
        params: Value,
    ) -> BoxFuture<'a, Result<Value, ApiError>>;

    /// Waits `duration` on the run's clock for the script.
    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()>;

    /// Records a call the script made to AWS by itself, with the answer AWS gave, as the
    /// runbook's own calls are recorded (a runner reports these when the run records its calls
    /// and the script reaches AWS directly).
    fn observed(&self, service: &str, api: &str, params: Value, answer: Result<Value, ApiError>) {
        let _ = (service, api, params, answer);
    }
}

/// Answers no call: each is an error saying that the script's calls cannot be answered here.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoScriptCalls;

/// The error code of a script's AWS call that nothing can answer.
pub const SCRIPT_CALL_UNANSWERED: &str = "ScriptCallUnanswered";

impl ScriptCalls for NoScriptCalls {
    fn call<'a>(
        &'a self,
        service: &'a str,
        api: &'a str,
        _: Value,
    ) -> BoxFuture<'a, Result<Value, ApiError>> {
        Box::pin(async move {
            Err(ApiError::new(
                SCRIPT_CALL_UNANSWERED,
                format!("{service}.{api} cannot be answered: no AWS backend is at hand"),
            ))
        })
    }

    fn sleep(&self, _: Duration) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// Runs `aws:executeScript` scripts.
pub trait ScriptRunner: Send + Sync {
    /// Runs one script to completion; `calls` answers the AWS calls the script makes when the
    /// runner hands them to the run rather than letting the script reach AWS itself.
    fn run<'a>(
        &'a self,
        request: ScriptRequest,
        calls: &'a dyn ScriptCalls,
    ) -> BoxFuture<'a, Result<ScriptOutput, ScriptError>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn _obj_safe(_: &dyn ScriptRunner, _: &dyn ScriptCalls) {}
}
