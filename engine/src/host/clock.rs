//! Time. Every wait of a run (sleeps, polling, retries, timeouts, approval windows) goes through
//! a [`Clock`], so that dry-runs and tests run on virtual time.
//!
//! The virtual clock is tokio's paused time on a current-thread runtime (see
//! [`virtual_runtime`]): when every task is waiting on a timer, time jumps to the next timer, so
//! `aws:sleep: PT2H` finishes at once while the record shows two hours. Real work (a Python
//! script, an HTTP call) runs on tokio's blocking pool, which holds time still until it is done,
//! so a step's timeout can never fire early because its work is slow in real time.

#![allow(clippy::disallowed_methods, reason = "this module is where time is read")]

use std::time::Duration;

use jiff::Timestamp;

use super::BoxFuture;

/// A source of the current time and of waits.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> Timestamp;
    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// The computer's clock, for real runs.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// Virtual time: starts at a chosen instant and advances only as the run waits. Must be used on
/// a runtime made by [`virtual_runtime`].
#[derive(Clone, Debug)]
pub struct VirtualClock {
    start: Timestamp,
    origin: tokio::time::Instant,
}

impl VirtualClock {
    /// A clock that reads `start` now. Call it inside the virtual runtime.
    pub fn new(start: Timestamp) -> Self {
        Self { start, origin: tokio::time::Instant::now() }
    }

    /// How much virtual time has passed since the clock was made.
    pub fn elapsed(&self) -> Duration {
        self.origin.elapsed()
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Timestamp {
        let elapsed = jiff::SignedDuration::try_from(self.origin.elapsed()).unwrap_or_default();
        self.start.checked_add(elapsed).unwrap_or(self.start)
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A current-thread runtime with paused time, on which [`VirtualClock`] runs.
///
/// It has no I/O driver: nothing on virtual time talks to the network (real work runs on the
/// blocking pool), and without one, each jump of time is a check of the timers instead of a
/// poll of the operating system (`aws:sleep` steps cost a third less).
pub fn virtual_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn _obj_safe(_: &dyn Clock) {}

    #[test]
    fn virtual_time_jumps_over_sleeps() {
        let runtime = virtual_runtime().unwrap();
        runtime.block_on(async {
            let start: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
            let clock = VirtualClock::new(start);
            clock.sleep(Duration::from_secs(7200)).await;
            assert_eq!(clock.now().to_string(), "2026-01-01T02:00:00Z");
        });
    }

    #[test]
    fn blocking_work_holds_virtual_time_still() {
        let runtime = virtual_runtime().unwrap();
        runtime.block_on(async {
            let clock = VirtualClock::new(Timestamp::UNIX_EPOCH);
            let work =
                tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_millis(50)));
            let timeout = clock.sleep(Duration::from_secs(1));
            tokio::select! {
                _ = work => {}
                () = timeout => panic!("virtual time ran while real work was in flight"),
            }
            assert!(clock.elapsed() < Duration::from_secs(1));
        });
    }
}
