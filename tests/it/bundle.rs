//! `profile bundle`: reproducible zip and tar.gz archives of the built site, and the rule that
//! only a previous bundle is replaced without `--force`.

use crate::common;

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use common::*;
use sha2::{Digest, Sha256};

/// A Chinese name and a path longer than tar's 100-byte name field (in Chinese, so that the
/// cut-off falls inside a character), both under `assets/`, which a build copies as they are.
const CHINESE: &str = "assets/资料/简介 说明.txt";
const LONG: &str = "assets/很长的目录名字很长的目录名字很长的目录名字/很长的文件名很长的文件名很长的文件名很长的文件名.txt";

/// The time every entry has without `SOURCE_DATE_EPOCH`: 1980-01-01T00:00:00Z.
const ZIP_EPOCH: u64 = 315_532_800;

/// The example site with the two awkward file names added.
fn site() -> Site {
    let site = Site::example();
    site.write(CHINESE, "你好\n");
    site.write(LONG, "long name\n");
    assert!(LONG.len() > 100);
    site
}

/// Runs `profile ARGS` in `cwd` with `SOURCE_DATE_EPOCH` set to `epoch`, or unset: never the one
/// the test runner happens to have.
fn run_with_epoch(cwd: &Path, args: &[&str], epoch: Option<&str>) -> Run {
    let mut command = common::command(cwd, args);
    command.env_remove("SOURCE_DATE_EPOCH");
    if let Some(epoch) = epoch {
        command.env("SOURCE_DATE_EPOCH", epoch);
    }
    Run::of(command.output().expect("run the profile binary"))
}

/// Runs `profile bundle ARGS` in the site's directory.
fn bundle(site: &Site, args: &[&str]) -> Run {
    let mut all = vec!["bundle"];
    all.extend_from_slice(args);
    run_with_epoch(site.root(), &all, None)
}

/// Runs `profile bundle ARGS`, asserts success and returns the archive's bytes.
fn bundle_ok(site: &Site, args: &[&str], file: &str) -> Vec<u8> {
    bundle(site, args).assert_ok();
    fs::read(site.path(file)).unwrap()
}

/// Hidden temporary archives (`.NAME.tmp-*`) in `dir`.
fn temp_files(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n.contains(".tmp-"))
        .collect()
}

/// Sets the modification time of every file under `dir` to an hour from now.
fn touch_all(dir: &Path) {
    let later = SystemTime::now() + Duration::from_secs(3600);
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let file = fs::File::options().write(true).open(entry.path()).unwrap();
            file.set_modified(later).unwrap();
        }
    }
}

/// What an archive should hold: every directory (`name/`) and file of `dist/` except the marker,
/// in the order a sorted depth-first walk gives; directories map to `None`.
fn expected_entries(dist: &Path) -> Vec<(String, Option<Vec<u8>>)> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, Option<Vec<u8>>)>) {
        let mut entries: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap()).collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name().into_string().unwrap();
            if prefix.is_empty() && name == ".profile-dist" {
                continue;
            }
            let relative = format!("{prefix}{name}");
            if entry.file_type().unwrap().is_dir() {
                out.push((format!("{relative}/"), None));
                walk(&entry.path(), &format!("{relative}/"), out);
            } else {
                out.push((relative, Some(fs::read(entry.path()).unwrap())));
            }
        }
    }
    let mut out = Vec::new();
    walk(dist, "", &mut out);
    out
}

/// One entry read back from an archive: name (`dir/` for directories), bytes, mode, mtime.
#[derive(Debug, PartialEq)]
struct ArchiveEntry {
    name: String,
    bytes: Option<Vec<u8>>,
    mode: u32,
    mtime: u64,
}

/// Reads a zip archive back: its comment and its entries in archive order. The mtime is given
/// as Unix seconds, read as UTC.
fn read_zip(bytes: &[u8]) -> (Vec<u8>, Vec<ArchiveEntry>) {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let comment = archive.comment().to_vec();
    let mut entries = Vec::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let name = file.name().unwrap().into_owned();
        let time = file.last_modified().unwrap();
        let mtime = unix_seconds(
            time.year(),
            time.month(),
            time.day(),
            time.hour(),
            time.minute(),
            time.second(),
        );
        let mode = file.unix_mode().unwrap();
        let bytes = if file.is_dir() {
            None
        } else {
            let mut data = Vec::new();
            file.read_to_end(&mut data).unwrap();
            Some(data)
        };
        entries.push(ArchiveEntry {
            name,
            bytes,
            mode,
            mtime,
        });
    }
    (comment, entries)
}

