//! The compatible route on Anthropic: an OpenAI Chat Completions request as a Messages API
//! call, and the Message back as a `chat.completion`.
//!
//! - `system` and `developer` messages become the top-level `system`; `tool` messages become
//!   `tool_result` blocks (consecutive ones in one user turn, as Anthropic requires); an
//!   assistant's `tool_calls` become `tool_use` blocks; images become `image` blocks
//!   (`data:` URLs inline, `https:` URLs by reference).
//! - `max_completion_tokens`/`max_tokens` → `max_tokens` (Anthropic requires one: the
//!   configured default when the client sends none); `stop` → `stop_sequences`; `user` →
//!   `metadata.user_id`; `tools` and `tool_choice` translated (`required` → `any`,
//!   `parallel_tool_calls: false` → `disable_parallel_tool_use`).
//! - `response_format: json_schema` is a forced call of a tool whose input schema is the
//!   schema; its input comes back as the message content, so the answer is the client's
//!   JSON. `json_object` has no Anthropic equivalent and is ignored (the prompt asks for
//!   JSON, as OpenAI requires anyway).
//! - `seed`, `presence_penalty`, `frequency_penalty` have no equivalent and are ignored.

use super::AnthropicConfig;
use crate::compat::request::{
    ChatMessage, ChatRequest, Content, ContentPart, ResponseFormat, Role, ToolChoice,
};
use crate::compat::response::{
    AssistantMessage, ChatCompletion, ChunkHead, FinishReason, ToolCallOut, Usage,
};
use crate::compat::CompatError;
use crate::error::AnswerProblem;
use crate::http::HttpRequest;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The request and what reading its answer needs.
#[derive(Debug)]
pub struct CompatMessages {
    pub request: HttpRequest,
    /// Fields left out (no Anthropic equivalent).
    pub ignored: Vec<String>,
    /// The tool standing in for `response_format: json_schema`.
    pub json_tool: Option<String>,
}

pub fn compat_request(
    cfg: &AnthropicConfig,
    req: &ChatRequest,
) -> Result<CompatMessages, CompatError> {
    let mut body = Map::new();
    body.insert("model".into(), json!(cfg.model));
    body.insert(
        "max_tokens".into(),
        json!(req.max_output_tokens().unwrap_or(cfg.max_tokens)),
    );
    let (system, messages) = messages(&req.messages)?;
    if !system.is_empty() {
        body.insert("system".into(), json!(system.join("\n\n")));
    }
    body.insert("messages".into(), Value::Array(messages));
    if let Some(t) = req.temperature {
        body.insert("temperature".into(), json!(t));
    }
    if let Some(p) = req.top_p {
        body.insert("top_p".into(), json!(p));
    }
    if let Some(stop) = &req.stop {
        body.insert("stop_sequences".into(), json!(stop.0));
    }
    if let Some(user) = &req.user {
        body.insert("metadata".into(), json!({"user_id": user}));
    }
    let mut ignored: Vec<String> = vec![];
    for (name, set) in [
        ("seed", req.seed.is_some()),
        ("presence_penalty", req.presence_penalty.is_some()),
        ("frequency_penalty", req.frequency_penalty.is_some()),
    ] {
        if set {
            ignored.push(name.into());
        }
    }
    let mut json_tool = None;
    match &req.response_format {
        Some(ResponseFormat::JsonSchema { json_schema }) => {
            if req.tools.as_ref().is_some_and(|t| !t.is_empty()) {
                return Err(CompatError::unsupported(
                    "response_format",
                    "Anthropic answers json_schema through a forced tool call, so it cannot be combined with tools.",
                ));
            }
            let schema = json_schema
                .schema
                .clone()
                .unwrap_or_else(|| json!({"type": "object"}));
            let mut tool = json!({"name": json_schema.name, "input_schema": schema});
            if let Some(d) = &json_schema.description {
                tool["description"] = json!(d);
            }
            body.insert("tools".into(), json!([tool]));
            body.insert(
                "tool_choice".into(),
                json!({"type": "tool", "name": json_schema.name}),
            );
            json_tool = Some(json_schema.name.clone());
        }
        Some(ResponseFormat::JsonObject) => ignored.push("response_format".into()),
        Some(ResponseFormat::Text) | None => {}
    }
    if json_tool.is_none() {
        tools(req, &mut body)?;
    }
    if req.streams() {
        body.insert("stream".into(), json!(true));
    }
    Ok(CompatMessages {
        request: HttpRequest::post_json(
            cfg.url("/messages"),
            cfg.json_headers(),
            Value::Object(body).to_string(),
        ),
        ignored,
        json_tool,
    })
}

