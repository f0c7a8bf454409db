//! Live reload: a small script the server adds to HTML responses (never to `dist/`), and the
//! Server-Sent Events stream that tells it a new build is live, that only the stylesheet changed,
//! or that the last edit did not build.
//!
//! Why SSE: it is plain HTTP/1.1, browsers reconnect by themselves after a server restart, and
//! since the server writes its own bytes (not through tiny_http's buffered chunked bodies) each
//! event leaves at once. Open streams are held by the [`Hub`]: a tab holds its own connection
//! and that connection's thread, nothing that other pages need.

use std::io::Write;
use std::sync::Arc;

use crate::coding::Encoding;
use std::sync::Mutex;

use serde_json::json;

use crate::error::Error;

/// The path of the event stream. The leading `_` keeps it clear of any page's URL (a content
/// file may not start with `_profile/`: see [`is_internal`]).
pub const EVENTS_PATH: &str = "/_profile/events";

/// Whether a request target is one of the server's own endpoints rather than the site.
pub fn is_internal(target: &str) -> bool {
    target == EVENTS_PATH || target.starts_with("/_profile/")
}

/// The script added before `</body>` of every HTML response; `build` is the build the page
/// comes from, so that a page loaded just before a rebuild still reloads.
pub fn script(build: u64) -> String {
    format!(
        r#"<script>/* profile serve: live reload */(()=>{{let build={build},box=null;
const hide=()=>{{if(box){{box.remove();box=null}}}};
const show=e=>{{if(!box){{box=document.createElement("pre");box.id="profile-build-error";box.setAttribute("role","alert");
box.style.cssText="position:fixed;left:0;right:0;top:0;z-index:2147483647;margin:0;padding:16px 20px;max-height:60vh;overflow:auto;background:#7f1d1d;color:#fff;font:14px/1.5 ui-monospace,Consolas,monospace;white-space:pre-wrap;box-shadow:0 4px 16px rgba(0,0,0,.4)";
document.body.appendChild(box)}}box.textContent="profile: the last change did not build; still showing the previous build.\n\n"+e.where+"\n"+e.message+(e.hint?"\nhint: "+e.hint:"")}};
const events=new EventSource("{EVENTS_PATH}");
events.addEventListener("hello",m=>{{const d=JSON.parse(m.data);if(d.build!==build)return location.reload();d.error?show(d.error):hide()}});
events.addEventListener("reload",()=>location.reload());
events.addEventListener("css",m=>{{const d=JSON.parse(m.data);build=d.build;hide();
for(const l of document.querySelectorAll('link[rel="stylesheet"]'))l.href=l.href.replace(/style\.[0-9a-f]{{8}}\.css/,d.stylesheet)}});
events.addEventListener("build-error",m=>show(JSON.parse(m.data).error));}})();</script>"#
    )
}

/// `html` with the live-reload script added before `</body>` (or at the end when there is none).
pub fn inject(html: &[u8], build: u64) -> Vec<u8> {
    let script = script(build);
    let at = memchr::memmem::rfind(html, b"</body>").unwrap_or(html.len());
    [&html[..at], script.as_bytes(), &html[at..]].concat()
}

/// The pages of one build as previewed, each with the live-reload script: injected once, on
/// the first request for it, then shared by every request until the next build replaces the
/// whole snapshot (and this with it). At most one copy of each page of the site.
#[derive(Debug)]
pub struct Preview {
    /// The build number the script reports.
    pub build: u64,
    pages: std::sync::RwLock<std::collections::HashMap<String, PreviewCodings>>,
}

/// A page as it is, in Brotli and in gzip, each made when first asked for.
type PreviewCodings = [Option<Arc<PreviewPage>>; 3];

/// The slot of `coding` in [`PreviewCodings`].
fn slot(coding: Option<Encoding>) -> usize {
    match coding {
        None => 0,
        Some(Encoding::Brotli) => 1,
        Some(Encoding::Gzip) => 2,
    }
}

/// One page with the script in it.
#[derive(Debug)]
pub struct PreviewPage {
    /// The page's bytes with the script, compressed in the coding asked for.
    pub bytes: Arc<[u8]>,
    /// Its own strong ETag: a representation other than the page in `dist/`.
    pub etag: String,
}

impl Preview {
    /// An empty cache for build number `build`.
    pub fn new(build: u64) -> Preview {
        Preview {
            build,
            pages: Default::default(),
        }
    }

