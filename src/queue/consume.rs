//! The queue consumer: one delivery of `BATCH_STEPS` messages (or of its dead-letter queue).
//! Each message is acknowledged or retried on its own, so one failing step never holds the
//! others back, and the handler itself never fails.

use super::{binding, is_dead_letter_queue, retry_delay_seconds};
use crate::config::Config;
use crate::cron::CRON_PERIOD_MS;
use crate::log::Log;
use crate::step::{self, bump, Budget, Cx, Outcome, StepMessage, Target};
use crate::store::{StepKind, Store};
use edge_llm_core::host::Level;
use futures_util::stream::{self, StreamExt};
use serde_json::json;
use std::cell::Cell;
use std::collections::HashMap;
use wasm_bindgen::{JsCast, JsValue};
use worker::worker_sys::{Message as RawMessage, MessageBatch as RawBatch};
use worker::{Env, MessageBuilder};

/// Steps run at once in one delivery: a Worker has six connections open at a time, and a
/// step mostly waits on one (KV or upstream).
const CONCURRENCY: usize = 6;

struct Delivered {
    raw: RawMessage,
    /// Deliveries so far, this one included.
    attempts: u32,
    body: Option<StepMessage>,
}

pub async fn consume(batch: RawBatch, env: Env) {
    let started = js_sys::Date::now();
    let config = Config::of(&env);
    let log = Log::new(config.secrets()).with("run", "queue");
    let name: String = batch.queue().map(String::from).unwrap_or_default();
    let delivered = read(&batch);
    let store = match Store::new(&env) {
        Ok(store) => store,
        Err(e) => {
            log.write(
                Level::Error,
                "queue delivery failed",
                json!({"error": e.message}),
            );
            for d in &delivered {
                retry(d, retry_delay_seconds(&env, d.attempts));
            }
            return;
        }
    };
    if is_dead_letter_queue(&name) {
        return dead_letters(&env, &store, &log, delivered).await;
    }
    let budget = Budget::delivery(started);
    let counts = Counts::default();
    steps(&env, &store, &config, &log, delivered, &budget, &counts).await;
    log.info(
        "queue delivery",
        json!({
            "queue": name, "messages": counts.messages.get(), "duplicates": counts.duplicates.get(),
            "undecodable": counts.undecodable.get(), "retried": counts.retried.get(),
            "collectionsQueued": counts.queued.get(), "steps": budget.tally.json(),
            "durationMs": js_sys::Date::now() - started, "wasmMemoryBytes": crate::log::wasm_memory_bytes(),
        }),
    );
}

#[derive(Default)]
struct Counts {
    messages: Cell<u32>,
    duplicates: Cell<u32>,
    undecodable: Cell<u32>,
    retried: Cell<u32>,
    queued: Cell<u32>,
}

