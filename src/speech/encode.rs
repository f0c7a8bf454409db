//! Mono samples to Opus packets: resample to a rate libopus takes, cut 20 ms frames, encode, and
//! pad the end so that, after the pre-skip is dropped, exactly the input's length is left.

use rubato::{FftFixedIn, Resampler};

/// The bitrate for speech: wideband-to-fullband, clear voice at about 180 kB a minute.
pub(crate) const TARGET_BITRATE: i32 = 24_000;
/// libopus's floor; small inputs (8 kHz mono) get a rate between this and the target.
pub(crate) const MIN_BITRATE: i32 = 6_000;
/// The application, named in [`super::encoder_id`].
pub(crate) const APPLICATION_NAME: &str = "voip";
const APPLICATION: opus::Application = opus::Application::Voip;

/// The Opus timeline's rate: pre-skip, granules and WebM timestamps count 48 kHz samples.
pub(crate) const OPUS_RATE: u32 = 48_000;
/// Resampler input chunk, in frames.
const RESAMPLE_CHUNK: usize = 1024;
/// An Opus packet is at most 1275 bytes per frame; 4000 is libopus's recommended buffer.
const MAX_PACKET: usize = 4000;

/// The encoder's result, ready to mux.
pub(crate) struct Encoded {
    /// One packet per frame.
    pub(crate) packets: Vec<Vec<u8>>,
    /// A packet's length in 48 kHz samples (960 for 20 ms).
    pub(crate) frame_48k: u64,
    /// Samples at 48 kHz to drop from the start (the encoder's lookahead).
    pub(crate) pre_skip: u64,
    /// The recording's length in 48 kHz samples.
    pub(crate) samples_48k: u64,
    /// The input's rate, recorded in the OpusHead for information only.
    pub(crate) input_rate: u32,
}

/// Streams mono input through an optional resampler into libopus.
pub(crate) struct Pipeline {
    input_rate: u32,
    encoder: opus::Encoder,
    /// Rate libopus runs at: the input's if libopus takes it natively, else 48 kHz.
    encoder_rate: u32,
    resampler: Option<FftFixedIn<f32>>,
    /// Input waiting for a full resampler chunk.
    pending_in: Vec<f32>,
    /// Resampler output still to drop (its delay), so the timeline is not shifted.
    resampler_skip: usize,
    /// Samples at `encoder_rate` waiting for a full frame.
    frame: Vec<f32>,
    frame_len: usize,
    packets: Vec<Vec<u8>>,
    /// Samples (at `encoder_rate`) handed to libopus so far, real or padding.
    fed: u64,
    /// Samples (at `encoder_rate`) the resampler produced from real input so far.
    produced: u64,
    /// The expected length at `encoder_rate`.
    expected: u64,
    samples_48k: u64,
}

impl Pipeline {
    /// A pipeline for `frames` samples at `input_rate`, encoding at `bitrate` bit/s in frames of
    /// `frame_ms` (20, or 60 when the budget is so small that each block's ~6 bytes of WebM
    /// framing would matter and libopus codes long frames more efficiently).
    pub(crate) fn new(
        input_rate: u32,
        frames: u64,
        bitrate: i32,
        frame_ms: u32,
    ) -> Result<Self, String> {
        let native = matches!(input_rate, 8000 | 12000 | 16000 | 24000 | 48000);
        let encoder_rate = if native { input_rate } else { OPUS_RATE };
        let fail = |e: opus::Error| format!("the opus encoder failed: {e}");
        let mut encoder =
            opus::Encoder::new(encoder_rate, opus::Channels::Mono, APPLICATION).map_err(fail)?;
        encoder
            .set_bitrate(opus::Bitrate::Bits(bitrate))
            .map_err(fail)?;
        encoder.set_vbr(true).map_err(fail)?;
        encoder.set_vbr_constraint(false).map_err(fail)?;
        encoder.set_complexity(10).map_err(fail)?;
        encoder.set_signal(opus::Signal::Voice).map_err(fail)?;
        let duration = match frame_ms {
            60 => opus::FrameSize::Ms60,
            _ => opus::FrameSize::Ms20,
        };
        encoder.set_expert_frame_duration(duration).map_err(fail)?;
        let resampler = if native {
            None
        } else {
            Some(
                FftFixedIn::<f32>::new(
                    input_rate as usize,
                    OPUS_RATE as usize,
                    RESAMPLE_CHUNK,
                    2,
                    1,
                )
                .map_err(|e| format!("the resampler cannot convert {input_rate} Hz: {e}"))?,
            )
        };
        let resampler_skip = resampler.as_ref().map_or(0, |r| r.output_delay());
        // Rounded, so the length is exact to within half a sample at 48 kHz.
        let samples_48k = (u128::from(frames) * u128::from(OPUS_RATE) + u128::from(input_rate / 2))
            / u128::from(input_rate.max(1));
        let samples_48k = u64::try_from(samples_48k).map_err(|_| "the recording is too long")?;
        let expected = samples_48k * u64::from(encoder_rate) / u64::from(OPUS_RATE);
        Ok(Pipeline {
            input_rate,
            encoder,
            encoder_rate,
            resampler,
            pending_in: Vec::new(),
            resampler_skip,
            frame: Vec::new(),
            frame_len: (encoder_rate / 1000 * frame_ms) as usize,
            packets: Vec::new(),
            fed: 0,
            produced: 0,
            expected,
            samples_48k,
        })
    }