/// Unix seconds of a UTC date and time (days-from-civil, Howard Hinnant).
fn unix_seconds(year: u16, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> u64 {
    let (m, d) = (u64::from(month), u64::from(day));
    let y = u64::from(year) - u64::from(m <= 2);
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + u64::from(hour) * 3600 + u64::from(minute) * 60 + u64::from(second)
}

/// The fields of a gzip header a bundle fixes.
#[derive(Debug, PartialEq)]
struct GzipHeader {
    comment: Option<Vec<u8>>,
    mtime: u32,
    filename: Option<Vec<u8>>,
}

/// Reads a tar.gz archive back: the gzip header and the entries. Also checks every entry's
/// owner is 0/0 with empty names.
fn read_tar_gz(bytes: &[u8]) -> (GzipHeader, Vec<ArchiveEntry>) {
    let gzip = flate2::read::GzDecoder::new(bytes);
    let header = gzip.header().expect("a gzip header");
    let gz = GzipHeader {
        comment: header.comment().map(<[u8]>::to_vec),
        mtime: header.mtime(),
        filename: header.filename().map(<[u8]>::to_vec),
    };
    let mut archive = tar::Archive::new(gzip);
    let mut entries = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let header = entry.header().clone();
        assert_eq!(header.uid().unwrap(), 0);
        assert_eq!(header.gid().unwrap(), 0);
        assert_eq!(header.username().unwrap().unwrap_or(""), "");
        assert_eq!(header.groupname().unwrap().unwrap_or(""), "");
        let path = entry.path().unwrap().to_str().unwrap().to_string();
        let is_dir = header.entry_type().is_dir();
        let bytes = if is_dir {
            None
        } else {
            assert!(header.entry_type().is_file(), "{path}: not a regular file");
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            Some(data)
        };
        entries.push(ArchiveEntry {
            name: if is_dir && !path.ends_with('/') {
                format!("{path}/")
            } else {
                path
            },
            bytes,
            mode: header.mode().unwrap(),
            mtime: header.mtime().unwrap(),
        });
    }
    (gz, entries)
}

/// Asserts the entries are exactly `dist/` (names, order, bytes), all with time `mtime` and
/// mode 0644 / 0755 (plus `file_bits` / `dir_bits`, the type bits zip keeps in the mode).
fn assert_entries_are_dist(
    dist: &Path,
    entries: &[ArchiveEntry],
    mtime: u64,
    file_bits: u32,
    dir_bits: u32,
) {
    let expected = expected_entries(dist);
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    let expected_names: Vec<&str> = expected.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, expected_names);
    for (entry, (_, bytes)) in entries.iter().zip(&expected) {
        assert!(entry.bytes == *bytes, "{}: the bytes differ", entry.name);
        let mode = if bytes.is_some() {
            file_bits | 0o644
        } else {
            dir_bits | 0o755
        };
        assert_eq!(entry.mode, mode, "{}: mode {:o}", entry.name, entry.mode);
        assert_eq!(entry.mtime, mtime, "{}", entry.name);
    }
    for name in [CHINESE, LONG] {
        let inside = name.replacen("assets/", "", 1);
        assert!(
            names
                .iter()
                .any(|n| n.starts_with("assets/") && n.ends_with(&inside)),
            "{name} missing from {names:?}"
        );
    }
}

/// The parts of `Bundled N pages, M files (SIZE) into FILE — SHA-256 HEX`.
fn parse_bundled(line: &str) -> (usize, usize, String, String, String) {
    let rest = line.strip_prefix("Bundled ").expect(line);
    let (pages, rest) = rest.split_once(" pages, ").expect(line);
    let (files, rest) = rest.split_once(" files (").expect(line);
    let (size, rest) = rest.split_once(") into ").expect(line);
    let (file, hex) = rest.split_once(" — SHA-256 ").expect(line);
    (
        pages.parse().expect(line),
        files.parse().expect(line),
        size.to_string(),
        file.to_string(),
        hex.to_string(),
    )
}

