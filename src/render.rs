//! Render: [`Site`] → [`Output`]. Fingerprinted names and relative URLs are decided here, once,
//! so the output works at `/`, under any sub-path and from `file://`. The templates are rendered
//! from what loading read (no file is read for them); the logo copies they ask for and the Opus
//! copy of a recording are then made through [`crate::derived`] and the `.profile-cache/`
//! ([`crate::cache`]), and the text files served from their sources are read for
//! [`crate::hosting`] to compress: those are render's only I/O.

use std::borrow::Cow;
use std::path::Path;

use serde::Serialize;

use crate::config::{Lang, Language, Profile};
use crate::content::Page;
use crate::error::Result;
use crate::hosting;
use crate::labels::{self, Labels};
use std::sync::Arc;

use crate::derived::{publishable, Metadata};
use crate::output::{Body, Entry, Output};
use crate::picture::{self, Variant};
use crate::responsive::{self, ImageSource, Job};
use crate::site::{Media, Site, ASSETS_DIR};
use crate::text::encode_url_path;

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// What every template sees that is the same on every page: serialised once per render.
#[derive(Serialize)]
struct SiteContext<'a> {
    lang: &'a str,
    site_title: &'a str,
    profile: ProfileContext<'a>,
    labels: &'static Labels,
    /// The stylesheet's text, for pages that must not depend on relative URLs (404).
    inline_css: &'a str,
}

/// A link to this page in one of the site's languages (the language switcher), or to that
/// language's profile page where this page has no translation.
#[derive(Serialize)]
struct LanguageLink<'a> {
    /// The BCP 47 tag, for `lang` and `hreflang`.
    tag: &'a str,
    /// The language's name in itself (`English`, `中文`), or its tag if profile has no words
    /// for it.
    name: &'a str,
    /// Relative URL of this page (or the profile page) in that language.
    url: String,
    /// Relative URL of that language's profile page.
    home_url: String,
    /// "Back to the home page" in that language.
    back_home: &'static str,
    /// Whether this page is in that language.
    current: bool,
}

/// `<link rel="alternate" hreflang>`: only with `base_url`, as search engines want absolute
/// addresses.
#[derive(Serialize)]
struct Alternate<'a> {
    hreflang: &'a str,
    href: String,
}

/// One language's pages and values: what is rendered once per language.
struct Edition<'a> {
    lang: &'a Language,
    /// `""` for the default language, `"en/"` for the others.
    prefix: String,
    title: &'a str,
    description: &'a str,
    profile: &'a Profile,
    index: Option<&'a Page>,
    pages: &'a [Page],
    audio: &'a Media,
    /// The `base_path` of every page this language has, the profile page and the list of all
    /// pages included: where the switcher can link to.
    has: std::collections::HashSet<&'a str>,
}

impl<'a> Edition<'a> {
    fn new(
        lang: &'a Language,
        prefix: String,
        (title, description, profile): (&'a str, &'a str, &'a Profile),
        (index, pages, audio): (Option<&'a Page>, &'a [Page], &'a Media),
    ) -> Self {
        let mut has: std::collections::HashSet<&str> =
            pages.iter().map(|p| p.base_path.as_str()).collect();
        has.insert("index.html");
        if pages.len() > NAV_LIMIT {
            has.insert(ALL_PAGES_PATH);
        }
        Edition {
            lang,
            prefix,
            title,
            description,
            profile,
            index,
            pages,
            audio,
            has,
        }
    }

    fn labels(&self) -> &'static Labels {
        labels::for_lang(self.lang.labels)
    }

    /// The language's name in itself; the tag for a language without labels of its own.
    fn name(&self) -> &'a str {
        match Lang::parse(&self.lang.tag) {
            Some(_) => self.labels().language_name,
            None => &self.lang.tag,
        }
    }
}

/// The default language and then each further one.
fn editions(site: &Site) -> Vec<Edition<'_>> {
    let config = &site.config;
    let default = Edition::new(
        &config.lang,
        String::new(),
        (&config.title, &config.description, &config.profile),
        (site.index.as_ref(), &site.pages, &site.audio),
    );
    let others = config
        .translations
        .iter()
        .zip(&site.translations)
        .map(|(t, pages)| {
            Edition::new(
                &t.lang,
                format!("{}/", t.lang.tag),
                (&t.title, &t.description, &t.profile),
                (pages.index.as_ref(), &pages.pages, &pages.audio),
            )
        });
    std::iter::once(default).chain(others).collect()
}

