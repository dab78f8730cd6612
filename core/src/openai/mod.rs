//! OpenAI's wire format: one module per API resource, serde types beside the builders
//! (`*_request`) and parsers (`parse_*`).

pub mod batch_input;
pub mod batch_output;
pub mod batches;
pub mod chat;
pub mod chat_stream;
pub mod embeddings;
pub mod files;
pub mod models;

use crate::http::{join_url, ApiKey, HttpRequest};

pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
/// The reference sends `max_tokens: 8192` on every chat call.
pub const DEFAULT_MAX_TOKENS: u32 = 8192;
/// `POST /embeddings` takes at most this many inputs per call.
pub const MAX_EMBEDDING_INPUTS: usize = 2048;

/// Who to call and how.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenAIConfig {
    pub api_key: ApiKey,
    pub model: String,
    pub base_url: String,
    pub max_tokens: u32,
}

impl OpenAIConfig {
    /// The reference's defaults: api.openai.com, `max_tokens` 8192.
    pub fn new(api_key: ApiKey, model: impl Into<String>) -> Self {
        OpenAIConfig {
            api_key,
            model: model.into(),
            base_url: DEFAULT_BASE_URL.to_string(),
            max_tokens: DEFAULT_MAX_TOKENS,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        join_url(&self.base_url, path)
    }

    /// Exactly the reference's JSON headers, in its order.
    pub(crate) fn json_headers(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Content-Type", "application/json".into()),
            self.auth_header(),
        ]
    }

    pub(crate) fn auth_header(&self) -> (&'static str, String) {
        ("Authorization", format!("Bearer {}", self.api_key.expose()))
    }

    pub(crate) fn get(&self, path: &str) -> HttpRequest {
        HttpRequest::get(self.url(path), vec![self.auth_header()])
    }
}

/// Models that reject `max_tokens` and want `max_completion_tokens` (o-series, gpt-5 family).
pub fn is_reasoning_model(model: &str) -> bool {
    let model = model.strip_prefix("ft:").unwrap_or(model);
    let o_series = model
        .strip_prefix('o')
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()));
    o_series || model.starts_with("gpt-5")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasoning_models_are_recognised() {
        for m in [
            "o1",
            "o1-mini",
            "o3-mini",
            "o4-mini-2025-04-16",
            "gpt-5",
            "gpt-5-mini",
            "ft:o3:org::x",
        ] {
            assert!(is_reasoning_model(m), "{m}");
        }
        for m in [
            "gpt-4o",
            "gpt-4.1",
            "omni-moderation-latest",
            "text-embedding-3-small",
            "",
        ] {
            assert!(!is_reasoning_model(m), "{m}");
        }
    }
}
