//! The static validator: the service's rules checked before anything runs.
//!
//! Each rule lives in its own file under `rules/`, with its code, its documentation and its
//! tests. [`validate`] runs them all over a shared [`Context`] (the document, its step graph and
//! every `{{ }}` reference found in it) and returns every finding at once. It never fails.

mod context;
mod rules;

use serde::Serialize;

pub use context::{Context, Use};
pub use rules::RULES;

use crate::diagnostic::{Code, Diagnostic};
use crate::document::Document;

/// A validation rule: its code, a one-line summary, and the check itself.
#[derive(Clone, Copy)]
pub struct Rule {
    /// The rule's stable code.
    pub code: Code,
    /// What it checks, in one line.
    pub summary: &'static str,
    /// Runs the rule.
    pub check: fn(&Context<'_>, &mut Vec<Diagnostic>),
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule")
            .field("code", &self.code)
            .field("summary", &self.summary)
            .finish_non_exhaustive()
    }
}

/// The findings about one document, in source order.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// Every finding.
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| !d.is_error())
    }

    /// Adds findings of rules that run outside this crate (the checks against AWS's API
    /// models), keeping source order.
    pub fn merge(&mut self, diagnostics: impl IntoIterator<Item = Diagnostic>) {
        self.diagnostics.extend(diagnostics);
        sort(&mut self.diagnostics);
    }
}

/// Source order, then code order; duplicates dropped.
fn sort(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| {
        let position = |d: &Diagnostic| d.span.map(|span| span.start);
        position(a).cmp(&position(b)).then_with(|| a.code.cmp(&b.code))
    });
    diagnostics.dedup();
}

/// Checks `document` with every rule.
pub fn validate(document: &Document) -> Report {
    let context = Context::new(document);
    let mut diagnostics = Vec::new();
    for rule in &RULES {
        (rule.check)(&context, &mut diagnostics);
    }
    sort(&mut diagnostics);
    Report { diagnostics }
}

/// Test helpers shared by the rule files.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use crate::document::Format;

    /// Runs one rule over a YAML runbook whose `mainSteps` (and anything else) is `body`.
    pub(crate) fn check(rule: Code, yaml: &str) -> Vec<Diagnostic> {
        let document = Document::parse("test.yaml", yaml.to_string(), Format::Yaml)
            .unwrap_or_else(|error| panic!("test runbook does not load: {error}"));
        let context = Context::new(&document);
        let rule = RULES.iter().find(|r| r.code == rule).expect("rule is registered");
        let mut out = Vec::new();
        (rule.check)(&context, &mut out);
        out
    }

    /// The messages of [`check`].
    pub(crate) fn messages(rule: Code, yaml: &str) -> Vec<String> {
        check(rule, yaml).into_iter().map(|d| d.message).collect()
    }

    /// A runbook with `steps` under `mainSteps` (each line already indented by two spaces).
    pub(crate) fn runbook(steps: &str) -> String {
        format!("schemaVersion: '0.3'\nmainSteps:\n{steps}")
    }
}
