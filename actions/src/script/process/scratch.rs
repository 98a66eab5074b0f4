//! The private scratch directory a script runs in: created 0700, its files 0600, removed when
//! dropped, and listed process-wide until then so that an abandoned run removes it too.

use super::{NEXT, Ordering, Path, PathBuf, io, live};

/// A directory of its own for one script run, readable by its owner only, removed when dropped.
#[derive(Debug)]
pub(crate) struct ScratchDir {
    path: PathBuf,
    number: u64,
}

impl ScratchDir {
    /// Makes a new empty directory under the system's temporary directory, mode 0700: it holds
    /// the step's input payload, secrets included.
    pub(crate) fn new() -> io::Result<Self> {
        let base = std::env::temp_dir();
        let process = std::process::id();
        loop {
            let number = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = base.join(format!("runbook-script-{process}-{number}"));
            let mut builder = std::fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            // `create` fails when the name exists, so a directory someone else made is never
            // reused.
            match builder.create(&path) {
                Ok(()) => {
                    live().dirs.insert(number, path.clone());
                    return Ok(Self { path, number });
                }
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
                Err(error) => return Err(error),
            }
        }
    }

    /// Where the directory is.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        // Nothing useful can be done about a directory that cannot be removed.
        let _ = std::fs::remove_dir_all(&self.path);
        live().dirs.remove(&self.number);
    }
}

/// Writes a new file that only its owner can read (mode 0600).
pub(crate) fn private_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents)
}
