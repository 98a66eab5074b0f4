//! What RB040 remembers between commands: the checker's answer for each script it compiled, so
//! that validating the same runbooks again starts no Python at all.
//!
//! One file per interpreter, `rb040/<interpreter>` in the cache folder: the interpreter key
//! hashes what decides which Python compiles the scripts (the executable the name resolves to,
//! its size and modification time, the environment variables and pyenv file that select a
//! version) together with the checker's own source. Each line is the SHA-256 of one request
//! (the script's text, or an attachment's bytes, with its file and module names), a tab, and
//! the answer as JSON. Like the models' cache, it is only ever an optimisation: a missing,
//! unreadable or unwritable file means asking Python again, never an error.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use indexmap::IndexMap;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::Answer;

const TAG: &str = "runbook rb040 answers 1";

/// Beyond this many answers the oldest unused ones are forgotten, so the file stays small.
const CAPACITY: usize = 20_000;

/// The answers remembered for one interpreter.
#[derive(Debug)]
pub(super) struct Answers {
    file: PathBuf,
    known: IndexMap<String, String>,
    used: Vec<String>,
    added: bool,
}

impl Answers {
    /// The answers in `cache` for the interpreter `key`.
    pub(super) fn open(cache: &Path, key: &str) -> Self {
        let file = cache.join("rb040").join(key);
        let mut known = IndexMap::new();
        if let Ok(text) = std::fs::read_to_string(&file) {
            let mut lines = text.lines();
            if lines.next() == Some(TAG) {
                for line in lines {
                    if let Some((hash, answer)) = line.split_once('\t') {
                        known.insert(hash.to_string(), answer.to_string());
                    }
                }
            }
        }
        Self { file, known, used: Vec::new(), added: false }
    }

    /// The remembered answer to the request hashed as `hash`.
    pub(super) fn get(&mut self, hash: &str) -> Option<Answer> {
        let answer = serde_json::from_str(self.known.get(hash)?).ok()?;
        self.used.push(hash.to_string());
        Some(answer)
    }

    /// Remembers `answer` for the request hashed as `hash`.
    pub(super) fn insert(&mut self, hash: String, answer: &Answer) {
        let Ok(text) = serde_json::to_string(answer) else { return };
        self.used.push(hash.clone());
        self.known.insert(hash, text);
        self.added = true;
    }

    /// Writes the file back when something was added: this command's answers first, then the
    /// others up to the capacity.
    pub(super) fn save(self) {
        if !self.added {
            return;
        }
        let mut text = format!("{TAG}\n");
        let mut written = IndexMap::new();
        let order = self.used.iter().chain(self.known.keys());
        for hash in order {
            if written.len() == CAPACITY {
                break;
            }
            if let Some(answer) = self.known.get(hash)
                && written.insert(hash.as_str(), ()).is_none()
            {
                text.push_str(hash);
                text.push('\t');
                text.push_str(answer);
                text.push('\n');
            }
        }
        write_atomically(&self.file, text.as_bytes());
    }
}

/// The hash of one request: its JSON and, for an attachment, the file's bytes. `None` when the
/// attachment cannot be read (the checker then says why, and the answer is not remembered).
pub(super) fn request_hash(request: &Value) -> Option<String> {
    let mut hasher = Sha256::new();
    hasher.update(request.to_string().as_bytes());
    let attachment = request.get("file").or_else(|| request.get("zip"));
    if let Some(path) = attachment {
        hasher.update(std::fs::read(path.as_str()?).ok()?);
    }
    Some(hex(&hasher.finalize()))
}

