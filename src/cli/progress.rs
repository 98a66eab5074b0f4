//! Live progress of `runbook run`: each step as it starts and ends (status, duration on the
//! run's clock, failure), the AWS calls it makes, what waits for a decision; then a summary.
//! Also the terminal prompt that answers approvals.

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use runbook::terminal::{escape, escape_into, escape_lines};
use runbook_engine::execute::Secrets;
use runbook_engine::host::{
    ApprovalRequest, Approver, BoxFuture, Decision, Event, Observer, WaitKind,
};
use runbook_engine::record::{Execution, Status, StepExecution, as_text};

use super::color::{paint, status};

#[allow(clippy::struct_excessive_bools, reason = "independent display switches, each set once")]
/// Prints events as they happen: to standard output, or to standard error when standard output
/// carries the JSON record.
pub(crate) struct Progress {
    to_stderr: bool,
    verbose: bool,
    /// Whether the progress goes to a terminal, where a fleet's progress line redraws itself.
    to_terminal: bool,
    /// A run over targets, whose runs are shown by a progress line and a summary, not step by
    /// step.
    fleet: bool,
    /// Whether lines may wait in `Lines::pending` (see [`Progress::buffered`]).
    buffered: bool,
    lines: Mutex<Lines>,
    /// Whether statuses are coloured.
    color: bool,
    /// The run's secrets, masked in every line (RULINGS 26); none with `--show-secrets`.
    secrets: Option<Secrets>,
}

impl Progress {
    pub(crate) fn new(to_stderr: bool, verbose: bool, fleet: bool) -> Self {
        use std::io::IsTerminal;
        let to_terminal = if to_stderr {
            std::io::stderr().is_terminal()
        } else {
            std::io::stdout().is_terminal()
        };
        Self {
            to_stderr,
            verbose,
            to_terminal,
            fleet,
            buffered: false,
            lines: Mutex::new(Lines::default()),
            color: if to_stderr { super::color::stderr() } else { super::color::stdout() },
            secrets: None,
        }
    }

    /// Masks these secrets in every line.
    pub(crate) fn masking(mut self, secrets: Option<Secrets>) -> Self {
        self.secrets = secrets;
        self
    }

    /// Lets lines wait and go out in large writes when nobody watches them as they come (not a
    /// terminal) and the run is a dry run, whose steps take microseconds: one write per line
    /// would cost more than the step. [`Progress::flush`] writes what waits.
    pub(crate) fn buffered(mut self, dry_run: bool) -> Self {
        self.buffered = dry_run && !self.to_terminal;
        self
    }

    /// The most that waits before it is written.
    const PENDING_LIMIT: usize = 64 * 1024;

    /// Writes the lines that wait.
    pub(crate) fn flush(&self) {
        let mut lines = self.lines.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.write_out(&mut lines.pending);
    }

    fn write_out(&self, pending: &mut Vec<u8>) {
        if pending.is_empty() {
            return;
        }
        if self.to_stderr {
            let _ = std::io::stderr().lock().write_all(pending);
        } else {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(pending);
            let _ = stdout.flush();
        }
        pending.clear();
    }
}

/// What waits to be written, and the buffers each event's line is made in: a dry run's steps
/// take microseconds, so a line must not cost allocations of its own.
#[derive(Default)]
struct Lines {
    pending: Vec<u8>,
    line: String,
    scratch: String,
}

