//! Load: read and check everything a build needs into a [`Site`]. Every user mistake is found
//! here (or in the template rendering that follows), before anything is written.

use std::path::{Path, PathBuf};

use crate::config::{self, FileRef, SiteConfig};
use crate::content::{self, Page};
use crate::error::{Error, Result};
use crate::media::{self, Format, MediaKind};
use crate::text;
use crate::theme::Theme;

/// The directory holding Markdown pages.
pub const CONTENT_DIR: &str = "content";
/// The directory whose files are published under `assets/`.
pub const ASSETS_DIR: &str = "assets";

/// Everything a build needs, read and validated.
#[derive(Debug)]
pub struct Site {
    /// The site root (the directory holding `site.toml`).
    pub root: PathBuf,
    /// `site.toml`.
    pub config: SiteConfig,
    /// `content/index.md`, the self-introduction on the profile page.
    pub index: Option<Page>,
    /// Every other page that is not a draft, in navigation order.
    pub pages: Vec<Page>,
    /// The compiled theme.
    pub theme: Theme,
    /// The logo, recognised as an image.
    pub logo: Media,
    /// The self-introduction, recognised as audio.
    pub audio: Media,
    /// Other files under `assets/`, published as they are.
    pub assets: Vec<AssetFile>,
    /// `.profile-cache/`: what was made from the media, and facts about them.
    pub cache: crate::cache::Cache,
    /// The further languages' pages and recordings, in the order of `config.translations`.
    pub translations: Vec<TranslatedPages>,
}

/// One further language's content.
#[derive(Debug)]
pub struct TranslatedPages {
    /// `content/index.<tag>.md`: the self-introduction on that language's profile page.
    pub index: Option<Page>,
    /// Its other pages (`<path>.<tag>.md`), in navigation order.
    pub pages: Vec<Page>,
    /// Its recording: its own when `audio` is overridden, else the default language's.
    pub audio: Media,
}

/// Media up to this size are kept in memory; larger ones are streamed from disk when served.
pub const IN_MEMORY_LIMIT: u64 = 1024 * 1024;

/// A logo or audio file, read and recognised.
#[derive(Debug, Clone)]
pub struct Media {
    /// Where it is on disk.
    pub path: PathBuf,
    /// Its bytes once read: a small file's always ([`IN_MEMORY_LIMIT`]); a photo's or
    /// recording's when a build needs them ([`Media::bytes`]), which a warm build does not.
    loaded: std::sync::OnceLock<std::sync::Arc<[u8]>>,
    /// SHA-256 of its content.
    pub hash: [u8; 32],
    /// Its size and modification time when hashed.
    pub stamp: crate::hashing::FileStamp,
    /// What its bytes say it is.
    pub format: &'static Format,
    /// The file name as written, without directories (`logo.png`).
    pub file_name: String,
    /// For a raster image: its size, alpha and animation, read from its header.
    pub picture: Option<crate::picture::Info>,
    /// For a recording: how long it plays.
    pub duration: Option<std::time::Duration>,
}

impl Media {
    /// Its bytes, read now if they were not yet.
    pub fn bytes(&self) -> std::io::Result<std::sync::Arc<[u8]>> {
        if let Some(bytes) = self.loaded.get() {
            return Ok(std::sync::Arc::clone(bytes));
        }
        let bytes: std::sync::Arc<[u8]> = std::fs::read(&self.path)?.into();
        Ok(std::sync::Arc::clone(self.loaded.get_or_init(|| bytes)))
    }

    /// Its bytes if they are in memory already.
    pub fn loaded(&self) -> Option<&std::sync::Arc<[u8]>> {
        self.loaded.get()
    }

    /// The file name without its extension: `phone.jpg` → `phone`, for the names of what is
    /// published from it.
    pub fn stem(&self) -> &str {
        match self.file_name.rsplit_once('.') {
            Some((stem, _)) if !stem.is_empty() => stem,
            _ => &self.file_name,
        }
    }
}

