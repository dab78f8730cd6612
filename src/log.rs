//! Structured JSON logs — one line per event, for every request and cron run — and the Host
//! the Worker's drivers run on (the npm package's JavaScript host, with these logs).
//!
//! No secret can reach a log line: core types never print keys (`ApiKey` has no Display),
//! and every line is scrubbed of the configured secret values before it is written anyway.

use edge_llm_core::host::{FetchError, Host, Level};
use edge_llm_core::http::HttpRequest;
use edge_llm_js_host::{JsHost, JsResponse, Logger};
use serde_json::{Map, Value};
use std::rc::Rc;
use wasm_bindgen::JsValue;

/// Where a Worker's log lines go, with the fields every line of one request or run shares.
#[derive(Clone)]
pub struct Log {
    /// The shared fields in the order they were added, each value serialized once: a line is
    /// written by concatenation, not by building and hashing a map (issue 10).
    fields: Vec<(&'static str, Rc<str>)>,
    secrets: Rc<Vec<String>>,
}

impl Log {
    pub fn new(secrets: Rc<Vec<String>>) -> Self {
        Log {
            fields: Vec::new(),
            secrets,
        }
    }

    /// A log whose lines all carry `key: value` (in place of an earlier `key`).
    pub fn with(&self, key: &'static str, value: impl Into<Value>) -> Log {
        let mut log = self.clone();
        let value: Rc<str> = value.into().to_string().into();
        match log.fields.iter_mut().find(|(k, _)| *k == key) {
            Some(field) => field.1 = value,
            None => log.fields.push((key, value)),
        }
        log
    }

    /// Whether every line carries `key`.
    pub fn has(&self, key: &str) -> bool {
        self.fields.iter().any(|(k, _)| *k == key)
    }

    /// `text` with every secret replaced by `[redacted]`.
    pub fn redact(&self, text: &str) -> String {
        self.scrub(text.to_string())
    }

    /// [`Log::redact`] for a string we own: copies only when a secret occurs (KV values,
    /// result fragments of up to 20 MiB among them, all pass through here).
    pub fn scrub(&self, mut text: String) -> String {
        for secret in self.secrets.iter() {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), "[redacted]");
            }
        }
        text
    }

    /// One line: `level`, `msg`, the shared fields, then `meta`'s own; a key of `meta` that
    /// is also a shared field's replaces its value where it stands.
    pub fn write(&self, level: Level, message: &str, meta: Value) {
        let meta = match meta {
            Value::Object(meta) => meta,
            _ => Map::new(),
        };
        let mut line = Vec::with_capacity(256);
        line.extend_from_slice(b"{\"level\":\"");
        line.extend_from_slice(level_name(level).as_bytes());
        line.extend_from_slice(b"\",\"msg\":");
        push_json(&mut line, message);
        for (key, value) in &self.fields {
            push_key(&mut line, key);
            match meta.iter().find(|(k, _)| k == key) {
                Some((_, value)) => push_json(&mut line, value),
                None => line.extend_from_slice(value.as_bytes()),
            }
        }
        for (key, value) in meta.iter().filter(|(k, _)| !self.has(k)) {
            push_key(&mut line, key);
            push_json(&mut line, value);
        }
        line.push(b'}');
        let line = String::from_utf8(line).expect("serde_json writes UTF-8");
        let text = JsValue::from_str(&self.scrub(line));
        match level {
            Level::Error => web_sys_console::error(&text),
            Level::Warn => web_sys_console::warn(&text),
            _ => web_sys_console::log(&text),
        }
    }

    pub fn info(&self, message: &str, meta: Value) {
        self.write(Level::Info, message, meta);
    }
}

/// `value` as JSON (into a `Vec`, which cannot fail).
fn push_json<T: serde::Serialize + ?Sized>(line: &mut Vec<u8>, value: &T) {
    let _ = serde_json::to_writer(&mut *line, value);
}

/// `,"key":`
fn push_key(line: &mut Vec<u8>, key: &str) {
    line.push(b',');
    push_json(line, key);
    line.push(b':');
}

/// The isolate's wasm linear memory in bytes. It only grows, so this is the peak so far:
/// logged when results are stored, the step that streams the largest data.
pub fn wasm_memory_bytes() -> u64 {
    #[cfg(target_arch = "wasm32")]
    return core::arch::wasm32::memory_size::<0>() as u64 * 65_536;
    #[cfg(not(target_arch = "wasm32"))]
    return 0;
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Debug => "debug",
        Level::Info => "info",
        Level::Warn => "warn",
        Level::Error => "error",
    }
}

mod web_sys_console {
    use wasm_bindgen::prelude::*;
    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = console)]
        pub fn log(s: &JsValue);
        #[wasm_bindgen(js_namespace = console)]
        pub fn warn(s: &JsValue);
        #[wasm_bindgen(js_namespace = console)]
        pub fn error(s: &JsValue);
    }
}

/// The Worker's host: the global `fetch` and timers of the JavaScript host, logs as above.
pub struct WorkerHost {
    js: JsHost,
    pub log: Log,
    /// Added to the system clock: a cron run's clock starts at its scheduled time.
    clock_offset_ms: f64,
}

impl WorkerHost {
    pub fn new(log: Log) -> Self {
        let js =
            JsHost::new(JsValue::UNDEFINED, Logger::none()).expect("workerd has a global fetch");
        WorkerHost {
            js,
            log,
            clock_offset_ms: 0.0,
        }
    }

    /// A host whose clock reads `now_ms` at this moment and runs on from there.
    pub fn starting_at(log: Log, now_ms: f64) -> Self {
        let host = WorkerHost::new(log);
        let clock_offset_ms = now_ms - host.js.now_ms();
        WorkerHost {
            clock_offset_ms,
            ..host
        }
    }

    /// The JavaScript host underneath, for calls the core cannot describe (a streamed body).
    pub fn js(&self) -> &JsHost {
        &self.js
    }
}

impl Host for WorkerHost {
    type Response = JsResponse;

    async fn fetch(
        &self,
        request: &HttpRequest,
        timeout_ms: Option<u64>,
    ) -> Result<JsResponse, FetchError> {
        self.js.fetch(request, timeout_ms).await
    }

    fn now_ms(&self) -> f64 {
        self.js.now_ms() + self.clock_offset_ms
    }

    async fn sleep(&self, ms: f64) {
        self.js.sleep(ms).await
    }

    fn random(&self) -> f64 {
        self.js.random()
    }

    /// The drivers' lines name upstream's batch `batchId`, as the reference's do; in the
    /// Worker's lines `batchId` is the gateway's own, so upstream's is `upstreamBatchId`.
    fn log(&self, level: Level, message: &str, mut meta: Value) {
        if let Some(upstream) = meta.as_object_mut().and_then(|m| m.remove("batchId")) {
            if self.log.has("batchId") {
                meta["upstreamBatchId"] = upstream;
            } else {
                meta["batchId"] = upstream;
            }
        }
        self.log.write(level, message, meta);
    }

    /// Upstream text enters here: secrets out, and cut to what a record or an answer needs
    /// (an error body can be megabytes; records are read on every cron run).
    fn admit(&self, text: String) -> String {
        crate::api_error::excerpt(&self.log.scrub(text), MAX_ADMITTED_CHARS)
    }
}

/// The longest upstream text (an error body, a message) the Worker keeps.
const MAX_ADMITTED_CHARS: usize = 2000;
