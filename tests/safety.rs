//! Safe by default: dry runs sealed off from AWS, cancels that stop the work, private scratch
//! folders. Each test drives the `runbook` binary with real processes and real signals; the
//! bounds on waiting are there only to turn a hang into a failure, far above what load causes.

use std::fmt::Write as _;
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Cli, TempDir};

/// Far longer than any step here takes when it works.
const BOUND: Duration = Duration::from_secs(120);

fn assert_boto3() {
    let has_boto3 = Command::new("python3")
        .args(["-c", "import boto3"])
        .status()
        .is_ok_and(|status| status.success());
    assert!(has_boto3, "these tests need python3 with boto3: pip install boto3");
}

/// An `aws:executeScript` step running `body` (Python, indented four spaces as a handler's
/// body), with `InputPayload: {dir: DIR}`.
fn script_step(name: &str, body: &str, extra: &str) -> String {
    let body = body.lines().fold(String::new(), |mut out, line| {
        let _ = writeln!(out, "          {line}");
        out
    });
    format!(
        "  - name: {name}\n    action: aws:executeScript\n{extra}    inputs:\n      Runtime: python3.11\n      Handler: handler\n      InputPayload:\n        dir: '{{{{ Dir }}}}'\n      Script: |-\n        import json, os, subprocess, sys, time\n        def handler(events, context):\n          d = events['dir']\n{body}"
    )
}

fn runbook(steps: &[String]) -> String {
    format!(
        "schemaVersion: '0.3'\nparameters:\n  Dir:\n    type: String\nmainSteps:\n{}",
        steps.concat()
    )
}

/// A handler body that starts a long-lived process in a session of its own (which leaves the
/// script's process group), writes its pid to `NAME.pid` and says `NAME` started, then waits.
fn start_and_wait(name: &str) -> String {
    format!(
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\nwith open(os.path.join(d, '{name}.tmp'), 'w') as f:\n  f.write(str(child.pid))\nos.rename(os.path.join(d, '{name}.tmp'), os.path.join(d, '{name}.pid'))\ntime.sleep(600)\nreturn {{}}\n"
    )
}

/// The `runbook` binary started with its output captured and `TMPDIR` set to `tmp`.
fn spawn(dir: &Path, tmp: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_runbook"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("TMPDIR", tmp)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the runbook binary starts")
}

/// The real time: these tests bound how long real processes take to end.
#[allow(clippy::disallowed_methods, reason = "the bound on a hang is real time")]
fn now() -> Instant {
    Instant::now()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = now();
    while !done() {
        assert!(start.elapsed() < BOUND, "waited {BOUND:?} for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn read_pid(path: &Path) -> u32 {
    wait_for(&format!("{}", path.display()), || path.exists());
    std::fs::read_to_string(path).unwrap().trim().parse().unwrap()
}

fn signal(pid: u32, name: &str) {
    let status = Command::new("kill").args(["-s", name, &pid.to_string()]).status().unwrap();
    assert!(status.success(), "kill -s {name} {pid}");
}

/// Waits for `child` to end within the bound; its exit code and output.
fn finish(mut child: Child) -> (i32, String, String) {
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let start = now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > BOUND {
            let _ = child.kill();
            let _ = child.wait();
            panic!("runbook did not end within {BOUND:?} of being cancelled");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status.code().unwrap_or(-1), out.join().unwrap(), err.join().unwrap())
}

/// Whether the process `pid` is gone (or a zombie about to be reaped by init).
fn gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => {
            stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        }
    }
}

fn assert_gone(pid: u32) {
    wait_for(&format!("process {pid}, started by a script, to be gone"), || gone(pid));
}

fn scratch_folders(tmp: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(tmp)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.file_name().unwrap().to_string_lossy().starts_with("runbook-script-"))
        .collect()
}

