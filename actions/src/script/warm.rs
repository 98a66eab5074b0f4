//! A warm interpreter for the Python runner: one Python process, started once in the background,
//! with the bootstrap loaded and boto3 imported, that forks a child for each step (`zygote.py`).
//! A child starts from that state and nothing else, so a step sees neither the module globals
//! nor the environment changes of the steps before it, and runs in its own empty folder, as a
//! cold process would; it only skips the interpreter's start-up and the imports. Forking a
//! process that has boto3 imported, and tearing it down, each cost milliseconds: the child is
//! forked while the step before runs, and says the step has ended by closing its streams before
//! it exits.
//!
//! The child's standard output, standard error and lifeline are sockets it connects to in the
//! step's folder, since this process cannot hand it file descriptors; its exit status comes
//! from the warm interpreter, which is its parent.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::process::{self, ExitSender, Running};

/// The warm interpreter's program, after the bootstrap's.
const ZYGOTE: &str = include_str!("zygote.py");

/// How long a child gets to be forked and to connect its streams before the step runs cold.
const CONNECT_LIMIT: Duration = Duration::from_secs(5);

/// A running warm interpreter. Dropping it ends it; the children it forked end with their
/// steps.
#[derive(Debug)]
pub(crate) struct Zygote {
    process: Mutex<Child>,
    orders: Mutex<ChildStdin>,
    registry: Arc<Mutex<Registry>>,
    next: AtomicU64,
}

