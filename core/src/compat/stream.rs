//! Streamed answers on the compatible route: Server-Sent Events in OpenAI's chunk format,
//! `data: {chat.completion.chunk}` … `data: [DONE]`. A [`Translate`] takes upstream's bytes
//! as they arrive and appends the events to send; the Worker sends them at once, so nothing
//! is held back and memory stays at one upstream line.
//!
//! A stream that goes wrong after the answer has started (upstream cut, an `error` event, a
//! line that is not JSON) ends with OpenAI's in-stream error, `data: {"error": {…}}` and no
//! `[DONE]`: the SDKs raise it as an `APIError` instead of returning a silently short answer.

use super::response::{ChunkHead, Delta, FinishReason, Usage};
use serde::Serialize;
use serde_json::json;

/// The end of a successful stream.
pub const DONE: &[u8] = b"data: [DONE]\n\n";

/// A stream translation: upstream bytes in, SSE bytes out.
pub trait Translate {
    /// Takes the next piece of upstream's body; appends what to send to `out`.
    fn push(&mut self, bytes: &[u8], out: &mut Vec<u8>);
    /// Upstream's body ended.
    fn finish(&mut self, out: &mut Vec<u8>);
    /// Reading upstream failed (connection lost, idle too long).
    fn fail(&mut self, message: &str, out: &mut Vec<u8>);
    /// `[DONE]` or an error has been written: nothing more will be.
    fn is_done(&self) -> bool;
}

/// One `data:` event.
pub fn write_event<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    out.extend_from_slice(b"data: ");
    serde_json::to_writer(&mut *out, value).expect("chunks are plain data");
    out.extend_from_slice(b"\n\n");
}

/// OpenAI's in-stream error event.
pub fn write_error(out: &mut Vec<u8>, message: &str) {
    let error = json!({"error": {"message": message, "type": "server_error", "param": null, "code": "upstream_stream_error"}});
    write_event(out, &error);
}

/// Writes a translated stream: the role chunk first, content and tool-call deltas, then the
/// finish chunk, the usage chunk when asked for, and `[DONE]` — or an error, once.
#[derive(Debug)]
pub struct ChunkWriter {
    pub head: ChunkHead,
    include_usage: bool,
    started: bool,
    done: bool,
}

impl ChunkWriter {
    pub fn new(head: ChunkHead, include_usage: bool) -> Self {
        ChunkWriter {
            head,
            include_usage,
            started: false,
            done: false,
        }
    }

    /// The first chunk, as OpenAI sends it: the role and empty content.
    pub fn start(&mut self, out: &mut Vec<u8>) {
        if self.started || self.done {
            return;
        }
        self.started = true;
        let delta = Delta {
            role: Some("assistant"),
            content: Some(String::new()),
            ..Delta::default()
        };
        write_event(out, &self.head.chunk(delta, None));
    }

    pub fn delta(&mut self, delta: Delta, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        self.start(out);
        write_event(out, &self.head.chunk(delta, None));
    }

    /// The model finished.
    pub fn end(&mut self, finish: FinishReason, usage: Usage, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        self.start(out);
        write_event(out, &self.head.chunk(Delta::default(), Some(finish)));
        if self.include_usage {
            write_event(out, &self.head.usage_chunk(usage));
        }
        out.extend_from_slice(DONE);
        self.done = true;
    }

    pub fn error(&mut self, message: &str, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        write_error(out, message);
        self.done = true;
    }

    pub fn is_done(&self) -> bool {
        self.done
    }
}

/// Splits an SSE byte stream into `data:` payloads (one JSON value per event), for tests of
/// the translations.
#[cfg(test)]
pub(crate) fn events(out: &[u8]) -> Vec<serde_json::Value> {
    let text = std::str::from_utf8(out).unwrap();
    assert!(text.ends_with("\n\n") || text.is_empty(), "{text:?}");
    text.split_terminator("\n\n")
        .map(|e| {
            let data = e.strip_prefix("data: ").unwrap_or_else(|| panic!("{e:?}"));
            if data == "[DONE]" {
                serde_json::Value::String("[DONE]".into())
            } else {
                serde_json::from_str(data).unwrap()
            }
        })
        .collect()
}

/// Feeds `stream` to `t` in pieces cut at every `step` bytes, then ends it.
#[cfg(test)]
pub(crate) fn run(t: &mut dyn Translate, stream: &[u8], step: usize) -> Vec<u8> {
    let mut out = vec![];
    for piece in stream.chunks(step.max(1)) {
        t.push(piece, &mut out);
    }
    t.finish(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_translated_stream_starts_with_the_role_and_ends_once() {
        let head = ChunkHead {
            id: "c".into(),
            created: 1,
            model: "m".into(),
        };
        let mut w = ChunkWriter::new(head, true);
        let mut out = vec![];
        w.delta(Delta::text("hi"), &mut out);
        w.end(FinishReason::Stop, Usage::new(2, 1), &mut out);
        w.error("late", &mut out);
        w.delta(Delta::text("late"), &mut out);
        let e = events(&out);
        assert_eq!(e.len(), 5);
        assert_eq!(
            e[0]["choices"][0]["delta"],
            json!({"role": "assistant", "content": ""})
        );
        assert_eq!(e[1]["choices"][0]["delta"], json!({"content": "hi"}));
        assert_eq!(e[2]["choices"][0]["finish_reason"], "stop");
        assert_eq!(e[3]["usage"]["total_tokens"], 3);
        assert_eq!(e[4], "[DONE]");
    }

    #[test]
    fn an_error_is_openais_in_stream_error() {
        let head = ChunkHead {
            id: "c".into(),
            created: 1,
            model: "m".into(),
        };
        let mut w = ChunkWriter::new(head, false);
        let mut out = vec![];
        w.error("upstream cut", &mut out);
        assert_eq!(events(&out)[0]["error"]["message"], "upstream cut");
        assert!(w.is_done());
    }
}
