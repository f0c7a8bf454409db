//! The theme's `image()` function: `{% set pic = image(src=logo, width=128) %}` gives what a
//! `<picture>` element needs — WebP copies at 1×, 2× and 3× the displayed width, a JPEG (or,
//! for a transparent image, PNG) fallback, `width` and `height` of the true aspect ratio — and
//! notes each copy as a [`Job`] for the build to make. Pure: it decides names and sizes from
//! what the `logo` object says of the source; no pixel is touched here.
//!
//! Arguments: `src` (the `logo` object), `width` (CSS pixels, required), `height` (optional:
//! crop the centre to that shape, as `object-fit: cover` would), `format` (`"auto"`, the
//! default: responsive WebP with a fallback; or `"png"`, `"jpeg"`, `"webp"`: one file of exactly
//! that size, for icons and link previews).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::picture::{self, Encoding, Info, Variant};

/// What a template knows of an image: the `logo` object of every page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImageSource {
    /// The image's URL as published, relative to the page (the SVG itself, an animated GIF as
    /// it is, or for a photo its default copy).
    pub url: String,
    /// The MIME type of `url`.
    pub mime: String,
    /// Relative prefix from the page to the site root (`""`, `"../"`).
    pub root: String,
    /// The source's file name without extension, for the copies' names.
    pub stem: String,
    /// The source's content hash (hex), so that copies of an edited photo get new names.
    pub hash: String,
    /// Natural width, upright.
    pub width: u32,
    /// Natural height, upright.
    pub height: u32,
    /// Whether it has an alpha channel.
    pub alpha: bool,
    /// `"raster"` (resized by `image()`), `"vector"` (SVG) or `"animated"` (published as it is).
    pub kind: String,
}

/// A copy to make: which source (by content hash) and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Job {
    /// The variant to make.
    pub variant: Variant,
}

/// Jobs noted while rendering, by output path.
pub type Jobs = Arc<Mutex<BTreeMap<String, Job>>>;

/// The pixel densities a responsive image is made for: phones are 2× or 3×.
const DENSITIES: [u32; 3] = [1, 2, 3];
/// The widest image a theme may ask for, in CSS pixels.
const MAX_WIDTH: u64 = 4096;

/// The output path of a copy of the image with content hash `hash`: the fingerprint covers
/// every input of its bytes, so a cache may keep it forever.
pub fn variant_path(stem: &str, hash: &str, variant: &Variant) -> String {
    let encoding = variant.encoding;
    let fingerprint = variant_key(hash, variant);
    let shape = format!("{}x{}", variant.width, variant.height);
    format!(
        "{}/{stem}-{shape}.{}.{}",
        crate::site::ASSETS_DIR,
        &fingerprint[..8],
        encoding.extension()
    )
}

/// The cache key of a copy: everything its bytes depend on.
pub fn variant_key(hash: &str, variant: &Variant) -> String {
    crate::cache::Cache::key(&[
        hash.as_bytes(),
        format!("{variant:?}").as_bytes(),
        &picture::PIPELINE_VERSION.to_le_bytes(),
        variant.encoding.encoder_id().as_bytes(),
    ])
}

/// The Tera function, holding where to note its jobs.
pub struct ImageFunction {
    /// Filled while rendering; the build makes each job's file.
    pub jobs: Jobs,
}

impl tera::Function for ImageFunction {
    fn call(&self, args: &HashMap<String, Value>) -> tera::Result<Value> {
        let source: ImageSource = match args.get("src") {
            Some(value) => serde_json::from_value(value.clone()).map_err(|_| {
                tera::Error::msg(
                    "image(): `src` must be the `logo` object, e.g. image(src=logo, width=128)",
                )
            })?,
            None => {
                return Err(tera::Error::msg(
                    "image(): `src` is missing; write image(src=logo, width=128)",
                ))
            }
        };
        let size = |name: &str, required: bool| -> tera::Result<Option<u32>> {
            match args.get(name) {
                None if required => Err(tera::Error::msg(format!(
                    "image(): `{name}` is missing; write image(src=logo, width=128)"
                ))),
                None => Ok(None),
                Some(value) => match value.as_u64() {
                    Some(n) if (1..=MAX_WIDTH).contains(&n) => Ok(u32::try_from(n).ok()),
                    _ => Err(tera::Error::msg(format!(
                        "image(): `{name}` must be a whole number of pixels from 1 to {MAX_WIDTH}, not {value}"
                    ))),
                },
            }
        };
        let width = size("width", true)?.unwrap_or(1);
        let height = size("height", false)?;
        let format = match args.get("format").map(|v| v.as_str()) {
            None | Some(Some("auto")) => None,
            Some(Some("webp")) => Some(Encoding::WebP),
            Some(Some("jpeg" | "jpg")) => Some(Encoding::Jpeg),
            Some(Some("png")) => Some(Encoding::Png),
            Some(_) => {
                return Err(tera::Error::msg(
                    "image(): `format` must be \"auto\", \"webp\", \"jpeg\" or \"png\"",
                ))
            }
        };
        let (picture, jobs) = plan(&source, width, height, format);
        if let Ok(mut noted) = self.jobs.lock() {
            noted.extend(jobs);
        }
        serde_json::to_value(picture).map_err(|e| tera::Error::msg(e.to_string()))
    }
}

