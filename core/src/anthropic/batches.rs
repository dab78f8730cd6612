//! Message Batches: `POST /messages/batches`, `GET /messages/batches/{id}`,
//! `POST /messages/batches/{id}/cancel`, `GET /messages/batches`, and the `results_url`
//! download.

use super::messages::MessagesBody;
use super::AnthropicConfig;
use crate::batch::reconcile::{BatchList, ListPage, ListedBatch};
use crate::batch::status::{BatchSnapshot, BatchStatus, RequestCounts, ResultFiles};
use crate::error::{AnswerProblem, Error, Provider};
use crate::http::{path_segment, Body, HttpRequest, Method};
use crate::message::BatchChatRequest;
use serde::{Deserialize, Serialize};

/// Anthropic's rule for `custom_id`.
pub const CUSTOM_ID_PATTERN: &str = "^[a-zA-Z0-9_-]{1,64}$";

/// Whether `id` is a valid `custom_id`.
pub fn is_valid_custom_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Rejects the first request whose id Anthropic would refuse, naming it.
pub fn check_custom_ids(requests: &[BatchChatRequest]) -> Result<(), Error> {
    match requests.iter().position(|r| !is_valid_custom_id(&r.id)) {
        None => Ok(()),
        Some(i) => Err(Error::InvalidInput {
            provider: Provider::Anthropic,
            message: format!(
                "Anthropic batch request id {:?} (requests[{i}].id) is invalid: custom_id must match {CUSTOM_ID_PATTERN}",
                requests[i].id
            ),
        }),
    }
}

#[derive(Serialize)]
struct BatchRequest<'a> {
    custom_id: &'a str,
    params: MessagesBody<'a>,
}

/// The create body is `{"requests":[` + the items joined by `,` + `]}`; a streamed create
/// sends those pieces as they are made.
pub const CREATE_HEAD: &str = "{\"requests\":[";
pub const CREATE_TAIL: &str = "]}";

/// One request of the create body: `{custom_id, params}`.
pub fn create_item(cfg: &AnthropicConfig, request: &BatchChatRequest) -> String {
    let item = BatchRequest {
        custom_id: &request.id,
        params: MessagesBody::new(&cfg.model, cfg.max_tokens, &request.messages),
    };
    crate::openai::chat::to_json(&item)
}

/// The create call's URL and headers, for a body streamed in pieces.
pub fn create_target(cfg: &AnthropicConfig) -> (String, Vec<(&'static str, String)>) {
    (cfg.url("/messages/batches"), cfg.json_headers())
}

/// Creates a batch with every request inline; fails before sending if an id is invalid.
pub fn create_request(
    cfg: &AnthropicConfig,
    requests: &[BatchChatRequest],
) -> Result<HttpRequest, Error> {
    check_custom_ids(requests)?;
    let items: Vec<String> = requests.iter().map(|r| create_item(cfg, r)).collect();
    let json = format!("{CREATE_HEAD}{}{CREATE_TAIL}", items.join(","));
    Ok(HttpRequest::post_json(
        cfg.url("/messages/batches"),
        cfg.json_headers(),
        json,
    ))
}

pub fn retrieve_request(cfg: &AnthropicConfig, batch_id: &str) -> HttpRequest {
    cfg.get(&format!("/messages/batches/{}", path_segment(batch_id)))
}

pub fn cancel_request(cfg: &AnthropicConfig, batch_id: &str) -> HttpRequest {
    let mut req = cfg.get(&format!(
        "/messages/batches/{}/cancel",
        path_segment(batch_id)
    ));
    req.method = Method::Post;
    req.body = Body::Empty;
    req
}

/// Downloads the results JSONL from the batch's `results_url`, as the reference does.
pub fn results_request(cfg: &AnthropicConfig, results_url: &str) -> HttpRequest {
    cfg.get_absolute(results_url.to_string())
}

/// Whether `results_url` is on the configured origin or Anthropic's own: the download carries
/// the API key, and an answer must not be able to send it elsewhere. The Worker checks this
/// before it downloads; the npm package fetches what it is given, as the reference.
pub fn check_results_origin(cfg: &AnthropicConfig, results_url: &str) -> Result<(), Error> {
    let allowed = [origin(&cfg.base_url), origin(super::DEFAULT_BASE_URL)];
    match origin(results_url) {
        Some(o) if allowed.contains(&Some(o.clone())) => Ok(()),
        _ => Err(Error::InvalidInput {
            provider: Provider::Anthropic,
            message: format!(
                "Anthropic batch results_url {:?} is not on the configured API origin; the API key is not sent there",
                crate::json_mode::snippet(results_url)
            ),
        }),
    }
}

/// `scheme://host[:port]` of an absolute URL, lower-cased.
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    if scheme.is_empty() || authority.is_empty() || authority.contains('@') {
        return None;
    }
    Some(format!("{scheme}://{authority}").to_ascii_lowercase())
}

