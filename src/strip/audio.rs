//! Removes private metadata from audio files while keeping every audio frame byte for byte.
//!
//! A recording made on a phone or laptop carries more than the voice: a title, the owner's
//! name, the recording app, dates, cover pictures and, on iPhones, the place it was made.
//! None of that belongs on a published page, but re-encoding would cost quality and time, so
//! each container is edited in place: tags are cut where nothing points at byte offsets, and
//! replaced by padding of exactly the same size (MP4 `free`, Matroska `Void`, FLAC `PADDING`)
//! where chunk offsets, cue points or seek tables would otherwise move.
//!
//! Every reader here is bounds-checked and non-recursive (container nesting is walked to a
//! fixed depth), so any input, however damaged, yields a value or an error instead of a panic.

use super::{Found, Stripped};

/// The conversion to suggest for Android's old 3GP/AMR recordings, which browsers cannot play.
///
/// AAC in an M4A plays in every current browser, including Safari on older iPhones that do not
/// play WebM Opus; `-vn` drops a video track some recorders add, and `-map_metadata -1` keeps
/// the phone's tags out of the new file.
pub const AMR_HINT: &str =
    "ffmpeg -i recording.3gp -vn -map_metadata -1 -c:a aac -b:a 96k recording.m4a";

/// Removes metadata from MP3, M4A/MP4 audio, Ogg (Opus, Vorbis, FLAC), FLAC, WAV and WebM audio, keeping every audio frame byte for byte.
/// Ok(None): nothing to remove (publish as it is, no copy). Err: one lower-case line saying what is wrong ("the M4A ends inside the `moov` box at byte 1234").
pub fn strip(bytes: &[u8]) -> Result<Option<Stripped>, String> {
    let (out, found) = match sniff(bytes)? {
        Container::Mpeg => mpeg(bytes)?,
        Container::Mp4 => mp4(bytes)?,
        Container::Ogg => ogg(bytes)?,
        Container::Flac => flac(bytes)?,
        Container::Wav => wav(bytes)?,
        Container::Ebml => webm(bytes)?,
    };
    if out == bytes {
        return Ok(None);
    }
    // Whatever changed was metadata, so a change must never be reported as "nothing found".
    let found = if found.any() {
        found
    } else {
        Found {
            other: true,
            ..found
        }
    };
    Ok(Some(Stripped { bytes: out, found }))
}

/// What the file carries, without changing it (to warn when the user opts out and a location would be published).
pub fn inspect(bytes: &[u8]) -> Result<Found, String> {
    // Running the stripper on a copy keeps one definition of "private" for both questions.
    Ok(strip(bytes)?.map(|s| s.found).unwrap_or_default())
}

/// What an EBML file is, from its DocType and tracks: Ok(true) WebM audio-only (Opus or Vorbis), Ok(false) has video, Err(description) otherwise.
pub fn webm_is_audio_only(bytes: &[u8]) -> Result<bool, String> {
    if !bytes.starts_with(EBML_MAGIC) {
        return Err("not a WebM or Matroska file".into());
    }
    let header = ebml_element(bytes, 0)?;
    let header_end = header
        .end
        .filter(|&end| end <= bytes.len())
        .ok_or("a damaged WebM file (its EBML header does not fit)")?;
    let mut doc_type = String::new();
    let mut at = header.data;
    while at < header_end {
        let child = ebml_element(bytes, at)?;
        let end = child
            .end
            .filter(|&end| end <= header_end)
            .ok_or_else(|| format!("a damaged WebM file (bad EBML header element at byte {at})"))?;
        if child.id == ID_DOC_TYPE {
            let text = bytes.get(child.data..end).unwrap_or_default();
            doc_type = String::from_utf8_lossy(text)
                .trim_end_matches('\0')
                .to_string();
        }
        at = end;
    }
    if doc_type != "webm" && doc_type != "matroska" {
        return Err(format!("an EBML file of type {doc_type:?}, not WebM"));
    }
    let mut tracks: Vec<(u64, String)> = Vec::new();
    let mut pos = header_end;
    while pos < bytes.len() {
        let el = ebml_element(bytes, pos)?;
        if el.id != ID_SEGMENT {
            pos = el.end.ok_or("a damaged WebM file (unknown-size element)")?;
            continue;
        }
        let to = el.end.unwrap_or(bytes.len()).min(bytes.len());
        segment_children(bytes, el.data, to, |child, end| {
            if child.id == ID_TRACKS {
                for entry in ebml_children(bytes, child.data, end)? {
                    if entry.0.id == ID_TRACK_ENTRY {
                        tracks.push(track_kind(bytes, entry.0.data, entry.1)?);
                    }
                }
            }
            Ok(())
        })?;
        break;
    }
    if tracks.is_empty() {
        return Err("a WebM file without tracks".into());
    }
    if tracks.iter().any(|(kind, _)| *kind == TRACK_VIDEO) {
        return Ok(false);
    }
    if let Some((_, codec)) = tracks
        .iter()
        .find(|(kind, codec)| *kind != TRACK_AUDIO || (codec != "A_OPUS" && codec != "A_VORBIS"))
    {
        return Err(format!(
            "a WebM file with a {codec:?} track (not supported; browsers need Opus or Vorbis audio)"
        ));
    }
    if doc_type == "matroska" {
        return Err(
            "a Matroska audio file (not supported; export it as WebM with Opus audio)".into(),
        );
    }
    Ok(true)
}

/// The container families, told apart by their first bytes.
enum Container {
    /// MP3 (or ADTS AAC): an ID3v2 tag or a bare MPEG frame sync.
    Mpeg,
    Mp4,
    Ogg,
    Flac,
    Wav,
    Ebml,
}

const EBML_MAGIC: &[u8] = b"\x1A\x45\xDF\xA3";

