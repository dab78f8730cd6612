//! `POST /chat/completions` in JSON mode.

use super::{is_reasoning_model, OpenAIConfig};
use crate::error::AnswerProblem;
use crate::host::Answer;
use crate::http::HttpRequest;
use crate::json_mode::{parse_content, ContentError};
use crate::message::{ChatResult, Message, Role, TokenUsage};
use serde::{Deserialize, Serialize};

/// The request body, fields in the reference's order. Also each batch line's `body`.
#[derive(Debug, Serialize)]
pub struct ChatCompletionBody<'a> {
    pub model: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat>,
    pub messages: &'a [Message],
}

#[derive(Debug, Serialize)]
pub struct ResponseFormat {
    #[serde(rename = "type")]
    pub kind: &'static str,
}

impl<'a> ChatCompletionBody<'a> {
    /// A JSON-mode call with the configured token limit.
    pub fn json_mode(cfg: &'a OpenAIConfig, messages: &'a [Message]) -> Self {
        Self::new(
            &cfg.model,
            cfg.max_tokens,
            Some(ResponseFormat {
                kind: "json_object",
            }),
            messages,
        )
    }

    fn new(
        model: &'a str,
        limit: u32,
        response_format: Option<ResponseFormat>,
        messages: &'a [Message],
    ) -> Self {
        // Reasoning models reject `max_tokens`; everything else gets exactly the reference body.
        let reasoning = is_reasoning_model(model);
        ChatCompletionBody {
            model,
            max_tokens: (!reasoning).then_some(limit),
            max_completion_tokens: reasoning.then_some(limit),
            response_format,
            messages,
        }
    }
}

/// The JSON-mode chat call.
pub fn chat_request(cfg: &OpenAIConfig, messages: &[Message]) -> HttpRequest {
    let body = ChatCompletionBody::json_mode(cfg, messages);
    HttpRequest::post_json(
        cfg.url("/chat/completions"),
        cfg.json_headers(),
        to_json(&body),
    )
}

/// The reference's health probe: a 1-token call saying "hi", without JSON mode.
/// Reasoning models spend tokens thinking before they answer, so they get a budget that lets
/// them finish instead of 1 (which they answer with an error).
pub fn probe_request(cfg: &OpenAIConfig) -> HttpRequest {
    let hi = [Message::new(Role::User, "hi")];
    let limit = if is_reasoning_model(&cfg.model) {
        64
    } else {
        1
    };
    let body = ChatCompletionBody::new(&cfg.model, limit, None, &hi);
    HttpRequest::post_json(
        cfg.url("/chat/completions"),
        cfg.json_headers(),
        to_json(&body),
    )
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("request bodies are plain data and always serialise")
}

/// The parts of a chat completion we read.
#[derive(Debug, Deserialize)]
pub struct ChatCompletion {
    #[serde(default)]
    pub choices: Vec<Choice>,
    #[serde(default)]
    pub usage: Option<Usage>,
}

