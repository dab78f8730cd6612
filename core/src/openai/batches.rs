//! `POST /batches`, `GET /batches/{id}`, `POST /batches/{id}/cancel`, `GET /batches`.

use super::chat::to_json;
use super::OpenAIConfig;
use crate::batch::reconcile::{BatchList, ListPage, ListedBatch};
use crate::batch::status::{BatchSnapshot, BatchStatus, RequestCounts, ResultFiles};
use crate::error::AnswerProblem;
use crate::http::{path_segment, Body, HttpRequest, Method};
use serde::{Deserialize, Serialize};

/// The endpoint every request of a batch goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchEndpoint {
    ChatCompletions,
    Embeddings,
}

impl BatchEndpoint {
    pub fn path(self) -> &'static str {
        match self {
            BatchEndpoint::ChatCompletions => "/v1/chat/completions",
            BatchEndpoint::Embeddings => "/v1/embeddings",
        }
    }
}

#[derive(Serialize)]
struct CreateBatchBody<'a> {
    input_file_id: &'a str,
    endpoint: &'static str,
    completion_window: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<Tag<'a>>,
}

/// The metadata key that carries the gateway's own id of a batch (the Worker's), so a
/// create whose answer was lost can be found in `GET /batches`.
pub const TAG_KEY: &str = "edge_llm_id";

#[derive(Serialize, Deserialize)]
struct Tag<'a> {
    #[serde(rename = "edge_llm_id")]
    id: &'a str,
}

/// Creates the batch from an uploaded input file; `tag` (the Worker's id for it) goes into
/// its metadata. The npm package sends none, as the reference.
pub fn create_request(
    cfg: &OpenAIConfig,
    input_file_id: &str,
    endpoint: BatchEndpoint,
    tag: Option<&str>,
) -> HttpRequest {
    let body = CreateBatchBody {
        input_file_id,
        endpoint: endpoint.path(),
        completion_window: "24h",
        metadata: tag.map(|id| Tag { id }),
    };
    HttpRequest::post_json(cfg.url("/batches"), cfg.json_headers(), to_json(&body))
}

/// Reads the batch's status.
pub fn retrieve_request(cfg: &OpenAIConfig, batch_id: &str) -> HttpRequest {
    cfg.get(&format!("/batches/{}", path_segment(batch_id)))
}

/// Asks OpenAI to cancel the batch; it goes `cancelling`, then `cancelled`.
pub fn cancel_request(cfg: &OpenAIConfig, batch_id: &str) -> HttpRequest {
    HttpRequest {
        method: Method::Post,
        url: cfg.url(&format!("/batches/{}/cancel", path_segment(batch_id))),
        headers: vec![cfg.auth_header()],
        body: Body::Empty,
    }
}

/// One page of the batches, newest first, after the batch `after` (its id).
pub fn list_request(cfg: &OpenAIConfig, after: Option<&str>) -> HttpRequest {
    let query = match after {
        Some(id) => format!("/batches?limit=100&after={}", path_segment(id)),
        None => "/batches?limit=100".to_string(),
    };
    cfg.get(&query)
}

#[derive(Deserialize)]
struct ListedObject {
    #[serde(flatten)]
    batch: serde_json::Value,
    #[serde(default)]
    created_at: f64,
    #[serde(default)]
    metadata: Option<std::collections::HashMap<String, serde_json::Value>>,
}

/// Reads a page of `GET /batches`.
pub fn parse_list(body: serde_json::Value) -> Result<BatchList, AnswerProblem> {
    ListPage::parse(body, |item: ListedObject| {
        let tag = item
            .metadata
            .as_ref()
            .and_then(|m| m.get(TAG_KEY))
            .and_then(|v| v.as_str())
            .map(str::to_string);
        Ok(ListedBatch {
            snapshot: parse_batch(item.batch)?,
            created_at_ms: item.created_at * 1000.0,
            tag,
        })
    })
}

/// The fields of the `Batch` object we read. Everything is optional because test doubles
/// (and the reference's callers) send only what they care about, e.g. `{status}`.
#[derive(Deserialize)]
struct BatchObject {
    #[serde(default)]
    id: Option<String>,
    /// Absent in the reference's test doubles for the create call (it reads only `id`).
    #[serde(default)]
    status: String,
    #[serde(default)]
    output_file_id: Option<String>,
    #[serde(default)]
    error_file_id: Option<String>,
    #[serde(default)]
    request_counts: Option<RequestCounts>,
    #[serde(default)]
    errors: Option<BatchErrors>,
}

#[derive(Deserialize)]
struct BatchErrors {
    #[serde(default)]
    data: Option<Vec<BatchErrorItem>>,
}

#[derive(Deserialize)]
struct BatchErrorItem {
    #[serde(default)]
    message: Option<String>,
}