fn tools(req: &ChatRequest, body: &mut Map<String, Value>) -> Result<(), CompatError> {
    let Some(tools) = req.tools.as_ref().filter(|t| !t.is_empty()) else {
        return Ok(());
    };
    let mut out = vec![];
    for (i, tool) in tools.iter().enumerate() {
        let function = match (&tool.function, tool.kind.as_str()) {
            (Some(f), "function") => f,
            (None, "function") => {
                return Err(CompatError::missing(&format!("tools[{i}].function")))
            }
            (_, kind) => {
                return Err(CompatError::unsupported(
                    format!("tools[{i}].type"),
                    format!("Anthropic takes function tools only, not {kind:?}."),
                ))
            }
        };
        let mut t = json!({
            "name": function.name,
            "input_schema": function.parameters.clone().unwrap_or_else(|| json!({"type": "object", "properties": {}})),
        });
        if let Some(d) = &function.description {
            t["description"] = json!(d);
        }
        out.push(t);
    }
    body.insert("tools".into(), Value::Array(out));
    let mut choice = match &req.tool_choice {
        None | Some(ToolChoice::Auto) => json!({"type": "auto"}),
        Some(ToolChoice::None) => json!({"type": "none"}),
        Some(ToolChoice::Required) => json!({"type": "any"}),
        Some(ToolChoice::Function(name)) => json!({"type": "tool", "name": name}),
    };
    if req.parallel_tool_calls == Some(false) && choice["type"] != "none" {
        choice["disable_parallel_tool_use"] = json!(true);
    }
    body.insert("tool_choice".into(), choice);
    Ok(())
}

/// The `system` texts and the user/assistant turns.
fn messages(input: &[ChatMessage]) -> Result<(Vec<String>, Vec<Value>), CompatError> {
    let mut system = vec![];
    let mut turns: Vec<Value> = vec![];
    for (i, m) in input.iter().enumerate() {
        let at = |field: &str| format!("messages[{i}].{field}");
        match m.role {
            Role::System | Role::Developer => {
                let content = m.content.as_ref().ok_or_else(|| CompatError::missing(&at("content")))?;
                system.push(content.text().map_err(|j| {
                    CompatError::unsupported(format!("messages[{i}].content[{j}]"), "System messages take text only.")
                })?);
            }
            Role::User => {
                let content = m.content.as_ref().ok_or_else(|| CompatError::missing(&at("content")))?;
                turns.push(json!({"role": "user", "content": user_content(content, i)?}));
            }
            Role::Assistant => turns.push(assistant(m, i)?),
            Role::Tool => {
                let id = m.tool_call_id.as_ref().ok_or_else(|| CompatError::missing(&at("tool_call_id")))?;
                let text = match &m.content {
                    Some(c) => c.text().map_err(|j| {
                        CompatError::unsupported(format!("messages[{i}].content[{j}]"), "Tool results take text only.")
                    })?,
                    None => return Err(CompatError::missing(&at("content"))),
                };
                let block = json!({"type": "tool_result", "tool_use_id": id, "content": text});
                // The results of one assistant turn's calls go in one user turn.
                match turns.last_mut() {
                    Some(last) if last["role"] == "user" && last["content"][0]["type"] == "tool_result" => {
                        last["content"].as_array_mut().expect("blocks").push(block)
                    }
                    _ => turns.push(json!({"role": "user", "content": [block]})),
                }
            }
            Role::Function => {
                return Err(CompatError::unsupported(
                    at("role"),
                    "The deprecated \"function\" role is not supported; use tools and \"tool\" messages.",
                ))
            }
        }
    }
    Ok((system, turns))
}

