//! The batch routes. `POST /v1/batches` lints, creates the batch upstream and records it in KV
//! before answering 202; the cron (`crate::cron`) takes it from there.

use super::{reply, Ctx};
use crate::api_error::ApiError;
use crate::body::{parse, read_text, MIB};
use crate::log::WorkerHost;
use crate::store::{BatchRecord, Store, StoredResults, PAGE_ITEMS};
use edge_llm_core::batch::pages::{merge_fragments, PageWriter};
use edge_llm_core::batch::{BatchJob, BatchKind, BatchStatus, EndPolicy, ItemResult, Outcome, RequestCounts, Stage};
use edge_llm_core::batch::machine::Progress;
use edge_llm_core::client::batch::BatchDriver;
use edge_llm_core::client::{chat, CallOptions};
use edge_llm_core::lint::lint_batch;
use edge_llm_core::message::{BatchChatRequest, BatchChatResult};
use edge_llm_core::provider::{BatchInput, ChatProvider};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use worker::{Request, Response};

/// Results per `GET …/results` page.
const RESULTS_PER_CALL: u64 = 100;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchBody {
    requests: Vec<BatchChatRequest>,
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    model: Option<String>,
}

/// Batch ids are upstream's (`batch_…`, `msgbatch_…`) or ours (`sync_…`).
fn check_id(id: &str) -> Result<(), ApiError> {
    let ok = (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::field("id", "is not a batch id (1–128 letters, digits, '_' or '-')"))
    }
}

/// `GET /v1/batches/{id}`'s answer; a stored upstream error may quote a key back.
fn view(record: &BatchRecord, ctx: &Ctx<'_>) -> serde_json::Value {
    let mut view = record.view();
    if let Some(error) = view.get("error").and_then(|e| e.as_str()) {
        view["error"] = ctx.log.redact(error).into();
    }
    view
}

async fn load(store: &Store, id: &str) -> Result<BatchRecord, ApiError> {
    check_id(id)?;
    store.get(id).await?.ok_or_else(|| ApiError::not_found(format!("no batch with id {id}")))
}

pub async fn create(req: &mut Request, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let text = read_text(req, 100 * MIB).await?;
    let body: BatchBody = parse(&text)?;
    let (api, chat) = ctx.config.batch_api(body.provider.as_deref(), body.model.as_deref())?;
    lint_batch(api.provider(), &body.requests, text.len())?;
    let store = Store::new(ctx.env, ctx.log)?;
    let now = js_sys::Date::now();
    let host = WorkerHost::new(ctx.log.with("provider", api.provider().id()).with("step", "create"));
    let record = if body.requests.len() == 1 {
        create_sync(&store, &host, &chat, ctx.config.call, api.kind(), &body.requests[0], now).await?
    } else {
        let mut job = BatchJob::new(api.kind(), EndPolicy::KeepPartial, ctx.config.schedule);
        BatchDriver::new(&host, &api, ctx.config.call).create(&mut job, BatchInput::Chat(&body.requests)).await.map_err(|e| ApiError::upstream(&e))?;
        let id = job.batch_id().unwrap_or_default().to_string();
        let record = BatchRecord { id, provider: api.provider(), model: chat.model().into(), created_at: now, updated_at: now, total: body.requests.len() as u64, job, results: None };
        // Ids first, then the open index, then the record: whatever step a crash stops at,
        // the cron finds the batch (see README, "Never losing a batch").
        let ids: Vec<&str> = body.requests.iter().map(|r| r.id.as_str()).collect();
        store.put_ids(&record.id, now, &ids).await?;
        store.mark_open(&record).await?;
        store.put(&record).await?;
        record
    };
    host.log.info(
        "batch accepted",
        json!({"batchId": record.id, "requests": record.total, "status": record.job.status(), "bodyBytes": text.len(), "wasmMemoryBytes": crate::log::wasm_memory_bytes()}),
    );
    let view = view(&record, ctx);
    reply(202, &json!({
        "id": record.id, "status": view["status"], "provider": view["provider"], "model": view["model"],
        "requestCounts": view["requestCounts"], "createdAt": view["createdAt"],
    }))
}

