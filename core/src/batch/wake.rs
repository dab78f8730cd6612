//! When a job next needs a driver that runs now and then (`BatchJob::due`), as a small value
//! a driver can keep beside its index — the Worker stores it in the metadata of a batch's
//! open-index entry, so its cron decides which batches are due from a listing alone, without
//! reading every record.
//!
//! A job falls due in two ways, and a [`Wake`] holds both: *level* (`at`: from that moment
//! on, until the job moves — a collection, a retry after failures, the lookup of a lost
//! create, the cancel of a batch past its window) and *edge* (`grid`: each time a point of
//! the poll schedule's grid passes, since polls that change nothing are not stored).
//! [`BatchJob::due`] is defined through it ([`BatchJob::wake`]), so the two cannot disagree.
//!
//! [`BatchJob::due`]: super::BatchJob::due
//! [`BatchJob::wake`]: super::BatchJob::wake

use super::schedule::PollSchedule;
use serde::{Deserialize, Serialize};

/// When a job next falls due. `Wake::default()` never does (an ended job).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Wake {
    /// Due at and after this time (ms since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<f64>,
    /// Due whenever a point of this poll grid passes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid: Option<Grid>,
}

/// The poll schedule's grid from the last recorded poll: points at `anchor + wait(n)`,
/// `+ wait(n + 1)`, … (see [`PollSchedule::slots_until`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Grid {
    pub anchor_ms: f64,
    pub polls: u32,
    pub schedule: PollSchedule,
}

impl Grid {
    /// Whether a grid point passed in `(since, now]`.
    pub fn fell_due(&self, since: f64, now: f64) -> bool {
        let slots = |t: f64| self.schedule.slots_until(self.anchor_ms, self.polls, t);
        match (slots(since.max(self.anchor_ms)), slots(now)) {
            (_, None) => true,
            (Some(before), Some(after)) => after > before,
            (None, Some(_)) => false,
        }
    }

    /// The first grid point after `t` (`t` itself when the grid is dense: a zero interval).
    pub fn next_after(&self, t: f64) -> f64 {
        let Some(passed) = self.schedule.slots_until(self.anchor_ms, self.polls, t) else {
            return t;
        };
        // Walk to the point after the `passed` ones (bounded: the waits stop growing).
        let mut at = self.anchor_ms;
        let mut n = self.polls;
        let mut count = 0u64;
        loop {
            let wait = self.schedule.wait_before(n);
            if wait >= self.schedule.max_poll_interval_ms && count < passed {
                at += wait * (passed - count) as f64;
                return at + wait;
            }
            at += wait;
            if count == passed {
                return at;
            }
            count += 1;
            n = n.saturating_add(1);
        }
    }
}

impl Wake {
    /// Whether the job falls due in `(since, now]`: a driver that ran at `since` and runs
    /// again at `now` has a step to do.
    pub fn is_due(&self, since: f64, now: f64) -> bool {
        self.at.is_some_and(|at| now >= at) || self.grid.is_some_and(|g| g.fell_due(since, now))
    }

    /// When it first falls due after `since` (`None`: never). A step due since before
    /// `since` (level) gives its own time, which may lie before `since`.
    pub fn due_at(&self, since: f64) -> Option<f64> {
        let grid = self.grid.map(|g| g.next_after(since.max(g.anchor_ms)));
        match (self.at, grid) {
            (Some(a), Some(g)) => Some(a.min(g)),
            (a, g) => a.or(g),
        }
    }
}

#[cfg(test)]
#[path = "wake_tests.rs"]
mod tests;
