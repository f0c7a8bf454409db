//! Raster images for the web: read a photo's size without decoding it, decode it upright, and
//! make the small copies a page shows (cropped, resized, converted to sRGB, encoded as WebP,
//! JPEG or PNG). Pure: bytes in, bytes out; no file system.
//!
//! Nothing of the source's metadata is carried over: the copies are encoded from pixels alone,
//! so a phone photo's GPS position and camera model stay behind.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

/// Bumped whenever the bytes made from the same source and [`Variant`] would change (a new
/// filter, quality or encoder setting), so that caches keyed by it are not served stale.
pub const PIPELINE_VERSION: u32 = 1;
/// The largest image decoded: a 100-megapixel medium-format photo, 400 MB of RGBA.
pub const MAX_PIXELS: u64 = 100_000_000;
/// WebP quality (0–100): libwebp's default, where artefacts are hard to see at 1×–3×.
const WEBP_QUALITY: f32 = 80.0;
/// JPEG quality of the fallback copies: what Lighthouse compares JPEGs against.
const JPEG_QUALITY: u8 = 85;

/// What a raster image is, read from its header alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    /// Width once turned upright (EXIF orientation 5–8 swap the two).
    pub width: u32,
    /// Height once turned upright.
    pub height: u32,
    /// Whether it has an alpha channel (decides PNG over JPEG for the fallback).
    pub alpha: bool,
    /// Whether it has more than one frame: an animated GIF, WebP or PNG is published as it is.
    pub animated: bool,
}

impl Info {
    /// As a line of text, for the cache: `WIDTH HEIGHT ALPHA ANIMATED`.
    pub fn to_fact(self) -> String {
        format!(
            "{} {} {} {}",
            self.width,
            self.height,
            u8::from(self.alpha),
            u8::from(self.animated)
        )
    }

    /// Back from [`Info::to_fact`].
    pub fn from_fact(text: &str) -> Result<Info, String> {
        let numbers: Vec<u32> = text
            .split(' ')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| "its cached size is damaged; delete .profile-cache".to_string())?;
        match numbers[..] {
            [width, height, alpha, animated] => Ok(Info {
                width,
                height,
                alpha: alpha != 0,
                animated: animated != 0,
            }),
            _ => Err("its cached size is damaged; delete .profile-cache".to_string()),
        }
    }
}

/// A format a copy is encoded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Encoding {
    /// Lossy WebP (with lossless alpha): what every current browser shows, smallest.
    WebP,
    /// Baseline JPEG, for opaque images where WebP is not taken.
    Jpeg,
    /// PNG, for transparent images where WebP is not taken, and for icons.
    Png,
}

impl Encoding {
    /// The MIME type of the encoded bytes.
    pub fn mime(self) -> &'static str {
        match self {
            Encoding::WebP => "image/webp",
            Encoding::Jpeg => "image/jpeg",
            Encoding::Png => "image/png",
        }
    }

    /// The file extension, without a dot.
    pub fn extension(self) -> &'static str {
        match self {
            Encoding::WebP => "webp",
            Encoding::Jpeg => "jpg",
            Encoding::Png => "png",
        }
    }

    /// The encoder and its settings, for cache keys: a new libwebp makes new bytes.
    pub fn encoder_id(self) -> String {
        match self {
            Encoding::WebP => {
                // SAFETY: a plain query of a constant, no arguments.
                let version = unsafe { libwebp_sys::WebPGetEncoderVersion() };
                format!(
                    "libwebp {}.{}.{} q{WEBP_QUALITY}",
                    version >> 16,
                    (version >> 8) & 0xFF,
                    version & 0xFF
                )
            }
            Encoding::Jpeg => format!("image-jpeg q{JPEG_QUALITY}"),
            Encoding::Png => "image-png best adaptive".to_string(),
        }
    }
}

