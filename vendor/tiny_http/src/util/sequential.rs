use std::io::Result as IoResult;
use std::io::{Read, Write};

use std::sync::mpsc::channel;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};

use std::mem;

pub struct SequentialReaderBuilder<R>
where
    R: Read + Send,
{
    inner: SequentialReaderBuilderInner<R>,
}

enum SequentialReaderBuilderInner<R>
where
    R: Read + Send,
{
    First(R),
    NotFirst(Receiver<R>),
}

pub struct SequentialReader<R>
where
    R: Read + Send,
{
    inner: SequentialReaderInner<R>,
    next: Sender<R>,
}

enum SequentialReaderInner<R>
where
    R: Read + Send,
{
    MyTurn(R),
    Waiting(Receiver<R>),
    Empty,
}

pub struct SequentialWriterBuilder<W>
where
    W: Write + Send,
{
    writer: Arc<Mutex<W>>,
    next_trigger: Option<Receiver<()>>,
}

pub struct SequentialWriter<W>
where
    W: Write + Send,
{
    trigger: Option<Receiver<()>>,
    writer: Arc<Mutex<W>>,
    on_finish: Sender<()>,
}

impl<R: Read + Send> SequentialReaderBuilder<R> {
    pub fn new(reader: R) -> SequentialReaderBuilder<R> {
        SequentialReaderBuilder {
            inner: SequentialReaderBuilderInner::First(reader),
        }
    }
}

impl<W: Write + Send> SequentialWriterBuilder<W> {
    pub fn new(writer: W) -> SequentialWriterBuilder<W> {
        SequentialWriterBuilder {
            writer: Arc::new(Mutex::new(writer)),
            next_trigger: None,
        }
    }
}

impl<W: Write + Send> SequentialWriterBuilder<W> {
    /// profile patch: waits until the last writer handed out has been dropped (its response
    /// written), so that the next one may write at once.
    pub fn wait_for_previous(&mut self) {
        if let Some(previous) = self.next_trigger.take() {
            // An error means the writer is gone: finished too.
            let _ = previous.recv();
        }
    }
}

impl<R: Read + Send> Iterator for SequentialReaderBuilder<R> {
    type Item = SequentialReader<R>;

    fn next(&mut self) -> Option<SequentialReader<R>> {
        let (tx, rx) = channel();

        let inner = mem::replace(&mut self.inner, SequentialReaderBuilderInner::NotFirst(rx));

        match inner {
            SequentialReaderBuilderInner::First(reader) => Some(SequentialReader {
                inner: SequentialReaderInner::MyTurn(reader),
                next: tx,
            }),

            SequentialReaderBuilderInner::NotFirst(previous) => Some(SequentialReader {
                inner: SequentialReaderInner::Waiting(previous),
                next: tx,
            }),
        }
    }
}

impl<W: Write + Send> Iterator for SequentialWriterBuilder<W> {
    type Item = SequentialWriter<W>;
    fn next(&mut self) -> Option<SequentialWriter<W>> {
        let (tx, rx) = channel();
        let mut next_next_trigger = Some(rx);
        ::std::mem::swap(&mut next_next_trigger, &mut self.next_trigger);

        Some(SequentialWriter {
            trigger: next_next_trigger,
            writer: self.writer.clone(),
            on_finish: tx,
        })
    }
}

// profile patch: lets the head reader tell a byte that arrived with an earlier read from one
// that needs a new read, so it checks the clock only when bytes arrive, not for every byte.
impl<T: Read + Send> SequentialReader<std::io::BufReader<T>> {
    /// How many bytes are buffered from an earlier read (0 while waiting for its turn).
    pub fn buffered(&self) -> usize {
        match &self.inner {
            SequentialReaderInner::MyTurn(reader) => reader.buffer().len(),
            _ => 0,
        }
    }

    /// profile patch: the reader under the buffer, while it is this reader's turn.
    pub fn get_ref(&self) -> Option<&T> {
        match &self.inner {
            SequentialReaderInner::MyTurn(reader) => Some(reader.get_ref()),
            _ => None,
        }
    }
}

