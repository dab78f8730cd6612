//! One step for one batch, whatever its record says is due: a poll (and, if that ends it,
//! the collection), a collection, the cancel of a batch kept open past its window, the
//! lookup of a create whose answer was lost, or — for an ended batch — leaving the open
//! index. The unit of work of both drivers: the cron run does steps itself when the Worker
//! has no queue, and the queue consumer does one per message (`crate::queue`).
//!
//! Every step reads the record and acts on it, not on why it was woken: a message that
//! comes twice, late, or after another step finds nothing due and does nothing (a poll
//! that comes twice asks upstream twice and writes nothing). The record is written when the
//! step changed it — after creation only steps write records — and the index entry with it.

mod budget;
mod message;
mod reconcile;

pub use budget::{bump, Budget, CRON_CALLS};
pub use message::{StepMessage, MESSAGE_FORMAT};

use crate::api_error::ApiError;
use crate::collect::{collect, CollectError};
use crate::config::Config;
use crate::log::{Log, WorkerHost};
use crate::store::{
    keys, BatchRecord, OpenMeta, Read, StepFailure, StepKind, Store, CLOSE_AFTER_MS,
};
use edge_llm_core::batch::{Action, Stage};
use edge_llm_core::client::batch::BatchDriver;
use edge_llm_core::client::CallOptions;
use edge_llm_core::host::{Host, Level};
use edge_llm_core::retry::RetryPolicy;
use serde_json::json;

/// An index entry whose record never shows is dropped after this (its create stopped
/// before it sent anything, or its retention ended): KV may lag a minute, never an hour.
const ORPHAN_AFTER_MS: f64 = 60.0 * 60_000.0;
/// A collection that started is not asked for again before this (a queue consumer's wall
/// time is 15 minutes at most); if it died, the next run after it asks again.
const COLLECT_LEASE_MS: f64 = 15.0 * 60_000.0;

/// What a step works with.
pub struct Cx<'a> {
    pub store: &'a Store,
    pub config: &'a Config,
    /// With the batch's id on every line.
    pub log: &'a Log,
}

/// The batch a step is for, as the open index names it.
pub struct Target<'a> {
    pub id: &'a str,
    pub created_at: f64,
    /// What the index entry said (`None`: nothing readable), so the step can put it right.
    pub index: Option<&'a OpenMeta>,
}

/// What the caller still has to do.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    Done,
    /// The batch is ready to collect but this delivery's collection is taken: queue a
    /// collect step for it. The index entry, as written, already says one is coming.
    CollectLater(OpenMeta),
}

/// Polls, cancels and lookups: once each (the machine retries on its schedule), within the
/// configured upstream timeout, and never longer than 30 s.
fn call(config: &Config) -> CallOptions {
    CallOptions {
        retry: RetryPolicy::NONE,
        timeout_ms: Some(config.call.timeout_ms.unwrap_or(30_000).min(30_000)),
    }
}

/// Does what is due for `target` in `(since, now]`, from `read`, its record as just read.
pub async fn run(
    cx: &Cx<'_>,
    target: &Target<'_>,
    read: Read,
    since: f64,
    now: f64,
    budget: &Budget,
) -> Result<Outcome, ApiError> {
    let tally = &budget.tally;
    let mut record = match read {
        Err(unreadable) => {
            bump(&tally.unreadable);
            let error = unreadable.to_string();
            cx.log
                .write(Level::Error, "record set aside", json!({ "error": error }));
            return Ok(Outcome::Done);
        }
        Ok(None) => return orphan(cx, target, now, budget).await,
        Ok(Some(record)) => record,
    };
    if record.job.is_done() {
        return close(cx, target, &record, now, budget).await;
    }
    // A provider whose key was removed: this batch waits (and says why); the others go on.
    let api = cx.config.batch_api_for(record.provider, &record.model)?;
    let host = WorkerHost::starting_at(cx.log.clone(), now);
    let driver = BatchDriver::new(&host, &api, call(cx.config));
    // What KV holds while nothing is written: a poll moves the job along its grid in memory
    // even when it changes nothing a reader sees, and that is not stored.
    let stored = record.clone();
    // A step that works ends a streak of failed ones.
    let mut changed = record.step_failure.take().is_some();
    match record.job.due(since, now) {
        None | Some(Action::Collect { .. }) => {}
        Some(_) if !budget.try_call() => {
            bump(&tally.deferred);
            return Ok(Outcome::Done);
        }
        Some(Action::Poll { .. }) => {
            bump(&tally.polled);
            changed |= driver.poll(&mut record.job).await.changed;
        }
        Some(Action::Cancel { .. }) => {
            bump(&tally.polled);
            changed |= driver.cancel_past_window(&mut record.job).await.changed;
        }
        Some(Action::Reconcile { .. }) => {
            bump(&tally.polled);
            bump(&tally.reconciled);
            reconcile::run(cx.store, &driver, &mut record, host.now_ms()).await;
            changed = true;
        }
        Some(other) => {
            let step = format!("{other:?}");
            host.log
                .write(Level::Warn, "unexpected step", json!({ "step": step }));
            return Ok(Outcome::Done);
        }
    }
    let ready = matches!(record.job.stage(), Stage::Collect { .. })
        && record.job.due(since, host.now_ms()).is_some();
    let turn = if ready {
        budget.collect_turn().await
    } else {
        None
    };
    let collect_now = turn.is_some();
    let later = ready && !collect_now && budget.queues_collections;
    if ready && !collect_now && !later {
        bump(&tally.deferred);
    }
    // A collection queued by an earlier step keeps that step's lease (the entry is right).
    let leased = target
        .index
        .filter(|i| i.step == Some(StepKind::Collect))
        .and_then(|i| i.wake?.at)
        .filter(|&at| at > now);
    let lease = (collect_now || later).then(|| leased.unwrap_or(host.now_ms() + COLLECT_LEASE_MS));
    let index = if changed {
        record.updated_at = host.now_ms();
        let meta = cx.store.save(&record, lease, host.now_ms()).await?;
        bump(&tally.written);
        meta
    } else {
        put_index_right(cx, target, &stored, lease, now).await?
    };
    if later {
        return Ok(Outcome::CollectLater(index));
    }
    if collect_now {
        bump(&tally.collected);
        match collect(cx.store, &host, &api, &mut record).await {
            Ok(()) => {}
            Err(CollectError::Upstream(e)) => {
                host.log.write(
                    Level::Warn,
                    "collecting results failed; trying again later",
                    json!({"error": e.to_string()}),
                );
                record.job.on_collect_failed(host.now_ms(), e);
            }
            Err(CollectError::Store(e)) => return Err(e),
        }
        record.updated_at = host.now_ms();
        cx.store.save(&record, None, host.now_ms()).await?;
        bump(&tally.written);
        drop(turn);
    }
    Ok(Outcome::Done)
}

