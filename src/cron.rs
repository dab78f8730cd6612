//! The cron driver: every run lists the open batches (oldest first) and moves each one that
//! is due one step — a poll, or collecting its results — through the same batch machine and
//! drivers as the npm package's `chatBatch`. A poll that changes nothing writes nothing.

use crate::api_error::ApiError;
use crate::collect::{collect, CollectError};
use crate::config::Config;
use crate::log::{Log, WorkerHost};
use crate::store::{BatchRecord, OpenEntry, Store};
use edge_llm_core::batch::{BatchJob, EndPolicy, Stage};
use edge_llm_core::client::batch::BatchDriver;
use edge_llm_core::client::CallOptions;
use edge_llm_core::host::{Host, Level};
use serde_json::json;
use worker::Env;

/// The cron period: wrangler.toml's `crons = ["* * * * *"]`.
pub const CRON_PERIOD_MS: f64 = 60_000.0;
/// Open batches looked at per run (one KV list call).
const MAX_LISTED: u64 = 1000;
/// Polls per run: one subrequest each, well under the per-invocation limits.
const MAX_POLLS_PER_RUN: u32 = 40;
/// Result collections per run: each streams whole files into KV.
const MAX_COLLECTS_PER_RUN: u32 = 1;
const POLL: CallOptions = CallOptions {
    retry: edge_llm_core::retry::RetryPolicy::NONE,
    timeout_ms: Some(30_000),
};

#[derive(Default)]
struct Summary {
    open: usize,
    due: u32,
    polled: u32,
    written: u32,
    collected: u32,
    deferred: u32,
    failed: u32,
}

pub async fn run(scheduled_time: f64, env: Env) {
    let started = js_sys::Date::now();
    let config = Config::from_env(&env);
    let log = Log::new(config.secrets()).with("step", "cron");
    let mut summary = Summary::default();
    if let Err(e) = run_once(scheduled_time, &env, &config, &log, &mut summary).await {
        log.write(Level::Error, "cron run failed", json!({"error": e.message}));
    }
    log.info(
        "cron run",
        json!({
            "open": summary.open, "due": summary.due, "polled": summary.polled, "written": summary.written,
            "collected": summary.collected, "deferred": summary.deferred, "failed": summary.failed,
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
    let store = Store::new(env, log)?;
    let open = store.list_open(MAX_LISTED).await?;
    summary.open = open.len();
    let ids: Vec<String> = open.iter().map(|e| e.id.clone()).collect();
    let records = store.get_many(&ids).await?;
    // The previous run's scheduled time: polls due since then are due now.
    let since = scheduled_time - CRON_PERIOD_MS;
    let mut due = vec![];
    for (entry, record) in open.iter().zip(records) {
        let now = js_sys::Date::now() + clock_offset_ms;
        let record = match record {
            Some(record) => record,
            None => match recover(&store, config, entry, now, log).await? {
                Some(record) => record,
                None => continue,
            },
        };
        if record.job.is_done() {
            // A run stopped between writing the record and closing the index.
            store.delete_key(&entry.key).await?;
        } else if record.job.poll_due(since, now) {
            due.push(record);
        }
    }
    summary.due = due.len() as u32;
    // Oldest first. When more are due than one run may poll, each run starts further along
    // the list, so under sustained overload every batch still gets its turn — without
    // writing down who was skipped.
    if due.len() > MAX_POLLS_PER_RUN as usize {
        let run_number = (scheduled_time / CRON_PERIOD_MS) as usize;
        let start = run_number.wrapping_mul(MAX_POLLS_PER_RUN as usize) % due.len();
        due.rotate_left(start);
    }
    for mut record in due {
        let now = js_sys::Date::now() + clock_offset_ms;
        let host = WorkerHost::starting_at(log.with("batchId", record.id.clone()), now);
        if let Err(e) = step(&store, config, &host, &mut record, summary).await {
            summary.failed += 1;
            host.log.write(
                Level::Error,
                "batch step failed",
                json!({"error": e.message}),
            );
        }
    }
    Ok(())
}

/// How long a create may take between writing the open index and the record.
const RECORD_GRACE_MS: f64 = 120_000.0;

/// Rebuilds the record of an open batch whose create stopped after the open index was
/// written (the index carries provider, model and size; the ids are already stored).
async fn recover(
    store: &Store,
    config: &Config,
    entry: &OpenEntry,
    now: f64,
    log: &Log,
) -> Result<Option<BatchRecord>, ApiError> {
    let log = log.with("batchId", entry.id.clone());
    let Some(origin) = entry
        .origin
        .clone()
        .filter(|_| now - entry.created_at > RECORD_GRACE_MS)
    else {
        log.write(Level::Warn, "open batch has no record yet", json!({}));
        return Ok(None);
    };
    let api = config.batch_api_for(origin.provider, &origin.model)?;
    let job = BatchJob::resume(
        api.kind(),
        EndPolicy::KeepPartial,
        config.schedule,
        entry.id.clone(),
        entry.created_at,
    );
    let record = BatchRecord {
        id: entry.id.clone(),
        provider: origin.provider,
        model: origin.model,
        created_at: entry.created_at,
        updated_at: now,
        total: origin.total,
        job,
        results: None,
    };
    store.put(&record).await?;
    log.write(
        Level::Warn,
        "recovered the record of a batch whose create stopped early",
        json!({}),
    );
    Ok(Some(record))
}

/// One step for one batch: a poll (and, if that ends it, the collection), or a collection.
async fn step(
    store: &Store,
    config: &Config,
    host: &WorkerHost,
    record: &mut BatchRecord,
    summary: &mut Summary,
) -> Result<(), ApiError> {
    let api = config.batch_api_for(record.provider, &record.model)?;
    if matches!(record.job.stage, Stage::Poll { .. }) {
        if summary.polled >= MAX_POLLS_PER_RUN {
            summary.deferred += 1;
            return Ok(());
        }
        summary.polled += 1;
        let now = host.now_ms();
        record.job.catch_up(now);
        let report = BatchDriver::new(host, &api, POLL)
            .poll(&mut record.job)
            .await;
        if report.changed {
            record.updated_at = now;
            summary.written += u32::from(store.put_unless_behind(record).await?);
        }
    }
    if matches!(record.job.stage, Stage::Collect { .. }) {
        if summary.collected >= MAX_COLLECTS_PER_RUN {
            summary.deferred += 1;
            return Ok(());
        }
        summary.collected += 1;
        // An overlapping run may have stored the results meanwhile: a failed attempt must
        // not put the batch back to collecting after that run closed it (it would never be
        // listed again), so these writes yield to a record that is further along too.
        match collect(store, host, &api, record).await {
            Ok(()) => {
                summary.written += u32::from(store.put_unless_behind(record).await?);
            }
            Err(CollectError::Upstream(e)) => {
                host.log.write(
                    Level::Warn,
                    "collecting results failed",
                    json!({"error": e.to_string()}),
                );
                record.job.on_collect_failed(e);
                record.updated_at = host.now_ms();
                summary.written += u32::from(store.put_unless_behind(record).await?);
            }
            Err(CollectError::Store(e)) => return Err(e),
        }
    }
    if record.job.is_done() {
        store.mark_closed(record).await?;
    }
    Ok(())
}
