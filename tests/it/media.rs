//! A phone photo and a recording as a student hands them over: the build turns the photo
//! upright, makes the responsive copies, publishes nothing private, caches what it made, and
//! refuses broken or dangerous media with one line. Test media are generated here (the `image`
//! crate, ffmpeg, exiftool); the tests needing those tools skip without them, or fail under
//! `PROFILE_REQUIRE_TOOLS=1` (CI).

use crate::common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::Site;
use image::{Rgb, RgbImage};

/// Whether `tool` runs; `false` after saying that `test` skips it, a failure in CI.
fn have(test: &str, tool: &str) -> bool {
    let runs = Command::new(tool)
        .arg(if tool == "exiftool" {
            "-ver"
        } else {
            "-version"
        })
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if runs {
        return true;
    }
    if std::env::var_os("PROFILE_REQUIRE_TOOLS").is_some_and(|v| v == "1") {
        panic!("{test} requires {tool} (PROFILE_REQUIRE_TOOLS=1)");
    }
    common::skip(format_args!("{test} needs {tool}"));
    false
}

fn run(command: &mut Command) -> String {
    let output = command.output().expect("run a tool");
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A photo whose four quadrants are red, green, blue and white when upright.
fn quadrants(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        match (x < width / 2, y < height / 2) {
            (true, true) => Rgb([255, 0, 0]),
            (false, true) => Rgb([0, 255, 0]),
            (true, false) => Rgb([0, 0, 255]),
            (false, false) => Rgb([255, 255, 255]),
        }
    })
}

/// How a camera stores an upright picture under EXIF orientation `o`: the inverse of what a
/// viewer does to show it (EXIF 2.3, tag 0x0112).
fn stored_for(upright: &RgbImage, orientation: u8) -> RgbImage {
    use image::imageops::{flip_horizontal, flip_vertical, rotate180, rotate270, rotate90};
    match orientation {
        1 => upright.clone(),
        2 => flip_horizontal(upright),
        3 => rotate180(upright),
        4 => flip_vertical(upright),
        // Transpose and transverse are their own inverses.
        5 => flip_horizontal(&rotate90(upright)),
        6 => rotate270(upright),
        7 => flip_vertical(&rotate90(upright)),
        8 => rotate90(upright),
        _ => unreachable!(),
    }
}

