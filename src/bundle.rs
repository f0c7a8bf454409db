//! `profile bundle`: the built site packed into one reproducible archive (zip or tar.gz), for
//! hosts that take an upload (Netlify Drop) or for unpacking onto any web server.
//!
//! The same input gives a byte-identical archive: entries are walked in sorted order and every
//! entry gets the same timestamp (`SOURCE_DATE_EPOCH` or 1980-01-01), permissions and owner, so
//! nothing about the machine or the moment of the build leaks in. The archive carries a marker
//! ([`MARKER_COMMENT`]) so that a later bundle knows it may replace it; any other file is only
//! replaced with `--force`.

use std::fmt;
use std::fs;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::output::MARKER;

/// The comment every bundle carries (the zip archive comment, or the gzip header comment), by
/// which a later bundle recognises a file it may replace without `--force`.
pub const MARKER_COMMENT: &str = "made by profile bundle";

/// 1980-01-01T00:00:00Z, the earliest time a zip entry can record.
pub const ZIP_EPOCH: u64 = 315_532_800;

/// 2107-12-31T23:59:58Z, the latest time a zip entry can record.
const ZIP_LAST: u64 = 4_354_819_198;

/// The hint for every refusal to replace an existing file.
const OVERWRITE_HINT: &str = "pass --force to replace it, or choose another name with -o";

/// The kind of archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A zip archive, Deflate-compressed: what Netlify Drop and most upload forms take.
    Zip,
    /// A gzip-compressed tar archive, for unpacking on a server with `tar xzf`.
    TarGz,
}

impl Format {
    /// The file name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Zip => "zip",
            Format::TarGz => "tar.gz",
        }
    }

    /// The format a file name implies by its extension (`.zip`, `.tar.gz`, `.tgz`, any case).
    pub fn from_file_name(file: &Path) -> Option<Format> {
        let name = file.file_name()?.to_string_lossy().to_lowercase();
        if name.ends_with(".zip") {
            Some(Format::Zip)
        } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            Some(Format::TarGz)
        } else {
            None
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// The format to write: the one asked for, else the one `file`'s extension names, else zip.
/// An explicit format that contradicts the extension is an error, because the file would lie
/// about its contents to whoever opens it.
pub fn infer_format(file: Option<&Path>, explicit: Option<Format>) -> Result<Format> {
    let implied = file.and_then(Format::from_file_name);
    match (explicit, implied, file) {
        (Some(asked), Some(named), Some(file)) if asked != named => Err(Error::in_file(
            file,
            format!("the name says {named}, but --format {asked} was given"),
        )
        .hint(format!(
            "drop --format, or name the file *.{}",
            asked.extension()
        ))),
        (Some(asked), _, _) => Ok(asked),
        (None, Some(named), _) => Ok(named),
        (None, None, _) => Ok(Format::Zip),
    }
}

/// What a bundle produced, for the summary line.
#[derive(Debug, Clone)]
pub struct BundleReport {
    /// HTML pages in the archive.
    pub pages: usize,
    /// Files in the archive, pages included (directory entries not counted).
    pub files: usize,
    /// Size of the archive in bytes.
    pub bytes: u64,
    /// SHA-256 of the archive.
    pub sha256: [u8; 32],
    /// Where it was written.
    pub file: PathBuf,
    /// What kind of archive it is.
    pub format: Format,
}

impl fmt::Display for BundleReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Bundled {} {}, {} {} ({}) into {} — SHA-256 {}",
            self.pages,
            if self.pages == 1 { "page" } else { "pages" },
            self.files,
            if self.files == 1 { "file" } else { "files" },
            crate::human_size(self.bytes),
            self.file.display(),
            hex::encode(self.sha256)
        )
    }
}

/// Builds the site at `root` into `out` (as `build` does), then packs `out` into `file`,
/// replaced atomically. `file` must not exist, be a previous bundle, or `force` must be set.
pub fn bundle(
    root: &Path,
    out: &Path,
    file: &Path,
    format: Format,
    force: bool,
) -> Result<BundleReport> {
    // Checked before building, so that a refusal costs nothing and leaves dist/ as it was.
    check_target(root, out, file, force)?;
    crate::build(root, out)?;
    let entries = list_entries(out)?;
    let mtime = mtime_from(std::env::var("SOURCE_DATE_EPOCH").ok().as_deref());

    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::in_file(file, "is not a file name").hint("pass -o FILE"))?;
    let parent = crate::text::parent_dir(file);
    fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, &e))?;
    remove_leftovers(&parent, &name);

    let temp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = write_archive(&temp, file, &entries, format, mtime).and_then(|()| {
        let (sha256, stamp) = crate::hashing::hash_file(&temp).map_err(|e| Error::io(file, &e))?;
        // Checked again at the moment of replacing: the file may have appeared since.
        check_target(root, out, file, force)?;
        fs::rename(&temp, file).map_err(|e| Error::io(file, &e))?;
        Ok((sha256, stamp.len))
    });
    let (sha256, bytes) = result.inspect_err(|_| {
        let _ = fs::remove_file(&temp);
    })?;

    let files = entries.iter().filter(|e| !e.is_dir).count();
    let pages = entries
        .iter()
        .filter(|e| !e.is_dir && e.name.ends_with(".html"))
        .count();
    Ok(BundleReport {
        pages,
        files,
        bytes,
        sha256,
        file: file.to_path_buf(),
        format,
    })
}