/// `zh-CN` → `zh_CN`, `en` → `en_US`: the form Open Graph's `og:locale` takes.
fn og_locale(tag: &str) -> String {
    match tag {
        "en" => "en_US".into(),
        "zh" => "zh_CN".into(),
        _ => tag.replace('-', "_"),
    }
}

/// What every template sees that differs from page to page.
#[derive(Serialize)]
struct PageContext<'a> {
    /// The site's languages, this page's included (`current`): the language switcher. Empty on
    /// a one-language site.
    languages: Vec<LanguageLink<'a>>,
    /// With `base_url`: this page's address in each language it exists in, and `x-default`.
    alternates: Vec<Alternate<'a>>,
    /// This page's title.
    title: &'a str,
    description: &'a str,
    /// Relative prefix from this page to the site root (`""`, `"../"`, ...).
    root: String,
    /// Relative URLs, already joined with `root`.
    home_url: String,
    stylesheet_url: String,
    /// The logo, and what the theme's `image()` needs to make its copies.
    logo: ImageSource,
    audio: MediaContext,
    nav: Vec<NavItem<'a>>,
    /// The page's rendered Markdown.
    content: &'a str,
    /// With `base_url`: this page's absolute address, for `<link rel=canonical>` and `og:url`.
    canonical_url: Option<String>,
    /// With `base_url`: what a link preview (Open Graph, Twitter card) shows.
    og: Option<OpenGraph>,
    /// With `base_url`, on the 404 page only: the site's path on its host (`/~lihua/`), so the
    /// page's links work at whatever depth a host serves it.
    base_href: Option<String>,
}

/// Absolute URLs for link previews: crawlers do not resolve relative ones reliably.
#[derive(Serialize)]
struct OpenGraph {
    /// `profile` for the home page, `article` for the others.
    kind: &'static str,
    /// `zh_CN` or `en_US`.
    locale: String,
    image: String,
    audio: String,
}

#[derive(Serialize)]
struct MediaContext {
    /// The URL to download: the compressed copy when there is one.
    url: String,
    mime: &'static str,
    /// The `<source>` elements, best first: the Opus copy of a WAV or FLAC, then the original.
    sources: Vec<SourceContext>,
    /// How long it plays, `1:05`, in the page's language's digits (the same in both).
    duration: Option<String>,
    /// The same as an ISO 8601 duration (`PT65S`), for `<time datetime>`.
    duration_iso: Option<String>,
}

#[derive(Serialize)]
struct SourceContext {
    url: String,
    #[serde(rename = "type")]
    mime: &'static str,
}

#[derive(Serialize)]
struct ProfileContext<'a> {
    name: &'a str,
    student_id: &'a str,
    major: &'a str,
    school: Option<&'a str>,
    email: Option<&'a str>,
    links: Vec<Row<'a>>,
    extra: Vec<Row<'a>>,
    transcript: Option<&'a str>,
    logo_alt: String,
}

#[derive(Serialize, Clone, Copy)]
struct Row<'a> {
    label: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
struct NavItem<'a> {
    title: Cow<'a, str>,
    url: String,
    current: bool,
}

/// Fingerprinted output paths of the shared files.
struct SharedUrls {
    stylesheet: String,
    logo: String,
    audio: String,
}

impl SharedUrls {
    /// Where a language's recording is: the default's, or its own.
    fn audio_of(&self, site: &Site, audio: &Media) -> String {
        if std::ptr::eq(audio, &site.audio) || audio.path == site.audio.path {
            self.audio.clone()
        } else {
            media_path(audio)
        }
    }
}

