//! `runbook test --watch`: run the tests, then keep watching and run again the test files a
//! change concerns, until Ctrl-C.
//!
//! What a test file depends on ([`Watched`]) is read from the files themselves after every
//! run: the test file, its runbook, its mock files, the child runbooks it names (or the folders
//! it finds them in) and the script attachments those runbooks declare in `files`. Which test
//! files a change concerns is then a plain function of the changed paths ([`affected`]).
//! Changes are gathered by `notify`'s debouncer, so that an editor's burst of writes for one
//! save makes one run; reading a file (as every run does) or touching its metadata is no change.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use notify_debouncer_full::notify::event::{AccessKind, AccessMode, EventKind, ModifyKind};
use notify_debouncer_full::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{
    DebounceEventResult, DebouncedEvent, Debouncer, RecommendedCache, new_debouncer,
};
use runbook::Loader;
use runbook::terminal::escape_lines;
use runbook::testing::{self, TestFile};
use runbook_engine::execute::CancelToken;

use super::Outcome;
use super::test::{self as test_command, Args};

/// How long the files must stay still before a change counts: longer than an editor's save
/// (write, rename, chmod), shorter than a person notices.
const QUIET: Duration = Duration::from_millis(300);

/// How often the loop looks whether Ctrl-C came while nothing changes.
const POLL: Duration = Duration::from_millis(100);

/// What one test file's results depend on. Paths are absolute, as change events give them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Watched {
    /// The test file as the user named or found it, to run and report it by.
    pub(crate) shown: PathBuf,
    /// The test file.
    pub(crate) test_file: PathBuf,
    /// The files it uses: runbook, mock files, child runbooks, script attachments.
    pub(crate) files: Vec<PathBuf>,
    /// Folders any file of which it may use (`documents: FOLDER`).
    pub(crate) folders: Vec<PathBuf>,
}

/// The test files to run again after `changed` changed: each watched test file that is one of
/// them or uses one (in the order of `watched`), then new test files among them under `roots`
/// (shown as `show` gives them), each once.
pub(crate) fn affected(
    changed: &[PathBuf],
    watched: &[Watched],
    roots: &[PathBuf],
    show: &dyn Fn(&Path) -> PathBuf,
) -> Vec<PathBuf> {
    let mut again: Vec<PathBuf> = watched
        .iter()
        .filter(|test| {
            changed.iter().any(|path| {
                *path == test.test_file
                    || test.files.contains(path)
                    || test.folders.iter().any(|folder| path.starts_with(folder))
            })
        })
        .map(|test| test.shown.clone())
        .collect();
    for path in changed {
        let new = is_test_file(path)
            && roots.iter().any(|root| path.starts_with(root))
            && !watched.iter().any(|test| test.test_file == *path);
        let shown = show(path);
        if new && !again.contains(&shown) {
            again.push(shown);
        }
    }
    again
}

fn is_test_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    [".test.yaml", ".test.yml", ".test.json"].iter().any(|suffix| name.ends_with(suffix))
}

/// What `test_file` depends on, read from it and the runbooks it names; a file that does not
/// load depends on itself alone (it is run again when it changes, to show what is wrong).
fn dependencies(shown: &Path) -> Watched {
    let mut watched =
        Watched { shown: shown.to_path_buf(), test_file: absolute(shown), ..Watched::default() };
    let Ok(file) = TestFile::load(shown) else { return watched };
    let mut runbooks = vec![file.runbook.clone()];
    runbooks.extend(file.document_files.iter().map(|(_, path)| path.clone()));
    for runbook in &runbooks {
        watched.files.push(absolute(runbook));
        // Attachments are found beside the runbook (the test runner gives no other folder).
        if let (Ok(loaded), Some(folder)) = (Loader::new().load(runbook), runbook.parent()) {
            for attachment in &loaded.document().files {
                watched.files.push(absolute(&folder.join(&attachment.name.value)));
            }
        }
    }
    for case in &file.cases {
        if let Some(mocks) = &case.mocks {
            watched.files.push(absolute(&mocks.origin));
        }
    }
    watched.folders = file.documents.iter().map(|folder| absolute(folder)).collect();
    watched.files.sort();
    watched.files.dedup();
    watched
}

