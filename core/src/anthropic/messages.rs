//! `POST /messages`: system messages move to the top-level `system` field, and the JSON
//! answer is read from the first text block (a fenced ```json block is accepted).

use super::AnthropicConfig;
use crate::error::AnswerProblem;
use crate::host::Answer;
use crate::http::HttpRequest;
use crate::json_mode::{parse_content, strip_json_fence, ContentError};
use crate::message::{ChatResult, Message, Role, TokenUsage};
use serde::{Deserialize, Serialize};

/// The request body; also each batch request's `params`.
#[derive(Debug, Serialize)]
pub struct MessagesBody<'a> {
    pub model: &'a str,
    pub max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    pub messages: Vec<TurnMessage<'a>>,
}

/// A user or assistant turn (the Messages API has no `system` role).
#[derive(Debug, Serialize)]
pub struct TurnMessage<'a> {
    pub role: Role,
    pub content: &'a str,
}

impl<'a> MessagesBody<'a> {
    pub fn new(model: &'a str, max_tokens: u32, messages: &'a [Message]) -> Self {
        let system: Vec<&str> = messages
            .iter()
            .filter(|m| m.role == Role::System)
            .map(|m| m.content.as_str())
            .collect();
        MessagesBody {
            model,
            max_tokens,
            system: (!system.is_empty()).then(|| system.join("\n\n")),
            messages: messages
                .iter()
                .filter(|m| m.role != Role::System)
                .map(|m| TurnMessage {
                    role: m.role,
                    content: &m.content,
                })
                .collect(),
        }
    }
}

/// The chat call.
pub fn messages_request(cfg: &AnthropicConfig, messages: &[Message]) -> HttpRequest {
    let body = MessagesBody::new(&cfg.model, cfg.max_tokens, messages);
    HttpRequest::post_json(
        cfg.url("/messages"),
        cfg.json_headers(),
        crate::openai::chat::to_json(&body),
    )
}

/// The reference's health probe: 1 token, "hi".
pub fn probe_request(cfg: &AnthropicConfig) -> HttpRequest {
    let hi = [Message::new(Role::User, "hi")];
    let body = MessagesBody::new(&cfg.model, 1, &hi);
    HttpRequest::post_json(
        cfg.url("/messages"),
        cfg.json_headers(),
        crate::openai::chat::to_json(&body),
    )
}

#[derive(Debug, Deserialize)]
pub struct MessageObject {
    #[serde(default)]
    content: Vec<ContentBlock>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Debug, Deserialize)]
struct ContentBlock {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Usage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
}

/// Reads a Message (sync answer or succeeded batch item) into the JSON answer.
pub fn parse_message(body: serde_json::Value) -> Result<ChatResult, ContentError> {
    read_message(Answer::Json(body))
}

/// [`parse_message`] for a body a host may have read straight into the message.
pub fn read_message(body: Answer<MessageObject>) -> Result<ChatResult, ContentError> {
    let message = body.into_typed()?;
    let usage = message
        .usage
        .map_or_else(TokenUsage::default, |u| TokenUsage {
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
        });
    if message.content.is_empty() {
        return Err(AnswerProblem::NoChoices.into());
    }
    if let Some(reason) = message
        .stop_reason
        .filter(|r| r == "max_tokens" || r == "refusal")
    {
        let problem = if reason == "refusal" {
            AnswerProblem::Refused {
                refusal: first_text(&message.content).unwrap_or_default().to_string(),
            }
        } else {
            AnswerProblem::Truncated {
                field: "stop_reason".into(),
                reason,
            }
        };
        return Err(ContentError::Unusable { problem, usage });
    }
    let text = first_text(&message.content).ok_or(AnswerProblem::NoContent)?;
    parse_content(strip_json_fence(text), usage)
}

fn first_text(blocks: &[ContentBlock]) -> Option<&str> {
    blocks
        .iter()
        .find(|b| b.kind == "text")
        .and_then(|b| b.text.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{ApiKey, Body};
    use serde_json::json;

    fn cfg() -> AnthropicConfig {
        AnthropicConfig::new(ApiKey::new("sk-ant"), "claude-sonnet-4-5")
    }

    #[test]
    fn system_messages_move_to_the_system_field() {
        let msgs = vec![
            Message::new(Role::System, "Be brief."),
            Message::new(Role::User, "hi"),
            Message::new(Role::System, "Answer in JSON."),
        ];
        let req = messages_request(&cfg(), &msgs);
        assert_eq!(req.url, "https://api.anthropic.com/v1/messages");
        assert_eq!(
            req.headers,
            vec![
                ("Content-Type", "application/json".to_string()),
                ("x-api-key", "sk-ant".to_string()),
                ("anthropic-version", "2023-06-01".to_string())
            ]
        );
        assert_eq!(
            req.body,
            Body::Json(r#"{"model":"claude-sonnet-4-5","max_tokens":8192,"system":"Be brief.\n\nAnswer in JSON.","messages":[{"role":"user","content":"hi"}]}"#.into())
        );
    }

    #[test]
    fn without_system_messages_there_is_no_system_field() {
        let Body::Json(body) = probe_request(&cfg()).body else {
            panic!()
        };
        assert_eq!(
            body,
            r#"{"model":"claude-sonnet-4-5","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}"#
        );
    }

    #[test]
    fn the_first_text_block_is_the_answer_fenced_or_not() {
        for text in ["{\"a\":1}", "```json\n{\"a\":1}\n```"] {
            let r = parse_message(json!({
                "content": [{"type": "thinking", "thinking": "…"}, {"type": "text", "text": text}],
                "stop_reason": "end_turn", "usage": {"input_tokens": 9, "output_tokens": 4}
            }))
            .unwrap();
            assert_eq!(r.response, json!({"a": 1}));
            assert_eq!(
                r.usage,
                TokenUsage {
                    input_tokens: 9,
                    output_tokens: 4
                }
            );
        }
    }

    #[test]
    fn unusable_messages_name_their_cause() {
        let problem = |body| match parse_message(body) {
            Err(ContentError::Problem(p) | ContentError::Unusable { problem: p, .. }) => {
                p.to_string()
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(problem(json!({"content": []})), "response has no choices");
        assert_eq!(
            problem(
                json!({"content": [{"type": "text", "text": "{"}], "stop_reason": "max_tokens"})
            ),
            "response truncated (stop_reason: max_tokens)"
        );
        assert_eq!(
            problem(json!({"content": [{"type": "tool_use"}]})),
            "response has no message content"
        );
        assert!(matches!(
            parse_message(json!({"content": [{"type": "text", "text": "Sure!"}]})),
            Err(ContentError::InvalidJson { .. })
        ));
    }
}