/// Renders every page and lays out every asset.
pub fn render(site: &Site) -> Result<Output> {
    let mut output = Output::default();
    let cache = &site.cache;
    let shared = add_shared_files(site, &mut output)?;
    render_pages(site, &shared, &mut output, None)?;
    // Encoding a recording takes one core for a second or more: the photo's copies are made on
    // the others meanwhile.
    let (logo, speech) = rayon::join(
        || logo_copies(site, &output, cache),
        || {
            recordings(site)
                .map(|audio| crate::derived::speech_copy(site, audio, &output, cache))
                .collect::<Result<Vec<_>>>()
        },
    );
    for (path, entry) in logo?.into_iter().chain(speech?.into_iter().flatten()) {
        // Two languages may share a recording.
        if output.get(&path).is_none() {
            output.insert(path, entry)?;
        }
    }
    note_logo_metadata(site, &mut output);
    add_host_files(site, &mut output, None)?;
    // Only a complete build knows every entry that is still in use.
    cache.prune();
    Ok(output)
}

/// Every language's recording (a shared one more than once).
fn recordings(site: &Site) -> impl Iterator<Item = &Media> {
    std::iter::once(&site.audio).chain(site.translations.iter().map(|t| &t.audio))
}

/// A photo logo is published only as copies made from its pixels, so its metadata never is;
/// the build's summary still says what stayed behind (learnt once, then kept in the cache).
fn note_logo_metadata(site: &Site, output: &mut Output) {
    if default_logo_copy(site).is_none() {
        return;
    }
    let flags = site.cache.fact(&[b"metadata", &site.logo.hash], || {
        let bytes = site.logo.bytes().map_err(|e| e.to_string())?;
        crate::strip::image::inspect(&bytes).map(crate::strip::Found::to_fact)
    });
    let found = flags.ok().map(|text| crate::strip::Found::from_fact(&text));
    if let Some(found) = found.filter(|found| found.any()) {
        let shown = site.shown(&site.logo.path);
        output.privacy.stripped.insert(shown, found);
    }
}

