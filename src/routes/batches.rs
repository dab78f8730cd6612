//! Reading batches: status, results, cancel. Creating one is `batch_create`; moving it
//! forward is the cron's (`crate::cron`).

use super::{reply, Ctx};
use crate::api_error::ApiError;
use crate::log::WorkerHost;
use crate::store::{BatchRecord, Store, StoredResults, PAGE_ITEMS};
use edge_llm_core::batch::pages::merge_fragments;
use edge_llm_core::batch::ItemResult;
use edge_llm_core::client::batch::BatchDriver;
use edge_llm_core::message::BatchChatResult;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use worker::{Request, Response};

/// Results per `GET …/results` page.
const RESULTS_PER_CALL: u64 = 100;

/// Batch ids are upstream's (`batch_…`, `msgbatch_…`) or ours (`sync_…`).
fn check_id(id: &str) -> Result<(), ApiError> {
    let ok = (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::field(
            "id",
            "is not a batch id (1–128 letters, digits, '_' or '-')",
        ))
    }
}

/// `GET /v1/batches/{id}`'s answer; a stored upstream error may quote a key back.
pub(super) fn view(record: &BatchRecord, ctx: &Ctx<'_>) -> serde_json::Value {
    let mut view = record.view();
    if let Some(error) = view.get("error").and_then(|e| e.as_str()) {
        view["error"] = ctx.log.redact(error).into();
    }
    view
}

async fn load(store: &Store, id: &str) -> Result<BatchRecord, ApiError> {
    check_id(id)?;
    store
        .get(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no batch with id {id}")))
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
        return Err(ApiError::conflict(format!(
            "batch {id} is {}; results are readable once it has ended",
            record.job.status()
        )));
    };
    let query: ResultsQuery = req.query().map_err(|e| ApiError::field("cursor", e))?;
    let start = match query.cursor.as_deref() {
        None => 0,
        Some(c) => c
            .parse::<u64>()
            .ok()
            .filter(|&n| n < record.total.max(1))
            .ok_or_else(|| {
                ApiError::field("cursor", "is not a cursor this batch returned in `next`")
            })?,
    };
    let page = (start / u64::from(PAGE_ITEMS)) as u32;
    let page_start = u64::from(page) * u64::from(PAGE_ITEMS);
    let end = (start + RESULTS_PER_CALL)
        .min(page_start + u64::from(PAGE_ITEMS))
        .min(record.total);
    let ids = store.ids_page(id, page).await?;
    let mut found: HashMap<u64, BatchChatResult> = HashMap::new();
    if let Some(StoredResults { attempt, manifest }) = &record.results {
        let count = manifest.fragments.get(page as usize).copied().unwrap_or(0);
        let bodies = store.fragments(id, attempt, page, count).await?;
        let items: Vec<(u64, BatchChatResult)> = merge_fragments(&bodies)
            .map_err(|e| ApiError::internal(format!("stored results are unreadable: {e}")))?;
        for (index, item) in items {
            // The same request in the output and the error file: the answer wins.
            if item.error.is_none() || !found.contains_key(&index) {
                found.insert(index, item);
            }
        }
    }
    let results: Vec<BatchChatResult> = (start..end)
        .map(|i| {
            let request_id = ids
                .get((i - page_start) as usize)
                .cloned()
                .unwrap_or_default();
            found.remove(&i).unwrap_or_else(|| {
                ItemResult::missing(outcome.missing_item_error()).with_id(request_id)
            })
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
        return Err(ApiError::conflict(format!(
            "batch {id} is already {}",
            record.job.status()
        )));
    }
    let api = ctx.config.batch_api_for(record.provider, &record.model)?;
    let host = WorkerHost::new(ctx.log.with("batchId", id).with("step", "cancel"));
    let report = BatchDriver::new(&host, &api, ctx.config.call)
        .cancel(&mut record.job)
        .await
        .map_err(|e| ApiError::upstream(&e))?;
    if report.changed {
        record.updated_at = js_sys::Date::now();
        store.put_unless_behind(&record).await?;
        if record.job.is_done() {
            store.mark_closed(&record).await?;
        }
    }
    reply(200, &view(&record, ctx))
}