/// The summary printed after the run.
pub(crate) fn summary(execution: &Execution, color: bool) -> String {
    let mut out = String::new();
    let ran = execution.step_executions.iter().filter(|s| s.step_status != Status::Pending).count();
    let failed = execution
        .step_executions
        .iter()
        .filter(|s| matches!(s.step_status, Status::Failed | Status::TimedOut))
        .count();
    let took = execution
        .execution_end_time
        .map(|end| duration(end.duration_since(execution.execution_start_time)))
        .unwrap_or_default();
    let calls = execution.calls_made().len();
    let _ = writeln!(
        out,
        "\n{} · {ran} {} ran, {failed} failed · {took} on the run's clock · {} AWS {}",
        paint(
            color,
            status(execution.automation_execution_status).bold(),
            execution.automation_execution_status.as_str()
        ),
        if ran == 1 { "step" } else { "steps" },
        calls,
        if calls == 1 { "call" } else { "calls" },
    );
    if let Some(message) = &execution.failure_message {
        let _ = writeln!(out, "  {}", escape_lines(message, "  "));
    }
    if !execution.outputs.is_empty() {
        let _ = writeln!(out, "outputs:");
        for (name, value) in &execution.outputs {
            let _ = writeln!(out, "  {} = {}", escape(name), escape_lines(&as_text(value), "    "));
        }
    }
    let mut warnings = Vec::new();
    collect_warnings(execution, "", &mut warnings);
    if !warnings.is_empty() {
        let _ = writeln!(out, "warnings:");
        for warning in warnings {
            let _ = writeln!(out, "  {}", escape_lines(&warning, "    "));
        }
    }
    out
}

/// The references steps ran with as their literal text (RULINGS 12), children's included,
/// each as `step `NAME`: MESSAGE`.
fn collect_warnings(execution: &Execution, prefix: &str, out: &mut Vec<String>) {
    for warning in &execution.warnings {
        out.push(format!("step `{prefix}{}`: {}", warning.step_name, warning.message));
    }
    for step in &execution.step_executions {
        if let Some(child) = &step.child {
            collect_warnings(child, &format!("{prefix}{} > ", step.step_name), out);
        }
    }
}

/// Two spaces a level; a borrowed slice for all but absurd depths, as every line starts with one.
fn indent(depth: u32) -> std::borrow::Cow<'static, str> {
    const SPACES: &str = "                                ";
    let width = depth as usize * 2;
    match SPACES.get(..width) {
        Some(spaces) => std::borrow::Cow::Borrowed(spaces),
        None => std::borrow::Cow::Owned(" ".repeat(width)),
    }
}

/// A progress bar `#########.........` of `width` characters.
fn bar(done: usize, total: usize, width: usize) -> String {
    let filled = (done * width).checked_div(total).unwrap_or(width).min(width);
    format!("{}{}", "#".repeat(filled), ".".repeat(width - filled))
}

/// A duration as `2h 5m 3s`.
pub(crate) fn duration(span: jiff::SignedDuration) -> String {
    let mut out = String::new();
    push_duration(&mut out, span);
    out
}

fn push_duration(out: &mut String, span: jiff::SignedDuration) {
    let total = span.as_secs().max(0);
    let (hours, minutes, seconds) = (total / 3600, (total % 3600) / 60, total % 60);
    let _ = match (hours, minutes) {
        (0, 0) => write!(out, "{seconds}s"),
        (0, _) => write!(out, "{minutes}m {seconds}s"),
        _ => write!(out, "{hours}h {minutes}m {seconds}s"),
    };
}

/// `value` as compact JSON in `scratch`, written as bytes rather than through `Display`, whose
/// formatting machinery costs more than the writing.
fn json_into(scratch: &mut String, value: &serde_json::Value) {
    let mut bytes = std::mem::take(scratch).into_bytes();
    bytes.clear();
    // Writing into memory cannot fail, and JSON written whole is UTF-8.
    let _ = serde_json::to_writer(&mut bytes, value);
    *scratch = String::from_utf8(bytes).unwrap_or_default();
}

fn step_line(out: &mut String, depth: u32, step: &StepExecution, color: bool) {
    let mark = match step.step_status {
        Status::Success => "✔",
        Status::Failed | Status::TimedOut => "✘",
        Status::Cancelled => "■",
        Status::Exited => "↪",
        _ => "·",
    };
    let style = status(step.step_status);
    out.push_str(&indent(depth));
    out.push_str(&paint(color, style, mark));
    out.push(' ');
    escape_into(out, &step.step_name);
    out.push(' ');
    out.push_str(&paint(color, style, step.step_status.as_str()));
    out.push(' ');
    if let (Some(start), Some(end)) = (step.execution_start_time, step.execution_end_time) {
        push_duration(out, end.duration_since(start));
    }
    if let Some(next) = step.outputs.get("NextStep") {
        out.push_str(" → ");
        escape_into(out, &as_text(next));
    }
    out.push('\n');
    if let Some(message) = &step.failure_message {
        let margin = format!("{}    ", indent(depth));
        let _ = writeln!(out, "{margin}{}", escape_lines(message.trim_end_matches('\n'), &margin));
    }
}

