//! Ctrl-C and SIGTERM for `runbook run` and `runbook test`: the first cancels (the running
//! script's processes are killed, `onCancel` chains run, the record is written whole), a second
//! ends the program at once, taking its scripts' processes and scratch folders with it. For a
//! run on the service (`run --remote`), the first stops the execution there and the second
//! leaves it running, printing its id ([`watch_with`]).
//!
//! Signals are watched on a thread of their own, with a runtime of its own, so that a second
//! signal is seen even while the run's thread is busy.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use runbook_engine::execute::CancelToken;

/// The exit status of a program ended by a second signal, as a shell reports a command that
/// Ctrl-C stopped.
const EXIT_AT_ONCE: i32 = 130;

/// Whether a signal has cancelled the work.
#[derive(Clone, Debug, Default)]
pub(crate) struct Signals {
    fired: Arc<AtomicBool>,
}

impl Signals {
    /// Whether a first signal came and cancelled `cancel`.
    pub(crate) fn fired(&self) -> bool {
        self.fired.load(Ordering::Relaxed)
    }
}

/// Watches for SIGINT and SIGTERM from now on: the first cancels `cancel`, a second exits.
/// Without a way to watch them (no thread could be started), the defaults stay: either signal
/// ends the program.
pub(crate) fn watch(cancel: CancelToken) -> Signals {
    watch_with(
        cancel,
        "cancelling: the running step stops and its onCancel steps run; Ctrl-C again to stop at once",
        || {
            eprintln!("note: stopping at once");
            runbook_actions::script::abandon_all();
            std::process::exit(EXIT_AT_ONCE);
        },
    )
}

/// [`watch`], with the note the first signal prints and what the second does (it ends the
/// program afterwards, if `second` has not).
pub(crate) fn watch_with(
    cancel: CancelToken,
    first_note: &'static str,
    second: impl FnOnce() + Send + 'static,
) -> Signals {
    let signals = Signals::default();
    let fired = signals.fired.clone();
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_io().build() else {
        return signals;
    };
    let handle = runtime.handle().clone();
    let (give, registered) = tokio::sync::oneshot::channel::<Incoming>();
    let started = std::thread::Builder::new().name("runbook-signals".into()).spawn(move || {
        runtime.block_on(async move {
            let Ok(mut incoming) = registered.await else { return };
            incoming.next().await;
            fired.store(true, Ordering::Relaxed);
            cancel.cancel();
            eprintln!("note: {first_note}");
            incoming.next().await;
            second();
            std::process::exit(EXIT_AT_ONCE);
        });
    });
    if started.is_ok() {
        // Registered here, before the run starts, so that no early signal meets the default
        // action, and without waiting for the watcher's thread to start.
        let _entered = handle.enter();
        if let Ok(incoming) = Incoming::register() {
            let _ = give.send(incoming);
        }
    }
    signals
}

/// The signals that cancel.
struct Incoming {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Incoming {
    #[cfg(unix)]
    fn register() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    #[cfg(not(unix))]
    fn register() -> std::io::Result<Self> {
        Ok(Self {})
    }

    /// Waits for the next signal.
    async fn next(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
