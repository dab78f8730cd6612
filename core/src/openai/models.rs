//! `GET /models/{id}`: the health probe that costs nothing.

use super::OpenAIConfig;
use crate::http::{path_segment, HttpRequest};

/// Asks whether the configured model exists (and the key works).
pub fn retrieve_request(cfg: &OpenAIConfig) -> HttpRequest {
    cfg.get(&format!("/models/{}", path_segment(&cfg.model)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::ApiKey;

    #[test]
    fn addresses_the_model() {
        let cfg = OpenAIConfig::new(ApiKey::new("k"), "ft:gpt-4o:acme::1");
        assert_eq!(
            retrieve_request(&cfg).url,
            "https://api.openai.com/v1/models/ft%3Agpt-4o%3Aacme%3A%3A1"
        );
    }
}
