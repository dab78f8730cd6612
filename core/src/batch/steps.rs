//! What the batch machine asks a driver to do ([`Action`]) and what a driver reports back
//! from a poll ([`PollResult`], answered with a [`PollReport`]).

use super::results::Outcome;
use super::status::{BatchSnapshot, BatchStatus, ResultFiles};
use crate::error::{Error, StatusError};

/// The next step, borrowed from the job.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Action<'a> {
    Upload,
    Create {
        input_file_id: Option<&'a str>,
    },
    Sleep {
        until_ms: f64,
    },
    Poll {
        batch_id: &'a str,
    },
    /// The Worker: upstream kept the batch open far past its window; cancel it there
    /// (then keep polling, and collect what it returns).
    Cancel {
        batch_id: &'a str,
    },
    /// The Worker: the create's answer was lost; look for the batch upstream, by the
    /// gateway's own `id` (OpenAI metadata) or by its time and size (Anthropic).
    Reconcile {
        since_ms: f64,
    },
    Collect {
        batch_id: &'a str,
        files: &'a ResultFiles,
        outcome: Outcome,
    },
    Finished {
        batch_id: &'a str,
        outcome: Outcome,
    },
    Failed(&'a Error),
}

/// What a poll told, in a form a driver can act on or log.
#[derive(Clone, Debug, PartialEq)]
pub enum PollResult {
    /// An OK answer.
    Snapshot(BatchSnapshot),
    /// No answer at all (the host's error message).
    Unreachable(String),
    /// A non-OK answer.
    Rejected(StatusError),
}

/// What [`BatchJob::on_poll`] did.
#[derive(Clone, Debug, PartialEq)]
pub struct PollReport {
    /// Whether anything a reader can see changed (status, counts, stage, error streak).
    /// The cron driver writes the job back only when this is true.
    pub changed: bool,
    pub note: PollNote,
}

/// The poll's story, for the reference's log lines.
#[derive(Clone, Debug, PartialEq)]
pub enum PollNote {
    /// `Polling batch` (and `Batch completed` when the status says so).
    Polled {
        upstream_status: String,
        status: BatchStatus,
    },
    /// `Transient poll error`: a 5xx tolerated.
    TransientStatus {
        status: u16,
        consecutive_errors: u32,
    },
    /// `Transient poll error (network)`.
    TransientNetwork {
        message: String,
        consecutive_errors: u32,
    },
    /// The Worker: the poll failed; it is tried again at `retry_at_ms` (contract §4.1).
    Retrying {
        message: String,
        attempts: u32,
        retry_at_ms: f64,
    },
    /// The poll ended the job with an error.
    Fatal,
}
