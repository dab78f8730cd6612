//! The KV layout. Every batch lives under its upstream id:
//!
//! | key | value |
//! |---|---|
//! | `batch:{id}` | the [`BatchRecord`]: metadata and the batch machine's state |
//! | `batch:{id}:ids:{page}` | the request ids of one page of input, in input order |
//! | `batch:{id}:results:{attempt}:{page}:{n}` | fragment *n* of a page of results |
//! | `open:{createdAt}:{id}` | present while the batch is open; cron lists these, oldest first |
//!
//! Results are written under an attempt id chosen by the run that collects them, and the
//! record names the attempt only after all of its fragments are written, so overlapping or
//! interrupted runs never mix or lose fragments (see the README's architecture section).

mod record;

pub use record::{BatchRecord, StoredResults};

use crate::api_error::ApiError;
use crate::log::Log;
use edge_llm_core::batch::pages::Fragment;
use worker::kv::KvStore;
use worker::Env;

/// How long finished batches and their results stay readable.
pub const RETENTION_SECONDS: u64 = 30 * 24 * 3600;
/// From creation to stored results at most: the 24 h deadline, and slack for collecting.
const LIFETIME_SECONDS: u64 = 2 * 24 * 3600;

/// When every key of a batch expires (seconds since the epoch): all at once. A TTL from each
/// write let the ids, written at creation, expire up to a day before the record and results
/// written at completion, and reading results then failed.
fn expires_at(created_at_ms: f64) -> u64 {
    (created_at_ms / 1000.0) as u64 + LIFETIME_SECONDS + RETENTION_SECONDS
}
/// Requests per page of ids and results.
pub const PAGE_ITEMS: u32 = 1000;

pub struct Store {
    kv: KvStore,
    /// Every value is scrubbed of the secrets before it is written: upstream error bodies
    /// (stored in failed records) and result lines can quote an API key back.
    log: Log,
}

fn kv_error(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("Workers KV {what} failed: {e}"))
}

fn record_key(id: &str) -> String {
    format!("batch:{id}")
}

fn ids_key(id: &str, page: u32) -> String {
    format!("batch:{id}:ids:{page}")
}

fn fragment_key(id: &str, attempt: &str, page: u32, n: u32) -> String {
    format!("batch:{id}:results:{attempt}:{page}:{n}")
}

/// Open-index keys sort by creation time (zero-padded ms), so listing is oldest first.
fn open_key(record: &BatchRecord) -> String {
    format!("open:{:015}:{}", record.created_at as u64, record.id)
}

/// An entry of the open index.
pub struct OpenEntry {
    pub key: String,
    pub id: String,
    pub created_at: f64,
    pub origin: Option<OpenOrigin>,
}

/// The open-index entry's metadata: enough to rebuild a lost record.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct OpenOrigin {
    pub provider: edge_llm_core::Provider,
    pub model: String,
    pub total: u64,
}

impl Store {
    pub fn new(env: &Env, log: &Log) -> Result<Store, ApiError> {
        let kv = env
            .kv("BATCHES")
            .map_err(|e| ApiError::internal(format!("KV binding BATCHES is missing: {e}")))?;
        Ok(Store {
            kv,
            log: log.clone(),
        })
    }

    pub async fn get(&self, id: &str) -> Result<Option<BatchRecord>, ApiError> {
        self.kv
            .get(&record_key(id))
            .json::<BatchRecord>()
            .await
            .map_err(|e| kv_error("read", e))
    }