/// Makes the logo copies that the templates asked for with `image()`, and the default copy.
fn logo_copies(
    site: &Site,
    output: &Output,
    cache: &crate::cache::Cache,
) -> Result<Vec<(String, Entry)>> {
    let mut jobs = std::mem::take(
        &mut *site
            .theme
            .image_jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    jobs.extend(default_logo_copy(site));
    crate::derived::image_copies(site, jobs, output, cache)
}

/// For a photo logo, the copy that stands for the original wherever a theme uses `logo.url`
/// (and the link preview's `og:image`): the fallback format, at most 1200 pixels wide, as
/// link previews want. The original, with its metadata, is never published.
fn default_logo_copy(site: &Site) -> Option<(String, Job)> {
    let info = site.logo.picture.filter(|info| !info.animated)?;
    let variant = Variant::fit(&info, OG_IMAGE_WIDTH, None, picture::fallback(&info));
    let path = responsive::variant_path(site.logo.stem(), &hex::encode(site.logo.hash), &variant);
    Some((path, Job { variant }))
}

/// The width link previews (Open Graph) show best, and the most they download.
const OG_IMAGE_WIDTH: u32 = 1200;

/// Renders again only the pages made from the content files in `sources` (paths relative to
/// `content/`, e.g. `index.md`, `notes/lab1.md`), keeping every other entry of `previous`. Right
/// when nothing but those pages' bodies changed: no title, weight or file was added or removed.
pub fn render_changed_pages(site: &Site, previous: &Output, sources: &[String]) -> Result<Output> {
    let mut output = previous.clone();
    let shared = shared_urls(site);
    render_pages(site, &shared, &mut output, Some(sources))?;
    for (path, entry) in logo_copies(site, &output, &site.cache)? {
        output.insert(path, entry)?;
    }
    add_host_files(site, &mut output, Some(previous))?;
    Ok(output)
}

/// The files `[build]` asks for: precompressed copies (reusing those of `previous` that are
/// still current) and `_headers`.
fn add_host_files(site: &Site, output: &mut Output, previous: Option<&Output>) -> Result<()> {
    if site.config.build.precompress {
        hosting::add_precompressed(output, previous, &|path| std::fs::read(path))?;
    }
    if site.config.build.headers {
        output.remove(hosting::HEADERS_FILE);
        output.insert(hosting::HEADERS_FILE.into(), hosting::headers_file(output))?;
    }
    Ok(())
}

/// Renders every language's profile page and content pages, and the 404 page, into `output`;
/// with `only`, just the pages made from those content files, replacing their previous entries.
fn render_pages(
    site: &Site,
    shared: &SharedUrls,
    output: &mut Output,
    only: Option<&[String]>,
) -> Result<()> {
    let editions = editions(site);
    let wanted = |source: &str| only.is_none_or(|list| list.iter().any(|s| s == source));
    let mut put = |path: &str, entry: Entry| -> Result<()> {
        if only.is_some() {
            output.replace(path, entry);
            Ok(())
        } else {
            output.insert(path.to_string(), entry)
        }
    };
    for (number, edition) in editions.iter().enumerate() {
        let renderer = Renderer::new(site, shared, &editions, edition)?;
        let index_source = match (edition.index, number) {
            (Some(page), _) => page.source.clone(),
            (None, 0) => "index.md".to_string(),
            (None, _) => format!("index.{}.md", edition.lang.tag),
        };
        if wanted(&index_source) {
            let intro = edition.index.map_or("", |p| p.html.as_str());
            let path = format!("{}index.html", edition.prefix);
            let mut entry = renderer.page(
                "profile.html",
                &path,
                "index.html",
                edition.title,
                None,
                intro,
            )?;
            entry.source = format!("content/{index_source}");
            put(&path, entry)?;
        }
        // Pages are rendered on every core (the theme is shared, read-only) and added in
        // order, so the output and any clash reported stay the same from run to run.
        let render_one = |page: &Page| {
            let mut entry = renderer.page(
                "page.html",
                &page.output_path,
                &page.base_path,
                &page.title,
                page.description.as_deref(),
                &page.html,
            )?;
            entry.source = format!("content/{}", page.source);
            Ok(entry)
        };
        // The few pages of an edit while serving are rendered on this thread: no hand-off to
        // the pool.
        let rendered: Vec<Result<Entry>> = if only.is_some() {
            edition
                .pages
                .iter()
                .filter(|p| wanted(&p.source))
                .map(render_one)
                .collect()
        } else {
            use rayon::prelude::*;
            edition.pages.par_iter().map(render_one).collect()
        };
        let chosen = edition.pages.iter().filter(|p| wanted(&p.source));
        for (page, entry) in chosen.zip(rendered) {
            put(&page.output_path, entry?)?;
        }
        let labels = edition.labels();
        if only.is_none() && edition.pages.len() > NAV_LIMIT {
            let list = all_pages_list(edition);
            let path = format!("{}{ALL_PAGES_PATH}", edition.prefix);
            let mut entry = renderer.page(
                "page.html",
                &path,
                ALL_PAGES_PATH,
                labels.all_pages,
                None,
                &list,
            )?;
            entry.source = "(the list of all pages)".into();
            put(&path, entry)?;
        }
        if only.is_none() && number == 0 {
            let mut entry = renderer.page(
                "404.html",
                "404.html",
                "404.html",
                labels.not_found_title,
                None,
                "",
            )?;
            entry.source = "theme/404.html".into();
            put("404.html", entry)?;
        }
    }
    Ok(())
}

/// Renders the pages of one language.
struct Renderer<'a> {
    site: &'a Site,
    shared: &'a SharedUrls,
    editions: &'a [Edition<'a>],
    edition: &'a Edition<'a>,
    /// What every page of this language sees, serialised once.
    context: tera::Context,
}