// profile patch: the head reader scans the buffered bytes for the end of a line instead of
// pulling them one call at a time (a fifth of the server's instructions under wrk).
impl<R: std::io::BufRead + Send> std::io::BufRead for SequentialReader<R> {
    fn fill_buf(&mut self) -> IoResult<&[u8]> {
        if let SequentialReaderInner::Waiting(recv) = &self.inner {
            let reader = recv
                .recv()
                .map_err(|_| std::io::Error::other("the previous reader is gone"))?;
            self.inner = SequentialReaderInner::MyTurn(reader);
        }
        match &mut self.inner {
            SequentialReaderInner::MyTurn(reader) => reader.fill_buf(),
            _ => Ok(&[]),
        }
    }

    fn consume(&mut self, amount: usize) {
        if let SequentialReaderInner::MyTurn(reader) = &mut self.inner {
            reader.consume(amount);
        }
    }
}

impl<R: Read + Send> Read for SequentialReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> IoResult<usize> {
        let mut reader = match self.inner {
            SequentialReaderInner::MyTurn(ref mut reader) => return reader.read(buf),
            SequentialReaderInner::Waiting(ref mut recv) => recv.recv().unwrap(),
            SequentialReaderInner::Empty => unreachable!(),
        };

        let result = reader.read(buf);
        self.inner = SequentialReaderInner::MyTurn(reader);
        result
    }
}

impl<W: Write + Send> SequentialWriter<W> {
    // profile patch: the wait for the previous writer, once for `write`, `write_vectored` and
    // `flush` (upstream repeated it in each)
    fn wait_for_turn(&mut self) {
        if let Some(v) = self.trigger.as_mut() {
            v.recv().unwrap()
        }
        self.trigger = None;
    }
}

impl<W: Write + Send> Write for SequentialWriter<W> {
    fn write(&mut self, buf: &[u8]) -> IoResult<usize> {
        self.wait_for_turn();
        self.writer.lock().unwrap().write(buf)
    }

    // profile patch: passed on (see `VectoredBufWriter`)
    fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> IoResult<usize> {
        self.wait_for_turn();
        self.writer.lock().unwrap().write_vectored(bufs)
    }

    fn flush(&mut self) -> IoResult<()> {
        self.wait_for_turn();
        self.writer.lock().unwrap().flush()
    }
}

impl<R> Drop for SequentialReader<R>
where
    R: Read + Send,
{
    fn drop(&mut self) {
        let inner = mem::replace(&mut self.inner, SequentialReaderInner::Empty);

        match inner {
            SequentialReaderInner::MyTurn(reader) => {
                self.next.send(reader).ok();
            }
            SequentialReaderInner::Waiting(recv) => {
                let reader = recv.recv().unwrap();
                self.next.send(reader).ok();
            }
            SequentialReaderInner::Empty => (),
        }
    }
}

impl<W> Drop for SequentialWriter<W>
where
    W: Write + Send,
{
    fn drop(&mut self) {
        self.on_finish.send(()).ok();
    }
}

#[cfg(test)]
mod tests {
    use super::SequentialWriterBuilder;
    use std::io::Write;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    /// A `Vec<u8>` shared with the test, to look at what was written.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    // profile patch: `wait_for_previous` returns once the last writer is dropped, not before.
    #[test]
    fn wait_for_previous_waits_for_the_last_writer() {
        let out = Shared::default();
        let mut builder = SequentialWriterBuilder::new(out.clone());
        builder.wait_for_previous(); // nothing handed out yet: returns at once
        let mut first = builder.next().unwrap();
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            first.write_all(b"one ").unwrap();
        });
        builder.wait_for_previous();
        assert_eq!(&out.0.lock().unwrap()[..], b"one ");
        writer.join().unwrap();
        // The next writer writes at once, in order.
        let mut second = builder.next().unwrap();
        second.write_all(b"two").unwrap();
        drop(second);
        builder.wait_for_previous();
        assert_eq!(&out.0.lock().unwrap()[..], b"one two");
    }
}
