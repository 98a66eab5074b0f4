//! Presenting validation findings: as text for people, as JSON, and as SARIF for CI systems.

pub(crate) mod human;
pub(crate) mod json;
pub(crate) mod sarif;

use runbook_engine::Document;
use runbook_engine::document::LoadError;
use runbook_engine::validate::Report;

/// The outcome of checking one file.
pub(crate) enum FileResult {
    /// The file loaded and was validated.
    Checked { document: Box<Document>, report: Report },
    /// The file could not be loaded as a runbook.
    Failed { error: LoadError, text: String },
}

impl FileResult {
    pub(crate) fn path(&self) -> &std::path::Path {
        match self {
            Self::Checked { document, .. } => &document.source.path,
            Self::Failed { error, .. } => &error.path,
        }
    }

    /// Errors and warnings in the file (a load failure is one error).
    pub(crate) fn counts(&self) -> (usize, usize) {
        match self {
            Self::Checked { report, .. } => (report.errors().count(), report.warnings().count()),
            Self::Failed { .. } => (1, 0),
        }
    }
}

/// Everything `runbook validate` found.
#[derive(Default)]
pub(crate) struct Checked {
    pub(crate) files: Vec<FileResult>,
    /// Files found in folders that are not Automation runbooks.
    pub(crate) skipped: usize,
    /// Files that could not be read.
    pub(crate) unreadable: usize,
}

impl Checked {
    pub(crate) fn has_errors(&self) -> bool {
        self.files.iter().any(|file| file.counts().0 > 0)
    }

    /// Total errors and warnings.
    pub(crate) fn totals(&self) -> (usize, usize) {
        self.files.iter().map(FileResult::counts).fold((0, 0), |(e, w), (fe, fw)| (e + fe, w + fw))
    }
}