fn sniff(bytes: &[u8]) -> Result<Container, String> {
    if bytes.starts_with(b"ID3") {
        // Some taggers put an ID3v2 tag in front of a FLAC stream too.
        let after = skip_id3v2(bytes, "MP3")?;
        return Ok(if tail(bytes, after).starts_with(b"fLaC") {
            Container::Flac
        } else {
            Container::Mpeg
        });
    }
    let riff =
        bytes.starts_with(b"RIFF") || bytes.starts_with(b"RF64") || bytes.starts_with(b"BW64");
    Ok(match bytes {
        [0xFF, b1, ..] if b1 & 0xE0 == 0xE0 => Container::Mpeg,
        _ if bytes.get(4..8) == Some(b"ftyp") => Container::Mp4,
        _ if bytes.starts_with(b"OggS") => Container::Ogg,
        _ if bytes.starts_with(b"fLaC") => Container::Flac,
        _ if riff && bytes.get(8..12) == Some(b"WAVE") => Container::Wav,
        _ if bytes.starts_with(EBML_MAGIC) => Container::Ebml,
        _ if bytes.starts_with(b"#!AMR") => {
            return Err(format!(
                "an AMR recording cannot be played by browsers; convert it with `{AMR_HINT}`"
            ))
        }
        _ => {
            return Err(
                "not a supported audio file (MP3, M4A, Ogg, FLAC, WAV or WebM expected)".into(),
            )
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Small readers. They return None instead of panicking when the input is too short.

fn tail(bytes: &[u8], from: usize) -> &[u8] {
    bytes.get(from..).unwrap_or_default()
}

fn array<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes.get(at..at.checked_add(N)?)?.try_into().ok()
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    array(bytes, at).map(u32::from_be_bytes)
}

fn be_u64(bytes: &[u8], at: usize) -> Option<u64> {
    array(bytes, at).map(u64::from_be_bytes)
}

fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    array(bytes, at).map(u32::from_le_bytes)
}

fn le_u64(bytes: &[u8], at: usize) -> Option<u64> {
    array(bytes, at).map(u64::from_le_bytes)
}

/// A 28-bit ID3v2 "syncsafe" integer: four bytes of seven bits each.
fn syncsafe(bytes: &[u8], at: usize) -> Option<usize> {
    let raw: [u8; 4] = array(bytes, at)?;
    if raw.iter().any(|b| b & 0x80 != 0) {
        return None;
    }
    Some(raw.iter().fold(0, |n, &b| (n << 7) | usize::from(b)))
}

fn contains_any(haystack: &[u8], needles: &[&[u8]]) -> bool {
    needles
        .iter()
        .any(|n| memchr::memmem::find(haystack, n).is_some())
}

fn zero(out: &mut [u8], from: usize, to: usize) {
    if let Some(range) = out.get_mut(from..to) {
        range.fill(0);
    }
}

fn put(out: &mut [u8], at: usize, data: &[u8]) {
    if let Some(range) = out.get_mut(at..at.saturating_add(data.len())) {
        range.copy_from_slice(data);
    }
}

/// XMP and other XML metadata: the property names say what kind of data they hold.
fn classify_xml(payload: &[u8]) -> Found {
    Found {
        location: contains_any(payload, &[b"GPSLatitude", b"GPSLongitude", b"exif:GPS"]),
        camera: contains_any(payload, &[b"tiff:Make", b"tiff:Model", b"<Make", b"<Model"]),
        other: true,
    }
}

/// Vorbis comments (Ogg Opus/Vorbis/FLAC and native FLAC): a vendor string and KEY=value pairs.
fn classify_comments(data: &[u8]) -> Found {
    let mut found = Found::default();
    let Some(vendor) = le_u32(data, 0) else {
        return Found {
            other: true,
            ..found
        };
    };
    // The vendor string names the encoding software.
    found.other = vendor > 0;
    let mut at = 4usize.saturating_add(vendor as usize);
    let count = le_u32(data, at).unwrap_or(0);
    at = at.saturating_add(4);
    // Each comment needs at least its four length bytes, so the loop ends with the data.
    for _ in 0..count {
        let Some(len) = le_u32(data, at) else {
            found.other = true;
            break;
        };
        let text = data
            .get(at + 4..(at + 4).saturating_add(len as usize))
            .unwrap_or_default();
        at = (at + 4).saturating_add(len as usize);
        let key = text.split(|&b| b == b'=').next().unwrap_or_default();
        let key = key.to_ascii_uppercase();
        if contains_any(&key, &[b"LOCATION", b"GPS", b"GEO"]) {
            found.location = true;
        } else if contains_any(&key, &[b"MAKE", b"MODEL", b"DEVICE"]) {
            found.camera = true;
        } else {
            found.other = true;
        }
    }
    found
}

// ---------------------------------------------------------------------------------------------
// MP3: tags sit before the first frame (ID3v2) and after the last (APE, Lyrics3, ID3v1,
// appended ID3v2). Nothing points at byte offsets, so they are cut. The Xing/Info/LAME frame
// is a real (silent) MPEG frame that holds the frame count players need for seeking; the LAME
// version string in it names the encoder, which is acceptable and is left alone.

/// The offset after every leading ID3v2 tag.
fn skip_id3v2(bytes: &[u8], what: &str) -> Result<usize, String> {
    let mut pos = 0usize;
    while tail(bytes, pos).starts_with(b"ID3") {
        // Unsynchronisation only changes the tag's inside; its size always counts raw bytes.
        let flags = bytes
            .get(pos + 5)
            .copied()
            .ok_or_else(|| format!("the {what} ends inside an ID3v2 tag at byte {pos}"))?;
        let size = syncsafe(bytes, pos + 6)
            .ok_or_else(|| format!("the {what} has a damaged ID3v2 tag at byte {pos}"))?;
        let footer = if flags & 0x10 != 0 { 10 } else { 0 };
        let end = pos + 10 + size + footer;
        if end > bytes.len() {
            return Err(format!("the {what} ends inside an ID3v2 tag at byte {pos}"));
        }
        pos = end;
    }
    Ok(pos)
}

/// The length of a tag at the very end of `data`, if there is one.
fn trailing_tag(data: &[u8], what: &str) -> Result<Option<usize>, String> {
    let len = data.len();
    let ends_with_at = |n: usize, magic: &[u8]| {
        len.checked_sub(n)
            .is_some_and(|at| tail(data, at).starts_with(magic))
    };
    if ends_with_at(128, b"TAG") {
        // The rare "enhanced" TAG+ block sits right before an ID3v1 tag.
        return Ok(Some(if ends_with_at(128 + 227, b"TAG+") {
            355
        } else {
            128
        }));
    }
    if ends_with_at(32, b"APETAGEX") {
        let at = len - 32;
        let damaged = || format!("the {what} has a damaged APE tag at byte {at}");
        let size = le_u32(data, at + 12).ok_or_else(damaged)? as usize;
        let flags = le_u32(data, at + 20).ok_or_else(damaged)?;
        let header = if flags & 0x8000_0000 != 0 { 32 } else { 0 };
        let total = size.saturating_add(header);
        if size < 32 || total > len {
            return Err(damaged());
        }
        return Ok(Some(total));
    }
    if ends_with_at(9, b"LYRICS200") {
        let digits = data
            .get(len.saturating_sub(15)..len - 9)
            .unwrap_or_default();
        let size = std::str::from_utf8(digits)
            .ok()
            .and_then(|s| s.parse::<usize>().ok());
        if let Some(total) = size.map(|s| s + 15).filter(|&t| t <= len) {
            if tail(data, len - total).starts_with(b"LYRICSBEGIN") {
                return Ok(Some(total));
            }
        }
    }
    if ends_with_at(10, b"3DI") {
        // An appended ID3v2.4 tag: header + body + footer, found from the footer.
        if let Some(total) = syncsafe(data, len - 4)
            .map(|s| s + 20)
            .filter(|&t| t <= len)
        {
            if tail(data, len - total).starts_with(b"ID3") {
                return Ok(Some(total));
            }
        }
    }
    Ok(None)
}

/// Cuts trailing tags off `data[..end]`, returning the new end.
fn cut_trailing_tags(data: &[u8], start: usize, what: &str) -> Result<usize, String> {
    let mut end = data.len();
    // Each round removes one tag; real files stack at most four kinds.
    for _ in 0..16 {
        match trailing_tag(data.get(start..end).unwrap_or_default(), what)? {
            Some(n) => end -= n,
            None => break,
        }
    }
    Ok(end)
}

fn mpeg(bytes: &[u8]) -> Result<(Vec<u8>, Found), String> {
    let start = skip_id3v2(bytes, "MP3")?;
    let end = cut_trailing_tags(bytes, start, "MP3")?;
    if start >= end {
        return Err("the MP3 holds tags but no audio".into());
    }
    let found = Found {
        other: start > 0 || end < bytes.len(),
        ..Found::default()
    };
    Ok((bytes.get(start..end).unwrap_or_default().to_vec(), found))
}

// ---------------------------------------------------------------------------------------------
// MP4/M4A: `stco`/`co64` hold absolute offsets into `mdat`, so metadata boxes are turned into
// `free` boxes of the same size instead of being cut; then nothing moves.

/// One ISO BMFF box: where it starts, where its payload starts, where it ends, and its type.
struct Mp4Box {
    start: usize,
    body: usize,
    end: usize,
    kind: [u8; 4],
}

fn fourcc(kind: [u8; 4]) -> String {
    kind.iter()
        .map(|&b| match b {
            0xA9 => '©',
            0x20..=0x7E => char::from(b),
            _ => '?',
        })
        .collect()
}

/// The boxes in `data[from..to]`. Linear in the number of boxes; never descends.
fn mp4_boxes(data: &[u8], from: usize, to: usize) -> Result<Vec<Mp4Box>, String> {
    let mut boxes = Vec::new();
    let mut pos = from;
    while pos < to {
        let short = || format!("the M4A ends inside a box header at byte {pos}");
        if to - pos < 8 {
            return Err(short());
        }
        let size32 = be_u32(data, pos).ok_or_else(short)?;
        let kind: [u8; 4] = array(data, pos + 4).ok_or_else(short)?;
        let (size, header) = match size32 {
            // Size 0: the box runs to the end of its parent (usually `mdat` at the end).
            0 => ((to - pos) as u64, 8),
            1 => {
                if to - pos < 16 {
                    return Err(short());
                }
                (be_u64(data, pos + 8).ok_or_else(short)?, 16)
            }
            n => (u64::from(n), 8),
        };
        if size < header {
            return Err(format!(
                "the M4A has a `{}` box with an impossible size at byte {pos}",
                fourcc(kind)
            ));
        }
        let end = usize::try_from(size)
            .ok()
            .and_then(|size| pos.checked_add(size))
            .filter(|&end| end <= to)
            .ok_or_else(|| {
                format!(
                    "the M4A ends inside the `{}` box at byte {pos}",
                    fourcc(kind)
                )
            })?;
        boxes.push(Mp4Box {
            start: pos,
            body: pos + header as usize,
            end,
            kind,
        });
        pos = end;
    }
    Ok(boxes)
}

fn mp4(bytes: &[u8]) -> Result<(Vec<u8>, Found), String> {
    let mut out = bytes.to_vec();
    let mut found = Found::default();
    for top in mp4_boxes(bytes, 0, bytes.len())? {
        match &top.kind {
            b"moov" => {
                for child in mp4_boxes(bytes, top.body, top.end)? {
                    match &child.kind {
                        b"mvhd" => found.other |= zero_times(&mut out, &child),
                        b"udta" | b"meta" => found = found.union(blank(bytes, &mut out, &child)),
                        b"trak" => found = found.union(mp4_trak(bytes, &mut out, &child)?),
                        _ => {}
                    }
                }
            }
            // Top-level `uuid` boxes hold vendor extras such as XMP; none is needed to play.
            b"meta" | b"udta" | b"uuid" => found = found.union(blank(bytes, &mut out, &top)),
            _ => {}
        }
    }
    Ok((out, found))
}

fn mp4_trak(bytes: &[u8], out: &mut [u8], trak: &Mp4Box) -> Result<Found, String> {
    let mut found = Found::default();
    for child in mp4_boxes(bytes, trak.body, trak.end)? {
        match &child.kind {
            b"tkhd" => found.other |= zero_times(out, &child),
            b"udta" | b"meta" => found = found.union(blank(bytes, out, &child)),
            b"mdia" => {
                for b in mp4_boxes(bytes, child.body, child.end)? {
                    if &b.kind == b"mdhd" {
                        found.other |= zero_times(out, &b);
                    }
                }
            }
            _ => {}
        }
    }
    Ok(found)
}

/// Zeroes the creation and modification times of `mvhd`/`tkhd`/`mdhd`; true if they were set.
fn zero_times(out: &mut [u8], b: &Mp4Box) -> bool {
    let width = match out.get(b.body) {
        Some(1) => 16,
        Some(_) => 8,
        None => return false,
    };
    let (from, to) = (b.body + 4, b.body + 4 + width);
    if to > b.end {
        return false;
    }
    let set = out.get(from..to).is_some_and(|t| t.iter().any(|&x| x != 0));
    zero(out, from, to);
    set
}

/// Turns a box into a `free` box of the same size (zeroed) and says what it held.
fn blank(bytes: &[u8], out: &mut [u8], b: &Mp4Box) -> Found {
    let payload = bytes.get(b.body..b.end).unwrap_or_default();
    let found = if &b.kind == b"uuid" {
        classify_xml(payload)
    } else {
        Found {
            location: contains_any(
                payload,
                &[b"\xA9xyz", b"loci", b"com.apple.quicktime.location"],
            ),
            camera: contains_any(
                payload,
                &[
                    b"\xA9mak",
                    b"\xA9mod",
                    b"com.apple.quicktime.make",
                    b"com.apple.quicktime.model",
                ],
            ),
            other: mp4_has_other(&b.kind, payload, 0),
        }
    };
    put(out, b.start + 4, b"free");
    zero(out, b.body, b.end);
    found
}

/// Nesting walked when classifying `udta`/`meta` contents (udta > meta > ilst > item).
const MP4_CLASSIFY_DEPTH: usize = 4;

/// Whether a `udta`/`meta` box holds anything besides a location, a device and housekeeping.
fn mp4_has_other(kind: &[u8; 4], payload: &[u8], depth: usize) -> bool {
    if depth > MP4_CLASSIFY_DEPTH {
        return true;
    }
    let from = match kind {
        // ISO `meta` is a full box (4 bytes of version and flags); QuickTime's is not.
        b"meta" if payload.get(4..8) != Some(b"hdlr") => 4,
        _ => 0,
    };
    let Ok(children) = mp4_boxes(payload, from, payload.len()) else {
        return !payload.iter().all(|&b| b == 0);
    };
    children.iter().any(|c| {
        let body = payload.get(c.body..c.end).unwrap_or_default();
        match &c.kind {
            b"\xA9xyz" | b"loci" | b"\xA9mak" | b"\xA9mod" | b"hdlr" | b"free" | b"skip" => false,
            b"meta" | b"ilst" => mp4_has_other(&c.kind, body, depth + 1),
            b"keys" => mp4_keys_have_other(body),
            // `ilst` items named by a number refer to `keys`, which was judged on its own.
            [0, ..] => false,
            _ => true,
        }
    })
}

/// QuickTime `keys`: version/flags, a count, then (size, namespace, name) entries.
fn mp4_keys_have_other(body: &[u8]) -> bool {
    let mut at = 8;
    while let Some(size) = be_u32(body, at) {
        let size = size as usize;
        if size < 8 {
            return true;
        }
        let name = body
            .get(at + 8..at.saturating_add(size))
            .unwrap_or_default();
        let harmless = [
            &b"com.apple.quicktime.location"[..],
            b"com.apple.quicktime.make",
            b"com.apple.quicktime.model",
        ];
        if !harmless.iter().any(|h| name.starts_with(h)) {
            return true;
        }
        at = at.saturating_add(size);
    }
    false
}

// ---------------------------------------------------------------------------------------------
// Ogg: the comment header must stay (decoders expect it), so it is replaced by an empty one.
// That changes the pages holding the header packets; those pages are rebuilt, and the audio
// pages after them are copied byte for byte except for their sequence number and CRC.

/// One Ogg page: byte range, header type flags, serial and sequence number, lacing values.
struct OggPage {
    start: usize,
    end: usize,
    flags: u8,
    serial: u32,
    seq: u32,
    lacing: usize,
    body: usize,
}

const OGG_CRC: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut r = (i as u32) << 24;
        let mut k = 0;
        while k < 8 {
            r = if r & 0x8000_0000 != 0 {
                (r << 1) ^ 0x04C1_1DB7
            } else {
                r << 1
            };
            k += 1;
        }
        table[i] = r;
        i += 1;
    }
    table
};

