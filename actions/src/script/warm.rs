//! A warm interpreter for the Python runner: one Python process, started once in the background,
//! with the bootstrap loaded and boto3 imported, that forks a child for each step (`zygote.py`).
//! A child starts from that state and nothing else, so a step sees neither the module globals
//! nor the environment changes of the steps before it, and runs in its own empty folder, as a
//! cold process would; it only skips the interpreter's start-up and the imports.
//!
//! A step's child is ready before the step: it is forked once the step before has ended, or
//! later, while no step runs (see [`Stock`]), with its standard output, standard error and
//! lifeline (socket pairs, whose other ends the warm interpreter hands to this process over the
//! socket that is its standard input), and does, on made-up data, the work that copies the
//! memory it shares with the warm interpreter. The step only sends it its request on the
//! lifeline. The child says the step has ended by closing its streams before it exits, since
//! tearing its memory down takes milliseconds; its exit status comes from the warm
//! interpreter, which is its parent.

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

/// How many children are always kept forked and ready, or on their way. A child is forked to
/// replace the one a step took only once that step has ended: forking, and the memory a new
/// child copies, take a processor for milliseconds, which a step running meanwhile would wait
/// for. With two ready, a step that follows the one before at once still finds one.
const SPARES: usize = 2;

/// The most children kept ready for a run of steps in a row (see [`Stock`]).
const MAX_STOCK: usize = 10;

/// How long no step must have started or run before a child is forked to fill the stock up.
const IDLE: Duration = Duration::from_millis(2);

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

/// What the threads that listen to the warm interpreter, receive its children and fill its
/// stock share with the steps.
#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    /// Told when a spare is ready or when none will be, when a step ends and when the warm
    /// interpreter is being ended.
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
    /// How many children to fork, and when.
    stock: Stock,
    /// Set when the warm interpreter is being ended.
    closing: bool,
}

/// How many children are kept ready, and when the ones steps took are replaced.
///
/// Steps often come in runs, one right after the other (a runbook of script steps, a test
/// suite), and a child forked while a step runs takes a processor from it. So a step's child is
/// replaced at once only when fewer than [`SPARES`] would be left; otherwise it is replaced
/// once no step has started or run for [`IDLE`], one child at a time. Until then the steps of a
/// run are served from the stock, whose size grows to the longest run of steps seen, up to
/// [`MAX_STOCK`], so that the next such run finds a child ready for each of its steps.
#[derive(Debug)]
struct Stock {
    /// Children ordered from the warm interpreter and not received yet.
    ordered: usize,
    /// Steps running now.
    running: usize,
    /// Steps started since the stock was last filled while idle.
    run: usize,
    /// How many children the stock is filled up to.
    wanted: usize,
    /// Steps started so far: a step that starts while waiting for idleness changes it.
    started: u64,
}

impl Default for Stock {
    fn default() -> Self {
        Self { ordered: 0, running: 0, run: 0, wanted: SPARES, started: 0 }
    }
}

impl Stock {
    /// A step has taken a child.
    fn taken(&mut self) {
        self.running += 1;
        self.run += 1;
        self.started += 1;
        self.wanted = self.wanted.max(self.run.min(MAX_STOCK));
    }

    /// A step with `ready` children left has ended; whether to order a child now.
    fn ended(&mut self, ready: usize) -> bool {
        self.running = self.running.saturating_sub(1);
        let order = ready + self.ordered < SPARES;
        if order {
            self.ordered += 1;
        }
        order
    }

    /// A child ordered has been received (or will not be).
    fn received(&mut self) {
        self.ordered = self.ordered.saturating_sub(1);
    }

    /// Whether, with `ready` children, one should be forked once the warm interpreter is idle.
    fn short(&self, ready: usize) -> bool {
        self.running == 0 && self.ordered == 0 && ready < self.wanted
    }