/// Reads a `Batch` object. A status we do not know yet counts as in progress (as the
/// reference keeps polling), and keeps its own word in `upstream_status`.
pub fn parse_batch(body: serde_json::Value) -> Result<BatchSnapshot, AnswerProblem> {
    let b: BatchObject = serde_json::from_value(body).map_err(|e| AnswerProblem::Unreadable {
        detail: e.to_string(),
    })?;
    let first_error = b
        .errors
        .and_then(|e| e.data)
        .and_then(|d| d.into_iter().next())
        .and_then(|e| e.message);
    Ok(BatchSnapshot {
        id: b.id.unwrap_or_default(),
        status: BatchStatus::from_openai(&b.status).unwrap_or(BatchStatus::InProgress),
        upstream_status: b.status,
        counts: b.request_counts.unwrap_or_default(),
        files: ResultFiles {
            output_file_id: b.output_file_id,
            error_file_id: b.error_file_id,
            results_url: None,
        },
        first_error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::ApiKey;
    use serde_json::json;

    fn cfg() -> OpenAIConfig {
        OpenAIConfig::new(ApiKey::new("k"), "gpt-4o")
    }

    #[test]
    fn create_is_the_reference_body() {
        let req = create_request(&cfg(), "file-1", BatchEndpoint::ChatCompletions, None);
        assert_eq!(req.url, "https://api.openai.com/v1/batches");
        assert_eq!(
            req.body,
            Body::Json(r#"{"input_file_id":"file-1","endpoint":"/v1/chat/completions","completion_window":"24h"}"#.into())
        );
        let tagged = create_request(
            &cfg(),
            "file-1",
            BatchEndpoint::ChatCompletions,
            Some("eb_1"),
        );
        assert_eq!(
            tagged.body,
            Body::Json(r#"{"input_file_id":"file-1","endpoint":"/v1/chat/completions","completion_window":"24h","metadata":{"edge_llm_id":"eb_1"}}"#.into())
        );
    }

    #[test]
    fn a_list_page_reads_tags_times_and_the_cursor() {
        assert_eq!(
            list_request(&cfg(), None).url,
            "https://api.openai.com/v1/batches?limit=100"
        );
        assert_eq!(
            list_request(&cfg(), Some("batch_9")).url,
            "https://api.openai.com/v1/batches?limit=100&after=batch_9"
        );
        let page = parse_list(json!({
            "object": "list", "has_more": true, "first_id": "batch_2", "last_id": "batch_1",
            "data": [
                {"id": "batch_2", "status": "in_progress", "created_at": 1700000000, "metadata": {"edge_llm_id": "eb_7"}},
                {"id": "batch_1", "status": "completed", "created_at": 1690000000, "metadata": null},
            ]
        }))
        .unwrap();
        assert_eq!(page.next.as_deref(), Some("batch_1"));
        assert_eq!(page.batches[0].tag.as_deref(), Some("eb_7"));
        assert_eq!(page.batches[0].created_at_ms, 1_700_000_000_000.0);
        assert_eq!(page.batches[1].tag, None);
        assert_eq!(page.batches[1].snapshot.status, BatchStatus::Completed);
        assert_eq!(parse_list(json!({"data": []})).unwrap().next, None);
    }

    #[test]
    fn retrieve_and_cancel_address_the_batch() {
        assert_eq!(
            retrieve_request(&cfg(), "batch_1").url,
            "https://api.openai.com/v1/batches/batch_1"
        );
        let cancel = cancel_request(&cfg(), "batch_1");
        assert_eq!(
            (cancel.method, cancel.url.as_str()),
            (
                Method::Post,
                "https://api.openai.com/v1/batches/batch_1/cancel"
            )
        );
    }

    #[test]
    fn a_batch_object_becomes_a_snapshot() {
        let s = parse_batch(json!({
            "id": "batch_1", "object": "batch", "status": "completed",
            "output_file_id": "file-out", "error_file_id": "file-err",
            "request_counts": {"total": 3, "completed": 2, "failed": 1}
        }))
        .unwrap();
        assert_eq!(s.status, BatchStatus::Completed);
        assert_eq!(
            s.counts,
            RequestCounts {
                total: 3,
                completed: 2,
                failed: 1
            }
        );
        assert_eq!(s.files.output_file_id.as_deref(), Some("file-out"));
        assert_eq!(s.files.error_file_id.as_deref(), Some("file-err"));
    }

    #[test]
    fn a_bare_status_is_enough_and_errors_are_kept() {
        let s = parse_batch(
            json!({"status": "failed", "errors": {"data": [{"message": "bad line 3"}]}}),
        )
        .unwrap();
        assert_eq!(
            (s.status, s.first_error.as_deref()),
            (BatchStatus::Failed, Some("bad line 3"))
        );
        let s = parse_batch(json!({"status": "something_new"})).unwrap();
        assert_eq!(
            (s.status, s.upstream_status.as_str()),
            (BatchStatus::InProgress, "something_new")
        );
        // The reference reads only `id` from the create answer, so its doubles send no status.
        let s = parse_batch(json!({"id": "batch_1"})).unwrap();
        assert_eq!(
            (s.id.as_str(), s.status),
            ("batch_1", BatchStatus::InProgress)
        );
        assert!(parse_batch(json!({"status": 1})).is_err());
    }
}
