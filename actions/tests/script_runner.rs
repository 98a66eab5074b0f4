//! The local script runners against a real `python3`: payloads, failures in the service's
//! shape, limits, attachments, AWS calls on mocks, and the PowerShell runner's plumbing.
//!
//! These tests need `python3` on `PATH` and fail with a message saying so when it is missing.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use runbook_actions::script::{
    CONTEXT_ENV, LocalScriptRunner, MOCK_AWS_ENV, PowerShellRunner, PythonRunner, Runtime,
};
use runbook_engine::host::{
    NoScriptCalls, ScriptAttachment, ScriptError, ScriptErrorKind, ScriptOutput, ScriptRequest,
    ScriptRunner, VirtualClock, virtual_runtime,
};
use serde_json::{Value, json};

fn python() -> PythonRunner {
    let probe = Command::new("python3").arg("--version").output();
    assert!(
        probe.is_ok_and(|output| output.status.success()),
        "these tests run scripts with a real Python: install python3 and put it on PATH"
    );
    PythonRunner::new(None)
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scripts")
}

/// A directory of its own under cargo's scratch space for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("script_runner").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("cargo's scratch directory is writable");
    dir
}

fn inline(script: &str, handler: &str, payload: Value) -> ScriptRequest {
    ScriptRequest {
        step: "calc".to_string(),
        runtime: "python3.11".to_string(),
        handler: Some(handler.to_string()),
        script: Some(script.to_string()),
        attachment: None,
        input_payload: payload,
        timeout: Duration::from_secs(60),
        env: Vec::new(),
    }
}

/// The request with `Runtime` set to the local interpreter's own version, so no warning
/// about versions muddles the test.
fn matching(runner: &PythonRunner, mut request: ScriptRequest) -> ScriptRequest {
    let version = runner.version().expect("python3 reports its version");
    request.runtime = format!("python{}.{}", version.major, version.minor);
    request
}

fn run_ok(runner: &PythonRunner, request: ScriptRequest) -> ScriptOutput {
    let request = matching(runner, request);
    match runner.run_blocking(&request) {
        Ok(output) => output,
        Err(error) => panic!("the script failed: {error:?}"),
    }
}

fn run_err(runner: &PythonRunner, request: ScriptRequest) -> ScriptError {
    let request = matching(runner, request);
    match runner.run_blocking(&request) {
        Ok(output) => panic!("the script succeeded: {output:?}"),
        Err(error) => error,
    }
}

#[test]
fn a_handler_s_return_value_is_the_payload() {
    let runner = python();
    let script = "def h(events, context):\n    n = int(events['n'])\n    return {'double': n * 2, 'tags': ['a', 'b'], 'none': None}\n";
    let output = run_ok(&runner, inline(script, "h", json!({ "n": "21" })));
    assert_eq!(output.payload, json!({ "double": 42, "tags": ["a", "b"], "none": null }));
    assert!(output.warnings.is_empty(), "{:?}", output.warnings);
}

#[test]
fn every_parameter_type_reaches_the_handler_and_comes_back_unchanged() {
    let runner = python();
    let payload = json!({
        "String": "text with \"quotes\" and ünïcode",
        "StringList": ["a", "b"],
        "Integer": 42,
        "Boolean": true,
        "StringMap": { "key": "value", "nested": { "deep": [1, 2] } },
        "MapList": [{ "Name": "a", "Value": "1" }, { "Name": "b", "Value": "2" }],
    });
    let script = "def h(events, context):\n    return {'events': events, 'types': {k: type(v).__name__ for k, v in events.items()}}\n";
    let output = run_ok(&runner, inline(script, "h", payload.clone()));
    assert_eq!(output.payload["events"], payload);
    assert_eq!(
        output.payload["types"],
        json!({
            "String": "str",
            "StringList": "list",
            "Integer": "int",
            "Boolean": "bool",
            "StringMap": "dict",
            "MapList": "list",
        })
    );
}

