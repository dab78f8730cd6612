//! `POST /api/embed`.

use super::OllamaConfig;
use crate::error::AnswerProblem;
use crate::http::HttpRequest;
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct EmbedBody<'a> {
    model: &'a str,
    input: &'a [String],
}

pub fn embed_request(cfg: &OllamaConfig, inputs: &[String]) -> HttpRequest {
    let body = EmbedBody {
        model: &cfg.model,
        input: inputs,
    };
    HttpRequest::post_json(
        cfg.url("/api/embed"),
        cfg.headers(true),
        crate::openai::chat::to_json(&body),
    )
}

#[derive(Deserialize)]
struct EmbedResponse {
    embeddings: Vec<Vec<f64>>,
}

pub fn parse_embed_response(body: serde_json::Value) -> Result<Vec<Vec<f64>>, AnswerProblem> {
    serde_json::from_value::<EmbedResponse>(body)
        .map(|r| r.embeddings)
        .map_err(|e| AnswerProblem::Unreadable {
            detail: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Body;

    #[test]
    fn request_and_response() {
        let cfg = OllamaConfig::new("http://h:11434", "nomic-embed-text");
        let req = embed_request(&cfg, &["a".into()]);
        assert_eq!(req.url, "http://h:11434/api/embed");
        assert_eq!(
            req.body,
            Body::Json(r#"{"model":"nomic-embed-text","input":["a"]}"#.into())
        );
        let v = parse_embed_response(serde_json::json!({"model": "m", "embeddings": [[0.5, 1.0]]}))
            .unwrap();
        assert_eq!(v, vec![vec![0.5, 1.0]]);
    }
}
