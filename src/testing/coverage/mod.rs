//! Coverage of runbooks by their test cases: which steps ran, which branch choices and failure
//! edges were taken, gathered from the run records of [`run_files`](super::run_files) and merged
//! per runbook across every case of every test file. Child runbooks that
//! `aws:executeAutomation` started count under their own file. Shown to people by
//! [`Coverage::human`] and written for CI coverage tools by [`Coverage::lcov`].
//!
//! The edges counted are the ones the runbook writes: each `Choices` entry and the `Default` of
//! an `aws:branch` (choices that name the same step are one edge, since the record shows only
//! where the branch went; a branch without `Default` has the edge of matching no choice), and an
//! explicit `onFailure` (`step:X`, `Continue`, `Abort`) or
//! `onCancel` (`step:X`, `Abort`). The default `Abort` of a step that writes neither is not an
//! edge: it would add one per step to every runbook.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use anstyle::{AnsiColor, Style};
use indexmap::IndexMap;
use runbook_engine::Document;
use runbook_engine::document::{JumpKind, OnCancel, OnFailure, Step};
use runbook_engine::record::{Execution, Status, StepExecution};

use super::{CaseOutcome, TestFile};
use crate::terminal::escape as visible;

/// The coverage of every runbook the cases ran, in the order first run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Each runbook's coverage.
    pub runbooks: Vec<RunbookCoverage>,
    /// Runbooks that ran but whose file could not be read back, with why.
    pub unreadable: Vec<(String, String)>,
}

/// How much of one runbook the cases ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunbookCoverage {
    /// The runbook's path, as the test file (or the child's lookup) gives it.
    pub path: PathBuf,
    /// Every step, nested loop steps included, in source order.
    pub steps: Vec<StepCoverage>,
    /// Every branch choice and failure edge, in source order.
    pub edges: Vec<EdgeCoverage>,
}

/// One step and how often it ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepCoverage {
    /// `name`.
    pub name: String,
    /// The line the step starts on.
    pub line: u32,
    /// How many times it ran, over all cases.
    pub hits: u64,
}

/// One place control can go from a step, and how often it went there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EdgeCoverage {
    /// The step it leaves, as an index into [`RunbookCoverage::steps`].
    pub step: usize,
    /// A branch choice or a failure edge.
    pub kind: EdgeKind,
    /// The edge as the runbook writes it: `choice 1 → stop`, `Default → done`,
    /// `onFailure → cleanup`, `onFailure: Continue`, `onCancel: Abort`.
    pub label: String,
    /// The line it is written on.
    pub line: u32,
    /// How many times it was taken, over all cases.
    pub hits: u64,
}

/// The two kinds of edges counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    /// An `aws:branch` choice or its `Default`.
    Branch,
    /// `onFailure` or `onCancel`.
    Failure,
}

/// What the edge of a step is, to tell from the step's record whether it was taken.
enum Taken {
    /// The branch went to this step.
    BranchTo(String),
    /// The branch matched no choice and has no `Default`, so the run went on.
    NoChoice,
    /// The step failed and the run went to this step.
    FailedTo(String),
    /// The step failed (`Continue`, `Abort`).
    Failed,
    /// The step was cancelled and this step ran after it.
    CancelledTo(String),
    /// The step was cancelled (`Abort`).
    Cancelled,
}

/// A runbook being counted.
struct Entry {
    coverage: RunbookCoverage,
    by_name: IndexMap<String, usize>,
    taken: Vec<Taken>,
}

impl Coverage {
    /// The coverage of the runbooks of `files` by the cases of `outcomes` (as
    /// [`run_files`](super::run_files) returns them for `files`). A test file none of whose
    /// cases ran is left out; a case whose run did not start covers nothing.
    pub fn gather(files: &[TestFile], outcomes: &[CaseOutcome]) -> Self {
        let mut entries: IndexMap<PathBuf, Entry> = IndexMap::new();
        let mut unreadable: IndexMap<PathBuf, (String, String)> = IndexMap::new();
        for file in files {
            let ran: Vec<&CaseOutcome> = outcomes.iter().filter(|o| o.file == file.path).collect();
            if ran.is_empty() {
                continue;
            }
            let Some(key) = entry(&mut entries, &mut unreadable, &file.runbook) else { continue };
            for execution in ran.iter().filter_map(|o| o.execution.as_ref()) {
                count(&mut entries, &mut unreadable, &key, execution, file);
            }
        }
        Self {
            runbooks: entries.into_values().map(|entry| entry.coverage).collect(),
            unreadable: unreadable.into_values().collect(),
        }
    }

