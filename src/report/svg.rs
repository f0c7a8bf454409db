//! The sequence diagram and the waterfall as standalone SVG (usable inline in the HTML page or
//! saved as files): a fixed `viewBox` that scales to any width, escaped text, a `<title>` and
//! `<desc>` for screen readers, and status classes told by text as well as colour.

use std::fmt::Write;

use crate::config::Lang;

use super::escape::{cut, text as esc};
use super::explain::{secs, segment_text};
use super::labels::labels;
use super::model::{Analysis, Close, Direction};

/// Width of both diagrams in SVG units; at 360 px the scale is 0.69, so 12-unit text is 8 px.
const WIDTH: f64 = 520.0;
const CLIENT_X: f64 = 96.0;
const SERVER_X: f64 = 508.0;
const ROW: f64 = 30.0;

/// The fill of a status class, and its name in the legend.
fn status_colour(status: Option<u16>) -> &'static str {
    match status {
        Some(200..=299) => "#1a7f37",
        Some(300..=399) => "#0969da",
        Some(400..=499) => "#bc4c00",
        Some(500..=599) => "#cf222e",
        _ => "#6e7781",
    }
}

fn open_svg(out: &mut String, height: f64, title: &str, desc: &str, id: &str) {
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" \
         width=\"100%\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" \
         font-family=\"ui-monospace, SFMono-Regular, Menlo, Consolas, monospace\" font-size=\"11\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>\
         <defs><marker id=\"{id}-arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
         markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">\
         <path d=\"M0,0 L10,5 L0,10 z\" fill=\"context-stroke\"/></marker></defs>\
         <rect width=\"{WIDTH}\" height=\"{height}\" fill=\"#ffffff\"/>",
        esc(title),
        esc(desc)
    );
}

/// One arrow between the lifelines, with its label above and its time on the left.
struct Arrow {
    at: f64,
    direction: Direction,
    label: String,
    detail: String,
    colour: &'static str,
    dashed: bool,
}

/// The sequence diagram: per connection a pair of lifelines (client, server) with the
/// handshake, each request and response, and the teardown; who closed first is marked.
pub fn sequence(analysis: &Analysis, lang: Lang) -> String {
    draw_sequence(analysis, lang, None, "seq")
}

/// The sequence diagram of connection `index` alone: the HTML page shows one per connection,
/// so that each fits on a printed page.
pub fn sequence_of(analysis: &Analysis, index: usize, lang: Lang) -> String {
    draw_sequence(analysis, lang, Some(index), &format!("seq{index}"))
}