#[test]
fn a_dry_runs_scripts_and_their_children_reach_nothing_the_shell_names() {
    assert_boto3();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let dir = TempDir::new("safety-sealed");
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".aws")).unwrap();
    std::fs::write(
        home.join(".aws/config"),
        format!("[default]\nendpoint_url = {endpoint}\nregion = us-east-1\n[profile leak]\nendpoint_url = {endpoint}\n"),
    )
    .unwrap();
    std::fs::write(
        home.join(".aws/credentials"),
        "[default]\naws_access_key_id = AKIAUSERSREALKEY0000\naws_secret_access_key = real\n[leak]\naws_access_key_id = AKIAUSERSREALKEY0000\naws_secret_access_key = real\n",
    )
    .unwrap();
    let child_code = "import boto3, os\ntry:\n    boto3.client('s3').create_bucket(Bucket='leak')\n    print('created')\nexcept Exception as error:\n    print(type(error).__name__)\nprint(os.environ.get('AWS_ENDPOINT_URL'))\nprint(os.environ.get('AWS_ACCESS_KEY_ID'))\nprint(open(os.environ['AWS_CONFIG_FILE']).read() == '')\n";
    let body = format!(
        "out = subprocess.run([sys.executable, '-c', {child_code:?}], capture_output=True, text=True, timeout=100)\nreturn {{'out': out.stdout.split(), 'err': out.stderr[-2000:]}}\n"
    );
    // Two steps: after the first, later ones may run forked from the warm interpreter.
    let steps = [script_step("first", &body, ""), script_step("second", &body, "")];
    dir.write("sealed.yaml", &runbook(&steps));
    let output = Cli::new()
        .current_dir(dir.path())
        .env("HOME", &home)
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("AWS_ENDPOINT_URL_S3", &endpoint)
        .env("AWS_PROFILE", "leak")
        .env("AWS_ACCESS_KEY_ID", "AKIAUSERSREALKEY0000")
        .env("AWS_SECRET_ACCESS_KEY", "real")
        .args(["run", "sealed.yaml", "-p", "Dir=.", "--output", "json"])
        .run()
        .code(0);
    let record: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    for step in 0..2 {
        let payload = &record["StepExecutions"][step]["Outputs"]["Payload"][0];
        let payload: serde_json::Value =
            serde_json::from_str(payload.as_str().unwrap_or("{}")).unwrap_or_default();
        assert_eq!(
            payload["out"],
            serde_json::json!([
                "EndpointConnectionError",
                "http://127.0.0.1:1",
                "AKIAIOSFODNN7EXAMPLE",
                "True"
            ]),
            "step {step}: {payload}"
        );
    }
    match listener.accept() {
        Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("the endpoint the shell names was reached: {other:?}"),
    }
}

#[test]
fn scratch_folders_are_private_and_removed() {
    assert_boto3();
    let dir = TempDir::new("safety-scratch");
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let body = "here = os.getcwd()\nmode = lambda name: oct(os.stat(os.path.join(here, name)).st_mode & 0o777)\nreturn {'dir': mode('.'), 'files': sorted(mode(n) for n in os.listdir(here) if not n.endswith('.sock'))}\n";
    dir.write("private.yaml", &runbook(&[script_step("look", body, "")]));
    let child =
        spawn(dir.path(), &tmp, &["run", "private.yaml", "-p", "Dir=.", "--output", "json"]);
    let (code, stdout, stderr) = finish(child);
    assert_eq!(code, 0, "{stderr}");
    let record: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let payload = record["StepExecutions"][0]["Outputs"]["Payload"][0].as_str().unwrap();
    let payload: serde_json::Value = serde_json::from_str(payload).unwrap();
    assert_eq!(payload["dir"], "0o700", "{payload}");
    let files = payload["files"].as_array().unwrap();
    assert!(files.len() >= 4, "{payload}");
    assert!(files.iter().all(|mode| mode == "0o600"), "{payload}");
    assert_eq!(scratch_folders(&tmp), Vec::<PathBuf>::new());
}

fn cancel_runbook(dir: &TempDir) {
    let steps = [
        script_step("work", &start_and_wait("work"), "    onCancel: step:cleanup\n"),
        "  - name: after\n    action: aws:sleep\n    isEnd: true\n    inputs:\n      Duration: PT1S\n"
            .to_string(),
        script_step("cleanup", "return {}\n", "    isEnd: true\n"),
    ];
    dir.write("cancel.yaml", &runbook(&steps));
}