    /// Several records at once (one KV operation per 100).
    pub async fn get_many(&self, ids: &[String]) -> Result<Vec<Option<BatchRecord>>, ApiError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(100) {
            let keys: Vec<String> = chunk.iter().map(|id| record_key(id)).collect();
            let mut found = self
                .kv
                .get_bulk(&keys)
                .json::<BatchRecord>()
                .await
                .map_err(|e| kv_error("bulk read", e))?;
            out.extend(keys.iter().map(|k| found.remove(k).flatten()));
        }
        Ok(out)
    }

    pub async fn put(&self, record: &BatchRecord) -> Result<(), ApiError> {
        let body = serde_json::to_string(record).map_err(|e| ApiError::internal(e.to_string()))?;
        self.put_text(&record_key(&record.id), body, record.created_at)
            .await
    }

    /// Writes `record` unless the stored one is further along (a slower, overlapping run
    /// must not undo a faster one's progress). Returns whether it wrote.
    pub async fn put_unless_behind(&self, record: &BatchRecord) -> Result<bool, ApiError> {
        if let Some(stored) = self.get(&record.id).await? {
            if stored.progress_rank() > record.progress_rank() {
                return Ok(false);
            }
        }
        self.put(record).await.map(|_| true)
    }

    async fn put_text(&self, key: &str, body: String, created_at: f64) -> Result<(), ApiError> {
        self.kv
            .put(key, self.log.scrub(body))
            .map_err(|e| kv_error("write", e))?
            .expiration(expires_at(created_at))
            .execute()
            .await
            .map_err(|e| kv_error("write", e))
    }

    /// Stores the request ids, a page per key.
    pub async fn put_ids(&self, id: &str, created_at: f64, ids: &[&str]) -> Result<(), ApiError> {
        for (page, chunk) in ids.chunks(PAGE_ITEMS as usize).enumerate() {
            let body =
                serde_json::to_string(chunk).map_err(|e| ApiError::internal(e.to_string()))?;
            self.put_text(&ids_key(id, page as u32), body, created_at)
                .await?;
        }
        Ok(())
    }

    pub async fn ids_page(&self, id: &str, page: u32) -> Result<Vec<String>, ApiError> {
        let ids = self
            .kv
            .get(&ids_key(id, page))
            .json::<Vec<String>>()
            .await
            .map_err(|e| kv_error("read", e))?;
        ids.ok_or_else(|| {
            ApiError::internal(format!("ids page {page} of batch {id} is missing from KV"))
        })
    }

    /// Takes the fragment by value: bodies run to 20 MiB, not worth a copy.
    pub async fn put_fragment(
        &self,
        id: &str,
        created_at: f64,
        attempt: &str,
        fragment: Fragment,
    ) -> Result<(), ApiError> {
        self.put_text(
            &fragment_key(id, attempt, fragment.page, fragment.number),
            fragment.body,
            created_at,
        )
        .await
    }

    pub async fn fragments(
        &self,
        id: &str,
        attempt: &str,
        page: u32,
        count: u32,
    ) -> Result<Vec<String>, ApiError> {
        let mut bodies = Vec::with_capacity(count as usize);
        for n in 0..count {
            let body = self
                .kv
                .get(&fragment_key(id, attempt, page, n))
                .text()
                .await
                .map_err(|e| kv_error("read", e))?;
            // Written before the record named this attempt; KV may lag between locations.
            bodies.push(body.ok_or_else(|| {
                ApiError::new(
                    503,
                    "not_ready",
                    format!("results of batch {id} are still propagating; retry shortly"),
                )
            })?);
        }
        Ok(bodies)
    }

    /// Marks the batch open (for the cron runs). The entry's metadata carries what it takes
    /// to rebuild the record, should a create stop before writing it.
    pub async fn mark_open(&self, record: &BatchRecord) -> Result<(), ApiError> {
        let origin = OpenOrigin {
            provider: record.provider,
            model: record.model.clone(),
            total: record.total,
        };
        self.kv
            .put(&open_key(record), "")
            .map_err(|e| kv_error("write", e))?
            .metadata(origin)
            .map_err(|e| kv_error("write", e))?
            .execute()
            .await
            .map_err(|e| kv_error("write", e))
    }

    /// Removes the batch from the open index.
    pub async fn mark_closed(&self, record: &BatchRecord) -> Result<(), ApiError> {
        self.kv
            .delete(&open_key(record))
            .await
            .map_err(|e| kv_error("delete", e))
    }

    pub async fn delete_key(&self, key: &str) -> Result<(), ApiError> {
        self.kv.delete(key).await.map_err(|e| kv_error("delete", e))
    }

    /// Open batches, oldest first (at most `limit`).
    pub async fn list_open(&self, limit: u64) -> Result<Vec<OpenEntry>, ApiError> {
        let listed = self
            .kv
            .list()
            .prefix("open:".into())
            .limit(limit)
            .execute()
            .await
            .map_err(|e| kv_error("list", e))?;
        Ok(listed
            .keys
            .into_iter()
            .filter_map(|k| {
                let mut parts = k.name.splitn(3, ':').skip(1);
                let created_at = parts.next()?.parse::<f64>().ok()?;
                let id = parts.next()?.to_string();
                let origin = k.metadata.and_then(|m| serde_json::from_value(m).ok());
                Some(OpenEntry {
                    key: k.name,
                    id,
                    created_at,
                    origin,
                })
            })
            .collect())
    }
}