/// One copy of an image: a region of the upright source scaled to `width`×`height`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Variant {
    /// Output width in pixels.
    pub width: u32,
    /// Output height in pixels.
    pub height: u32,
    /// The part of the upright source shown: left, top, width, height in source pixels.
    pub crop: (u32, u32, u32, u32),
    /// The format to encode in.
    pub encoding: Encoding,
}

impl Variant {
    /// A copy `width` pixels wide of the whole image (height from its aspect ratio), or, with
    /// `height`, of the centred region of that shape (what CSS `object-fit: cover` shows).
    /// Never larger than the source: a request beyond it gets the source's own size.
    pub fn fit(info: &Info, width: u32, height: Option<u32>, encoding: Encoding) -> Variant {
        let (sw, sh) = (u64::from(info.width.max(1)), u64::from(info.height.max(1)));
        let width = u64::from(width.max(1));
        let (crop, out_w, out_h) = match height {
            None => {
                let out_w = width.min(sw);
                let out_h = (out_w * sh + sw / 2) / sw;
                ((0, 0, sw, sh), out_w, out_h.max(1))
            }
            Some(height) => {
                let height = u64::from(height.max(1));
                // The largest region of the wanted shape that fits in the source, centred.
                let (cw, ch) = if sw * height > sh * width {
                    ((sh * width + height / 2) / height, sh)
                } else {
                    (sw, (sw * height + width / 2) / width)
                };
                let (cw, ch) = (cw.clamp(1, sw), ch.clamp(1, sh));
                let scale_down = (width.min(cw) as f64 / width as f64)
                    .min(height.min(ch) as f64 / height as f64);
                let out_w = ((width as f64 * scale_down).round() as u64).max(1);
                let out_h = ((height as f64 * scale_down).round() as u64).max(1);
                (((sw - cw) / 2, (sh - ch) / 2, cw, ch), out_w, out_h)
            }
        };
        let to_u32 = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        Variant {
            width: to_u32(out_w),
            height: to_u32(out_h),
            crop: (
                to_u32(crop.0),
                to_u32(crop.1),
                to_u32(crop.2),
                to_u32(crop.3),
            ),
            encoding,
        }
    }
}

/// Reads the size, orientation and alpha of a PNG, JPEG, GIF or WebP from its header,
/// refusing images over [`MAX_PIXELS`] before any pixel is decoded.
pub fn inspect(bytes: &[u8]) -> Result<Info, String> {
    let mut decoder = decoder(bytes)?;
    let (width, height) = decoder.dimensions();
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let alpha = decoder.color_type().has_alpha();
    drop(decoder);
    let animated = is_animated(bytes)?;
    let (width, height) = if swaps_sides(orientation) {
        (height, width)
    } else {
        (width, height)
    };
    Ok(Info {
        width,
        height,
        alpha,
        animated,
    })
}

/// A decoded image: upright, 8 bits per channel, RGB or RGBA, with its colour profile.
pub struct Decoded {
    pixels: fast_image_resize::images::Image<'static>,
    alpha: bool,
    /// The embedded ICC profile, when it is an RGB one other than sRGB's.
    profile: Option<moxcms::ColorProfile>,
}

impl std::fmt::Debug for Decoded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Decoded({}×{})", self.width(), self.height())
    }
}

impl Decoded {
    /// Width of the upright image.
    pub fn width(&self) -> u32 {
        self.pixels.width()
    }

    /// Height of the upright image.
    pub fn height(&self) -> u32 {
        self.pixels.height()
    }
}