/// One page of the batches, newest first, after the batch `after_id`.
pub fn list_request(cfg: &AnthropicConfig, after_id: Option<&str>) -> HttpRequest {
    match after_id {
        Some(id) => cfg.get(&format!(
            "/messages/batches?limit=100&after_id={}",
            path_segment(id)
        )),
        None => cfg.get("/messages/batches?limit=100"),
    }
}

#[derive(Deserialize)]
struct ListedObject {
    #[serde(flatten)]
    batch: serde_json::Value,
    #[serde(default)]
    created_at: Option<String>,
}

/// Reads a page of `GET /messages/batches`. Message Batches keep no metadata: a lost create
/// is matched on time and size (`crate::batch::reconcile`).
pub fn parse_list(body: serde_json::Value) -> Result<BatchList, AnswerProblem> {
    ListPage::parse(body, |item: ListedObject| {
        let created_at_ms = item
            .created_at
            .as_deref()
            .and_then(crate::time::parse_rfc3339_ms)
            .ok_or_else(|| AnswerProblem::Unreadable {
                detail: "a listed batch has no readable created_at".into(),
            })?;
        Ok(ListedBatch {
            snapshot: parse_batch(item.batch)?,
            created_at_ms,
            tag: None,
        })
    })
}

#[derive(Deserialize)]
struct MessageBatch {
    #[serde(default)]
    id: Option<String>,
    /// Absent in minimal test doubles of the create call; read as in progress.
    #[serde(default)]
    processing_status: String,
    #[serde(default)]
    request_counts: Counts,
    #[serde(default)]
    results_url: Option<String>,
    #[serde(default)]
    cancel_initiated_at: Option<String>,
}

#[derive(Deserialize, Default)]
struct Counts {
    #[serde(default)]
    processing: u64,
    #[serde(default)]
    succeeded: u64,
    #[serde(default)]
    errored: u64,
    #[serde(default)]
    canceled: u64,
    #[serde(default)]
    expired: u64,
}

