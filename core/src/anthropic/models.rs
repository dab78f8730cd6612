//! `GET /models/{id}`: the health probe that costs nothing.

use super::AnthropicConfig;
use crate::http::{path_segment, HttpRequest};

pub fn retrieve_request(cfg: &AnthropicConfig) -> HttpRequest {
    cfg.get(&format!("/models/{}", path_segment(&cfg.model)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::ApiKey;

    #[test]
    fn addresses_the_model_with_auth() {
        let req = retrieve_request(&AnthropicConfig::new(ApiKey::new("k"), "claude-opus-4-1"));
        assert_eq!(
            req.url,
            "https://api.anthropic.com/v1/models/claude-opus-4-1"
        );
        assert_eq!(req.header("x-api-key"), Some("k"));
    }
}