fn draw_sequence(analysis: &Analysis, lang: Lang, only: Option<usize>, id: &str) -> String {
    let l = labels(lang);
    let mut blocks = Vec::new();
    let chosen = analysis
        .connections
        .iter()
        .enumerate()
        .filter(|(i, _)| only.is_none_or(|o| o == *i));
    for (index, c) in chosen {
        let mut arrows = Vec::new();
        if let Some(h) = &c.handshake {
            for s in [Some(&h.syn), h.syn_ack.as_ref(), h.ack.as_ref()]
                .into_iter()
                .flatten()
            {
                arrows.push(Arrow {
                    at: s.at,
                    direction: s.direction,
                    label: s.flags.clone(),
                    detail: segment_text(s),
                    colour: "#57606a",
                    dashed: true,
                });
            }
        }
        for x in analysis.exchanges.iter().filter(|x| x.connection == index) {
            let extra = x
                .request
                .header("Range")
                .map(|r| format!("Range: {r}"))
                .or_else(|| {
                    x.request
                        .header("If-None-Match")
                        .map(|v| format!("If-None-Match: {v}"))
                })
                .unwrap_or_default();
            arrows.push(Arrow {
                at: x.request.at,
                direction: Direction::ToServer,
                label: format!("{} {}", x.request.method, x.request.target),
                detail: extra,
                colour: "#24292f",
                dashed: false,
            });
            if let Some(r) = &x.response {
                arrows.push(Arrow {
                    at: r.at,
                    direction: Direction::ToClient,
                    label: format!("{} {}", r.status, r.reason),
                    detail: format!("{} {}", r.body_bytes, l.bytes),
                    colour: status_colour(Some(r.status)),
                    dashed: false,
                });
            }
        }
        for s in &c.teardown {
            arrows.push(Arrow {
                at: s.at,
                direction: s.direction,
                label: s.flags.clone(),
                detail: segment_text(s),
                colour: if s.flags.contains("RST") {
                    "#cf222e"
                } else {
                    "#57606a"
                },
                dashed: true,
            });
        }
        arrows.sort_by(|a, b| a.at.total_cmp(&b.at));
        blocks.push((index, c, arrows));
    }

    let header = 44.0;
    let footer = 26.0;
    let height: f64 = 8.0
        + blocks
            .iter()
            .map(|(_, _, arrows)| header + footer + ROW * arrows.len().max(1) as f64)
            .sum::<f64>();
    let height = height.max(60.0);
    let mut out = String::new();
    let title = match only {
        Some(index) => format!("{} · {} #{}", l.sequence, l.connection, index + 1),
        None => l.sequence.to_string(),
    };
    open_svg(&mut out, height, &title, l.sequence_alt, id);
    if blocks.is_empty() {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"34\" text-anchor=\"middle\">{}</text>",
            WIDTH / 2.0,
            esc(l.none)
        );
    }
    let mut y = 8.0;
    for (index, c, arrows) in &blocks {
        let top = y;
        let bottom = y + header + ROW * arrows.len().max(1) as f64 + 6.0;
        let client = c
            .client
            .map_or_else(|| l.client.to_string(), |a| format!("{} {a}", l.client));
        let server = c
            .server
            .map_or_else(|| l.server.to_string(), |a| format!("{} {a}", l.server));
        let har_id = c
            .har_id
            .as_ref()
            .map(|id| format!(" (HAR {id})"))
            .unwrap_or_default();
        let _ = write!(
            out,
            "<g><text x=\"4\" y=\"{:.1}\" font-weight=\"bold\" font-size=\"12\">{} #{}{}</text>\
             <text x=\"{CLIENT_X}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\">{}</text>\
             <text x=\"{SERVER_X}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"10\">{}</text>\
             <line x1=\"{CLIENT_X}\" y1=\"{:.1}\" x2=\"{CLIENT_X}\" y2=\"{bottom:.1}\" stroke=\"#8c959f\"/>\
             <line x1=\"{SERVER_X}\" y1=\"{:.1}\" x2=\"{SERVER_X}\" y2=\"{bottom:.1}\" stroke=\"#8c959f\"/>",
            top + 13.0,
            esc(l.connection),
            index + 1,
            esc(&har_id),
            top + 28.0,
            esc(&client),
            top + 28.0,
            esc(&server),
            top + 34.0,
            top + 34.0,
        );
        for (row, a) in arrows.iter().enumerate() {
            let ay = top + header + ROW * row as f64 + 18.0;
            let (x1, x2) = match a.direction {
                Direction::ToServer => (CLIENT_X, SERVER_X),
                Direction::ToClient => (SERVER_X, CLIENT_X),
            };
            let mid = (CLIENT_X + SERVER_X) / 2.0;
            let dash = if a.dashed {
                " stroke-dasharray=\"4 3\""
            } else {
                ""
            };
            let _ = write!(
                out,
                "<g><title>{}</title>\
                 <text x=\"4\" y=\"{:.1}\" font-size=\"9\" fill=\"#57606a\">{}</text>\
                 <line x1=\"{x1}\" y1=\"{ay:.1}\" x2=\"{x2}\" y2=\"{ay:.1}\" stroke=\"{}\" stroke-width=\"1.5\"{dash} marker-end=\"url(#{id}-arrow)\"/>\
                 <text x=\"{mid}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{}\" font-weight=\"bold\">{}</text>\
                 <text x=\"{mid}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"9\" fill=\"#57606a\">{}</text></g>",
                esc(&format!("{} {} {}", secs(lang, a.at), a.label, a.detail)),
                ay - 2.0,
                esc(&format!("{:.6}", a.at)),
                a.colour,
                ay - 4.0,
                a.colour,
                esc(&cut(&a.label, 56)),
                ay + 10.0,
                esc(&cut(&a.detail, 68)),
            );
        }
        let closing = match (c.close, c.closed_by) {
            (Some(Close::Rst), Some(by)) => Some((by, format!("RST · {}", l.closed_first))),
            (Some(Close::Fin), Some(by)) => Some((by, format!("FIN · {}", l.closed_first))),
            (Some(Close::Open), _) => Some((Direction::ToServer, l.still_open.to_string())),
            _ => None,
        };
        if let Some((by, note)) = closing {
            let (x, anchor) = match by {
                Direction::ToServer => (CLIENT_X, "middle"),
                Direction::ToClient => (SERVER_X, "end"),
            };
            let _ = write!(
                out,
                "<text x=\"{x}\" y=\"{:.1}\" text-anchor=\"{anchor}\" font-size=\"10\" font-weight=\"bold\" fill=\"#cf222e\">✕ {}</text>",
                bottom + 14.0,
                esc(&note)
            );
        }
        out.push_str("</g>");
        y = bottom + footer - 6.0;
    }
    out.push_str("</svg>");
    out
}

