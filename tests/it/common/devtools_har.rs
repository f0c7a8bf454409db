//! A HAR 1.2 document made from Chromium's DevTools-protocol (CDP) `Network` events, the way
//! DevTools' own "Save all as HAR" makes it (Chromium's `front_end/models/har/Log.ts`): one entry
//! per request, the status and headers as they went over the wire (`responseReceivedExtraInfo`,
//! so a revalidation is a `304`, not the cached `200` the page sees), `connection` = the socket's
//! `connectionId`, `serverIPAddress`, the `timing` phases, and `_fromCache` for the answers that
//! never left the browser.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use headless_chrome::protocol::cdp::types::Event;
use serde_json::{json, Value};

/// The `Network` events of a tab, as CDP JSON, in the order they came.
#[derive(Clone, Default)]
pub struct NetworkEvents {
    events: Arc<Mutex<Vec<(&'static str, Value)>>>,
}

impl NetworkEvents {
    /// Keeps `event` if it is one the HAR is made of.
    pub fn record(&self, event: &Event) {
        let (name, params) = match event {
            Event::NetworkRequestWillBeSent(e) => ("request", serde_json::to_value(&e.params)),
            Event::NetworkRequestWillBeSentExtraInfo(e) => {
                ("requestExtra", serde_json::to_value(&e.params))
            }
            Event::NetworkResponseReceived(e) => ("response", serde_json::to_value(&e.params)),
            Event::NetworkResponseReceivedExtraInfo(e) => {
                ("responseExtra", serde_json::to_value(&e.params))
            }
            Event::NetworkRequestServedFromCache(e) => ("cache", serde_json::to_value(&e.params)),
            Event::NetworkLoadingFinished(e) => ("finished", serde_json::to_value(&e.params)),
            _ => return,
        };
        if let Ok(params) = params {
            self.events.lock().expect("event log").push((name, params));
        }
    }

    /// The HAR document of every request seen so far that got a response.
    pub fn har(&self) -> Value {
        let events = self.events.lock().expect("event log").clone();
        let mut requests: BTreeMap<String, Request> = BTreeMap::new();
        let mut order = Vec::new();
        for (name, params) in events {
            let id = params["requestId"].as_str().unwrap_or_default().to_owned();
            if name == "request" && !requests.contains_key(&id) {
                order.push(id.clone());
            }
            let request = requests.entry(id).or_default();
            match name {
                "request" => request.sent = Some(params),
                "requestExtra" => request.sent_extra = Some(params),
                "response" => request.response = Some(params),
                "responseExtra" => request.response_extra = Some(params),
                "cache" => request.memory_cache = true,
                "finished" => request.finished = Some(params),
                _ => {}
            }
        }
        let entries: Vec<Value> = order
            .iter()
            .filter_map(|id| requests.get(id)?.entry())
            .collect();
        json!({"log": {
            "version": "1.2",
            "creator": {"name": "WebInspector", "version": "537.36"},
            "pages": [],
            "entries": entries,
        }})
    }
}

/// What CDP said about one request.
#[derive(Default)]
struct Request {
    sent: Option<Value>,
    sent_extra: Option<Value>,
    response: Option<Value>,
    response_extra: Option<Value>,
    memory_cache: bool,
    finished: Option<Value>,
}

impl Request {
    /// The HAR entry, or `None` for a request without a response (or a `data:` URL).
    fn entry(&self) -> Option<Value> {
        let sent = self.sent.as_ref()?;
        let response = &self.response.as_ref()?["response"];
        let url = sent["request"]["url"].as_str()?;
        if !url.starts_with("http") {
            return None;
        }
        let wall = sent["wallTime"].as_f64()?;
        let started = std::time::UNIX_EPOCH + std::time::Duration::from_secs_f64(wall);
        let timing = &response["timing"];
        let phase = |from: &str, to: &str| match (timing[from].as_f64(), timing[to].as_f64()) {
            (Some(a), Some(b)) if a >= 0.0 && b >= a => b - a,
            _ => -1.0,
        };
        let total_ms = self
            .finished
            .as_ref()
            .and_then(|f| Some((f["timestamp"].as_f64()? - sent["timestamp"].as_f64()?) * 1000.0))
            .unwrap_or(0.0);
        let wait = phase("sendEnd", "receiveHeadersEnd");
        // Queued until the first phase that happened (offsets from requestTime, in ms).
        let blocked = ["dnsStart", "connectStart", "sendStart"]
            .iter()
            .find_map(|p| timing[p].as_f64().filter(|v| *v >= 0.0))
            .unwrap_or(-1.0);
        let version = response["protocol"].as_str().unwrap_or("http/1.1");
        let request_headers = self
            .sent_extra
            .as_ref()
            .map_or(&sent["request"]["headers"], |extra| &extra["headers"]);
        let (status, response_headers) = match &self.response_extra {
            Some(extra) => (extra["statusCode"].clone(), &extra["headers"]),
            None => (response["status"].clone(), &response["headers"]),
        };
        let transfer = self
            .finished
            .as_ref()
            .and_then(|f| f["encodedDataLength"].as_f64())
            .unwrap_or(0.0);
        let mut entry = json!({
            "startedDateTime": humantime::format_rfc3339_millis(started).to_string(),
            "time": total_ms,
            "request": {
                "method": sent["request"]["method"],
                "url": url,
                "httpVersion": version,
                "headers": har_headers(request_headers),
                "queryString": [],
                "cookies": [],
                "headersSize": -1,
                "bodySize": 0,
            },
            "response": {
                "status": status,
                "statusText": response["statusText"],
                "httpVersion": version,
                "headers": har_headers(response_headers),
                "cookies": [],
                "content": {"size": 0, "mimeType": response["mimeType"]},
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": -1,
                "_transferSize": transfer,
            },
            "cache": {},
            "timings": {
                "blocked": blocked,
                "dns": phase("dnsStart", "dnsEnd"),
                "connect": phase("connectStart", "connectEnd"),
                "ssl": phase("sslStart", "sslEnd"),
                "send": phase("sendStart", "sendEnd").max(0.0),
                "wait": wait.max(0.0),
                "receive": (total_ms - timing["receiveHeadersEnd"].as_f64().unwrap_or(0.0))
                    .max(0.0),
            },
            "_resourceType": sent["type"].as_str().unwrap_or("other").to_ascii_lowercase(),
        });
        if let Some(ip) = response["remoteIPAddress"].as_str() {
            entry["serverIPAddress"] = json!(ip.trim_matches(['[', ']']));
        }
        if let Some(id) = response["connectionId"].as_f64() {
            entry["connection"] = json!(format!("{id}"));
        }
        if self.memory_cache {
            entry["_fromCache"] = json!("memory");
        } else if response["fromDiskCache"] == json!(true) {
            entry["_fromCache"] = json!("disk");
        }
        Some(entry)
    }
}

/// CDP's `{name: value}` headers (values of repeated fields joined by `\n`) as HAR's list.
fn har_headers(headers: &Value) -> Vec<Value> {
    headers
        .as_object()
        .map(|map| {
            map.iter()
                .flat_map(|(name, value)| {
                    value
                        .as_str()
                        .unwrap_or_default()
                        .split('\n')
                        .map(|v| json!({"name": name, "value": v}))
                        .collect::<Vec<_>>()
                })
                .collect()
        })
        .unwrap_or_default()
}
