//! The results JSONL of a Message Batch: one `{custom_id, result}` line per request, with
//! `result.type` one of `succeeded`, `errored`, `canceled`, `expired`.

use super::messages::parse_message;
use crate::batch::results::{ItemKind, ItemLine, ItemResult, LineProblem, Outcome};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct ResultLine {
    custom_id: String,
    result: LineResult,
}

#[derive(Deserialize)]
struct LineResult {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    message: Option<Value>,
    #[serde(default)]
    error: Option<Value>,
}

/// Reads one results line.
pub fn parse_result_line(line: &str) -> Result<ItemLine, LineProblem> {
    let parsed: ResultLine = serde_json::from_str(line).map_err(|e| LineProblem::new(line, e))?;
    let custom_id = parsed.custom_id;
    let errored = |error: String| ItemLine {
        custom_id: custom_id.clone(),
        kind: ItemKind::Errored,
        result: ItemResult {
            error: Some(error),
            ..ItemResult::missing("")
        },
    };
    Ok(match parsed.result.kind.as_str() {
        "succeeded" => match parse_message(parsed.result.message.unwrap_or_default()) {
            Ok(chat) => ItemLine {
                custom_id,
                kind: ItemKind::Answered,
                result: ItemResult {
                    response: chat.response,
                    usage: chat.usage,
                    error: None,
                },
            },
            Err(problem) => ItemLine::from_content_error(custom_id, problem),
        },
        "errored" => errored(describe_error(parsed.result.error.as_ref())),
        "canceled" => errored(Outcome::Cancelled.missing_item_error().into()),
        "expired" => errored(Outcome::Expired.missing_item_error().into()),
        other => errored(format!("unknown result type {other:?}")),
    })
}

/// `<error type>: <message>`. The error is an ErrorResponse (`{type: "error", error: {type,
/// message}}`); a bare `{type, message}` is read too.
fn describe_error(error: Option<&Value>) -> String {
    let inner = error.map(|e| e.get("error").unwrap_or(e));
    let field = |name| inner.and_then(|e| e.get(name)).and_then(Value::as_str);
    match (field("type"), field("message")) {
        (Some(kind), Some(message)) => format!("{kind}: {message}"),
        (Some(only), None) | (None, Some(only)) => only.to_string(),
        (None, None) => "unknown error".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::TokenUsage;
    use serde_json::json;

    fn parse(v: Value) -> ItemLine {
        parse_result_line(&v.to_string()).unwrap()
    }

    #[test]
    fn succeeded_lines_carry_the_answer() {
        let item = parse(
            json!({"custom_id": "a", "result": {"type": "succeeded", "message": {
            "content": [{"type": "text", "text": "{\"k\":2}"}], "stop_reason": "end_turn",
            "usage": {"input_tokens": 5, "output_tokens": 6}}}}),
        );
        assert_eq!(item.kind, ItemKind::Answered);
        assert_eq!(item.result.response, json!({"k": 2}));
        assert_eq!(
            item.result.usage,
            TokenUsage {
                input_tokens: 5,
                output_tokens: 6
            }
        );
    }

    #[test]
    fn errored_lines_read_type_colon_message() {
        let item = parse(json!({"custom_id": "b", "result": {"type": "errored",
            "error": {"type": "error", "error": {"type": "invalid_request_error", "message": "max_tokens: too big"}}}}));
        assert_eq!(
            item.result.error.as_deref(),
            Some("invalid_request_error: max_tokens: too big")
        );
        assert_eq!(item.result.response, json!({}));
        let item = parse(json!({"custom_id": "b", "result": {"type": "errored",
            "error": {"type": "overloaded_error", "message": "Overloaded"}}}));
        assert_eq!(
            item.result.error.as_deref(),
            Some("overloaded_error: Overloaded")
        );
    }

    #[test]
    fn canceled_and_expired_lines_say_so() {
        assert_eq!(
            parse(json!({"custom_id": "c", "result": {"type": "canceled"}}))
                .result
                .error
                .as_deref(),
            Some("Batch cancelled before this request completed")
        );
        assert_eq!(
            parse(json!({"custom_id": "d", "result": {"type": "expired"}}))
                .result
                .error
                .as_deref(),
            Some("Batch expired before this request completed")
        );
    }

    #[test]
    fn invalid_json_answers_are_flagged() {
        let item = parse(
            json!({"custom_id": "e", "result": {"type": "succeeded", "message": {
            "content": [{"type": "text", "text": "Sure, here you go"}]}}}),
        );
        assert_eq!(item.kind, ItemKind::InvalidJson);
        assert_eq!(
            item.result.error.as_deref(),
            Some("Invalid JSON: Sure, here you go")
        );
    }
}