/// Decodes a PNG, JPEG, GIF (its first frame) or WebP, turned upright by its EXIF orientation.
/// A file that ends early or is damaged is an error, never a half-grey picture.
pub fn decode(bytes: &[u8]) -> Result<Decoded, String> {
    if bytes.starts_with(b"\xFF\xD8") && !jpeg_has_end(bytes) {
        return Err("the JPEG ends before its last marker: the file is cut short".into());
    }
    let mut decoder = decoder(bytes)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    // A profile that cannot be read is ignored: the colours are then taken as sRGB, as a
    // browser shows the original.
    let profile = decoder
        .icc_profile()
        .ok()
        .flatten()
        .and_then(|icc| moxcms::ColorProfile::new_from_slice(&icc).ok());
    let (width, height) = decoder.dimensions();
    let cmyk = profile
        .as_ref()
        .filter(|p| p.color_space == moxcms::DataColorSpace::Cmyk)
        .and_then(|p| cmyk_to_srgb(bytes, p, width, height));
    let profile = profile.filter(|p| p.color_space == moxcms::DataColorSpace::Rgb);
    let image = match cmyk {
        Some(rgb) => DynamicImage::ImageRgb8(rgb),
        None => DynamicImage::from_decoder(decoder).map_err(describe)?,
    };
    let mut image = if image.color().has_alpha() {
        DynamicImage::ImageRgba8(image.into_rgba8())
    } else {
        DynamicImage::ImageRgb8(image.into_rgb8())
    };
    image.apply_orientation(orientation);
    let alpha = image.color().has_alpha();
    let pixel_type = if alpha {
        fast_image_resize::PixelType::U8x4
    } else {
        fast_image_resize::PixelType::U8x3
    };
    let (width, height) = (image.width(), image.height());
    let pixels = fast_image_resize::images::Image::from_vec_u8(
        width,
        height,
        image.into_bytes(),
        pixel_type,
    )
    .map_err(|e| format!("cannot decode: {e}"))?;
    Ok(Decoded {
        pixels,
        alpha,
        profile,
    })
}

/// A CMYK JPEG (a print export) through its embedded CMYK profile to sRGB; `None` when the
/// decoder cannot give its raw CMYK values (an Adobe YCCK file, say), and the decoder's own
/// profile-less conversion is used instead.
fn cmyk_to_srgb(
    bytes: &[u8],
    profile: &moxcms::ColorProfile,
    width: u32,
    height: u32,
) -> Option<image::RgbImage> {
    use zune_jpeg::zune_core::{bytestream::ZCursor, colorspace::ColorSpace, options};
    // The four channels as stored: CMYK, or YCCK (Adobe's transform 2, what ImageMagick and
    // Photoshop write), whose first three are YCbCr of the inverted CMY.
    let probe = |space| {
        let options = options::DecoderOptions::default().jpeg_set_out_colorspace(space);
        zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options)
    };
    let mut headers = probe(ColorSpace::CMYK);
    headers.decode_headers().ok()?;
    let stored = headers.input_colorspace()?;
    if stored != ColorSpace::CMYK && stored != ColorSpace::YCCK {
        return None;
    }
    let mut values = probe(stored).decode().ok()?;
    if values.len() != width as usize * height as usize * 4 {
        return None;
    }
    if stored == ColorSpace::YCCK {
        for pixel in values.chunks_exact_mut(4) {
            let (y, cb, cr) = (
                f32::from(pixel[0]),
                f32::from(pixel[1]) - 128.0,
                f32::from(pixel[2]) - 128.0,
            );
            let channel = |v: f32| 255 - v.round().clamp(0.0, 255.0) as u8;
            pixel[0] = channel(y + 1.402 * cr);
            pixel[1] = channel(y - 0.344_136 * cb - 0.714_136 * cr);
            pixel[2] = channel(y + 1.772 * cb);
        }
    }
    // Photoshop and libjpeg write CMYK inverted (255 = no ink) when they add an Adobe
    // marker, as nearly all do; an ICC profile counts ink from 0.
    if adobe_marker(bytes) {
        values.iter_mut().for_each(|v| *v = 255 - *v);
    }
    let transform = profile
        .create_transform_8bit(
            moxcms::Layout::Rgba,
            &moxcms::ColorProfile::new_srgb(),
            moxcms::Layout::Rgb,
            moxcms::TransformOptions::default(),
        )
        .ok()?;
    let mut rgb = vec![0u8; width as usize * height as usize * 3];
    transform.transform(&values, &mut rgb).ok()?;
    image::RgbImage::from_raw(width, height, rgb)
}

