//! A minimal WebM (Matroska/EBML) muxer for one Opus track, and a reader for its duration.
//!
//! Written by hand because the layout is small and fixed, and because it must be deterministic:
//! no SegmentUID, no DateUTC, nothing from the clock. The layout is ffmpeg's for Opus:
//!
//! ```text
//! EBML header (DocType webm)
//! Segment (size known)
//!   SeekHead  -> Info, Tracks, Cues (positions as 8-byte uints, so its size is fixed)
//!   Info      TimecodeScale 1 ms, Duration (float, ms), MuxingApp/WritingApp
//!   Tracks    one TrackEntry: A_OPUS, CodecPrivate = OpusHead, CodecDelay, SeekPreRoll 80 ms
//!   Cluster*  every 250 packets: Timecode, SimpleBlocks of 20 ms (60 ms for tiny budgets); the last packet in a BlockGroup
//!             with DiscardPadding, so players trim the padding of the final frame
//!   Cues      one CuePoint per Cluster, so a browser seeks with a Range request
//! ```

use super::encode::{Encoded, OPUS_RATE};
use super::Bytes;
use std::time::Duration;

const EBML: u32 = 0x1A45_DFA3;
const EBML_VERSION: u32 = 0x4286;
const EBML_READ_VERSION: u32 = 0x42F7;
const EBML_MAX_ID_LENGTH: u32 = 0x42F2;
const EBML_MAX_SIZE_LENGTH: u32 = 0x42F3;
const DOC_TYPE: u32 = 0x4282;
const DOC_TYPE_VERSION: u32 = 0x4287;
const DOC_TYPE_READ_VERSION: u32 = 0x4285;
const SEGMENT: u32 = 0x1853_8067;
const SEEK_HEAD: u32 = 0x114D_9B74;
const SEEK: u32 = 0x4DBB;
const SEEK_ID: u32 = 0x53AB;
const SEEK_POSITION: u32 = 0x53AC;
const INFO: u32 = 0x1549_A966;
const TIMECODE_SCALE: u32 = 0x2A_D7B1;
const DURATION: u32 = 0x4489;
const MUXING_APP: u32 = 0x4D80;
const WRITING_APP: u32 = 0x5741;
const TRACKS: u32 = 0x1654_AE6B;
const TRACK_ENTRY: u32 = 0xAE;
const TRACK_NUMBER: u32 = 0xD7;
const TRACK_UID: u32 = 0x73C5;
const TRACK_TYPE: u32 = 0x83;
const FLAG_LACING: u32 = 0x9C;
const CODEC_ID: u32 = 0x86;
const CODEC_PRIVATE: u32 = 0x63A2;
const CODEC_DELAY: u32 = 0x56AA;
const SEEK_PRE_ROLL: u32 = 0x56BB;
const AUDIO: u32 = 0xE1;
const SAMPLING_FREQUENCY: u32 = 0xB5;
const CHANNELS: u32 = 0x9F;
const CLUSTER: u32 = 0x1F43_B675;
const TIMECODE: u32 = 0xE7;
const SIMPLE_BLOCK: u32 = 0xA3;
const BLOCK_GROUP: u32 = 0xA0;
const BLOCK: u32 = 0xA1;
const DISCARD_PADDING: u32 = 0x75A2;
const CUES: u32 = 0x1C53_BB6B;
const CUE_POINT: u32 = 0xBB;
const CUE_TIME: u32 = 0xB3;
const CUE_TRACK_POSITIONS: u32 = 0xB7;
const CUE_TRACK: u32 = 0xF7;
const CUE_CLUSTER_POSITION: u32 = 0xF1;

/// TimecodeScale: block timestamps count milliseconds, and 20 ms frames land on whole ones.
const NS_PER_TICK: u64 = 1_000_000;
/// A new Cluster every 250 packets (5 s of 20 ms packets, 15 s of 60 ms ones): a relative
/// timestamp fits an i16 with room to spare.
const PACKETS_PER_CLUSTER: usize = 250;
/// Opus needs 80 ms of decoding before a seek target to converge (RFC 7845 §4.6).
const SEEK_PRE_ROLL_NS: u64 = 80_000_000;
const APP: &str = "profile speech";

/// Converts 48 kHz samples to nanoseconds, rounded, as ffmpeg does for CodecDelay and
/// DiscardPadding.
fn ns_48k(samples: u64) -> u64 {
    (samples * 1_000_000_000 + u64::from(OPUS_RATE) / 2) / u64::from(OPUS_RATE)
}

