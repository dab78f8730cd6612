//! The batch lifecycle as one explicit state machine: no IO, no clock — `now` comes in as
//! an argument, and every step the job needs comes out as an [`Action`]. The job owns its
//! transitions: drivers read it and report what happened, never set its state.
//!
//! # Driving a [`BatchJob`]
//! A driver repeats:
//! 1. Ask what to do: [`BatchJob::next_action`]`(now)` — [`Action::Upload`] and
//!    [`Action::Create`] for a new batch, [`Action::Sleep`] until the next poll,
//!    [`Action::Poll`], [`Action::Collect`] the result files, under the Worker's rules also
//!    [`Action::Cancel`] and [`Action::Reconcile`], or stop ([`Action::Finished`],
//!    [`Action::Failed`]).
//! 2. Do that step (the provider's wire module builds the HTTP request) and report it:
//!    [`BatchJob::on_uploaded`], [`BatchJob::on_created`], [`BatchJob::on_poll`] (a cancel's
//!    answer too), [`BatchJob::on_reconciled`], [`BatchJob::on_collected`] or
//!    [`BatchJob::on_collect_failed`]; [`BatchJob::fail`] when a create step failed for good.
//!
//! The npm package's `chatBatch` is a loop around this that sleeps on `Sleep`
//! ([`Policy::Reference`]: the reference's limits). The Worker's cron runs now and then
//! instead ([`Policy::Durable`], contract §4.1): it asks [`BatchJob::due`] whether a step
//! fell due since its previous run, does it, and stores the job only when the report says
//! it changed. Polls the cron does not store still count: `on_poll` places itself on the
//! schedule's grid, so the backoff holds across runs. The job is serde-serialisable and
//! holds no secret and no request content, so it fits in a small KV value.

use super::durable::{Trouble, PAST_WINDOW_MS, RECONCILE_AFTER_MS};
use super::results::Outcome;
use super::schedule::PollSchedule;
use super::status::{BatchSnapshot, BatchStatus, RequestCounts};
pub use super::steps::{Action, PollNote, PollReport, PollResult};
use crate::error::{BatchFailure, Error, Provider};
use serde::{Deserialize, Serialize};
pub use stage::{BatchKind, Policy, Progress, Stage};

mod stage;

/// One batch's lifecycle state. See the module docs for how to drive it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchJob {
    kind: BatchKind,
    #[serde(alias = "policy")]
    rules: Policy,
    schedule: PollSchedule,
    stage: Stage,
    /// Polls done since polling started: the *n* of the schedule.
    polls: u32,
    /// When the last recorded poll happened (or polling started).
    anchor_ms: f64,
    /// When polling started; the reference's deadline is `started_ms + timeout_ms`.
    started_ms: f64,
    /// When the job was made (the Worker: when the create began).
    #[serde(default)]
    opened_ms: f64,
    /// The reference's streak of failed polls.
    #[serde(default)]
    consecutive_errors: u32,
    /// The Worker's streak of failures (polls, downloads, the create's lookup).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    trouble: Option<Trouble>,
    /// The Worker: when it cancelled the batch upstream for staying open past its window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cancelled_at_ms: Option<f64>,
    progress: Progress,
}

impl BatchJob {
    /// A batch still to be created, from `now`.
    pub fn new(kind: BatchKind, rules: Policy, schedule: PollSchedule, now: f64) -> Self {
        let stage = match kind {
            BatchKind::OpenAI { .. } => Stage::Upload,
            BatchKind::Anthropic => Stage::Create {
                input_file_id: None,
            },
        };
        BatchJob {
            kind,
            rules,
            schedule,
            stage,
            polls: 0,
            anchor_ms: now,
            started_ms: now,
            opened_ms: now,
            consecutive_errors: 0,
            trouble: None,
            cancelled_at_ms: None,
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
        rules: Policy,
        schedule: PollSchedule,
        batch_id: String,
        now: f64,
    ) -> Self {
        let mut job = BatchJob::new(kind, rules, schedule, now);
        job.start_polling(batch_id, now);
        job
    }

    /// A batch that was answered at once, without a Batch API (the Worker's one-request
    /// batches): finished, with its counts.
    pub fn answered_at_once(kind: BatchKind, id: String, counts: RequestCounts, now: f64) -> Self {
        let mut job = BatchJob::new(kind, Policy::Durable, PollSchedule::default(), now);
        job.progress = Progress {
            status: BatchStatus::Completed,
            counts,
            first_error: None,
        };
        job.stage = Stage::Finished {
            batch_id: id,
            outcome: Outcome::Completed,
        };
        job
    }

    pub fn provider(&self) -> Provider {
        self.kind.provider()
    }

    pub fn kind(&self) -> BatchKind {
        self.kind
    }

    pub fn stage(&self) -> &Stage {
        &self.stage
    }

    /// The last counts upstream reported.
    pub fn counts(&self) -> RequestCounts {
        self.progress.counts
    }

    /// The first error upstream reported for the whole batch.
    pub fn first_error(&self) -> Option<&str> {
        self.progress.first_error.as_deref()
    }

    /// The Worker's current streak of failures, while it lasts.
    pub fn trouble(&self) -> Option<&Trouble> {
        self.trouble.as_ref()
    }

    /// When the Worker cancelled the batch for staying open past its window.
    pub fn cancelled_at_ms(&self) -> Option<f64> {
        self.cancelled_at_ms
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
            Stage::Finished { outcome, .. } => outcome.status(),
            Stage::Failed { .. } => BatchStatus::Failed,
        }
    }

