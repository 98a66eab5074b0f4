//! What the script tests of several test binaries share.

use std::process::Command;

/// Fails the calling test, saying how to fix it, unless `python3` can import boto3: these tests
/// check what scripts that call AWS see, and skipping them would hide a broken setup.
#[track_caller]
pub(crate) fn assert_boto3() {
    let has_boto3 = Command::new("python3")
        .args(["-c", "import boto3"])
        .output()
        .is_ok_and(|output| output.status.success());
    assert!(has_boto3, "this test needs python3 with boto3: pip install boto3");
}