/// Muxes the packets into a WebM file with Duration, Cues, CodecDelay and DiscardPadding.
pub(crate) fn mux(e: &Encoded) -> Vec<u8> {
    let header = el(
        EBML,
        &cat(&[
            el_uint(EBML_VERSION, 1),
            el_uint(EBML_READ_VERSION, 1),
            el_uint(EBML_MAX_ID_LENGTH, 4),
            el_uint(EBML_MAX_SIZE_LENGTH, 8),
            el(DOC_TYPE, b"webm"),
            el_uint(DOC_TYPE_VERSION, 4),
            el_uint(DOC_TYPE_READ_VERSION, 2),
        ]),
    );
    let duration_ms = e.samples_48k as f64 * 1000.0 / f64::from(OPUS_RATE);
    let info = el(
        INFO,
        &cat(&[
            el_uint(TIMECODE_SCALE, NS_PER_TICK),
            el(MUXING_APP, APP.as_bytes()),
            el(WRITING_APP, APP.as_bytes()),
            el(DURATION, &duration_ms.to_be_bytes()),
        ]),
    );
    let tracks = el(
        TRACKS,
        &el(
            TRACK_ENTRY,
            &cat(&[
                el_uint(TRACK_NUMBER, 1),
                el_uint(TRACK_UID, 1),
                el_uint(FLAG_LACING, 0),
                el(CODEC_ID, b"A_OPUS"),
                el(CODEC_PRIVATE, &opus_head(e)),
                el_uint(CODEC_DELAY, ns_48k(e.pre_skip)),
                el_uint(SEEK_PRE_ROLL, SEEK_PRE_ROLL_NS),
                el_uint(TRACK_TYPE, 2),
                el(
                    AUDIO,
                    &cat(&[
                        el(SAMPLING_FREQUENCY, &f64::from(OPUS_RATE).to_be_bytes()),
                        el_uint(CHANNELS, 1),
                    ]),
                ),
            ]),
        ),
    );

    // Samples of padding in the last packet, past pre-skip plus the recording.
    let total = e.packets.len() as u64 * e.frame_48k;
    let padding = total.saturating_sub(e.pre_skip + e.samples_48k);

    let mut clusters = Vec::new();
    let mut cue_points = Vec::new();
    let last = e.packets.len().saturating_sub(1);
    for (c, group) in e.packets.chunks(PACKETS_PER_CLUSTER).enumerate() {
        let first = c * PACKETS_PER_CLUSTER;
        let cluster_ms = first as u64 * e.frame_48k * 1000 / u64::from(OPUS_RATE);
        let mut body = el_uint(TIMECODE, cluster_ms);
        for (i, packet) in group.iter().enumerate() {
            let rel = (i as u64 * e.frame_48k * 1000 / u64::from(OPUS_RATE)) as u16;
            if first + i == last && padding > 0 {
                let block = block_payload(rel, 0x00, packet);
                let mut group = el(BLOCK, &block);
                group.extend(el_uint(DISCARD_PADDING, ns_48k(padding)));
                body.extend(el(BLOCK_GROUP, &group));
            } else {
                // 0x80: keyframe; every Opus packet decodes on its own.
                body.extend(el(SIMPLE_BLOCK, &block_payload(rel, 0x80, packet)));
            }
        }
        cue_points.push((cluster_ms, clusters.len() as u64));
        clusters.extend(el(CLUSTER, &body));
    }

    // Segment-relative positions: SeekHead, Info, Tracks, Clusters, Cues. The SeekHead's size does
    // not depend on the positions (fixed-width), so build it once with zeros to learn it.
    let seek_head = |info: u64, tracks: u64, cues: u64| {
        el(
            SEEK_HEAD,
            &cat(&[seek(INFO, info), seek(TRACKS, tracks), seek(CUES, cues)]),
        )
    };
    let head_len = seek_head(0, 0, 0).len() as u64;
    let info_at = head_len;
    let tracks_at = info_at + info.len() as u64;
    let clusters_at = tracks_at + tracks.len() as u64;
    let cues_at = clusters_at + clusters.len() as u64;
    let cues = el(
        CUES,
        &cat(&cue_points
            .iter()
            .map(|&(ms, off)| {
                el(
                    CUE_POINT,
                    &cat(&[
                        el_uint(CUE_TIME, ms),
                        el(
                            CUE_TRACK_POSITIONS,
                            &cat(&[
                                el_uint(CUE_TRACK, 1),
                                el_uint(CUE_CLUSTER_POSITION, clusters_at + off),
                            ]),
                        ),
                    ]),
                )
            })
            .collect::<Vec<_>>()),
    );
    let segment_body = cat(&[
        seek_head(info_at, tracks_at, cues_at),
        info,
        tracks,
        clusters,
        cues,
    ]);

    let mut out = header;
    out.extend(id_bytes(SEGMENT));
    // An 8-byte size, as muxers write it, so the header's length never depends on the content.
    out.push(0x01);
    out.extend(&(segment_body.len() as u64).to_be_bytes()[1..]);
    out.extend(segment_body);
    out
}

