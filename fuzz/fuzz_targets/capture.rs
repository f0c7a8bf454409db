//! `sniff::recognise` and `capture::analyse` on any bytes: never panic. Inputs that start like
//! a capture exercise the record reader, the link/IP/TCP slicing, TCP reassembly and the
//! HTTP/1.x parser; a capture is always read to its end or to a warning, never an endless loop.
#![no_main]

use libfuzzer_sys::fuzz_target;
use profile::report::capture::{analyse, CaptureOptions};
use profile::report::model::Warning;
use profile::report::sniff::recognise;

fuzz_target!(|input: (Option<u16>, &[u8])| {
    let (port, bytes) = input;
    let _ = recognise(bytes);
    let options = CaptureOptions { port };
    if let Ok(analysis) = analyse(bytes, &options, &mut |_| {}) {
        // Every exchange points at a connection, and times are finite.
        for exchange in &analysis.exchanges {
            assert!(exchange.connection < analysis.connections.len());
            assert!(exchange.request.at.is_finite());
        }
        for warning in &analysis.warnings {
            if let Warning::Truncated { packets_read } = warning {
                assert_eq!(*packets_read, analysis.packets);
            }
        }
    }
});
