//! Integration tests of the `runbook` workspace, as one binary.
