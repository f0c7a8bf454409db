//! Plain-language explanations of what the analysis shows, in Chinese and English, each with
//! the RFC sections behind it. Sentences quote the data (header values, times, sequence
//! numbers); they are plain text, which the renderers escape.

use crate::config::Lang;

use super::labels::pick;
use super::model::{
    Analysis, Close, Connection, Direction, Exchange, Segment, TcpOptions, Warning,
};

/// A section of an RFC, linkable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cite {
    /// The RFC's number: 9110 (HTTP semantics), 9111 (caching), 9112 (HTTP/1.1), 9293 (TCP),
    /// 7323 (window scale), 2018 (SACK).
    pub rfc: u16,
    /// The section, "15.3.7".
    pub section: &'static str,
}

impl Cite {
    /// The section's address on rfc-editor.org.
    pub fn url(&self) -> String {
        format!(
            "https://www.rfc-editor.org/rfc/rfc{}#section-{}",
            self.rfc, self.section
        )
    }

    /// "RFC 9110 §15.3.7".
    pub fn label(&self) -> String {
        format!("RFC {} §{}", self.rfc, self.section)
    }
}

const fn cite(rfc: u16, section: &'static str) -> Cite {
    Cite { rfc, section }
}

/// One explained point: a paragraph and its citations.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub text: String,
    pub cites: Vec<Cite>,
}

fn note(text: String, cites: &[Cite]) -> Note {
    Note {
        text,
        cites: cites.to_vec(),
    }
}

/// One of the lab's questions and its answer from the data.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub question: String,
    pub answer: String,
    pub cites: Vec<Cite>,
}

/// Seconds with millisecond precision, "1.234 s" / "1.234 秒".
pub fn secs(lang: Lang, s: f64) -> String {
    match lang {
        Lang::ZhCn | Lang::ZhTw => format!("{s:.3} 秒"),
        Lang::En => format!("{s:.3} s"),
    }
}

/// Seconds with microsecond precision, as Wireshark shows segment times.
pub fn secs_fine(lang: Lang, s: f64) -> String {
    match lang {
        Lang::ZhCn | Lang::ZhTw => format!("{s:.6} 秒"),
        Lang::En => format!("{s:.6} s"),
    }
}

/// A duration in whole days, hours, minutes and seconds: "365 days", "1 h 30 min".
fn span(lang: Lang, seconds: u64) -> String {
    let units: [(u64, &str, &str); 4] = [
        (86400, " 天", " days"),
        (3600, " 小时", " h"),
        (60, " 分钟", " min"),
        (1, " 秒", " s"),
    ];
    let mut left = seconds;
    let mut parts = Vec::new();
    for (size, zh, en) in units {
        if left >= size {
            let n = left / size;
            left %= size;
            let unit = match lang {
                Lang::ZhCn | Lang::ZhTw => zh,
                Lang::En if size == 86400 && n == 1 => " day",
                Lang::En => en,
            };
            parts.push(format!("{n}{unit}"));
        }
    }
    if parts.is_empty() {
        parts.push(pick(lang, "0 秒".into(), "0 s".into()));
    }
    parts.join(" ")
}

/// A warning as one sentence in `lang` (`Warning::Other` is the reader's English sentence).
pub fn warning(w: &Warning, lang: Lang) -> String {
    let toward = |d: &Direction| match (lang, d) {
        (Lang::ZhCn | Lang::ZhTw, Direction::ToServer) => "发往服务器",
        (Lang::ZhCn | Lang::ZhTw, Direction::ToClient) => "发往客户端",
        (Lang::En, Direction::ToServer) => "to the server",
        (Lang::En, Direction::ToClient) => "to the client",
    };
    match w {
        Warning::Truncated { packets_read } => pick(
            lang,
            format!("抓包文件在一条记录的中间结束（文件被截断，或抓包时仍在写入）：报告的是之前读到的 {packets_read} 个数据包。"),
            format!("The capture ends in the middle of a record (the file was cut, or still being written): the {packets_read} packets before it are reported."),
        ),
        Warning::MissingData { connection, direction, bytes, at } => pick(
            lang,
            format!("连接 #{}：{} {} 的 {bytes} 字节没有被抓到，之后的 HTTP 无法读出，也不做猜测。", connection + 1, secs(lang, *at), toward(direction)),
            format!("Connection #{}: {bytes} bytes {} at {} were never captured; the HTTP after them cannot be read and is not guessed.", connection + 1, toward(direction), secs(lang, *at)),
        ),
        Warning::SnapLength { packets } => pick(
            lang,
            format!("{packets} 个数据包被抓包的截断长度（snap length）截短，超出部分的内容缺失。"),
            format!("{packets} packets were cut by the capture's snap length: their payload beyond it is missing."),
        ),
        Warning::NotHttp { connection, direction, at } => pick(
            lang,
            format!("连接 #{}：从 {} 起{}的字节不是 HTTP/1.x。", connection + 1, secs(lang, *at), toward(direction)),
            format!("Connection #{}: the bytes {} from {} on are not HTTP/1.x.", connection + 1, toward(direction), secs(lang, *at)),
        ),
        Warning::Other(text) => text.clone(),
    }
}

/// The `index`-th exchange explained: its status, the conditional request and validators,
/// ranges, caching, the connection it went on.
pub fn exchange(analysis: &Analysis, index: usize, lang: Lang) -> Vec<Note> {
    let Some(x) = analysis.exchanges.get(index) else {
        return Vec::new();
    };
    let mut notes = Vec::new();
    notes.extend(status(x, lang));
    notes.extend(conditional(x, lang));
    notes.extend(validators(x, lang));
    notes.extend(caching(x, lang));
    notes.extend(body(x, lang));
    notes.extend(on_connection(analysis, index, lang));
    notes
}

