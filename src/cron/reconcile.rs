//! Settling a create whose answer was lost: list upstream's batches from when the create
//! began, and let the core decide which one — if any — is it (`edge_llm_core::batch::
//! reconcile`). A batch found is claimed for this id, so no other lost create takes it.

use crate::log::WorkerHost;
use crate::store::{BatchRecord, Store, PAGE_ITEMS};
use edge_llm_core::batch::{ListedBatch, LostCreate, Reconciled};
use edge_llm_core::client::batch::BatchDriver;
use edge_llm_core::host::{Host, Level};
use edge_llm_core::Provider;
use serde_json::json;

/// Pages of upstream's list read at most (100 batches each, newest first).
const MAX_PAGES: usize = 10;

pub async fn run(
    store: &Store,
    driver: &BatchDriver<'_, WorkerHost>,
    record: &mut BatchRecord,
    now: f64,
) {
    let found = find(store, driver, record).await;
    if let Reconciled::Found(snapshot) = &found {
        if let Err(e) = store.put_claim(record, &snapshot.id, now).await {
            driver.host.log.write(
                Level::Warn,
                "claiming the found batch failed",
                json!({"error": e.message}),
            );
        }
    }
    driver.host.log.write(
        Level::Warn,
        "looked upstream for a create whose answer was lost",
        json!({"found": format!("{found:?}")}),
    );
    record.job.on_reconciled(driver.host.now_ms(), found);
}

async fn find(
    store: &Store,
    driver: &BatchDriver<'_, WorkerHost>,
    record: &mut BatchRecord,
) -> Reconciled {
    if record.total == 0 {
        match count_ids(store, record).await {
            Ok(total) => record.total = total,
            Err(message) => return Reconciled::Failed(message),
        }
    }
    let lost = LostCreate {
        id: &record.id,
        since_ms: record.created_at,
        total: record.total,
        tagged: record.provider == Provider::OpenAI,
    };
    let mut listed: Vec<ListedBatch> = vec![];
    let mut after: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = match driver.list(after.as_deref()).await {
            Ok(page) => page,
            Err(e) => return Reconciled::Failed(e.to_string()),
        };
        let reached_older = page.batches.iter().any(|b| lost.is_before(b.created_at_ms));
        listed.extend(page.batches);
        let tagged = listed.iter().any(|b| b.tag.as_deref() == Some(lost.id));
        match page.next {
            Some(next) if !reached_older && !tagged => after = Some(next),
            _ => break,
        }
    }
    let upstream_ids: Vec<String> = listed.iter().map(|b| b.snapshot.id.clone()).collect();
    match store.claims(record.provider, &upstream_ids).await {
        Ok(claims) => lost.find(&listed, &claims),
        Err(e) => Reconciled::Failed(e.message),
    }
}

/// How many requests the create sent, from its stored ids (a create that stopped before
/// writing its total).
async fn count_ids(store: &Store, record: &BatchRecord) -> Result<u64, String> {
    let mut total = 0;
    for page in 0.. {
        match store.ids_page(&record.id, page).await {
            Ok(Some(ids)) => {
                total += ids.len() as u64;
                if ids.len() < PAGE_ITEMS as usize {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => return Err(e.message),
        }
    }
    Ok(total)
}