/// Ogg's CRC-32: polynomial 0x04C11DB7, not reflected, initial value 0, no final xor.
fn ogg_crc(data: &[u8]) -> u32 {
    data.iter().fold(0, |crc, &b| {
        (crc << 8) ^ OGG_CRC[usize::from((crc >> 24) as u8 ^ b)]
    })
}

fn ogg_pages(bytes: &[u8]) -> Result<Vec<OggPage>, String> {
    let mut pages = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let head: [u8; 27] = array(bytes, pos)
            .ok_or_else(|| format!("the Ogg file ends inside a page header at byte {pos}"))?;
        if &head[..4] != b"OggS" {
            return Err(format!("the Ogg file has no page at byte {pos}"));
        }
        if head[4] != 0 {
            return Err(format!(
                "the Ogg file has a page of unknown version at byte {pos}"
            ));
        }
        let lacing = pos + 27;
        let body = lacing + usize::from(head[26]);
        let sizes = bytes
            .get(lacing..body)
            .ok_or_else(|| format!("the Ogg file ends inside the page at byte {pos}"))?;
        let end = body + sizes.iter().map(|&n| usize::from(n)).sum::<usize>();
        if end > bytes.len() {
            return Err(format!("the Ogg file ends inside the page at byte {pos}"));
        }
        pages.push(OggPage {
            start: pos,
            end,
            flags: head[5],
            serial: u32::from_le_bytes([head[14], head[15], head[16], head[17]]),
            seq: u32::from_le_bytes([head[18], head[19], head[20], head[21]]),
            lacing,
            body,
        });
        pos = end;
    }
    Ok(pages)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum OggCodec {
    Opus,
    Vorbis,
    Flac,
}

impl OggCodec {
    fn identify(first: &[u8]) -> Result<Self, String> {
        if first.starts_with(b"OpusHead") {
            Ok(Self::Opus)
        } else if first.starts_with(b"\x01vorbis") {
            Ok(Self::Vorbis)
        } else if first.starts_with(b"\x7FFLAC") {
            Ok(Self::Flac)
        } else {
            Err("the Ogg file holds neither Opus, Vorbis nor FLAC audio".into())
        }
    }

    /// Whether `packets` are all the header packets of the stream.
    fn headers_done(self, packets: &[Vec<u8>]) -> bool {
        match self {
            Self::Opus => packets.len() == 2,
            Self::Vorbis => packets.len() == 3,
            // Ogg FLAC: one packet per metadata block; the last block carries the last-block flag.
            Self::Flac => {
                packets.len() >= 2
                    && packets
                        .last()
                        .and_then(|p| p.first())
                        .is_some_and(|b| b & 0x80 != 0)
            }
        }
    }
}

fn ogg(bytes: &[u8]) -> Result<(Vec<u8>, Found), String> {
    let pages = ogg_pages(bytes)?;
    let first = pages.first().ok_or("the Ogg file is empty")?;
    if pages.iter().any(|p| p.serial != first.serial) {
        return Err(
            "an Ogg file with several streams is not supported; export a single recording".into(),
        );
    }
    // Gather the header packets and the number of pages they fill.
    let mut packets: Vec<Vec<u8>> = Vec::new();
    let mut packet = Vec::new();
    let mut codec = None;
    let mut header_pages = 0;
    'pages: for (index, page) in pages.iter().enumerate() {
        let sizes = bytes.get(page.lacing..page.body).unwrap_or_default();
        let mut at = page.body;
        for (k, &size) in sizes.iter().enumerate() {
            let size = usize::from(size);
            packet.extend_from_slice(bytes.get(at..at + size).unwrap_or_default());
            at += size;
            if size == 255 {
                continue;
            }
            packets.push(std::mem::take(&mut packet));
            let last_on_page = k + 1 == sizes.len();
            let codec = match codec {
                Some(codec) => codec,
                None => {
                    // The first page holds exactly the identification packet; it is kept as is.
                    if index != 0 || !last_on_page {
                        return Err(
                            "the Ogg file's first page is not laid out as the standard requires"
                                .into(),
                        );
                    }
                    *codec.insert(OggCodec::identify(&packets[0])?)
                }
            };
            if codec.headers_done(&packets) {
                if !last_on_page {
                    return Err("the Ogg file has audio on the same page as its headers, which is not supported".into());
                }
                header_pages = index + 1;
                break 'pages;
            }
        }
        if index == 0 && packets.is_empty() {
            return Err("the Ogg file's first header spans several pages".into());
        }
    }
    let (Some(codec), true) = (codec, header_pages > 0) else {
        return Err("the Ogg file ends inside its headers".into());
    };
    let (found, changed) = ogg_clean_headers(codec, &mut packets)?;
    if !changed {
        return Ok((bytes.to_vec(), found));
    }

    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(bytes.get(first.start..first.end).unwrap_or_default());
    let last_flags = pages.get(header_pages - 1).map_or(0, |p| p.flags);
    let written = ogg_write_packets(
        &mut out,
        packets.get(1..).unwrap_or_default(),
        first.serial,
        first.seq,
        last_flags & 0x04,
    );
    // Audio pages move by the difference in header page count; the rest of each page is kept.
    let shift = (written as u32).wrapping_sub(header_pages as u32 - 1);
    for page in pages.get(header_pages..).unwrap_or_default() {
        let start = out.len();
        out.extend_from_slice(bytes.get(page.start..page.end).unwrap_or_default());
        if shift != 0 {
            put(
                &mut out,
                start + 18,
                &page.seq.wrapping_add(shift).to_le_bytes(),
            );
            put(&mut out, start + 22, &[0; 4]);
            let crc = ogg_crc(tail(&out, start));
            put(&mut out, start + 22, &crc.to_le_bytes());
        }
    }
    Ok((out, found))
}