/// A stretch of the waterfall's time axis and where it is drawn.
#[derive(Debug, Clone, Copy)]
struct Piece {
    t0: f64,
    t1: f64,
    x0: f64,
    x1: f64,
    /// An idle gap drawn shorter than its length.
    shortened: bool,
}

/// The waterfall's time axis from 0 to the last response's end, over `x0..x0 + width`.
/// Idle gaps much longer than the busy time (a revisit seconds after the first visit) are
/// drawn short, so that the requests of each visit do not shrink to slivers.
fn time_axis(spans: &[(f64, f64)], x0: f64, width: f64) -> Vec<Piece> {
    let mut busy: Vec<(f64, f64)> = Vec::new();
    let mut sorted: Vec<(f64, f64)> = spans
        .iter()
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .map(|&(a, b)| (a.max(0.0), b.max(a.max(0.0))))
        .collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (a, b) in sorted {
        match busy.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => busy.push((a, b)),
        }
    }
    // Pieces in time order: the gaps before each busy span, and the spans.
    let mut raw: Vec<(f64, f64, bool)> = Vec::new();
    let mut t = 0.0;
    for &(a, b) in &busy {
        if a > t {
            raw.push((t, a, true));
        }
        raw.push((a, b, false));
        t = b;
    }
    let busy_total: f64 = busy.iter().map(|(a, b)| b - a).sum::<f64>().max(1e-3);
    let long = |(a, b, gap): &(f64, f64, bool)| *gap && b - a > 2.0 * busy_total;
    let kept: f64 = raw.iter().filter(|p| !long(p)).map(|(a, b, _)| b - a).sum();
    let kept = kept.max(1e-3);
    // A shortened gap is drawn as long as a tenth of everything else.
    let weight = |p: &(f64, f64, bool)| if long(p) { kept / 10.0 } else { p.1 - p.0 };
    let total: f64 = raw.iter().map(weight).sum::<f64>().max(1e-9);
    let mut x = x0;
    let mut pieces = Vec::new();
    for p in &raw {
        let w = weight(p) / total * width;
        pieces.push(Piece {
            t0: p.0,
            t1: p.1,
            x0: x,
            x1: x + w,
            shortened: long(p),
        });
        x += w;
    }
    if pieces.is_empty() {
        pieces.push(Piece {
            t0: 0.0,
            t1: 1e-3,
            x0,
            x1: x0 + width,
            shortened: false,
        });
    }
    pieces
}

/// Where time `t` is drawn on `axis`.
fn x_at(axis: &[Piece], t: f64) -> f64 {
    let Some(piece) = axis.iter().find(|p| t <= p.t1).or_else(|| axis.last()) else {
        return 0.0;
    };
    let span = piece.t1 - piece.t0;
    let f = if span > 0.0 {
        ((t - piece.t0) / span).clamp(0.0, 1.0)
    } else {
        0.0
    };
    piece.x0 + f * (piece.x1 - piece.x0)
}

