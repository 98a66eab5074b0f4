//! The rhai sandbox that runs the small scripts of mock files: scripted AWS answers and
//! `aws:executeScript` stand-ins.
//!
//! A script gets JSON values as variables and returns a JSON value. It cannot touch the world:
//! rhai has no file or network functions, `import` and `timestamp()` are compiled out (the
//! `no_module` and `no_time` features, so answers are the same on every run), and `eval` is
//! disabled. It cannot run away either: operations, call depth, expression depth,
//! string, array and map sizes, variables and functions are capped, and a real-time deadline
//! stops whatever the caps let through. `print` and `debug` are captured, never written to the
//! terminal.
//!
//! One [`Sandbox`] (an engine behind an `Arc`) is shared by every script compiled with it, so
//! evaluating a compiled [`Script`] costs a scope and the JSON conversions, nothing more.
//!
//! ```
//! use runbook_aws::sandbox::Sandbox;
//! use serde_json::json;
//!
//! let sandbox = Sandbox::shared();
//! let script = sandbox.compile("#{count: ids.len(), first: ids[0]}", &["ids"])?;
//! let result = script.eval(&[("ids", &json!(["i-1", "i-2"]))])?;
//! assert_eq!(result.value, json!({"count": 2, "first": "i-1"}));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rhai::{Dynamic, EvalAltResult, Position, Scope};
use runbook_engine::host::ApiError;
use serde_json::Value;

/// The caps a [`Sandbox`] puts on every script it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxLimits {
    /// The most operations (rhai's unit of work) one evaluation may take; 0 for no limit (the
    /// time limit still applies).
    pub max_operations: u64,
    /// The deepest function calls may nest.
    pub max_call_levels: usize,
    /// The deepest an expression may nest at the top level of a script.
    pub max_expr_depth: usize,
    /// The deepest an expression may nest inside a function.
    pub max_function_expr_depth: usize,
    /// The longest a string may grow, in bytes.
    pub max_string_size: usize,
    /// The most items an array may hold.
    pub max_array_size: usize,
    /// The most entries a map may hold.
    pub max_map_size: usize,
    /// The most variables a script may define at once.
    pub max_variables: usize,
    /// The most functions a script may define.
    pub max_functions: usize,
    /// The longest one evaluation may run, in real time. The clock is read every 256
    /// operations, so a script stops shortly after it.
    pub time_limit: Duration,
    /// How much `print` and `debug` output is kept per evaluation, in bytes; the rest is dropped.
    pub max_printed_bytes: usize,
}

impl Default for SandboxLimits {
    /// Limits generous for a mock answer (a few branches over the call's parameters) and tight
    /// enough that a runaway script stops well under a second.
    fn default() -> Self {
        Self {
            max_operations: 1_000_000,
            max_call_levels: 32,
            max_expr_depth: 64,
            max_function_expr_depth: 32,
            max_string_size: 1 << 20,
            max_array_size: 10_000,
            max_map_size: 10_000,
            max_variables: 1_000,
            max_functions: 100,
            time_limit: Duration::from_secs(1),
            max_printed_bytes: 64 << 10,
        }
    }
}

/// A rhai engine configured as a sandbox, cheap to clone and to share between threads.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<SandboxInner>,
}

struct SandboxInner {
    // Made on first use: most mock files hold no script, and making an engine costs more than
    // reading a small mock file.
    engine: OnceLock<rhai::Engine>,
    limits: SandboxLimits,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox").field("limits", &self.inner.limits).finish_non_exhaustive()
    }
}

/// What `on_progress` returns to stop a script that ran past its deadline; any other
/// termination token would be a bug.
const DEADLINE_TOKEN: &str = "deadline";

/// How many operations pass between two looks at the real clock: reading it on every operation
/// would double the cost of a script.
const CLOCK_CHECK_INTERVAL: u64 = 256;

thread_local! {
    /// The real-time deadline of the evaluation running on this thread. Evaluation is
    /// synchronous, so a thread runs at most one at a time; the engine's callbacks are shared
    /// by all evaluations and find their own state here.
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    /// What the evaluation running on this thread has printed so far.
    static PRINTED: RefCell<Printed> = const { RefCell::new(Printed::new()) };
}

/// Captured `print` and `debug` output, capped in size.
#[derive(Debug, Default)]
struct Printed {
    lines: Vec<String>,
    bytes: usize,
    limit: usize,
    dropped: bool,
}