    pub fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Finished { .. } | Stage::Failed { .. })
    }

    /// How the batch ended, once it has.
    pub fn outcome(&self) -> Option<Outcome> {
        match &self.stage {
            Stage::Finished { outcome, .. } => Some(*outcome),
            Stage::Failed { .. } => Some(Outcome::Failed),
            _ => None,
        }
    }

    /// Why it failed, if it did.
    pub fn error(&self) -> Option<&Error> {
        match &self.stage {
            Stage::Failed { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The reference's deadline: when polling has to stop.
    pub fn deadline_ms(&self) -> f64 {
        self.started_ms + self.schedule.timeout_ms
    }

    /// The Worker's: when a batch still open upstream is cancelled there.
    fn past_window_ms(&self) -> f64 {
        self.started_ms + self.schedule.timeout_ms + PAST_WINDOW_MS
    }

    /// Milliseconds since polling started, for logs.
    pub fn elapsed_ms(&self, now: f64) -> f64 {
        now - self.started_ms
    }

    /// When the next poll is due on the schedule: the reference's wait after the last poll.
    pub fn next_poll_at(&self) -> f64 {
        self.anchor_ms + self.schedule.wait_before(self.polls)
    }

    /// What to do at `now`.
    pub fn next_action(&self, now: f64) -> Action<'_> {
        let durable = self.rules == Policy::Durable;
        if let Some(t) = self.trouble.as_ref().filter(|t| now < t.retry_at_ms) {
            if !self.is_done() {
                return Action::Sleep {
                    until_ms: t.retry_at_ms,
                };
            }
        }
        match &self.stage {
            Stage::Upload | Stage::Create { .. }
                if durable && now >= self.opened_ms + RECONCILE_AFTER_MS =>
            {
                Action::Reconcile {
                    since_ms: self.opened_ms,
                }
            }
            Stage::Upload => Action::Upload,
            Stage::Create { input_file_id } => Action::Create {
                input_file_id: input_file_id.as_deref(),
            },
            Stage::Poll { batch_id }
                if durable && self.cancelled_at_ms.is_none() && now >= self.past_window_ms() =>
            {
                Action::Cancel { batch_id }
            }
            Stage::Poll { batch_id } => {
                let at = if self.trouble.is_some() {
                    now
                } else {
                    self.next_poll_at()
                };
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

    /// The create step still to do, whatever the time: for the driver making the batch now
    /// (the Worker's create route may take longer than a cron waits before looking for it).
    pub fn create_step(&self) -> Option<Action<'_>> {
        match &self.stage {
            Stage::Upload => Some(Action::Upload),
            Stage::Create { input_file_id } => Some(Action::Create {
                input_file_id: input_file_id.as_deref(),
            }),
            _ => None,
        }
    }

    /// For drivers that run now and then rather than sleeping (the cron): the step that fell
    /// due in `(since, now]`, if any. A poll is due when a point of the schedule's grid (or a
    /// retry time) passed since the previous run — polls that changed nothing were not
    /// stored, so the grid, not the stored count, says whether this run polls. Defined by
    /// [`BatchJob::wake`], which a driver may store to decide without the job.
    pub fn due(&self, since: f64, now: f64) -> Option<Action<'_>> {
        if !self.wake().is_due(since, now) {
            return None;
        }
        match self.next_action(now) {
            // A young create is the create route's own business.
            Action::Upload
            | Action::Create { .. }
            | Action::Sleep { .. }
            | Action::Finished { .. }
            | Action::Failed(_) => None,
            action => Some(action),
        }
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
        self.trouble = None;
    }

    fn record(&mut self, s: &BatchSnapshot) {
        self.progress = Progress {
            status: s.status,
            counts: s.counts,
            first_error: s.first_error.clone(),
        };
    }

    /// A poll (or a cancel) answered, or not, at `now`.
    pub fn on_poll(&mut self, now: f64, result: PollResult) -> PollReport {
        let before = self.clone();
        // Polls the grid says happened since the last recorded one count too (a driver
        // that does not store unchanged polls); a sleeping driver polls exactly on it.
        let passed = self
            .schedule
            .slots_until(self.anchor_ms, self.polls, now)
            .unwrap_or(1)
            .max(1);
        self.polls = self
            .polls
            .saturating_add(u32::try_from(passed).unwrap_or(u32::MAX));
        self.anchor_ms = now;
        let note = match result {
            PollResult::Snapshot(snapshot) => {
                self.consecutive_errors = 0;
                self.trouble = None;
                self.record(&snapshot);
                let note = PollNote::Polled {
                    upstream_status: snapshot.upstream_status.clone(),
                    status: snapshot.status,
                };
                if snapshot.status.is_terminal() {
                    self.end(snapshot);
                } else {
                    self.check_deadlines(now);
                }
                note
            }
            // Upstream says there is no such batch: nothing more will come of it.
            PollResult::Rejected(e) if self.rules == Policy::Durable && e.status == Some(404) => {
                self.fail(Error::Status(e));
                PollNote::Fatal
            }
            failure if self.rules == Policy::Durable => self.retry_later(now, failure),
            failure => self.reference_streak(failure),
        };
        if matches!(
            note,
            PollNote::TransientStatus { .. } | PollNote::TransientNetwork { .. }
        ) {
            self.check_deadlines(now);
        }
        PollReport {
            changed: self.differs_for_readers(&before),
            note,
        }
    }

    /// Whether anything a reader (or the next run) needs changed since `before`. The poll
    /// count and anchor alone do not count: the grid recomputes them.
    fn differs_for_readers(&self, before: &BatchJob) -> bool {
        (
            &self.stage,
            &self.progress,
            self.consecutive_errors,
            &self.trouble,
            self.cancelled_at_ms,
        ) != (
            &before.stage,
            &before.progress,
            before.consecutive_errors,
            &before.trouble,
            before.cancelled_at_ms,
        )
    }

    /// Upstream says the batch is over: collect results, or end per the rules.
    fn end(&mut self, s: BatchSnapshot) {
        let batch_id = self.batch_id().unwrap_or_default().to_string();
        let outcome = Outcome::of(s.status);
        let ended = |detail: Option<String>| BatchFailure::Ended {
            status: s.status.as_str().into(),
            detail,
        };
        let failure = match (self.rules, outcome) {
            (_, Outcome::Completed) if s.files.is_empty() => Some(BatchFailure::NoOutputFile),
            (Policy::Reference, Outcome::Failed | Outcome::Cancelled) => Some(ended(s.first_error)),
            (Policy::Reference, Outcome::Expired) if s.files.is_empty() => Some(ended(None)),
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
            self.trouble = None;
        }
    }

    /// Reading the result files failed at `now`. The reference fails the job; the Worker
    /// tries again with backoff (a missing file, 404, will not come back).
    pub fn on_collect_failed(&mut self, now: f64, error: Error) {
        if self.rules == Policy::Reference || error.status() == Some(404) {
            self.fail(error);
        } else {
            let retry_after = error.retry_after_ms();
            self.note_trouble(now, error.to_string(), retry_after);
        }
    }

    /// The job cannot go on (upload, create or download failed for good).
    pub fn fail(&mut self, error: Error) {
        let batch_id = self.batch_id().map(str::to_string);
        self.stage = Stage::Failed { batch_id, error };
        self.trouble = None;
    }

    fn fail_batch(&mut self, failure: BatchFailure) {
        self.fail(Error::Batch {
            provider: self.provider(),
            failure,
        });
    }
}

mod rules;
mod wake;

#[cfg(test)]
#[path = "machine_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "durable_tests.rs"]
mod durable_tests;