/// The modification time every entry gets, in Unix seconds: `SOURCE_DATE_EPOCH` (the
/// reproducible-builds.org convention) if it is a whole number of seconds, else 1980-01-01.
/// It is clamped to what zip can record and rounded down to an even second (zip's resolution),
/// so that a zip and a tar.gz of the same site state the same time.
pub fn mtime_from(source_date_epoch: Option<&str>) -> u64 {
    let parsed = source_date_epoch
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse::<u64>().ok());
    let seconds = parsed.unwrap_or(ZIP_EPOCH).clamp(ZIP_EPOCH, ZIP_LAST);
    seconds - seconds % 2
}

/// Year, month, day, hour, minute and second (UTC) of Unix time `seconds`, read off humantime's
/// RFC 3339 form (`1980-01-01T00:00:00Z`, fixed width) rather than computed by hand.
fn civil_time(seconds: u64) -> (u16, u8, u8, u8, u8, u8) {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds);
    let text = humantime::format_rfc3339_seconds(time).to_string();
    let field = |range: std::ops::Range<usize>| text.get(range).and_then(|f| f.parse().ok());
    // mtime_from keeps `seconds` within zip's years 1980-2107, so every field is there.
    (
        field(0..4).unwrap_or(1980),
        field(5..7).map_or(1, |m: u16| m as u8),
        field(8..10).map_or(1, |d: u16| d as u8),
        field(11..13).map_or(0, |h: u16| h as u8),
        field(14..16).map_or(0, |m: u16| m as u8),
        field(17..19).map_or(0, |s: u16| s as u8),
    )
}

/// Whether the last bytes of a file are the end of a zip archive whose comment is ours. `tail`
/// must end where the file ends and hold at least the end record and the comment.
pub fn is_bundle_zip_tail(tail: &[u8]) -> bool {
    // The end-of-central-directory record: signature, 16 bytes of counts and offsets, the
    // comment length, then the comment, which ends the file.
    const RECORD: usize = 22;
    let comment = MARKER_COMMENT.as_bytes();
    let Some(start) = tail.len().checked_sub(RECORD + comment.len()) else {
        return false;
    };
    let record = &tail[start..];
    record.starts_with(b"PK\x05\x06")
        && u16::from_le_bytes([record[20], record[21]]) as usize == comment.len()
        && &record[RECORD..] == comment
}

/// Whether the first bytes of a file are a gzip header whose comment is ours (RFC 1952 §2.3).
pub fn is_bundle_gzip_head(head: &[u8]) -> bool {
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    if head.len() < 10 || head[..3] != [0x1f, 0x8b, 8] {
        return false;
    }
    let flags = head[3];
    if flags & FCOMMENT == 0 {
        return false;
    }
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let Some(len) = head.get(at..at + 2) else {
            return false;
        };
        at += 2 + u16::from_le_bytes([len[0], len[1]]) as usize;
    }
    if flags & FNAME != 0 {
        let Some(end) = head.get(at..).and_then(|b| b.iter().position(|&b| b == 0)) else {
            return false;
        };
        at += end + 1;
    }
    let Some(rest) = head.get(at..) else {
        return false;
    };
    rest.iter()
        .position(|&b| b == 0)
        .is_some_and(|end| &rest[..end] == MARKER_COMMENT.as_bytes())
}

/// Whether `path` is a file a previous bundle wrote, judged by its first and last bytes only.
fn is_previous_bundle(path: &Path) -> io::Result<bool> {
    let mut file = fs::File::open(path)?;
    let mut head = Vec::new();
    (&mut file).take(4096).read_to_end(&mut head)?;
    if is_bundle_gzip_head(&head) {
        return Ok(true);
    }
    let want = (22 + MARKER_COMMENT.len()) as u64;
    let len = file.metadata()?.len();
    if len < want {
        return Ok(false);
    }
    file.seek(SeekFrom::Start(len - want))?;
    let mut tail = Vec::new();
    file.take(want).read_to_end(&mut tail)?;
    Ok(is_bundle_zip_tail(&tail))
}