// ---- reproducibility ----

fn assert_reproducible(args: &[&str], file: &str) {
    let site = site();
    let first = bundle_ok(&site, args, file);
    let again = bundle_ok(&site, args, file);
    assert!(first == again, "a second bundle differs");

    // Modification times an hour later on every source and every file of dist/ (set, rather
    // than waiting for the clock to move on by more than zip's two-second resolution)...
    touch_all(site.root());
    let touched = bundle_ok(&site, args, file);
    assert!(
        first == touched,
        "touching the sources and dist/ changed the bundle"
    );
    // ...and a dist/ rebuilt from scratch.
    fs::remove_dir_all(site.dist()).unwrap();
    let rebuilt = bundle_ok(&site, args, file);
    assert!(first == rebuilt, "rebuilding dist/ changed the bundle");

    // The same site elsewhere on disk.
    let other = self::site();
    assert!(
        first == bundle_ok(&other, args, file),
        "the site's location changed the bundle"
    );
}

#[test]
fn zip_is_byte_identical_for_identical_input() {
    assert_reproducible(&[], "dist.zip");
}

#[test]
fn tar_gz_is_byte_identical_for_identical_input() {
    assert_reproducible(&["--format", "tar.gz"], "dist.tar.gz");
}

#[test]
fn source_date_epoch_sets_every_timestamp() {
    let site = site();
    let plain = bundle_ok(&site, &["-o", "plain.zip"], "plain.zip");
    // 2024-02-29T13:45:31Z: odd, so it is rounded down to zip's two-second steps.
    let epoch = "1709214331";
    run_with_epoch(site.root(), &["bundle", "-o", "dated.zip"], Some(epoch)).assert_ok();
    let dated = fs::read(site.path("dated.zip")).unwrap();
    assert!(plain != dated, "SOURCE_DATE_EPOCH made no difference");
    let (_, entries) = read_zip(&dated);
    assert_entries_are_dist(&site.dist(), &entries, 1_709_214_330, 0o100000, 0o040000);
    run_with_epoch(site.root(), &["bundle", "-o", "again.zip"], Some(epoch)).assert_ok();
    assert!(dated == fs::read(site.path("again.zip")).unwrap());

    run_with_epoch(site.root(), &["bundle", "-o", "dated.tar.gz"], Some(epoch)).assert_ok();
    let (_, entries) = read_tar_gz(&fs::read(site.path("dated.tar.gz")).unwrap());
    assert_entries_are_dist(&site.dist(), &entries, 1_709_214_330, 0, 0);

    // Not a whole number of seconds: ignored.
    run_with_epoch(site.root(), &["bundle", "-o", "bad.zip"], Some("yesterday")).assert_ok();
    assert!(plain == fs::read(site.path("bad.zip")).unwrap());
}

// ---- contents ----

#[test]
fn zip_holds_exactly_dist_with_fixed_metadata() {
    let site = site();
    let bytes = bundle_ok(&site, &[], "dist.zip");
    let (comment, entries) = read_zip(&bytes);
    assert_eq!(comment, b"made by profile bundle");
    assert_entries_are_dist(&site.dist(), &entries, ZIP_EPOCH, 0o100000, 0o040000);
    assert!(entries.iter().any(|e| e.name == "index.html"));
}

#[test]
fn tar_gz_holds_exactly_dist_with_fixed_metadata() {
    let site = site();
    let bytes = bundle_ok(&site, &["--format", "tar.gz"], "dist.tar.gz");
    let (gzip, entries) = read_tar_gz(&bytes);
    let expected = GzipHeader {
        comment: Some(b"made by profile bundle".to_vec()),
        mtime: 0,
        filename: None,
    };
    assert_eq!(gzip, expected);
    assert_entries_are_dist(&site.dist(), &entries, ZIP_EPOCH, 0, 0);
}

