//! One batch vocabulary for every provider, and the snapshot a poll yields.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A batch's status, in the Worker's single vocabulary (contract §4). OpenAI's statuses map
/// one to one; Anthropic's `canceling` is `Cancelling` and `ended` becomes `Completed`,
/// `Expired` or `Cancelled`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchStatus {
    Validating,
    InProgress,
    Finalizing,
    Completed,
    Failed,
    Expired,
    Cancelling,
    Cancelled,
}

impl BatchStatus {
    pub const ALL: [BatchStatus; 8] = [
        BatchStatus::Validating,
        BatchStatus::InProgress,
        BatchStatus::Finalizing,
        BatchStatus::Completed,
        BatchStatus::Failed,
        BatchStatus::Expired,
        BatchStatus::Cancelling,
        BatchStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BatchStatus::Validating => "validating",
            BatchStatus::InProgress => "in_progress",
            BatchStatus::Finalizing => "finalizing",
            BatchStatus::Completed => "completed",
            BatchStatus::Failed => "failed",
            BatchStatus::Expired => "expired",
            BatchStatus::Cancelling => "cancelling",
            BatchStatus::Cancelled => "cancelled",
        }
    }

    /// The status OpenAI calls `name` (also accepts the British/American spellings).
    pub fn from_openai(name: &str) -> Option<BatchStatus> {
        match name {
            "canceling" => Some(BatchStatus::Cancelling),
            "canceled" => Some(BatchStatus::Cancelled),
            _ => BatchStatus::ALL.into_iter().find(|s| s.as_str() == name),
        }
    }

    /// Whether upstream will not change the batch any more.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            BatchStatus::Completed
                | BatchStatus::Failed
                | BatchStatus::Expired
                | BatchStatus::Cancelled
        )
    }
}

impl fmt::Display for BatchStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Progress counters (contract §4 `requestCounts`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestCounts {
    pub total: u64,
    pub completed: u64,
    pub failed: u64,
}

/// Where a finished batch's results can be read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultFiles {
    /// OpenAI: the file of answered requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_file_id: Option<String>,
    /// OpenAI: the file of requests that failed (the reference forgot to read it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_file_id: Option<String>,
    /// Anthropic: the JSONL of every request's result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results_url: Option<String>,
}

impl ResultFiles {
    pub fn is_empty(&self) -> bool {
        self.output_file_id.is_none() && self.error_file_id.is_none() && self.results_url.is_none()
    }
}

/// What one poll of a batch tells, in provider-neutral terms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchSnapshot {
    pub id: String,
    pub status: BatchStatus,
    /// The provider's own status word (`ended`, `in_progress`, …), for logs.
    pub upstream_status: String,
    pub counts: RequestCounts,
    pub files: ResultFiles,
    /// The first error upstream reports for the whole batch (OpenAI `errors.data[0].message`).
    pub first_error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_statuses_map_one_to_one() {
        for s in BatchStatus::ALL {
            assert_eq!(BatchStatus::from_openai(s.as_str()), Some(s));
        }
        assert_eq!(
            BatchStatus::from_openai("canceling"),
            Some(BatchStatus::Cancelling)
        );
        assert_eq!(BatchStatus::from_openai("nope"), None);
    }

    #[test]
    fn serde_uses_the_wire_words() {
        assert_eq!(
            serde_json::to_string(&BatchStatus::InProgress).unwrap(),
            "\"in_progress\""
        );
    }
}