/// Whether a JPEG has an Adobe APP14 segment among the markers before its first scan.
fn adobe_marker(bytes: &[u8]) -> bool {
    let mut at = 2;
    while let (Some(&0xFF), Some(&marker)) = (bytes.get(at), bytes.get(at + 1)) {
        if marker == 0xDA {
            return false;
        }
        let Some(len) = bytes.get(at + 2..at + 4) else {
            return false;
        };
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        if marker == 0xEE && bytes.get(at + 4..at + 9) == Some(b"Adobe") {
            return true;
        }
        at += 2 + len;
    }
    false
}

/// Crops, resizes (Lanczos3) and encodes one copy. The colour profile is applied to the small
/// result rather than to the whole photo: the same colours for a fraction of the work.
pub fn make(decoded: &Decoded, variant: &Variant) -> Result<Vec<u8>, String> {
    use fast_image_resize::{images::Image, FilterType, PixelType, ResizeAlg, ResizeOptions};
    let alpha = decoded.alpha;
    let (pixel_type, channels) = if alpha {
        (PixelType::U8x4, 4)
    } else {
        (PixelType::U8x3, 3)
    };
    let mut resized = Image::new(variant.width, variant.height, pixel_type);
    let (left, top, width, height) = variant.crop;
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .crop(
            f64::from(left),
            f64::from(top),
            f64::from(width),
            f64::from(height),
        );
    fast_image_resize::Resizer::new()
        .resize(&decoded.pixels, &mut resized, &options)
        .map_err(|e| format!("cannot resize: {e}"))?;
    let mut pixels = resized.into_vec();
    if let Some(profile) = &decoded.profile {
        to_srgb(profile, &mut pixels, alpha)?;
    }
    debug_assert_eq!(
        pixels.len(),
        variant.width as usize * variant.height as usize * channels
    );
    encode(
        &pixels,
        variant.width,
        variant.height,
        alpha,
        variant.encoding,
    )
}

fn to_srgb(profile: &moxcms::ColorProfile, pixels: &mut [u8], alpha: bool) -> Result<(), String> {
    let layout = if alpha {
        moxcms::Layout::Rgba
    } else {
        moxcms::Layout::Rgb
    };
    let srgb = moxcms::ColorProfile::new_srgb();
    let transform = profile
        .create_transform_8bit(layout, &srgb, layout, moxcms::TransformOptions::default())
        .map_err(|e| format!("cannot convert its colour profile to sRGB: {e:?}"))?;
    let source = pixels.to_vec();
    transform
        .transform(&source, pixels)
        .map_err(|e| format!("cannot convert its colour profile to sRGB: {e:?}"))
}

fn encode(
    pixels: &[u8],
    width: u32,
    height: u32,
    alpha: bool,
    encoding: Encoding,
) -> Result<Vec<u8>, String> {
    let colour = if alpha {
        image::ExtendedColorType::Rgba8
    } else {
        image::ExtendedColorType::Rgb8
    };
    let mut out = Vec::new();
    match encoding {
        Encoding::WebP => return encode_webp(pixels, width, height, alpha),
        Encoding::Jpeg => {
            // JPEG has no alpha: a transparent image is never sent here (see `fallback`).
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
                .encode(pixels, width, height, colour)
                .map_err(describe)?;
        }
        Encoding::Png => {
            use image::ImageEncoder;
            image::codecs::png::PngEncoder::new_with_quality(
                &mut out,
                image::codecs::png::CompressionType::Best,
                image::codecs::png::FilterType::Adaptive,
            )
            .write_image(pixels, width, height, colour)
            .map_err(describe)?;
        }
    }
    Ok(out)
}

