//! One script process from start to end: a private scratch directory to run it in, its output
//! captured, and its real-time limit (or its step's cancel) enforced by killing its process group.
//!
//! Live scratch directories and process groups are also listed process-wide, so that
//! [`abandon_all`] can take them down when the whole program must end at once.
//!
//! Everything here blocks and reads the real clock; callers run it on tokio's blocking pool,
//! which holds virtual time still meanwhile.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

mod output;
mod scratch;

#[cfg(unix)]
use output::spawn_stream_reader;
use output::{Capture, spawn_request_reader, start_readers};
pub(crate) use output::{Event, Stream};
pub(crate) use scratch::{ScratchDir, private_file};

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

/// What is alive now: scratch directories and the process groups of running scripts, by a
/// number of their own, for [`abandon_all`].
#[derive(Default)]
struct Live {
    dirs: BTreeMap<u64, PathBuf>,
    groups: BTreeMap<u64, Group>,
}

/// A running script's process group, led by the script's process, and a way to cut its
/// lifeline (a socket) without the [`Running`] that owns it.
struct Group {
    leader: u32,
    #[cfg(unix)]
    lifeline: Option<std::os::unix::net::UnixStream>,
}

fn live() -> std::sync::MutexGuard<'static, Live> {
    static LIVE: OnceLock<Mutex<Live>> = OnceLock::new();
    LIVE.get_or_init(Mutex::default).lock().unwrap_or_else(PoisonError::into_inner)
}

static NEXT: AtomicU64 = AtomicU64::new(0);

