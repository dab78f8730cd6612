//! OpenAI's answer shapes: `chat.completion`, `chat.completion.chunk` and `usage`, written by
//! the Anthropic and Ollama translations (an OpenAI upstream's answer is passed on as it is).

use serde::Serialize;

/// Why the model stopped, in OpenAI's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    Stop,
    Length,
    ToolCalls,
    ContentFilter,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_tokens_details: Option<PromptTokensDetails>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PromptTokensDetails {
    pub cached_tokens: u64,
}

impl Usage {
    pub fn new(prompt_tokens: u64, completion_tokens: u64) -> Self {
        Usage {
            prompt_tokens,
            completion_tokens,
            total_tokens: prompt_tokens + completion_tokens,
            prompt_tokens_details: None,
        }
    }
}

/// A non-streamed answer.
#[derive(Debug, PartialEq, Serialize)]
pub struct ChatCompletion {
    pub id: String,
    pub object: &'static str,
    pub created: u64,
    pub model: String,
    pub choices: Vec<Choice>,
    pub usage: Usage,
}

impl ChatCompletion {
    /// The one-choice completion every translation produces.
    pub fn new(
        head: &ChunkHead,
        message: AssistantMessage,
        finish: FinishReason,
        usage: Usage,
    ) -> Self {
        ChatCompletion {
            id: head.id.clone(),
            object: "chat.completion",
            created: head.created,
            model: head.model.clone(),
            choices: vec![Choice {
                index: 0,
                message,
                logprobs: None,
                finish_reason: finish,
            }],
            usage,
        }
    }
}

#[derive(Debug, PartialEq, Serialize)]
pub struct Choice {
    pub index: u32,
    pub message: AssistantMessage,
    /// Always `null`: log probabilities are refused before the call.
    pub logprobs: Option<()>,
    pub finish_reason: FinishReason,
}

#[derive(Debug, Default, PartialEq, Serialize)]
pub struct AssistantMessage {
    pub role: &'static str,
    pub content: Option<String>,
    pub refusal: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCallOut>,
}

impl AssistantMessage {
    pub fn new(content: Option<String>, tool_calls: Vec<ToolCallOut>) -> Self {
        AssistantMessage {
            role: "assistant",
            content,
            refusal: None,
            tool_calls,
        }
    }
}

#[derive(Debug, PartialEq, Serialize)]
pub struct ToolCallOut {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub function: FunctionOut,
}

#[derive(Debug, PartialEq, Serialize)]
pub struct FunctionOut {
    pub name: String,
    /// JSON text.
    pub arguments: String,
}

impl ToolCallOut {
    pub fn function(id: String, name: String, arguments: String) -> Self {
        ToolCallOut {
            id,
            kind: "function",
            function: FunctionOut { name, arguments },
        }
    }
}

/// What every chunk of one stream (and a completion) shares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkHead {
    pub id: String,
    /// Unix seconds.
    pub created: u64,
    pub model: String,
}

/// One streamed piece.
#[derive(Debug, PartialEq, Serialize)]
pub struct Chunk<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub created: u64,
    pub model: &'a str,
    pub choices: Vec<ChunkChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

#[derive(Debug, PartialEq, Serialize)]
pub struct ChunkChoice {
    pub index: u32,
    pub delta: Delta,
    pub logprobs: Option<()>,
    pub finish_reason: Option<FinishReason>,
}

#[derive(Debug, Default, PartialEq, Serialize)]
pub struct Delta {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCallDelta>,
}

impl Delta {
    pub fn text(text: impl Into<String>) -> Self {
        Delta {
            content: Some(text.into()),
            ..Delta::default()
        }
    }
}

#[derive(Debug, PartialEq, Serialize)]
pub struct ToolCallDelta {
    pub index: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    pub function: FunctionDelta,
}

#[derive(Debug, Default, PartialEq, Serialize)]
pub struct FunctionDelta {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
}

impl ToolCallDelta {
    /// The first piece of a call: its id and name, arguments to follow.
    pub fn start(index: u32, id: String, name: String) -> Self {
        ToolCallDelta {
            index,
            id: Some(id),
            kind: Some("function"),
            function: FunctionDelta {
                name: Some(name),
                arguments: Some(String::new()),
            },
        }
    }

    pub fn arguments(index: u32, arguments: String) -> Self {
        ToolCallDelta {
            index,
            id: None,
            kind: None,
            function: FunctionDelta {
                name: None,
                arguments: Some(arguments),
            },
        }
    }
}

impl ChunkHead {
    /// A chunk with one choice.
    pub fn chunk(&self, delta: Delta, finish_reason: Option<FinishReason>) -> Chunk<'_> {
        Chunk {
            id: &self.id,
            object: "chat.completion.chunk",
            created: self.created,
            model: &self.model,
            choices: vec![ChunkChoice {
                index: 0,
                delta,
                logprobs: None,
                finish_reason,
            }],
            usage: None,
        }
    }

    /// The usage chunk `stream_options.include_usage` asks for: no choices.
    pub fn usage_chunk(&self, usage: Usage) -> Chunk<'_> {
        Chunk {
            id: &self.id,
            object: "chat.completion.chunk",
            created: self.created,
            model: &self.model,
            choices: vec![],
            usage: Some(usage),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn head() -> ChunkHead {
        ChunkHead {
            id: "chatcmpl-1".into(),
            created: 1700000000,
            model: "m".into(),
        }
    }

    #[test]
    fn completions_serialise_as_openai_writes_them() {
        let c = ChatCompletion::new(
            &head(),
            AssistantMessage::new(Some("hi".into()), vec![]),
            FinishReason::Stop,
            Usage::new(3, 1),
        );
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            json!({"id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000, "model": "m",
                   "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi", "refusal": null},
                                "logprobs": null, "finish_reason": "stop"}],
                   "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}})
        );
    }

    #[test]
    fn chunks_serialise_as_openai_writes_them() {
        let h = head();
        let first = Delta {
            role: Some("assistant"),
            content: Some(String::new()),
            ..Delta::default()
        };
        assert_eq!(
            serde_json::to_value(h.chunk(first, None)).unwrap(),
            json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000, "model": "m",
                   "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": null, "finish_reason": null}]})
        );
        let call = Delta {
            tool_calls: vec![ToolCallDelta::start(0, "call_1".into(), "f".into())],
            ..Delta::default()
        };
        assert_eq!(
            serde_json::to_value(h.chunk(call, None)).unwrap()["choices"][0]["delta"],
            json!({"tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "f", "arguments": ""}}]})
        );
        assert_eq!(
            serde_json::to_value(h.usage_chunk(Usage::new(1, 2))).unwrap()["choices"],
            json!([])
        );
    }
}
