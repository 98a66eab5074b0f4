//! The Python runner's warm interpreter: steps forked from it behave as steps in a process of
//! their own (payload, output, failures, limits, AWS calls on mocks), and are isolated from
//! each other: module globals, environment and working folder start afresh for every step.
//!
//! These tests need `python3` with boto3 on `PATH` and fail with a message saying so when it is
//! missing.

mod support;

use std::time::Duration;

use runbook_actions::script::{MOCK_AWS_ENV, PythonRunner};
use runbook_engine::host::{
    ScriptError, ScriptErrorKind, ScriptOutput, ScriptRequest, ScriptRunner,
};
use serde_json::{Value, json};

fn warm() -> PythonRunner {
    support::assert_boto3();
    let runner = PythonRunner::new(None);
    assert!(runner.warm_up(), "the warm interpreter starts");
    assert!(runner.is_warm());
    runner
}

fn request(runner: &PythonRunner, script: &str) -> ScriptRequest {
    let version = runner.version().expect("python3 reports its version");
    ScriptRequest {
        step: "step".to_string(),
        runtime: format!("python{}.{}", version.major, version.minor),
        handler: Some("h".to_string()),
        script: Some(script.to_string()),
        attachment: None,
        input_payload: json!({"n": 21}),
        timeout: Duration::from_secs(60),
        env: Vec::new(),
    }
}

fn run(runner: &PythonRunner, request: &ScriptRequest) -> Result<ScriptOutput, ScriptError> {
    runner.run_blocking(request)
}

fn payload(outcome: Result<ScriptOutput, ScriptError>) -> Value {
    match outcome {
        Ok(output) => output.payload,
        Err(error) => panic!("the script failed: {}", error.message),
    }
}

#[test]
fn a_warm_step_starts_with_boto3_imported_and_answers_as_a_cold_one() {
    let runner = warm();
    let script = "import sys\n\ndef h(events, context):\n    print('out')\n    print('err', file=sys.stderr)\n    return {'double': events['n'] * 2, 'boto3': 'boto3' in sys.modules}\n";
    let output = run(&runner, &request(&runner, script)).expect("the step succeeds");
    assert_eq!(output.payload, json!({"double": 42, "boto3": true}));
    assert_eq!(output.stdout, "out\n");
    assert_eq!(output.stderr, "err\n");
    let cold = PythonRunner::new(None).with_warm_interpreter(false);
    let cold_output = run(&cold, &request(&cold, script)).expect("the step succeeds");
    assert_eq!(cold_output.payload, json!({"double": 42, "boto3": false}));
}

#[test]
fn module_globals_environment_and_folder_of_one_step_are_not_seen_by_the_next() {
    let runner = warm();
    let script = r#"
import json
import os

def h(events, context):
    seen = {
        "global": getattr(json, "runbook_marker", None),
        "env": os.environ.get("RUNBOOK_TEST_MARKER"),
        "file": os.path.exists("left-behind.txt"),
        "cwd": os.getcwd(),
    }
    json.runbook_marker = "set"
    os.environ["RUNBOOK_TEST_MARKER"] = "set"
    with open("left-behind.txt", "w") as file:
        file.write("x")
    return seen
"#;
    let request = request(&runner, script);
    let first = payload(run(&runner, &request));
    let second = payload(run(&runner, &request));
    for seen in [&first, &second] {
        assert_eq!(seen["global"], Value::Null, "{seen}");
        assert_eq!(seen["env"], Value::Null, "{seen}");
        assert_eq!(seen["file"], json!(false), "{seen}");
    }
    assert_ne!(first["cwd"], second["cwd"], "each step has a folder of its own");
}

#[test]
fn a_warm_step_s_failures_read_as_a_cold_step_s() {
    let runner = warm();
    let raised = run(
        &runner,
        &request(&runner, "def h(events, context):\n    raise ValueError('bad input')\n"),
    )
    .expect_err("the step fails");
    assert_eq!(raised.kind, ScriptErrorKind::Exception);
    assert_eq!(
        raised.message,
        "Traceback (most recent call last):\n  File \"customer_script.py\", line 2, in h\n    raise ValueError('bad input')\n\nValueError - bad input"
    );
    let exited = run(&runner, &request(&runner, "import os, sys\n\ndef h(e, c):\n    print('giving up', file=sys.stderr)\n    sys.stderr.flush()\n    os._exit(3)\n"))
        .expect_err("the step fails");
    assert_eq!(
        exited.message,
        "the script exited with status 3 before its handler returned: giving up"
    );
}