#[test]
fn prints_are_captured_apart_from_the_payload() {
    let runner = python();
    let script = "import sys\n\ndef h(events, context):\n    print('{\"ok\": false, \"payload\": 1}')\n    print('to stderr', file=sys.stderr)\n    return 'result'\n";
    let output = run_ok(&runner, inline(script, "h", json!({})));
    assert_eq!(output.payload, json!("result"));
    assert_eq!(output.stdout, "{\"ok\": false, \"payload\": 1}\n");
    assert_eq!(output.stderr, "to stderr\n");
}

#[test]
fn an_exception_fails_with_its_type_message_and_traceback() {
    let runner = python();
    let script = "def check(value):\n    raise ValueError('bad value: ' + value)\n\ndef h(events, context):\n    check(events['v'])\n";
    let error = run_err(&runner, inline(script, "h", json!({ "v": "x" })));
    assert_eq!(error.kind, ScriptErrorKind::Exception);
    let message = &error.message;
    assert!(message.starts_with("Traceback (most recent call last):\n"), "{message}");
    assert!(message.contains("  File \"customer_script.py\", line 5, in h\n"), "{message}");
    assert!(message.contains("  File \"customer_script.py\", line 2, in check\n"), "{message}");
    assert!(message.contains("    raise ValueError('bad value: ' + value)\n"), "{message}");
    assert!(message.ends_with("\n\nValueError - bad value: x"), "{message}");
    // Neither the bootstrap nor the scratch directory shows.
    assert!(!message.contains("<string>"), "{message}");
    assert!(!message.contains("runbook-script-"), "{message}");
}

#[test]
fn a_key_error_reads_as_the_service_shows_it() {
    let runner = python();
    let script = "def h(event, context):\n    my_id = event['expected_control_id']\n";
    let error = run_err(&runner, inline(script, "h", json!({})));
    assert!(error.message.ends_with("\n\nKeyError - 'expected_control_id'"), "{}", error.message);
}

#[test]
fn a_syntax_error_names_the_line() {
    let runner = python();
    let error = run_err(&runner, inline("def h(e, c):\n    return (\n", "h", json!({})));
    assert_eq!(error.kind, ScriptErrorKind::Exception);
    assert!(error.message.starts_with("SyntaxError - "), "{}", error.message);
    assert!(error.message.contains("customer_script.py, line 2"), "{}", error.message);
}

#[test]
fn a_missing_handler_is_invalid_input_naming_it() {
    let runner = python();
    let error =
        run_err(&runner, inline("def handler(e, c):\n    return 1\n", "script_handler", json!({})));
    assert_eq!(error.kind, ScriptErrorKind::InvalidInput);
    assert_eq!(error.message, "handler `script_handler` is not defined by the script");
}

#[test]
fn a_result_that_is_not_json_is_a_clear_error() {
    let runner = python();
    let script =
        "import datetime\n\ndef h(e, c):\n    return {'when': datetime.datetime(2024, 1, 1)}\n";
    let error = run_err(&runner, inline(script, "h", json!({})));
    assert_eq!(error.kind, ScriptErrorKind::Exception);
    assert_eq!(
        error.message,
        "the handler's return value cannot be written as JSON: Object of type datetime is not \
         JSON serializable"
    );
}

#[test]
fn a_script_that_ends_without_returning_says_so() {
    let runner = python();
    let script = "import os, sys\n\ndef h(e, c):\n    print('giving up', file=sys.stderr)\n    sys.stderr.flush()\n    os._exit(3)\n";
    let error = run_err(&runner, inline(script, "h", json!({})));
    assert_eq!(error.kind, ScriptErrorKind::Exception);
    assert_eq!(
        error.message,
        "the script exited with status 3 before its handler returned: giving up"
    );
}

#[test]
fn the_context_carries_what_the_run_gives_it() {
    let runner = python();
    let mut request = inline("def h(e, context):\n    return context\n", "h", json!({}));
    request.env = vec![
        (CONTEXT_ENV.to_string(), json!({ "automation:EXECUTION_ID": "abc-123" }).to_string()),
        ("AWS_REGION".to_string(), "eu-west-1".to_string()),
    ];
    let output = run_ok(&runner, request);
    assert_eq!(
        output.payload,
        json!({ "automation:EXECUTION_ID": "abc-123", "global:REGION": "eu-west-1" })
    );
}

