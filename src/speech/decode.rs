//! Lossless inputs (WAV, FLAC) decoded to mono `f32` in chunks, so that memory stays at the size
//! of the input plus a few buffers whatever the recording's length.

use super::Bytes;
use std::io::Cursor;
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{Decoder as _, DecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::{FormatOptions, FormatReader as _};
use symphonia::core::io::MediaSourceStream;

/// Mono samples are handed on in chunks of this many frames.
const CHUNK: usize = 4096;

/// A recording that parsed: its format, rate and length, ready to decode.
pub(crate) enum Source<'a> {
    Wav(Wav<'a>),
    Flac(Flac<'a>),
}

/// Opens a WAV or FLAC recording; anything else is an error naming what is accepted.
pub(crate) fn open(bytes: &[u8]) -> Result<Source<'_>, String> {
    if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WAVE") {
        return Ok(Source::Wav(parse_wav(bytes)?));
    }
    if let Some(flac) = parse_flac(bytes)? {
        return Ok(Source::Flac(flac));
    }
    Err("only WAV and FLAC recordings can be compressed; this is neither".to_string())
}

impl Source<'_> {
    pub(crate) fn rate(&self) -> u32 {
        match self {
            Source::Wav(w) => w.rate,
            Source::Flac(f) => f.rate,
        }
    }

    /// The length in sample frames, from the header (FLAC: STREAMINFO; WAV: data size).
    pub(crate) fn frames(&self) -> u64 {
        match self {
            Source::Wav(w) => w.frames(),
            Source::Flac(f) => f.frames,
        }
    }

    /// Decodes the whole recording, calling `sink` with consecutive chunks of mono samples.
    pub(crate) fn decode(
        &self,
        sink: &mut dyn FnMut(&[f32]) -> Result<(), String>,
    ) -> Result<(), String> {
        match self {
            Source::Wav(w) => w.decode(sink),
            Source::Flac(f) => f.decode(sink),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum SampleFormat {
    U8,
    I16,
    I24,
    I32,
    F32,
    F64,
}

/// A WAV file's `fmt ` and `data` chunks.
pub(crate) struct Wav<'a> {
    pub(crate) rate: u32,
    channels: usize,
    format: SampleFormat,
    /// The `data` chunk's payload, cut to whole frames.
    data: &'a [u8],
}

impl Wav<'_> {
    fn block_align(&self) -> usize {
        self.channels * self.format.bytes()
    }

    pub(crate) fn frames(&self) -> u64 {
        (self.data.len() / self.block_align()) as u64
    }

    fn decode(&self, sink: &mut dyn FnMut(&[f32]) -> Result<(), String>) -> Result<(), String> {
        let width = self.format.bytes();
        let scale = 1.0 / self.channels as f32;
        let mut mono = Vec::with_capacity(CHUNK);
        for frame in self.data.chunks_exact(self.block_align()) {
            let sum: f32 = frame
                .chunks_exact(width)
                .map(|s| self.format.sample(s))
                .sum();
            mono.push(sum * scale);
            if mono.len() == CHUNK {
                sink(&mono)?;
                mono.clear();
            }
        }
        if !mono.is_empty() {
            sink(&mono)?;
        }
        Ok(())
    }
}

impl SampleFormat {
    fn bytes(self) -> usize {
        match self {
            SampleFormat::U8 => 1,
            SampleFormat::I16 => 2,
            SampleFormat::I24 => 3,
            SampleFormat::I32 | SampleFormat::F32 => 4,
            SampleFormat::F64 => 8,
        }
    }

    /// One sample as -1.0..1.0; `s` is exactly `self.bytes()` long (from `chunks_exact`).
    fn sample(self, s: &[u8]) -> f32 {
        let b = |i: usize| s.get(i).copied().unwrap_or(0);
        let v = match self {
            SampleFormat::U8 => (f32::from(b(0)) - 128.0) / 128.0,
            SampleFormat::I16 => f32::from(i16::from_le_bytes([b(0), b(1)])) / 32768.0,
            SampleFormat::I24 => {
                (i32::from_le_bytes([0, b(0), b(1), b(2)]) >> 8) as f32 / 8_388_608.0
            }
            SampleFormat::I32 => {
                i32::from_le_bytes([b(0), b(1), b(2), b(3)]) as f32 / 2_147_483_648.0
            }
            SampleFormat::F32 => f32::from_le_bytes([b(0), b(1), b(2), b(3)]),
            SampleFormat::F64 => {
                f64::from_le_bytes([b(0), b(1), b(2), b(3), b(4), b(5), b(6), b(7)]) as f32
            }
        };
        // NaN or huge floats would poison the encoder's state: clamp to full scale.
        if v.is_finite() {
            v.clamp(-1.0, 1.0)
        } else {
            0.0
        }
    }
}

