//! Runbook unit tests: the test file format ([`TestFile`]), the runner that `runbook test` and
//! the workspace's own tests share ([`run_files`]), the reports ([`report`]) and the coverage
//! of runbooks by their cases ([`coverage`]).

pub mod coverage;
mod details;
mod documents;
mod file;
pub mod report;
mod runner;
mod scaffold;

pub use file::{
    Cancel, CaseContext, Expect, ExpectedCall, ExpectedWarning, Located, StepExpect, TestCase,
    TestFile, TestFileError, parse_time_limit,
};
pub use runner::{
    CaseOutcome, DEFAULT_TIME_LIMIT, Mismatch, RunnerOptions, compare, find_test_files, run_files,
};
pub use scaffold::{MAX_CASES, SCAFFOLD_ERROR_CODE, Scaffold, ScaffoldCase};