#[test]
#[allow(clippy::disallowed_methods, reason = "the test measures that the limit is real time")]
fn a_warm_step_past_its_limit_is_stopped() {
    let runner = warm();
    let mut request = request(&runner, "import time\n\ndef h(e, c):\n    time.sleep(30)\n");
    request.timeout = Duration::from_millis(500);
    let started = std::time::Instant::now();
    let error = run(&runner, &request).expect_err("the step is stopped");
    assert_eq!(error.kind, ScriptErrorKind::Timeout);
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    // The warm interpreter still serves the next step.
    let next = self::request(&runner, "def h(e, c):\n    return 'next'\n");
    assert_eq!(payload(run(&runner, &next)), json!("next"));
    assert!(runner.is_warm());
}

#[cfg(target_os = "linux")]
#[test]
fn a_cancelled_warm_step_stops_its_script_and_what_it_started_outside_its_group() {
    let runner = warm();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("warm_python_cancelled");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("cargo's scratch directory is writable");
    let pids = dir.join("pids");
    let script = r#"
import os
import subprocess
import sys
import time

def h(events, context):
    daemon = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True
    )
    with open(events["pids"] + ".part", "w") as file:
        file.write("{} {}".format(os.getpid(), daemon.pid))
    os.rename(events["pids"] + ".part", events["pids"])
    time.sleep(600)
"#;
    let mut request = request(&runner, script);
    request.input_payload = json!({ "pids": pids });
    request.timeout = Duration::from_secs(900);
    support::cancel_once_started(&runner, request, &pids);
    let text = std::fs::read_to_string(&pids).expect("the pids");
    let [script_pid, daemon]: [u32; 2] = text
        .split_whitespace()
        .map(|pid| pid.parse().expect("a pid"))
        .collect::<Vec<_>>()
        .try_into()
        .expect("two pids");
    assert!(
        support::has_ended(script_pid),
        "the cancelled step's script {script_pid} is still running"
    );
    assert!(
        support::has_ended(daemon),
        "the process {daemon} the script started in a session of its own is still running"
    );
}

#[test]
fn a_warm_step_s_aws_calls_on_mocks_go_to_the_run() {
    let runner = warm();
    let mut request = request(
        &runner,
        "import boto3\n\ndef h(e, c):\n    try:\n        boto3.client('ec2').describe_vpcs()\n    except Exception:\n        return 'swallowed'\n",
    );
    request.env = vec![(MOCK_AWS_ENV.to_string(), "mock".to_string())];
    let runtime = runbook_engine::host::virtual_runtime().expect("a runtime");
    let error = runtime
        .block_on(runner.run(request, &runbook_engine::host::NoScriptCalls))
        .expect_err("the call is unanswered");
    assert!(
        error.message.ends_with(
            "UnansweredAwsCall - ec2.DescribeVpcs made by step step was not answered: \
             ec2.DescribeVpcs cannot be answered: no AWS backend is at hand"
        ),
        "{}",
        error.message
    );
}

#[test]
fn runners_of_the_same_interpreter_share_one_warm_interpreter() {
    let first = warm();
    assert!(first.is_warm());
    assert!(PythonRunner::new(None).is_warm(), "a new runner forks from the same one");
    assert!(!PythonRunner::new(None).with_warm_interpreter(false).is_warm());
}

#[test]
fn the_first_step_runs_in_a_process_of_its_own_without_waiting_for_the_warm_interpreter() {
    // A warm interpreter of its own: the one the process shares may be warm already.
    let runner = PythonRunner::new(None).with_warm_interpreter(true);
    assert!(!runner.is_warm());
    let script = "import sys\n\ndef h(events, context):\n    return 'boto3' in sys.modules\n";
    let first = payload(run(&runner, &request(&runner, script)));
    assert_eq!(first, json!(false), "the first step is a new interpreter");
    assert!(runner.warm_up(), "the first step started the warm interpreter");
    assert_eq!(payload(run(&runner, &request(&runner, script))), json!(true));
}

#[test]
fn each_warm_step_starts_in_a_new_folder_that_holds_only_its_script() {
    let runner = warm();
    let script = r#"
import os
import tempfile

def h(events, context):
    here = os.getcwd()
    return {
        "files": sorted(os.listdir(here)),
        "cwd": here,
        "temp": os.path.dirname(here) == os.path.realpath(tempfile.gettempdir()),
    }
"#;
    let request = request(&runner, script);
    let first = payload(run(&runner, &request));
    let second = payload(run(&runner, &request));
    for seen in [&first, &second] {
        assert_eq!(seen["files"], json!(["customer_script.py"]), "{seen}");
        assert_eq!(seen["temp"], json!(true), "{seen}");
    }
    assert_ne!(first["cwd"], second["cwd"], "each step has a folder of its own");
    let gone = first["cwd"].as_str().expect("a path");
    assert!(!std::path::Path::new(gone).exists(), "the first step's folder is removed");
}