    /// The coverage for people: per runbook the steps, branch choices and failure edges
    /// covered, then what was not, each with its line; coloured for a terminal when `color`.
    pub fn human(&self, color: bool) -> String {
        let paint = |style: Style, text: &str| {
            if color { format!("{style}{text}{style:#}") } else { text.to_string() }
        };
        let mut out = String::from("coverage:\n");
        for runbook in &self.runbooks {
            let path = visible(&runbook.path.display().to_string()).into_owned();
            let (run, total) = runbook.steps_covered();
            let (branches, branch_total) = runbook.edges_covered(EdgeKind::Branch);
            let (failures, failure_total) = runbook.edges_covered(EdgeKind::Failure);
            let steps = format!("{run}/{total} steps ({})", percent(run, total));
            let steps = if run == total { paint(COVERED, &steps) } else { paint(MISSED, &steps) };
            let _ = writeln!(
                out,
                "  {path}: {steps}, {}, {}",
                fraction(branches, branch_total, "branch choices", &paint),
                fraction(failures, failure_total, "failure edges", &paint),
            );
            for step in runbook.steps.iter().filter(|s| s.hits == 0) {
                let _ = writeln!(
                    out,
                    "    {} {path}:{}: step `{}`",
                    paint(MISSED, "not reached:"),
                    step.line,
                    visible(&step.name)
                );
            }
            for edge in runbook.edges.iter().filter(|e| e.hits == 0) {
                let what = match edge.kind {
                    EdgeKind::Branch => "branch choice not taken:",
                    EdgeKind::Failure => "failure edge not taken:",
                };
                let _ = writeln!(
                    out,
                    "    {} {path}:{}: step `{}`: {}",
                    paint(UNTAKEN, what),
                    edge.line,
                    visible(&runbook.steps[edge.step].name),
                    visible(&edge.label)
                );
            }
        }
        for (path, why) in &self.unreadable {
            let _ = writeln!(
                out,
                "  {}: {}: {}",
                visible(path),
                paint(MISSED, "not counted"),
                visible(why)
            );
        }
        let (run, total) = self
            .runbooks
            .iter()
            .map(RunbookCoverage::steps_covered)
            .fold((0, 0), |(a, b), (c, d)| (a + c, b + d));
        let _ = writeln!(
            out,
            "  total: {run}/{total} steps ({}) in {} {}",
            percent(run, total),
            self.runbooks.len(),
            if self.runbooks.len() == 1 { "runbook" } else { "runbooks" }
        );
        out
    }

    /// The coverage as LCOV tracefile text: a record per runbook (`SF:` its path), a `DA:` line
    /// per step (the step's line, how often it ran), a `BRDA:` line per edge (block: the step's
    /// index; `-` when the step never ran), and the `LF`/`LH`/`BRF`/`BRH` counts.
    pub fn lcov(&self) -> String {
        let mut out = String::new();
        for runbook in &self.runbooks {
            out.push_str("TN:\n");
            let _ = writeln!(out, "SF:{}", runbook.path.display());
            for (index, edge) in runbook.edges.iter().enumerate() {
                let step = &runbook.steps[edge.step];
                let branch = runbook.edges[..index].iter().filter(|e| e.step == edge.step).count();
                let taken = if step.hits == 0 { "-".to_string() } else { edge.hits.to_string() };
                let _ = writeln!(out, "BRDA:{},{},{branch},{taken}", edge.line, edge.step);
            }
            let taken = runbook.edges.iter().filter(|e| e.hits > 0).count();
            let _ = writeln!(out, "BRF:{}\nBRH:{taken}", runbook.edges.len());
            // LCOV has one count per line: steps written on one line (flow style) add up.
            let mut lines: IndexMap<u32, u64> = IndexMap::new();
            for step in &runbook.steps {
                *lines.entry(step.line).or_default() += step.hits;
            }
            lines.sort_keys();
            for (line, hits) in &lines {
                let _ = writeln!(out, "DA:{line},{hits}");
            }
            let hit = lines.values().filter(|hits| **hits > 0).count();
            let _ = writeln!(out, "LF:{}\nLH:{hit}", lines.len());
            out.push_str("end_of_record\n");
        }
        out
    }
}