fn a_signal_cancels_a_run_and_its_scripts_processes(signal_name: &str) {
    assert_boto3();
    let dir = TempDir::new(&format!("safety-cancel-{signal_name}"));
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    cancel_runbook(&dir);
    let work = dir.path().display().to_string();
    let child = spawn(
        dir.path(),
        &tmp,
        &["run", "cancel.yaml", "-p", &format!("Dir={work}"), "--output", "json"],
    );
    let started = read_pid(&dir.path().join("work.pid"));
    signal(child.id(), signal_name);
    let (code, stdout, stderr) = finish(child);
    assert_eq!(code, 130, "{stderr}");
    let record: serde_json::Value = serde_json::from_str(&stdout).expect("a whole JSON record");
    assert_eq!(record["AutomationExecutionStatus"], "Cancelled", "{stdout}");
    let steps: Vec<(String, String)> = record["StepExecutions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| {
            (step["StepName"].as_str().unwrap().into(), step["StepStatus"].as_str().unwrap().into())
        })
        .collect();
    let ran: Vec<_> = steps.iter().filter(|(_, status)| status != "Pending").cloned().collect();
    assert_eq!(
        ran,
        [("work".into(), "Cancelled".into()), ("cleanup".into(), "Success".into())],
        "{stdout}"
    );
    assert_gone(started);
    assert_eq!(scratch_folders(&tmp), Vec::<PathBuf>::new());
}

#[test]
fn sigterm_cancels_a_run_kills_its_scripts_processes_and_runs_on_cancel() {
    a_signal_cancels_a_run_and_its_scripts_processes("TERM");
}

#[test]
fn sigint_cancels_a_run_kills_its_scripts_processes_and_runs_on_cancel() {
    a_signal_cancels_a_run_and_its_scripts_processes("INT");
}

#[test]
fn a_second_signal_ends_the_run_at_once() {
    assert_boto3();
    let dir = TempDir::new("safety-second");
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let steps = [
        script_step("work", &start_and_wait("work"), "    onCancel: step:cleanup\n"),
        "  - name: after\n    action: aws:sleep\n    isEnd: true\n    inputs:\n      Duration: PT1S\n"
            .to_string(),
        script_step("cleanup", &start_and_wait("cleanup"), "    isEnd: true\n"),
    ];
    dir.write("second.yaml", &runbook(&steps));
    let work = dir.path().display().to_string();
    let child = spawn(dir.path(), &tmp, &["run", "second.yaml", "-p", &format!("Dir={work}")]);
    let first = read_pid(&dir.path().join("work.pid"));
    signal(child.id(), "INT");
    let cleanup = read_pid(&dir.path().join("cleanup.pid"));
    signal(child.id(), "TERM");
    let (code, _, stderr) = finish(child);
    assert_eq!(code, 130, "{stderr}");
    assert!(stderr.contains("stopping at once"), "{stderr}");
    assert_gone(first);
    assert_gone(cleanup);
    assert_eq!(scratch_folders(&tmp), Vec::<PathBuf>::new());
}

#[test]
fn sigterm_cancels_runbook_test_and_leaves_no_scratch_folder() {
    assert_boto3();
    let dir = TempDir::new("safety-test-cancel");
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    cancel_runbook(&dir);
    let work = dir.path().display().to_string();
    dir.write(
        "cancel.test.yaml",
        &format!(
            "runbook: cancel.yaml\ncases:\n  - name: long\n    parameters: {{Dir: '{work}'}}\n    expect: {{status: Success}}\n"
        ),
    );
    let child = spawn(dir.path(), &tmp, &["test", "."]);
    let started = read_pid(&dir.path().join("work.pid"));
    signal(child.id(), "TERM");
    let (code, stdout, stderr) = finish(child);
    assert_eq!(code, 130, "{stdout}{stderr}");
    assert!(stdout.contains("Cancelled"), "{stdout}");
    assert_gone(started);
    assert_eq!(scratch_folders(&tmp), Vec::<PathBuf>::new());
}