impl Printed {
    const fn new() -> Self {
        Self { lines: Vec::new(), bytes: 0, limit: 0, dropped: false }
    }

    fn push(&mut self, line: &str) {
        if self.bytes + line.len() > self.limit {
            if !self.dropped {
                self.lines.push("[further output dropped: over the sandbox's limit]".to_string());
                self.dropped = true;
            }
            return;
        }
        self.bytes += line.len();
        self.lines.push(line.to_string());
    }
}

/// The one place the sandbox reads real time: a script's CPU deadline must be real, whatever
/// the run's clock says (under a virtual clock, a runaway script would otherwise never stop).
#[allow(clippy::disallowed_methods, reason = "the rhai deadline is about real CPU time")]
fn real_now() -> Instant {
    Instant::now()
}

/// Sets up the thread's evaluation state and puts the previous state back when dropped, even
/// when the evaluation panics.
struct EvaluationGuard {
    previous_deadline: Option<Instant>,
    previous_printed: Printed,
}

impl EvaluationGuard {
    fn enter(limits: &SandboxLimits) -> Self {
        let deadline = real_now().checked_add(limits.time_limit);
        let previous_deadline = DEADLINE.with(|cell| cell.replace(deadline));
        let fresh = Printed { limit: limits.max_printed_bytes, ..Printed::default() };
        let previous_printed = PRINTED.with(|cell| cell.replace(fresh));
        Self { previous_deadline, previous_printed }
    }

    /// What the evaluation has printed so far; call it while the guard is alive.
    fn take_printed() -> Vec<String> {
        PRINTED.with(|cell| std::mem::take(&mut cell.borrow_mut().lines))
    }
}

impl Drop for EvaluationGuard {
    fn drop(&mut self) {
        DEADLINE.with(|cell| cell.set(self.previous_deadline));
        let previous = std::mem::take(&mut self.previous_printed);
        PRINTED.with(|cell| *cell.borrow_mut() = previous);
    }
}

/// The value `error(code, message)` raises inside a script. A private type, so that no script
/// can forge it with `throw`.
#[derive(Clone, Debug)]
struct RaisedApiError(ApiError);

fn raise(error: ApiError) -> Result<Dynamic, Box<EvalAltResult>> {
    Err(Box::new(EvalAltResult::ErrorRuntime(Dynamic::from(RaisedApiError(error)), Position::NONE)))
}

fn raise_with_status(
    code: &str,
    message: &str,
    status: i64,
) -> Result<Dynamic, Box<EvalAltResult>> {
    match u16::try_from(status) {
        Ok(status) if (100..=599).contains(&status) => {
            raise(ApiError::new(code, message).with_status(status))
        }
        _ => Err(format!("error(): status {status} is not an HTTP status (100 to 599)").into()),
    }
}

impl Sandbox {
    /// A sandbox with `limits`.
    pub fn new(limits: SandboxLimits) -> Self {
        Self { inner: Arc::new(SandboxInner { engine: OnceLock::new(), limits }) }
    }

    /// The engine, made with the sandbox's limits on first use.
    fn engine(&self) -> &rhai::Engine {
        self.inner.engine.get_or_init(|| Self::make_engine(&self.inner.limits))
    }

    fn make_engine(limits: &SandboxLimits) -> rhai::Engine {
        let mut engine = rhai::Engine::new();
        engine
            .set_max_operations(limits.max_operations)
            .set_max_call_levels(limits.max_call_levels)
            .set_max_expr_depths(limits.max_expr_depth, limits.max_function_expr_depth)
            .set_max_string_size(limits.max_string_size)
            .set_max_array_size(limits.max_array_size)
            .set_max_map_size(limits.max_map_size)
            .set_max_variables(limits.max_variables)
            .set_max_functions(limits.max_functions)
            // Undefined variables are compile errors, so a typo (`param.X`) is reported when the
            // mock file is loaded rather than as a strange answer in the middle of a run.
            .set_strict_variables(true);
        // `eval` would compile code at run time, out of reach of the checks made at load time.
        engine.disable_symbol("eval");
        engine.on_print(|text| PRINTED.with(|cell| cell.borrow_mut().push(text)));
        engine.on_debug(|text, _source, _position| {
            PRINTED.with(|cell| cell.borrow_mut().push(text));
        });
        engine.on_progress(|operations| {
            if operations % CLOCK_CHECK_INTERVAL != 0 {
                return None;
            }
            let deadline = DEADLINE.with(Cell::get)?;
            (real_now() >= deadline).then(|| Dynamic::from(DEADLINE_TOKEN))
        });
        engine.register_type_with_name::<RaisedApiError>("ApiError");
        engine
            .register_fn("error", |code: &str, message: &str| raise(ApiError::new(code, message)));
        engine.register_fn("error", raise_with_status);
        engine
    }

