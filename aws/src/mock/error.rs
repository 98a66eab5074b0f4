//! Why a mock file could not be loaded: every problem found, each with its file position and
//! field path.

use std::fmt;
use std::path::PathBuf;

use runbook_engine::syntax::Span;

use crate::sandbox::CompileError;

/// A mock file that cannot be used. It lists every problem found, not just the first, so that
/// one edit can fix them all.
#[derive(Debug, thiserror::Error)]
pub struct MockFileError {
    /// The file (for mocks embedded in a test file, the test file).
    pub origin: PathBuf,
    /// What is wrong; never empty.
    pub problems: Vec<MockProblem>,
}

impl fmt::Display for MockFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, problem) in self.problems.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{}", self.origin.display())?;
            if let Some(span) = problem.span {
                write!(f, ":{}:{}", span.start.line, span.start.column)?;
            }
            f.write_str(": ")?;
            if !problem.path.is_empty() {
                write!(f, "{}: ", problem.path)?;
            }
            write!(f, "{}", problem.kind)?;
        }
        Ok(())
    }
}

impl MockFileError {
    /// The first problem (there is always one).
    pub fn first(&self) -> Option<&MockProblem> {
        self.problems.first()
    }
}

/// One problem in a mock file.
#[derive(Debug)]
pub struct MockProblem {
    /// Where it is, when it is at a place in the file.
    pub span: Option<Span>,
    /// The field at fault (`aws[3].sequence[0]`); empty for the file as a whole.
    pub path: String,
    /// What is wrong.
    pub kind: MockProblemKind,
}

/// The kinds of [`MockProblem`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MockProblemKind {
    /// The file could not be read.
    #[error("cannot read the file: {0}")]
    Io(#[source] std::io::Error),
    /// The text is not valid YAML or JSON.
    #[error("{0}")]
    Syntax(String),
    /// A field is missing, unknown, or has the wrong type or value.
    #[error("{0}")]
    Invalid(String),
    /// A rhai script does not compile.
    #[error("rhai syntax error: {0}")]
    Script(CompileError),
}