/// Parses a RIFF/WAVE file's chunks. The length comes from the `data` chunk's size, so a file cut
/// short is an error rather than a shorter recording.
pub(crate) fn parse_wav(bytes: &[u8]) -> Result<Wav<'_>, String> {
    let mut at = 12;
    let mut fmt: Option<(u32, usize, SampleFormat)> = None;
    loop {
        let (Some(id), Some(size)) = (bytes.sub(at, 4), bytes.u32le(at + 4)) else {
            return Err(if fmt.is_some() {
                "the WAV file has no `data` chunk".to_string()
            } else {
                "the WAV file has no `fmt ` chunk".to_string()
            });
        };
        let body = at + 8;
        let size = size as usize;
        if id == b"fmt " {
            let f = bytes
                .sub(body, size.min(40))
                .filter(|f| f.len() >= 16)
                .ok_or("the WAV file ends inside its `fmt ` chunk")?;
            fmt = Some(parse_fmt(f)?);
        } else if id == b"data" {
            let (rate, channels, format) =
                fmt.ok_or("the WAV file's `data` comes before its `fmt `")?;
            // 0xFFFFFFFF is what recorders write while still recording; take the rest.
            let data = if size == u32::MAX as usize {
                bytes.get(body..).unwrap_or(&[])
            } else {
                bytes
                    .sub(body, size)
                    .ok_or("the WAV file ends inside its `data` chunk")?
            };
            let align = channels * format.bytes();
            let data = data.get(..data.len() / align * align).unwrap_or(&[]);
            return Ok(Wav {
                rate,
                channels,
                format,
                data,
            });
        }
        at = body
            .checked_add(size + (size & 1))
            .ok_or("the WAV file's chunk sizes are corrupt")?;
    }
}

fn parse_fmt(f: &[u8]) -> Result<(u32, usize, SampleFormat), String> {
    let get = |v: Option<u16>| v.ok_or("the WAV file's `fmt ` chunk is too short");
    let mut tag = get(f.u16le(0))?;
    let channels = usize::from(get(f.u16le(2))?);
    let rate = f.u32le(4).unwrap_or(0);
    let bits = get(f.u16le(14))?;
    if tag == 0xFFFE {
        // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the SubFormat GUID.
        tag = f
            .u16le(24)
            .ok_or("the WAV file's extensible `fmt ` chunk is too short")?;
    }
    let format = match (tag, bits) {
        (1, 8) => SampleFormat::U8,
        (1, 16) => SampleFormat::I16,
        (1, 24) => SampleFormat::I24,
        (1, 32) => SampleFormat::I32,
        (3, 32) => SampleFormat::F32,
        (3, 64) => SampleFormat::F64,
        (1 | 3, _) => return Err(format!("{bits}-bit WAV files are not supported")),
        _ => {
            return Err(format!(
                "this WAV file is compressed (format {tag:#06x}); export it as PCM WAV or FLAC"
            ))
        }
    };
    if channels == 0 {
        return Err("the WAV file says it has no channels".to_string());
    }
    check_rate(rate)?;
    Ok((rate, channels, format))
}

/// Rates outside 8–192 kHz are not recordings of a voice; refusing them also bounds the
/// resampler's filter size.
fn check_rate(rate: u32) -> Result<(), String> {
    if (8000..=192_000).contains(&rate) {
        Ok(())
    } else {
        Err(format!(
            "the sample rate {rate} Hz is not supported (8000 to 192000 Hz)"
        ))
    }
}

/// A FLAC stream: its STREAMINFO and the whole file for symphonia's reader.
pub(crate) struct Flac<'a> {
    rate: u32,
    pub(crate) frames: u64,
    bytes: &'a [u8],
}

