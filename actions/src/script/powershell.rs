//! The PowerShell runner: each script runs with `pwsh` in a child process of its own, through
//! an embedded wrapper that hands the step's `InputPayload` over as the service does (the
//! `InputPayload` environment variable, holding JSON) and writes what the script returns to a
//! result file.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use runbook_engine::host::{
    BoxFuture, ScriptAttachment, ScriptCalls, ScriptError, ScriptErrorKind, ScriptOutput,
    ScriptRequest, ScriptRunner,
};

use super::process::{self, ScratchDir, StopOnDrop, StopSignal};
use super::{Runtime, Version, finish, read_outcome, run_on_blocking_pool, with_warnings};

/// The wrapper script, written next to the step's script for each run.
const WRAPPER: &str = include_str!("wrapper.ps1");

/// The file the step's script is written to.
const SCRIPT_FILE: &str = "customer_script.ps1";

/// Runs PowerShell scripts with a local `pwsh`.
#[derive(Clone, Debug)]
pub struct PowerShellRunner {
    /// `pwsh` as the user named it; `None` to look it up on `PATH`.
    named: Option<PathBuf>,
    /// Where `pwsh` is and its version, found once.
    found: Arc<OnceLock<Result<(PathBuf, Version), String>>>,
}

impl Default for PowerShellRunner {
    fn default() -> Self {
        Self::new(None)
    }
}

impl PowerShellRunner {
    /// A runner using `pwsh`, or `pwsh` from `PATH` when `None`.
    pub fn new(pwsh: Option<PathBuf>) -> Self {
        Self { named: pwsh, found: Arc::new(OnceLock::new()) }
    }

    /// Where `pwsh` is and its version, or why it cannot be used.
    pub fn find(&self) -> Result<(PathBuf, Version), String> {
        self.found.get_or_init(|| self.look_up()).clone()
    }

    /// Runs one script to completion on the current thread (see
    /// [`PythonRunner::run_blocking`](super::PythonRunner::run_blocking)).
    pub fn run_blocking(&self, request: &ScriptRequest) -> Result<ScriptOutput, ScriptError> {
        self.run_until(request, None)
    }

    /// [`run_blocking`](Self::run_blocking), stopping the script when `stop` is set.
    fn run_until(
        &self,
        request: &ScriptRequest,
        stop: Option<StopSignal>,
    ) -> Result<ScriptOutput, ScriptError> {
        let Some(Runtime::PowerShell(wanted)) = Runtime::parse(&request.runtime) else {
            return Err(ScriptError::new(
                ScriptErrorKind::InvalidInput,
                format!("`{}` is not a PowerShell runtime", request.runtime),
            ));
        };
        // The service requires `Script` for PowerShell; an attachment only brings modules along.
        if request.script.is_none() {
            return Err(no_script());
        }
        let (pwsh, version) = self.find().map_err(|reason| {
            ScriptError::new(
                ScriptErrorKind::RuntimeNotFound,
                format!(
                    "PowerShell is not installed: {reason}, and step `{step}` needs {runtime}; \
                     install PowerShell 7 (https://aka.ms/powershell) or give the step a \
                     stand-in result in the mock file (scripts: {{{step}: {{returns: ...}}}})",
                    step = request.step,
                    runtime = request.runtime,
                ),
            )
        })?;
        let mut warnings = Vec::new();
        if let Some(wanted) = wanted
            && !wanted.same_release(version)
        {
            warnings.push(format!(
                "step `{}` asks for {}; it runs with PowerShell {version} ({})",
                request.step,
                request.runtime,
                pwsh.display()
            ));
        }
        let outcome = ScratchDir::new()
            .map_err(|error| {
                internal(format!("cannot make a directory to run the script in: {error}"))
            })
            .and_then(|scratch| run_in(&pwsh, &scratch, request, stop, &mut warnings));
        with_warnings(outcome, warnings)
    }

    fn look_up(&self) -> Result<(PathBuf, Version), String> {
        let pwsh = match &self.named {
            Some(path) => path.clone(),
            None => find_on_path("pwsh").ok_or("`pwsh` was not found on PATH")?,
        };
        let output = Command::new(&pwsh)
            .args(["-NoLogo", "-NoProfile", "-NonInteractive", "-Command"])
            .arg("$PSVersionTable.PSVersion.ToString()")
            .output()
            .map_err(|error| match error.kind() {
                io::ErrorKind::NotFound => format!("{} was not found", pwsh.display()),
                _ => format!("{} cannot be started: {error}", pwsh.display()),
            })?;
        let text = String::from_utf8_lossy(&output.stdout);
        match Version::parse(text.trim()) {
            Some(version) if output.status.success() => Ok((pwsh, version)),
            _ => Err(format!("{} did not report a PowerShell version", pwsh.display())),
        }
    }
}

