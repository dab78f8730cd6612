//! The compatible route on Ollama: an OpenAI Chat Completions request as `/api/chat`, and
//! its answer back as a `chat.completion`.
//!
//! - Messages keep their roles (`developer` → `system`); text parts are joined; images must
//!   be `data:` URLs (Ollama takes base64 bytes, and the gateway fetches nothing); an
//!   assistant's `tool_calls` carry their arguments as objects; a `tool` message gets the
//!   `tool_name` of the call it answers.
//! - `max_completion_tokens`/`max_tokens` → `options.num_predict`; `temperature`, `top_p`,
//!   `seed`, `stop`, `presence_penalty`, `frequency_penalty` → `options`.
//! - `response_format` → `format` (`"json"`, or the JSON schema); `tools` as they are;
//!   `tool_choice: "none"` sends no tools; `required` or a named function has no Ollama
//!   equivalent and is refused.
//! - `user` and `parallel_tool_calls` are ignored.

use super::OllamaConfig;
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

#[derive(Debug)]
pub struct CompatChat {
    pub request: HttpRequest,
    pub ignored: Vec<String>,
}

pub fn compat_request(cfg: &OllamaConfig, req: &ChatRequest) -> Result<CompatChat, CompatError> {
    let mut body = Map::new();
    body.insert("model".into(), json!(cfg.model));
    body.insert("messages".into(), Value::Array(messages(&req.messages)?));
    body.insert("stream".into(), json!(req.streams()));
    let mut options = Map::new();
    let numbers = [
        ("num_predict", req.max_output_tokens().map(|n| json!(n))),
        ("temperature", req.temperature.map(|n| json!(n))),
        ("top_p", req.top_p.map(|n| json!(n))),
        ("seed", req.seed.map(|n| json!(n))),
        ("presence_penalty", req.presence_penalty.map(|n| json!(n))),
        ("frequency_penalty", req.frequency_penalty.map(|n| json!(n))),
        ("stop", req.stop.as_ref().map(|s| json!(s.0))),
    ];
    for (name, value) in numbers {
        if let Some(v) = value {
            options.insert(name.into(), v);
        }
    }
    if !options.is_empty() {
        body.insert("options".into(), Value::Object(options));
    }
    match &req.response_format {
        Some(ResponseFormat::JsonObject) => {
            body.insert("format".into(), json!("json"));
        }
        Some(ResponseFormat::JsonSchema { json_schema }) => {
            let schema = json_schema
                .schema
                .clone()
                .unwrap_or_else(|| json!({"type": "object"}));
            body.insert("format".into(), schema);
        }
        Some(ResponseFormat::Text) | None => {}
    }
    let mut ignored = vec![];
    if req.user.is_some() {
        ignored.push("user".to_string());
    }
    if req.parallel_tool_calls.is_some() {
        ignored.push("parallel_tool_calls".to_string());
    }
    if let Some(tools) = req.tools.as_ref().filter(|t| !t.is_empty()) {
        match &req.tool_choice {
            None | Some(ToolChoice::Auto) => {
                for (i, tool) in tools.iter().enumerate() {
                    if tool.kind != "function" {
                        return Err(CompatError::unsupported(
                            format!("tools[{i}].type"),
                            "Ollama takes function tools only.",
                        ));
                    }
                    if tool.function.is_none() {
                        return Err(CompatError::missing(&format!("tools[{i}].function")));
                    }
                }
                let tools: Vec<Value> = tools
                    .iter()
                    .filter_map(|t| t.function.as_ref())
                    .map(|f| json!({"type": "function", "function": {
                        "name": f.name,
                        "description": f.description.clone().unwrap_or_default(),
                        "parameters": f.parameters.clone().unwrap_or_else(|| json!({"type": "object", "properties": {}})),
                    }}))
                    .collect();
                body.insert("tools".into(), Value::Array(tools));
            }
            Some(ToolChoice::None) => {}
            Some(ToolChoice::Required | ToolChoice::Function(_)) => {
                return Err(CompatError::unsupported(
                    "tool_choice",
                    "Ollama cannot be made to call a tool; send tool_choice \"auto\" or \"none\".",
                ))
            }
        }
    }
    Ok(CompatChat {
        request: HttpRequest::post_json(
            cfg.url("/api/chat"),
            cfg.headers(true),
            Value::Object(body).to_string(),
        ),
        ignored,
    })
}

