//! The batch lifecycle as one explicit state machine: no IO, no clock — `now` comes in as
//! an argument, and every step the job needs comes out as an [`Action`].
//!
//! # Driving a [`BatchJob`]
//! A driver repeats:
//! 1. [`BatchJob::next_action`]`(now)` says what to do next: [`Action::Upload`] and
//!    [`Action::Create`] for a new batch, [`Action::Sleep`] until the next poll,
//!    [`Action::Poll`], [`Action::Collect`] the result files, or stop
//!    ([`Action::Finished`], [`Action::Failed`]).
//! 2. It does that step (the provider's wire module builds the HTTP request) and reports
//!    what happened: [`BatchJob::on_uploaded`], [`BatchJob::on_created`],
//!    [`BatchJob::on_poll`], [`BatchJob::on_collected`] or [`BatchJob::fail`].
//!
//! The npm package's `chatBatch` is a loop around this that sleeps on `Sleep`. The Worker's
//! cron runs one step per batch per run instead: it asks [`BatchJob::poll_due`] whether a
//! poll fell due since its previous run, calls [`BatchJob::catch_up`] then `on_poll`, and
//! stores the job only when [`PollReport::changed`] says so. The job is serde-serialisable
//! and holds no secret and no request content, so it fits in a small KV value.

use super::results::Outcome;
use super::schedule::PollSchedule;
use super::status::{BatchSnapshot, BatchStatus, RequestCounts, ResultFiles};
pub use super::steps::{Action, PollNote, PollReport, PollResult};
use crate::error::{BatchFailure, Error, Provider};
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

/// What to do when a batch ends other than `completed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndPolicy {
    /// The reference's `chatBatch`: `failed` and `cancelled` throw; `expired` returns what
    /// finished, or throws when nothing did. Download errors throw.
    Strict,
    /// The Worker: every ending keeps whatever results exist, and a download that fails
    /// for a passing reason is tried again on the next run.
    KeepPartial,
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

/// One batch's lifecycle state. See the module docs for how to drive it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchJob {
    pub kind: BatchKind,
    pub policy: EndPolicy,
    pub schedule: PollSchedule,
    pub stage: Stage,
    /// Polls done since polling started: the *n* of the schedule.
    pub polls: u32,
    /// When the last recorded poll happened (or polling started).
    pub anchor_ms: f64,
    /// When polling started; the deadline is `started_ms + schedule.timeout_ms`.
    pub started_ms: f64,
    pub consecutive_errors: u32,
    pub progress: Progress,
}

/// Network errors in a row that end polling (the reference's 4).
const MAX_NETWORK_ERRORS: u32 = 4;
/// 5xx answers in a row that polling tolerates (the reference's 3).
const TOLERATED_5XX: u32 = 3;
/// Failed downloads in a row the Worker tolerates before it gives up.
const TOLERATED_COLLECT_ERRORS: u32 = 5;

impl BatchJob {
    /// A batch still to be created.
    pub fn new(kind: BatchKind, policy: EndPolicy, schedule: PollSchedule) -> Self {
        let stage = match kind {
            BatchKind::OpenAI { .. } => Stage::Upload,
            BatchKind::Anthropic => Stage::Create {
                input_file_id: None,
            },
        };
        BatchJob {
            kind,
            policy,
            schedule,
            stage,
            polls: 0,
            anchor_ms: 0.0,
            started_ms: 0.0,
            consecutive_errors: 0,
            progress: Progress {
                status: BatchStatus::Validating,
                counts: RequestCounts::default(),
                first_error: None,
            },
        }
    }

    /// A batch created earlier (`existingBatchId`): polling starts now, deadline included.
    pub fn resume(
        kind: BatchKind,
        policy: EndPolicy,
        schedule: PollSchedule,
        batch_id: String,
        now: f64,
    ) -> Self {
        let mut job = BatchJob::new(kind, policy, schedule);
        job.start_polling(batch_id, now);
        job
    }

    pub fn provider(&self) -> Provider {
        self.kind.provider()
    }

    /// The upstream batch id, once there is one.
    pub fn batch_id(&self) -> Option<&str> {
        match &self.stage {
            Stage::Upload | Stage::Create { .. } => None,
            Stage::Poll { batch_id }
            | Stage::Collect { batch_id, .. }
            | Stage::Finished { batch_id, .. } => Some(batch_id),
            Stage::Failed { batch_id, .. } => batch_id.as_deref(),
        }
    }

