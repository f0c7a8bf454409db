//! Spoken self-introductions: publish a lossless recording as WebM/Opus for speech, and tell the
//! exact duration of any recording the page links to.
//!
//! Everything here is pure (bytes in, bytes out) so that the caller owns caching and the file
//! system. Untrusted input never panics: every read goes through bounds-checked helpers, and the
//! work is bounded by [`MAX_INPUT_BYTES`] and [`MAX_SECONDS`].

mod decode;
mod encode;
mod probe;
mod webm;

use std::time::Duration;

/// Bumped whenever the encoded output for the same input would change (part of a cache key).
pub const PIPELINE_VERSION: u32 = 1;

/// The largest recording accepted, in bytes: bounds memory (the decoder and the resampler work on
/// the input in place, but the input itself is held whole).
pub const MAX_INPUT_BYTES: usize = 200 * 1024 * 1024;

/// The longest recording accepted, in seconds: a self-introduction is minutes, not hours, and
/// this bounds encode time (about 1 s of CPU per 10 min of speech).
pub const MAX_SECONDS: u64 = 30 * 60;

/// Describes the encoder and its settings, e.g. "libopus 1.5.2, 24 kbit/s VBR mono voip" — part of
/// the cache key.
pub fn encoder_id() -> String {
    format!(
        "{}, {} kbit/s VBR mono {}, 20 ms frames (less, and 60 ms, when 1/8 of a small input needs it), rubato 0.16 FFT resampler, WebM v{}",
        opus::version(),
        encode::TARGET_BITRATE / 1000,
        encode::APPLICATION_NAME,
        PIPELINE_VERSION
    )
}

/// Decodes a WAV (PCM 8/16/24/32-bit int, 32-bit float, mono or multi-channel, any rate;
/// WAVE_FORMAT_EXTENSIBLE too) or FLAC recording and encodes it as Opus in WebM for speech.
///
/// The output is deterministic (same bytes in, same bytes out) and is at most 1/8 of the input's
/// size whenever libopus can go that low (6 kbit/s): the bitrate is lowered for inputs that are
/// already small, such as 8 kHz mono.
///
/// Err: one lower-case line for the user ("the WAV file ends inside its `data` chunk", "the FLAC
/// stream is corrupt at sample 12345").
pub fn compress_speech(bytes: &[u8]) -> Result<Vec<u8>, String> {
    check_size(bytes)?;
    let source = decode::open(bytes)?;
    let frames = source.frames();
    let rate = source.rate();
    if frames == 0 {
        return Err("the recording holds no audio".to_string());
    }
    check_length(frames, rate)?;

    // The bitrate budget: 1/8 of the input, less a margin for the container and for VBR
    // overshoot, never above the speech target nor below what libopus can do.
    let seconds = frames as f64 / f64::from(rate);
    let budget = bytes.len() as f64 * 8.0 / 8.0 / seconds * 0.8;
    let mut bitrate = (budget as i32).clamp(encode::MIN_BITRATE, encode::TARGET_BITRATE);
    let limit = bytes.len() / 8;
    // Below 12 kbit/s, 60 ms frames: a third of the per-block overhead, and libopus's own advice.
    let frame_ms = if bitrate < 12_000 { 60 } else { 20 };
    let mut out = encode_once(&source, bitrate, frame_ms)?;
    // VBR spends more on dense speech than on the average: one deterministic retry, scaled to the
    // overshoot, brings a too-large result under the limit.
    if out.len() > limit && bitrate > encode::MIN_BITRATE {
        let scale = limit as f64 / out.len() as f64 * 0.9;
        bitrate = ((f64::from(bitrate) * scale) as i32).max(encode::MIN_BITRATE);
        out = encode_once(&source, bitrate, frame_ms)?;
    }
    Ok(out)
}

