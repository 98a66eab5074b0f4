//! Running the script of an `aws:executeScript` step: the request the action makes and what
//! comes back. The Python runner runs it for real in a child process; tests use stand-ins.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use super::BoxFuture;

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

/// Runs `aws:executeScript` scripts.
pub trait ScriptRunner: Send + Sync {
    /// Runs one script to completion.
    fn run(&self, request: ScriptRequest) -> BoxFuture<'_, Result<ScriptOutput, ScriptError>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn _obj_safe(_: &dyn ScriptRunner) {}
}
