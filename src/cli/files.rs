//! Finding the files a command works on: paths given on the command line, folders walked
//! recursively in a stable order.

use std::path::{Path, PathBuf};

/// A file to process, and whether the user named it (rather than it being found in a folder).
#[derive(Debug)]
pub(crate) struct Found {
    pub(crate) path: PathBuf,
    pub(crate) explicit: bool,
}

/// The files under `paths` whose names `keep` accepts, with the paths that could not be read.
pub(crate) fn collect(
    paths: &[PathBuf],
    keep: impl Fn(&Path) -> bool,
) -> (Vec<Found>, Vec<String>) {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk(path, &keep, &mut found, &mut problems),
            Ok(_) => found.push(Found { path: path.clone(), explicit: true }),
            Err(error) => problems.push(format!("cannot read {}: {error}", path.display())),
        }
    }
    (found, problems)
}

fn walk(
    dir: &Path,
    keep: &impl Fn(&Path) -> bool,
    found: &mut Vec<Found>,
    problems: &mut Vec<String>,
) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            problems.push(format!("cannot read {}: {error}", dir.display()));
            return;
        }
    };
    let mut paths: Vec<PathBuf> =
        entries.filter_map(|entry| entry.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let hidden = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
        if hidden || path.file_name().is_some_and(|n| n == "target" || n == "node_modules") {
            continue;
        }
        if path.is_dir() {
            walk(&path, keep, found, problems);
        } else if keep(&path) {
            found.push(Found { path, explicit: false });
        }
    }
}

/// Whether a file name looks like a runbook: `.yaml`, `.yml` or `.json`.
pub(crate) fn is_runbook_name(path: &Path) -> bool {
    path.extension().and_then(|ext| ext.to_str()).is_some_and(|ext| {
        ["yaml", "yml", "json"].iter().any(|known| ext.eq_ignore_ascii_case(known))
    })
}
