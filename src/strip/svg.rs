//! Making an SVG logo safe and private to publish.
//!
//! An SVG is a program as much as a picture: opened on its own it can run scripts, and shown
//! anywhere it can load other files (which tells a third party who looks at the page). So
//! active content and every reference outside the document are refused with a message naming
//! the line, for the student to fix in their editor; we do not silently cut them out, because
//! the logo would then look different from what they drew. Editor metadata (Inkscape,
//! Illustrator, Sketch, RDF/Dublin Core, comments) carries names, file paths and software and
//! does not affect the drawing, so it is removed.
//!
//! The output is the input with removed parts cut out: every kept event is copied from the
//! source bytes as it was, so the drawing is not reformatted. Only a start tag that loses an
//! attribute is written anew (its kept attributes with their original values).

use super::Found;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{PrefixDeclaration, ResolveResult};
use quick_xml::reader::NsReader;
use quick_xml::XmlVersion;

/// An SVG made safe and private to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct CleanSvg {
    /// The SVG to publish.
    pub text: String,
    /// What was removed.
    pub found: Found,
    /// Width and height in CSS px, from the root's width/height attributes or its viewBox,
    /// if they say.
    pub size: Option<(f64, f64)>,
}

const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// Namespaces whose elements and attributes only editors read. Matched by URI: the prefix is
/// whatever the file chose.
const EDITOR_NAMESPACES: &[&str] = &[
    "http://www.inkscape.org/namespaces/inkscape",
    "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
    "http://ns.adobe.com/AdobeIllustrator/10.0/",
    "http://ns.adobe.com/Extensibility/1.0/",
    "http://ns.adobe.com/Graphs/1.0/",
    "http://ns.adobe.com/SaveForWeb/1.0/",
    "http://ns.adobe.com/Variables/1.0/",
    "http://ns.adobe.com/ImageReplacement/1.0/",
    "http://ns.adobe.com/GenericCustomNamespace/1.0/",
    "http://ns.adobe.com/XPath/1.0/",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://purl.org/dc/elements/1.1/",
    "http://creativecommons.org/ns#",
    "http://www.bohemiancoding.com/sketch/ns",
];

fn is_editor(ns: &ResolveResult) -> bool {
    matches!(ns, ResolveResult::Bound(ns) if EDITOR_NAMESPACES.contains(&ns.as_ref()))
}

/// The 1-based line of a byte position.
fn line_at(text: &str, pos: usize) -> usize {
    let upto = text.get(..pos.min(text.len())).unwrap_or(text);
    upto.bytes().filter(|&b| b == b'\n').count() + 1
}

