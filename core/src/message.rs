//! The provider-neutral types of the contract (§1): messages in, results out.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

/// One chat message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Message {
            role,
            content: content.into(),
        }
    }
}

/// Tokens billed for one call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenUsage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// A JSON-mode chat answer: the parsed JSON and its usage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatResult {
    pub response: Value,
    pub usage: TokenUsage,
}

/// One request of a chat batch; `id` becomes the provider's `custom_id`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchChatRequest {
    pub id: String,
    pub messages: Vec<Message>,
}

/// One request of an embedding batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchEmbeddingRequest {
    pub id: String,
    pub text: String,
}

/// The result of one batch item, in the shape of the contract's `BatchChatResult`.
/// A failed item keeps `response: {}` (or an empty embedding) and says why in `error`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchChatResult {
    pub id: String,
    pub response: Value,
    pub usage: TokenUsage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The result of one embedding batch item (the contract's `{id, embedding, error?}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchEmbeddingResult {
    pub id: String,
    pub embedding: Vec<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