impl Progress {
    /// Appends `event`'s lines to `out`; false when the event shows nothing.
    fn render(&self, event: &Event<'_>, out: &mut String, scratch: &mut String) -> bool {
        match event {
            Event::RunStarted { run } if run.depth > 0 => {
                out.push_str(&indent(run.depth));
                out.push_str("▶ automation ");
                escape_into(out, &run.document);
                out.push_str(" (");
                escape_into(out, &run.execution_id);
                out.push_str(")\n");
            }
            Event::StepStarted { run, step, action, attempt, max_attempts } => {
                out.push_str(&indent(run.depth));
                out.push_str("▶ ");
                escape_into(out, step);
                if *attempt == 1 {
                    out.push_str(" (");
                    escape_into(out, action);
                    out.push_str(")\n");
                } else {
                    let _ = writeln!(out, " attempt {attempt}/{max_attempts}");
                }
            }
            Event::AttemptFailed { run, step, attempt, message } => {
                let margin = format!("{}    ", indent(run.depth));
                let _ = writeln!(
                    out,
                    "{}  {}: attempt {attempt} failed: {}",
                    indent(run.depth),
                    escape(step),
                    escape_lines(message, &margin)
                );
            }
            Event::Waiting { run, step, request } => {
                let what = match request.kind {
                    WaitKind::Approval => {
                        format!("an approval from {}", escape(&request.approvers.join(", ")))
                    }
                    WaitKind::Pause => "a resume".to_string(),
                };
                let _ = writeln!(out, "{}⏸ {} waits for {what}", indent(run.depth), escape(step));
            }
            Event::AwsCall { run, call } => {
                out.push_str(&indent(run.depth));
                out.push_str("    ");
                escape_into(out, &call.service);
                out.push('.');
                escape_into(out, &call.api);
                out.push(' ');
                json_into(scratch, &call.params);
                escape_into(out, scratch);
                match (&call.response, &call.error) {
                    (_, Some(error)) => {
                        out.push_str(" ✘ ");
                        escape_into(out, &error.code);
                        out.push_str(": ");
                        escape_into(out, &error.message);
                    }
                    (Some(response), None) if self.verbose => {
                        out.push_str(" ✔ ");
                        json_into(scratch, response);
                        escape_into(out, scratch);
                    }
                    _ => out.push_str(" ✔"),
                }
                out.push('\n');
            }
            Event::ScriptOutput { run, stdout, stderr, .. } => {
                // Warnings about the script (an interpreter that is not the runbook's runtime)
                // always show; what the script printed shows with --verbose.
                let before = out.len();
                for line in stdout.lines().chain(stderr.lines()) {
                    if self.verbose || line.starts_with("warning:") {
                        let line = line.strip_suffix('\r').unwrap_or(line);
                        let _ = writeln!(out, "{}    │ {}", indent(run.depth), escape(line));
                    }
                }
                return out.len() > before;
            }
            Event::FleetProgress { run, done, running, failed, remaining } => {
                let total = done + running + remaining;
                let bar = bar(*done, total, 24);
                let _ = write!(
                    out,
                    "\r{}[{bar}] {done}/{total} done · {running} running · {failed} failed · {remaining} remaining",
                    indent(run.depth)
                );
                if !self.to_terminal || *remaining + *running == 0 {
                    out.push('\n');
                }
            }
            Event::StepFinished { run, step } => step_line(out, run.depth, step, self.color),
            Event::RunFinished { run, execution } if run.depth > 0 => {
                let _ = writeln!(
                    out,
                    "{}◀ automation {} {}",
                    indent(run.depth),
                    escape(&run.document),
                    execution.automation_execution_status
                );
            }
            _ => return false,
        }
        true
    }
}

