//! What the Worker keeps per batch: who made it, when, and the batch machine's state —
//! versioned, and read tolerantly, so a record written by another deploy never stops a run.

use edge_llm_core::batch::pages::Manifest;
use edge_llm_core::batch::{BatchJob, BatchStatus, RequestCounts};
use edge_llm_core::Provider;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The record format this Worker writes. 1: keyed by upstream's id (before §4.1); 2: keyed
/// by the gateway's own id, the machine's §4.1 state. Fields added later default.
pub const FORMAT: u32 = 2;

fn format_1() -> u32 {
    1
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchRecord {
    #[serde(default = "format_1")]
    pub v: u32,
    /// The gateway's id (format 1: upstream's).
    pub id: String,
    pub provider: Provider,
    pub model: String,
    pub created_at: f64,
    pub updated_at: f64,
    /// Requests in the batch (0 while a streamed create has not counted them yet).
    pub total: u64,
    /// The batch state machine (no secrets, no request content).
    pub job: BatchJob,
    /// Where the results are, once every fragment is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<StoredResults>,
    /// Whether requests are named by position upstream (`crate::request_names`), not by the
    /// client's ids.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub positional_names: bool,
    /// The Worker's own steps for this batch failing (KV, a removed key, a bug), while it
    /// lasts: shown as `lastError` like upstream trouble. Cleared by the next step that works.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_failure: Option<StepFailure>,
}

/// A step of the Worker's that failed and is tried again (by the queue's retries, then —
/// once the message is set aside in the dead-letter queue — when the batch is next due).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepFailure {
    /// Which step (a `StepKind`'s name).
    pub step: String,
    pub message: String,
    pub since_ms: f64,
    pub attempts: u32,
    pub retry_at_ms: f64,
    /// The queue gave up on the message (it went to the dead-letter queue).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub set_aside: bool,
}

impl StepFailure {
    /// The streak after one more failure of `step` at `now`.
    pub fn after(
        previous: Option<&StepFailure>,
        step: &str,
        message: String,
        now: f64,
        retry_at_ms: f64,
    ) -> StepFailure {
        StepFailure {
            step: step.to_string(),
            message,
            since_ms: previous.map_or(now, |p| p.since_ms),
            attempts: previous.map_or(0, |p| p.attempts).saturating_add(1),
            retry_at_ms,
            set_aside: false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredResults {
    pub attempt: String,
    pub manifest: Manifest,
}

/// Why a stored record could not be used.
#[derive(Clone, Debug, PartialEq)]
pub enum Unreadable {
    /// Not a record this Worker can read (a corrupt value, a format it never knew).
    Garbled(String),
    /// Written by a newer Worker: left alone, for that deploy to carry on.
    Newer(u32),
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unreadable::Garbled(e) => write!(f, "the stored record cannot be read: {e}"),
            Unreadable::Newer(v) => write!(
                f,
                "the stored record is format {v}, newer than this Worker's {FORMAT}"
            ),
        }
    }
}

impl BatchRecord {
    /// Reads a stored record: any format up to this Worker's.
    pub fn decode(text: &str) -> Result<BatchRecord, Unreadable> {
        #[derive(Deserialize)]
        struct Version {
            #[serde(default = "format_1")]
            v: u32,
        }
        let version: Version = serde_json::from_str(text)
            .map_err(|e| Unreadable::Garbled(crate::api_error::excerpt(&e.to_string(), 200)))?;
        if version.v > FORMAT {
            return Err(Unreadable::Newer(version.v));
        }
        serde_json::from_str(text)
            .map_err(|e| Unreadable::Garbled(crate::api_error::excerpt(&e.to_string(), 200)))
    }

    pub fn encode(&self) -> String {
        serde_json::to_string(&BatchRecord {
            v: FORMAT,
            ..self.clone()
        })
        .expect("records are plain JSON")
    }

    pub fn counts(&self) -> RequestCounts {
        let c = self.job.counts();
        RequestCounts {
            total: if c.total == 0 { self.total } else { c.total },
            ..c
        }
    }

    pub fn error(&self) -> Option<String> {
        if let Some(error) = self.job.error() {
            return Some(error.to_string());
        }
        let upstream = match self.job.status() {
            BatchStatus::Failed | BatchStatus::Cancelled | BatchStatus::Expired => {
                self.job.first_error().map(str::to_string)
            }
            _ => None,
        };
        match self.job.cancelled_at_ms() {
            Some(_) if self.job.is_done() => Some(format!(
                "the gateway cancelled this batch: upstream still had it open 6h past its 24h window{}",
                upstream.map(|e| format!(" ({e})")).unwrap_or_default()
            )),
            _ => upstream,
        }
    }

    /// `GET /v1/batches/{id}`.
    pub fn view(&self) -> Value {
        let c = self.counts();
        let mut v = json!({
            "id": self.id,
            "status": self.job.status(),
            "provider": self.provider.id(),
            "model": self.model,
            "requestCounts": {"total": c.total, "completed": c.completed, "failed": c.failed},
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        });
        if let Some(error) = self.error() {
            v["error"] = error.into();
        }
        if let Some(f) = &self.step_failure {
            let aside = if f.set_aside {
                "; set aside after the queue's retries, tried again when the batch is next due"
            } else {
                ""
            };
            v["lastError"] = json!({
                "message": format!("the gateway's {} step failed: {}{aside}", f.step, f.message),
                "since": iso(f.since_ms),
                "attempts": f.attempts.max(1),
                "retryAt": iso(f.retry_at_ms),
            });
        } else if let Some(t) = self.job.trouble() {
            v["lastError"] = json!({
                "message": t.message,
                "since": iso(t.since_ms),
                "attempts": t.attempts,
                "retryAt": iso(t.retry_at_ms),
            });
        }
        v
    }
}

/// Milliseconds since the epoch as an ISO 8601 string (as JavaScript writes it).
pub fn iso(ms: f64) -> String {
    edge_llm_core::time::format_iso_ms(ms)
}