fn messages(input: &[ChatMessage]) -> Result<Vec<Value>, CompatError> {
    let mut out = vec![];
    // Ollama names the tool a result belongs to; OpenAI names the call.
    let mut call_names: Vec<(&str, &str)> = vec![];
    for (i, m) in input.iter().enumerate() {
        let at = |field: &str| format!("messages[{i}].{field}");
        let text_only = |c: &Content, what: &str| {
            c.text().map_err(|j| {
                CompatError::unsupported(
                    format!("messages[{i}].content[{j}]"),
                    format!("{what} take text only."),
                )
            })
        };
        let required = || {
            m.content
                .as_ref()
                .ok_or_else(|| CompatError::missing(&at("content")))
        };
        out.push(match m.role {
            Role::System | Role::Developer => json!({"role": "system", "content": text_only(required()?, "System messages")?}),
            Role::User => user(required()?, i)?,
            Role::Assistant => {
                let text = match &m.content {
                    Some(c) => text_only(c, "Assistant messages")?,
                    None => String::new(),
                };
                let mut message = json!({"role": "assistant", "content": text});
                if let Some(calls) = m.tool_calls.as_ref().filter(|c| !c.is_empty()) {
                    let mut out_calls = vec![];
                    for (j, call) in calls.iter().enumerate() {
                        let arguments: Value = serde_json::from_str(&call.function.arguments).map_err(|_| {
                            CompatError::invalid(format!("messages[{i}].tool_calls[{j}].function.arguments"), "Tool call arguments must be JSON text.")
                        })?;
                        call_names.push((&call.id, &call.function.name));
                        out_calls.push(json!({"function": {"name": call.function.name, "arguments": arguments}}));
                    }
                    message["tool_calls"] = Value::Array(out_calls);
                }
                message
            }
            Role::Tool => {
                let mut message = json!({"role": "tool", "content": text_only(required()?, "Tool results")?});
                let id = m.tool_call_id.as_deref().ok_or_else(|| CompatError::missing(&at("tool_call_id")))?;
                if let Some((_, name)) = call_names.iter().rev().find(|(call, _)| *call == id) {
                    message["tool_name"] = json!(name);
                }
                message
            }
            Role::Function => {
                return Err(CompatError::unsupported(at("role"), "The deprecated \"function\" role is not supported; use tools and \"tool\" messages."))
            }
        });
    }
    Ok(out)
}

fn user(content: &Content, i: usize) -> Result<Value, CompatError> {
    let parts = match content {
        Content::Text(text) => return Ok(json!({"role": "user", "content": text})),
        Content::Parts(parts) => parts,
    };
    let mut text = String::new();
    let mut images = vec![];
    for (j, part) in parts.iter().enumerate() {
        let at = format!("messages[{i}].content[{j}]");
        match part {
            ContentPart::Text { text: t } | ContentPart::Refusal { refusal: t } => text.push_str(t),
            ContentPart::ImageUrl { image_url } => match image_url.inline() {
                Some((_, data)) => images.push(json!(data)),
                None => {
                    return Err(CompatError::unsupported(at, "Ollama takes images as base64 data: URLs; the gateway does not fetch image URLs."))
                }
            },
            ContentPart::InputAudio { .. } | ContentPart::File { .. } => {
                return Err(CompatError::unsupported(at, "Ollama takes text and image parts through this gateway."))
            }
        }
    }
    let mut message = json!({"role": "user", "content": text});
    if !images.is_empty() {
        message["images"] = Value::Array(images);
    }
    Ok(message)
}

#[derive(Debug, Deserialize)]
pub(crate) struct OllamaMessage {
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub tool_calls: Vec<OllamaToolCall>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct OllamaToolCall {
    #[serde(default)]
    pub id: Option<String>,
    pub function: OllamaFunction,
}

#[derive(Debug, Deserialize)]
pub(crate) struct OllamaFunction {
    pub name: String,
    #[serde(default)]
    pub arguments: Value,
}

impl OllamaToolCall {
    /// The call as OpenAI writes it; Ollama gives no id, so the gateway makes one.
    pub fn to_openai(&self, head: &ChunkHead, n: u32) -> ToolCallOut {
        let id = self.id.clone().unwrap_or_else(|| call_id(head, n));
        let arguments = match &self.function.arguments {
            Value::Null => "{}".to_string(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        ToolCallOut::function(id, self.function.name.clone(), arguments)
    }
}

/// `call_<the completion's id>_<n>`: unique in a conversation, as the ids a model reuses
/// in `tool` messages must be.
fn call_id(head: &ChunkHead, n: u32) -> String {
    let base = head.id.strip_prefix("chatcmpl-").unwrap_or(&head.id);
    format!("call_{base}_{n}")
}

/// One line of Ollama's stream, or its whole answer.
#[derive(Debug, Deserialize)]
pub(crate) struct OllamaChat {
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub message: Option<OllamaMessage>,
    #[serde(default)]
    pub done: bool,
    #[serde(default)]
    pub done_reason: Option<String>,
    #[serde(default)]
    pub prompt_eval_count: u64,
    #[serde(default)]
    pub eval_count: u64,
    #[serde(default)]
    pub error: Option<String>,
}

pub(crate) fn finish_reason(done_reason: Option<&str>, tool_calls: bool) -> FinishReason {
    match done_reason {
        _ if tool_calls => FinishReason::ToolCalls,
        Some("length") => FinishReason::Length,
        _ => FinishReason::Stop,
    }
}

/// Ollama's answer as a `chat.completion` (the gateway's id and time, Ollama's model name).
pub fn parse_compat_chat(body: &str, mut head: ChunkHead) -> Result<ChatCompletion, AnswerProblem> {
    let chat: OllamaChat = serde_json::from_str(body).map_err(|e| AnswerProblem::Unreadable {
        detail: e.to_string(),
    })?;
    let message = chat.message.ok_or(AnswerProblem::NoChoices)?;
    head.model = chat.model.unwrap_or(head.model);
    let calls: Vec<ToolCallOut> = message
        .tool_calls
        .iter()
        .zip(0..)
        .map(|(c, n)| c.to_openai(&head, n))
        .collect();
    let content = (!message.content.is_empty() || calls.is_empty()).then_some(message.content);
    let finish = finish_reason(chat.done_reason.as_deref(), !calls.is_empty());
    let usage = Usage::new(chat.prompt_eval_count, chat.eval_count);
    Ok(ChatCompletion::new(
        &head,
        AssistantMessage::new(content, calls),
        finish,
        usage,
    ))
}

#[cfg(test)]
#[path = "chat_compat_tests.rs"]
mod tests;