/// Replaces comment packets by empty ones and pictures by nothing; returns what was there.
fn ogg_clean_headers(codec: OggCodec, packets: &mut [Vec<u8>]) -> Result<(Found, bool), String> {
    let mut found = Found::default();
    let mut changed = false;
    let mut replace = |packet: &mut Vec<u8>, new: Vec<u8>| {
        if *packet != new {
            *packet = new;
            changed = true;
        }
    };
    match codec {
        OggCodec::Opus | OggCodec::Vorbis => {
            let (magic, minimal): (&[u8], &[u8]) = if codec == OggCodec::Opus {
                (b"OpusTags", b"OpusTags\0\0\0\0\0\0\0\0")
            } else {
                // Vorbis ends its comment header with a framing bit set to 1.
                (b"\x03vorbis", b"\x03vorbis\0\0\0\0\0\0\0\0\x01")
            };
            let tags = packets
                .get_mut(1)
                .filter(|p| p.starts_with(magic))
                .ok_or("the Ogg file has no comment header after its first page")?;
            found = classify_comments(tail(tags, magic.len()));
            replace(tags, minimal.to_vec());
        }
        OggCodec::Flac => {
            for packet in packets.iter_mut().skip(1) {
                let Some(&head) = packet.first() else {
                    return Err("the Ogg FLAC stream has an empty header packet".into());
                };
                let last = head & 0x80;
                match head & 0x7F {
                    4 => {
                        found = found.union(classify_comments(tail(packet, 4)));
                        // The comment block is mandatory in Ogg FLAC, so it stays, empty.
                        let mut empty = vec![last | 4, 0, 0, 8];
                        empty.extend_from_slice(&[0; 8]);
                        replace(packet, empty);
                    }
                    2 | 6 => {
                        found.other = true;
                        // An empty PADDING block keeps the header count in the first packet right.
                        replace(packet, vec![last | 1, 0, 0, 0]);
                    }
                    _ => {}
                }
            }
        }
    }
    Ok((found, changed))
}

