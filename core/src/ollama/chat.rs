//! `POST /api/chat` with `stream: false` and `format: "json"`; usage comes from
//! `prompt_eval_count` / `eval_count`.

use super::OllamaConfig;
use crate::error::AnswerProblem;
use crate::host::Answer;
use crate::http::HttpRequest;
use crate::json_mode::{parse_content, ContentError};
use crate::message::{ChatResult, Message, TokenUsage};
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct ChatBody<'a> {
    model: &'a str,
    messages: &'a [Message],
    stream: bool,
    format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    options: Option<Options>,
}

#[derive(Serialize)]
struct Options {
    num_predict: u32,
}

/// The chat call; `max_tokens`, when set, becomes `options.num_predict`.
pub fn chat_request(
    cfg: &OllamaConfig,
    messages: &[Message],
    max_tokens: Option<u32>,
) -> HttpRequest {
    let body = ChatBody {
        model: &cfg.model,
        messages,
        stream: false,
        format: "json",
        options: max_tokens.map(|num_predict| Options { num_predict }),
    };
    HttpRequest::post_json(
        cfg.url("/api/chat"),
        cfg.headers(true),
        crate::openai::chat::to_json(&body),
    )
}

#[derive(Deserialize)]
pub struct ChatResponse {
    #[serde(default)]
    message: Option<ResponseMessage>,
    #[serde(default)]
    done_reason: Option<String>,
    #[serde(default)]
    prompt_eval_count: u64,
    #[serde(default)]
    eval_count: u64,
}

#[derive(Deserialize)]
struct ResponseMessage {
    #[serde(default)]
    content: Option<String>,
}

/// Reads a chat answer (already `ChatResponse`, or JSON still to be read) into the JSON answer.
pub fn read_chat_response(body: Answer<ChatResponse>) -> Result<ChatResult, ContentError> {
    let r = body.into_typed()?;
    let usage = TokenUsage {
        input_tokens: r.prompt_eval_count,
        output_tokens: r.eval_count,
    };
    let message = r.message.ok_or(AnswerProblem::NoChoices)?;
    if let Some(reason) = r.done_reason.filter(|r| r == "length") {
        let problem = AnswerProblem::Truncated {
            field: "done_reason".into(),
            reason,
        };
        return Err(ContentError::Unusable { problem, usage });
    }
    let content = message.content.ok_or(AnswerProblem::NoContent)?;
    parse_content(&content, usage)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Body;
    use crate::message::Role;
    use serde_json::json;

    fn parse(body: serde_json::Value) -> Result<ChatResult, ContentError> {
        read_chat_response(Answer::Json(body))
    }

    #[test]
    fn the_request_asks_for_json_without_streaming() {
        let cfg = OllamaConfig::new("http://localhost:11434/", "llama3.2");
        let req = chat_request(
            &cfg,
            &[
                Message::new(Role::System, "s"),
                Message::new(Role::User, "u"),
            ],
            None,
        );
        assert_eq!(req.url, "http://localhost:11434/api/chat");
        assert_eq!(
            req.headers,
            vec![("Content-Type", "application/json".to_string())]
        );
        assert_eq!(
            req.body,
            Body::Json(r#"{"model":"llama3.2","messages":[{"role":"system","content":"s"},{"role":"user","content":"u"}],"stream":false,"format":"json"}"#.into())
        );
        let req = chat_request(&cfg, &[], Some(100));
        let Body::Json(body) = req.body else { panic!() };
        assert!(body.ends_with(r#""options":{"num_predict":100}}"#));
    }

    #[test]
    fn usage_comes_from_the_eval_counts() {
        let r = parse(
            json!({"message": {"role": "assistant", "content": "{\"a\":1}"},
            "done": true, "prompt_eval_count": 11, "eval_count": 7}),
        )
        .unwrap();
        assert_eq!(
            r.usage,
            TokenUsage {
                input_tokens: 11,
                output_tokens: 7
            }
        );
        assert_eq!(r.response, json!({"a": 1}));
    }

    #[test]
    fn truncation_and_missing_messages_are_named() {
        let err = parse(json!({"message": {"content": "{"},
            "done_reason": "length", "prompt_eval_count": 5, "eval_count": 9}))
        .unwrap_err();
        // A truncated answer was billed: its usage is kept for batch items.
        assert_eq!(
            err,
            ContentError::Unusable {
                problem: AnswerProblem::Truncated {
                    field: "done_reason".into(),
                    reason: "length".into()
                },
                usage: TokenUsage {
                    input_tokens: 5,
                    output_tokens: 9
                }
            }
        );
        assert_eq!(
            parse(json!({})).unwrap_err(),
            ContentError::Problem(AnswerProblem::NoChoices)
        );
    }
}
