//! Exact durations, from sample counts wherever the container states them.
//!
//! | format | source of the duration |
//! | --- | --- |
//! | WAV | `data` size / block align / rate |
//! | FLAC | STREAMINFO total samples / rate (the stream is decoded too, to catch corruption) |
//! | Ogg Opus / Vorbis | last page's granule position (less Opus pre-skip) / 48 kHz or the rate |
//! | WebM | Info/Duration × TimecodeScale, else the end of the last block |
//! | MP4 / M4A | the sound track's edit list (priming and padding excluded), else `mdhd` |
//! | MP3 | every frame counted by symphonia's demuxer, less the LAME tag's delay and padding |
//! | ADTS AAC | every frame header walked, less the usual 1024 samples of priming |

use super::decode::{open, parse_flac, parse_wav, Source};
use super::{webm, Bytes};
use std::io::Cursor;
use std::time::Duration;
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::{FormatOptions, FormatReader as _};
use symphonia::core::io::MediaSourceStream;

/// Dispatches on the file's magic bytes.
pub(crate) fn duration(b: &[u8]) -> Result<Duration, String> {
    if b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WAVE") {
        let w = parse_wav(b)?;
        return Ok(from_samples(w.frames(), w.rate));
    }
    if b.starts_with(b"OggS") {
        return ogg(b);
    }
    if b.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return webm::duration(b);
    }
    if b.get(4..8) == Some(b"ftyp") {
        return mp4(b);
    }
    if parse_flac(b)?.is_some() {
        // Decoding checks every frame's CRC and the MD5, so a cut or damaged file is an error
        // rather than a duration the player will not reach.
        let source = open(b)?;
        if let Source::Flac(f) = &source {
            super::check_length(f.frames, source.rate())?;
        }
        source.decode(&mut |_| Ok(()))?;
        return Ok(from_samples(source.frames(), source.rate()));
    }
    let at = skip_id3(b);
    match (b.get(at), b.get(at + 1)) {
        // ADTS: 12-bit sync, layer 00.
        (Some(0xFF), Some(&x)) if x & 0xF6 == 0xF0 => adts(b, at),
        // MPEG audio: 11-bit sync, layer not 00.
        (Some(0xFF), Some(&x)) if x & 0xE0 == 0xE0 && x & 0x06 != 0 => mp3(b),
        _ => Err(
            "this is not a recording in a known format (mp3, m4a, aac, ogg, opus, flac, wav, webm)"
                .to_string(),
        ),
    }
}

/// The length of an ID3v2 tag at the start (0 if none): MP3s and some FLACs carry one.
pub(crate) fn skip_id3(b: &[u8]) -> usize {
    if !b.starts_with(b"ID3") {
        return 0;
    }
    let (Some(&flags), Some(size)) = (b.get(5), b.sub(6, 4)) else {
        return 0;
    };
    // Sync-safe: 7 bits a byte.
    let size = size
        .iter()
        .fold(0usize, |v, &x| (v << 7) | usize::from(x & 0x7F));
    10 + size + if flags & 0x10 != 0 { 10 } else { 0 }
}

fn from_samples(samples: u64, rate: u32) -> Duration {
    let rate = u64::from(rate.max(1));
    let nanos = u128::from(samples % rate) * 1_000_000_000 / u128::from(rate);
    Duration::new(samples / rate, nanos as u32)
}