/// A value shortened for an error message, so a long `data:` URI does not flood the terminal.
fn shorten(value: &str) -> String {
    let mut chars = value.chars();
    let head: String = chars.by_ref().take(40).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

/// Refuses active content and references to other files; removes editor metadata.
/// Err: a one-line lower-case message naming the element and its 1-based line, e.g.
/// "line 12: `<script>` is not allowed in a logo (scripts run when the SVG is opened on its own)".
pub fn sanitise(text: &str) -> Result<CleanSvg, String> {
    // A BOM is not needed for UTF-8 and would be written before the XML declaration.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = NsReader::from_str(text);
    let mut out = String::with_capacity(text.len());
    let mut found = Found::default();
    let mut size = None;
    let mut depth = 0usize;
    let mut root_seen = false;
    // Inside a removed element: the depth it was opened at and where it began.
    let mut removing: Option<(usize, usize)> = None;
    // Inside `<style>`: where it began and its text so far, checked whole at its end so a
    // reference split across CDATA sections or character references is still seen.
    let mut style: Option<(usize, String)> = None;
    loop {
        let start = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = reader.read_event().map_err(|e| {
            let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
            format!(
                "line {}: the SVG is not well-formed XML ({e})",
                line_at(text, at)
            )
        })?;
        let end = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let raw = text.get(start..end).unwrap_or_default();
        let line = || line_at(text, start);
        let opens = matches!(event, Event::Start(_));
        match event {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                if removing.is_some() {
                    if opens {
                        depth += 1;
                    }
                    continue;
                }
                let (ns, local) = reader.resolver().resolve_element(e.name());
                let local = local.as_ref().to_string();
                let name = e.name().as_ref().to_string();
                if depth == 0 {
                    if root_seen {
                        return Err(format!(
                            "line {}: the SVG has a second root element `<{name}>`",
                            line()
                        ));
                    }
                    let svg_ns = matches!(&ns, ResolveResult::Unbound)
                        || matches!(&ns, ResolveResult::Bound(n) if n.as_ref() == SVG_NS);
                    if local != "svg" || !svg_ns {
                        return Err(format!(
                            "line {}: the file's root element is `<{name}>`, not `<svg>`",
                            line()
                        ));
                    }
                    root_seen = true;
                    size = root_size(&e);
                }
                refuse_element(&local, &name).map_err(|why| format!("line {}: {why}", line()))?;
                if is_editor(&ns) || local == "metadata" {
                    if opens {
                        removing = Some((depth, start));
                        depth += 1;
                    } else {
                        found = found.union(super::image::classify_text(raw.as_bytes()));
                    }
                    continue;
                }
                let rebuilt = attributes(text, start, &reader, &e, &name, &mut found)?;
                match rebuilt {
                    None => out.push_str(raw),
                    Some(tag) => {
                        out.push_str(&tag);
                        out.push_str(if opens { ">" } else { "/>" });
                    }
                }
                if opens {
                    depth += 1;
                    if local == "style" {
                        style = Some((start, String::new()));
                    }
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if let Some((at, from)) = removing {
                    if depth == at {
                        removing = None;
                        let removed = text.get(from..end).unwrap_or_default();
                        found = found.union(super::image::classify_text(removed.as_bytes()));
                    }
                    continue;
                }
                if let Some((at, css)) = style.take() {
                    check_css(&css, "<style>", true).map_err(|(why, offset)| {
                        format!(
                            "line {}: {why}",
                            line_at(text, at) + line_at(&css, offset) - 1
                        )
                    })?;
                }
                out.push_str(raw);
            }
            Event::Text(t) => {
                if removing.is_none() {
                    if let Some((_, css)) = style.as_mut() {
                        css.push_str(&t);
                    }
                    out.push_str(raw);
                }
            }
            Event::CData(t) => {
                if removing.is_none() {
                    if let Some((_, css)) = style.as_mut() {
                        css.push_str(&t);
                    }
                    out.push_str(raw);
                }
            }
            Event::GeneralRef(r) => {
                if removing.is_none() {
                    if let Some((_, css)) = style.as_mut() {
                        // `&#x75;rl(` must be seen as `url(`.
                        let ch = match r.resolve_char_ref() {
                            Ok(Some(ch)) => Some(ch),
                            Ok(None) => predefined_entity(&r),
                            Err(_) => None,
                        };
                        let ch = ch.ok_or_else(|| {
                            format!("line {}: the entity `&{};` is not defined", line(), &*r)
                        })?;
                        css.push(ch);
                    }
                    out.push_str(raw);
                }
            }
            Event::Comment(_) => {
                // Editors sign their output here ("Generator: Adobe Illustrator ..."): that
                // counts as metadata found; a hand-written note is removed without a mention.
                let signed = [
                    "generator",
                    "created with",
                    "inkscape",
                    "illustrator",
                    "sketch",
                ]
                .iter()
                .any(|mark| raw.to_ascii_lowercase().contains(mark));
                if removing.is_none() && signed {
                    found.other = true;
                }
            }
            Event::PI(pi) => {
                if pi.target().eq_ignore_ascii_case("xml-stylesheet") {
                    return Err(format!(
                        "line {}: `<?xml-stylesheet?>` is not allowed in a logo (it loads another file)",
                        line()
                    ));
                }
                // Other processing instructions (Adobe's `<?xpacket?>`) are metadata.
                if removing.is_none() {
                    found = found.union(super::image::classify_text(raw.as_bytes()));
                }
            }
            Event::DocType(d) => {
                if d.to_ascii_uppercase().contains("<!ENTITY") {
                    return Err(format!(
                        "line {}: `<!ENTITY>` declarations are not allowed in a logo (they can pull in other files or grow without end); export the SVG again without a DOCTYPE",
                        line()
                    ));
                }
                out.push_str(raw);
            }
            Event::Decl(_) => out.push_str(raw),
        }
    }
    if depth != 0 {
        return Err(format!(
            "line {}: the SVG ends before all its elements are closed",
            line_at(text, text.len())
        ));
    }
    if !root_seen {
        return Err("the file has no `<svg>` element".to_string());
    }
    Ok(CleanSvg {
        text: out,
        found,
        size,
    })
}

fn predefined_entity(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    }
}