impl Observer for Progress {
    fn on_event(&self, event: &Event<'_>) {
        // A fleet's runs report through the progress line and the summary, not step by step.
        if self.fleet && !matches!(event, Event::FleetProgress { .. }) {
            return;
        }
        let mut lines = self.lines.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let Lines { pending, line, scratch } = &mut *lines;
        line.clear();
        if !self.render(event, line, scratch) {
            return;
        }
        match &self.secrets {
            Some(secrets) if !secrets.is_empty() => {
                pending.extend_from_slice(secrets.mask_text(line).as_bytes());
            }
            _ => pending.extend_from_slice(line.as_bytes()),
        }
        // A step that waits may wait for someone reading this.
        let waits = matches!(event, Event::Waiting { .. });
        if !self.buffered || waits || pending.len() >= Self::PENDING_LIMIT {
            self.write_out(pending);
        }
    }
}

/// Asks in the terminal whether to approve (or resume) a waiting step.
pub(crate) struct PromptApprover;

impl Approver for PromptApprover {
    fn decide(&self, request: &ApprovalRequest) -> BoxFuture<'_, Option<Decision>> {
        let request = request.clone();
        Box::pin(async move {
            // The terminal is read on a thread of its own, which nothing waits for at the end: a
            // cancelled run does not wait for an Enter that never comes. Waiting for the answer
            // is real work: on the blocking pool it holds the virtual clock, until the answer
            // comes or the step is cancelled (this future dropped).
            let (answer, answered) = std::sync::mpsc::channel();
            std::thread::Builder::new()
                .name("runbook-prompt".into())
                .spawn(move || {
                    let _ = answer.send(ask(&request));
                })
                .ok()?;
            let gone = Arc::new(AtomicBool::new(false));
            let _dropped = SetOnDrop(gone.clone());
            tokio::task::spawn_blocking(move || {
                loop {
                    match answered.recv_timeout(std::time::Duration::from_millis(50)) {
                        Ok(decision) => return decision,
                        Err(std::sync::mpsc::RecvTimeoutError::Timeout)
                            if !gone.load(Ordering::Relaxed) => {}
                        Err(_) => return None,
                    }
                }
            })
            .await
            .ok()
            .flatten()
        })
    }
}

/// Sets its flag when dropped.
struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

fn ask(request: &ApprovalRequest) -> Option<Decision> {
    let question = match request.kind {
        WaitKind::Approval => format!(
            "Approve step `{}`{}? [y]es, [n]o, or Enter to leave it waiting: ",
            escape(&request.step),
            request.message.as_deref().map(|m| format!(" ({})", escape(m))).unwrap_or_default()
        ),
        WaitKind::Pause => {
            format!(
                "Resume step `{}`? [y]es, or Enter to leave it waiting: ",
                escape(&request.step)
            )
        }
    };
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(question.as_bytes());
    let _ = stderr.flush();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).ok()?;
    let approver = std::env::var("USER").unwrap_or_else(|_| "terminal".to_string());
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Some(Decision::approve(approver)),
        "n" | "no" => Some(Decision::reject(approver)),
        _ => None,
    }
}

/// One line per target of a fleet run: the target, its status and its execution id.
pub(crate) fn fleet_summary(execution: &Execution) -> String {
    let mut out = String::from("targets:\n");
    let width =
        execution.step_executions.iter().map(|s| s.step_name.chars().count()).max().unwrap_or(0);
    for step in &execution.step_executions {
        let id = step
            .child
            .as_ref()
            .map(|child| child.automation_execution_id.as_str())
            .unwrap_or_default();
        let why = step
            .failure_message
            .as_deref()
            .map(|m| format!("  {}", escape_lines(m.trim_end_matches('\n'), "      ")))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:<width$}  {:<9} {}{why}",
            escape(&step.step_name),
            step.step_status.as_str(),
            escape(id)
        );
    }
    out
}