fn encode_once(
    source: &decode::Source<'_>,
    bitrate: i32,
    frame_ms: u32,
) -> Result<Vec<u8>, String> {
    let mut pipeline = encode::Pipeline::new(source.rate(), source.frames(), bitrate, frame_ms)?;
    source.decode(&mut |mono| pipeline.push(mono))?;
    let encoded = pipeline.finish()?;
    Ok(webm::mux(&encoded))
}

/// The exact duration of an MP3, M4A/AAC (MP4 container), raw ADTS AAC, Ogg Opus, Ogg Vorbis,
/// FLAC, WAV or WebM Opus recording. Err for corrupt/truncated files (one lower-case line).
pub fn duration(bytes: &[u8]) -> Result<Duration, String> {
    check_size(bytes)?;
    probe::duration(bytes)
}

/// `1:05` style for the page (m:ss, h:mm:ss over an hour), rounding to the nearest second; never
/// "0:00" for a non-empty recording (show 0:01).
pub fn format_duration(d: Duration) -> String {
    // Round half up on the nanosecond count; a click on "0:00" would look like a broken file.
    let mut secs = d.as_secs() + u64::from(d.subsec_nanos() >= 500_000_000);
    if secs == 0 && !d.is_zero() {
        secs = 1;
    }
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

fn check_size(bytes: &[u8]) -> Result<(), String> {
    if bytes.is_empty() {
        return Err("the recording is empty".to_string());
    }
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(format!(
            "the recording is {} MB; the limit is {} MB",
            bytes.len() / 1_000_000,
            MAX_INPUT_BYTES / 1_000_000
        ));
    }
    Ok(())
}

pub(crate) fn check_length(frames: u64, rate: u32) -> Result<(), String> {
    if frames / u64::from(rate.max(1)) >= MAX_SECONDS {
        let got = frames / u64::from(rate.max(1));
        return Err(format!(
            "the recording is {}; the limit is {} minutes",
            format_duration(Duration::from_secs(got)),
            MAX_SECONDS / 60
        ));
    }
    Ok(())
}

/// Reads with bounds checks: every accessor returns `None` past the end instead of panicking.
pub(crate) trait Bytes {
    fn u16le(&self, at: usize) -> Option<u16>;
    fn u32le(&self, at: usize) -> Option<u32>;
    fn u32be(&self, at: usize) -> Option<u32>;
    fn u64be(&self, at: usize) -> Option<u64>;
    fn sub(&self, at: usize, len: usize) -> Option<&[u8]>;
}