/// Elements that run scripts or show other documents.
fn refuse_element(local: &str, name: &str) -> Result<(), String> {
    if local.eq_ignore_ascii_case("script") || local.eq_ignore_ascii_case("handler") {
        return Err(format!(
            "`<{name}>` is not allowed in a logo (scripts run when the SVG is opened on its own)"
        ));
    }
    if local.eq_ignore_ascii_case("foreignObject") {
        return Err(format!(
            "`<{name}>` is not allowed in a logo (it embeds HTML, which can run scripts and load other files)"
        ));
    }
    Ok(())
}

/// Checks a start tag's attributes and drops editor ones. `Some(tag)`: the tag written anew
/// without its closing `>`, because something was dropped; `None`: keep the tag as it was.
fn attributes(
    text: &str,
    start: usize,
    reader: &NsReader<&[u8]>,
    e: &BytesStart,
    name: &str,
    found: &mut Found,
) -> Result<Option<String>, String> {
    let mut kept = Vec::new();
    let mut dropped = false;
    let raw_tag = text.get(start..).unwrap_or_default();
    for attr in e.attributes() {
        let attr = attr.map_err(|err| {
            format!(
                "line {}: `<{name}>` has a malformed attribute ({err})",
                line_at(text, start)
            )
        })?;
        let key = attr.key.as_ref();
        // The attribute's own line, for tags spread over many lines as editors write them;
        // counted only for an error, so a large drawing is not scanned once per attribute.
        let line = || line_at(text, start + raw_tag.find(key).unwrap_or(0));
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|err| {
                format!(
                    "line {}: the `{key}` attribute of `<{name}>` cannot be read ({err})",
                    line()
                )
            })?;
        let editor = match attr.key.as_namespace_binding() {
            Some(PrefixDeclaration::Named(_)) | Some(PrefixDeclaration::Default) => {
                EDITOR_NAMESPACES.contains(&value.as_ref())
            }
            None => is_editor(&reader.resolver().resolve_attribute(attr.key).0),
        };
        if editor {
            found.other = true;
            dropped = true;
            continue;
        }
        if attr.key.as_namespace_binding().is_none() {
            check_attribute(key, &value, name).map_err(|why| format!("line {}: {why}", line()))?;
        }
        kept.push((key.to_string(), attr.value.to_string()));
    }
    if !dropped {
        return Ok(None);
    }
    let mut tag = format!("<{name}");
    for (key, value) in kept {
        // The raw value keeps its entities; it cannot hold the quote it was written with.
        let quote = if value.contains('"') { '\'' } else { '"' };
        tag.push_str(&format!(" {key}={quote}{value}{quote}"));
    }
    Ok(Some(tag))
}

fn check_attribute(key: &str, value: &str, element: &str) -> Result<(), String> {
    let local = key.rsplit(':').next().unwrap_or(key).to_ascii_lowercase();
    if local.starts_with("on") {
        return Err(format!(
            "the `{key}` attribute of `<{element}>` is not allowed in a logo (event handlers run scripts)"
        ));
    }
    if local == "href" || local == "src" {
        let v = value.trim();
        if !v.starts_with('#') {
            let what = if v.get(..5).is_some_and(|s| s.eq_ignore_ascii_case("data:")) {
                "embeds data"
            } else {
                "refers to another file"
            };
            return Err(format!(
                "`<{element}>` {what} in `{key}` (`{}`); a logo may only refer to its own parts (`#id`): embed nothing: convert the image to paths",
                shorten(v)
            ));
        }
    }
    // `<set attributeName="href" to="javascript:...">` turns a harmless link into a script.
    if local == "attributename" {
        let target = value
            .trim()
            .rsplit(':')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if target == "href" || target == "src" || target.starts_with("on") {
            return Err(format!(
                "`<{element}>` animates `{}`, which is not allowed in a logo (it can load files or run scripts)",
                value.trim()
            ));
        }
    }
    check_css(
        value,
        &format!("the `{key}` attribute of `<{element}>`"),
        local == "style",
    )
    .map_err(|(why, _)| why)
}

