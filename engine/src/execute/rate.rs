//! Rate control for runs over targets (SPEC 8.4, RULINGS 22-24): `MaxConcurrency` and
//! `MaxErrors` as the service accepts them, and [`RateControl`], the pure state machine that
//! decides when the next child run may start. It knows nothing of runs, tasks or clocks: the
//! fleet run asks it for the next target to start and tells it when a child ends, so every rule
//! here is tested without running anything.
//!
//! # Limits (RULINGS 22)
//!
//! A limit is a number or a percentage of the targets. A percentage resolves to
//! `floor(percent × targets / 100)`; `MaxConcurrency` is then raised to at least 1 (10% of 7
//! targets runs one at a time) while `MaxErrors` may be 0 (10% of 7 targets stops at the first
//! error). The defaults are `MaxConcurrency` 10 and `MaxErrors` 0.
//!
//! # Ramp-up (RULINGS 23)
//!
//! The service starts "one target; when it completes, two more; then exponentially more until
//! the concurrency value is reached". Exactly:
//!
//! * The *ramp level* is the most children that may run at once. It starts at 1.
//! * A child may start whenever fewer children than the ramp level are running, targets remain,
//!   and the error threshold has not been passed. Children start in target order, as soon as a
//!   slot frees.
//! * Every child that ends (whatever its status) counts towards the current level. When as many
//!   children have ended at the current level as the level itself, the level doubles, capped at
//!   the resolved `MaxConcurrency`, and the count starts again at 0.
//!
//! So the levels are 1, 2, 4, 8, ... up to the cap: the first child runs alone; when it ends
//! two run; when two more have ended, four may run, and so on.
//!
//! # Error threshold (RULINGS 24)
//!
//! With `N` errors allowed, no child starts once the `N + 1`th child has ended in anything but
//! `Success`. Children already running finish; children never started stay unstarted.

use std::sync::LazyLock;

use regex::Regex;

/// The service's pattern for `MaxConcurrency`.
const MAX_CONCURRENCY_PATTERN: &str = r"^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$";
/// The service's pattern for `MaxErrors`.
const MAX_ERRORS_PATTERN: &str = r"^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$";

static MAX_CONCURRENCY_REGEX: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(MAX_CONCURRENCY_PATTERN).ok());
static MAX_ERRORS_REGEX: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(MAX_ERRORS_PATTERN).ok());

/// A `MaxConcurrency` or `MaxErrors` value the service would refuse. The message is the
/// service's validation text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}"
)]
pub struct RateError {
    /// The request member, as the service names it (`maxConcurrency`, `maxErrors`).
    pub member: &'static str,
    /// The value given.
    pub value: String,
    /// The pattern it must match.
    pub pattern: &'static str,
}

/// A number of targets, or a percentage of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// That many targets.
    Count(u64),
    /// That percentage of the targets (0 to 100).
    Percent(u8),
}

impl Limit {
    fn parse(
        text: &str,
        regex: &LazyLock<Option<Regex>>,
        member: &'static str,
        pattern: &'static str,
    ) -> Result<Self, RateError> {
        let error = || RateError { member, value: text.to_string(), pattern };
        if !regex.as_ref().is_some_and(|regex| regex.is_match(text)) {
            return Err(error());
        }
        match text.strip_suffix('%') {
            Some(percent) => percent.parse::<u8>().map(Self::Percent).map_err(|_| error()),
            // The pattern admits any number of digits: a count beyond u64 is "all of them".
            None => Ok(Self::Count(text.parse::<u64>().unwrap_or(u64::MAX))),
        }
    }

    /// The limit for `targets` targets: a percentage is floored.
    pub fn resolve(self, targets: usize) -> usize {
        match self {
            Self::Count(count) => usize::try_from(count).unwrap_or(usize::MAX),
            Self::Percent(percent) => targets.saturating_mul(usize::from(percent)) / 100,
        }
    }
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Count(count) => write!(f, "{count}"),
            Self::Percent(percent) => write!(f, "{percent}%"),
        }
    }
}

/// `MaxConcurrency`: how many children may run at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxConcurrency(pub Limit);

impl MaxConcurrency {
    /// The service's default, 10.
    pub const DEFAULT: Self = Self(Limit::Count(10));

    /// Reads a value as the service accepts it.
    pub fn parse(text: &str) -> Result<Self, RateError> {
        Limit::parse(text, &MAX_CONCURRENCY_REGEX, "maxConcurrency", MAX_CONCURRENCY_PATTERN)
            .map(Self)
    }

    /// The limit for `targets` targets: at least 1.
    pub fn resolve(self, targets: usize) -> usize {
        self.0.resolve(targets).max(1)
    }
}

