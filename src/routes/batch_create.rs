//! `POST /v1/batches`: reads the body as a stream, lints every request, sends the batch
//! upstream as it reads (`crate::input_stream`), and records it in KV before answering 202.
//! A one-request batch is answered by the sync call instead and stored completed at once.

use super::batches::view;
use super::{reply, Ctx};
use crate::api_error::ApiError;
use crate::body::{declared_length, parse_at, MIB};
use crate::input_stream::{BodyFeed, Choice, InputSource, Outcome as Streamed};
use crate::log::WorkerHost;
use crate::store::{BatchRecord, Store, StoredResults, PAGE_ITEMS};
use edge_llm_core::batch::machine::Progress;
use edge_llm_core::batch::pages::PageWriter;
use edge_llm_core::batch::request_body::BodyEvent;
use edge_llm_core::batch::{
    BatchJob, BatchKind, BatchStatus, EndPolicy, ItemResult, Outcome, RequestCounts, Stage,
};
use edge_llm_core::client::batch::BatchDriver;
use edge_llm_core::client::{chat, check_status, read_json, CallOptions};
use edge_llm_core::error::{Error, Op};
use edge_llm_core::host::FetchError;
use edge_llm_core::lint::lint_batch;
use edge_llm_core::message::BatchChatRequest;
use edge_llm_core::provider::{BatchApi, BatchInput, ChatProvider};
use serde_json::json;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use worker::{Request, Response};

/// The largest batch body (contract §4).
const MAX_BODY_BYTES: usize = 100 * MIB;
/// Requests read before anything is sent: a body that ends within this is known whole (its
/// `provider`/`model` may come anywhere, a single request takes the sync path); a longer
/// one is streamed upstream from here on.
pub const READ_AHEAD_BYTES: usize = 8 * MIB;

pub async fn create(req: &mut Request, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
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
    let store = Store::new(ctx.env, ctx.log)?;
    let now = js_sys::Date::now();
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
            let record = create_sync(
                &store,
                &host,
                &chat,
                ctx.config.call,
                api.kind(),
                request,
                now,
            )
            .await?;
            return accepted(record, &host, ctx);
        }
    }
    let resolved = (api.provider().id().to_string(), chat.model().to_string());
    let record =
        create_streamed(&store, &host, ctx, api, resolved, feed, ahead, choice, now).await?;
    accepted(record, &host, ctx)
}

/// The 202.
fn accepted(record: BatchRecord, host: &WorkerHost, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    host.log.info(
        "batch accepted",
        json!({"batchId": record.id, "requests": record.total, "status": record.job.status(), "wasmMemoryBytes": crate::log::wasm_memory_bytes()}),
    );
    let view = view(&record, ctx);
    reply(
        202,
        &json!({
            "id": record.id, "status": view["status"], "provider": view["provider"], "model": view["model"],
            "requestCounts": view["requestCounts"], "createdAt": view["createdAt"],
        }),
    )
}

