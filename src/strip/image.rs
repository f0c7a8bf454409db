//! Lossless metadata removal for PNG, JPEG, GIF and WebP.
//!
//! Each format is walked block by block and blocks are copied verbatim or left out; pixel data
//! is never decoded or re-encoded, so the published picture is bit-for-bit the same picture.
//! What is kept is decided by a list of blocks known to affect how the picture looks (colour
//! profiles, palettes, transparency, animation); everything else that a format allows writers to
//! add is metadata and goes. Every read of the input is bounds-checked: a damaged file gives an
//! `Err` with a one-line message, never a panic, and the work is linear in the file size.

use memchr::memmem;

use super::{Found, Stripped};

/// Removes metadata from a PNG, JPEG, GIF or WebP without re-encoding pixels.
/// Ok(None): the file carries nothing to remove (publish it as it is, no copy).
/// Err: one lower-case line saying what is wrong with the file (e.g. "the JPEG ends inside a
/// segment at byte 1234"), for a user-facing error.
pub fn strip(bytes: &[u8]) -> Result<Option<Stripped>, String> {
    let (out, found) = walk(bytes)?;
    // Comparing the output decides "nothing to remove" exactly, whatever the format walker did.
    if out == bytes {
        Ok(None)
    } else {
        Ok(Some(Stripped { bytes: out, found }))
    }
}

/// What metadata the file carries, without changing it (used to warn when the user opts out of
/// stripping and a GPS position would be published).
pub fn inspect(bytes: &[u8]) -> Result<Found, String> {
    // The same walk as `strip`, so the warning can never disagree with what stripping removes.
    walk(bytes).map(|(_, found)| found)
}

/// Dispatches on the magic bytes, never on a file name.
fn walk(bytes: &[u8]) -> Result<(Vec<u8>, Found), String> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        png(bytes)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        jpeg(bytes)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        gif(bytes)
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        webp(bytes)
    } else {
        Err("the file is not a PNG, JPEG, GIF or WebP image".to_string())
    }
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

fn be16(b: &[u8], at: usize) -> Option<usize> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(usize::from(u16::from_be_bytes([s[0], s[1]])))
}

fn be32(b: &[u8], at: usize) -> Option<usize> {
    let s = b.get(at..at.checked_add(4)?)?;
    usize::try_from(u32::from_be_bytes([s[0], s[1], s[2], s[3]])).ok()
}

fn le32(b: &[u8], at: usize) -> Option<usize> {
    let s = b.get(at..at.checked_add(4)?)?;
    usize::try_from(u32::from_le_bytes([s[0], s[1], s[2], s[3]])).ok()
}

/// A block printed for an error message: its four-letter name, or hex when it is not text.
fn fourcc(name: &[u8]) -> String {
    name.escape_ascii().to_string()
}

/// Classifies a removed block by the text in it: XMP packets (in any format) name GPS
/// coordinates and camera properties with these property names.
pub(super) fn classify_text(data: &[u8]) -> Found {
    const LOCATION: &[&[u8]] = &[b"GPSLatitude", b"GPSLongitude", b"GPSAltitude"];
    const CAMERA: &[&[u8]] = &[
        b"tiff:Make",
        b"tiff:Model",
        b"aux:Lens",
        b"aux:SerialNumber",
        b"exifEX:LensMake",
        b"exifEX:LensModel",
        b"exifEX:LensSerialNumber",
        b"exifEX:BodySerialNumber",
    ];
    Found {
        location: LOCATION.iter().any(|n| memmem::find(data, n).is_some()),
        camera: CAMERA.iter().any(|n| memmem::find(data, n).is_some()),
        other: true,
    }
}

/// What an EXIF TIFF structure holds, and its Orientation if that is a rotation or flip.
fn classify_exif(tiff: &[u8]) -> (Found, Option<u16>) {
    use exif::{Context, In, Tag};
    let mut reader = exif::Reader::new();
    // A damaged IFD late in the file must not hide a GPS IFD parsed before it.
    reader.continue_on_error(true);
    let parsed = reader
        .read_raw(tiff.to_vec())
        .or_else(|e| e.distill_partial_result(|_| {}));
    let mut found = Found {
        other: true,
        ..Found::default()
    };
    let Ok(exif) = parsed else {
        return (found, None);
    };
    let mut orientation = None;
    for field in exif.fields() {
        if field.tag.context() == Context::Gps {
            found.location = true;
        }
        match field.tag {
            Tag::Make
            | Tag::Model
            | Tag::LensMake
            | Tag::LensModel
            | Tag::LensSerialNumber
            | Tag::BodySerialNumber
            | Tag::MakerNote => found.camera = true,
            Tag::Orientation if field.ifd_num == In::PRIMARY => {
                orientation = field
                    .value
                    .get_uint(0)
                    .and_then(|v| u16::try_from(v).ok())
                    .filter(|v| (2..=8).contains(v));
            }
            _ => {}
        }
    }
    (found, orientation)
}