    /// Feeds mono samples at the input rate.
    pub(crate) fn push(&mut self, mono: &[f32]) -> Result<(), String> {
        if self.resampler.is_none() {
            self.produced += mono.len() as u64;
            return self.push_encoder_rate(mono);
        }
        self.pending_in.extend_from_slice(mono);
        while self.pending_in.len() >= RESAMPLE_CHUNK {
            let chunk: Vec<f32> = self.pending_in.drain(..RESAMPLE_CHUNK).collect();
            self.resample(Some(&chunk))?;
        }
        Ok(())
    }

    fn resample(&mut self, chunk: Option<&[f32]>) -> Result<(), String> {
        let Some(r) = self.resampler.as_mut() else {
            return Ok(());
        };
        let out = match chunk {
            Some(c) if c.len() == RESAMPLE_CHUNK => r.process(&[c], None),
            Some(c) => r.process_partial(Some(&[c]), None),
            None => r.process_partial::<&[f32]>(None, None),
        }
        .map_err(|e| format!("the resampler failed: {e}"))?;
        let out = out.into_iter().next().unwrap_or_default();
        let skip = self.resampler_skip.min(out.len());
        self.resampler_skip -= skip;
        let out = out.get(skip..).unwrap_or(&[]);
        // Never more than the input's length: the flush produces a tail of filter ringing.
        let room = self.expected.saturating_sub(self.produced) as usize;
        let out = out.get(..out.len().min(room)).unwrap_or(&[]);
        self.produced += out.len() as u64;
        self.push_encoder_rate(out)
    }

    fn push_encoder_rate(&mut self, samples: &[f32]) -> Result<(), String> {
        for &s in samples {
            self.frame.push(s);
            if self.frame.len() == self.frame_len {
                self.encode_frame()?;
            }
        }
        Ok(())
    }

    fn encode_frame(&mut self) -> Result<(), String> {
        let mut out = vec![0u8; MAX_PACKET];
        let n = self
            .encoder
            .encode_float(&self.frame, &mut out)
            .map_err(|e| format!("the opus encoder failed: {e}"))?;
        out.truncate(n);
        self.packets.push(out);
        self.fed += self.frame.len() as u64;
        self.frame.clear();
        Ok(())
    }

    /// Flushes the resampler, pads with silence until the last real sample is out of the
    /// encoder's lookahead, and returns the packets.
    pub(crate) fn finish(mut self) -> Result<Encoded, String> {
        let fail = |e: opus::Error| format!("the opus encoder failed: {e}");
        if self.resampler.is_some() {
            let rest = std::mem::take(&mut self.pending_in);
            if !rest.is_empty() {
                self.resample(Some(&rest))?;
            }
            // The resampler holds back its delay's worth; flush until the length is reached
            // (bounded: each flush yields a full chunk of output).
            for _ in 0..64 {
                if self.produced >= self.expected {
                    break;
                }
                self.resample(None)?;
            }
        }
        // Whatever the resampler fell short by (never more than a rounding) becomes silence.
        let short = self.expected.saturating_sub(self.produced) as usize;
        let silence = vec![0.0; short];
        self.push_encoder_rate(&silence)?;

        let lookahead = u64::try_from(self.encoder.get_lookahead().map_err(fail)?).unwrap_or(0);
        let per_sample_48k = u64::from(OPUS_RATE / self.encoder_rate);
        let pre_skip = lookahead * per_sample_48k;
        // Encode until real input plus lookahead has gone through: pad the last frame with zeros.
        let needed = self.expected + lookahead;
        while self.fed + (self.frame.len() as u64) < needed || !self.frame.is_empty() {
            let missing = self.frame_len - self.frame.len();
            self.frame.resize(self.frame.len() + missing, 0.0);
            self.encode_frame()?;
        }
        Ok(Encoded {
            packets: self.packets,
            frame_48k: self.frame_len as u64 * per_sample_48k,
            pre_skip,
            samples_48k: self.samples_48k,
            input_rate: self.input_rate,
        })
    }
}