/// The largest logo or recording read: well over any phone photo or an hour of WAV.
pub const MAX_MEDIA_BYTES: u64 = 200 * 1024 * 1024;

/// A file under `assets/` other than the logo and audio.
#[derive(Debug, Clone)]
pub struct AssetFile {
    /// Path relative to `assets/`, `/`-separated.
    pub relative: String,
    /// Where it is on disk.
    pub path: PathBuf,
    /// SHA-256 of its content, read when the site was loaded (rendering reads no file).
    pub hash: [u8; 32],
    /// Its size and modification time when hashed.
    pub stamp: crate::hashing::FileStamp,
}

impl Site {
    /// Reads `<root>/site.toml`, `content/`, `theme/` and the media, checking each.
    pub fn load(root: &Path) -> Result<Site> {
        Site::load_with(root, crate::cache::Cache::new(root))
    }

    /// [`Site::load`] for a run that writes nothing, not even to `.profile-cache/`.
    pub fn load_without_writing(root: &Path) -> Result<Site> {
        Site::load_with(root, crate::cache::Cache::read_only(root))
    }

    fn load_with(root: &Path, cache: crate::cache::Cache) -> Result<Site> {
        let config = config::load(root)?;
        let config_file = text::display_path(root, Path::new(config::CONFIG_FILE));
        let load = |file: &FileRef, key: &str, kind: MediaKind| {
            load_media(file, key, kind, &config_file, &cache)
        };
        let logo = load(&config.profile.logo, "logo", MediaKind::Image)?;
        let audio = load(&config.profile.audio, "audio", MediaKind::Audio)?;
        let mut recordings = Vec::with_capacity(config.translations.len());
        for translation in &config.translations {
            let own = &translation.profile.audio;
            recordings.push(if own.path == audio.path {
                audio.clone()
            } else {
                load(own, "audio", MediaKind::Audio)?
            });
        }
        let theme = Theme::load(root)?;
        let mut editions = load_pages(root, &theme.element_ids(), &config)?.into_iter();
        let (index, pages) = editions.next().unwrap_or_default();
        let translations: Vec<TranslatedPages> = editions
            .zip(recordings)
            .map(|((index, pages), audio)| TranslatedPages {
                index,
                pages,
                audio,
            })
            .collect();
        let mut media = vec![logo.path.as_path(), audio.path.as_path()];
        media.extend(translations.iter().map(|t| t.audio.path.as_path()));
        let assets = list_assets(root, &media)?;
        Ok(Site {
            root: root.to_path_buf(),
            config,
            index,
            pages,
            theme,
            logo,
            audio,
            assets,
            cache,
            translations,
        })
    }
}

impl Site {
    /// A path of the site's as messages show it ([`text::display_path`]), with `/` on every
    /// system.
    pub fn shown(&self, path: &Path) -> String {
        let relative = path.strip_prefix(&self.root).unwrap_or(path);
        text::portable_path(&text::display_path(&self.root, relative).to_string_lossy())
    }
}

/// What re-reading some content files changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContentChange {
    /// Only these pages' bodies (or front matter that shows on that page alone): re-render them.
    Pages(Vec<String>),
    /// A page appeared, disappeared, or changed its title, weight, draft flag or place: the
    /// navigation on every page changes, so re-render all.
    Navigation,
}