fn encode_webp(pixels: &[u8], width: u32, height: u32, alpha: bool) -> Result<Vec<u8>, String> {
    let channels = if alpha { 4 } else { 3 };
    let (Ok(w), Ok(h)) = (i32::try_from(width), i32::try_from(height)) else {
        return Err("too large for WebP".into());
    };
    if w > 16383 || h > 16383 || pixels.len() < width as usize * height as usize * channels {
        return Err("too large for WebP".into());
    }
    let stride = w * channels as i32;
    let mut output: *mut u8 = std::ptr::null_mut();
    // SAFETY: `pixels` holds `height` rows of `stride` bytes (checked above); libwebp allocates
    // `output`, which is copied and then freed with its own allocator.
    unsafe {
        let len = if alpha {
            libwebp_sys::WebPEncodeRGBA(pixels.as_ptr(), w, h, stride, WEBP_QUALITY, &mut output)
        } else {
            libwebp_sys::WebPEncodeRGB(pixels.as_ptr(), w, h, stride, WEBP_QUALITY, &mut output)
        };
        if output.is_null() || len == 0 {
            return Err("libwebp could not encode the image".into());
        }
        let bytes = std::slice::from_raw_parts(output, len).to_vec();
        libwebp_sys::WebPFree(output.cast());
        Ok(bytes)
    }
}

/// The format of the copy for browsers that do not take WebP: PNG keeps transparency (never
/// flattened onto black), JPEG is far smaller for a photo.
pub fn fallback(info: &Info) -> Encoding {
    if info.alpha {
        Encoding::Png
    } else {
        Encoding::Jpeg
    }
}

fn decoder(bytes: &[u8]) -> Result<impl ImageDecoder + '_, String> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut limits = Limits::default();
    // Four bytes a pixel plus the decoder's own buffers.
    limits.max_alloc = Some(MAX_PIXELS * 4 + 64 * 1024 * 1024);
    reader.limits(limits);
    let decoder = reader.into_decoder().map_err(describe)?;
    let (width, height) = decoder.dimensions();
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_PIXELS {
        return Err(format!(
            "it is {width}×{height} pixels ({} megapixels), over the limit of {} megapixels",
            pixels / 1_000_000,
            MAX_PIXELS / 1_000_000
        ));
    }
    if width == 0 || height == 0 {
        return Err(format!(
            "it is {width}×{height} pixels: there is nothing to show"
        ));
    }
    Ok(decoder)
}

fn swaps_sides(orientation: image::metadata::Orientation) -> bool {
    use image::metadata::Orientation::*;
    matches!(
        orientation,
        Rotate90 | Rotate270 | Rotate90FlipH | Rotate270FlipH
    )
}

/// An animated GIF, WebP or PNG has a second frame; decoding only as far as that frame's
/// header keeps this cheap.
fn is_animated(bytes: &[u8]) -> Result<bool, String> {
    use image::AnimationDecoder;
    if bytes.starts_with(b"GIF8") {
        let decoder = image::codecs::gif::GifDecoder::new(Cursor::new(bytes)).map_err(describe)?;
        return Ok(decoder.into_frames().take(2).count() > 1);
    }
    if bytes.starts_with(b"RIFF") && bytes.get(8..16) == Some(b"WEBPVP8X") {
        // VP8X flags: bit 1 is "animation".
        return Ok(bytes.get(20).is_some_and(|flags| flags & 0x02 != 0));
    }
    if bytes.starts_with(b"\x89PNG") {
        let decoder = image::codecs::png::PngDecoder::new(Cursor::new(bytes)).map_err(describe)?;
        return decoder.is_apng().map_err(describe);
    }
    Ok(false)
}

/// Whether a JPEG has its end-of-image marker after its last scan: a photo cut short by a
/// failed copy decodes "successfully" into grey rows otherwise.
fn jpeg_has_end(bytes: &[u8]) -> bool {
    bytes
        .windows(2)
        .rev()
        .take(64 * 1024)
        .any(|w| w == [0xFF, 0xD9])
}