#[test]
fn the_summary_line_gives_the_size_and_sha256_of_the_file() {
    let site = site();
    for (args, file) in [
        (vec![], "dist.zip"),
        (vec!["--format", "tar.gz"], "dist.tar.gz"),
    ] {
        let run = bundle(&site, &args);
        run.assert_ok();
        assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
        let (pages, files, size, shown, hex) = parse_bundled(run.stdout.trim_end());
        let bytes = fs::read(site.path(file)).unwrap();
        assert_eq!(shown, file);
        assert_eq!(size, profile::human_size(bytes.len() as u64));
        assert_eq!(hex, hex::encode(Sha256::digest(&bytes)));
        assert_eq!(hex.len(), 64);
        let dist = snapshot(&site.dist());
        assert_eq!(files, dist.len() - 1, "files, not counting .profile-dist");
        assert_eq!(pages, dist.keys().filter(|n| n.ends_with(".html")).count());
    }
    let run = bundle(&site, &["--quiet"]);
    run.assert_ok();
    assert_eq!(run.stdout, "");
}

#[test]
fn the_format_follows_the_output_name() {
    let site = site();
    for (name, magic) in [
        ("site.tgz", &b"\x1f\x8b"[..]),
        ("site.tar.gz", b"\x1f\x8b"),
        ("site.zip", b"PK\x03\x04"),
        ("site.bin", b"PK\x03\x04"),
    ] {
        let bytes = bundle_ok(&site, &["-o", name], name);
        assert!(bytes.starts_with(magic), "{name}");
    }
    let bytes = bundle_ok(&site, &["-o", "x.tgz", "--format", "tgz"], "x.tgz");
    assert!(bytes.starts_with(b"\x1f\x8b"));
}

#[test]
fn root_and_out_are_honoured() {
    let site = site();
    let parent = site.root().parent().unwrap();
    let run = run_with_epoch(
        parent,
        &[
            "bundle", "--root", "site", "--out", "built", "--format", "tar.gz",
        ],
        None,
    );
    run.assert_ok();
    assert!(
        run.stdout.contains(&native("into site/dist.tar.gz — ")),
        "{}",
        run.stdout
    );
    assert!(parent.join("built/index.html").is_file());
    let (_, entries) = read_tar_gz(&fs::read(site.path("dist.tar.gz")).unwrap());
    assert_entries_are_dist(&parent.join("built"), &entries, ZIP_EPOCH, 0, 0);
}

// ---- what may be replaced ----

/// Asserts `run` refused to write over `file` in one line, naming it and `--force`, and that
/// `file` still holds `before`.
fn assert_refused(run: &Run, file: &str, before: &[u8], site: &Site) {
    let stderr = run.assert_user_error();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(file), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(fs::read(site.path(file)).unwrap(), before);
    assert_eq!(temp_files(site.root()), Vec::<String>::new());
}

/// A zip archive someone made: a real zip, but without our comment.
fn foreign_zip() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("notes.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(b"my notes").unwrap();
    zip.finish().unwrap().into_inner()
}

#[test]
fn a_foreign_file_is_replaced_only_with_force() {
    let gzip = {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(b"my data").unwrap();
        encoder.finish().unwrap()
    };
    for (name, contents) in [
        ("dist.zip", b"my own text, not an archive\n".to_vec()),
        ("dist.zip", foreign_zip()),
        ("dist.tar.gz", gzip),
    ] {
        let site = site();
        site.write(name, &contents);
        let run = bundle(&site, &["-o", name]);
        assert_refused(&run, name, &contents, &site);

        let bytes = bundle_ok(&site, &["-o", name, "--force"], name);
        assert_ne!(bytes, contents);
        assert_eq!(temp_files(site.root()), Vec::<String>::new());
        // Now it is ours: replaced without --force.
        bundle_ok(&site, &["-o", name], name);
    }
}

#[test]
fn a_previous_bundle_is_replaced_without_force() {
    let site = site();
    for (args, file) in [
        (vec![], "dist.zip"),
        (vec!["--format", "tar.gz"], "dist.tar.gz"),
    ] {
        let before = bundle_ok(&site, &args, file);
        site.write("content/new.md", "# A new page\n");
        let after = bundle_ok(&site, &args, file);
        assert_ne!(before, after);
        site.remove("content/new.md");
        assert_eq!(temp_files(site.root()), Vec::<String>::new());
    }
    // A zip bundle at a .tar.gz name is still ours, and the other way round.
    fs::copy(site.path("dist.zip"), site.path("swapped.tar.gz")).unwrap();
    bundle_ok(&site, &["-o", "swapped.tar.gz"], "swapped.tar.gz");
}

