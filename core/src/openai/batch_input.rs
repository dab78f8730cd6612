//! The batch input file: one JSONL line per request, each line's `body` exactly what the
//! sync call would send.

use super::batches::BatchEndpoint;
use super::chat::ChatCompletionBody;
use super::embeddings::EmbeddingBody;
use super::OpenAIConfig;
use crate::message::{BatchChatRequest, BatchEmbeddingRequest};
use serde::Serialize;

#[derive(Serialize)]
struct InputLine<'a, B: Serialize> {
    custom_id: &'a str,
    method: &'static str,
    url: &'static str,
    body: B,
}

fn jsonl<'a, B: Serialize>(
    endpoint: BatchEndpoint,
    items: impl Iterator<Item = (&'a str, B)>,
) -> String {
    let lines = items.map(|(custom_id, body)| {
        let line = InputLine {
            custom_id,
            method: "POST",
            url: endpoint.path(),
            body,
        };
        serde_json::to_string(&line).expect("batch lines are plain data")
    });
    // The reference joins with "\n" and no trailing newline.
    lines.collect::<Vec<_>>().join("\n")
}

/// The input file of a chat batch.
pub fn chat_jsonl(cfg: &OpenAIConfig, requests: &[BatchChatRequest]) -> String {
    // The reference joins with "\n" and no trailing newline.
    requests
        .iter()
        .map(|r| chat_line(cfg, r))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One line of a chat batch's input file (no newline): what a streamed upload sends per
/// request.
pub fn chat_line(cfg: &OpenAIConfig, request: &BatchChatRequest) -> String {
    jsonl(
        BatchEndpoint::ChatCompletions,
        std::iter::once((
            request.id.as_str(),
            ChatCompletionBody::json_mode(cfg, &request.messages),
        )),
    )
}

/// The input file of an embedding batch (one input per line).
pub fn embedding_jsonl(
    cfg: &OpenAIConfig,
    requests: &[BatchEmbeddingRequest],
    dimensions: Option<u32>,
) -> String {
    jsonl(
        BatchEndpoint::Embeddings,
        requests.iter().map(|r| {
            (
                r.id.as_str(),
                EmbeddingBody {
                    model: &cfg.model,
                    input: r.text.as_str(),
                    dimensions,
                },
            )
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::ApiKey;
    use crate::message::{Message, Role};

    #[test]
    fn chat_lines_are_the_reference_lines() {
        let cfg = OpenAIConfig::new(ApiKey::new("k"), "gpt-4o");
        let reqs = vec![
            BatchChatRequest {
                id: "a".into(),
                messages: vec![Message::new(Role::User, "x")],
            },
            BatchChatRequest {
                id: "b".into(),
                messages: vec![Message::new(Role::User, "y")],
            },
        ];
        let text = chat_jsonl(&cfg, &reqs);
        let lines: Vec<&str> = text.split('\n').collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0],
            r#"{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o","max_tokens":8192,"response_format":{"type":"json_object"},"messages":[{"role":"user","content":"x"}]}}"#
        );
    }

    #[test]
    fn embedding_lines_carry_one_input() {
        let cfg = OpenAIConfig::new(ApiKey::new("k"), "text-embedding-3-small");
        let text = embedding_jsonl(
            &cfg,
            &[BatchEmbeddingRequest {
                id: "e1".into(),
                text: "hello".into(),
            }],
            None,
        );
        assert_eq!(
            text,
            r#"{"custom_id":"e1","method":"POST","url":"/v1/embeddings","body":{"model":"text-embedding-3-small","input":"hello"}}"#
        );
    }
}