/// Checks that the archive may be written at `file`: not inside the output directory (replaced
/// on every build) or the site's assets (published by the next build), and not over a
/// directory, nor over a file that is not a previous bundle unless `force`.
fn check_target(root: &Path, out: &Path, file: &Path, force: bool) -> Result<()> {
    let file_abs = crate::text::absolute(file);
    if file_abs.starts_with(crate::text::absolute(out)) {
        return Err(Error::in_file(
            file,
            format!(
                "refusing to write the bundle inside the output directory {}: it is replaced on every build",
                out.display()
            ),
        )
        .hint("choose a name outside it with -o, e.g. -o site.zip"));
    }
    if file_abs.starts_with(crate::text::absolute(&root.join(crate::site::ASSETS_DIR))) {
        return Err(Error::in_file(
            file,
            "refusing to write the bundle inside the site's assets: the next build would publish it",
        )
        .hint("choose a name outside assets/ with -o, e.g. -o site.zip"));
    }
    let meta = match fs::metadata(file) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(file, &e)),
    };
    if meta.is_dir() {
        // Not even with --force: replacing a directory would delete whatever is in it.
        return Err(
            Error::in_file(file, "refusing to replace this: it is a directory")
                .hint("choose a file name with -o, e.g. -o site.zip"),
        );
    }
    if force || is_previous_bundle(file).map_err(|e| Error::io(file, &e))? {
        return Ok(());
    }
    Err(Error::in_file(
        file,
        "refusing to replace this file: it is not an archive made by profile bundle",
    )
    .hint(OVERWRITE_HINT))
}

/// Removes temporary archives left beside `name` by a bundle that was killed.
fn remove_leftovers(parent: &Path, name: &str) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let prefix = format!(".{name}.tmp-");
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let is_temp = file_name
            .strip_prefix(&prefix)
            .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()));
        if is_temp && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// One entry of the archive.
#[derive(Debug)]
struct Item {
    /// `/`-separated path inside the archive.
    name: String,
    /// Where its bytes are.
    path: PathBuf,
    is_dir: bool,
}

/// Every directory and file under `out` except the marker, in sorted order (each directory
/// before its contents, siblings by name), so the archive does not depend on the order the file
/// system lists them in.
fn list_entries(out: &Path) -> Result<Vec<Item>> {
    let mut items = Vec::new();
    let walker = walkdir::WalkDir::new(out)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !(e.depth() == 1 && e.file_name() == MARKER));
    for entry in walker {
        let entry = entry.map_err(|e| crate::walk::walk_error(out, &e))?;
        let file_type = entry.file_type();
        if !file_type.is_dir() && !file_type.is_file() {
            continue;
        }
        let relative = entry.path().strip_prefix(out).unwrap_or(entry.path());
        let parts: Option<Vec<&str>> = relative.iter().map(|p| p.to_str()).collect();
        let Some(parts) = parts else {
            return Err(
                Error::in_file(entry.path(), "file name is not valid Unicode")
                    .hint("rename the file"),
            );
        };
        items.push(Item {
            name: parts.join("/"),
            path: entry.path().to_path_buf(),
            is_dir: file_type.is_dir(),
        });
    }
    Ok(items)
}

/// Writes the archive to `temp` (errors name `file`, the name the user chose).
fn write_archive(
    temp: &Path,
    file: &Path,
    items: &[Item],
    format: Format,
    mtime: u64,
) -> Result<()> {
    let handle = fs::File::create(temp).map_err(|e| Error::io(file, &e))?;
    let handle = match format {
        Format::Zip => write_zip(BufWriter::new(handle), file, items, mtime)?,
        Format::TarGz => write_tar_gz(BufWriter::new(handle), file, items, mtime)?,
    };
    let handle = handle
        .into_inner()
        .map_err(|e| Error::io(file, e.error()))?;
    // On disk before the rename, so that a crash cannot leave a short file under the final name.
    handle.sync_all().map_err(|e| Error::io(file, &e))
}

