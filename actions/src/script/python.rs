//! The Python runner: each script runs in a child process of its own, started from a small
//! embedded bootstrap program that loads the script, calls its handler and writes the result
//! to a file of its own.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use runbook_engine::host::{
    BoxFuture, ScriptAttachment, ScriptCalls, ScriptError, ScriptErrorKind, ScriptOutput,
    ScriptRequest, ScriptRunner,
};
use serde_json::{Value, json};

use super::process::{Running, ScratchDir, StopOnDrop, Wait, private_file};
#[cfg(unix)]
use super::warm::Zygote;
use super::{
    MOCK_AWS_ENV, OBSERVE_AWS, Runtime, SHELL_IDENTITY, Version, blocking, bridge, finish,
    gives_credentials, read_outcome, sealed, with_warning_list, with_warnings,
};

/// The bootstrap program, passed to the interpreter with `-c`.
const BOOTSTRAP: &str = include_str!("bootstrap.py");

/// The file an inline script is written to, as the service names it in tracebacks.
const INLINE_FILE: &str = "customer_script.py";

/// Runs Python scripts with a local interpreter.
#[derive(Clone, Debug)]
pub struct PythonRunner {
    /// The interpreter as named (`python3`, or the user's path).
    interpreter: PathBuf,
    /// Whether the interpreter was named by the user rather than looked up on `PATH`.
    named: bool,
    /// The interpreter's executable and version, asked once.
    resolved: Arc<OnceLock<Result<Interpreter, ScriptError>>>,
    /// The warm interpreter steps fork from, shared by the runner's clones.
    warm: Warm,
}

/// The state of a runner's warm interpreter, shared by its clones.
#[derive(Clone, Debug)]
struct Warm(Arc<Mutex<WarmState>>);

#[derive(Debug)]
enum WarmState {
    /// Every step starts its own interpreter.
    Off,
    /// Not started yet: the next step starts it.
    Idle,
    /// Starting in the background; steps run cold meanwhile.
    Starting,
    #[cfg(unix)]
    Ready(Arc<Zygote>),
    /// It could not start, or failed a step: steps run cold.
    Broken,
}

impl Warm {
    /// The warm interpreter every runner of `interpreter` in this process shares.
    fn shared(interpreter: Option<&Path>) -> Self {
        static SHARED: OnceLock<Mutex<BTreeMap<PathBuf, Warm>>> = OnceLock::new();
        let key = interpreter.map_or_else(PathBuf::new, Path::to_path_buf);
        let mut shared = SHARED
            .get_or_init(Mutex::default)
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        shared.entry(key).or_insert_with(|| Self::new(true)).clone()
    }

    fn new(on: bool) -> Self {
        let on = on && cfg!(unix);
        Self(Arc::new(Mutex::new(if on { WarmState::Idle } else { WarmState::Off })))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, WarmState> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The warm interpreter, when it is ready.
    #[cfg(unix)]
    fn ready(&self) -> Option<Arc<Zygote>> {
        match &*self.lock() {
            WarmState::Ready(zygote) => Some(Arc::clone(zygote)),
            _ => None,
        }
    }

    #[cfg(unix)]
    fn set_broken(&self) {
        *self.lock() = WarmState::Broken;
    }

    fn is_ready(&self) -> bool {
        #[cfg(unix)]
        return matches!(*self.lock(), WarmState::Ready(_));
        #[cfg(not(unix))]
        false
    }
}

/// A Python interpreter that has answered.
#[derive(Clone, Debug)]
struct Interpreter {
    /// The executable itself (`sys.executable`), so that a version manager's shim, which can
    /// take longer to start than Python, runs once rather than for every step.
    executable: PathBuf,
    version: Version,
}

impl Default for PythonRunner {
    fn default() -> Self {
        Self::new(None)
    }
}

impl PythonRunner {
    /// A runner using `interpreter`, or `python3` from `PATH` when `None`.
    pub fn new(interpreter: Option<PathBuf>) -> Self {
        let named = interpreter.is_some();
        Self {
            named,
            warm: Warm::shared(interpreter.as_deref()),
            interpreter: interpreter.unwrap_or_else(|| PathBuf::from("python3")),
            resolved: Arc::new(OnceLock::new()),
        }
    }