/// Ends every running script, with everything it started, and removes every scratch
/// directory: for a program that must end at once (a second Ctrl-C), with no time for each step
/// to end its own. Each script's lifeline is cut first, so that it ends the processes it started
/// even outside its group; a group still there a moment later is killed.
pub fn abandon_all() {
    let Live { dirs, groups } = std::mem::take(&mut *live());
    #[cfg(unix)]
    for group in groups.values() {
        if let Some(lifeline) = &group.lifeline {
            let _ = lifeline.shutdown(std::net::Shutdown::Both);
        }
    }
    let grace = Deadline::after(STOP_GRACE);
    while grace.remaining().is_some() && !groups.values().all(|group| has_ended(group.leader)) {
        pause(POLL_ENDING);
    }
    for group in groups.values() {
        kill_group(group.leader);
    }
    for dir in dirs.values() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Whether the process `pid` has ended (it may wait to be reaped); `false` where that cannot
/// be told.
fn has_ended(pid: u32) -> bool {
    if !Path::new("/proc/self/stat").exists() {
        return false;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => {
            stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X']))
        }
    }
}

/// Tells a [`Running`] process, from another thread, to stop: its step was cancelled.
#[derive(Clone, Debug, Default)]
pub(crate) struct StopSignal(Arc<AtomicBool>);

impl StopSignal {
    /// Asks the process to stop; it is killed, with its group, within one poll.
    pub(crate) fn stop(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Sets its [`StopSignal`] when dropped: held by the future that waits for a script, so that a
/// cancelled step (whose future is dropped) stops its script at once.
#[derive(Debug)]
pub(crate) struct StopOnDrop(pub(crate) StopSignal);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop();
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
pub(crate) fn supervise(
    command: Command,
    limit: Duration,
    stop: Option<StopSignal>,
) -> io::Result<Finished> {
    let mut running = Running::start(command, limit, false)?;
    if let Some(stop) = stop {
        running.stop = stop;
    }
    loop {
        match running.wait()? {
            Wait::Request(_) => running.reply("{\"unanswered\": \"nothing answers requests\"}")?,
            Wait::Ended => return Ok(running.finish(true)),
        }
    }
}

/// What [`Running::wait`] stopped for.
#[derive(Debug)]
pub(crate) enum Wait {
    /// The process sent a request (one line of text) on its lifeline and waits for the reply.
    Request(String),
    /// The process ended, or ran past its limit.
    Ended,
}

/// The lifeline of a supervised process: its standard input.
#[derive(Debug)]
enum Lifeline {
    /// A pipe the process only reads: closing it tells the process to stop.
    Pipe(Option<ChildStdin>),
    /// A socket: the process sends requests on it, one JSON line each, and reads one reply line
    /// for each; shutting it down tells the process to stop.
    #[cfg(unix)]
    Socket(std::os::unix::net::UnixStream),
}

impl Lifeline {
    fn cut(&mut self) {
        match self {
            Self::Pipe(pipe) => drop(pipe.take()),
            // A reader thread holds a clone of the socket, so dropping this end would not close
            // it; shutting it down does.
            #[cfg(unix)]
            Self::Socket(socket) => {
                let _ = socket.shutdown(std::net::Shutdown::Both);
            }
        }
    }
}

/// Whether a supervised process has ended.
#[derive(Debug)]
enum Ended {
    No,
    /// It ended, with its status when it could be waited for.
    Yes(Option<ExitStatus>),
}

/// A process being supervised, which may stop to ask its supervisor something: start it with
/// [`Running::start`], call [`Running::wait`] until it says [`Wait::Ended`], then
/// [`Running::finish`]. Dropped before it has ended, it stops the process and its group.
#[derive(Debug)]
pub(crate) struct Running {
    child: Handle,
    lifeline: Lifeline,
    supervisor: Supervisor,
    deadline: Deadline,
    ended: Ended,
    timed_out: bool,
    /// Set from outside when the step is cancelled.
    stop: StopSignal,
    /// The number the process group is listed under for [`abandon_all`].
    number: u64,
    /// Called once the process has been dealt with, however it ended.
    on_end: OnEnd,
}

/// What a [`Running`] calls when it is done with its process.
#[derive(Default)]
struct OnEnd(Option<Box<dyn FnOnce() + Send>>);

impl std::fmt::Debug for OnEnd {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(if self.0.is_some() { "OnEnd(..)" } else { "OnEnd(none)" })
    }
}

impl Running {
    /// Starts `command` (see [`supervise`]). With `requests`, its standard input is a socket
    /// on which it may send requests (Unix only; elsewhere a pipe, on which it cannot).
    pub(crate) fn start(mut command: Command, limit: Duration, requests: bool) -> io::Result<Self> {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        #[cfg(unix)]
        let socket = if requests {
            let (ours, theirs) = std::os::unix::net::UnixStream::pair()?;
            command.stdin(Stdio::from(std::os::fd::OwnedFd::from(theirs)));
            Some(ours)
        } else {
            command.stdin(Stdio::piped());
            None
        };
        #[cfg(not(unix))]
        {
            let _ = requests;
            command.stdin(Stdio::piped());
        }
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            command.process_group(0);
        }
        let mut child = command.spawn()?;
        // The command keeps the child's end of the socket until it is dropped: the process
        // must see the socket close when this side closes it.
        drop(command);
        let (sender, events) = mpsc::channel();
        let mut open = 2;
        let lifeline = match socket {
            #[cfg(unix)]
            Some(socket) => {
                let reading = socket.try_clone();
                match reading {
                    Ok(reading) => {
                        spawn_request_reader(reading, sender.clone())?;
                        open += 1;
                    }
                    Err(error) => {
                        let _ = child.kill();
                        let _ = child.wait();
                        return Err(error);
                    }
                }
                Lifeline::Socket(socket)
            }
            _ => Lifeline::Pipe(child.stdin.take()),
        };
        let mut child = child;
        let readers = start_readers(&mut child, &sender);
        let running = Self {
            number: list_group(child.id(), &lifeline),
            child: Handle::Spawned(child),
            lifeline,
            supervisor: Supervisor::new(events, open),
            deadline: Deadline::after(limit),
            ended: Ended::No,
            timed_out: false,
            stop: StopSignal::default(),
            on_end: OnEnd::default(),
        };
        readers?;
        Ok(running)
    }

    /// Supervises the process `pid`, forked by a warm interpreter, whose lifeline's other end is
    /// `lifeline` and whose streams and exit come as `events` (see [`read_streams`]);
    /// `on_end` is called once it has been dealt with, however it ended.
    #[cfg(unix)]
    pub(crate) fn adopt(
        pid: u32,
        lifeline: std::os::unix::net::UnixStream,
        events: Receiver<Event>,
        limit: Duration,
        on_end: Box<dyn FnOnce() + Send>,
    ) -> Self {
        let mut supervisor = Supervisor::new(events, 3);
        supervisor.forked = true;
        let lifeline = Lifeline::Socket(lifeline);
        Self {
            number: list_group(pid, &lifeline),
            child: Handle::Forked(pid),
            lifeline,
            supervisor,
            deadline: Deadline::after(limit),
            ended: Ended::No,
            timed_out: false,
            stop: StopSignal::default(),
            on_end: OnEnd(Some(on_end)),
        }
    }

    /// The signal that stops the process from another thread.
    pub(crate) fn stop_signal(&self) -> StopSignal {
        self.stop.clone()
    }

    /// Collects output until the process sends a request, ends, runs past its limit, or is
    /// told to stop.
    pub(crate) fn wait(&mut self) -> io::Result<Wait> {
        if matches!(self.ended, Ended::Yes(_)) {
            return Ok(Wait::Ended);
        }
        match self.supervisor.wait(&mut self.child, &self.deadline, &self.stop)? {
            Waited::Request(line) => Ok(Wait::Request(line)),
            Waited::Exited(status) => {
                self.ended = Ended::Yes(status);
                Ok(Wait::Ended)
            }
            Waited::TimedOut => {
                self.timed_out = true;
                let status = self.stop();
                self.ended = Ended::Yes(status);
                Ok(Wait::Ended)
            }
            Waited::Stopped => {
                let status = self.stop();
                self.ended = Ended::Yes(status);
                Ok(Wait::Ended)
            }
        }
    }

    /// Sends the reply to the request [`wait`](Self::wait) returned, as one line.
    pub(crate) fn reply(&mut self, line: &str) -> io::Result<()> {
        match &mut self.lifeline {
            #[cfg(unix)]
            Lifeline::Socket(socket) => {
                use std::io::Write;
                let mut text = line.replace('\n', " ");
                text.push('\n');
                socket.write_all(text.as_bytes())
            }
            Lifeline::Pipe(_) => Ok(()),
        }
    }

    /// What the process did, once [`wait`](Self::wait) has said it ended; with `status`, its
    /// exit status is waited for when it is not known yet (a forked process's comes later).
    pub(crate) fn finish(mut self, status_wanted: bool) -> Finished {
        let mut status = match self.ended {
            Ended::Yes(status) => status,
            Ended::No => self.stop(),
        };
        if status.is_none() && status_wanted && matches!(self.child, Handle::Forked(_)) {
            let grace = Deadline::after(STOP_GRACE);
            while status.is_none() && grace.remaining().is_some() {
                status = self.poll_exit();
                if status.is_none() {
                    pause(POLL_ENDING);
                }
            }
        }
        self.ended = Ended::Yes(status);
        self.supervisor.drain(&Deadline::after(DRAIN_GRACE));
        if self.supervisor.open > 0 {
            // The script has ended, but processes it started still hold its output open (or
            // its lifeline); they would outlive the step, so they end with it. The group's id
            // cannot have been reused: an id stays taken while a group of that id has members.
            kill_group(self.child.id());
            self.lifeline.cut();
            self.supervisor.drain(&Deadline::after(DRAIN_GRACE));
        }
        self.lifeline.cut();
        live().groups.remove(&self.number);
        let mut notes = Vec::new();
        for (capture, name) in [
            (&self.supervisor.stdout, "standard output"),
            (&self.supervisor.stderr, "standard error"),
        ] {
            if capture.cut {
                notes.push(format!(
                    "the script's {name} was cut at {} MiB",
                    MAX_CAPTURE_BYTES / (1024 * 1024)
                ));
            }
        }
        Finished {
            status,
            timed_out: self.timed_out,
            stdout: std::mem::take(&mut self.supervisor.stdout).into_string(),
            stderr: std::mem::take(&mut self.supervisor.stderr).into_string(),
            notes,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // A process nobody watches any more (its step was cancelled or timed out on the run's
        // clock) must not outlive its step.
        if matches!(self.ended, Ended::No) {
            let _ = self.stop();
        }
        self.lifeline.cut();
        live().groups.remove(&self.number);
        if let Some(on_end) = self.on_end.0.take() {
            on_end();
        }
    }
}

impl Running {
    /// Stops the process: cuts its lifeline, so that it takes its process group down itself,
    /// then kills the group and the process for certain.
    fn stop(&mut self) -> Option<ExitStatus> {
        self.lifeline.cut();
        let grace = Deadline::after(STOP_GRACE);
        while grace.remaining().is_some() {
            if let Some(status) = self.poll_exit() {
                return Some(status);
            }
            pause(POLL_ENDING);
        }
        kill_group(self.child.id());
        match &mut self.child {
            Handle::Spawned(child) => {
                // An error here means the process has already ended, which is what we want.
                let _ = child.kill();
                child.wait().ok()
            }
            Handle::Forked(_) => {
                let grace = Deadline::after(STOP_GRACE);
                while grace.remaining().is_some() {
                    if let Some(status) = self.poll_exit() {
                        return Some(status);
                    }
                    pause(POLL_ENDING);
                }
                None
            }
        }
    }

    /// The exit status, if the process has ended; output that arrived meanwhile is kept.
    fn poll_exit(&mut self) -> Option<ExitStatus> {
        match &mut self.child {
            Handle::Spawned(child) => child.try_wait().ok().flatten(),
            Handle::Forked(_) => {
                while let Ok(event) = self.supervisor.events.try_recv() {
                    self.supervisor.take(event);
                }
                self.supervisor.exited
            }
        }
    }
}

/// The process a [`Running`] supervises.
#[derive(Debug)]
enum Handle {
    /// Started by this process.
    Spawned(Child),
    /// Forked by a warm interpreter: its exit comes as an event.
    Forked(u32),
}

impl Handle {
    fn id(&self) -> u32 {
        match self {
            Self::Spawned(child) => child.id(),
            Self::Forked(pid) => *pid,
        }
    }
}

/// Tells the [`Running`] made by [`Running::adopt`] that its process ended.
#[derive(Clone, Debug)]
pub(crate) struct ExitSender(Sender<Event>);

impl ExitSender {
    /// The process ended with the wait status `raw`, as `waitpid` gives it.
    #[cfg(unix)]
    pub(crate) fn exited(&self, raw: i32) {
        use std::os::unix::process::ExitStatusExt;
        let _ = self.0.send(Event::Exited(ExitStatus::from_raw(raw)));
    }
}

/// Reads the standard output, standard error and lifeline of a process forked by a warm
/// interpreter, the sockets `streams`, on one thread, as events for the receiver made with
/// `exits`; the lifeline's end to write to and to cut.
#[cfg(unix)]
pub(crate) fn read_streams(
    streams: [std::os::unix::net::UnixStream; 3],
    exits: &ExitSender,
) -> io::Result<std::os::unix::net::UnixStream> {
    let ours = streams[2].try_clone()?;
    spawn_stream_reader(streams, exits.0.clone())?;
    Ok(ours)
}

/// The channel of a process to [`Running::adopt`].
pub(crate) fn exit_channel() -> (ExitSender, Receiver<Event>) {
    let (sender, events) = mpsc::channel();
    (ExitSender(sender), events)
}

/// Lists the process group `group` for [`abandon_all`]; the number it is listed under.
fn list_group(leader: u32, lifeline: &Lifeline) -> u64 {
    let number = NEXT.fetch_add(1, Ordering::Relaxed);
    let group = Group {
        leader,
        #[cfg(unix)]
        lifeline: match lifeline {
            Lifeline::Socket(socket) => socket.try_clone().ok(),
            Lifeline::Pipe(_) => None,
        },
    };
    #[cfg(not(unix))]
    let _ = lifeline;
    live().groups.insert(number, group);
    number
}

/// Kills every process of the group `group` (the supervised process's id, as it leads its
/// own group).
#[cfg(unix)]
pub(crate) fn kill_group(group: u32) {
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

#[derive(Debug)]
struct Supervisor {
    events: Receiver<Event>,
    /// Streams (output, and the requests socket) not yet closed.
    open: usize,
    stdout: Capture,
    stderr: Capture,
    /// Whether the process was forked by a warm interpreter, which reports its exit.
    forked: bool,
    /// Its exit status, once reported.
    exited: Option<ExitStatus>,
    /// Once the process has ended, until when its streams are still read for what it sent
    /// before it ended.
    reading_after_exit: Option<Deadline>,
}

/// What [`Supervisor::wait`] stopped for.
enum Waited {
    Request(String),
    /// Told to stop by its [`StopSignal`].
    Stopped,
    /// With its status, unless it was forked and its status has not come yet.
    Exited(Option<ExitStatus>),
    TimedOut,
}

impl Supervisor {
    fn new(events: Receiver<Event>, open: usize) -> Self {
        Self {
            events,
            open,
            stdout: Capture::default(),
            stderr: Capture::default(),
            forked: false,
            exited: None,
            reading_after_exit: None,
        }
    }

    /// Takes one event in; a request is handed back.
    fn take(&mut self, event: Event) -> Option<String> {
        match event {
            Event::Output(Stream::Stdout, chunk) => self.stdout.push(&chunk),
            Event::Output(Stream::Stderr, chunk) => self.stderr.push(&chunk),
            Event::Request(line) => return Some(line),
            Event::Exited(status) => self.exited = Some(status),
            Event::Closed => self.open = self.open.saturating_sub(1),
        }
        None
    }

    /// Collects output until the process sends a request, ends, or the deadline passes.
    fn wait(
        &mut self,
        child: &mut Handle,
        deadline: &Deadline,
        stop: &StopSignal,
    ) -> io::Result<Waited> {
        loop {
            if stop.is_set() {
                return Ok(Waited::Stopped);
            }
            let status = match child {
                Handle::Spawned(child) => child.try_wait()?,
                Handle::Forked(_) => self.exited,
            };
            // Its status can come before what it wrote last has been read, since other threads
            // read its streams: requests it sent before it ended (reports of the AWS calls it
            // made, which want no reply) are still handed back, until its streams close or,
            // when something it started holds them open, for a short grace.
            let mut grace = None;
            if let Some(status) = status {
                let reading =
                    self.reading_after_exit.get_or_insert_with(|| Deadline::after(DRAIN_GRACE));
                match reading.remaining() {
                    Some(left) if self.open > 0 => grace = Some(left),
                    _ => return Ok(Waited::Exited(Some(status))),
                }
            }
            // A forked process that closed its output and its lifeline has ended (the lifeline
            // is closed only by its end): its status, which comes from its parent, is waited for
            // only when it is wanted (see `Running::finish`).
            if self.forked && self.open == 0 {
                return Ok(Waited::Exited(None));
            }
            let Some(remaining) = deadline.remaining() else { return Ok(Waited::TimedOut) };
            if self.open == 0 && !self.forked {
                pause(remaining.min(POLL_ENDING));
                continue;
            }
            let wait = remaining.min(POLL_RUNNING).min(grace.unwrap_or(Duration::MAX));
            match self.events.recv_timeout(wait) {
                Ok(event) => {
                    if let Some(request) = self.take(event) {
                        return Ok(Waited::Request(request));
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => self.open = 0,
            }
        }
    }

    /// Collects output until every stream closes or the deadline passes; requests sent now
    /// get no reply.
    fn drain(&mut self, deadline: &Deadline) {
        while self.open > 0 {
            let Some(remaining) = deadline.remaining() else { return };
            match self.events.recv_timeout(remaining) {
                Ok(event) => {
                    self.take(event);
                }
                Err(RecvTimeoutError::Timeout) => return,
                Err(RecvTimeoutError::Disconnected) => self.open = 0,
            }
        }
    }
}

/// A point in real time, or none for a limit too long to represent.
#[derive(Debug)]
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

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::process::ExitStatusExt;
    use std::process::ExitStatus;
    use std::time::Duration;

    use super::{Deadline, Event, Handle, StopSignal, Stream, Supervisor, Waited};

    #[test]
    fn a_request_sent_before_the_end_is_handed_back_even_when_the_exit_is_told_first() {
        let (sender, events) = std::sync::mpsc::channel();
        let mut supervisor = Supervisor::new(events, 3);
        supervisor.forked = true;
        let mut child = Handle::Forked(1);
        for event in [
            Event::Exited(ExitStatus::from_raw(0)),
            Event::Output(Stream::Stdout, b"out".to_vec()),
            Event::Request("{\"observed\": 1}".to_string()),
            Event::Closed,
            Event::Closed,
            Event::Closed,
        ] {
            sender.send(event).expect("sent");
        }
        let deadline = Deadline::after(Duration::from_secs(5));
        let stop = StopSignal::default();
        let first = supervisor.wait(&mut child, &deadline, &stop).expect("waited");
        assert!(matches!(first, Waited::Request(ref line) if line == "{\"observed\": 1}"));
        let second = supervisor.wait(&mut child, &deadline, &stop).expect("waited");
        assert!(matches!(second, Waited::Exited(Some(status)) if status.success()));
        assert_eq!(supervisor.stdout.bytes, b"out");
    }

    #[test]
    fn streams_held_open_after_the_exit_are_read_only_for_a_short_grace() {
        let (sender, events) = std::sync::mpsc::channel();
        let mut supervisor = Supervisor::new(events, 3);
        supervisor.forked = true;
        let mut child = Handle::Forked(1);
        sender.send(Event::Exited(ExitStatus::from_raw(0))).expect("sent");
        let deadline = Deadline::after(Duration::from_secs(5));
        let waited =
            supervisor.wait(&mut child, &deadline, &StopSignal::default()).expect("waited");
        assert!(matches!(waited, Waited::Exited(Some(_))));
        assert!(deadline.remaining().is_some_and(|left| left > Duration::from_secs(4)));
        drop(sender);
    }
}