/// Writes packets as pages after the kept first page; returns how many pages were written.
fn ogg_write_packets(
    out: &mut Vec<u8>,
    packets: &[Vec<u8>],
    serial: u32,
    seq0: u32,
    eos: u8,
) -> usize {
    // Each page: lacing values, body, whether a packet ends on it, whether it continues one.
    let mut pages: Vec<(Vec<u8>, Vec<u8>, bool, bool)> = Vec::new();
    let mut page = (Vec::new(), Vec::new(), false, false);
    for packet in packets {
        let mut rest: &[u8] = packet;
        loop {
            if page.0.len() == 255 {
                let continues = page.0.last() == Some(&255);
                pages.push(std::mem::replace(
                    &mut page,
                    (Vec::new(), Vec::new(), false, continues),
                ));
            }
            let n = rest.len().min(255);
            let (chunk, after) = rest.split_at(n);
            page.0.push(n as u8);
            page.1.extend_from_slice(chunk);
            rest = after;
            if n < 255 {
                page.2 = true;
                break;
            }
        }
    }
    if !page.0.is_empty() {
        pages.push(page);
    }
    let count = pages.len();
    for (i, (lacing, body, ends, continues)) in pages.into_iter().enumerate() {
        let start = out.len();
        out.extend_from_slice(b"OggS\0");
        let eos = if i + 1 == count { eos } else { 0 };
        out.push(u8::from(continues) | eos);
        // Header pages have granule 0; a page on which no packet ends has -1.
        let granule: u64 = if ends { 0 } else { u64::MAX };
        out.extend_from_slice(&granule.to_le_bytes());
        out.extend_from_slice(&serial.to_le_bytes());
        out.extend_from_slice(&seq0.wrapping_add(i as u32 + 1).to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.push(lacing.len() as u8);
        out.extend_from_slice(&lacing);
        out.extend_from_slice(&body);
        let crc = ogg_crc(tail(out, start));
        put(out, start + 22, &crc.to_le_bytes());
    }
    count
}

// ---------------------------------------------------------------------------------------------
// FLAC: metadata blocks precede the frames. Comments, pictures and application data become
// PADDING of the same length, which keeps the layout simple and the last-block flag in place.

fn flac(bytes: &[u8]) -> Result<(Vec<u8>, Found), String> {
    let start = skip_id3v2(bytes, "FLAC")?;
    if !tail(bytes, start).starts_with(b"fLaC") {
        return Err("the FLAC has no `fLaC` marker after its ID3 tag".into());
    }
    // A leading ID3v2 tag is cut; positions below are relative to the `fLaC` marker.
    let end = cut_trailing_tags(bytes, start, "FLAC")?;
    let mut out = bytes.get(start..end).unwrap_or_default().to_vec();
    let mut found = Found {
        other: start > 0 || end < bytes.len(),
        ..Found::default()
    };
    let mut pos = 4;
    loop {
        let at = start + pos;
        let head: [u8; 4] = array(&out, pos)
            .ok_or_else(|| format!("the FLAC ends inside a metadata block header at byte {at}"))?;
        let len = usize::from(head[1]) << 16 | usize::from(head[2]) << 8 | usize::from(head[3]);
        let block_end = pos + 4 + len;
        if block_end > out.len() {
            return Err(format!(
                "the FLAC ends inside a metadata block at byte {at}"
            ));
        }
        let last = head[0] & 0x80;
        match head[0] & 0x7F {
            4 => {
                found = found.union(classify_comments(
                    out.get(pos + 4..block_end).unwrap_or_default(),
                ))
            }
            2 | 6 => found.other = true,
            127 => {
                return Err(format!(
                    "the FLAC has an invalid metadata block at byte {at}"
                ))
            }
            _ => {}
        }
        if matches!(head[0] & 0x7F, 2 | 4 | 6) {
            put(&mut out, pos, &[last | 1]);
            zero(&mut out, pos + 4, block_end);
        }
        pos = block_end;
        if last != 0 {
            break;
        }
    }
    Ok((out, found))
}

// ---------------------------------------------------------------------------------------------
// WAV: chunks are addressed by walking, never by offset, so metadata chunks are cut and the
// RIFF size fixed. RF64/BW64 keeps 64-bit sizes in `ds64`; there the chunks become `JUNK` of
// the same size so that no size needs rewriting.

/// Whether a chunk holds metadata rather than audio or its description.
fn wav_private(id: &[u8; 4], payload: &[u8]) -> bool {
    match id {
        // LIST INFO: title, artist, software, dates; LIST adtl: labels and notes on cue points.
        b"LIST" => matches!(payload.get(..4), Some(b"INFO" | b"adtl")),
        // ID3 tags, broadcast originator/date, XML and XMP, radio cart, display title, UMID.
        b"id3 " | b"ID3 " | b"bext" | b"iXML" | b"_PMX" | b"axml" | b"cart" | b"DISP" | b"umid" => {
            true
        }
        _ => false,
    }
}

fn wav(bytes: &[u8]) -> Result<(Vec<u8>, Found), String> {
    let rf64 = !bytes.starts_with(b"RIFF");
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(bytes.get(..12).unwrap_or_default());
    let mut found = Found::default();
    let mut removed = 0usize;
    let mut ds64_data = None;
    let mut pos = 12;
    while pos < bytes.len() {
        let (Some(id), Some(size)) = (array::<4>(bytes, pos), le_u32(bytes, pos + 4)) else {
            // A few stray bytes at the end are kept as they are.
            out.extend_from_slice(tail(bytes, pos));
            break;
        };
        let mut size = u64::from(size);
        if &id == b"ds64" {
            ds64_data = le_u64(bytes, pos + 16);
        }
        if rf64 && &id == b"data" && size == u64::from(u32::MAX) {
            size = ds64_data.unwrap_or(size);
        }
        let padded = size.saturating_add(size & 1);
        let end = usize::try_from(padded)
            .ok()
            .and_then(|p| (pos + 8).checked_add(p))
            .unwrap_or(usize::MAX);
        if end > bytes.len() {
            // Recorders that stop abruptly leave a short `data` chunk (or a missing pad byte);
            // players cope, and everything after it is audio.
            let missing_pad = end - bytes.len() == 1 && size & 1 == 1;
            if &id == b"data" || missing_pad {
                out.extend_from_slice(tail(bytes, pos));
                break;
            }
            return Err(format!(
                "the WAV ends inside the `{}` chunk at byte {pos}",
                fourcc(id)
            ));
        }
        let payload = bytes.get(pos + 8..end).unwrap_or_default();
        if wav_private(&id, payload) {
            found = found.union(match &id {
                b"iXML" | b"_PMX" | b"axml" => classify_xml(payload),
                _ => Found {
                    other: true,
                    ..Found::default()
                },
            });
            if rf64 {
                out.extend_from_slice(b"JUNK");
                out.extend_from_slice(bytes.get(pos + 4..pos + 8).unwrap_or_default());
                out.resize(out.len() + (end - pos - 8), 0);
            } else {
                removed += end - pos;
            }
        } else {
            out.extend_from_slice(bytes.get(pos..end).unwrap_or_default());
        }
        pos = end;
    }
    if removed > 0 {
        if let Some(riff_size) = le_u32(bytes, 4) {
            // 0 and 0xFFFFFFFF are "unknown" placeholders from streaming writers.
            if riff_size != 0 && riff_size != u32::MAX {
                let new = riff_size.saturating_sub(u32::try_from(removed).unwrap_or(u32::MAX));
                put(&mut out, 4, &new.to_le_bytes());
            }
        }
    }
    Ok((out, found))
}

// ---------------------------------------------------------------------------------------------
// WebM/Matroska: Cues and SeekHead hold byte positions, so metadata elements become `Void`
// elements of exactly the same total size. `MuxingApp`/`WritingApp` are mandatory and only name
// the software (e.g. "Chrome"), so they are left alone.

const ID_EBML_HEADER: u32 = 0x1A45_DFA3;
const ID_DOC_TYPE: u32 = 0x4282;
const ID_SEGMENT: u32 = 0x1853_8067;
const ID_SEEK_HEAD: u32 = 0x114D_9B74;
const ID_INFO: u32 = 0x1549_A966;
const ID_TRACKS: u32 = 0x1654_AE6B;
const ID_CLUSTER: u32 = 0x1F43_B675;
const ID_CUES: u32 = 0x1C53_BB6B;
const ID_ATTACHMENTS: u32 = 0x1941_A469;
const ID_CHAPTERS: u32 = 0x1043_A770;
const ID_TAGS: u32 = 0x1254_C367;
const ID_TITLE: u32 = 0x7BA9;
const ID_DATE_UTC: u32 = 0x4461;
const ID_TRACK_ENTRY: u32 = 0xAE;
const ID_TRACK_TYPE: u32 = 0x83;
const ID_CODEC_ID: u32 = 0x86;
const ID_TRACK_NAME: u32 = 0x536E;
const ID_VOID: u8 = 0xEC;
const TRACK_VIDEO: u64 = 1;
const TRACK_AUDIO: u64 = 2;

/// An EBML element header; `end` is None for "unknown size" (live recordings).
struct Ebml {
    id: u32,
    start: usize,
    data: usize,
    end: Option<usize>,
}

fn ebml_element(bytes: &[u8], pos: usize) -> Result<Ebml, String> {
    let damaged = || format!("the WebM has damaged data at byte {pos}");
    let first = *bytes.get(pos).ok_or_else(damaged)?;
    let id_len = first.leading_zeros() as usize + 1;
    if id_len > 4 {
        return Err(damaged());
    }
    let id_bytes = bytes.get(pos..pos + id_len).ok_or_else(damaged)?;
    let id = id_bytes.iter().fold(0u32, |n, &b| (n << 8) | u32::from(b));
    let at = pos + id_len;
    let first = *bytes.get(at).ok_or_else(damaged)?;
    let size_len = first.leading_zeros() as usize + 1;
    if size_len > 8 {
        return Err(damaged());
    }
    let size_bytes = bytes.get(at..at + size_len).ok_or_else(damaged)?;
    let mask = (0xFFu16 >> size_len) as u8;
    let size = size_bytes
        .iter()
        .skip(1)
        .fold(u64::from(first & mask), |n, &b| (n << 8) | u64::from(b));
    let unknown = size == (1u64 << (7 * size_len)) - 1;
    let data = at + size_len;
    let end = if unknown {
        None
    } else {
        Some(
            usize::try_from(size)
                .ok()
                .and_then(|s| data.checked_add(s))
                .unwrap_or(usize::MAX),
        )
    };
    Ok(Ebml {
        id,
        start: pos,
        data,
        end,
    })
}

/// The known-size children of `bytes[from..to]`, each with its end.
fn ebml_children(bytes: &[u8], from: usize, to: usize) -> Result<Vec<(Ebml, usize)>, String> {
    let mut children = Vec::new();
    let mut pos = from;
    while pos < to {
        let el = ebml_element(bytes, pos)?;
        let end = el
            .end
            .filter(|&end| end <= to)
            .ok_or_else(|| format!("the WebM ends inside the element at byte {pos}"))?;
        pos = end;
        children.push((el, end));
    }
    Ok(children)
}

fn is_segment_level(id: u32) -> bool {
    matches!(
        id,
        ID_SEEK_HEAD
            | ID_INFO
            | ID_TRACKS
            | ID_CLUSTER
            | ID_CUES
            | ID_ATTACHMENTS
            | ID_CHAPTERS
            | ID_TAGS
            | ID_EBML_HEADER
            | ID_SEGMENT
    )
}

/// Calls `visit` on each Segment child with its end, skipping Clusters (audio) without
/// descending into them further than their blocks; returns where the Segment ended.
fn segment_children(
    bytes: &[u8],
    from: usize,
    to: usize,
    mut visit: impl FnMut(&Ebml, usize) -> Result<(), String>,
) -> Result<usize, String> {
    let mut pos = from;
    while pos < to {
        let el = ebml_element(bytes, pos)?;
        if el.id == ID_EBML_HEADER || el.id == ID_SEGMENT {
            // A chained Segment inside an unknown-size one: the caller takes it from here.
            return Ok(pos);
        }
        let end = match el.end {
            Some(end) if end <= to => end,
            // A cut-off recording: the last Cluster runs past the end of the file. Nothing
            // after it can be read, and nothing in it is metadata.
            Some(_) if el.id == ID_CLUSTER => return Ok(to),
            Some(_) => return Err(format!("the WebM ends inside the element at byte {pos}")),
            None if el.id == ID_CLUSTER => {
                pos = skip_unknown_cluster(bytes, el.data, to)?;
                continue;
            }
            None => {
                return Err(format!(
                    "the WebM has an element of unknown size at byte {pos}, which is not supported"
                ))
            }
        };
        visit(&el, end)?;
        pos = end;
    }
    Ok(to)
}

/// An unknown-size Cluster (MediaRecorder) ends where the next Segment-level element starts.
fn skip_unknown_cluster(bytes: &[u8], from: usize, to: usize) -> Result<usize, String> {
    let mut pos = from;
    while pos < to {
        let el = match ebml_element(bytes, pos) {
            Ok(el) => el,
            // A header cut by the end of the file: a recording that stopped mid-write.
            Err(_) if to - pos < 12 => return Ok(to),
            Err(e) => return Err(e),
        };
        if is_segment_level(el.id) {
            return Ok(pos);
        }
        match el.end {
            Some(end) if end <= to => pos = end,
            Some(_) => return Ok(to),
            None => {
                return Err(format!(
                    "the WebM has an element of unknown size inside a cluster at byte {pos}"
                ))
            }
        }
    }
    Ok(to)
}

/// Overwrites `out[start..end]` with a Void element of exactly that total size.
fn ebml_void(out: &mut [u8], start: usize, end: usize) -> Result<(), String> {
    let total = end.saturating_sub(start);
    // ID (1 byte) + size field (1..=8 bytes) + zeroed payload; all-ones sizes mean "unknown".
    let fit = (1..=8usize).find_map(|len| {
        let payload = total.checked_sub(1 + len)? as u64;
        (payload < (1u64 << (7 * len)) - 1).then_some((len, payload))
    });
    let Some((len, payload)) = fit else {
        return Err(format!(
            "the WebM element at byte {start} is too short to blank"
        ));
    };
    let marked = payload | (1u64 << (7 * len));
    put(out, start, &[ID_VOID]);
    put(out, start + 1, &marked.to_be_bytes()[8 - len..]);
    zero(out, start + 1 + len, end);
    Ok(())
}

fn webm(bytes: &[u8]) -> Result<(Vec<u8>, Found), String> {
    let mut out = bytes.to_vec();
    let mut found = Found::default();
    let mut pos = 0;
    while pos < bytes.len() {
        let el = ebml_element(bytes, pos)?;
        if el.id != ID_SEGMENT {
            pos = el
                .end
                .filter(|&end| end <= bytes.len())
                .ok_or_else(|| format!("the WebM ends inside the element at byte {pos}"))?;
            continue;
        }
        let to = match el.end {
            Some(end) if end > bytes.len() => {
                return Err(format!("the WebM ends inside the Segment at byte {pos}"))
            }
            Some(end) => end,
            None => bytes.len(),
        };
        pos = segment_children(bytes, el.data, to, |child, end| {
            match child.id {
                ID_TAGS => {
                    let payload = bytes.get(child.data..end).unwrap_or_default();
                    let upper = payload.to_ascii_uppercase();
                    found = found.union(Found {
                        location: contains_any(&upper, &[b"LOCATION", b"GPS"]),
                        camera: contains_any(&upper, &[b"MAKE", b"MODEL"]),
                        other: true,
                    });
                    ebml_void(&mut out, child.start, end)?;
                }
                ID_ATTACHMENTS => {
                    found.other = true;
                    ebml_void(&mut out, child.start, end)?;
                }
                ID_INFO | ID_TRACKS => {
                    for (el, el_end) in ebml_children(bytes, child.data, end)? {
                        let blank = match el.id {
                            ID_TITLE | ID_DATE_UTC => child.id == ID_INFO,
                            ID_TRACK_ENTRY => {
                                for (name, name_end) in ebml_children(bytes, el.data, el_end)? {
                                    if name.id == ID_TRACK_NAME {
                                        found.other = true;
                                        ebml_void(&mut out, name.start, name_end)?;
                                    }
                                }
                                false
                            }
                            _ => false,
                        };
                        if blank {
                            found.other = true;
                            ebml_void(&mut out, el.start, el_end)?;
                        }
                    }
                }
                _ => {}
            }
            Ok(())
        })?;
    }
    Ok((out, found))
}

/// A TrackEntry's type (1 video, 2 audio, ...) and codec ID.
fn track_kind(bytes: &[u8], from: usize, to: usize) -> Result<(u64, String), String> {
    let mut kind = 0;
    let mut codec = String::new();
    for (el, end) in ebml_children(bytes, from, to)? {
        let data = bytes.get(el.data..end).unwrap_or_default();
        match el.id {
            ID_TRACK_TYPE => kind = data.iter().fold(0u64, |n, &b| (n << 8) | u64::from(b)),
            ID_CODEC_ID => {
                codec = String::from_utf8_lossy(data)
                    .trim_end_matches('\0')
                    .to_string()
            }
            _ => {}
        }
    }
    Ok((kind, codec))
}

#[cfg(test)]
mod tests {
    use super::*;

    // --- builders -----------------------------------------------------------------------------

    fn mp3_frames() -> Vec<u8> {
        let mut v = Vec::new();
        for i in 0..3u8 {
            v.extend_from_slice(&[0xFF, 0xFB, 0x90, 0x64]);
            v.extend((0..413u32).map(|k| (k * 7) as u8 ^ i));
        }
        v
    }

    fn syncsafe_bytes(n: usize) -> [u8; 4] {
        [
            (n >> 21) as u8 & 0x7F,
            (n >> 14) as u8 & 0x7F,
            (n >> 7) as u8 & 0x7F,
            n as u8 & 0x7F,
        ]
    }

    fn id3v2(version: u8, flags: u8, title: &str) -> Vec<u8> {
        let mut frame = b"TIT2".to_vec();
        frame.extend_from_slice(&(title.len() as u32 + 1).to_be_bytes());
        frame.extend_from_slice(&[0, 0, 0]);
        frame.extend_from_slice(title.as_bytes());
        let mut tag = vec![b'I', b'D', b'3', version, 0, flags];
        tag.extend_from_slice(&syncsafe_bytes(frame.len()));
        tag.extend_from_slice(&frame);
        if flags & 0x10 != 0 {
            let mut footer = tag[..10].to_vec();
            footer[..3].copy_from_slice(b"3DI");
            tag.extend_from_slice(&footer);
        }
        tag
    }

    fn ape() -> Vec<u8> {
        let mut item = 6u32.to_le_bytes().to_vec();
        item.extend_from_slice(&0u32.to_le_bytes());
        item.extend_from_slice(b"Artist\0Secret");
        let size = item.len() as u32 + 32;
        let head = |flags: u32| {
            let mut h = b"APETAGEX".to_vec();
            for n in [2000, size, 1, flags, 0, 0] {
                h.extend_from_slice(&n.to_le_bytes());
            }
            h
        };
        let mut tag = head(0xA000_0000);
        tag.extend_from_slice(&item);
        tag.extend_from_slice(&head(0x8000_0000));
        tag
    }

    fn id3v1() -> Vec<u8> {
        let mut tag = b"TAGSecret title".to_vec();
        tag.resize(128, 0);
        tag
    }

    fn lyrics3() -> Vec<u8> {
        let mut block = b"LYRICSBEGININD0000210".to_vec();
        let size = block.len();
        block.extend_from_slice(format!("{size:06}LYRICS200").as_bytes());
        block
    }

    fn bx(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut b = (payload.len() as u32 + 8).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(payload);
        b
    }

    fn cat(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    /// An M4A with metadata in moov/udta (©xyz, meta/ilst), moov/meta (keys), trak/udta, and set
    /// times; `mdat` follows `moov` and `stco` points into it.
    fn m4a(extra_udta: &[u8]) -> (Vec<u8>, usize) {
        let ftyp = bx(b"ftyp", b"M4A \0\0\0\0M4A isom");
        let build = |offset: u32| {
            let mut mvhd = vec![0, 0, 0, 0];
            mvhd.extend_from_slice(&0xD000_0001u32.to_be_bytes());
            mvhd.extend_from_slice(&0xD000_0002u32.to_be_bytes());
            mvhd.resize(100, 1);
            let mut tkhd = vec![0, 0, 0, 3];
            tkhd.extend_from_slice(&[0x11; 8]);
            tkhd.resize(84, 0);
            let mut mdhd = vec![1, 0, 0, 0];
            mdhd.extend_from_slice(&[0x22; 16]);
            mdhd.resize(36, 0);
            let mut stco = vec![0, 0, 0, 0, 0, 0, 0, 1];
            stco.extend_from_slice(&offset.to_be_bytes());
            let stbl = bx(b"stbl", &bx(b"stco", &stco));
            let mdia = bx(b"mdia", &cat(&[&bx(b"mdhd", &mdhd), &bx(b"minf", &stbl)]));
            let trak_udta = bx(b"udta", &bx(b"\xA9nam", b"\0\x05\0\0Track"));
            let trak = bx(b"trak", &cat(&[&bx(b"tkhd", &tkhd), &trak_udta, &mdia]));
            let hdlr = bx(b"hdlr", &[0; 25]);
            let ilst = bx(
                b"ilst",
                &bx(b"\xA9nam", &bx(b"data", b"\0\0\0\x01\0\0\0\0Memo")),
            );
            let meta = bx(b"meta", &cat(&[&[0, 0, 0, 0], &hdlr, &ilst]));
            let udta = bx(
                b"udta",
                &cat(&[
                    &bx(b"\xA9xyz", b"\0\x11\x15\xc7+39.9+116.4/"),
                    &meta,
                    extra_udta,
                ]),
            );
            let mut keys = vec![0, 0, 0, 0, 0, 0, 0, 1];
            keys.extend_from_slice(&bx(b"mdta", b"com.apple.quicktime.location.ISO6709"));
            let qt_ilst = bx(
                b"ilst",
                &bx(
                    &[0, 0, 0, 1],
                    &bx(b"data", b"\0\0\0\x01\0\0\0\0+39.9+116.4/"),
                ),
            );
            let qt_meta = bx(b"meta", &cat(&[&hdlr, &bx(b"keys", &keys), &qt_ilst]));
            bx(
                b"moov",
                &cat(&[&bx(b"mvhd", &mvhd), &trak, &udta, &qt_meta]),
            )
        };
        let moov_len = build(0).len();
        let audio_at = ftyp.len() + moov_len + 8;
        let moov = build(audio_at as u32);
        let mdat = bx(b"mdat", b"\x21\x10AUDIOFRAMES");
        (cat(&[&ftyp, &moov, &mdat]), audio_at)
    }

    fn ogg_page(flags: u8, granule: u64, seq: u32, packets: &[&[u8]]) -> Vec<u8> {
        let mut lacing = Vec::new();
        let mut body = Vec::new();
        for p in packets {
            lacing.extend(std::iter::repeat_n(255, p.len() / 255));
            lacing.push((p.len() % 255) as u8);
            body.extend_from_slice(p);
        }
        let mut page = b"OggS\0".to_vec();
        page.push(flags);
        page.extend_from_slice(&granule.to_le_bytes());
        page.extend_from_slice(&0x1234u32.to_le_bytes());
        page.extend_from_slice(&seq.to_le_bytes());
        page.extend_from_slice(&[0; 4]);
        page.push(lacing.len() as u8);
        page.extend_from_slice(&lacing);
        page.extend_from_slice(&body);
        let crc = ogg_crc(&page);
        page[22..26].copy_from_slice(&crc.to_le_bytes());
        page
    }

    fn comments(vendor: &str, list: &[String]) -> Vec<u8> {
        let mut c = (vendor.len() as u32).to_le_bytes().to_vec();
        c.extend_from_slice(vendor.as_bytes());
        c.extend_from_slice(&(list.len() as u32).to_le_bytes());
        for s in list {
            c.extend_from_slice(&(s.len() as u32).to_le_bytes());
            c.extend_from_slice(s.as_bytes());
        }
        c
    }

    fn audio_pages(first_seq: u32) -> Vec<u8> {
        let mut v = Vec::new();
        for i in 0..3u32 {
            let flags = if i == 2 { 4 } else { 0 };
            let p1 = vec![0xFC; 40 + i as usize];
            let p2 = vec![0x0B; 300];
            v.extend(ogg_page(
                flags,
                960 * u64::from(i + 1),
                first_seq + i,
                &[&p1, &p2],
            ));
        }
        v
    }

    /// Ogg Opus whose OpusTags (with a picture and a location) spans two pages.
    fn opus() -> Vec<u8> {
        let head = b"OpusHead\x01\x01\x38\x01\x80\xbb\0\0\0\0\0";
        let picture = format!("METADATA_BLOCK_PICTURE={}", "A".repeat(70_000));
        let tags = cat(&[
            b"OpusTags",
            &comments("Lavf59", &["LOCATION=Beijing".into(), picture]),
        ]);
        let mut file = ogg_page(2, 0, 0, &[head]);
        let mut seq = 0;
        let written = ogg_write_packets(&mut file, &[tags], 0x1234, 0, 0);
        assert_eq!(written, 2);
        seq += written as u32;
        file.extend(audio_pages(seq + 1));
        file
    }

    fn vorbis() -> Vec<u8> {
        let ident = b"\x01vorbis\0\0\0\0\x01\x44\xac\0\0\0\0\0\0\0\0\0\0\0\0\0\xb8\x01";
        let comment = cat(&[
            b"\x03vorbis",
            &comments("Xiph", &["TITLE=Secret".into()]),
            b"\x01",
        ]);
        let setup = cat(&[b"\x05vorbis", &[7; 500]]);
        let mut file = ogg_page(2, 0, 0, &[ident]);
        file.extend(ogg_page(0, 0, 1, &[&comment, &setup]));
        file.extend(audio_pages(2));
        file
    }

    fn flac_block(head: u8, payload: &[u8]) -> Vec<u8> {
        let n = payload.len();
        cat(&[&[head, (n >> 16) as u8, (n >> 8) as u8, n as u8], payload])
    }

    fn flac_frames() -> Vec<u8> {
        cat(&[&[0xFF, 0xF8, 0x69, 0x08], &[0x5A; 300]])
    }

    fn flac() -> Vec<u8> {
        cat(&[
            b"fLaC",
            &flac_block(0, &[0x10; 34]),
            &flac_block(3, &[0; 18]),
            &flac_block(4, &comments("reference libFLAC", &["ARTIST=Secret".into()])),
            &flac_block(0x86, b"\0\0\0\x03image/pngSECRETPICTURE"),
            &flac_frames(),
        ])
    }

    fn chunk(id: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut c = id.to_vec();
        c.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        c.extend_from_slice(payload);
        if payload.len() % 2 == 1 {
            c.push(0);
        }
        c
    }

    fn wav() -> Vec<u8> {
        let body = cat(&[
            b"WAVE",
            &chunk(
                b"fmt ",
                &[1, 0, 1, 0, 0x40, 0x1F, 0, 0, 0x80, 0x3E, 0, 0, 2, 0, 16, 0],
            ),
            &chunk(b"LIST", &cat(&[b"INFO", &chunk(b"INAM", b"Secret\0")])),
            &chunk(b"data", &[1, 2, 3, 4, 5]),
            &chunk(b"id3 ", &id3v2(3, 0, "Secret")),
        ]);
        cat(&[b"RIFF", &(body.len() as u32).to_le_bytes(), &body])
    }

    fn el(id: u32, payload: &[u8]) -> Vec<u8> {
        let id_bytes = id.to_be_bytes();
        let skip = id_bytes.iter().take_while(|&&b| b == 0).count();
        let mut e = id_bytes[skip..].to_vec();
        // An 8-byte size field, as some muxers write, so Voids of odd totals are exercised.
        e.push(0x01);
        e.extend_from_slice(&(payload.len() as u64).to_be_bytes()[1..]);
        e.extend_from_slice(payload);
        e
    }

    fn short_el(id: u8, payload: &[u8]) -> Vec<u8> {
        cat(&[&[id, 0x80 | payload.len() as u8], payload])
    }

    const UNKNOWN: [u8; 8] = [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];

    fn cluster(n: u8) -> Vec<u8> {
        cat(&[
            &ID_CLUSTER.to_be_bytes(),
            &UNKNOWN,
            &short_el(0xE7, &[n]),
            &el(0xA3, &[0x81, 0, 0, 0x80, 0xFC, n, n, n]),
        ])
    }

    fn webm(track_type: u8) -> Vec<u8> {
        let header = el(ID_EBML_HEADER, &el(ID_DOC_TYPE, b"webm"));
        let info = el(
            ID_INFO,
            &cat(&[
                &el(0x2AD7B1, &[0x0F, 0x42, 0x40]),
                &el(0x4D80, b"Chrome"),
                &el(0x5741, b"Chrome"),
                &el(ID_TITLE, b"Secret"),
                &el(ID_DATE_UTC, &[1; 8]),
            ]),
        );
        let tracks = el(
            ID_TRACKS,
            &el(
                ID_TRACK_ENTRY,
                &cat(&[
                    &short_el(0xD7, &[1]),
                    &short_el(0x83, &[track_type]),
                    &short_el(0x86, b"A_OPUS"),
                ]),
            ),
        );
        let tags = el(
            ID_TAGS,
            &el(
                0x7373,
                &el(
                    0x67C8,
                    &cat(&[&el(0x45A3, b"LOCATION"), &el(0x4487, b"Beijing")]),
                ),
            ),
        );
        cat(&[
            &header,
            &ID_SEGMENT.to_be_bytes(),
            &UNKNOWN,
            &info,
            &tracks,
            &cluster(1),
            &cluster(2),
            &tags,
        ])
    }

    fn fixtures() -> Vec<(&'static str, Vec<u8>)> {
        let frames = mp3_frames();
        vec![
            (
                "mp3",
                cat(&[
                    &id3v2(3, 0, "A"),
                    &id3v2(4, 0x10, "B"),
                    &frames,
                    &ape(),
                    &id3v1(),
                ]),
            ),
            ("m4a", m4a(b"").0),
            ("opus", opus()),
            ("vorbis", vorbis()),
            ("flac", flac()),
            ("wav", wav()),
            ("webm", webm(2)),
        ]
    }

    use memchr::memmem::find;

    fn stripped(bytes: &[u8]) -> Stripped {
        strip(bytes).expect("strips").expect("has metadata")
    }

    // --- tests ----------------------------------------------------------------------------------

    #[test]
    fn mp3_tags_at_both_ends_go() {
        let frames = mp3_frames();
        let file = cat(&[
            &id3v2(3, 0, "Secret"),
            &id3v2(4, 0x10, "Secret"),
            &frames,
            &id3v2(4, 0x10, "Appended"),
            &lyrics3(),
            &ape(),
            &id3v1(),
        ]);
        let s = stripped(&file);
        assert_eq!(s.bytes, frames);
        assert_eq!(
            s.found,
            Found {
                other: true,
                ..Found::default()
            }
        );
        // APE without header, then nothing else.
        let mut ape_footer_only = ape();
        ape_footer_only.drain(..32);
        let size = ape_footer_only.len() as u32;
        let footer_at = ape_footer_only.len() - 32;
        ape_footer_only[footer_at + 12..footer_at + 16].copy_from_slice(&size.to_le_bytes());
        ape_footer_only[footer_at + 20..footer_at + 24].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(stripped(&cat(&[&frames, &ape_footer_only])).bytes, frames);
        assert_eq!(strip(&frames), Ok(None));
    }

    #[test]
    fn mp3_errors_are_one_line() {
        let mut file = id3v2(3, 0, "Secret");
        file.truncate(12);
        assert_eq!(
            strip(&file),
            Err("the MP3 ends inside an ID3v2 tag at byte 0".into())
        );
        assert!(strip(&id3v2(3, 0, "x")).is_err());
    }

    #[test]
    fn m4a_metadata_becomes_free_and_offsets_stay() {
        let (file, audio_at) = m4a(b"");
        let s = stripped(&file);
        assert_eq!(
            s.found,
            Found {
                location: true,
                camera: false,
                other: true
            }
        );
        assert_eq!(s.bytes.len(), file.len());
        assert_eq!(&s.bytes[audio_at..], &file[audio_at..]);
        let stco = find(&file, b"stco").unwrap();
        assert_eq!(s.bytes[stco - 4..stco + 16], file[stco - 4..stco + 16]);
        for secret in [
            &b"\xA9xyz"[..],
            b"+39.9",
            b"Memo",
            b"Track",
            b"udta",
            b"meta",
            b"keys",
        ] {
            assert!(find(&s.bytes, secret).is_none(), "{secret:?} left");
        }
        assert!(find(&s.bytes, &[0xD0, 0, 0, 1]).is_none(), "mvhd time left");
        assert!(find(&s.bytes, &[0x11; 8]).is_none(), "tkhd time left");
        assert!(find(&s.bytes, &[0x22; 16]).is_none(), "mdhd time left");
        assert_eq!(strip(&s.bytes), Ok(None));
        assert_eq!(inspect(&file), Ok(s.found));

        let camera = m4a(&bx(b"\xA9mak", b"\0\x05\0\0Apple")).0;
        assert!(inspect(&camera).unwrap().camera);
    }

    #[test]
    fn m4a_errors_name_the_box() {
        let (file, _) = m4a(b"");
        let moov = find(&file, b"moov").unwrap() - 4;
        assert_eq!(
            strip(&file[..moov + 100]),
            Err(format!("the M4A ends inside the `moov` box at byte {moov}"))
        );
    }

    fn pages_ok(bytes: &[u8]) -> Vec<OggPage> {
        let pages = ogg_pages(bytes).expect("pages parse");
        for (i, p) in pages.iter().enumerate() {
            let mut page = bytes[p.start..p.end].to_vec();
            let crc = u32::from_le_bytes(page[22..26].try_into().unwrap());
            page[22..26].fill(0);
            assert_eq!(ogg_crc(&page), crc, "crc of page {i}");
            assert_eq!(p.seq, i as u32, "sequence of page {i}");
        }
        pages
    }

    #[test]
    fn ogg_crc_matches_reference() {
        // CRC-32/POSIX check value 0x765E7680 without its final xor.
        assert_eq!(ogg_crc(b"123456789"), 0x765E_7680 ^ 0xFFFF_FFFF);
    }

    #[test]
    fn opus_tags_become_empty_and_audio_pages_keep_their_bytes() {
        let file = opus();
        assert_eq!(pages_ok(&file).len(), 6);
        let s = stripped(&file);
        assert_eq!(
            s.found,
            Found {
                location: true,
                camera: false,
                other: true
            }
        );
        let before = ogg_pages(&file).unwrap();
        let after = pages_ok(&s.bytes);
        assert_eq!(after.len(), 5);
        assert_eq!(s.bytes[..after[0].end], file[..before[0].end]);
        assert_eq!(
            &s.bytes[after[1].body..after[1].end],
            b"OpusTags\0\0\0\0\0\0\0\0"
        );
        for (a, b) in after[2..].iter().zip(&before[3..]) {
            // Everything but the sequence number and CRC: flags, granule, serial, lacing, body.
            assert_eq!(s.bytes[a.start..a.start + 18], file[b.start..b.start + 18]);
            assert_eq!(s.bytes[a.start + 26..a.end], file[b.start + 26..b.end]);
        }
        assert_eq!(strip(&s.bytes), Ok(None));
    }

    #[test]
    fn vorbis_comment_becomes_empty_and_setup_stays() {
        let file = vorbis();
        let s = stripped(&file);
        let after = pages_ok(&s.bytes);
        assert_eq!(after.len(), 5);
        let body = &s.bytes[after[1].body..after[1].end];
        assert!(body.starts_with(b"\x03vorbis\0\0\0\0\0\0\0\0\x01\x05vorbis"));
        assert!(find(&s.bytes, b"Secret").is_none());
        assert_eq!(
            s.bytes[after[2].start..],
            file[ogg_pages(&file).unwrap()[2].start..]
        );
        assert_eq!(strip(&s.bytes), Ok(None));
    }

    #[test]
    fn ogg_with_two_streams_is_refused() {
        let mut file = opus();
        let other = ogg_page(2, 0, 0, &[b"OpusHead"]);
        let mut other = other.clone();
        other[14] = 0x99;
        file.extend(other);
        assert_eq!(
            strip(&file),
            Err(
                "an Ogg file with several streams is not supported; export a single recording"
                    .into()
            )
        );
    }

    #[test]
    fn flac_comments_and_pictures_become_padding() {
        let file = flac();
        let s = stripped(&file);
        assert_eq!(s.bytes.len(), file.len());
        assert!(s.bytes.ends_with(&flac_frames()));
        assert!(find(&s.bytes, b"Secret").is_none() && find(&s.bytes, b"SECRET").is_none());
        let mut pos = 4;
        let mut kinds = Vec::new();
        loop {
            let head = s.bytes[pos];
            kinds.push(head);
            pos += 4 + usize::from(s.bytes[pos + 3]) + (usize::from(s.bytes[pos + 2]) << 8);
            if head & 0x80 != 0 {
                break;
            }
        }
        assert_eq!(kinds, [0, 3, 1, 0x81]);
        assert_eq!(strip(&s.bytes), Ok(None));
        // An ID3v2 tag in front of a FLAC stream is cut too.
        let tagged = cat(&[&id3v2(3, 0, "Secret"), &file]);
        assert_eq!(stripped(&tagged).bytes, s.bytes);
    }

    #[test]
    fn wav_metadata_chunks_are_cut() {
        let file = wav();
        let s = stripped(&file);
        assert!(find(&s.bytes, b"Secret").is_none());
        assert_eq!(le_u32(&s.bytes, 4), Some(s.bytes.len() as u32 - 8));
        assert_eq!(s.bytes.len(), 12 + 24 + 14);
        assert!(s.bytes.ends_with(&chunk(b"data", &[1, 2, 3, 4, 5])));
        assert_eq!(strip(&s.bytes), Ok(None));
    }

    #[test]
    fn webm_tags_and_title_become_void() {
        let file = webm(2);
        let s = stripped(&file);
        assert_eq!(
            s.found,
            Found {
                location: true,
                camera: false,
                other: true
            }
        );
        assert_eq!(s.bytes.len(), file.len());
        assert!(find(&s.bytes, b"Secret").is_none() && find(&s.bytes, b"Beijing").is_none());
        assert_eq!(find(&s.bytes, b"Chrome"), find(&file, b"Chrome"));
        let clusters = find(&file, &ID_CLUSTER.to_be_bytes()).unwrap();
        let tags = find(&file, &ID_TAGS.to_be_bytes()).unwrap();
        assert_eq!(s.bytes[clusters..tags], file[clusters..tags]);
        assert_eq!(s.bytes[tags], ID_VOID);
        assert_eq!(strip(&s.bytes), Ok(None));
        assert_eq!(webm_is_audio_only(&file), Ok(true));
        assert_eq!(webm_is_audio_only(&s.bytes), Ok(true));
        assert_eq!(webm_is_audio_only(&webm(1)), Ok(false));
    }

    #[test]
    fn void_fills_exactly() {
        for total in (2..300).chain([16_384, 16_385, 2_097_152, 2_097_153]) {
            let mut out = vec![0xAA; total];
            ebml_void(&mut out, 0, total).unwrap();
            let el = ebml_element(&out, 0).unwrap();
            assert_eq!(
                (el.id, el.end),
                (u32::from(ID_VOID), Some(total)),
                "total {total}"
            );
        }
        assert!(ebml_void(&mut [0xAA], 0, 1).is_err());
    }

    #[test]
    fn detection_helpers() {
        assert!(strip(b"#!AMR\n\x3c").unwrap_err().contains(AMR_HINT));
        assert!(strip(b"hello").is_err());
        assert!(webm_is_audio_only(b"hello").is_err());
        let webm_header = el(ID_EBML_HEADER, &el(ID_DOC_TYPE, b"webm")).len();
        let mka_header = el(ID_EBML_HEADER, &el(ID_DOC_TYPE, b"matroska"));
        let fixed = cat(&[&mka_header, &webm(2)[webm_header..]]);
        assert!(webm_is_audio_only(&fixed).is_err());
    }

    #[test]
    fn stripping_twice_changes_nothing() {
        for (name, file) in fixtures() {
            let once = stripped(&file);
            assert!(once.found.any(), "{name}");
            assert_eq!(strip(&once.bytes), Ok(None), "{name}");
            assert_eq!(inspect(&once.bytes), Ok(Found::default()), "{name}");
        }
    }

    #[test]
    fn no_panic_on_truncation_or_mutation() {
        let mut rng = fastrand::Rng::with_seed(0x9E37_79B9_7F4A_7C15);
        for (_, file) in fixtures() {
            let step = (file.len() / 1500).max(1);
            for len in (0..file.len()).step_by(step) {
                let _ = strip(&file[..len]);
                let _ = webm_is_audio_only(&file[..len]);
            }
            for _ in 0..400 {
                let mut bad = file.clone();
                for _ in 0..1 + rng.u64(..) % 4 {
                    let at = (rng.u64(..) % bad.len() as u64) as usize;
                    bad[at] = rng.u64(..) as u8;
                }
                let _ = strip(&bad);
                let _ = inspect(&bad);
                let _ = webm_is_audio_only(&bad);
            }
        }
    }
}