    /// The status a reader should see (contract §4's single vocabulary).
    pub fn status(&self) -> BatchStatus {
        match &self.stage {
            Stage::Upload | Stage::Create { .. } => BatchStatus::Validating,
            Stage::Poll { .. } => self.progress.status,
            // Results are still being stored: not readable yet.
            Stage::Collect { .. } => BatchStatus::Finalizing,
            Stage::Finished { outcome, .. } => match outcome {
                Outcome::Completed => BatchStatus::Completed,
                Outcome::Expired => BatchStatus::Expired,
                Outcome::Cancelled => BatchStatus::Cancelled,
                Outcome::Failed => BatchStatus::Failed,
            },
            Stage::Failed { .. } => BatchStatus::Failed,
        }
    }

    pub fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Finished { .. } | Stage::Failed { .. })
    }

    /// When polling has to stop.
    pub fn deadline_ms(&self) -> f64 {
        self.started_ms + self.schedule.timeout_ms
    }

    /// Milliseconds since polling started, for logs.
    pub fn elapsed_ms(&self, now: f64) -> f64 {
        now - self.started_ms
    }

    /// When the next poll is due: the reference's wait after the last poll.
    pub fn next_poll_at(&self) -> f64 {
        self.anchor_ms + self.schedule.wait_before(self.polls)
    }

    /// What to do at `now`.
    pub fn next_action(&self, now: f64) -> Action<'_> {
        match &self.stage {
            Stage::Upload => Action::Upload,
            Stage::Create { input_file_id } => Action::Create {
                input_file_id: input_file_id.as_deref(),
            },
            Stage::Poll { batch_id } => {
                let at = self.next_poll_at();
                if now >= at {
                    Action::Poll { batch_id }
                } else {
                    Action::Sleep { until_ms: at }
                }
            }
            Stage::Collect {
                batch_id,
                files,
                outcome,
            } => Action::Collect {
                batch_id,
                files,
                outcome: *outcome,
            },
            Stage::Finished { batch_id, outcome } => Action::Finished {
                batch_id,
                outcome: *outcome,
            },
            Stage::Failed { error, .. } => Action::Failed(error),
        }
    }

    /// For drivers that run now and then rather than sleeping (the cron): whether a poll
    /// fell due in `(since, now]`, or the job waits to have its results collected.
    pub fn poll_due(&self, since: f64, now: f64) -> bool {
        match self.stage {
            Stage::Collect { .. } => true,
            Stage::Poll { .. } => {
                let slots = |t: f64| self.schedule.slots_until(self.anchor_ms, self.polls, t);
                match (slots(since.max(self.anchor_ms)), slots(now)) {
                    (_, None) => true,
                    (Some(before), Some(after)) => after > before,
                    (None, Some(_)) => false,
                }
            }
            _ => false,
        }
    }

    /// For drivers that do not record every poll: counts the polls of the schedule that
    /// passed since the last recorded one, so the waits keep growing. Call before `on_poll`.
    pub fn catch_up(&mut self, now: f64) {
        let passed = self
            .schedule
            .slots_until(self.anchor_ms, self.polls, now)
            .unwrap_or(1);
        let unrecorded = u32::try_from(passed.saturating_sub(1)).unwrap_or(u32::MAX);
        self.polls = self.polls.saturating_add(unrecorded);
    }

    /// The input file is uploaded.
    pub fn on_uploaded(&mut self, input_file_id: String) {
        if matches!(self.stage, Stage::Upload) {
            self.stage = Stage::Create {
                input_file_id: Some(input_file_id),
            };
        }
    }

    /// The batch exists upstream; polling starts now.
    pub fn on_created(&mut self, snapshot: BatchSnapshot, now: f64) {
        self.start_polling(snapshot.id.clone(), now);
        self.record(&snapshot);
    }

    fn start_polling(&mut self, batch_id: String, now: f64) {
        self.stage = Stage::Poll { batch_id };
        self.polls = 0;
        self.anchor_ms = now;
        self.started_ms = now;
        self.consecutive_errors = 0;
    }

    fn record(&mut self, s: &BatchSnapshot) {
        self.progress = Progress {
            status: s.status,
            counts: s.counts,
            first_error: s.first_error.clone(),
        };
    }

    /// A poll answered (or not) at `now`.
    pub fn on_poll(&mut self, now: f64, result: PollResult) -> PollReport {
        let before = (
            self.stage.clone(),
            self.progress.clone(),
            self.consecutive_errors,
        );
        self.polls = self.polls.saturating_add(1);
        self.anchor_ms = now;
        let note = match result {
            PollResult::Unreachable(message) => {
                self.consecutive_errors += 1;
                if self.consecutive_errors >= MAX_NETWORK_ERRORS {
                    let count = self.consecutive_errors;
                    self.fail(Error::Batch {
                        provider: self.provider(),
                        failure: BatchFailure::PollErrors { count, message },
                    });
                    PollNote::Fatal
                } else {
                    PollNote::TransientNetwork {
                        message,
                        consecutive_errors: self.consecutive_errors,
                    }
                }
            }
            PollResult::Rejected(e) => match e.status {
                Some(status) if status >= 500 && self.consecutive_errors < TOLERATED_5XX => {
                    self.consecutive_errors += 1;
                    PollNote::TransientStatus {
                        status,
                        consecutive_errors: self.consecutive_errors,
                    }
                }
                _ => {
                    self.fail(Error::Status(e));
                    PollNote::Fatal
                }
            },
            PollResult::Snapshot(snapshot) => {
                self.consecutive_errors = 0;
                self.record(&snapshot);
                let note = PollNote::Polled {
                    upstream_status: snapshot.upstream_status.clone(),
                    status: snapshot.status,
                };
                if snapshot.status.is_terminal() {
                    self.end(snapshot);
                } else if self.next_poll_at() > self.deadline_ms() {
                    self.time_out();
                }
                note
            }
        };
        if matches!(
            note,
            PollNote::TransientStatus { .. } | PollNote::TransientNetwork { .. }
        ) && self.next_poll_at() > self.deadline_ms()
        {
            self.time_out();
        }
        let changed = (&self.stage, &self.progress, self.consecutive_errors)
            != (&before.0, &before.1, before.2);
        PollReport { changed, note }
    }

    fn time_out(&mut self) {
        let after_ms = self.schedule.timeout_ms as u64;
        self.fail(Error::Batch {
            provider: self.provider(),
            failure: BatchFailure::TimedOut { after_ms },
        });
    }

    /// Upstream says the batch is over: collect results, or end per the policy.
    fn end(&mut self, s: BatchSnapshot) {
        let batch_id = self.batch_id().unwrap_or_default().to_string();
        let outcome = match s.status {
            BatchStatus::Expired => Outcome::Expired,
            BatchStatus::Cancelled => Outcome::Cancelled,
            BatchStatus::Failed => Outcome::Failed,
            _ => Outcome::Completed,
        };
        let ended = |detail: Option<String>| BatchFailure::Ended {
            status: s.status.as_str().into(),
            detail,
        };
        let failure = match (self.policy, outcome) {
            (_, Outcome::Completed) if s.files.is_empty() => Some(BatchFailure::NoOutputFile),
            (EndPolicy::Strict, Outcome::Failed | Outcome::Cancelled) => Some(ended(s.first_error)),
            (EndPolicy::Strict, Outcome::Expired) if s.files.is_empty() => Some(ended(None)),
            _ => None,
        };
        self.stage = match failure {
            Some(failure) => Stage::Failed {
                batch_id: Some(batch_id),
                error: Error::Batch {
                    provider: self.provider(),
                    failure,
                },
            },
            None if s.files.is_empty() => Stage::Finished { batch_id, outcome },
            None => Stage::Collect {
                batch_id,
                files: s.files,
                outcome,
            },
        };
    }

    /// Every result file is read (and, in the Worker, stored).
    pub fn on_collected(&mut self) {
        if let Stage::Collect {
            batch_id, outcome, ..
        } = &self.stage
        {
            self.stage = Stage::Finished {
                batch_id: batch_id.clone(),
                outcome: *outcome,
            };
            self.consecutive_errors = 0;
        }
    }

    /// Reading the result files failed. `Strict` fails the job; `KeepPartial` keeps it in
    /// `Collect` for another try while the error is a passing one.
    pub fn on_collect_failed(&mut self, error: Error) {
        self.consecutive_errors += 1;
        let retry = self.policy == EndPolicy::KeepPartial
            && error.is_retryable()
            && self.consecutive_errors < TOLERATED_COLLECT_ERRORS;
        if !retry {
            self.fail(error);
        }
    }

    /// The job cannot go on (upload, create or download failed for good).
    pub fn fail(&mut self, error: Error) {
        let batch_id = self.batch_id().map(str::to_string);
        self.stage = Stage::Failed { batch_id, error };
    }
}

#[cfg(test)]
#[path = "machine_tests.rs"]
mod tests;
