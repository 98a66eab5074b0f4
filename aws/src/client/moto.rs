//! A moto server (`python3 -m moto.server`), the local AWS emulator, started on a free port of
//! 127.0.0.1 and stopped when dropped: the sandbox of `runbook run --sandbox` and of the
//! emulator tests.
//!
//! moto takes any credentials and answers as account `123456789012`; [`MotoServer::credentials`]
//! gives the conventional `testing` pair.
//!
//! The server runs under a small launcher that ends it when its standard input closes, which
//! happens when this process ends in any way: a server kept in a `static` (whose destructor
//! never runs), or left behind by a crash, does not outlive the process that started it.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::StaticCredentials;

/// How long a server may take to start answering.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How many of the server's last lines of output are kept, to explain a failed start.
const KEPT_LINES: usize = 40;

/// Runs moto's server with the host and port given as arguments, and exits when standard
/// input reaches its end (the process that started it is gone).
const LAUNCHER: &str = "\
import os, sys, threading
def watch():
    sys.stdin.read()
    os._exit(0)
threading.Thread(target=watch, daemon=True).start()
from moto.server import main
main(['-H', sys.argv[1], '-p', sys.argv[2]])
";

/// Why a moto server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MotoError {
    /// moto (or its server extra) is not installed for this Python.
    #[error(
        "the moto server is not installed for {python}: install it with \
         `{python} -m pip install 'moto[server]'` ({detail})"
    )]
    NotInstalled {
        /// The interpreter.
        python: String,
        /// What Python said.
        detail: String,
    },
    /// Python could not be started.
    #[error("cannot start {python} for the moto server: {source}")]
    Spawn {
        /// The interpreter.
        python: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The server stopped, or did not answer in time.
    #[error("the moto server did not start: {0}")]
    Start(String),
}

/// A running moto server, stopped when dropped.
#[derive(Debug)]
pub struct MotoServer {
    child: Child,
    port: u16,
    /// The launcher's standard input, open while the server should run.
    _stdin: Option<ChildStdin>,
}

impl MotoServer {
    /// Starts moto's server (`python3 -m moto.server`, or with `python`) on a free port of
    /// 127.0.0.1 and waits until it accepts connections.
    pub fn start(python: Option<PathBuf>) -> Result<Self, MotoError> {
        let python = python.unwrap_or_else(|| PathBuf::from("python3"));
        let shown = python.display().to_string();
        let port = free_port().map_err(|error| MotoError::Start(error.to_string()))?;
        let mut child = Command::new(&python)
            .args(["-c", LAUNCHER, "127.0.0.1", &port.to_string()])
            // moto answers with boto3 inside: a profile of the shell it cannot find would fail
            // every request.
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_DEFAULT_PROFILE")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| MotoError::Spawn { python: shown.clone(), source })?;
        // moto logs every request to standard error: drain it, keeping the last lines.
        let output = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(stderr) = child.stderr.take() {
            let output = Arc::clone(&output);
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    let mut kept = output.lock().unwrap_or_else(PoisonError::into_inner);
                    if kept.len() == KEPT_LINES {
                        kept.pop_front();
                    }
                    kept.push_back(line);
                }
            });
        }
        let stdin = child.stdin.take();
        let mut server = Self { child, port, _stdin: stdin };
        server.wait_until_ready(&shown, &output)?;
        Ok(server)
    }

    /// The server's URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Credentials the server takes.
    pub fn credentials() -> StaticCredentials {
        StaticCredentials::new("testing", "testing")
    }

    fn wait_until_ready(
        &mut self,
        python: &str,
        output: &Mutex<VecDeque<String>>,
    ) -> Result<(), MotoError> {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let started = real_now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                // The drain thread may still be reading the last lines.
                std::thread::sleep(Duration::from_millis(100));
                let said: Vec<String> =
                    output.lock().unwrap_or_else(PoisonError::into_inner).iter().cloned().collect();
                let detail = said.last().cloned().unwrap_or_else(|| status.to_string());
                if said.iter().any(|line| line.contains("No module named")) {
                    return Err(MotoError::NotInstalled { python: python.to_string(), detail });
                }
                return Err(MotoError::Start(format!("it exited ({status}): {}", said.join("\n"))));
            }
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(MotoError::Start(format!(
                    "it did not answer on {} within {} seconds",
                    self.url(),
                    START_TIMEOUT.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port of 127.0.0.1 that was free a moment ago.
fn free_port() -> std::io::Result<u16> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr().map(|address| address.port())
}

/// The one place this module reads the time: waiting for a child process is about real time.
#[allow(clippy::disallowed_methods, reason = "a server's start-up takes real time")]
fn real_now() -> Instant {
    Instant::now()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_python_without_moto_says_how_to_install_it() {
        let dir = std::env::temp_dir().join(format!("runbook-moto-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fake = dir.join("python-without-moto");
        std::fs::write(
            &fake,
            "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'moto'\" >&2\nexit 1\n",
        )
        .unwrap();
        std::process::Command::new("chmod").arg("+x").arg(&fake).status().unwrap();
        let error = MotoServer::start(Some(fake.clone())).unwrap_err();
        assert!(matches!(error, MotoError::NotInstalled { .. }), "{error}");
        let message = error.to_string();
        assert!(message.contains("-m pip install 'moto[server]'"), "{message}");
        assert!(message.contains("No module named 'moto'"), "{message}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
