//! The steps of a cron run that has no queue: done by the run itself, one after another,
//! within what one invocation may do — 40 upstream calls, one collection, 200 index
//! entries closed (see `crate::step::budget`); the rest wait for the next run. Records are
//! read 100 to a KV call, and only those of steps the run can still take.

use crate::api_error::ApiError;
use crate::config::Config;
use crate::log::Log;
use crate::step::{self, bump, Budget, Cx, Target, CRON_CALLS};
use crate::store::{OpenEntry, StepKind, Store};
use edge_llm_core::host::Level;
use serde_json::json;

/// Records read per KV call (its bulk limit).
const READ_CHUNK: usize = 100;

#[allow(clippy::too_many_arguments)]
pub async fn run(
    store: &Store,
    config: &Config,
    log: &Log,
    mut due: Vec<(OpenEntry, StepKind)>,
    since: f64,
    now: impl Fn() -> f64,
    scheduled_time: f64,
    budget: &Budget,
) -> Result<(), ApiError> {
    let tally = &budget.tally;
    // Oldest first. When more are due than one run may serve, each run starts further along
    // the list, so under sustained overload every batch still gets its turn — without
    // writing down who was skipped.
    if due.len() > CRON_CALLS as usize {
        let run_number = (scheduled_time / super::CRON_PERIOD_MS) as usize;
        let start = run_number.wrapping_mul(CRON_CALLS as usize) % due.len();
        due.rotate_left(start);
    }
    let mut due = due.into_iter().peekable();
    while due.peek().is_some() {
        let mut chunk = vec![];
        while chunk.len() < READ_CHUNK {
            let Some((entry, kind)) = due.next() else {
                break;
            };
            if budget.could_take(kind) {
                chunk.push((entry, kind));
            } else {
                bump(&tally.deferred);
            }
        }
        let ids: Vec<String> = chunk.iter().map(|(e, _)| e.id.clone()).collect();
        let reads = store.get_many(&ids).await;
        for ((entry, kind), read) in chunk.iter().zip(reads) {
            let log = log.with("batchId", entry.id.clone());
            let read = match read {
                Ok(read) => read,
                Err(e) => {
                    bump(&tally.unreadable);
                    log.write(
                        Level::Warn,
                        "record could not be read; trying again next run",
                        json!({"error": e.message}),
                    );
                    continue;
                }
            };
            // How long after its grid point a poll runs (at most the run's minute).
            let grid = entry.meta.as_ref().and_then(|m| m.wake?.grid);
            let late = grid.map(|g| now() - g.next_after(since.max(g.anchor_ms)));
            let polled = tally.polled.get();
            let cx = Cx {
                store,
                config,
                log: &log,
            };
            let target = Target {
                id: &entry.id,
                created_at: entry.created_at,
                index: entry.meta.as_ref(),
            };
            // A run has no later delivery to hand a collection to: it waits for the next run.
            let done = step::run(&cx, &target, read, since, now(), budget).await;
            if let (Some(late), true) = (late, tally.polled.get() > polled) {
                tally.late(late);
            }
            if let Err(e) = done {
                bump(&tally.failed);
                log.write(
                    Level::Error,
                    "batch step failed",
                    json!({"error": e.message}),
                );
                // Shown as `lastError` until a step works; tried again when next due.
                let (step, at) = (*kind, now());
                let next = at + super::CRON_PERIOD_MS;
                let _ =
                    step::note_failure(store, &entry.id, step, &e.message, at, next, false).await;
            }
        }
    }
    Ok(())
}