fn status(x: &Exchange, lang: Lang) -> Option<Note> {
    let req = &x.request;
    let Some(r) = &x.response else {
        return Some(note(
            pick(
                lang,
                format!("{} {} 没有看到响应：请求被取消，服务器没有回答，或抓包在响应到达之前停止。", req.method, req.target),
                format!("No response to {} {} was seen: the request was cancelled, the server never answered, or the capture stopped before it came.", req.method, req.target),
            ),
            &[],
        ));
    };
    let h = |name| r.header(name).unwrap_or("");
    let code = r.status;
    let line = format!("{} {}", r.status, r.reason).trim_end().to_string();
    Some(match code {
        200 => note(
            pick(
                lang,
                format!("{line}：请求成功，响应的内容（{} 字节{}）就是 {} 的表示。", r.body_bytes, type_of(r.header("Content-Type"), lang), req.target),
                format!("{line}: the request succeeded; the content ({} bytes{}) is the representation of {}.", r.body_bytes, type_of(r.header("Content-Type"), lang), req.target),
            ),
            &[cite(9110, "15.3.1")],
        ),
        206 => {
            let range = req.header("Range").unwrap_or("");
            let why_audio = if range.trim() == "bytes=0-" {
                pick(
                    lang,
                    "浏览器的 <audio>/<video> 元素总是先用 Range: bytes=0-（从第 0 字节到结尾）请求：如果服务器回答 206 和 Content-Range，浏览器就知道它支持范围请求，之后拖动进度条时只请求需要的那一段，而不必下载整个文件。".into(),
                    "A browser's <audio> or <video> element asks with Range: bytes=0- (from byte 0 to the end): a 206 with Content-Range tells it the server supports ranges, so seeking later asks only for the part needed instead of the whole file.".into(),
                )
            } else {
                String::new()
            };
            note(
                pick(
                    lang,
                    format!("{line}：只发送了请求的范围。请求带有 Range: {range}，响应的 Content-Range: {} 说明发送的是哪些字节以及完整长度（本次 {} 字节）。{why_audio}", h("Content-Range"), r.body_bytes),
                    format!("{line}: only the range asked for was sent. The request had Range: {range}; the response's Content-Range: {} says which bytes these are and the full length ({} bytes sent). {why_audio}", h("Content-Range"), r.body_bytes),
                ),
                &[cite(9110, "15.3.7"), cite(9110, "14.2"), cite(9110, "14.4")],
            )
        }
        304 => note(
            pick(
                lang,
                format!("{line}：条件请求的验证器与当前表示一致，所以服务器没有发送内容（0 字节），浏览器继续使用它缓存的副本。"),
                format!("{line}: the conditional request's validator matched the current representation, so the server sent no content (0 bytes) and the browser uses its cached copy."),
            ),
            &[cite(9110, "15.4.5")],
        ),
        301 | 302 | 303 | 307 | 308 => {
            let section = match code {
                301 => "15.4.2",
                302 => "15.4.3",
                303 => "15.4.4",
                307 => "15.4.8",
                _ => "15.4.9",
            };
            let permanent = matches!(code, 301 | 308);
            note(
                pick(
                    lang,
                    format!("{line}：重定向到 Location: {}；浏览器随后请求这个新地址{}。", h("Location"), if permanent { "，并可以记住这是永久的" } else { "" }),
                    format!("{line}: a redirect to Location: {}; the browser then requests that address{}.", h("Location"), if permanent { " and may remember that the move is permanent" } else { "" }),
                ),
                &[cite(9110, section), cite(9110, "10.2.2")],
            )
        }
        404 => note(
            pick(
                lang,
                if req.target.starts_with("/favicon.ico") {
                    format!("{line}：服务器没有 {}。浏览器会自己请求 /favicon.ico（标签页上的小图标），网站没有提供时就得到 404，这不影响页面。", req.target)
                } else {
                    format!("{line}：服务器没有 {} 这个资源（地址拼错了，或文件被移动、删除了）。", req.target)
                },
                if req.target.starts_with("/favicon.ico") {
                    format!("{line}: the server has nothing at {}. Browsers ask for /favicon.ico (the tab's icon) on their own; a site without one answers 404, which does the page no harm.", req.target)
                } else {
                    format!("{line}: the server has nothing at {} (a mistyped address, or a file moved or deleted).", req.target)
                },
            ),
            &[cite(9110, "15.5.5")],
        ),
        405 => note(
            pick(
                lang,
                format!("{line}：服务器不接受对这个资源使用 {} 方法；Allow: {} 列出它接受的方法。", req.method, h("Allow")),
                format!("{line}: the server does not accept {} for this resource; Allow: {} lists the methods it does accept.", req.method, h("Allow")),
            ),
            &[cite(9110, "15.5.6"), cite(9110, "10.2.1")],
        ),
        412 => note(
            pick(
                lang,
                format!("{line}：请求的前提条件（If-Match 或 If-Unmodified-Since）不成立，所以服务器没有执行请求。"),
                format!("{line}: a precondition of the request (If-Match or If-Unmodified-Since) was false, so the server did not perform it."),
            ),
            &[cite(9110, "15.5.13"), cite(9110, "13.1.1")],
        ),
        416 => note(
            pick(
                lang,
                format!("{line}：请求的范围 {} 不在表示之内；Content-Range: {} 给出实际长度。", req.header("Range").unwrap_or(""), h("Content-Range")),
                format!("{line}: the range asked for ({}) lies outside the representation; Content-Range: {} gives its actual length.", req.header("Range").unwrap_or(""), h("Content-Range")),
            ),
            &[cite(9110, "15.5.17"), cite(9110, "14.4")],
        ),
        _ => {
            let (section, zh, en) = match code {
                100..=199 => ("15.2", "信息性响应", "an informational response"),
                200..=299 => ("15.3", "成功", "success"),
                300..=399 => ("15.4", "重定向", "a redirection"),
                400..=499 => ("15.5", "客户端错误", "a client error"),
                _ => ("15.6", "服务器错误", "a server error"),
            };
            note(
                pick(lang, format!("{line}：{zh}。"), format!("{line}: {en}.")),
                &[cite(9110, section)],
            )
        }
    })
}