/// The smallest EXIF TIFF that says only how the picture is rotated: big-endian header, one IFD
/// with the single Orientation entry (SHORT, count 1), no next IFD.
fn orientation_tiff(orientation: u16) -> Vec<u8> {
    let mut t = Vec::with_capacity(26);
    t.extend_from_slice(b"MM\0*");
    t.extend_from_slice(&8u32.to_be_bytes());
    t.extend_from_slice(&1u16.to_be_bytes());
    t.extend_from_slice(&0x0112u16.to_be_bytes());
    t.extend_from_slice(&3u16.to_be_bytes());
    t.extend_from_slice(&1u32.to_be_bytes());
    t.extend_from_slice(&orientation.to_be_bytes());
    t.extend_from_slice(&[0, 0]);
    t.extend_from_slice(&0u32.to_be_bytes());
    t
}

/// Whether an EXIF TIFF is exactly what [`orientation_tiff`] makes, so a stripped file is left
/// alone the second time (stripping is idempotent).
fn is_orientation_tiff(tiff: &[u8]) -> bool {
    tiff.len() == 26 && (2..=8).any(|o| orientation_tiff(o) == tiff)
}

/// Classifies an EXIF block and says what replaces it: only the orientation survives, because a
/// sideways phone photo would otherwise be shown sideways.
fn exif_replacement(tiff: &[u8]) -> (Found, Option<Vec<u8>>) {
    let (found, orientation) = classify_exif(tiff);
    (found, orientation.map(orientation_tiff))
}

// ---------------------------------------------------------------------------------------------
// JPEG

const EXIF_HEADER: &[u8] = b"Exif\0\0";

/// What becomes of one JPEG marker segment.
enum Action {
    Keep,
    Drop(Found),
    /// Write this payload (without marker and length) in place of the original.
    Replace(Vec<u8>, Found),
}

fn jpeg(b: &[u8]) -> Result<(Vec<u8>, Found), String> {
    let mut out = Vec::with_capacity(b.len());
    let mut found = Found::default();
    out.extend_from_slice(b.get(..2).unwrap_or_default());
    let mut pos = 2;
    // Only one orientation-only EXIF segment may be written, however many EXIF segments exist.
    let mut orientation_written = false;
    loop {
        match b.get(pos) {
            None => {
                // Ended without EOI. Browsers show such files (as far as they go), so they are
                // accepted rather than refused; nothing is appended.
                break;
            }
            Some(0xFF) => {}
            Some(_) => return Err(format!("the JPEG has no segment marker at byte {pos}")),
        }
        // 0xFF fill bytes may precede a marker; they are copied with it.
        let mut m = pos + 1;
        while b.get(m) == Some(&0xFF) {
            m += 1;
        }
        let Some(&marker) = b.get(m) else {
            break;
        };
        match marker {
            0xD9 => {
                out.extend_from_slice(b.get(pos..=m).unwrap_or_default());
                // Bytes after EOI are not part of the picture: phones append a second image
                // there (MPF preview, depth map) or vendor trailers, which can show more than
                // the published crop. They go.
                if b.len() > m + 1 {
                    found.other = true;
                }
                break;
            }
            // Markers that stand alone, without a length.
            0x01 | 0xD0..=0xD8 => {
                out.extend_from_slice(b.get(pos..=m).unwrap_or_default());
                pos = m + 1;
                continue;
            }
            0x00 => return Err(format!("the JPEG has a stray byte at byte {m}")),
            _ => {}
        }
        let Some(len) = be16(b, m + 1) else {
            return Err(format!("the JPEG ends inside a segment at byte {pos}"));
        };
        if len < 2 {
            return Err(format!(
                "the JPEG has a segment of impossible length at byte {pos}"
            ));
        }
        let end = m + 1 + len;
        let (Some(segment), Some(payload)) = (b.get(pos..end), b.get(m + 3..end)) else {
            return Err(format!("the JPEG ends inside a segment at byte {pos}"));
        };
        match jpeg_action(marker, payload, &mut orientation_written) {
            Action::Keep => out.extend_from_slice(segment),
            Action::Drop(f) => found = found.union(f),
            Action::Replace(new, f) => {
                found = found.union(f);
                out.extend_from_slice(&[0xFF, marker]);
                // Replacements are small constants (at most 34 bytes) so the length fits.
                out.extend_from_slice(&u16::try_from(new.len() + 2).unwrap_or(2).to_be_bytes());
                out.extend_from_slice(&new);
            }
        }
        pos = end;
        if marker == 0xDA {
            // Entropy-coded data follows SOS. It ends at the next 0xFF that is neither a
            // stuffed 0x00 nor a restart marker; from there the segment walk goes on, so
            // metadata between progressive scans is handled like any other.
            // memchr finds the candidates: the scan of a 12-megapixel photo's megabytes of
            // entropy-coded data is then a fraction of a millisecond.
            let mut i = pos;
            loop {
                let Some(at) = b.get(i..).and_then(|rest| memchr::memchr(0xFF, rest)) else {
                    i = b.len();
                    break;
                };
                i += at;
                match b.get(i + 1) {
                    Some(0x00) | Some(0xD0..=0xD7) => i += 2,
                    _ => break,
                }
            }
            out.extend_from_slice(b.get(pos..i).unwrap_or_default());
            pos = i;
        }
    }
    Ok((out, found))
}

