//! Real files made by ImageMagick and tagged by exiftool: after stripping, exiftool finds none
//! of the private tags, the pixels decode the same, and stripping again finds nothing.

use crate::common;

use profile::strip::image::{inspect, strip};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Keys (without their group) that must not survive stripping.
const PRIVATE: &[&str] = &[
    "Make",
    "Model",
    "Artist",
    "Creator",
    "Software",
    "DateTimeOriginal",
    "Comment",
];

fn tool_works(name: &str, arg: &str) -> bool {
    Command::new(name)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Tag names exiftool reports, without their group prefix ("IFD0:Make" -> "Make").
fn tags(path: &Path) -> Vec<String> {
    let json = run(Command::new("exiftool").args(["-j", "-G1", "-a"]).arg(path));
    String::from_utf8_lossy(&json)
        .lines()
        .filter_map(|line| {
            let key = line.trim().strip_prefix('"')?.split('"').next()?;
            Some(key.rsplit(':').next().unwrap_or(key).to_string())
        })
        .collect()
}

fn private_tags(path: &Path) -> Vec<String> {
    tags(path)
        .into_iter()
        .filter(|t| t.starts_with("GPS") || PRIVATE.contains(&t.as_str()))
        .collect()
}

fn pixels(path: &Path) -> Vec<u8> {
    run(Command::new("convert")
        .arg(path)
        .args(["-depth", "8", "rgba:-"]))
}

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("strip-image-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn check(dir: &Path, ext: &str, tag_args: &[&str], orientation_kept: bool) {
    let input = dir.join(format!("in.{ext}"));
    run(Command::new("convert")
        .args(["-size", "16x12", "gradient:red-blue"])
        .arg(&input));
    run(Command::new("exiftool")
        .arg("-overwrite_original")
        .args(tag_args)
        .arg(&input));
    let before = private_tags(&input);
    for expected in ["GPSLatitude", "Make", "Model", "Artist"] {
        assert!(
            before.iter().any(|t| t == expected),
            "{ext}: exiftool did not write {expected}: {before:?}"
        );
    }

    let bytes = std::fs::read(&input).expect("read input");
    let found = inspect(&bytes).expect("inspect");
    assert!(
        found.location && found.camera && found.other,
        "{ext}: {found:?}"
    );
    let stripped = strip(&bytes).expect("strip").expect("something to strip");
    assert_eq!(stripped.found, found, "{ext}");
    let output = dir.join(format!("out.{ext}"));
    std::fs::write(&output, &stripped.bytes).expect("write output");

    let after = private_tags(&output);
    assert!(
        after.is_empty(),
        "{ext}: still there after stripping: {after:?}"
    );
    assert_eq!(pixels(&input), pixels(&output), "{ext}: pixels differ");
    assert_eq!(
        strip(&stripped.bytes).expect("strip again"),
        None,
        "{ext}: not idempotent"
    );
    let orientation = run(Command::new("exiftool")
        .args(["-n", "-s3", "-Orientation"])
        .arg(&output));
    let expected: &[u8] = if orientation_kept { b"6\n" } else { b"" };
    assert_eq!(orientation, expected, "{ext}: orientation");
}

#[test]
fn exiftool_finds_nothing_private_after_stripping() {
    if !tool_works("exiftool", "-ver") || !tool_works("convert", "-version") {
        if std::env::var_os("PROFILE_REQUIRE_TOOLS").is_some() {
            panic!(
                "exiftool and ImageMagick `convert` are required (PROFILE_REQUIRE_TOOLS is set)"
            );
        }
        common::skip("strip_images: exiftool or ImageMagick `convert` not installed");
        return;
    }
    let dir = scratch_dir();
    let exif = [
        "-GPSLatitude=51.5",
        "-GPSLatitudeRef=N",
        "-GPSLongitude=0.12",
        "-GPSLongitudeRef=W",
        "-Make=Acme",
        "-Model=X1",
        "-Artist=Alice Example",
        "-Software=PhotoTool 1.0",
        "-DateTimeOriginal=2024:05:06 07:08:09",
        "-XMP:Creator=Alice Example",
        "-Orientation#=6",
    ];
    check(
        &dir,
        "jpg",
        &[exif.as_slice(), &["-Comment=hello"]].concat(),
        true,
    );
    check(&dir, "png", &exif, true);
    // Browsers do not rotate WebP by its EXIF, so no orientation is kept there.
    check(&dir, "webp", &exif, false);
    // GIF has no EXIF: the same facts go into XMP (and a comment).
    let xmp = [
        "-XMP-exif:GPSLatitude=51.5",
        "-XMP-exif:GPSLongitude=0.12",
        "-XMP-tiff:Make=Acme",
        "-XMP-tiff:Model=X1",
        "-XMP-tiff:Artist=Alice Example",
        "-XMP-tiff:Software=PhotoTool 1.0",
        "-XMP:Creator=Alice Example",
        "-Comment=hello",
    ];
    check(&dir, "gif", &xmp, false);
    let _ = std::fs::remove_dir_all(&dir);
}
