//! JSON-mode answers: every chat provider asks for a JSON object and reads it back the same
//! way, so a sync answer and a batch item fail with the same cause.

use crate::error::{AnswerProblem, Error, Op};
use crate::message::{ChatResult, TokenUsage};
use serde_json::Value;

/// Why an answer's content cannot become a [`ChatResult`].
#[derive(Clone, Debug, PartialEq)]
pub enum ContentError {
    /// The content is not JSON; `usage` is kept because the call was billed anyway.
    InvalidJson { snippet: String, usage: TokenUsage },
    /// No usable content at all.
    Problem(AnswerProblem),
    /// An answer the model produced, and that was billed, but that cannot be used (cut at
    /// the token limit, or a refusal); `usage` is kept, as for invalid JSON.
    Unusable {
        problem: AnswerProblem,
        usage: TokenUsage,
    },
}

impl ContentError {
    /// The error a sync call throws.
    pub fn into_error(self, op: Op) -> Error {
        match self {
            ContentError::InvalidJson { snippet, .. } => Error::InvalidJson { op, snippet },
            ContentError::Problem(problem) | ContentError::Unusable { problem, .. } => {
                Error::BadAnswer { op, problem }
            }
        }
    }

    /// The `error` text of a batch item, and the usage it keeps.
    pub fn into_item_error(self) -> (String, TokenUsage) {
        match self {
            ContentError::InvalidJson { snippet, usage } => {
                (format!("Invalid JSON: {snippet}"), usage)
            }
            ContentError::Problem(problem) => (problem.to_string(), TokenUsage::default()),
            ContentError::Unusable { problem, usage } => (problem.to_string(), usage),
        }
    }
}

impl From<AnswerProblem> for ContentError {
    fn from(problem: AnswerProblem) -> Self {
        ContentError::Problem(problem)
    }
}

/// Parses `raw` as the JSON answer.
pub fn parse_content(raw: &str, usage: TokenUsage) -> Result<ChatResult, ContentError> {
    match serde_json::from_str::<Value>(raw) {
        Ok(response) => Ok(ChatResult { response, usage }),
        Err(_) => Err(ContentError::InvalidJson {
            snippet: snippet(raw),
            usage,
        }),
    }
}

/// The body of a fenced code block (```json … ```), if `raw` is one; models without a JSON
/// mode (Claude) often answer that way.
pub fn strip_json_fence(raw: &str) -> &str {
    let trimmed = raw.trim();
    let Some(rest) = trimmed.strip_prefix("```") else {
        return raw;
    };
    let Some(body) = rest.strip_suffix("```") else {
        return raw;
    };
    // The info string ("json", "JSON", nothing) runs to the first newline.
    match body.split_once('\n') {
        Some((info, inner)) if !info.trim().contains(char::is_whitespace) => inner,
        _ => raw,
    }
}

/// The first 200 characters of `text` as JavaScript's `slice(0, 200)` counts them (UTF-16
/// code units), without splitting a surrogate pair.
pub fn snippet(text: &str) -> String {
    let mut units = 0;
    let end = text
        .char_indices()
        .find(|(_, c)| {
            units += c.len_utf16();
            units > 200
        })
        .map_or(text.len(), |(i, _)| i);
    text[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_parses_and_keeps_key_order() {
        let r = parse_content(r#"{"b":1,"a":[true]}"#, TokenUsage::default()).unwrap();
        assert_eq!(
            serde_json::to_string(&r.response).unwrap(),
            r#"{"b":1,"a":[true]}"#
        );
    }

    #[test]
    fn invalid_json_keeps_the_first_200_characters_and_the_usage() {
        let usage = TokenUsage {
            input_tokens: 3,
            output_tokens: 4,
        };
        let raw = "x".repeat(300);
        match parse_content(&raw, usage) {
            Err(ContentError::InvalidJson { snippet, usage: u }) => {
                assert_eq!(snippet.len(), 200);
                assert_eq!(u, usage);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn snippets_count_utf16_units_like_javascript() {
        let emoji = "😀".repeat(150); // 300 UTF-16 units
        assert_eq!(snippet(&emoji).chars().count(), 100);
        assert_eq!(snippet("short"), "short");
    }

    #[test]
    fn fenced_json_is_unwrapped() {
        assert_eq!(strip_json_fence("```json\n{\"a\":1}\n```"), "{\"a\":1}\n");
        assert_eq!(strip_json_fence("```\n{}\n```"), "{}\n");
        assert_eq!(strip_json_fence("{\"a\":1}"), "{\"a\":1}");
        assert_eq!(strip_json_fence("``` not a fence"), "``` not a fence");
    }

    #[test]
    fn item_errors_read_as_the_reference() {
        let (msg, _) = ContentError::InvalidJson {
            snippet: "nope".into(),
            usage: TokenUsage::default(),
        }
        .into_item_error();
        assert_eq!(msg, "Invalid JSON: nope");
    }
}
