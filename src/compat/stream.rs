//! A streamed chat answer: upstream's body, translated chunk by chunk into OpenAI's SSE
//! format as it arrives, is the response body — nothing is buffered beyond the piece in
//! hand, so the first token reaches the client as soon as upstream sends it, and a
//! 10,000-chunk answer costs no more memory than a short one.
//!
//! The upstream response lives inside the body stream. When the client goes away, workerd
//! cancels the body, the stream is dropped, and dropping [`Upstream`] aborts the upstream
//! request. A stall longer than the upstream timeout between two pieces ends the stream with
//! an error event rather than holding the connection forever. Every run of events is scrubbed
//! of the configured secrets, as every other answer is.

use super::respond;
use super::upstream::Upstream;
use crate::log::Log;
use edge_llm_core::compat::stream::{Translate, DONE};
use edge_llm_core::compat::CompatError;
use edge_llm_core::host::Level;
use edge_llm_core::Provider;
use futures_util::future::{select, Either};
use futures_util::stream::{self, StreamExt};
use serde_json::json;
use std::time::Duration;
use worker::{ByteStream, Delay, Response};

struct State {
    body: ByteStream,
    translator: Box<dyn Translate>,
    idle_ms: Option<u64>,
    ended: bool,
    report: Report,
    /// Dropped last: the upstream request stays open as long as the stream does.
    _upstream: Upstream,
}

/// Counts for the log line each stream ends with (written when it is dropped, so a client
/// that left is reported too).
struct Report {
    log: Log,
    started_ms: f64,
    chunks: u64,
    bytes: u64,
    outcome: &'static str,
}

impl Drop for Report {
    fn drop(&mut self) {
        self.log.write(
            Level::Info,
            "stream ended",
            json!({"outcome": self.outcome, "upstreamChunks": self.chunks, "bytes": self.bytes,
                   "durationMs": (js_sys::Date::now() - self.started_ms).round(),
                   // The isolate's peak so far: a stream that buffered would raise it.
                   "wasmMemoryBytes": crate::log::wasm_memory_bytes()}),
        );
    }
}

pub fn respond(
    mut upstream: Upstream,
    translator: Box<dyn Translate>,
    idle_ms: Option<u64>,
    log: Log,
    provider: Provider,
    ignored: &[String],
) -> Result<Response, CompatError> {
    let body = upstream.body().ok_or_else(|| {
        CompatError::new(502, format!("{provider} answered a stream without a body"))
            .with_code("upstream_bad_answer")
    })?;
    let state = State {
        body,
        translator,
        idle_ms,
        ended: false,
        report: Report {
            log,
            started_ms: js_sys::Date::now(),
            chunks: 0,
            bytes: 0,
            outcome: "client went away",
        },
        _upstream: upstream,
    };
    let events = stream::unfold(state, |mut s| async move {
        let out = next_events(&mut s).await?;
        Some((Ok::<Vec<u8>, worker::Error>(out), s))
    });
    let mut response = Response::from_stream(events.boxed_local())
        .map_err(|e| CompatError::new(500, format!("the stream could not start: {e}")))?;
    let headers = response.headers_mut();
    let _ = headers.set("content-type", "text/event-stream; charset=utf-8");
    let _ = headers.set("cache-control", "no-cache");
    respond::add_headers(headers, Some(provider), ignored);
    Ok(response)
}

/// The next non-empty run of events to send, or `None` once the stream is over.
async fn next_events(s: &mut State) -> Option<Vec<u8>> {
    let mut out = vec![];
    while out.is_empty() {
        if s.ended {
            return None;
        }
        if s.translator.is_done() {
            s.ended = true;
            return None;
        }
        let next = s.body.next();
        let piece = match s.idle_ms {
            None => Some(next.await),
            Some(ms) => match select(next, Delay::from(Duration::from_millis(ms))).await {
                Either::Left((piece, _)) => Some(piece),
                Either::Right(_) => None,
            },
        };
        match piece {
            Some(Some(Ok(bytes))) => {
                s.report.chunks += 1;
                s.report.bytes += bytes.len() as u64;
                s.translator.push(&bytes, &mut out);
            }
            Some(Some(Err(e))) => {
                s.translator
                    .fail(&format!("the upstream stream broke: {e}"), &mut out);
                s.report.outcome = "upstream broke";
            }
            Some(None) => {
                // Before its end marker (`[DONE]`, `message_stop`, `done`): cut short.
                s.translator.finish(&mut out);
                s.ended = true;
                s.report.outcome = "upstream ended early";
            }
            None => {
                s.translator.fail(
                    &format!(
                        "upstream sent nothing for {} ms",
                        s.idle_ms.unwrap_or_default()
                    ),
                    &mut out,
                );
                s.report.outcome = "upstream stalled";
            }
        }
        if s.translator.is_done() && s.report.outcome == "client went away" {
            s.report.outcome = if out.ends_with(DONE) {
                "done"
            } else {
                "upstream error"
            };
        }
    }
    // Events are whole in `out`, so a secret an upstream error quoted back is found here.
    Some(
        s.report
            .log
            .scrub(String::from_utf8_lossy(&out).into_owned())
            .into_bytes(),
    )
}