fn jpeg_action(marker: u8, payload: &[u8], orientation_written: &mut bool) -> Action {
    let other = Found {
        other: true,
        ..Found::default()
    };
    match marker {
        // APP0: JFIF is kept (it says how to interpret the colour samples); a JFIF thumbnail
        // is a second, possibly uncropped picture, so it is cut off. JFXX segments hold only a
        // thumbnail and go; other APP0 kinds are vendor data.
        0xE0 if payload.starts_with(b"JFIF\0") => {
            if payload.len() > 14 {
                let mut short = payload.get(..14).unwrap_or_default().to_vec();
                if let Some(t) = short.get_mut(12..14) {
                    t.copy_from_slice(&[0, 0]);
                }
                Action::Replace(short, other)
            } else {
                Action::Keep
            }
        }
        // APP1: EXIF, XMP, extended XMP, or anything else a vendor put there.
        0xE1 if payload.starts_with(EXIF_HEADER) => {
            let tiff = payload.get(EXIF_HEADER.len()..).unwrap_or_default();
            if is_orientation_tiff(tiff) && !*orientation_written {
                *orientation_written = true;
                return Action::Keep;
            }
            let (found, replacement) = exif_replacement(tiff);
            match replacement {
                Some(tiff) if !*orientation_written => {
                    *orientation_written = true;
                    let mut new = EXIF_HEADER.to_vec();
                    new.extend_from_slice(&tiff);
                    Action::Replace(new, found)
                }
                _ => Action::Drop(found),
            }
        }
        // APP2: ICC profiles carry colour and stay; MPF (phones' multi-picture index) and
        // FlashPix data go.
        0xE2 if payload.starts_with(b"ICC_PROFILE\0") => Action::Keep,
        // APP14 "Adobe" decides the CMYK/YCCK colour transform: without it colours change.
        0xEE if payload.starts_with(b"Adobe") => Action::Keep,
        // Every other APPn (vendor data, Photoshop IRB/IPTC in APP13, XMP in APP1) and COM.
        0xE0..=0xEF | 0xFE => Action::Drop(classify_text(payload)),
        // Tables, frame and scan headers, restart interval, JPEG extensions: the picture.
        _ => Action::Keep,
    }
}

// ---------------------------------------------------------------------------------------------
// PNG

/// Chunks that decide how the picture looks (or animates) and so are kept; unknown critical
/// chunks are kept too, because a decoder must understand them to show the picture at all.
const PNG_KEEP: &[&[u8; 4]] = &[
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT",
    b"bKGD", b"pHYs", b"acTL", b"fcTL", b"fdAT", b"cICP", b"mDCv", b"cLLi",
];