impl RunbookCoverage {
    /// The steps that ran, and all of them.
    pub fn steps_covered(&self) -> (usize, usize) {
        (self.steps.iter().filter(|s| s.hits > 0).count(), self.steps.len())
    }

    /// The edges of `kind` taken, and all of them.
    pub fn edges_covered(&self, kind: EdgeKind) -> (usize, usize) {
        let edges = self.edges.iter().filter(|e| e.kind == kind);
        (edges.clone().filter(|e| e.hits > 0).count(), edges.count())
    }
}

const COVERED: Style = AnsiColor::Green.on_default();
const MISSED: Style = AnsiColor::Red.on_default().bold();
const UNTAKEN: Style = AnsiColor::Yellow.on_default().bold();

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        return "100%".to_string();
    }
    #[allow(clippy::cast_precision_loss, reason = "counts of steps are far below 2^52")]
    let share = part as f64 * 100.0 / whole as f64;
    if part < whole && share > 99.0 { "99%".to_string() } else { format!("{share:.0}%") }
}

fn fraction(
    part: usize,
    whole: usize,
    what: &str,
    paint: &dyn Fn(Style, &str) -> String,
) -> String {
    let text = format!("{part}/{whole} {what}");
    if part == whole { text } else { paint(UNTAKEN, &text) }
}

/// The key of the runbook at `path`, read and added on first sight; `None` when it cannot be
/// read.
fn entry(
    entries: &mut IndexMap<PathBuf, Entry>,
    unreadable: &mut IndexMap<PathBuf, (String, String)>,
    path: &Path,
) -> Option<PathBuf> {
    let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if entries.contains_key(&key) {
        return Some(key);
    }
    if unreadable.contains_key(&key) {
        return None;
    }
    match Document::load(path) {
        Ok(document) => {
            entries.insert(key.clone(), new_entry(path, &document));
            Some(key)
        }
        Err(error) => {
            unreadable.insert(key, (path.display().to_string(), error.to_string()));
            None
        }
    }
}

fn new_entry(path: &Path, document: &Document) -> Entry {
    let steps = document.all_steps();
    let mut entry = Entry {
        coverage: RunbookCoverage {
            path: path.to_path_buf(),
            steps: Vec::new(),
            edges: Vec::new(),
        },
        by_name: IndexMap::new(),
        taken: Vec::new(),
    };
    for (index, step) in steps.iter().enumerate() {
        entry.by_name.entry(step.name.value.clone()).or_insert(index);
        entry.coverage.steps.push(StepCoverage {
            name: step.name.value.clone(),
            line: step.span.start.line,
            hits: 0,
        });
        for (kind, label, line, taken) in edges(step) {
            entry.coverage.edges.push(EdgeCoverage { step: index, kind, label, line, hits: 0 });
            entry.taken.push(taken);
        }
    }
    entry
}

/// The edges of `step`: its branch choices grouped by the step they name, then its `onFailure`
/// and `onCancel`.
fn edges(step: &Step) -> Vec<(EdgeKind, String, u32, Taken)> {
    let mut out = Vec::new();
    let mut branches: IndexMap<&str, (Vec<String>, u32)> = IndexMap::new();
    for jump in step.jumps().branch() {
        let name = match jump.kind {
            JumpKind::Choice(index) => format!("{}", index + 1),
            _ => jump.kind.field().to_string(),
        };
        branches
            .entry(jump.target)
            .or_insert_with(|| (Vec::new(), jump.span.start.line))
            .0
            .push(name);
    }
    for (target, (names, line)) in branches {
        let choices: Vec<&String> = names.iter().filter(|n| n.as_str() != "Default").collect();
        let mut parts = Vec::new();
        if !choices.is_empty() {
            let numbers: Vec<&str> = choices.iter().map(|n| n.as_str()).collect();
            let word = if numbers.len() == 1 { "choice" } else { "choices" };
            parts.push(format!("{word} {}", numbers.join(", ")));
        }
        if names.iter().any(|n| n == "Default") {
            parts.push("Default".to_string());
        }
        out.push((
            EdgeKind::Branch,
            format!("{} → {target}", parts.join(" and ")),
            line,
            Taken::BranchTo(target.to_string()),
        ));
    }
    if let Some(branch) = &step.branch_inputs
        && branch.default.is_none()
    {
        out.push((
            EdgeKind::Branch,
            "no choice matched (no Default)".to_string(),
            step.span.start.line,
            Taken::NoChoice,
        ));
    }
    if let Some(on_failure) = &step.on_failure {
        let line = on_failure.span.start.line;
        let edge = match (&on_failure.value, step.jumps().on_failure()) {
            (OnFailure::Step(_), Some(jump)) => {
                (format!("onFailure → {}", jump.target), Taken::FailedTo(jump.target.to_string()))
            }
            (OnFailure::Continue, _) => ("onFailure: Continue".to_string(), Taken::Failed),
            _ => ("onFailure: Abort".to_string(), Taken::Failed),
        };
        out.push((EdgeKind::Failure, edge.0, line, edge.1));
    }
    if let Some(on_cancel) = &step.on_cancel {
        let line = on_cancel.span.start.line;
        let edge = match (&on_cancel.value, step.jumps().on_cancel()) {
            (OnCancel::Step(_), Some(jump)) => {
                (format!("onCancel → {}", jump.target), Taken::CancelledTo(jump.target.to_string()))
            }
            _ => ("onCancel: Abort".to_string(), Taken::Cancelled),
        };
        out.push((EdgeKind::Failure, edge.0, line, edge.1));
    }
    out
}