fn user_content(content: &Content, i: usize) -> Result<Value, CompatError> {
    let parts = match content {
        Content::Text(text) => return Ok(json!(text)),
        Content::Parts(parts) => parts,
    };
    let mut blocks = vec![];
    for (j, part) in parts.iter().enumerate() {
        let at = format!("messages[{i}].content[{j}]");
        blocks.push(match part {
            ContentPart::Text { text } | ContentPart::Refusal { refusal: text } => json!({"type": "text", "text": text}),
            ContentPart::ImageUrl { image_url } => match image_url.inline() {
                Some((media_type, data)) => json!({"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}),
                None if image_url.is_remote() => json!({"type": "image", "source": {"type": "url", "url": image_url.url}}),
                None => return Err(CompatError::invalid(at, "An image URL must be https:// or a base64 data: URL.")),
            },
            ContentPart::InputAudio { .. } | ContentPart::File { .. } => {
                return Err(CompatError::unsupported(at, "Anthropic takes text and image parts through this gateway."))
            }
        });
    }
    Ok(Value::Array(blocks))
}

fn assistant(m: &ChatMessage, i: usize) -> Result<Value, CompatError> {
    let text = match &m.content {
        Some(c) => c.text().map_err(|j| {
            CompatError::unsupported(
                format!("messages[{i}].content[{j}]"),
                "Assistant messages take text only.",
            )
        })?,
        None => String::new(),
    };
    let calls = m.tool_calls.as_deref().unwrap_or_default();
    if calls.is_empty() {
        return Ok(json!({"role": "assistant", "content": text}));
    }
    let mut blocks = vec![];
    if !text.is_empty() {
        blocks.push(json!({"type": "text", "text": text}));
    }
    for (j, call) in calls.iter().enumerate() {
        let input: Value = serde_json::from_str(&call.function.arguments).map_err(|_| {
            CompatError::invalid(
                format!("messages[{i}].tool_calls[{j}].function.arguments"),
                "Tool call arguments must be JSON text.",
            )
        })?;
        blocks.push(
            json!({"type": "tool_use", "id": call.id, "name": call.function.name, "input": input}),
        );
    }
    Ok(json!({"role": "assistant", "content": blocks}))
}

/// OpenAI's name for Anthropic's `stop_reason`.
pub(crate) fn finish_reason(stop_reason: Option<&str>, json_tool: bool) -> FinishReason {
    match stop_reason {
        Some("max_tokens" | "model_context_window_exceeded") => FinishReason::Length,
        Some("tool_use") if !json_tool => FinishReason::ToolCalls,
        Some("refusal") => FinishReason::ContentFilter,
        _ => FinishReason::Stop,
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct AnthropicUsage {
    #[serde(default)]
    pub input_tokens: Option<u64>,
    #[serde(default)]
    pub output_tokens: Option<u64>,
    #[serde(default)]
    pub cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    pub cache_read_input_tokens: Option<u64>,
}

impl AnthropicUsage {
    /// OpenAI counts cached prompt tokens inside `prompt_tokens`; Anthropic counts them apart.
    pub fn to_openai(&self) -> Usage {
        let cached = self.cache_read_input_tokens.unwrap_or(0);
        let prompt =
            self.input_tokens.unwrap_or(0) + self.cache_creation_input_tokens.unwrap_or(0) + cached;
        let mut usage = Usage::new(prompt, self.output_tokens.unwrap_or(0));
        if cached > 0 {
            usage.prompt_tokens_details = Some(crate::compat::response::PromptTokensDetails {
                cached_tokens: cached,
            });
        }
        usage
    }

    /// Later counts (a stream's `message_delta`) replace earlier ones.
    pub fn update(&mut self, later: AnthropicUsage) {
        let keep = |a: &mut Option<u64>, b: Option<u64>| {
            if b.is_some() {
                *a = b;
            }
        };
        keep(&mut self.input_tokens, later.input_tokens);
        keep(&mut self.output_tokens, later.output_tokens);
        keep(
            &mut self.cache_creation_input_tokens,
            later.cache_creation_input_tokens,
        );
        keep(
            &mut self.cache_read_input_tokens,
            later.cache_read_input_tokens,
        );
    }
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    content: Vec<Block>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: AnthropicUsage,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Block {
    Text {
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    #[serde(other)]
    Other,
}

/// A Message as a `chat.completion` (`head` gives `created`; id and model are Anthropic's).
pub fn parse_compat_message(
    body: &str,
    mut head: ChunkHead,
    json_tool: Option<&str>,
) -> Result<ChatCompletion, AnswerProblem> {
    let message: Message = serde_json::from_str(body).map_err(|e| AnswerProblem::Unreadable {
        detail: e.to_string(),
    })?;
    head.id = message.id.unwrap_or(head.id);
    head.model = message.model.unwrap_or(head.model);
    let mut text = String::new();
    let mut calls = vec![];
    for block in message.content {
        match block {
            Block::Text { text: t } => text.push_str(&t),
            Block::ToolUse { name, input, .. } if Some(name.as_str()) == json_tool => {
                text.push_str(&input.to_string())
            }
            Block::ToolUse { id, name, input } => {
                calls.push(ToolCallOut::function(id, name, input.to_string()))
            }
            Block::Other => {}
        }
    }
    let content = (!text.is_empty() || calls.is_empty()).then_some(text);
    let finish = finish_reason(message.stop_reason.as_deref(), json_tool.is_some());
    Ok(ChatCompletion::new(
        &head,
        AssistantMessage::new(content, calls),
        finish,
        message.usage.to_openai(),
    ))
}

#[cfg(test)]
#[path = "messages_compat_tests.rs"]
mod tests;
