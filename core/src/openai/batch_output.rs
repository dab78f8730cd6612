//! The batch output and error files: one JSONL line per request, in no particular order.
//! Output lines carry `response: {status_code, body}`; error-file lines carry
//! `response: null` and `error: {code, message}`.

use super::batches::BatchEndpoint;
use super::chat::parse_chat_response;
use super::embeddings::parse_embeddings;
use crate::batch::results::{ItemKind, ItemLine, ItemResult, LineProblem};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct OutputLine {
    custom_id: String,
    #[serde(default)]
    response: Option<LineResponse>,
    #[serde(default)]
    error: Option<LineError>,
}

#[derive(Deserialize)]
struct LineResponse {
    status_code: u16,
    #[serde(default)]
    body: Value,
}

#[derive(Deserialize)]
struct LineError {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// Reads one line of an output or error file.
pub fn parse_output_line(line: &str, endpoint: BatchEndpoint) -> Result<ItemLine, LineProblem> {
    let parsed: OutputLine = serde_json::from_str(line).map_err(|e| LineProblem::new(line, e))?;
    let custom_id = parsed.custom_id;
    let Some(response) = parsed.response else {
        let error = parsed
            .error
            .map_or_else(|| "unknown error".to_string(), describe_line_error);
        return Ok(ItemLine::errored(
            custom_id,
            error,
            endpoint_empty(endpoint),
        ));
    };
    if response.status_code != 200 {
        let message = response
            .body
            .pointer("/error/message")
            .and_then(Value::as_str);
        let error = match message {
            Some(m) => format!("status {}: {m}", response.status_code),
            None => format!("status {}", response.status_code),
        };
        return Ok(ItemLine::errored(
            custom_id,
            error,
            endpoint_empty(endpoint),
        ));
    }
    Ok(match endpoint {
        BatchEndpoint::ChatCompletions => match parse_chat_response(response.body) {
            Ok(chat) => ItemLine::answered(custom_id, chat.response, chat.usage),
            Err(problem) => ItemLine::from_content_error(custom_id, problem),
        },
        BatchEndpoint::Embeddings => match parse_embeddings(response.body) {
            Ok(mut vectors) if !vectors.is_empty() => {
                let vector = vectors.swap_remove(0);
                ItemLine::answered(custom_id, Value::from(vector), Default::default())
            }
            Ok(_) => ItemLine::errored(
                custom_id,
                "response has no embedding".into(),
                Value::Array(vec![]),
            ),
            Err(problem) => ItemLine::errored(custom_id, problem.to_string(), Value::Array(vec![])),
        },
    })
}

fn describe_line_error(e: LineError) -> String {
    match (e.code, e.message) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(only), None) | (None, Some(only)) => only,
        (None, None) => "unknown error".into(),
    }
}

/// What a failed item's `response` is: `{}` for chat (as the reference), `[]` for embeddings.
fn endpoint_empty(endpoint: BatchEndpoint) -> Value {
    match endpoint {
        BatchEndpoint::ChatCompletions => Value::Object(Default::default()),
        BatchEndpoint::Embeddings => Value::Array(vec![]),
    }
}

impl ItemLine {
    fn answered(custom_id: String, response: Value, usage: crate::message::TokenUsage) -> Self {
        ItemLine {
            custom_id,
            kind: ItemKind::Answered,
            result: ItemResult {
                response,
                usage,
                error: None,
            },
        }
    }

    fn errored(custom_id: String, error: String, response: Value) -> Self {
        ItemLine {
            custom_id,
            kind: ItemKind::Errored,
            result: ItemResult {
                response,
                usage: Default::default(),
                error: Some(error),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::TokenUsage;
    use serde_json::json;

    fn chat(line: Value) -> ItemLine {
        parse_output_line(&line.to_string(), BatchEndpoint::ChatCompletions).unwrap()
    }

    #[test]
    fn an_answered_line_keeps_answer_and_usage() {
        let item = chat(
            json!({"id": "r1", "custom_id": "a", "response": {"status_code": 200, "body": {
            "choices": [{"message": {"content": "{\"x\":1}"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 7, "completion_tokens": 3}}}, "error": null}),
        );
        assert_eq!(item.custom_id, "a");
        assert_eq!(item.kind, ItemKind::Answered);
        assert_eq!(item.result.response, json!({"x": 1}));
        assert_eq!(
            item.result.usage,
            TokenUsage {
                input_tokens: 7,
                output_tokens: 3
            }
        );
        assert_eq!(item.result.error, None);
    }

    #[test]
    fn a_non_200_line_names_status_and_upstream_message() {
        let item = chat(json!({"custom_id": "b", "response": {"status_code": 400,
            "body": {"error": {"message": "Bad request", "type": "invalid_request_error"}}}}));
        assert_eq!(item.kind, ItemKind::Errored);
        assert_eq!(
            item.result.error.as_deref(),
            Some("status 400: Bad request")
        );
        assert_eq!(item.result.response, json!({}));
        let item = chat(json!({"custom_id": "b", "response": {"status_code": 500, "body": {}}}));
        assert_eq!(item.result.error.as_deref(), Some("status 500"));
    }

    #[test]
    fn an_error_file_line_names_code_and_message() {
        let item = chat(json!({"id": "r", "custom_id": "c", "response": null,
            "error": {"code": "batch_expired", "message": "This request could not be executed before the completion window expired."}}));
        assert_eq!(
            item.result.error.as_deref(),
            Some("batch_expired: This request could not be executed before the completion window expired.")
        );
    }

    #[test]
    fn invalid_json_content_keeps_usage() {
        let item = chat(
            json!({"custom_id": "d", "response": {"status_code": 200, "body": {
            "choices": [{"message": {"content": "nope"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 2, "completion_tokens": 1}}}}),
        );
        assert_eq!(item.kind, ItemKind::InvalidJson);
        assert_eq!(item.result.error.as_deref(), Some("Invalid JSON: nope"));
        assert_eq!(
            item.result.usage,
            TokenUsage {
                input_tokens: 2,
                output_tokens: 1
            }
        );
    }

    #[test]
    fn embedding_lines_yield_the_vector() {
        let line = json!({"custom_id": "e", "response": {"status_code": 200,
            "body": {"data": [{"index": 0, "embedding": [0.1, 0.2]}]}}});
        let item = parse_output_line(&line.to_string(), BatchEndpoint::Embeddings).unwrap();
        assert_eq!(item.result.response, json!([0.1, 0.2]));
    }

    #[test]
    fn a_broken_line_is_a_line_problem() {
        assert!(parse_output_line("{not json", BatchEndpoint::ChatCompletions).is_err());
        assert!(
            parse_output_line(r#"{"response": null}"#, BatchEndpoint::ChatCompletions).is_err()
        );
    }
}