impl<'a> Renderer<'a> {
    fn new(
        site: &'a Site,
        shared: &'a SharedUrls,
        editions: &'a [Edition<'a>],
        edition: &'a Edition<'a>,
    ) -> Result<Self> {
        let labels = edition.labels();
        let context = tera::Context::from_serialize(SiteContext {
            lang: &edition.lang.tag,
            site_title: edition.title,
            profile: profile_context(edition.profile, labels),
            labels,
            inline_css: &site.theme.stylesheet,
        })
        .map_err(|e| crate::error::Error::new(format!("cannot prepare the page context: {e}")))?;
        Ok(Renderer {
            site,
            shared,
            editions,
            edition,
            context,
        })
    }

    /// Renders `template` for the page written at `output_path`, which is the translation of
    /// the default language's `base_path`.
    fn page(
        &self,
        template: &str,
        output_path: &str,
        base_path: &str,
        title: &str,
        description: Option<&str>,
        content: &str,
    ) -> Result<Entry> {
        let (site, shared, edition) = (self.site, self.shared, self.edition);
        let root = "../".repeat(output_path.matches('/').count());
        let url = |path: &str| format!("{root}{}", encode_url_path(path));
        let base_url = site.config.base_url.as_deref();
        let is_404 = template == "404.html";
        let absolute = |path: &str| base_url.map(|base| format!("{base}{}", encode_url_path(path)));
        let folder = |path: &'_ str| path.strip_suffix("index.html").unwrap_or(path).to_string();
        let canonical_url = if is_404 {
            None
        } else {
            absolute(&folder(output_path))
        };
        let og = canonical_url.as_ref().and_then(|_| {
            Some(OpenGraph {
                kind: if base_path == "index.html" {
                    "profile"
                } else {
                    "article"
                },
                locale: og_locale(&edition.lang.tag),
                image: absolute(&shared.logo)?,
                audio: absolute(&shared.audio_of(site, edition.audio))?,
            })
        });
        let base_href = base_url.filter(|_| is_404).map(url_path);
        let several = self.editions.len() > 1;
        let languages = self
            .editions
            .iter()
            .filter(|_| several)
            .map(|other| {
                let target = if other.has.contains(base_path) {
                    base_path
                } else {
                    "index.html"
                };
                LanguageLink {
                    tag: &other.lang.tag,
                    name: other.name(),
                    url: url(&format!("{}{target}", other.prefix)),
                    home_url: url(&format!("{}index.html", other.prefix)),
                    back_home: other.labels().back_home,
                    current: std::ptr::eq(other, edition),
                }
            })
            .collect();
        // Every version of the page names every version, itself included, so that the links
        // are reciprocal; x-default is the default language's.
        let alternates = if is_404 || !several {
            Vec::new()
        } else {
            let mut list: Vec<Alternate> = self
                .editions
                .iter()
                .filter(|other| other.has.contains(base_path))
                .filter_map(|other| {
                    Some(Alternate {
                        hreflang: &other.lang.tag,
                        href: absolute(&folder(&format!("{}{base_path}", other.prefix)))?,
                    })
                })
                .collect();
            if let Some(first) = self.editions.first().filter(|d| d.has.contains(base_path)) {
                if let Some(href) = absolute(&folder(&format!("{}{base_path}", first.prefix))) {
                    list.push(Alternate {
                        hreflang: "x-default",
                        href,
                    });
                }
            }
            list
        };
        let page = PageContext {
            languages,
            alternates,
            canonical_url,
            og,
            base_href,
            title,
            description: description.unwrap_or(edition.description),
            home_url: url(&format!("{}index.html", edition.prefix)),
            stylesheet_url: url(&shared.stylesheet),
            logo: logo_source(site, url(&shared.logo), &root),
            audio: audio_context(site, edition.audio, &url),
            nav: nav_items(edition, &root, output_path),
            content,
            root,
        };
        let mut context = self.context.clone();
        context.extend(
            tera::Context::from_serialize(&page)
                .map_err(|e| crate::error::Error::new(format!("cannot prepare the page: {e}")))?,
        );
        site.theme
            .render(template, &context)
            .map(|html| Entry::bytes(html.into_bytes(), HTML, format!("content/{output_path}")))
    }
}

/// The path part of an absolute URL: `https://example.com/~lihua/` → `/~lihua/`.
fn url_path(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    match after_scheme.find('/') {
        Some(slash) => after_scheme[slash..].to_string(),
        None => "/".to_string(),
    }
}

fn profile_context<'a>(p: &'a Profile, labels: &Labels) -> ProfileContext<'a> {
    let rows = |pairs: &'a [(String, String)]| {
        pairs
            .iter()
            .map(|(label, value)| Row { label, value })
            .collect::<Vec<_>>()
    };
    ProfileContext {
        name: &p.name,
        student_id: &p.student_id,
        major: &p.major,
        school: p.school.as_deref(),
        email: p.email.as_deref(),
        links: rows(&p.links),
        extra: rows(&p.extra),
        transcript: p.transcript.as_deref(),
        logo_alt: format!("{}{}", p.name, labels.logo_alt_suffix),
    }
}

