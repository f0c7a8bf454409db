//! Writing a response's exact bytes: the head and an in-memory body in one vectored write, a
//! file's range streamed from disk, and what left counted for the log and the trace.

use std::io::{IoSlice, Read, Seek, SeekFrom, Write};
use std::time::{Duration, Instant};

use super::respond::{Reply, ReplyBody};
use crate::output::{Body, Output};

/// What actually left for one response.
pub(super) struct Sent {
    pub(super) head_bytes: u64,
    pub(super) body_bytes: u64,
    pub(super) first_byte: Duration,
    pub(super) total: Duration,
}

/// A writer that counts the bytes it passes on and notes when the first one left.
pub(super) struct Counting {
    inner: Box<dyn Write + Send>,
    since: Instant,
    written: u64,
    first: Option<Duration>,
}

impl Counting {
    pub(super) fn new(inner: Box<dyn Write + Send>, since: Instant) -> Counting {
        Counting {
            inner,
            since,
            written: 0,
            first: None,
        }
    }
}

impl Counting {
    /// Notes that `n` more bytes left; returns `n`.
    fn count(&mut self, n: usize) -> usize {
        self.written += n as u64;
        if n > 0 && self.first.is_none() {
            self.first = Some(self.since.elapsed());
        }
        n
    }
}

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        Ok(self.count(n))
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> std::io::Result<usize> {
        let n = self.inner.write_vectored(bufs)?;
        Ok(self.count(n))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes all of `bufs` in as few writes as `writer` allows (`Write::write_all_vectored` is
/// not stable yet).
fn write_all_vectored(
    writer: &mut impl Write,
    mut bufs: &mut [IoSlice<'_>],
) -> std::io::Result<()> {
    IoSlice::advance_slices(&mut bufs, 0);
    while !bufs.is_empty() {
        match writer.write_vectored(bufs) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut bufs, n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Writes the head and body of `reply`, in one write (a writev) when the body is in memory,
/// and says what left (on an error, what left before it).
pub(super) fn write_reply(
    mut writer: Counting,
    head: Vec<u8>,
    reply: &Reply,
    output: &Output,
) -> Sent {
    let head_len = head.len() as u64;
    // Errors mean the client went away: what was sent until then is what is reported.
    let _ = write_head_and_body(&mut writer, head, reply, output);
    let written = writer.written;
    Sent {
        head_bytes: written.min(head_len),
        body_bytes: written.saturating_sub(head_len),
        first_byte: writer.first.unwrap_or_else(|| writer.since.elapsed()),
        total: writer.since.elapsed(),
    }
}

fn write_head_and_body(
    writer: &mut Counting,
    head: Vec<u8>,
    reply: &Reply,
    output: &Output,
) -> std::io::Result<()> {
    // The body is not copied after the head: both go to one writev.
    let with_body = |writer: &mut Counting, body: &[u8]| {
        write_all_vectored(writer, &mut [IoSlice::new(&head), IoSlice::new(body)])
    };
    match &reply.body {
        ReplyBody::Empty => writer.write_all(&head)?,
        ReplyBody::Owned(bytes) => with_body(writer, bytes)?,
        ReplyBody::Shared { bytes, start, len } => {
            let body = bytes
                .get(*start..start + len)
                .ok_or_else(|| std::io::Error::other("range outside the page"))?;
            with_body(writer, body)?;
        }
        ReplyBody::Entry { key, start, len } => {
            let entry = output
                .get(key)
                .ok_or_else(|| std::io::Error::other("entry vanished"))?;
            match &entry.body {
                Body::Bytes(bytes) => {
                    let start = usize::try_from(*start).map_err(std::io::Error::other)?;
                    let end = start + usize::try_from(*len).map_err(std::io::Error::other)?;
                    let body = bytes
                        .get(start..end)
                        .ok_or_else(|| std::io::Error::other("range outside the entry"))?;
                    with_body(writer, body)?;
                }
                Body::File { path, .. } => {
                    let mut file = std::fs::File::open(path)?;
                    file.seek(SeekFrom::Start(*start))?;
                    writer.write_all(&head)?;
                    let copied = std::io::copy(&mut file.take(*len), writer)?;
                    if copied != *len {
                        // The file shrank under us: the promised Content-Length cannot be kept,
                        // and the error drops the connection so the client sees a short read.
                        return Err(std::io::Error::other("file shrank while being sent"));
                    }
                }
            }
        }
    }
    writer.flush()
}
