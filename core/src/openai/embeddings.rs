//! `POST /embeddings`.

use super::chat::to_json;
use super::OpenAIConfig;
use crate::error::AnswerProblem;
use crate::http::HttpRequest;
use serde::{Deserialize, Serialize};

/// The request body; also each embedding batch line's `body` (with one input).
#[derive(Debug, Serialize)]
pub struct EmbeddingBody<'a, I: Serialize> {
    pub model: &'a str,
    pub input: I,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<u32>,
}

/// Embeds `inputs` (at most [`super::MAX_EMBEDDING_INPUTS`]; the caller splits).
pub fn embeddings_request(
    cfg: &OpenAIConfig,
    inputs: &[String],
    dimensions: Option<u32>,
) -> HttpRequest {
    let body = EmbeddingBody {
        model: &cfg.model,
        input: inputs,
        dimensions,
    };
    HttpRequest::post_json(cfg.url("/embeddings"), cfg.json_headers(), to_json(&body))
}

/// The reference's embedding health probe: one input, "health check".
pub fn probe_request(cfg: &OpenAIConfig) -> HttpRequest {
    let body = EmbeddingBody {
        model: &cfg.model,
        input: "health check",
        dimensions: None,
    };
    HttpRequest::post_json(cfg.url("/embeddings"), cfg.json_headers(), to_json(&body))
}

#[derive(Deserialize)]
struct EmbeddingList {
    data: Vec<EmbeddingItem>,
}

#[derive(Deserialize)]
struct EmbeddingItem {
    #[serde(default)]
    index: Option<usize>,
    embedding: Vec<f64>,
}

/// The vectors of an embeddings answer, in input order (sorted by `index`).
pub fn parse_embeddings(body: serde_json::Value) -> Result<Vec<Vec<f64>>, AnswerProblem> {
    let mut list: EmbeddingList =
        serde_json::from_value(body).map_err(|e| AnswerProblem::Unreadable {
            detail: e.to_string(),
        })?;
    // Items without an index keep their position.
    let keyed = list
        .data
        .iter()
        .enumerate()
        .map(|(i, item)| item.index.unwrap_or(i))
        .collect::<Vec<_>>();
    let mut order: Vec<usize> = (0..list.data.len()).collect();
    order.sort_by_key(|&i| keyed[i]);
    Ok(order
        .into_iter()
        .map(|i| std::mem::take(&mut list.data[i].embedding))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{ApiKey, Body};
    use serde_json::json;

    #[test]
    fn request_and_probe_bodies() {
        let cfg = OpenAIConfig::new(ApiKey::new("k"), "text-embedding-3-small");
        let req = embeddings_request(&cfg, &["a".into(), "b".into()], None);
        assert_eq!(req.url, "https://api.openai.com/v1/embeddings");
        assert_eq!(
            req.body,
            Body::Json(r#"{"model":"text-embedding-3-small","input":["a","b"]}"#.into())
        );
        let req = embeddings_request(&cfg, &["a".into()], Some(256));
        assert_eq!(
            req.body,
            Body::Json(
                r#"{"model":"text-embedding-3-small","input":["a"],"dimensions":256}"#.into()
            )
        );
        assert_eq!(
            probe_request(&cfg).body,
            Body::Json(r#"{"model":"text-embedding-3-small","input":"health check"}"#.into())
        );
    }

    #[test]
    fn vectors_come_back_in_input_order() {
        let v = parse_embeddings(json!({"data": [
            {"index": 1, "embedding": [0.5]}, {"index": 0, "embedding": [0.25, -1.0]}
        ]}))
        .unwrap();
        assert_eq!(v, vec![vec![0.25, -1.0], vec![0.5]]);
        assert!(parse_embeddings(json!({"data": "x"})).is_err());
    }
}
