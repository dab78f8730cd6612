//! A one-request batch: answered by the sync chat call and stored completed at once
//! (contract §4: "a one-request batch answers with status completed at once").

use super::new_batch_id;
use crate::api_error::ApiError;
use crate::log::WorkerHost;
use crate::routes::Ctx;
use crate::store::{BatchRecord, Store, StoredResults, FORMAT, PAGE_ITEMS};
use edge_llm_core::batch::pages::PageWriter;
use edge_llm_core::batch::{BatchJob, BatchKind, ItemResult, RequestCounts};
use edge_llm_core::client::chat;
use edge_llm_core::host::Host;
use edge_llm_core::message::BatchChatRequest;
use edge_llm_core::provider::ChatProvider;

pub async fn create(
    store: &Store,
    host: &WorkerHost,
    chat: &ChatProvider,
    ctx: &Ctx<'_>,
    kind: BatchKind,
    request: &BatchChatRequest,
) -> Result<BatchRecord, ApiError> {
    let result = match chat::chat(host, chat, &request.messages, ctx.config.call).await {
        Ok(r) => ItemResult {
            response: r.response,
            usage: r.usage,
            error: None,
        },
        Err(e) => ItemResult {
            error: Some(e.to_string()),
            ..ItemResult::missing("")
        },
    };
    let now = host.now_ms();
    let failed = u64::from(result.error.is_some());
    let id = new_batch_id();
    let mut writer = PageWriter::new(1, PAGE_ITEMS, usize::MAX, usize::MAX);
    let item = serde_json::to_string(&result.with_id(request.id.clone()))
        .map_err(|e| ApiError::internal(e.to_string()))?;
    // A one-item page is complete at once: `add` hands its fragment back, not `finish`.
    let mut fragments = writer.add(0, item);
    let (rest, manifest) = writer.finish();
    fragments.extend(rest);
    store
        .put_ids_page(&id, now, 0, std::slice::from_ref(&request.id), now)
        .await?;
    for f in fragments {
        store.put_fragment(&id, now, "sync", f, now).await?;
    }
    let counts = RequestCounts {
        total: 1,
        completed: 1 - failed,
        failed,
    };
    let record = BatchRecord {
        v: FORMAT,
        job: BatchJob::answered_at_once(kind, id.clone(), counts, now),
        id,
        provider: chat.provider(),
        model: chat.model().into(),
        created_at: now,
        updated_at: now,
        total: 1,
        results: Some(StoredResults {
            attempt: "sync".into(),
            manifest,
        }),
        positional_names: false,
        step_failure: None,
    };
    store.put(&record, now).await?;
    Ok(record)
}
