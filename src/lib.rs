//! The edge-llm Cloudflare Worker (contract §4): chat, tokens, health and batch routes under
//! `/v1`, the demo page from `www/` as static assets, and a cron trigger that moves every
//! open batch forward, from the state it keeps in Workers KV: it decides which batches are due
//! and hands the steps to a queue consumer in this Worker (or, without a queue, does them).
//!
//! The Worker is a thin front end: providers, lint, the batch state machine and the result
//! pages all live in `edge-llm-core`; HTTP to providers goes through the same JavaScript
//! host as the npm package (`edge-llm-js-host`). What is here: routing and auth, request and
//! error JSON, configuration from vars and secrets, the KV layout, and the two batch drivers
//! of this front end (the create route, and the cron run with its queued steps).

mod api_error;
mod auth;
mod body;
mod collect;
mod compat;
mod config;
mod cors;
mod cron;
mod input_stream;
mod log;
mod openapi;
mod queue;
mod request_names;
mod routes;
mod step;
mod store;

use edge_llm_js_host::future_to_promise_eager;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use worker::{event, Context, Env, Request, ScheduleContext, ScheduledEvent};

/// The fetch handler, exported by hand as `#[event(fetch)]` would, but polled eagerly: at
/// once and inside each promise reaction that wakes it, not on a later microtask each time
/// (`edge_llm_js_host::future_to_promise_eager`; issue 10). `routes::handle` never fails.
#[wasm_bindgen]
pub fn fetch(
    req: worker::worker_sys::web_sys::Request,
    env: Env,
    ctx: worker::worker_sys::Context,
) -> js_sys::Promise {
    future_to_promise_eager(async move {
        let response = routes::handle(Request::from(req), env, Context::new(ctx)).await;
        Ok(worker::worker_sys::web_sys::Response::from(response).into())
    })
}

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    cron::run(event.schedule(), env).await;
}

/// The queue consumer (`BATCH_STEPS` and its dead-letter queue; `src/queue/`). Exported by
/// hand as `#[event(queue)]` would: its typed messages do not expose `attempts`, which the
/// retry backoff needs. Never fails: every message is acknowledged or retried on its own.
#[wasm_bindgen]
pub async fn queue(
    batch: worker::worker_sys::MessageBatch,
    env: Env,
    _ctx: worker::worker_sys::Context,
) -> std::result::Result<JsValue, JsValue> {
    queue::consume(batch, env).await;
    Ok(JsValue::UNDEFINED)
}