impl Default for MaxConcurrency {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl std::fmt::Display for MaxConcurrency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// `MaxErrors`: how many children may fail before no more start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxErrors(pub Limit);

impl MaxErrors {
    /// The engine's default, 0 (RULINGS 22; the service does not document one).
    pub const DEFAULT: Self = Self(Limit::Count(0));

    /// Reads a value as the service accepts it.
    pub fn parse(text: &str) -> Result<Self, RateError> {
        Limit::parse(text, &MAX_ERRORS_REGEX, "maxErrors", MAX_ERRORS_PATTERN).map(Self)
    }

    /// The number of errors allowed for `targets` targets.
    pub fn resolve(self, targets: usize) -> usize {
        self.0.resolve(targets)
    }
}

impl Default for MaxErrors {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl std::fmt::Display for MaxErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a fleet stands, for progress displays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Children that ended, whatever their status.
    pub done: usize,
    /// Children running.
    pub running: usize,
    /// Children that ended in anything but `Success`.
    pub failed: usize,
    /// Targets not started (yet, or ever once the threshold is passed).
    pub remaining: usize,
}

/// The ramp-up and the error threshold of one fleet (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateControl {
    total: usize,
    cap: usize,
    errors_allowed: usize,
    level: usize,
    ended_at_level: usize,
    next: usize,
    running: usize,
    done: usize,
    failed: usize,
}

impl RateControl {
    /// Rate control for `total` targets, at most `max_concurrency` at once (raised to 1), no new
    /// child after more than `errors_allowed` errors.
    pub fn new(total: usize, max_concurrency: usize, errors_allowed: usize) -> Self {
        let cap = max_concurrency.max(1);
        Self {
            total,
            cap,
            errors_allowed,
            level: 1,
            ended_at_level: 0,
            next: 0,
            running: 0,
            done: 0,
            failed: 0,
        }
    }

    /// Rate control for `total` targets with these limits.
    pub fn with_limits(total: usize, concurrency: MaxConcurrency, errors: MaxErrors) -> Self {
        Self::new(total, concurrency.resolve(total), errors.resolve(total))
    }

    /// The index of the next target to start now, if one may start; it counts as running.
    pub fn next_start(&mut self) -> Option<usize> {
        if self.running >= self.level || self.next >= self.total || self.threshold_passed() {
            return None;
        }
        let index = self.next;
        self.next += 1;
        self.running += 1;
        Some(index)
    }

    /// A running child ended; `succeeded` when it ended `Success`.
    pub fn finish(&mut self, succeeded: bool) {
        self.running = self.running.saturating_sub(1);
        self.done += 1;
        if !succeeded {
            self.failed += 1;
        }
        self.ended_at_level += 1;
        if self.ended_at_level >= self.level && self.level < self.cap {
            self.level = self.level.saturating_mul(2).min(self.cap);
            self.ended_at_level = 0;
        }
    }

    /// Whether more children failed than allowed, so that no more start.
    pub fn threshold_passed(&self) -> bool {
        self.failed > self.errors_allowed
    }

    /// The current ramp level: the most children that may run at once now.
    pub fn level(&self) -> usize {
        self.level
    }

    /// The resolved `MaxConcurrency`.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// The resolved `MaxErrors`.
    pub fn errors_allowed(&self) -> usize {
        self.errors_allowed
    }

    /// How many children started.
    pub fn started(&self) -> usize {
        self.next
    }

    /// Where the fleet stands.
    pub fn progress(&self) -> Progress {
        Progress {
            done: self.done,
            running: self.running,
            failed: self.failed,
            remaining: self.total - self.next,
        }
    }

