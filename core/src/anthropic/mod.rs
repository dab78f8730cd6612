//! Anthropic's wire format: the Messages API and Message Batches.

pub mod batch_results;
pub mod batches;
pub mod messages;
pub mod messages_compat;
pub mod messages_stream;
pub mod models;

use crate::http::{join_url, ApiKey, HttpRequest};

pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com/v1";
pub const API_VERSION: &str = "2023-06-01";
pub const DEFAULT_MAX_TOKENS: u32 = 8192;

/// Who to call and how.
#[derive(Clone, Debug, PartialEq)]
pub struct AnthropicConfig {
    pub api_key: ApiKey,
    pub model: String,
    pub base_url: String,
    pub max_tokens: u32,
}

impl AnthropicConfig {
    pub fn new(api_key: ApiKey, model: impl Into<String>) -> Self {
        AnthropicConfig {
            api_key,
            model: model.into(),
            base_url: DEFAULT_BASE_URL.to_string(),
            max_tokens: DEFAULT_MAX_TOKENS,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        join_url(&self.base_url, path)
    }

    fn auth_headers(&self) -> Vec<(&'static str, String)> {
        vec![
            ("x-api-key", self.api_key.expose().to_string()),
            ("anthropic-version", API_VERSION.to_string()),
        ]
    }

    pub(crate) fn json_headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![("Content-Type", "application/json".to_string())];
        headers.extend(self.auth_headers());
        headers
    }

    /// A GET with the auth headers, for `url` as given (batch `results_url` is absolute).
    pub(crate) fn get_absolute(&self, url: String) -> HttpRequest {
        HttpRequest::get(url, self.auth_headers())
    }

    pub(crate) fn get(&self, path: &str) -> HttpRequest {
        self.get_absolute(self.url(path))
    }
}