/// The waterfall: one row per exchange on a shared time axis, from the request to the end of
/// the response, coloured by status class, with the status also written at the row's end.
pub fn waterfall(analysis: &Analysis, lang: Lang) -> String {
    let l = labels(lang);
    let label_w = 190.0;
    let status_w = 40.0;
    let bar_x = label_w + 4.0;
    let bar_w = WIDTH - bar_x - status_w - 4.0;
    let top = 30.0;
    let row = 20.0;
    let legend = 28.0;
    let rows = analysis.exchanges.len();
    let bottom = top + row * rows.max(1) as f64;
    let height = bottom + legend + 8.0;
    let spans: Vec<(f64, f64)> = analysis
        .exchanges
        .iter()
        .map(|x| {
            let end = x.response.as_ref().map_or(x.request.at, |r| r.end_at);
            (x.request.at, end)
        })
        .collect();
    let axis = time_axis(&spans, bar_x, bar_w);
    let mut out = String::new();
    open_svg(&mut out, height, l.waterfall, l.waterfall_alt, "wf");
    // Ticks at 0, after each shortened gap, and at the end; labels that would overlap the
    // previous one are left out.
    let mut ticks = vec![0.0];
    for p in axis.iter().filter(|p| p.shortened) {
        let _ = write!(
            out,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#eaeef2\"><title>{}</title></rect>",
            p.x0,
            top - 6.0,
            (p.x1 - p.x0).max(1.0),
            bottom - top + 6.0,
            esc(&format!("{} {}", l.idle_gap, secs(lang, p.t1 - p.t0)))
        );
        ticks.push(p.t1);
    }
    ticks.push(axis.last().map_or(0.0, |p| p.t1));
    let mut last_label = f64::NEG_INFINITY;
    for (i, t) in ticks.iter().enumerate() {
        let x = x_at(&axis, *t);
        let _ = write!(
            out,
            "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{bottom:.1}\" stroke=\"#d0d7de\"/>",
            top - 6.0
        );
        let anchor = if i == 0 {
            "start"
        } else if i + 1 == ticks.len() {
            "end"
        } else {
            "middle"
        };
        // The end label is right-aligned, so it only needs room to its left.
        let left_edge = match anchor {
            "start" => x,
            "end" => x - 44.0,
            _ => x - 22.0,
        };
        if left_edge >= last_label + 4.0 {
            let _ = write!(
                out,
                "<text x=\"{x:.1}\" y=\"16\" text-anchor=\"{anchor}\" font-size=\"9\" fill=\"#57606a\">{}</text>",
                esc(&secs(lang, *t))
            );
            last_label = left_edge + 44.0;
        }
    }
    if rows == 0 {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            WIDTH / 2.0,
            top + 14.0,
            esc(l.none)
        );
    }
    for (i, x) in analysis.exchanges.iter().enumerate() {
        let y = top + row * i as f64;
        let status = x.response.as_ref().map(|r| r.status);
        let finish = x.response.as_ref().map_or(x.request.at, |r| r.end_at);
        let x1 = x_at(&axis, x.request.at);
        let w = (x_at(&axis, finish) - x1).max(2.0);
        let colour = status_colour(status);
        let label = format!("{} {}", x.request.method, x.request.target);
        let status_text = status.map_or_else(|| "—".to_string(), |s| s.to_string());
        let _ = write!(
            out,
            "<g><title>{}</title>\
             <text x=\"4\" y=\"{:.1}\">#{} {}</text>\
             <rect x=\"{x1:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"10\" rx=\"2\" fill=\"{colour}\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" font-weight=\"bold\" fill=\"{colour}\">{}</text></g>",
            esc(&format!(
                "{label} → {} ({} – {})",
                status.map_or_else(|| l.no_response_short.to_string(), |s| s.to_string()),
                secs(lang, x.request.at),
                secs(lang, finish)
            )),
            y + 13.0,
            x.connection + 1,
            esc(&cut(&label, 26)),
            y + 4.0,
            WIDTH - 4.0,
            y + 13.0,
            esc(&status_text),
        );
    }
    let ly = bottom + 18.0;
    let _ = write!(
        out,
        "<text x=\"4\" y=\"{ly:.1}\" font-weight=\"bold\">{}</text>",
        esc(l.legend)
    );
    let classes: [(&str, &str); 6] = [
        (status_colour(Some(200)), "2xx"),
        (status_colour(Some(300)), "3xx"),
        (status_colour(Some(400)), "4xx"),
        (status_colour(Some(500)), "5xx"),
        (status_colour(None), l.no_response_short),
        ("#eaeef2", l.idle_gap),
    ];
    let mut lx = 56.0;
    for (colour, name) in classes {
        let _ = write!(
            out,
            "<rect x=\"{lx}\" y=\"{:.1}\" width=\"12\" height=\"10\" fill=\"{colour}\" stroke=\"#8c959f\" stroke-width=\"0.5\"/>\
             <text x=\"{}\" y=\"{ly:.1}\">{}</text>",
            ly - 9.0,
            lx + 15.0,
            esc(name)
        );
        // Monospace Latin is 0.6 em wide, CJK 1 em.
        let width: f64 = name
            .chars()
            .map(|c| if c.is_ascii() { 6.6 } else { 11.0 })
            .sum();
        lx += 15.0 + width + 12.0;
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::lab;

    /// Well-formed XML with one root: every tag closed in order (a small check without an XML
    /// crate; quick-xml is in the tree and does it properly).
    fn assert_well_formed(svg: &str) {
        let mut reader = quick_xml::Reader::from_str(svg);
        let mut depth = 0i32;
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Start(_)) => depth += 1,
                Ok(quick_xml::events::Event::End(_)) => depth -= 1,
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("{e}: {svg}"),
            }
        }
        assert_eq!(depth, 0);
    }

    #[test]
    fn sequence_shows_handshake_requests_and_teardown() {
        let svg = sequence(&lab(), Lang::En);
        assert_well_formed(&svg);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox="));
        for expected in [
            "<title",
            "SYN, ACK",
            "MSS=65495 WS=128 SACK_PERM",
            "GET /assets/introduction.beb479c2.mp3",
            "Range: bytes=0-",
            "206 Partial Content",
            "73178 bytes",
            "RST, ACK",
            "closed first",
            "192.168.1.10:51002",
        ] {
            assert!(svg.contains(expected), "{expected}");
        }
    }

    #[test]
    fn one_connection_alone() {
        let svg = sequence_of(&lab(), 1, Lang::ZhCn);
        assert_well_formed(&svg);
        assert!(svg.contains("连接 #2") && !svg.contains("连接 #1"));
        assert!(svg.contains("url(#seq1-arrow)") && svg.contains("id=\"seq1-arrow\""));
        assert!(sequence_of(&lab(), 9, Lang::En).contains("none"));
    }

    #[test]
    fn waterfall_has_a_row_per_exchange_and_a_legend() {
        let a = lab();
        let svg = waterfall(&a, Lang::ZhCn);
        assert_well_formed(&svg);
        // A row each, six legend swatches, and the idle gap before the revisit.
        assert_eq!(svg.matches("<rect x=").count(), a.exchanges.len() + 6 + 1);
        assert!(svg.contains("图例") && svg.contains(">304<") && svg.contains(">404<"));
    }

    #[test]
    fn long_idle_gaps_are_shortened() {
        let axis = time_axis(&[(0.0, 0.05), (0.01, 0.04), (5.0, 5.01)], 0.0, 100.0);
        let gaps: Vec<&Piece> = axis.iter().filter(|p| p.shortened).collect();
        assert_eq!(gaps.len(), 1);
        assert!((gaps[0].t0 - 0.05).abs() < 1e-9 && (gaps[0].t1 - 5.0).abs() < 1e-9);
        assert!((x_at(&axis, 5.01) - 100.0).abs() < 1e-9);
        assert!(x_at(&axis, 0.05) > 60.0, "{axis:?}");
        let even = time_axis(&[(0.0, 1.0), (1.5, 2.0)], 0.0, 100.0);
        assert!(even.iter().all(|p| !p.shortened));
        assert!((x_at(&even, 1.0) - 50.0).abs() < 1e-9);
        assert_eq!(x_at(&time_axis(&[], 0.0, 100.0), 0.0), 0.0);
        let odd = time_axis(&[(f64::NAN, 1.0), (2.0, 1.0)], 0.0, 100.0);
        assert!(odd.iter().all(|p| p.x0.is_finite() && p.x1.is_finite()));
    }

    #[test]
    fn hostile_text_is_escaped_and_empty_input_draws() {
        let mut a = lab();
        a.exchanges[0].request.target = "/<script>\u{1}&\"".into();
        for svg in [sequence(&a, Lang::En), waterfall(&a, Lang::En)] {
            assert_well_formed(&svg);
            assert!(!svg.contains("<script"));
        }
        let empty = Analysis::default();
        assert_well_formed(&sequence(&empty, Lang::En));
        assert_well_formed(&waterfall(&empty, Lang::ZhCn));
    }
}