#[test]
fn a_directory_is_never_replaced() {
    let site = site();
    site.write("dist.zip/mine.txt", "mine");
    for args in [&["bundle"][..], &["bundle", "--force"]] {
        let run = run_with_epoch(site.root(), args, None);
        let stderr = run.assert_user_error();
        assert!(stderr.contains("dist.zip"), "{stderr}");
        assert!(stderr.contains("directory"), "{stderr}");
    }
    assert_eq!(site.read("dist.zip/mine.txt"), "mine");
}

#[test]
fn an_output_file_inside_the_output_directory_is_refused() {
    let site = site();
    site.build();
    let before = snapshot(&site.dist());
    let run = bundle(&site, &["-o", "dist/site.zip"]);
    let stderr = run.assert_user_error();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("dist/site.zip"), "{stderr}");
    assert!(stderr.contains("replaced on every build"), "{stderr}");
    assert_same_tree(&before, &snapshot(&site.dist()));

    let run = bundle(&site, &["--out", "built", "-o", "built/x/site.zip"]);
    run.assert_user_error();
    assert!(!site.path("built").exists());
}

#[test]
fn an_output_file_inside_the_assets_is_refused() {
    let site = site();
    let stderr = bundle(&site, &["-o", "assets/site.zip"])
        .assert_user_error()
        .to_string();
    assert!(stderr.contains("assets"), "{stderr}");
    assert!(!site.path("assets/site.zip").exists());
}

#[test]
fn a_format_contradicting_the_name_is_refused() {
    let site = site();
    for (name, format) in [("site.zip", "tar.gz"), ("site.tgz", "zip")] {
        let run = bundle(&site, &["-o", name, "--format", format]);
        let stderr = run.assert_user_error();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(name), "{stderr}");
        assert!(stderr.contains("--format"), "{stderr}");
        assert!(!site.path(name).exists());
    }
    assert!(!site.dist().exists(), "refused before building");
    // An unknown format is a command-line mistake: exit 2.
    assert_eq!(bundle(&site, &["--format", "rar"]).code, Some(2));
}

#[test]
fn a_build_error_creates_no_archive() {
    let site = site();
    site.replace("site.toml", "name = \"李华\"", "name = \"李华");
    for (args, file) in [
        (vec![], "dist.zip"),
        (vec!["--format", "tar.gz"], "dist.tar.gz"),
    ] {
        let stderr = bundle(&site, &args).assert_user_error().to_string();
        assert!(stderr.contains("site.toml"), "{stderr}");
        assert!(!site.path(file).exists());
    }
    assert_eq!(temp_files(site.root()), Vec::<String>::new());

    // A previous bundle survives a failed one untouched.
    let site = self::site();
    let before = bundle_ok(&site, &[], "dist.zip");
    site.replace("site.toml", "name = \"李华\"", "name = \"李华");
    bundle(&site, &[]).assert_user_error();
    assert_eq!(fs::read(site.path("dist.zip")).unwrap(), before);
    assert_eq!(temp_files(site.root()), Vec::<String>::new());
}

#[test]
fn a_temporary_file_left_by_a_killed_bundle_is_removed() {
    let site = site();
    site.write(".dist.zip.tmp-999999", "half an archive");
    site.write(
        ".dist.zip.tmp-notes",
        "not ours: the part after tmp- is not a process id",
    );
    bundle_ok(&site, &[], "dist.zip");
    assert_eq!(
        temp_files(site.root()),
        vec![".dist.zip.tmp-notes".to_string()]
    );
}

#[test]
fn the_archive_is_written_where_asked_even_in_a_new_directory() {
    let site = site();
    let run = bundle(&site, &["-o", "releases/2024/site.zip"]);
    run.assert_ok();
    let path: PathBuf = site.path("releases/2024/site.zip");
    let (_, entries) = read_zip(&fs::read(path).unwrap());
    assert_entries_are_dist(&site.dist(), &entries, ZIP_EPOCH, 0o100000, 0o040000);
    assert_eq!(
        temp_files(&site.path("releases/2024")),
        Vec::<String>::new()
    );
}
