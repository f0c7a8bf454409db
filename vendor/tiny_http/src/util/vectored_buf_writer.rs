use std::io::{BufWriter, IoSlice, Result as IoResult, Write};

/// profile patch: a `BufWriter` whose vectored writes too large for its buffer go to the socket
/// in one `writev`. `BufWriter` can only tell that its inner writer takes vectored writes
/// through `Write::is_write_vectored`, which stable Rust cannot override, so it took a head and
/// body a slice at a time: two writes where one would do. Smaller ones are buffered as before.
pub struct VectoredBufWriter<W: Write>(BufWriter<W>);

impl<W: Write> VectoredBufWriter<W> {
    pub fn with_capacity(capacity: usize, inner: W) -> Self {
        VectoredBufWriter(BufWriter::with_capacity(capacity, inner))
    }
}

impl<W: Write> Write for VectoredBufWriter<W> {
    fn write(&mut self, buf: &[u8]) -> IoResult<usize> {
        self.0.write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> IoResult<usize> {
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if total < self.0.capacity() {
            return self.0.write_vectored(bufs);
        }
        // What is buffered goes first, so bytes leave in the order they were written.
        self.0.flush()?;
        self.0.get_mut().write_vectored(bufs)
    }

    fn flush(&mut self) -> IoResult<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::VectoredBufWriter;
    use std::io::{IoSlice, Write};

    /// Records each write it is given.
    #[derive(Default)]
    struct Writes(Vec<Vec<u8>>);

    impl Write for Writes {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.push(buf.to_vec());
            Ok(buf.len())
        }

        fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> std::io::Result<usize> {
            self.0.push(bufs.iter().flat_map(|b| b.iter().copied()).collect());
            Ok(bufs.iter().map(|b| b.len()).sum())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_large_vectored_write_leaves_in_one_write_after_what_was_buffered() {
        let mut writer = VectoredBufWriter::with_capacity(8, Writes::default());
        writer.write_all(b"ab").unwrap();
        let body = [b'x'; 10];
        let n = writer
            .write_vectored(&[IoSlice::new(b"head"), IoSlice::new(&body)])
            .unwrap();
        assert_eq!(n, 14);
        writer.flush().unwrap();
        let writes = &writer.0.get_ref().0;
        assert_eq!(writes.len(), 2, "{writes:?}");
        assert_eq!(writes[0], b"ab");
        assert_eq!(writes[1], b"headxxxxxxxxxx");
    }

    #[test]
    fn a_small_vectored_write_is_buffered() {
        let mut writer = VectoredBufWriter::with_capacity(64, Writes::default());
        writer
            .write_vectored(&[IoSlice::new(b"head"), IoSlice::new(b"body")])
            .unwrap();
        writer.write_all(b"!").unwrap();
        writer.flush().unwrap();
        assert_eq!(writer.0.get_ref().0, vec![b"headbody!".to_vec()]);
    }
}
