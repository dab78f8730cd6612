//! Ollama's wire format: `/api/chat`, `/api/embed`, `/api/tags`.

pub mod chat;
pub mod chat_compat;
pub mod chat_stream;
pub mod embed;
pub mod tags;

use crate::http::{join_url, ApiKey};

pub const DEFAULT_URL: &str = "http://localhost:11434";
pub const DEFAULT_MAX_CONTEXT_TOKENS: u32 = 8192;

/// Which server and model.
#[derive(Clone, Debug, PartialEq)]
pub struct OllamaConfig {
    pub url: String,
    pub model: String,
    /// Ollama needs no key; one given (an auth proxy in front) is sent as a Bearer token.
    pub api_key: ApiKey,
}

impl OllamaConfig {
    pub fn new(url: impl Into<String>, model: impl Into<String>) -> Self {
        OllamaConfig {
            url: url.into(),
            model: model.into(),
            api_key: ApiKey::default(),
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        join_url(&self.url, path)
    }

    pub(crate) fn headers(&self, json: bool) -> Vec<(&'static str, String)> {
        let mut headers = vec![];
        if json {
            headers.push(("Content-Type", "application/json".to_string()));
        }
        if !self.api_key.is_empty() {
            headers.push(("Authorization", format!("Bearer {}", self.api_key.expose())));
        }
        headers
    }
}
