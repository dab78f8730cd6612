//! `POST /v1/batches`: reads the body as a stream, lints every request, and creates the
//! batch upstream so that no billed batch is ever left without a record (contract §4.1):
//! everything that reaches KV is checked before anything is sent, the record is written as
//! an *intent* before the upstream call, and a create whose answer is lost is found later
//! by the cron ([`crate::cron`]'s reconcile step). A one-request batch is answered by the
//! sync call instead and stored completed at once.

mod streamed;
mod sync;

use super::{reply, Ctx};
use crate::api_error::ApiError;
use crate::body::{declared_length, parse_at, MIB};
use crate::input_stream::{BodyFeed, Choice};
use crate::log::WorkerHost;
use crate::store::{BatchRecord, Store};
use edge_llm_core::batch::request_body::BodyEvent;
use edge_llm_core::lint::lint_batch;
use edge_llm_core::message::BatchChatRequest;
use serde_json::json;
use std::collections::VecDeque;
use worker::{Request, Response};

/// The largest batch body (contract §4).
const MAX_BODY_BYTES: usize = 100 * MIB;
/// Requests read before anything is sent: a body that ends within this is known whole (its
/// `provider`/`model` may come anywhere, a single request takes the sync path); a longer
/// one is streamed upstream from here on.
pub const READ_AHEAD_BYTES: usize = 8 * MIB;
/// The longest model name: it is stored with the batch and sent with every request.
const MAX_MODEL_BYTES: usize = 256;

pub async fn create(req: &mut Request, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let result = create_batch(req, ctx).await;
    if let Err(e) = &result {
        // What a refused body cost, in the one place every refusal passes (contract §4.1:
        // bounded memory for any body shape; tests/worker/hostile-bodies.test.mjs reads it).
        ctx.log.info(
            "batch refused",
            json!({"status": e.status, "wasmMemoryBytes": crate::log::wasm_memory_bytes()}),
        );
    }
    result
}

async fn create_batch(req: &mut Request, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    declared_length(req, MAX_BODY_BYTES)?;
    let mut feed = BodyFeed::new(
        req.stream().map_err(|e| ApiError::field("body", e))?,
        MAX_BODY_BYTES,
    );
    let mut choice = Choice::default();
    let mut ahead = VecDeque::new();
    let mut ahead_bytes = 0;
    let whole = loop {
        if ahead_bytes >= READ_AHEAD_BYTES {
            break false;
        }
        match feed.next().await? {
            Some(BodyEvent::Field { name, value }) => choice.set(&name, &value)?,
            Some(BodyEvent::Request { index, json }) => {
                ahead_bytes += json.len();
                ahead.push_back((index, json));
            }
            None => break true,
        }
    };
    let (api, chat) = ctx
        .config
        .batch_api(choice.provider.as_deref(), choice.model.as_deref())?;
    if chat.model().len() > MAX_MODEL_BYTES {
        return Err(ApiError::field(
            "model",
            format!("is longer than {MAX_MODEL_BYTES} bytes"),
        ));
    }
    let store = Store::new(ctx.env)?;
    let host = WorkerHost::new(
        ctx.log
            .with("provider", api.provider().id())
            .with("step", "create"),
    );
    if whole {
        // Known whole: lint it all before anything is sent.
        let requests = ahead
            .iter()
            .map(|(i, json)| parse_at(json, &format!("requests[{i}]")))
            .collect::<Result<Vec<BatchChatRequest>, _>>()?;
        lint_batch(api.provider(), &requests, feed.bytes_read())?;
        if let [request] = requests.as_slice() {
            let record = sync::create(&store, &host, &chat, ctx, api.kind(), request).await?;
            return accepted(&record, &host);
        }
    }
    let record = streamed::create(store, &host, ctx, api, &chat, feed, ahead, choice).await?;
    accepted(&record, &host)
}

/// The 202.
fn accepted(record: &BatchRecord, host: &WorkerHost) -> Result<Response, ApiError> {
    host.log.info(
        "batch accepted",
        json!({"batchId": record.id, "requests": record.total, "status": record.job.status(), "wasmMemoryBytes": crate::log::wasm_memory_bytes()}),
    );
    let view = record.view();
    reply(
        202,
        &json!({
            "id": record.id, "status": view["status"], "provider": view["provider"], "model": view["model"],
            "requestCounts": view["requestCounts"], "createdAt": view["createdAt"],
        }),
    )
}

/// A new gateway batch id: `eb_` and 24 hex digits (96 random bits).
pub fn new_batch_id() -> String {
    let part = || (js_sys::Math::random() * 4_294_967_296.0) as u32;
    format!("eb_{:08x}{:08x}{:08x}", part(), part(), part())
}