    /// The sandbox with the default limits, one per process.
    pub fn shared() -> Self {
        static SHARED: OnceLock<Sandbox> = OnceLock::new();
        SHARED.get_or_init(|| Sandbox::new(SandboxLimits::default())).clone()
    }

    /// The limits scripts run under.
    pub fn limits(&self) -> &SandboxLimits {
        &self.inner.limits
    }

    /// Compiles `source`, which may read the variables named in `variables` (and no others).
    pub fn compile(&self, source: &str, variables: &[&str]) -> Result<Script, CompileError> {
        let mut scope = Scope::new();
        for name in variables {
            scope.push_dynamic(*name, Dynamic::UNIT);
        }
        match self.engine().compile_with_scope(&scope, source) {
            Ok(ast) => Ok(Script {
                ast: Arc::new(ast),
                variables: variables.iter().map(|name| (*name).to_string()).collect(),
                sandbox: self.clone(),
            }),
            Err(error) => {
                let (line, column) = line_column(error.position());
                let message = match error.err_type() {
                    rhai::ParseErrorType::Reserved(word) if word == "import" => {
                        "`import` is not available: scripts cannot read files".to_string()
                    }
                    other => lowercase_first(&other.to_string()),
                };
                Err(CompileError { message, line, column })
            }
        }
    }
}

/// A script compiled by a [`Sandbox`], ready to run any number of times.
#[derive(Clone)]
pub struct Script {
    ast: Arc<rhai::AST>,
    variables: Vec<String>,
    sandbox: Sandbox,
}

impl fmt::Debug for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Script").field("variables", &self.variables).finish_non_exhaustive()
    }
}

/// A script that ran to the end.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// What it returned, as JSON (`()` becomes `null`). Maps come back with their keys sorted,
    /// as rhai keeps them.
    pub value: Value,
    /// What it printed with `print` and `debug`, one entry per call.
    pub printed: Vec<String>,
}

impl Script {
    /// Runs the script with `variables` bound to JSON values. Every variable named at compile
    /// time must be given; any other is an error too.
    pub fn eval(&self, variables: &[(&str, &Value)]) -> Result<Evaluation, ScriptFailure> {
        let limits = &self.sandbox.inner.limits;
        let _guard = EvaluationGuard::enter(limits);
        let failure = |kind| ScriptFailure { kind, printed: EvaluationGuard::take_printed() };
        let mut scope = Scope::new();
        for (name, value) in variables {
            if !self.variables.iter().any(|known| known == name) {
                return Err(failure(FailureKind::Input(format!(
                    "`{name}` is not a variable of this script"
                ))));
            }
            match rhai::serde::to_dynamic(value) {
                Ok(value) => scope.push_dynamic(*name, value),
                Err(error) => {
                    return Err(failure(FailureKind::Input(format!(
                        "`{name}` cannot be passed to the script: {error}"
                    ))));
                }
            };
        }
        if let Some(missing) =
            self.variables.iter().find(|known| !variables.iter().any(|(name, _)| name == known))
        {
            return Err(failure(FailureKind::Input(format!("`{missing}` was not given"))));
        }
        let result = self.sandbox.engine().eval_ast_with_scope::<Dynamic>(&mut scope, &self.ast);
        let value = match result {
            Ok(value) => value,
            Err(error) => return Err(failure(classify(&error, limits))),
        };
        if value.is_unit() {
            return Ok(Evaluation { value: Value::Null, printed: EvaluationGuard::take_printed() });
        }
        match rhai::serde::from_dynamic::<Value>(&value) {
            Ok(value) => Ok(Evaluation { value, printed: EvaluationGuard::take_printed() }),
            Err(error) => Err(failure(FailureKind::Output(format!(
                "the script returned {}, which is not JSON: {error}",
                value.type_name()
            )))),
        }
    }

