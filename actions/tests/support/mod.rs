//! What the script tests of several test binaries share.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use runbook_engine::host::{NoScriptCalls, ScriptRequest, ScriptRunner};

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

/// Starts `request` with `runner` and drops the step once `started` exists (the script writes
/// it), as a cancel drops it; then stops the runtime, which waits for the script to be stopped.
#[allow(dead_code, reason = "not every test binary cancels a script")]
#[allow(clippy::disallowed_methods, reason = "the test waits for a real process to start")]
pub(crate) fn cancel_once_started(
    runner: &dyn ScriptRunner,
    request: ScriptRequest,
    started: &Path,
) {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a runtime");
    runtime.block_on(async {
        let step = runner.run(request, &NoScriptCalls);
        let started = async {
            while !started.exists() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::select! {
            _ = step => panic!("the script ended on its own"),
            () = started => {}
        }
    });
    // Without the stop, the script would hold the blocking pool for its whole 600 seconds.
    runtime.shutdown_timeout(Duration::from_secs(60));
}

/// Whether process `pid` has ended (gone, or a zombie waiting to be reaped), waiting up to
/// ten seconds for it, which a loaded machine takes to deliver a kill no more than an idle one
/// does. Reads `/proc`, so it only answers on Linux.
#[allow(dead_code, reason = "not every test binary stops processes")]
#[allow(clippy::disallowed_methods, reason = "the test waits for real processes to end")]
pub(crate) fn has_ended(pid: u32) -> bool {
    let stat = std::path::PathBuf::from(format!("/proc/{pid}/stat"));
    (0..500).any(|_| {
        let state = std::fs::read_to_string(&stat).unwrap_or_default();
        let ended = state.is_empty() || state.split_whitespace().nth(2) == Some("Z");
        if !ended {
            std::thread::sleep(Duration::from_millis(20));
        }
        ended
    })
}