/// One request: answered by the sync call and stored completed at once.
async fn create_sync(store: &Store, host: &WorkerHost, chat: &ChatProvider, call: CallOptions, kind: BatchKind, request: &BatchChatRequest, now: f64) -> Result<BatchRecord, ApiError> {
    let result = match chat::chat(host, chat, &request.messages, call).await {
        Ok(r) => ItemResult { response: r.response, usage: r.usage, error: None },
        Err(e) => ItemResult { error: Some(host.log.redact(&e.to_string())), ..ItemResult::missing("") },
    };
    let failed = u64::from(result.error.is_some());
    let id = format!("sync_{:08x}{:08x}", (js_sys::Math::random() * 4e9) as u32, (js_sys::Math::random() * 4e9) as u32);
    let mut writer = PageWriter::new(1, PAGE_ITEMS, usize::MAX, usize::MAX);
    let item = serde_json::to_string(&result.with_id(request.id.clone())).map_err(|e| ApiError::internal(e.to_string()))?;
    // A one-item page is complete at once: `add` hands its fragment back, not `finish`.
    let mut fragments = writer.add(0, item);
    let (rest, manifest) = writer.finish();
    fragments.extend(rest);
    store.put_ids(&id, now, &[request.id.as_str()]).await?;
    for f in fragments {
        store.put_fragment(&id, now, "sync", f).await?;
    }
    let mut job = BatchJob::new(kind, EndPolicy::KeepPartial, Default::default());
    job.stage = Stage::Finished { batch_id: id.clone(), outcome: Outcome::Completed };
    job.progress = Progress { status: BatchStatus::Completed, counts: RequestCounts { total: 1, completed: 1 - failed, failed }, first_error: None };
    let record = BatchRecord {
        id,
        provider: chat.provider(),
        model: chat.model().into(),
        created_at: now,
        updated_at: now,
        total: 1,
        job,
        results: Some(StoredResults { attempt: "sync".into(), manifest }),
    };
    store.put(&record).await?;
    Ok(record)
}

pub async fn status(id: &str, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let record = load(&Store::new(ctx.env, ctx.log)?, id).await?;
    reply(200, &view(&record, ctx))
}

#[derive(Deserialize)]
struct ResultsQuery {
    cursor: Option<String>,
}

pub async fn results(id: &str, req: &Request, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let store = Store::new(ctx.env, ctx.log)?;
    let record = load(&store, id).await?;
    let Some(outcome) = record.outcome() else {
        return Err(ApiError::conflict(format!("batch {id} is {}; results are readable once it has ended", record.job.status())));
    };
    let query: ResultsQuery = req.query().map_err(|e| ApiError::field("cursor", e))?;
    let start = match query.cursor.as_deref() {
        None => 0,
        Some(c) => c.parse::<u64>().ok().filter(|&n| n < record.total.max(1)).ok_or_else(|| ApiError::field("cursor", "is not a cursor this batch returned in `next`"))?,
    };
    let page = (start / u64::from(PAGE_ITEMS)) as u32;
    let page_start = u64::from(page) * u64::from(PAGE_ITEMS);
    let end = (start + RESULTS_PER_CALL).min(page_start + u64::from(PAGE_ITEMS)).min(record.total);
    let ids = store.ids_page(id, page).await?;
    let mut found: HashMap<u64, BatchChatResult> = HashMap::new();
    if let Some(StoredResults { attempt, manifest }) = &record.results {
        let count = manifest.fragments.get(page as usize).copied().unwrap_or(0);
        let bodies = store.fragments(id, attempt, page, count).await?;
        let items: Vec<(u64, BatchChatResult)> = merge_fragments(&bodies).map_err(|e| ApiError::internal(format!("stored results are unreadable: {e}")))?;
        for (index, item) in items {
            // The same request in the output and the error file: the answer wins.
            if item.error.is_none() || !found.contains_key(&index) {
                found.insert(index, item);
            }
        }
    }
    let results: Vec<BatchChatResult> = (start..end)
        .map(|i| {
            let request_id = ids.get((i - page_start) as usize).cloned().unwrap_or_default();
            found.remove(&i).unwrap_or_else(|| ItemResult::missing(outcome.missing_item_error()).with_id(request_id))
        })
        .collect();
    let mut answer = json!({ "results": results });
    if end < record.total {
        answer["next"] = end.to_string().into();
    }
    reply(200, &answer)
}

pub async fn cancel(id: &str, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let store = Store::new(ctx.env, ctx.log)?;
    let mut record = load(&store, id).await?;
    if record.progress_rank() > 1 {
        return Err(ApiError::conflict(format!("batch {id} is already {}", record.job.status())));
    }
    let api = ctx.config.batch_api_for(record.provider, &record.model)?;
    let host = WorkerHost::new(ctx.log.with("batchId", id).with("step", "cancel"));
    let report = BatchDriver::new(&host, &api, ctx.config.call).cancel(&mut record.job).await.map_err(|e| ApiError::upstream(&e))?;
    if report.changed {
        record.updated_at = js_sys::Date::now();
        store.put_unless_behind(&record).await?;
        if record.job.is_done() {
            store.mark_closed(&record).await?;
        }
    }
    reply(200, &view(&record, ctx))
}