#[test]
fn a_warm_step_s_environment_is_the_one_it_is_given_whatever_the_step_before_changed() {
    let runner = warm();
    let script = r#"
import os

def h(events, context):
    seen = {name: os.environ.get(name) for name in ("RUNBOOK_GIVEN", "PATH", "PYTHONIOENCODING")}
    os.environ.pop("PATH", None)
    os.environ["PYTHONIOENCODING"] = "latin-1"
    return seen
"#;
    let mut given = request(&runner, script);
    given.env = vec![("RUNBOOK_GIVEN".to_string(), "first".to_string())];
    let first = payload(run(&runner, &given));
    let second = payload(run(&runner, &request(&runner, script)));
    assert_eq!(first["RUNBOOK_GIVEN"], json!("first"), "{first}");
    assert_eq!(second["RUNBOOK_GIVEN"], Value::Null, "a variable given to one step only: {second}");
    for seen in [&first, &second] {
        assert!(seen["PATH"].is_string(), "a variable the step before removed is back: {seen}");
        assert_eq!(seen["PYTHONIOENCODING"], json!("utf-8"), "{seen}");
    }
}

#[test]
fn modules_paths_and_threads_of_one_warm_step_are_not_seen_by_the_next() {
    let runner = warm();
    let script = r#"
import sys
import threading
import time

def h(events, context):
    seen = {
        "module": "runbook_marker" in sys.modules,
        "path": "/runbook-marker" in sys.path,
        "threads": sorted(thread.name for thread in threading.enumerate()),
        "hidden": [name for name in ("s", "customer_script") if name in sys.modules and name != __name__],
    }
    sys.modules["runbook_marker"] = sys
    sys.path.append("/runbook-marker")
    threading.Thread(target=time.sleep, args=(30,), name="left-running", daemon=True).start()
    return seen
"#;
    let request = request(&runner, script);
    let first = payload(run(&runner, &request));
    let second = payload(run(&runner, &request));
    for seen in [&first, &second] {
        assert_eq!(seen["module"], json!(false), "{seen}");
        assert_eq!(seen["path"], json!(false), "{seen}");
        assert_eq!(seen["threads"], json!(["MainThread"]), "{seen}");
        assert_eq!(seen["hidden"], json!([]), "{seen}");
    }
}

#[test]
fn each_warm_step_draws_its_own_random_numbers_and_knows_its_own_thread() {
    let runner = warm();
    let script = r#"
import logging
import os
import random
import threading

def h(events, context):
    logging.getLogger("step").warning("logged")
    main = threading.main_thread()
    return {
        "random": random.getrandbits(64),
        "pid": os.getpid(),
        "main": main is threading.current_thread(),
        "native": main.native_id == threading.get_native_id(),
    }
"#;
    let request = request(&runner, script);
    let outputs: Vec<ScriptOutput> =
        (0..3).map(|_| run(&runner, &request).expect("the step succeeds")).collect();
    for output in &outputs {
        assert_eq!(output.payload["main"], json!(true), "{}", output.payload);
        assert_eq!(output.payload["native"], json!(true), "{}", output.payload);
        assert_eq!(output.stderr, "logged\n");
    }
    let draws: std::collections::BTreeSet<String> =
        outputs.iter().map(|output| output.payload["random"].to_string()).collect();
    assert_eq!(draws.len(), 3, "steps drew the same random numbers: {draws:?}");
    let pids: std::collections::BTreeSet<String> =
        outputs.iter().map(|output| output.payload["pid"].to_string()).collect();
    assert_eq!(pids.len(), 3, "{pids:?}");
}

#[test]
fn when_the_warm_interpreter_dies_later_steps_run_cold() {
    support::assert_boto3();
    // A warm interpreter of its own, since this test ends it.
    let runner = PythonRunner::new(None).with_warm_interpreter(true);
    assert!(runner.warm_up(), "the warm interpreter starts");
    let killer = "import os, signal\n\ndef h(e, c):\n    os.kill(os.getppid(), signal.SIGKILL)\n    return 'killed'\n";
    assert_eq!(payload(run(&runner, &request(&runner, killer))), json!("killed"));
    let script = "import sys\n\ndef h(events, context):\n    return 'boto3' in sys.modules\n";
    // A child forked before its parent died may still serve one step; the steps after it
    // start interpreters of their own.
    let seen: Vec<Value> =
        (0..3).map(|_| payload(run(&runner, &request(&runner, script)))).collect();
    assert_eq!(seen.last(), Some(&json!(false)), "{seen:?}");
    assert!(!runner.is_warm());
}
