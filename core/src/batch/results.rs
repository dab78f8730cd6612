//! Batch results: reading result files line by line (from one string or from a stream of
//! chunks), and putting the items back in input order.

use crate::json_mode::{snippet, ContentError};
use crate::message::{BatchChatResult, TokenUsage};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;

/// One request's result, without its id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemResult {
    pub response: Value,
    pub usage: TokenUsage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ItemResult {
    /// A result for a request that has none; `error` says why.
    pub fn missing(error: &str) -> Self {
        ItemResult {
            response: Value::Object(Default::default()),
            usage: TokenUsage::default(),
            error: Some(error.into()),
        }
    }

    pub fn with_id(self, id: String) -> BatchChatResult {
        BatchChatResult {
            id,
            response: self.response,
            usage: self.usage,
            error: self.error,
        }
    }
}

/// How a result line turned out; drivers log `Errored` and `InvalidJson` items as the
/// reference does ("Batch item errored", "Batch item returned invalid JSON").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    Answered,
    Errored,
    InvalidJson,
}

/// One parsed result line.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemLine {
    pub custom_id: String,
    pub kind: ItemKind,
    pub result: ItemResult,
}

impl ItemLine {
    /// An answer whose content could not be used (not JSON, truncated, refused).
    pub fn from_content_error(custom_id: String, problem: ContentError) -> Self {
        let kind = match problem {
            ContentError::InvalidJson { .. } => ItemKind::InvalidJson,
            ContentError::Problem(_) | ContentError::Unusable { .. } => ItemKind::Errored,
        };
        let (error, usage) = problem.into_item_error();
        ItemLine {
            custom_id,
            kind,
            result: ItemResult {
                response: Value::Object(Default::default()),
                usage,
                error: Some(error),
            },
        }
    }
}

/// A line that is not a result line at all (corrupt download). Drivers log and skip it:
/// its request then reads "No result returned from batch" instead of losing the batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineProblem {
    pub snippet: String,
    pub detail: String,
}

impl LineProblem {
    pub fn new(line: &str, detail: impl ToString) -> Self {
        LineProblem {
            snippet: snippet(line),
            detail: detail.to_string(),
        }
    }
}

/// How a batch ended, which decides what a request without a result reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Completed,
    Expired,
    Cancelled,
    Failed,
}

impl Outcome {
    /// The outcome of a batch that ended upstream with `status` (a terminal one).
    pub fn of(status: super::BatchStatus) -> Outcome {
        match status {
            super::BatchStatus::Expired => Outcome::Expired,
            super::BatchStatus::Cancelled => Outcome::Cancelled,
            super::BatchStatus::Failed => Outcome::Failed,
            _ => Outcome::Completed,
        }
    }

    /// The status a reader sees once the batch has ended this way.
    pub fn status(self) -> super::BatchStatus {
        match self {
            Outcome::Completed => super::BatchStatus::Completed,
            Outcome::Expired => super::BatchStatus::Expired,
            Outcome::Cancelled => super::BatchStatus::Cancelled,
            Outcome::Failed => super::BatchStatus::Failed,
        }
    }

    /// The `error` of a request the result files do not mention.
    pub fn missing_item_error(self) -> &'static str {
        match self {
            Outcome::Completed => "No result returned from batch",
            Outcome::Expired => "Batch expired before this request completed",
            Outcome::Cancelled => "Batch cancelled before this request completed",
            Outcome::Failed => "Batch failed before this request completed",
        }
    }
}

/// Splits a byte stream into lines, whatever the chunk boundaries (a line, or a UTF-8
/// character, may span chunks). Blank lines are skipped, `\r\n` is accepted.
#[derive(Debug, Default)]
pub struct LineSplitter {
    pending: Vec<u8>,
}

impl LineSplitter {
    /// Feeds `chunk`, calling `line` for every line it completes.
    pub fn push(&mut self, chunk: &[u8], mut line: impl FnMut(Result<&str, LineProblem>)) {
        let mut rest = chunk;
        while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
            if self.pending.is_empty() {
                emit(&rest[..nl], &mut line);
            } else {
                self.pending.extend_from_slice(&rest[..nl]);
                emit(&std::mem::take(&mut self.pending), &mut line);
            }
            rest = &rest[nl + 1..];
        }
        self.pending.extend_from_slice(rest);
    }

    /// Ends the stream: the last line may have no newline.
    pub fn finish(&mut self, mut line: impl FnMut(Result<&str, LineProblem>)) {
        let last = std::mem::take(&mut self.pending);
        emit(&last, &mut line);
    }
}

