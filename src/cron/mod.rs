//! The cron run decides; steps do the work. Every run lists the whole open index (1,000
//! entries a call, oldest first) and reads from each entry's metadata whether its batch fell
//! due since the previous run — without reading the records. Each due batch gets one step
//! (`crate::step`): a poll, a collection, a cancel past the window, a lost create's lookup,
//! or leaving the index once ended.
//!
//! With a `BATCH_STEPS` queue binding the run only sends the steps, one message each, and
//! the queue consumer in this Worker does them, as many at once as the platform runs
//! consumers (`crate::queue`). Without one — a plan without Queues, or a user who does not
//! want them — the run does the steps itself, within what one invocation may do
//! ([`inline`]): the Worker falls back on its own, with nothing to configure.
//!
//! One bad batch never stops the others (contract §4.1): a record that cannot be read, a
//! provider whose key was removed, an index entry whose record is gone — each is logged,
//! counted, and set aside or dropped on its own, and the run goes on.

mod inline;

use crate::api_error::ApiError;
use crate::config::Config;
use crate::log::Log;
use crate::queue;
use crate::step::{Budget, StepMessage};
use crate::store::{OpenEntry, StepKind, Store};
use edge_llm_core::host::Level;
use serde_json::json;
use worker::Env;

/// The cron period: wrangler.toml's `crons = ["* * * * *"]`.
pub const CRON_PERIOD_MS: f64 = 60_000.0;

/// What a run found and did, logged as one line.
#[derive(Default)]
struct Summary {
    open: usize,
    due: usize,
    enqueued: usize,
    dropped: u32,
    failed: usize,
}

pub async fn run(scheduled_time: f64, env: Env) {
    let started = js_sys::Date::now();
    let config = Config::of(&env);
    let log = Log::new(config.secrets()).with("step", "cron");
    let mut s = Summary::default();
    let budget = Budget::cron();
    let queue = queue::binding(&env);
    let run = run_once(
        scheduled_time,
        &env,
        &config,
        &log,
        &mut s,
        &budget,
        queue.as_ref(),
    );
    if let Err(e) = run.await {
        log.write(Level::Error, "cron run failed", json!({"error": e.message}));
    }
    let mut line = json!({
        "mode": if queue.is_some() { "queue" } else { "inline" },
        "open": s.open, "due": s.due, "enqueued": s.enqueued,
        "durationMs": js_sys::Date::now() - started, "wasmMemoryBytes": crate::log::wasm_memory_bytes(),
    });
    // The steps' own counts, when the run did them (queued steps count in the consumer's lines).
    if queue.is_none() {
        let tally = budget.tally.json();
        for (k, v) in tally.as_object().into_iter().flatten() {
            line[k] = v.clone();
        }
    }
    line["dropped"] = json!(budget.tally.dropped.get() + s.dropped);
    line["failed"] = json!(budget.tally.failed.get() as usize + s.failed);
    log.info("cron run", line);
}

async fn run_once(
    scheduled_time: f64,
    env: &Env,
    config: &Config,
    log: &Log,
    summary: &mut Summary,
    budget: &Budget,
    queue: Option<&worker::Queue>,
) -> Result<(), ApiError> {
    // The run's clock starts at its scheduled time, so consecutive runs' windows
    // `(previous run, this run]` tile exactly, and tests can move time forward.
    let clock_offset_ms = scheduled_time - js_sys::Date::now();
    let now = || js_sys::Date::now() + clock_offset_ms;
    let store = Store::new(env)?;
    // The previous run's scheduled time: steps due since then are due now.
    let since = scheduled_time - CRON_PERIOD_MS;
    let at = now();
    // Page by page: with a queue each page's steps go out before the next page is listed,
    // so a run holds one page, however many batches are open.
    let mut inline_due = vec![];
    let mut cursor = None;
    loop {
        let page = store.open_page(cursor.take()).await?;
        for key in page.strays {
            log.write(
                Level::Warn,
                "dropping a malformed open-index key",
                json!({"key": key}),
            );
            summary.dropped += u32::from(store.delete(&key).await.is_ok());
        }
        summary.open += page.entries.len();
        let due: Vec<(OpenEntry, StepKind)> = page
            .entries
            .into_iter()
            .filter_map(|entry| {
                let step = match &entry.meta {
                    Some(meta) => meta.due(since, at)?,
                    None => StepKind::Check,
                };
                Some((entry, step))
            })
            .collect();
        summary.due += due.len();
        match queue {
            Some(queue) => send(queue, due, since, clock_offset_ms, log, summary).await,
            None => inline_due.extend(due),
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    if queue.is_none() {
        inline::run(
            &store,
            config,
            log,
            inline_due,
            since,
            now,
            scheduled_time,
            budget,
        )
        .await?;
    }
    Ok(())
}

/// One message per step; a chunk that cannot be sent is decided again next run (a grid
/// point missed now is due again at the next one).
async fn send(
    queue: &worker::Queue,
    due: Vec<(OpenEntry, StepKind)>,
    since: f64,
    clock_offset_ms: f64,
    log: &Log,
    summary: &mut Summary,
) {
    let messages: Vec<StepMessage> = due
        .into_iter()
        .map(|(entry, step)| StepMessage {
            v: crate::step::MESSAGE_FORMAT,
            batch_id: entry.id,
            created_at: entry.created_at,
            step,
            since,
            clock_offset_ms,
            index: entry.meta,
        })
        .collect();
    let n = messages.len();
    let (sent, errors) = queue::enqueue(queue, messages).await;
    summary.enqueued += sent;
    summary.failed += n - sent;
    if let Some(error) = errors.first() {
        log.write(
            Level::Error,
            "sending batch steps failed",
            json!({"error": error, "unsent": n - sent}),
        );
    }
}
