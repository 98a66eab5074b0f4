//! Running `aws:executeScript` scripts on this computer: Python with a local interpreter
//! ([`PythonRunner`]), PowerShell with `pwsh` when it is installed ([`PowerShellRunner`]), and
//! [`LocalScriptRunner`], which picks one by the step's `Runtime`.
//!
//! Each script runs in a child process of its own, in a scratch directory that is removed
//! afterwards, with the step's `InputPayload` as its input. On Unix the Python runner keeps a
//! warm interpreter (`warm.rs`): the first script runs in a new `python3` process and, once it has
//! ended, starts it in the background; later ones run in a child forked from it, with boto3
//! already imported, isolated from each other as new processes are. The runners give the service's
//! answers where it documents them:
//!
//! - the handler's return value becomes `Payload`; a list is cut to its first
//!   [`MAX_PAYLOAD_ITEMS`] items, and a payload whose JSON is larger than [`MAX_PAYLOAD_BYTES`]
//!   fails the step ([`ScriptErrorKind::OutputTooLarge`]);
//! - an exception fails the step with the service's message shape: the traceback, a blank
//!   line, then `Type - message`;
//! - a script that runs past its limit is killed, with its process group
//!   ([`ScriptErrorKind::Timeout`]).
//!
//! The runners block and use real time, so [`ScriptRunner::run`] moves the work to tokio's
//! blocking pool, where virtual time stands still while the script runs. It comes back to the
//! step's task to answer each AWS call the script hands over, since answering may wait on the
//! run's clock (a throttled call's retries, a waiter's delay).
//!
//! Two environment variables in [`ScriptRequest::env`] steer the Python bootstrap:
//! [`MOCK_AWS_ENV`] set to `mock` hands every botocore call of the script to the run, which
//! answers it through the step's [`ScriptCalls`] as it answers the runbook's own calls (the
//! exchange is in `bridge.rs`); otherwise the script reaches AWS itself, with the endpoint and
//! credentials the environment gives it, and with [`OBSERVE_AWS`] reports each call it made,
//! with its answer, so that a recorded run keeps its scripts' calls. [`CONTEXT_ENV`] holds the handler's `context` as a JSON
//! object (`{"automation:EXECUTION_ID": "...", "global:REGION": "..."}`).

mod bridge;
pub mod check;
mod powershell;
mod process;
mod python;
mod sealed;
#[cfg(unix)]
mod warm;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use runbook_engine::host::{
    BoxFuture, ScriptCalls, ScriptError, ScriptErrorKind, ScriptOutput, ScriptRequest, ScriptRunner,
};
use serde::Deserialize;
use serde_json::Value;

pub use bridge::UNANSWERED_CODES;
pub use powershell::PowerShellRunner;
pub use process::abandon_all;
pub use python::PythonRunner;

use process::Finished;

/// Set to `mock` in [`ScriptRequest::env`] when the run uses mocks: the AWS calls of a Python
/// script then go to the run's backend, through the [`ScriptCalls`] the runner is given. Set to
/// [`OBSERVE_AWS`] on a real run that records its calls.
pub const MOCK_AWS_ENV: &str = "RUNBOOK_SCRIPT_AWS";

/// The value of [`MOCK_AWS_ENV`] on a real run that records its calls: a Python script's
/// botocore still reaches AWS itself, and each call it made is reported, with its answer, to
/// [`ScriptCalls::observed`].
pub const OBSERVE_AWS: &str = "observe";

/// The shell's variables through which a script's SDK would find an identity other than the
/// credentials [`ScriptRequest::env`] gives it on a real run (the run's, or at a target
/// location the role assumed there): a profile or session would replace them, or break the SDK
/// (a profile it cannot find). They are removed when the request gives credentials.
pub(crate) const SHELL_IDENTITY: [&str; 5] = [
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
];

/// Whether `env`, a request's environment, gives the script credentials of its own.
pub(crate) fn gives_credentials(env: &[(String, String)]) -> bool {
    env.iter().any(|(name, _)| name == "AWS_ACCESS_KEY_ID")
}

/// Holds the handler's `context` as a JSON object in [`ScriptRequest::env`]. When it has no
/// `global:REGION`, the region of the AWS environment variables fills it in.
pub const CONTEXT_ENV: &str = "RUNBOOK_SCRIPT_CONTEXT";

/// The largest `Payload` the service returns: 100 KB of JSON.
pub const MAX_PAYLOAD_BYTES: usize = 100 * 1024;

/// The most items of a list `Payload` the service returns.
pub const MAX_PAYLOAD_ITEMS: usize = 100;