/// RFC 7845's identification header: version 1, mono, pre-skip, input rate, no gain, family 0.
fn opus_head(e: &Encoded) -> Vec<u8> {
    let mut h = b"OpusHead".to_vec();
    h.push(1);
    h.push(1);
    h.extend((e.pre_skip.min(u64::from(u16::MAX)) as u16).to_le_bytes());
    h.extend(e.input_rate.to_le_bytes());
    h.extend(0i16.to_le_bytes());
    h.push(0);
    h
}

fn block_payload(rel_ms: u16, flags: u8, packet: &[u8]) -> Vec<u8> {
    let mut b = vec![0x81]; // track 1 as a 1-byte vint
    b.extend(rel_ms.to_be_bytes());
    b.push(flags);
    b.extend_from_slice(packet);
    b
}

fn seek(id: u32, position: u64) -> Vec<u8> {
    el(
        SEEK,
        &cat(&[
            el(SEEK_ID, &id_bytes(id)),
            el(SEEK_POSITION, &position.to_be_bytes()),
        ]),
    )
}

fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

/// An element ID's bytes: IDs carry their own length marker, so drop leading zero bytes.
fn id_bytes(id: u32) -> Vec<u8> {
    let b = id.to_be_bytes();
    let skip = (id.leading_zeros() / 8) as usize;
    b.get(skip..).unwrap_or(&b).to_vec()
}

/// An element: ID, size as the shortest vint, payload.
fn el(id: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = id_bytes(id);
    let len = payload.len() as u64;
    // A vint of n bytes holds 7n bits, less the all-ones value (reserved for "unknown").
    let n = (1..=8u32)
        .find(|&n| len < (1u64 << (7 * n)) - 1)
        .unwrap_or(8);
    let marked = len | (1u64 << (7 * n));
    out.extend(&marked.to_be_bytes()[(8 - n as usize)..]);
    out.extend_from_slice(payload);
    out
}

fn el_uint(id: u32, v: u64) -> Vec<u8> {
    let b = v.to_be_bytes();
    let skip = ((v.leading_zeros() / 8) as usize).min(7);
    el(id, b.get(skip..).unwrap_or(&b))
}

/// Reads an EBML vint at `at`: (value, length). `keep_marker` for IDs. `u64::MAX` for "unknown".
fn vint(b: &[u8], at: usize, keep_marker: bool) -> Option<(u64, usize)> {
    let first = *b.get(at)?;
    let n = first.leading_zeros() as usize + 1;
    if n > 8 {
        return None;
    }
    let mut v = u64::from(first);
    if !keep_marker {
        v &= (1u64 << (8 - n)) - 1;
    }
    let mut all_ones = v == (1u64 << (8 - n)) - 1;
    for i in 1..n {
        let byte = *b.get(at + i)?;
        all_ones &= byte == 0xFF;
        v = (v << 8) | u64::from(byte);
    }
    if !keep_marker && all_ones {
        return Some((u64::MAX, n));
    }
    Some((v, n))
}

fn read_uint(p: &[u8]) -> u64 {
    p.iter().take(8).fold(0, |v, &b| (v << 8) | u64::from(b))
}

fn read_float(p: &[u8]) -> Option<f64> {
    match p.len() {
        4 => Some(f64::from(f32::from_be_bytes(p.try_into().ok()?))),
        8 => Some(f64::from_be_bytes(p.try_into().ok()?)),
        _ => None,
    }
}