/// Reads a MessageBatch. `ended` becomes `cancelled` when a cancel was asked for,
/// `expired` when requests expired, `completed` otherwise.
pub fn parse_batch(body: serde_json::Value) -> Result<BatchSnapshot, AnswerProblem> {
    let b: MessageBatch = serde_json::from_value(body).map_err(|e| AnswerProblem::Unreadable {
        detail: e.to_string(),
    })?;
    let c = &b.request_counts;
    let status = match b.processing_status.as_str() {
        "canceling" => BatchStatus::Cancelling,
        "ended" if b.cancel_initiated_at.is_some() || c.canceled > 0 => BatchStatus::Cancelled,
        "ended" if c.expired > 0 => BatchStatus::Expired,
        "ended" => BatchStatus::Completed,
        _ => BatchStatus::InProgress,
    };
    Ok(BatchSnapshot {
        id: b.id.unwrap_or_default(),
        status,
        counts: RequestCounts {
            total: c.processing + c.succeeded + c.errored + c.canceled + c.expired,
            completed: c.succeeded,
            failed: c.errored + c.canceled + c.expired,
        },
        files: ResultFiles {
            results_url: b.results_url,
            ..Default::default()
        },
        upstream_status: b.processing_status,
        first_error: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::ApiKey;
    use crate::message::{Message, Role};
    use serde_json::json;

    fn cfg() -> AnthropicConfig {
        AnthropicConfig::new(ApiKey::new("k"), "claude-sonnet-4-5")
    }

    fn req(id: &str) -> BatchChatRequest {
        BatchChatRequest {
            id: id.into(),
            messages: vec![
                Message::new(Role::System, "json"),
                Message::new(Role::User, "q"),
            ],
        }
    }

    #[test]
    fn custom_ids_follow_anthropics_rule() {
        for ok in ["a", "A_b-9", &"x".repeat(64)] {
            assert!(is_valid_custom_id(ok), "{ok}");
        }
        for bad in ["", "a b", "a.b", "é", &"x".repeat(65)] {
            assert!(!is_valid_custom_id(bad), "{bad}");
        }
    }

    #[test]
    fn an_invalid_id_is_rejected_before_sending_and_named() {
        let err = create_request(&cfg(), &[req("ok"), req("not ok")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Anthropic batch request id \"not ok\" (requests[1].id) is invalid: custom_id must match ^[a-zA-Z0-9_-]{1,64}$"
        );
    }

    #[test]
    fn create_puts_each_request_in_params() {
        let req = create_request(&cfg(), &[req("a")]).unwrap();
        assert_eq!(req.url, "https://api.anthropic.com/v1/messages/batches");
        let Body::Json(body) = req.body else { panic!() };
        assert_eq!(
            body,
            r#"{"requests":[{"custom_id":"a","params":{"model":"claude-sonnet-4-5","max_tokens":8192,"system":"json","messages":[{"role":"user","content":"q"}]}}]}"#
        );
    }

    #[test]
    fn ended_maps_to_one_vocabulary() {
        let snap = |extra: serde_json::Value| {
            let mut b = json!({"id": "msgbatch_1", "processing_status": "ended", "results_url": "https://x/results",
                "request_counts": {"processing": 0, "succeeded": 2, "errored": 1, "canceled": 0, "expired": 0}});
            for (k, v) in extra.as_object().unwrap() {
                b[k] = v.clone();
            }
            parse_batch(b).unwrap()
        };
        let s = snap(json!({}));
        assert_eq!(s.status, BatchStatus::Completed);
        assert_eq!(
            s.counts,
            RequestCounts {
                total: 3,
                completed: 2,
                failed: 1
            }
        );
        assert_eq!(s.files.results_url.as_deref(), Some("https://x/results"));
        assert_eq!(
            snap(json!({"cancel_initiated_at": "2024-01-01T00:00:00Z"})).status,
            BatchStatus::Cancelled
        );
        assert_eq!(
            snap(json!({"request_counts": {"succeeded": 1, "expired": 1}})).status,
            BatchStatus::Expired
        );
        assert_eq!(
            snap(json!({"processing_status": "in_progress"})).status,
            BatchStatus::InProgress
        );
        assert_eq!(
            snap(json!({"processing_status": "canceling"})).status,
            BatchStatus::Cancelling
        );
        let created = parse_batch(json!({"id": "msgbatch_2"})).unwrap();
        assert_eq!(
            (created.id.as_str(), created.status),
            ("msgbatch_2", BatchStatus::InProgress)
        );
    }

    #[test]
    fn poll_cancel_and_results_requests_carry_auth() {
        let r = retrieve_request(&cfg(), "msgbatch_1");
        assert_eq!(
            r.url,
            "https://api.anthropic.com/v1/messages/batches/msgbatch_1"
        );
        assert_eq!(r.header("x-api-key"), Some("k"));
        let c = cancel_request(&cfg(), "msgbatch_1");
        assert_eq!(
            (c.method, c.url.as_str()),
            (
                Method::Post,
                "https://api.anthropic.com/v1/messages/batches/msgbatch_1/cancel"
            )
        );
        let results = "https://api.anthropic.com/v1/messages/batches/msgbatch_1/results";
        assert_eq!(
            results_request(&cfg(), results).header("anthropic-version"),
            Some("2023-06-01")
        );
    }

    #[test]
    fn results_are_read_only_from_the_configured_origin_or_anthropics() {
        let proxied = AnthropicConfig {
            base_url: "http://127.0.0.1:8787/anthropic/v1".into(),
            ..cfg()
        };
        for ok in [
            "http://127.0.0.1:8787/anthropic/v1/messages/batches/m/results",
            "https://api.anthropic.com/v1/messages/batches/m/results",
            "HTTPS://API.ANTHROPIC.COM/v1/x",
        ] {
            assert!(check_results_origin(&proxied, ok).is_ok(), "{ok}");
        }
        for bad in [
            "https://evil.example/v1/messages/batches/m/results",
            "http://127.0.0.1:8788/anthropic/v1/x",
            "https://api.anthropic.com@evil.example/x",
            "https://api.anthropic.com.evil.example/x",
            "/relative/results",
        ] {
            let e = check_results_origin(&proxied, bad).unwrap_err().to_string();
            assert!(e.contains("not on the configured API origin"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_list_page_reads_times_and_the_cursor() {
        assert_eq!(
            list_request(&cfg(), Some("msgbatch_9")).url,
            "https://api.anthropic.com/v1/messages/batches?limit=100&after_id=msgbatch_9"
        );
        let page = parse_list(json!({
            "has_more": false, "first_id": "msgbatch_2", "last_id": "msgbatch_1",
            "data": [{"id": "msgbatch_2", "type": "message_batch", "processing_status": "in_progress",
                      "created_at": "2024-10-01T12:30:00Z",
                      "request_counts": {"processing": 3, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}}]
        }))
        .unwrap();
        assert_eq!(page.next, None);
        assert_eq!(page.batches[0].created_at_ms, 1_727_785_800_000.0);
        assert_eq!(page.batches[0].snapshot.counts.total, 3);
        assert!(parse_list(json!({"data": [{"id": "m"}]})).is_err());
    }
}
