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
mod tests {
    use super::super::{RunnerOptions, run_files};
    use super::*;

    /// A folder of its own under the system's temporary folder, removed at the end.
    struct Folder(PathBuf);

    impl Folder {
        fn new(name: &str) -> Self {
            let path = std::env::temp_dir()
                .join(format!("runbook-coverage-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).unwrap();
            Self(path)
        }

        fn write(&self, name: &str, text: &str) -> PathBuf {
            let path = self.0.join(name);
            std::fs::write(&path, text).unwrap();
            path
        }
    }

    impl Drop for Folder {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const FLOW: &str = "\
schemaVersion: '0.3'
parameters:
  Mode: {type: String}
mainSteps:
  - name: route
    action: aws:branch
    inputs:
      Choices:
        - {NextStep: call, Variable: '{{ Mode }}', StringEquals: fail}
        - {NextStep: soak, Variable: '{{ Mode }}', StringEquals: soak}
        - {NextStep: call, Variable: '{{ Mode }}', StringEquals: broken}
      Default: done
  - name: call
    action: aws:executeAwsApi
    onFailure: step:cleanup
    inputs: {Service: ec2, Api: DescribeInstances}
  - name: soak
    action: aws:sleep
    onCancel: step:cleanup
    inputs: {Duration: P1D}
  - name: cleanup
    action: aws:executeAwsApi
    onFailure: Continue
    isEnd: true
    inputs: {Service: sns, Api: Publish, TopicArn: 'arn:aws:sns:us-east-1:111122223333:ops', Message: done}
  - name: done
    action: aws:sleep
    inputs: {Duration: PT1S}
";

    const FLOW_TESTS: &str = "\
runbook: flow.yaml
cases:
  - name: nothing to do
    parameters: {Mode: none}
    expect: {path: [route, done]}
  - name: a refused call cleans up
    parameters: {Mode: fail}
    mocks:
      aws:
        - {service: ec2, api: DescribeInstances, error: {code: UnauthorizedOperation, message: not allowed}}
        - {service: sns, api: Publish, returns: {MessageId: m-1}}
    expect: {status: Failed, path: [route, call, cleanup]}
  - name: a cancelled soak cleans up
    parameters: {Mode: soak}
    mocks:
      aws:
        - {service: sns, api: Publish, returns: {MessageId: m-1}}
    cancel: {atStep: soak}
    expect: {status: Cancelled, path: [route, soak, cleanup]}
";

    fn gather(folder: &Folder, test_file: &str, filter: Option<&str>) -> Coverage {
        let file = TestFile::load(&folder.0.join(test_file)).unwrap();
        let options = RunnerOptions {
            filter: filter.map(str::to_string),
            jobs: 2,
            ..RunnerOptions::default()
        };
        let files = [file];
        let outcomes = run_files(&files, &options);
        for outcome in &outcomes {
            assert!(outcome.passed(), "{}: {:?}", outcome.case, outcome.failures);
        }
        Coverage::gather(&files, &outcomes)
    }

    fn flow(name: &str) -> Folder {
        let folder = Folder::new(name);
        folder.write("flow.yaml", FLOW);
        folder.write("flow.test.yaml", FLOW_TESTS);
        folder
    }

    fn summary(runbook: &RunbookCoverage) -> Vec<(String, u32, u64)> {
        runbook.edges.iter().map(|e| (e.label.clone(), e.line, e.hits)).collect()
    }

    #[test]
    fn every_case_adds_to_the_steps_and_edges_of_its_runbook() {
        let folder = flow("merge");
        let coverage = gather(&folder, "flow.test.yaml", None);
        assert_eq!(coverage.runbooks.len(), 1);
        let runbook = &coverage.runbooks[0];
        let steps: Vec<(&str, u32, u64)> =
            runbook.steps.iter().map(|s| (s.name.as_str(), s.line, s.hits)).collect();
        assert_eq!(
            steps,
            [
                ("route", 5, 3),
                ("call", 13, 1),
                ("soak", 17, 1),
                ("cleanup", 21, 2),
                ("done", 26, 1)
            ]
        );
        assert_eq!(
            summary(runbook),
            [
                ("choices 1, 3 → call".to_string(), 9, 1),
                ("choice 2 → soak".to_string(), 10, 1),
                ("Default → done".to_string(), 12, 1),
                ("onFailure → cleanup".to_string(), 15, 1),
                ("onCancel → cleanup".to_string(), 19, 1),
                ("onFailure: Continue".to_string(), 23, 0),
            ]
        );
        assert_eq!(runbook.steps_covered(), (5, 5));
        assert_eq!(runbook.edges_covered(EdgeKind::Branch), (3, 3));
        assert_eq!(runbook.edges_covered(EdgeKind::Failure), (2, 3));
    }

    #[test]
    fn steps_and_edges_not_reached_are_named_with_their_lines() {
        let folder = flow("missed");
        let coverage = gather(&folder, "flow.test.yaml", Some("nothing"));
        let text = coverage.human(false);
        let flow = folder.0.join("flow.yaml").display().to_string();
        assert!(
            text.contains(&format!(
                "{flow}: 2/5 steps (40%), 1/3 branch choices, 0/3 failure edges"
            )),
            "{text}"
        );
        for (line, step) in [(13, "call"), (17, "soak"), (21, "cleanup")] {
            assert!(text.contains(&format!("not reached: {flow}:{line}: step `{step}`")), "{text}");
        }
        assert!(
            text.contains(&format!(
                "branch choice not taken: {flow}:9: step `route`: choices 1, 3 → call"
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "failure edge not taken: {flow}:19: step `soak`: onCancel → cleanup"
            )),
            "{text}"
        );
        assert!(!text.contains("Default → done"), "{text}");
        assert!(text.ends_with("total: 2/5 steps (40%) in 1 runbook\n"), "{text}");
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(coverage.human(true).contains("\u{1b}["));
    }

    #[test]
    fn a_child_runbook_is_covered_under_its_own_file() {
        let folder = Folder::new("child");
        folder.write(
            "parent.yaml",
            "schemaVersion: '0.3'\nmainSteps:\n  - name: start\n    action: aws:executeAutomation\n    inputs: {DocumentName: Child}\n",
        );
        folder.write(
            "child.yaml",
            "schemaVersion: '0.3'\nmainSteps:\n  - {name: first, action: aws:sleep, inputs: {Duration: PT1S}, isEnd: true}\n  - {name: second, action: aws:sleep, inputs: {Duration: PT1S}}\n",
        );
        folder.write(
            "parent.test.yaml",
            "runbook: parent.yaml\ndocuments: {Child: child.yaml}\ncases:\n  - name: runs the child\n  - name: and again\n",
        );
        let coverage = gather(&folder, "parent.test.yaml", None);
        let paths: Vec<String> =
            coverage.runbooks.iter().map(|r| r.path.display().to_string()).collect();
        assert_eq!(
            paths,
            [
                folder.0.join("parent.yaml").display().to_string(),
                folder.0.join("child.yaml").display().to_string()
            ]
        );
        let child: Vec<u64> = coverage.runbooks[1].steps.iter().map(|s| s.hits).collect();
        assert_eq!(child, [2, 0]);
        assert!(coverage.unreadable.is_empty(), "{:?}", coverage.unreadable);
    }

    #[test]
    fn a_branch_without_default_has_the_edge_of_matching_no_choice() {
        let folder = Folder::new("no-choice");
        folder.write(
            "gate.yaml",
            "schemaVersion: '0.3'\nparameters:\n  Go: {type: String}\nmainSteps:\n  - name: check\n    action: aws:branch\n    isEnd: true\n    inputs:\n      Choices:\n        - {NextStep: go, Variable: '{{ Go }}', StringEquals: 'yes'}\n  - {name: go, action: aws:sleep, inputs: {Duration: PT1S}}\n",
        );
        folder.write(
            "gate.test.yaml",
            "runbook: gate.yaml\ncases:\n  - name: closed\n    parameters: {Go: 'no'}\n    expect: {path: [check]}\n  - name: open\n    parameters: {Go: 'yes'}\n    expect: {path: [check, go]}\n",
        );
        let closed = gather(&folder, "gate.test.yaml", Some("closed"));
        assert_eq!(
            summary(&closed.runbooks[0]),
            [
                ("choice 1 → go".to_string(), 10, 0),
                ("no choice matched (no Default)".to_string(), 5, 1)
            ]
        );
        let open = gather(&folder, "gate.test.yaml", Some("open"));
        let hits: Vec<u64> = open.runbooks[0].edges.iter().map(|e| e.hits).collect();
        assert_eq!(hits, [1, 0]);
    }

    #[test]
    fn a_run_over_targets_counts_each_target_s_run_of_the_runbook() {
        let folder = Folder::new("fleet");
        folder.write(
            "each.yaml",
            "schemaVersion: '0.3'\nparameters:\n  Id: {type: String}\nmainSteps:\n  - {name: first, action: aws:sleep, inputs: {Duration: PT1S}, isEnd: true}\n  - {name: never, action: aws:sleep, inputs: {Duration: PT1S}}\n",
        );
        folder.write(
            "each.test.yaml",
            "runbook: each.yaml\ncases:\n  - name: three targets\n    fleet: {TargetParameterName: Id, Targets: [{Key: ParameterValues, Values: [a, b, c]}]}\n",
        );
        let coverage = gather(&folder, "each.test.yaml", None);
        assert_eq!(coverage.runbooks.len(), 1);
        let steps: Vec<(&str, u64)> =
            coverage.runbooks[0].steps.iter().map(|s| (s.name.as_str(), s.hits)).collect();
        assert_eq!(steps, [("first", 3), ("never", 0)]);
        assert!(coverage.unreadable.is_empty(), "{:?}", coverage.unreadable);
    }

    /// One LCOV record, read back field by field.
    #[derive(Debug, Default)]
    struct Record {
        source: String,
        lines: Vec<(u32, u64)>,
        branches: Vec<(u32, usize, usize, Option<u64>)>,
        counts: IndexMap<String, usize>,
    }

    /// Reads LCOV text back, failing on any line the format does not have and on a record that
    /// is not closed.
    fn parse_lcov(text: &str) -> Vec<Record> {
        let mut records = Vec::new();
        let mut current: Option<Record> = None;
        for line in text.lines() {
            if line == "TN:" {
                assert!(current.is_none(), "TN inside a record");
                current = Some(Record::default());
                continue;
            }
            let record = current.as_mut().expect("a line outside a record");
            if line == "end_of_record" {
                records.push(current.take().unwrap());
                continue;
            }
            let (key, value) = line.split_once(':').expect("KEY:VALUE");
            let fields: Vec<&str> = value.split(',').collect();
            match key {
                "SF" => record.source = value.to_string(),
                "DA" => {
                    assert_eq!(fields.len(), 2, "{line}");
                    record.lines.push((fields[0].parse().unwrap(), fields[1].parse().unwrap()));
                }
                "BRDA" => {
                    assert_eq!(fields.len(), 4, "{line}");
                    let taken =
                        if fields[3] == "-" { None } else { Some(fields[3].parse().unwrap()) };
                    record.branches.push((
                        fields[0].parse().unwrap(),
                        fields[1].parse().unwrap(),
                        fields[2].parse().unwrap(),
                        taken,
                    ));
                }
                "LF" | "LH" | "BRF" | "BRH" => {
                    record.counts.insert(key.to_string(), value.parse().unwrap());
                }
                other => panic!("not an LCOV line: {other}"),
            }
        }
        assert!(current.is_none(), "a record is not closed");
        records
    }

    #[test]
    fn lcov_has_a_record_per_runbook_whose_counts_add_up() {
        let folder = flow("lcov");
        let coverage = gather(&folder, "flow.test.yaml", Some("nothing"));
        let records = parse_lcov(&coverage.lcov());
        assert_eq!(records.len(), 1);
        let record = &records[0];
        assert_eq!(record.source, folder.0.join("flow.yaml").display().to_string());
        assert_eq!(record.lines, [(5, 1), (13, 0), (17, 0), (21, 0), (26, 1)]);
        assert_eq!(
            record.branches,
            [
                (9, 0, 0, Some(0)),
                (10, 0, 1, Some(0)),
                (12, 0, 2, Some(1)),
                (15, 1, 0, None),
                (19, 2, 0, None),
                (23, 3, 0, None)
            ]
        );
        let hit_lines = record.lines.iter().filter(|(_, hits)| *hits > 0).count();
        let hit_branches = record.branches.iter().filter(|b| b.3.is_some_and(|n| n > 0)).count();
        assert_eq!(record.counts["LF"], record.lines.len());
        assert_eq!(record.counts["LH"], hit_lines);
        assert_eq!(record.counts["BRF"], record.branches.len());
        assert_eq!(record.counts["BRH"], hit_branches);
        assert_eq!((hit_lines, hit_branches), (2, 1));
    }

    #[test]
    fn a_file_none_of_whose_cases_ran_is_left_out() {
        let folder = flow("filtered");
        let coverage = gather(&folder, "flow.test.yaml", Some("no such case"));
        assert_eq!(coverage, Coverage::default());
        assert_eq!(coverage.lcov(), "");
    }
}