fn type_of(content_type: Option<&str>, lang: Lang) -> String {
    match content_type {
        Some(t) => pick(lang, format!("，类型 {t}"), format!(", {t}")),
        None => String::new(),
    }
}

fn conditional(x: &Exchange, lang: Lang) -> Option<Note> {
    let req = &x.request;
    let inm = req.header("If-None-Match");
    let ims = req.header("If-Modified-Since");
    if inm.is_none() && ims.is_none() {
        return None;
    }
    let etag = x.response.as_ref().and_then(|r| r.header("ETag"));
    let status = x.response.as_ref().map(|r| r.status);
    let mut cites = Vec::new();
    let mut zh = String::from("这是一个条件请求：");
    let mut en = String::from("This is a conditional request: ");
    if let Some(v) = inm {
        cites.push(cite(9110, "13.1.2"));
        zh += &format!("If-None-Match: {v}（浏览器缓存副本的 ETag）");
        en += &format!("If-None-Match: {v} (the ETag of the browser's cached copy)");
    }
    if let Some(v) = ims {
        cites.push(cite(9110, "13.1.3"));
        if inm.is_some() {
            zh += "，以及 ";
            en += ", and ";
        }
        zh += &format!("If-Modified-Since: {v}");
        en += &format!("If-Modified-Since: {v}");
    }
    zh += "。";
    en += ". ";
    if inm.is_some() && ims.is_some() {
        cites.push(cite(9110, "13.2.2"));
        zh += "两者都有时 If-None-Match 优先，服务器忽略 If-Modified-Since。";
        en +=
            "With both, If-None-Match takes precedence and the server ignores If-Modified-Since. ";
    }
    match (status, etag) {
        (Some(304), Some(tag)) => {
            zh += &format!("当前 ETag 是 {tag}，匹配，所以回答 304。");
            en += &format!("The current ETag is {tag}: it matched, hence the 304.");
        }
        (Some(304), None) => {
            zh += "验证器匹配，所以回答 304。";
            en += "The validator matched, hence the 304.";
        }
        (Some(200), tag) => {
            let tag = tag.map(|t| format!("（现在是 {t}）")).unwrap_or_default();
            zh += &format!("验证器不匹配{tag}：文件变了，所以服务器发送了完整的新内容。");
            let tag_en = x
                .response
                .as_ref()
                .and_then(|r| r.header("ETag"))
                .map(|t| format!(" (it is now {t})"))
                .unwrap_or_default();
            en += &format!("The validator did not match{tag_en}: the file changed, so the server sent the whole new content.");
        }
        _ => {}
    }
    Some(note(pick(lang, zh, en), &cites))
}

fn validators(x: &Exchange, lang: Lang) -> Option<Note> {
    let r = x.response.as_ref()?;
    let etag = r.header("ETag");
    let modified = r.header("Last-Modified");
    let mut cites = Vec::new();
    let (zh, en) = match (etag, modified) {
        (None, None) => return None,
        (Some(e), None) => {
            cites.push(cite(9110, "8.8.3"));
            (
                format!("服务器用 ETag: {e} 标记这个表示；下次浏览器可以发送 If-None-Match: {e} 询问它是否变了。"),
                format!("The server labelled this representation ETag: {e}; next time the browser can send If-None-Match: {e} to ask whether it changed."),
            )
        }
        (None, Some(m)) => {
            cites.push(cite(9110, "8.8.2"));
            (
                format!("Last-Modified: {m} 是文件最后修改的时间；下次浏览器可以发送 If-Modified-Since: {m}。"),
                format!("Last-Modified: {m} is when the file last changed; next time the browser can send If-Modified-Since: {m}."),
            )
        }
        (Some(e), Some(m)) => {
            cites.push(cite(9110, "8.8.3"));
            cites.push(cite(9110, "8.8.2"));
            (
                format!("验证器：ETag: {e}，Last-Modified: {m}。下次浏览器可以用 If-None-Match: {e}（优先）或 If-Modified-Since 询问文件是否变了。"),
                format!("Validators: ETag: {e} and Last-Modified: {m}. Next time the browser can ask whether the file changed with If-None-Match: {e} (which takes precedence) or If-Modified-Since."),
            )
        }
    };
    Some(note(pick(lang, zh, en), &cites))
}