/// What `image()` returns to the template.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Picture {
    /// The `<img src>`: the fallback copy at 1×.
    pub src: String,
    /// `<img width>`, CSS pixels.
    pub width: u32,
    /// `<img height>`, CSS pixels, of the true aspect ratio.
    pub height: u32,
    /// The MIME type of `src`.
    #[serde(rename = "type")]
    pub mime: String,
    /// The fallback copies as a `srcset` (`"a.jpg 128w, b.jpg 256w"`); empty for one file.
    pub srcset: String,
    /// The `sizes` attribute that goes with the `w` descriptors (`"128px"`).
    pub sizes: String,
    /// The `<source>` elements to put first: `[{type: "image/webp", srcset: "..."}]`.
    pub sources: Vec<PictureSource>,
}

/// One `<source>` of a `<picture>`.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct PictureSource {
    /// Its MIME type.
    #[serde(rename = "type")]
    pub mime: String,
    /// Its `srcset`.
    pub srcset: String,
}

/// Decides the copies of `source` for a box `width` CSS pixels wide (and `height` tall, if
/// given), in `format` (None: WebP with a fallback, at each density).
pub fn plan(
    source: &ImageSource,
    width: u32,
    height: Option<u32>,
    format: Option<Encoding>,
) -> (Picture, Vec<(String, Job)>) {
    let shown_height = height.unwrap_or_else(|| {
        let (w, h) = (
            u64::from(source.width.max(1)),
            u64::from(source.height.max(1)),
        );
        u32::try_from((u64::from(width) * h + w / 2) / w)
            .unwrap_or(u32::MAX)
            .max(1)
    });
    if source.kind != "raster" {
        let picture = Picture {
            src: source.url.clone(),
            width,
            height: shown_height,
            mime: source.mime.clone(),
            srcset: String::new(),
            sizes: String::new(),
            sources: Vec::new(),
        };
        return (picture, Vec::new());
    }
    let info = Info {
        width: source.width,
        height: source.height,
        alpha: source.alpha,
        animated: false,
    };
    let mut jobs = Vec::new();
    let mut copies = |encoding: Encoding, densities: &[u32]| {
        let mut made: Vec<(String, Variant)> = Vec::new();
        for density in densities {
            let variant = Variant::fit(
                &info,
                width.saturating_mul(*density),
                height.map(|h| h.saturating_mul(*density)),
                encoding,
            );
            // Past the source's own size every density gives the same copy.
            if made.iter().any(|(_, v)| v.width == variant.width) {
                continue;
            }
            let path = variant_path(&source.stem, &source.hash, &variant);
            jobs.push((path.clone(), Job { variant }));
            made.push((path, variant));
        }
        made
    };
    let srcset = |made: &[(String, Variant)]| {
        made.iter()
            .map(|(path, v)| format!("{}{} {}w", source.root, encode(path), v.width))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let picture = match format {
        Some(encoding) => {
            let made = copies(encoding, &[1]);
            let (path, variant) = &made[0];
            Picture {
                src: format!("{}{}", source.root, encode(path)),
                width: variant.width,
                height: variant.height,
                mime: encoding.mime().to_string(),
                srcset: String::new(),
                sizes: String::new(),
                sources: Vec::new(),
            }
        }
        None => {
            let webp = copies(Encoding::WebP, &DENSITIES);
            let fallback = picture::fallback(&info);
            let plain = copies(fallback, &DENSITIES);
            Picture {
                src: format!("{}{}", source.root, encode(&plain[0].0)),
                width,
                height: shown_height,
                mime: fallback.mime().to_string(),
                srcset: srcset(&plain),
                sizes: format!("{width}px"),
                sources: vec![PictureSource {
                    mime: Encoding::WebP.mime().to_string(),
                    srcset: srcset(&webp),
                }],
            }
        }
    };
    (picture, jobs)
}

fn encode(path: &str) -> String {
    crate::text::encode_url_path(path).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo() -> ImageSource {
        ImageSource {
            url: "assets/phone.jpg".into(),
            mime: "image/jpeg".into(),
            root: "../".into(),
            stem: "phone".into(),
            hash: "00ff".into(),
            width: 4000,
            height: 3000,
            alpha: false,
            kind: "raster".into(),
        }
    }

    #[test]
    fn a_photo_gets_webp_and_jpeg_at_three_densities() {
        let (picture, jobs) = plan(&photo(), 128, None, None);
        assert_eq!((picture.width, picture.height), (128, 96));
        assert_eq!(picture.mime, "image/jpeg");
        assert_eq!(picture.sizes, "128px");
        assert_eq!(jobs.len(), 6);
        let widths: Vec<u32> = jobs.iter().map(|(_, j)| j.variant.width).collect();
        assert_eq!(widths, [128, 256, 384, 128, 256, 384]);
        assert!(picture.src.starts_with("../assets/phone-128x96."));
        assert!(picture.src.ends_with(".jpg"));
        assert_eq!(picture.sources[0].mime, "image/webp");
        let webp = &picture.sources[0].srcset;
        assert!(
            webp.contains(".webp 128w, ../assets/phone-256x192."),
            "{webp}"
        );
        assert!(webp.ends_with(".webp 384w"), "{webp}");
    }

    #[test]
    fn a_square_box_crops_and_names_both_sides() {
        let (picture, jobs) = plan(&photo(), 128, Some(128), None);
        assert_eq!((picture.width, picture.height), (128, 128));
        assert!(
            jobs[0].0.starts_with("assets/phone-128x128."),
            "{}",
            jobs[0].0
        );
        assert_eq!(jobs[0].1.variant.crop, (500, 0, 3000, 3000));
    }

    #[test]
    fn small_sources_are_never_upscaled() {
        let mut small = photo();
        small.width = 200;
        small.height = 100;
        small.alpha = true;
        let (picture, jobs) = plan(&small, 128, None, None);
        let widths: Vec<u32> = jobs.iter().map(|(_, j)| j.variant.width).collect();
        assert_eq!(widths, [128, 200, 128, 200]);
        assert_eq!(picture.mime, "image/png");
        assert_eq!((picture.width, picture.height), (128, 64));
    }

    #[test]
    fn one_fixed_file_for_icons() {
        let (picture, jobs) = plan(&photo(), 180, Some(180), Some(Encoding::Png));
        assert_eq!(jobs.len(), 1);
        assert_eq!(picture.mime, "image/png");
        assert_eq!((picture.width, picture.height), (180, 180));
        assert!(picture.srcset.is_empty() && picture.sources.is_empty());
    }

    #[test]
    fn vectors_are_shown_as_they_are() {
        let mut svg = photo();
        svg.kind = "vector".into();
        svg.url = "../assets/logo.1234.svg".into();
        svg.mime = "image/svg+xml".into();
        svg.width = 200;
        svg.height = 100;
        let (picture, jobs) = plan(&svg, 128, None, None);
        assert!(jobs.is_empty());
        assert_eq!(picture.src, svg.url);
        assert_eq!((picture.width, picture.height), (128, 64));
    }

    #[test]
    fn names_change_with_the_source_and_the_settings() {
        let v = Variant::fit(
            &Info {
                width: 10,
                height: 10,
                alpha: false,
                animated: false,
            },
            5,
            None,
            Encoding::WebP,
        );
        let a = variant_path("x", "aa", &v);
        assert_ne!(a, variant_path("x", "bb", &v));
        let jpeg = Variant {
            encoding: Encoding::Jpeg,
            ..v
        };
        assert_ne!(a, variant_path("x", "aa", &jpeg));
        assert_eq!(a, variant_path("x", "aa", &v));
    }

    #[test]
    fn bad_arguments_are_one_line_errors() {
        use tera::Function;
        let function = ImageFunction {
            jobs: Jobs::default(),
        };
        let mut args = HashMap::new();
        let err = function.call(&args).unwrap_err().to_string();
        assert!(err.contains("`src` is missing"), "{err}");
        args.insert("src".to_string(), serde_json::to_value(photo()).unwrap());
        let err = function.call(&args).unwrap_err().to_string();
        assert!(err.contains("`width` is missing"), "{err}");
        args.insert("width".to_string(), Value::from(0));
        let err = function.call(&args).unwrap_err().to_string();
        assert!(err.contains("from 1 to 4096"), "{err}");
        args.insert("width".to_string(), Value::from(64));
        args.insert("format".to_string(), Value::from("avif"));
        assert!(function.call(&args).is_err());
        args.insert("format".to_string(), Value::from("png"));
        assert!(function.call(&args).is_ok());
        assert_eq!(function.jobs.lock().unwrap().len(), 1);
    }
}