#[test]
fn off_mocks_the_run_s_aws_settings_reach_the_script_and_the_runner_s_own_do_not() {
    let runner = python();
    let script = "import os\n\ndef h(e, c):\n    return {k: os.environ.get(k) for k in ('AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'RUNBOOK_SCRIPT_AWS', 'RUNBOOK_SCRIPT_CONTEXT')}\n";
    let mut request = inline(script, "h", json!({}));
    request.env = vec![
        ("AWS_ENDPOINT_URL".to_string(), "http://127.0.0.1:5000".to_string()),
        ("AWS_ACCESS_KEY_ID".to_string(), "testing".to_string()),
        (CONTEXT_ENV.to_string(), "{}".to_string()),
    ];
    let output = run_ok(&runner, request);
    assert_eq!(
        output.payload,
        json!({
            "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
            "AWS_ACCESS_KEY_ID": "testing",
            "RUNBOOK_SCRIPT_AWS": null,
            "RUNBOOK_SCRIPT_CONTEXT": null,
        })
    );
}

#[test]
#[allow(clippy::disallowed_methods, reason = "the test measures that the limit is real time")]
fn a_script_past_its_limit_is_stopped_with_its_children() {
    let runner = python();
    let script = "import subprocess, time\n\ndef h(e, c):\n    child = subprocess.Popen(['sleep', '120'])\n    print(child.pid, flush=True)\n    time.sleep(120)\n";
    let mut request = inline(script, "h", json!({}));
    request.timeout = Duration::from_secs(1);
    let started = std::time::Instant::now();
    let error = run_err(&runner, request);
    let took = started.elapsed();
    assert_eq!(error.kind, ScriptErrorKind::Timeout);
    assert_eq!(error.message, "the script ran longer than its limit of 1 second and was stopped");
    // Half of what the script would sleep: a loaded machine does not take a minute to start
    // Python and stop it, but a runner that waited for the script or its child would.
    assert!(took < Duration::from_secs(60), "stopping took {took:?}");
    // What the script printed before it was stopped is kept.
    let child: u32 = error.stdout.trim().parse().expect("the script printed its child's id");
    if cfg!(target_os = "linux") {
        assert!(support::has_ended(child), "the script's child {child} is still running");
    }
}

#[test]
#[allow(clippy::disallowed_methods, reason = "the test measures real time")]
fn a_script_s_leftover_processes_end_with_its_step() {
    let runner = python();
    let script =
        "import subprocess\n\ndef h(e, c):\n    return subprocess.Popen(['sleep', '120']).pid\n";
    let started = std::time::Instant::now();
    let output = run_ok(&runner, inline(script, "h", json!({})));
    let took = started.elapsed();
    // Half of what the leftover would sleep, a bound load cannot reach but waiting for it would.
    assert!(took < Duration::from_secs(60), "the step waited {took:?} for its leftovers");
    let leftover = output.payload.as_u64().expect("the script returned its child's id");
    if cfg!(target_os = "linux") {
        let leftover = u32::try_from(leftover).expect("a process id");
        assert!(support::has_ended(leftover), "the script's child {leftover} is still running");
    }
}

#[test]
fn an_output_over_100_kb_fails_the_step() {
    let runner = python();
    let error = run_err(&runner, inline("def h(e, c):\n    return 'x' * 200000\n", "h", json!({})));
    assert_eq!(error.kind, ScriptErrorKind::OutputTooLarge);
    assert_eq!(
        error.message,
        "the script's output is 200002 bytes of JSON; aws:executeScript returns at most 100 KB \
         (102400 bytes)"
    );
}

#[test]
fn an_output_far_over_100_kb_is_reported_by_its_size() {
    let runner = python();
    let error =
        run_err(&runner, inline("def h(e, c):\n    return 'x' * 3000000\n", "h", json!({})));
    assert_eq!(error.kind, ScriptErrorKind::OutputTooLarge);
    assert_eq!(
        error.message,
        "the script's output is 3000002 bytes of JSON; aws:executeScript returns at most 100 KB \
         (102400 bytes)"
    );
}