    /// Whether no step has started since `started` and none runs: if so, one child is ordered.
    fn idle_since(&mut self, started: u64, ready: usize) -> bool {
        let idle = self.started == started && self.short(ready);
        if idle {
            self.run = 0;
            self.ordered += 1;
        }
        idle
    }
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
        lock(&zygote.shared.state).stock.ordered = SPARES;
        for _ in 0..SPARES {
            order_spare(&zygote.channel)?;
        }
        let stocking = Arc::clone(&zygote.shared);
        let channel = Arc::clone(&zygote.channel);
        std::thread::Builder::new()
            .name("runbook-warm-stock".into())
            .spawn(move || fill_stock(&channel, &stocking))?;
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
            let order = {
                let mut state = lock(&shared.state);
                let ready = state.spares.len();
                let order = state.stock.ended(ready);
                shared.changed.notify_all();
                order
            };
            if order && let Err(error) = order_spare(&channel) {
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
                state.stock.taken();
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

/// Fills the stock up while no step runs, one child at a time, until the warm interpreter ends.
#[allow(
    clippy::disallowed_methods,
    reason = "idleness is measured in real time: forking competes for the real processor"
)]
fn fill_stock(channel: &Mutex<UnixStream>, shared: &Shared) {
    let mut state = lock(&shared.state);
    loop {
        if state.closing || state.failed.is_some() {
            return;
        }
        if !state.stock.short(state.spares.len()) {
            state = shared.changed.wait(state).unwrap_or_else(PoisonError::into_inner);
            continue;
        }
        let started = state.stock.started;
        let deadline = std::time::Instant::now() + IDLE;
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            state =
                shared.changed.wait_timeout(state, left).unwrap_or_else(PoisonError::into_inner).0;
            if state.closing || state.stock.started != started {
                break;
            }
        }
        let ready = state.spares.len();
        if !state.stock.idle_since(started, ready) {
            continue;
        }
        drop(state);
        let ordered = order_spare(channel);
        state = lock(&shared.state);
        if let Err(error) = ordered {
            state.failed.get_or_insert_with(|| format!("cannot order a child: {error}"));
            shared.changed.notify_all();
        }
    }
}

impl Drop for Zygote {
    fn drop(&mut self) {
        let spares = {
            let mut state = lock(&self.shared.state);
            state.closing = true;
            self.shared.changed.notify_all();
            std::mem::take(&mut state.spares)
        };
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
            lock(&shared.state).stock.received();
            continue;
        };
        if spare(pid, [out, err, life], shared).is_err() {
            lock(&shared.state).stock.received();
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
    state.stock.received();
    shared.changed.notify_all();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{MAX_STOCK, SPARES, Stock};

    /// A stock that started with [`SPARES`] ordered and has received them.
    fn started() -> Stock {
        let mut stock = Stock { ordered: SPARES, ..Stock::default() };
        for _ in 0..SPARES {
            stock.received();
        }
        stock
    }

    #[test]
    fn a_step_that_leaves_fewer_than_two_ready_is_replaced_at_once() {
        let mut stock = started();
        stock.taken();
        assert!(stock.ended(1), "one ready and none ordered: a child is ordered now");
        assert!(!stock.short(1), "the child on its way counts");
        stock.received();
        stock.taken();
        assert!(stock.ended(1));
    }

    /// One step, from taking a child to its end, with `ready` children before it; whether a
    /// child was forked while the run went on (received at once).
    fn step(stock: &mut Stock, ready: &mut usize) -> bool {
        *ready -= 1;
        stock.taken();
        let forked = stock.ended(*ready);
        if forked {
            stock.received();
            *ready += 1;
        }
        forked
    }

    /// Fills the stock as the idle warm interpreter does; how many children it forked.
    fn fill(stock: &mut Stock, ready: &mut usize) -> usize {
        let mut forked = 0;
        while stock.idle_since(stock.started, *ready) {
            assert!(!stock.idle_since(stock.started, *ready), "one child at a time");
            stock.received();
            *ready += 1;
            forked += 1;
        }
        forked
    }

    #[test]
    fn a_run_of_steps_is_served_from_the_stock_and_the_stock_is_refilled_once_idle() {
        let mut stock = started();
        let mut ready = SPARES;
        // The first run of six: each step is replaced at once, since two must stay ready.
        for _ in 0..6 {
            assert!(step(&mut stock, &mut ready));
        }
        assert_eq!(stock.wanted, 6, "the stock grows to the longest run seen");
        assert_eq!(fill(&mut stock, &mut ready), 4);
        assert_eq!(ready, 6);
        // The next run of six is served from the stock: nothing is forked until fewer than two
        // would be left.
        let forked: Vec<bool> = (0..6).map(|_| step(&mut stock, &mut ready)).collect();
        assert_eq!(forked, [false, false, false, false, true, true]);
        assert_eq!(fill(&mut stock, &mut ready), 4);
    }

    #[test]
    fn the_stock_is_not_filled_while_a_step_runs_or_after_one_started() {
        let mut stock = started();
        let mut ready = SPARES;
        for _ in 0..4 {
            step(&mut stock, &mut ready);
        }
        let before = stock.started;
        ready -= 1;
        stock.taken();
        assert!(!stock.short(ready), "a step runs");
        assert!(!stock.idle_since(before, ready), "a step started since");
        assert!(stock.ended(ready), "one ready left: replaced at once");
        assert!(!stock.idle_since(stock.started, ready), "a child is on its way");
        stock.received();
        ready += 1;
        assert!(stock.idle_since(stock.started, ready), "idle: one child is ordered");
    }

    #[test]
    fn the_stock_grows_no_larger_than_its_limit() {
        let mut stock = started();
        for _ in 0..3 * MAX_STOCK {
            stock.taken();
            stock.ended(SPARES);
        }
        assert_eq!(stock.wanted, MAX_STOCK);
    }
}
