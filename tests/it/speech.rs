//! End-to-end checks against ffmpeg/ffprobe on inputs generated here (nothing large committed).
//!
//! Missing tools print "skipped: speech: <tool> not installed" and pass, unless
//! PROFILE_REQUIRE_TOOLS is set.

use crate::common;

use profile::speech::{compress_speech, duration, format_duration};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn have(tool: &str) -> bool {
    let ok = Command::new(tool).arg("-version").output().is_ok()
        || Command::new(tool).arg("--version").output().is_ok();
    if !ok {
        if std::env::var_os("PROFILE_REQUIRE_TOOLS").is_some() {
            panic!("{tool} not installed and PROFILE_REQUIRE_TOOLS is set");
        }
        common::skip(format_args!("speech: {tool} not installed"));
    }
    ok
}

fn tools() -> bool {
    have("ffmpeg") && have("ffprobe") && have("espeak-ng")
}

fn dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("speech-media");
    std::fs::create_dir_all(&d).expect("create media dir");
    d
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run tool");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn ffmpeg(args: &[&str]) {
    let mut c = Command::new("ffmpeg");
    c.args(["-v", "error", "-y"]).args(args);
    run(&mut c);
}

/// Speech from espeak-ng, looped to 60 s at 44.1 kHz stereo 16-bit, with a quiet sine under it
/// so the two channels differ. Made once per test run.
fn speech_wav() -> PathBuf {
    static ONCE: OnceLock<PathBuf> = OnceLock::new();
    ONCE.get_or_init(|| {
        let d = dir();
        let voice = d.join("voice.wav");
        run(Command::new("espeak-ng").arg("-w").arg(&voice).arg(
            "Hello, my name is Alex Kim. I study computer science and I like building small \
             tools, hiking on weekends, and playing the cello in the university orchestra.",
        ));
        let out = d.join("speech60.wav");
        let (v, o) = (voice.to_str().unwrap(), out.to_str().unwrap());
        ffmpeg(&[
            "-stream_loop", "-1", "-i", v, "-f", "lavfi", "-i", "sine=frequency=220:sample_rate=44100",
            "-filter_complex",
            "[0:a]aresample=44100,pan=stereo|c0=c0|c1=0.8*c0[s];[1:a]volume=0.02,pan=stereo|c0=c0|c1=0*c0[t];[s][t]amix=inputs=2:normalize=0[m]",
            "-map", "[m]", "-t", "60", "-ar", "44100", "-ac", "2", "-c:a", "pcm_s16le", o,
        ]);
        out
    })
    .clone()
}

fn ffprobe(path: &Path, entries: &str) -> String {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", entries, "-of", "csv=p=0"])
        .arg(path)
        .output()
        .expect("ffprobe");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .trim_matches('"')
        .to_string()
}

fn probe_secs(path: &Path) -> f64 {
    let s = ffprobe(path, "format=duration");
    s.parse()
        .unwrap_or_else(|_| panic!("ffprobe duration of {path:?}: {s:?}"))
}

/// Compresses `input`, checks size, codec, duration, a clean decode and determinism.
fn check_compress(input: &Path, name: &str) -> Vec<u8> {
    let bytes = std::fs::read(input).unwrap();
    let t = Instant::now();
    let out = compress_speech(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    let took = t.elapsed();
    let again = compress_speech(&bytes).unwrap();
    assert!(out == again, "{name}: output differs between runs");
    let path = dir().join(format!("{name}.webm"));
    std::fs::write(&path, &out).unwrap();
    println!(
        "{name}: {} -> {} bytes (1/{:.1}) in {took:?}",
        bytes.len(),
        out.len(),
        bytes.len() as f64 / out.len() as f64
    );
    assert!(
        out.len() * 8 <= bytes.len(),
        "{name}: {} > 1/8 of {}",
        out.len(),
        bytes.len()
    );
    assert_eq!(ffprobe(&path, "format=format_name"), "matroska,webm");
    assert_eq!(ffprobe(&path, "stream=codec_name"), "opus");
    let want = probe_secs(input);
    let got = probe_secs(&path);
    assert!(
        (want - got).abs() <= 0.030,
        "{name}: ffprobe says {got}, input {want}"
    );
    let ours = duration(&out).unwrap().as_secs_f64();
    assert!(
        (want - ours).abs() <= 0.001,
        "{name}: duration() {ours}, input {want}"
    );
    let decode = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&path)
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    assert!(decode.status.success());
    let errs = String::from_utf8_lossy(&decode.stderr);
    assert!(errs.trim().is_empty(), "{name}: ffmpeg decode says {errs}");
    out
}

#[test]
fn compresses_60s_stereo_wav() {
    if !tools() {
        return;
    }
    let out = check_compress(&speech_wav(), "speech60");
    // For the manual browser check: in Cargo's target directory (target/tmp/sample.webm), which
    // exists also when CARGO_TARGET_DIR puts it somewhere other than the repository's target/.
    let sample = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sample.webm");
    std::fs::write(sample, out).unwrap();
}