    /// The same runner with a warm interpreter of its own, or with none. By default (on Unix)
    /// runners of the same interpreter share one for the whole process: the first script runs
    /// in a process of its own and, once it has ended, starts the warm interpreter in the
    /// background; scripts that start once it is ready run in a child forked from it, which
    /// skips the interpreter's start-up and the import of boto3.
    #[must_use]
    pub fn with_warm_interpreter(mut self, on: bool) -> Self {
        self.warm = Warm::new(on);
        self
    }

    /// Starts the warm interpreter now, if the runner has one, and waits until it is ready;
    /// whether it is.
    #[allow(
        clippy::disallowed_methods,
        reason = "waiting for a process to start is real work, not a step's wait"
    )]
    pub fn warm_up(&self) -> bool {
        let Ok(interpreter) = self.resolve() else { return false };
        #[cfg(unix)]
        {
            self.warm_interpreter(&interpreter.executable);
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            loop {
                match &*self.warm.lock() {
                    WarmState::Ready(_) => return true,
                    WarmState::Starting => {}
                    _ => return false,
                }
                if std::time::Instant::now() > deadline {
                    return false;
                }
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        }
        #[cfg(not(unix))]
        {
            let _ = interpreter;
            false
        }
    }

    /// Whether later scripts will fork from a warm interpreter.
    pub fn is_warm(&self) -> bool {
        self.warm.is_ready()
    }

    /// The interpreter as named: `python3`, or the path given to [`PythonRunner::new`].
    pub fn interpreter(&self) -> &Path {
        &self.interpreter
    }

    /// The executable scripts run with, once the interpreter has answered.
    pub fn executable(&self) -> Result<PathBuf, ScriptError> {
        self.resolve().map(|interpreter| interpreter.executable)
    }

    /// The interpreter's version (asked once, then remembered).
    pub fn version(&self) -> Result<Version, ScriptError> {
        self.resolve().map(|interpreter| interpreter.version)
    }

    fn resolve(&self) -> Result<Interpreter, ScriptError> {
        self.resolved.get_or_init(|| self.probe()).clone()
    }

    /// Runs one script to completion on the current thread. This blocks and reads the real
    /// clock: async callers go through [`ScriptRunner::run`], which moves it to tokio's
    /// blocking pool. On a run that uses mocks ([`MOCK_AWS_ENV`](super::MOCK_AWS_ENV)), each
    /// AWS call of the script is unanswered.
    pub fn run_blocking(&self, request: &ScriptRequest) -> Result<ScriptOutput, ScriptError> {
        let mut session = self.start(request)?;
        loop {
            match session.wait()? {
                Wait::Request(line) => {
                    if let Some(reply) = bridge::answer_none(&line) {
                        session.reply(&reply);
                    }
                }
                Wait::Ended => {
                    let finished = session.finish();
                    self.after_step();
                    return finished;
                }
            }
        }
    }

    /// Starts the script of `request` in a scratch directory of its own.
    fn start(&self, request: &ScriptRequest) -> Result<Session, ScriptError> {
        let Some(Runtime::Python(wanted)) = Runtime::parse(&request.runtime) else {
            return Err(ScriptError::new(
                ScriptErrorKind::InvalidInput,
                format!("`{}` is not a Python runtime", request.runtime),
            ));
        };
        let interpreter = self.resolve()?;
        let mut warnings = Vec::new();
        if let Some(wanted) = wanted
            && !wanted.same_release(interpreter.version)
        {
            warnings.push(format!(
                "step `{}` asks for {}; it runs with Python {} ({})",
                request.step,
                request.runtime,
                interpreter.version,
                interpreter.executable.display()
            ));
        }
        let started = ScratchDir::new()
            .map_err(|error| {
                internal(format!("cannot make a directory to run the script in: {error}"))
            })
            .and_then(|scratch| {
                let running = self.spawn(&interpreter.executable, &scratch, request)?;
                Ok((scratch, running))
            });
        match started {
            Ok((scratch, running)) => Ok(Session {
                running,
                result: scratch.path().join("result.json"),
                _scratch: scratch,
                timeout: request.timeout,
                warnings,
            }),
            Err(error) => Err(with_warning_list(error, warnings)),
        }
    }

    fn spawn(
        &self,
        executable: &Path,
        scratch: &ScratchDir,
        request: &ScriptRequest,
    ) -> Result<Running, ScriptError> {
        let dir = scratch.path();
        let Placed { source, paths, hide } = place_source(dir, request)?;
        let result_path = dir.join("result.json");
        let request_path = dir.join("request.json");
        let bridge = cfg!(unix)
            && request.env.iter().any(|(name, value)| {
                name == MOCK_AWS_ENV && (value == "mock" || value == OBSERVE_AWS)
            });
        let description = json!({
            "step": request.step,
            "handler": request.handler,
            "source": source,
            "paths": paths,
            "payload": request.input_payload,
            "result": text_of(&result_path)?,
            "hide": hide,
            // `process::Running` makes the process lead its own group only on Unix.
            "lifeline": cfg!(unix),
            "bridge": bridge,
        });
        let mut env = vec![("PYTHONIOENCODING".to_string(), "utf-8".to_string())];
        let remove: Vec<String> = if sealed::is_dry(&request.env) {
            let sealed = sealed::environment(dir).map_err(|error| {
                internal(format!("cannot make the script's empty AWS configuration: {error}"))
            })?;
            env.extend(sealed.set);
            sealed.remove
        } else if gives_credentials(&request.env) {
            SHELL_IDENTITY.map(String::from).into()
        } else {
            Vec::new()
        };
        let remove: Vec<&str> = remove.iter().map(String::as_str).collect();
        let remove = remove.as_slice();
        env.extend(request.env.iter().cloned());
        // A forked child gets the request on its lifeline; a new interpreter reads it from a
        // file.
        #[cfg(unix)]
        if let Some(zygote) = self.warm.ready() {
            match zygote.fork(dir, &description, &env, remove, request.timeout) {
                Ok(running) => return Ok(running),
                // A warm interpreter that fails once is not trusted again: this step and the
                // next run cold.
                Err(_) => self.warm.set_broken(),
            }
        }
        private_file(&request_path, description.to_string().as_bytes())
            .map_err(|error| internal(format!("cannot write the script's request: {error}")))?;
        let mut command = Command::new(executable);
        command.args(["-B", "-u", "-c", BOOTSTRAP]).arg(&request_path).current_dir(dir);
        for name in remove {
            command.env_remove(name);
        }
        command.envs(env);
        Running::start(command, request.timeout, bridge).map_err(|error| self.start_error(&error))
    }

    /// Starts the warm interpreter in the background if it is not started yet: after a step
    /// has ended, so that it never competes with a step for the processor.
    fn after_step(&self) {
        #[cfg(unix)]
        if let Ok(interpreter) = self.resolve() {
            self.warm_interpreter(&interpreter.executable);
        }
    }

    /// The warm interpreter when it is ready; otherwise `None`, after starting it in the
    /// background the first time, so that no step waits for it.
    #[cfg(unix)]
    fn warm_interpreter(&self, executable: &Path) -> Option<Arc<Zygote>> {
        let mut state = self.warm.lock();
        match &*state {
            WarmState::Ready(zygote) => Some(Arc::clone(zygote)),
            WarmState::Idle => {
                *state = WarmState::Starting;
                let warm = self.warm.clone();
                let executable = executable.to_path_buf();
                let started = std::thread::Builder::new().name("runbook-warm-start".into()).spawn(
                    move || {
                        let zygote = Zygote::start(&executable, BOOTSTRAP);
                        let mut state = warm.lock();
                        *state = match zygote {
                            Ok(zygote) => WarmState::Ready(Arc::new(zygote)),
                            Err(_) => WarmState::Broken,
                        };
                    },
                );
                if started.is_err() {
                    *state = WarmState::Broken;
                }
                None
            }
            WarmState::Off | WarmState::Starting | WarmState::Broken => None,
        }
    }

    fn probe(&self) -> Result<Interpreter, ScriptError> {
        const PROBE: &str =
            "import sys; print('%d.%d.%d' % tuple(sys.version_info[:3])); print(sys.executable)";
        let output = Command::new(&self.interpreter)
            .args(["-c", PROBE])
            .output()
            .map_err(|error| self.start_error(&error))?;
        let text = String::from_utf8_lossy(&output.stdout);
        let mut lines = text.lines();
        let version = lines.next().and_then(Version::parse).filter(|_| output.status.success());
        // An embedded Python can leave `sys.executable` empty; the name then has to do.
        let executable = lines
            .next()
            .map(str::trim)
            .filter(|path| !path.is_empty())
            .map_or_else(|| self.interpreter.clone(), PathBuf::from);
        match version {
            Some(version) if version.major == 3 => Ok(Interpreter { executable, version }),
            Some(version) => Err(ScriptError::new(
                ScriptErrorKind::RuntimeNotFound,
                format!(
                    "{} is Python {version}; aws:executeScript scripts need Python 3",
                    self.interpreter.display()
                ),
            )),
            None => {
                let errors = String::from_utf8_lossy(&output.stderr);
                let reason = errors.lines().rev().find(|line| !line.trim().is_empty());
                Err(ScriptError::new(
                    ScriptErrorKind::RuntimeNotFound,
                    format!(
                        "{} did not report a Python version{}",
                        self.interpreter.display(),
                        reason.map(|line| format!(": {line}")).unwrap_or_default()
                    ),
                ))
            }
        }
    }

    fn start_error(&self, error: &io::Error) -> ScriptError {
        if error.kind() != io::ErrorKind::NotFound {
            return internal(format!("cannot start {}: {error}", self.interpreter.display()));
        }
        let message = if self.named {
            format!("Python is not installed: {} was not found", self.interpreter.display())
        } else {
            "Python is not installed: `python3` was not found on PATH; install Python 3 or name \
             an interpreter with --python"
                .to_string()
        };
        ScriptError::new(ScriptErrorKind::RuntimeNotFound, message)
    }
}