    /// The page at output path `key` (bytes `html`, SHA-256 `hash`) with the script, as it is
    /// or compressed in `coding`. The build's precompressed copies hold the page without the
    /// script, so a compressed preview is made here, at a fast level: it is made again after
    /// every edit, and waiting for Brotli's best would delay the reload.
    pub fn page(
        &self,
        key: &str,
        html: &[u8],
        hash: &[u8; 32],
        coding: Option<Encoding>,
    ) -> Arc<PreviewPage> {
        // Looked up by `&str`, so a request for a page already made allocates nothing.
        let cached = self.pages.read().unwrap_or_else(|e| e.into_inner());
        if let Some(page) = cached
            .get(key)
            .and_then(|codings| codings[slot(coding)].as_ref())
        {
            return Arc::clone(page);
        }
        drop(cached);
        let bytes: Arc<[u8]> = match coding {
            None => inject(html, self.build).into(),
            Some(coding) => {
                let plain = self.page(key, html, hash, None);
                crate::hosting::compress(&plain.bytes, coding, crate::hosting::Effort::Fast).into()
            }
        };
        let token = coding.map_or("identity", Encoding::token);
        let tag = [&hash[..], &self.build.to_le_bytes(), token.as_bytes()].concat();
        let page = Arc::new(PreviewPage {
            bytes,
            etag: super::http::etag_from_hash(&crate::hashing::sha256(&tag)),
        });
        let mut pages = self.pages.write().unwrap_or_else(|e| e.into_inner());
        let codings = pages.entry(key.to_string()).or_default();
        Arc::clone(codings[slot(coding)].get_or_insert(page))
    }
}

/// The JSON an overlay shows for a build error.
pub fn error_json(err: &Error) -> serde_json::Value {
    let mut place = err
        .file
        .as_ref()
        .map(|f| f.display().to_string())
        .unwrap_or_default();
    if let Some((line, column)) = err.position {
        place = format!("{place}:{line}:{column}");
    }
    json!({
        "file": err.file.as_ref().map(|f| f.display().to_string()),
        "line": err.position.map(|p| p.0),
        "column": err.position.map(|p| p.1),
        "where": place,
        "message": err.message,
        "hint": err.hint,
    })
}

/// One Server-Sent Event.
pub fn event(name: &str, data: &serde_json::Value) -> Vec<u8> {
    // serde_json never writes a raw newline inside a value, so `data` stays one line.
    format!("event: {name}\ndata: {data}\n\n").into_bytes()
}

/// The first bytes of an event stream: how soon to reconnect after a lost connection (half a
/// second: the server is on this machine), then the `hello` event.
pub fn opening(hello: &serde_json::Value) -> Vec<u8> {
    [b"retry: 500\n\n".as_slice(), &event("hello", hello)].concat()
}

/// The open event streams.
#[derive(Default)]
pub struct Hub {
    clients: Mutex<Vec<Box<dyn Write + Send>>>,
}

impl Hub {
    /// Takes over a connection: writes the response head and the stream's first bytes (see
    /// [`opening`]), then keeps the stream for later events. Returns whether the client was
    /// still there.
    pub fn subscribe(&self, mut stream: Box<dyn Write + Send>, head: &[u8], first: &[u8]) -> bool {
        let ok = stream
            .write_all(head)
            .and_then(|()| stream.write_all(first))
            .and_then(|()| stream.flush())
            .is_ok();
        if ok {
            self.lock().push(stream);
        }
        ok
    }

    /// Sends `message` to every open stream, dropping those whose client has gone.
    pub fn broadcast(&self, message: &[u8]) {
        self.lock()
            .retain_mut(|s| s.write_all(message).and_then(|()| s.flush()).is_ok());
    }

    /// Drops every stream (the server is stopping). Each connection then closes as soon as
    /// tiny_http's thread for it lets go of the socket: at once if the client closed it, else
    /// after the idle timeout.
    pub fn close_all(&self) {
        self.lock().clear();
    }

    /// How many streams are open.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no stream is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Box<dyn Write + Send>>> {
        // A panic while holding the lock left the list intact: keep using it.
        self.clients.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_goes_before_the_closing_body_tag() {
        let html = b"<html><body><p>x</p></body></html>";
        let out = String::from_utf8(inject(html, 7)).unwrap();
        assert!(out.ends_with("</script></body></html>"), "{out}");
        assert!(out.contains("let build=7,"));
        assert!(out.contains(EVENTS_PATH));
        let bare = String::from_utf8(inject(b"<p>x</p>", 1)).unwrap();
        assert!(bare.starts_with("<p>x</p><script>"));
    }

    #[test]
    fn events_are_one_line_of_json() {
        let err = Error::in_file("site.toml", "bad \"value\"\nsecond line <b>").at(3, 5);
        let message = event("build-error", &json!({ "error": error_json(&err) }));
        let text = String::from_utf8(message).unwrap();
        assert!(text.starts_with("event: build-error\ndata: {"));
        assert!(text.ends_with("}\n\n"));
        assert_eq!(text.matches('\n').count(), 3, "{text}");
        assert!(text.contains(r#""where":"site.toml:3:5""#), "{text}");
    }

    #[test]
    fn hub_drops_clients_that_went_away() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let hub = Hub::default();
        assert!(hub.subscribe(Box::new(Vec::new()), b"head", b"hello"));
        assert!(!hub.subscribe(Box::new(Broken), b"head", b"hello"));
        assert_eq!(hub.len(), 1);
        hub.broadcast(b"event: reload\n\n");
        assert_eq!(hub.len(), 1);
    }
}