#[cfg(unix)]
#[test]
fn a_result_without_end_is_not_read_past_the_limit() {
    // The result file is the script's to write: linked to /dev/zero it never ends, and reading
    // it whole would never end either.
    let runner = python();
    let script =
        "import os\n\ndef h(e, c):\n    os.symlink('/dev/zero', 'result.json')\n    return 1\n";
    let error = run_err(&runner, inline(script, "h", json!({})));
    assert_eq!(error.kind, ScriptErrorKind::OutputTooLarge, "{}", error.message);
    assert_eq!(
        error.message,
        "the script's output is more than 205824 bytes of JSON; aws:executeScript returns at \
         most 100 KB (102400 bytes)"
    );
}

#[test]
fn a_returned_list_keeps_its_first_100_items() {
    let runner = python();
    let output =
        run_ok(&runner, inline("def h(e, c):\n    return list(range(250))\n", "h", json!({})));
    let items = output.payload.as_array().expect("a list");
    assert_eq!(items.len(), 100);
    assert_eq!(items[99], json!(99));
    assert_eq!(
        output.warnings,
        ["the handler returned a list of 250 items; aws:executeScript keeps the first 100"]
    );
}

#[test]
fn a_py_attachment_runs_its_file_function_handler() {
    let runner = python();
    let mut request =
        inline("", "process_instance.process_instance_data", json!({ "InstanceId": "i-1" }));
    request.script = None;
    request.attachment = Some(ScriptAttachment {
        name: "process_instance.py".to_string(),
        path: fixtures().join("process_instance.py"),
    });
    let output = run_ok(&runner, request);
    assert_eq!(
        output.payload,
        json!({ "described": "instance i-1", "module": "process_instance" })
    );
}

/// Packs `tests/fixtures/scripts/bundle` into a .zip with Python's own zip tool.
fn bundle_zip(test: &str) -> PathBuf {
    let zip = scratch(test).join("bundle.zip");
    let status = Command::new("python3")
        .args(["-m", "zipfile", "-c"])
        .arg(&zip)
        .args(["entry.py", "helpers"])
        .current_dir(fixtures().join("bundle"))
        .status()
        .expect("python3 runs");
    assert!(status.success(), "python3 -m zipfile could not pack the bundle");
    zip
}

#[test]
fn a_zip_attachment_is_importable_with_its_packages() {
    let runner = python();
    let mut request = inline("", "entry.handler", json!({ "name": "ada" }));
    request.script = None;
    request.attachment =
        Some(ScriptAttachment { name: "bundle.zip".to_string(), path: bundle_zip("zip_ok") });
    let output = run_ok(&runner, request);
    assert_eq!(output.payload, json!({ "greeting": "HELLO ADA" }));
}

#[test]
fn a_traceback_through_a_zip_attachment_names_the_attachment() {
    let runner = python();
    let mut request = inline("", "entry.broken", json!({}));
    request.script = None;
    request.attachment =
        Some(ScriptAttachment { name: "bundle.zip".to_string(), path: bundle_zip("zip_err") });
    let error = run_err(&runner, request);
    assert_eq!(error.kind, ScriptErrorKind::Exception);
    assert!(
        error.message.contains("File \"bundle.zip/entry.py\", line 11, in broken"),
        "{}",
        error.message
    );
    assert!(
        error.message.contains("File \"bundle.zip/helpers/text.py\", line 5, in shout"),
        "{}",
        error.message
    );
    assert!(
        error.message.ends_with("AttributeError - 'NoneType' object has no attribute 'upper'"),
        "{}",
        error.message
    );
}

#[test]
fn a_zip_handler_naming_a_missing_module_is_invalid_input() {
    let runner = python();
    let mut request = inline("", "missing.handler", json!({}));
    request.script = None;
    request.attachment =
        Some(ScriptAttachment { name: "bundle.zip".to_string(), path: bundle_zip("zip_missing") });
    let error = run_err(&runner, request);
    assert_eq!(error.kind, ScriptErrorKind::InvalidInput);
    assert_eq!(
        error.message,
        "handler `missing.handler` names module `missing`, which attachment bundle.zip does not hold"
    );
}