impl Site {
    /// Reads the content files `sources` (relative to `content/`) again, after they changed on
    /// disk. On error the site is left as it was.
    pub fn update_pages(&mut self, sources: &[String]) -> Result<ContentChange> {
        let reserved = self.theme.element_ids();
        let mut updates = Vec::with_capacity(sources.len());
        for source in sources {
            let path = self.root.join(CONTENT_DIR).join(source);
            let shown = text::display_path(&self.root, &Path::new(CONTENT_DIR).join(source));
            let (edition, base) = edition_of(&self.config, source, &shown)?;
            let page = match std::fs::read(&path) {
                Ok(bytes) => {
                    let page = content::parse_page(source, &shown, &bytes, &reserved)?;
                    Some(place(&self.config, page, edition, &base))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(Error::io(&shown, &e)),
            };
            updates.push((source, edition, base, page));
        }
        let nav_key = |p: &Page| (p.title.clone(), p.weight, p.draft, p.output_path.clone());
        let mut navigation = false;
        for (source, edition, base, page) in updates {
            let (index, pages) = self.edition_mut(edition);
            if base == "index.md" {
                // A removed translation's name may differ from the one its page was made from
                // (`index.EN.md`): render everything rather than guess which page it was.
                navigation |= page.is_none();
                *index = page;
                continue;
            }
            let old = pages.iter().position(|p| &p.source == source);
            match (old, page) {
                (Some(i), Some(page)) if pages.get(i).map(nav_key) == Some(nav_key(&page)) => {
                    pages[i] = page;
                }
                (Some(i), page) => {
                    pages.remove(i);
                    pages.extend(page.filter(|p| !p.draft));
                    navigation = true;
                }
                (None, Some(page)) if !page.draft => {
                    pages.push(page);
                    navigation = true;
                }
                // A draft or a file that is gone: nothing is built from it.
                (None, _) => {}
            }
        }
        if navigation {
            sort_pages(&mut self.pages);
            for translation in &mut self.translations {
                sort_pages(&mut translation.pages);
            }
            Ok(ContentChange::Navigation)
        } else {
            Ok(ContentChange::Pages(sources.to_vec()))
        }
    }

    /// The index and pages of language `edition` (0: the default, then `translations`).
    fn edition_mut(&mut self, edition: usize) -> (&mut Option<Page>, &mut Vec<Page>) {
        match edition
            .checked_sub(1)
            .and_then(|i| self.translations.get_mut(i))
        {
            Some(t) => (&mut t.index, &mut t.pages),
            None => (&mut self.index, &mut self.pages),
        }
    }
}

/// Which language a content file is in — 0 for the default, `i + 1` for `translations[i]` —
/// and the file it translates (`notes/lab1.en.md` → `notes/lab1.md`). A file in a language
/// `site.toml` does not declare is an error.
fn edition_of(config: &SiteConfig, source: &str, shown: &Path) -> Result<(usize, String)> {
    let Some((base, tag)) = content::translation_of(source) else {
        return Ok((0, source.to_string()));
    };
    if config.lang.is(tag) {
        return Ok((0, base));
    }
    match config.translations.iter().position(|t| t.lang.is(tag)) {
        Some(i) => Ok((i + 1, base)),
        None => {
            let declared: Vec<&str> = config.languages().map(|l| l.tag.as_str()).collect();
            Err(Error::in_file(
                shown,
                format!(
                    "is a translation into `{tag}`, a language site.toml does not declare (it declares {})",
                    declared.join(", ")
                ),
            )
            .hint(format!(
                "add [languages.{tag}] to site.toml, or rename the file if `.{tag}` is not a language"
            )))
        }
    }
}

/// Puts a page of language `edition` where it is published: a translation under its
/// language's folder, at the path of the page it translates (`base`).
fn place(config: &SiteConfig, mut page: Page, edition: usize, base: &str) -> Page {
    page.base_path = content::output_path_for(base);
    page.output_path = match edition
        .checked_sub(1)
        .and_then(|i| config.translations.get(i))
    {
        Some(translation) => format!("{}/{}", translation.lang.tag, page.base_path),
        None => page.base_path.clone(),
    };
    page
}

fn load_media(
    file: &FileRef,
    key: &str,
    want: MediaKind,
    config_file: &Path,
    cache: &crate::cache::Cache,
) -> Result<Media> {
    let (line, column) = file.position;
    let at_key = |message: String| Error::in_file(config_file, message).at(line, column);
    let not_readable = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::NotFound {
            at_key(format!(
                "{key} file `{}` not found (tried {})",
                file.written,
                file.path.display()
            ))
            .hint("check the spelling, or put the file there; paths are relative to the site root")
        } else {
            at_key(format!(
                "cannot read {key} file {}: {}",
                file.path.display(),
                crate::error::describe_io(&e)
            ))
        }
    };
    // The format is in the first bytes. A small file is read once, whole, and kept; a large one
    // is hashed in chunks, never held whole, and not hashed again while it is unchanged.
    let head = read_head(&file.path, 64 * 1024).map_err(not_readable)?;
    let stamp = crate::hashing::FileStamp::of(&file.path).map_err(not_readable)?;
    if stamp.len > MAX_MEDIA_BYTES {
        return Err(at_key(format!(
            "{key} `{}` is {}, over the limit of {}",
            file.written,
            crate::human_size(stamp.len),
            crate::human_size(MAX_MEDIA_BYTES)
        ))
        .hint("use a smaller file"));
    }
    // A raster logo is decoded to be resized, and a recording's length read: those are read
    // whole, unless the hash index knows them unchanged (a warm build), when what is needed of
    // them was kept in the cache.
    let raster = want == MediaKind::Image
        && media::detect(&head).is_ok_and(|f| f.kind == MediaKind::Image && f != &media::SVG);
    let whole = raster || want == MediaKind::Audio;
    let loaded = std::sync::OnceLock::new();
    let known = cache.hashes.known(&file.path, stamp).filter(|_| whole);
    let (hash, stamp) = if let Some(hash) = known {
        (hash, stamp)
    } else if stamp.len <= IN_MEMORY_LIMIT || whole {
        let bytes = std::fs::read(&file.path).map_err(not_readable)?;
        let stamp = crate::hashing::FileStamp {
            len: bytes.len() as u64,
            ..stamp
        };
        let hash = cache.hashes.hash(&file.path, stamp, &bytes);
        let _ = loaded.set(std::sync::Arc::from(bytes));
        (hash, stamp)
    } else {
        crate::hashing::hash_file_cached(&file.path).map_err(not_readable)?
    };
    let wanted = match want {
        MediaKind::Image => "an image",
        MediaKind::Audio => "audio",
    };
    let accepted = want.accepted();
    let format = match media::detect(&head) {
        Ok(format) if format.kind == want => format,
        Ok(format) => {
            return Err(at_key(format!(
                "{key} `{}` is not {wanted}: it is {}",
                file.written,
                with_article(format.name)
            ))
            .hint(format!("use {accepted}")))
        }
        Err(looks_like) => {
            return Err(at_key(format!(
                "{key} `{}` is not {wanted}: it looks like {looks_like}",
                file.written
            ))
            .hint(format!("use {accepted}")))
        }
    };
    let file_name = file
        .written
        .rsplit('/')
        .next()
        .unwrap_or(&file.written)
        .to_string();
    let mut loaded_media = Media {
        path: file.path.clone(),
        loaded,
        hash,
        stamp,
        format,
        file_name,
        picture: None,
        duration: None,
    };
    let read = || {
        loaded_media
            .bytes()
            .map_err(|e| crate::error::describe_io(&e))
    };
    let unusable = |why: String| {
        let hint = match want {
            MediaKind::Image => "open it in an image editor and export it again as JPEG or PNG",
            MediaKind::Audio => {
                "record or export it again; MP3, M4A, WebM, Ogg, WAV and FLAC are accepted"
            }
        };
        at_key(format!("{key} `{}` cannot be used: {why}", file.written)).hint(hint)
    };
    // What is learnt of a large source is kept in the cache, so a warm build need not read it;
    // a small one is in memory already.
    let learn = |name: &[u8], what: &dyn Fn() -> std::result::Result<String, String>| {
        if stamp.len > IN_MEMORY_LIMIT {
            cache.fact(&[name, &hash], what)
        } else {
            what()
        }
    };
    let picture = if format.kind == MediaKind::Image && format != &media::SVG {
        let fact = learn(b"picture", &|| {
            crate::picture::inspect(&read()?).map(|info| info.to_fact())
        });
        Some(
            fact.and_then(|text| crate::picture::Info::from_fact(&text))
                .map_err(unusable)?,
        )
    } else {
        None
    };
    let duration = if format.kind == MediaKind::Audio {
        let fact = learn(b"duration", &|| {
            crate::speech::duration(&read()?).map(|d| d.as_nanos().to_string())
        });
        let nanos = fact.and_then(|text| {
            text.parse::<u64>()
                .map_err(|_| "its cached length is damaged; delete .profile-cache".to_string())
        });
        Some(std::time::Duration::from_nanos(nanos.map_err(unusable)?))
    } else {
        None
    };
    loaded_media.picture = picture;
    loaded_media.duration = duration;
    Ok(loaded_media)
}