/// Streams the body into the upload (OpenAI) or create (Anthropic) call, then finishes
/// creating the batch and records it.
#[allow(clippy::too_many_arguments)]
async fn create_streamed(
    store: &Store,
    host: &WorkerHost,
    ctx: &Ctx<'_>,
    api: BatchApi,
    resolved: (String, String),
    feed: BodyFeed,
    ahead: VecDeque<(usize, Vec<u8>)>,
    choice: Choice,
    now: f64,
) -> Result<BatchRecord, ApiError> {
    let boundary = format!(
        "edge-llm-{:016x}{:016x}",
        (js_sys::Math::random() * 1.8e19) as u64,
        (js_sys::Math::random() * 1.8e19) as u64
    );
    let input = api.input_stream(&boundary);
    let op = Op::new(api.provider(), input.operation);
    let streamed = Rc::new(RefCell::new(Streamed::default()));
    let (url, headers) = (input.url.clone(), input.headers.clone());
    let source = InputSource::new(
        feed,
        ahead,
        choice,
        resolved.clone(),
        api.clone(),
        input,
        Rc::clone(&streamed),
    )?;
    let sent = host
        .js()
        .fetch_streamed(&url, &headers, &source.into_readable_stream())
        .await;
    // A problem in the body (lint, size) aborted the call: report it, not what it caused.
    if let Some(error) = streamed.borrow_mut().error.take() {
        return Err(error);
    }
    let upstream = |e: Error| ApiError::upstream(&e);
    let response = sent.map_err(|e| {
        let message = match e {
            FetchError::Network(message) => message,
            FetchError::Timeout => "no answer".into(),
        };
        upstream(Error::Network { op, message })
    })?;
    let response = check_status(host, response, op).await.map_err(upstream)?;
    let answer = read_json(response, op).await.map_err(upstream)?;
    let mut job = BatchJob::new(api.kind(), EndPolicy::KeepPartial, ctx.config.schedule);
    let driver = BatchDriver::new(host, &api, ctx.config.call);
    driver.accept(&mut job, answer).map_err(upstream)?;
    // OpenAI: the file is up; now the batch. (Anthropic's create was the streamed call.)
    driver
        .create(&mut job, BatchInput::Chat(&[]))
        .await
        .map_err(upstream)?;
    let ids = std::mem::take(&mut streamed.borrow_mut().ids);
    let record = BatchRecord {
        id: job.batch_id().unwrap_or_default().to_string(),
        provider: api.provider(),
        model: resolved.1,
        created_at: now,
        updated_at: now,
        total: ids.len() as u64,
        job,
        results: None,
    };
    // Ids first, then the open index, then the record: whatever step a crash stops at,
    // the cron finds the batch (see README, "Never losing a batch").
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    store.put_ids(&record.id, now, &ids).await?;
    store.mark_open(&record).await?;
    store.put(&record).await?;
    Ok(record)
}

/// One request: answered by the sync call and stored completed at once.
async fn create_sync(
    store: &Store,
    host: &WorkerHost,
    chat: &ChatProvider,
    call: CallOptions,
    kind: BatchKind,
    request: &BatchChatRequest,
    now: f64,
) -> Result<BatchRecord, ApiError> {
    let result = match chat::chat(host, chat, &request.messages, call).await {
        Ok(r) => ItemResult {
            response: r.response,
            usage: r.usage,
            error: None,
        },
        Err(e) => ItemResult {
            error: Some(host.log.redact(&e.to_string())),
            ..ItemResult::missing("")
        },
    };
    let failed = u64::from(result.error.is_some());
    let id = format!(
        "sync_{:08x}{:08x}",
        (js_sys::Math::random() * 4e9) as u32,
        (js_sys::Math::random() * 4e9) as u32
    );
    let mut writer = PageWriter::new(1, PAGE_ITEMS, usize::MAX, usize::MAX);
    let item = serde_json::to_string(&result.with_id(request.id.clone()))
        .map_err(|e| ApiError::internal(e.to_string()))?;
    // A one-item page is complete at once: `add` hands its fragment back, not `finish`.
    let mut fragments = writer.add(0, item);
    let (rest, manifest) = writer.finish();
    fragments.extend(rest);
    store.put_ids(&id, now, &[request.id.as_str()]).await?;
    for f in fragments {
        store.put_fragment(&id, now, "sync", f).await?;
    }
    let mut job = BatchJob::new(kind, EndPolicy::KeepPartial, Default::default());
    job.stage = Stage::Finished {
        batch_id: id.clone(),
        outcome: Outcome::Completed,
    };
    job.progress = Progress {
        status: BatchStatus::Completed,
        counts: RequestCounts {
            total: 1,
            completed: 1 - failed,
            failed,
        },
        first_error: None,
    };
    let record = BatchRecord {
        id,
        provider: chat.provider(),
        model: chat.model().into(),
        created_at: now,
        updated_at: now,
        total: 1,
        job,
        results: Some(StoredResults {
            attempt: "sync".into(),
            manifest,
        }),
    };
    store.put(&record).await?;
    Ok(record)
}