/// What decides the checker's answers: the interpreter `named` (a path, or a name looked up on
/// `PATH`) as a file, the variables and pyenv file that choose a version behind it, and the
/// checker's source. `None` when the interpreter is not found.
pub(super) fn interpreter_key(named: &Path, checker: &str) -> Option<String> {
    let found = if named.components().count() > 1 {
        Some(named.to_path_buf())
    } else {
        std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|folder| folder.join(named))
                .find(|file| file.is_file())
        })
    }?;
    let real = std::fs::canonicalize(&found).ok()?;
    let metadata = std::fs::metadata(&real).ok()?;
    let modified = metadata.modified().ok()?.duration_since(UNIX_EPOCH).ok()?.as_nanos();
    let mut hasher = Sha256::new();
    for part in [found.display().to_string(), real.display().to_string()] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher.update(format!("{} {modified}\0", metadata.len()).as_bytes());
    for name in ["PYENV_VERSION", "PYTHONHOME", "PYTHONPATH", "VIRTUAL_ENV", "CONDA_PREFIX"] {
        hasher.update(std::env::var_os(name).unwrap_or_default().as_encoded_bytes());
        hasher.update([0]);
    }
    let pyenv = std::env::current_dir().ok().and_then(|folder| {
        folder.ancestors().map(|folder| folder.join(".python-version")).find(|file| file.is_file())
    });
    if let Some(file) = pyenv {
        hasher.update(std::fs::read(file).unwrap_or_default());
    }
    hasher.update([0]);
    hasher.update(checker.as_bytes());
    Some(hex(&hasher.finalize()[..16]))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

/// Writes `bytes` to `path` whole or not at all: a concurrent reader never sees half a file.
fn write_atomically(path: &Path, bytes: &[u8]) {
    let Some(folder) = path.parent() else { return };
    if std::fs::create_dir_all(folder).is_err() {
        return;
    }
    let temporary = path.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&temporary, bytes).is_ok() && std::fs::rename(&temporary, path).is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defined(name: &str) -> Answer {
        Answer::Defined { names: vec![name.to_string()], functions: vec![name.to_string()] }
    }

    #[test]
    fn answers_are_read_back_by_the_next_command() {
        let folder = std::env::temp_dir().join(format!("rb040-cache-{}", std::process::id()));
        let hash = request_hash(&json!({"source": "def h(): pass", "filename": "f"})).unwrap();
        let mut answers = Answers::open(&folder, "key");
        assert!(answers.get(&hash).is_none());
        answers.insert(hash.clone(), &defined("h"));
        answers.save();
        let mut again = Answers::open(&folder, "key");
        assert!(matches!(again.get(&hash), Some(Answer::Defined { names, .. }) if names == ["h"]));
        assert!(Answers::open(&folder, "other").get(&hash).is_none());
        std::fs::remove_dir_all(&folder).unwrap();
    }

    #[test]
    fn a_damaged_file_is_no_answer() {
        let folder = std::env::temp_dir().join(format!("rb040-damaged-{}", std::process::id()));
        std::fs::create_dir_all(folder.join("rb040")).unwrap();
        let hash = request_hash(&json!({"source": "x", "filename": "f"})).unwrap();
        std::fs::write(folder.join("rb040/key"), format!("{TAG}\n{hash}\t{{not json\n")).unwrap();
        assert!(Answers::open(&folder, "key").get(&hash).is_none());
        std::fs::write(folder.join("rb040/key"), format!("other\n{hash}\t{{}}\n")).unwrap();
        assert!(Answers::open(&folder, "key").get(&hash).is_none());
        std::fs::remove_dir_all(&folder).unwrap();
    }

    #[test]
    fn an_attachment_is_hashed_with_its_bytes() {
        let folder = std::env::temp_dir().join(format!("rb040-bytes-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        let file = folder.join("a.py");
        let request = json!({"file": file, "filename": "a.py"});
        assert_eq!(request_hash(&request), None, "an unreadable attachment is not remembered");
        std::fs::write(&file, "def h(): pass\n").unwrap();
        let before = request_hash(&request).unwrap();
        std::fs::write(&file, "def g(): pass\n").unwrap();
        assert_ne!(request_hash(&request).unwrap(), before);
        std::fs::remove_dir_all(&folder).unwrap();
    }

    #[test]
    fn the_key_follows_the_interpreter() {
        let folder = std::env::temp_dir().join(format!("rb040-key-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        let python = folder.join("python");
        assert_eq!(interpreter_key(&python, "checker"), None);
        std::fs::write(&python, "one").unwrap();
        let key = interpreter_key(&python, "checker").unwrap();
        assert_eq!(interpreter_key(&python, "checker").as_ref(), Some(&key));
        assert_ne!(interpreter_key(&python, "another checker").unwrap(), key);
        std::fs::write(&python, "a new version").unwrap();
        assert_ne!(interpreter_key(&python, "checker").unwrap(), key);
        std::fs::remove_dir_all(&folder).unwrap();
    }
}