/// Writes the index entry when it does not say what the record does (an entry of an older
/// Worker, one whose write failed, a collection starting): the entry is only ever a hint.
/// What the step was woken with may be a duplicate's stale copy, so the entry is read first
/// (a read is a tenth of a write's price).
async fn put_index_right(
    cx: &Cx<'_>,
    target: &Target<'_>,
    record: &BatchRecord,
    lease: Option<f64>,
    now: f64,
) -> Result<OpenMeta, ApiError> {
    let meta = OpenMeta::of(record, lease);
    if target.index != Some(&meta) && cx.store.open_meta(record).await?.as_ref() != Some(&meta) {
        cx.store.mark_open(record, &meta, now).await?;
    }
    Ok(meta)
}

/// An ended batch leaves the open index half an hour after it ended.
async fn close(
    cx: &Cx<'_>,
    target: &Target<'_>,
    record: &BatchRecord,
    now: f64,
    budget: &Budget,
) -> Result<Outcome, ApiError> {
    if now - record.updated_at < CLOSE_AFTER_MS {
        // An entry of an older Worker learns when to close; any other wakes a step that comes
        // back here, and closes it in time (a duplicate message's stale copy is no reason to
        // write).
        if target.index.is_none() {
            put_index_right(cx, target, record, None, now).await?;
        }
    } else if budget.try_close() {
        cx.store
            .delete(&keys::open(target.created_at, target.id))
            .await?;
        bump(&budget.tally.closed);
    } else {
        bump(&budget.tally.deferred);
    }
    Ok(Outcome::Done)
}

/// An index entry without a record: KV lag for a moment, otherwise a create that stopped
/// before it sent anything, or a batch past its retention. Dropped once it is clearly so.
async fn orphan(
    cx: &Cx<'_>,
    target: &Target<'_>,
    now: f64,
    budget: &Budget,
) -> Result<Outcome, ApiError> {
    let key = keys::open(target.created_at, target.id);
    if now - target.created_at >= ORPHAN_AFTER_MS {
        cx.log.write(
            Level::Warn,
            "dropping an open-index entry without a record",
            json!({ "key": key }),
        );
        cx.store.delete(&key).await?;
        bump(&budget.tally.dropped);
    } else {
        cx.log
            .write(Level::Info, "open batch has no record yet", json!({}));
    }
    Ok(Outcome::Done)
}

/// Notes on the record that a step failed (or, `set_aside`, that the queue gave up on it),
/// so the status shows it as `lastError`. Best effort: the failure may be KV's own.
pub async fn note_failure(
    store: &Store,
    id: &str,
    step: StepKind,
    message: &str,
    now: f64,
    retry_at_ms: f64,
    set_aside: bool,
) -> Result<(), ApiError> {
    let Ok(Some(mut record)) = store.get(id).await? else {
        return Ok(());
    };
    let step = serde_json::to_value(step)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let mut failure = match (&record.step_failure, set_aside) {
        // The dead-letter queue's copy of the last failure: keep its message.
        (Some(last), true) => last.clone(),
        (last, _) => {
            StepFailure::after(last.as_ref(), &step, message.to_string(), now, retry_at_ms)
        }
    };
    failure.set_aside |= set_aside;
    failure.retry_at_ms = retry_at_ms;
    record.step_failure = Some(failure);
    store.put(&record, now).await
}
