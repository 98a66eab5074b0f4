//! Integration tests of the `runbook` workspace, as one binary:
//!
//! - `cases`: the SPEC and RULINGS conformance cases of `tests/cases/`, run as `runbook test`
//!   runs test files;
//! - `cli`: the `runbook` command driven as users drive it;
//! - `coverage`: `runbook test --coverage` and `--lcov`, on the examples and on cases that miss
//!   steps and edges;
//! - `corpus`: every runbook of the shared corpus loads and validates as recorded;
//! - `corpus_auto_mock`: every corpus runbook walks on placeholder answers to a terminal status;
//! - `corpus_init`: `runbook init` on the examples and twenty corpus runbooks writes test files
//!   that load, with the cases that pass as written recorded;
//! - `corpus_models`: the corpus's AWS API calls checked against botocore's models;
//! - `corpus_runs`: every corpus runbook runs to a terminal status, and every documented action
//!   runs to its documented outcome;
//! - `corpus_scripts`: every Python script of the corpus compiles and defines its handler (RB040);
//! - `examples`: every example runbook passes its test file;
//! - `fuzz`: mutated runbooks, mock files and test files, by proptest: no panic, errors located;
//! - `init`: `runbook init` writes a test file that `runbook test` runs, never overwriting;
//! - `live` (feature `aws`): runbooks run against a moto server through the signed client;
//! - `load_errors`: each way a file can fail to load, pinned to its position;
//! - `permissions`: the IAM policy a runbook needs;
//! - `record`: `runbook run --record`, and runs replayed from their recordings;
//! - `record_json`: the record's JSON writer writes what `serde_json`'s pretty printer writes;
//! - `remote` (feature `aws`): `runbook deploy` and `runbook run --remote` against a scripted SSM
//!   endpoint in the test process;
//! - `references`: references with no value at run time are left as written, with warnings;
//! - `robustness`: mutated corpus files never panic the loader or the validator;
//! - `safety`: dry runs sealed off from AWS, cancels by signal, private scratch folders;
//! - `schemas`: the checked-in JSON Schemas match what the code generates;
//! - `secrets`: `SecureString` values masked in progress, records and test reports;
//! - `script_calls`: the AWS calls of scripts answered by mocks and placeholders;
//! - `test_files`: test files that use every part of the format, and ones that fail as they
//!   should;
//! - `types`: references whose declared type does not fit their input.

mod support;

mod cases;
mod cli;
mod corpus;
mod corpus_auto_mock;
mod corpus_init;
mod corpus_models;
mod corpus_runs;
mod corpus_scripts;
mod coverage;
mod examples;
mod execution_ids;
mod fuzz;
mod init;
#[cfg(feature = "aws")]
mod live;
mod load_errors;
mod parameter_defaults;
mod permissions;
mod record;
mod record_json;
mod references;
#[cfg(feature = "aws")]
mod remote;
mod robustness;
mod safety;
mod schemas;
mod script_calls;
mod secrets;
mod terminal;
mod test_files;
mod types;