#[derive(Debug, Deserialize)]
pub struct Choice {
    #[serde(default)]
    pub message: Option<ChoiceMessage>,
    #[serde(default)]
    pub finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ChoiceMessage {
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub refusal: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Usage {
    #[serde(default)]
    pub prompt_tokens: u64,
    #[serde(default)]
    pub completion_tokens: u64,
}

impl From<Usage> for TokenUsage {
    fn from(u: Usage) -> Self {
        TokenUsage {
            input_tokens: u.prompt_tokens,
            output_tokens: u.completion_tokens,
        }
    }
}

/// Reads a chat completion (sync answer or batch item body) into the JSON answer.
pub fn parse_chat_response(body: serde_json::Value) -> Result<ChatResult, ContentError> {
    read_chat_response(Answer::Json(body))
}

/// [`parse_chat_response`] for a body a host may have read straight into the completion.
pub fn read_chat_response(body: Answer<ChatCompletion>) -> Result<ChatResult, ContentError> {
    let completion = body.into_typed()?;
    let usage: TokenUsage = completion.usage.unwrap_or_default().into();
    let choice = completion
        .choices
        .into_iter()
        .next()
        .ok_or(AnswerProblem::NoChoices)?;
    let message = choice.message.ok_or(AnswerProblem::NoContent)?;
    if let Some(refusal) = message.refusal.filter(|r| !r.is_empty()) {
        let problem = AnswerProblem::Refused { refusal };
        return Err(ContentError::Unusable { problem, usage });
    }
    if let Some(reason) = choice
        .finish_reason
        .filter(|r| r == "length" || r == "content_filter")
    {
        let problem = AnswerProblem::Truncated {
            field: "finish_reason".into(),
            reason,
        };
        return Err(ContentError::Unusable { problem, usage });
    }
    let raw = message.content.ok_or(AnswerProblem::NoContent)?;
    parse_content(&raw, usage)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{ApiKey, Body, Method};
    use serde_json::json;

    fn cfg(model: &str) -> OpenAIConfig {
        OpenAIConfig::new(ApiKey::new("sk-test"), model)
    }

    fn msgs() -> Vec<Message> {
        vec![
            Message::new(Role::System, "Answer in json."),
            Message::new(Role::User, "hi"),
        ]
    }

    #[test]
    fn the_request_is_byte_for_byte_the_reference() {
        let req = chat_request(&cfg("gpt-4o"), &msgs());
        assert_eq!(req.method, Method::Post);
        assert_eq!(req.url, "https://api.openai.com/v1/chat/completions");
        assert_eq!(
            req.headers,
            vec![
                ("Content-Type", "application/json".to_string()),
                ("Authorization", "Bearer sk-test".to_string())
            ]
        );
        assert_eq!(
            req.body,
            Body::Json(
                r#"{"model":"gpt-4o","max_tokens":8192,"response_format":{"type":"json_object"},"messages":[{"role":"system","content":"Answer in json."},{"role":"user","content":"hi"}]}"#
                    .into()
            )
        );
    }

    #[test]
    fn reasoning_models_get_max_completion_tokens() {
        let req = chat_request(&cfg("o3-mini"), &msgs());
        let Body::Json(body) = req.body else { panic!() };
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["max_completion_tokens"], 8192);
        assert!(v.get("max_tokens").is_none());
    }

    #[test]
    fn the_probe_is_the_reference_health_call() {
        let Body::Json(body) = probe_request(&cfg("gpt-4o")).body else {
            panic!()
        };
        assert_eq!(
            body,
            r#"{"model":"gpt-4o","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}"#
        );
    }

    #[test]
    fn a_completion_becomes_a_chat_result() {
        let r = parse_chat_response(json!({
            "choices": [{"message": {"role": "assistant", "content": "{\"ok\":true}"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 5}
        }))
        .unwrap();
        assert_eq!(r.response, json!({"ok": true}));
        assert_eq!(
            r.usage,
            TokenUsage {
                input_tokens: 12,
                output_tokens: 5
            }
        );
    }

    #[test]
    fn unusable_completions_name_their_cause() {
        let problem = |body| match parse_chat_response(body) {
            Err(ContentError::Problem(p) | ContentError::Unusable { problem: p, .. }) => {
                p.to_string()
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(problem(json!({"choices": []})), "response has no choices");
        assert_eq!(problem(json!({})), "response has no choices");
        assert_eq!(
            problem(
                json!({"choices": [{"message": {"content": "{\"a\":"}, "finish_reason": "length"}]})
            ),
            "response truncated (finish_reason: length)"
        );
        assert_eq!(
            problem(json!({"choices": [{"message": {"content": null, "refusal": "I can't"}}]})),
            "the model refused: I can't"
        );
        assert_eq!(
            problem(json!({"choices": [{"message": {"content": null}}]})),
            "response has no message content"
        );
        assert!(problem(json!({"choices": "x"})).starts_with("unreadable response"));
    }

    #[test]
    fn invalid_json_content_is_reported_with_its_usage() {
        let r = parse_chat_response(json!({
            "choices": [{"message": {"content": "not json"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 2}
        }));
        assert_eq!(
            r,
            Err(ContentError::InvalidJson {
                snippet: "not json".into(),
                usage: TokenUsage {
                    input_tokens: 1,
                    output_tokens: 2
                }
            })
        );
    }
}
