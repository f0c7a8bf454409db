//! Strips real recordings made by ffmpeg and checks, with exiftool, ffprobe and ffmpeg, that
//! the metadata is gone and the audio is unchanged.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use profile::strip::audio::{inspect, strip, webm_is_audio_only};

/// Tag names that must not survive stripping (lower case, as parts of exiftool's names).
const FORBIDDEN_KEYS: &[&str] = &[
    "gps",
    "location",
    "title",
    "artist",
    "comment",
    "originator",
    "picture",
    "make",
];

fn tools_present() -> bool {
    let ok = |tool: &str, arg: &str| {
        Command::new(tool)
            .arg(arg)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let present = ok("ffmpeg", "-version") && ok("ffprobe", "-version") && ok("exiftool", "-ver");
    if !present && std::env::var_os("PROFILE_REQUIRE_TOOLS").is_some() {
        panic!("ffmpeg, ffprobe and exiftool are required (PROFILE_REQUIRE_TOOLS is set)");
    }
    present
}

fn run(cmd: &mut Command) -> (Vec<u8>, String) {
    let out = cmd.output().expect("tool runs");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{cmd:?} failed: {err}");
    (out.stdout, err)
}

fn ffmpeg(args: &[&str]) {
    run(Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args));
}

/// Keys and values from `exiftool -j -a -G1` that reveal private metadata.
fn private_tags(path: &Path) -> Vec<String> {
    let (json, _) = run(Command::new("exiftool").args(["-j", "-a", "-G1"]).arg(path));
    String::from_utf8_lossy(&json)
        .lines()
        // The file's own name and file-system dates are not in the file.
        .filter(|line| {
            let line = line.trim();
            !line.starts_with("\"SourceFile\"") && !line.starts_with("\"System:")
        })
        .filter(|line| {
            let lower = line.to_lowercase();
            let key = lower.split(':').nth(1).unwrap_or_default();
            FORBIDDEN_KEYS.iter().any(|k| key.contains(k)) || lower.contains("secret")
        })
        .map(|line| line.trim().to_string())
        .collect()
}

fn probe(path: &Path) -> String {
    let (out, _) = run(Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "a"])
        .args(["-show_entries", "format=duration:stream=codec_name"])
        .args(["-of", "csv=p=0"])
        .arg(path));
    String::from_utf8_lossy(&out).into_owned()
}

fn decode(path: &Path) -> Vec<u8> {
    run(Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "s16le", "-"]))
    .0
}

struct Case {
    file: &'static str,
    args: &'static [&'static str],
    /// Whether decoded PCM must match byte for byte (lossless or deterministic decoders).
    same_pcm: bool,
    location: bool,
    camera: bool,
}

const META: &[&str] = &[
    "-metadata",
    "title=Secret title",
    "-metadata",
    "artist=Secret artist",
    "-metadata",
    "comment=Secret comment",
    "-metadata",
    "creation_time=2024-05-01T10:00:00Z",
];

