//! How much one run of steps may do — a cron run doing the steps itself, or one delivery of
//! queue messages — and what it did. Counters are cells: a queue delivery runs its steps
//! concurrently on the isolate's one thread (its collections one at a time).

use super::StepKind;
use futures_util::lock::{Mutex, MutexGuard};
use serde_json::{json, Value};
use std::cell::Cell;

/// Upstream calls (polls, cancels, lookups) a cron run makes when it does the steps itself:
/// one subrequest each, well under the per-invocation limits.
pub const CRON_CALLS: u32 = 40;
/// Collections per cron run without a queue: each streams whole files into KV, within the
/// run's CPU time.
pub const CRON_COLLECTS: u32 = 1;
/// A queue delivery starts collections, one after another, for this long (then hands the
/// rest to later deliveries): many small batches ending together are collected in one
/// delivery, and a large one (50,000 results took 7–8 s) still ends within the CPU time.
const DELIVERY_COLLECTS_MS: f64 = 10_000.0;
/// Index entries a cron run closes itself (a delete each), within KV's 1,000 operations per
/// invocation.
pub const CRON_CLOSES: u32 = 200;

#[derive(Default)]
pub struct Tally {
    pub polled: Cell<u32>,
    pub written: Cell<u32>,
    pub collected: Cell<u32>,
    pub reconciled: Cell<u32>,
    pub deferred: Cell<u32>,
    pub closed: Cell<u32>,
    pub dropped: Cell<u32>,
    pub unreadable: Cell<u32>,
    pub failed: Cell<u32>,
    /// The latest a poll ran after its grid point (ms), when the step knew the point.
    pub worst_late_ms: Cell<f64>,
}

/// Counts one more.
pub fn bump(counter: &Cell<u32>) {
    counter.set(counter.get() + 1);
}

impl Tally {
    pub fn late(&self, ms: f64) {
        self.worst_late_ms.set(self.worst_late_ms.get().max(ms));
    }

    pub fn json(&self) -> Value {
        json!({
            "polled": self.polled.get(), "written": self.written.get(),
            "collected": self.collected.get(), "reconciled": self.reconciled.get(),
            "deferred": self.deferred.get(), "closed": self.closed.get(),
            "dropped": self.dropped.get(), "unreadable": self.unreadable.get(),
            "failed": self.failed.get(), "worstLateMs": self.worst_late_ms.get().round(),
        })
    }
}

pub struct Budget {
    pub tally: Tally,
    /// `None`: as many as there are.
    calls: Cell<Option<u32>>,
    collects: Cell<u32>,
    /// No collection starts after this (ms since the epoch, the real clock).
    collects_until: Option<f64>,
    /// Collections take turns: two at once could need more than the isolate's 128 MB (a
    /// 50,000-result collection peaks at 52 MB of wasm memory).
    collecting: Mutex<()>,
    closes: Cell<Option<u32>>,
    /// A collection past the budget becomes its own queue message (a queue delivery) rather
    /// than waiting for the next cron run.
    pub queues_collections: bool,
}

impl Budget {
    /// A cron run doing the steps itself (no queue).
    pub fn cron() -> Budget {
        Budget {
            tally: Tally::default(),
            calls: Cell::new(Some(CRON_CALLS)),
            collects: Cell::new(CRON_COLLECTS),
            collects_until: None,
            collecting: Mutex::new(()),
            closes: Cell::new(Some(CRON_CLOSES)),
            queues_collections: false,
        }
    }

    /// One delivery of queue messages, starting at `started` (ms, the real clock): each
    /// message is one step, so only collections are bounded (the rest are queued again as
    /// their own messages).
    pub fn delivery(started: f64) -> Budget {
        Budget {
            tally: Tally::default(),
            calls: Cell::new(None),
            collects: Cell::new(u32::MAX),
            collects_until: Some(started + DELIVERY_COLLECTS_MS),
            collecting: Mutex::new(()),
            closes: Cell::new(None),
            queues_collections: true,
        }
    }

    pub fn try_call(&self) -> bool {
        take(&self.calls)
    }

    /// Waits for this step's turn to collect: `None` when this run or delivery starts no
    /// more collections. Hold the turn until the collection is stored.
    pub async fn collect_turn(&self) -> Option<MutexGuard<'_, ()>> {
        let turn = self.collecting.lock().await;
        let late = self.collects_until.is_some_and(|t| js_sys::Date::now() > t);
        let left = self.collects.get();
        if left == 0 || late {
            return None;
        }
        self.collects.set(left - 1);
        Some(turn)
    }

    pub fn try_close(&self) -> bool {
        take(&self.closes)
    }

    /// Whether a step of `kind` could still be done (a cron run does not read the records
    /// of steps it would only defer).
    pub fn could_take(&self, kind: StepKind) -> bool {
        match kind {
            StepKind::Poll | StepKind::Cancel | StepKind::Reconcile | StepKind::Retry => {
                self.calls.get() != Some(0)
            }
            StepKind::Collect => self.collects.get() > 0,
            StepKind::Close => self.closes.get() != Some(0),
            StepKind::Check => true,
        }
    }
}

fn take(left: &Cell<Option<u32>>) -> bool {
    match left.get() {
        None => true,
        Some(0) => false,
        Some(n) => {
            left.set(Some(n - 1));
            true
        }
    }
}
