//! Reading batches: status, results, cancel. Creating one is `batch_create`; moving it
//! forward — and writing its record — is the cron's alone ([`crate::cron`]).

use super::{reply, Ctx};
use crate::api_error::ApiError;
use crate::log::WorkerHost;
use crate::store::{keys, BatchRecord, Store, StoredResults, PAGE_ITEMS};
use edge_llm_core::batch::pages::items_in;
use edge_llm_core::batch::{ItemResult, Outcome, Stage};
use edge_llm_core::client::batch::BatchDriver;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use worker::{Request, Response};

/// Results per `GET …/results` page.
const RESULTS_PER_CALL: u64 = 100;

fn check_id(id: &str) -> Result<(), ApiError> {
    if keys::is_batch_id(id) {
        Ok(())
    } else {
        Err(ApiError::field(
            "id",
            "is not a batch id (1–128 letters, digits, '_' or '-')",
        ))
    }
}

async fn load(store: &Store, id: &str) -> Result<BatchRecord, ApiError> {
    check_id(id)?;
    match store.get(id).await? {
        Ok(Some(record)) => Ok(record),
        Ok(None) => Err(ApiError::not_found(format!("no batch with id {id}"))),
        Err(unreadable) => Err(ApiError::internal(format!("batch {id}: {unreadable}"))),
    }
}

pub async fn status(id: &str, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let record = load(&Store::new(ctx.env)?, id).await?;
    reply(200, &record.view())
}

#[derive(Deserialize)]
struct ResultsQuery {
    cursor: Option<String>,
}

/// One page of results, in input order. It reads only the fragments that hold the page's
/// range (their manifest says which), one at a time, and passes the stored JSON on
/// unparsed: a page of large answers never has its 1,000-item neighbourhood in memory.
pub async fn results(id: &str, req: &Request, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let store = Store::new(ctx.env)?;
    let record = load(&store, id).await?;
    let Some(outcome) = record.job.outcome() else {
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
    let ids = match record.total {
        0 => vec![],
        _ => store.ids_page(id, page).await?.ok_or_else(|| {
            ApiError::new(
                503,
                "not_ready",
                format!("the request ids of batch {id} are not readable yet; retry shortly"),
            )
        })?,
    };
    let (found, fragments) = match &record.results {
        Some(stored) => stored_items(&store, id, stored, page, start, end).await?,
        None => (HashMap::new(), 0),
    };
    // Sized up front and filled by moving each stored result in: the answer and what it is
    // made of are never both whole (100 answers of 64 KB are 6.4 MB).
    let stored_bytes: usize = found.values().map(String::len).sum();
    let mut body = String::with_capacity(stored_bytes + (end - start) as usize * 64 + 64);
    let mut found = found;
    body.push_str("{\"results\":[");
    for i in start..end {
        if i > start {
            body.push(',');
        }
        match found.remove(&i) {
            Some(json) => body.push_str(&json),
            None => body.push_str(&missing(outcome, &ids, (i - page_start) as usize)),
        }
    }
    body.push(']');
    if end < record.total {
        body.push_str(&format!(",\"next\":\"{end}\""));
    }
    body.push('}');
    ctx.log.info(
        "results read",
        json!({"batchId": id, "items": end - start, "fragments": fragments, "bytes": body.len(), "wasmMemoryBytes": crate::log::wasm_memory_bytes()}),
    );
    let mut response = Response::ok(body).map_err(|e| ApiError::internal(e.to_string()))?;
    let _ = response
        .headers_mut()
        .set("content-type", "application/json");
    Ok(response)
}

/// The stored results with an index in `start..end`, as stored JSON, and how many fragments
/// were read for them.
async fn stored_items(
    store: &Store,
    id: &str,
    stored: &StoredResults,
    page: u32,
    start: u64,
    end: u64,
) -> Result<(HashMap<u64, String>, usize), ApiError> {
    let mut found: HashMap<u64, String> = HashMap::new();
    let needed = stored.manifest.fragments_for(page, start, end);
    for &n in &needed {
        let body = store.fragment(id, &stored.attempt, page, n).await?;
        let items = items_in(&body, start, end)
            .map_err(|e| ApiError::internal(format!("stored results are unreadable: {e}")))?;
        for (index, raw) in items {
            // The same request in the output and the error file: the answer wins.
            let keep = match found.get(&index) {
                None => true,
                Some(kept) => has_error(kept) && !has_error(raw.get()),
            };
            if keep {
                found.insert(index, raw.get().to_string());
            }
        }
    }
    Ok((found, needed.len()))
}

/// Whether a stored result carries an `error`.
fn has_error(json: &str) -> bool {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        error: Option<serde::de::IgnoredAny>,
    }
    serde_json::from_str::<Probe>(json).is_ok_and(|p| p.error.is_some())
}

/// The result of a request the result files do not mention.
fn missing(outcome: Outcome, ids: &[String], at: usize) -> String {
    let request_id = ids.get(at).cloned().unwrap_or_default();
    let item = ItemResult::missing(outcome.missing_item_error()).with_id(request_id);
    serde_json::to_string(&item).expect("results are plain JSON")
}

/// Asks upstream to cancel. The answer shows what upstream said; the cron, the record's
/// only writer after creation, records what follows on its next run.
pub async fn cancel(id: &str, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let store = Store::new(ctx.env)?;
    let mut record = load(&store, id).await?;
    if record.job.batch_id().is_none() {
        return Err(ApiError::conflict(format!(
            "batch {id} is still being created; cancel it once it is in_progress"
        )));
    }
    if !matches!(record.job.stage(), Stage::Poll { .. }) {
        return Err(ApiError::conflict(format!(
            "batch {id} is already {}",
            record.job.status()
        )));
    }
    let api = ctx.config.batch_api_for(record.provider, &record.model)?;
    let host = WorkerHost::new(ctx.log.with("batchId", id).with("step", "cancel"));
    BatchDriver::new(&host, &api, ctx.config.call)
        .cancel(&mut record.job)
        .await
        .map_err(|e| ApiError::upstream(&e))?;
    let mut view = record.view();
    view["updatedAt"] = json!(crate::store::iso(js_sys::Date::now()));
    reply(200, &view)
}