/// `path` made absolute, through symbolic links where it exists, so that it compares with
/// the paths of change events under the (also resolved) watched folders.
fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// The folders being watched, so that none is watched twice.
struct Watcher {
    debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
    recursive: Vec<PathBuf>,
    flat: BTreeSet<PathBuf>,
}

impl Watcher {
    /// Watches `folder` and everything below it.
    fn below(&mut self, folder: PathBuf) -> notify_debouncer_full::notify::Result<()> {
        self.debouncer.watch(&folder, RecursiveMode::Recursive)?;
        self.recursive.push(folder);
        Ok(())
    }

    /// Watches the files of `folder` unless a watch covers it already. A file is watched
    /// through its folder, since editors often save by replacing the file.
    fn files_in(&mut self, folder: PathBuf) {
        if self.recursive.iter().any(|root| folder.starts_with(root)) || self.flat.contains(&folder)
        {
            return;
        }
        match self.debouncer.watch(&folder, RecursiveMode::NonRecursive) {
            Ok(()) => {
                self.flat.insert(folder);
            }
            Err(error) => eprintln!(
                "warning: cannot watch {}: {}",
                escape_lines(&folder.display().to_string(), ""),
                escape_lines(&error.to_string(), "")
            ),
        }
    }

    fn follow(&mut self, watched: &[Watched]) {
        for test in watched {
            let files = test.files.iter().chain([&test.test_file]);
            for folder in files.filter_map(|file| file.parent()) {
                self.files_in(folder.to_path_buf());
            }
            for folder in &test.folders {
                self.files_in(folder.clone());
            }
        }
    }
}

