//! The cron driver: every run lists the open batches (oldest first) and moves each one
//! that is due one step — a poll, a collection, a cancel past the window, or the lookup of a
//! create whose answer was lost — through the same batch machine and drivers as the npm
//! package's `chatBatch`. A poll that changes nothing writes nothing.
//!
//! One bad batch never stops the others (contract §4.1): a record that cannot be read, a
//! provider whose key was removed, an index entry whose record is gone — each is logged,
//! counted, and set aside or dropped on its own, and the run goes on.

mod reconcile;
mod step;

use crate::api_error::ApiError;
use crate::config::Config;
use crate::log::Log;
use crate::store::{OpenEntry, Store};
use edge_llm_core::host::Level;
use serde_json::json;
use worker::Env;

/// The cron period: wrangler.toml's `crons = ["* * * * *"]`.
pub const CRON_PERIOD_MS: f64 = 60_000.0;
/// Open batches looked at per run (ten KV list calls).
const MAX_LISTED: usize = 10_000;
/// Upstream calls per run (polls, cancels, lookups): one subrequest each, well under the
/// per-invocation limits.
pub const MAX_CALLS_PER_RUN: u32 = 40;
/// Result collections per run: each streams whole files into KV.
pub const MAX_COLLECTS_PER_RUN: u32 = 1;
/// An ended batch leaves the open index this long after it ended: longer than any run
/// lives, so a slower overlapping run that writes an older state back is undone by a
/// later poll before the batch stops being listed.
const CLOSE_AFTER_MS: f64 = 30.0 * 60_000.0;
/// An index entry whose record never shows is dropped after this (its create stopped
/// before anything was sent, or its retention ended): KV may lag a minute, never an hour.
const ORPHAN_AFTER_MS: f64 = 60.0 * 60_000.0;

/// What a run did, logged as one line.
#[derive(Default)]
pub struct Summary {
    pub open: usize,
    pub due: u32,
    pub polled: u32,
    pub written: u32,
    pub collected: u32,
    pub reconciled: u32,
    pub deferred: u32,
    pub closed: u32,
    pub dropped: u32,
    pub unreadable: u32,
    pub failed: u32,
}

pub async fn run(scheduled_time: f64, env: Env) {
    let started = js_sys::Date::now();
    let config = Config::from_env(&env);
    let log = Log::new(config.secrets()).with("step", "cron");
    let mut s = Summary::default();
    if let Err(e) = run_once(scheduled_time, &env, &config, &log, &mut s).await {
        log.write(Level::Error, "cron run failed", json!({"error": e.message}));
    }
    log.info(
        "cron run",
        json!({
            "open": s.open, "due": s.due, "polled": s.polled, "written": s.written,
            "collected": s.collected, "reconciled": s.reconciled, "deferred": s.deferred,
            "closed": s.closed, "dropped": s.dropped, "unreadable": s.unreadable, "failed": s.failed,
            "durationMs": js_sys::Date::now() - started, "wasmMemoryBytes": crate::log::wasm_memory_bytes(),
        }),
    );
}

async fn run_once(
    scheduled_time: f64,
    env: &Env,
    config: &Config,
    log: &Log,
    summary: &mut Summary,
) -> Result<(), ApiError> {
    // The run's clock starts at its scheduled time, so consecutive runs' windows
    // `(previous run, this run]` tile exactly, and tests can move time forward.
    let clock_offset_ms = scheduled_time - js_sys::Date::now();
    let now = || js_sys::Date::now() + clock_offset_ms;
    let store = Store::new(env)?;
    let (open, strays) = store.list_open(MAX_LISTED).await?;
    for key in strays {
        log.write(
            Level::Warn,
            "dropping a malformed open-index key",
            json!({"key": key}),
        );
        summary.dropped += 1;
        let _ = store.delete(&key).await;
    }
    summary.open = open.len();
    let ids: Vec<String> = open.iter().map(|e| e.id.clone()).collect();
    let reads = store.get_many(&ids).await;
    // The previous run's scheduled time: steps due since then are due now.
    let since = scheduled_time - CRON_PERIOD_MS;
    let mut due = vec![];
    for (entry, read) in open.into_iter().zip(reads) {
        let log = log.with("batchId", entry.id.clone());
        match read {
            Err(e) => {
                summary.unreadable += 1;
                log.write(
                    Level::Warn,
                    "record could not be read; trying again next run",
                    json!({"error": e.message}),
                );
            }
            Ok(Err(unreadable)) => {
                summary.unreadable += 1;
                log.write(
                    Level::Error,
                    "record set aside",
                    json!({"error": unreadable.to_string()}),
                );
            }
            Ok(Ok(None)) => orphan(&store, &entry, now(), &log, summary).await,
            Ok(Ok(Some(record))) if record.job.is_done() => {
                if now() - record.updated_at >= CLOSE_AFTER_MS {
                    summary.closed += u32::from(store.delete(&entry.key).await.is_ok());
                }
            }
            Ok(Ok(Some(record))) => {
                if record.job.due(since, now()).is_some() {
                    due.push(record);
                }
            }
        }
    }
    summary.due = due.len() as u32;
    // Oldest first. When more are due than one run may serve, each run starts further along
    // the list, so under sustained overload every batch still gets its turn — without
    // writing down who was skipped.
    if due.len() > MAX_CALLS_PER_RUN as usize {
        let run_number = (scheduled_time / CRON_PERIOD_MS) as usize;
        let start = run_number.wrapping_mul(MAX_CALLS_PER_RUN as usize) % due.len();
        due.rotate_left(start);
    }
    for record in due {
        let log = log.with("batchId", record.id.clone());
        if let Err(e) = step::run(&store, config, &log, record, since, now(), summary).await {
            summary.failed += 1;
            log.write(
                Level::Error,
                "batch step failed",
                json!({"error": e.message}),
            );
        }
    }
    Ok(())
}

/// An index entry without a record: KV lag for a moment, otherwise a create that stopped
/// before it sent anything, or a batch past its retention. Dropped once it is clearly so.
async fn orphan(store: &Store, entry: &OpenEntry, now: f64, log: &Log, summary: &mut Summary) {
    let expired = entry
        .expiration
        .is_some_and(|at| (at as f64) * 1000.0 <= now);
    if expired || now - entry.created_at >= ORPHAN_AFTER_MS {
        log.write(
            Level::Warn,
            "dropping an open-index entry without a record",
            json!({"key": entry.key}),
        );
        summary.dropped += u32::from(store.delete(&entry.key).await.is_ok());
    } else {
        log.write(Level::Info, "open batch has no record yet", json!({}));
    }
}
