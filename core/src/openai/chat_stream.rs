//! An OpenAI upstream's stream, relayed: OpenAI already speaks the compatible route's
//! format, so each event is passed on as upstream wrote it, unparsed, the moment its blank
//! line arrives. The relay only watches for `[DONE]`, so a stream upstream cut short ends
//! with an error event instead of looking complete.

use crate::compat::stream::{write_error, Translate, DONE};
use crate::sse::SseDecoder;

#[derive(Debug, Default)]
pub struct Relay {
    decoder: SseDecoder,
    done: bool,
}

impl Relay {
    pub fn new() -> Self {
        Self::default()
    }
}

/// Whether an event is `{"error": …}` (only parsed when the text could be one: a chunk's
/// content is escaped, so `"error"` with its quotes appears only as a key or a bare value).
fn is_error(data: &str) -> bool {
    data.contains("\"error\"")
        && serde_json::from_str::<serde_json::Value>(data).is_ok_and(|v| v.get("error").is_some())
}

impl Translate for Relay {
    fn push(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        let Ok(events) = self.decoder.push(bytes) else {
            return self.fail("OpenAI sent a line longer than the gateway reads", out);
        };
        for event in events {
            if event.data == "[DONE]" {
                out.extend_from_slice(DONE);
                self.done = true;
                return;
            }
            if let Some(name) = &event.event {
                out.extend_from_slice(format!("event: {name}\n").as_bytes());
            }
            for line in event.data.split('\n') {
                out.extend_from_slice(b"data: ");
                out.extend_from_slice(line.as_bytes());
                out.push(b'\n');
            }
            out.push(b'\n');
            // OpenAI's own in-stream error ends the stream; it is passed on as the last word.
            if is_error(&event.data) {
                self.done = true;
                return;
            }
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        self.fail("OpenAI's stream ended before [DONE]", out);
    }

    fn fail(&mut self, message: &str, out: &mut Vec<u8>) {
        if !self.done {
            write_error(out, message);
            self.done = true;
        }
    }

    fn is_done(&self) -> bool {
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compat::stream::{events, run};

    const STREAM: &str = "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n\
        : keep-alive\n\n\
        data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hé\"}}]}\n\n\
        data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n\
        data: [DONE]\n\n";

    #[test]
    fn events_pass_through_unchanged_whatever_the_chunking() {
        let expected: String = STREAM.replace(": keep-alive\n\n", "");
        for step in [1, 2, 7, 64, STREAM.len()] {
            let out = run(&mut Relay::new(), STREAM.as_bytes(), step);
            assert_eq!(String::from_utf8(out).unwrap(), expected, "step {step}");
        }
    }

    #[test]
    fn a_stream_cut_before_done_ends_with_an_error() {
        let cut = &STREAM[..STREAM.find("data: [DONE]").unwrap()];
        let e = events(&run(&mut Relay::new(), cut.as_bytes(), 10));
        assert_eq!(e.len(), 4);
        assert_eq!(
            e[3]["error"]["message"],
            "OpenAI's stream ended before [DONE]"
        );
    }

    #[test]
    fn an_in_stream_error_is_passed_on_and_ends_the_stream() {
        let stream = "data: {\"choices\":[{\"delta\":{\"content\":\"say \\\"error\\\"\"}}]}\n\n\
                      data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}\n\n";
        let e = events(&run(&mut Relay::new(), stream.as_bytes(), 5));
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!(e[0]["choices"][0]["delta"]["content"], "say \"error\"");
        assert_eq!(e[1]["error"]["message"], "boom");
    }

    #[test]
    fn nothing_follows_done_or_a_failure() {
        let mut relay = Relay::new();
        let mut out = vec![];
        relay.push(b"data: [DONE]\n\ndata: {\"late\":1}\n\n", &mut out);
        relay.fail("gone", &mut out);
        assert_eq!(out, DONE);
        assert!(relay.is_done());
    }
}