/// Up to `limit` bytes from the start of the file at `path`.
fn read_head(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut head = Vec::new();
    std::fs::File::open(path)?
        .take(limit)
        .read_to_end(&mut head)?;
    Ok(head)
}

/// "a PNG image", "an SVG image", "MP3 audio": a format's name as a sentence needs it.
pub(crate) fn with_article(name: &str) -> String {
    // "MP3 audio" is a mass noun; of the image names only "SVG" starts with a vowel sound.
    if name.ends_with(" audio") {
        name.to_string()
    } else if name.starts_with("SVG") {
        format!("an {name}")
    } else {
        format!("a {name}")
    }
}

/// Every language's index page and other pages: the default language's first, then each of
/// `config.translations`.
#[allow(clippy::type_complexity)]
fn load_pages(
    root: &Path,
    reserved_ids: &std::collections::HashSet<String>,
    config: &SiteConfig,
) -> Result<Vec<(Option<Page>, Vec<Page>)>> {
    use rayon::prelude::*;
    let content_dir = root.join(CONTENT_DIR);
    let mut editions: Vec<(Option<Page>, Vec<Page>)> = std::iter::repeat_with(Default::default)
        .take(config.translations.len() + 1)
        .collect();
    // Read and parsed on every core; collected in file order, so the error reported when
    // several files are wrong is always the first one's.
    let parsed: Vec<Result<(usize, String, Page)>> = content::list_sources(&content_dir)?
        .into_par_iter()
        .map(|(relative, path)| {
            let shown = text::display_path(root, &Path::new(CONTENT_DIR).join(&relative));
            let (edition, base) = edition_of(config, &relative, &shown)?;
            let bytes = std::fs::read(&path).map_err(|e| Error::io(&shown, &e))?;
            let page = content::parse_page(&relative, &shown, &bytes, reserved_ids)?;
            Ok((edition, base.clone(), place(config, page, edition, &base)))
        })
        .collect();
    for result in parsed {
        let (edition, base, page) = result?;
        let Some((index, pages)) = editions.get_mut(edition) else {
            continue;
        };
        if base == "index.md" {
            *index = Some(page);
        } else if !page.draft {
            pages.push(page);
        }
    }
    for (_, pages) in &mut editions {
        sort_pages(pages);
    }
    Ok(editions)
}

/// Navigation order: weight, then title, then path so that equal titles stay deterministic.
fn sort_pages(pages: &mut [Page]) {
    pages.sort_by(|a, b| {
        (a.weight, &a.title, &a.output_path).cmp(&(b.weight, &b.title, &b.output_path))
    });
}

fn list_assets(root: &Path, skip: &[&Path]) -> Result<Vec<AssetFile>> {
    let skip: Vec<PathBuf> = skip
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    let mut assets = Vec::new();
    for (relative, path) in crate::walk::files(&root.join(ASSETS_DIR))? {
        if std::fs::canonicalize(&path).is_ok_and(|c| skip.contains(&c)) {
            continue;
        }
        let (hash, stamp) =
            crate::hashing::hash_file_cached(&path).map_err(|e| Error::io(&path, &e))?;
        assets.push(AssetFile {
            relative,
            path,
            hash,
            stamp,
        });
    }
    Ok(assets)
}
