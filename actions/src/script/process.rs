//! One script process from start to end: a scratch directory to run it in, its output captured,
//! and its real-time limit enforced by killing it.
//!
//! Everything here blocks and reads the real clock; callers run it on tokio's blocking pool,
//! which holds virtual time still meanwhile.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// The most of each output stream kept; a script that prints more keeps running, the rest is
/// dropped.
const MAX_CAPTURE_BYTES: usize = 1024 * 1024;

/// How often to look at a running process whose output is still open: only matters when the
/// script has ended but something it started still holds its output.
const POLL_RUNNING: Duration = Duration::from_millis(50);

/// How often to look at a process that has closed its output and is about to end.
const POLL_ENDING: Duration = Duration::from_millis(1);

/// How long a stopped script gets to take its children down with it before it is killed.
const STOP_GRACE: Duration = Duration::from_millis(200);

/// How long to keep reading output after the process has ended.
const DRAIN_GRACE: Duration = Duration::from_millis(250);

/// A directory of its own for one script run, removed when dropped.
#[derive(Debug)]
pub(crate) struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    /// Makes a new empty directory under the system's temporary directory.
    pub(crate) fn new() -> io::Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let base = std::env::temp_dir();
        let process = std::process::id();
        loop {
            let number = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = base.join(format!("runbook-script-{process}-{number}"));
            // `create_dir` fails when the name exists, so a directory someone else made is
            // never reused.
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(Self { path }),
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
                Err(error) => return Err(error),
            }
        }
    }

    /// Where the directory is.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        // Nothing useful can be done about a directory that cannot be removed.
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// How a supervised process ended.
#[derive(Debug)]
pub(crate) struct Finished {
    /// The exit status; `None` when the process could not be waited for after being killed.
    pub(crate) status: Option<ExitStatus>,
    /// Whether the process was stopped for running past its limit.
    pub(crate) timed_out: bool,
    /// What it wrote to standard output.
    pub(crate) stdout: String,
    /// What it wrote to standard error.
    pub(crate) stderr: String,
    /// Things the caller may pass on as warnings (output that was cut).
    pub(crate) notes: Vec<String>,
}

/// Starts `command` and waits for it, for at most `limit` of real time.
///
/// The process gets a process group of its own, so that when it must be stopped its children go
/// with it, and its standard input is a pipe that stays open while it runs and closes when it
/// must stop (or when this process dies). The Python bootstrap watches that pipe and takes its
/// whole group down when it closes.
pub(crate) fn supervise(mut command: Command, limit: Duration) -> io::Result<Finished> {
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    let mut child = command.spawn()?;
    let lifeline = child.stdin.take();
    let (sender, events) = mpsc::channel();
    let mut supervisor = Supervisor::new(events);
    let waited = start_readers(&mut child, &sender).and_then(|()| {
        drop(sender);
        supervisor.wait(&mut child, &Deadline::after(limit))
    });
    let mut status = match waited {
        Ok(status) => status,
        Err(error) => {
            // A process nobody watches must not outlive its step.
            let _ = stop(&mut child, lifeline);
            return Err(error);
        }
    };
    let timed_out = status.is_none();
    if timed_out {
        status = stop(&mut child, lifeline);
    }
    supervisor.drain(&Deadline::after(DRAIN_GRACE));
    if supervisor.open > 0 {
        // The script has ended, but processes it started still hold its output open; they
        // would outlive the step, so they end with it. The group's id cannot have been reused:
        // an id stays taken while a group of that id has members.
        kill_group(child.id());
        supervisor.drain(&Deadline::after(DRAIN_GRACE));
    }
    let mut notes = Vec::new();
    for (capture, name) in
        [(&supervisor.stdout, "standard output"), (&supervisor.stderr, "standard error")]
    {
        if capture.cut {
            notes.push(format!(
                "the script's {name} was cut at {} MiB",
                MAX_CAPTURE_BYTES / (1024 * 1024)
            ));
        }
    }
    Ok(Finished {
        status,
        timed_out,
        stdout: supervisor.stdout.into_string(),
        stderr: supervisor.stderr.into_string(),
        notes,
    })
}

/// Stops a process that ran past its limit: closes its lifeline, so that it takes its process
/// group down itself, then kills the group and the process for certain.
fn stop(child: &mut Child, lifeline: Option<ChildStdin>) -> Option<ExitStatus> {
    drop(lifeline);
    let grace = Deadline::after(STOP_GRACE);
    while grace.remaining().is_some() {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        pause(POLL_ENDING);
    }
    kill_group(child.id());
    // An error here means the process has already ended, which is what we want.
    let _ = child.kill();
    child.wait().ok()
}