/// With more pages than this, each page's navigation lists the first ones and a page listing
/// all of them, so that output grows linearly with the number of pages, not quadratically.
pub const NAV_LIMIT: usize = 20;
/// Where the list of all pages goes when there are more than [`NAV_LIMIT`].
pub const ALL_PAGES_PATH: &str = "pages/index.html";

fn nav_items<'a>(edition: &'a Edition<'a>, root: &str, current: &str) -> Vec<NavItem<'a>> {
    let pages = edition.pages;
    if pages.is_empty() {
        return Vec::new();
    }
    let labels = edition.labels();
    let prefix = &edition.prefix;
    let home_path = format!("{prefix}index.html");
    let all_path = format!("{prefix}{ALL_PAGES_PATH}");
    let home = NavItem {
        title: Cow::Borrowed(labels.home),
        url: format!("{root}{}", encode_url_path(&home_path)),
        current: current == home_path,
    };
    let shown = if pages.len() > NAV_LIMIT {
        NAV_LIMIT - 1
    } else {
        NAV_LIMIT
    };
    let listed = pages.iter().take(shown).map(|page: &Page| NavItem {
        title: Cow::Borrowed(&page.title),
        url: format!("{root}{}", encode_url_path(&page.output_path)),
        current: page.output_path == current,
    });
    let all = (pages.len() > NAV_LIMIT).then(|| NavItem {
        title: Cow::Owned(format!("{} ({})", labels.all_pages, pages.len())),
        url: format!("{root}{}", encode_url_path(&all_path)),
        current: current == all_path,
    });
    std::iter::once(home).chain(listed).chain(all).collect()
}

/// The body of the page listing every page of a language, for more than [`NAV_LIMIT`].
fn all_pages_list(edition: &Edition) -> String {
    let path = format!("{}{ALL_PAGES_PATH}", edition.prefix);
    let root = "../".repeat(path.matches('/').count());
    let mut html = String::from("<ul class=\"all-pages\">\n");
    for page in edition.pages {
        html.push_str(&format!(
            "<li><a href=\"{root}{}\">{}</a></li>\n",
            encode_url_path(&page.output_path),
            crate::theme::escape_html(&page.title)
        ));
    }
    html.push_str("</ul>\n");
    html
}

/// The fingerprinted paths of the stylesheet, logo and audio, from their hashes.
fn shared_urls(site: &Site) -> SharedUrls {
    SharedUrls {
        stylesheet: stylesheet_path(site),
        logo: logo_path(site),
        audio: media_path(&site.audio),
    }
}

/// Where `logo.url` points: a photo's default copy, or the SVG or animation itself.
fn logo_path(site: &Site) -> String {
    match default_logo_copy(site) {
        Some((path, _)) => path,
        None => media_path(&site.logo),
    }
}

/// The `audio` object of a page.
fn audio_context(site: &Site, audio: &Media, url: &dyn Fn(&str) -> String) -> MediaContext {
    let original = SourceContext {
        url: url(&media_path(audio)),
        mime: audio.format.mime,
    };
    let mut sources = Vec::new();
    if let Some(copy) = crate::derived::speech_copy_path(site, audio) {
        sources.push(SourceContext {
            url: url(&copy),
            mime: crate::derived::SPEECH_MIME,
        });
    }
    sources.push(original);
    let duration = audio.duration;
    MediaContext {
        url: sources[0].url.clone(),
        mime: sources[0].mime,
        duration: duration.map(crate::speech::format_duration),
        duration_iso: duration.map(|d| format!("PT{:.1}S", d.as_secs_f64())),
        sources,
    }
}