/// Ogg: checks every page (capture pattern, length, CRC) of the first logical stream, then takes
/// its last granule position.
fn ogg(b: &[u8]) -> Result<Duration, String> {
    let table = crc_table();
    let cut = || "the Ogg file is cut short".to_string();
    let mut at = 0;
    let mut serial = None;
    let mut codec: Option<(u64, u32)> = None; // (pre-skip, rate)
    let mut last_granule: Option<u64> = None;
    while at < b.len() {
        if b.sub(at, 4) != Some(b"OggS") {
            return Err(format!("the Ogg file is corrupt at byte {at}"));
        }
        let nseg = usize::from(*b.get(at + 26).ok_or_else(cut)?);
        let table_bytes = b.sub(at + 27, nseg).ok_or_else(cut)?;
        let body_len: usize = table_bytes.iter().map(|&x| usize::from(x)).sum();
        let page = b.sub(at, 27 + nseg + body_len).ok_or_else(cut)?;
        let stored = page.u32le(22).unwrap_or(0);
        if ogg_crc(&table, page) != stored {
            return Err(format!("the Ogg file is corrupt at byte {at}"));
        }
        let granule = page
            .sub(6, 8)
            .map(|g| i64::from_le_bytes(g.try_into().unwrap_or([0; 8])));
        let this = page.u32le(14);
        let body = page.get(27 + nseg..).unwrap_or(&[]);
        if serial.is_none() {
            serial = this;
            codec = if body.starts_with(b"OpusHead") {
                Some((u64::from(body.u16le(10).unwrap_or(0)), 48_000))
            } else if body.starts_with(b"\x01vorbis") {
                Some((0, body.u32le(12).unwrap_or(0)))
            } else {
                return Err("the Ogg file holds neither opus nor vorbis audio".to_string());
            };
        }
        if this == serial {
            if let Some(g) = granule.filter(|&g| g >= 0) {
                last_granule = Some(g as u64);
            }
        }
        at += page.len();
    }
    let (pre_skip, rate) = codec.ok_or_else(cut)?;
    if rate == 0 {
        return Err("the Ogg vorbis header states no sample rate".to_string());
    }
    let granule = last_granule.ok_or("the Ogg file holds no audio")?;
    Ok(from_samples(granule.saturating_sub(pre_skip), rate))
}

fn crc_table() -> [u32; 256] {
    let mut t = [0u32; 256];
    for (i, e) in t.iter_mut().enumerate() {
        let mut r = (i as u32) << 24;
        for _ in 0..8 {
            r = if r & 0x8000_0000 != 0 {
                (r << 1) ^ 0x04C1_1DB7
            } else {
                r << 1
            };
        }
        *e = r;
    }
    t
}

/// Ogg's CRC-32 (polynomial 0x04C11DB7, no reflection) over the page with its CRC field zeroed.
fn ogg_crc(t: &[u32; 256], page: &[u8]) -> u32 {
    page.iter().enumerate().fold(0u32, |crc, (i, &x)| {
        let x = if (22..26).contains(&i) { 0 } else { x };
        (crc << 8) ^ t[usize::from(((crc >> 24) as u8) ^ x)]
    })
}

/// Iterates over the boxes in `b`: (type, payload). Err if a box runs past the end.
fn mp4_boxes(b: &[u8]) -> impl Iterator<Item = Result<([u8; 4], &[u8]), String>> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        if at >= b.len() {
            return None;
        }
        let cut = || Err("the MP4 file is cut short or corrupt".to_string());
        let (Some(size), Some(kind)) = (b.u32be(at), b.sub(at + 4, 4)) else {
            at = b.len();
            return Some(cut());
        };
        let kind: [u8; 4] = kind.try_into().unwrap_or(*b"????");
        let (header, size) = match size {
            0 => (8, (b.len() - at) as u64),
            1 => match b.u64be(at + 8) {
                Some(s) => (16, s),
                None => {
                    at = b.len();
                    return Some(cut());
                }
            },
            s => (8, u64::from(s)),
        };
        let end = usize::try_from(size).ok().and_then(|s| at.checked_add(s));
        match end.filter(|&e| e <= b.len() && size >= header as u64) {
            Some(e) => {
                let payload = b.get(at + header..e).unwrap_or(&[]);
                at = e;
                Some(Ok((kind, payload)))
            }
            None => {
                at = b.len();
                Some(cut())
            }
        }
    })
}

fn child<'a>(b: &'a [u8], kind: &[u8; 4]) -> Result<Option<&'a [u8]>, String> {
    for r in mp4_boxes(b) {
        let (k, p) = r?;
        if &k == kind {
            return Ok(Some(p));
        }
    }
    Ok(None)
}

