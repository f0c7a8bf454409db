//! The report as one self-contained HTML page: inline CSS and SVG, no script, nothing loaded
//! from anywhere (it works from `file://` and offline), readable from 360 px wide and on paper.
//! Everything from the input is escaped: a capture holds whatever bytes anyone sent.

use std::fmt::Write;
use std::time::{Duration, UNIX_EPOCH};

use crate::config::Lang;

use super::escape::text as esc;
use super::explain::{self, secs, Cite, Note};
use super::labels::{labels, Labels};
use super::model::{Analysis, Exchange, Source};
use super::svg;

const STYLE: &str = r#"
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg2: #f6f8fa;
  --ok: #1a7f37; --redir: #0969da; --client: #bc4c00; --server: #cf222e; --none: #6e7781; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff; font: 16px/1.55 system-ui, -apple-system,
  "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.6rem; margin: .5rem 0 0; line-height: 1.25; }
h2 { font-size: 1.3rem; margin: 2rem 0 .75rem; padding-bottom: .25rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 0 0 .5rem; overflow-wrap: anywhere; }
h4 { font-size: .95rem; margin: .75rem 0 .25rem; }
.sub { color: var(--muted); margin: .25rem 0 1rem; overflow-wrap: anywhere; }
nav ol { display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; padding: 0; margin: 0; list-style-position: inside; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.warnings { border: 2px solid #bf8700; background: #fff8c5; border-radius: 6px; padding: .5rem 1rem; }
.warnings h2 { border: 0; margin-top: .5rem; }
figure { margin: 0 0 .75rem; overflow-x: auto; }
figure svg { display: block; width: 100%; min-width: 30rem; height: auto; border: 1px solid var(--line); border-radius: 6px; }
article { border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; margin: 0 0 1rem; }
article dl.facts { margin-top: .5rem; }
.when { color: var(--muted); font-size: .9rem; margin: 0 0 .5rem; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
pre, code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85rem; }
pre.line { background: var(--bg2); padding: .4rem .6rem; margin: 0 0 .5rem; white-space: pre-wrap;
  overflow-wrap: anywhere; border-radius: 4px; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; font-size: .85rem; }
th, td { text-align: left; vertical-align: top; border-top: 1px solid var(--line); padding: .2rem .4rem;
  overflow-wrap: anywhere; }
th { background: var(--bg2); }
td:first-child, th:first-child { width: 38%; }
td code { font-size: .8rem; }
.status { display: inline-block; padding: 0 .4rem; border-radius: 4px; color: #fff; font-weight: 600; }
.s2 { background: var(--ok); } .s3 { background: var(--redir); } .s4 { background: var(--client); }
.s5 { background: var(--server); } .s0 { background: var(--none); }
ul.notes { padding-left: 1.25rem; margin: .5rem 0 0; }
ul.notes li { margin: .35rem 0; }
.cites a { font-size: .8rem; white-space: nowrap; margin-left: .35rem; }
dl.qa dt { font-weight: 600; margin-top: .75rem; }
dl.qa dd { margin: .2rem 0 0 1rem; overflow-wrap: anywhere; }
footer { color: var(--muted); font-size: .85rem; margin: 2rem 0 1rem; }
@media (max-width: 40rem) {
  main { padding: .6rem; }
  .pair { grid-template-columns: 1fr; }
  dl.facts { grid-template-columns: 1fr; gap: 0; }
  dl.facts dd { margin-bottom: .4rem; }
  article { padding: .5rem .6rem; }
}
@media print {
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  figure { overflow: visible; }
  figure svg { min-width: 0; }
  article, tr, figure, dl.qa dd, .warnings { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  a { color: inherit; }
}
"#;

/// The whole report page in `lang`; `input_name` is the file as the user named it.
pub fn render(analysis: &Analysis, lang: Lang, input_name: &str) -> String {
    let l = labels(lang);
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} · {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n\
         <h1>{}</h1>\n<p class=\"sub\">{}</p>\n",
        lang.tag(),
        esc(l.title),
        esc(input_name),
        esc(l.title),
        esc(input_name),
    );
    let show_warnings = !analysis.warnings.is_empty() || analysis.exchanges.is_empty();
    let mut contents = Vec::new();
    if show_warnings {
        contents.push(("warnings", l.warnings));
    }
    contents.extend([
        ("overview", l.overview),
        ("sequence", l.sequence),
        ("waterfall", l.waterfall),
        ("exchanges", l.exchanges),
        ("connections", l.connections),
        ("lab", l.lab_questions),
    ]);
    let _ = write!(out, "<nav aria-label=\"{}\"><ol>", esc(l.contents));
    for (id, name) in &contents {
        let _ = write!(out, "<li><a href=\"#{id}\">{}</a></li>", esc(name));
    }
    out.push_str("</ol></nav>\n");

    // The warnings come first: they say how far the rest can be trusted.
    if show_warnings {
        let _ = write!(
            out,
            "<section id=\"warnings\" class=\"warnings\" role=\"alert\">\n<h2>{}</h2>\n<ul>",
            esc(l.warnings)
        );
        if analysis.exchanges.is_empty() {
            let _ = write!(out, "<li>{}</li>", esc(l.no_http));
        }
        for w in &analysis.warnings {
            let _ = write!(out, "<li>{}</li>", esc(&explain::warning(w, lang)));
        }
        out.push_str("</ul>\n</section>\n");
    }
    overview(&mut out, analysis, lang, input_name);
    // One diagram per connection, so that each can be kept on one printed page.
    let _ = writeln!(
        out,
        "<section id=\"sequence\">\n<h2>{}</h2>",
        esc(l.sequence)
    );
    if analysis.connections.is_empty() {
        let _ = write!(out, "<p>{}</p>", esc(l.none));
    }
    for index in 0..analysis.connections.len() {
        let _ = writeln!(
            out,
            "<figure>{}</figure>",
            svg::sequence_of(analysis, index, lang)
        );
    }
    let _ = write!(
        out,
        "</section>\n<section id=\"waterfall\">\n<h2>{}</h2>\n<figure>{}</figure>\n</section>\n",
        esc(l.waterfall),
        svg::waterfall(analysis, lang),
    );

    let _ = writeln!(
        out,
        "<section id=\"exchanges\">\n<h2>{}</h2>",
        esc(l.exchanges)
    );
    if analysis.exchanges.is_empty() {
        let _ = write!(out, "<p>{}</p>", esc(l.none));
    }
    for (index, x) in analysis.exchanges.iter().enumerate() {
        exchange(&mut out, analysis, index, x, lang);
    }
    out.push_str("</section>\n");

    let _ = writeln!(
        out,
        "<section id=\"connections\">\n<h2>{}</h2>",
        esc(l.connections)
    );
    if analysis.connections.is_empty() {
        let _ = write!(out, "<p>{}</p>", esc(l.none));
    } else {
        notes(
            &mut out,
            &[explain::connections_overview(analysis, lang)],
            "notes",
        );
    }
    for (index, c) in analysis.connections.iter().enumerate() {
        let client = c
            .client
            .map_or_else(|| l.unknown.to_string(), |a| a.to_string());
        let server = c
            .server
            .map_or_else(|| l.unknown.to_string(), |a| a.to_string());
        let _ = write!(
            out,
            "<article id=\"c{}\">\n<h3>{} #{}{} · {} ↔ {}</h3>\n<dl class=\"facts\">\
             <dt>{}</dt><dd>{} – {}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd></dl>\n",
            index + 1,
            esc(l.connection),
            index + 1,
            esc(&c
                .har_id
                .as_ref()
                .map(|id| format!(" (HAR {id})"))
                .unwrap_or_default()),
            esc(&client),
            esc(&server),
            esc(l.open_span),
            esc(&secs(lang, c.opened_at)),
            esc(&secs(lang, c.last_at)),
            esc(l.bytes_to_server),
            c.bytes_to_server,
            esc(l.bytes_to_client),
            c.bytes_to_client,
        );
        notes(
            &mut out,
            &explain::connection(analysis, index, lang),
            "notes",
        );
        out.push_str("</article>\n");
    }
    out.push_str("</section>\n");

    let _ = write!(
        out,
        "<section id=\"lab\">\n<h2>{}</h2>\n<dl class=\"qa\">",
        esc(l.lab_questions)
    );
    for a in explain::lab_answers(analysis, lang) {
        let _ = write!(
            out,
            "<dt>{}</dt><dd>{}{}</dd>",
            esc(&a.question),
            esc(&a.answer),
            cites(&a.cites)
        );
    }
    let _ = writeln!(
        out,
        "</dl>\n</section>\n<footer>{}</footer>\n</main>\n</body>\n</html>",
        esc(l.generated_by)
    );
    out
}

fn overview(out: &mut String, analysis: &Analysis, lang: Lang, input_name: &str) {
    let l = labels(lang);
    let mut facts: Vec<(&str, String)> = vec![(l.input_file, input_name.to_string())];
    match &analysis.source {
        Source::Capture { format, link_types } => {
            facts.push((l.format, (*format).to_string()));
            facts.push((
                l.link_types,
                join_or(l, link_types.iter().map(|s| s.to_string())),
            ));
            facts.push((l.packets, analysis.packets.to_string()));
        }
        Source::Har { creator } => {
            let creator = if creator.is_empty() {
                String::new()
            } else {
                format!(" · {creator}")
            };
            facts.push((l.format, format!("{}{creator}", l.har_format)));
        }
        Source::Unknown => facts.push((l.format, l.unknown.to_string())),
    }
    let distinct = |items: Vec<String>| {
        let mut out: Vec<String> = Vec::new();
        for item in items {
            if !out.contains(&item) {
                out.push(item);
            }
        }
        out
    };
    let clients = distinct(
        analysis
            .connections
            .iter()
            .filter_map(|c| c.client)
            .map(|a| a.to_string())
            .collect(),
    );
    let servers = distinct(
        analysis
            .connections
            .iter()
            .filter_map(|c| c.server)
            .map(|a| a.to_string())
            .collect(),
    );
    // An empty list is "unknown", not "none": a HAR does not record the client's address.
    let known = |items: Vec<String>| {
        if items.is_empty() {
            l.unknown.to_string()
        } else {
            items.join(", ")
        }
    };
    facts.push((l.clients, known(clients)));
    facts.push((l.servers, known(servers)));
    facts.push((l.tcp_connections, analysis.connections.len().to_string()));
    facts.push((l.http_exchanges, analysis.exchanges.len().to_string()));
    let to_server: u64 = analysis.connections.iter().map(|c| c.bytes_to_server).sum();
    let to_client: u64 = analysis.connections.iter().map(|c| c.bytes_to_client).sum();
    facts.push((l.bytes_to_server, to_server.to_string()));
    facts.push((l.bytes_to_client, to_client.to_string()));
    facts.push((l.duration, secs(lang, analysis.duration)));
    let started = analysis
        .started_at_unix
        .filter(|s| s.is_finite() && *s >= 0.0 && *s < 253_402_300_799.0)
        .map(|s| {
            let time = UNIX_EPOCH + Duration::from_secs_f64(s);
            format!("{} UTC", humantime::format_rfc3339_millis(time))
        });
    facts.push((l.started, started.unwrap_or_else(|| l.unknown.to_string())));
    facts.push((
        l.other_traffic,
        join_or(
            l,
            analysis
                .other_traffic
                .iter()
                .map(|(kind, n)| format!("{kind}: {n}")),
        ),
    ));
    let _ = write!(
        out,
        "<section id=\"overview\">\n<h2>{}</h2>\n<dl class=\"facts\">",
        esc(l.overview)
    );
    for (name, value) in facts {
        let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", esc(name), esc(&value));
    }
    out.push_str("</dl>\n</section>\n");
}

fn join_or(l: &Labels, items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        l.none.to_string()
    } else {
        items.join(", ")
    }
}

fn status_class(status: Option<u16>) -> &'static str {
    match status {
        Some(200..=299) => "s2",
        Some(300..=399) => "s3",
        Some(400..=499) => "s4",
        Some(500..=599) => "s5",
        _ => "s0",
    }
}

fn exchange(out: &mut String, analysis: &Analysis, index: usize, x: &Exchange, lang: Lang) {
    let l = labels(lang);
    let r = x.response.as_ref();
    let status = r.map_or_else(
        || l.no_response_short.to_string(),
        |r| format!("{} {}", r.status, r.reason),
    );
    let _ = write!(
        out,
        "<article id=\"x{}\" class=\"exchange\">\n<h3>#{} {} {} <span class=\"status {}\">{}</span></h3>\n\
         <p class=\"when\">{} #{} · {}</p>\n<div class=\"pair\">\n<div>\n<h4>{}</h4>\n<pre class=\"line\">{} {} {}</pre>\n",
        index + 1,
        index + 1,
        esc(&x.request.method),
        esc(&x.request.target),
        status_class(r.map(|r| r.status)),
        esc(&status),
        esc(l.connection),
        x.connection + 1,
        esc(&secs(lang, x.request.at)),
        esc(l.request),
        esc(&x.request.method),
        esc(&x.request.target),
        esc(&x.request.version),
    );
    headers(out, l, &x.request.headers);
    out.push_str("</div>\n<div>\n");
    let _ = writeln!(out, "<h4>{}</h4>", esc(l.response));
    match r {
        Some(r) => {
            let _ = writeln!(
                out,
                "<pre class=\"line\">{} {} {}</pre>",
                esc(&r.version),
                r.status,
                esc(&r.reason)
            );
            headers(out, l, &r.headers);
            let _ = writeln!(
                out,
                "<dl class=\"facts\"><dt>{}</dt><dd>{} {}</dd><dt>{}</dt><dd>{} {}</dd></dl>",
                esc(l.body_wire),
                r.body_wire_bytes,
                esc(l.bytes),
                esc(l.body_decoded),
                r.body_bytes,
                esc(l.bytes),
            );
            if !r.complete {
                let _ = writeln!(out, "<p><strong>{}</strong></p>", esc(l.incomplete));
            }
        }
        None => {
            let _ = writeln!(out, "<p>{}</p>", esc(l.no_response));
        }
    }
    out.push_str("</div>\n</div>\n");
    let _ = writeln!(out, "<h4>{}</h4>", esc(l.explanation));
    notes(out, &explain::exchange(analysis, index, lang), "notes");
    out.push_str("</article>\n");
}

fn headers(out: &mut String, l: &Labels, fields: &[(String, String)]) {
    if fields.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", esc(l.no_headers));
        return;
    }
    let _ = write!(
        out,
        "<table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        esc(l.header_name),
        esc(l.header_value)
    );
    for (name, value) in fields {
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td><code>{}</code></td></tr>",
            esc(name),
            esc(value)
        );
    }
    out.push_str("</tbody></table>\n");
}

