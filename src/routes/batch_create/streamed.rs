//! A batch streamed upstream as its body is read, created so that whatever stops it —
//! a KV error, the client going away, the isolate dying — it ends as a normal batch or as
//! nothing (contract §4.1):
//!
//! 1. The record is written as an *intent* (stage upload/create), with its open-index
//!    entry, before anything is sent upstream. If that fails, nothing was sent.
//! 2. The requests stream upstream (OpenAI's file upload, Anthropic's create body); their
//!    ids go to KV a page at a time, all before the body's last byte is sent.
//! 3. The create call carries the gateway's id as metadata where the API keeps it (OpenAI).
//! 4. The upstream batch is claimed for this id, and the record moves to polling. These
//!    writes run under `waitUntil`, so a client that hangs up does not cut them short.
//!
//! A create stopped after 1 and before 4 leaves an intent, which the cron settles: it finds
//! the upstream batch (by tag, claim, or time and size) and carries on, or, after an hour
//! with nothing upstream, records that the batch was never created.

use super::new_batch_id;
use crate::api_error::ApiError;
use crate::input_stream::{BodyFeed, Choice, IdPages, InputSource, Outcome};
use crate::log::WorkerHost;
use crate::routes::Ctx;
use crate::store::{keys, BatchRecord, OpenMeta, Store, FORMAT};
use edge_llm_core::batch::{BatchJob, Policy};
use edge_llm_core::client::batch::BatchDriver;
use edge_llm_core::client::{check_status, read_json};
use edge_llm_core::error::{Error, Op};
use edge_llm_core::host::{FetchError, Host, Level};
use edge_llm_core::provider::{BatchApi, BatchInput, ChatProvider};
use edge_llm_core::Provider;
use futures_util::FutureExt;
use serde_json::json;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

#[allow(clippy::too_many_arguments)]
pub async fn create(
    store: Store,
    host: &WorkerHost,
    ctx: &Ctx<'_>,
    api: BatchApi,
    chat: &ChatProvider,
    feed: BodyFeed,
    ahead: VecDeque<(usize, Vec<u8>)>,
    choice: Choice,
) -> Result<BatchRecord, ApiError> {
    let now = host.now_ms();
    let mut record = BatchRecord {
        v: FORMAT,
        id: new_batch_id(),
        provider: api.provider(),
        model: chat.model().to_string(),
        created_at: now,
        updated_at: now,
        total: 0,
        job: BatchJob::new(api.kind(), Policy::Durable, ctx.config.schedule, now),
        results: None,
        // Anthropic keeps no metadata: its requests are named after the batch instead.
        positional_names: api.provider() == Provider::Anthropic,
        step_failure: None,
    };
    let host = WorkerHost::new(host.log.with("batchId", record.id.clone()));
    store.put(&record, now).await?;
    if let Err(e) = store
        .mark_open(&record, &OpenMeta::of(&record, None), now)
        .await
    {
        forget(&store, &record, 0).await;
        return Err(e);
    }
    let resolved = (api.provider().id().to_string(), chat.model().to_string());
    let ids = IdPages::new(store.clone(), record.id.clone(), now);
    let names = record.positional_names.then(|| record.id.clone());
    let sent = send_input(&host, &api, feed, ahead, choice, resolved, ids, names).await;
    let (answer, total) = match sent {
        Sent::Refused { error, id_pages } => {
            // Nothing exists upstream: the intent and its ids go.
            forget(&store, &record, id_pages).await;
            return Err(error);
        }
        Sent::Unknown { error, total } => return Err(in_doubt(&store, record, total, error).await),
        Sent::Answered { answer, total } => (answer, total),
    };
    record.total = total;
    let driver = BatchDriver::new(&host, &api, ctx.config.call);
    let tag = record.id.clone();
    let created = async {
        driver.accept(&mut record.job, answer)?;
        // OpenAI: the file is up; now the batch. (Anthropic's create was the streamed call.)
        driver
            .create_tagged(&mut record.job, BatchInput::Chat(&[]), Some(&tag))
            .await
    };
    match created.await {
        Ok(()) => {}
        Err(e) if may_have_gone_through(&e) => {
            return Err(in_doubt(&store, record, total, ApiError::upstream(&e)).await)
        }
        Err(e) => {
            forget(
                &store,
                &record,
                total.div_ceil(crate::store::PAGE_ITEMS.into()) as u32,
            )
            .await;
            return Err(ApiError::upstream(&e));
        }
    }
    record.updated_at = host.now_ms();
    settle(&store, &record, ctx).await;
    Ok(record)
}

/// How the streamed call ended.
enum Sent {
    /// Upstream answered OK (OpenAI: the upload; Anthropic: the create).
    Answered {
        answer: serde_json::Value,
        total: u64,
    },
    /// Upstream made nothing: the body was refused (lint, size), or upstream said no.
    Refused { error: ApiError, id_pages: u32 },
    /// No answer to a call that may have created the batch (Anthropic's create).
    Unknown { error: ApiError, total: u64 },
}