    /// The sandbox the script runs in.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }
}

/// Turns a rhai error into what went wrong, in the user's terms.
fn classify(error: &EvalAltResult, limits: &SandboxLimits) -> FailureKind {
    let error = error.unwrap_inner();
    let (line, column) = line_column(error.position());
    match error {
        EvalAltResult::ErrorRuntime(value, _) => {
            if let Some(raised) = value.clone().try_cast::<RaisedApiError>() {
                return FailureKind::ApiError(raised.0);
            }
            let message = if value.is_string() { value.to_string() } else { format!("{value:?}") };
            FailureKind::Thrown { message, line, column }
        }
        EvalAltResult::ErrorTooManyOperations(_) => {
            FailureKind::TooManyOperations { limit: limits.max_operations }
        }
        EvalAltResult::ErrorTerminated(..) => FailureKind::TimedOut { limit: limits.time_limit },
        EvalAltResult::ErrorStackOverflow(_) => FailureKind::Limit(format!(
            "function calls nested deeper than {} levels",
            limits.max_call_levels
        )),
        EvalAltResult::ErrorDataTooLarge(what, _) => {
            FailureKind::Limit(format!("{} (over the sandbox's size limits)", what.to_lowercase()))
        }
        EvalAltResult::ErrorTooManyVariables(_) => {
            FailureKind::Limit(format!("more than {} variables", limits.max_variables))
        }
        EvalAltResult::ErrorTooManyModules(_) | EvalAltResult::ErrorModuleNotFound(..) => {
            FailureKind::Limit("modules cannot be imported".to_string())
        }
        other => {
            // rhai appends " (line L, position C)" to its messages; the position is reported
            // separately, in the script's and in the file's terms.
            let mut message = lowercase_first(&other.to_string());
            if let Some(cut) = message.rfind(" (line ") {
                message.truncate(cut);
            }
            FailureKind::Runtime { message, line, column }
        }
    }
}

/// rhai's messages start with a capital; ours do not (unless the word is an acronym).
fn lowercase_first(message: &str) -> String {
    let mut chars = message.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_uppercase() && !second.is_uppercase() => {
            first.to_lowercase().chain(message.chars().skip(1)).collect()
        }
        _ => message.to_string(),
    }
}

fn line_column(position: Position) -> (Option<u32>, Option<u32>) {
    let to_u32 = |value: Option<usize>| value.and_then(|value| u32::try_from(value).ok());
    (to_u32(position.line()), to_u32(position.position()))
}

/// A script that does not compile.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}{}", at(*line, *column))]
pub struct CompileError {
    /// What is wrong, as rhai words it.
    pub message: String,
    /// The 1-based line in the script, when known.
    pub line: Option<u32>,
    /// The 1-based column in the script, when known.
    pub column: Option<u32>,
}

fn at(line: Option<u32>, column: Option<u32>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!(" (script line {line}, column {column})"),
        (Some(line), None) => format!(" (script line {line})"),
        _ => String::new(),
    }
}

/// A script that did not produce a value.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{kind}")]
pub struct ScriptFailure {
    /// What went wrong.
    pub kind: FailureKind,
    /// What the script printed before it stopped.
    pub printed: Vec<String>,
}

