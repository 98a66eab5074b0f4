//! `runbook test --watch`: the first report, a change, the run of the test files it concerns,
//! and Ctrl-C. Every wait polls the output up to a bound; nothing is timed.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::TempDir;

/// How long a wait may last before the test gives up: far beyond what a run takes, so that a
/// loaded machine never fails the test, only a hang does.
const BOUND: Duration = Duration::from_secs(120);

const SLEEP: &str = "schemaVersion: '0.3'\nmainSteps:\n  - name: wait\n    action: aws:sleep\n    inputs:\n      Duration: PT1M\n";

/// A runbook with one step that calls EC2, whose answer the mock file gives.
const DESCRIBE: &str = "schemaVersion: '0.3'
outputs: [describe.State]
mainSteps:
  - name: describe
    action: aws:executeAwsApi
    inputs: {Service: ec2, Api: DescribeInstances}
    outputs:
      - {Name: State, Selector: '$.Reservations[0].Instances[0].State.Name', Type: String}
";

const RUNNING: &str = "aws:\n  - {service: ec2, api: DescribeInstances, returns: {Reservations: [{Instances: [{State: {Name: running}}]}]}}\n";

/// The output of a process as it comes, read on threads of their own.
struct Watching {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl Watching {
    fn start(dir: &Path, args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_runbook"))
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the runbook binary starts");
        let collect = |mut from: Box<dyn Read + Send>| {
            let text = Arc::new(Mutex::new(String::new()));
            let to = text.clone();
            std::thread::spawn(move || {
                let mut buffer = [0; 4096];
                while let Ok(read) = from.read(&mut buffer) {
                    if read == 0 {
                        break;
                    }
                    to.lock().unwrap().push_str(&String::from_utf8_lossy(&buffer[..read]));
                }
            });
            text
        };
        let stdout = collect(Box::new(child.stdout.take().unwrap()));
        let stderr = collect(Box::new(child.stderr.take().unwrap()));
        Self { child, stdout, stderr }
    }

    fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until the standard output holds `count` reports, and gives the last.
    fn report(&self, count: usize) -> String {
        let start = now();
        loop {
            let stdout = self.stdout();
            let reports: Vec<&str> = stdout.split_inclusive(" s\n").collect();
            if stdout.matches(" passed, ").count() >= count {
                return reports[count - 1].to_string();
            }
            assert!(
                start.elapsed() < BOUND,
                "waited {BOUND:?} for report {count}\nstdout:\n{stdout}\nstderr:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGINT and waits for the exit code.
    fn interrupt(mut self) -> i32 {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-s", "INT", &pid]).status().unwrap();
        assert!(status.success());
        let start = now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            if start.elapsed() > BOUND {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("runbook test --watch did not end on SIGINT\nstderr:\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The real time: the waits are bounded in real time.
#[allow(clippy::disallowed_methods, reason = "the bound on a hang is real time")]
fn now() -> Instant {
    Instant::now()
}

#[test]
fn watch_runs_again_the_test_files_a_change_concerns_and_ends_on_ctrl_c() {
    let dir = TempDir::new("watch");
    dir.write("sleep.yaml", SLEEP);
    dir.write(
        "sleep.test.yaml",
        "runbook: sleep.yaml\ncases:\n  - name: it sleeps\n    expect: {status: Success, path: [wait]}\n",
    );
    dir.write("describe.yaml", DESCRIBE);
    dir.write("running.mocks.yaml", RUNNING);
    dir.write(
        "describe.test.yaml",
        "runbook: describe.yaml\ncases:\n  - name: it reads the state\n    mocksFile: running.mocks.yaml\n    expect: {outputs: {describe.State: running}}\n",
    );
    let watching = Watching::start(dir.path(), &["test", "--watch", "."]);
    let first = watching.report(1);
    assert!(first.contains("2 passed, 0 failed"), "{first}");

    // A changed runbook runs the test files that use it, and only those, with what it says now.
    dir.write("sleep.yaml", &SLEEP.replace("name: wait", "name: pause"));
    let second = watching.report(2);
    assert!(second.contains("0 passed, 1 failed"), "{second}");
    assert!(second.contains("✘ ./sleep.test.yaml:3: it sleeps"), "{second}");
    assert!(second.contains("the path differs"), "{second}");
    assert!(!second.contains("describe.test.yaml"), "{second}");

    // A changed mock file runs the test file that uses it.
    dir.write("running.mocks.yaml", &RUNNING.replace("running", "stopped"));
    let third = watching.report(3);
    assert!(third.contains("0 passed, 1 failed"), "{third}");
    assert!(third.contains("✘ ./describe.test.yaml:3: it reads the state"), "{third}");
    assert!(!third.contains("sleep.test.yaml"), "{third}");

    // A changed test file runs itself.
    dir.write(
        "sleep.test.yaml",
        "runbook: sleep.yaml\ncases:\n  - name: it pauses\n    expect: {status: Success, path: [pause]}\n",
    );
    let fourth = watching.report(4);
    assert!(fourth.contains("✔ ./sleep.test.yaml:3: it pauses"), "{fourth}");
    assert!(fourth.contains("1 passed, 0 failed"), "{fourth}");

    let stderr = watching.stderr();
    assert!(stderr.contains("watching for changes (Ctrl-C to stop)"), "{stderr}");
    assert!(stderr.contains("changed: sleep.yaml"), "{stderr}");
    assert_eq!(watching.interrupt(), 130);
}

#[test]
fn watch_refuses_paths_it_cannot_read_before_watching() {
    let dir = TempDir::new("watch-missing");
    let output = crate::support::Cli::new()
        .current_dir(dir.path())
        .args(["test", "--watch", "no/such/folder"])
        .run()
        .code(2);
    assert!(output.stderr.contains("cannot read no/such/folder"), "{}", output.stderr);
    let output = crate::support::Cli::new()
        .current_dir(dir.path())
        .args(["test", "--watch", "."])
        .run()
        .code(2);
    assert!(output.stderr.contains("no test files"), "{}", output.stderr);
}