fn write_zip(
    sink: BufWriter<fs::File>,
    file: &Path,
    items: &[Item],
    mtime: u64,
) -> Result<BufWriter<fs::File>> {
    use zip::write::SimpleFileOptions;
    let zip_error = |e: zip::result::ZipError| match e {
        zip::result::ZipError::Io(io) => Error::io(file, &io),
        other => Error::in_file(file, format!("could not write the zip archive: {other}")),
    };
    let (year, month, day, hour, minute, second) = civil_time(mtime);
    let time = zip::DateTime::from_date_and_time(year, month, day, hour, minute, second).map_err(
        |_| {
            Error::in_file(
                file,
                format!("cannot store the time {mtime} in a zip archive"),
            )
        },
    )?;
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9))
        .last_modified_time(time)
        // Fixed, not the host's: the "made by" field would otherwise differ between systems.
        .system(zip::System::Unix);
    let mut zip = zip::ZipWriter::new(sink);
    zip.set_comment(MARKER_COMMENT).map_err(zip_error)?;
    for item in items {
        if item.is_dir {
            zip.add_directory(item.name.as_str(), options.unix_permissions(0o755))
                .map_err(zip_error)?;
            continue;
        }
        let mut source = fs::File::open(&item.path).map_err(|e| Error::io(&item.path, &e))?;
        let len = source
            .metadata()
            .map_err(|e| Error::io(&item.path, &e))?
            .len();
        let options = options
            .unix_permissions(0o644)
            .large_file(len >= u64::from(u32::MAX));
        zip.start_file(item.name.as_str(), options)
            .map_err(zip_error)?;
        copy(&mut source, &item.path, &mut zip, file)?;
    }
    zip.finish().map_err(zip_error)
}

fn write_tar_gz(
    sink: BufWriter<fs::File>,
    file: &Path,
    items: &[Item],
    mtime: u64,
) -> Result<BufWriter<fs::File>> {
    // No file name and time 0 in the gzip header, so neither the output name nor the clock
    // changes the bytes.
    let gzip = flate2::GzBuilder::new()
        .mtime(0)
        .comment(MARKER_COMMENT)
        .write(sink, flate2::Compression::best());
    let mut tar = tar::Builder::new(gzip);
    for item in items {
        let mut header = tar::Header::new_gnu();
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(mtime);
        if item.is_dir {
            header.set_entry_type(tar::EntryType::Directory);
            header.set_mode(0o755);
            header.set_size(0);
            tar.append_data(&mut header, &item.name, io::empty())
                .map_err(|e| Error::io(file, &e))?;
            continue;
        }
        let source = fs::File::open(&item.path).map_err(|e| Error::io(&item.path, &e))?;
        let len = source
            .metadata()
            .map_err(|e| Error::io(&item.path, &e))?
            .len();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o644);
        header.set_size(len);
        // Names longer than 100 bytes go into a GNU long-name entry, which append_data writes.
        let mut source = Tracked::new(source.take(len));
        tar.append_data(&mut header, &item.name, &mut source)
            .map_err(|e| {
                if source.failed {
                    Error::io(&item.path, &e)
                } else {
                    Error::io(file, &e)
                }
            })?;
    }
    let gzip = tar.into_inner().map_err(|e| Error::io(file, &e))?;
    gzip.finish().map_err(|e| Error::io(file, &e))
}

/// Copies `source` into `sink`, blaming a failure on the right file.
fn copy(
    source: &mut impl Read,
    source_path: &Path,
    sink: &mut impl Write,
    sink_path: &Path,
) -> Result<()> {
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let n = match source.read(&mut buffer) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(source_path, &e)),
        };
        sink.write_all(&buffer[..n])
            .map_err(|e| Error::io(sink_path, &e))?;
    }
}

/// A reader that remembers whether it failed, so that an error from tar's copy loop can be
/// blamed on the source file or on the archive.
struct Tracked<R> {
    inner: R,
    failed: bool,
}

impl<R> Tracked<R> {
    fn new(inner: R) -> Self {
        Tracked {
            inner,
            failed: false,
        }
    }
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|_| self.failed = true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_follows_the_extension_unless_asked() {
        let infer = |file: Option<&str>, asked| infer_format(file.map(Path::new), asked);
        assert_eq!(infer(None, None).unwrap(), Format::Zip);
        assert_eq!(infer(None, Some(Format::TarGz)).unwrap(), Format::TarGz);
        assert_eq!(infer(Some("out/site.zip"), None).unwrap(), Format::Zip);
        assert_eq!(infer(Some("site.ZIP"), None).unwrap(), Format::Zip);
        assert_eq!(infer(Some("site.tar.gz"), None).unwrap(), Format::TarGz);
        assert_eq!(infer(Some("site.tgz"), None).unwrap(), Format::TarGz);
        assert_eq!(infer(Some("site.bin"), None).unwrap(), Format::Zip);
        assert_eq!(
            infer(Some("site.bin"), Some(Format::TarGz)).unwrap(),
            Format::TarGz
        );
        assert_eq!(
            infer(Some("site.tgz"), Some(Format::TarGz)).unwrap(),
            Format::TarGz
        );
    }