impl Bytes for [u8] {
    fn u16le(&self, at: usize) -> Option<u16> {
        Some(u16::from_le_bytes(self.sub(at, 2)?.try_into().ok()?))
    }
    fn u32le(&self, at: usize) -> Option<u32> {
        Some(u32::from_le_bytes(self.sub(at, 4)?.try_into().ok()?))
    }
    fn u32be(&self, at: usize) -> Option<u32> {
        Some(u32::from_be_bytes(self.sub(at, 4)?.try_into().ok()?))
    }
    fn u64be(&self, at: usize) -> Option<u64> {
        Some(u64::from_be_bytes(self.sub(at, 8)?.try_into().ok()?))
    }
    fn sub(&self, at: usize, len: usize) -> Option<&[u8]> {
        self.get(at..at.checked_add(len)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_duration_rounds_and_never_shows_zero() {
        let f = |ms: u64| format_duration(Duration::from_millis(ms));
        assert_eq!(f(0), "0:00");
        assert_eq!(f(1), "0:01");
        assert_eq!(f(499), "0:01");
        assert_eq!(f(1499), "0:01");
        assert_eq!(f(1500), "0:02");
        assert_eq!(f(65_000), "1:05");
        assert_eq!(f(599_600), "10:00");
        assert_eq!(f(3_599_499), "59:59");
        assert_eq!(f(3_599_500), "1:00:00");
        assert_eq!(f(3_725_000), "1:02:05");
        assert_eq!(format_duration(Duration::from_nanos(1)), "0:01");
    }

    /// A WAV made in memory: `channels` × 16-bit at `rate`, a 440 Hz tone.
    fn wav(rate: u32, channels: u16, frames: u32) -> Vec<u8> {
        let data_len = frames * u32::from(channels) * 2;
        let mut w = b"RIFF".to_vec();
        w.extend((36 + data_len).to_le_bytes());
        w.extend(b"WAVEfmt ");
        w.extend(16u32.to_le_bytes());
        w.extend(1u16.to_le_bytes());
        w.extend(channels.to_le_bytes());
        w.extend(rate.to_le_bytes());
        w.extend((rate * u32::from(channels) * 2).to_le_bytes());
        w.extend((channels * 2).to_le_bytes());
        w.extend(16u16.to_le_bytes());
        w.extend(b"data");
        w.extend(data_len.to_le_bytes());
        for i in 0..frames {
            let v = (f64::from(i) * 440.0 * std::f64::consts::TAU / f64::from(rate)).sin();
            for _ in 0..channels {
                w.extend(((v * 8000.0) as i16).to_le_bytes());
            }
        }
        w
    }

    #[test]
    fn wav_round_trip_keeps_the_exact_length() {
        for (rate, frames) in [
            (16_000, 8_001),
            (44_100, 22_050),
            (48_000, 960),
            (22_050, 1),
        ] {
            let w = wav(rate, 2, frames);
            let want = Duration::from_nanos(u64::from(frames) * 1_000_000_000 / u64::from(rate));
            assert_eq!(duration(&w).unwrap(), want);
            let out = compress_speech(&w).unwrap();
            let got = duration(&out).unwrap();
            // WebM's Duration is a float of milliseconds: exact to well under a sample.
            assert!(
                got.abs_diff(want) < Duration::from_micros(21),
                "{rate}: {got:?} vs {want:?}"
            );
            assert_eq!(out, compress_speech(&w).unwrap(), "deterministic");
        }
    }

    #[test]
    fn truncated_wav_is_an_error_never_a_panic() {
        let w = wav(16_000, 1, 4000);
        for len in 0..w.len() {
            let cut = &w[..len];
            assert!(compress_speech(cut).is_err(), "prefix {len}");
            assert!(duration(cut).is_err(), "prefix {len}");
        }
        let e = compress_speech(&w[..w.len() - 1]).unwrap_err();
        assert_eq!(e, "the WAV file ends inside its `data` chunk");
    }

    #[test]
    fn corrupt_bytes_never_panic() {
        let w = wav(16_000, 2, 1600);
        let out = compress_speech(&w).unwrap();
        // A fixed LCG: the same mutations every run.
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) as usize
        };
        for _ in 0..300 {
            for original in [&w, &out] {
                let mut m = original.clone();
                // Headers are where the parsing is: aim most mutations at the first 200 bytes.
                let at = if next() % 4 == 0 {
                    next() % m.len()
                } else {
                    next() % 200.min(m.len())
                };
                m[at] = next() as u8;
                let _ = compress_speech(&m);
                let _ = duration(&m);
            }
        }
        for len in (0..out.len()).step_by(7) {
            assert!(duration(&out[..len]).is_err(), "webm prefix {len}");
        }
    }

    #[test]
    fn too_long_is_refused_with_the_limit() {
        // A header claiming 31 minutes of 8 kHz mono; the data itself is not needed to refuse.
        let mut w = wav(8000, 1, 0);
        let frames: u32 = 31 * 60 * 8000;
        w.truncate(40);
        w.extend((frames * 2).to_le_bytes());
        w.resize(44 + frames as usize * 2, 0);
        let e = compress_speech(&w).unwrap_err();
        assert!(e.contains("the limit is 30 minutes"), "{e}");
    }

    #[test]
    fn empty_and_garbage_are_errors() {
        assert!(compress_speech(&[]).is_err());
        assert!(duration(&[]).is_err());
        assert!(compress_speech(b"hello world, not audio").is_err());
        assert!(duration(b"hello world, not audio").is_err());
    }
}