/// Counts what `execution` of the runbook under `key` ran, and its children's runs.
fn count(
    entries: &mut IndexMap<PathBuf, Entry>,
    unreadable: &mut IndexMap<PathBuf, (String, String)>,
    key: &Path,
    execution: &Execution,
    file: &TestFile,
) {
    // A run over targets is one run of the same runbook per target; its own steps are the
    // targets, not steps of the runbook.
    if execution.fleet.is_some() {
        for child in execution.step_executions.iter().filter_map(|s| s.child.as_deref()) {
            count(entries, unreadable, key, child, file);
        }
        return;
    }
    if let Some(entry) = entries.get_mut(key) {
        let records = &execution.step_executions;
        for (position, record) in records.iter().enumerate() {
            if record.step_status == Status::Pending {
                continue;
            }
            let Some(&index) = entry.by_name.get(&record.step_name) else { continue };
            entry.coverage.steps[index].hits += 1;
            for (edge, taken) in entry.coverage.edges.iter_mut().zip(&entry.taken) {
                if edge.step == index && was_taken(taken, record, &records[position + 1..]) {
                    edge.hits += 1;
                }
            }
        }
    }
    for record in &execution.step_executions {
        let Some(child) = record.child.as_deref() else { continue };
        let Some(path) = child_file(file, &child.document_name) else {
            let name = child.document_name.clone();
            unreadable.entry(PathBuf::from(&name)).or_insert_with(|| {
                (name, "a child runbook not found among the test file's `documents`".to_string())
            });
            continue;
        };
        if let Some(child_key) = entry(entries, unreadable, &path) {
            count(entries, unreadable, &child_key, child, file);
        }
    }
}

fn was_taken(taken: &Taken, record: &StepExecution, after: &[StepExecution]) -> bool {
    let failed = matches!(record.step_status, Status::Failed | Status::TimedOut);
    let cancelled = record.step_status == Status::Cancelled;
    match taken {
        Taken::BranchTo(target) => {
            record.outputs.get("NextStep").and_then(|v| v.as_str()) == Some(target.as_str())
        }
        Taken::NoChoice => {
            record.step_status == Status::Success && !record.outputs.contains_key("NextStep")
        }
        Taken::FailedTo(target) => failed && record.next_step.as_deref() == Some(target.as_str()),
        Taken::Failed => failed,
        Taken::CancelledTo(target) => {
            cancelled
                && after
                    .iter()
                    .any(|later| later.step_name == *target && later.step_status != Status::Pending)
        }
        Taken::Cancelled => cancelled,
    }
}

/// The file of the child runbook a run named `name` (its file name without the extension), as
/// the test file's `documents` give it: the named files first, then the folders.
fn child_file(file: &TestFile, name: &str) -> Option<PathBuf> {
    file.document_files
        .iter()
        .map(|(_, path)| path)
        .find(|path| path.file_stem().is_some_and(|stem| stem == name))
        .cloned()
        .or_else(|| {
            file.documents
                .iter()
                .flat_map(|folder| {
                    ["yaml", "yml", "json"].map(|ext| folder.join(format!("{name}.{ext}")))
                })
                .find(|path| path.is_file())
        })
}

#[cfg(test)]
mod tests;