fn png(b: &[u8]) -> Result<(Vec<u8>, Found), String> {
    let mut out = Vec::with_capacity(b.len());
    let mut found = Found::default();
    out.extend_from_slice(b.get(..8).unwrap_or_default());
    let mut pos = 8;
    let mut orientation_written = false;
    while pos < b.len() {
        let (Some(len), Some(kind)) = (be32(b, pos), b.get(pos + 4..pos + 8)) else {
            return Err(format!("the PNG ends inside a chunk header at byte {pos}"));
        };
        let end = len
            .checked_add(pos + 12)
            .filter(|&end| end <= b.len())
            .ok_or_else(|| {
                format!(
                    "the PNG ends inside the `{}` chunk at byte {pos}",
                    fourcc(kind)
                )
            })?;
        let chunk = b.get(pos..end).unwrap_or_default();
        let data = b.get(pos + 8..end - 4).unwrap_or_default();
        let critical = kind.first().is_some_and(|c| c & 0x20 == 0);
        if kind == b"eXIf" {
            // Some writers put the JPEG-style "Exif\0\0" header in front of the TIFF.
            let tiff = data.strip_prefix(EXIF_HEADER).unwrap_or(data);
            if is_orientation_tiff(tiff) && !orientation_written {
                orientation_written = true;
                out.extend_from_slice(chunk);
            } else {
                let (f, replacement) = exif_replacement(tiff);
                found = found.union(f);
                if let Some(tiff) = replacement.filter(|_| !orientation_written) {
                    orientation_written = true;
                    push_png_chunk(&mut out, b"eXIf", &tiff);
                }
            }
        } else if critical || PNG_KEEP.iter().any(|k| k.as_slice() == kind) {
            out.extend_from_slice(chunk);
        } else {
            // tEXt/zTXt/iTXt (XMP is an iTXt "XML:com.adobe.xmp"), tIME, vendor chunks.
            found = found.union(classify_text(data));
        }
        pos = end;
        if kind == b"IEND" {
            // Data after IEND is not part of the picture (appended files, trackers).
            if pos < b.len() {
                found.other = true;
            }
            break;
        }
    }
    Ok((out, found))
}

fn push_png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(0).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    // CRC-32 (ISO 3309) over type and data, as PNG chunks use it.
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
}

// ---------------------------------------------------------------------------------------------
// GIF

/// The end of a chain of data sub-blocks starting at `pos` (after its zero terminator).
fn gif_sub_blocks(b: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let n = usize::from(*b.get(pos)?);
        pos += 1;
        if n == 0 {
            return Some(pos);
        }
        pos += n;
        if pos > b.len() {
            return None;
        }
    }
}

/// The byte length of a colour table announced by a packed-fields byte, if it has one.
fn gif_colour_table(flags: u8) -> usize {
    if flags & 0x80 != 0 {
        3 << ((flags & 7) + 1)
    } else {
        0
    }
}

fn gif(b: &[u8]) -> Result<(Vec<u8>, Found), String> {
    let mut out = Vec::with_capacity(b.len());
    let mut found = Found::default();
    let Some(&flags) = b.get(10) else {
        return Err("the GIF ends inside its header".to_string());
    };
    let mut pos = 13 + gif_colour_table(flags);
    let Some(head) = b.get(..pos) else {
        return Err("the GIF ends inside its colour table".to_string());
    };
    out.extend_from_slice(head);
    loop {
        let start = pos;
        match b.get(pos) {
            // Ended without a trailer: browsers show such files, so accept them as they are.
            None => break,
            Some(0x3B) => {
                out.push(0x3B);
                if b.len() > pos + 1 {
                    found.other = true;
                }
                break;
            }
            Some(0x2C) => {
                let Some(&flags) = b.get(pos + 9) else {
                    return Err(format!(
                        "the GIF ends inside an image descriptor at byte {pos}"
                    ));
                };
                // Descriptor (10 bytes), local colour table, LZW code size, image data.
                let data = pos + 10 + gif_colour_table(flags) + 1;
                let end = gif_sub_blocks(b, data)
                    .ok_or_else(|| format!("the GIF ends inside an image at byte {pos}"))?;
                out.extend_from_slice(b.get(start..end).unwrap_or_default());
                pos = end;
            }
            Some(0x21) => {
                let label = b.get(pos + 1).copied();
                let end = gif_sub_blocks(b, pos + 2)
                    .ok_or_else(|| format!("the GIF ends inside an extension at byte {pos}"))?;
                let block = b.get(start..end).unwrap_or_default();
                let keep = match label {
                    // Graphic control (frame timing, transparency) and plain text: the picture.
                    Some(0xF9) | Some(0x01) => true,
                    // Application extensions: only the looping ones affect what is shown.
                    Some(0xFF) => {
                        let id = b.get(pos + 2..pos + 14);
                        id == Some(b"\x0bNETSCAPE2.0") || id == Some(b"\x0bANIMEXTS1.0")
                    }
                    // Comments (0xFE) and unknown extensions.
                    _ => false,
                };
                if keep {
                    out.extend_from_slice(block);
                } else {
                    found = found.union(classify_text(block));
                }
                pos = end;
            }
            Some(other) => {
                return Err(format!(
                    "the GIF has an unknown block 0x{other:02x} at byte {pos}"
                ))
            }
        }
    }
    Ok((out, found))
}