fn notes(out: &mut String, notes: &[Note], class: &str) {
    if notes.is_empty() {
        return;
    }
    let _ = write!(out, "<ul class=\"{class}\">");
    for n in notes {
        let _ = write!(out, "<li>{}{}</li>", esc(&n.text), cites(&n.cites));
    }
    out.push_str("</ul>\n");
}

fn cites(cites: &[Cite]) -> String {
    if cites.is_empty() {
        return String::new();
    }
    let mut out = String::from("<span class=\"cites\">");
    for c in cites {
        let _ = write!(out, "<a href=\"{}\">{}</a>", esc(&c.url()), esc(&c.label()));
    }
    out.push_str("</span>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::lab;

    fn headings(lang: Lang) -> Vec<&'static str> {
        let l = labels(lang);
        vec![
            l.overview,
            l.warnings,
            l.sequence,
            l.waterfall,
            l.exchanges,
            l.connections,
            l.lab_questions,
        ]
    }

    #[test]
    fn the_page_is_self_contained_and_has_every_section_in_both_languages() {
        let mut a = lab();
        a.exchanges[1].request.headers.push((
            "X-Evil".into(),
            "<script>alert(1)</script><img src=http://evil.example/x>\"'&".into(),
        ));
        for lang in [Lang::ZhCn, Lang::En] {
            let page = render(&a, lang, "lab<1>.pcapng");
            assert!(page.starts_with("<!DOCTYPE html>\n"));
            assert!(page.contains(&format!("<html lang=\"{}\">", lang.tag())));
            assert!(!page.to_ascii_lowercase().contains("<script"), "script");
            assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=http://evil.example/x&gt;&quot;&#39;&amp;"));
            assert!(page.contains("lab&lt;1&gt;.pcapng"));
            for heading in headings(lang) {
                assert!(
                    page.contains(&format!("{}</h2>", esc(heading))),
                    "{heading}"
                );
            }
            // Nothing is loaded: no stylesheet, font, image or frame from anywhere; the only
            // absolute links are the RFC anchors (and the SVG namespace name, not a request).
            let lower = page.to_ascii_lowercase();
            for forbidden in [
                "<link", "@import", "<img", "<iframe", "<object", "<embed", "src=\"", "src='",
            ] {
                assert!(!lower.contains(forbidden), "{forbidden}");
            }
            // url() only for the SVG's own arrowheads, by fragment.
            assert_eq!(
                lower.matches("url(").count(),
                lower.matches("url(#").count()
            );
            for (at, _) in lower.match_indices("http") {
                let rest = &lower[at..];
                assert!(
                    rest.starts_with("https://www.rfc-editor.org/rfc/rfc")
                        || rest.starts_with("http://www.w3.org/2000/svg\"")
                        || rest.starts_with("http://evil.example/x&gt;")
                        || !(rest.starts_with("http://") || rest.starts_with("https://")),
                    "{}",
                    &rest[..rest.len().min(60)]
                );
            }
            assert!(page.contains("href=\"https://www.rfc-editor.org/rfc/rfc9110#section-15.3.7\""));
        }
        // Every label differs between the languages where it should exist in both.
        for (zh, en) in headings(Lang::ZhCn).iter().zip(headings(Lang::En)) {
            assert_ne!(*zh, en);
        }
    }

    #[test]
    fn an_input_without_http_is_still_a_report() {
        let a = Analysis {
            source: Source::Capture {
                format: "pcap",
                link_types: vec!["Ethernet"],
            },
            other_traffic: vec![("TLS".into(), 40)],
            ..Analysis::default()
        };
        let page = render(&a, Lang::En, "empty.pcap");
        assert!(page.contains(labels(Lang::En).no_http));
        assert!(page.contains("TLS: 40"));
        assert!(page.ends_with("</html>\n"));
    }
}