/// (timescale, duration) of an `mvhd` or `mdhd` full box.
fn mp4_time(p: &[u8]) -> Option<(u64, u64)> {
    if *p.first()? == 1 {
        Some((u64::from(p.u32be(20)?), p.u64be(24)?))
    } else {
        Some((u64::from(p.u32be(12)?), u64::from(p.u32be(16)?)))
    }
}

/// MP4/M4A: the first sound track's presentation length. Its edit list excludes the AAC encoder's
/// priming and padding, as ffprobe's duration does; without one, the media duration.
fn mp4(b: &[u8]) -> Result<Duration, String> {
    // Walking every top-level box checks that none is cut short (a truncated `mdat`).
    let mut moov = None;
    for r in mp4_boxes(b) {
        let (k, p) = r?;
        if &k == b"moov" {
            moov = Some(p);
        }
    }
    let moov = moov.ok_or("the MP4 file has no `moov` box (cut short, or still recording)")?;
    let (movie_scale, _) = child(moov, b"mvhd")?
        .and_then(mp4_time)
        .ok_or("the MP4 file's `mvhd` box is corrupt")?;
    for r in mp4_boxes(moov) {
        let (k, trak) = r?;
        if &k != b"trak" {
            continue;
        }
        let Some(mdia) = child(trak, b"mdia")? else {
            continue;
        };
        let is_sound = child(mdia, b"hdlr")?.and_then(|h| h.sub(8, 4)) == Some(b"soun");
        if !is_sound {
            continue;
        }
        let (scale, dur) = child(mdia, b"mdhd")?
            .and_then(mp4_time)
            .ok_or("the MP4 file's `mdhd` box is corrupt")?;
        if let Some(elst) = child(trak, b"edts")?
            .map(|e| child(e, b"elst"))
            .transpose()?
            .flatten()
        {
            if let Some(d) = edit_list(elst, movie_scale) {
                return Ok(d);
            }
        }
        if scale == 0 || dur == 0 {
            return Err(
                "the MP4 file states no duration (fragmented MP4 is not supported)".to_string(),
            );
        }
        return Ok(ticks(dur, scale));
    }
    Err("the MP4 file has no audio track".to_string())
}

/// The sum of an edit list's non-empty edits, in the movie's timescale; `None` if it says nothing.
fn edit_list(p: &[u8], movie_scale: u64) -> Option<Duration> {
    let version = *p.first()?;
    let count = p.u32be(4)? as usize;
    let entry = if version == 1 { 20 } else { 12 };
    let mut total: u64 = 0;
    for i in 0..count.min(p.len() / entry) {
        let e = 8 + i * entry;
        let (dur, media_time) = if version == 1 {
            (p.u64be(e)?, p.u64be(e + 8)? as i64)
        } else {
            (u64::from(p.u32be(e)?), i64::from(p.u32be(e + 4)? as i32))
        };
        if media_time >= 0 {
            total = total.checked_add(dur)?;
        }
    }
    (total > 0 && movie_scale > 0).then(|| ticks(total, movie_scale))
}

fn ticks(n: u64, scale: u64) -> Duration {
    let nanos = u128::from(n % scale) * 1_000_000_000 / u128::from(scale);
    Duration::new(n / scale, nanos as u32)
}

