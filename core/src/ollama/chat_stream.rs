//! Ollama's `/api/chat` stream (newline-delimited JSON) as OpenAI chunks: each line's
//! `message.content` is a content delta, its `tool_calls` (Ollama sends each call whole)
//! are tool-call deltas, and the `done: true` line ends the stream with the finish reason
//! and the usage from its eval counts. A line `{"error": "…"}` is an in-stream error.

use super::chat_compat::{finish_reason, OllamaChat};
use crate::compat::response::{ChunkHead, Delta, ToolCallDelta, Usage};
use crate::compat::stream::{ChunkWriter, Translate};
use crate::sse::NdjsonDecoder;

pub struct Translator {
    decoder: NdjsonDecoder,
    writer: ChunkWriter,
    tools: u32,
}

impl Translator {
    pub fn new(head: ChunkHead, include_usage: bool) -> Self {
        Translator {
            decoder: NdjsonDecoder::new(),
            writer: ChunkWriter::new(head, include_usage),
            tools: 0,
        }
    }

    fn line(&mut self, line: &str, out: &mut Vec<u8>) {
        let chat: OllamaChat = match serde_json::from_str(line) {
            Ok(chat) => chat,
            Err(e) => {
                return self
                    .writer
                    .error(&format!("Ollama sent a line that is not JSON: {e}"), out)
            }
        };
        if let Some(error) = chat.error {
            return self
                .writer
                .error(&format!("Ollama stream error: {error}"), out);
        }
        if let Some(model) = chat.model {
            self.writer.head.model = model;
        }
        self.writer.start(out);
        if let Some(message) = chat.message {
            if !message.content.is_empty() {
                self.writer.delta(Delta::text(message.content), out);
            }
            for call in &message.tool_calls {
                let n = self.tools;
                self.tools += 1;
                let call = call.to_openai(&self.writer.head, n);
                let mut delta = ToolCallDelta::start(n, call.id, call.function.name);
                delta.function.arguments = Some(call.function.arguments);
                self.writer.delta(
                    Delta {
                        tool_calls: vec![delta],
                        ..Delta::default()
                    },
                    out,
                );
            }
        }
        if chat.done {
            let finish = finish_reason(chat.done_reason.as_deref(), self.tools > 0);
            self.writer.end(
                finish,
                Usage::new(chat.prompt_eval_count, chat.eval_count),
                out,
            );
        }
    }
}

impl Translate for Translator {
    fn push(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        if self.writer.is_done() {
            return;
        }
        let Ok(lines) = self.decoder.push(bytes) else {
            return self
                .writer
                .error("Ollama sent a line longer than the gateway reads", out);
        };
        for line in lines {
            self.line(&line, out);
            if self.writer.is_done() {
                return;
            }
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if let Some(line) = self.decoder.finish() {
            self.line(&line, out);
        }
        self.writer.error("Ollama's stream ended before done", out);
    }

    fn fail(&mut self, message: &str, out: &mut Vec<u8>) {
        self.writer.error(message, out);
    }

    fn is_done(&self) -> bool {
        self.writer.is_done()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compat::stream::{events, run};
    use serde_json::json;

    fn head() -> ChunkHead {
        ChunkHead {
            id: "chatcmpl-abc".into(),
            created: 1_700_000_000,
            model: "llama3.2".into(),
        }
    }

    const STREAM: &str = "{\"model\":\"llama3.2\",\"created_at\":\"t\",\"message\":{\"role\":\"assistant\",\"content\":\"Hel\"},\"done\":false}\n\
        {\"model\":\"llama3.2\",\"created_at\":\"t\",\"message\":{\"role\":\"assistant\",\"content\":\"lo ü\"},\"done\":false}\n\
        {\"model\":\"llama3.2\",\"created_at\":\"t\",\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":{\"x\":1}}}]},\"done\":false}\n\
        {\"model\":\"llama3.2\",\"created_at\":\"t\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":12,\"eval_count\":4}\n";

    #[test]
    fn lines_become_chunks_whatever_the_chunking() {
        let expected = events(&run(
            &mut Translator::new(head(), true),
            STREAM.as_bytes(),
            STREAM.len(),
        ));
        let deltas: Vec<_> = expected
            .iter()
            .map(|c| c["choices"][0]["delta"].clone())
            .collect();
        assert_eq!(
            deltas[..4],
            [
                json!({"role": "assistant", "content": ""}),
                json!({"content": "Hel"}),
                json!({"content": "lo ü"}),
                json!({"tool_calls": [{"index": 0, "id": "call_abc_0", "type": "function", "function": {"name": "f", "arguments": "{\"x\":1}"}}]}),
            ]
        );
        assert_eq!(expected[4]["choices"][0]["finish_reason"], "tool_calls");
        assert_eq!(
            expected[5]["usage"],
            json!({"prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16})
        );
        assert_eq!(expected[6], "[DONE]");
        assert_eq!(expected.len(), 7);
        for step in [1, 5, 33] {
            assert_eq!(
                events(&run(
                    &mut Translator::new(head(), true),
                    STREAM.as_bytes(),
                    step
                )),
                expected,
                "step {step}"
            );
        }
    }

    #[test]
    fn errors_and_cuts_end_with_an_error() {
        let e = events(&run(
            &mut Translator::new(head(), false),
            b"{\"error\":\"model crashed\"}\n",
            3,
        ));
        assert_eq!(
            e[0]["error"]["message"],
            "Ollama stream error: model crashed"
        );
        let cut = &STREAM[..STREAM.rfind("{\"model").unwrap()];
        let e = events(&run(
            &mut Translator::new(head(), false),
            cut.as_bytes(),
            20,
        ));
        assert_eq!(
            e.last().unwrap()["error"]["message"],
            "Ollama's stream ended before done"
        );
        // A last line without its newline still counts.
        let e = events(&run(
            &mut Translator::new(head(), false),
            STREAM.trim_end().as_bytes(),
            20,
        ));
        assert_eq!(e.last().unwrap(), "[DONE]");
    }
}
