//! The sequence diagram as Mermaid `sequenceDiagram` text, for Markdown reports (GitHub,
//! Typora and most note tools draw it).

use std::fmt::Write;

use crate::config::Lang;

use super::explain::segment_text;
use super::labels::labels;
use super::model::{Analysis, Close, Direction, Segment};

/// Text Mermaid shows literally: `;` (a statement separator), `#` (starts an entity), `:`
/// (separates the message), `<` and `>` (HTML) and `%` as entity codes; line breaks as spaces.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            ';' => out.push_str("#59;"),
            '#' => out.push_str("#35;"),
            ':' => out.push_str("#58;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '%' => out.push_str("#37;"),
            '"' => out.push_str("#quot;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The Mermaid source: one client participant per connection, one per distinct server, the
/// handshake, requests, responses and teardown in time order.
pub fn sequence(analysis: &Analysis, lang: Lang) -> String {
    let l = labels(lang);
    let mut out = String::from("sequenceDiagram\n");
    let mut servers: Vec<String> = Vec::new();
    let mut server_of = Vec::new();
    for (i, c) in analysis.connections.iter().enumerate() {
        let client = c.client.map_or_else(String::new, |a| format!(" {a}"));
        let _ = writeln!(
            out,
            "    participant C{} as {}",
            i + 1,
            escape(&format!("{} #{}{client}", l.client, i + 1))
        );
        let server = c
            .server
            .map_or_else(|| l.server.to_string(), |a| a.to_string());
        let index = match servers.iter().position(|s| *s == server) {
            Some(index) => index,
            None => {
                servers.push(server.clone());
                servers.len() - 1
            }
        };
        server_of.push(index);
    }
    for (i, s) in servers.iter().enumerate() {
        let _ = writeln!(
            out,
            "    participant S{} as {}",
            i + 1,
            escape(&format!("{} {s}", l.server))
        );
    }
    // (time, order within the time, line)
    let mut lines: Vec<(f64, usize, String)> = Vec::new();
    for (i, c) in analysis.connections.iter().enumerate() {
        let client = format!("C{}", i + 1);
        let server = format!("S{}", server_of.get(i).map_or(1, |s| s + 1));
        let arrow = |d: Direction, dashed: bool| {
            let head = if dashed { "-->>" } else { "->>" };
            match d {
                Direction::ToServer => format!("{client}{head}{server}"),
                Direction::ToClient => format!("{server}{head}{client}"),
            }
        };
        let segment_line = |s: &Segment| {
            format!(
                "{}: {}",
                arrow(s.direction, true),
                escape(&format!("{:.6} {}", s.at, segment_text(s)))
            )
        };
        if let Some(h) = &c.handshake {
            for s in [Some(&h.syn), h.syn_ack.as_ref(), h.ack.as_ref()]
                .into_iter()
                .flatten()
            {
                lines.push((s.at, lines.len(), segment_line(s)));
            }
        }
        for x in analysis.exchanges.iter().filter(|x| x.connection == i) {
            lines.push((
                x.request.at,
                lines.len(),
                format!(
                    "{}: {}",
                    arrow(Direction::ToServer, false),
                    escape(&format!(
                        "{:.6} {} {}",
                        x.request.at, x.request.method, x.request.target
                    ))
                ),
            ));
            if let Some(r) = &x.response {
                lines.push((
                    r.at,
                    lines.len(),
                    format!(
                        "{}: {}",
                        arrow(Direction::ToClient, false),
                        escape(&format!(
                            "{:.6} {} {} ({} {})",
                            r.at, r.status, r.reason, r.body_bytes, l.bytes
                        ))
                    ),
                ));
            }
        }
        for s in &c.teardown {
            lines.push((s.at, lines.len(), segment_line(s)));
        }
        let who = match c.closed_by {
            Some(Direction::ToServer) => Some(&client),
            Some(Direction::ToClient) => Some(&server),
            None => None,
        };
        if let (Some(close), Some(who)) = (c.close, who) {
            let how = match close {
                Close::Fin => "FIN",
                Close::Rst => "RST",
                Close::Open => "open",
            };
            let at = c.teardown.first().map_or(c.last_at, |s| s.at);
            lines.push((
                at,
                lines.len(),
                format!(
                    "Note over {who}: {}",
                    escape(&format!("{how} {}", l.closed_first))
                ),
            ));
        }
    }
    lines.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    for (_, _, line) in lines {
        let _ = writeln!(out, "    {line}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::lab;

    #[test]
    fn mermaid_has_every_message_escaped() {
        let text = sequence(&lab(), Lang::En);
        assert!(text.starts_with("sequenceDiagram\n"));
        assert!(text.contains("participant C2 as client #35;2 192.168.1.10#58;51002"));
        assert!(text.contains("C1->>S1: 0.015000 GET /assets/introduction.beb479c2.mp3"));
        assert!(text.contains("S1->>C1: 0.017000 206 Partial Content (73178 bytes)"));
        assert!(text.contains("C2-->>S1: 1.500000 [RST, ACK]"));
        assert!(text.contains("Note over C2: RST closed first"));
        // Each message has exactly one unescaped ':' after the arrow.
        for line in text.lines().skip(1).filter(|l| l.contains(">>")) {
            let bare = strip_entities(line);
            assert_eq!(bare.matches(':').count(), 1, "{line}");
            assert!(!bare.contains(';'), "{line}");
        }
    }

    /// The line without its `#...;` entity codes.
    fn strip_entities(line: &str) -> String {
        let mut out = String::new();
        let mut rest = line;
        while let Some(at) = rest.find('#') {
            out.push_str(&rest[..at]);
            match rest[at..].find(';') {
                Some(end) => rest = &rest[at + end + 1..],
                None => {
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn hostile_targets_cannot_break_out() {
        let mut a = lab();
        a.exchanges[0].request.target = "/a;b#c:d\nNote over C1: x<br>%%".into();
        let text = sequence(&a, Lang::ZhCn);
        let line = text.lines().find(|l| l.contains("/a")).unwrap();
        let bare = strip_entities(line);
        assert_eq!(bare.matches(':').count(), 1, "{line}");
        assert!(!bare.contains(';') && !line.contains('<') && !line.contains('%'));
        assert!(line.contains("/a#59;b#35;c#58;d Note over C1"), "{line}");
        assert_eq!(
            text.lines()
                .filter(|l| l.trim_start().starts_with("Note over C1"))
                .count(),
            1
        );
    }
}
