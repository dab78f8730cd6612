//! The edge-llm Cloudflare Worker (contract §4): chat, tokens, health and batch routes under
//! `/v1`, the demo page from `www/` as static assets, and a cron trigger that moves every
//! open batch forward one step per run, from the state it keeps in Workers KV.
//!
//! The Worker is a thin front end: providers, lint, the batch state machine and the result
//! pages all live in `edge-llm-core`; HTTP to providers goes through the same JavaScript
//! host as the npm package (`edge-llm-js-host`). What is here: routing and auth, request and
//! error JSON, configuration from vars and secrets, the KV layout, and the two batch drivers
//! of this front end (the create route and the cron run).

mod api_error;
mod auth;
mod body;
mod collect;
mod compat;
mod config;
mod cron;
mod input_stream;
mod log;
mod openapi;
mod request_names;
mod routes;
mod store;

use worker::{event, Context, Env, Request, Response, Result, ScheduleContext, ScheduledEvent};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    Ok(routes::handle(req, env, ctx).await)
}

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    cron::run(event.schedule(), env).await;
}
