//! One step for one batch, whatever the machine says is due: a poll (and, if that ends it,
//! the collection), a collection, the cancel of a batch kept open past its window, or the
//! lookup of a create whose answer was lost. The record is written when the step changed
//! it — the cron is the only writer of a record after its create.

use super::{reconcile, Summary, MAX_CALLS_PER_RUN, MAX_COLLECTS_PER_RUN};
use crate::api_error::ApiError;
use crate::collect::{collect, CollectError};
use crate::config::Config;
use crate::log::{Log, WorkerHost};
use crate::store::{BatchRecord, Store};
use edge_llm_core::batch::{Action, Stage};
use edge_llm_core::client::batch::BatchDriver;
use edge_llm_core::client::CallOptions;
use edge_llm_core::host::{Host, Level};
use edge_llm_core::retry::RetryPolicy;
use serde_json::json;

/// Polls, cancels and lookups: once each (the machine retries on its schedule), within the
/// configured upstream timeout, and never longer than 30 s.
fn call(config: &Config) -> CallOptions {
    CallOptions {
        retry: RetryPolicy::NONE,
        timeout_ms: Some(config.call.timeout_ms.unwrap_or(30_000).min(30_000)),
    }
}

pub async fn run(
    store: &Store,
    config: &Config,
    log: &Log,
    mut record: BatchRecord,
    since: f64,
    now: f64,
    summary: &mut Summary,
) -> Result<(), ApiError> {
    // A provider whose key was removed: this batch waits (and says why); the others go on.
    let api = config.batch_api_for(record.provider, &record.model)?;
    let host = WorkerHost::starting_at(log.clone(), now);
    let driver = BatchDriver::new(&host, &api, call(config));
    let mut changed = false;
    match record.job.due(since, now) {
        None => return Ok(()),
        Some(Action::Collect { .. }) => {}
        Some(_) if summary.polled >= MAX_CALLS_PER_RUN => {
            summary.deferred += 1;
            return Ok(());
        }
        Some(Action::Poll { .. }) => {
            summary.polled += 1;
            changed = driver.poll(&mut record.job).await.changed;
        }
        Some(Action::Cancel { .. }) => {
            summary.polled += 1;
            changed = driver.cancel_past_window(&mut record.job).await.changed;
        }
        Some(Action::Reconcile { .. }) => {
            summary.polled += 1;
            summary.reconciled += 1;
            reconcile::run(store, &driver, &mut record, host.now_ms()).await;
            changed = true;
        }
        Some(other) => {
            host.log.write(
                Level::Warn,
                "unexpected step",
                json!({"step": format!("{other:?}")}),
            );
            return Ok(());
        }
    }
    if changed {
        record.updated_at = host.now_ms();
        store.put(&record, host.now_ms()).await?;
        summary.written += 1;
    }
    if matches!(record.job.stage(), Stage::Collect { .. })
        && record.job.due(since, host.now_ms()).is_some()
    {
        if summary.collected >= MAX_COLLECTS_PER_RUN {
            summary.deferred += 1;
            return Ok(());
        }
        summary.collected += 1;
        match collect(store, &host, &api, &mut record).await {
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
        store.put(&record, host.now_ms()).await?;
        summary.written += 1;
    }
    Ok(())
}
