//! A warm interpreter for the Python runner: one Python process, started once in the background,
//! with the bootstrap loaded and boto3 imported, that forks a child for each step (`zygote.py`).
//! A child starts from that state and nothing else, so a step sees neither the module globals
//! nor the environment changes of the steps before it, and runs in its own empty folder, as a
//! cold process would; it only skips the interpreter's start-up and the imports.
//!
//! A step's child is ready before the step: it is forked once the step before has ended (two
//! are kept ready, so that a step right after another still finds one), has made
//! its standard output, standard error and lifeline (socket pairs, whose other ends it hands
//! to this process over the socket that is the warm interpreter's standard input), has started
//! watching its lifeline and has done, on made-up data, the work that copies the memory it
//! shares with the warm interpreter. The step only sends it its request on the lifeline. The
//! child says the step has ended by closing its streams before it exits, since tearing its
//! memory down takes milliseconds; its exit status comes from the warm interpreter, which is
//! its parent.

use std::collections::{BTreeMap, VecDeque};
use std::io::{self, BufRead, BufReader, Write};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::process::{self, Event, ExitSender, Running};

/// The warm interpreter's program, after the bootstrap's.
const ZYGOTE: &str = include_str!("zygote.py");

/// How long a step waits for a child to be forked and ready before it runs cold.
const CONNECT_LIMIT: Duration = Duration::from_secs(5);

/// How many children are kept forked and ready. A child is forked to replace the one a step
/// took only once that step has ended: forking, and the memory a new child copies, take a
/// processor for milliseconds, which a step running meanwhile would wait for. With two ready,
/// a step that follows the one before at once still finds one.
const SPARES: usize = 2;

/// A running warm interpreter. Dropping it ends it and its spare child; the children running
/// steps end with their steps.
#[derive(Debug)]
pub(crate) struct Zygote {
    process: Mutex<Child>,
    /// The warm interpreter's standard input: orders go one way, its children's streams come
    /// the other. Shared with the steps, which order their replacement as they end.
    channel: Arc<Mutex<UnixStream>>,
    shared: Arc<Shared>,
}

/// What the threads that listen to the warm interpreter and receive its children share with
/// the steps.
#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    /// Told when a spare is ready or when none will be.
    changed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// Children ready and waiting for a step, oldest first.
    spares: VecDeque<Spare>,
    /// Children handed over (spare or running a step), by pid: where their exit goes.
    exits: BTreeMap<u32, ExitSender>,
    /// Why no spare will come: no child could be forked, or the warm interpreter ended.
    failed: Option<String>,
}

/// A forked child whose streams are read, waiting for its step.
#[derive(Debug)]
struct Spare {
    pid: u32,
    /// This side of its lifeline, to send the step and to cut it.
    lifeline: UnixStream,
    /// What its streams and its parent say about it.
    events: Receiver<Event>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Said {
    Failed { failed: String },
    Exited { exited: u32, status: i32 },
}

impl Zygote {
    /// Starts `executable` as a warm interpreter, waits until it is ready (boto3 imported) and
    /// has it fork the first spare child.
    pub(crate) fn start(executable: &Path, bootstrap: &str) -> io::Result<Self> {
        let (channel, theirs) = UnixStream::pair()?;
        let receiving = channel.try_clone()?;
        let program = format!("{bootstrap}\n{ZYGOTE}");
        let mut command = Command::new(executable);
        command
            .args(["-B", "-u", "-c", &program])
            .stdin(Stdio::from(OwnedFd::from(theirs)))
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = command.spawn()?;
        // The command keeps the child's end of the socket until it is dropped: the warm
        // interpreter must see it close when this side closes it.
        drop(command);
        let Some(answers) = child.stdout.take() else {
            let _ = child.kill();
            return Err(io::Error::other("the warm interpreter has no pipes"));
        };
        let mut answers = BufReader::new(answers);
        let mut first = String::new();
        answers.read_line(&mut first)?;
        if !first.contains("\"ready\"") {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::other("the warm interpreter did not start"));
        }
        let shared = Arc::new(Shared::default());
        let listening = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("runbook-warm-python".into())
            .spawn(move || listen(answers, &listening))?;
        let receiver = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("runbook-warm-children".into())
            .spawn(move || receive(&receiving, &receiver))?;
        let zygote =
            Self { process: Mutex::new(child), channel: Arc::new(Mutex::new(channel)), shared };
        for _ in 0..SPARES {
            order_spare(&zygote.channel)?;
        }
        Ok(zygote)
    }

    /// Runs the bootstrap's `request` in a spare child, in `dir`, with `env` set and `remove`
    /// unset, for at most `limit`; once the step has ended, has a spare forked in its place.
    pub(crate) fn fork(
        &self,
        dir: &Path,
        request: &Value,
        env: &[(String, String)],
        remove: &[&str],
        limit: Duration,
    ) -> io::Result<Running> {
        let Spare { pid, mut lifeline, events } = self.take_spare()?;
        let order = json!({
            "dir": dir,
            "env": env.iter().map(|(name, value)| (name.clone(), Value::String(value.clone()))).collect::<Map<_, _>>(),
            "remove": remove,
            "request": request,
        });
        let sent = lifeline.write_all(format!("{order}\n").as_bytes());
        let channel = Arc::clone(&self.channel);
        let shared = Arc::clone(&self.shared);
        let replace = move || {
            if let Err(error) = order_spare(&channel) {
                // The steps after find no child and run cold.
                let mut state = lock(&shared.state);
                state.failed.get_or_insert_with(|| format!("cannot order a child: {error}"));
                shared.changed.notify_all();
            }
        };
        if let Err(error) = sent {
            let _ = lifeline.shutdown(std::net::Shutdown::Both);
            process::kill_group(pid);
            replace();
            return Err(error);
        }
        Ok(Running::adopt(pid, lifeline, events, limit, Box::new(replace)))
    }