fn cases() -> Vec<Case> {
    vec![
        Case {
            file: "voice.mp3",
            args: &[
                "-c:a",
                "libmp3lame",
                "-id3v2_version",
                "3",
                "-write_id3v1",
                "1",
            ],
            same_pcm: true,
            location: false,
            camera: false,
        },
        Case {
            file: "faststart.m4a",
            args: &[
                "-c:a",
                "aac",
                "-metadata",
                "location=+39.9042+116.4074/",
                "-movflags",
                "+faststart",
            ],
            same_pcm: true,
            location: true,
            camera: false,
        },
        Case {
            file: "moov-last.m4a",
            args: &["-c:a", "aac", "-metadata", "location=+39.9042+116.4074/"],
            same_pcm: true,
            location: true,
            camera: false,
        },
        Case {
            file: "voice.opus",
            args: &["-c:a", "libopus", "-b:a", "32k"],
            same_pcm: true,
            location: false,
            camera: false,
        },
        Case {
            file: "voice.ogg",
            args: &["-c:a", "libvorbis"],
            same_pcm: true,
            location: false,
            camera: false,
        },
        Case {
            file: "voice.webm",
            args: &["-c:a", "libopus", "-b:a", "32k"],
            same_pcm: true,
            location: false,
            camera: false,
        },
        Case {
            file: "voice.flac",
            args: &["-c:a", "flac"],
            same_pcm: true,
            location: false,
            camera: false,
        },
        Case {
            file: "voice.wav",
            args: &[
                "-c:a",
                "pcm_s16le",
                "-write_bext",
                "1",
                "-metadata",
                "originator=Secret",
            ],
            same_pcm: true,
            location: false,
            camera: false,
        },
        // Written as a live stream: Segment and Clusters of unknown size, like MediaRecorder.
        Case {
            file: "live.webm",
            args: &["-c:a", "libopus", "-b:a", "32k", "-live", "1"],
            same_pcm: true,
            location: false,
            camera: false,
        },
        // A cover picture: the PICTURE block must go.
        Case {
            file: "picture.flac",
            args: &[
                "-f",
                "lavfi",
                "-i",
                "color=c=red:s=16x16:d=1",
                "-map",
                "0:a",
                "-map",
                "1:v",
                "-c:a",
                "flac",
                "-c:v",
                "png",
                "-frames:v",
                "1",
                "-disposition:v",
                "attached_pic",
            ],
            same_pcm: true,
            location: false,
            camera: false,
        },
        // QuickTime-style `meta` with `keys`, as iPhone Voice Memos write it.
        Case {
            file: "keys.m4a",
            args: &[
                "-c:a",
                "aac",
                "-movflags",
                "+use_metadata_tags",
                "-metadata",
                "com.apple.quicktime.location.ISO6709=+39.9042+116.4074+000.000/",
                "-metadata",
                "com.apple.quicktime.make=Apple",
            ],
            same_pcm: true,
            location: true,
            camera: true,
        },
    ]
}

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("strip-audio-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn real_recordings_lose_their_metadata_but_not_their_audio() {
    if !tools_present() {
        common::skip("strip_audio: ffmpeg, ffprobe or exiftool not installed");
        return;
    }
    let dir = scratch_dir();
    let source = dir.join("source.wav");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:duration=2",
        "-ar",
        "48000",
        source.to_str().unwrap(),
    ]);
    for case in cases() {
        let original = dir.join(case.file);
        let mut args = vec!["-i", source.to_str().unwrap()];
        args.extend_from_slice(case.args);
        args.extend_from_slice(META);
        args.push(original.to_str().unwrap());
        ffmpeg(&args);
        let bytes = std::fs::read(&original).unwrap();
        let before = private_tags(&original);
        assert!(!before.is_empty(), "{}: no tags to start with", case.file);
        println!(
            "{}: {} private tags before: {before:?}",
            case.file,
            before.len()
        );

        let found = inspect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", case.file));
        let stripped = strip(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", case.file))
            .unwrap_or_else(|| panic!("{}: nothing stripped", case.file));
        assert_eq!(stripped.found, found, "{}", case.file);
        assert!(found.other, "{}", case.file);
        assert_eq!(found.location, case.location, "{}", case.file);
        assert_eq!(found.camera, case.camera, "{}", case.file);
        assert_eq!(
            strip(&stripped.bytes),
            Ok(None),
            "{}: not idempotent",
            case.file
        );

        let clean = dir.join(format!("clean-{}", case.file));
        std::fs::write(&clean, &stripped.bytes).unwrap();
        assert_eq!(private_tags(&clean), Vec::<String>::new(), "{}", case.file);
        assert_eq!(probe(&clean), probe(&original), "{}", case.file);
        let (_, errors) = run(Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(&clean)
            .args(["-f", "null", "-"]));
        assert_eq!(errors, "", "{}: decoding errors", case.file);
        if case.same_pcm {
            assert!(
                decode(&clean) == decode(&original),
                "{}: audio changed",
                case.file
            );
        }
        if case.file.ends_with(".webm") {
            assert_eq!(webm_is_audio_only(&stripped.bytes), Ok(true));
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