/// The `logo` object of a page.
fn logo_source(site: &Site, url: String, root: &str) -> ImageSource {
    let logo = &site.logo;
    let (width, height, alpha, kind) = match logo.picture {
        Some(info) if info.animated => (info.width, info.height, info.alpha, "animated"),
        Some(info) => (info.width, info.height, info.alpha, "raster"),
        None => (0, 0, true, "vector"),
    };
    let mime = match logo.picture {
        Some(info) if !info.animated => picture::fallback(&info).mime(),
        _ => logo.format.mime,
    };
    ImageSource {
        url,
        mime: mime.to_string(),
        root: root.to_string(),
        stem: logo.stem().to_string(),
        hash: hex::encode(logo.hash),
        width,
        height,
        alpha,
        kind: kind.to_string(),
    }
}

/// Adds the stylesheet, logo, audio and other assets; returns the fingerprinted paths.
fn add_shared_files(site: &Site, output: &mut Output) -> Result<SharedUrls> {
    let (stylesheet, css) = stylesheet_entry(site);
    output.insert(stylesheet.clone(), css)?;
    let metadata = if site.config.build.keep_metadata {
        Metadata::Keep
    } else {
        Metadata::Strip
    };
    let mut privacy = std::mem::take(&mut output.privacy);
    let mut publish = |entry: Entry, shown: &Path| {
        let shown = site.shown(shown);
        publishable(entry, &shown, metadata, &mut privacy, &site.cache)
    };
    // A photo logo is published only as the copies made from it.
    if default_logo_copy(site).is_none() {
        let entry = publish(media_entry(&site.logo), &site.logo.path)?;
        output.insert(media_path(&site.logo), entry)?;
    }
    for audio in recordings(site) {
        let path = media_path(audio);
        // Languages that share a recording share its one copy.
        if output.get(&path).is_none() {
            let entry = publish(media_entry(audio), &audio.path)?;
            output.insert(path, entry)?;
        }
    }
    for asset in &site.assets {
        let mime = mime_guess::from_path(&asset.relative)
            .first_raw()
            .unwrap_or("application/octet-stream");
        let path = format!("{ASSETS_DIR}/{}", asset.relative);
        let body = Body::File {
            path: asset.path.clone(),
            stamp: asset.stamp,
        };
        let entry = publish(
            Entry::new(body, asset.hash, with_charset(mime), path.clone()),
            &asset.path,
        )?;
        output.insert(path, entry)?;
    }
    output.privacy = privacy;
    Ok(SharedUrls {
        stylesheet,
        logo: logo_path(site),
        audio: media_path(&site.audio),
    })
}

/// The output path of the site's stylesheet (`assets/style.1a2b3c4d.css`).
pub fn stylesheet_path(site: &Site) -> String {
    stylesheet_entry(site).0
}

fn stylesheet_entry(site: &Site) -> (String, Entry) {
    let mut css = Entry::bytes(
        site.theme.stylesheet.clone().into_bytes(),
        CSS,
        "theme/style.css",
    );
    css.immutable = true;
    (format!("{ASSETS_DIR}/style.{}.css", css.fingerprint()), css)
}

fn with_charset(mime: &str) -> String {
    let texty = mime.starts_with("text/")
        || mime == "application/javascript"
        || mime == "application/json"
        || mime == "image/svg+xml";
    if texty {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    }
}

/// `logo.png` → `assets/logo.1a2b3c4d.png`, keeping the written extension when it fits the
/// format and using the format's own otherwise (so a JPEG named `.png` is served as JPEG).
fn media_path(media: &Media) -> String {
    let stem = media.stem();
    let ext = media.file_name[stem.len()..]
        .strip_prefix('.')
        .unwrap_or("")
        .to_ascii_lowercase();
    let ext = if media.format.extensions.contains(&ext.as_str()) {
        ext
    } else {
        media.format.extensions[0].to_string()
    };
    let fingerprint = hex::encode(&media.hash[..4]);
    format!("{ASSETS_DIR}/{stem}.{fingerprint}.{ext}")
}

/// The output entry of a logo or audio file: in memory when small, streamed from disk if not.
fn media_entry(media: &Media) -> Entry {
    let body = match media.loaded() {
        Some(bytes) => Body::Bytes(Arc::clone(bytes)),
        None => Body::File {
            path: media.path.clone(),
            stamp: media.stamp,
        },
    };
    let mut entry = Entry::new(
        body,
        media.hash,
        media.format.mime,
        media.path.display().to_string(),
    );
    entry.immutable = true;
    entry
}
