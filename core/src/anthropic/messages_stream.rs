//! Anthropic's Messages stream as OpenAI chunks, event by event as it arrives:
//!
//! | Anthropic event | chunk |
//! |---|---|
//! | `message_start` | the role chunk (id and model from the message) |
//! | `content_block_delta` `text_delta` | `delta.content` |
//! | `content_block_start` `tool_use` | `delta.tool_calls[i]` with id and name |
//! | `content_block_delta` `input_json_delta` | `delta.tool_calls[i].function.arguments` |
//! | `message_delta` | remembers `stop_reason` and the output tokens |
//! | `message_stop` | finish chunk, usage chunk (if asked), `[DONE]` |
//! | `error` | OpenAI's in-stream error |
//!
//! `ping`, `thinking` and signature deltas have no OpenAI counterpart and are dropped. The
//! tool standing in for `response_format: json_schema` streams its input as content.

use super::messages_compat::{finish_reason, AnthropicUsage};
use crate::compat::response::{ChunkHead, Delta, ToolCallDelta};
use crate::compat::stream::{ChunkWriter, Translate};
use crate::sse::SseDecoder;
use serde::Deserialize;

pub struct Translator {
    decoder: SseDecoder,
    writer: ChunkWriter,
    json_tool: Option<String>,
    /// For each content block index: its tool-call index, when it is a tool call.
    tool_of_block: Vec<Option<u32>>,
    /// The content block that is the json tool, whose input is content.
    json_block: Option<u32>,
    tools: u32,
    stop_reason: Option<String>,
    usage: AnthropicUsage,
}

impl Translator {
    pub fn new(head: ChunkHead, include_usage: bool, json_tool: Option<String>) -> Self {
        Translator {
            decoder: SseDecoder::new(),
            writer: ChunkWriter::new(head, include_usage),
            json_tool,
            tool_of_block: vec![],
            json_block: None,
            tools: 0,
            stop_reason: None,
            usage: AnthropicUsage::default(),
        }
    }

    fn event(&mut self, event: Event, out: &mut Vec<u8>) {
        match event {
            Event::MessageStart { message } => {
                if let Some(id) = message.id {
                    self.writer.head.id = id;
                }
                if let Some(model) = message.model {
                    self.writer.head.model = model;
                }
                self.usage.update(message.usage);
                self.writer.start(out);
            }
            Event::ContentBlockStart {
                index,
                content_block,
            } => match content_block {
                Block::ToolUse { name, .. } if Some(&name) == self.json_tool.as_ref() => {
                    self.json_block = Some(index)
                }
                Block::ToolUse { id, name } => {
                    let i = self.tools;
                    self.tools += 1;
                    let slot = index as usize;
                    if self.tool_of_block.len() <= slot {
                        self.tool_of_block.resize(slot + 1, None);
                    }
                    self.tool_of_block[slot] = Some(i);
                    let delta = Delta {
                        tool_calls: vec![ToolCallDelta::start(i, id, name)],
                        ..Delta::default()
                    };
                    self.writer.delta(delta, out);
                }
                Block::Text { text } if !text.is_empty() => {
                    self.writer.delta(Delta::text(text), out)
                }
                _ => {}
            },
            Event::ContentBlockDelta { index, delta } => match delta {
                BlockDelta::TextDelta { text } => self.writer.delta(Delta::text(text), out),
                BlockDelta::InputJsonDelta { partial_json } if Some(index) == self.json_block => {
                    if !partial_json.is_empty() {
                        self.writer.delta(Delta::text(partial_json), out)
                    }
                }
                BlockDelta::InputJsonDelta { partial_json } if !partial_json.is_empty() => {
                    if let Some(Some(i)) = self.tool_of_block.get(index as usize) {
                        let delta = Delta {
                            tool_calls: vec![ToolCallDelta::arguments(*i, partial_json)],
                            ..Delta::default()
                        };
                        self.writer.delta(delta, out);
                    }
                }
                BlockDelta::InputJsonDelta { .. } | BlockDelta::Other => {}
            },
            Event::MessageDelta { delta, usage } => {
                if delta.stop_reason.is_some() {
                    self.stop_reason = delta.stop_reason;
                }
                self.usage.update(usage);
            }
            Event::MessageStop => {
                let finish = finish_reason(self.stop_reason.as_deref(), self.json_tool.is_some());
                self.writer.end(finish, self.usage.to_openai(), out);
            }
            Event::Error { error } => self.writer.error(
                &format!("Anthropic stream error ({}): {}", error.kind, error.message),
                out,
            ),
            Event::Other => {}
        }
    }
}

impl Translate for Translator {
    fn push(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        if self.writer.is_done() {
            return;
        }
        let Ok(events) = self.decoder.push(bytes) else {
            return self
                .writer
                .error("Anthropic sent a line longer than the gateway reads", out);
        };
        for event in events {
            match serde_json::from_str::<Event>(&event.data) {
                Ok(e) => self.event(e, out),
                Err(e) => self.writer.error(
                    &format!("Anthropic sent an event that is not JSON: {e}"),
                    out,
                ),
            }
            if self.writer.is_done() {
                return;
            }
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        self.writer
            .error("Anthropic's stream ended before message_stop", out);
    }

    fn fail(&mut self, message: &str, out: &mut Vec<u8>) {
        self.writer.error(message, out);
    }

    fn is_done(&self) -> bool {
        self.writer.is_done()
    }
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Event {
    MessageStart {
        message: StartMessage,
    },
    ContentBlockStart {
        index: u32,
        content_block: Block,
    },
    ContentBlockDelta {
        index: u32,
        delta: BlockDelta,
    },
    MessageDelta {
        delta: MessageDeltaBody,
        #[serde(default)]
        usage: AnthropicUsage,
    },
    MessageStop,
    Error {
        error: ErrorBody,
    },
    /// `ping`, `content_block_stop`, and event types newer than this file.
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct StartMessage {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    usage: AnthropicUsage,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Block {
    Text {
        #[serde(default)]
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BlockDelta {
    TextDelta {
        text: String,
    },
    InputJsonDelta {
        partial_json: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct MessageDeltaBody {
    #[serde(default)]
    stop_reason: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(rename = "type")]
    kind: String,
    message: String,
}

#[cfg(test)]
#[path = "messages_stream_tests.rs"]
mod tests;