/// An image error as one lower-case line.
fn describe(e: image::ImageError) -> String {
    use image::ImageError;
    match e {
        ImageError::Limits(_) => format!(
            "it is too large to decode (the limit is {} megapixels)",
            MAX_PIXELS / 1_000_000
        ),
        ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            "the file ends early: it is cut short".to_string()
        }
        other => {
            let text = other.to_string();
            let mut chars = text.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => "it cannot be decoded".to_string(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(width: u32, height: u32) -> Info {
        Info {
            width,
            height,
            alpha: false,
            animated: false,
        }
    }

    #[test]
    fn fit_keeps_the_aspect_ratio_and_never_upscales() {
        let photo = info(4000, 3000);
        let v = Variant::fit(&photo, 128, None, Encoding::WebP);
        assert_eq!((v.width, v.height, v.crop), (128, 96, (0, 0, 4000, 3000)));
        let small = info(100, 50);
        let v = Variant::fit(&small, 384, None, Encoding::Jpeg);
        assert_eq!((v.width, v.height), (100, 50));
    }

    #[test]
    fn fit_with_a_height_crops_the_centre() {
        let photo = info(4000, 3000);
        let v = Variant::fit(&photo, 128, Some(128), Encoding::WebP);
        assert_eq!(
            (v.width, v.height, v.crop),
            (128, 128, (500, 0, 3000, 3000))
        );
        let portrait = info(3000, 4000);
        let v = Variant::fit(&portrait, 180, Some(180), Encoding::Png);
        assert_eq!(v.crop, (0, 500, 3000, 3000));
        // A 100×60 source asked for 384×384 gives its largest square, 60×60.
        let v = Variant::fit(&info(100, 60), 384, Some(384), Encoding::Png);
        assert_eq!((v.width, v.height, v.crop), (60, 60, (20, 0, 60, 60)));
    }

    fn png(width: u32, height: u32, alpha: bool) -> Vec<u8> {
        let image = if alpha {
            DynamicImage::ImageRgba8(image::RgbaImage::from_fn(width, height, |x, _| {
                image::Rgba([255, 0, 0, if x < width / 2 { 0 } else { 255 }])
            }))
        } else {
            DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
                width,
                height,
                image::Rgb([0, 128, 255]),
            ))
        };
        let mut out = Cursor::new(Vec::new());
        image
            .write_to(&mut out, image::ImageFormat::Png)
            .expect("encode a test PNG");
        out.into_inner()
    }

    #[test]
    fn transparency_is_kept_in_webp_and_png() {
        let source = png(64, 32, true);
        let info = inspect(&source).unwrap();
        assert!(info.alpha && !info.animated);
        assert_eq!(fallback(&info), Encoding::Png);
        let decoded = decode(&source).unwrap();
        for encoding in [Encoding::WebP, Encoding::Png] {
            let variant = Variant::fit(&info, 32, None, encoding);
            let bytes = make(&decoded, &variant).unwrap();
            let back = image::load_from_memory(&bytes).unwrap().into_rgba8();
            assert_eq!(back.dimensions(), (32, 16));
            assert_eq!(
                back.get_pixel(1, 8)[3],
                0,
                "{encoding:?}: left half transparent"
            );
            assert_eq!(
                back.get_pixel(30, 8)[3],
                255,
                "{encoding:?}: right half opaque"
            );
        }
    }

    #[test]
    fn opaque_images_fall_back_to_jpeg() {
        let source = png(40, 30, false);
        let info = inspect(&source).unwrap();
        assert_eq!(fallback(&info), Encoding::Jpeg);
        let decoded = decode(&source).unwrap();
        let bytes = make(&decoded, &Variant::fit(&info, 20, None, Encoding::Jpeg)).unwrap();
        assert!(bytes.starts_with(b"\xFF\xD8\xFF"));
        let back = image::load_from_memory(&bytes).unwrap().into_rgb8();
        assert_eq!(back.dimensions(), (20, 15));
        let pixel = back.get_pixel(10, 7);
        assert!(pixel[0] < 16 && (112..144).contains(&pixel[1]) && pixel[2] > 232);
    }

    #[test]
    fn an_embedded_colour_profile_is_converted_to_srgb() {
        // sRGB (200, 100, 50) written as Display P3 numbers, with the P3 profile embedded: the
        // copy must show the sRGB colour again, not the P3 numbers taken as sRGB.
        let want = [200u8, 100, 50];
        let p3 = moxcms::ColorProfile::new_display_p3();
        let to_p3 = moxcms::ColorProfile::new_srgb()
            .create_transform_8bit(
                moxcms::Layout::Rgb,
                &p3,
                moxcms::Layout::Rgb,
                moxcms::TransformOptions::default(),
            )
            .unwrap();
        let mut in_p3 = [0u8; 3];
        to_p3.transform(&want, &mut in_p3).unwrap();
        assert!(
            in_p3.iter().zip(want).any(|(a, b)| a.abs_diff(b) > 10),
            "the test needs numbers that differ: {in_p3:?}"
        );
        let pixels: Vec<u8> = in_p3.repeat(16 * 16);
        let mut png = Vec::new();
        let mut encoder = image::codecs::png::PngEncoder::new(&mut png);
        use image::ImageEncoder;
        encoder.set_icc_profile(p3.encode().unwrap()).unwrap();
        encoder
            .write_image(&pixels, 16, 16, image::ExtendedColorType::Rgb8)
            .unwrap();
        let info = inspect(&png).unwrap();
        let copy = make(
            &decode(&png).unwrap(),
            &Variant::fit(&info, 8, None, Encoding::Png),
        )
        .unwrap();
        let shown = image::load_from_memory(&copy).unwrap().into_rgb8();
        let got = shown.get_pixel(4, 4).0;
        assert!(
            got.iter().zip(want).all(|(a, b)| a.abs_diff(b) <= 3),
            "{got:?}, want {want:?}"
        );
    }

    #[test]
    fn output_is_deterministic() {
        let source = png(50, 50, true);
        let info = inspect(&source).unwrap();
        let decoded = decode(&source).unwrap();
        let variant = Variant::fit(&info, 25, None, Encoding::WebP);
        assert_eq!(
            make(&decoded, &variant).unwrap(),
            make(&decoded, &variant).unwrap()
        );
    }

    #[test]
    fn huge_declared_sizes_are_refused_before_decoding() {
        // A PNG header declaring 50,000 × 50,000 pixels, and nothing else.
        let mut bomb = b"\x89PNG\r\n\x1A\n\0\0\0\x0DIHDR".to_vec();
        bomb.extend_from_slice(&50_000u32.to_be_bytes());
        bomb.extend_from_slice(&50_000u32.to_be_bytes());
        bomb.extend_from_slice(&[8, 6, 0, 0, 0]);
        let crc = crc32(&bomb[12..]);
        bomb.extend_from_slice(&crc.to_be_bytes());
        for chunk in [&b"IDAT"[..], b"IEND"] {
            bomb.extend_from_slice(&[0, 0, 0, 0]);
            bomb.extend_from_slice(chunk);
            bomb.extend_from_slice(&crc32(chunk).to_be_bytes());
        }
        let err = inspect(&bomb).unwrap_err();
        assert!(err.contains("2500 megapixels"), "{err}");
        assert!(err.contains("limit of 100 megapixels"), "{err}");
        assert!(decode(&bomb).is_err());
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = flate2::Crc::new();
        crc.update(bytes);
        crc.sum()
    }

    #[test]
    fn truncated_files_are_errors() {
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
            .encode(
                &vec![100u8; 64 * 64 * 3],
                64,
                64,
                image::ExtendedColorType::Rgb8,
            )
            .unwrap();
        assert!(decode(&jpeg).is_ok());
        let cut = &jpeg[..jpeg.len() * 2 / 3];
        assert!(decode(cut).unwrap_err().contains("cut short"));
        let png = png(64, 64, false);
        assert!(decode(&png[..png.len() - 20]).is_err());
        assert!(inspect(b"\x89PNG\r\n\x1A\n").is_err());
    }
}