async fn steps(
    env: &Env,
    store: &Store,
    config: &Config,
    log: &Log,
    delivered: Vec<Delivered>,
    budget: &Budget,
    counts: &Counts,
) {
    // One step per batch per delivery: a duplicate (sent twice, or two runs' steps for one
    // batch) is acknowledged at once, and the step kept covers both windows.
    let mut chosen: Vec<(Delivered, StepMessage)> = vec![];
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for d in delivered {
        counts.messages.set(counts.messages.get() + 1);
        let Some(message) = d.body.clone() else {
            bump(&counts.undecodable);
            log.write(
                Level::Warn,
                "a step message this Worker cannot read was dropped",
                json!({}),
            );
            ack(&d);
            continue;
        };
        match by_id.get(&message.batch_id) {
            Some(&i) => {
                bump(&counts.duplicates);
                let kept = &mut chosen[i].1;
                kept.since = kept.since.min(message.since);
                ack(&d);
            }
            None => {
                by_id.insert(message.batch_id.clone(), chosen.len());
                chosen.push((d, message));
            }
        }
    }
    let ids: Vec<String> = chosen.iter().map(|(_, m)| m.batch_id.clone()).collect();
    let reads = store.get_many(&ids).await;
    let work = chosen.into_iter().zip(reads);
    stream::iter(work)
        .for_each_concurrent(CONCURRENCY, |((d, m), read)| async move {
            let now = js_sys::Date::now() + m.clock_offset_ms;
            let log = log.with("batchId", m.batch_id.clone()).with("step", kind(m.step));
            if m.step == StepKind::Poll {
                // How long after its grid point this poll runs: the cron's minute plus the queue.
                if let Some(grid) = m.index.as_ref().and_then(|i| i.wake).and_then(|w| w.grid) {
                    budget.tally.late(now - grid.next_after(m.since.max(grid.anchor_ms)));
                }
            }
            let cx = Cx { store, config, log: &log };
            let target = Target { id: &m.batch_id, created_at: m.created_at, index: m.index.as_ref() };
            let done = match read {
                Ok(read) => step::run(&cx, &target, read, m.since, now, budget).await,
                Err(e) => Err(e),
            };
            match done {
                Ok(Outcome::Done) => ack(&d),
                Ok(Outcome::CollectLater(index)) => {
                    let next = StepMessage { step: StepKind::Collect, index: Some(index), ..m.clone() };
                    let sent = match binding(env) {
                        Some(queue) => queue.send(MessageBuilder::new(next).build()).await.is_ok(),
                        None => false,
                    };
                    if sent {
                        bump(&counts.queued);
                        ack(&d);
                    } else {
                        bump(&counts.retried);
                        retry(&d, 0);
                    }
                }
                Err(e) => {
                    bump(&budget.tally.failed);
                    bump(&counts.retried);
                    let delay = retry_delay_seconds(env, d.attempts);
                    log.write(
                        Level::Warn,
                        "batch step failed; the queue tries it again",
                        json!({"error": e.message, "attempts": d.attempts, "retryInSeconds": delay}),
                    );
                    let retry_at = now + f64::from(delay) * 1000.0;
                    let noted = step::note_failure(store, &m.batch_id, m.step, &e.message, now, retry_at, false).await;
                    if let Err(e) = noted {
                        log.write(Level::Warn, "the failure could not be noted on the record", json!({"error": e.message}));
                    }
                    retry(&d, delay);
                }
            }
        })
        .await;
}

/// Messages the queue gave up on: logged as errors and noted on the record (`lastError`).
/// The batch's next due step is enqueued as usual, so nothing waits on these.
async fn dead_letters(env: &Env, store: &Store, log: &Log, delivered: Vec<Delivered>) {
    for d in delivered {
        let Some(m) = d.body.as_ref() else {
            ack(&d);
            continue;
        };
        let now = js_sys::Date::now() + m.clock_offset_ms;
        let log = log
            .with("batchId", m.batch_id.clone())
            .with("step", kind(m.step));
        log.write(
            Level::Error,
            "batch step set aside after the queue's retries (dead-letter queue)",
            json!({}),
        );
        // The failures' own messages are on the record already, unless KV was what failed.
        let message = "it kept failing (the Worker's logs say why)";
        match step::note_failure(
            store,
            &m.batch_id,
            m.step,
            message,
            now,
            now + CRON_PERIOD_MS,
            true,
        )
        .await
        {
            Ok(()) => ack(&d),
            Err(e) => {
                log.write(
                    Level::Warn,
                    "the set-aside step could not be noted on the record",
                    json!({"error": e.message}),
                );
                retry(&d, retry_delay_seconds(env, d.attempts));
            }
        }
    }
}

fn kind(step: StepKind) -> String {
    serde_json::to_value(step)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The delivery's messages, with their attempt counts (which `worker`'s typed messages do
/// not expose) and bodies read as this Worker's steps where they are.
fn read(batch: &RawBatch) -> Vec<Delivered> {
    let Ok(messages) = batch.messages() else {
        return vec![];
    };
    messages
        .iter()
        .map(|value| {
            let attempts = js_sys::Reflect::get(&value, &JsValue::from_str("attempts"))
                .ok()
                .and_then(|a| a.as_f64())
                .map_or(1, |a| a.max(1.0) as u32);
            let raw: RawMessage = value.unchecked_into();
            let body = raw.body().ok().and_then(|b| match b.as_string() {
                Some(text) => Some(text),
                None => js_sys::JSON::stringify(&b).ok().map(String::from),
            });
            Delivered {
                raw,
                attempts,
                body: body.as_deref().and_then(StepMessage::decode),
            }
        })
        .collect()
}

fn ack(d: &Delivered) {
    let _ = d.raw.ack();
}

fn retry(d: &Delivered, delay_seconds: u32) {
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(
        &options,
        &JsValue::from_str("delaySeconds"),
        &JsValue::from_f64(f64::from(delay_seconds)),
    );
    let _ = d.raw.retry(options.into());
}