// ---------------------------------------------------------------------------------------------
// WebP

/// Chunks that make up the picture (lossy, lossless, alpha, animation, colour profile).
const WEBP_KEEP: &[&[u8; 4]] = &[
    b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP",
];

fn webp(b: &[u8]) -> Result<(Vec<u8>, Found), String> {
    let mut out = Vec::with_capacity(b.len());
    let mut found = Found::default();
    out.extend_from_slice(b.get(..12).unwrap_or_default());
    let riff_size = le32(b, 4).unwrap_or(0);
    let riff_end = riff_size.saturating_add(8);
    // Bytes past the RIFF's own size are not part of the picture.
    let end = if riff_end < b.len() {
        found.other = true;
        riff_end
    } else {
        b.len()
    };
    let mut pos = 12;
    while pos < end {
        let (Some(kind), Some(size)) = (b.get(pos..pos + 4), le32(b, pos + 4)) else {
            return Err(format!("the WebP ends inside a chunk header at byte {pos}"));
        };
        let data_end = size
            .checked_add(pos + 8)
            .filter(|&e| e <= end)
            .ok_or_else(|| {
                format!(
                    "the WebP ends inside the `{}` chunk at byte {pos}",
                    fourcc(kind)
                )
            })?;
        let data = b.get(pos + 8..data_end).unwrap_or_default();
        // RIFF pads odd-sized chunks with one byte; a file cut right before the pad is
        // tolerated, and the pad is restored in the output.
        let padded = (data_end + (size & 1)).min(end);
        if kind == b"VP8X" {
            let mut chunk = b.get(pos..data_end).unwrap_or_default().to_vec();
            if let Some(flags) = chunk.get_mut(8) {
                // EXIF and XMP chunks never survive, so their presence flags must not either.
                *flags &= !(0x08 | 0x04);
            }
            out.extend_from_slice(&chunk);
            push_pad(&mut out, b, data_end, padded, size);
        } else if WEBP_KEEP.iter().any(|k| k.as_slice() == kind) {
            out.extend_from_slice(b.get(pos..data_end).unwrap_or_default());
            push_pad(&mut out, b, data_end, padded, size);
        } else if kind == b"EXIF" {
            let tiff = data.strip_prefix(EXIF_HEADER).unwrap_or(data);
            // The orientation is not kept here: browsers do not rotate WebP by EXIF.
            found = found.union(classify_exif(tiff).0);
        } else {
            found = found.union(classify_text(data));
        }
        pos = padded;
    }
    let size = u32::try_from(out.len().saturating_sub(8))
        .map_err(|_| "the WebP is larger than RIFF allows".to_string())?;
    if let Some(s) = out.get_mut(4..8) {
        s.copy_from_slice(&size.to_le_bytes());
    }
    Ok((out, found))
}