impl ScriptRunner for PythonRunner {
    /// Runs the script on tokio's blocking pool, coming back to the caller's task for each AWS
    /// call the script hands over: answering one may wait on the run's clock, which the
    /// blocking pool would hold still.
    fn run<'a>(
        &'a self,
        request: ScriptRequest,
        calls: &'a dyn ScriptCalls,
    ) -> BoxFuture<'a, Result<ScriptOutput, ScriptError>> {
        Box::pin(async move {
            let runner = self.clone();
            let mut session = blocking(move || runner.start(&request)).await??;
            // Dropped with this future when the step is cancelled: the script stops at once
            // rather than running on to its end on the blocking pool.
            let _stop = StopOnDrop(session.running.stop_signal());
            loop {
                let (back, waited) = blocking(move || {
                    let waited = session.wait();
                    (session, waited)
                })
                .await?;
                session = back;
                match waited? {
                    Wait::Request(line) => {
                        if let Some(reply) = bridge::answer(&line, calls).await {
                            session.reply(&reply);
                        }
                    }
                    Wait::Ended => break,
                }
            }
            let finished = blocking(move || session.finish()).await?;
            self.after_step();
            finished
        })
    }
}

/// One script started by [`PythonRunner::start`], with what is needed to finish it.
struct Session {
    running: Running,
    result: PathBuf,
    timeout: std::time::Duration,
    warnings: Vec<String>,
    /// Declared last: the directory goes once the process is done with it.
    _scratch: ScratchDir,
}

