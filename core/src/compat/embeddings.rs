//! `POST /v1/embeddings` for a configured provider. OpenAI gets the client's body (only
//! `model` rewritten) and its answer is passed on; Ollama's `/api/embed` answer is
//! translated into OpenAI's list, base64 included — the `openai` SDK asks for
//! `encoding_format: "base64"` by default and decodes it itself.

use super::request::{from_value, others};
use super::CompatError;
use crate::error::AnswerProblem;
use crate::http::HttpRequest;
use crate::provider::EmbeddingProvider;
use crate::{openai, Provider};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Most inputs one call takes (OpenAI's limit, kept for every provider).
pub const MAX_INPUTS: usize = openai::MAX_EMBEDDING_INPUTS;

#[derive(Debug)]
pub struct PreparedEmbeddings {
    pub provider: Provider,
    pub request: HttpRequest,
    pub ignored: Vec<String>,
    reader: Reader,
}

#[derive(Debug)]
enum Reader {
    OpenAI,
    Ollama { base64: bool, model: String },
}

/// `input`: text, texts, or token ids (one list or several).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Input {
    Text(String),
    Texts(Vec<String>),
    Tokens(Vec<u32>),
    TokenLists(Vec<Vec<u32>>),
}

#[derive(Debug, Deserialize)]
struct EmbeddingRequest {
    #[allow(dead_code)] // routed on by the caller; required here so a missing one is a 400
    model: String,
    input: Value,
    #[serde(default)]
    encoding_format: Option<String>,
    #[serde(default)]
    dimensions: Option<u32>,
}

const TYPED: &[&str] = &["model", "input", "encoding_format", "dimensions"];

pub fn prepare_embeddings(
    provider: &EmbeddingProvider,
    mut body: Value,
) -> Result<PreparedEmbeddings, CompatError> {
    if !body.is_object() {
        return Err(CompatError::invalid(
            "body",
            "The request body must be a JSON object.",
        ));
    }
    let req: EmbeddingRequest = from_value(&body)?;
    let input: Input = serde_json::from_value(req.input.clone()).map_err(|_| {
        CompatError::invalid(
            "input",
            "Invalid 'input': expected a string, an array of strings, or token ids.",
        )
    })?;
    let count = match &input {
        Input::Text(_) | Input::Tokens(_) => 1,
        Input::Texts(v) => v.len(),
        Input::TokenLists(v) => v.len(),
    };
    if count == 0 || matches!(&input, Input::Tokens(t) if t.is_empty()) {
        return Err(CompatError::invalid(
            "input",
            "Invalid 'input': it must not be empty.",
        ));
    }
    if count > MAX_INPUTS {
        return Err(CompatError::invalid(
            "input",
            format!("Invalid 'input': at most {MAX_INPUTS} inputs per request, got {count}."),
        ));
    }
    let base64 = match req.encoding_format.as_deref() {
        None | Some("float") => false,
        Some("base64") => true,
        Some(other) => {
            return Err(CompatError::invalid(
                "encoding_format",
                format!("Invalid 'encoding_format': {other:?}; expected \"float\" or \"base64\"."),
            ))
        }
    };
    if req.dimensions == Some(0) {
        return Err(CompatError::invalid(
            "dimensions",
            "Invalid 'dimensions': it must be at least 1.",
        ));
    }
    match provider {
        EmbeddingProvider::OpenAI { cfg, .. } => {
            body["model"] = json!(cfg.model);
            Ok(PreparedEmbeddings {
                provider: Provider::OpenAI,
                request: HttpRequest::post_json(
                    cfg.url("/embeddings"),
                    cfg.json_headers(),
                    body.to_string(),
                ),
                ignored: vec![],
                reader: Reader::OpenAI,
            })
        }
        EmbeddingProvider::Ollama(cfg) => {
            let texts = match input {
                Input::Text(t) => vec![t],
                Input::Texts(t) => t,
                Input::Tokens(_) | Input::TokenLists(_) => {
                    return Err(CompatError::unsupported(
                        "input",
                        "Ollama embeds text, not token ids.",
                    ))
                }
            };
            if req.dimensions.is_some() {
                return Err(CompatError::unsupported(
                    "dimensions",
                    "Ollama's vectors have the model's own length.",
                ));
            }
            let ignored = others(body.as_object().expect("checked"), TYPED);
            let sent = json!({"model": cfg.model, "input": texts});
            Ok(PreparedEmbeddings {
                provider: Provider::Ollama,
                request: HttpRequest::post_json(
                    cfg.url("/api/embed"),
                    cfg.headers(true),
                    sent.to_string(),
                ),
                ignored,
                reader: Reader::Ollama {
                    base64,
                    model: cfg.model.clone(),
                },
            })
        }
    }
}

#[derive(Deserialize)]
struct OllamaEmbed {
    embeddings: Vec<Vec<f32>>,
    #[serde(default)]
    prompt_eval_count: u64,
}

#[derive(Serialize)]
struct Item {
    object: &'static str,
    index: usize,
    embedding: Value,
}