/// Runs the test files under `paths` (the current folder when none), then watches until
/// Ctrl-C, which ends it with exit 130.
pub(super) fn run(args: &Args, paths: &[PathBuf]) -> anyhow::Result<Outcome> {
    let roots = if paths.is_empty() { vec![PathBuf::from(".")] } else { paths.to_vec() };
    let Some(found) = find(&roots) else { return Ok(Outcome::UsageError) };
    if found.is_empty() {
        // The test command says what is missing.
        return run_once(args, &roots);
    }
    let (sender, events) = mpsc::channel::<DebounceEventResult>();
    let debouncer = match new_debouncer(QUIET, None, sender) {
        Ok(debouncer) => debouncer,
        Err(error) => {
            eprintln!("error: cannot watch files: {}", escape_lines(&error.to_string(), ""));
            return Ok(Outcome::UsageError);
        }
    };
    let mut watcher = Watcher { debouncer, recursive: Vec::new(), flat: BTreeSet::new() };
    let mut watched_roots = Vec::new();
    for root in &roots {
        let resolved = absolute(root);
        if resolved.is_dir() {
            if let Err(error) = watcher.below(resolved.clone()) {
                eprintln!(
                    "error: cannot watch {}: {}",
                    escape_lines(&root.display().to_string(), ""),
                    escape_lines(&error.to_string(), "")
                );
                return Ok(Outcome::UsageError);
            }
        } else if let Some(folder) = resolved.parent() {
            watcher.files_in(folder.to_path_buf());
        }
        watched_roots.push(resolved);
    }
    let mut table: Vec<Watched> = found.iter().map(|path| dependencies(path)).collect();
    // Watching starts before the first run, so that no change made once its report is out
    // goes unseen.
    watcher.follow(&table);
    let cancel = CancelToken::new();
    let signals = super::signal::watch(cancel.clone());
    let mut outcome = test_command::run_paths(args, &roots, &cancel, &signals)?;
    let cwd = std::env::current_dir().map(|cwd| absolute(&cwd)).unwrap_or_default();
    let show = |path: &Path| {
        path.strip_prefix(&cwd).map_or_else(|_| path.to_path_buf(), Path::to_path_buf)
    };
    loop {
        if outcome == Outcome::Cancelled || signals.fired() {
            return Ok(Outcome::Cancelled);
        }
        eprintln!("watching for changes (Ctrl-C to stop)");
        let changed = loop {
            match events.recv_timeout(POLL) {
                Ok(Ok(batch)) => {
                    let changed = changed_paths(&batch);
                    if !affected(&changed, &table, &watched_roots, &show).is_empty() {
                        break changed;
                    }
                }
                Ok(Err(errors)) => {
                    for error in errors {
                        eprintln!("warning: {}", escape_lines(&error.to_string(), ""));
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    eprintln!("error: the file watcher stopped");
                    return Ok(Outcome::UsageError);
                }
            }
            if signals.fired() {
                return Ok(Outcome::Cancelled);
            }
        };
        let again: Vec<PathBuf> = affected(&changed, &table, &watched_roots, &show)
            .into_iter()
            .filter(|path| path.is_file())
            .collect();
        let names: Vec<String> =
            changed.iter().map(|path| show(path).display().to_string()).collect();
        eprintln!("\nchanged: {}", escape_lines(&names.join(", "), ""));
        if !again.is_empty() {
            outcome = test_command::run_paths(args, &again, &cancel, &signals)?;
        }
        let found = find(&roots).unwrap_or_default();
        table = found.iter().map(|path| dependencies(path)).collect();
        watcher.follow(&table);
    }
}

/// The paths whose content or name changed, each once: opening and reading a file, which
/// every run does, and changes of metadata alone are left out.
fn changed_paths(events: &[DebouncedEvent]) -> Vec<PathBuf> {
    let mut changed: Vec<PathBuf> = Vec::new();
    for event in events {
        let counts = match event.kind {
            EventKind::Create(_) | EventKind::Remove(_) | EventKind::Any | EventKind::Other => true,
            EventKind::Modify(kind) => !matches!(kind, ModifyKind::Metadata(_)),
            // Closing a file written to ends a write; other accesses are reads.
            EventKind::Access(kind) => kind == AccessKind::Close(AccessMode::Write),
        };
        if counts {
            for path in &event.paths {
                if !changed.contains(path) {
                    changed.push(path.clone());
                }
            }
        }
    }
    changed
}

/// The test files under `roots`, or `None` (said on stderr) when one cannot be read.
fn find(roots: &[PathBuf]) -> Option<Vec<PathBuf>> {
    let mut found = Vec::new();
    for root in roots {
        match testing::find_test_files(root) {
            Ok(files) => found.extend(files),
            Err(error) => {
                eprintln!(
                    "error: cannot read {}: {}",
                    escape_lines(&root.display().to_string(), ""),
                    escape_lines(&error.to_string(), "")
                );
                return None;
            }
        }
    }
    Some(found)
}

fn run_once(args: &Args, roots: &[PathBuf]) -> anyhow::Result<Outcome> {
    let cancel = CancelToken::new();
    let signals = super::signal::watch(cancel.clone());
    test_command::run_paths(args, roots, &cancel, &signals)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watched(name: &str, files: &[&str], folders: &[&str]) -> Watched {
        Watched {
            shown: PathBuf::from(name),
            test_file: PathBuf::from("/w").join(name),
            files: files.iter().map(|f| PathBuf::from("/w").join(f)).collect(),
            folders: folders.iter().map(|f| PathBuf::from("/w").join(f)).collect(),
        }
    }

    /// Two test files of one runbook (`a`), one of another (`b`) that attaches a script and
    /// finds child runbooks in a folder.
    fn table() -> Vec<Watched> {
        vec![
            watched("a.test.yaml", &["a.yaml", "a.mocks.yaml"], &[]),
            watched("more/a2.test.yaml", &["a.yaml"], &[]),
            watched("b.test.yaml", &["b.yaml", "script.py", "b.mocks.yaml"], &["children"]),
        ]
    }

    fn again(changed: &[&str]) -> Vec<String> {
        let changed: Vec<PathBuf> = changed.iter().map(|c| PathBuf::from("/w").join(c)).collect();
        let show = |path: &Path| path.strip_prefix("/w").unwrap_or(path).to_path_buf();
        affected(&changed, &table(), &[PathBuf::from("/w")], &show)
            .into_iter()
            .map(|path| path.display().to_string())
            .collect()
    }

    #[test]
    fn a_changed_runbook_runs_the_test_files_that_use_it() {
        assert_eq!(again(&["a.yaml"]), ["a.test.yaml", "more/a2.test.yaml"]);
    }

    #[test]
    fn a_changed_test_file_runs_itself() {
        assert_eq!(again(&["more/a2.test.yaml"]), ["more/a2.test.yaml"]);
    }

    #[test]
    fn a_changed_mock_file_runs_the_test_files_that_use_it() {
        assert_eq!(again(&["a.mocks.yaml"]), ["a.test.yaml"]);
        assert_eq!(again(&["b.mocks.yaml"]), ["b.test.yaml"]);
    }

    #[test]
    fn a_changed_script_runs_the_tests_of_the_runbook_that_attaches_it() {
        assert_eq!(again(&["script.py"]), ["b.test.yaml"]);
    }

    #[test]
    fn a_change_in_a_folder_of_child_runbooks_runs_the_test_files_that_look_there() {
        assert_eq!(again(&["children/child.yaml"]), ["b.test.yaml"]);
    }

    #[test]
    fn a_new_test_file_under_the_paths_runs_itself() {
        assert_eq!(again(&["new.test.yaml"]), ["new.test.yaml"]);
        assert_eq!(again(&["deep/er/new.test.json"]), ["deep/er/new.test.json"]);
        let show = |path: &Path| path.to_path_buf();
        let elsewhere =
            affected(&[PathBuf::from("/x/new.test.yaml")], &table(), &[PathBuf::from("/w")], &show);
        assert!(elsewhere.is_empty(), "{elsewhere:?}");
    }

    #[test]
    fn unrelated_changes_run_nothing() {
        assert!(again(&["notes.md", "other.yaml", ".a.yaml.swp", "childrenx/c.yaml"]).is_empty());
    }

    #[test]
    fn a_burst_of_changes_runs_each_test_file_once_in_order() {
        assert_eq!(
            again(&[
                "b.yaml",
                "a.yaml",
                "new.test.yaml",
                "script.py",
                "a.test.yaml",
                "new.test.yaml"
            ]),
            ["a.test.yaml", "more/a2.test.yaml", "b.test.yaml", "new.test.yaml"]
        );
    }

    #[test]
    fn dependencies_are_read_from_the_test_file_and_its_runbooks() {
        let dir = std::env::temp_dir().join(format!("runbook-watch-deps-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("children")).unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
        let script = "schemaVersion: '0.3'\nfiles:\n  NAME: {checksums: {sha256: abc}}\nmainSteps:\n  - name: run\n    action: aws:executeScript\n    inputs: {Runtime: python3.11, Handler: script.handler, Attachment: NAME}\n";
        write("main.yaml", &script.replace("NAME", "main.py"));
        write("child.yaml", &script.replace("NAME", "child.zip"));
        write("main.mocks.yaml", "aws: []\n");
        write(
            "main.test.yaml",
            "runbook: main.yaml\ndocuments: {Child: child.yaml}\ncases:\n  - name: a\n    mocksFile: main.mocks.yaml\n  - name: b\n    mocks: {aws: []}\n",
        );
        write("folder.test.yaml", "runbook: main.yaml\ndocuments: children\ncases:\n  - name: a\n");
        let root = absolute(&dir);
        let test = dependencies(&dir.join("main.test.yaml"));
        assert_eq!(test.test_file, root.join("main.test.yaml"));
        let mut expected: Vec<PathBuf> = [
            "child.yaml",
            "child.zip",
            "main.mocks.yaml",
            "main.py",
            "main.test.yaml",
            "main.yaml",
        ]
        .iter()
        .map(|name| root.join(name))
        .collect();
        expected.sort();
        assert_eq!(test.files, expected);
        assert!(test.folders.is_empty());
        let folder = dependencies(&dir.join("folder.test.yaml"));
        assert_eq!(folder.folders, [root.join("children")]);
        write("broken.test.yaml", "runbook: [");
        let broken = dependencies(&dir.join("broken.test.yaml"));
        assert!(broken.files.is_empty() && broken.folders.is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