impl Session {
    fn wait(&mut self) -> Result<Wait, ScriptError> {
        self.running.wait().map_err(|error| internal(format!("cannot watch the script: {error}")))
    }

    fn reply(&mut self, line: &str) {
        // A script that ended meanwhile cannot read the reply; its end says what happened.
        let _ = self.running.reply(line);
    }

    fn finish(self) -> Result<ScriptOutput, ScriptError> {
        let Self { running, result, timeout, mut warnings, _scratch } = self;
        // The exit status matters only to a script that ended without writing its result.
        let finished = running.finish(!result.exists());
        warnings.extend(finished.notes.iter().cloned());
        let outcome = read_outcome(&result, &finished, timeout)
            .and_then(|outcome| finish(outcome, finished, &mut warnings));
        with_warnings(outcome, warnings)
    }
}

/// Where the bootstrap finds the step's code: the handler's `source`, the extra entries of
/// `sys.path`, and the path prefixes to hide from tracebacks, each with what to show instead.
struct Placed {
    source: Value,
    paths: Vec<String>,
    hide: Vec<(String, String)>,
}

/// An attachment made ready to load.
enum PlacedAttachment {
    /// A `.py` file, copied into the scratch directory.
    File(String),
    /// A `.zip` file, imported from where it is.
    Zip(String),
}