#[test]
fn compresses_24bit_mono_48k_float_and_flac() {
    if !tools() {
        return;
    }
    let src = speech_wav();
    let d = dir();
    let s = src.to_str().unwrap();
    let cases: [(&str, &[&str]); 5] = [
        (
            "s24mono48k",
            &["-ac", "1", "-ar", "48000", "-c:a", "pcm_s24le"],
        ),
        ("f32stereo22k", &["-ar", "22050", "-c:a", "pcm_f32le"]),
        (
            "s32ext16k",
            &["-ac", "3", "-ar", "16000", "-c:a", "pcm_s32le"],
        ),
        ("u8mono8k", &["-ac", "1", "-ar", "8000", "-c:a", "pcm_u8"]),
        ("flac44k", &["-c:a", "flac"]),
    ];
    for (name, args) in cases {
        let ext = if name.starts_with("flac") {
            "flac"
        } else {
            "wav"
        };
        let path = d.join(format!("{name}.{ext}"));
        let mut a = vec!["-i", s];
        a.extend_from_slice(args);
        a.push(path.to_str().unwrap());
        ffmpeg(&a);
        check_compress(&path, name);
    }
}

/// Durations of every format against ffprobe, on a 7.3 s clip.
#[test]
fn durations_match_ffprobe() {
    if !tools() {
        return;
    }
    let d = dir();
    let src = d.join("clip-source.wav");
    ffmpeg(&[
        "-i",
        speech_wav().to_str().unwrap(),
        "-t",
        "7.3",
        src.to_str().unwrap(),
    ]);
    let cases: [(&str, &[&str], f64); 10] = [
        ("wav", &["-c:a", "pcm_s16le"], 0.0),
        ("flac", &["-c:a", "flac"], 0.0),
        ("mp3", &["-c:a", "libmp3lame", "-b:a", "128k"], 0.030),
        (
            "cbr.mp3",
            &["-c:a", "libmp3lame", "-b:a", "64k", "-write_xing", "0"],
            0.060,
        ),
        ("m4a", &["-c:a", "aac", "-b:a", "96k"], 0.030),
        ("aac", &["-c:a", "aac", "-b:a", "96k"], 0.100),
        ("opus", &["-c:a", "libopus", "-b:a", "32k"], 0.030),
        ("ogg", &["-c:a", "libvorbis", "-q:a", "3"], 0.030),
        ("webm", &["-c:a", "libopus", "-b:a", "32k"], 0.030),
        (
            "mono.wav",
            &["-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le"],
            0.0,
        ),
    ];
    let mut failures = Vec::new();
    for (ext, args, tol) in cases {
        let path = d.join(format!("clip.{ext}"));
        let mut a = vec!["-i", src.to_str().unwrap()];
        a.extend_from_slice(args);
        a.push(path.to_str().unwrap());
        ffmpeg(&a);
        let ours = duration(&std::fs::read(&path).unwrap())
            .unwrap_or_else(|e| panic!("{ext}: {e}"))
            .as_secs_f64();
        let theirs = probe_secs(&path);
        println!("{ext}: ours {ours:.6} ffprobe {theirs:.6}");
        // Raw ADTS has no length: ffprobe estimates from the bitrate, so compare with the input.
        // MP3: ffprobe reports the untrimmed length (encoder delay and padding included), so
        // compare with the input's exact length as well.
        let want = if ext == "aac" || ext.ends_with("mp3") {
            7.3
        } else {
            theirs
        };
        if (ours - want).abs() > tol.max(1e-6) {
            failures.push(format!("{ext}: ours {ours} vs {want}"));
        }
        // Truncated: an error, never a panic.
        let bytes = std::fs::read(&path).unwrap();
        let cut = &bytes[..bytes.len() * 2 / 3];
        let r = duration(cut);
        println!("{ext} cut: {r:?}");
        if ext != "cbr.mp3" {
            assert!(r.is_err(), "{ext}: a file cut to 2/3 must be an error");
        }
        // No panic on any of ~150 prefixes or on single-byte damage.
        for len in (0..bytes.len()).step_by(bytes.len() / 150 + 1) {
            let _ = duration(&bytes[..len]);
        }
        for i in (0..bytes.len()).step_by(bytes.len() / 150 + 1) {
            let mut m = bytes.clone();
            m[i] ^= 0x5A;
            let _ = duration(&m);
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(format_duration(Duration::from_secs_f64(7.3)), "0:07");
}

/// FLAC cut anywhere, or damaged anywhere: an error (or a clean result), never a panic.
#[test]
fn flac_truncations_and_damage_never_panic() {
    if !tools() {
        return;
    }
    let path = dir().join("short.flac");
    ffmpeg(&[
        "-i",
        speech_wav().to_str().unwrap(),
        "-t",
        "1",
        "-ac",
        "1",
        path.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&path).unwrap();
    assert!(compress_speech(&bytes).is_ok());
    for len in (0..bytes.len() - 1).step_by(bytes.len() / 120 + 1) {
        assert!(compress_speech(&bytes[..len]).is_err(), "prefix {len}");
        assert!(duration(&bytes[..len]).is_err(), "prefix {len}");
    }
    let mut damaged = bytes.clone();
    let mid = damaged.len() / 2;
    damaged[mid] ^= 0xFF;
    let e = compress_speech(&damaged).unwrap_err();
    println!("damaged flac: {e}");
    assert!(e.contains("corrupt"), "{e}");
}