#[test]
fn an_unanswered_aws_call_on_mocks_gets_past_except_exception_naming_the_call() {
    support::assert_boto3();
    let runner = python();
    let script = "import boto3\n\ndef h(e, c):\n    ec2 = boto3.client('ec2')\n    try:\n        return ec2.describe_instances()\n    except Exception:\n        return 'swallowed'\n";
    let mut request = inline(script, "h", json!({}));
    request.env = vec![(MOCK_AWS_ENV.to_string(), "mock".to_string())];
    let error = run_err(&runner, request);
    assert_eq!(error.kind, ScriptErrorKind::Exception);
    assert!(
        error.message.ends_with(
            "UnansweredAwsCall - ec2.DescribeInstances made by step calc was not answered: \
             ec2.DescribeInstances cannot be answered: no AWS backend is at hand"
        ),
        "{}",
        error.message
    );
    assert!(
        error.message.contains("File \"customer_script.py\", line 6, in h"),
        "{}",
        error.message
    );
}

#[test]
fn mock_mode_leaves_scripts_without_aws_calls_alone() {
    let runner = python();
    let mut request =
        inline("import json\n\ndef h(e, c):\n    return json.loads('[1]')\n", "h", json!({}));
    request.env = vec![(MOCK_AWS_ENV.to_string(), "mock".to_string())];
    assert_eq!(run_ok(&runner, request).payload, json!([1]));
}

#[test]
fn a_runtime_other_than_the_interpreter_s_is_a_warning_kept_on_failures_too() {
    let runner = python();
    let local = runner.version().expect("python3 reports its version");
    let other = format!("python3.{}", if local.minor == 10 { 12 } else { 10 });
    let mut request = inline("def h(e, c):\n    return 1\n", "h", json!({}));
    request.runtime.clone_from(&other);
    let output = runner.run_blocking(&request).expect("a version mismatch does not fail");
    assert_eq!(output.payload, json!(1));
    assert_eq!(output.warnings.len(), 1, "{:?}", output.warnings);
    let warning = &output.warnings[0];
    assert!(
        warning.starts_with(&format!("step `calc` asks for {other}; it runs with Python {local}")),
        "{warning}"
    );

    let mut failing = inline("def h(e, c):\n    raise RuntimeError('no')\n", "h", json!({}));
    failing.runtime = other;
    let error = runner.run_blocking(&failing).expect_err("the script raises");
    assert_eq!(&error.warnings, &output.warnings);
    assert!(!error.stderr.contains("warning:"), "{}", error.stderr);
}

#[test]
fn a_missing_interpreter_is_runtime_not_found() {
    let runner = PythonRunner::new(Some(PathBuf::from("/nonexistent/bin/python3")));
    let error = runner
        .run_blocking(&inline("def h(e, c):\n    return 1\n", "h", json!({})))
        .expect_err("no interpreter");
    assert_eq!(error.kind, ScriptErrorKind::RuntimeNotFound);
    assert_eq!(error.message, "Python is not installed: /nonexistent/bin/python3 was not found");
}

#[test]
fn an_unknown_runtime_is_invalid_input() {
    let runner = LocalScriptRunner::default();
    let mut request = inline("", "h", json!({}));
    request.runtime = "nodejs18.x".to_string();
    let error = runner.run_blocking(&request).expect_err("not a runtime");
    assert_eq!(error.kind, ScriptErrorKind::InvalidInput);
    assert!(error.message.starts_with("unknown runtime `nodejs18.x`"), "{}", error.message);
}