/// Raw ADTS AAC: walks every frame header (each states its length), so a cut frame is an error.
/// ADTS cannot state the encoder's priming; AAC-LC encoders (ffmpeg's, fdk) prime with 1024
/// samples, which are taken off.
fn adts(b: &[u8], mut at: usize) -> Result<Duration, String> {
    const RATES: [u32; 13] = [
        96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
    ];
    let mut rate = 0;
    let mut samples: u64 = 0;
    let mut frames: u64 = 0;
    while at < b.len() {
        // An ID3v1 tag may close the file.
        if b.get(at..)
            .is_some_and(|r| r.len() == 128 && r.starts_with(b"TAG"))
        {
            break;
        }
        let h = b
            .sub(at, 7)
            .ok_or_else(|| format!("the AAC file is cut short in frame {frames}"))?;
        if h[0] != 0xFF || h[1] & 0xF6 != 0xF0 {
            return Err(format!("the AAC file is corrupt at frame {frames}"));
        }
        let r = *RATES
            .get(usize::from((h[2] >> 2) & 0xF))
            .ok_or_else(|| format!("the AAC file is corrupt at frame {frames}"))?;
        rate = if rate == 0 { r } else { rate };
        let len = (usize::from(h[3] & 3) << 11) | (usize::from(h[4]) << 3) | usize::from(h[5] >> 5);
        if len < 7 {
            return Err(format!("the AAC file is corrupt at frame {frames}"));
        }
        if at + len > b.len() {
            return Err(format!("the AAC file is cut short in frame {frames}"));
        }
        samples += 1024 * (u64::from(h[6] & 3) + 1);
        frames += 1;
        at += len;
    }
    if frames == 0 {
        return Err("the AAC file holds no audio".to_string());
    }
    Ok(from_samples(samples.saturating_sub(1024), rate))
}

/// MP3 has no length field worth trusting (a Xing header is optional), so count every frame with
/// symphonia's demuxer, without decoding, less the delay and padding a LAME tag states.
fn mp3(b: &[u8]) -> Result<Duration, String> {
    let name = "MP3";
    let corrupt = || format!("the {name} file is corrupt");
    let mss = MediaSourceStream::new(Box::new(Cursor::new(b.to_vec())), Default::default());
    // Gapless trimming is done here from the LAME tag: symphonia 0.5's trims come out ~500
    // samples short of the encoder's stated delay + padding.
    let opts = FormatOptions::default();
    let mut reader =
        symphonia::default::formats::MpaReader::try_new(mss, &opts).map_err(|_| corrupt())?;
    let track = reader.default_track().ok_or_else(corrupt)?;
    let rate = track
        .codec_params
        .sample_rate
        .filter(|&r| r > 0)
        .ok_or_else(corrupt)?;
    let stated = track.codec_params.n_frames;
    let mut samples: u64 = 0;
    let mut packets: u64 = 0;
    loop {
        match reader.next_packet() {
            Ok(p) => {
                samples += p.dur;
                packets += 1;
            }
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(_) => return Err(format!("{} at frame {packets}", corrupt())),
        }
    }
    if packets == 0 {
        return Err(format!("the {name} file holds no audio"));
    }
    // A Xing/Info header states the length: fewer samples than that means the file was cut.
    if let Some(n) = stated {
        if samples + 1152 < n {
            return Err(format!(
                "the {name} file is cut short ({samples} of {n} samples)"
            ));
        }
    }
    samples = samples.saturating_sub(lame_trim(b).unwrap_or(0));
    Ok(from_samples(samples, rate))
}

/// The encoder delay plus padding a LAME (or ffmpeg) tag states, in samples: the silence that
/// gapless players, and ffmpeg, drop from the start and end.
fn lame_trim(b: &[u8]) -> Option<u64> {
    let at = skip_id3(b);
    let h = b.u32be(at)?;
    let mpeg1 = (h >> 19) & 3 == 3;
    let mono = (h >> 6) & 3 == 3;
    let side = match (mpeg1, mono) {
        (true, false) => 32,
        (true, true) | (false, false) => 17,
        (false, true) => 9,
    };
    let x = at + 4 + side;
    if !matches!(b.sub(x, 4)?, b"Xing" | b"Info") {
        return None;
    }
    let flags = b.u32be(x + 4)?;
    // Optional fields: frames (4), bytes (4), TOC (100), quality (4); the LAME extension follows.
    let ext = x
        + 8
        + [(1, 4), (2, 4), (4, 100), (8, 4)]
            .iter()
            .filter(|(bit, _)| flags & bit != 0)
            .map(|(_, len)| len)
            .sum::<usize>();
    let name = b.sub(ext, 4)?;
    if !name.iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    let t = b.sub(ext + 21, 3)?;
    let delay = (u64::from(t[0]) << 4) | (u64::from(t[1]) >> 4);
    let padding = ((u64::from(t[1]) & 0xF) << 8) | u64::from(t[2]);
    Some(delay + padding)
}