/// The duration of a WebM/Matroska file: Info/Duration × TimecodeScale when present; else the
/// end of the last Opus block (its timestamp plus its packet's duration) less the first's start.
///
/// Walks the file flat, entering Segment, Cluster and BlockGroup and skipping everything else, so
/// MediaRecorder's unknown-size Segments and Clusters read the same as sized ones.
pub(crate) fn duration(b: &[u8]) -> Result<Duration, String> {
    let corrupt = || "the WebM file is corrupt or cut short".to_string();
    let mut at = 0;
    let mut scale = NS_PER_TICK;
    let mut info_duration: Option<f64> = None;
    let mut cluster_tc: u64 = 0;
    let mut first_start: Option<u64> = None;
    let mut last_end: Option<u64> = None;
    let mut is_opus = false;
    let mut saw_ebml = false;
    while at < b.len() {
        let (id, idn) = vint(b, at, true).ok_or_else(corrupt)?;
        let (size, sn) = vint(b, at + idn, false).ok_or_else(corrupt)?;
        let body = at + idn + sn;
        let id = id as u32;
        let enter = matches!(
            id,
            SEGMENT | CLUSTER | BLOCK_GROUP | TRACKS | TRACK_ENTRY | INFO
        );
        if enter {
            // A sized container must fit in the file: a cut at an element boundary is still a cut.
            if size != u64::MAX && (size > (b.len() - body.min(b.len())) as u64) {
                return Err(corrupt());
            }
            at = body;
            continue;
        }
        if size == u64::MAX {
            return Err(corrupt());
        }
        let end = usize::try_from(size)
            .ok()
            .and_then(|s| body.checked_add(s))
            .ok_or_else(corrupt)?;
        let p = b.get(body..end).ok_or_else(corrupt)?;
        match id {
            EBML => {
                saw_ebml = true;
            }
            TIMECODE_SCALE => scale = read_uint(p).max(1),
            DURATION => info_duration = read_float(p),
            CODEC_ID => is_opus |= p == b"A_OPUS",
            TIMECODE => cluster_tc = read_uint(p),
            SIMPLE_BLOCK | BLOCK => {
                let (_, tn) = vint(p, 0, false).ok_or_else(corrupt)?;
                let rel = p.sub(tn, 2).ok_or_else(corrupt)?;
                let rel = i64::from(i16::from_be_bytes([rel[0], rel[1]]));
                let flags = *p.get(tn + 2).ok_or_else(corrupt)?;
                let frames_in_block = if flags & 0x06 != 0 {
                    usize::from(*p.get(tn + 3).ok_or_else(corrupt)?) + 1
                } else {
                    1
                };
                let data_at = tn + 3 + usize::from(flags & 0x06 != 0);
                let start =
                    ((cluster_tc as i64).saturating_add(rel).max(0) as u64).saturating_mul(scale);
                // Laced blocks (rare for Opus): take every frame as long as the first.
                let dur = opus_packet_ns(p.get(data_at..).unwrap_or(&[]))
                    .unwrap_or(0)
                    .saturating_mul(frames_in_block as u64);
                first_start.get_or_insert(start);
                last_end = Some(last_end.unwrap_or(0).max(start.saturating_add(dur)));
            }
            _ => {}
        }
        at = end;
    }
    if !saw_ebml {
        return Err("this is not a WebM file".to_string());
    }
    if let Some(d) = info_duration.filter(|d| d.is_finite() && *d > 0.0) {
        let ns = d * scale as f64;
        if ns < 1e9 * 86_400.0 {
            return Ok(Duration::from_nanos(ns.round() as u64));
        }
        return Err("the WebM file's duration is not believable".to_string());
    }
    if !is_opus {
        return Err("the WebM file has no duration and no opus track to measure".to_string());
    }
    match (first_start, last_end) {
        (Some(s), Some(e)) => Ok(Duration::from_nanos(e.saturating_sub(s))),
        _ => Err("the WebM file holds no audio".to_string()),
    }
}

/// An Opus packet's duration in ns, from its TOC byte (RFC 6716 §3.1).
fn opus_packet_ns(p: &[u8]) -> Option<u64> {
    let toc = *p.first()?;
    let config = toc >> 3;
    let frame_us: u64 = match config {
        0..=11 => [10_000, 20_000, 40_000, 60_000][usize::from(config % 4)],
        12..=15 => [10_000, 20_000][usize::from(config % 2)],
        _ => [2_500, 5_000, 10_000, 20_000][usize::from(config % 4)],
    };
    let frames: u64 = match toc & 3 {
        0 => 1,
        1 | 2 => 2,
        _ => u64::from(*p.get(1)? & 0x3F),
    };
    Some(frame_us * frames * 1000)
}
