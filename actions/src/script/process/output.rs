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

/// Reads the standard output, standard error and lifeline (one request a line) of a process
/// forked by a warm interpreter, `streams` in that order, on one thread that waits for all
/// three at once: they close together when the process ends, and one thread wakes to say so
/// rather than three, which on a busy machine each wait for a processor.
#[cfg(unix)]
pub(super) fn spawn_stream_reader(
    streams: [std::os::unix::net::UnixStream; 3],
    sender: Sender<Event>,
) -> io::Result<()> {
    std::thread::Builder::new()
        .name("runbook-script-streams".into())
        .spawn(move || read_all(&streams, &sender))?;
    Ok(())
}

/// The loop of [`spawn_stream_reader`]; it returns once every stream has closed, or once
/// nobody listens.
#[cfg(unix)]
fn read_all(streams: &[std::os::unix::net::UnixStream; 3], sender: &Sender<Event>) {
    use rustix::event::{PollFd, PollFlags, poll};

    const LIFELINE: usize = 2;
    let mut open = [true; 3];
    let mut line = Vec::new();
    let mut buffer = [0_u8; 8192];
    while open.iter().any(|open| *open) {
        let watched: Vec<usize> = (0..3).filter(|&index| open[index]).collect();
        let mut fds: Vec<PollFd<'_>> =
            watched.iter().map(|&index| PollFd::new(&streams[index], PollFlags::IN)).collect();
        match poll(&mut fds, None) {
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => continue,
            Err(_) => break,
        }
        let ready: Vec<usize> = watched
            .iter()
            .zip(&fds)
            .filter(|(_, fd)| !fd.revents().is_empty())
            .map(|(&index, _)| index)
            .collect();
        for index in ready {
            let read = (&streams[index]).read(&mut buffer);
            let event = match read {
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Ok(0) | Err(_) => {
                    open[index] = false;
                    // A last request without its newline is still one, as a line reader
                    // gives it.
                    let end = line.len();
                    if index == LIFELINE
                        && end > 0
                        && !send_request(&mut line, end, sender, &mut open)
                    {
                        return;
                    }
                    Event::Closed
                }
                Ok(read) if index == LIFELINE => {
                    line.extend_from_slice(&buffer[..read]);
                    while let Some(end) = line.iter().position(|&byte| byte == b'\n') {
                        if !send_request(&mut line, end + 1, sender, &mut open) {
                            return;
                        }
                    }
                    continue;
                }
                Ok(read) => {
                    let stream = if index == 0 { Stream::Stdout } else { Stream::Stderr };
                    Event::Output(stream, buffer[..read].to_vec())
                }
            };
            if sender.send(event).is_err() {
                return;
            }
        }
    }
    // Streams given up on after an error are closed as far as the listener knows.
    for _ in open.iter().filter(|open| **open) {
        let _ = sender.send(Event::Closed);
    }
}

/// Sends the first `end` bytes of `line` as a request and drops them; whether anybody listens.
/// A request that is not UTF-8 ends the lifeline's reading, as it ends a line reader's.
#[cfg(unix)]
fn send_request(
    line: &mut Vec<u8>,
    end: usize,
    sender: &Sender<Event>,
    open: &mut [bool; 3],
) -> bool {
    let taken: Vec<u8> = line.drain(..end).collect();
    match String::from_utf8(taken) {
        Ok(text) => sender.send(Event::Request(text.trim_end().to_string())).is_ok(),
        Err(_) => {
            line.clear();
            if open[2] {
                open[2] = false;
                return sender.send(Event::Closed).is_ok();
            }
            true
        }
    }
}

/// Output read so far, up to [`MAX_CAPTURE_BYTES`].
#[derive(Debug, Default)]
pub(super) struct Capture {
    pub(super) bytes: Vec<u8>,
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

#[cfg(all(test, unix))]
mod tests {
    use std::io::Write;
    use std::os::unix::net::UnixStream;

    use super::{Event, Stream, spawn_stream_reader};

    #[test]
    fn one_thread_reads_output_requests_and_ends_of_all_three_streams() {
        let pairs: Vec<(UnixStream, UnixStream)> =
            (0..3).map(|_| UnixStream::pair().expect("a socket pair")).collect();
        let [(mut out, out_read), (mut err, err_read), (mut lifeline, lifeline_read)]: [_; 3] =
            pairs.try_into().expect("three pairs");
        let (sender, events) = std::sync::mpsc::channel();
        spawn_stream_reader([out_read, err_read, lifeline_read], sender).expect("a thread");
        out.write_all(b"printed").expect("written");
        err.write_all(b"warned").expect("written");
        lifeline.write_all(b"{\"call\": 1}\n{\"call\"").expect("written");
        lifeline.write_all(b": 2}\n{\"last\": 3}").expect("written");
        drop((out, err, lifeline));
        let (mut stdout, mut stderr, mut requests, mut closed) =
            (Vec::new(), Vec::new(), Vec::new(), 0);
        for event in events {
            match event {
                Event::Output(Stream::Stdout, chunk) => stdout.extend(chunk),
                Event::Output(Stream::Stderr, chunk) => stderr.extend(chunk),
                Event::Request(request) => requests.push(request),
                Event::Closed => closed += 1,
                Event::Exited(_) => panic!("no exit is read from streams"),
            }
        }
        assert_eq!(stdout, b"printed");
        assert_eq!(stderr, b"warned");
        assert_eq!(requests, ["{\"call\": 1}", "{\"call\": 2}", "{\"last\": 3}"]);
        assert_eq!(closed, 3, "each stream says once that it closed");
    }
}