impl PreparedEmbeddings {
    /// The answer as OpenAI's embedding list JSON.
    pub fn parse(&self, body: &str) -> Result<String, AnswerProblem> {
        let unreadable = |detail: String| AnswerProblem::Unreadable { detail };
        match &self.reader {
            Reader::OpenAI => match serde_json::from_str::<Value>(body) {
                Ok(Value::Object(_)) => Ok(body.to_string()),
                _ => Err(unreadable(format!(
                    "not a JSON object: {}",
                    crate::json_mode::snippet(body)
                ))),
            },
            Reader::Ollama { base64, model } => {
                let answer: OllamaEmbed =
                    serde_json::from_str(body).map_err(|e| unreadable(e.to_string()))?;
                let data: Vec<Item> = answer
                    .embeddings
                    .into_iter()
                    .enumerate()
                    .map(|(index, v)| Item {
                        object: "embedding",
                        index,
                        embedding: if *base64 {
                            json!(f32_base64(&v))
                        } else {
                            json!(v)
                        },
                    })
                    .collect();
                let tokens = answer.prompt_eval_count;
                let list = json!({"object": "list", "data": data, "model": model,
                                  "usage": {"prompt_tokens": tokens, "total_tokens": tokens}});
                Ok(list.to_string())
            }
        }
    }
}

/// The vector as little-endian float32 bytes in standard base64, as OpenAI encodes it.
pub fn f32_base64(vector: &[f32]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes: Vec<u8> = vector.iter().flat_map(|f| f.to_le_bytes()).collect();
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let n = (u32::from(group[0]) << 16)
            | (u32::from(*group.get(1).unwrap_or(&0)) << 8)
            | u32::from(*group.get(2).unwrap_or(&0));
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= group.len() {
                out.push(ALPHABET[(n >> shift) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{ApiKey, Body};
    use crate::ollama::OllamaConfig;
    use crate::openai::OpenAIConfig;

    fn openai() -> EmbeddingProvider {
        EmbeddingProvider::OpenAI {
            cfg: OpenAIConfig::new(ApiKey::new("k"), "text-embedding-3-small"),
            dimensions: None,
        }
    }
    fn ollama() -> EmbeddingProvider {
        EmbeddingProvider::Ollama(OllamaConfig::new("http://o", "nomic-embed-text"))
    }

    #[test]
    fn base64_is_little_endian_float32() {
        // Node: Buffer.from(new Float32Array([1, -2.5]).buffer).toString("base64")
        assert_eq!(f32_base64(&[1.0, -2.5]), "AACAPwAAIMA=");
        assert_eq!(f32_base64(&[0.5]), "AAAAPw==");
        assert_eq!(f32_base64(&[]), "");
    }

    #[test]
    fn openai_gets_the_clients_body() {
        let p = prepare_embeddings(&openai(), json!({"model": "openai/text-embedding-3-small", "input": ["a"], "encoding_format": "base64", "dimensions": 8})).unwrap();
        let Body::Json(sent) = &p.request.body else {
            panic!()
        };
        assert_eq!(
            sent,
            r#"{"model":"text-embedding-3-small","input":["a"],"encoding_format":"base64","dimensions":8}"#
        );
        assert_eq!(
            p.parse(r#"{"object":"list","data":[]}"#).unwrap(),
            r#"{"object":"list","data":[]}"#
        );
    }

    #[test]
    fn ollama_answers_in_openais_list() {
        let p = prepare_embeddings(
            &ollama(),
            json!({"model": "ollama/nomic-embed-text", "input": "hi", "user": "u"}),
        )
        .unwrap();
        let Body::Json(sent) = &p.request.body else {
            panic!()
        };
        assert_eq!(sent, r#"{"model":"nomic-embed-text","input":["hi"]}"#);
        assert_eq!(p.ignored, ["user"]);
        let out: Value = serde_json::from_str(
            &p.parse(
                r#"{"model":"nomic-embed-text","embeddings":[[0.5,1.0]],"prompt_eval_count":2}"#,
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(
            out,
            json!({"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [0.5, 1.0]}],
                               "model": "nomic-embed-text", "usage": {"prompt_tokens": 2, "total_tokens": 2}})
        );
        let p = prepare_embeddings(
            &ollama(),
            json!({"model": "m", "input": ["a", "b"], "encoding_format": "base64"}),
        )
        .unwrap();
        let out: Value =
            serde_json::from_str(&p.parse(r#"{"embeddings":[[1.0,-2.5],[0.5]]}"#).unwrap())
                .unwrap();
        assert_eq!(out["data"][0]["embedding"], "AACAPwAAIMA=");
        assert_eq!(out["data"][1]["index"], 1);
    }

    #[test]
    fn bad_inputs_are_400s_naming_the_field() {
        let param = |p: &EmbeddingProvider, body: Value| {
            prepare_embeddings(p, body).unwrap_err().param.unwrap()
        };
        assert_eq!(param(&openai(), json!({"model": "m"})), "input");
        assert_eq!(param(&openai(), json!({"input": "x"})), "model");
        assert_eq!(
            param(&openai(), json!({"model": "m", "input": []})),
            "input"
        );
        assert_eq!(
            param(&openai(), json!({"model": "m", "input": [1, "a"]})),
            "input"
        );
        assert_eq!(
            param(
                &openai(),
                json!({"model": "m", "input": "a", "encoding_format": "hex"})
            ),
            "encoding_format"
        );
        let many: Vec<String> = (0..=MAX_INPUTS).map(|i| i.to_string()).collect();
        assert_eq!(
            param(&openai(), json!({"model": "m", "input": many})),
            "input"
        );
        assert_eq!(
            param(&ollama(), json!({"model": "m", "input": [1, 2, 3]})),
            "input"
        );
        assert_eq!(
            param(
                &ollama(),
                json!({"model": "m", "input": "a", "dimensions": 8})
            ),
            "dimensions"
        );
        assert!(
            prepare_embeddings(&openai(), json!({"model": "m", "input": [[1, 2], [3]]})).is_ok()
        );
    }
}