    /// The oldest spare child, waiting up to [`CONNECT_LIMIT`] for one to be ready.
    #[allow(
        clippy::disallowed_methods,
        reason = "connecting is real work with a real-time limit, not a step's wait"
    )]
    fn take_spare(&self) -> io::Result<Spare> {
        let deadline = std::time::Instant::now() + CONNECT_LIMIT;
        let mut state = lock(&self.shared.state);
        loop {
            // Once something failed, even a spare that is ready is not trusted.
            if let Some(message) = &state.failed {
                return Err(io::Error::other(message.clone()));
            }
            if let Some(spare) = state.spares.pop_front() {
                return Ok(spare);
            }
            let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) else {
                return Err(io::Error::other("no forked child was ready in time"));
            };
            state = self
                .shared
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

/// Has the warm interpreter fork a spare child.
fn order_spare(channel: &Mutex<UnixStream>) -> io::Result<()> {
    lock(channel).write_all(b"spare\n")
}

impl Drop for Zygote {
    fn drop(&mut self) {
        let spares = std::mem::take(&mut lock(&self.shared.state).spares);
        // A spare whose lifeline is cut ends itself.
        for spare in spares {
            let _ = spare.lifeline.shutdown(std::net::Shutdown::Both);
        }
        // Ends the thread that receives children, and the warm interpreter's orders.
        let _ = lock(&self.channel).shutdown(std::net::Shutdown::Both);
        let mut process = lock(&self.process);
        let _ = process.kill();
        let _ = process.wait();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Reads what the warm interpreter says and hands it to whoever waits for it.
fn listen(answers: impl BufRead, shared: &Shared) {
    for line in answers.lines() {
        let Ok(line) = line else { break };
        let Ok(said) = serde_json::from_str::<Said>(&line) else { continue };
        let mut state = lock(&shared.state);
        match said {
            Said::Failed { failed } => {
                state.failed = Some(failed);
                shared.changed.notify_all();
            }
            Said::Exited { exited, status } => {
                if let Some(exits) = state.exits.remove(&exited) {
                    exits.exited(status);
                }
                // A spare that ended before its step is not given one.
                state.spares.retain(|spare| spare.pid != exited);
            }
        }
    }
    // The warm interpreter is gone: whoever still waits learns it now, and its spares, whose
    // exit could not be told, are given no step.
    let mut state = lock(&shared.state);
    state.failed = Some("the warm interpreter ended".to_string());
    for spare in std::mem::take(&mut state.spares) {
        let _ = spare.lifeline.shutdown(std::net::Shutdown::Both);
    }
    for (_, exits) in std::mem::take(&mut state.exits) {
        // Killed: its parent is gone, so its status cannot be known.
        exits.exited(9);
    }
    shared.changed.notify_all();
}

/// Receives the streams of forked children, each child's in one message (its pid, then a
/// newline, with the three sockets), reads them and lists the child as a spare.
fn receive(channel: &UnixStream, shared: &Shared) {
    use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};
    use std::mem::MaybeUninit;

    // Received descriptors are closed in processes this one starts; where the system cannot
    // say so as it hands them over, it is said at once after.
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    let flags = RecvFlags::CMSG_CLOEXEC;
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
    let flags = RecvFlags::empty();
    loop {
        let mut text = [0_u8; 32];
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(3))];
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let received = rustix::net::recvmsg(
            channel,
            &mut [io::IoSliceMut::new(&mut text)],
            &mut control,
            flags,
        );
        let bytes = match received {
            Ok(message) if message.bytes > 0 => message.bytes,
            Err(rustix::io::Errno::INTR) => continue,
            // The warm interpreter and its children have gone, or the channel was shut.
            _ => break,
        };
        let mut fds: Vec<OwnedFd> = Vec::new();
        for message in control.drain() {
            if let RecvAncillaryMessage::ScmRights(received) = message {
                fds.extend(received);
            }
        }
        let pid = std::str::from_utf8(&text[..bytes])
            .ok()
            .and_then(|text| text.trim_end().parse::<u32>().ok());
        let (Some(pid), Ok([out, err, life])) = (pid, <[OwnedFd; 3]>::try_from(fds)) else {
            continue;
        };
        if spare(pid, [out, err, life], shared).is_err() {
            // Its streams are closed: the child ends itself.
            process::kill_group(pid);
        }
    }
    let mut state = lock(&shared.state);
    state.failed.get_or_insert_with(|| "the warm interpreter ended".to_string());
    shared.changed.notify_all();
}

/// Reads the streams `fds` of the child `pid` and lists it as a spare.
fn spare(pid: u32, fds: [OwnedFd; 3], shared: &Shared) -> io::Result<()> {
    for fd in &fds {
        rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::CLOEXEC)?;
    }
    let [out, err, life] = fds.map(UnixStream::from);
    let (exits, events) = process::exit_channel();
    let lifeline = process::read_streams([out, err, life], &exits)?;
    let mut state = lock(&shared.state);
    state.exits.insert(pid, exits);
    state.spares.push_back(Spare { pid, lifeline, events });
    shared.changed.notify_all();
    Ok(())
}