/// Refuses CSS that loads other files. `Err((why, byte offset))`.
///
/// `strict`: also refuse CSS escapes, which could spell `url(` so this check misses it;
/// applied to `<style>` and `style="..."`, and to presentation attributes with a `(`.
fn check_css(css: &str, place: &str, strict: bool) -> Result<(), (String, usize)> {
    let lower = css.to_ascii_lowercase();
    if let Some(at) = lower.find('\\').filter(|_| strict || lower.contains('(')) {
        return Err((
            format!("css escapes (`\\`) in {place} are not allowed in a logo (they can hide a reference to another file)"),
            at,
        ));
    }
    if let Some(at) = lower.find("@import") {
        return Err((
            format!("`@import` in {place} is not allowed in a logo (it loads other files)"),
            at,
        ));
    }
    for function in ["image-set(", "image(", "src("] {
        if let Some(at) = lower.find(function) {
            return Err((
                format!("`{function})` in {place} is not allowed in a logo (it loads other files)"),
                at,
            ));
        }
    }
    let mut from = 0;
    while let Some(found) = lower.get(from..).and_then(|rest| rest.find("url(")) {
        let at = from + found;
        let arg = lower.get(at + 4..).unwrap_or_default();
        let arg = arg.trim_start().trim_start_matches(['"', '\'']);
        if !arg.starts_with('#') {
            let shown: String = css
                .get(at..)
                .unwrap_or_default()
                .chars()
                .take_while(|&c| c != ')')
                .collect();
            let embedded = if arg.starts_with("data:") {
                "embed nothing: convert the image to paths; "
            } else {
                ""
            };
            return Err((
                format!(
                    "{place} uses `{})`; only `url(#id)` is allowed in a logo ({embedded}a logo must not load other files)",
                    shorten(&shown)
                ),
                at,
            ));
        }
        from = at + 4;
    }
    Ok(())
}

/// Width and height in CSS px: from `width`/`height` when they are absolute lengths,
/// completing a missing one from the viewBox's aspect ratio, else from the viewBox.
fn root_size(e: &BytesStart) -> Option<(f64, f64)> {
    let mut width = None;
    let mut height = None;
    let mut view_box = None;
    for attr in e.attributes().flatten() {
        let Ok(value) = attr.normalized_value(XmlVersion::Implicit1_0) else {
            continue;
        };
        match attr.key.as_ref() {
            "width" => width = length_px(&value),
            "height" => height = length_px(&value),
            "viewBox" => view_box = parse_view_box(&value),
            _ => {}
        }
    }
    match (width, height, view_box) {
        (Some(w), Some(h), _) => Some((w, h)),
        (Some(w), None, Some((vw, vh))) => Some((w, w * vh / vw)),
        (None, Some(h), Some((vw, vh))) => Some((h * vw / vh, h)),
        (None, None, Some(vb)) => Some(vb),
        _ => None,
    }
}

fn positive(n: f64) -> Option<f64> {
    (n.is_finite() && n > 0.0).then_some(n)
}