/// Whether a path looks fingerprinted: a segment like `style.ba4e2747.css` (a hash of 8 or
/// more hex digits between dots), so its content never changes under that name.
pub fn fingerprinted(target: &str) -> bool {
    let path = target.split('?').next().unwrap_or("");
    let name = path.rsplit('/').next().unwrap_or("");
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() >= 3
        && parts
            .iter()
            .skip(1)
            .take(parts.len().saturating_sub(2))
            .any(|p| p.len() >= 8 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn caching(x: &Exchange, lang: Lang) -> Option<Note> {
    let r = x.response.as_ref()?;
    let cc = r.header("Cache-Control")?;
    let lower = cc.to_ascii_lowercase();
    let directives: Vec<&str> = lower.split(',').map(str::trim).collect();
    let max_age = directives
        .iter()
        .find_map(|d| d.strip_prefix("max-age="))
        .and_then(|v| v.trim_matches('"').parse::<u64>().ok());
    if directives.contains(&"no-store") {
        return Some(note(
            pick(
                lang,
                format!("Cache-Control: {cc}：no-store 禁止浏览器保存这个响应，下次会重新完整下载。"),
                format!("Cache-Control: {cc}: no-store forbids the browser to keep this response; next time it is downloaded again in full."),
            ),
            &[cite(9111, "5.2.2.5")],
        ));
    }
    if directives.contains(&"no-cache") {
        return Some(note(
            pick(
                lang,
                format!("Cache-Control: {cc}：no-cache 允许浏览器保存副本，但每次使用前都必须向服务器验证，所以再次访问时浏览器会发送带 If-None-Match 的条件请求，没变化时得到 304。"),
                format!("Cache-Control: {cc}: no-cache lets the browser keep a copy but it must revalidate with the server before each reuse, which is why a revisit sends a conditional request (If-None-Match) and gets a 304 when nothing changed."),
            ),
            &[cite(9111, "5.2.2.4"), cite(9111, "4.3")],
        ));
    }
    let age = max_age?;
    let human = span(lang, age);
    let fp = fingerprinted(&x.request.target);
    let (zh_fp, en_fp) = if fp {
        (
            "文件名里带有内容的哈希（指纹），内容变了名字就会变，所以可以放心缓存这么久：再次访问时浏览器直接用缓存，根本不发送请求（抓包里看不到它）。",
            "The file name carries a hash of its content (a fingerprint): new content gets a new name, so it is safe to cache this long, and on a revisit the browser uses its copy without sending any request (the capture does not show one).",
        )
    } else {
        ("", "")
    };
    Some(note(
        pick(
            lang,
            format!("Cache-Control: {cc}：max-age={age} 表示响应在 {human} 内是新鲜的，在此期间浏览器可以直接使用缓存。{zh_fp}"),
            format!("Cache-Control: {cc}: max-age={age} makes the response fresh for {human}, during which the browser may reuse it without asking. {en_fp}"),
        ),
        &[cite(9111, "5.2.2.1"), cite(9111, "4.2")],
    ))
}

fn body(x: &Exchange, lang: Lang) -> Option<Note> {
    let r = x.response.as_ref()?;
    let mut zh = Vec::new();
    let mut en = Vec::new();
    let mut cites = Vec::new();
    if r.body_wire_bytes != r.body_bytes {
        zh.push(format!("报文主体使用分块传输编码（Transfer-Encoding: {}）：线路上 {} 字节，其中内容 {} 字节，其余是分块的长度行。", r.header("Transfer-Encoding").unwrap_or("chunked"), r.body_wire_bytes, r.body_bytes));
        en.push(format!("The body used the chunked transfer coding (Transfer-Encoding: {}): {} bytes on the wire, {} of them content, the rest chunk-size lines.", r.header("Transfer-Encoding").unwrap_or("chunked"), r.body_wire_bytes, r.body_bytes));
        cites.push(cite(9112, "7.1"));
    }
    if let Some(coding) = r.header("Content-Encoding") {
        zh.push(format!("Content-Encoding: {coding}：内容是压缩过的，浏览器收到后解压；上面的字节数是压缩后的大小。"));
        en.push(format!("Content-Encoding: {coding}: the content was compressed, and the browser decompresses it; the byte counts above are the compressed size."));
        cites.push(cite(9110, "8.4"));
    }
    if !r.complete {
        zh.push("报文主体不完整：抓包在它结束之前停止，或者缺少数据。".into());
        en.push(
            "The body is incomplete: the capture stopped, or data was missing, before it ended."
                .into(),
        );
    }
    if zh.is_empty() {
        return None;
    }
    Some(note(pick(lang, zh.join(""), en.join(" ")), &cites))
}

fn on_connection(analysis: &Analysis, index: usize, lang: Lang) -> Option<Note> {
    let x = analysis.exchanges.get(index)?;
    let earlier = analysis
        .exchanges
        .iter()
        .take(index)
        .filter(|e| e.connection == x.connection)
        .count();
    let number = x.connection + 1;
    let close = x
        .response
        .as_ref()
        .and_then(|r| r.header("Connection"))
        .filter(|v| v.to_ascii_lowercase().contains("close"));
    let mut cites = vec![cite(9112, "9.3")];
    let (mut zh, mut en) = if earlier == 0 {
        (
            format!("这是连接 #{number} 上的第一个请求。"),
            format!("This is the first request on connection #{number}."),
        )
    } else {
        (
            format!("复用了连接 #{number}（这是它上面的第 {} 个请求）：HTTP/1.1 的连接默认是持久的，不必为每个请求重新握手。", earlier + 1),
            format!("It reused connection #{number} (request {} on it): HTTP/1.1 connections are persistent by default, so no new handshake was needed.", earlier + 1),
        )
    };
    if let Some(v) = close {
        cites.push(cite(9112, "9.6"));
        zh += &format!("响应带有 Connection: {v}：服务器发送完这个响应后关闭连接。");
        en += &format!(
            " The response said Connection: {v}: the server closes the connection after it."
        );
    }
    Some(note(pick(lang, zh, en), &cites))
}

fn options_text(o: &TcpOptions) -> String {
    let mut parts = Vec::new();
    if let Some(mss) = o.mss {
        parts.push(format!("MSS={mss}"));
    }
    if let Some(ws) = o.window_scale {
        parts.push(format!("WS={}", 1u32 << ws.min(14)));
    }
    if o.sack_permitted {
        parts.push("SACK_PERM".to_string());
    }
    if o.timestamps {
        parts.push("TSval".to_string());
    }
    parts.join(" ")
}

/// A segment as Wireshark's Info column shows it: "[SYN] Seq=0 Win=65495 Len=0 MSS=65495".
pub fn segment_text(s: &Segment) -> String {
    let mut text = format!("[{}] Seq={}", s.flags, s.seq);
    if s.flags.contains("ACK") {
        text += &format!(" Ack={}", s.ack);
    }
    text += &format!(" Win={} Len={}", s.window, s.len);
    let options = options_text(&s.options);
    if !options.is_empty() {
        text += " ";
        text += &options;
    }
    text
}

fn who(lang: Lang, d: Direction) -> &'static str {
    match (lang, d) {
        (Lang::ZhCn | Lang::ZhTw, Direction::ToServer) => "客户端",
        (Lang::ZhCn | Lang::ZhTw, Direction::ToClient) => "服务器",
        (Lang::En, Direction::ToServer) => "the client",
        (Lang::En, Direction::ToClient) => "the server",
    }
}

/// Whether two connections were open at the same time.
fn overlap(a: &Connection, b: &Connection) -> bool {
    a.opened_at < b.last_at && b.opened_at < a.last_at
}

/// The `index`-th connection explained: handshake, the requests it carried, parallel
/// connections, and why it closed.
pub fn connection(analysis: &Analysis, index: usize, lang: Lang) -> Vec<Note> {
    let Some(c) = analysis.connections.get(index) else {
        return Vec::new();
    };
    let mut notes = Vec::new();
    match &c.handshake {
        Some(h) => {
            let mut zh = format!("三次握手：{} 客户端发送 SYN（{}，原始序号 {}）", secs_fine(lang, h.syn.at), segment_text(&h.syn), h.syn.raw_seq);
            let mut en = format!("Three-way handshake: at {} the client sent SYN ({}, raw sequence number {})", secs_fine(lang, h.syn.at), segment_text(&h.syn), h.syn.raw_seq);
            if let Some(sa) = &h.syn_ack {
                zh += &format!("；{} 服务器回答 SYN-ACK（{}），确认号 {} = 客户端的初始序号 + 1", secs_fine(lang, sa.at), segment_text(sa), sa.ack);
                en += &format!("; at {} the server answered SYN-ACK ({}), whose Ack={} is the client's initial sequence number + 1", secs_fine(lang, sa.at), segment_text(sa), sa.ack);
            }
            if let Some(ack) = &h.ack {
                zh += &format!("；{} 客户端发送 ACK（{}），连接建立", secs_fine(lang, ack.at), segment_text(ack));
                en += &format!("; at {} the client sent ACK ({}), and the connection was open", secs_fine(lang, ack.at), segment_text(ack));
            }
            if let Some(sa) = &h.syn_ack {
                let rtt = (sa.at - h.syn.at) * 1000.0;
                zh += &format!("。往返时间约 {rtt:.3} 毫秒。");
                en += &format!(". The round trip took about {rtt:.3} ms.");
            } else {
                zh += "。";
                en += ".";
            }
            let mut cites = vec![cite(9293, "3.5")];
            let o = &h.syn.options;
            if o.mss.is_some() || o.window_scale.is_some() || o.sack_permitted {
                zh += "选项：MSS 是对方每个报文段最多可以发送的字节数，WS 是窗口放大倍数，SACK_PERM 允许选择性确认。";
                en += " Options: MSS is the most bytes the peer may put in one segment, WS multiplies the advertised window, SACK_PERM allows selective acknowledgements.";
                cites.extend([cite(9293, "3.7.1"), cite(7323, "2"), cite(2018, "2")]);
            }
            notes.push(note(pick(lang, zh, en), &cites));
        }
        None => notes.push(match analysis.source {
            super::model::Source::Har { .. } => note(
                pick(
                    lang,
                    format!("HAR 文件不包含 TCP 报文段，所以看不到握手和关闭；浏览器给这个连接的编号是 {}。", c.har_id.as_deref().unwrap_or("?")),
                    format!("A HAR holds no TCP segments, so the handshake and the close are not known; the browser's id for this connection is {}.", c.har_id.as_deref().unwrap_or("?")),
                ),
                &[],
            ),
            _ => note(
                pick(
                    lang,
                    "抓包开始时这个连接已经建立，所以没有握手。".into(),
                    "The connection was already open when the capture started, so its handshake is not in it.".into(),
                ),
                &[cite(9293, "3.5")],
            ),
        }),
    }

    let on: Vec<&Exchange> = analysis
        .exchanges
        .iter()
        .filter(|x| x.connection == index)
        .collect();
    let list = on
        .iter()
        .map(|x| {
            let status = x
                .response
                .as_ref()
                .map_or_else(|| "—".to_string(), |r| r.status.to_string());
            format!("{} {} → {status}", x.request.method, x.request.target)
        })
        .collect::<Vec<_>>()
        .join("; ");
    let pipelined = on.windows(2).any(|pair| match pair {
        [a, b] => a.response.as_ref().is_none_or(|r| b.request.at < r.at),
        _ => false,
    });
    let mut cites = vec![cite(9112, "9.3")];
    let (mut zh, mut en) = match on.len() {
        0 => (
            "这个连接上没有 HTTP 请求（浏览器可能预先打开了它以备后用）。".to_string(),
            "No HTTP request went on this connection (the browser may have opened it in advance, in case it needed one).".to_string(),
        ),
        1 => (
            format!("承载了 1 个请求：{list}。"),
            format!("It carried 1 request: {list}."),
        ),
        n => (
            format!("承载了 {n} 个请求：{list}。后面 {} 个请求复用了这个持久连接。", n - 1),
            format!("It carried {n} requests: {list}. The later {} reused this persistent connection.", n - 1),
        ),
    };
    if pipelined {
        cites.push(cite(9112, "9.3.2"));
        zh += "有请求在前一个响应到达之前就发出了：这是流水线（pipelining）。";
        en += " A request was sent before the previous response arrived: that is pipelining.";
    }
    let parallel: Vec<String> = analysis
        .connections
        .iter()
        .enumerate()
        .filter(|(j, other)| *j != index && overlap(c, other))
        .map(|(j, _)| format!("#{}", j + 1))
        .collect();
    if !parallel.is_empty() {
        cites.push(cite(9112, "9.4"));
        zh += &format!("它与连接 {} 同时打开：HTTP/1.1 的一个连接同一时间只传一个交互（浏览器不使用流水线），所以浏览器打开多个并行连接来同时下载。", parallel.join("、"));
        en += &format!(" It was open at the same time as connection {}: an HTTP/1.1 connection carries one exchange at a time (browsers do not pipeline), so the browser opens parallel connections to download several files at once.", parallel.join(", "));
    }
    notes.push(note(pick(lang, zh, en), &cites));
    notes.push(close_note(analysis, c, &on, lang));
    if c.retransmissions > 0 || c.out_of_order > 0 {
        notes.push(note(
            pick(
                lang,
                format!(
                    "重传的报文段：{}；乱序到达的报文段：{}。",
                    c.retransmissions, c.out_of_order
                ),
                format!(
                    "Retransmitted segments: {}; segments out of order: {}.",
                    c.retransmissions, c.out_of_order
                ),
            ),
            &[cite(9293, "3.8")],
        ));
    }
    notes
}

fn close_note(analysis: &Analysis, c: &Connection, on: &[&Exchange], lang: Lang) -> Note {
    let last_response = on
        .iter()
        .filter_map(|x| x.response.as_ref())
        .map(|r| r.end_at)
        .reduce(f64::max);
    let asked_close = on.iter().find_map(|x| {
        let r = x.response.as_ref()?;
        r.header("Connection")
            .filter(|v| v.to_ascii_lowercase().contains("close"))
            .map(|_| x)
    });
    let first = c.teardown.first();
    let sequence = c
        .teardown
        .iter()
        .map(|s| {
            format!(
                "{} {} [{}]",
                secs_fine(lang, s.at),
                who(lang, s.direction),
                s.flags
            )
        })
        .collect::<Vec<_>>()
        .join(" → ");
    let seq_zh = if sequence.is_empty() {
        String::new()
    } else {
        format!("（{sequence}）")
    };
    let seq_en = if sequence.is_empty() {
        String::new()
    } else {
        format!(" ({sequence})")
    };
    match (c.close, c.closed_by) {
        (None, _) if matches!(analysis.source, super::model::Source::Har { .. }) => note(
            pick(lang, "HAR 不记录连接如何关闭。".into(), "A HAR does not record how connections closed.".into()),
            &[],
        ),
        (Some(Close::Open) | None, _) => note(
            pick(
                lang,
                "抓包停止时这个连接仍然打开（浏览器为后续请求保留了它）。".into(),
                "The connection was still open when the capture stopped (the browser kept it for later requests).".into(),
            ),
            &[cite(9112, "9.3")],
        ),
        (Some(Close::Rst), by) => {
            let by = by.unwrap_or(first.map_or(Direction::ToServer, |s| s.direction));
            note(
                pick(
                    lang,
                    format!("连接以 RST（复位）结束，由{}发送{seq_zh}：这是中止式关闭，不经过 FIN 的四次挥手，未送达的数据被丢弃。浏览器丢弃不再需要的连接时常这样做；在一方已关闭后又收到数据时也会回 RST。", who(lang, by)),
                    format!("The connection ended with a reset (RST) from {}{seq_en}: an abortive close, without the FIN exchange, discarding anything not yet delivered. Browsers do this when they drop a connection they no longer need; a side that has closed also answers late data with RST.", who(lang, by)),
                ),
                &[cite(9293, "3.5.2"), cite(9293, "3.6")],
            )
        }
        (Some(Close::Fin), by) => {
            let by = by.unwrap_or(first.map_or(Direction::ToServer, |s| s.direction));
            let fin_at = first.map_or(c.last_at, |s| s.at);
            let gap = last_response.map(|end| fin_at - end);
            let gap_text = gap.map(|g| secs(lang, g.max(0.0))).unwrap_or_default();
            let (zh, en, mut cites) = match (by, asked_close, gap) {
                (Direction::ToClient, Some(x), _) => (
                    format!("服务器先发送 FIN：它在 {} {} 的响应中说了 Connection: close。", x.request.method, x.request.target),
                    format!("The server sent the first FIN: its response to {} {} said Connection: close.", x.request.method, x.request.target),
                    vec![cite(9112, "9.6")],
                ),
                (Direction::ToClient, None, Some(g)) if g >= 1.0 => (
                    format!("服务器在最后一个响应之后空闲了 {gap_text} 才先发送 FIN：这是服务器的空闲超时，它不会无限期保留不用的连接。"),
                    format!("The server sent the first FIN {gap_text} after its last response: an idle timeout, as servers do not keep unused connections open for ever."),
                    vec![cite(9112, "9.5")],
                ),
                (Direction::ToClient, None, _) => (
                    "服务器先发送 FIN，紧接在它的响应之后。".to_string(),
                    "The server sent the first FIN, right after its response.".to_string(),
                    vec![cite(9112, "9.6")],
                ),
                (Direction::ToServer, _, _) => (
                    format!("浏览器（客户端）先发送 FIN{}：它关闭了自己不再需要的连接，例如标签页或浏览器被关闭，或连接空闲太久。", if gap_text.is_empty() { String::new() } else { format!("，距最后一个响应 {gap_text}") }),
                    format!("The browser (the client) sent the first FIN{}: it closed a connection it no longer needed, e.g. the tab or browser was closed, or the connection had been idle too long.", if gap_text.is_empty() { String::new() } else { format!(", {gap_text} after the last response") }),
                    vec![cite(9112, "9.6")],
                ),
            };
            cites.push(cite(9293, "3.6"));
            note(
                pick(
                    lang,
                    format!("{zh}关闭过程{seq_zh}：每一方用 FIN 关闭自己的发送方向，并确认对方的 FIN。"),
                    format!("{en} The teardown{seq_en}: each side closes its direction with a FIN and acknowledges the other's."),
                ),
                &cites,
            )
        }
    }
}

/// What the connections show as a whole: how many, serial or parallel.
pub fn connections_overview(analysis: &Analysis, lang: Lang) -> Note {
    let n = analysis.connections.len();
    let parallel = analysis.connections.iter().enumerate().any(|(i, a)| {
        analysis
            .connections
            .iter()
            .skip(i + 1)
            .any(|b| overlap(a, b))
    });
    let reused = analysis.exchanges.len().saturating_sub(
        analysis
            .connections
            .iter()
            .enumerate()
            .filter(|(i, _)| analysis.exchanges.iter().any(|x| x.connection == *i))
            .count(),
    );
    let (zh, en) = if parallel {
        (
            format!("{} 个 HTTP 交互分布在 {n} 个 TCP 连接上，其中 {reused} 次复用了已有连接。有些连接同时打开：文件是并行下载的。", analysis.exchanges.len()),
            format!("{} HTTP exchanges went over {n} TCP connections; {reused} of them reused a connection. Some connections were open at the same time: files were downloaded in parallel.", analysis.exchanges.len()),
        )
    } else {
        (
            format!("{} 个 HTTP 交互分布在 {n} 个 TCP 连接上，其中 {reused} 次复用了已有连接。连接没有同时打开：文件是依次（串行）下载的。", analysis.exchanges.len()),
            format!("{} HTTP exchanges went over {n} TCP connections; {reused} of them reused a connection. No two connections were open at once: files were downloaded one after another (serially).", analysis.exchanges.len()),
        )
    };
    note(pick(lang, zh, en), &[cite(9112, "9.3"), cite(9112, "9.4")])
}

fn distinct<I: IntoIterator<Item = String>>(items: I) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn or_none(lang: Lang, items: Vec<String>) -> String {
    if items.is_empty() {
        pick(lang, "（数据中没有）".into(), "(not in the data)".into())
    } else {
        items.join(pick(lang, "；".into(), "; ".into()).as_str())
    }
}

/// The questions of the Wireshark HTTP lab (Kurose & Ross), answered from the data.
pub fn lab_answers(analysis: &Analysis, lang: Lang) -> Vec<Answer> {
    let xs = &analysis.exchanges;
    let mut answers = Vec::new();
    let mut ask = |zh: &str, en: &str, answer: String, cites: &[Cite]| {
        answers.push(Answer {
            question: pick(lang, zh.into(), en.into()),
            answer,
            cites: cites.to_vec(),
        });
    };
    let browser = distinct(xs.iter().map(|x| x.request.version.clone()));
    let server = distinct(
        xs.iter()
            .filter_map(|x| x.response.as_ref())
            .map(|r| r.version.clone()),
    );
    ask(
        "浏览器运行的是哪个 HTTP 版本？服务器呢？",
        "Which HTTP version is the browser running? And the server?",
        pick(
            lang,
            format!(
                "浏览器：{}；服务器：{}（请求行和状态行里的版本）。",
                or_none(lang, browser.clone()),
                or_none(lang, server.clone())
            ),
            format!(
                "Browser: {}; server: {} (the version in the request line and the status line).",
                or_none(lang, browser),
                or_none(lang, server)
            ),
        ),
        &[cite(9112, "2.3")],
    );
    let languages = distinct(
        xs.iter()
            .filter_map(|x| x.request.header("Accept-Language"))
            .map(String::from),
    );
    ask(
        "浏览器向服务器表明它接受哪些语言？",
        "What languages does the browser indicate it can accept?",
        pick(
            lang,
            format!("Accept-Language: {}", or_none(lang, languages.clone())),
            format!("Accept-Language: {}", or_none(lang, languages)),
        ),
        &[cite(9110, "12.5.4")],
    );
    let clients = distinct(
        analysis
            .connections
            .iter()
            .filter_map(|c| c.client)
            .map(|a| a.ip().to_string()),
    );
    let servers = distinct(
        analysis
            .connections
            .iter()
            .filter_map(|c| c.server)
            .map(|a| a.ip().to_string()),
    );
    let har_note = if matches!(analysis.source, super::model::Source::Har { .. }) {
        pick(
            lang,
            "（HAR 不记录客户端地址。）".into(),
            " (A HAR does not record the client's address.)".into(),
        )
    } else {
        String::new()
    };
    ask(
        "你的计算机（客户端）的 IP 地址是什么？服务器的呢？",
        "What is the IP address of your computer (the client)? Of the server?",
        pick(
            lang,
            format!(
                "客户端：{}；服务器：{}。{har_note}",
                or_none(lang, clients.clone()),
                or_none(lang, servers.clone())
            ),
            format!(
                "Client: {}; server: {}.{har_note}",
                or_none(lang, clients),
                or_none(lang, servers)
            ),
        ),
        &[],
    );
    let statuses = xs
        .iter()
        .map(|x| {
            let s = x
                .response
                .as_ref()
                .map_or_else(|| "—".to_string(), |r| format!("{} {}", r.status, r.reason));
            format!("{} {} → {s}", x.request.method, x.request.target)
        })
        .collect();
    ask(
        "服务器返回给浏览器的状态码是什么？",
        "What status codes were returned from the server to your browser?",
        or_none(lang, statuses),
        &[cite(9110, "15")],
    );
    let modified = xs
        .iter()
        .filter_map(|x| {
            let m = x.response.as_ref()?.header("Last-Modified")?;
            Some(format!("{}: {m}", x.request.target))
        })
        .collect();
    ask(
        "服务器上的文件最后修改时间是什么（Last-Modified）？",
        "When was each file retrieved last modified at the server (Last-Modified)?",
        or_none(lang, distinct::<Vec<String>>(modified)),
        &[cite(9110, "8.8.2")],
    );
    let sizes = xs
        .iter()
        .filter_map(|x| {
            let r = x.response.as_ref()?;
            let length = r
                .header("Content-Length")
                .map(|l| format!(", Content-Length: {l}"))
                .unwrap_or_default();
            Some(pick(
                lang,
                format!(
                    "{} → {}：{} 字节内容{length}",
                    x.request.target, r.status, r.body_bytes
                ),
                format!(
                    "{} → {}: {} bytes of content{length}",
                    x.request.target, r.status, r.body_bytes
                ),
            ))
        })
        .collect();
    ask(
        "返回给浏览器的内容有多少字节？",
        "How many bytes of content are being returned to your browser?",
        or_none(lang, sizes),
        &[cite(9110, "8.6")],
    );
    let conditional = xs
        .iter()
        .filter_map(|x| {
            let mut parts = Vec::new();
            if let Some(v) = x.request.header("If-Modified-Since") {
                parts.push(format!("If-Modified-Since: {v}"));
            }
            if let Some(v) = x.request.header("If-None-Match") {
                parts.push(format!("If-None-Match: {v}"));
            }
            if parts.is_empty() {
                return None;
            }
            let status = x
                .response
                .as_ref()
                .map_or_else(|| "—".to_string(), |r| r.status.to_string());
            Some(format!(
                "{} {} ({}) → {status}",
                x.request.method,
                x.request.target,
                parts.join(", ")
            ))
        })
        .collect::<Vec<_>>();
    let conditional_answer = if conditional.is_empty() {
        pick(
            lang,
            "没有：没有请求带 If-Modified-Since 或 If-None-Match。".into(),
            "None: no request carried If-Modified-Since or If-None-Match.".into(),
        )
    } else {
        conditional.join("; ")
    };
    ask(
        "有没有条件请求（If-Modified-Since / If-None-Match）？验证器的值是什么？服务器怎么回答？",
        "Was any request conditional (If-Modified-Since / If-None-Match)? With which validator, and what did the server answer?",
        conditional_answer,
        &[cite(9110, "13.1.2"), cite(9110, "13.1.3"), cite(9110, "15.4.5")],
    );
    let gets = xs.iter().filter(|x| x.request.method == "GET").count();
    ask(
        "浏览器发送了多少个 HTTP 请求（其中多少个 GET）？用了多少个 TCP 连接？",
        "How many HTTP requests did the browser send (how many GETs)? Over how many TCP connections?",
        pick(
            lang,
            format!("{} 个请求（{gets} 个 GET），{} 个 TCP 连接。", xs.len(), analysis.connections.len()),
            format!("{} requests ({gets} GET), over {} TCP connections.", xs.len(), analysis.connections.len()),
        ),
        &[cite(9112, "9.3")],
    );
    let overview = connections_overview(analysis, lang);
    ask(
        "文件是串行还是并行下载的？",
        "Were the files downloaded serially or in parallel?",
        overview.text,
        &overview.cites,
    );
    answers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::lab;

    fn all_text(notes: &[Note]) -> String {
        notes
            .iter()
            .map(|n| n.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn statuses_are_explained_with_their_sections_and_the_data() {
        let a = lab();
        for lang in [Lang::En, Lang::ZhCn] {
            let expect = [
                (0, "15.3.1", "200 OK"),
                (1, "15.3.7", "bytes 0-73177/73178"),
                (3, "15.5.5", "/favicon.ico"),
                (4, "15.4.5", "\"beb479c2\""),
            ];
            for (index, section, quote) in expect {
                let notes = exchange(&a, index, lang);
                assert!(
                    notes
                        .iter()
                        .any(|n| n.cites.iter().any(|c| c.section == section)),
                    "{index} {section}"
                );
                assert!(
                    all_text(&notes).contains(quote),
                    "{index}: {}",
                    all_text(&notes)
                );
            }
        }
        let range = exchange(&a, 1, Lang::En);
        let sections: Vec<&str> = range
            .iter()
            .flat_map(|n| n.cites.iter().map(|c| c.section))
            .collect();
        assert!(sections.contains(&"14.2") && sections.contains(&"14.4"));
        assert!(all_text(&range).contains("<audio>"));
        let revisit = all_text(&exchange(&a, 4, Lang::En));
        assert!(
            revisit.contains("If-None-Match takes precedence"),
            "{revisit}"
        );
        let css = exchange(&a, 2, Lang::En);
        assert!(css.iter().any(|n| n.cites.contains(&cite(9111, "5.2.2.1"))));
        assert!(all_text(&css).contains("fingerprint"));
        assert!(all_text(&exchange(&a, 0, Lang::En)).contains("no-cache"));
    }

    #[test]
    fn connections_are_explained() {
        let a = lab();
        let first = all_text(&connection(&a, 0, Lang::En));
        assert!(first.contains("MSS=65495"), "{first}");
        assert!(first.contains("carried 4 requests"), "{first}");
        assert!(first.contains("connection #2"), "{first}");
        assert!(
            first.contains("The browser (the client) sent the first FIN"),
            "{first}"
        );
        let second = all_text(&connection(&a, 1, Lang::ZhCn));
        assert!(second.contains("RST"), "{second}");
        assert!(connections_overview(&a, Lang::En).text.contains("parallel"));
    }

    #[test]
    fn server_idle_timeout_and_connection_close_are_told_apart() {
        let mut a = lab();
        let c = &mut a.connections[0];
        c.closed_by = Some(Direction::ToClient);
        if let Some(s) = c.teardown.first_mut() {
            s.direction = Direction::ToClient;
        }
        assert!(all_text(&connection(&a, 0, Lang::En)).contains("idle timeout"));
        if let Some(r) = a.exchanges[4].response.as_mut() {
            r.headers.push(("Connection".into(), "close".into()));
        }
        assert!(all_text(&connection(&a, 0, Lang::En)).contains("said Connection: close"));
    }

    #[test]
    fn lab_questions_are_answered_from_the_data() {
        let a = lab();
        let answers = lab_answers(&a, Lang::En);
        let text: String = answers
            .iter()
            .map(|a| format!("{}\n{}\n", a.question, a.answer))
            .collect();
        for expected in [
            "Browser: HTTP/1.1",
            "zh-CN,zh;q=0.9,en;q=0.8",
            "Client: 192.168.1.10",
            "server: 192.168.1.20",
            "206 Partial Content",
            "Last-Modified",
            "73178 bytes of content",
            "If-None-Match: \"beb479c2\"",
            "5 requests (5 GET), over 2 TCP connections",
            "parallel",
        ] {
            assert!(text.contains(expected), "{expected}\n{text}");
        }
        assert_eq!(lab_answers(&a, Lang::ZhCn).len(), answers.len());
    }

    #[test]
    fn fingerprints_are_recognised() {
        assert!(fingerprinted("/assets/style.ba4e2747.css"));
        assert!(!fingerprinted("/index.html"));
        assert!(!fingerprinted("/a.b.c"));
    }

    #[test]
    fn cites_link_to_rfc_editor() {
        assert_eq!(
            cite(9110, "15.3.7").url(),
            "https://www.rfc-editor.org/rfc/rfc9110#section-15.3.7"
        );
        assert_eq!(cite(9293, "3.5").label(), "RFC 9293 §3.5");
    }
}