#[test]
fn powershell_without_pwsh_is_runtime_not_found() {
    let runner = LocalScriptRunner::new(None, Some(PathBuf::from("/nonexistent/bin/pwsh")));
    let mut request = inline("return @{ a = 1 }", "", json!({}));
    request.runtime = "PowerShell 7.4".to_string();
    let error = runner.run_blocking(&request).expect_err("no pwsh");
    assert_eq!(error.kind, ScriptErrorKind::RuntimeNotFound);
    assert_eq!(
        error.message,
        "PowerShell is not installed: /nonexistent/bin/pwsh was not found, and step `calc` needs \
         PowerShell 7.4; install PowerShell 7 (https://aka.ms/powershell) or give the step a \
         stand-in result in the mock file (scripts: {calc: {returns: ...}})"
    );
}

#[cfg(unix)]
#[test]
fn powershell_gets_its_input_as_the_service_passes_it() {
    use std::os::unix::fs::PermissionsExt;

    python();
    let pwsh = scratch("fake_pwsh").join("pwsh");
    std::fs::copy(fixtures().join("fake_pwsh.py"), &pwsh).expect("the stand-in is copied");
    std::fs::set_permissions(&pwsh, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let runner = PowerShellRunner::new(Some(pwsh));
    let mut request = inline(
        "$p = $env:InputPayload | ConvertFrom-Json\nreturn $p",
        "",
        json!({ "mappedDevices": ["xvdb"] }),
    );
    request.runtime = "PowerShell 7.4".to_string();
    let output = runner.run_blocking(&request).expect("the stand-in succeeds");
    assert_eq!(
        output.payload,
        json!({
            "input": { "mappedDevices": ["xvdb"] },
            "script": "$p = $env:InputPayload | ConvertFrom-Json\nreturn $p",
            "wrapper_writes_result": true,
            "cwd_holds_script": true,
        })
    );
    assert_eq!(output.stdout, "host output from the stand-in\n");
    assert_eq!(
        output.warnings,
        [format!(
            "step `calc` asks for PowerShell 7.4; it runs with PowerShell 7.2.19 ({})",
            runner.find().expect("found").0.display()
        )]
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_cancelled_powershell_step_stops_its_script() {
    use std::os::unix::fs::PermissionsExt;

    python();
    let dir = scratch("cancelled_pwsh");
    let pwsh = dir.join("pwsh");
    std::fs::copy(fixtures().join("fake_pwsh.py"), &pwsh).expect("the stand-in is copied");
    std::fs::set_permissions(&pwsh, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let pid_file = dir.join("pwsh.pid");
    let mut request = inline("Start-Sleep 600", "", json!({ "pidFile": pid_file }));
    request.runtime = "PowerShell 7.4".to_string();
    request.timeout = Duration::from_secs(900);
    let runner = PowerShellRunner::new(Some(pwsh));
    support::cancel_once_started(&runner, request, &pid_file);
    let pid: u32 =
        std::fs::read_to_string(&pid_file).expect("the pid").trim().parse().expect("a pid");
    assert!(support::has_ended(pid), "the cancelled step's script {pid} is still running");
}

#[test]
fn the_local_runner_sends_each_runtime_to_its_interpreter() {
    python();
    assert_eq!(Runtime::parse("python3.12").map(|r| matches!(r, Runtime::Python(_))), Some(true));
    let runner = LocalScriptRunner::new(None, Some(PathBuf::from("/nonexistent/bin/pwsh")));
    let mut request = inline("def h(e, c):\n    return 'py'\n", "h", json!({}));
    request = matching(runner.python(), request);
    assert_eq!(runner.run_blocking(&request).map(|output| output.payload), Ok(json!("py")));
}

#[test]
fn running_a_script_does_not_move_virtual_time() {
    let runner: Box<dyn ScriptRunner> = Box::new(python());
    let runtime = virtual_runtime().expect("a runtime");
    runtime.block_on(async {
        let clock = VirtualClock::new(jiff::Timestamp::UNIX_EPOCH);
        let request = inline(
            "import time\n\ndef h(e, c):\n    time.sleep(0.3)\n    return 'slept'\n",
            "h",
            json!({}),
        );
        let output = runner.run(request, &NoScriptCalls).await.expect("the script succeeds");
        assert_eq!(output.payload, json!("slept"));
        assert_eq!(clock.elapsed(), Duration::ZERO);
    });
}
