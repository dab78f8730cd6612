//! The open index: one key per open batch, `open:{createdAt}:{id}`, listed oldest first by the
//! cron. Each entry's metadata says when the batch next needs a step (the batch machine's
//! [`Wake`]), written with the record, so a cron run decides which batches are due from the
//! listing alone — 1,000 entries per list call — instead of reading every record every
//! minute (10,000 open batches would be 14.4 million record reads a day).

use super::{keys, kv_error, BatchRecord, Store};
use crate::api_error::ApiError;
use edge_llm_core::batch::{Stage, Wake};
use edge_llm_core::Provider;
use serde::{Deserialize, Serialize};

/// An ended batch leaves the open index this long after it ended: longer than any run or
/// step lives, so a slower overlapping one that writes an older state back is undone by a
/// later poll before the batch stops being listed.
pub const CLOSE_AFTER_MS: f64 = 30.0 * 60_000.0;
/// Keys per list call (KV's most).
const LIST_PAGE: u64 = 1000;

/// What a step is for: the label of a queue message and a log line. The record, read when
/// the step runs, decides what is really done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// A point of the poll grid passed.
    Poll,
    /// Upstream ended the batch: store its results.
    Collect,
    /// Upstream still has it open far past its window.
    Cancel,
    /// The create's answer was lost: look for the batch upstream.
    Reconcile,
    /// A failed poll, download or lookup, tried again.
    Retry,
    /// Ended a while ago: leave the open index.
    Close,
    /// The entry says nothing (written before entries kept a wake): read the record.
    Check,
}

/// An entry of the open index.
#[derive(Clone, Debug)]
pub struct OpenEntry {
    pub id: String,
    pub created_at: f64,
    /// Its metadata, if it can be read.
    pub meta: Option<OpenMeta>,
}

/// An entry's metadata: what a run can know without reading the record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpenMeta {
    pub provider: Provider,
    /// When the batch next needs a step (absent from entries of Workers before this one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wake: Option<Wake>,
    /// What the wake's level time (`wake.at`) stands for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<StepKind>,
}

impl OpenMeta {
    /// The entry for `record` as it stands. `collecting_until`: a collection has started (or
    /// been queued), so the index does not ask for another before then — a large batch takes
    /// minutes to collect, and a second collection would only repeat the download.
    pub fn of(record: &BatchRecord, collecting_until: Option<f64>) -> OpenMeta {
        let job = &record.job;
        let (mut wake, step) = if job.is_done() {
            let close = Wake {
                at: Some(record.updated_at + CLOSE_AFTER_MS),
                grid: None,
            };
            (close, StepKind::Close)
        } else {
            let step = match job.stage() {
                _ if job.trouble().is_some() => StepKind::Retry,
                Stage::Upload | Stage::Create { .. } => StepKind::Reconcile,
                Stage::Collect { .. } => StepKind::Collect,
                _ => StepKind::Cancel,
            };
            (job.wake(), step)
        };
        if let (Some(until), StepKind::Collect) = (collecting_until, step) {
            wake.at = Some(until);
        }
        OpenMeta {
            provider: record.provider,
            wake: Some(wake),
            step: wake.at.map(|_| step),
        }
    }

    /// The step that fell due in `(since, now]`, if any.
    pub fn due(&self, since: f64, now: f64) -> Option<StepKind> {
        let Some(wake) = self.wake else {
            return Some(StepKind::Check);
        };
        if wake.grid.is_some_and(|g| g.fell_due(since, now)) {
            Some(StepKind::Poll)
        } else if wake.at.is_some_and(|at| now >= at) {
            Some(self.step.unwrap_or(StepKind::Check))
        } else {
            None
        }
    }
}

impl Store {
    /// Lists `record` in the open index with `meta` (see [`OpenMeta::of`]); the entry
    /// expires with the batch.
    pub async fn mark_open(
        &self,
        record: &BatchRecord,
        meta: &OpenMeta,
        now: f64,
    ) -> Result<(), ApiError> {
        let key = keys::open(record.created_at, &record.id);
        let Some(expiration) = keys::writable_until(record.created_at, now) else {
            return Err(ApiError::internal(format!("{key} is past its retention")));
        };
        self.kv
            .put(&key, "")
            .map_err(|e| kv_error("write", e))?
            .metadata(meta)
            .map_err(|e| kv_error("write", e))?
            .expiration(expiration)
            .execute()
            .await
            .map_err(|e| kv_error("write", e))
    }

    /// Writes the record, then its index entry — the order that leaves a batch listed
    /// whatever fails: a stale entry only wakes a step early or late, and the step, reading
    /// the record, does what is due and puts the entry right.
    pub async fn save(
        &self,
        record: &BatchRecord,
        collecting_until: Option<f64>,
        now: f64,
    ) -> Result<OpenMeta, ApiError> {
        self.put(record, now).await?;
        let meta = OpenMeta::of(record, collecting_until);
        self.mark_open(record, &meta, now).await?;
        Ok(meta)
    }

    /// `record`'s index entry as KV has it now (`None`: no entry, or nothing readable).
    pub async fn open_meta(&self, record: &BatchRecord) -> Result<Option<OpenMeta>, ApiError> {
        let (_, meta) = self
            .kv
            .get(&keys::open(record.created_at, &record.id))
            .text_with_metadata::<serde_json::Value>()
            .await
            .map_err(|e| kv_error("read", e))?;
        Ok(meta.and_then(|m| serde_json::from_value(m).ok()))
    }