/// The kinds of [`ScriptFailure`].
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FailureKind {
    /// The script called `error(code, message)` (or `error(code, message, status)`): it
    /// answers an API error, on purpose.
    #[error("{0}")]
    ApiError(ApiError),
    /// The script used `throw`.
    #[error("the script threw {message:?}{}", at(*line, *column))]
    Thrown {
        /// The thrown value, as text.
        message: String,
        /// Where, in the script.
        line: Option<u32>,
        /// Where, in the script.
        column: Option<u32>,
    },
    /// The script took more operations than the sandbox allows.
    #[error(
        "the script was stopped after {limit} operations, the sandbox's limit (an endless loop?)"
    )]
    TooManyOperations {
        /// The limit.
        limit: u64,
    },
    /// The script ran longer than the sandbox allows, in real time.
    #[error("the script was stopped after running {limit:?}, the sandbox's time limit")]
    TimedOut {
        /// The limit.
        limit: Duration,
    },
    /// The script hit another of the sandbox's limits.
    #[error("the script was stopped: {0}")]
    Limit(String),
    /// An error while the script ran (a missing function, a type mismatch, ...).
    #[error("the script failed: {message}{}", at(*line, *column))]
    Runtime {
        /// What went wrong, as rhai words it.
        message: String,
        /// Where, in the script.
        line: Option<u32>,
        /// Where, in the script.
        column: Option<u32>,
    },
    /// The variables given do not fit the script.
    #[error("{0}")]
    Input(String),
    /// The script returned a value that has no JSON form.
    #[error("{0}")]
    Output(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn _send_sync() {
        fn check<T: Send + Sync>() {}
        check::<Sandbox>();
        check::<Script>();
    }

    fn run(source: &str) -> Result<Evaluation, ScriptFailure> {
        let script = Sandbox::shared().compile(source, &["x"]).expect("test script compiles");
        script.eval(&[("x", &json!(1))])
    }

    #[test]
    fn print_and_debug_are_captured() {
        let result = run(r#"print("hello"); debug(x); 2"#).expect("runs");
        assert_eq!(result.value, json!(2));
        assert_eq!(result.printed, ["hello", "1"]);
    }

    #[test]
    fn printed_output_is_capped() {
        let limits = SandboxLimits { max_printed_bytes: 10, ..SandboxLimits::default() };
        let sandbox = Sandbox::new(limits);
        let script =
            sandbox.compile(r#"for i in 0..100 { print("12345") }"#, &[]).expect("compiles");
        let result = script.eval(&[]).expect("runs");
        assert_eq!(result.printed.len(), 3);
        assert!(result.printed[2].contains("dropped"), "{:?}", result.printed);
    }

    #[test]
    fn eval_is_disabled() {
        let error = Sandbox::shared().compile(r#"eval("1")"#, &[]).expect_err("eval is refused");
        assert!(error.message.contains("eval"), "{error}");
    }

    #[test]
    fn scripts_cannot_read_the_clock() {
        // Answers must be the same on every run: `timestamp()` is compiled out (`no_time`).
        let error = run("let t = timestamp(); 1").expect_err("no clock");
        assert!(
            matches!(&error.kind, FailureKind::Runtime { message, .. } if message.contains("timestamp")),
            "{error}"
        );
    }

    #[test]
    fn undefined_variables_are_compile_errors() {
        let error = Sandbox::shared().compile("param.x", &["params"]).expect_err("typo");
        assert!(error.message.contains("param"), "{error}");
        assert_eq!((error.line, error.column), (Some(1), Some(1)));
    }

    #[test]
    fn variables_must_all_be_given() {
        let script = Sandbox::shared().compile("a", &["a"]).expect("compiles");
        let error = script.eval(&[]).expect_err("`a` is missing");
        assert_eq!(error.to_string(), "`a` was not given");
        let error = script.eval(&[("a", &json!(1)), ("b", &json!(2))]).expect_err("`b` unknown");
        assert_eq!(error.to_string(), "`b` is not a variable of this script");
    }

    #[test]
    fn thrown_values_and_runtime_errors_name_their_line() {
        let error = run("let y = 1;\nthrow \"no luck\"").expect_err("throws");
        assert_eq!(error.to_string(), r#"the script threw "no luck" (script line 2, column 1)"#);
        let error = run("let y = 1;\n  y.nope()").expect_err("no such function");
        assert!(
            matches!(&error.kind, FailureKind::Runtime { line: Some(2), .. }),
            "{:?}",
            error.kind
        );
    }

    #[test]
    fn error_with_a_status_checks_the_status() {
        let error = run(r#"error("Throttling", "slow down", 400)"#).expect_err("api error");
        assert_eq!(
            error.kind,
            FailureKind::ApiError(ApiError::new("Throttling", "slow down").with_status(400))
        );
        let error = run(r#"error("Throttling", "slow down", 42)"#).expect_err("bad status");
        assert!(error.to_string().contains("status 42"), "{error}");
    }

    #[test]
    fn a_deep_recursion_is_stopped() {
        let error = run("fn f(n) { f(n + 1) } f(0)").expect_err("stack overflow");
        assert!(error.to_string().contains("nested deeper than 32"), "{error}");
    }

    #[test]
    fn a_growing_string_is_stopped() {
        let error = run(r#"let s = "ab"; loop { s += s; }"#).expect_err("too large");
        assert!(matches!(error.kind, FailureKind::Limit(_)), "{error}");
    }
}
