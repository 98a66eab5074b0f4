//! Why a file could not be loaded as a runbook.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::syntax::Span;

/// A file that cannot be a runbook: unreadable, not YAML/JSON, or the wrong kind of document.
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {kind}", path.display(), location(*span))]
pub struct LoadError {
    /// The file.
    pub path: PathBuf,
    /// Where in the file, when known.
    pub span: Option<Span>,
    /// What is wrong.
    pub kind: LoadErrorKind,
}

fn location(span: Option<Span>) -> String {
    span.map(|span| format!(":{}:{}", span.start.line, span.start.column)).unwrap_or_default()
}

impl LoadError {
    /// An error about the file as a whole.
    pub fn new(path: &Path, kind: LoadErrorKind) -> Self {
        Self { path: path.to_path_buf(), span: None, kind }
    }

    /// An error at `span`.
    pub fn at(path: &Path, span: Span, kind: LoadErrorKind) -> Self {
        Self { path: path.to_path_buf(), span: Some(span), kind }
    }

    /// What is wrong.
    pub fn kind(&self) -> &LoadErrorKind {
        &self.kind
    }
}

/// The kinds of [`LoadError`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadErrorKind {
    /// The file could not be read.
    #[error("cannot read the file: {0}")]
    Io(#[source] std::io::Error),
    /// The text is not valid YAML or JSON (duplicate keys included).
    #[error("{0}")]
    Syntax(String),
    /// A top-level field has the wrong type (`mainSteps` is not a list, ...).
    #[error("`{field}` must be {expected}, found {found}")]
    Shape {
        /// The field.
        field: String,
        /// What it must be.
        expected: &'static str,
        /// What it is.
        found: &'static str,
    },
    /// The document is not an Automation runbook.
    #[error("{0}")]
    NotAutomation(NotAutomation),
}

/// A document of another kind than an Automation runbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAutomation {
    /// Its `schemaVersion`, if it has one.
    pub schema_version: Option<String>,
}

impl fmt::Display for NotAutomation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(version) = &self.schema_version else {
            return f.write_str(
                "not an Automation runbook: `schemaVersion` is missing; \
                 only Automation runbooks (schemaVersion '0.3') run here",
            );
        };
        let what = match version.as_str() {
            "2.2" | "2.0" | "1.2" => "a Command document",
            "1.0" => "a Session, Package or policy document",
            _ => "not an Automation runbook",
        };
        write!(
            f,
            "schemaVersion '{version}' is {what}; only Automation runbooks (schemaVersion '0.3') run here"
        )
    }
}