/// Who waits for what the warm interpreter says.
#[derive(Debug, Default)]
struct Registry {
    /// Orders not yet answered: who waits for the pid, and where the exit goes.
    orders: BTreeMap<u64, (SyncSender<Result<u32, String>>, ExitSender)>,
    /// Children running, by pid: where their exit goes.
    children: BTreeMap<u32, ExitSender>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Said {
    Forked { forked: u64, pid: u32 },
    Failed { failed: u64, message: String },
    Exited { exited: u32, status: i32 },
}

impl Zygote {
    /// Starts `executable` as a warm interpreter and waits until it is ready (boto3 imported).
    pub(crate) fn start(executable: &Path, bootstrap: &str) -> io::Result<Self> {
        let program = format!("{bootstrap}\n{ZYGOTE}");
        let mut child = Command::new(executable)
            .args(["-B", "-u", "-c", &program])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let (Some(orders), Some(answers)) = (child.stdin.take(), child.stdout.take()) else {
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
        let registry = Arc::new(Mutex::new(Registry::default()));
        let listening = Arc::clone(&registry);
        std::thread::Builder::new()
            .name("runbook-warm-python".into())
            .spawn(move || listen(answers, &listening))?;
        Ok(Self {
            process: Mutex::new(child),
            orders: Mutex::new(orders),
            registry,
            next: AtomicU64::new(0),
        })
    }

    /// Forks a child that runs the bootstrap's request at `request` in `dir`, with `env` set
    /// and `remove` unset, for at most `limit`.
    pub(crate) fn fork(
        &self,
        dir: &Path,
        request: &Path,
        env: &[(String, String)],
        remove: &[&str],
        limit: Duration,
    ) -> io::Result<Running> {
        let socket = dir.join("streams.sock");
        let listener = UnixListener::bind(&socket)?;
        listener.set_nonblocking(true)?;
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (forked, forked_answer) = mpsc::sync_channel(1);
        let (exits, events) = process::exit_channel();
        lock(&self.registry).orders.insert(id, (forked, exits.clone()));
        let order = json!({
            "id": id,
            "socket": socket,
            "dir": dir,
            "request": request,
            "env": env.iter().map(|(name, value)| (name.clone(), Value::String(value.clone()))).collect::<Map<_, _>>(),
            "remove": remove,
        });
        let sent = {
            let mut orders = lock(&self.orders);
            orders.write_all(format!("{order}\n").as_bytes()).and_then(|()| orders.flush())
        };
        if let Err(error) = sent {
            lock(&self.registry).orders.remove(&id);
            return Err(error);
        }
        // The child says its pid as it connects, so the step need not wait for its parent to
        // say it too; the parent's answer still tells when no child could be forked.
        match accept_streams(&listener, &forked_answer) {
            Ok((pid, streams)) => Running::adopt(pid, streams, (exits, events), limit),
            Err(error) => {
                lock(&self.registry).orders.remove(&id);
                if let Ok(Ok(pid)) = forked_answer.recv_timeout(CONNECT_LIMIT) {
                    process::kill_group(pid);
                }
                Err(error)
            }
        }
    }
}

impl Drop for Zygote {
    fn drop(&mut self) {
        let mut process = lock(&self.process);
        let _ = process.kill();
        let _ = process.wait();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Reads what the warm interpreter says and hands it to whoever waits for it.
fn listen(answers: impl BufRead, registry: &Mutex<Registry>) {
    for line in answers.lines() {
        let Ok(line) = line else { break };
        let Ok(said) = serde_json::from_str::<Said>(&line) else { continue };
        let mut registry = lock(registry);
        match said {
            Said::Forked { forked, pid } => {
                if let Some((waiting, exits)) = registry.orders.remove(&forked) {
                    registry.children.insert(pid, exits);
                    let _ = waiting.send(Ok(pid));
                }
            }
            Said::Failed { failed, message } => {
                if let Some((waiting, _)) = registry.orders.remove(&failed) {
                    let _ = waiting.send(Err(message));
                }
            }
            Said::Exited { exited, status } => {
                if let Some(exits) = registry.children.remove(&exited) {
                    exits.exited(status);
                }
            }
        }
    }
    // The warm interpreter is gone: whoever still waits learns it now.
    let mut registry = lock(registry);
    for (_, (waiting, _)) in std::mem::take(&mut registry.orders) {
        let _ = waiting.send(Err("the warm interpreter ended".to_string()));
    }
    for (_, exits) in std::mem::take(&mut registry.children) {
        // Killed: its parent is gone, so its status cannot be known.
        exits.exited(9);
    }
}

/// The child's pid, and its standard output, standard error and lifeline, in that order; an
/// error as soon as its parent says it could not fork it.
#[allow(
    clippy::disallowed_methods,
    reason = "connecting is real work with a real-time limit, not a step's wait"
)]
fn accept_streams(
    listener: &UnixListener,
    forked: &Receiver<Result<u32, String>>,
) -> io::Result<(u32, [UnixStream; 3])> {
    let deadline = std::time::Instant::now() + CONNECT_LIMIT;
    let mut slots: [Option<UnixStream>; 3] = [None, None, None];
    let mut pid = 0;
    while slots.iter().any(Option::is_none) {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false)?;
                stream.set_read_timeout(Some(CONNECT_LIMIT))?;
                let (slot, said) = read_greeting(&stream)?;
                stream.set_read_timeout(None)?;
                pid = said;
                slots[slot] = Some(stream);
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                if let Ok(Err(message)) = forked.try_recv() {
                    return Err(io::Error::other(message));
                }
                if std::time::Instant::now() > deadline {
                    return Err(io::Error::other("the forked child did not connect"));
                }
                std::thread::sleep(Duration::from_micros(50));
            }
            Err(error) => return Err(error),
        }
    }
    let [Some(out), Some(err), Some(life)] = slots else {
        return Err(io::Error::other("a stream is missing"));
    };
    Ok((pid, [out, err, life]))
}

/// Reads what a child's stream says first: which stream it is (its slot) and the child's pid.
fn read_greeting(mut stream: &UnixStream) -> io::Result<(usize, u32)> {
    // Read a byte at a time: what follows the greeting is the stream's own.
    let mut greeting = Vec::new();
    let mut byte = [0_u8; 1];
    while greeting.len() < 16 {
        stream.read_exact(&mut byte)?;
        if byte[0] == b'\n' {
            break;
        }
        greeting.push(byte[0]);
    }
    let unknown = || io::Error::other("an unknown stream connected");
    let (tag, pid) = greeting.split_first().ok_or_else(unknown)?;
    let slot = match tag {
        b'o' => 0,
        b'e' => 1,
        b'l' => 2,
        _ => return Err(unknown()),
    };
    let pid = std::str::from_utf8(pid).ok().and_then(|pid| pid.parse().ok()).ok_or_else(unknown)?;
    Ok((slot, pid))
}
