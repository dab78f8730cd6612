//! What the Worker keeps per batch: who made it, when, and the batch machine's state.

use edge_llm_core::batch::pages::Manifest;
use edge_llm_core::batch::{BatchJob, BatchStatus, Outcome, RequestCounts, Stage};
use edge_llm_core::Provider;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchRecord {
    pub id: String,
    pub provider: Provider,
    pub model: String,
    pub created_at: f64,
    pub updated_at: f64,
    /// Requests in the batch.
    pub total: u64,
    /// The batch state machine (no secrets, no request content).
    pub job: BatchJob,
    /// Where the results are, once every fragment is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<StoredResults>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredResults {
    pub attempt: String,
    pub manifest: Manifest,
}

impl BatchRecord {
    /// How far along the batch is; records never move back in this order. Stored results
    /// rank above any ending without them, so a run whose download failed for good cannot
    /// replace the results an overlapping run stored.
    pub fn progress_rank(&self) -> u8 {
        match self.job.stage {
            Stage::Upload | Stage::Create { .. } => 0,
            Stage::Poll { .. } => 1,
            Stage::Collect { .. } => 2,
            Stage::Finished { .. } | Stage::Failed { .. } => 3 + u8::from(self.results.is_some()),
        }
    }

    /// How the batch ended, once results are readable.
    pub fn outcome(&self) -> Option<Outcome> {
        match &self.job.stage {
            Stage::Finished { outcome, .. } => Some(*outcome),
            Stage::Failed { .. } => Some(Outcome::Failed),
            _ => None,
        }
    }

    pub fn counts(&self) -> RequestCounts {
        let c = self.job.progress.counts;
        RequestCounts {
            total: if c.total == 0 { self.total } else { c.total },
            ..c
        }
    }

    pub fn error(&self) -> Option<String> {
        match &self.job.stage {
            Stage::Failed { error, .. } => Some(error.to_string()),
            _ if matches!(
                self.job.status(),
                BatchStatus::Failed | BatchStatus::Cancelled | BatchStatus::Expired
            ) =>
            {
                self.job.progress.first_error.clone()
            }
            _ => None,
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
        v
    }
}

/// Milliseconds since the epoch as an ISO 8601 string.
pub fn iso(ms: f64) -> String {
    String::from(js_sys::Date::new(&ms.into()).to_iso_string())
}
