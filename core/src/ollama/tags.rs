//! `GET /api/tags`: the models pulled on the server (the health probe).

use super::OllamaConfig;
use crate::error::AnswerProblem;
use crate::http::HttpRequest;
use serde::Deserialize;

/// The reference sends this GET with no headers at all.
pub fn tags_request(cfg: &OllamaConfig) -> HttpRequest {
    HttpRequest::get(cfg.url("/api/tags"), cfg.headers(false))
}

#[derive(Deserialize)]
struct Tags {
    #[serde(default)]
    models: Vec<Tag>,
}

#[derive(Deserialize)]
struct Tag {
    #[serde(default)]
    name: String,
    #[serde(default)]
    model: String,
}

/// The names of the pulled models.
pub fn parse_tags(body: serde_json::Value) -> Result<Vec<String>, AnswerProblem> {
    let tags: Tags = serde_json::from_value(body).map_err(|e| AnswerProblem::Unreadable {
        detail: e.to_string(),
    })?;
    Ok(tags
        .models
        .into_iter()
        .map(|t| if t.name.is_empty() { t.model } else { t.name })
        .collect())
}

/// Whether `model` is among `pulled`; a name without a tag means `:latest`, as Ollama reads it.
pub fn is_pulled(pulled: &[String], model: &str) -> bool {
    let full = |name: &str| {
        if name.contains(':') {
            name.to_string()
        } else {
            format!("{name}:latest")
        }
    };
    let wanted = full(model);
    pulled.iter().any(|name| full(name) == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pulled_models_match_with_implicit_latest() {
        let pulled =
            parse_tags(json!({"models": [{"name": "llama3.2:latest"}, {"name": "qwen2.5:7b"}]}))
                .unwrap();
        assert!(is_pulled(&pulled, "llama3.2"));
        assert!(is_pulled(&pulled, "llama3.2:latest"));
        assert!(is_pulled(&pulled, "qwen2.5:7b"));
        assert!(!is_pulled(&pulled, "qwen2.5"));
        assert!(!is_pulled(&pulled, "mistral"));
    }

    #[test]
    fn the_probe_has_no_headers() {
        let req = tags_request(&OllamaConfig::new("http://h", "m"));
        assert_eq!(
            (req.url.as_str(), req.headers.len()),
            ("http://h/api/tags", 0)
        );
    }
}