    /// Whether nothing runs and nothing more will start.
    pub fn is_finished(&self) -> bool {
        self.running == 0 && (self.next >= self.total || self.threshold_passed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `durations` (one per target, in time units) through rate control on a simulated
    /// clock; `fails` says which targets fail. Returns each started target's (start, end).
    fn simulate(
        durations: &[u64],
        fails: &[usize],
        cap: usize,
        errors: usize,
    ) -> Vec<Option<(u64, u64)>> {
        let mut rate = RateControl::new(durations.len(), cap, errors);
        let mut times = vec![None; durations.len()];
        let mut running: Vec<(u64, usize)> = Vec::new();
        let mut now = 0;
        loop {
            while let Some(index) = rate.next_start() {
                times[index] = Some((now, now + durations[index]));
                running.push((now + durations[index], index));
            }
            if running.is_empty() {
                break;
            }
            // The earliest end; ties in target order.
            running.sort_unstable();
            let (end, index) = running.remove(0);
            now = end;
            rate.finish(!fails.contains(&index));
        }
        assert!(rate.is_finished());
        times
    }

    #[test]
    fn limits_follow_the_service_patterns() {
        for good in ["1", "10", "250", "1%", "9%", "10%", "99%", "100%"] {
            assert!(MaxConcurrency::parse(good).is_ok(), "{good}");
        }
        for bad in ["0", "0%", "01", "05%", "101%", "1000%", "-1", "", "1.5", "ten", " 1"] {
            let error = MaxConcurrency::parse(bad).unwrap_err();
            assert_eq!(error.member, "maxConcurrency");
            assert_eq!(error.value, bad);
        }
        for good in ["0", "1", "25", "0%", "5%", "10%", "100%"] {
            assert!(MaxErrors::parse(good).is_ok(), "{good}");
        }
        for bad in ["00", "01", "101%", "-1", "x", "1 "] {
            assert!(MaxErrors::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            MaxConcurrency::parse("0").unwrap_err().to_string(),
            "1 validation error detected: Value '0' at 'maxConcurrency' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$"
        );
    }

    #[test]
    fn percentages_floor_and_concurrency_is_at_least_one() {
        let concurrency =
            |text: &str, targets| MaxConcurrency::parse(text).unwrap().resolve(targets);
        let errors = |text: &str, targets| MaxErrors::parse(text).unwrap().resolve(targets);
        assert_eq!(concurrency("10%", 7), 1);
        assert_eq!(concurrency("50%", 7), 3);
        assert_eq!(concurrency("100%", 7), 7);
        assert_eq!(concurrency("3", 7), 3);
        assert_eq!(concurrency("10%", 0), 1);
        assert_eq!(errors("10%", 7), 0);
        assert_eq!(errors("10%", 50), 5);
        assert_eq!(errors("0%", 50), 0);
        assert_eq!(errors("3", 50), 3);
        assert_eq!(MaxConcurrency::default().resolve(100), 10);
        assert_eq!(MaxErrors::default().resolve(100), 0);
        assert_eq!(
            MaxConcurrency::parse("99999999999999999999999").unwrap().resolve(5),
            usize::MAX
        );
    }

    #[test]
    fn the_ramp_goes_one_two_four_up_to_the_cap() {
        // Equal durations: waves of 1, 2, 4, 8, 8, ...
        let times = simulate(&[10; 30], &[], 8, 0);
        let starts: Vec<u64> = times.iter().map(|t| t.unwrap().0).collect();
        assert_eq!(&starts[..1], [0]);
        assert_eq!(&starts[1..3], [10, 10]);
        assert_eq!(&starts[3..7], [20, 20, 20, 20]);
        assert_eq!(&starts[7..15], [30; 8]);
        assert_eq!(&starts[15..23], [40; 8]);
        assert_eq!(&starts[23..], [50; 7]);
    }

    #[test]
    fn a_freed_slot_is_refilled_at_once_but_never_beyond_the_level() {
        // Level 2 after the first child. Child 1 is short and child 2 long: child 3 takes child
        // 1's slot at once; when child 3 ends, two children have ended at level 2, so the level
        // is 4 and three more join the long child 2.
        let times = simulate(&[1, 1, 100, 5, 5, 5, 5, 5], &[], 10, 0);
        let starts: Vec<u64> = times.iter().map(|t| t.unwrap().0).collect();
        assert_eq!(starts[0], 0);
        assert_eq!(starts[1..3], [1, 1]);
        assert_eq!(starts[3], 2, "child 3 starts when child 1 frees its slot");
        assert_eq!(starts[4..7], [7, 7, 7], "level 4 once two children ended at level 2");
        assert_eq!(starts[7], 12, "child 7 waits for a slot at level 4");
    }

    #[test]
    fn no_child_starts_after_error_n_plus_one() {
        // One at a time: targets 0..=3 fail; with 3 errors allowed, the 4th error stops it.
        let times = simulate(&[1; 10], &[0, 1, 2, 3], 1, 3);
        assert_eq!(times.iter().filter(|t| t.is_some()).count(), 4);
        // Nothing allowed: the first error stops it.
        let times = simulate(&[1; 10], &[0], 1, 0);
        assert_eq!(times.iter().filter(|t| t.is_some()).count(), 1);
        // Running children finish after the threshold is passed, and may fail too.
        let mut rate = RateControl::new(10, 4, 0);
        assert_eq!(rate.next_start(), Some(0));
        rate.finish(true);
        assert_eq!(
            (rate.next_start(), rate.next_start(), rate.next_start()),
            (Some(1), Some(2), None)
        );
        rate.finish(false);
        assert!(rate.threshold_passed());
        assert_eq!(rate.next_start(), None);
        assert!(!rate.is_finished());
        rate.finish(false);
        assert!(rate.is_finished());
        assert_eq!(rate.progress(), Progress { done: 3, running: 0, failed: 2, remaining: 7 });
    }
}