fn save_jpeg(image: &RgbImage, path: &Path) {
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 95)
        .encode(
            image.as_raw(),
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// The example site with `assets/phone.jpg` as its logo.
fn photo_site(photo: &RgbImage) -> Site {
    let site = Site::example();
    save_jpeg(photo, &site.path("assets/phone.jpg"));
    site.replace("site.toml", "assets/logo.svg", "assets/phone.jpg");
    site
}

/// ffmpeg with `seconds` of a 300 Hz tone as its input; the caller adds the output.
fn sine(seconds: u32) -> Command {
    let mut ffmpeg = Command::new("ffmpeg");
    ffmpeg.args(["-v", "error", "-f", "lavfi", "-i"]);
    ffmpeg.arg(format!("sine=frequency=300:duration={seconds}"));
    ffmpeg
}

/// Adds `text` at the end of the site's `site.toml`.
fn append_to_site_toml(site: &Site, text: &str) {
    let toml = site.read("site.toml");
    site.write("site.toml", format!("{toml}\n{text}"));
}

/// The dist/ file a page attribute points at (`assets/x.webp 128w` → that file's bytes).
fn file_of(site: &Site, url: &str) -> Vec<u8> {
    let path = url.split_whitespace().next().unwrap();
    std::fs::read(site.dist().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn logo_tag(html: &str) -> common::Tag {
    common::start_tags(html)
        .into_iter()
        .find(|t| t.name == "img" && t.attr("class") == Some("logo"))
        .expect("the logo's <img>")
}

#[test]
fn every_exif_orientation_gives_an_upright_logo() {
    let upright = quadrants(64, 64);
    for orientation in 1..=8u8 {
        if !have("every_exif_orientation_gives_an_upright_logo", "exiftool") {
            return;
        }
        let site = photo_site(&stored_for(&upright, orientation));
        run(Command::new("exiftool")
            .args([
                "-q",
                "-overwrite_original",
                &format!("-Orientation#={orientation}"),
            ])
            .arg(site.path("assets/phone.jpg")));
        site.build().assert_ok();
        let img = logo_tag(&site.page("index.html"));
        let copy = image::load_from_memory(&file_of(&site, img.attr("src").unwrap()))
            .unwrap()
            .into_rgb8();
        let (w, h) = copy.dimensions();
        let at = |x: u32, y: u32| copy.get_pixel(x, y).0;
        let near = |p: [u8; 3], q: [u8; 3]| p.iter().zip(q).all(|(a, b)| a.abs_diff(b) < 60);
        for (x, y, want, corner) in [
            (w / 8, h / 8, [255, 0, 0], "top left red"),
            (w * 7 / 8, h / 8, [0, 255, 0], "top right green"),
            (w / 8, h * 7 / 8, [0, 0, 255], "bottom left blue"),
            (w * 7 / 8, h * 7 / 8, [255, 255, 255], "bottom right white"),
        ] {
            assert!(
                near(at(x, y), want),
                "orientation {orientation}: expected {corner}, got {:?}",
                at(x, y)
            );
        }
    }
}

#[test]
fn a_photo_logo_becomes_a_picture_element_with_webp_and_a_fallback() {
    let site = photo_site(&quadrants(800, 600));
    site.build().assert_ok();
    let html = site.page("index.html");
    let img = logo_tag(&html);
    // An opaque photo is cropped to the square the theme shows.
    assert_eq!(img.attr("width"), Some("128"));
    assert_eq!(img.attr("height"), Some("128"));
    assert_eq!(img.attr("fetchpriority"), Some("high"));
    assert_eq!(img.attr("loading"), None, "the LCP image is never lazy");
    assert_eq!(img.attr("sizes"), Some("128px"));
    let fallback: Vec<&str> = img.attr("srcset").unwrap().split(", ").collect();
    assert_eq!(fallback.len(), 3, "{fallback:?}");
    for (candidate, width) in fallback.iter().zip([128, 256, 384]) {
        assert!(
            candidate.ends_with(&format!(".jpg {width}w")),
            "{candidate}"
        );
        let decoded = image::load_from_memory(&file_of(&site, candidate)).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (width, width));
    }
    let source = common::start_tags(&html)
        .into_iter()
        .find(|t| t.name == "source" && t.attr("type") == Some("image/webp"))
        .expect("a WebP <source>");
    let webp: Vec<&str> = source.attr("srcset").unwrap().split(", ").collect();
    assert_eq!(webp.len(), 3);
    assert!(webp[2].ends_with(".webp 384w"));
    assert!(file_of(&site, webp[0]).starts_with(b"RIFF"));
    // Icons and the preview come from the copies, never the original.
    let icon = common::start_tags(&html)
        .into_iter()
        .find(|t| t.name == "link" && t.attr("rel") == Some("icon"))
        .unwrap();
    assert_eq!(icon.attr("type"), Some("image/png"));
    let favicon = image::load_from_memory(&file_of(&site, icon.attr("href").unwrap())).unwrap();
    assert_eq!((favicon.width(), favicon.height()), (48, 48));
    assert!(html.contains("rel=\"apple-touch-icon\""));
    let original = std::fs::read(site.path("assets/phone.jpg")).unwrap();
    for entry in std::fs::read_dir(site.dist().join("assets"))
        .unwrap()
        .flatten()
    {
        assert_ne!(
            std::fs::read(entry.path()).unwrap(),
            original,
            "the original is published"
        );
    }
    common::assert_links_resolve(
        &site.dist(),
        &["https://github.com/example", "mailto:lihua@example.edu.cn"],
    );
}

#[test]
fn every_logo_format_a_phone_or_editor_writes_builds() {
    let test = "every_logo_format_a_phone_or_editor_writes_builds";
    if !have(test, "convert") {
        return;
    }
    let site = Site::example();
    let source = site.path("assets/source.png");
    quadrants(120, 80).save(&source).unwrap();
    site.replace("site.toml", "assets/logo.svg", "assets/logo.img");
    // Progressive and CMYK JPEG (Photoshop's print exports), a GIF and a WebP.
    for (name, args) in [
        ("progressive JPEG", &["-interlace", "Plane", "jpg:"][..]),
        ("CMYK JPEG", &["-colorspace", "CMYK", "jpg:"]),
        ("GIF", &["gif:"]),
        ("WebP", &["-quality", "90", "webp:"]),
    ] {
        let (options, format) = args.split_at(args.len() - 1);
        run(Command::new("convert")
            .arg(&source)
            .args(options)
            .arg(format!(
                "{}{}",
                format[0],
                site.path("assets/logo.img").display()
            )));
        let built = site.run(&["build"]);
        assert_eq!(built.code, Some(0), "{name}: {}", built.stderr);
        let img = logo_tag(&site.page("index.html"));
        let copy = image::load_from_memory(&file_of(&site, img.attr("src").unwrap()))
            .unwrap()
            .into_rgb8();
        // The crop is the centre square: its top left is still red, its bottom right white.
        let (w, h) = copy.dimensions();
        let top_left = copy.get_pixel(w / 8, h / 8).0;
        let bottom_right = copy.get_pixel(w * 7 / 8, h * 7 / 8).0;
        assert!(
            top_left[0] > 180 && top_left[1] < 80 && top_left[2] < 80,
            "{name}: top left {top_left:?}"
        );
        assert!(
            bottom_right.iter().all(|&c| c > 200),
            "{name}: bottom right {bottom_right:?}"
        );
    }

    // An animated GIF is published as it is, not resized (its frames would be lost).
    run(Command::new("convert")
        .args([
            "-delay", "50", "-size", "40x40", "xc:red", "xc:blue", "-loop", "0",
        ])
        .arg(format!("gif:{}", site.path("assets/logo.img").display())));
    site.build().assert_ok();
    let img = logo_tag(&site.page("index.html"));
    let published = file_of(&site, img.attr("src").unwrap());
    assert!(published.starts_with(b"GIF8"));
    let frames = image::codecs::gif::GifDecoder::new(std::io::Cursor::new(published)).unwrap();
    use image::AnimationDecoder;
    assert_eq!(frames.into_frames().count(), 2);
}

#[test]
fn a_cmyk_jpeg_goes_through_its_embedded_profile() {
    let test = "a_cmyk_jpeg_goes_through_its_embedded_profile";
    // Ghostscript's profiles (Debian's libgs-common, which .ci/run installs).
    let icc = Path::new("/usr/share/color/icc/ghostscript");
    if !have(test, "convert") {
        return;
    }
    let (rgb, cmyk) = (icc.join("default_rgb.icc"), icc.join("default_cmyk.icc"));
    assert!(
        rgb.is_file() && cmyk.is_file(),
        "{} lacks its profiles",
        icc.display()
    );
    let site = Site::example();
    let logo = site.path("assets/print.jpg");
    // (200, 100, 50) through a CMYK profile, which is embedded: what a print export looks like.
    run(Command::new("convert")
        .args(["-size", "64x64", "xc:rgb(200,100,50)", "-profile"])
        .arg(&rgb)
        .arg("-profile")
        .arg(&cmyk)
        .arg(&logo));
    // ImageMagick's own reading through the embedded profile is the reference.
    let reference = run(Command::new("convert")
        .arg(&logo)
        .arg("-profile")
        .arg(&rgb)
        .args([
            "-depth",
            "8",
            "-format",
            "%[fx:int(255*p{8,8}.r)] %[fx:int(255*p{8,8}.g)] %[fx:int(255*p{8,8}.b)]",
            "info:",
        ]));
    let want: Vec<u8> = reference
        .split_whitespace()
        .map(|n| n.parse::<u8>().unwrap())
        .collect();
    let close = |got: [u8; 3]| got.iter().zip(&want).all(|(a, b)| a.abs_diff(*b) <= 6);
    // The profile matters: the decoder's plain CMYK → RGB is visibly off.
    let plain = image::open(&logo).unwrap().into_rgb8().get_pixel(8, 8).0;
    assert!(
        !close(plain),
        "the test needs a profile that changes colours: {plain:?} ~ {want:?}"
    );
    site.replace("site.toml", "assets/logo.svg", "assets/print.jpg");
    site.build().assert_ok();
    let img = logo_tag(&site.page("index.html"));
    let copy = image::load_from_memory(&file_of(&site, img.attr("src").unwrap()))
        .unwrap()
        .into_rgb8();
    let got = copy.get_pixel(32, 32).0;
    assert!(
        close(got),
        "{got:?}, want {want:?} (the plain conversion gives {plain:?})"
    );
}

#[test]
fn link_previews_get_a_copy_at_most_1200_pixels_wide() {
    let site = photo_site(&quadrants(2000, 1500));
    site.replace(
        "site.toml",
        "# base_url = \"https://example.github.io/profile/\"",
        "base_url = \"https://example.github.io/profile/\"",
    );
    site.build().assert_ok();
    let html = site.page("index.html");
    let meta = |property: &str| {
        common::start_tags(&html)
            .into_iter()
            .find(|t| t.name == "meta" && t.attr("property") == Some(property))
            .and_then(|t| t.attr("content").map(str::to_string))
            .unwrap_or_else(|| panic!("no {property}"))
    };
    let image = meta("og:image");
    let path = image
        .strip_prefix("https://example.github.io/profile/")
        .unwrap_or_else(|| panic!("not absolute: {image}"));
    assert_eq!(meta("og:image:type"), "image/jpeg");
    let preview = image::load_from_memory(&file_of(&site, path)).unwrap();
    assert_eq!((preview.width(), preview.height()), (1200, 900));
}

#[test]
fn a_transparent_logo_keeps_its_transparency_and_its_shape() {
    let site = Site::example();
    let logo = image::RgbaImage::from_fn(300, 150, |x, _| {
        image::Rgba([200, 0, 0, if x < 150 { 0 } else { 255 }])
    });
    logo.save(site.path("assets/mark.png")).unwrap();
    site.replace("site.toml", "assets/logo.svg", "assets/mark.png");
    site.build().assert_ok();
    let img = logo_tag(&site.page("index.html"));
    assert_eq!(
        (img.attr("width"), img.attr("height")),
        (Some("128"), Some("64"))
    );
    let fallback = image::load_from_memory(&file_of(&site, img.attr("src").unwrap()))
        .unwrap()
        .into_rgba8();
    assert_eq!(
        fallback.get_pixel(2, 30)[3],
        0,
        "left half stays transparent"
    );
    assert_eq!(fallback.get_pixel(120, 30)[3], 255);
}

#[test]
fn no_gps_camera_or_names_reach_dist() {
    let test = "no_gps_camera_or_names_reach_dist";
    if !have(test, "exiftool") || !have(test, "ffmpeg") {
        return;
    }
    let site = photo_site(&quadrants(1200, 900));
    // Every source carries a position, a device and a name.
    let tagged = |file: &str, extra: &[&str]| {
        run(Command::new("exiftool")
            .args(["-q", "-overwrite_original"])
            .args(["-GPSLatitude=39.9042", "-GPSLatitudeRef=N"])
            .args(["-GPSLongitude=116.4074", "-GPSLongitudeRef=E"])
            .args(["-Make=Apple", "-Model=iPhone 15", "-Artist=Li Hua"])
            .args(extra)
            .arg(site.path(file)));
    };
    tagged("assets/phone.jpg", &["-Orientation#=6"]);
    // Another photo under assets/, published as it is (stripped).
    save_jpeg(&quadrants(64, 48), &site.path("assets/extra.jpg"));
    tagged("assets/extra.jpg", &[]);
    run(sine(2)
        .args(["-c:a", "aac", "-metadata", "title=Memo", "-metadata"])
        .arg("location=+39.9042+116.4074/")
        .arg(site.path("assets/memo.m4a")));
    site.replace("site.toml", "assets/introduction.mp3", "assets/memo.m4a");
    let sources = run(Command::new("exiftool")
        .args(["-a", "-G1", "-s"])
        .arg(site.path("assets")));
    assert!(
        sources.contains("GPSLatitude") && sources.contains("iPhone 15"),
        "{sources}"
    );
    let built = site.build();
    built.assert_ok();
    assert!(
        built
            .stdout
            .contains("Removed location, camera and other data from 3 files"),
        "{}",
        built.stdout
    );
    let published = run(Command::new("exiftool")
        .args(["-a", "-G1", "-s", "-r"])
        .arg(site.dist()));
    for private in [
        "GPS", "Location", "Make", "Model", "Artist", "Title", "iPhone", "Li Hua", "Memo",
        "116.4074",
    ] {
        // Pages and the example's SVG show the name and title on purpose; media must not.
        let leaks: Vec<&str> = published
            .lines()
            .filter(|l| !l.starts_with("[HTML]") && !l.starts_with("[SVG]"))
            .filter(|l| l.contains(private))
            .collect();
        assert!(leaks.is_empty(), "{private} in dist/: {leaks:?}");
    }
    // The stripped photo still shows.
    assert!(image::open(site.dist().join("assets/extra.jpg")).is_ok());

    // With keep_metadata the files go out as they are, with a warning for the position.
    append_to_site_toml(&site, "[build]\nkeep_metadata = true\n");
    let kept = site.build();
    kept.assert_ok();
    assert!(
        kept.stdout
            .contains("warning: assets/extra.jpg carries a GPS position"),
        "{}",
        kept.stdout
    );
}

#[test]
fn a_wav_recording_is_also_published_as_opus_with_its_duration() {
    let test = "a_wav_recording_is_also_published_as_opus_with_its_duration";
    if !have(test, "ffmpeg") {
        return;
    }
    let site = Site::example();
    run(sine(3)
        .args(["-ac", "2", "-ar", "44100"])
        .arg(site.path("assets/memo.wav")));
    site.replace("site.toml", "assets/introduction.mp3", "assets/memo.wav");
    site.build().assert_ok();
    let html = site.page("index.html");
    let sources: Vec<common::Tag> = common::start_tags(&html)
        .into_iter()
        .filter(|t| t.name == "source" && t.attr("type").is_some_and(|m| m.starts_with("audio/")))
        .collect();
    assert_eq!(sources.len(), 2);
    assert_eq!(sources[0].attr("type"), Some("audio/webm; codecs=opus"));
    assert_eq!(sources[1].attr("type"), Some("audio/wav"));
    let webm = file_of(&site, sources[0].attr("src").unwrap());
    let wav = std::fs::metadata(site.path("assets/memo.wav"))
        .unwrap()
        .len();
    assert!(
        (webm.len() as u64) * 8 <= wav,
        "{} bytes from {wav}",
        webm.len()
    );
    assert!(
        html.contains("<time datetime=\"PT3.0S\">0:03</time>"),
        "{html}"
    );

    // `audio = "keep"`: the original alone.
    append_to_site_toml(&site, "[build]\naudio = \"keep\"\n");
    site.build().assert_ok();
    assert!(!site.page("index.html").contains("audio/webm"));
}

#[test]
fn a_long_tagged_recording_is_stripped_on_every_build_and_check_writes_nothing() {
    let test = "a_long_tagged_recording_is_stripped_on_every_build_and_check_writes_nothing";
    if !have(test, "ffmpeg") {
        return;
    }
    let site = photo_site(&quadrants(640, 480));
    // Over a megabyte: learnt once and stripped through the cache.
    run(sine(8)
        .args(["-ac", "2", "-ar", "44100", "-metadata", "title=Secret Memo"])
        .arg(site.path("assets/memo.wav")));
    site.replace("site.toml", "assets/introduction.mp3", "assets/memo.wav");
    assert!(
        std::fs::metadata(site.path("assets/memo.wav"))
            .unwrap()
            .len()
            > 1 << 20
    );

    // `check` reads everything and writes nothing, not even the cache.
    site.run(&["check"]).assert_ok();
    assert!(!site.path(".profile-cache").exists());
    assert!(!site.dist().exists());

    for build in ["first", "second"] {
        let built = site.build();
        assert!(
            built.stdout.contains("memo.wav"),
            "{build} build: {}",
            built.stdout
        );
        let name = common::fingerprinted(&site.dist(), "memo", "wav");
        let published = std::fs::read(site.dist().join(name)).unwrap();
        assert!(
            !published.windows(6).any(|w| w == b"Secret"),
            "{build} build published the title"
        );
        assert!(published.starts_with(b"RIFF"));
        assert!(site
            .page("index.html")
            .contains("<time datetime=\"PT8.0S\">0:08</time>"));
    }
}

#[test]
fn a_second_build_reads_the_cache_and_gives_the_same_bytes() {
    let site = photo_site(&quadrants(640, 480));
    site.build().assert_ok();
    let first = common::snapshot(&site.dist());
    let cache = site.path(".profile-cache");
    let entries = |dir: &Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let cached = entries(&cache);
    assert!(cached.len() > 6, "{cached:?}");
    // A damaged entry is made again, never published.
    let victim = cached.iter().find(|n| n.contains('-')).unwrap();
    std::fs::write(cache.join(victim), b"damaged").unwrap();
    site.build().assert_ok();
    common::assert_same_tree(&first, &common::snapshot(&site.dist()));
    // Without the cache, the same bytes again: the output is deterministic.
    std::fs::remove_dir_all(&cache).unwrap();
    site.build().assert_ok();
    common::assert_same_tree(&first, &common::snapshot(&site.dist()));
    assert_eq!(entries(&cache), cached);
    // An edited photo gets new copies; the old ones are pruned.
    save_jpeg(&quadrants(640, 400), &site.path("assets/phone.jpg"));
    site.build().assert_ok();
    let after = entries(&cache);
    assert_eq!(after.len(), cached.len());
    assert!(after
        .iter()
        .all(|n| !cached.contains(n) || !n.contains('-') || n.starts_with("CACHEDIR")));
}

#[test]
fn broken_and_oversized_media_are_refused_and_dist_is_kept() {
    let site = photo_site(&quadrants(640, 480));
    site.build().assert_ok();
    let before = common::snapshot(&site.dist());
    let photo = std::fs::read(site.path("assets/phone.jpg")).unwrap();

    // A photo cut short by a failed copy.
    site.write("assets/phone.jpg", &photo[..photo.len() / 2]);
    let err = site.run(&["build"]).assert_user_error().to_string();
    assert!(
        err.contains("phone.jpg") && err.contains("cut short"),
        "{err}"
    );
    common::assert_same_tree(&before, &common::snapshot(&site.dist()));

    // A decompression bomb: a PNG header declaring 50,000 × 50,000 pixels.
    let mut bomb = b"\x89PNG\r\n\x1A\n\0\0\0\x0DIHDR".to_vec();
    bomb.extend_from_slice(&50_000u32.to_be_bytes());
    bomb.extend_from_slice(&50_000u32.to_be_bytes());
    bomb.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut crc = flate2::Crc::new();
    crc.update(&bomb[12..]);
    bomb.extend_from_slice(&crc.sum().to_be_bytes());
    // An IDAT (empty here: the limit must trip before any pixel data is read) and the end.
    for chunk in [&b"IDAT"[..], b"IEND"] {
        let mut crc = flate2::Crc::new();
        crc.update(chunk);
        bomb.extend_from_slice(&[0, 0, 0, 0]);
        bomb.extend_from_slice(chunk);
        bomb.extend_from_slice(&crc.sum().to_be_bytes());
    }
    site.write("assets/phone.jpg", &bomb);
    let err = site.run(&["build"]).assert_user_error().to_string();
    assert!(err.contains("limit of 100 megapixels"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    common::assert_same_tree(&before, &common::snapshot(&site.dist()));
    site.write("assets/phone.jpg", &photo);

    // An SVG with a script names the line.
    site.write(
        "assets/logo.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\">\n<script>alert(1)</script>\n</svg>\n",
    );
    site.replace("site.toml", "assets/phone.jpg", "assets/logo.svg");
    let err = site.run(&["build"]).assert_user_error().to_string();
    assert!(
        err.contains("logo.svg:2:") && err.contains("<script>"),
        "{err}"
    );

    // A 3GP recording: refused with the command that converts it.
    site.replace("site.toml", "assets/logo.svg", "assets/phone.jpg");
    site.write(
        "assets/old.3gp",
        b"\0\0\0\x18ftyp3gp4\0\0\x02\x003gp4isom\0\0\0\x08free",
    );
    site.replace("site.toml", "assets/introduction.mp3", "assets/old.3gp");
    let err = site.run(&["build"]).assert_user_error().to_string();
    assert!(err.contains("ffmpeg -i recording.3gp"), "{err}");

    // A WAV that ends inside its data.
    let mut wav = b"RIFF\x24\x10\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0\x44\xAC\0\0\x88\x58\x01\0\x02\0\x10\0data\0\x10\0\0".to_vec();
    wav.extend_from_slice(&[0; 100]);
    site.write("assets/cut.wav", &wav);
    site.replace("site.toml", "assets/old.3gp", "assets/cut.wav");
    let err = site.run(&["build"]).assert_user_error().to_string();
    assert!(err.contains("cut.wav"), "{err}");
    common::assert_same_tree(&before, &common::snapshot(&site.dist()));
}