#[test]
fn an_approval_prompt_gives_way_to_a_cancel() {
    let dir = TempDir::new("safety-prompt");
    dir.write(
        "approve.yaml",
        "schemaVersion: '0.3'\nmainSteps:\n  - name: ask\n    action: aws:approve\n    onCancel: step:cleanup\n    inputs:\n      Approvers: [arn:aws:iam::123456789012:user/me]\n  - name: after\n    action: aws:sleep\n    isEnd: true\n    inputs:\n      Duration: PT1S\n  - name: cleanup\n    action: aws:executeScript\n    isEnd: true\n    inputs:\n      Runtime: python3.11\n      Handler: handler\n      Script: \"def handler(events, context):\\n  return {}\"\n",
    );
    // `script` gives the run a terminal, so that it asks there; its stdin stays open and says
    // nothing.
    let pid_file = dir.path().join("runbook.pid");
    let shell = format!(
        "echo $$ > '{}'; exec '{}' run approve.yaml",
        pid_file.display(),
        env!("CARGO_BIN_EXE_runbook")
    );
    let mut terminal = Command::new("script")
        .args(["-qec", &shell, "/dev/null"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("`script` runs");
    let _keep_open = terminal.stdin.take();
    let mut stdout = terminal.stdout.take().unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let reader = {
        let seen = seen.clone();
        std::thread::spawn(move || {
            let mut buffer = [0_u8; 4096];
            while let Ok(read) = stdout.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                seen.lock().unwrap().push_str(&String::from_utf8_lossy(&buffer[..read]));
            }
        })
    };
    wait_for("the approval prompt", || seen.lock().unwrap().contains("Approve step `ask`"));
    let pid = read_pid(&pid_file);
    signal(pid, "INT");
    let start = now();
    let status = loop {
        if let Some(status) = terminal.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > BOUND {
            let _ = terminal.kill();
            panic!("the prompt held the run: {}", seen.lock().unwrap());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = reader.join();
    let text = seen.lock().unwrap().clone();
    assert_eq!(status.code(), Some(130), "{text}");
    assert!(text.contains("Cancelled"), "{text}");
    assert!(text.contains("cleanup"), "{text}");
}

#[test]
fn processes_a_script_started_are_gone_when_its_step_ends() {
    assert_boto3();
    let dir = TempDir::new("safety-orphans");
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    // Three ways to outlive a script: output discarded, a session of its own, and a grandchild
    // whose parent has already ended (a daemon's double fork).
    let body = "sleeper = [sys.executable, '-c', 'import time; time.sleep(600)']\nquiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\npids = [subprocess.Popen(sleeper, **quiet).pid, subprocess.Popen(sleeper, start_new_session=True, **quiet).pid]\ndaemon = \"import os, subprocess, sys, time\\nif os.fork() == 0:\\n  os.setsid()\\n  p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\\n  print(p.pid, flush=True)\\n  os._exit(0)\\nos.wait()\\n\"\nout = subprocess.run([sys.executable, '-c', daemon], capture_output=True, text=True, timeout=100)\npids.append(int(out.stdout.split()[0]))\nreturn {'pids': pids}\n";
    dir.write("orphans.yaml", &runbook(&[script_step("start", body, "")]));
    let child =
        spawn(dir.path(), &tmp, &["run", "orphans.yaml", "-p", "Dir=.", "--output", "json"]);
    let (code, stdout, stderr) = finish(child);
    assert_eq!(code, 0, "{stderr}");
    let record: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let payload = record["StepExecutions"][0]["Outputs"]["Payload"][0].as_str().unwrap();
    let payload: serde_json::Value = serde_json::from_str(payload).unwrap();
    let pids = payload["pids"].as_array().unwrap();
    assert_eq!(pids.len(), 3, "{payload}");
    for pid in pids {
        assert_gone(u32::try_from(pid.as_u64().unwrap()).unwrap());
    }
}

#[test]
fn an_attachment_path_is_a_located_validation_error_and_the_run_is_refused() {
    let dir = TempDir::new("safety-attachment");
    dir.write(
        "evil.yaml",
        "schemaVersion: '0.3'\nfiles:\n  ../evil.py: {}\nmainSteps:\n  - name: run\n    action: aws:executeScript\n    inputs:\n      Runtime: python3.11\n      Handler: evil.h\n      Attachment: ../evil.py\n",
    );
    let output = Cli::new().current_dir(dir.path()).args(["validate", "evil.yaml"]).run().code(1);
    assert!(
        output.stdout.contains("error[RB035]: attachment `../evil.py` is not a plain file name")
            && output.stdout.contains("--> evil.yaml:3:3")
            && output.stdout.contains("--> evil.yaml:10:19")
            && output.stdout.contains("= step `run`, field mainSteps[0].inputs.Attachment"),
        "{}",
        output.stdout
    );
    let output = Cli::new().current_dir(dir.path()).args(["run", "evil.yaml"]).run().code(2);
    assert!(output.stderr.contains("RB035"), "{}", output.stderr);
}
