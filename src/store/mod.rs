//! The KV layout. Every batch lives under the gateway's own id:
//!
//! | key | value |
//! |---|---|
//! | `batch:{id}` | the [`BatchRecord`]: metadata and the batch machine's state |
//! | `batch:{id}:ids:{page}` | the request ids of one page of input, in input order |
//! | `batch:{id}:results:{attempt}:{page}:{n}` | fragment *n* of a page of results |
//! | `open:{createdAt}:{id}` | present while the batch is open, with when it next needs a step; cron lists these |
//! | `claim:{provider}:{upstreamId}` | the gateway id whose create made that upstream batch |
//!
//! Every key of a batch expires at the same moment ([`keys::expires_at`]). Values are
//! stored as they are: secrets are kept out where outside text enters (the host's
//! `admit`), never by rewriting whole values, which could corrupt them. Results are written
//! under an attempt id chosen by the run that collects them, and the record names the
//! attempt only after all of its fragments are written (see the README's architecture).

pub mod keys;
mod open_index;
mod record;

pub use open_index::{OpenEntry, OpenMeta, StepKind, CLOSE_AFTER_MS};
pub use record::{iso, BatchRecord, StepFailure, StoredResults, Unreadable, FORMAT};

use crate::api_error::ApiError;
use edge_llm_core::batch::pages::Fragment;
use edge_llm_core::Provider;
use std::collections::HashMap;
use worker::kv::KvStore;
use worker::Env;

/// Requests per page of ids and results.
pub const PAGE_ITEMS: u32 = 1000;
/// Keys per bulk read (KV's limit).
const BULK: usize = 100;

#[derive(Clone)]
pub struct Store {
    kv: KvStore,
}

fn kv_error(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        503,
        "storage_unavailable",
        format!("Workers KV {what} failed: {e}"),
    )
}

/// What a record read found.
pub type Read = Result<Option<BatchRecord>, Unreadable>;

impl Store {
    pub fn new(env: &Env) -> Result<Store, ApiError> {
        let kv = env
            .kv("BATCHES")
            .map_err(|e| ApiError::internal(format!("KV binding BATCHES is missing: {e}")))?;
        Ok(Store { kv })
    }

    /// The record of batch `id`. A record that cannot be read is an error of its own, so a
    /// caller can set it aside.
    pub async fn get(&self, id: &str) -> Result<Read, ApiError> {
        let text = self
            .kv
            .get(&keys::record(id))
            .text()
            .await
            .map_err(|e| kv_error("read", e))?;
        Ok(text.map(|t| BatchRecord::decode(&t)).transpose())
    }