/// An absolute length in CSS px; `None` for relative units (`%`, `em`) or nonsense.
fn length_px(value: &str) -> Option<f64> {
    const UNITS: &[(&str, f64)] = &[
        ("px", 1.0),
        ("pt", 96.0 / 72.0),
        ("pc", 16.0),
        ("in", 96.0),
        ("cm", 96.0 / 2.54),
        ("mm", 96.0 / 25.4),
        ("q", 96.0 / 101.6),
    ];
    let v = value.trim().to_ascii_lowercase();
    let (number, factor) = UNITS
        .iter()
        .find_map(|(unit, factor)| v.strip_suffix(unit).map(|n| (n.to_string(), *factor)))
        .unwrap_or((v.clone(), 1.0));
    // Only plain decimal numbers: `parse` would also take "inf" and "nan".
    if !number
        .trim()
        .chars()
        .all(|c| c.is_ascii_digit() || ".+-e".contains(c))
    {
        return None;
    }
    positive(number.trim().parse::<f64>().ok()? * factor)
}

fn parse_view_box(value: &str) -> Option<(f64, f64)> {
    let numbers: Vec<f64> = value
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<f64>().ok())
        .collect::<Option<_>>()?;
    match numbers.as_slice() {
        [_, _, w, h] => Some((positive(*w)?, positive(*h)?)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(svg: &str) -> String {
        sanitise(svg).expect_err("should be refused")
    }

    const CLEAN: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
        <!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n\
        <svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\"   width=\"64\" height='32' viewBox=\"0 0 10 5\">\n\
        <defs><linearGradient id=\"g\"/><style><![CDATA[ .a { fill: url(#g) } ]]> .b &gt; .c { fill: red }</style></defs>\n\
        <title>Tom &amp; Jerry</title>\n\
        <use xlink:href=\"#g\" style=\"fill:url( '#g' )\"/><path d=\"M0 0L10 5\" fill=\"url(#g)\"/>\n\
        </svg>\n";

    #[test]
    fn clean_svg_is_copied_byte_for_byte() {
        let c = sanitise(CLEAN).unwrap();
        assert_eq!(c.text, CLEAN);
        assert_eq!(c.found, Found::default());
        assert_eq!(c.size, Some((64.0, 32.0)));
    }

    #[test]
    fn refusals_name_the_line() {
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\">\n<g>\n<script>alert(1)</script>\n</g></svg>";
        assert_eq!(
            refused(svg),
            "line 3: `<script>` is not allowed in a logo (scripts run when the SVG is opened on its own)"
        );
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"\n   onload=\"alert(1)\"/>";
        assert!(refused(svg).starts_with("line 2: the `onload` attribute of `<svg>`"));
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\">\n<rect onClick=\"x()\"/></svg>";
        assert!(refused(svg).starts_with("line 2: the `onClick` attribute"));
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\">\n\n<foreignObject/></svg>";
        assert!(refused(svg).starts_with("line 3: `<foreignObject>` is not allowed"));
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\">\n<image href=\"photo.jpg\"/></svg>";
        let err = refused(svg);
        assert!(
            err.starts_with("line 2: `<image>` refers to another file in `href` (`photo.jpg`)"),
            "{err}"
        );
        assert!(
            err.ends_with("embed nothing: convert the image to paths"),
            "{err}"
        );
        let svg =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:x=\"http://www.w3.org/1999/xlink\">\n\
            <image x:href=\"data:image/png;base64,AAAA\"/></svg>";
        let err = refused(svg);
        assert!(
            err.starts_with("line 2: `<image>` embeds data in `x:href`"),
            "{err}"
        );
        assert!(
            err.contains("embed nothing: convert the image to paths"),
            "{err}"
        );
        let svg =
            "<svg xmlns=\"http://www.w3.org/2000/svg\"><a href=\"https://example.com\"/></svg>";
        assert!(refused(svg).starts_with("line 1: `<a>` refers to another file"));
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\">\n<rect fill=\"url(http://t.example/x.svg#a)\"/></svg>";
        assert!(refused(svg).starts_with(
            "line 2: the `fill` attribute of `<rect>` uses `url(http://t.example/x.svg#a)`"
        ));
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"><style>\n.a{}\n@import 'x.css';</style></svg>";
        assert!(
            refused(svg).starts_with("line 3: `@import` in <style>"),
            "{}",
            refused(svg)
        );
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"><style>\n.a{fill:&#x75;rl(x.svg#a)}</style></svg>";
        assert!(
            refused(svg).starts_with("line 2: <style> uses `url(x.svg#a)`"),
            "{}",
            refused(svg)
        );
        let svg =
            "<svg xmlns=\"http://www.w3.org/2000/svg\"><style>.a{fill:u\\72l(x)}</style></svg>";
        assert!(refused(svg).starts_with("line 1: css escapes"));
        let svg = "<?xml version=\"1.0\"?>\n<!DOCTYPE svg [\n<!ENTITY a \"aaaa\">\n]>\n<svg xmlns=\"http://www.w3.org/2000/svg\">&a;</svg>";
        assert!(refused(svg).starts_with("line 2: `<!ENTITY>` declarations are not allowed"));
        let svg = "<?xml-stylesheet href=\"a.css\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>";
        assert!(refused(svg).starts_with("line 1: `<?xml-stylesheet?>`"));
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"><a href=\"#x\"><set attributeName=\"href\" to=\"javascript:alert(1)\"/></a></svg>";
        assert!(refused(svg).starts_with("line 1: `<set>` animates `href`"));
        assert!(refused("<html/>").contains("not `<svg>`"));
        assert!(
            refused("<svg xmlns=\"http://www.w3.org/2000/svg\"><g></svg>")
                .starts_with("line 1: the SVG is not well-formed XML")
        );
        assert!(refused("<svg xmlns=\"http://www.w3.org/2000/svg\"><g>").contains("ends before"));
    }

    const INKSCAPE: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n\
        <!-- Created with Inkscape (http://www.inkscape.org/) -->\n\
        <svg width=\"210mm\" height=\"297mm\" viewBox=\"0 0 210 297\" version=\"1.1\" id=\"svg1\"\n   \
        inkscape:version=\"1.3 (0e150ed, 2023-07-21)\" sodipodi:docname=\"/home/alice/logo.svg\"\n   \
        xmlns:inkscape=\"http://www.inkscape.org/namespaces/inkscape\"\n   \
        xmlns:sodipodi=\"http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd\"\n   \
        xmlns=\"http://www.w3.org/2000/svg\" xmlns:svg=\"http://www.w3.org/2000/svg\"\n   \
        xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns:cc=\"http://creativecommons.org/ns#\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n  \
        <sodipodi:namedview id=\"namedview1\" pagecolor=\"#ffffff\" inkscape:zoom=\"0.7\"><inkscape:page x=\"0\" y=\"0\"/></sodipodi:namedview>\n  \
        <metadata><rdf:RDF><cc:Work><dc:creator>Alice Example</dc:creator><exif:GPSLatitude xmlns:exif=\"http://ns.adobe.com/exif/1.0/\">51</exif:GPSLatitude></cc:Work></rdf:RDF></metadata>\n  \
        <g inkscape:label=\"Layer 1\" inkscape:groupmode=\"layer\" id=\"layer1\">\n    \
        <rect style=\"fill:#ff0000\" id=\"rect1\" width=\"10\" height=\"10\" x=\"1\" y=\"2\" />\n  \
        </g>\n\
        </svg>\n";

    #[test]
    fn inkscape_metadata_is_removed() {
        let c = sanitise(INKSCAPE).unwrap();
        for gone in [
            "inkscape", "sodipodi", "Alice", "rdf", "metadata", "<!--", "GPS",
        ] {
            assert!(!c.text.contains(gone), "{gone} survived:\n{}", c.text);
        }
        assert!(c.text.contains("<g id=\"layer1\">"), "{}", c.text);
        assert!(c.text.contains("<rect style=\"fill:#ff0000\" id=\"rect1\" width=\"10\" height=\"10\" x=\"1\" y=\"2\" />"));
        assert!(c.text.contains("xmlns=\"http://www.w3.org/2000/svg\""));
        assert_eq!(
            c.found,
            Found {
                location: true,
                camera: false,
                other: true
            }
        );
        let (w, h) = c.size.unwrap();
        assert!(
            (w - 793.7).abs() < 0.1 && (h - 1122.5).abs() < 0.1,
            "{w} {h}"
        );
        // Sanitising again changes nothing.
        let again = sanitise(&c.text).unwrap();
        assert_eq!(again.text, c.text);
        assert_eq!(again.found, Found::default());
    }

    #[test]
    fn editor_namespaces_match_by_uri_not_prefix() {
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:q=\"http://ns.adobe.com/AdobeIllustrator/10.0/\" \
            xmlns:inkscape=\"http://example.com/not-inkscape\">\
            <q:pgf>secret</q:pgf><g q:layer=\"yes\" inkscape:keep=\"1\"/></svg>";
        let c = sanitise(svg).unwrap();
        assert_eq!(
            c.text,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:inkscape=\"http://example.com/not-inkscape\">\
             <g inkscape:keep=\"1\"/></svg>"
        );
        assert!(c.found.other);
        // An editor namespace as the default namespace of an element.
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"><namedview xmlns=\"http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd\"><x/></namedview><g/></svg>";
        assert_eq!(
            sanitise(svg).unwrap().text,
            "<svg xmlns=\"http://www.w3.org/2000/svg\"><g/></svg>"
        );
    }

    #[test]
    fn bom_and_crlf() {
        let svg = "\u{feff}<?xml version=\"1.0\"?>\r\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0,0,20,10\">\r\n<!-- Generator: Adobe Illustrator -->\r\n<path d=\"M0 0\"/>\r\n</svg>\r\n";
        let c = sanitise(svg).unwrap();
        assert_eq!(
            c.text,
            "<?xml version=\"1.0\"?>\r\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0,0,20,10\">\r\n\r\n<path d=\"M0 0\"/>\r\n</svg>\r\n"
        );
        assert!(c.found.other);
        assert_eq!(c.size, Some((20.0, 10.0)));
        let bad = "\u{feff}<svg xmlns=\"http://www.w3.org/2000/svg\">\r\n\r\n<script/>\r\n</svg>";
        assert!(refused(bad).starts_with("line 3: `<script>`"));
    }

    #[test]
    fn sizes() {
        let size = |attrs: &str| {
            sanitise(&format!(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" {attrs}/>"
            ))
            .unwrap()
            .size
        };
        assert_eq!(size("width=\"100px\" height=\"50\""), Some((100.0, 50.0)));
        assert_eq!(
            size("width=\"100%\" height=\"100%\" viewBox=\"0 0 30 40\""),
            Some((30.0, 40.0))
        );
        assert_eq!(
            size("width=\"60\" viewBox=\"0 0 30 40\""),
            Some((60.0, 80.0))
        );
        assert_eq!(size("width=\"1in\" height=\"72pt\""), Some((96.0, 96.0)));
        assert_eq!(size("width=\"2em\" height=\"inf\""), None);
        assert_eq!(size(""), None);
    }

    #[test]
    fn damaged_svgs_never_panic() {
        let mut rng = fastrand::Rng::with_seed(0x9E37_79B9_7F4A_7C15);
        let mut next = move || rng.u64(..);
        for fixture in [CLEAN, INKSCAPE] {
            for cut in 0..fixture.len() {
                if let Some(t) = fixture.get(..cut) {
                    let _ = sanitise(t);
                }
            }
            let pieces = [
                "<",
                ">",
                "/",
                "\"",
                "&",
                ";",
                "<!--",
                "]]>",
                "<![CDATA[",
                "xmlns:a=\"",
                "url(",
                "\r\n",
                "é",
            ];
            for _ in 0..2000 {
                let mut s = fixture.to_string();
                for _ in 0..1 + next() % 3 {
                    let at = usize::try_from(next() % s.len() as u64).unwrap();
                    if s.is_char_boundary(at) {
                        s.insert_str(
                            at,
                            pieces[usize::try_from(next() % pieces.len() as u64).unwrap()],
                        );
                    }
                }
                if let Ok(c) = sanitise(&s) {
                    // What comes out is accepted again and has nothing more to remove.
                    let again =
                        sanitise(&c.text).unwrap_or_else(|e| panic!("{e}\n{s}\n{}", c.text));
                    assert_eq!(again.text, c.text);
                }
            }
        }
    }
}