fn emit(bytes: &[u8], line: &mut impl FnMut(Result<&str, LineProblem>)) {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => line(Ok(text)),
        Err(e) => line(Err(LineProblem::new(&String::from_utf8_lossy(bytes), e))),
    }
}

/// Results keyed by `custom_id`, collected from any number of files, returned in input order.
#[derive(Debug, Default)]
pub struct ResultSet {
    by_id: HashMap<String, ItemResult>,
}

impl ResultSet {
    /// Adds an item. When a request appears twice (output and error file), an answer wins
    /// over an error.
    pub fn insert(&mut self, line: ItemLine) {
        match self.by_id.get(&line.custom_id) {
            Some(existing) if existing.error.is_none() || line.result.error.is_some() => {}
            _ => {
                self.by_id.insert(line.custom_id, line.result);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// One result per id, in the order given; ids without a result read as `outcome` says.
    /// Like the reference, a repeated id gets the same result each time.
    pub fn in_order<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a str>,
        outcome: Outcome,
    ) -> Vec<BatchChatResult> {
        ids.into_iter()
            .map(|id| {
                let result = self
                    .by_id
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| ItemResult::missing(outcome.missing_item_error()));
                result.with_id(id.to_string())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn collect(chunks: &[&[u8]]) -> Vec<String> {
        let mut splitter = LineSplitter::default();
        let mut out = vec![];
        for c in chunks {
            splitter.push(c, |l| out.push(l.unwrap().to_string()));
        }
        splitter.finish(|l| out.push(l.unwrap().to_string()));
        out
    }

    #[test]
    fn lines_survive_any_chunking() {
        let text = "{\"a\":1}\r\n\n  \n{\"b\":\"é\"}\n{\"c\":3}";
        let bytes = text.as_bytes();
        let whole = collect(&[bytes]);
        assert_eq!(whole, vec!["{\"a\":1}", "{\"b\":\"é\"}", "{\"c\":3}"]);
        for cut in 0..bytes.len() {
            assert_eq!(
                collect(&[&bytes[..cut], &bytes[cut..]]),
                whole,
                "cut at {cut}"
            );
        }
        let one_by_one: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(collect(&one_by_one), whole);
    }

    #[test]
    fn invalid_utf8_is_a_problem_not_a_panic() {
        let mut splitter = LineSplitter::default();
        let mut problems = 0;
        splitter.push(b"\xff\xfe\n", |l| problems += l.is_err() as usize);
        assert_eq!(problems, 1);
    }

    fn line(id: &str, error: Option<&str>) -> ItemLine {
        ItemLine {
            custom_id: id.into(),
            kind: if error.is_some() {
                ItemKind::Errored
            } else {
                ItemKind::Answered
            },
            result: ItemResult {
                response: json!({"id": id}),
                usage: TokenUsage::default(),
                error: error.map(Into::into),
            },
        }
    }

    #[test]
    fn results_come_back_in_input_order_with_gaps_explained() {
        let mut set = ResultSet::default();
        set.insert(line("c", None));
        set.insert(line("a", Some("status 400: Bad")));
        let out = set.in_order(["a", "b", "c"], Outcome::Completed);
        assert_eq!(
            out.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        assert_eq!(out[0].error.as_deref(), Some("status 400: Bad"));
        assert_eq!(
            out[1].error.as_deref(),
            Some("No result returned from batch")
        );
        assert_eq!(out[1].response, json!({}));
        assert_eq!(out[2].error, None);
        let out = set.in_order(["b"], Outcome::Expired);
        assert_eq!(
            out[0].error.as_deref(),
            Some("Batch expired before this request completed")
        );
    }

    #[test]
    fn an_answer_wins_over_an_error_for_the_same_id() {
        let mut set = ResultSet::default();
        set.insert(line("a", Some("x")));
        set.insert(line("a", None));
        set.insert(line("a", Some("y")));
        assert_eq!(set.in_order(["a"], Outcome::Completed)[0].error, None);
    }
}