/// Reads STREAMINFO if `bytes` is FLAC (after an optional ID3v2 tag); `Ok(None)` if it is not.
pub(crate) fn parse_flac(bytes: &[u8]) -> Result<Option<Flac<'_>>, String> {
    let start = super::probe::skip_id3(bytes);
    let Some(b) = bytes.get(start..).filter(|b| b.starts_with(b"fLaC")) else {
        return Ok(None);
    };
    // The first metadata block is STREAMINFO (type 0), 34 bytes.
    let info = b
        .sub(8, 34)
        .filter(|_| b.get(4).map(|t| t & 0x7F) == Some(0))
        .ok_or("the FLAC file's STREAMINFO is missing or cut short")?;
    let packed = info.u64be(10).unwrap_or(0);
    let rate = (packed >> 44) as u32;
    let frames = packed & 0xF_FFFF_FFFF;
    check_rate(rate)?;
    if frames == 0 {
        // A streamed FLAC without a length; refusing it keeps duration and limits exact.
        return Err("the FLAC file does not state its length; re-export it".to_string());
    }
    Ok(Some(Flac {
        rate,
        frames,
        bytes,
    }))
}

impl Flac<'_> {
    fn decode(&self, sink: &mut dyn FnMut(&[f32]) -> Result<(), String>) -> Result<(), String> {
        // symphonia's MediaSource must be 'static, hence the copy (bounded by MAX_INPUT_BYTES).
        let mss = MediaSourceStream::new(
            Box::new(Cursor::new(self.bytes.to_vec())),
            Default::default(),
        );
        let mut reader =
            symphonia::default::formats::FlacReader::try_new(mss, &FormatOptions::default())
                .map_err(|e| format!("the FLAC file cannot be read: {}", lower(&e)))?;
        let track = reader
            .default_track()
            .ok_or("the FLAC file has no audio stream")?;
        let params = track.codec_params.clone();
        let mut decoder = symphonia::default::codecs::FlacDecoder::try_new(
            &params,
            // verify: compare the decoded audio against STREAMINFO's MD5 at the end.
            &DecoderOptions { verify: true },
        )
        .map_err(|e| format!("the FLAC file cannot be decoded: {}", lower(&e)))?;

        let mut done: u64 = 0;
        let mut buf: Option<SampleBuffer<f32>> = None;
        let mut mono = Vec::with_capacity(CHUNK);
        loop {
            let packet = match reader.next_packet() {
                Ok(p) => p,
                Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                Err(_) => return Err(format!("the FLAC stream is corrupt at sample {done}")),
            };
            // The reader skips a damaged frame and resyncs; a gap in the timestamps is that.
            if packet.ts() != done {
                return Err(format!("the FLAC stream is corrupt at sample {done}"));
            }
            let decoded = decoder
                .decode(&packet)
                .map_err(|_| format!("the FLAC stream is corrupt at sample {done}"))?;
            let spec = *decoded.spec();
            let channels = spec.channels.count().max(1);
            let need = decoded.capacity() as u64;
            if buf.as_ref().is_none_or(|b| (b.capacity() as u64) < need) {
                buf = Some(SampleBuffer::new(need, spec));
            }
            let Some(b) = buf.as_mut() else { continue };
            b.copy_interleaved_ref(decoded);
            let scale = 1.0 / channels as f32;
            for frame in b.samples().chunks_exact(channels) {
                mono.push(frame.iter().sum::<f32>() * scale);
            }
            done += (b.samples().len() / channels) as u64;
            if done > self.frames {
                return Err(format!(
                    "the FLAC stream holds more than the {} samples its header states",
                    self.frames
                ));
            }
            sink(&mono)?;
            mono.clear();
        }
        if done < self.frames {
            return Err(format!(
                "the FLAC file ends early, at sample {done} of {}",
                self.frames
            ));
        }
        if !decoder.finalize().verify_ok.unwrap_or(true) {
            return Err("the FLAC stream is corrupt: its checksum does not match".to_string());
        }
        Ok(())
    }
}

/// symphonia's messages, in the module's one-lower-case-line style.
fn lower(e: &SymError) -> String {
    e.to_string().to_lowercase()
}