    /// Removes the batch from the open index.
    pub async fn mark_closed(&self, record: &BatchRecord) -> Result<(), ApiError> {
        self.delete(&keys::open(record.created_at, &record.id))
            .await
    }

    /// One page of the open index (1,000 entries, oldest first), from `cursor`. Keys that are
    /// not well-formed entries are returned by name, to be dropped.
    pub async fn open_page(&self, cursor: Option<String>) -> Result<OpenPage, ApiError> {
        let mut list = self
            .kv
            .list()
            .prefix(keys::OPEN_PREFIX.into())
            .limit(LIST_PAGE);
        if let Some(c) = cursor {
            list = list.cursor(c);
        }
        let page = list.execute().await.map_err(|e| kv_error("list", e))?;
        let mut out = OpenPage {
            entries: Vec::with_capacity(page.keys.len()),
            strays: vec![],
            next: page.cursor.filter(|c| !page.list_complete && !c.is_empty()),
        };
        for key in page.keys {
            match keys::parse_open(&key.name) {
                Some((created_at, id)) => out.entries.push(OpenEntry {
                    meta: key.metadata.and_then(|m| serde_json::from_value(m).ok()),
                    id,
                    created_at,
                }),
                None => out.strays.push(key.name),
            }
        }
        Ok(out)
    }
}

/// A page of the open index.
pub struct OpenPage {
    pub entries: Vec<OpenEntry>,
    /// Keys under `open:` that are not entries.
    pub strays: Vec<String>,
    /// Where the next page starts, if there is one.
    pub next: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::FORMAT;
    use edge_llm_core::batch::{
        BatchJob, BatchKind, BatchSnapshot, BatchStatus, Policy, PollResult, PollSchedule,
        RequestCounts, ResultFiles,
    };
    use edge_llm_core::openai::batches::BatchEndpoint;

    fn record(now: f64) -> BatchRecord {
        let kind = BatchKind::OpenAI {
            endpoint: BatchEndpoint::ChatCompletions,
        };
        BatchRecord {
            v: FORMAT,
            id: "eb_0123456789abcdef01234567".into(),
            provider: Provider::OpenAI,
            model: "gpt-4o-mini".into(),
            created_at: now,
            updated_at: now,
            total: 2,
            job: BatchJob::new(kind, Policy::Durable, PollSchedule::default(), now),
            results: None,
            positional_names: false,
            step_failure: None,
        }
    }

    fn snapshot(status: BatchStatus) -> BatchSnapshot {
        BatchSnapshot {
            id: "batch_1".into(),
            status,
            upstream_status: status.as_str().into(),
            counts: RequestCounts::default(),
            files: ResultFiles {
                output_file_id: status.is_terminal().then(|| "file-out".into()),
                ..Default::default()
            },
            first_error: None,
        }
    }

    #[test]
    fn an_entry_says_which_step_falls_due_and_when() {
        let t0 = 1_764_000_000_000.0;
        let mut r = record(t0);
        // The intent: the lookup of a lost create, ten minutes on.
        let meta = OpenMeta::of(&r, None);
        assert_eq!(meta.due(t0, t0 + 60_000.0), None);
        assert_eq!(meta.due(t0, t0 + 600_000.0), Some(StepKind::Reconcile));
        // Polling: on the grid (10 s, 15 s, …), the cancel far past the window.
        r.job.on_uploaded("file-in".into());
        r.job.on_created(snapshot(BatchStatus::Validating), t0);
        let meta = OpenMeta::of(&r, None);
        assert_eq!(meta.step, Some(StepKind::Cancel));
        assert_eq!(meta.due(t0, t0 + 9_000.0), None);
        assert_eq!(meta.due(t0, t0 + 10_000.0), Some(StepKind::Poll));
        assert_eq!(meta.due(t0, t0 + 31.0 * 3_600_000.0), Some(StepKind::Poll));
        // Ended: collect at once; while a collection runs, not again until its lease ends.
        r.job.on_poll(
            t0 + 60_000.0,
            PollResult::Snapshot(snapshot(BatchStatus::Completed)),
        );
        assert_eq!(
            OpenMeta::of(&r, None).due(0.0, 1.0),
            Some(StepKind::Collect)
        );
        let leased = OpenMeta::of(&r, Some(t0 + 900_000.0));
        assert_eq!(leased.due(t0, t0 + 899_999.0), None);
        assert_eq!(leased.due(t0, t0 + 900_000.0), Some(StepKind::Collect));
        // Collected: the entry goes half an hour after the record last changed.
        r.job.on_collected();
        r.updated_at = t0 + 120_000.0;
        let meta = OpenMeta::of(&r, Some(t0 + 900_000.0));
        assert_eq!(meta.due(t0, t0 + 120_000.0 + CLOSE_AFTER_MS - 1.0), None);
        assert_eq!(
            meta.due(t0, t0 + 120_000.0 + CLOSE_AFTER_MS),
            Some(StepKind::Close)
        );
        // Well within KV's 1,024 bytes of metadata.
        assert!(serde_json::to_string(&meta).unwrap().len() < 300);
    }

    #[test]
    fn entries_without_a_wake_are_checked_by_reading_the_record() {
        let old: OpenMeta = serde_json::from_str(r#"{"provider":"anthropic"}"#).unwrap();
        assert_eq!(old.due(0.0, 1.0), Some(StepKind::Check));
    }
}