/// The most of a result file that is read: twice [`MAX_PAYLOAD_BYTES`], and a little for its
/// envelope. The Python bootstrap reports a larger payload by its size alone; a larger file
/// (a script that wrote its own, or linked it to `/dev/zero`) fails the step unread.
const MAX_RESULT_BYTES: usize = 2 * MAX_PAYLOAD_BYTES + 1024;

/// A `Runtime` value, read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    /// `python3.11` and the like; the version when it could be read.
    Python(Option<Version>),
    /// `PowerShell 7.4`, `PowerShell Core 6.0` and the like; the version when it could be read.
    PowerShell(Option<Version>),
}

impl Runtime {
    /// Reads a `Runtime` value; `None` when it names neither Python nor PowerShell.
    pub fn parse(text: &str) -> Option<Self> {
        let lower = text.trim().to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix("python") {
            Some(Self::Python(Version::parse(rest)))
        } else if lower.starts_with("powershell") {
            let version = lower.split_whitespace().last().and_then(Version::parse);
            Some(Self::PowerShell(version))
        } else {
            None
        }
    }
}

/// A language version: `3.11`, `7.4.1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    /// The major version.
    pub major: u32,
    /// The minor version.
    pub minor: u32,
    /// The patch level, when known.
    pub patch: Option<u32>,
}

impl Version {
    /// Reads `major.minor` or `major.minor.patch`.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.trim().split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let patch = match parts.next() {
            // A pre-release suffix (`7.5.0-preview.2`) does not matter here.
            Some(part) => {
                Some(part.split(|c: char| !c.is_ascii_digit()).next().unwrap_or("").parse().ok()?)
            }
            None => None,
        };
        Some(Self { major, minor, patch })
    }

    /// Whether `self` and `other` have the same major and minor version.
    pub fn same_release(self, other: Self) -> bool {
        (self.major, self.minor) == (other.major, other.minor)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)?;
        if let Some(patch) = self.patch {
            write!(f, ".{patch}")?;
        }
        Ok(())
    }
}

/// Runs each script with the local interpreter its `Runtime` asks for.
#[derive(Clone, Debug, Default)]
pub struct LocalScriptRunner {
    python: PythonRunner,
    powershell: PowerShellRunner,
}

impl LocalScriptRunner {
    /// A runner using `python` for Python (`python3` from `PATH` when `None`) and `pwsh` for
    /// PowerShell (`pwsh` from `PATH` when `None`).
    pub fn new(python: Option<PathBuf>, pwsh: Option<PathBuf>) -> Self {
        Self { python: PythonRunner::new(python), powershell: PowerShellRunner::new(pwsh) }
    }

    /// A runner with these two runners.
    pub fn from_runners(python: PythonRunner, powershell: PowerShellRunner) -> Self {
        Self { python, powershell }
    }

    /// The Python runner.
    pub fn python(&self) -> &PythonRunner {
        &self.python
    }

    /// The PowerShell runner.
    pub fn powershell(&self) -> &PowerShellRunner {
        &self.powershell
    }

    /// Runs one script to completion on the current thread (see
    /// [`PythonRunner::run_blocking`]).
    pub fn run_blocking(&self, request: &ScriptRequest) -> Result<ScriptOutput, ScriptError> {
        match Runtime::parse(&request.runtime) {
            Some(Runtime::Python(_)) => self.python.run_blocking(request),
            Some(Runtime::PowerShell(_)) => self.powershell.run_blocking(request),
            None => Err(ScriptError::new(
                ScriptErrorKind::InvalidInput,
                format!(
                    "unknown runtime `{}`: aws:executeScript runs python3.10, python3.11, \
                     python3.12 or PowerShell 7.4",
                    request.runtime
                ),
            )),
        }
    }
}

impl ScriptRunner for LocalScriptRunner {
    fn run<'a>(
        &'a self,
        request: ScriptRequest,
        calls: &'a dyn ScriptCalls,
    ) -> BoxFuture<'a, Result<ScriptOutput, ScriptError>> {
        match Runtime::parse(&request.runtime) {
            Some(Runtime::Python(_)) => self.python.run(request, calls),
            Some(Runtime::PowerShell(_)) => self.powershell.run(request, calls),
            None => {
                let runner = self.clone();
                run_on_blocking_pool(move || runner.run_blocking(&request))
            }
        }
    }
}

/// Runs `work` on tokio's blocking pool, where real work does not move virtual time.
fn run_on_blocking_pool(
    work: impl FnOnce() -> Result<ScriptOutput, ScriptError> + Send + 'static,
) -> BoxFuture<'static, Result<ScriptOutput, ScriptError>> {
    Box::pin(async move { blocking(work).await? })
}

