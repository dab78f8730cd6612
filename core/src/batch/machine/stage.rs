//! The machine's vocabulary: which Batch API, whose rules, where a job is, and what upstream
//! last said.

use crate::batch::results::Outcome;
use crate::batch::status::{BatchStatus, RequestCounts, ResultFiles};
use crate::error::{Error, Provider};
use crate::openai::batches::BatchEndpoint;
use serde::{Deserialize, Serialize};

/// Which Batch API, and for OpenAI which endpoint the requests go to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "api", rename_all = "snake_case")]
pub enum BatchKind {
    #[serde(rename = "openai")]
    OpenAI {
        endpoint: BatchEndpoint,
    },
    Anthropic,
}

impl BatchKind {
    pub fn provider(self) -> Provider {
        match self {
            BatchKind::OpenAI { .. } => Provider::OpenAI,
            BatchKind::Anthropic => Provider::Anthropic,
        }
    }
}

/// Whose rules the job follows when things go wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// The reference's `chatBatch` (contract §2): three 5xx or four network errors in a row
    /// and the 24 h deadline end it; `failed` and `cancelled` throw; `expired` returns what
    /// finished, or throws when nothing did; download errors throw.
    #[serde(alias = "strict")]
    Reference,
    /// The Worker (contract §4.1): upstream is the clock; failed polls and downloads are
    /// retried with backoff; every ending keeps whatever results exist.
    #[serde(alias = "keep_partial")]
    Durable,
}

/// Where the job is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum Stage {
    /// OpenAI: the input file is not uploaded yet.
    Upload,
    /// The batch is not created yet (OpenAI: from `input_file_id`; Anthropic: inline).
    Create { input_file_id: Option<String> },
    /// Upstream is working on it.
    Poll { batch_id: String },
    /// Upstream is done; its result files are to be read.
    Collect {
        batch_id: String,
        files: ResultFiles,
        outcome: Outcome,
    },
    /// Results (if any) are in; nothing left to do.
    Finished { batch_id: String, outcome: Outcome },
    /// It cannot return results.
    Failed {
        batch_id: Option<String>,
        error: Error,
    },
}

/// The last status and counts upstream reported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub status: BatchStatus,
    pub counts: RequestCounts,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
}