/// Puts the step's code where the bootstrap will load it.
///
/// With an attachment and no `Script`, or with a `file.function` handler, the handler comes
/// from the attachment and any `Script` is not run (AWS's own runbooks pair such a handler
/// with a placeholder `Script`). With both and a plain function handler, the inline script
/// runs with the attachment importable: a `.zip` of libraries on `sys.path`, a `.py` file
/// next to the script.
fn place_source(dir: &Path, request: &ScriptRequest) -> Result<Placed, ScriptError> {
    let dir_prefix = format!("{}{}", dir.display(), std::path::MAIN_SEPARATOR);
    let attachment = match &request.attachment {
        Some(attachment) => Some((attachment, place_attachment(dir, attachment)?)),
        None => None,
    };
    let dotted = request.handler.as_deref().is_some_and(|handler| handler.contains('.'));
    let mut hide = Vec::new();
    if let Some((attachment, PlacedAttachment::Zip(zip_path))) = &attachment {
        hide.push((zip_path.clone(), attachment.name.clone()));
    }
    hide.push((dir_prefix, String::new()));
    let inline = request.script.as_ref().filter(|_| attachment.is_none() || !dotted);
    if let Some(code) = inline {
        let path = dir.join(INLINE_FILE);
        private_file(&path, code.as_bytes())
            .map_err(|error| internal(format!("cannot write the script: {error}")))?;
        let paths = match attachment {
            Some((_, PlacedAttachment::Zip(zip_path))) => vec![zip_path],
            _ => Vec::new(),
        };
        let source = json!({ "kind": "inline", "path": text_of(&path)?, "display": INLINE_FILE });
        return Ok(Placed { source, paths, hide });
    }
    let Some((attachment, placed)) = attachment else {
        return Err(ScriptError::new(
            ScriptErrorKind::InvalidInput,
            format!(
                "step `{}` has neither `Script` nor `Attachment`: nothing to run",
                request.step
            ),
        ));
    };
    let (kind, path) = match placed {
        PlacedAttachment::File(path) => ("file", path),
        PlacedAttachment::Zip(path) => ("zip", path),
    };
    let source = json!({ "kind": kind, "path": path, "display": attachment.name });
    Ok(Placed { source, paths: Vec::new(), hide })
}

/// Checks an attachment and makes it loadable: a `.py` file is copied into `dir` under its own
/// name, a `.zip` file is used where it is.
fn place_attachment(
    dir: &Path,
    attachment: &ScriptAttachment,
) -> Result<PlacedAttachment, ScriptError> {
    let ScriptAttachment { name, path } = attachment;
    if !path.is_file() {
        return Err(ScriptError::new(
            ScriptErrorKind::InvalidInput,
            format!("attachment {name} was not found at {}", path.display()),
        ));
    }
    let extension = Path::new(name)
        .extension()
        .or_else(|| path.extension())
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("py") => {
            let file_name = Path::new(name)
                .file_name()
                .map_or_else(|| "attachment.py".into(), std::ffi::OsStr::to_os_string);
            let placed = dir.join(file_name);
            std::fs::read(path)
                .and_then(|code| private_file(&placed, &code))
                .map_err(|error| internal(format!("cannot copy attachment {name}: {error}")))?;
            Ok(PlacedAttachment::File(text_of(&placed)?.to_string()))
        }
        Some("zip") => {
            let absolute = std::path::absolute(path)
                .map_err(|error| internal(format!("cannot find attachment {name}: {error}")))?;
            Ok(PlacedAttachment::Zip(text_of(&absolute)?.to_string()))
        }
        _ => Err(ScriptError::new(
            ScriptErrorKind::InvalidInput,
            format!("attachment {name} is neither a .py nor a .zip file"),
        )),
    }
}

/// A path as text for the bootstrap's request, which is JSON.
fn text_of(path: &Path) -> Result<&str, ScriptError> {
    path.to_str().ok_or_else(|| {
        ScriptError::new(
            ScriptErrorKind::InvalidInput,
            format!("the path {} is not valid UTF-8, which Python cannot be given", path.display()),
        )
    })
}

fn internal(message: String) -> ScriptError {
    ScriptError::new(ScriptErrorKind::Internal, message)
}