#[allow(clippy::too_many_arguments)]
async fn send_input(
    host: &WorkerHost,
    api: &BatchApi,
    feed: BodyFeed,
    ahead: VecDeque<(usize, Vec<u8>)>,
    choice: Choice,
    resolved: (String, String),
    ids: IdPages,
    names: Option<String>,
) -> Sent {
    let boundary = format!(
        "edge-llm-{:016x}{:016x}",
        (js_sys::Math::random() * 1.8e19) as u64,
        (js_sys::Math::random() * 1.8e19) as u64
    );
    let input = api.input_stream(&boundary);
    let op = Op::new(api.provider(), input.operation);
    let creates = input.operation == edge_llm_core::error::Operation::BatchCreate;
    let streamed = Rc::new(RefCell::new(Outcome::default()));
    let (url, headers) = (input.url.clone(), input.headers.clone());
    let source = match InputSource::new(
        feed,
        ahead,
        choice,
        resolved,
        api.clone(),
        input,
        ids,
        names,
        Rc::clone(&streamed),
    ) {
        Ok(source) => source,
        Err(error) => return Sent::Refused { error, id_pages: 0 },
    };
    let sent = host
        .js()
        .fetch_streamed(&url, &headers, &source.into_readable_stream())
        .await;
    let (total, body_error, id_pages) = {
        let mut s = streamed.borrow_mut();
        (s.total, s.error.take(), s.id_pages)
    };
    // A problem in the body (lint, size, a KV error) aborted the call before its last byte:
    // report it, not what it caused upstream.
    if let Some(error) = body_error {
        return Sent::Refused { error, id_pages };
    }
    let upstream = |e: Error| ApiError::upstream(&e);
    let response = match sent {
        Ok(response) => response,
        Err(e) => {
            let e = match e {
                FetchError::Network(message) => Error::Network {
                    op,
                    message: host.admit(message),
                },
                FetchError::Timeout => Error::Network {
                    op,
                    message: "no answer".into(),
                },
            };
            return match creates {
                true => Sent::Unknown {
                    error: upstream(e),
                    total,
                },
                false => Sent::Refused {
                    error: upstream(e),
                    id_pages,
                },
            };
        }
    };
    let answer = match check_status(host, response, op).await {
        Ok(response) => read_json(response, op).await,
        Err(e) => Err(e),
    };
    match answer {
        Ok(answer) => Sent::Answered { answer, total },
        Err(e) if creates && may_have_gone_through(&e) => Sent::Unknown {
            error: upstream(e),
            total,
        },
        Err(e) => Sent::Refused {
            error: upstream(e),
            id_pages,
        },
    }
}

/// Whether a failed create may still have made the batch: no answer, an unreadable one,
/// or a 5xx (upstream may have failed after creating it). A 4xx made nothing.
fn may_have_gone_through(e: &Error) -> bool {
    match e.status() {
        Some(status) => status >= 500,
        None => matches!(
            e,
            Error::Network { .. } | Error::Timeout { .. } | Error::BadAnswer { .. }
        ),
    }
}

/// A create that may have gone through: the intent stays (with its size, for the cron's
/// lookup), and the client gets the id to follow it by.
async fn in_doubt(store: &Store, mut record: BatchRecord, total: u64, error: ApiError) -> ApiError {
    record.total = total;
    let now = js_sys::Date::now();
    record.updated_at = now;
    // Best effort: without the total the cron counts the stored ids instead.
    let _ = store.put(&record, now).await;
    ApiError {
        batch_id: Some(record.id.clone()),
        message: format!(
            "{}; the batch may still have been created upstream: GET /v1/batches/{} tells within a few minutes",
            error.message, record.id
        ),
        ..error
    }
}

/// Removes an intent that made nothing upstream, with its `id_pages` of ids. Best effort:
/// what stays behind expires with the batch, and the cron settles a lone intent as never
/// created.
async fn forget(store: &Store, record: &BatchRecord, id_pages: u32) {
    let _ = store.mark_closed(record).await;
    let _ = store.delete(&keys::record(&record.id)).await;
    for page in 0..id_pages {
        let _ = store.delete(&keys::ids(&record.id, page)).await;
    }
}

/// The writes after a successful create: the claim, then the record (now polling). Under
/// `waitUntil`, so they finish even if the client hangs up; if they fail, the intent is
/// still there and the cron settles it.
async fn settle(store: &Store, record: &BatchRecord, ctx: &Ctx<'_>) {
    let (store, record, log) = (store.clone(), record.clone(), ctx.log.clone());
    let writes = async move {
        let now = js_sys::Date::now();
        let upstream_id = record.job.batch_id().unwrap_or_default().to_string();
        // The claim lets a later lookup match this batch exactly; the record is what counts.
        let claimed = store.put_claim(&record, &upstream_id, now).await;
        // The index entry now wakes the batch on the poll schedule (the intent's woke it only
        // for the lost-create lookup); it also reopens a batch whose intent a create slower
        // than the cron's patience saw settled as never made, and closed.
        let result = store.save(&record, None, now).await;
        if let Err(e) = claimed {
            log.write(
                Level::Warn,
                "the created batch could not be claimed",
                json!({"batchId": record.id, "error": e.message}),
            );
        }
        if let Err(e) = result {
            log.write(
                Level::Warn,
                "batch created, but its record could not be written; the cron will settle it",
                json!({"batchId": record.id, "error": e.message}),
            );
        }
    }
    .shared();
    ctx.wait_until(writes.clone());
    writes.await;
}