    #[test]
    fn a_format_contradicting_the_extension_is_an_error() {
        let err = infer_format(Some(Path::new("site.zip")), Some(Format::TarGz)).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("site.zip: "), "{text}");
        assert!(text.contains("--format tar.gz"), "{text}");
        assert!(text.contains("*.tar.gz"), "{text}");
        assert!(infer_format(Some(Path::new("site.tar.gz")), Some(Format::Zip)).is_err());
    }

    #[test]
    fn source_date_epoch_is_used_when_valid() {
        assert_eq!(mtime_from(None), ZIP_EPOCH);
        assert_eq!(mtime_from(Some("1709214330")), 1_709_214_330);
        // Odd seconds round down: zip stores two-second steps.
        assert_eq!(mtime_from(Some("1709214331")), 1_709_214_330);
        for bad in [
            "",
            " 1709214330",
            "1709214330.5",
            "-5",
            "abc",
            "99999999999999999999999",
        ] {
            assert_eq!(mtime_from(Some(bad)), ZIP_EPOCH, "{bad:?}");
        }
        // Outside what zip can store: clamped.
        assert_eq!(mtime_from(Some("0")), ZIP_EPOCH);
        assert_eq!(mtime_from(Some("9999999999")), ZIP_LAST);
    }

    #[test]
    fn civil_time_of_known_instants() {
        assert_eq!(civil_time(ZIP_EPOCH), (1980, 1, 1, 0, 0, 0));
        assert_eq!(civil_time(1_709_214_330), (2024, 2, 29, 13, 45, 30));
        assert_eq!(civil_time(ZIP_LAST), (2107, 12, 31, 23, 59, 58));
        assert_eq!(civil_time(951_782_400), (2000, 2, 29, 0, 0, 0));
    }

    fn zip_with_comment(comment: &str) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        zip.set_comment(comment).unwrap();
        zip.start_file("a.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b"hello").unwrap();
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn our_zip_is_recognised_by_its_tail() {
        let ours = zip_with_comment(MARKER_COMMENT);
        assert!(is_bundle_zip_tail(&ours));
        assert!(is_bundle_zip_tail(
            &ours[ours.len() - 22 - MARKER_COMMENT.len()..]
        ));
        assert!(!is_bundle_zip_tail(&zip_with_comment("")));
        assert!(!is_bundle_zip_tail(&zip_with_comment(
            "made by someone else"
        )));
        assert!(!is_bundle_zip_tail(&zip_with_comment(
            "made by profile bundle, then edited"
        )));
        // The comment text alone, without a zip end record before it, is not enough.
        assert!(!is_bundle_zip_tail(MARKER_COMMENT.as_bytes()));
        let text = format!("{}{MARKER_COMMENT}", " ".repeat(40));
        assert!(!is_bundle_zip_tail(text.as_bytes()));
        assert!(!is_bundle_zip_tail(b""));
    }

    fn gzip(builder: flate2::GzBuilder) -> Vec<u8> {
        let mut encoder = builder.write(Vec::new(), flate2::Compression::best());
        encoder.write_all(b"hello").unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn our_gzip_is_recognised_by_its_header() {
        let ours = gzip(flate2::GzBuilder::new().comment(MARKER_COMMENT));
        assert!(is_bundle_gzip_head(&ours));
        let with_name_and_extra = gzip(
            flate2::GzBuilder::new()
                .extra(vec![1, 2, 3])
                .filename("site.tar")
                .comment(MARKER_COMMENT),
        );
        assert!(is_bundle_gzip_head(&with_name_and_extra));
        assert!(!is_bundle_gzip_head(&gzip(flate2::GzBuilder::new())));
        assert!(!is_bundle_gzip_head(&gzip(
            flate2::GzBuilder::new().comment("something else")
        )));
        assert!(!is_bundle_gzip_head(&gzip(
            flate2::GzBuilder::new().filename(MARKER_COMMENT)
        )));
        // Cut off inside the comment: not known to be ours.
        assert!(!is_bundle_gzip_head(&ours[..20]));
        assert!(!is_bundle_gzip_head(b"\x1f\x8b"));
        assert!(!is_bundle_gzip_head(b"made by profile bundle\0"));
        assert!(!is_bundle_gzip_head(&zip_with_comment(MARKER_COMMENT)));
    }
}
