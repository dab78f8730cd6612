//! Settling a create whose answer was lost: list upstream's batches from when the create
//! began, and let the core decide which one — if any — is it (`edge_llm_core::batch::
//! reconcile`). Candidates it cannot tell apart (Anthropic batches of one size, made at one
//! time) are told apart here once they have ended, by the name of their first result: the
//! Worker names requests after their batch there (`crate::request_names`). A batch found is
//! claimed for this id, so no other lost create takes it.

use crate::log::WorkerHost;
use crate::request_names;
use crate::store::{BatchRecord, Store, PAGE_ITEMS};
use edge_llm_core::batch::{BatchSnapshot, ListedBatch, LostCreate, Reconciled};
use edge_llm_core::client::batch::BatchDriver;
use edge_llm_core::client::send;
use edge_llm_core::error::{Error, Op, Operation};
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
        Ok(claims) => match lost.find(&listed, &claims) {
            Reconciled::Ambiguous(candidates) => tell_apart(driver, &record.id, candidates).await,
            found => found,
        },
        Err(e) => Reconciled::Failed(e.message),
    }
}

/// Which of several candidates is `batch_id`'s, by the name of each ended one's first result.
async fn tell_apart(
    driver: &BatchDriver<'_, WorkerHost>,
    batch_id: &str,
    candidates: Vec<BatchSnapshot>,
) -> Reconciled {
    let mut still_open = vec![];
    for candidate in candidates {
        if !candidate.status.is_terminal() {
            still_open.push(candidate);
            continue;
        }
        match first_result_name(driver, &candidate).await {
            Ok(Some(name)) if request_names::position_in(batch_id, &name).is_some() => {
                return Reconciled::Found(candidate)
            }
            Ok(_) => {}
            Err(e) => return Reconciled::Failed(e.to_string()),
        }
    }
    if still_open.is_empty() {
        Reconciled::NotFound
    } else {
        Reconciled::Ambiguous(still_open)
    }
}

/// The `custom_id` of an ended batch's first result line (read no further than that line).
async fn first_result_name(
    driver: &BatchDriver<'_, WorkerHost>,
    batch: &BatchSnapshot,
) -> Result<Option<String>, Error> {
    driver.api.check_result_origins(&batch.files)?;
    let Some(request) = driver.api.result_requests(&batch.files).into_iter().next() else {
        return Ok(None);
    };
    let op = Op::new(driver.api.provider(), Operation::ResultsDownload);
    let response = send(driver.host, &request, op, driver.opts).await?;
    let mut head: Vec<u8> = vec![];
    if let Some(mut reader) = response.chunks() {
        while !head.contains(&b'\n') && head.len() < MAX_FIRST_LINE {
            match reader.next_chunk().await {
                Ok(Some(chunk)) => head.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(e) => {
                    return Err(Error::Network {
                        op,
                        message: format!("{e:?}"),
                    })
                }
            }
        }
    }
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    Ok(custom_id_in(&String::from_utf8_lossy(line)))
}

/// The `custom_id` of a result line, read from its start (a line cut short still names it).
fn custom_id_in(line: &str) -> Option<String> {
    let after = &line[line.find("\"custom_id\"")? + "\"custom_id\"".len()..];
    let value = after
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    Some(value[..value.find('"')?].to_string())
}

/// A first result line longer than this is not read to its end (the name is near its start).
const MAX_FIRST_LINE: usize = 1 << 20;

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

#[cfg(test)]
mod tests {
    use super::custom_id_in;

    #[test]
    fn the_name_is_read_from_a_line_however_it_ends() {
        let line = r#"{"custom_id": "eb_1-0", "result": {"type": "succeeded", "message": {"content": [{"text": "cut sh"#;
        assert_eq!(custom_id_in(line).as_deref(), Some("eb_1-0"));
        assert_eq!(custom_id_in(r#"{"custom_id":"x"}"#).as_deref(), Some("x"));
        assert_eq!(custom_id_in(r#"{"result": {}}"#), None);
    }
}
