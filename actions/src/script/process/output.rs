//! What a script process writes: its standard output and error read on their own threads
//! (and its request pipe), each capped at the most kept, and sent on as events.

use super::{Child, ExitStatus, MAX_CAPTURE_BYTES, Read, Sender, io};

#[derive(Clone, Copy, Debug)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

#[derive(Debug)]
pub(crate) enum Event {
    Output(Stream, Vec<u8>),
    Request(String),
    Exited(ExitStatus),
    Closed,
}

pub(super) fn start_readers(child: &mut Child, sender: &Sender<Event>) -> io::Result<()> {
    if let Some(stdout) = child.stdout.take() {
        spawn_reader(stdout, Stream::Stdout, sender.clone())?;
    }
    if let Some(stderr) = child.stderr.take() {
        spawn_reader(stderr, Stream::Stderr, sender.clone())?;
    }
    Ok(())
}

pub(super) fn spawn_reader(
    mut pipe: impl Read + Send + 'static,
    stream: Stream,
    sender: Sender<Event>,
) -> io::Result<()> {
    std::thread::Builder::new().name("runbook-script-output".into()).spawn(move || {
        let mut buffer = [0_u8; 8192];
        loop {
            match pipe.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => {
                    if sender.send(Event::Output(stream, buffer[..read].to_vec())).is_err() {
                        return;
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = sender.send(Event::Closed);
    })?;
    Ok(())
}

/// Reads the requests a process sends on its lifeline socket, one line each.
#[cfg(unix)]
pub(super) fn spawn_request_reader(
    socket: std::os::unix::net::UnixStream,
    sender: Sender<Event>,
) -> io::Result<()> {
    use std::io::BufRead;
    std::thread::Builder::new().name("runbook-script-requests".into()).spawn(move || {
        let mut reader = io::BufReader::new(socket);
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let request = line.trim_end().to_string();
                    if sender.send(Event::Request(request)).is_err() {
                        return;
                    }
                }
            }
        }
        let _ = sender.send(Event::Closed);
    })?;
    Ok(())
}

/// Output read so far, up to [`MAX_CAPTURE_BYTES`].
#[derive(Debug, Default)]
pub(super) struct Capture {
    bytes: Vec<u8>,
    pub(super) cut: bool,
}

impl Capture {
    pub(super) fn push(&mut self, chunk: &[u8]) {
        let room = MAX_CAPTURE_BYTES.saturating_sub(self.bytes.len());
        if chunk.len() > room {
            self.cut = true;
        }
        self.bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }

    pub(super) fn into_string(self) -> String {
        match String::from_utf8(self.bytes) {
            Ok(text) => text,
            Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
        }
    }
}