/// Runs `work` on tokio's blocking pool, where real work does not move virtual time.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ScriptError> {
    tokio::task::spawn_blocking(work).await.map_err(|error| {
        ScriptError::new(
            ScriptErrorKind::Internal,
            format!("the script runner stopped unexpectedly: {error}"),
        )
    })
}

/// What the bootstrap or the PowerShell wrapper wrote to its result file.
#[derive(Debug, Deserialize)]
struct Outcome {
    ok: bool,
    #[serde(default)]
    payload: Value,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    message: Option<String>,
    /// How many items the handler's list had, when the bootstrap cut it.
    #[serde(default)]
    items: Option<usize>,
    /// The size of a payload too large to be written, as the bootstrap measured it.
    #[serde(default)]
    size: Option<usize>,
}

/// Reads the result file of a finished script; the error when there is none to read.
fn read_outcome(
    result: &Path,
    finished: &Finished,
    limit: Duration,
) -> Result<Outcome, ScriptError> {
    if finished.timed_out {
        return Err(failure(
            ScriptErrorKind::Timeout,
            format!(
                "the script ran longer than its limit of {} and was stopped",
                describe_duration(limit)
            ),
            finished,
        ));
    }
    let text = match read_bounded(result, MAX_RESULT_BYTES) {
        Ok(Some(text)) => text,
        Ok(None) => {
            return Err(failure(
                ScriptErrorKind::OutputTooLarge,
                format!(
                    "the script's output is more than {MAX_RESULT_BYTES} bytes of JSON; \
                     aws:executeScript returns at most 100 KB ({MAX_PAYLOAD_BYTES} bytes)"
                ),
                finished,
            ));
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let ended = match finished.status {
                Some(status) => describe_status(status),
                None => "ended".to_string(),
            };
            let last_line = finished.stderr.lines().rev().find(|line| !line.trim().is_empty());
            let message = match last_line {
                Some(line) => format!("the script {ended} before its handler returned: {line}"),
                None => format!("the script {ended} before its handler returned"),
            };
            return Err(failure(ScriptErrorKind::Exception, message, finished));
        }
        Err(error) => {
            return Err(failure(
                ScriptErrorKind::Internal,
                format!("cannot read the script's result: {error}"),
                finished,
            ));
        }
    };
    serde_json::from_str(&text).map_err(|error| {
        failure(
            ScriptErrorKind::Internal,
            format!("the script's result is not readable: {error}"),
            finished,
        )
    })
}

/// The text of the file at `path`, read up to `limit` bytes; `None` when it holds more.
fn read_bounded(path: &Path, limit: usize) -> std::io::Result<Option<String>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    let most = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    file.take(most).read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        return Ok(None);
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidData, error))
}

/// Turns an outcome into the step's output or failure, applying the service's output limits.
fn finish(
    outcome: Outcome,
    finished: Finished,
    warnings: &mut Vec<String>,
) -> Result<ScriptOutput, ScriptError> {
    if let Some(items) = outcome.items {
        warnings.push(list_cut_warning(items));
    }
    if !outcome.ok {
        if let (Some("output_too_large"), Some(size)) = (outcome.kind.as_deref(), outcome.size) {
            return Err(failure(ScriptErrorKind::OutputTooLarge, too_large(size), &finished));
        }
        let kind = match outcome.kind.as_deref() {
            Some("invalid_input") => ScriptErrorKind::InvalidInput,
            _ => ScriptErrorKind::Exception,
        };
        let message = outcome.message.unwrap_or_else(|| "the script failed".to_string());
        return Err(failure(kind, message, &finished));
    }
    let payload = match limit_payload(outcome.payload, warnings) {
        Ok(payload) => payload,
        Err(message) => return Err(failure(ScriptErrorKind::OutputTooLarge, message, &finished)),
    };
    Ok(ScriptOutput {
        payload,
        stdout: finished.stdout,
        stderr: finished.stderr,
        warnings: Vec::new(),
    })
}

/// Applies the service's limits on `Payload`: a list keeps its first [`MAX_PAYLOAD_ITEMS`]
/// items (with a warning); JSON larger than [`MAX_PAYLOAD_BYTES`] is an error.
pub fn limit_payload(mut payload: Value, warnings: &mut Vec<String>) -> Result<Value, String> {
    if let Value::Array(items) = &mut payload
        && items.len() > MAX_PAYLOAD_ITEMS
    {
        warnings.push(list_cut_warning(items.len()));
        items.truncate(MAX_PAYLOAD_ITEMS);
    }
    let size = serde_json::to_string(&payload).map_or(0, |text| text.len());
    if size > MAX_PAYLOAD_BYTES {
        return Err(too_large(size));
    }
    Ok(payload)
}