    /// Several records, each read on its own terms: one KV operation per 100, and a bulk
    /// read that fails is tried key by key, so one bad key costs only itself.
    pub async fn get_many(&self, ids: &[String]) -> Vec<Result<Read, ApiError>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(BULK) {
            let keys: Vec<String> = chunk.iter().map(|id| keys::record(id)).collect();
            match self.kv.get_bulk(&keys).text().await {
                Ok(mut found) => out.extend(keys.iter().map(|k| {
                    Ok(found
                        .remove(k)
                        .flatten()
                        .map(|t| BatchRecord::decode(&t))
                        .transpose())
                })),
                Err(_) => {
                    for id in chunk {
                        out.push(self.get(id).await);
                    }
                }
            }
        }
        out
    }

    /// Writes the record — unless the batch's retention is over (KV would refuse the
    /// expiration; nothing of it should come back).
    pub async fn put(&self, record: &BatchRecord, now: f64) -> Result<(), ApiError> {
        self.put_text(
            &keys::record(&record.id),
            record.encode(),
            record.created_at,
            now,
        )
        .await
    }

    async fn put_text(
        &self,
        key: &str,
        body: String,
        created_at: f64,
        now: f64,
    ) -> Result<(), ApiError> {
        let Some(expiration) = keys::writable_until(created_at, now) else {
            return Err(ApiError::internal(format!(
                "{key} is past its retention; not written again"
            )));
        };
        self.kv
            .put(key, body)
            .map_err(|e| kv_error("write", e))?
            .expiration(expiration)
            .execute()
            .await
            .map_err(|e| kv_error("write", e))
    }

    /// Stores one page of request ids.
    pub async fn put_ids_page(
        &self,
        id: &str,
        created_at: f64,
        page: u32,
        ids: &[String],
        now: f64,
    ) -> Result<(), ApiError> {
        let body = serde_json::to_string(ids).expect("strings serialise");
        self.put_text(&keys::ids(id, page), body, created_at, now)
            .await
    }

    pub async fn ids_page(&self, id: &str, page: u32) -> Result<Option<Vec<String>>, ApiError> {
        let text = self
            .kv
            .get(&keys::ids(id, page))
            .text()
            .await
            .map_err(|e| kv_error("read", e))?;
        text.map(|t| {
            serde_json::from_str(&t).map_err(|e| {
                ApiError::internal(format!("ids page {page} of batch {id} is unreadable: {e}"))
            })
        })
        .transpose()
    }

    /// Takes the fragment by value: bodies run to megabytes, not worth a copy.
    pub async fn put_fragment(
        &self,
        id: &str,
        created_at: f64,
        attempt: &str,
        fragment: Fragment,
        now: f64,
    ) -> Result<(), ApiError> {
        let key = keys::fragment(id, attempt, fragment.page, fragment.number);
        self.put_text(&key, fragment.body, created_at, now).await
    }

    /// One fragment's body; a 503 when it is named but not visible yet (KV may lag). Read as
    /// bytes: a JavaScript string crossing into wasm is first given room for three bytes a
    /// character, so an 8 MiB fragment of non-ASCII text briefly took 24 MiB.
    pub async fn fragment(
        &self,
        id: &str,
        attempt: &str,
        page: u32,
        n: u32,
    ) -> Result<String, ApiError> {
        let body = self
            .kv
            .get(&keys::fragment(id, attempt, page, n))
            .bytes()
            .await
            .map_err(|e| kv_error("read", e))?;
        let body = body.ok_or_else(|| {
            ApiError::new(
                503,
                "not_ready",
                format!("results of batch {id} are still propagating; retry shortly"),
            )
        })?;
        String::from_utf8(body)
            .map_err(|_| ApiError::internal(format!("stored results of batch {id} are not UTF-8")))
    }

    pub async fn delete(&self, key: &str) -> Result<(), ApiError> {
        self.kv.delete(key).await.map_err(|e| kv_error("delete", e))
    }

    /// Records that upstream batch `upstream_id` is gateway batch `id`'s.
    pub async fn put_claim(
        &self,
        record: &BatchRecord,
        upstream_id: &str,
        now: f64,
    ) -> Result<(), ApiError> {
        let Some(key) = keys::claim(record.provider, upstream_id) else {
            return Err(ApiError::internal(format!(
                "upstream batch id {:?} is not a batch id",
                crate::api_error::excerpt(upstream_id, 80)
            )));
        };
        self.put_text(&key, record.id.clone(), record.created_at, now)
            .await
    }

    /// Which gateway batch claimed each of `upstream_ids` (those claimed only).
    pub async fn claims(
        &self,
        provider: Provider,
        upstream_ids: &[String],
    ) -> Result<HashMap<String, String>, ApiError> {
        let mut out = HashMap::new();
        let named: Vec<(String, String)> = upstream_ids
            .iter()
            .filter_map(|id| Some((keys::claim(provider, id)?, id.clone())))
            .collect();
        for chunk in named.chunks(BULK) {
            let keys: Vec<&String> = chunk.iter().map(|(k, _)| k).collect();
            let mut found = self
                .kv
                .get_bulk(&keys)
                .text()
                .await
                .map_err(|e| kv_error("bulk read", e))?;
            for (key, upstream_id) in chunk {
                if let Some(Some(gid)) = found.remove(key) {
                    out.insert(upstream_id.clone(), gid);
                }
            }
        }
        Ok(out)
    }
}