/// Copies a chunk's pad byte, or writes one where a cut-short file lost it.
fn push_pad(out: &mut Vec<u8>, b: &[u8], data_end: usize, padded: usize, size: usize) {
    if size & 1 == 1 {
        out.push(
            b.get(data_end..padded)
                .and_then(|p| p.first())
                .copied()
                .unwrap_or(0),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian EXIF TIFF with Make, Model, Orientation 6 and a GPS IFD (version,
    /// latitude reference). All values fit in their entries, so no data area is needed.
    fn exif_tiff() -> Vec<u8> {
        fn entry(t: &mut Vec<u8>, tag: u16, typ: u16, count: u32, value: [u8; 4]) {
            t.extend_from_slice(&tag.to_le_bytes());
            t.extend_from_slice(&typ.to_le_bytes());
            t.extend_from_slice(&count.to_le_bytes());
            t.extend_from_slice(&value);
        }
        let mut t = b"II*\0".to_vec();
        t.extend_from_slice(&8u32.to_le_bytes());
        t.extend_from_slice(&4u16.to_le_bytes());
        entry(&mut t, 0x010F, 2, 3, *b"Ab\0\0");
        entry(&mut t, 0x0110, 2, 3, *b"Cd\0\0");
        entry(&mut t, 0x0112, 3, 1, [6, 0, 0, 0]);
        entry(&mut t, 0x8825, 4, 1, 62u32.to_le_bytes());
        t.extend_from_slice(&0u32.to_le_bytes());
        assert_eq!(t.len(), 62);
        t.extend_from_slice(&2u16.to_le_bytes());
        entry(&mut t, 0x0000, 1, 4, [2, 3, 0, 0]);
        entry(&mut t, 0x0001, 2, 2, *b"N\0\0\0");
        t.extend_from_slice(&0u32.to_le_bytes());
        t
    }

    const XMP: &[u8] = b"<x:xmpmeta><rdf:Description exif:GPSLatitude='51,30N' \
        tiff:Make='Ab' dc:creator='Me'/></x:xmpmeta>";

    fn seg(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
        s.extend_from_slice(payload);
        s
    }

    const JFIF: &[u8] = b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0";
    const ADOBE: &[u8] = b"Adobe\0\x64\0\0\0\0\x01";
    const ICC: &[u8] = b"ICC_PROFILE\0\x01\x01fake-profile";
    const SCAN: &[u8] = b"\x12\x34\xFF\x00\x56\xFF\xD0\x78";

    fn jpeg_fixture() -> Vec<u8> {
        let mut j = vec![0xFF, 0xD8];
        j.extend(seg(0xE0, JFIF));
        j.extend(seg(0xE1, &[EXIF_HEADER, &exif_tiff()].concat()));
        j.extend(seg(
            0xE1,
            &[b"http://ns.adobe.com/xap/1.0/\0".as_slice(), XMP].concat(),
        ));
        j.extend(seg(0xE2, ICC));
        j.extend(seg(0xE2, b"MPF\0II*\0"));
        j.extend(seg(0xED, b"Photoshop 3.0\08BIM"));
        j.extend(seg(0xFE, b"a comment"));
        j.extend(seg(0xEE, ADOBE));
        j.extend(seg(0xDB, &[0; 65]));
        j.extend(seg(0xC0, b"\x08\0\x01\0\x01\x01\x01\x11\0"));
        j.extend(seg(0xC4, &[0; 17]));
        j.extend(seg(0xDA, b"\x01\x01\0\0\x3f\0"));
        j.extend_from_slice(SCAN);
        // A COM between progressive scans must go too.
        j.extend(seg(0xFE, b"late comment"));
        j.extend(seg(0xDA, b"\x01\x01\0\0\x3f\0"));
        j.extend_from_slice(SCAN);
        j.extend_from_slice(&[0xFF, 0xD9]);
        j.extend_from_slice(b"appended preview image");
        j
    }

    /// Marker and payload of every segment before the first SOS.
    fn segments(j: &[u8]) -> Vec<(u8, Vec<u8>)> {
        let mut pos = 2;
        let mut out = Vec::new();
        while j[pos + 1] != 0xDA {
            let len = be16(j, pos + 2).unwrap();
            out.push((j[pos + 1], j[pos + 4..pos + 2 + len].to_vec()));
            pos += 2 + len;
        }
        out
    }

    #[test]
    fn jpeg_keeps_picture_segments_and_only_the_orientation() {
        let input = jpeg_fixture();
        let s = strip(&input).unwrap().unwrap();
        assert_eq!(
            s.found,
            Found {
                location: true,
                camera: true,
                other: true
            }
        );
        let markers: Vec<u8> = segments(&s.bytes).iter().map(|s| s.0).collect();
        assert_eq!(markers, [0xE0, 0xE1, 0xE2, 0xEE, 0xDB, 0xC0, 0xC4]);
        let segs = segments(&s.bytes);
        assert_eq!(segs[0].1, JFIF);
        assert_eq!(segs[1].1, [EXIF_HEADER, &orientation_tiff(6)].concat());
        assert_eq!(segs[2].1, ICC);
        assert_eq!(segs[3].1, ADOBE);
        // The minimal EXIF says orientation 6 and nothing else.
        let (found, orientation) = classify_exif(&orientation_tiff(6));
        assert_eq!(orientation, Some(6));
        assert!(!found.location && !found.camera);
        // Both scans survive, the late comment and the data after EOI do not.
        let tail = [
            seg(0xDA, b"\x01\x01\0\0\x3f\0"),
            SCAN.to_vec(),
            seg(0xDA, b"\x01\x01\0\0\x3f\0"),
            SCAN.to_vec(),
            vec![0xFF, 0xD9],
        ]
        .concat();
        assert!(s.bytes.ends_with(&tail));
        assert_eq!(inspect(&input).unwrap(), s.found);
        assert_eq!(strip(&s.bytes).unwrap(), None);
        assert_eq!(inspect(&s.bytes).unwrap(), Found::default());
    }

    #[test]
    fn jpeg_without_rotation_keeps_no_exif_and_drops_jfif_thumbnail() {
        let mut tiff = exif_tiff();
        tiff[8 + 2 + 2 * 12 + 8] = 1; // Orientation 1: nothing worth keeping.
        let mut thumb_jfif = JFIF.to_vec();
        thumb_jfif[12] = 1;
        thumb_jfif[13] = 1;
        thumb_jfif.extend_from_slice(&[1, 2, 3]);
        let mut j = vec![0xFF, 0xD8];
        j.extend(seg(0xE0, &thumb_jfif));
        j.extend(seg(0xE1, &[EXIF_HEADER, &tiff].concat()));
        j.extend(seg(0xDA, b"\x01\x01\0\0\x3f\0"));
        j.extend_from_slice(&[0xFF, 0xD9]);
        let s = strip(&j).unwrap().unwrap();
        let segs = segments(&s.bytes);
        assert_eq!(segs.len(), 1);
        assert_eq!(segs[0].1, JFIF);
    }

    #[test]
    fn jpeg_with_nothing_to_remove_is_left_alone() {
        let mut j = vec![0xFF, 0xD8];
        j.extend(seg(0xE0, JFIF));
        j.extend(seg(0xDA, b"\x01\x01\0\0\x3f\0"));
        j.extend_from_slice(&[1, 2, 0xFF, 0xD9]);
        assert_eq!(strip(&j).unwrap(), None);
        assert_eq!(inspect(&j).unwrap(), Found::default());
    }

    #[test]
    fn jpeg_truncated_segment_is_an_error() {
        let j = jpeg_fixture();
        let err = strip(&j[..30]).unwrap_err();
        assert_eq!(err, "the JPEG ends inside a segment at byte 20");
    }

    fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = Vec::new();
        push_png_chunk(&mut c, kind, data);
        c
    }

    fn png_fixture() -> Vec<u8> {
        let mut p = b"\x89PNG\r\n\x1a\n".to_vec();
        p.extend(png_chunk(b"IHDR", b"\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0"));
        p.extend(png_chunk(b"iCCP", b"icc\0\0fake"));
        p.extend(png_chunk(b"tEXt", b"Author\0Me"));
        p.extend(png_chunk(
            b"iTXt",
            &[b"XML:com.adobe.xmp\0\0\0\0\0".as_slice(), XMP].concat(),
        ));
        p.extend(png_chunk(b"eXIf", &exif_tiff()));
        p.extend(png_chunk(b"tIME", b"\x07\xe8\x01\x02\x03\x04\x05"));
        p.extend(png_chunk(b"IDAT", b"pixels"));
        p.extend(png_chunk(b"IEND", b""));
        p
    }

    fn png_chunks(p: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut pos = 8;
        let mut out = Vec::new();
        while pos < p.len() {
            let len = be32(p, pos).unwrap();
            out.push((
                p[pos + 4..pos + 8].to_vec(),
                p[pos + 8..pos + 8 + len].to_vec(),
            ));
            pos += 12 + len;
        }
        out
    }

    #[test]
    fn png_keeps_colour_and_pixels_and_only_the_orientation() {
        let input = png_fixture();
        let s = strip(&input).unwrap().unwrap();
        assert!(s.found.location && s.found.camera && s.found.other);
        let chunks = png_chunks(&s.bytes);
        let kinds: Vec<&[u8]> = chunks.iter().map(|c| c.0.as_slice()).collect();
        assert_eq!(kinds, [b"IHDR", b"iCCP", b"eXIf", b"IDAT", b"IEND"]);
        assert_eq!(chunks[2].1, orientation_tiff(6));
        // The new chunk's CRC is right (the well-known CRC of an empty IEND checks the CRC).
        assert_eq!(png_chunk(b"IEND", b"")[8..], [0xAE, 0x42, 0x60, 0x82]);
        assert_eq!(strip(&s.bytes).unwrap(), None);
    }

    #[test]
    fn png_text_only_finds_location_in_xmp() {
        let mut p = b"\x89PNG\r\n\x1a\n".to_vec();
        p.extend(png_chunk(b"IHDR", b"\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0"));
        p.extend(png_chunk(b"iTXt", XMP));
        p.extend(png_chunk(b"IEND", b""));
        let found = inspect(&p).unwrap();
        assert!(found.location && found.camera);
    }

    #[test]
    fn png_truncated_chunk_is_an_error() {
        let p = png_fixture();
        let idat = memmem::find(&p, b"IDAT").unwrap() - 4;
        let err = strip(&p[..idat + 10]).unwrap_err();
        assert_eq!(
            err,
            format!("the PNG ends inside the `IDAT` chunk at byte {idat}")
        );
    }

    fn gif_fixture() -> Vec<u8> {
        let mut g = b"GIF89a\x01\0\x01\0\x80\0\0".to_vec();
        g.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
        g.extend_from_slice(b"\x21\xFF\x0bNETSCAPE2.0\x03\x01\0\0\0");
        g.extend_from_slice(b"\x21\xFE\x05hello\0");
        g.extend_from_slice(b"\x21\xFF\x0bXMP DataXMP");
        g.push(u8::try_from(XMP.len()).unwrap());
        g.extend_from_slice(XMP);
        g.push(0);
        g.extend_from_slice(b"\x21\xF9\x04\0\0\0\0\0");
        g.extend_from_slice(b"\x2C\0\0\0\0\x01\0\x01\0\0\x02\x02\x4C\x01\0");
        g.push(0x3B);
        g
    }

    #[test]
    fn gif_keeps_looping_and_frames_drops_comments_and_xmp() {
        let s = strip(&gif_fixture()).unwrap().unwrap();
        let mut expected = b"GIF89a\x01\0\x01\0\x80\0\0".to_vec();
        expected.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
        expected.extend_from_slice(b"\x21\xFF\x0bNETSCAPE2.0\x03\x01\0\0\0");
        expected.extend_from_slice(b"\x21\xF9\x04\0\0\0\0\0");
        expected.extend_from_slice(b"\x2C\0\0\0\0\x01\0\x01\0\0\x02\x02\x4C\x01\0");
        expected.push(0x3B);
        assert_eq!(s.bytes, expected);
        assert!(s.found.location && s.found.camera && s.found.other);
        assert_eq!(strip(&s.bytes).unwrap(), None);
    }

    fn riff_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = kind.to_vec();
        c.extend_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
        c.extend_from_slice(data);
        if data.len() % 2 == 1 {
            c.push(0);
        }
        c
    }

    fn webp(chunks: &[Vec<u8>]) -> Vec<u8> {
        let body = chunks.concat();
        let mut w = b"RIFF".to_vec();
        w.extend_from_slice(&u32::try_from(body.len() + 4).unwrap().to_le_bytes());
        w.extend_from_slice(b"WEBP");
        w.extend(body);
        w
    }

    #[test]
    fn webp_drops_exif_and_xmp_and_fixes_flags_and_size() {
        let vp8x = |flags: u8| riff_chunk(b"VP8X", &[flags, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let input = webp(&[
            vp8x(0x20 | 0x08 | 0x04),
            riff_chunk(b"ICCP", b"icc"),
            riff_chunk(b"VP8L", b"\x2f\0\0\0\0"),
            riff_chunk(b"EXIF", &exif_tiff()),
            riff_chunk(b"XMP ", XMP),
        ]);
        let s = strip(&input).unwrap().unwrap();
        let expected = webp(&[
            vp8x(0x20),
            riff_chunk(b"ICCP", b"icc"),
            riff_chunk(b"VP8L", b"\x2f\0\0\0\0"),
        ]);
        assert_eq!(s.bytes, expected);
        assert!(s.found.location && s.found.camera && s.found.other);
        assert_eq!(strip(&s.bytes).unwrap(), None);
    }

    #[test]
    fn unknown_formats_are_refused() {
        assert_eq!(
            strip(b"BM\0\0").unwrap_err(),
            "the file is not a PNG, JPEG, GIF or WebP image"
        );
        assert!(inspect(b"").is_err());
    }

    #[test]
    fn damaged_files_never_panic() {
        let mut rng = fastrand::Rng::with_seed(0x2545_F491_4F6C_DD1D);
        let mut next = move || rng.u64(..);
        let fixtures = [jpeg_fixture(), png_fixture(), gif_fixture(), {
            let exif = riff_chunk(b"EXIF", &exif_tiff());
            webp(&[
                riff_chunk(b"VP8X", &[0x08; 10]),
                riff_chunk(b"VP8 ", b"abc"),
                exif,
            ])
        }];
        for fixture in &fixtures {
            for cut in 0..fixture.len() {
                let _ = strip(&fixture[..cut]);
                let _ = inspect(&fixture[..cut]);
            }
            for _ in 0..3000 {
                let mut bytes = fixture.clone();
                for _ in 0..1 + next() % 4 {
                    let at = usize::try_from(next() % bytes.len() as u64).unwrap();
                    // Mostly random bytes, sometimes the values that make lengths huge or zero.
                    bytes[at] = match next() % 4 {
                        0 => 0xFF,
                        1 => 0,
                        _ => next() as u8,
                    };
                }
                if let Ok(Some(s)) = strip(&bytes) {
                    // Whatever came out must itself be accepted and already clean.
                    assert_eq!(strip(&s.bytes), Ok(None), "{bytes:?}");
                }
                let _ = inspect(&bytes);
            }
        }
    }
}