/// Kills every process of the group `group` (the supervised process's id, as it leads its
/// own group).
#[cfg(unix)]
fn kill_group(group: u32) {
    // Signalling a process group needs a system call the standard library does not wrap; the
    // `kill` utility makes it without unsafe code. Without it, the process itself is still
    // killed by `Child::kill`.
    let _ = Command::new("kill")
        .args(["-s", "KILL", "--", &format!("-{group}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

#[cfg(not(unix))]
fn kill_group(_group: u32) {}

#[derive(Clone, Copy, Debug)]
enum Stream {
    Stdout,
    Stderr,
}

#[derive(Debug)]
enum Event {
    Output(Stream, Vec<u8>),
    Closed,
}

fn start_readers(child: &mut Child, sender: &Sender<Event>) -> io::Result<()> {
    if let Some(stdout) = child.stdout.take() {
        spawn_reader(stdout, Stream::Stdout, sender.clone())?;
    }
    if let Some(stderr) = child.stderr.take() {
        spawn_reader(stderr, Stream::Stderr, sender.clone())?;
    }
    Ok(())
}

fn spawn_reader(
    mut pipe: impl Read + Send + 'static,
    stream: Stream,
    sender: Sender<Event>,
) -> io::Result<()> {
    std::thread::Builder::new().name("runbook-script-output".into()).spawn(move || {
        let mut buffer = [0_u8; 8192];
        loop {
            match pipe.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => {
                    if sender.send(Event::Output(stream, buffer[..read].to_vec())).is_err() {
                        return;
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = sender.send(Event::Closed);
    })?;
    Ok(())
}

/// Output read so far, up to [`MAX_CAPTURE_BYTES`].
#[derive(Debug, Default)]
struct Capture {
    bytes: Vec<u8>,
    cut: bool,
}

impl Capture {
    fn push(&mut self, chunk: &[u8]) {
        let room = MAX_CAPTURE_BYTES.saturating_sub(self.bytes.len());
        if chunk.len() > room {
            self.cut = true;
        }
        self.bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }

    fn into_string(self) -> String {
        match String::from_utf8(self.bytes) {
            Ok(text) => text,
            Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
        }
    }
}

struct Supervisor {
    events: Receiver<Event>,
    /// Output streams not yet closed.
    open: usize,
    stdout: Capture,
    stderr: Capture,
}

impl Supervisor {
    fn new(events: Receiver<Event>) -> Self {
        Self { events, open: 2, stdout: Capture::default(), stderr: Capture::default() }
    }

    fn take(&mut self, event: Event) {
        match event {
            Event::Output(Stream::Stdout, chunk) => self.stdout.push(&chunk),
            Event::Output(Stream::Stderr, chunk) => self.stderr.push(&chunk),
            Event::Closed => self.open = self.open.saturating_sub(1),
        }
    }

    /// Collects output until the process ends (its status) or the deadline passes (`None`).
    fn wait(&mut self, child: &mut Child, deadline: &Deadline) -> io::Result<Option<ExitStatus>> {
        loop {
            if let Some(status) = child.try_wait()? {
                return Ok(Some(status));
            }
            let Some(remaining) = deadline.remaining() else { return Ok(None) };
            if self.open == 0 {
                pause(remaining.min(POLL_ENDING));
                continue;
            }
            match self.events.recv_timeout(remaining.min(POLL_RUNNING)) {
                Ok(event) => self.take(event),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => self.open = 0,
            }
        }
    }

    /// Collects output until both streams close or the deadline passes.
    fn drain(&mut self, deadline: &Deadline) {
        while self.open > 0 {
            let Some(remaining) = deadline.remaining() else { return };
            match self.events.recv_timeout(remaining) {
                Ok(event) => self.take(event),
                Err(RecvTimeoutError::Timeout) => return,
                Err(RecvTimeoutError::Disconnected) => self.open = 0,
            }
        }
    }
}

/// A point in real time, or none for a limit too long to represent.
struct Deadline(Option<Instant>);

impl Deadline {
    #[allow(
        clippy::disallowed_methods,
        reason = "a script's limit is real time: it stops a runaway process, not a step's wait"
    )]
    fn after(limit: Duration) -> Self {
        Self(Instant::now().checked_add(limit))
    }

    /// The time left, or `None` once the deadline has passed.
    #[allow(
        clippy::disallowed_methods,
        reason = "a script's limit is real time: it stops a runaway process, not a step's wait"
    )]
    fn remaining(&self) -> Option<Duration> {
        match self.0 {
            None => Some(Duration::MAX),
            Some(at) => at.checked_duration_since(Instant::now()).filter(|left| !left.is_zero()),
        }
    }
}

/// Waits a little real time while a process ends; never used for a step's own waits.
fn pause(duration: Duration) {
    std::thread::sleep(duration);
}