impl ScriptRunner for PowerShellRunner {
    /// PowerShell scripts reach AWS by themselves: `_calls` is not used.
    fn run<'a>(
        &'a self,
        request: ScriptRequest,
        _calls: &'a dyn ScriptCalls,
    ) -> BoxFuture<'a, Result<ScriptOutput, ScriptError>> {
        let runner = self.clone();
        let stop = StopSignal::default();
        // Dropped with the returned future when the step is cancelled: the script stops at once.
        let on_drop = StopOnDrop(stop.clone());
        let work = run_on_blocking_pool(move || runner.run_until(&request, Some(stop)));
        Box::pin(async move {
            let _on_drop = on_drop;
            work.await
        })
    }
}

fn run_in(
    pwsh: &Path,
    scratch: &ScratchDir,
    request: &ScriptRequest,
    stop: Option<StopSignal>,
    warnings: &mut Vec<String>,
) -> Result<ScriptOutput, ScriptError> {
    let dir = scratch.path();
    let Some(code) = &request.script else {
        return Err(no_script());
    };
    let attachment = request.attachment.as_ref().map(module_archive).transpose()?;
    let script_path = dir.join(SCRIPT_FILE);
    let wrapper_path = dir.join("runbook_wrapper.ps1");
    let result_path = dir.join("result.json");
    process::private_file(&script_path, code.as_bytes())
        .and_then(|()| process::private_file(&wrapper_path, WRAPPER.as_bytes()))
        .map_err(|error| internal(format!("cannot write the script: {error}")))?;

    let mut command = Command::new(pwsh);
    command.args(["-NoLogo", "-NoProfile", "-NonInteractive"]);
    if cfg!(windows) {
        command.args(["-ExecutionPolicy", "Bypass"]);
    }
    command
        .arg("-File")
        .arg(&wrapper_path)
        .arg("-ScriptPath")
        .arg(&script_path)
        .arg("-ResultPath")
        .arg(&result_path);
    if let Some(archive) = &attachment {
        command.arg("-ModuleArchive").arg(archive);
    }
    command.current_dir(dir).env("InputPayload", request.input_payload.to_string());
    if super::sealed::is_dry(&request.env) {
        let sealed = super::sealed::environment(dir).map_err(|error| {
            internal(format!("cannot make the script's empty AWS configuration: {error}"))
        })?;
        for name in &sealed.remove {
            command.env_remove(name);
        }
        command.envs(sealed.set);
    } else if super::gives_credentials(&request.env) {
        for name in super::SHELL_IDENTITY {
            command.env_remove(name);
        }
    }
    command.envs(request.env.iter().map(|(name, value)| (name, value)));
    let finished = process::supervise(command, request.timeout, stop)
        .map_err(|error| internal(format!("cannot start {}: {error}", pwsh.display())))?;
    warnings.extend(finished.notes.iter().cloned());
    let outcome = read_outcome(&result_path, &finished, request.timeout)?;
    finish(outcome, finished, warnings)
}

fn no_script() -> ScriptError {
    ScriptError::new(
        ScriptErrorKind::InvalidInput,
        "a PowerShell step needs `Script`: its attachment can only bring modules the script uses",
    )
}

/// Checks a PowerShell step's attachment, which must be a `.zip` of modules, and returns its
/// absolute path for the wrapper to expand.
fn module_archive(attachment: &ScriptAttachment) -> Result<PathBuf, ScriptError> {
    let ScriptAttachment { name, path } = attachment;
    if !path.is_file() {
        return Err(ScriptError::new(
            ScriptErrorKind::InvalidInput,
            format!("attachment {name} was not found at {}", path.display()),
        ));
    }
    let is_zip = Path::new(name)
        .extension()
        .or_else(|| path.extension())
        .is_some_and(|extension| extension.eq_ignore_ascii_case("zip"));
    if !is_zip {
        return Err(ScriptError::new(
            ScriptErrorKind::InvalidInput,
            format!("attachment {name} is not a .zip file, which a PowerShell step needs"),
        ));
    }
    std::path::absolute(path)
        .map_err(|error| internal(format!("cannot find attachment {name}: {error}")))
}

/// The first file named `program` in the directories of `PATH`.
fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let names: &[String] = &if cfg!(windows) {
        vec![format!("{program}.exe"), program.to_string()]
    } else {
        vec![program.to_string()]
    };
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

fn internal(message: String) -> ScriptError {
    ScriptError::new(ScriptErrorKind::Internal, message)
}