fn list_cut_warning(items: usize) -> String {
    format!(
        "the handler returned a list of {items} items; aws:executeScript keeps the first \
         {MAX_PAYLOAD_ITEMS}"
    )
}

fn too_large(size: usize) -> String {
    format!(
        "the script's output is {size} bytes of JSON; aws:executeScript returns at most 100 KB \
         ({MAX_PAYLOAD_BYTES} bytes)"
    )
}

fn failure(kind: ScriptErrorKind, message: String, finished: &Finished) -> ScriptError {
    ScriptError {
        stdout: finished.stdout.clone(),
        stderr: finished.stderr.clone(),
        ..ScriptError::new(kind, message)
    }
}

/// Puts `warnings`, gathered before and while the script ran, on its output or error.
fn with_warnings(
    outcome: Result<ScriptOutput, ScriptError>,
    mut warnings: Vec<String>,
) -> Result<ScriptOutput, ScriptError> {
    match outcome {
        Ok(output) => {
            warnings.extend(output.warnings);
            Ok(ScriptOutput { warnings, ..output })
        }
        Err(error) => Err(with_warning_list(error, warnings)),
    }
}

/// Puts `warnings` before the error's own.
fn with_warning_list(error: ScriptError, mut warnings: Vec<String>) -> ScriptError {
    warnings.extend(error.warnings);
    ScriptError { warnings, ..error }
}

fn describe_status(status: std::process::ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exited with status {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("was killed by signal {signal}");
        }
    }
    "ended".to_string()
}

/// `1 second`, `600 seconds`, `1.5 seconds`.
fn describe_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    let millis = duration.subsec_millis();
    match (seconds, millis) {
        (1, 0) => "1 second".to_string(),
        (_, 0) => format!("{seconds} seconds"),
        _ => {
            let text = format!("{seconds}.{millis:03}");
            format!("{} seconds", text.trim_end_matches('0'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn runtimes_are_read_with_their_versions() {
        let python =
            |major, minor| Some(Runtime::Python(Some(Version { major, minor, patch: None })));
        assert_eq!(Runtime::parse("python3.11"), python(3, 11));
        assert_eq!(Runtime::parse("python3.8"), python(3, 8));
        assert_eq!(Runtime::parse("Python3.12"), python(3, 12));
        assert_eq!(
            Runtime::parse("PowerShell Core 6.0"),
            Some(Runtime::PowerShell(Some(Version { major: 6, minor: 0, patch: None })))
        );
        assert_eq!(
            Runtime::parse("PowerShell 7.4"),
            Some(Runtime::PowerShell(Some(Version { major: 7, minor: 4, patch: None })))
        );
        assert_eq!(Runtime::parse("python"), Some(Runtime::Python(None)));
        assert_eq!(Runtime::parse("nodejs18.x"), None);
    }

    #[test]
    fn versions_read_patch_levels_and_ignore_suffixes() {
        assert_eq!(Version::parse("3.11.7"), Some(Version { major: 3, minor: 11, patch: Some(7) }));
        assert_eq!(
            Version::parse("7.5.0-preview.2"),
            Some(Version { major: 7, minor: 5, patch: Some(0) })
        );
        assert_eq!(Version::parse("3"), None);
        assert_eq!(Version::parse("x.1"), None);
        assert_eq!(Version::parse("3.11.7").map(|v| v.to_string()), Some("3.11.7".to_string()));
    }

    #[test]
    fn a_long_list_is_cut_with_a_warning() {
        let mut warnings = Vec::new();
        let payload = limit_payload(json!((0..150).collect::<Vec<_>>()), &mut warnings);
        assert_eq!(payload.map(|p| p.as_array().map(Vec::len)), Ok(Some(100)));
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("150 items"), "{warnings:?}");
    }

    #[test]
    fn a_payload_over_100_kb_is_an_error_and_one_at_the_limit_is_not() {
        let mut warnings = Vec::new();
        // A JSON string of n characters takes n + 2 bytes.
        let at_limit = json!("x".repeat(MAX_PAYLOAD_BYTES - 2));
        assert!(limit_payload(at_limit, &mut warnings).is_ok());
        let over = json!("x".repeat(MAX_PAYLOAD_BYTES - 1));
        let error = limit_payload(over, &mut warnings).unwrap_err();
        assert!(error.contains("102401 bytes"), "{error}");
        assert!(warnings.is_empty());
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(describe_duration(Duration::from_secs(1)), "1 second");
        assert_eq!(describe_duration(Duration::from_secs(600)), "600 seconds");
        assert_eq!(describe_duration(Duration::from_millis(1500)), "1.5 seconds");
        assert_eq!(describe_duration(Duration::from_millis(250)), "0.25 seconds");
    }
}
