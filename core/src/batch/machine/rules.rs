//! What ends a batch, by [`Policy`]: the reference's streak of failed polls and its
//! deadline, and the Worker's §4.1 rules — retries with backoff, the window past which it
//! cancels upstream, and settling a create whose answer was lost. Part of [`BatchJob`]'s
//! own transitions (a child module, so the state stays private to the machine).

use super::{BatchJob, Policy, PollNote, PollReport, PollResult, Stage};
use crate::batch::durable::{Trouble, CANCEL_GRACE_MS, GIVE_UP_CREATE_MS};
use crate::batch::reconcile::Reconciled;
use crate::error::{BatchFailure, Error};

/// Network errors in a row that end polling (the reference's 4).
const MAX_NETWORK_ERRORS: u32 = 4;
/// 5xx answers in a row that polling tolerates (the reference's 3).
const TOLERATED_5XX: u32 = 3;

impl BatchJob {
    /// The Worker cancelled the batch upstream (it stayed open past its window); upstream's
    /// answer is recorded like a poll's.
    pub fn on_cancel_sent(&mut self, now: f64, result: PollResult) -> PollReport {
        if matches!(result, PollResult::Snapshot(_)) && self.rules == Policy::Durable {
            self.cancelled_at_ms.get_or_insert(now);
        }
        self.on_poll(now, result)
    }

    /// §4.1: a failed poll is retried on the backoff schedule, until the failures have
    /// lasted six hours without a break.
    pub(super) fn retry_later(&mut self, now: f64, failure: PollResult) -> PollNote {
        let (message, retry_after) = match failure {
            PollResult::Rejected(e) => (e.to_string(), e.retry_after_ms),
            PollResult::Unreachable(message) => (message, None),
            PollResult::Snapshot(_) => unreachable!("a snapshot is not a failure"),
        };
        self.note_trouble(now, message, retry_after);
        match &self.trouble {
            Some(t) => PollNote::Retrying {
                message: t.message.clone(),
                attempts: t.attempts,
                retry_at_ms: t.retry_at_ms,
            },
            None => PollNote::Fatal,
        }
    }

    pub(super) fn note_trouble(&mut self, now: f64, message: String, retry_after_ms: Option<u64>) {
        let max = self.schedule.max_poll_interval_ms;
        let t = Trouble::after(self.trouble.as_ref(), now, message, max, retry_after_ms);
        if t.is_hopeless(now) {
            let failure = BatchFailure::Unreachable {
                after_ms: (now - t.since_ms) as u64,
                attempts: t.attempts,
                message: t.message,
            };
            self.fail_batch(failure);
        } else {
            self.trouble = Some(t);
        }
    }

    /// §2: three 5xx in a row pass, four network errors end it; anything else ends it.
    pub(super) fn reference_streak(&mut self, failure: PollResult) -> PollNote {
        match failure {
            PollResult::Unreachable(message) => {
                self.consecutive_errors += 1;
                if self.consecutive_errors >= MAX_NETWORK_ERRORS {
                    let count = self.consecutive_errors;
                    self.fail_batch(BatchFailure::PollErrors { count, message });
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
            PollResult::Snapshot(_) => unreachable!("a snapshot is not a failure"),
        }
    }

    /// The reference stops at its deadline; the Worker gives a batch it cancelled past its
    /// window a last grace to end upstream.
    pub(super) fn check_deadlines(&mut self, now: f64) {
        if !matches!(self.stage, Stage::Poll { .. }) {
            return;
        }
        match (self.rules, self.cancelled_at_ms) {
            (Policy::Reference, _) if self.next_poll_at() > self.deadline_ms() => {
                let after_ms = self.schedule.timeout_ms as u64;
                self.fail_batch(BatchFailure::TimedOut { after_ms });
            }
            (Policy::Durable, Some(at)) if now >= at + CANCEL_GRACE_MS => {
                let after_ms = (now - self.started_ms) as u64;
                self.fail_batch(BatchFailure::NeverEnded { after_ms });
            }
            _ => {}
        }
    }

    /// What looking upstream for a lost create found, at `now`. Nothing found for an hour:
    /// nothing was created. Several candidates that cannot be told apart yet: the driver
    /// tells them apart by their results once they end, so this waits out the window.
    pub fn on_reconciled(&mut self, now: f64, found: Reconciled) {
        let (message, give_up_at) = match found {
            Reconciled::Found(snapshot) => {
                // Polling started when the create began: the window counts from there.
                self.start_polling(snapshot.id.clone(), self.opened_ms);
                self.anchor_ms = now;
                self.record(&snapshot);
                if snapshot.status.is_terminal() {
                    self.end(snapshot);
                }
                return;
            }
            Reconciled::NotFound => (
                "the create's answer was lost, and no batch made by it was found upstream".to_string(),
                self.opened_ms + GIVE_UP_CREATE_MS,
            ),
            Reconciled::Ambiguous(candidates) => (
                format!(
                    "the create's answer was lost; upstream batches {} could be this one, told apart once they end",
                    candidates.iter().map(|s| s.id.as_str()).collect::<Vec<_>>().join(", ")
                ),
                self.past_window_ms(),
            ),
            Reconciled::Failed(message) => {
                self.note_trouble(now, message, None);
                return;
            }
        };
        if now >= give_up_at {
            self.fail_batch(BatchFailure::NotCreated { detail: message });
        } else {
            self.trouble = Some(Trouble::lookup(self.trouble.as_ref(), now, message));
        }
    }
}
