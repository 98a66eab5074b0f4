//! How the kernel backs the heap: 4 KB pages for ordinary commands, 2 MB ones for long runbooks.
//!
//! The allocator asks for transparent huge pages over its whole arena. Each first touch of a 2 MB
//! page makes the kernel clear all of it, and a small run scatters its few megabytes over many such
//! pages: a 1,000-step chain touched 25 MB of fresh memory to hold 7. A long run is the other way round:
//! its hundreds of megabytes are dense, and one fault per 2 MB instead of per 4 KB saves about a
//! quarter of its time. So huge pages start switched off for the process and come back on only
//! once a runbook is known to be big.

/// The size of runbook file from which the run's heap is dense enough for 2 MB pages to pay:
/// measured on chains of API steps, they cost 20% more at 1,000 steps (240 KB), broke even at
/// 1,500 (360 KB) and saved 10-30% from 2,000 on.
const HUGE_FROM_BYTES: u64 = 320 * 1024;

/// Whether [`start_small`] switched huge pages off: a process started with them off (by its
/// parent, or an administrator) keeps them off.
static SWITCHED_OFF: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Switches huge pages off; called first thing, before the heap grows.
pub(crate) fn start_small() {
    #[cfg(target_os = "linux")]
    if rustix::thread::transparent_huge_pages_are_disabled() == Ok(false)
        && rustix::thread::disable_transparent_huge_pages(true).is_ok()
    {
        SWITCHED_OFF.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Switches huge pages back on when the runbook at `path` is big enough to fill them.
pub(crate) fn fit_to(path: &std::path::Path) {
    if !SWITCHED_OFF.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let big = std::fs::metadata(path).is_ok_and(|meta| meta.len() >= HUGE_FROM_BYTES);
    #[cfg(target_os = "linux")]
    if big {
        let _ = rustix::thread::disable_transparent_huge_pages(false);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = big;
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::sync::atomic::Ordering;

    use rustix::thread::{disable_transparent_huge_pages, transparent_huge_pages_are_disabled};

    use super::*;

    // One test: the flag belongs to the whole process.
    #[test]
    fn huge_pages_come_back_for_a_big_runbook_unless_the_process_started_without() {
        let folder = std::env::temp_dir().join(format!("runbook-pages-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        let (small, big) = (folder.join("small.yaml"), folder.join("big.yaml"));
        std::fs::write(&small, "schemaVersion: '0.3'\n").unwrap();
        std::fs::write(&big, vec![b'#'; usize::try_from(HUGE_FROM_BYTES).unwrap()]).unwrap();
        let off = || transparent_huge_pages_are_disabled().unwrap();

        disable_transparent_huge_pages(false).unwrap();
        SWITCHED_OFF.store(false, Ordering::Relaxed);
        start_small();
        assert!(off());
        fit_to(&small);
        assert!(off());
        fit_to(&folder.join("missing.yaml"));
        assert!(off());
        fit_to(&big);
        assert!(!off());

        disable_transparent_huge_pages(true).unwrap();
        SWITCHED_OFF.store(false, Ordering::Relaxed);
        start_small();
        fit_to(&big);
        assert!(off(), "a process started without huge pages keeps them off");

        disable_transparent_huge_pages(false).unwrap();
        std::fs::remove_dir_all(&folder).unwrap();
    }
}
